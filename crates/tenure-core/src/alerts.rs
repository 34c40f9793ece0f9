//! Alerts: their states and the settings of `[alerts]` in `tenure.toml`.

/// The alert kinds, in the order they are evaluated.
pub const KINDS: [&str; 5] = [
    "feature_drop",
    "error_spike",
    "health_band_fall",
    "champion_lost",
    "seats_pending",
];

/// Where an alert is in its life. One alert per account, kind and subject
/// is live (not resolved) at a time; a closed one stays closed while its
/// cause holds and only a new alert follows once it has recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertStatus {
    Open,
    /// Hidden until a day; open again then if its cause still holds.
    Snoozed,
    /// Put aside by a person while its cause still holds.
    Closed,
    /// Its cause no longer holds.
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Snoozed => "snoozed",
            Self::Closed => "closed",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Snoozed, Self::Closed, Self::Resolved]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsConfig {
    /// A key feature's use in the last 7 days this many percent below its
    /// weekly average over the 4 weeks before raises `feature_drop` ...
    pub drop_pct: f64,
    /// ... when that average is at least this many events a week ...
    pub min_weekly_events: f64,
    /// ... and so few events would happen by chance at most this often
    /// (the Poisson probability of as few at that average): a 50% drop
    /// from 10 a week is noise, from 60 it is not.
    pub max_chance: f64,
    /// A feature's Error Shown events in the last 7 days at least this
    /// many times its weekly average over the 4 weeks before raise
    /// `error_spike` ...
    pub spike_ratio: f64,
    /// ... when they are at least this many (and as many would happen by
    /// chance at most `max_chance` of the time).
    pub min_weekly_errors: f64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            drop_pct: 50.0,
            min_weekly_events: 10.0,
            max_chance: 0.001,
            spike_ratio: 3.0,
            min_weekly_errors: 5.0,
        }
    }
}

/// `[alerts]` as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertsFile {
    drop_pct: Option<f64>,
    min_weekly_events: Option<f64>,
    max_chance: Option<f64>,
    spike_ratio: Option<f64>,
    min_weekly_errors: Option<f64>,
}

impl AlertsFile {
    pub(crate) fn build(&self) -> Result<AlertsConfig, String> {
        let mut alerts = AlertsConfig::default();
        if let Some(pct) = self.drop_pct {
            if !(pct > 0.0 && pct <= 100.0) {
                return Err(format!(
                    "alerts.drop_pct: {pct} is outside 0 (excluded) to 100"
                ));
            }
            alerts.drop_pct = pct;
        }
        if let Some(n) = self.min_weekly_events {
            if !(n.is_finite() && n >= 0.0) {
                return Err(format!("alerts.min_weekly_events: {n} is below 0"));
            }
            alerts.min_weekly_events = n;
        }
        if let Some(r) = self.spike_ratio {
            if !(r.is_finite() && r > 1.0) {
                return Err(format!("alerts.spike_ratio: {r} is not above 1"));
            }
            alerts.spike_ratio = r;
        }
        if let Some(n) = self.min_weekly_errors {
            if !(n.is_finite() && n >= 1.0) {
                return Err(format!("alerts.min_weekly_errors: {n} is below 1"));
            }
            alerts.min_weekly_errors = n;
        }
        if let Some(p) = self.max_chance {
            if !(p > 0.0 && p <= 1.0) {
                return Err(format!(
                    "alerts.max_chance: {p} is outside 0 (excluded) to 1"
                ));
            }
            alerts.max_chance = p;
        }
        Ok(alerts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_settings_are_checked() {
        for s in [
            AlertStatus::Open,
            AlertStatus::Snoozed,
            AlertStatus::Closed,
            AlertStatus::Resolved,
        ] {
            assert_eq!(AlertStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AlertStatus::parse("gone"), None);
        let file: AlertsFile = toml::from_str("drop_pct = 120").unwrap();
        assert!(file.build().unwrap_err().contains("alerts.drop_pct"));
        let file: AlertsFile = toml::from_str("drop_pct = 40\nmin_weekly_events = 2").unwrap();
        let built = file.build().unwrap();
        assert_eq!((built.drop_pct, built.min_weekly_events), (40.0, 2.0));
    }
}
