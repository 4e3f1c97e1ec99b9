//! `GET /reseller/capability`: what the operator lets this reseller grant its tenants as
//! `options` (Calipsa's capabilities).

use crate::{ok_json, Principal};
use actix_web::HttpResponse;
use serde::Serialize;
use tenantry_http::{ApiError, Problem};
use utoipa::ToSchema;

/// One capability.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityOut {
    /// The value a tenant's `options` may contain.
    pub name: String,
}

/// The reseller's capabilities.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityList {
    pub data: Vec<CapabilityOut>,
}

/// List the capabilities this reseller may grant its tenants. The operator grants and removes
/// them (`tenantry reseller capability add|remove`); a removed capability is removed from the
/// options of every tenant that had it.
#[utoipa::path(get, path = "/reseller/capability", tag = "tenant",
    responses((status = 200, body = CapabilityList), (status = 401, body = Problem)))]
pub async fn list(principal: Principal) -> Result<HttpResponse, ApiError> {
    ok_json(&CapabilityList {
        data: principal
            .0
            .reseller
            .capabilities
            .into_iter()
            .map(|name| CapabilityOut { name })
            .collect(),
    })
}
