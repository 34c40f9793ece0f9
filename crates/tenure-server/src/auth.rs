//! Who is calling: Segment write keys (HTTP Basic user name, or `writeKey`
//! in the body) and API keys (`Authorization: Bearer KEY`).
//!
//! Keys are cached by hash; an unknown key reloads the cache at most once a
//! second, so keys created while the server runs are seen without letting
//! a flood of bad keys hammer the store.

use crate::keys::hash_secret;
use crate::{ApiError, AppState};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};
use tenure_core::{KeyInfo, Role};
use tenure_store::{Store, StoreError};

const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(1);

pub struct KeyCache {
    by_hash: RwLock<HashMap<String, KeyInfo>>,
    last_reload: Mutex<Instant>,
}

impl KeyCache {
    pub fn load(store: &dyn Store) -> Result<Self, StoreError> {
        Ok(Self {
            by_hash: RwLock::new(store.live_keys()?.into_iter().collect()),
            last_reload: Mutex::new(Instant::now()),
        })
    }

    pub fn len(&self) -> usize {
        self.by_hash.read().expect("key cache lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live key whose secret has this hash (the cache only: a key
    /// created after the last reload is not seen until the next one).
    pub fn by_hash(&self, hash: &str) -> Option<KeyInfo> {
        self.by_hash
            .read()
            .expect("key cache lock")
            .get(hash)
            .cloned()
    }

    /// The live key with this secret, if any.
    pub fn lookup(&self, state: &AppState, secret: &str) -> Result<Option<KeyInfo>, ApiError> {
        let hash = hash_secret(secret);
        if let Some(key) = self.by_hash.read().expect("key cache lock").get(&hash) {
            return Ok(Some(key.clone()));
        }
        {
            let mut last = self.last_reload.lock().expect("key reload lock");
            if last.elapsed() < RELOAD_AT_MOST_EVERY {
                return Ok(None);
            }
            *last = Instant::now();
        }
        self.reload(state)?;
        Ok(self
            .by_hash
            .read()
            .expect("key cache lock")
            .get(&hash)
            .cloned())
    }

    /// Reads the live keys again (after a key is created or revoked).
    pub fn reload(&self, state: &AppState) -> Result<(), ApiError> {
        let live = state
            .reader
            .lock()
            .expect("reader lock")
            .live_keys()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        *self.by_hash.write().expect("key cache lock") = live.into_iter().collect();
        Ok(())
    }
}

/// The write key from `Authorization: Basic base64(key:)`, if present.
pub fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split(':').next().unwrap_or("");
    (!user.is_empty()).then(|| user.to_string())
}

/// The API key from `Authorization: Bearer KEY`, if present.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Checks a Segment write key (admin keys may write too).
pub fn check_write_key(state: &AppState, key: Option<&str>) -> Result<KeyInfo, ApiError> {
    let key = key.ok_or_else(|| {
        ApiError::Unauthorized("a write key is required: HTTP Basic auth with the key as user name, or writeKey in the body".into())
    })?;
    match state.keys.lookup(state, key)? {
        Some(info) if matches!(info.role, Role::Write | Role::Admin) => Ok(info),
        _ => Err(ApiError::Unauthorized("the write key is not valid".into())),
    }
}

/// Checks an API key that may read everything (admin or viewer).
/// A key that may read usage reports: admin and viewer keys (every
/// account) and account-admin keys (their own account; the caller narrows
/// the report to it).
pub fn require_report_reader(state: &AppState, headers: &HeaderMap) -> Result<KeyInfo, ApiError> {
    let key = bearer(headers).ok_or_else(|| {
        ApiError::Unauthorized("an API key is required: Authorization: Bearer KEY".into())
    })?;
    match state.keys.lookup(state, &key)? {
        Some(info) if info.role.reads_reports() => Ok(info),
        Some(info) => Err(ApiError::Forbidden(format!(
            "a {} key cannot read reports",
            info.role.as_str()
        ))),
        None => Err(ApiError::Unauthorized("the API key is not valid".into())),
    }
}

pub fn require_reader(state: &AppState, headers: &HeaderMap) -> Result<KeyInfo, ApiError> {
    let key = bearer(headers).ok_or_else(|| {
        ApiError::Unauthorized("an API key is required: Authorization: Bearer KEY".into())
    })?;
    match state.keys.lookup(state, &key)? {
        Some(info) if info.role.can_read_all() => Ok(info),
        Some(info) => Err(ApiError::Forbidden(format!(
            "a {} key cannot read this",
            info.role.as_str()
        ))),
        None => Err(ApiError::Unauthorized("the API key is not valid".into())),
    }
}
