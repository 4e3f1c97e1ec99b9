//! Audit entries for the changes no HTTP request makes. The API surfaces' middleware audits
//! every write request; the operator's CLI and the server's jobs have no request, so the use
//! cases they run record their entry here, in their own transaction, as `operator` or
//! `system`.

use crate::{Actor, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_domain::audit::{AuditEvent, Outcome};
use tenantry_domain::reseller::Reseller;
use tenantry_domain::Environment;
use tenantry_storage::{audit, DbConnection, Owner};
use uuid::Uuid;

/// Records that `actor` did `operation` (such as `capability remove orders`) in `scope`,
/// about the tenant `tenant` if any. Method and path are empty: there was no request.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    tenant: Option<&str>,
    operation: String,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let id = Uuid::new_v4();
    let entry = AuditEvent {
        id,
        reseller_id: owner.reseller_id,
        environment: owner.environment,
        tenant: tenant.map(str::to_owned),
        actor_type: actor.kind(),
        actor_id: actor.id(),
        surface: actor.surface(),
        operation,
        method: String::new(),
        path: String::new(),
        status: 200,
        outcome: Outcome::Success,
        request_id: format!("{}-{id}", actor.surface()),
        created_at: now,
    };
    audit::insert(conn, &entry)?;
    Ok(())
}

/// Records a change of something the reseller holds in both environments (its
/// capabilities): each environment has an audit log of its own.
pub fn record_everywhere(
    conn: &mut DbConnection,
    actor: &Actor,
    reseller: &Reseller,
    operation: String,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    for environment in [Environment::Sandbox, Environment::Production] {
        let owner = Owner {
            reseller_id: reseller.id,
            environment,
        };
        record(conn, actor, &owner, None, operation.clone(), now)?;
    }
    Ok(())
}
