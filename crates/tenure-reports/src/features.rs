//! `features` (per event name) and `errors` (per feature of Error Shown):
//! use in the period, and the change from the previous period.

use crate::monthly::pct_cell;
use crate::{ReportError, Request, Table, change_pct, ratio};
use tenure_core::report::ParamError;
use tenure_store::Store;

fn ascending(request: &Request) -> Result<bool, ReportError> {
    match request.order.as_deref() {
        None | Some("desc") => Ok(false),
        Some("asc") => Ok(true),
        Some(other) => {
            Err(ParamError::new("order", format!("{other:?} is not asc or desc")).into())
        }
    }
}

pub(crate) fn features(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let asc = ascending(request)?;
    let now = store.event_usage(request.period, &request.scope, None)?;
    let before = store.event_counts(request.period.previous(), &request.scope, None)?;
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
        let share = ratio(u.accounts, u.accounts_in_period);
        let change = pct_cell(change_pct(u.events, before.get(&u.name).copied()));
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
    let before = store.event_counts(request.period.previous(), &request.scope, Some(event))?;
    if asc {
        rows.reverse();
    }
    let mut table = Table::new(&["feature", "errors", "users", "accounts", "change_pct"]);
    for u in rows {
        let change = pct_cell(change_pct(u.events, before.get(&u.name).copied()));
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
