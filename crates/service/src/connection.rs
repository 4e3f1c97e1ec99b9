//! A tenant's API connections and their company tokens. A token arrives made (its hash and
//! hint): generating it is the caller's, which keeps the secret to show it once.

use crate::{emit, Actor, ServiceError, StoredSecret};
use chrono::{DateTime, Utc};
use tenantry_api_types::connection::ConnectionOut;
use tenantry_domain::connection::{self as domain, Connection, ConnectionDraft, ConnectionPatch};
use tenantry_domain::event::EventType;
use tenantry_domain::tenant::Tenant;
use tenantry_storage::{connection as connections, tenant_token, DbConnection};

/// Checks `draft` and creates a connection of `tenant` from it, appending `connection.created`
/// (which never carries a token). With `token`, an `api` connection gets it as its first
/// company token.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    draft: ConnectionDraft,
    token: Option<StoredSecret>,
    now: DateTime<Utc>,
) -> Result<Connection, ServiceError> {
    let draft = draft.check()?;
    let connection = Connection {
        tenant_id: tenant.id,
        id: domain::new_id(),
        name: draft.name,
        kind: draft.kind,
        active: draft.active,
        configuration: draft.configuration,
        created_at: now,
        updated_at: now,
    };
    connections::insert(conn, &connection)?;
    emit(
        conn,
        tenant,
        EventType::ConnectionCreated,
        &ConnectionOut::from(connection.clone()),
    )?;
    if let Some(token) = token {
        store_token(conn, tenant, &connection, token, now)?;
    }
    log::debug!(
        "{actor} created connection {} of tenant {}",
        connection.id,
        tenant.code_name
    );
    Ok(connection)
}

/// The connection `id` of `tenant`.
pub fn find(
    conn: &mut DbConnection,
    tenant: &Tenant,
    id: &str,
) -> Result<Connection, ServiceError> {
    Ok(connections::find(conn, tenant.id, id)?)
}

/// Changes the connection `id` as `patch` says (`active: false` ends its Tenant API access at
/// once) and appends `connection.updated`.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    patch: ConnectionPatch,
    now: DateTime<Utc>,
) -> Result<Connection, ServiceError> {
    let mut connection = find(conn, tenant, id)?;
    patch.apply(&mut connection, now)?;
    connections::update(conn, &connection)?;
    emit(
        conn,
        tenant,
        EventType::ConnectionUpdated,
        &ConnectionOut::from(connection.clone()),
    )?;
    log::debug!(
        "{actor} updated connection {id} of tenant {}",
        tenant.code_name
    );
    Ok(connection)
}

/// Deletes the connection `id` (its Tenant API access ends at once) and appends
/// `connection.deleted`.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<Connection, ServiceError> {
    let connection = find(conn, tenant, id)?;
    // A partner's connection deleted ends the link that added it.
    crate::integration::connection_removed(conn, actor, tenant, id, tenantry_domain::time::now())?;
    connections::delete(conn, tenant.id, id)?;
    emit(
        conn,
        tenant,
        EventType::ConnectionDeleted,
        &ConnectionOut::from(connection.clone()),
    )?;
    log::debug!(
        "{actor} deleted connection {id} of tenant {}",
        tenant.code_name
    );
    Ok(connection)
}

/// Adds a company token to the `api` connection `id`; the ones it has keep working. Another
/// type of connection is [`ServiceError::Conflict`] `connection_not_api`.
pub fn issue_token(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    token: StoredSecret,
    now: DateTime<Utc>,
) -> Result<Connection, ServiceError> {
    let connection = find(conn, tenant, id)?;
    store_token(conn, tenant, &connection, token, now)?;
    log::debug!(
        "{actor} issued a token for connection {id} of tenant {}",
        tenant.code_name
    );
    Ok(connection)
}

/// Revokes every company token of the connection `id`; they stop working at once.
pub fn revoke_tokens(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    find(conn, tenant, id)?;
    tenant_token::revoke_for_connection(conn, tenant.id, id, now)?;
    log::debug!(
        "{actor} revoked the tokens of connection {id} of tenant {}",
        tenant.code_name
    );
    Ok(())
}

/// Replaces the connection's company tokens with `token`: the old ones stop working at once,
/// the new one (its secret shown to the caller once) works from now.
pub fn rotate_token(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    token: StoredSecret,
    now: DateTime<Utc>,
) -> Result<Connection, ServiceError> {
    let connection = find(conn, tenant, id)?;
    let revoked = tenant_token::revoke_for_connection(conn, tenant.id, id, now)?;
    store_token(conn, tenant, &connection, token, now)?;
    log::debug!(
        "{actor} rotated the token of connection {id} of tenant {} ({revoked} revoked)",
        tenant.code_name
    );
    Ok(connection)
}

fn store_token(
    conn: &mut DbConnection,
    tenant: &Tenant,
    connection: &Connection,
    token: StoredSecret,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if connection.kind != domain::API_TYPE {
        return Err(ServiceError::Conflict {
            code: "connection_not_api",
            message: "only connections of type `api` have tenant tokens".into(),
        });
    }
    tenant_token::insert(
        conn,
        tenant.id,
        &connection.id,
        &token.hash,
        &token.hint,
        None,
        now,
    )?;
    Ok(())
}
