//! The audit log, newest first, always within one reseller's environment.

use crate::convert::{from_db_time, parse, to_db_time, uuid};
use crate::schema::audit_events as events;
use crate::sql_types::Id;
use crate::{DbConnection, Owner, Page, Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::audit::{AuditEvent, Outcome};
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
struct EventRow {
    id: Id,
    reseller_id: String,
    environment: String,
    tenant: Option<String>,
    actor_type: String,
    actor_id: String,
    surface: String,
    operation: String,
    method: String,
    path: String,
    status: i32,
    outcome: String,
    request_id: String,
    created_at: NaiveDateTime,
}

impl EventRow {
    fn into_domain(self) -> Result<AuditEvent> {
        Ok(AuditEvent {
            id: self.id.0,
            reseller_id: uuid(&self.reseller_id)?,
            environment: parse(&self.environment)?,
            tenant: self.tenant,
            actor_type: parse(&self.actor_type)?,
            actor_id: self.actor_id,
            surface: match self.surface.as_str() {
                "reseller" => "reseller",
                "tenant" => "tenant",
                "cli" => "cli",
                "worker" => "worker",
                other => return Err(StorageError::Corrupt(format!("surface `{other}`"))),
            },
            operation: self.operation,
            method: self.method,
            path: self.path,
            status: self.status as u16,
            outcome: parse(&self.outcome)?,
            request_id: self.request_id,
            created_at: from_db_time(self.created_at),
        })
    }
}

/// Records one event.
pub fn insert(conn: &mut DbConnection, e: &AuditEvent) -> Result<()> {
    diesel::insert_into(events::table)
        .values(EventRow {
            id: e.id.into(),
            reseller_id: e.reseller_id.to_string(),
            environment: e.environment.to_string(),
            tenant: e.tenant.clone(),
            actor_type: e.actor_type.as_str().to_owned(),
            actor_id: e.actor_id.clone(),
            surface: e.surface.to_owned(),
            operation: e.operation.clone(),
            method: e.method.clone(),
            path: e.path.clone(),
            status: i32::from(e.status),
            outcome: e.outcome.as_str().to_owned(),
            request_id: e.request_id.clone(),
            created_at: to_db_time(e.created_at),
        })
        .execute(conn)?;
    Ok(())
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub tenant: Option<String>,
    pub actor_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Where a page starts: before this (createdAt, id).
pub type AuditCursor = (DateTime<Utc>, Uuid);

/// A page of the owner's events, newest first.
pub fn list(
    conn: &mut DbConnection,
    owner: &Owner,
    filter: &AuditFilter,
    before: Option<AuditCursor>,
    limit: i64,
) -> Result<Page<AuditEvent>> {
    let mut query = events::table
        .filter(events::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(events::environment.eq(owner.environment.to_string()))
        .into_boxed();
    if let Some(tenant) = &filter.tenant {
        query = query.filter(events::tenant.eq(tenant.clone()));
    }
    if let Some(actor) = &filter.actor_id {
        query = query.filter(events::actor_id.eq(actor.clone()));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(events::outcome.eq(outcome.as_str()));
    }
    if let Some(since) = filter.since {
        query = query.filter(events::created_at.ge(to_db_time(since)));
    }
    if let Some(until) = filter.until {
        query = query.filter(events::created_at.lt(to_db_time(until)));
    }
    if let Some((created_at, id)) = before {
        let created_at = to_db_time(created_at);
        query = query.filter(
            events::created_at
                .lt(created_at)
                .or(events::created_at.eq(created_at).and(events::id.lt(Id(id)))),
        );
    }
    let rows = query
        .order((events::created_at.desc(), events::id.desc()))
        .limit(limit + 1)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EventRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}
