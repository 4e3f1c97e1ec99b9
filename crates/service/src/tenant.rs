//! A reseller's tenants: changing and deleting them. (Creating them, with templates, codeNames
//! and provisioning, moves here next.)

use crate::{emit, Actor, ServiceError};
use tenantry_api_types::tenant::TenantOut;
use tenantry_domain::event::EventType;
use tenantry_domain::tenant::{Tenant, TenantPatch, TenantStatus};
use tenantry_domain::time;
use tenantry_storage::{tenant as tenants, DbConnection, ResellerScope};

/// The reseller's tenant with this codeName; another reseller's or environment's is not
/// found.
pub fn find(
    conn: &mut DbConnection,
    scope: &ResellerScope,
    code_name: &str,
) -> Result<Tenant, ServiceError> {
    Ok(tenants::find_by_code_name(conn, scope, code_name)?)
}

/// Changes the tenant `code_name` of `scope` as `patch` says, with `capabilities` the options
/// it may have. Appends `tenant.updated`, and `tenant.deactivated` or `tenant.activated` when
/// the change does that.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    scope: &ResellerScope,
    capabilities: &[String],
    code_name: &str,
    patch: TenantPatch,
) -> Result<Tenant, ServiceError> {
    let mut tenant = find(conn, scope, code_name)?;
    if tenant.status == TenantStatus::Cancelled && patch.active.is_some() {
        return Err(ServiceError::Conflict {
            code: "tenant_cancelled",
            message: format!(
                "tenant {} is cancelled; it cannot be activated or deactivated",
                tenant.code_name
            ),
        });
    }
    if let Some(reference) = patch
        .customer_reference
        .as_deref()
        .filter(|r| *r != tenant.customer_reference)
    {
        if let Some(existing) = tenants::find_by_reference(conn, scope, reference)? {
            return Err(ServiceError::TenantExists(Box::new(existing)));
        }
    }
    let before = tenant.status;
    patch.apply(&mut tenant, capabilities, time::now())?;
    tenants::update(conn, &tenant)?;
    let out = TenantOut::from(tenant.clone());
    emit(conn, &tenant, EventType::TenantUpdated, &out)?;
    match (before, tenant.status) {
        (from, TenantStatus::Deactivated) if from != TenantStatus::Deactivated => {
            emit(conn, &tenant, EventType::TenantDeactivated, &out)?
        }
        (TenantStatus::Deactivated, TenantStatus::Active) => {
            emit(conn, &tenant, EventType::TenantActivated, &out)?
        }
        _ => {}
    }
    log::debug!("{actor} updated tenant {}", tenant.code_name);
    Ok(tenant)
}

/// Deletes the tenant `code_name` of `scope` and all its data, and appends `tenant.deleted`
/// (carrying the tenant as it was).
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    scope: &ResellerScope,
    code_name: &str,
) -> Result<Tenant, ServiceError> {
    let tenant = find(conn, scope, code_name)?;
    tenants::delete(conn, tenant.id)?;
    emit(
        conn,
        &tenant,
        EventType::TenantDeleted,
        &TenantOut::from(tenant.clone()),
    )?;
    log::debug!("{actor} deleted tenant {}", tenant.code_name);
    Ok(tenant)
}
