//! The daily activity rollup that reports read instead of raw events.
//!
//! `activity_daily` holds, per UTC day, account, user, event name, kind and
//! detail (see [`tenure_core::taxonomy::DETAIL_PROPERTIES`]), the number of
//! events and their first and last time. Rows are deltas: each refresh adds
//! the rows of the events stored since the last one (every event row carries
//! its write's number, in commit order, and `rollup_state` the last number
//! rolled up), so several rows may share a key and readers sum them
//! (`sum(events)`, `min(first_at)`, `max(last_at)`). The refresh runs in
//! DuckDB, off the ingest path: the server refreshes every
//! `ingest.rollup_interval_secs`, imports refresh when they finish, and
//! `tenure refresh` does it by hand.

use duckdb::Connection;
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

/// The rollup rows of every event in `source` (a table or a subquery).
pub(super) fn rows_of(source: &str) -> String {
    format!(
        "SELECT CAST(timestamp AS DATE) AS day, account_id, user_id, event, kind,
                {detail} AS detail, count(*) AS events,
                min(timestamp) AS first_at, max(timestamp) AS last_at
         FROM {source} GROUP BY ALL",
        detail = detail_sql()
    )
}

/// Rebuilds the whole rollup from the events table (inside the caller's
/// transaction).
pub(super) fn rebuild(conn: &Connection) -> Result<()> {
    conn.execute_batch(&format!(
        "DELETE FROM activity_daily;
         INSERT INTO activity_daily {rows};
         UPDATE rollup_state SET write_no = (SELECT coalesce(max(write_no), 0) FROM events);",
        rows = rows_of("events")
    ))?;
    Ok(())
}

/// Adds the rollup rows of the events stored since the last refresh, in one
/// transaction. Returns how many events that covered.
pub(super) fn refresh(conn: &Connection) -> Result<u64> {
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
        conn.execute_batch(&format!(
            "INSERT INTO activity_daily {rows};
             UPDATE rollup_state SET write_no = {top};",
            rows = rows_of(&new)
        ))?;
        Ok(events as u64)
    })();
    match done {
        Ok(events) => {
            conn.execute_batch("COMMIT")?;
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
        let fresh = rows_of("events");
        let kept = "SELECT day, account_id, user_id, event, kind, detail,
                           sum(events)::BIGINT, min(first_at), max(last_at)
                    FROM activity_daily GROUP BY ALL";
        self.count(&format!(
            "SELECT count(*) FROM (({kept} EXCEPT {fresh}) UNION ALL ({fresh} EXCEPT {kept}))"
        ))
    }
}
