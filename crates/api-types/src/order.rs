//! An order as the Tenant API shows it and `order.created` / `order.updated` carry it.

use crate::product::ProductOut;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::event::{EventType, NewEvent};
use tenantry_domain::money::format_vat_rate;
use tenantry_domain::order::{Address, Customer, Order, OrderStatus};
use tenantry_domain::product::Product;
use tenantry_domain::tenant::Tenant;
use utoipa::ToSchema;
use uuid::Uuid;

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// An order row with its computed amounts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowOut {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub vat_rate: String,
    /// quantity × unitPrice.
    pub net: String,
    /// VAT on `net`, rounded half away from zero to the minor unit.
    pub vat: String,
}

/// Order totals, exact.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsOut {
    pub net: String,
    pub vat: String,
    pub gross: String,
}

/// An order as the Tenant API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderOut {
    pub id: Uuid,
    pub number: String,
    #[schema(value_type = String)]
    pub status: OrderStatus,
    pub currency: String,
    #[schema(value_type = Object)]
    pub customer: Customer,
    #[schema(value_type = Object)]
    pub billing_address: Address,
    #[schema(value_type = Object)]
    pub shipping_address: Address,
    pub rows: Vec<RowOut>,
    pub totals: TotalsOut,
    #[schema(value_type = Object)]
    pub metadata: JsonObject,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The tenant's change sequence at this order's last write.
    pub sequence: i64,
}

impl From<Order> for OrderOut {
    fn from(o: Order) -> Self {
        let c = o.currency;
        OrderOut {
            id: o.id,
            number: o.number,
            status: o.status,
            currency: c.code.to_owned(),
            customer: o.customer,
            billing_address: o.billing_address,
            shipping_address: o.shipping_address,
            rows: o
                .rows
                .into_iter()
                .map(|r| RowOut {
                    sku: r.sku,
                    name: r.name,
                    quantity: r.quantity,
                    unit_price: c.format(r.unit_price),
                    vat_rate: format_vat_rate(r.vat_rate),
                    net: c.format(r.net),
                    vat: c.format(r.vat),
                })
                .collect(),
            totals: TotalsOut {
                net: c.format(o.totals.net),
                vat: c.format(o.totals.vat),
                gross: c.format(o.totals.gross),
            },
            metadata: o.metadata,
            created_at: o.created_at,
            updated_at: o.updated_at,
            sequence: o.sequence,
        }
    }
}

/// The events of a placed order: `order.created`, and `product.updated` for each product whose
/// stock it drew.
pub fn placed_events(tenant: &Tenant, order: &Order, drawn: Vec<Product>) -> Vec<NewEvent> {
    let created = NewEvent::about(
        tenant,
        EventType::OrderCreated,
        &OrderOut::from(order.clone()),
    );
    std::iter::once(created)
        .chain(drawn.into_iter().map(|product| {
            NewEvent::about(
                tenant,
                EventType::ProductUpdated,
                &ProductOut::from(product),
            )
        }))
        .collect()
}
