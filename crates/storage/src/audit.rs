//! The audit log, newest first, always within one reseller's environment.

use crate::convert::{from_db_time, parse, to_db_time, uuid};
use crate::database::{bind_list, per_backend};
use crate::schema::audit_events as events;
use crate::sql_types::Id;
use crate::{DbConnection, Owner, Page, Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::cell::RefCell;
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

    fn of(e: &AuditEvent) -> EventRow {
        EventRow {
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
        }
    }
}

/// Records one event.
pub fn insert(conn: &mut DbConnection, e: &AuditEvent) -> Result<()> {
    diesel::insert_into(events::table)
        .values(EventRow::of(e))
        .execute(conn)?;
    Ok(())
}

thread_local! {
    /// Inside a [`crate::Database::write`] on this thread: the events recorded by
    /// [`record`] and not inserted yet.
    static UNINSERTED: RefCell<Option<Vec<EventRow>>> = const { RefCell::new(None) };
}

/// Records one event in the write transaction running on this thread. On PostgreSQL it is
/// inserted by the statement that appends the transaction's event, if it appends one
/// alone ([`crate::event::append`]), or else just before the commit: either way it commits
/// with the write or not at all, and a write that appends an event saves the round trip of
/// an insert of its own. On SQLite (in process, no round trips) it is inserted at once, as
/// it is outside a write transaction.
pub fn record(conn: &mut DbConnection, e: &AuditEvent) -> Result<()> {
    let deferred = matches!(conn, DbConnection::Postgres(_))
        && UNINSERTED.with_borrow_mut(|rows| match rows {
            Some(rows) => {
                rows.push(EventRow::of(e));
                true
            }
            None => false,
        });
    if deferred {
        Ok(())
    } else {
        insert(conn, e)
    }
}

/// Opens this thread's write transaction to [`record`].
pub(crate) fn begin() {
    UNINSERTED.set(Some(Vec::new()));
}

/// Inserts what [`record`] left uninserted, before the transaction commits.
pub(crate) fn insert_uninserted(conn: &mut DbConnection) -> Result<()> {
    let rows = UNINSERTED.with_borrow_mut(|rows| rows.as_mut().map(std::mem::take));
    if let Some(rows) = rows.filter(|rows| !rows.is_empty()) {
        per_backend!(conn, rows, insert_into events::table);
    }
    Ok(())
}

/// Closes this thread's write transaction, committed or not.
pub(crate) fn finish() {
    UNINSERTED.set(None);
}

/// Says that the first `count` events waiting were inserted by a statement of the
/// transaction ([`Uninserted::push_insert`]): they no longer wait.
pub(crate) fn inserted(count: usize) {
    UNINSERTED.with_borrow_mut(|rows| {
        if let Some(rows) = rows {
            rows.drain(..count.min(rows.len()));
        }
    });
}

/// The events [`record`] left uninserted, as columns for an append's statement to insert
/// ([`Uninserted::push_insert`]); [`inserted`] once that statement ran.
pub(crate) struct Uninserted {
    ids: Vec<Id>,
    reseller_ids: Vec<String>,
    environments: Vec<String>,
    tenants: Vec<Option<String>>,
    actor_types: Vec<String>,
    actor_ids: Vec<String>,
    surfaces: Vec<String>,
    operations: Vec<String>,
    methods: Vec<String>,
    paths: Vec<String>,
    statuses: Vec<i32>,
    outcomes: Vec<String>,
    request_ids: Vec<String>,
    created_at: Vec<NaiveDateTime>,
}

impl Uninserted {
    /// A copy of what waits (none outside a write transaction).
    pub(crate) fn waiting() -> Uninserted {
        UNINSERTED.with_borrow(|rows| {
            let rows = rows.as_deref().unwrap_or_default();
            Uninserted {
                ids: rows.iter().map(|r| r.id).collect(),
                reseller_ids: rows.iter().map(|r| r.reseller_id.clone()).collect(),
                environments: rows.iter().map(|r| r.environment.clone()).collect(),
                tenants: rows.iter().map(|r| r.tenant.clone()).collect(),
                actor_types: rows.iter().map(|r| r.actor_type.clone()).collect(),
                actor_ids: rows.iter().map(|r| r.actor_id.clone()).collect(),
                surfaces: rows.iter().map(|r| r.surface.clone()).collect(),
                operations: rows.iter().map(|r| r.operation.clone()).collect(),
                methods: rows.iter().map(|r| r.method.clone()).collect(),
                paths: rows.iter().map(|r| r.path.clone()).collect(),
                statuses: rows.iter().map(|r| r.status).collect(),
                outcomes: rows.iter().map(|r| r.outcome.clone()).collect(),
                request_ids: rows.iter().map(|r| r.request_id.clone()).collect(),
                created_at: rows.iter().map(|r| r.created_at).collect(),
            }
        })
    }

    /// How many.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// `INSERT INTO audit_events (…) SELECT a.* FROM unnest(…) AS a (…)`, each column bound
    /// as an array, so the text is the same for none or several; the caller may go on with
    /// the FROM list.
    pub(crate) fn push_insert<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use crate::sql_types::Uuid;
        use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamp};
        const COLUMNS: &str = "id, reseller_id, environment, tenant, actor_type, actor_id, \
            surface, operation, method, path, status, outcome, request_id, created_at";
        out.push_sql("INSERT INTO audit_events (");
        out.push_sql(COLUMNS);
        out.push_sql(") SELECT a.* FROM unnest(");
        bind_list!(
            out,
            Array<Uuid> => &self.ids,
            Array<Text> => &self.reseller_ids,
            Array<Text> => &self.environments,
            Array<Nullable<Text>> => &self.tenants,
            Array<Text> => &self.actor_types,
            Array<Text> => &self.actor_ids,
            Array<Text> => &self.surfaces,
            Array<Text> => &self.operations,
            Array<Text> => &self.methods,
            Array<Text> => &self.paths,
            Array<Integer> => &self.statuses,
            Array<Text> => &self.outcomes,
            Array<Text> => &self.request_ids,
            Array<Timestamp> => &self.created_at,
        );
        out.push_sql(") AS a (");
        out.push_sql(COLUMNS);
        out.push_sql(")");
        Ok(())
    }
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
