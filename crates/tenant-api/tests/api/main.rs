//! The Tenant API mounted alone, as `serve --surface tenant` runs it: every authentication
//! scheme, orders, products, stock, other tenants' ids, and gap-free incremental sync under
//! concurrent writers. Tenants are set up through the use cases (testkit's `api_tenant`), not
//! through the Reseller API, which this process does not serve. One test binary, a module
//! per concept: `auth`, `orders`, `sync`, `replica` (reads from a streaming replica).

mod auth;
mod orders;
mod replica;
mod sync;

use serde_json::{json, Value};
use std::collections::HashMap;
use tenantry_domain::Environment;
use tenantry_http::app::Mount;
use tenantry_testkit::client::Auth;
use tenantry_testkit::fixture::order_body as order;
use tenantry_testkit::server::{ApiTenant, ResellerCreds, TestServer};

/// The Tenant API alone.
const ALONE: &[Mount] = &[tenantry_tenant_api::configure];

/// A tenant of `reseller` with an API connection and an API user `api` of `role`.
fn tenant(s: &TestServer, reseller: &ResellerCreds, reference: &str, role: &str) -> ApiTenant {
    s.api_tenant(reseller, reference, role.parse().expect("a role"))
}

#[test]
fn the_tenant_openapi_document_is_served_and_covers_the_routes() {
    let s = TestServer::start(ALONE);
    let served = s
        .call("GET", "/tenant/openapi.json", &Auth::None, None)
        .expect(200);
    assert_eq!(served.text, tenantry_tenant_api::openapi::document());
    let doc = served.json();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{sku}", "NONE");
            let status = s
                .call(
                    &method.to_uppercase(),
                    &concrete,
                    &t.bearer(),
                    Some(json!({})),
                )
                .status;
            assert!(
                status != 405 && (status != 404 || path.contains('{')),
                "{method} {path} answered {status}"
            );
        }
    }
}

#[test]
fn the_interactive_docs_read_the_tenant_document() {
    let s = TestServer::start(ALONE);
    s.call("GET", "/tenant/docs/", &Auth::None, None)
        .expect(200);
    let init = s
        .call(
            "GET",
            "/tenant/docs/swagger-initializer.js",
            &Auth::None,
            None,
        )
        .expect(200)
        .text;
    assert!(init.contains("/tenant/openapi.json"), "{init}");
}
