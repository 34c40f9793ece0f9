//! The rollups that reports read instead of raw events.
//!
//! `activity_daily` holds, per UTC day, account, user, event name, kind and
//! detail (see [`tenure_core::taxonomy::DETAIL_PROPERTIES`]), the number of
//! events and their first and last time. Rows are deltas: each refresh adds
//! the rows of the events stored since the last one (every event row carries
//! its write's number, in commit order, and `rollup_state` the last number
//! rolled up), so several rows may share a key and readers sum them
//! (`sum(events)`, `min(first_at)`, `max(last_at)`). It and `user_firsts`
//! name the user by number (`user_num`), not by id: `user_numbers` gives
//! each user id the events name a dense number, from 1, as the first
//! refresh to meet it rolls its events up (see [`number_users`]); readers
//! group by the number and join the few grouped rows back to the ids. The
//! refresh runs in DuckDB, off the ingest path: the server refreshes every
//! `ingest.rollup_interval_secs`, imports refresh when they finish, and
//! `tenure refresh` does it by hand.
//!
//! `social_events` keeps, one row per event, what the productivity report
//! needs and the daily rollup drops: message ids, recipients and answers
//! (see [`social_rows_of`]); `user_firsts` the first time each user did
//! each event (see [`firsts_rows_of`]); `user_months` each user's last
//! platform event and active days per month (see [`months_rows_of`]);
//! `feedback_events` every NPS answer and feedback (see
//! [`feedback_rows_of`]); `lifecycle_events` every event of the
//! lifecycle kind (see [`lifecycle_rows_of`]). They follow the same
//! write numbers. `user_last` holds one row per user, the last platform
//! event ever: a refresh replaces the rows of the users it saw (see
//! [`merge_last`]), so a report up to today reads it without grouping.

use duckdb::Connection;
use std::time::{Duration, Instant};
use tenure_core::taxonomy::DETAIL_PROPERTIES;

use crate::Result;

/// `detail` in SQL, for rows of an events-shaped table.
fn detail_sql() -> String {
    let arms: String = DETAIL_PROPERTIES
        .iter()
        .map(|(event, property)| format!(" WHEN '{event}' THEN properties->>'{property}'"))
        .collect();
    format!("CASE event{arms} END")
}

/// `query(detail, filter)` for the events with a detail (`detail_sql`),
/// then for the others with a `NULL` detail, as one `UNION ALL`: the others,
/// most events, then never have their `properties` decoded (DuckDB reads a
/// column only for the rows its scan's filter keeps). The two parts' keys
/// differ in `event`, so their rows are those of one query over all events
/// with `detail_sql` (BENCHMARKS.md has what the split saves).
fn split_by_detail(query: impl Fn(&str, &str) -> String) -> String {
    let events: Vec<String> = DETAIL_PROPERTIES
        .iter()
        .map(|(event, _)| format!("'{event}'"))
        .collect();
    let events = format!("({})", events.join(", "));
    format!(
        "{} UNION ALL {}",
        query(&detail_sql(), &format!("event IN {events}")),
        query(
            "NULL::VARCHAR",
            &format!("(event IS NULL OR event NOT IN {events})")
        )
    )
}

/// The rollup rows of every event in `source` (a table or a subquery),
/// whose user ids [`number_users`] has numbered.
pub(super) fn rows_of(source: &str) -> String {
    numbered(
        "day, account_id, user_num, event, kind, detail, events, first_at, last_at",
        &split_by_detail(|detail, filter| activity_rows(source, detail, filter)),
        "LEFT",
    )
}

/// The rows of `query` (with a `user_id` column) with the user's number
/// in place of the id: `columns` of the joined rows, `join` `LEFT` to keep
/// the rows without a user (`user_num` NULL), empty to drop them.
fn numbered(columns: &str, query: &str, join: &str) -> String {
    format!("SELECT {columns} FROM ({query}) r {join} JOIN user_numbers USING (user_id)")
}

/// Gives each user id the events in `source` name and `user_numbers` does
/// not hold yet the next number after the highest given (so numbers stay
/// dense, from 1, and never change while the store keeps them).
fn number_users(conn: &Connection, source: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "INSERT INTO user_numbers
         SELECT (SELECT coalesce(max(user_num), 0) FROM user_numbers) + row_number() OVER (),
                user_id
         FROM (SELECT DISTINCT user_id FROM {source} WHERE user_id IS NOT NULL) n
         WHERE NOT EXISTS (SELECT 1 FROM user_numbers k WHERE k.user_id = n.user_id);"
    ))?;
    Ok(())
}

/// The `activity_daily` rows of the events in `source` matching `filter`,
/// with `detail` as their detail.
fn activity_rows(source: &str, detail: &str, filter: &str) -> String {
    format!(
        "SELECT CAST(timestamp AS DATE) AS day, account_id, user_id, event, kind,
                {detail} AS detail, count(*) AS events,
                min(timestamp) AS first_at, max(timestamp) AS last_at
         FROM {source} WHERE {filter} GROUP BY ALL"
    )
}

/// The `social_events` rows of every event in `source`: each Message Sent
/// (its `message_id` and `recipient_id`), each Message Answered (its
/// `message_id` and `answer`, in lower case), and each share event that names
/// a `recipient_id`, a `recipient_email` or a `channel` (the email in lower
/// case). The productivity report pairs answers with messages and counts
/// distinct recipients; the influence report reads who reached whom.
pub(super) fn social_rows_of(source: &str) -> String {
    // The five properties from one parse of each event's JSON.
    format!(
        "SELECT day, occurred_at, account_id, user_id, event, kind,
                p[1] AS message_id, p[2] AS recipient_id, lower(p[3]) AS answer,
                p[4] AS channel, lower(trim(p[5])) AS recipient_email
         FROM (SELECT CAST(timestamp AS DATE) AS day, timestamp AS occurred_at, account_id,
                      user_id, event, kind,
                      json_extract_string(properties, ['message_id', 'recipient_id', 'answer',
                                                       'channel', 'recipient_email']) AS p
               FROM {source}
               WHERE event = 'Message Sent' OR event = 'Message Answered' OR kind = 'share')
         WHERE event = 'Message Sent' OR event = 'Message Answered'
            OR p[2] IS NOT NULL OR p[4] IS NOT NULL OR p[5] IS NOT NULL"
    )
}

/// The `user_firsts` rows of the events in `source`: per user, event name
/// and detail, the first time, for the keys `user_firsts` does not hold yet
/// at that time or earlier (so it stays about one row per key; readers take
/// `min(first_at)`). Achievements (`user-levels`) read it.
pub(super) fn firsts_rows_of(source: &str) -> String {
    format!(
        "SELECT n.* FROM ({firsts}) n
         WHERE NOT EXISTS (SELECT 1 FROM user_firsts f
                           WHERE f.user_num = n.user_num AND f.event = n.event
                             AND f.detail IS NOT DISTINCT FROM n.detail
                             AND f.first_at <= n.first_at)",
        firsts = numbered("user_num, event, detail, first_at", &firsts_of(source), "")
    )
}

/// The `feedback_events` rows of the events in `source`: every NPS
/// Submitted (its `score`, and its `comment` as the text) and every
/// Feedback Submitted (its `text`).
pub(super) fn feedback_rows_of(source: &str) -> String {
    format!(
        "SELECT CAST(timestamp AS DATE) AS day, timestamp AS occurred_at, account_id, user_id,
                event, TRY_CAST(properties->>'score' AS DOUBLE) AS score,
                coalesce(properties->>'comment', properties->>'text') AS text
         FROM {source} WHERE event IN ('NPS Submitted', 'Feedback Submitted')"
    )
}

/// The `lifecycle_events` rows of the events in `source`: every event of
/// the lifecycle kind (trials, plan changes, churn, NPS, feedback), a few
/// per account, where the propensity labels find them without reading
/// `activity_daily`.
pub(super) fn lifecycle_rows_of(source: &str) -> String {
    format!(
        "SELECT CAST(timestamp AS DATE) AS day, timestamp AS occurred_at, account_id, user_id, event
         FROM {source} WHERE kind = 'lifecycle' AND event IS NOT NULL"
    )
}

/// Per user, event name and detail in `source`, the first time.
fn firsts_of(source: &str) -> String {
    split_by_detail(|detail, filter| firsts_rows(source, detail, filter))
}

/// [`firsts_of`] for the events in `source` matching `filter`, with
/// `detail` as their detail.
fn firsts_rows(source: &str, detail: &str, filter: &str) -> String {
    format!(
        "SELECT user_id, event, {detail} AS detail, min(timestamp) AS first_at
         FROM {source} WHERE user_id IS NOT NULL AND event IS NOT NULL AND {filter}
         GROUP BY ALL"
    )
}

/// The platform kinds as a SQL list: `('login', ...)`.
pub(super) fn platform_kinds() -> String {
    let kinds: Vec<String> = tenure_core::ActivityKind::PLATFORM
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect();
    format!("({})", kinds.join(", "))
}

/// The `user_months` rows of the events in `source`: per user and UTC
/// month, the last platform event (a user's last activity up to any day
/// reads whole months here and that month's days in `activity_daily`) and
/// the days with one (bit d-1 for day d).
pub(super) fn months_rows_of(source: &str) -> String {
    format!(
        "SELECT user_id, make_date(year(timestamp), month(timestamp), 1) AS month,
                max(timestamp) AS last_at, bit_or(1 << (day(timestamp) - 1))::INTEGER AS days
         FROM {source} WHERE user_id IS NOT NULL AND kind IN {kinds} GROUP BY ALL",
        kinds = platform_kinds()
    )
}

/// Replaces the `user_last` rows of the users with a platform event in
/// `source` (an events-shaped table or subquery) by the later of theirs and
/// the new one.
fn merge_last(conn: &Connection, source: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE new_last AS
             SELECT n.user_id, greatest(n.last_at, coalesce(o.last_at, n.last_at)) AS last_at
             FROM (SELECT user_id, max(timestamp) AS last_at FROM {source}
                   WHERE user_id IS NOT NULL AND kind IN {kinds} GROUP BY user_id) n
             LEFT JOIN user_last o USING (user_id);
         DELETE FROM user_last WHERE user_id IN (SELECT user_id FROM new_last);
         INSERT INTO user_last SELECT user_id, last_at FROM new_last;
         DROP TABLE new_last;",
        kinds = platform_kinds()
    ))?;
    Ok(())
}

/// Fills the empty `user_firsts` from `activity_daily` (which covers the
/// same events with the same detail) in one pass, one row per key: a
/// month-by-month fill would check each month's keys against every earlier
/// month's.
fn firsts_from_daily(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "INSERT INTO user_firsts SELECT user_num, event, detail, min(first_at) FROM activity_daily
         WHERE user_num IS NOT NULL AND event IS NOT NULL GROUP BY ALL;",
    )?;
    Ok(())
}

/// Fills the empty `user_last` from `user_months` (which covers the same
/// events).
fn last_from_months(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "INSERT INTO user_last SELECT user_id, max(last_at) FROM user_months GROUP BY user_id;",
    )?;
    Ok(())
}

/// The query that gives a rollup's rows for an events-shaped source.
type RowsOf = fn(&str) -> String;

/// Every rollup table and the query that gives its rows for an
/// events-shaped source. Refreshes and rebuilds go over all of them.
const ROLLUPS: &[(&str, RowsOf)] = &[
    ("activity_daily", rows_of),
    ("social_events", social_rows_of),
    ("user_firsts", firsts_rows_of),
    ("user_months", months_rows_of),
    ("feedback_events", feedback_rows_of),
    ("lifecycle_events", lifecycle_rows_of),
];

/// Rebuilds every rollup from the events table (inside the caller's
/// transaction).
pub(super) fn rebuild(conn: &Connection) -> Result<()> {
    let mut tables: Vec<&str> = ROLLUPS.iter().map(|(table, _)| *table).collect();
    tables.extend(["user_last", "user_numbers"]);
    for table in &tables {
        conn.execute_batch(&format!("DELETE FROM {table};"))?;
    }
    fill_empty(conn, &tables, "true")?;
    conn.execute_batch(
        "UPDATE rollup_state SET write_no = (SELECT coalesce(max(write_no), 0) FROM events);",
    )?;
    Ok(())
}

/// Fills the empty rollups named in `tables` with the rows of the events
/// matching `filter`: `user_numbers` and the others a month at a time
/// (each month's new users numbered before its rows), then `user_firsts`
/// from `activity_daily` and `user_last` from `user_months`, which by then
/// cover the same events.
fn fill_empty(conn: &Connection, tables: &[&str], filter: &str) -> Result<()> {
    let monthly: Vec<(&str, RowsOf)> = ROLLUPS
        .iter()
        .filter(|(name, _)| *name != "user_firsts" && tables.contains(name))
        .copied()
        .collect();
    let number = tables.contains(&"user_numbers");
    if number || !monthly.is_empty() {
        fill(conn, &monthly, number, filter)?;
    }
    if tables.contains(&"user_firsts") {
        let started = Instant::now();
        firsts_from_daily(conn)?;
        filled("user_firsts", started.elapsed());
    }
    if tables.contains(&"user_last") {
        let started = Instant::now();
        last_from_months(conn)?;
        filled("user_last", started.elapsed());
    }
    Ok(())
}

/// Logs (at debug level) how long filling a rollup took, so
/// `TENURE_LOG=debug tenure refresh --rebuild` shows where a rebuild goes.
fn filled(table: &str, spent: Duration) {
    tracing::debug!(table, seconds = spent.as_secs_f64(), "Rollup filled.");
}

/// Adds to `rollups` the rows of the events matching `filter` (SQL on an
/// events row), one month of event time at a time, oldest first: a month's
/// groups fit in the memory limit where all history's may not (the rollup
/// keys hold the day or month). With `number`, numbers each month's new
/// users first.
fn fill(conn: &Connection, rollups: &[(&str, RowsOf)], number: bool, filter: &str) -> Result<()> {
    let months: Vec<String> = {
        let mut stmt = conn.prepare(&format!(
            "SELECT DISTINCT strftime(make_date(year(timestamp), month(timestamp), 1), '%Y-%m-%d')
             FROM events WHERE {filter} ORDER BY 1"
        ))?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let (mut numbering, mut spent) = (Duration::ZERO, vec![Duration::ZERO; rollups.len()]);
    for month in months {
        let source = format!(
            "(SELECT * FROM events WHERE {filter} AND timestamp >= DATE '{month}'
                AND timestamp < DATE '{month}' + INTERVAL 1 MONTH)"
        );
        if number {
            let started = Instant::now();
            number_users(conn, &source)?;
            numbering += started.elapsed();
        }
        for ((table, rows), spent) in rollups.iter().zip(&mut spent) {
            let started = Instant::now();
            conn.execute_batch(&format!(
                "INSERT INTO {table} {rows};",
                rows = rows(&source)
            ))?;
            *spent += started.elapsed();
        }
    }
    if number {
        filled("user_numbers", numbering);
    }
    for ((table, _), spent) in rollups.iter().zip(spent) {
        filled(table, spent);
    }
    Ok(())
}

/// Fills the rollups named in `tables`, added or emptied by migrations
/// (inside their transaction), with the events the others already cover,
/// so the next refresh goes on from the same mark for all.
pub(super) fn backfill(conn: &Connection, tables: &[&str]) -> Result<()> {
    fill_empty(
        conn,
        tables,
        "(write_no IS NULL OR write_no <= (SELECT write_no FROM rollup_state))",
    )
}

/// Adds the rollup rows of the events stored since the last refresh, in one
/// transaction. Returns how many events that covered.
pub(super) fn refresh(conn: &Connection) -> Result<u64> {
    let started = Instant::now();
    conn.execute_batch("BEGIN TRANSACTION")?;
    let done = (|| -> Result<u64> {
        let mark: i64 = conn.query_row("SELECT write_no FROM rollup_state", [], |r| r.get(0))?;
        let (top, events): (Option<i64>, i64) = conn.query_row(
            "SELECT max(write_no), count(*) FROM events WHERE write_no > ?",
            [mark],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Some(top) = top else { return Ok(0) };
        let new = format!("(SELECT * FROM events WHERE write_no > {mark} AND write_no <= {top})");
        number_users(conn, &new)?;
        for (table, rows) in ROLLUPS {
            conn.execute_batch(&format!("INSERT INTO {table} {rows};", rows = rows(&new)))?;
        }
        merge_last(conn, &new)?;
        conn.execute_batch(&format!("UPDATE rollup_state SET write_no = {top};"))?;
        Ok(events as u64)
    })();
    match done {
        Ok(events) => {
            conn.execute_batch("COMMIT")?;
            if events > 0 {
                let seconds = started.elapsed().as_secs_f64();
                tracing::debug!(events, seconds, "Rollups refreshed.");
            }
            Ok(events)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

impl super::DuckStore {
    /// Rebuilds the rollup from every stored event, in one transaction.
    pub fn rebuild_rollups(&mut self) -> Result<()> {
        if self.pending.is_some() {
            return Err(crate::StoreError::Invalid(
                "rebuild_rollups called inside a write".into(),
            ));
        }
        let tx = self.conn.transaction()?;
        rebuild(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Rollup keys whose summed row differs from the same rollup recomputed
    /// from the raw events, counted both ways: 0 when the rollup is exact
    /// (call after a refresh).
    pub fn rollup_mismatches(&self) -> Result<i64> {
        // Rows in one query and not the other, both ways (`ALL`: as
        // multisets, for rollups of one row per event).
        let differ = |kept: &str, fresh: &str, all: &str| {
            self.count(&format!(
                "SELECT count(*) FROM (({kept} EXCEPT {all} {fresh})
                                       UNION ALL ({fresh} EXCEPT {all} {kept}))"
            ))
        };
        // Recomputed in one grouping, not split as the refresh does.
        let activity = differ(
            "SELECT day, account_id, user_id, event, kind, detail,
                    sum(events)::BIGINT, min(first_at), max(last_at)
             FROM activity_daily LEFT JOIN user_numbers USING (user_num) GROUP BY ALL",
            &activity_rows("events", &detail_sql(), "true"),
            "",
        )?;
        let social = differ(
            "SELECT * FROM social_events",
            &social_rows_of("events"),
            "ALL",
        )?;
        let firsts = differ(
            "SELECT user_id, event, detail, min(first_at)
             FROM user_firsts LEFT JOIN user_numbers USING (user_num) GROUP BY ALL",
            &firsts_rows("events", &detail_sql(), "true"),
            "",
        )?;
        let months = differ(
            "SELECT user_id, month, max(last_at), bit_or(days) FROM user_months GROUP BY ALL",
            &months_rows_of("events"),
            "",
        )?;
        let feedback = differ(
            "SELECT * FROM feedback_events",
            &feedback_rows_of("events"),
            "ALL",
        )?;
        let lifecycle = differ(
            "SELECT * FROM lifecycle_events",
            &lifecycle_rows_of("events"),
            "ALL",
        )?;
        let last = differ(
            "SELECT user_id, last_at FROM user_last",
            &format!(
                "SELECT user_id, max(timestamp) FROM events
                 WHERE user_id IS NOT NULL AND kind IN {} GROUP BY user_id",
                platform_kinds()
            ),
            "ALL",
        )?;
        // Each number and each id once, every number with an id: the
        // joins above would count a number without one as a user NULL.
        let numbers = self.count(
            "SELECT (count(*) - count(DISTINCT user_num)) + (count(*) - count(DISTINCT user_id))
                    + (SELECT count(*) FROM activity_daily
                       WHERE user_num IS NOT NULL AND user_num NOT IN (SELECT user_num FROM user_numbers))
             FROM user_numbers",
        )?;
        Ok(activity + social + firsts + months + feedback + lifecycle + last + numbers)
    }
}
