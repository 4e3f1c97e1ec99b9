//! Filling a sandbox tenant through the Reseller API, read back through the Tenant API's
//! sync feed.

use super::*;

#[test]
fn sandbox_tenants_can_be_filled_with_fake_orders_and_production_ones_cannot() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let filled = s
        .call(
            "POST",
            &format!("/reseller/tenant/{}/sandbox/order", t.code_name),
            &r.bearer(),
            Some(json!({"count": 30})),
        )
        .expect(201)
        .json();
    assert_eq!(filled["ordersCreated"], 30);
    assert_eq!(filled["productsCreated"], 6);
    let page = s
        .call("GET", "/tenant/order?limit=50", &t.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(page["hasMore"], false, "{page}");
    let orders = page["data"].as_array().unwrap();
    assert_eq!(orders.len(), 30);
    assert!(orders
        .iter()
        .all(|o| o["currency"] == "SEK" && o["rows"].as_array().is_some_and(|r| !r.is_empty())));
    assert_eq!(
        s.call("GET", "/tenant/product", &t.bearer(), None).json()["data"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    s.call(
        "POST",
        &format!("/reseller/tenant/{}/sandbox/order", t.code_name),
        &r.bearer(),
        Some(json!({"count": 1001})),
    )
    .expect_problem(422, "validation_failed");
    let live = s.credentials("acme", Environment::Production);
    let prod = s.call("POST", "/reseller/tenant", &live.bearer(), Some(json!({"customerReference": "prod", "fullName": "P", "email": "p@x.example", "defaultLanguage": "swe"}))).expect(201).json();
    let p = s.call(
        "POST",
        &format!(
            "/reseller/tenant/{}/sandbox/order",
            prod["codeName"].as_str().unwrap()
        ),
        &live.bearer(),
        Some(json!({"count": 3})),
    );
    p.expect_problem(409, "production_tenant");
}
