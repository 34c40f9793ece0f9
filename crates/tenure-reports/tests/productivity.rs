//! `productivity` on hand-made messages: its three layouts, the empty
//! rate, and a bad `by`.

mod common;

use chrono::NaiveDate;
use common::change;
use serde_json::json;
use tenure_core::report::Period;
use tenure_core::{ActivityKind, Entity, Event};
use tenure_reports::{ReportError, Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn message(n: usize, user: &str, name: &str, at: &str, properties: serde_json::Value) -> Event {
    let kind = if name == "Insight Shared" {
        ActivityKind::Share
    } else {
        ActivityKind::Message
    };
    Event {
        user_id: Some(user.into()),
        properties: Some(properties.to_string()),
        ..common::track(n, name, kind, at)
    }
}

#[test]
fn productivity_by_user_group_and_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let t0 = "2026-01-01T00:00:00Z";
    let (a, u) = (Entity::Account, Entity::User);
    let mut changes = vec![change(a, "a1", "id", json!("a1"), t0)];
    for (user, groups) in [
        ("u1", json!(["emea"])),
        ("u2", json!(["emea"])),
        ("u3", json!([])),
    ] {
        changes.push(change(u, user, "account_id", json!("a1"), t0));
        changes.push(change(u, user, "seat_assigned_at", json!(t0), t0));
        changes.push(change(u, user, "groups", groups, t0));
    }
    let events = vec![
        message(
            1,
            "u1",
            "Message Sent",
            "2026-03-02T00:00:00Z",
            json!({"message_id": "x1", "recipient_id": "p1"}),
        ),
        message(
            2,
            "u1",
            "Message Answered",
            "2026-03-03T00:00:00Z",
            json!({"message_id": "x1", "answer": "yes"}),
        ),
        message(
            3,
            "u1",
            "Message Sent",
            "2026-03-04T00:00:00Z",
            json!({"message_id": "x2", "recipient_id": "p2"}),
        ),
        message(
            4,
            "u2",
            "Message Sent",
            "2026-03-04T00:00:00Z",
            json!({"message_id": "x3", "recipient_id": "p1"}),
        ),
        message(
            5,
            "u2",
            "Insight Shared",
            "2026-03-05T00:00:00Z",
            json!({"channel": "email", "recipient_id": "p3"}),
        ),
    ];
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    let report_with = |by: Option<&str>, window: u32| {
        let mut request = Request::new(
            Period {
                from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            },
            Scope::default(),
        );
        request.by = by.map(String::from);
        request.config.answer_window_days = window;
        run(&store, "productivity", &request)
    };
    let report = |by: Option<&str>| report_with(by, 30);
    assert_eq!(
        report(None).unwrap().to_csv(),
        "user_id,account_id,messages_sent,messages_accepted,acceptance_rate,unique_connections,shares\n\
         u1,a1,2,1,0.5,2,0\n\
         u2,a1,1,0,0,2,1\n\
         u3,a1,0,0,,0,0\n"
    );
    assert_eq!(
        report(Some("group")).unwrap().to_csv(),
        "group_id,account_id,users,messages_sent,messages_accepted,acceptance_rate,unique_connections,shares\n\
         emea,a1,2,3,1,0.3333,3,1\n\
         ,a1,1,0,0,,0,0\n"
    );
    assert_eq!(
        report(Some("account")).unwrap().to_csv(),
        "account_id,users,messages_sent,messages_accepted,acceptance_rate,unique_connections,shares\n\
         a1,3,3,1,0.3333,3,1\n"
    );
    // x1 was answered a day after its sending: outside a 0-day window.
    assert!(
        report_with(Some("account"), 0)
            .unwrap()
            .to_csv()
            .ends_with("a1,3,3,0,0,3,1\n")
    );
    match report(Some("team")) {
        Err(ReportError::Param(e)) => assert_eq!(e.param, "by"),
        other => panic!("{other:?}"),
    }
}
