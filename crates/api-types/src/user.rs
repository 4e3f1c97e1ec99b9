//! A tenant user as the Reseller API shows it and `user.*` events carry it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::permission::Role;
use tenantry_domain::user::TenantUser;
use utoipa::ToSchema;

/// A tenant user as the Reseller API shows it; never the password or its hash.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    pub login: String,
    pub full_name: String,
    pub email: String,
    #[schema(value_type = String)]
    pub role: Role,
    /// Granted one by one.
    pub permissions: Vec<String>,
    /// The role's permissions plus `permissions`: what the user may do.
    pub effective_permissions: Vec<String>,
    pub default_language: String,
    /// Whether the user can authenticate to the Tenant API with a password.
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TenantUser> for UserOut {
    fn from(u: TenantUser) -> Self {
        UserOut {
            effective_permissions: u
                .effective_permissions()
                .iter()
                .map(|p| p.to_string())
                .collect(),
            has_password: u.password_hash.is_some(),
            login: u.login,
            full_name: u.full_name,
            email: u.email,
            role: u.role,
            permissions: u.permissions,
            default_language: u.default_language,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}
