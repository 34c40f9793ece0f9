//! A report's [`Table`] as an HTML table: ids link to their pages, numbers
//! align right and sort as numbers (with `app.js`), long tables come in
//! pages of rows with links to the others.

use maud::{Markup, html};
use tenure_reports::{Cell, Table};

/// Rows per page of a long table.
pub const PAGE_ROWS: usize = 100;

/// How a cell reads on a page.
pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Shared(s) => s.to_string(),
        Cell::Int(n) => n.to_string(),
        Cell::Float(x) => format_float(*x),
        Cell::List(items) => items.join(", "),
        Cell::Empty => "–".into(),
    }
}

/// Up to 4 decimals, without trailing zeros.
fn format_float(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

fn numeric(cell: &Cell) -> bool {
    matches!(cell, Cell::Int(_) | Cell::Float(_))
}

/// The link a cell of `column` leads to, if it names something with a page.
fn link(column: &str, cell: &Cell) -> Option<String> {
    let id = cell.as_str()?;
    match column {
        "account_id" => Some(format!("/accounts/{}", encode(id))),
        "user_id" => Some(format!("/users/{}", encode(id))),
        _ => None,
    }
}

/// Percent-encodes a path segment or query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The rows of page `page` (from 1) of `table`, with links to the other
/// pages built from `query` (the page's query string without `page`).
pub fn paged(table: &Table, page: usize, query: &str) -> Markup {
    let pages = table.rows.len().div_ceil(PAGE_ROWS).max(1);
    let page = page.clamp(1, pages);
    let start = (page - 1) * PAGE_ROWS;
    let end = (start + PAGE_ROWS).min(table.rows.len());
    let href = |p: usize| {
        let sep = if query.is_empty() { "" } else { "&" };
        format!("?{query}{sep}page={p}")
    };
    html! {
        (rows(table, start..end))
        @if pages > 1 {
            nav.pages aria-label="Pages" {
                "Rows " (start + 1) "–" (end) " of " (table.rows.len()) ". "
                @if page > 1 { a rel="prev" href=(href(page - 1)) { "‹ Previous" } " " }
                @if page < pages { a rel="next" href=(href(page + 1)) { "Next ›" } }
            }
        }
    }
}

/// Every row of `table`.
pub fn full(table: &Table) -> Markup {
    rows(table, 0..table.rows.len())
}

fn rows(table: &Table, range: std::ops::Range<usize>) -> Markup {
    let numeric_column: Vec<bool> = (0..table.columns.len())
        .map(|i| table.rows.iter().any(|r| numeric(&r[i])))
        .collect();
    html! {
        @if table.rows.is_empty() {
            p.empty { "No rows for these filters." }
        } @else {
            div.scroll {
                table.data.sortable {
                    thead { tr {
                        @for (i, c) in table.columns.iter().enumerate() {
                            th scope="col" data-type=(if numeric_column[i] { "num" } else { "text" }) { (c) }
                        }
                    } }
                    tbody {
                        @for row in &table.rows[range] {
                            tr {
                                @for (i, cell) in row.iter().enumerate() {
                                    td.num[numeric_column[i]] {
                                        @if let Some(href) = link(&table.columns[i], cell) {
                                            a href=(href) { (cell_text(cell)) }
                                        } @else {
                                            (cell_text(cell))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_plainly_and_text_is_escaped() {
        assert_eq!(format_float(0.25), "0.25");
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(0.123456), "0.1235");
        assert_eq!(cell_text(&Cell::Empty), "–");
        let mut t = Table::new(&["account_id", "name", "n"]);
        t.push(vec![
            "a/<b>".into(),
            "<script>alert(1)</script>".into(),
            Cell::Int(3),
        ]);
        let html = full(&t).into_string();
        assert!(html.contains("href=\"/accounts/a%2F%3Cb%3E\""), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("class=\"num\""), "{html}");
        let mut shared = Table::new(&["user_id", "category"]);
        shared.push(vec![
            Cell::Shared("u/1".into()),
            Cell::Shared("engaging".into()),
        ]);
        let html = full(&shared).into_string();
        assert!(html.contains("href=\"/users/u%2F1\""), "{html}");
        assert!(html.contains("engaging"), "{html}");
    }

    #[test]
    fn long_tables_come_in_pages() {
        let mut t = Table::new(&["n"]);
        for i in 0..250u64 {
            t.push(vec![Cell::Int(i)]);
        }
        let html = paged(&t, 2, "range=30d").into_string();
        assert!(html.contains("Rows 101–200 of 250"), "{html}");
        assert!(html.contains("href=\"?range=30d&amp;page=1\""), "{html}");
        assert!(html.contains("href=\"?range=30d&amp;page=3\""), "{html}");
        assert_eq!(html.matches("<tr>").count(), 101);
        let last = paged(&t, 99, "").into_string();
        assert!(last.contains("Rows 201–250 of 250"), "{last}");
    }
}
