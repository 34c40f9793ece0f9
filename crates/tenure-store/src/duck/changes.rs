//! What can have changed from one day to the next, for the playbooks'
//! triggers. Each query first finds the few users whose state can differ
//! (a rolling window changes only by the day it takes in and the day it
//! leaves behind; achievements only by first times on the day), then reads
//! those users' rows alone, so a day over a million users costs what its
//! movers cost rather than a scan of everyone twice.

use super::DuckStore;
use super::arrow::{Columns, flag_at, kind_counts, opt_text};
use super::reports::{achievements_sql, end_of, text};
use crate::{AchievementMove, ActivityMove, Champion, Result};
use chrono::{Days, NaiveDate};
use tenure_core::report::Period;

/// The [`tenure_core::report::KindCounts`] fields, each as the `activity_daily` condition
/// that counts towards it.
const COUNTS: [(&str, &str); 8] = [
    ("consume", "kind = 'consume'"),
    ("login", "kind = 'login'"),
    ("research", "kind = 'research'"),
    ("maintain", "kind = 'maintain'"),
    ("share", "kind = 'share'"),
    ("message", "kind = 'message'"),
    ("portal", "kind = 'portal'"),
    ("messages_sent", "event = 'Message Sent'"),
];

/// Each of [`COUNTS`] summed over the rows that also pass `when`, named
/// with `prefix`.
fn sums(prefix: &str, when: &str) -> String {
    COUNTS
        .iter()
        .map(|(name, cond)| {
            format!(
                "coalesce(sum(events) FILTER (WHERE {cond} AND {when}), 0)::BIGINT AS {prefix}{name}"
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each of [`COUNTS`] in the window less its count on one end day
/// (`end`: `l` the day the window leaves, `d` the day it takes in).
fn window_less(end: &str) -> String {
    COUNTS
        .iter()
        .map(|(name, _)| format!("(t.t_{name} - e.{end}_{name})::BIGINT"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Users licensed at the end of `day` and of the day before whose
/// activity in the `days`-day window ending on `day` may differ from the
/// window ending the day before: those with events on `day` or on the day
/// the earlier window starts. Both windows' counts, by user.
pub(super) fn activity_moves(
    store: &DuckStore,
    day: NaiveDate,
    days: u32,
) -> Result<Vec<ActivityMove>> {
    let days = u64::from(days.max(1));
    let (left, before) = (day - Days::new(days), day - Days::new(1));
    let (left_sql, day_sql) = (text(&left.to_string()), text(&day.to_string()));
    let sql = format!(
        // The window from the day it leaves to the day it takes in, summed
        // once per user; each end day's counts apart (two days: cheap);
        // the window ending on the day is the whole less the day it left,
        // the one ending the day before the whole less the day it took.
        "WITH ends AS (SELECT user_num, {left_sums}, {day_sums} FROM activity_daily
                       WHERE day IN (DATE {left_sql}, DATE {day_sql}) AND user_num IS NOT NULL
                       GROUP BY user_num),
              t AS (SELECT user_num, {all_sums} FROM activity_daily
                    WHERE day BETWEEN DATE {left_sql} AND DATE {day_sql} AND user_num IS NOT NULL
                    GROUP BY user_num),
              now_us AS (SELECT user_id, account_id FROM ({now_users}) WHERE licensed),
              was_us AS (SELECT user_id FROM ({was_users}) WHERE licensed)
         SELECT user_id, account_id, {now}, {was}
         FROM ends e JOIN t USING (user_num) JOIN user_numbers USING (user_num)
              JOIN now_us USING (user_id) JOIN was_us USING (user_id)
         ORDER BY account_id NULLS LAST, user_id",
        now_users = store.users_at_sql(&format!("TIMESTAMP {}", end_of(day)))?,
        was_users = store.users_at_sql(&format!("TIMESTAMP {}", end_of(before)))?,
        left_sums = sums("l_", &format!("day = DATE {left_sql}")),
        day_sums = sums("d_", &format!("day = DATE {day_sql}")),
        all_sums = sums("t_", "true"),
        now = window_less("l"),
        was = window_less("d"),
    );
    // Read as Arrow batches: a day moves a hundred thousand users.
    let mut stmt = store.conn.prepare(&sql)?;
    let mut out = Vec::new();
    for batch in stmt.query_arrow([])? {
        let c = Columns {
            batch: &batch,
            what: "activity_moves",
        };
        let (user, account) = (c.text(0)?, c.text(1)?);
        let sums: Vec<_> = (2..18).map(|i| c.int(i)).collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            out.push(ActivityMove {
                user_id: user.value(row).to_string(),
                account_id: opt_text(account, row),
                now: kind_counts(&sums, 0, row),
                before: kind_counts(&sums, 8, row),
            });
        }
    }
    Ok(out)
}

/// Users licensed at the end of `day` with a first time on `day` of an
/// event some achievement counts: their achievements done by the end of
/// `day` and by the end of the day before.
pub(super) fn achievement_moves(
    store: &DuckStore,
    day: NaiveDate,
    achievements: &[tenure_core::rules::Achievement],
) -> Result<Vec<AchievementMove>> {
    let (start, end) = (end_of(day - Days::new(1)), end_of(day));
    let sql = format!(
        "WITH ach AS ({values}),
              firsts AS (SELECT f.user_num, a.i, f.first_at FROM user_firsts f JOIN ach a ON a.event = f.event
                         WHERE f.first_at < TIMESTAMP {end}
                           AND (len(a.details) = 0 OR list_contains(a.details, lower(f.detail)))),
              moved AS (SELECT DISTINCT user_num FROM firsts WHERE first_at >= TIMESTAMP {start}),
              done AS (SELECT k.user_id, d.now, d.before
                       FROM (SELECT user_num, count(DISTINCT i) AS now,
                                    count(DISTINCT i) FILTER (WHERE first_at < TIMESTAMP {start})
                                        AS before
                             FROM firsts WHERE user_num IN (SELECT user_num FROM moved)
                             GROUP BY user_num) d
                            JOIN user_numbers k USING (user_num)),
              us AS (SELECT user_id, account_id FROM ({users})
                     WHERE licensed AND user_id IN (SELECT user_id FROM done))
         SELECT us.user_id, us.account_id, done.now, done.before
         FROM us JOIN done USING (user_id)
         ORDER BY us.account_id NULLS LAST, us.user_id",
        values = achievements_sql(achievements),
        users = store.users_at_sql(&format!("TIMESTAMP {end}"))?,
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(AchievementMove {
            user_id: r.get(0)?,
            account_id: r.get(1)?,
            now: r.get::<_, i64>(2)?.max(0) as u64,
            before: r.get::<_, i64>(3)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// The users whose seat may be dated `day` at the end of `day` or later:
/// those whose seat is dated `day` now, and those whose seat changed from
/// `day` on (a seat dated `day` at a later day's end either is still
/// there or was changed since). Sorted.
pub(super) fn seats_assigned_on(store: &DuckStore, day: NaiveDate) -> Result<Vec<String>> {
    let day = text(&day.to_string());
    let sql = format!(
        "SELECT id FROM users WHERE seat_assigned_at::DATE = DATE {day}
         UNION
         SELECT user_id FROM user_changes
         WHERE field = 'seat_assigned_at' AND changed_at >= TIMESTAMP {day}
         ORDER BY 1"
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// The users engaging in `before` (licensed at its end, with at least
/// `min_research` research and maintain events and `min_social` shares
/// and messages sent), each with the account then, the counts then, and
/// at the end of `now` whether and where they hold a seat and whether
/// they did anything in `now` (a consume or platform event). One pass per
/// period: the engaging users are found in the grouped rows, not by
/// probing the activity for a list of ids.
pub(super) fn champions(
    store: &DuckStore,
    before: Period,
    now: Period,
    min_research: u64,
    min_social: u64,
) -> Result<Vec<Champion>> {
    let window = |p: Period| {
        format!(
            "day BETWEEN DATE {} AND DATE {} AND user_num IS NOT NULL",
            text(&p.from.to_string()),
            text(&p.to.to_string())
        )
    };
    let sql = format!(
        "WITH was AS (SELECT user_num, {was_sums} FROM activity_daily WHERE {was_window}
                      GROUP BY user_num
                      HAVING b_research + b_maintain >= {min_research}
                         AND b_share + b_messages_sent >= {min_social}),
              was_us AS (SELECT user_id, account_id FROM ({was_users}) WHERE licensed),
              cur AS (SELECT DISTINCT user_num FROM activity_daily
                      WHERE {now_window} AND kind IN {active}),
              cur_us AS ({now_users})
         SELECT k.user_id, wu.account_id, cu.licensed, cu.account_id,
                c.user_num IS NOT NULL AS active, w.* EXCLUDE (user_num)
         FROM was w JOIN user_numbers k USING (user_num) JOIN was_us wu ON wu.user_id = k.user_id
              LEFT JOIN cur_us cu ON cu.user_id = k.user_id LEFT JOIN cur c ON c.user_num = w.user_num
         ORDER BY wu.account_id NULLS LAST, k.user_id",
        was_sums = sums("b_", "true"),
        was_window = window(before),
        now_window = window(now),
        active = active_kinds(),
        was_users = store.users_at_sql(&format!("TIMESTAMP {}", end_of(before.to)))?,
        now_users = store.users_at_sql(&format!("TIMESTAMP {}", end_of(now.to)))?,
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let mut out = Vec::new();
    for batch in stmt.query_arrow([])? {
        let c = Columns {
            batch: &batch,
            what: "champions",
        };
        let (user, account, account_now) = (c.text(0)?, c.text(1)?, c.text(3)?);
        let (licensed, active) = (c.flag(2)?, c.flag(4)?);
        let counts: Vec<_> = (5..13).map(|i| c.int(i)).collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            out.push(Champion {
                user_id: user.value(row).to_string(),
                account_id: opt_text(account, row),
                before: kind_counts(&counts, 0, row),
                licensed_now: flag_at(licensed, row),
                account_now: opt_text(account_now, row),
                active_now: flag_at(active, row),
            });
        }
    }
    Ok(out)
}

/// The kinds that make a user not dormant: consume and the platform's.
fn active_kinds() -> String {
    let mut kinds: Vec<String> = tenure_core::ActivityKind::PLATFORM
        .iter()
        .map(|k| text(k.as_str()))
        .collect();
    kinds.push(text(tenure_core::ActivityKind::Consume.as_str()));
    format!("({})", kinds.join(", "))
}
