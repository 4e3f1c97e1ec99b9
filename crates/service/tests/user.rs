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
