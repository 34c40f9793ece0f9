//! How playbook actions are delivered, as pure functions: the webhook
//! signature, the idempotency key of an action, the retry schedule, and
//! `[delivery]` (attempts, backoff, rate limits, SMTP). The outbox and the
//! senders use them; nothing here does I/O.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::Duration;

/// The channels an outbox item goes out on (an action's `type`).
pub const CHANNELS: [&str; 5] = ["webhook", "email", "in_app", "task", "set_trait"];

/// How actions are delivered, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// Attempts before an item becomes a dead letter (`max_attempts`,
    /// default 8, 1 to 100).
    pub max_attempts: u32,
    /// The wait before the first retry, doubled after each (`backoff_secs`,
    /// default 30) up to `backoff_cap_secs` (default 3,600).
    pub backoff: Duration,
    pub backoff_cap: Duration,
    /// Items sent at once (`concurrency`, default 32, 1 to 1,000).
    pub concurrency: usize,
    /// How long a webhook or SMTP exchange may take (`timeout_secs`,
    /// default 10).
    pub timeout: Duration,
    /// Per channel, at most this many items per period
    /// (`rate_limits = { email = "60/minute" }`; none by default).
    pub rate_limits: BTreeMap<String, RateLimit>,
    /// `[delivery.smtp]`: where emails go (none: email actions are an
    /// error at start-up).
    pub smtp: Option<Smtp>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(3600),
            concurrency: 32,
            timeout: Duration::from_secs(10),
            rate_limits: BTreeMap::new(),
            smtp: None,
        }
    }
}

/// At most `count` items per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub count: u32,
    pub per: Duration,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same host or network).
    None,
    /// STARTTLS on the plain port (587).
    StartTls,
    /// TLS from the start (465).
    Tls,
}

/// `[delivery.smtp]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    /// The sender address.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub security: SmtpSecurity,
}

/// `[delivery]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveryFile {
    max_attempts: Option<u32>,
    backoff_secs: Option<u64>,
    backoff_cap_secs: Option<u64>,
    concurrency: Option<usize>,
    timeout_secs: Option<u64>,
    #[serde(default)]
    rate_limits: BTreeMap<String, String>,
    smtp: Option<SmtpFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpFile {
    host: String,
    port: Option<u16>,
    from: String,
    username: Option<String>,
    password: Option<String>,
    security: Option<String>,
}

fn within<T: PartialOrd + std::fmt::Display>(key: &str, v: T, lo: T, hi: T) -> Result<T, String> {
    if v < lo || v > hi {
        return Err(format!("delivery.{key}: {v} is outside {lo} to {hi}"));
    }
    Ok(v)
}

/// `"60/minute"`: a count, a slash, and second, minute or hour.
fn rate_limit(key: &str, text: &str) -> Result<RateLimit, String> {
    let bad = || {
        format!(
            "delivery.rate_limits.{key}: {text:?} is not like \"60/minute\" (per second, minute or hour)"
        )
    };
    let (count, per) = text.split_once('/').ok_or_else(bad)?;
    let count: u32 = count.trim().parse().map_err(|_| bad())?;
    let per = match per.trim() {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        _ => return Err(bad()),
    };
    if count == 0 {
        return Err(format!(
            "delivery.rate_limits.{key}: the count must be above 0"
        ));
    }
    Ok(RateLimit {
        count,
        per: Duration::from_secs(per),
    })
}

impl DeliveryFile {
    pub(crate) fn build(&self) -> Result<DeliveryConfig, String> {
        let d = DeliveryConfig::default();
        let backoff = within("backoff_secs", self.backoff_secs.unwrap_or(30), 1, 86_400)?;
        let cap = within(
            "backoff_cap_secs",
            self.backoff_cap_secs.unwrap_or(3600),
            1,
            7 * 86_400,
        )?;
        if cap < backoff {
            return Err("delivery.backoff_cap_secs: below backoff_secs".into());
        }
        let mut rate_limits = BTreeMap::new();
        for (channel, text) in &self.rate_limits {
            if !CHANNELS.contains(&channel.as_str()) {
                return Err(format!(
                    "delivery.rate_limits.{channel}: not a channel ({})",
                    CHANNELS.join(", ")
                ));
            }
            rate_limits.insert(channel.clone(), rate_limit(channel, text)?);
        }
        let smtp = match &self.smtp {
            None => None,
            Some(f) => {
                let security = match f.security.as_deref().unwrap_or("none") {
                    "none" => SmtpSecurity::None,
                    "starttls" => SmtpSecurity::StartTls,
                    "tls" => SmtpSecurity::Tls,
                    other => {
                        return Err(format!(
                            "delivery.smtp.security: {other:?} is not none, starttls or tls"
                        ));
                    }
                };
                if f.host.trim().is_empty() {
                    return Err("delivery.smtp.host: must not be empty".into());
                }
                if !f.from.contains('@') {
                    return Err(format!(
                        "delivery.smtp.from: {:?} is not an address",
                        f.from
                    ));
                }
                if f.username.is_some() != f.password.is_some() {
                    return Err("delivery.smtp: give both username and password, or neither".into());
                }
                let port = f.port.unwrap_or(match security {
                    SmtpSecurity::None => 25,
                    SmtpSecurity::StartTls => 587,
                    SmtpSecurity::Tls => 465,
                });
                Some(Smtp {
                    host: f.host.clone(),
                    port,
                    from: f.from.clone(),
                    username: f.username.clone(),
                    password: f.password.clone(),
                    security,
                })
            }
        };
        Ok(DeliveryConfig {
            max_attempts: within(
                "max_attempts",
                self.max_attempts.unwrap_or(d.max_attempts),
                1,
                100,
            )?,
            backoff: Duration::from_secs(backoff),
            backoff_cap: Duration::from_secs(cap),
            concurrency: within(
                "concurrency",
                self.concurrency.unwrap_or(d.concurrency),
                1,
                1000,
            )?,
            timeout: Duration::from_secs(within(
                "timeout_secs",
                self.timeout_secs.unwrap_or(10),
                1,
                600,
            )?),
            rate_limits,
            smtp,
        })
    }
}

/// `Tenure-Signature` of a webhook: `v1=` and the hex HMAC-SHA256 of
/// `"{timestamp}.{body}"` keyed with the webhook's secret. A receiver
/// recomputes it from the `Tenure-Timestamp` header and the raw body.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The `Idempotency-Key` of one action of one trigger occurrence: the
/// same for every retry of it, different for anything else. `occurrence`
/// names the occurrence (e.g. the day a user entered a category).
pub fn idempotency_key(playbook: &str, action: usize, subject: &str, occurrence: &str) -> String {
    let mut h = Sha256::new();
    for part in [playbook, &action.to_string(), subject, occurrence] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

/// How long to wait before attempt `attempt` (2 is the first retry):
/// `base` doubled each time, at most `cap`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let doublings = attempt.saturating_sub(2).min(30);
    base.saturating_mul(1 << doublings).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The same construction over "{timestamp}.{body}".
        let sig = signature("Jefe", 1_700_000_000, b"{\"a\":1}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        assert_eq!(
            sig,
            format!("v1={}", hex::encode(mac.finalize().into_bytes()))
        );
        assert_ne!(sig, signature("Jefe", 1_700_000_001, b"{\"a\":1}"));
        assert_ne!(sig, signature("jefe", 1_700_000_000, b"{\"a\":1}"));
    }

    #[test]
    fn keys_are_stable_per_occurrence() {
        let k = idempotency_key("p", 0, "usr-1", "2026-10-31");
        assert_eq!(k.len(), 32);
        assert_eq!(k, idempotency_key("p", 0, "usr-1", "2026-10-31"));
        assert_ne!(k, idempotency_key("p", 1, "usr-1", "2026-10-31"));
        assert_ne!(k, idempotency_key("p", 0, "usr-1", "2026-11-01"));
        // Parts do not run into each other.
        assert_ne!(
            idempotency_key("ab", 0, "c", "d"),
            idempotency_key("a", 0, "bc", "d")
        );
    }

    #[test]
    fn delivery_settings_are_read_and_checked() {
        use crate::config::{Config, Overrides};
        let load = |text: &str| {
            Config::from_toml(text, Overrides::default())
                .map(|c| c.delivery)
                .map_err(|e| e.to_string())
        };
        assert_eq!(load("").unwrap(), DeliveryConfig::default());
        let d = load(
            "[delivery]\nmax_attempts = 3\nrate_limits = { email = \"2/second\", webhook = \"600/minute\" }\n\
             [delivery.smtp]\nhost = \"127.0.0.1\"\nport = 2525\nfrom = \"tenure@example.com\"\n",
        )
        .unwrap();
        assert_eq!(d.max_attempts, 3);
        assert_eq!(
            d.rate_limits["email"],
            RateLimit {
                count: 2,
                per: Duration::from_secs(1)
            }
        );
        let smtp = d.smtp.unwrap();
        assert_eq!((smtp.port, smtp.security), (2525, SmtpSecurity::None));
        for (text, says) in [
            ("[delivery]\nmax_attempts = 0", "delivery.max_attempts"),
            (
                "[delivery]\nrate_limits = { fax = \"1/second\" }",
                "rate_limits.fax",
            ),
            (
                "[delivery]\nrate_limits = { email = \"lots\" }",
                "rate_limits.email",
            ),
            (
                "[delivery]\nbackoff_secs = 100\nbackoff_cap_secs = 10",
                "backoff_cap_secs",
            ),
            (
                "[delivery.smtp]\nhost = \"h\"\nfrom = \"nobody\"",
                "delivery.smtp.from",
            ),
            (
                "[delivery.smtp]\nhost = \"h\"\nfrom = \"a@b\"\nsecurity = \"ssl\"",
                "security",
            ),
            ("[delivery]\ncolour = 1", "colour"),
        ] {
            let e = load(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn retries_back_off_to_a_cap() {
        let (base, cap) = (Duration::from_secs(1), Duration::from_secs(60));
        let waits: Vec<u64> = (2..=9).map(|a| backoff(a, base, cap).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(1000, base, cap), cap);
    }
}
