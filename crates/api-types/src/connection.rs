//! An API connection as the Reseller API shows it and `connection.*` events carry it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::connection::Connection;
use utoipa::ToSchema;

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// An API connection. `id` goes into the Tenant API's `X-ConnectionId` header.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionOut {
    #[schema(example = "00076ad40b558ecd874c5482108409ad")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub active: bool,
    #[schema(value_type = Object)]
    pub configuration: JsonObject,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A company-scoped tenant token (`tnt_…`) for the Tenant API, on creation of an `api`
    /// connection only: it is shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<Connection> for ConnectionOut {
    fn from(c: Connection) -> Self {
        ConnectionOut {
            id: c.id,
            kind: c.kind,
            name: c.name,
            active: c.active,
            configuration: c.configuration,
            created_at: c.created_at,
            updated_at: c.updated_at,
            token: None,
        }
    }
}
