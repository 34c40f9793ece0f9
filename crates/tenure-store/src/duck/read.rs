//! Reads: counts for `stats`, and what the ingest writer needs at start-up.

use super::{ts, utc};
use crate::{Result, Stats};
use chrono::{DateTime, Utc};
use duckdb::Connection;
use std::collections::BTreeMap;

pub(super) fn for_each_message_id_since(
    conn: &Connection,
    since: DateTime<Utc>,
    f: &mut dyn FnMut(&str, DateTime<Utc>),
) -> Result<()> {
    let mut stmt = conn
        .prepare("SELECT message_id, epoch_us(received_at) FROM events WHERE received_at >= ?")?;
    let mut rows = stmt.query([ts(since)])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let at: i64 = row.get(1)?;
        f(&id, tenure_core::time::from_micros(at));
    }
    Ok(())
}

pub(super) fn known_ids(
    conn: &Connection,
    entity: tenure_core::Entity,
) -> Result<std::collections::HashSet<String>> {
    let table = match entity {
        tenure_core::Entity::Account => "accounts",
        tenure_core::Entity::User => "users",
    };
    let mut stmt = conn.prepare(&format!("SELECT id FROM {table}"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn user_accounts(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT id, account_id FROM users WHERE account_id IS NOT NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn count(conn: &Connection, sql: &str) -> Result<u64> {
    let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
    Ok(n as u64)
}

fn counts_by(conn: &Connection, column: &str) -> Result<BTreeMap<String, u64>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {column}, count(*) FROM events GROUP BY {column} ORDER BY {column}"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn stats(conn: &Connection) -> Result<Stats> {
    let (first, last): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT epoch_us(min(timestamp)), epoch_us(max(timestamp)) FROM events",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Stats {
        accounts: count(conn, "SELECT count(*) FROM accounts")?,
        users: count(conn, "SELECT count(*) FROM users")?,
        groups: count(conn, "SELECT count(*) FROM groups")?,
        events: count(conn, "SELECT count(*) FROM events")?,
        events_by_kind: counts_by(conn, "kind")?,
        events_by_type: counts_by(conn, "type")?,
        first_event_at: utc(first),
        last_event_at: utc(last),
        events_in_rollups: count(
            conn,
            "SELECT coalesce(sum(events), 0)::BIGINT FROM activity_daily",
        )?,
    })
}
