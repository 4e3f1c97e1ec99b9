//! `/portal/connections`: what each role may do, the token shown once, field errors, other
//! tenants' ids, and the event and audit entry a change leaves.

use super::*;
use tenantry_auth::token;
use tenantry_domain::event::EventType;
use tenantry_storage::tenant_token;
use tenantry_testkit::fixture;

fn reseller_of(s: &TestServer, t: &ApiTenant) -> tenantry_domain::reseller::Reseller {
    s.db.read(|conn| tenantry_storage::reseller::find_by_code(conn, &t.reseller.code))
        .unwrap()
}

#[test]
fn an_admin_creates_deactivates_and_deletes_a_connection_with_events_and_audit_entries() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/connections");
    let page = admin.get("/portal/connections").expect(200);
    assert!(page.text.contains("id=\"create-connection\""));

    let created = admin
        .post(
            "/portal/connections",
            &[
                ("name", "Webshop sync"),
                ("type", "webshop"),
                ("configuration", r#"{"shop": "main"}"#),
            ],
        )
        .expect(303);
    assert_eq!(
        created.header("location"),
        Some("/portal/connections?notice=created")
    );
    let made = connections(&s, &t)
        .into_iter()
        .find(|c| c.name == "Webshop sync")
        .expect("created");
    assert_eq!(made.kind, "webshop");
    assert_eq!(made.configuration["shop"], "main");
    let listed = admin.get("/portal/connections?notice=created").expect(200);
    assert!(
        listed.text.contains("The connection was created.") && listed.text.contains("Webshop sync"),
        "{}",
        listed.text
    );

    admin
        .post(
            &format!("/portal/connections/{}/active", made.id),
            &[("active", "false")],
        )
        .expect(303);
    assert!(
        !connections(&s, &t)
            .iter()
            .find(|c| c.id == made.id)
            .unwrap()
            .active
    );
    admin
        .post(&format!("/portal/connections/{}/delete", made.id), &[])
        .expect(303);
    assert!(connections(&s, &t).iter().all(|c| c.id != made.id));

    // The same events as the Reseller API's, in order, and the audit log names the user.
    let reseller = reseller_of(&s, &t);
    let kinds: Vec<EventType> = fixture::events(&s.db, &reseller, t.reseller.environment)
        .into_iter()
        .filter(|e| e.data["id"] == made.id.as_str())
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventType::ConnectionCreated,
            EventType::ConnectionUpdated,
            EventType::ConnectionDeleted
        ]
    );
    let user_id =
        s.db.read(|conn| tenantry_storage::user::find_by_login(conn, t.id.parse().unwrap(), "api"))
            .unwrap()
            .id
            .to_string();
    let portal: Vec<_> = fixture::audit_log(&s.db, &reseller, t.reseller.environment)
        .into_iter()
        .filter(|e| e.path.starts_with("/portal/connections"))
        .collect();
    assert_eq!(portal.len(), 3, "{portal:?}");
    assert!(portal
        .iter()
        .all(|e| e.actor_id == user_id && e.surface == "tenant" && e.status == 303));
    assert_eq!(portal[0].operation, "POST /portal/connections");
    assert_eq!(portal[0].tenant.as_deref(), Some(t.code_name.as_str()));
}

#[test]
fn a_company_token_is_shown_once_and_rotating_it_revokes_the_old_one() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/connections");
    let path = format!("/portal/connections/{}/token", t.connection);
    let active = |secret: &str| {
        s.db.read(|conn| tenant_token::find_active(conn, &token::hash(secret)))
            .unwrap()
            .is_some()
    };
    assert!(active(&t.token), "the token the tenant was made with");
    let shown = admin.post(&path, &[]).expect(200);
    let first = secret_in(&shown.text);
    assert!(first.starts_with("tnt_test_"), "{first}");
    assert_eq!(shown.header("cache-control"), Some("no-store"));
    assert!(
        active(&first) && !active(&t.token),
        "issuing replaces the tokens it had"
    );
    let second = secret_in(&admin.post(&path, &[]).expect(200).text);
    assert!(
        active(&second) && !active(&first) && !active(&t.token),
        "rotation revokes the old"
    );
    let list = admin.get("/portal/connections").expect(200).text;
    assert!(!list.contains(&second), "never shown again");
    assert!(
        list.contains(&format!("ending in {}", &second[second.len() - 4..])),
        "{list}"
    );
}

fn secret_in(html: &str) -> String {
    let at = html.find("id=\"token\">").expect("the token on the page") + "id=\"token\">".len();
    html[at..at + html[at..].find('<').unwrap()]
        .trim()
        .to_owned()
}

#[test]
fn bad_fields_are_shown_next_to_the_form_and_nothing_is_created() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/connections");
    let before = connections(&s, &t).len();
    let refused = admin.post(
        "/portal/connections",
        &[("name", ""), ("type", "Not A Type"), ("configuration", "")],
    );
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("id=\"name-error\"") && refused.text.contains("id=\"type-error\"")
    );
    assert!(
        refused.text.contains("value=\"Not A Type\""),
        "the form keeps what was typed"
    );
    let json = admin.post(
        "/portal/connections",
        &[("name", "x"), ("type", "api"), ("configuration", "[1, 2]")],
    );
    assert_eq!(json.status, 422);
    assert!(json.text.contains("id=\"configuration-error\""));
    assert_eq!(connections(&s, &t).len(), before);
}

#[test]
fn managers_and_viewers_read_connections_and_their_forged_posts_are_refused() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let before = connections(&s, &t);
    for login in ["manager", "viewer"] {
        let session = Session::sign_in(&s, &t, login, "/portal/connections");
        let page = session.get("/portal/connections").expect(200);
        assert!(page
            .text
            .contains(&format!("data-connection=\"{}\"", t.connection)));
        assert!(
            !page.text.contains("id=\"create-connection\""),
            "{login} sees no form"
        );
        assert!(!page.text.contains("/active\""), "{login} sees no buttons");
        let forged = [
            session.post(
                "/portal/connections",
                &[("name", "x"), ("type", "api"), ("configuration", "")],
            ),
            session.post(
                &format!("/portal/connections/{}/active", t.connection),
                &[("active", "false")],
            ),
            session.post(&format!("/portal/connections/{}/delete", t.connection), &[]),
            session.post(&format!("/portal/connections/{}/token", t.connection), &[]),
        ];
        for answer in forged {
            assert_eq!(answer.status, 403, "{login}: {}", answer.text);
        }
    }
    assert_eq!(connections(&s, &t), before, "nothing changed");
}

#[test]
fn another_tenants_connection_is_not_found() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let stranger = s.api_tenant(&t.reseller, "other shop", Role::Admin);
    let admin = Session::sign_in(&s, &t, "api", "/portal");
    for action in ["active", "delete", "token"] {
        let path = format!("/portal/connections/{}/{action}", stranger.connection);
        let fields: &[(&str, &str)] = if action == "active" {
            &[("active", "false")]
        } else {
            &[]
        };
        let answer = admin.post(&path, fields);
        assert_eq!(answer.status, 404, "{action}: {}", answer.text);
    }
    let malformed = admin.post("/portal/connections/not-an-id/delete", &[]);
    assert_eq!(malformed.status, 404);
    assert!(connections(&s, &stranger).iter().all(|c| c.active));
    assert_eq!(connections(&s, &stranger).len(), 1);
    assert_eq!(admin.get("/portal/nowhere").status, 404);
}

#[test]
fn the_overview_lists_what_the_integration_still_needs() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal");
    let ready = admin.get("/portal").expect(200).text;
    assert!(ready.contains("id=\"all-set\""), "{ready}");
    assert!(
        ready.contains(&t.code_name)
            && ready.contains("Sandbox")
            && ready.contains("Reseller acme")
    );
    admin
        .post(&format!("/portal/connections/{}/delete", t.connection), &[])
        .expect(303);
    let missing = admin.get("/portal").expect(200).text;
    assert!(missing.contains("id=\"missing\""), "{missing}");
    assert!(missing.contains("Create an API connection"));
    assert!(missing.contains("Issue a company token for an API connection"));
    assert!(missing.contains("href=\"/portal/connections\""));
}
