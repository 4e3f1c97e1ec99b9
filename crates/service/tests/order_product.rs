//! Orders and products on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): each write appends its events in the tenant's change order —
//! placing an order appends `order.created` and `product.updated` for the stock it drew — and
//! a refused write appends nothing.

use chrono::Utc;
use tenantry_domain::event::EventType;
use tenantry_domain::order::{price_rows, Order, OrderPatch, OrderStatus, RowDraft};
use tenantry_domain::product::{ProductDraft, ProductPatch};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::{money::Currency, time, Environment};
use tenantry_service::{order, product, Actor, ServiceError};
use tenantry_testkit::fixture::{events, reseller, tenant};
use tenantry_testkit::TestDb;
use uuid::Uuid;

fn mug(stock: Option<i64>) -> ProductDraft {
    ProductDraft {
        sku: "MUG".into(),
        name: "Mug".into(),
        price: "89.00".into(),
        currency: "SEK".into(),
        stock,
        allow_backorder: false,
        active: true,
    }
}

fn an_order(shop: &Tenant, number: &str, quantity: i64) -> Order {
    let sek = Currency::from_code("SEK").unwrap();
    let rows = [RowDraft {
        sku: "MUG".into(),
        name: "Mug".into(),
        quantity,
        unit_price: "89.00".into(),
        vat_rate: "25".into(),
    }];
    let (rows, totals) = price_rows(sek, &rows).unwrap();
    let now = Utc::now();
    Order {
        tenant_id: shop.id,
        id: Uuid::new_v4(),
        number: number.into(),
        status: OrderStatus::New,
        currency: sek,
        customer: Default::default(),
        billing_address: Default::default(),
        shipping_address: Default::default(),
        rows,
        totals,
        metadata: Default::default(),
        created_at: now,
        updated_at: now,
        sequence: 0,
    }
}

#[test]
fn placing_and_changing_orders_appends_their_events_and_draws_stock() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let actor = Actor::TenantToken("conn".into());
    let now = time::now();
    db.write(|conn| product::create(conn, &actor, &shop, mug(Some(5)), now))
        .unwrap();
    let placed = db
        .write(|conn| order::place(conn, &actor, &shop, an_order(&shop, "WEB-1", 2), now))
        .unwrap();
    let feed = events(&db, &acme, Environment::Sandbox);
    let kinds: Vec<EventType> = feed.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventType::ProductCreated,
            EventType::OrderCreated,
            EventType::ProductUpdated
        ]
    );
    assert!(feed.windows(2).all(|w| w[1].sequence == w[0].sequence + 1));
    assert_eq!(feed[1].data["number"], "WEB-1");
    assert_eq!(feed[1].data["totals"]["gross"], "222.50");
    assert_eq!(feed[2].data["stock"], 3);

    // Refused: the number is taken; too little stock. Nothing appended, nothing drawn.
    let taken = db
        .write(|conn| order::place(conn, &actor, &shop, an_order(&shop, "WEB-1", 1), now))
        .unwrap_err();
    assert!(
        matches!(&taken, ServiceError::OrderExists { number } if number == "WEB-1"),
        "{taken:?}"
    );
    let short = db
        .write(|conn| order::place(conn, &actor, &shop, an_order(&shop, "WEB-2", 4), now))
        .unwrap_err();
    let ServiceError::InsufficientStock(s) = short else {
        panic!("{short:?}")
    };
    assert_eq!((s.available, s.requested), (3, 4));
    assert_eq!(events(&db, &acme, Environment::Sandbox).len(), 3);

    let to = |status| OrderPatch {
        status: Some(status),
        ..Default::default()
    };
    let shipped = db
        .write(|conn| {
            order::update(
                conn,
                &actor,
                &shop,
                placed.id,
                to(OrderStatus::Processing),
                now,
            )?;
            order::update(
                conn,
                &actor,
                &shop,
                placed.id,
                to(OrderStatus::Shipped),
                now,
            )
        })
        .unwrap();
    assert_eq!(shipped.status, OrderStatus::Shipped);
    let illegal = db
        .write(|conn| order::update(conn, &actor, &shop, placed.id, to(OrderStatus::New), now))
        .unwrap_err();
    assert!(
        matches!(illegal, ServiceError::IllegalTransition(_)),
        "{illegal:?}"
    );
    let feed = events(&db, &acme, Environment::Sandbox);
    let updates: Vec<&str> = feed[3..]
        .iter()
        .map(|e| {
            assert_eq!(e.kind, EventType::OrderUpdated);
            e.data["status"].as_str().unwrap()
        })
        .collect();
    assert_eq!(updates, ["processing", "shipped"]);

    // Another tenant's order is not found.
    let other = tenant(&db, &acme, 2, Environment::Sandbox, &[]);
    let elsewhere = db
        .write(|conn| {
            order::update(
                conn,
                &actor,
                &other,
                placed.id,
                to(OrderStatus::Delivered),
                now,
            )
        })
        .unwrap_err();
    assert!(
        matches!(elsewhere, ServiceError::NotFound(_)),
        "{elsewhere:?}"
    );
}

#[test]
fn products_are_created_changed_and_deleted_each_with_its_event() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let shop = tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let actor = Actor::TenantUser(Uuid::new_v4());
    let now = time::now();
    db.write(|conn| product::create(conn, &actor, &shop, mug(None), now))
        .unwrap();
    let again = db
        .write(|conn| product::create(conn, &actor, &shop, mug(None), now))
        .unwrap_err();
    assert!(
        matches!(&again, ServiceError::ProductExists { sku } if sku == "MUG"),
        "{again:?}"
    );
    let bad = ProductDraft {
        price: "cheap".into(),
        ..mug(None)
    };
    let invalid = db
        .write(|conn| product::create(conn, &actor, &shop, bad, now))
        .unwrap_err();
    assert!(matches!(invalid, ServiceError::Invalid(_)), "{invalid:?}");
    let patch = ProductPatch {
        name: Some("Big mug".into()),
        ..Default::default()
    };
    db.write(|conn| product::update(conn, &actor, &shop, "MUG", patch, now))
        .unwrap();
    db.write(|conn| product::delete(conn, &actor, &shop, "MUG"))
        .unwrap();
    let gone = db
        .write(|conn| product::delete(conn, &actor, &shop, "MUG"))
        .unwrap_err();
    assert!(matches!(gone, ServiceError::NotFound(_)), "{gone:?}");

    let feed = events(&db, &acme, Environment::Sandbox);
    let kinds: Vec<EventType> = feed.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventType::ProductCreated,
            EventType::ProductUpdated,
            EventType::ProductDeleted
        ]
    );
    assert_eq!(feed[1].data["name"], "Big mug");
    assert_eq!(
        feed[2].data["name"], "Big mug",
        "deleted carries it as it was"
    );
}
