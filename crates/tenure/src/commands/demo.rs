//! `tenure serve --demo`: a working product with data in a minute. Generates
//! a dataset that ends today, imports it into the store (unless the store
//! already has events), and creates an admin and a write key to try the API
//! with.

use super::generate::{generate, preset};
use crate::cli::PresetArg;
use anyhow::Context;
use tenure_core::{Config, Entity, Role};
use tenure_ingest::Limits;
use tenure_ingest::import::{import_csv, import_events};
use tenure_store::{DuckStore, Store};

/// The keys the demo made, to print once the server listens.
pub struct DemoKeys {
    pub admin: String,
    pub write: String,
}

/// Loads the demo data into `store` (when it has no events) and creates
/// fresh keys.
pub fn load(store: &mut DuckStore, config: &Config, which: PresetArg) -> anyhow::Result<DemoKeys> {
    if store.stats()?.events > 0 {
        eprintln!(
            "demo: {} already holds events; not loading demo data again",
            config.data_dir.display()
        );
    } else {
        let now = chrono::Utc::now();
        let mut params = preset(which).params(1);
        params.end = now.date_naive();
        let dir = tempfile::Builder::new()
            .prefix("tenure-demo-gen-")
            .tempdir()?;
        let s = generate(&params, dir.path())?;
        eprintln!(
            "demo: generated {} accounts, {} users, {} events up to {} in {:.1}s",
            s.accounts, s.users, s.events, params.end, s.seconds
        );
        let started = std::time::Instant::now();
        store.sync_taxonomy(&config.taxonomy)?;
        for (entity, file) in [
            (Entity::Account, "accounts.csv"),
            (Entity::User, "users.csv"),
        ] {
            import_csv(store, entity, &dir.path().join(file), now, Box::new(|_| {}))
                .with_context(|| format!("loading the demo {file}"))?;
        }
        let limits = Limits {
            max_message_bytes: config.ingest.max_message_bytes,
            max_batch_bytes: config.ingest.max_batch_bytes,
        };
        let events = import_events(
            store,
            &dir.path().join("events.jsonl.gz"),
            &config.taxonomy,
            limits,
            now,
            Box::new(|_| {}),
        )
        .context("loading the demo events")?;
        eprintln!(
            "demo: loaded {} events into {} in {:.1}s",
            events.events_stored,
            config.data_dir.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let mut key = |role| -> anyhow::Result<String> {
        let (secret, key) =
            tenure_server::keys::generate(role, None, Some("demo".into()), chrono::Utc::now());
        store.create_key(&key)?;
        Ok(secret)
    };
    Ok(DemoKeys {
        admin: key(Role::Admin)?,
        write: key(Role::Write)?,
    })
}
