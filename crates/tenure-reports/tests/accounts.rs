//! `accounts` on hand-made accounts and users: traits as of the period's
//! end, seats, the category mix of the licensed users, health, and
//! archived accounts only with `all`.

mod common;

use chrono::NaiveDate;
use common::{change, track};
use serde_json::json;
use tenure_core::report::Period;
use tenure_core::{ActivityKind, Entity, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn event(n: usize, user: &str, name: &str, kind: ActivityKind, at: &str) -> Event {
    Event {
        user_id: Some(user.into()),
        ..track(n, name, kind, at)
    }
}

#[test]
fn accounts_list_traits_seats_mix_and_health() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let (a, u) = (Entity::Account, Entity::User);
    let t0 = "2026-01-01T00:00:00Z";
    let mut changes = vec![
        change(a, "a1", "id", json!("a1"), t0),
        change(a, "a1", "name", json!("Acme, Inc."), t0),
        change(a, "a1", "plan", json!("team"), t0),
        change(a, "a1", "mrr", json!(900.5), t0),
        change(a, "a1", "csm_owner", json!("ana"), t0),
        change(a, "a1", "renewal_date", json!("2026-06-30"), t0),
        change(a, "a1", "seats_purchased", json!(10), t0),
        // After the period: the report shows the plan it had then.
        change(a, "a1", "plan", json!("enterprise"), "2026-04-10T00:00:00Z"),
        change(a, "a2", "id", json!("a2"), t0),
        change(a, "a2", "archived", json!(true), "2026-03-20T00:00:00Z"),
    ];
    for (user, account) in [("u1", "a1"), ("u2", "a1"), ("u3", "a1"), ("u4", "a2")] {
        changes.push(change(u, user, "account_id", json!(account), t0));
        changes.push(change(u, user, "seat_assigned_at", json!(t0), t0));
    }
    use ActivityKind::*;
    let events = vec![
        // u1 engaging: research and two shares.
        event(1, "u1", "Company Viewed", Research, "2026-03-05T00:00:00Z"),
        event(2, "u1", "Insight Shared", Share, "2026-03-06T00:00:00Z"),
        event(3, "u1", "Insight Shared", Share, "2026-03-07T00:00:00Z"),
        // u2 consuming only; u3 dormant (never active: not activated).
        event(4, "u2", "Digest Received", Consume, "2026-03-08T00:00:00Z"),
        event(5, "u4", "Signed In", Login, "2026-03-08T00:00:00Z"),
    ];
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    let mut request = Request::new(
        Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        },
        Scope::default(),
    );
    let table = run(&store, "accounts", &request).unwrap();
    let csv = table.to_csv();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "account_id,name,plan,mrr,csm_owner,renewal_date,archived,purchased,assigned,activated,\
         engaging,interacting,consuming,dormant,health,band"
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("a1,\"Acme, Inc.\",team,900.5,ana,2026-06-30,false,10,3,1,1,0,1,1,"),
        "{row}"
    );
    let health: u64 = row.split(',').nth(15).unwrap().parse().unwrap();
    assert!(health <= 100, "{row}");
    assert!(
        ["red", "yellow", "green"].contains(&row.rsplit(',').next().unwrap()),
        "{row}"
    );
    assert_eq!(
        lines.next(),
        None,
        "the archived account is left out: {csv}"
    );

    request.all_accounts = true;
    let csv = run(&store, "accounts", &request).unwrap().to_csv();
    let archived = csv
        .lines()
        .find(|l| l.starts_with("a2,"))
        .expect("a2 with all");
    assert!(archived.contains(",true,"), "{archived}");
    assert!(
        archived.ends_with(",,"),
        "no health for an archived account: {archived}"
    );

    request.scope.accounts = vec!["a2".into()];
    request.all_accounts = false;
    assert_eq!(run(&store, "accounts", &request).unwrap().rows.len(), 0);
}
