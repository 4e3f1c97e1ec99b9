//! `/portal/orders`: newest first in pages, filtered by status and day; an order's rows and
//! exact totals; its status moved by admins and managers along the state machine only.

use super::*;
use tenantry_domain::event::EventType;
use tenantry_domain::order::{Order, OrderStatus};
use tenantry_portal::i18n::Lang;
use tenantry_service::Actor;
use tenantry_testkit::fixture;

/// Fills the sandbox tenant with `count` orders through the use case.
fn fill(s: &TestServer, t: &ApiTenant, count: i64) -> Vec<Order> {
    let stored = s.stored_tenant(t);
    s.db.write(|conn| {
        tenantry_service::sandbox::fill(
            conn,
            &Actor::Operator,
            &stored,
            count,
            tenantry_domain::time::now(),
        )
    })
    .unwrap();
    s.db.read(|conn| tenantry_storage::order::list(conn, stored.id, 0, &Default::default(), 1000))
        .unwrap()
        .rows
}

fn order_ids(html: &str) -> Vec<String> {
    html.match_indices("data-order=\"")
        .map(|(at, m)| html[at + m.len()..at + m.len() + 36].to_owned())
        .collect()
}

#[test]
fn orders_page_newest_first_and_filter_by_status_and_day() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let placed = fill(&s, &t, 30);
    let viewer = Session::sign_in(&s, &t, "viewer", "/portal/orders");
    let first = viewer.get("/portal/orders").expect(200).text;
    let mut seen = order_ids(&first);
    assert_eq!(seen.len(), 25, "a page of 25");
    let next = first
        .split("id=\"next-page\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the next page")
        .replace("&amp;", "&");
    let second = viewer.get(&next).expect(200).text;
    assert!(!second.contains("id=\"next-page\""), "the last page");
    seen.extend(order_ids(&second));
    let mut expected: Vec<String> = placed.iter().map(|o| o.id.to_string()).collect();
    expected.sort();
    let mut all = seen.clone();
    all.sort();
    assert_eq!(all, expected, "every order once");

    // Filters: a status, and the day it was placed.
    let manager = Session::sign_in(&s, &t, "manager", "/portal/orders");
    let moved = &placed[3];
    manager
        .post(
            &format!("/portal/orders/{}/status", moved.id),
            &[("status", "processing")],
        )
        .expect(303);
    let processing = viewer
        .get("/portal/orders?status=processing")
        .expect(200)
        .text;
    assert_eq!(order_ids(&processing), [moved.id.to_string()]);
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    assert_eq!(
        order_ids(
            &viewer
                .get(&format!("/portal/orders?to={yesterday}"))
                .expect(200)
                .text
        )
        .len(),
        0
    );
    assert_eq!(
        order_ids(
            &viewer
                .get(&format!("/portal/orders?from={today}&to={today}"))
                .expect(200)
                .text
        )
        .len(),
        25
    );
    for bad in [
        "/portal/orders?status=lost",
        "/portal/orders?from=yesterday",
        "/portal/orders?after=nope",
    ] {
        assert_eq!(viewer.get(bad).status, 400, "{bad}");
    }
}

#[test]
fn an_order_shows_its_rows_and_exact_totals_and_moves_only_where_the_state_machine_allows() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let order = fill(&s, &t, 1).remove(0);
    let path = format!("/portal/orders/{}", order.id);
    let manager = Session::sign_in(&s, &t, "manager", &path);
    let page = manager.get(&path).expect(200).text;
    let en = Lang::En.texts();
    for (id, minor) in [
        ("total-net", order.totals.net),
        ("total-vat", order.totals.vat),
    ] {
        assert!(
            page.contains(&format!("id=\"{id}\">{}<", en.money(order.currency, minor))),
            "{id}: {page}"
        );
    }
    assert!(page.contains(&format!(
        "<strong>{}</strong>",
        en.money(order.currency, order.totals.gross)
    )));
    for row in &order.rows {
        assert!(page.contains(&row.sku), "{}", row.sku);
    }
    // A new order may become processing or cancelled, nothing else.
    let offered: Vec<&str> = ["processing", "shipped", "delivered", "cancelled"]
        .into_iter()
        .filter(|m| page.contains(&format!("data-move=\"{m}\"")))
        .collect();
    assert_eq!(offered, ["processing", "cancelled"]);

    let status = format!("{path}/status");
    let moved = manager
        .post(&status, &[("status", "processing")])
        .expect(303);
    assert_eq!(
        moved.header("location"),
        Some(format!("{path}?notice=moved").as_str())
    );
    let illegal = manager.post(&status, &[("status", "delivered")]);
    assert_eq!(illegal.status, 409, "{}", illegal.text);
    assert!(
        illegal
            .text
            .contains("An order that is Processing cannot become Delivered."),
        "{}",
        illegal.text
    );
    let stored =
        s.db.read(|conn| tenantry_storage::order::find(conn, order.tenant_id, order.id))
            .unwrap();
    assert_eq!(stored.status, OrderStatus::Processing);
    let reseller =
        s.db.read(|conn| tenantry_storage::reseller::find_by_code(conn, &t.reseller.code))
            .unwrap();
    let updated: Vec<_> = fixture::events(&s.db, &reseller, t.reseller.environment)
        .into_iter()
        .filter(|e| e.kind == EventType::OrderUpdated)
        .collect();
    assert_eq!(updated.len(), 1, "one event for the one move");
    assert_eq!(updated[0].data["status"], "processing");

    // A viewer sees no moves and its forged post changes nothing.
    let viewer = Session::sign_in(&s, &t, "viewer", &path);
    assert!(!viewer.get(&path).expect(200).text.contains("data-move="));
    assert_eq!(viewer.post(&status, &[("status", "shipped")]).status, 403);
    assert_eq!(manager.post(&status, &[("status", "lost")]).status, 400);
}

#[test]
fn another_tenants_order_is_not_found() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let stranger = s.api_tenant(&t.reseller, "elsewhere", Role::Admin);
    let theirs = fill(&s, &stranger, 1).remove(0);
    let admin = Session::sign_in(&s, &t, "api", "/portal/orders");
    assert_eq!(
        admin.get(&format!("/portal/orders/{}", theirs.id)).status,
        404
    );
    let forged = admin.post(
        &format!("/portal/orders/{}/status", theirs.id),
        &[("status", "cancelled")],
    );
    assert_eq!(forged.status, 404);
    assert_eq!(admin.get("/portal/orders/not-a-uuid").status, 404);
    let stored =
        s.db.read(|conn| tenantry_storage::order::find(conn, theirs.tenant_id, theirs.id))
            .unwrap();
    assert_eq!(stored.status, OrderStatus::New);
}
