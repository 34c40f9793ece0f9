//! `playbooks`: every playbook of a config evaluated for one finished day
//! on a store, in process, nothing kept; against reading what the
//! evaluation read before it looked at the users who moved alone (every
//! licensed user's 30-day activity for the day and the day before, and
//! their achievements at both ends), in the same run. Then the
//! evaluation's decisions and actions recorded into an empty store (the
//! write the server does after it). One JSON line per case.

use chrono::{Days, NaiveDate};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;
use tenure_core::config::{Config, Overrides, StoreConfig};
use tenure_core::report::Period;
use tenure_reports::playbooks::{Settings, evaluate};
use tenure_store::{DuckStore, Scope, Store};

#[derive(clap::Args)]
pub struct Args {
    /// A data directory holding a store with events (not in use).
    #[arg(long)]
    data: PathBuf,
    /// A config declaring the playbooks.
    #[arg(long)]
    config: PathBuf,
    /// The finished day to evaluate.
    #[arg(long)]
    day: NaiveDate,
    /// Runs of each case; the median is printed with the fastest and slowest.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// DuckDB's memory limit, as `store.memory_limit`.
    #[arg(long, default_value = tenure_core::config::DEFAULT_MEMORY_LIMIT)]
    memory_limit: String,
}

/// Runs `f` `runs` times: (median, fastest, slowest) seconds and its last
/// result.
fn timed<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<([f64; 3], T)> {
    let mut seconds = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        last = Some(f()?);
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    let result = last.expect("at least one run");
    Ok((
        [
            seconds[seconds.len() / 2],
            seconds[0],
            seconds[seconds.len() - 1],
        ],
        result,
    ))
}

fn print(case: &str, s: [f64; 3], extra: serde_json::Value) {
    let mut line = json!({"case": case, "seconds": s[0], "fastest": s[1], "slowest": s[2]});
    if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
        line.extend(extra.clone());
    }
    println!("{line}");
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config)?;
    let config =
        Config::from_toml(&text, Overrides::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let settings = Settings::of(&config);
    let store = DuckStore::open_with(
        &args.data,
        &StoreConfig::with_memory_limit(&args.memory_limit),
    )?;
    let day = args.day;
    let at = tenure_core::report::end_of_day(day).and_utc();
    let users = store
        .user_activity(Period { from: day, to: day }, &Scope::default())?
        .len();

    let (s, evaluation) = timed(args.runs, || Ok(evaluate(&store, settings, day, at, true)?))?;
    let [fired, filtered, cooldown, decided] = evaluation.counts();
    print(
        "evaluate",
        s,
        json!({"playbooks": config.playbooks.len(), "licensed_users": users, "fired": fired,
               "filtered": filtered, "cooldown": cooldown, "decided_before": decided,
               "actions": evaluation.items().count()}),
    );

    let window = |to: NaiveDate| Period {
        from: to - Days::new(29),
        to,
    };
    let (s, read) = timed(args.runs, || {
        let mut rows = 0;
        for d in [day, day - Days::new(1)] {
            rows += store.user_activity(window(d), &Scope::default())?.len();
            rows += store
                .user_achievements(d, &Scope::default(), &config.reports.achievements)?
                .len();
        }
        Ok(rows)
    })?;
    print(
        "baseline: every licensed user's activity and achievements, both days",
        s,
        json!({"rows": read}),
    );

    let (s, moves) = timed(args.runs, || Ok(store.activity_moves(day, 30)?.len()))?;
    print("part: activity_moves", s, json!({"users": moves}));
    let (s, moves) = timed(args.runs, || {
        Ok(store
            .achievement_moves(day, &config.reports.achievements)?
            .len())
    })?;
    print("part: achievement_moves", s, json!({"users": moves}));

    let scratch = tempfile::tempdir()?;
    let mut empty = DuckStore::open(scratch.path())?;
    let (s, added) = timed(1, || {
        Ok(tenure_reports::playbooks::record(&mut empty, &evaluation)?)
    })?;
    print(
        "record into an empty store",
        s,
        json!({"items": added, "audit_lines": evaluation.audit().len()}),
    );
    Ok(())
}
