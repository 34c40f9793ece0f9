//! The Segment HTTP Tracking API: `/v1/batch` and the single-call routes.
//! A 200 is sent only after the writer has committed the batch.

use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;
use tenure_core::CallType;
use tenure_ingest::segment::parse_body;
use tenure_ingest::{Ack, Endpoint, Limits, Source};

pub async fn batch(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Endpoint::Batch).await
}

pub async fn track(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Endpoint::Single(CallType::Track)).await
}

pub async fn identify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(&state, &headers, body, Endpoint::Single(CallType::Identify)).await
}

pub async fn group(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Endpoint::Single(CallType::Group)).await
}

pub async fn page(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Endpoint::Single(CallType::Page)).await
}

pub async fn screen(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(&state, &headers, body, Endpoint::Single(CallType::Screen)).await
}

pub async fn alias(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Endpoint::Single(CallType::Alias)).await
}

async fn handle(state: &AppState, headers: &HeaderMap, body: Body, endpoint: Endpoint) -> Response {
    let started = Instant::now();
    match ingest(state, headers, body, endpoint).await {
        Ok(ack) => {
            state.metrics.accepted(
                ack.stored,
                ack.duplicates,
                started.elapsed(),
                ack.commit_time,
            );
            Json(json!({"success": true, "stored": ack.stored, "duplicates": ack.duplicates}))
                .into_response()
        }
        Err(error) => {
            state.metrics.rejected(&error);
            error.into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct KeyOnly {
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
}

async fn ingest(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Result<Ack, ApiError> {
    let header_key = auth::basic_user(headers);
    if let Some(key) = &header_key {
        auth::check_write_key(state, Some(key))?;
    }
    let ingest = &state.config.ingest;
    let limits = Limits {
        max_message_bytes: ingest.max_message_bytes,
        max_batch_bytes: ingest.max_batch_bytes,
    };
    let bytes = body::read(headers, body, limits.max_batch_bytes).await?;
    let source = Source::Http {
        received_at: state.clock.now(),
    };
    let parsed = parse_body(&bytes, endpoint, limits, &state.config.taxonomy, source);
    if header_key.is_none() {
        // Without a Basic header the key must be in the body; a caller
        // without a valid key learns nothing about its payload.
        let key = match &parsed {
            Ok(p) => p.write_key.clone(),
            Err(_) => serde_json::from_slice::<KeyOnly>(&bytes)
                .ok()
                .and_then(|k| k.write_key),
        };
        auth::check_write_key(state, key.as_deref())?;
    }
    let parsed = parsed?;
    Ok(state.writer.submit(parsed.messages).await?)
}
