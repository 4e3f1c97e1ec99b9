//! One-time login URLs: they work once, expire, stay on this server, and die with their user
//! or tenant.

mod common;

use common::{agent, send, Auth, TestServer, BOTH};
use serde_json::json;
use tenantry_http::ServiceConfig;

fn setup(s: &TestServer) -> (common::ResellerCreds, String) {
    let r = s.reseller("acme");
    let t = s.tenant(&r.bearer(), "login");
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/user"),
        &r.bearer(),
        Some(json!({"login": "anna", "fullName": "Anna <b>", "email": "a@x.example"})),
    )
    .expect(201);
    (r, t)
}

/// Creates a login URL for `anna` with a Bearer key; returns the 201 body.
fn create_link(
    s: &TestServer,
    r: &common::ResellerCreds,
    t: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/login/anna"),
        &r.bearer(),
        Some(body),
    )
    .expect(201)
    .json()
}

fn open(url: &str) -> common::Response {
    send(&agent(), "GET", url, &Auth::None, None)
}

#[test]
fn a_login_url_works_once_and_starts_a_session() {
    let s = TestServer::start(BOTH);
    let (r, t) = setup(&s);
    let link = s
        .call(
            "POST",
            &format!("/reseller/tenant/{t}/login/anna"),
            &r.basic(),
            Some(json!({"path": "/portal/connections?notice=created"})),
        )
        .expect(201)
        .json();
    assert_eq!(link["path"], "/portal/connections?notice=created");
    let url = link["loginUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/_tokenlogin/anna/", s.base)),
        "{url}"
    );
    let expires = chrono::DateTime::parse_from_rfc3339(link["expires"].as_str().unwrap()).unwrap();
    let minutes = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!(
        (540..=600).contains(&minutes),
        "expires in about ten minutes, not {minutes}s"
    );

    let first = open(url).expect(303);
    assert_eq!(
        first.header("location"),
        Some("/portal/connections?notice=created")
    );
    let cookie = first.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("tenantry_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
    let session = cookie.split(';').next().unwrap();
    let page = s.get_with("/portal", &[("Cookie", session)]).expect(200);
    assert!(
        page.text.contains("login-1") && page.text.contains("Anna &#60;b&#62;"),
        "the user's name, escaped: {}",
        page.text
    );
    assert!(!page.text.contains("<b>"));

    let again = open(url);
    assert_eq!(again.status, 410);
    assert!(
        again.header("set-cookie").is_none(),
        "a used link starts no session"
    );
    assert!(again.text.contains("already used"));
    // Without or with a forged session, the portal is not shown.
    assert_eq!(s.get_with("/portal", &[]).status, 401);
    let forged = s.get_with("/portal", &[("Cookie", "tenantry_session=forged")]);
    assert_eq!(forged.status, 401);
    assert!(!forged.text.contains("login-1"));
    s.get_with("/orders", &[("Cookie", session)])
        .expect_problem(404, "not_found");
}

#[test]
fn an_expired_login_url_never_works() {
    let s = TestServer::start_with(
        BOTH,
        ServiceConfig {
            login_url_ttl: chrono::Duration::zero(),
            ..Default::default()
        },
    );
    let (r, t) = setup(&s);
    let link = create_link(&s, &r, &t, json!({"path": "/"}));
    let r = open(link["loginUrl"].as_str().unwrap());
    assert_eq!(r.status, 410);
    assert!(r.text.contains("expired") && r.header("set-cookie").is_none());
}

#[test]
fn paths_that_leave_this_server_are_refused_when_the_url_is_created() {
    let s = TestServer::start(BOTH);
    let (r, t) = setup(&s);
    for path in [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "evil.example",
        "",
        "javascript:alert(1)",
    ] {
        let p = s.call(
            "POST",
            &format!("/reseller/tenant/{t}/login/anna"),
            &r.bearer(),
            Some(json!({ "path": path })),
        );
        let body = p.expect_problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "path", "{path}");
    }
    // The default path is the root.
    let link = create_link(&s, &r, &t, json!({}));
    assert_eq!(link["path"], "/");
}

#[test]
fn unknown_tokens_wrong_logins_deleted_users_and_deactivated_tenants_get_no_session() {
    let s = TestServer::start(BOTH);
    let (r, t) = setup(&s);
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/login/nobody"),
        &r.bearer(),
        Some(json!({"path": "/"})),
    )
    .expect_problem(404, "not_found");
    assert_eq!(
        open(&format!("{}/_tokenlogin/anna/madeup", s.base)).status,
        404
    );
    let mk = || {
        create_link(&s, &r, &t, json!({"path": "/"}))["loginUrl"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let url = mk();
    let wrong_login = url.replace("/_tokenlogin/anna/", "/_tokenlogin/bob/");
    assert_eq!(
        open(&wrong_login).status,
        404,
        "a token only works for its own user"
    );
    s.call(
        "PATCH",
        &format!("/reseller/tenant/{t}"),
        &r.bearer(),
        Some(json!({"active": false})),
    )
    .expect(200);
    let deactivated = open(&url);
    assert_eq!(deactivated.status, 403);
    assert!(deactivated.header("set-cookie").is_none());
    s.call(
        "PATCH",
        &format!("/reseller/tenant/{t}"),
        &r.bearer(),
        Some(json!({"active": true})),
    )
    .expect(200);
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{t}/user/anna"),
        &r.bearer(),
        None,
    )
    .expect(204);
    assert_eq!(open(&url).status, 404, "a deleted user's link is gone");
}

#[test]
fn a_deleted_tenants_link_is_gone() {
    let s = TestServer::start(BOTH);
    let (r, t) = setup(&s);
    let link = create_link(&s, &r, &t, json!({"path": "/"}));
    let url = link["loginUrl"].as_str().unwrap().to_owned();
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{t}"),
        &r.bearer(),
        None,
    )
    .expect(204);
    assert_eq!(open(&url).status, 404, "its login URL died with it");
}

#[test]
fn two_simultaneous_uses_of_one_link_start_one_session() {
    let s = TestServer::start(BOTH);
    let (r, t) = setup(&s);
    let link = create_link(&s, &r, &t, json!({"path": "/"}));
    let url = link["loginUrl"].as_str().unwrap().to_owned();
    let statuses: Vec<u16> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || open(&url).status)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        5,
        "{statuses:?}"
    );
}

#[test]
fn the_public_url_setting_names_the_host_in_login_urls() {
    let s = TestServer::start_with(
        BOTH,
        ServiceConfig {
            public_url: Some("https://tenants.example.com/".into()),
            ..Default::default()
        },
    );
    let (r, t) = setup(&s);
    let link = create_link(&s, &r, &t, json!({"path": "/"}));
    assert!(
        link["loginUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://tenants.example.com/_tokenlogin/anna/"),
        "{link}"
    );
}

#[test]
fn behind_a_tls_proxy_the_session_cookie_is_secure() {
    let s = TestServer::start(BOTH);
    let (r, t) = setup(&s);
    let link = create_link(&s, &r, &t, json!({"path": "/"}));
    let path = link["loginUrl"]
        .as_str()
        .unwrap()
        .trim_start_matches(&s.base)
        .to_owned();
    let used = s
        .get_with(&path, &[("X-Forwarded-Proto", "https")])
        .expect(303);
    assert!(
        used.header("set-cookie").unwrap().contains("Secure"),
        "{:?}",
        used.header("set-cookie")
    );
}

#[test]
fn the_reseller_ends_a_users_or_all_of_a_tenants_portal_sessions() {
    let s = TestServer::start(BOTH);
    let (r, t) = setup(&s);
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/user"),
        &r.bearer(),
        Some(json!({"login": "bo", "email": "bo@x.example"})),
    )
    .expect(201);
    let sign_in = |login: &str| -> String {
        let link = s
            .call(
                "POST",
                &format!("/reseller/tenant/{t}/login/{login}"),
                &r.bearer(),
                Some(json!({"path": "/portal"})),
            )
            .expect(201)
            .json();
        let opened = open(link["loginUrl"].as_str().unwrap());
        assert_eq!(opened.status, 303);
        opened
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let works = |cookie: &str| s.get_with("/portal", &[("Cookie", cookie)]).status == 200;
    let (anna, bo) = (sign_in("anna"), sign_in("bo"));
    assert!(works(&anna) && works(&bo));

    let path = format!("/reseller/tenant/{t}/session");
    let one = s
        .call("DELETE", &format!("{path}?login=anna"), &r.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(one["ended"], 1);
    assert!(!works(&anna) && works(&bo), "only anna's session ended");
    s.call("DELETE", &format!("{path}?login=nobody"), &r.bearer(), None)
        .expect_problem(404, "not_found");
    let other = s.reseller("other");
    s.call("DELETE", &path, &other.bearer(), None)
        .expect_problem(404, "not_found");
    s.call("DELETE", &path, &Auth::None, None).expect(401);
    assert!(works(&bo), "refused calls ended nothing");
    let all = s
        .call("DELETE", &path, &r.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(all["ended"], 1);
    assert!(!works(&bo));
    assert_eq!(
        s.call("DELETE", &path, &r.bearer(), None)
            .expect(200)
            .json()["ended"],
        0
    );
}
