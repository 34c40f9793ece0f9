//! The page shell (head, navigation, sign-out form), the sign-in page and
//! the error page.

use crate::Viewer;
use maud::{DOCTYPE, Markup, html};

/// One entry of the navigation: path, label, and whether an account-admin
/// sees it.
const NAV: &[(&str, &str, bool)] = &[
    ("/overview", "Overview", true),
    ("/accounts", "Accounts", false),
    ("/reports", "Reports", true),
    ("/insights", "Insights", true),
    ("/alerts", "Alerts", false),
    ("/playbooks", "Playbooks", false),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Tenure" }
            link rel="stylesheet" href="/static/app.css";
            script src="/static/app.js" defer {}
        }
    }
}

/// A whole page: `section` is the navigation entry to mark as current.
pub fn page(viewer: &Viewer, title: &str, section: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top {
                    a.brand href="/overview" { "Tenure" }
                    nav {
                        @for (path, label, tenant) in NAV {
                            @if viewer.sees_all() || *tenant {
                                @if *path == section {
                                    a.current href=(path) aria-current="page" { (label) }
                                } @else {
                                    a href=(path) { (label) }
                                }
                            }
                        }
                        @if let (false, Some(account)) = (viewer.sees_all(), &viewer.account) {
                            a href={ "/accounts/" (account) } { "My account" }
                        }
                    }
                    form.signout method="post" action="/signout" {
                        span.who { (viewer.name) " (" (viewer.role.as_str()) ")" }
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        button type="submit" { "Sign out" }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The sign-in page: a key, and the anti-forgery token of the sign-in
/// cookie. `error` says why the last attempt failed.
pub fn signin(csrf: &str, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head("Sign in"))
            body.signin {
                main {
                    h1 { "Tenure" }
                    form method="post" action="/signin" {
                        @if let Some(error) = error {
                            p.error role="alert" { (error) }
                        }
                        label for="key" { "API key" }
                        input #key type="password" name="key" autocomplete="current-password" required autofocus;
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" { "Sign in" }
                        p.hint {
                            "An admin, viewer or account-admin key from "
                            code { "tenure keys create" } "."
                        }
                    }
                }
            }
        }
    }
}

/// A page for an error the viewer can act on (not found, forbidden, a bad
/// filter), inside the shell when someone is signed in.
pub fn error(viewer: Option<&Viewer>, title: &str, message: &str) -> Markup {
    let body = html! {
        p.error role="alert" { (message) }
        p { a href="/overview" { "Back to the overview" } }
    };
    match viewer {
        Some(v) => page(v, title, "", body),
        None => html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body { main { h1 { (title) } (body) } }
            }
        },
    }
}
