//! `/reseller/webhook`: the endpoints events are delivered to, their signing secrets, the log of
//! delivery attempts, and re-sending an event.

use crate::{ok_json, Principal, State};
use actix_web::{http::header, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_auth::webhook::new_secret;
use tenantry_domain::time;
use tenantry_domain::webhook::{Endpoint, EndpointDraft, EndpointPatch};
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{blocking, Acting, ApiError, Json, Path, Problem, Query};
use tenantry_service as service;
use tenantry_storage::webhook::{self as store, Attempt};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookIn {
    /// Where events are posted. In production: https, and not a loopback, private or
    /// link-local address.
    #[schema(
        example = "https://partner.example/hooks/tenantry",
        format = "uri",
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://",
        max_length = 2000
    )]
    pub url: String,
    /// Event types to deliver (`tenant.created`, …); empty or absent: every type.
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::event_types)]
    pub event_types: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
    #[serde(default = "tenantry_http::default_true")]
    pub active: bool,
}

/// A partial update; absent fields keep their value. `active: true` re-enables an endpoint
/// the server disabled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookPatchIn {
    #[schema(
        format = "uri",
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://",
        max_length = 2000
    )]
    pub url: Option<String>,
    #[schema(schema_with = tenantry_http::openapi_schema::event_types_or_null)]
    pub event_types: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// An endpoint as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    /// Empty: every type.
    pub event_types: Vec<String>,
    pub active: bool,
    /// Why the server disabled the endpoint, when it did.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// While a rotated-out secret still signs deliveries.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The signing secret (`whsec_…`), on creation only: store it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<Endpoint> for WebhookOut {
    fn from(e: Endpoint) -> Self {
        let now = time::now();
        WebhookOut {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e
                .event_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            active: e.active,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            previous_secret_expires_at: e.previous_secret_expires_at.filter(|t| *t > now),
            created_at: e.created_at,
            updated_at: e.updated_at,
            secret: None,
        }
    }
}

/// Register an endpoint; the answer carries its signing secret, this once.
#[utoipa::path(post, path = "/reseller/webhook", tag = "webhook", request_body = WebhookIn,
    responses((status = 201, description = "Created; store `secret`", body = WebhookOut), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    Principal(principal): Principal,
    Json(body): Json<WebhookIn>,
) -> Result<HttpResponse, ApiError> {
    let draft = EndpointDraft {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        active: body.active,
    };
    let policy = state.config.webhook_policy;
    let endpoint = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let now = time::now();
            let made =
                service::webhook::create(conn, &actor, &owner, draft, &policy, new_secret(), now);
            Ok::<_, ApiError>(made?)
        })
    })
    .await?;
    let secret = endpoint.secret.clone();
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/reseller/webhook/{}", endpoint.id),
        ))
        .json(WebhookOut {
            secret: Some(secret),
            ..WebhookOut::from(endpoint)
        }))
}

/// List your environment's endpoints, oldest first.
#[utoipa::path(get, path = "/reseller/webhook", tag = "webhook",
    responses((status = 200, body = ListPage<WebhookOut>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(state: State, Principal(principal): Principal) -> Result<HttpResponse, ApiError> {
    let endpoints = blocking(move || {
        state
            .db
            .read(|conn| Ok(store::list(conn, &principal.owner())?))
    })
    .await?;
    ok_json(&ListPage {
        data: endpoints.into_iter().map(WebhookOut::from).collect(),
        next_cursor: None,
        has_more: false,
    })
}

/// Read an endpoint.
#[utoipa::path(get, path = "/reseller/webhook/{id}", tag = "webhook", params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "webhook endpoint")?;
    let endpoint = blocking(move || {
        state
            .db
            .read(|conn| Ok(store::find(conn, &principal.owner(), id)?))
    })
    .await?;
    ok_json(&WebhookOut::from(endpoint))
}

/// Change an endpoint.
#[utoipa::path(patch, path = "/reseller/webhook/{id}", tag = "webhook", params(("id" = Uuid, Path)), request_body = WebhookPatchIn,
    responses((status = 200, body = WebhookOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    Json(body): Json<WebhookPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "webhook endpoint")?;
    let patch = EndpointPatch {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        active: body.active,
    };
    let policy = state.config.webhook_policy;
    let endpoint = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let now = time::now();
            let changed = service::webhook::update(conn, &actor, &owner, id, patch, &policy, now);
            Ok::<_, ApiError>(changed?)
        })
    })
    .await?;
    ok_json(&WebhookOut::from(endpoint))
}

/// Delete an endpoint; deliveries still waiting for it are dropped.
#[utoipa::path(delete, path = "/reseller/webhook/{id}", tag = "webhook", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "webhook endpoint")?;
    blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state
            .db
            .write(|conn| Ok::<_, ApiError>(service::webhook::delete(conn, &actor, &owner, id)?))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How long the old secret keeps signing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRotateIn {
    /// Hours (0 to 168, default 24) during which deliveries carry signatures of both the old
    /// and the new secret, so your receivers can switch at any moment of it.
    #[serde(default = "default_overlap")]
    #[schema(minimum = 0, maximum = 168)]
    pub overlap_hours: i64,
}

fn default_overlap() -> i64 {
    24
}

/// The new secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedOut {
    /// Shown this once.
    pub secret: String,
    pub previous_secret_expires_at: DateTime<Utc>,
}

/// Replace the signing secret; the old one keeps signing for the overlap.
#[utoipa::path(post, path = "/reseller/webhook/{id}/secret/rotate", tag = "webhook", params(("id" = Uuid, Path)), request_body = SecretRotateIn,
    responses((status = 200, body = RotatedOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn rotate(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    Json(body): Json<SecretRotateIn>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "webhook endpoint")?;
    let endpoint = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        let hours = body.overlap_hours;
        state.db.write(|conn| {
            let now = time::now();
            let rotated =
                service::webhook::rotate_secret(conn, &actor, &owner, id, hours, new_secret(), now);
            Ok::<_, ApiError>(rotated?)
        })
    })
    .await?;
    let rotated = RotatedOut {
        secret: endpoint.secret,
        previous_secret_expires_at: endpoint
            .previous_secret_expires_at
            .expect("a rotated endpoint has an overlap"),
    };
    ok_json(&rotated)
}

/// Paging of the attempt log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttemptQuery {
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptOut {
    pub id: Uuid,
    pub event_id: Uuid,
    pub delivery_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; absent when no answer came (refused, timed out).
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    /// A 2xx answer.
    pub succeeded: bool,
    /// The first kilobyte of the answer, or what went wrong.
    pub response: String,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        AttemptOut {
            id: a.id,
            event_id: a.event_id,
            delivery_id: a.delivery_id,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            succeeded: a.succeeded,
            response: a.response,
        }
    }
}

/// List an endpoint's delivery attempts, newest first.
#[utoipa::path(get, path = "/reseller/webhook/{id}/attempt", tag = "webhook", params(("id" = Uuid, Path), AttemptQuery),
    responses((status = 200, body = ListPage<AttemptOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn attempts(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    query: Query<AttemptQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "webhook endpoint")?;
    let limit = pagination::limit(query.limit)?;
    let before = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, pagination::parse_time_uuid_key))
        .transpose()?;
    let page = blocking(move || {
        state.db.read(|conn| {
            store::find(conn, &principal.owner(), id)?;
            Ok(store::attempts(conn, id, before, limit)?)
        })
    })
    .await?;
    let next_cursor = pagination::next_cursor(page.has_more, &page.rows, |a| {
        pagination::time_id_key(a.attempted_at, a.id)
    });
    ok_json(&ListPage {
        data: page.rows.into_iter().map(AttemptOut::from).collect(),
        next_cursor,
        has_more: page.has_more,
    })
}

/// A queued re-delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResendOut {
    pub delivery_id: Uuid,
    pub event_id: Uuid,
}

/// Deliver an event to the endpoint again (whatever became of earlier deliveries).
#[utoipa::path(post, path = "/reseller/webhook/{id}/event/{eventId}/resend", tag = "webhook", params(("id" = Uuid, Path), ("eventId" = Uuid, Path)),
    responses((status = 202, description = "Queued", body = ResendOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "the endpoint is disabled", body = Problem)))]
pub async fn resend(
    state: State,
    Principal(principal): Principal,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (endpoint, event) = path.into_inner();
    let endpoint_id = ApiError::path_id(&endpoint, "webhook endpoint")?;
    let event_id = ApiError::path_id(&event, "event")?;
    let delivery_id = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let now = time::now();
            let queued = service::webhook::resend(conn, &actor, &owner, endpoint_id, event_id, now);
            Ok::<_, ApiError>(queued?)
        })
    })
    .await?;
    let out = ResendOut {
        delivery_id,
        event_id,
    };
    Ok(HttpResponse::Accepted().json(out))
}
