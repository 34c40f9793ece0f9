//! Dashboard sessions: signing in with an API key gives a random session
//! id in an HttpOnly, SameSite=Strict cookie; the server keeps, per id,
//! the key's hash (so a revoked key ends its sessions), an anti-forgery
//! token for the session's forms, and the expiry. Sessions live in memory:
//! a restart signs everyone out. Failed sign-ins are limited per client
//! address.

use rand::RngCore;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie, and the cookie that carries the sign-in form's
/// anti-forgery token before there is a session.
pub const COOKIE: &str = "tenure_session";
pub const SIGNIN_COOKIE: &str = "tenure_signin";

/// Most sessions kept at once (the oldest go first beyond it).
const MAX_SESSIONS: usize = 10_000;

/// 32 random bytes, hex: a session id or a token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Equal strings, compared in time that does not depend on where they
/// differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[derive(Debug, Clone)]
pub struct Session {
    /// The hash of the key signed in with.
    pub key_hash: String,
    /// The token every form of the session carries.
    pub csrf: String,
    pub expires: Instant,
}

pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
    ttl: Duration,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    limit: u32,
    window: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    since: Instant,
    count: u32,
}

impl Sessions {
    /// Sessions that last `ttl`; at most `limit` failed sign-ins per
    /// client address per `window`.
    pub fn new(ttl: Duration, limit: u32, window: Duration) -> Self {
        Self {
            live: Mutex::new(HashMap::new()),
            ttl,
            failures: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new session for the key with this hash: its id.
    pub fn start(&self, key_hash: String) -> String {
        let id = random_token();
        let mut live = self.live.lock().expect("sessions lock");
        let now = Instant::now();
        live.retain(|_, s| s.expires > now);
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(id, _)| id.clone())
        {
            live.remove(&oldest);
        }
        live.insert(
            id.clone(),
            Session {
                key_hash,
                csrf: random_token(),
                expires: now + self.ttl,
            },
        );
        id
    }

    /// The live session with this id (an expired one is dropped).
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock().expect("sessions lock");
        match live.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                live.remove(id);
                None
            }
            None => None,
        }
    }

    pub fn end(&self, id: &str) {
        self.live.lock().expect("sessions lock").remove(id);
    }

    /// Whether `ip` may try to sign in now: `Err(seconds to wait)` once it
    /// has failed `limit` times in the window.
    pub fn may_try(&self, ip: IpAddr) -> Result<(), u64> {
        let failures = self.failures.lock().expect("failures lock");
        match failures.get(&ip) {
            Some(f) if f.count >= self.limit && f.since.elapsed() < self.window => {
                Err((self.window - f.since.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let mut failures = self.failures.lock().expect("failures lock");
        let window = self.window;
        failures.retain(|_, f| f.since.elapsed() < window);
        let f = failures.entry(ip).or_insert(Failures {
            since: Instant::now(),
            count: 0,
        });
        f.count += 1;
    }

    /// Forgets `ip`'s failures (after it signs in).
    pub fn succeeded(&self, ip: IpAddr) {
        self.failures.lock().expect("failures lock").remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_end() {
        let s = Sessions::new(Duration::from_millis(50), 3, Duration::from_secs(60));
        let id = s.start("h".into());
        let got = s.get(&id).unwrap();
        assert_eq!(got.key_hash, "h");
        assert_eq!(got.csrf.len(), 64);
        assert!(s.get("nope").is_none());
        s.end(&id);
        assert!(s.get(&id).is_none());
        let id = s.start("h".into());
        std::thread::sleep(Duration::from_millis(60));
        assert!(s.get(&id).is_none(), "expired");
    }

    #[test]
    fn failed_sign_ins_are_limited_per_address() {
        let s = Sessions::new(Duration::from_secs(60), 3, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(s.may_try(a).is_ok());
            s.failed(a);
        }
        let wait = s.may_try(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(s.may_try(b).is_ok());
        s.succeeded(a);
        assert!(s.may_try(a).is_ok());
    }

    #[test]
    fn tokens_compare_fully() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_ne!(random_token(), random_token());
    }
}
