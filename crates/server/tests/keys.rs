//! Scoped reseller keys over the Reseller API itself: create, list, revoke, rotate with an
//! overlap; a read-only key reads but cannot write; a key cannot grant what it lacks.

mod common;

use common::{Auth, TestServer, BOTH};
use serde_json::{json, Value};
use tenantry_domain::Environment;

fn create(s: &TestServer, auth: &Auth, body: Value) -> Value {
    s.call("POST", "/reseller/key", auth, Some(body))
        .expect(201)
        .json()
}

fn secret(key: &Value) -> Auth {
    Auth::Bearer(key["secret"].as_str().unwrap().to_owned())
}

#[test]
fn a_read_only_key_reads_everything_and_every_write_names_the_missing_scope() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("keys");
    let code_name = s.tenant(&r.bearer(), "shop-1");
    let created = create(
        &s,
        &r.basic(),
        json!({"name": "reporting", "scopes": ["tenant:read"]}),
    );
    assert_eq!(created["scopes"], json!(["tenant:read"]));
    assert_eq!(created["environment"], "sandbox");
    assert_eq!(created["active"], true);
    assert!(created["secret"].as_str().unwrap().starts_with("tnr_test_"));
    let read_only = secret(&created);

    s.call("GET", "/reseller/tenant", &read_only, None)
        .expect(200);
    s.call(
        "GET",
        &format!("/reseller/tenant/{code_name}"),
        &read_only,
        None,
    )
    .expect(200);
    let p = s
        .call(
            "PATCH",
            &format!("/reseller/tenant/{code_name}"),
            &read_only,
            Some(json!({"fullName": "Changed"})),
        )
        .expect_problem(403, "missing_scope");
    assert!(
        p["detail"].as_str().unwrap().contains("`tenant:write`"),
        "{p}"
    );
    s.call(
        "POST",
        &format!("/reseller/tenant/{code_name}/connection"),
        &read_only,
        Some(json!({})),
    )
    .expect_problem(403, "missing_scope");
    // Unchanged.
    let tenant = s
        .call(
            "GET",
            &format!("/reseller/tenant/{code_name}"),
            &r.bearer(),
            None,
        )
        .expect(200)
        .json();
    assert_ne!(tenant["fullName"], "Changed");

    // Acting for a tenant (X-Tenant-ID), the key reads orders but cannot write them.
    let as_tenant = Auth::Headers(vec![
        (
            "Authorization".into(),
            format!("Bearer {}", created["secret"].as_str().unwrap()),
        ),
        ("X-Tenant-ID".into(), tenant["id"].as_str().unwrap().into()),
    ]);
    s.call("GET", "/tenant/order", &as_tenant, None).expect(200);
    s.call(
        "POST",
        "/tenant/order",
        &as_tenant,
        Some(json!({"number": "1", "currency": "SEK", "rows": [{"sku": "A", "name": "A", "quantity": 1, "unitPrice": "1.00", "vatRate": "25"}]})),
    )
    .expect_problem(403, "missing_permission");

    // A key without `tenant:read` reads no orders; the permission is judged before the query.
    let write_only = create(
        &s,
        &r.basic(),
        json!({"name": "writer", "scopes": ["tenant:write"]}),
    );
    let as_writer = Auth::Headers(vec![
        (
            "Authorization".into(),
            format!("Bearer {}", write_only["secret"].as_str().unwrap()),
        ),
        ("X-Tenant-ID".into(), tenant["id"].as_str().unwrap().into()),
    ]);
    let p = s
        .call("GET", "/tenant/order?limit=500", &as_writer, None)
        .expect_problem(403, "missing_permission");
    assert!(p["detail"].as_str().unwrap().contains("order:read"), "{p}");
}

#[test]
fn a_key_cannot_grant_a_scope_it_does_not_hold() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("keys");
    let manager = secret(&create(
        &s,
        &r.bearer(),
        json!({"name": "key manager", "scopes": ["key:write", "tenant:read"]}),
    ));
    let p = s
        .call(
            "POST",
            "/reseller/key",
            &manager,
            Some(json!({"name": "escalate", "scopes": ["tenant:read", "tenant:write"]})),
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "scopes[1]");
    assert_eq!(p["errors"][0]["code"], "scope_not_held");
    // Without scopes, a new key gets exactly the caller's.
    let inherited = create(&s, &manager, json!({"name": "same"}));
    assert_eq!(inherited["scopes"], json!(["key:write", "tenant:read"]));
    let p = s
        .call(
            "POST",
            "/reseller/key",
            &manager,
            Some(json!({"name": "x", "scopes": ["tenant:fly"]})),
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["code"], "unknown_scope");
    // It cannot rotate a key holding more than it does either.
    let full = create(&s, &r.bearer(), json!({"name": "full"}));
    s.call(
        "POST",
        &format!("/reseller/key/{}/rotate", full["id"].as_str().unwrap()),
        &manager,
        Some(json!({})),
    )
    .expect_problem(403, "missing_scope");
    // The catalogue is listed.
    let scopes = s
        .call("GET", "/reseller/key/scope", &r.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(
        scopes["data"].as_array().unwrap().len(),
        tenantry_domain::scope::ALL.len()
    );
}

#[test]
fn keys_are_listed_per_environment_revoked_at_once_and_foreign_ids_are_404() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("keys");
    let production = s.credentials("keys", Environment::Production);
    let other = s.reseller("other");
    let made = create(&s, &r.bearer(), json!({"name": "to revoke"}));
    let id = made["id"].as_str().unwrap().to_owned();

    let listed = s
        .call("GET", "/reseller/key", &r.bearer(), None)
        .expect(200)
        .json();
    let rows = listed["data"].as_array().unwrap();
    assert!(rows.iter().any(|k| k["id"] == id.as_str()));
    assert!(rows.iter().all(|k| k["environment"] == "sandbox"));
    assert!(
        rows.iter().all(|k| k.get("secret").is_none()),
        "secrets are never listed"
    );
    let live = s
        .call("GET", "/reseller/key", &production.bearer(), None)
        .expect(200)
        .json();
    assert!(live["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["id"] != id.as_str()));

    // Another reseller's, or another environment's, credential cannot touch it.
    for auth in [other.bearer(), production.bearer()] {
        s.call("DELETE", &format!("/reseller/key/{id}"), &auth, None)
            .expect_problem(404, "not_found");
        s.call(
            "POST",
            &format!("/reseller/key/{id}/rotate"),
            &auth,
            Some(json!({})),
        )
        .expect_problem(404, "not_found");
    }
    s.call("GET", "/reseller/tenant", &secret(&made), None)
        .expect(200);
    s.call("DELETE", &format!("/reseller/key/{id}"), &r.bearer(), None)
        .expect(204);
    s.call("GET", "/reseller/tenant", &secret(&made), None)
        .expect_problem(401, "unauthorized");
    let listed = s
        .call("GET", "/reseller/key", &r.bearer(), None)
        .expect(200)
        .json();
    let revoked = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(revoked["active"], false);
    assert!(revoked["revokedAt"].is_string());
    s.call(
        "POST",
        &format!("/reseller/key/{id}/rotate"),
        &r.bearer(),
        Some(json!({})),
    )
    .expect_problem(409, "key_inactive");
    s.call("DELETE", "/reseller/key/not-a-uuid", &r.bearer(), None)
        .expect_problem(404, "not_found");
}

#[test]
fn a_rotated_key_keeps_working_for_its_overlap_beside_its_successor() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("keys");
    let old = create(
        &s,
        &r.bearer(),
        json!({"name": "webshop", "scopes": ["tenant:read"]}),
    );
    let old_id = old["id"].as_str().unwrap();
    let new = s
        .call(
            "POST",
            &format!("/reseller/key/{old_id}/rotate"),
            &r.bearer(),
            Some(json!({"overlapSeconds": 3600})),
        )
        .expect(201)
        .json();
    assert_ne!(new["id"], old["id"]);
    assert_eq!(
        (&new["name"], &new["scopes"]),
        (&old["name"], &old["scopes"])
    );
    assert_ne!(new["secret"], old["secret"]);
    // Both work during the overlap.
    s.call("GET", "/reseller/tenant", &secret(&old), None)
        .expect(200);
    s.call("GET", "/reseller/tenant", &secret(&new), None)
        .expect(200);
    let listed = s
        .call("GET", "/reseller/key", &r.bearer(), None)
        .expect(200)
        .json();
    let old_row = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == old_id)
        .unwrap()
        .clone();
    let expires =
        chrono::DateTime::parse_from_rfc3339(old_row["expiresAt"].as_str().unwrap()).unwrap();
    let in_an_hour = chrono::Utc::now() + chrono::Duration::seconds(3600);
    assert!(
        (expires.signed_duration_since(in_an_hour))
            .num_seconds()
            .abs()
            < 60
    );
    assert_eq!(old_row["active"], true);

    // With no overlap, the old key stops at once.
    let next = s
        .call(
            "POST",
            &format!("/reseller/key/{}/rotate", new["id"].as_str().unwrap()),
            &r.bearer(),
            Some(json!({"overlapSeconds": 0})),
        )
        .expect(201)
        .json();
    s.call("GET", "/reseller/tenant", &secret(&new), None)
        .expect_problem(401, "unauthorized");
    s.call("GET", "/reseller/tenant", &secret(&next), None)
        .expect(200);
    s.call(
        "POST",
        &format!("/reseller/key/{}/rotate", next["id"].as_str().unwrap()),
        &r.bearer(),
        Some(json!({"overlapSeconds": 31 * 24 * 3600})),
    )
    .expect_problem(422, "validation_failed");
}
