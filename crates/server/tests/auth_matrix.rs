//! The matrix every Reseller API endpoint must pass: no credentials, wrong password, wrong
//! X-Reseller, revoked key, malformed key, another reseller's ids (404), malformed JSON, wrong
//! content type and invalid fields.

mod common;

use common::{Auth, ResellerCreds, TestServer, BOTH};
use serde_json::{json, Value};

/// One operation of the Reseller API, with a valid and an invalid body where it takes one.
struct Endpoint {
    method: &'static str,
    path: &'static str,
    valid: Option<Value>,
    invalid: Option<Value>,
}

fn endpoints() -> Vec<Endpoint> {
    let e = |method, path, valid: Option<Value>, invalid: Option<Value>| Endpoint {
        method,
        path,
        valid,
        invalid,
    };
    let tenant = json!({"customerReference": "matrix", "fullName": "M", "email": "m@x.example", "defaultLanguage": "swe"});
    vec![
        e(
            "POST",
            "/reseller/tenant",
            Some(tenant),
            Some(
                json!({"customerReference": "", "fullName": "M", "email": "m@x.example", "defaultLanguage": "swe"}),
            ),
        ),
        e("GET", "/reseller/tenant", None, None),
        e("GET", "/reseller/tenant/{t}", None, None),
        e(
            "PATCH",
            "/reseller/tenant/{t}",
            Some(json!({"fullName": "New"})),
            Some(json!({"email": "nope"})),
        ),
        e("DELETE", "/reseller/tenant/{t}", None, None),
        e(
            "POST",
            "/reseller/tenant/{t}/user",
            Some(json!({"login": "new", "email": "n@x.example"})),
            Some(json!({"login": "a b", "email": "n@x.example"})),
        ),
        e("GET", "/reseller/tenant/{t}/user", None, None),
        e("GET", "/reseller/tenant/{t}/user/{login}", None, None),
        e(
            "PATCH",
            "/reseller/tenant/{t}/user/{login}",
            Some(json!({"fullName": "A"})),
            Some(json!({"permissions": ["fly"]})),
        ),
        e("DELETE", "/reseller/tenant/{t}/user/{login}", None, None),
        e(
            "POST",
            "/reseller/tenant/{t}/connection",
            Some(json!({"name": "API"})),
            Some(json!({"type": "Not Valid"})),
        ),
        e("GET", "/reseller/tenant/{t}/connection", None, None),
        e("GET", "/reseller/tenant/{t}/connection/{id}", None, None),
        e(
            "PATCH",
            "/reseller/tenant/{t}/connection/{id}",
            Some(json!({"active": false})),
            Some(json!({"name": ""})),
        ),
        e("DELETE", "/reseller/tenant/{t}/connection/{id}", None, None),
        e(
            "POST",
            "/reseller/tenant/{t}/login/{login}",
            Some(json!({"path": "/"})),
            Some(json!({"path": "https://evil.example"})),
        ),
        e("DELETE", "/reseller/tenant/{t}/session", None, None),
        e(
            "POST",
            "/reseller/tenant/{t}/connection/{id}/token",
            None,
            None,
        ),
        e(
            "DELETE",
            "/reseller/tenant/{t}/connection/{id}/token",
            None,
            None,
        ),
        e(
            "POST",
            "/reseller/tenant/{t}/sandbox/order",
            Some(json!({"count": 2})),
            Some(json!({"count": 0})),
        ),
        e(
            "POST",
            "/reseller/tenant/{t}/cancel",
            Some(json!({"effectiveDate": "2099-01-01T00:00:00Z"})),
            Some(json!({"effectiveDate": 5})),
        ),
        e("DELETE", "/reseller/tenant/{t}/cancel", None, None),
        e("GET", "/reseller/permission", None, None),
        e("GET", "/reseller/capability", None, None),
        e("GET", "/reseller/template", None, None),
        e("GET", "/reseller/portal", None, None),
        e(
            "PATCH",
            "/reseller/portal",
            Some(json!({"returnUrl": "https://app.example.com"})),
            Some(json!({"returnUrl": "http://app.example.com"})),
        ),
        e("GET", "/reseller/audit", None, None),
        e(
            "POST",
            "/reseller/key",
            Some(json!({"name": "ci", "scopes": ["tenant:read"]})),
            Some(json!({"name": "", "scopes": ["tenant:fly"]})),
        ),
        e("GET", "/reseller/key", None, None),
        e("GET", "/reseller/key/scope", None, None),
        e("DELETE", "/reseller/key/{key}", None, None),
        e(
            "POST",
            "/reseller/key/{key}/rotate",
            Some(json!({"overlapSeconds": 60})),
            Some(json!({"overlapSeconds": -1})),
        ),
        e(
            "POST",
            "/reseller/integration",
            Some(integration()),
            Some(
                json!({"name": "", "redirectUrl": "ftp://x", "connectionType": "A B", "permissions": ["order:fly"]}),
            ),
        ),
        e("GET", "/reseller/integration", None, None),
        e("GET", "/reseller/integration/{int}", None, None),
        e(
            "PATCH",
            "/reseller/integration/{int}",
            Some(json!({"name": "Backup Pro"})),
            Some(json!({"permissions": []})),
        ),
        e("DELETE", "/reseller/integration/{int}", None, None),
        // The partner's payload is free-form: only syntax and media type are refused as bodies;
        // a well-formed post without a live uid is the seed's 403 (partner_linking.rs has the
        // handshake that answers 200).
        e(
            "POST",
            "/reseller/integration/{int}/link",
            Some(json!({"link_uid": "not-live", "user_email": "a@x.example"})),
            None,
        ),
        e("GET", "/reseller/event", None, None),
        e("GET", "/reseller/analytics", None, None),
        e(
            "POST",
            "/reseller/webhook",
            Some(json!({"url": "https://hooks.example.com/in"})),
            Some(json!({"url": "https://127.0.0.1/in", "eventTypes": ["tenant.exploded"]})),
        ),
        e("GET", "/reseller/webhook", None, None),
        e("GET", "/reseller/webhook/{hook}", None, None),
        e(
            "PATCH",
            "/reseller/webhook/{hook}",
            Some(json!({"description": "orders"})),
            Some(json!({"eventTypes": ["nope"]})),
        ),
        e("DELETE", "/reseller/webhook/{hook}", None, None),
        e(
            "POST",
            "/reseller/webhook/{hook}/secret/rotate",
            Some(json!({"overlapHours": 1})),
            Some(json!({"overlapHours": -1})),
        ),
        e("GET", "/reseller/webhook/{hook}/attempt", None, None),
        e(
            "POST",
            "/reseller/webhook/{hook}/event/{event}/resend",
            None,
            None,
        ),
    ]
}

fn integration() -> Value {
    json!({"name": "Backup", "redirectUrl": "https://backup.example/connect", "connectionType": "backup", "permissions": ["order:read"]})
}

/// Whether the body is the partner's free-form payload (`…/link`), which has no shape to break.
fn free_form(e: &Endpoint) -> bool {
    e.path.ends_with("/link")
}

/// The status a valid request answers with.
fn success_status(e: &Endpoint) -> u16 {
    match e.method {
        "POST" if e.path.ends_with("/resend") => 202,
        "POST" if e.path.ends_with("/cancel") => 200,
        "POST" if e.path.ends_with("/rotate") && e.path.starts_with("/reseller/webhook") => 200,
        "POST" => 201,
        "DELETE" => 204,
        _ => 200,
    }
}

/// A reseller with one tenant, user `anna`, one connection and a spare key (the key
/// operations' target, so revoking it leaves the credentials working).
struct World {
    creds: ResellerCreds,
    tenant: String,
    connection: String,
    spare_key: String,
    webhook: String,
    event: String,
    integration: String,
}

fn world(s: &TestServer, code: &str) -> World {
    let creds = s.reseller(code);
    let tenant = s.tenant(&creds.bearer(), &format!("{code}-customer"));
    s.call(
        "POST",
        &format!("/reseller/tenant/{tenant}/user"),
        &creds.bearer(),
        Some(json!({"login": "anna", "email": "a@x.example"})),
    )
    .expect(201);
    let connection = s
        .call(
            "POST",
            &format!("/reseller/tenant/{tenant}/connection"),
            &creds.bearer(),
            Some(json!({})),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let spare_key = tenantry_server::admin::create_key(
        &s.db,
        code,
        "spare",
        tenantry_domain::Environment::Sandbox,
        &[],
    )
    .unwrap()
    .id
    .to_string();
    // A cancellation far ahead, so withdrawing it is an operation that succeeds.
    s.call(
        "POST",
        &format!("/reseller/tenant/{tenant}/cancel"),
        &creds.bearer(),
        Some(json!({"effectiveDate": "2099-01-01T00:00:00Z"})),
    )
    .expect(200);
    let webhook = s
        .call(
            "POST",
            "/reseller/webhook",
            &creds.bearer(),
            Some(json!({"url": "https://hooks.example.com/in"})),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = s
        .call("GET", "/reseller/event?limit=1", &creds.bearer(), None)
        .expect(200)
        .json()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let integration = s
        .call(
            "POST",
            "/reseller/integration",
            &creds.bearer(),
            Some(integration()),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    World {
        creds,
        tenant,
        connection,
        spare_key,
        webhook,
        event,
        integration,
    }
}

fn fill(path: &str, w: &World) -> String {
    path.replace("{t}", &w.tenant)
        .replace("{login}", "anna")
        .replace("{id}", &w.connection)
        .replace("{key}", &w.spare_key)
        .replace("{hook}", &w.webhook)
        .replace("{event}", &w.event)
        .replace("{int}", &w.integration)
}

/// The documented path of a matrix path.
fn documented_path(path: &str) -> String {
    path.replace("{t}", "{codeName}")
        .replace("{key}", "{id}")
        .replace("{hook}", "{id}")
        .replace("{event}", "{eventId}")
        .replace("{int}", "{id}")
}

#[test]
fn the_documented_operations_are_the_ones_this_matrix_covers() {
    let doc: Value = serde_json::from_str(&tenantry_reseller_api::openapi::document()).unwrap();
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let mut covered: Vec<String> = endpoints()
        .iter()
        .map(|e| format!("{} {}", e.method, documented_path(e.path)))
        .collect();
    documented.sort();
    covered.sort();
    assert_eq!(
        documented, covered,
        "an operation was added without being covered here (or the reverse)"
    );
}

#[test]
fn wrong_or_missing_credentials_are_401_with_a_challenge_on_every_endpoint() {
    let s = TestServer::unthrottled(BOTH);
    let w = world(&s, "acme");
    s.reseller("other"); // exists, so its code in X-Reseller is a real but wrong reseller
    let revoked = s.credentials("acme", tenantry_domain::Environment::Sandbox);
    tenantry_server::admin::revoke_key(&s.db, "acme", revoked.key_id).unwrap();
    let mut typo = w.creds.key.clone();
    typo.replace_range(12..13, if &typo[12..13] == "a" { "b" } else { "a" });
    let tenant_token_shape = tenantry_auth::token::generate(
        tenantry_auth::token::TokenKind::TenantToken,
        tenantry_domain::Environment::Sandbox,
    );
    let bad: Vec<(&str, Auth)> = vec![
        ("no credentials", Auth::None),
        (
            "wrong password",
            Auth::Basic {
                reseller: "acme".into(),
                login: w.creds.login.clone(),
                password: "wrong password!".into(),
            },
        ),
        (
            "unknown login",
            Auth::Basic {
                reseller: "acme".into(),
                login: "nobody".into(),
                password: w.creds.password.clone(),
            },
        ),
        (
            "another reseller's X-Reseller",
            Auth::Basic {
                reseller: "other".into(),
                login: w.creds.login.clone(),
                password: w.creds.password.clone(),
            },
        ),
        (
            "unknown X-Reseller",
            Auth::Basic {
                reseller: "ghost".into(),
                login: w.creds.login.clone(),
                password: w.creds.password.clone(),
            },
        ),
        (
            "Basic without X-Reseller",
            Auth::Headers(vec![(
                "Authorization".into(),
                "Basic YWRtaW46cGFzc3dvcmQ=".into(),
            )]),
        ),
        ("revoked key (Bearer)", revoked.bearer()),
        ("revoked key (x-APIKey)", revoked.api_key()),
        ("key with a typo", Auth::Bearer(typo)),
        ("not a key", Auth::ApiKey("hello".into())),
        ("a tenant token", Auth::Bearer(tenant_token_shape.secret)),
        (
            "unknown scheme",
            Auth::Headers(vec![("Authorization".into(), "Digest abc".into())]),
        ),
    ];
    for e in endpoints() {
        let path = fill(e.path, &w);
        for (what, auth) in &bad {
            let r = s.call(e.method, &path, auth, e.valid.clone());
            assert_eq!(
                r.header("www-authenticate")
                    .map(|h| h.contains("Basic") && h.contains("Bearer")),
                Some(true),
                "{what}: {} {path}",
                e.method
            );
            r.expect_problem(401, "unauthorized");
        }
        // Bad credentials win over bad input, whichever the server notices first: a body
        // that is not JSON, broken JSON, a wrong shape, a path or query that does not parse.
        let wrong = Auth::Bearer("rsl_wrong".into());
        if e.valid.is_some() {
            for (content_type, body) in [("text/plain", "{}"), ("application/json", "{")] {
                s.raw(e.method, &path, &wrong, content_type, body)
                    .expect_problem(401, "unauthorized");
            }
            s.call(e.method, &path, &wrong, e.invalid.clone())
                .expect_problem(401, "unauthorized");
        }
        if e.path.contains("{t}") {
            let undecodable = fill(&e.path.replace("{t}", "%FF%FE"), &w);
            s.call(e.method, &undecodable, &wrong, e.valid.clone())
                .expect_problem(401, "unauthorized");
        }
        if e.method == "GET" {
            s.call(e.method, &format!("{path}?limit=x"), &wrong, None)
                .expect_problem(401, "unauthorized");
        }
    }
    // Nothing above changed anything: the world is as it was.
    s.call(
        "GET",
        &fill("/reseller/tenant/{t}/user/anna", &w),
        &w.creds.bearer(),
        None,
    )
    .expect(200);
    s.call(
        "GET",
        &fill("/reseller/tenant/{t}/connection/{id}", &w),
        &w.creds.bearer(),
        None,
    )
    .expect(200);
}

#[test]
fn another_resellers_or_environments_ids_are_404_on_every_endpoint_and_change_nothing() {
    let s = TestServer::start(BOTH);
    let mine = world(&s, "acme");
    let theirs = world(&s, "other");
    // My production credentials, against my sandbox world: another environment is as foreign.
    let live = s.credentials("acme", tenantry_domain::Environment::Production);
    // Every operation with an id or codeName in its path (the coverage test above keeps this
    // list equal to the document's).
    for e in endpoints().iter().filter(|e| e.path.contains('{')) {
        let foreign = fill(e.path, &theirs);
        for (scheme, auth) in mine.creds.schemes() {
            let r = s.call(e.method, &foreign, &auth, e.valid.clone());
            assert_eq!(r.status, 404, "{scheme} {} {foreign}: {}", e.method, r.text);
            r.expect_problem(404, "not_found");
        }
        let own = fill(e.path, &mine);
        for (scheme, auth) in live.schemes() {
            let r = s.call(e.method, &own, &auth, e.valid.clone());
            assert_eq!(
                r.status, 404,
                "production {scheme} {} {own}: {}",
                e.method, r.text
            );
        }
        // My codeName with their connection id is just as unknown.
        if e.path.contains("{id}") || e.path.contains("{event}") {
            let mixed = e
                .path
                .replace("{t}", &mine.tenant)
                .replace("{login}", "anna")
                .replace("{id}", &theirs.connection)
                .replace("{hook}", &mine.webhook)
                .replace("{event}", &theirs.event);
            s.call(e.method, &mixed, &mine.creds.bearer(), e.valid.clone())
                .expect_problem(404, "not_found");
        }
    }
    for w in [&mine, &theirs] {
        s.call(
            "GET",
            &fill("/reseller/tenant/{t}/connection/{id}", w),
            &w.creds.bearer(),
            None,
        )
        .expect(200);
        s.call(
            "GET",
            &fill("/reseller/tenant/{t}/user/anna", w),
            &w.creds.bearer(),
            None,
        )
        .expect(200);
        let keys = s
            .call("GET", "/reseller/key", &w.creds.bearer(), None)
            .expect(200)
            .json();
        let spare = keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == w.spare_key.as_str())
            .unwrap()
            .clone();
        assert_eq!(spare["active"], true, "{spare}");
    }
}

#[test]
fn bad_bodies_are_400_415_or_422_on_every_endpoint_that_takes_one() {
    let s = TestServer::start(BOTH);
    let w = world(&s, "acme");
    let auth = w.creds.bearer();
    for e in endpoints().iter().filter(|e| e.valid.is_some()) {
        let path = fill(e.path, &w);
        let valid = e.valid.as_ref().unwrap().to_string();
        s.raw(e.method, &path, &auth, "application/json", "{\"broken\": ")
            .expect_problem(400, "malformed_json");
        s.raw(e.method, &path, &auth, "application/json", "")
            .expect_problem(400, "malformed_json");
        let p = s
            .raw(e.method, &path, &auth, "text/plain", &valid)
            .expect_problem(415, "unsupported_media_type");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("Content-Type: application/json"),
            "{p}"
        );
        s.raw(e.method, &path, &auth, "", &valid)
            .expect_problem(415, "unsupported_media_type");
        s.raw(
            e.method,
            &path,
            &auth,
            "application/x-www-form-urlencoded",
            "a=b",
        )
        .expect_problem(415, "unsupported_media_type");
        if free_form(e) {
            continue;
        }
        let p = s
            .call(e.method, &path, &auth, e.invalid.clone())
            .expect_problem(422, "validation_failed");
        assert!(
            !p["errors"].as_array().unwrap().is_empty(),
            "{} {path}: {p}",
            e.method
        );
        s.raw(e.method, &path, &auth, "application/json", "[1, 2]")
            .expect_problem(422, "validation_failed");
        s.raw(
            e.method,
            &path,
            &auth,
            "application/json",
            &format!("{{\"unknownField\": 1, {}", &valid[1..]),
        )
        .expect_problem(422, "validation_failed");
    }
    let huge = format!("{{\"fullName\": \"{}\"}}", "x".repeat(300 * 1024));
    let r = s.raw(
        "PATCH",
        &fill("/reseller/tenant/{t}", &w),
        &auth,
        "application/json",
        &huge,
    );
    r.expect_problem(413, "body_too_large");
}

#[test]
fn valid_requests_work_with_each_scheme_on_every_endpoint() {
    let s = TestServer::start(BOTH);
    for e in endpoints() {
        // A fresh world per endpoint, so deletes do not take the next one's target away.
        let code = format!("r{}", uuid::Uuid::new_v4().simple());
        let w = world(&s, &code[..20]);
        for (scheme, auth) in w.creds.schemes() {
            let mut body = e.valid.clone();
            if let (Some(b), "POST") = (&mut body, e.method) {
                if b.get("customerReference").is_some() {
                    b["customerReference"] = json!(format!("matrix-{scheme}"));
                }
                if b.get("login").is_some() {
                    b["login"] = json!(format!("new-{scheme}"));
                }
            }
            let r = s.call(e.method, &fill(e.path, &w), &auth, body);
            let status = r.status;
            if e.method == "DELETE" && e.path.ends_with("/cancel") {
                // The world has one cancellation to withdraw; then there is none.
                let expected = if scheme == "basic" { 200 } else { 409 };
                assert_eq!(status, expected, "{scheme} {}: {}", e.path, r.text);
            } else if e.method == "DELETE" && e.path.ends_with("/session") {
                // Ending sessions is repeatable: none are left after the first.
                assert_eq!(status, 200, "{scheme} {}: {}", e.path, r.text);
            } else if e.method == "DELETE" {
                // One delete per world; the other schemes then see it gone.
                assert!(
                    status == 204 || status == 404,
                    "{scheme} {} {}: {}",
                    e.method,
                    e.path,
                    r.text
                );
            } else if free_form(&e) {
                r.expect_problem(403, "invalid_link_uid");
            } else {
                let expected = success_status(&e);
                assert_eq!(
                    status, expected,
                    "{scheme} {} {}: {}",
                    e.method, e.path, r.text
                );
                assert!(r.header("x-request-id").is_some());
            }
        }
    }
}

#[test]
fn unknown_routes_methods_and_undecodable_paths_answer_problems_not_blank_pages() {
    let s = TestServer::start(BOTH);
    let w = world(&s, "acme");
    let put = s.call(
        "PUT",
        "/reseller/tenant",
        &w.creds.bearer(),
        Some(json!({})),
    );
    assert_eq!(put.header("allow"), Some("GET, POST"));
    put.expect_problem(405, "method_not_allowed");
    let delete = s.call("DELETE", "/tenant/order", &w.creds.bearer(), None);
    assert_eq!(delete.header("allow"), Some("GET, POST"));
    delete.expect_problem(405, "method_not_allowed");
    s.call(
        "POST",
        &fill("/reseller/tenant/{t}", &w),
        &w.creds.bearer(),
        Some(json!({})),
    )
    .expect_problem(405, "method_not_allowed");
    s.call("GET", "/reseller/nothing-here", &w.creds.bearer(), None)
        .expect_problem(404, "not_found");
    s.call("GET", "/reseller/tenant/%FF%FE", &w.creds.bearer(), None)
        .expect_problem(404, "not_found");
    let long = "x".repeat(4000);
    s.call(
        "GET",
        &format!("/reseller/tenant/{long}"),
        &w.creds.bearer(),
        None,
    )
    .expect_problem(404, "not_found");
    let doc = s
        .call("GET", "/reseller/openapi.json", &Auth::None, None)
        .expect(200);
    assert_eq!(
        doc.text,
        tenantry_reseller_api::openapi::document(),
        "the served document is the committed one"
    );
    let ready = s.call("GET", "/readyz", &Auth::None, None).expect(200);
    assert_eq!(ready.json()["status"], "ready");
    let health = s.call("GET", "/healthz", &Auth::None, None).expect(200);
    assert_eq!(health.json()["status"], "ok");
    let echoed = s.get_with("/healthz", &[("X-Request-Id", "trace-me-123")]);
    assert_eq!(echoed.header("x-request-id"), Some("trace-me-123"));
    let replaced = s.get_with("/healthz", &[("X-Request-Id", "bad id with spaces")]);
    assert_ne!(replaced.header("x-request-id"), Some("bad id with spaces"));
}

/// Generated from the document: on every operation, a key holding every scope but the one the
/// operation states is 403 naming it, and a key holding only that one gets past the check.
#[test]
fn a_key_without_the_operations_scope_is_403_naming_it_on_every_endpoint() {
    use tenantry_domain::scope::ALL;
    let s = TestServer::start(BOTH);
    let w = world(&s, "acme");
    let doc: Value = serde_json::from_str(&tenantry_reseller_api::openapi::document()).unwrap();
    let key = |scopes: Vec<String>| {
        let k = tenantry_server::admin::create_key(
            &s.db,
            "acme",
            "scoped",
            tenantry_domain::Environment::Sandbox,
            &scopes,
        )
        .unwrap();
        Auth::Bearer(k.key)
    };
    for e in endpoints() {
        let operation = &doc["paths"][documented_path(e.path)][e.method.to_lowercase()];
        let scope = operation["security"][1]["bearer"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{} {} states no scope", e.method, e.path))
            .to_owned();
        let others: Vec<String> = ALL
            .iter()
            .map(|s| s.as_str().to_owned())
            .filter(|s| *s != scope)
            .collect();
        let path = fill(e.path, &w);
        let p = s
            .call(e.method, &path, &key(others), e.valid.clone())
            .expect_problem(403, "missing_scope");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{scope}`")),
            "{} {path}: {p}",
            e.method
        );
        let only = s.call(e.method, &path, &key(vec![scope.clone()]), e.valid.clone());
        assert!(
            only.status != 401 && only.status != 403,
            "{} {path} with only `{scope}`: {} {}",
            e.method,
            only.status,
            only.text
        );
    }
}
