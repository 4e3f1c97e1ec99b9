//! Resellers, reseller users and reseller API keys.

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::schema::{reseller_keys, reseller_portals, reseller_users, resellers};
use crate::{DbConnection, Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::reseller::{PortalSettings, Reseller, ResellerKey, ResellerUser};
use tenantry_domain::scope::Scope;
use tenantry_domain::Environment;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = resellers)]
struct ResellerRow {
    id: String,
    code: String,
    name: String,
    code_name_prefix: String,
    capabilities: String,
    rate_limit_per_minute: i64,
    created_at: NaiveDateTime,
    public_integrations: bool,
}

impl ResellerRow {
    fn from_domain(r: &Reseller) -> Self {
        ResellerRow {
            id: r.id.to_string(),
            code: r.code.clone(),
            name: r.name.clone(),
            code_name_prefix: r.code_name_prefix.clone(),
            capabilities: to_json(&r.capabilities),
            rate_limit_per_minute: r.rate_limit_per_minute,
            created_at: to_db_time(r.created_at),
            public_integrations: r.public_integrations,
        }
    }

    fn into_domain(self) -> Result<Reseller> {
        Ok(Reseller {
            id: uuid(&self.id)?,
            code: self.code,
            name: self.name,
            code_name_prefix: self.code_name_prefix,
            capabilities: from_json(&self.capabilities)?,
            rate_limit_per_minute: self.rate_limit_per_minute,
            public_integrations: self.public_integrations,
            created_at: from_db_time(self.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = reseller_users)]
struct UserRow {
    id: String,
    reseller_id: String,
    login: String,
    password_hash: String,
    environment: String,
    created_at: NaiveDateTime,
}

impl UserRow {
    fn into_domain(self) -> Result<ResellerUser> {
        Ok(ResellerUser {
            id: uuid(&self.id)?,
            reseller_id: uuid(&self.reseller_id)?,
            login: self.login,
            password_hash: self.password_hash,
            environment: parse(&self.environment)?,
            created_at: from_db_time(self.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = reseller_keys)]
struct KeyRow {
    id: String,
    reseller_id: String,
    name: String,
    token_hash: String,
    hint: String,
    environment: String,
    created_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    scopes: String,
    expires_at: Option<NaiveDateTime>,
}

impl KeyRow {
    fn into_domain(self) -> Result<ResellerKey> {
        let names: Vec<String> = from_json(&self.scopes)?;
        Ok(ResellerKey {
            // A scope this build does not know (written by a newer one) grants nothing here.
            scopes: names.iter().filter_map(|n| Scope::parse(n)).collect(),
            expires_at: self.expires_at.map(from_db_time),
            id: uuid(&self.id)?,
            reseller_id: uuid(&self.reseller_id)?,
            name: self.name,
            environment: parse(&self.environment)?,
            hint: self.hint,
            created_at: from_db_time(self.created_at),
            revoked_at: self.revoked_at.map(from_db_time),
        })
    }
}

/// Stores a new reseller; a taken code is [`StorageError::Duplicate`].
pub fn insert(conn: &mut DbConnection, reseller: &Reseller) -> Result<()> {
    diesel::insert_into(resellers::table)
        .values(ResellerRow::from_domain(reseller))
        .execute(conn)?;
    Ok(())
}

/// The reseller with this id.
pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Reseller> {
    resellers::table
        .find(id.to_string())
        .select(ResellerRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("reseller"))?
        .into_domain()
}

/// The reseller with this `X-Reseller` code.
pub fn find_by_code(conn: &mut DbConnection, code: &str) -> Result<Reseller> {
    resellers::table
        .filter(resellers::code.eq(code))
        .select(ResellerRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("reseller"))?
        .into_domain()
}

/// Every reseller, by code.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Reseller>> {
    resellers::table
        .order(resellers::code.asc())
        .select(ResellerRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ResellerRow::into_domain)
        .collect()
}

/// How many resellers exist (first-run bootstrap creates one when there are none).
pub fn count(conn: &mut DbConnection) -> Result<i64> {
    Ok(resellers::table.count().get_result(conn)?)
}

/// Stores a reseller user; a taken login within the reseller is [`StorageError::Duplicate`].
pub fn insert_user(conn: &mut DbConnection, user: &ResellerUser) -> Result<()> {
    let row = UserRow {
        id: user.id.to_string(),
        reseller_id: user.reseller_id.to_string(),
        login: user.login.clone(),
        password_hash: user.password_hash.clone(),
        environment: user.environment.to_string(),
        created_at: to_db_time(user.created_at),
    };
    diesel::insert_into(reseller_users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The user `login` of the reseller `code`, with the reseller: what Basic + `X-Reseller`
/// authentication needs, in one query.
pub fn find_user(
    conn: &mut DbConnection,
    code: &str,
    login: &str,
) -> Result<Option<(ResellerUser, Reseller)>> {
    let row = reseller_users::table
        .inner_join(resellers::table.on(resellers::id.eq(reseller_users::reseller_id)))
        .filter(resellers::code.eq(code))
        .filter(reseller_users::login.eq(login))
        .select((UserRow::as_select(), ResellerRow::as_select()))
        .first::<(UserRow, ResellerRow)>(conn)
        .optional()?;
    row.map(|(u, r)| Ok((u.into_domain()?, r.into_domain()?)))
        .transpose()
}

/// Stores a key by the hash of its token.
pub fn insert_key(conn: &mut DbConnection, key: &ResellerKey, token_hash: &str) -> Result<()> {
    let row = KeyRow {
        id: key.id.to_string(),
        reseller_id: key.reseller_id.to_string(),
        name: key.name.clone(),
        token_hash: token_hash.to_owned(),
        hint: key.hint.clone(),
        environment: key.environment.to_string(),
        created_at: to_db_time(key.created_at),
        revoked_at: key.revoked_at.map(to_db_time),
        scopes: to_json(&key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        expires_at: key.expires_at.map(to_db_time),
    };
    diesel::insert_into(reseller_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The key whose token hashes to `token_hash`, unrevoked and unexpired at `now`, with its
/// reseller.
pub fn find_active_key(
    conn: &mut DbConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(ResellerKey, Reseller)>> {
    let row = reseller_keys::table
        .inner_join(resellers::table.on(resellers::id.eq(reseller_keys::reseller_id)))
        .filter(reseller_keys::token_hash.eq(token_hash))
        .filter(reseller_keys::revoked_at.is_null())
        .filter(
            reseller_keys::expires_at
                .is_null()
                .or(reseller_keys::expires_at.gt(to_db_time(now))),
        )
        .select((KeyRow::as_select(), ResellerRow::as_select()))
        .first::<(KeyRow, ResellerRow)>(conn)
        .optional()?;
    row.map(|(k, r)| Ok((k.into_domain()?, r.into_domain()?)))
        .transpose()
}

/// A reseller key this process authenticated before, with what it authenticated as: a write
/// that acts on that memory instead of a lookup requires both unchanged as its transaction
/// begins ([`crate::Database::write_checked`]). The key must still be unrevoked and unexpired,
/// and its reseller's every field as remembered (its capabilities decide what a tenant may
/// be granted, its rate what it may send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCheck {
    pub token_hash: String,
    pub reseller: Reseller,
}

impl KeyCheck {
    /// Whether the check holds at `now`, by the lookup itself ([`find_active_key`]).
    pub(crate) fn holds(&self, conn: &mut DbConnection, now: DateTime<Utc>) -> Result<bool> {
        let found = find_active_key(conn, &self.token_hash, now)?;
        Ok(found.is_some_and(|(_, reseller)| reseller == self.reseller))
    }

    /// `BEGIN` and the check as one simple query for PostgreSQL: one round trip where a
    /// lookup before the transaction was one of its own. The check is a function
    /// (`tenantry_require_key`, migration 000019) that raises unless the key is live and its
    /// reseller as remembered, so a failed check is an error before the write's work runs
    /// ([`KeyCheck::failed`]); its conditions are [`find_active_key`]'s (a test holds the two
    /// to the same answers). A function's query is planned once per connection: sent as text
    /// with its literals instead, PostgreSQL planned it on every write, 0.5 ms more of its CPU
    /// per write than the lookup it replaced. A simple query takes no parameters, so the
    /// values are literals: the hash is hex digits and the times are formatted here; the
    /// reseller's texts are dollar-quoted with a tag they do not contain, which quotes
    /// anything whatever the server's settings.
    pub(crate) fn begin_sql(&self, now: DateTime<Utc>) -> String {
        let r = ResellerRow::from_domain(&self.reseller);
        let hash: String = self
            .token_hash
            .chars()
            .filter(char::is_ascii_hexdigit)
            .collect();
        format!(
            "BEGIN; SELECT tenantry_require_key('{hash}', '{now}', {id}, {code}, {name}, \
             {prefix}, {capabilities}, {rate}, {public}, '{created}')",
            now = to_db_time(now),
            id = quoted(&r.id),
            code = quoted(&r.code),
            name = quoted(&r.name),
            prefix = quoted(&r.code_name_prefix),
            capabilities = quoted(&r.capabilities),
            rate = r.rate_limit_per_minute,
            public = r.public_integrations,
            created = r.created_at,
        )
    }

    /// Whether `error`, from [`KeyCheck::begin_sql`], is the check failing.
    pub(crate) fn failed(error: &diesel::result::Error) -> bool {
        matches!(error, diesel::result::Error::DatabaseError(_, info)
            if info.message().contains(CHANGED))
    }
}

/// What `tenantry_require_key` raises when the check fails.
const CHANGED: &str = "tenantry: the reseller key changed since it was remembered";

/// `text` as a dollar-quoted PostgreSQL literal: its tag is the first that the text, followed
/// by the closing tag, holds only as that closing tag.
fn quoted(text: &str) -> String {
    (0..)
        .map(|n| format!("$q{n}$"))
        .find_map(|tag| {
            let closed = format!("{text}{tag}");
            (closed.find(tag.as_str()) == Some(text.len())).then(|| format!("{tag}{closed}"))
        })
        .expect("a text holds finitely many tags")
}

/// A reseller's keys, newest first (revoked ones included, marked).
pub fn list_keys(conn: &mut DbConnection, reseller_id: Uuid) -> Result<Vec<ResellerKey>> {
    reseller_keys::table
        .filter(reseller_keys::reseller_id.eq(reseller_id.to_string()))
        .order((reseller_keys::created_at.desc(), reseller_keys::id.desc()))
        .select(KeyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(KeyRow::into_domain)
        .collect()
}

/// Revokes a key of this reseller at `now`; revoking twice keeps the first time.
pub fn revoke_key(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let found = reseller_keys::table
        .filter(reseller_keys::reseller_id.eq(reseller_id.to_string()))
        .filter(reseller_keys::id.eq(key_id.to_string()))
        .count()
        .get_result::<i64>(conn)?;
    if found == 0 {
        return Err(StorageError::NotFound("key"));
    }
    diesel::update(reseller_keys::table)
        .filter(reseller_keys::id.eq(key_id.to_string()))
        .filter(reseller_keys::revoked_at.is_null())
        .set(reseller_keys::revoked_at.eq(to_db_time(now)))
        .execute(conn)?;
    Ok(())
}

/// Sets a reseller's request limit (per minute, per reseller on the Reseller API and per tenant
/// on the Tenant API).
pub fn set_rate_limit(conn: &mut DbConnection, reseller_id: Uuid, per_minute: i64) -> Result<()> {
    let updated = diesel::update(resellers::table.find(reseller_id.to_string()))
        .set(resellers::rate_limit_per_minute.eq(per_minute))
        .execute(conn)?;
    if updated == 0 {
        return Err(StorageError::NotFound("reseller"));
    }
    Ok(())
}

/// Lets the reseller offer integrations to every tenant on the server, or stops it doing so
/// from now on (what it already offers stays).
pub fn set_public_integrations(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    allowed: bool,
) -> Result<()> {
    let updated = diesel::update(resellers::table.find(reseller_id.to_string()))
        .set(resellers::public_integrations.eq(allowed))
        .execute(conn)?;
    if updated == 0 {
        return Err(StorageError::NotFound("reseller"));
    }
    Ok(())
}

/// A reseller's request limit per minute.
pub fn rate_limit(conn: &mut DbConnection, reseller_id: Uuid) -> Result<i64> {
    resellers::table
        .find(reseller_id.to_string())
        .select(resellers::rate_limit_per_minute)
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("reseller"))
}

/// Replaces the capabilities a reseller may grant its tenants.
pub fn set_capabilities(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    capabilities: &[String],
) -> Result<()> {
    let updated = diesel::update(resellers::table.find(reseller_id.to_string()))
        .set(resellers::capabilities.eq(to_json(&capabilities)))
        .execute(conn)?;
    if updated == 0 {
        return Err(StorageError::NotFound("reseller"));
    }
    Ok(())
}

/// A key of this reseller in `environment`, revoked or not.
pub fn find_key(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    environment: Environment,
    key_id: Uuid,
) -> Result<ResellerKey> {
    reseller_keys::table
        .filter(reseller_keys::reseller_id.eq(reseller_id.to_string()))
        .filter(reseller_keys::environment.eq(environment.to_string()))
        .filter(reseller_keys::id.eq(key_id.to_string()))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("key"))?
        .into_domain()
}

/// Sets when a key stops working (a rotation's overlap); an earlier end is kept.
pub fn expire_key(conn: &mut DbConnection, key_id: Uuid, at: DateTime<Utc>) -> Result<()> {
    diesel::update(reseller_keys::table.find(key_id.to_string()))
        .filter(
            reseller_keys::expires_at
                .is_null()
                .or(reseller_keys::expires_at.gt(to_db_time(at))),
        )
        .set(reseller_keys::expires_at.eq(Some(to_db_time(at))))
        .execute(conn)?;
    Ok(())
}

/// What the owner set for its tenants' portal (the defaults when it set nothing).
pub fn portal(conn: &mut DbConnection, owner: &crate::Owner) -> Result<PortalSettings> {
    let row = reseller_portals::table
        .filter(reseller_portals::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(reseller_portals::environment.eq(owner.environment.to_string()))
        .select((
            reseller_portals::return_url,
            reseller_portals::frame_ancestors,
        ))
        .first::<(Option<String>, String)>(conn)
        .optional()?;
    portal_of(row.map(|(url, ancestors)| (url, Some(ancestors))))
}

/// The settings a (possibly absent, as from a left join) row holds.
pub(crate) fn portal_of(row: Option<(Option<String>, Option<String>)>) -> Result<PortalSettings> {
    Ok(match row {
        Some((return_url, Some(ancestors))) => PortalSettings {
            return_url,
            frame_ancestors: from_json(&ancestors)?,
        },
        _ => PortalSettings::default(),
    })
}

/// Replaces the owner's portal settings.
pub fn set_portal(
    conn: &mut DbConnection,
    owner: &crate::Owner,
    settings: &PortalSettings,
    now: DateTime<Utc>,
) -> Result<()> {
    // Delete and insert in the caller's transaction, as for templates: a portable upsert.
    diesel::delete(
        reseller_portals::table
            .filter(reseller_portals::reseller_id.eq(owner.reseller_id.to_string()))
            .filter(reseller_portals::environment.eq(owner.environment.to_string())),
    )
    .execute(conn)?;
    diesel::insert_into(reseller_portals::table)
        .values((
            reseller_portals::reseller_id.eq(owner.reseller_id.to_string()),
            reseller_portals::environment.eq(owner.environment.to_string()),
            reseller_portals::return_url.eq(&settings.return_url),
            reseller_portals::frame_ancestors.eq(to_json(&settings.frame_ancestors)),
            reseller_portals::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}
