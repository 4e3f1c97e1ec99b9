//! The limits' shared store (`serve --rate-limit-store redis://HOST:PORT`): each principal's
//! GCRA state (its theoretical arrival time) lives in Redis and is read and moved by one atomic
//! script per request, on Redis's own clock, so every process behind a load balancer draws on
//! the same allowance. The failed-authentication throttle keeps its counts and blocks there
//! too, so a guesser cannot spread its tries over the processes.
//!
//! When Redis cannot be reached the limits **fail open to this process's own limiter** (and
//! throttle): the request is still limited, at the contract's rate per process (N processes
//! allow N × the limit, as without a store), never refused for Redis's sake. Each failure is counted
//! (`tenantry_rate_limit_store_errors_total`) and logged at most every ten seconds, and Redis
//! is not tried again for a second, so a dead store costs one failed connect a second rather
//! than one per request.

use crate::rate_limit::Allowance;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a request waits for Redis before failing open.
const TIMEOUT: Duration = Duration::from_millis(250);
/// After a failure, how long Redis is left alone.
const BACK_OFF: Duration = Duration::from_secs(1);
/// At most one log line per this long while Redis fails.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// GCRA with a burst of `burst` requests and one request back every `period` microseconds.
/// The key holds the theoretical arrival time, in microseconds of Redis's clock; it expires
/// once the allowance is whole again. Answers `{allowed, remaining, reset µs, retry µs}`.
/// Times are integral microseconds held in Lua's doubles (exact below 2^53 µs, the year
/// 2255), written with `%.0f`: Lua's own number format would keep only 14 digits.
const GCRA: &str = r"
local period = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + period
local allowed_at = next_tat - burst * period
if allowed_at > now then
  return {0, 0, tat - now, allowed_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, math.floor((now - allowed_at) / period), next_tat - now, 0}
";

/// Sets each pooled connection's timeouts, so a hung Redis fails a request fast.
#[derive(Debug)]
struct Timeouts;

impl r2d2::CustomizeConnection<redis::Connection, redis::RedisError> for Timeouts {
    fn on_acquire(&self, conn: &mut redis::Connection) -> Result<(), redis::RedisError> {
        conn.set_read_timeout(Some(TIMEOUT))?;
        conn.set_write_timeout(Some(TIMEOUT))
    }
}

/// The throttle's check: the longest wait of the attempt's block keys, in milliseconds.
const THROTTLE_WAIT: &str = r"
local wait = 0
for _, key in ipairs(KEYS) do
  local left = redis.call('PTTL', key)
  if left > wait then wait = left end
end
return wait
";

/// The throttle's count of one failure: per key (its failure count key, then its block key),
/// `ARGV` holds the free failures, the cap of a block in milliseconds, and how long counts
/// are remembered. The block doubles from a second with each failure past the free ones.
const THROTTLE_FAILED: &str = r"
for i = 1, #KEYS, 2 do
  local n = redis.call('INCR', KEYS[i])
  local arg = (i - 1) / 2 * 3
  local free = tonumber(ARGV[arg + 1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[arg + 3]))
  if n >= free then
    local block = math.min(1000 * 2 ^ math.min(n - free, 20), tonumber(ARGV[arg + 2]))
    redis.call('SET', KEYS[i + 1], 1, 'PX', block)
  end
end
return 1
";

/// A Redis server holding the limits' state; clones share one pool.
#[derive(Clone)]
pub struct RedisStore {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    pool: r2d2::Pool<redis::Client>,
    gcra: redis::Script,
    throttle_wait: redis::Script,
    throttle_failed: redis::Script,
    errors: AtomicU64,
    /// Until when Redis is not tried, after a failure.
    resting_until: Mutex<Option<Instant>>,
    last_logged: Mutex<Option<Instant>>,
}

impl RedisStore {
    /// A store at `url` (`redis://HOST:PORT[/DB]`). The URL is checked now; the server need
    /// not be up yet (until it is, limits fail open).
    pub fn open(url: &str) -> Result<RedisStore, String> {
        let client = redis::Client::open(url).map_err(|e| format!("{url}: {e}"))?;
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(0))
            .connection_timeout(TIMEOUT)
            .connection_customizer(Box::new(Timeouts))
            .build_unchecked(client);
        Ok(RedisStore {
            inner: std::sync::Arc::new(Inner {
                pool,
                gcra: redis::Script::new(GCRA),
                throttle_wait: redis::Script::new(THROTTLE_WAIT),
                throttle_failed: redis::Script::new(THROTTLE_FAILED),
                errors: AtomicU64::new(0),
                resting_until: Mutex::new(None),
                last_logged: Mutex::new(None),
            }),
        })
    }

    /// Runs `work` on a pooled connection; `None` when Redis failed or rests after a failure.
    fn run<T>(
        &self,
        work: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Option<T> {
        let inner = &*self.inner;
        if let Some(until) = *inner
            .resting_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
        {
            if Instant::now() < until {
                return None;
            }
        }
        let answer = inner
            .pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| work(&mut conn).map_err(|e| e.to_string()));
        match answer {
            Ok(value) => Some(value),
            Err(e) => {
                self.failed(&e);
                None
            }
        }
    }

    /// Counts one request of `key` against `limit` a minute; `None` when Redis failed (or is
    /// resting after a failure), for the caller to fall back on.
    pub(crate) fn check(&self, key: &str, limit: u32) -> Option<Allowance> {
        let period = 60_000_000 / u64::from(limit);
        let (allowed, remaining, reset, retry) = self.run(|conn| {
            self.inner
                .gcra
                .key(key)
                .arg(period)
                .arg(limit)
                .invoke::<(u8, u32, u64, u64)>(conn)
        })?;
        Some(Allowance {
            limit,
            remaining,
            reset_seconds: micros_to_seconds(reset),
            retry_after: (allowed == 0).then(|| micros_to_seconds(retry).max(1)),
        })
    }

    /// The longest a blocked key of `keys` still waits; `None` when Redis failed.
    pub(crate) fn throttle_wait(&self, keys: &[String]) -> Option<Duration> {
        let wait = self.run(|conn| {
            let mut call = self.inner.throttle_wait.prepare_invoke();
            for key in keys {
                call.key(format!("tenantry:throttle:block:{key}"));
            }
            call.invoke::<i64>(conn)
        })?;
        Some(Duration::from_millis(wait.max(0) as u64))
    }

    /// Counts a failure under each key, with its free failures and cap; false when Redis
    /// failed.
    pub(crate) fn throttle_failed(
        &self,
        keys: &[(String, u32, Duration)],
        remember: Duration,
    ) -> bool {
        self.run(|conn| {
            let mut call = self.inner.throttle_failed.prepare_invoke();
            for (key, free, cap) in keys {
                call.key(format!("tenantry:throttle:failures:{key}"))
                    .key(format!("tenantry:throttle:block:{key}"))
                    .arg(*free)
                    .arg(cap.as_millis() as u64)
                    .arg(remember.as_millis() as u64);
            }
            call.invoke::<i64>(conn)
        })
        .is_some()
    }

    /// Forgets each key's failures and block; false when Redis failed.
    pub(crate) fn throttle_clear(&self, keys: &[String]) -> bool {
        self.run(|conn| {
            let mut cmd = redis::cmd("DEL");
            for key in keys {
                cmd.arg(format!("tenantry:throttle:failures:{key}"))
                    .arg(format!("tenantry:throttle:block:{key}"));
            }
            cmd.query::<i64>(conn)
        })
        .is_some()
    }

    fn failed(&self, error: &str) {
        let inner = &*self.inner;
        inner.errors.fetch_add(1, Ordering::Relaxed);
        *inner
            .resting_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + BACK_OFF);
        let mut logged = inner.last_logged.lock().unwrap_or_else(|e| e.into_inner());
        if logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            *logged = Some(Instant::now());
            log::warn!(
                "the rate-limit store failed ({error}): limiting and throttling in this process only until it answers"
            );
        }
    }

    /// How many times Redis failed to answer (requests while it rests are not counted).
    pub fn errors(&self) -> u64 {
        self.inner.errors.load(Ordering::Relaxed)
    }
}

fn micros_to_seconds(micros: u64) -> u64 {
    micros.div_ceil(1_000_000)
}
