//! `tenure playbooks dry-run` and `tenure playbooks evaluate`.

use super::{load_config, open_store};
use crate::cli::{PlaybooksCommand, ReportFormat};
use chrono::Utc;
use tenure_core::Config;
use tenure_core::config::Overrides;
use tenure_reports::playbooks::{Decision, Evaluation, Settings, catch_up, evaluate};
use tenure_reports::{Cell, Table};
use tenure_store::Store;

pub fn run(cmd: PlaybooksCommand) -> anyhow::Result<()> {
    match cmd {
        PlaybooksCommand::DryRun {
            store,
            day,
            all,
            format,
        } => {
            let config = load_config(&store, Overrides::default())?;
            let mut store = open_store(&config)?;
            store.refresh_rollups()?;
            let now = Utc::now();
            let today = now.date_naive();
            let day = day.unwrap_or(today);
            if day > today {
                anyhow::bail!("--day: {day} is after today ({today})");
            }
            let e = evaluate(&store, Settings::of(&config), day, now, day < today)?;
            let table = table(&e, all);
            match format {
                ReportFormat::Csv => print!("{}", table.to_csv()),
                ReportFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&table)?)
                }
                ReportFormat::Table => print!("{}", table.to_text()),
            }
            let [fired, filtered, cooldown, decided] = e.counts();
            eprintln!(
                "dry run of {} day {day}: {fired} would fire ({} actions), {filtered} filtered, {cooldown} in cooldown, {decided} decided before; nothing sent or kept",
                if day < today { "finished" } else { "running" },
                e.items().count()
            );
            Ok(())
        }
        PlaybooksCommand::Evaluate { store } => {
            let config = load_config(&store, Overrides::default())?;
            let mut store = open_store(&config)?;
            store.refresh_rollups()?;
            let n = evaluate_and_keep(&mut store, &config)?;
            println!("playbooks: {n} actions enqueued");
            Ok(())
        }
    }
}

/// Evaluates the finished days not evaluated yet and today, as the
/// server does, and keeps the result; returns the actions enqueued.
pub fn evaluate_and_keep(store: &mut dyn Store, config: &Config) -> anyhow::Result<usize> {
    let now = Utc::now();
    let yesterday = now.date_naive() - chrono::Days::new(1);
    let runs = catch_up(store, Settings::of(config), now, yesterday)?;
    Ok(runs.iter().map(|e| e.items().count()).sum())
}

/// One row per occurrence: who, what, the decision and why, the actions.
fn table(e: &Evaluation, all: bool) -> Table {
    let mut t = Table::new(&[
        "playbook",
        "trigger",
        "account_id",
        "user_id",
        "occurrence",
        "decision",
        "why",
        "actions",
    ]);
    for d in &e.decided {
        if d.decision == Decision::Decided && !all {
            continue;
        }
        let why = match &d.decision {
            Decision::Fire => d.occurrence.summary.clone(),
            other => other.detail(),
        };
        let actions: Vec<String> = d
            .items
            .iter()
            .map(|i| {
                let to = i.payload["to"]
                    .as_str()
                    .or(i.payload["url"].as_str())
                    .unwrap_or_default();
                if to.is_empty() {
                    i.channel.clone()
                } else {
                    format!("{} {to}", i.channel)
                }
            })
            .collect();
        t.push(vec![
            d.playbook.clone().into(),
            d.trigger.into(),
            d.occurrence.account_id.clone().into(),
            d.occurrence.user_id.clone().into(),
            d.occurrence.id.clone().into(),
            d.decision.event().into(),
            why.into(),
            Cell::List(actions),
        ]);
    }
    t
}
