//! The dashboard over HTTP on the generator's `small` preset: signing in
//! and out, the forms' anti-forgery tokens, the sign-in rate limit, the
//! security headers, every page, the CSV downloads against the API, the
//! alert forms, and the full matrix of role x route (pages, CSVs, forms
//! and the API), guessed ids included.

mod common;

use common::dashboard_server;
use common::web::{Session, get, no_redirects, post, sign_in};
use serde_json::Value;
use std::collections::BTreeSet;

/// The preset's last day: pages are pinned to it.
const AS_OF: &str = "as_of=2026-10-31";

#[test]
fn signing_in_and_out_with_forms_that_need_their_token() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, server, keys) = dashboard_server(
        dir.path(),
        "[web]\nsignin_attempts = 3\n",
        &[&["--role", "admin"], &["--write"]],
    );
    let (admin, write) = (&keys[0], &keys[1]);
    let http = no_redirects();

    // Nobody signed in: pages lead to the sign-in page, which carries the
    // security headers and no inline script or style.
    assert_eq!(
        get(&http, &server, None, "/overview"),
        (303, "/signin".into())
    );
    assert_eq!(get(&http, &server, None, "/"), (303, "/overview".into()));
    let r = http.get(server.url("/signin")).send().unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");

    // A sign-in without the form's token, or with another one, is refused.
    let r = http
        .post(server.url("/signin"))
        .form(&[("key", admin.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = http
        .post(server.url("/signin"))
        .header("cookie", "tenure_signin=abc")
        .form(&[("key", admin.as_str()), ("csrf", "abd")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    let s = sign_in(&http, &server, admin).unwrap();
    let (status, page) = get(&http, &server, Some(&s), &format!("/overview?{AS_OF}"));
    assert_eq!(status, 200);
    assert!(page.contains("<svg"), "charts are drawn on the server");
    assert!(
        !page.contains("<script>") && !page.contains(" style="),
        "no inline script or style"
    );
    assert!(!page.contains(admin.as_str()), "the key is not on the page");
    assert_eq!(
        get(&http, &server, Some(&s), "/signin"),
        (303, "/overview".into())
    );
    assert_eq!(get(&http, &server, Some(&s), "/static/app.js").0, 200);
    assert_eq!(get(&http, &server, Some(&s), "/static/app.css").0, 200);

    // Signing out needs the session's token; then the cookie is worthless.
    assert_eq!(post(&http, &server, &s, "/signout", &[]).0, 403);
    assert_eq!(
        post(&http, &server, &s, "/signout", &[("csrf", "0")]).0,
        403
    );
    assert_eq!(
        post(&http, &server, &s, "/signout", &[("csrf", &s.csrf)]),
        (303, "/signin".into())
    );
    assert_eq!(
        get(&http, &server, Some(&s), "/overview"),
        (303, "/signin".into())
    );

    // Write keys and unknown keys do not open the dashboard; after 3
    // failures the address waits, even with a good key.
    assert_eq!(sign_in(&http, &server, write).err(), Some(401));
    assert_eq!(sign_in(&http, &server, "tnr_k_nope").err(), Some(401));
    assert_eq!(sign_in(&http, &server, "").err(), Some(401));
    assert_eq!(sign_in(&http, &server, admin).err(), Some(429));
}

/// Every route under every role: (route, [admin, viewer, account-admin,
/// nobody]) statuses. The account-admin's account is acct-3.
#[test]
fn every_role_sees_what_it_may_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, server, keys) = dashboard_server(
        dir.path(),
        "",
        &[
            &["--role", "admin"],
            &["--role", "viewer"],
            &["--role", "account-admin", "--account", "acct-3"],
        ],
    );
    let http = no_redirects();
    let sessions: Vec<Session> = keys
        .iter()
        .map(|k| sign_in(&http, &server, k).unwrap())
        .collect();

    // A user of acct-3 and one of another account, and every other
    // account's id and name (none may appear on the tenant's pages).
    let api = |path: &str| -> Value {
        let r = http
            .get(server.url(path))
            .bearer_auth(&keys[0])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        r.json().unwrap()
    };
    let users = api(&format!(
        "/api/v1/reports/engagement?{AS_OF}&all_users=true"
    ));
    let user_of = |account: &str, own: bool| -> String {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| (u["account_id"] == account) == own)
            .map(|u| u["user_id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (own_user, other_user) = (user_of("acct-3", true), user_of("acct-3", false));
    let accounts = api(&format!("/api/v1/reports/accounts?{AS_OF}&all=true"));
    let others: BTreeSet<String> = accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account_id"] != "acct-3")
        .flat_map(|a| {
            let id = a["account_id"].as_str().unwrap();
            let mut leaks = vec![format!(">{id}<"), format!("{id}\""), format!("{id},")];
            leaks.extend(a["name"].as_str().map(|n| format!(">{n}<")));
            leaks
        })
        .collect();
    assert!(others.len() > 10, "{others:?}");

    let q = AS_OF;
    let routes: Vec<(String, [u16; 4])> = vec![
        (format!("/overview?{q}"), [200, 200, 200, 303]),
        (
            format!("/overview?{q}&account=acct-1"),
            [200, 200, 200, 303],
        ),
        (format!("/accounts?{q}"), [200, 200, 403, 303]),
        (format!("/accounts?{q}&format=csv"), [200, 200, 403, 303]),
        (format!("/accounts/acct-3?{q}"), [200, 200, 200, 303]),
        (format!("/accounts/acct-1?{q}"), [200, 200, 404, 303]),
        (format!("/accounts/acct-nonesuch?{q}"), [404, 404, 404, 303]),
        (format!("/users/{own_user}?{q}"), [200, 200, 200, 303]),
        (format!("/users/{other_user}?{q}"), [200, 200, 404, 303]),
        (format!("/users/usr-nonesuch?{q}"), [404, 404, 404, 303]),
        ("/reports".into(), [200, 200, 200, 303]),
        (format!("/reports/engagement?{q}"), [200, 200, 200, 303]),
        (
            format!("/reports/engagement?{q}&account=acct-1"),
            [200, 200, 200, 303],
        ),
        (
            format!("/reports/engagement?{q}&format=csv"),
            [200, 200, 200, 303],
        ),
        (format!("/reports/seats?{q}"), [200, 200, 200, 303]),
        (format!("/reports/health?{q}"), [200, 200, 403, 303]),
        (
            format!("/reports/alerts?{q}&format=csv"),
            [200, 200, 403, 303],
        ),
        (format!("/reports/scores?{q}"), [200, 200, 403, 303]),
        (format!("/reports/models?{q}"), [200, 200, 403, 303]),
        (format!("/reports/accounts?{q}"), [200, 200, 403, 303]),
        (format!("/reports/account-flags?{q}"), [200, 200, 403, 303]),
        (format!("/reports/nonesuch?{q}"), [404, 404, 404, 303]),
        (
            format!("/reports/engagement?{q}&range=2w"),
            [400, 400, 400, 303],
        ),
        (format!("/insights?{q}"), [200, 200, 200, 303]),
        (format!("/alerts?{q}"), [200, 200, 403, 303]),
        ("/playbooks".into(), [200, 200, 403, 303]),
        (
            "/playbooks?status=all&format=csv".into(),
            [200, 200, 403, 303],
        ),
        ("/playbooks?status=closed".into(), [400, 400, 403, 303]),
    ];
    for (route, expected) in &routes {
        for (who, want) in expected.iter().enumerate() {
            let session = sessions.get(who);
            let (status, body) = get(&http, &server, session, route);
            assert_eq!(status, *want, "{route} as role {who}: {body}");
            if who == 2 {
                for leak in &others {
                    assert!(
                        !body.contains(leak.as_str()),
                        "{route} shows {leak} to acct-3's admin"
                    );
                }
            }
        }
    }
    // The tenant's report pages and CSVs are its own account's, whatever
    // account the query names.
    let (_, csv) = get(
        &http,
        &server,
        Some(&sessions[2]),
        &format!("/reports/engagement?{q}&account=acct-1&format=csv"),
    );
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.split(',').nth(1) == Some("acct-3")),
        "{csv}"
    );
    assert!(csv.lines().count() > 1, "{csv}");

    // The API under the same keys.
    for route in ["/api/v1/playbooks", "/api/v1/outbox", "/api/v1/tasks"] {
        for (key, want) in keys.iter().zip([200, 200, 403]) {
            let r = http.get(server.url(route)).bearer_auth(key).send().unwrap();
            assert_eq!(r.status().as_u16(), want, "{route}");
        }
    }
    let api_routes: [(&str, [u16; 3]); 7] = [
        ("/api/v1/stats", [200, 200, 403]),
        ("/api/v1/reports/engagement", [200, 200, 200]),
        ("/api/v1/reports/accounts", [200, 200, 403]),
        ("/api/v1/reports/health", [200, 200, 403]),
        ("/api/v1/reports/scores", [200, 200, 403]),
        ("/api/v1/reports/alerts", [200, 200, 403]),
        ("/api/v1/reports/models", [200, 200, 403]),
    ];
    for (route, expected) in api_routes {
        for (key, want) in keys.iter().zip(expected) {
            let r = http
                .get(server.url(&format!("{route}?{q}")))
                .bearer_auth(key)
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), want, "{route}");
        }
        let r = http.get(server.url(route)).send().unwrap();
        assert_eq!(r.status().as_u16(), 401, "{route}");
    }

    // Only an admin changes an alert, from the page or the API.
    let alerts = api(&format!("/api/v1/reports/alerts?{q}"));
    let open: Vec<String> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "open")
        .map(|a| a["alert_id"].as_str().unwrap().to_string())
        .collect();
    assert!(open.len() >= 2, "{alerts}");
    for (who, want) in [(1, 403), (2, 403)] {
        let s = &sessions[who];
        let (status, _) = post(
            &http,
            &server,
            s,
            &format!("/alerts/{}/close", open[0]),
            &[("csrf", &s.csrf)],
        );
        assert_eq!(status, want, "role {who}");
        let r = http
            .post(server.url(&format!("/api/v1/alerts/{}/close", open[0])))
            .bearer_auth(&keys[who])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "role {who}");
    }
    // Only an admin closes tasks and requeues dead letters.
    for (who, path) in [
        (1, "/playbooks/outbox/retry"),
        (2, "/playbooks/outbox/retry"),
        (1, "/playbooks/tasks/t-1/close"),
    ] {
        let s = &sessions[who];
        let (status, _) = post(&http, &server, s, path, &[("csrf", &s.csrf)]);
        assert_eq!(status, 403, "{path} as role {who}");
    }
    for route in ["/api/v1/outbox/retry", "/api/v1/tasks/t-1/close"] {
        let r = http
            .post(server.url(route))
            .bearer_auth(&keys[1])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{route}");
    }
    let admin = &sessions[0];
    for (path, want) in [
        ("/playbooks/outbox/retry", 303),
        ("/playbooks/outbox/nonesuch/retry", 404),
        ("/playbooks/tasks/nonesuch/close", 404),
    ] {
        let (status, _) = post(&http, &server, admin, path, &[("csrf", &admin.csrf)]);
        assert_eq!(status, want, "{path}");
    }
    let (status, _) = post(&http, &server, admin, "/playbooks/outbox/retry", &[]);
    assert_eq!(status, 403, "no token, no change");
    let (status, _) = post(
        &http,
        &server,
        admin,
        &format!("/alerts/{}/close", open[0]),
        &[],
    );
    assert_eq!(status, 403, "no token, no change");
    let (status, to) = post(
        &http,
        &server,
        admin,
        &format!("/alerts/{}/close", open[0]),
        &[("csrf", &admin.csrf)],
    );
    assert_eq!(status, 303);
    assert!(to.starts_with("/alerts?"), "{to}");
    let (status, body) = post(
        &http,
        &server,
        admin,
        &format!("/alerts/{}/snooze", open[1]),
        &[("csrf", &admin.csrf), ("until", "2026-12-01")],
    );
    assert_eq!(status, 303, "{body}");
    let (status, _) = post(
        &http,
        &server,
        admin,
        "/alerts/al-nonesuch/close",
        &[("csrf", &admin.csrf)],
    );
    assert_eq!(status, 404);
    let after = api(&format!("/api/v1/reports/alerts?{q}"));
    let status_of = |id: &str| {
        after
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["alert_id"] == id)
            .map(|a| a["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of(&open[0]).as_deref(), Some("closed"));
    assert_eq!(status_of(&open[1]).as_deref(), Some("snoozed"));
    let (_, page) = get(
        &http,
        &server,
        Some(admin),
        &format!("/alerts?{q}&status=snoozed"),
    );
    assert!(page.contains(&open[1]), "the snoozed tab lists it");
}

/// Each report page offers a CSV link that returns the API's CSV for the
/// same query, byte for byte.
#[test]
fn report_pages_download_what_the_api_serves() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, server, keys) = dashboard_server(dir.path(), "", &[&["--role", "admin"]]);
    let admin = &keys[0];
    let http = no_redirects();
    let s = sign_in(&http, &server, admin).unwrap();
    for (name, extra) in [
        ("engagement", "&range=90d&group=g-1-1"),
        ("engagement-summary", ""),
        ("seats", ""),
        ("seats-pending", ""),
        ("levels", ""),
        ("productivity", "&by=group"),
        ("active-rate", "&months=12"),
        ("activity-pivot", "&layout=wide"),
        ("features", "&order=asc"),
        ("errors", ""),
        ("influence", "&top=1&range=90d"),
        ("health", ""),
        ("alerts", "&range=30d"),
        ("accounts", ""),
    ] {
        let query = format!("{AS_OF}{extra}");
        let (status, page) = get(
            &http,
            &server,
            Some(&s),
            &format!("/reports/{name}?{query}"),
        );
        assert_eq!(status, 200, "{name}: {page}");
        let at = page.find("class=\"csv\" href=\"").expect("a CSV link") + 18;
        let link = page[at..].split('"').next().unwrap().replace("&amp;", "&");
        let (status, csv) = get(&http, &server, Some(&s), &link);
        assert_eq!(status, 200, "{link}");
        let api = http
            .get(server.url(&format!("/api/v1/reports/{name}?{query}&format=csv")))
            .bearer_auth(admin)
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(csv, api, "{name}: {link}");
    }
}

/// A page's structure: headings, chart captions, table headers, forms and
/// their fields, navigation links and empty-state notes, in document
/// order; values that change per run (tokens, the key's prefix) and the
/// data itself are left out.
fn outline(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(
        "h1, h2, h3, figcaption, thead, form, input, select, button, nav a, p.empty, p.explanation",
    )
    .unwrap();
    let th = scraper::Selector::parse("th").unwrap();
    let text = |e: scraper::ElementRef| {
        e.text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::new();
    for e in doc.select(&selector) {
        let v = e.value();
        let line = match v.name() {
            "thead" => format!(
                "table: {}",
                e.select(&th).map(text).collect::<Vec<_>>().join(" | ")
            ),
            "form" => format!(
                "form {} {}",
                v.attr("method").unwrap_or("get"),
                v.attr("action").unwrap_or("")
            ),
            "input" | "select" => format!(
                "  {} {} {}",
                v.name(),
                v.attr("type").unwrap_or(""),
                v.attr("name").unwrap_or("")
            ),
            "button" => format!("  button {}", text(e)),
            "a" => format!("link {}", text(e)),
            "p" => format!("note ({})", v.attr("class").unwrap_or("")),
            name => format!("{name}: {}", text(e)),
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Every page's structure on the small preset, as one snapshot per page.
#[test]
fn page_structure_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, server, keys) = dashboard_server(
        dir.path(),
        "",
        &[
            &["--role", "admin"],
            &["--role", "account-admin", "--account", "acct-3"],
        ],
    );
    let http = no_redirects();
    let admin = sign_in(&http, &server, &keys[0]).unwrap();
    let tenant = sign_in(&http, &server, &keys[1]).unwrap();
    for (name, session, path) in [
        ("overview", &admin, format!("/overview?{AS_OF}")),
        ("overview_tenant", &tenant, format!("/overview?{AS_OF}")),
        ("accounts", &admin, format!("/accounts?{AS_OF}")),
        ("account", &admin, format!("/accounts/acct-3?{AS_OF}")),
        (
            "account_tenant",
            &tenant,
            format!("/accounts/acct-3?{AS_OF}"),
        ),
        ("user", &admin, format!("/users/usr-1?{AS_OF}")),
        ("reports", &admin, "/reports".to_string()),
        ("reports_tenant", &tenant, "/reports".to_string()),
        (
            "report_productivity",
            &admin,
            format!("/reports/productivity?{AS_OF}&by=group"),
        ),
        ("insights", &admin, format!("/insights?{AS_OF}")),
        ("alerts", &admin, format!("/alerts?{AS_OF}")),
        ("playbooks", &admin, "/playbooks".to_string()),
        ("not_found", &tenant, format!("/accounts/acct-1?{AS_OF}")),
    ] {
        let (status, html) = get(&http, &server, Some(session), &path);
        assert!([200, 404].contains(&status), "{path}: {status}");
        insta::assert_snapshot!(name, outline(&html));
    }
    let (_, html) = get(&http, &server, None, "/signin");
    insta::assert_snapshot!("signin", outline(&html));
}
