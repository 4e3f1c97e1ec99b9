//! Rate limits: per reseller on the Reseller API and per tenant on the Tenant API, at the
//! reseller's configured rate; headers on every authenticated answer; 429 with a correct
//! Retry-After at the configured count, and recovery after it.

mod common;

use common::{Auth, Response, TestServer, BOTH};
use serde_json::json;
use std::time::{Duration, Instant};
use tenantry_server::admin;

const LIMIT: u64 = 30;

fn number(r: &Response, name: &str) -> u64 {
    r.header(name)
        .unwrap_or_else(|| panic!("{name} missing from {:?}", r.headers))
        .parse()
        .unwrap()
}

/// Calls until the first 429; returns how many were allowed, the refusal, and the time taken.
fn exhaust(call: impl Fn() -> Response) -> (u64, Response, Duration) {
    let started = Instant::now();
    let mut allowed = 0;
    loop {
        let r = call();
        if r.status == 429 {
            return (allowed, r, started.elapsed());
        }
        assert_eq!(r.status, 200, "{}", r.text);
        allowed += 1;
        assert_eq!(number(&r, "ratelimit-limit"), LIMIT);
        assert!(allowed <= 2 * LIMIT, "never limited");
    }
}

/// At `LIMIT` per minute one request comes back every two seconds: the refusal comes at
/// exactly `LIMIT`, give or take what came back while the burst ran.
fn assert_limited_at_the_count(allowed: u64, refusal: &Response, took: Duration) {
    let refilled = took.as_secs() / (60 / LIMIT);
    assert!(
        (LIMIT..=LIMIT + refilled + 1).contains(&allowed),
        "allowed {allowed} in {took:?}"
    );
    let problem = refusal.json();
    assert_eq!(problem["code"], "rate_limited", "{problem}");
    assert_eq!(
        refusal.header("content-type"),
        Some("application/problem+json")
    );
    let retry_after = number(refusal, "retry-after");
    assert!((1..=60 / LIMIT).contains(&retry_after), "{retry_after}");
    assert_eq!(problem["retryAfter"], retry_after);
    assert_eq!(number(refusal, "ratelimit-remaining"), 0);
}

#[test]
fn the_reseller_api_answers_429_at_the_configured_count_and_recovers() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("limited");
    let other = s.reseller("unlimited");
    admin::update_reseller(&s.db, "limited", Some(LIMIT as i64), None).unwrap();

    let first = s
        .call("GET", "/reseller/tenant", &r.bearer(), None)
        .expect(200);
    assert_eq!(number(&first, "ratelimit-limit"), LIMIT);
    assert_eq!(number(&first, "ratelimit-remaining"), LIMIT - 1);
    assert!(number(&first, "ratelimit-reset") <= 60 / LIMIT);

    // Every credential of the reseller draws on one allowance.
    let schemes = [r.bearer(), r.basic(), r.api_key()];
    let next = std::cell::Cell::new(0);
    let (allowed, refusal, took) = exhaust(|| {
        next.set(next.get() + 1);
        s.call("GET", "/reseller/tenant", &schemes[next.get() % 3], None)
    });
    assert_limited_at_the_count(allowed + 1, &refusal, took);

    // A refused write does nothing.
    s.call(
        "POST",
        "/reseller/tenant",
        &r.bearer(),
        Some(json!({"customerReference": "x", "fullName": "X", "email": "x@x.example", "defaultLanguage": "swe"})),
    )
    .expect_problem(429, "rate_limited");
    // Others are not affected.
    s.call("GET", "/reseller/tenant", &other.bearer(), None)
        .expect(200);

    std::thread::sleep(Duration::from_secs(number(&refusal, "retry-after")));
    let recovered = s.call("GET", "/reseller/tenant", &r.bearer(), None);
    assert_eq!(recovered.status, 200, "{}", recovered.text);
    let listed = recovered.json();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        0,
        "the refused POST created nothing"
    );
}

#[test]
fn the_tenant_api_limits_each_tenant_at_its_resellers_rate() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("limited");
    let one = s.company_token(&r.bearer(), "shop-1");
    let two = s.company_token(&r.bearer(), "shop-2");
    admin::update_reseller(&s.db, "limited", Some(LIMIT as i64), None).unwrap();

    let (allowed, refusal, took) = exhaust(|| s.call("GET", "/tenant/order", &one, None));
    assert_limited_at_the_count(allowed, &refusal, took);
    // The other tenant of the same reseller has its own allowance, and so has the reseller.
    let fresh = s.call("GET", "/tenant/order", &two, None).expect(200);
    assert_eq!(number(&fresh, "ratelimit-remaining"), LIMIT - 1);
    s.call("GET", "/reseller/tenant", &r.bearer(), None)
        .expect(200);

    std::thread::sleep(Duration::from_secs(number(&refusal, "retry-after")));
    s.call("GET", "/tenant/order", &one, None).expect(200);
}

#[test]
fn unauthenticated_answers_carry_no_rate_limit_headers() {
    let s = TestServer::start(BOTH);
    let r = s
        .call("GET", "/reseller/tenant", &Auth::None, None)
        .expect(401);
    assert_eq!(r.header("ratelimit-limit"), None);
}
