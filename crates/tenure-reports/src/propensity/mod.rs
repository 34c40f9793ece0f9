//! Propensity scores (docs/models.md): churn, expansion and trial
//! conversion per account, trial success and advocacy per user. Each is a
//! logistic regression trained on features as of past month ends and the
//! outcome in the horizon after each, tested on the latest months held out;
//! with too few labels it is a documented heuristic that says so.
//!
//! Reports: `scores` (as of the period's end), `models` (the fits and
//! their held-out AUC, Brier score and calibration; with the BG/NBD fit),
//! and `backtest` (see [`backtest`]).

mod backtest;
mod features;
mod train;

use crate::health::DayInputs;
use crate::{Cell, ReportError, Request, Table};
pub(crate) use backtest::report as backtest;
use chrono::NaiveDate;
use features::{History, Snapshot};
use tenure_core::models::{MODELS, ModelKind, Unit};
use tenure_core::report::ReportsConfig;
use tenure_store::Store;
use train::Trained;

/// Whom a model scores: paying accounts for churn and expansion, trial
/// accounts for trial conversion, the users of trial accounts for trial
/// success, every licensed user for advocacy.
pub(crate) fn scores_account(kind: &ModelKind, a: &features::AccountRow) -> bool {
    match kind.name {
        "churn" | "expansion" => !a.trial,
        "trial_conversion" | "trial_success" => a.trial,
        _ => true,
    }
}

/// Trains every model as of `as_of` and keeps the fits (replacing any of
/// that day). Returns the `models` rows of the new fits.
pub fn train_and_keep(
    store: &mut dyn Store,
    config: &ReportsConfig,
    as_of: NaiveDate,
) -> Result<Table, ReportError> {
    let history = History::load(&*store, config, as_of)?;
    let trained = train::train_all(&*store, config, &history, as_of)?;
    let mut fits: Vec<_> = trained.iter().map(Trained::to_fit).collect();
    // The BG/NBD fit `alive` scores with, kept beside the models.
    let alive = crate::alive::to_keep(&*store, as_of)?;
    fits.extend(alive.clone());
    store.save_model_fits(as_of, &fits)?;
    let mut table = Table::new(MODEL_COLUMNS);
    for t in &trained {
        table.push(model_row(t));
    }
    if let Some(fit) = alive {
        table.push(bgnbd_row(&fit));
    }
    Ok(table)
}

/// The `models` row of a BG/NBD fit.
fn bgnbd_row(fit: &tenure_store::ModelFit) -> Vec<Cell> {
    vec![
        fit.model.clone().into(),
        fit.method.clone().into(),
        fit.trained_on.to_string().into(),
        fit.train_rows.into(),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        fit.params.clone().into(),
    ]
}

/// How many days of kept scores stay (what a `score_crossed` playbook
/// needs is the day and the day before; a month is kept to look back).
pub const SCORE_DAYS_KEPT: u32 = 30;

/// Scores every account and user for each day from `from` to `to` with
/// the kept models and keeps the scores of `models` (a day kept again is
/// replaced; days older than [`SCORE_DAYS_KEPT`] are dropped). A day
/// without fresh kept models is skipped (scoring it would train first).
/// Returns the days kept and the rows.
pub fn keep_days(
    store: &mut dyn Store,
    config: &ReportsConfig,
    models: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(usize, usize), ReportError> {
    let (mut days, mut rows) = (0, 0);
    let mut day = from;
    while day <= to {
        if kept(&*store, config, day)?.is_some() {
            let kept_rows = scores_of_day(&*store, config, models, day)?;
            rows += kept_rows.len();
            store.save_scores(day, &kept_rows, SCORE_DAYS_KEPT)?;
            days += 1;
        }
        day = day.succ_opt().unwrap_or(to + chrono::Days::new(1));
    }
    Ok((days, rows))
}

/// The scores of `models` for `day`, as kept rows.
pub(crate) fn scores_of_day(
    store: &dyn Store,
    config: &ReportsConfig,
    models: &[String],
    day: NaiveDate,
) -> Result<Vec<tenure_store::ScoreRow>, ReportError> {
    let inputs = DayInputs::take(store, &Request::day(config, day), day)?;
    day_scores(store, config, models, day, &inputs)
}

/// The scores of `models` for `day`, from the day's health inputs, as
/// kept rows: the `scores` report's, without the reasons.
pub(crate) fn day_scores(
    store: &dyn Store,
    config: &ReportsConfig,
    models: &[String],
    day: NaiveDate,
    inputs: &DayInputs,
) -> Result<Vec<tenure_store::ScoreRow>, ReportError> {
    let history = History::load(store, config, day)?;
    let trained: Vec<Trained> = current(store, config, Some(&history), day)?
        .into_iter()
        .filter(|t| models.iter().any(|m| m == t.kind.name))
        .collect();
    let snapshot = Snapshot::from_inputs(store, config, &history, day, inputs, &|_, _| true)?;
    let mut rows = Vec::new();
    each_subject(&trained, &snapshot, &|_, _| true, &mut |s| {
        rows.push(tenure_store::ScoreRow {
            day,
            account_id: s.account.id.clone(),
            user_id: s.user.map(|u| u.id.clone()),
            model: s.model.kind.name.into(),
            score: round4(s.model.probability(s.x, s.heuristic)),
        });
    });
    Ok(rows)
}

/// A score as reports show and the history keeps it.
fn round4(p: f64) -> f64 {
    (p * 10_000.0).round() / 10_000.0
}

/// One model and one account or user it scores.
struct Subject<'a> {
    model: &'a Trained,
    account: &'a features::AccountRow,
    /// None for an account model.
    user: Option<&'a features::UserRow>,
    x: &'a [f64],
    /// The heuristic's score (what a model without enough labels gives).
    heuristic: f64,
}

/// Calls `f` with each model and subject the scores cover, in the
/// report's order. `account_shown` says which account rows an account
/// model scores (users are chosen by the snapshot).
fn each_subject(
    trained: &[Trained],
    snapshot: &Snapshot,
    account_shown: &dyn Fn(usize, &features::AccountRow) -> bool,
    f: &mut dyn FnMut(Subject),
) {
    for t in trained {
        match t.kind.unit {
            Unit::Account => {
                for (i, a) in snapshot.accounts.iter().enumerate() {
                    if account_shown(i, a) && scores_account(&t.kind, a) {
                        f(Subject {
                            model: t,
                            account: a,
                            user: None,
                            x: &a.x,
                            heuristic: train::heuristic_account(&t.kind, a),
                        });
                    }
                }
            }
            Unit::User => {
                for u in &snapshot.users {
                    let a = &snapshot.accounts[u.account];
                    if scores_account(&t.kind, a) {
                        f(Subject {
                            model: t,
                            account: a,
                            user: Some(u),
                            x: &u.x,
                            heuristic: train::heuristic_user(&t.kind, u),
                        });
                    }
                }
            }
        }
    }
}

/// Whether the kept fits as of `day` are missing or older than
/// `retrain_days` (the server then trains again).
pub fn needs_training(
    store: &dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
) -> Result<bool, ReportError> {
    Ok(kept(store, config, day)?.is_none())
}

/// The kept fits of every model trained within `retrain_days` up to
/// `day`, if there are all.
fn kept(
    store: &dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
) -> Result<Option<Vec<Trained>>, ReportError> {
    let fresh = tenure_core::report::days_before(day, u64::from(config.models.retrain_days));
    let fits = store.model_fits(day)?;
    let trained: Vec<Trained> = MODELS
        .iter()
        .filter_map(|k| {
            fits.iter()
                .find(|f| f.model == k.name && f.trained_on > fresh)
                .and_then(|f| Trained::from_fit(f, config))
        })
        .collect();
    Ok((trained.len() == MODELS.len()).then_some(trained))
}

/// The models as of `day`: the kept fits when fresh, else trained now
/// (in memory) on the history up to `day` (`history` when the caller has
/// it loaded).
fn current(
    store: &dyn Store,
    config: &ReportsConfig,
    history: Option<&History>,
    day: NaiveDate,
) -> Result<Vec<Trained>, ReportError> {
    if let Some(trained) = kept(store, config, day)? {
        return Ok(trained);
    }
    match history {
        Some(history) => train::train_all(store, config, history, day),
        None => train::train_all(store, config, &History::load(store, config, day)?, day),
    }
}

pub(crate) const SCORE_COLUMNS: &[&str] = &[
    "account_id",
    "user_id",
    "model",
    "score",
    "method",
    "reasons",
];

/// `scores`: every model's score as of the period's end for the accounts
/// and users in scope.
pub(crate) fn scores(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let config = &request.config;
    let day = request.period.to;
    let history = History::load(store, config, day)?;
    let trained = current(store, config, Some(&history), day)?;
    let scope = &request.scope;
    let keep = |u: &tenure_store::UserActivity, _: &features::AccountRow| {
        scope.admits(&u.user_id, u.account_id.as_deref(), &u.groups, u.licensed)
    };
    let snapshot = Snapshot::take(store, config, &history, day, &keep)?;
    // Account rows: the scope's accounts; with a user or group filter,
    // the accounts of the users it keeps.
    let narrowed = !scope.users.is_empty() || !scope.groups.is_empty();
    let mut shown = vec![!narrowed; snapshot.accounts.len()];
    for u in &snapshot.users {
        shown[u.account] = true;
    }
    let mut table = Table::new(SCORE_COLUMNS);
    let wanted = |i: usize, a: &features::AccountRow| {
        shown[i] && (scope.accounts.is_empty() || scope.accounts.contains(&a.id))
    };
    each_subject(&trained, &snapshot, &wanted, &mut |s| {
        let (p, reasons) = s.model.score(s.x, s.heuristic);
        table.push(vec![
            s.account.id.clone().into(),
            s.user.map_or(Cell::Empty, |u| u.id.clone().into()),
            s.model.kind.name.into(),
            Cell::Float(round4(p)),
            s.model.method_name().into(),
            reasons.into(),
        ]);
    });
    Ok(table)
}

pub(crate) const MODEL_COLUMNS: &[&str] = &[
    "model",
    "method",
    "trained_at",
    "train_rows",
    "test_rows",
    "auc",
    "brier",
    "params",
];

fn model_row(t: &Trained) -> Vec<Cell> {
    let opt = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Float);
    vec![
        t.kind.name.into(),
        t.method_name().into(),
        t.trained_on.to_string().into(),
        t.train_rows.into(),
        t.test_rows.into(),
        opt(t.auc),
        opt(t.brier),
        t.params().to_string().into(),
    ]
}

/// `models`: each propensity model as of the period's end (kept or
/// trained now), then the BG/NBD fit the `alive` report uses.
pub(crate) fn models(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let day = request.period.to;
    let mut table = Table::new(MODEL_COLUMNS);
    for t in current(store, &request.config, None, day)? {
        table.push(model_row(&t));
    }
    // The kept BG/NBD fit when fresh, else one fitted now.
    if let Some(fit) = crate::alive::kept(store, &request.config, day)? {
        table.push(bgnbd_row(&fit));
        return Ok(table);
    }
    let users = store.user_active_days(day)?;
    match crate::alive::fitted(&users, day) {
        Ok(fit) => {
            table.push(vec![
                crate::alive::MODEL.into(),
                "maximum_likelihood".into(),
                day.to_string().into(),
                (fit.rows as u64).into(),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                crate::alive::fit_params(&fit).to_string().into(),
            ]);
        }
        Err(ReportError::Model(e)) => {
            table.push(vec![
                crate::alive::MODEL.into(),
                "unavailable".into(),
                day.to_string().into(),
                0u64.into(),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                serde_json::json!({ "why": e.to_string() })
                    .to_string()
                    .into(),
            ]);
        }
        Err(e) => return Err(e),
    }
    Ok(table)
}
