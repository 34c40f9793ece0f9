//! `monthly-activity` on hand-made accounts: the month's portal views,
//! downloads and shares, state at the month's end, default rows.

mod common;

use chrono::NaiveDate;
use serde_json::{Value, json};
use tenure_core::report::Period;
use tenure_core::{ActivityKind, Entity, EntityChange, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn change(id: &str, field: &str, value: Value, at: &str) -> EntityChange {
    common::change(Entity::Account, id, field, value, at)
}

fn event(n: u32, account: &str, name: &str, kind: ActivityKind, at: &str) -> Event {
    Event {
        user_id: Some("u".into()),
        account_id: Some(account.into()),
        ..common::track(n as usize, name, kind, at)
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

#[test]
fn pivot_and_flags_follow_month_over_month_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let t0 = "2025-12-01T00:00:00Z";
    let changes = vec![
        change("a1", "name", json!("One"), t0),
        change("a2", "name", json!("Two"), t0),
        change("a3", "name", json!("Three"), t0),
        change("a4", "has_portal_access", json!(false), t0),
    ];
    // (account, month, portal views)
    let plan = [
        ("a1", 1, 10),
        ("a1", 2, 5),
        ("a1", 4, 2),
        ("a2", 2, 4),
        ("a2", 3, 8),
        ("a2", 4, 8),
        ("a3", 3, 20),
        ("a4", 3, 50),
    ];
    let mut events = Vec::new();
    for (account, month, n) in plan {
        for i in 0..n {
            let at = format!("2026-{month:02}-{:02}T12:00:00Z", 1 + i % 28);
            let id = events.len() as u32;
            events.push(event(
                id,
                account,
                "Portal Viewed",
                ActivityKind::Portal,
                &at,
            ));
        }
    }
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    let report = |name: &str, edit: &dyn Fn(&mut Request)| {
        let mut request = Request::new(
            Period {
                from: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(),
            },
            Scope::default(),
        );
        request.month = Some("2026-03".into());
        edit(&mut request);
        run(&store, name, &request).unwrap().to_csv()
    };
    let three = |r: &mut Request| r.months = Some(3);
    assert_eq!(
        report("activity-pivot", &three),
        "account_id,month,active,change_pct\n\
         a1,2026-01,10,\na1,2026-02,5,-50\na1,2026-03,0,-100\n\
         a2,2026-01,0,\na2,2026-02,4,\na2,2026-03,8,100\n\
         a3,2026-01,0,\na3,2026-02,0,\na3,2026-03,20,\n"
    );
    let wide = |r: &mut Request| {
        r.months = Some(2);
        r.layout = Some("wide".into());
    };
    assert_eq!(
        report("activity-pivot", &wide),
        "account_id,2026-02,2026-02_change_pct,2026-03,2026-03_change_pct\n\
         a1,5,-50,0,-100\na2,4,,8,100\na3,0,,20,\n"
    );
    // March: the 90th percentile of active accounts (8, 20) is 20; a1 fell
    // from 5 to 0.
    assert_eq!(
        report("account-flags", &|_| {}),
        "account_id,month,active,change_pct,flag\n\
         a1,2026-03,0,-100,churn_risk\na2,2026-03,8,100,\na3,2026-03,20,,champion\n"
    );
    let lower = |r: &mut Request| r.champion_min = Some(8.0);
    assert!(report("account-flags", &lower).contains("a2,2026-03,8,100,champion"));
    // February: a1 dropped 50% (a risk at the default 50, not at 60).
    let feb = |r: &mut Request| r.month = Some("2026-02".into());
    assert!(report("account-flags", &feb).contains("a1,2026-02,5,-50,"));
    let strict = |r: &mut Request| {
        r.month = Some("2026-02".into());
        r.champion_min = Some(100.0);
    };
    assert!(report("account-flags", &strict).contains("a1,2026-02,5,-50,churn_risk"));
    let lenient = |r: &mut Request| {
        r.month = Some("2026-02".into());
        r.champion_min = Some(100.0);
        r.risk_drop_pct = Some(60.0);
    };
    assert!(report("account-flags", &lenient).contains("a1,2026-02,5,-50,\n"));
}
