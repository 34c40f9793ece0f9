//! `overview`: one JSON document for one account or all (the dashboard's
//! data): the seats funnel, users per level and per category, and the
//! active rate, all over the same period and scope.

use crate::{ReportError, Request, active_rate, engagement, ratio, run, seats};
use serde_json::{Map, Value, json};
use tenure_store::Store;

pub fn overview(store: &dyn Store, request: &Request) -> Result<Value, ReportError> {
    // The seats and the active rate from one count per account, the
    // categories from the users in scope (the licensed ones unless the
    // request asks for all users).
    let per_account =
        store.account_seats(request.period, &request.scope, request.config.pending_days)?;
    let seats = seats::accounts_of(store, request, &per_account)?;
    let users = store.user_counts(request.period, &request.scope)?;
    let levels = run(store, "levels", request)?;
    let summary = engagement::summary_of(request, &users);
    let (activated_accounts, active_accounts) =
        active_rate::accounts(store, request, request.period, &per_account)?;

    let (purchased, assigned, activated) = (
        seats.sum("purchased"),
        seats.sum("assigned"),
        seats.sum("activated"),
    );
    let pending = seats.sum("pending_over_7_days");
    let mut level_counts = Map::new();
    for level in tenure_core::rules::LEVELS {
        level_counts.insert(level.to_string(), json!(levels.sum(level)));
    }
    let mut categories = Map::new();
    for row in summary.to_json().as_array().into_iter().flatten() {
        let name = row["category"].as_str().unwrap_or_default().to_string();
        let n = row["users"].as_u64().unwrap_or(0);
        let slot = categories.entry(name).or_insert(json!(0));
        *slot = json!(slot.as_u64().unwrap_or(0) + n);
    }
    Ok(json!({
        "from": request.period.from.to_string(),
        "to": request.period.to.to_string(),
        "accounts": request.scope.accounts,
        "seats": {
            "purchased": purchased,
            "assigned": assigned,
            "activated": activated,
            "pending_over_7_days": pending,
        },
        "levels": level_counts,
        "categories": categories,
        "active_rate": {
            "activated_accounts": activated_accounts,
            "active_accounts": active_accounts,
            "rate": ratio(active_accounts, activated_accounts).json(),
        },
    }))
}
