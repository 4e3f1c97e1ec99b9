//! The Tenant API's authentication schemes and the tenant principal they resolve to:
//!
//! - Sharespine: `X-Tenant: <codeName>` + `X-ConnectionId: <id>` + `Authorization: Basic
//!   <tenant user login:password>`;
//! - Calipsa company token: `Authorization: Bearer tnt_…` or `x-APIKey: tnt_…`;
//! - Calipsa partner token: any Reseller API credential + `X-Tenant-ID: <tenant id>`, for the
//!   reseller's own tenants only.

use crate::scheme::{decode_basic, Headers, ResellerCredentials};
use crate::token::{self, TokenKind};
use crate::{AuthError, Authenticator, Credential, KnownToken};
use std::sync::Arc;
use tenantry_domain::connection::{Connection, API_TYPE};
use tenantry_domain::permission::Permission;
use tenantry_domain::scope::Scope;
use tenantry_domain::tenant::Tenant;
use tenantry_storage::{connection, tenant, tenant_token, user, DbConnection, StorageError};
use uuid::Uuid;

/// The header values the tenant schemes read.
#[derive(Debug, Clone, Copy, Default)]
pub struct TenantHeaders<'a> {
    pub authorization: Option<&'a str>,
    pub x_api_key: Option<&'a str>,
    pub x_tenant: Option<&'a str>,
    pub x_connection_id: Option<&'a str>,
    pub x_tenant_id: Option<&'a str>,
    pub x_reseller: Option<&'a str>,
}

/// A Tenant API credential as presented, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantCredentials {
    ConnectionUser {
        code_name: String,
        connection_id: String,
        login: String,
        password: String,
    },
    TenantToken(String),
    Reseller {
        credentials: ResellerCredentials,
        tenant_id: String,
    },
}

const MISSING: &str = "authentication required: send X-Tenant, X-ConnectionId and Authorization: Basic; \
                       or Authorization: Bearer / x-APIKey with a tenant token; or reseller credentials with X-Tenant-ID";

impl TenantCredentials {
    pub fn parse(h: TenantHeaders<'_>) -> Result<Self, AuthError> {
        if let Some(tenant_id) = h.x_tenant_id {
            let credentials = ResellerCredentials::parse(Headers {
                authorization: h.authorization,
                x_reseller: h.x_reseller,
                x_api_key: h.x_api_key,
            })?;
            return Ok(TenantCredentials::Reseller {
                credentials,
                tenant_id: tenant_id.trim().to_owned(),
            });
        }
        if let Some(key) = h.x_api_key {
            if h.authorization.is_some() {
                return Err(AuthError::Malformed(
                    "send either Authorization or x-APIKey, not both",
                ));
            }
            return Ok(TenantCredentials::TenantToken(key.trim().to_owned()));
        }
        let authorization = h.authorization.ok_or(AuthError::Missing(MISSING))?.trim();
        let (scheme, value) = authorization.split_once(' ').unwrap_or((authorization, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            return Ok(TenantCredentials::TenantToken(value.trim().to_owned()));
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(AuthError::Malformed(
                "unsupported Authorization scheme: use Basic or Bearer",
            ));
        }
        let (login, password) = decode_basic(value.trim())?;
        let code_name = h.x_tenant.map(str::trim).filter(|v| !v.is_empty());
        let connection_id = h.x_connection_id.map(str::trim).filter(|v| !v.is_empty());
        match (code_name, connection_id) {
            (Some(code_name), Some(connection_id)) => Ok(TenantCredentials::ConnectionUser {
                code_name: code_name.to_owned(),
                connection_id: connection_id.to_owned(),
                login,
                password,
            }),
            _ => Err(AuthError::Missing("Basic authentication on the Tenant API needs X-Tenant (the codeName) and X-ConnectionId")),
        }
    }
}

/// How a Tenant API request got in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantAccess {
    /// A tenant user through an API connection (Sharespine).
    ConnectionUser {
        connection_id: String,
        user_id: Uuid,
        login: String,
    },
    /// A company-scoped token of an API connection (Calipsa).
    TenantToken { connection_id: String },
    /// The tenant's reseller, acting for it with `X-Tenant-ID` (Calipsa).
    Reseller {
        reseller_id: Uuid,
        credential: Credential,
    },
}

/// An authenticated Tenant API caller: which tenant, how, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPrincipal {
    pub tenant: Tenant,
    pub access: TenantAccess,
    pub permissions: Vec<Permission>,
}

impl TenantPrincipal {
    /// Refuses (403, naming the permission) unless the caller holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AuthError> {
        if self.permissions.contains(&permission) {
            Ok(())
        } else {
            Err(AuthError::Forbidden {
                code: "missing_permission",
                message: format!("this operation needs the `{permission}` permission, which the caller does not have"),
            })
        }
    }
}

const REJECTED: &str = "the credentials are not valid: unknown tenant, connection, user or token, wrong password, or a revoked token";

fn rejected<T>(_: StorageError) -> Result<T, AuthError> {
    Err(AuthError::Rejected(REJECTED))
}

/// Whether the tenant, and the connection if any, let a request in; `api_only`: the
/// connection must be of type `api` (Sharespine's user-through-connection scheme).
fn usable(
    tenant: &Tenant,
    connection: Option<&Connection>,
    api_only: bool,
) -> Result<(), AuthError> {
    if !tenant.status.is_usable() {
        return Err(AuthError::Forbidden {
            code: "tenant_deactivated",
            message: format!("tenant {} is {}", tenant.code_name, tenant.status),
        });
    }
    if let Some(c) = connection {
        if !c.active {
            return Err(AuthError::Forbidden {
                code: "connection_inactive",
                message: format!("connection {} is deactivated", c.id),
            });
        }
        if api_only && c.kind != API_TYPE {
            return Err(AuthError::Forbidden {
                code: "connection_not_api",
                message: format!("connection {} is of type `{}`, not `api`", c.id, c.kind),
            });
        }
    }
    Ok(())
}

impl Authenticator {
    /// The principal of a tenant token this process authenticated in the last minute, with
    /// the hash the read that serves the request must require live
    /// ([`tenantry_storage::tenant_token::CredentialCheck::Owed`]); `None` for any other
    /// credential or a token not remembered, which [`Authenticator::tenant`] then checks.
    pub fn tenant_known(&self, credentials: &TenantCredentials) -> Option<KnownToken> {
        let TenantCredentials::TenantToken(secret) = credentials else {
            return None;
        };
        let token_hash = token::hash(secret);
        let principal = self.known_tokens().get(&token_hash)?;
        Some(KnownToken {
            principal,
            token_hash,
        })
    }

    /// How many tenant tokens this process has looked up in the database (a remembered
    /// token's request looks up none).
    pub fn token_lookups(&self) -> usize {
        self.known_tokens().lookups()
    }

    /// Forgets a remembered token that a read found no longer live.
    pub fn forget_token(&self, token_hash: &str) {
        self.known_tokens().forget(token_hash);
    }

    /// Resolves Tenant API credentials to a principal, or says why not. A tenant token that
    /// checks out is remembered for [`Authenticator::tenant_known`].
    pub fn tenant(
        &self,
        conn: &mut DbConnection,
        credentials: &TenantCredentials,
    ) -> Result<TenantPrincipal, AuthError> {
        match credentials {
            TenantCredentials::ConnectionUser {
                code_name,
                connection_id,
                login,
                password,
            } => {
                let Ok(tenant) = tenant::find_by_code_name_unscoped(conn, code_name) else {
                    self.passwords().verify_decoy(password);
                    return Err(AuthError::Rejected(REJECTED));
                };
                let connection =
                    connection::find(conn, tenant.id, connection_id).or_else(rejected)?;
                let user = user::find_by_login(conn, tenant.id, login).or_else(rejected)?;
                let Some(hash) = &user.password_hash else {
                    return Err(AuthError::Rejected(
                        "this tenant user has no password: set one to use the Tenant API",
                    ));
                };
                if !self.passwords().verify(password, hash) {
                    return Err(AuthError::Rejected(REJECTED));
                }
                usable(&tenant, Some(&connection), true)?;
                Ok(TenantPrincipal {
                    permissions: user.effective_permissions(),
                    access: TenantAccess::ConnectionUser {
                        connection_id: connection.id,
                        user_id: user.id,
                        login: user.login,
                    },
                    tenant,
                })
            }
            TenantCredentials::TenantToken(secret) => {
                let (kind, _) = token::parse(secret)?;
                if kind != TokenKind::TenantToken {
                    return Err(AuthError::Rejected(
                        "a reseller key acts for a tenant only with the X-Tenant-ID header",
                    ));
                }
                let token_hash = token::hash(secret);
                self.known_tokens().looked_up();
                let Some(found) = tenant_token::find_active(conn, &token_hash)? else {
                    return Err(AuthError::Rejected(REJECTED));
                };
                // A token exists only where one was issued: an `api` connection's, or the
                // connection a partner's link added (of the partner's type).
                usable(&found.tenant, Some(&found.connection), false)?;
                let principal = TenantPrincipal {
                    tenant: found.tenant,
                    access: TenantAccess::TenantToken {
                        connection_id: found.connection.id,
                    },
                    // A partner's token holds what the tenant consented to; others all.
                    permissions: found
                        .permissions
                        .unwrap_or_else(|| Permission::ALL.to_vec()),
                };
                self.known_tokens()
                    .remember(token_hash, Arc::new(principal.clone()));
                Ok(principal)
            }
            TenantCredentials::Reseller {
                credentials,
                tenant_id,
            } => {
                let reseller = self.reseller(conn, credentials)?;
                let id = Uuid::parse_str(tenant_id)
                    .map_err(|_| AuthError::Storage(StorageError::NotFound("tenant")))?;
                let tenant = tenant::find_by_id(conn, &reseller.owner(), id)?;
                usable(&tenant, None, false)?;
                // A reseller key acts for a tenant within its scopes: reading needs
                // `tenant:read`, writing `tenant:write`.
                let permissions = Permission::ALL
                    .into_iter()
                    .filter(|p| {
                        let needed = if p.is_read() {
                            Scope::TenantRead
                        } else {
                            Scope::TenantWrite
                        };
                        reseller.scopes.contains(&needed)
                    })
                    .collect();
                Ok(TenantPrincipal {
                    tenant,
                    access: TenantAccess::Reseller {
                        reseller_id: reseller.reseller.id,
                        credential: reseller.credential,
                    },
                    permissions,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tenant_scheme_parses() {
        let basic = "Basic YXBpOnBhc3N3b3Jk"; // api:password
        let h = TenantHeaders {
            authorization: Some(basic),
            x_tenant: Some("acme-1"),
            x_connection_id: Some("abc"),
            ..Default::default()
        };
        assert!(
            matches!(TenantCredentials::parse(h).unwrap(), TenantCredentials::ConnectionUser { ref login, .. } if login == "api")
        );
        let h = TenantHeaders {
            authorization: Some(basic),
            x_tenant: Some("acme-1"),
            ..Default::default()
        };
        assert!(matches!(
            TenantCredentials::parse(h),
            Err(AuthError::Missing(_))
        ));
        let h = TenantHeaders {
            authorization: Some("Bearer tnt_test_x"),
            ..Default::default()
        };
        assert_eq!(
            TenantCredentials::parse(h).unwrap(),
            TenantCredentials::TenantToken("tnt_test_x".into())
        );
        let h = TenantHeaders {
            x_api_key: Some("tnt_test_y"),
            ..Default::default()
        };
        assert_eq!(
            TenantCredentials::parse(h).unwrap(),
            TenantCredentials::TenantToken("tnt_test_y".into())
        );
        let h = TenantHeaders {
            authorization: Some("Bearer tnr_test_z"),
            x_tenant_id: Some("id"),
            ..Default::default()
        };
        assert!(matches!(
            TenantCredentials::parse(h).unwrap(),
            TenantCredentials::Reseller { .. }
        ));
        assert!(matches!(
            TenantCredentials::parse(TenantHeaders::default()),
            Err(AuthError::Missing(_))
        ));
    }
}
