//! Tenant jobs: work that runs after a request returned (provisioning) or at a date
//! (a scheduled cancellation). A job runs in the transaction that takes it off the table, so
//! it acts once even with several processes and is not lost when a process dies mid-job.

use crate::convert::{from_db_time, from_json, to_db_time, to_json, uuid};
use crate::schema::tenant_jobs as jobs;
use crate::{DbConnection, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Finish a new tenant's set-up, then announce it with `tenant.ready`.
    Provision,
    /// Cancel the tenant (its scheduled cancellation's effective date).
    Cancel,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            JobKind::Provision => "provision",
            JobKind::Cancel => "cancel",
        }
    }
}

/// A job taken to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub tenant_id: Uuid,
    pub kind: JobKind,
    pub due_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

/// Schedules a job for `tenant_id` at `due_at`.
pub fn schedule(
    conn: &mut DbConnection,
    tenant_id: Uuid,
    kind: JobKind,
    due_at: DateTime<Utc>,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::id.eq(Uuid::now_v7().to_string()),
            jobs::tenant_id.eq(tenant_id.to_string()),
            jobs::kind.eq(kind.as_str()),
            jobs::due_at.eq(to_db_time(due_at)),
            jobs::payload.eq(to_json(payload)),
            jobs::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    crate::database::queued(crate::Work::Jobs);
    Ok(())
}

/// Drops the tenant's jobs of this kind (a withdrawn cancellation); returns how many.
pub fn unschedule(conn: &mut DbConnection, tenant_id: Uuid, kind: JobKind) -> Result<usize> {
    Ok(diesel::delete(
        jobs::table
            .filter(jobs::tenant_id.eq(tenant_id.to_string()))
            .filter(jobs::kind.eq(kind.as_str())),
    )
    .execute(conn)?)
}

/// Takes the earliest job due at `now` off the table, inside the caller's write transaction:
/// the caller runs it in that transaction, so it is gone only if its work commits. On
/// PostgreSQL another process skips the locked row and takes the next.
pub fn take_due(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Option<Job>> {
    type Row = (String, String, String, NaiveDateTime, String);
    let due = jobs::table
        .filter(jobs::due_at.le(to_db_time(now)))
        .order(jobs::due_at.asc())
        .limit(1)
        .select((
            jobs::id,
            jobs::tenant_id,
            jobs::kind,
            jobs::due_at,
            jobs::payload,
        ));
    let row: Option<Row> = match conn {
        DbConnection::Postgres(c) => due.for_update().skip_locked().first(c).optional()?,
        DbConnection::Sqlite(c) => due.first(c).optional()?,
    };
    let Some((id, tenant_id, kind, due_at, payload)) = row else {
        return Ok(None);
    };
    diesel::delete(jobs::table.filter(jobs::id.eq(&id))).execute(conn)?;
    let kind = match kind.as_str() {
        "provision" => JobKind::Provision,
        "cancel" => JobKind::Cancel,
        other => return Err(crate::StorageError::Corrupt(format!("job kind `{other}`"))),
    };
    Ok(Some(Job {
        tenant_id: uuid(&tenant_id)?,
        kind,
        due_at: from_db_time(due_at),
        payload: from_json(&payload)?,
    }))
}
