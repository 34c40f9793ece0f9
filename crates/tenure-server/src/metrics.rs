//! Prometheus metrics. Every rejected request is counted and logged in one
//! place ([`Metrics::rejected`]) so the log line and the counter cannot
//! drift apart.

use crate::ApiError;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: String,
}

pub struct Metrics {
    registry: Registry,
    /// Messages stored.
    pub accepted: Counter,
    /// Messages dropped as retries within the dedup window.
    pub duplicates: Counter,
    /// Requests rejected, by error code.
    pub rejected: Family<Reason, Counter>,
    /// Time from request to answer for ingest requests.
    pub batch_seconds: Histogram,
    /// Time of the commits that held accepted requests.
    pub commit_seconds: Histogram,
    /// Message ids in the dedup window at start-up.
    pub dedup_ids: Gauge,
    /// Acknowledged batches not yet applied to the store (set when read).
    pub apply_lag: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tenure");
        let accepted = Counter::default();
        let duplicates = Counter::default();
        let rejected = Family::<Reason, Counter>::default();
        let batch_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        let commit_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        let dedup_ids = Gauge::default();
        let apply_lag = Gauge::default();
        registry.register("events_accepted", "Messages stored", accepted.clone());
        registry.register(
            "events_duplicate",
            "Messages dropped as retries of stored ones",
            duplicates.clone(),
        );
        registry.register(
            "requests_rejected",
            "Ingest requests rejected, by error code",
            rejected.clone(),
        );
        registry.register(
            "batch_latency_seconds",
            "Time from an ingest request to its answer",
            batch_seconds.clone(),
        );
        registry.register(
            "commit_latency_seconds",
            "Time of the group commits that held accepted requests",
            commit_seconds.clone(),
        );
        registry.register(
            "dedup_window_ids_at_start",
            "Message ids loaded into the dedup window at start-up",
            dedup_ids.clone(),
        );
        registry.register(
            "apply_lag_batches",
            "Acknowledged (journaled) batches not yet applied to the store",
            apply_lag.clone(),
        );
        Self {
            registry,
            accepted,
            duplicates,
            rejected,
            batch_seconds,
            commit_seconds,
            dedup_ids,
            apply_lag,
        }
    }

    /// Counts and logs one rejected ingest request.
    pub fn rejected(&self, error: &ApiError) {
        let code = error.code();
        self.rejected
            .get_or_create(&Reason {
                reason: code.to_string(),
            })
            .inc();
        if error.status().is_server_error() {
            tracing::warn!(message = "Ingest request failed.", code, %error);
        } else {
            tracing::debug!(message = "Ingest request rejected.", code, %error);
        }
    }

    pub fn accepted(&self, stored: usize, duplicates: usize, latency: Duration, commit: Duration) {
        self.accepted.inc_by(stored as u64);
        self.duplicates.inc_by(duplicates as u64);
        self.batch_seconds.observe(latency.as_secs_f64());
        self.commit_seconds.observe(commit.as_secs_f64());
    }

    /// The Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
