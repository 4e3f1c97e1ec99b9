//! `/reseller/integration`: what a partner offers, on the Reseller API mounted alone. The
//! handshake that links an integration to a tenant crosses into the portal, so its tests are
//! the server's (`crates/server/tests/partner_linking.rs`).

use serde_json::{json, Value};
use tenantry_domain::Environment;
use tenantry_http::app::Mount;
use tenantry_testkit::client::Auth;
use tenantry_testkit::server::TestServer;

const ALONE: &[Mount] = &[tenantry_reseller_api::configure];

fn offer() -> Value {
    json!({
        "name": "Acme Backup",
        "description": "Nightly backups of your orders",
        "redirectUrl": "https://backup.example/tenantry/connect",
        "connectionType": "acme_backup",
        "permissions": ["order:read"],
    })
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_partner_offers_changes_lists_and_withdraws_an_integration() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let created = s
        .call("POST", "/reseller/integration", &r.bearer(), Some(offer()))
        .expect(201);
    let body = created.json();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/reseller/integration/{id}").as_str())
    );
    assert_eq!(body["visibility"], "own", "the default");
    assert_eq!(body["permissions"], json!(["order:read"]));
    assert_eq!(
        body["linkEndpoint"],
        format!("/reseller/integration/{id}/link")
    );
    for (scheme, auth) in r.schemes() {
        let read = s
            .call("GET", &format!("/reseller/integration/{id}"), &auth, None)
            .expect(200)
            .json();
        assert_eq!(read, body, "{scheme}");
    }

    let changed = s
        .call(
            "PATCH",
            &format!("/reseller/integration/{id}"),
            &r.basic(),
            Some(json!({"name": "Acme Backup Pro", "permissions": ["order:read", "product:read"]})),
        )
        .expect(200)
        .json();
    assert_eq!(changed["name"], "Acme Backup Pro");
    assert_eq!(
        changed["permissions"],
        json!(["order:read", "product:read"])
    );
    assert_eq!(changed["redirectUrl"], body["redirectUrl"], "kept");

    let list = s
        .call("GET", "/reseller/integration?limit=1", &r.api_key(), None)
        .expect(200)
        .json();
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert_eq!(list["hasMore"], false);
    let live = s.credentials("acme", Environment::Production);
    let live_list = s
        .call("GET", "/reseller/integration", &live.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(live_list["data"], json!([]), "production is separate");

    s.call(
        "DELETE",
        &format!("/reseller/integration/{id}"),
        &r.bearer(),
        None,
    )
    .expect(204);
    s.call(
        "GET",
        &format!("/reseller/integration/{id}"),
        &r.bearer(),
        None,
    )
    .expect_problem(404, "not_found");
}

#[test]
fn another_resellers_or_environments_integration_is_not_found() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let other = s.reseller("other");
    let live = s.credentials("acme", Environment::Production);
    let id = s
        .call("POST", "/reseller/integration", &r.bearer(), Some(offer()))
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/reseller/integration/{id}");
    let link = json!({"link_uid": "x", "user_email": "a@b.example"});
    for auth in [other.bearer(), live.bearer()] {
        s.call("GET", &path, &auth, None)
            .expect_problem(404, "not_found");
        s.call("PATCH", &path, &auth, Some(json!({"name": "Mine"})))
            .expect_problem(404, "not_found");
        s.call("DELETE", &path, &auth, None)
            .expect_problem(404, "not_found");
        s.call("POST", &format!("{path}/link"), &auth, Some(link.clone()))
            .expect_problem(404, "not_found");
    }
    s.call("GET", "/reseller/integration/not-a-uuid", &r.bearer(), None)
        .expect_problem(404, "not_found");
    let unchanged = s.call("GET", &path, &r.bearer(), None).expect(200).json();
    assert_eq!(unchanged["name"], "Acme Backup");
}

#[test]
fn bad_integration_bodies_and_credentials_are_refused() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    s.call("POST", "/reseller/integration", &Auth::None, Some(offer()))
        .expect_problem(401, "unauthorized");
    s.raw(
        "POST",
        "/reseller/integration",
        &r.bearer(),
        "text/plain",
        &offer().to_string(),
    )
    .expect_problem(415, "unsupported_media_type");
    s.raw(
        "POST",
        "/reseller/integration",
        &r.bearer(),
        "application/json",
        "{\"name\": ",
    )
    .expect_problem(400, "malformed_json");
    let mut unknown = offer();
    unknown["colour"] = json!("red");
    let unknown = s
        .call("POST", "/reseller/integration", &r.bearer(), Some(unknown))
        .expect(422)
        .json();
    assert_eq!(fields(&unknown), ["colour"]);

    let invalid = s
        .call(
            "POST",
            "/reseller/integration",
            &r.bearer(),
            Some(json!({
                "name": "",
                "redirectUrl": "ftp://backup.example/",
                "connectionType": "Acme Backup",
                "permissions": ["order:eat"],
                "visibility": "everyone",
            })),
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(
        fields(&invalid),
        [
            "name",
            "redirectUrl",
            "connectionType",
            "permissions[0]",
            "visibility"
        ]
    );

    // Production redirects only to https.
    let live = s.credentials("acme", Environment::Production);
    let mut plain = offer();
    plain["redirectUrl"] = json!("http://backup.example/connect");
    let refused = s
        .call("POST", "/reseller/integration", &live.bearer(), Some(plain))
        .expect_problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["code"], "https_required");

    // Offering to every tenant needs the operator's permission.
    let mut public = offer();
    public["visibility"] = json!("all");
    let refused = s
        .call(
            "POST",
            "/reseller/integration",
            &r.bearer(),
            Some(public.clone()),
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["code"], "not_allowed");
    s.db.write(|conn| {
        let actor = tenantry_service::Actor::Operator;
        tenantry_service::reseller::set_public_integrations(conn, &actor, "acme", true)
    })
    .unwrap();
    let made = s
        .call("POST", "/reseller/integration", &r.bearer(), Some(public))
        .expect(201)
        .json();
    assert_eq!(made["visibility"], "all");
}

#[test]
fn a_key_needs_the_integration_scopes() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let key = s
        .call(
            "POST",
            "/reseller/key",
            &r.bearer(),
            Some(json!({"name": "reader", "scopes": ["integration:read"]})),
        )
        .expect(201)
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let reader = Auth::Bearer(key);
    s.call("POST", "/reseller/integration", &reader, Some(offer()))
        .expect_problem(403, "missing_scope");
    s.call("GET", "/reseller/integration", &reader, None)
        .expect(200);
    let id = s
        .call("POST", "/reseller/integration", &r.bearer(), Some(offer()))
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.call(
        "POST",
        &format!("/reseller/integration/{id}/link"),
        &reader,
        Some(json!({"link_uid": "x", "user_email": "a@b.example"})),
    )
    .expect_problem(403, "missing_scope");
}
