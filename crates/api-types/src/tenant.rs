//! A tenant as the Reseller API shows it and `tenant.*` events carry it.

use crate::connection::ConnectionOut;
use crate::login::LoginOut;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::tenant::{Subscription, Tenant, TenantStatus};
use tenantry_domain::Environment;
use utoipa::ToSchema;
use uuid::Uuid;

/// A tenant as the Reseller API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantOut {
    pub id: Uuid,
    /// Save this: it names the tenant in every later call.
    #[schema(example = "mycustomer-1")]
    pub code_name: String,
    pub customer_reference: String,
    pub active: bool,
    #[schema(value_type = String, example = "active")]
    pub status: TenantStatus,
    #[schema(value_type = String, example = "sandbox")]
    pub environment: Environment,
    pub full_name: String,
    pub email: String,
    pub default_language: String,
    pub languages: Vec<String>,
    pub options: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub subscription: Subscription,
    /// When the scheduled (or done) cancellation takes effect.
    pub cancellation_effective_at: Option<DateTime<Utc>>,
    /// With `withApiConnection`: the default API connection, its `token` shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionOut>,
}

impl From<Tenant> for TenantOut {
    fn from(t: Tenant) -> Self {
        TenantOut {
            id: t.id,
            active: t.active(),
            code_name: t.code_name,
            customer_reference: t.customer_reference,
            status: t.status,
            environment: t.environment,
            full_name: t.full_name,
            email: t.email,
            default_language: t.default_language,
            languages: t.languages,
            options: t.options,
            created_at: t.created_at,
            updated_at: t.updated_at,
            subscription: t.subscription,
            cancellation_effective_at: t.cancellation_effective_at,
            connection: None,
        }
    }
}

/// `tenant.ready`'s payload: what the partner needs to install.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadyOut {
    #[serde(flatten)]
    pub tenant: TenantOut,
    /// Where the Tenant API is.
    pub api_base_url: String,
    /// A company token (`tnt_…`) for the Tenant API, when asked for with `install.companyToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_token: Option<String>,
    /// How many sandbox orders provisioning created.
    pub sandbox_orders: i64,
    /// The connections provisioning created (the template's, and the company token's): their
    /// ids are the Tenant API's `X-ConnectionId`.
    pub connections: Vec<ConnectionOut>,
    /// A one-time login URL, when asked for with `install.loginUrl`. It works once, for the
    /// server's login URL lifetime (10 minutes by default); `POST …/login/{login}` makes
    /// another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<ReadyLoginOut>,
}

/// The login URL in `tenant.ready`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadyLoginOut {
    /// The user it signs in.
    pub login: String,
    #[serde(flatten)]
    pub url: LoginOut,
}
