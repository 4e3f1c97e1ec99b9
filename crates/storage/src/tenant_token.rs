//! Company-scoped tenant tokens (Calipsa), each tied to an API connection.

use crate::convert::to_db_time;
use crate::schema::tenant_tokens;
use crate::{DbConnection, Result};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
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

/// The (tenant id, connection id) of the unrevoked token whose secret hashes to `token_hash`.
pub fn find_active(conn: &mut DbConnection, token_hash: &str) -> Result<Option<(Uuid, String)>> {
    let row = tenant_tokens::table
        .filter(tenant_tokens::token_hash.eq(token_hash))
        .filter(tenant_tokens::revoked_at.is_null())
        .select((tenant_tokens::tenant_id, tenant_tokens::connection_id))
        .first::<(String, String)>(conn)
        .optional()?;
    row.map(|(t, c)| Ok((crate::convert::uuid(&t)?, c)))
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
