//! What the propensity models read: each live account's and licensed
//! user's features as of a day (a [`Snapshot`]), from the same rollups the
//! health score reads, and the lifecycle and NPS history their labels come
//! from ([`History`]).

use crate::ReportError;
use crate::health::{DayInputs, Health, Inputs};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
use tenure_core::ActivityKind;
use tenure_core::report::{Category, Period, ReportsConfig, days_before};
use tenure_store::{Scope, Store, UserActivity};

/// How a feature's value is shown in a score's reasons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Shown {
    /// A share, shown as a percent.
    Share,
    /// `ln(1 + n)`, shown as n.
    Count,
    /// `ln(a / b)`, shown as a change in percent.
    Change,
    /// As it is.
    Plain,
}

pub(crate) struct Feature {
    pub name: &'static str,
    pub shown: Shown,
}

const fn f(name: &'static str, shown: Shown) -> Feature {
    Feature { name, shown }
}

/// An account's features (docs/models.md says what each is).
pub(crate) const ACCOUNT: [Feature; 17] = [
    f("active_share", Shown::Share),
    f("engaging_share", Shown::Share),
    f("activation", Shown::Share),
    f("key_features", Shown::Share),
    f("events_per_user", Shown::Count),
    f("trend", Shown::Change),
    f("last_week", Shown::Change),
    f("users", Shown::Count),
    f("seat_use", Shown::Share),
    f("age_days", Shown::Count),
    f("mrr", Shown::Count),
    f("sentiment", Shown::Plain),
    f("nps", Shown::Plain),
    f("nps_answered", Shown::Plain),
    f("errors_per_user", Shown::Count),
    f("downgraded", Shown::Plain),
    f("health", Shown::Share),
];

/// Where [`ACCOUNT`] has the features users and heuristics read.
pub(crate) const ACTIVE: usize = 0;
pub(crate) const TREND: usize = 5;
pub(crate) const AGE: usize = 9;
pub(crate) const HEALTH: usize = 16;
/// Where [`USER`] has the user's last NPS answer, and whether there is one.
pub(crate) const NPS_LAST: usize = 7;
pub(crate) const NPS_ANSWERED: usize = 8;

/// A user's features; the last four are their account's.
pub(crate) const USER: [Feature; 13] = [
    f("platform_events", Shown::Count),
    f("engaging", Shown::Plain),
    f("interacting", Shown::Plain),
    f("consuming", Shown::Plain),
    f("inactive_days", Shown::Count),
    f("seat_days", Shown::Count),
    f("social", Shown::Count),
    f("nps_last", Shown::Plain),
    f("nps_answered", Shown::Plain),
    f("account_age_days", Shown::Count),
    f("account_active_share", Shown::Share),
    f("account_trend", Shown::Change),
    f("account_health", Shown::Share),
];

/// A feature's value as a reason shows it.
pub(crate) fn show(feature: &Feature, x: f64) -> String {
    match feature.shown {
        Shown::Share => format!("{}%", (x * 100.0).round()),
        Shown::Count => format!("{}", x.exp_m1().round()),
        Shown::Change => format!("{:+}%", (x.exp_m1() * 100.0).round()),
        Shown::Plain => format!("{}", (x * 100.0).round() / 100.0),
    }
}

/// The lifecycle events and NPS answers of the whole history, read once.
#[derive(Debug, Default)]
pub(crate) struct History {
    /// Per account, the days of the label and downgrade events, sorted.
    pub events: HashMap<String, Vec<(NaiveDate, String)>>,
    /// Per account and per user, NPS answers (day, score), sorted by day.
    pub account_nps: HashMap<String, Vec<(NaiveDate, f64)>>,
    pub user_nps: HashMap<String, Vec<(NaiveDate, f64)>>,
}

impl History {
    pub(crate) fn load(
        store: &dyn Store,
        config: &ReportsConfig,
        to: NaiveDate,
    ) -> Result<Self, ReportError> {
        let m = &config.models;
        let all = Period {
            from: NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN),
            to,
        };
        let names = [
            &m.churn_event,
            &m.upgrade_event,
            &m.conversion_event,
            &m.downgrade_event,
        ]
        .map(|s| s.to_string());
        let mut history = Self::default();
        for e in store.event_days(all, &names)? {
            if let Some(account) = e.account_id {
                let days = history.events.entry(account).or_default();
                days.push((e.day, e.event));
            }
        }
        for f in store.feedback(all, &Scope::default())? {
            let Some(score) = f.score.filter(|_| f.event == "NPS Submitted") else {
                continue;
            };
            if let Some(a) = f.account_id {
                history
                    .account_nps
                    .entry(a)
                    .or_default()
                    .push((f.day, score));
            }
            if let Some(u) = f.user_id {
                history.user_nps.entry(u).or_default().push((f.day, score));
            }
        }
        for days in history.events.values_mut() {
            days.sort();
        }
        Ok(history)
    }

    /// Whether `account` had `event` in the `days` days after `day`.
    pub(crate) fn had(&self, account: &str, event: &str, day: NaiveDate, days: u32) -> bool {
        let end = day + chrono::Days::new(u64::from(days));
        self.events
            .get(account)
            .is_some_and(|v| v.iter().any(|(d, e)| *d > day && *d <= end && e == event))
    }

    /// Whether `account` had `event` in the `days` days up to `day`.
    fn had_before(&self, account: &str, event: &str, day: NaiveDate, days: u64) -> bool {
        let from = days_before(day, days - 1);
        self.events
            .get(account)
            .is_some_and(|v| v.iter().any(|(d, e)| *d >= from && *d <= day && e == event))
    }
}

/// The scores in `answers` (sorted by day) in the `days` days up to `day`.
fn answers_up_to(answers: Option<&Vec<(NaiveDate, f64)>>, day: NaiveDate, days: u64) -> Vec<f64> {
    let from = days_before(day, days - 1);
    answers.map_or_else(Vec::new, |v| {
        v.iter()
            .filter(|(d, _)| *d >= from && *d <= day)
            .map(|(_, s)| *s)
            .collect()
    })
}

#[derive(Debug, Clone)]
pub(crate) struct AccountRow {
    pub id: String,
    pub trial: bool,
    pub health: f64,
    pub x: Vec<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    pub id: String,
    /// Index of the account in [`Snapshot::accounts`].
    pub account: usize,
    /// The user's category in the 30 days (the heuristics read it).
    pub category: Category,
    pub x: Vec<f64>,
}

/// Every live account and the chosen licensed users as of a day.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub day: NaiveDate,
    pub accounts: Vec<AccountRow>,
    pub users: Vec<UserRow>,
}

impl Snapshot {
    /// The features as of `day` of every live account, and of the
    /// licensed users `keep` admits (given the user and their account).
    pub(crate) fn take(
        store: &dyn Store,
        config: &ReportsConfig,
        history: &History,
        day: NaiveDate,
        keep: &dyn Fn(&UserActivity, &AccountRow) -> bool,
    ) -> Result<Self, ReportError> {
        let request = crate::Request::day(config, day);
        let inputs = DayInputs::take(store, &request, day)?;
        Self::from_inputs(store, config, history, day, &inputs, keep)
    }

    /// The same from the day's health inputs, read over every account.
    pub(crate) fn from_inputs(
        store: &dyn Store,
        config: &ReportsConfig,
        history: &History,
        day: NaiveDate,
        day_inputs: &DayInputs,
        keep: &dyn Fn(&UserActivity, &AccountRow) -> bool,
    ) -> Result<Self, ReportError> {
        let DayInputs {
            accounts,
            users,
            inputs,
        } = day_inputs;
        let mut last_week: HashMap<String, u64> = HashMap::new();
        for e in store.account_events(Period::ending(day, 7), &Scope::default())? {
            if ActivityKind::PLATFORM.iter().any(|k| k.as_str() == e.kind) {
                *last_week.entry(e.account_id).or_default() += e.events;
            }
        }
        let mut rows = Vec::with_capacity(inputs.len());
        let mut index = HashMap::with_capacity(inputs.len());
        for a in accounts.iter().filter(|a| !a.archived) {
            let Some((i, onboarding)) = inputs.get(&a.account_id) else {
                continue;
            };
            let h = Health::of(&config.health, i, *onboarding);
            let week = last_week.get(&a.account_id).copied().unwrap_or(0);
            let x = account_features(config, history, a, i, h.score, week, day);
            index.insert(a.account_id.clone(), rows.len());
            rows.push(AccountRow {
                id: a.account_id.clone(),
                trial: a.plan.as_deref() == Some(config.models.trial_plan.as_str()),
                health: h.score,
                x,
            });
        }
        let mut kept = Vec::new();
        for u in users {
            let Some(&ai) = u.account_id.as_ref().and_then(|a| index.get(a)) else {
                continue;
            };
            if !u.licensed || !keep(u, &rows[ai]) {
                continue;
            }
            let category = config.category(&u.counts);
            let x = user_features(history, u, category, &rows[ai], day);
            kept.push(UserRow {
                id: u.user_id.clone(),
                account: ai,
                category,
                x,
            });
        }
        Ok(Self {
            day,
            accounts: rows,
            users: kept,
        })
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn ln1p(x: f64) -> f64 {
    x.max(0.0).ln_1p()
}

fn days_since(day: NaiveDate, then: Option<NaiveDate>) -> f64 {
    then.map_or(0.0, |t| (day - t).num_days().max(0) as f64)
}

fn account_features(
    config: &ReportsConfig,
    history: &History,
    a: &tenure_store::AccountAt,
    i: &Inputs,
    health: f64,
    last_week: u64,
    day: NaiveDate,
) -> Vec<f64> {
    let nps = answers_up_to(history.account_nps.get(&a.account_id), day, 90);
    let per_user = |n: u64| ln1p(n as f64 / i.licensed.max(1) as f64);
    let seat_use = match a.seats_purchased {
        Some(s) if s > 0 => (i.licensed as f64 / s as f64).min(2.0),
        _ => 1.0,
    };
    let keys = config.health.key_features.len() as u64;
    vec![
        share(i.active, i.licensed),
        share(i.engaging, i.licensed),
        share(i.activated, i.licensed),
        share(i.features_used, keys),
        per_user(i.platform_now),
        ((1.0 + i.platform_now as f64) / (1.0 + i.platform_before as f64)).ln(),
        ((1.0 + last_week as f64) / (1.0 + i.platform_now as f64 * 7.0 / 30.0)).ln(),
        ln1p(i.licensed as f64),
        seat_use,
        ln1p(days_since(day, a.created_at.map(|t| t.date_naive()))),
        ln1p(a.mrr.unwrap_or(0.0)),
        i.sentiment.unwrap_or(0.0),
        if nps.is_empty() {
            0.0
        } else {
            nps.iter().sum::<f64>() / nps.len() as f64 - 7.0
        },
        f64::from(u8::from(!nps.is_empty())),
        per_user(i.errors),
        f64::from(u8::from(history.had_before(
            &a.account_id,
            &config.models.downgrade_event,
            day,
            90,
        ))),
        health / 100.0,
    ]
}

fn user_features(
    history: &History,
    u: &UserActivity,
    category: Category,
    account: &AccountRow,
    day: NaiveDate,
) -> Vec<f64> {
    let nps = answers_up_to(history.user_nps.get(&u.user_id), day, 365);
    let inactive = u
        .last_active_at
        .map_or(366.0, |t| days_since(day, Some(t.date_naive())).min(366.0));
    let seat = u.seat_assigned_at.map(|t| t.date_naive());
    vec![
        ln1p(u.counts.platform() as f64),
        f64::from(u8::from(category == Category::Engaging)),
        f64::from(u8::from(category == Category::Interacting)),
        f64::from(u8::from(category == Category::Consuming)),
        ln1p(inactive),
        ln1p(days_since(day, seat)),
        ln1p(u.counts.social() as f64),
        nps.last().map_or(0.0, |s| s - 7.0),
        f64::from(u8::from(!nps.is_empty())),
        account.x[AGE],
        account.x[ACTIVE],
        account.x[TREND],
        account.x[HEALTH],
    ]
}

/// Snapshots by day, taken once each.
pub(crate) type Snapshots = BTreeMap<NaiveDate, Snapshot>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_the_ones_the_config_names() {
        assert_eq!(
            ACCOUNT.map(|f| f.name),
            tenure_core::models::ACCOUNT_FEATURES
        );
        assert_eq!(USER.map(|f| f.name), tenure_core::models::USER_FEATURES);
    }

    #[test]
    fn indexes_name_the_features_they_read() {
        let at = |i: usize| ACCOUNT[i].name;
        assert_eq!(
            [at(ACTIVE), at(TREND), at(AGE), at(HEALTH)],
            ["active_share", "trend", "age_days", "health"]
        );
        assert_eq!(
            [USER[NPS_LAST].name, USER[NPS_ANSWERED].name],
            ["nps_last", "nps_answered"]
        );
    }

    #[test]
    fn reasons_show_values_in_their_units() {
        let by = |name: &str| ACCOUNT.iter().find(|f| f.name == name).unwrap();
        assert_eq!(show(by("active_share"), 0.354), "35%");
        assert_eq!(show(by("users"), 11f64.ln()), "10");
        assert_eq!(show(by("trend"), 0.5f64.ln()), "-50%");
        assert_eq!(show(by("nps"), -2.25), "-2.25");
    }
}
