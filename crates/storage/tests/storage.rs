//! The storage layer on the backend the environment names: migrations, the codeName counter
//! under concurrency, and that the suite really runs where CI asked it to.

use std::collections::HashSet;
use tenantry_domain::{time, Environment};
use tenantry_storage::{tenant, Backend, Owner};
use tenantry_testkit::{fixture, TestDb};

#[test]
fn suite_runs_on_the_backend_it_was_asked_for() {
    let db = TestDb::new().connect();
    assert_eq!(db.backend(), tenantry_testkit::backend());
    if std::env::var("TENANTRY_TEST_REQUIRE_POSTGRES").is_ok() {
        assert_eq!(db.backend(), Backend::Postgres, "CI asked for PostgreSQL");
    }
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    assert_eq!(db.migrate().unwrap(), 0, "nothing pending after connect()");
    assert_eq!(db.pending_migrations().unwrap(), 0);
    let reverted = db.revert_all_migrations().unwrap();
    assert!(reverted >= 2);
    assert_eq!(
        db.pending_migrations().unwrap(),
        reverted,
        "/readyz reports these as not ready"
    );
    assert_eq!(db.migrate().unwrap(), reverted);
    // The schema works after up, down, up.
    fixture::reseller(&db, "after");
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend: &str| -> HashSet<String> {
        let dir = format!("{}/../../migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[test]
fn code_name_numbers_are_unique_under_concurrent_writers() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                (0..10)
                    .map(|_| {
                        db.write(|conn| tenant::next_code_name_number(conn, "race"))
                            .unwrap()
                    })
                    .collect::<Vec<i64>>()
            })
        })
        .collect();
    let mut all: Vec<i64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(
        all,
        (1..=40).collect::<Vec<_>>(),
        "each number handed out exactly once"
    );
}

#[test]
fn a_tenant_round_trips_exactly() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    let reseller = fixture::reseller(&db, "rt");
    let now = time::now();
    let t = tenantry_domain::tenant::Tenant {
        id: uuid::Uuid::new_v4(),
        reseller_id: reseller.id,
        code_name: "rt-1".into(),
        customer_reference: "Åre & Co".into(),
        environment: Environment::Production,
        status: tenantry_domain::tenant::TenantStatus::Deactivated,
        full_name: "Åre & Co \"quoted\"".into(),
        email: "x@y.example".into(),
        default_language: "swe".into(),
        languages: vec!["swe".into(), "eng".into()],
        options: vec!["a".into()],
        created_at: now,
        updated_at: now,
        subscription: Default::default(),
        cancellation_effective_at: None,
    };
    db.write(|conn| tenant::insert(conn, &t)).unwrap();
    let owner = Owner {
        reseller_id: reseller.id,
        environment: Environment::Production,
    };
    let back = db
        .read(|conn| tenant::find_by_code_name(conn, &owner, "rt-1"))
        .unwrap();
    assert_eq!(back, t);
    let sandbox = Owner {
        environment: Environment::Sandbox,
        ..owner
    };
    assert!(db
        .read(|conn| tenant::find_by_code_name(conn, &sandbox, "rt-1"))
        .is_err());
}

#[test]
fn idempotency_claims_expire_can_be_taken_over_when_abandoned_and_are_purged() {
    use chrono::Duration;
    use tenantry_storage::idempotency::{self, Claim, ClaimTimes, StoredResponse};
    let test_db = TestDb::new();
    let db = test_db.connect();
    let at = |now: chrono::DateTime<chrono::Utc>| ClaimTimes {
        now,
        expired_before: now - Duration::hours(24),
        abandoned_before: now - Duration::minutes(5),
    };
    let t0 = time::now();
    let claim = |key: &str, fingerprint: &str, now| {
        db.write(|c| idempotency::claim(c, "p", key, fingerprint, at(now)))
            .unwrap()
    };
    assert_eq!(claim("k", "f", t0), Claim::Started);
    assert_eq!(claim("k", "f", t0), Claim::InProgress);
    assert_eq!(claim("k", "other", t0), Claim::Mismatch);
    let response = StoredResponse {
        status: 201,
        content_type: Some("application/json".into()),
        location: None,
        body: r#"{"id":1}"#.into(),
    };
    db.write(|c| idempotency::complete(c, "p", "k", &response))
        .unwrap();
    assert_eq!(
        claim("k", "f", t0 + Duration::hours(23)),
        Claim::Completed(response.clone())
    );
    // After the retention, the key is new again.
    assert_eq!(claim("k", "f2", t0 + Duration::hours(25)), Claim::Started);

    // An unfinished claim whose request died is taken over after five minutes, not before.
    assert_eq!(claim("dead", "f", t0), Claim::Started);
    assert_eq!(
        claim("dead", "f", t0 + Duration::minutes(4)),
        Claim::InProgress
    );
    assert_eq!(
        claim("dead", "f", t0 + Duration::minutes(6)),
        Claim::Started
    );
    // A released claim (a server error) lets the retry run.
    db.write(|c| idempotency::release(c, "p", "dead")).unwrap();
    assert_eq!(
        claim("dead", "f", t0 + Duration::minutes(7)),
        Claim::Started
    );

    // Purge forgets what was created before the cut and keeps the rest.
    assert_eq!(claim("old", "f", t0 - Duration::hours(30)), Claim::Started);
    let purged = db
        .write(|c| idempotency::purge(c, t0 - Duration::hours(24)))
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(
        claim("k", "f2", t0 + Duration::hours(25)),
        Claim::InProgress
    );
}

#[test]
fn purging_events_forgets_each_feeds_expired_head_and_keeps_the_rest_in_order() {
    use chrono::Duration;
    use tenantry_domain::event::{EventType, NewEvent};
    use tenantry_storage::event::{self, EventFilter};
    let test_db = TestDb::new();
    let db = test_db.connect();
    let [acme, globex] = ["acme", "globex"].map(|code| fixture::reseller(&db, code));
    let t0 = time::now();
    let append = |reseller: &tenantry_domain::reseller::Reseller, count: usize, at| {
        let new = (0..count)
            .map(|_| NewEvent {
                kind: EventType::TenantUpdated,
                reseller_id: reseller.id,
                environment: Environment::Production,
                tenant: None,
                data: serde_json::json!({}),
            })
            .collect();
        db.write(|c| event::append_all(c, new, at)).unwrap();
    };
    // More expired events than one step of the walk reads, then one within the retention,
    // then one expired behind it (committed out of order).
    append(&acme, 2_500, t0 - Duration::days(10));
    append(&acme, 1, t0 - Duration::days(1));
    append(&acme, 1, t0 - Duration::days(20));
    append(&globex, 3, t0 - Duration::days(10));

    let purged = db
        .write(|c| event::purge(c, t0 - Duration::days(7)))
        .unwrap();
    assert_eq!(purged, 2_503);
    let feed = |reseller: &tenantry_domain::reseller::Reseller| {
        let owner = Owner {
            reseller_id: reseller.id,
            environment: Environment::Production,
        };
        db.read(|c| event::list(c, &owner, &EventFilter::default(), 0, 10))
            .unwrap()
            .rows
            .into_iter()
            .map(|e| e.sequence)
            .collect::<Vec<_>>()
    };
    // The feed goes on where it was; the event behind a live one waits for a later run.
    assert_eq!(feed(&acme), vec![2_501, 2_502]);
    assert_eq!(feed(&globex), Vec::<i64>::new());
    assert_eq!(
        db.write(|c| event::purge(c, t0 - Duration::days(7)))
            .unwrap(),
        0
    );
    // Once the live one expires, both go.
    assert_eq!(db.write(|c| event::purge(c, t0)).unwrap(), 2);
    assert_eq!(feed(&acme), Vec::<i64>::new());
}

#[test]
fn an_append_queues_for_the_endpoints_committed_before_it_whichever_process_changed_them() {
    use tenantry_domain::event::{EventType, NewEvent};
    use tenantry_domain::webhook::Endpoint;
    use tenantry_storage::{event, webhook, Database, StorageError};
    let test_db = TestDb::new();
    // Two pools on one database: two processes, each with its own memory of the endpoints.
    let (a, b) = (test_db.connect(), test_db.connect());
    let acme = fixture::reseller(&a, "acme");
    let now = time::now();
    let endpoint = |url: &str| Endpoint {
        id: uuid::Uuid::now_v7(),
        reseller_id: acme.id,
        environment: Environment::Production,
        url: url.into(),
        description: String::new(),
        event_types: vec![EventType::TenantUpdated],
        active: true,
        secret: "whsec_test".into(),
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    };
    let updated = || NewEvent {
        kind: EventType::TenantUpdated,
        reseller_id: acme.id,
        environment: Environment::Production,
        tenant: None,
        data: serde_json::json!({}),
    };
    // Which endpoints the deliveries queued since the last call are for.
    let queued_for = |db: &Database| {
        let mut ids: Vec<uuid::Uuid> = db
            .write(|c| webhook::claim_due(c, time::now(), chrono::Duration::hours(1), 100))
            .unwrap()
            .into_iter()
            .map(|d| d.endpoint_id)
            .collect();
        ids.sort();
        ids
    };
    let first = endpoint("https://one.example/hook");
    a.write(|c| webhook::insert(c, &first)).unwrap();
    a.write(|c| event::append(c, updated(), now)).unwrap();
    assert_eq!(queued_for(&a), vec![first.id]);
    // Remembered now: the same list again without a change.
    a.write(|c| event::append(c, updated(), now)).unwrap();
    assert_eq!(queued_for(&a), vec![first.id]);

    // The other process deactivates it and adds a second.
    let second = endpoint("https://two.example/hook");
    b.write(|c| {
        webhook::insert(c, &second)?;
        webhook::update(
            c,
            &Endpoint {
                active: false,
                ..first.clone()
            },
        )
    })
    .unwrap();
    a.write(|c| event::append(c, updated(), now)).unwrap();
    assert_eq!(queued_for(&a), vec![second.id]);

    // A change that rolls back, though its own append saw it, leaves nothing behind: not
    // even once another change has committed and the count has reached the same number.
    let third = endpoint("https://three.example/hook");
    let rolled_back = a.write(|c| {
        webhook::insert(c, &third)?;
        event::append(c, updated(), now)?;
        Err::<(), _>(StorageError::NotFound("rolled back on purpose"))
    });
    assert!(rolled_back.is_err());
    b.write(|c| {
        let orders_only = Endpoint {
            event_types: vec![EventType::OrderCreated],
            ..second.clone()
        };
        webhook::update(c, &orders_only)
    })
    .unwrap();
    a.write(|c| event::append(c, updated(), now)).unwrap();
    assert_eq!(queued_for(&a), Vec::<uuid::Uuid>::new());

    // A deleted endpoint is gone for the other process's next append too.
    let fourth = endpoint("https://four.example/hook");
    a.write(|c| webhook::insert(c, &fourth)).unwrap();
    b.write(|c| event::append(c, updated(), now)).unwrap();
    assert_eq!(queued_for(&b), vec![fourth.id]);
    a.write(|c| webhook::delete(c, &fourth)).unwrap();
    b.write(|c| event::append(c, updated(), now)).unwrap();
    assert_eq!(queued_for(&b), Vec::<uuid::Uuid>::new());
    // The feed stayed gap-free through all of it: the rolled-back append took no number.
    let feed = a
        .read(|c| {
            event::list(
                c,
                &Owner {
                    reseller_id: acme.id,
                    environment: Environment::Production,
                },
                &event::EventFilter::default(),
                0,
                100,
            )
        })
        .unwrap();
    let sequences: Vec<i64> = feed.rows.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=6).collect::<Vec<_>>());
}

#[test]
fn a_key_check_holds_while_the_key_and_its_reseller_are_as_remembered() {
    use tenantry_domain::reseller::{Reseller, ResellerKey};
    use tenantry_storage::reseller::{self, KeyCheck};
    use tenantry_storage::StorageError;
    let test_db = TestDb::new();
    let db = test_db.connect();
    // Texts that a literal must quote whatever they hold.
    let remembered = Reseller {
        id: uuid::Uuid::new_v4(),
        code: "quoted".into(),
        name: "O'Brien $q0$ \\ $$ Ltd $q0".into(),
        code_name_prefix: String::new(),
        capabilities: vec!["orders".into()],
        rate_limit_per_minute: 300,
        public_integrations: false,
        created_at: time::now(),
    };
    let key = ResellerKey {
        id: uuid::Uuid::new_v4(),
        reseller_id: remembered.id,
        name: "k".into(),
        environment: Environment::Sandbox,
        hint: "abcd".into(),
        created_at: time::now(),
        revoked_at: None,
        scopes: vec![],
        expires_at: None,
    };
    db.write(|conn| {
        reseller::insert(conn, &remembered)?;
        reseller::insert_key(conn, &key, "00ff")
    })
    .unwrap();
    // The reseller as stored (times keep the database's precision).
    let stored = db.read(|conn| reseller::find(conn, remembered.id)).unwrap();
    let check = |token_hash: &str, reseller: &Reseller| {
        let check = KeyCheck {
            token_hash: token_hash.into(),
            reseller: reseller.clone(),
        };
        db.write_checked(Some(&check), |_| Ok::<_, StorageError>(()))
    };
    let changed = |r: Result<(), StorageError>| matches!(r, Err(StorageError::KeyChanged));
    check("00ff", &stored).expect("the key and reseller as remembered");
    assert!(changed(check("00fe", &stored)), "another key");
    for other in [
        Reseller {
            capabilities: vec![],
            ..stored.clone()
        },
        Reseller {
            rate_limit_per_minute: 301,
            ..stored.clone()
        },
        Reseller {
            public_integrations: true,
            ..stored.clone()
        },
        Reseller {
            name: "O'Brien".into(),
            ..stored.clone()
        },
    ] {
        assert!(changed(check("00ff", &other)), "{other:?}");
    }
    // A check that fails leaves the connection usable: the next write goes through.
    db.write(|conn| reseller::set_rate_limit(conn, stored.id, 301))
        .unwrap();
    assert!(changed(check("00ff", &stored)), "the rate changed");
    let now_stored = db.read(|conn| reseller::find(conn, remembered.id)).unwrap();
    check("00ff", &now_stored).expect("as it is now");
    db.write(|conn| reseller::expire_key(conn, key.id, time::now()))
        .unwrap();
    assert!(changed(check("00ff", &now_stored)), "expired");
    db.write(|conn| reseller::revoke_key(conn, stored.id, key.id, time::now()))
        .unwrap();
    assert!(changed(check("00ff", &now_stored)), "revoked");
}
