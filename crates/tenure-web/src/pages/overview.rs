//! The overview: what a CSM or a manager opens every morning. Headline
//! figures, the seats funnel, users by engagement category and level, the
//! active-rate curve over 6 or 12 months, and (for the vendor's own
//! people) the health bands, the revenue in red accounts and the renewals
//! coming up with their health.

use super::{money, num, percent, section, text, tile};
use crate::chart::{Line, bars, hbars, lines};
use crate::filters::{Filters, form};
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use serde_json::Value;
use tenure_reports::Table;

/// What the server gathers for the overview.
pub struct Overview {
    pub filters: Filters,
    /// The `overview` report's document.
    pub summary: Value,
    /// `active-rate` by month over the chosen months.
    pub active_rate: Table,
    /// Whether `active_rate` holds counts only (`mode=absolute`).
    pub absolute: bool,
    /// The `accounts` report (vendor viewers only).
    pub accounts: Option<Table>,
    /// Renewals from this day up to 90 days later are listed.
    pub today: chrono::NaiveDate,
}

pub fn page(viewer: &Viewer, o: &Overview) -> Markup {
    let s = &o.summary;
    let n = |path: &[&str]| -> u64 {
        path.iter()
            .fold(s, |v, k| &v[*k])
            .as_u64()
            .unwrap_or_default()
    };
    let categories = ["engaging", "interacting", "consuming", "dormant"];
    let licensed: u64 = categories.iter().map(|c| n(&["categories", *c])).sum();
    let levels: Vec<String> = s["levels"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let seats = hbars(
        "Seats funnel",
        vec!["purchased".into(), "assigned".into(), "activated".into()],
        vec![Line::new(
            "seats",
            vec![
                n(&["seats", "purchased"]) as f64,
                n(&["seats", "assigned"]) as f64,
                n(&["seats", "activated"]) as f64,
            ],
        )],
    );
    let engagement = bars(
        "Licensed users by category",
        categories.iter().map(|c| c.to_string()).collect(),
        vec![Line::new(
            "users",
            categories
                .iter()
                .map(|c| n(&["categories", *c]) as f64)
                .collect(),
        )],
    );
    let level_chart = bars(
        "Users by level",
        levels.clone(),
        vec![Line::new(
            "users",
            levels
                .iter()
                .map(|l| n(&["levels", l.as_str()]) as f64)
                .collect(),
        )],
    );
    let body = html! {
        (form(&o.filters))
        div.tiles {
            @if let Some(accounts) = &o.accounts { (tile("accounts", accounts.rows.len().to_string())) }
            (tile("licensed users", licensed.to_string()))
            (tile("seats activated", format!("{} of {}", n(&["seats", "activated"]), n(&["seats", "assigned"]))))
            (tile("active rate", percent(s["active_rate"]["rate"].as_f64())))
            @if let Some(accounts) = &o.accounts { (tile("MRR in red accounts", money(red_mrr(accounts)))) }
        }
        div.grid {
            (section("seats", "Seats", seats))
            (section("categories", "Engagement", engagement))
            (section("active-rate", "Active rate", active_rate(o)))
            (section("levels", "Levels", level_chart))
            @if let Some(accounts) = &o.accounts {
                (section("bands", "Health", bands(accounts)))
            }
        }
        @if let Some(accounts) = &o.accounts {
            (section("renewals", "Renewals in the next 90 days", table::full(&renewals(accounts, o.today))))
        }
    };
    layout::page(viewer, "Overview", "/overview", body)
}

fn active_rate(o: &Overview) -> Markup {
    let t = &o.active_rate;
    let labels = t
        .rows
        .iter()
        .map(|r| text(t, r, "period").unwrap_or_default())
        .collect();
    let series = if o.absolute {
        vec![
            Line::new(
                "active accounts",
                t.rows
                    .iter()
                    .map(|r| num(t, r, "active_accounts"))
                    .collect(),
            ),
            Line::new(
                "activated accounts",
                t.rows
                    .iter()
                    .map(|r| num(t, r, "activated_accounts"))
                    .collect(),
            ),
        ]
    } else {
        vec![Line::new(
            "rate",
            t.rows.iter().map(|r| num(t, r, "rate")).collect(),
        )]
    };
    lines("Accounts active per month", labels, series)
}

/// Accounts per health band.
fn bands(accounts: &Table) -> Markup {
    let names = ["red", "yellow", "green"];
    let counts = names
        .iter()
        .map(|b| {
            accounts
                .rows
                .iter()
                .filter(|r| text(accounts, r, "band").as_deref() == Some(b))
                .count() as f64
        })
        .collect();
    bars(
        "Accounts by health band",
        names.iter().map(|b| b.to_string()).collect(),
        vec![Line::new("accounts", counts)],
    )
}

/// The monthly revenue of the accounts in the red band.
pub fn red_mrr(accounts: &Table) -> f64 {
    accounts
        .rows
        .iter()
        .filter(|r| text(accounts, r, "band").as_deref() == Some("red"))
        .map(|r| num(accounts, r, "mrr"))
        .sum()
}

/// The accounts renewing from `today` to 90 days later, soonest first.
pub fn renewals(accounts: &Table, today: chrono::NaiveDate) -> Table {
    let until = today + chrono::Duration::days(90);
    let mut t = super::select(
        accounts,
        &[
            "account_id",
            "name",
            "renewal_date",
            "mrr",
            "csm_owner",
            "health",
            "band",
        ],
    );
    let day = |r: &Vec<tenure_reports::Cell>| {
        text(&t, r, "renewal_date").and_then(|d| d.parse::<chrono::NaiveDate>().ok())
    };
    let mut rows: Vec<_> = t
        .rows
        .iter()
        .filter(|r| day(r).is_some_and(|d| d >= today && d <= until))
        .cloned()
        .collect();
    rows.sort_by_key(|r| day(r));
    t.rows = rows;
    t
}
