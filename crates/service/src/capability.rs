//! Capabilities: what a reseller may grant its tenants as options (Calipsa). Granted and taken
//! by the operator.

use crate::{Actor, ServiceError};
use tenantry_api_types::tenant::TenantOut;
use tenantry_domain::event::{EventType, NewEvent};
use tenantry_domain::reseller::{self, Reseller};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::{time, Environment};
use tenantry_storage::{event, reseller as resellers, tenant as tenants, DbConnection};

/// Grants reseller `code` a capability its tenants may then have as an option. Granting one
/// it has already changes nothing.
pub fn add(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    capability: &str,
) -> Result<Reseller, ServiceError> {
    reseller::check_capability(capability)?;
    let mut reseller = resellers::find_by_code(conn, code)?;
    if !reseller.capabilities.iter().any(|c| c == capability) {
        reseller.capabilities.push(capability.to_owned());
        resellers::set_capabilities(conn, reseller.id, &reseller.capabilities)?;
        let operation = format!("capability add {capability}");
        crate::audit::record_everywhere(conn, actor, &reseller, operation, time::now())?;
        log::info!("{actor} granted reseller `{code}` the capability `{capability}`");
    }
    Ok(reseller)
}

/// What taking a capability changed.
#[derive(Debug)]
pub struct Removed {
    pub reseller: Reseller,
    /// The tenants (both environments) that had it as an option and lost it.
    pub tenants: Vec<Tenant>,
}

/// Takes a capability from reseller `code`, and with it the option from every tenant that has
/// it (both environments): a tenant never keeps an option its reseller may no longer grant.
/// Each changed tenant's `tenant.updated` is appended, as any other change of its options.
pub fn remove(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    capability: &str,
) -> Result<Removed, ServiceError> {
    let mut reseller = resellers::find_by_code(conn, code)?;
    if !reseller.capabilities.iter().any(|c| c == capability) {
        return Err(ServiceError::NotFound(format!(
            "reseller `{code}` has no capability `{capability}`"
        )));
    }
    reseller.capabilities.retain(|c| c != capability);
    resellers::set_capabilities(conn, reseller.id, &reseller.capabilities)?;
    let now = time::now();
    let mut changed = Vec::new();
    for mut tenant in tenants::with_option(conn, reseller.id, capability)? {
        tenant.options.retain(|o| o != capability);
        tenant.updated_at = now;
        tenants::update(conn, &tenant)?;
        changed.push(tenant);
    }
    // Appended together per environment: each environment has a feed of its own.
    for environment in [Environment::Sandbox, Environment::Production] {
        let events = changed
            .iter()
            .filter(|t| t.environment == environment)
            .map(|t| NewEvent::about(t, EventType::TenantUpdated, &TenantOut::from(t.clone())))
            .collect();
        event::append_all(conn, events, now)?;
    }
    let operation = format!("capability remove {capability}");
    crate::audit::record_everywhere(conn, actor, &reseller, operation, now)?;
    log::info!(
        "{actor} took the capability `{capability}` from reseller `{code}` and {} tenant(s)",
        changed.len()
    );
    Ok(Removed {
        reseller,
        tenants: changed,
    })
}
