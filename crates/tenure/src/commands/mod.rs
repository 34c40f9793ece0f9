//! One module per subcommand. Each opens the store itself; if a server
//! holds it, the store says so at once instead of waiting.

mod alerts;
mod demo;
mod generate;
mod health;
mod import;
mod keys;
mod models;
mod playbooks;
mod refresh;
mod report;
mod serve;
mod stats;

use crate::cli::{Cli, Command, StoreArgs};
use anyhow::Context;
use tenure_core::Config;
use tenure_core::config::Overrides;
use tenure_store::DuckStore;

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Import(cmd) => import::run(cmd),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Stats(args) => stats::run(args),
        Command::Refresh(args) => refresh::run(args),
        Command::Health(args) => health::run(args),
        Command::Alerts(cmd) => alerts::run(cmd),
        Command::Report(args) => report::run(*args),
        Command::Models(cmd) => models::run(cmd),
        Command::Playbooks(cmd) => playbooks::run(cmd),
        Command::Backtest(args) => models::backtest(args),
        Command::Gen(args) => generate::run(args),
    }
}

/// Loads the config for a command that only needs the store.
fn load_config(store: &StoreArgs, overrides: Overrides) -> anyhow::Result<Config> {
    let overrides = Overrides {
        data: store.data.clone().or(overrides.data),
        ..overrides
    };
    Ok(Config::load(store.config.as_deref(), overrides)?)
}

/// Opens the store and applies what the ingest journal holds beyond it
/// (left by a server that stopped uncleanly).
fn open_store(config: &Config) -> anyhow::Result<DuckStore> {
    let mut store = DuckStore::open_with(&config.data_dir, &config.store)
        .with_context(|| format!("opening the store in {}", config.data_dir.display()))?;
    let journal = config.data_dir.join("journal");
    if journal.exists() {
        tenure_ingest::writer::recover(&mut store, &journal)
            .with_context(|| format!("applying the journal in {}", journal.display()))?;
    }
    Ok(store)
}

/// Logs to stderr; `TENURE_LOG` (or `RUST_LOG`) sets the filter.
fn init_tracing(default: &str) {
    let filter = std::env::var("TENURE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}
