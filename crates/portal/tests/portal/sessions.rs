//! Signing in, staying signed in, and every way a session ends.

use super::*;
use std::time::Duration;
use tenantry_domain::tenant::TenantPatch;
use tenantry_http::ServiceConfig;
use tenantry_service::Actor;

#[test]
fn a_login_url_deep_links_into_the_portal_with_a_strict_cookie_and_safe_headers() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let url = s.login_url(&t, "api", "/portal/connections");
    let opened = send(&agent(), "GET", &url, &Auth::None, None);
    assert_eq!(opened.status, 303);
    assert_eq!(opened.header("location"), Some("/portal/connections"));
    let cookie = opened.header("set-cookie").unwrap().to_owned();
    for part in ["tenantry_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP: no Secure, no __Host- prefix"
    );
    assert_eq!(
        send(&agent(), "GET", &url, &Auth::None, None).status,
        410,
        "a login URL works once"
    );

    let session = Session::sign_in(&s, &t, "api", "/portal");
    let page = session.get("/portal").expect(200);
    assert!(
        page.text.contains("Shop AB") && page.text.contains(&t.code_name),
        "{}",
        page.text
    );
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert!(!page.text.contains("<script>"), "no inline script");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    // `/` takes a signed-in browser to the portal; without a session it is the usual 404.
    assert_eq!(
        session.get("/").expect(303).header("location"),
        Some("/portal")
    );
    assert_eq!(s.get_with("/", &[]).status, 404);
    // No session: the portal says so, as a page.
    let anonymous = s.get_with("/portal", &[]);
    assert_eq!(anonymous.status, 401);
    assert!(
        anonymous.text.contains("You are not signed in"),
        "{}",
        anonymous.text
    );
    assert_eq!(anonymous.header("cache-control"), Some("no-store"));
}

#[test]
fn the_users_language_picks_the_pages_language() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    s.tenant_user(&t, "svea", Role::Viewer, "swe");
    let swedish = Session::sign_in(&s, &t, "svea", "/portal");
    let page = swedish.get("/portal").expect(200);
    assert!(page.text.contains("<html lang=\"sv\">"), "{}", page.text);
    assert!(page.text.contains("Översikt") && page.text.contains("Logga ut"));
    let english = Session::sign_in(&s, &t, "viewer", "/portal")
        .get("/portal")
        .expect(200);
    assert!(english.text.contains("Overview") && english.text.contains("Sign out"));
}

#[test]
fn signing_out_deletes_the_session_so_its_cookie_stops_working() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let session = Session::sign_in(&s, &t, "api", "/portal");
    let other = Session::sign_in(&s, &t, "api", "/portal");
    let out = session.post("/portal/signout", &[]).expect(200);
    assert!(
        out.header("set-cookie").unwrap().contains("Max-Age=0"),
        "the cookie is cleared"
    );
    assert_eq!(
        session.get("/portal").status,
        401,
        "the old cookie is refused"
    );
    other.get("/portal").expect(200);
    assert_eq!(
        session_count(&s, &t),
        1,
        "the row is gone, the other session stays"
    );
}

#[test]
fn a_session_ends_when_idle_and_when_old() {
    let s = TestServer::start_with(
        ALONE,
        ServiceConfig {
            sessions: tenantry_domain::login_url::SessionPolicy {
                idle: chrono::Duration::seconds(1),
                lifetime: chrono::Duration::seconds(3),
            },
            ..Default::default()
        },
    );
    let t = tenant(&s);
    let idle = Session::sign_in(&s, &t, "api", "/portal");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        idle.get("/portal").status,
        401,
        "idle for longer than a second"
    );
    assert_eq!(
        session_count(&s, &t),
        0,
        "an ended session is deleted when found"
    );

    // Busy all along: a request every half second still ends at the three-second lifetime.
    let busy = Session::sign_in(&s, &t, "api", "/portal");
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        busy.get("/portal").expect(200);
        std::thread::sleep(Duration::from_millis(400));
    }
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(busy.get("/portal").status, 401, "older than its lifetime");
}

#[test]
fn a_deactivated_tenants_sessions_stop_at_once_and_a_deleted_users_end() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal");
    let viewer = Session::sign_in(&s, &t, "viewer", "/portal");
    let stored = s.stored_tenant(&t);
    let owner = tenantry_storage::Owner {
        reseller_id: stored.reseller_id,
        environment: stored.environment,
    };
    let set_active = |active: bool| {
        let patch = TenantPatch {
            active: Some(active),
            ..Default::default()
        };
        s.db.write(|conn| {
            tenantry_service::tenant::update(
                conn,
                &Actor::Operator,
                &owner,
                &[],
                &stored.code_name,
                patch,
            )
        })
        .unwrap();
    };
    set_active(false);
    let refused = admin.get("/portal");
    assert_eq!(refused.status, 403);
    assert!(refused.text.contains("deactivated"), "{}", refused.text);
    set_active(true);
    admin.get("/portal").expect(200);

    let viewer_user =
        s.db.read(|conn| tenantry_storage::user::find_by_login(conn, stored.id, "viewer"))
            .unwrap();
    s.db.write(|conn| tenantry_service::user::delete(conn, &Actor::Operator, &stored, "viewer"))
        .unwrap();
    assert_eq!(
        viewer.get("/portal").status,
        401,
        "{} is gone",
        viewer_user.login
    );
    admin.get("/portal").expect(200);
}

fn session_count(s: &TestServer, t: &ApiTenant) -> i64 {
    let id = t.id.parse().unwrap();
    s.db.read(|conn| tenantry_storage::login::count_sessions(conn, id))
        .unwrap()
}

#[test]
fn the_resellers_return_url_and_frame_ancestors_reach_the_pages() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let session = Session::sign_in(&s, &t, "api", "/portal");
    let page = session.get("/portal").expect(200);
    assert!(
        !page.text.contains("id=\"back-to-reseller\""),
        "no link until the reseller sets one"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    let stored = s.stored_tenant(&t);
    let owner = tenantry_storage::Owner {
        reseller_id: stored.reseller_id,
        environment: stored.environment,
    };
    let patch = tenantry_service::reseller::PortalPatch {
        return_url: Some(Some("https://app.acme.example/customers?id=1&tab=2".into())),
        frame_ancestors: Some(vec![
            "https://app.acme.example".into(),
            "https://admin.acme.example".into(),
        ]),
    };
    s.db.write(|conn| {
        tenantry_service::reseller::set_portal(
            conn,
            &Actor::Operator,
            &owner,
            patch,
            tenantry_domain::time::now(),
        )
    })
    .unwrap();
    let page = session.get("/portal").expect(200);
    assert!(
        page.text.contains("<a href=\"https://app.acme.example/customers?id=1&#38;tab=2\" id=\"back-to-reseller\">Back to Reseller acme</a>"),
        "{}",
        page.text
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.ends_with("frame-ancestors https://app.acme.example https://admin.acme.example"),
        "{csp}"
    );
    assert_eq!(
        page.header("x-frame-options"),
        None,
        "the CSP decides who frames"
    );
}

#[test]
fn every_role_reads_every_page() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let pages = [
        "/portal",
        "/portal/orders",
        "/portal/products",
        "/portal/connections",
        "/portal/users",
        "/portal/settings",
        "/portal/activity",
        "/portal/usage",
    ];
    for login in ["api", "manager", "viewer"] {
        let session = Session::sign_in(&s, &t, login, "/portal");
        for page in pages {
            let answer = session.get(page);
            assert_eq!(answer.status, 200, "{login} {page}: {}", answer.text);
            for link in pages {
                assert!(
                    answer.text.contains(&format!("href=\"{link}\"")),
                    "{login} {page} links {link}"
                );
            }
        }
    }
}

#[test]
fn over_tls_the_cookie_is_secure_and_host_prefixed() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let url = s.login_url(&t, "api", "/portal");
    let tls = Auth::pairs(&[("X-Forwarded-Proto", "https")]);
    let opened = send(&agent(), "GET", &url, &tls, None);
    assert_eq!(opened.status, 303);
    let cookie = opened.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("__Host-tenantry_session="), "{cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(
        !cookie.contains("Domain="),
        "the __Host- prefix forbids a Domain"
    );
    let session = cookie.split(';').next().unwrap();
    let page = send(
        &agent(),
        "GET",
        &s.url("/portal"),
        &Auth::pairs(&[("X-Forwarded-Proto", "https"), ("Cookie", session)]),
        None,
    );
    assert_eq!(page.status, 200);
    // The plain-HTTP name is not read over TLS.
    let plain = session.replacen("__Host-", "", 1);
    let refused = send(
        &agent(),
        "GET",
        &s.url("/portal"),
        &Auth::pairs(&[("X-Forwarded-Proto", "https"), ("Cookie", &plain)]),
        None,
    );
    assert_eq!(refused.status, 401);
}
