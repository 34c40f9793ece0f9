//! Playbooks: what each declared playbook watches for, whom it takes and
//! what it does, with what its outbox holds; the CSMs' tasks (open, or
//! all), which an admin closes from the page; and the dead letters with
//! their last errors, which an admin puts back in the queue one at a time
//! or all at once (after fixing the receiver).

use super::{section, text, tile};
use crate::{Viewer, layout, table};
use maud::{Markup, html};
use tenure_reports::Table;

/// One declared playbook, in words, with its outbox counts.
pub struct PlaybookRow {
    pub name: String,
    pub trigger: String,
    /// Each filter in words (empty: every subject).
    pub filters: Vec<String>,
    pub actions: Vec<String>,
    pub cooldown_days: u32,
    pub pending: u64,
    pub delivered: u64,
    pub dead: u64,
    pub last_fired_at: Option<String>,
}

pub struct Playbooks {
    pub playbooks: Vec<PlaybookRow>,
    /// The tasks shown (`task_id, account_id, user_id, playbook, title,
    /// detail, owner, created_at, closed_at`).
    pub tasks: Table,
    /// Whether closed tasks are shown too.
    pub all_tasks: bool,
    /// The dead letters (`id, playbook, channel, account_id, user_id,
    /// occurrence, attempts, last_error, created_at`).
    pub dead: Table,
    /// A message after a change ("Task ... closed.").
    pub notice: Option<String>,
}

/// The columns shown: all but the row's id (`id_column`), which the forms
/// carry.
fn shown<'t>(t: &'t Table, id_column: &str) -> Vec<&'t str> {
    t.columns
        .iter()
        .map(String::as_str)
        .filter(|c| *c != id_column)
        .collect()
}

/// A cell, linked when it names an account or a user.
fn linked(t: &Table, row: &[tenure_reports::Cell], column: &str) -> Markup {
    html! {
        @match (column, text(t, row, column)) {
            ("account_id", Some(v)) => { a href={ "/accounts/" (table::encode(&v)) } { (v) } }
            ("user_id", Some(v)) => { a href={ "/users/" (table::encode(&v)) } { (v) } }
            (_, v) => { (v.unwrap_or_else(|| "–".into())) }
        }
    }
}

/// A form posting to `action` with the session's token and one button.
fn button(viewer: &Viewer, action: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            button type="submit" { (label) }
        }
    }
}

fn playbook_table(rows: &[PlaybookRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.empty {
                "No playbooks are declared. Add "
                code { "[[playbooks]]" }
                " to tenure.toml (see docs/playbooks.md)."
            }
        } @else {
            div.scroll {
                table.data.sortable {
                    thead { tr {
                        @for c in ["name", "trigger", "filters", "actions", "cooldown_days", "pending", "delivered", "dead", "last_fired_at"] {
                            th scope="col" { (c) }
                        }
                    } }
                    tbody {
                        @for p in rows {
                            tr {
                                td { (p.name) }
                                td { (p.trigger) }
                                td {
                                    @if p.filters.is_empty() { "every subject" }
                                    @else { ul.plain { @for f in &p.filters { li { (f) } } } }
                                }
                                td { ul.plain { @for a in &p.actions { li { (a) } } } }
                                td.num { (p.cooldown_days) }
                                td.num { (p.pending) }
                                td.num { (p.delivered) }
                                td.num { (p.dead) }
                                td { (p.last_fired_at.as_deref().unwrap_or("never")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A table of `t` without its `id_column`, each row `id="{prefix}-{id}"`,
/// with an action column for an admin (`action` gives a row's forms).
fn rows_with_actions(
    viewer: &Viewer,
    t: &Table,
    id_column: &str,
    prefix: &str,
    action: impl Fn(&str, &[tenure_reports::Cell]) -> Markup,
) -> Markup {
    let columns = shown(t, id_column);
    html! {
        div.scroll {
            table.data.sortable {
                thead { tr {
                    @for c in &columns { th scope="col" { (c) } }
                    @if viewer.can_change() { th scope="col" { "action" } }
                } }
                tbody {
                    @for r in &t.rows {
                        @let id = text(t, r, id_column).unwrap_or_default();
                        tr id={ (prefix) "-" (id) } {
                            @for c in &columns { td { (linked(t, r, c)) } }
                            @if viewer.can_change() { td.actions { (action(&id, r)) } }
                        }
                    }
                }
            }
        }
    }
}

fn task_table(viewer: &Viewer, p: &Playbooks) -> Markup {
    let t = &p.tasks;
    let close = |id: &str, r: &[tenure_reports::Cell]| {
        html! {
            @if text(t, r, "closed_at").is_none() {
                (button(viewer, &format!("/playbooks/tasks/{}/close", table::encode(id)), "Close"))
            }
        }
    };
    html! {
        nav.tabs aria-label="Tasks" {
            a href="/playbooks?status=open" aria-current=[(!p.all_tasks).then_some("true")] { "open" }
            " "
            a href="/playbooks?status=all" aria-current=[p.all_tasks.then_some("true")] { "all" }
            " "
            a.csv href={ "/playbooks?format=csv&status=" (if p.all_tasks { "all" } else { "open" }) } download { "Download CSV" }
        }
        @if t.rows.is_empty() {
            p.empty { @if p.all_tasks { "No tasks yet." } @else { "No open tasks." } }
        } @else {
            (rows_with_actions(viewer, t, "task_id", "task", close))
        }
    }
}

fn dead_table(viewer: &Viewer, t: &Table) -> Markup {
    let retry = |id: &str, _: &[tenure_reports::Cell]| {
        button(
            viewer,
            &format!("/playbooks/outbox/{}/retry", table::encode(id)),
            "Retry",
        )
    };
    html! {
        @if t.rows.is_empty() {
            p.empty { "No dead letters: every action was delivered or is still being tried." }
        } @else {
            @if viewer.can_change() {
                (button(viewer, "/playbooks/outbox/retry", "Retry every dead letter"))
            }
            (rows_with_actions(viewer, t, "id", "dead", retry))
        }
    }
}

pub fn page(viewer: &Viewer, p: &Playbooks) -> Markup {
    let sum = |f: fn(&PlaybookRow) -> u64| p.playbooks.iter().map(f).sum::<u64>().to_string();
    let open_tasks = p
        .tasks
        .rows
        .iter()
        .filter(|r| text(&p.tasks, r, "closed_at").is_none())
        .count();
    let body = html! {
        @if let Some(notice) = &p.notice { p.notice role="status" { (notice) } }
        div.tiles {
            (tile("playbooks", p.playbooks.len().to_string()))
            (tile("actions pending", sum(|r| r.pending)))
            (tile("actions delivered", sum(|r| r.delivered)))
            (tile("dead letters", sum(|r| r.dead)))
            (tile("open tasks", open_tasks.to_string()))
        }
        (section("playbooks", "Playbooks", playbook_table(&p.playbooks)))
        (section("tasks", "Tasks for CSMs", task_table(viewer, p)))
        (section("dead", "Dead letters", dead_table(viewer, &p.dead)))
    };
    layout::page(viewer, "Playbooks", "/playbooks", body)
}
