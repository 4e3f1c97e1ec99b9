//! `GET /tenant`: who am I — the tenant, connection, user and permissions of the caller, as
//! Sharespine's Tenant API root answers.

use crate::{ok_json, Caller};
use actix_web::HttpResponse;
use serde::Serialize;
use tenantry_auth::TenantAccess;
use tenantry_domain::Environment;
use tenantry_http::{ApiError, Problem};
use utoipa::ToSchema;
use uuid::Uuid;

/// The calling tenant.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeTenant {
    pub id: Uuid,
    pub code_name: String,
    pub full_name: String,
    #[schema(value_type = String)]
    pub environment: Environment,
}

/// Who is calling and what it may do.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeOut {
    pub tenant: MeTenant,
    /// The API connection used, if any.
    pub connection_id: Option<String>,
    /// The tenant user's login, when a user authenticated.
    pub user: Option<String>,
    /// `connection_user`, `tenant_token` or `reseller`.
    pub authenticated_by: &'static str,
    pub permissions: Vec<String>,
}

/// Who am I.
#[utoipa::path(get, path = "/tenant", tag = "tenant",
    responses((status = 200, body = MeOut), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get(Caller(caller): Caller) -> Result<HttpResponse, ApiError> {
    let (connection_id, user, authenticated_by) = match caller.access {
        TenantAccess::ConnectionUser {
            connection_id,
            login,
            ..
        } => (Some(connection_id), Some(login), "connection_user"),
        TenantAccess::TenantToken { connection_id } => (Some(connection_id), None, "tenant_token"),
        TenantAccess::Reseller { .. } => (None, None, "reseller"),
    };
    ok_json(&MeOut {
        tenant: MeTenant {
            id: caller.tenant.id,
            code_name: caller.tenant.code_name,
            full_name: caller.tenant.full_name,
            environment: caller.tenant.environment,
        },
        connection_id,
        user,
        authenticated_by,
        permissions: caller.permissions.iter().map(|p| p.to_string()).collect(),
    })
}
