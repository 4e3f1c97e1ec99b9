//! `/portal/activity` and `/portal/usage`: this tenant's audit entries, newest first, in
//! pages; its API calls per day over 30 days, counted from the usage counters only (the
//! portal's own pages are not API calls).

use super::*;
use tenantry_domain::usage::{CounterKey, DayRange, Metric, StatusClass, Tally};
use tenantry_storage::usage;

#[test]
fn the_activity_page_lists_this_tenants_entries_newest_first_in_pages() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let other = s.api_tenant(&t.reseller, "elsewhere", Role::Admin);
    let admin = Session::sign_in(&s, &t, "api", "/portal/activity");
    for i in 0..26 {
        let name = format!("Connection {i}");
        admin
            .post(
                "/portal/connections",
                &[("name", &name), ("type", "webshop"), ("configuration", "")],
            )
            .expect(303);
    }
    let outsider = Session::sign_in(&s, &other, "api", "/portal");
    outsider
        .post(
            "/portal/connections",
            &[
                ("name", "Theirs"),
                ("type", "webshop"),
                ("configuration", ""),
            ],
        )
        .expect(303);
    admin.post(
        "/portal/connections",
        &[("name", ""), ("type", "webshop"), ("configuration", "")],
    );

    let viewer = Session::sign_in(&s, &t, "viewer", "/portal/activity");
    let first = viewer.get("/portal/activity").expect(200).text;
    let rows = |html: &str| {
        html.matches("<code>POST /portal/connections</code>")
            .count()
    };
    assert_eq!(rows(&first), 25, "a page of 25");
    assert!(
        first.contains("Refused"),
        "the refused create is the newest entry: {first}"
    );
    assert!(first.contains("A user of this account"));
    let next = first
        .split("id=\"next-page\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("older entries");
    let second = viewer.get(next).expect(200).text;
    assert_eq!(
        rows(&second),
        2,
        "27 entries of this tenant, none of the other's"
    );
    assert!(!second.contains("id=\"next-page\""));
    assert_eq!(viewer.get("/portal/activity?before=nonsense").status, 400);
}

#[test]
fn the_usage_page_charts_the_tenants_api_calls_per_day_and_not_its_page_views() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let other = s.api_tenant(&t.reseller, "elsewhere", Role::Admin);
    let (mine, theirs) = (s.stored_tenant(&t), s.stored_tenant(&other));
    let today = chrono::Utc::now().date_naive();
    let count = |tenant, days_ago: i64, status, n: i64| {
        let key = CounterKey::for_tenant(
            tenant,
            today - chrono::Duration::days(days_ago),
            Metric::Requests(status),
            "GET /tenant/order",
        );
        (
            key,
            Tally {
                count: n,
                amount: 0,
            },
        )
    };
    let counters = [
        count(&mine, 0, StatusClass::Success, 40),
        count(&mine, 0, StatusClass::ClientError, 2),
        count(&mine, 3, StatusClass::Success, 21),
        count(&mine, 45, StatusClass::Success, 1000),
        count(&theirs, 0, StatusClass::Success, 7),
    ];
    s.db.write(|conn| usage::add(conn, &counters, &[])).unwrap();

    let viewer = Session::sign_in(&s, &t, "viewer", "/portal/usage");
    let page = viewer.get("/portal/usage").expect(200).text;
    assert!(
        page.contains("id=\"total\">63<"),
        "42 today and 21 three days ago: {page}"
    );
    assert!(page.contains("id=\"busiest\">42<"));
    assert_eq!(page.matches("<rect ").count(), 30, "a bar a day");
    assert!(
        page.contains("height=\"160\""),
        "the busiest day fills the chart"
    );
    assert!(page.contains("height=\"80\""), "21 of 42 is half of it");
    assert!(
        page.contains("<svg") && !page.contains("<script>"),
        "an SVG chart, no inline script"
    );

    // The portal's own requests count in no usage figure.
    s.state().usage.flush().unwrap();
    let owner = tenantry_storage::Owner {
        reseller_id: mine.reseller_id,
        environment: mine.environment,
    };
    let recorded = s
        .db
        .read(|conn| usage::daily_requests(conn, &owner, &mine.code_name, DayRange::last(1, today)))
        .unwrap();
    assert_eq!(recorded, [(today, 42)], "only the counters written above");
}
