//! The official Segment Python library (`segment-analytics-python`, in the
//! venv that `scripts/test` creates) talks to a real server, gzip on and
//! off; every message is stored exactly once with the right user, account,
//! traits and skew-corrected timestamp.

mod common;

use common::{Server, count, create_key, rows};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("TENURE_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = manifest_dir().join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python venv at {}: run `scripts/test`, which creates it with segment-analytics-python",
        venv.display()
    );
    venv
}

fn send(server: &Server, key: &str, gzip: bool, prefix: &str) -> Vec<Value> {
    let script = manifest_dir().join("tests/python/send_events.py");
    let out = Command::new(python())
        .arg(script)
        .args([
            server.base.as_str(),
            key,
            if gzip { "1" } else { "0" },
            prefix,
        ])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "the Python client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_official_python_library_works_unmodified() {
    let dir = tempfile::tempdir().unwrap();
    let key = create_key(dir.path(), &["--write"]);
    let server = Server::start(dir.path());
    let plain = send(&server, &key, false, "plain");
    let zipped = send(&server, &key, true, "gz");
    // Sending the same messages again (a client retry) stores nothing new.
    send(&server, &key, true, "gz");
    assert!(server.stop().success());

    let data = dir.path();
    let sent: Vec<&Value> = plain.iter().chain(zipped.iter()).collect();
    assert_eq!(sent.len(), 2 * 29);
    assert_eq!(
        count(data, "SELECT count(*) FROM events"),
        sent.len() as i64
    );
    assert_eq!(
        count(data, "SELECT count(DISTINCT message_id) FROM events"),
        sent.len() as i64
    );
    for message in &sent {
        let id = message["messageId"].as_str().unwrap();
        let found = rows(
            data,
            &format!(
                "SELECT type, original_timestamp, \
                 timestamp = original_timestamp + (received_at - sent_at) AS skew_corrected, \
                 account_id FROM events WHERE message_id = '{id}'"
            ),
        );
        assert_eq!(found.len(), 1, "{id} stored once");
        let row = &found[0];
        assert_eq!(row[0], message["type"].as_str().unwrap(), "{id}");
        let want =
            tenure_core::time::parse_timestamp(message["timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(
            row[1],
            want.format("%Y-%m-%d %H:%M:%S").to_string(),
            "{id}: client time kept"
        );
        assert_eq!(row[2], "true", "{id}: timestamp corrected for clock skew");
        let prefix = id.split('-').next().unwrap();
        assert_eq!(row[3], format!("{prefix}-acct"), "{id}: account");
    }
    for prefix in ["plain", "gz"] {
        assert_eq!(
            rows(
                data,
                &format!(
                    "SELECT name, plan, mrr, seats_purchased FROM accounts WHERE id = '{prefix}-acct'"
                )
            ),
            vec![vec!["Py Corp", "enterprise", "990.5", "25"]]
        );
        assert_eq!(
            rows(
                data,
                &format!(
                    "SELECT id, account_id, email, role, seat_assigned_at, groups FROM users \
                     WHERE id LIKE '{prefix}-%' ORDER BY id"
                )
            ),
            vec![
                vec![
                    format!("{prefix}-u1"),
                    format!("{prefix}-acct"),
                    "u1@py.test".into(),
                    "analyst".into(),
                    "2026-03-01 00:00:00".into(),
                    "[emea]".into()
                ],
                vec![
                    format!("{prefix}-u2"),
                    format!("{prefix}-acct"),
                    "u2@py.test".into(),
                    "analyst".into(),
                    "2026-03-01 00:00:00".into(),
                    "[emea]".into()
                ],
            ]
        );
    }
}

/// The package dir cargo gives at run time (a test binary reused from a
/// clone elsewhere keeps the old compile-time path).
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}
