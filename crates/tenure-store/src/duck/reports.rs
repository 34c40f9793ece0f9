//! Report queries over the rollup and the state-as-of views.

use super::arrow::{Columns, flag_at, kind_counts, opt_int, opt_text};
use super::{DuckStore, utc};
use crate::{
    AccountActivity, AccountAt, AccountEvents, EventUsage, Feedback, Reach, Result, Scope,
    UserActivity,
};
use chrono::Datelike;
use tenure_core::report::{Period, end_of_day};

/// A SQL string literal.
pub(super) fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| text(s)).collect();
    format!("[{}]::VARCHAR[]", items.join(", "))
}

/// `WHERE` conditions on a row with `user_id`, `account_id`, `groups`,
/// `licensed` for the scope's filters.
pub(super) fn scope_filter(scope: &Scope) -> String {
    let mut conditions = vec!["true".to_string()];
    if !scope.all_users {
        conditions.push("licensed".into());
    }
    conditions.push(account_filter(scope));
    if !scope.groups.is_empty() {
        conditions.push(format!("list_has_any(groups, {})", list(&scope.groups)));
    }
    if !scope.users.is_empty() {
        conditions.push(format!("list_contains({}, user_id)", list(&scope.users)));
    }
    conditions.join(" AND ")
}

/// The numbers (`user_num` in `activity_daily` and `user_firsts`) of the
/// users whose ids `ids` (a query of one column) gives, as a subquery.
pub(super) fn numbers_of(ids: &str) -> String {
    format!("(SELECT user_num FROM user_numbers WHERE user_id IN ({ids}))")
}

/// Whether the scope names accounts, groups or users: then a query reads
/// the rollup rows of its users alone (a semi-join on the users in
/// scope); over every user, reading all the period's rows and letting the
/// final join drop the rest costs less than the probe.
pub(super) fn is_narrow(scope: &Scope) -> bool {
    !(scope.accounts.is_empty() && scope.groups.is_empty() && scope.users.is_empty())
}

/// The first day of `day`'s month.
pub(super) fn month_of(day: chrono::NaiveDate) -> chrono::NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The end of day `to` as a SQL timestamp literal (exclusive bound).
pub(super) fn end_of(to: chrono::NaiveDate) -> String {
    text(&end_of_day(to).format("%Y-%m-%d %H:%M:%S").to_string())
}

/// The scope's account filter on a row with `account_id`.
pub(super) fn account_filter(scope: &Scope) -> String {
    if scope.accounts.is_empty() {
        "true".to_string()
    } else {
        format!("list_contains({}, account_id)", list(&scope.accounts))
    }
}

pub(super) fn accounts_at(
    store: &DuckStore,
    at: chrono::NaiveDate,
    scope: &Scope,
) -> Result<Vec<AccountAt>> {
    let filter = account_filter(scope);
    let sql = format!(
        "SELECT x.account_id, x.name, x.seats_purchased, x.archived, x.has_portal_access,
                epoch_us(c.created_at), x.plan, x.mrr, x.csm_owner, x.renewal_date
         FROM ({}) x LEFT JOIN accounts c ON c.id = x.account_id
         WHERE {filter} ORDER BY x.account_id",
        store.accounts_at_sql(&format!("TIMESTAMP {}", end_of(at)))?
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(AccountAt {
            account_id: r.get(0)?,
            name: r.get(1)?,
            seats_purchased: r.get::<_, Option<i64>>(2)?.map(|n| n.max(0) as u64),
            archived: r.get(3)?,
            has_portal_access: r.get(4)?,
            created_at: utc(r.get(5)?),
            plan: r.get(6)?,
            mrr: r.get(7)?,
            csm_owner: r.get(8)?,
            renewal_date: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn account_activity(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
) -> Result<Vec<AccountActivity>> {
    let filter = account_filter(scope);
    let sql = format!(
        "SELECT account_id,
                coalesce(sum(events) FILTER (WHERE event = 'Portal Viewed'), 0),
                coalesce(sum(events) FILTER (WHERE event = 'Document Downloaded'), 0),
                coalesce(sum(events) FILTER (WHERE kind = 'share'), 0)
         FROM activity_daily
         WHERE day BETWEEN DATE {from} AND DATE {to} AND account_id IS NOT NULL AND {filter}
         GROUP BY account_id ORDER BY account_id",
        from = text(&period.from.to_string()),
        to = text(&period.to.to_string()),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let n = |i: usize| -> duckdb::Result<u64> { Ok(r.get::<_, i64>(i)? as u64) };
        Ok(AccountActivity {
            account_id: r.get(0)?,
            portal_views: n(1)?,
            downloads: n(2)?,
            shares: n(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn account_events(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
) -> Result<Vec<AccountEvents>> {
    per_account(store, period, scope, "event", "event IS NOT NULL")
}

pub(super) fn account_events_of(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    events: &[String],
) -> Result<Vec<AccountEvents>> {
    let only = format!("list_contains({}, event)", list(events));
    per_account(store, period, scope, "event", &only)
}

pub(super) fn account_details(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    event: &str,
) -> Result<Vec<AccountEvents>> {
    let only = format!("event = {} AND detail IS NOT NULL", text(event));
    per_account(store, period, scope, "detail", &only)
}

/// Per account and `key` (a column of `activity_daily`) of the rows
/// matching `only`, the events in `period`.
fn per_account(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    key: &str,
    only: &str,
) -> Result<Vec<AccountEvents>> {
    let sql = format!(
        "SELECT account_id, {key}, any_value(kind), sum(events)::BIGINT FROM activity_daily
         WHERE day BETWEEN DATE {from} AND DATE {to} AND account_id IS NOT NULL
           AND {only} AND {filter}
         GROUP BY account_id, {key} ORDER BY account_id, {key}",
        from = text(&period.from.to_string()),
        to = text(&period.to.to_string()),
        filter = account_filter(scope),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(AccountEvents {
            account_id: r.get(0)?,
            event: r.get(1)?,
            kind: r.get(2)?,
            events: r.get::<_, i64>(3)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn feedback(store: &DuckStore, period: Period, scope: &Scope) -> Result<Vec<Feedback>> {
    let sql = format!(
        "SELECT account_id, user_id, strftime(day, '%Y-%m-%d'), event, score, text
         FROM feedback_events
         WHERE day BETWEEN DATE {from} AND DATE {to} AND {filter}
         ORDER BY account_id NULLS LAST, occurred_at, user_id",
        from = text(&period.from.to_string()),
        to = text(&period.to.to_string()),
        filter = account_filter(scope),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let day: String = r.get(2)?;
        Ok(Feedback {
            account_id: r.get(0)?,
            user_id: r.get(1)?,
            day: day.parse().unwrap_or_default(),
            event: r.get(3)?,
            score: r.get(4)?,
            text: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn reach(store: &DuckStore, period: Period, scope: &Scope) -> Result<Vec<Reach>> {
    let sql = format!(
        "SELECT account_id, user_id, event, channel, recipient_id, recipient_email, count(*)
         FROM social_events
         WHERE day BETWEEN DATE {from} AND DATE {to} AND event IS DISTINCT FROM 'Message Answered'
           AND user_id IS NOT NULL AND {filter}
         GROUP BY ALL ORDER BY ALL",
        from = text(&period.from.to_string()),
        to = text(&period.to.to_string()),
        filter = account_filter(scope),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(Reach {
            account_id: r.get(0)?,
            user_id: r.get(1)?,
            event: r.get(2)?,
            channel: r.get(3)?,
            recipient_id: r.get(4)?,
            recipient_email: r.get(5)?,
            count: r.get::<_, i64>(6)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The `activity_daily` rows of `period` in `scope` that [`event_usage`]
/// reads, and the column it groups by (`event`, or `detail` of
/// `detail_of`): `WHERE` conditions and the column.
fn usage_rows(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    detail_of: Option<&str>,
) -> Result<(String, &'static str, String)> {
    let mut filter = vec![
        format!(
            "day BETWEEN DATE {} AND DATE {}",
            text(&period.from.to_string()),
            text(&period.to.to_string())
        ),
        account_filter(scope),
    ];
    if !scope.users.is_empty() {
        filter.push(format!(
            "user_num IN {}",
            numbers_of(&format!("SELECT unnest({})", list(&scope.users)))
        ));
    }
    if !scope.groups.is_empty() {
        filter.push(format!(
            "user_num IN {}",
            numbers_of(&format!(
                "SELECT user_id FROM ({}) WHERE list_has_any(groups, {})",
                store.users_at_sql(&format!("TIMESTAMP {}", end_of(period.to)))?,
                list(&scope.groups)
            ))
        ));
    }
    let (name, only) = match detail_of {
        Some(event) => (
            "detail",
            format!("event = {} AND detail IS NOT NULL", text(event)),
        ),
        None => ("event", "event IS NOT NULL".to_string()),
    };
    Ok((filter.join(" AND "), name, only))
}

pub(super) fn event_usage(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    detail_of: Option<&str>,
) -> Result<Vec<EventUsage>> {
    let (filter, name, only) = usage_rows(store, period, scope, detail_of)?;
    // The period's rows read twice rather than through a common table
    // expression, which DuckDB materialises with every column (0.5 s of a
    // month on the large store).
    let sql = format!(
        "SELECT {name}, any_value(kind), sum(events)::BIGINT, count(DISTINCT user_num),
                count(DISTINCT account_id),
                any_value((SELECT count(DISTINCT account_id) FROM activity_daily WHERE {filter}))
         FROM activity_daily WHERE {filter} AND {only}
         GROUP BY {name} ORDER BY 3 DESC, 1"
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let n = |i: usize| -> duckdb::Result<u64> { Ok(r.get::<_, i64>(i)? as u64) };
        Ok(EventUsage {
            name: r.get(0)?,
            kind: r.get(1)?,
            events: n(2)?,
            users: n(3)?,
            accounts: n(4)?,
            accounts_in_period: n(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn event_counts(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    detail_of: Option<&str>,
) -> Result<std::collections::BTreeMap<String, u64>> {
    let (filter, name, only) = usage_rows(store, period, scope, detail_of)?;
    let sql = format!(
        "SELECT {name}, sum(events)::BIGINT FROM activity_daily
         WHERE {filter} AND {only} GROUP BY {name}"
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn user_achievements(
    store: &DuckStore,
    to: chrono::NaiveDate,
    scope: &Scope,
    achievements: &[tenure_core::rules::Achievement],
) -> Result<Vec<(String, Option<String>, u64)>> {
    let sql = format!(
        "{users} ORDER BY account_id NULLS LAST, user_id",
        users = achievements_of(store, to, scope, achievements)?
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let mut out = Vec::new();
    for batch in stmt.query_arrow([])? {
        let c = Columns {
            batch: &batch,
            what: "user_achievements",
        };
        let (user, account, n) = (c.text(0)?, c.text(1)?, c.int(2)?);
        for row in 0..batch.num_rows() {
            let done = opt_int(n, row).unwrap_or(0).max(0) as u64;
            out.push((user.value(row).to_string(), opt_text(account, row), done));
        }
    }
    Ok(out)
}

/// See [`crate::Store::achievement_counts`].
pub(super) fn achievement_counts(
    store: &DuckStore,
    to: chrono::NaiveDate,
    scope: &Scope,
    achievements: &[tenure_core::rules::Achievement],
) -> Result<Vec<(Option<String>, u64, u64)>> {
    let sql = format!(
        "SELECT account_id, achievements, count(*) FROM ({users}) GROUP BY ALL
         ORDER BY account_id NULLS FIRST, achievements",
        users = achievements_of(store, to, scope, achievements)?
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, i64>(1)?.max(0) as u64,
            r.get::<_, i64>(2)?.max(0) as u64,
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The query of each user in `scope` at the end of day `to` with the
/// achievements reached by then: `user_id, account_id, achievements`, in
/// no particular order.
fn achievements_of(
    store: &DuckStore,
    to: chrono::NaiveDate,
    scope: &Scope,
    achievements: &[tenure_core::rules::Achievement],
) -> Result<String> {
    // Over every user, reading everyone's firsts costs less than probing
    // them for the users in scope; a narrower scope probes.
    let narrow = is_narrow(scope);
    Ok(format!(
        "WITH us AS (SELECT user_id, account_id FROM ({users}) WHERE {filter}),
              ach AS ({values}),
              done AS (SELECT k.user_id, d.n
                       FROM (SELECT f.user_num, {count} AS n
                             FROM user_firsts f JOIN ach a ON a.event = f.event
                             WHERE f.first_at < TIMESTAMP {end}
                               AND (len(a.details) = 0 OR list_contains(a.details, lower(f.detail)))
                               {probe}
                             GROUP BY f.user_num) d
                            JOIN user_numbers k USING (user_num))
         SELECT us.user_id, us.account_id, coalesce(done.n, 0)::BIGINT AS achievements
         FROM us LEFT JOIN done USING (user_id)",
        users = store.users_at_sql(&format!("TIMESTAMP {}", end_of(to)))?,
        values = achievements_sql(achievements),
        end = end_of(to),
        filter = scope_filter(scope),
        count = distinct_achievements(achievements.len()),
        probe = if narrow {
            format!("AND f.user_num IN {}", numbers_of("SELECT user_id FROM us"))
        } else {
            String::new()
        },
    ))
}

/// How many distinct achievements (`a.i`) a group of rows holds: a count
/// of the bits set in a mask when there are few enough achievements for
/// one (cheaper than a distinct count), else a distinct count.
pub(super) fn distinct_achievements(achievements: usize) -> &'static str {
    if achievements <= 63 {
        "bit_count(bit_or(1::BIGINT << a.i))"
    } else {
        "count(DISTINCT a.i)"
    }
}

/// The achievements as SQL rows `i, event, details` (details in lower
/// case; empty: any detail).
pub(super) fn achievements_sql(achievements: &[tenure_core::rules::Achievement]) -> String {
    let rows: Vec<String> = achievements
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let details: Vec<String> = a.details.iter().map(|d| d.to_lowercase()).collect();
            format!("({i}, {}, {})", text(&a.event), list(&details))
        })
        .collect();
    if rows.is_empty() {
        "SELECT NULL::INTEGER AS i, NULL::VARCHAR AS event, []::VARCHAR[] AS details LIMIT 0"
            .to_string()
    } else {
        format!(
            "SELECT * FROM (VALUES {}) v(i, event, details)",
            rows.join(", ")
        )
    }
}

/// SQL for each user's last platform event before the end of day `to`:
/// `user_id, last_active_at`. When every user's last event is before it
/// (a period up to today), `user_last` holds the answer; else whole months
/// from `user_months` and that month's days from `activity_daily`.
pub(super) fn last_active_sql(store: &DuckStore, to: chrono::NaiveDate) -> Result<String> {
    let end = end_of(to);
    let current: bool = store.conn.query_row(
        &format!("SELECT coalesce((SELECT max(last_at) FROM user_last) < TIMESTAMP {end}, true)"),
        [],
        |r| r.get(0),
    )?;
    Ok(if current {
        "SELECT user_id, last_at AS last_active_at FROM user_last".into()
    } else {
        months_last_sql(to)
    })
}

/// [`last_active_sql`] from `user_months` and `activity_daily`, right for
/// any day.
fn months_last_sql(to: chrono::NaiveDate) -> String {
    format!(
        "SELECT user_id, max(last_at) AS last_active_at FROM (
             SELECT user_id, last_at FROM user_months WHERE month < DATE {month}
             UNION ALL
             SELECT user_id, last_at
             FROM (SELECT user_num, max(last_at) AS last_at FROM activity_daily
                   WHERE day BETWEEN DATE {month} AND DATE {to} AND user_num IS NOT NULL
                     AND kind IN {platform}
                   GROUP BY user_num)
                  JOIN user_numbers USING (user_num))
         GROUP BY user_id",
        month = text(&month_of(to).to_string()),
        to = text(&to.to_string()),
        platform = super::rollup::platform_kinds(),
    )
}

/// What [`activity_of`] gives besides the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rows {
    /// Each user's last activity too, sorted by account and user.
    Full,
    /// As `Full` without the email, role and seat time (`None`): sorting
    /// a million users costs less without them (0.85 s to 0.74 s for the
    /// engagement query on the large store).
    Listing,
    /// The counts alone (no last activity), in no particular order.
    Counts,
    /// Neither (every count 0, no last activity), sorted by account and
    /// user: who the users are at the period's end.
    State,
    /// As `Counts`, of the users with at least `min_research` research and
    /// maintain events and `min_social` shares and messages sent (the
    /// engaging ones under those thresholds).
    Engaging { min_research: u64, min_social: u64 },
}

impl Rows {
    fn sorted(self) -> bool {
        matches!(self, Rows::Full | Rows::Listing | Rows::State)
    }

    fn last(self) -> bool {
        matches!(self, Rows::Full | Rows::Listing)
    }

    /// Whether the email, role and seat time are read.
    fn traits(self) -> bool {
        !matches!(self, Rows::Listing)
    }
}

/// The separator of the ids passed to [`activity_of`] as one parameter.
const ID_SEPARATOR: char = '\u{1f}';

/// [`user_activity`], or with `only` that of those users alone: their
/// rows are the only ones read (the ids go in as one parameter).
pub(super) fn activity_of(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    only: Option<&[String]>,
    rows: Rows,
) -> Result<Vec<UserActivity>> {
    if matches!(only, Some([])) {
        return Ok(Vec::new());
    }
    let (sql, params) = activity_sql(store, period, scope, only, rows)?;
    // Read as Arrow batches: a report over every user fetches hundreds of
    // thousands of rows, which row-by-row access makes the slowest part.
    let mut stmt = store.conn.prepare(&sql)?;
    let mut out = Vec::new();
    for batch in stmt.query_arrow(duckdb::params_from_iter(&params))? {
        let c = Columns {
            batch: &batch,
            what: "user_activity",
        };
        let (user, account, email) = (c.text(0)?, c.text(1)?, c.text(3)?);
        let groups = c.list(2)?;
        let (seat, last) = (c.int(4)?, c.int(13)?);
        let counts: Vec<_> = (5..=12).map(|i| c.int(i)).collect::<Result<_>>()?;
        let licensed = c.flag(14)?;
        let role = c.text(15)?;
        for row in 0..batch.num_rows() {
            out.push(UserActivity {
                user_id: user.value(row).to_string(),
                account_id: opt_text(account, row),
                groups: c.texts(groups, row)?,
                email: opt_text(email, row),
                role: opt_text(role, row),
                seat_assigned_at: utc(opt_int(seat, row)),
                counts: kind_counts(&counts, 0, row),
                last_active_at: utc(opt_int(last, row)),
                licensed: flag_at(licensed, row),
            });
        }
    }
    Ok(out)
}

/// The query [`activity_of`] reads and its parameters: one row per user
/// in scope, `user_id, account_id, groups, email, seat (µs), consume,
/// login, research, maintain, share, message, portal, messages_sent, last
/// active (µs), licensed, role`, the counts named as the
/// [`tenure_core::report::KindCounts`] fields.
fn activity_sql(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    only: Option<&[String]>,
    rows: Rows,
) -> Result<(String, Vec<String>)> {
    let mut params: Vec<String> = Vec::new();
    let (ids, keep, keep_num) = match only {
        None => ("", "", String::new()),
        Some(ids) => {
            if let Some(bad) = ids.iter().find(|id| id.contains(ID_SEPARATOR)) {
                return Err(crate::StoreError::Invalid(format!(
                    "user id {bad:?} holds the unit separator"
                )));
            }
            params.push(ids.join(&ID_SEPARATOR.to_string()));
            (
                "ids AS (SELECT unnest(string_split(?, chr(31))) AS user_id),",
                "AND user_id IN (SELECT user_id FROM ids)",
                format!("AND user_num IN {}", numbers_of("SELECT user_id FROM ids")),
            )
        }
    };
    let end = end_of(period.to);
    let (email, seat, role) = if rows.traits() {
        ("email", "epoch_us(seat_assigned_at)", "role")
    } else {
        ("NULL::VARCHAR", "NULL::BIGINT", "NULL::VARCHAR")
    };
    let kind_sum = |kind: &str| format!("sum(events) FILTER (WHERE kind = '{kind}')");
    let sql = format!(
        "WITH {ids} us AS (SELECT * FROM ({users}) WHERE true {keep}),
         act AS (SELECT k.user_id, s.* EXCLUDE (user_num)
                 FROM (SELECT user_num, {consume} AS consume, {login} AS login,
                              {research} AS research, {maintain} AS maintain, {share} AS share,
                              {message} AS message, {portal} AS portal,
                              sum(events) FILTER (WHERE event = 'Message Sent') AS messages_sent
                       FROM activity_daily
                       WHERE day BETWEEN DATE {from} AND DATE {to} AND user_num IS NOT NULL
                             {keep_num} {no_counts}
                       GROUP BY user_num) s
                      JOIN user_numbers k USING (user_num)),
         last AS (SELECT * FROM ({last}) WHERE true {keep})
         SELECT user_id, account_id, groups, {email}, {seat},
                coalesce(consume, 0)::BIGINT AS consume, coalesce(login, 0)::BIGINT AS login,
                coalesce(research, 0)::BIGINT AS research,
                coalesce(maintain, 0)::BIGINT AS maintain,
                coalesce(share, 0)::BIGINT AS share, coalesce(message, 0)::BIGINT AS message,
                coalesce(portal, 0)::BIGINT AS portal,
                coalesce(messages_sent, 0)::BIGINT AS messages_sent,
                epoch_us(last_active_at), licensed, {role}
         FROM us LEFT JOIN act USING (user_id) LEFT JOIN last USING (user_id)
         WHERE {filter} {engaging}
         {order}",
        users = store.users_at_sql(&format!("TIMESTAMP {end}"))?,
        consume = kind_sum("consume"),
        login = kind_sum("login"),
        research = kind_sum("research"),
        maintain = kind_sum("maintain"),
        share = kind_sum("share"),
        message = kind_sum("message"),
        portal = kind_sum("portal"),
        from = text(&period.from.to_string()),
        to = text(&period.to.to_string()),
        order = if rows.sorted() {
            "ORDER BY account_id NULLS LAST, user_id"
        } else {
            ""
        },
        no_counts = if rows == Rows::State { "AND false" } else { "" },
        engaging = match rows {
            Rows::Engaging {
                min_research,
                min_social,
            } => format!(
                "AND coalesce(research, 0) + coalesce(maintain, 0) >= {min_research}
                 AND coalesce(share, 0) + coalesce(messages_sent, 0) >= {min_social}"
            ),
            _ => String::new(),
        },
        last = if rows.last() {
            last_active_sql(store, period.to)?
        } else {
            // No rows: the join finds no one.
            "SELECT NULL::VARCHAR AS user_id, NULL::TIMESTAMP AS last_active_at LIMIT 0".to_string()
        },
        filter = scope_filter(scope),
    );
    Ok((sql, params))
}

/// [`tenure_core::report::Category::with_thresholds`] in SQL, on a row
/// of [`activity_sql`]: the category's index in
/// [`tenure_core::report::Category::ALL`].
fn category_sql(min_research: u64, min_social: u64) -> String {
    use tenure_core::report::Category::{Consuming, Dormant, Engaging, Interacting};
    format!(
        "CASE WHEN research + maintain >= {min_research} AND share + messages_sent >= {min_social}
                   THEN {engaging}
              WHEN login + research + maintain + share + message + portal >= 1 THEN {interacting}
              WHEN consume >= 1 THEN {consuming}
              ELSE {dormant} END",
        engaging = Engaging.index(),
        interacting = Interacting.index(),
        consuming = Consuming.index(),
        dormant = Dormant.index(),
    )
}

/// See [`crate::Store::category_counts`].
pub(super) fn category_counts(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    min_research: u64,
    min_social: u64,
) -> Result<Vec<crate::CategoryCounts>> {
    let (users, params) = activity_sql(store, period, scope, None, Rows::Counts)?;
    let sql = format!(
        "SELECT account_id, {category} AS category, count(*) FROM ({users}) GROUP BY ALL",
        category = category_sql(min_research, min_social)
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map(duckdb::params_from_iter(&params), |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut per: std::collections::BTreeMap<Option<String>, [u64; 4]> = Default::default();
    for row in rows {
        let (account, category, users) = row?;
        per.entry(account).or_default()[category as usize] = users as u64;
    }
    Ok(per
        .into_iter()
        .map(|(account_id, users)| crate::CategoryCounts { account_id, users })
        .collect())
}

/// See [`crate::Store::category_flow`].
pub(super) fn category_flow(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    min_research: u64,
    min_social: u64,
) -> Result<[[u64; 4]; 4]> {
    let (now, mut params) = activity_sql(store, period, scope, None, Rows::Counts)?;
    let (was, more) = activity_sql(store, period.previous(), scope, None, Rows::Counts)?;
    params.extend(more);
    let category = category_sql(min_research, min_social);
    // A user not in scope at the previous period's end (no seat then)
    // counts as dormant then.
    let dormant = tenure_core::report::Category::Dormant.index();
    let sql = format!(
        "SELECT coalesce(w.category, {dormant}), n.category, count(*)
         FROM (SELECT user_id, {category} AS category FROM ({now})) n
         LEFT JOIN (SELECT user_id, {category} AS category FROM ({was})) w USING (user_id)
         GROUP BY ALL"
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let rows = stmt.query_map(duckdb::params_from_iter(&params), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut flow = [[0u64; 4]; 4];
    for row in rows {
        let (from, to, users) = row?;
        flow[from as usize][to as usize] = users as u64;
    }
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::super::DuckStore;
    use crate::{Dedup, Scope, Store, WriteBatch};
    use chrono::NaiveDate;
    use serde_json::{Value, json};
    use tenure_core::report::{KindCounts, Period};
    use tenure_core::time::parse_timestamp;
    use tenure_core::{ActivityKind, Entity, EntityChange, Event};

    fn change(entity: Entity, id: &str, field: &str, value: Value) -> EntityChange {
        let at = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
        EntityChange::new(entity, id, field, value, at)
    }

    fn event(n: usize, user: &str, name: &str, kind: ActivityKind, at: &str) -> Event {
        let at = parse_timestamp(at).unwrap();
        Event {
            user_id: Some(user.into()),
            account_id: Some("a1".into()),
            properties: Some("{}".into()),
            ..Event::track(&format!("m{n}"), name, kind, at)
        }
    }

    fn store() -> (tempfile::TempDir, DuckStore) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let (a, u) = (Entity::Account, Entity::User);
        let seat = json!("2026-01-01T00:00:00Z");
        let changes = vec![
            change(a, "a1", "id", json!("a1")),
            change(a, "a2", "id", json!("a2")),
            change(u, "u1", "account_id", json!("a1")),
            change(u, "u1", "seat_assigned_at", seat.clone()),
            change(u, "u1", "groups", json!(["emea", "sales"])),
            change(u, "u2", "account_id", json!("a1")),
            change(u, "u3", "account_id", json!("a2")),
            change(u, "u3", "seat_assigned_at", seat),
            change(u, "u3", "groups", json!(["apac"])),
        ];
        use ActivityKind::*;
        let events = vec![
            event(
                1,
                "u1",
                "Search Performed",
                Research,
                "2026-03-01T00:00:00Z",
            ),
            event(2, "u1", "Insight Shared", Share, "2026-03-02T10:00:00Z"),
            event(3, "u1", "Message Sent", Message, "2026-03-31T23:59:59Z"),
            event(4, "u1", "Message Answered", Message, "2026-03-15T00:00:00Z"),
            // Outside the period on both sides.
            event(5, "u1", "Signed In", Login, "2026-02-28T23:59:59Z"),
            event(6, "u1", "Signed In", Login, "2026-04-01T00:00:00Z"),
            event(7, "u2", "Signed In", Login, "2026-03-10T00:00:00Z"),
            event(8, "u3", "Digest Received", Consume, "2026-03-10T00:00:00Z"),
        ];
        store
            .write(&WriteBatch { events, changes }, Dedup::Done)
            .unwrap();
        store.refresh_rollups().unwrap();
        (dir, store)
    }

    /// Every user, licensed or not.
    fn everyone() -> Scope {
        Scope {
            all_users: true,
            ..Scope::default()
        }
    }

    /// The licensed users, and everyone.
    fn both_scopes() -> [Scope; 2] {
        [Scope::default(), everyone()]
    }

    fn march() -> Period {
        Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        }
    }

    #[test]
    fn user_activity_counts_the_period_for_licensed_users() {
        let (_dir, store) = store();
        let rows = store.user_activity(march(), &Scope::default()).unwrap();
        let ids: Vec<&str> = rows.iter().map(|r| r.user_id.as_str()).collect();
        assert_eq!(ids, ["u1", "u3"], "u2 holds no seat");
        assert_eq!(
            rows[0].counts,
            KindCounts {
                research: 1,
                share: 1,
                message: 2,
                messages_sent: 1,
                ..KindCounts::default()
            }
        );
        assert_eq!(rows[0].groups, ["emea", "sales"]);
        assert_eq!(
            rows[0].last_active_at,
            parse_timestamp("2026-03-31T23:59:59Z")
        );
        assert_eq!(rows[1].counts.consume, 1);
        assert_eq!(rows[1].last_active_at, None, "consume is not activity");
        let only = |scope: Scope| -> Vec<String> {
            store
                .user_activity(march(), &scope)
                .unwrap()
                .into_iter()
                .map(|r| r.user_id)
                .collect()
        };
        let all = |scope: Scope| Scope {
            all_users: true,
            ..scope
        };
        assert_eq!(only(all(Scope::default())), ["u1", "u2", "u3"]);
        assert_eq!(
            only(Scope {
                groups: vec!["apac".into(), "nowhere".into()],
                ..Scope::default()
            }),
            ["u3"]
        );
        assert_eq!(
            only(all(Scope {
                accounts: vec!["a1".into()],
                ..Scope::default()
            })),
            ["u1", "u2"]
        );
        assert_eq!(
            only(Scope {
                users: vec!["u1".into(), "o'brien".into()],
                ..Scope::default()
            }),
            ["u1"]
        );
    }

    #[test]
    fn user_counts_are_user_activity_without_the_last_activity() {
        let (_dir, store) = store();
        let everyone = everyone();
        for period in [march(), march().previous()] {
            let full = store.user_activity(period, &everyone).unwrap();
            assert!(full.iter().any(|u| u.last_active_at.is_some()));
            let without: Vec<_> = full
                .into_iter()
                .map(|u| crate::UserActivity {
                    last_active_at: None,
                    ..u
                })
                .collect();
            // In no particular order: sorted here as `user_activity` sorts.
            let mut counts = store.user_counts(period, &everyone).unwrap();
            counts.sort_by(|a, b| {
                (a.account_id.is_none(), &a.account_id, &a.user_id).cmp(&(
                    b.account_id.is_none(),
                    &b.account_id,
                    &b.user_id,
                ))
            });
            assert_eq!(counts, without);
        }
    }

    /// The category index of `counts` under the thresholds, in Rust.
    fn category(counts: &KindCounts, research: u64, social: u64) -> usize {
        tenure_core::report::Category::with_thresholds(counts, research, social).index()
    }

    #[test]
    fn category_counts_and_flow_are_user_counts_categorised_in_rust() {
        let (_dir, store) = store();
        let january = Period {
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        };
        let mut seen = std::collections::BTreeSet::new();
        // January's previous period is before anyone had a seat.
        for period in [march(), march().previous(), january] {
            for scope in both_scopes() {
                for (research, social) in [(0, 0), (1, 2), (1, 1), (2, 0), (0, 3)] {
                    let users = store.user_counts(period, &scope).unwrap();
                    let mut expected: std::collections::BTreeMap<Option<String>, [u64; 4]> =
                        Default::default();
                    for u in &users {
                        let i = category(&u.counts, research, social);
                        expected.entry(u.account_id.clone()).or_default()[i] += 1;
                        seen.insert(i);
                    }
                    let counts = store
                        .category_counts(period, &scope, research, social)
                        .unwrap();
                    let counts: Vec<_> = counts
                        .into_iter()
                        .map(|c| (c.account_id, c.users))
                        .collect();
                    assert_eq!(counts, expected.into_iter().collect::<Vec<_>>());

                    let before: std::collections::HashMap<String, usize> = store
                        .user_counts(period.previous(), &scope)
                        .unwrap()
                        .into_iter()
                        .map(|u| (u.user_id, category(&u.counts, research, social)))
                        .collect();
                    let mut flow = [[0u64; 4]; 4];
                    for u in &users {
                        let from = before.get(&u.user_id).copied().unwrap_or(3);
                        flow[from][category(&u.counts, research, social)] += 1;
                    }
                    assert_eq!(
                        store
                            .category_flow(period, &scope, research, social)
                            .unwrap(),
                        flow,
                        "{period:?} {scope:?} {research} {social}"
                    );
                }
            }
        }
        // Every category came up.
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn achievements_count_the_same_past_the_bit_mask_and_in_a_narrow_scope() {
        let (_dir, store) = store();
        let everyone = everyone();
        let defaults = tenure_core::rules::Achievement::defaults();
        let counted = store
            .user_achievements(march().to, &everyone, &defaults)
            .unwrap();
        let n = |rows: &[(String, Option<String>, u64)], user: &str| {
            rows.iter().find(|r| r.0 == user).map(|r| r.2)
        };
        // u1 searched and sent a message by March's end (the share names no
        // channel, the answer no answer).
        assert_eq!(n(&counted, "u1"), Some(2));
        assert_eq!(n(&counted, "u2"), Some(0));
        // More achievements than a mask holds: counted distinctly instead.
        let mut many = defaults.clone();
        many.extend((0..60).map(|i| tenure_core::rules::Achievement {
            name: format!("never {i}"),
            event: format!("Never Happened {i}"),
            details: Vec::new(),
        }));
        assert!(many.len() > 63);
        assert_eq!(
            store
                .user_achievements(march().to, &everyone, &many)
                .unwrap(),
            counted
        );
        // A narrow scope probes its users' firsts: the same counts.
        let one = Scope {
            users: vec!["u1".into()],
            ..everyone
        };
        assert_eq!(
            store
                .user_achievements(march().to, &one, &defaults)
                .unwrap(),
            vec![("u1".to_string(), Some("a1".to_string()), 2)]
        );
    }

    #[test]
    fn achievement_counts_are_user_achievements_counted() {
        let (_dir, store) = store();
        let defaults = tenure_core::rules::Achievement::defaults();
        let mut shown = std::collections::BTreeSet::new();
        for to in [march().to, march().previous().to] {
            for scope in both_scopes() {
                let mut expected: std::collections::BTreeMap<(Option<String>, u64), u64> =
                    Default::default();
                for (_, account, n) in store.user_achievements(to, &scope, &defaults).unwrap() {
                    shown.insert(n);
                    *expected.entry((account, n)).or_default() += 1;
                }
                let expected: Vec<_> = expected.into_iter().map(|((a, n), u)| (a, n, u)).collect();
                assert_eq!(
                    store.achievement_counts(to, &scope, &defaults).unwrap(),
                    expected,
                    "{to} {scope:?}"
                );
            }
        }
        // Users with and without achievements.
        assert!(shown.len() > 1, "{shown:?}");
    }

    #[test]
    fn event_counts_are_the_event_usages_counts() {
        let (_dir, store) = store();
        let u1 = Scope {
            users: vec!["u1".into()],
            ..Scope::default()
        };
        for scope in [Scope::default(), u1] {
            for detail_of in [None, Some("Insight Shared")] {
                let usage: std::collections::BTreeMap<String, u64> = store
                    .event_usage(march(), &scope, detail_of)
                    .unwrap()
                    .into_iter()
                    .map(|u| (u.name, u.events))
                    .collect();
                assert_eq!(
                    store.event_counts(march(), &scope, detail_of).unwrap(),
                    usage
                );
            }
        }
        let names = store
            .event_counts(march(), &Scope::default(), None)
            .unwrap();
        assert_eq!(names.get("Signed In"), Some(&1), "{names:?}");
        assert_eq!(names.len(), 6, "{names:?}");
    }

    #[test]
    fn engaging_users_are_the_user_counts_engaging_under_the_thresholds() {
        let (_dir, store) = store();
        let everyone = everyone();
        let key = |u: &crate::UserActivity| u.user_id.clone();
        let mut all = store.user_counts(march(), &everyone).unwrap();
        all.sort_by_key(key);
        for (research, social) in [(0, 0), (1, 0), (1, 1), (1, 2), (2, 2)] {
            let expected: Vec<_> = all
                .iter()
                .filter(|u| {
                    tenure_core::report::Category::with_thresholds(&u.counts, research, social)
                        == tenure_core::report::Category::Engaging
                })
                .cloned()
                .collect();
            let mut got = store
                .engaging_users(march(), &everyone, research, social)
                .unwrap();
            got.sort_by_key(key);
            assert_eq!(got, expected, "{research} {social}");
        }
        // u1 (1 research, 2 social) is the only one engaging by default.
        let ids: Vec<String> = store
            .engaging_users(march(), &everyone, 1, 2)
            .unwrap()
            .iter()
            .map(key)
            .collect();
        assert_eq!(ids, ["u1"]);
    }

    #[test]
    fn user_engagement_is_user_activity_without_email_role_and_seat() {
        let (_dir, store) = store();
        for scope in both_scopes() {
            let full = store.user_activity(march(), &scope).unwrap();
            assert!(full.iter().any(|u| u.seat_assigned_at.is_some()));
            assert!(full.iter().any(|u| u.last_active_at.is_some()));
            let without: Vec<_> = full
                .into_iter()
                .map(|u| crate::UserActivity {
                    email: None,
                    role: None,
                    seat_assigned_at: None,
                    ..u
                })
                .collect();
            assert_eq!(store.user_engagement(march(), &scope).unwrap(), without);
        }
    }

    #[test]
    fn users_at_are_user_activity_without_any_activity() {
        let (_dir, store) = store();
        for scope in both_scopes() {
            let full = store.user_activity(march(), &scope).unwrap();
            assert!(full.iter().any(|u| u.counts != KindCounts::default()));
            let without: Vec<_> = full
                .into_iter()
                .map(|u| crate::UserActivity {
                    counts: KindCounts::default(),
                    last_active_at: None,
                    ..u
                })
                .collect();
            assert_eq!(store.users_at(march(), &scope).unwrap(), without);
        }
    }

    #[test]
    fn user_activity_sorts_by_account_then_user_and_accountless_users_last() {
        let (_dir, mut store) = store();
        let u = Entity::User;
        let changes = vec![
            change(u, "a-first", "account_id", json!("a2")),
            change(u, "z-last", "account_id", json!("a0")),
            change(u, "b-none", "email", json!("b@example.com")),
            change(u, "0-none", "email", json!("z@example.com")),
        ];
        store
            .write(
                &WriteBatch {
                    events: vec![],
                    changes,
                },
                Dedup::Done,
            )
            .unwrap();
        let all = everyone();
        let ids: Vec<String> = store
            .user_activity(march(), &all)
            .unwrap()
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        assert_eq!(
            ids,
            ["z-last", "u1", "u2", "a-first", "u3", "0-none", "b-none"]
        );
    }

    /// The same counts recomputed from the raw events.
    #[test]
    fn last_activity_reads_user_last_only_when_every_event_is_before_the_end() {
        let (_dir, store) = store();
        let to = |d: u32| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        // u1's last event is on April 1: March needs the months and days.
        let march_sql = super::last_active_sql(&store, march().to).unwrap();
        assert!(!march_sql.contains("user_last"), "{march_sql}");
        assert!(
            super::last_active_sql(&store, to(1))
                .unwrap()
                .contains("user_last")
        );
        let april = Period {
            from: to(1),
            to: to(30),
        };
        let rows = store.user_activity(april, &Scope::default()).unwrap();
        assert_eq!(
            rows[0].last_active_at,
            parse_timestamp("2026-04-01T00:00:00Z")
        );
        // Both ways agree for a period after every event.
        let slow = store
            .strings(&format!(
                "SELECT * FROM ({}) ORDER BY ALL",
                super::months_last_sql(to(30))
            ))
            .unwrap();
        let fast = store
            .strings("SELECT * FROM user_last ORDER BY ALL")
            .unwrap();
        assert_eq!(slow, fast);
    }

    #[test]
    fn user_activity_matches_a_recomputation_from_raw_events() {
        let (_dir, store) = store();
        let rows = store.user_activity(march(), &everyone()).unwrap();
        for r in rows {
            let raw = store
                .strings(&format!(
                    "SELECT count(*) FILTER (WHERE kind = 'consume'), count(*) FILTER (WHERE kind = 'login'),
                            count(*) FILTER (WHERE kind = 'research'), count(*) FILTER (WHERE kind = 'maintain'),
                            count(*) FILTER (WHERE kind = 'share'), count(*) FILTER (WHERE kind = 'message'),
                            count(*) FILTER (WHERE kind = 'portal'), count(*) FILTER (WHERE event = 'Message Sent')
                     FROM events WHERE user_id = '{}'
                       AND timestamp >= TIMESTAMP '2026-03-01' AND timestamp < TIMESTAMP '2026-04-01'",
                    r.user_id
                ))
                .unwrap();
            let c = r.counts;
            let got = [
                c.consume,
                c.login,
                c.research,
                c.maintain,
                c.share,
                c.message,
                c.portal,
                c.messages_sent,
            ]
            .map(|n| n.to_string())
            .to_vec();
            assert_eq!(raw, vec![got], "{}", r.user_id);
        }
    }
}
