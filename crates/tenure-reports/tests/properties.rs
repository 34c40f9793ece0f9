//! Property tests on random small worlds: each licensed user has exactly
//! one category, and the engagement and productivity rows equal a
//! recomputation from the raw events written; per-account sums equal the
//! totals; filters only ever remove rows.

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::change;
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use tenure_core::report::{Category, KindCounts, Period};
use tenure_core::{ActivityKind, Entity, Event, Taxonomy};
use tenure_reports::{Request, Table, run};
use tenure_store::{Dedup, DuckStore, Scope, Store, WriteBatch};

const EVENTS: &[&str] = &[
    "Alert Email Received",
    "Signed In",
    "Search Performed",
    "Company Followed",
    "Insight Shared",
    "Message Sent",
    "Message Answered",
    "Portal Viewed",
];
const ANSWERS: &[&str] = &["yes", "maybe", "no"];
const GROUPS: &[&str] = &["g1", "g2"];

#[derive(Debug, Clone)]
struct User {
    account: usize,
    seat: bool,
    groups: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct Ev {
    user: usize,
    event: usize,
    /// Hours after the world's start (the period is days 30-59).
    hour: i64,
    /// Recipient, message number, answer.
    detail: (u8, u8, usize),
}

#[derive(Debug, Clone)]
struct World {
    archived: Vec<bool>,
    users: Vec<User>,
    events: Vec<Ev>,
}

fn world() -> impl Strategy<Value = World> {
    let user = (
        0..3usize,
        any::<bool>(),
        proptest::sample::subsequence(GROUPS, 0..=2),
    )
        .prop_map(|(account, seat, groups)| User {
            account,
            seat,
            groups,
        });
    (
        proptest::collection::vec(any::<bool>(), 3),
        proptest::collection::vec(user, 1..6),
    )
        .prop_flat_map(|(archived, users)| {
            let n = users.len();
            let ev = (
                0..n,
                0..EVENTS.len(),
                0..24 * 62i64,
                (0..3u8, 0..3u8, 0..3usize),
            )
                .prop_map(|(user, event, hour, detail)| Ev {
                    user,
                    event,
                    hour,
                    detail,
                });
            (
                Just(archived),
                Just(users),
                proptest::collection::vec(ev, 0..120),
            )
        })
        .prop_map(|(mut archived, users, events)| {
            // Account a0 is never archived, so some users stay licensed.
            archived[0] = false;
            World {
                archived,
                users,
                events,
            }
        })
}

fn start() -> DateTime<Utc> {
    "2026-03-01T00:00:00Z".parse().unwrap()
}

fn period() -> Period {
    Period {
        from: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 4, 29).unwrap(),
    }
}

fn at(e: &Ev) -> DateTime<Utc> {
    start() + Duration::hours(e.hour)
}

fn in_period(e: &Ev) -> bool {
    let day = at(e).date_naive();
    day >= period().from && day <= period().to
}

fn properties(e: &Ev) -> serde_json::Value {
    let (recipient, message, answer) = e.detail;
    let id = format!("x{}-{message}", e.user);
    match EVENTS[e.event] {
        "Insight Shared" => json!({"channel": "email", "recipient_id": format!("p{recipient}")}),
        "Message Sent" => json!({"message_id": id, "recipient_id": format!("p{recipient}")}),
        "Message Answered" => json!({"message_id": id, "answer": ANSWERS[answer]}),
        _ => json!({}),
    }
}

fn store_of(w: &World) -> (tempfile::TempDir, DuckStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DuckStore::open(dir.path()).unwrap();
    let t0 = "2026-01-01T00:00:00Z";
    let (a, u) = (Entity::Account, Entity::User);
    let mut changes = Vec::new();
    for (i, archived) in w.archived.iter().enumerate() {
        changes.push(change(a, &format!("a{i}"), "archived", json!(archived), t0));
    }
    for (i, user) in w.users.iter().enumerate() {
        let id = format!("u{i}");
        changes.push(change(
            u,
            &id,
            "account_id",
            json!(format!("a{}", user.account)),
            t0,
        ));
        changes.push(change(u, &id, "groups", json!(user.groups), t0));
        if user.seat {
            changes.push(change(u, &id, "seat_assigned_at", json!(t0), t0));
        }
    }
    let taxonomy = Taxonomy::default();
    let events = w
        .events
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let name = EVENTS[e.event];
            Event {
                user_id: Some(format!("u{}", e.user)),
                account_id: Some(format!("a{}", w.users[e.user].account)),
                properties: Some(properties(e).to_string()),
                ..Event::track(&format!("m{n}"), name, taxonomy.kind_of(name), at(e))
            }
        })
        .collect();
    store
        .write(&WriteBatch { events, changes }, Dedup::Done)
        .unwrap();
    store.refresh_rollups().unwrap();
    (dir, store)
}

fn licensed(w: &World, user: usize) -> bool {
    w.users[user].seat && !w.archived[w.users[user].account]
}

/// Per licensed user, the kind counts of the period, from the raw events.
fn expected_counts(w: &World) -> BTreeMap<String, KindCounts> {
    let taxonomy = Taxonomy::default();
    let mut out: BTreeMap<String, KindCounts> = (0..w.users.len())
        .filter(|&u| licensed(w, u))
        .map(|u| (format!("u{u}"), KindCounts::default()))
        .collect();
    for e in w.events.iter().filter(|e| in_period(e)) {
        let Some(c) = out.get_mut(&format!("u{}", e.user)) else {
            continue;
        };
        let name = EVENTS[e.event];
        match taxonomy.kind_of(name) {
            ActivityKind::Consume => c.consume += 1,
            ActivityKind::Login => c.login += 1,
            ActivityKind::Research => c.research += 1,
            ActivityKind::Maintain => c.maintain += 1,
            ActivityKind::Share => c.share += 1,
            ActivityKind::Message => c.message += 1,
            ActivityKind::Portal => c.portal += 1,
            _ => {}
        }
        if name == "Message Sent" {
            c.messages_sent += 1;
        }
    }
    out
}

/// Per licensed user: sent, accepted, unique connections, shares.
fn expected_productivity(w: &World) -> BTreeMap<String, [u64; 4]> {
    let mut out = BTreeMap::new();
    for u in (0..w.users.len()).filter(|&u| licensed(w, u)) {
        let mine: Vec<&Ev> = w.events.iter().filter(|e| e.user == u).collect();
        let name = |e: &Ev| EVENTS[e.event];
        let sent: Vec<&Ev> = mine
            .iter()
            .copied()
            .filter(|e| in_period(e) && name(e) == "Message Sent")
            .collect();
        let mut first: BTreeMap<u8, DateTime<Utc>> = BTreeMap::new();
        for e in &sent {
            let t = first.entry(e.detail.1).or_insert(at(e));
            *t = (*t).min(at(e));
        }
        let accepted = first
            .iter()
            .filter(|(message, t)| {
                mine.iter().any(|e| {
                    name(e) == "Message Answered"
                        && e.detail.1 == **message
                        && e.detail.2 < 2
                        && at(e) >= **t
                        && at(e) <= **t + Duration::days(30)
                })
            })
            .count() as u64;
        let social: Vec<&Ev> = mine
            .iter()
            .copied()
            .filter(|e| in_period(e) && matches!(name(e), "Message Sent" | "Insight Shared"))
            .collect();
        let recipients: BTreeSet<u8> = social.iter().map(|e| e.detail.0).collect();
        let shares = social
            .iter()
            .filter(|e| name(e) == "Insight Shared")
            .count() as u64;
        out.insert(
            format!("u{u}"),
            [sent.len() as u64, accepted, recipients.len() as u64, shares],
        );
    }
    out
}

/// Whether an event is a platform event (login, research, maintain, share,
/// message, portal).
fn platform(name: &str) -> bool {
    use ActivityKind::*;
    matches!(
        Taxonomy::default().kind_of(name),
        Login | Research | Maintain | Share | Message | Portal
    )
}

/// Per licensed user: achievements reached by the period's end; whether
/// active on the platform by then.
fn expected_levels(w: &World) -> BTreeMap<String, (u64, bool)> {
    let end = period().to;
    let achievements = tenure_core::rules::Achievement::defaults();
    let mut out = BTreeMap::new();
    for u in (0..w.users.len()).filter(|&u| licensed(w, u)) {
        let done: Vec<&Ev> = w
            .events
            .iter()
            .filter(|e| e.user == u && at(e).date_naive() <= end)
            .collect();
        let detail = |e: &Ev| -> Option<String> {
            let p = properties(e);
            p.get("channel")
                .or_else(|| p.get("answer"))
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        let reached = achievements
            .iter()
            .filter(|a| {
                done.iter()
                    .any(|e| a.matches(EVENTS[e.event], detail(e).as_deref()))
            })
            .count() as u64;
        let active = done.iter().any(|e| platform(EVENTS[e.event]));
        out.insert(format!("u{u}"), (reached, active));
    }
    out
}

fn report(store: &DuckStore, name: &str, scope: Scope, by: Option<&str>) -> Table {
    let mut request = Request::new(period(), scope);
    request.by = by.map(String::from);
    run(store, name, &request).unwrap()
}

fn rows(table: &Table) -> Vec<BTreeMap<String, String>> {
    table
        .to_json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        })
        .collect()
}

fn n(row: &BTreeMap<String, String>, column: &str) -> u64 {
    row[column].parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn reports_agree_with_the_raw_events(w in world()) {
        let (_dir, store) = store_of(&w);
        // Engagement: exactly the licensed users, one category each, the
        // counts and category of a recomputation.
        let counts = expected_counts(&w);
        let engagement = rows(&report(&store, "engagement", Scope::default(), None));
        let ids: Vec<String> = engagement.iter().map(|r| r["user_id"].trim_matches('"').to_string()).collect();
        prop_assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>().len(), ids.len());
        prop_assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), counts.keys().cloned().collect::<BTreeSet<_>>());
        for (row, id) in engagement.iter().zip(&ids) {
            let c = counts[id];
            let got = [n(row, "consume"), n(row, "login"), n(row, "research"), n(row, "maintain"),
                       n(row, "share"), n(row, "message"), n(row, "portal")];
            prop_assert_eq!(got, [c.consume, c.login, c.research, c.maintain, c.share, c.message, c.portal], "{}", id);
            let category = format!("\"{}\"", Category::of(&c).as_str());
            prop_assert_eq!(&row["category"], &category, "{}", id);
            // The last platform event up to the period's end, in any month.
            let u: usize = id[1..].parse().unwrap();
            let last = w
                .events
                .iter()
                .filter(|e| e.user == u && platform(EVENTS[e.event]) && at(e).date_naive() <= period().to)
                .map(at)
                .max()
                .map_or("null".to_string(), |t| format!("\"{}\"", tenure_core::time::format_timestamp(t)));
            prop_assert_eq!(&row["last_active_at"], &last, "{}", id);
        }
        // Per-account summaries add up to the users listed.
        let summary = report(&store, "engagement-summary", Scope::default(), None);
        prop_assert_eq!(summary.sum("users") as usize, engagement.len());
        // Productivity per user equals the recomputation; per account and
        // per group rows add the users' counts up.
        let expected = expected_productivity(&w);
        let per_user = rows(&report(&store, "productivity", Scope::default(), None));
        prop_assert_eq!(per_user.len(), expected.len());
        for row in &per_user {
            let id = row["user_id"].trim_matches('"');
            let got = [n(row, "messages_sent"), n(row, "messages_accepted"),
                       n(row, "unique_connections"), n(row, "shares")];
            prop_assert_eq!(got, expected[id], "{}", id);
        }
        let per_account = report(&store, "productivity", Scope::default(), Some("account"));
        for column in ["messages_sent", "messages_accepted", "shares"] {
            let total: u64 = per_user.iter().map(|r| n(r, column)).sum();
            prop_assert_eq!(per_account.sum(column), total, "{}", column);
        }
        prop_assert_eq!(per_account.sum("users") as usize, per_user.len());
        // Seats and levels per user from the raw events up to the end.
        let levels = expected_levels(&w);
        let seats = rows(&report(&store, "seats", Scope::default(), None));
        for row in &seats {
            let account: usize = row["account_id"].trim_matches(|c| c == '"' || c == 'a').parse().unwrap();
            prop_assert!(!w.archived[account]);
            let mine: Vec<&(u64, bool)> = levels
                .iter()
                .filter(|(u, _)| w.users[u[1..].parse::<usize>().unwrap()].account == account)
                .map(|(_, v)| v)
                .collect();
            let activated = mine.iter().filter(|v| v.1).count() as u64;
            prop_assert_eq!(n(row, "assigned"), mine.len() as u64);
            prop_assert_eq!(n(row, "activated"), activated);
            prop_assert_eq!(n(row, "pending_over_7_days"), mine.len() as u64 - activated);
        }
        prop_assert_eq!(seats.iter().map(|r| n(r, "assigned")).sum::<u64>() as usize, engagement.len());
        // Pending seats: the licensed users never active by the end (every
        // seat is older than 7 days).
        let pending: BTreeSet<String> = rows(&report(&store, "seats-pending", Scope::default(), None))
            .iter()
            .map(|r| r["user_id"].trim_matches('"').to_string())
            .collect();
        let never: BTreeSet<String> = levels.iter().filter(|(_, v)| !v.1).map(|(u, _)| u.clone()).collect();
        prop_assert_eq!(pending, never);
        // Active rate over the whole period: accounts not archived with a
        // licensed user active by the end, and those of them with any user
        // (licensed or not) active in the period.
        let mut request = Request::new(period(), Scope::default());
        request.interval = Some("all".into());
        let rate = rows(&run(&store, "active-rate", &request).unwrap());
        let activated: BTreeSet<usize> = levels
            .iter()
            .filter(|(_, v)| v.1)
            .map(|(u, _)| w.users[u[1..].parse::<usize>().unwrap()].account)
            .collect();
        let active = activated
            .iter()
            .filter(|&&a| w.events.iter().any(|e| {
                w.users[e.user].account == a && in_period(e) && platform(EVENTS[e.event])
            }))
            .count() as u64;
        prop_assert_eq!(rate.len(), 1);
        prop_assert_eq!(
            [n(&rate[0], "activated_accounts"), n(&rate[0], "active_accounts")],
            [activated.len() as u64, active]
        );
        for row in rows(&report(&store, "user-levels", Scope::default(), None)) {
            let id = row["user_id"].trim_matches('"');
            prop_assert_eq!(n(&row, "achievements"), levels[id].0, "{}", id);
        }
        // Features: every event name used in the period, by anyone.
        let mut used: BTreeMap<&str, (u64, BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
        for e in w.events.iter().filter(|e| in_period(e)) {
            let slot = used.entry(EVENTS[e.event]).or_default();
            slot.0 += 1;
            slot.1.insert(e.user);
            slot.2.insert(w.users[e.user].account);
        }
        let features = rows(&report(&store, "features", Scope::default(), None));
        prop_assert_eq!(features.len(), used.len());
        for row in &features {
            let name = row["event"].trim_matches('"');
            let (events, users, accounts) = &used[name];
            prop_assert_eq!(
                [n(row, "events"), n(row, "users"), n(row, "accounts")],
                [*events, users.len() as u64, accounts.len() as u64],
                "{}", name
            );
        }
    }

    #[test]
    fn filters_only_remove_rows(
        w in world(),
        account in 0..3usize,
        group in proptest::sample::select(GROUPS),
        user in 0..8usize,
    ) {
        let (_dir, store) = store_of(&w);
        let filters = [
            Scope { accounts: vec![format!("a{account}")], ..Scope::default() },
            Scope { groups: vec![group.to_string()], ..Scope::default() },
            Scope { users: vec![format!("u{user}")], ..Scope::default() },
            Scope { accounts: vec![format!("a{account}")], groups: vec![group.to_string()], ..Scope::default() },
        ];
        for (name, by) in [("engagement", None), ("productivity", None), ("user-levels", None),
                           ("seats-pending", None), ("champions", None)] {
            let all = rows(&report(&store, name, Scope::default(), by));
            for scope in &filters {
                let some = rows(&report(&store, name, scope.clone(), by));
                prop_assert!(some.len() <= all.len(), "{} {:?}", name, scope);
                for row in &some {
                    prop_assert!(all.contains(row), "{} {:?}: {:?}", name, scope, row);
                }
            }
        }
    }
}
