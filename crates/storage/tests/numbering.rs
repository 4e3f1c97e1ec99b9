//! How one reseller's events get their numbers while its writers commit at once: each event
//! is numbered once, in the order the writes depend on each other, with no gap, and a read of
//! the feed made after a write was answered finds its event. On PostgreSQL a write that finds
//! the reseller's sequence row held commits its event unnumbered and answers; the process's
//! numbering thread numbers it, and a read of the feed numbers what still waits first
//! (`storage::sequencer`). On SQLite each write numbers its own, holding the one write lock.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;
use tenantry_domain::event::{Event, EventType, NewEvent};
use tenantry_domain::reseller::Reseller;
use tenantry_domain::webhook::Endpoint;
use tenantry_domain::{time, Environment};
use tenantry_storage::event::{self, EventFilter};
use tenantry_storage::{webhook, Backend, Database, DbConnection, Owner};
use tenantry_testkit::{fixture, TestDb};

fn updated(reseller: &Reseller) -> NewEvent {
    NewEvent {
        kind: EventType::TenantUpdated,
        reseller_id: reseller.id,
        environment: Environment::Production,
        tenant: None,
        data: serde_json::json!({}),
    }
}

fn owner(reseller: &Reseller) -> Owner {
    fixture::owner(reseller, Environment::Production)
}

/// A webhook endpoint of the reseller's production environment that wants every event.
fn endpoint(db: &Database, reseller: &Reseller) -> uuid::Uuid {
    let now = time::now();
    let endpoint = Endpoint {
        id: uuid::Uuid::now_v7(),
        reseller_id: reseller.id,
        environment: Environment::Production,
        url: "https://hooks.example/in".into(),
        description: String::new(),
        event_types: Vec::new(),
        active: true,
        secret: "whsec_test".into(),
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    };
    db.write(|c| webhook::insert(c, &endpoint)).unwrap();
    endpoint.id
}

/// The reseller's whole feed, in order, as a client reads it (what waits numbered first).
fn feed(db: &Database, reseller: &Reseller) -> Vec<Event> {
    db.read_feed(reseller.id, |c| {
        event::list(c, &owner(reseller), &EventFilter::default(), 0, 10_000)
    })
    .unwrap()
    .rows
}

/// The one number `sql` selects (as `n`).
fn select_number(db: &Database, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let query = diesel::sql_query(sql);
    db.read(|c| {
        Ok::<_, tenantry_storage::StorageError>(match c {
            DbConnection::Postgres(pg) => query.get_result::<Number>(pg)?.n,
            DbConnection::Sqlite(lite) => query.get_result::<Number>(lite)?.n,
        })
    })
    .unwrap()
}

/// How many events wait for a number.
fn unnumbered(db: &Database) -> i64 {
    select_number(
        db,
        "SELECT COUNT(*) AS n FROM events_unnumbered \
         WHERE reseller_id <> '00000000-0000-0000-0000-000000000000'",
    )
}

/// The feed's last number the event's write saw committed (`events.numbered_after`).
fn numbered_after(db: &Database, id: uuid::Uuid) -> i64 {
    select_number(
        db,
        &format!("SELECT numbered_after AS n FROM events WHERE id = '{id}'"),
    )
}

#[test]
fn each_of_eight_concurrent_writers_finds_its_event_in_the_feed_when_answered() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    let acme = fixture::reseller(&db, "acme");
    let (writers, each) = (8, 25);
    let written: Vec<uuid::Uuid> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|_| {
                let (db, acme) = (&db, &acme);
                scope.spawn(move || {
                    (0..each)
                        .map(|_| {
                            let appended = db
                                .write(|c| event::append(c, updated(acme), time::now()))
                                .unwrap();
                            // In the feed, numbered, for a read made once the write answers.
                            let found = db
                                .read_feed(acme.id, |c| event::find(c, &owner(acme), appended.id))
                                .unwrap();
                            assert!(found.sequence > 0);
                            appended.id
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let feed = feed(&db, &acme);
    let sequences: Vec<i64> = feed.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=(writers * each) as i64).collect::<Vec<_>>());
    let listed: HashSet<uuid::Uuid> = feed.iter().map(|e| e.id).collect();
    assert_eq!(listed, written.into_iter().collect::<HashSet<_>>());
    assert_eq!(unnumbered(&db), 0);
}

#[test]
fn a_write_that_finds_the_sequence_held_is_read_after_the_holder_with_the_next_number() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    let acme = fixture::reseller(&db, "acme");
    db.write(|c| event::append(c, updated(&acme), time::now()))
        .unwrap();
    // Numbered, and the numbering thread idle: it holds the row while it numbers.
    db.wait_for_numbering();
    assert_eq!(feed(&db, &acme).len(), 1);
    std::thread::scope(|scope| {
        // Made here, so a failed assertion drops `hold` and lets the holder go.
        let (held, hold) = (mpsc::channel(), mpsc::channel::<()>());
        let (answered_tx, answered) = mpsc::channel();
        let (read_tx, read) = mpsc::channel();
        let (db, acme) = (&db, &acme);
        let holder = scope.spawn(move || {
            db.write(|c| {
                let event = event::append(c, updated(acme), time::now())?;
                held.0.send(()).unwrap();
                hold.1.recv().unwrap();
                Ok::<_, tenantry_storage::StorageError>(event.id)
            })
            .unwrap()
        });
        held.1.recv().unwrap();
        let writer = scope.spawn(move || {
            let event = db
                .write(|c| event::append(c, updated(acme), time::now()))
                .unwrap();
            answered_tx.send(()).unwrap();
            let found = db
                .read_feed(acme.id, |c| event::find(c, &owner(acme), event.id))
                .unwrap();
            read_tx.send(()).unwrap();
            (event.id, found.sequence)
        });
        match db.backend() {
            // The write commits its event unnumbered and answers at once; a read of the feed
            // cannot answer while the holder's number is taken and not yet committed.
            Backend::Postgres => {
                answered.recv_timeout(Duration::from_secs(10)).unwrap();
                assert!(read.recv_timeout(Duration::from_millis(500)).is_err());
            }
            // The write waits for SQLite's one write lock, which the holder has.
            Backend::Sqlite => {
                assert!(answered.recv_timeout(Duration::from_millis(500)).is_err());
            }
        }
        hold.0.send(()).unwrap();
        let (holder, (writer, found)) = (holder.join().unwrap(), writer.join().unwrap());
        assert_eq!(found, 3);
        let order: Vec<(i64, uuid::Uuid)> =
            feed(db, acme).iter().map(|e| (e.sequence, e.id)).collect();
        assert_eq!(order[1..], [(2, holder), (3, writer)]);
        // On PostgreSQL the write committed its event while the holder held number 2, and it
        // was numbered after; on SQLite it waited to write until the holder committed.
        let numbered_after = numbered_after(db, writer);
        match db.backend() {
            Backend::Postgres => assert_eq!(numbered_after, 1),
            Backend::Sqlite => assert_eq!(numbered_after, 2),
        }
    });
    assert_eq!(unnumbered(&db), 0);
}

#[test]
fn events_a_stopped_process_left_unnumbered_are_numbered_first_and_their_deliveries_queued() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    let acme = fixture::reseller(&db, "acme");
    let first = db
        .write(|c| event::append(c, updated(&acme), time::now()))
        .unwrap();
    if db.backend() == Backend::Sqlite {
        // SQLite numbers each event in its write: nothing is ever left unnumbered.
        assert_eq!(first.sequence, 1);
        assert_eq!(unnumbered(&db), 0);
        assert_eq!(db.number_unnumbered_events().unwrap(), 0);
        return;
    }
    // The reseller's first event (no sequence row yet) was numbered by the numbering thread.
    db.wait_for_numbering();
    let hook = endpoint(&db, &acme);
    // What a process leaves when it stops between its write's commit and the numbering: the
    // event, committed, and its place among the waiting.
    let stray = |db: &Database| {
        let id = uuid::Uuid::now_v7();
        db.write(|c| {
            let DbConnection::Postgres(pg) = c else {
                unreachable!()
            };
            pg.batch_execute(&format!(
                "INSERT INTO events (id, reseller_id, numbered_after, environment, event_type, \
                 payload, created_at, handed_off) \
                 VALUES ('{id}', '{r}', 1, 'production', 'tenant.updated', '{{}}', now(), true); \
                 INSERT INTO events_unnumbered (reseller_id, event_id) VALUES ('{r}', '{id}')",
                r = acme.id
            ))
            .map_err(tenantry_storage::StorageError::from)
        })
        .unwrap();
        id
    };
    let left = stray(&db);
    // Not readable until numbered.
    assert!(db.read(|c| event::find(c, &owner(&acme), left)).is_err());

    // The next write of the reseller finds it waiting, and its own event is numbered after it.
    let next = db
        .write(|c| event::append(c, updated(&acme), time::now()))
        .unwrap();
    db.wait_for_numbering();
    let order: Vec<uuid::Uuid> = feed(&db, &acme).iter().map(|e| e.id).collect();
    assert_eq!(order, vec![first.id, left, next.id]);
    assert_eq!(
        db.read(|c| event::find(c, &owner(&acme), next.id))
            .unwrap()
            .sequence,
        3
    );

    // With no write to come, the sweep's call numbers it.
    let later = stray(&db);
    assert_eq!(db.number_unnumbered_events().unwrap(), 1);
    assert_eq!(
        db.read(|c| event::find(c, &owner(&acme), later))
            .unwrap()
            .sequence,
        4
    );

    // A read of the feed numbers what waits before it reads.
    let last = stray(&db);
    assert_eq!(
        db.read_feed(acme.id, |c| event::find(c, &owner(&acme), last))
            .unwrap()
            .sequence,
        5
    );
    assert_eq!(unnumbered(&db), 0);
    // Each numbered event's delivery was queued, to the endpoint that wants it.
    let mut queued: Vec<(uuid::Uuid, i64)> = db
        .write(|c| webhook::claim_due(c, time::now(), chrono::Duration::hours(1), 100))
        .unwrap()
        .into_iter()
        .map(|d| (d.endpoint_id, d.event_sequence))
        .collect();
    queued.sort();
    assert_eq!(queued, vec![(hook, 2), (hook, 3), (hook, 4), (hook, 5)]);
}

#[test]
fn events_named_only_in_the_unlogged_table_a_crash_emptied_are_found_and_numbered() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    let acme = fixture::reseller(&db, "acme");
    let first = db
        .write(|c| event::append(c, updated(&acme), time::now()))
        .unwrap();
    if db.backend() == Backend::Sqlite {
        // SQLite numbers each event in its write: no table of waiting events to lose.
        assert_eq!(db.number_unnumbered_events().unwrap(), 0);
        assert_eq!(feed(&db, &acme).len(), 1);
        return;
    }
    db.wait_for_numbering();
    let sql = |sql: String| {
        db.write(|c| {
            let DbConnection::Postgres(pg) = c else {
                unreachable!()
            };
            pg.batch_execute(&sql)
                .map_err(tenantry_storage::StorageError::from)
        })
        .unwrap()
    };
    // An event committed unnumbered a minute before PostgreSQL last started, after the last
    // check; then the crash that restarted it emptied the unlogged table, sentinel and all.
    let started = select_number(
        &db,
        "SELECT (EXTRACT(EPOCH FROM pg_postmaster_start_time()) * 1000)::BIGINT AS n",
    ) as u64;
    let lost = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        (started / 1000) - 60,
        0,
    ));
    sql(format!(
        "INSERT INTO events (id, reseller_id, numbered_after, environment, event_type, payload, \
         created_at, handed_off) \
         VALUES ('{lost}', '{r}', 1, 'production', 'tenant.updated', '{{}}', now(), true); \
         INSERT INTO events_unnumbered (reseller_id, event_id) VALUES ('{r}', '{lost}'); \
         TRUNCATE events_unnumbered; \
         UPDATE event_numbering SET checked_at = \
         pg_postmaster_start_time() AT TIME ZONE 'UTC' - interval '5 minutes'",
        r = acme.id
    ));
    // Writes go on meanwhile; the lost event is not in the feed.
    let next = db
        .write(|c| event::append(c, updated(&acme), time::now()))
        .unwrap();
    let ids = |db: &Database| feed(db, &acme).iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&db), vec![first.id, next.id]);

    // The check finds the sentinel gone, names the event again and numbers it.
    assert_eq!(db.number_unnumbered_events().unwrap(), 1);
    assert_eq!(ids(&db), vec![first.id, next.id, lost]);
    assert_eq!(
        select_number(
            &db,
            "SELECT COUNT(*) AS n FROM events_unnumbered \
             WHERE reseller_id = '00000000-0000-0000-0000-000000000000'"
        ),
        1
    );
    // Once found, never again.
    assert_eq!(db.number_unnumbered_events().unwrap(), 0);
    assert_eq!(feed(&db, &acme).len(), 3);
}
