//! Sync and list reads from a real streaming replica (`serve --read-database-url`): on
//! PostgreSQL, against the replica `.ci/replica.sh` starts (`pg_basebackup -R`, its own
//! cluster on port 5433). Orders written on the primary reach the sync through the replica
//! without a gap; while the replica lags (its replay paused) the sync returns less, never
//! skips, and a write's own answer and a read by id come from the primary.

use super::*;
use tenantry_storage::{Backend, Database, PoolOptions, StorageError};
use tenantry_testkit::{backend, PausedReplay, TestDb};

/// The sync feed from `cursor`, every page of `limit`; returns the orders' numbers in the
/// order seen and the cursor to resume from.
fn drain(s: &TestServer, auth: &Auth, mut cursor: String, limit: usize) -> (Vec<String>, String) {
    let mut numbers = Vec::new();
    loop {
        let page = s
            .call(
                "GET",
                &format!("/tenant/order?limit={limit}&cursor={cursor}"),
                auth,
                None,
            )
            .expect(200)
            .json();
        for o in page["data"].as_array().unwrap() {
            numbers.push(o["number"].as_str().unwrap().to_owned());
        }
        cursor = page["nextCursor"].as_str().unwrap().to_owned();
        if page["hasMore"] == false {
            return (numbers, cursor);
        }
    }
}

/// Drains the feed until it has `expected` more orders (the replica catching up), or panics.
fn drain_until(
    s: &TestServer,
    auth: &Auth,
    mut cursor: String,
    expected: usize,
) -> (Vec<String>, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut all = Vec::new();
    while all.len() < expected {
        let (more, next) = drain(s, auth, cursor, 7);
        all.extend(more);
        cursor = next;
        assert!(
            std::time::Instant::now() < deadline,
            "the replica did not catch up: {all:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (all, cursor)
}

fn start_cursor(s: &TestServer, auth: &Auth) -> String {
    s.call("GET", "/tenant/order", auth, None)
        .expect(200)
        .json()["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn sync_reads_come_from_the_replica_and_never_skip_while_it_lags() {
    if backend() == Backend::Sqlite {
        // SQLite has no replica: asking for one is refused, not ignored.
        let db = TestDb::new();
        let refused = Database::connect(&db.url, PoolOptions::default())
            .unwrap()
            .with_replica("postgres://postgres@127.0.0.1:5433/postgres");
        assert!(matches!(refused, Err(StorageError::ReplicaUnsupported(_))));
        return;
    }
    let s = TestServer::with_replica(ALONE);
    assert!(s.db.has_replica());
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let auth = t.bearer();
    let cursor = start_cursor(&s, &auth);

    // Written on the primary, read through the replica: all of them, in order, no gap.
    let written: Vec<String> = (0..20).map(|i| format!("R-{i:02}")).collect();
    for number in &written {
        s.call("POST", "/tenant/order", &auth, Some(order(number)))
            .expect(201);
    }
    let (seen, cursor) = drain_until(&s, &auth, cursor, written.len());
    assert_eq!(seen, written);

    // The replica stops replaying: what is written now is on the primary only.
    let replica_server = tenantry_testkit::replica_url("postgres://x/postgres");
    let paused = PausedReplay::pause(&replica_server);
    let made = s
        .call("POST", "/tenant/order", &auth, Some(order("LAG-1")))
        .expect(201)
        .json();
    assert_eq!(
        made["number"], "LAG-1",
        "a write's own answer is the primary's"
    );
    let id = made["id"].as_str().unwrap();
    let by_id = s
        .call("GET", &format!("/tenant/order/{id}"), &auth, None)
        .expect(200)
        .json();
    assert_eq!(by_id["number"], "LAG-1", "a read by id goes to the primary");
    let (lagging, same) = drain(&s, &auth, cursor.clone(), 7);
    assert_eq!(
        lagging,
        Vec::<String>::new(),
        "the lagging replica returns less"
    );
    assert_eq!(
        same, cursor,
        "and the cursor does not move past what it has not seen"
    );
    s.call(
        "POST",
        "/tenant/product",
        &auth,
        Some(json!({"sku": "LAG", "name": "Lag", "price": "1.00", "currency": "SEK"})),
    )
    .expect(201);
    s.call("GET", "/tenant/product/LAG", &auth, None)
        .expect(200);
    let products = |s: &TestServer| {
        s.call("GET", "/tenant/product", &auth, None)
            .expect(200)
            .json()["data"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(
        products(&s),
        0,
        "the product list reads the lagging replica too"
    );

    // Replay resumes: the order arrives, after the twenty, with nothing skipped.
    drop(paused);
    let (caught_up, _) = drain_until(&s, &auth, cursor, 1);
    assert_eq!(caught_up, ["LAG-1"]);
    assert_eq!(products(&s), 1);

    // A token revoked while the replica lags is refused on its very next page: a remembered
    // token's check runs on the primary when the page comes from a replica.
    let paused = PausedReplay::pause(&replica_server);
    let stored = s.stored_tenant(&t);
    s.db.write(|conn| {
        tenantry_service::connection::revoke_tokens(
            conn,
            &tenantry_domain::audit::Actor::Operator,
            &stored,
            &t.connection,
            tenantry_domain::time::now(),
        )
    })
    .unwrap();
    s.call("GET", "/tenant/order", &auth, None)
        .expect_problem(401, "unauthorized");
    s.call("GET", "/tenant/product", &auth, None)
        .expect_problem(401, "unauthorized");
    drop(paused);
}
