//! The playbooks' email and in-app message templates: a subject and a
//! plain-text body each, in Jinja syntax (minijinja). Four are built in,
//! written from the engagement categories' advice; `[templates.NAME]` in
//! `tenure.toml` adds more or replaces a built-in one. Every template is
//! compiled when the config is read, so a mistake stops start-up.
//!
//! A template sees `user` (`id`, `email`), `account` (`id`, `name`,
//! `plan`, `csm_owner`), `playbook`, `trigger`, `summary` (what occurred,
//! in words) and `data` (the trigger's details).

use serde::Deserialize;
use std::collections::BTreeMap;

/// A message template: its subject and body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

const SIGN_OFF: &str = "\n\n-- \nSent by Tenure for {{ account.name or account.id or 'your team' }}.{% if account.csm_owner %} Questions? Write to {{ account.csm_owner }}.{% endif %}\n";

/// The built-in templates: (name, subject, body without the sign-off).
const BUILT_IN: [(&str, &str, &str); 4] = [
    (
        "training",
        "Get more from your alerts: a short refresher",
        "Hello{% if user.email %} {{ user.email }}{% endif %},\n\n\
         You receive our alerts and digests, but you have not yet acted on one from inside the platform. \
         A 30-minute refresher webinar shows how to open an alert, research the company behind it and act \
         on it straight from the email.\n\n\
         Reply to this message and we will book you onto the next session.",
    ),
    (
        "sharing",
        "Share what you find with your colleagues",
        "Hello{% if user.email %} {{ user.email }}{% endif %},\n\n\
         You research and keep your lists up to date: your colleagues would benefit from what you find. \
         Use Share on any company or profile to send it by email, LinkedIn or Twitter, and send a message \
         when you spot an opportunity. Your team's champions can show you how they do it.",
    ),
    (
        "licence",
        "Your licence is waiting for you",
        "Hello{% if user.email %} {{ user.email }}{% endif %},\n\n\
         A licence of the platform is assigned to you, and it has not been used lately. \
         If you have not signed in before, your onboarding guide takes ten minutes. \
         If you no longer need the licence, or have moved on, let us know so it can go to a colleague.",
    ),
    (
        "champion",
        "Become a champion for your team",
        "Hello{% if user.email %} {{ user.email }}{% endif %},\n\n\
         You are one of the most engaged users of the platform in your company: you research, you share \
         and you reach out. Would you share your best practice as an internal champion? We will support \
         you with material and a short session for your colleagues.",
    ),
];

/// The names of the built-in templates.
pub const BUILT_IN_NAMES: [&str; 4] = ["training", "sharing", "licence", "champion"];

/// The built-in templates and `[templates.NAME]`, compiled.
#[derive(Debug, Clone)]
pub struct Templates {
    env: minijinja::Environment<'static>,
    names: Vec<String>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new(BTreeMap::new()).expect("the built-in templates compile")
    }
}

impl Templates {
    /// The built-in templates, with `custom` added (a custom template of a
    /// built-in name replaces it). An error names the template.
    pub fn new(custom: BTreeMap<String, Template>) -> Result<Self, String> {
        let mut all: BTreeMap<String, Template> = BUILT_IN
            .iter()
            .map(|(name, subject, body)| {
                (
                    name.to_string(),
                    Template {
                        subject: subject.to_string(),
                        body: format!("{body}{SIGN_OFF}"),
                    },
                )
            })
            .collect();
        all.extend(custom);
        let mut env = minijinja::Environment::new();
        // Plain text: nothing is escaped. A missing value renders empty, so
        // optional fields (an email, a CSM) can be tested with `if`.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, t) in &all {
            if name.trim().is_empty() {
                return Err("templates: a template needs a name".into());
            }
            env.add_template_owned(format!("{name}.subject"), t.subject.clone())
                .map_err(|e| format!("templates.{name}.subject: {e}"))?;
            env.add_template_owned(format!("{name}.body"), t.body.clone())
                .map_err(|e| format!("templates.{name}.body: {e}"))?;
        }
        Ok(Self {
            env,
            names: all.into_keys().collect(),
        })
    }

    /// Whether a template of this name exists.
    pub fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Renders template `name` with `context` (see the module's notes).
    pub fn render(&self, name: &str, context: &serde_json::Value) -> Result<Rendered, String> {
        let one = |part: &str| -> Result<String, String> {
            self.env
                .get_template(&format!("{name}.{part}"))
                .and_then(|t| t.render(context))
                .map_err(|e| format!("template {name}.{part}: {e}"))
        };
        Ok(Rendered {
            subject: one("subject")?.trim().to_string(),
            body: one("body")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn built_in_templates_render_with_the_subject_and_account() {
        let t = Templates::default();
        for name in BUILT_IN_NAMES {
            assert!(t.has(name));
        }
        let m = t
            .render(
                "licence",
                &json!({
                    "user": {"id": "usr-1", "email": "ann@acme.test"},
                    "account": {"id": "acme", "name": "Acme", "csm_owner": "cs@tenure.test"},
                }),
            )
            .unwrap();
        assert_eq!(m.subject, "Your licence is waiting for you");
        assert!(m.body.starts_with("Hello ann@acme.test,"), "{}", m.body);
        assert!(m.body.contains("Sent by Tenure for Acme."), "{}", m.body);
        assert!(m.body.contains("Write to cs@tenure.test"), "{}", m.body);
        // Without an email or a CSM, the text still reads.
        let bare = t
            .render(
                "champion",
                &json!({"user": {"id": "u"}, "account": {"id": "a"}}),
            )
            .unwrap();
        assert!(bare.body.starts_with("Hello,"), "{}", bare.body);
        assert!(!bare.body.contains("Write to"), "{}", bare.body);
    }

    #[test]
    fn custom_templates_add_or_replace_and_mistakes_name_the_template() {
        let custom = BTreeMap::from([
            (
                "renewal".to_string(),
                Template {
                    subject: "Renewal of {{ account.name }}".into(),
                    body: "{{ summary }} <b>as is</b>".into(),
                },
            ),
            (
                "training".to_string(),
                Template {
                    subject: "Webinar".into(),
                    body: "Join us.".into(),
                },
            ),
        ]);
        let t = Templates::new(custom).unwrap();
        let m = t
            .render(
                "renewal",
                &json!({"account": {"name": "Acme"}, "summary": "renews in 30 days"}),
            )
            .unwrap();
        assert_eq!(m.subject, "Renewal of Acme");
        assert_eq!(
            m.body, "renews in 30 days <b>as is</b>",
            "plain text, no escaping"
        );
        assert_eq!(t.render("training", &json!({})).unwrap().body, "Join us.");
        let broken = BTreeMap::from([(
            "bad".to_string(),
            Template {
                subject: "{% if %}".into(),
                body: String::new(),
            },
        )]);
        let e = Templates::new(broken).unwrap_err();
        assert!(e.starts_with("templates.bad.subject:"), "{e}");
    }
}
