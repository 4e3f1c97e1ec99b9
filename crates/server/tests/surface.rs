//! Each API surface mounted alone, as `serve --surface reseller|tenant` runs it on a shared
//! database: a process answers its own surface's routes and none of the other's (404 problem,
//! as for any unknown route), and only processes that serve the Reseller API run the
//! background workers.

mod common;

use common::{Auth, TestServer, BOTH};
use serde_json::json;
use tenantry_domain::Environment;
use tenantry_server::Surface;

#[test]
fn a_surface_served_alone_answers_none_of_the_others_routes() {
    let all = TestServer::start(BOTH);
    all.reseller("acme");
    let acme = all.credentials("acme", Environment::Sandbox);
    let created = all
        .call(
            "POST",
            "/reseller/tenant",
            &acme.bearer(),
            Some(json!({"customerReference": "shop", "fullName": "Shop AB", "email": "it@shop.example",
                "defaultLanguage": "swe", "withApiConnection": true})),
        )
        .expect(201)
        .json();
    let token = Auth::Bearer(created["connection"]["token"].as_str().unwrap().into());

    let reseller = all.on_surface(Surface::Reseller.mounts());
    let tenant = all.on_surface(Surface::Tenant.mounts());
    // Its own surface works, on the shared database.
    reseller
        .call("GET", "/reseller/tenant/shop-1", &acme.bearer(), None)
        .expect(200);
    tenant
        .call("GET", "/tenant/order", &token, None)
        .expect(200);
    reseller
        .call("GET", "/reseller/openapi.json", &Auth::None, None)
        .expect(200);
    tenant
        .call("GET", "/tenant/openapi.json", &Auth::None, None)
        .expect(200);

    // The other's routes are unknown, whatever the credentials.
    for (path, auth) in [
        ("/tenant/order", &token),
        ("/tenant/product", &token),
        ("/tenant/openapi.json", &Auth::None),
        ("/_tokenlogin/owner/secret", &Auth::None),
    ] {
        let answer = reseller.call("GET", path, auth, None).expect(404);
        assert_eq!(
            answer.json()["code"],
            "not_found",
            "{path}: {}",
            answer.text
        );
    }
    for (path, auth) in [
        ("/reseller/tenant", &acme.bearer()),
        ("/reseller/tenant/shop-1", &acme.bearer()),
        ("/reseller/event", &acme.bearer()),
        ("/reseller/openapi.json", &Auth::None),
    ] {
        let answer = tenant.call("GET", path, auth, None).expect(404);
        assert_eq!(
            answer.json()["code"],
            "not_found",
            "{path}: {}",
            answer.text
        );
    }
    let refused = tenant.call(
        "POST",
        "/reseller/tenant",
        &acme.bearer(),
        Some(json!({"customerReference": "other"})),
    );
    assert_eq!(refused.status, 404, "{}", refused.text);
    // Both serve the process endpoints.
    for server in [&reseller, &tenant] {
        server
            .call("GET", "/healthz", &Auth::None, None)
            .expect(200);
    }
}

#[test]
fn only_processes_serving_the_reseller_api_run_the_workers() {
    assert!(Surface::All.runs_workers());
    assert!(Surface::Reseller.runs_workers());
    assert!(!Surface::Tenant.runs_workers());
}

#[test]
fn a_process_with_no_webhook_workers_delivers_nothing_and_leaves_it_to_another() {
    use common::process::{operator_reseller, serve_with, temp_dir};
    use common::receiver::Receiver;
    use std::time::Duration;
    let db = common::TestDb::new();
    let (key, _) = operator_reseller(&db, 1_000_000);
    let dir = temp_dir("no-webhook-workers");
    let quiet = [("TENANTRY_NO_BOOTSTRAP", "true")];
    let call = |base: &str, method: &str, path: &str, body: serde_json::Value| {
        let text = body.to_string();
        common::send(
            &common::agent(),
            method,
            &format!("{base}{path}"),
            &key,
            Some(("application/json", &text)),
        )
    };
    let silent = serve_with(
        &db,
        &dir,
        &["--webhook-workers", "0", "--webhook-allow-private"],
        &quiet,
    );
    let receiver = Receiver::start();
    call(
        &silent.base,
        "POST",
        "/reseller/webhook",
        json!({"url": receiver.url, "eventTypes": ["tenant.updated"]}),
    )
    .expect(201);
    let created = call(
        &silent.base,
        "POST",
        "/reseller/tenant",
        json!({"customerReference": "shop", "fullName": "Shop AB", "email": "it@shop.example",
            "defaultLanguage": "swe"}),
    )
    .expect(201)
    .json();
    let code_name = created["codeName"].as_str().unwrap();
    call(
        &silent.base,
        "PATCH",
        &format!("/reseller/tenant/{code_name}"),
        json!({"fullName": "Shop Two AB"}),
    )
    .expect(200);
    // Three of the dispatcher's one-second polls: a delivering thread would have posted.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        receiver.received().is_empty(),
        "--webhook-workers 0 delivered: {:?}",
        receiver.received()
    );
    // A process that delivers finds what the first one queued.
    let _delivering = serve_with(&db, &dir, &["--webhook-allow-private"], &quiet);
    let got = receiver.wait_until(Duration::from_secs(30), |r| !r.is_empty());
    assert_eq!(got[0].json()["type"], "tenant.updated");
}
