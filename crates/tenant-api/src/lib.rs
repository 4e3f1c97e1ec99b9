//! The Tenant API: what integrators use to read and write one tenant's orders and products,
//! with gap-free incremental order sync. (The browser side of the onboarding flow, the login
//! URL and the portal it opens, is `tenantry-portal`, mounted beside this crate.)
//!
//! Every operation needs the permission its row of [`operation::OPERATIONS`] names
//! (`order:read`, `order:write`, `product:read`, `product:write`), which the authentication
//! extractor checks, and reads and writes only the caller's tenant.

pub mod me;
pub mod openapi;
pub mod operation;
pub mod order;
pub mod product;

use actix_web::web;
use tenantry_http::AppState;

pub(crate) type State = web::Data<AppState>;
pub(crate) use tenantry_http::ok_json;
pub(crate) use tenantry_http::AuthenticatedTenant as Caller;
pub(crate) use tenantry_http::AuthenticatedTenantRead as ReadCaller;

/// Mounts the Tenant API surface on an actix `App`: the operations of
/// [`operation::OPERATIONS`] and the OpenAPI document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut api = web::scope("/tenant")
        .app_data(tenantry_http::RequiredPermissions(operation::required))
        .route("/openapi.json", web::get().to(openapi::serve));
    for resource in operation::resources() {
        api = api.service(resource);
    }
    tenantry_http::docs::mount(cfg, "/tenant");
    cfg.service(api);
}
