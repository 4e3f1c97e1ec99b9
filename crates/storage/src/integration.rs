//! Partner integrations (a reseller's, per environment) and the links that attach them to
//! tenants. A link's uid is stored only as its hash.

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::schema::{integration_links, integrations, resellers};
use crate::{DbConnection, Owner, Page, Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::integration::{Integration, Link, Visibility};
use tenantry_domain::permission::Permission;
use tenantry_domain::Environment;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = integrations)]
struct IntegrationRow {
    id: String,
    reseller_id: String,
    environment: String,
    name: String,
    description: String,
    redirect_url: String,
    connection_type: String,
    permissions: String,
    visibility: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

pub(crate) fn permissions_to_json(permissions: &[Permission]) -> String {
    to_json(&permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>())
}

pub(crate) fn permissions_from_json(text: &str) -> Result<Vec<Permission>> {
    from_json::<Vec<String>>(text)?
        .iter()
        .map(|name| {
            Permission::parse(name)
                .ok_or_else(|| StorageError::Corrupt(format!("permission `{name}`")))
        })
        .collect()
}

impl IntegrationRow {
    fn from_domain(i: &Integration) -> Self {
        IntegrationRow {
            id: i.id.to_string(),
            reseller_id: i.reseller_id.to_string(),
            environment: i.environment.as_str().to_owned(),
            name: i.name.clone(),
            description: i.description.clone(),
            redirect_url: i.redirect_url.clone(),
            connection_type: i.connection_type.clone(),
            permissions: permissions_to_json(&i.permissions),
            visibility: i.visibility.as_str().to_owned(),
            created_at: to_db_time(i.created_at),
            updated_at: to_db_time(i.updated_at),
        }
    }

    fn into_domain(self) -> Result<Integration> {
        Ok(Integration {
            id: uuid(&self.id)?,
            reseller_id: uuid(&self.reseller_id)?,
            environment: parse(&self.environment)?,
            name: self.name,
            description: self.description,
            redirect_url: self.redirect_url,
            connection_type: self.connection_type,
            permissions: permissions_from_json(&self.permissions)?,
            visibility: parse(&self.visibility)?,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        })
    }
}

pub fn insert(conn: &mut DbConnection, integration: &Integration) -> Result<()> {
    diesel::insert_into(integrations::table)
        .values(IntegrationRow::from_domain(integration))
        .execute(conn)?;
    Ok(())
}

/// The owner's integration `id`; another partner's or environment's is not found.
pub fn find(conn: &mut DbConnection, owner: &Owner, id: Uuid) -> Result<Integration> {
    integrations::table
        .filter(integrations::id.eq(id.to_string()))
        .filter(integrations::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(integrations::environment.eq(owner.environment.as_str()))
        .select(IntegrationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("integration"))?
        .into_domain()
}

/// Where a page of integrations starts: after this (createdAt, id).
pub type IntegrationCursor = (DateTime<Utc>, Uuid);

/// A page of the owner's integrations, oldest first.
pub fn list(
    conn: &mut DbConnection,
    owner: &Owner,
    after: Option<IntegrationCursor>,
    limit: i64,
) -> Result<Page<Integration>> {
    let mut query = integrations::table
        .filter(integrations::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(integrations::environment.eq(owner.environment.as_str()))
        .into_boxed();
    if let Some((created_at, id)) = after {
        let created_at = to_db_time(created_at);
        query = query.filter(
            integrations::created_at
                .gt(created_at)
                .or(integrations::created_at
                    .eq(created_at)
                    .and(integrations::id.gt(id.to_string()))),
        );
    }
    let rows = query
        .order((integrations::created_at.asc(), integrations::id.asc()))
        .limit(limit + 1)
        .select(IntegrationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(IntegrationRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}

/// The integrations a tenant of `reseller_id` in `environment` may connect, by name, each with
/// its partner's name: its reseller's own, and every `all` one of a partner the operator lets
/// publish.
pub fn offered_to(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    environment: Environment,
) -> Result<Vec<(Integration, String)>> {
    let own = integrations::reseller_id.eq(reseller_id.to_string());
    let public = integrations::visibility
        .eq(Visibility::All.as_str())
        .and(resellers::public_integrations.eq(true));
    integrations::table
        .inner_join(resellers::table.on(resellers::id.eq(integrations::reseller_id)))
        .filter(integrations::environment.eq(environment.as_str()))
        .filter(own.or(public))
        .order((integrations::name.asc(), integrations::id.asc()))
        .select((IntegrationRow::as_select(), resellers::name))
        .load::<(IntegrationRow, String)>(conn)?
        .into_iter()
        .map(|(row, partner)| Ok((row.into_domain()?, partner)))
        .collect()
}

/// The integration `id` of any partner, with the name of the partner offering it.
pub fn find_any(conn: &mut DbConnection, id: Uuid) -> Result<(Integration, String)> {
    let (row, partner) = integrations::table
        .inner_join(resellers::table.on(resellers::id.eq(integrations::reseller_id)))
        .filter(integrations::id.eq(id.to_string()))
        .select((IntegrationRow::as_select(), resellers::name))
        .first::<(IntegrationRow, String)>(conn)
        .optional()?
        .ok_or(StorageError::NotFound("integration"))?;
    Ok((row.into_domain()?, partner))
}

pub fn update(conn: &mut DbConnection, integration: &Integration) -> Result<()> {
    let row = IntegrationRow::from_domain(integration);
    diesel::update(integrations::table.find(&row.id))
        .set((
            integrations::name.eq(&row.name),
            integrations::description.eq(&row.description),
            integrations::redirect_url.eq(&row.redirect_url),
            integrations::connection_type.eq(&row.connection_type),
            integrations::permissions.eq(&row.permissions),
            integrations::visibility.eq(&row.visibility),
            integrations::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the integration and, with it, its links (their connections stay the tenants').
pub fn delete(conn: &mut DbConnection, id: Uuid) -> Result<()> {
    diesel::delete(integrations::table.find(id.to_string())).execute(conn)?;
    Ok(())
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = integration_links)]
struct LinkRow {
    tenant_id: String,
    id: String,
    integration_id: String,
    user_id: String,
    email: String,
    uid_hash: String,
    permissions: String,
    connection_id: Option<String>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    linked_at: Option<NaiveDateTime>,
    unlinked_at: Option<NaiveDateTime>,
}

impl LinkRow {
    fn into_domain(self) -> Result<Link> {
        Ok(Link {
            tenant_id: uuid(&self.tenant_id)?,
            id: uuid(&self.id)?,
            integration_id: uuid(&self.integration_id)?,
            user_id: uuid(&self.user_id)?,
            email: self.email,
            permissions: permissions_from_json(&self.permissions)?,
            created_at: from_db_time(self.created_at),
            expires_at: from_db_time(self.expires_at),
            linked_at: self.linked_at.map(from_db_time),
            unlinked_at: self.unlinked_at.map(from_db_time),
            connection_id: self.connection_id,
        })
    }
}

/// Stores a new link by the hash of its uid.
pub fn insert_link(conn: &mut DbConnection, link: &Link, uid_hash: &str) -> Result<()> {
    let row = LinkRow {
        tenant_id: link.tenant_id.to_string(),
        id: link.id.to_string(),
        integration_id: link.integration_id.to_string(),
        user_id: link.user_id.to_string(),
        email: link.email.clone(),
        uid_hash: uid_hash.to_owned(),
        permissions: permissions_to_json(&link.permissions),
        connection_id: None,
        created_at: to_db_time(link.created_at),
        expires_at: to_db_time(link.expires_at),
        linked_at: None,
        unlinked_at: None,
    };
    diesel::insert_into(integration_links::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The link whose uid hashes to `uid_hash`, whatever its state or tenant.
pub fn find_link_by_uid(conn: &mut DbConnection, uid_hash: &str) -> Result<Option<Link>> {
    integration_links::table
        .filter(integration_links::uid_hash.eq(uid_hash))
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?
        .map(LinkRow::into_domain)
        .transpose()
}

/// The tenant's link `id`.
pub fn find_link(conn: &mut DbConnection, tenant_id: Uuid, id: Uuid) -> Result<Link> {
    integration_links::table
        .filter(integration_links::tenant_id.eq(tenant_id.to_string()))
        .filter(integration_links::id.eq(id.to_string()))
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("link"))?
        .into_domain()
}

/// The tenant's links, newest first (at most 200: a tenant consents a handful of times).
pub fn links_of(conn: &mut DbConnection, tenant_id: Uuid) -> Result<Vec<Link>> {
    integration_links::table
        .filter(integration_links::tenant_id.eq(tenant_id.to_string()))
        .order((
            integration_links::created_at.desc(),
            integration_links::id.desc(),
        ))
        .limit(200)
        .select(LinkRow::as_select())
        .load(conn)?
        .into_iter()
        .map(LinkRow::into_domain)
        .collect()
}

/// The links to `integration_id` that are linked now, of one tenant (one, but for a claim
/// still being checked in this transaction) or, with `tenant_id` `None`, of every tenant.
pub fn active_links(
    conn: &mut DbConnection,
    integration_id: Uuid,
    tenant_id: Option<Uuid>,
) -> Result<Vec<Link>> {
    let mut query = integration_links::table
        .filter(integration_links::integration_id.eq(integration_id.to_string()))
        .filter(integration_links::linked_at.is_not_null())
        .filter(integration_links::unlinked_at.is_null())
        .into_boxed();
    if let Some(tenant_id) = tenant_id {
        query = query.filter(integration_links::tenant_id.eq(tenant_id.to_string()));
    }
    query
        .select(LinkRow::as_select())
        .load(conn)?
        .into_iter()
        .map(LinkRow::into_domain)
        .collect()
}

/// The linked link that added the tenant's connection `connection_id`, if one did.
pub fn link_of_connection(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    connection_id: &str,
) -> Result<Option<Link>> {
    integration_links::table
        .filter(integration_links::tenant_id.eq(tenant_id.to_string()))
        .filter(integration_links::connection_id.eq(connection_id))
        .filter(integration_links::unlinked_at.is_null())
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?
        .map(LinkRow::into_domain)
        .transpose()
}

/// Marks the pending link used at `now`, if it still is pending then. False when another
/// request used it first or it expired: the conditional update makes the use single even
/// when two posts race (on PostgreSQL the second waits for the first's commit, then finds the
/// link used).
pub fn claim_link(conn: &mut DbConnection, link: &Link, now: DateTime<Utc>) -> Result<bool> {
    let updated = diesel::update(integration_links::table)
        .filter(integration_links::tenant_id.eq(link.tenant_id.to_string()))
        .filter(integration_links::id.eq(link.id.to_string()))
        .filter(integration_links::linked_at.is_null())
        .filter(integration_links::unlinked_at.is_null())
        .filter(integration_links::expires_at.gt(to_db_time(now)))
        .set(integration_links::linked_at.eq(to_db_time(now)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Records the connection a claimed link added.
pub fn attach_connection(conn: &mut DbConnection, link: &Link, connection_id: &str) -> Result<()> {
    diesel::update(integration_links::table)
        .filter(integration_links::tenant_id.eq(link.tenant_id.to_string()))
        .filter(integration_links::id.eq(link.id.to_string()))
        .set(integration_links::connection_id.eq(connection_id))
        .execute(conn)?;
    Ok(())
}

/// Marks the link unlinked; false when it was not linked (any more).
pub fn mark_unlinked(conn: &mut DbConnection, link: &Link, now: DateTime<Utc>) -> Result<bool> {
    let updated = diesel::update(integration_links::table)
        .filter(integration_links::tenant_id.eq(link.tenant_id.to_string()))
        .filter(integration_links::id.eq(link.id.to_string()))
        .filter(integration_links::linked_at.is_not_null())
        .filter(integration_links::unlinked_at.is_null())
        .set(integration_links::unlinked_at.eq(to_db_time(now)))
        .execute(conn)?;
    Ok(updated == 1)
}
