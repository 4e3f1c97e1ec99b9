//! `/reseller/integration`: what a reseller offers as an integration partner (Cloud 66's user
//! integration), and the partner endpoint its post-back goes to. The tenant's side of the
//! handshake (consent, redirect, callback) is the portal's.

use crate::{ok_json, Principal, State};
use actix_web::{http::header, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
pub use tenantry_api_types::integration::IntegrationOut;
use tenantry_auth::token::{self, TokenKind};
use tenantry_domain::integration::{IntegrationDraft, IntegrationPatch, LinkPost};
use tenantry_domain::time;
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{blocking, Acting, ApiError, Json, Path, Problem, Query};
use tenantry_service as service;
use tenantry_service::ServiceError;
use tenantry_storage::integration as store;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A new integration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrationIn {
    /// What tenants see on the portal's Integrations page.
    #[schema(example = "Acme Backup", min_length = 1, max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub description: String,
    /// Your page that receives the user with `uid`, `email` and `callback`; https in
    /// production.
    #[schema(
        example = "https://partner.example/tenantry/connect",
        format = "uri",
        max_length = 2000
    )]
    pub redirect_url: String,
    /// The type of the connection a link adds to the tenant.
    #[schema(example = "acme_backup", pattern = "^[a-z0-9_]{1,32}$")]
    pub connection_type: String,
    /// The Tenant API permissions you ask for (`GET /reseller/permission`); your token for a
    /// linked tenant holds only these.
    #[schema(example = json!(["order:read"]), min_items = 1)]
    pub permissions: Vec<String>,
    /// `own` (your tenants, the default) or `all` (every tenant on the server; the operator
    /// must allow it).
    #[serde(default = "default_visibility")]
    #[schema(example = "own")]
    pub visibility: String,
}

fn default_visibility() -> String {
    "own".into()
}

/// A partial update; absent fields keep their value. New permissions apply to links made from
/// now on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrationPatchIn {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(format = "uri", max_length = 2000)]
    pub redirect_url: Option<String>,
    #[schema(pattern = "^[a-z0-9_]{1,32}$")]
    pub connection_type: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub visibility: Option<String>,
}

/// Query of the integration list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IntegrationListQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The answer to a successful post-back (the seed's "service added").
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkedOut {
    #[schema(example = "service added")]
    pub status: &'static str,
    pub link_id: Uuid,
    /// The tenant's id, for your records (`X-Tenant-ID` needs no token; this one does).
    pub tenant_id: Uuid,
    /// The connection added to the tenant, of your integration's type.
    pub connection_id: String,
    /// `tnt_…`, shown this once: your `Authorization: Bearer` for this tenant's Tenant API.
    pub token: String,
    /// What the token may do: the permissions the tenant's admin consented to.
    pub permissions: Vec<String>,
}

/// Offer an integration to tenants.
#[utoipa::path(post, path = "/reseller/integration", tag = "integration", request_body = IntegrationIn,
    responses((status = 201, description = "Created; `linkEndpoint` is where you post back", body = IntegrationOut), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    Principal(principal): Principal,
    Json(body): Json<IntegrationIn>,
) -> Result<HttpResponse, ApiError> {
    let draft = IntegrationDraft {
        name: body.name,
        description: body.description,
        redirect_url: body.redirect_url,
        connection_type: body.connection_type,
        permissions: body.permissions,
        visibility: body.visibility,
    };
    let integration = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let made = service::integration::create(conn, &actor, &owner, draft, time::now());
            Ok::<_, ApiError>(made?)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/reseller/integration/{}", integration.id),
        ))
        .json(IntegrationOut::from(integration)))
}

/// List your environment's integrations, oldest first.
#[utoipa::path(get, path = "/reseller/integration", tag = "integration", params(IntegrationListQuery),
    responses((status = 200, body = ListPage<IntegrationOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    state: State,
    Principal(principal): Principal,
    query: Query<IntegrationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, parse_cursor))
        .transpose()?;
    let page = blocking(move || {
        state
            .db
            .read(|conn| Ok(store::list(conn, &principal.owner(), after, limit)?))
    })
    .await?;
    let next_cursor = pagination::next_cursor(page.has_more, &page.rows, |i| {
        pagination::time_id_key(i.created_at, i.id)
    });
    ok_json(&ListPage {
        data: page.rows.into_iter().map(IntegrationOut::from).collect(),
        next_cursor,
        has_more: page.has_more,
    })
}

fn parse_cursor(key: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = key.split_once('/')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        Uuid::parse_str(id).ok()?,
    ))
}

/// Read an integration.
#[utoipa::path(get, path = "/reseller/integration/{id}", tag = "integration", params(("id" = Uuid, Path)),
    responses((status = 200, body = IntegrationOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "integration")?;
    let integration = blocking(move || {
        state
            .db
            .read(|conn| Ok(store::find(conn, &principal.owner(), id)?))
    })
    .await?;
    ok_json(&IntegrationOut::from(integration))
}

/// Change an integration.
#[utoipa::path(patch, path = "/reseller/integration/{id}", tag = "integration", params(("id" = Uuid, Path)), request_body = IntegrationPatchIn,
    responses((status = 200, body = IntegrationOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    Json(body): Json<IntegrationPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "integration")?;
    let patch = IntegrationPatch {
        name: body.name,
        description: body.description,
        redirect_url: body.redirect_url,
        connection_type: body.connection_type,
        permissions: body.permissions,
        visibility: body.visibility,
    };
    let integration = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let changed =
                service::integration::update(conn, &actor, &owner, id, patch, time::now());
            Ok::<_, ApiError>(changed?)
        })
    })
    .await?;
    ok_json(&IntegrationOut::from(integration))
}

/// Withdraw an integration: every tenant linked to it is unlinked (your tokens for them stop
/// working, and both sides get `integration.unlinked`).
#[utoipa::path(delete, path = "/reseller/integration/{id}", tag = "integration", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Withdrawn"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "integration")?;
    blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            Ok::<_, ApiError>(service::integration::delete(
                conn,
                &actor,
                &owner,
                id,
                time::now(),
            )?)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The partner endpoint: post back the `uid` the user brought (as `link_uid`) with the user's
/// `email` (as `user_email`) and any fields of your own, which become the new connection's
/// configuration. Refusals are 403 with the seed's words in `detail`: `link_uid is missing`,
/// `user_email is missing`, `invalid user_email`, `invalid link_uid`, `… is already linked to
/// this account`.
#[utoipa::path(post, path = "/reseller/integration/{id}/link", tag = "integration", params(("id" = Uuid, Path)),
    request_body(content = Object, description = "`link_uid`, `user_email` and your own fields", example = json!({"link_uid": "…", "user_email": "jon@smith.example", "apiKey": "ak_123"})),
    responses((status = 200, description = "service added", body = LinkedOut), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, description = "A row of the seed's table; `code` says which", body = Problem), (status = 404, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn link(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "integration")?;
    let post = LinkPost::parse(body).map_err(ServiceError::from)?;
    let uid_hash = token::hash(&post.uid);
    let made = token::generate(TokenKind::TenantToken, principal.environment);
    let stored = made.stored;
    let linked = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let now = time::now();
            let linked = service::integration::complete(
                conn, &actor, &owner, id, post, &uid_hash, stored, now,
            );
            Ok::<_, ApiError>(linked?)
        })
    })
    .await?;
    ok_json(&LinkedOut {
        status: "service added",
        link_id: linked.link.id,
        tenant_id: linked.tenant.id,
        connection_id: linked.connection.id,
        token: made.secret,
        permissions: linked
            .link
            .permissions
            .iter()
            .map(|p| p.as_str().into())
            .collect(),
    })
}
