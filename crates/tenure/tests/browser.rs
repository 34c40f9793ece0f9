//! The dashboard in a real headless browser (Debian's chromium, driven
//! through chromedriver by the fantoccini WebDriver client), on the
//! generator's `small` preset: sign in, open every page, change filters,
//! sort a table, download a report's CSV and compare it with the API,
//! close an alert, sign out. Screenshots of the main pages are saved under
//! `target/screenshots/` (CI artefacts).
//!
//! `scripts/test` installs chromium and chromium-driver when they are
//! missing; without them this test fails and says so.

mod common;

use common::dashboard_server;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const AS_OF: &str = "as_of=2026-10-31";

/// A chromedriver on a free port, stopped on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (scripts/test installs Debian's chromium-driver)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, port };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromedriver did not listen on port {port}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where screenshots go: `target/screenshots` of the build's target dir.
fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../target")
        });
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a chromium session")
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.len() > 10_000, "{name}: a blank screenshot?");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn heading(c: &Client) -> String {
    c.find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// Clicks `css` and waits until the page is another one (a form's submit
/// may return before the browser has navigated).
async fn click_and_wait(c: &Client, css: &str) -> String {
    click_to_leave(c, Locator::Css(css)).await
}

/// Clicks what `at` finds and waits until the page is another one.
async fn click_to_leave(c: &Client, at: Locator<'_>) -> String {
    let before = path(c).await;
    let what = format!("{at:?}");
    c.find(at).await.unwrap().click().await.unwrap();
    for _ in 0..100 {
        let now = path(c).await;
        if now != before {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {what} did not leave {before}");
}

/// The text a same-origin GET returns, fetched by the page (with its
/// session cookie).
async fn fetch(c: &Client, href: &str) -> String {
    let value = c
        .execute_async(
            "const [href, done] = arguments; fetch(href).then(r => r.text()).then(done, e => done('fetch failed: ' + e));",
            vec![serde_json::json!(href)],
        )
        .await
        .unwrap();
    value.as_str().unwrap().to_string()
}

#[test]
fn the_dashboard_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, server, keys) = dashboard_server(dir.path(), "", &[&["--role", "admin"]]);
    let admin = &keys[0];
    let driver = Driver::start();
    let profile = dir.path().join("chromium");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let c = browser(&driver, &profile).await;
        let url = |p: &str| server.url(p);

        // Signing in.
        c.goto(&url("/overview")).await.unwrap();
        assert_eq!(path(&c).await, "/signin");
        c.find(Locator::Id("key"))
            .await
            .unwrap()
            .send_keys(admin)
            .await
            .unwrap();
        assert_eq!(click_and_wait(&c, "button[type=submit]").await, "/overview");

        // The overview: charts with their numbers.
        c.goto(&url(&format!("/overview?{AS_OF}"))).await.unwrap();
        assert_eq!(heading(&c).await, "Overview");
        let charts = c.find_all(Locator::Css("figure.chart svg")).await.unwrap();
        assert!(charts.len() >= 5, "{} charts", charts.len());
        shot(&c, "overview").await;

        // Accounts, filtered by band from the form.
        c.goto(&url(&format!("/accounts?{AS_OF}"))).await.unwrap();
        let all = c
            .find(Locator::Css("p.count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        c.find(Locator::Css("select[name=band] option[value=green]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let here = click_and_wait(&c, "form.list button[type=submit]").await;
        assert!(
            here.contains("band=green") && here.contains("as_of=2026-10-31"),
            "{here}"
        );
        let some = c
            .find(Locator::Css("p.count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_ne!(all, some);
        let bands = c
            .find_all(Locator::XPath(
                "//table[contains(@class,'data')]/tbody/tr/td[16]",
            ))
            .await
            .unwrap();
        assert!(!bands.is_empty());
        for b in bands {
            assert_eq!(b.text().await.unwrap(), "green");
        }
        shot(&c, "accounts").await;

        // An account, then one of its users.
        let here = click_and_wait(&c, "table.data tbody a[href^='/accounts/']").await;
        assert!(here.starts_with("/accounts/acct-"), "{here}");
        assert!(
            c.find(Locator::Css("p.explanation")).await.is_ok(),
            "health explains itself"
        );
        shot(&c, "account").await;
        let here = click_and_wait(&c, "#users table.data tbody a[href^='/users/']").await;
        assert!(here.starts_with("/users/"), "{here}");
        c.find(Locator::Css("#timeline svg")).await.unwrap();
        shot(&c, "user").await;

        // A report: a preset from the form, a sortable column, and the
        // CSV link against the API.
        c.goto(&url("/reports")).await.unwrap();
        assert_eq!(
            click_to_leave(&c, Locator::LinkText("engagement")).await,
            "/reports/engagement"
        );
        c.goto(&url(&format!("/reports/engagement?{AS_OF}")))
            .await
            .unwrap();
        c.find(Locator::Css("input[name=range][value='90d']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let here = click_and_wait(&c, "form.filters button[type=submit]").await;
        assert!(
            here.contains("range=90d") && here.contains("as_of=2026-10-31"),
            "{here}"
        );
        let header = c
            .find(Locator::XPath(
                "//table[contains(@class,'sortable')]//th[text()='category']",
            ))
            .await
            .unwrap();
        header.click().await.unwrap();
        assert_eq!(
            header.attr("aria-sort").await.unwrap().as_deref(),
            Some("ascending")
        );
        let mut categories = Vec::new();
        for cell in c
            .find_all(Locator::XPath(
                "//table[contains(@class,'sortable')]/tbody/tr/td[4]",
            ))
            .await
            .unwrap()
        {
            categories.push(cell.text().await.unwrap());
        }
        assert!(
            categories.len() > 1 && categories.is_sorted(),
            "{categories:?}"
        );
        assert_ne!(categories.first(), categories.last(), "{categories:?}");
        shot(&c, "report").await;
        let link = c
            .find(Locator::Css("a.csv"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let csv = fetch(&c, &link).await;
        let api = reqwest::Client::new()
            .get(url(
                "/api/v1/reports/engagement?as_of=2026-10-31&range=90d&format=csv",
            ))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(csv, api, "{link}");

        // Insights, and an alert closed from its page.
        c.goto(&url(&format!("/insights?{AS_OF}"))).await.unwrap();
        assert_eq!(heading(&c).await, "Insights");
        shot(&c, "insights").await;
        c.goto(&url(&format!("/alerts?{AS_OF}"))).await.unwrap();
        shot(&c, "alerts").await;
        click_to_leave(
            &c,
            Locator::XPath("//td[contains(@class,'actions')]//button[text()='Close']"),
        )
        .await;
        let notice = c
            .find(Locator::Css("p.notice"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(notice.ends_with("closed."), "{notice}");

        // Signing out.
        assert_eq!(click_and_wait(&c, "form.signout button").await, "/signin");
        c.goto(&url("/overview")).await.unwrap();
        assert_eq!(path(&c).await, "/signin");
        c.close().await.unwrap();
    });
}
