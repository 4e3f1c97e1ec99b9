//! A tenant as the Reseller API shows it and `tenant.*` events carry it.

use crate::connection::ConnectionOut;
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
