//! `tenure stats`.

use super::{load_config, open_store};
use crate::cli::{Format, StatsArgs};
use tenure_core::config::Overrides;
use tenure_core::time::format_timestamp;
use tenure_store::Store;

pub fn run(args: StatsArgs) -> anyhow::Result<()> {
    let config = load_config(&args.store, Overrides::default())?;
    let stats = open_store(&config)?.stats()?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&stats)?),
        Format::Table => {
            println!("accounts  {}", stats.accounts);
            println!("users     {}", stats.users);
            println!("groups    {}", stats.groups);
            println!("events    {}", stats.events);
            for (kind, n) in &stats.events_by_kind {
                println!("  {kind:<10} {n}");
            }
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or("-".to_string(), format_timestamp)
            };
            println!("first event  {}", time(stats.first_event_at));
            println!("last event   {}", time(stats.last_event_at));
            println!("in rollups   {}", stats.events_in_rollups);
        }
    }
    Ok(())
}
