//! The health history (one row per account and day scored) and the kept
//! daily propensity scores.

use super::DuckStore;
use super::reports::{account_filter, text};
use crate::{HealthRow, Result, Scope, ScoreRow, StoreError};
use chrono::NaiveDate;
use duckdb::params;
use tenure_core::report::Period;

pub(super) fn save(store: &mut DuckStore, day: NaiveDate, rows: &[HealthRow]) -> Result<()> {
    if store.pending.is_some() {
        return Err(StoreError::Invalid(
            "save_health called inside a write".into(),
        ));
    }
    if let Some(other) = rows.iter().find(|r| r.day != day) {
        return Err(StoreError::Invalid(format!(
            "save_health: a row of {} among those of {day}",
            other.day
        )));
    }
    let tx = store.conn.transaction()?;
    tx.execute(
        "DELETE FROM health_daily WHERE day = CAST(? AS DATE)",
        [day.to_string()],
    )?;
    {
        // The appender: a day of a large store is thousands of rows.
        let mut app = tx.appender("health_daily")?;
        let now = chrono::Utc::now().naive_utc();
        for r in rows {
            app.append_row(params![
                r.account_id,
                r.day,
                r.score,
                r.band,
                r.profile,
                r.components,
                now
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn history(store: &DuckStore, period: Period, scope: &Scope) -> Result<Vec<HealthRow>> {
    let sql = format!(
        "SELECT account_id, strftime(day, '%Y-%m-%d'), score, band, profile, components::VARCHAR
         FROM health_daily
         WHERE day BETWEEN DATE {from} AND DATE {to} AND {filter}
         ORDER BY account_id, day",
        from = text(&period.from.to_string()),
        to = text(&period.to.to_string()),
        filter = account_filter(scope),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let day: String = r.get(1)?;
        Ok(HealthRow {
            account_id: r.get(0)?,
            day: day.parse().unwrap_or_default(),
            score: r.get(2)?,
            band: r.get(3)?,
            profile: r.get(4)?,
            components: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn last_day(store: &DuckStore) -> Result<Option<NaiveDate>> {
    let day: Option<String> = store.conn.query_row(
        "SELECT strftime(max(day), '%Y-%m-%d') FROM health_daily",
        [],
        |r| r.get(0),
    )?;
    Ok(day.and_then(|d| d.parse().ok()))
}

pub(super) fn save_scores(
    store: &mut DuckStore,
    day: NaiveDate,
    rows: &[ScoreRow],
    retain_days: u32,
) -> Result<()> {
    if store.pending.is_some() {
        return Err(StoreError::Invalid(
            "save_scores called inside a write".into(),
        ));
    }
    if let Some(other) = rows.iter().find(|r| r.day != day) {
        return Err(StoreError::Invalid(format!(
            "save_scores: a row of {} among those of {day}",
            other.day
        )));
    }
    let tx = store.conn.transaction()?;
    let oldest = day - chrono::Days::new(u64::from(retain_days));
    tx.execute(
        "DELETE FROM scores_daily WHERE day = CAST(? AS DATE) OR day < CAST(? AS DATE)",
        [day.to_string(), oldest.to_string()],
    )?;
    {
        // The appender: a day of a large store is half a million rows.
        let mut app = tx.appender("scores_daily")?;
        for r in rows {
            app.append_row(params![r.day, r.account_id, r.user_id, r.model, r.score])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn scores_on(
    store: &DuckStore,
    day: NaiveDate,
    model: Option<&str>,
) -> Result<Vec<ScoreRow>> {
    let mut stmt = store.conn.prepare(
        "SELECT account_id, user_id, model, score FROM scores_daily
         WHERE day = CAST(? AS DATE) AND (?::VARCHAR IS NULL OR model = ?)
         ORDER BY model, account_id, user_id NULLS FIRST",
    )?;
    let rows = stmt.query_map(params![day.to_string(), model, model], |r| {
        Ok(ScoreRow {
            day,
            account_id: r.get(0)?,
            user_id: r.get(1)?,
            model: r.get(2)?,
            score: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

pub(super) fn score_crossings(
    store: &DuckStore,
    day: NaiveDate,
    model: &str,
    threshold: f64,
    upwards: bool,
) -> Result<Option<Vec<(ScoreRow, ScoreRow)>>> {
    let before = day - chrono::Days::new(1);
    let (days, model_sql) = (
        (text(&before.to_string()), text(&day.to_string())),
        text(model),
    );
    let kept: (i64, i64) = store.conn.query_row(
        &format!(
            "SELECT count(*) FILTER (WHERE day = DATE {b}), count(*) FILTER (WHERE day = DATE {d})
             FROM scores_daily WHERE model = {model_sql} AND day IN (DATE {b}, DATE {d})",
            b = days.0,
            d = days.1
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if kept.0 == 0 || kept.1 == 0 {
        return Ok(None);
    }
    let crossed = if upwards {
        "w.score < ? AND n.score >= ?"
    } else {
        "w.score > ? AND n.score <= ?"
    };
    let mut stmt = store.conn.prepare(&format!(
        "SELECT n.account_id, n.user_id, w.score, n.score
         FROM scores_daily n JOIN scores_daily w
           ON w.account_id = n.account_id AND w.user_id IS NOT DISTINCT FROM n.user_id
          AND w.model = n.model AND w.day = DATE {b}
         WHERE n.day = DATE {d} AND n.model = {model_sql} AND {crossed}
         ORDER BY n.account_id, n.user_id NULLS FIRST",
        b = days.0,
        d = days.1
    ))?;
    let rows = stmt.query_map(params![threshold, threshold], |r| {
        let (account_id, user_id): (String, Option<String>) = (r.get(0)?, r.get(1)?);
        let row = |day: NaiveDate, score: f64| ScoreRow {
            day,
            account_id: account_id.clone(),
            user_id: user_id.clone(),
            model: model.to_string(),
            score,
        };
        Ok((row(before, r.get(2)?), row(day, r.get(3)?)))
    })?;
    Ok(Some(rows.collect::<duckdb::Result<_>>()?))
}

#[cfg(test)]
mod tests {
    use super::super::DuckStore;
    use crate::{HealthRow, Scope, Store};
    use chrono::NaiveDate;
    use tenure_core::report::Period;

    fn row(account: &str, day: NaiveDate, score: f64) -> HealthRow {
        HealthRow {
            account_id: account.into(),
            day,
            score,
            band: "green".into(),
            profile: "standard".into(),
            components: r#"{"active_users": 50}"#.into(),
        }
    }

    #[test]
    fn scoring_a_day_again_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 9, d).unwrap();
        assert_eq!(store.last_health_day().unwrap(), None);
        store
            .save_health(day(1), &[row("a1", day(1), 80.0), row("a2", day(1), 30.0)])
            .unwrap();
        store
            .save_health(day(2), &[row("a1", day(2), 75.0)])
            .unwrap();
        store
            .save_health(day(1), &[row("a1", day(1), 81.0)])
            .unwrap();
        assert_eq!(store.last_health_day().unwrap(), Some(day(2)));
        let all = Period {
            from: day(1),
            to: day(30),
        };
        let got = store.health_history(all, &Scope::default()).unwrap();
        assert_eq!(got, vec![row("a1", day(1), 81.0), row("a1", day(2), 75.0)]);
        let one = Scope {
            accounts: vec!["a2".into()],
            ..Scope::default()
        };
        assert!(store.health_history(all, &one).unwrap().is_empty());
        let first = Period {
            from: day(1),
            to: day(1),
        };
        assert_eq!(
            store
                .health_history(first, &Scope::default())
                .unwrap()
                .len(),
            1
        );
        assert!(
            store
                .save_health(day(3), &[row("a1", day(2), 1.0)])
                .is_err()
        );
    }

    #[test]
    fn keeping_a_days_scores_again_replaces_them() {
        use crate::ScoreRow;
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 9, d).unwrap();
        let score = |d: u32, account: &str, user: Option<&str>, model: &str, p: f64| ScoreRow {
            day: day(d),
            account_id: account.into(),
            user_id: user.map(String::from),
            model: model.into(),
            score: p,
        };
        assert!(store.scores_on(day(1), None).unwrap().is_empty());
        store
            .save_scores(
                day(1),
                &[
                    score(1, "a1", None, "churn", 0.2),
                    score(1, "a1", Some("u1"), "advocacy", 0.7),
                ],
                30,
            )
            .unwrap();
        store
            .save_scores(day(1), &[score(1, "a1", None, "churn", 0.3)], 30)
            .unwrap();
        store
            .save_scores(day(2), &[score(2, "a2", None, "churn", 0.9)], 30)
            .unwrap();
        assert_eq!(
            store.scores_on(day(1), None).unwrap(),
            [score(1, "a1", None, "churn", 0.3)]
        );
        assert!(
            store
                .scores_on(day(2), Some("advocacy"))
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.scores_on(day(2), Some("churn")).unwrap().len(), 1);
        assert!(
            store
                .save_scores(day(3), &[score(2, "a2", None, "churn", 0.9)], 30)
                .is_err()
        );
        // Crossings need both days kept: the 2nd (a2 at 0.9) has no day
        // before for a2; a1 on the 1st had no 31 August.
        assert_eq!(
            store.score_crossings(day(1), "churn", 0.5, true).unwrap(),
            None
        );
        assert_eq!(
            store.score_crossings(day(2), "churn", 0.5, true).unwrap(),
            Some(vec![])
        );
        store
            .save_scores(
                day(2),
                &[
                    score(2, "a1", None, "churn", 0.6),
                    score(2, "a2", None, "churn", 0.9),
                ],
                30,
            )
            .unwrap();
        assert_eq!(
            store.score_crossings(day(2), "churn", 0.5, true).unwrap(),
            Some(vec![(
                score(1, "a1", None, "churn", 0.3),
                score(2, "a1", None, "churn", 0.6)
            )])
        );
        assert_eq!(
            store.score_crossings(day(2), "churn", 0.5, false).unwrap(),
            Some(vec![])
        );
        // Keeping the 3rd with one day retained drops the 1st.
        store.save_scores(day(3), &[], 1).unwrap();
        assert!(store.scores_on(day(1), None).unwrap().is_empty());
        assert_eq!(store.scores_on(day(2), None).unwrap().len(), 2);
    }
}
