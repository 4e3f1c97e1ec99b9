//! API connections, always within one tenant.

use crate::convert::{from_db_time, from_json, to_db_time, to_json, uuid};
use crate::schema::connections;
use crate::{DbConnection, Page, Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::connection::Connection;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = connections)]
pub(crate) struct ConnectionRow {
    tenant_id: String,
    id: String,
    name: String,
    kind: String,
    active: bool,
    configuration: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl ConnectionRow {
    fn from_domain(c: &Connection) -> Self {
        ConnectionRow {
            tenant_id: c.tenant_id.to_string(),
            id: c.id.clone(),
            name: c.name.clone(),
            kind: c.kind.clone(),
            active: c.active,
            configuration: to_json(&c.configuration),
            created_at: to_db_time(c.created_at),
            updated_at: to_db_time(c.updated_at),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Connection> {
        Ok(Connection {
            tenant_id: uuid(&self.tenant_id)?,
            id: self.id,
            name: self.name,
            kind: self.kind,
            active: self.active,
            configuration: from_json(&self.configuration)?,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        })
    }
}

pub fn insert(conn: &mut DbConnection, connection: &Connection) -> Result<()> {
    diesel::insert_into(connections::table)
        .values(ConnectionRow::from_domain(connection))
        .execute(conn)?;
    Ok(())
}

/// The tenant's connection with this id.
pub fn find(conn: &mut DbConnection, tenant_id: Uuid, id: &str) -> Result<Connection> {
    connections::table
        .filter(connections::tenant_id.eq(tenant_id.to_string()))
        .filter(connections::id.eq(id))
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("connection"))?
        .into_domain()
}

/// Where a page of connections starts: after this (createdAt, id).
pub type ConnectionCursor = (DateTime<Utc>, String);

/// A page of the tenant's connections in creation order.
pub fn list(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    after: Option<ConnectionCursor>,
    limit: i64,
) -> Result<Page<Connection>> {
    let mut query = connections::table
        .filter(connections::tenant_id.eq(tenant_id.to_string()))
        .into_boxed();
    if let Some((created_at, id)) = after {
        let created_at = to_db_time(created_at);
        query = query.filter(
            connections::created_at
                .gt(created_at)
                .or(connections::created_at
                    .eq(created_at)
                    .and(connections::id.gt(id))),
        );
    }
    let rows = query
        .order((connections::created_at.asc(), connections::id.asc()))
        .limit(limit + 1)
        .select(ConnectionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ConnectionRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}

pub fn update(conn: &mut DbConnection, connection: &Connection) -> Result<()> {
    let row = ConnectionRow::from_domain(connection);
    diesel::update(connections::table)
        .filter(connections::tenant_id.eq(&row.tenant_id))
        .filter(connections::id.eq(&row.id))
        .set((
            connections::name.eq(&row.name),
            connections::active.eq(row.active),
            connections::configuration.eq(&row.configuration),
            connections::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, tenant_id: Uuid, id: &str) -> Result<()> {
    diesel::delete(connections::table)
        .filter(connections::tenant_id.eq(tenant_id.to_string()))
        .filter(connections::id.eq(id))
        .execute(conn)?;
    Ok(())
}

/// Deactivates every connection of the tenant (a cancellation); returns how many changed.
pub fn deactivate_all(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    Ok(diesel::update(
        connections::table
            .filter(connections::tenant_id.eq(tenant_id.to_string()))
            .filter(connections::active.eq(true)),
    )
    .set((
        connections::active.eq(false),
        connections::updated_at.eq(to_db_time(now)),
    ))
    .execute(conn)?)
}
