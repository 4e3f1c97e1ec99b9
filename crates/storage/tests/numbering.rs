//! How one reseller's events get their numbers while its writers commit at once: each write
//! answers with its event in the feed, numbered once, in commit order, with no gap. What any
//! change to how events are numbered (a sequencer: docs/architecture.md) must keep.

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;
use tenantry_domain::event::{Event, EventType, NewEvent};
use tenantry_domain::reseller::Reseller;
use tenantry_domain::{time, Environment};
use tenantry_storage::event::{self, EventFilter};
use tenantry_storage::{Database, Owner};
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

/// The reseller's whole feed, in order.
fn feed(db: &Database, reseller: &Reseller) -> Vec<Event> {
    db.read(|c| event::list(c, &owner(reseller), &EventFilter::default(), 0, 10_000))
        .unwrap()
        .rows
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
                            // In the feed, numbered, as the write answers.
                            let found = db
                                .read(|c| event::find(c, &owner(acme), appended.id))
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
}

#[test]
fn a_write_that_finds_the_sequence_held_answers_after_the_holder_with_the_next_number() {
    let test_db = TestDb::new();
    let db = test_db.connect();
    let acme = fixture::reseller(&db, "acme");
    db.write(|c| event::append(c, updated(&acme), time::now()))
        .unwrap();
    let (held, hold) = (mpsc::channel(), mpsc::channel::<()>());
    let (answered_tx, answered) = mpsc::channel();
    std::thread::scope(|scope| {
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
            event.id
        });
        // The holder's number is taken and not yet committed: the write cannot answer. (The
        // holder is let go before the assertion, so a failure fails instead of hanging.)
        let answered_early = answered.recv_timeout(Duration::from_millis(500)).is_ok();
        hold.0.send(()).unwrap();
        assert!(
            !answered_early,
            "answered while the holder held the sequence"
        );
        let (holder, writer) = (holder.join().unwrap(), writer.join().unwrap());
        let feed = feed(db, acme);
        let order: Vec<(i64, uuid::Uuid)> = feed.iter().map(|e| (e.sequence, e.id)).collect();
        assert_eq!(order[1..], [(2, holder), (3, writer)]);
    });
}
