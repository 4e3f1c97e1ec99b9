//! `/portal/users`: an admin adds, changes and removes users; the last admin stays; other
//! roles read and their forged posts are refused.

use super::*;
use tenantry_domain::event::EventType;
use tenantry_testkit::fixture;

fn user(s: &TestServer, t: &ApiTenant, login: &str) -> Option<tenantry_domain::user::TenantUser> {
    let id = t.id.parse().unwrap();
    s.db.read(|conn| tenantry_storage::user::find_by_login(conn, id, login))
        .ok()
}

#[test]
fn an_admin_adds_changes_and_removes_a_user_with_its_events() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/users");
    let page = admin.get("/portal/users").expect(200).text;
    assert!(page.contains("data-user=\"manager\"") && page.contains("id=\"create-user\""));

    admin
        .post(
            "/portal/users",
            &[
                ("login", "erik"),
                ("full_name", "Erik Ek"),
                ("email", "erik@x.example"),
                ("role", "viewer"),
                ("permissions", "order:write"),
                ("permissions", "product:write"),
                ("default_language", "swe"),
                ("password", "a long api password"),
            ],
        )
        .expect(303);
    let erik = user(&s, &t, "erik").expect("added");
    assert_eq!(erik.role, Role::Viewer);
    assert_eq!(erik.permissions, ["order:write", "product:write"]);
    assert_eq!(erik.default_language, "swe");
    let hash = erik.password_hash.clone().expect("a password");
    assert!(tenantry_auth::password::verify(
        "a long api password",
        &hash
    ));

    admin
        .post(
            "/portal/users/erik",
            &[("role", "manager"), ("permissions", "order:read")],
        )
        .expect(303);
    let erik = user(&s, &t, "erik").unwrap();
    assert_eq!(
        (erik.role, erik.permissions.as_slice()),
        (Role::Manager, &["order:read".to_owned()][..])
    );
    assert_eq!(
        erik.password_hash.as_deref(),
        Some(hash.as_str()),
        "the password stays"
    );

    admin.post("/portal/users/erik/delete", &[]).expect(303);
    assert!(user(&s, &t, "erik").is_none());
    let reseller =
        s.db.read(|conn| tenantry_storage::reseller::find_by_code(conn, &t.reseller.code))
            .unwrap();
    let kinds: Vec<EventType> = fixture::events(&s.db, &reseller, t.reseller.environment)
        .into_iter()
        .filter(|e| e.data["login"] == "erik")
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventType::UserCreated,
            EventType::UserUpdated,
            EventType::UserDeleted
        ]
    );
}

#[test]
fn bad_or_taken_fields_are_shown_next_to_the_form() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/users");
    let bad = admin.post(
        "/portal/users",
        &[
            ("login", "has space"),
            ("full_name", ""),
            ("email", "not an email"),
            ("role", "viewer"),
            ("default_language", "Swedish"),
            ("password", "short"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    for field in ["login", "email", "language", "password"] {
        assert!(
            bad.text.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            bad.text
        );
    }
    assert!(
        bad.text.contains("value=\"has space\""),
        "the form keeps what was typed"
    );
    let role = admin.post(
        "/portal/users",
        &[
            ("login", "x"),
            ("email", "x@x.example"),
            ("role", "owner"),
            ("default_language", "eng"),
        ],
    );
    assert_eq!(role.status, 422);
    let taken = admin.post(
        "/portal/users",
        &[
            ("login", "viewer"),
            ("email", "v@x.example"),
            ("role", "viewer"),
            ("default_language", "eng"),
        ],
    );
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert!(taken.text.contains("The login viewer is taken."));
    assert!(user(&s, &t, "has space").is_none() && user(&s, &t, "x").is_none());
}

#[test]
fn the_last_admin_can_be_neither_demoted_nor_removed_from_the_portal() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/users");
    for refused in [
        admin.post("/portal/users/api", &[("role", "viewer")]),
        admin.post("/portal/users/api/delete", &[]),
    ] {
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(
            refused.text.contains("without an admin"),
            "{}",
            refused.text
        );
    }
    assert_eq!(user(&s, &t, "api").unwrap().role, Role::Admin);
    // With a second admin, the first may step down.
    admin
        .post("/portal/users/manager", &[("role", "admin")])
        .expect(303);
    admin
        .post("/portal/users/api", &[("role", "viewer")])
        .expect(303);
    assert_eq!(user(&s, &t, "api").unwrap().role, Role::Viewer);
    assert_eq!(
        admin.get("/portal/users").status,
        200,
        "still signed in, now as a viewer"
    );
    assert_eq!(admin.post("/portal/users/manager/delete", &[]).status, 403);
}

#[test]
fn managers_and_viewers_read_users_and_their_forged_posts_change_nothing() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    for login in ["manager", "viewer"] {
        let session = Session::sign_in(&s, &t, login, "/portal/users");
        let page = session.get("/portal/users").expect(200).text;
        assert!(
            page.contains("data-user=\"api\"") && !page.contains("id=\"create-user\""),
            "{login}"
        );
        assert!(
            !page.contains("/delete\""),
            "{login} sees no remove buttons"
        );
        let forged = [
            session.post(
                "/portal/users",
                &[
                    ("login", "x"),
                    ("email", "x@x.example"),
                    ("role", "admin"),
                    ("default_language", "eng"),
                ],
            ),
            session.post("/portal/users/viewer", &[("role", "admin")]),
            session.post("/portal/users/api/delete", &[]),
        ];
        for answer in forged {
            assert_eq!(answer.status, 403, "{login}: {}", answer.text);
        }
    }
    assert!(user(&s, &t, "x").is_none());
    assert_eq!(user(&s, &t, "viewer").unwrap().role, Role::Viewer);
    assert!(user(&s, &t, "api").is_some());
    // Another tenant's user, or a login that cannot be one, is not found.
    let admin = Session::sign_in(&s, &t, "api", "/portal/users");
    let stranger = s.api_tenant(&t.reseller, "elsewhere", Role::Admin);
    s.tenant_user(&stranger, "outsider", Role::Viewer, "eng");
    assert_eq!(admin.post("/portal/users/outsider/delete", &[]).status, 404);
    assert_eq!(
        admin.post("/portal/users/bad%20login/delete", &[]).status,
        404
    );
    assert!(user(&s, &stranger, "outsider").is_some());
}
