//! The Tenant API and the Reseller API together: credentials and permissions the Reseller
//! API withdraws or changes stop working in the Tenant API at once, and a sandbox filled
//! through the one is read back through the other. The Tenant API's own behaviour is tested
//! mounted alone, in crates/tenant-api/tests. One test binary, a module per concept.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod sync;

use common::{Auth, ResellerCreds, TestServer, BOTH};
use serde_json::{json, Value};
use tenantry_domain::Environment;
use tenantry_testkit::client::basic;
use tenantry_testkit::fixture::order_body as order;
use tenantry_testkit::server::{ApiTenant, API_PASSWORD as PASSWORD};

/// A tenant made through the Reseller API, with an API connection (and its token) and an API
/// user `api` of `role` with a password.
fn tenant(s: &TestServer, reseller: &ResellerCreds, reference: &str, role: &str) -> ApiTenant {
    let body = json!({"customerReference": reference, "fullName": "Shop AB", "email": "shop@x.example", "defaultLanguage": "swe", "withApiConnection": true});
    let t = s
        .call("POST", "/reseller/tenant", &reseller.bearer(), Some(body))
        .expect(201)
        .json();
    let code_name = t["codeName"].as_str().unwrap().to_owned();
    s.call(
        "POST",
        &format!("/reseller/tenant/{code_name}/user"),
        &reseller.bearer(),
        Some(json!({"login": "api", "email": "api@x.example", "role": role, "password": PASSWORD})),
    )
    .expect(201);
    ApiTenant {
        id: t["id"].as_str().unwrap().to_owned(),
        connection: t["connection"]["id"].as_str().unwrap().to_owned(),
        token: t["connection"]["token"].as_str().unwrap().to_owned(),
        code_name,
        reseller: reseller.clone(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> Auth {
    Auth::pairs(pairs)
}
