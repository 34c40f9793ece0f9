//! `tenure alerts`: evaluate past days, snooze or close an alert.

use super::health::days;
use super::{load_config, open_store};
use crate::cli::AlertsCommand;
use std::time::Instant;
use tenure_core::alerts::AlertStatus;
use tenure_core::config::Overrides;
use tenure_store::Store;

pub fn run(cmd: AlertsCommand) -> anyhow::Result<()> {
    match cmd {
        AlertsCommand::Evaluate {
            store,
            from,
            to,
            kinds,
        } => {
            let config = load_config(&store, Overrides::default())?;
            let (from, to) = days(from, to)?;
            if let Some(bad) = kinds
                .iter()
                .find(|k| !tenure_reports::ALERT_KINDS.contains(&k.as_str()))
            {
                anyhow::bail!(
                    "kind: {bad:?} is not one of {}",
                    tenure_reports::ALERT_KINDS.join(", ")
                );
            }
            let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
            let mut store = open_store(&config)?;
            store.refresh_rollups()?;
            let started = Instant::now();
            let opened =
                tenure_reports::evaluate_alerts(&mut store, &config.reports, from, to, &kinds)?;
            println!(
                "alerts: {opened} opened over {} days ({from} to {to}) in {:.1}s",
                (to - from).num_days() + 1,
                started.elapsed().as_secs_f64()
            );
        }
        AlertsCommand::Snooze { store, id, until } => {
            set(&store, &id, AlertStatus::Snoozed, Some(until))?;
        }
        AlertsCommand::Close { store, id } => set(&store, &id, AlertStatus::Closed, None)?,
    }
    Ok(())
}

fn set(
    store: &crate::cli::StoreArgs,
    id: &str,
    status: AlertStatus,
    until: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let config = load_config(store, Overrides::default())?;
    let mut store = open_store(&config)?;
    match tenure_reports::set_alert_status(&mut store, id, status, until)? {
        Some(alert) => println!("alert {}: {}", alert.alert_id, alert.status.as_str()),
        None => anyhow::bail!("alert {id}: no such alert, or it is resolved"),
    }
    Ok(())
}
