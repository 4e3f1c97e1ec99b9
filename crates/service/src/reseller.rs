//! Resellers, their users and their tenant templates: what the operator sets up (the CLI and
//! the first-run bootstrap); and the portal settings a reseller sets itself. These are the reseller's account, not its tenants: they append
//! no event, and the audit log (the reseller's record of what its credentials and the
//! operator did to its tenants and keys) does not list them.

use crate::{Actor, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_domain::reseller::{
    self, PortalSettings, Reseller, ResellerUser, DEFAULT_RATE_LIMIT_PER_MINUTE,
};
use tenantry_domain::template::TenantTemplate;
use tenantry_domain::{user, DomainError, Environment};
use tenantry_storage::{
    reseller as resellers, template as templates, DbConnection, Owner, StorageError,
};
use uuid::Uuid;

/// A reseller as the operator asks for it.
#[derive(Debug, Clone)]
pub struct NewReseller {
    /// The `X-Reseller` value.
    pub code: String,
    pub name: String,
    /// What its tenants' codeNames start with (may be empty).
    pub code_name_prefix: String,
    pub capabilities: Vec<String>,
}

/// Creates a reseller at Partoo's default rate of 300 calls a minute.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    new: NewReseller,
    now: DateTime<Utc>,
) -> Result<Reseller, ServiceError> {
    reseller::check_new(&new.code, &new.name, &new.code_name_prefix)?;
    for capability in &new.capabilities {
        reseller::check_capability(capability)?;
    }
    let reseller = Reseller {
        id: Uuid::new_v4(),
        code: new.code,
        name: new.name,
        code_name_prefix: new.code_name_prefix,
        capabilities: new.capabilities,
        rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
        public_integrations: false,
        created_at: now,
    };
    resellers::insert(conn, &reseller).map_err(|e| match e {
        StorageError::Duplicate(_) => ServiceError::Conflict {
            code: "reseller_exists",
            message: format!("a reseller with code `{}` exists already", reseller.code),
        },
        other => other.into(),
    })?;
    log::info!("{actor} created reseller `{}`", reseller.code);
    Ok(reseller)
}

/// Sets how many requests a minute reseller `code`'s credentials may make: 1 to 1,000,000.
pub fn set_rate_limit(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    per_minute: i64,
) -> Result<Reseller, ServiceError> {
    if !(1..=1_000_000).contains(&per_minute) {
        return Err(DomainError::invalid(
            "rateLimit",
            "range",
            "must be 1 to 1,000,000 requests per minute",
        )
        .into());
    }
    let mut reseller = resellers::find_by_code(conn, code)?;
    resellers::set_rate_limit(conn, reseller.id, per_minute)?;
    reseller.rate_limit_per_minute = per_minute;
    log::info!("{actor} set reseller `{code}`'s rate to {per_minute} a minute");
    Ok(reseller)
}

/// Lets reseller `code` offer integrations to every tenant on the server (`visibility:
/// "all"`), or stops it: its public integrations then stop being offered to other resellers'
/// tenants (links made stay until a side ends them).
pub fn set_public_integrations(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    allowed: bool,
) -> Result<Reseller, ServiceError> {
    let mut reseller = resellers::find_by_code(conn, code)?;
    resellers::set_public_integrations(conn, reseller.id, allowed)?;
    reseller.public_integrations = allowed;
    log::info!("{actor} set reseller `{code}`'s public integrations to {allowed}");
    Ok(reseller)
}

/// A reseller user to create; the password arrives hashed (argon2 runs outside the
/// transaction), its rules checked by the caller with [`user::check_password`].
#[derive(Debug, Clone)]
pub struct NewResellerUser {
    pub login: String,
    pub password_hash: String,
    pub environment: Environment,
}

/// Creates a user of reseller `code` that signs in to the Reseller API in one environment.
pub fn create_user(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    new: NewResellerUser,
    now: DateTime<Utc>,
) -> Result<ResellerUser, ServiceError> {
    user::check_login(&new.login)?;
    let reseller = resellers::find_by_code(conn, code)?;
    let created = ResellerUser {
        id: Uuid::new_v4(),
        reseller_id: reseller.id,
        login: new.login,
        password_hash: new.password_hash,
        environment: new.environment,
        created_at: now,
    };
    resellers::insert_user(conn, &created).map_err(|e| match e {
        StorageError::Duplicate(_) => ServiceError::Conflict {
            code: "user_exists",
            message: format!("reseller `{code}` has a user `{}` already", created.login),
        },
        other => other.into(),
    })?;
    log::info!(
        "{actor} created user `{}` of reseller `{code}`",
        created.login
    );
    Ok(created)
}

/// Creates or replaces a tenant template of reseller `code`; its options must be capabilities
/// the reseller holds.
pub fn put_template(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    template: TenantTemplate,
    now: DateTime<Utc>,
) -> Result<TenantTemplate, ServiceError> {
    let reseller = resellers::find_by_code(conn, code)?;
    let template = template.check(&reseller.capabilities)?;
    templates::put(conn, reseller.id, &template, now)?;
    log::info!(
        "{actor} set template `{}` of reseller `{code}`",
        template.name
    );
    Ok(template)
}

/// Removes a tenant template of reseller `code`; tenants made from it keep what it set up.
pub fn remove_template(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    name: &str,
) -> Result<(), ServiceError> {
    let reseller = resellers::find_by_code(conn, code)?;
    if !templates::remove(conn, reseller.id, name)? {
        return Err(ServiceError::NotFound(format!(
            "reseller `{code}` has no template `{name}`"
        )));
    }
    log::info!("{actor} removed template `{name}` of reseller `{code}`");
    Ok(())
}

/// A change of the portal settings; absent fields stay, `return_url: Some(None)` removes the
/// link.
#[derive(Debug, Clone, Default)]
pub struct PortalPatch {
    pub return_url: Option<Option<String>>,
    pub frame_ancestors: Option<Vec<String>>,
}

/// Changes what `owner` (a reseller in one environment) sets for its tenants' portal: the
/// "Back to" link and the origins that may frame it. Checked, then stored whole.
pub fn set_portal(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    patch: PortalPatch,
    now: DateTime<Utc>,
) -> Result<PortalSettings, ServiceError> {
    let mut settings = resellers::portal(conn, owner)?;
    if let Some(url) = patch.return_url {
        settings.return_url = url;
    }
    if let Some(ancestors) = patch.frame_ancestors {
        settings.frame_ancestors = ancestors;
    }
    let settings = settings.check()?;
    resellers::set_portal(conn, owner, &settings, now)?;
    log::info!(
        "{actor} changed the portal settings of reseller {}",
        owner.reseller_id
    );
    Ok(settings)
}
