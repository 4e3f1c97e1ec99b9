//! `GET /reseller/permission`: the permission catalogue of tenant users, and the roles.

use crate::{ok_json, Principal};
use actix_web::HttpResponse;
use serde::Serialize;
use tenantry_domain::permission::{Permission, Role};
use tenantry_http::{ApiError, Problem};
use utoipa::ToSchema;

/// One permission.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionOut {
    pub name: &'static str,
    pub description: &'static str,
}

/// A role and the permissions it bundles.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleOut {
    pub name: &'static str,
    pub permissions: Vec<&'static str>,
}

/// The catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionCatalogue {
    pub data: Vec<PermissionOut>,
    pub roles: Vec<RoleOut>,
}

/// List the permissions a tenant user can hold, and the roles that bundle them.
#[utoipa::path(get, path = "/reseller/permission", tag = "user",
    responses((status = 200, body = PermissionCatalogue), (status = 401, body = Problem)))]
pub async fn list(_: Principal) -> Result<HttpResponse, ApiError> {
    ok_json(&PermissionCatalogue {
        data: Permission::ALL
            .iter()
            .map(|p| PermissionOut {
                name: p.as_str(),
                description: p.description(),
            })
            .collect(),
        roles: Role::ALL
            .into_iter()
            .map(|r| RoleOut {
                name: r.as_str(),
                permissions: r.permissions().iter().map(|p| p.as_str()).collect(),
            })
            .collect(),
    })
}
