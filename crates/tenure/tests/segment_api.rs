//! The Segment tracking API over real HTTP against a real server.

mod common;

use common::{Server, client, count, create_key, rows};
use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn setup() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let write = create_key(dir.path(), &["--write"]);
    let admin = create_key(dir.path(), &["--role", "admin"]);
    (dir, write, admin)
}

#[test]
fn every_call_type_is_stored_with_user_account_and_traits() {
    let (dir, key, admin) = setup();
    let server = Server::start(dir.path());
    let http = client();
    let batch = json!({"batch": [
        {"type": "group", "messageId": "m-group", "userId": "u1", "groupId": "acme",
         "traits": {"name": "Acme", "plan": "pro", "mrr": "1200", "seats_purchased": 10,
                    "renewal_date": "2027-03-31", "archived": false, "csm_owner": "ann", "industry": "retail"},
         "timestamp": "2026-01-01T00:00:00Z"},
        {"type": "identify", "messageId": "m-id", "userId": "u1",
         "traits": {"email": "u1@acme.test", "name": "Una", "role": "analyst",
                    "seat_assigned_at": "2026-01-02T00:00:00Z", "groups": ["emea", "sales"], "favourite": "tea"},
         "timestamp": "2026-01-02T00:00:00Z"},
        {"type": "identify", "messageId": "m-id2", "userId": "u2",
         "context": {"traits": {"email": "u2@acme.test"}, "groupId": "acme"},
         "timestamp": "2026-01-02T00:00:00Z"},
        {"type": "track", "messageId": "m-track", "userId": "u1", "event": "Company Viewed",
         "properties": {"company": "x"}, "timestamp": "2026-01-03T00:00:00Z"},
        {"type": "track", "messageId": "m-track2", "anonymousId": "anon-1", "userId": null,
         "event": "Insight Shared", "properties": {"channel": "linkedin"},
         "context": {"groupId": "other"}, "timestamp": "2026-01-03T00:00:00Z"},
        {"type": "page", "messageId": "m-page", "userId": "u1", "name": "Portal Viewed", "timestamp": "2026-01-03T00:00:00Z"},
        {"type": "screen", "messageId": "m-screen", "userId": "u1", "name": "Home", "timestamp": "2026-01-03T00:00:00Z"},
        {"type": "alias", "messageId": "m-alias", "previousId": "anon-1", "userId": "u1", "timestamp": "2026-01-03T00:00:00Z"}
    ]});
    let res = http
        .post(server.url("/v1/batch"))
        .basic_auth(&key, Some(""))
        .json(&batch)
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().unwrap();
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["stored"], json!(8));

    // Single-call routes, one with the key in the body and gzip.
    let res = http
        .post(server.url("/v1/track"))
        .basic_auth(&key, Some(""))
        .json(&json!({"userId": "u2", "event": "Signed In", "messageId": "m-single"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = http
        .post(server.url("/v1/track"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip(
            json!({"writeKey": key, "userId": "u2", "event": "Digest Received", "messageId": "m-gz"})
                .to_string()
                .as_bytes(),
        ))
        .send()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().unwrap());

    let stats: Value = http
        .get(server.url("/api/v1/stats"))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(stats["events"], json!(10));
    assert_eq!(stats["accounts"], json!(1));
    assert_eq!(stats["users"], json!(2));
    assert_eq!(stats["events_by_kind"]["research"], json!(1));
    assert_eq!(stats["events_by_kind"]["profile"], json!(4));
    assert!(server.stop().success());

    let data = dir.path();
    assert_eq!(
        rows(
            data,
            "SELECT name, plan, mrr, seats_purchased, renewal_date, archived, has_portal_access, csm_owner, traits FROM accounts"
        ),
        vec![vec![
            "Acme",
            "pro",
            "1200.0",
            "10",
            "2027-03-31",
            "false",
            "true",
            "ann",
            r#"{"industry":"retail"}"#
        ]]
    );
    assert_eq!(
        rows(
            data,
            "SELECT id, account_id, email, name, role, seat_assigned_at, groups, traits FROM users ORDER BY id"
        ),
        vec![
            vec![
                "u1",
                "acme",
                "u1@acme.test",
                "Una",
                "analyst",
                "2026-01-02 00:00:00",
                "[emea, sales]",
                r#"{"favourite":"tea"}"#
            ],
            vec![
                "u2",
                "acme",
                "u2@acme.test",
                "NULL",
                "NULL",
                "NULL",
                "[]",
                "{}"
            ],
        ]
    );
    assert_eq!(
        count(
            data,
            "SELECT count(*) FROM groups WHERE account_id = 'acme'"
        ),
        2
    );
    // Track calls take context.groupId, else the user's current account.
    assert_eq!(
        rows(
            data,
            "SELECT message_id, account_id, kind FROM events WHERE type IN ('track', 'page') ORDER BY message_id"
        ),
        vec![
            vec!["m-gz", "acme", "consume"],
            vec!["m-page", "acme", "portal"],
            vec!["m-single", "acme", "login"],
            vec!["m-track", "acme", "research"],
            vec!["m-track2", "other", "share"],
        ]
    );
    assert_eq!(
        rows(data, "SELECT previous_id, user_id FROM aliases"),
        vec![vec!["anon-1", "u1"]]
    );
}

#[test]
fn a_retried_batch_adds_nothing() {
    let (dir, key, _) = setup();
    let server = Server::start(dir.path());
    let http = client();
    let batch = json!({"batch": (0..50).map(|i| json!({
        "type": "track", "messageId": format!("retry-{i}"), "userId": "u", "event": "Signed In"
    })).collect::<Vec<_>>()});
    for attempt in 0..3 {
        let res = http
            .post(server.url("/v1/batch"))
            .basic_auth(&key, Some(""))
            .json(&batch)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().unwrap();
        let stored = if attempt == 0 { 50 } else { 0 };
        assert_eq!(body["stored"], json!(stored));
        assert_eq!(body["duplicates"], json!(50 - stored));
    }
    // Duplicates inside one batch are dropped too.
    let twice = json!({"batch": [
        {"type": "track", "messageId": "dup", "userId": "u", "event": "Signed In"},
        {"type": "track", "messageId": "dup", "userId": "u", "event": "Signed In"}
    ]});
    let body: Value = http
        .post(server.url("/v1/batch"))
        .basic_auth(&key, Some(""))
        .json(&twice)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["stored"], json!(1));
    // The window survives a restart: it is rebuilt from the store.
    assert!(server.stop().success());
    let server = Server::start(dir.path());
    let body: Value = http
        .post(server.url("/v1/batch"))
        .basic_auth(&key, Some(""))
        .json(&batch)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["stored"], json!(0));
    assert!(server.stop().success());
    assert_eq!(count(dir.path(), "SELECT count(*) FROM events"), 51);
}

struct Case {
    name: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    encoding: Option<&'static str>,
    key: KeyUse,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    mentions: &'static str,
}

#[derive(Clone, Copy)]
enum KeyUse {
    Good,
    Wrong,
    Missing,
}

fn track(extra: Value) -> Value {
    let mut m = json!({"type": "track", "userId": "u", "event": "Signed In", "messageId": "ok-1"});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

fn batch_of(messages: Vec<Value>) -> Vec<u8> {
    json!({ "batch": messages }).to_string().into_bytes()
}

fn cases() -> Vec<Case> {
    let good = batch_of(vec![track(json!({}))]);
    let big_property = "x".repeat(40 * 1024);
    let many: Vec<Value> = (0..40)
        .map(|i| track(json!({"messageId": format!("big-{i}"), "properties": {"pad": "y".repeat(14 * 1024)}})))
        .collect();
    let case = |name, body: Vec<u8>, status, code, mentions| Case {
        name,
        path: "/v1/batch",
        content_type: Some("application/json"),
        encoding: None,
        key: KeyUse::Good,
        body,
        status,
        code,
        mentions,
    };
    vec![
        case(
            "malformed JSON",
            b"{\"batch\": [".to_vec(),
            400,
            "invalid_json",
            "JSON",
        ),
        case(
            "not a batch",
            b"[1, 2]".to_vec(),
            400,
            "invalid_message",
            "batch",
        ),
        Case {
            content_type: Some("application/x-www-form-urlencoded"),
            ..case(
                "wrong content type",
                good.clone(),
                415,
                "unsupported_media_type",
                "Content-Type",
            )
        },
        Case {
            content_type: None,
            ..case(
                "missing content type",
                good.clone(),
                415,
                "unsupported_media_type",
                "Content-Type",
            )
        },
        Case {
            encoding: Some("br"),
            ..case(
                "unknown encoding",
                good.clone(),
                415,
                "unsupported_encoding",
                "br",
            )
        },
        case(
            "oversize message",
            batch_of(vec![
                track(json!({"messageId": "ok-0"})),
                track(json!({"properties": {"pad": big_property}})),
            ]),
            413,
            "message_too_large",
            "batch[1]",
        ),
        case(
            "oversize batch",
            batch_of(many),
            413,
            "batch_too_large",
            "512000",
        ),
        Case {
            encoding: Some("gzip"),
            ..case(
                "gzip bomb",
                gzip(&vec![b' '; 64 * 1024 * 1024]),
                413,
                "batch_too_large",
                "decompression",
            )
        },
        Case {
            encoding: Some("gzip"),
            ..case(
                "corrupt gzip",
                b"\x1f\x8bnot really".to_vec(),
                400,
                "invalid_json",
                "gzip",
            )
        },
        case(
            "missing userId and anonymousId",
            batch_of(vec![
                track(json!({"messageId": "a"})),
                json!({"type": "track", "event": "Signed In", "messageId": "b"}),
            ]),
            400,
            "invalid_message",
            "batch[1].userId",
        ),
        case(
            "bad timestamp",
            batch_of(vec![track(json!({"timestamp": "yesterday-ish"}))]),
            400,
            "invalid_message",
            "batch[0].timestamp",
        ),
        case(
            "unknown type",
            batch_of(vec![json!({"type": "explode", "userId": "u"})]),
            400,
            "invalid_message",
            "batch[0].type",
        ),
        case(
            "track without event",
            batch_of(vec![json!({"type": "track", "userId": "u"})]),
            400,
            "invalid_message",
            "batch[0].event",
        ),
        case(
            "bad trait value",
            batch_of(vec![
                json!({"type": "group", "userId": "u", "groupId": "g", "traits": {"mrr": "lots"}}),
            ]),
            400,
            "invalid_message",
            "batch[0].traits.mrr",
        ),
        case(
            "properties not an object",
            batch_of(vec![track(json!({"properties": [1]}))]),
            400,
            "invalid_message",
            "batch[0].properties",
        ),
        Case {
            key: KeyUse::Wrong,
            ..case("wrong key", good.clone(), 401, "unauthorized", "not valid")
        },
        Case {
            key: KeyUse::Missing,
            ..case(
                "missing key",
                good.clone(),
                401,
                "unauthorized",
                "write key",
            )
        },
        Case {
            key: KeyUse::Missing,
            ..case(
                "missing key and bad body",
                b"{nope".to_vec(),
                401,
                "unauthorized",
                "write key",
            )
        },
        Case {
            path: "/v1/track",
            ..case(
                "single call without event",
                b"{\"userId\": \"u\"}".to_vec(),
                400,
                "invalid_message",
                "event",
            )
        },
    ]
}

#[test]
fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let (dir, key, admin) = setup();
    let server = Server::start(dir.path());
    let http = client();
    for case in cases() {
        let mut req = http.post(server.url(case.path)).body(case.body.clone());
        if let Some(ct) = case.content_type {
            req = req.header("content-type", ct);
        }
        if let Some(enc) = case.encoding {
            req = req.header("content-encoding", enc);
        }
        req = match case.key {
            KeyUse::Good => req.basic_auth(&key, Some("")),
            KeyUse::Wrong => req.basic_auth("tnr_w_wrong", Some("")),
            KeyUse::Missing => req,
        };
        let res = req.send().unwrap();
        let status = res.status().as_u16();
        let body: Value = res
            .json()
            .unwrap_or_else(|e| panic!("{}: body is not JSON: {e}", case.name));
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(
            body["error"]["code"],
            json!(case.code),
            "{}: {body}",
            case.name
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(case.mentions),
            "{}: {message:?} should mention {:?}",
            case.name,
            case.mentions
        );
    }
    let stats: Value = http
        .get(server.url("/api/v1/stats"))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        stats["events"],
        json!(0),
        "nothing from a rejected request is stored"
    );
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("tenure_requests_rejected_total{reason=\"invalid_message\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tenure_batch_latency_seconds_bucket"),
        "{metrics}"
    );
    assert!(server.stop().success());
}

#[test]
fn api_routes_need_a_reading_key() {
    let (dir, write, admin) = setup();
    let viewer = create_key(dir.path(), &["--role", "viewer"]);
    let tenant = create_key(
        dir.path(),
        &["--role", "account-admin", "--account", "acme"],
    );
    let server = Server::start(dir.path());
    let http = client();
    let status = |key: Option<&str>| {
        let mut req = http.get(server.url("/api/v1/stats"));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        req.send().unwrap().status().as_u16()
    };
    assert_eq!(status(Some(&admin)), 200);
    assert_eq!(status(Some(&viewer)), 200);
    assert_eq!(status(Some(&tenant)), 403);
    assert_eq!(status(Some(&write)), 403);
    assert_eq!(status(Some("tnr_k_nope")), 401);
    assert_eq!(status(None), 401);
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let missing = http.get(server.url("/nowhere")).send().unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let body: Value = missing.json().unwrap();
    assert_eq!(body["error"]["code"], json!("not_found"));
    assert!(server.stop().success());
}

/// Accepted events reach the report rollups within
/// `ingest.rollup_interval_secs` while the server runs, and all of them by
/// the time it stops.
#[test]
fn accepted_events_reach_the_rollups_within_the_interval() {
    let (dir, key, admin) = setup();
    let config = dir.path().join("tenure.toml");
    std::fs::write(&config, "[ingest]\nrollup_interval_secs = 1\n").unwrap();
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    let http = client();
    let stats = || -> Value {
        http.get(server.url("/api/v1/stats"))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let messages = (0..50)
        .map(|i| track(json!({"messageId": format!("r{i}"), "userId": format!("u{}", i % 7)})))
        .collect();
    let sent = http
        .post(server.url("/v1/batch"))
        .basic_auth(&key, Some(""))
        .body(batch_of(messages))
        .header("content-type", "application/json")
        .send()
        .unwrap();
    assert_eq!(sent.status().as_u16(), 200);
    let started = std::time::Instant::now();
    let mut last = stats();
    while last["events_in_rollups"] != json!(50) && started.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        last = stats();
    }
    assert_eq!(last["events"], json!(50));
    assert_eq!(last["events_in_rollups"], json!(50), "{last}");
    assert!(
        started.elapsed().as_secs() < 5,
        "within the 1 s interval (and the apply lag)"
    );
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("\ntenure_apply_lag_batches 0\n"),
        "everything acknowledged is applied: {metrics}"
    );
    assert!(server.stop().success());
    let mut store = common::open(dir.path());
    assert_eq!(store.rollup_mismatches().unwrap(), 0);
    assert_eq!(tenure_store::Store::refresh_rollups(&mut store).unwrap(), 0);
}
