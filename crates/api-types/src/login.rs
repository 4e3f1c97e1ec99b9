//! A one-time login URL as the Reseller API answers it and `tenant.ready` carries it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The route that uses a login URL, as actix-web declares it.
pub const ROUTE: &str = "/_tokenlogin/{login}/{token}";

/// The address a login URL signs in at: `{base}/_tokenlogin/{login}/{secret}`. The Tenant API
/// (or a portal) serves it; the Reseller API and provisioning make it.
pub fn login_url(base: &str, login: &str, secret: &str) -> String {
    format!("{base}/_tokenlogin/{login}/{secret}")
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
