//! Tenant-user use cases on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): each appends its event with the user as the API shows it.

use tenantry_domain::event::EventType;
use tenantry_domain::permission::Role;
use tenantry_domain::user::{UserDraft, UserPatch};
use tenantry_domain::{time, Environment};
use tenantry_service::{user, Actor, ServiceError};
use tenantry_testkit::fixture::{events, reseller, tenant};
use tenantry_testkit::TestDb;

fn draft(login: &str) -> UserDraft {
    UserDraft {
        login: login.into(),
        full_name: "Anna Svensson".into(),
        email: "anna@shop.example".into(),
        permissions: vec![],
        role: Role::Viewer,
        default_language: "swe".into(),
        password: None,
    }
}

#[test]
fn a_user_is_created_changed_and_deleted_each_with_its_event() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let actor = Actor::Operator;
    let now = time::now();
    let anna = db
        .write(|conn| user::create(conn, &actor, &shop, draft("anna"), Some("hash".into()), now))
        .unwrap();
    assert_eq!(anna.password_hash.as_deref(), Some("hash"));
    let refused = db.write(|conn| user::create(conn, &actor, &shop, draft("anna"), None, now));
    assert!(
        matches!(&refused, Err(ServiceError::UserExists { login, .. }) if login == "anna"),
        "{refused:?}"
    );
    let patch = UserPatch {
        role: Some(Role::Admin),
        ..Default::default()
    };
    let changed = db
        .write(|conn| user::update(conn, &actor, &shop, "anna", patch, Some(None), now))
        .unwrap();
    assert_eq!((changed.role, changed.password_hash), (Role::Admin, None));
    db.write(|conn| user::delete(conn, &actor, &shop, "anna"))
        .unwrap();
    let refused = db.write(|conn| user::delete(conn, &actor, &shop, "anna"));
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "{refused:?}"
    );

    let feed = events(&db, &acme, Environment::Sandbox);
    let seen: Vec<(EventType, String, bool)> = feed
        .iter()
        .map(|e| {
            (
                e.kind,
                e.data["role"].as_str().unwrap().to_owned(),
                e.data["hasPassword"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (EventType::UserCreated, "viewer".into(), true),
            (EventType::UserUpdated, "admin".into(), false),
            (EventType::UserDeleted, "admin".into(), false),
        ]
    );
    assert!(feed.iter().all(|e| e.data.get("passwordHash").is_none()));
}

#[test]
fn a_tenants_own_people_keep_an_admin_and_the_reseller_need_not() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let now = time::now();
    let admin = |login: &str| UserDraft {
        role: Role::Admin,
        ..draft(login)
    };
    let anna = db
        .write(|conn| user::create(conn, &Actor::Operator, &shop, admin("anna"), None, now))
        .unwrap();
    let by_anna = Actor::TenantUser(anna.id);
    let demote = || UserPatch {
        role: Some(Role::Viewer),
        ..Default::default()
    };
    let before = events(&db, &acme, Environment::Sandbox).len();
    for refused in [
        db.write(|conn| user::update(conn, &by_anna, &shop, "anna", demote(), None, now)),
        db.write(|conn| user::delete(conn, &by_anna, &shop, "anna")),
    ] {
        assert!(
            matches!(
                &refused,
                Err(ServiceError::Conflict {
                    code: "last_admin",
                    ..
                })
            ),
            "{refused:?}"
        );
    }
    assert_eq!(
        events(&db, &acme, Environment::Sandbox).len(),
        before,
        "nothing appended"
    );
    // A change that keeps the role is no demotion.
    let rename = UserPatch {
        full_name: Some("Anna S".into()),
        ..Default::default()
    };
    db.write(|conn| user::update(conn, &by_anna, &shop, "anna", rename, None, now))
        .unwrap();
    // With a second admin she may step down; the reseller may remove the last one.
    db.write(|conn| user::create(conn, &by_anna, &shop, admin("bo"), None, now))
        .unwrap();
    db.write(|conn| user::update(conn, &by_anna, &shop, "anna", demote(), None, now))
        .unwrap();
    let by_reseller = Actor::ResellerKey(uuid::Uuid::new_v4());
    db.write(|conn| user::delete(conn, &by_reseller, &shop, "bo"))
        .unwrap();
}
