//! Key secrets: generated here, shown once, stored only as a SHA-256 hash.
//! Secrets are 32 random bytes, so a fast hash is safe (nothing to brute
//! force); they start with `tnr_w_` (write keys) or `tnr_k_` (API keys).

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tenure_core::Role;
use tenure_store::NewKey;

/// The hash stored for a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new key: the secret (to show once) and what to store.
pub fn generate(
    role: Role,
    account_id: Option<String>,
    label: Option<String>,
    now: DateTime<Utc>,
) -> (String, NewKey) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let kind = match role {
        Role::Write => "w",
        _ => "k",
    };
    let secret = format!("tnr_{kind}_{}", hex::encode(bytes));
    let mut id_bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut id_bytes);
    let key = NewKey {
        id: format!("key_{}", hex::encode(id_bytes)),
        role,
        account_id,
        label,
        prefix: secret[..12].to_string(),
        hash: hash_secret(&secret),
        created_at: now,
    };
    (secret, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hashed() {
        let now = Utc::now();
        let (a, ka) = generate(Role::Write, None, None, now);
        let (b, _) = generate(Role::Write, None, None, now);
        assert_ne!(a, b);
        assert!(a.starts_with("tnr_w_"));
        assert_eq!(ka.hash, hash_secret(&a));
        assert!(!ka.hash.contains(&a[6..]));
        let (c, _) = generate(Role::Admin, None, None, now);
        assert!(c.starts_with("tnr_k_"));
    }
}
