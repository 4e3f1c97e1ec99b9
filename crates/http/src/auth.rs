//! The actix extractor that authenticates the Reseller API's callers.

use crate::{blocking, idempotency, ApiError, AppState};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use tenantry_auth::scheme::Headers;
use tenantry_auth::tenant::TenantHeaders;
use tenantry_auth::{ResellerCredentials, ResellerPrincipal, TenantCredentials, TenantPrincipal};

/// A request authenticated as a reseller, by any of the three schemes.
#[derive(Debug, Clone)]
pub struct AuthenticatedReseller(pub ResellerPrincipal);

fn header<'a>(req: &'a HttpRequest, name: &str) -> Result<Option<&'a str>, ApiError> {
    req.headers()
        .get(name)
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::unauthorized(format!("the {name} header is not readable text"))
            })
        })
        .transpose()
}

impl FromRequest for AuthenticatedReseller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = (|| {
            let headers = Headers {
                authorization: header(req, "authorization")?,
                x_reseller: header(req, "x-reseller")?,
                x_api_key: header(req, "x-apikey")?,
            };
            Ok::<_, ApiError>(ResellerCredentials::parse(headers)?)
        })();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let pending = idempotency::pending(req);
        let req = req.clone();
        Box::pin(async move {
            let credentials = parsed?;
            let state = state.ok_or_else(ApiError::internal)?;
            let (principal, claim) = blocking(move || {
                let principal = state
                    .db
                    .read(|conn| Ok::<_, ApiError>(state.auth.reseller(conn, &credentials)?))?;
                let owner = format!(
                    "reseller:{}:{}",
                    principal.reseller.id, principal.environment
                );
                let claim = pending
                    .map(|p| idempotency::claim(&state.db, &p, &owner))
                    .transpose()?;
                Ok((principal, claim))
            })
            .await?;
            if let Some(claim) = claim {
                claim.apply(&req)?;
            }
            Ok(AuthenticatedReseller(principal))
        })
    }
}

/// A request authenticated for one tenant, by any of the Tenant API's schemes.
#[derive(Debug, Clone)]
pub struct AuthenticatedTenant(pub TenantPrincipal);

impl FromRequest for AuthenticatedTenant {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = (|| {
            let headers = TenantHeaders {
                authorization: header(req, "authorization")?,
                x_api_key: header(req, "x-apikey")?,
                x_tenant: header(req, "x-tenant")?,
                x_connection_id: header(req, "x-connectionid")?,
                x_tenant_id: header(req, "x-tenant-id")?,
                x_reseller: header(req, "x-reseller")?,
            };
            Ok::<_, ApiError>(TenantCredentials::parse(headers)?)
        })();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let pending = idempotency::pending(req);
        let req = req.clone();
        Box::pin(async move {
            let result = async {
                let credentials = parsed?;
                let state = state.ok_or_else(ApiError::internal)?;
                let (principal, claim) = blocking(move || {
                    let principal = state
                        .db
                        .read(|conn| Ok::<_, ApiError>(state.auth.tenant(conn, &credentials)?))?;
                    let owner = format!("tenant:{}", principal.tenant.id);
                    let claim = pending
                        .map(|p| idempotency::claim(&state.db, &p, &owner))
                        .transpose()?;
                    Ok((principal, claim))
                })
                .await?;
                if let Some(claim) = claim {
                    claim.apply(&req)?;
                }
                Ok::<_, ApiError>(principal)
            }
            .await;
            result
                .map(AuthenticatedTenant)
                .map_err(|e| e.with_challenge(crate::error::TENANT_CHALLENGE))
        })
    }
}
