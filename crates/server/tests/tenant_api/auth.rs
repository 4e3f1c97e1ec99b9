//! Wrong and withdrawn credentials, and permissions, changed through the Reseller API and
//! enforced by the Tenant API at once.

use super::*;

#[test]
fn wrong_missing_or_withdrawn_credentials_stop_working_at_once() {
    let s = TestServer::start(BOTH);
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
    let s = TestServer::start(BOTH);
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
