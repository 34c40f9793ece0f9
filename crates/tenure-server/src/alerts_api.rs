//! `POST /api/v1/alerts/{id}/snooze?until=YYYY-MM-DD` and
//! `POST /api/v1/alerts/{id}/close`: an admin key, or an account-admin key
//! for its own account's alerts. The answer is the alert as it is now.

use crate::auth::require_report_reader;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;
use tenure_core::Role;
use tenure_core::alerts::AlertStatus;
use tenure_core::report::ParamError;
use tenure_store::Scope;

pub async fn set_status(
    State(state): State<Arc<AppState>>,
    Path((id, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let key = require_report_reader(&state, &headers)?;
    if key.role == Role::Viewer {
        return Err(ApiError::Forbidden(
            "a viewer key cannot change alerts".into(),
        ));
    }
    let until = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some(("until", day)) => day.parse::<chrono::NaiveDate>().map_err(|_| {
                ApiError::BadParam(ParamError::new(
                    "until",
                    format!("{day:?} is not a date like 2026-03-31"),
                ))
            }),
            _ => Err(ApiError::BadParam(ParamError::new(
                pair.split('=').next().unwrap_or(pair),
                "unknown parameter (only until, for snooze)",
            ))),
        })
        .next_back()
        .transpose()?;
    let status = match (action.as_str(), until) {
        ("snooze", Some(_)) => AlertStatus::Snoozed,
        ("snooze", None) => {
            return Err(ApiError::BadParam(ParamError::new(
                "until",
                "snooze needs until=YYYY-MM-DD",
            )));
        }
        ("close", None) => AlertStatus::Closed,
        ("close", Some(_)) => {
            return Err(ApiError::BadParam(ParamError::new(
                "until",
                "close takes no until",
            )));
        }
        (other, _) => return Err(ApiError::NotFound(format!("alert action {other:?}"))),
    };
    let own = match key.role {
        Role::AccountAdmin => key.account_id.clone(),
        _ => None,
    };
    let changed = tokio::task::spawn_blocking(move || {
        let mut store = state.reader.lock().expect("reader lock");
        if let Some(account) = own {
            let scope = Scope {
                accounts: vec![account],
                ..Scope::default()
            };
            if !store.alerts(&scope, true)?.iter().any(|a| a.alert_id == id) {
                return Ok(None);
            }
        }
        tenure_reports::set_alert_status(store.as_mut(), &id, status, until)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(ApiError::from)?;
    let Some(alert) = changed else {
        return Err(ApiError::NotFound(
            "alert: no such alert, or it is resolved".into(),
        ));
    };
    Ok(Json(json!({
        "alert_id": alert.alert_id,
        "account_id": alert.account_id,
        "kind": alert.kind,
        "status": alert.status.as_str(),
        "snoozed_until": alert.snoozed_until.map(|d| d.to_string()),
        "reason": alert.reason,
    })))
}
