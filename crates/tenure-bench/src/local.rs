//! In-process measurements: the appender ceiling, imports and the dedup
//! window's memory.

use crate::batches;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tenure_core::Taxonomy;
use tenure_ingest::dedup::{DedupWindow, Fingerprint};
use tenure_ingest::segment::parse_body;
use tenure_ingest::{Endpoint, Limits, Source};
use tenure_store::{Dedup, DuckStore, Store, WriteBatch};

#[derive(clap::Args)]
pub struct CeilingArgs {
    #[arg(long, default_value_t = 500_000)]
    events: u64,
    /// Rows per commit (the server's group commit holds up to 20,000).
    #[arg(long, default_value_t = 20_000)]
    per_commit: u64,
}

/// Parses the generated batches (untimed), then times only the store.
pub fn ceiling(args: CeilingArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut store = DuckStore::open(dir.path())?;
    let taxonomy = Taxonomy::default();
    let mut commits = Vec::new();
    let mut first = 0;
    while first < args.events {
        let size = args.per_commit.min(args.events - first);
        let body = batches::batch("ceiling", first, size);
        let parsed = parse_body(
            &body,
            Endpoint::Batch,
            Limits {
                max_message_bytes: 32 * 1024,
                max_batch_bytes: usize::MAX,
            },
            &taxonomy,
            Source::Http {
                received_at: chrono::Utc::now(),
            },
        )?;
        let mut batch = WriteBatch::default();
        for m in parsed.messages {
            batch.events.push(m.event);
            batch.changes.extend(m.changes);
        }
        commits.push(batch);
        first += size;
    }
    let started = Instant::now();
    for batch in &commits {
        store.write(batch, Dedup::Done)?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"events": args.events, "per_commit": args.per_commit, "seconds": secs,
                           "events_per_s": args.events as f64 / secs})
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct JsonlArgs {
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    #[arg(long)]
    out: PathBuf,
}

pub fn jsonl(args: JsonlArgs) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.out)?);
    for n in 0..args.events {
        serde_json::to_writer(&mut out, &batches::message("import", n))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A JSONL file (see `jsonl`).
    #[arg(long)]
    file: PathBuf,
}

pub fn import(args: ImportArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut store = DuckStore::open(dir.path())?;
    let started = Instant::now();
    let summary = tenure_ingest::import::import_events(
        &mut store,
        &args.file,
        &Taxonomy::default(),
        Limits::default(),
        chrono::Utc::now(),
        Box::new(|_| {}),
    )?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"events": summary.events_stored, "seconds": secs,
                           "events_per_s": summary.events_stored as f64 / secs})
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct DedupArgs {
    #[arg(long, default_value_t = 1_000_000)]
    ids: u64,
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

pub fn dedup_memory(args: DedupArgs) -> anyhow::Result<()> {
    let before = rss_bytes();
    let mut window = DedupWindow::new(Duration::from_secs(7 * 86_400));
    for n in 0..args.ids {
        window.insert(
            Fingerprint::of(&format!("msg-{n}-7d3c9a2e-5b1f")),
            1_767_225_600,
        );
    }
    let after = rss_bytes();
    let per_million = |bytes: u64| bytes as f64 * 1_000_000.0 / args.ids as f64 / 1_048_576.0;
    println!(
        "{}",
        serde_json::json!({"ids": args.ids, "table_bytes": window.heap_bytes(),
                           "table_mib_per_million": per_million(window.heap_bytes() as u64),
                           "rss_mib_per_million": per_million(after.saturating_sub(before))})
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct ParseArgs {
    /// A JSONL file (see `jsonl`).
    #[arg(long)]
    file: PathBuf,
}

/// The message parser alone, on one thread, over a JSONL file read into
/// memory first (untimed).
pub fn parse(args: ParseArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)?;
    let taxonomy = Taxonomy::default();
    let source = Source::Import {
        imported_at: chrono::Utc::now(),
    };
    let started = Instant::now();
    let mut n = 0u64;
    for line in text.lines() {
        let m = tenure_ingest::segment::parse_line(line, Limits::default(), &taxonomy, source)?;
        std::hint::black_box(m);
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"messages": n, "seconds": secs, "messages_per_s": n as f64 / secs,
                           "mb_per_s": text.len() as f64 / secs / 1e6})
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct RollupArgs {
    /// A data directory holding a store with events (not in use).
    #[arg(long)]
    data: PathBuf,
    /// DuckDB's memory limit for both (the plain GROUP BY of the `large`
    /// preset needs more than the default 2GiB).
    #[arg(long, default_value = tenure_core::config::DEFAULT_MEMORY_LIMIT)]
    memory_limit: String,
}

/// Building the report rollups from scratch (emptied rollup tables, the
/// delete untimed), against a plain DuckDB `GROUP BY user_id, day, event`
/// of the same events written to a stored table (dropped afterwards). Both
/// are committed.
pub fn rollup(args: RollupArgs) -> anyhow::Result<()> {
    let settings = tenure_core::config::StoreConfig::with_memory_limit(&args.memory_limit);
    let mut store = DuckStore::open_with(&args.data, &settings)?;
    let events = store.count("SELECT count(*) FROM events")?;
    let plain_sql = "CREATE OR REPLACE TABLE bench_plain_group_by AS
        SELECT user_id, CAST(timestamp AS DATE) AS day, event, count(*) AS n
        FROM events GROUP BY ALL";
    let plain = {
        let started = Instant::now();
        store.execute(plain_sql)?;
        started.elapsed().as_secs_f64()
    };
    store.execute(
        "DROP TABLE bench_plain_group_by; DELETE FROM activity_daily; DELETE FROM social_events; DELETE FROM user_firsts; DELETE FROM user_months; DELETE FROM user_last; DELETE FROM feedback_events; DELETE FROM lifecycle_events; DELETE FROM user_numbers; CHECKPOINT;",
    )?;
    let rebuild = {
        let started = Instant::now();
        store.rebuild_rollups()?;
        started.elapsed().as_secs_f64()
    };
    println!(
        "{}",
        serde_json::json!({"events": events, "plain_group_by_seconds": plain,
                           "rollup_rebuild_seconds": rebuild, "ratio": rebuild / plain})
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct SqlArgs {
    /// A data directory holding a store (not in use).
    #[arg(long)]
    data: PathBuf,
    /// The statements.
    sql: String,
    /// `sql` is one query: print its rows (tab-separated) before the time.
    #[arg(long)]
    rows: bool,
    /// Run the statements (separated by `;` at a line's end) one at a time
    /// and print each one's time; a `SELECT` prints its first rows.
    #[arg(long, conflicts_with = "rows")]
    each: bool,
}

/// Runs statements on a store and prints how long they took.
pub fn sql(args: SqlArgs) -> anyhow::Result<()> {
    let store = DuckStore::open(&args.data)?;
    if args.each {
        // The last statement may end in `;` too.
        let statements = args
            .sql
            .split(";\n")
            .map(|s| s.trim().trim_end_matches(';'));
        for statement in statements {
            if statement.is_empty() {
                continue;
            }
            let shown: String = statement
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(70)
                .collect();
            let started = Instant::now();
            if statement.to_ascii_uppercase().starts_with("SELECT") {
                let rows = store.strings(statement)?;
                let first: Vec<String> = rows.iter().take(3).map(|r| r.join("\t")).collect();
                let took = started.elapsed().as_secs_f64();
                println!("{took:.2} s  {shown}  -> {} rows {first:?}", rows.len());
            } else {
                store.execute(statement)?;
                println!("{:.2} s  {shown}", started.elapsed().as_secs_f64());
            }
        }
        return Ok(());
    }
    let started = Instant::now();
    if args.rows {
        for row in store.strings(&args.sql)? {
            println!("{}", row.join("\t"));
        }
    } else {
        store.execute(&args.sql)?;
    }
    println!("{:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}
