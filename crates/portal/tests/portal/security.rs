//! Forms: a post must carry its session's CSRF token and come from this portal; each refusal
//! changes nothing.

use super::*;

#[test]
fn a_post_without_the_sessions_token_or_from_another_site_is_refused_and_changes_nothing() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal");
    let other = Session::sign_in(&s, &t, "api", "/portal");
    assert_ne!(
        admin.csrf, other.csrf,
        "each session has a token of its own"
    );
    let fields = [("name", "Forged"), ("type", "api"), ("configuration", "")];
    fn with<'a>(csrf: &'a str, fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all = vec![("csrf", csrf)];
        all.extend_from_slice(fields);
        all
    }
    let same_site = admin.browser_headers();
    let before = connections(&s, &t).len();
    let refusals = [
        (
            "no token",
            admin.post_raw("/portal/connections", &fields, &same_site),
        ),
        (
            "a wrong token",
            admin.post_raw("/portal/connections", &with("x", &fields), &same_site),
        ),
        (
            "another session's token",
            admin.post_raw(
                "/portal/connections",
                &with(&other.csrf, &fields),
                &same_site,
            ),
        ),
        (
            "two tokens",
            admin.post_raw(
                "/portal/connections",
                &[
                    &with(&admin.csrf, &fields)[..],
                    &[("csrf", admin.csrf.as_str())],
                ]
                .concat(),
                &same_site,
            ),
        ),
        (
            "a cross-site post",
            admin.post_raw(
                "/portal/connections",
                &with(&admin.csrf, &fields),
                &[("Sec-Fetch-Site".into(), "cross-site".into())],
            ),
        ),
        (
            "another origin",
            admin.post_raw(
                "/portal/connections",
                &with(&admin.csrf, &fields),
                &[("Origin".into(), "https://evil.example".into())],
            ),
        ),
        (
            "a cross-site post claiming this origin",
            admin.post_raw(
                "/portal/connections",
                &with(&admin.csrf, &fields),
                &[
                    ("Origin".into(), s.base.clone()),
                    ("Sec-Fetch-Site".into(), "same-site".into()),
                ],
            ),
        ),
    ];
    for (what, answer) in refusals {
        assert_eq!(answer.status, 403, "{what}: {}", answer.text);
        assert!(
            answer.text.contains("Not allowed"),
            "{what}: an error page: {}",
            answer.text
        );
        assert!(answer.header("content-security-policy").is_some());
    }
    assert_eq!(connections(&s, &t).len(), before, "nothing was created");

    // A JSON body is not a form.
    let json = send(
        &agent(),
        "POST",
        &s.url("/portal/connections"),
        &admin.headers(&[]),
        Some(("application/json", r#"{"name":"x"}"#)),
    );
    assert_eq!(json.status, 415, "{}", json.text);
    // A form missing the field a page always sends is unreadable.
    let bad = admin.post(
        "/portal/connections/00000000000000000000000000000000/active",
        &[],
    );
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(connections(&s, &t).len(), before);

    // The page's own form, as the browser sends it, works.
    admin.post("/portal/connections", &fields).expect(303);
    assert_eq!(connections(&s, &t).len(), before + 1);
    // An old browser: no Sec-Fetch-Site, this server's Origin or none; the token decides.
    for headers in [vec![("Origin".to_owned(), s.base.clone())], vec![]] {
        admin
            .post_raw("/portal/connections", &with(&admin.csrf, &fields), &headers)
            .expect(303);
        let forged = admin.post_raw("/portal/connections", &fields, &headers);
        assert_eq!(forged.status, 403);
    }
}

#[test]
fn the_portal_is_rate_limited_at_the_resellers_rate_per_user() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    s.db.write(|conn| {
        tenantry_service::reseller::set_rate_limit(
            conn,
            &tenantry_service::Actor::Operator,
            &t.reseller.code,
            3,
        )
    })
    .unwrap();
    let admin = Session::sign_in(&s, &t, "api", "/portal"); // its first request
    let second = admin.get("/portal").expect(200);
    assert_eq!(second.header("ratelimit-limit"), Some("3"));
    assert_eq!(second.header("ratelimit-remaining"), Some("1"));
    admin.get("/portal/orders").expect(200);
    let refused = admin.get("/portal");
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert!(refused.header("retry-after").is_some());
    assert!(refused.text.contains("Too many requests"));
    // Each user has an allowance of their own.
    Session::sign_in(&s, &t, "viewer", "/portal");
}
