//! Writes: events through DuckDB's appender, trait changes folded into the
//! change history and the current-state tables, all in one transaction.

use super::{DuckStore, rollup};
use crate::{Dedup, Result, StoreError, WriteBatch, WriteOutcome};
use chrono::{DateTime, Utc};
use duckdb::arrow::array::{
    ArrayRef, Int64Array, StringArray, StringBuilder, TimestampMicrosecondArray,
};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Connection, params};
use std::collections::BTreeMap;
use std::sync::Arc;
use tenure_core::model::{Entity, EntityChange};
use tenure_core::traits::{ACCOUNT_FIELDS, USER_FIELDS};
use tenure_core::{CallType, Event, Taxonomy};

/// The state of an open write transaction.
#[derive(Debug)]
pub(super) struct Pending {
    dedup: Dedup,
    /// This write's number, the high half of its changes' `seq`.
    write_no: i64,
    /// Changes staged so far, the low half of the next change's `seq`.
    changes_staged: i64,
    /// Events appended to `events` as they came (known to be new).
    events_direct: u64,
    /// Events in `import_staging`, checked against `events` at commit.
    events_staged: u64,
}

impl Pending {
    pub(super) fn write_no(&self) -> i64 {
        self.write_no
    }

    /// Counts events added by SQL: straight into `events`, or staged.
    pub(super) fn add_events(&mut self, n: u64, direct: bool) {
        if direct {
            self.events_direct += n;
        } else {
            self.events_staged += n;
        }
    }
}

pub(super) fn begin(store: &mut DuckStore, dedup: Dedup) -> Result<()> {
    if store.pending.is_some() {
        return Err(StoreError::Invalid("a write is already open".into()));
    }
    store.conn.execute_batch("BEGIN TRANSACTION")?;
    let started = (|| -> Result<i64> {
        store
            .conn
            .execute_batch("DELETE FROM import_staging; DELETE FROM staged_changes;")?;
        Ok(store
            .conn
            .query_row("SELECT nextval('write_seq')", [], |r| r.get(0))?)
    })();
    match started {
        Ok(write_no) => {
            store.pending = Some(Pending {
                dedup,
                write_no,
                changes_staged: 0,
                events_direct: 0,
                events_staged: 0,
            });
            Ok(())
        }
        Err(e) => {
            let _ = store.conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

pub(super) fn stage(store: &mut DuckStore, batch: &WriteBatch) -> Result<()> {
    let known_new = store.pending.as_ref().map(|p| p.dedup) == Some(Dedup::Done);
    append(store, batch, known_new)
}

pub(super) fn stage_new(store: &mut DuckStore, batch: &WriteBatch) -> Result<()> {
    append(store, batch, true)
}

fn append(store: &mut DuckStore, batch: &WriteBatch, known_new: bool) -> Result<()> {
    let pending = store
        .pending
        .as_mut()
        .ok_or_else(|| StoreError::Invalid("stage called without begin_write".into()))?;
    let table = if known_new {
        "events"
    } else {
        "import_staging"
    };
    append_events(&store.conn, table, &batch.events, pending.write_no)?;
    pending.add_events(batch.events.len() as u64, known_new);
    if !batch.changes.is_empty() {
        let mut app = store.conn.appender("staged_changes")?;
        for chunk in batch.changes.chunks(ARROW_CHUNK_ROWS) {
            let first = (pending.write_no << 32) + pending.changes_staged;
            app.append_record_batch(change_columns(chunk, first)?)?;
            pending.changes_staged += chunk.len() as i64;
        }
        app.flush()?;
    }
    Ok(())
}

/// The `staged_changes` columns of `changes`, numbered from `first` in
/// their order: an import stages hundreds of thousands (most repeat a
/// value and are dropped at commit), which Arrow columns append several
/// times faster than rows.
fn change_columns(changes: &[EntityChange], first: i64) -> Result<RecordBatch> {
    let text = |get: &dyn Fn(&EntityChange) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(changes.iter().map(get)))
    };
    RecordBatch::try_from_iter([
        ("entity", text(&|c| entity_name(c.entity))),
        ("id", text(&|c| &c.id)),
        ("field", text(&|c| &c.field)),
        (
            "value",
            Arc::new(StringArray::from_iter_values(
                changes.iter().map(|c| c.value.to_string()),
            )) as ArrayRef,
        ),
        (
            "changed_at",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                changes.iter().map(|c| c.at.timestamp_micros()),
            )),
        ),
        (
            "seq",
            Arc::new(Int64Array::from_iter_values(
                (0..changes.len() as i64).map(|i| first + i),
            )),
        ),
    ])
    .map_err(|e| StoreError::Invalid(format!("cannot build the change columns: {e}")))
}

pub(super) fn commit(store: &mut DuckStore) -> Result<WriteOutcome> {
    let pending = store
        .pending
        .take()
        .ok_or_else(|| StoreError::Invalid("commit called without begin_write".into()))?;
    let finished = (|| -> Result<WriteOutcome> {
        let conn = &store.conn;
        let events_written = pending.events_direct
            + if pending.events_staged == 0 {
                0
            } else {
                keep_new_staged(conn)?
            };
        let changes_written = if pending.changes_staged > 0 {
            apply_staged_changes(conn)?
        } else {
            0
        };
        conn.execute_batch("DELETE FROM import_staging; DELETE FROM staged_changes; COMMIT")?;
        Ok(WriteOutcome {
            events_written,
            changes_written,
        })
    })();
    if finished.is_err() {
        let _ = store.conn.execute_batch("ROLLBACK");
    }
    finished
}

/// Moves the staged rows whose id is neither stored nor staged earlier
/// (the first row of each id, in file order, wins) into `events`. Hash
/// joins, no sort.
fn keep_new_staged(conn: &Connection) -> Result<u64> {
    conn.execute(
        "DELETE FROM import_staging
         WHERE rowid NOT IN (SELECT min(rowid) FROM import_staging GROUP BY message_id)
            OR message_id IN (SELECT message_id FROM events)",
        [],
    )?;
    let kept = conn.execute("INSERT INTO events SELECT * FROM import_staging", [])?;
    Ok(kept as u64)
}

pub(super) fn abort(store: &mut DuckStore) -> Result<()> {
    if store.pending.take().is_some() {
        store.conn.execute_batch("ROLLBACK")?;
        // The import fast path sets this for its `INSERT`, and cannot put
        // it back inside a transaction that `INSERT` aborted.
        store.conn.execute_batch(super::ndjson::RESET_OPTIMIZERS)?;
    }
    Ok(())
}

/// Appends events column by column through Arrow arrays: DuckDB converts
/// and casts whole vectors (text to `JSON`, for one) instead of one value
/// at a time.
fn append_events(conn: &Connection, table: &str, events: &[Event], write_no: i64) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut app = conn.appender(table)?;
    for chunk in events.chunks(ARROW_CHUNK_ROWS) {
        app.append_record_batch(event_columns(chunk, write_no)?)?;
    }
    app.flush()?;
    Ok(())
}

/// Rows per Arrow record batch handed to the appender.
const ARROW_CHUNK_ROWS: usize = 16 * 1024;

fn event_columns(events: &[Event], write_no: i64) -> Result<RecordBatch> {
    let text = |get: fn(&Event) -> Option<&str>| -> ArrayRef {
        let bytes = events.iter().map(|e| get(e).map_or(0, str::len)).sum();
        let mut column = StringBuilder::with_capacity(events.len(), bytes);
        for e in events {
            column.append_option(get(e));
        }
        Arc::new(column.finish())
    };
    let time = |get: fn(&Event) -> Option<DateTime<Utc>>| -> ArrayRef {
        Arc::new(
            events
                .iter()
                .map(|e| get(e).map(|t| t.timestamp_micros()))
                .collect::<TimestampMicrosecondArray>(),
        )
    };
    RecordBatch::try_from_iter([
        ("message_id", text(|e| Some(&e.message_id))),
        ("type", text(|e| Some(e.call.as_str()))),
        ("user_id", text(|e| e.user_id.as_deref())),
        ("anonymous_id", text(|e| e.anonymous_id.as_deref())),
        ("account_id", text(|e| e.account_id.as_deref())),
        ("event", text(|e| e.event.as_deref())),
        ("kind", text(|e| Some(e.kind.as_str()))),
        ("properties", text(|e| e.properties.as_deref())),
        ("traits", text(|e| e.traits.as_deref())),
        ("context", text(|e| e.context.as_deref())),
        ("previous_id", text(|e| e.previous_id.as_deref())),
        ("timestamp", time(|e| Some(e.timestamp))),
        ("original_timestamp", time(|e| e.original_timestamp)),
        ("sent_at", time(|e| e.sent_at)),
        ("received_at", time(|e| Some(e.received_at))),
        (
            "write_no",
            Arc::new(Int64Array::from(vec![write_no; events.len()])) as ArrayRef,
        ),
    ])
    .map_err(|e| StoreError::Invalid(format!("cannot build the event columns: {e}")))
}

fn entity_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Account => "account",
        Entity::User => "user",
    }
}

/// Keeps the staged changes that change something and rebuilds the current
/// state of the accounts and users they touch.
fn apply_staged_changes(conn: &Connection) -> Result<u64> {
    let mut written = 0;
    for (entity, table, id) in [
        ("account", "account_changes", "account_id"),
        ("user", "user_changes", "user_id"),
    ] {
        written += conn.execute(&keep_real_changes(entity, table, id), [])? as u64;
    }
    conn.execute_batch(&rebuild_accounts())?;
    conn.execute_batch(&rebuild_users())?;
    conn.execute_batch(NEW_GROUPS)?;
    Ok(written)
}

/// Inserts the staged changes of one entity kind that differ from the value
/// in force just before them (a repeated identify adds no history).
fn keep_real_changes(entity: &str, table: &str, id: &str) -> String {
    format!(
        "INSERT INTO {table}
         SELECT id, field, value, changed_at, seq FROM (
            SELECT *, lag(value::VARCHAR) OVER (PARTITION BY id, field ORDER BY changed_at, seq) AS prev
            FROM (
                SELECT h.{id} AS id, h.field, h.value, h.changed_at, h.seq, false AS is_new
                FROM {table} h
                WHERE EXISTS (SELECT 1 FROM staged_changes s
                              WHERE s.entity = '{entity}' AND s.id = h.{id} AND s.field = h.field)
                UNION ALL
                SELECT id, field, value, changed_at, seq, true
                FROM staged_changes WHERE entity = '{entity}'
            )
         ) WHERE is_new AND coalesce(prev, 'null') <> value::VARCHAR"
    )
}

/// The latest value of each field of the touched entities, with the time of
/// the entity's first change.
fn latest(table: &str, id: &str, entity: &str) -> String {
    format!(
        "SELECT {id} AS id, field, value, value->>'$' AS v, changed_at,
                min(changed_at) OVER (PARTITION BY {id}) AS first_at
         FROM {table}
         WHERE {id} IN (SELECT id FROM staged_changes WHERE entity = '{entity}')
         QUALIFY row_number() OVER (PARTITION BY {id}, field ORDER BY changed_at DESC, seq DESC) = 1"
    )
}

fn free_form(fields: &[&str]) -> String {
    let known: Vec<String> = fields.iter().map(|f| format!("'{f}'")).collect();
    format!(
        "coalesce(('{{' || string_agg(to_json(field)::VARCHAR || ':' || value::VARCHAR, ',' ORDER BY field) \
         FILTER (WHERE field NOT IN ({}) AND value::VARCHAR <> 'null') || '}}')::JSON, '{{}}')",
        known.join(", ")
    )
}

fn rebuild_accounts() -> String {
    format!(
        "DELETE FROM accounts WHERE id IN (SELECT id FROM staged_changes WHERE entity = 'account');
         INSERT INTO accounts
         SELECT id,
            max(v) FILTER (WHERE field = 'name'),
            max(v) FILTER (WHERE field = 'plan'),
            TRY_CAST(max(v) FILTER (WHERE field = 'mrr') AS DOUBLE),
            TRY_CAST(max(v) FILTER (WHERE field = 'seats_purchased') AS INTEGER),
            TRY_CAST(max(v) FILTER (WHERE field = 'renewal_date') AS DATE),
            coalesce(TRY_CAST(max(v) FILTER (WHERE field = 'archived') AS BOOLEAN), false),
            coalesce(TRY_CAST(max(v) FILTER (WHERE field = 'has_portal_access') AS BOOLEAN), true),
            max(v) FILTER (WHERE field = 'csm_owner'),
            coalesce(TRY_CAST(max(v) FILTER (WHERE field = 'created_at') AS TIMESTAMP), min(first_at)),
            max(changed_at),
            {}
         FROM ({}) GROUP BY id;",
        free_form(ACCOUNT_FIELDS),
        latest("account_changes", "account_id", "account")
    )
}

fn rebuild_users() -> String {
    format!(
        "DELETE FROM users WHERE id IN (SELECT id FROM staged_changes WHERE entity = 'user');
         INSERT INTO users
         SELECT id,
            max(v) FILTER (WHERE field = 'account_id'),
            max(v) FILTER (WHERE field = 'email'),
            max(v) FILTER (WHERE field = 'name'),
            max(v) FILTER (WHERE field = 'role'),
            TRY_CAST(max(v) FILTER (WHERE field = 'seat_assigned_at') AS TIMESTAMP),
            coalesce(json_transform(max(value::VARCHAR) FILTER (WHERE field = 'groups'), '[\"VARCHAR\"]'), []::VARCHAR[]),
            coalesce(TRY_CAST(max(v) FILTER (WHERE field = 'created_at') AS TIMESTAMP), min(first_at)),
            max(changed_at),
            {}
         FROM ({}) GROUP BY id;",
        free_form(USER_FIELDS),
        latest("user_changes", "user_id", "user")
    )
}

/// Groups named in the touched users' memberships that the account does not
/// have yet.
const NEW_GROUPS: &str = "
    INSERT INTO groups
    SELECT account_id, group_id, group_id, min(updated_at) FROM (
        SELECT account_id, unnest(groups) AS group_id, updated_at FROM users
        WHERE account_id IS NOT NULL
          AND id IN (SELECT id FROM staged_changes WHERE entity = 'user')
    ) m
    WHERE NOT EXISTS (SELECT 1 FROM groups g WHERE g.account_id = m.account_id AND g.id = m.group_id)
    GROUP BY account_id, group_id";

/// Stores the taxonomy and reclassifies track, page and screen events when
/// it changed since the last start.
pub(super) fn sync_taxonomy(conn: &mut Connection, taxonomy: &Taxonomy) -> Result<u64> {
    let wanted: BTreeMap<String, String> = taxonomy
        .pairs()
        .into_iter()
        .map(|(event, kind)| (event, kind.as_str().to_string()))
        .collect();
    let stored: BTreeMap<String, String> = {
        let mut stmt = conn.prepare("SELECT event, kind FROM taxonomy")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    if stored == wanted {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    tx.execute_batch("DELETE FROM taxonomy")?;
    {
        let mut app = tx.appender("taxonomy")?;
        for (event, kind) in &wanted {
            app.append_row(params![event, kind])?;
        }
        app.flush()?;
    }
    let types: Vec<String> = [CallType::Track, CallType::Page, CallType::Screen]
        .iter()
        .map(|t| format!("'{t}'"))
        .collect();
    let changed = tx.execute(
        &format!(
            "UPDATE events SET kind = n.kind
             FROM (SELECT e.rowid AS rid, coalesce(t.kind, 'other') AS kind
                   FROM events e LEFT JOIN taxonomy t ON t.event = e.event
                   WHERE e.type IN ({types})
                     AND e.kind IS DISTINCT FROM coalesce(t.kind, 'other')) n
             WHERE events.rowid = n.rid",
            types = types.join(", ")
        ),
        [],
    )?;
    if changed > 0 {
        rollup::rebuild(&tx)?;
    }
    tx.commit()?;
    if changed > 0 {
        tracing::info!(
            message = "Reclassified events after a taxonomy change.",
            changed
        );
    }
    Ok(changed as u64)
}
