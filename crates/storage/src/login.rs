//! Login URL tokens and the browser sessions they start. Only hashes of secrets are stored.

use crate::convert::{from_db_time, to_db_time, uuid};
use crate::schema::{login_tokens, sessions, tenant_users, tenants};
use crate::tenant::TenantRow;
use crate::{DbConnection, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::login_url::LoginToken;
use tenantry_domain::tenant::Tenant;
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
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// Who a session belongs to, as the tenant UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOwner {
    pub code_name: String,
    pub tenant_name: String,
    pub login: String,
    pub user_name: String,
}

/// Stores a session by the hash of its cookie value.
pub fn insert_session(
    conn: &mut DbConnection,
    session: &Session,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::tenant_id.eq(session.tenant_id.to_string()),
            sessions::id.eq(Uuid::new_v4().to_string()),
            sessions::user_id.eq(session.user_id.to_string()),
            sessions::token_hash.eq(token_hash),
            sessions::created_at.eq(to_db_time(now)),
            sessions::expires_at.eq(to_db_time(session.expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The owner of the unexpired session whose cookie hashes to `token_hash`.
pub fn find_session_owner(
    conn: &mut DbConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionOwner>> {
    let row = sessions::table
        .inner_join(
            tenant_users::table.on(tenant_users::tenant_id
                .eq(sessions::tenant_id)
                .and(tenant_users::id.eq(sessions::user_id))),
        )
        .inner_join(tenants::table.on(tenants::id.eq(sessions::tenant_id)))
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(to_db_time(now)))
        .select((
            tenants::code_name,
            tenants::full_name,
            tenant_users::login,
            tenant_users::full_name,
        ))
        .first::<(String, String, String, String)>(conn)
        .optional()?;
    Ok(
        row.map(|(code_name, tenant_name, login, user_name)| SessionOwner {
            code_name,
            tenant_name,
            login,
            user_name,
        }),
    )
}
