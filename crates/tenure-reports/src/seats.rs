//! `seats` (one row per account at the period's end) and `seats-pending`
//! (the assigned users never active, for re-invitation).

use crate::{Cell, ReportError, Request, Table, ratio};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use tenure_core::time::format_timestamp;
use tenure_store::{Scope, Store, UserActivity};

/// Assigned users (licensed at the period's end) of the accounts in scope.
fn holders(store: &dyn Store, request: &Request) -> Result<Vec<UserActivity>, ReportError> {
    let scope = Scope {
        all_users: false,
        ..request.scope.clone()
    };
    Ok(store.user_activity(request.period, &scope)?)
}

/// Assigned at least `days` before `end` and never active.
fn pending(u: &UserActivity, end: DateTime<Utc>, days: u32) -> bool {
    u.last_active_at.is_none()
        && u.seat_assigned_at
            .is_some_and(|at| end - at >= chrono::Duration::days(i64::from(days)))
}

pub(crate) fn accounts(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    accounts_of(store, request, &holders(store, request)?)
}

/// `seats` from the assigned users of the accounts in scope.
pub(crate) fn accounts_of<'a>(
    store: &dyn Store,
    request: &Request,
    holders: impl IntoIterator<Item = &'a UserActivity>,
) -> Result<Table, ReportError> {
    let end = request.period.end().and_utc();
    // assigned, activated, pending
    let mut per: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for u in holders {
        let Some(account) = u.account_id.clone() else {
            continue;
        };
        let slot = per.entry(account).or_default();
        slot[0] += 1;
        slot[1] += u64::from(u.last_active_at.is_some());
        slot[2] += u64::from(pending(u, end, request.config.pending_days));
    }
    let mut table = Table::new(&[
        "account_id",
        "purchased",
        "assigned",
        "activated",
        "activation_rate",
        "utilisation",
        "pending_over_7_days",
    ]);
    let scope = &request.scope;
    for account in store.accounts_at(request.period.to, scope)? {
        if account.archived {
            continue;
        }
        let [assigned, activated, pending] = per.remove(&account.account_id).unwrap_or_default();
        let purchased = account.seats_purchased;
        table.push(vec![
            account.account_id.into(),
            purchased.map(Cell::Int).into(),
            assigned.into(),
            activated.into(),
            ratio(activated, assigned),
            purchased.map_or(Cell::Empty, |p| ratio(assigned, p)),
            pending.into(),
        ]);
    }
    Ok(table)
}

pub(crate) fn pending_users(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let end = request.period.end().and_utc();
    let mut table = Table::new(&["user_id", "account_id", "email", "seat_assigned_at"]);
    for u in holders(store, request)? {
        if pending(&u, end, request.config.pending_days) {
            table.push(vec![
                u.user_id.into(),
                u.account_id.into(),
                u.email.into(),
                u.seat_assigned_at.map(format_timestamp).into(),
            ]);
        }
    }
    Ok(table)
}
