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
