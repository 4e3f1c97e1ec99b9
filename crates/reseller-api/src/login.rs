//! `/reseller/tenant/{codeName}/login/{login}`: a one-time URL that signs the user in.

use crate::{owned_tenant, Principal, State};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
pub use tenantry_api_types::login::LoginOut;
use tenantry_auth::token;
use tenantry_domain::login_url::check_path;
use tenantry_domain::time;
use tenantry_domain::usage::{Metric, Tally};
use tenantry_http::{blocking, Acting, ApiError, Json, Path, Problem};
use tenantry_service as service;
use tenantry_service::login::LoginTarget;
use utoipa::ToSchema;

/// Where to send the user after signing in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    /// A path on this server (`/`, `/orders`); absolute and protocol-relative URLs are refused.
    #[serde(default = "root")]
    #[schema(
        example = "/",
        pattern = "^/(?!/)[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\\\]{0,1999}$"
    )]
    pub path: String,
}

pub(crate) fn root() -> String {
    "/".to_owned()
}

/// Create a one-time login URL for a tenant user.
#[utoipa::path(post, path = "/reseller/tenant/{codeName}/login/{login}", tag = "login", params(("codeName" = String, Path), ("login" = String, Path)),
    request_body = LoginIn,
    responses((status = 201, body = LoginOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 415, body = Problem), (status = 422, description = "`path` is not a path on this server", body = Problem)))]
pub async fn create(
    state: State,
    Principal(principal): Principal,
    path: Path<(String, String)>,
    req: HttpRequest,
    Json(body): Json<LoginIn>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, login) = path.into_inner();
    check_path(&body.path)?;
    let urls = state.config.login_urls(&req);
    let target = LoginTarget {
        login,
        path: body.path,
    };
    let secret = token::one_time();
    let meter = state.clone();
    let (out, tenant) = blocking(move || {
        let actor = principal.actor();
        state.db.write(|conn| {
            let tenant = owned_tenant(conn, &principal, &code_name)?;
            let now = time::now();
            let out = service::login::issue(conn, &actor, &tenant, target, &urls, secret, now)?;
            Ok::<_, ApiError>((out, tenant))
        })
    })
    .await?;
    meter
        .usage
        .count(&tenant, Metric::LoginUrlsCreated, "", Tally::one(0));
    Ok(HttpResponse::Created().json(out))
}
