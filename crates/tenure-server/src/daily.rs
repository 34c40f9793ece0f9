//! The daily work: every finished UTC day's health scores kept and its
//! alerts evaluated, once, on a thread of its own with its own store
//! connection (ingestion goes on beside it). At start it catches up on the
//! last `health.backfill_days` days it has not scored, then checks every
//! ten minutes for a new day.

use std::sync::Arc;
use std::time::Duration;
use tenure_core::Clock;
use tenure_core::report::ReportsConfig;
use tenure_store::Store;

const CHECK_EVERY: Duration = Duration::from_secs(600);

pub(crate) fn start(
    mut store: Box<dyn Store>,
    config: ReportsConfig,
    clock: Arc<dyn Clock>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("daily".into())
        .spawn(move || {
            loop {
                match catch_up(store.as_mut(), &config, clock.as_ref()) {
                    Ok(0) => {}
                    Ok(days) => tracing::info!(message = "Health scored, alerts evaluated.", days),
                    Err(error) => tracing::error!(message = "The daily work failed.", %error),
                }
                std::thread::sleep(CHECK_EVERY);
            }
        })?;
    Ok(())
}

/// Scores the finished days not scored yet, at most `backfill_days` back,
/// then evaluates their alerts. Returns how many days.
fn catch_up(
    store: &mut dyn Store,
    config: &ReportsConfig,
    clock: &dyn Clock,
) -> Result<usize, tenure_reports::ReportError> {
    let today = clock.now().date_naive();
    let yesterday = today - chrono::Days::new(1);
    let earliest = today - chrono::Days::new(u64::from(config.health.backfill_days));
    let from = match store.last_health_day()? {
        Some(last) => (last + chrono::Days::new(1)).max(earliest),
        None => earliest,
    };
    if from > yesterday {
        return Ok(0);
    }
    tenure_reports::keep_health_days(store, config, from, yesterday)?;
    tenure_reports::evaluate_alerts(store, config, from, yesterday, &[])?;
    Ok((yesterday - from).num_days() as usize + 1)
}
