//! `health`: per account, a 0-100 score as of the period's last day: the
//! weighted points of its components (each scored 0-100), the band, and
//! an explanation a CSM can read, against the same score 30 days earlier.
//! The settings are `[health]` (docs/health.md).

use crate::sentiment::Tally;
use crate::{Cell, ReportError, Request, Table};
use chrono::{Days, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};
use tenure_core::ActivityKind;
use tenure_core::health::{COMPONENTS, HealthConfig, PerComponent};
use tenure_core::report::{Category, Period, ReportsConfig, days_before};
use tenure_store::{AccountAt, HealthRow, Store, UserActivity};

/// What an account's components come from, as of one day.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Inputs {
    /// Licensed users that day.
    pub licensed: u64,
    /// Of them, with a platform event in the 30 days up to it ...
    pub active: u64,
    /// ... engaging or interacting in those 30 days ...
    pub deep: u64,
    /// ... engaging in them (not scored: the propensity models read it) ...
    pub engaging: u64,
    /// ... and active at least once ever (activated seats).
    pub activated: u64,
    /// Key features used in the 30 days.
    pub features_used: u64,
    /// Platform events in the 30 days, and in the 30 before.
    pub platform_now: u64,
    pub platform_before: u64,
    /// The mean sentiment (-1 to 1) of the NPS comments and feedback texts
    /// of the 90 days up to the day, if any.
    pub sentiment: Option<f64>,
    /// Error events in the 30 days (not scored: the propensity models
    /// read it).
    pub errors: u64,
}

/// One account's score.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Health {
    /// 0-100: the sum of `points`.
    pub score: f64,
    /// Per component (in [`COMPONENTS`] order): its value (a percent; for
    /// trend the change in percent), `None` when it cannot be measured.
    pub values: [Option<f64>; 6],
    /// Its score, 0-100.
    pub scores: [Option<f64>; 6],
    /// Its share of `score`: score x weight / the weights of the
    /// components measured.
    pub points: [f64; 6],
    pub onboarding: bool,
}

impl Health {
    pub(crate) fn of(config: &HealthConfig, inputs: &Inputs, onboarding: bool) -> Self {
        let pct = |part: u64, whole: u64| (whole > 0).then(|| part as f64 * 100.0 / whole as f64);
        let values = [
            pct(inputs.active, inputs.licensed),
            pct(inputs.deep, inputs.licensed),
            pct(inputs.features_used, config.key_features.len() as u64),
            (inputs.platform_before > 0).then(|| {
                (inputs.platform_now as f64 - inputs.platform_before as f64) * 100.0
                    / inputs.platform_before as f64
            }),
            pct(inputs.activated, inputs.licensed),
            // 0 to 100, neutral text at 50.
            inputs.sentiment.map(|c| 50.0 * (1.0 + c)),
        ];
        let mut scores = [None; 6];
        for (i, value) in values.iter().enumerate() {
            scores[i] = value.map(|v| {
                let full = config.full_marks[i];
                let s = if COMPONENTS[i] == "trend" {
                    50.0 + 50.0 * v / full
                } else {
                    100.0 * v / full
                };
                s.clamp(0.0, 100.0)
            });
        }
        let weights: &PerComponent = if onboarding {
            &config.onboarding_weights
        } else {
            &config.weights
        };
        let measured: f64 = (0..6)
            .filter(|&i| scores[i].is_some())
            .map(|i| weights[i])
            .sum();
        let mut points = [0.0; 6];
        if measured > 0.0 {
            for i in 0..6 {
                points[i] = scores[i].unwrap_or(0.0) * weights[i] / measured;
            }
        }
        Self {
            score: points.iter().sum(),
            values,
            scores,
            points,
            onboarding,
        }
    }

    /// The health a kept history row holds (see [`day_rows`]).
    pub(crate) fn from_row(row: &HealthRow) -> Result<Self, ReportError> {
        let parts: serde_json::Value = serde_json::from_str(&row.components).map_err(|e| {
            tenure_store::StoreError::Invalid(format!(
                "health_daily {} {}: components: {e}",
                row.account_id, row.day
            ))
        })?;
        let mut health = Self {
            score: row.score,
            values: [None; 6],
            scores: [None; 6],
            points: [0.0; 6],
            onboarding: row.profile == "onboarding",
        };
        for (i, name) in COMPONENTS.iter().enumerate() {
            let part = &parts[name];
            health.values[i] = part["value"].as_f64();
            health.scores[i] = part["score"].as_f64();
            health.points[i] = part["points"].as_f64().unwrap_or(0.0);
        }
        Ok(health)
    }

    pub(crate) fn band(&self, config: &HealthConfig) -> &'static str {
        let score = self.score.round();
        if score < config.bands[0] {
            "red"
        } else if score < config.bands[1] {
            "yellow"
        } else {
            "green"
        }
    }

    /// The explanation: the score against the one 30 days before, then
    /// every component with a weight: its value, points and their change.
    pub(crate) fn explain(&self, config: &HealthConfig, before: Option<&Health>) -> String {
        let weights = if self.onboarding {
            &config.onboarding_weights
        } else {
            &config.weights
        };
        let mut parts = vec![match before {
            Some(b) => format!(
                "score {} ({}), {} 30 days before",
                self.score.round(),
                self.band(config),
                b.score.round()
            ),
            None => format!("score {} ({})", self.score.round(), self.band(config)),
        }];
        if self.onboarding {
            parts.push(format!(
                "onboarding weights (account younger than {} days)",
                config.onboarding_days
            ));
        } else if before.is_some_and(|b| b.onboarding) {
            parts.push("standard weights, onboarding ones 30 days before".into());
        }
        for i in (0..6).filter(|&i| weights[i] > 0.0) {
            let label = LABELS[i];
            let show = |v: f64| show_value(i, v, config);
            let points = self.points[i].round();
            let then = before.and_then(|b| b.values[i].map(|v| (v, b.points[i].round())));
            parts.push(match (self.values[i], then) {
                (None, _) => format!("{label}: no data, its weight shared by the others"),
                (Some(now), Some((was, was_points))) => {
                    let verb = match shown(i, now, config).total_cmp(&shown(i, was, config)) {
                        std::cmp::Ordering::Greater => "rose",
                        std::cmp::Ordering::Less => "fell",
                        std::cmp::Ordering::Equal => "held",
                    };
                    let delta = points - was_points;
                    let delta = if delta == 0.0 { 0.0 } else { delta };
                    if verb == "held" {
                        format!("{label} held at {}: {delta:+} points", show(now))
                    } else {
                        format!(
                            "{label} {verb} from {} to {}: {delta:+} points",
                            show(was),
                            show(now)
                        )
                    }
                }
                (Some(now), None) => format!("{label} {}: {points} points", show(now)),
            });
        }
        parts.join("; ")
    }
}

const LABELS: [&str; 6] = [
    "active users",
    "engaging or interacting users",
    "key features used",
    "platform events against the 30 days before",
    "seat activation",
    "feedback sentiment",
];

/// A component's value as the explanation shows it: rounded, and for
/// breadth as a count of key features.
fn shown(i: usize, value: f64, config: &HealthConfig) -> f64 {
    if COMPONENTS[i] == "breadth" {
        (value * config.key_features.len() as f64 / 100.0).round()
    } else {
        value.round()
    }
}

fn show_value(i: usize, value: f64, config: &HealthConfig) -> String {
    let n = shown(i, value, config);
    match COMPONENTS[i] {
        "breadth" => format!("{n} of {}", config.key_features.len()),
        "trend" => format!("{n:+}%"),
        "sentiment" => format!("{n} of 100"),
        _ => format!("{n}%"),
    }
}

/// Each live account's inputs and whether it is onboarding, as of `day`.
pub(crate) fn inputs_at(
    store: &dyn Store,
    request: &Request,
    day: NaiveDate,
) -> Result<BTreeMap<String, (Inputs, bool)>, ReportError> {
    Ok(DayInputs::take(store, request, day)?.inputs)
}

/// What one day's health reads, read once so the propensity models'
/// snapshot of the same day can share it: the accounts as of the day, the
/// licensed users' 30 days up to it, and each live account's inputs and
/// whether it is onboarding.
pub(crate) struct DayInputs {
    pub accounts: Vec<AccountAt>,
    pub users: Vec<UserActivity>,
    pub inputs: BTreeMap<String, (Inputs, bool)>,
}

impl DayInputs {
    pub(crate) fn take(
        store: &dyn Store,
        request: &Request,
        day: NaiveDate,
    ) -> Result<Self, ReportError> {
        let accounts = store.accounts_at(day, &request.scope)?;
        let mut inputs = live_accounts(&accounts, &request.config.health, day);
        let month = Period::ending(day, 30);
        let mut scope = request.scope.clone();
        scope.all_users = false;
        let users = store.user_activity(month, &scope)?;
        add_inputs(store, request, day, &users, &mut inputs)?;
        Ok(Self {
            accounts,
            users,
            inputs,
        })
    }
}

/// The accounts not archived on `day`, with empty inputs and whether each
/// is onboarding.
pub(crate) fn live_accounts(
    accounts: &[AccountAt],
    config: &HealthConfig,
    day: NaiveDate,
) -> BTreeMap<String, (Inputs, bool)> {
    let mut out = BTreeMap::new();
    for account in accounts.iter().filter(|a| !a.archived) {
        let onboarding = account.created_at.is_some_and(|at| {
            (day - at.date_naive()).num_days() < i64::from(config.onboarding_days)
        });
        out.insert(account.account_id.clone(), (Inputs::default(), onboarding));
    }
    out
}

/// The users' activity in the 30 days up to `day` (`user_activity` of the
/// licensed users), with everything else the store has, into `out`.
pub(crate) fn add_inputs(
    store: &dyn Store,
    request: &Request,
    day: NaiveDate,
    users: &[UserActivity],
    out: &mut BTreeMap<String, (Inputs, bool)>,
) -> Result<(), ReportError> {
    let config = &request.config.health;
    let month = Period::ending(day, 30);
    for u in users {
        let Some((i, _)) = u.account_id.as_ref().and_then(|a| out.get_mut(a)) else {
            continue;
        };
        i.licensed += 1;
        i.active += u64::from(u.counts.platform() > 0);
        let category = request.config.category(&u.counts);
        i.deep += u64::from(matches!(
            category,
            Category::Engaging | Category::Interacting
        ));
        i.engaging += u64::from(category == Category::Engaging);
        i.activated += u64::from(u.last_active_at.is_some());
    }
    let platform: BTreeSet<&str> = ActivityKind::PLATFORM.iter().map(|k| k.as_str()).collect();
    let key: BTreeSet<&str> = config.key_features.iter().map(String::as_str).collect();
    for e in store.account_events(month, &request.scope)? {
        let Some((i, _)) = out.get_mut(&e.account_id) else {
            continue;
        };
        if platform.contains(e.kind.as_str()) {
            i.platform_now += e.events;
        }
        if e.kind == ActivityKind::Error.as_str() {
            i.errors += e.events;
        }
        if key.contains(e.event.as_str()) && e.events > 0 {
            i.features_used += 1;
        }
    }
    let mut feedback: BTreeMap<String, Tally> = BTreeMap::new();
    let quarter = Period::ending(day, 90);
    for f in store.feedback(quarter, &request.scope)? {
        if let Some(account) = f.account_id.clone() {
            feedback.entry(account).or_default().add(&f);
        }
    }
    for (account, tally) in feedback {
        if let Some((i, _)) = out.get_mut(&account) {
            i.sentiment = tally.sentiment();
        }
    }
    let before = month.previous();
    for e in store.account_events(before, &request.scope)? {
        if let Some((i, _)) = out.get_mut(&e.account_id)
            && platform.contains(e.kind.as_str())
        {
            i.platform_before += e.events;
        }
    }
    Ok(())
}

/// The scores of `day` as the history keeps them: per live account in
/// scope, its score, band, profile and components (value, score, points).
pub fn day_rows(
    store: &dyn Store,
    request: &Request,
    day: NaiveDate,
) -> Result<Vec<HealthRow>, ReportError> {
    let inputs = inputs_at(store, request, day)?;
    Ok(rows_of(&request.config.health, day, &inputs))
}

/// The history rows of `day` from its inputs.
pub(crate) fn rows_of(
    config: &HealthConfig,
    day: NaiveDate,
    inputs: &BTreeMap<String, (Inputs, bool)>,
) -> Vec<HealthRow> {
    let mut rows = Vec::with_capacity(inputs.len());
    for (account, (inputs, onboarding)) in inputs {
        let h = Health::of(config, inputs, *onboarding);
        let components: serde_json::Map<String, serde_json::Value> = COMPONENTS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let part = serde_json::json!({
                    "value": h.values[i],
                    "score": h.scores[i],
                    "points": h.points[i],
                });
                (name.to_string(), part)
            })
            .collect();
        rows.push(HealthRow {
            account_id: account.clone(),
            day,
            score: h.score,
            band: h.band(config).into(),
            profile: if *onboarding {
                "onboarding"
            } else {
                "standard"
            }
            .into(),
            components: serde_json::Value::Object(components).to_string(),
        });
    }
    rows
}

/// Scores every day from `from` to `to` and keeps them in the history
/// (a day scored again is replaced). Returns the rows kept.
pub fn keep_days(
    store: &mut dyn Store,
    config: &ReportsConfig,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<usize, ReportError> {
    let mut request = Request::new(Period { from: to, to }, Default::default());
    request.config = config.clone();
    let mut kept = 0;
    let mut day = from;
    while day <= to {
        let rows = day_rows(store, &request, day)?;
        store.save_health(day, &rows)?;
        kept += rows.len();
        day = day.succ_opt().unwrap_or(to + Days::new(1));
    }
    Ok(kept)
}

/// `health-history`: the scores kept for the days in the period.
pub(crate) fn history(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut table = Table::new(&["account_id", "date", "score", "band"]);
    for r in store.health_history(request.period, &request.scope)? {
        table.push(vec![
            r.account_id.into(),
            r.day.to_string().into(),
            Cell::Int(r.score.round() as u64),
            r.band.into(),
        ]);
    }
    Ok(table)
}

/// Each live account's health on `day`: the kept history's when that day
/// was scored (the server scores each finished day), else computed.
pub(crate) fn healths_on(
    store: &dyn Store,
    request: &Request,
    day: NaiveDate,
) -> Result<BTreeMap<String, Health>, ReportError> {
    let kept = store.health_history(Period { from: day, to: day }, &request.scope)?;
    if !kept.is_empty() {
        return kept
            .iter()
            .map(|r| Ok((r.account_id.clone(), Health::from_row(r)?)))
            .collect();
    }
    let config = &request.config.health;
    Ok(inputs_at(store, request, day)?
        .into_iter()
        .map(|(account, (inputs, onboarding))| (account, Health::of(config, &inputs, onboarding)))
        .collect())
}

pub(crate) const COLUMNS: &[&str] = &[
    "account_id",
    "score",
    "band",
    "active_users",
    "depth",
    "breadth",
    "trend",
    "seat_activation",
    "sentiment",
    "explanation",
    "profile",
];

/// `health` as of the period's last day (the components read the 30 days
/// up to it; `from` plays no part).
pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let config = &request.config.health;
    let day = request.period.to;
    let now = inputs_at(store, request, day)?;
    let then = healths_on(store, request, days_before(day, 30))?;
    let mut table = Table::new(COLUMNS);
    for (account, (inputs, onboarding)) in now {
        let health = Health::of(config, &inputs, onboarding);
        let before = then.get(&account);
        let mut row = vec![
            account.into(),
            Cell::Int(health.score.round() as u64),
            health.band(config).into(),
        ];
        row.extend(
            health
                .scores
                .map(|s| s.map_or(Cell::Empty, |s| Cell::Int(s.round() as u64))),
        );
        row.push(health.explain(config, before).into());
        row.push(if onboarding { "onboarding" } else { "standard" }.into());
        table.push(row);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        Inputs {
            licensed: 10,
            active: 6,
            deep: 3,
            engaging: 1,
            activated: 9,
            features_used: 4,
            platform_now: 120,
            platform_before: 100,
            sentiment: None,
            errors: 0,
        }
    }

    #[test]
    fn components_are_scored_against_full_marks_and_weighted() {
        let config = HealthConfig::default();
        let h = Health::of(&config, &inputs(), false);
        // 60% active of 80 for full marks; 30% deep of 50; 4 of 10
        // features; +20% trend (50 + 50 * 20 / 50); 90% activated of 90.
        assert_eq!(
            h.scores,
            [
                Some(75.0),
                Some(60.0),
                Some(40.0),
                Some(70.0),
                Some(100.0),
                None
            ]
        );
        // Sentiment is not measured: the other weights (90) share the score.
        let want = (75.0 * 25.0 + 60.0 * 20.0 + 40.0 * 15.0 + 70.0 * 15.0 + 100.0 * 15.0) / 90.0;
        assert!((h.score - want).abs() < 1e-9, "{}", h.score);
        assert!((h.points.iter().sum::<f64>() - h.score).abs() < 1e-9);
        assert_eq!((h.score.round(), h.band(&config)), (69.0, "yellow"));
    }

    #[test]
    fn scores_stay_within_bounds_and_bands_follow_the_settings() {
        let config = HealthConfig::default();
        let collapsing = Inputs {
            platform_now: 10,
            active: 1,
            deep: 0,
            ..inputs()
        };
        let h = Health::of(&config, &collapsing, false);
        assert_eq!(h.scores[3], Some(0.0), "a drop of 90% scores nothing");
        assert!(h.score < 40.0 && h.band(&config) == "red", "{}", h.score);
        let soaring = Inputs {
            platform_now: 1000,
            active: 10,
            deep: 10,
            activated: 10,
            features_used: 10,
            ..inputs()
        };
        assert_eq!(Health::of(&config, &soaring, false).score.round(), 100.0);
        let lenient = HealthConfig {
            bands: [30.0, 60.0],
            ..config.clone()
        };
        assert_eq!(
            Health::of(&lenient, &inputs(), false).band(&lenient),
            "green"
        );
        // Nothing measurable: no licensed users, no history, no features.
        let empty = Health::of(&config, &Inputs::default(), false);
        assert_eq!((empty.score, empty.band(&config)), (0.0, "red"));
    }

    #[test]
    fn feedback_sentiment_counts_when_there_is_feedback() {
        let config = HealthConfig::default();
        let happy = Inputs {
            sentiment: Some(0.5),
            ..inputs()
        };
        let h = Health::of(&config, &happy, false);
        // 50 * (1 + 0.5) = 75, full marks at 75; all six weights count.
        assert_eq!(h.scores[5], Some(100.0));
        let want =
            (75.0 * 25.0 + 60.0 * 20.0 + 40.0 * 15.0 + 70.0 * 15.0 + 100.0 * 15.0 + 100.0 * 10.0)
                / 100.0;
        assert!((h.score - want).abs() < 1e-9, "{}", h.score);
        let sour = Health::of(
            &config,
            &Inputs {
                sentiment: Some(-0.6),
                ..inputs()
            },
            false,
        );
        assert!(sour.score < h.score);
        let text = sour.explain(&config, Some(&h));
        assert!(
            text.contains("feedback sentiment fell from 75 of 100 to 20 of 100"),
            "{text}"
        );
    }

    #[test]
    fn onboarding_accounts_use_their_own_weights() {
        let config = HealthConfig::default();
        let h = Health::of(&config, &inputs(), true);
        assert_eq!(h.points[3], 0.0, "no trend while onboarding");
        let want = (75.0 * 30.0 + 60.0 * 10.0 + 40.0 * 20.0 + 100.0 * 40.0) / 100.0;
        assert!((h.score - want).abs() < 1e-9, "{}", h.score);
        assert!(h.explain(&config, None).contains("onboarding weights"));
    }

    #[test]
    fn the_explanation_names_each_change_in_points() {
        let config = HealthConfig::default();
        let before = Health::of(
            &config,
            &Inputs {
                active: 8,
                ..inputs()
            },
            false,
        );
        let now = Health::of(&config, &inputs(), false);
        let text = now.explain(&config, Some(&before));
        // 80% -> 60% of licensed users: 100 -> 75 points of 25/90.
        assert!(
            text.contains("active users fell from 80% to 60%: -7 points"),
            "{text}"
        );
        assert!(
            text.contains("seat activation held at 90%: +0 points"),
            "{text}"
        );
        assert!(text.contains("key features used held at 4 of 10"), "{text}");
        assert!(
            text.contains("feedback sentiment: no data, its weight shared by the others"),
            "{text}"
        );
        assert!(text.starts_with(&format!(
            "score {} (yellow), {} 30 days before",
            now.score.round(),
            before.score.round()
        )));
        // Values compare as numbers, not as text.
        let wider = Health::of(
            &config,
            &Inputs {
                features_used: 10,
                ..inputs()
            },
            false,
        );
        assert!(
            wider
                .explain(&config, Some(&now))
                .contains("key features used rose from 4 of 10 to 10 of 10"),
            "{}",
            wider.explain(&config, Some(&now))
        );
        let onboarded = Health::of(&config, &inputs(), true);
        assert!(
            now.explain(&config, Some(&onboarded))
                .contains("standard weights, onboarding ones 30 days before")
        );
        let fresh = now.explain(&config, None);
        assert!(fresh.contains("active users 60%: 21 points"), "{fresh}");
    }
}
