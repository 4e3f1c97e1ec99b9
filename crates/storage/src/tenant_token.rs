//! Company-scoped tenant tokens (Calipsa), each tied to an API connection.

use crate::connection::ConnectionRow;
use crate::convert::to_db_time;
use crate::schema::{connections, tenant_tokens, tenants};
use crate::tenant::TenantRow;
use crate::{DbConnection, Result};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::connection::Connection;
use tenantry_domain::tenant::Tenant;
use uuid::Uuid;

/// Stores a token by its hash for a connection of the tenant.
pub fn insert(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    connection_id: &str,
    token_hash: &str,
    hint: &str,
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
        ))
        .execute(conn)?;
    Ok(id)
}

/// The tenant and connection of the unrevoked token whose secret hashes to `token_hash`, in one
/// query: this runs on every token-authenticated request.
pub fn find_active(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<(Tenant, Connection)>> {
    let row = tenant_tokens::table
        .inner_join(tenants::table.on(tenants::id.eq(tenant_tokens::tenant_id)))
        .inner_join(
            connections::table.on(connections::tenant_id
                .eq(tenant_tokens::tenant_id)
                .and(connections::id.eq(tenant_tokens::connection_id))),
        )
        .filter(tenant_tokens::token_hash.eq(token_hash))
        .filter(tenant_tokens::revoked_at.is_null())
        .select((TenantRow::as_select(), ConnectionRow::as_select()))
        .first::<(TenantRow, ConnectionRow)>(conn)
        .optional()?;
    row.map(|(t, c)| Ok((t.into_domain()?, c.into_domain()?)))
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
