//! Ending portal sessions: signing out, the reseller ending a tenant's or a user's sessions,
//! and a session found ended by time. (Deleting a user or a tenant ends theirs by cascade.)

use crate::{Actor, ServiceError};
use tenantry_domain::user;
use tenantry_storage::login::{self as sessions, Session, SessionsOf};
use tenantry_storage::{tenant as tenants, user as users, DbConnection, Owner};

/// Ends one session (sign-out, or one found idle or too old): its row is deleted, so its
/// cookie stops working at once on every process.
pub fn end(conn: &mut DbConnection, actor: &Actor, session: &Session) -> Result<(), ServiceError> {
    sessions::delete_sessions(conn, session.tenant_id, SessionsOf::Session(session.id))?;
    log::debug!(
        "{actor} ended session {} of tenant {}",
        session.id,
        session.tenant_id
    );
    Ok(())
}

/// Ends every session of the owner's tenant `code_name`, or only those of its user `login`.
/// Returns how many ended. Another reseller's tenant, or an unknown login, is not found.
pub fn end_all(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    code_name: &str,
    login: Option<&str>,
) -> Result<usize, ServiceError> {
    let tenant = tenants::find_by_code_name(conn, owner, code_name)?;
    let which = match login {
        Some(login) => {
            user::check_login(login)?;
            SessionsOf::User(users::find_by_login(conn, tenant.id, login)?.id)
        }
        None => SessionsOf::Tenant,
    };
    let ended = sessions::delete_sessions(conn, tenant.id, which)?;
    log::info!("{actor} ended {ended} session(s) of tenant {code_name}");
    Ok(ended)
}
