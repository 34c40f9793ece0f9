//! Playbooks end to end: a real server on the small preset, replaying
//! 20 October 2026 (`--clock-start`), delivering to a real HTTP receiver
//! started here and a real SMTP receiver (Python's aiosmtpd, from the
//! venv `scripts/test` makes). What should be sent is worked out first
//! from the same store by the evaluation itself (as the dry run does);
//! the receivers must then get exactly that.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::web::{get, no_redirects, post, sign_in};
use common::{Server, client, create_key, small_store, tenure};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenure_core::config::{Config, Overrides};
use tenure_reports::playbooks::{Settings, evaluate};
use tenure_store::OutboxItem;

const SECRET: &str = "a webhook secret of the test";
const CLOCK_START: &str = "2026-10-20T12:00:00Z";

/// One request the HTTP receiver got.
#[derive(Debug, Clone)]
struct Hit {
    key: String,
    timestamp: String,
    signature: String,
    body: String,
    status: u16,
    at: Instant,
}

#[derive(Clone)]
struct Behaviour {
    /// Answer 503 to the first this many attempts of each key.
    fail_first: usize,
    /// Answer every attempt with this status instead (dead letters).
    always: Option<u16>,
    delay: Duration,
}

struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    fn start(behaviour: Behaviour) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let state = (hits.clone(), behaviour);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(state);
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url,
            hits,
            _runtime: runtime,
        }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// The keys answered 200, with how many times each was.
    fn delivered(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for h in self.hits().into_iter().filter(|h| h.status == 200) {
            *out.entry(h.key).or_default() += 1;
        }
        out
    }
}

async fn hook(
    State((hits, behaviour)): State<(Arc<Mutex<Vec<Hit>>>, Behaviour)>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    tokio::time::sleep(behaviour.delay).await;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let key = header("idempotency-key");
    let mut hits = hits.lock().unwrap();
    let before = hits.iter().filter(|h| h.key == key).count();
    let status = match behaviour.always {
        Some(s) => s,
        None if before < behaviour.fail_first => 503,
        None => 200,
    };
    hits.push(Hit {
        key,
        timestamp: header("tenure-timestamp"),
        signature: header("tenure-signature"),
        body,
        status,
        at: Instant::now(),
    });
    StatusCode::from_u16(status).unwrap()
}

/// aiosmtpd writing every message it receives into a Maildir.
struct Smtp {
    port: u16,
    maildir: PathBuf,
    child: Child,
}

impl Smtp {
    fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = dir.join("maildir");
        let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} runs aiosmtpd (scripts/test installs it): {e}",
                    python.display()
                )
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            port,
            maildir,
            child,
        }
    }

    /// Each message's headers (lower-case names) and body.
    fn messages(&self) -> Vec<(HashMap<String, String>, String)> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        dir.map(|f| {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
            let mut headers = HashMap::new();
            for line in head.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_lowercase(), v.trim().to_string());
                }
            }
            (headers, body.to_string())
        })
        .collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_text(hook: &str, smtp_port: u16, delivery: &str) -> String {
    format!(
        r#"
[health]
backfill_days = 0
[ingest]
rollup_interval_secs = 1
[delivery]
backoff_secs = 1
backoff_cap_secs = 1
{delivery}
[delivery.smtp]
host = "127.0.0.1"
port = {smtp_port}
from = "tenure@vendor.test"

[[playbooks]]
name = "dormant users"
trigger = {{ on = "category_entered", category = "dormant" }}
actions = [
  {{ type = "webhook", url = "{hook}", secret = "{SECRET}" }},
  {{ type = "email", to = "user", template = "licence" }},
  {{ type = "task", title = "Check in with a dormant user" }},
]

[[playbooks]]
name = "daily digest"
trigger = {{ on = "schedule", every = "daily" }}
actions = [{{ type = "webhook", url = "{hook}", secret = "{SECRET}" }}]

[[playbooks]]
name = "new champions"
trigger = {{ on = "category_entered", category = "engaging" }}
actions = [
  {{ type = "in_app", template = "champion" }},
  {{ type = "webhook", url = "{hook}", secret = "{SECRET}", slack = true }},
  {{ type = "set_trait", on = "user", name = "champion", value = true }},
]

[[playbooks]]
name = "unused seats"
trigger = {{ on = "seats_pending", days = 3 }}
actions = [{{ type = "task", title = "Invite again" }}]
"#
    )
}

/// What the server should send: the evaluation of 19 October (finished)
/// and 20 October (running), as its first catch-up does, from the store.
fn expected(data: &Path, config: &Path) -> Vec<OutboxItem> {
    let text = std::fs::read_to_string(config).unwrap();
    let config = Config::from_toml(&text, Overrides::default()).unwrap();
    let settings = Settings::of(&config);
    let store = common::open(data);
    let now: chrono::DateTime<chrono::Utc> = CLOCK_START.parse().unwrap();
    let mut items: BTreeMap<String, OutboxItem> = BTreeMap::new();
    for (day, finished) in [("2026-10-19", true), ("2026-10-20", false)] {
        let e = evaluate(&store, settings, day.parse().unwrap(), now, finished).unwrap();
        for i in e.items() {
            items.entry(i.id.clone()).or_insert_with(|| i.clone());
        }
    }
    items.into_values().collect()
}

fn of<'a>(items: &'a [OutboxItem], channel: &str) -> Vec<&'a OutboxItem> {
    items.iter().filter(|i| i.channel == channel).collect()
}

/// `GET url` with an API key, as JSON.
fn api_get(url: String, key: &str) -> serde_json::Value {
    let r = client().get(url).bearer_auth(key).send().unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn start(data: &str, config: &Path) -> Server {
    Server::start_with(
        Path::new(data),
        &[
            "--config",
            config.to_str().unwrap(),
            "--clock-start",
            CLOCK_START,
        ],
    )
}

/// The small store, the receivers, and a config with `delivery` lines
/// added to `[delivery]`.
struct Setup {
    dir: tempfile::TempDir,
    data: String,
    receiver: Receiver,
    smtp: Smtp,
    config: PathBuf,
}

fn setup(behaviour: Behaviour, delivery: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = small_store(dir.path());
    let receiver = Receiver::start(behaviour);
    let smtp = Smtp::start(dir.path());
    let config = dir.path().join("tenure.toml");
    std::fs::write(&config, config_text(&receiver.url, smtp.port, delivery)).unwrap();
    Setup {
        dir,
        data,
        receiver,
        smtp,
        config,
    }
}

fn verify(hit: &Hit) {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{}.{}", hit.timestamp, hit.body).as_bytes());
    let want = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(hit.signature, want, "signature of {}", hit.key);
}

#[test]
fn the_small_preset_gets_its_emails_webhooks_messages_and_tasks_once() {
    // Each webhook fails twice before it is taken.
    let Setup {
        dir: _dir,
        data,
        receiver,
        smtp,
        config,
    } = setup(
        Behaviour {
            fail_first: 2,
            always: None,
            delay: Duration::ZERO,
        },
        "",
    );
    let write = create_key(Path::new(&data), &["--write"]);
    let admin = create_key(Path::new(&data), &["--role", "admin"]);
    let want = expected(Path::new(&data), &config);
    let (hooks, emails, in_app, tasks) = (
        of(&want, "webhook"),
        of(&want, "email"),
        of(&want, "in_app"),
        of(&want, "task"),
    );
    assert!(
        !hooks.is_empty() && !emails.is_empty() && !in_app.is_empty() && !tasks.is_empty(),
        "the small preset fires every playbook on these days: {} webhooks, {} emails, {} messages, {} tasks",
        hooks.len(),
        emails.len(),
        in_app.len(),
        tasks.len()
    );

    let server = start(&data, &config);
    let want_keys: BTreeSet<String> = hooks.iter().map(|i| i.id.clone()).collect();
    wait_for("every webhook", || {
        receiver
            .delivered()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
            == want_keys
    });
    wait_for("every email", || smtp.messages().len() >= emails.len());
    // Every webhook answered 200 exactly once, after two failures, each
    // attempt signed and carrying the body worked out beforehand.
    std::thread::sleep(Duration::from_secs(2));
    assert!(receiver.delivered().values().all(|&n| n == 1));
    for h in receiver.hits() {
        verify(&h);
        let item = hooks
            .iter()
            .find(|i| i.id == h.key)
            .expect("an expected key");
        assert_eq!(h.body, item.payload["body"].as_str().unwrap());
        let sent: i64 = h.timestamp.parse().unwrap();
        let start = CLOCK_START
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .timestamp();
        assert!((sent - start).abs() < 600, "the replayed clock: {sent}");
    }
    assert_eq!(receiver.hits().len(), 3 * hooks.len());
    let slack = receiver
        .hits()
        .into_iter()
        .find(|h| h.body.starts_with("{\"text\""))
        .expect("a Slack-format webhook");
    assert!(slack.body.contains("*new champions*: "), "{}", slack.body);

    // The emails: to the users, once each, rendered.
    let got = smtp.messages();
    assert_eq!(got.len(), emails.len(), "no email twice");
    let got_ids: BTreeSet<String> = got.iter().map(|(h, _)| h["message-id"].clone()).collect();
    let want_ids: BTreeSet<String> = emails
        .iter()
        .map(|i| format!("<{}@tenure>", i.id))
        .collect();
    assert_eq!(got_ids, want_ids);
    for (headers, body) in &got {
        let item = emails
            .iter()
            .find(|i| format!("<{}@tenure>", i.id) == headers["message-id"])
            .unwrap();
        assert_eq!(headers["to"], item.payload["to"].as_str().unwrap());
        assert_eq!(headers["from"], "tenure@vendor.test");
        assert_eq!(headers["subject"], "Your licence is waiting for you");
        assert!(
            body.contains("A licence of the platform is assigned to you"),
            "{body}"
        );
    }

    // In-app messages: the product fetches a user's unread ones with its
    // write key and marks one read.
    let c = client();
    let user = in_app[0].user_id.clone().unwrap();
    let list = |all: bool| -> serde_json::Value {
        c.get(server.url(&format!(
            "/v1/messages?user_id={user}{}",
            if all { "&all=true" } else { "" }
        )))
        .basic_auth(&write, Some(""))
        .send()
        .unwrap()
        .json()
        .unwrap()
    };
    wait_for("the in-app message", || {
        list(false)["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    });
    let m = &list(false)["messages"][0];
    assert_eq!(m["title"], "Become a champion for your team");
    let id = m["id"].as_str().unwrap().to_string();
    let read = c
        .post(server.url(&format!("/v1/messages/{id}/read?user_id={user}")))
        .basic_auth(&write, Some(""))
        .send()
        .unwrap();
    assert_eq!(read.status(), 200);
    assert!(
        list(false)["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] != id.as_str())
    );
    assert_eq!(
        list(true)["messages"].as_array().unwrap().len(),
        in_app
            .iter()
            .filter(|i| i.user_id.as_deref() == Some(&user))
            .count()
    );
    // Without the write key: 401; another user's message: 404.
    let anon = c
        .get(server.url(&format!("/v1/messages?user_id={user}")))
        .send()
        .unwrap();
    assert_eq!(anon.status(), 401);
    let other = c
        .post(server.url(&format!("/v1/messages/{id}/read?user_id=someone-else")))
        .basic_auth(&write, Some(""))
        .send()
        .unwrap();
    assert_eq!(other.status(), 404);

    // Tasks: listed, exported, closed by an admin.
    let tasks_url = |q: &str| server.url(&format!("/api/v1/tasks{q}"));
    wait_for("the tasks", || {
        let v: serde_json::Value = api_get(tasks_url(""), &admin);
        v["tasks"].as_array().unwrap().len() == tasks.len()
    });
    let csv = c
        .get(tasks_url("?format=csv"))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        csv.starts_with(
            "task_id,account_id,user_id,playbook,title,detail,owner,created_at,closed_at\n"
        ),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), tasks.len() + 1);

    // The outbox: everything delivered, nothing dead; the playbooks list.
    let outbox: serde_json::Value = api_get(server.url("/api/v1/outbox?status=delivered"), &admin);
    assert_eq!(outbox["items"].as_array().unwrap().len(), want.len());
    let playbooks: serde_json::Value = api_get(server.url("/api/v1/playbooks"), &admin);
    let dormant = &playbooks["playbooks"][0];
    assert_eq!(dormant["name"], "dormant users");
    assert_eq!(dormant["trigger_detail"], "a user becomes dormant");
    assert_eq!(
        dormant["actions"][2]["detail"],
        "task for the CSM: Check in with a dormant user"
    );
    assert_eq!(dormant["outbox"]["dead"], 0);
    assert_eq!(
        dormant["outbox"]["delivered"],
        want.iter()
            .filter(|i| i.playbook == "dormant users")
            .count() as u64
    );
    assert!(dormant["last_fired_at"].is_string(), "{dormant}");

    // The dashboard's page: the playbooks in words, the open tasks, one
    // closed from its form; its CSV is the API's.
    let http = no_redirects();
    let session = sign_in(&http, &server, &admin).unwrap();
    let (status, page) = get(&http, &server, Some(&session), "/playbooks");
    assert_eq!(status, 200, "{page}");
    for text in [
        "a user becomes dormant",
        "every day, per live account",
        "a seat stays unused 3 days after it is assigned",
        "set the user's trait champion = true",
        &format!("id=\"task-{}\"", tasks[0].id),
        &format!("/playbooks/tasks/{}/close", tasks[0].id),
        "No dead letters",
    ] {
        assert!(page.contains(text), "{text} in {page}");
    }
    let (status, to) = post(
        &http,
        &server,
        &session,
        &format!("/playbooks/tasks/{}/close", tasks[0].id),
        &[("csrf", &session.csrf)],
    );
    let done = format!("/playbooks?done=closed&task={}", tasks[0].id);
    assert_eq!((status, to.as_str()), (303, done.as_str()));
    let (_, page) = get(&http, &server, Some(&session), &to);
    assert!(
        page.contains(&format!("Task {} closed.", tasks[0].id)),
        "{page}"
    );
    assert!(
        !page.contains(&format!("id=\"task-{}\"", tasks[0].id)),
        "{page}"
    );
    // Closed from the page, closed again through the API: the first time
    // is kept.
    let closed = c
        .post(tasks_url(&format!("/{}/close", tasks[0].id)))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(closed.status(), 200);
    let (_, web_csv) = get(
        &http,
        &server,
        Some(&session),
        "/playbooks?status=all&format=csv",
    );
    let api_csv = c
        .get(tasks_url("?status=all&format=csv"))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(web_csv, api_csv);
    assert_eq!(web_csv.lines().count(), tasks.len() + 1);
    let open: serde_json::Value = api_get(tasks_url(""), &admin);
    assert_eq!(open["tasks"].as_array().unwrap().len(), tasks.len() - 1);
    assert!(server.stop().success());

    // The trait went in through the writer, once per user, as a change
    // kept in the user's history.
    let traits = of(&want, "set_trait");
    assert!(!traits.is_empty());
    let mut set: Vec<String> = common::rows(
        Path::new(&data),
        "SELECT user_id FROM user_changes WHERE field = 'champion' AND value::VARCHAR = 'true' ORDER BY user_id",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    set.dedup();
    let mut want_users: Vec<String> = traits.iter().map(|i| i.user_id.clone().unwrap()).collect();
    want_users.sort();
    assert_eq!(set, want_users);
}

#[test]
fn a_server_killed_mid_delivery_loses_nothing_on_restart() {
    // One at a time, slowly, so the kill lands mid-delivery.
    let Setup {
        dir: _dir,
        data,
        receiver,
        smtp: _smtp,
        config,
    } = setup(
        Behaviour {
            fail_first: 0,
            always: None,
            delay: Duration::from_millis(300),
        },
        "concurrency = 1",
    );
    let want: BTreeSet<String> = of(&expected(Path::new(&data), &config), "webhook")
        .iter()
        .map(|i| i.id.clone())
        .collect();
    assert!(
        want.len() >= 4,
        "enough webhooks to interrupt: {}",
        want.len()
    );
    let server = start(&data, &config);
    wait_for("a first delivery", || receiver.hits().len() >= 2);
    server.kill9();
    let before = receiver.delivered().len();
    assert!(
        before < want.len(),
        "killed before the end ({before} of {})",
        want.len()
    );
    let server = start(&data, &config);
    wait_for("every webhook after the restart", || {
        receiver
            .delivered()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
            == want
    });
    std::thread::sleep(Duration::from_secs(1));
    // At least once: only what was in flight at the kill may come twice.
    let twice = receiver.delivered().values().filter(|&&n| n > 1).count();
    assert!(twice <= 1, "{twice} keys delivered twice");
    assert!(server.stop().success());
}

#[test]
fn failures_end_as_dead_letters_with_the_last_error() {
    let Setup {
        dir: _dir,
        data,
        receiver,
        smtp: _smtp,
        config,
    } = setup(
        Behaviour {
            fail_first: 0,
            always: Some(503),
            delay: Duration::ZERO,
        },
        "max_attempts = 3",
    );
    let admin = create_key(Path::new(&data), &["--role", "admin"]);
    let hooks = of(&expected(Path::new(&data), &config), "webhook").len();
    let server = start(&data, &config);
    let c = client();
    let dead = || -> Vec<serde_json::Value> {
        let v: serde_json::Value = api_get(server.url("/api/v1/outbox?status=dead"), &admin);
        v["items"].as_array().unwrap().clone()
    };
    wait_for("the dead letters", || dead().len() == hooks);
    for item in dead() {
        assert_eq!(item["attempts"], 3);
        assert_eq!(
            item["last_error"],
            format!("HTTP 503 from {}", receiver.url).as_str()
        );
    }
    assert_eq!(
        receiver.hits().len(),
        3 * hooks,
        "three attempts each, no more"
    );

    // The dashboard lists them; an admin requeues one from the page, then
    // the rest through the API: each gets its attempts again.
    let http = no_redirects();
    let session = sign_in(&http, &server, &admin).unwrap();
    let (_, page) = get(&http, &server, Some(&session), "/playbooks");
    let items = dead();
    for item in &items {
        assert!(
            page.contains(&format!("id=\"dead-{}\"", item["id"].as_str().unwrap())),
            "{page}"
        );
    }
    assert!(page.contains(&format!("HTTP 503 from {}", receiver.url)));
    let first = items[0]["id"].as_str().unwrap();
    let (status, to) = post(
        &http,
        &server,
        &session,
        &format!("/playbooks/outbox/{first}/retry"),
        &[("csrf", &session.csrf)],
    );
    assert_eq!((status, to.as_str()), (303, "/playbooks?done=1#dead"));
    wait_for("the requeued item's attempts", || {
        receiver.hits().len() == 3 * hooks + 3 && dead().len() == hooks
    });
    let all: serde_json::Value = c
        .post(server.url("/api/v1/outbox/retry"))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(all["requeued"], hooks as u64);
    wait_for("every requeued item's attempts", || {
        receiver.hits().len() == 6 * hooks + 3 && dead().len() == hooks
    });
    let gone = c
        .post(server.url("/api/v1/outbox/nonesuch/retry"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(gone.status(), 404);
    let bad = c
        .get(server.url("/api/v1/outbox?status=lost"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(server.stop().success());
    assert_eq!(
        common::count(
            Path::new(&data),
            "SELECT count(*) FROM playbook_audit WHERE event = 'requeued'"
        ),
        hooks as i64 + 1
    );
}

#[test]
fn a_rate_limit_spaces_its_channel_and_holds_up_no_other() {
    let Setup {
        dir: _dir,
        data,
        receiver,
        smtp: _smtp,
        config,
    } = setup(
        Behaviour {
            fail_first: 0,
            always: None,
            delay: Duration::ZERO,
        },
        "rate_limits = { webhook = \"5/second\", in_app = \"1/hour\" }",
    );
    let admin = create_key(Path::new(&data), &["--role", "admin"]);
    let in_app = of(&expected(Path::new(&data), &config), "in_app").len();
    assert!(
        in_app >= 2,
        "more messages than the limit lets out: {in_app}"
    );
    let hooks = of(&expected(Path::new(&data), &config), "webhook").len();
    assert!(hooks >= 20, "enough webhooks to see the limit: {hooks}");
    let server = start(&data, &config);
    wait_for("every webhook", || receiver.delivered().len() == hooks);
    let hits = receiver.hits();
    let first = hits.iter().map(|h| h.at).min().unwrap();
    let last = hits.iter().map(|h| h.at).max().unwrap();
    // A burst of 5, then one every 200 ms.
    let least = Duration::from_millis(200 * (hooks as u64 - 5)) - Duration::from_millis(200);
    assert!(
        last - first >= least,
        "{hooks} webhooks in {:?}, at least {least:?} under 5/second",
        last - first
    );
    // After the first burst, never 6 within a second.
    let mut at: Vec<Instant> = hits.iter().map(|h| h.at).collect();
    at.sort();
    for w in at[5..].windows(6) {
        assert!(
            w[5] - w[0] >= Duration::from_millis(900),
            "6 within {:?}",
            w[5] - w[0]
        );
    }
    // The in-app channel, at its limit for the hour, held its items back
    // without holding up the webhooks: one message out, the rest pending.
    let pending: serde_json::Value = api_get(server.url("/api/v1/outbox?status=pending"), &admin);
    let pending = pending["items"].as_array().unwrap();
    assert_eq!(pending.len(), in_app - 1);
    assert!(
        pending
            .iter()
            .all(|i| i["channel"] == "in_app" && i["attempts"] == 0)
    );
    assert!(server.stop().success());
}

#[test]
fn the_dry_run_shows_what_would_fire_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = small_store(dir.path());
    let config = dir.path().join("tenure.toml");
    std::fs::write(&config, config_text("http://127.0.0.1:9/hook", 2525, "")).unwrap();
    let want = expected(Path::new(&data), &config);
    let (ok, out, err) = tenure(&[
        "playbooks",
        "dry-run",
        "--data",
        &data,
        "--config",
        config.to_str().unwrap(),
        "--day",
        "2026-10-19",
        "--format",
        "csv",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("playbook,trigger,account_id,user_id,occurrence,decision,why,actions\n"),
        "{out}"
    );
    let fired = out.lines().filter(|l| l.contains(",fired,")).count();
    assert!(fired > 0, "{out}");
    assert!(out.contains("webhook http://127.0.0.1:9/hook"), "{out}");
    assert!(err.contains("nothing sent or kept"), "{err}");
    // As many occurrences as the evaluation finds for that day, and not a
    // line of it kept.
    let day19 = want
        .iter()
        .filter(|i| i.occurrence.starts_with("2026-10-19"))
        .count();
    assert!(day19 >= fired, "{day19} items for {fired} occurrences");
    assert_eq!(
        common::count(Path::new(&data), "SELECT count(*) FROM outbox"),
        0
    );
    assert_eq!(
        common::count(Path::new(&data), "SELECT count(*) FROM playbook_audit"),
        0
    );
    // A bad day names the flag.
    let (ok, _, err) = tenure(&[
        "playbooks",
        "dry-run",
        "--data",
        &data,
        "--config",
        config.to_str().unwrap(),
        "--day",
        "2999-01-01",
    ]);
    assert!(!ok);
    assert!(err.contains("--day"), "{err}");
}

/// The evaluation reads only the users who can have moved; on the small
/// preset, over two months of days, they are exactly the users whose
/// 30-day counts, achievements or pending seats a full recomputation over
/// every user finds changed, with the same counts.
#[test]
fn the_movers_are_exactly_the_users_a_full_recomputation_finds() {
    use chrono::{Days, NaiveDate};
    use std::collections::BTreeMap;
    use tenure_core::report::Period;
    use tenure_store::{Scope, Store};

    let dir = tempfile::tempdir().unwrap();
    let data = small_store(dir.path());
    let store = common::open(Path::new(&data));
    let config = Config::from_toml("", Overrides::default()).unwrap();
    let reports = &config.reports;
    let everyone = Scope {
        all_users: true,
        ..Scope::default()
    };
    let window = |to: NaiveDate| Period {
        from: to - Days::new(29),
        to,
    };
    let (mut moved, mut levelled, mut pending) = (0, 0, 0);
    let first: NaiveDate = "2026-09-01".parse().unwrap();
    for day in first.iter_days().take(61) {
        let yesterday = day - Days::new(1);
        // Categories: every licensed user's counts on both days.
        let full = |d: NaiveDate| -> BTreeMap<String, _> {
            store
                .user_activity(window(d), &Scope::default())
                .unwrap()
                .into_iter()
                .map(|u| (u.user_id, u.counts))
                .collect()
        };
        let (now, was) = (full(day), full(yesterday));
        let want: BTreeMap<String, _> = now
            .iter()
            .filter_map(|(u, c)| {
                let before = was.get(u)?;
                (before != c).then(|| (u.clone(), (*c, *before)))
            })
            .collect();
        let got: BTreeMap<String, _> = store
            .activity_moves(day, 30)
            .unwrap()
            .into_iter()
            .map(|m| (m.user_id, (m.now, m.before)))
            .collect();
        for (user, counts) in &got {
            assert_eq!(now.get(user), Some(&counts.0), "{day} {user} now");
            assert_eq!(was.get(user), Some(&counts.1), "{day} {user} before");
        }
        let changed: BTreeMap<_, _> = got.into_iter().filter(|(_, (n, b))| n != b).collect();
        assert_eq!(changed, want, "{day}");
        moved += want
            .values()
            .filter(|(n, b)| reports.category(n) != reports.category(b))
            .count();

        // Achievements: licensed users at the day's end, against every
        // user's the day before.
        let done = |d: NaiveDate, scope: &Scope| -> BTreeMap<String, u64> {
            store
                .user_achievements(d, scope, &reports.achievements)
                .unwrap()
                .into_iter()
                .map(|(u, _, n)| (u, n))
                .collect()
        };
        let (now, was) = (done(day, &Scope::default()), done(yesterday, &everyone));
        let want: BTreeMap<String, (u64, u64)> = now
            .iter()
            .map(|(u, n)| (u.clone(), (*n, was.get(u).copied().unwrap_or(0))))
            .filter(|(_, (n, b))| n != b)
            .collect();
        let got: BTreeMap<String, (u64, u64)> = store
            .achievement_moves(day, &reports.achievements)
            .unwrap()
            .into_iter()
            .map(|m| (m.user_id, (m.now, m.before)))
            .filter(|(_, (n, b))| n != b)
            .collect();
        assert_eq!(got, want, "{day}");
        levelled += want.len();

        // Pending seats: licensed, assigned exactly 3 days before, never
        // active.
        let assigned_on = day - Days::new(3);
        let is_pending = |u: &tenure_store::UserActivity| {
            u.licensed
                && u.last_active_at.is_none()
                && u.seat_assigned_at.map(|t| t.date_naive()) == Some(assigned_on)
        };
        let want: Vec<String> = store
            .user_activity(window(day), &Scope::default())
            .unwrap()
            .into_iter()
            .filter(is_pending)
            .map(|u| u.user_id)
            .collect();
        let ids = store.seats_assigned_on(assigned_on).unwrap();
        let mut got: Vec<String> = store
            .user_activity_of(Period { from: day, to: day }, &ids)
            .unwrap()
            .into_iter()
            .filter(is_pending)
            .map(|u| u.user_id)
            .collect();
        let mut want = want;
        want.sort();
        got.sort();
        assert_eq!(got, want, "{day}");
        pending += want.len();
    }
    assert!(
        moved > 20 && levelled > 20 && pending > 0,
        "enough changes to compare: {moved} category moves, {levelled} achievement changes, {pending} pending seats"
    );
}

/// `tenure models score` keeps each day's scores of the models asked for
/// (the same as scoring on the spot), and a `score_crossed` playbook
/// compares the kept scores of the day and the day before.
#[test]
fn score_crossed_compares_the_kept_scores() {
    use tenure_store::Store;

    let dir = tempfile::tempdir().unwrap();
    let data = small_store(dir.path());
    let config_path = dir.path().join("tenure.toml");
    std::fs::write(
        &config_path,
        r#"
[[playbooks]]
name = "churn risk"
trigger = { on = "score_crossed", model = "churn", above = 0.5 }
actions = [{ type = "task", title = "Call them" }]
"#,
    )
    .unwrap();
    let cfg = config_path.to_str().unwrap();
    for day in ["2026-10-19", "2026-10-20"] {
        let (ok, _, err) = tenure(&[
            "models", "train", "--data", &data, "--config", cfg, "--as-of", day,
        ]);
        assert!(ok, "{err}");
    }
    let (ok, _, err) = tenure(&[
        "models",
        "score",
        "--data",
        &data,
        "--config",
        cfg,
        "--from",
        "2026-10-19",
        "--to",
        "2026-10-20",
        "--model",
        "churn",
    ]);
    assert!(ok, "{err}");
    assert!(
        err.contains("kept for 2 of 2 days") && err.contains("churn"),
        "{err}"
    );
    let (bad, _, err) = tenure(&["models", "score", "--data", &data, "--model", "luck"]);
    assert!(!bad && err.contains("model"), "{err}");

    let text = std::fs::read_to_string(&config_path).unwrap();
    let config = Config::from_toml(&text, Overrides::default()).unwrap();
    let day: chrono::NaiveDate = "2026-10-20".parse().unwrap();
    // The kept scores are the scores.
    let (ok, out, err) = tenure(&[
        "report",
        "scores",
        "--data",
        &data,
        "--as-of",
        "2026-10-20",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let report: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let churn: Vec<&serde_json::Value> = report.iter().filter(|r| r["model"] == "churn").collect();
    let store = common::open(Path::new(&data));
    let kept = store.scores_on(day, None).unwrap();
    assert!(
        kept.len() >= 10 && kept.iter().all(|r| r.model == "churn"),
        "{kept:?}"
    );
    assert_eq!(churn.len(), kept.len());
    for r in &kept {
        let row = churn
            .iter()
            .find(|c| c["account_id"] == r.account_id.as_str())
            .unwrap();
        assert_eq!(row["score"].as_f64(), Some(r.score), "{row}");
    }

    // The kept scores' crossings are those of scores computed on the spot.
    let at = tenure_core::report::end_of_day(day).and_utc();
    let occurrences = |e: &tenure_reports::playbooks::Evaluation| -> Vec<String> {
        e.items()
            .map(|i| format!("{:?} {}", i.account_id, i.occurrence))
            .collect()
    };
    // A threshold some account crosses: halfway between its two scores.
    let was_day = store
        .scores_on(day - chrono::Days::new(1), Some("churn"))
        .unwrap();
    let (moved, from) = kept
        .iter()
        .find_map(|r| {
            let b = was_day.iter().find(|w| w.account_id == r.account_id)?;
            ((b.score - r.score).abs() > 1e-3).then_some((r, b.score))
        })
        .expect("a churn score that changed");
    let (threshold, way) = (
        (from + moved.score) / 2.0,
        if moved.score > from { "above" } else { "below" },
    );
    let crossing = Config::from_toml(
        &format!(
            "[[playbooks]]\nname = \"crossing\"\ntrigger = {{ on = \"score_crossed\", model = \"churn\", {way} = {threshold} }}\nactions = [{{ type = \"task\", title = \"Look\" }}]\n"
        ),
        Overrides::default(),
    )
    .unwrap();
    let with_kept = evaluate(&store, Settings::of(&crossing), day, at, true).unwrap();
    store
        .execute("CREATE TABLE kept_copy AS SELECT * FROM scores_daily; DELETE FROM scores_daily")
        .unwrap();
    let computed = evaluate(&store, Settings::of(&crossing), day, at, true).unwrap();
    assert!(!occurrences(&with_kept).is_empty());
    assert_eq!(occurrences(&with_kept), occurrences(&computed));
    store
        .execute("INSERT INTO scores_daily SELECT * FROM kept_copy; DROP TABLE kept_copy")
        .unwrap();

    // Make one account cross: 0.1 the day before, 0.9 on the day.
    let account = kept[0].account_id.clone();
    store
        .execute(&format!(
            "UPDATE scores_daily SET score = CASE WHEN day = DATE '2026-10-19' THEN 0.1 ELSE 0.9 END
             WHERE account_id = '{account}'"
        ))
        .unwrap();
    let e = evaluate(&store, Settings::of(&config), day, at, true).unwrap();
    let fired: Vec<_> = e.items().map(|i| i.account_id.clone().unwrap()).collect();
    assert!(fired.contains(&account), "{fired:?}");
    // Every firing is a crossing of the kept scores.
    let before = store
        .scores_on(day - chrono::Days::new(1), Some("churn"))
        .unwrap();
    let now = store.scores_on(day, Some("churn")).unwrap();
    let score = |rows: &[tenure_store::ScoreRow], a: &str| {
        rows.iter().find(|r| r.account_id == a).map(|r| r.score)
    };
    for a in &fired {
        let (b, n) = (score(&before, a).unwrap(), score(&now, a).unwrap());
        assert!(b < 0.5 && n >= 0.5, "{a}: {b} to {n}");
    }
    let crossings = now
        .iter()
        .filter(|r| score(&before, &r.account_id).is_some_and(|b| b < 0.5) && r.score >= 0.5)
        .count();
    assert_eq!(fired.len(), crossings);

    // One day's scoring from one read (the daily work's) keeps what the
    // health and the scores keep each on their own, and the kept scores of
    // every model, the user models' too, are the report's.
    let mut store = store;
    let reports = &config.reports;
    let models: Vec<String> = tenure_core::models::MODELS
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    let health = |s: &tenure_store::DuckStore| {
        s.strings(
            "SELECT account_id, score, band, profile, components FROM health_daily
             WHERE day = DATE '2026-10-20' ORDER BY ALL",
        )
        .unwrap()
    };
    let scores = |s: &tenure_store::DuckStore| {
        s.strings(
            "SELECT account_id, user_id, model, score FROM scores_daily
             WHERE day = DATE '2026-10-20' ORDER BY ALL",
        )
        .unwrap()
    };
    tenure_reports::keep_health_days(&mut store, reports, day, day).unwrap();
    tenure_reports::keep_score_days(&mut store, reports, &models, day, day).unwrap();
    let (each_health, each_scores) = (health(&store), scores(&store));
    store
        .execute("DELETE FROM health_daily WHERE day = DATE '2026-10-20'; DELETE FROM scores_daily")
        .unwrap();
    let kept_day = tenure_reports::keep_day(&mut store, reports, day, &models).unwrap();
    assert_eq!(kept_day.health, each_health.len());
    assert_eq!(kept_day.scores, each_scores.len());
    assert_eq!(health(&store), each_health);
    assert_eq!(scores(&store), each_scores);
    assert_eq!(each_scores.len(), report.len());
    assert!(
        each_scores.iter().any(|r| r[1] != "NULL"),
        "user models kept"
    );
    for r in store.scores_on(day, None).unwrap() {
        let row = report
            .iter()
            .find(|c| {
                c["account_id"] == r.account_id.as_str()
                    && c["model"] == r.model.as_str()
                    && c["user_id"].as_str() == r.user_id.as_deref()
            })
            .unwrap_or_else(|| panic!("{r:?} is in the report"));
        assert_eq!(row["score"].as_f64(), Some(r.score), "{row}");
    }
}
