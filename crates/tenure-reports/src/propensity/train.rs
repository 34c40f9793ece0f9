//! Training: labels from the history after each snapshot, a time split
//! (train on the months whose labels were known before the test months
//! began), a logistic regression evaluated on the held-out months and
//! refitted on them all; a documented heuristic when labels are too few.

use super::features::{
    self, ACCOUNT, AccountRow, HEALTH, History, NPS_ANSWERED, NPS_LAST, Snapshot, Snapshots, USER,
    UserRow,
};
use super::scores_account;
use crate::ReportError;
use chrono::NaiveDate;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use tenure_core::models::{MODELS, ModelKind, Unit};
use tenure_core::report::{Category, Period, ReportsConfig, days_before};
use tenure_models::logistic::{Logistic, Matrix};
use tenure_models::metrics;
use tenure_store::{ModelFit, Store};

/// How a model scores.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Method {
    Logistic(Logistic),
    /// Too few labels: the heuristic, and why.
    Heuristic(String),
}

/// A trained model, as the `models` report shows it and the store keeps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trained {
    pub kind: ModelKind,
    /// The features it reads: indexes into [`ACCOUNT`] or [`USER`].
    pub columns: Vec<usize>,
    pub method: Method,
    pub trained_on: NaiveDate,
    pub train_rows: u64,
    pub test_rows: u64,
    pub auc: Option<f64>,
    pub brier: Option<f64>,
    /// The evaluation and the training set-up (a JSON object).
    pub details: Value,
}

/// Whether a row is in a model's population, and its outcome.
pub(crate) struct Labels<'a> {
    pub config: &'a ReportsConfig,
    pub history: &'a History,
    /// Per snapshot day, the users of trial accounts active in the last 30
    /// days of the horizon.
    pub late_active: HashMap<NaiveDate, HashSet<String>>,
}

impl Labels<'_> {
    fn horizon(&self) -> u32 {
        self.config.models.horizon_days
    }

    pub(crate) fn account(&self, kind: &ModelKind, a: &AccountRow, day: NaiveDate) -> Option<bool> {
        let m = &self.config.models;
        let event = match kind.name {
            "churn" => &m.churn_event,
            "expansion" => &m.upgrade_event,
            "trial_conversion" => &m.conversion_event,
            _ => return None,
        };
        scores_account(kind, a).then(|| self.history.had(&a.id, event, day, self.horizon()))
    }

    pub(crate) fn user(&self, kind: &ModelKind, s: &Snapshot, u: &UserRow) -> Option<bool> {
        let account = &s.accounts[u.account];
        match kind.name {
            "trial_success" if scores_account(kind, account) => {
                let converted = self.history.had(
                    &account.id,
                    &self.config.models.conversion_event,
                    s.day,
                    self.horizon(),
                );
                let active = self
                    .late_active
                    .get(&s.day)
                    .is_some_and(|users| users.contains(&u.id));
                Some(converted && active)
            }
            "advocacy" => {
                let end = s.day + chrono::Days::new(u64::from(self.horizon()));
                let answers = self.history.user_nps.get(&u.id)?;
                let (_, score) = answers.iter().find(|(d, _)| *d > s.day && *d <= end)?;
                Some(*score >= self.config.models.promoter_min)
            }
            _ => None,
        }
    }
}

/// The rows of a model's population in some snapshots: features, labels,
/// health scores (of the row's account) and the heuristic's scores.
#[derive(Default)]
pub(crate) struct Rows {
    pub x: Matrix,
    pub labels: Vec<bool>,
    pub health: Vec<f64>,
    pub heuristic: Vec<f64>,
}

impl Rows {
    pub(crate) fn of(
        kind: &ModelKind,
        columns: &[usize],
        snapshots: &[&Snapshot],
        labels: &Labels,
    ) -> Self {
        let features = all_features(kind);
        let mut rows = Rows {
            x: Matrix::new(columns.iter().map(|&j| features[j].name.into()).collect()),
            ..Default::default()
        };
        let pick = |all: &[f64]| -> Vec<f64> { columns.iter().map(|&j| all[j]).collect() };
        for s in snapshots {
            match kind.unit {
                Unit::Account => {
                    for a in &s.accounts {
                        if let Some(label) = labels.account(kind, a, s.day) {
                            rows.push(&pick(&a.x), label, a.health, heuristic_account(kind, a));
                        }
                    }
                }
                Unit::User => {
                    for u in &s.users {
                        if let Some(label) = labels.user(kind, s, u) {
                            let account = &s.accounts[u.account];
                            rows.push(&pick(&u.x), label, account.health, heuristic_user(kind, u));
                        }
                    }
                }
            }
        }
        rows
    }

    fn push(&mut self, x: &[f64], label: bool, health: f64, heuristic: f64) {
        self.x.push(x);
        self.labels.push(label);
        self.health.push(health);
        self.heuristic.push(heuristic);
    }

    fn positives(&self) -> usize {
        self.labels.iter().filter(|&&l| l).count()
    }
}

/// Every feature a model's unit has.
pub(crate) fn all_features(kind: &ModelKind) -> &'static [features::Feature] {
    match kind.unit {
        Unit::Account => &ACCOUNT,
        Unit::User => &USER,
    }
}

/// The configured features of a model's unit, as indexes.
pub(crate) fn columns(kind: &ModelKind, config: &ReportsConfig) -> Vec<usize> {
    let names = match kind.unit {
        Unit::Account => &config.models.account_features,
        Unit::User => &config.models.user_features,
    };
    let all = all_features(kind);
    names
        .iter()
        .filter_map(|n| all.iter().position(|f| f.name == n))
        .collect()
}

/// The heuristic score of an account (docs/models.md): what a score is
/// when there are too few labels to train on.
pub(crate) fn heuristic_account(kind: &ModelKind, a: &AccountRow) -> f64 {
    let active = a.x[features::ACTIVE];
    match kind.name {
        "churn" => 1.0 - a.x[HEALTH],
        "expansion" => a.x[HEALTH],
        _ => active,
    }
}

/// The heuristic score of a user.
pub(crate) fn heuristic_user(kind: &ModelKind, u: &UserRow) -> f64 {
    let by_category = match u.category {
        Category::Engaging => 0.8,
        Category::Interacting => 0.6,
        Category::Consuming => 0.3,
        Category::Dormant => 0.05,
    };
    if kind.name == "advocacy" && u.x[NPS_ANSWERED] > 0.0 {
        ((u.x[NPS_LAST] + 7.0) / 10.0).clamp(0.0, 1.0)
    } else {
        by_category
    }
}

/// The heuristic in words, for reasons and the `models` report.
pub(crate) fn heuristic_text(kind: &ModelKind) -> &'static str {
    match kind.name {
        "churn" => "1 - health / 100",
        "expansion" => "health / 100",
        "trial_conversion" => "the account's active share",
        "advocacy" => {
            "the last NPS answer / 10, else by category: engaging 0.8, interacting 0.6, consuming 0.3, dormant 0.05"
        }
        _ => "by category: engaging 0.8, interacting 0.6, consuming 0.3, dormant 0.05",
    }
}

/// A snapshot needs this many days of activity before it (the trend
/// compares the last 30 days with the 30 before).
pub(crate) const FEATURE_DAYS: u64 = 60;

/// The snapshot days whose labels are complete by `as_of`: every
/// `step_days` back from `as_of` less the horizon, over `history_months`
/// months, from [`FEATURE_DAYS`] after `first` (the first day with
/// activity) on; oldest first. With many `accounts` (live ones), the step
/// widens so that the days times the accounts stay within `max_rows`.
pub(crate) fn snapshot_days(
    config: &ReportsConfig,
    first: NaiveDate,
    as_of: NaiveDate,
    accounts: usize,
) -> Vec<NaiveDate> {
    let m = &config.models;
    let Some(last) = as_of.checked_sub_days(chrono::Days::new(u64::from(m.horizon_days))) else {
        return Vec::new();
    };
    let earliest = last
        .checked_sub_months(chrono::Months::new(m.history_months))
        .unwrap_or(NaiveDate::MIN)
        .max(first + chrono::Days::new(FEATURE_DAYS - 1));
    let span = (last - earliest).num_days().max(0) as u64;
    let most = (m.max_rows as usize / accounts.max(1)).max(2) as u64;
    let step = u64::from(m.step_days).max(span.div_ceil(most));
    let mut days = Vec::new();
    let mut day = last;
    while day > earliest {
        days.push(day);
        day = days_before(day, step);
    }
    days.reverse();
    days
}

/// The days to train and to test on: the test takes the days of the
/// latest `test_months` months; training the days whose horizon ends by
/// the first of them (so no label it learns from was known after it).
pub(crate) fn split(
    config: &ReportsConfig,
    days: &[NaiveDate],
) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
    let Some(&last) = days.last() else {
        return (Vec::new(), Vec::new());
    };
    let from = last
        .checked_sub_months(chrono::Months::new(config.models.test_months))
        .unwrap_or(NaiveDate::MIN);
    let test: Vec<NaiveDate> = days.iter().copied().filter(|&d| d > from).collect();
    let horizon = chrono::Days::new(u64::from(config.models.horizon_days));
    let train = days
        .iter()
        .copied()
        .filter(|&d| test.first().is_some_and(|&t| d + horizon <= t))
        .collect();
    (train, test)
}

/// The snapshots of `days` (every account, and the users some model's
/// labels need: trial accounts' users, NPS answers in the horizon) and
/// the labels of their rows.
pub(crate) fn snapshots_and_labels<'a>(
    store: &dyn Store,
    config: &'a ReportsConfig,
    history: &'a History,
    days: &[NaiveDate],
) -> Result<(Snapshots, Labels<'a>), ReportError> {
    let horizon = u64::from(config.models.horizon_days);
    let mut snapshots = Snapshots::new();
    let mut late_active = HashMap::new();
    for &day in days {
        if snapshots.contains_key(&day) {
            continue;
        }
        let end = day + chrono::Days::new(horizon);
        let answers = |user: &str| {
            history
                .user_nps
                .get(user)
                .is_some_and(|v| v.iter().any(|(d, _)| *d > day && *d <= end))
        };
        let keep = |u: &tenure_store::UserActivity, a: &AccountRow| a.trial || answers(&u.user_id);
        let snapshot = Snapshot::take(store, config, history, day, &keep)?;
        let trials: Vec<String> = snapshot
            .accounts
            .iter()
            .filter(|a| a.trial)
            .map(|a| a.id.clone())
            .collect();
        let last_30 = Period::ending(end, 30);
        // (No trial account: no query.)
        let active = if trials.is_empty() {
            HashSet::new()
        } else {
            store
                .platform_users(last_30, &trials)?
                .into_iter()
                .collect()
        };
        late_active.insert(day, active);
        snapshots.insert(day, snapshot);
    }
    let labels = Labels {
        config,
        history,
        late_active,
    };
    Ok((snapshots, labels))
}

/// The first day with a platform event (`as_of` when there is none).
pub(crate) fn first_day(store: &dyn Store, as_of: NaiveDate) -> Result<NaiveDate, ReportError> {
    Ok(store.activity_span()?.map_or(as_of, |(first, _)| first))
}

/// How many accounts are live (not archived) at the end of `day`.
pub(crate) fn live_accounts(store: &dyn Store, day: NaiveDate) -> Result<usize, ReportError> {
    Ok(store
        .accounts_at(day, &tenure_store::Scope::default())?
        .iter()
        .filter(|a| !a.archived)
        .count())
}

/// Trains every model as of `as_of`.
pub(crate) fn train_all(
    store: &dyn Store,
    config: &ReportsConfig,
    history: &History,
    as_of: NaiveDate,
) -> Result<Vec<Trained>, ReportError> {
    let accounts = live_accounts(store, as_of)?;
    let days = snapshot_days(config, first_day(store, as_of)?, as_of, accounts);
    let (snapshots, labels) = snapshots_and_labels(store, config, history, &days)?;
    let (train, test) = split(config, &days);
    Ok(MODELS
        .iter()
        .map(|kind| {
            train_one(
                kind, config, &snapshots, &labels, &train, &test, &days, as_of,
            )
        })
        .collect())
}

fn pick<'a>(snapshots: &'a Snapshots, days: &[NaiveDate]) -> Vec<&'a Snapshot> {
    days.iter().filter_map(|d| snapshots.get(d)).collect()
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Trains one model on the `train` days, tests it on the `test` days and
/// refits it on `all`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_one(
    kind: &ModelKind,
    config: &ReportsConfig,
    snapshots: &Snapshots,
    labels: &Labels,
    train: &[NaiveDate],
    test: &[NaiveDate],
    all: &[NaiveDate],
    as_of: NaiveDate,
) -> Trained {
    let m = &config.models;
    let columns = columns(kind, config);
    let train_rows = Rows::of(kind, &columns, &pick(snapshots, train), labels);
    let test_rows = Rows::of(kind, &columns, &pick(snapshots, test), labels);
    let (train_pos, test_pos) = (train_rows.positives(), test_rows.positives());
    let need_test = (m.min_positives as usize).div_ceil(4);
    let fitted = if train_pos < m.min_positives as usize {
        Err(format!(
            "{train_pos} positive labels in training, {} needed",
            m.min_positives
        ))
    } else if !test.is_empty() && test_pos < need_test {
        Err(format!(
            "{test_pos} positive labels in the test months, {need_test} needed"
        ))
    } else {
        Logistic::fit(&train_rows.x, &train_rows.labels, m.l2).map_err(|e| e.to_string())
    };
    let days = |d: &[NaiveDate]| d.iter().map(|d| d.to_string()).collect::<Vec<_>>();
    let health_sign = if kind.name == "churn" { -1.0 } else { 1.0 };
    let health: Vec<f64> = test_rows.health.iter().map(|h| health_sign * h).collect();
    let mut details = json!({
        "outcome": kind.outcome,
        "horizon_days": m.horizon_days,
        "train_months": days(train),
        "test_months": days(test),
        "train_positives": train_pos,
        "test_positives": test_pos,
        "health_auc": metrics::auc(&health, &test_rows.labels).map(round),
    });
    let heuristic_auc = metrics::auc(&test_rows.heuristic, &test_rows.labels).map(round);
    details["heuristic_auc"] = json!(heuristic_auc);
    // A model that ranks the held-out months worse than the heuristic is
    // not used (its AUC stays in the details).
    let fitted = fitted.and_then(|model| {
        let p: Vec<f64> = (0..test_rows.x.rows())
            .map(|i| model.predict(test_rows.x.row(i)))
            .collect();
        let model_auc = metrics::auc(&p, &test_rows.labels).map(round);
        match (model_auc, heuristic_auc) {
            (Some(a), Some(h)) if a < h => {
                details["model_auc"] = json!(a);
                Err(format!(
                    "the trained model's held-out AUC {a} is below the heuristic's {h}"
                ))
            }
            _ => Ok((model, p)),
        }
    });
    let (method, predicted) = match fitted {
        Ok((model, p)) => {
            // The scoring model: the same fit on every labelled month.
            let refit = if all == train {
                model
            } else {
                let every = Rows::of(kind, &columns, &pick(snapshots, all), labels);
                details["refit_rows"] = json!(every.labels.len());
                Logistic::fit(&every.x, &every.labels, m.l2).unwrap_or(model)
            };
            details["l2"] = json!(m.l2);
            (Method::Logistic(refit), p)
        }
        Err(why) => (Method::Heuristic(why), test_rows.heuristic.clone()),
    };
    let auc = metrics::auc(&predicted, &test_rows.labels).map(round);
    let brier = metrics::brier(&predicted, &test_rows.labels).map(round);
    details["lift_top_decile"] =
        json!(metrics::lift_top_decile(&predicted, &test_rows.labels).map(round));
    details["calibration"] = metrics::calibration(&predicted, &test_rows.labels, 10)
        .iter()
        .map(|b| {
            json!({
                "low": round(b.low), "high": round(b.high), "rows": b.rows,
                "mean_predicted": round(b.mean_predicted), "observed_rate": round(b.observed_rate),
            })
        })
        .collect();
    Trained {
        kind: *kind,
        columns,
        method,
        trained_on: as_of,
        train_rows: train_rows.labels.len() as u64,
        test_rows: test_rows.labels.len() as u64,
        auc,
        brier,
        details,
    }
}

impl Trained {
    pub(crate) fn method_name(&self) -> &'static str {
        match self.method {
            Method::Logistic(_) => "logistic_regression",
            Method::Heuristic(_) => "heuristic",
        }
    }

    /// The params column: the fit (features, weights per standard
    /// deviation, means and scales, intercept) or the heuristic and why,
    /// with the evaluation.
    pub(crate) fn params(&self) -> Value {
        let mut p = self.details.clone();
        match &self.method {
            Method::Logistic(m) => {
                p["features"] = json!(m.names);
                p["weights"] = json!(m.weights);
                p["means"] = json!(m.means);
                p["scales"] = json!(m.scales);
                p["intercept"] = json!(m.intercept);
            }
            Method::Heuristic(why) => {
                p["heuristic"] = json!(heuristic_text(&self.kind));
                p["why"] = json!(why);
            }
        }
        p
    }

    pub(crate) fn to_fit(&self) -> ModelFit {
        ModelFit {
            model: self.kind.name.into(),
            trained_on: self.trained_on,
            method: self.method_name().into(),
            train_rows: self.train_rows,
            test_rows: self.test_rows,
            auc: self.auc,
            brier: self.brier,
            params: self.params().to_string(),
        }
    }

    /// A kept fit back; `None` for a model this build does not know or
    /// whose features changed since (it is then trained again).
    pub(crate) fn from_fit(fit: &ModelFit, config: &ReportsConfig) -> Option<Self> {
        let kind = MODELS.iter().find(|k| k.name == fit.model)?;
        let p: Value = serde_json::from_str(&fit.params).ok()?;
        let columns = columns(kind, config);
        let method = if fit.method == "logistic_regression" {
            let floats =
                |k: &str| -> Option<Vec<f64>> { serde_json::from_value(p[k].clone()).ok() };
            let names: Vec<String> = serde_json::from_value(p["features"].clone()).ok()?;
            let all = all_features(kind);
            if !names.iter().eq(columns.iter().map(|&j| all[j].name)) {
                return None;
            }
            Method::Logistic(Logistic {
                names,
                weights: floats("weights")?,
                means: floats("means")?,
                scales: floats("scales")?,
                intercept: p["intercept"].as_f64()?,
            })
        } else {
            Method::Heuristic(p["why"].as_str().unwrap_or_default().to_string())
        };
        let mut details = p.clone();
        if let Some(o) = details.as_object_mut() {
            for k in [
                "features",
                "weights",
                "means",
                "scales",
                "intercept",
                "heuristic",
                "why",
            ] {
                o.remove(k);
            }
        }
        Some(Self {
            kind: *kind,
            columns,
            method,
            trained_on: fit.trained_on,
            train_rows: fit.train_rows,
            test_rows: fit.test_rows,
            auc: fit.auc,
            brier: fit.brier,
            details,
        })
    }

    /// A row's score and its reasons: the top three contributions (in
    /// log-odds against an average row), or the heuristic and why.
    /// The probability alone (what the kept daily scores hold).
    pub(crate) fn probability(&self, x: &[f64], heuristic: f64) -> f64 {
        match &self.method {
            Method::Logistic(m) => m.predict(&self.chosen(x)),
            Method::Heuristic(_) => heuristic.clamp(0.0, 1.0),
        }
    }

    /// The model's own columns of a full feature row.
    fn chosen(&self, x: &[f64]) -> Vec<f64> {
        self.columns.iter().map(|&j| x[j]).collect()
    }

    pub(crate) fn score(&self, x: &[f64], heuristic: f64) -> (f64, String) {
        let features = all_features(&self.kind);
        match &self.method {
            Method::Logistic(m) => {
                let x = self.chosen(x);
                let c = m.contributions(&x);
                let mut order: Vec<usize> = (0..c.len()).collect();
                order.sort_by(|&a, &b| c[b].abs().total_cmp(&c[a].abs()).then(a.cmp(&b)));
                let reasons: Vec<String> = order
                    .iter()
                    .take(3)
                    .filter(|&&j| c[j].abs() >= 0.005)
                    .map(|&j| {
                        let f = &features[self.columns[j]];
                        format!("{} {} ({:+.2})", f.name, features::show(f, x[j]), c[j])
                    })
                    .collect();
                (m.predict(&x), reasons.join("; "))
            }
            Method::Heuristic(why) => (
                self.probability(x, heuristic),
                format!("heuristic ({why}): {}", heuristic_text(&self.kind)),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn snapshots_step_back_from_the_last_complete_day_and_split_without_leaks() {
        let config = ReportsConfig::default();
        // Labels of 90 days: the last day is 2026-08-02; 12 months back
        // but not before 60 days of activity (from 2025-11-01).
        let days = snapshot_days(&config, d("2025-11-01"), d("2026-10-31"), 400);
        assert_eq!(days.last(), Some(&d("2026-08-02")));
        assert_eq!(days[0], d("2026-01-04"));
        assert!(days.windows(2).all(|w| (w[1] - w[0]).num_days() == 7));
        // 10,000 accounts: 6 snapshots of 60,000 rows, 36 days apart (the
        // 215 days from 2025-12-30 to 2026-08-02 in 6 steps).
        let wide = snapshot_days(&config, d("2025-11-01"), d("2026-10-31"), 10_000);
        assert_eq!(wide.last(), Some(&d("2026-08-02")));
        assert!(wide.windows(2).all(|w| (w[1] - w[0]).num_days() == 36));
        assert_eq!(wide.len(), 6);
        let (train, test) = split(&config, &days);
        // The test: the last 3 months of days; training ends 90 days
        // before the first of them.
        assert_eq!(test[0], d("2026-05-03"));
        assert_eq!(train.last(), Some(&d("2026-02-01")));
        assert!(train.iter().all(|&t| t + chrono::Days::new(90) <= test[0]));
        // No activity yet: nothing to train on.
        assert!(snapshot_days(&config, d("2026-10-01"), d("2026-10-31"), 400).is_empty());
    }

    fn account(id: &str, trial: bool, health: f64) -> AccountRow {
        let mut x = vec![0.0; ACCOUNT.len()];
        x[features::ACTIVE] = 0.5;
        x[HEALTH] = health / 100.0;
        AccountRow {
            id: id.into(),
            trial,
            health,
            x,
        }
    }

    #[test]
    fn labels_look_only_at_the_horizon_after_the_day() {
        let config = ReportsConfig::default();
        let mut history = History::default();
        history.events.insert(
            "a".into(),
            vec![(d("2026-03-01"), "Account Churned".into())],
        );
        history.user_nps.insert(
            "u".into(),
            vec![(d("2026-01-20"), 10.0), (d("2026-02-10"), 6.0)],
        );
        let labels = Labels {
            config: &config,
            history: &history,
            late_active: HashMap::new(),
        };
        let churn = &MODELS[0];
        let a = account("a", false, 50.0);
        assert_eq!(labels.account(churn, &a, d("2026-01-31")), Some(true));
        assert_eq!(labels.account(churn, &a, d("2025-11-30")), Some(false));
        assert_eq!(labels.account(churn, &a, d("2026-03-01")), Some(false));
        // Trials are not in the churn population, only in conversion's.
        assert_eq!(
            labels.account(churn, &account("t", true, 50.0), d("2026-01-31")),
            None
        );
        let s = Snapshot {
            day: d("2026-01-31"),
            accounts: vec![a],
            users: vec![UserRow {
                id: "u".into(),
                account: 0,
                category: Category::Engaging,
                x: vec![0.0; USER.len()],
            }],
        };
        // Advocacy: the first answer after the day (6: not a promoter).
        let advocacy = MODELS.iter().find(|k| k.name == "advocacy").unwrap();
        assert_eq!(labels.user(advocacy, &s, &s.users[0]), Some(false));
    }

    #[test]
    fn a_kept_fit_scores_as_the_trained_one_and_explains_itself() {
        let config = ReportsConfig::default();
        let kind = &MODELS[0];
        let columns = columns(kind, &config);
        assert_eq!(columns.len(), config.models.account_features.len());
        let mut x = Matrix::new(columns.iter().map(|&j| ACCOUNT[j].name.into()).collect());
        let mut labels = Vec::new();
        for i in 0..200 {
            let mut row = vec![0.0; columns.len()];
            row[0] = f64::from(i % 10) / 10.0;
            row[2] = f64::from(i % 7) / 7.0 - 0.5;
            x.push(&row);
            labels.push(i % 10 < 3 && i % 7 < 3);
        }
        let model = Logistic::fit(&x, &labels, 1.0).unwrap();
        let trained = Trained {
            kind: *kind,
            columns: columns.clone(),
            method: Method::Logistic(model),
            trained_on: d("2026-10-31"),
            train_rows: 200,
            test_rows: 0,
            auc: None,
            brier: None,
            details: json!({"horizon_days": 90}),
        };
        let back = Trained::from_fit(&trained.to_fit(), &config).unwrap();
        assert_eq!(back, trained);
        let a = account("a", false, 30.0);
        let (p, reasons) = back.score(&a.x, 0.7);
        assert_eq!((p, reasons.clone()), trained.score(&a.x, 0.7));
        assert!((0.0..=1.0).contains(&p));
        // "active_share 50% (+0.12); ..." at most three, largest first.
        assert!(
            reasons.starts_with("active_share 50% (") || reasons.contains("trend"),
            "{reasons}"
        );
        assert!(reasons.split("; ").count() <= 3, "{reasons}");
        // Another feature list in the config: the kept fit is not used.
        let mut other = config.clone();
        other.models.account_features = vec!["users".into()];
        assert_eq!(Trained::from_fit(&trained.to_fit(), &other), None);
        // A heuristic says so and why.
        let h = Trained {
            method: Method::Heuristic("3 positive labels in training, 20 needed".into()),
            ..trained
        };
        let (p, reasons) = h.score(&a.x, heuristic_account(kind, &a));
        assert!((p - 0.7).abs() < 1e-12);
        assert_eq!(
            reasons,
            "heuristic (3 positive labels in training, 20 needed): 1 - health / 100"
        );
    }
}
