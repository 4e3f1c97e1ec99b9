//! Company-scoped tenant tokens (Calipsa), each tied to an API connection.

use crate::connection::ConnectionRow;
use crate::convert::to_db_time;
use crate::integration::{permissions_from_json, permissions_to_json};
use crate::schema::{connections, tenant_tokens, tenants};
use crate::tenant::TenantRow;
use crate::{DbConnection, Result};
use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use tenantry_domain::connection::Connection;
use tenantry_domain::permission::Permission;
use tenantry_domain::tenant::{Tenant, TenantStatus};
use uuid::Uuid;

/// Stores a token by its hash for a connection of the tenant. `permissions` limits what it
/// may do (a partner's token, to what the tenant consented to); `None` is every permission.
pub fn insert(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    connection_id: &str,
    token_hash: &str,
    hint: &str,
    permissions: Option<&[Permission]>,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::new_v4();
    diesel::insert_into(tenant_tokens::table)
        .values((
            tenant_tokens::tenant_id.eq(tenant_id.to_string()),
            tenant_tokens::id.eq(id.to_string()),
            tenant_tokens::connection_id.eq(connection_id),
            tenant_tokens::token_hash.eq(token_hash),
            tenant_tokens::hint.eq(hint),
            tenant_tokens::created_at.eq(to_db_time(now)),
            tenant_tokens::permissions.eq(permissions.map(permissions_to_json)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// An unrevoked token's tenant, connection and what it may do.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveToken {
    pub tenant: Tenant,
    pub connection: Connection,
    /// `None`: every permission.
    pub permissions: Option<Vec<Permission>>,
}

/// The tenant and connection of the unrevoked token whose secret hashes to `token_hash`, in one
/// query: this runs on every token-authenticated request.
pub fn find_active(conn: &mut DbConnection, token_hash: &str) -> Result<Option<ActiveToken>> {
    let row = tenant_tokens::table
        .inner_join(tenants::table.on(tenants::id.eq(tenant_tokens::tenant_id)))
        .inner_join(
            connections::table.on(connections::tenant_id
                .eq(tenant_tokens::tenant_id)
                .and(connections::id.eq(tenant_tokens::connection_id))),
        )
        .filter(tenant_tokens::token_hash.eq(token_hash))
        .filter(tenant_tokens::revoked_at.is_null())
        .select((
            TenantRow::as_select(),
            ConnectionRow::as_select(),
            tenant_tokens::permissions,
        ))
        .first::<(TenantRow, ConnectionRow, Option<String>)>(conn)
        .optional()?;
    row.map(|(t, c, p)| {
        Ok(ActiveToken {
            tenant: t.into_domain()?,
            connection: c.into_domain()?,
            permissions: p.as_deref().map(permissions_from_json).transpose()?,
        })
    })
    .transpose()
}

/// What a Tenant API read still has to prove about the credential of its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialCheck {
    /// The credential was checked for this request already, on the primary.
    Done,
    /// The caller was recognised from this process's memory of tokens it authenticated: the
    /// read itself requires the token live (unrevoked, its connection active, its tenant
    /// usable), so a revocation through any process refuses the very next request, and a
    /// sync page costs one statement instead of two.
    Owed { token_hash: String },
}

/// Whether the token hashing to `token_hash` still authenticates for the tenant: unrevoked,
/// its connection active and its tenant in a usable status. The same conditions as
/// [`find_active`] and the authenticator's checks of what it returns (a test holds the two to
/// the same answers), as one `EXISTS` for a read's `WHERE`.
#[diesel::dsl::auto_type(no_type_alias)]
pub(crate) fn live<'a>(tenant_id: &'a str, token_hash: &'a str) -> _ {
    let provisioning: &'static str = USABLE_STATUSES[0];
    let active: &'static str = USABLE_STATUSES[1];
    let scheduled: &'static str = USABLE_STATUSES[2];
    exists(
        tenant_tokens::table
            .inner_join(tenants::table.on(tenants::id.eq(tenant_tokens::tenant_id)))
            .inner_join(
                connections::table.on(connections::tenant_id
                    .eq(tenant_tokens::tenant_id)
                    .and(connections::id.eq(tenant_tokens::connection_id))),
            )
            .filter(tenant_tokens::token_hash.eq(token_hash))
            .filter(tenant_tokens::tenant_id.eq(tenant_id))
            .filter(tenant_tokens::revoked_at.is_null())
            .filter(connections::active.eq(true))
            .filter(
                tenants::status
                    .eq(provisioning)
                    .or(tenants::status.eq(active))
                    .or(tenants::status.eq(scheduled)),
            ),
    )
}

/// [`TenantStatus::USABLE`] as stored.
const USABLE_STATUSES: [&str; 3] = [
    TenantStatus::USABLE[0].as_str(),
    TenantStatus::USABLE[1].as_str(),
    TenantStatus::USABLE[2].as_str(),
];

impl CredentialCheck {
    /// The hash of the token a read must require live, if any.
    pub(crate) fn owed_token(&self) -> Option<&str> {
        match self {
            CredentialCheck::Owed { token_hash } => Some(token_hash),
            CredentialCheck::Done => None,
        }
    }

    /// The page of the tenant's rows that `rows` reads (up to `limit + 1`, requiring the
    /// token it is given live), or `None` when the credential no longer authenticates.
    pub(crate) fn page<T>(
        &self,
        conn: &mut DbConnection,
        tenant_id: Uuid,
        limit: i64,
        rows: impl FnOnce(&mut DbConnection, Option<&str>, &str) -> Result<Vec<T>>,
    ) -> Result<Option<crate::Page<T>>> {
        let tenant_id = tenant_id.to_string();
        let rows = rows(conn, self.owed_token(), &tenant_id)?;
        if !self.settle(conn, &tenant_id, !rows.is_empty())? {
            return Ok(None);
        }
        Ok(Some(crate::Page::from_overfetch(rows, limit)))
    }

    /// Whether the credential is live, after a read of the tenant that required it
    /// ([`live`]) when owed: rows found prove it; an empty read (the end of a feed, or a
    /// refused credential) asks once more.
    pub(crate) fn settle(
        &self,
        conn: &mut DbConnection,
        tenant_id: &str,
        found_rows: bool,
    ) -> Result<bool> {
        match self {
            CredentialCheck::Done => Ok(true),
            CredentialCheck::Owed { .. } if found_rows => Ok(true),
            CredentialCheck::Owed { token_hash } => {
                Ok(diesel::select(live(tenant_id, token_hash)).get_result(conn)?)
            }
        }
    }

    /// Checks the credential on its own (before a read elsewhere, such as on a replica,
    /// which may not have seen a revocation yet): whether it is live.
    pub fn verify(&self, conn: &mut DbConnection, tenant_id: Uuid) -> Result<bool> {
        self.settle(conn, &tenant_id.to_string(), false)
    }
}

/// Revokes every token of a connection; returns how many were active.
pub fn revoke_for_connection(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    connection_id: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    Ok(diesel::update(tenant_tokens::table)
        .filter(tenant_tokens::tenant_id.eq(tenant_id.to_string()))
        .filter(tenant_tokens::connection_id.eq(connection_id))
        .filter(tenant_tokens::revoked_at.is_null())
        .set(tenant_tokens::revoked_at.eq(to_db_time(now)))
        .execute(conn)?)
}

/// The hints (last characters) of the tenant's unrevoked tokens, by connection id, so a
/// person can tell which connection has a token without seeing one.
pub fn active_hints(conn: &mut DbConnection, tenant_id: Uuid) -> Result<Vec<(String, String)>> {
    Ok(tenant_tokens::table
        .filter(tenant_tokens::tenant_id.eq(tenant_id.to_string()))
        .filter(tenant_tokens::revoked_at.is_null())
        .order(tenant_tokens::created_at.asc())
        .select((tenant_tokens::connection_id, tenant_tokens::hint))
        .load(conn)?)
}
