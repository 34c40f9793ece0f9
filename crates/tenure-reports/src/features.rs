//! `features` (per event name) and `errors` (per feature of Error Shown):
//! use in the period, and the change from the previous period.

use crate::{Cell, ReportError, Request, Table};
use std::collections::BTreeMap;
use tenure_core::report::ParamError;
use tenure_store::Store;

fn change_pct(now: u64, before: Option<u64>) -> Cell {
    match before {
        Some(b) if b > 0 => {
            Cell::Float(((now as f64 - b as f64) * 1000.0 / b as f64).round() / 10.0)
        }
        _ => Cell::Empty,
    }
}

fn ascending(request: &Request) -> Result<bool, ReportError> {
    match request.order.as_deref() {
        None | Some("desc") => Ok(false),
        Some("asc") => Ok(true),
        Some(other) => Err(ParamError {
            param: "order".into(),
            reason: format!("{other:?} is not asc or desc"),
        }
        .into()),
    }
}

pub(crate) fn features(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let asc = ascending(request)?;
    let now = store.event_usage(request.period, &request.scope, None)?;
    let before: BTreeMap<String, u64> = store
        .event_usage(request.period.previous(), &request.scope, None)?
        .into_iter()
        .map(|u| (u.name, u.events))
        .collect();
    let mut rows = now;
    if asc {
        rows.reverse();
    }
    let mut table = Table::new(&[
        "event",
        "kind",
        "events",
        "users",
        "accounts",
        "account_share",
        "change_pct",
    ]);
    for u in rows {
        let share = if u.accounts_in_period == 0 {
            Cell::Empty
        } else {
            let share = u.accounts as f64 / u.accounts_in_period as f64;
            Cell::Float((share * 10_000.0).round() / 10_000.0)
        };
        let change = change_pct(u.events, before.get(&u.name).copied());
        table.push(vec![
            u.name.into(),
            u.kind.into(),
            u.events.into(),
            u.users.into(),
            u.accounts.into(),
            share,
            change,
        ]);
    }
    Ok(table)
}

pub(crate) fn errors(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let asc = ascending(request)?;
    let event = "Error Shown";
    let mut rows = store.event_usage(request.period, &request.scope, Some(event))?;
    let before: BTreeMap<String, u64> = store
        .event_usage(request.period.previous(), &request.scope, Some(event))?
        .into_iter()
        .map(|u| (u.name, u.events))
        .collect();
    if asc {
        rows.reverse();
    }
    let mut table = Table::new(&["feature", "errors", "users", "accounts", "change_pct"]);
    for u in rows {
        let change = change_pct(u.events, before.get(&u.name).copied());
        table.push(vec![
            u.name.into(),
            u.events.into(),
            u.users.into(),
            u.accounts.into(),
            change,
        ]);
    }
    Ok(table)
}
