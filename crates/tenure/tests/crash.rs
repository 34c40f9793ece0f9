//! Crash safety: a client sends batches while the server is killed with
//! SIGKILL at random points, several times. Every acknowledged message is
//! present exactly once afterwards, and retrying the unacknowledged batches
//! after each restart never duplicates anything.

mod common;

use common::{Server, client, count, create_key, rows};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn batch(n: usize) -> serde_json::Value {
    json!({"batch": (0..100).map(|i| json!({
        "type": "track", "messageId": format!("b{n}-m{i}"), "userId": format!("u{}", i % 7),
        "event": "Company Viewed", "properties": {"n": n, "i": i}
    })).collect::<Vec<_>>()})
}

#[test]
fn acknowledged_events_survive_sigkill_exactly_once() {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}");
    let mut state = seed;
    let mut random = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let dir = tempfile::tempdir().unwrap();
    let key = create_key(dir.path(), &["--write"]);
    let acked = Arc::new(Mutex::new(Vec::<usize>::new()));
    let mut next_batch = 0usize;
    let mut unacked: Vec<usize> = Vec::new();
    for round in 0..5 {
        let server = Server::start(dir.path());
        let base = server.base.clone();
        let stop = Arc::new(AtomicBool::new(false));
        // Retry what was not acknowledged before the last crash first.
        let mut todo: Vec<usize> = std::mem::take(&mut unacked);
        let first_new = next_batch;
        todo.extend(first_new..first_new + 10_000);
        let sender = {
            let (acked, stop, key) = (acked.clone(), stop.clone(), key.clone());
            std::thread::spawn(move || {
                let http = client();
                let mut sent_up_to = 0;
                for (k, n) in todo.iter().enumerate() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    sent_up_to = k + 1;
                    let res = http
                        .post(format!("{base}/v1/batch"))
                        .basic_auth(&key, Some(""))
                        .json(&batch(*n))
                        .send();
                    match res {
                        Ok(r) if r.status().as_u16() == 200 => acked.lock().unwrap().push(*n),
                        _ => return (todo, k),
                    }
                }
                (todo, sent_up_to)
            })
        };
        std::thread::sleep(Duration::from_millis(100 + random(400)));
        server.kill9();
        stop.store(true, Ordering::SeqCst);
        let (todo, reached) = sender.join().unwrap();
        let acked_now: std::collections::HashSet<usize> =
            acked.lock().unwrap().iter().copied().collect();
        unacked = todo[..reached]
            .iter()
            .copied()
            .filter(|n| !acked_now.contains(n))
            .collect();
        next_batch = todo.iter().copied().max().unwrap_or(next_batch) + 1;
        eprintln!(
            "round {round}: {} batches acknowledged so far, {} to retry",
            acked_now.len(),
            unacked.len()
        );
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 5,
        "the server acknowledged some batches ({})",
        acked.len()
    );
    let data = dir.path();
    // The CLI applies what the journal holds beyond the store, then counts:
    // every acknowledged event is there.
    let (ok, out, err) = common::tenure(&[
        "stats",
        "--format",
        "json",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        stats["events"].as_u64().unwrap() >= 100 * acked.len() as u64,
        "{out}"
    );
    let stored: std::collections::HashMap<String, String> = rows(
        data,
        "SELECT split_part(message_id, '-', 1), count(*) FROM events GROUP BY 1",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone()))
    .collect();
    for n in &acked {
        assert_eq!(
            stored.get(&format!("b{n}")).map(String::as_str),
            Some("100"),
            "batch {n} was acknowledged, so all of it is stored"
        );
    }
    assert_eq!(
        count(data, "SELECT count(*) FROM events"),
        count(data, "SELECT count(DISTINCT message_id) FROM events"),
        "nothing is stored twice"
    );
    // Refreshed by hand: a kill -9 may come between a write and a refresh.
    let mut store = common::open(data);
    tenure_store::Store::refresh_rollups(&mut store).unwrap();
    assert_eq!(
        store.rollup_mismatches().unwrap(),
        0,
        "the daily rollup matches the events after every crash and replay"
    );
}

#[test]
fn sigterm_finishes_in_flight_batches_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let key = create_key(dir.path(), &["--write"]);
    let server = Server::start(dir.path());
    let acked = Arc::new(Mutex::new(Vec::<usize>::new()));
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let (acked, key, base) = (acked.clone(), key.clone(), server.base.clone());
            std::thread::spawn(move || {
                let http = client();
                for k in 0..10_000 {
                    let n = 1_000_000 * (t + 1) + k;
                    match http
                        .post(format!("{base}/v1/batch"))
                        .basic_auth(&key, Some(""))
                        .json(&batch(n))
                        .send()
                    {
                        Ok(r) if r.status().as_u16() == 200 => acked.lock().unwrap().push(n),
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let status = server.stop();
    for s in senders {
        s.join().unwrap();
    }
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let acked = acked.lock().unwrap().len() as i64;
    assert!(acked > 0);
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM events"),
        acked * 100
    );
}
