//! What the playbooks keep beside the outbox: the audit log, the finished
//! days evaluated, the in-app messages and the CSMs' tasks.

use super::outbox::{insert, not_in_a_write};
use super::{DuckStore, utc};
use crate::{AuditEntry, InAppMessage, OutboxItem, Result, Task};
use chrono::{DateTime, NaiveDate, Utc};
use duckdb::params;

fn stamp(at: DateTime<Utc>) -> String {
    format!(
        "TIMESTAMP '{}'",
        at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f")
    )
}

pub(super) fn evaluated(
    store: &mut DuckStore,
    audit: &[AuditEntry],
    items: &[OutboxItem],
    day_done: Option<NaiveDate>,
) -> Result<u64> {
    not_in_a_write(store, "playbooks_evaluated")?;
    let tx = store.conn.transaction()?;
    {
        // The appender: a day of a large store decides thousands at once.
        let mut app = tx.appender("playbook_audit")?;
        for e in audit {
            app.append_row(params![
                e.at.naive_utc(),
                e.playbook,
                e.account_id,
                e.user_id,
                e.occurrence,
                e.action,
                e.event,
                e.detail
            ])?;
        }
    }
    let added = insert(&tx, items)?;
    if let Some(day) = day_done {
        tx.execute(
            "INSERT OR REPLACE INTO playbook_days VALUES (?, ?)",
            params![day, Utc::now().naive_utc()],
        )?;
    }
    tx.commit()?;
    Ok(added)
}

pub(super) fn last_day(store: &DuckStore) -> Result<Option<NaiveDate>> {
    Ok(store
        .conn
        .query_row("SELECT max(day) FROM playbook_days", [], |r| r.get(0))?)
}

pub(super) fn audit(
    store: &DuckStore,
    since: DateTime<Utc>,
    playbook: Option<&str>,
    decisions_only: bool,
) -> Result<Vec<AuditEntry>> {
    let mut filter = format!("logged_at >= {}", stamp(since));
    if decisions_only {
        filter.push_str(" AND event IN ('fired', 'filtered', 'cooldown')");
    }
    let mut stmt = store.conn.prepare(&format!(
        "SELECT epoch_us(logged_at), playbook, account_id, user_id, occurrence, action, event, detail
         FROM playbook_audit WHERE {filter} AND (? IS NULL OR playbook = ?)
         ORDER BY logged_at, rowid"
    ))?;
    let rows = stmt.query_map(params![playbook, playbook], |r| {
        Ok(AuditEntry {
            at: utc(r.get(0)?).unwrap_or_default(),
            playbook: r.get(1)?,
            account_id: r.get(2)?,
            user_id: r.get(3)?,
            occurrence: r.get(4)?,
            action: r.get(5)?,
            event: r.get(6)?,
            detail: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn save_messages(store: &mut DuckStore, messages: &[InAppMessage]) -> Result<()> {
    not_in_a_write(store, "save_messages")?;
    let tx = store.conn.transaction()?;
    {
        let mut stmt =
            tx.prepare("INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        for m in messages {
            stmt.execute(params![
                m.id,
                m.user_id,
                m.account_id,
                m.playbook,
                m.template,
                m.title,
                m.body,
                m.created_at.naive_utc(),
                m.read_at.map(|t| t.naive_utc())
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn messages(
    store: &DuckStore,
    user_id: &str,
    unread_only: bool,
) -> Result<Vec<InAppMessage>> {
    let mut stmt = store.conn.prepare(
        "SELECT id, user_id, account_id, playbook, template, title, body, epoch_us(created_at),
                epoch_us(read_at)
         FROM messages WHERE user_id = ? AND (NOT ? OR read_at IS NULL)
         ORDER BY created_at DESC, id",
    )?;
    let rows = stmt.query_map(params![user_id, unread_only], |r| {
        Ok(InAppMessage {
            id: r.get(0)?,
            user_id: r.get(1)?,
            account_id: r.get(2)?,
            playbook: r.get(3)?,
            template: r.get(4)?,
            title: r.get(5)?,
            body: r.get(6)?,
            created_at: utc(r.get(7)?).unwrap_or_default(),
            read_at: utc(r.get(8)?),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn mark_read(
    store: &mut DuckStore,
    id: &str,
    user_id: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    not_in_a_write(store, "mark_read")?;
    let found = store.conn.execute(
        "UPDATE messages SET read_at = coalesce(read_at, ?) WHERE id = ? AND user_id = ?",
        params![at.naive_utc(), id, user_id],
    )?;
    Ok(found > 0)
}

pub(super) fn save_tasks(store: &mut DuckStore, tasks: &[Task]) -> Result<()> {
    not_in_a_write(store, "save_tasks")?;
    let tx = store.conn.transaction()?;
    {
        let mut stmt =
            tx.prepare("INSERT OR IGNORE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        for t in tasks {
            stmt.execute(params![
                t.id,
                t.account_id,
                t.user_id,
                t.playbook,
                t.title,
                t.detail,
                t.owner,
                t.created_at.naive_utc(),
                t.closed_at.map(|t| t.naive_utc())
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn tasks(store: &DuckStore, open_only: bool) -> Result<Vec<Task>> {
    let mut stmt = store.conn.prepare(
        "SELECT id, account_id, user_id, playbook, title, detail, owner, epoch_us(created_at),
                epoch_us(closed_at)
         FROM tasks WHERE NOT ? OR closed_at IS NULL
         ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map(params![open_only], |r| {
        Ok(Task {
            id: r.get(0)?,
            account_id: r.get(1)?,
            user_id: r.get(2)?,
            playbook: r.get(3)?,
            title: r.get(4)?,
            detail: r.get(5)?,
            owner: r.get(6)?,
            created_at: utc(r.get(7)?).unwrap_or_default(),
            closed_at: utc(r.get(8)?),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn close_task(store: &mut DuckStore, id: &str, at: DateTime<Utc>) -> Result<bool> {
    not_in_a_write(store, "close_task")?;
    let found = store.conn.execute(
        "UPDATE tasks SET closed_at = coalesce(closed_at, ?) WHERE id = ?",
        params![at.naive_utc(), id],
    )?;
    Ok(found > 0)
}

#[cfg(test)]
mod tests {
    use crate::{AuditEntry, DuckStore, InAppMessage, Store, Task};
    use chrono::{DateTime, Duration, NaiveDate, Utc};

    fn entry(at: DateTime<Utc>, playbook: &str, event: &str) -> AuditEntry {
        AuditEntry {
            at,
            playbook: playbook.into(),
            account_id: Some("acct-1".into()),
            user_id: Some("usr-1".into()),
            occurrence: "2026-11-01:dormant".into(),
            action: None,
            event: event.into(),
            detail: String::new(),
        }
    }

    #[test]
    fn an_evaluation_keeps_its_decisions_and_its_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let t0: DateTime<Utc> = "2026-11-02T00:10:00Z".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(store.playbooks_last_day().unwrap(), None);
        store
            .playbooks_evaluated(
                &[
                    entry(t0, "", "evaluated"),
                    entry(t0, "a", "fired"),
                    entry(t0, "b", "filtered"),
                ],
                &[],
                Some(day),
            )
            .unwrap();
        store
            .playbooks_evaluated(
                &[entry(t0 + Duration::hours(1), "a", "cooldown")],
                &[],
                None,
            )
            .unwrap();
        assert_eq!(store.playbooks_last_day().unwrap(), Some(day));
        let all = store.playbook_audit(t0, None, false).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[1], entry(t0, "a", "fired"));
        let decided: Vec<String> = store
            .playbook_audit(t0, Some("a"), true)
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(decided, ["fired", "cooldown"]);
        assert!(
            store
                .playbook_audit(t0 + Duration::hours(2), None, false)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn messages_are_read_once_and_tasks_closed_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let t0: DateTime<Utc> = "2026-11-02T00:10:00Z".parse().unwrap();
        let message = |id: &str, user: &str, at: DateTime<Utc>| InAppMessage {
            id: id.into(),
            user_id: user.into(),
            account_id: Some("acct-1".into()),
            playbook: "p".into(),
            template: "training".into(),
            title: "t".into(),
            body: "b".into(),
            created_at: at,
            read_at: None,
        };
        store
            .save_messages(&[
                message("m1", "usr-1", t0),
                message("m2", "usr-1", t0 + Duration::minutes(1)),
                message("m3", "usr-2", t0),
            ])
            .unwrap();
        // Delivered again: nothing new.
        store.save_messages(&[message("m1", "usr-1", t0)]).unwrap();
        let ids = |unread| -> Vec<String> {
            store
                .messages("usr-1", unread)
                .unwrap()
                .into_iter()
                .map(|m| m.id)
                .collect()
        };
        assert_eq!(ids(true), ["m2", "m1"], "newest first");
        assert!(!store.mark_read("m3", "usr-1", t0).unwrap(), "not hers");
        assert!(store.mark_read("m1", "usr-1", t0).unwrap());
        assert!(
            store
                .mark_read("m1", "usr-1", t0 + Duration::hours(1))
                .unwrap()
        );
        assert_eq!(
            store
                .messages("usr-1", true)
                .unwrap()
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>(),
            ["m2"]
        );
        assert_eq!(store.messages("usr-1", false).unwrap()[1].read_at, Some(t0));

        let task = |id: &str| Task {
            id: id.into(),
            account_id: Some("acct-1".into()),
            user_id: None,
            playbook: "p".into(),
            title: "Call them".into(),
            detail: "health band fell to red".into(),
            owner: Some("csm@example.com".into()),
            created_at: t0,
            closed_at: None,
        };
        store.save_tasks(&[task("t1"), task("t2")]).unwrap();
        store.save_tasks(&[task("t1")]).unwrap();
        assert_eq!(store.tasks(true).unwrap().len(), 2);
        assert!(store.close_task("t1", t0).unwrap());
        assert!(store.close_task("t1", t0 + Duration::hours(1)).unwrap());
        assert!(!store.close_task("t9", t0).unwrap());
        assert_eq!(store.tasks(true).unwrap(), [task("t2")]);
        assert_eq!(store.tasks(false).unwrap()[0].closed_at, Some(t0));
    }
}
