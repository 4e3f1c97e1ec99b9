//! `/reseller/tenant/{codeName}/login/{login}`: a one-time URL that signs the user in.

use crate::{tenant_in_scope, Principal, State};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_auth::token;
use tenantry_domain::login_url::{check_path, LoginToken};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::time;
use tenantry_domain::usage::{Metric, Tally};
use tenantry_domain::user::TenantUser;
use tenantry_http::{blocking, ApiError, Json, Path, Problem};
use tenantry_storage::{login, user as users, DbConnection};
use utoipa::ToSchema;
use uuid::Uuid;

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

/// Sharespine's login URL response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginOut {
    pub path: String,
    /// Redirect the user here. Works once, until `expires`.
    #[schema(example = "https://tenantry.example/_tokenlogin/anna/Zk3…")]
    pub login_url: String,
    pub expires: DateTime<Utc>,
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
    let (code_name, user_login) = path.into_inner();
    check_path(&body.path)?;
    let base = crate::lifecycle::base_url(&state.config, &req);
    let ttl = state.config.login_url_ttl;
    let meter = state.clone();
    let (out, tenant) = blocking(move || {
        state.db.write(|conn| {
            let tenant = tenant_in_scope(conn, &principal, &code_name)?;
            let user = users::find_by_login(conn, tenant.id, &user_login)?;
            let out = issue(conn, &tenant, &user, body.path, ttl, &base, time::now())?;
            Ok::<_, ApiError>((out, tenant))
        })
    })
    .await?;
    meter
        .usage
        .count(&tenant, Metric::LoginUrlsCreated, "", Tally::one(0));
    Ok(HttpResponse::Created().json(out))
}

/// Stores a login token for `user` (only its hash) and returns its URL under `base`.
pub(crate) fn issue(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user: &TenantUser,
    path: String,
    ttl: chrono::Duration,
    base: &str,
    now: DateTime<Utc>,
) -> Result<LoginOut, ApiError> {
    let secret = token::random_base62(43);
    let login_token = LoginToken {
        tenant_id: tenant.id,
        id: Uuid::new_v4(),
        user_id: user.id,
        path,
        created_at: now,
        expires_at: now + ttl,
        consumed_at: None,
    };
    login::insert_token(conn, &login_token, &token::hash(&secret))?;
    Ok(LoginOut {
        login_url: format!("{base}/_tokenlogin/{}/{secret}", user.login),
        path: login_token.path,
        expires: login_token.expires_at,
    })
}
