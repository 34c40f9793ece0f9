//! Insights: the most and least used features, error hotspots, and the
//! features whose use changed most against the previous period.

use super::{num, section, select, text};
use crate::chart::{Line, hbars};
use crate::filters::{Filters, form};
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use tenure_reports::Table;

pub struct Insights {
    pub filters: Filters,
    /// `features`, most used first, and `errors`, most first.
    pub features: Table,
    pub errors: Table,
}

/// How many rows each list shows.
const TOP: usize = 10;

fn head(t: &Table, n: usize) -> Table {
    Table {
        columns: t.columns.clone(),
        rows: t.rows.iter().take(n).cloned().collect(),
    }
}

/// The rows with the largest `change_pct` (`up`) or smallest.
fn movers(t: &Table, up: bool) -> Table {
    let mut rows: Vec<_> = t
        .rows
        .iter()
        .filter(|r| text(t, r, "change_pct").is_some())
        .filter(|r| (num(t, r, "change_pct") > 0.0) == up)
        .cloned()
        .collect();
    rows.sort_by(|a, b| {
        let (x, y) = (num(t, a, "change_pct"), num(t, b, "change_pct"));
        if up { y.total_cmp(&x) } else { x.total_cmp(&y) }
    });
    rows.truncate(TOP);
    Table {
        columns: t.columns.clone(),
        rows,
    }
}

fn ranking(title: &str, t: &Table, label: &str, value: &str) -> Markup {
    hbars(
        title,
        t.rows
            .iter()
            .map(|r| text(t, r, label).unwrap_or_default())
            .collect(),
        vec![Line::new(
            value,
            t.rows.iter().map(|r| num(t, r, value)).collect(),
        )],
    )
}

pub fn page(viewer: &Viewer, i: &Insights) -> Markup {
    let most = head(&i.features, TOP);
    let mut least = i.features.clone();
    least.rows.reverse();
    let least = head(&least, TOP);
    let errors = head(&i.errors, TOP);
    let columns = [
        "event",
        "kind",
        "events",
        "users",
        "accounts",
        "account_share",
        "change_pct",
    ];
    let body = html! {
        (form(&i.filters))
        div.grid {
            (section("most-used", "Most used features", ranking("Events, most used", &most, "event", "events")))
            (section("least-used", "Least used features", ranking("Events, least used", &least, "event", "events")))
            (section("errors", "Error hotspots", html! {
                (ranking("Errors per feature", &errors, "feature", "errors"))
            }))
        }
        div.grid {
            (section("rising", "Rising", table::full(&select(&movers(&i.features, true), &columns))))
            (section("falling", "Falling", table::full(&select(&movers(&i.features, false), &columns))))
        }
    };
    layout::page(viewer, "Insights", "/insights", body)
}
