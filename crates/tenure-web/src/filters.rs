//! The filter form every report page carries: a date preset (7, 30, 90
//! days, 12 months) or a custom range, groups, users, an account where the
//! viewer sees several, the report's own options, and the CSV link that
//! downloads exactly the rows the filters select.
//!
//! The form submits with GET under the API's own parameter names, so a
//! page's query string is the API call that gives its data.

use maud::{Markup, html};

/// What the form shows and how it is filled in.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// The page the form submits to.
    pub action: String,
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The day the presets count back from, when pinned (`as_of`).
    pub as_of: Option<String>,
    /// The account filter, shown to viewers who see every account.
    pub account: Option<String>,
    pub show_account: bool,
    /// The selected groups, and the groups to choose from (a text field
    /// when the list is empty).
    pub groups: Vec<String>,
    pub group_options: Vec<String>,
    pub users: Vec<String>,
    /// The report's own options: parameter, current value, choices (a
    /// text field when empty).
    pub options: Vec<Choice>,
    /// Where the CSV of the same rows is.
    pub csv: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub param: String,
    pub value: Option<String>,
    pub choices: Vec<String>,
}

const PRESETS: &[(&str, &str)] = &[
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("12m", "12 months"),
];

pub fn form(f: &Filters) -> Markup {
    let custom = f.from.is_some();
    let current = f
        .range
        .clone()
        .unwrap_or_else(|| if custom { String::new() } else { "30d".into() });
    html! {
        form.filters method="get" action=(f.action) {
            @if let Some(as_of) = &f.as_of {
                input type="hidden" name="as_of" value=(as_of);
            }
            fieldset.period {
                legend { "Period" }
                @for (value, label) in PRESETS {
                    label.preset {
                        input type="radio" name="range" value=(value) checked[current == *value];
                        (label)
                    }
                }
                label { "from " input type="date" name="from" value=[f.from.as_deref()]; }
                label { "to " input type="date" name="to" value=[f.to.as_deref()]; }
            }
            @if f.show_account {
                label { "Account " input type="text" name="account" value=[f.account.as_deref()] placeholder="all"; }
            }
            @if f.group_options.is_empty() {
                label { "Group " input type="text" name="group" value=[f.groups.first().map(String::as_str)] placeholder="all"; }
            } @else {
                label {
                    "Groups "
                    select name="group" multiple size=(f.group_options.len().min(4)) {
                        @for g in &f.group_options {
                            option value=(g) selected[f.groups.contains(g)] { (g) }
                        }
                    }
                }
            }
            label { "User " input type="text" name="user" value=[f.users.first().map(String::as_str)] placeholder="all"; }
            @for o in &f.options {
                label {
                    (o.param) " "
                    @if o.choices.is_empty() {
                        input type="text" name=(o.param) value=[o.value.as_deref()];
                    } @else {
                        select name=(o.param) {
                            option value="" selected[o.value.is_none()] { "default" }
                            @for c in &o.choices {
                                option value=(c) selected[o.value.as_deref() == Some(c.as_str())] { (c) }
                            }
                        }
                    }
                }
            }
            button type="submit" { "Apply" }
            @if let Some(csv) = &f.csv {
                " " a.csv href=(csv) download { "Download CSV" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_keeps_what_was_chosen() {
        let f = Filters {
            action: "/reports/engagement".into(),
            range: Some("90d".into()),
            groups: vec!["emea".into()],
            group_options: vec!["emea".into(), "na \"east\"".into()],
            csv: Some("/reports/engagement/csv?range=90d".into()),
            options: vec![Choice {
                param: "by".into(),
                value: Some("group".into()),
                choices: vec!["user".into(), "group".into()],
            }],
            ..Filters::default()
        };
        let html = form(&f).into_string();
        assert!(html.contains("value=\"90d\" checked"), "{html}");
        assert!(html.contains("<option value=\"emea\" selected>"), "{html}");
        assert!(html.contains("na &quot;east&quot;"), "{html}");
        assert!(html.contains("<option value=\"group\" selected>"), "{html}");
        assert!(
            html.contains("href=\"/reports/engagement/csv?range=90d\""),
            "{html}"
        );
    }
}
