//! The tenant jobs that fall due: provisioning and scheduled cancellations. A runner (the
//! `tenantry-worker` crate) calls [`run_next`] in a transaction of its own per job.

use crate::provisioning::{self, Provisioning, Secrets};
use crate::{audit, lifecycle, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_domain::tenant::Tenant;
use tenantry_storage::job::{self as jobs, JobKind};
use tenantry_storage::{tenant as tenants, DbConnection, Owner, StorageError};

/// What running the next due job came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// A job ran (or was dropped because its tenant is gone).
    Job(JobKind),
    /// None is due.
    NoneDue,
}

/// Takes the next job due at `now` and runs it in the caller's transaction, audited as the
/// `system` actor. `secrets` makes
/// what provisioning needs for the tenant (generating secrets is the caller's).
pub fn run_next(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    secrets: &dyn Fn(&Tenant) -> Secrets,
) -> Result<Ran, ServiceError> {
    let Some(job) = jobs::take_due(conn, now)? else {
        return Ok(Ran::NoneDue);
    };
    let Some(tenant) = tenants::find_unscoped(conn, job.tenant_id)? else {
        return Ok(Ran::Job(job.kind));
    };
    let owner = Owner {
        reseller_id: tenant.reseller_id,
        environment: tenant.environment,
    };
    let code_name = tenant.code_name.clone();
    let operation = match job.kind {
        JobKind::Provision => {
            let wanted: Provisioning = serde_json::from_value(job.payload)
                .map_err(|e| StorageError::Corrupt(format!("a provisioning job's payload: {e}")))?;
            let made = secrets(&tenant);
            provisioning::run(conn, tenant, &wanted, made, now)?;
            "provision"
        }
        JobKind::Cancel => {
            lifecycle::cancellation_due(conn, tenant, now)?;
            "cancel as scheduled"
        }
    };
    let actor = &crate::Actor::System;
    audit::record(conn, actor, &owner, Some(&code_name), operation.into(), now)?;
    Ok(Ran::Job(job.kind))
}
