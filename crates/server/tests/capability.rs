//! Capabilities (Calipsa): the operator grants a reseller capabilities, tenants' options must be
//! a subset, the reseller lists them, and removing one removes it from every tenant that had it.

mod common;

use common::{TestServer, BOTH};
use serde_json::json;
use tenantry_domain::Environment;
use tenantry_server::admin;

fn tenant_with(s: &TestServer, auth: &common::Auth, reference: &str, options: &[&str]) -> String {
    s.call(
        "POST",
        "/reseller/tenant",
        auth,
        Some(json!({"customerReference": reference, "fullName": "X", "email": "x@x.example", "defaultLanguage": "swe", "options": options})),
    )
    .expect(201)
    .json()["codeName"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_reseller_lists_its_capabilities_and_tenants_may_only_have_those() {
    let s = TestServer::start(BOTH);
    let r = s.reseller_in("caps", Environment::Sandbox, &["analytics"]);
    let listed = s
        .call("GET", "/reseller/capability", &r.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(listed, json!({"data": [{"name": "analytics"}]}));

    let refused = s
        .call(
            "POST",
            "/reseller/tenant",
            &r.bearer(),
            Some(json!({"customerReference": "v", "fullName": "X", "email": "x@x.example", "defaultLanguage": "swe", "options": ["analytics", "video"]})),
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "options[1]");
    assert_eq!(refused["errors"][0]["code"], "capability_not_granted");

    admin::add_capability(&s.db, "caps", "video").unwrap();
    // Granting twice is granting once.
    admin::add_capability(&s.db, "caps", "video").unwrap();
    let listed = s
        .call("GET", "/reseller/capability", &r.basic(), None)
        .expect(200)
        .json();
    assert_eq!(
        listed,
        json!({"data": [{"name": "analytics"}, {"name": "video"}]})
    );
    tenant_with(&s, &r.bearer(), "v", &["analytics", "video"]);
    // Another reseller's capabilities are its own.
    let other = s.reseller_in("plain", Environment::Sandbox, &[]);
    let none = s
        .call("GET", "/reseller/capability", &other.api_key(), None)
        .expect(200)
        .json();
    assert_eq!(none, json!({"data": []}));
}

#[test]
fn removing_a_capability_removes_it_from_every_tenant_in_both_environments() {
    let s = TestServer::start(BOTH);
    let sandbox = s.reseller_in("caps", Environment::Sandbox, &["analytics", "video"]);
    let production = s.credentials("caps", Environment::Production);
    let a = tenant_with(&s, &sandbox.bearer(), "a", &["analytics", "video"]);
    let b = tenant_with(&s, &production.bearer(), "b", &["video"]);
    let c = tenant_with(&s, &sandbox.bearer(), "c", &["analytics"]);
    // Another reseller's tenant with the same option keeps it.
    let other = s.reseller_in("other", Environment::Sandbox, &["video"]);
    let d = tenant_with(&s, &other.bearer(), "d", &["video"]);

    let removed = admin::remove_capability(&s.db, "caps", "video").unwrap();
    let mut changed = removed.tenants_changed.clone();
    changed.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(changed, expected);
    assert_eq!(removed.reseller.capabilities, vec!["analytics".to_owned()]);

    let options = |auth: &common::Auth, code_name: &str| {
        s.call("GET", &format!("/reseller/tenant/{code_name}"), auth, None)
            .expect(200)
            .json()["options"]
            .clone()
    };
    assert_eq!(options(&sandbox.bearer(), &a), json!(["analytics"]));
    assert_eq!(options(&production.bearer(), &b), json!([]));
    assert_eq!(options(&sandbox.bearer(), &c), json!(["analytics"]));
    assert_eq!(options(&other.bearer(), &d), json!(["video"]));
    // Each changed tenant's tenant.updated is in its environment's feed, as after any change.
    let updated = |auth: &common::Auth| -> Vec<(String, serde_json::Value)> {
        s.call("GET", "/reseller/event?type=tenant.updated", auth, None)
            .expect(200)
            .json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["tenant"]["codeName"].as_str().unwrap().to_owned(),
                    e["data"]["options"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        updated(&sandbox.bearer()),
        [(a.clone(), json!(["analytics"]))]
    );
    assert_eq!(updated(&production.bearer()), [(b.clone(), json!([]))]);
    assert_eq!(updated(&other.bearer()), []);
    // The audit log of each environment says the operator did it, from the command line.
    for creds in [&sandbox, &production] {
        let log = s
            .call("GET", "/reseller/audit?limit=200", &creds.bearer(), None)
            .expect(200)
            .json();
        let by_operator: Vec<_> = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"]["type"] == "operator")
            .map(|e| (e["surface"].clone(), e["operation"].clone()))
            .collect();
        assert_eq!(
            by_operator,
            [(json!("cli"), json!("capability remove video"))],
            "{log}"
        );
    }
    // The option can no longer be given.
    s.call(
        "PATCH",
        &format!("/reseller/tenant/{c}"),
        &sandbox.bearer(),
        Some(json!({"options": ["video"]})),
    )
    .expect_problem(422, "validation_failed");
    assert!(matches!(
        admin::remove_capability(&s.db, "caps", "video"),
        Err(admin::AdminError::NotFound(_))
    ));
}
