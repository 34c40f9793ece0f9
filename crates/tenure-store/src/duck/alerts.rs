//! Stored alerts.

use super::DuckStore;
use super::reports::account_filter;
use crate::{Alert, Result, Scope, StoreError};
use chrono::NaiveDate;
use duckdb::params;
use tenure_core::alerts::AlertStatus;

pub(super) fn save(store: &mut DuckStore, alerts: &[Alert]) -> Result<()> {
    if store.pending.is_some() {
        return Err(StoreError::Invalid(
            "save_alerts called inside a write".into(),
        ));
    }
    // Staged through the appender, then swapped in by id: a first
    // evaluation on a large store saves thousands of alerts at once.
    let tx = store.conn.transaction()?;
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS alerts_staged AS SELECT * FROM alerts LIMIT 0;
         DELETE FROM alerts_staged;",
    )?;
    {
        let mut app = tx.appender("alerts_staged")?;
        let now = chrono::Utc::now().naive_utc();
        for a in alerts {
            app.append_row(params![
                a.alert_id,
                a.account_id,
                a.kind,
                a.subject,
                a.opened_on,
                a.status.as_str(),
                a.snoozed_until,
                a.resolved_on,
                a.reason,
                now
            ])?;
        }
    }
    tx.execute_batch(
        "DELETE FROM alerts WHERE alert_id IN (SELECT alert_id FROM alerts_staged);
         INSERT INTO alerts SELECT * FROM alerts_staged;
         DELETE FROM alerts_staged;",
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn list(store: &DuckStore, scope: &Scope, live_only: bool) -> Result<Vec<Alert>> {
    let live = if live_only {
        "status <> 'resolved'"
    } else {
        "true"
    };
    let sql = format!(
        "SELECT alert_id, account_id, kind, subject, strftime(opened_on, '%Y-%m-%d'), status,
                strftime(snoozed_until, '%Y-%m-%d'), strftime(resolved_on, '%Y-%m-%d'), reason
         FROM alerts WHERE {} AND {live}
         ORDER BY opened_on, account_id, kind, subject, alert_id",
        account_filter(scope)
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let day = |text: Option<String>| text.and_then(|t| t.parse::<NaiveDate>().ok());
    let rows = stmt.query_map([], |r| {
        let status: String = r.get(5)?;
        Ok((
            Alert {
                alert_id: r.get(0)?,
                account_id: r.get(1)?,
                kind: r.get(2)?,
                subject: r.get(3)?,
                opened_on: day(r.get(4)?).unwrap_or_default(),
                status: AlertStatus::Open,
                snoozed_until: day(r.get(6)?),
                resolved_on: day(r.get(7)?),
                reason: r.get(8)?,
            },
            status,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mut alert, status) = row?;
        alert.status = AlertStatus::parse(&status).ok_or_else(|| {
            StoreError::Invalid(format!(
                "alert {}: unknown status {status:?}",
                alert.alert_id
            ))
        })?;
        out.push(alert);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::DuckStore;
    use crate::{Alert, Scope, Store};
    use chrono::NaiveDate;
    use tenure_core::alerts::AlertStatus;

    #[test]
    fn alerts_are_stored_and_replaced_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 9, d).unwrap();
        let alert = |id: &str, account: &str| Alert {
            alert_id: id.into(),
            account_id: account.into(),
            kind: "feature_drop".into(),
            subject: "Search Performed".into(),
            opened_on: day(1),
            status: AlertStatus::Open,
            snoozed_until: None,
            resolved_on: None,
            reason: "it fell".into(),
        };
        store
            .save_alerts(&[alert("al-1", "a1"), alert("al-2", "a2")])
            .unwrap();
        let snoozed = Alert {
            status: AlertStatus::Snoozed,
            snoozed_until: Some(day(9)),
            ..alert("al-1", "a1")
        };
        store.save_alerts(std::slice::from_ref(&snoozed)).unwrap();
        let all = store.alerts(&Scope::default(), false).unwrap();
        assert_eq!(all, vec![snoozed, alert("al-2", "a2")]);
        let one = Scope {
            accounts: vec!["a2".into()],
            ..Scope::default()
        };
        assert_eq!(
            store.alerts(&one, false).unwrap(),
            vec![alert("al-2", "a2")]
        );
        let resolved = Alert {
            status: AlertStatus::Resolved,
            resolved_on: Some(day(2)),
            ..alert("al-2", "a2")
        };
        store.save_alerts(std::slice::from_ref(&resolved)).unwrap();
        assert_eq!(store.alerts(&one, false).unwrap(), vec![resolved]);
        assert!(store.alerts(&one, true).unwrap().is_empty(), "live only");
    }
}
