//! Alerts: open, snoozed and closed ones in tabs; an admin snoozes (until
//! a day) or closes each from the page (forms carry the CSRF token).

use super::{rows_where, text};
use crate::filters::{Filters, form};
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use tenure_reports::Table;

pub const STATUSES: [&str; 3] = ["open", "snoozed", "closed"];

pub struct Alerts {
    pub filters: Filters,
    /// The `alerts` report.
    pub alerts: Table,
    /// The tab shown.
    pub status: String,
    /// The default snooze: a week after the period's end.
    pub snooze_until: chrono::NaiveDate,
    /// A message after a change ("Alert al-1 closed.").
    pub notice: Option<String>,
    /// The query string without `status` and `page`, for the tabs.
    pub query: String,
}

pub fn page(viewer: &Viewer, a: &Alerts) -> Markup {
    let shown = rows_where(&a.alerts, "status", &a.status);
    let t = &shown;
    let count = |s: &str| rows_where(&a.alerts, "status", s).rows.len();
    let columns = [
        "account_id",
        "kind",
        "feature",
        "opened_at",
        "reason",
        "user_id",
        "snoozed_until",
    ];
    let body = html! {
        @if let Some(notice) = &a.notice { p.notice role="status" { (notice) } }
        (form(&a.filters))
        nav.tabs aria-label="Status" {
            @for s in STATUSES {
                a href={ "?" (a.query) (if a.query.is_empty() { "" } else { "&" }) "status=" (s) } aria-current=[(a.status == s).then_some("true")] { (s) " (" (count(s)) ")" }
                " "
            }
        }
        @if t.rows.is_empty() {
            p.empty { "No " (a.status) " alerts." }
        } @else {
            div.scroll {
                table.data.sortable {
                    thead { tr {
                        @for c in columns { th scope="col" { (c) } }
                        @if viewer.can_change() && a.status != "closed" { th scope="col" { "action" } }
                    } }
                    tbody {
                        @for r in &t.rows {
                            @let id = text(t, r, "alert_id").unwrap_or_default();
                            tr id={ "alert-" (id) } {
                                @for c in columns {
                                    td {
                                        @match (c, text(t, r, c)) {
                                            ("account_id", Some(v)) => { a href={ "/accounts/" (table::encode(&v)) } { (v) } }
                                            ("user_id", Some(v)) => { a href={ "/users/" (table::encode(&v)) } { (v) } }
                                            (_, v) => { (v.unwrap_or_else(|| "–".into())) }
                                        }
                                    }
                                }
                                @if viewer.can_change() && a.status != "closed" {
                                    td.actions {
                                        form method="post" action={ "/alerts/" (table::encode(&id)) "/snooze" } {
                                            input type="hidden" name="csrf" value=(viewer.csrf);
                                            input type="date" name="until" value=(a.snooze_until) aria-label="Snooze until" required;
                                            button type="submit" { "Snooze" }
                                        }
                                        form method="post" action={ "/alerts/" (table::encode(&id)) "/close" } {
                                            input type="hidden" name="csrf" value=(viewer.csrf);
                                            button type="submit" { "Close" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(viewer, "Alerts", "/alerts", body)
}
