//! The committed OpenAPI document is the one the code generates (`cargo xtask openapi`).

#[test]
fn the_committed_tenant_document_is_fresh() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi/tenant.json"
    );
    let committed = std::fs::read_to_string(path)
        .expect("docs/openapi/tenant.json exists: run `cargo xtask openapi`");
    assert!(
        committed == tenantry_tenant_api::openapi::document(),
        "docs/openapi/tenant.json is stale: run `cargo xtask openapi` and commit the result"
    );
}

/// The document lists the handlers of `operation::OPERATIONS`; each one's `#[utoipa::path]`
/// must state the method and route of its row, or it is documented where it is not served.
#[test]
fn every_documented_operation_is_a_row_of_the_table() {
    let doc: serde_json::Value =
        serde_json::from_str(&tenantry_tenant_api::openapi::document()).unwrap();
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            assert!(
                tenantry_tenant_api::operation::required(&method, path).is_some(),
                "{method} {path} is documented but not a row of operation::OPERATIONS"
            );
            documented += 1;
        }
    }
    assert_eq!(documented, tenantry_tenant_api::operation::OPERATIONS.len());
}
