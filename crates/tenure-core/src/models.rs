//! Propensity models: which there are, what labels them, and the settings
//! of `[models]` in `tenure.toml` (docs/models.md).

/// Whom a model scores: each account, or each user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Account,
    User,
}

/// A propensity model: its name (the `model` column), whom it scores, and
/// the outcome its label is (in the `horizon_days` after a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelKind {
    pub name: &'static str,
    pub unit: Unit,
    /// What a positive label is, in words (docs and the `models` report).
    pub outcome: &'static str,
}

/// The models, in report order.
pub const MODELS: [ModelKind; 5] = [
    ModelKind {
        name: "churn",
        unit: Unit::Account,
        outcome: "a paying account sends Account Churned",
    },
    ModelKind {
        name: "expansion",
        unit: Unit::Account,
        outcome: "a paying account sends Plan Upgraded",
    },
    ModelKind {
        name: "trial_conversion",
        unit: Unit::Account,
        outcome: "a trial account sends Trial Converted",
    },
    ModelKind {
        name: "trial_success",
        unit: Unit::User,
        outcome: "a trial user's account converts and the user is still active in the last 30 days of the horizon",
    },
    ModelKind {
        name: "advocacy",
        unit: Unit::User,
        outcome: "a user who answers NPS gives 9 or 10",
    },
];

/// The features an account model can read (docs/models.md), in the order
/// the snapshots hold them.
pub const ACCOUNT_FEATURES: [&str; 17] = [
    "active_share",
    "engaging_share",
    "activation",
    "key_features",
    "events_per_user",
    "trend",
    "last_week",
    "users",
    "seat_use",
    "age_days",
    "mrr",
    "sentiment",
    "nps",
    "nps_answered",
    "errors_per_user",
    "downgraded",
    "health",
];

/// What the account models read by default: behaviour, voice and health.
/// Size and revenue (`users`, `mrr`, ...) are left out: with the few
/// dozen outcomes a year most customers have, a model fits noise in them.
pub const DEFAULT_ACCOUNT_FEATURES: [&str; 8] = [
    "active_share",
    "events_per_user",
    "trend",
    "last_week",
    "sentiment",
    "nps",
    "downgraded",
    "health",
];

/// The features a user model can read; the last four are the account's.
pub const USER_FEATURES: [&str; 13] = [
    "platform_events",
    "engaging",
    "interacting",
    "consuming",
    "inactive_days",
    "seat_days",
    "social",
    "nps_last",
    "nps_answered",
    "account_age_days",
    "account_active_share",
    "account_trend",
    "account_health",
];

/// `[models]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelsConfig {
    /// Labels look this many days ahead of the day features are taken.
    pub horizon_days: u32,
    /// Training takes features every `step_days` days over the latest
    /// this many months whose labels are complete ...
    pub history_months: u32,
    pub step_days: u32,
    /// ... or further apart, so that the snapshots hold at most about this
    /// many account rows (live accounts times snapshots): on a store with
    /// many accounts, weekly snapshots of the same accounts add time, not
    /// information ...
    pub max_rows: u32,
    /// ... and holds out the latest this many months of them to test on
    /// (training takes the days whose horizon ends by the first of them).
    pub test_months: u32,
    /// A model is trained only with at least this many positive labels in
    /// training and a quarter as many in test; else its scores are the
    /// documented heuristic, and say so.
    pub min_positives: u32,
    /// L2 penalty of the logistic regression (on standardised features).
    pub l2: f64,
    /// The plan (`plan` trait) of an account on trial.
    pub trial_plan: String,
    /// The events that label churn, expansion and trial conversion.
    pub churn_event: String,
    pub upgrade_event: String,
    pub conversion_event: String,
    /// A feature of the account models: this event in the last 90 days.
    pub downgrade_event: String,
    /// An NPS score at least this makes a promoter (advocacy).
    pub promoter_min: f64,
    /// The server retrains when the stored models are older than this.
    pub retrain_days: u32,
    /// What the account and the user models read (of
    /// [`ACCOUNT_FEATURES`] and [`USER_FEATURES`]).
    pub account_features: Vec<String>,
    pub user_features: Vec<String>,
}

impl Default for ModelsConfig {
    fn default() -> Self {
        Self {
            horizon_days: 90,
            history_months: 12,
            step_days: 7,
            max_rows: 60_000,
            test_months: 3,
            min_positives: 20,
            l2: 1.0,
            trial_plan: "trial".into(),
            churn_event: "Account Churned".into(),
            upgrade_event: "Plan Upgraded".into(),
            conversion_event: "Trial Converted".into(),
            downgrade_event: "Plan Downgraded".into(),
            promoter_min: 9.0,
            retrain_days: 7,
            account_features: DEFAULT_ACCOUNT_FEATURES.map(String::from).to_vec(),
            user_features: USER_FEATURES.map(String::from).to_vec(),
        }
    }
}

/// `[models]` as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelsFile {
    horizon_days: Option<u32>,
    history_months: Option<u32>,
    step_days: Option<u32>,
    max_rows: Option<u32>,
    test_months: Option<u32>,
    min_positives: Option<u32>,
    l2: Option<f64>,
    trial_plan: Option<String>,
    churn_event: Option<String>,
    upgrade_event: Option<String>,
    conversion_event: Option<String>,
    downgrade_event: Option<String>,
    promoter_min: Option<f64>,
    retrain_days: Option<u32>,
    account_features: Option<Vec<String>>,
    user_features: Option<Vec<String>>,
}

impl ModelsFile {
    pub(crate) fn build(&self) -> Result<ModelsConfig, String> {
        let mut m = ModelsConfig::default();
        let at_least = |name: &str, v: Option<u32>, min: u32, into: &mut u32| {
            if let Some(v) = v {
                if v < min {
                    return Err(format!("models.{name}: {v} is below {min}"));
                }
                *into = v;
            }
            Ok(())
        };
        at_least("horizon_days", self.horizon_days, 7, &mut m.horizon_days)?;
        at_least(
            "history_months",
            self.history_months,
            2,
            &mut m.history_months,
        )?;
        at_least("test_months", self.test_months, 1, &mut m.test_months)?;
        at_least("step_days", self.step_days, 1, &mut m.step_days)?;
        if m.step_days > 31 {
            return Err(format!("models.step_days: {} is above 31", m.step_days));
        }
        at_least("max_rows", self.max_rows, 1000, &mut m.max_rows)?;
        at_least("min_positives", self.min_positives, 4, &mut m.min_positives)?;
        at_least("retrain_days", self.retrain_days, 1, &mut m.retrain_days)?;
        if m.test_months >= m.history_months {
            return Err(format!(
                "models.test_months: {} leaves no month of history_months ({}) to train on",
                m.test_months, m.history_months
            ));
        }
        if let Some(l2) = self.l2 {
            if !(l2.is_finite() && l2 >= 0.0) {
                return Err(format!("models.l2: {l2} is below 0"));
            }
            m.l2 = l2;
        }
        if let Some(p) = self.promoter_min {
            if !(0.0..=10.0).contains(&p) {
                return Err(format!("models.promoter_min: {p} is outside 0 to 10"));
            }
            m.promoter_min = p;
        }
        for (name, value, into) in [
            ("trial_plan", &self.trial_plan, &mut m.trial_plan),
            ("churn_event", &self.churn_event, &mut m.churn_event),
            ("upgrade_event", &self.upgrade_event, &mut m.upgrade_event),
            (
                "conversion_event",
                &self.conversion_event,
                &mut m.conversion_event,
            ),
            (
                "downgrade_event",
                &self.downgrade_event,
                &mut m.downgrade_event,
            ),
        ] {
            if let Some(v) = value {
                if v.trim().is_empty() {
                    return Err(format!("models.{name}: empty"));
                }
                *into = v.clone();
            }
        }
        for (name, value, known, into) in [
            (
                "account_features",
                &self.account_features,
                &ACCOUNT_FEATURES[..],
                &mut m.account_features,
            ),
            (
                "user_features",
                &self.user_features,
                &USER_FEATURES[..],
                &mut m.user_features,
            ),
        ] {
            let Some(list) = value else { continue };
            if list.is_empty() {
                return Err(format!("models.{name}: empty"));
            }
            if let Some(bad) = list.iter().find(|f| !known.contains(&f.as_str())) {
                return Err(format!(
                    "models.{name}: {bad:?} is not one of {}",
                    known.join(", ")
                ));
            }
            *into = list.clone();
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let built = |text: &str| toml::from_str::<ModelsFile>(text).unwrap().build();
        assert_eq!(built("").unwrap(), ModelsConfig::default());
        let m = built("horizon_days = 60\nl2 = 0.5\ntrial_plan = \"eval\"").unwrap();
        assert_eq!(
            (m.horizon_days, m.l2, m.trial_plan.as_str()),
            (60, 0.5, "eval")
        );
        assert!(
            built("max_rows = 10")
                .unwrap_err()
                .contains("models.max_rows")
        );
        assert_eq!(built("max_rows = 5000").unwrap().max_rows, 5000);
        assert!(
            built("test_months = 12")
                .unwrap_err()
                .contains("models.test_months")
        );
        assert!(built("l2 = -1").unwrap_err().contains("models.l2"));
        assert!(
            built("churn_event = \" \"")
                .unwrap_err()
                .contains("models.churn_event")
        );
        assert!(
            built("promoter_min = 11")
                .unwrap_err()
                .contains("promoter_min")
        );
        assert!(toml::from_str::<ModelsFile>("depth = 3").is_err());
        let m = built("account_features = [\"users\", \"trend\"]").unwrap();
        assert_eq!(m.account_features, ["users", "trend"]);
        let err = built("user_features = [\"height\"]").unwrap_err();
        assert!(
            err.contains("models.user_features") && err.contains("\"height\""),
            "{err}"
        );
        assert!(built("account_features = []").is_err());
        for f in DEFAULT_ACCOUNT_FEATURES {
            assert!(ACCOUNT_FEATURES.contains(&f));
        }
    }
}
