//! What to generate: sizes, seed, the window's end and the noise rate, with
//! the named presets.

use chrono::NaiveDate;

/// A named size, used by tests (`small`), the demo (`medium`) and the
/// benchmarks (`large`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Preset {
    /// 25 accounts x 12 users x 6 months: tens of thousands of events, well
    /// under a second. What unit and integration tests use.
    Small,
    /// 400 accounts x 30 users x 12 months: about a million events. What
    /// `tenure serve --demo` loads.
    Medium,
    /// 10,000 accounts x 105 users x 24 months: more than 1,000,000 users
    /// and 100,000,000 events. What the benchmarks use.
    Large,
}

/// Everything that decides the output: the same value gives the same bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Params {
    /// Number of accounts (customer companies).
    pub accounts: u32,
    /// Mean users per account; sizes are heavy-tailed around it.
    pub users_per_account: u32,
    /// Calendar months in the window (the last one may be partial).
    pub months: u32,
    /// The seed of every random choice.
    pub seed: u64,
    /// The window ends just before this day (UTC midnight).
    pub end: NaiveDate,
    /// Share of messages followed by a noise line (a malformed message or a
    /// verbatim duplicate); 0 for none.
    pub noise: f64,
}

/// The default end of the window: fixed, so that the same seed gives the
/// same bytes on any day. `serve --demo` passes today instead.
pub fn default_end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("a valid date")
}

impl Preset {
    /// The parameters of a preset with the given seed.
    pub fn params(self, seed: u64) -> Params {
        let (accounts, users_per_account, months) = match self {
            Preset::Small => (25, 12, 6),
            Preset::Medium => (400, 30, 12),
            Preset::Large => (10_000, 105, 24),
        };
        Params {
            accounts,
            users_per_account,
            months,
            seed,
            end: default_end(),
            noise: 0.0,
        }
    }
}

/// A parameter out of its range.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{field}: {reason}")]
pub struct ParamError {
    pub field: &'static str,
    pub reason: String,
}

impl Params {
    /// Checks the ranges once, before any work.
    pub fn validate(&self) -> Result<(), ParamError> {
        let bad = |field, reason: &str| {
            Err(ParamError {
                field,
                reason: reason.to_string(),
            })
        };
        if self.accounts == 0 || self.accounts > 1_000_000 {
            return bad("accounts", "must be between 1 and 1,000,000");
        }
        if self.users_per_account == 0 || self.users_per_account > 10_000 {
            return bad("users-per-account", "must be between 1 and 10,000");
        }
        if u64::from(self.accounts) * u64::from(self.users_per_account) > 20_000_000 {
            return bad(
                "users-per-account",
                "accounts x users-per-account must be at most 20,000,000",
            );
        }
        if self.months == 0 || self.months > 120 {
            return bad("months", "must be between 1 and 120");
        }
        if !(0.0..=0.5).contains(&self.noise) {
            return bad("noise", "must be between 0 and 0.5");
        }
        Ok(())
    }
}
