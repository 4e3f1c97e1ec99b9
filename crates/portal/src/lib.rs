//! The tenant portal: server-rendered pages under `/portal` where a tenant's own people, sent
//! there by a login URL (`/_tokenlogin/{login}/{token}`), see their account and do their
//! configuration. It is part of the tenant surface (`serve --surface tenant|all` mounts it
//! beside the Tenant API) and imports neither API surface: every change is a `service` use
//! case, so it appends the same events and audit entries as the APIs.
//!
//! Plain HTML forms with post/redirect/get; askama templates, checked at compile time and
//! escaping all output; assets compiled in ([`assets`]); every form post checked for its
//! origin and its session's CSRF token ([`form`]); roles enforced on the server as well as in
//! what a page offers.

pub mod activity;
pub mod assets;
pub mod connections;
mod error;
pub mod form;
pub mod i18n;
pub mod integrations;
pub mod orders;
pub mod overview;
mod page;
pub mod products;
pub mod session;
pub mod settings;
mod text;
pub mod users;

pub use error::PortalError;

use actix_web::middleware::from_fn;
use actix_web::web;
use std::collections::HashMap;
use tenantry_domain::DomainError;

/// Mounts the login URL, the portal's pages and `/` (a signed-in browser's way back in).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(tenantry_api_types::login::ROUTE)
            .wrap(from_fn(page::pages))
            .get(session::token_login),
    )
    .service(
        web::scope("/portal")
            .wrap(from_fn(page::pages))
            .route("", web::get().to(overview::show))
            .route("/assets/{name}", web::get().to(assets::serve))
            .route("/signout", web::post().to(session::sign_out))
            .route("/connections", web::get().to(connections::list))
            .route("/connections", web::post().to(connections::create))
            .route(
                "/connections/{id}/active",
                web::post().to(connections::set_active),
            )
            .route(
                "/connections/{id}/delete",
                web::post().to(connections::delete),
            )
            .route(
                "/connections/{id}/token",
                web::post().to(connections::rotate_token),
            )
            .route("/integrations", web::get().to(integrations::list))
            .route(
                "/integrations/callback",
                web::get().to(integrations::callback),
            )
            .route(
                "/integrations/{id}/connect",
                web::get().to(integrations::consent),
            )
            .route(
                "/integrations/{id}/connect",
                web::post().to(integrations::connect),
            )
            .route(
                "/integrations/links/{id}/disconnect",
                web::post().to(integrations::disconnect),
            )
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::create))
            .route("/users/{login}", web::post().to(users::update))
            .route("/users/{login}/delete", web::post().to(users::delete))
            .route("/settings", web::get().to(settings::show))
            .route("/settings", web::post().to(settings::save))
            .route("/orders", web::get().to(orders::list))
            .route("/orders/{id}", web::get().to(orders::show))
            .route("/orders/{id}/status", web::post().to(orders::set_status))
            .route("/products", web::get().to(products::list))
            .route("/products", web::post().to(products::create))
            .route("/products/{sku}", web::post().to(products::update))
            .route("/activity", web::get().to(activity::activity))
            .route("/usage", web::get().to(activity::usage))
            .default_service(web::to(not_found)),
    )
    .default_service(web::to(session::home));
}

async fn not_found() -> Result<actix_web::HttpResponse, PortalError> {
    Err(PortalError::NotFound("no such portal page".into()))
}

/// Runs database work on actix's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, PortalError> + Send + 'static,
) -> Result<T, PortalError> {
    web::block(f)
        .await
        .map_err(|e| PortalError::Internal(format!("a blocking task failed: {e}")))?
}

/// A validation error's messages by field, for the page to show next to each field.
pub(crate) fn field_errors(e: DomainError) -> HashMap<String, String> {
    let DomainError::Invalid(errors) = e;
    let mut by_field = HashMap::new();
    for error in errors {
        by_field.entry(error.field).or_insert(error.message);
    }
    by_field
}
