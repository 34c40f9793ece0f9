//! `monthly-activity` on hand-made accounts: the month's portal views,
//! downloads and shares, state at the month's end, default rows.

use chrono::NaiveDate;
use serde_json::{Value, json};
use tenure_core::report::Period;
use tenure_core::time::parse_timestamp;
use tenure_core::{ActivityKind, CallType, Entity, EntityChange, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn change(id: &str, field: &str, value: Value, at: &str) -> EntityChange {
    EntityChange {
        entity: Entity::Account,
        id: id.into(),
        field: field.into(),
        value,
        at: parse_timestamp(at).unwrap(),
    }
}

fn event(n: u32, account: &str, name: &str, kind: ActivityKind, at: &str) -> Event {
    Event {
        message_id: format!("m{n}"),
        call: CallType::Track,
        user_id: Some("u".into()),
        anonymous_id: None,
        account_id: Some(account.into()),
        event: Some(name.into()),
        kind,
        properties: None,
        traits: None,
        context: None,
        previous_id: None,
        timestamp: parse_timestamp(at).unwrap(),
        original_timestamp: None,
        sent_at: None,
        received_at: parse_timestamp(at).unwrap(),
    }
}

#[test]
fn monthly_activity_counts_the_month_for_active_portal_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let t0 = "2026-01-01T00:00:00Z";
    let changes = vec![
        change("a1", "name", json!("Acme"), t0),
        change("a2", "name", json!("Beta"), t0),
        change("a2", "has_portal_access", json!(false), t0),
        change("a3", "name", json!("Gone"), t0),
        // Archived mid-March: archived as at the month's end.
        change("a3", "archived", json!(true), "2026-03-15T00:00:00Z"),
    ];
    use ActivityKind::*;
    let events = vec![
        event(1, "a1", "Portal Viewed", Portal, "2026-03-01T00:00:00Z"),
        event(2, "a1", "Portal Viewed", Portal, "2026-03-31T23:59:59Z"),
        event(
            3,
            "a1",
            "Document Downloaded",
            Portal,
            "2026-03-10T00:00:00Z",
        ),
        event(4, "a1", "Insight Shared", Share, "2026-03-11T00:00:00Z"),
        // Outside March (UTC): not counted.
        event(5, "a1", "Portal Viewed", Portal, "2026-04-01T00:00:00Z"),
        event(6, "a1", "Portal Viewed", Portal, "2026-02-28T23:59:59Z"),
        event(7, "a3", "Portal Viewed", Portal, "2026-03-02T00:00:00Z"),
    ];
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    let report = |month: Option<&str>, all: bool| {
        let mut request = Request::new(
            Period {
                from: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 4, 20).unwrap(),
            },
            Scope::default(),
        );
        request.month = month.map(String::from);
        request.all_accounts = all;
        run(&store, "monthly-activity", &request).unwrap().to_csv()
    };
    let header =
        "account_id,name,archived,has_portal_access,portal_views,downloads,shares,active,month\n";
    // Default month: the one before the period's end (April 20 -> March).
    assert_eq!(
        report(None, false),
        format!("{header}a1,Acme,false,true,2,1,1,4,2026-03\n")
    );
    assert_eq!(
        report(Some("2026-03"), true),
        format!(
            "{header}a1,Acme,false,true,2,1,1,4,2026-03\n\
             a2,Beta,false,false,0,0,0,0,2026-03\n\
             a3,Gone,true,true,1,0,0,1,2026-03\n"
        )
    );
    // In February a3 was not archived yet.
    assert_eq!(
        report(Some("2026-02"), false),
        format!(
            "{header}a1,Acme,false,true,1,0,0,1,2026-02\n\
             a3,Gone,false,true,0,0,0,0,2026-02\n"
        )
    );
    let request = Request {
        month: Some("2026-13".into()),
        ..Request::new(
            Period {
                from: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 4, 20).unwrap(),
            },
            Scope::default(),
        )
    };
    let err = run(&store, "monthly-activity", &request).unwrap_err();
    assert!(err.to_string().starts_with("month:"), "{err}");
}
