//! Who an authenticated request acts as, in the use-case layer's words.

use tenantry_auth::{Credential, ResellerPrincipal, TenantAccess, TenantPrincipal};
use tenantry_service::Actor;

/// The [`Actor`] behind an authenticated principal: `principal.actor()`.
pub trait Acting {
    fn actor(&self) -> Actor;
}

fn of_credential(credential: Credential) -> Actor {
    match credential {
        Credential::ResellerUser(id) => Actor::ResellerUser(id),
        Credential::ResellerKey(id) => Actor::ResellerKey(id),
    }
}

impl Acting for ResellerPrincipal {
    fn actor(&self) -> Actor {
        of_credential(self.credential)
    }
}

impl Acting for TenantPrincipal {
    fn actor(&self) -> Actor {
        match &self.access {
            TenantAccess::ConnectionUser { user_id, .. } => Actor::TenantUser(*user_id),
            TenantAccess::TenantToken { connection_id } => {
                Actor::TenantToken(connection_id.clone())
            }
            TenantAccess::Reseller { credential, .. } => of_credential(*credential),
        }
    }
}
