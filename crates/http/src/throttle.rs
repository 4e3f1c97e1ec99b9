//! Throttling failed authentication, so passwords cannot be guessed online and wrong
//! passwords cannot be used to burn the server's CPU (each costs an argon2 verification,
//! tens of milliseconds).
//!
//! Failures are counted under three keys: the client address with the account it tried
//! (reseller code or tenant codeName, plus login), the client address alone, and the account
//! alone. Once a key has had its free failures it is blocked, and each further failure blocks
//! it for twice as long as the one before (1 s, 2 s, 4 s … up to the key's cap); while blocked, a request carrying
//! the key is answered 429 with `Retry-After` before any credential is looked up or verified.
//! Nothing locks an account for good: the account-wide key waits at most a minute and only
//! after many failures from many addresses, so an attacker cannot keep a real user out, and the
//! user's own address has keys of its own. A success clears the address-and-account key.
//! Counts are forgotten a quarter of an hour after a key's last failure.
//!
//! The state is in this process's memory, like the request rate limits, or, with
//! `serve --rate-limit-store`, in the same Redis as theirs (falling back on this process's
//! memory while it fails), so a guesser cannot spread its tries over the processes.

use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a key's failures are remembered after its last one.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Keys held at most; past this, forgotten keys are swept and then the oldest go.
const MAX_KEYS: usize = 100_000;

/// A kind of key: how many failures are free and how long a block may last.
#[derive(Debug, Clone, Copy)]
struct Rule {
    free: u32,
    cap: Duration,
    /// Whether a successful authentication clears the key.
    cleared_by_success: bool,
}

/// One address trying one account: a person mistyping gets five tries.
const ADDRESS_AND_ACCOUNT: Rule = Rule {
    free: 5,
    cap: Duration::from_secs(15 * 60),
    cleared_by_success: true,
};
/// One address trying many accounts (or tokens).
const ADDRESS: Rule = Rule {
    free: 20,
    cap: Duration::from_secs(15 * 60),
    cleared_by_success: false,
};
/// Many addresses trying one account: slowed, never locked (at most a minute's wait).
const ACCOUNT: Rule = Rule {
    free: 50,
    cap: Duration::from_secs(60),
    cleared_by_success: false,
};

#[derive(Debug)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    blocked_until: Option<Instant>,
}

/// The failed-authentication throttle of one process.
pub struct AuthThrottle {
    enabled: bool,
    store: Option<crate::limit_store::RedisStore>,
    /// Proxies whose `X-Forwarded-For` names the client.
    trusted_proxies: Vec<IpAddr>,
    entries: Mutex<HashMap<String, Entry>>,
    failures: AtomicU64,
    throttled: AtomicU64,
}

impl Default for AuthThrottle {
    fn default() -> Self {
        AuthThrottle::new(true, Vec::new())
    }
}

/// The keys one authentication attempt is counted under.
#[derive(Debug, Clone)]
pub struct Attempt {
    keys: Vec<(String, Rule)>,
}

impl AuthThrottle {
    /// `enabled: false` counts nothing and blocks nothing. Requests from a `trusted_proxies`
    /// address are attributed to the client its `X-Forwarded-For` names.
    pub fn new(enabled: bool, trusted_proxies: Vec<IpAddr>) -> Self {
        AuthThrottle::with_store(enabled, trusted_proxies, None)
    }

    /// A throttle whose counts and blocks live in `store`, falling back on this process's
    /// memory while it fails.
    pub fn with_store(
        enabled: bool,
        trusted_proxies: Vec<IpAddr>,
        store: Option<crate::limit_store::RedisStore>,
    ) -> Self {
        AuthThrottle {
            enabled,
            store,
            trusted_proxies,
            entries: Mutex::new(HashMap::new()),
            failures: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    /// Failed authentications counted since the start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Requests answered 429 by the throttle since the start.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// The client's address: the connection's peer, or, when that is a trusted proxy, the
    /// last address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|a| !self.trusted_proxies.contains(a))
                .unwrap_or(peer),
        )
    }

    /// The keys of an attempt from `address` on `account` (`None` for a token, which names
    /// no account a person could be locked out of).
    pub fn attempt(&self, address: Option<IpAddr>, account: Option<String>) -> Attempt {
        let mut keys = Vec::new();
        if let Some(address) = address {
            keys.push((format!("address:{address}"), ADDRESS));
            if let Some(account) = &account {
                keys.push((format!("pair:{address}/{account}"), ADDRESS_AND_ACCOUNT));
            }
        }
        if let Some(account) = account {
            keys.push((format!("account:{account}"), ACCOUNT));
        }
        Attempt { keys }
    }

    /// Refuses the attempt with 429 while any of its keys is blocked.
    pub fn check(&self, attempt: &Attempt) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let shared = self.store.as_ref().and_then(|store| {
            let keys: Vec<String> = attempt.keys.iter().map(|(k, _)| k.clone()).collect();
            store.throttle_wait(&keys)
        });
        let wait = match shared {
            Some(wait) => Some(wait).filter(|w| !w.is_zero()),
            None => {
                let now = Instant::now();
                let entries = self.lock();
                attempt
                    .keys
                    .iter()
                    .filter_map(|(key, _)| entries.get(key)?.blocked_until)
                    .filter(|until| *until > now)
                    .map(|until| until - now)
                    .max()
            }
        };
        match wait {
            None => Ok(()),
            Some(wait) => {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_failed_authentications",
                    format!(
                        "too many failed authentications from this address or for this account; retry in {seconds} s"
                    ),
                )
                .with_retry_after(seconds))
            }
        }
    }

    /// Counts a failed authentication under each of the attempt's keys.
    pub fn failed(&self, attempt: &Attempt) {
        if !self.enabled {
            return;
        }
        self.failures.fetch_add(1, Ordering::Relaxed);
        if let Some(store) = &self.store {
            let keys: Vec<(String, u32, Duration)> = attempt
                .keys
                .iter()
                .map(|(key, rule)| (key.clone(), rule.free, rule.cap))
                .collect();
            if store.throttle_failed(&keys, FORGET_AFTER) {
                return;
            }
        }
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.len() >= MAX_KEYS {
            sweep(&mut entries, now);
        }
        for (key, rule) in &attempt.keys {
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last_failure: now,
                blocked_until: None,
            });
            if now.duration_since(entry.last_failure) > FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures += 1;
            entry.last_failure = now;
            if entry.failures >= rule.free {
                let doublings = (entry.failures - rule.free).min(20);
                let block = Duration::from_secs(1u64 << doublings).min(rule.cap);
                entry.blocked_until = Some(now + block);
            }
        }
    }

    /// A success clears the address-and-account key: a person who found their password
    /// starts afresh. The other keys stay, so a guesser cannot reset them with one account
    /// it knows.
    pub fn succeeded(&self, attempt: &Attempt) {
        if !self.enabled {
            return;
        }
        let cleared: Vec<String> = attempt
            .keys
            .iter()
            .filter(|(_, rule)| rule.cleared_by_success)
            .map(|(key, _)| key.clone())
            .collect();
        if cleared.is_empty() {
            return;
        }
        if let Some(store) = &self.store {
            if store.throttle_clear(&cleared) {
                return;
            }
        }
        let mut entries = self.lock();
        for key in &cleared {
            entries.remove(key);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Forgets keys past their memory, then, if still full, the half with the oldest failures.
fn sweep(entries: &mut HashMap<String, Entry>, now: Instant) {
    entries.retain(|_, e| now.duration_since(e.last_failure) <= FORGET_AFTER);
    if entries.len() >= MAX_KEYS {
        let mut ages: Vec<Instant> = entries.values().map(|e| e.last_failure).collect();
        ages.sort_unstable();
        let cut = ages[ages.len() / 2];
        entries.retain(|_, e| e.last_failure > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> AuthThrottle {
        AuthThrottle::default()
    }

    #[test]
    fn an_address_is_blocked_after_its_free_failures_and_backs_off_exponentially() {
        let t = throttle();
        let here = t.attempt(Some([10, 0, 0, 1].into()), Some("acme/anna".into()));
        for _ in 0..ADDRESS_AND_ACCOUNT.free {
            t.check(&here).unwrap();
            t.failed(&here);
        }
        let refused = t.check(&here).unwrap_err();
        assert_eq!(refused.problem().status, 429);
        assert_eq!(t.throttled(), 1);
        t.failed(&here);
        let entries = t.lock();
        let entry = &entries["pair:10.0.0.1/acme/anna"];
        let block = entry.blocked_until.unwrap() - entry.last_failure;
        assert_eq!(block, Duration::from_secs(2), "the second block doubles");
    }

    #[test]
    fn another_address_and_a_success_are_not_held_back() {
        let t = throttle();
        let guesser = t.attempt(Some([10, 0, 0, 1].into()), Some("acme/anna".into()));
        for _ in 0..10 {
            t.failed(&guesser);
        }
        assert!(t.check(&guesser).is_err());
        let anna = t.attempt(Some([10, 0, 0, 2].into()), Some("acme/anna".into()));
        assert!(
            t.check(&anna).is_ok(),
            "the account key has not reached its limit"
        );
        t.succeeded(&guesser);
        assert!(t.check(&guesser).is_ok(), "a success clears the pair");
    }

    #[test]
    fn an_account_tried_from_many_addresses_waits_at_most_a_minute() {
        let t = throttle();
        for i in 0..=200u8 {
            t.failed(&t.attempt(Some([10, 0, 1, i].into()), Some("acme/anna".into())));
        }
        let entries = t.lock();
        let entry = &entries["account:acme/anna"];
        assert_eq!(
            entry.blocked_until.unwrap() - entry.last_failure,
            ACCOUNT.cap
        );
    }
}
