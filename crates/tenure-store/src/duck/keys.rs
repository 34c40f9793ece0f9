//! API and write keys. Only hashes are stored; the secret is never kept.

use super::{opt_ts, ts, utc};
use crate::{NewKey, Result, StoreError};
use chrono::{DateTime, Utc};
use duckdb::{Connection, Row, params};
use tenure_core::{KeyInfo, Role};

const COLUMNS: &str =
    "id, role, account_id, label, prefix, epoch_us(created_at), epoch_us(revoked_at)";

fn key_info(row: &Row<'_>) -> duckdb::Result<(KeyInfo, String)> {
    let role: String = row.get(1)?;
    let created: i64 = row.get(5)?;
    Ok((
        KeyInfo {
            id: row.get(0)?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            account_id: row.get(2)?,
            label: row.get(3)?,
            prefix: row.get(4)?,
            created_at: tenure_core::time::from_micros(created),
            revoked_at: utc(row.get(6)?),
        },
        role,
    ))
}

fn checked(pair: (KeyInfo, String)) -> Result<KeyInfo> {
    match Role::parse(&pair.1) {
        Some(_) => Ok(pair.0),
        None => Err(StoreError::Invalid(format!(
            "key {} has an unknown role {:?}",
            pair.0.id, pair.1
        ))),
    }
}

pub(super) fn create(conn: &Connection, key: &NewKey) -> Result<()> {
    conn.execute(
        "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            key.id,
            key.role.as_str(),
            key.account_id,
            key.label,
            key.prefix,
            key.hash,
            ts(key.created_at),
            opt_ts(None),
        ],
    )?;
    Ok(())
}

pub(super) fn list(conn: &Connection) -> Result<Vec<KeyInfo>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM keys ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], key_info)?;
    rows.map(|r| checked(r?)).collect()
}

pub(super) fn revoke(conn: &Connection, id: &str, at: DateTime<Utc>) -> Result<bool> {
    let n = conn.execute(
        "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        params![ts(at), id],
    )?;
    Ok(n > 0)
}

pub(super) fn live(conn: &Connection) -> Result<Vec<(String, KeyInfo)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS}, hash FROM keys WHERE revoked_at IS NULL"
    ))?;
    let rows = stmt.query_map([], |row| Ok((key_info(row)?, row.get::<_, String>(7)?)))?;
    rows.map(|r| {
        let (pair, hash) = r?;
        Ok((hash, checked(pair)?))
    })
    .collect()
}
