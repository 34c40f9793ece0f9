//! `overview`: one JSON document for one account or all (the dashboard's
//! data): the seats funnel, users per level and per category, and the
//! active rate, all over the same period and scope.

use crate::{ReportError, Request, run};
use serde_json::{Map, Value, json};
use tenure_store::Store;

pub fn overview(store: &dyn Store, request: &Request) -> Result<Value, ReportError> {
    let seats = run(store, "seats", request)?;
    let levels = run(store, "levels", request)?;
    let summary = run(store, "engagement-summary", request)?;
    let mut rate_request = request.clone();
    rate_request.months = None;
    rate_request.interval = Some("all".into());
    rate_request.mode = None;
    let rate = run(store, "active-rate", &rate_request)?;

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
    let mut active_rate = rate.to_json()[0].clone();
    if let Some(fields) = active_rate.as_object_mut() {
        fields.remove("period");
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
        "active_rate": active_rate,
    }))
}
