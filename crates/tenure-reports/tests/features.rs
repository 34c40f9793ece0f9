//! `features` and `errors` on hand-made events.

mod common;

use chrono::NaiveDate;
use tenure_core::report::Period;
use tenure_core::{ActivityKind, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn event(n: usize, user: &str, account: &str, name: &str, kind: ActivityKind, at: &str) -> Event {
    let feature = if n.is_multiple_of(2) {
        "search"
    } else {
        "export"
    };
    Event {
        user_id: Some(user.into()),
        account_id: Some(account.into()),
        properties: (name == "Error Shown").then(|| format!(r#"{{"feature": "{feature}"}}"#)),
        ..common::track(n, name, kind, at)
    }
}

#[test]
fn features_and_errors_count_use_and_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    use ActivityKind::*;
    let now = "2026-03-10T00:00:00Z";
    let before = "2026-02-10T00:00:00Z";
    let plan = [
        // (user, account, event, kind, when, how many)
        ("u1", "a1", "Search Performed", Research, now, 6),
        ("u2", "a2", "Search Performed", Research, now, 2),
        ("u1", "a1", "Search Performed", Research, before, 4),
        ("u1", "a1", "Company Followed", Maintain, now, 1),
        ("u2", "a2", "Error Shown", Error, now, 4),
        ("u2", "a2", "Error Shown", Error, before, 1),
    ];
    let mut events = Vec::new();
    for (user, account, name, kind, at, n) in plan {
        for _ in 0..n {
            let id = events.len();
            events.push(event(id, user, account, name, kind, at));
        }
    }
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
    let report = |name: &str, order: Option<&str>| {
        let mut request = Request::new(
            Period {
                from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 3, 28).unwrap(),
            },
            Scope::default(),
        );
        request.order = order.map(String::from);
        run(&store, name, &request).unwrap().to_csv()
    };
    // The previous period is Feb 1-28: Search Performed 4 -> 8 (+100%).
    assert_eq!(
        report("features", None),
        "event,kind,events,users,accounts,account_share,change_pct\n\
         Search Performed,research,8,2,2,1,100\n\
         Error Shown,error,4,1,1,0.5,300\n\
         Company Followed,maintain,1,1,1,0.5,\n"
    );
    assert!(
        report("features", Some("asc"))
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("Company Followed")
    );
    // Ids 13..16 are the current errors (even ids: search, odd: export);
    // the one before (id 17) was export.
    assert_eq!(
        report("errors", None),
        "feature,errors,users,accounts,change_pct\nexport,2,1,1,100\nsearch,2,1,1,\n"
    );
}
