//! One module per page. Each takes the reports the server gathered for it
//! (already narrowed to what the viewer may see) and returns the page.

pub mod account;
pub mod accounts;
pub mod alerts;
pub mod insights;
pub mod overview;
pub mod playbooks;
pub mod reports;
pub mod user;

use maud::{Markup, html};
use tenure_reports::{Cell, Table};

/// The index of `column` in `table`.
pub fn col(table: &Table, column: &str) -> Option<usize> {
    table.columns.iter().position(|c| c == column)
}

/// The cell of `column` in `row` (empty when the table has no such column).
pub fn cell<'a>(table: &Table, row: &'a [Cell], column: &str) -> &'a Cell {
    const EMPTY: &Cell = &Cell::Empty;
    col(table, column).map_or(EMPTY, |i| &row[i])
}

/// A cell as text (`None` when empty).
pub fn text(table: &Table, row: &[Cell], column: &str) -> Option<String> {
    match cell(table, row, column) {
        Cell::Empty => None,
        other => Some(crate::table::cell_text(other)),
    }
}

/// A cell as a number (0 when empty or text).
pub fn num(table: &Table, row: &[Cell], column: &str) -> f64 {
    match cell(table, row, column) {
        Cell::Int(n) => *n as f64,
        Cell::Float(x) => *x,
        other => other.as_str().and_then(|t| t.parse().ok()).unwrap_or(0.0),
    }
}

/// The rows of `table` whose `column` is `value`.
pub fn rows_where(table: &Table, column: &str, value: &str) -> Table {
    let mut out = Table {
        columns: table.columns.clone(),
        rows: Vec::new(),
    };
    if let Some(i) = col(table, column) {
        out.rows = table
            .rows
            .iter()
            .filter(|r| r[i].as_str() == Some(value))
            .cloned()
            .collect();
    }
    out
}

/// Only `columns` of `table`, in that order.
pub fn select(table: &Table, columns: &[&str]) -> Table {
    let idx: Vec<Option<usize>> = columns.iter().map(|c| col(table, c)).collect();
    Table {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows: table
            .rows
            .iter()
            .map(|r| {
                idx.iter()
                    .map(|i| i.map_or(Cell::Empty, |i| r[i].clone()))
                    .collect()
            })
            .collect(),
    }
}

/// A headline figure.
pub fn tile(label: &str, value: impl Into<String>) -> Markup {
    html! {
        div.tile {
            span.value { (value.into()) }
            span.label { (label) }
        }
    }
}

/// A titled section of a page.
pub fn section(id: &str, title: &str, body: Markup) -> Markup {
    html! {
        section id=(id) {
            h2 { (title) }
            (body)
        }
    }
}

/// `0.4567` as `45.7%`; `–` when absent.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or("–".into(), |r| format!("{:.1}%", r * 100.0))
}

/// Money without cents, thousands separated.
pub fn money(x: f64) -> String {
    let whole = x.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(money(1234567.4), "1,234,567");
        assert_eq!(money(999.0), "999");
        assert_eq!(percent(Some(0.4567)), "45.7%");
        let mut t = Table::new(&["a", "b"]);
        t.push(vec!["x".into(), Cell::Int(2)]);
        t.push(vec!["y".into(), Cell::Float(0.5)]);
        t.push(vec![Cell::Shared("y".into()), Cell::Shared("1.5".into())]);
        assert_eq!(rows_where(&t, "a", "y").rows.len(), 2);
        assert_eq!(rows_where(&t, "a", "x").rows.len(), 1);
        assert_eq!(num(&t, &t.rows[1], "b"), 0.5);
        assert_eq!(num(&t, &t.rows[2], "b"), 1.5);
        assert_eq!(text(&t, &t.rows[2], "a").as_deref(), Some("y"));
        assert_eq!(
            select(&t, &["b", "zz"]).rows[0],
            vec![Cell::Int(2), Cell::Empty]
        );
    }
}
