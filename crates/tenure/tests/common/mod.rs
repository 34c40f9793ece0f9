//! Shared helpers for the end-to-end tests: a real `tenure` binary, a real
//! DuckDB file in a temp dir, a real server on 127.0.0.1 port 0.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub mod web;

pub const BIN: &str = env!("CARGO_BIN_EXE_tenure");

/// Runs `tenure ARGS`, returning (status ok, stdout, stderr).
pub fn tenure(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("TENURE_DATA")
        .env_remove("TENURE_CONFIG")
        .output()
        .expect("the tenure binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Creates a key and returns its secret (the last line of stdout).
pub fn create_key(data: &Path, role_args: &[&str]) -> String {
    let mut args = vec!["keys", "create", "--data", data.to_str().unwrap()];
    args.extend_from_slice(role_args);
    let (ok, out, err) = tenure(&args);
    assert!(ok, "keys create failed: {err}");
    out.lines()
        .last()
        .expect("a secret line")
        .trim()
        .to_string()
}

/// A running `tenure serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
}

impl Server {
    pub fn start(data: &Path) -> Self {
        Self::start_with(data, &[])
    }

    pub fn start_with(data: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--data",
                data.to_str().unwrap(),
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
            .expect("tenure serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a first line");
        let base = line
            .trim()
            .strip_prefix("tenure listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Self {
            child,
            base,
            data: data.to_path_buf(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        let status = self.child.wait().expect("the server exits");
        std::mem::forget(self);
        status
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
        std::mem::forget(self);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
}

/// Opens the store (after the server stopped) as the CLI does: applying
/// what the ingest journal holds beyond it first.
pub fn open(data: &Path) -> tenure_store::DuckStore {
    let mut store = tenure_store::DuckStore::open(data).expect("the store opens");
    let journal = data.join("journal");
    if journal.exists() {
        tenure_ingest::writer::recover(&mut store, &journal).expect("the journal applies");
    }
    store
}

/// Opens the store and runs a count query.
pub fn count(data: &Path, sql: &str) -> i64 {
    open(data).count(sql).expect("the query runs")
}

/// Opens the store and reads rows of strings (NULL as "NULL").
pub fn rows(data: &Path, sql: &str) -> Vec<Vec<String>> {
    open(data).strings(sql).expect("the query runs")
}

/// The small preset (seed 1) imported into a fresh store.
pub fn small_store(dir: &Path) -> String {
    let gen_dir = dir.join("gen");
    let g = gen_dir.to_str().unwrap();
    let (ok, _, err) = tenure(&["gen", "--preset", "small", "--seed", "1", "--out", g]);
    assert!(ok, "{err}");
    let data = dir.join("data");
    let d = data.to_str().unwrap().to_string();
    for (what, file) in [
        ("accounts", "accounts.csv"),
        ("users", "users.csv"),
        ("events", "events.jsonl.gz"),
    ] {
        let (ok, _, err) = tenure(&[
            "import",
            what,
            "--data",
            &d,
            gen_dir.join(file).to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
    }
    d
}

/// The small store with alerts evaluated for its last month, keys made
/// with each of `keys`' arguments, and a server on it that does not score
/// days in the background.
pub fn dashboard_server(dir: &Path, web: &str, keys: &[&[&str]]) -> (String, Server, Vec<String>) {
    let d = small_store(dir);
    let (ok, _, err) = tenure(&[
        "alerts",
        "evaluate",
        "--data",
        &d,
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
    ]);
    assert!(ok, "{err}");
    let keys = keys.iter().map(|k| create_key(Path::new(&d), k)).collect();
    let config = dir.join("tenure.toml");
    std::fs::write(&config, format!("[health]\nbackfill_days = 0\n{web}")).unwrap();
    let server = Server::start_with(Path::new(&d), &["--config", config.to_str().unwrap()]);
    (d, server, keys)
}
