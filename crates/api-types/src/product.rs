//! A product as the Tenant API shows it and `product.*` events carry it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::product::Product;
use utoipa::ToSchema;

/// A product as the Tenant API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductOut {
    pub sku: String,
    pub name: String,
    pub price: String,
    pub currency: String,
    pub stock: Option<i64>,
    pub allow_backorder: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sequence: i64,
}

impl From<Product> for ProductOut {
    fn from(p: Product) -> Self {
        ProductOut {
            price: p.currency.format(p.price),
            currency: p.currency.code.to_owned(),
            sku: p.sku,
            name: p.name,
            stock: p.stock,
            allow_backorder: p.allow_backorder,
            active: p.active,
            created_at: p.created_at,
            updated_at: p.updated_at,
            sequence: p.sequence,
        }
    }
}
