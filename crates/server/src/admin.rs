//! The operator's commands: create and list resellers, their users, API keys and tenant
//! templates. The CLI, the
//! first-run bootstrap and the tests all go through these.

use chrono::Utc;
use serde::Serialize;
use tenantry_auth::password;
use tenantry_auth::token::{self, TokenKind};
use tenantry_domain::reseller::Reseller;
use tenantry_domain::template::TenantTemplate;
use tenantry_domain::{scope, time, DomainError, Environment};
use tenantry_service::reseller::{NewReseller, NewResellerUser};
use tenantry_service::{self as service, capability, Actor, ServiceError};
use tenantry_storage::{
    reseller as resellers, template as templates, Database, Owner, StorageError,
};
use uuid::Uuid;

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error("{0}")]
    Conflict(String),
    /// A file or input the operator named cannot be read.
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Storage(StorageError),
}

impl From<ServiceError> for AdminError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(e) => AdminError::Invalid(e),
            ServiceError::NotFound(what) => AdminError::NotFound(what),
            e @ (ServiceError::TenantExists(_)
            | ServiceError::UserExists { .. }
            | ServiceError::InsufficientStock(_)
            | ServiceError::OrderExists { .. }
            | ServiceError::ProductExists { .. }
            | ServiceError::IllegalTransition(_)) => AdminError::Conflict(e.to_string()),
            ServiceError::Conflict { message, .. } => AdminError::Conflict(message),
            ServiceError::Forbidden { message, .. } => AdminError::Conflict(message),
            ServiceError::Storage(e) => AdminError::Storage(e),
        }
    }
}

impl From<StorageError> for AdminError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(what) => AdminError::NotFound(format!("{what} not found")),
            other => AdminError::Storage(other),
        }
    }
}

/// A reseller as the CLI prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResellerView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub code_name_prefix: String,
    pub capabilities: Vec<String>,
    pub rate_limit_per_minute: i64,
    pub public_integrations: bool,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<Reseller> for ResellerView {
    fn from(r: Reseller) -> Self {
        ResellerView {
            id: r.id,
            code: r.code,
            name: r.name,
            code_name_prefix: r.code_name_prefix,
            capabilities: r.capabilities,
            rate_limit_per_minute: r.rate_limit_per_minute,
            public_integrations: r.public_integrations,
            created_at: r.created_at,
        }
    }
}

/// Creates a reseller.
pub fn create_reseller(
    db: &Database,
    code: &str,
    name: &str,
    code_name_prefix: &str,
    capabilities: Vec<String>,
) -> Result<Reseller, AdminError> {
    let new = NewReseller {
        code: code.to_owned(),
        name: name.to_owned(),
        code_name_prefix: code_name_prefix.to_owned(),
        capabilities,
    };
    let now = time::now();
    Ok(db.write(|conn| service::reseller::create(conn, &Actor::Operator, new, now))?)
}

/// Changes a reseller's settings: its request rate (per minute; 1 to 1,000,000) and whether
/// it may offer integrations to every tenant; absent ones stay.
pub fn update_reseller(
    db: &Database,
    code: &str,
    rate_limit_per_minute: Option<i64>,
    public_integrations: Option<bool>,
) -> Result<Reseller, AdminError> {
    db.write(|conn| {
        let actor = &Actor::Operator;
        let mut reseller = resellers::find_by_code(conn, code)?;
        if let Some(rate) = rate_limit_per_minute {
            reseller = service::reseller::set_rate_limit(conn, actor, code, rate)?;
        }
        if let Some(allowed) = public_integrations {
            reseller = service::reseller::set_public_integrations(conn, actor, code, allowed)?;
        }
        Ok::<_, AdminError>(reseller)
    })
}

/// What removing a capability did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityRemoved {
    pub reseller: ResellerView,
    /// The tenants (codeNames) that had the capability as an option and lost it.
    pub tenants_changed: Vec<String>,
}

/// Grants a reseller a capability its tenants may then have as an option.
pub fn add_capability(db: &Database, code: &str, capability: &str) -> Result<Reseller, AdminError> {
    db.write(|conn| Ok(capability::add(conn, &Actor::Operator, code, capability)?))
}

/// Takes a capability from a reseller, and with it the option from every tenant that has it
/// (both environments), in one transaction that appends each changed tenant's
/// `tenant.updated`.
pub fn remove_capability(
    db: &Database,
    code: &str,
    capability: &str,
) -> Result<CapabilityRemoved, AdminError> {
    let removed = db.write(|conn| capability::remove(conn, &Actor::Operator, code, capability))?;
    Ok(CapabilityRemoved {
        reseller: removed.reseller.into(),
        tenants_changed: removed.tenants.into_iter().map(|t| t.code_name).collect(),
    })
}

/// Every reseller.
pub fn list_resellers(db: &Database) -> Result<Vec<Reseller>, AdminError> {
    db.read(|conn| Ok(resellers::list(conn)?))
}

/// A reseller user and the password it signs in with (shown once).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    pub reseller: String,
    pub login: String,
    pub password: String,
    pub environment: Environment,
}

/// Creates a reseller user; without a password, one is generated.
pub fn create_reseller_user(
    db: &Database,
    code: &str,
    login: &str,
    password: Option<String>,
    environment: Environment,
) -> Result<CreatedUser, AdminError> {
    let password = password.unwrap_or_else(|| token::random_base62(24));
    tenantry_domain::user::check_password(&password)?;
    let new = NewResellerUser {
        login: login.to_owned(),
        password_hash: password::hash(&password),
        environment,
    };
    let now = time::now();
    let user =
        db.write(|conn| service::reseller::create_user(conn, &Actor::Operator, code, new, now))?;
    Ok(CreatedUser {
        reseller: code.to_owned(),
        login: user.login,
        password,
        environment,
    })
}

/// A new API key; `key` is the secret, shown once.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    pub id: Uuid,
    pub reseller: String,
    pub name: String,
    pub environment: Environment,
    pub scopes: Vec<&'static str>,
    pub key: String,
}

/// Creates a reseller API key holding `scopes` (every scope when empty).
pub fn create_key(
    db: &Database,
    code: &str,
    name: &str,
    environment: Environment,
    scopes: &[String],
) -> Result<CreatedKey, AdminError> {
    let scopes = if scopes.is_empty() {
        scope::ALL.to_vec()
    } else {
        scope::parse_all("scope", scopes)?
    };
    let token = token::generate(TokenKind::ResellerKey, environment);
    let key = db.write(|conn| {
        let reseller = resellers::find_by_code(conn, code)?;
        let owner = Owner {
            reseller_id: reseller.id,
            environment,
        };
        let stored = token.stored.clone();
        let now = time::now();
        Ok::<_, AdminError>(service::key::create(
            conn,
            &Actor::Operator,
            &owner,
            name,
            scopes,
            stored,
            now,
        )?)
    })?;
    Ok(CreatedKey {
        id: key.id,
        reseller: code.to_owned(),
        name: key.name,
        environment,
        scopes: key.scopes.iter().map(|s| s.as_str()).collect(),
        key: token.secret,
    })
}

/// Revokes a reseller API key; it stops working at once.
pub fn revoke_key(db: &Database, code: &str, key_id: Uuid) -> Result<(), AdminError> {
    db.write(|conn| {
        let reseller = resellers::find_by_code(conn, code)?;
        let now = time::now();
        let actor = &Actor::Operator;
        Ok::<_, AdminError>(service::key::revoke(
            conn,
            actor,
            reseller.id,
            None,
            key_id,
            now,
        )?)
    })
}

/// Creates or replaces a reseller's tenant template from its JSON definition; its options
/// must be capabilities of the reseller.
pub fn set_template(
    db: &Database,
    code: &str,
    definition: &str,
) -> Result<TenantTemplate, AdminError> {
    let template: TenantTemplate = serde_json::from_str(definition).map_err(|e| {
        AdminError::Invalid(DomainError::invalid(
            "template",
            "json",
            format!("not a template: {e}"),
        ))
    })?;
    let now = time::now();
    let actor = &Actor::Operator;
    Ok(db.write(|conn| service::reseller::put_template(conn, actor, code, template, now))?)
}

/// A reseller's tenant templates, by name.
pub fn list_templates(db: &Database, code: &str) -> Result<Vec<TenantTemplate>, AdminError> {
    db.read(|conn| {
        let reseller = resellers::find_by_code(conn, code)?;
        Ok(templates::list(conn, reseller.id)?)
    })
}

/// Removes a reseller's tenant template; tenants made from it keep what it set up.
pub fn remove_template(db: &Database, code: &str, name: &str) -> Result<(), AdminError> {
    let actor = &Actor::Operator;
    Ok(db.write(|conn| service::reseller::remove_template(conn, actor, code, name))?)
}
