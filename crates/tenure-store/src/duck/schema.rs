//! Versioned migrations. Each is applied once, in order, in its own
//! transaction, and recorded in `schema_migrations`. Never edit a released
//! migration: add a new one.

/// (version, SQL). Versions start at 1 and have no gaps.
pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1),
    (2, V2),
    (3, V3),
    (4, V4),
    (5, V5),
    (6, V6),
    (7, V7),
    (8, V8),
    (9, V9),
    (10, V10),
    (11, V11),
    (12, V12),
    (13, V13),
    (14, V14),
    (15, V15),
    (16, V16),
    (17, V17),
    (18, V18),
    (19, V19),
];

/// The migrations that add a rollup table: the store fills it from the
/// events already stored in the same transaction (`rollup::backfill`).
pub(super) const ROLLUP_TABLES: &[(i64, &str)] = &[
    (4, "activity_daily"),
    (5, "social_events"),
    (6, "user_firsts"),
    (7, "user_months"),
    (8, "user_last"),
    (9, "user_months"),
    (12, "feedback_events"),
    (14, "social_events"),
    (18, "lifecycle_events"),
    (19, "user_numbers"),
    (19, "activity_daily"),
    (19, "user_firsts"),
];

/// A number for each user id the events name (dense, from 1, given by the
/// refresh that first meets the id; see `rollup.rs`), and the two rollups
/// that reports group per user keyed by it instead of the id: grouping a
/// million users by an integer costs about a third less than by their
/// text ids (BENCHMARKS.md). Both rollups are emptied here and refilled by
/// the backfill, in their new shape.
const V19: &str = r#"
CREATE TABLE user_numbers (
    user_num INTEGER NOT NULL,
    user_id VARCHAR NOT NULL
);
DROP TABLE activity_daily;
CREATE TABLE activity_daily (
    day DATE NOT NULL,
    account_id VARCHAR,
    user_num INTEGER,
    event VARCHAR,
    kind VARCHAR NOT NULL,
    detail VARCHAR,
    events BIGINT NOT NULL,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL
);
DROP TABLE user_firsts;
CREATE TABLE user_firsts (
    user_num INTEGER NOT NULL,
    event VARCHAR NOT NULL,
    detail VARCHAR,
    first_at TIMESTAMP NOT NULL
);
"#;

/// Lifecycle events (trials, plan changes, churn, NPS, feedback), one row
/// per event (see `rollup.rs`): what the propensity models' labels read,
/// instead of picking a few rows out of `activity_daily`.
const V18: &str = r#"
CREATE TABLE lifecycle_events (
    day DATE NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    account_id VARCHAR,
    user_id VARCHAR,
    event VARCHAR NOT NULL
);
"#;

/// Each finished day's propensity scores, kept by the daily work (what
/// `score_crossed` playbooks compare from one day to the next).
const V17: &str = r#"
CREATE TABLE scores_daily (
    day DATE NOT NULL,
    account_id VARCHAR NOT NULL,
    user_id VARCHAR,
    model VARCHAR NOT NULL,
    score DOUBLE NOT NULL
);
"#;

/// What the playbooks keep beside the outbox: the audit log (every
/// evaluation, decision and delivery attempt), the finished days
/// evaluated, the in-app messages, and the CSMs' tasks.
const V16: &str = r#"
CREATE TABLE playbook_audit (
    logged_at TIMESTAMP NOT NULL,
    playbook VARCHAR NOT NULL,
    account_id VARCHAR,
    user_id VARCHAR,
    occurrence VARCHAR NOT NULL,
    action INTEGER,
    event VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
);
CREATE TABLE playbook_days (
    day DATE PRIMARY KEY,
    evaluated_at TIMESTAMP NOT NULL
);
CREATE TABLE messages (
    id VARCHAR PRIMARY KEY,
    user_id VARCHAR NOT NULL,
    account_id VARCHAR,
    playbook VARCHAR NOT NULL,
    template VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE TABLE tasks (
    id VARCHAR PRIMARY KEY,
    account_id VARCHAR,
    user_id VARCHAR,
    playbook VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    owner VARCHAR,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
"#;

/// The playbooks' outbox: one row per action of a trigger occurrence, keyed
/// by its idempotency key (so an occurrence enqueued twice is one row),
/// kept after delivery as the record of what was sent.
const V15: &str = r#"
CREATE TABLE outbox (
    id VARCHAR PRIMARY KEY,
    playbook VARCHAR NOT NULL,
    action INTEGER NOT NULL,
    channel VARCHAR NOT NULL,
    account_id VARCHAR,
    user_id VARCHAR,
    occurrence VARCHAR NOT NULL,
    payload JSON NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    next_at TIMESTAMP NOT NULL,
    last_error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
"#;

/// `social_events` gains each share's `channel` and `recipient_email`, and
/// keeps every share that names a recipient or a channel: what the
/// `influence` report reads. Refilled from the events.
const V14: &str = r#"
DROP TABLE social_events;
CREATE TABLE social_events (
    day DATE NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    account_id VARCHAR,
    user_id VARCHAR,
    event VARCHAR,
    kind VARCHAR NOT NULL,
    message_id VARCHAR,
    recipient_id VARCHAR,
    answer VARCHAR,
    channel VARCHAR,
    recipient_email VARCHAR
);
"#;

/// Trained propensity models (see `tenure_reports::propensity`): one row
/// per model and day trained; `params` holds the fit and its evaluation.
const V13: &str = r#"
CREATE TABLE model_fits (
    model VARCHAR NOT NULL,
    trained_on DATE NOT NULL,
    method VARCHAR NOT NULL,
    train_rows BIGINT NOT NULL,
    test_rows BIGINT NOT NULL,
    auc DOUBLE,
    brier DOUBLE,
    params JSON NOT NULL,
    computed_at TIMESTAMP NOT NULL
);
"#;

/// NPS answers and feedback, one row per event (see `rollup.rs`): what the
/// sentiment report and the health score's sentiment read.
const V12: &str = r#"
CREATE TABLE feedback_events (
    day DATE NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    account_id VARCHAR,
    user_id VARCHAR,
    event VARCHAR NOT NULL,
    score DOUBLE,
    text VARCHAR
);
"#;

/// Alerts (see `tenure_core::alerts`): one row per alert, updated in place.
const V11: &str = r#"
CREATE TABLE alerts (
    alert_id VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    opened_on DATE NOT NULL,
    status VARCHAR NOT NULL,
    snoozed_until DATE,
    resolved_on DATE,
    reason VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
"#;

/// Each account's health score per day it was scored (one row per account
/// and day: scoring a day again replaces its rows).
const V10: &str = r#"
CREATE TABLE health_daily (
    account_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    score DOUBLE NOT NULL,
    band VARCHAR NOT NULL,
    profile VARCHAR NOT NULL,
    components JSON NOT NULL,
    computed_at TIMESTAMP NOT NULL
);
"#;

/// `user_months` also keeps which days of the month the user was active
/// (bit d-1 for day d; delta rows: read `bit_or(days)`), for the active
/// days the BG/NBD model counts. Emptied here, refilled by the backfill.
const V9: &str = r#"
DELETE FROM user_months;
ALTER TABLE user_months ADD COLUMN days INTEGER DEFAULT 0;
"#;

/// Each user's last platform event ever, one row per user (replaced, not
/// added to, by a refresh): a report up to today reads it instead of every
/// month of history.
const V8: &str = r#"
CREATE TABLE user_last (
    user_id VARCHAR NOT NULL,
    last_at TIMESTAMP NOT NULL
);
"#;

/// Each user's last platform event per UTC month (delta rows: read
/// `max(last_at)`): a user's last activity without every day of history.
const V7: &str = r#"
CREATE TABLE user_months (
    user_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    last_at TIMESTAMP NOT NULL
);
"#;

/// The first time each user did each event (and detail): what achievements
/// read instead of every day of history (see `rollup.rs`).
const V6: &str = r#"
CREATE TABLE user_firsts (
    user_id VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    detail VARCHAR,
    first_at TIMESTAMP NOT NULL
);
"#;

/// Messages, answers and shares to named recipients, one row per event (see
/// `rollup.rs`): what the productivity report reads.
const V5: &str = r#"
CREATE TABLE social_events (
    day DATE NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    account_id VARCHAR,
    user_id VARCHAR,
    event VARCHAR,
    kind VARCHAR NOT NULL,
    message_id VARCHAR,
    recipient_id VARCHAR,
    answer VARCHAR
);
"#;

/// The daily activity rollup (see `rollup.rs`): delta rows, summed by
/// readers, and how far it has read. Each event row carries the number of
/// the write that stored it, in commit order (older rows: NULL, covered by
/// the rebuild that follows this migration).
const V4: &str = r#"
ALTER TABLE events ADD COLUMN write_no BIGINT;
CREATE TABLE rollup_state (write_no BIGINT NOT NULL);
INSERT INTO rollup_state VALUES (0);
CREATE TABLE activity_daily (
    day DATE NOT NULL,
    account_id VARCHAR,
    user_id VARCHAR,
    event VARCHAR,
    kind VARCHAR NOT NULL,
    detail VARCHAR,
    events BIGINT NOT NULL,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL
);
"#;

/// Bulk writes stage their events in a temporary table (`IMPORT_STAGING`,
/// in memory, spilled to DuckDB's temp directory): staging rows in a stored
/// table wrote them to the database file only to delete them at commit.
const V3: &str = "DROP TABLE staged_events;";

/// Created on every connection: where a write that must drop ids already
/// stored (imports, journal replay) puts its events before the anti-join.
pub(super) const IMPORT_STAGING: &str =
    "CREATE TEMP TABLE IF NOT EXISTS import_staging AS SELECT * FROM events LIMIT 0;";

/// The ingest journal's progress: the last record applied, updated in the
/// same transaction as the data it brings.
const V2: &str = r#"
CREATE TABLE journal_state (applied_seq BIGINT NOT NULL);
INSERT INTO journal_state VALUES (0);
"#;

const V1: &str = r#"
CREATE TABLE events (
    message_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    user_id VARCHAR,
    anonymous_id VARCHAR,
    account_id VARCHAR,
    event VARCHAR,
    kind VARCHAR NOT NULL,
    properties JSON,
    traits JSON,
    context JSON,
    previous_id VARCHAR,
    timestamp TIMESTAMP NOT NULL,
    original_timestamp TIMESTAMP,
    sent_at TIMESTAMP,
    received_at TIMESTAMP NOT NULL
);

-- Every change of an account's or user's traits, one row per field: the
-- state at any time T is, per field, the latest row with changed_at <= T.
CREATE TABLE account_changes (
    account_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value JSON NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    seq BIGINT NOT NULL
);
CREATE TABLE user_changes (
    user_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value JSON NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    seq BIGINT NOT NULL
);
-- Where a write puts its changes before folding them in (emptied each time).
CREATE TABLE staged_changes (
    entity VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value JSON NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    seq BIGINT NOT NULL
);

-- Current state, rebuilt from the changes for the entities a write touches.
CREATE TABLE accounts (
    id VARCHAR NOT NULL,
    name VARCHAR,
    plan VARCHAR,
    mrr DOUBLE,
    seats_purchased INTEGER,
    renewal_date DATE,
    archived BOOLEAN NOT NULL,
    has_portal_access BOOLEAN NOT NULL,
    csm_owner VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    traits JSON NOT NULL
);
CREATE TABLE users (
    id VARCHAR NOT NULL,
    account_id VARCHAR,
    email VARCHAR,
    name VARCHAR,
    role VARCHAR,
    seat_assigned_at TIMESTAMP,
    groups VARCHAR[] NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    traits JSON NOT NULL
);
-- Teams or regions inside an account; a user belongs to the groups listed
-- in its `groups` trait.
CREATE TABLE groups (
    account_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE VIEW group_members AS
    SELECT account_id, unnest(groups) AS group_id, id AS user_id FROM users;

-- Where a bulk import puts its events before the anti-join that drops ids
-- already stored (emptied each time).
CREATE TABLE staged_events AS SELECT * FROM events LIMIT 0;

CREATE VIEW aliases AS
    SELECT previous_id, user_id, timestamp AS aliased_at FROM events WHERE type = 'alias';

CREATE TABLE keys (
    id VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    account_id VARCHAR,
    label VARCHAR,
    prefix VARCHAR NOT NULL,
    hash VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- Orders trait changes made at the same instant: each write takes one
-- number n, and its i-th change gets seq = n * 2^32 + i.
CREATE SEQUENCE write_seq START 1;

CREATE TABLE taxonomy (
    event VARCHAR NOT NULL,
    kind VARCHAR NOT NULL
);
"#;
