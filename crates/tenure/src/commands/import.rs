//! `tenure import events|accounts|users`: a progress bar on a terminal
//! (quiet when piped) and a summary line per file.

use super::{load_config, open_store};
use crate::cli::ImportCommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::Instant;
use tenure_core::Entity;
use tenure_core::config::Overrides;
use tenure_ingest::Limits;
use tenure_ingest::import::{ImportSummary, Reader, import_csv, import_events_by};
use tenure_store::Store;

fn bar(path: &Path) -> ProgressBar {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    bar.set_message(path.display().to_string());
    bar
}

fn report(summary: &ImportSummary, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {} records, {} events stored, {} trait changes stored, {:.1}s ({:.0} records/s)",
        summary.file.display(),
        summary.records,
        summary.events_stored,
        summary.changes_stored,
        secs,
        summary.records as f64 / secs.max(1e-9)
    );
}

pub fn run(cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Events {
            store,
            files,
            exact,
        } => {
            let config = load_config(&store, Overrides::default())?;
            let mut store = open_store(&config)?;
            store.sync_taxonomy(&config.taxonomy)?;
            let limits = Limits {
                max_message_bytes: config.ingest.max_message_bytes,
                max_batch_bytes: config.ingest.max_batch_bytes,
            };
            for file in &files {
                let started = Instant::now();
                let progress = bar(file);
                let ticker = progress.clone();
                let summary = import_events_by(
                    &mut store,
                    file,
                    &config.taxonomy,
                    limits,
                    chrono::Utc::now(),
                    Box::new(move |n| ticker.inc(n)),
                    if exact {
                        Reader::Parser
                    } else {
                        Reader::Engine
                    },
                );
                progress.finish_and_clear();
                report(&summary?, started);
            }
        }
        ImportCommand::Accounts(args) => csv(Entity::Account, args)?,
        ImportCommand::Users(args) => csv(Entity::User, args)?,
    }
    Ok(())
}

fn csv(entity: Entity, args: crate::cli::CsvArgs) -> anyhow::Result<()> {
    let config = load_config(&args.store, Overrides::default())?;
    let at = match &args.at {
        Some(text) => tenure_core::time::parse_timestamp(text)
            .ok_or_else(|| anyhow::anyhow!("--at: {text:?} is not an ISO 8601 time"))?,
        None => chrono::Utc::now(),
    };
    let mut store = open_store(&config)?;
    let started = Instant::now();
    let progress = bar(&args.file);
    let ticker = progress.clone();
    let summary = import_csv(
        &mut store,
        entity,
        &args.file,
        at,
        Box::new(move |n| ticker.inc(n)),
    );
    progress.finish_and_clear();
    report(&summary?, started);
    Ok(())
}
