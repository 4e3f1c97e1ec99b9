//! `/reseller/tenant/{codeName}/connection`: API connections, which open the Tenant API.

use crate::{ok_json, owned_tenant, Principal, State};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
pub use tenantry_api_types::connection::ConnectionOut;
use tenantry_auth::token::{self, TokenKind};
use tenantry_domain::connection::{self as domain, Connection, ConnectionDraft, ConnectionPatch};

use tenantry_domain::tenant::Tenant;
use tenantry_domain::{time, Environment};
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{blocking, Acting, ApiError, AuditedReseller, Json, Path, Problem, Query};
use tenantry_service as service;
use tenantry_service::NewSecret;
use tenantry_storage::{connection as connections, DbConnection};
use utoipa::{IntoParams, ToSchema};

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// Sharespine's create-connection body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionIn {
    #[serde(default = "tenantry_http::default_true")]
    pub active: bool,
    #[serde(default = "default_name")]
    #[schema(example = "API", min_length = 1, max_length = 100)]
    pub name: String,
    /// Connection type; `api` (the default) opens the Tenant API.
    #[serde(default = "default_type", rename = "type")]
    #[schema(example = "api", pattern = "^[a-z0-9_]{1,32}$")]
    pub kind: String,
    /// A JSON object of connection settings.
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::json_object)]
    pub configuration: JsonObject,
}

fn default_name() -> String {
    "API".to_owned()
}

fn default_type() -> String {
    domain::API_TYPE.to_owned()
}

/// A partial update; `active: false` stops the connection's Tenant API access at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionPatchIn {
    pub active: Option<bool>,
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(schema_with = tenantry_http::openapi_schema::json_object_or_null)]
    pub configuration: Option<JsonObject>,
}

/// A new company token for a tenant of `environment`: the secret to show once, and what is
/// stored of it.
pub(crate) fn new_token(environment: Environment) -> NewSecret {
    token::generate(TokenKind::TenantToken, environment)
}

/// A new tenant token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenOut {
    pub connection_id: String,
    /// `tnt_test_…` or `tnt_live_…`: use as `Authorization: Bearer` or `x-APIKey` on the Tenant API.
    pub token: String,
}

/// Query of the connection list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConnectionListQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The principal's tenant `code_name` and its connection `id`; anything not theirs is 404.
fn connection_in_scope(
    conn: &mut DbConnection,
    principal: &tenantry_auth::ResellerPrincipal,
    code_name: &str,
    id: &str,
) -> Result<(Tenant, Connection), ApiError> {
    let tenant = owned_tenant(conn, principal, code_name)?;
    let connection = connections::find(conn, tenant.id, id)?;
    Ok((tenant, connection))
}

/// A malformed id cannot name a connection: answer 404 without a lookup.
fn check_id(id: &str) -> Result<(), ApiError> {
    if domain::is_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found("connection"))
    }
}

/// Create an API connection. An `api` connection comes with a tenant token, shown once.
#[utoipa::path(post, path = "/reseller/tenant/{codeName}/connection", tag = "connection", params(("codeName" = String, Path)),
    request_body = ConnectionIn,
    responses((status = 201, description = "Created; save `id`", body = ConnectionOut), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    audited: AuditedReseller,
    path: Path<String>,
    Json(body): Json<ConnectionIn>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let location = format!("/reseller/tenant/{code_name}/connection/");
    let draft = ConnectionDraft {
        name: body.name,
        kind: body.kind,
        active: body.active,
        configuration: body.configuration,
    }
    .check()?;
    // An `api` connection comes with its first company token, shown this once.
    let token =
        (draft.kind == domain::API_TYPE).then(|| new_token(audited.principal().environment));
    let secret = token.as_ref().map(|t| t.secret.clone());
    let created = blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::CREATED)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            let stored = token.map(|t| t.stored);
            let now = time::now();
            Ok::<_, ApiError>(service::connection::create(
                conn, &actor, &tenant, draft, stored, now,
            )?)
        })
    })
    .await?;
    let connection = ConnectionOut {
        token: secret,
        ..ConnectionOut::from(created)
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{location}{}", connection.id)))
        .json(connection))
}

/// List the tenant's connections, oldest first.
#[utoipa::path(get, path = "/reseller/tenant/{codeName}/connection", tag = "connection", params(("codeName" = String, Path), ConnectionListQuery),
    responses((status = 200, body = ListPage<ConnectionOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    query: Query<ConnectionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, parse_cursor))
        .transpose()?;
    let page = blocking(move || {
        state.db.read(|conn| {
            let tenant = owned_tenant(conn, &principal, &code_name)?;
            Ok(connections::list(conn, tenant.id, after, limit)?)
        })
    })
    .await?;
    let next_cursor = pagination::next_cursor(page.has_more, &page.rows, |c| {
        pagination::time_id_key(c.created_at, &c.id)
    });
    ok_json(&ListPage {
        data: page.rows.into_iter().map(ConnectionOut::from).collect(),
        next_cursor,
        has_more: page.has_more,
    })
}

fn parse_cursor(key: &str) -> Option<(DateTime<Utc>, String)> {
    let (micros, id) = key.split_once('/')?;
    domain::is_id(id).then_some(())?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id.to_owned(),
    ))
}

/// Read a connection.
#[utoipa::path(get, path = "/reseller/tenant/{codeName}/connection/{id}", tag = "connection", params(("codeName" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ConnectionOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: State,
    Principal(principal): Principal,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, id) = path.into_inner();
    check_id(&id)?;
    let connection = blocking(move || {
        state
            .db
            .read(|conn| Ok(connection_in_scope(conn, &principal, &code_name, &id)?.1))
    })
    .await?;
    ok_json(&ConnectionOut::from(connection))
}

/// Update a connection; `active: false` deactivates it.
#[utoipa::path(patch, path = "/reseller/tenant/{codeName}/connection/{id}", tag = "connection", params(("codeName" = String, Path), ("id" = String, Path)),
    request_body = ConnectionPatchIn,
    responses((status = 200, body = ConnectionOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    audited: AuditedReseller,
    path: Path<(String, String)>,
    Json(body): Json<ConnectionPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, id) = path.into_inner();
    check_id(&id)?;
    let patch = ConnectionPatch {
        name: body.name,
        active: body.active,
        configuration: body.configuration,
    };
    let connection = blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::OK)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            let updated =
                service::connection::update(conn, &actor, &tenant, &id, patch, time::now())?;
            Ok::<_, ApiError>(updated)
        })
    })
    .await?;
    ok_json(&ConnectionOut::from(connection))
}

/// Delete a connection; its Tenant API access ends at once.
#[utoipa::path(delete, path = "/reseller/tenant/{codeName}/connection/{id}", tag = "connection", params(("codeName" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    state: State,
    audited: AuditedReseller,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, id) = path.into_inner();
    check_id(&id)?;
    blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::NO_CONTENT)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            service::connection::delete(conn, &actor, &tenant, &id)?;
            Ok::<_, ApiError>(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a new tenant token for an `api` connection (the old ones keep working until revoked).
#[utoipa::path(post, path = "/reseller/tenant/{codeName}/connection/{id}/token", tag = "connection", params(("codeName" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = TokenOut), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, description = "not an api connection", body = Problem)))]
pub async fn create_token(
    state: State,
    audited: AuditedReseller,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, id) = path.into_inner();
    check_id(&id)?;
    let token = blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::CREATED)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            let NewSecret { secret, stored } = new_token(tenant.environment);
            let connection =
                service::connection::issue_token(conn, &actor, &tenant, &id, stored, time::now())?;
            Ok::<_, ApiError>(TokenOut {
                token: secret,
                connection_id: connection.id,
            })
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(token))
}

/// Revoke every tenant token of a connection; they stop working at once.
#[utoipa::path(delete, path = "/reseller/tenant/{codeName}/connection/{id}/token", tag = "connection", params(("codeName" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_tokens(
    state: State,
    audited: AuditedReseller,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (code_name, id) = path.into_inner();
    check_id(&id)?;
    blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::NO_CONTENT)?;
            let actor = principal.actor();
            let tenant = owned_tenant(conn, principal, &code_name)?;
            service::connection::revoke_tokens(conn, &actor, &tenant, &id, time::now())?;
            Ok::<_, ApiError>(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
