//! A credential ended through one process is refused on its very next request through
//! another: two real `tenantry serve` processes on one database (SQLite or PostgreSQL, as the
//! environment names). Each process remembers the tokens it let in, so the sync pages below
//! are served on that memory, their statement checking the token (docs/architecture.md).

mod common;

use common::process::{operator_reseller, serve_with, temp_dir, Serve};
use common::{agent, send, Auth, Response, TestDb};
use serde_json::{json, Value};

fn call(process: &Serve, method: &str, path: &str, auth: &Auth, body: Option<Value>) -> Response {
    let text = body.map(|b| b.to_string());
    send(
        &agent(),
        method,
        &format!("{}{path}", process.base),
        auth,
        text.as_deref().map(|t| ("application/json", t)),
    )
}

fn two_processes(db: &TestDb) -> (Serve, Serve) {
    let dir = temp_dir("revocation");
    let quiet = [("TENANTRY_NO_BOOTSTRAP", "true")];
    (
        serve_with(db, &dir, &[], &quiet),
        serve_with(db, &dir, &[], &quiet),
    )
}

#[test]
fn what_one_process_revokes_the_other_refuses_on_the_next_request() {
    let db = TestDb::new();
    let (key, _) = operator_reseller(&db, 1_000_000);
    let (a, b) = two_processes(&db);
    let created = call(
        &a,
        "POST",
        "/reseller/tenant",
        &key,
        Some(
            json!({"customerReference": "shop", "fullName": "Shop AB", "email": "s@x.example",
                    "defaultLanguage": "swe", "withApiConnection": true}),
        ),
    )
    .expect(201)
    .json();
    let code_name = created["codeName"].as_str().unwrap().to_owned();
    let connection = created["connection"]["id"].as_str().unwrap().to_owned();
    let token = Auth::Bearer(created["connection"]["token"].as_str().unwrap().to_owned());
    // Both processes have just let the token in.
    for process in [&a, &b] {
        call(process, "GET", "/tenant/order", &token, None).expect(200);
    }

    // A company token revoked through A: B refuses it on its next request.
    call(
        &a,
        "DELETE",
        &format!("/reseller/tenant/{code_name}/connection/{connection}/token"),
        &key,
        None,
    )
    .expect(204);
    call(&b, "GET", "/tenant/order", &token, None).expect_problem(401, "unauthorized");

    // A rotated token: the old one is refused at once on B, the new one works there.
    let issued = call(
        &b,
        "POST",
        &format!("/reseller/tenant/{code_name}/connection/{connection}/token"),
        &key,
        None,
    )
    .expect(201)
    .json();
    let fresh = Auth::Bearer(issued["token"].as_str().unwrap().to_owned());
    call(&a, "GET", "/tenant/order", &fresh, None).expect(200);

    // A tenant deactivated through B: A refuses its token on the next request.
    call(
        &b,
        "PATCH",
        &format!("/reseller/tenant/{code_name}"),
        &key,
        Some(json!({"active": false})),
    )
    .expect(200);
    call(&a, "GET", "/tenant/order", &fresh, None).expect_problem(403, "tenant_deactivated");
}

#[test]
fn a_reseller_key_revoked_through_one_process_is_refused_by_the_other() {
    let db = TestDb::new();
    let (key, _) = operator_reseller(&db, 1_000_000);
    let (a, b) = two_processes(&db);
    let spare = call(
        &a,
        "POST",
        "/reseller/key",
        &key,
        Some(json!({"name": "spare"})),
    )
    .expect(201)
    .json();
    let spare_key = Auth::Bearer(spare["secret"].as_str().unwrap().to_owned());
    for process in [&a, &b] {
        call(process, "GET", "/reseller/tenant", &spare_key, None).expect(200);
    }
    call(
        &a,
        "DELETE",
        &format!("/reseller/key/{}", spare["id"].as_str().unwrap()),
        &key,
        None,
    )
    .expect(204);
    call(&b, "GET", "/reseller/tenant", &spare_key, None).expect_problem(401, "unauthorized");
    call(&b, "GET", "/reseller/tenant", &key, None).expect(200);
}
