//! Resolving a credential to the principal a request acts as.

use crate::scheme::ResellerCredentials;
use crate::token::{self, TokenKind};
use crate::{AuthError, PasswordCache};
use std::sync::Arc;
use tenantry_domain::reseller::Reseller;
use tenantry_domain::scope::{self, Scope};
use tenantry_domain::Environment;
use tenantry_storage::reseller::KeyCheck;
use tenantry_storage::{reseller, DbConnection, Owner};
use uuid::Uuid;

/// Which credential authenticated a request (for audit and revocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    ResellerUser(Uuid),
    ResellerKey(Uuid),
}

/// An authenticated reseller, in the environment of its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResellerPrincipal {
    pub reseller: Reseller,
    pub environment: Environment,
    pub credential: Credential,
    /// What the credential may do: every scope for a user, its own for a key.
    pub scopes: Vec<Scope>,
}

impl ResellerPrincipal {
    /// What this principal may see: its reseller's tenants of its environment.
    pub fn owner(&self) -> Owner {
        Owner {
            reseller_id: self.reseller.id,
            environment: self.environment,
        }
    }

    /// Refuses (403, naming the scope) unless the credential holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), AuthError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(AuthError::Forbidden {
                code: "missing_scope",
                message: format!(
                    "this operation needs the `{scope}` scope, which this key does not have"
                ),
            })
        }
    }
}

/// Checks credentials against the database. Shared by all requests of a process.
#[derive(Default)]
pub struct Authenticator {
    passwords: PasswordCache,
    known_tokens: crate::known_tokens::KnownTokens,
    known_keys: crate::known_tokens::KnownKeys,
}

/// A reseller key this process authenticated in the last minute: its principal, and what a
/// write acting on it must require as its transaction begins
/// ([`tenantry_storage::Database::write_checked`]).
#[derive(Debug, Clone)]
pub struct KnownKey {
    pub principal: Arc<ResellerPrincipal>,
    pub check: KeyCheck,
}

const REJECTED: &str = "the credentials are not valid: unknown reseller, login or key, wrong password, or a revoked key";

impl Authenticator {
    pub fn new(passwords: PasswordCache) -> Self {
        Authenticator {
            passwords,
            known_tokens: Default::default(),
            known_keys: Default::default(),
        }
    }

    pub(crate) fn passwords(&self) -> &PasswordCache {
        &self.passwords
    }

    pub(crate) fn known_tokens(&self) -> &crate::known_tokens::KnownTokens {
        &self.known_tokens
    }

    /// How many argon2 verifications this process has run (cache misses and decoys).
    pub fn password_verifications(&self) -> usize {
        self.passwords.verifications()
    }

    /// The principal of a reseller key this process authenticated in the last minute, with
    /// the check a write acting on it owes; `None` for any other credential or a key not
    /// remembered, which [`Authenticator::reseller`] then looks up.
    pub fn reseller_known(&self, credentials: &ResellerCredentials) -> Option<KnownKey> {
        let ResellerCredentials::Key(secret) = credentials else {
            return None;
        };
        let token_hash = token::hash(secret);
        let principal = self.known_keys.get(&token_hash)?;
        Some(KnownKey {
            check: KeyCheck {
                token_hash,
                reseller: principal.reseller.clone(),
            },
            principal,
        })
    }

    /// How many reseller keys this process has looked up in the database.
    pub fn key_lookups(&self) -> usize {
        self.known_keys.lookups()
    }

    /// Forgets a remembered key whose check failed.
    pub fn forget_key(&self, token_hash: &str) {
        self.known_keys.forget(token_hash);
    }

    /// Resolves reseller credentials to a principal, or says why not. A key that checks out
    /// is remembered for [`Authenticator::reseller_known`].
    pub fn reseller(
        &self,
        conn: &mut DbConnection,
        credentials: &ResellerCredentials,
    ) -> Result<ResellerPrincipal, AuthError> {
        match credentials {
            ResellerCredentials::Basic {
                reseller,
                login,
                password,
            } => {
                let Some((user, reseller)) = reseller::find_user(conn, reseller, login)? else {
                    // Spend the same time as a wrong password, so logins cannot be probed.
                    self.passwords.verify_decoy(password);
                    return Err(AuthError::Rejected(REJECTED));
                };
                if !self.passwords.verify(password, &user.password_hash) {
                    return Err(AuthError::Rejected(REJECTED));
                }
                Ok(ResellerPrincipal {
                    reseller,
                    environment: user.environment,
                    credential: Credential::ResellerUser(user.id),
                    scopes: scope::ALL.to_vec(),
                })
            }
            ResellerCredentials::Key(secret) => {
                let (kind, environment) = token::parse(secret)?;
                if kind != TokenKind::ResellerKey {
                    return Err(AuthError::Rejected(
                        "this is a tenant token: the Reseller API needs a reseller key (tnr_…)",
                    ));
                }
                let hash = token::hash(secret);
                self.known_keys.looked_up();
                let Some((key, reseller)) =
                    reseller::find_active_key(conn, &hash, tenantry_domain::time::now())?
                else {
                    return Err(AuthError::Rejected(REJECTED));
                };
                debug_assert_eq!(
                    key.environment, environment,
                    "the prefix is generated from the key's environment"
                );
                let principal = ResellerPrincipal {
                    reseller,
                    environment: key.environment,
                    credential: Credential::ResellerKey(key.id),
                    scopes: key.scopes,
                };
                self.known_keys.remember(hash, Arc::new(principal.clone()));
                Ok(principal)
            }
        }
    }
}
