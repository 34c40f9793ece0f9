//! The HTTP load generator. Batches are built before the clock starts so
//! the generator spends its CPU on sending, not on JSON.

use crate::batches;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Server base URL, e.g. http://127.0.0.1:8750.
    #[arg(long)]
    url: String,
    /// Write key.
    #[arg(long)]
    key: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Batches to send (each of --batch-size events).
    #[arg(long, default_value_t = 5_000)]
    batches: u64,
    #[arg(long, default_value_t = 100)]
    batch_size: u64,
    /// Offered load in events/s (open loop); 0 = as fast as acknowledged.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// A label that makes message ids unique across runs.
    #[arg(long, default_value = "load")]
    run: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    runtime()?.block_on(run_async(args))
}

/// A one-worker runtime: the load generators leave the other core to the
/// server.
pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}

/// The `p` quantile (0 to 1, nearest rank) of sorted latencies, in ms.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..args.batches)
            .map(|b| batches::batch(&args.run, b * args.batch_size, args.batch_size))
            .collect(),
    );
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let url = format!("{}/v1/batch", args.url.trim_end_matches('/'));
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let interval =
        (args.rate > 0).then(|| Duration::from_secs_f64(args.batch_size as f64 / args.rate as f64));
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (bodies, client, url, key, next, acked, failed) = (
            bodies.clone(),
            client.clone(),
            url.clone(),
            args.key.clone(),
            next.clone(),
            acked.clone(),
            failed.clone(),
        );
        let batch_size = args.batch_size;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= bodies.len() {
                    break;
                }
                if let Some(every) = interval {
                    // Open loop: batch i is due at i * interval.
                    let due = started + every * i as u32;
                    tokio::time::sleep_until(due.into()).await;
                }
                let sent = Instant::now();
                let res = client
                    .post(&url)
                    .basic_auth(&key, Some(""))
                    .header("content-type", "application/json")
                    .body(bodies[i].clone())
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                        acked.fetch_add(batch_size, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let events = acked.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "clients": args.clients,
            "batch_size": args.batch_size,
            "offered_events_per_s": args.rate,
            "events_acked": events,
            "failed_batches": failed.load(Ordering::Relaxed),
            "seconds": elapsed,
            "events_per_s": events as f64 / elapsed,
            "mb_per_s": bytes as f64 / elapsed / 1e6,
            "p50_ms": percentile(&latencies, 0.50),
            "p99_ms": percentile(&latencies, 0.99),
            "max_ms": percentile(&latencies, 1.0),
        })
    );
    Ok(())
}
