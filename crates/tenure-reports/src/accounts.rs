//! `accounts`: one row per account at the period's end, what a CSM scans
//! first: the account's traits then, its seats, its licensed users by
//! engagement category over the period, and its health on the last day.

use crate::{Cell, ReportError, Request, Table, health};
use std::collections::BTreeMap;
use tenure_store::{Scope, Store};

pub(crate) const COLUMNS: &[&str] = &[
    "account_id",
    "name",
    "plan",
    "mrr",
    "csm_owner",
    "renewal_date",
    "archived",
    "purchased",
    "assigned",
    "activated",
    "engaging",
    "interacting",
    "consuming",
    "dormant",
    "health",
    "band",
];

/// Per account: assigned, activated, then the users per category in
/// [`tenure_core::report::Category::ALL`] order.
type Counts = [u64; 6];

pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let licensed = Scope {
        all_users: false,
        ..request.scope.clone()
    };
    let mut per: BTreeMap<String, Counts> = BTreeMap::new();
    for s in store.account_seats(request.period, &licensed, request.config.pending_days)? {
        let slot = per.entry(s.account_id).or_default();
        slot[0] = s.assigned;
        slot[1] = s.activated;
    }
    // Users per category counted in the store, as engagement-summary does.
    let config = &request.config;
    let categories = store.category_counts(
        request.period,
        &licensed,
        config.engaging_min_research,
        config.engaging_min_social,
    )?;
    for c in categories {
        let Some(account) = c.account_id else {
            continue;
        };
        per.entry(account).or_default()[2..].copy_from_slice(&c.users);
    }
    let healths = health::healths_on(store, request, request.period.to)?;
    let config = &request.config.health;
    let mut table = Table::new(COLUMNS);
    for a in store.accounts_at(request.period.to, &request.scope)? {
        if a.archived && !request.all_accounts {
            continue;
        }
        let counts = per.remove(&a.account_id).unwrap_or_default();
        let health = healths.get(&a.account_id);
        let mut row = vec![
            a.account_id.into(),
            a.name.into(),
            a.plan.into(),
            a.mrr.map_or(Cell::Empty, Cell::Float),
            a.csm_owner.into(),
            a.renewal_date.map(|d| d.to_string()).into(),
            if a.archived { "true" } else { "false" }.into(),
            a.seats_purchased.map(Cell::Int).into(),
        ];
        row.extend(counts.map(Cell::Int));
        row.push(health.map_or(Cell::Empty, |h| Cell::Int(h.score.round() as u64)));
        row.push(health.map(|h| h.band(config)).into());
        table.push(row);
    }
    Ok(table)
}
