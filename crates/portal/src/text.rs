//! The catalog's words for the domain's values.

use crate::i18n::Texts;
use tenantry_domain::integration::LinkState;
use tenantry_domain::permission::{Permission, Role};
use tenantry_domain::tenant::TenantStatus;
use tenantry_domain::Environment;

pub fn role(t: Texts, role: Role) -> &'static str {
    match role {
        Role::Admin => t.get("role.admin"),
        Role::Manager => t.get("role.manager"),
        Role::Viewer => t.get("role.viewer"),
    }
}

pub fn environment(t: Texts, environment: Environment) -> &'static str {
    match environment {
        Environment::Sandbox => t.get("env.sandbox"),
        Environment::Production => t.get("env.production"),
    }
}

pub fn status(t: Texts, status: TenantStatus) -> &'static str {
    match status {
        TenantStatus::Provisioning => t.get("status.provisioning"),
        TenantStatus::Active => t.get("status.active"),
        TenantStatus::Deactivated => t.get("status.deactivated"),
        TenantStatus::CancellationScheduled => t.get("status.active"),
        TenantStatus::Cancelled => t.get("status.cancelled"),
    }
}

pub fn permission(t: Texts, permission: Permission) -> &'static str {
    match permission {
        Permission::OrderRead => t.get("permission.order_read"),
        Permission::OrderWrite => t.get("permission.order_write"),
        Permission::ProductRead => t.get("permission.product_read"),
        Permission::ProductWrite => t.get("permission.product_write"),
    }
}

pub fn link_state(t: Texts, state: LinkState) -> &'static str {
    match state {
        LinkState::Pending => t.get("link.pending"),
        LinkState::Linked => t.get("link.linked"),
        LinkState::Unlinked => t.get("link.unlinked"),
        LinkState::Expired => t.get("link.expired"),
    }
}
