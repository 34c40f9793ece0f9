//! The command line. Every flag that has an environment variable names it in
//! `--help`; flags beat environment variables, which beat `tenure.toml`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Tenure: self-hosted customer-success analytics. Point your Segment
/// tracking at it; it tells you who uses your product and how.
#[derive(Debug, Parser)]
#[command(name = "tenure", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the Segment tracking API, the JSON API, /healthz and /metrics.
    Serve(ServeArgs),
    /// Import events (Segment JSONL, .gz too), accounts or users (CSV).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Create, list and revoke keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Counts of accounts, users and events by kind, and the time span.
    Stats(StatsArgs),
    /// A usage report (engagement, seats, monthly-activity, ...) as a table, CSV or JSON.
    Report(Box<ReportArgs>),
    /// Add the events stored since the last refresh to the report rollups
    /// (the server does it every `ingest.rollup_interval_secs`), then
    /// evaluate the playbooks, if any, and enqueue their actions.
    Refresh(RefreshArgs),
    /// Score account health for past days and keep the scores (what
    /// `health-history` reports; the server scores each finished day).
    Health(HealthArgs),
    /// Evaluate alerts for past days, snooze or close one.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Train the propensity models and keep them (what `scores` and
    /// `models` read; the server retrains every `models.retrain_days`), or
    /// keep days of their scores (what `score_crossed` playbooks compare).
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Show what the playbooks would do (dry-run), or evaluate them and
    /// enqueue their actions (the server evaluates and delivers itself).
    #[command(subcommand)]
    Playbooks(PlaybooksCommand),
    /// Score every account as of each past month end with the health score
    /// and each model, against what happened next (the `backtest` report).
    Backtest(BacktestArgs),
    /// Generate a realistic SaaS usage dataset with planted ground truth.
    Gen(GenArgs),
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Train every model as of a day and keep the fits; prints the
    /// `models` report of the new fits.
    Train {
        #[command(flatten)]
        store: StoreArgs,
        /// The day to train as of (labels end by then; default: yesterday, UTC).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Score every account and user with the kept models for past days and
    /// keep the scores (what `score_crossed` playbooks compare; the server
    /// keeps each finished day's itself). A day without fresh kept models
    /// is skipped.
    Score {
        #[command(flatten)]
        store: StoreArgs,
        /// First day to score (YYYY-MM-DD; default: yesterday, UTC).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day to score (default: yesterday, UTC).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// A model to keep (repeatable; default: every model).
        #[arg(long = "model")]
        models: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// First month end to score from (YYYY-MM-DD; default: 12 months before --as-of).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// What is known: month ends up to this day less `models.horizon_days`
    /// are scored (default: yesterday, UTC).
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
}

/// Where the store and the config are.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Data directory holding the store (default ./tenure-data).
    #[arg(long, env = "TENURE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Config file (default ./tenure.toml when it exists).
    #[arg(long, env = "TENURE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on (default 127.0.0.1:8750; port 0 picks a free port).
    #[arg(long, env = "TENURE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Days a messageId is remembered to drop retries (at least 7).
    #[arg(long, env = "TENURE_DEDUP_WINDOW_DAYS", value_name = "DAYS")]
    pub dedup_window_days: Option<u32>,
    /// Run as if the clock read this UTC time at start (RFC 3339), going on
    /// at the wall clock's pace: to replay a dataset's past, e.g. to see
    /// which playbooks would have fired. Default: the wall clock.
    #[arg(long, value_name = "TIME")]
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Start with generated demo data (the `medium` preset, ending today) in
    /// a fresh temporary store, or loaded into --data when it is given, and
    /// print an admin key to try the API with.
    #[arg(long)]
    pub demo: bool,
    /// The preset --demo loads.
    #[arg(long, value_enum, default_value = "medium", requires = "demo")]
    pub demo_preset: PresetArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PresetArg {
    /// 25 accounts x 12 users x 6 months (tests; well under a second).
    Small,
    /// 400 accounts x 30 users x 12 months (the demo).
    Medium,
    /// 10,000 accounts x 105 users x 24 months (benchmarks).
    Large,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Start from a preset's sizes (default small); the flags below override it.
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,
    /// Number of accounts.
    #[arg(long)]
    pub accounts: Option<u32>,
    /// Mean users per account (sizes are heavy-tailed around it).
    #[arg(long)]
    pub users_per_account: Option<u32>,
    /// Calendar months of history.
    #[arg(long)]
    pub months: Option<u32>,
    /// Seed of every random choice: the same seed and flags give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The data ends just before this day, YYYY-MM-DD (default 2026-11-01,
    /// fixed so that output does not depend on the day it is made).
    #[arg(long, value_name = "DATE")]
    pub end: Option<String>,
    /// Add malformed and duplicate messages after this share of messages
    /// (default 0.001 when given without a value); listed in noise.csv.
    #[arg(long, num_args = 0..=1, default_missing_value = "0.001", value_name = "RATE")]
    pub noise: Option<f64>,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Segment-format messages, one JSON object per line; gzipped files too.
    Events {
        #[command(flatten)]
        store: StoreArgs,
        /// Files to import, each in one transaction.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Read every line with Tenure's own message parser, as the HTTP
        /// API does, and keep `properties`, `context` and `traits` byte
        /// for byte as sent. Without it, DuckDB's JSON reader takes the
        /// track calls of files it maps exactly (faster), storing those
        /// objects minified and numbers in their shortest form.
        #[arg(long)]
        exact: bool,
    },
    /// Accounts: id, name, plan, mrr, seats_purchased, renewal_date,
    /// archived, has_portal_access, csm_owner, created_at; other columns
    /// become free-form traits.
    Accounts(CsvArgs),
    /// Users: id, account_id, email, name, role, seat_assigned_at, groups
    /// (separated by ;), created_at; other columns become free-form traits.
    Users(CsvArgs),
}

#[derive(Debug, Args)]
pub struct CsvArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The CSV file (header row first).
    pub file: PathBuf,
    /// When the rows' values take effect (ISO 8601; default now). Rows for
    /// accounts or users new to the store take effect at their created_at.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyRole {
    Admin,
    Viewer,
    AccountAdmin,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once, alone on the last line.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// A Segment write key (ingest only).
        #[arg(long, conflicts_with_all = ["role", "account"])]
        write: bool,
        /// An API key with this role.
        #[arg(long, value_enum, required_unless_present = "write")]
        role: Option<KeyRole>,
        /// The account an account-admin key may see.
        #[arg(long, value_name = "ID", required_if_eq("role", "account-admin"))]
        account: Option<String>,
        /// A note to tell keys apart.
        #[arg(long)]
        label: Option<String>,
    },
    /// List keys (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Revoke a key by id.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The report: engagement, engagement-summary, engagement-flow,
    /// champions, seats, seats-pending, levels, user-levels, productivity,
    /// active-rate, monthly-activity, activity-pivot, account-flags,
    /// features, errors, alive, health, health-history, alerts, sentiment,
    /// scores, models, backtest or overview (a JSON document).
    pub name: String,
    /// First day of the period (YYYY-MM-DD, UTC); or use --range.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of the period (default: today, or --as-of).
    #[arg(long)]
    pub to: Option<String>,
    /// The period counting back from --to: 7d, 30d (default), 90d or 12m.
    #[arg(long)]
    pub range: Option<String>,
    /// Take this day as today (YYYY-MM-DD), to pin a report.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Only this account (repeatable).
    #[arg(long = "account")]
    pub accounts: Vec<String>,
    /// Only users in this group (repeatable).
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Only this user (repeatable).
    #[arg(long = "user")]
    pub users: Vec<String>,
    /// Every user, not only licensed ones.
    #[arg(long)]
    pub all_users: bool,
    /// The month of a monthly report (YYYY-MM; default: the previous month).
    #[arg(long)]
    pub month: Option<String>,
    /// Every account in a monthly report, not only active, portal-enabled ones.
    #[arg(long)]
    pub all: bool,
    /// activity-pivot: how many months up to --month (default 6).
    #[arg(long)]
    pub months: Option<u32>,
    /// activity-pivot: long (default) or wide.
    #[arg(long)]
    pub layout: Option<String>,
    /// account-flags: the active count that makes a champion (default: the month's 90th percentile).
    #[arg(long)]
    pub champion_min: Option<f64>,
    /// account-flags: the drop in percent that makes a churn risk (default 50).
    #[arg(long)]
    pub risk_drop_pct: Option<f64>,
    /// features, errors: desc (most used first, default) or asc.
    #[arg(long)]
    pub order: Option<String>,
    /// active-rate: month (default), week or day.
    #[arg(long)]
    pub interval: Option<String>,
    /// active-rate: rate (default) or absolute.
    #[arg(long)]
    pub mode: Option<String>,
    /// productivity: one row per user (default), group or account.
    #[arg(long)]
    pub by: Option<String>,
    /// influence: only this many users per account, the most influential.
    #[arg(long)]
    pub top: Option<u32>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PlaybooksCommand {
    /// Show which playbooks would fire on a day, for whom and why (or
    /// why not), with what they would send, without sending or keeping
    /// anything.
    DryRun {
        #[command(flatten)]
        store: StoreArgs,
        /// The day (YYYY-MM-DD, UTC): a past day is evaluated as finished
        /// (every trigger), today as the running day. Default: today.
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// Show the occurrences already decided by an earlier evaluation too.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Evaluate each finished day not evaluated yet and today, keep the
    /// decisions in the audit log and enqueue the actions (`tenure serve`
    /// delivers them).
    Evaluate {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Rebuild the rollups from every stored event instead.
    #[arg(long)]
    pub rebuild: bool,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// First day to score (YYYY-MM-DD, UTC; default: --to).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last day to score (default: yesterday, UTC).
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Evaluate the alerts of each day from --from to --to, in order (the
    /// server evaluates each finished day itself).
    Evaluate {
        #[command(flatten)]
        store: StoreArgs,
        /// First day (YYYY-MM-DD, UTC; default: --to).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day (default: yesterday, UTC).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// Only these kinds (repeatable; default: every kind). Alerts of
        /// other kinds are left as they are.
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
    },
    /// Hide an alert until a day; it opens again then if its cause holds.
    Snooze {
        #[command(flatten)]
        store: StoreArgs,
        /// The alert's id (`tenure report alerts`).
        id: String,
        /// The day it opens again (YYYY-MM-DD).
        #[arg(long)]
        until: chrono::NaiveDate,
    },
    /// Close an alert: it stays closed while its cause holds.
    Close {
        #[command(flatten)]
        store: StoreArgs,
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}
