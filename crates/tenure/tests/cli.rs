//! The command line: help on every subcommand, config precedence and errors.

mod common;

use common::{create_key, tenure};

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["import", "--help"],
        vec!["import", "events", "--help"],
        vec!["import", "accounts", "--help"],
        vec!["import", "users", "--help"],
        vec!["keys", "--help"],
        vec!["keys", "create", "--help"],
        vec!["keys", "list", "--help"],
        vec!["keys", "revoke", "--help"],
        vec!["stats", "--help"],
    ] {
        let (ok, out, err) = tenure(&args);
        assert!(ok, "{args:?}: {err}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
}

#[test]
fn unknown_config_keys_name_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tenure.toml");
    std::fs::write(&config, "[ingest]\nmax_batch_byte = 10\n").unwrap();
    let (ok, _, err) = tenure(&[
        "stats",
        "--config",
        config.to_str().unwrap(),
        "--data",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("max_batch_byte"), "{err}");
    assert!(err.contains("tenure.toml"), "{err}");
}

#[test]
fn keys_are_shown_once_stored_hashed_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let secret = create_key(dir.path(), &["--role", "viewer", "--label", "ops"]);
    assert!(secret.starts_with("tnr_k_"), "{secret}");
    let (ok, out, _) = tenure(&["keys", "list", "--data", d, "--format", "json"]);
    assert!(ok);
    assert!(!out.contains(&secret), "the secret is never listed");
    let keys: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = keys[0]["id"].as_str().unwrap().to_string();
    assert_eq!(keys[0]["role"], "viewer");
    assert_eq!(
        common::count(
            dir.path(),
            &format!("SELECT count(*) FROM keys WHERE hash = '{secret}'")
        ),
        0
    );
    let (ok, _, err) = tenure(&["keys", "create", "--data", d, "--role", "account-admin"]);
    assert!(!ok, "account-admin needs --account");
    assert!(err.contains("--account"), "{err}");
    let (ok, out, _) = tenure(&["keys", "revoke", "--data", d, &id]);
    assert!(ok, "{out}");
    let (ok, _, err) = tenure(&["keys", "revoke", "--data", d, &id]);
    assert!(!ok);
    assert!(err.contains("no live key"), "{err}");
}
