//! Tenant use cases on a real database (SQLite, or PostgreSQL with TENANTRY_TEST_DATABASE_URL):
//! each change appends its events in its own transaction, and a refused one appends nothing.

use tenantry_domain::event::EventType;
use tenantry_domain::tenant::TenantPatch;
use tenantry_domain::Environment;
use tenantry_service::{tenant, Actor, ServiceError};
use tenantry_storage::{tenant as tenants, Owner};
use tenantry_testkit::fixture::{self, events, reseller, tenant as a_tenant};
use tenantry_testkit::TestDb;
use uuid::Uuid;

fn owner(reseller: &tenantry_domain::reseller::Reseller) -> Owner {
    fixture::owner(reseller, Environment::Sandbox)
}

#[test]
fn an_update_that_deactivates_appends_updated_then_deactivated() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = a_tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let actor = Actor::ResellerKey(Uuid::new_v4());
    let patch = TenantPatch {
        full_name: Some("Shop One AB".into()),
        active: Some(false),
        ..Default::default()
    };
    let updated = db
        .write(|conn| tenant::update(conn, &actor, &owner(&acme), &[], &shop.code_name, patch))
        .unwrap();
    assert_eq!(updated.full_name, "Shop One AB");
    let feed = events(&db, &acme, Environment::Sandbox);
    let kinds: Vec<EventType> = feed.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventType::TenantUpdated, EventType::TenantDeactivated]
    );
    assert_eq!(feed[1].sequence, feed[0].sequence + 1);
    for event in &feed {
        assert_eq!(event.data["fullName"], "Shop One AB");
        assert_eq!(event.data["active"], false);
        assert_eq!(event.tenant.as_ref().unwrap().id, shop.id);
    }

    // Activating again: updated, then activated.
    let patch = TenantPatch {
        active: Some(true),
        ..Default::default()
    };
    db.write(|conn| tenant::update(conn, &actor, &owner(&acme), &[], &shop.code_name, patch))
        .unwrap();
    let kinds: Vec<EventType> = events(&db, &acme, Environment::Sandbox)
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        &kinds[2..],
        [EventType::TenantUpdated, EventType::TenantActivated]
    );
}

#[test]
fn a_refused_update_changes_nothing_and_appends_nothing() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let one = a_tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let two = a_tenant(&db, &acme, 2, Environment::Sandbox, &[]);
    let actor = Actor::Operator;
    let taken = TenantPatch {
        customer_reference: Some(two.customer_reference.clone()),
        ..Default::default()
    };
    let refused =
        db.write(|conn| tenant::update(conn, &actor, &owner(&acme), &[], &one.code_name, taken));
    match refused {
        Err(ServiceError::TenantExists(existing)) => assert_eq!(existing.id, two.id),
        other => panic!("{other:?}"),
    }
    let not_granted = TenantPatch {
        options: Some(vec!["loyalty".into()]),
        ..Default::default()
    };
    let refused = db.write(|conn| {
        tenant::update(
            conn,
            &actor,
            &owner(&acme),
            &[],
            &one.code_name,
            not_granted,
        )
    });
    assert!(
        matches!(refused, Err(ServiceError::Invalid(_))),
        "{refused:?}"
    );
    // Another reseller's tenant, or the other environment's, is not found.
    let other = reseller(&db, "other");
    let refused = db.write(|conn| tenant::delete(conn, &actor, &owner(&other), &one.code_name));
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "{refused:?}"
    );
    let production = Owner {
        environment: Environment::Production,
        ..owner(&acme)
    };
    let refused = db.write(|conn| tenant::delete(conn, &actor, &production, &one.code_name));
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "{refused:?}"
    );
    assert!(events(&db, &acme, Environment::Sandbox).is_empty());
    assert!(db
        .read(|conn| tenants::find_unscoped(conn, one.id))
        .unwrap()
        .is_some());
}

#[test]
fn a_delete_removes_the_tenant_and_appends_deleted_with_it_as_it_was() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = a_tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let deleted = db
        .write(|conn| tenant::delete(conn, &Actor::Operator, &owner(&acme), &shop.code_name))
        .unwrap();
    assert_eq!(deleted.id, shop.id);
    assert!(db
        .read(|conn| tenants::find_unscoped(conn, shop.id))
        .unwrap()
        .is_none());
    let feed = events(&db, &acme, Environment::Sandbox);
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].kind, EventType::TenantDeleted);
    assert_eq!(feed[0].data["codeName"], shop.code_name);
}

#[test]
fn a_tenant_user_changes_only_the_name_email_and_languages() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = a_tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let by_user = Actor::TenantUser(Uuid::new_v4());
    let before = events(&db, &acme, Environment::Sandbox).len();
    for patch in [
        TenantPatch {
            active: Some(false),
            ..Default::default()
        },
        TenantPatch {
            customer_reference: Some("other".into()),
            ..Default::default()
        },
        TenantPatch {
            options: Some(vec![]),
            ..Default::default()
        },
    ] {
        let refused = db.write(|conn| {
            tenant::update(conn, &by_user, &owner(&acme), &[], &shop.code_name, patch)
        });
        assert!(
            matches!(
                &refused,
                Err(ServiceError::Forbidden {
                    code: "reseller_field",
                    ..
                })
            ),
            "{refused:?}"
        );
    }
    assert_eq!(events(&db, &acme, Environment::Sandbox).len(), before);
    let renamed = TenantPatch {
        full_name: Some("Shop Renamed AB".into()),
        ..Default::default()
    };
    let updated = db
        .write(|conn| tenant::update(conn, &by_user, &owner(&acme), &[], &shop.code_name, renamed))
        .unwrap();
    assert_eq!(updated.full_name, "Shop Renamed AB");
    let last = events(&db, &acme, Environment::Sandbox).pop().unwrap();
    assert_eq!(last.kind, EventType::TenantUpdated);
}
