//! The Tenant API surface: what a tenant's users and integrators reach. For now it carries
//! the browser side of the onboarding flow: one-time login URLs and the session they start.

pub mod session;

use actix_web::web;

/// Mounts the Tenant API surface on an actix `App`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/_tokenlogin/{login}/{token}").get(session::token_login));
}
