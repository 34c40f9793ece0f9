//! Realistic Segment messages: what a sales-intelligence product's tracking
//! sends (track calls with properties and a library context, some identify
//! and group calls), each with a unique messageId. Users and accounts are
//! named `load-user-N` and `load-acct-N`, apart from the generator's
//! `usr-N` and `acct-N`, so a load sent to a store holding a preset adds
//! its own users and accounts instead of changing the preset's.

use serde_json::{Value, json};

const EVENTS: &[(&str, &str)] = &[
    ("Alert Email Received", "alert"),
    ("Alert Email Opened", "alert"),
    ("Digest Received", "digest"),
    ("Signed In", "web"),
    ("Company Viewed", "company"),
    ("Search Performed", "search"),
    ("Profile Viewed", "person"),
    ("Company Followed", "company"),
    ("Insight Shared", "linkedin"),
    ("Message Sent", "message"),
    ("Portal Viewed", "portal"),
];

/// The n-th message of a run (deterministic).
pub fn message(run: &str, n: u64) -> Value {
    let user = n.wrapping_mul(2_654_435_761) % 20_000;
    let account = user / 20;
    let ts = chrono::DateTime::from_timestamp(1_767_225_600 + (n % 2_592_000) as i64, 0)
        .expect("in range");
    let context = json!({
        "library": {"name": "analytics-python", "version": "2.4.0"},
        "ip": "10.1.2.3",
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        "groupId": format!("load-acct-{account}")
    });
    match n % 50 {
        0 => {
            json!({"type": "identify", "messageId": format!("{run}-{n}"), "userId": format!("load-user-{user}"),
                    "traits": {"email": format!("load-user-{user}@example.com"), "role": "analyst"},
                    "context": context, "timestamp": ts.to_rfc3339()})
        }
        1 => {
            json!({"type": "group", "messageId": format!("{run}-{n}"), "userId": format!("load-user-{user}"),
                    "groupId": format!("load-acct-{account}"), "traits": {"plan": "pro", "seats_purchased": 25},
                    "context": context, "timestamp": ts.to_rfc3339()})
        }
        _ => {
            let (event, channel) = EVENTS[(n % EVENTS.len() as u64) as usize];
            json!({"type": "track", "messageId": format!("{run}-{n}"), "userId": format!("load-user-{user}"),
                   "event": event, "properties": {"channel": channel, "company_id": format!("c-{}", n % 9973), "position": n % 17},
                   "context": context, "timestamp": ts.to_rfc3339()})
        }
    }
}

/// A `/v1/batch` body of `size` messages starting at `first`.
pub fn batch(run: &str, first: u64, size: u64) -> Vec<u8> {
    let messages: Vec<Value> = (first..first + size).map(|n| message(run, n)).collect();
    let sent_at = chrono::Utc::now().to_rfc3339();
    json!({"batch": messages, "sentAt": sent_at})
        .to_string()
        .into_bytes()
}
