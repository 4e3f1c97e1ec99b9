//! Company-scoped tenant tokens (Calipsa), each tied to an API connection.

use crate::connection::ConnectionRow;
use crate::convert::to_db_time;
use crate::integration::{permissions_from_json, permissions_to_json};
use crate::schema::{connections, tenant_tokens, tenants};
use crate::tenant::TenantRow;
use crate::{DbConnection, Result};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::connection::Connection;
use tenantry_domain::permission::Permission;
use tenantry_domain::tenant::Tenant;
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
