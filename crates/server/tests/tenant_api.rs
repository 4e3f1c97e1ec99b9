//! The Tenant API: every authentication scheme, permissions, orders, products, stock,
//! cross-tenant ids, and gap-free incremental sync under concurrent writers.

mod common;

use base64::Engine;
use common::{Auth, ResellerCreds, TestServer};
use serde_json::{json, Value};
use std::collections::HashMap;
use tenantry_domain::Environment;

/// A tenant with an API connection (and its token) and an API user with a password.
struct Tenant {
    code_name: String,
    id: String,
    connection: String,
    token: String,
    reseller: ResellerCreds,
}

const PASSWORD: &str = "a long api user password";

fn tenant(s: &TestServer, reseller: &ResellerCreds, reference: &str, role: &str) -> Tenant {
    let body = json!({"customerReference": reference, "fullName": "Shop AB", "email": "shop@x.example", "defaultLanguage": "swe", "withApiConnection": true});
    let t = s
        .call("POST", "/reseller/tenant", &reseller.bearer(), Some(body))
        .expect(201)
        .json();
    let code_name = t["codeName"].as_str().unwrap().to_owned();
    s.call(
        "POST",
        &format!("/reseller/tenant/{code_name}/user"),
        &reseller.bearer(),
        Some(json!({"login": "api", "email": "api@x.example", "role": role, "password": PASSWORD})),
    )
    .expect(201);
    Tenant {
        id: t["id"].as_str().unwrap().to_owned(),
        connection: t["connection"]["id"].as_str().unwrap().to_owned(),
        token: t["connection"]["token"].as_str().unwrap().to_owned(),
        code_name,
        reseller: reseller.clone(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> Auth {
    Auth::Headers(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn basic(login: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
    )
}

impl Tenant {
    /// Sharespine: X-Tenant + X-ConnectionId + Basic.
    fn sharespine(&self) -> Auth {
        headers(&[
            ("X-Tenant", &self.code_name),
            ("X-ConnectionId", &self.connection),
            ("Authorization", &basic("api", PASSWORD)),
        ])
    }

    fn bearer(&self) -> Auth {
        Auth::Bearer(self.token.clone())
    }

    fn api_key(&self) -> Auth {
        Auth::ApiKey(self.token.clone())
    }

    /// Calipsa partner token + X-Tenant-ID.
    fn as_reseller(&self) -> Auth {
        headers(&[
            ("Authorization", &format!("Bearer {}", self.reseller.key)),
            ("X-Tenant-ID", &self.id),
        ])
    }

    fn as_reseller_basic(&self) -> Auth {
        headers(&[
            (
                "Authorization",
                &basic(&self.reseller.login, &self.reseller.password),
            ),
            ("X-Reseller", &self.reseller.code),
            ("X-Tenant-ID", &self.id),
        ])
    }

    fn schemes(&self) -> Vec<(&'static str, Auth)> {
        vec![
            ("sharespine", self.sharespine()),
            ("bearer", self.bearer()),
            ("x-apikey", self.api_key()),
            ("reseller+X-Tenant-ID", self.as_reseller()),
            ("reseller basic+X-Tenant-ID", self.as_reseller_basic()),
        ]
    }
}

fn order(number: &str) -> Value {
    json!({
        "number": number, "currency": "SEK",
        "customer": {"name": "Anna", "email": "anna@x.example", "phone": "+46 70 000 00 00"},
        "billingAddress": {"name": "Anna", "street": "Storgatan 1", "postalCode": "111 22", "city": "Stockholm", "country": "SE"},
        "rows": [
            {"sku": "MUG", "name": "Mug", "quantity": 3, "unitPrice": "19.99", "vatRate": "25"},
            {"sku": "BOOK", "name": "Book", "quantity": 1, "unitPrice": "0.10", "vatRate": "12"}
        ],
        "metadata": {"source": "webshop"}
    })
}

#[test]
fn every_scheme_answers_who_am_i() {
    let s = TestServer::start();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "manager");
    for (scheme, auth) in t.schemes() {
        let me = s.call("GET", "/tenant", &auth, None).expect(200).json();
        assert_eq!(me["tenant"]["codeName"], t.code_name.as_str(), "{scheme}");
        assert_eq!(me["tenant"]["environment"], "sandbox");
        let expected = match scheme {
            "sharespine" => "connection_user",
            "bearer" | "x-apikey" => "tenant_token",
            _ => "reseller",
        };
        assert_eq!(me["authenticatedBy"], expected, "{scheme}");
        assert_eq!(
            me["permissions"].as_array().unwrap().len(),
            4,
            "{scheme}: {me}"
        );
    }
    let me = s.call("GET", "/tenant", &t.sharespine(), None).json();
    assert_eq!(
        (me["user"].as_str(), me["connectionId"].as_str()),
        (Some("api"), Some(t.connection.as_str()))
    );
}

#[test]
fn wrong_missing_or_withdrawn_credentials_stop_working_at_once() {
    let s = TestServer::start();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let other = tenant(&s, &s.reseller("other"), "elsewhere", "admin");
    let cases: Vec<(&str, Auth)> = vec![
        ("nothing", Auth::None),
        (
            "wrong password",
            headers(&[
                ("X-Tenant", &t.code_name),
                ("X-ConnectionId", &t.connection),
                ("Authorization", &basic("api", "wrong password!")),
            ]),
        ),
        (
            "unknown user",
            headers(&[
                ("X-Tenant", &t.code_name),
                ("X-ConnectionId", &t.connection),
                ("Authorization", &basic("nobody", PASSWORD)),
            ]),
        ),
        (
            "another tenant's connection",
            headers(&[
                ("X-Tenant", &t.code_name),
                ("X-ConnectionId", &other.connection),
                ("Authorization", &basic("api", PASSWORD)),
            ]),
        ),
        (
            "no connection id",
            headers(&[
                ("X-Tenant", &t.code_name),
                ("Authorization", &basic("api", PASSWORD)),
            ]),
        ),
        (
            "unknown tenant",
            headers(&[
                ("X-Tenant", "nope-1"),
                ("X-ConnectionId", &t.connection),
                ("Authorization", &basic("api", PASSWORD)),
            ]),
        ),
        ("reseller key without X-Tenant-ID", r.bearer()),
        (
            "token typo",
            // The last character changed: to `x`, unless it was `x` already (1 token in 62).
            Auth::Bearer(format!(
                "{}{}",
                &t.token[..t.token.len() - 1],
                if t.token.ends_with('x') { 'y' } else { 'x' }
            )),
        ),
    ];
    for (what, auth) in &cases {
        let p = s.call("GET", "/tenant/order", auth, None);
        assert!(
            p.header("www-authenticate")
                .unwrap_or_default()
                .contains("Tenant API"),
            "{what}"
        );
        p.expect_problem(401, "unauthorized");
    }
    // Another reseller's tenant, or one of another environment, by X-Tenant-ID: not found.
    let foreign = headers(&[
        ("Authorization", &format!("Bearer {}", r.key)),
        ("X-Tenant-ID", &other.id),
    ]);
    s.call("GET", "/tenant/order", &foreign, None)
        .expect_problem(404, "not_found");
    let live = s.credentials("acme", Environment::Production);
    let cross_env = headers(&[
        ("Authorization", &format!("Bearer {}", live.key)),
        ("X-Tenant-ID", &t.id),
    ]);
    s.call("GET", "/tenant/order", &cross_env, None)
        .expect_problem(404, "not_found");
    let not_uuid = headers(&[
        ("Authorization", &format!("Bearer {}", r.key)),
        ("X-Tenant-ID", "not-a-uuid"),
    ]);
    s.call("GET", "/tenant/order", &not_uuid, None)
        .expect_problem(404, "not_found");

    // Deactivating the tenant stops every scheme with 403 saying why; activating restores.
    let patch = |body: Value| {
        s.call(
            "PATCH",
            &format!("/reseller/tenant/{}", t.code_name),
            &r.bearer(),
            Some(body),
        )
        .expect(200)
    };
    patch(json!({"active": false}));
    for (scheme, auth) in t.schemes() {
        let body = s
            .call("GET", "/tenant/order", &auth, None)
            .expect_problem(403, "tenant_deactivated");
        assert!(
            body["detail"].as_str().unwrap().contains(&t.code_name),
            "{scheme}"
        );
    }
    patch(json!({"active": true}));
    s.call("GET", "/tenant/order", &t.bearer(), None)
        .expect(200);
    // A deactivated connection: 403; active again: works.
    let conn_path = format!(
        "/reseller/tenant/{}/connection/{}",
        t.code_name, t.connection
    );
    s.call(
        "PATCH",
        &conn_path,
        &r.bearer(),
        Some(json!({"active": false})),
    )
    .expect(200);
    s.call("GET", "/tenant/order", &t.sharespine(), None)
        .expect_problem(403, "connection_inactive");
    s.call("GET", "/tenant/order", &t.bearer(), None)
        .expect_problem(403, "connection_inactive");
    s.call(
        "PATCH",
        &conn_path,
        &r.bearer(),
        Some(json!({"active": true})),
    )
    .expect(200);
    // Revoked tokens: 401 at once; a new token works.
    s.call("DELETE", &format!("{conn_path}/token"), &r.bearer(), None)
        .expect(204);
    s.call("GET", "/tenant/order", &t.bearer(), None)
        .expect_problem(401, "unauthorized");
    s.call("GET", "/tenant/order", &t.api_key(), None)
        .expect_problem(401, "unauthorized");
    let fresh = s
        .call("POST", &format!("{conn_path}/token"), &r.bearer(), None)
        .expect(201)
        .json();
    s.call(
        "GET",
        "/tenant/order",
        &Auth::Bearer(fresh["token"].as_str().unwrap().into()),
        None,
    )
    .expect(200);
    // A removed password, then a deleted user: 401.
    let user_path = format!("/reseller/tenant/{}/user/api", t.code_name);
    s.call(
        "PATCH",
        &user_path,
        &r.bearer(),
        Some(json!({"password": null})),
    )
    .expect(200);
    s.call("GET", "/tenant/order", &t.sharespine(), None)
        .expect_problem(401, "unauthorized");
    s.call(
        "PATCH",
        &user_path,
        &r.bearer(),
        Some(json!({"password": PASSWORD})),
    )
    .expect(200);
    s.call("GET", "/tenant/order", &t.sharespine(), None)
        .expect(200);
    s.call("DELETE", &user_path, &r.bearer(), None).expect(204);
    s.call("GET", "/tenant/order", &t.sharespine(), None)
        .expect_problem(401, "unauthorized");
    // A deleted connection: its user and token are refused.
    s.call("DELETE", &conn_path, &r.bearer(), None).expect(204);
    s.call(
        "GET",
        "/tenant/order",
        &Auth::Bearer(fresh["token"].as_str().unwrap().into()),
        None,
    )
    .expect_problem(401, "unauthorized");
}

#[test]
fn permissions_are_checked_on_every_operation() {
    let s = TestServer::start();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "viewer");
    let admin = tenant(&s, &r, "other-shop", "admin");
    s.call("POST", "/tenant/order", &admin.bearer(), Some(order("A-1")))
        .expect(201);
    let writes: Vec<(&str, &str, Option<Value>, &str)> = vec![
        ("POST", "/tenant/order", Some(order("V-1")), "order:write"),
        (
            "POST",
            "/tenant/product",
            Some(json!({"sku": "S", "name": "S", "price": "1", "currency": "SEK"})),
            "product:write",
        ),
    ];
    for (method, path, body, permission) in &writes {
        let p = s
            .call(method, path, &t.sharespine(), body.clone())
            .expect_problem(403, "missing_permission");
        assert!(p["detail"].as_str().unwrap().contains(permission));
    }
    s.call("GET", "/tenant/order", &t.sharespine(), None)
        .expect(200);
    s.call("GET", "/tenant/product", &t.sharespine(), None)
        .expect(200);
    // Granting one permission opens exactly that.
    let user_path = format!("/reseller/tenant/{}/user/api", t.code_name);
    s.call(
        "PATCH",
        &user_path,
        &r.bearer(),
        Some(json!({"permissions": ["order:write"]})),
    )
    .expect(200);
    s.call("POST", "/tenant/order", &t.sharespine(), Some(order("V-1")))
        .expect(201);
    s.call(
        "POST",
        "/tenant/product",
        &t.sharespine(),
        Some(json!({"sku": "S", "name": "S", "price": "1", "currency": "SEK"})),
    )
    .expect_problem(403, "missing_permission");
    // A user with no read permission at all (a role stripped to nothing is not possible, so
    // check the catalogue the reseller can list instead).
    let catalogue = s
        .call("GET", "/reseller/permission", &r.bearer(), None)
        .expect(200)
        .json();
    let names: Vec<&str> = catalogue["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["order:read", "order:write", "product:read", "product:write"]
    );
    assert_eq!(catalogue["roles"][2]["name"], "viewer");
}

#[test]
fn orders_are_created_with_exact_totals_read_and_moved_through_their_states() {
    let s = TestServer::start();
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
    let s = TestServer::start();
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
    let s = TestServer::start();
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
    let s = TestServer::start();
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
    let s = TestServer::start();
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

/// Pages through `/tenant/order` from `cursor` until `hasMore` is false; returns the orders
/// seen and the cursor to resume from.
fn sync(
    s: &TestServer,
    auth: &Auth,
    mut cursor: String,
    limit: usize,
    seen: &mut HashMap<String, Value>,
) -> String {
    loop {
        let path = if cursor.is_empty() {
            format!("/tenant/order?limit={limit}")
        } else {
            format!("/tenant/order?limit={limit}&cursor={cursor}")
        };
        let page = s.call("GET", &path, auth, None).expect(200).json();
        for o in page["data"].as_array().unwrap() {
            seen.insert(o["id"].as_str().unwrap().to_owned(), o.clone());
        }
        cursor = page["nextCursor"]
            .as_str()
            .expect("nextCursor on every page")
            .to_owned();
        if !page["hasMore"].as_bool().unwrap() {
            return cursor;
        }
    }
}

#[test]
fn the_sync_feed_pages_by_change_and_resumes_from_any_cursor() {
    let s = TestServer::start();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let auth = t.bearer();
    let empty = s
        .call("GET", "/tenant/order", &auth, None)
        .expect(200)
        .json();
    assert_eq!(
        (empty["data"].clone(), empty["hasMore"].clone()),
        (json!([]), json!(false))
    );
    let start = empty["nextCursor"]
        .as_str()
        .expect("a cursor even on an empty page")
        .to_owned();
    let ids: Vec<String> = (0..5)
        .map(|i| {
            s.call(
                "POST",
                "/tenant/order",
                &auth,
                Some(order(&format!("S-{i}"))),
            )
            .expect(201)
            .json()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut seen = HashMap::new();
    let cursor = sync(&s, &auth, start.clone(), 2, &mut seen);
    assert_eq!(seen.len(), 5);
    // Nothing new: an empty page that keeps the cursor.
    let idle = s
        .call(
            "GET",
            &format!("/tenant/order?cursor={cursor}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        (idle["data"].clone(), idle["nextCursor"].as_str()),
        (json!([]), Some(cursor.as_str()))
    );
    // An update moves the order past the cursor: the next sync sees exactly it.
    s.call(
        "PATCH",
        &format!("/tenant/order/{}", ids[1]),
        &auth,
        Some(json!({"status": "processing"})),
    )
    .expect(200);
    let mut changed = HashMap::new();
    let cursor = sync(&s, &auth, cursor, 2, &mut changed);
    assert_eq!(changed.keys().collect::<Vec<_>>(), vec![&ids[1]]);
    assert_eq!(changed[&ids[1]]["status"], "processing");
    // Filters.
    let by_status = s
        .call("GET", "/tenant/order?status=processing", &auth, None)
        .expect(200)
        .json();
    assert_eq!(by_status["data"].as_array().unwrap().len(), 1);
    let future = s
        .call(
            "GET",
            "/tenant/order?modifiedSince=2999-01-01T00:00:00Z",
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(future["data"], json!([]));
    let updated_at = changed[&ids[1]]["updatedAt"].as_str().unwrap().to_owned();
    let since = s
        .call(
            "GET",
            &format!("/tenant/order?modifiedSince={updated_at}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        since["data"][0]["id"],
        ids[1].as_str(),
        "modifiedSince is inclusive"
    );
    s.call("GET", "/tenant/order?modifiedSince=yesterday", &auth, None)
        .expect_problem(400, "invalid_query");
    s.call("GET", "/tenant/order?status=lost", &auth, None)
        .expect_problem(400, "invalid_query");
    s.call("GET", "/tenant/order?cursor=%%%", &auth, None)
        .expect_problem(400, "invalid_cursor");
    s.call("GET", "/tenant/order?limit=500", &auth, None)
        .expect_problem(400, "invalid_limit");
    s.call("GET", "/tenant/order?limit=x", &auth, None)
        .expect_problem(400, "invalid_query");
    // The caller is judged before its query: a bad credential hears 401, not the query's fault.
    s.call("GET", "/tenant/order?limit=500", &Auth::None, None)
        .expect_problem(401, "unauthorized");
    let _ = cursor;
}

#[test]
fn a_reader_syncing_during_concurrent_writes_ends_with_every_final_order() {
    let s = TestServer::start();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let writers = 4;
    let per_writer = 25;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut seen = HashMap::new();
    std::thread::scope(|scope| {
        for w in 0..writers {
            let (s, t, done) = (&s, &t, &done);
            scope.spawn(move || {
                let mut mine: Vec<String> = Vec::new();
                for i in 0..per_writer {
                    // Mostly creates, with updates of this writer's earlier orders between them.
                    if i % 3 == 2 {
                        let id = &mine[i % mine.len()];
                        let status = if i % 2 == 0 {
                            "processing"
                        } else {
                            "cancelled"
                        };
                        let r = s.call(
                            "PATCH",
                            &format!("/tenant/order/{id}"),
                            &t.bearer(),
                            Some(json!({"status": status, "metadata": {"touch": i}})),
                        );
                        assert!(r.status == 200 || r.status == 409, "{}", r.text);
                    } else {
                        let o = s
                            .call(
                                "POST",
                                "/tenant/order",
                                &t.bearer(),
                                Some(order(&format!("W{w}-{i}"))),
                            )
                            .expect(201)
                            .json();
                        mine.push(o["id"].as_str().unwrap().to_owned());
                    }
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        // The reader syncs in a loop while the writers run, keeping only its cursor.
        let mut cursor = String::new();
        while done.load(std::sync::atomic::Ordering::SeqCst) < writers {
            cursor = sync(&s, &t.bearer(), cursor.clone(), 7, &mut seen);
        }
        // Writers stopped: drain.
        sync(&s, &t.bearer(), cursor, 7, &mut seen);
    });
    // The truth, read directly: every order, final version.
    let mut truth = HashMap::new();
    sync(&s, &t.bearer(), String::new(), 200, &mut truth);
    assert_eq!(truth.len(), writers * (per_writer - per_writer / 3));
    assert_eq!(seen.len(), truth.len(), "the reader saw every order");
    for (id, order) in &truth {
        assert_eq!(
            &seen[id], order,
            "the reader holds the final version of {id}"
        );
    }
}

#[test]
fn sandbox_tenants_can_be_filled_with_fake_orders_and_production_ones_cannot() {
    let s = TestServer::start();
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
    let mut seen = HashMap::new();
    sync(&s, &t.bearer(), String::new(), 50, &mut seen);
    assert_eq!(seen.len(), 30);
    assert!(seen
        .values()
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

#[test]
fn the_tenant_openapi_document_is_served_and_covers_the_routes() {
    let s = TestServer::start();
    let served = s
        .call("GET", "/tenant/openapi.json", &Auth::None, None)
        .expect(200);
    assert_eq!(served.text, tenantry_tenant_api::openapi::document());
    let doc = served.json();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{sku}", "NONE");
            let status = s
                .call(
                    &method.to_uppercase(),
                    &concrete,
                    &t.bearer(),
                    Some(json!({})),
                )
                .status;
            assert!(
                status != 405 && (status != 404 || path.contains('{')),
                "{method} {path} answered {status}"
            );
        }
    }
}
