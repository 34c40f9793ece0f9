//! `outbox`: how fast `tenure serve` delivers playbook webhooks. ITEMS
//! webhook items are put in a fresh store's outbox (as an evaluation
//! would), a local receiver counts what arrives, and `tenure serve` is
//! started on the store; the rate is ITEMS over the time from the first
//! delivery to the last. The baseline, in the same run: the same receiver
//! fed the same signed bodies by a plain HTTP client at the same
//! concurrency (no store, no outbox): the ceiling of this machine.

use anyhow::Context;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenure_store::{DuckStore, OutboxItem, OutboxStatus, Store};

#[derive(clap::Args)]
pub struct Args {
    /// The `tenure` binary.
    #[arg(long)]
    tenure: PathBuf,
    /// Webhook items to deliver.
    #[arg(long, default_value_t = 20_000)]
    items: u64,
    /// `delivery.concurrency` (and the baseline's).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
}

const SECRET: &str = "a secret for the outbox benchmark";

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

impl Counts {
    fn span(&self) -> Duration {
        match (*self.first.lock().unwrap(), *self.last.lock().unwrap()) {
            (Some(a), Some(b)) => b - a,
            _ => Duration::ZERO,
        }
    }
}

async fn hook(
    axum::extract::State(c): axum::extract::State<Arc<Counts>>,
    _body: String,
) -> &'static str {
    let now = Instant::now();
    c.first.lock().unwrap().get_or_insert(now);
    *c.last.lock().unwrap() = Some(now);
    c.ok.fetch_add(1, Ordering::Relaxed);
    "ok"
}

async fn receiver(counts: Arc<Counts>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(counts);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

fn body(i: u64) -> String {
    serde_json::json!({
        "playbook": "bench", "trigger": "category_entered",
        "subject": {"account_id": format!("acct-{}", i % 500), "user_id": format!("usr-{i}")},
        "occurred_at": "2026-10-20T12:00:00Z",
        "data": {"category": "dormant", "previous": "consuming"},
    })
    .to_string()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let n = args.items;

    // The baseline: a plain client, same bodies, same signing, same
    // concurrency.
    let base = Arc::new(Counts::default());
    let base_url = runtime.block_on(receiver(base.clone()))?;
    let started = Instant::now();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let next = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..args.concurrency {
            let (client, next, url) = (client.clone(), next.clone(), base_url.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let body = body(i);
                    let ts = chrono::Utc::now().timestamp();
                    let _ = client
                        .post(&url)
                        .header(
                            "Tenure-Signature",
                            tenure_core::delivery::signature(SECRET, ts, body.as_bytes()),
                        )
                        .body(body)
                        .send()
                        .await;
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    let base_secs = started.elapsed().as_secs_f64();
    let base_rate = base.ok.load(Ordering::Relaxed) as f64 / base_secs;

    // Tenure: the items in a fresh store's outbox, then `tenure serve`.
    let counts = Arc::new(Counts::default());
    let url = runtime.block_on(receiver(counts.clone()))?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let now = chrono::Utc::now();
    {
        let mut store = DuckStore::open(&data)?;
        let items: Vec<OutboxItem> = (0..n)
            .map(|i| OutboxItem {
                id: format!("{i:032x}"),
                playbook: "bench".into(),
                action: 0,
                channel: "webhook".into(),
                account_id: Some(format!("acct-{}", i % 500)),
                user_id: Some(format!("usr-{i}")),
                occurrence: "2026-10-20:dormant".into(),
                payload: serde_json::json!({"url": url, "body": body(i)}),
                status: OutboxStatus::Pending,
                attempts: 0,
                next_at: now,
                last_error: None,
                created_at: now,
                delivered_at: None,
            })
            .collect();
        store.enqueue(&items)?;
    }
    let config = dir.path().join("tenure.toml");
    std::fs::write(
        &config,
        format!(
            "[health]\nbackfill_days = 0\n[delivery]\nconcurrency = {}\n\
             [[playbooks]]\nname = \"bench\"\ntrigger = {{ on = \"category_entered\", category = \"dormant\" }}\n\
             actions = [{{ type = \"webhook\", url = \"{url}\", secret = \"{SECRET}\" }}]\n",
            args.concurrency
        ),
    )?;
    let mut child = Command::new(&args.tenure)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--config")
        .arg(&config)
        .env("TENURE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", args.tenure.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let started = Instant::now();
    while counts.ok.load(Ordering::Relaxed) < n {
        if started.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            anyhow::bail!(
                "only {} of {n} delivered in 600 s",
                counts.ok.load(Ordering::Relaxed)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let secs = counts.span().as_secs_f64();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let rate = n as f64 / secs;
    println!(
        "outbox: {n} webhooks, concurrency {}: tenure {rate:.0}/s ({secs:.2} s from the first to the last), \
         plain client {base_rate:.0}/s ({base_secs:.2} s); ratio {:.2}; target 500/s",
        args.concurrency,
        rate / base_rate
    );
    Ok(())
}
