//! The usage reports. Each reads the store's rollups (never a scan of raw
//! events per request) and returns a [`Table`] whose column names are the
//! documented ones (docs/reports.md); the CLI and the API only render it.

mod accounts;
mod active_rate;
mod alerts;
mod alive;
mod day;
mod engagement;
mod features;
mod health;
mod influence;
mod levels;
mod monthly;
mod overview;
pub mod playbooks;
mod productivity;
mod propensity;
mod seats;
mod sentiment;
mod table;

pub use alerts::{
    KINDS as ALERT_KINDS, evaluate_days as evaluate_alerts, set_status as set_alert_status,
};
pub use day::{KeptDay, keep_day};
pub use health::{day_rows as health_day_rows, keep_days as keep_health_days};
pub use overview::overview;
pub use propensity::{
    SCORE_DAYS_KEPT, keep_days as keep_score_days, needs_training as models_need_training,
    train_and_keep as train_models,
};
pub use table::{Cell, Table};
use tenure_core::report::{ParamError, Period, ReportsConfig};
use tenure_store::{Scope, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A model the report needs cannot be fitted to the data there is.
    #[error(transparent)]
    Model(#[from] tenure_models::ModelError),
}

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub period: Period,
    pub scope: Scope,
    /// `month=YYYY-MM` for the monthly reports (default: the month before
    /// the period's end).
    pub month: Option<String>,
    /// Every account, not only the default rows (monthly reports).
    pub all_accounts: bool,
    /// `activity-pivot`: how many months (default 6, up to 36).
    pub months: Option<u32>,
    /// `activity-pivot`: `long` (default) or `wide`.
    pub layout: Option<String>,
    /// `account-flags`: the `active` that makes a champion (default: the
    /// month's 90th percentile over accounts with any activity).
    pub champion_min: Option<f64>,
    /// `account-flags`: the drop in percent that makes a churn risk
    /// (default 50).
    pub risk_drop_pct: Option<f64>,
    /// `features`, `errors`: `desc` (most used first, default) or `asc`.
    pub order: Option<String>,
    /// `active-rate`: `month` (default), `week` or `day`.
    pub interval: Option<String>,
    /// `active-rate`: `rate` (default) or `absolute` (counts only).
    pub mode: Option<String>,
    /// `productivity`: `user` (default), `group` or `account` rows.
    pub by: Option<String>,
    /// `influence`: only this many users per account, the most influential.
    pub top: Option<u32>,
    /// Defaults from `[reports]` in the config.
    pub config: ReportsConfig,
}

impl Request {
    pub fn new(period: Period, scope: Scope) -> Self {
        Self {
            period,
            scope,
            month: None,
            all_accounts: false,
            months: None,
            layout: None,
            champion_min: None,
            risk_drop_pct: None,
            order: None,
            interval: None,
            mode: None,
            by: None,
            top: None,
            config: ReportsConfig::default(),
        }
    }

    /// One day over every account, with `config` (the daily work's and
    /// the models' requests).
    pub(crate) fn day(config: &ReportsConfig, day: chrono::NaiveDate) -> Self {
        let mut request = Self::new(Period { from: day, to: day }, Scope::default());
        request.config = config.clone();
        request
    }
}

/// The reports there are, by the name the API and the CLI use.
pub const NAMES: &[&str] = &[
    "accounts",
    "engagement",
    "engagement-summary",
    "engagement-flow",
    "champions",
    "seats",
    "seats-pending",
    "levels",
    "user-levels",
    "productivity",
    "active-rate",
    "monthly-activity",
    "activity-pivot",
    "account-flags",
    "features",
    "errors",
    "alive",
    "health",
    "health-history",
    "alerts",
    "sentiment",
    "influence",
    "scores",
    "models",
    "backtest",
];

/// The usage reports: all that an account's own admin may read (of their
/// account). The others are the vendor's view of the account (health,
/// alerts, propensity, sentiment, churn-risk flags, probability alive) or
/// about every account at once (the models and their back-test).
pub const USAGE: &[&str] = &[
    "engagement",
    "engagement-summary",
    "engagement-flow",
    "champions",
    "seats",
    "seats-pending",
    "levels",
    "user-levels",
    "productivity",
    "active-rate",
    "monthly-activity",
    "activity-pivot",
    "features",
    "errors",
    "influence",
];

/// `part / whole` rounded to 4 decimals; empty when `whole` is 0.
pub(crate) fn ratio(part: u64, whole: u64) -> Cell {
    if whole == 0 {
        Cell::Empty
    } else {
        Cell::Float((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
    }
}

/// 100 * (now - before) / before, rounded to 0.1; empty when `before` is
/// 0 or absent.
pub(crate) fn change_pct(now: u64, before: Option<u64>) -> Option<f64> {
    match before {
        Some(b) if b > 0 => Some(((now as f64 - b as f64) * 1000.0 / b as f64).round() / 10.0),
        _ => None,
    }
}

/// Runs report `name`.
pub fn run(store: &dyn Store, name: &str, request: &Request) -> Result<Table, ReportError> {
    match name {
        "accounts" => accounts::report(store, request),
        "engagement" => engagement::users(store, request),
        "engagement-summary" => engagement::summary(store, request),
        "engagement-flow" => engagement::flow(store, request),
        "champions" => engagement::champions(store, request),
        "seats" => seats::accounts(store, request),
        "seats-pending" => seats::pending_users(store, request),
        "productivity" => productivity::report(store, request),
        "active-rate" => active_rate::report(store, request),
        "levels" => levels::accounts(store, request),
        "user-levels" => levels::users(store, request),
        "monthly-activity" => monthly::activity(store, request),
        "activity-pivot" => monthly::pivot(store, request),
        "account-flags" => monthly::flags(store, request),
        "features" => features::features(store, request),
        "errors" => features::errors(store, request),
        "alive" => alive::report(store, request),
        "health" => health::report(store, request),
        "health-history" => health::history(store, request),
        "alerts" => alerts::report(store, request),
        "sentiment" => sentiment::report(store, request),
        "influence" => influence::report(store, request),
        "scores" => propensity::scores(store, request),
        "models" => propensity::models(store, request),
        "backtest" => propensity::backtest(store, request),
        other => Err(ParamError::new(
            "report",
            format!("{other:?} is not one of {}", NAMES.join(", ")),
        )
        .into()),
    }
}
