//! The daily work: every finished UTC day's health and propensity scores
//! kept (from one read of the day, `tenure_reports::keep_day`) and its
//! alerts evaluated, once, and the propensity models trained again when
//! the kept ones are older than `models.retrain_days`, on a thread of its
//! own with its own store connection (ingestion goes on beside it). At start it catches up on the
//! last `health.backfill_days` days it has not scored, a day at a time,
//! then checks every ten minutes for a new day. Then the playbooks are
//! evaluated: each finished day not evaluated yet (after its health and
//! alerts), and the running day; with playbooks declared the thread wakes
//! after every rollup refresh (`ingest.rollup_interval_secs`) to evaluate
//! the running day again. Shutting down waits for the day in hand (the
//! store must not close under it) and stops.

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

/// What the playbooks' evaluation needs.
pub(crate) struct Playbooks {
    pub playbooks: Vec<tenure_core::playbooks::Playbook>,
    pub templates: tenure_core::messages::Templates,
    /// How often to evaluate the running day (the rollup refresh's
    /// interval).
    pub every: Duration,
}

pub(crate) fn start(
    mut store: Box<dyn Store>,
    config: ReportsConfig,
    playbooks: Playbooks,
    clock: Arc<dyn Clock>,
    cache: Arc<crate::web::cache::Cache>,
) -> std::io::Result<Daily> {
    let (stop, stopped) = channel();
    // Every model's scores are kept for each finished day.
    let models: Vec<String> = tenure_core::models::MODELS
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    let wake = if playbooks.playbooks.is_empty() {
        CHECK_EVERY
    } else {
        playbooks.every.min(CHECK_EVERY)
    };
    let thread = std::thread::Builder::new()
        .name("daily".into())
        .spawn(move || {
            // The health, alerts and models part runs every CHECK_EVERY;
            // the playbooks' running day on every wake.
            let mut daily_at: Option<std::time::Instant> = None;
            loop {
                let daily_due = daily_at.is_none_or(|t| t.elapsed() >= CHECK_EVERY);
                let (days, result) = if daily_due && config.health.backfill_days > 0 {
                    catch_up(store.as_mut(), &config, &models, clock.as_ref(), &stopped)
                } else {
                    (0, Ok(Running::On))
                };
                if daily_due {
                    daily_at = Some(std::time::Instant::now());
                    // New health, alerts or models: the dashboard's cached
                    // reports are stale.
                    cache.bump();
                }
                let result = result.and_then(|running| match running {
                    Running::Stop => Ok(Running::Stop),
                    Running::On => evaluate(store.as_mut(), &config, &playbooks, clock.as_ref())
                        .map(|()| Running::On),
                });
                if days > 0 {
                    tracing::info!(message = "Health scored, alerts evaluated.", days);
                }
                match result {
                    Ok(Running::On) => {}
                    Ok(Running::Stop) => break,
                    Err(error) => tracing::error!(message = "The daily work failed.", %error),
                }
                match stopped.recv_timeout(wake) {
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
    models: &[String],
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
        let one = tenure_reports::keep_day(store, config, day, models)
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
            // The day just scored had no models yet: keep its scores now.
            tenure_reports::keep_score_days(store, config, models, yesterday, yesterday)?;
        }
        Ok(())
    });
    (done, trained.map(|()| Running::On))
}

/// Evaluates the playbooks: the finished days not evaluated yet (up to the
/// last day with health kept, so band and alert triggers see it), then
/// the running day.
fn evaluate(
    store: &mut dyn Store,
    config: &ReportsConfig,
    playbooks: &Playbooks,
    clock: &dyn Clock,
) -> Result<(), tenure_reports::ReportError> {
    if playbooks.playbooks.is_empty() {
        return Ok(());
    }
    let now = clock.now();
    let yesterday = now.date_naive() - chrono::Days::new(1);
    let last_finished = if config.health.backfill_days > 0 {
        store.last_health_day()?.unwrap_or(yesterday).min(yesterday)
    } else {
        yesterday
    };
    let settings = tenure_reports::playbooks::Settings {
        playbooks: &playbooks.playbooks,
        templates: &playbooks.templates,
        reports: config,
    };
    for e in tenure_reports::playbooks::catch_up(store, settings, now, last_finished)? {
        let [fired, filtered, cooldown, _] = e.counts();
        if fired + filtered + cooldown > 0 {
            tracing::info!(
                message = "Playbooks evaluated.",
                day = %e.day,
                finished = e.finished,
                fired,
                filtered,
                cooldown
            );
        }
    }
    Ok(())
}
