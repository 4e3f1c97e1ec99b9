//! A partner's integration as the Reseller API shows it, and a link as `integration.linked`
//! and `integration.unlinked` carry it to the tenant's reseller and to the partner.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::integration::{Integration, Link};
use utoipa::ToSchema;
use uuid::Uuid;

/// An integration a partner offers to tenants.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationOut {
    pub id: Uuid,
    #[schema(example = "Acme Backup")]
    pub name: String,
    pub description: String,
    /// The partner's page the user is sent to with `uid`, `email` and `callback`.
    #[schema(example = "https://partner.example/tenantry/connect")]
    pub redirect_url: String,
    /// The type of the connection a link adds to the tenant.
    #[schema(example = "acme_backup")]
    pub connection_type: String,
    /// The Tenant API permissions asked for; the partner's token holds only these.
    #[schema(example = json!(["order:read"]))]
    pub permissions: Vec<String>,
    /// `own` (this reseller's tenants) or `all` (every tenant on the server).
    #[schema(example = "own")]
    pub visibility: String,
    /// The URL a partner posts `link_uid` and `user_email` to.
    #[schema(example = "/reseller/integration/0190c0de-0000-7000-8000-000000000000/link")]
    pub link_endpoint: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Integration> for IntegrationOut {
    fn from(i: Integration) -> Self {
        IntegrationOut {
            link_endpoint: format!("/reseller/integration/{}/link", i.id),
            id: i.id,
            name: i.name,
            description: i.description,
            redirect_url: i.redirect_url,
            connection_type: i.connection_type,
            permissions: i.permissions.iter().map(|p| p.as_str().into()).collect(),
            visibility: i.visibility.as_str().into(),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// A tenant's link to an integration, as the `integration.*` events carry it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkOut {
    pub id: Uuid,
    pub integration_id: Uuid,
    pub integration_name: String,
    /// The partner's `X-Reseller` code.
    pub partner: String,
    /// `pending`, `linked`, `unlinked` or `expired`.
    pub state: String,
    /// The connection the link added to the tenant.
    pub connection_id: Option<String>,
    /// What the partner's token may do.
    pub permissions: Vec<String>,
    /// The email of the tenant admin who consented.
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub linked_at: Option<DateTime<Utc>>,
    pub unlinked_at: Option<DateTime<Utc>>,
}

impl LinkOut {
    pub fn new(link: &Link, integration: &Integration, partner: &str, now: DateTime<Utc>) -> Self {
        LinkOut {
            id: link.id,
            integration_id: integration.id,
            integration_name: integration.name.clone(),
            partner: partner.to_owned(),
            state: link.state(now).as_str().into(),
            connection_id: link.connection_id.clone(),
            permissions: link.permissions.iter().map(|p| p.as_str().into()).collect(),
            email: link.email.clone(),
            created_at: link.created_at,
            linked_at: link.linked_at,
            unlinked_at: link.unlinked_at,
        }
    }
}
