//! `GET /reseller/event`: the events feed, for resellers that poll instead of (or besides)
//! receiving webhooks. Paged by the reseller's event sequence, so, like the order sync, a
//! reader that keeps the last cursor never misses an event, whatever commits concurrently.

use crate::{ok_json, Principal, State};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::event::{parse_types, Event, EventTenant, EventType};
use tenantry_domain::Environment;
use tenantry_http::pagination;
use tenantry_http::{blocking, ApiError, Problem, Query};
use tenantry_storage::event::{self as events, EventFilter};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Paging and filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page; absent: from the oldest event kept.
    pub after: Option<String>,
    /// Only these types, comma-separated (`tenant.created,order.created`).
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = tenantry_http::openapi_schema::event_type_filter)]
    pub types: Option<String>,
    /// Only events of the tenant with this codeName.
    pub tenant: Option<String>,
}

/// The tenant an event is about.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTenantOut {
    pub id: Uuid,
    pub code_name: String,
}

/// One event, as the feed lists it and a webhook delivers it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventOut {
    /// Also the `webhook-id` of its deliveries: deduplicate on it.
    pub id: Uuid,
    #[serde(rename = "type")]
    #[schema(example = "tenant.created")]
    pub kind: String,
    /// Per reseller, increasing in commit order.
    pub sequence: i64,
    #[schema(value_type = String, example = "sandbox")]
    pub environment: Environment,
    pub tenant: Option<EventTenantOut>,
    pub created_at: DateTime<Utc>,
    /// The resource after the change, as the API shows it (`tenant.ready`: a `ReadyOut`, the
    /// tenant and what to install).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<Event> for EventOut {
    fn from(e: Event) -> Self {
        EventOut {
            id: e.id,
            kind: e.kind.as_str().to_owned(),
            sequence: e.sequence,
            environment: e.environment,
            tenant: e
                .tenant
                .map(|EventTenant { id, code_name }| EventTenantOut { id, code_name }),
            created_at: e.created_at,
            data: e.data,
        }
    }
}

/// A page of the feed. `nextCursor` is on every page, also the last: keep it and ask again
/// later to get what happened since.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub data: Vec<EventOut>,
    pub next_cursor: String,
    pub has_more: bool,
}

pub(crate) fn known_types() -> String {
    EventType::ALL
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// List your environment's events, oldest first.
#[utoipa::path(get, path = "/reseller/event", tag = "event", params(EventQuery),
    responses((status = 200, body = EventPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "an unknown event type", body = Problem)))]
pub async fn list(
    state: State,
    Principal(principal): Principal,
    query: Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query
        .after
        .as_deref()
        .map(|c| pagination::decode_cursor(c, pagination::parse_sequence_key))
        .transpose()?
        .unwrap_or(0);
    let filter = EventFilter {
        types: types_of(query.types.as_deref())?,
        tenant: query.tenant,
    };
    let page = blocking(move || {
        let owner = principal.owner();
        state
            .db
            .read(|conn| Ok(events::list(conn, &owner, &filter, after, limit)?))
    })
    .await?;
    let last = page.rows.last().map_or(after, |e| e.sequence);
    ok_json(&EventPage {
        data: page.rows.into_iter().map(EventOut::from).collect(),
        next_cursor: pagination::encode_cursor(&last.to_string()),
        has_more: page.has_more,
    })
}

/// The event types `type` names (comma-separated); none means all.
fn types_of(raw: Option<&str>) -> Result<Vec<EventType>, ApiError> {
    let names: Vec<String> = raw
        .into_iter()
        .flat_map(|t| t.split(','))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    parse_types(&names).map_err(|_| {
        ApiError::invalid_field(
            "type",
            "unknown_event_type",
            format!(
                "`{}` names an unknown event type; known: {}",
                names.join(","),
                known_types()
            ),
        )
    })
}
