//! A tenant's orders: placing one (drawing stock from the products it names) and changing it.

use crate::{emit, Actor, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_api_types::order::{placed_events, OrderOut};
use tenantry_domain::event::EventType;
use tenantry_domain::order::{Order, OrderPatch};
use tenantry_domain::tenant::Tenant;
use tenantry_storage::order::{self as orders, PlaceError};
use tenantry_storage::{event, tenant as tenants, DbConnection, StorageError};
use uuid::Uuid;

/// Places `order` (a checked draft of `tenant`'s): stock is drawn from the products its rows
/// name, in this transaction, and refused below zero unless the product allows backorders.
/// Appends `order.created` and `product.updated` for each product drawn from.
pub fn place(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    order: Order,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    let number = order.number.clone();
    let (order, drawn) = orders::place(conn, order).map_err(|e| match e {
        PlaceError::Storage(StorageError::Duplicate(_)) => ServiceError::OrderExists { number },
        other => other.into(),
    })?;
    event::append_all(conn, placed_events(tenant, &order, drawn), now)?;
    log::debug!(
        "{actor} placed order {} of tenant {}",
        order.number,
        tenant.code_name
    );
    Ok(order)
}

/// Changes the order `id` of `tenant` as `patch` says; appends `order.updated`. An illegal
/// status change changes nothing.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    id: Uuid,
    patch: OrderPatch,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    // The sequence first: it locks the tenant's counter, so concurrent updates of this order
    // queue instead of overwriting each other.
    let sequence = tenants::next_sequence(conn, tenant.id)?;
    let mut order = orders::find(conn, tenant.id, id)?;
    patch.apply(&mut order, now)?;
    order.sequence = sequence;
    orders::update(conn, &order)?;
    emit(
        conn,
        tenant,
        EventType::OrderUpdated,
        &OrderOut::from(order.clone()),
    )?;
    log::debug!(
        "{actor} updated order {} of tenant {}",
        order.number,
        tenant.code_name
    );
    Ok(order)
}
