//! The activity taxonomy: which event names count as which kind of activity.
//!
//! Reports never look at raw event names; they look at kinds. The default
//! mapping below is what `tenure.toml`'s `[taxonomy]` table overrides, kind
//! by kind. Events not listed are still stored, with kind `other`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// What an event says about how a user uses the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// Receives what the product pushes: alert emails, digests.
    Consume,
    Login,
    Research,
    Maintain,
    Share,
    Message,
    Portal,
    Error,
    /// Trials, plan changes, churn, NPS and feedback.
    Lifecycle,
    /// Identify, group and alias calls: who someone is, not what they did.
    Profile,
    /// Anything the taxonomy does not name.
    Other,
}

impl ActivityKind {
    /// Every kind, in a stable order.
    pub const ALL: [ActivityKind; 11] = [
        Self::Consume,
        Self::Login,
        Self::Research,
        Self::Maintain,
        Self::Share,
        Self::Message,
        Self::Portal,
        Self::Error,
        Self::Lifecycle,
        Self::Profile,
        Self::Other,
    ];

    /// The kinds that count as using the platform (not merely receiving).
    pub const PLATFORM: [ActivityKind; 6] = [
        Self::Login,
        Self::Research,
        Self::Maintain,
        Self::Share,
        Self::Message,
        Self::Portal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consume => "consume",
            Self::Login => "login",
            Self::Research => "research",
            Self::Maintain => "maintain",
            Self::Share => "share",
            Self::Message => "message",
            Self::Portal => "portal",
            Self::Error => "error",
            Self::Lifecycle => "lifecycle",
            Self::Profile => "profile",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[taxonomy]` table of `tenure.toml`: a list of event names per kind.
/// A kind given here replaces that kind's default list; kinds not given keep
/// their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyConfig {
    pub consume: Option<Vec<String>>,
    pub login: Option<Vec<String>>,
    pub research: Option<Vec<String>>,
    pub maintain: Option<Vec<String>>,
    pub share: Option<Vec<String>>,
    pub message: Option<Vec<String>>,
    pub portal: Option<Vec<String>>,
    pub error: Option<Vec<String>>,
    pub lifecycle: Option<Vec<String>>,
}

/// Events whose reports split them by one property (the share channel, the
/// answer to a message, the feature that failed): that property's value is
/// the rollup's `detail`.
pub const DETAIL_PROPERTIES: &[(&str, &str)] = &[
    ("Insight Shared", "channel"),
    ("Message Answered", "answer"),
    ("Error Shown", "feature"),
];

/// Event name to activity kind, built once from the defaults and the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Taxonomy {
    by_event: HashMap<String, ActivityKind>,
}

fn default_events(kind: ActivityKind) -> &'static [&'static str] {
    match kind {
        ActivityKind::Consume => &[
            "Alert Email Received",
            "Alert Email Opened",
            "Digest Received",
        ],
        ActivityKind::Login => &["Signed In"],
        ActivityKind::Research => &[
            "Company Viewed",
            "Search Performed",
            "Profile Viewed",
            "Article Opened",
        ],
        ActivityKind::Maintain => &["Watchlist Created", "Company Followed", "List Updated"],
        ActivityKind::Share => &["Insight Shared", "Reminder Set", "Meeting Scheduled"],
        ActivityKind::Message => &["Message Sent", "Message Answered"],
        ActivityKind::Portal => &["Portal Viewed", "Document Downloaded"],
        ActivityKind::Error => &["Error Shown"],
        ActivityKind::Lifecycle => &[
            "Trial Started",
            "Trial Converted",
            "Plan Upgraded",
            "Plan Downgraded",
            "Account Churned",
            "NPS Submitted",
            "Feedback Submitted",
        ],
        ActivityKind::Profile | ActivityKind::Other => &[],
    }
}

impl Default for Taxonomy {
    fn default() -> Self {
        Self::from_config(&TaxonomyConfig::default()).expect("the default taxonomy is consistent")
    }
}

impl Taxonomy {
    /// Builds the mapping; an event listed under two kinds is an error.
    pub fn from_config(config: &TaxonomyConfig) -> Result<Self, String> {
        let overrides = [
            (ActivityKind::Consume, &config.consume),
            (ActivityKind::Login, &config.login),
            (ActivityKind::Research, &config.research),
            (ActivityKind::Maintain, &config.maintain),
            (ActivityKind::Share, &config.share),
            (ActivityKind::Message, &config.message),
            (ActivityKind::Portal, &config.portal),
            (ActivityKind::Error, &config.error),
            (ActivityKind::Lifecycle, &config.lifecycle),
        ];
        let mut by_event = HashMap::new();
        for (kind, custom) in overrides {
            let names: Vec<String> = match custom {
                Some(list) => list.clone(),
                None => default_events(kind).iter().map(|s| s.to_string()).collect(),
            };
            for name in names {
                if let Some(previous) = by_event.insert(name.clone(), kind)
                    && previous != kind
                {
                    return Err(format!(
                        "taxonomy: event {name:?} is listed under both {previous} and {kind}"
                    ));
                }
            }
        }
        Ok(Self { by_event })
    }

    /// The kind of a `track` event (other call types are classified by
    /// [`Taxonomy::classify_call`]).
    pub fn kind_of(&self, event: &str) -> ActivityKind {
        self.by_event
            .get(event)
            .copied()
            .unwrap_or(ActivityKind::Other)
    }

    /// Every (event, kind) pair, sorted, for storing beside the data so a
    /// changed taxonomy can reclassify what is already stored.
    pub fn pairs(&self) -> BTreeMap<String, ActivityKind> {
        self.by_event.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_the_documented_events() {
        let t = Taxonomy::default();
        assert_eq!(t.kind_of("Digest Received"), ActivityKind::Consume);
        assert_eq!(t.kind_of("Signed In"), ActivityKind::Login);
        assert_eq!(t.kind_of("Insight Shared"), ActivityKind::Share);
        assert_eq!(t.kind_of("Message Answered"), ActivityKind::Message);
        assert_eq!(t.kind_of("Document Downloaded"), ActivityKind::Portal);
        assert_eq!(t.kind_of("NPS Submitted"), ActivityKind::Lifecycle);
        assert_eq!(t.kind_of("Something Else"), ActivityKind::Other);
    }

    #[test]
    fn a_kind_in_config_replaces_its_defaults_only() {
        let config = TaxonomyConfig {
            login: Some(vec!["Logged In".into()]),
            ..Default::default()
        };
        let t = Taxonomy::from_config(&config).unwrap();
        assert_eq!(t.kind_of("Logged In"), ActivityKind::Login);
        assert_eq!(t.kind_of("Signed In"), ActivityKind::Other);
        assert_eq!(t.kind_of("Company Viewed"), ActivityKind::Research);
    }

    #[test]
    fn an_event_under_two_kinds_is_an_error() {
        let config = TaxonomyConfig {
            login: Some(vec!["Company Viewed".into()]),
            ..Default::default()
        };
        let err = Taxonomy::from_config(&config).unwrap_err();
        assert!(err.contains("Company Viewed"), "{err}");
    }

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
        }
    }
}
