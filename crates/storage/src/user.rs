//! Tenant users, always within one tenant.

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::schema::tenant_users;
use crate::{DbConnection, Page, Result, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_domain::permission::Role;
use tenantry_domain::user::TenantUser;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tenant_users)]
pub(crate) struct UserRow {
    tenant_id: String,
    id: String,
    login: String,
    full_name: String,
    email: String,
    role: String,
    permissions: String,
    default_language: String,
    password_hash: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl UserRow {
    fn from_domain(u: &TenantUser) -> Self {
        UserRow {
            tenant_id: u.tenant_id.to_string(),
            id: u.id.to_string(),
            login: u.login.clone(),
            full_name: u.full_name.clone(),
            email: u.email.clone(),
            role: u.role.to_string(),
            permissions: to_json(&u.permissions),
            default_language: u.default_language.clone(),
            password_hash: u.password_hash.clone(),
            created_at: to_db_time(u.created_at),
            updated_at: to_db_time(u.updated_at),
        }
    }

    pub(crate) fn into_domain(self) -> Result<TenantUser> {
        Ok(TenantUser {
            tenant_id: uuid(&self.tenant_id)?,
            id: uuid(&self.id)?,
            login: self.login,
            full_name: self.full_name,
            email: self.email,
            role: parse(&self.role)?,
            permissions: from_json(&self.permissions)?,
            default_language: self.default_language,
            password_hash: self.password_hash,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        })
    }
}

/// Stores a new user; a login taken within the tenant is [`StorageError::Duplicate`].
pub fn insert(conn: &mut DbConnection, user: &TenantUser) -> Result<()> {
    diesel::insert_into(tenant_users::table)
        .values(UserRow::from_domain(user))
        .execute(conn)?;
    Ok(())
}

/// The tenant's user with this id.
pub fn find(conn: &mut DbConnection, tenant_id: Uuid, id: Uuid) -> Result<TenantUser> {
    tenant_users::table
        .filter(tenant_users::tenant_id.eq(tenant_id.to_string()))
        .filter(tenant_users::id.eq(id.to_string()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("user"))?
        .into_domain()
}

/// The tenant's user with this login.
pub fn find_by_login(conn: &mut DbConnection, tenant_id: Uuid, login: &str) -> Result<TenantUser> {
    tenant_users::table
        .filter(tenant_users::tenant_id.eq(tenant_id.to_string()))
        .filter(tenant_users::login.eq(login))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("user"))?
        .into_domain()
}

/// A page of the tenant's users by login, after the login `after`.
pub fn list(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<TenantUser>> {
    let mut query = tenant_users::table
        .filter(tenant_users::tenant_id.eq(tenant_id.to_string()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tenant_users::login.gt(after.to_owned()));
    }
    let rows = query
        .order(tenant_users::login.asc())
        .limit(limit + 1)
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(UserRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}

/// Saves the user's changeable fields.
pub fn update(conn: &mut DbConnection, user: &TenantUser) -> Result<()> {
    let row = UserRow::from_domain(user);
    diesel::update(tenant_users::table)
        .filter(tenant_users::tenant_id.eq(&row.tenant_id))
        .filter(tenant_users::id.eq(&row.id))
        .set((
            tenant_users::full_name.eq(&row.full_name),
            tenant_users::email.eq(&row.email),
            tenant_users::role.eq(&row.role),
            tenant_users::permissions.eq(&row.permissions),
            tenant_users::default_language.eq(&row.default_language),
            tenant_users::password_hash.eq(&row.password_hash),
            tenant_users::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the user; its login URLs and sessions go with it.
pub fn delete(conn: &mut DbConnection, tenant_id: Uuid, user_id: Uuid) -> Result<()> {
    diesel::delete(tenant_users::table)
        .filter(tenant_users::tenant_id.eq(tenant_id.to_string()))
        .filter(tenant_users::id.eq(user_id.to_string()))
        .execute(conn)?;
    Ok(())
}

/// How many of the tenant's users have `role`.
pub fn count_with_role(conn: &mut DbConnection, tenant_id: Uuid, role: Role) -> Result<i64> {
    Ok(tenant_users::table
        .filter(tenant_users::tenant_id.eq(tenant_id.to_string()))
        .filter(tenant_users::role.eq(role.as_str()))
        .count()
        .get_result(conn)?)
}
