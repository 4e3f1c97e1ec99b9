//! Login URL tokens and the browser sessions they start. Only hashes of secrets are stored.

use crate::convert::{from_db_time, to_db_time, uuid};
use crate::schema::{login_tokens, reseller_portals, resellers, sessions, tenant_users, tenants};
use crate::tenant::TenantRow;
use crate::user::UserRow;
use crate::{DbConnection, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::login_url::LoginToken;
use tenantry_domain::tenant::Tenant;
use tenantry_domain::user::TenantUser;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = login_tokens)]
struct TokenRow {
    tenant_id: String,
    id: String,
    user_id: String,
    token_hash: String,
    path: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    consumed_at: Option<NaiveDateTime>,
}

impl TokenRow {
    fn into_domain(self) -> Result<LoginToken> {
        Ok(LoginToken {
            tenant_id: uuid(&self.tenant_id)?,
            id: uuid(&self.id)?,
            user_id: uuid(&self.user_id)?,
            path: self.path,
            created_at: from_db_time(self.created_at),
            expires_at: from_db_time(self.expires_at),
            consumed_at: self.consumed_at.map(from_db_time),
        })
    }
}

/// Stores a login token by the hash of its secret.
pub fn insert_token(conn: &mut DbConnection, token: &LoginToken, token_hash: &str) -> Result<()> {
    let row = TokenRow {
        tenant_id: token.tenant_id.to_string(),
        id: token.id.to_string(),
        user_id: token.user_id.to_string(),
        token_hash: token_hash.to_owned(),
        path: token.path.clone(),
        created_at: to_db_time(token.created_at),
        expires_at: to_db_time(token.expires_at),
        consumed_at: None,
    };
    diesel::insert_into(login_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The token whose secret hashes to `token_hash`, if it belongs to the user `login`, with its
/// tenant (a deactivated tenant's login URLs do not sign anyone in).
pub fn find_token(
    conn: &mut DbConnection,
    token_hash: &str,
    login: &str,
) -> Result<Option<(LoginToken, Tenant)>> {
    let row = login_tokens::table
        .inner_join(
            tenant_users::table.on(tenant_users::tenant_id
                .eq(login_tokens::tenant_id)
                .and(tenant_users::id.eq(login_tokens::user_id))),
        )
        .inner_join(tenants::table.on(tenants::id.eq(login_tokens::tenant_id)))
        .filter(login_tokens::token_hash.eq(token_hash))
        .filter(tenant_users::login.eq(login))
        .select((TokenRow::as_select(), TenantRow::as_select()))
        .first::<(TokenRow, TenantRow)>(conn)
        .optional()?;
    row.map(|(token, tenant)| Ok((token.into_domain()?, tenant.into_domain()?)))
        .transpose()
}

/// Marks the token used, if it still is valid at `now`. Returns false when another request
/// used it first or it expired: the conditional update makes the use single even under races.
pub fn consume_token(
    conn: &mut DbConnection,
    token: &LoginToken,
    now: DateTime<Utc>,
) -> Result<bool> {
    let updated = diesel::update(login_tokens::table)
        .filter(login_tokens::tenant_id.eq(token.tenant_id.to_string()))
        .filter(login_tokens::id.eq(token.id.to_string()))
        .filter(login_tokens::consumed_at.is_null())
        .filter(login_tokens::expires_at.gt(to_db_time(now)))
        .set(login_tokens::consumed_at.eq(to_db_time(now)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// A browser session a login URL started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    /// Its start plus the lifetime in force then.
    pub expires_at: DateTime<Utc>,
    /// Its last request (recorded at most once a minute).
    pub last_seen_at: DateTime<Utc>,
}

/// A session with the tenant and user it belongs to, as one lookup finds them.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub session: Session,
    pub tenant: Tenant,
    pub user: TenantUser,
    /// The name of the tenant's reseller, which the portal shows.
    pub reseller_name: String,
    /// What the reseller set for the portal in the tenant's environment.
    pub portal: tenantry_domain::reseller::PortalSettings,
}

/// Stores a session by the hash of its cookie value.
pub fn insert_session(conn: &mut DbConnection, session: &Session, token_hash: &str) -> Result<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::tenant_id.eq(session.tenant_id.to_string()),
            sessions::id.eq(session.id.to_string()),
            sessions::user_id.eq(session.user_id.to_string()),
            sessions::token_hash.eq(token_hash),
            sessions::created_at.eq(to_db_time(session.created_at)),
            sessions::expires_at.eq(to_db_time(session.expires_at)),
            sessions::last_seen_at.eq(to_db_time(session.last_seen_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session whose cookie hashes to `token_hash`, with its tenant and user, in one query;
/// whether it still works is the caller's to decide (`SessionPolicy`, the tenant's status).
pub fn find_session(conn: &mut DbConnection, token_hash: &str) -> Result<Option<SignedIn>> {
    let row = sessions::table
        .inner_join(
            tenant_users::table.on(tenant_users::tenant_id
                .eq(sessions::tenant_id)
                .and(tenant_users::id.eq(sessions::user_id))),
        )
        .inner_join(tenants::table.on(tenants::id.eq(sessions::tenant_id)))
        .inner_join(resellers::table.on(resellers::id.eq(tenants::reseller_id)))
        .left_join(
            reseller_portals::table.on(reseller_portals::reseller_id
                .eq(tenants::reseller_id)
                .and(reseller_portals::environment.eq(tenants::environment))),
        )
        .filter(sessions::token_hash.eq(token_hash))
        .select((
            (
                resellers::name,
                reseller_portals::return_url.nullable(),
                reseller_portals::frame_ancestors.nullable(),
            ),
            (
                sessions::id,
                sessions::created_at,
                sessions::expires_at,
                sessions::last_seen_at,
            ),
            TenantRow::as_select(),
            UserRow::as_select(),
        ))
        .first::<(
            (String, Option<String>, Option<String>),
            (String, NaiveDateTime, NaiveDateTime, NaiveDateTime),
            TenantRow,
            UserRow,
        )>(conn)
        .optional()?;
    let Some((
        (reseller_name, return_url, ancestors),
        (id, created_at, expires_at, last_seen_at),
        tenant,
        user,
    )) = row
    else {
        return Ok(None);
    };
    let tenant = tenant.into_domain()?;
    let user = user.into_domain()?;
    Ok(Some(SignedIn {
        session: Session {
            tenant_id: tenant.id,
            id: uuid(&id)?,
            user_id: user.id,
            created_at: from_db_time(created_at),
            expires_at: from_db_time(expires_at),
            last_seen_at: from_db_time(last_seen_at),
        },
        tenant,
        user,
        reseller_name,
        portal: crate::reseller::portal_of(Some((return_url, ancestors)))?,
    }))
}

/// Records `now` as the session's last request.
pub fn touch_session(conn: &mut DbConnection, session: &Session, now: DateTime<Utc>) -> Result<()> {
    diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(session.tenant_id.to_string()))
            .filter(sessions::id.eq(session.id.to_string())),
    )
    .set(sessions::last_seen_at.eq(to_db_time(now)))
    .execute(conn)?;
    Ok(())
}

/// Deletes the tenant's sessions: one (`Some(id)`), or all of one user's, or all of the
/// tenant's. Returns how many there were.
pub fn delete_sessions(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    which: SessionsOf,
) -> Result<usize> {
    let mut query = diesel::delete(sessions::table)
        .filter(sessions::tenant_id.eq(tenant_id.to_string()))
        .into_boxed();
    match which {
        SessionsOf::Session(id) => query = query.filter(sessions::id.eq(id.to_string())),
        SessionsOf::User(id) => query = query.filter(sessions::user_id.eq(id.to_string())),
        SessionsOf::Tenant => {}
    }
    Ok(query.execute(conn)?)
}

/// Which of a tenant's sessions [`delete_sessions`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionsOf {
    Session(Uuid),
    User(Uuid),
    Tenant,
}

/// How many sessions the tenant has (live or not yet found ended).
pub fn count_sessions(conn: &mut DbConnection, tenant_id: Uuid) -> Result<i64> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant_id.to_string()))
        .count()
        .get_result(conn)?)
}
