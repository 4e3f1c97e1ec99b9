//! `/reseller/tenant/{codeName}/user`: the tenant's users (people and API users).

use crate::{ok_json, owned_tenant, Principal, State};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::{Deserialize, Deserializer};
pub use tenantry_api_types::user::UserOut;
use tenantry_auth::password;
use tenantry_domain::permission::Role;
use tenantry_domain::time;
use tenantry_domain::user::{UserDraft, UserPatch};
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{blocking, Acting, ApiError, AuditedReseller, Json, Path, Problem, Query};
use tenantry_service as service;
use tenantry_storage::user as users;
use utoipa::{IntoParams, ToSchema};

/// Sharespine's create-user body, plus `role` and an optional `password` for API users.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserIn {
    /// Unique within the tenant: letters, digits and `. _ @ + -`.
    #[schema(example = "api", pattern = "^[A-Za-z0-9._@+-]{1,100}$")]
    pub login: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub full_name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// From the catalogue (`GET /reseller/permission`); added to the role's.
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::permissions)]
    pub permissions: Vec<String>,
    /// `admin`, `manager` or `viewer` (default).
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::role, example = "viewer")]
    pub role: Role,
    /// Defaults to the tenant's default language.
    #[schema(pattern = "^[a-z]{2,3}$")]
    pub default_language: Option<String>,
    /// Set for API users: the Tenant API's Basic authentication uses it. 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
}

impl UserIn {
    /// The domain's draft; `tenant_language` fills a missing default language.
    fn draft(self, tenant_language: &str) -> UserDraft {
        UserDraft {
            login: self.login,
            full_name: self.full_name,
            email: self.email,
            permissions: self.permissions,
            role: self.role,
            default_language: self
                .default_language
                .unwrap_or_else(|| tenant_language.to_owned()),
            password: self.password,
        }
    }
}

/// A partial update. `password: null` removes the password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatchIn {
    #[schema(max_length = 200)]
    pub full_name: Option<String>,
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(schema_with = tenantry_http::openapi_schema::permissions_or_null)]
    pub permissions: Option<Vec<String>>,
    #[schema(schema_with = tenantry_http::openapi_schema::role_or_null)]
    pub role: Option<Role>,
    #[schema(pattern = "^[a-z]{2,3}$")]
    pub default_language: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 12, max_length = 256)]
    pub password: Option<Option<String>>,
}

/// Tells `"password": null` (remove it) from an absent `password` (keep it).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Query of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Create a tenant user.
#[utoipa::path(post, path = "/reseller/tenant/{codeName}/user", tag = "user", params(("codeName" = String, Path)), request_body = UserIn,
    responses((status = 201, body = UserOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "login taken in this tenant", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    audited: AuditedReseller,
    path: Path<String>,
    Json(body): Json<UserIn>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let location = format!("/reseller/tenant/{code_name}/user/");
    let user = blocking(move || {
        // The tenant's default language fills a missing one, so it is read before checking.
        let tenant = state
            .db
            .read(|conn| owned_tenant(conn, audited.principal(), &code_name))?;
        let draft = body.draft(&tenant.default_language).check()?;
        // argon2 runs before the transaction, so the write lock is not held while hashing.
        let password_hash = draft.password.as_deref().map(password::hash);
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::CREATED)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            let now = time::now();
            let made = service::user::create(conn, &actor, &tenant, draft, password_hash, now);
            Ok::<_, ApiError>(made?)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{location}{}", user.login)))
        .json(UserOut::from(user)))
}

/// List the tenant's users, by login.
#[utoipa::path(get, path = "/reseller/tenant/{codeName}/user", tag = "user", params(("codeName" = String, Path), UserListQuery),
    responses((status = 200, body = ListPage<UserOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    query: Query<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, |k| Some(k.to_owned())))
        .transpose()?;
    let page = blocking(move || {
        state.db.read(|conn| {
            let tenant = owned_tenant(conn, &principal, &code_name)?;
            Ok(users::list(conn, tenant.id, after.as_deref(), limit)?)
        })
    })
    .await?;
    let next_cursor = pagination::next_cursor(page.has_more, &page.rows, |u| u.login.clone());
    ok_json(&ListPage {
        data: page.rows.into_iter().map(UserOut::from).collect(),
        next_cursor,
        has_more: page.has_more,
    })
}

/// Read a tenant user.
#[utoipa::path(get, path = "/reseller/tenant/{codeName}/user/{login}", tag = "user", params(("codeName" = String, Path), ("login" = String, Path)),
    responses((status = 200, body = UserOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: State,
    Principal(principal): Principal,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, login) = path.into_inner();
    let user = blocking(move || {
        state.db.read(|conn| {
            let tenant = owned_tenant(conn, &principal, &code_name)?;
            Ok(users::find_by_login(conn, tenant.id, &login)?)
        })
    })
    .await?;
    ok_json(&UserOut::from(user))
}

/// Update a tenant user; the login never changes.
#[utoipa::path(patch, path = "/reseller/tenant/{codeName}/user/{login}", tag = "user", params(("codeName" = String, Path), ("login" = String, Path)),
    request_body = UserPatchIn,
    responses((status = 200, body = UserOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    audited: AuditedReseller,
    path: Path<(String, String)>,
    Json(body): Json<UserPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, login) = path.into_inner();
    let patch = UserPatch {
        full_name: body.full_name,
        email: body.email,
        permissions: body.permissions,
        role: body.role,
        default_language: body.default_language,
        password: body.password,
    };
    patch.check()?;
    let user = blocking(move || {
        let password_hash = patch
            .password
            .as_ref()
            .map(|p| p.as_deref().map(password::hash));
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::OK)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            Ok::<_, ApiError>(service::user::update(
                conn,
                &actor,
                &tenant,
                &login,
                patch,
                password_hash,
                time::now(),
            )?)
        })
    })
    .await?;
    ok_json(&UserOut::from(user))
}

/// Delete a tenant user; its login URLs and sessions stop working at once.
#[utoipa::path(delete, path = "/reseller/tenant/{codeName}/user/{login}", tag = "user", params(("codeName" = String, Path), ("login" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    state: State,
    audited: AuditedReseller,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, login) = path.into_inner();
    blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::NO_CONTENT)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            service::user::delete(conn, &actor, &tenant, &login)?;
            Ok::<_, ApiError>(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
