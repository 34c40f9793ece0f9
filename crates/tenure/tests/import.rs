//! `tenure import`: JSONL (plain and gzipped) and CSV files, errors that
//! name file, line and field, all-or-nothing per file, idempotent re-import,
//! and a clear message when a server holds the store.

mod common;

use common::{Server, count, rows, tenure};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::json;
use std::io::Write;
use std::path::Path;

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn events_jsonl(n: usize, without_ids: bool) -> String {
    (0..n)
        .map(|i| {
            let mut m = json!({"type": "track", "userId": format!("u{}", i % 3), "event": "Search Performed",
                               "timestamp": format!("2026-02-{:02}T10:{:02}:{:02}Z", 1 + i % 28, i / 60 % 60, i % 60)});
            if !without_ids {
                m["messageId"] = json!(format!("imp-{i}"));
            }
            m.to_string() + "\n"
        })
        .collect()
}

#[test]
fn jsonl_imports_are_atomic_idempotent_and_precise_about_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let plain = dir.path().join("events.jsonl");
    write(&plain, &events_jsonl(1000, false));
    let gz = dir.path().join("more.jsonl.gz");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(events_jsonl(500, true).as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();

    let (ok, out, err) = tenure(&[
        "import",
        "events",
        "--data",
        d,
        plain.to_str().unwrap(),
        gz.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("1000 events stored"), "{out}");
    assert!(out.contains("500 events stored"), "{out}");
    // A line repeated verbatim without a messageId is one event.
    let twice = dir.path().join("twice.jsonl");
    let line = events_jsonl(1, true).replace("u0", "w0");
    write(&twice, &format!("{line}{line}"));
    let (ok, out, err) = tenure(&["import", "events", "--data", d, twice.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("2 records, 1 events stored"), "{out}");
    // Again: nothing new, even for the events without a messageId.
    let (ok, out, err) = tenure(&[
        "import",
        "events",
        "--data",
        d,
        plain.to_str().unwrap(),
        gz.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("0 events stored"), "{out}");
    assert_eq!(count(&data, "SELECT count(*) FROM events"), 1501);
    assert_eq!(
        rows(
            &data,
            "SELECT timestamp FROM events WHERE message_id = 'imp-0'"
        ),
        vec![vec!["2026-02-01 10:00:00"]],
        "an imported message without receivedAt keeps its own timestamp"
    );
    assert_eq!(
        rows(
            &data,
            "SELECT received_at FROM events WHERE message_id = 'imp-0'"
        ),
        vec![vec!["2026-02-01 10:00:00"]],
        "and is taken as received then, not at the import"
    );

    // A bad line late in a file: the error names file, line and field, and
    // nothing of that file is kept.
    let bad = dir.path().join("bad.jsonl");
    let mut text = events_jsonl(30, true).replace("u1", "v1");
    text.push_str("{\"type\": \"track\", \"userId\": \"x\", \"event\": \"E\", \"timestamp\": \"not a time\"}\n");
    write(&bad, &text);
    let (ok, _, err) = tenure(&["import", "events", "--data", d, bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("bad.jsonl:31"), "{err}");
    assert!(err.contains("timestamp"), "{err}");
    let broken = dir.path().join("broken.jsonl");
    write(
        &broken,
        "{\"type\": \"track\", \"userId\": \"x\", \"event\": \"E\"}\n{oops\n",
    );
    let (ok, _, err) = tenure(&["import", "events", "--data", d, broken.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("broken.jsonl:2"), "{err}");
    assert_eq!(
        count(&data, "SELECT count(*) FROM events"),
        1501,
        "failed files add nothing"
    );
}

/// DuckDB's reader takes the track calls of a clean file and stores their
/// objects minified; `--exact` reads every line with Tenure's parser and
/// keeps them as sent.
/// A file read from a pipe (`zcat big.jsonl.gz | tenure import events
/// /dev/stdin`, as the README suggests for split files) can be read only
/// once: every line of it is stored, plain or gzipped.
#[test]
fn a_pipe_is_imported_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let import = |bytes: Vec<u8>| {
        let mut child = std::process::Command::new(common::BIN)
            .args([
                "import",
                "events",
                "--data",
                data.to_str().unwrap(),
                "/dev/stdin",
            ])
            .env_remove("TENURE_DATA")
            .env_remove("TENURE_CONFIG")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&bytes).unwrap());
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let out = import(events_jsonl(3000, false).into_bytes());
    assert!(out.contains("3000 records, 3000 events stored"), "{out}");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(events_jsonl(500, true).as_bytes()).unwrap();
    let out = import(enc.finish().unwrap());
    assert!(out.contains("500 records, 500 events stored"), "{out}");
    assert_eq!(count(&data, "SELECT count(*) FROM events"), 3500);
}

#[test]
fn exact_imports_keep_objects_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.jsonl");
    write(
        &file,
        "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"E\",\"messageId\":\"a\",\"properties\":{ \"price\": 1.50 }}\n",
    );
    for (flag, want) in [
        (None, r#"{"price":1.5}"#),
        (Some("--exact"), r#"{ "price": 1.50 }"#),
    ] {
        let data = dir.path().join(format!("data-{flag:?}"));
        let mut args = vec!["import", "events", "--data", data.to_str().unwrap()];
        args.extend(flag);
        args.push(file.to_str().unwrap());
        let (ok, out, err) = tenure(&args);
        assert!(ok, "{err}");
        assert!(out.contains("1 events stored"), "{out}");
        assert_eq!(
            rows(&data, "SELECT properties FROM events"),
            [[want]],
            "{flag:?}"
        );
    }
}

/// Files of several megabytes are parsed in blocks on several threads: every
/// line is stored once, in file order for account resolution, and an error
/// deep in the file still names its exact line.
#[test]
fn large_jsonl_files_keep_order_and_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    // ~2.7 MB: a group call puts u7 in account late-acct near the end; u7's
    // later tracks must resolve to it, its earlier ones to early-acct.
    let mut text = events_jsonl(15_000, false).replace("u1\"", "u7\"");
    text = json!({"type": "group", "userId": "u7", "groupId": "early-acct", "messageId": "g0",
                  "timestamp": "2026-01-01T00:00:00Z"})
    .to_string()
        + "\n"
        + &text[..text.len() / 3 * 2];
    let cut = text.rfind('\n').unwrap() + 1;
    text.truncate(cut);
    let before = text.lines().count();
    text.push_str(
        &(json!({"type": "group", "userId": "u7", "groupId": "late-acct", "messageId": "g1",
                 "timestamp": "2026-01-01T00:00:00Z"})
        .to_string()
            + "\n"),
    );
    text.push_str(
        &events_jsonl(15_000, false)[..]
            .replace("imp-", "late-")
            .replace("u1\"", "u7\""),
    );
    assert!(text.len() > 2 << 20, "spans several 1 MiB blocks");
    let big = dir.path().join("big.jsonl");
    write(&big, &text);
    let (ok, out, err) = tenure(&["import", "events", "--data", d, big.to_str().unwrap()]);
    assert!(ok, "{err}");
    let lines = text.lines().count();
    assert!(
        out.contains(&format!("{lines} records, {lines} events stored")),
        "{out}"
    );
    assert_eq!(
        rows(
            &data,
            "SELECT account_id, count(*) FROM events WHERE user_id = 'u7' AND type = 'track' \
             GROUP BY ALL ORDER BY 1"
        ),
        vec![
            vec!["early-acct".to_string(), (before / 3).to_string()],
            vec!["late-acct".to_string(), 5000.to_string()],
        ]
    );

    // A bad line near the end of a fresh copy: named exactly, nothing kept.
    let at = lines - 3;
    let mut bad: Vec<&str> = text.lines().collect();
    bad[at - 1] = "{\"type\": \"track\", \"userId\": \"x\", \"event\": 7}";
    let bad_file = dir.path().join("bad-late.jsonl");
    write(
        &bad_file,
        &(bad.join("\n").replace("imp-", "b-").replace("late-", "bl-") + "\n"),
    );
    let (ok, _, err) = tenure(&["import", "events", "--data", d, bad_file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains(&format!("bad-late.jsonl:{at}")), "{err}");
    assert!(err.contains("field `event`"), "{err}");
    assert_eq!(count(&data, "SELECT count(*) FROM events"), lines as i64);
    // The import refreshed the report rollups: exact, nothing left to add.
    assert_eq!(common::open(&data).rollup_mismatches().unwrap(), 0);
    let (ok, out, err) = tenure(&["refresh", "--data", d]);
    assert!(ok, "{err}");
    assert!(out.contains("rollups: 0 new events"), "{out}");
    let (ok, out, err) = tenure(&["refresh", "--rebuild", "--data", d]);
    assert!(ok && out.contains("rebuilt from every event"), "{out}{err}");
    assert_eq!(common::open(&data).rollup_mismatches().unwrap(), 0);
}

#[test]
fn csv_imports_set_accounts_users_groups_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let accounts = dir.path().join("accounts.csv");
    write(
        &accounts,
        "id,name,plan,mrr,seats_purchased,renewal_date,archived,has_portal_access,csm_owner,created_at,region\n\
         a1,Acme,pro,1200,10,2027-01-31,false,true,ann,2025-01-01T00:00:00Z,emea\n\
         a2,Beta,basic,99.5,3,,true,false,bob,2025-06-01T00:00:00Z,\n",
    );
    let users = dir.path().join("users.csv");
    write(
        &users,
        "id,account_id,email,name,role,seat_assigned_at,groups,created_at\n\
         u1,a1,u1@a.test,Una,admin,2025-01-05T00:00:00Z,sales;emea,2025-01-02T00:00:00Z\n\
         u2,a1,u2@a.test,Ugo,analyst,,emea,2025-01-03T00:00:00Z\n\
         u3,a2,u3@b.test,Uma,analyst,2025-06-02T00:00:00Z,,2025-06-01T00:00:00Z\n",
    );
    let (ok, out, err) = tenure(&[
        "import",
        "accounts",
        "--data",
        d,
        accounts.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("2 records"), "{out}");
    let (ok, _, err) = tenure(&["import", "users", "--data", d, users.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(
        rows(
            &data,
            "SELECT id, name, plan, mrr, seats_purchased, renewal_date, archived, has_portal_access, csm_owner, created_at, traits FROM accounts ORDER BY id"
        ),
        vec![
            vec![
                "a1",
                "Acme",
                "pro",
                "1200.0",
                "10",
                "2027-01-31",
                "false",
                "true",
                "ann",
                "2025-01-01 00:00:00",
                r#"{"region":"emea"}"#
            ],
            vec![
                "a2",
                "Beta",
                "basic",
                "99.5",
                "3",
                "NULL",
                "true",
                "false",
                "bob",
                "2025-06-01 00:00:00",
                "{}"
            ],
        ]
    );
    assert_eq!(
        rows(
            &data,
            "SELECT id, account_id, seat_assigned_at, groups FROM users ORDER BY id"
        ),
        vec![
            vec!["u1", "a1", "2025-01-05 00:00:00", "[emea, sales]"],
            vec!["u2", "a1", "NULL", "[emea]"],
            vec!["u3", "a2", "2025-06-02 00:00:00", "[]"],
        ]
    );
    assert_eq!(count(&data, "SELECT count(*) FROM groups"), 2);
    let history = count(&data, "SELECT count(*) FROM account_changes");
    // Re-importing the same file changes nothing.
    let (ok, out, _) = tenure(&[
        "import",
        "accounts",
        "--data",
        d,
        accounts.to_str().unwrap(),
    ]);
    assert!(ok);
    assert!(out.contains("0 trait changes stored"), "{out}");
    assert_eq!(
        count(&data, "SELECT count(*) FROM account_changes"),
        history
    );

    // A later change is kept with its time; the state at an earlier time is
    // still there to read.
    write(&accounts, "id,archived\na1,true\n");
    let (ok, _, err) = tenure(&[
        "import",
        "accounts",
        "--data",
        d,
        accounts.to_str().unwrap(),
        "--at",
        "2026-04-15T00:00:00Z",
    ]);
    assert!(ok, "{err}");
    let as_of = |t: &str| {
        rows(
            &data,
            &format!(
                "SELECT value FROM account_changes WHERE account_id = 'a1' AND field = 'archived' \
                 AND changed_at <= TIMESTAMP '{t}' ORDER BY changed_at DESC, seq DESC LIMIT 1"
            ),
        )
    };
    assert_eq!(as_of("2026-03-31 23:59:59"), vec![vec!["false"]]);
    assert_eq!(as_of("2026-04-30 23:59:59"), vec![vec!["true"]]);
    assert_eq!(
        rows(&data, "SELECT archived FROM accounts WHERE id = 'a1'"),
        vec![vec!["true"]]
    );

    // Errors name the file, the line and the field.
    write(
        &users,
        "id,account_id,seat_assigned_at\nu9,a1,2025-01-01\nu10,a1,someday\n",
    );
    let (ok, _, err) = tenure(&["import", "users", "--data", d, users.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("users.csv:3"), "{err}");
    assert!(err.contains("seat_assigned_at"), "{err}");
    assert_eq!(
        count(&data, "SELECT count(*) FROM users WHERE id = 'u9'"),
        0,
        "nothing of a failed file is kept"
    );
    write(&users, "id,email\nu9,x@y\n");
    let (ok, _, err) = tenure(&["import", "users", "--data", d, users.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("account_id"), "{err}");
}

#[test]
fn commands_say_so_when_a_server_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let server = Server::start(dir.path());
    let started = std::time::Instant::now();
    let (ok, _, err) = tenure(&["stats", "--data", d]);
    assert!(!ok);
    assert!(err.contains("in use by another process"), "{err}");
    assert!(started.elapsed().as_secs() < 10, "it does not hang");
    assert!(server.stop().success());
    let (ok, out, err) = tenure(&["stats", "--data", d]);
    assert!(ok, "{err}");
    assert!(out.contains("events    0"), "{out}");
}
