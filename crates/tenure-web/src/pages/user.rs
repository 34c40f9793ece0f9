//! One user: activity month by month, the category each month, level and
//! achievements, and productivity.

use super::{num, section, select, text, tile};
use crate::chart::{Line, bars};
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use tenure_reports::{Cell, Table};

pub struct User {
    pub id: String,
    pub account: Option<String>,
    /// The user's `engagement` row (empty when not in it) per calendar
    /// month, oldest first.
    pub months: Vec<(String, Table)>,
    /// `user-levels` and `productivity` rows of the user.
    pub level: Table,
    pub productivity: Table,
}

const KINDS: [&str; 7] = [
    "consume", "login", "research", "maintain", "share", "message", "portal",
];

pub fn page(viewer: &Viewer, u: &User) -> Markup {
    let labels: Vec<String> = u.months.iter().map(|(m, _)| m.clone()).collect();
    let series = KINDS
        .iter()
        .map(|k| {
            Line::new(
                k,
                u.months
                    .iter()
                    .map(|(_, t)| t.rows.first().map_or(0.0, |r| num(t, r, k)))
                    .collect(),
            )
        })
        .collect();
    let mut history = Table::new(&["month", "category", "last_active_at"]);
    for (month, t) in &u.months {
        let row = t.rows.first();
        let get = |c: &str| {
            row.and_then(|r| text(t, r, c))
                .map_or(Cell::Empty, Cell::Text)
        };
        history.push(vec![
            month.clone().into(),
            row.map_or(Cell::Text("not licensed".into()), |_| get("category")),
            get("last_active_at"),
        ]);
    }
    let level = u.level.rows.first();
    let body = html! {
        div.tiles {
            @if let Some(account) = &u.account {
                div.tile { a.value href={ "/accounts/" (table::encode(account)) } { (account) } span.label { "account" } }
            }
            (tile("level", level.and_then(|r| text(&u.level, r, "level")).unwrap_or_else(|| "–".into())))
            (tile("achievements", level.and_then(|r| text(&u.level, r, "achievements")).unwrap_or_else(|| "none".into())))
        }
        (section("timeline", "Activity by month", bars("Events by kind per month", labels, series)))
        (section("categories", "Category by month", table::full(&history)))
        (section("productivity", "Productivity", table::full(&select(&u.productivity,
            &["messages_sent", "messages_accepted", "acceptance_rate", "unique_connections", "shares"]))))
    };
    layout::page(viewer, &u.id, "", body)
}
