//! One account: its usage (seats, levels, engagement with the users table,
//! productivity, month over month, influence) for everyone who may see
//! it, and for the vendor's own people also its health with the
//! explanation and history, alerts, propensity scores and sentiment.

use super::{cell, money, num, percent, rows_where, section, select, text, tile};
use crate::chart::{Line, bars, hbars, lines};
use crate::filters::{Filters, form};
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use tenure_reports::Table;

/// The vendor's view of the account; `None` for an account-admin.
pub struct Vendor {
    /// The account's `accounts` row.
    pub info: Table,
    /// Its `health` row, and its `health-history` over the last 90 days.
    pub health: Table,
    pub history: Table,
    /// `account-flags` of the last month.
    pub flags: Table,
    pub alerts: Table,
    pub scores: Table,
    pub sentiment: Table,
}

pub struct Account {
    pub id: String,
    /// The account's name, when it has one.
    pub name: Option<String>,
    pub filters: Filters,
    pub vendor: Option<Vendor>,
    pub seats: Table,
    pub pending: Table,
    pub levels: Table,
    /// `engagement` of the account's users, already narrowed by the
    /// filters (and by `category`, when given).
    pub engagement: Table,
    pub category: Option<String>,
    pub page: usize,
    /// The query string without `page`.
    pub query: String,
    pub productivity: Table,
    /// `activity-pivot` (long layout) over the last months.
    pub pivot: Table,
    pub influence: Table,
}

pub fn page(viewer: &Viewer, a: &Account) -> Markup {
    let name = a.name.clone().unwrap_or_else(|| a.id.clone());
    let body = html! {
        @if let Some(v) = &a.vendor { (vendor_head(v)) }
        (form(&a.filters))
        div.grid {
            (section("seats", "Seats", seats(a)))
            (section("levels", "Levels", levels(a)))
        }
        @if let Some(v) = &a.vendor { (health(v)) }
        (section("users", "Engagement", users(a)))
        (section("productivity", "Productivity", table::full(&a.productivity)))
        (section("pivot", "Month over month", pivot(a)))
        (section("influence", "Influence", table::full(&select(&a.influence,
            &["user_id", "rank", "influence_inside", "influence_outside", "colleagues_reached"]))))
        @if let Some(v) = &a.vendor {
            (section("alerts", "Alerts", table::full(&select(&v.alerts,
                &["alert_id", "kind", "feature", "opened_at", "status", "reason", "user_id", "snoozed_until"]))))
            (section("scores", "Propensity scores", table::full(&select(&v.scores,
                &["model", "user_id", "score", "method", "reasons"]))))
            (section("sentiment", "Sentiment", table::full(&select(&v.sentiment,
                &["month", "responses", "sentiment", "nps"]))))
        }
    };
    layout::page(viewer, &name, "/accounts", body)
}

fn vendor_head(v: &Vendor) -> Markup {
    let Some(r) = v.info.rows.first() else {
        return html! {};
    };
    let t = &v.info;
    let show = |c: &str| text(t, r, c).unwrap_or_else(|| "–".into());
    html! {
        div.tiles {
            (tile("health", format!("{} ({})", show("health"), show("band"))))
            (tile("plan", show("plan")))
            (tile("MRR", text(t, r, "mrr").map_or("–".into(), |_| money(num(t, r, "mrr")))))
            (tile("CSM", show("csm_owner")))
            (tile("renewal", show("renewal_date")))
        }
    }
}

fn seats(a: &Account) -> Markup {
    let t = &a.seats;
    let Some(r) = t.rows.first() else {
        return html! { p.empty { "No seats: the account is archived or unknown." } };
    };
    html! {
        (hbars("Seats funnel", vec!["purchased".into(), "assigned".into(), "activated".into()],
            vec![Line::new("seats", vec![num(t, r, "purchased"), num(t, r, "assigned"), num(t, r, "activated")])]))
        p { "Activation rate " (percent(text(t, r, "activation_rate").map(|_| num(t, r, "activation_rate"))))
            ", utilisation " (percent(text(t, r, "utilisation").map(|_| num(t, r, "utilisation")))) "." }
        h3 { "Seats pending for more than 7 days" }
        (table::full(&select(&a.pending, &["user_id", "email", "seat_assigned_at"])))
    }
}

fn levels(a: &Account) -> Markup {
    let t = &a.levels;
    let names: Vec<String> = t
        .columns
        .iter()
        .filter(|c| *c != "account_id")
        .cloned()
        .collect();
    let counts = names
        .iter()
        .map(|c| t.rows.first().map_or(0.0, |r| num(t, r, c)))
        .collect();
    bars(
        "Licensed users by level",
        names,
        vec![Line::new("users", counts)],
    )
}

fn health(v: &Vendor) -> Markup {
    let t = &v.health;
    let h = &v.history;
    html! {
        (section("health", "Health", html! {
            @if let Some(r) = t.rows.first() {
                p.explanation { (text(t, r, "explanation").unwrap_or_default()) }
                (table::full(&select(t, &["score", "band", "active_users", "depth", "breadth", "trend", "seat_activation", "sentiment", "profile"])))
            } @else {
                p.empty { "No health score: the account is archived." }
            }
            (lines("Health over the last 90 days",
                h.rows.iter().map(|r| text(h, r, "date").unwrap_or_default()).collect(),
                vec![Line::new("score", h.rows.iter().map(|r| num(h, r, "score")).collect())]))
        }))
    }
}

fn users(a: &Account) -> Markup {
    let t = &a.engagement;
    let categories = ["engaging", "interacting", "consuming", "dormant"];
    let counts = categories
        .iter()
        .map(|c| {
            t.rows
                .iter()
                .filter(|r| text(t, r, "category").as_deref() == Some(c))
                .count() as f64
        })
        .collect();
    let shown = match &a.category {
        Some(c) => rows_where(t, "category", c),
        None => t.clone(),
    };
    let base = a
        .query
        .split('&')
        .filter(|p| !p.starts_with("category=") && !p.is_empty())
        .collect::<Vec<_>>()
        .join("&");
    let sep = if base.is_empty() { "" } else { "&" };
    html! {
        (bars("Licensed users by category", categories.map(String::from).to_vec(), vec![Line::new("users", counts)]))
        nav.tabs aria-label="Category" {
            a href={ "?" (base) } aria-current=[a.category.is_none().then_some("true")] { "all" }
            @for c in categories {
                " " a href={ "?" (base) (sep) "category=" (c) } aria-current=[(a.category.as_deref() == Some(c)).then_some("true")] { (c) }
            }
        }
        (table::paged(&select(&shown, &["user_id", "groups", "category", "consume", "login", "research", "maintain", "share", "message", "portal", "last_active_at", "recommended_action"]), a.page, &a.query))
    }
}

fn pivot(a: &Account) -> Markup {
    let t = &a.pivot;
    let months: Vec<String> = t
        .rows
        .iter()
        .map(|r| text(t, r, "month").unwrap_or_default())
        .collect();
    html! {
        (bars("Active users per month", months, vec![Line::new("active", t.rows.iter().map(|r| num(t, r, "active")).collect())]))
        @if let Some(v) = &a.vendor {
            @for r in &v.flags.rows {
                @if let Some(flag) = text(&v.flags, r, "flag") {
                    p.flag { "Flag for " (text(&v.flags, r, "month").unwrap_or_default()) ": " strong { (flag) }
                        " (" (crate::table::cell_text(cell(&v.flags, r, "active"))) " active users, change "
                        (text(&v.flags, r, "change_pct").map_or("–".into(), |c| format!("{c}%"))) ")." }
                }
            }
        }
    }
}
