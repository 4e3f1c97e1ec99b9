//! `/portal/products`: admins and managers add products and change price, stock and active;
//! viewers read.

use super::*;
use tenantry_domain::event::EventType;
use tenantry_testkit::fixture;

fn product(s: &TestServer, t: &ApiTenant, sku: &str) -> Option<tenantry_domain::product::Product> {
    s.db.read(|conn| tenantry_storage::product::find(conn, t.id.parse().unwrap(), sku))
        .unwrap()
}

#[test]
fn a_manager_adds_a_product_and_changes_its_price_stock_and_activity() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let manager = Session::sign_in(&s, &t, "manager", "/portal/products");
    manager
        .post(
            "/portal/products",
            &[
                ("sku", "MUG"),
                ("name", "Mug"),
                ("price", "19.99"),
                ("currency", "sek"),
                ("stock", "12"),
                ("active", "on"),
            ],
        )
        .expect(303);
    let mug = product(&s, &t, "MUG").expect("added");
    assert_eq!(
        (mug.price, mug.currency.code, mug.stock, mug.active),
        (1999, "SEK", Some(12), true)
    );
    let page = manager.get("/portal/products").expect(200).text;
    assert!(
        page.contains("data-product=\"MUG\"") && page.contains("value=\"19.99\""),
        "{page}"
    );

    manager
        .post("/portal/products/MUG", &[("price", "24.50"), ("stock", "")])
        .expect(303);
    let mug = product(&s, &t, "MUG").unwrap();
    assert_eq!(
        (mug.price, mug.stock, mug.active),
        (2450, None, false),
        "unchecked: inactive; empty: untracked"
    );

    let bad = manager.post(
        "/portal/products/MUG",
        &[("price", "1.234"), ("stock", "3"), ("active", "on")],
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("price"), "{}", bad.text);
    assert_eq!(
        product(&s, &t, "MUG").unwrap().price,
        2450,
        "nothing changed"
    );

    let reseller =
        s.db.read(|conn| tenantry_storage::reseller::find_by_code(conn, &t.reseller.code))
            .unwrap();
    let kinds: Vec<EventType> = fixture::events(&s.db, &reseller, t.reseller.environment)
        .into_iter()
        .filter(|e| e.data["sku"] == "MUG")
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventType::ProductCreated, EventType::ProductUpdated]
    );
}

#[test]
fn bad_or_taken_product_fields_are_shown_next_to_the_form() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/products");
    let bad = admin.post(
        "/portal/products",
        &[
            ("sku", "has space"),
            ("name", ""),
            ("price", "cheap"),
            ("currency", "XXX"),
            ("stock", "-1"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("id=\"sku-error\"") && bad.text.contains("value=\"has space\""));
    let stock = admin.post(
        "/portal/products",
        &[
            ("sku", "A"),
            ("name", "A"),
            ("price", "1"),
            ("currency", "SEK"),
            ("stock", "many"),
        ],
    );
    assert_eq!(stock.status, 422);
    assert!(stock.text.contains("id=\"stock-error\""));
    admin
        .post(
            "/portal/products",
            &[
                ("sku", "A"),
                ("name", "A"),
                ("price", "1"),
                ("currency", "SEK"),
            ],
        )
        .expect(303);
    let taken = admin.post(
        "/portal/products",
        &[
            ("sku", "A"),
            ("name", "B"),
            ("price", "2"),
            ("currency", "SEK"),
        ],
    );
    assert_eq!(taken.status, 422);
    assert!(taken.text.contains("A product with SKU A exists already."));
    assert_eq!(product(&s, &t, "A").unwrap().name, "A");
    assert!(product(&s, &t, "has space").is_none());
    assert_eq!(
        admin
            .post("/portal/products/NOPE", &[("price", "1")])
            .status,
        404
    );
    assert_eq!(
        admin
            .post("/portal/products/bad%20sku", &[("price", "1")])
            .status,
        404
    );
}

#[test]
fn viewers_read_products_and_their_forged_posts_change_nothing() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/products");
    admin
        .post(
            "/portal/products",
            &[
                ("sku", "MUG"),
                ("name", "Mug"),
                ("price", "19.99"),
                ("currency", "SEK"),
                ("active", "on"),
            ],
        )
        .expect(303);
    let viewer = Session::sign_in(&s, &t, "viewer", "/portal/products");
    let page = viewer.get("/portal/products").expect(200).text;
    assert!(
        page.contains("SEK 19.99") && page.contains("id=\"read-only\""),
        "{page}"
    );
    assert!(
        !page.contains("id=\"create-product\"")
            && !page.contains("action=\"/portal/products/MUG\"")
    );
    assert_eq!(
        viewer
            .post("/portal/products/MUG", &[("price", "0.01")])
            .status,
        403
    );
    assert_eq!(
        viewer
            .post(
                "/portal/products",
                &[
                    ("sku", "X"),
                    ("name", "X"),
                    ("price", "1"),
                    ("currency", "SEK")
                ]
            )
            .status,
        403
    );
    assert_eq!(product(&s, &t, "MUG").unwrap().price, 1999);
    assert!(product(&s, &t, "X").is_none());
}
