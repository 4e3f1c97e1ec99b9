//! Idempotency-Key on POST: replays are byte-identical and create nothing, a reused key with
//! another body is 422, concurrent retries create exactly one thing, keys belong to their
//! principal and live in the database (a second server answers the first one's replay).

mod common;

use common::{Auth, TestServer, BOTH};
use serde_json::{json, Value};

const KEY: &str = "Idempotency-Key";

fn connection_count(s: &TestServer, auth: &Auth, tenant: &str) -> usize {
    s.list(&format!("/reseller/tenant/{tenant}/connection"), auth)
        .len()
}

#[test]
fn a_retried_post_replays_the_first_answer_byte_for_byte_and_creates_nothing() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("idem");
    let tenant = s.tenant(&r.bearer(), "idem-1");
    let path = format!("/reseller/tenant/{tenant}/connection");
    let body = json!({"name": "Webshop", "type": "api"});

    let first = s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "k-1"),
        Some(body.clone()),
    );
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    // A connection of type api answers its token once: the replay must carry the same one.
    assert!(first.json()["token"].is_string(), "{}", first.text);

    // The same key and request, even with keys reordered and another credential of the same
    // reseller and environment, is the same request.
    let reordered = json!({"type": "api", "name": "Webshop"});
    for auth in [r.bearer(), r.basic(), r.api_key()] {
        let again = s.call(
            "POST",
            &path,
            &auth.with(KEY, "k-1"),
            Some(reordered.clone()),
        );
        assert_eq!(again.status, 201);
        assert_eq!(again.text, first.text, "the replay is byte-identical");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(
            again.header("content-type"),
            first.header("content-type"),
            "the replay keeps the content type"
        );
    }
    assert_eq!(connection_count(&s, &r.bearer(), &tenant), 1);

    // A new key is a new request.
    s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "k-2"),
        Some(body.clone()),
    )
    .expect(201);
    assert_eq!(connection_count(&s, &r.bearer(), &tenant), 2);

    // Without a key, every POST acts.
    s.call("POST", &path, &r.bearer(), Some(body)).expect(201);
    assert_eq!(connection_count(&s, &r.bearer(), &tenant), 3);
}

#[test]
fn a_key_reused_with_another_request_is_refused() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("idem");
    let tenant = s.tenant(&r.bearer(), "idem-1");
    let path = format!("/reseller/tenant/{tenant}/connection");
    s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "k"),
        Some(json!({"name": "One"})),
    )
    .expect(201);
    s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "k"),
        Some(json!({"name": "Two"})),
    )
    .expect_problem(422, "idempotency_key_reused");
    // Another path with the same key is another request too.
    s.call(
        "POST",
        "/reseller/tenant",
        &r.bearer().with(KEY, "k"),
        Some(json!({"customerReference": "x", "fullName": "X", "email": "x@x.example", "defaultLanguage": "swe"})),
    )
    .expect_problem(422, "idempotency_key_reused");
    assert_eq!(connection_count(&s, &r.bearer(), &tenant), 1);
}

#[test]
fn malformed_keys_are_refused_and_failed_requests_replay_their_error() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("idem");
    let tenant = s.tenant(&r.bearer(), "idem-1");
    let path = format!("/reseller/tenant/{tenant}/connection");
    let long = "k".repeat(256);
    for bad in ["", "with space", long.as_str()] {
        s.call(
            "POST",
            &path,
            &r.bearer().with(KEY, bad),
            Some(json!({"name": "A"})),
        )
        .expect_problem(400, "invalid_idempotency_key");
    }
    // A refused body is an answer like any other: the retry gets the same one, request id and all.
    let invalid = json!({"name": ""});
    let first = s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "bad-body"),
        Some(invalid.clone()),
    );
    assert_eq!(first.status, 422);
    let again = s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "bad-body"),
        Some(invalid),
    );
    assert_eq!(again.status, 422);
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // Wrong credentials never reach the key: nothing is stored, nothing replayed.
    let wrong = Auth::Bearer("tnr_test_000000000000000000000000000000000000".into());
    let denied = s.call(
        "POST",
        &path,
        &wrong.with(KEY, "k"),
        Some(json!({"name": "A"})),
    );
    assert_eq!(denied.status, 401);
    s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "k"),
        Some(json!({"name": "A"})),
    )
    .expect(201);
}

#[test]
fn concurrent_requests_with_one_key_create_exactly_one_thing() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("idem");
    let tenant = s.tenant(&r.bearer(), "idem-1");
    let path = format!("/reseller/tenant/{tenant}/connection");
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (s, r, path) = (&s, &r, &path);
                scope.spawn(move || {
                    let a = s.call(
                        "POST",
                        path,
                        &r.bearer().with(KEY, "race"),
                        Some(json!({"name": "Race"})),
                    );
                    (a.status, a.text)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(connection_count(&s, &r.bearer(), &tenant), 1);
    let created: Vec<&String> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, text)| text)
        .collect();
    assert!(!created.is_empty(), "{answers:?}");
    assert!(
        created.iter().all(|t| *t == created[0]),
        "every 201 is the one first answer"
    );
    for (status, text) in &answers {
        assert!(
            *status == 201 || (*status == 409 && text.contains("idempotency_in_progress")),
            "{status} {text}"
        );
    }
    // After the race, a retry is a replay.
    let after = s.call(
        "POST",
        &path,
        &r.bearer().with(KEY, "race"),
        Some(json!({"name": "Race"})),
    );
    assert_eq!(after.status, 201);
    assert_eq!(&after.text, created[0]);
}

#[test]
fn keys_belong_to_their_principal_and_survive_in_the_database() {
    let s = TestServer::start(BOTH);
    let a = s.reseller("idem-a");
    let b = s.reseller("idem-b");
    let body = |reference: &str| json!({"customerReference": reference, "fullName": "X", "email": "x@x.example", "defaultLanguage": "swe"});
    let first = s
        .call(
            "POST",
            "/reseller/tenant",
            &a.bearer().with(KEY, "shared"),
            Some(body("a-1")),
        )
        .expect(201)
        .json();
    // Another reseller's key of the same name is its own.
    let other = s
        .call(
            "POST",
            "/reseller/tenant",
            &b.bearer().with(KEY, "shared"),
            Some(body("a-1")),
        )
        .expect(201)
        .json();
    assert_ne!(first["id"], other["id"]);
    // So is the same reseller's production environment.
    let production = s.credentials("idem-a", tenantry_domain::Environment::Production);
    s.call(
        "POST",
        "/reseller/tenant",
        &production.bearer().with(KEY, "shared"),
        Some(body("a-1")),
    )
    .expect(201);

    // A second server on the same database (another process, or this one restarted) replays.
    let second = s.second();
    let replay = second.call(
        "POST",
        "/reseller/tenant",
        &a.bearer().with(KEY, "shared"),
        Some(body("a-1")),
    );
    assert_eq!(replay.status, 201);
    assert_eq!(replay.json(), first);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    let listed: Value = s
        .call("GET", "/reseller/tenant", &a.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[test]
fn tenant_api_posts_are_idempotent_per_tenant() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("idem");
    let one = s.company_token(&r.bearer(), "shop-1");
    let two = s.company_token(&r.bearer(), "shop-2");
    let order = json!({"number": "1001", "currency": "SEK", "rows": [{"sku": "A", "name": "A", "quantity": 1, "unitPrice": "10.00", "vatRate": "25"}]});
    let first = s.call(
        "POST",
        "/tenant/order",
        &one.with(KEY, "o-1"),
        Some(order.clone()),
    );
    assert_eq!(first.status, 201, "{}", first.text);
    let again = s.call(
        "POST",
        "/tenant/order",
        &one.with(KEY, "o-1"),
        Some(order.clone()),
    );
    assert_eq!((again.status, &again.text), (201, &first.text));
    // Another tenant's key of the same name is its own request.
    s.call("POST", "/tenant/order", &two.with(KEY, "o-1"), Some(order))
        .expect(201);
    let orders = s
        .call("GET", "/tenant/order", &one, None)
        .expect(200)
        .json();
    assert_eq!(orders["data"].as_array().unwrap().len(), 1);
}
