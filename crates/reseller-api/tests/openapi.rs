//! The committed OpenAPI document is the one the code generates (`cargo xtask openapi`).

#[test]
fn the_committed_reseller_document_is_fresh() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi/reseller.json"
    );
    let committed = std::fs::read_to_string(path)
        .expect("docs/openapi/reseller.json exists: run `cargo xtask openapi`");
    assert!(
        committed == tenantry_reseller_api::openapi::document(),
        "docs/openapi/reseller.json is stale: run `cargo xtask openapi` and commit the result"
    );
}

#[test]
fn the_document_is_openapi_3_1_with_every_security_scheme() {
    let doc: serde_json::Value =
        serde_json::from_str(&tenantry_reseller_api::openapi::document()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for name in ["basic", "reseller", "bearer", "apiKey"] {
        assert!(schemes.contains_key(name), "{name}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["apiKey"]["name"],
        "x-APIKey"
    );
}

/// Every documented operation states the scope a key needs, and it is the one enforced; every
/// scoped route is documented.
/// The document lists the handlers of `scope::OPERATIONS`; each one's `#[utoipa::path]` must
/// state the method and route of its row (else `required` finds no scope for it), and its
/// security requirement states the row's scope.
#[test]
fn every_operation_states_the_scope_it_enforces() {
    let doc: serde_json::Value =
        serde_json::from_str(&tenantry_reseller_api::openapi::document()).unwrap();
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let enforced = tenantry_reseller_api::scope::required(&method, path)
                .unwrap_or_else(|| panic!("{method} {path} has no scope in scope::OPERATIONS"));
            let stated = operation["security"][1]["bearer"][0].as_str();
            assert_eq!(stated, Some(enforced.as_str()), "{method} {path}");
            documented += 1;
        }
    }
    assert_eq!(documented, tenantry_reseller_api::scope::OPERATIONS.len());
}
