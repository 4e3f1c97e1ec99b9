//! The permission catalogue of tenant users, and the roles that bundle permissions.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A permission a tenant user can hold. The Tenant API checks one on each operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    OrderRead,
    OrderWrite,
    ProductRead,
    ProductWrite,
}

impl Permission {
    /// The catalogue, in the order `GET /reseller/permission` lists it.
    pub const ALL: [Permission; 4] = [
        Permission::OrderRead,
        Permission::OrderWrite,
        Permission::ProductRead,
        Permission::ProductWrite,
    ];

    /// The name users are granted it by (`order:read`).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::OrderRead => "order:read",
            Permission::OrderWrite => "order:write",
            Permission::ProductRead => "product:read",
            Permission::ProductWrite => "product:write",
        }
    }

    /// The permission granted by `name` (`order:read`), if the catalogue has it.
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether it only reads (a reseller key acts for a tenant with these under
    /// `tenant:read`; the others need `tenant:write`).
    pub fn is_read(self) -> bool {
        matches!(self, Permission::OrderRead | Permission::ProductRead)
    }

    /// What it allows, for the catalogue.
    pub fn description(self) -> &'static str {
        match self {
            Permission::OrderRead => "Read the tenant's orders",
            Permission::OrderWrite => "Create and update the tenant's orders",
            Permission::ProductRead => "Read the tenant's products",
            Permission::ProductWrite => "Create, update and delete the tenant's products",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `name` is a permission of the catalogue.
pub fn is_known(name: &str) -> bool {
    Permission::parse(name).is_some()
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
    /// Every role, most powerful first.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Manager, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
        }
    }

    /// Whether the role manages the tenant's account in the portal: its users, connections and
    /// settings (Partoo's org admin). Only `admin` does.
    pub fn manages_account(self) -> bool {
        self == Role::Admin
    }

    /// Whether the role manages the tenant's orders and products in the portal: `admin` and
    /// `manager` do; a `viewer` reads.
    pub fn manages_commerce(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// The permissions the role grants on its own.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::Admin | Role::Manager => &Permission::ALL,
            Role::Viewer => &[Permission::OrderRead, Permission::ProductRead],
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

/// What a user may do: the role's permissions plus those granted one by one (names outside
/// the catalogue grant nothing; a user's are checked when set), in catalogue order.
pub fn effective(role: Role, granted: &[String]) -> Vec<Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| role.permissions().contains(p) || granted.iter().any(|g| g == p.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_bundle_catalogue_permissions() {
        for role in Role::ALL {
            assert!(
                role.permissions().iter().all(|p| is_known(p.as_str())),
                "{role}"
            );
        }
        assert_eq!(
            effective(Role::Viewer, &["order:write".into()]),
            [
                Permission::OrderRead,
                Permission::OrderWrite,
                Permission::ProductRead
            ]
        );
        assert_eq!(
            Permission::parse("product:write"),
            Some(Permission::ProductWrite)
        );
        assert!(Permission::ALL
            .iter()
            .filter(|p| p.is_read())
            .all(|p| p.as_str().ends_with(":read")));
        assert!(!is_known("order:delete"));
    }
}
