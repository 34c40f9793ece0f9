//! `POST /api/v1/alerts/{id}/snooze?until=YYYY-MM-DD` and
//! `POST /api/v1/alerts/{id}/close`: an admin key (alerts are the vendor's
//! view of an account: viewers read them, account admins never see them).
//! The answer is the alert as it is now.

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

pub async fn set_status(
    State(state): State<Arc<AppState>>,
    Path((id, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let key = require_report_reader(&state, &headers)?;
    if key.role != Role::Admin {
        return Err(ApiError::Forbidden(format!(
            "a {} key cannot change alerts",
            key.role.as_str()
        )));
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
    let alert = change(&state, id, status, until).await?;
    Ok(Json(json!({
        "alert_id": alert.alert_id,
        "account_id": alert.account_id,
        "kind": alert.kind,
        "status": alert.status.as_str(),
        "snoozed_until": alert.snoozed_until.map(|d| d.to_string()),
        "reason": alert.reason,
    })))
}

/// Snoozes (until a day) or closes an alert; a 404 when there is no such
/// live alert. The caller has checked the key.
pub(crate) async fn change(
    state: &Arc<AppState>,
    id: String,
    status: AlertStatus,
    until: Option<chrono::NaiveDate>,
) -> Result<tenure_store::Alert, ApiError> {
    let state = state.clone();
    let changed = tokio::task::spawn_blocking(move || {
        let mut store = state.reader.lock().expect("reader lock");
        let changed = tenure_reports::set_alert_status(store.as_mut(), &id, status, until);
        state.cache.bump();
        changed
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(ApiError::from)?;
    changed.ok_or_else(|| ApiError::NotFound("alert: no such alert, or it is resolved".into()))
}
