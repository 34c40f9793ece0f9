//! The report index and one report: its filters, its rows in pages, and
//! the CSV of exactly those rows (the API's CSV for the same query).

use crate::filters::{Filters, form};
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use tenure_reports::Table;

/// What each report answers, for the index.
pub const ABOUT: &[(&str, &str)] = &[
    (
        "accounts",
        "Every account: traits, seats, engagement mix, health.",
    ),
    (
        "engagement",
        "Each licensed user's category and activity counts, with advice.",
    ),
    (
        "engagement-summary",
        "Licensed users per account and category.",
    ),
    (
        "engagement-flow",
        "Users moving between categories since the previous period.",
    ),
    (
        "champions",
        "Engaging users, most social first: the users to ask to become champions.",
    ),
    (
        "seats",
        "Purchased, assigned and activated seats per account.",
    ),
    (
        "seats-pending",
        "Seats assigned over 7 days ago and never used.",
    ),
    ("levels", "Users per level per account."),
    ("user-levels", "Each user's achievements and level."),
    (
        "productivity",
        "Messages sent, acceptance rate, unique connections, shares.",
    ),
    (
        "active-rate",
        "Active accounts among activated ones, per interval.",
    ),
    (
        "monthly-activity",
        "Active users per account in a month, against the month before.",
    ),
    (
        "activity-pivot",
        "Active users per account, month over month.",
    ),
    (
        "account-flags",
        "Champion accounts and churn risks of a month.",
    ),
    ("features", "Most and least used features."),
    ("errors", "Errors per feature."),
    (
        "influence",
        "Who spreads what they find, inside and outside the company.",
    ),
    ("alive", "Probability each user is still active (BG/NBD)."),
    ("health", "Health score per account, with its explanation."),
    ("health-history", "Health scores kept per day."),
    (
        "alerts",
        "Alerts opened and not resolved before the period.",
    ),
    (
        "sentiment",
        "NPS and feedback sentiment per account and month.",
    ),
    (
        "scores",
        "Propensity scores per account and user, with reasons.",
    ),
    ("models", "Each propensity model's held-out quality."),
    (
        "backtest",
        "How well the health score and models ranked each past month.",
    ),
];

/// The index of the reports `names` (those the viewer may read).
pub fn index(viewer: &Viewer, names: &[&str]) -> Markup {
    let body = html! {
        table.data {
            thead { tr { th scope="col" { "report" } th scope="col" { "what it answers" } } }
            tbody {
                @for (name, about) in ABOUT.iter().filter(|(n, _)| names.contains(n)) {
                    tr {
                        td { a href={ "/reports/" (name) } { (name) } }
                        td { (about) }
                    }
                }
            }
        }
    };
    layout::page(viewer, "Reports", "/reports", body)
}

pub struct Report {
    pub name: String,
    pub filters: Filters,
    pub table: Table,
    pub page: usize,
    /// The query string without `page`.
    pub query: String,
}

pub fn page(viewer: &Viewer, r: &Report) -> Markup {
    let about = ABOUT
        .iter()
        .find(|(n, _)| *n == r.name)
        .map_or("", |(_, a)| a);
    let body = html! {
        p.about { (about) " " a href="/reports" { "All reports" } }
        (form(&r.filters))
        p.count { (r.table.rows.len()) " rows" }
        (table::paged(&r.table, r.page, &r.query))
    };
    layout::page(viewer, &r.name, "/reports", body)
}
