//! Tenants, always looked up within an [`Owner`].

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::schema::{
    code_name_counters, connections, login_tokens, sessions, tenant_users, tenants,
};
use crate::{DbConnection, Owner, Page, Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::tenant::{Subscription, Tenant, TenantStatus};
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tenants)]
pub(crate) struct TenantRow {
    id: String,
    reseller_id: String,
    code_name: String,
    customer_reference: String,
    environment: String,
    status: String,
    full_name: String,
    email: String,
    default_language: String,
    languages: String,
    options: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    tier: Option<String>,
    contract_length: Option<i64>,
    website: Option<String>,
    template: Option<String>,
    external_id: Option<String>,
    cancellation_effective_at: Option<NaiveDateTime>,
}

impl TenantRow {
    fn from_domain(t: &Tenant) -> Self {
        TenantRow {
            id: t.id.to_string(),
            reseller_id: t.reseller_id.to_string(),
            code_name: t.code_name.clone(),
            customer_reference: t.customer_reference.clone(),
            environment: t.environment.to_string(),
            status: t.status.to_string(),
            full_name: t.full_name.clone(),
            email: t.email.clone(),
            default_language: t.default_language.clone(),
            languages: to_json(&t.languages),
            options: to_json(&t.options),
            created_at: to_db_time(t.created_at),
            updated_at: to_db_time(t.updated_at),
            tier: t.subscription.tier.clone(),
            contract_length: t.subscription.contract_length,
            website: t.subscription.website.clone(),
            template: t.subscription.template.clone(),
            external_id: t.subscription.external_id.clone(),
            cancellation_effective_at: t.cancellation_effective_at.map(to_db_time),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Tenant> {
        Ok(Tenant {
            id: uuid(&self.id)?,
            reseller_id: uuid(&self.reseller_id)?,
            code_name: self.code_name,
            customer_reference: self.customer_reference,
            environment: parse(&self.environment)?,
            status: parse(&self.status)?,
            full_name: self.full_name,
            email: self.email,
            default_language: self.default_language,
            languages: from_json(&self.languages)?,
            options: from_json(&self.options)?,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
            subscription: Subscription {
                tier: self.tier,
                contract_length: self.contract_length,
                website: self.website,
                template: self.template,
                external_id: self.external_id,
            },
            cancellation_effective_at: self.cancellation_effective_at.map(from_db_time),
        })
    }
}

/// Hands out the next number for a codeName base, atomically: each number goes to one tenant
/// only, even across processes, and is never handed out again.
pub fn next_code_name_number(conn: &mut DbConnection, base: &str) -> Result<i64> {
    Ok(crate::database::increment_counter!(
        conn,
        code_name_counters,
        base,
        base,
        last_number
    )?)
}

/// Stores a new tenant; a taken codeName or customerReference is [`StorageError::Duplicate`].
pub fn insert(conn: &mut DbConnection, tenant: &Tenant) -> Result<()> {
    diesel::insert_into(tenants::table)
        .values(TenantRow::from_domain(tenant))
        .execute(conn)?;
    Ok(())
}

/// Saves every field of `tenant` but its id, reseller and environment.
pub fn update(conn: &mut DbConnection, tenant: &Tenant) -> Result<()> {
    let row = TenantRow::from_domain(tenant);
    diesel::update(tenants::table.filter(tenants::id.eq(&row.id)))
        .set((
            tenants::customer_reference.eq(&row.customer_reference),
            tenants::status.eq(&row.status),
            tenants::full_name.eq(&row.full_name),
            tenants::email.eq(&row.email),
            tenants::default_language.eq(&row.default_language),
            tenants::languages.eq(&row.languages),
            tenants::options.eq(&row.options),
            tenants::updated_at.eq(row.updated_at),
            tenants::tier.eq(&row.tier),
            tenants::contract_length.eq(row.contract_length),
            tenants::website.eq(&row.website),
            tenants::template.eq(&row.template),
            tenants::external_id.eq(&row.external_id),
            tenants::cancellation_effective_at.eq(row.cancellation_effective_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the tenant and, through the foreign keys' cascades, all of its data.
pub fn delete(conn: &mut DbConnection, tenant_id: Uuid) -> Result<()> {
    diesel::delete(tenants::table.filter(tenants::id.eq(tenant_id.to_string()))).execute(conn)?;
    Ok(())
}

fn scoped(
    owner: &Owner,
) -> tenants::BoxedQuery<'static, <DbConnection as diesel::Connection>::Backend> {
    tenants::table
        .filter(tenants::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(tenants::environment.eq(owner.environment.to_string()))
        .into_boxed()
}

/// The owner's tenant with this codeName; another reseller's or environment's is not found.
pub fn find_by_code_name(
    conn: &mut DbConnection,
    owner: &Owner,
    code_name: &str,
) -> Result<Tenant> {
    scoped(owner)
        .filter(tenants::code_name.eq(code_name.to_owned()))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("tenant"))?
        .into_domain()
}

/// The owner's tenant with this id (Calipsa's `X-Tenant-ID`).
pub fn find_by_id(conn: &mut DbConnection, owner: &Owner, id: Uuid) -> Result<Tenant> {
    scoped(owner)
        .filter(tenants::id.eq(id.to_string()))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("tenant"))?
        .into_domain()
}

/// The owner's tenant with this customerReference, if any.
pub fn find_by_reference(
    conn: &mut DbConnection,
    owner: &Owner,
    reference: &str,
) -> Result<Option<Tenant>> {
    scoped(owner)
        .filter(tenants::customer_reference.eq(reference.to_owned()))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?
        .map(TenantRow::into_domain)
        .transpose()
}

/// Filters of the tenant list.
#[derive(Debug, Clone, Default)]
pub struct TenantFilter {
    pub active: Option<bool>,
    pub customer_reference: Option<String>,
}

/// Where a page of tenants starts: after this (createdAt, id).
pub type TenantCursor = (DateTime<Utc>, Uuid);

/// A page of the owner's tenants in creation order.
pub fn list(
    conn: &mut DbConnection,
    owner: &Owner,
    filter: &TenantFilter,
    after: Option<TenantCursor>,
    limit: i64,
) -> Result<Page<Tenant>> {
    let mut query = scoped(owner);
    if let Some(active) = filter.active {
        let statuses = TenantStatus::matching_active(active);
        query = query.filter(tenants::status.eq_any(statuses.into_iter().map(|s| s.as_str())));
    }
    if let Some(reference) = &filter.customer_reference {
        query = query.filter(tenants::customer_reference.eq(reference.clone()));
    }
    if let Some((created_at, id)) = after {
        let created_at = to_db_time(created_at);
        query = query.filter(
            tenants::created_at.gt(created_at).or(tenants::created_at
                .eq(created_at)
                .and(tenants::id.gt(id.to_string()))),
        );
    }
    let rows = query
        .order((tenants::created_at.asc(), tenants::id.asc()))
        .limit(limit + 1)
        .select(TenantRow::as_select())
        .load(conn)?
        .into_iter()
        .map(TenantRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}

/// How many rows the tenant owns across its tables (users, connections, login tokens,
/// sessions, tokens, orders, products): what a delete must leave at zero.
pub fn owned_row_count(conn: &mut DbConnection, tenant_id: Uuid) -> Result<i64> {
    let id = tenant_id.to_string();
    let users: i64 = tenant_users::table
        .filter(tenant_users::tenant_id.eq(&id))
        .count()
        .get_result(conn)?;
    let conns: i64 = connections::table
        .filter(connections::tenant_id.eq(&id))
        .count()
        .get_result(conn)?;
    let tokens: i64 = login_tokens::table
        .filter(login_tokens::tenant_id.eq(&id))
        .count()
        .get_result(conn)?;
    let sess: i64 = sessions::table
        .filter(sessions::tenant_id.eq(&id))
        .count()
        .get_result(conn)?;
    use crate::schema::{orders, products, tenant_tokens};
    let tenant_tokens: i64 = tenant_tokens::table
        .filter(tenant_tokens::tenant_id.eq(&id))
        .count()
        .get_result(conn)?;
    let orders: i64 = orders::table
        .filter(orders::tenant_id.eq(&id))
        .count()
        .get_result(conn)?;
    let products: i64 = products::table
        .filter(products::tenant_id.eq(&id))
        .count()
        .get_result(conn)?;
    Ok(users + conns + tokens + sess + tenant_tokens + orders + products)
}

/// The tenant with this id, whoever its reseller: for background jobs, which carry the id.
pub fn find_unscoped(conn: &mut DbConnection, id: Uuid) -> Result<Option<Tenant>> {
    tenants::table
        .filter(tenants::id.eq(id.to_string()))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?
        .map(TenantRow::into_domain)
        .transpose()
}

/// The tenant with this codeName, whoever its reseller: for the Tenant API's `X-Tenant`, where
/// the connection and user checked next decide access.
pub fn find_by_code_name_unscoped(conn: &mut DbConnection, code_name: &str) -> Result<Tenant> {
    tenants::table
        .filter(tenants::code_name.eq(code_name))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("tenant"))?
        .into_domain()
}

/// The tenant's next change sequence value. Call it inside the writing transaction: the
/// counter's row stays locked until commit, so for one tenant sequence order is commit order.
pub fn next_sequence(conn: &mut DbConnection, tenant_id: Uuid) -> Result<i64> {
    use crate::schema::tenant_sequences;
    Ok(crate::database::increment_counter!(
        conn,
        tenant_sequences,
        tenant_id,
        tenant_id.to_string(),
        last_value
    )?)
}

/// Reserves `count` consecutive change-sequence values for a bulk write; returns the last.
pub fn reserve_sequences(conn: &mut DbConnection, tenant_id: Uuid, count: i64) -> Result<i64> {
    use crate::schema::tenant_sequences;
    Ok(crate::database::increment_counter!(
        conn,
        tenant_sequences,
        tenant_id,
        tenant_id.to_string(),
        last_value,
        count
    )?)
}

/// Every tenant of a reseller, in both environments, whose options include `option`.
pub fn with_option(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    option: &str,
) -> Result<Vec<Tenant>> {
    // `options` is a JSON array of strings: narrow with LIKE, then decide on the decoded list.
    let pattern = format!(
        "%{}%",
        to_json(&option).replace('%', "\\%").replace('_', "\\_")
    );
    tenants::table
        .filter(tenants::reseller_id.eq(reseller_id.to_string()))
        .filter(tenants::options.like(pattern).escape('\\'))
        .select(TenantRow::as_select())
        .load(conn)?
        .into_iter()
        .map(TenantRow::into_domain)
        .filter(|t| {
            t.as_ref()
                .map_or(true, |t| t.options.iter().any(|o| o == option))
        })
        .collect()
}
