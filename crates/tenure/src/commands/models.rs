//! `tenure models train` and `tenure backtest`.

use super::{load_config, open_store};
use crate::cli::{BacktestArgs, ModelsCommand, ReportFormat};
use std::time::Instant;
use tenure_core::config::Overrides;
use tenure_core::report::{ParamError, Period};
use tenure_reports::{Request, Table};
use tenure_store::Store;

fn yesterday() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() - chrono::Days::new(1)
}

fn print(table: &Table, format: ReportFormat) -> anyhow::Result<()> {
    match format {
        ReportFormat::Csv => print!("{}", table.to_csv()),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&table)?),
        ReportFormat::Table => print!("{}", table.to_text()),
    }
    Ok(())
}

pub fn run(cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::Train {
            store,
            as_of,
            format,
        } => {
            let config = load_config(&store, Overrides::default())?;
            let as_of = as_of.unwrap_or_else(yesterday);
            let mut store = open_store(&config)?;
            store.refresh_rollups()?;
            let started = Instant::now();
            let table = tenure_reports::train_models(&mut store, &config.reports, as_of)?;
            eprintln!(
                "models: trained as of {as_of} in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            print(&table, format)
        }
        ModelsCommand::Score {
            store,
            from,
            to,
            models,
        } => {
            let config = load_config(&store, Overrides::default())?;
            let to = to.unwrap_or_else(yesterday);
            let from = from.unwrap_or(to);
            if from > to {
                return Err(ParamError::new("from", format!("{from} is after --to {to}")).into());
            }
            let known: Vec<&str> = tenure_core::models::MODELS.iter().map(|m| m.name).collect();
            if let Some(bad) = models.iter().find(|m| !known.contains(&m.as_str())) {
                return Err(ParamError::new(
                    "model",
                    format!("{bad:?} is not one of {}", known.join(", ")),
                )
                .into());
            }
            let models = if models.is_empty() {
                known.iter().map(|m| m.to_string()).collect()
            } else {
                models
            };
            let mut store = open_store(&config)?;
            store.refresh_rollups()?;
            let started = Instant::now();
            let (days, rows) =
                tenure_reports::keep_score_days(&mut store, &config.reports, &models, from, to)?;
            eprintln!(
                "scores: {rows} kept for {days} of {} days ({from} to {to}; {}) in {:.1}s{}",
                (to - from).num_days() + 1,
                models.join(", "),
                started.elapsed().as_secs_f64(),
                if days == 0 {
                    "; no fresh kept models: run `tenure models train` first"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

pub fn backtest(args: BacktestArgs) -> anyhow::Result<()> {
    let config = load_config(&args.store, Overrides::default())?;
    let to = args.as_of.unwrap_or_else(yesterday);
    let from = args.from.unwrap_or_else(|| {
        to.checked_sub_months(chrono::Months::new(12))
            .unwrap_or(chrono::NaiveDate::MIN)
    });
    if from > to {
        return Err(ParamError::new("from", format!("{from} is after --as-of {to}")).into());
    }
    let mut request = Request::new(Period { from, to }, Default::default());
    request.config = config.reports.clone();
    let mut store = open_store(&config)?;
    store.refresh_rollups()?;
    let table = tenure_reports::run(&store, "backtest", &request)?;
    print(&table, args.format)
}
