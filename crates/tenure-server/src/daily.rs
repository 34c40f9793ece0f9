//! The daily work: every finished UTC day's health scores kept and its
//! alerts evaluated, once, and the propensity models trained again when
//! the kept ones are older than `models.retrain_days`, on a thread of its
//! own with its own store connection (ingestion goes on beside it). At start it catches up on the
//! last `health.backfill_days` days it has not scored, a day at a time,
//! then checks every ten minutes for a new day. Shutting down waits for
//! the day in hand (the store must not close under it) and stops.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::Duration;
use tenure_core::Clock;
use tenure_core::report::ReportsConfig;
use tenure_store::Store;

const CHECK_EVERY: Duration = Duration::from_secs(600);

/// The running daily thread.
pub(crate) struct Daily {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Daily {
    /// Stops after the day in hand.
    pub(crate) fn stop(self) {
        let _ = self.stop.send(());
        if self.thread.join().is_err() {
            tracing::error!(message = "The daily thread panicked.");
        }
    }
}

pub(crate) fn start(
    mut store: Box<dyn Store>,
    config: ReportsConfig,
    clock: Arc<dyn Clock>,
    cache: Arc<crate::web::cache::Cache>,
) -> std::io::Result<Daily> {
    let (stop, stopped) = channel();
    let thread = std::thread::Builder::new()
        .name("daily".into())
        .spawn(move || {
            loop {
                let (days, result) = catch_up(store.as_mut(), &config, clock.as_ref(), &stopped);
                // New health, alerts or models: the dashboard's cached
                // reports are stale.
                cache.bump();
                if days > 0 {
                    tracing::info!(message = "Health scored, alerts evaluated.", days);
                }
                match result {
                    Ok(Running::On) => {}
                    Ok(Running::Stop) => break,
                    Err(error) => tracing::error!(message = "The daily work failed.", %error),
                }
                match stopped.recv_timeout(CHECK_EVERY) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })?;
    Ok(Daily { stop, thread })
}

enum Running {
    On,
    Stop,
}

/// Scores the finished days not scored yet, at most `backfill_days` back,
/// and evaluates their alerts, a day at a time until told to stop.
/// Returns how many days were done, and whether to go on.
fn catch_up(
    store: &mut dyn Store,
    config: &ReportsConfig,
    clock: &dyn Clock,
    stopped: &Receiver<()>,
) -> (usize, Result<Running, tenure_reports::ReportError>) {
    let today = clock.now().date_naive();
    let yesterday = today - chrono::Days::new(1);
    let earliest = today - chrono::Days::new(u64::from(config.health.backfill_days));
    let mut day = match store.last_health_day() {
        Ok(Some(last)) => (last + chrono::Days::new(1)).max(earliest),
        Ok(None) => earliest,
        Err(error) => return (0, Err(error.into())),
    };
    let mut done = 0;
    while day <= yesterday {
        if !matches!(stopped.try_recv(), Err(TryRecvError::Empty)) {
            return (done, Ok(Running::Stop));
        }
        let one = tenure_reports::keep_health_days(store, config, day, day)
            .and_then(|_| tenure_reports::evaluate_alerts(store, config, day, day, &[]));
        if let Err(error) = one {
            return (done, Err(error));
        }
        done += 1;
        day = day + chrono::Days::new(1);
    }
    if !matches!(stopped.try_recv(), Err(TryRecvError::Empty)) {
        return (done, Ok(Running::Stop));
    }
    let trained = tenure_reports::models_need_training(store, config, yesterday).and_then(|due| {
        if due {
            tenure_reports::train_models(store, config, yesterday)?;
            tracing::info!(message = "Propensity models trained.", as_of = %yesterday);
        }
        Ok(())
    });
    (done, trained.map(|()| Running::On))
}
