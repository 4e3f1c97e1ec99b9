//! Provisioning (XAPP): what runs after a tenant is created — the template's connections, a
//! company token, sandbox orders, a login URL — announced by `tenant.ready`. It is scheduled
//! in the creating transaction and runs as a job ([`run`]), each in a transaction of its own.

use crate::login::{self, LoginTarget, LoginUrls};
use crate::{connection, sandbox, user, Actor, NewSecret, ServiceError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_api_types::connection::ConnectionOut;
use tenantry_api_types::tenant::{ReadyLoginOut, ReadyOut, TenantOut};
use tenantry_domain::connection::ConnectionDraft;
use tenantry_domain::event::EventType;
use tenantry_domain::permission::Role;
use tenantry_domain::template::TenantTemplate;
use tenantry_domain::tenant::{Tenant, TenantStatus};
use tenantry_domain::usage::{CounterKey, Metric, Tally};
use tenantry_domain::user::UserDraft;
use tenantry_domain::{DomainError, Environment};
use tenantry_storage::job::{self as jobs, JobKind};
use tenantry_storage::{tenant as tenants, usage, user as users, DbConnection, StorageError};

/// What a provisioning job does, kept in its payload (a job scheduled by an earlier version
/// reads the same way).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provisioning {
    /// Where the Tenant API is, for `tenant.ready` and login URLs.
    pub api_base_url: String,
    /// Create an `api` connection and put its company token in `tenant.ready`.
    pub company_token: bool,
    /// Generated sandbox orders (0 to 1000); when 0, the template's.
    pub sandbox_orders: i64,
    /// The user and path of a login URL for `tenant.ready`.
    #[serde(default)]
    pub login_url: Option<LoginTarget>,
    /// How long that login URL works, as the server was configured at creation.
    #[serde(default)]
    pub login_url_ttl_seconds: i64,
    /// The template chosen at creation, as it was then.
    #[serde(default)]
    pub template: Option<TenantTemplate>,
}

impl Provisioning {
    /// Checks what was asked for a tenant of `environment`; errors name `install.…` fields.
    pub fn check(&self, environment: Environment) -> Result<(), DomainError> {
        if !(0..=1000).contains(&self.sandbox_orders) {
            return Err(DomainError::invalid(
                "install.sandboxOrders",
                "range",
                "must be 0 to 1000",
            ));
        }
        if self.sandbox_orders > 0 && environment != Environment::Sandbox {
            return Err(DomainError::invalid(
                "install.sandboxOrders",
                "production_tenant",
                "fake data is only for sandbox tenants",
            ));
        }
        if let Some(target) = &self.login_url {
            target.check().map_err(|e| e.nested("install.loginUrl"))?;
        }
        Ok(())
    }
}

/// Schedules `tenant`'s provisioning to run as soon as its creation commits.
pub fn schedule(
    conn: &mut DbConnection,
    tenant: &Tenant,
    provisioning: &Provisioning,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let payload = serde_json::to_value(provisioning).expect("serializable");
    jobs::schedule(conn, tenant.id, JobKind::Provision, now, &payload, now)?;
    Ok(())
}

/// The secrets provisioning may need, made by the job runner; those not asked for are dropped.
#[derive(Debug, Clone)]
pub struct Secrets {
    /// For `install.companyToken`.
    pub company_token: NewSecret,
    /// For `install.loginUrl`.
    pub login_url: NewSecret,
}

/// Provisions `tenant` (as the [`Actor::System`]) and appends `tenant.ready`. A tenant
/// cancelled before its set-up ran gets nothing and no announcement.
pub fn run(
    conn: &mut DbConnection,
    mut tenant: Tenant,
    provisioning: &Provisioning,
    secrets: Secrets,
    now: DateTime<Utc>,
) -> Result<Tenant, ServiceError> {
    if tenant.status == TenantStatus::Cancelled {
        return Ok(tenant);
    }
    let actor = &Actor::System;
    let template = provisioning.template.as_ref();
    // Asked for in the request, else the template's; sandbox tenants only.
    let wanted_orders = match provisioning.sandbox_orders {
        0 if tenant.environment == Environment::Sandbox => template.map_or(0, |t| t.sandbox_orders),
        n => n,
    };
    let mut sandbox_orders = 0;
    if wanted_orders > 0 {
        sandbox_orders = sandbox::fill(conn, actor, &tenant, wanted_orders, now)?.orders_created;
    }
    let mut connections = Vec::new();
    for wanted in template.map_or(&[][..], |t| &t.connections) {
        // No token: it would be shown to no one; the partner asks for one when it needs it.
        let created = connection::create(conn, actor, &tenant, wanted.draft(), None, now)?;
        connections.push(ConnectionOut::from(created));
    }
    let mut company_token = None;
    if provisioning.company_token {
        let NewSecret { secret, stored } = secrets.company_token;
        let draft = ConnectionDraft::default_api();
        let created = connection::create(conn, actor, &tenant, draft, Some(stored), now)?;
        connections.push(ConnectionOut::from(created));
        company_token = Some(secret);
    }
    let login = match &provisioning.login_url {
        Some(target) => Some(login_url(
            conn,
            &tenant,
            target,
            provisioning,
            secrets.login_url,
            now,
        )?),
        None => None,
    };
    if tenant.finish_provisioning(now) {
        tenants::update(conn, &tenant)?;
    }
    let ready = ReadyOut {
        tenant: TenantOut::from(tenant.clone()),
        api_base_url: provisioning.api_base_url.clone(),
        company_token,
        sandbox_orders,
        connections,
        login,
    };
    crate::emit(conn, &tenant, EventType::TenantReady, &ready)?;
    Ok(tenant)
}

/// The login URL `tenant.ready` carries: for the user of that login, created as the tenant's
/// admin when there is none. Counted in the usage analytics in this transaction.
fn login_url(
    conn: &mut DbConnection,
    tenant: &Tenant,
    target: &LoginTarget,
    provisioning: &Provisioning,
    secret: NewSecret,
    now: DateTime<Utc>,
) -> Result<ReadyLoginOut, ServiceError> {
    match users::find_by_login(conn, tenant.id, &target.login) {
        Ok(_) => {}
        Err(StorageError::NotFound(_)) => {
            let draft = UserDraft {
                login: target.login.clone(),
                full_name: tenant.full_name.clone(),
                email: tenant.email.clone(),
                permissions: Vec::new(),
                role: Role::Admin,
                default_language: tenant.default_language.clone(),
                password: None,
            };
            user::create(conn, &Actor::System, tenant, draft, None, now)?;
        }
        Err(e) => return Err(e.into()),
    }
    let urls = LoginUrls {
        base: provisioning.api_base_url.clone(),
        ttl: chrono::Duration::seconds(provisioning.login_url_ttl_seconds),
    };
    let url = login::issue(
        conn,
        &Actor::System,
        tenant,
        target.clone(),
        &urls,
        secret,
        now,
    )?;
    let created = CounterKey::for_tenant(tenant, now.date_naive(), Metric::LoginUrlsCreated, "");
    usage::add(conn, &[(created, Tally::one(0))], &[])?;
    Ok(ReadyLoginOut {
        login: target.login.clone(),
        url,
    })
}
