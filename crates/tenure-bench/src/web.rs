//! The dashboard load generator: `--users` people, each signed in with
//! their own session, open the dashboard's pages one after another (closed
//! loop) for `--seconds`, cycling through a list of every page kind
//! (overview, accounts, several account and user pages, reports, insights,
//! alerts). Before the load, each distinct page is opened once in turn:
//! the cold times (computed, not cached). Prints JSON: per page kind the
//! request count, p50, p95 and max in milliseconds, cold and under load.

use crate::http::percentile;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Server base URL, e.g. http://127.0.0.1:8750.
    #[arg(long)]
    url: String,
    /// An admin API key (to sign in, and to list accounts and users).
    #[arg(long)]
    key: String,
    /// Concurrent users.
    #[arg(long, default_value_t = 20)]
    users: usize,
    /// How long the load lasts.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// The day the pages are about (`as_of`).
    #[arg(long)]
    as_of: String,
    /// How many different accounts and users the pages visit.
    #[arg(long, default_value_t = 10)]
    distinct: usize,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    crate::http::runtime()?.block_on(run_async(args))
}

/// A signed-in session's cookie.
async fn sign_in(client: &reqwest::Client, base: &str, key: &str) -> anyhow::Result<String> {
    let form = client.get(format!("{base}/signin")).send().await?;
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tenure_signin="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("no sign-in cookie"))?
        .to_string();
    let html = form.text().await?;
    let at = html
        .find("name=\"csrf\" value=\"")
        .ok_or_else(|| anyhow::anyhow!("no csrf field"))?
        + 19;
    let csrf = &html[at..at + 64];
    let r = client
        .post(format!("{base}/signin"))
        .header("cookie", cookie)
        .form(&[("key", key), ("csrf", csrf)])
        .send()
        .await?;
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tenure_session="))
        .and_then(|v| v.split(';').next())
        .map(String::from)
        .ok_or_else(|| anyhow::anyhow!("sign-in failed: {}", r.status()))
}

/// Ids from the `column` of an API report.
async fn ids(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    query: &str,
    column: &str,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let rows: serde_json::Value = client
        .get(format!("{base}/api/v1/reports/{query}"))
        .bearer_auth(key)
        .send()
        .await?
        .json()
        .await?;
    let all: Vec<String> = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r[column].as_str().map(String::from))
        .collect();
    // Spread over the list rather than the first few.
    let step = (all.len() / n.max(1)).max(1);
    Ok(all.into_iter().step_by(step).take(n).collect())
}

/// The pages: (kind, path).
async fn pages(client: &reqwest::Client, args: &Args) -> anyhow::Result<Vec<(String, String)>> {
    let base = args.url.trim_end_matches('/');
    let q = format!("as_of={}", args.as_of);
    let accounts = ids(
        client,
        base,
        &args.key,
        &format!("accounts?{q}"),
        "account_id",
        args.distinct,
    )
    .await?;
    let users = ids(
        client,
        base,
        &args.key,
        &format!("engagement?{q}"),
        "user_id",
        args.distinct,
    )
    .await?;
    let mut pages = vec![
        ("overview".into(), format!("/overview?{q}")),
        ("accounts".into(), format!("/accounts?{q}")),
        (
            "report engagement".into(),
            format!("/reports/engagement?{q}"),
        ),
        ("report seats".into(), format!("/reports/seats?{q}")),
        ("insights".into(), format!("/insights?{q}")),
        ("alerts".into(), format!("/alerts?{q}")),
    ];
    pages.extend(
        accounts
            .iter()
            .map(|a| ("account".into(), format!("/accounts/{a}?{q}"))),
    );
    pages.extend(
        users
            .iter()
            .map(|u| ("user".into(), format!("/users/{u}?{q}"))),
    );
    Ok(pages)
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let base = args.url.trim_end_matches('/').to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.users)
        .build()?;
    let pages = Arc::new(pages(&client, &args).await?);
    let mut cookies = Vec::new();
    for _ in 0..args.users {
        cookies.push(sign_in(&client, &base, &args.key).await?);
    }
    // Cold: each page once, in turn, before anything is cached.
    let mut cold: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for (kind, path) in pages.iter() {
        let sent = Instant::now();
        let r = client
            .get(format!("{base}{path}"))
            .header("cookie", &cookies[0])
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
        r.bytes().await?;
        cold.entry(kind.clone()).or_default().push(sent.elapsed());
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for (u, cookie) in cookies.into_iter().enumerate() {
        let (client, pages, base) = (client.clone(), pages.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen: Vec<(String, Duration)> = Vec::new();
            let mut failed = 0u64;
            let mut i = u;
            while Instant::now() < until {
                let (kind, path) = &pages[i % pages.len()];
                i += 1;
                let sent = Instant::now();
                match client
                    .get(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        seen.push((kind.clone(), sent.elapsed()));
                    }
                    _ => failed += 1,
                }
            }
            (seen, failed)
        }));
    }
    let mut load: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let mut failed = 0;
    for t in tasks {
        let (seen, f) = t.await?;
        failed += f;
        for (kind, d) in seen {
            load.entry(kind).or_default().push(d);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let summary = |map: &mut BTreeMap<String, Vec<Duration>>| -> serde_json::Value {
        let mut all: Vec<Duration> = map.values().flatten().copied().collect();
        all.sort();
        let mut out = serde_json::Map::new();
        for (kind, times) in map.iter_mut() {
            times.sort();
            out.insert(
                kind.clone(),
                serde_json::json!({
                    "requests": times.len(),
                    "p50_ms": percentile(times, 0.50),
                    "p95_ms": percentile(times, 0.95),
                    "max_ms": percentile(times, 1.0),
                }),
            );
        }
        out.insert(
            "all".into(),
            serde_json::json!({
                "requests": all.len(),
                "p50_ms": percentile(&all, 0.50),
                "p95_ms": percentile(&all, 0.95),
                "max_ms": percentile(&all, 1.0),
            }),
        );
        serde_json::Value::Object(out)
    };
    let requests: usize = load.values().map(Vec::len).sum();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "users": args.users,
            "seconds": elapsed,
            "pages": pages.len(),
            "requests": requests,
            "requests_per_s": requests as f64 / elapsed,
            "failed": failed,
            "cold": summary(&mut cold),
            "load": summary(&mut load),
        }))?
    );
    Ok(())
}
