//! Tenant users and API connections under `/reseller/tenant/{codeName}`, on the Reseller API
//! mounted alone.

use serde_json::json;
use tenantry_http::app::Mount;
use tenantry_testkit::server::TestServer;

/// The Reseller API alone, as `serve --surface reseller` mounts it.
const ALONE: &[Mount] = &[tenantry_reseller_api::configure];

#[test]
fn users_are_created_read_listed_updated_and_deleted() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = s.tenant(&r.bearer(), "people");
    let base = format!("/reseller/tenant/{t}/user");
    let body = json!({"login": "anna", "fullName": "Anna", "email": "anna@x.example", "permissions": ["order:write"], "defaultLanguage": "eng", "password": "a long api password"});
    let created = s.call("POST", &base, &r.basic(), Some(body)).expect(201);
    assert_eq!(
        created.header("location"),
        Some(format!("{base}/anna").as_str())
    );
    let anna = created.json();
    assert_eq!(anna["login"], "anna");
    assert_eq!(anna["role"], "viewer");
    assert_eq!(anna["hasPassword"], true);
    assert_eq!(
        anna["effectivePermissions"],
        json!(["order:read", "order:write", "product:read"])
    );
    assert!(
        anna.get("password").is_none() && anna.get("passwordHash").is_none(),
        "no secret in a response: {anna}"
    );
    // The tenant's default language fills a missing one.
    let bob = s
        .call(
            "POST",
            &base,
            &r.bearer(),
            Some(json!({"login": "bob", "email": "bob@x.example", "role": "admin"})),
        )
        .expect(201)
        .json();
    assert_eq!(
        (bob["defaultLanguage"].clone(), bob["hasPassword"].clone()),
        (json!("swe"), json!(false))
    );
    let dup = s.call(
        "POST",
        &base,
        &r.bearer(),
        Some(json!({"login": "anna", "email": "other@x.example"})),
    );
    assert_eq!(dup.expect_problem(409, "user_exists")["login"], "anna");
    assert_eq!(
        s.call("GET", &format!("{base}/anna"), &r.api_key(), None)
            .expect(200)
            .json(),
        anna
    );
    let page1 = s
        .call("GET", &format!("{base}?limit=1"), &r.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(
        (page1["data"][0]["login"].clone(), page1["hasMore"].clone()),
        (json!("anna"), json!(true))
    );
    let next = page1["nextCursor"].as_str().unwrap();
    let page2 = s
        .call(
            "GET",
            &format!("{base}?limit=1&cursor={next}"),
            &r.bearer(),
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        (page2["data"][0]["login"].clone(), page2["hasMore"].clone()),
        (json!("bob"), json!(false))
    );
    let patched = s
        .call(
            "PATCH",
            &format!("{base}/anna"),
            &r.bearer(),
            Some(json!({"role": "manager", "password": null})),
        )
        .expect(200)
        .json();
    assert_eq!(
        (
            patched["role"].clone(),
            patched["hasPassword"].clone(),
            patched["email"].clone()
        ),
        (json!("manager"), json!(false), json!("anna@x.example"))
    );
    let patched = s
        .call(
            "PATCH",
            &format!("{base}/anna"),
            &r.bearer(),
            Some(json!({"password": "another long password"})),
        )
        .expect(200)
        .json();
    assert_eq!(patched["hasPassword"], true);
    s.call(
        "PATCH",
        &format!("{base}/anna"),
        &r.bearer(),
        Some(json!({"login": "renamed"})),
    )
    .expect_problem(422, "validation_failed");
    s.call("DELETE", &format!("{base}/anna"), &r.bearer(), None)
        .expect(204);
    s.call("GET", &format!("{base}/anna"), &r.bearer(), None)
        .expect_problem(404, "not_found");
    s.call(
        "GET",
        &format!("/reseller/tenant/{t}/user/nobody"),
        &r.bearer(),
        None,
    )
    .expect_problem(404, "not_found");
}

#[test]
fn the_same_login_may_exist_in_two_tenants() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    for reference in ["one", "two"] {
        let t = s.tenant(&r.bearer(), reference);
        s.call(
            "POST",
            &format!("/reseller/tenant/{t}/user"),
            &r.bearer(),
            Some(json!({"login": "api", "email": "api@x.example"})),
        )
        .expect(201);
    }
}

#[test]
fn connections_are_created_with_api_defaults_and_managed() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = s.tenant(&r.bearer(), "conn");
    let base = format!("/reseller/tenant/{t}/connection");
    let seed = json!({"active": true, "name": "API", "type": "api", "configuration": {"webhook": {"enabled": true}}});
    let created = s.call("POST", &base, &r.basic(), Some(seed)).expect(201);
    let c = created.json();
    let id = c["id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(
        created.header("location"),
        Some(format!("{base}/{id}").as_str())
    );
    assert_eq!(
        (
            c["type"].clone(),
            c["configuration"]["webhook"]["enabled"].clone()
        ),
        (json!("api"), json!(true))
    );
    let defaults = s
        .call("POST", &base, &r.bearer(), Some(json!({})))
        .expect(201)
        .json();
    assert_eq!(
        (
            defaults["type"].clone(),
            defaults["name"].clone(),
            defaults["active"].clone()
        ),
        (json!("api"), json!("API"), json!(true))
    );
    s.call(
        "POST",
        &base,
        &r.bearer(),
        Some(json!({"configuration": [1, 2]})),
    )
    .expect_problem(422, "validation_failed");
    s.call(
        "POST",
        &base,
        &r.bearer(),
        Some(json!({"configuration": "text"})),
    )
    .expect_problem(422, "validation_failed");
    let mut c = c;
    let token = c
        .as_object_mut()
        .unwrap()
        .remove("token")
        .expect("an api connection comes with a token");
    assert!(token.as_str().unwrap().starts_with("tnt_test_"), "{token}");
    assert_eq!(
        s.call("GET", &format!("{base}/{id}"), &r.api_key(), None)
            .expect(200)
            .json(),
        c
    );
    let list = s.call("GET", &base, &r.bearer(), None).expect(200).json();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["data"][0]["id"], id.as_str());
    let off = s
        .call(
            "PATCH",
            &format!("{base}/{id}"),
            &r.bearer(),
            Some(json!({"active": false, "configuration": {}})),
        )
        .expect(200)
        .json();
    assert_eq!(
        (
            off["active"].clone(),
            off["configuration"].clone(),
            off["name"].clone()
        ),
        (json!(false), json!({}), json!("API"))
    );
    s.call(
        "PATCH",
        &format!("{base}/{id}"),
        &r.bearer(),
        Some(json!({"type": "other"})),
    )
    .expect_problem(422, "validation_failed");
    s.call(
        "GET",
        &format!("{base}/not-a-connection-id"),
        &r.bearer(),
        None,
    )
    .expect_problem(404, "not_found");
    s.call("DELETE", &format!("{base}/{id}"), &r.bearer(), None)
        .expect(204);
    s.call("GET", &format!("{base}/{id}"), &r.bearer(), None)
        .expect_problem(404, "not_found");
    s.call("DELETE", &format!("{base}/{id}"), &r.bearer(), None)
        .expect_problem(404, "not_found");
}
