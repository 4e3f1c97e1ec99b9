//! Partner linking, Cloud 66's user integration handshake, across the portal (consent,
//! redirect, callback, disconnect), the Reseller API (the partner endpoint) and the Tenant API
//! (what the partner's token may then do), over real HTTP on the backend the environment
//! names. Every row of the seed's 403 table has a test of its own. The same handshake in a real
//! browser is `partner_linking_browser.rs`.

mod common;

use common::receiver::Receiver;
use common::{agent, send, Auth, ResellerCreds, Response, TestServer, BOTH};
use serde_json::{json, Value};
use tenantry_domain::permission::Role;
use tenantry_http::ServiceConfig;
use tenantry_testkit::portal::Session;
use tenantry_testkit::server::ApiTenant;

/// The partner's integration, offered to every tenant on the server.
fn offer(s: &TestServer, partner: &ResellerCreds, name: &str) -> String {
    s.call(
        "POST",
        "/reseller/integration",
        &partner.bearer(),
        Some(json!({
            "name": name,
            "redirectUrl": "https://backup.example/tenantry/connect",
            "connectionType": "acme_backup",
            "permissions": ["order:read"],
            "visibility": "all",
        })),
    )
    .expect(201)
    .json()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A shop (a tenant of `acme`, its user `api` an admin, `manager` and `viewer` beside it) and
/// `backup`, a partner the operator lets offer integrations to every tenant, with one.
struct World {
    acme: ResellerCreds,
    shop: ApiTenant,
    partner: ResellerCreds,
    integration: String,
}

fn world(s: &TestServer) -> World {
    let acme = s.reseller("acme");
    let shop = s.api_tenant(&acme, "shop", Role::Admin);
    s.tenant_user(&shop, "manager", Role::Manager, "eng");
    s.tenant_user(&shop, "viewer", Role::Viewer, "eng");
    let partner = s.reseller("backup");
    tenantry_server::admin::update_reseller(&s.db, "backup", None, Some(true)).unwrap();
    let integration = offer(s, &partner, "Acme Backup");
    World {
        acme,
        shop,
        partner,
        integration,
    }
}

/// Where the portal sent the browser: the partner's page and the three parameters.
#[derive(Debug)]
struct Redirect {
    uid: String,
    email: String,
    /// The callback's path on this server.
    callback: String,
}

/// The admin's consent in the portal: the consent page, then its form; returns the redirect.
fn consent(s: &TestServer, admin: &Session, integration: &str) -> Redirect {
    let shown = admin
        .get(&format!("/portal/integrations/{integration}/connect"))
        .expect(200);
    let policy = shown.header("content-security-policy").unwrap();
    assert!(
        policy.contains("form-action 'self' https://backup.example;"),
        "the confirming form may lead to the partner: {policy}"
    );
    let page = shown.text;
    assert!(
        page.contains("Read orders"),
        "the permission asked for: {page}"
    );
    assert!(page.contains("api@x.example"), "the email shared: {page}");
    let sent = admin
        .post(&format!("/portal/integrations/{integration}/connect"), &[])
        .expect(303);
    let location = url::Url::parse(sent.header("location").unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next(),
        Some("https://backup.example/tenantry/connect")
    );
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {location}"))
    };
    let callback = param("callback");
    Redirect {
        uid: param("uid"),
        email: param("email"),
        callback: callback
            .strip_prefix(&s.base)
            .unwrap_or_else(|| panic!("{callback} is not on {}", s.base))
            .to_owned(),
    }
}

fn post_back(s: &TestServer, auth: &Auth, integration: &str, body: Value) -> Response {
    s.call(
        "POST",
        &format!("/reseller/integration/{integration}/link"),
        auth,
        Some(body),
    )
}

/// The seed's refusal: 403, the stable code, the seed's words in `detail`.
fn refused(r: Response, code: &str, detail: &str) {
    let problem = r.expect_problem(403, code);
    assert_eq!(problem["detail"], detail);
}

/// The seed's `invalid link_uid`.
fn invalid_uid(r: Response) {
    refused(r, "invalid_link_uid", "invalid link_uid");
}

impl World {
    /// The shop's admin signed in, having consented to the integration.
    fn consent<'a>(&self, s: &'a TestServer) -> (Session<'a>, Redirect) {
        let admin = Session::sign_in(s, &self.shop, "api", "/portal/integrations");
        let redirect = consent(s, &admin, &self.integration);
        (admin, redirect)
    }

    /// The connection a post-back's `answer` added to the shop, as its reseller reads it.
    fn partners_connection(&self, s: &TestServer, answer: &Value) -> Value {
        let id = answer["connectionId"].as_str().unwrap();
        let path = format!("/reseller/tenant/{}/connection/{id}", self.shop.code_name);
        s.call("GET", &path, &self.acme.bearer(), None)
            .expect(200)
            .json()
    }

    /// The partner's post-back of `redirect`'s uid and email, with a payload of its own.
    fn post_back(&self, s: &TestServer, redirect: &Redirect) -> Response {
        post_back(
            s,
            &self.partner.bearer(),
            &self.integration,
            linked_body(redirect),
        )
    }
}

fn linked_body(r: &Redirect) -> Value {
    json!({"link_uid": r.uid, "user_email": r.email, "apiKey": "bk_123", "region": "eu"})
}

#[test]
fn the_handshake_adds_the_partners_service_and_a_token_limited_to_the_consent() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let admin = Session::sign_in(&s, &w.shop, "api", "/portal/integrations");
    let list = admin.get("/portal/integrations").expect(200).text;
    assert!(
        list.contains("Acme Backup") && list.contains("By Reseller backup"),
        "{list}"
    );
    assert!(list.contains(&format!("data-connect=\"{}\"", w.integration)));

    let redirect = consent(&s, &admin, &w.integration);
    assert!(redirect.uid.len() >= 22, "at least 128 random bits");
    assert_eq!(redirect.email, "api@x.example");
    assert!(redirect
        .callback
        .starts_with("/portal/integrations/callback?link="));
    let before = admin.get(&redirect.callback).expect(200).text;
    assert!(before.contains("data-state=\"pending\""), "{before}");

    let answer = post_back(
        &s,
        &w.partner.basic(),
        &w.integration,
        linked_body(&redirect),
    )
    .expect(200)
    .json();
    assert_eq!(answer["status"], "service added");
    assert_eq!(answer["tenantId"], w.shop.id.as_str());
    assert_eq!(answer["permissions"], json!(["order:read"]));
    let token = answer["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("tnt_test_"), "{token}");
    let after = admin.get(&redirect.callback).expect(200).text;
    assert!(
        after.contains("data-state=\"linked\"")
            && after.contains("Acme Backup was added to this account."),
        "{after}"
    );

    // The tenant has the partner's connection, its payload as configuration.
    let connection = w.partners_connection(&s, &answer);
    assert_eq!(connection["type"], "acme_backup");
    assert_eq!(connection["name"], "Acme Backup");
    assert_eq!(
        connection["configuration"],
        json!({"apiKey": "bk_123", "region": "eu"})
    );
    assert_eq!(connection["active"], true);

    // The token's scope: what was consented to, and nothing else.
    let partner_token = Auth::Bearer(token.clone());
    s.call("GET", "/tenant/order", &partner_token, None)
        .expect(200);
    s.call("GET", "/tenant/order", &Auth::ApiKey(token), None)
        .expect(200);
    let mut order = tenantry_testkit::fixture::order_body("P-1");
    s.call("POST", "/tenant/order", &partner_token, Some(order.clone()))
        .expect_problem(403, "missing_permission");
    for path in ["/tenant/product", "/tenant/product/MUG"] {
        s.call("GET", path, &partner_token, None)
            .expect_problem(403, "missing_permission");
    }
    s.call(
        "POST",
        "/tenant/product",
        &partner_token,
        Some(json!({"sku": "X", "name": "X", "price": "1.00", "currency": "SEK"})),
    )
    .expect_problem(403, "missing_permission");
    s.call("DELETE", "/tenant/product/MUG", &partner_token, None)
        .expect_problem(403, "missing_permission");
    // Another tenant's order is not found through it.
    let other = s.api_tenant(&w.acme, "other", Role::Admin);
    order["number"] = json!("O-1");
    let theirs = s
        .call("POST", "/tenant/order", &other.bearer(), Some(order))
        .expect(201)
        .json();
    s.call(
        "GET",
        &format!("/tenant/order/{}", theirs["id"].as_str().unwrap()),
        &partner_token,
        None,
    )
    .expect_problem(404, "not_found");
    let listed = s
        .call("GET", "/tenant/order", &partner_token, None)
        .expect(200)
        .json();
    assert_eq!(listed["data"], json!([]), "only the linked tenant's orders");
    // The Reseller API still does not show the partner that tenant.
    s.call(
        "GET",
        &format!("/reseller/tenant/{}", w.shop.code_name),
        &w.partner.bearer(),
        None,
    )
    .expect_problem(404, "not_found");
    let acting = w.partner.bearer().with("X-Tenant-ID", &w.shop.id);
    s.call("GET", "/tenant/order", &acting, None)
        .expect_problem(404, "not_found");

    // Both feeds have the event; each side's audit log has what the other did.
    for auth in [w.acme.bearer(), w.partner.bearer()] {
        let feed = s
            .call(
                "GET",
                "/reseller/event?type=integration.linked",
                &auth,
                None,
            )
            .expect(200)
            .json();
        let event = &feed["data"][0];
        assert_eq!(event["tenant"]["codeName"], w.shop.code_name.as_str());
        assert_eq!(event["data"]["state"], "linked");
        assert_eq!(event["data"]["partner"], "backup");
        assert_eq!(event["data"]["connectionId"], answer["connectionId"]);
    }
    let audit = |auth: &Auth| -> Vec<String> {
        s.call("GET", "/reseller/audit", auth, None)
            .expect(200)
            .json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["operation"].as_str().unwrap().to_owned())
            .collect()
    };
    let acme_log = audit(&w.acme.bearer());
    assert!(
        acme_log
            .iter()
            .any(|o| o.starts_with("integration.linked Acme Backup")),
        "{acme_log:?}"
    );
    let partner_log = audit(&w.partner.bearer());
    assert!(
        partner_log
            .iter()
            .any(|o| o == "POST /reseller/integration/{id}/link"),
        "{partner_log:?}"
    );
}

#[test]
fn every_partner_credential_scheme_posts_back() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    for (i, (scheme, auth)) in w.partner.schemes().into_iter().enumerate() {
        let shop = s.api_tenant(&w.acme, &format!("scheme-{i}"), Role::Admin);
        let admin = Session::sign_in(&s, &shop, "api", "/portal/integrations");
        let redirect = consent(&s, &admin, &w.integration);
        let answer = post_back(&s, &auth, &w.integration, linked_body(&redirect))
            .expect(200)
            .json();
        assert_eq!(answer["tenantId"], shop.id.as_str(), "{scheme}");
    }
}

#[test]
fn a_missing_link_uid_is_refused() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    for body in [
        json!({"user_email": "api@x.example"}),
        json!({"link_uid": "", "user_email": "api@x.example"}),
        json!({"link_uid": 42, "user_email": "api@x.example"}),
    ] {
        refused(
            post_back(&s, &w.partner.bearer(), &w.integration, body),
            "link_uid_missing",
            "link_uid is missing",
        );
    }
}

#[test]
fn a_missing_user_email_is_refused() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let (_admin, redirect) = w.consent(&s);
    refused(
        post_back(
            &s,
            &w.partner.bearer(),
            &w.integration,
            json!({"link_uid": redirect.uid}),
        ),
        "user_email_missing",
        "user_email is missing",
    );
}

#[test]
fn an_invalid_user_email_is_refused_and_the_link_still_works() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let (_admin, redirect) = w.consent(&s);
    for email in ["not an email", "someone.else@x.example"] {
        refused(
            post_back(
                &s,
                &w.partner.bearer(),
                &w.integration,
                json!({"link_uid": redirect.uid, "user_email": email}),
            ),
            "invalid_user_email",
            "invalid user_email",
        );
    }
    // The email is compared as a mailbox: its case does not matter.
    let body = json!({"link_uid": redirect.uid, "user_email": "API@X.example"});
    post_back(&s, &w.partner.bearer(), &w.integration, body).expect(200);
}

/// The consenting admin can no longer accept the integration when the partner posts back.
fn refused_after(change: impl FnOnce(&TestServer, &World)) {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let (_admin, redirect) = w.consent(&s);
    change(&s, &w);
    refused(
        w.post_back(&s, &redirect),
        "invalid_user_email",
        "invalid user_email",
    );
}

#[test]
fn a_user_demoted_since_consenting_may_not_accept_it() {
    refused_after(|s, w| {
        s.call(
            "PATCH",
            &format!("/reseller/tenant/{}/user/api", w.shop.code_name),
            &w.acme.bearer(),
            Some(json!({"role": "viewer"})),
        )
        .expect(200);
    });
}

#[test]
fn a_user_removed_since_consenting_may_not_accept_it() {
    refused_after(|s, w| {
        s.call(
            "DELETE",
            &format!("/reseller/tenant/{}/user/api", w.shop.code_name),
            &w.acme.bearer(),
            None,
        )
        .expect(204);
    });
}

#[test]
fn a_tenant_deactivated_since_consenting_may_not_accept_it() {
    refused_after(|s, w| {
        s.call(
            "PATCH",
            &format!("/reseller/tenant/{}", w.shop.code_name),
            &w.acme.bearer(),
            Some(json!({"active": false})),
        )
        .expect(200);
    });
}

#[test]
fn an_unknown_link_uid_is_refused() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    invalid_uid(post_back(
        &s,
        &w.partner.bearer(),
        &w.integration,
        json!({"link_uid": "made-up", "user_email": "api@x.example"}),
    ));
}

#[test]
fn an_expired_link_uid_is_refused() {
    let s = TestServer::start_with(
        BOTH,
        ServiceConfig {
            link_ttl: chrono::Duration::zero(),
            ..Default::default()
        },
    );
    let w = world(&s);
    let (admin, redirect) = w.consent(&s);
    invalid_uid(w.post_back(&s, &redirect));
    let page = admin.get(&redirect.callback).expect(200).text;
    assert!(page.contains("data-state=\"expired\""), "{page}");
}

#[test]
fn the_uid_of_another_integration_is_refused() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let second = offer(&s, &w.partner, "Acme Archive");
    let (_admin, redirect) = w.consent(&s);
    invalid_uid(post_back(
        &s,
        &w.partner.bearer(),
        &second,
        linked_body(&redirect),
    ));
    w.post_back(&s, &redirect).expect(200);
}

#[test]
fn a_partner_cannot_post_back_another_partners_link() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let rival = s.reseller("rival");
    tenantry_server::admin::update_reseller(&s.db, "rival", None, Some(true)).unwrap();
    let rivals = offer(&s, &rival, "Rival Backup");
    let (_admin, redirect) = w.consent(&s);
    // Not its endpoint: 404, as any other reseller's object.
    post_back(&s, &rival.bearer(), &w.integration, linked_body(&redirect))
        .expect_problem(404, "not_found");
    // Its own endpoint, the other partner's uid.
    invalid_uid(post_back(
        &s,
        &rival.bearer(),
        &rivals,
        linked_body(&redirect),
    ));
    w.post_back(&s, &redirect).expect(200);
}

#[test]
fn an_integration_linked_already_is_refused_with_its_name() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let admin = Session::sign_in(&s, &w.shop, "api", "/portal/integrations");
    // Two consents before the partner answers either (two tabs, say).
    let first = consent(&s, &admin, &w.integration);
    let second = consent(&s, &admin, &w.integration);
    w.post_back(&s, &first).expect(200);
    refused(
        w.post_back(&s, &second),
        "already_linked",
        "Acme Backup is already linked to this account",
    );
    // The portal offers no second connect, and refuses one.
    let list = admin.get("/portal/integrations").expect(200).text;
    assert!(
        !list.contains(&format!("data-connect=\"{}\"", w.integration)),
        "{list}"
    );
    admin
        .post(
            &format!("/portal/integrations/{}/connect", w.integration),
            &[],
        )
        .expect(409);
}

#[test]
fn a_used_uid_is_invalid_but_its_idempotency_key_replays_the_answer() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let (_admin, redirect) = w.consent(&s);
    let keyed = w.partner.bearer().with("Idempotency-Key", "link-1");
    let first = post_back(&s, &keyed, &w.integration, linked_body(&redirect)).expect(200);
    let again = post_back(&s, &keyed, &w.integration, linked_body(&redirect)).expect(200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again.json(),
        first.json(),
        "the same token, shown again to the same key"
    );
    invalid_uid(w.post_back(&s, &redirect));
}

#[test]
fn of_two_concurrent_posts_of_one_uid_exactly_one_links() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let (_admin, redirect) = w.consent(&s);
    let url = s.url(&format!("/reseller/integration/{}/link", w.integration));
    let body = linked_body(&redirect).to_string();
    let auth = w.partner.bearer();
    let statuses: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let r = send(
                        &agent(),
                        "POST",
                        &url,
                        &auth,
                        Some(("application/json", &body)),
                    );
                    (r.status, r.json())
                })
            })
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let ok: Vec<_> = statuses.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(ok.len(), 1, "{statuses:?}");
    let loser = statuses.iter().find(|(s, _)| *s != 200).unwrap();
    assert_eq!(loser.0, 403, "{statuses:?}");
    assert_eq!(loser.1["code"], "invalid_link_uid");
    let connections = s
        .call(
            "GET",
            &format!("/reseller/tenant/{}/connection", w.shop.code_name),
            &w.acme.bearer(),
            None,
        )
        .expect(200)
        .json();
    let partner_connections = connections["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "acme_backup")
        .count();
    assert_eq!(partner_connections, 1, "the loser's connection rolled back");
}

#[test]
fn only_an_admin_connects_or_disconnects() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    for login in ["manager", "viewer"] {
        let visitor = Session::sign_in(&s, &w.shop, login, "/portal/integrations");
        let list = visitor.get("/portal/integrations").expect(200).text;
        assert!(list.contains("Acme Backup"), "{login} sees what is offered");
        assert!(
            !list.contains("data-connect="),
            "{login} is offered no connect"
        );
        visitor
            .get(&format!("/portal/integrations/{}/connect", w.integration))
            .expect(403);
        visitor
            .post(
                &format!("/portal/integrations/{}/connect", w.integration),
                &[],
            )
            .expect(403);
    }
    let (_admin, redirect) = w.consent(&s);
    let answer = w.post_back(&s, &redirect).expect(200).json();
    let link = answer["linkId"].as_str().unwrap();
    let viewer = Session::sign_in(&s, &w.shop, "viewer", "/portal/integrations");
    viewer
        .post(
            &format!("/portal/integrations/links/{link}/disconnect"),
            &[],
        )
        .expect(403);
    s.call(
        "GET",
        "/tenant/order",
        &Auth::Bearer(answer["token"].as_str().unwrap().into()),
        None,
    )
    .expect(200);
}

#[test]
fn the_integration_forms_refuse_forged_and_cross_site_posts() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let admin = Session::sign_in(&s, &w.shop, "api", "/portal/integrations");
    let path = format!("/portal/integrations/{}/connect", w.integration);
    admin
        .post_raw(&path, &[("csrf", "forged")], &admin.browser_headers())
        .expect(403);
    let cross_site = vec![
        ("Origin".to_owned(), "https://evil.example".to_owned()),
        ("Sec-Fetch-Site".to_owned(), "cross-site".to_owned()),
    ];
    admin
        .post_raw(&path, &[("csrf", admin.csrf.as_str())], &cross_site)
        .expect(403);
    let json_body = send(
        &agent(),
        "POST",
        &s.url(&path),
        &admin.headers(&[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")]),
        Some(("application/json", "{}")),
    );
    assert_eq!(json_body.status, 415, "{}", json_body.text);
    let someone_elses =
        "/portal/integrations/links/00000000-0000-4000-8000-000000000000/disconnect";
    admin.post(someone_elses, &[]).expect(404);
    admin
        .get("/portal/integrations/callback?link=00000000-0000-4000-8000-000000000000")
        .expect(404);
    admin
        .get("/portal/integrations/not-a-uuid/connect")
        .expect(404);
    let links =
        s.db.read(|conn| tenantry_storage::integration::links_of(conn, w.shop.id.parse().unwrap()))
            .unwrap();
    assert!(links.is_empty(), "no refused post made a link: {links:?}");
}

#[test]
fn another_tenants_link_is_not_found_in_the_portal() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let (_admin, redirect) = w.consent(&s);
    let other = s.api_tenant(&w.acme, "other", Role::Admin);
    let stranger = Session::sign_in(&s, &other, "api", "/portal/integrations");
    stranger.get(&redirect.callback).expect(404);
    let link = redirect.callback.rsplit('=').next().unwrap();
    stranger
        .post(
            &format!("/portal/integrations/links/{link}/disconnect"),
            &[],
        )
        .expect(404);
}

#[test]
fn disconnecting_ends_the_partners_access_at_once_and_both_sides_hear_it() {
    let s = TestServer::with_webhooks(BOTH);
    let w = world(&s);
    let types = ["integration.linked", "integration.unlinked"];
    let receivers: Vec<Receiver> = [&w.acme, &w.partner]
        .iter()
        .map(|creds| {
            let receiver = Receiver::start();
            s.call(
                "POST",
                "/reseller/webhook",
                &creds.bearer(),
                Some(json!({"url": receiver.url, "eventTypes": types})),
            )
            .expect(201);
            receiver
        })
        .collect();
    let (admin, redirect) = w.consent(&s);
    let answer = w.post_back(&s, &redirect).expect(200).json();
    let token = Auth::Bearer(answer["token"].as_str().unwrap().to_owned());
    s.call("GET", "/tenant/order", &token, None).expect(200);
    let page = admin.get("/portal/integrations").expect(200).text;
    let link = answer["linkId"].as_str().unwrap();
    assert!(
        page.contains(&format!("/portal/integrations/links/{link}/disconnect")),
        "{page}"
    );

    admin
        .post(
            &format!("/portal/integrations/links/{link}/disconnect"),
            &[],
        )
        .expect(303);
    s.call("GET", "/tenant/order", &token, None)
        .expect_problem(401, "unauthorized");
    let connection = w.partners_connection(&s, &answer);
    assert_eq!(connection["active"], false);
    let callback = admin.get(&redirect.callback).expect(200).text;
    assert!(callback.contains("data-state=\"unlinked\""), "{callback}");
    // A second disconnect has nothing to end.
    admin
        .post(
            &format!("/portal/integrations/links/{link}/disconnect"),
            &[],
        )
        .expect(409);

    let delivered = s.dispatcher().drain(tenantry_domain::time::now()).unwrap();
    assert_eq!(delivered, 4, "linked and unlinked, to each side");
    for receiver in &receivers {
        let got = receiver.received();
        assert!(got
            .iter()
            .all(|r| !r.header("webhook-signature").is_empty()));
        let kinds: Vec<String> = got
            .iter()
            .map(|r| r.json()["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kinds, types, "each side hears both, in order");
        let unlinked = got[1].json();
        assert_eq!(unlinked["tenant"]["codeName"], w.shop.code_name.as_str());
        assert_eq!(unlinked["data"]["state"], "unlinked");
    }
    let partner_log = s
        .call("GET", "/reseller/audit", &w.partner.bearer(), None)
        .expect(200)
        .json();
    let entry = partner_log["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["operation"]
                .as_str()
                .unwrap()
                .starts_with("integration.unlinked Acme Backup")
        })
        .unwrap_or_else(|| panic!("{partner_log}"))
        .clone();
    assert_eq!(entry["actor"]["type"], "tenant_user");
    assert_eq!(entry["tenant"], w.shop.code_name.as_str());
}

#[test]
fn deleting_the_partners_connection_or_withdrawing_the_integration_unlinks() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let link_once = |shop: &ApiTenant| -> Value {
        let admin = Session::sign_in(&s, shop, "api", "/portal/integrations");
        let redirect = consent(&s, &admin, &w.integration);
        w.post_back(&s, &redirect).expect(200).json()
    };
    let answer = link_once(&w.shop);
    s.call(
        "DELETE",
        &format!(
            "/reseller/tenant/{}/connection/{}",
            w.shop.code_name,
            answer["connectionId"].as_str().unwrap()
        ),
        &w.acme.bearer(),
        None,
    )
    .expect(204);
    let unlinked = |auth: &Auth| {
        s.list("/reseller/event?type=integration.unlinked", auth)
            .len()
    };
    assert_eq!(unlinked(&w.partner.bearer()), 1);
    // Linked again, then the partner withdraws the integration.
    let again = link_once(&w.shop);
    s.call(
        "DELETE",
        &format!("/reseller/integration/{}", w.integration),
        &w.partner.bearer(),
        None,
    )
    .expect(204);
    s.call(
        "GET",
        "/tenant/order",
        &Auth::Bearer(again["token"].as_str().unwrap().into()),
        None,
    )
    .expect_problem(401, "unauthorized");
    assert_eq!(unlinked(&w.acme.bearer()), 2);
    assert_eq!(unlinked(&w.partner.bearer()), 2);
}

#[test]
fn an_integration_is_offered_where_its_visibility_and_the_operator_allow() {
    let s = TestServer::start(BOTH);
    let w = world(&s);
    let own = s
        .call(
            "POST",
            "/reseller/integration",
            &w.partner.bearer(),
            Some(json!({
                "name": "Backup for our own tenants",
                "redirectUrl": "https://backup.example/own",
                "connectionType": "own_backup",
                "permissions": ["product:read"],
            })),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = Session::sign_in(&s, &w.shop, "api", "/portal/integrations");
    let list = admin.get("/portal/integrations").expect(200).text;
    assert!(list.contains("Acme Backup"), "{list}");
    assert!(
        !list.contains("Backup for our own tenants"),
        "another reseller's own"
    );
    admin
        .get(&format!("/portal/integrations/{own}/connect"))
        .expect(404);
    // The partner's own tenant sees it.
    let partners_shop = s.api_tenant(&w.partner, "partner-shop", Role::Admin);
    let theirs = Session::sign_in(&s, &partners_shop, "api", "/portal/integrations");
    assert!(theirs
        .get("/portal/integrations")
        .expect(200)
        .text
        .contains("Backup for our own tenants"));
    // The operator withdraws the permission: its public one is offered no more.
    tenantry_server::admin::update_reseller(&s.db, "backup", None, Some(false)).unwrap();
    let list = admin.get("/portal/integrations").expect(200).text;
    assert!(list.contains("no-integrations"), "{list}");
    admin
        .get(&format!("/portal/integrations/{}/connect", w.integration))
        .expect(404);
    // Production tenants do not see sandbox integrations.
    let live = s.credentials("acme", tenantry_domain::Environment::Production);
    tenantry_server::admin::update_reseller(&s.db, "backup", None, Some(true)).unwrap();
    let live_shop = s.api_tenant(&live, "live-shop", Role::Admin);
    let live_admin = Session::sign_in(&s, &live_shop, "api", "/portal/integrations");
    assert!(live_admin
        .get("/portal/integrations")
        .expect(200)
        .text
        .contains("no-integrations"));
}
