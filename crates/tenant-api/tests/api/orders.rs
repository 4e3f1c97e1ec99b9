//! Orders and products: exact totals, states, stock, refused bodies, other tenants' ids.

use super::*;

#[test]
fn orders_are_created_with_exact_totals_read_and_moved_through_their_states() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let created = s
        .call(
            "POST",
            "/tenant/order",
            &t.sharespine(),
            Some(order("WEB-1001")),
        )
        .expect(201);
    let o = created.json();
    let id = o["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/tenant/order/{id}").as_str())
    );
    assert_eq!(o["status"], "new");
    assert_eq!(o["rows"][0]["net"], "59.97");
    assert_eq!(o["rows"][0]["vat"], "14.99");
    assert_eq!(o["rows"][1]["vat"], "0.01");
    assert_eq!(
        o["totals"],
        json!({"net": "60.07", "vat": "15.00", "gross": "75.07"})
    );
    assert_eq!(
        o["shippingAddress"], o["billingAddress"],
        "shipping defaults to billing"
    );
    assert_eq!(
        s.call("GET", &format!("/tenant/order/{id}"), &t.bearer(), None)
            .expect(200)
            .json(),
        o
    );
    let dup = s.call(
        "POST",
        "/tenant/order",
        &t.bearer(),
        Some(order("WEB-1001")),
    );
    assert_eq!(
        dup.expect_problem(409, "order_exists")["number"],
        "WEB-1001"
    );

    let path = format!("/tenant/order/{id}");
    let processing = s
        .call(
            "PATCH",
            &path,
            &t.bearer(),
            Some(json!({"status": "processing"})),
        )
        .expect(200)
        .json();
    assert!(processing["sequence"].as_i64() > o["sequence"].as_i64());
    let shipped = s
        .call(
            "PATCH",
            &path,
            &t.bearer(),
            Some(json!({"status": "shipped", "metadata": {"tracking": "SE123"}})),
        )
        .expect(200)
        .json();
    assert_eq!(
        (
            shipped["status"].as_str(),
            shipped["metadata"]["tracking"].as_str()
        ),
        (Some("shipped"), Some("SE123"))
    );
    let illegal = s
        .call(
            "PATCH",
            &path,
            &t.bearer(),
            Some(json!({"status": "cancelled"})),
        )
        .expect_problem(409, "illegal_transition");
    assert_eq!(illegal["allowed"], json!(["delivered"]));
    assert_eq!(
        (illegal["from"].as_str(), illegal["to"].as_str()),
        (Some("shipped"), Some("cancelled"))
    );
    s.call(
        "PATCH",
        &path,
        &t.bearer(),
        Some(json!({"status": "delivered"})),
    )
    .expect(200);
    let final_ = s
        .call("PATCH", &path, &t.bearer(), Some(json!({"status": "new"})))
        .expect_problem(409, "illegal_transition");
    assert_eq!(final_["allowed"], json!([]));
    s.call("PATCH", &path, &t.bearer(), Some(json!({"status": "lost"})))
        .expect_problem(422, "validation_failed");
    s.call("PATCH", &path, &t.bearer(), Some(json!({"rows": []})))
        .expect_problem(422, "validation_failed");
}

#[test]
fn bad_order_and_product_bodies_are_refused_with_the_field_named() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let auth = t.bearer();
    let mut bad = order("X 1");
    bad["currency"] = json!("ABC");
    bad["rows"][0]["unitPrice"] = json!("19.999");
    bad["rows"][1]["quantity"] = json!(0);
    let p = s
        .call("POST", "/tenant/order", &auth, Some(bad))
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["number", "currency"],
        "rows are priced only in a known currency: {p}"
    );
    let mut bad = order("X-2");
    bad["rows"][0]["unitPrice"] = json!(19.99);
    let p = s
        .call("POST", "/tenant/order", &auth, Some(bad))
        .expect_problem(422, "validation_failed");
    assert_eq!(
        p["errors"][0]["field"], "rows[0].unitPrice",
        "a float is not money"
    );
    let mut bad = order("X-3");
    bad["rows"][1]["vatRate"] = json!("101");
    let p = s
        .call("POST", "/tenant/order", &auth, Some(bad))
        .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "rows[1].vatRate");
    let mut bad = order("X-4");
    bad["rows"] = json!([]);
    s.call("POST", "/tenant/order", &auth, Some(bad))
        .expect_problem(422, "validation_failed");
    let mut bad = order("X-5");
    bad["tenantId"] = json!(t.id);
    s.call("POST", "/tenant/order", &auth, Some(bad))
        .expect_problem(422, "validation_failed");
    s.raw("POST", "/tenant/order", &auth, "application/json", "{")
        .expect_problem(400, "malformed_json");
    s.raw(
        "POST",
        "/tenant/order",
        &auth,
        "text/plain",
        &order("X-6").to_string(),
    )
    .expect_problem(415, "unsupported_media_type");
    s.raw("PATCH", "/tenant/product/NONE", &auth, "text/plain", "{}")
        .expect_problem(415, "unsupported_media_type");
    let p = s.call(
        "POST",
        "/tenant/product",
        &auth,
        Some(json!({"sku": "a b", "name": "", "price": "-1", "currency": "SEK", "stock": -5})),
    );
    let p = p.expect_problem(422, "validation_failed");
    assert_eq!(p["errors"].as_array().unwrap().len(), 4, "{p}");
    assert_eq!(
        s.call("GET", "/tenant/order", &auth, None).json()["data"],
        json!([]),
        "nothing was created"
    );
}

#[test]
fn another_tenants_orders_and_products_are_not_found() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let theirs = tenant(&s, &r, "theirs", "admin");
    // Another tenant of the same reseller, a tenant of another reseller, and a tenant of the same
    // reseller's other environment.
    let sibling = tenant(&s, &r, "sibling", "admin");
    let stranger = tenant(&s, &s.reseller("other"), "stranger", "admin");
    let production = s.credentials("acme", Environment::Production);
    let live = tenant(&s, &production, "theirs", "admin");
    let their_order = s
        .call(
            "POST",
            "/tenant/order",
            &theirs.bearer(),
            Some(order("T-1")),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.call(
        "POST",
        "/tenant/product",
        &theirs.bearer(),
        Some(json!({"sku": "SECRET", "name": "S", "price": "1", "currency": "SEK"})),
    )
    .expect(201);

    // Every operation of the Tenant API document with an id in its path, with a valid body.
    let operations: Vec<(&str, &str, Option<Value>)> = vec![
        ("GET", "/tenant/order/{id}", None),
        (
            "PATCH",
            "/tenant/order/{id}",
            Some(json!({"status": "processing"})),
        ),
        ("GET", "/tenant/product/{sku}", None),
        ("PATCH", "/tenant/product/{sku}", Some(json!({"name": "x"}))),
        ("DELETE", "/tenant/product/{sku}", None),
    ];
    let doc: Value = serde_json::from_str(&tenantry_tenant_api::openapi::document()).unwrap();
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| path.contains('{'))
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let mut covered: Vec<String> = operations
        .iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    documented.sort();
    covered.sort();
    assert_eq!(
        documented, covered,
        "an operation with an id was added without being covered here"
    );

    for other in [&sibling, &stranger, &live] {
        for (scheme, auth) in other.schemes() {
            for (method, path, body) in &operations {
                let path = path
                    .replace("{id}", &their_order)
                    .replace("{sku}", "SECRET");
                let r = s.call(method, &path, &auth, body.clone());
                assert_eq!(r.status, 404, "{scheme} {method} {path}: {}", r.text);
                r.expect_problem(404, "not_found");
            }
            assert_eq!(
                s.call("GET", "/tenant/order", &auth, None).json()["data"],
                json!([])
            );
            assert_eq!(
                s.call("GET", "/tenant/product", &auth, None).json()["data"],
                json!([])
            );
        }
    }
    s.call("GET", "/tenant/order/not-a-uuid", &sibling.bearer(), None)
        .expect_problem(404, "not_found");
    let order_state = s
        .call(
            "GET",
            &format!("/tenant/order/{their_order}"),
            &theirs.bearer(),
            None,
        )
        .expect(200)
        .json();
    assert_eq!(order_state["status"], "new", "untouched");
    s.call("GET", "/tenant/product/SECRET", &theirs.bearer(), None)
        .expect(200);
}

#[test]
fn products_are_managed_and_orders_draw_their_stock() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let auth = t.bearer();
    let mug = s.call("POST", "/tenant/product", &auth, Some(json!({"sku": "MUG", "name": "Mug", "price": "19.99", "currency": "SEK", "stock": 4}))).expect(201);
    assert_eq!(mug.header("location"), Some("/tenant/product/MUG"));
    assert_eq!(mug.json()["price"], "19.99");
    s.call(
        "POST",
        "/tenant/product",
        &auth,
        Some(json!({"sku": "MUG", "name": "Again", "price": "1", "currency": "SEK"})),
    )
    .expect_problem(409, "product_exists");
    s.call("POST", "/tenant/order", &auth, Some(order("O-1")))
        .expect(201);
    assert_eq!(
        s.call("GET", "/tenant/product/MUG", &auth, None).json()["stock"],
        1,
        "3 of 4 drawn"
    );
    let refused = s
        .call("POST", "/tenant/order", &auth, Some(order("O-2")))
        .expect_problem(409, "insufficient_stock");
    assert_eq!(
        (
            refused["sku"].as_str(),
            refused["available"].as_i64(),
            refused["requested"].as_i64()
        ),
        (Some("MUG"), Some(1), Some(3))
    );
    let stored = s.call("GET", "/tenant/order?limit=10", &auth, None).json();
    assert_eq!(
        stored["data"].as_array().unwrap().len(),
        1,
        "the refused order was not stored"
    );
    assert_eq!(
        s.call("GET", "/tenant/product/MUG", &auth, None).json()["stock"],
        1,
        "a refused order draws nothing"
    );
    s.call(
        "PATCH",
        "/tenant/product/MUG",
        &auth,
        Some(json!({"allowBackorder": true})),
    )
    .expect(200);
    s.call("POST", "/tenant/order", &auth, Some(order("O-2")))
        .expect(201);
    assert_eq!(
        s.call("GET", "/tenant/product/MUG", &auth, None).json()["stock"],
        -2
    );
    let untracked = s
        .call(
            "PATCH",
            "/tenant/product/MUG",
            &auth,
            Some(json!({"stock": null, "price": "25.00"})),
        )
        .expect(200)
        .json();
    assert_eq!(
        (untracked["stock"].clone(), untracked["price"].clone()),
        (Value::Null, json!("25.00"))
    );
    s.call(
        "PATCH",
        "/tenant/product/MUG",
        &auth,
        Some(json!({"currency": "EUR"})),
    )
    .expect_problem(422, "validation_failed");
    let list = s
        .call("GET", "/tenant/product", &auth, None)
        .expect(200)
        .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    s.call("DELETE", "/tenant/product/MUG", &auth, None)
        .expect(204);
    s.call("GET", "/tenant/product/MUG", &auth, None)
        .expect_problem(404, "not_found");
}

#[test]
fn concurrent_orders_never_oversell_stock() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    s.call(
        "POST",
        "/tenant/product",
        &t.bearer(),
        Some(json!({"sku": "MUG", "name": "Mug", "price": "1", "currency": "SEK", "stock": 10})),
    )
    .expect(201);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (s, t) = (&s, &t);
                scope.spawn(move || {
                    let body = json!({"number": format!("C-{i}"), "currency": "SEK", "rows": [{"sku": "MUG", "quantity": 3, "unitPrice": "1", "vatRate": "0"}]});
                    s.call("POST", "/tenant/order", &t.bearer(), Some(body)).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        s.call("GET", "/tenant/product/MUG", &t.bearer(), None)
            .json()["stock"],
        1
    );
}
