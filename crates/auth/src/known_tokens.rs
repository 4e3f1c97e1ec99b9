//! This process's memory of the tenant tokens and reseller keys it authenticated in the last
//! minute.
//!
//! A sync client polls the same page route all day with one token, and looking the token up
//! on every request was one of the two database round trips of a sync page (the other being
//! the page). A remembered token is not trusted on its own: the read that serves it requires
//! the token live in its own statement ([`tenantry_storage::tenant_token::CredentialCheck`]),
//! so a revocation, a deactivated connection or tenant refuses the very next request on every
//! process. The memory only spares the lookup of what does not change while a token lives:
//! which tenant, connection and permissions it has.
//!
//! A reseller key is remembered the same way for the Reseller API's audited writes: the
//! write's transaction begins by requiring the key live and its reseller as remembered
//! ([`tenantry_storage::reseller::KeyCheck`]), in BEGIN's own round trip on PostgreSQL.

use crate::{ResellerPrincipal, TenantPrincipal};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a token's principal is reused before it is looked up again, so that the
/// tenant's own fields (its name, say) are at most this old in what a remembered request
/// sees. Liveness is never taken from here.
const REMEMBERED_FOR: Duration = Duration::from_secs(60);

/// How many tokens are remembered at most; beyond it the memory starts over, which costs
/// each token one lookup.
const CAPACITY: usize = 100_000;

/// Tokens by hash, with the principal they authenticated and when.
pub(crate) struct Known<P> {
    /// Shared, not copied, into each request: a principal is a tenant's every field, and
    /// cloning it was a dozen allocations per sync page.
    tokens: Mutex<HashMap<String, (Arc<P>, Instant)>>,
    /// How many tokens were looked up in the database (tests and metrics read it).
    lookups: AtomicUsize,
}

/// Tenant tokens, for the Tenant API's reads.
pub(crate) type KnownTokens = Known<TenantPrincipal>;

/// Reseller keys, for the Reseller API's audited writes.
pub(crate) type KnownKeys = Known<ResellerPrincipal>;

impl<P> Default for Known<P> {
    fn default() -> Self {
        Known {
            tokens: Mutex::default(),
            lookups: AtomicUsize::new(0),
        }
    }
}

/// A token this process authenticated a moment ago.
#[derive(Debug, Clone)]
pub struct KnownToken {
    pub principal: Arc<TenantPrincipal>,
    /// What the read serving the request must require live.
    pub token_hash: String,
}

impl<P> Known<P> {
    pub(crate) fn get(&self, token_hash: &str) -> Option<Arc<P>> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(token_hash)
            .filter(|(_, at)| at.elapsed() < REMEMBERED_FOR)
            .map(|(principal, _)| Arc::clone(principal))
    }

    /// Counts a token looked up in the database.
    pub(crate) fn looked_up(&self) {
        self.lookups.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn lookups(&self) -> usize {
        self.lookups.load(Ordering::Relaxed)
    }

    pub(crate) fn remember(&self, token_hash: String, principal: Arc<P>) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if tokens.len() >= CAPACITY {
            tokens.retain(|_, (_, at)| at.elapsed() < REMEMBERED_FOR);
            if tokens.len() >= CAPACITY {
                tokens.clear();
            }
        }
        tokens.insert(token_hash, (principal, Instant::now()));
    }

    pub(crate) fn forget(&self, token_hash: &str) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.remove(token_hash);
    }
}
