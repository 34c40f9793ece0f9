//! Tenure's store: everything that is kept, behind the [`Store`] trait.
//!
//! Only this crate knows SQL and DuckDB. Callers hand it validated,
//! normalised rows ([`WriteBatch`]) and read back plain values. A write is
//! one transaction: it is all there after it returns `Ok`, or none of it is.

mod duck;

pub use duck::{DuckStore, UserAsOf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use tenure_core::{EntityChange, Event, KeyInfo, Role, Taxonomy};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually a running `tenure serve`) holds the store.
    #[error(
        "the store {path} is in use by another process (is `tenure serve` running on it?); stop it first, or go through its HTTP API"
    )]
    Locked { path: String },
    #[error(
        "the store {path} was written by a newer Tenure (schema version {found}, this build knows up to {known})"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("store error: {0}")]
    Engine(#[from] duckdb::Error),
    #[error("cannot create data directory {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How the store must treat message ids it may already hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedup {
    /// The caller already removed retries (the ingest writer's window).
    Done,
    /// Skip any event whose message id is stored already, however old
    /// (bulk imports: re-importing a file adds nothing).
    AgainstAll,
}

/// One atomic write: events and the trait changes they carry.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    pub events: Vec<Event>,
    pub changes: Vec<EntityChange>,
}

/// What a write stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteOutcome {
    pub events_written: u64,
    pub changes_written: u64,
}

/// Counts for `tenure stats` and `GET /api/v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub accounts: u64,
    pub users: u64,
    pub groups: u64,
    pub events: u64,
    pub events_by_kind: BTreeMap<String, u64>,
    pub events_by_type: BTreeMap<String, u64>,
    pub first_event_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    /// Events the report rollups cover (all of them after a refresh).
    pub events_in_rollups: u64,
}

/// Which users a report covers: licensed users (seat assigned at the
/// period's end, account not archived then) unless `all_users`, narrowed by
/// any of the lists given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub accounts: Vec<String>,
    pub groups: Vec<String>,
    pub users: Vec<String>,
    pub all_users: bool,
}

impl Scope {
    /// Whether a user with this state is in scope (the filters a report
    /// applies in SQL, for rows it narrows itself).
    pub fn admits(
        &self,
        user_id: &str,
        account_id: Option<&str>,
        groups: &[String],
        licensed: bool,
    ) -> bool {
        (self.all_users || licensed)
            && (self.accounts.is_empty()
                || account_id.is_some_and(|a| self.accounts.iter().any(|x| x == a)))
            && (self.groups.is_empty() || groups.iter().any(|g| self.groups.contains(g)))
            && (self.users.is_empty() || self.users.iter().any(|u| u == user_id))
    }
}

/// A user's active days (UTC days with a platform event) up to a day,
/// with their account, groups and licence then: what the BG/NBD model
/// reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveDays {
    pub user_id: String,
    /// `None` for a user the store has no traits for.
    pub account_id: Option<String>,
    pub groups: Vec<String>,
    pub licensed: bool,
    /// How many active days.
    pub days: u64,
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
}

/// One user's activity in a period (from the rollup), with their account
/// and groups at the period's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserActivity {
    pub user_id: String,
    pub account_id: Option<String>,
    pub groups: Vec<String>,
    pub email: Option<String>,
    /// The `role` trait.
    pub role: Option<String>,
    pub seat_assigned_at: Option<DateTime<Utc>>,
    pub counts: tenure_core::report::KindCounts,
    /// The last platform event up to the period's end (any earlier period
    /// too).
    pub last_active_at: Option<DateTime<Utc>>,
    /// A seat assigned at the period's end in an account not archived then.
    pub licensed: bool,
}

/// An account's seat funnel at a period's end, and its users active in
/// the period ([`Store::account_seats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSeats {
    pub account_id: String,
    /// Users licensed at the period's end (a seat assigned then, the
    /// account not archived then).
    pub assigned: u64,
    /// Of the assigned, those with a platform event by the period's end.
    pub activated: u64,
    /// Of the assigned, those never active whose seat was assigned at
    /// least the given number of days before the period's end.
    pub pending: u64,
    /// Users of the account at the period's end (licensed or not) with a
    /// platform event in the period.
    pub active_users: u64,
}

/// A licensed user who never used the seat ([`Store::pending_seats`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSeat {
    pub user_id: String,
    pub account_id: Option<String>,
    pub email: Option<String>,
    pub seat_assigned_at: Option<DateTime<Utc>>,
}

/// A user whose activity in a rolling window may have changed from one day
/// to the next ([`Store::activity_moves`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityMove {
    pub user_id: String,
    pub account_id: Option<String>,
    /// The window ending on the day.
    pub now: tenure_core::report::KindCounts,
    /// The window ending the day before.
    pub before: tenure_core::report::KindCounts,
}

/// A user engaging in one period, and what became of them in a later one
/// ([`Store::champions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Champion {
    pub user_id: String,
    /// The account at the end of the earlier period.
    pub account_id: Option<String>,
    pub before: tenure_core::report::KindCounts,
    /// Whether they hold a seat at the end of the later period, and in
    /// which account they are then.
    pub licensed_now: bool,
    pub account_now: Option<String>,
    /// Whether they had a consume or platform event in the later period
    /// (without one, every count of theirs there is 0).
    pub active_now: bool,
}

/// A user who did something for the first time on a day that an
/// achievement counts ([`Store::achievement_moves`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementMove {
    pub user_id: String,
    pub account_id: Option<String>,
    /// Achievements done by the end of the day.
    pub now: u64,
    /// Achievements done by the end of the day before.
    pub before: u64,
}

/// An account's portal and sharing activity in a period (events attributed
/// to it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountActivity {
    pub account_id: String,
    /// Portal Viewed events.
    pub portal_views: u64,
    /// Document Downloaded events.
    pub downloads: u64,
    /// Share events.
    pub shares: u64,
}

/// How much one event (or one detail of an event) was used in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventUsage {
    /// The event name, or the detail (e.g. the feature of Error Shown).
    pub name: String,
    pub kind: String,
    pub events: u64,
    pub users: u64,
    pub accounts: u64,
    /// Accounts with any event in the period (in scope): the same on every
    /// row, the base of an account share.
    pub accounts_in_period: u64,
}

/// What one row of the productivity report gathers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rows {
    /// One row per user.
    #[default]
    User,
    /// One row per group (per account), and one for the users in none.
    Group,
    /// One row per account.
    Account,
}

/// Messages, answers and connections of the users one row gathers, in a
/// period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Productivity {
    /// The user, group or account id (`None`: the users in no group, or
    /// without an account).
    pub key: Option<String>,
    pub account_id: Option<String>,
    pub users: u64,
    /// Message Sent events in the period.
    pub messages_sent: u64,
    /// Distinct message ids sent in the period with an accepted answer
    /// (`reports.accepted_answers`, default yes or maybe) within
    /// `reports.answer_window_days` (default 30) of their first sending.
    pub messages_accepted: u64,
    /// Distinct recipients of messages and shares in the period.
    pub unique_connections: u64,
    /// Share events in the period.
    pub shares: u64,
}

/// An account as it was at the end of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountAt {
    pub account_id: String,
    pub name: Option<String>,
    pub seats_purchased: Option<u64>,
    pub archived: bool,
    pub has_portal_access: bool,
    /// When the account was created (the `created_at` trait, else its
    /// first change), as the store holds it now.
    pub created_at: Option<DateTime<Utc>>,
    /// The plan then (`plan` trait), and the monthly revenue.
    pub plan: Option<String>,
    pub mrr: Option<f64>,
    /// Who looks after the account (`csm_owner` trait), and when its
    /// contract renews (`renewal_date`).
    pub csm_owner: Option<String>,
    pub renewal_date: Option<chrono::NaiveDate>,
}

/// An NPS answer or a piece of feedback.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    pub day: chrono::NaiveDate,
    /// `NPS Submitted` or `Feedback Submitted`.
    pub event: String,
    /// The NPS score (0-10).
    pub score: Option<f64>,
    /// The NPS comment or the feedback text.
    pub text: Option<String>,
}

/// How often a user, in a period, shared with or messaged one recipient or
/// over one channel (a row of `social_events`, counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub account_id: Option<String>,
    pub user_id: String,
    /// `Message Sent` or a share event's name.
    pub event: String,
    pub channel: Option<String>,
    pub recipient_id: Option<String>,
    /// In lower case.
    pub recipient_email: Option<String>,
    pub count: u64,
}

/// An alert as stored (see [`tenure_core::alerts::AlertStatus`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub alert_id: String,
    pub account_id: String,
    /// `feature_drop`, `health_band_fall`, `champion_lost`, `seats_pending`.
    pub kind: String,
    /// The feature or user it is about; empty for the whole account.
    pub subject: String,
    pub opened_on: chrono::NaiveDate,
    pub status: tenure_core::alerts::AlertStatus,
    pub snoozed_until: Option<chrono::NaiveDate>,
    pub resolved_on: Option<chrono::NaiveDate>,
    pub reason: String,
}

/// Where an outbox item is: waiting (to be tried at `next_at`), sent, or
/// given up on after the last attempt (the dead letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    Delivered,
    Dead,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One action of one playbook trigger occurrence, in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// The idempotency key (`tenure_core::delivery::idempotency_key`).
    pub id: String,
    pub playbook: String,
    /// The action's index in the playbook.
    pub action: u32,
    /// `webhook`, `email`, `in_app`, `task` or `set_trait`.
    pub channel: String,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    /// What occurred (e.g. the day a user entered a category).
    pub occurrence: String,
    /// What to send.
    pub payload: serde_json::Value,
    pub status: OutboxStatus,
    pub attempts: u32,
    /// When it is due (its next attempt).
    pub next_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What one playbook has in the outbox.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxSummary {
    pub playbook: String,
    pub pending: u64,
    pub delivered: u64,
    pub dead: u64,
    /// When its last item was enqueued (it last fired).
    pub last_enqueued_at: Option<DateTime<Utc>>,
}

/// One attempt at delivering an outbox item: delivered (`error` None), or
/// failed with `error`, to be tried again at `retry_at` or, when that is
/// None, given up on (a dead letter).
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: String,
    pub at: DateTime<Utc>,
    pub error: Option<String>,
    pub retry_at: Option<DateTime<Utc>>,
}

/// One line of the playbooks' audit log: an evaluation, a decision about
/// one trigger occurrence, or a delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Empty for a line about a whole evaluation.
    pub playbook: String,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    /// What occurred (e.g. `2026-11-02:dormant`); for an evaluation, the
    /// day evaluated.
    pub occurrence: String,
    /// The action's index, for a delivery attempt.
    pub action: Option<u32>,
    /// `evaluated`, `fired`, `filtered`, `cooldown`, `delivered`, `retry`,
    /// `dead` or `requeued`.
    pub event: String,
    /// Why, in words (the filter that failed, the last error, counts).
    pub detail: String,
}

/// A message for a user inside the product (`GET /v1/messages`).
#[derive(Debug, Clone, PartialEq)]
pub struct InAppMessage {
    /// The outbox item's id (so a redelivery adds nothing).
    pub id: String,
    pub user_id: String,
    pub account_id: Option<String>,
    pub playbook: String,
    pub template: String,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A task for an account's CSM.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The outbox item's id (so a redelivery adds nothing).
    pub id: String,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    pub playbook: String,
    pub title: String,
    /// What occurred, in words.
    pub detail: String,
    /// The account's `csm_owner` when the task was made.
    pub owner: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// One propensity score on one day, as kept (`user_id` empty for an
/// account model).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub day: chrono::NaiveDate,
    pub account_id: String,
    pub user_id: Option<String>,
    pub model: String,
    pub score: f64,
}

/// An account's health score on one day, as kept in the history.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRow {
    pub account_id: String,
    pub day: chrono::NaiveDate,
    pub score: f64,
    pub band: String,
    pub profile: String,
    /// Per component, its value, score and points (a JSON object).
    pub components: String,
}

/// How many of one named event a user (of an account) did on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDay {
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    pub event: String,
    pub day: chrono::NaiveDate,
    pub events: u64,
}

/// A trained model as kept (see `tenure_reports` propensity models).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFit {
    pub model: String,
    /// The day it was trained as of: its labels end by then.
    pub trained_on: chrono::NaiveDate,
    /// `logistic_regression`, or `heuristic` when labels were too few.
    pub method: String,
    pub train_rows: u64,
    pub test_rows: u64,
    /// On the held-out rows.
    pub auc: Option<f64>,
    pub brier: Option<f64>,
    /// The fitted parameters and the evaluation (a JSON object).
    pub params: String,
}

/// How many times an account's users did one event (or had one detail of
/// it, for [`Store::account_details`]) in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvents {
    pub account_id: String,
    /// The event name, or the detail.
    pub event: String,
    pub kind: String,
    pub events: u64,
}

/// A new key to store: its hash, never its secret.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: String,
    pub role: Role,
    pub account_id: Option<String>,
    pub label: Option<String>,
    pub prefix: String,
    pub hash: String,
    pub created_at: DateTime<Utc>,
}

/// A JSONL file for [`Store::stage_ndjson`], with what the caller's own
/// read of it found.
#[derive(Debug, Clone)]
pub struct NdjsonFile {
    pub path: std::path::PathBuf,
    pub gzip: bool,
    pub max_message_bytes: usize,
    /// Event name -> activity kind (the taxonomy); other names: `other`.
    pub kinds: Vec<(String, String)>,
    /// The received time of a message that states no time at all.
    pub imported_at: DateTime<Utc>,
    /// The track calls in the file: the engine must read exactly these
    /// many, or the file changed, or the caller took another call for one.
    pub tracks: u64,
    /// The users the file's other calls name: a track naming no account for
    /// one of them is outside the fast path (its account could change in
    /// between).
    pub movers: Vec<String>,
    /// The message ids of the file's other calls: a track with one of them
    /// is outside the fast path.
    pub other_ids: Vec<String>,
}

/// What [`Store::stage_ndjson`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdjsonStaged {
    /// Track calls added.
    pub tracks: u64,
    /// Whether the store held no events before: the others' ids are then
    /// known to be new (every id in the file is distinct).
    pub empty: bool,
}

/// One account's users per engagement category (see
/// [`Store::category_counts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCounts {
    pub account_id: Option<String>,
    /// Users in [`tenure_core::report::Category::ALL`] order.
    pub users: [u64; 4],
}

/// The store. One value per thread: [`Store::reader`] gives another handle
/// on the same data for a second thread.
pub trait Store: Send {
    /// Starts a write transaction that [`Store::stage`] adds to and
    /// [`Store::commit_write`] makes durable; nothing is visible before.
    fn begin_write(&mut self, dedup: Dedup) -> Result<()>;

    /// Adds rows to the open write (call as often as needed: a bulk import
    /// streams a whole file through one transaction in bounded memory).
    fn stage(&mut self, batch: &WriteBatch) -> Result<()>;

    /// Adds rows whose message ids the caller knows to be new: neither
    /// stored before this write nor among its rows so far (a bulk import
    /// into a store without events, which drops repeats within its file
    /// itself). They skip the anti-join that [`Dedup::AgainstAll`] rows get
    /// at commit; rows staged after them are still checked against them.
    fn stage_new(&mut self, batch: &WriteBatch) -> Result<()>;

    /// Adds the track calls of a Segment-format JSONL file to the open
    /// write, read and typed by the engine itself (an import's fast path;
    /// the caller parses the other calls). `None` (the caller then rolls
    /// back and parses the whole file) when any track is outside what the
    /// engine maps exactly onto the message parser's rules, when its count
    /// or ids disagree with what `file` says of the others, or when the
    /// engine has no such reader. `read` hears, from another thread, how
    /// much of the file has been read (0 to 1, never going back), ending
    /// with 1 once it all has.
    fn stage_ndjson(
        &mut self,
        file: &NdjsonFile,
        read: &(dyn Fn(f64) + Sync),
    ) -> Result<Option<NdjsonStaged>> {
        let _ = (file, read);
        Ok(None)
    }

    /// Adds the events stored since the last refresh to the rollups that
    /// reports read; returns how many events that was.
    fn refresh_rollups(&mut self) -> Result<u64>;

    /// Per user in `scope`, the activity in `period`, sorted by account and
    /// user.
    fn user_activity(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
    ) -> Result<Vec<UserActivity>>;

    /// [`Store::user_activity`] without the email, role and seat time
    /// (`None` in every row): what the per-user engagement listing shows,
    /// without columns the sort of a million users would carry.
    fn user_engagement(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
    ) -> Result<Vec<UserActivity>>;

    /// [`Store::user_activity`] without reading anyone's last activity
    /// (`last_active_at` is `None` in every row), in no particular order,
    /// for reports that use the counts alone: before today, finding each
    /// user's last event reads every month of history, and sorting a
    /// million users costs a quarter of a second.
    fn user_counts(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
    ) -> Result<Vec<UserActivity>>;

    /// The users of [`Store::user_counts`] counted per account and
    /// engagement category in the store, under the thresholds of
    /// [`tenure_core::report::Category::with_thresholds`], sorted by
    /// account (users without one first): a summary without a row per
    /// user leaving the store.
    fn category_counts(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        min_research: u64,
        min_social: u64,
    ) -> Result<Vec<CategoryCounts>>;

    /// The users of [`Store::user_counts`] by their category in the
    /// previous period of equal length (dormant when not in scope at its
    /// end) and in `period`: `flow[from][to]`, both indices in
    /// [`tenure_core::report::Category::ALL`] order.
    fn category_flow(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        min_research: u64,
        min_social: u64,
    ) -> Result<[[u64; 4]; 4]>;

    /// [`Store::user_counts`] of the users engaging under the thresholds
    /// (at least `min_research` research and maintain events and
    /// `min_social` shares and messages sent), in no particular order:
    /// the others are left in the store.
    fn engaging_users(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        min_research: u64,
        min_social: u64,
    ) -> Result<Vec<UserActivity>>;

    /// The users in `scope` at the end of `period` as
    /// [`Store::user_activity`] gives them, sorted so, but with no
    /// activity read (every count 0, no last activity): for reports that
    /// need who the users are, not what they did.
    fn users_at(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
    ) -> Result<Vec<UserActivity>>;

    /// [`Store::user_activity`] of the users `ids` alone (licensed or
    /// not; unknown ids are left out), reading only their rows.
    fn user_activity_of(
        &self,
        period: tenure_core::report::Period,
        ids: &[String],
    ) -> Result<Vec<UserActivity>>;

    /// The users licensed at the end of `before` and engaging in it (at
    /// least `min_research` research and maintain events and `min_social`
    /// shares and messages sent), each with the account and counts then,
    /// their seat at the end of `now` and whether they did anything in
    /// `now`; sorted by account and user.
    fn champions(
        &self,
        before: tenure_core::report::Period,
        now: tenure_core::report::Period,
        min_research: u64,
        min_social: u64,
    ) -> Result<Vec<Champion>>;

    /// The users licensed at the end of `day` in `scope` whose seat was
    /// assigned at least `days` days before that end and who had no
    /// platform event by then, sorted by account and user.
    fn pending_seats(
        &self,
        day: chrono::NaiveDate,
        days: u32,
        scope: &Scope,
    ) -> Result<Vec<PendingSeat>>;

    /// Per account with a user in `scope` at the end of `period` (users
    /// without an account left out), its seat funnel then and its users
    /// active in `period`, `pending_days` deciding which seats are
    /// pending; sorted by account. `scope.all_users` changes nothing:
    /// assigned users are the licensed ones, active users any. Counted in
    /// the store: a report over every account reads no user rows.
    fn account_seats(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        pending_days: u32,
    ) -> Result<Vec<AccountSeats>>;

    /// The users licensed at the end of `day` and of the day before whose
    /// activity in the `days`-day window ending on `day` may differ from
    /// that in the window ending the day before (events on `day`, or on
    /// the day the earlier window starts), with both windows' counts,
    /// sorted by account and user. Every other user's windows are equal.
    fn activity_moves(&self, day: chrono::NaiveDate, days: u32) -> Result<Vec<ActivityMove>>;

    /// The users licensed at the end of `day` who did something for the
    /// first time on `day` that an achievement counts, with how many
    /// achievements they had done by the end of `day` and of the day
    /// before. Every other user's count is the same on both days.
    fn achievement_moves(
        &self,
        day: chrono::NaiveDate,
        achievements: &[tenure_core::rules::Achievement],
    ) -> Result<Vec<AchievementMove>>;

    /// The users whose seat may be dated `day` at the end of `day` or of
    /// any later day (a superset: those whose seat is dated `day` now, and
    /// those whose seat changed from `day` on), sorted.
    fn seats_assigned_on(&self, day: chrono::NaiveDate) -> Result<Vec<String>>;

    /// Every account as it was at the end of day `at` (the scope's account
    /// filter applies), sorted by id.
    fn accounts_at(&self, at: chrono::NaiveDate, scope: &Scope) -> Result<Vec<AccountAt>>;

    /// Per account with events in `period`, its portal and share counts,
    /// sorted by id (the scope's account filter applies).
    fn account_activity(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
    ) -> Result<Vec<AccountActivity>>;

    /// Per account and event name, the events in `period`, sorted by
    /// account and event (the scope's account filter applies).
    fn account_events(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
    ) -> Result<Vec<AccountEvents>>;

    /// [`Store::account_events`] of the events named `events` alone.
    fn account_events_of(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        events: &[String],
    ) -> Result<Vec<AccountEvents>>;

    /// Per account and detail of `event` (e.g. the feature of Error
    /// Shown), the events in `period`, sorted by account and detail (the
    /// scope's account filter applies; events without a detail are left
    /// out).
    fn account_details(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        event: &str,
    ) -> Result<Vec<AccountEvents>>;

    /// Per event name (or, with `detail_of`, per detail of that event) used
    /// in `period`: events, distinct users and accounts; the scope's
    /// account, user and group filters apply (not the licence rule).
    fn event_usage(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        detail_of: Option<&str>,
    ) -> Result<Vec<EventUsage>>;

    /// [`Store::event_usage`]'s event counts alone, by name (or detail):
    /// without the distinct users and accounts, which cost the most.
    fn event_counts(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        detail_of: Option<&str>,
    ) -> Result<BTreeMap<String, u64>>;

    /// Per user in `scope` (their state at the end of day `to`, sorted by
    /// account and user): the account, and how many of `achievements` the
    /// user had reached by then (an event done at least once, with one of
    /// the listed details when there are any, in any case).
    fn user_achievements(
        &self,
        to: chrono::NaiveDate,
        scope: &Scope,
        achievements: &[tenure_core::rules::Achievement],
    ) -> Result<Vec<(String, Option<String>, u64)>>;

    /// [`Store::user_achievements`] counted in the store: per account
    /// (users without one first) and number of achievements reached, in
    /// that order, how many users reached it, without a row per user.
    fn achievement_counts(
        &self,
        to: chrono::NaiveDate,
        scope: &Scope,
        achievements: &[tenure_core::rules::Achievement],
    ) -> Result<Vec<(Option<String>, u64, u64)>>;

    /// Messages sent and accepted, unique connections and shares in
    /// `period` of the users in `scope` (their state at the period's end),
    /// one row per user, group or account, sorted by account and key.
    fn productivity(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
        rows: Rows,
        rules: &tenure_core::report::ReportsConfig,
    ) -> Result<Vec<Productivity>>;

    /// Every user with an active day up to day `to` (known to the store
    /// or not, licensed or not), sorted by account and user.
    fn user_active_days(&self, to: chrono::NaiveDate) -> Result<Vec<ActiveDays>>;

    /// Replaces the health history of `day` by `rows` (in one transaction).
    fn save_health(&mut self, day: chrono::NaiveDate, rows: &[HealthRow]) -> Result<()>;

    /// Replaces the propensity scores kept for `day` by `rows`, and drops
    /// those of the days more than `retain_days` before it (one
    /// transaction).
    fn save_scores(
        &mut self,
        day: chrono::NaiveDate,
        rows: &[ScoreRow],
        retain_days: u32,
    ) -> Result<()>;

    /// The scores kept for `day` (of one model, or all), sorted by model,
    /// account and user; empty when the day was not kept.
    fn scores_on(&self, day: chrono::NaiveDate, model: Option<&str>) -> Result<Vec<ScoreRow>>;

    /// The kept scores of `model` that crossed `threshold` from the day
    /// before `day` to `day` (upwards: below it, then at or above; else
    /// above it, then at or below), as (the day before's, the day's) rows
    /// of the same account and user; None unless both days were kept for
    /// the model.
    fn score_crossings(
        &self,
        day: chrono::NaiveDate,
        model: &str,
        threshold: f64,
        upwards: bool,
    ) -> Result<Option<Vec<(ScoreRow, ScoreRow)>>>;

    /// The health history for the days in `period`, sorted by account and
    /// day (the scope's account filter applies).
    fn health_history(
        &self,
        period: tenure_core::report::Period,
        scope: &Scope,
    ) -> Result<Vec<HealthRow>>;

    /// The NPS answers and feedback in `period` of the accounts in scope,
    /// sorted by account and time.
    fn feedback(&self, period: tenure_core::report::Period, scope: &Scope)
    -> Result<Vec<Feedback>>;

    /// Every user's messages and shares in `period` (the scope's account
    /// filter applies), per recipient or channel, sorted.
    fn reach(&self, period: tenure_core::report::Period, scope: &Scope) -> Result<Vec<Reach>>;

    /// Per account, day, event and user, how many of the named `events`
    /// happened in `period` (lifecycle events: rare), sorted so.
    fn event_days(
        &self,
        period: tenure_core::report::Period,
        events: &[String],
    ) -> Result<Vec<EventDay>>;

    /// The users with a platform event in `period` attributed to one of
    /// `accounts`, sorted.
    fn platform_users(
        &self,
        period: tenure_core::report::Period,
        accounts: &[String],
    ) -> Result<Vec<String>>;

    /// The first and last day with a platform event in the rollups.
    fn activity_span(&self) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>>;

    /// Replaces the model fits trained on `day` by `fits`.
    fn save_model_fits(&mut self, day: chrono::NaiveDate, fits: &[ModelFit]) -> Result<()>;

    /// The latest fit of each model trained on or before `day`.
    fn model_fits(&self, day: chrono::NaiveDate) -> Result<Vec<ModelFit>>;

    /// The stored alerts of the accounts in scope (only the live ones, not
    /// resolved, with `live_only`: what evaluation reads each day), oldest
    /// first.
    fn alerts(&self, scope: &Scope, live_only: bool) -> Result<Vec<Alert>>;

    /// Stores `alerts`, replacing those with the same ids (one transaction).
    fn save_alerts(&mut self, alerts: &[Alert]) -> Result<()>;

    /// Adds the items whose ids are not in the outbox yet (an occurrence
    /// enqueued again adds nothing); returns how many were added.
    fn enqueue(&mut self, items: &[OutboxItem]) -> Result<u64>;

    /// The pending items due at `now`, soonest first, at most `limit`,
    /// leaving out those of the `skip` channels (held by a rate limit).
    fn outbox_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        skip: &[&str],
    ) -> Result<Vec<OutboxItem>>;

    /// Records attempts at delivering outbox items, each with its line in
    /// the audit log, in one transaction. An item that is not pending is
    /// an error (and nothing is recorded).
    fn outbox_attempted(&mut self, attempts: &[Attempt]) -> Result<()>;

    /// The outbox's items (of one status, or all), oldest first.
    fn outbox(&self, status: Option<OutboxStatus>) -> Result<Vec<OutboxItem>>;

    /// Per playbook with items in the outbox: how many are pending,
    /// delivered and dead, and when the last one was enqueued.
    fn outbox_summary(&self) -> Result<Vec<OutboxSummary>>;

    /// Puts dead letters (the one with `id`, or all) back in the queue,
    /// due at `at` with their attempts counted from zero again, each with
    /// a `requeued` line in the audit log (one transaction). Returns how
    /// many were requeued; an item that is not dead is left as it is.
    fn requeue_dead(&mut self, id: Option<&str>, at: DateTime<Utc>) -> Result<u64>;

    /// Records one playbook evaluation in one transaction: its audit
    /// lines, the outbox items it enqueued (those already there are left
    /// as they are), and, when it evaluated a finished day, that day as
    /// done. Returns how many items were added.
    fn playbooks_evaluated(
        &mut self,
        audit: &[AuditEntry],
        items: &[OutboxItem],
        day_done: Option<chrono::NaiveDate>,
    ) -> Result<u64>;

    /// The last finished day the playbooks were evaluated for, if any.
    fn playbooks_last_day(&self) -> Result<Option<chrono::NaiveDate>>;

    /// The audit log from `since` on (of one playbook, or all), oldest
    /// first; with `decisions_only`, just the decisions about occurrences
    /// (fired, filtered, cooldown).
    fn playbook_audit(
        &self,
        since: DateTime<Utc>,
        playbook: Option<&str>,
        decisions_only: bool,
    ) -> Result<Vec<AuditEntry>>;

    /// Adds in-app messages (those already there by id are left as they
    /// are).
    fn save_messages(&mut self, messages: &[InAppMessage]) -> Result<()>;

    /// A user's messages, newest first (unread ones only, or all).
    fn messages(&self, user_id: &str, unread_only: bool) -> Result<Vec<InAppMessage>>;

    /// Marks a user's message read at `at`; false if the user has no such
    /// message. Reading it again keeps the first time.
    fn mark_read(&mut self, id: &str, user_id: &str, at: DateTime<Utc>) -> Result<bool>;

    /// Adds tasks (those already there by id are left as they are).
    fn save_tasks(&mut self, tasks: &[Task]) -> Result<()>;

    /// The tasks (open ones only, or all), oldest first.
    fn tasks(&self, open_only: bool) -> Result<Vec<Task>>;

    /// Closes a task at `at`; false if there is no such task. Closing it
    /// again keeps the first time.
    fn close_task(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool>;

    /// The last day with a health score kept, if any.
    fn last_health_day(&self) -> Result<Option<chrono::NaiveDate>>;

    /// Whether the store holds no event at all.
    fn has_no_events(&self) -> Result<bool>;

    /// Whether the store holds any trait change of an account or a user (an
    /// engine that cannot tell says it does).
    fn has_changes(&self) -> Result<bool> {
        Ok(true)
    }

    /// Folds the staged trait changes in and commits.
    fn commit_write(&mut self) -> Result<WriteOutcome>;

    /// Rolls the open write back; nothing of it stays.
    fn abort_write(&mut self) -> Result<()>;

    /// Records, inside the open write, that the ingest journal is applied up
    /// to record `seq` (so it commits or rolls back with the data).
    fn mark_applied(&mut self, seq: u64) -> Result<()>;

    /// The last journal record applied (0 for none).
    fn journal_applied(&self) -> Result<u64>;

    /// Writes one batch in one transaction.
    fn write(&mut self, batch: &WriteBatch, dedup: Dedup) -> Result<WriteOutcome> {
        self.begin_write(dedup)?;
        let outcome = self.stage(batch).and_then(|()| self.commit_write());
        if outcome.is_err() {
            // The original error is what matters; a failed rollback of a
            // failed transaction adds nothing.
            let _ = self.abort_write();
        }
        outcome
    }

    /// Calls `f` with each message id received at or after `since` (to
    /// rebuild the dedup window at start-up).
    fn for_each_message_id_since(
        &self,
        since: DateTime<Utc>,
        f: &mut dyn FnMut(&str, DateTime<Utc>),
    ) -> Result<()>;

    /// The ids of every stored account or user.
    fn known_ids(&self, entity: tenure_core::Entity) -> Result<std::collections::HashSet<String>>;

    /// Every user's current account: (user_id, account_id).
    fn user_accounts(&self) -> Result<Vec<(String, String)>>;

    /// Stores the taxonomy and reclassifies stored events whose kind it
    /// changed. Returns how many events changed kind.
    fn sync_taxonomy(&mut self, taxonomy: &Taxonomy) -> Result<u64>;

    fn stats(&self) -> Result<Stats>;

    fn create_key(&mut self, key: &NewKey) -> Result<()>;
    fn list_keys(&self) -> Result<Vec<KeyInfo>>;
    /// Revokes a key by id; false when there is no such live key.
    fn revoke_key(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool>;
    /// Every live (not revoked) key with its secret's hash.
    fn live_keys(&self) -> Result<Vec<(String, KeyInfo)>>;

    /// Another handle on the same store, for another thread.
    fn reader(&self) -> Result<Box<dyn Store>>;
}
