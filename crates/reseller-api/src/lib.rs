//! The Reseller API: `/reseller/**`, for integration partners provisioning their customers as
//! tenants (Sharespine's Reseller API, with Calipsa's and Partoo's ways to authenticate).
//!
//! Handlers parse and authorize, the domain decides, storage persists: each handler that
//! writes makes one `Database::write` call, which is one transaction.

pub mod analytics;
pub mod audit;
pub mod capability;
pub mod connection;
pub mod event;
pub mod key;
pub mod lifecycle;
pub mod login;
pub mod openapi;
pub mod permission;
pub mod sandbox;
pub mod scope;
pub mod template;
pub mod tenant;
pub mod user;
pub mod webhook;

use actix_web::web;
use tenantry_auth::ResellerPrincipal;
use tenantry_domain::tenant::Tenant;
use tenantry_http::resource;
use tenantry_http::{ApiError, AppState};
use tenantry_storage::{tenant as tenants, DbConnection};

pub(crate) type State = web::Data<AppState>;
pub(crate) use tenantry_http::ok_json;
pub(crate) use tenantry_http::AuthenticatedReseller as Principal;

/// The principal's tenant with this codeName; another reseller's or environment's answers 404.
pub(crate) fn tenant_in_scope(
    conn: &mut DbConnection,
    principal: &ResellerPrincipal,
    code_name: &str,
) -> Result<Tenant, ApiError> {
    Ok(tenants::find_by_code_name(
        conn,
        &principal.scope(),
        code_name,
    )?)
}

/// Mounts the Reseller API (and its OpenAPI document) on an actix `App`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/reseller")
            .app_data(tenantry_http::RequiredScopes(scope::required))
            .route("/openapi.json", web::get().to(openapi::serve))
            .service(resource("/tenant").get(tenant::list).post(tenant::create))
            .service(
                resource("/tenant/{codeName}")
                    .get(tenant::get)
                    .patch(tenant::update)
                    .delete(tenant::delete),
            )
            .service(
                resource("/tenant/{codeName}/user")
                    .get(user::list)
                    .post(user::create),
            )
            .service(
                resource("/tenant/{codeName}/user/{login}")
                    .get(user::get)
                    .patch(user::update)
                    .delete(user::delete),
            )
            .service(
                resource("/tenant/{codeName}/connection")
                    .get(connection::list)
                    .post(connection::create),
            )
            .service(
                resource("/tenant/{codeName}/connection/{id}")
                    .get(connection::get)
                    .patch(connection::update)
                    .delete(connection::delete),
            )
            .service(
                resource("/tenant/{codeName}/connection/{id}/token")
                    .post(connection::create_token)
                    .delete(connection::revoke_tokens),
            )
            .service(resource("/tenant/{codeName}/login/{login}").post(login::create))
            .service(
                resource("/tenant/{codeName}/cancel")
                    .post(lifecycle::cancel)
                    .delete(lifecycle::withdraw),
            )
            .service(resource("/tenant/{codeName}/sandbox/order").post(sandbox::fill))
            .service(resource("/permission").get(permission::list))
            .service(resource("/capability").get(capability::list))
            .service(resource("/template").get(template::list))
            .service(resource("/audit").get(audit::list))
            .service(resource("/event").get(event::list))
            .service(resource("/analytics").get(analytics::show))
            .service(
                resource("/webhook")
                    .get(webhook::list)
                    .post(webhook::create),
            )
            .service(
                resource("/webhook/{id}")
                    .get(webhook::get)
                    .patch(webhook::update)
                    .delete(webhook::delete),
            )
            .service(resource("/webhook/{id}/secret/rotate").post(webhook::rotate))
            .service(resource("/webhook/{id}/attempt").get(webhook::attempts))
            .service(resource("/webhook/{id}/event/{eventId}/resend").post(webhook::resend))
            .service(resource("/key").get(key::list).post(key::create))
            // Before `/key/{id}`, which would take `scope` for an id.
            .service(resource("/key/scope").get(key::scopes))
            .service(resource("/key/{id}").delete(key::revoke))
            .service(resource("/key/{id}/rotate").post(key::rotate)),
    );
}
