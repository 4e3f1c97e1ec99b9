//! `/reseller/tenant`: create, list, read, update, deactivate, delete, on the Reseller API
//! mounted alone; on the backend the environment names (SQLite by default, PostgreSQL when
//! TENANTRY_TEST_DATABASE_URL is set).

use serde_json::json;
use tenantry_domain::{time, Environment};
use tenantry_http::app::Mount;
use tenantry_testkit::server::TestServer;

/// The Reseller API alone, as `serve --surface reseller` mounts it.
const ALONE: &[Mount] = &[tenantry_reseller_api::configure];

fn tenant_body(reference: &str) -> serde_json::Value {
    json!({
        "customerReference": reference, "active": true, "fullName": "My Customer AB", "email": "it@mycustomer.example",
        "defaultLanguage": "swe", "languages": ["swe", "eng"], "options": ["orders"]
    })
}

#[test]
fn create_answers_201_with_code_name_and_id_and_the_tenant_reads_back() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let created = s
        .call(
            "POST",
            "/reseller/tenant",
            &r.bearer(),
            Some(tenant_body("mycustomer")),
        )
        .expect(201);
    assert_eq!(
        created.header("location"),
        Some("/reseller/tenant/mycustomer-1")
    );
    let body = created.json();
    assert_eq!(body["codeName"], "mycustomer-1");
    assert_eq!(body["id"].as_str().unwrap().len(), 36);
    assert_eq!(body["environment"], "sandbox");
    assert_eq!(
        body["status"], "provisioning",
        "usable while the work after creation runs"
    );
    let read = s
        .call("GET", "/reseller/tenant/mycustomer-1", &r.basic(), None)
        .expect(200)
        .json();
    assert_eq!(read, body, "GET shows what POST answered");
    assert_eq!(read["languages"], json!(["swe", "eng"]));
    assert_eq!(read["options"], json!(["orders"]));
}

#[test]
fn code_names_are_slugged_prefixed_numbered_and_never_reused() {
    let s = TestServer::start(ALONE);
    let sharespine = tenantry_service::reseller::NewReseller {
        code: "sp".into(),
        name: "Sharespine".into(),
        code_name_prefix: "sp".into(),
        capabilities: vec![],
    };
    let actor = &tenantry_service::Actor::Operator;
    s.db.write(|c| tenantry_service::reseller::create(c, actor, sharespine, time::now()))
        .unwrap();
    let r = s.credentials("sp", Environment::Sandbox);
    let a = s.tenant(&r.bearer(), "My Customer");
    assert_eq!(a, "spmy-customer-1");
    let b = s.tenant(&r.bearer(), "my customer!");
    assert_eq!(b, "spmy-customer-2", "same slug, next number");
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{b}"),
        &r.bearer(),
        None,
    )
    .expect(204);
    let c = s.tenant(&r.bearer(), "MY-CUSTOMER");
    assert_eq!(
        c, "spmy-customer-3",
        "a deleted tenant's codeName is not handed out again"
    );
}

#[test]
fn a_second_tenant_with_the_same_customer_reference_is_409_naming_the_existing_code_name() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let first = s.tenant(&r.bearer(), "dup");
    let body = s
        .call(
            "POST",
            "/reseller/tenant",
            &r.basic(),
            Some(tenant_body("dup")),
        )
        .expect_problem(409, "tenant_exists");
    assert_eq!(body["codeName"], first);
    assert!(body["detail"].as_str().unwrap().contains(&first));
    // Another reseller may use the same reference: references are per reseller.
    let other = s.reseller("other");
    s.tenant(&other.bearer(), "dup");
    // Renaming onto a taken reference is refused the same way.
    let second = s.tenant(&r.bearer(), "second");
    let p = s.call(
        "PATCH",
        &format!("/reseller/tenant/{second}"),
        &r.bearer(),
        Some(json!({"customerReference": "dup"})),
    );
    assert_eq!(p.expect_problem(409, "tenant_exists")["codeName"], first);
}

#[test]
fn invalid_fields_are_422_naming_each_field() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let mut body = tenant_body("x");
    body["email"] = json!("not-an-email");
    body["defaultLanguage"] = json!("Swedish");
    body["options"] = json!(["orders", "teleport"]);
    let p = s
        .call("POST", "/reseller/tenant", &r.bearer(), Some(body))
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["defaultLanguage", "email", "options[1]"]);
    assert_eq!(p["errors"][2]["code"], "capability_not_granted");
    // Fields the caller may not set, and wrong types, are refused too.
    let mut extra = tenant_body("y");
    extra["resellerId"] = json!("someone-else");
    let p = s
        .call("POST", "/reseller/tenant", &r.bearer(), Some(extra))
        .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "resellerId");
    let mut wrong = tenant_body("z");
    wrong["languages"] = json!(["swe", 7]);
    let p = s
        .call("POST", "/reseller/tenant", &r.bearer(), Some(wrong))
        .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "languages[1]");
    let missing = json!({"customerReference": "m"});
    s.call("POST", "/reseller/tenant", &r.bearer(), Some(missing))
        .expect_problem(422, "validation_failed");
    // Nothing was created by any of these.
    assert_eq!(
        s.call("GET", "/reseller/tenant", &r.bearer(), None).json()["data"],
        json!([])
    );
}

#[test]
fn deactivating_keeps_the_data_and_activating_brings_it_back() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = s.tenant(&r.bearer(), "pause");
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/user"),
        &r.bearer(),
        Some(json!({"login": "anna", "email": "a@x.example"})),
    )
    .expect(201);
    let off = s
        .call(
            "PATCH",
            &format!("/reseller/tenant/{t}"),
            &r.bearer(),
            Some(json!({"active": false})),
        )
        .expect(200)
        .json();
    assert_eq!(
        (off["active"].clone(), off["status"].clone()),
        (json!(false), json!("deactivated"))
    );
    assert_eq!(off["fullName"], "pause AB", "fields not named stay");
    s.call(
        "GET",
        &format!("/reseller/tenant/{t}/user/anna"),
        &r.bearer(),
        None,
    )
    .expect(200);
    let on = s
        .call(
            "PATCH",
            &format!("/reseller/tenant/{t}"),
            &r.bearer(),
            Some(json!({"active": true, "fullName": "Back"})),
        )
        .expect(200)
        .json();
    assert_eq!(
        (on["active"].clone(), on["fullName"].clone()),
        (json!(true), json!("Back"))
    );
    assert!(
        on["updatedAt"].as_str() > off["updatedAt"].as_str() || on["updatedAt"] == off["updatedAt"]
    );
}

#[test]
fn delete_removes_the_tenant_and_all_its_data() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = s.tenant(&r.bearer(), "gone");
    let id: uuid::Uuid = s
        .call("GET", &format!("/reseller/tenant/{t}"), &r.bearer(), None)
        .json()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/user"),
        &r.bearer(),
        Some(json!({"login": "anna", "email": "a@x.example"})),
    )
    .expect(201);
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/connection"),
        &r.bearer(),
        Some(json!({})),
    )
    .expect(201);
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/login/anna"),
        &r.bearer(),
        Some(json!({"path": "/"})),
    )
    .expect(201);
    let count = || {
        s.db.read(|conn| tenantry_storage::tenant::owned_row_count(conn, id))
            .unwrap()
    };
    assert_eq!(
        count(),
        4,
        "a user, a connection, its tenant token and a login token"
    );
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{t}"),
        &r.bearer(),
        None,
    )
    .expect(204);
    assert_eq!(count(), 0, "the rows are gone, not hidden");
    s.call("GET", &format!("/reseller/tenant/{t}"), &r.bearer(), None)
        .expect_problem(404, "not_found");
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{t}"),
        &r.bearer(),
        None,
    )
    .expect_problem(404, "not_found");
}

#[test]
fn the_list_pages_with_a_cursor_and_filters() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(s.tenant(&r.bearer(), &format!("c{i}")));
    }
    s.call(
        "PATCH",
        &format!("/reseller/tenant/{}", made[3]),
        &r.bearer(),
        Some(json!({"active": false})),
    )
    .expect(200);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/reseller/tenant?limit=3&cursor={c}"),
            None => "/reseller/tenant?limit=3".to_owned(),
        };
        let page = s.call("GET", &path, &r.basic(), None).expect(200).json();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["codeName"].as_str().unwrap().to_owned()),
        );
        if !page["hasMore"].as_bool().unwrap() {
            assert!(page["nextCursor"].is_null());
            break;
        }
        cursor = Some(page["nextCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, made, "every tenant once, in creation order");
    let inactive = s
        .call("GET", "/reseller/tenant?active=false", &r.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(inactive["data"].as_array().unwrap().len(), 1);
    assert_eq!(inactive["data"][0]["codeName"], made[3]);
    let by_ref = s
        .call(
            "GET",
            "/reseller/tenant?customerReference=c5",
            &r.bearer(),
            None,
        )
        .expect(200)
        .json();
    assert_eq!(by_ref["data"][0]["codeName"], made[5]);
    s.call("GET", "/reseller/tenant?limit=0", &r.bearer(), None)
        .expect_problem(400, "invalid_limit");
    s.call("GET", "/reseller/tenant?limit=1000", &r.bearer(), None)
        .expect_problem(400, "invalid_limit");
    s.call("GET", "/reseller/tenant?cursor=bogus", &r.bearer(), None)
        .expect_problem(400, "invalid_cursor");
    s.call("GET", "/reseller/tenant?active=maybe", &r.bearer(), None)
        .expect_problem(400, "invalid_query");
    s.call("GET", "/reseller/tenant?tenantId=x", &r.bearer(), None)
        .expect_problem(400, "invalid_query");
}

#[test]
fn resellers_and_environments_never_see_each_others_tenants() {
    let s = TestServer::start(ALONE);
    let acme = s.reseller("acme");
    let other = s.reseller("other");
    let live = s.credentials("acme", Environment::Production);
    let t = s.tenant(&acme.bearer(), "secret");
    for auth in [other.basic(), other.bearer(), live.basic(), live.bearer()] {
        s.call("GET", &format!("/reseller/tenant/{t}"), &auth, None)
            .expect_problem(404, "not_found");
        s.call(
            "PATCH",
            &format!("/reseller/tenant/{t}"),
            &auth,
            Some(json!({"active": false})),
        )
        .expect_problem(404, "not_found");
        s.call("DELETE", &format!("/reseller/tenant/{t}"), &auth, None)
            .expect_problem(404, "not_found");
        assert_eq!(
            s.call("GET", "/reseller/tenant", &auth, None)
                .expect(200)
                .json()["data"],
            json!([])
        );
    }
    // A production credential creates production tenants, with a live key prefix.
    assert!(live.key.starts_with("tnr_live_"));
    let prod = s
        .call(
            "POST",
            "/reseller/tenant",
            &live.bearer(),
            Some(tenant_body("secret")),
        )
        .expect(201)
        .json();
    assert_eq!(prod["environment"], "production");
    s.call(
        "GET",
        &format!("/reseller/tenant/{t}"),
        &acme.bearer(),
        None,
    )
    .expect(200);
}

/// The path of a tenant `auth` creates.
fn created_tenant_path(s: &TestServer, auth: &tenantry_testkit::client::Auth) -> String {
    let created = s
        .call("POST", "/reseller/tenant", auth, Some(tenant_body("shop")))
        .expect(201);
    let code_name = created.json()["codeName"].as_str().unwrap().to_owned();
    format!("/reseller/tenant/{code_name}")
}

/// How a reseller key stops working, applied behind the server's back as the operator or
/// another process would.
#[derive(Debug, Clone, Copy)]
enum KeyEnding {
    Revoked,
    Expired,
}

#[test]
fn a_remembered_key_is_refused_on_its_next_write_exactly_as_a_fresh_lookup_refuses_it() {
    use tenantry_storage::reseller as resellers;
    let s = TestServer::start(ALONE);
    let lookups = || s.state().auth.key_lookups();
    for (i, ending) in [KeyEnding::Revoked, KeyEnding::Expired].iter().enumerate() {
        let r = s.reseller(&format!("acme{i}"));
        let auth = r.bearer();
        let path = created_tenant_path(&s, &auth);
        // The create looked the key up; the writes after it do not: their transaction checks it.
        let before = lookups();
        for name in ["Renamed once", "Renamed twice"] {
            s.call("PATCH", &path, &auth, Some(json!({ "fullName": name })))
                .expect(200);
        }
        assert_eq!(lookups(), before, "a remembered key is not looked up");

        let stored =
            s.db.read(|conn| resellers::find_by_code(conn, &r.code))
                .unwrap();
        s.db.write(|conn| match ending {
            KeyEnding::Revoked => resellers::revoke_key(conn, stored.id, r.key_id, time::now()),
            KeyEnding::Expired => resellers::expire_key(conn, r.key_id, time::now()),
        })
        .unwrap();
        // The reference: a read, which always looks the key up.
        let fresh = s.call("GET", &path, &auth, None);
        assert_eq!(fresh.status, 401, "{ending:?}: {}", fresh.text);
        let fresh_code = fresh.json()["code"].clone();
        for (method, write_path, body) in [
            ("PATCH", path.clone(), Some(json!({ "fullName": "After" }))),
            (
                "POST",
                format!("{path}/cancel"),
                Some(json!({ "effectiveDate": "2099-01-01T00:00:00Z" })),
            ),
            ("DELETE", path.clone(), None),
            (
                "POST",
                "/reseller/tenant".to_owned(),
                Some(tenant_body("other")),
            ),
        ] {
            let refused = s.call(method, &write_path, &auth, body);
            assert_eq!(
                (refused.status, refused.json()["code"].clone()),
                (fresh.status, fresh_code.clone()),
                "{ending:?}: {method} {write_path}: {}",
                refused.text
            );
            assert_eq!(
                refused.header("www-authenticate"),
                fresh.header("www-authenticate")
            );
        }
        // Nothing was written: another key of the reseller reads the tenant as it was.
        let other = s.credentials(&r.code, Environment::Sandbox);
        let read = s.call("GET", &path, &other.bearer(), None).expect(200);
        assert_eq!(read.json()["fullName"], "Renamed twice", "{ending:?}");
    }
}

/// Reseller `code` with a tenant (its path returned) and a key this process remembers (a
/// write made with it), then revoked behind the server's back.
fn remembered_then_revoked(
    s: &TestServer,
    code: &str,
) -> (tenantry_testkit::server::ResellerCreds, String) {
    use tenantry_storage::reseller as resellers;
    let r = s.reseller(code);
    let path = created_tenant_path(s, &r.bearer());
    s.call(
        "PATCH",
        &path,
        &r.bearer(),
        Some(json!({ "fullName": "Known" })),
    )
    .expect(200);
    let stored =
        s.db.read(|conn| resellers::find_by_code(conn, &r.code))
            .unwrap();
    s.db.write(|conn| resellers::revoke_key(conn, stored.id, r.key_id, time::now()))
        .unwrap();
    (r, path)
}

#[test]
fn a_remembered_revoked_key_is_refused_before_its_body_or_its_tenant_is_judged() {
    let s = TestServer::start(ALONE);
    // What a live key would be told: 422 for the body, 404 for the tenant.
    let cases: [(&str, Option<serde_json::Value>); 2] = [
        ("", Some(json!({ "fullName": 5 }))),
        ("-no-such-tenant", Some(json!({ "fullName": "After" }))),
    ];
    for (i, (suffix, body)) in cases.into_iter().enumerate() {
        let (r, path) = remembered_then_revoked(&s, &format!("corner{i}"));
        let auth = r.bearer();
        let refused = s.call("PATCH", &format!("{path}{suffix}"), &auth, body);
        assert_eq!(refused.status, 401, "{suffix:?}: {}", refused.text);
        assert!(refused.header("www-authenticate").is_some(), "{suffix:?}");
    }
}

#[test]
fn a_refused_keys_answer_is_not_kept_for_its_idempotency_key() {
    let s = TestServer::start(ALONE);
    let (r, _) = remembered_then_revoked(&s, "idem");
    let auth = r.bearer();
    let body = json!({ "customerReference": 5 });
    let refused = s.call(
        "POST",
        "/reseller/tenant",
        &auth.with("Idempotency-Key", "k-1"),
        Some(body.clone()),
    );
    assert_eq!(refused.status, 401, "{}", refused.text);
    // The reseller's live key, same request: its own answer, not the revoked key's.
    let other = s.credentials(&r.code, Environment::Sandbox);
    let answered = s.call(
        "POST",
        "/reseller/tenant",
        &other.bearer().with("Idempotency-Key", "k-1"),
        Some(body),
    );
    assert_eq!(answered.status, 422, "{}", answered.text);
    assert_eq!(answered.header("idempotent-replayed"), None);
}

#[test]
fn a_remembered_key_whose_reseller_changed_writes_with_what_the_reseller_is_now() {
    use tenantry_domain::audit::Actor;
    use tenantry_service::capability;
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let auth = r.bearer();
    let path = created_tenant_path(&s, &auth);
    s.call(
        "PATCH",
        &path,
        &auth,
        Some(json!({ "fullName": "Remembered" })),
    )
    .expect(200);
    let before = s.state().auth.key_lookups();

    // The operator takes `orders` and grants `video` from another process (its command line).
    s.db.write(|conn| {
        capability::remove(conn, &Actor::Operator, &r.code, "orders")?;
        capability::add(conn, &Actor::Operator, &r.code, "video").map(drop)
    })
    .unwrap();
    let p = s
        .call(
            "PATCH",
            &path,
            &auth,
            Some(json!({ "options": ["orders"] })),
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["code"], "capability_not_granted");
    let granted = s
        .call("PATCH", &path, &auth, Some(json!({ "options": ["video"] })))
        .expect(200);
    assert_eq!(granted.json()["options"], json!(["video"]));
    assert_eq!(
        s.state().auth.key_lookups(),
        before + 1,
        "looked up once when the check failed, then remembered as the reseller is now"
    );
}
