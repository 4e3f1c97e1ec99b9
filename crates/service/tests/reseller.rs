//! The operator's reseller use cases on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): creating resellers and their users, their rate, their tenant
//! templates. They change the reseller's account, not its tenants: no event is appended.

use tenantry_domain::template::TenantTemplate;
use tenantry_domain::{time, DomainError, Environment};
use tenantry_service::reseller::{self, NewReseller, NewResellerUser};
use tenantry_service::{capability, Actor, ServiceError};
use tenantry_storage::{reseller as resellers, template as templates};
use tenantry_testkit::fixture::events;
use tenantry_testkit::TestDb;

fn acme() -> NewReseller {
    NewReseller {
        code: "acme".into(),
        name: "Acme Partners".into(),
        code_name_prefix: "ac".into(),
        capabilities: vec!["orders".into()],
    }
}

fn field(e: ServiceError) -> String {
    match e {
        ServiceError::Invalid(DomainError::Invalid(errors)) => errors[0].field.clone(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[test]
fn a_reseller_is_created_once_with_checked_fields_and_no_event() {
    let database = TestDb::new();
    let db = database.connect();
    let op = &Actor::Operator;
    let created = db
        .write(|c| reseller::create(c, op, acme(), time::now()))
        .unwrap();
    assert_eq!(created.rate_limit_per_minute, 300, "Partoo's default");
    let stored = db.read(|c| resellers::find_by_code(c, "acme")).unwrap();
    assert_eq!(stored, created);

    let again = db.write(|c| reseller::create(c, op, acme(), time::now()));
    assert!(
        matches!(
            again,
            Err(ServiceError::Conflict {
                code: "reseller_exists",
                ..
            })
        ),
        "{again:?}"
    );
    for (new, named) in [
        (
            NewReseller {
                code: "a".into(),
                ..acme()
            },
            "code",
        ),
        (
            NewReseller {
                code: "b2b".into(),
                name: " ".into(),
                ..acme()
            },
            "name",
        ),
        (
            NewReseller {
                code: "c2c".into(),
                code_name_prefix: "UP".into(),
                ..acme()
            },
            "codeNamePrefix",
        ),
        (
            NewReseller {
                code: "d2d".into(),
                capabilities: vec!["Bad Name".into()],
                ..acme()
            },
            "capability",
        ),
    ] {
        let refused = db
            .write(|c| reseller::create(c, op, new, time::now()))
            .unwrap_err();
        assert_eq!(field(refused), named);
    }
    assert_eq!(
        db.read(resellers::count).unwrap(),
        1,
        "refusals store nothing"
    );
    for environment in [Environment::Sandbox, Environment::Production] {
        assert!(events(&db, &created, environment).is_empty());
    }
}

#[test]
fn the_rate_is_set_within_its_range() {
    let database = TestDb::new();
    let db = database.connect();
    let op = &Actor::Operator;
    db.write(|c| reseller::create(c, op, acme(), time::now()))
        .unwrap();
    let set = db
        .write(|c| reseller::set_rate_limit(c, op, "acme", 1200))
        .unwrap();
    assert_eq!(set.rate_limit_per_minute, 1200);
    for refused in [0, 1_000_001] {
        let e = db
            .write(|c| reseller::set_rate_limit(c, op, "acme", refused))
            .unwrap_err();
        assert_eq!(field(e), "rateLimit");
    }
    let missing = db.write(|c| reseller::set_rate_limit(c, op, "nobody", 10));
    assert!(
        matches!(missing, Err(ServiceError::NotFound(_))),
        "{missing:?}"
    );
    assert_eq!(
        db.read(|c| resellers::rate_limit(c, set.id)).unwrap(),
        1200,
        "refusals changed nothing"
    );
}

#[test]
fn a_reseller_user_has_a_unique_login_per_reseller() {
    let database = TestDb::new();
    let db = database.connect();
    let op = &Actor::Operator;
    let acme = db
        .write(|c| reseller::create(c, op, acme(), time::now()))
        .unwrap();
    let user = |login: &str| NewResellerUser {
        login: login.into(),
        password_hash: "a made-up hash".into(),
        environment: Environment::Production,
    };
    let created = db
        .write(|c| reseller::create_user(c, op, "acme", user("ops@acme"), time::now()))
        .unwrap();
    assert_eq!(
        (created.reseller_id, created.environment),
        (acme.id, Environment::Production)
    );
    let found = db
        .read(|c| resellers::find_user(c, "acme", "ops@acme"))
        .unwrap();
    assert_eq!(found.map(|(u, _)| u.id), Some(created.id));

    let taken = db.write(|c| reseller::create_user(c, op, "acme", user("ops@acme"), time::now()));
    assert!(
        matches!(
            taken,
            Err(ServiceError::Conflict {
                code: "user_exists",
                ..
            })
        ),
        "{taken:?}"
    );
    let bad = db
        .write(|c| reseller::create_user(c, op, "acme", user("has space"), time::now()))
        .unwrap_err();
    assert_eq!(field(bad), "login");
    let nobody = db.write(|c| reseller::create_user(c, op, "nobody", user("x"), time::now()));
    assert!(
        matches!(nobody, Err(ServiceError::NotFound(_))),
        "{nobody:?}"
    );
}

#[test]
fn a_template_holds_only_the_resellers_capabilities_and_is_removed_once() {
    let database = TestDb::new();
    let db = database.connect();
    let op = &Actor::Operator;
    let acme = db
        .write(|c| reseller::create(c, op, acme(), time::now()))
        .unwrap();
    let template = |options: &[&str]| -> TenantTemplate {
        serde_json::from_value(serde_json::json!({"name": "retail", "options": options})).unwrap()
    };
    let refused = db
        .write(|c| reseller::put_template(c, op, "acme", template(&["loyalty"]), time::now()))
        .unwrap_err();
    assert_eq!(field(refused), "options[0]");
    db.write(|c| capability::add(c, op, "acme", "loyalty"))
        .unwrap();
    db.write(|c| reseller::put_template(c, op, "acme", template(&["loyalty"]), time::now()))
        .unwrap();
    let stored = db.read(|c| templates::list(c, acme.id)).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].options, ["loyalty"]);

    db.write(|c| reseller::remove_template(c, op, "acme", "retail"))
        .unwrap();
    assert!(db.read(|c| templates::list(c, acme.id)).unwrap().is_empty());
    let again = db.write(|c| reseller::remove_template(c, op, "acme", "retail"));
    assert!(matches!(again, Err(ServiceError::NotFound(_))), "{again:?}");
}
