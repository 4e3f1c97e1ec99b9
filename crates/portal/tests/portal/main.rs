//! The portal over real HTTP, mounted alone as the tenant surface's pages are, on the backend
//! the environment names: sessions (sign-in by login URL, idle and absolute expiry, sign-out,
//! a deactivated tenant, a deleted user), form security (CSRF, origin, content type), roles,
//! and a change's event and audit entry. One test binary, a module per concept. The same
//! flows in a real browser are in `tests/browser.rs`.

mod activity;
mod connections;
mod orders;
mod products;
mod security;
mod sessions;
mod settings;
mod users;

use tenantry_domain::permission::Role;
use tenantry_http::app::Mount;
use tenantry_testkit::client::{agent, send, Auth};
use tenantry_testkit::portal::Session;
use tenantry_testkit::server::{ApiTenant, TestServer};

/// The portal alone.
const ALONE: &[Mount] = &[tenantry_portal::configure];

/// A tenant whose user `api` is an admin, with users `manager` and `viewer` beside it.
fn tenant(s: &TestServer) -> ApiTenant {
    let r = s.reseller("acme");
    let t = s.api_tenant(&r, "shop", Role::Admin);
    s.tenant_user(&t, "manager", Role::Manager, "eng");
    s.tenant_user(&t, "viewer", Role::Viewer, "eng");
    t
}

/// The tenant's connections, as stored.
fn connections(s: &TestServer, t: &ApiTenant) -> Vec<tenantry_domain::connection::Connection> {
    let id = t.id.parse().unwrap();
    s.db.read(|conn| tenantry_storage::connection::list(conn, id, None, 100))
        .unwrap()
        .rows
}
