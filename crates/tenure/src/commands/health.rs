//! `tenure health`: score past days and keep them in the history.

use super::{load_config, open_store};
use crate::cli::HealthArgs;
use std::time::Instant;
use tenure_core::config::Overrides;
use tenure_core::report::ParamError;
use tenure_store::Store;

pub fn run(args: HealthArgs) -> anyhow::Result<()> {
    let config = load_config(&args.store, Overrides::default())?;
    let (from, to) = days(args.from, args.to)?;
    let mut store = open_store(&config)?;
    store.refresh_rollups()?;
    let started = Instant::now();
    let kept = tenure_reports::keep_health_days(&mut store, &config.reports, from, to)?;
    println!(
        "health: {kept} scores kept for {} days ({from} to {to}) in {:.1}s",
        (to - from).num_days() + 1,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The days from `from` (default: `to`) to `to` (default: yesterday, UTC).
pub(super) fn days(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ParamError> {
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let to = to.unwrap_or(yesterday);
    let from = from.unwrap_or(to);
    if from > to {
        return Err(ParamError::new(
            "from",
            format!("{from} is after --to {to}"),
        ));
    }
    if (to - from).num_days() > 3660 {
        return Err(ParamError::new("from", "more than ten years of days"));
    }
    Ok((from, to))
}
