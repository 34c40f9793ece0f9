//! What a correct analysis must find: `truth.csv` (each user's archetype by
//! month, and whether the user held a licence at the month's end) and
//! `truth.json` (accounts' trials, churns, upgrades and champions, planted
//! drops, the mix of archetypes, the counts written).

use crate::catalog::{EVENTS, FEATURES};
use crate::world::{Account, Archetype, Fate, World};
use serde_json::{Value, json};
use std::io::Write;

/// Writes the rows of month `m` of `truth.csv`.
pub fn month_rows(w: &World, m: usize, out: &mut impl Write) -> std::io::Result<()> {
    let t = w.cal.months[m + 1] - 1;
    let month = &w.cal.month_names[m];
    for (u, user) in w.users.iter().enumerate() {
        let Some(a) = w.archetype(u as u32, m) else {
            continue;
        };
        let acc = &w.accounts[user.account as usize];
        let licensed = user.seat.is_some_and(|s| s <= t) && user.left > t && acc.end() > t;
        writeln!(
            out,
            "{month},usr-{u},acct-{},{},{}",
            user.account,
            a.name(),
            licensed
        )?;
    }
    Ok(())
}

/// The shares of archetypes over all user-months.
pub fn shares(w: &World) -> Value {
    let mut counts = [0u64; 5];
    for &code in &w.archetypes {
        if let Some(a) = Archetype::from_code(code) {
            counts[a as usize] += 1;
        }
    }
    let total: u64 = counts.iter().sum::<u64>().max(1);
    let mut shares = serde_json::Map::new();
    for code in 0..5u8 {
        let a = Archetype::from_code(code).expect("valid code");
        shares.insert(
            a.name().into(),
            json!(counts[code as usize] as f64 / total as f64),
        );
    }
    Value::Object(shares)
}

fn time(w: &World, t: i64) -> Value {
    if t < w.cal.end {
        json!(w.cal.timestamp(t))
    } else {
        Value::Null
    }
}

fn account(w: &World, a: usize, acc: &Account) -> Value {
    let mut v = json!({
        "account_id": format!("acct-{a}"),
        "created_at": w.cal.timestamp(acc.created),
        "plan": acc.plan.name(),
        "users": acc.user_count,
        "has_portal_access": acc.portal,
        "fate": "none",
    });
    let o = v.as_object_mut().expect("object");
    let mut set = |k: &str, val: Value| {
        o.insert(k.into(), val);
    };
    match acc.fate {
        Fate::Stays => {}
        Fate::Churns {
            decline,
            at,
            downgrade,
        } => {
            set("fate", json!("churned"));
            set("decline_started_at", time(w, decline));
            set("churned_at", time(w, at));
            set(
                "downgraded_at",
                downgrade.map_or(Value::Null, |d| time(w, d)),
            );
        }
        Fate::Upgrades { growth, at } => {
            set("fate", json!("upgraded"));
            set("growth_started_at", time(w, growth));
            set("upgraded_at", time(w, at));
        }
        Fate::TrialConverts { at, plan } => {
            set("fate", json!("trial_converted"));
            set("trial_ends_at", time(w, at));
            set("converted_to", json!(plan.name()));
        }
        Fate::TrialFails { at } => {
            set("fate", json!("trial_failed"));
            set("trial_ends_at", time(w, at));
        }
        Fate::Archived { at } => {
            set("fate", json!("archived"));
            set("archived_at", time(w, at));
        }
    }
    let champions: Vec<Value> = acc
        .champions
        .iter()
        .map(|&c| {
            let left = w.users[c as usize].left;
            json!({"user_id": format!("usr-{c}"),
                   "left_at": if left == i64::MAX { Value::Null } else { time(w, left) }})
        })
        .collect();
    set("champions", Value::Array(champions));
    v
}

/// The whole `truth.json` document.
pub fn document(w: &World, counts: Value) -> Value {
    let accounts: Vec<Value> = w
        .accounts
        .iter()
        .enumerate()
        .map(|(a, acc)| account(w, a, acc))
        .collect();
    let drops: Vec<Value> = w
        .accounts
        .iter()
        .enumerate()
        .filter_map(|(a, acc)| {
            acc.drop.map(|d| {
                let e = &EVENTS[d.event as usize];
                json!({"account_id": format!("acct-{a}"), "event": e.name,
                       "feature": FEATURES[e.feature as usize],
                       "start": w.cal.timestamp(d.start), "end": w.cal.timestamp(d.end),
                       "depth": (d.depth * 1000.0).round() / 1000.0})
            })
        })
        .collect();
    json!({
        "params": w.params,
        "window": {"start": w.cal.timestamp(w.cal.start), "end": w.cal.timestamp(w.cal.end),
                   "months": w.cal.month_names},
        "counts": counts,
        "archetype_shares": shares(w),
        "accounts": accounts,
        "drops": drops,
    })
}
