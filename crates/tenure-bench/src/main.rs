//! `tenure-bench`: measurements behind BENCHMARKS.md. Not a test: it
//! prints numbers, it asserts nothing. `bench/run` drives it.
//!
//! - `http`: concurrent clients send realistic 100-event batches to a running
//!   `tenure serve`, closed loop (throughput) or at a fixed rate (latency).
//! - `ceiling`: the same rows written with DuckDB's appender alone (the
//!   store's write path, no HTTP, no parsing) into a fresh store.
//! - `import`: `tenure import events` on a generated JSONL file.
//! - `dedup-memory`: bytes the dedup window takes per million ids.
//! - `parse`: the message parser alone on one thread.
//! - `rollup`: rebuilding the report rollups against a plain GROUP BY.
//! - `reports`: every report's latency on a store.
//! - `sql`: statements run on a store (preparing benchmark data).
//! - `web`: concurrent signed-in users open the dashboard's pages.
//! - `outbox`: `tenure serve` delivering playbook webhooks to a local
//!   receiver, against a plain client.
//! - `playbooks`: evaluating every playbook for a day on a store, against
//!   reading every user's activity as the evaluation once did.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod batches;
mod http;
mod local;
mod outbox;
mod playbooks;
mod reports;
mod web;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "tenure-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// HTTP load against a running server.
    Http(http::Args),
    /// The DuckDB appender ceiling for the same rows.
    Ceiling(local::CeilingArgs),
    /// Import a generated JSONL file with the import code path.
    Import(local::ImportArgs),
    /// Memory of the dedup window per million ids.
    DedupMemory(local::DedupArgs),
    /// Write a JSONL file of generated events (for `tenure import` timing).
    Jsonl(local::JsonlArgs),
    /// The message parser alone, one thread.
    Parse(local::ParseArgs),
    /// Rebuilding the report rollup against a plain GROUP BY.
    Rollup(local::RollupArgs),
    /// Every report for 30 days over all accounts, timed.
    Reports(reports::ReportsArgs),
    /// Run SQL statements on a store (preparing benchmark data).
    Sql(local::SqlArgs),
    /// Concurrent signed-in users open the dashboard's pages.
    Web(web::Args),
    /// `tenure serve` delivering playbook webhooks to a local receiver.
    Outbox(outbox::Args),
    /// Every playbook evaluated for a day, against reading every user.
    Playbooks(playbooks::Args),
}

fn main() -> anyhow::Result<()> {
    // `TENURE_LOG=tenure_store=debug tenure-bench rollup ...` shows how
    // long each rollup took to fill; nothing is logged unless it is set.
    if let Ok(filter) = std::env::var("TENURE_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    match Cli::parse().command {
        Command::Http(args) => http::run(args),
        Command::Ceiling(args) => local::ceiling(args),
        Command::Import(args) => local::import(args),
        Command::DedupMemory(args) => local::dedup_memory(args),
        Command::Jsonl(args) => local::jsonl(args),
        Command::Parse(args) => local::parse(args),
        Command::Rollup(args) => local::rollup(args),
        Command::Reports(args) => reports::run(args),
        Command::Sql(args) => local::sql(args),
        Command::Web(args) => web::run(args),
        Command::Outbox(args) => outbox::run(args),
        Command::Playbooks(args) => playbooks::run(args),
    }
}
