//! Capability use cases on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): taking a capability takes the option from every tenant that
//! has it and appends each one's `tenant.updated`, in the same transaction.

use tenantry_domain::event::EventType;
use tenantry_domain::reseller::Reseller;
use tenantry_domain::tenant::{Subscription, Tenant, TenantStatus};
use tenantry_domain::{time, Environment};
use tenantry_service::{capability, Actor, ServiceError};
use tenantry_storage::{event, reseller as resellers, tenant as tenants, Database, ResellerScope};
use tenantry_testkit::TestDb;
use uuid::Uuid;

fn reseller(db: &Database, code: &str) -> Reseller {
    let reseller = Reseller {
        id: Uuid::new_v4(),
        code: code.into(),
        name: format!("Reseller {code}"),
        code_name_prefix: String::new(),
        capabilities: vec![],
        rate_limit_per_minute: 300,
        created_at: time::now(),
    };
    db.write(|conn| resellers::insert(conn, &reseller)).unwrap();
    reseller
}

fn tenant(
    db: &Database,
    reseller: &Reseller,
    n: u32,
    environment: Environment,
    options: &[&str],
) -> Tenant {
    let now = time::now();
    let tenant = Tenant {
        id: Uuid::new_v4(),
        reseller_id: reseller.id,
        code_name: format!("shop-{n}"),
        customer_reference: format!("shop {n}"),
        status: TenantStatus::Active,
        full_name: format!("Shop {n} AB"),
        email: "it@shop.example".into(),
        default_language: "swe".into(),
        languages: vec!["swe".into()],
        options: options.iter().map(|o| o.to_string()).collect(),
        environment,
        subscription: Subscription::default(),
        cancellation_effective_at: None,
        created_at: now,
        updated_at: now,
    };
    db.write(|conn| tenants::insert(conn, &tenant)).unwrap();
    tenant
}

fn events(
    db: &Database,
    reseller: &Reseller,
    environment: Environment,
) -> Vec<tenantry_domain::event::Event> {
    let scope = ResellerScope {
        reseller_id: reseller.id,
        environment,
    };
    db.read(|conn| event::list(conn, &scope, &Default::default(), 0, 100))
        .unwrap()
        .rows
}

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
