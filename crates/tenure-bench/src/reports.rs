//! `reports`: every report for a 30-day period over all accounts, and
//! `activity-pivot` over 12 months, timed in process on a store (the
//! rollups refreshed first, untimed). Then `daily`: one day's scoring as
//! the daily work does it (health kept, every model's scores kept, from one
//! read; see `tenure_reports::keep_day`), beside `daily-unshared`, the same
//! with the health and the scores each reading the day on its own (the
//! baseline). Both write the `as_of` day's health and scores into the
//! store, as the daily work would.

use chrono::NaiveDate;
use std::path::PathBuf;
use std::time::Instant;
use tenure_core::config::StoreConfig;
use tenure_core::report::Period;
use tenure_reports::{NAMES, Request};
use tenure_store::{DuckStore, Scope, Store};

#[derive(clap::Args)]
pub struct ReportsArgs {
    /// A data directory holding a store with events (not in use).
    #[arg(long)]
    data: PathBuf,
    /// The period's last day.
    #[arg(long)]
    as_of: NaiveDate,
    /// Runs per report; the median is printed with the fastest and slowest.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// DuckDB's memory limit, as `store.memory_limit`.
    #[arg(long, default_value = tenure_core::config::DEFAULT_MEMORY_LIMIT)]
    memory_limit: String,
    /// Only the cases whose label starts with one of these (repeatable).
    #[arg(long)]
    only: Vec<String>,
}

pub fn run(args: ReportsArgs) -> anyhow::Result<()> {
    let mut store = DuckStore::open_with(
        &args.data,
        &StoreConfig::with_memory_limit(&args.memory_limit),
    )?;
    store.refresh_rollups()?;
    let period = Period::resolve(None, None, Some("30d"), args.as_of)?;
    let mut cases: Vec<(String, Request)> = NAMES
        .iter()
        .map(|name| (name.to_string(), Request::new(period, Scope::default())))
        .collect();
    let mut pivot = Request::new(period, Scope::default());
    pivot.months = Some(12);
    cases.push(("activity-pivot --months 12".into(), pivot.clone()));
    let mut wide = pivot;
    wide.layout = Some("wide".into());
    cases.push(("activity-pivot --months 12 --layout wide".into(), wide));
    cases.push(("overview".into(), Request::new(period, Scope::default())));
    cases.push(("daily".into(), Request::new(period, Scope::default())));
    cases.push((
        "daily-unshared".into(),
        Request::new(period, Scope::default()),
    ));
    cases.retain(|(label, _)| {
        args.only.is_empty() || args.only.iter().any(|o| label.starts_with(o.as_str()))
    });
    for (label, request) in cases {
        let name = label.split(' ').next().unwrap_or(&label);
        let mut seconds = Vec::new();
        let mut rows = 0;
        for _ in 0..args.runs.max(1) {
            let started = Instant::now();
            if name == "overview" {
                tenure_reports::overview(&store, &request)?;
                rows = 1;
            } else if name.starts_with("daily") {
                rows = daily(&mut store, args.as_of, name == "daily")?;
            } else {
                rows = tenure_reports::run(&store, name, &request)?.rows.len();
            }
            seconds.push(started.elapsed().as_secs_f64());
        }
        seconds.sort_by(f64::total_cmp);
        println!(
            "{}",
            serde_json::json!({"report": label, "rows": rows,
                               "median_s": seconds[seconds.len() / 2],
                               "min_s": seconds[0], "max_s": seconds[seconds.len() - 1]})
        );
    }
    Ok(())
}

/// One day's scoring: health and every model's scores kept, from one read
/// when `shared`, else each on its own. Returns the rows kept.
fn daily(store: &mut DuckStore, day: NaiveDate, shared: bool) -> anyhow::Result<usize> {
    let config = tenure_core::report::ReportsConfig::default();
    let models: Vec<String> = tenure_core::models::MODELS
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    Ok(if shared {
        let kept = tenure_reports::keep_day(store, &config, day, &models)?;
        kept.health + kept.scores
    } else {
        let health = tenure_reports::keep_health_days(store, &config, day, day)?;
        let (_, scores) = tenure_reports::keep_score_days(store, &config, &models, day, day)?;
        health + scores
    })
}
