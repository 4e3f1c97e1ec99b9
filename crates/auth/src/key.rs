//! Issuing reseller API keys: one code path for the operator's CLI and `POST /reseller/key`.

use crate::token::{self, TokenKind};
use chrono::{DateTime, Utc};
use tenantry_domain::reseller::ResellerKey;
use tenantry_domain::scope::Scope;
use tenantry_domain::Environment;
use tenantry_storage::{reseller, DbConnection, StorageError};
use uuid::Uuid;

/// A key as stored, and its secret (shown once, never stored).
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ResellerKey,
    pub secret: String,
}

/// Creates a key for `reseller_id` in `environment` holding `scopes`.
pub fn issue(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    name: &str,
    environment: Environment,
    scopes: Vec<Scope>,
    now: DateTime<Utc>,
) -> Result<IssuedKey, StorageError> {
    let new = token::generate(TokenKind::ResellerKey, environment);
    let key = ResellerKey {
        id: Uuid::new_v4(),
        reseller_id,
        name: name.to_owned(),
        environment,
        hint: new.stored.hint,
        created_at: now,
        revoked_at: None,
        scopes,
        expires_at: None,
    };
    reseller::insert_key(conn, &key, &new.stored.hash)?;
    Ok(IssuedKey {
        key,
        secret: new.secret,
    })
}
