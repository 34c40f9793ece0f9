//! `overview`: one JSON document for one account or all (the dashboard's
//! data): the seats funnel, users per level and per category, and the
//! active rate, all over the same period and scope.

use crate::{ReportError, Request, active_rate, ratio, run, seats};
use serde_json::{Map, Value, json};
use tenure_core::report::Category;
use tenure_store::Store;

pub fn overview(store: &dyn Store, request: &Request) -> Result<Value, ReportError> {
    // Three parts, each on a handle of its own: the categories of the
    // users in scope (the licensed ones unless the request asks for all
    // users) counted per account in the store, the users per level, and
    // here the seats and the active rate from one count per account. Run
    // side by side they overlap where one query leaves a core idle (on
    // the large store 5% faster than one after another; BENCHMARKS.md).
    let (categories, levels) = (store.reader()?, store.reader()?);
    let (per_category, levels, seats, active) = std::thread::scope(|s| {
        let per_category = s.spawn(move || {
            categories.category_counts(
                request.period,
                &request.scope,
                request.config.engaging_min_research,
                request.config.engaging_min_social,
            )
        });
        let levels = s.spawn(move || run(levels.as_ref(), "levels", request));
        let here = (|| {
            let per_account =
                store.account_seats(request.period, &request.scope, request.config.pending_days)?;
            let seats = seats::accounts_of(store, request, &per_account)?;
            let active = active_rate::accounts(store, request, request.period, &per_account)?;
            Ok::<_, ReportError>((seats, active))
        })();
        let per_category = per_category.join().expect("category counts thread");
        let levels = levels.join().expect("levels thread");
        here.map(|(seats, active)| (per_category, levels, seats, active))
    })?;
    let (per_category, levels) = (per_category?, levels?);
    let (activated_accounts, active_accounts) = active;

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
    for (i, category) in Category::ALL.iter().enumerate() {
        let n: u64 = per_category.iter().map(|a| a.users[i]).sum();
        categories.insert(category.as_str().to_string(), json!(n));
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
