//! The playbooks' outbox: enqueue (once per idempotency key), the items
//! due, each attempt's outcome, and the listing (delivered, pending, dead
//! letters). Times are stored as UTC `TIMESTAMP`s.

use super::{DuckStore, utc};
use crate::{Attempt, OutboxItem, OutboxStatus, OutboxSummary, Result, StoreError};
use chrono::{DateTime, Utc};
use duckdb::params;

const COLUMNS: &str = "id, playbook, action, channel, account_id, user_id, occurrence,
    payload::VARCHAR, status, attempts, epoch_us(next_at), last_error, epoch_us(created_at),
    epoch_us(delivered_at)";

pub(super) fn not_in_a_write(store: &DuckStore, what: &str) -> Result<()> {
    if store.pending.is_some() {
        return Err(StoreError::Invalid(format!("{what} called inside a write")));
    }
    Ok(())
}

pub(super) fn enqueue(store: &mut DuckStore, items: &[OutboxItem]) -> Result<u64> {
    not_in_a_write(store, "enqueue")?;
    let tx = store.conn.transaction()?;
    let added = insert(&tx, items)?;
    tx.commit()?;
    Ok(added)
}

/// Inserts the items not in the outbox yet; returns how many. Staged
/// through the appender, then added by id in one statement: an evaluation
/// on a large store enqueues thousands of items at once.
pub(super) fn insert(tx: &duckdb::Transaction, items: &[OutboxItem]) -> Result<u64> {
    if items.is_empty() {
        return Ok(0);
    }
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS outbox_staged AS
             SELECT * REPLACE (payload::VARCHAR AS payload) FROM outbox LIMIT 0;
         DELETE FROM outbox_staged;",
    )?;
    {
        let mut app = tx.appender("outbox_staged")?;
        for i in items {
            app.append_row(params![
                i.id,
                i.playbook,
                i.action,
                i.channel,
                i.account_id,
                i.user_id,
                i.occurrence,
                i.payload.to_string(),
                i.status.as_str(),
                i.attempts,
                i.next_at.naive_utc(),
                i.last_error,
                i.created_at.naive_utc(),
                i.delivered_at.map(|t| t.naive_utc()),
            ])?;
        }
    }
    // The first of each id, and none already there.
    let added = tx.execute(
        "INSERT INTO outbox
         SELECT * REPLACE (payload::JSON AS payload) FROM outbox_staged
         WHERE id NOT IN (SELECT id FROM outbox)
         QUALIFY row_number() OVER (PARTITION BY id ORDER BY rowid) = 1",
        [],
    )?;
    tx.execute_batch("DELETE FROM outbox_staged")?;
    Ok(added as u64)
}

fn read(store: &DuckStore, filter: &str, tail: &str) -> Result<Vec<OutboxItem>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE {filter} {tail}");
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let payload: String = r.get(7)?;
        let status: String = r.get(8)?;
        Ok((
            OutboxItem {
                id: r.get(0)?,
                playbook: r.get(1)?,
                action: r.get(2)?,
                channel: r.get(3)?,
                account_id: r.get(4)?,
                user_id: r.get(5)?,
                occurrence: r.get(6)?,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                status: OutboxStatus::Pending,
                attempts: r.get(9)?,
                next_at: utc(r.get(10)?).unwrap_or_default(),
                last_error: r.get(11)?,
                created_at: utc(r.get(12)?).unwrap_or_default(),
                delivered_at: utc(r.get(13)?),
            },
            status,
        ))
    })?;
    rows.map(|row| {
        let (mut item, status) = row?;
        item.status = OutboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("outbox status {status:?}")))?;
        Ok(item)
    })
    .collect()
}

pub(super) fn due(
    store: &DuckStore,
    now: DateTime<Utc>,
    limit: usize,
    skip: &[&str],
) -> Result<Vec<OutboxItem>> {
    let skip: String = skip
        .iter()
        .map(|c| format!(" AND channel <> '{}'", c.replace('\'', "''")))
        .collect();
    read(
        store,
        &format!(
            "status = 'pending' AND next_at <= TIMESTAMP '{}'{skip}",
            now.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f")
        ),
        &format!("ORDER BY next_at, created_at, id LIMIT {limit}"),
    )
}

/// Records a round of attempts set-wise: the attempts go through the
/// appender into a staging table, then one statement writes their audit
/// lines and one updates the items (a round of hundreds of items costs a
/// few statements, not two per item).
pub(super) fn attempted(store: &mut DuckStore, attempts: &[Attempt]) -> Result<()> {
    not_in_a_write(store, "outbox_attempted")?;
    if attempts.is_empty() {
        return Ok(());
    }
    let tx = store.conn.transaction()?;
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS attempts_staged (
             id VARCHAR, tried_at TIMESTAMP, status VARCHAR, next_at TIMESTAMP, error VARCHAR,
             delivered_at TIMESTAMP, event VARCHAR, detail VARCHAR);
         DELETE FROM attempts_staged;",
    )?;
    {
        let mut app = tx.appender("attempts_staged")?;
        for a in attempts {
            let at = a.at.naive_utc();
            let (status, next_at, delivered_at, event) = match (&a.error, a.retry_at) {
                (None, _) => (OutboxStatus::Delivered, at, Some(at), "delivered"),
                (Some(_), Some(retry)) => (OutboxStatus::Pending, retry.naive_utc(), None, "retry"),
                (Some(_), None) => (OutboxStatus::Dead, at, None, "dead"),
            };
            let detail = match (&a.error, a.retry_at) {
                (None, _) => String::new(),
                (Some(e), Some(retry)) => format!("{e}; next attempt at {}", retry.to_rfc3339()),
                (Some(e), None) => e.clone(),
            };
            app.append_row(params![
                a.id,
                at,
                status.as_str(),
                next_at,
                a.error,
                delivered_at,
                event,
                detail
            ])?;
        }
    }
    // Every attempt is of a pending item, once; else nothing is recorded.
    let stray: Option<String> = tx.query_row(
        "SELECT min(s.id) FROM attempts_staged s LEFT JOIN outbox o ON o.id = s.id
         WHERE o.status IS DISTINCT FROM 'pending'
            OR s.id IN (SELECT id FROM attempts_staged GROUP BY id HAVING count(*) > 1)",
        [],
        |r| r.get(0),
    )?;
    if let Some(id) = stray {
        return Err(StoreError::Invalid(format!(
            "outbox item {id:?} is not pending"
        )));
    }
    tx.execute_batch(
        "INSERT INTO playbook_audit
         SELECT s.tried_at, o.playbook, o.account_id, o.user_id, o.occurrence, o.action, s.event, s.detail
         FROM attempts_staged s JOIN outbox o ON o.id = s.id ORDER BY s.rowid;
         UPDATE outbox SET status = s.status, attempts = outbox.attempts + 1, next_at = s.next_at,
                last_error = coalesce(s.error, outbox.last_error), delivered_at = s.delivered_at
         FROM attempts_staged s WHERE outbox.id = s.id;
         DELETE FROM attempts_staged;",
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn list(store: &DuckStore, status: Option<OutboxStatus>) -> Result<Vec<OutboxItem>> {
    let filter = status.map_or("true".to_string(), |s| format!("status = '{}'", s.as_str()));
    read(store, &filter, "ORDER BY created_at, id")
}

pub(super) fn summary(store: &DuckStore) -> Result<Vec<OutboxSummary>> {
    let mut stmt = store.conn.prepare(
        "SELECT playbook, count(*) FILTER (WHERE status = 'pending'),
                count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'dead'),
                epoch_us(max(created_at))
         FROM outbox GROUP BY playbook ORDER BY playbook",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(OutboxSummary {
            playbook: r.get(0)?,
            pending: r.get(1)?,
            delivered: r.get(2)?,
            dead: r.get(3)?,
            last_enqueued_at: utc(r.get(4)?),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn requeue_dead(
    store: &mut DuckStore,
    id: Option<&str>,
    at: DateTime<Utc>,
) -> Result<u64> {
    not_in_a_write(store, "requeue_dead")?;
    let at = at.naive_utc();
    let which = "status = 'dead' AND (?::VARCHAR IS NULL OR id = ?)";
    let tx = store.conn.transaction()?;
    tx.execute(
        &format!(
            "INSERT INTO playbook_audit
             SELECT ?, playbook, account_id, user_id, occurrence, action, 'requeued',
                    'requeued by hand after ' || attempts || CASE WHEN attempts = 1 THEN ' attempt' ELSE ' attempts' END
                    || '; the last error: ' || coalesce(last_error, 'none')
             FROM outbox WHERE {which}"
        ),
        params![at, id, id],
    )?;
    let changed = tx.execute(
        &format!("UPDATE outbox SET status = 'pending', attempts = 0, next_at = ? WHERE {which}"),
        params![at, id, id],
    )?;
    tx.commit()?;
    Ok(changed as u64)
}

#[cfg(test)]
mod tests {
    use crate::{Attempt, DuckStore, OutboxItem, OutboxStatus, Store};
    use chrono::{DateTime, Duration, Utc};

    fn item(id: &str, at: DateTime<Utc>) -> OutboxItem {
        OutboxItem {
            id: id.into(),
            playbook: "dormant refresher".into(),
            action: 0,
            channel: "webhook".into(),
            account_id: Some("acct-1".into()),
            user_id: Some("usr-1".into()),
            occurrence: "2026-10-31".into(),
            payload: serde_json::json!({"subject": {"user_id": "usr-1"}}),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_at: at,
            last_error: None,
            created_at: at,
            delivered_at: None,
        }
    }

    fn attempt(
        id: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Attempt {
        Attempt {
            id: id.into(),
            at,
            error: error.map(String::from),
            retry_at,
        }
    }

    #[test]
    fn the_outbox_keeps_each_occurrence_once_and_every_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let t0: DateTime<Utc> = "2026-11-01T08:00:00Z".parse().unwrap();
        let later = t0 + Duration::minutes(5);
        assert_eq!(
            store.enqueue(&[item("k1", t0), item("k2", later)]).unwrap(),
            2
        );
        // Enqueued again (a re-evaluation, a restart): nothing new.
        assert_eq!(store.enqueue(&[item("k1", t0)]).unwrap(), 0);
        assert_eq!(store.enqueue(&[]).unwrap(), 0);
        let due = store.outbox_due(t0, 10, &[]).unwrap();
        assert_eq!(due.len(), 1);
        assert!(store.outbox_due(t0, 10, &["webhook"]).unwrap().is_empty());
        assert_eq!(due[0], item("k1", t0));
        assert_eq!(store.outbox_due(later, 1, &[]).unwrap()[0].id, "k1");

        // k1 fails once, then is delivered; k2 fails for good.
        let retry = t0 + Duration::seconds(30);
        store
            .outbox_attempted(&[attempt(
                "k1",
                t0,
                Some("503 from the receiver"),
                Some(retry),
            )])
            .unwrap();
        assert!(store.outbox_due(t0, 10, &[]).unwrap().is_empty());
        let again = store.outbox_due(retry, 10, &[]).unwrap();
        assert_eq!(
            (again[0].attempts, again[0].last_error.as_deref()),
            (1, Some("503 from the receiver"))
        );
        store
            .outbox_attempted(&[
                attempt("k1", retry, None, None),
                attempt("k2", later, Some("connection refused"), None),
            ])
            .unwrap();
        assert!(
            store
                .outbox_due(later + Duration::days(1), 10, &[])
                .unwrap()
                .is_empty()
        );
        let delivered = store.outbox(Some(OutboxStatus::Delivered)).unwrap();
        assert_eq!(delivered.len(), 1);
        assert_eq!(
            (delivered[0].attempts, delivered[0].delivered_at),
            (2, Some(retry))
        );
        let dead = store.outbox(Some(OutboxStatus::Dead)).unwrap();
        assert_eq!(dead[0].id, "k2");
        assert_eq!(dead[0].last_error.as_deref(), Some("connection refused"));
        assert_eq!(store.outbox(None).unwrap().len(), 2);
        // Only a pending item takes an attempt.
        assert!(
            store
                .outbox_attempted(&[attempt("k1", later, None, None)])
                .is_err()
        );
        assert!(
            store
                .outbox_attempted(&[attempt("nope", later, None, None)])
                .is_err()
        );

        // Every attempt has its line in the audit log.
        let log = store.playbook_audit(t0, None, false).unwrap();
        let events: Vec<&str> = log.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(events, ["retry", "delivered", "dead"]);
        assert_eq!(log[2].detail, "connection refused");
        assert_eq!(log[0].user_id.as_deref(), Some("usr-1"));
        assert_eq!(log[0].action, Some(0));

        // The summary per playbook; the dead letter requeued by hand
        // (by id, then all: nothing left) starts its attempts again.
        let summary = store.outbox_summary().unwrap();
        assert_eq!(
            (
                summary.len(),
                summary[0].delivered,
                summary[0].dead,
                summary[0].pending
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(summary[0].last_enqueued_at, Some(later));
        assert_eq!(store.requeue_dead(Some("k1"), later).unwrap(), 0);
        let now = later + Duration::hours(1);
        assert_eq!(store.requeue_dead(Some("k2"), now).unwrap(), 1);
        assert_eq!(store.requeue_dead(None, now).unwrap(), 0);
        // Nor twice in one round; a refused round records nothing.
        let before = store.playbook_audit(t0, None, false).unwrap().len();
        assert!(
            store
                .outbox_attempted(&[
                    attempt("k2", now, None, None),
                    attempt("k2", now, None, None)
                ])
                .is_err()
        );
        assert_eq!(store.playbook_audit(t0, None, false).unwrap().len(), before);
        let due = store.outbox_due(now, 10, &[]).unwrap();
        assert_eq!(
            (
                due.len(),
                due[0].id.as_str(),
                due[0].attempts,
                due[0].next_at
            ),
            (1, "k2", 0, now)
        );
        assert_eq!(due[0].last_error.as_deref(), Some("connection refused"));
        let log = store.playbook_audit(now, None, false).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            (log[0].event.as_str(), log[0].detail.as_str()),
            (
                "requeued",
                "requeued by hand after 1 attempt; the last error: connection refused"
            )
        );

        // It all survives reopening the store.
        drop(store);
        let store = DuckStore::open(dir.path()).unwrap();
        assert_eq!(
            store.outbox(Some(OutboxStatus::Delivered)).unwrap().len(),
            1
        );
        // An id twice in one call is added once (the first).
        let mut store = store;
        let twice = [item("k3", later), item("k3", t0)];
        assert_eq!(store.enqueue(&twice).unwrap(), 1);
        let all = store.outbox(None).unwrap();
        let k3: Vec<_> = all.iter().filter(|i| i.id == "k3").collect();
        assert_eq!((k3.len(), k3[0].next_at), (1, later));
    }
}
