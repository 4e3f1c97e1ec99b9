//! The audit log: every write of either surface is recorded with who, what, which tenant, when,
//! its request id and outcome; reads are not; the log is filtered, paged and scoped like every
//! other list.

mod common;

use common::{Auth, TestServer, BOTH};
use serde_json::{json, Value};
use tenantry_domain::Environment;

fn log(s: &TestServer, auth: &Auth, query: &str) -> Value {
    s.call("GET", &format!("/reseller/audit{query}"), auth, None)
        .expect(200)
        .json()
}

#[test]
fn every_write_of_either_surface_is_recorded_with_who_what_and_how_it_ended() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("audited");
    let created = s.call(
        "POST",
        "/reseller/tenant",
        &r.bearer(),
        Some(json!({"customerReference": "shop", "fullName": "Shop", "email": "s@x.example", "defaultLanguage": "swe", "withApiConnection": true})),
    );
    assert_eq!(created.status, 201);
    let tenant = created.json();
    let code_name = tenant["codeName"].as_str().unwrap().to_owned();
    let connection = tenant["connection"]["id"].as_str().unwrap().to_owned();
    let token = Auth::Bearer(tenant["connection"]["token"].as_str().unwrap().to_owned());

    // Reads are not audited.
    s.call("GET", "/reseller/tenant", &r.bearer(), None)
        .expect(200);
    s.call("GET", "/tenant/order", &token, None).expect(200);
    // A refused body is.
    s.call(
        "PATCH",
        &format!("/reseller/tenant/{code_name}"),
        &r.basic(),
        Some(json!({"email": "not an email"})),
    )
    .expect(422);
    // A Tenant API write.
    let order = json!({"number": "1", "currency": "SEK", "rows": [{"sku": "A", "name": "A", "quantity": 1, "unitPrice": "1.00", "vatRate": "25"}]});
    s.call(
        "POST",
        "/tenant/order",
        &token.with("Idempotency-Key", "o1"),
        Some(order.clone()),
    )
    .expect(201);
    // Its retry is a replay.
    s.call(
        "POST",
        "/tenant/order",
        &token.with("Idempotency-Key", "o1"),
        Some(order),
    )
    .expect(201);
    // A key lacking the scope is refused, and recorded.
    let read_only = tenantry_server::admin::create_key(
        &s.db,
        "audited",
        "ro",
        Environment::Sandbox,
        &["tenant:read".to_owned()],
    )
    .unwrap();
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{code_name}"),
        &Auth::Bearer(read_only.key),
        None,
    )
    .expect(403);
    // Credentials that do not check out name no one: nothing to record.
    s.call(
        "DELETE",
        &format!("/reseller/tenant/{code_name}"),
        &Auth::None,
        None,
    )
    .expect(401);

    let events = log(&s, &r.bearer(), "")["data"].as_array().unwrap().clone();
    let summary: Vec<(String, String, String, u64, String)> = events
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap().to_owned(),
                e["actor"]["type"].as_str().unwrap().to_owned(),
                e["actor"]["id"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let row = |op: &str, t: &str, id: &str, status: u64, outcome: &str| {
        (
            op.to_owned(),
            t.to_owned(),
            id.to_owned(),
            status,
            outcome.to_owned(),
        )
    };
    // Newest first.
    assert_eq!(
        summary,
        vec![
            row(
                "DELETE /reseller/tenant/{codeName}",
                "reseller_key",
                &read_only.id.to_string(),
                403,
                "failure"
            ),
            row(
                "POST /tenant/order",
                "tenant_token",
                &connection,
                201,
                "replayed"
            ),
            row(
                "POST /tenant/order",
                "tenant_token",
                &connection,
                201,
                "success"
            ),
            row(
                "PATCH /reseller/tenant/{codeName}",
                "reseller_user",
                events[3]["actor"]["id"].as_str().unwrap(),
                422,
                "failure"
            ),
            row(
                "POST /reseller/tenant",
                "reseller_key",
                &r.key_id.to_string(),
                201,
                "success"
            ),
        ]
    );
    assert!(
        events.iter().all(|e| e["tenant"] == code_name.as_str()),
        "{events:?}"
    );
    assert_eq!(events[0]["surface"], "reseller");
    assert_eq!(events[1]["surface"], "tenant");
    assert_eq!(events[4]["path"], "/reseller/tenant");
    assert_eq!(
        events[4]["requestId"].as_str(),
        created.header("x-request-id"),
        "the event carries the request's id"
    );
    assert!(events[4]["createdAt"].is_string());
}

#[test]
fn the_log_is_filtered_paged_and_scoped_to_the_reseller_and_environment() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("audited");
    let one = s.tenant(&r.bearer(), "one");
    let two = s.tenant(&r.bearer(), "two");
    for code_name in [&one, &two, &one] {
        s.call(
            "PATCH",
            &format!("/reseller/tenant/{code_name}"),
            &r.basic(),
            Some(json!({"fullName": "Renamed"})),
        )
        .expect(200);
    }
    let all = log(&s, &r.bearer(), "");
    assert_eq!(all["data"].as_array().unwrap().len(), 5);

    let about_one = log(&s, &r.bearer(), &format!("?tenant={one}"));
    assert_eq!(about_one["data"].as_array().unwrap().len(), 3);
    let by_key = log(&s, &r.bearer(), &format!("?actor={}", r.key_id));
    assert_eq!(
        by_key["data"].as_array().unwrap().len(),
        2,
        "the two creations"
    );
    let failures = log(&s, &r.bearer(), "?outcome=failure");
    assert_eq!(failures["data"].as_array().unwrap().len(), 0);
    s.call("GET", "/reseller/audit?outcome=maybe", &r.bearer(), None)
        .expect_problem(400, "invalid_query");
    let future = log(&s, &r.bearer(), "?since=2999-01-01T00:00:00Z");
    assert_eq!(future["data"].as_array().unwrap().len(), 0);

    // Paging: two at a time, every event once, in the same order as one page.
    let mut paged = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = log(&s, &r.bearer(), &query);
        paged.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].clone()),
        );
        if page["hasMore"] == false {
            break;
        }
        query = format!("?limit=2&cursor={}", page["nextCursor"].as_str().unwrap());
    }
    let ids: Vec<Value> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(paged, ids);

    // Another reseller, or this reseller's production environment, sees none of it.
    let other = s.reseller("other");
    assert_eq!(log(&s, &other.bearer(), "")["data"], json!([]));
    let production = s.credentials("audited", Environment::Production);
    assert_eq!(log(&s, &production.bearer(), "")["data"], json!([]));
}

#[test]
fn an_acknowledged_write_is_in_the_database_when_its_answer_arrives() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("audited");
    let owner = tenantry_storage::Owner {
        reseller_id: tenantry_server::admin::list_resellers(&s.db)
            .unwrap()
            .into_iter()
            .find(|x| x.code == "audited")
            .unwrap()
            .id,
        environment: Environment::Sandbox,
    };
    let stored = || {
        s.db.read(|conn| tenantry_storage::audit::list(conn, &owner, &Default::default(), None, 50))
            .unwrap()
            .rows
            .len()
    };
    // Read straight from the database, with no API read in between that could flush a queue:
    // each answered write's event is committed already, so a crash now would lose none.
    for (n, reference) in ["one", "two", "three"].into_iter().enumerate() {
        s.tenant(&r.bearer(), reference);
        assert_eq!(stored(), n + 1);
    }
}

#[test]
fn an_event_the_database_refuses_is_quarantined_and_the_others_are_committed() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("audited");
    let other = s.reseller("neighbour");
    s.tenant(&r.bearer(), "first");
    let owner = |code: &str| tenantry_storage::Owner {
        reseller_id: tenantry_server::admin::list_resellers(&s.db)
            .unwrap()
            .into_iter()
            .find(|x| x.code == code)
            .unwrap()
            .id,
        environment: Environment::Sandbox,
    };
    let stored = |code: &str| {
        s.db.read(|conn| {
            tenantry_storage::audit::list(conn, &owner(code), &Default::default(), None, 50)
        })
        .unwrap()
        .rows
    };
    // An event the database cannot store whatever the backend: its id is taken already.
    let committed = stored("audited").remove(0);
    let poison = tenantry_domain::audit::AuditEvent {
        request_id: "poisoned-request".into(),
        ..committed.clone()
    };
    let fresh = |n: u32| tenantry_domain::audit::AuditEvent {
        id: uuid::Uuid::now_v7(),
        reseller_id: owner("neighbour").reseller_id,
        request_id: format!("good-{n}"),
        ..committed.clone()
    };
    let audit = &s.state().audit;
    // Queued together, so they meet in one batch unless the writer happens to wake between.
    let receivers: Vec<_> = std::iter::once(audit.record(poison))
        .chain((0..3).map(|n| audit.record(fresh(n))))
        .collect();
    audit.flush().unwrap();
    let answered: Vec<bool> = receivers
        .into_iter()
        .map(|r| actix_web::rt::System::new().block_on(r).is_ok())
        .collect();
    assert_eq!(
        answered,
        [false, true, true, true],
        "the poison's request is released"
    );
    assert_eq!(audit.quarantined(), 1);
    let neighbour = stored("neighbour");
    for n in 0..3 {
        let id = format!("good-{n}");
        assert!(
            neighbour.iter().any(|e| e.request_id == id),
            "{id} committed"
        );
    }
    assert!(stored("audited")
        .iter()
        .all(|e| e.request_id != "poisoned-request"));

    // The writer goes on: another reseller's answered write is in the log when it is answered.
    s.tenant(&other.bearer(), "after");
    assert_eq!(stored("neighbour").len(), 4);
    let metrics = s
        .call("GET", "/metrics", &Auth::None, None)
        .expect(200)
        .text;
    assert!(
        metrics
            .lines()
            .any(|l| l == "tenantry_audit_events_quarantined_total 1"),
        "{metrics}"
    );
}

#[test]
fn a_write_that_commits_its_own_entry_is_recorded_once_and_its_refusals_by_the_middleware() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("audited");
    let create = || {
        Some(
            json!({"customerReference": "shop", "fullName": "Shop", "email": "s@x.example",
                    "defaultLanguage": "swe"}),
        )
    };
    let keyed = r.bearer().with("Idempotency-Key", "c1");
    let queued = || s.state().audit.queued();
    let before = queued();
    // Committed with the change: the creation, the update and the delete.
    let created = s
        .call("POST", "/reseller/tenant", &keyed, create())
        .expect(201);
    let code_name = created.json()["codeName"].as_str().unwrap().to_owned();
    let path = format!("/reseller/tenant/{code_name}");
    let patch = || Some(json!({"fullName": "Shop Two"}));
    let updated = s.call("PATCH", &path, &r.bearer(), patch()).expect(200);
    assert_eq!(queued(), before, "nothing queued for the audit writer");
    // Recorded by the middleware: the creation's replay (no transaction ran), a refusal by
    // the use case (its transaction rolled back) and one by the body extractor (none began).
    s.call("POST", "/reseller/tenant", &keyed, create())
        .expect(201);
    s.call("PATCH", "/reseller/tenant/nobody", &r.bearer(), patch())
        .expect(404);
    s.call("PATCH", &path, &r.bearer(), Some(json!({"fullName": 5})))
        .expect(422);
    assert_eq!(queued(), before + 3);
    s.call("DELETE", &path, &r.bearer(), None).expect(204);
    assert_eq!(queued(), before + 3);

    let events = log(&s, &r.bearer(), "")["data"].as_array().unwrap().clone();
    let summary: Vec<(String, u64, String, String)> = events
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
                e["outcome"].as_str().unwrap().to_owned(),
                e["tenant"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let row = |op: &str, status: u64, outcome: &str, tenant: &str| {
        (op.to_owned(), status, outcome.to_owned(), tenant.to_owned())
    };
    let one = "/reseller/tenant/{codeName}";
    // Newest first, each request exactly once.
    assert_eq!(
        summary,
        vec![
            row(&format!("DELETE {one}"), 204, "success", &code_name),
            row(&format!("PATCH {one}"), 422, "failure", &code_name),
            row(&format!("PATCH {one}"), 404, "failure", "nobody"),
            row("POST /reseller/tenant", 201, "replayed", &code_name),
            row(&format!("PATCH {one}"), 200, "success", &code_name),
            row("POST /reseller/tenant", 201, "success", &code_name),
        ]
    );
    for (event, answer) in [(&events[4], &updated), (&events[5], &created)] {
        assert_eq!(
            event["requestId"].as_str(),
            answer.header("x-request-id"),
            "the entry written in the transaction carries the request's id"
        );
        assert_eq!(event["actor"]["type"], "reseller_key");
        assert_eq!(event["actor"]["id"], r.key_id.to_string());
        assert_eq!(event["surface"], "reseller");
    }
    assert_eq!(events[4]["path"], path);
    assert_eq!(events[5]["path"], "/reseller/tenant");
}
