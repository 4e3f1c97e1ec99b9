//! `GET /reseller/audit`: every write made with the reseller's credentials or to its tenants
//! (on either surface), and every change the operator or a job of the server made to them,
//! newest first.

use crate::{ok_json, Principal, State};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::audit::{AuditEvent, Outcome};
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{blocking, ApiError, Problem, Query};
use tenantry_storage::audit::{self as events, AuditFilter};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only events about this tenant (codeName).
    pub tenant: Option<String>,
    /// Only events of this credential (a reseller user or key id, a tenant user id, or a
    /// connection id for its token).
    pub actor: Option<String>,
    /// `success`, `replayed` or `failure`.
    #[param(schema_with = tenantry_http::openapi_schema::outcome)]
    pub outcome: Option<String>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// Who made the request.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActorOut {
    /// `reseller_user`, `reseller_key`, `tenant_user` or `tenant_token`; `operator` (the
    /// server's command line) or `system` (a job of the server, such as provisioning).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The credential: the user's or key's id, or the connection's for a tenant token; empty
    /// for `operator` and `system`.
    pub id: String,
}

/// One audited write.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventOut {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub actor: ActorOut,
    /// `reseller` or `tenant`: which API was called; `cli` or `worker` for the operator's and
    /// the jobs' changes, which come from no request (their `method` and `path` are empty).
    pub surface: &'static str,
    /// Method and route, such as `POST /reseller/tenant/{codeName}/user`; for the operator and
    /// jobs, what they did, such as `capability remove orders` or `provision`.
    #[schema(example = "POST /reseller/tenant/{codeName}/user")]
    pub operation: String,
    pub method: String,
    pub path: String,
    /// The tenant's codeName, when the request was about one.
    pub tenant: Option<String>,
    pub status: u16,
    /// `success` (2xx), `replayed` (an Idempotency-Key retry) or `failure`.
    pub outcome: &'static str,
    /// The `X-Request-Id` of the request, as in the server's log.
    pub request_id: String,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        AuditEventOut {
            id: e.id,
            created_at: e.created_at,
            actor: ActorOut {
                kind: e.actor_type.as_str(),
                id: e.actor_id,
            },
            surface: e.surface,
            operation: e.operation,
            method: e.method,
            path: e.path,
            tenant: e.tenant,
            status: e.status,
            outcome: e.outcome.as_str(),
            request_id: e.request_id,
        }
    }
}

fn parse_cursor(key: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (at, id) = key.split_once('|')?;
    Some((
        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        Uuid::parse_str(id).ok()?,
    ))
}

/// List the audit log of your credentials' environment, newest first: every write request
/// made with your credentials or to your tenants, whatever its outcome.
#[utoipa::path(get, path = "/reseller/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = ListPage<AuditEventOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    state: State,
    Principal(principal): Principal,
    query: Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let before = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, parse_cursor))
        .transpose()?;
    let filter = AuditFilter {
        outcome: query.outcome.as_deref().map(outcome_of).transpose()?,
        tenant: query.tenant,
        actor_id: query.actor,
        since: query.since,
        until: query.until,
    };
    let page = blocking(move || {
        let owner = principal.owner();
        state
            .db
            .read(|conn| Ok(events::list(conn, &owner, &filter, before, limit)?))
    })
    .await?;
    let data: Vec<AuditEventOut> = page.rows.into_iter().map(Into::into).collect();
    let next_cursor = pagination::next_cursor(page.has_more, &data, |e| {
        format!("{}|{}", e.created_at.to_rfc3339(), e.id)
    });
    ok_json(&ListPage {
        data,
        next_cursor,
        has_more: page.has_more,
    })
}

/// The `outcome` filter.
fn outcome_of(raw: &str) -> Result<Outcome, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_query",
            "outcome must be `success`, `replayed` or `failure`",
        )
    })
}
