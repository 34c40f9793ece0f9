//! `user-levels` and `levels` on hand-made events.

mod common;

use chrono::NaiveDate;
use serde_json::{Value, json};
use tenure_core::report::Period;
use tenure_core::rules::Achievement;
use tenure_core::{ActivityKind, Entity, EntityChange, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn change(entity: Entity, id: &str, field: &str, value: Value) -> EntityChange {
    common::change(entity, id, field, value, "2026-01-01T00:00:00Z")
}

fn event(n: usize, name: &str, kind: ActivityKind, properties: &str, at: &str) -> Event {
    Event {
        user_id: Some("u1".into()),
        account_id: Some("a1".into()),
        properties: Some(properties.into()),
        ..common::track(n, name, kind, at)
    }
}

#[test]
fn achievements_are_distinct_first_time_actions_up_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let (a, u) = (Entity::Account, Entity::User);
    let mut changes = vec![change(a, "a1", "id", json!("a1"))];
    for user in ["u1", "u2"] {
        changes.push(change(u, user, "account_id", json!("a1")));
        changes.push(change(
            u,
            user,
            "seat_assigned_at",
            json!("2026-01-01T00:00:00Z"),
        ));
    }
    use ActivityKind::*;
    let t = "2026-02-01T00:00:00Z";
    let plan = [
        ("Company Followed", Maintain, "{}", t),
        ("Search Performed", Research, "{}", t),
        ("Search Performed", Research, "{}", "2026-03-01T00:00:00Z"),
        ("Insight Shared", Share, r#"{"channel": "email"}"#, t),
        ("Insight Shared", Share, r#"{"channel": "linkedin"}"#, t),
        ("Insight Shared", Share, r#"{"channel": "twitter"}"#, t),
        ("Message Answered", Message, r#"{"answer": "no"}"#, t),
        ("Message Answered", Message, r#"{"answer": "maybe"}"#, t),
        // After the end: not yet.
        ("Reminder Set", Share, "{}", "2026-04-01T00:00:00Z"),
    ];
    let events = plan
        .iter()
        .enumerate()
        .map(|(i, (name, kind, props, at))| event(i, name, *kind, props, at))
        .collect();
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    let request = Request::new(
        Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        },
        Scope::default(),
    );
    // Followed, searched, shared by email, shared on LinkedIn or Twitter
    // (once), answered maybe: 5, professional.
    assert_eq!(
        run(&store, "user-levels", &request).unwrap().to_csv(),
        "user_id,account_id,achievements,level\nu1,a1,5,professional\nu2,a1,0,beginner\n"
    );
    assert_eq!(
        run(&store, "levels", &request).unwrap().to_csv(),
        "account_id,beginner,intermediate,professional,advanced,expert\na1,1,0,1,0,0\n"
    );
    // From the config: two achievements only, and levels at 1, 2, 3, 4.
    let mut custom = request.clone();
    custom.config.achievements = vec![
        Achievement {
            name: "searched".into(),
            event: "Search Performed".into(),
            details: vec![],
        },
        Achievement {
            name: "answered".into(),
            event: "Message Answered".into(),
            details: vec!["yes".into()],
        },
    ];
    custom.config.level_thresholds = [1, 2, 3, 4];
    assert_eq!(
        run(&store, "user-levels", &custom).unwrap().to_csv(),
        "user_id,account_id,achievements,level\nu1,a1,1,intermediate\nu2,a1,0,beginner\n"
    );
}
