//! The productivity query: messages sent and accepted, unique connections
//! and shares, per user, group or account, from `social_events` and
//! `activity_daily`.

use super::DuckStore;
use super::reports::{end_of, is_narrow, list, numbers_of, scope_filter, text};
use crate::{Productivity, Result, Rows, Scope};
use tenure_core::report::{Period, ReportsConfig};

/// `key, account_id, user_id` for each user in `us` and each row it counts
/// in, each once.
fn members(scope: &Scope, rows: Rows) -> String {
    match rows {
        Rows::User => "SELECT user_id AS key, account_id, user_id FROM us".into(),
        Rows::Account => "SELECT account_id AS key, account_id, user_id FROM us".into(),
        Rows::Group => {
            // With a group filter, only the groups asked for get a row.
            let only = if scope.groups.is_empty() {
                "true".to_string()
            } else {
                format!("list_contains({}, key)", list(&scope.groups))
            };
            format!(
                "SELECT DISTINCT key, account_id, user_id FROM (
                     SELECT unnest(CASE WHEN len(groups) = 0 THEN [NULL]::VARCHAR[]
                                        ELSE groups END) AS key, account_id, user_id
                     FROM us)
                 WHERE {only}"
            )
        }
    }
}

pub(super) fn productivity(
    store: &DuckStore,
    period: Period,
    scope: &Scope,
    rows: Rows,
    rules: &ReportsConfig,
) -> Result<Vec<Productivity>> {
    let window = rules.answer_window_days;
    let from = text(&period.from.to_string());
    let to = text(&period.to.to_string());
    // Answers to messages sent on the period's last day may come up to
    // the window (and a day of rounding) later.
    let answers_to = text(&(period.to + chrono::Days::new(u64::from(window) + 1)).to_string());
    let (probe, probe_num) = if is_narrow(scope) {
        (
            "AND user_id IN (SELECT user_id FROM us)",
            format!("AND user_num IN {}", numbers_of("SELECT user_id FROM us")),
        )
    } else {
        ("", String::new())
    };
    let sql = format!(
        "WITH us AS (SELECT user_id, account_id, groups FROM ({users}) WHERE {filter}),
         members AS ({members}),
         soc AS (SELECT * FROM social_events
                 WHERE day BETWEEN DATE {from} AND DATE {to} {probe}),
         sent AS (SELECT user_id, count(*) AS n FROM soc
                  WHERE event = 'Message Sent' GROUP BY user_id),
         firsts AS (SELECT user_id, message_id, min(occurred_at) AS sent_at FROM soc
                    WHERE event = 'Message Sent' AND message_id IS NOT NULL
                    GROUP BY user_id, message_id),
         answers AS (SELECT message_id, occurred_at FROM social_events
                     WHERE event = 'Message Answered' AND list_contains({accepted}, answer)
                       AND day BETWEEN DATE {from} AND DATE {answers_to}
                       AND message_id IN (SELECT message_id FROM firsts)),
         accepted AS (SELECT user_id, count(*) AS n FROM firsts f
                      WHERE EXISTS (SELECT 1 FROM answers a
                                    WHERE a.message_id = f.message_id
                                      AND a.occurred_at >= f.sent_at
                                      AND a.occurred_at <= f.sent_at + INTERVAL {window} DAY)
                      GROUP BY user_id),
         shares AS (SELECT user_id, n
                    FROM (SELECT user_num, sum(events) AS n FROM activity_daily
                          WHERE day BETWEEN DATE {from} AND DATE {to} AND kind = 'share'
                                {probe_num}
                          GROUP BY user_num)
                         JOIN user_numbers USING (user_num)),
         conns AS (SELECT DISTINCT user_id,
                                   coalesce(recipient_id, recipient_email) AS recipient_id
                   FROM soc
                   WHERE coalesce(recipient_id, recipient_email) IS NOT NULL
                     AND event IS DISTINCT FROM 'Message Answered'),
         stats AS (SELECT m.key, m.account_id, count(*) AS users,
                          coalesce(sum(sent.n), 0) AS sent,
                          coalesce(sum(accepted.n), 0) AS accepted,
                          coalesce(sum(shares.n), 0) AS shares
                   FROM members m LEFT JOIN sent USING (user_id)
                        LEFT JOIN accepted USING (user_id) LEFT JOIN shares USING (user_id)
                   GROUP BY m.key, m.account_id),
         reach AS (SELECT m.key, m.account_id, count(DISTINCT c.recipient_id) AS n
                   FROM members m JOIN conns c USING (user_id)
                   GROUP BY m.key, m.account_id)
         SELECT s.key, s.account_id, s.users, s.sent::BIGINT, s.accepted::BIGINT,
                coalesce(r.n, 0), s.shares::BIGINT
         FROM stats s LEFT JOIN reach r
              ON s.key IS NOT DISTINCT FROM r.key
             AND s.account_id IS NOT DISTINCT FROM r.account_id
         ORDER BY s.account_id NULLS LAST, s.key NULLS LAST",
        users = store.users_at_sql(&format!("TIMESTAMP {}", end_of(period.to)))?,
        filter = scope_filter(scope),
        members = members(scope, rows),
        accepted = list(&rules.accepted_answers),
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let found = stmt.query_map([], |r| {
        let n = |i: usize| -> duckdb::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
        Ok(Productivity {
            key: r.get(0)?,
            account_id: r.get(1)?,
            users: n(2)?,
            messages_sent: n(3)?,
            messages_accepted: n(4)?,
            unique_connections: n(5)?,
            shares: n(6)?,
        })
    })?;
    Ok(found.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::super::DuckStore;
    use crate::{Dedup, Productivity, Rows, Scope, Store, WriteBatch};
    use chrono::NaiveDate;
    use serde_json::{Value, json};
    use tenure_core::report::{Period, ReportsConfig};
    use tenure_core::time::parse_timestamp;
    use tenure_core::{ActivityKind, Entity, EntityChange, Event};

    fn change(entity: Entity, id: &str, field: &str, value: Value, at: &str) -> EntityChange {
        EntityChange::new(entity, id, field, value, parse_timestamp(at).unwrap())
    }

    /// Event number `n` of `user` with `properties`.
    fn event(n: usize, user: &str, name: &str, at: &str, properties: Value) -> Event {
        let kind = match name {
            "Insight Shared" => ActivityKind::Share,
            "Meeting Scheduled" => ActivityKind::Maintain,
            _ => ActivityKind::Message,
        };
        Event {
            user_id: Some(user.into()),
            account_id: Some("a1".into()),
            properties: Some(properties.to_string()),
            ..Event::track(&format!("m{n}"), name, kind, parse_timestamp(at).unwrap())
        }
    }

    fn sent(n: usize, user: &str, id: &str, to: &str, at: &str) -> Event {
        event(
            n,
            user,
            "Message Sent",
            at,
            json!({"message_id": id, "recipient_id": to}),
        )
    }

    fn answered(n: usize, user: &str, id: &str, answer: &str, at: &str) -> Event {
        event(
            n,
            user,
            "Message Answered",
            at,
            json!({"message_id": id, "answer": answer}),
        )
    }

    /// u1 (groups emea, sales) and u2 (emea until 2026-03-20, then apac)
    /// in a1, u3 in a2 (no group); all licensed.
    fn store() -> (tempfile::TempDir, DuckStore) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let (a, u) = (Entity::Account, Entity::User);
        let t0 = "2026-01-01T00:00:00Z";
        let mut changes = vec![
            change(a, "a1", "id", json!("a1"), t0),
            change(a, "a2", "id", json!("a2"), t0),
            change(u, "u1", "groups", json!(["emea", "sales"]), t0),
            change(u, "u2", "groups", json!(["emea"]), t0),
            change(u, "u2", "groups", json!(["apac"]), "2026-03-20T00:00:00Z"),
        ];
        for (user, account) in [("u1", "a1"), ("u2", "a1"), ("u3", "a2")] {
            changes.push(change(u, user, "account_id", json!(account), t0));
            changes.push(change(u, user, "seat_assigned_at", json!(t0), t0));
        }
        let events = vec![
            // u1: answered yes after 2 days: accepted.
            sent(1, "u1", "x1", "p1", "2026-03-01T10:00:00Z"),
            answered(2, "u1", "x1", "yes", "2026-03-03T10:00:00Z"),
            // Answered "Maybe" (any case) exactly 30 days later: accepted,
            // though the answer falls after the period.
            sent(3, "u1", "x2", "p2", "2026-03-31T12:00:00Z"),
            answered(4, "u1", "x2", "Maybe", "2026-04-30T12:00:00Z"),
            // Answered yes a second after 30 days: not accepted.
            sent(5, "u1", "x3", "p1", "2026-03-05T00:00:00Z"),
            answered(6, "u1", "x3", "yes", "2026-04-04T00:00:01Z"),
            // Answered no: not accepted. Sent twice: two messages sent,
            // accepted at most once.
            sent(7, "u1", "x4", "p3", "2026-03-06T00:00:00Z"),
            answered(8, "u1", "x4", "no", "2026-03-07T00:00:00Z"),
            sent(9, "u2", "x5", "p1", "2026-03-10T00:00:00Z"),
            sent(10, "u2", "x5", "p1", "2026-03-11T00:00:00Z"),
            answered(11, "u2", "x5", "yes", "2026-03-12T00:00:00Z"),
            // An answer before its message: not an acceptance.
            answered(12, "u2", "x6", "yes", "2026-03-13T00:00:00Z"),
            sent(13, "u2", "x6", "p4", "2026-03-14T00:00:00Z"),
            // Sent before the period, answered inside it: not counted.
            sent(14, "u3", "x7", "p9", "2026-02-28T23:59:59Z"),
            answered(15, "u3", "x7", "yes", "2026-03-01T00:00:00Z"),
            // Shares: with a recipient (p1 again, and p5), to an email
            // address (compared in lower case).
            event(
                16,
                "u1",
                "Insight Shared",
                "2026-03-02T00:00:00Z",
                json!({"channel": "email", "recipient_id": "p5"}),
            ),
            event(
                17,
                "u2",
                "Insight Shared",
                "2026-03-02T00:00:00Z",
                json!({"channel": "email", "recipient_email": " Ann@Corp.Example "}),
            ),
            event(
                18,
                "u3",
                "Insight Shared",
                "2026-03-02T00:00:00Z",
                json!({"channel": "email", "recipient_id": "p1"}),
            ),
            // Not a message or a share: its recipient is no connection.
            event(
                19,
                "u3",
                "Meeting Scheduled",
                "2026-03-02T00:00:00Z",
                json!({"recipient_id": "p8"}),
            ),
        ];
        store
            .write(&WriteBatch { events, changes }, Dedup::Done)
            .unwrap();
        store.refresh_rollups().unwrap();
        (dir, store)
    }

    fn rules() -> ReportsConfig {
        ReportsConfig::default()
    }

    fn march() -> Period {
        Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        }
    }

    fn row(key: Option<&str>, account: &str, counts: [u64; 5]) -> Productivity {
        let [
            users,
            messages_sent,
            messages_accepted,
            unique_connections,
            shares,
        ] = counts;
        Productivity {
            key: key.map(str::to_string),
            account_id: Some(account.into()),
            users,
            messages_sent,
            messages_accepted,
            unique_connections,
            shares,
        }
    }

    #[test]
    fn per_user_counts_follow_the_definitions() {
        let (_dir, store) = store();
        let rows = store
            .productivity(march(), &Scope::default(), Rows::User, &rules())
            .unwrap();
        assert_eq!(
            rows,
            [
                // x1, x2 accepted of 4 sent; p1, p2, p3 and p5.
                row(Some("u1"), "a1", [1, 4, 2, 4, 1]),
                // x5 (sent twice) accepted; p1, p4 and ann@corp.example.
                row(Some("u2"), "a1", [1, 3, 1, 3, 1]),
                // x7 was sent before March; p1 by a share.
                row(Some("u3"), "a2", [1, 0, 0, 1, 1]),
            ]
        );
    }

    #[test]
    fn groups_and_accounts_count_distinct_connections() {
        let (_dir, store) = store();
        let groups = store
            .productivity(march(), &Scope::default(), Rows::Group, &rules())
            .unwrap();
        assert_eq!(
            groups,
            [
                // u2 is in apac at the period's end, not emea.
                row(Some("apac"), "a1", [1, 3, 1, 3, 1]),
                row(Some("emea"), "a1", [1, 4, 2, 4, 1]),
                row(Some("sales"), "a1", [1, 4, 2, 4, 1]),
                row(None, "a2", [1, 0, 0, 1, 1]),
            ]
        );
        let accounts = store
            .productivity(march(), &Scope::default(), Rows::Account, &rules())
            .unwrap();
        assert_eq!(
            accounts,
            [
                // p1, p2, p3, p4, p5 and ann@corp.example: p1 counted once
                // for both users.
                row(Some("a1"), "a1", [2, 7, 3, 6, 2]),
                row(Some("a2"), "a2", [1, 0, 0, 1, 1]),
            ]
        );
        let emea_only = store
            .productivity(
                march(),
                &Scope {
                    groups: vec!["emea".into()],
                    ..Scope::default()
                },
                Rows::Group,
                &rules(),
            )
            .unwrap();
        assert_eq!(emea_only, [row(Some("emea"), "a1", [1, 4, 2, 4, 1])]);
    }

    /// The same counts recomputed from the raw events.
    #[test]
    fn per_user_counts_match_a_recomputation_from_raw_events() {
        let (_dir, store) = store();
        let rows = store
            .productivity(march(), &Scope::default(), Rows::User, &rules())
            .unwrap();
        for r in rows {
            let user = r.key.clone().unwrap();
            let raw = store
                .strings(&format!(
                    "WITH e AS (SELECT * FROM events WHERE user_id = '{user}'),
                          p AS (SELECT * FROM e WHERE timestamp >= TIMESTAMP '2026-03-01'
                                                  AND timestamp < TIMESTAMP '2026-04-01'),
                          s AS (SELECT properties->>'message_id' AS id, min(timestamp) AS t
                                FROM p WHERE event = 'Message Sent' GROUP BY 1)
                     SELECT (SELECT count(*) FROM p WHERE event = 'Message Sent'),
                            (SELECT count(*) FROM s WHERE EXISTS (
                                SELECT 1 FROM e WHERE event = 'Message Answered'
                                  AND properties->>'message_id' = s.id
                                  AND lower(properties->>'answer') IN ('yes', 'maybe')
                                  AND timestamp BETWEEN s.t AND s.t + INTERVAL 30 DAY)),
                            (SELECT count(DISTINCT coalesce(properties->>'recipient_id',
                                                           lower(trim(properties->>'recipient_email'))))
                             FROM p
                             WHERE event = 'Message Sent' OR kind = 'share'),
                            (SELECT count(*) FROM p WHERE kind = 'share')"
                ))
                .unwrap();
            let got = [
                r.messages_sent,
                r.messages_accepted,
                r.unique_connections,
                r.shares,
            ]
            .map(|n| n.to_string())
            .to_vec();
            assert_eq!(raw, vec![got], "{user}");
        }
    }
}
