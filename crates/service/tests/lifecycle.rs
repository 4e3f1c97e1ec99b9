//! Cancellation use cases on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): each appends its event, a scheduled one takes effect through
//! `cancellation_due` once, and a refused one appends nothing.

use chrono::Duration;
use tenantry_domain::event::EventType;
use tenantry_domain::tenant::TenantStatus;
use tenantry_domain::{time, Environment};
use tenantry_service::{lifecycle, Actor, ServiceError};
use tenantry_testkit::fixture::{events, owner, reseller, tenant};
use tenantry_testkit::TestDb;

#[test]
fn a_scheduled_cancellation_is_withdrawn_or_takes_effect_once() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let owner = owner(&acme, Environment::Sandbox);
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let actor = Actor::Operator;
    let now = time::now();
    let at = now + Duration::days(30);
    let kinds = || -> Vec<EventType> {
        events(&db, &acme, Environment::Sandbox)
            .iter()
            .map(|e| e.kind)
            .collect()
    };

    let scheduled = db
        .write(|conn| lifecycle::cancel(conn, &actor, &owner, &shop.code_name, at, now))
        .unwrap();
    assert_eq!(scheduled.status, TenantStatus::CancellationScheduled);
    let withdrawn = db
        .write(|conn| lifecycle::withdraw(conn, &actor, &owner, &shop.code_name, now))
        .unwrap();
    assert_eq!(withdrawn.status, TenantStatus::Active);
    let refused = db.write(|conn| lifecycle::withdraw(conn, &actor, &owner, &shop.code_name, now));
    assert!(
        matches!(
            refused,
            Err(ServiceError::Conflict {
                code: "no_cancellation_scheduled",
                ..
            })
        ),
        "{refused:?}"
    );

    db.write(|conn| lifecycle::cancel(conn, &actor, &owner, &shop.code_name, at, now))
        .unwrap();
    let due = db
        .write(|conn| lifecycle::cancellation_due(conn, withdrawn.clone(), at))
        .unwrap();
    assert_eq!(due.status, TenantStatus::Cancelled);
    // A second run of the same job changes nothing and says nothing.
    db.write(|conn| lifecycle::cancellation_due(conn, due.clone(), at))
        .unwrap();
    assert_eq!(
        kinds(),
        [
            EventType::TenantCancellationScheduled,
            EventType::TenantCancellationWithdrawn,
            EventType::TenantCancellationScheduled,
            EventType::TenantCancelled,
        ]
    );
    let refused = db.write(|conn| lifecycle::cancel(conn, &actor, &owner, &shop.code_name, at, at));
    assert!(
        matches!(
            refused,
            Err(ServiceError::Conflict {
                code: "tenant_cancelled",
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(kinds().len(), 4);
}

#[test]
fn a_cancellation_dated_now_or_earlier_takes_effect_at_once() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let owner = owner(&acme, Environment::Sandbox);
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let now = time::now();
    let cancelled = db
        .write(|conn| {
            lifecycle::cancel(
                conn,
                &Actor::System,
                &owner,
                &shop.code_name,
                now - Duration::days(1),
                now,
            )
        })
        .unwrap();
    assert_eq!(cancelled.status, TenantStatus::Cancelled);
    let feed = events(&db, &acme, Environment::Sandbox);
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].kind, EventType::TenantCancelled);
    assert_eq!(feed[0].data["status"], "cancelled");
}
