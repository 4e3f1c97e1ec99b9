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
