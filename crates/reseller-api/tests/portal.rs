//! `/reseller/portal`: what a reseller sets for its tenants' portal, per environment, on the
//! Reseller API mounted alone.

use serde_json::json;
use tenantry_domain::Environment;
use tenantry_http::app::Mount;
use tenantry_testkit::client::Auth;
use tenantry_testkit::server::TestServer;

const ALONE: &[Mount] = &[tenantry_reseller_api::configure];

#[test]
fn a_reseller_sets_its_portals_return_url_and_frame_ancestors_per_environment() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let live = s.credentials("acme", Environment::Production);
    let empty = json!({"returnUrl": null, "frameAncestors": []});
    assert_eq!(
        s.call("GET", "/reseller/portal", &r.bearer(), None)
            .expect(200)
            .json(),
        empty
    );

    let set = json!({"returnUrl": "https://app.acme.example/customers", "frameAncestors": ["https://app.acme.example"]});
    let answer = s
        .call("PATCH", "/reseller/portal", &r.bearer(), Some(set.clone()))
        .expect(200);
    assert_eq!(answer.json(), set);
    assert_eq!(
        s.call("GET", "/reseller/portal", &r.basic(), None)
            .expect(200)
            .json(),
        set
    );
    assert_eq!(
        s.call("GET", "/reseller/portal", &live.bearer(), None)
            .expect(200)
            .json(),
        empty,
        "production is separate"
    );

    // A partial update keeps what it does not name; null removes the link.
    let cleared = s
        .call(
            "PATCH",
            "/reseller/portal",
            &r.bearer(),
            Some(json!({"returnUrl": null})),
        )
        .expect(200)
        .json();
    assert_eq!(
        cleared,
        json!({"returnUrl": null, "frameAncestors": ["https://app.acme.example"]})
    );

    let bad = s
        .call(
            "PATCH",
            "/reseller/portal",
            &r.bearer(),
            Some(json!({"returnUrl": "http://app.acme.example", "frameAncestors": ["https://a.example/path", "*"]})),
        )
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["returnUrl", "frameAncestors[0]", "frameAncestors[1]"]
    );
    s.call(
        "PATCH",
        "/reseller/portal",
        &r.bearer(),
        Some(json!({"colour": "red"})),
    )
    .expect_problem(422, "validation_failed");
    let xml = s.raw(
        "PATCH",
        "/reseller/portal",
        &r.bearer(),
        "text/xml",
        "<portal/>",
    );
    assert_eq!(xml.status, 415);
    s.call("GET", "/reseller/portal", &Auth::None, None)
        .expect(401);
    assert_eq!(
        s.call("GET", "/reseller/portal", &r.bearer(), None)
            .expect(200)
            .json(),
        cleared,
        "refused changes changed nothing"
    );
}

#[test]
fn the_interactive_docs_serve_this_surfaces_document_offline() {
    let s = TestServer::start(ALONE);
    let home = s
        .call("GET", "/reseller/docs", &Auth::None, None)
        .expect(308);
    assert_eq!(home.header("location"), Some("/reseller/docs/"));
    let page = s
        .call("GET", "/reseller/docs/", &Auth::None, None)
        .expect(200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    assert!(
        !page.text.contains("https://"),
        "nothing loads from elsewhere: {}",
        page.text
    );
    let init = s
        .call(
            "GET",
            "/reseller/docs/swagger-initializer.js",
            &Auth::None,
            None,
        )
        .expect(200)
        .text;
    assert!(
        init.contains("/reseller/openapi.json") && init.contains("\"validatorUrl\": \"none\""),
        "{init}"
    );
    s.call(
        "GET",
        "/reseller/docs/swagger-ui-bundle.js",
        &Auth::None,
        None,
    )
    .expect(200);
    // The document it reads is the one the API serves.
    s.call("GET", "/reseller/openapi.json", &Auth::None, None)
        .expect(200);
}
