//! Filling a sandbox tenant with realistic generated orders and the products they name
//! (Partoo: "the account starts empty, but can be filled by fake data").

use crate::{Actor, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_api_types::order::placed_events;
use tenantry_api_types::product::ProductOut;
use tenantry_domain::event::{EventType, NewEvent};
use tenantry_domain::order::{price_rows, Order, OrderStatus};
use tenantry_domain::product::Product;
use tenantry_domain::tenant::Tenant;
use tenantry_domain::{money::Currency, sandbox, Environment};
use tenantry_storage::DbConnection;
use tenantry_storage::{event, order as orders, product as products, tenant as tenants};
use uuid::Uuid;

/// What a fill generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filled {
    pub orders_created: i64,
    pub products_created: i64,
}

/// Fills the sandbox tenant `tenant` with `count` (1 to 1000) generated orders and the
/// catalogue products they name that it lacks; appends `product.created` and the events of
/// each placed order. Refused for a production tenant.
pub fn fill(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    count: i64,
    now: DateTime<Utc>,
) -> Result<Filled, ServiceError> {
    if !(1..=1000).contains(&count) {
        return Err(
            tenantry_domain::DomainError::invalid("count", "range", "must be 1 to 1000").into(),
        );
    }
    if tenant.environment != Environment::Sandbox {
        return Err(ServiceError::Conflict {
            code: "production_tenant",
            message: "fake data is only for sandbox tenants".into(),
        });
    }
    let sek = Currency::from_code("SEK").expect("SEK is known");
    let mut products_created = 0;
    let mut events = Vec::new();
    for (sku, name, price, _) in sandbox::PRODUCTS {
        if products::find(conn, tenant.id, sku)?.is_none() {
            let product = Product {
                tenant_id: tenant.id,
                sku: sku.to_string(),
                name: name.to_string(),
                price: sek.parse_amount(price, "price")?,
                currency: sek,
                stock: None,
                allow_backorder: false,
                active: true,
                created_at: now,
                updated_at: now,
                sequence: tenants::next_sequence(conn, tenant.id)?,
            };
            products::insert(conn, &product)?;
            let out = ProductOut::from(product);
            events.push(NewEvent::about(tenant, EventType::ProductCreated, &out));
            products_created += 1;
        }
    }
    let seed = Uuid::new_v4().as_u64_pair().0;
    let first = now.timestamp_micros() as u64;
    for generated in sandbox::orders(seed, first, count as u64) {
        let (rows, totals) = price_rows(sek, &generated.rows)?;
        let order = Order {
            tenant_id: tenant.id,
            id: Uuid::new_v4(),
            number: generated.number,
            status: OrderStatus::New,
            currency: sek,
            customer: generated.customer,
            billing_address: generated.address.clone(),
            shipping_address: generated.address,
            rows,
            totals,
            metadata: Default::default(),
            created_at: now,
            updated_at: now,
            sequence: 0,
        };
        let (order, drawn) = orders::place(conn, order)?;
        events.extend(placed_events(tenant, &order, drawn));
    }
    // Appended together: one counter update and one read of the endpoints for them all.
    event::append_all(conn, events, now)?;
    log::debug!(
        "{actor} filled sandbox tenant {} with {count} orders",
        tenant.code_name
    );
    Ok(Filled {
        orders_created: count,
        products_created,
    })
}
