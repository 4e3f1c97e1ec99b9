//! The permission catalogue of tenant users, and the roles that bundle permissions.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Every permission a tenant user can hold. The Tenant API checks these on each operation.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("order:read", "Read the tenant's orders"),
    ("order:write", "Create and update the tenant's orders"),
    ("product:read", "Read the tenant's products"),
    (
        "product:write",
        "Create, update and delete the tenant's products",
    ),
];

/// Whether `name` is in the catalogue.
pub fn is_known(name: &str) -> bool {
    CATALOGUE.iter().any(|(p, _)| *p == name)
}

/// A tenant user's role (Partoo's ORG_ADMIN / GROUP_MANAGER / BUSINESS_MANAGER in spirit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    #[default]
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
        }
    }

    /// The permissions the role grants on its own.
    pub fn permissions(self) -> &'static [&'static str] {
        match self {
            Role::Admin | Role::Manager => {
                &["order:read", "order:write", "product:read", "product:write"]
            }
            Role::Viewer => &["order:read", "product:read"],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "viewer" => Ok(Role::Viewer),
            other => Err(format!(
                "unknown role `{other}` (expected admin, manager or viewer)"
            )),
        }
    }
}

/// What a user may do: the role's permissions plus those granted one by one.
pub fn effective(role: Role, granted: &[String]) -> Vec<String> {
    let mut all: Vec<String> = role.permissions().iter().map(|p| p.to_string()).collect();
    for p in granted {
        if !all.contains(p) {
            all.push(p.clone());
        }
    }
    all.sort();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_bundle_catalogue_permissions() {
        for role in [Role::Admin, Role::Manager, Role::Viewer] {
            assert!(role.permissions().iter().all(|p| is_known(p)), "{role}");
        }
        assert_eq!(
            effective(Role::Viewer, &["order:write".into()]),
            ["order:read", "order:write", "product:read"]
        );
        assert!(!is_known("order:delete"));
    }
}
