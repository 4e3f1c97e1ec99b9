//! Reseller API keys: created (by the Reseller API and the operator's CLI), revoked, rotated.
//! A key's token arrives made (`tenantry-auth` makes them; the caller shows the secret once):
//! only its hash and hint are stored.

use crate::{Actor, ServiceError, StoredSecret};
use chrono::{DateTime, Duration, Utc};
use tenantry_domain::reseller::ResellerKey;
use tenantry_domain::scope::Scope;
use tenantry_domain::{DomainError, Environment};
use tenantry_storage::{reseller as resellers, DbConnection, Owner};
use uuid::Uuid;

/// How long a rotated key keeps working unless the caller says otherwise: a day to roll out
/// its successor.
pub const DEFAULT_OVERLAP_SECONDS: i64 = 24 * 3600;
/// The longest overlap a rotation may ask for: 30 days.
pub const MAX_OVERLAP_SECONDS: i64 = 30 * 24 * 3600;

/// Creates a key of `scope` (reseller and environment) named `name` (trimmed, 1 to 100
/// characters) holding `scopes`, with `token` as its token.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    name: &str,
    scopes: Vec<Scope>,
    token: StoredSecret,
    now: DateTime<Utc>,
) -> Result<ResellerKey, ServiceError> {
    let name = name.trim();
    if !(1..=100).contains(&name.chars().count()) {
        return Err(DomainError::invalid("name", "length", "must be 1 to 100 characters").into());
    }
    let key = ResellerKey {
        id: Uuid::new_v4(),
        reseller_id: owner.reseller_id,
        name: name.to_owned(),
        environment: owner.environment,
        hint: token.hint,
        created_at: now,
        revoked_at: None,
        scopes,
        expires_at: None,
    };
    resellers::insert_key(conn, &key, &token.hash)?;
    log::debug!("{actor} created key {}", key.id);
    Ok(key)
}

/// Revokes the key `id` of reseller `reseller_id`: it stops working at once. With an
/// `environment`, a key of the other one is not found (the API's caller sees only its own).
pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    reseller_id: Uuid,
    environment: Option<Environment>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if let Some(environment) = environment {
        resellers::find_key(conn, reseller_id, environment, id)?;
    }
    resellers::revoke_key(conn, reseller_id, id, now)?;
    log::debug!("{actor} revoked key {id}");
    Ok(())
}

/// A rotation asked for.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The key to replace.
    pub id: Uuid,
    /// How long it keeps working: 0 to [`MAX_OVERLAP_SECONDS`].
    pub overlap_seconds: i64,
    /// The scopes the caller holds: the successor may hold no more than it could grant.
    pub held: Vec<Scope>,
}

/// Rotates a key of `scope`: a successor with the same name and scopes and `token` as its
/// token; the old key keeps working for the overlap. A revoked or expired key is refused.
pub fn rotate(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    rotation: Rotation,
    token: StoredSecret,
    now: DateTime<Utc>,
) -> Result<ResellerKey, ServiceError> {
    let overlap = rotation.overlap_seconds;
    if !(0..=MAX_OVERLAP_SECONDS).contains(&overlap) {
        return Err(DomainError::invalid(
            "overlapSeconds",
            "range",
            format!("must be 0 to {MAX_OVERLAP_SECONDS} seconds"),
        )
        .into());
    }
    let old = resellers::find_key(conn, owner.reseller_id, owner.environment, rotation.id)?;
    if !old.is_active(now) {
        return Err(ServiceError::Conflict {
            code: "key_inactive",
            message: "this key is revoked or expired: create a new key instead".into(),
        });
    }
    if let Some(extra) = old.scopes.iter().find(|s| !rotation.held.contains(s)) {
        return Err(ServiceError::Forbidden {
            code: "missing_scope",
            message: format!(
                "the key holds `{extra}`, which the calling credential does not: it cannot rotate it"
            ),
        });
    }
    resellers::expire_key(conn, old.id, now + Duration::seconds(overlap))?;
    let successor = create(conn, actor, owner, &old.name, old.scopes, token, now)?;
    log::debug!("{actor} rotated key {} into {}", old.id, successor.id);
    Ok(successor)
}
