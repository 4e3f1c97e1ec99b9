//! The subscription's end (XAPP): cancellation at an effective date, scheduled, withdrawn or
//! immediate. Provisioning, which `tenant.ready` announces, is `tenantry_service::provisioning`,
//! run by the tenant jobs of `tenantry-worker`.

use crate::tenant::TenantOut;
use crate::{ok_json, State};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tenantry_domain::time;
use tenantry_http::{blocking, Acting, ApiError, AuditedReseller, Json, Path, Problem};
use tenantry_service as service;
use utoipa::ToSchema;

/// When the cancellation takes effect.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelIn {
    /// RFC 3339; now or earlier cancels at once.
    pub effective_date: DateTime<Utc>,
}

/// Cancel a tenant at `effectiveDate` (XAPP). Until then it works as before and the
/// cancellation can be withdrawn; at the date its connections are deactivated and the Tenant
/// API refuses it. Scheduling again moves the date.
#[utoipa::path(post, path = "/reseller/tenant/{codeName}/cancel", tag = "tenant", params(("codeName" = String, Path)), request_body = CancelIn,
    responses((status = 200, body = TenantOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "cancelled already", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    state: State,
    audited: AuditedReseller,
    path: Path<String>,
    Json(body): Json<CancelIn>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let tenant = blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::OK)?;
            let (actor, owner) = (principal.actor(), principal.owner());
            Ok::<_, ApiError>(service::lifecycle::cancel(
                conn,
                &actor,
                &owner,
                &code_name,
                body.effective_date,
                time::now(),
            )?)
        })
    })
    .await?;
    ok_json(&TenantOut::from(tenant))
}

/// Withdraw a scheduled cancellation; the tenant is active again.
#[utoipa::path(delete, path = "/reseller/tenant/{codeName}/cancel", tag = "tenant", params(("codeName" = String, Path)),
    responses((status = 200, body = TenantOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "no cancellation is scheduled", body = Problem)))]
pub async fn withdraw(
    state: State,
    audited: AuditedReseller,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let tenant = blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::OK)?;
            let (actor, owner) = (principal.actor(), principal.owner());
            Ok::<_, ApiError>(service::lifecycle::withdraw(
                conn,
                &actor,
                &owner,
                &code_name,
                time::now(),
            )?)
        })
    })
    .await?;
    ok_json(&TenantOut::from(tenant))
}
