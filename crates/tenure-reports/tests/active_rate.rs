//! `active-rate` on hand-made accounts over three months.

mod common;

use chrono::NaiveDate;
use common::{change, track};
use serde_json::json;
use tenure_core::report::Period;
use tenure_core::{ActivityKind, Entity, Event};
use tenure_reports::{Request, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

fn login(n: usize, user: &str, at: &str) -> Event {
    Event {
        user_id: Some(user.into()),
        ..track(n, "Signed In", ActivityKind::Login, at)
    }
}

#[test]
fn active_rate_counts_activated_and_active_accounts_per_interval() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let (a, u) = (Entity::Account, Entity::User);
    let t0 = "2025-12-01T00:00:00Z";
    let mut changes = vec![change(
        a,
        "a3",
        "archived",
        json!(true),
        "2026-02-10T00:00:00Z",
    )];
    for (user, account) in [("u1", "a1"), ("u2", "a2"), ("u3", "a3"), ("u4", "a4")] {
        changes.push(change(a, account, "id", json!(account), t0));
        changes.push(change(u, user, "account_id", json!(account), t0));
        changes.push(change(u, user, "seat_assigned_at", json!(t0), t0));
    }
    let events = vec![
        login(1, "u1", "2026-01-05T00:00:00Z"),
        login(2, "u2", "2026-01-06T00:00:00Z"),
        login(3, "u3", "2026-01-07T00:00:00Z"),
        login(4, "u1", "2026-03-31T23:00:00Z"),
    ];
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    let report = |edit: &dyn Fn(&mut Request)| {
        let mut request = Request::new(
            Period {
                from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            },
            Scope::default(),
        );
        edit(&mut request);
        run(&store, "active-rate", &request).unwrap().to_csv()
    };
    // January: a1-a3 activated and active; February: a3 archived, nobody
    // active; March: a1 active. a4 never had an active user.
    assert_eq!(
        report(&|r| r.months = Some(3)),
        "period,activated_accounts,active_accounts,rate\n\
         2026-01,3,3,1\n2026-02,2,0,0\n2026-03,2,1,0.5\n"
    );
    assert_eq!(
        report(&|r| {
            r.months = Some(2);
            r.mode = Some("absolute".into());
        }),
        "period,activated_accounts,active_accounts\n2026-02,2,0\n2026-03,2,1\n"
    );
    // Days of the period's last three days; weeks from Monday.
    let days = report(&|r| {
        r.period.from = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        r.interval = Some("day".into());
    });
    assert_eq!(
        days,
        "period,activated_accounts,active_accounts,rate\n\
         2026-03-29,2,0,0\n2026-03-30,2,0,0\n2026-03-31,2,1,0.5\n"
    );
    let weeks = report(&|r| r.interval = Some("week".into()));
    let names: Vec<&str> = weeks
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"
        ]
    );
    let mut bad = Request::new(
        Period {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        },
        Scope::default(),
    );
    bad.interval = Some("hour".into());
    assert!(
        run(&store, "active-rate", &bad)
            .unwrap_err()
            .to_string()
            .starts_with("interval:")
    );
}
