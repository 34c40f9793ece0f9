//! The dashboard's report cache: a page's reports are computed once and
//! served to everyone who asks for the same report with the same
//! parameters for `web.cache_secs` (default 30). After that the entry is
//! still served while one request recomputes it in the background
//! ([`Cache::claim`]), so nobody waits on an expired entry. Entries are
//! dropped at once when the data behind them changes under the server's
//! hands: an alert snoozed or closed, a day's health scored, models trained
//! (each bumps the generation); those are computed again before anyone
//! sees them. New events reach the rollups every
//! `ingest.rollup_interval_secs`, so a page shows an accepted event within
//! the two intervals and one computation (about a minute by default).
//!
//! The key is the report and every field of the request except the
//! config (the same for every request); account-admin requests differ by
//! their scope, so nobody is served another's rows.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenure_reports::{Request, Table};

/// Most entries kept; beyond, the oldest go.
const MAX_ENTRIES: usize = 512;

/// A cached result: a report's table, or the overview document.
#[derive(Clone)]
pub(crate) enum Cached {
    Table(Arc<Table>),
    Document(Arc<serde_json::Value>),
}

struct Entry {
    at: Instant,
    generation: u64,
    value: Cached,
}

pub struct Cache {
    entries: Mutex<HashMap<String, Entry>>,
    generation: AtomicU64,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Keys being recomputed in the background.
    refreshing: Mutex<HashSet<String>>,
}

impl Cache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            refreshing: Mutex::new(HashSet::new()),
        }
    }

    /// Makes every entry stale (the data changed).
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The key of report `name` for `request`.
    pub fn key(name: &str, r: &Request) -> String {
        format!(
            "{name}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            r.period,
            r.scope,
            r.month,
            r.all_accounts,
            r.months,
            r.layout,
            r.champion_min,
            r.risk_drop_pct,
            r.order,
            r.interval,
            r.mode,
            r.by,
            r.top
        )
    }

    /// The entry for `key` of the current generation, if any, and whether
    /// it is younger than the cache's time (fresh).
    pub(crate) fn get(&self, key: &str) -> Option<(Cached, bool)> {
        if self.ttl.is_zero() {
            return None;
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let entries = self.entries.lock().expect("cache lock");
        let hit = entries
            .get(key)
            .filter(|e| e.generation == generation)
            .map(|e| (e.value.clone(), e.at.elapsed() < self.ttl));
        let counter = if hit.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    /// Whether the caller is the one to recompute `key` (no one else is);
    /// it calls [`Cache::release`] when done.
    pub(crate) fn claim(&self, key: &str) -> bool {
        self.refreshing
            .lock()
            .expect("refreshing lock")
            .insert(key.to_string())
    }

    pub(crate) fn release(&self, key: &str) {
        self.refreshing.lock().expect("refreshing lock").remove(key);
    }

    /// Keeps `value` for `key`, computed when the generation was
    /// `generation` (a change during the computation makes it stale).
    pub(crate) fn put(&self, key: String, generation: u64, value: Cached) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= MAX_ENTRIES {
            let generation = self.generation.load(Ordering::SeqCst);
            entries.retain(|_, e| e.generation == generation);
            if entries.len() >= MAX_ENTRIES
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.at)
                    .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            key,
            Entry {
                at: Instant::now(),
                generation,
                value,
            },
        );
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// (hits, misses) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenure_core::report::Period;
    use tenure_store::Scope;

    fn request(account: &str) -> Request {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        Request::new(
            Period::ending(day, 30),
            Scope {
                accounts: vec![account.into()],
                ..Scope::default()
            },
        )
    }

    #[test]
    fn entries_are_per_request_and_go_stale() {
        let cache = Cache::new(Duration::from_millis(200));
        let (a, b) = (
            Cache::key("seats", &request("a")),
            Cache::key("seats", &request("b")),
        );
        assert_ne!(a, b);
        assert_ne!(a, Cache::key("levels", &request("a")));
        let table = Cached::Table(Arc::new(Table::new(&["x"])));
        cache.put(a.clone(), cache.generation(), table.clone());
        assert!(matches!(cache.get(&a), Some((_, true))));
        assert!(cache.get(&b).is_none());
        cache.bump();
        assert!(cache.get(&a).is_none(), "a change drops it");
        // Computed before a change that came during the computation.
        let before = cache.generation();
        cache.bump();
        cache.put(a.clone(), before, table.clone());
        assert!(cache.get(&a).is_none());
        cache.put(a.clone(), cache.generation(), table);
        assert!(matches!(cache.get(&a), Some((_, true))));
        std::thread::sleep(Duration::from_millis(250));
        assert!(
            matches!(cache.get(&a), Some((_, false))),
            "old: served, not fresh"
        );
        assert_eq!(cache.counts(), (3, 3));
        // One recomputation at a time.
        assert!(cache.claim(&a));
        assert!(!cache.claim(&a));
        cache.release(&a);
        assert!(cache.claim(&a));
    }

    #[test]
    fn zero_seconds_turns_it_off() {
        let cache = Cache::new(Duration::ZERO);
        let key = Cache::key("seats", &request("a"));
        cache.put(key.clone(), 0, Cached::Table(Arc::new(Table::new(&["x"]))));
        assert!(cache.get(&key).is_none());
    }
}
