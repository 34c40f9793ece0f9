//! Accounts and users as they were at a moment: per field, the latest
//! change before it (reports about a past period use the state at its end,
//! e.g. whether an account was archived then).

use crate::Result;
use chrono::{DateTime, Utc};

/// SQL for every user as of `end` (exclusive; a SQL `TIMESTAMP`
/// expression): `user_id, account_id, email, groups, seat_assigned_at,
/// licensed`, where licensed means a seat assigned before `end` in an
/// account that was not archived then. Rebuilt from every change: the
/// reference the faster forms below are tested against.
pub(super) fn users_as_of(end: &str) -> String {
    licensed(
        &user_fields(&latest_before("user_changes", "user_id", end, "true")),
        &accounts_as_of(end),
        end,
    )
}

/// [`users_as_of`] from the current `users` and `accounts` tables, which
/// hold the same rows when no change is at or after `end`.
fn users_now(end: &str) -> String {
    licensed(USERS_NOW, ACCOUNTS_NOW, end)
}

/// [`users_as_of`] from the current tables for the users and accounts
/// with no change at or after `end`, and from their changes for the rest
/// (a past period: usually few changed since). A current row's
/// `updated_at` is its latest change's time (the write rebuilds the row
/// from the latest change of each field, and the latest change of all is
/// the latest of its field), so the rows changed since `end` are found in
/// the current table rather than in every change stored.
fn users_mixed(end: &str) -> String {
    let changed = format!("user_id IN (SELECT id FROM users WHERE updated_at >= {end})");
    let users = format!(
        "SELECT * FROM ({USERS_NOW}) WHERE NOT {changed}
         UNION ALL {past}",
        past = user_fields(&latest_before("user_changes", "user_id", end, &changed)),
    );
    licensed(&users, &accounts_mixed(end), end)
}

/// The users' fields from [`latest_before`] rows of `user_changes`.
fn user_fields(latest: &str) -> String {
    format!(
        "SELECT id AS user_id,
                max(v) FILTER (WHERE field = 'account_id') AS account_id,
                max(v) FILTER (WHERE field = 'email') AS email,
                coalesce(json_transform(max(value::VARCHAR) FILTER (WHERE field = 'groups'), '[\"VARCHAR\"]'),
                         []::VARCHAR[]) AS groups,
                TRY_CAST(max(v) FILTER (WHERE field = 'seat_assigned_at') AS TIMESTAMP) AS seat_assigned_at,
                max(v) FILTER (WHERE field = 'role') AS role
         FROM ({latest}) GROUP BY id"
    )
}

/// Users (as [`user_fields`]) with `licensed` as of `end`, given the
/// accounts then (as [`accounts_as_of`]).
fn licensed(users: &str, accounts: &str, end: &str) -> String {
    format!(
        "SELECT u.user_id, u.account_id, u.email, u.groups, u.seat_assigned_at, u.role,
                (u.seat_assigned_at IS NOT NULL AND u.seat_assigned_at < {end}
                 AND NOT coalesce(a.archived, false)) AS licensed
         FROM ({users}) u LEFT JOIN ({accounts}) a ON a.account_id = u.account_id"
    )
}

const USERS_NOW: &str =
    "SELECT id AS user_id, account_id, email, groups, seat_assigned_at, role FROM users";

/// [`accounts_as_of`] from the current `accounts` table.
const ACCOUNTS_NOW: &str =
    "SELECT id AS account_id, name, seats_purchased, archived, has_portal_access, plan, mrr,
                            csm_owner, renewal_date
                            FROM accounts";

/// [`accounts_as_of`] as [`users_mixed`] reads users.
fn accounts_mixed(end: &str) -> String {
    let changed = format!("account_id IN (SELECT id FROM accounts WHERE updated_at >= {end})");
    format!(
        "SELECT * FROM ({ACCOUNTS_NOW}) WHERE NOT {changed}
         UNION ALL {past}",
        past = account_fields(&latest_before(
            "account_changes",
            "account_id",
            end,
            &changed
        )),
    )
}

impl super::DuckStore {
    /// Whether every stored trait change is before `end` (a SQL
    /// `TIMESTAMP` expression): then the current tables are the state at
    /// `end` (the usual case: a report up to today).
    fn current_at(&self, end: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT coalesce((SELECT max(updated_at) FROM users) < {end}, true)
                    AND coalesce((SELECT max(updated_at) FROM accounts) < {end}, true)"
            ),
            [],
            |r| r.get(0),
        )?)
    }

    /// SQL for every user as of `end` (see [`users_as_of`]).
    pub(super) fn users_at_sql(&self, end: &str) -> Result<String> {
        Ok(if self.current_at(end)? {
            users_now(end)
        } else {
            users_mixed(end)
        })
    }

    /// SQL for every account as of `end` (see [`accounts_as_of`]).
    pub(super) fn accounts_at_sql(&self, end: &str) -> Result<String> {
        Ok(if self.current_at(end)? {
            ACCOUNTS_NOW.to_string()
        } else {
            accounts_mixed(end)
        })
    }
}

/// A user as of a moment (see [`super::DuckStore::users_as_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAsOf {
    pub user_id: String,
    pub account_id: Option<String>,
    pub groups: Vec<String>,
    /// A seat assigned before the moment, in an account not archived then.
    pub licensed: bool,
}

impl super::DuckStore {
    /// Every user as they were just before `end`, sorted by id.
    pub fn users_as_of(&self, end: DateTime<Utc>) -> Result<Vec<UserAsOf>> {
        let end = format!("TIMESTAMP '{}'", end.format("%Y-%m-%d %H:%M:%S%.6f"));
        let sql = format!(
            "SELECT user_id, account_id, to_json(groups)::VARCHAR, licensed FROM ({}) ORDER BY user_id",
            users_as_of(&end)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            let groups: String = r.get(2)?;
            Ok(UserAsOf {
                user_id: r.get(0)?,
                account_id: r.get(1)?,
                groups: serde_json::from_str(&groups).unwrap_or_default(),
                licensed: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// SQL for every account as of `end` (exclusive): `account_id, name,
/// seats_purchased, archived, has_portal_access`.
pub(super) fn accounts_as_of(end: &str) -> String {
    account_fields(&latest_before("account_changes", "account_id", end, "true"))
}

/// The accounts' fields from [`latest_before`] rows of `account_changes`.
fn account_fields(latest: &str) -> String {
    format!(
        "SELECT id AS account_id,
                max(v) FILTER (WHERE field = 'name') AS name,
                TRY_CAST(max(v) FILTER (WHERE field = 'seats_purchased') AS INTEGER) AS seats_purchased,
                coalesce(TRY_CAST(max(v) FILTER (WHERE field = 'archived') AS BOOLEAN), false) AS archived,
                coalesce(TRY_CAST(max(v) FILTER (WHERE field = 'has_portal_access') AS BOOLEAN), true)
                    AS has_portal_access,
                max(v) FILTER (WHERE field = 'plan') AS plan,
                TRY_CAST(max(v) FILTER (WHERE field = 'mrr') AS DOUBLE) AS mrr,
                max(v) FILTER (WHERE field = 'csm_owner') AS csm_owner,
                TRY_CAST(max(v) FILTER (WHERE field = 'renewal_date') AS DATE) AS renewal_date
         FROM ({latest}) GROUP BY id"
    )
}

/// Each entity's latest value of each field changed before `end`, for the
/// change rows matching `only`.
fn latest_before(table: &str, id: &str, end: &str, only: &str) -> String {
    format!(
        "SELECT {id} AS id, field, value, value->>'$' AS v FROM {table}
         WHERE changed_at < {end} AND {only}
         QUALIFY row_number() OVER (PARTITION BY {id}, field ORDER BY changed_at DESC, seq DESC) = 1"
    )
}

#[cfg(test)]
mod tests {
    use super::super::DuckStore;
    use super::users_as_of;
    use crate::{Dedup, Store, WriteBatch};
    use serde_json::{Value, json};
    use tenure_core::time::parse_timestamp;
    use tenure_core::{Entity, EntityChange};

    fn change(entity: Entity, id: &str, field: &str, value: Value, at: &str) -> EntityChange {
        EntityChange::new(entity, id, field, value, parse_timestamp(at).unwrap())
    }

    #[test]
    fn licensed_users_follow_seats_and_archiving_at_the_moment_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DuckStore::open(dir.path()).unwrap();
        let (a, u) = (Entity::Account, Entity::User);
        let changes = vec![
            change(a, "a1", "id", json!("a1"), "2026-01-01T00:00:00Z"),
            change(a, "a1", "archived", json!(true), "2026-03-15T00:00:00Z"),
            change(a, "a2", "id", json!("a2"), "2026-01-01T00:00:00Z"),
            change(u, "u1", "account_id", json!("a1"), "2026-01-01T00:00:00Z"),
            change(
                u,
                "u1",
                "seat_assigned_at",
                json!("2026-01-05T00:00:00Z"),
                "2026-01-05T00:00:00Z",
            ),
            change(u, "u1", "groups", json!(["emea"]), "2026-01-05T00:00:00Z"),
            change(u, "u1", "groups", json!(["apac"]), "2026-02-20T00:00:00Z"),
            change(u, "u2", "account_id", json!("a2"), "2026-01-01T00:00:00Z"),
            change(
                u,
                "u2",
                "seat_assigned_at",
                json!(null),
                "2026-01-01T00:00:00Z",
            ),
            change(u, "u3", "account_id", json!("a2"), "2026-01-01T00:00:00Z"),
            change(
                u,
                "u3",
                "seat_assigned_at",
                json!("2026-02-01T00:00:00Z"),
                "2026-02-01T00:00:00Z",
            ),
            change(
                u,
                "u3",
                "seat_assigned_at",
                json!(null),
                "2026-04-01T00:00:00Z",
            ),
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
        let at = |end: &str| {
            store
                .strings(&format!(
                    "SELECT user_id, groups, licensed FROM ({}) ORDER BY 1",
                    users_as_of(&format!("TIMESTAMP '{end}'"))
                ))
                .unwrap()
        };
        let rows = |r: &[[&str; 3]]| -> Vec<Vec<String>> {
            r.iter().map(|r| r.map(String::from).to_vec()).collect()
        };
        // End of January: u3 has no seat yet, u1 is in emea.
        assert_eq!(
            at("2026-02-01 00:00:00"),
            rows(&[
                ["u1", "[emea]", "true"],
                ["u2", "[]", "false"],
                ["u3", "[]", "false"]
            ])
        );
        // End of February: u1 moved to apac, u3 holds a seat.
        assert_eq!(
            at("2026-03-01 00:00:00"),
            rows(&[
                ["u1", "[apac]", "true"],
                ["u2", "[]", "false"],
                ["u3", "[]", "true"]
            ])
        );
        // End of March: a1 archived mid-month, so u1 is not licensed.
        assert_eq!(
            at("2026-04-01 00:00:00"),
            rows(&[
                ["u1", "[apac]", "false"],
                ["u2", "[]", "false"],
                ["u3", "[]", "true"]
            ])
        );
        // End of April: u3's seat was taken back.
        assert_eq!(at("2026-05-01 00:00:00")[2], vec!["u3", "[]", "false"]);
        let users = store
            .users_as_of(parse_timestamp("2026-03-01T00:00:00Z").unwrap())
            .unwrap();
        assert_eq!(
            users[0],
            super::UserAsOf {
                user_id: "u1".into(),
                account_id: Some("a1".into()),
                groups: vec!["apac".into()],
                licensed: true,
            }
        );
        assert_eq!(users.iter().filter(|u| u.licensed).count(), 2);
        // Changes older than the latest stored, written later: the current
        // rows' `updated_at` stays their latest change's time.
        let backdated = vec![
            change(u, "u1", "role", json!("admin"), "2026-01-02T00:00:00Z"),
            change(a, "a1", "plan", json!("pro"), "2026-02-01T00:00:00Z"),
            change(u, "u2", "role", json!("viewer"), "2026-03-20T00:00:00Z"),
        ];
        store
            .write(
                &WriteBatch {
                    events: vec![],
                    changes: backdated,
                },
                Dedup::Done,
            )
            .unwrap();
        // At any moment, the current tables for what did not change since
        // and the changes for the rest give the rows rebuilt from every
        // change; after the last change, the current tables alone do.
        let all = |sql: String| {
            store
                .strings(&format!("SELECT * FROM ({sql}) ORDER BY ALL"))
                .unwrap()
        };
        for moment in [
            "2026-01-01 00:00:00",
            "2026-01-05 00:00:00",
            "2026-02-20 00:00:00",
            "2026-03-15 00:00:00",
            "2026-03-15 00:00:01",
            "2026-04-01 00:00:00",
            "2026-04-01 00:00:01",
        ] {
            let end = format!("TIMESTAMP '{moment}'");
            let slow = all(users_as_of(&end));
            assert_eq!(slow, all(super::users_mixed(&end)), "{moment}");
            let accounts = all(super::accounts_as_of(&end));
            assert_eq!(accounts, all(super::accounts_mixed(&end)), "{moment}");
            if store.current_at(&end).unwrap() {
                assert_eq!(slow, all(super::users_now(&end)), "{moment}");
                assert_eq!(accounts, all(super::ACCOUNTS_NOW.to_string()));
            }
        }
        assert!(all(users_as_of("TIMESTAMP '2026-01-01'")).is_empty());
        let current = |end: &str| store.current_at(&format!("TIMESTAMP '{end}'")).unwrap();
        assert!(current("2026-04-01 00:00:01"));
        assert!(
            !current("2026-04-01 00:00:00"),
            "a change at the end is after it"
        );
        assert!(
            store
                .users_at_sql("TIMESTAMP '2026-03-01'")
                .unwrap()
                .contains("row_number"),
            "the past is rebuilt from the changes made since"
        );
    }
}
