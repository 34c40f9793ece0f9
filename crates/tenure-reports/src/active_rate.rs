//! `active-rate`: per month, week or day, the activated accounts, the
//! active ones among them, and the rate.

use crate::{ReportError, Request, Table, ratio};
use chrono::{Datelike, Days, Months, NaiveDate};
use std::collections::BTreeSet;
use tenure_core::report::{ParamError, Period};
use tenure_store::{AccountSeats, Store};

fn bad(param: &str, reason: String) -> ReportError {
    ParamError::new(param, reason).into()
}

/// The intervals: with `months`, the last N calendar months up to the one
/// holding the period's end (that one cut at the end); otherwise the
/// period, split by `interval` (month, week from Monday, day).
fn buckets(request: &Request) -> Result<Vec<(String, Period)>, ReportError> {
    let interval = request.interval.as_deref().unwrap_or("month");
    let to = request.period.to;
    let from = match request.months {
        Some(n) if (1..=36).contains(&n) => {
            let first = NaiveDate::from_ymd_opt(to.year(), to.month(), 1).unwrap_or(to);
            first
                .checked_sub_months(Months::new(n - 1))
                .unwrap_or(first)
        }
        Some(n) => return Err(bad("months", format!("{n} is outside 1 to 36"))),
        None => request.period.from,
    };
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let (next, name) = match interval {
            "month" => {
                let first =
                    NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start);
                (
                    first.checked_add_months(Months::new(1)).unwrap_or(to),
                    start.format("%Y-%m").to_string(),
                )
            }
            "week" => {
                let monday =
                    start - chrono::Duration::days(start.weekday().num_days_from_monday() as i64);
                (
                    monday.checked_add_days(Days::new(7)).unwrap_or(to),
                    format!("{}", start.format("%G-W%V")),
                )
            }
            "day" => (
                start.checked_add_days(Days::new(1)).unwrap_or(to),
                start.to_string(),
            ),
            "all" => (
                to.checked_add_days(Days::new(1)).unwrap_or(to),
                format!("{start}..{to}"),
            ),
            other => {
                return Err(bad(
                    "interval",
                    format!("{other:?} is not month, week, day or all"),
                ));
            }
        };
        let end = next.pred_opt().unwrap_or(next).min(to);
        out.push((
            name,
            Period {
                from: start,
                to: end,
            },
        ));
        if out.len() > 800 {
            return Err(bad(
                "interval",
                "more than 800 intervals; pick a longer one".into(),
            ));
        }
        start = next;
    }
    Ok(out)
}

/// The activated accounts in scope over `period` (not archived at its end,
/// with a licensed user ever active) and the active ones among them (a
/// user with platform activity in it), from the accounts' seat funnels
/// over `period` ([`Store::account_seats`]).
pub(crate) fn accounts(
    store: &dyn Store,
    request: &Request,
    period: Period,
    seats: &[AccountSeats],
) -> Result<(u64, u64), ReportError> {
    let live: BTreeSet<String> = store
        .accounts_at(period.to, &request.scope)?
        .into_iter()
        .filter(|a| !a.archived)
        .map(|a| a.account_id)
        .collect();
    let activated = seats
        .iter()
        .filter(|s| s.activated > 0 && live.contains(&s.account_id));
    let (mut n_activated, mut n_active) = (0, 0);
    for s in activated {
        n_activated += 1;
        n_active += u64::from(s.active_users > 0);
    }
    Ok((n_activated, n_active))
}

pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let absolute = match request.mode.as_deref() {
        None | Some("rate") => false,
        Some("absolute") => true,
        Some(other) => return Err(bad("mode", format!("{other:?} is not rate or absolute"))),
    };
    let columns: &[&str] = if absolute {
        &["period", "activated_accounts", "active_accounts"]
    } else {
        &["period", "activated_accounts", "active_accounts", "rate"]
    };
    let mut table = Table::new(columns);
    for (name, period) in buckets(request)? {
        let seats = store.account_seats(period, &request.scope, request.config.pending_days)?;
        let (n_activated, n_active) = accounts(store, request, period, &seats)?;
        let mut row = vec![name.into(), n_activated.into(), n_active.into()];
        if !absolute {
            row.push(ratio(n_active, n_activated));
        }
        table.push(row);
    }
    Ok(table)
}
