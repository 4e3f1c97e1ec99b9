//! The events outbox: appended in the writing transaction, paged by the reseller's sequence.

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::database::{bind_list, per_backend};
use crate::known_endpoints::{self, Known};
use crate::schema::{event_sequences, events, resellers};
use crate::sql_types::Id;
use crate::{audit, handoff, webhook, DbConnection, Owner, Page, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::sync::Arc;
use tenantry_domain::event::{Event, EventTenant, EventType, NewEvent};
use tenantry_domain::webhook::Endpoint;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
struct EventRow {
    reseller_id: String,
    sequence: i64,
    id: Id,
    environment: String,
    event_type: String,
    tenant_id: Option<Id>,
    tenant_code_name: Option<String>,
    payload: String,
    created_at: NaiveDateTime,
    /// Whether its deliveries were handed to this process's workers, with no queue row
    /// ([`webhook::sweep`] checks them).
    handed_off: bool,
}

impl EventRow {
    /// The row of an event appended by this thread's transaction.
    fn of(event: &Event) -> EventRow {
        EventRow {
            reseller_id: event.reseller_id.to_string(),
            sequence: event.sequence,
            id: event.id.into(),
            environment: event.environment.to_string(),
            event_type: event.kind.as_str().to_owned(),
            tenant_id: event.tenant.as_ref().map(|t| t.id.into()),
            tenant_code_name: event.tenant.as_ref().map(|t| t.code_name.clone()),
            payload: to_json(&event.data),
            created_at: to_db_time(event.created_at),
            handed_off: handoff::lease().is_some(),
        }
    }

    fn into_domain(self) -> Result<Event> {
        let tenant = match (self.tenant_id, self.tenant_code_name) {
            (Some(id), Some(code_name)) => Some(EventTenant {
                id: id.0,
                code_name,
            }),
            _ => None,
        };
        Ok(Event {
            id: self.id.0,
            kind: parse(&self.event_type)?,
            sequence: self.sequence,
            reseller_id: uuid(&self.reseller_id)?,
            environment: parse(&self.environment)?,
            tenant,
            created_at: from_db_time(self.created_at),
            data: from_json(&self.payload)?,
        })
    }
}

/// Appends an event at `now` and queues it for every endpoint of the reseller's environment
/// that wants it. Call it inside the transaction of the change it records: the change and its
/// event commit together or not at all. Taking the sequence locks the reseller's counter row
/// until that commit, so one reseller's events commit in sequence order.
pub fn append(conn: &mut DbConnection, new: NewEvent, now: DateTime<Utc>) -> Result<Event> {
    let mut appended = append_all(conn, vec![new], now)?;
    Ok(appended.pop().expect("one event appended"))
}

/// Appends events in this order, like [`append`] each, but taking the sequence numbers and
/// reading the endpoints once for all of them (a sandbox fill appends thousands). They must
/// belong to one reseller and environment.
pub fn append_all(
    conn: &mut DbConnection,
    new: Vec<NewEvent>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>> {
    let Some(first) = new.first() else {
        return Ok(Vec::new());
    };
    let (reseller, environment) = (first.reseller_id, first.environment);
    assert!(
        new.iter()
            .all(|e| e.reseller_id == reseller && e.environment == environment),
        "append_all takes the events of one reseller and environment"
    );
    let mut events: Vec<Event> = new
        .into_iter()
        .map(|new| Event {
            id: Uuid::now_v7(),
            kind: new.kind,
            // Taken below.
            sequence: 0,
            reseller_id: new.reseller_id,
            environment: new.environment,
            tenant: new.tenant,
            created_at: now,
            data: new.data,
        })
        .collect();
    if let [event] = &mut events[..] {
        if matches!(conn, DbConnection::Postgres(_)) && append_one_on_postgres(conn, event, now)? {
            return Ok(events);
        }
    }
    let count = events.len() as i64;
    let (last, endpoints_version) = take_sequences(conn, &reseller.to_string(), count)?;
    for (event, sequence) in events.iter_mut().zip(last - count + 1..) {
        event.sequence = sequence;
    }
    let endpoints = match known_endpoints::at(reseller, environment, endpoints_version) {
        Some(known) => known.endpoints,
        None => read_endpoints(conn, reseller, environment, endpoints_version)?,
    };
    let rows: Vec<EventRow> = events.iter().map(EventRow::of).collect();
    per_backend!(conn, rows, insert_into events::table);
    webhook::queue_events(conn, &endpoints, &events, now)?;
    Ok(events)
}

/// The active endpoints of a reseller environment that this process does not know at
/// `version` (their first append here, or they changed since): read while the write holds
/// the sequence row, so no change slips between the two, and remembered once it commits.
fn read_endpoints(
    conn: &mut DbConnection,
    reseller: Uuid,
    environment: tenantry_domain::Environment,
    version: i64,
) -> Result<Arc<Vec<Endpoint>>> {
    let endpoints = Arc::new(webhook::active_endpoints(
        conn,
        &reseller.to_string(),
        environment,
    )?);
    let known = Known {
        version,
        endpoints: endpoints.clone(),
    };
    known_endpoints::read(reseller, environment, known);
    Ok(endpoints)
}

/// [`append_all`] of one event on PostgreSQL, the shape of nearly every write: its sequence
/// number, its row and its deliveries to the endpoints this process remembers are one
/// statement ([`AppendOne`]), so the reseller's sequence row is held from that statement to
/// the commit and no longer, and the write makes two round trips fewer. If the endpoints
/// changed since they were remembered, the statement queues no delivery and says so (its
/// count of endpoint changes is not the one assumed): they are read and queued as usual.
/// Deliveries handed to this process's workers have no row to insert. Returns `false`, having
/// done nothing, for a reseller's first event (it has no sequence row yet).
fn append_one_on_postgres(
    conn: &mut DbConnection,
    event: &mut Event,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (reseller, environment) = (event.reseller_id, event.environment);
    let remembered = known_endpoints::remembered(reseller, environment);
    let due = webhook::first_due(now);
    let deliveries: Vec<(Uuid, &Endpoint)> = remembered
        .iter()
        .flat_map(|known| known.endpoints.iter())
        .filter(|endpoint| endpoint.wants(event.kind))
        .map(|endpoint| (Uuid::now_v7(), endpoint))
        .collect();
    let rows = if handoff::lease().is_some() {
        &[][..]
    } else {
        &deliveries[..]
    };
    let audit = audit::Uninserted::waiting();
    let audited = audit.len();
    let statement = AppendOne {
        event: EventRow::of(event),
        audit,
        assumed_version: remembered.as_ref().map_or(-1, |known| known.version),
        delivery_ids: rows.iter().map(|(id, _)| id.to_string()).collect(),
        endpoint_ids: rows.iter().map(|(_, e)| e.id.to_string()).collect(),
        due: to_db_time(due),
    };
    let taken = match conn {
        DbConnection::Postgres(pg) => statement.get_result::<(i64, i64)>(pg).optional()?,
        DbConnection::Sqlite(_) => unreachable!("append_all takes this path on PostgreSQL only"),
    };
    let Some((sequence, version)) = taken else {
        return Ok(false);
    };
    audit::inserted(audited);
    event.sequence = sequence;
    if remembered
        .as_ref()
        .is_some_and(|known| known.version == version)
    {
        webhook::queued_deliveries(deliveries.iter().map(|(id, e)| (*id, *e, &*event)), due);
    } else {
        let endpoints = read_endpoints(conn, reseller, environment, version)?;
        webhook::queue_events(conn, &endpoints, std::slice::from_ref(event), now)?;
    }
    Ok(true)
}

/// One event appended with its deliveries in one PostgreSQL statement: the next sequence
/// number taken (the reseller's row locked until the commit), the event inserted under it,
/// and one delivery per endpoint in `endpoint_ids` inserted only if the reseller's count of
/// endpoint changes is still `assumed_version`. Returns the sequence number and that count,
/// or no row when the reseller has no sequence row yet. The number is taken by a plain
/// UPDATE: an upsert that finds the row locks it first (`ON CONFLICT DO UPDATE`), a WAL
/// record of its own (55 of the 2,598 bytes a write cost). Its text is the same whatever the
/// number of deliveries (they are bound as arrays), so diesel prepares it once per
/// connection.
struct AppendOne {
    event: EventRow,
    /// What the transaction's audit log recorded and has not inserted yet: inserted here
    /// too, if the sequence number was taken.
    audit: audit::Uninserted,
    assumed_version: i64,
    delivery_ids: Vec<String>,
    endpoint_ids: Vec<String>,
    due: NaiveDateTime,
}

crate::database::prepared_on_postgres!(AppendOne);

impl diesel::query_builder::Query for AppendOne {
    type SqlType = (diesel::sql_types::BigInt, diesel::sql_types::BigInt);
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for AppendOne {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use crate::sql_types::Uuid;
        use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};
        let e = &self.event;
        out.push_sql(
            "WITH taken AS (UPDATE event_sequences SET last_value = last_value + 1 \
             WHERE reseller_id = ",
        );
        bind_list!(out, Text => &e.reseller_id);
        out.push_sql(
            " RETURNING reseller_id, last_value, endpoints_version), \
             appended AS (INSERT INTO events (reseller_id, sequence, id, environment, \
             event_type, tenant_id, tenant_code_name, payload, created_at, handed_off) \
             SELECT reseller_id, last_value, ",
        );
        bind_list!(
            out,
            Uuid => &e.id,
            Text => &e.environment,
            Text => &e.event_type,
            Nullable<Uuid> => &e.tenant_id,
            Nullable<Text> => &e.tenant_code_name,
            Text => &e.payload,
            Timestamp => &e.created_at,
            Bool => &e.handed_off
        );
        out.push_sql(
            " FROM taken), \
             queued AS (INSERT INTO webhook_deliveries (id, endpoint_id, reseller_id, \
             event_sequence, attempts, next_attempt_at, created_at) \
             SELECT d.id, d.endpoint_id, reseller_id, last_value, 0, ",
        );
        bind_list!(out, Timestamp => &self.due, Timestamp => &e.created_at);
        out.push_sql(" FROM taken, unnest(");
        bind_list!(out, Array<Text> => &self.delivery_ids, Array<Text> => &self.endpoint_ids);
        out.push_sql(") AS d (id, endpoint_id) WHERE endpoints_version = ");
        bind_list!(out, BigInt => &self.assumed_version);
        out.push_sql("), audited AS (");
        self.audit.push_insert(out.reborrow())?;
        out.push_sql(", taken) SELECT last_value, endpoints_version FROM taken");
        Ok(())
    }
}

/// Takes `count` sequence numbers of the reseller's feed: returns the last one taken, and the
/// count of its endpoint changes ([`known_endpoints`]). The row stays locked until the write
/// commits, which is what keeps the feed gap-free and in commit order.
fn take_sequences(conn: &mut DbConnection, reseller_id: &str, count: i64) -> Result<(i64, i64)> {
    use event_sequences::dsl as seq;
    macro_rules! statement {
        ($c:expr) => {
            diesel::insert_into(event_sequences::table)
                .values((seq::reseller_id.eq(reseller_id), seq::last_value.eq(count)))
                .on_conflict(seq::reseller_id)
                .do_update()
                .set(seq::last_value.eq(seq::last_value + count))
                .returning((seq::last_value, seq::endpoints_version))
                .get_result::<(i64, i64)>($c)
        };
    }
    Ok(match conn {
        DbConnection::Postgres(c) => statement!(c),
        DbConnection::Sqlite(c) => statement!(c),
    }?)
}

/// What the feed lists.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only these types (all when empty).
    pub types: Vec<EventType>,
    /// Only events of the tenant with this codeName.
    pub tenant: Option<String>,
}

/// The owner's events after sequence `after`, oldest first.
pub fn list(
    conn: &mut DbConnection,
    owner: &Owner,
    filter: &EventFilter,
    after: i64,
    limit: i64,
) -> Result<Page<Event>> {
    let mut query = events::table
        .filter(events::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(events::environment.eq(owner.environment.as_str()))
        .filter(events::sequence.gt(after))
        .into_boxed();
    if !filter.types.is_empty() {
        query = query.filter(events::event_type.eq_any(filter.types.iter().map(|t| t.as_str())));
    }
    if let Some(tenant) = &filter.tenant {
        query = query.filter(events::tenant_code_name.eq(tenant.clone()));
    }
    let rows = query
        .order(events::sequence.asc())
        .limit(limit + 1)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EventRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}

/// The owner's event with this id.
pub fn find(conn: &mut DbConnection, owner: &Owner, id: Uuid) -> Result<Event> {
    events::table
        .filter(events::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(events::environment.eq(owner.environment.as_str()))
        .filter(events::id.eq(Id(id)))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(crate::StorageError::NotFound("event"))?
        .into_domain()
}

/// The reseller's event with this sequence (what a delivery points at).
pub fn by_sequence(conn: &mut DbConnection, reseller_id: Uuid, sequence: i64) -> Result<Event> {
    events::table
        .filter(events::reseller_id.eq(reseller_id.to_string()))
        .filter(events::sequence.eq(sequence))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(crate::StorageError::NotFound("event"))?
        .into_domain()
}

/// How many of a feed's oldest events one step of [`purge`] reads.
const PURGE_STEP: i64 = 1_000;

/// Forgets events older than `before` (the retention); returns how many.
///
/// Walks each reseller's feed from its oldest event along the feed's own key, and stops at
/// the first one still within the retention. An index by age would find them directly, but
/// it cost every event-producing write an index entry (about 100 bytes of its WAL on
/// PostgreSQL) for a job that runs every ten minutes. A feed is in commit order, which is
/// creation order except for writes that committed out of order a moment apart: such an
/// event, expired behind one that is not, is forgotten by a later run.
pub fn purge(conn: &mut DbConnection, before: DateTime<Utc>) -> Result<usize> {
    let before = to_db_time(before);
    let resellers: Vec<String> = resellers::table.select(resellers::id).load(conn)?;
    let mut purged = 0;
    for reseller in resellers {
        loop {
            let oldest: Vec<(i64, NaiveDateTime)> = events::table
                .filter(events::reseller_id.eq(&reseller))
                .order(events::sequence.asc())
                .select((events::sequence, events::created_at))
                .limit(PURGE_STEP)
                .load(conn)?;
            let expired = oldest.iter().take_while(|(_, at)| *at < before).count();
            if expired == 0 {
                break;
            }
            let (last, _) = oldest[expired - 1];
            purged += diesel::delete(
                events::table
                    .filter(events::reseller_id.eq(&reseller))
                    .filter(events::sequence.le(last)),
            )
            .execute(conn)?;
            if expired < PURGE_STEP as usize {
                break;
            }
        }
    }
    Ok(purged)
}
