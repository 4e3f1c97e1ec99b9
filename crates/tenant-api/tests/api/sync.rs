//! The incremental sync feed under concurrent writers.

use super::*;

/// Pages through `/tenant/order` from `cursor` until `hasMore` is false; returns the orders
/// seen and the cursor to resume from.
fn sync(
    s: &TestServer,
    auth: &Auth,
    mut cursor: String,
    limit: usize,
    seen: &mut HashMap<String, Value>,
) -> String {
    loop {
        let path = if cursor.is_empty() {
            format!("/tenant/order?limit={limit}")
        } else {
            format!("/tenant/order?limit={limit}&cursor={cursor}")
        };
        let page = s.call("GET", &path, auth, None).expect(200).json();
        for o in page["data"].as_array().unwrap() {
            seen.insert(o["id"].as_str().unwrap().to_owned(), o.clone());
        }
        cursor = page["nextCursor"]
            .as_str()
            .expect("nextCursor on every page")
            .to_owned();
        if !page["hasMore"].as_bool().unwrap() {
            return cursor;
        }
    }
}

#[test]
fn the_sync_feed_pages_by_change_and_resumes_from_any_cursor() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let auth = t.bearer();
    let empty = s
        .call("GET", "/tenant/order", &auth, None)
        .expect(200)
        .json();
    assert_eq!(
        (empty["data"].clone(), empty["hasMore"].clone()),
        (json!([]), json!(false))
    );
    let start = empty["nextCursor"]
        .as_str()
        .expect("a cursor even on an empty page")
        .to_owned();
    let ids: Vec<String> = (0..5)
        .map(|i| {
            s.call(
                "POST",
                "/tenant/order",
                &auth,
                Some(order(&format!("S-{i}"))),
            )
            .expect(201)
            .json()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut seen = HashMap::new();
    let cursor = sync(&s, &auth, start.clone(), 2, &mut seen);
    assert_eq!(seen.len(), 5);
    // Nothing new: an empty page that keeps the cursor.
    let idle = s
        .call(
            "GET",
            &format!("/tenant/order?cursor={cursor}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        (idle["data"].clone(), idle["nextCursor"].as_str()),
        (json!([]), Some(cursor.as_str()))
    );
    // An update moves the order past the cursor: the next sync sees exactly it.
    s.call(
        "PATCH",
        &format!("/tenant/order/{}", ids[1]),
        &auth,
        Some(json!({"status": "processing"})),
    )
    .expect(200);
    let mut changed = HashMap::new();
    let cursor = sync(&s, &auth, cursor, 2, &mut changed);
    assert_eq!(changed.keys().collect::<Vec<_>>(), vec![&ids[1]]);
    assert_eq!(changed[&ids[1]]["status"], "processing");
    // Filters.
    let by_status = s
        .call("GET", "/tenant/order?status=processing", &auth, None)
        .expect(200)
        .json();
    assert_eq!(by_status["data"].as_array().unwrap().len(), 1);
    let future = s
        .call(
            "GET",
            "/tenant/order?modifiedSince=2999-01-01T00:00:00Z",
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(future["data"], json!([]));
    let updated_at = changed[&ids[1]]["updatedAt"].as_str().unwrap().to_owned();
    let since = s
        .call(
            "GET",
            &format!("/tenant/order?modifiedSince={updated_at}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        since["data"][0]["id"],
        ids[1].as_str(),
        "modifiedSince is inclusive"
    );
    s.call("GET", "/tenant/order?modifiedSince=yesterday", &auth, None)
        .expect_problem(400, "invalid_query");
    s.call("GET", "/tenant/order?status=lost", &auth, None)
        .expect_problem(400, "invalid_query");
    s.call("GET", "/tenant/order?cursor=%%%", &auth, None)
        .expect_problem(400, "invalid_cursor");
    s.call("GET", "/tenant/order?limit=500", &auth, None)
        .expect_problem(400, "invalid_limit");
    s.call("GET", "/tenant/order?limit=x", &auth, None)
        .expect_problem(400, "invalid_query");
    // The caller is judged before its query: a bad credential hears 401, not the query's fault.
    s.call("GET", "/tenant/order?limit=500", &Auth::None, None)
        .expect_problem(401, "unauthorized");
    let _ = cursor;
}

#[test]
fn a_reader_syncing_during_concurrent_writes_ends_with_every_final_order() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    let writers = 4;
    let per_writer = 25;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut seen = HashMap::new();
    std::thread::scope(|scope| {
        for w in 0..writers {
            let (s, t, done) = (&s, &t, &done);
            scope.spawn(move || {
                let mut mine: Vec<String> = Vec::new();
                for i in 0..per_writer {
                    // Mostly creates, with updates of this writer's earlier orders between them.
                    if i % 3 == 2 {
                        let id = &mine[i % mine.len()];
                        let status = if i % 2 == 0 {
                            "processing"
                        } else {
                            "cancelled"
                        };
                        let r = s.call(
                            "PATCH",
                            &format!("/tenant/order/{id}"),
                            &t.bearer(),
                            Some(json!({"status": status, "metadata": {"touch": i}})),
                        );
                        assert!(r.status == 200 || r.status == 409, "{}", r.text);
                    } else {
                        let o = s
                            .call(
                                "POST",
                                "/tenant/order",
                                &t.bearer(),
                                Some(order(&format!("W{w}-{i}"))),
                            )
                            .expect(201)
                            .json();
                        mine.push(o["id"].as_str().unwrap().to_owned());
                    }
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        // The reader syncs in a loop while the writers run, keeping only its cursor.
        let mut cursor = String::new();
        while done.load(std::sync::atomic::Ordering::SeqCst) < writers {
            cursor = sync(&s, &t.bearer(), cursor.clone(), 7, &mut seen);
        }
        // Writers stopped: drain.
        sync(&s, &t.bearer(), cursor, 7, &mut seen);
    });
    // The truth, read directly: every order, final version.
    let mut truth = HashMap::new();
    sync(&s, &t.bearer(), String::new(), 200, &mut truth);
    assert_eq!(truth.len(), writers * (per_writer - per_writer / 3));
    assert_eq!(seen.len(), truth.len(), "the reader saw every order");
    for (id, order) in &truth {
        assert_eq!(
            &seen[id], order,
            "the reader holds the final version of {id}"
        );
    }
}
