//! The catalog's words for the domain's values.

use crate::i18n::Texts;
use tenantry_domain::permission::Role;
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
