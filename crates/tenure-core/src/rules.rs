//! The report settings of `[reports]` in `tenure.toml`: every threshold
//! and list the reports use, with the documented defaults.

use crate::report::{Category, KindCounts};

/// An achievement (`user-levels`): the first time a user did `event`, with
/// one of `details` when it lists any (the share channel, the answer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Achievement {
    pub name: String,
    pub event: String,
    #[serde(default)]
    pub details: Vec<String>,
}

impl Achievement {
    fn new(name: &str, event: &str, details: &[&str]) -> Self {
        Self {
            name: name.into(),
            event: event.into(),
            details: details.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// Whether an event (with its detail) counts for this achievement.
    pub fn matches(&self, event: &str, detail: Option<&str>) -> bool {
        self.event == event
            && (self.details.is_empty()
                || detail.is_some_and(|d| self.details.iter().any(|x| x.eq_ignore_ascii_case(d))))
    }

    /// The default list (docs/reports.md).
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::new("followed a company", "Company Followed", &[]),
            Self::new("created a watchlist", "Watchlist Created", &[]),
            Self::new("searched", "Search Performed", &[]),
            Self::new("viewed a company", "Company Viewed", &[]),
            Self::new("viewed a profile", "Profile Viewed", &[]),
            Self::new("shared by email", "Insight Shared", &["email"]),
            Self::new(
                "shared on LinkedIn or Twitter",
                "Insight Shared",
                &["linkedin", "twitter"],
            ),
            Self::new("set a reminder", "Reminder Set", &[]),
            Self::new("scheduled a meeting", "Meeting Scheduled", &[]),
            Self::new("sent a message", "Message Sent", &[]),
            Self::new(
                "had a message answered yes or maybe",
                "Message Answered",
                &["yes", "maybe"],
            ),
        ]
    }
}

/// Engaging, by default: at least this many research or maintain events ...
pub const ENGAGING_MIN_RESEARCH: u64 = 1;
/// ... and at least this many social actions.
pub const ENGAGING_MIN_SOCIAL: u64 = 2;

/// The level names, lowest first.
pub const LEVELS: [&str; 5] = [
    "beginner",
    "intermediate",
    "professional",
    "advanced",
    "expert",
];

/// Report settings from `[reports]` in `tenure.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportsConfig {
    /// Days a seat stays assigned without activity before it counts as
    /// pending (`seats`, `seats-pending`).
    pub pending_days: u32,
    /// The drop in percent that makes a churn risk (`account-flags`).
    pub risk_drop_pct: f64,
    /// The percentile of a month's active counts (over accounts with any)
    /// that makes a champion account (`account-flags`).
    pub champion_percentile: f64,
    /// Engaging: at least this many research or maintain events ...
    pub engaging_min_research: u64,
    /// ... and at least this many social actions (shares plus messages).
    pub engaging_min_social: u64,
    /// Achievements needed for intermediate, professional, advanced and
    /// expert (ascending).
    pub level_thresholds: [u64; 4],
    /// The achievements that count towards a level.
    pub achievements: Vec<Achievement>,
    /// A message is accepted when answered with one of these (lower case)
    /// ...
    pub accepted_answers: Vec<String>,
    /// ... within this many days of its sending (`productivity`).
    pub answer_window_days: u32,
    /// The recommended action per category, in [`Category::ALL`] order.
    pub advice: [String; 4],
    /// The health score (`[health]`).
    pub health: crate::health::HealthConfig,
    /// Alerts (`[alerts]`).
    pub alerts: crate::alerts::AlertsConfig,
    /// Propensity models (`[models]`).
    pub models: crate::models::ModelsConfig,
    /// The influence report (`[influence]`).
    pub influence: crate::influence::InfluenceConfig,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self {
            pending_days: 7,
            risk_drop_pct: 50.0,
            champion_percentile: 90.0,
            engaging_min_research: ENGAGING_MIN_RESEARCH,
            engaging_min_social: ENGAGING_MIN_SOCIAL,
            level_thresholds: [2, 4, 6, 8],
            achievements: Achievement::defaults(),
            accepted_answers: vec!["yes".into(), "maybe".into()],
            answer_window_days: 30,
            advice: Category::ALL.map(|c| c.default_advice().to_string()),
            health: crate::health::HealthConfig::default(),
            alerts: crate::alerts::AlertsConfig::default(),
            models: crate::models::ModelsConfig::default(),
            influence: crate::influence::InfluenceConfig::default(),
        }
    }
}

impl ReportsConfig {
    pub fn advice(&self, category: Category) -> &str {
        &self.advice[category.index()]
    }

    /// The category under the configured thresholds.
    pub fn category(&self, counts: &KindCounts) -> Category {
        Category::with_thresholds(counts, self.engaging_min_research, self.engaging_min_social)
    }

    /// The level a number of achievements reaches, as an index into
    /// [`LEVELS`].
    pub fn level_index(&self, achievements: u64) -> usize {
        self.level_thresholds
            .iter()
            .filter(|&&t| achievements >= t)
            .count()
    }

    /// The level a number of achievements reaches.
    pub fn level(&self, achievements: u64) -> &'static str {
        LEVELS[self.level_index(achievements)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_levels_go_by_twos() {
        let c = ReportsConfig::default();
        let levels: Vec<&str> = (0..10).map(|n| c.level(n)).collect();
        assert_eq!(
            levels,
            [
                "beginner",
                "beginner",
                "intermediate",
                "intermediate",
                "professional",
                "professional",
                "advanced",
                "advanced",
                "expert",
                "expert"
            ]
        );
    }

    #[test]
    fn achievements_match_event_and_detail() {
        let all = Achievement::defaults();
        assert_eq!(all.len(), 11);
        let answered = &all[10];
        assert!(answered.matches("Message Answered", Some("maybe")));
        assert!(answered.matches("Message Answered", Some("Yes")));
        assert!(!answered.matches("Message Answered", Some("no")));
        assert!(!answered.matches("Message Answered", None));
        assert!(all[0].matches("Company Followed", None));
        assert!(!all[0].matches("Company Viewed", None));
    }
}
