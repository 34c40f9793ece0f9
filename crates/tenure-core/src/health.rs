//! The account health score's settings: `[health]` in `tenure.toml`, with
//! the documented defaults (docs/health.md).

use std::collections::BTreeMap;

/// The components, in the order of the report's columns.
pub const COMPONENTS: [&str; 6] = [
    "active_users",
    "depth",
    "breadth",
    "trend",
    "seat_activation",
    "sentiment",
];

/// A value per component, in [`COMPONENTS`] order.
pub type PerComponent = [f64; 6];

#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// Red under the first, yellow under the second, green otherwise.
    pub bands: [f64; 2],
    /// The features `breadth` counts (event names).
    pub key_features: Vec<String>,
    /// The value that earns a component all its points: percent of
    /// licensed users (active_users, depth), of key features (breadth), of
    /// assigned seats (seat_activation); for trend the change in percent
    /// (its negative earns none, no change half); for sentiment 50 x (1 +
    /// the mean VADER score of the feedback texts), neutral at 50.
    pub full_marks: PerComponent,
    /// The weights of an established account.
    pub weights: PerComponent,
    /// Accounts younger than this many days use `onboarding_weights`.
    pub onboarding_days: u32,
    pub onboarding_weights: PerComponent,
    /// How many finished days back the server scores what it has not
    /// scored yet (0: the server keeps no history).
    pub backfill_days: u32,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            bands: [40.0, 70.0],
            key_features: [
                "Search Performed",
                "Company Viewed",
                "Profile Viewed",
                "Company Followed",
                "Watchlist Created",
                "List Updated",
                "Reminder Set",
                "Insight Shared",
                "Message Sent",
                "Meeting Scheduled",
            ]
            .map(String::from)
            .to_vec(),
            full_marks: [80.0, 50.0, 100.0, 50.0, 90.0, 75.0],
            weights: [25.0, 20.0, 15.0, 15.0, 15.0, 10.0],
            onboarding_days: 30,
            // A new account has no trend yet and is judged on getting its
            // seats used.
            onboarding_weights: [30.0, 10.0, 20.0, 0.0, 40.0, 0.0],
            backfill_days: 30,
        }
    }
}

/// `[health]` as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HealthFile {
    bands: Option<[f64; 2]>,
    key_features: Option<Vec<String>>,
    full_marks: Option<BTreeMap<String, f64>>,
    weights: Option<BTreeMap<String, f64>>,
    onboarding_days: Option<u32>,
    onboarding_weights: Option<BTreeMap<String, f64>>,
    backfill_days: Option<u32>,
}

impl HealthFile {
    /// The settings, checked; an error names the key.
    pub(crate) fn build(&self) -> Result<HealthConfig, String> {
        let mut health = HealthConfig::default();
        if let Some([red, yellow]) = self.bands {
            if !(0.0 < red && red < yellow && yellow <= 100.0) {
                return Err(format!(
                    "health.bands: [{red}, {yellow}] must rise within 0 to 100"
                ));
            }
            health.bands = [red, yellow];
        }
        if let Some(features) = &self.key_features {
            if features.is_empty() {
                return Err("health.key_features: the list is empty".into());
            }
            health.key_features = features.clone();
        }
        if let Some(days) = self.onboarding_days {
            health.onboarding_days = days;
        }
        if let Some(days) = self.backfill_days {
            if days > 3660 {
                return Err(format!("health.backfill_days: {days} is above 3660"));
            }
            health.backfill_days = days;
        }
        let tables = [
            ("full_marks", &self.full_marks, &mut health.full_marks),
            ("weights", &self.weights, &mut health.weights),
            (
                "onboarding_weights",
                &self.onboarding_weights,
                &mut health.onboarding_weights,
            ),
        ];
        for (table, given, slot) in tables {
            for (name, value) in given.iter().flatten() {
                let Some(i) = COMPONENTS.iter().position(|c| c == name) else {
                    return Err(format!(
                        "health.{table}.{name}: not a component (one of {})",
                        COMPONENTS.join(", ")
                    ));
                };
                // Full marks above 0 (they divide), weights 0 or more.
                let ok = value.is_finite()
                    && if table == "full_marks" {
                        *value > 0.0
                    } else {
                        *value >= 0.0
                    };
                if !ok {
                    return Err(format!("health.{table}.{name}: {value} is out of range"));
                }
                slot[i] = *value;
            }
        }
        for (table, weights) in [
            ("weights", health.weights),
            ("onboarding_weights", health.onboarding_weights),
        ] {
            if weights.iter().sum::<f64>() <= 0.0 {
                return Err(format!("health.{table}: every weight is 0"));
            }
        }
        Ok(health)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> Result<HealthConfig, String> {
        toml::from_str::<HealthFile>(text)
            .map_err(|e| e.to_string())?
            .build()
    }

    #[test]
    fn settings_override_the_defaults_and_name_the_bad_key() {
        let h = build("bands = [30, 60]\nonboarding_days = 14\n[weights]\ntrend = 0\n").unwrap();
        assert_eq!(h.bands, [30.0, 60.0]);
        assert_eq!(h.onboarding_days, 14);
        assert_eq!(h.weights[3], 0.0);
        assert_eq!(h.weights[0], 25.0, "the others keep their defaults");
        let bad = |text: &str, key: &str| {
            let err = build(text).unwrap_err();
            assert!(err.contains(key), "{err}");
        };
        bad("[weights]\nhappiness = 3\n", "health.weights.happiness");
        bad("[weights]\ndepth = -1\n", "health.weights.depth");
        bad("[full_marks]\ndepth = 0\n", "health.full_marks.depth");
        bad("bands = [70, 40]\n", "health.bands");
        bad("key_features = []\n", "health.key_features");
        bad(
            "[onboarding_weights]\nactive_users = 0\nbreadth = 0\nseat_activation = 0\ndepth = 0\n",
            "health.onboarding_weights",
        );
        bad("colour = 1\n", "colour");
    }
}
