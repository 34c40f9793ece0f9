//! Seeded random streams. Every user, account and month draws from its own
//! stream, derived from the seed and its indexes, so the output does not
//! depend on how work is split across threads.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// The stream tags: one per kind of draw.
pub mod tag {
    pub const ACCOUNT: u64 = 1;
    pub const USER: u64 = 2;
    pub const CHAIN: u64 = 3;
    pub const USER_MONTH: u64 = 4;
    pub const ACCOUNT_MONTH: u64 = 5;
    pub const NOISE: u64 = 6;
}

/// SplitMix64's finaliser: a fast, well-mixed 64-bit hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream for (seed, tag, a, b).
pub fn stream(seed: u64, tag: u64, a: u64, b: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(mix(seed ^ mix(tag ^ mix(a ^ mix(b)))))
}

/// A uniform number in [0, 1) from a hash of (seed, tag, n), for decisions
/// that need no stream of their own.
pub fn unit(seed: u64, tag: u64, n: u64) -> f64 {
    (mix(seed ^ mix(tag ^ mix(n))) >> 11) as f64 / (1u64 << 53) as f64
}
