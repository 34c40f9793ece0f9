//! Any byte string sent to the tracking API gets a 4xx with a JSON error,
//! never a panic or a 5xx (proptest over a real server).

mod common;

use common::{Server, client, create_key};
use proptest::prelude::*;
use std::sync::OnceLock;

struct Fixture {
    _dir: tempfile::TempDir,
    server: Server,
    key: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let key = create_key(dir.path(), &["--write"]);
        let server = Server::start(dir.path());
        Fixture {
            _dir: dir,
            server,
            key,
        }
    })
}

fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        "[\\[\\]{}\",:a-z0-9 .-]{0,400}".prop_map(|s| s.into_bytes()),
        "\\{\"batch\": \\[\\{\"type\": \"(track|identify|group|alias)\"[^\\]]{0,200}\\]\\}"
            .prop_map(|s| s.into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]
    #[test]
    fn any_body_gets_a_4xx_never_a_crash(body in json_ish(), gzip in any::<bool>(), path in 0usize..3) {
        let f = fixture();
        let route = ["/v1/batch", "/v1/track", "/v1/identify"][path];
        let mut req = client()
            .post(f.server.url(route))
            .basic_auth(&f.key, Some(""))
            .header("content-type", "application/json")
            .body(body);
        if gzip {
            req = req.header("content-encoding", "gzip");
        }
        let res = req.send().unwrap();
        let status = res.status().as_u16();
        let text = res.text().unwrap();
        prop_assert!((400..500).contains(&status) || status == 200, "status {status}: {text}");
        if status != 200 {
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert!(parsed["error"]["code"].is_string(), "{text}");
        }
    }
}

#[test]
fn the_server_is_still_up_after_the_fuzzing() {
    let f = fixture();
    let res = client().get(f.server.url("/healthz")).send().unwrap();
    assert_eq!(res.status().as_u16(), 200);
}
