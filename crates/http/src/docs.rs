//! The interactive API docs: each surface's OpenAPI document in Swagger UI, at
//! `{prefix}/docs/`, with try-it-out and no validator (it would send the document to a third
//! party). Swagger UI's files are compiled into the binary (`utoipa-swagger-ui`'s vendored
//! copy), so the docs work offline.

use actix_web::{web, HttpResponse};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Mounts the docs of the surface whose routes start with `prefix` (`/reseller`), reading its
/// document from `{prefix}/openapi.json`. Register it before the surface's own scope, which
/// would otherwise take every path under `prefix`.
pub fn mount(cfg: &mut web::ServiceConfig, prefix: &'static str) {
    let config = Config::new([format!("{prefix}/openapi.json")])
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(false);
    let home = format!("{prefix}/docs/");
    cfg.route(
        &format!("{prefix}/docs"),
        web::get().to(move || {
            let home = home.clone();
            async move {
                HttpResponse::PermanentRedirect()
                    .insert_header((actix_web::http::header::LOCATION, home))
                    .finish()
            }
        }),
    )
    .service(SwaggerUi::new(format!("{prefix}/docs/{{_:.*}}")).config(config));
}
