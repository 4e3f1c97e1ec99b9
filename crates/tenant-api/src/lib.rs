//! The Tenant API: what integrators use to read and write one tenant's orders and products,
//! with gap-free incremental order sync; plus the browser side of the onboarding flow (one-time
//! login URLs and the session they start).
//!
//! Every operation checks the caller's permissions (`order:read`, `order:write`,
//! `product:read`, `product:write`) and reads and writes only the caller's tenant.

pub mod me;
pub mod openapi;
pub mod order;
pub mod product;
pub mod session;

use actix_web::web;
use tenantry_http::resource;
use tenantry_http::AppState;

pub(crate) type State = web::Data<AppState>;
pub(crate) use tenantry_http::ok_json;
pub(crate) use tenantry_http::AuthenticatedTenant as Caller;

/// Mounts the Tenant API surface on an actix `App`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(tenantry_api_types::login::ROUTE).get(session::token_login))
        .service(
            web::scope("/tenant")
                .route("/openapi.json", web::get().to(openapi::serve))
                .service(resource("").get(me::get))
                .service(resource("/order").get(order::list).post(order::create))
                .service(resource("/order/{id}").get(order::get).patch(order::update))
                .service(
                    resource("/product")
                        .get(product::list)
                        .post(product::create),
                )
                .service(
                    resource("/product/{sku}")
                        .get(product::get)
                        .patch(product::update)
                        .delete(product::delete),
                ),
        );
}
