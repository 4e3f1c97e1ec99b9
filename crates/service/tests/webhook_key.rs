//! Webhook endpoints and reseller keys on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): each change is made once, through the use case, whoever calls
//! it; another environment's endpoint or key is not found.

use chrono::Duration;
use tenantry_domain::scope::Scope;
use tenantry_domain::webhook::{EndpointDraft, EndpointPatch, UrlPolicy};
use tenantry_domain::{time, Environment};
use tenantry_service::key::{self, Rotation};
use tenantry_service::{webhook, Actor, ServiceError};
use tenantry_testkit::fixture::{owner, reseller, stored_secret};
use tenantry_testkit::TestDb;
use uuid::Uuid;

#[test]
fn an_endpoint_is_registered_changed_rotated_and_deleted_in_its_environment_only() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let (sandbox, production) = (
        owner(&acme, Environment::Sandbox),
        owner(&acme, Environment::Production),
    );
    let actor = Actor::ResellerKey(Uuid::new_v4());
    let policy = UrlPolicy::default();
    let now = time::now();
    let draft = EndpointDraft {
        url: "https://hooks.example.com/tenantry".into(),
        description: "ERP".into(),
        event_types: vec!["tenant.created".into()],
        active: true,
    };
    let created = db
        .write(|conn| {
            webhook::create(
                conn,
                &actor,
                &sandbox,
                draft,
                &policy,
                "whsec_one".into(),
                now,
            )
        })
        .unwrap();
    let refused = EndpointDraft {
        url: "http://127.0.0.1/hook".into(),
        ..Default::default()
    };
    let loopback = db
        .write(|conn| webhook::create(conn, &actor, &sandbox, refused, &policy, "s".into(), now))
        .unwrap_err();
    assert!(matches!(loopback, ServiceError::Invalid(_)), "{loopback:?}");

    let patch = EndpointPatch {
        active: Some(false),
        ..Default::default()
    };
    let changed = db
        .write(|conn| webhook::update(conn, &actor, &sandbox, created.id, patch, &policy, now))
        .unwrap();
    assert!(!changed.active);
    assert_eq!(changed.url, created.url, "absent fields stay");
    let disabled = db
        .write(|conn| webhook::resend(conn, &actor, &sandbox, created.id, Uuid::new_v4(), now))
        .unwrap_err();
    assert!(
        matches!(disabled, ServiceError::NotFound(_)),
        "no such event: {disabled:?}"
    );

    let later = now + Duration::seconds(10);
    let rotated = db
        .write(|conn| {
            webhook::rotate_secret(
                conn,
                &actor,
                &sandbox,
                created.id,
                2,
                "whsec_two".into(),
                later,
            )
        })
        .unwrap();
    assert_eq!(rotated.secret, "whsec_two");
    assert_eq!(rotated.previous_secret.as_deref(), Some("whsec_one"));
    assert_eq!(
        rotated.previous_secret_expires_at,
        Some(later + Duration::hours(2))
    );
    let too_long = db
        .write(|conn| {
            webhook::rotate_secret(conn, &actor, &sandbox, created.id, 169, "x".into(), later)
        })
        .unwrap_err();
    assert!(matches!(too_long, ServiceError::Invalid(_)), "{too_long:?}");

    let elsewhere = db
        .write(|conn| webhook::delete(conn, &actor, &production, created.id))
        .unwrap_err();
    assert!(
        matches!(elsewhere, ServiceError::NotFound(_)),
        "{elsewhere:?}"
    );
    db.write(|conn| webhook::delete(conn, &actor, &sandbox, created.id))
        .unwrap();
    let gone = db
        .write(|conn| webhook::delete(conn, &actor, &sandbox, created.id))
        .unwrap_err();
    assert!(matches!(gone, ServiceError::NotFound(_)), "{gone:?}");
}

#[test]
fn a_key_is_created_rotated_within_the_callers_scopes_and_revoked() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let sandbox = owner(&acme, Environment::Sandbox);
    let actor = Actor::Operator;
    let now = time::now();
    let scopes = vec![Scope::TenantRead, Scope::TenantWrite];
    let created = db
        .write(|conn| {
            key::create(
                conn,
                &actor,
                &sandbox,
                "  CI key  ",
                scopes.clone(),
                stored_secret("aaaa"),
                now,
            )
        })
        .unwrap();
    assert_eq!(
        (created.name.as_str(), created.hint.as_str()),
        ("CI key", "aaaa")
    );
    let blank = db
        .write(|conn| {
            key::create(
                conn,
                &actor,
                &sandbox,
                "   ",
                vec![],
                stored_secret("bbbb"),
                now,
            )
        })
        .unwrap_err();
    assert!(matches!(blank, ServiceError::Invalid(_)), "{blank:?}");

    let rotation = |held: Vec<Scope>| Rotation {
        id: created.id,
        overlap_seconds: 60,
        held,
    };
    let narrower = db
        .write(|conn| {
            key::rotate(
                conn,
                &actor,
                &sandbox,
                rotation(vec![Scope::TenantRead]),
                stored_secret("cccc"),
                now,
            )
        })
        .unwrap_err();
    assert!(
        matches!(
            narrower,
            ServiceError::Forbidden {
                code: "missing_scope",
                ..
            }
        ),
        "{narrower:?}"
    );
    let successor = db
        .write(|conn| {
            key::rotate(
                conn,
                &actor,
                &sandbox,
                rotation(scopes.clone()),
                stored_secret("dddd"),
                now,
            )
        })
        .unwrap();
    assert_eq!(
        (successor.name.as_str(), &successor.scopes),
        ("CI key", &scopes)
    );
    assert_ne!(successor.id, created.id);

    let production = Some(Environment::Production);
    let elsewhere = db
        .write(|conn| key::revoke(conn, &actor, acme.id, production, successor.id, now))
        .unwrap_err();
    assert!(
        matches!(elsewhere, ServiceError::NotFound(_)),
        "{elsewhere:?}"
    );
    db.write(|conn| {
        key::revoke(
            conn,
            &actor,
            acme.id,
            Some(Environment::Sandbox),
            successor.id,
            now,
        )
    })
    .unwrap();
    let inactive = db
        .write(|conn| {
            key::rotate(
                conn,
                &actor,
                &sandbox,
                Rotation {
                    id: successor.id,
                    ..rotation(scopes.clone())
                },
                stored_secret("eeee"),
                now,
            )
        })
        .unwrap_err();
    assert!(
        matches!(
            inactive,
            ServiceError::Conflict {
                code: "key_inactive",
                ..
            }
        ),
        "{inactive:?}"
    );
}

#[test]
fn deleting_an_endpoint_takes_its_queued_deliveries_and_attempt_log_with_it() {
    use tenantry_domain::event::{EventType, NewEvent};
    use tenantry_storage::webhook::{self as store, AfterAttempt, Attempt};
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let sandbox = owner(&acme, Environment::Sandbox);
    let actor = Actor::ResellerKey(Uuid::new_v4());
    let now = time::now();
    let draft = |url: &str| EndpointDraft {
        url: url.into(),
        description: String::new(),
        event_types: vec!["tenant.created".into()],
        active: true,
    };
    let policy = UrlPolicy::default();
    let [doomed, kept] = ["https://a.example.com/h", "https://b.example.com/h"].map(|url| {
        db.write(|conn| {
            webhook::create(conn, &actor, &sandbox, draft(url), &policy, "s".into(), now)
        })
        .unwrap()
    });
    let event = db
        .write(|conn| {
            tenantry_storage::event::append(
                conn,
                NewEvent {
                    kind: EventType::TenantCreated,
                    reseller_id: acme.id,
                    environment: Environment::Sandbox,
                    tenant: None,
                    data: serde_json::json!({}),
                },
                now,
            )
        })
        .unwrap();
    // One attempt each, to retry later: both endpoints have a delivery waiting and a log.
    let claimed = db
        .write(|conn| store::claim_due(conn, now, Duration::seconds(60), 10))
        .unwrap();
    assert_eq!(claimed.len(), 2);
    for delivery in &claimed {
        let attempt = Attempt {
            id: Uuid::now_v7(),
            endpoint_id: delivery.endpoint_id,
            delivery_id: delivery.id,
            event_id: event.id,
            attempted_at: now,
            status_code: Some(500),
            latency_ms: 3,
            succeeded: false,
            response: "no".into(),
        };
        let retry = AfterAttempt::Retry(now + Duration::minutes(1));
        db.write(|conn| store::record_attempt(conn, delivery, &attempt, retry))
            .unwrap();
    }
    db.write(|conn| webhook::delete(conn, &actor, &sandbox, doomed.id))
        .unwrap();
    let (queued, doomed_log, kept_log) = db
        .read(|conn| {
            Ok::<_, tenantry_storage::StorageError>((
                store::queued(conn)?,
                store::attempts(conn, doomed.id, None, 10)?.rows.len(),
                store::attempts(conn, kept.id, None, 10)?.rows.len(),
            ))
        })
        .unwrap();
    assert_eq!(queued, 1, "only the other endpoint's delivery waits");
    assert_eq!(
        doomed_log, 0,
        "the deleted endpoint's attempt log went with it"
    );
    assert_eq!(kept_log, 1, "the other endpoint's log stays");
}
