//! How playbook actions are delivered, as pure functions: the webhook
//! signature, the idempotency key of an action, and the retry schedule.
//! The outbox and the senders use them; nothing here does I/O.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Duration;

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
    fn retries_back_off_to_a_cap() {
        let (base, cap) = (Duration::from_secs(1), Duration::from_secs(60));
        let waits: Vec<u64> = (2..=9).map(|a| backoff(a, base, cap).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(1000, base, cap), cap);
    }
}
