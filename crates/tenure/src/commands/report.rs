//! `tenure report NAME`.

use super::{load_config, open_store};
use crate::cli::{ReportArgs, ReportFormat};
use tenure_core::config::Overrides;
use tenure_core::report::{ParamError, Period};
use tenure_reports::Request;
use tenure_store::Scope;

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let config = load_config(&args.store, Overrides::default())?;
    let today = match &args.as_of {
        Some(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ParamError::new("as-of", format!("{text:?} is not a date like 2026-03-31"))
        })?,
        None => chrono::Utc::now().date_naive(),
    };
    let period = Period::resolve(
        args.from.as_deref(),
        args.to.as_deref(),
        args.range.as_deref(),
        today,
    )?;
    let request = Request {
        period,
        scope: Scope {
            accounts: args.accounts,
            groups: args.groups,
            users: args.users,
            all_users: args.all_users,
        },
        month: args.month,
        all_accounts: args.all,
        months: args.months,
        layout: args.layout,
        champion_min: args.champion_min,
        risk_drop_pct: args.risk_drop_pct,
        order: args.order,
        interval: args.interval,
        mode: args.mode,
        by: args.by,
        top: args.top,
        config: config.reports.clone(),
    };
    // The store is ours alone here: bring the rollups up to date first.
    let mut store = open_store(&config)?;
    tenure_store::Store::refresh_rollups(&mut store)?;
    if args.name == "overview" {
        // One JSON document; a table or CSV has no shape for it.
        if matches!(args.format, ReportFormat::Csv) {
            anyhow::bail!("format: overview is a JSON document; use --format json or table");
        }
        let document = tenure_reports::overview(&store, &request)?;
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    let table = tenure_reports::run(&store, &args.name, &request)?;
    match args.format {
        ReportFormat::Csv => print!("{}", table.to_csv()),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&table)?),
        ReportFormat::Table => print!("{}", table.to_text()),
    }
    Ok(())
}
