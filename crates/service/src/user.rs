//! A tenant's users: created (by the Reseller API, or by provisioning for `tenant.ready`'s
//! login URL), changed and deleted. Passwords arrive hashed: argon2 is the caller's to run
//! before its transaction, so the write lock is never held while hashing.

use crate::{emit, Actor, ServiceError};
use chrono::{DateTime, Utc};
use tenantry_api_types::user::UserOut;
use tenantry_domain::event::EventType;
use tenantry_domain::permission::Role;
use tenantry_domain::tenant::Tenant;
use tenantry_domain::user::{TenantUser, UserDraft, UserPatch};
use tenantry_storage::{user as users, DbConnection, StorageError};
use uuid::Uuid;

/// Creates a user of `tenant` from a checked draft and appends `user.created`. A taken login
/// is [`ServiceError::UserExists`].
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    draft: UserDraft,
    password_hash: Option<String>,
    now: DateTime<Utc>,
) -> Result<TenantUser, ServiceError> {
    let user = TenantUser {
        tenant_id: tenant.id,
        id: Uuid::new_v4(),
        login: draft.login,
        full_name: draft.full_name,
        email: draft.email,
        role: draft.role,
        permissions: draft.permissions,
        default_language: draft.default_language,
        password_hash,
        created_at: now,
        updated_at: now,
    };
    users::insert(conn, &user).map_err(|e| match e {
        StorageError::Duplicate(_) => ServiceError::UserExists {
            code_name: tenant.code_name.clone(),
            login: user.login.clone(),
        },
        other => other.into(),
    })?;
    emit(
        conn,
        tenant,
        EventType::UserCreated,
        &UserOut::from(user.clone()),
    )?;
    log::debug!(
        "{actor} created user {} of tenant {}",
        user.login,
        tenant.code_name
    );
    Ok(user)
}

/// Changes the user `login` of `tenant` as the checked `patch` says (`password_hash`: the
/// new password's hash, `Some(None)` to remove it) and appends `user.updated`.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    login: &str,
    patch: UserPatch,
    password_hash: Option<Option<String>>,
    now: DateTime<Utc>,
) -> Result<TenantUser, ServiceError> {
    let mut user = users::find_by_login(conn, tenant.id, login)?;
    keep_an_admin(conn, actor, tenant, &user, patch.role.or(Some(user.role)))?;
    patch.apply(&mut user, password_hash, now);
    users::update(conn, &user)?;
    emit(
        conn,
        tenant,
        EventType::UserUpdated,
        &UserOut::from(user.clone()),
    )?;
    log::debug!(
        "{actor} updated user {login} of tenant {}",
        tenant.code_name
    );
    Ok(user)
}

/// Deletes the user `login` of `tenant` (its login URLs and sessions stop working at once)
/// and appends `user.deleted`.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    login: &str,
) -> Result<TenantUser, ServiceError> {
    let user = users::find_by_login(conn, tenant.id, login)?;
    keep_an_admin(conn, actor, tenant, &user, None)?;
    users::delete(conn, tenant.id, user.id)?;
    emit(
        conn,
        tenant,
        EventType::UserDeleted,
        &UserOut::from(user.clone()),
    )?;
    log::debug!(
        "{actor} deleted user {login} of tenant {}",
        tenant.code_name
    );
    Ok(user)
}

/// A tenant's own people cannot leave it without an admin (nobody could then manage its
/// users): a tenant user may not remove or demote the last one. The reseller and the operator
/// may, since they can always create another and send a login URL.
fn keep_an_admin(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    user: &TenantUser,
    role_after: Option<Role>,
) -> Result<(), ServiceError> {
    let by_tenant_user = matches!(actor, Actor::TenantUser(_));
    if !by_tenant_user || user.role != Role::Admin || role_after == Some(Role::Admin) {
        return Ok(());
    }
    if users::count_with_role(conn, tenant.id, Role::Admin)? <= 1 {
        return Err(ServiceError::Conflict {
            code: "last_admin",
            message: format!(
                "{} is the last admin of {}: make another user an admin first",
                user.login, tenant.full_name
            ),
        });
    }
    Ok(())
}
