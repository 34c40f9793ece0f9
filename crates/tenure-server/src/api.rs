//! The JSON API (`/api/v1/*`), `/healthz` and `/metrics`.

use crate::{ApiError, AppState, auth};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

/// `GET /api/v1/stats` (admin or viewer key).
pub async fn stats(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    auth::require_reader(&state, &headers)?;
    // Every acknowledged event counts (the store lags the journal a little).
    state.writer.sync(std::time::Duration::from_secs(10)).await;
    let stats =
        tokio::task::spawn_blocking(move || state.reader.lock().expect("reader lock").stats())
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(stats).into_response())
}

/// `GET /healthz`: the server answers and its writer is running.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    state
        .metrics
        .apply_lag
        .set(i64::try_from(state.writer.apply_lag()).unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().to_string())
}
