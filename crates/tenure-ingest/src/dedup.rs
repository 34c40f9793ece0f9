//! The dedup window: message ids seen in the last N days (7 by default).
//!
//! Ids are kept as 128-bit hashes with the second they were received, in a
//! hash map keyed by the hash itself: 24 bytes of payload per id, about
//! 28-56 bytes per id with the map's spare capacity (BENCHMARKS.md has the
//! measured figure per million ids). The window is rebuilt from the store at
//! start-up, so it survives restarts.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use xxhash_rust::xxh3::xxh3_128;

/// The key is already a good hash: use its low bits as the map's hash.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// A message id's fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u64; 2]);

impl Fingerprint {
    pub fn of(message_id: &str) -> Self {
        let h = xxh3_128(message_id.as_bytes());
        Self([h as u64, (h >> 64) as u64])
    }
}

/// Ids received within the window, with their receive time (Unix seconds).
#[derive(Default)]
pub struct DedupWindow {
    window_secs: i64,
    seen: HashMap<Fingerprint, u32, BuildHasherDefault<PassThrough>>,
    /// Oldest receive time that may still be in the map; sweeps run when the
    /// window has moved on by a tenth of its length.
    swept_at: i64,
}

impl DedupWindow {
    pub fn new(window: std::time::Duration) -> Self {
        Self {
            window_secs: window.as_secs() as i64,
            seen: HashMap::default(),
            swept_at: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Whether this id was received within the window.
    pub fn contains(&self, id: Fingerprint) -> bool {
        self.seen.contains_key(&id)
    }

    /// Remembers an id received at `at_secs` (Unix seconds).
    pub fn insert(&mut self, id: Fingerprint, at_secs: i64) {
        let at = at_secs.clamp(0, i64::from(u32::MAX)) as u32;
        let slot = self.seen.entry(id).or_insert(at);
        *slot = (*slot).max(at);
    }

    /// Forgets ids older than the window, at most once per tenth of it.
    pub fn evict(&mut self, now_secs: i64) {
        if now_secs - self.swept_at < self.window_secs / 10 {
            return;
        }
        let cutoff = now_secs - self.window_secs;
        self.seen.retain(|_, at| i64::from(*at) >= cutoff);
        self.seen.shrink_to_fit();
        self.swept_at = now_secs;
    }

    /// Bytes the map holds (its table; the keys are stored inline).
    pub fn heap_bytes(&self) -> usize {
        // hashbrown: one entry and one control byte per bucket; buckets are
        // the capacity rounded up to a power of two over 7/8.
        let buckets = (self.seen.capacity() * 8 / 7).next_power_of_two();
        buckets * (std::mem::size_of::<(Fingerprint, u32)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn remembers_within_the_window_and_forgets_after() {
        let mut w = DedupWindow::new(Duration::from_secs(7 * 86_400));
        let a = Fingerprint::of("a");
        w.insert(a, 1_000_000);
        assert!(w.contains(a));
        assert!(!w.contains(Fingerprint::of("b")));
        w.evict(1_000_000 + 6 * 86_400);
        assert!(w.contains(a), "still inside the window");
        w.evict(1_000_000 + 8 * 86_400);
        assert!(!w.contains(a), "evicted after the window");
        assert!(w.is_empty());
    }

    #[test]
    fn fingerprints_differ_for_different_ids() {
        let ids: std::collections::HashSet<_> = (0..10_000)
            .map(|i| Fingerprint::of(&i.to_string()))
            .collect();
        assert_eq!(ids.len(), 10_000);
    }
}
