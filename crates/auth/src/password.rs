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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
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
///
/// Verification is single-flight: when many requests with the same credentials arrive while it
/// is not cached (a cold start, or an expired entry), one of them runs argon2 and the others
/// wait for its answer instead of each spending 19 MiB and tens of milliseconds.
pub struct PasswordCache {
    key: [u8; 32],
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<[u8; 32], Slot>>,
    /// How many argon2 verifications ran (cache misses), for metrics and tests.
    verifications: AtomicUsize,
}

enum Slot {
    Verified(Instant),
    Pending(Arc<Pending>),
}

#[derive(Default)]
struct Pending {
    outcome: Mutex<Option<bool>>,
    done: Condvar,
}

impl Pending {
    fn wait(&self) -> bool {
        let mut outcome = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(ok) = *outcome {
                return ok;
            }
            outcome = self.done.wait(outcome).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn finish(&self, ok: bool) {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(ok);
        self.done.notify_all();
    }
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
            verifications: AtomicUsize::new(0),
        }
    }

    fn fingerprint(&self, password: &str, stored_hash: &str) -> [u8; 32] {
        // A keyed hash; lengths are prefixed so no two inputs collide by concatenation.
        let mut h = Sha256::new();
        h.update(self.key);
        h.update((stored_hash.len() as u64).to_le_bytes());
        h.update(stored_hash.as_bytes());
        h.update(password.as_bytes());
        h.update(self.key);
        h.finalize().into()
    }

    /// How many argon2 verifications this cache has run.
    pub fn verifications(&self) -> usize {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Spends what a wrong password costs, against a hash of nothing anyone knows: for an
    /// unknown login, so logins cannot be told apart by time. Counted as a verification.
    pub fn verify_decoy(&self, password: &str) {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let _ = verify(password, decoy_hash());
    }

    /// [`verify`], answered from the cache when this pair was verified recently, and verified
    /// once for all concurrent callers otherwise.
    pub fn verify(&self, password: &str, stored_hash: &str) -> bool {
        let fp = self.fingerprint(password, stored_hash);
        let pending = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get(&fp) {
                Some(Slot::Verified(at)) if at.elapsed() < self.ttl => return true,
                Some(Slot::Pending(p)) => {
                    let p = p.clone();
                    drop(entries);
                    return p.wait();
                }
                _ => {
                    let p = Arc::new(Pending::default());
                    entries.insert(fp, Slot::Pending(p.clone()));
                    p
                }
            }
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let ok = verify(password, stored_hash);
        {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if ok {
                if entries.len() >= self.capacity {
                    let ttl = self.ttl;
                    entries.retain(|_, slot| match slot {
                        Slot::Verified(at) => at.elapsed() < ttl,
                        Slot::Pending(_) => true,
                    });
                    if entries.len() >= self.capacity {
                        entries.retain(|_, slot| matches!(slot, Slot::Pending(_)));
                    }
                }
                entries.insert(fp, Slot::Verified(Instant::now()));
            } else {
                // Failures are not remembered: each wrong password costs argon2 again.
                entries.remove(&fp);
            }
        }
        pending.finish(ok);
        ok
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

    #[test]
    fn concurrent_first_checks_run_argon2_once_and_all_get_the_answer() {
        let cache = std::sync::Arc::new(PasswordCache::default());
        let h = hash("shared password");
        let answers: Vec<bool> = (0..8)
            .map(|_| {
                let (cache, h) = (cache.clone(), h.clone());
                std::thread::spawn(move || cache.verify("shared password", &h))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(answers.iter().all(|ok| *ok));
        assert_eq!(
            cache.verifications(),
            1,
            "one argon2 run served all eight callers"
        );
        assert!(!cache.verify("wrong", &h));
        assert!(!cache.verify("wrong", &h));
        assert_eq!(cache.verifications(), 3, "failures are not cached");
    }
}
