//! The Tenantry server: which API surfaces a process mounts into the shared application
//! (`tenantry_http::app`), the operator's commands (resellers, their users and keys) and the
//! first-run bootstrap. `main.rs` is only
//! the command line over this library, so tests start the very same server in-process.

pub mod admin;
pub mod bootstrap;

use tenantry_http::app::Mount;

/// Which API surfaces a process serves. Reseller and Tenant API can run as separate
/// processes on one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Surface {
    All,
    Reseller,
    Tenant,
}

impl Surface {
    /// Whether a process serving this surface runs the background workers (tenant jobs,
    /// webhook delivery, housekeeping): `all` and `reseller` do; `tenant` processes only
    /// answer the Tenant API, so they can be scaled for sync traffic alone.
    pub fn runs_workers(self) -> bool {
        matches!(self, Surface::All | Surface::Reseller)
    }
}

impl Surface {
    /// The surfaces' routes a process serving this mounts into the shared application.
    pub const fn mounts(self) -> &'static [Mount] {
        match self {
            Surface::All => &[
                tenantry_reseller_api::configure,
                tenantry_tenant_api::configure,
                tenantry_portal::configure,
            ],
            Surface::Reseller => &[tenantry_reseller_api::configure],
            // The portal belongs to the tenant surface: a tenant's people, beside its
            // integrations.
            Surface::Tenant => &[tenantry_tenant_api::configure, tenantry_portal::configure],
        }
    }
}
