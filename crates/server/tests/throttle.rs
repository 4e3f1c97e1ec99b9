//! Failed authentication is throttled: a guesser's address is answered 429 with
//! `Retry-After` after a few wrong passwords, without argon2 running for it, while the real
//! user, from another address, signs in as usual. Counted in `/metrics`.

mod common;

use common::{Auth, TestServer, BOTH};

fn metric(s: &TestServer, name: &str) -> u64 {
    let text = s
        .call("GET", "/metrics", &Auth::None, None)
        .expect(200)
        .text;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in {text}"))
        .parse()
        .unwrap()
}

/// The credentials, sent from `client` through the trusted proxy.
fn from(auth: &Auth, client: &str) -> Auth {
    auth.with("X-Forwarded-For", client)
}

#[test]
fn wrong_passwords_are_throttled_per_address_and_the_right_one_elsewhere_works() {
    let s = TestServer::behind_proxy(BOTH);
    let r = s.reseller("acme");
    let guesser = "203.0.113.7";
    let wrong = Auth::Basic {
        reseller: r.code.clone(),
        login: r.login.clone(),
        password: "not the password".into(),
    };
    let before = metric(&s, "tenantry_password_verifications_total");
    let mut statuses = Vec::new();
    let mut verifications_when_throttled = None;
    for _ in 0..100 {
        let response = s.call("GET", "/reseller/tenant", &from(&wrong, guesser), None);
        statuses.push(response.status);
        if response.status == 429 {
            let retry: u64 = response.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=900).contains(&retry), "Retry-After {retry}");
            let body = response.expect_problem(429, "too_many_failed_authentications");
            assert!(body["detail"].as_str().unwrap().contains("retry in"));
            verifications_when_throttled
                .get_or_insert_with(|| metric(&s, "tenantry_password_verifications_total"));
        }
    }
    // Five free failures, then 429s (a blocked second may let one more try through).
    assert_eq!(&statuses[..5], &[401; 5]);
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(refused >= 90, "{refused} of 100 refused: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429));
    let after = metric(&s, "tenantry_password_verifications_total");
    let throttled_at = verifications_when_throttled.unwrap();
    assert!(
        after - before <= 8,
        "argon2 ran {} times for 100 wrong passwords",
        after - before
    );
    assert!(
        after - throttled_at <= 3,
        "verifications stop growing once throttled: {throttled_at} then {after}"
    );
    assert!(metric(&s, "tenantry_auth_throttled_total") >= 90);
    assert!(metric(&s, "tenantry_auth_failures_total") >= 5);

    // The real user, from another address, is not held back — by the right password…
    s.call(
        "GET",
        "/reseller/tenant",
        &from(&r.basic(), "198.51.100.20"),
        None,
    )
    .expect(200);
    // …nor is a key from the guesser's own address (tokens are not passwords to guess).
    s.call("GET", "/reseller/tenant", &from(&r.bearer(), guesser), None)
        .expect(200);
    // Even the right password waits while its address is blocked for that account.
    s.call("GET", "/reseller/tenant", &from(&r.basic(), guesser), None)
        .expect_problem(429, "too_many_failed_authentications");
}

#[test]
fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
    // A server with no trusted proxy: every request comes from its loopback peer, whatever
    // X-Forwarded-For claims, so rotating the header does not escape the throttle.
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let wrong = Auth::Basic {
        reseller: r.code.clone(),
        login: r.login.clone(),
        password: "not the password".into(),
    };
    let statuses: Vec<u16> = (0..8)
        .map(|i| {
            s.call(
                "GET",
                "/reseller/tenant",
                &from(&wrong, &format!("192.0.2.{i}")),
                None,
            )
            .status
        })
        .collect();
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
}

#[test]
fn the_tenant_api_throttles_tenant_user_passwords_too() {
    let s = TestServer::behind_proxy(BOTH);
    let r = s.reseller("acme");
    let code_name = s.tenant(&r.bearer(), "shop");
    let connection = s
        .call(
            "POST",
            &format!("/reseller/tenant/{code_name}/connection"),
            &r.bearer(),
            Some(serde_json::json!({"name": "API"})),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let headers = |client: &str| {
        use base64::Engine;
        Auth::Headers(vec![
            ("X-Tenant".into(), code_name.clone()),
            ("X-ConnectionId".into(), connection.clone()),
            (
                "Authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode("api:not the password")
                ),
            ),
            ("X-Forwarded-For".into(), client.into()),
        ])
    };
    let statuses: Vec<u16> = (0..8)
        .map(|_| {
            s.call("GET", "/tenant/order", &headers("203.0.113.9"), None)
                .status
        })
        .collect();
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(
        s.call("GET", "/tenant/order", &headers("198.51.100.1"), None)
            .status,
        401,
        "another address is judged on its own"
    );
}
