//! `seats` (one row per account at the period's end) and `seats-pending`
//! (the assigned users never active, for re-invitation).

use crate::{Cell, ReportError, Request, Table, ratio};
use std::collections::BTreeMap;
use tenure_core::time::format_timestamp;
use tenure_store::{AccountSeats, Scope, Store};

pub(crate) fn accounts(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let seats = store.account_seats(request.period, &request.scope, request.config.pending_days)?;
    accounts_of(store, request, &seats)
}

/// `seats` from the accounts' seat funnels ([`Store::account_seats`]).
pub(crate) fn accounts_of(
    store: &dyn Store,
    request: &Request,
    seats: &[AccountSeats],
) -> Result<Table, ReportError> {
    let per: BTreeMap<&str, &AccountSeats> =
        seats.iter().map(|s| (s.account_id.as_str(), s)).collect();
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
        let s = per
            .get(account.account_id.as_str())
            .copied()
            .cloned()
            .unwrap_or_default();
        let purchased = account.seats_purchased;
        table.push(vec![
            account.account_id.into(),
            purchased.map(Cell::Int).into(),
            s.assigned.into(),
            s.activated.into(),
            ratio(s.activated, s.assigned),
            purchased.map_or(Cell::Empty, |p| ratio(s.assigned, p)),
            s.pending.into(),
        ]);
    }
    Ok(table)
}

pub(crate) fn pending_users(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let holders = Scope {
        all_users: false,
        ..request.scope.clone()
    };
    let mut table = Table::new(&["user_id", "account_id", "email", "seat_assigned_at"]);
    for u in store.pending_seats(request.period.to, request.config.pending_days, &holders)? {
        table.push(vec![
            u.user_id.into(),
            u.account_id.into(),
            u.email.into(),
            u.seat_assigned_at.map(format_timestamp).into(),
        ]);
    }
    Ok(table)
}
