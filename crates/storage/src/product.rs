//! Products, always within one tenant.

use crate::convert::{from_db_time, to_db_time};
use crate::schema::products;
use crate::tenant_token::{self, CredentialCheck};
use crate::{DbConnection, Page, Result, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_domain::order::currency;
use tenantry_domain::product::Product;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = products)]
struct StoredProduct {
    tenant_id: String,
    sku: String,
    name: String,
    price: i64,
    currency: String,
    stock: Option<i64>,
    allow_backorder: bool,
    active: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    sequence: i64,
}

impl StoredProduct {
    fn from_domain(p: &Product) -> Self {
        StoredProduct {
            tenant_id: p.tenant_id.to_string(),
            sku: p.sku.clone(),
            name: p.name.clone(),
            price: p.price,
            currency: p.currency.code.to_owned(),
            stock: p.stock,
            allow_backorder: p.allow_backorder,
            active: p.active,
            created_at: to_db_time(p.created_at),
            updated_at: to_db_time(p.updated_at),
            sequence: p.sequence,
        }
    }

    fn into_domain(self) -> Result<Product> {
        Ok(Product {
            tenant_id: crate::convert::uuid(&self.tenant_id)?,
            sku: self.sku,
            name: self.name,
            price: self.price,
            currency: currency(&self.currency).map_err(|e| StorageError::Corrupt(e.message))?,
            stock: self.stock,
            allow_backorder: self.allow_backorder,
            active: self.active,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
            sequence: self.sequence,
        })
    }
}

/// Stores a new product; a SKU taken within the tenant is [`StorageError::Duplicate`].
pub fn insert(conn: &mut DbConnection, product: &Product) -> Result<()> {
    diesel::insert_into(products::table)
        .values(StoredProduct::from_domain(product))
        .execute(conn)?;
    Ok(())
}

/// The tenant's product with this SKU, if any.
pub fn find(conn: &mut DbConnection, tenant_id: Uuid, sku: &str) -> Result<Option<Product>> {
    products::table
        .filter(products::tenant_id.eq(tenant_id.to_string()))
        .filter(products::sku.eq(sku))
        .select(StoredProduct::as_select())
        .first(conn)
        .optional()?
        .map(StoredProduct::into_domain)
        .transpose()
}

/// A page of the tenant's products by SKU, after the SKU `after`.
pub fn list(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<Product>> {
    let rows = page_rows(conn, None, &tenant_id.to_string(), after, limit)?;
    Ok(Page::from_overfetch(rows, limit))
}

/// [`list`] for a Tenant API caller, in the same statement as the check its credential is
/// owed ([`CredentialCheck`]): `None` when the credential no longer authenticates.
pub fn list_for(
    conn: &mut DbConnection,
    credential: &CredentialCheck,
    tenant_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Option<Page<Product>>> {
    credential.page(conn, tenant_id, limit, |conn, live_token, tenant_id| {
        page_rows(conn, live_token, tenant_id, after, limit)
    })
}

/// The rows of a page plus one, requiring the token hashing to `live_token` live when given.
fn page_rows(
    conn: &mut DbConnection,
    live_token: Option<&str>,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Product>> {
    let mut query = products::table
        .filter(products::tenant_id.eq(tenant_id))
        .into_boxed();
    if let Some(token) = live_token {
        query = query.filter(tenant_token::live(tenant_id, token));
    }
    if let Some(after) = after {
        query = query.filter(products::sku.gt(after));
    }
    query
        .order(products::sku.asc())
        .limit(limit + 1)
        .select(StoredProduct::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredProduct::into_domain)
        .collect()
}

/// Saves a product's changeable fields.
pub fn update(conn: &mut DbConnection, product: &Product) -> Result<()> {
    let row = StoredProduct::from_domain(product);
    diesel::update(products::table)
        .filter(products::tenant_id.eq(&row.tenant_id))
        .filter(products::sku.eq(&row.sku))
        .set((
            products::name.eq(&row.name),
            products::price.eq(row.price),
            products::stock.eq(row.stock),
            products::allow_backorder.eq(row.allow_backorder),
            products::active.eq(row.active),
            products::updated_at.eq(row.updated_at),
            products::sequence.eq(row.sequence),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, tenant_id: Uuid, sku: &str) -> Result<()> {
    diesel::delete(products::table)
        .filter(products::tenant_id.eq(tenant_id.to_string()))
        .filter(products::sku.eq(sku))
        .execute(conn)?;
    Ok(())
}
