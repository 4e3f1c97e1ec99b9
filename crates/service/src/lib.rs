//! Tenantry's use cases. Every state change of the product is one function here,
//! `fn(&mut DbConnection, &Actor, Input) -> Result<Output, ServiceError>`: it checks the
//! domain's rules, persists through storage and appends its events on the caller's connection,
//! inside the caller's transaction (`Database::write`). The Reseller API, the Tenant API, the
//! operator's CLI and the background jobs all call the same function, so a rule and the event
//! it emits are written once.
//!
//! This crate knows neither HTTP nor the CLI: [`ServiceError`] is mapped to problem+json once,
//! in `tenantry-http`, and to the CLI's messages in the server.

pub mod audit;
pub mod capability;
pub mod connection;
mod error;
pub mod integration;
pub mod job;
pub mod key;
pub mod lifecycle;
pub mod login;
pub mod order;
pub mod product;
pub mod provisioning;
pub mod reseller;
pub mod sandbox;
pub mod session;
pub mod tenant;
pub mod user;
pub mod webhook;

pub use error::ServiceError;
pub use tenantry_domain::audit::Actor;
pub use tenantry_domain::secret::{NewSecret, StoredSecret};

use tenantry_domain::event::{EventType, NewEvent};
use tenantry_domain::tenant::Tenant;
use tenantry_storage::DbConnection;

/// Appends an event about `tenant` carrying `data` (the resource as the API shows it), in the
/// caller's transaction.
pub(crate) fn emit(
    conn: &mut DbConnection,
    tenant: &Tenant,
    kind: EventType,
    data: &impl serde::Serialize,
) -> Result<(), ServiceError> {
    let event = NewEvent::about(tenant, kind, data);
    tenantry_storage::event::append(conn, event, tenantry_domain::time::now())?;
    Ok(())
}

/// Appends an event about `tenant` to the feed of `reseller_id`, which is not the tenant's
/// own reseller (a partner linked to the tenant hears of its link).
pub(crate) fn emit_to(
    conn: &mut DbConnection,
    reseller_id: uuid::Uuid,
    tenant: &Tenant,
    kind: EventType,
    data: &impl serde::Serialize,
) -> Result<(), ServiceError> {
    let event = NewEvent {
        reseller_id,
        ..NewEvent::about(tenant, kind, data)
    };
    tenantry_storage::event::append(conn, event, tenantry_domain::time::now())?;
    Ok(())
}
