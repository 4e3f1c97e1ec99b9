//! Every authentication scheme answers who the caller is.

use super::*;

#[test]
fn every_scheme_answers_who_am_i() {
    let s = TestServer::start(ALONE);
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

/// Each way a token stops working, applied through its use case while this process remembers
/// the token (its list pages then check it in their own statement instead of looking it up).
enum Ending {
    Revoked,
    ConnectionDeactivated,
    ConnectionDeleted,
    TenantDeactivated,
}

impl Ending {
    fn apply(&self, s: &TestServer, t: &ApiTenant) {
        use tenantry_domain::audit::Actor;
        let stored = s.stored_tenant(t);
        let now = tenantry_domain::time::now();
        s.db.write(|conn| match self {
            Ending::Revoked => tenantry_service::connection::revoke_tokens(
                conn,
                &Actor::Operator,
                &stored,
                &t.connection,
                now,
            ),
            Ending::ConnectionDeactivated => tenantry_service::connection::update(
                conn,
                &Actor::Operator,
                &stored,
                &t.connection,
                tenantry_domain::connection::ConnectionPatch {
                    active: Some(false),
                    ..Default::default()
                },
                now,
            )
            .map(drop),
            Ending::ConnectionDeleted => {
                tenantry_service::connection::delete(conn, &Actor::Operator, &stored, &t.connection)
                    .map(drop)
            }
            Ending::TenantDeactivated => set_active(conn, &stored, false),
        })
        .expect("the use case runs");
    }
}

/// Deactivates or reactivates the tenant, as its reseller does.
fn set_active(
    conn: &mut tenantry_storage::DbConnection,
    stored: &tenantry_domain::tenant::Tenant,
    active: bool,
) -> Result<(), tenantry_service::ServiceError> {
    let owner = tenantry_storage::Owner {
        reseller_id: stored.reseller_id,
        environment: stored.environment,
    };
    let patch = tenantry_domain::tenant::TenantPatch {
        active: Some(active),
        ..Default::default()
    };
    tenantry_service::tenant::update(
        conn,
        &tenantry_domain::audit::Actor::Operator,
        &owner,
        &[],
        &stored.code_name,
        patch,
    )
    .map(drop)
}

#[test]
fn a_remembered_token_is_refused_on_its_next_page_exactly_as_a_fresh_lookup_refuses_it() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let lookups = || s.state().auth.token_lookups();
    for (i, ending) in [
        Ending::Revoked,
        Ending::ConnectionDeactivated,
        Ending::ConnectionDeleted,
        Ending::TenantDeactivated,
    ]
    .iter()
    .enumerate()
    {
        let t = tenant(&s, &r, &format!("shop-{i}"), "admin");
        let auth = t.bearer();
        s.call("POST", "/tenant/order", &auth, Some(order("ONE")))
            .expect(201);
        // The first page looks the token up; the next ones do not: the page checks it.
        s.call("GET", "/tenant/order", &auth, None).expect(200);
        let before = lookups();
        let page = s.call("GET", "/tenant/order", &auth, None).expect(200);
        assert!(
            page.header("ratelimit-remaining").is_some(),
            "still limited"
        );
        assert_eq!(page.json()["data"].as_array().unwrap().len(), 1);
        // An empty page (no products) proves nothing by its rows: it is checked apart.
        s.call("GET", "/tenant/product", &auth, None).expect(200);
        assert_eq!(lookups(), before, "a remembered token is not looked up");

        ending.apply(&s, &t);
        // The reference: a route that always looks the token up.
        let fresh = s.call("GET", "/tenant", &auth, None);
        assert!(matches!(fresh.status, 401 | 403), "{}", fresh.text);
        let fresh_code = fresh.json()["code"].clone();
        for path in [
            "/tenant/order",
            "/tenant/product",
            "/tenant/order?status=new",
        ] {
            let refused = s.call("GET", path, &auth, None);
            assert_eq!(
                (refused.status, refused.json()["code"].clone()),
                (fresh.status, fresh_code.clone()),
                "{path} after the token stopped working: {}",
                refused.text
            );
            if fresh.status == 401 {
                assert_eq!(
                    refused.header("www-authenticate"),
                    fresh.header("www-authenticate")
                );
            }
        }
    }
}

#[test]
fn a_remembered_token_refused_before_its_page_is_read_is_told_what_a_fresh_lookup_says() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    for (i, ending) in [Ending::Revoked, Ending::TenantDeactivated]
        .iter()
        .enumerate()
    {
        let t = tenant(&s, &r, &format!("shop-{i}"), "admin");
        let auth = t.bearer();
        // Looked up once, then remembered.
        s.call("GET", "/tenant/order", &auth, None).expect(200);
        s.call("GET", "/tenant/order", &auth, None).expect(200);
        // What a live token is told for this query: 400.
        s.call("GET", "/tenant/order?limit=many", &auth, None)
            .expect(400);
        ending.apply(&s, &t);
        let fresh = s.call("GET", "/tenant", &auth, None);
        assert!(matches!(fresh.status, 401 | 403), "{}", fresh.text);
        let refused = s.call("GET", "/tenant/order?limit=many", &auth, None);
        assert_eq!(
            (refused.status, refused.json()["code"].clone()),
            (fresh.status, fresh.json()["code"].clone()),
            "{}",
            refused.text
        );
        assert_eq!(
            refused.header("www-authenticate"),
            fresh.header("www-authenticate")
        );
    }
}

#[test]
fn a_token_working_again_is_served_again_and_its_permissions_still_hold() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let auth = t.bearer();
    s.call("GET", "/tenant/order", &auth, None).expect(200);
    Ending::TenantDeactivated.apply(&s, &t);
    s.call("GET", "/tenant/order", &auth, None)
        .expect_problem(403, "tenant_deactivated");
    let stored = s.stored_tenant(&t);
    s.db.write(|conn| set_active(conn, &stored, true)).unwrap();
    s.call("GET", "/tenant/order", &auth, None).expect(200);
    s.call("GET", "/tenant/product", &auth, None).expect(200);

    // A token that may read products only (a partner's, as consented to): refused the order
    // list on every request, remembered or not.
    use tenantry_auth::token::{self, TokenKind};
    use tenantry_domain::permission::Permission;
    let narrow = token::generate(TokenKind::TenantToken, stored.environment);
    s.db.write(|conn| {
        tenantry_storage::tenant_token::insert(
            conn,
            stored.id,
            &t.connection,
            &narrow.stored.hash,
            &narrow.stored.hint,
            Some(&[Permission::ProductRead]),
            tenantry_domain::time::now(),
        )
    })
    .unwrap();
    let narrow = Auth::Bearer(narrow.secret);
    for _ in 0..2 {
        s.call("GET", "/tenant/product", &narrow, None).expect(200);
        s.call("GET", "/tenant/order", &narrow, None)
            .expect_problem(403, "missing_permission");
    }
}
