//! Events and webhooks: every state change appends an event, the feed lists them gap-free,
//! and the delivery worker posts each one, signed, to a real receiver on loopback.

mod common;

use chrono::Duration;
use common::receiver::{Received, Receiver};
use common::{Auth, ResellerCreds, TestServer, BOTH};
use serde_json::{json, Value};
use std::collections::HashMap;
use tenantry_auth::webhook::verify;
use tenantry_domain::time;

/// How many times each event (by `webhook-id`) arrived.
fn arrivals_per_event(received: &[Received]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in received {
        *counts.entry(r.header("webhook-id").to_owned()).or_default() += 1;
    }
    counts
}

/// Registers an endpoint for `types` (all when empty); returns (id, secret).
fn endpoint(s: &TestServer, auth: &Auth, url: &str, types: &[&str]) -> (String, String) {
    let body = s
        .call(
            "POST",
            "/reseller/webhook",
            auth,
            Some(json!({"url": url, "eventTypes": types, "description": "test receiver"})),
        )
        .expect(201)
        .json();
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{body}");
    (body["id"].as_str().unwrap().to_owned(), secret)
}

/// The endpoint's attempt log, newest first (its first page).
fn attempt_log(s: &TestServer, auth: &Auth, hook: &str) -> Vec<Value> {
    s.list(&format!("/reseller/webhook/{hook}/attempt"), auth)
}

/// Checks a delivery's signature as a receiver would, and that a changed body fails it.
fn assert_signed(r: &Received, secret: &str) {
    let (id, ts, sig) = (
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.header("webhook-signature"),
    );
    let now: i64 = ts.parse().unwrap();
    verify(secret, id, ts, sig, &r.body, now).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let mut tampered = r.body.clone();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    assert!(verify(secret, id, ts, sig, &tampered, now).is_err());
    assert_eq!(r.json()["id"], id, "webhook-id is the event id");
}

/// The whole feed, paged with a small limit.
fn feed(s: &TestServer, auth: &Auth, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = String::new();
    loop {
        let page = s
            .call(
                "GET",
                &format!("/reseller/event?limit=3{query}{after}"),
                auth,
                None,
            )
            .expect(200)
            .json();
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        after = format!("&after={}", page["nextCursor"].as_str().unwrap());
        if page["hasMore"] == false {
            return all;
        }
    }
}

/// Makes one change of every kind the Reseller and Tenant API offer; returns the codeName.
fn change_everything(s: &TestServer, creds: &ResellerCreds) -> String {
    let auth = creds.bearer();
    let token = s.company_token(&auth, "everything");
    let tenant = s
        .call(
            "GET",
            "/reseller/tenant?customerReference=everything",
            &auth,
            None,
        )
        .expect(200)
        .json()["data"][0]["codeName"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = format!("/reseller/tenant/{tenant}");
    s.call(
        "PATCH",
        &t,
        &auth,
        Some(json!({"fullName": "Everything AB"})),
    )
    .expect(200);
    s.call("PATCH", &t, &auth, Some(json!({"active": false})))
        .expect(200);
    s.call("PATCH", &t, &auth, Some(json!({"active": true})))
        .expect(200);
    s.call(
        "POST",
        &format!("{t}/user"),
        &auth,
        Some(json!({"login": "anna", "email": "anna@x.example"})),
    )
    .expect(201);
    s.call(
        "PATCH",
        &format!("{t}/user/anna"),
        &auth,
        Some(json!({"fullName": "Anna A"})),
    )
    .expect(200);
    s.call("DELETE", &format!("{t}/user/anna"), &auth, None)
        .expect(204);
    let spare = s
        .call(
            "POST",
            &format!("{t}/connection"),
            &auth,
            Some(json!({"name": "Spare", "type": "shop"})),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.call(
        "PATCH",
        &format!("{t}/connection/{spare}"),
        &auth,
        Some(json!({"active": false})),
    )
    .expect(200);
    s.call("DELETE", &format!("{t}/connection/{spare}"), &auth, None)
        .expect(204);
    s.call(
        "POST",
        "/tenant/product",
        &token,
        Some(
            json!({"sku": "MUG", "name": "Mug", "price": "89.00", "currency": "SEK", "stock": 10}),
        ),
    )
    .expect(201);
    s.call(
        "PATCH",
        "/tenant/product/MUG",
        &token,
        Some(json!({"name": "Blue mug"})),
    )
    .expect(200);
    let order = s
        .call(
            "POST",
            "/tenant/order",
            &token,
            Some(json!({"number": "W-1", "currency": "SEK",
                "rows": [{"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "89.00", "vatRate": "25"}]})),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.call(
        "PATCH",
        &format!("/tenant/order/{order}"),
        &token,
        Some(json!({"status": "processing"})),
    )
    .expect(200);
    s.call("DELETE", "/tenant/product/MUG", &token, None)
        .expect(204);
    tenant
}

#[test]
fn every_change_is_an_event_in_the_feed_and_arrives_signed_at_the_receiver() {
    let s = TestServer::with_webhooks(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let receiver = Receiver::start();
    let (_, secret) = endpoint(&s, &auth, &receiver.url, &[]);
    let tenant = change_everything(&s, &creds);
    let t = format!("/reseller/tenant/{tenant}");
    assert_eq!(
        tenantry_worker::tenant_jobs::run_due(&s.db, time::now()).unwrap(),
        1
    );
    let later = (time::now() + Duration::days(30)).to_rfc3339();
    s.call(
        "POST",
        &format!("{t}/cancel"),
        &auth,
        Some(json!({"effectiveDate": later})),
    )
    .expect(200);
    s.call("DELETE", &format!("{t}/cancel"), &auth, None)
        .expect(200);
    let now = time::now().to_rfc3339();
    s.call(
        "POST",
        &format!("{t}/cancel"),
        &auth,
        Some(json!({"effectiveDate": now})),
    )
    .expect(200);
    s.call("DELETE", &t, &auth, None).expect(204);

    let events = feed(&s, &auth, "");
    let sequences: Vec<i64> = events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(
        sequences,
        (1..=events.len() as i64).collect::<Vec<_>>(),
        "gap-free, in order"
    );
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let expected = [
        "tenant.created",
        "connection.created",
        "tenant.updated",
        "tenant.updated",
        "tenant.deactivated",
        "tenant.updated",
        "tenant.activated",
        "user.created",
        "user.updated",
        "user.deleted",
        "connection.created",
        "connection.updated",
        "connection.deleted",
        "product.created",
        "product.updated",
        "order.created",
        "product.updated",
        "order.updated",
        "product.deleted",
        "tenant.ready",
        "tenant.cancellation_scheduled",
        "tenant.cancellation_withdrawn",
        "tenant.cancelled",
        "tenant.deleted",
    ];
    assert_eq!(types, expected);
    // Every type there is but `webhook.disabled` and `integration.*`, which have tests of
    // their own (webhook.rs below, partner_linking.rs).
    let all: std::collections::BTreeSet<&str> = tenantry_domain::event::EventType::ALL
        .iter()
        .map(|t| t.as_str())
        .filter(|t| *t != "webhook.disabled" && !t.starts_with("integration."))
        .collect();
    assert_eq!(all, expected.iter().copied().collect());
    // Payloads are the resources as the API shows them, without one-time secrets.
    assert_eq!(events[0]["data"]["codeName"], tenant.as_str());
    assert_eq!(events[0]["tenant"]["codeName"], tenant.as_str());
    assert!(events[1]["data"].get("token").is_none(), "{}", events[1]);
    assert_eq!(events[15]["data"]["totals"]["gross"], "222.50");
    assert_eq!(events[16]["data"]["stock"], 8);
    assert_eq!(events[17]["data"]["status"], "processing");

    let made = s.dispatcher().drain(time::now()).unwrap();
    assert_eq!(made, expected.len());
    let received = receiver.received();
    assert_eq!(received.len(), expected.len());
    let mut by_id: HashMap<String, &Received> = HashMap::new();
    for r in &received {
        assert_signed(r, &secret);
        assert_eq!(r.header("content-type"), "application/json");
        by_id.insert(r.header("webhook-id").to_owned(), r);
    }
    for e in &events {
        let r = by_id[e["id"].as_str().unwrap()];
        assert_eq!(&r.json(), e, "the body is the event as the feed shows it");
    }
}

#[test]
fn the_feed_filters_by_type_and_tenant_and_resumes_from_its_cursor() {
    let s = TestServer::start(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let a = s.tenant(&auth, "alpha");
    let b = s.tenant(&auth, "beta");
    s.call(
        "PATCH",
        &format!("/reseller/tenant/{a}"),
        &auth,
        Some(json!({"fullName": "A2"})),
    )
    .expect(200);
    let only_a = feed(&s, &auth, &format!("&tenant={a}"));
    assert_eq!(
        only_a
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["tenant.created", "tenant.updated"]
    );
    let created = feed(&s, &auth, "&type=tenant.created,user.created");
    assert_eq!(
        created
            .iter()
            .map(|e| e["tenant"]["codeName"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [a.as_str(), b.as_str()]
    );
    // The last page's cursor is where a poller resumes: it sees only what came after.
    let first = s
        .call("GET", "/reseller/event", &auth, None)
        .expect(200)
        .json();
    assert_eq!(first["data"].as_array().unwrap().len(), 3);
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let empty = s
        .call(
            "GET",
            &format!("/reseller/event?after={cursor}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(empty["data"], json!([]));
    assert_eq!(empty["nextCursor"], cursor.as_str());
    s.tenant(&auth, "gamma");
    let next = s
        .call(
            "GET",
            &format!("/reseller/event?after={cursor}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(next["data"][0]["type"], "tenant.created");
    assert_eq!(next["data"][0]["sequence"], 4);
    // Another reseller, and another environment, see none of these.
    let other = s.reseller("other");
    assert_eq!(feed(&s, &other.bearer(), ""), Vec::<Value>::new());
    let live = s.credentials("acme", tenantry_domain::Environment::Production);
    assert_eq!(feed(&s, &live.bearer(), ""), Vec::<Value>::new());
    // Bad queries are named.
    s.call("GET", "/reseller/event?type=tenant.exploded", &auth, None)
        .expect_problem(422, "validation_failed");
    s.call("GET", "/reseller/event?after=%%%", &auth, None)
        .expect_problem(400, "invalid_cursor");
}

#[test]
fn the_feed_has_no_gaps_while_writers_commit_concurrently() {
    let s = TestServer::start(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let writers = 8;
    let per_writer = 15;
    let seen = std::thread::scope(|scope| {
        for w in 0..writers {
            let (s, auth) = (&s, auth.clone());
            scope.spawn(move || {
                for i in 0..per_writer {
                    let code = s.tenant(&auth, &format!("w{w}-{i}"));
                    // Answered: a read of the feed finds its event, numbered.
                    let mine = s
                        .call(
                            "GET",
                            &format!("/reseller/event?tenant={code}"),
                            &auth,
                            None,
                        )
                        .expect(200)
                        .json();
                    let data = mine["data"].as_array().unwrap();
                    assert_eq!(data.len(), 1, "{mine}");
                    assert!(data[0]["sequence"].as_i64().unwrap() > 0);
                }
            });
        }
        // A poller that reads while they write: it must never skip an event that commits later
        // with a smaller sequence.
        let mut seen: Vec<i64> = Vec::new();
        let mut after = String::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while seen.len() < writers * per_writer {
            assert!(
                std::time::Instant::now() < deadline,
                "saw {} events",
                seen.len()
            );
            let page = s
                .call(
                    "GET",
                    &format!("/reseller/event?limit=7{after}"),
                    &auth,
                    None,
                )
                .expect(200)
                .json();
            seen.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["sequence"].as_i64().unwrap()),
            );
            after = format!("&after={}", page["nextCursor"].as_str().unwrap());
        }
        seen
    });
    assert_eq!(
        seen,
        (1..=(writers * per_writer) as i64).collect::<Vec<_>>()
    );
}

#[test]
fn a_receiver_that_fails_gets_the_event_again_and_the_attempts_are_listed() {
    let s = TestServer::with_webhooks(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let receiver = Receiver::start();
    receiver.script(&[500]);
    let (hook, secret) = endpoint(&s, &auth, &receiver.url, &["tenant.created"]);
    s.tenant(&auth, "retry-me");
    let dispatcher = s.dispatcher();
    let now = time::now();
    let waiting = || s.db.read(tenantry_storage::webhook::queued).unwrap();
    assert_eq!(dispatcher.drain(now).unwrap(), 1);
    // Not due again until the backoff has passed; it waits in the queue meanwhile.
    assert_eq!(dispatcher.drain(now + Duration::seconds(2)).unwrap(), 0);
    assert_eq!(waiting(), 1);
    let failing = s
        .call("GET", &format!("/reseller/webhook/{hook}"), &auth, None)
        .expect(200)
        .json();
    assert!(failing["failingSince"].is_string(), "{failing}");
    assert_eq!(dispatcher.drain(now + Duration::seconds(10)).unwrap(), 1);
    // Made: it leaves the queue, and the attempt log below keeps both attempts.
    assert_eq!(waiting(), 0);
    s.db.read(tenantry_storage::webhook::upkeep).unwrap();
    let received = receiver.received();
    assert_eq!(
        received.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 200]
    );
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
    assert_signed(&received[1], &secret);
    let list = attempt_log(&s, &auth, &hook);
    assert_eq!(list.len(), 2);
    assert_eq!(
        (
            list[0]["statusCode"].as_u64(),
            list[0]["succeeded"].as_bool()
        ),
        (Some(200), Some(true))
    );
    assert_eq!(
        (
            list[1]["statusCode"].as_u64(),
            list[1]["succeeded"].as_bool()
        ),
        (Some(500), Some(false))
    );
    assert_eq!(list[1]["response"], "answered");
    let healthy = s
        .call("GET", &format!("/reseller/webhook/{hook}"), &auth, None)
        .expect(200)
        .json();
    assert_eq!(healthy["failingSince"], Value::Null);

    // A resend delivers the same event once more.
    let event = list[0]["eventId"].as_str().unwrap();
    let queued = s
        .call(
            "POST",
            &format!("/reseller/webhook/{hook}/event/{event}/resend"),
            &auth,
            None,
        )
        .expect(202)
        .json();
    assert_eq!(queued["eventId"], event);
    assert_eq!(waiting(), 1);
    assert_eq!(dispatcher.drain(time::now()).unwrap(), 1);
    assert_eq!(waiting(), 0);
    let again = receiver.received();
    assert_eq!(again.len(), 3);
    assert_eq!(again[2].header("webhook-id"), event);
}

#[test]
fn a_write_hands_its_delivery_to_its_own_process_workers_and_a_stop_hands_back_what_waits() {
    let s = TestServer::with_webhooks(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let receiver = Receiver::start();
    // Each answer takes a while, so the one worker is still busy with its first batch while
    // the test looks.
    receiver.delay(std::time::Duration::from_millis(300));
    endpoint(&s, &auth, &receiver.url, &["tenant.created"]);
    let local = std::sync::Arc::new(s.dispatcher());
    let workers = local.clone().spawn(1);
    for i in 0..10 {
        s.tenant(&auth, &format!("handed-{i}"));
    }
    // This process's worker's alone: they are no rows of the queue, and another process
    // claims none of them.
    let other = s.dispatcher();
    assert_eq!(other.drain(time::now()).unwrap(), 0);
    assert_eq!(s.db.read(tenantry_storage::webhook::queued).unwrap(), 0);
    // The stop lets the worker finish its batch and hands back the rest, due at once.
    workers.stop();
    let made = receiver.received().len();
    assert!((1..10).contains(&made), "{made} delivered before the stop");
    assert_eq!(
        s.db.read(tenantry_storage::webhook::queued).unwrap(),
        (10 - made) as i64
    );
    assert_eq!(other.drain(time::now()).unwrap(), 10 - made);
    let counts = arrivals_per_event(&receiver.received());
    assert_eq!(counts.len(), 10);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert_eq!(s.db.read(tenantry_storage::webhook::queued).unwrap(), 0);
    // Every one of them is recorded: a sweep long after finds nothing lost.
    assert_eq!(other.sweep(time::now() + Duration::hours(1)).unwrap(), 0);
}

#[test]
fn hand_offs_a_process_never_recorded_are_queued_by_the_sweep_once_their_lease_is_past() {
    let s = TestServer::with_webhooks(BOTH);
    let auth = s.reseller("acme").bearer();
    let receiver = Receiver::start();
    // The first delivery of "retried" fails, the rest succeed.
    receiver.script(&[500]);
    let (hook, _) = endpoint(&s, &auth, &receiver.url, &["tenant.created"]);
    let queued = || s.db.read(tenantry_storage::webhook::queued).unwrap();
    let dispatcher = s.dispatcher();
    let lease = tenantry_webhook::Settings::default().lease;
    let start = time::now();

    // One write handed off and attempted (a failure: its retry waits in the queue), one
    // queued the ordinary way and delivered.
    let handoff = tenantry_storage::handoff::Handoff::new(lease);
    s.db.hand_off_deliveries(Some(handoff.clone()));
    s.tenant(&auth, "retried");
    s.db.hand_off_deliveries(None);
    let taken = handoff.take(10);
    assert_eq!(taken.len(), 1);
    assert!(
        !taken[0].delivery.in_queue,
        "a handed-off delivery has no row"
    );
    assert_eq!(queued(), 0);
    // What a worker of that process would do with it: hand it back, queued due at once.
    s.db.write(|conn| tenantry_storage::webhook::hand_back(conn, &taken[0].delivery, start))
        .unwrap();
    assert_eq!(dispatcher.drain(start).unwrap(), 1, "attempted, failed");
    assert_eq!(queued(), 1, "its retry waits");
    s.tenant(&auth, "claimed");
    assert_eq!(dispatcher.drain(time::now()).unwrap(), 1);
    // One handed back and made long after its lease: its attempt is found by its event.
    s.db.hand_off_deliveries(Some(handoff.clone()));
    s.tenant(&auth, "late");
    s.db.hand_off_deliveries(None);
    let made_late = handoff.take(10);
    assert_eq!(made_late.len(), 1);
    s.db.write(|conn| tenantry_storage::webhook::hand_back(conn, &made_late[0].delivery, start))
        .unwrap();
    let much_later = time::now() + lease * 3;
    assert_eq!(
        dispatcher.drain(much_later).unwrap(),
        2,
        "late, and the retry"
    );
    assert_eq!(queued(), 0);

    // Three writes handed to a process that stops before attempting them.
    s.db.hand_off_deliveries(Some(tenantry_storage::handoff::Handoff::new(lease)));
    for i in 0..3 {
        s.tenant(&auth, &format!("lost-{i}"));
    }
    s.db.hand_off_deliveries(None);
    assert_eq!(queued(), 0);
    // Until an event's lease is a lease past, its delivery may still be recorded.
    assert_eq!(dispatcher.sweep(time::now() + lease).unwrap(), 0);
    // An endpoint registered after the events is owed none of them; one inactive while they
    // were appended is owed none either, once active again.
    let late = Receiver::start();
    endpoint(&s, &auth, &late.url, &["tenant.created"]);
    let paused = Receiver::start();
    let (pause, _) = endpoint(&s, &auth, &paused.url, &["tenant.created"]);
    let pause = format!("/reseller/webhook/{pause}");
    s.call("PATCH", &pause, &auth, Some(json!({"active": false})))
        .expect(200);
    s.db.hand_off_deliveries(Some(tenantry_storage::handoff::Handoff::new(lease)));
    s.tenant(&auth, "lost-3");
    s.db.hand_off_deliveries(None);
    s.call("PATCH", &pause, &auth, Some(json!({"active": true})))
        .expect(200);

    let past = time::now() + lease * 2 + Duration::seconds(1);
    // lost-3 is owed to the first endpoint and to the one registered late.
    assert_eq!(dispatcher.sweep(past).unwrap(), 5);
    assert_eq!(queued(), 5);
    assert_eq!(dispatcher.drain(past + Duration::hours(1)).unwrap(), 5);
    assert_eq!(dispatcher.sweep(past + Duration::hours(2)).unwrap(), 0);
    assert_eq!(queued(), 0);

    let names = |r: &Receiver| {
        let mut names: Vec<String> = r
            .received()
            .iter()
            .filter(|r| r.status == 200)
            .map(|r| {
                r.json()["data"]["customerReference"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&receiver),
        ["claimed", "late", "lost-0", "lost-1", "lost-2", "lost-3", "retried"]
    );
    assert_eq!(names(&late), ["lost-3"]);
    assert!(paused.received().is_empty());
    assert_eq!(attempt_log(&s, &auth, &hook).len(), 8);
}

#[test]
fn a_hand_off_made_after_a_failed_one_clears_its_endpoints_failure_record() {
    let s = TestServer::with_webhooks(BOTH);
    let auth = s.reseller("acme").bearer();
    let receiver = Receiver::start();
    receiver.script(&[500]);
    let (hook, _) = endpoint(&s, &auth, &receiver.url, &["tenant.created"]);
    let workers = std::sync::Arc::new(s.dispatcher()).spawn(1);
    let endpoint_now = || {
        s.call("GET", &format!("/reseller/webhook/{hook}"), &auth, None)
            .expect(200)
            .json()
    };
    let attempts_logged = || attempt_log(&s, &auth, &hook).len();
    // Recorded once answered, in the background.
    let eventually = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "never {what}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };

    // Handed off and refused: its retry waits in the queue, and the endpoint is failing.
    s.tenant(&auth, "refused");
    eventually("logged the refusal", &|| attempts_logged() == 1);
    assert!(endpoint_now()["failingSince"].is_string());
    // Handed off and made: its success is logged and the failure record cleared.
    s.tenant(&auth, "made");
    eventually("logged the success", &|| attempts_logged() == 2);
    assert_eq!(endpoint_now()["failingSince"], Value::Null);
    workers.stop();
    assert_eq!(
        receiver
            .received()
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>(),
        [500, 200]
    );
    assert_eq!(
        s.db.read(tenantry_storage::webhook::queued).unwrap(),
        1,
        "the retry"
    );
}

#[test]
fn a_sweep_reads_a_long_feed_in_steps_and_queues_each_lost_hand_off_once() {
    let s = TestServer::with_webhooks(BOTH);
    let auth = s.reseller("acme").bearer();
    let receiver = Receiver::start();
    endpoint(&s, &auth, &receiver.url, &["order.created"]);
    let code_name = s.tenant(&auth, "filled");
    let queued = || s.db.read(tenantry_storage::webhook::queued).unwrap();
    let dispatcher = s.dispatcher();
    let lease = tenantry_webhook::Settings::default().lease;

    // 3,000 orders handed to a process that makes the first 2,500 and stops before the rest:
    // more events than one step of the sweep reads.
    let handoff = tenantry_storage::handoff::Handoff::new(lease);
    s.db.hand_off_deliveries(Some(handoff.clone()));
    for _ in 0..3 {
        s.call(
            "POST",
            &format!("/reseller/tenant/{code_name}/sandbox/order"),
            &auth,
            Some(json!({"count": 1000})),
        )
        .expect(201);
    }
    s.db.hand_off_deliveries(None);
    let made: Vec<tenantry_storage::webhook::Attempt> = handoff
        .take(2500)
        .into_iter()
        .map(|h| tenantry_storage::webhook::Attempt {
            id: uuid::Uuid::now_v7(),
            endpoint_id: h.delivery.endpoint_id,
            delivery_id: h.delivery.id,
            event_id: h.event.id,
            attempted_at: time::now(),
            status_code: Some(200),
            latency_ms: 1,
            succeeded: true,
            response: "ok".into(),
        })
        .collect();
    assert_eq!(made.len(), 2500);
    let made: Vec<&tenantry_storage::webhook::Attempt> = made.iter().collect();
    s.db.write(|conn| tenantry_storage::webhook::record_made_hand_offs(conn, &made))
        .unwrap();
    assert_eq!(queued(), 0);
    // A first step of events too young to sweep ends the sweep.
    assert_eq!(dispatcher.sweep(time::now() + lease).unwrap(), 0);
    // The second step's made deliveries were read with the first step's attempts.
    let past = time::now() + lease * 2 + Duration::seconds(1);
    assert_eq!(dispatcher.sweep(past).unwrap(), 500, "every step swept");
    assert_eq!(queued(), 500);
    assert_eq!(dispatcher.sweep(past + Duration::hours(1)).unwrap(), 0);
    assert_eq!(queued(), 500, "none queued twice");
}

#[test]
fn outcomes_of_concurrent_workers_are_all_recorded_whichever_worker_commits_them() {
    let s = TestServer::with_webhooks(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let receiver = Receiver::start();
    let (id, _) = endpoint(&s, &auth, &receiver.url, &["tenant.created"]);
    let workers = std::sync::Arc::new(s.dispatcher()).spawn(4);
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let (s, auth) = (&s, &auth);
            scope.spawn(move || {
                for i in 0..10 {
                    s.tenant(auth, &format!("w{writer}-{i}"));
                }
            });
        }
    });
    receiver.wait_until(std::time::Duration::from_secs(60), |r| r.len() >= 40);
    // Stopped workers have committed every outcome: none waits for a commit that never comes.
    workers.stop();
    let id = uuid::Uuid::parse_str(&id).unwrap();
    let (queued, logged) =
        s.db.read(|conn| {
            Ok::<_, tenantry_storage::StorageError>((
                tenantry_storage::webhook::queued(conn)?,
                tenantry_storage::webhook::attempts(conn, id, None, 100)?.rows,
            ))
        })
        .unwrap();
    assert_eq!(queued, 0, "every delivery left the queue");
    assert_eq!(logged.len(), 40, "one logged attempt per delivery");
    assert!(logged.iter().all(|a| a.succeeded));
    let counts = arrivals_per_event(&receiver.received());
    assert_eq!(counts.len(), 40);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
}

#[test]
fn a_sandbox_fill_appends_its_events_in_order_and_queues_each_for_the_endpoints_that_want_it() {
    let s = TestServer::with_webhooks(BOTH);
    let auth = s.reseller("acme").bearer();
    let orders_only = Receiver::start();
    let everything = Receiver::start();
    endpoint(&s, &auth, &orders_only.url, &["order.created"]);
    endpoint(&s, &auth, &everything.url, &[]);
    let code_name = s.tenant(&auth, "filled");
    let before = feed(&s, &auth, "");
    s.call(
        "POST",
        &format!("/reseller/tenant/{code_name}/sandbox/order"),
        &auth,
        Some(json!({"count": 5})),
    )
    .expect(201);
    let after = feed(&s, &auth, "");
    let added = &after[before.len()..];
    let types: Vec<&str> = added.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let products = types.iter().filter(|t| **t == "product.created").count();
    assert!(products > 0, "{types:?}");
    assert!(
        types[..products].iter().all(|t| *t == "product.created")
            && types[products..].iter().all(|t| *t == "order.created"),
        "products first, then the orders: {types:?}"
    );
    assert_eq!(types.len() - products, 5);
    // The sequence goes on from the events before, without a gap.
    let last_before = before.last().unwrap()["sequence"].as_i64().unwrap();
    let sequences: Vec<i64> = added
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(
        sequences,
        (last_before + 1..=last_before + added.len() as i64).collect::<Vec<_>>()
    );
    s.dispatcher().drain(time::now()).unwrap();
    let ids = |r: &Receiver| -> Vec<String> {
        r.received()
            .iter()
            .map(|d| d.header("webhook-id").to_owned())
            .collect()
    };
    let wanted = |kind: Option<&str>| -> Vec<String> {
        added
            .iter()
            .filter(|e| kind.is_none_or(|k| e["type"] == k))
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut got = ids(&orders_only);
    got.sort();
    let mut want = wanted(Some("order.created"));
    want.sort();
    assert_eq!(
        got, want,
        "the orders' endpoint gets each order once, nothing else"
    );
    let mut got = ids(&everything);
    got.retain(|id| added.iter().any(|e| e["id"] == id.as_str()));
    got.sort();
    let mut want = wanted(None);
    want.sort();
    assert_eq!(got, want, "the other gets every event of the fill once");
}

#[test]
fn a_batch_hands_back_what_it_has_no_time_left_in_its_lease_for() {
    let s = TestServer::with_webhooks(BOTH);
    let auth = s.reseller("acme").bearer();
    let receiver = Receiver::start();
    receiver.delay(std::time::Duration::from_millis(300));
    endpoint(&s, &auth, &receiver.url, &["tenant.created"]);
    for i in 0..3 {
        s.tenant(&auth, &format!("slow-{i}"));
    }
    // A lease with room for one slow attempt only: the batch of three makes one and hands
    // the other two back, due at once, instead of leaving them to outlast the lease.
    let dispatcher = tenantry_webhook::Dispatcher::new(
        s.db.clone(),
        tenantry_webhook::Settings {
            policy: tenantry_domain::webhook::UrlPolicy {
                allow_private: true,
            },
            timeout: std::time::Duration::from_millis(900),
            lease: Duration::seconds(1),
            ..Default::default()
        },
    );
    let now = time::now();
    assert_eq!(dispatcher.run_due(now).unwrap(), 1);
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(
        dispatcher.drain(now).unwrap(),
        2,
        "handed back, due at once"
    );
    let ids: std::collections::BTreeSet<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "each event once");
}

#[test]
fn an_endpoint_that_fails_for_three_days_is_disabled_and_a_webhook_disabled_event_says_so() {
    let s = TestServer::with_webhooks(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let broken = Receiver::start();
    broken.script(&[503; 20]);
    let watcher = Receiver::start();
    let (hook, _) = endpoint(&s, &auth, &broken.url, &["tenant.created"]);
    endpoint(&s, &auth, &watcher.url, &["webhook.disabled"]);
    s.tenant(&auth, "doomed");
    let dispatcher = s.dispatcher();
    let mut now = time::now();
    let mut attempts = 0;
    for _ in 0..20 {
        attempts += dispatcher.drain(now).unwrap();
        now += Duration::hours(25);
    }
    // Ten attempts (the first and nine retries), then it gave up.
    assert_eq!(broken.received().len(), 10);
    let disabled = s
        .call("GET", &format!("/reseller/webhook/{hook}"), &auth, None)
        .expect(200)
        .json();
    assert_eq!(disabled["active"], false, "{disabled}");
    assert!(disabled["disabledReason"]
        .as_str()
        .unwrap()
        .contains("72 hours"));
    let notice = watcher.received();
    assert_eq!(notice.len(), 1, "{attempts} attempts");
    assert_eq!(notice[0].json()["type"], "webhook.disabled");
    assert_eq!(notice[0].json()["data"]["id"], hook.as_str());
    // Nothing more goes to a disabled endpoint; enabling it again clears its record.
    s.tenant(&auth, "later");
    dispatcher.drain(now).unwrap();
    assert_eq!(broken.received().len(), 10);
    s.call(
        "POST",
        &format!(
            "/reseller/webhook/{hook}/event/{}/resend",
            notice[0].header("webhook-id")
        ),
        &auth,
        None,
    )
    .expect_problem(409, "webhook_disabled");
    let enabled = s
        .call(
            "PATCH",
            &format!("/reseller/webhook/{hook}"),
            &auth,
            Some(json!({"active": true})),
        )
        .expect(200)
        .json();
    assert_eq!(
        (enabled["active"].as_bool(), &enabled["disabledReason"]),
        (Some(true), &Value::Null)
    );
}

#[test]
fn a_rotated_secret_signs_beside_the_new_one_during_the_overlap() {
    let s = TestServer::with_webhooks(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let receiver = Receiver::start();
    let (hook, old) = endpoint(&s, &auth, &receiver.url, &[]);
    let rotated = s
        .call(
            "POST",
            &format!("/reseller/webhook/{hook}/secret/rotate"),
            &auth,
            Some(json!({"overlapHours": 2})),
        )
        .expect(200)
        .json();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    s.tenant(&auth, "rotating");
    s.dispatcher().drain(time::now()).unwrap();
    let r = &receiver.received()[0];
    assert_eq!(r.header("webhook-signature").matches("v1,").count(), 2);
    assert_signed(r, &old);
    assert_signed(r, &new);
    // With no overlap, only the new secret signs.
    s.call(
        "POST",
        &format!("/reseller/webhook/{hook}/secret/rotate"),
        &auth,
        Some(json!({"overlapHours": 0})),
    )
    .expect(200);
    let newest = s
        .call("GET", &format!("/reseller/webhook/{hook}"), &auth, None)
        .expect(200)
        .json();
    assert!(newest.get("secret").is_none(), "a secret is shown once");
    s.tenant(&auth, "rotated");
    s.dispatcher().drain(time::now()).unwrap();
    assert_eq!(
        receiver.received()[1]
            .header("webhook-signature")
            .matches("v1,")
            .count(),
        1
    );
}

#[test]
fn private_addresses_are_refused_when_registering_and_when_delivering() {
    let strict = TestServer::start(BOTH);
    let creds = strict.reseller("acme");
    let live = strict.credentials("acme", tenantry_domain::Environment::Production);
    for (auth, url, code) in [
        (
            live.bearer(),
            "http://hooks.example.com/in",
            "https_required",
        ),
        (live.bearer(), "https://10.0.0.8/in", "forbidden_address"),
        (creds.bearer(), "http://127.0.0.1:9/in", "forbidden_address"),
        (creds.bearer(), "http://[::1]/in", "forbidden_address"),
        (
            creds.bearer(),
            "http://localhost:8080/in",
            "forbidden_address",
        ),
    ] {
        let p = strict
            .call(
                "POST",
                "/reseller/webhook",
                &auth,
                Some(json!({"url": url})),
            )
            .expect_problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["code"], code, "{url}: {p}");
    }
    // A name that resolves to a private address at delivery time is refused too: a strict
    // worker never connects to this receiver, registered by an operator-allowed server.
    let open = TestServer::with_webhooks(BOTH);
    let creds = open.reseller("acme");
    let receiver = Receiver::start();
    let url = receiver.url.replace("127.0.0.1", "localhost");
    let (hook, _) = endpoint(&open, &creds.bearer(), &url, &[]);
    open.tenant(&creds.bearer(), "ssrf");
    let strict_worker = tenantry_webhook::Dispatcher::new(open.db.clone(), Default::default());
    assert_eq!(strict_worker.drain(time::now()).unwrap(), 1);
    assert!(receiver.received().is_empty());
    let attempts = attempt_log(&open, &creds.bearer(), &hook);
    assert_eq!(attempts[0]["statusCode"], Value::Null);
    assert!(
        attempts[0]["response"]
            .as_str()
            .unwrap()
            .contains("private"),
        "{attempts:?}"
    );
}

/// Real `tenantry serve` processes delivering to a receiver: killed mid-delivery and
/// restarted, or two side by side on one database.
mod processes {
    use super::common::process::{serve_with, temp_dir, Serve};
    use super::common::receiver::Receiver;
    use super::common::{send, Auth, TestDb};
    use serde_json::json;
    use std::collections::BTreeSet;
    use std::time::Duration;

    /// Leases shorter than a test's patience: a killed process's claims come free in 2 s.
    const FAST: &[&str] = &[
        "--webhook-allow-private",
        "--webhook-lease",
        "2",
        "--webhook-timeout",
        "1",
    ];

    fn start(db: &TestDb, dir: &std::path::Path) -> Serve {
        serve_with(db, dir, FAST, &[("TENANTRY_NO_BOOTSTRAP", "true")])
    }

    /// A reseller and its key, made by the operator's commands on the test database.
    fn reseller(db: &TestDb) -> Auth {
        super::common::process::operator_reseller(db, 1_000_000).0
    }

    fn post(base: &str, path: &str, auth: &Auth, body: serde_json::Value) -> serde_json::Value {
        let r = send(
            &super::common::agent(),
            "POST",
            &format!("{base}{path}"),
            auth,
            Some(("application/json", &body.to_string())),
        );
        assert!(r.status < 300, "{path}: {} {}", r.status, r.text);
        r.json()
    }

    fn create_tenants(base: &str, auth: &Auth, prefix: &str, n: usize) {
        for i in 0..n {
            post(
                base,
                "/reseller/tenant",
                auth,
                json!({
                    "customerReference": format!("{prefix}{i}"), "fullName": "C", "email": "c@x.example", "defaultLanguage": "swe"
                }),
            );
        }
    }

    fn ids_in_feed(db: &TestDb) -> BTreeSet<String> {
        let database = db.connect();
        let reseller = tenantry_server::admin::list_resellers(&database).unwrap()[0].id;
        let owner = tenantry_storage::Owner {
            reseller_id: reseller,
            environment: tenantry_domain::Environment::Sandbox,
        };
        let page = database
            .read(|c| {
                let filter = tenantry_storage::event::EventFilter {
                    types: vec![tenantry_domain::event::EventType::TenantCreated],
                    tenant: None,
                };
                tenantry_storage::event::list(c, &owner, &filter, 0, 1000)
            })
            .unwrap();
        page.rows.iter().map(|e| e.id.to_string()).collect()
    }

    #[test]
    fn a_server_killed_mid_delivery_and_restarted_delivers_every_event_and_loses_none() {
        let db = TestDb::new();
        let dir = temp_dir("webhook");
        let auth = reseller(&db);
        let receiver = Receiver::start();
        receiver.delay(Duration::from_millis(100));
        let first = start(&db, &dir);
        post(
            &first.base,
            "/reseller/webhook",
            &auth,
            json!({"url": receiver.url, "eventTypes": ["tenant.created"]}),
        );
        create_tenants(&first.base, &auth, "k", 30);
        receiver.wait_until(Duration::from_secs(30), |r| r.len() >= 5);
        drop(first); // SIGKILL, mid-delivery: deliveries are claimed and in flight.
        let delivered_before = receiver.received().len();
        assert!(delivered_before < 30, "the kill must come mid-delivery");
        receiver.delay(Duration::ZERO);
        let _second = start(&db, &dir);
        let expected = ids_in_feed(&db);
        assert_eq!(expected.len(), 30);
        let received = receiver.wait_until(Duration::from_secs(60), |r| {
            r.iter()
                .map(|x| x.header("webhook-id").to_owned())
                .collect::<BTreeSet<_>>()
                == expected
        });
        assert!(received.len() >= 30, "at least once");
    }

    #[test]
    fn two_server_processes_on_one_database_deliver_each_event_once() {
        let db = TestDb::new();
        let dir = temp_dir("webhook");
        let auth = reseller(&db);
        let receiver = Receiver::start();
        let a = start(&db, &dir);
        let b = start(&db, &dir);
        post(
            &a.base,
            "/reseller/webhook",
            &auth,
            json!({"url": receiver.url, "eventTypes": ["tenant.created"]}),
        );
        // Both processes take writes, so both workers are woken by commits of their own.
        std::thread::scope(|scope| {
            scope.spawn(|| create_tenants(&a.base, &auth, "a", 20));
            scope.spawn(|| create_tenants(&b.base, &auth, "b", 20));
        });
        receiver.wait_until(Duration::from_secs(60), |r| r.len() >= 40);
        // Longer than a lease and a poll: a second delivery of anything would have come.
        std::thread::sleep(Duration::from_secs(3));
        let counts = super::arrivals_per_event(&receiver.received());
        assert_eq!(counts.len(), 40);
        assert!(counts.values().all(|n| *n == 1), "{counts:?}");
        assert_eq!(
            counts.keys().cloned().collect::<BTreeSet<_>>(),
            ids_in_feed(&db)
        );
    }
}

#[test]
fn a_change_made_in_the_portal_fires_its_webhook_and_is_audited_as_the_user() {
    let s = TestServer::with_webhooks(BOTH);
    let creds = s.reseller("acme");
    let auth = creds.bearer();
    let receiver = Receiver::start();
    let (_, secret) = endpoint(&s, &auth, &receiver.url, &["connection.created"]);
    let t = s.tenant(&auth, "portal-shop");
    s.call(
        "POST",
        &format!("/reseller/tenant/{t}/user"),
        &auth,
        Some(json!({"login": "owner", "email": "owner@x.example", "role": "admin"})),
    )
    .expect(201);
    let link = s
        .call(
            "POST",
            &format!("/reseller/tenant/{t}/login/owner"),
            &auth,
            Some(json!({"path": "/portal/connections"})),
        )
        .expect(201)
        .json();
    let opened = common::send(
        &common::agent(),
        "GET",
        link["loginUrl"].as_str().unwrap(),
        &Auth::None,
        None,
    )
    .expect(303);
    let cookie = opened
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = s
        .get_with("/portal/connections", &[("Cookie", &cookie)])
        .expect(200)
        .text;
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let form = format!("csrf={csrf}&name=From+the+portal&type=webshop&configuration=");
    let headers = Auth::pairs(&[
        ("Cookie", &cookie),
        ("Origin", "null"),
        ("Sec-Fetch-Site", "same-origin"),
    ]);
    s.raw(
        "POST",
        "/portal/connections",
        &headers,
        "application/x-www-form-urlencoded",
        &form,
    )
    .expect(303);

    assert_eq!(s.dispatcher().drain(time::now()).unwrap(), 1);
    let delivered = receiver.received();
    assert_eq!(delivered.len(), 1);
    assert_signed(&delivered[0], &secret);
    let event = delivered[0].json();
    assert_eq!(event["type"], "connection.created");
    assert_eq!(event["data"]["name"], "From the portal");
    assert_eq!(event["tenant"]["codeName"], t.as_str());

    let audit = s
        .call("GET", &format!("/reseller/audit?tenant={t}"), &auth, None)
        .expect(200)
        .json();
    let entry = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["operation"] == "POST /portal/connections")
        .unwrap_or_else(|| panic!("the portal's change in {audit}"));
    assert_eq!(entry["actor"]["type"], "tenant_user");
    assert_eq!(entry["status"], 303);
}
