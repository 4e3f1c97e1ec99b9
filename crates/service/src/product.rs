//! A tenant's products: created, changed and deleted, each change with its event.

use crate::{emit, Actor, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_api_types::product::ProductOut;
use tenantry_domain::event::EventType;
use tenantry_domain::product::{Product, ProductDraft, ProductPatch};
use tenantry_domain::tenant::Tenant;
use tenantry_storage::{product as products, tenant as tenants, DbConnection, StorageError};

/// Creates a product of `tenant` from `draft`; appends `product.created`. A SKU the tenant
/// has already is refused.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    draft: ProductDraft,
    now: DateTime<Utc>,
) -> Result<Product, ServiceError> {
    let mut product = draft.check(tenant.id, now)?;
    product.sequence = tenants::next_sequence(conn, tenant.id)?;
    products::insert(conn, &product).map_err(|e| match e {
        StorageError::Duplicate(_) => ServiceError::ProductExists {
            sku: product.sku.clone(),
        },
        other => other.into(),
    })?;
    emit(
        conn,
        tenant,
        EventType::ProductCreated,
        &ProductOut::from(product.clone()),
    )?;
    log::debug!(
        "{actor} created product {} of {}",
        product.sku,
        tenant.code_name
    );
    Ok(product)
}

/// The product `sku` of `tenant`.
pub fn find(conn: &mut DbConnection, tenant: &Tenant, sku: &str) -> Result<Product, ServiceError> {
    products::find(conn, tenant.id, sku)?
        .ok_or_else(|| ServiceError::NotFound("product not found".into()))
}

/// Changes the product `sku` of `tenant` as `patch` says; appends `product.updated`.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    sku: &str,
    patch: ProductPatch,
    now: DateTime<Utc>,
) -> Result<Product, ServiceError> {
    // The sequence first, as for orders: concurrent changes of one product queue.
    let sequence = tenants::next_sequence(conn, tenant.id)?;
    let mut product = find(conn, tenant, sku)?;
    patch.apply(&mut product, now)?;
    product.sequence = sequence;
    products::update(conn, &product)?;
    emit(
        conn,
        tenant,
        EventType::ProductUpdated,
        &ProductOut::from(product.clone()),
    )?;
    log::debug!("{actor} updated product {sku} of {}", tenant.code_name);
    Ok(product)
}

/// Deletes the product `sku` of `tenant`; appends `product.deleted` carrying it as it was.
/// Orders that named it keep their rows.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    sku: &str,
) -> Result<Product, ServiceError> {
    let product = find(conn, tenant, sku)?;
    products::delete(conn, tenant.id, sku)?;
    emit(
        conn,
        tenant,
        EventType::ProductDeleted,
        &ProductOut::from(product.clone()),
    )?;
    log::debug!("{actor} deleted product {sku} of {}", tenant.code_name);
    Ok(product)
}
