//! Playbook evaluation on hand-made accounts and users: triggers,
//! filters, cooldowns, the audit log, re-evaluation and catch-up.

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use common::{change, track};
use serde_json::json;
use tenure_core::alerts::AlertStatus;
use tenure_core::config::{Config, Overrides};
use tenure_core::{ActivityKind, Entity, Event};
use tenure_reports::playbooks::{Decision, Settings, catch_up, evaluate, record};
use tenure_store::{Alert, Dedup, DuckStore, Store, WriteBatch};

const CONFIG: &str = r#"
[delivery.smtp]
host = "127.0.0.1"
from = "tenure@example.com"

[[playbooks]]
name = "dormant pro users"
trigger = { on = "category_entered", category = "dormant" }
filters = { plans = ["pro"] }
actions = [
  { type = "webhook", url = "http://127.0.0.1:9/hook", secret = "0123456789abcdef" },
  { type = "in_app", template = "licence" },
  { type = "task", title = "Call about an unused licence" },
]

[[playbooks]]
name = "pending seats"
trigger = { on = "seats_pending", days = 7 }
filters = { roles = ["analyst"] }
actions = [{ type = "email", to = "user", template = "licence" }]

[[playbooks]]
name = "alerts to the csm"
trigger = { on = "alert_opened" }
cooldown_days = 7
actions = [{ type = "email", to = "csm", template = "training" }]
"#;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn consume(n: usize, user: &str, when: &str) -> Event {
    Event {
        user_id: Some(user.into()),
        ..track(n, "Alert Received", ActivityKind::Consume, when)
    }
}

/// a1 (pro, a CSM) and a2 (basic). u1 (a1) and u2 (a2) last consumed on
/// 8 February, so both turn dormant on 10 March, when that day leaves
/// their 30-day window; u3 (a1, an analyst) and u4 (a1, an admin) got
/// seats on 3 March and never used them: pending 7 days on 10 March.
fn store() -> (tempfile::TempDir, DuckStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let (a, u) = (Entity::Account, Entity::User);
    let t0 = "2026-01-01T00:00:00Z";
    let mut changes = vec![
        change(a, "a1", "id", json!("a1"), t0),
        change(a, "a1", "plan", json!("pro"), t0),
        change(a, "a1", "csm_owner", json!("cs@vendor.test"), t0),
        change(a, "a2", "id", json!("a2"), t0),
        change(a, "a2", "plan", json!("basic"), t0),
    ];
    for (user, account, seat, role) in [
        ("u1", "a1", t0, "admin"),
        ("u2", "a2", t0, "admin"),
        ("u3", "a1", "2026-03-03T09:00:00Z", "analyst"),
        ("u4", "a1", "2026-03-03T09:00:00Z", "admin"),
    ] {
        changes.extend([
            change(u, user, "account_id", json!(account), t0),
            change(u, user, "email", json!(format!("{user}@customer.test")), t0),
            change(u, user, "role", json!(role), t0),
            change(u, user, "seat_assigned_at", json!(seat), seat),
        ]);
    }
    let events = vec![
        consume(1, "u1", "2026-02-08T10:00:00Z"),
        consume(2, "u2", "2026-02-08T11:00:00Z"),
    ];
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    (dir, store)
}

fn config() -> Config {
    Config::from_toml(CONFIG, Overrides::default()).unwrap()
}

fn settings(config: &Config) -> Settings<'_> {
    Settings::of(config)
}

fn decisions(e: &tenure_reports::playbooks::Evaluation) -> Vec<(String, String, String)> {
    e.decided
        .iter()
        .map(|d| {
            (
                d.playbook.clone(),
                d.occurrence.user_id.clone().unwrap_or_default(),
                format!("{} {}", d.decision.event(), d.decision.detail()),
            )
        })
        .collect()
}

#[test]
fn triggers_fire_for_the_subjects_the_filters_admit() {
    let (_dir, mut store) = store();
    let config = config();
    let now = at("2026-03-10T10:00:00Z");
    let e = evaluate(&store, settings(&config), day(10), now, false).unwrap();
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        decisions(&e),
        [
            s("dormant pro users", "u1", "fired "),
            s(
                "dormant pro users",
                "u2",
                "filtered plan basic is not one of pro"
            ),
            s("pending seats", "u3", "fired "),
            s(
                "pending seats",
                "u4",
                "filtered role admin is not one of analyst"
            ),
        ]
    );
    // The day before, nothing had changed yet.
    let before = evaluate(&store, settings(&config), day(9), now, false).unwrap();
    assert!(before.decided.is_empty(), "{:?}", decisions(&before));

    // u1's actions: a signed-later webhook body, a rendered message, a task.
    let items: Vec<_> = e.items().collect();
    assert_eq!(items.len(), 4);
    let hook = items[0];
    assert_eq!(
        (hook.channel.as_str(), hook.occurrence.as_str()),
        ("webhook", "2026-03-10:dormant")
    );
    let body: serde_json::Value =
        serde_json::from_str(hook.payload["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "playbook": "dormant pro users",
            "trigger": "category_entered",
            "subject": {"account_id": "a1", "user_id": "u1"},
            "occurred_at": "2026-03-10T10:00:00Z",
            "data": {"category": "dormant", "previous": "consuming"},
        })
    );
    assert_eq!(items[1].channel, "in_app");
    assert_eq!(
        items[1].payload["subject"],
        "Your licence is waiting for you"
    );
    assert!(
        items[1].payload["body"]
            .as_str()
            .unwrap()
            .contains("Hello u1@customer.test,")
    );
    assert_eq!(items[2].payload["owner"], "cs@vendor.test");
    assert!(
        items[2].payload["detail"]
            .as_str()
            .unwrap()
            .contains("u1 became dormant (was consuming)")
    );
    assert_eq!(items[3].payload["to"], "u3@customer.test");
    // Keys differ per action and are the same on another evaluation.
    let again = evaluate(&store, settings(&config), day(10), now, false).unwrap();
    let ids = |e: &tenure_reports::playbooks::Evaluation| -> Vec<String> {
        e.items().map(|i| i.id.clone()).collect()
    };
    assert_eq!(ids(&e), ids(&again));
    assert_eq!(
        ids(&e)
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        4
    );

    // Evaluating reads only (the dry run); recording keeps it all once.
    assert!(store.outbox(None).unwrap().is_empty());
    assert_eq!(record(&mut store, &e).unwrap(), 4);
    let later = evaluate(
        &store,
        settings(&config),
        day(10),
        at("2026-03-10T23:00:00Z"),
        true,
    )
    .unwrap();
    assert!(
        later
            .decided
            .iter()
            .all(|d| d.decision == Decision::Decided),
        "{:?}",
        decisions(&later)
    );
    assert_eq!(later.items().count(), 0);
    record(&mut store, &later).unwrap();
    assert_eq!(store.outbox(None).unwrap().len(), 4);
    let log = store
        .playbook_audit(at("2026-03-01T00:00:00Z"), None, false)
        .unwrap();
    let events: Vec<&str> = log.iter().map(|l| l.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "evaluated",
            "fired",
            "filtered",
            "fired",
            "filtered",
            "evaluated"
        ]
    );
    assert!(
        log[5].detail.contains(
            "finished day 2026-03-10: 0 fired, 0 filtered, 0 in cooldown, 4 decided before"
        ),
        "{}",
        log[5].detail
    );
    assert_eq!(store.playbooks_last_day().unwrap(), Some(day(10)));
}

fn alert(id: &str, kind: &str, opened: NaiveDate) -> Alert {
    Alert {
        alert_id: id.into(),
        account_id: "a1".into(),
        kind: kind.into(),
        subject: String::new(),
        opened_on: opened,
        status: AlertStatus::Open,
        snoozed_until: None,
        resolved_on: None,
        reason: format!("{kind} in a1"),
    }
}

#[test]
fn a_subject_in_its_cooldown_is_not_acted_on_again() {
    let (_dir, mut store) = store();
    let config = config();
    let only_alerts = &config.playbooks[2..];
    let settings = Settings {
        playbooks: only_alerts,
        ..settings(&config)
    };
    store
        .save_alerts(&[
            alert("al-1", "feature_drop", day(10)),
            alert("al-2", "error_spike", day(10)),
            alert("al-3", "seats_pending", day(14)),
            alert("al-4", "champion_lost", day(20)),
        ])
        .unwrap();
    let mut fired = Vec::new();
    for (d, when) in [
        (10, "2026-03-11T00:10:00Z"),
        (14, "2026-03-15T00:10:00Z"),
        (20, "2026-03-21T00:10:00Z"),
    ] {
        let e = evaluate(&store, settings, day(d), at(when), true).unwrap();
        record(&mut store, &e).unwrap();
        for dec in &e.decided {
            fired.push((dec.occurrence.id.clone(), dec.decision.event()));
        }
    }
    // Two alerts the same day: the second waits out the cooldown (7 days),
    // as does the one four days later; ten days later it has passed.
    assert_eq!(
        fired,
        [
            ("al-1".to_string(), "fired"),
            ("al-2".to_string(), "cooldown"),
            ("al-3".to_string(), "cooldown"),
            ("al-4".to_string(), "fired"),
        ]
    );
    let emails: Vec<_> = store
        .outbox(None)
        .unwrap()
        .into_iter()
        .map(|i| (i.occurrence, i.payload["to"].clone()))
        .collect();
    assert_eq!(
        emails,
        [
            ("al-1".to_string(), json!("cs@vendor.test")),
            ("al-4".to_string(), json!("cs@vendor.test"))
        ]
    );
}

#[test]
fn catching_up_evaluates_each_finished_day_once_then_the_running_day() {
    let (_dir, mut store) = store();
    let config = config();
    // The first time: the last finished day alone, then today.
    let runs = catch_up(
        &mut store,
        settings(&config),
        at("2026-03-10T00:05:00Z"),
        day(9),
    )
    .unwrap();
    let days: Vec<_> = runs.iter().map(|e| (e.day, e.finished)).collect();
    assert_eq!(days, [(day(9), true), (day(10), false)]);
    assert_eq!(runs[1].counts(), [2, 2, 0, 0]);
    // Down for three days: each finished day once, in order; what the
    // running day fired is not fired again when the day is finished.
    let runs = catch_up(
        &mut store,
        settings(&config),
        at("2026-03-13T08:00:00Z"),
        day(12),
    )
    .unwrap();
    let days: Vec<_> = runs.iter().map(|e| (e.day, e.finished)).collect();
    assert_eq!(
        days,
        [
            (day(10), true),
            (day(11), true),
            (day(12), true),
            (day(13), false)
        ]
    );
    assert_eq!(runs[0].counts(), [0, 0, 0, 4]);
    assert_eq!(store.outbox(None).unwrap().len(), 4);
    assert_eq!(store.playbooks_last_day().unwrap(), Some(day(12)));
}
