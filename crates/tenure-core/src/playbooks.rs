//! Playbooks as `tenure.toml` declares them (`[[playbooks]]`): a trigger,
//! filters on the account and user, actions, and a cooldown. Parsed and
//! checked once at start-up into [`Playbook`]s; an error names the
//! playbook and the key. Evaluation and delivery live elsewhere: this is
//! only what the operator asked for.

use crate::messages::Templates;
use crate::report::Category;
use serde::Deserialize;

/// A playbook, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    pub name: String,
    pub trigger: Trigger,
    pub filters: Filters,
    pub actions: Vec<Action>,
    /// Days before the same subject can be acted on again for this
    /// playbook (`cooldown_days`, default 30, or 0 for a schedule, whose
    /// cadence is its own; 0: every occurrence).
    pub cooldown_days: u32,
}

/// What makes a playbook fire for a subject (an account, or a user).
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A user enters the category (was in another one the day before).
    CategoryEntered(Category),
    /// An account's health band changes: to `to`, from `from` (either may
    /// be left open).
    BandChanged {
        from: Option<String>,
        to: Option<String>,
    },
    /// A propensity score crosses a threshold upwards (`above`) or
    /// downwards (`below`).
    ScoreCrossed {
        model: String,
        threshold: f64,
        upwards: bool,
    },
    /// An alert opens (of this kind, or any).
    AlertOpened { kind: Option<String> },
    /// A seat stays pending (assigned, never used) this many days.
    SeatsPending { days: u32 },
    /// A user reaches the level.
    LevelReached { level: String },
    /// A digest: every day, or every week on a weekday (0 = Monday).
    Schedule { weekday: Option<u32> },
}

/// Which subjects a playbook may act on. Empty lists admit everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub plans: Vec<String>,
    pub owners: Vec<String>,
    pub mrr_min: Option<f64>,
    pub mrr_max: Option<f64>,
    /// The account renews within this many days.
    pub renewal_within_days: Option<u32>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
}

/// Who an email goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    /// The subject user (user triggers only).
    User,
    /// The account's CSM (`csm_owner`, an address).
    Csm,
    Address(String),
}

/// What a playbook does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A signed JSON POST (or a Slack-compatible message).
    Webhook {
        url: String,
        secret: String,
        slack: bool,
    },
    Email {
        to: Recipient,
        template: String,
    },
    /// A message the product shows the user (`GET /v1/messages`).
    InApp {
        template: String,
    },
    /// A task for the account's CSM.
    Task {
        title: String,
    },
    /// Sets a trait on the subject account or user.
    SetTrait {
        on_account: bool,
        name: String,
        value: serde_json::Value,
    },
}

const BANDS: [&str; 3] = ["red", "yellow", "green"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlaybookFile {
    name: String,
    trigger: TriggerFile,
    #[serde(default)]
    filters: FiltersFile,
    #[serde(default)]
    actions: Vec<ActionFile>,
    cooldown_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
enum TriggerFile {
    CategoryEntered {
        category: String,
    },
    BandChanged {
        from: Option<String>,
        to: Option<String>,
    },
    ScoreCrossed {
        model: String,
        above: Option<f64>,
        below: Option<f64>,
    },
    AlertOpened {
        kind: Option<String>,
    },
    SeatsPending {
        days: u32,
    },
    LevelReached {
        level: String,
    },
    Schedule {
        every: String,
        weekday: Option<String>,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FiltersFile {
    #[serde(default)]
    plans: Vec<String>,
    #[serde(default)]
    owners: Vec<String>,
    mrr_min: Option<f64>,
    mrr_max: Option<f64>,
    renewal_within_days: Option<u32>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ActionFile {
    Webhook {
        url: String,
        secret: String,
        #[serde(default)]
        slack: bool,
    },
    Email {
        to: String,
        template: String,
    },
    InApp {
        template: String,
    },
    Task {
        title: String,
    },
    SetTrait {
        on: String,
        name: String,
        value: toml::Value,
    },
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn one_of(key: &str, value: &str, allowed: &[&str]) -> Result<String, String> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(format!(
            "{key}: {value:?} is not one of {}",
            allowed.join(", ")
        ))
    }
}

impl TriggerFile {
    fn build(self) -> Result<Trigger, String> {
        Ok(match self {
            Self::CategoryEntered { category } => Trigger::CategoryEntered(
                Category::ALL
                    .into_iter()
                    .find(|c| c.as_str() == category)
                    .ok_or_else(|| {
                        format!(
                            "trigger.category: {category:?} is not one of engaging, interacting, consuming, dormant"
                        )
                    })?,
            ),
            Self::BandChanged { from, to } => Trigger::BandChanged {
                from: from.map(|b| one_of("trigger.from", &b, &BANDS)).transpose()?,
                to: to.map(|b| one_of("trigger.to", &b, &BANDS)).transpose()?,
            },
            Self::ScoreCrossed {
                model,
                above,
                below,
            } => {
                let models: Vec<&str> = crate::models::MODELS.iter().map(|m| m.name).collect();
                let model = one_of("trigger.model", &model, &models)?;
                let (threshold, upwards) = match (above, below) {
                    (Some(t), None) => (t, true),
                    (None, Some(t)) => (t, false),
                    _ => return Err("trigger: give one of above or below".into()),
                };
                if !(0.0..=1.0).contains(&threshold) {
                    return Err(format!("trigger: the threshold {threshold} is outside 0 to 1"));
                }
                Trigger::ScoreCrossed {
                    model,
                    threshold,
                    upwards,
                }
            }
            Self::AlertOpened { kind } => Trigger::AlertOpened {
                kind: kind
                    .map(|k| one_of("trigger.kind", &k, &crate::alerts::KINDS))
                    .transpose()?,
            },
            Self::SeatsPending { days } => {
                if days == 0 {
                    return Err("trigger.days: must be above 0".into());
                }
                Trigger::SeatsPending { days }
            }
            Self::LevelReached { level } => Trigger::LevelReached {
                level: one_of("trigger.level", &level, &crate::rules::LEVELS)?,
            },
            Self::Schedule { every, weekday } => match (every.as_str(), weekday) {
                ("daily", None) => Trigger::Schedule { weekday: None },
                ("weekly", day) => {
                    let day = day.unwrap_or_else(|| "monday".into());
                    let i = WEEKDAYS.iter().position(|d| *d == day).ok_or_else(|| {
                        format!("trigger.weekday: {day:?} is not a weekday like monday")
                    })?;
                    Trigger::Schedule {
                        weekday: Some(i as u32),
                    }
                }
                ("daily", Some(_)) => {
                    return Err("trigger.weekday: only for every = \"weekly\"".into());
                }
                (other, _) => {
                    return Err(format!("trigger.every: {other:?} is not daily or weekly"));
                }
            },
        })
    }
}

impl Trigger {
    /// The trigger's name as written (`on`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::CategoryEntered(_) => "category_entered",
            Self::BandChanged { .. } => "band_changed",
            Self::ScoreCrossed { .. } => "score_crossed",
            Self::AlertOpened { .. } => "alert_opened",
            Self::SeatsPending { .. } => "seats_pending",
            Self::LevelReached { .. } => "level_reached",
            Self::Schedule { .. } => "schedule",
        }
    }

    /// Whether its subject is a user (else an account).
    pub fn about_users(&self) -> bool {
        matches!(
            self,
            Self::CategoryEntered(_) | Self::LevelReached { .. } | Self::SeatsPending { .. }
        )
    }
}

impl std::fmt::Display for Trigger {
    /// The trigger in words, for the dashboard and the API.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CategoryEntered(c) => write!(f, "a user becomes {}", c.as_str()),
            Self::BandChanged { from, to } => {
                write!(f, "an account's health band changes")?;
                if let Some(from) = from {
                    write!(f, " from {from}")?;
                }
                if let Some(to) = to {
                    write!(f, " to {to}")?;
                }
                Ok(())
            }
            Self::ScoreCrossed {
                model,
                threshold,
                upwards,
            } => write!(
                f,
                "the {model} score {} {threshold}",
                if *upwards {
                    "rises above"
                } else {
                    "falls below"
                }
            ),
            Self::AlertOpened { kind: Some(k) } => write!(f, "a {k} alert opens"),
            Self::AlertOpened { kind: None } => write!(f, "an alert opens"),
            Self::SeatsPending { days } => {
                write!(f, "a seat stays unused {days} days after it is assigned")
            }
            Self::LevelReached { level } => write!(f, "a user reaches {level}"),
            Self::Schedule { weekday: None } => write!(f, "every day, per live account"),
            Self::Schedule { weekday: Some(d) } => write!(
                f,
                "every {}, per live account",
                WEEKDAYS[*d as usize % WEEKDAYS.len()]
            ),
        }
    }
}

impl Filters {
    /// Each filter in words ("plan is pro or team"); empty when the
    /// playbook takes every subject.
    pub fn describe(&self) -> Vec<String> {
        let list = |what: &str, v: &[String]| {
            (!v.is_empty()).then(|| format!("{what} is {}", v.join(" or ")))
        };
        [
            list("plan", &self.plans),
            list("owner", &self.owners),
            self.mrr_min.map(|m| format!("mrr at least {m}")),
            self.mrr_max.map(|m| format!("mrr at most {m}")),
            self.renewal_within_days
                .map(|d| format!("renews within {d} days")),
            list("group", &self.groups),
            list("role", &self.roles),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl std::fmt::Display for Action {
    /// The action in words; a webhook's secret is never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Webhook { url, slack, .. } => {
                write!(f, "webhook to {url}")?;
                if *slack {
                    write!(f, " (Slack message)")?;
                }
                Ok(())
            }
            Self::Email { to, template } => {
                let to = match to {
                    Recipient::User => "the user",
                    Recipient::Csm => "the account's CSM",
                    Recipient::Address(a) => a,
                };
                write!(f, "email {to} ({template})")
            }
            Self::InApp { template } => write!(f, "in-app message ({template})"),
            Self::Task { title } => write!(f, "task for the CSM: {title}"),
            Self::SetTrait {
                on_account,
                name,
                value,
            } => write!(
                f,
                "set {} trait {name} = {value}",
                if *on_account {
                    "the account's"
                } else {
                    "the user's"
                }
            ),
        }
    }
}

impl Action {
    /// The channel it goes out on ([`crate::delivery::CHANNELS`]).
    pub fn channel(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "webhook",
            Self::Email { .. } => "email",
            Self::InApp { .. } => "in_app",
            Self::Task { .. } => "task",
            Self::SetTrait { .. } => "set_trait",
        }
    }

    /// Whether it needs a user subject.
    fn needs_user(&self) -> bool {
        matches!(
            self,
            Self::Email {
                to: Recipient::User,
                ..
            } | Self::InApp { .. }
                | Self::SetTrait {
                    on_account: false,
                    ..
                }
        )
    }
}

impl ActionFile {
    fn build(self, i: usize, templates: &Templates) -> Result<Action, String> {
        let key = |k: &str| format!("actions[{i}].{k}");
        let template = |t: String| {
            if templates.has(&t) {
                Ok(t)
            } else {
                Err(format!(
                    "{}: {t:?} is not one of {}",
                    key("template"),
                    templates.names().join(", ")
                ))
            }
        };
        Ok(match self {
            Self::Webhook { url, secret, slack } => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!("{}: {url:?} is not an http(s) URL", key("url")));
                }
                if secret.len() < 16 {
                    return Err(format!("{}: at least 16 characters", key("secret")));
                }
                Action::Webhook { url, secret, slack }
            }
            Self::Email { to, template: t } => Action::Email {
                to: match to.as_str() {
                    "user" => Recipient::User,
                    "csm" => Recipient::Csm,
                    address if address.contains('@') => Recipient::Address(address.into()),
                    other => {
                        return Err(format!(
                            "{}: {other:?} is not user, csm or an address",
                            key("to")
                        ));
                    }
                },
                template: template(t)?,
            },
            Self::InApp { template: t } => Action::InApp {
                template: template(t)?,
            },
            Self::Task { title } => {
                if title.trim().is_empty() {
                    return Err(format!("{}: must not be empty", key("title")));
                }
                Action::Task { title }
            }
            Self::SetTrait { on, name, value } => Action::SetTrait {
                on_account: one_of(&key("on"), &on, &["account", "user"])? == "account",
                name: if name.trim().is_empty() {
                    return Err(format!("{}: must not be empty", key("name")));
                } else {
                    name
                },
                value: serde_json::to_value(value).map_err(|e| format!("{}: {e}", key("value")))?,
            },
        })
    }
}

impl PlaybookFile {
    fn build(self, templates: &Templates, smtp: bool) -> Result<Playbook, String> {
        let name = self.name;
        let at = |e: String| format!("playbook {name:?}: {e}");
        if name.trim().is_empty() {
            return Err("playbooks: a playbook needs a name".into());
        }
        if self.actions.is_empty() {
            return Err(at("no actions".into()));
        }
        let trigger = self.trigger.build().map_err(at)?;
        let f = self.filters;
        if let (Some(lo), Some(hi)) = (f.mrr_min, f.mrr_max)
            && lo > hi
        {
            return Err(at("filters.mrr_min is above filters.mrr_max".into()));
        }
        let actions: Vec<Action> = self
            .actions
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.build(i, templates))
            .collect::<Result<_, _>>()
            .map_err(at)?;
        let on = trigger.name();
        if !trigger.about_users() {
            if let Some(i) = actions.iter().position(Action::needs_user) {
                return Err(at(format!(
                    "actions[{i}]: needs a user, and {on} is about an account \
                     (user triggers: category_entered, level_reached, seats_pending)"
                )));
            }
            if !f.groups.is_empty() || !f.roles.is_empty() {
                return Err(at(format!(
                    "filters.groups and filters.roles need a user trigger, and {on} is about an account"
                )));
            }
        }
        if !smtp
            && let Some(i) = actions
                .iter()
                .position(|a| matches!(a, Action::Email { .. }))
        {
            return Err(at(format!(
                "actions[{i}]: email needs [delivery.smtp] (host, from)"
            )));
        }
        let cooldown_days = self.cooldown_days.unwrap_or(match trigger {
            Trigger::Schedule { .. } => 0,
            _ => 30,
        });
        Ok(Playbook {
            trigger,
            filters: Filters {
                plans: f.plans,
                owners: f.owners,
                mrr_min: f.mrr_min,
                mrr_max: f.mrr_max,
                renewal_within_days: f.renewal_within_days,
                groups: f.groups,
                roles: f.roles,
            },
            actions,
            cooldown_days,
            name,
        })
    }
}

/// `[[playbooks]]`, checked: every playbook valid, names unique.
pub(crate) fn build(
    files: Vec<PlaybookFile>,
    templates: &Templates,
    smtp: bool,
) -> Result<Vec<Playbook>, String> {
    let mut out: Vec<Playbook> = Vec::new();
    for file in files {
        let playbook = file.build(templates, smtp)?;
        if out.iter().any(|p| p.name == playbook.name) {
            return Err(format!(
                "playbooks: the name {:?} is used twice",
                playbook.name
            ));
        }
        out.push(playbook);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides};

    fn load(text: &str) -> Result<Vec<Playbook>, String> {
        Config::from_toml(text, Overrides::default())
            .map(|c| c.playbooks)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn playbooks_are_read() {
        let p = load(
            r#"
[delivery.smtp]
host = "127.0.0.1"
from = "tenure@example.com"

[[playbooks]]
name = "dormant refresher"
trigger = { on = "category_entered", category = "dormant" }
cooldown_days = 14
filters = { plans = ["pro"], mrr_min = 100.0, renewal_within_days = 90 }
actions = [
  { type = "email", to = "user", template = "training" },
  { type = "webhook", url = "http://127.0.0.1:9/hook", secret = "0123456789abcdef", slack = true },
  { type = "set_trait", on = "user", name = "nudged", value = true },
]

[[playbooks]]
name = "weekly digest"
trigger = { on = "schedule", every = "weekly", weekday = "friday" }
actions = [{ type = "task", title = "Read the digest" }]
"#,
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].trigger, Trigger::CategoryEntered(Category::Dormant));
        // In words, as the dashboard and the API show them (no secret).
        assert_eq!(p[0].trigger.to_string(), "a user becomes dormant");
        assert_eq!(
            p[0].filters.describe(),
            ["plan is pro", "mrr at least 100", "renews within 90 days"]
        );
        let actions: Vec<String> = p[0].actions.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            actions,
            [
                "email the user (training)",
                "webhook to http://127.0.0.1:9/hook (Slack message)",
                "set the user's trait nudged = true"
            ]
        );
        assert_eq!(p[1].trigger.to_string(), "every friday, per live account");
        assert_eq!(p[0].cooldown_days, 14);
        assert_eq!(p[0].filters.plans, ["pro"]);
        assert_eq!(p[0].filters.renewal_within_days, Some(90));
        assert_eq!(
            p[0].actions[0],
            Action::Email {
                to: Recipient::User,
                template: "training".into()
            }
        );
        assert!(matches!(
            p[0].actions[1],
            Action::Webhook { slack: true, .. }
        ));
        assert_eq!(
            p[0].actions[2],
            Action::SetTrait {
                on_account: false,
                name: "nudged".into(),
                value: serde_json::json!(true)
            }
        );
        assert_eq!(p[1].trigger, Trigger::Schedule { weekday: Some(4) });
        // A digest's cadence is its own: no cooldown unless one is set.
        assert_eq!(p[1].cooldown_days, 0);
        assert!(load("").unwrap().is_empty());
    }

    #[test]
    fn mistakes_name_the_playbook_and_the_key() {
        let one = |trigger: &str, action: &str| {
            load(&format!(
                "[[playbooks]]\nname = \"p\"\ntrigger = {trigger}\nactions = [{action}]\n"
            ))
            .unwrap_err()
        };
        let task = r#"{ type = "task", title = "t" }"#;
        for (trigger, action, says) in [
            (
                r#"{ on = "category_entered", category = "sleepy" }"#,
                task,
                "trigger.category",
            ),
            (
                r#"{ on = "band_changed", to = "purple" }"#,
                task,
                "trigger.to",
            ),
            (
                r#"{ on = "score_crossed", model = "churn" }"#,
                task,
                "above or below",
            ),
            (
                r#"{ on = "score_crossed", model = "churn", above = 1.5 }"#,
                task,
                "outside 0 to 1",
            ),
            (
                r#"{ on = "score_crossed", model = "luck", above = 0.5 }"#,
                task,
                "trigger.model",
            ),
            (
                r#"{ on = "alert_opened", kind = "fire" }"#,
                task,
                "trigger.kind",
            ),
            (
                r#"{ on = "seats_pending", days = 0 }"#,
                task,
                "trigger.days",
            ),
            (
                r#"{ on = "level_reached", level = "guru" }"#,
                task,
                "trigger.level",
            ),
            (
                r#"{ on = "schedule", every = "hourly" }"#,
                task,
                "trigger.every",
            ),
            (
                r#"{ on = "schedule", every = "weekly", weekday = "funday" }"#,
                task,
                "trigger.weekday",
            ),
            (r#"{ on = "moon_phase" }"#, task, "moon_phase"),
            (
                r#"{ on = "seats_pending", days = 7, colour = 1 }"#,
                task,
                "colour",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "webhook", url = "ftp://x", secret = "0123456789abcdef" }"#,
                "actions[0].url",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "webhook", url = "http://x", secret = "short" }"#,
                "actions[0].secret",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "email", to = "boss", template = "training" }"#,
                "actions[0].to",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "in_app", template = "poem" }"#,
                "actions[0].template",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "task", title = " " }"#,
                "actions[0].title",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "set_trait", on = "group", name = "x", value = 1 }"#,
                "actions[0].on",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "fax" }"#,
                "fax",
            ),
            (
                r#"{ on = "seats_pending", days = 7 }"#,
                r#"{ type = "email", to = "user", template = "licence" }"#,
                "email needs [delivery.smtp]",
            ),
            (
                r#"{ on = "band_changed", to = "red" }"#,
                r#"{ type = "in_app", template = "training" }"#,
                "actions[0]: needs a user, and band_changed is about an account",
            ),
            (
                r#"{ on = "alert_opened" }"#,
                r#"{ type = "set_trait", on = "user", name = "x", value = 1 }"#,
                "needs a user",
            ),
        ] {
            let e = one(trigger, action);
            assert!(e.contains(says), "{trigger} {action}: {e}");
        }
        let none =
            load("[[playbooks]]\nname = \"p\"\ntrigger = { on = \"seats_pending\", days = 7 }\n")
                .unwrap_err();
        assert!(none.contains("playbook \"p\": no actions"), "{none}");
        let twice = load(
            "[[playbooks]]\nname = \"p\"\ntrigger = { on = \"seats_pending\", days = 7 }\nactions = [{ type = \"task\", title = \"t\" }]\n\
             [[playbooks]]\nname = \"p\"\ntrigger = { on = \"seats_pending\", days = 8 }\nactions = [{ type = \"task\", title = \"t\" }]\n",
        )
        .unwrap_err();
        assert!(twice.contains("used twice"), "{twice}");
        let roles = load(
            "[[playbooks]]\nname = \"p\"\ntrigger = { on = \"alert_opened\" }\nfilters = { roles = [\"admin\"] }\nactions = [{ type = \"task\", title = \"t\" }]\n",
        )
        .unwrap_err();
        assert!(
            roles.contains("filters.groups and filters.roles need a user trigger"),
            "{roles}"
        );
        // A template of the config's own is accepted by name.
        let custom = load(
            "[templates.renewal]\nsubject = \"s\"\nbody = \"b\"\n\
             [[playbooks]]\nname = \"p\"\ntrigger = { on = \"seats_pending\", days = 7 }\nactions = [{ type = \"in_app\", template = \"renewal\" }]\n",
        )
        .unwrap();
        assert_eq!(
            custom[0].actions[0],
            Action::InApp {
                template: "renewal".into()
            }
        );
    }
}
