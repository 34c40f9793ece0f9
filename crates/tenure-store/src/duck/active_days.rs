//! Each user's active days up to a day, from the day bits of `user_months`
//! (bit d-1 set: a platform event on day d of that month).

use super::DuckStore;
use super::arrow::{Columns, flag_at, opt_text};
use super::reports::{end_of, month_of, text};
use crate::{ActiveDays, Result};
use chrono::{Datelike, NaiveDate};

pub(super) fn user_active_days(store: &DuckStore, to: NaiveDate) -> Result<Vec<ActiveDays>> {
    let month = month_of(to);
    // Per month, the day bits (the last month's cut after `to`); the first
    // active day is the month plus the lowest bit's index, the last the
    // month plus the highest's.
    let sql = format!(
        "WITH m AS (SELECT user_id, month, bit_or(days)::BIGINT AS days FROM user_months
                    WHERE month <= DATE {month} GROUP BY user_id, month),
              cut AS (SELECT user_id, month,
                             CASE WHEN month = DATE {month} THEN days & ((1::BIGINT << {day}) - 1)
                                  ELSE days END AS days
                      FROM m),
              per AS (SELECT user_id, sum(bit_count(days))::BIGINT AS n,
                             min(month + bit_count((days & -days) - 1)::INTEGER) AS first_day,
                             max(month + floor(log2(days))::INTEGER) AS last_day
                      FROM cut WHERE days <> 0 GROUP BY user_id)
         SELECT per.user_id, us.account_id, coalesce(us.groups, []::VARCHAR[]), coalesce(us.licensed, false), n,
                (first_day - DATE '1970-01-01')::BIGINT, (last_day - DATE '1970-01-01')::BIGINT
         FROM per LEFT JOIN ({users}) us USING (user_id)
         ORDER BY us.account_id NULLS LAST, per.user_id",
        month = text(&month.to_string()),
        day = to.day(),
        users = store.users_at_sql(&format!("TIMESTAMP {}", end_of(to)))?,
    );
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let date = |days: i64| epoch + chrono::Duration::days(days);
    let mut stmt = store.conn.prepare(&sql)?;
    let mut out = Vec::new();
    for batch in stmt.query_arrow([])? {
        let c = Columns {
            batch: &batch,
            what: "user_active_days",
        };
        let (user, account, groups, licensed) = (c.text(0)?, c.text(1)?, c.list(2)?, c.flag(3)?);
        let (n, first, last) = (c.int(4)?, c.int(5)?, c.int(6)?);
        for row in 0..batch.num_rows() {
            out.push(ActiveDays {
                user_id: user.value(row).to_string(),
                account_id: opt_text(account, row),
                groups: c.texts(groups, row)?,
                licensed: flag_at(licensed, row),
                days: n.value(row).max(0) as u64,
                first: date(first.value(row)),
                last: date(last.value(row)),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::DuckStore;
    use crate::{Dedup, Store, WriteBatch};
    use chrono::NaiveDate;
    use serde_json::json;
    use tenure_core::time::parse_timestamp;
    use tenure_core::{ActivityKind, Entity, EntityChange, Event};

    fn event(n: usize, user: &str, kind: ActivityKind, at: &str) -> Event {
        Event {
            user_id: Some(user.into()),
            properties: Some("{}".into()),
            ..Event::track(
                &format!("m{n}"),
                "Something",
                kind,
                parse_timestamp(at).unwrap(),
            )
        }
    }

    #[test]
    fn active_days_count_distinct_platform_days_up_to_the_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        use ActivityKind::*;
        let events = vec![
            event(1, "u1", Login, "2026-01-03T08:00:00Z"),
            event(2, "u1", Research, "2026-01-03T23:59:59Z"),
            event(3, "u1", Login, "2026-01-31T12:00:00Z"),
            event(4, "u1", Consume, "2026-02-01T12:00:00Z"),
            event(5, "u1", Share, "2026-02-10T00:00:00Z"),
            event(6, "u1", Login, "2026-03-31T00:00:00Z"),
            event(7, "u2", Login, "2026-02-01T00:00:00Z"),
            event(8, "u3", Consume, "2026-01-05T00:00:00Z"),
        ];
        let seat = json!("2026-01-01T00:00:00Z");
        let at = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
        let changes = vec![
            EntityChange::new(Entity::User, "u1", "account_id", json!("a1"), at),
            EntityChange::new(Entity::User, "u1", "seat_assigned_at", seat, at),
        ];
        store
            .write(&WriteBatch { events, changes }, Dedup::Done)
            .unwrap();
        store.refresh_rollups().unwrap();
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let got = |to: NaiveDate| -> Vec<(String, u64, NaiveDate, NaiveDate, bool)> {
            store
                .user_active_days(to)
                .unwrap()
                .into_iter()
                .map(|a| (a.user_id, a.days, a.first, a.last, a.licensed))
                .collect()
        };
        assert_eq!(got(day(1, 2)), vec![]);
        assert_eq!(
            got(day(1, 30)),
            vec![("u1".into(), 1, day(1, 3), day(1, 3), true)]
        );
        // Day 31 is the month's last bit; consume is not activity.
        assert_eq!(
            got(day(2, 9)),
            vec![
                ("u1".into(), 2, day(1, 3), day(1, 31), true),
                ("u2".into(), 1, day(2, 1), day(2, 1), false),
            ]
        );
        assert_eq!(
            got(day(3, 31))[0],
            ("u1".into(), 4, day(1, 3), day(3, 31), true)
        );
        assert_eq!(got(day(3, 30))[0].1, 3);
        let u2 = &store.user_active_days(day(3, 31)).unwrap()[1];
        assert_eq!((u2.account_id.as_deref(), u2.groups.len()), (None, 0));
    }
}
