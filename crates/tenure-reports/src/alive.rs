//! `alive`: per user, the BG/NBD probability of being alive and the
//! active days to expect in the next 30 and 90 days. Transactions are
//! active days (UTC days with a platform event) up to the period's end;
//! time is in days. The model is fitted on every user with an active day
//! then (licensed or not; a deterministic sample of
//! [`FIT_USERS`] when there are more), the rows are the users in scope.

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

fn round(x: f64, places: i32) -> Cell {
    let k = 10f64.powi(places);
    Cell::Float((x * k).round() / k)
}

pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let to = request.period.to;
    let users = store.user_active_days(to)?;
    let params = fitted(&users, to)?.params;
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
