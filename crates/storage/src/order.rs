//! Orders, always within one tenant, paged by the tenant's change sequence.

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::schema::orders;
use crate::tenant_token::{self, CredentialCheck};
use crate::{DbConnection, Page, Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_domain::order::{currency, Order, OrderRow, OrderStatus, Totals};
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = orders)]
struct StoredOrder {
    tenant_id: String,
    id: String,
    number: String,
    status: String,
    currency: String,
    customer: String,
    billing_address: String,
    shipping_address: String,
    order_rows: String,
    total_net: i64,
    total_vat: i64,
    total_gross: i64,
    metadata: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    sequence: i64,
}

/// A row as kept in the `order_rows` JSON column.
#[derive(Serialize, Deserialize)]
struct StoredRow {
    sku: String,
    name: String,
    quantity: i64,
    unit_price: i64,
    vat_rate: i64,
    net: i64,
    vat: i64,
}

impl StoredOrder {
    fn from_domain(o: &Order) -> Self {
        let rows: Vec<StoredRow> = o
            .rows
            .iter()
            .map(|r| StoredRow {
                sku: r.sku.clone(),
                name: r.name.clone(),
                quantity: r.quantity,
                unit_price: r.unit_price,
                vat_rate: r.vat_rate,
                net: r.net,
                vat: r.vat,
            })
            .collect();
        StoredOrder {
            tenant_id: o.tenant_id.to_string(),
            id: o.id.to_string(),
            number: o.number.clone(),
            status: o.status.to_string(),
            currency: o.currency.code.to_owned(),
            customer: to_json(&o.customer),
            billing_address: to_json(&o.billing_address),
            shipping_address: to_json(&o.shipping_address),
            order_rows: to_json(&rows),
            total_net: o.totals.net,
            total_vat: o.totals.vat,
            total_gross: o.totals.gross,
            metadata: to_json(&o.metadata),
            created_at: to_db_time(o.created_at),
            updated_at: to_db_time(o.updated_at),
            sequence: o.sequence,
        }
    }

    fn into_domain(self) -> Result<Order> {
        let rows: Vec<StoredRow> = from_json(&self.order_rows)?;
        Ok(Order {
            tenant_id: uuid(&self.tenant_id)?,
            id: uuid(&self.id)?,
            number: self.number,
            status: parse::<OrderStatus>(&self.status)?,
            currency: currency(&self.currency).map_err(|e| StorageError::Corrupt(e.message))?,
            customer: from_json(&self.customer)?,
            billing_address: from_json(&self.billing_address)?,
            shipping_address: from_json(&self.shipping_address)?,
            rows: rows
                .into_iter()
                .map(|r| OrderRow {
                    sku: r.sku,
                    name: r.name,
                    quantity: r.quantity,
                    unit_price: r.unit_price,
                    vat_rate: r.vat_rate,
                    net: r.net,
                    vat: r.vat,
                })
                .collect(),
            totals: Totals {
                net: self.total_net,
                vat: self.total_vat,
                gross: self.total_gross,
            },
            metadata: from_json(&self.metadata)?,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
            sequence: self.sequence,
        })
    }
}

/// Stores a new order; a number taken within the tenant is [`StorageError::Duplicate`].
pub fn insert(conn: &mut DbConnection, order: &Order) -> Result<()> {
    diesel::insert_into(orders::table)
        .values(StoredOrder::from_domain(order))
        .execute(conn)?;
    Ok(())
}

/// Saves what an update may change: status, customer, addresses, metadata, time, sequence.
pub fn update(conn: &mut DbConnection, order: &Order) -> Result<()> {
    let row = StoredOrder::from_domain(order);
    diesel::update(orders::table)
        .filter(orders::tenant_id.eq(&row.tenant_id))
        .filter(orders::id.eq(&row.id))
        .set((
            orders::status.eq(&row.status),
            orders::customer.eq(&row.customer),
            orders::billing_address.eq(&row.billing_address),
            orders::shipping_address.eq(&row.shipping_address),
            orders::metadata.eq(&row.metadata),
            orders::updated_at.eq(row.updated_at),
            orders::sequence.eq(row.sequence),
        ))
        .execute(conn)?;
    Ok(())
}

/// The tenant's order with this id.
pub fn find(conn: &mut DbConnection, tenant_id: Uuid, id: Uuid) -> Result<Order> {
    orders::table
        .filter(orders::tenant_id.eq(tenant_id.to_string()))
        .filter(orders::id.eq(id.to_string()))
        .select(StoredOrder::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("order"))?
        .into_domain()
}

/// The tenant's order with this number, if any.
pub fn find_by_number(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    number: &str,
) -> Result<Option<Order>> {
    orders::table
        .filter(orders::tenant_id.eq(tenant_id.to_string()))
        .filter(orders::number.eq(number))
        .select(StoredOrder::as_select())
        .first(conn)
        .optional()?
        .map(StoredOrder::into_domain)
        .transpose()
}

/// Filters of the order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// Only orders updated at or after this time.
    pub modified_since: Option<DateTime<Utc>>,
}

impl OrderFilter {
    /// No filter: the plain sync feed.
    fn is_empty(&self) -> bool {
        self.status.is_none() && self.modified_since.is_none()
    }
}

/// A page of the tenant's orders in change-sequence order, after sequence `after`.
pub fn list(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    after: i64,
    filter: &OrderFilter,
    limit: i64,
) -> Result<Page<Order>> {
    let rows = page_rows(conn, None, &tenant_id.to_string(), after, filter, limit)?;
    Ok(Page::from_overfetch(rows, limit))
}

/// [`list`] for a Tenant API caller, in the same statement as the check its credential is
/// owed ([`CredentialCheck`]): `None` when the credential no longer authenticates.
pub fn list_for(
    conn: &mut DbConnection,
    credential: &CredentialCheck,
    tenant_id: Uuid,
    after: i64,
    filter: &OrderFilter,
    limit: i64,
) -> Result<Option<Page<Order>>> {
    credential.page(conn, tenant_id, limit, |conn, live_token, tenant_id| {
        page_rows(conn, live_token, tenant_id, after, filter, limit)
    })
}

/// The rows of a page plus one, requiring the token hashing to `live_token` live when given.
fn page_rows(
    conn: &mut DbConnection,
    live_token: Option<&str>,
    tenant_id: &str,
    after: i64,
    filter: &OrderFilter,
    limit: i64,
) -> Result<Vec<Order>> {
    let feed = orders::table
        .filter(orders::tenant_id.eq(tenant_id))
        .filter(orders::sequence.gt(after));
    let rows = match live_token {
        // The sync loop's page, polled all day: statically typed queries, so diesel keeps
        // them prepared per connection instead of building and parsing SQL on every call.
        None if filter.is_empty() => feed
            .order(orders::sequence.asc())
            .limit(limit + 1)
            .select(StoredOrder::as_select())
            .load(conn)?,
        Some(token) if filter.is_empty() => feed
            .filter(tenant_token::live(tenant_id, token))
            .order(orders::sequence.asc())
            .limit(limit + 1)
            .select(StoredOrder::as_select())
            .load(conn)?,
        _ => {
            let mut query = feed.into_boxed();
            if let Some(token) = live_token {
                query = query.filter(tenant_token::live(tenant_id, token));
            }
            if let Some(status) = filter.status {
                query = query.filter(orders::status.eq(status.to_string()));
            }
            if let Some(since) = filter.modified_since {
                query = query.filter(orders::updated_at.ge(to_db_time(since)));
            }
            query
                .order(orders::sequence.asc())
                .limit(limit + 1)
                .select(StoredOrder::as_select())
                .load(conn)?
        }
    };
    rows.into_iter().map(StoredOrder::into_domain).collect()
}

/// Inserts many orders in one statement (sandbox data and benchmarks).
pub fn insert_many(conn: &mut DbConnection, orders_: &[Order]) -> Result<()> {
    let rows: Vec<StoredOrder> = orders_.iter().map(StoredOrder::from_domain).collect();
    // Multi-row VALUES is not portable through the multi-backend: one statement per variant.
    for chunk in rows.chunks(200) {
        match conn {
            DbConnection::Postgres(c) => diesel::insert_into(orders::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(orders::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

/// Why an order could not be placed.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error(transparent)]
    Stock(#[from] tenantry_domain::product::InsufficientStock),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Places a new order in the caller's transaction: draws stock from the tenant's products its
/// rows name (the domain decides whether it may), gives the order and each touched product the
/// next change sequence values, and stores them. Returns the order and the products whose
/// stock it drew.
///
/// The order's sequence value is taken first: that locks the tenant's counter row until
/// commit, so concurrent writers of one tenant queue there and never draw the same stock twice.
pub fn place(
    conn: &mut DbConnection,
    mut order: Order,
) -> std::result::Result<(Order, Vec<tenantry_domain::product::Product>), PlaceError> {
    order.sequence = crate::tenant::next_sequence(conn, order.tenant_id)?;
    let mut wanted: Vec<(String, i64)> = Vec::new();
    let mut drawn = Vec::new();
    for row in &order.rows {
        match wanted.iter_mut().find(|(sku, _)| *sku == row.sku) {
            Some((_, quantity)) => *quantity += row.quantity,
            None => wanted.push((row.sku.clone(), row.quantity)),
        }
    }
    for (sku, quantity) in wanted {
        if let Some(mut product) = crate::product::find(conn, order.tenant_id, &sku)? {
            if product.stock.is_some() {
                product.draw(quantity)?;
                product.updated_at = order.created_at;
                product.sequence = crate::tenant::next_sequence(conn, order.tenant_id)?;
                crate::product::update(conn, &product)?;
                drawn.push(product);
            }
        }
    }
    insert(conn, &order)?;
    Ok((order, drawn))
}

/// What the portal's order list shows: a status, and orders placed in `[from, to)`.
#[derive(Debug, Clone, Default)]
pub struct BrowseFilter {
    pub status: Option<OrderStatus>,
    pub placed_from: Option<DateTime<Utc>>,
    pub placed_before: Option<DateTime<Utc>>,
}

/// A page of the tenant's orders newest first (by when they were placed), after the order
/// `after` (its placing time and id) of the previous page.
pub fn browse(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    filter: &BrowseFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Page<Order>> {
    let mut query = orders::table
        .filter(orders::tenant_id.eq(tenant_id.to_string()))
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(orders::status.eq(status.to_string()));
    }
    if let Some(from) = filter.placed_from {
        query = query.filter(orders::created_at.ge(to_db_time(from)));
    }
    if let Some(before) = filter.placed_before {
        query = query.filter(orders::created_at.lt(to_db_time(before)));
    }
    if let Some((placed, id)) = after {
        let placed = to_db_time(placed);
        query = query.filter(
            orders::created_at.lt(placed).or(orders::created_at
                .eq(placed)
                .and(orders::id.lt(id.to_string()))),
        );
    }
    let rows = query
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(limit + 1)
        .select(StoredOrder::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredOrder::into_domain)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}
