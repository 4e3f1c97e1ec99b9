//! A reseller's tenants: creating them (codeName, template, provisioning), changing and
//! deleting them.

use crate::provisioning::{self, Provisioning};
use crate::{connection, emit, Actor, ServiceError, StoredSecret};
use chrono::{DateTime, Utc};
use tenantry_api_types::tenant::TenantOut;
use tenantry_domain::connection::{Connection, ConnectionDraft};
use tenantry_domain::error::into_result;
use tenantry_domain::event::EventType;
use tenantry_domain::reseller::Reseller;
use tenantry_domain::template;
use tenantry_domain::tenant::{
    code_name, code_name_base, Subscription, Tenant, TenantDraft, TenantPatch, TenantStatus,
};
use tenantry_domain::{time, Environment, FieldError};
use tenantry_storage::template as templates;
use tenantry_storage::{tenant as tenants, DbConnection, Owner};
use uuid::Uuid;

/// What creating a tenant takes, unchecked: [`create`] checks it all.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub draft: TenantDraft,
    pub subscription: Subscription,
    /// What provisioning prepares after the creation commits.
    pub provisioning: Provisioning,
    /// With a token: also create the default `api` connection with it (`withApiConnection`).
    pub api_connection: Option<StoredSecret>,
}

/// Creates a tenant of `reseller` in `environment`: checks the input, refuses a
/// customerReference it has already, numbers the codeName, applies the template (chosen by
/// name or tier; its options are the tenant's from the start, the rest is provisioning's),
/// appends `tenant.created` and schedules provisioning. Returns the tenant and, when asked
/// for, its default `api` connection.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    reseller: &Reseller,
    environment: Environment,
    input: NewTenant,
    now: DateTime<Utc>,
) -> Result<(Tenant, Option<Connection>), ServiceError> {
    let mut draft = input.draft.check(&reseller.capabilities)?;
    let mut subscription = input.subscription.check()?;
    let mut provisioning = input.provisioning;
    provisioning.check(environment)?;
    let owner = Owner {
        reseller_id: reseller.id,
        environment,
    };
    if let Some(existing) = tenants::find_by_reference(conn, &owner, &draft.customer_reference)? {
        return Err(ServiceError::TenantExists(Box::new(existing)));
    }
    let base = code_name_base(&reseller.code_name_prefix, &draft.customer_reference);
    let number = tenants::next_code_name_number(conn, &base)?;
    let available = templates::list(conn, reseller.id)?;
    let chosen = template::choose(
        &available,
        subscription.template.as_deref(),
        subscription.tier.as_deref(),
    )?;
    if let Some(chosen) = chosen {
        // The operator's template, not the request, holds the option: name `template`.
        let outside = chosen.options_outside(&reseller.capabilities);
        into_result(
            outside
                .into_iter()
                .map(|e| FieldError {
                    field: "template".into(),
                    ..e
                })
                .collect(),
        )?;
        for option in &chosen.options {
            if !draft.options.contains(option) {
                draft.options.push(option.clone());
            }
        }
        subscription.template = Some(chosen.name.clone());
        provisioning.template = Some(chosen.clone());
    }
    let tenant = Tenant {
        id: Uuid::new_v4(),
        reseller_id: reseller.id,
        code_name: code_name(&base, number),
        customer_reference: draft.customer_reference,
        environment,
        status: TenantStatus::initial(draft.active),
        full_name: draft.full_name,
        email: draft.email,
        default_language: draft.default_language,
        languages: draft.languages,
        options: draft.options,
        created_at: now,
        updated_at: now,
        subscription,
        cancellation_effective_at: None,
    };
    tenants::insert(conn, &tenant)?;
    provisioning::schedule(conn, &tenant, &provisioning, now)?;
    emit(
        conn,
        &tenant,
        EventType::TenantCreated,
        &TenantOut::from(tenant.clone()),
    )?;
    let api_connection = match input.api_connection {
        Some(token) => {
            let draft = ConnectionDraft::default_api();
            Some(connection::create(
                conn,
                actor,
                &tenant,
                draft,
                Some(token),
                now,
            )?)
        }
        None => None,
    };
    log::debug!("{actor} created tenant {}", tenant.code_name);
    Ok((tenant, api_connection))
}

/// The reseller's tenant with this codeName; another reseller's or environment's is not
/// found.
pub fn find(
    conn: &mut DbConnection,
    owner: &Owner,
    code_name: &str,
) -> Result<Tenant, ServiceError> {
    Ok(tenants::find_by_code_name(conn, owner, code_name)?)
}

/// Changes the tenant `code_name` of `owner` as `patch` says, with `capabilities` the options
/// it may have. Appends `tenant.updated`, and `tenant.deactivated` or `tenant.activated` when
/// the change does that. A tenant's own people (the portal) change only its name, email and
/// languages: customerReference, activation and options are the reseller's.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    capabilities: &[String],
    code_name: &str,
    patch: TenantPatch,
) -> Result<Tenant, ServiceError> {
    let mut tenant = find(conn, owner, code_name)?;
    let resellers_only =
        patch.customer_reference.is_some() || patch.active.is_some() || patch.options.is_some();
    if matches!(actor, Actor::TenantUser(_)) && resellers_only {
        return Err(ServiceError::Forbidden {
            code: "reseller_field",
            message: "customerReference, active and options are the reseller's to change".into(),
        });
    }
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
        if let Some(existing) = tenants::find_by_reference(conn, owner, reference)? {
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
    owner: &Owner,
    code_name: &str,
) -> Result<Tenant, ServiceError> {
    let tenant = find(conn, owner, code_name)?;
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
