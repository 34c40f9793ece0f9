//! `tenure gen` and `tenure serve --demo`: the README's first command gives
//! a working server with data and a key to try it with.

mod common;

use common::{BIN, client, tenure};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Starts `tenure serve --demo ...`, returns the child, base URL and admin key.
fn demo(extra: &[&str]) -> (std::process::Child, String, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--demo-preset",
            "small",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env_remove("TENURE_DATA")
        .env_remove("TENURE_LISTEN")
        .env("TENURE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut base, mut key) = (String::new(), String::new());
    for _ in 0..4 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        if let Some(b) = line.trim().strip_prefix("tenure listening on ") {
            base = b.to_string();
        }
        if let Some(k) = line.trim().strip_prefix("demo admin key: ") {
            key = k.to_string();
        }
    }
    assert!(!base.is_empty() && !key.is_empty());
    (child, base, key)
}

fn stop(child: &mut std::process::Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn stats(base: &str, key: &str) -> serde_json::Value {
    client()
        .get(format!("{base}/api/v1/stats"))
        .bearer_auth(key)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn serve_demo_starts_with_data_and_a_working_key() {
    let (mut child, base, key) = demo(&[]);
    let s = stats(&base, &key);
    assert_eq!(s["accounts"], 25, "{s}");
    assert!(s["users"].as_u64().unwrap() > 200, "{s}");
    assert!(s["events"].as_u64().unwrap() > 10_000, "{s}");
    // The data ends yesterday (UTC).
    let today = chrono::Utc::now().date_naive().to_string();
    let last = s["last_event_at"].as_str().unwrap();
    assert!(last < today.as_str(), "{last} vs {today}");
    stop(&mut child);

    // Into --data: loaded once; a second start keeps what is there.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let (mut child, base, key) = demo(&["--data", d.to_str().unwrap()]);
    let first = stats(&base, &key)["events"].as_u64().unwrap();
    stop(&mut child);
    let (mut child, base, key) = demo(&["--data", d.to_str().unwrap()]);
    assert_eq!(stats(&base, &key)["events"].as_u64().unwrap(), first);
    stop(&mut child);
}

#[test]
fn gen_writes_the_dataset_and_names_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g");
    let (ok, stdout, err) = tenure(&[
        "gen",
        "--preset",
        "small",
        "--seed",
        "4",
        "--noise",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(stdout.contains("25 accounts"), "{stdout}");
    for f in [
        "accounts.csv",
        "users.csv",
        "events.jsonl.gz",
        "truth.csv",
        "truth.json",
        "noise.csv",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let (ok, _, err) = tenure(&["gen", "--end", "yesterday", "--out", out.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("--end"), "{err}");
    let (ok, _, err) = tenure(&["gen", "--months", "0", "--out", out.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("months"), "{err}");
    // The generated files import cleanly (the noise aside).
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    for (what, file) in [("accounts", "accounts.csv"), ("users", "users.csv")] {
        let (ok, _, err) = tenure(&[
            "import",
            what,
            "--data",
            d,
            out.join(file).to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
    }
    let clean = dir.path().join("clean");
    let (ok, _, err) = tenure(&[
        "gen",
        "--preset",
        "small",
        "--seed",
        "4",
        "--out",
        clean.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, stdout, err) = tenure(&[
        "import",
        "events",
        "--data",
        d,
        clean.join("events.jsonl.gz").to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(clean.join("truth.json")).unwrap()).unwrap();
    let events = truth["counts"]["events"].as_u64().unwrap();
    assert!(
        stdout.contains(&format!("{events} events stored")),
        "{stdout}"
    );
}
