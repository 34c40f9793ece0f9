//! `seats` and `seats-pending` on hand-made accounts and users.

mod common;

use chrono::NaiveDate;
use common::{change, track};
use serde_json::json;
use tenure_core::report::Period;
use tenure_core::{ActivityKind, Entity, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn login(n: u32, user: &str, at: &str) -> Event {
    Event {
        user_id: Some(user.into()),
        ..track(n as usize, "Signed In", ActivityKind::Login, at)
    }
}

fn csv(store: &DuckStore, name: &str) -> String {
    csv_with(store, name, 7)
}

fn csv_with(store: &DuckStore, name: &str, pending_days: u32) -> String {
    let mut request = Request::new(
        Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        },
        Scope::default(),
    );
    request.config.pending_days = pending_days;
    run(store, name, &request).unwrap().to_csv()
}

#[test]
fn seats_count_purchased_assigned_activated_and_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let (a, u) = (Entity::Account, Entity::User);
    let t0 = "2026-01-01T00:00:00Z";
    let seat = |user: &str, account: &str, at: &str| {
        vec![
            change(u, user, "account_id", json!(account), t0),
            change(u, user, "email", json!(format!("{user}@x.test")), t0),
            change(u, user, "seat_assigned_at", json!(at), at),
        ]
    };
    let mut changes = vec![
        change(a, "a1", "id", json!("a1"), t0),
        change(a, "a1", "seats_purchased", json!(10), t0),
        change(a, "a2", "id", json!("a2"), t0),
        change(a, "a3", "id", json!("a3"), t0),
        change(a, "a3", "seats_purchased", json!(5), t0),
        change(a, "a3", "archived", json!(true), "2026-03-20T00:00:00Z"),
    ];
    changes.extend(seat("u1", "a1", "2026-01-10T00:00:00Z"));
    // Assigned 10 days before the end, never active: pending.
    changes.extend(seat("u2", "a1", "2026-03-22T00:00:00Z"));
    // Assigned 3 days before the end: not pending yet.
    changes.extend(seat("u3", "a1", "2026-03-29T00:00:00Z"));
    // Active only before the period: still activated.
    changes.extend(seat("u4", "a2", "2026-01-10T00:00:00Z"));
    changes.extend(seat("u5", "a3", "2026-01-10T00:00:00Z"));
    let events = vec![
        login(1, "u1", "2026-03-05T00:00:00Z"),
        login(2, "u4", "2026-02-05T00:00:00Z"),
        // After the period: does not count.
        login(3, "u3", "2026-04-02T00:00:00Z"),
    ];
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    assert_eq!(
        csv(&store, "seats"),
        "account_id,purchased,assigned,activated,activation_rate,utilisation,pending_over_7_days\n\
         a1,10,3,1,0.3333,0.3,1\n\
         a2,,1,1,1,,0\n"
    );
    assert_eq!(
        csv(&store, "seats-pending"),
        "user_id,account_id,email,seat_assigned_at\nu2,a1,u2@x.test,2026-03-22T00:00:00Z\n"
    );
    // With `[reports] pending_days = 3`, u3 (assigned 3 days before) too.
    assert!(csv_with(&store, "seats", 3).contains("a1,10,3,1,0.3333,0.3,2\n"));
}
