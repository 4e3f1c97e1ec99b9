//! Password hashing (argon2id) and a short-lived cache of verified passwords.
//!
//! argon2id costs tens of milliseconds by design; paying it on every Basic-authenticated
//! request would cap throughput at a few dozen requests per second per core. The cache
//! remembers, for a few minutes, that a password matched a given stored hash. It is keyed by
//! an HMAC (with a per-process random key) over the stored hash and the password, so it holds
//! nothing that helps recover a password, and a changed password (a new stored hash) misses
//! it at once.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Hashes a password with argon2id (19 MiB, t=2, p=1: the OWASP baseline).
pub fn hash(password: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random source works");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password with default parameters")
        .to_string()
}

/// Checks a password against a stored argon2 hash, in constant time.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid argon2 hash of nothing anyone knows: verified against when a login is unknown, so
/// an unknown login takes as long as a wrong password and logins cannot be enumerated by time.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&crate::token::random_base62(32)))
}

/// Remembers recently verified (password, stored hash) pairs.
pub struct PasswordCache {
    key: [u8; 32],
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

impl Default for PasswordCache {
    fn default() -> Self {
        PasswordCache::new(Duration::from_secs(300), 10_000)
    }
}

impl PasswordCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut key)
            .expect("the operating system's random source works");
        PasswordCache {
            key,
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn fingerprint(&self, password: &str, stored_hash: &str) -> [u8; 32] {
        // HMAC-like keyed hash; lengths are prefixed so no two inputs collide by concatenation.
        let mut h = Sha256::new();
        h.update(self.key);
        h.update((stored_hash.len() as u64).to_le_bytes());
        h.update(stored_hash.as_bytes());
        h.update(password.as_bytes());
        h.update(self.key);
        h.finalize().into()
    }

    /// [`verify`], answered from the cache when this pair was verified recently.
    pub fn verify(&self, password: &str, stored_hash: &str) -> bool {
        let fp = self.fingerprint(password, stored_hash);
        let now = Instant::now();
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if entries
                .get(&fp)
                .is_some_and(|verified| now.duration_since(*verified) < self.ttl)
            {
                return true;
            }
        }
        if !verify(password, stored_hash) {
            return false;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, verified| now.duration_since(*verified) < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(fp, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery staple");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn the_cache_never_accepts_a_wrong_password_or_an_old_hash() {
        let cache = PasswordCache::default();
        let h = hash("first password!");
        assert!(cache.verify("first password!", &h));
        assert!(
            cache.verify("first password!", &h),
            "answered from the cache"
        );
        assert!(!cache.verify("wrong password", &h));
        let changed = hash("second password");
        assert!(
            !cache.verify("first password!", &changed),
            "a new hash misses the cache"
        );
    }
}
