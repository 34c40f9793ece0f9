//! `influence` on hand-made events in a real store: recipients resolved
//! by id, email and domain, the ranking within an account, the scope's
//! filters and `top`.

mod common;

use chrono::NaiveDate;
use serde_json::{Value, json};
use tenure_core::report::Period;
use tenure_core::{ActivityKind, Entity, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

const T: &str = "2026-03-10T12:00:00Z";

fn share(n: usize, user: &str, account: &str, properties: Value) -> Event {
    Event {
        user_id: Some(user.into()),
        account_id: Some(account.into()),
        properties: Some(properties.to_string()),
        ..common::track(n, "Insight Shared", ActivityKind::Share, T)
    }
}

fn store() -> (tempfile::TempDir, DuckStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let at = "2026-01-01T00:00:00Z";
    let (a, u) = (Entity::Account, Entity::User);
    let mut changes = vec![
        common::change(a, "a1", "id", json!("a1"), at),
        common::change(a, "a2", "id", json!("a2"), at),
    ];
    // a1: u1..u4 at acme.example (u4 without a seat), u5 on gmail; a2: v1.
    for (user, account, email, group) in [
        ("u1", "a1", "u1@acme.example", "sales"),
        ("u2", "a1", "U2@Acme.example", "sales"),
        ("u3", "a1", "u3@acme.example", "research"),
        ("u4", "a1", "u4@acme.example", "research"),
        ("u5", "a1", "u5@gmail.com", "research"),
        ("v1", "a2", "v1@other.example", "sales"),
    ] {
        changes.push(common::change(u, user, "account_id", json!(account), at));
        changes.push(common::change(u, user, "email", json!(email), at));
        changes.push(common::change(u, user, "groups", json!([group]), at));
        if user != "u4" {
            changes.push(common::change(u, user, "seat_assigned_at", json!(at), at));
        }
    }
    let events = vec![
        // u1 reaches u2 (by email, any case) and u3 (by id); u2 reaches
        // u3; u3 reaches u4, who has no seat but is a colleague.
        share(
            1,
            "u1",
            "a1",
            json!({"channel": "email", "recipient_email": "u2@ACME.example"}),
        ),
        share(
            2,
            "u1",
            "a1",
            json!({"channel": "email", "recipient_id": "u3"}),
        ),
        share(
            3,
            "u2",
            "a1",
            json!({"channel": "email", "recipient_id": "u3"}),
        ),
        share(
            4,
            "u3",
            "a1",
            json!({"channel": "email", "recipient_id": "u4"}),
        ),
        // Outside: social posts and people elsewhere (a gmail address
        // too, though u5 uses gmail).
        share(5, "u3", "a1", json!({"channel": "linkedin"})),
        share(6, "u5", "a1", json!({"channel": "twitter"})),
        share(
            7,
            "u5",
            "a1",
            json!({"channel": "email", "recipient_email": "pal@gmail.com"}),
        ),
        share(
            8,
            "u5",
            "a1",
            json!({"channel": "email", "recipient_id": "v1"}),
        ),
        // Neither: a watchlist; and v1 in a2 shares with nobody inside.
        share(9, "u2", "a1", json!({"channel": "watchlist"})),
        share(
            10,
            "v1",
            "a2",
            json!({"channel": "email", "recipient_email": "u1@acme.example"}),
        ),
        // After the period.
        share(
            11,
            "u5",
            "a1",
            json!({"channel": "email", "recipient_id": "u1"}),
        ),
    ];
    let mut events = events;
    events[10].timestamp = tenure_core::time::parse_timestamp("2026-04-02T00:00:00Z").unwrap();
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    (dir, store)
}

fn march(scope: Scope) -> Request {
    Request::new(
        Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        },
        scope,
    )
}

fn rows(store: &DuckStore, request: &Request) -> Vec<Vec<String>> {
    let csv = run(store, "influence", request).unwrap().to_csv();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "user_id,account_id,rank,influence_inside,influence_outside,colleagues_reached"
    );
    lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn influence_ranks_who_reaches_colleagues_and_counts_what_goes_out() {
    let (_dir, store) = store();
    let all = rows(&store, &march(Scope::default()));
    let users: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
        .collect();
    // Licensed users only: u4 has no seat. u1 reaches two colleagues, one
    // of whom reaches another: first. u3 is the only one to reach u4, so
    // gets all u4 passes on; u2 shares what u3 passes on with u1.
    assert_eq!(
        users,
        [
            ("u1", "a1", "1"),
            ("u3", "a1", "2"),
            ("u2", "a1", "3"),
            ("u5", "a1", "4"),
            ("v1", "a2", "1"),
        ]
    );
    let get = |u: &str| all.iter().find(|r| r[0] == u).unwrap().clone();
    let inside = |u: &str| get(u)[3].parse::<f64>().unwrap();
    assert!(inside("u1") > inside("u3") && inside("u3") > inside("u2"));
    assert!(inside("u2") > 0.0);
    assert_eq!(inside("u5"), 0.0);
    assert_eq!(get("u1")[4..], ["0", "2"]);
    assert_eq!(get("u3")[4..], ["1", "1"]);
    assert_eq!(get("u5")[4..], ["3", "0"]);
    // v1 emailed someone at another account: outside, not a colleague.
    assert_eq!(get("v1")[3..], ["0", "1", "0"]);

    // Every user, the top two per account.
    let mut request = march(Scope {
        all_users: true,
        ..Scope::default()
    });
    request.top = Some(2);
    let top: Vec<String> = rows(&store, &request)
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(top, ["u1", "u3", "v1"]);

    // A group filter narrows the rows, not the graph: u3 keeps the rank
    // u4 passes it, though u4 is not listed.
    let research = rows(
        &store,
        &march(Scope {
            groups: vec!["research".into()],
            all_users: true,
            ..Scope::default()
        }),
    );
    let names: Vec<&str> = research.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["u3", "u5", "u4"]);
    assert_eq!(research[0][3], get("u3")[3]);
}
