//! One-time login URLs: issued for a tenant user (by the Reseller API and by provisioning)
//! and used once, by the browser that opens them, to start a session.

use crate::{Actor, NewSecret, ServiceError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tenantry_api_types::login::{login_url, LoginOut};
use tenantry_domain::login_url::{check_path, LoginToken, LoginTokenStatus, SessionPolicy};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::user::check_login;
use tenantry_storage::login::{self, Session};
use tenantry_storage::{user as users, DbConnection};
use uuid::Uuid;

/// Whom a login URL signs in, and where it lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginTarget {
    /// The tenant user's login.
    pub login: String,
    /// A path on this server; absolute and protocol-relative URLs are refused.
    pub path: String,
}

impl LoginTarget {
    /// Checks the login and the path.
    pub fn check(&self) -> Result<(), tenantry_domain::DomainError> {
        check_login(&self.login).and_then(|()| check_path(&self.path))
    }
}

/// Where login URLs point and how long they work, as the server is configured.
#[derive(Debug, Clone)]
pub struct LoginUrls {
    /// The server's public base URL, without a trailing slash.
    pub base: String,
    pub ttl: Duration,
}

/// Issues a one-time login URL for the user `target.login` of `tenant`: only the secret's hash
/// is stored; the URL in the answer carries the secret, shown this once.
pub fn issue(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    target: LoginTarget,
    urls: &LoginUrls,
    secret: NewSecret,
    now: DateTime<Utc>,
) -> Result<LoginOut, ServiceError> {
    check_path(&target.path)?;
    let user = users::find_by_login(conn, tenant.id, &target.login)?;
    let token = LoginToken {
        tenant_id: tenant.id,
        id: Uuid::new_v4(),
        user_id: user.id,
        path: target.path,
        created_at: now,
        expires_at: now + urls.ttl,
        consumed_at: None,
    };
    login::insert_token(conn, &token, &secret.stored.hash)?;
    log::debug!(
        "{actor} issued a login URL for {} of tenant {}",
        user.login,
        tenant.code_name
    );
    Ok(LoginOut {
        login_url: login_url(&urls.base, &user.login, &secret.secret),
        path: token.path,
        expires: token.expires_at,
    })
}

/// What using a login URL came to.
#[derive(Debug)]
pub enum SignIn {
    /// A session started: its cookie holds the session secret the caller made.
    SignedIn {
        path: String,
        tenant: Box<Tenant>,
    },
    /// No login URL has this secret for this login.
    Unknown,
    /// The tenant is deactivated or cancelled.
    TenantNotUsable,
    /// The URL was used before.
    Used,
    Expired,
}

/// Uses the login URL whose secret hashes to `hash`, for `login`: it works once, before it
/// expires, for a usable tenant. A session (`session`: made by the caller, its hash stored)
/// starts for the URL's user, to live as `policy` says.
pub fn sign_in(
    conn: &mut DbConnection,
    hash: &str,
    login: &str,
    session: NewSecret,
    policy: &SessionPolicy,
    now: DateTime<Utc>,
) -> Result<SignIn, ServiceError> {
    let Some((token, tenant)) = login::find_token(conn, hash, login)? else {
        return Ok(SignIn::Unknown);
    };
    if !tenant.status.is_usable() {
        return Ok(SignIn::TenantNotUsable);
    }
    match token.status(now) {
        LoginTokenStatus::Consumed => Ok(SignIn::Used),
        LoginTokenStatus::Expired => Ok(SignIn::Expired),
        LoginTokenStatus::Valid => {
            // The conditional update decides a race between two uses of one link.
            if !login::consume_token(conn, &token, now)? {
                return Ok(SignIn::Used);
            }
            let started = Session {
                tenant_id: token.tenant_id,
                id: uuid::Uuid::new_v4(),
                user_id: token.user_id,
                created_at: now,
                expires_at: now + policy.lifetime,
                last_seen_at: now,
            };
            login::insert_session(conn, &started, &session.stored.hash)?;
            log::debug!("{} signed in to tenant {}", login, tenant.code_name);
            Ok(SignIn::SignedIn {
                path: token.path,
                tenant: Box::new(tenant),
            })
        }
    }
}
