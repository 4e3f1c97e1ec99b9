//! Capability use cases on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): taking a capability takes the option from every tenant that
//! has it and appends each one's `tenant.updated`, in the same transaction.

use tenantry_domain::audit::{ActorType, Outcome};
use tenantry_domain::event::EventType;
use tenantry_domain::tenant::Tenant;
use tenantry_domain::Environment;
use tenantry_service::{capability, Actor, ServiceError};
use tenantry_storage::tenant as tenants;
use tenantry_testkit::fixture::{audit_log, events, reseller, tenant};
use tenantry_testkit::TestDb;

#[test]
fn removing_a_capability_updates_each_tenant_that_had_it_and_emits_its_event() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let other = reseller(&db, "other");
    for (r, capability) in [(&acme, "loyalty"), (&acme, "reports"), (&other, "loyalty")] {
        db.write(|conn| capability::add(conn, &Actor::Operator, &r.code, capability))
            .unwrap();
    }
    let sandbox = tenant(&db, &acme, 1, Environment::Sandbox, &["loyalty", "reports"]);
    let production = tenant(&db, &acme, 2, Environment::Production, &["loyalty"]);
    let untouched = tenant(&db, &acme, 3, Environment::Sandbox, &["reports"]);
    let elsewhere = tenant(&db, &other, 4, Environment::Sandbox, &["loyalty"]);

    let removed = db
        .write(|conn| capability::remove(conn, &Actor::Operator, "acme", "loyalty"))
        .unwrap();
    let mut changed: Vec<_> = removed.tenants.iter().map(|t| t.id).collect();
    changed.sort();
    let mut expected = vec![sandbox.id, production.id];
    expected.sort();
    assert_eq!(changed, expected);
    assert_eq!(removed.reseller.capabilities, ["reports"]);

    // Each changed tenant's event, in its own environment's feed, carrying the tenant as the
    // Reseller API shows it; nothing for the others.
    for (environment, tenant, options) in [
        (
            Environment::Sandbox,
            &sandbox,
            serde_json::json!(["reports"]),
        ),
        (Environment::Production, &production, serde_json::json!([])),
    ] {
        let feed = events(&db, &acme, environment);
        let updated: Vec<_> = feed
            .iter()
            .filter(|e| e.kind == EventType::TenantUpdated)
            .collect();
        assert_eq!(updated.len(), 1, "{environment}: {feed:?}");
        assert_eq!(updated[0].data["id"], tenant.id.to_string());
        assert_eq!(updated[0].data["options"], options);
        assert_eq!(
            updated[0].tenant.as_ref().unwrap().code_name,
            tenant.code_name
        );
        let sequences: Vec<i64> = feed.iter().map(|e| e.sequence).collect();
        assert!(
            sequences.windows(2).all(|w| w[1] == w[0] + 1),
            "gap-free: {sequences:?}"
        );
    }
    assert!(events(&db, &other, Environment::Sandbox).is_empty());

    // The operator's changes are in both environments' audit logs, said as `operator`.
    for environment in [Environment::Sandbox, Environment::Production] {
        let log: Vec<_> = audit_log(&db, &acme, environment)
            .into_iter()
            .map(|e| (e.actor_type, e.surface, e.operation, e.outcome))
            .collect();
        assert_eq!(
            log,
            [
                "capability add loyalty",
                "capability add reports",
                "capability remove loyalty"
            ]
            .map(|op| (ActorType::Operator, "cli", op.to_owned(), Outcome::Success)),
            "{environment}"
        );
    }
    let stored = |t: &Tenant| {
        db.read(|conn| tenants::find_unscoped(conn, t.id))
            .unwrap()
            .unwrap()
            .options
    };
    assert_eq!(stored(&untouched), ["reports"]);
    assert_eq!(
        stored(&elsewhere),
        ["loyalty"],
        "another reseller's tenant keeps it"
    );
}

#[test]
fn removing_a_capability_the_reseller_lacks_changes_nothing() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let refused = db.write(|conn| capability::remove(conn, &Actor::Operator, "acme", "loyalty"));
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "{refused:?}"
    );
    let refused = db.write(|conn| capability::remove(conn, &Actor::Operator, "ghost", "loyalty"));
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "{refused:?}"
    );
    let refused = db.write(|conn| capability::add(conn, &Actor::Operator, "acme", "Not Valid!"));
    assert!(
        matches!(refused, Err(ServiceError::Invalid(_))),
        "{refused:?}"
    );
    assert!(events(&db, &acme, Environment::Sandbox).is_empty());
    assert_eq!(shop.options, Vec::<String>::new());
}
