//! The subscription's end (XAPP): a cancellation scheduled at an effective date, withdrawn
//! before it, or taking effect — at once when the date has passed, or when its job falls due.

use crate::{emit, tenant, Actor, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_api_types::tenant::TenantOut;
use tenantry_domain::event::EventType;
use tenantry_domain::tenant::{LifecycleError, Tenant, TenantStatus};
use tenantry_storage::job::{self as jobs, JobKind};
use tenantry_storage::{connection as connections, tenant as tenants, DbConnection, Owner};

impl From<LifecycleError> for ServiceError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::Cancelled => ServiceError::Conflict {
                code: "tenant_cancelled",
                message: "the tenant is cancelled already".into(),
            },
            LifecycleError::NotScheduled => ServiceError::Conflict {
                code: "no_cancellation_scheduled",
                message: "the tenant has no scheduled cancellation to withdraw".into(),
            },
        }
    }
}

/// Cancels the tenant `code_name` at `effective_date`: at once when that is `now` or earlier
/// (`tenant.cancelled`), else scheduled — the tenant works until then and its job carries the
/// cancellation out (`tenant.cancellation_scheduled`). Scheduling again moves the date.
pub fn cancel(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    code_name: &str,
    effective_date: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Tenant, ServiceError> {
    let mut tenant = tenant::find(conn, owner, code_name)?;
    match tenant.cancel(effective_date, now)? {
        TenantStatus::Cancelled => take_effect(conn, &tenant)?,
        _ => {
            tenants::update(conn, &tenant)?;
            jobs::unschedule(conn, tenant.id, JobKind::Cancel)?;
            jobs::schedule(
                conn,
                tenant.id,
                JobKind::Cancel,
                effective_date,
                &serde_json::Value::Null,
                now,
            )?;
            let out = TenantOut::from(tenant.clone());
            emit(conn, &tenant, EventType::TenantCancellationScheduled, &out)?;
        }
    }
    log::debug!(
        "{actor} cancelled tenant {} at {effective_date}",
        tenant.code_name
    );
    Ok(tenant)
}

/// Withdraws the tenant's scheduled cancellation: it is active again
/// (`tenant.cancellation_withdrawn`).
pub fn withdraw(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    code_name: &str,
    now: DateTime<Utc>,
) -> Result<Tenant, ServiceError> {
    let mut tenant = tenant::find(conn, owner, code_name)?;
    tenant.withdraw_cancellation(now)?;
    tenants::update(conn, &tenant)?;
    jobs::unschedule(conn, tenant.id, JobKind::Cancel)?;
    let out = TenantOut::from(tenant.clone());
    emit(conn, &tenant, EventType::TenantCancellationWithdrawn, &out)?;
    log::debug!(
        "{actor} withdrew the cancellation of tenant {}",
        tenant.code_name
    );
    Ok(tenant)
}

/// A scheduled cancellation whose date came (its job, run by the server): the tenant is
/// cancelled now, unless it is already.
pub fn cancellation_due(
    conn: &mut DbConnection,
    mut tenant: Tenant,
    now: DateTime<Utc>,
) -> Result<Tenant, ServiceError> {
    if tenant.status != TenantStatus::Cancelled {
        tenant.cancel(now, now)?;
        take_effect(conn, &tenant)?;
        log::debug!(
            "{} cancelled tenant {} as scheduled",
            Actor::System,
            tenant.code_name
        );
    }
    Ok(tenant)
}

/// A cancellation that took effect: the tenant's connections are deactivated (its
/// integrations stop), and `tenant.cancelled` says so.
fn take_effect(conn: &mut DbConnection, tenant: &Tenant) -> Result<(), ServiceError> {
    tenants::update(conn, tenant)?;
    jobs::unschedule(conn, tenant.id, JobKind::Cancel)?;
    connections::deactivate_all(conn, tenant.id, tenant.updated_at)?;
    emit(
        conn,
        tenant,
        EventType::TenantCancelled,
        &TenantOut::from(tenant.clone()),
    )
}
