//! `tenure refresh`.

use super::{load_config, open_store};
use crate::cli::RefreshArgs;
use std::time::Instant;
use tenure_core::config::Overrides;
use tenure_store::Store;

pub fn run(args: RefreshArgs) -> anyhow::Result<()> {
    let config = load_config(&args.store, Overrides::default())?;
    let mut store = open_store(&config)?;
    let started = Instant::now();
    if args.rebuild {
        store.rebuild_rollups()?;
        println!(
            "rollups: rebuilt from every event in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    } else {
        let events = store.refresh_rollups()?;
        println!(
            "rollups: {events} new events added in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
    if !config.playbooks.is_empty() {
        let n = super::playbooks::evaluate_and_keep(&mut store, &config)?;
        println!("playbooks: evaluated, {n} actions enqueued (tenure serve delivers them)");
    }
    Ok(())
}
