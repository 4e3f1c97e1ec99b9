//! Request rate limits (Partoo: 300 calls per minute per organization by default): per reseller
//! on the Reseller API, per tenant on the Tenant API, each at the reseller's configured rate.
//! GCRA from `governor`: a burst of the whole minute's allowance, refilled one request every
//! `60 s ÷ limit`. Every authenticated response carries `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset`; a refused one is 429 with `Retry-After`.
//!
//! The state is in this process's memory by default: with N processes behind a load balancer
//! a principal can then make up to N × its limit. With a shared store
//! ([`crate::limit_store::RedisStore`], `serve --rate-limit-store`) the limit holds across
//! processes, and this process's limiter is what it falls back on (docs/scaling.md).

use crate::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

type Gcra = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// How long a reseller's configured rate is trusted before it is read again (the Tenant API
/// looks it up by the tenant's reseller; the Reseller API has it in hand on every request).
const RESELLER_RATE_TTL: Duration = Duration::from_secs(60);

/// The limiters of one process.
pub struct RateLimits {
    enabled: bool,
    /// Where the state is shared between processes, if anywhere.
    store: Option<crate::limit_store::RedisStore>,
    limiters: Mutex<HashMap<String, (u32, Arc<Gcra>)>>,
    reseller_rates: Mutex<HashMap<Uuid, (i64, Instant)>>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new(true)
    }
}

/// One decision: what the headers say, and whether the request may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the allowance is whole again.
    pub reset_seconds: u64,
    /// `Some(seconds)` when the request is refused.
    pub retry_after: Option<u64>,
}

impl RateLimits {
    /// `enabled: false` lets everything through and sends no headers (for a deployment whose
    /// gateway limits already).
    pub fn new(enabled: bool) -> Self {
        RateLimits::with_store(enabled, None)
    }

    /// Limits whose state lives in `store`, falling back on this process's own while it fails.
    pub fn with_store(enabled: bool, store: Option<crate::limit_store::RedisStore>) -> Self {
        RateLimits {
            enabled,
            store,
            limiters: Mutex::new(HashMap::new()),
            reseller_rates: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `principal` against `per_minute`.
    pub fn check(&self, principal: &str, per_minute: i64) -> Option<Allowance> {
        if !self.enabled {
            return None;
        }
        let limit = NonZeroU32::new(per_minute.clamp(1, u32::MAX as i64) as u32)
            .expect("clamped to at least 1");
        if let Some(store) = &self.store {
            // The rate is part of the key: a changed rate starts afresh, as below.
            let key = format!("tenantry:rate:{principal}:{limit}");
            if let Some(allowance) = store.check(&key, limit.get()) {
                return Some(allowance);
            }
        }
        let gcra = {
            let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
            match limiters.get(principal) {
                // A known principal at an unchanged rate: the common case, no allocation.
                Some((rate, gcra)) if *rate == limit.get() => gcra.clone(),
                // New, or the operator changed the rate: start afresh at the new one.
                _ => {
                    let fresh = Arc::new(gcra(limit));
                    limiters.insert(principal.to_owned(), (limit.get(), fresh.clone()));
                    fresh
                }
            }
        };
        let cell = Duration::from_secs(60) / limit.get();
        Some(match gcra.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Allowance {
                    limit: limit.get(),
                    remaining,
                    reset_seconds: ceil_seconds(cell * (limit.get() - remaining)),
                    retry_after: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Allowance {
                    limit: limit.get(),
                    remaining: 0,
                    reset_seconds: ceil_seconds(cell * limit.get()),
                    retry_after: Some(ceil_seconds(wait).max(1)),
                }
            }
        })
    }

    /// How many times the shared store failed to answer (0 without one).
    pub fn store_errors(&self) -> u64 {
        self.store.as_ref().map_or(0, |s| s.errors())
    }

    /// A reseller's configured rate if this process read it less than a minute ago.
    pub fn known_reseller_rate(&self, reseller_id: Uuid) -> Option<i64> {
        let rates = self
            .reseller_rates
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        rates
            .get(&reseller_id)
            .filter(|(_, read_at)| read_at.elapsed() < RESELLER_RATE_TTL)
            .map(|(rate, _)| *rate)
    }

    /// Whether a decision asks another process (Redis), so must not run on an async worker.
    pub fn asks_store(&self) -> bool {
        self.enabled && self.store.is_some()
    }

    /// A reseller's configured rate, from this process's short-lived copy or from `load`.
    pub fn reseller_rate<E>(
        &self,
        reseller_id: Uuid,
        load: impl FnOnce() -> Result<i64, E>,
    ) -> Result<i64, E> {
        if let Some(rate) = self.known_reseller_rate(reseller_id) {
            return Ok(rate);
        }
        let rate = load()?;
        self.reseller_rates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(reseller_id, (rate, Instant::now()));
        Ok(rate)
    }
}

fn gcra(limit: NonZeroU32) -> Gcra {
    RateLimiter::direct(Quota::per_minute(limit)).with_middleware::<StateInformationMiddleware>()
}

fn ceil_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Records a decision made outside the API extractors (the portal's) on the request, so the
/// response carries the same `RateLimit-*` and `Retry-After` headers; the seconds to wait
/// when it refuses.
pub fn note_allowance(req: &HttpRequest, allowance: Option<Allowance>) -> Option<u64> {
    let allowance = allowance?;
    req.extensions_mut().insert(allowance);
    allowance.retry_after
}

/// Records the decision on the request for the response headers; `Err` (429) when refused.
pub(crate) fn apply(req: &HttpRequest, allowance: Option<Allowance>) -> Result<(), ApiError> {
    let Some(allowance) = allowance else {
        return Ok(());
    };
    req.extensions_mut().insert(allowance);
    match allowance.retry_after {
        None => Ok(()),
        Some(seconds) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "more than {} requests in a minute: retry after {seconds} s",
                allowance.limit
            ),
        )
        .with("retryAfter", seconds)),
    }
}

/// The middleware that writes the headers: `App::new().wrap(from_fn(rate_limit_headers))`.
pub async fn rate_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let allowance = response.request().extensions().get::<Allowance>().copied();
    if let Some(a) = allowance {
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: u64| {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        };
        set("ratelimit-limit", a.limit.into());
        set("ratelimit-remaining", a.remaining.into());
        set("ratelimit-reset", a.reset_seconds);
        if let Some(seconds) = a.retry_after {
            set("retry-after", seconds);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_a_minute_of_burst_and_then_refuses_with_a_retry_time() {
        let limits = RateLimits::default();
        for n in 1..=3 {
            let a = limits.check("r", 3).unwrap();
            assert_eq!((a.limit, a.remaining, a.retry_after), (3, 3 - n, None));
        }
        let refused = limits.check("r", 3).unwrap();
        assert_eq!(refused.remaining, 0);
        // One request comes back every 20 s.
        assert!(matches!(refused.retry_after, Some(19..=20)), "{refused:?}");
        // Others are counted apart; a changed rate starts afresh.
        assert_eq!(limits.check("other", 3).unwrap().remaining, 2);
        assert_eq!(limits.check("r", 5).unwrap().remaining, 4);
        assert_eq!(RateLimits::new(false).check("r", 1), None);
    }
}
