//! The subscription lifecycle (XAPP): provisioning after creation announced by `tenant.ready`,
//! cancellation at an effective date that survives a restart and acts once. Jobs run through
//! `tenant_jobs::run_due(db, now)` with the test's clock: no sleeps.

mod common;

use chrono::Duration;
use common::{Auth, TestServer, BOTH};
use serde_json::{json, Value};
use tenantry_domain::time;
use tenantry_worker::tenant_jobs::run_due;

fn events_of(s: &TestServer, auth: &Auth, kind: &str) -> Vec<Value> {
    s.list(&format!("/reseller/event?limit=200&type={kind}"), auth)
}

#[test]
fn a_new_tenant_is_provisioned_after_the_request_and_tenant_ready_carries_what_to_install() {
    let s = TestServer::start(BOTH);
    let auth = s.reseller("acme").bearer();
    tenantry_server::admin::set_template(&s.db, "acme", r#"{"name": "retail"}"#).unwrap();
    let created = s
        .call("POST", "/reseller/tenant", &auth, Some(json!({
            "customerReference": "xapp", "fullName": "Xapp AB", "email": "it@xapp.example", "defaultLanguage": "eng",
            "tier": "gold", "contractLength": 12, "website": "https://xapp.example", "template": "retail",
            "externalId": "CUST-42", "install": {"companyToken": true, "sandboxOrders": 3}
        })))
        .expect(201)
        .json();
    assert_eq!(
        (created["status"].as_str(), created["active"].as_bool()),
        (Some("provisioning"), Some(true))
    );
    assert_eq!(
        created["subscription"],
        json!({"tier": "gold", "contractLength": 12, "website": "https://xapp.example", "template": "retail", "externalId": "CUST-42"})
    );
    let code_name = created["codeName"].as_str().unwrap();
    assert!(
        events_of(&s, &auth, "tenant.ready").is_empty(),
        "not before provisioning ran"
    );

    assert_eq!(run_due(&s.db, time::now()).unwrap(), 1);
    assert_eq!(run_due(&s.db, time::now()).unwrap(), 0, "once");
    let tenant = s
        .call("GET", &format!("/reseller/tenant/{code_name}"), &auth, None)
        .expect(200)
        .json();
    assert_eq!(tenant["status"], "active");
    let ready = events_of(&s, &auth, "tenant.ready");
    assert_eq!(ready.len(), 1);
    let data = &ready[0]["data"];
    assert_eq!(data["codeName"], code_name);
    assert_eq!(data["apiBaseUrl"], s.base.as_str());
    assert_eq!(data["sandboxOrders"], 3);
    let token = Auth::Bearer(data["companyToken"].as_str().unwrap().to_owned());
    let orders = s
        .call("GET", "/tenant/order", &token, None)
        .expect(200)
        .json();
    assert_eq!(orders["data"].as_array().unwrap().len(), 3);

    // Bad subscription fields are named; sandbox data is refused for production.
    let p = s
        .call("POST", "/reseller/tenant", &auth, Some(json!({
            "customerReference": "bad", "fullName": "B", "email": "b@x.example", "defaultLanguage": "eng",
            "contractLength": 0, "website": "not a url"
        })))
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["contractLength", "website"]);
    let live = s
        .credentials("acme", tenantry_domain::Environment::Production)
        .bearer();
    s.call("POST", "/reseller/tenant", &live, Some(json!({
        "customerReference": "live", "fullName": "L", "email": "l@x.example", "defaultLanguage": "eng",
        "install": {"sandboxOrders": 1}
    })))
    .expect_problem(422, "validation_failed");
}

#[test]
fn a_scheduled_cancellation_acts_at_its_date_after_a_restart_and_only_once() {
    let s = TestServer::start(BOTH);
    let auth = s.reseller("acme").bearer();
    let token = s.company_token(&auth, "leaving");
    let code_name = s
        .call(
            "GET",
            "/reseller/tenant?customerReference=leaving",
            &auth,
            None,
        )
        .expect(200)
        .json()["data"][0]["codeName"]
        .as_str()
        .unwrap()
        .to_owned();
    run_due(&s.db, time::now()).unwrap();
    let effective = time::now() + Duration::days(30);
    let scheduled = s
        .call(
            "POST",
            &format!("/reseller/tenant/{code_name}/cancel"),
            &auth,
            Some(json!({"effectiveDate": effective.to_rfc3339()})),
        )
        .expect(200)
        .json();
    assert_eq!(scheduled["status"], "cancellation_scheduled");
    assert_eq!(scheduled["active"], true);
    assert_eq!(
        events_of(&s, &auth, "tenant.cancellation_scheduled").len(),
        1
    );
    // Before the date nothing happens, and the tenant keeps working.
    assert_eq!(run_due(&s.db, effective - Duration::seconds(1)).unwrap(), 0);
    s.call("GET", "/tenant/order", &token, None).expect(200);

    // "Restart": a new pool and state on the same database, as a new process would have.
    let restarted = s.restarted();
    assert_eq!(run_due(&restarted.db, effective).unwrap(), 1);
    assert_eq!(
        run_due(&restarted.db, effective + Duration::days(1)).unwrap(),
        0,
        "acts once"
    );
    let cancelled = restarted
        .call("GET", &format!("/reseller/tenant/{code_name}"), &auth, None)
        .expect(200)
        .json();
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["active"].as_bool()),
        (Some("cancelled"), Some(false))
    );
    assert_eq!(events_of(&restarted, &auth, "tenant.cancelled").len(), 1);
    restarted
        .call("GET", "/tenant/order", &token, None)
        .expect_problem(403, "tenant_deactivated");
    let connections = restarted
        .call(
            "GET",
            &format!("/reseller/tenant/{code_name}/connection"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert!(
        connections["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["active"] == false),
        "{connections}"
    );
    // A cancelled tenant stays cancelled.
    restarted
        .call(
            "POST",
            &format!("/reseller/tenant/{code_name}/cancel"),
            &auth,
            Some(json!({"effectiveDate": effective.to_rfc3339()})),
        )
        .expect_problem(409, "tenant_cancelled");
    restarted
        .call(
            "PATCH",
            &format!("/reseller/tenant/{code_name}"),
            &auth,
            Some(json!({"active": true})),
        )
        .expect_problem(409, "tenant_cancelled");
}

#[test]
fn a_withdrawn_cancellation_never_acts_and_an_immediate_one_acts_at_once() {
    let s = TestServer::start(BOTH);
    let auth = s.reseller("acme").bearer();
    let staying = s.tenant(&auth, "staying");
    let effective = time::now() + Duration::days(1);
    s.call(
        "POST",
        &format!("/reseller/tenant/{staying}/cancel"),
        &auth,
        Some(json!({"effectiveDate": effective.to_rfc3339()})),
    )
    .expect(200);
    let back = s
        .call(
            "DELETE",
            &format!("/reseller/tenant/{staying}/cancel"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        (back["status"].as_str(), &back["cancellationEffectiveAt"]),
        (Some("active"), &Value::Null)
    );
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{staying}/cancel"),
        &auth,
        None,
    )
    .expect_problem(409, "no_cancellation_scheduled");
    run_due(&s.db, effective + Duration::days(1)).unwrap();
    let still = s
        .call("GET", &format!("/reseller/tenant/{staying}"), &auth, None)
        .expect(200)
        .json();
    assert_eq!(still["status"], "active");
    assert!(events_of(&s, &auth, "tenant.cancelled").is_empty());

    let leaving = s.tenant(&auth, "leaving-now");
    let gone = s
        .call(
            "POST",
            &format!("/reseller/tenant/{leaving}/cancel"),
            &auth,
            Some(json!({"effectiveDate": "2020-01-01T00:00:00Z"})),
        )
        .expect(200)
        .json();
    assert_eq!(gone["status"], "cancelled");
    assert_eq!(events_of(&s, &auth, "tenant.cancelled").len(), 1);
    s.call(
        "POST",
        &format!("/reseller/tenant/{leaving}/cancel"),
        &auth,
        Some(json!({"effectiveDate": "tomorrow"})),
    )
    .expect_problem(422, "validation_failed");
}

#[test]
fn two_schedulers_on_one_database_cancel_each_tenant_once() {
    let s = TestServer::start(BOTH);
    let auth = s.reseller("acme").bearer();
    let effective = time::now() + Duration::hours(1);
    for i in 0..12 {
        let t = s.tenant(&auth, &format!("t{i}"));
        s.call(
            "POST",
            &format!("/reseller/tenant/{t}/cancel"),
            &auth,
            Some(json!({"effectiveDate": effective.to_rfc3339()})),
        )
        .expect(200);
    }
    let other = s.restarted();
    let ran: usize = std::thread::scope(|scope| {
        let a = scope.spawn(|| run_due(&s.db, effective).unwrap());
        let b = scope.spawn(|| run_due(&other.db, effective).unwrap());
        a.join().unwrap() + b.join().unwrap()
    });
    // 12 provisioning jobs and 12 cancellations, each run by one of the two.
    assert_eq!(ran, 24);
    let cancelled = events_of(&s, &auth, "tenant.cancelled");
    assert_eq!(cancelled.len(), 12);
}
