//! Trained model fits, and the days named events happened on (what the
//! propensity models' labels read).

use super::DuckStore;
use super::reports::{list, text};
use crate::{EventDay, ModelFit, Result, StoreError};
use chrono::NaiveDate;
use duckdb::params;
use tenure_core::report::Period;

pub(super) fn event_days(
    store: &DuckStore,
    period: Period,
    events: &[String],
) -> Result<Vec<EventDay>> {
    // The names the stored taxonomy calls lifecycle are all in the small
    // `lifecycle_events`; any other name is picked out of `activity_daily`.
    let lifecycle: Vec<String> = {
        let mut stmt = store.conn.prepare(&format!(
            "SELECT event FROM taxonomy WHERE kind = 'lifecycle' AND list_contains({}, event)",
            list(events)
        ))?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let others: Vec<String> = events
        .iter()
        .filter(|e| !lifecycle.contains(e))
        .cloned()
        .collect();
    let (from, to) = (text(&period.from.to_string()), text(&period.to.to_string()));
    let mut arms = vec![format!(
        "SELECT account_id, user_id, event, day, 1 AS events FROM lifecycle_events
         WHERE day BETWEEN DATE {from} AND DATE {to} AND list_contains({names}, event)",
        names = list(&lifecycle)
    )];
    if !others.is_empty() {
        // The few matching rows first, then grouped: grouping straight
        // off the scan reads every row's ids (23 s instead of 2.5 s on the
        // large preset's 139 million rollup rows).
        arms.push(format!(
            "SELECT account_id, user_id, event, day, events
             FROM activity_daily LEFT JOIN user_numbers USING (user_num)
             WHERE day BETWEEN DATE {from} AND DATE {to} AND list_contains({names}, event)",
            names = list(&others)
        ));
    }
    let sql = format!(
        "WITH hits AS MATERIALIZED ({arms})
         SELECT account_id, user_id, event, strftime(day, '%Y-%m-%d'), sum(events)::BIGINT
         FROM hits
         GROUP BY account_id, user_id, event, day ORDER BY account_id, day, event, user_id",
        arms = arms.join(" UNION ALL ")
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let day: String = r.get(3)?;
        Ok(EventDay {
            account_id: r.get(0)?,
            user_id: r.get(1)?,
            event: r.get(2)?,
            day: day.parse().unwrap_or_default(),
            events: r.get::<_, i64>(4)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn platform_users(
    store: &DuckStore,
    period: Period,
    accounts: &[String],
) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT user_id
         FROM (SELECT DISTINCT user_num FROM activity_daily
               WHERE day BETWEEN DATE {from} AND DATE {to} AND user_num IS NOT NULL
                 AND kind IN {platform} AND list_contains({accounts}, account_id))
              JOIN user_numbers USING (user_num)
         ORDER BY user_id",
        from = text(&period.from.to_string()),
        to = text(&period.to.to_string()),
        platform = super::rollup::platform_kinds(),
        accounts = list(accounts),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn activity_span(store: &DuckStore) -> Result<Option<(NaiveDate, NaiveDate)>> {
    let (first, last): (Option<String>, Option<String>) = store.conn.query_row(
        &format!(
            "SELECT strftime(min(day), '%Y-%m-%d'), strftime(max(day), '%Y-%m-%d') FROM activity_daily
             WHERE list_contains({}, kind)",
            list(&tenure_core::ActivityKind::PLATFORM.map(|k| k.as_str().to_string()))
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(match (first, last) {
        (Some(f), Some(l)) => f.parse().ok().zip(l.parse().ok()),
        _ => None,
    })
}

pub(super) fn save(store: &mut DuckStore, day: NaiveDate, fits: &[ModelFit]) -> Result<()> {
    if store.pending.is_some() {
        return Err(StoreError::Invalid(
            "save_model_fits called inside a write".into(),
        ));
    }
    if let Some(other) = fits.iter().find(|f| f.trained_on != day) {
        return Err(StoreError::Invalid(format!(
            "save_model_fits: a fit of {} among those of {day}",
            other.trained_on
        )));
    }
    let tx = store.conn.transaction()?;
    tx.execute(
        "DELETE FROM model_fits WHERE trained_on = CAST(? AS DATE)",
        [day.to_string()],
    )?;
    let now = chrono::Utc::now().naive_utc();
    for f in fits {
        tx.execute(
            "INSERT INTO model_fits VALUES (?, CAST(? AS DATE), ?, ?, ?, ?, ?, ?, ?)",
            params![
                f.model,
                f.trained_on.to_string(),
                f.method,
                f.train_rows as i64,
                f.test_rows as i64,
                f.auc,
                f.brier,
                f.params,
                now
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn latest(store: &DuckStore, day: NaiveDate) -> Result<Vec<ModelFit>> {
    let sql = format!(
        "SELECT model, strftime(trained_on, '%Y-%m-%d'), method, train_rows, test_rows, auc, brier,
                params::VARCHAR
         FROM model_fits WHERE trained_on <= DATE {day}
         QUALIFY row_number() OVER (PARTITION BY model ORDER BY trained_on DESC) = 1
         ORDER BY model",
        day = text(&day.to_string()),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let day: String = r.get(1)?;
        Ok(ModelFit {
            model: r.get(0)?,
            trained_on: day.parse().unwrap_or_default(),
            method: r.get(2)?,
            train_rows: r.get::<_, i64>(3)?.max(0) as u64,
            test_rows: r.get::<_, i64>(4)?.max(0) as u64,
            auc: r.get(5)?,
            brier: r.get(6)?,
            params: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
