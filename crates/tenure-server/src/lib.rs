//! Tenure's HTTP server: the Segment tracking API (`/v1/*`), the JSON API
//! (`/api/v1/*`), the dashboard (`web`), `/healthz` and `/metrics`.
//!
//! The server never writes SQL: it parses requests with `tenure-ingest`,
//! hands batches to the group-commit writer, and reads through the store's
//! trait. [`serve`] runs until the shutdown future resolves, then finishes
//! in-flight requests and lets the writer commit what is queued.

mod alerts_api;
mod api;
mod auth;
mod body;
mod daily;
mod delivery;
mod error;
pub mod keys;
mod metrics;
mod playbooks_api;
mod reports;
mod segment_api;
mod web;

pub use error::ApiError;

use axum::Router;
use axum::routing::{get, post};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tenure_core::{Clock, Config};
use tenure_ingest::writer::{Writer, WriterConfig};
use tenure_store::{Store, StoreError};
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Writer(#[from] tenure_ingest::writer::StartError),
}

/// Most messages one store transaction of the apply thread holds.
const MAX_APPLY_MESSAGES: usize = 200_000;
/// Journaled batches that may wait for the store.
const APPLY_QUEUE_RECORDS: usize = 4096;

/// What every handler shares.
pub struct AppState {
    pub config: Config,
    pub writer: Writer,
    /// A second store handle for reads (stats, keys), one request at a time.
    pub reader: Mutex<Box<dyn Store>>,
    pub keys: auth::KeyCache,
    pub metrics: metrics::Metrics,
    pub clock: Arc<dyn Clock>,
    /// The dashboard's signed-in sessions.
    pub sessions: web::session::Sessions,
    /// The dashboard's report cache (also made stale by the daily thread).
    pub cache: Arc<web::cache::Cache>,
    /// The daily health and alerts thread, stopped at shutdown.
    daily: Mutex<Option<daily::Daily>>,
}

/// Builds the state: syncs the taxonomy, loads keys and the dedup window,
/// and starts the writer, which takes `store`.
pub fn prepare(
    config: Config,
    mut store: Box<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<AppState>, ServerError> {
    store.sync_taxonomy(&config.taxonomy)?;
    let reader = store.reader()?;
    let keys = auth::KeyCache::load(reader.as_ref())?;
    let (writer, info) = Writer::start(
        store,
        WriterConfig {
            dedup_window: config.ingest.dedup_window,
            queue_batches: config.ingest.queue_batches,
            max_commit_messages: config.ingest.max_commit_messages,
            max_apply_messages: MAX_APPLY_MESSAGES,
            apply_queue_records: APPLY_QUEUE_RECORDS,
            rollup_interval: config.ingest.rollup_interval,
        },
        clock.clone(),
        &config.data_dir.join("journal"),
    )?;
    tracing::info!(
        message = "Store ready.",
        dedup_ids = info.dedup_ids,
        dedup_bytes = info.dedup_bytes,
        replayed_records = info.replayed_records,
        keys = keys.len()
    );
    let cache = Arc::new(web::cache::Cache::new(config.web.cache));
    let daily = if config.reports.health.backfill_days > 0 || !config.playbooks.is_empty() {
        Some(daily::start(
            reader.reader()?,
            config.reports.clone(),
            daily::Playbooks {
                playbooks: config.playbooks.clone(),
                templates: config.templates.clone(),
                every: config.ingest.rollup_interval,
            },
            clock.clone(),
            cache.clone(),
        )?)
    } else {
        None
    };
    let metrics = metrics::Metrics::new();
    metrics.dedup_ids.set(info.dedup_ids as i64);
    let sessions = web::session::Sessions::new(
        config.web.session,
        config.web.signin_attempts,
        config.web.signin_window,
    );
    Ok(Arc::new(AppState {
        config,
        writer,
        reader: Mutex::new(reader),
        keys,
        metrics,
        clock,
        sessions,
        cache,
        daily: Mutex::new(daily),
    }))
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/batch", post(segment_api::batch))
        .route("/v1/import", post(segment_api::batch))
        .route("/v1/track", post(segment_api::track))
        .route("/v1/identify", post(segment_api::identify))
        .route("/v1/group", post(segment_api::group))
        .route("/v1/page", post(segment_api::page))
        .route("/v1/screen", post(segment_api::screen))
        .route("/v1/alias", post(segment_api::alias))
        .route("/v1/messages", get(playbooks_api::messages))
        .route("/v1/messages/{id}/read", post(playbooks_api::mark_read))
        .route("/api/v1/playbooks", get(playbooks_api::playbooks))
        .route("/api/v1/outbox", get(playbooks_api::outbox))
        .route("/api/v1/outbox/retry", post(playbooks_api::retry_all))
        .route("/api/v1/outbox/{id}/retry", post(playbooks_api::retry_one))
        .route("/api/v1/tasks", get(playbooks_api::tasks))
        .route("/api/v1/tasks/{id}/close", post(playbooks_api::close_task))
        .route("/api/v1/stats", get(api::stats))
        .route("/api/v1/reports/{name}", get(reports::report))
        .route("/api/v1/alerts/{id}/{action}", post(alerts_api::set_status))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .merge(web::routes())
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn(web::security_headers))
        .with_state(state)
}

/// Serves until `shutdown` resolves; then stops accepting, finishes the
/// requests in flight, and waits for the writer to commit what is queued.
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = router(state.clone());
    let worker = delivery::start(state.clone())?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!(message = "Requests drained; stopping the delivery worker and the writer.");
    worker.stop().await;
    tokio::task::spawn_blocking(move || {
        if let Some(daily) = state.daily.lock().expect("daily lock").take() {
            daily.stop();
        }
        state.writer.shutdown()
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(())
}
