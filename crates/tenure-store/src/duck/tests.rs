//! The DuckDB store against a real file in a temp dir.

use super::DuckStore;
use crate::{Dedup, Store, StoreError, WriteBatch};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tenure_core::config::Overrides;
use tenure_core::report::Period;
use tenure_core::time::parse_timestamp;
use tenure_core::{ActivityKind, CallType, Config, Entity, EntityChange, Event, Taxonomy};

fn t(text: &str) -> DateTime<Utc> {
    parse_timestamp(text).unwrap()
}

fn event(id: &str, name: &str, kind: ActivityKind) -> Event {
    Event {
        message_id: id.into(),
        call: CallType::Track,
        user_id: Some("u1".into()),
        anonymous_id: None,
        account_id: Some("a1".into()),
        event: Some(name.into()),
        kind,
        properties: Some("{}".into()),
        traits: None,
        context: None,
        previous_id: None,
        timestamp: t("2026-01-01T00:00:00Z"),
        original_timestamp: None,
        sent_at: None,
        received_at: t("2026-01-01T00:00:01Z"),
    }
}

fn change(entity: Entity, id: &str, field: &str, value: Value, at: &str) -> EntityChange {
    EntityChange {
        entity,
        id: id.into(),
        field: field.into(),
        value,
        at: t(at),
    }
}

#[test]
fn trait_history_keeps_every_change_and_the_state_at_any_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let a = Entity::Account;
    let batch = WriteBatch {
        events: vec![],
        changes: vec![
            change(a, "a1", "id", json!("a1"), "2026-01-01T00:00:00Z"),
            change(a, "a1", "plan", json!("basic"), "2026-01-01T00:00:00Z"),
            change(a, "a1", "archived", json!(false), "2026-01-01T00:00:00Z"),
        ],
    };
    assert_eq!(store.write(&batch, Dedup::Done).unwrap().changes_written, 3);
    // The same values again add nothing; a later change adds one row.
    assert_eq!(store.write(&batch, Dedup::Done).unwrap().changes_written, 0);
    // Clearing a field that was never set is no change either.
    let clear = WriteBatch {
        events: vec![],
        changes: vec![change(a, "a1", "mrr", Value::Null, "2026-01-02T00:00:00Z")],
    };
    assert_eq!(store.write(&clear, Dedup::Done).unwrap().changes_written, 0);
    let later = WriteBatch {
        events: vec![],
        changes: vec![change(
            a,
            "a1",
            "archived",
            json!(true),
            "2026-03-15T00:00:00Z",
        )],
    };
    assert_eq!(store.write(&later, Dedup::Done).unwrap().changes_written, 1);
    // A late-arriving older change does not override the newer state.
    let old = WriteBatch {
        events: vec![],
        changes: vec![change(
            a,
            "a1",
            "plan",
            json!("pro"),
            "2025-12-01T00:00:00Z",
        )],
    };
    store.write(&old, Dedup::Done).unwrap();
    let rows = store
        .strings("SELECT plan, archived, created_at FROM accounts WHERE id = 'a1'")
        .unwrap();
    assert_eq!(rows, vec![vec!["basic", "true", "2025-12-01 00:00:00"]]);
    let archived_at = |when: &str| {
        store
            .strings(&format!(
                "SELECT value FROM account_changes WHERE account_id = 'a1' AND field = 'archived' \
                 AND changed_at <= TIMESTAMP '{when}' ORDER BY changed_at DESC, seq DESC LIMIT 1"
            ))
            .unwrap()
    };
    assert_eq!(archived_at("2026-02-28 23:59:59"), vec![vec!["false"]]);
    assert_eq!(archived_at("2026-03-31 23:59:59"), vec![vec!["true"]]);
}

#[test]
fn users_get_groups_and_seats() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let u = Entity::User;
    let at = "2026-01-01T00:00:00Z";
    let batch = WriteBatch {
        events: vec![],
        changes: vec![
            change(u, "u1", "id", json!("u1"), at),
            change(u, "u1", "account_id", json!("a1"), at),
            change(u, "u1", "groups", json!(["emea", "sales"]), at),
            change(
                u,
                "u1",
                "seat_assigned_at",
                json!("2026-01-02T03:04:05Z"),
                at,
            ),
            change(u, "u1", "hobby", json!({"kind": "chess"}), at),
        ],
    };
    store.write(&batch, Dedup::Done).unwrap();
    assert_eq!(
        store
            .strings("SELECT account_id, groups, seat_assigned_at, traits FROM users")
            .unwrap(),
        vec![vec![
            "a1",
            "[emea, sales]",
            "2026-01-02 03:04:05",
            r#"{"hobby":{"kind":"chess"}}"#
        ]]
    );
    assert_eq!(
        store.count("SELECT count(*) FROM group_members").unwrap(),
        2
    );
    // Unassigning the seat.
    let unassign = WriteBatch {
        events: vec![],
        changes: vec![change(
            u,
            "u1",
            "seat_assigned_at",
            Value::Null,
            "2026-02-01T00:00:00Z",
        )],
    };
    store.write(&unassign, Dedup::Done).unwrap();
    assert_eq!(
        store.strings("SELECT seat_assigned_at FROM users").unwrap(),
        vec![vec!["NULL"]]
    );
}

#[test]
fn bulk_writes_skip_ids_already_stored_and_roll_back_on_abort() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let first = WriteBatch {
        events: vec![event("e1", "Signed In", ActivityKind::Login)],
        changes: vec![],
    };
    store.write(&first, Dedup::Done).unwrap();
    let again = WriteBatch {
        events: vec![
            event("e1", "Signed In", ActivityKind::Login),
            event("e2", "Signed In", ActivityKind::Login),
            event("e2", "Signed In", ActivityKind::Login),
        ],
        changes: vec![],
    };
    assert_eq!(
        store
            .write(&again, Dedup::AgainstAll)
            .unwrap()
            .events_written,
        1
    );
    store.begin_write(Dedup::AgainstAll).unwrap();
    store
        .stage(&WriteBatch {
            events: vec![event("e3", "Signed In", ActivityKind::Login)],
            changes: vec![],
        })
        .unwrap();
    store.abort_write().unwrap();
    assert_eq!(store.count("SELECT count(*) FROM events").unwrap(), 2);
}

#[test]
fn a_changed_taxonomy_reclassifies_stored_events() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    store.sync_taxonomy(&Taxonomy::default()).unwrap();
    store
        .write(
            &WriteBatch {
                events: vec![event("e1", "Logged In", ActivityKind::Other)],
                changes: vec![],
            },
            Dedup::Done,
        )
        .unwrap();
    let config = Config::from_toml(
        "[taxonomy]\nlogin = [\"Logged In\"]\n",
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(store.sync_taxonomy(&config.taxonomy).unwrap(), 1);
    assert_eq!(store.sync_taxonomy(&config.taxonomy).unwrap(), 0);
    assert_eq!(
        store.strings("SELECT kind FROM events").unwrap(),
        vec![vec!["login"]]
    );
}

#[test]
fn a_second_process_handle_is_refused_at_once_and_data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = DuckStore::open(dir.path()).unwrap();
        store
            .write(
                &WriteBatch {
                    events: vec![event("e1", "Signed In", ActivityKind::Login)],
                    changes: vec![],
                },
                Dedup::Done,
            )
            .unwrap();
        assert_eq!(store.schema_version().unwrap(), latest_version());
        let stats = store.stats().unwrap();
        assert_eq!(stats.events, 1);
        assert_eq!(stats.events_by_kind.get("login"), Some(&1));
    }
    let store = DuckStore::open(dir.path()).unwrap();
    assert_eq!(store.count("SELECT count(*) FROM events").unwrap(), 1);
    // Another process holding the file: DuckDB's lock is per process, so
    // that case is covered by the CLI test; here the error type is checked.
    let err = StoreError::Locked { path: "x".into() }.to_string();
    assert!(err.contains("in use by another process"));
}

#[test]
fn the_journal_mark_commits_and_rolls_back_with_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    assert_eq!(store.journal_applied().unwrap(), 0);
    assert!(store.mark_applied(3).is_err(), "only inside a write");
    let batch = WriteBatch {
        events: vec![event("j1", "Signed In", ActivityKind::Login)],
        changes: vec![],
    };
    store.begin_write(Dedup::Done).unwrap();
    store.stage(&batch).unwrap();
    store.mark_applied(7).unwrap();
    store.abort_write().unwrap();
    assert_eq!(store.journal_applied().unwrap(), 0);
    assert_eq!(store.count("SELECT count(*) FROM events").unwrap(), 0);
    store.begin_write(Dedup::Done).unwrap();
    store.stage(&batch).unwrap();
    store.mark_applied(7).unwrap();
    store.commit_write().unwrap();
    drop(store);
    let store = DuckStore::open(dir.path()).unwrap();
    assert_eq!(store.journal_applied().unwrap(), 7);
    assert_eq!(store.count("SELECT count(*) FROM events").unwrap(), 1);
}

fn latest_version() -> i64 {
    super::schema::MIGRATIONS.last().unwrap().0
}

/// Refreshes the rollup, then counts where it differs from the events.
fn rollup_mismatches(store: &mut DuckStore) -> i64 {
    store.refresh_rollups().unwrap();
    store.rollup_mismatches().unwrap()
}

fn at(mut e: Event, when: &str, properties: &str) -> Event {
    e.timestamp = t(when);
    e.properties = Some(properties.into());
    e
}

#[test]
fn the_rollup_matches_the_events_after_every_kind_of_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let share = |id: &str, when: &str, channel: &str| {
        at(
            event(id, "Insight Shared", ActivityKind::Share),
            when,
            &format!(r#"{{"channel": {channel}}}"#),
        )
    };
    // Direct rows: two days, a detail, an event without a user.
    let mut anonymous = event("e4", "Signed In", ActivityKind::Login);
    anonymous.user_id = None;
    let first = WriteBatch {
        events: vec![
            share("e1", "2026-01-01T23:59:59Z", r#""email""#),
            share("e2", "2026-01-02T00:00:00Z", r#""email""#),
            share("e3", "2026-01-02T10:00:00Z", "7"),
            anonymous,
        ],
        changes: vec![],
    };
    store.write(&first, Dedup::Done).unwrap();
    // Behind until refreshed; a refresh covers exactly the new events.
    assert!(store.rollup_mismatches().unwrap() > 0);
    assert_eq!(store.refresh_rollups().unwrap(), 4);
    assert_eq!(store.refresh_rollups().unwrap(), 0);
    assert_eq!(rollup_mismatches(&mut store), 0);
    assert_eq!(
        store
            .strings("SELECT detail, sum(events) FROM activity_daily WHERE event = 'Insight Shared' GROUP BY 1 ORDER BY 1")
            .unwrap(),
        vec![vec!["7", "1"], vec!["email", "2"]]
    );

    // Staged rows: repeats and ids already stored add nothing to either.
    let staged = WriteBatch {
        events: vec![
            share("e1", "2026-03-01T00:00:00Z", r#""linkedin""#),
            share("e5", "2026-03-01T00:00:00Z", r#""linkedin""#),
            share("e5", "2026-03-02T00:00:00Z", r#""twitter""#),
            at(
                event("e6", "Signed In", ActivityKind::Login),
                "2026-01-02T08:00:00Z",
                "{}",
            ),
        ],
        changes: vec![],
    };
    assert_eq!(
        store
            .write(&staged, Dedup::AgainstAll)
            .unwrap()
            .events_written,
        2
    );
    assert_eq!(rollup_mismatches(&mut store), 0);

    // Rows known to be new, then staged rows in the same write.
    store.begin_write(Dedup::AgainstAll).unwrap();
    store
        .stage_new(&WriteBatch {
            events: vec![share("e7", "2026-04-01T00:00:00Z", "null")],
            changes: vec![],
        })
        .unwrap();
    store
        .stage(&WriteBatch {
            events: vec![share("e7", "2026-04-02T00:00:00Z", r#""email""#)],
            changes: vec![],
        })
        .unwrap();
    assert_eq!(store.commit_write().unwrap().events_written, 1);
    assert_eq!(rollup_mismatches(&mut store), 0);

    // An aborted write leaves no rollup rows; a taxonomy change rebuilds.
    store.begin_write(Dedup::Done).unwrap();
    store.stage(&first).unwrap();
    store.abort_write().unwrap();
    let config = Config::from_toml(
        "[taxonomy]\nmaintain = [\"Insight Shared\"]\nshare = [\"Reminder Set\"]\n",
        Overrides::default(),
    )
    .unwrap();
    assert!(store.sync_taxonomy(&config.taxonomy).unwrap() > 0);
    assert_eq!(rollup_mismatches(&mut store), 0);
    assert_eq!(
        store
            .count("SELECT sum(events)::BIGINT FROM activity_daily WHERE kind = 'maintain'")
            .unwrap(),
        5
    );
    // A lost rollup is rebuilt whole, and refreshes go on from there.
    store.execute("DELETE FROM activity_daily").unwrap();
    assert!(store.rollup_mismatches().unwrap() > 0);
    store.rebuild_rollups().unwrap();
    assert_eq!(store.rollup_mismatches().unwrap(), 0);
    assert_eq!(
        store.count("SELECT count(*) FROM user_firsts").unwrap(),
        store
            .count(
                "SELECT count(*) FROM (SELECT DISTINCT user_num, event, detail FROM user_firsts)"
            )
            .unwrap(),
        "a rebuild keeps one first per user, event and detail"
    );
    assert_eq!(store.refresh_rollups().unwrap(), 0);
}

/// The lifecycle names are read from `lifecycle_events`, any other name
/// from `activity_daily`, and both agree with the events.
#[test]
fn event_days_read_lifecycle_names_from_their_rollup() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    store.sync_taxonomy(&Taxonomy::default()).unwrap();
    let on = |id: &str, name: &str, kind: ActivityKind, when: &str| {
        at(event(id, name, kind), when, "{}")
    };
    let batch = WriteBatch {
        events: vec![
            on(
                "c1",
                "Account Churned",
                ActivityKind::Lifecycle,
                "2026-02-01T10:00:00Z",
            ),
            on(
                "c2",
                "Account Churned",
                ActivityKind::Lifecycle,
                "2026-02-01T11:00:00Z",
            ),
            on(
                "u1",
                "Plan Upgraded",
                ActivityKind::Lifecycle,
                "2026-03-05T00:00:00Z",
            ),
            on(
                "s1",
                "Signed In",
                ActivityKind::Login,
                "2026-02-01T09:00:00Z",
            ),
            on(
                "o1",
                "Signed In",
                ActivityKind::Login,
                "2025-12-31T09:00:00Z",
            ),
        ],
        changes: vec![],
    };
    store.write(&batch, Dedup::Done).unwrap();
    assert_eq!(rollup_mismatches(&mut store), 0);
    assert_eq!(
        store
            .count("SELECT count(*) FROM lifecycle_events")
            .unwrap(),
        3
    );
    let period = Period {
        from: "2026-01-01".parse().unwrap(),
        to: "2026-12-31".parse().unwrap(),
    };
    let names = ["Account Churned", "Signed In", "Plan Upgraded"].map(String::from);
    let days = |store: &DuckStore| -> Vec<(String, String, u64)> {
        store
            .event_days(period, &names)
            .unwrap()
            .into_iter()
            .map(|e| (e.day.to_string(), e.event, e.events))
            .collect()
    };
    let expected = vec![
        ("2026-02-01".to_string(), "Account Churned".to_string(), 2),
        ("2026-02-01".into(), "Signed In".into(), 1),
        ("2026-03-05".into(), "Plan Upgraded".into(), 1),
    ];
    assert_eq!(days(&store), expected);
    // Without a stored taxonomy every name is read from activity_daily:
    // the same days.
    store.execute("DELETE FROM taxonomy").unwrap();
    assert_eq!(days(&store), expected);
    // With it, the lifecycle names come from their rollup alone.
    store.sync_taxonomy(&Taxonomy::default()).unwrap();
    store.execute("DELETE FROM lifecycle_events").unwrap();
    assert_eq!(days(&store), vec![expected[1].clone()]);
}

/// Each user id the events name gets one number, from 1, the first time a
/// refresh meets it; later refreshes keep it and number only new ids; a
/// rebuild numbers them all again, densely; events without a user have
/// none.
#[test]
fn users_are_numbered_once_as_refreshes_meet_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let of = |id: &str, user: Option<&str>| Event {
        user_id: user.map(str::to_string),
        anonymous_id: Some("anon".into()),
        ..event(id, "Signed In", ActivityKind::Login)
    };
    let numbers = |store: &DuckStore| {
        store
            .strings("SELECT user_id, user_num FROM user_numbers ORDER BY user_num")
            .unwrap()
    };
    let write = |store: &mut DuckStore, events: Vec<Event>| {
        let batch = WriteBatch {
            events,
            changes: vec![],
        };
        store.write(&batch, Dedup::Done).unwrap();
    };
    write(&mut store, vec![of("e1", Some("u1")), of("e2", Some("u1"))]);
    assert_eq!(rollup_mismatches(&mut store), 0);
    assert_eq!(numbers(&store), vec![vec!["u1", "1"]]);
    write(
        &mut store,
        vec![of("e3", Some("u2")), of("e4", Some("u1")), of("e5", None)],
    );
    assert_eq!(rollup_mismatches(&mut store), 0);
    assert_eq!(numbers(&store), vec![vec!["u1", "1"], vec!["u2", "2"]]);
    let rows = |store: &DuckStore| {
        store
            .strings(
                "SELECT coalesce(user_id, '-'), sum(events) FROM activity_daily
                 LEFT JOIN user_numbers USING (user_num) GROUP BY ALL ORDER BY ALL",
            )
            .unwrap()
    };
    let by_user = vec![vec!["-", "1"], vec!["u1", "3"], vec!["u2", "1"]];
    assert_eq!(rows(&store), by_user);
    store.rebuild_rollups().unwrap();
    assert_eq!(store.rollup_mismatches().unwrap(), 0);
    assert_eq!(rows(&store), by_user);
    let renumbered: Vec<String> = numbers(&store).into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(renumbered, vec!["1", "2"]);
    // A number without its id is a mismatch.
    store
        .execute("DELETE FROM user_numbers WHERE user_id = 'u2'")
        .unwrap();
    assert!(store.rollup_mismatches().unwrap() > 0);
}

/// A store from before a rollup table existed gets it filled when it
/// migrates, and refreshes go on from the same mark.
#[test]
fn a_migration_that_adds_a_rollup_fills_it_from_the_stored_events() {
    let dir = tempfile::tempdir().unwrap();
    let message = |id: &str, when: &str| {
        at(
            event(id, "Message Sent", ActivityKind::Message),
            when,
            &format!(r#"{{"message_id": "{id}", "recipient_id": "p1"}}"#),
        )
    };
    {
        let mut store = DuckStore::open(dir.path()).unwrap();
        let batch = WriteBatch {
            events: vec![
                message("s1", "2026-01-01T00:00:00Z"),
                message("s2", "2026-01-02T00:00:00Z"),
            ],
            changes: vec![],
        };
        store.write(&batch, Dedup::Done).unwrap();
        store.refresh_rollups().unwrap();
        // As version 4 left it: no social_events or user_firsts table.
        store
            .execute(
                "DROP TABLE social_events; DROP TABLE user_firsts; DROP TABLE user_months;
                 DROP TABLE user_last; DROP TABLE user_numbers; DROP TABLE health_daily; DROP TABLE alerts; DROP TABLE feedback_events; DROP TABLE model_fits; DROP TABLE outbox; DROP TABLE playbook_audit; DROP TABLE playbook_days; DROP TABLE messages; DROP TABLE tasks; DROP TABLE scores_daily; DROP TABLE lifecycle_events;
                 DELETE FROM schema_migrations WHERE version >= 5",
            )
            .unwrap();
        let later = WriteBatch {
            events: vec![message("s3", "2026-01-03T00:00:00Z")],
            changes: vec![],
        };
        store.write(&later, Dedup::Done).unwrap();
    }
    let mut store = DuckStore::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    assert_eq!(
        store.count("SELECT count(*) FROM social_events").unwrap(),
        2,
        "the events the rollups covered"
    );
    // One user, one event: one first time, which the later s3 keeps.
    assert_eq!(store.count("SELECT count(*) FROM user_firsts").unwrap(), 1);
    assert_eq!(store.count("SELECT count(*) FROM user_last").unwrap(), 1);
    assert_eq!(rollup_mismatches(&mut store), 0);
    assert_eq!(
        store.count("SELECT count(*) FROM social_events").unwrap(),
        3
    );
    assert_eq!(store.count("SELECT count(*) FROM user_firsts").unwrap(), 1);
    // An older event stored later is the new first time.
    let older = WriteBatch {
        events: vec![message("s0", "2025-12-31T00:00:00Z")],
        changes: vec![],
    };
    store.write(&older, Dedup::Done).unwrap();
    assert_eq!(rollup_mismatches(&mut store), 0);
    assert_eq!(store.count("SELECT count(*) FROM user_firsts").unwrap(), 2);
}

#[test]
fn memory_limit_and_threads_come_from_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let settings = tenure_core::config::StoreConfig {
        memory_limit: "512MB".into(),
        threads: Some(1),
    };
    let store = DuckStore::open_with(dir.path(), &settings).unwrap();
    let got = store
        .strings("SELECT current_setting('memory_limit'), current_setting('threads')")
        .unwrap();
    // DuckDB shows the limit in its own units (512MB = 488.2 MiB).
    assert_eq!(got[0][1], "1");
    assert!(got[0][0].starts_with("488"), "{got:?}");
    drop(store);
    let store = DuckStore::open(dir.path()).unwrap();
    let got = store
        .strings("SELECT current_setting('memory_limit')")
        .unwrap();
    assert_eq!(got[0][0], "2.0 GiB");
}

#[test]
fn feedback_keeps_nps_scores_comments_and_feedback_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let batch = WriteBatch {
        events: vec![
            at(
                event("n1", "NPS Submitted", ActivityKind::Other),
                "2026-03-02T10:00:00Z",
                r#"{"score": 9, "comment": "Love it"}"#,
            ),
            at(
                event("f1", "Feedback Submitted", ActivityKind::Other),
                "2026-03-05T10:00:00Z",
                r#"{"text": "Search is slow"}"#,
            ),
            at(
                event("s1", "Signed In", ActivityKind::Login),
                "2026-03-05T11:00:00Z",
                "{}",
            ),
        ],
        changes: vec![],
    };
    store.write(&batch, Dedup::Done).unwrap();
    assert_eq!(rollup_mismatches(&mut store), 0);
    let march = tenure_core::report::Period {
        from: "2026-03-01".parse().unwrap(),
        to: "2026-03-31".parse().unwrap(),
    };
    let got = store.feedback(march, &crate::Scope::default()).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].score, got[0].text.as_deref()),
        (Some(9.0), Some("Love it"))
    );
    assert_eq!(
        (got[1].event.as_str(), got[1].score, got[1].text.as_deref()),
        ("Feedback Submitted", None, Some("Search is slow"))
    );
}

#[test]
fn platform_users_are_the_accounts_users_with_a_platform_event_in_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let at = |mut e: Event, user: &str, account: &str, when: &str| {
        e.user_id = Some(user.into());
        e.account_id = Some(account.into());
        e.timestamp = t(when);
        e
    };
    let events = vec![
        at(
            event("m1", "Search Performed", ActivityKind::Research),
            "u1",
            "a1",
            "2026-03-05T10:00:00Z",
        ),
        at(
            event("m2", "Signed In", ActivityKind::Login),
            "u2",
            "a1",
            "2026-03-31T23:59:00Z",
        ),
        // Not a platform event; outside the period; another account.
        at(
            event("m3", "Digest Received", ActivityKind::Consume),
            "u3",
            "a1",
            "2026-03-05T10:00:00Z",
        ),
        at(
            event("m4", "Signed In", ActivityKind::Login),
            "u4",
            "a1",
            "2026-02-28T23:59:00Z",
        ),
        at(
            event("m5", "Signed In", ActivityKind::Login),
            "u5",
            "a2",
            "2026-03-05T10:00:00Z",
        ),
    ];
    store
        .write(
            &WriteBatch {
                events,
                changes: vec![],
            },
            Dedup::Done,
        )
        .unwrap();
    store.refresh_rollups().unwrap();
    let march = tenure_core::report::Period {
        from: "2026-03-01".parse().unwrap(),
        to: "2026-03-31".parse().unwrap(),
    };
    assert_eq!(
        store.platform_users(march, &["a1".into()]).unwrap(),
        ["u1", "u2"]
    );
    assert_eq!(
        store
            .platform_users(march, &["a1".into(), "a2".into()])
            .unwrap(),
        ["u1", "u2", "u5"]
    );
    assert!(store.platform_users(march, &[]).unwrap().is_empty());
}
