//! Connection use cases on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): each appends its event, which never carries a token; tokens go
//! only to `api` connections.

use tenantry_domain::connection::{ConnectionDraft, ConnectionPatch};
use tenantry_domain::event::EventType;
use tenantry_domain::{time, Environment};
use tenantry_service::connection;
use tenantry_service::{Actor, ServiceError};
use tenantry_testkit::fixture::{events, reseller, stored_secret, tenant};
use tenantry_testkit::TestDb;

#[test]
fn connections_are_created_changed_and_deleted_with_their_events() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let actor = Actor::Operator;
    let now = time::now();
    let api = db
        .write(|conn| {
            connection::create(
                conn,
                &actor,
                &shop,
                ConnectionDraft::default_api(),
                Some(stored_secret("aaaa")),
                now,
            )
        })
        .unwrap();
    let erp = ConnectionDraft {
        name: "ERP".into(),
        kind: "erp_sync".into(),
        ..ConnectionDraft::default_api()
    };
    let erp = db
        .write(|conn| connection::create(conn, &actor, &shop, erp, None, now))
        .unwrap();
    // Only an api connection has tokens.
    let refused = db.write(|conn| {
        connection::issue_token(conn, &actor, &shop, &erp.id, stored_secret("bbbb"), now)
    });
    assert!(
        matches!(
            refused,
            Err(ServiceError::Conflict {
                code: "connection_not_api",
                ..
            })
        ),
        "{refused:?}"
    );
    db.write(|conn| {
        connection::issue_token(conn, &actor, &shop, &api.id, stored_secret("cccc"), now)
    })
    .unwrap();
    let patch = ConnectionPatch {
        active: Some(false),
        ..Default::default()
    };
    let updated = db
        .write(|conn| connection::update(conn, &actor, &shop, &api.id, patch, now))
        .unwrap();
    assert!(!updated.active);
    db.write(|conn| connection::revoke_tokens(conn, &actor, &shop, &api.id, now))
        .unwrap();
    db.write(|conn| connection::delete(conn, &actor, &shop, &erp.id))
        .unwrap();
    let refused = db.write(|conn| connection::delete(conn, &actor, &shop, &erp.id));
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "{refused:?}"
    );

    let feed = events(&db, &acme, Environment::Sandbox);
    let seen: Vec<(EventType, String)> = feed
        .iter()
        .map(|e| (e.kind, e.data["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        seen,
        [
            (EventType::ConnectionCreated, api.id.clone()),
            (EventType::ConnectionCreated, erp.id.clone()),
            (EventType::ConnectionUpdated, api.id.clone()),
            (EventType::ConnectionDeleted, erp.id.clone()),
        ]
    );
    assert!(
        feed.iter().all(|e| e.data.get("token").is_none()),
        "no event shows a token"
    );
}
