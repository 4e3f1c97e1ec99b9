//! Idempotency-Key records: the first response to a (principal, key), kept so a retry can
//! be answered with it instead of doing the work again.

use crate::convert::{from_db_time, to_db_time};
use crate::schema::idempotency_keys as keys;
use crate::{DbConnection, Result};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// How long a key is remembered: a retry within it is answered with the first response.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// A response as first answered, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

/// What a claim on a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's: do the work, then [`complete`] or [`release`].
    Started,
    /// An earlier request with this key has not finished.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
    /// An earlier request with this key finished: answer its response.
    Completed(StoredResponse),
}

/// The ages that decide a claim.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTimes {
    pub now: DateTime<Utc>,
    /// Records created before this are forgotten (the 24-hour retention).
    pub expired_before: DateTime<Utc>,
    /// An unfinished record created before this belongs to a request that died (a crash
    /// between claim and completion); a retry may take it over.
    pub abandoned_before: DateTime<Utc>,
}

type Row = (
    String,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
    chrono::NaiveDateTime,
);

/// Claims `key` for `principal`, or says what an earlier request with it left. Two claims
/// racing on a new key: one inserts, the other gets [`crate::StorageError::Duplicate`] and
/// should claim again in a new transaction (it then finds the key in progress).
pub fn claim(
    conn: &mut DbConnection,
    principal: &str,
    key: &str,
    fingerprint: &str,
    times: ClaimTimes,
) -> Result<Claim> {
    let found: Option<Row> = keys::table
        .find((principal, key))
        .select((
            keys::fingerprint,
            keys::status_code,
            keys::content_type,
            keys::location,
            keys::body,
            keys::created_at,
        ))
        .first(conn)
        .optional()?;
    if let Some((stored_fingerprint, status, content_type, location, body, created_at)) = found {
        let created_at = from_db_time(created_at);
        let expired = created_at < times.expired_before;
        let abandoned = status.is_none() && created_at < times.abandoned_before;
        if !expired && !abandoned {
            if stored_fingerprint != fingerprint {
                return Ok(Claim::Mismatch);
            }
            return Ok(match status {
                None => Claim::InProgress,
                Some(status) => Claim::Completed(StoredResponse {
                    status: status as u16,
                    content_type,
                    location,
                    body: body.unwrap_or_default(),
                }),
            });
        }
        diesel::delete(keys::table.find((principal, key))).execute(conn)?;
    }
    diesel::insert_into(keys::table)
        .values((
            keys::principal.eq(principal),
            keys::idempotency_key.eq(key),
            keys::fingerprint.eq(fingerprint),
            keys::created_at.eq(to_db_time(times.now)),
        ))
        .execute(conn)?;
    Ok(Claim::Started)
}

/// Records the response of the request that claimed `key`.
pub fn complete(
    conn: &mut DbConnection,
    principal: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<()> {
    diesel::update(keys::table.find((principal, key)))
        .set((
            keys::status_code.eq(Some(response.status as i32)),
            keys::content_type.eq(response.content_type.as_deref()),
            keys::location.eq(response.location.as_deref()),
            keys::body.eq(Some(response.body.as_str())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives up a claim whose request failed before it could answer (a server error), so that a
/// retry runs again.
pub fn release(conn: &mut DbConnection, principal: &str, key: &str) -> Result<()> {
    diesel::delete(
        keys::table
            .find((principal, key))
            .filter(keys::status_code.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes records created before `before`; returns how many.
pub fn purge(conn: &mut DbConnection, before: DateTime<Utc>) -> Result<usize> {
    Ok(
        diesel::delete(keys::table.filter(keys::created_at.lt(to_db_time(before))))
            .execute(conn)?,
    )
}
