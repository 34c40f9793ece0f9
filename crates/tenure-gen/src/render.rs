//! Events as Segment messages, one JSON object a line. Hand-written (not
//! serde) because this is the generator's hot loop; every string written is
//! a fixed ASCII text or an id, so nothing needs escaping.

use crate::catalog::*;
use crate::world::{Plan, World};

pub const TEAMS: &[&str] = &["sales", "marketing", "research", "leadership"];
pub const REGIONS: &[&str] = &["na", "emea", "apac"];

pub fn user_id(u: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"usr-");
    num(u64::from(u), out);
}

pub fn account_id(a: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"acct-");
    num(u64::from(a), out);
}

fn num(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn key(k: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn text(k: &str, v: &str, out: &mut Vec<u8>) {
    key(k, out);
    out.push(b'"');
    out.extend_from_slice(v.as_bytes());
    out.push(b'"');
}

fn id(k: &str, prefix: &str, n: u32, out: &mut Vec<u8>) {
    key(k, out);
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    num(u64::from(n), out);
    out.push(b'"');
}

fn number(k: &str, n: u64, out: &mut Vec<u8>) {
    key(k, out);
    num(n, out);
}

/// Writes the message of `e` with id `g{seed}-{n}`, and a newline.
pub fn message(w: &World, e: &crate::activity::Ev, n: u64, out: &mut Vec<u8>) {
    let account = w.users[e.user as usize].account;
    let call = match e.what {
        IDENTIFY_SEAT_OFF | IDENTIFY_GROUPS => "identify",
        GROUP_PLAN | GROUP_ARCHIVED => "group",
        _ => "track",
    };
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(call.as_bytes());
    out.extend_from_slice(b"\",\"messageId\":\"g");
    num(w.params.seed, out);
    out.push(b'-');
    num(n, out);
    out.extend_from_slice(b"\",\"userId\":\"");
    user_id(e.user, out);
    out.push(b'"');
    match call {
        "track" => {
            out.extend_from_slice(b",\"event\":\"");
            out.extend_from_slice(EVENTS[e.what as usize].name.as_bytes());
            out.extend_from_slice(b"\",\"properties\":{");
            properties(w, e, out);
            out.push(b'}');
        }
        "identify" => {
            out.extend_from_slice(b",\"traits\":{");
            if e.what == IDENTIFY_SEAT_OFF {
                out.extend_from_slice(b"\"seat_assigned_at\":null");
            } else {
                let user = &w.users[e.user as usize];
                out.extend_from_slice(b"\"groups\":[\"");
                out.extend_from_slice(REGIONS[user.region as usize].as_bytes());
                out.extend_from_slice(b"\",\"");
                out.extend_from_slice(TEAMS[e.a as usize].as_bytes());
                out.extend_from_slice(b"\"]");
            }
            out.push(b'}');
        }
        _ => {
            out.extend_from_slice(b",\"groupId\":\"");
            account_id(account, out);
            out.extend_from_slice(b"\",\"traits\":{");
            if e.what == GROUP_ARCHIVED {
                out.extend_from_slice(b"\"archived\":true");
            } else {
                let plan = Plan::ALL[e.a as usize];
                text("plan", plan.name(), out);
                out.push(b',');
                number("seats_purchased", u64::from(e.b), out);
                out.push(b',');
                number("mrr", u64::from(e.b * plan.seat_price()), out);
            }
            out.push(b'}');
        }
    }
    out.extend_from_slice(b",\"context\":{\"groupId\":\"");
    account_id(account, out);
    out.extend_from_slice(b"\"},\"timestamp\":\"");
    w.cal.write_timestamp(e.ts, out);
    out.extend_from_slice(b"\"}\n");
}

/// Whom user `u` emails an insight to, from the contact drawn: a colleague
/// (another user of the account) for every share of a champion and a third
/// of everyone else's, else someone at another company.
fn share_recipient(w: &World, u: u32, contact: u32) -> String {
    let users = w.users_of(w.users[u as usize].account);
    let others = users.len() as u32 - 1;
    if others > 0 && (w.users[u as usize].champion || contact.is_multiple_of(3)) {
        let mut colleague = users.start + contact / 3 % others;
        if colleague >= u {
            colleague += 1;
        }
        crate::files::names::email(w, colleague)
    } else {
        format!("pe-{contact}@mail{}.example.org", contact % 50)
    }
}

fn properties(w: &World, e: &crate::activity::Ev, out: &mut Vec<u8>) {
    let (a, b) = (e.a, e.b);
    let comma = |out: &mut Vec<u8>| out.push(b',');
    match e.what {
        ALERT_RECEIVED | ALERT_OPENED => {
            id("alert_id", "al-", a, out);
            comma(out);
            id("company_id", "co-", b, out);
        }
        DIGEST => {
            text("frequency", "weekly", out);
            comma(out);
            number("items", u64::from(b), out);
        }
        SIGNED_IN => text("method", if b == 1 { "sso" } else { "password" }, out),
        COMPANY_VIEWED => {
            id("company_id", "co-", a, out);
            comma(out);
            text("source", SOURCES[b as usize], out);
        }
        ARTICLE => {
            id("article_id", "ar-", a, out);
            comma(out);
            id("company_id", "co-", a / 7, out);
        }
        SEARCH => {
            number("filters", u64::from(a), out);
            comma(out);
            number("results", u64::from(b), out);
        }
        PROFILE => id("person_id", "pe-", a, out),
        WATCHLIST_CREATED => {
            id("watchlist_id", &format!("wl-{}-", e.user), a, out);
        }
        LIST_UPDATED => {
            id("watchlist_id", &format!("wl-{}-", e.user), a, out);
            comma(out);
            text("change", if b == 0 { "added" } else { "removed" }, out);
        }
        COMPANY_FOLLOWED => id("company_id", "co-", a, out),
        REMINDER_SET => {
            id("company_id", "co-", a, out);
            comma(out);
            number("due_in_days", u64::from(b), out);
        }
        INSIGHT_SHARED => {
            let channel = (b & 3) as usize;
            text("channel", CHANNELS[channel], out);
            comma(out);
            id("company_id", "co-", a, out);
            match channel {
                0 => {
                    comma(out);
                    text("recipient_email", &share_recipient(w, e.user, b >> 2), out);
                }
                1 => {
                    comma(out);
                    id("recipient_id", "pe-", b >> 2, out);
                }
                _ => {}
            }
        }
        MEETING_SCHEDULED => {
            id("company_id", "co-", a, out);
            comma(out);
            id("recipient_id", "pe-", b, out);
        }
        MESSAGE_SENT => {
            id("message_id", &format!("msg-{}-", e.user), a, out);
            comma(out);
            id("recipient_id", "pe-", b, out);
        }
        MESSAGE_ANSWERED => {
            id("message_id", &format!("msg-{}-", e.user), a, out);
            comma(out);
            text("answer", ANSWERS[b as usize], out);
        }
        PORTAL_VIEWED => text("page", PORTAL_PAGES[b as usize], out),
        DOCUMENT_DOWNLOADED => {
            id("document_id", "doc-", a, out);
            comma(out);
            text("format", "pdf", out);
        }
        ERROR_SHOWN => {
            text("feature", FEATURES[a as usize], out);
            comma(out);
            text("code", ERROR_CODES[b as usize], out);
        }
        TRIAL_STARTED => {
            text("plan", "trial", out);
            comma(out);
            number("trial_days", u64::from(a), out);
        }
        TRIAL_CONVERTED => text("plan", Plan::ALL[a as usize].name(), out),
        PLAN_UPGRADED | PLAN_DOWNGRADED => {
            text("plan", Plan::ALL[a as usize].name(), out);
            comma(out);
            text("previous_plan", Plan::ALL[b as usize].name(), out);
        }
        ACCOUNT_CHURNED => {
            text("plan", Plan::ALL[a as usize].name(), out);
            comma(out);
            text("reason", CHURN_REASONS[b as usize], out);
        }
        NPS_SUBMITTED => {
            number("score", u64::from(a), out);
            comma(out);
            text("comment", COMMENTS[b as usize], out);
        }
        FEEDBACK_SUBMITTED => text("text", COMMENTS[b as usize], out),
        _ => {}
    }
}
