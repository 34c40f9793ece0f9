//! Seats: each account's funnel (assigned, activated, pending) and its
//! active users, counted in SQL, and the pending seats themselves. A
//! report over every account reads a row per account, not per user.

use super::DuckStore;
use super::arrow::{Columns, opt_int, opt_text};
use super::reports::{end_of, last_active_sql, month_of, scope_filter, text};
use crate::{AccountSeats, PendingSeat, Result, Scope};
use chrono::{Datelike, Months, NaiveDate};
use tenure_core::report::Period;

/// The scope with every user in it, licensed or not (the queries here
/// count the licensed ones themselves).
fn everyone(scope: &Scope) -> Scope {
    Scope {
        all_users: true,
        ..scope.clone()
    }
}

/// The months `period` touches, each with the bits of its days that fall
/// in the period (bit d-1 for day d, as `user_months.days` keeps them).
pub(super) fn month_masks(period: Period) -> Vec<(NaiveDate, i64)> {
    let (first, last) = (month_of(period.from), month_of(period.to));
    let mut out = Vec::new();
    let mut month = first;
    while month <= last {
        let lo = if month == first { period.from.day() } else { 1 };
        let hi = if month == last { period.to.day() } else { 31 };
        let mask = ((1i64 << hi) - 1) & !((1i64 << (lo - 1)) - 1);
        out.push((month, mask));
        let Some(next) = month.checked_add_months(Months::new(1)) else {
            break;
        };
        month = next;
    }
    out
}

/// SQL for the users with a platform event in `period`: `user_id`, one
/// row each. Reads the months' day bits in `user_months` (a row per user
/// and month) rather than every day's rows in `activity_daily`.
pub(super) fn active_users_sql(period: Period) -> String {
    let masks = month_masks(period);
    let arms: String = masks
        .iter()
        .map(|(month, mask)| format!(" WHEN DATE {} THEN {mask}", text(&month.to_string())))
        .collect();
    format!(
        "SELECT DISTINCT user_id FROM user_months
         WHERE month BETWEEN DATE {first} AND DATE {last}
           AND (days::BIGINT & CASE month{arms} ELSE 0 END) <> 0",
        first = text(&month_of(period.from).to_string()),
        last = text(&month_of(period.to).to_string()),
    )
}

pub(super) fn account_seats(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    pending_days: u32,
) -> Result<Vec<AccountSeats>> {
    let end = end_of(period.to);
    let sql = format!(
        "WITH us AS (SELECT * FROM ({users}) WHERE {filter}),
              last AS ({last}),
              active AS ({active})
         SELECT us.account_id,
                count(*) FILTER (WHERE licensed),
                count(*) FILTER (WHERE licensed AND last.last_active_at IS NOT NULL),
                count(*) FILTER (WHERE licensed AND last.last_active_at IS NULL
                                   AND seat_assigned_at <= TIMESTAMP {end} - INTERVAL {pending_days} DAY),
                count(active.user_id)
         FROM us LEFT JOIN last USING (user_id) LEFT JOIN active USING (user_id)
         WHERE us.account_id IS NOT NULL
         GROUP BY us.account_id ORDER BY us.account_id",
        users = store.users_at_sql(&format!("TIMESTAMP {end}"))?,
        filter = scope_filter(&everyone(scope)),
        last = last_active_sql(store, period.to)?,
        active = active_users_sql(period),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let n = |i: usize| -> duckdb::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
        Ok(AccountSeats {
            account_id: r.get(0)?,
            assigned: n(1)?,
            activated: n(2)?,
            pending: n(3)?,
            active_users: n(4)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

pub(super) fn pending_seats(
    store: &DuckStore,
    day: NaiveDate,
    days: u32,
    scope: &Scope,
) -> Result<Vec<PendingSeat>> {
    let end = end_of(day);
    let sql = format!(
        "SELECT u.user_id, u.account_id, u.email, epoch_us(u.seat_assigned_at)
         FROM (SELECT * FROM ({users}) WHERE {filter}) u LEFT JOIN ({last}) l USING (user_id)
         WHERE u.licensed AND l.last_active_at IS NULL
           AND u.seat_assigned_at <= TIMESTAMP {end} - INTERVAL {days} DAY
         ORDER BY u.account_id NULLS LAST, u.user_id",
        users = store.users_at_sql(&format!("TIMESTAMP {end}"))?,
        filter = scope_filter(scope),
        last = last_active_sql(store, day)?,
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let mut out = Vec::new();
    for batch in stmt.query_arrow([])? {
        let c = Columns {
            batch: &batch,
            what: "pending_seats",
        };
        let (user, account, email, seat) = (c.text(0)?, c.text(1)?, c.text(2)?, c.int(3)?);
        for row in 0..batch.num_rows() {
            out.push(PendingSeat {
                user_id: user.value(row).to_string(),
                account_id: opt_text(account, row),
                email: opt_text(email, row),
                seat_assigned_at: super::utc(opt_int(seat, row)),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_masks_keep_the_days_of_the_period_in_each_month() {
        let period = Period {
            from: day("2026-01-30"),
            to: day("2026-03-02"),
        };
        assert_eq!(
            month_masks(period),
            vec![
                (day("2026-01-01"), (1 << 29) | (1 << 30)),
                (day("2026-02-01"), (1 << 31) - 1),
                (day("2026-03-01"), 0b11),
            ]
        );
        let one = Period {
            from: day("2026-10-02"),
            to: day("2026-10-31"),
        };
        assert_eq!(
            month_masks(one),
            vec![(day("2026-10-01"), ((1 << 31) - 1) & !1)]
        );
    }
}
