//! The account list: every account with its traits, seats, engagement mix
//! and health; searchable, filterable by band, category mix, plan and
//! owner, sortable, and downloadable as CSV (the same rows: the server
//! runs [`filter`] for both).

use super::{num, text};
use crate::filters::Filters;
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use tenure_reports::Table;

/// The list's own filters (`q`, `band`, `mix`, `plan`, `owner`, `sort`,
/// `dir`), beside the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountFilter {
    /// Part of the id or the name, any case.
    pub q: Option<String>,
    pub band: Option<String>,
    /// The category most of the account's licensed users are in.
    pub mix: Option<String>,
    pub plan: Option<String>,
    pub owner: Option<String>,
    /// A column to sort by, and `desc` for the largest first.
    pub sort: Option<String>,
    pub desc: bool,
}

const CATEGORIES: [&str; 4] = ["engaging", "interacting", "consuming", "dormant"];

/// The category with the most of the row's users (the first on ties);
/// `None` without users.
fn dominant(t: &Table, row: &[tenure_reports::Cell]) -> Option<&'static str> {
    let counts = CATEGORIES.map(|c| num(t, row, c));
    let best = counts.iter().cloned().fold(0.0, f64::max);
    (best > 0.0).then(|| {
        CATEGORIES[counts
            .iter()
            .position(|c| *c == best)
            .expect("max is one of them")]
    })
}

/// The rows of the `accounts` report that pass `f`, in its order.
pub fn filter(accounts: &Table, f: &AccountFilter) -> Table {
    let is = |want: &Option<String>, have: Option<String>| {
        want.as_ref()
            .is_none_or(|w| w.is_empty() || have.as_deref() == Some(w.as_str()))
    };
    let q =
        f.q.as_ref()
            .map(|q| q.to_lowercase())
            .filter(|q| !q.is_empty());
    let mut rows: Vec<_> = accounts
        .rows
        .iter()
        .filter(|r| {
            q.as_ref().is_none_or(|q| {
                ["account_id", "name"].iter().any(|c| {
                    text(accounts, r, c).is_some_and(|v| v.to_lowercase().contains(q.as_str()))
                })
            }) && is(&f.band, text(accounts, r, "band"))
                && is(&f.plan, text(accounts, r, "plan"))
                && is(&f.owner, text(accounts, r, "csm_owner"))
                && is(&f.mix, dominant(accounts, r).map(String::from))
        })
        .cloned()
        .collect();
    if let Some(i) = f.sort.as_ref().and_then(|c| super::col(accounts, c)) {
        rows.sort_by(|a, b| {
            use tenure_reports::Cell::*;
            let order = match (&a[i], &b[i]) {
                (Int(x), Int(y)) => x.cmp(y),
                (Float(x), Float(y)) => x.total_cmp(y),
                (Empty, Empty) => std::cmp::Ordering::Equal,
                (Empty, _) => std::cmp::Ordering::Less,
                (_, Empty) => std::cmp::Ordering::Greater,
                (x, y) => table::cell_text(x).cmp(&table::cell_text(y)),
            };
            if f.desc { order.reverse() } else { order }
        });
    }
    Table {
        columns: accounts.columns.clone(),
        rows,
    }
}

/// The distinct values of `column`, sorted.
fn values(t: &Table, column: &str) -> Vec<String> {
    let mut v: Vec<String> = t.rows.iter().filter_map(|r| text(t, r, column)).collect();
    v.sort();
    v.dedup();
    v
}

pub struct Accounts {
    pub filters: Filters,
    pub filter: AccountFilter,
    /// Every account (the choices of the filters come from it).
    pub all: Table,
    pub page: usize,
    /// The query string without `page`, for the page links.
    pub query: String,
}

pub fn page(viewer: &Viewer, a: &Accounts) -> Markup {
    let shown = filter(&a.all, &a.filter);
    let choice = |name: &str, current: &Option<String>, options: Vec<String>| {
        html! {
            label {
                (name) " "
                select name=(name) {
                    option value="" { "any" }
                    @for o in &options {
                        option value=(o) selected[current.as_deref() == Some(o.as_str())] { (o) }
                    }
                }
            }
        }
    };
    let f = &a.filter;
    let body = html! {
        form.filters.list method="get" action="/accounts" {
            @for (param, value) in [("from", &a.filters.from), ("to", &a.filters.to), ("as_of", &a.filters.as_of)] {
                @if let Some(v) = value { input type="hidden" name=(param) value=(v); }
            }
            (choice("range", &a.filters.range, ["7d", "30d", "90d", "12m"].map(String::from).to_vec()))
            label { "Search " input type="search" name="q" value=[f.q.as_deref()] placeholder="id or name"; }
            (choice("band", &f.band, vec!["red".into(), "yellow".into(), "green".into()]))
            (choice("mix", &f.mix, CATEGORIES.map(String::from).to_vec()))
            (choice("plan", &f.plan, values(&a.all, "plan")))
            (choice("owner", &f.owner, values(&a.all, "csm_owner")))
            (choice("sort", &f.sort, a.all.columns.clone()))
            label { input type="checkbox" name="dir" value="desc" checked[f.desc]; " largest first" }
            button type="submit" { "Filter" }
            @if let Some(csv) = &a.filters.csv { " " a.csv href=(csv) download { "Download CSV" } }
        }
        p.count { (shown.rows.len()) " of " (a.all.rows.len()) " accounts" }
        (table::paged(&shown, a.page, &a.query))
    };
    layout::page(viewer, "Accounts", "/accounts", body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenure_reports::Cell;

    fn accounts() -> Table {
        let mut t = Table::new(&[
            "account_id",
            "name",
            "plan",
            "csm_owner",
            "mrr",
            "engaging",
            "interacting",
            "consuming",
            "dormant",
            "band",
        ]);
        let row = |id: &str, name: &str, plan: &str, mrr: f64, mix: [u64; 4], band: &str| {
            let mut r = vec![
                id.into(),
                name.into(),
                plan.into(),
                "ana".into(),
                Cell::Float(mrr),
            ];
            r.extend(mix.map(Cell::Int));
            r.push(band.into());
            r
        };
        t.push(row("a1", "Acme", "pro", 900.0, [5, 1, 0, 0], "green"));
        t.push(row("a2", "Globex", "team", 300.0, [0, 1, 0, 7], "red"));
        t.push(row("a3", "Initech", "pro", 1200.0, [0, 0, 4, 4], "red"));
        t
    }

    #[test]
    fn filters_search_and_sort() {
        let t = accounts();
        let ids = |f: AccountFilter| -> Vec<String> {
            filter(&t, &f)
                .rows
                .iter()
                .map(|r| table::cell_text(&r[0]))
                .collect()
        };
        assert_eq!(
            ids(AccountFilter {
                q: Some("GLOB".into()),
                ..Default::default()
            }),
            ["a2"]
        );
        assert_eq!(
            ids(AccountFilter {
                band: Some("red".into()),
                ..Default::default()
            }),
            ["a2", "a3"]
        );
        assert_eq!(
            ids(AccountFilter {
                mix: Some("dormant".into()),
                ..Default::default()
            }),
            ["a2"]
        );
        // A tie goes to the first category.
        assert_eq!(
            ids(AccountFilter {
                mix: Some("consuming".into()),
                ..Default::default()
            }),
            ["a3"]
        );
        assert_eq!(
            ids(AccountFilter {
                plan: Some("pro".into()),
                sort: Some("mrr".into()),
                desc: true,
                ..Default::default()
            }),
            ["a3", "a1"]
        );
        assert_eq!(
            ids(AccountFilter {
                band: Some(String::new()),
                ..Default::default()
            })
            .len(),
            3
        );
    }
}
