//! `alive`: per user, the BG/NBD probability of being alive and the
//! active days to expect in the next 30 and 90 days. Transactions are
//! active days (UTC days with a platform event) up to the period's end;
//! time is in days. The model is fitted on every user with an active day
//! then (licensed or not; a deterministic sample of
//! [`FIT_USERS`] when there are more), the rows are the users in scope.
//! Training the models keeps the fit beside them (model `bgnbd`); while
//! it is fresh (`models.retrain_days`) the report scores with it instead
//! of fitting again, so a day's scoring costs the rows alone.

use crate::{Cell, ReportError, Request, Table};
use chrono::NaiveDate;
use tenure_models::bgnbd::{self, Summary};
use tenure_store::{ActiveDays, Store};

/// At most this many users' histories go into the fit: enough to pin the
/// four parameters down, and a fit over a million users stays quick.
pub const FIT_USERS: usize = 50_000;

pub(crate) const COLUMNS: &[&str] = &[
    "user_id",
    "account_id",
    "active_days",
    "recency_days",
    "age_days",
    "p_alive",
    "expected_30d",
    "expected_90d",
];

/// A user's history as the model reads it, in days up to `to`.
fn summary(user: &ActiveDays, to: NaiveDate) -> Summary {
    Summary {
        x: user.days.saturating_sub(1) as f64,
        t_x: (user.last - user.first).num_days() as f64,
        t: (to - user.first).num_days() as f64,
    }
}

/// The model fitted to `users` (see [`FIT_USERS`]): every one when there
/// are few enough, else those whose id hashes lowest (the same users on
/// every run).
pub(crate) fn fitted(users: &[ActiveDays], to: NaiveDate) -> Result<bgnbd::Fit, ReportError> {
    let mut rows: Vec<(u64, Summary)> = users
        .iter()
        .map(|u| {
            let key = xxhash_rust::xxh3::xxh3_64(u.user_id.as_bytes());
            (key, summary(u, to))
        })
        .collect();
    if rows.len() > FIT_USERS {
        rows.select_nth_unstable_by_key(FIT_USERS, |(key, _)| *key);
        rows.truncate(FIT_USERS);
        rows.sort_unstable_by_key(|(key, _)| *key);
    }
    let sample: Vec<Summary> = rows.into_iter().map(|(_, s)| s).collect();
    Ok(bgnbd::fit(&sample)?)
}

/// The fit's parameters and evaluation as kept (and as `models` shows
/// them).
pub(crate) fn fit_params(fit: &bgnbd::Fit) -> serde_json::Value {
    let p = &fit.params;
    serde_json::json!({
        "r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b,
        "time_unit": "day", "log_likelihood": fit.log_likelihood,
        "transactions": "active days (UTC days with a platform event)",
    })
}

/// The fit kept as of `to` (trained within `retrain_days` before it,
/// not after), if any.
pub(crate) fn kept(
    store: &dyn Store,
    config: &tenure_core::report::ReportsConfig,
    to: NaiveDate,
) -> Result<Option<tenure_store::ModelFit>, ReportError> {
    let fresh = tenure_core::report::days_before(to, u64::from(config.models.retrain_days));
    Ok(store
        .model_fits(to)?
        .into_iter()
        .find(|f| f.model == MODEL && f.trained_on > fresh))
}

/// The model's name among the kept fits.
pub(crate) const MODEL: &str = "bgnbd";

/// The parameters of a kept fit.
fn params_of(fit: &tenure_store::ModelFit) -> Option<bgnbd::Params> {
    let v: serde_json::Value = serde_json::from_str(&fit.params).ok()?;
    let get = |k: &str| v.get(k).and_then(serde_json::Value::as_f64);
    Some(bgnbd::Params {
        r: get("r")?,
        alpha: get("alpha")?,
        a: get("a")?,
        b: get("b")?,
    })
}

/// The fit of every user's active days up to `to`, as a kept model row;
/// None when the data cannot be fitted (the report then says why).
pub(crate) fn to_keep(
    store: &dyn Store,
    to: NaiveDate,
) -> Result<Option<tenure_store::ModelFit>, ReportError> {
    let users = store.user_active_days(to)?;
    match fitted(&users, to) {
        Ok(fit) => Ok(Some(tenure_store::ModelFit {
            model: MODEL.into(),
            trained_on: to,
            method: "maximum_likelihood".into(),
            train_rows: fit.rows as u64,
            test_rows: 0,
            auc: None,
            brier: None,
            params: fit_params(&fit).to_string(),
        })),
        Err(ReportError::Model(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn round(x: f64, places: i32) -> Cell {
    let k = 10f64.powi(places);
    Cell::Float((x * k).round() / k)
}

pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let to = request.period.to;
    let users = store.user_active_days(to)?;
    let kept = kept(store, &request.config, to)?;
    let params = match kept.as_ref().and_then(params_of) {
        Some(params) => params,
        None => fitted(&users, to)?.params,
    };
    let mut table = Table::new(COLUMNS);
    for u in &users {
        if !request
            .scope
            .admits(&u.user_id, u.account_id.as_deref(), &u.groups, u.licensed)
        {
            continue;
        }
        let s = summary(u, to);
        table.push(vec![
            u.user_id.clone().into(),
            u.account_id.clone().into(),
            u.days.into(),
            (s.t_x as u64).into(),
            (s.t as u64).into(),
            round(params.p_alive(&s), 4),
            round(params.conditional_expected(30.0, &s), 2),
            round(params.conditional_expected(90.0, &s), 2),
        ]);
    }
    Ok(table)
}
