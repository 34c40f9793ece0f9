//! Any byte string sent to the tracking API gets a 4xx with a JSON error,
//! never a panic or a 5xx (proptest over a real server).

mod common;

use common::{Server, client, create_key};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        "[\\[\\]{}\",:a-z0-9 .-]{0,400}".prop_map(|s| s.into_bytes()),
        "\\{\"batch\": \\[\\{\"type\": \"(track|identify|group|alias)\"[^\\]]{0,200}\\]\\}"
            .prop_map(|s| s.into_bytes()),
    ]
}

/// One body sent to one route: a 4xx with a JSON error, or a 200.
fn gets_a_4xx_or_200(
    server: &Server,
    key: &str,
    body: Vec<u8>,
    gzip: bool,
    path: usize,
) -> Result<(), TestCaseError> {
    let route = ["/v1/batch", "/v1/track", "/v1/identify"][path];
    let mut req = client()
        .post(server.url(route))
        .basic_auth(key, Some(""))
        .header("content-type", "application/json")
        .body(body);
    if gzip {
        req = req.header("content-encoding", "gzip");
    }
    let res = req.send().unwrap();
    let status = res.status().as_u16();
    let text = res.text().unwrap();
    prop_assert!(
        (400..500).contains(&status) || status == 200,
        "status {status}: {text}"
    );
    if status != 200 {
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert!(parsed["error"]["code"].is_string(), "{text}");
    }
    Ok(())
}

/// The server lives in the test (not in a static, which is never dropped:
/// the server would outlive the test process), serves 300 random bodies,
/// and is still up after them.
#[test]
fn any_body_gets_a_4xx_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let key = create_key(dir.path(), &["--write"]);
    let server = Server::start(dir.path());
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    let cases = (json_ish(), any::<bool>(), 0usize..3);
    if let Err(e) = runner.run(&cases, |(body, gzip, path)| {
        gets_a_4xx_or_200(&server, &key, body, gzip, path)
    }) {
        panic!("{e}");
    }
    let res = client().get(server.url("/healthz")).send().unwrap();
    assert_eq!(res.status().as_u16(), 200);
}
