//! The events outbox: appended in the writing transaction, paged by the reseller's sequence.
//!
//! An event's row (`events`, keyed by its id) and its place in the feed (`event_numbers`,
//! keyed by reseller and sequence) are two rows: readers list a feed in `event_numbers`'
//! order and join the events, so an event is in the feed once it has a number.

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::database::{bind_list, per_backend};
use crate::known_endpoints::{self, Known};
use crate::schema::{event_numbers, event_sequences, events, resellers};
use crate::sql_types::Id;
use crate::{audit, handoff, webhook, DbConnection, Owner, Page, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::sync::Arc;
use tenantry_domain::event::{Event, EventTenant, EventType, NewEvent};
use tenantry_domain::webhook::Endpoint;
use tenantry_domain::Environment;
use uuid::Uuid;

#[derive(Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = events)]
struct EventRow {
    id: Id,
    reseller_id: String,
    /// A number of the reseller's feed below the event's own, taken before the event was
    /// written: its number is the first after this one whose row names the event (how
    /// [`find`] learns it without an index on `event_numbers.event_id`).
    numbered_after: i64,
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
            id: event.id.into(),
            reseller_id: event.reseller_id.to_string(),
            numbered_after: event.sequence - 1,
            environment: event.environment.to_string(),
            event_type: event.kind.as_str().to_owned(),
            tenant_id: event.tenant.as_ref().map(|t| t.id.into()),
            tenant_code_name: event.tenant.as_ref().map(|t| t.code_name.clone()),
            payload: to_json(&event.data),
            created_at: to_db_time(event.created_at),
            handed_off: handoff::lease().is_some(),
        }
    }

    /// The event, numbered `sequence` in its feed.
    fn into_domain(self, sequence: i64) -> Result<Event> {
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
            sequence,
            reseller_id: uuid(&self.reseller_id)?,
            environment: parse(&self.environment)?,
            tenant,
            created_at: from_db_time(self.created_at),
            data: from_json(&self.payload)?,
        })
    }
}

/// An event's place in its reseller's feed.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = event_numbers)]
struct NumberRow {
    reseller_id: Id,
    sequence: i64,
    event_id: Id,
}

impl NumberRow {
    fn of(event: &Event) -> NumberRow {
        NumberRow {
            reseller_id: event.reseller_id.into(),
            sequence: event.sequence,
            event_id: event.id.into(),
        }
    }
}

/// Appends an event at `now` and queues it for every endpoint of the reseller's environment
/// that wants it. Call it inside the transaction of the change it records: the change and its
/// event commit together or not at all.
///
/// The event's number in its reseller's feed is taken under the reseller's sequence row, held
/// until the commit, so numbers become visible in their order and the feed has no gaps. On
/// PostgreSQL a single event whose write finds that row held by another writer does not wait
/// for it: it commits unnumbered, and [`crate::Database::write`] hands it to the process's
/// numbering thread, which numbers it (with the others waiting then, under one hold of the
/// row) and queues its deliveries ([`crate::sequencer`]). Such an event's `sequence` is 0
/// here. Read the feed through [`crate::Database::read_feed`], which numbers what waits.
pub fn append(conn: &mut DbConnection, new: NewEvent, now: DateTime<Utc>) -> Result<Event> {
    let mut appended = append_all(conn, vec![new], now)?;
    Ok(appended.pop().expect("one event appended"))
}

/// Appends events in this order, like [`append`] each, but taking the sequence numbers and
/// reading the endpoints once for all of them (a sandbox fill appends thousands). They must
/// belong to one reseller and environment. They wait for the reseller's sequence row.
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
        if matches!(conn, DbConnection::Postgres(_)) {
            append_one_on_postgres(conn, event, now)?;
            return Ok(events);
        }
    }
    let (mut last, endpoints_version) = lock_sequence(conn, reseller)?;
    // Events committed unnumbered before this write took the row come first: this write may
    // depend on them.
    number_waiting(conn, reseller, &mut last, endpoints_version, now)?;
    for event in &mut events {
        last += 1;
        event.sequence = last;
    }
    set_last_sequence(conn, reseller, last)?;
    let endpoints = endpoints_at(conn, reseller, environment, endpoints_version)?;
    let rows: Vec<EventRow> = events.iter().map(EventRow::of).collect();
    per_backend!(conn, rows, insert_into events::table);
    let numbers: Vec<NumberRow> = events.iter().map(NumberRow::of).collect();
    per_backend!(conn, numbers, insert_into event_numbers::table);
    webhook::queue_events(conn, &endpoints, &events, now)?;
    Ok(events)
}

/// Clears what numbered events left in the table of unnumbered ones. On PostgreSQL each
/// numbered event leaves a dead row and index entry there, and every write's check for waiting
/// events walks past the dead entries of its reseller: nothing removes them but VACUUM, which
/// autovacuum may not run (as the delivery queue's, [`webhook::upkeep`]). Call outside a
/// transaction.
pub(crate) fn upkeep(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Postgres(c) = conn {
        diesel::sql_query("VACUUM (SKIP_LOCKED) events_unnumbered").execute(c)?;
    }
    Ok(())
}

/// Numbers the reseller's events committed unnumbered, in the order they were committed, and
/// queues their deliveries; returns their ids and numbers. Its own transaction (see
/// [`crate::sequencer`], which calls it): it waits for the reseller's sequence row and holds
/// it to the commit, once for all of them. On PostgreSQL the numbering is one statement
/// ([`NUMBER_WAITING`]); what it cannot do (the reseller's first events: no sequence row yet)
/// is done step by step.
pub(crate) fn number_unnumbered(
    conn: &mut DbConnection,
    reseller: Uuid,
) -> Result<Vec<(Uuid, i64)>> {
    let now = tenantry_domain::time::now();
    if let DbConnection::Postgres(pg) = conn {
        use diesel::sql_types::Text;
        let mut numbered: Vec<NumberedRow> = diesel::sql_query(NUMBER_WAITING)
            .bind::<Text, _>(reseller.to_string())
            .bind::<crate::sql_types::Uuid, _>(Id(reseller))
            .load(pg)?;
        if let Some(version) = numbered.first().map(|n| n.endpoints_version) {
            numbered.sort_unstable_by_key(|n| n.sequence);
            let events = numbered
                .into_iter()
                .map(|n| n.event.into_domain(n.sequence))
                .collect::<Result<Vec<_>>>()?;
            queue_numbered(conn, reseller, &events, version, now)?;
            return Ok(events.iter().map(|e| (e.id, e.sequence)).collect());
        }
        // Nothing waited (another numbering took it first): done, unless the reseller has no
        // sequence row yet, which the step-by-step numbering below creates. Locking the row
        // for nothing would send the reseller's writes meanwhile to the waiting.
        let has_row = diesel::select(diesel::dsl::exists(
            event_sequences::table.filter(event_sequences::reseller_id.eq(reseller.to_string())),
        ));
        if has_row.get_result::<bool>(pg)? {
            return Ok(Vec::new());
        }
    }
    let (mut last, endpoints_version) = lock_sequence(conn, reseller)?;
    let numbered = number_waiting(conn, reseller, &mut last, endpoints_version, now)?;
    if !numbered.is_empty() {
        set_last_sequence(conn, reseller, last)?;
    }
    Ok(numbered.iter().map(|e| (e.id, e.sequence)).collect())
}

/// One event numbered by [`NUMBER_WAITING`].
#[derive(QueryableByName)]
struct NumberedRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sequence: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    endpoints_version: i64,
    #[diesel(embed)]
    event: EventRow,
}

/// The numbering of what waits for one reseller (`$1` as `event_sequences` keys it, `$2` as
/// the other tables do), in one PostgreSQL statement: the sequence row locked first (the
/// delete of what waits runs only once it is: every numbering takes the two in that order),
/// each waiting event numbered after the row's last number in the order it was committed,
/// the row moved on by as many, and the numbered events returned with the row's count of
/// endpoint changes. Nothing is returned when nothing waited or the row does not exist. The
/// events are read by their ids (`= ANY`), which PostgreSQL plans as an index scan whatever
/// its statistics say; a join could be planned as a scan of the whole table.
const NUMBER_WAITING: &str = "WITH locked AS (SELECT last_value, endpoints_version \
     FROM event_sequences WHERE reseller_id = $1 FOR UPDATE), \
     taken AS (DELETE FROM events_unnumbered WHERE reseller_id = $2 \
     AND EXISTS (SELECT 1 FROM locked) RETURNING position, event_id), \
     numbered AS (INSERT INTO event_numbers (reseller_id, sequence, event_id) \
     SELECT $2, locked.last_value + row_number() OVER (ORDER BY taken.position), \
     taken.event_id FROM taken, locked RETURNING sequence, event_id), \
     moved AS (UPDATE event_sequences SET last_value = last_value + (SELECT count(*) FROM taken) \
     WHERE reseller_id = $1 AND EXISTS (SELECT 1 FROM taken)) \
     SELECT numbered.sequence, locked.endpoints_version, e.id, e.reseller_id, \
     e.numbered_after, e.environment, e.event_type, e.tenant_id, e.tenant_code_name, \
     e.payload, e.created_at, e.handed_off \
     FROM events e JOIN numbered ON numbered.event_id = e.id CROSS JOIN locked \
     WHERE e.id = ANY (ARRAY(SELECT event_id FROM numbered))";

/// Queues the deliveries of `events`, just numbered under the reseller's sequence row, whose
/// count of endpoint changes was `endpoints_version`.
fn queue_numbered(
    conn: &mut DbConnection,
    reseller: Uuid,
    events: &[Event],
    endpoints_version: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    for environment in [Environment::Sandbox, Environment::Production] {
        let of_it: Vec<Event> = events
            .iter()
            .filter(|e| e.environment == environment)
            .cloned()
            .collect();
        if !of_it.is_empty() {
            let endpoints = endpoints_at(conn, reseller, environment, endpoints_version)?;
            webhook::queue_events(conn, &endpoints, &of_it, now)?;
        }
    }
    Ok(())
}

/// Whether events of `reseller` wait for their numbers ([`crate::sequencer`]; never on
/// SQLite, whose writes number their own).
pub(crate) fn waits_for_number(conn: &mut DbConnection, reseller: Uuid) -> Result<bool> {
    use crate::schema::events_unnumbered as waiting;
    Ok(diesel::select(diesel::dsl::exists(
        waiting::table.filter(waiting::reseller_id.eq(Id(reseller))),
    ))
    .get_result(conn)?)
}

/// The resellers with events committed unnumbered (PostgreSQL; none on SQLite).
pub(crate) fn with_unnumbered(conn: &mut DbConnection) -> Result<Vec<Uuid>> {
    use crate::schema::events_unnumbered as waiting;
    Ok(waiting::table
        .filter(waiting::reseller_id.ne(Id(SENTINEL)))
        .select(waiting::reseller_id)
        .distinct()
        .load::<Id>(conn)?
        .into_iter()
        .map(|id| id.0)
        .collect())
}

/// The reseller id of the row that is in `events_unnumbered` unless a crash of PostgreSQL
/// emptied that unlogged table (migration 000021).
const SENTINEL: Uuid = Uuid::nil();

/// How far before the last check ([`checked`]) [`recover_unnumbered`] looks for events: one
/// committed unnumbered is numbered within milliseconds, or by the next check, unless its
/// transaction ran longer than this before its commit.
const RECOVERY_MARGIN: chrono::Duration = chrono::Duration::minutes(10);

/// If a crash of PostgreSQL emptied `events_unnumbered` (its sentinel row is gone), names
/// there again, in the order they were created, the events it held: those created from a
/// margin before the last check ([`checked`]) to the server's start that have no number.
/// Returns how many. One process does it (the others wait for its `event_numbering` row, and
/// then find the sentinel back). Nothing to do on SQLite.
pub(crate) fn recover_unnumbered(conn: &mut DbConnection) -> Result<usize> {
    use crate::schema::events_unnumbered as waiting;
    use diesel::sql_types::Timestamp;
    let DbConnection::Postgres(pg) = conn else {
        return Ok(0);
    };
    #[derive(QueryableByName)]
    struct Window {
        #[diesel(sql_type = Timestamp)]
        checked_at: NaiveDateTime,
        #[diesel(sql_type = Timestamp)]
        started_at: NaiveDateTime,
    }
    let window: Window = diesel::sql_query(
        "SELECT checked_at, pg_postmaster_start_time() AT TIME ZONE 'UTC' AS started_at \
         FROM event_numbering WHERE id = 1 FOR UPDATE",
    )
    .get_result(pg)?;
    let sentinel = waiting::table
        .filter(waiting::reseller_id.eq(Id(SENTINEL)))
        .count()
        .get_result::<i64>(pg)?;
    if sentinel > 0 {
        return Ok(0);
    }
    let from = first_id_at(from_db_time(window.checked_at) - RECOVERY_MARGIN);
    let to = first_id_at(from_db_time(window.started_at));
    let mut created: Vec<(Id, String, i64)> = Vec::new();
    let mut after = Id(from);
    loop {
        let step: Vec<(Id, String, i64)> = events::table
            .filter(events::id.ge(after))
            .filter(events::id.lt(Id(to)))
            .order(events::id.asc())
            .limit(NUMBERS_PER_READ)
            .select((events::id, events::reseller_id, events::numbered_after))
            .load(pg)?;
        let Some(&(last, _, _)) = step.last() else {
            break;
        };
        let full = step.len() as i64 == NUMBERS_PER_READ;
        created.extend(step.into_iter().filter(|(id, _, _)| *id != last || !full));
        if !full {
            break;
        }
        after = last;
    }
    let mut strays = Vec::new();
    let resellers: std::collections::BTreeSet<&str> =
        created.iter().map(|(_, r, _)| r.as_str()).collect();
    for reseller in resellers {
        let reseller_id = uuid(reseller)?;
        let of_it: Vec<&(Id, String, i64)> =
            created.iter().filter(|(_, r, _)| r == reseller).collect();
        let mut from = of_it.iter().map(|(_, _, n)| *n).min().unwrap_or(0);
        let mut numbered = std::collections::HashSet::new();
        loop {
            let numbers = numbers_after(conn, reseller_id, from, NUMBERS_PER_READ)?;
            let Some(&(last, _)) = numbers.last() else {
                break;
            };
            numbered.extend(numbers.iter().map(|(_, id)| *id));
            from = last;
        }
        strays.extend(
            of_it
                .iter()
                .filter(|(id, _, _)| !numbered.contains(id))
                .map(|(id, _, _)| (Id(reseller_id), *id)),
        );
    }
    let DbConnection::Postgres(pg) = conn else {
        unreachable!("checked above");
    };
    for (reseller_id, event_id) in &strays {
        diesel::insert_into(waiting::table)
            .values((
                waiting::reseller_id.eq(*reseller_id),
                waiting::event_id.eq(*event_id),
            ))
            .execute(pg)?;
    }
    diesel::insert_into(waiting::table)
        .values((
            waiting::reseller_id.eq(Id(SENTINEL)),
            waiting::position.eq(0),
            waiting::event_id.eq(Id(SENTINEL)),
        ))
        .execute(pg)?;
    if !strays.is_empty() {
        log::warn!(
            "{} event(s) committed unnumbered before PostgreSQL restarted named again",
            strays.len()
        );
    }
    Ok(strays.len())
}

/// Notes that every event waiting for a number at `at` has one (see [`recover_unnumbered`]).
pub(crate) fn checked(conn: &mut DbConnection, at: DateTime<Utc>) -> Result<()> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(());
    };
    diesel::sql_query("UPDATE event_numbering SET checked_at = $1 WHERE id = 1")
        .bind::<diesel::sql_types::Timestamp, _>(to_db_time(at))
        .execute(pg)?;
    Ok(())
}

/// The smallest UUIDv7 of time `at`: ids from it on were made at `at` or later.
fn first_id_at(at: DateTime<Utc>) -> Uuid {
    let millis = at.timestamp_millis().max(0) as u64;
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = 0x70;
    Uuid::from_bytes(bytes)
}

/// Of the reseller's events committed unnumbered (none on SQLite, which numbers as it
/// writes), numbers each after `last`, in the order they were committed, moving `last` on,
/// and queues their deliveries. The caller holds the sequence row, whose count of endpoint
/// changes is `endpoints_version`, and stores `last` once it is done.
fn number_waiting(
    conn: &mut DbConnection,
    reseller: Uuid,
    last: &mut i64,
    endpoints_version: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Event>> {
    use crate::schema::events_unnumbered as waiting;
    let DbConnection::Postgres(pg) = conn else {
        return Ok(Vec::new());
    };
    let mut taken: Vec<(i64, Id)> =
        diesel::delete(waiting::table.filter(waiting::reseller_id.eq(Id(reseller))))
            .returning((waiting::position, waiting::event_id))
            .get_results(pg)?;
    if taken.is_empty() {
        return Ok(Vec::new());
    }
    taken.sort_unstable_by_key(|(position, _)| *position);
    let mut rows: std::collections::HashMap<Id, EventRow> = std::collections::HashMap::new();
    for chunk in taken.chunks(crate::database::ROWS_PER_STATEMENT) {
        let ids: Vec<Id> = chunk.iter().map(|(_, id)| *id).collect();
        rows.extend(
            events::table
                .filter(events::id.eq_any(ids))
                .select(EventRow::as_select())
                .load(pg)?
                .into_iter()
                .map(|row| (row.id, row)),
        );
    }
    let mut events = Vec::with_capacity(taken.len());
    for (_, id) in taken {
        // Gone only if purged, which takes numbered events alone.
        let Some(row) = rows.remove(&id) else {
            continue;
        };
        *last += 1;
        events.push(row.into_domain(*last)?);
    }
    let numbers: Vec<NumberRow> = events.iter().map(NumberRow::of).collect();
    per_backend!(conn, numbers, insert_into event_numbers::table);
    queue_numbered(conn, reseller, &events, endpoints_version, now)?;
    Ok(events)
}

/// The active endpoints of a reseller environment as of the count of its endpoint changes
/// the caller read under the sequence row: remembered, or read now.
fn endpoints_at(
    conn: &mut DbConnection,
    reseller: Uuid,
    environment: Environment,
    version: i64,
) -> Result<Arc<Vec<Endpoint>>> {
    match known_endpoints::at(reseller, environment, version) {
        Some(known) => Ok(known.endpoints),
        None => read_endpoints(conn, reseller, environment, version),
    }
}

/// The active endpoints of a reseller environment that this process does not know at
/// `version` (their first append here, or they changed since): read while the write holds
/// the sequence row, so no change slips between the two, and remembered once it commits.
fn read_endpoints(
    conn: &mut DbConnection,
    reseller: Uuid,
    environment: Environment,
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

/// [`append_all`] of one event on PostgreSQL, the shape of nearly every write, in one
/// statement ([`AppendOne`]) with the audit entries waiting. If the reseller's sequence row is
/// free and no event waits for a number, the statement takes the event's number (holding the
/// row to the commit) and queues its deliveries to the endpoints this process remembers; if
/// the endpoints changed since they were remembered, it queues none and says so (its count of
/// endpoint changes is not the one assumed): they are read and queued as usual. Deliveries
/// handed to this process's workers have no row to insert. Otherwise the event is committed
/// unnumbered, and numbered after the commit ([`crate::sequencer`]).
fn append_one_on_postgres(
    conn: &mut DbConnection,
    event: &mut Event,
    now: DateTime<Utc>,
) -> Result<()> {
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
        reseller_uuid: reseller.into(),
        audit,
        assumed_version: remembered.as_ref().map_or(-1, |known| known.version),
        delivery_ids: rows.iter().map(|(id, _)| id.to_string()).collect(),
        endpoint_ids: rows.iter().map(|(_, e)| e.id.to_string()).collect(),
        due: to_db_time(due),
    };
    let (sequence, version, _numbered_after) = match conn {
        DbConnection::Postgres(pg) => {
            statement.get_result::<(Option<i64>, Option<i64>, i64)>(pg)?
        }
        DbConnection::Sqlite(_) => unreachable!("append_all takes this path on PostgreSQL only"),
    };
    audit::inserted(audited);
    let (Some(sequence), Some(version)) = (sequence, version) else {
        crate::sequencer::owe(reseller);
        return Ok(());
    };
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
    Ok(())
}

/// One event appended in one PostgreSQL statement, with the audit entries waiting. When the
/// reseller's sequence row is free (`SKIP LOCKED`: a writer never waits for it here) and no
/// event of the reseller waits for a number, the next number is taken (the row locked until
/// the commit) and the event is numbered, with one delivery per endpoint in `endpoint_ids`
/// inserted only if the reseller's count of endpoint changes is still `assumed_version`.
/// Otherwise the event joins `events_unnumbered`, after the events it may depend on. Returns
/// the number and that count (both NULL when unnumbered) and the event's `numbered_after`. A
/// number is taken by a plain UPDATE: an upsert that finds the row locks it first (`ON
/// CONFLICT DO UPDATE`), a WAL record of its own. Its text is the same whatever the number of
/// deliveries (they are bound as arrays), so diesel prepares it once per connection.
struct AppendOne {
    event: EventRow,
    /// The event's reseller, as `event_numbers` keys it.
    reseller_uuid: Id,
    /// What the transaction's audit log recorded and has not inserted yet: inserted here too.
    audit: audit::Uninserted,
    assumed_version: i64,
    delivery_ids: Vec<String>,
    endpoint_ids: Vec<String>,
    due: NaiveDateTime,
}

crate::database::prepared_on_postgres!(AppendOne);

impl diesel::query_builder::Query for AppendOne {
    type SqlType = (
        diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
        diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
        diesel::sql_types::BigInt,
    );
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for AppendOne {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use crate::sql_types::Uuid;
        use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};
        let e = &self.event;
        out.push_sql("WITH free AS (SELECT reseller_id FROM event_sequences WHERE reseller_id = ");
        bind_list!(out, Text => &e.reseller_id);
        // Checked before the row is locked: a write that leaves its event unnumbered must not
        // hold the row.
        out.push_sql(" AND NOT EXISTS (SELECT 1 FROM events_unnumbered WHERE reseller_id = ");
        bind_list!(out, Uuid => &self.reseller_uuid);
        out.push_sql(
            ") FOR UPDATE SKIP LOCKED), \
             taken AS (UPDATE event_sequences s SET last_value = s.last_value + 1 FROM free \
             WHERE s.reseller_id = free.reseller_id \
             RETURNING s.reseller_id, s.last_value, s.endpoints_version), \
             after AS (SELECT COALESCE((SELECT last_value - 1 FROM taken), \
             (SELECT last_value FROM event_sequences WHERE reseller_id = ",
        );
        bind_list!(out, Text => &e.reseller_id);
        out.push_sql(
            "), 0) AS numbered_after), \
             appended AS (INSERT INTO events (reseller_id, numbered_after, id, environment, \
             event_type, tenant_id, tenant_code_name, payload, created_at, handed_off) \
             SELECT ",
        );
        bind_list!(out, Text => &e.reseller_id);
        out.push_sql(", numbered_after, ");
        bind_list!(
            out,
            Uuid => &e.id,
            Text => &e.environment,
            Text => &e.event_type,
            Nullable<Uuid> => &e.tenant_id,
            Nullable<Text> => &e.tenant_code_name,
            Text => &e.payload,
            Timestamp => &e.created_at
        );
        // An unnumbered event's deliveries are queued by whichever process numbers it, which
        // may hand them off: the sweep checks it.
        out.push_sql(", ");
        bind_list!(out, Bool => &e.handed_off);
        out.push_sql(
            " OR NOT EXISTS (SELECT 1 FROM taken) FROM after), \
             numbered AS (INSERT INTO event_numbers (reseller_id, sequence, event_id) SELECT ",
        );
        bind_list!(out, Uuid => &self.reseller_uuid);
        out.push_sql(", last_value, ");
        bind_list!(out, Uuid => &e.id);
        out.push_sql(
            " FROM taken), \
             waiting AS (INSERT INTO events_unnumbered (reseller_id, event_id) SELECT ",
        );
        bind_list!(out, Uuid => &self.reseller_uuid, Uuid => &e.id);
        out.push_sql(
            " WHERE NOT EXISTS (SELECT 1 FROM taken)), \
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
        out.push_sql(
            ") SELECT (SELECT last_value FROM taken), (SELECT endpoints_version FROM taken), \
             numbered_after FROM after",
        );
        Ok(())
    }
}

/// Locks the reseller's sequence row until the write commits (creating it for the reseller's
/// first event) and returns its last number and its count of endpoint changes
/// ([`known_endpoints`]). Numbers taken under it become visible in their order: that is what
/// keeps the feed gap-free and in commit order.
fn lock_sequence(conn: &mut DbConnection, reseller: Uuid) -> Result<(i64, i64)> {
    use event_sequences::dsl as seq;
    let reseller = reseller.to_string();
    let row = seq::event_sequences
        .filter(seq::reseller_id.eq(&reseller))
        .select((seq::last_value, seq::endpoints_version));
    let read = |conn: &mut DbConnection| -> QueryResult<Option<(i64, i64)>> {
        match conn {
            DbConnection::Postgres(c) => row.for_update().first(c).optional(),
            // The write already holds SQLite's one write lock.
            DbConnection::Sqlite(c) => row.first(c).optional(),
        }
    };
    if let Some(found) = read(conn)? {
        return Ok(found);
    }
    let create = diesel::insert_into(event_sequences::table)
        .values((seq::reseller_id.eq(&reseller), seq::last_value.eq(0)))
        .on_conflict_do_nothing();
    match conn {
        DbConnection::Postgres(c) => create.execute(c)?,
        DbConnection::Sqlite(c) => create.execute(c)?,
    };
    read(conn)?.ok_or(crate::StorageError::NotFound("reseller"))
}

/// Stores the last number taken under [`lock_sequence`].
fn set_last_sequence(conn: &mut DbConnection, reseller: Uuid, last: i64) -> Result<()> {
    use event_sequences::dsl as seq;
    let statement =
        diesel::update(seq::event_sequences.filter(seq::reseller_id.eq(reseller.to_string())))
            .set(seq::last_value.eq(last));
    match conn {
        DbConnection::Postgres(c) => statement.execute(c)?,
        DbConnection::Sqlite(c) => statement.execute(c)?,
    };
    Ok(())
}

/// What the feed lists.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only these types (all when empty).
    pub types: Vec<EventType>,
    /// Only events of the tenant with this codeName.
    pub tenant: Option<String>,
}

/// How many numbers of a feed one read takes: the feed is read in two steps, its numbers
/// (`event_numbers`, by its key) and then their events (`events`, by id), each with one plan
/// that reads what it returns. As one join, PostgreSQL without statistics on the tables (no
/// ANALYZE, as with autovacuum off) hashed the whole of `events` to page the sweep through
/// 2,000 numbers: 55 rows per delivery of the bench's drain after 100,000 deliveries.
const NUMBERS_PER_READ: i64 = crate::database::ROWS_PER_STATEMENT as i64;

/// Up to `limit` numbers of the reseller's feed after `after`, in order, with their events.
pub(crate) fn numbers_after(
    conn: &mut DbConnection,
    reseller: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Id)>> {
    Ok(event_numbers::table
        .filter(event_numbers::reseller_id.eq(Id(reseller)))
        .filter(event_numbers::sequence.gt(after))
        .order(event_numbers::sequence.asc())
        .limit(limit)
        .select((event_numbers::sequence, event_numbers::event_id))
        .load(conn)?)
}

/// The owner's events after sequence `after`, oldest first: the numbered ones (read it through
/// [`crate::Database::read_feed`] to have what waits numbered first).
pub fn list(
    conn: &mut DbConnection,
    owner: &Owner,
    filter: &EventFilter,
    after: i64,
    limit: i64,
) -> Result<Page<Event>> {
    let mut found = Vec::new();
    let mut from = after;
    let step = (limit + 1).clamp(1, NUMBERS_PER_READ);
    'feed: loop {
        let numbers = numbers_after(conn, owner.reseller_id, from, step)?;
        let Some(&(last, _)) = numbers.last() else {
            break;
        };
        from = last;
        let ids: Vec<Id> = numbers.iter().map(|(_, id)| *id).collect();
        let mut query = events::table
            .filter(events::id.eq_any(ids))
            .filter(events::environment.eq(owner.environment.as_str()))
            .into_boxed();
        if !filter.types.is_empty() {
            query =
                query.filter(events::event_type.eq_any(filter.types.iter().map(|t| t.as_str())));
        }
        if let Some(tenant) = &filter.tenant {
            query = query.filter(events::tenant_code_name.eq(tenant.clone()));
        }
        let mut rows: std::collections::HashMap<Id, EventRow> = query
            .select(EventRow::as_select())
            .load::<EventRow>(conn)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        for (sequence, id) in &numbers {
            if let Some(row) = rows.remove(id) {
                found.push(row.into_domain(*sequence)?);
                if found.len() as i64 > limit {
                    break 'feed;
                }
            }
        }
        if (numbers.len() as i64) < step {
            break;
        }
    }
    Ok(Page::from_overfetch(found, limit))
}

/// The owner's event with this id, once it has its number ([`crate::Database::read_feed`]).
pub fn find(conn: &mut DbConnection, owner: &Owner, id: Uuid) -> Result<Event> {
    let not_found = || crate::StorageError::NotFound("event");
    let row = events::table
        .filter(events::id.eq(Id(id)))
        .filter(events::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(events::environment.eq(owner.environment.as_str()))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
    // Its number is the first after `numbered_after` that names it: at once for an event
    // numbered by its own write, a few numbers on for one numbered after its commit.
    let sequence = event_numbers::table
        .filter(event_numbers::reseller_id.eq(Id(owner.reseller_id)))
        .filter(event_numbers::sequence.gt(row.numbered_after))
        .filter(event_numbers::event_id.eq(Id(id)))
        .order(event_numbers::sequence.asc())
        .select(event_numbers::sequence)
        .first::<i64>(conn)
        .optional()?
        .ok_or_else(not_found)?;
    row.into_domain(sequence)
}

/// The reseller's event with this sequence (what a delivery points at).
pub fn by_sequence(conn: &mut DbConnection, reseller_id: Uuid, sequence: i64) -> Result<Event> {
    event_numbers::table
        .inner_join(events::table)
        .filter(event_numbers::reseller_id.eq(Id(reseller_id)))
        .filter(event_numbers::sequence.eq(sequence))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(crate::StorageError::NotFound("event"))?
        .into_domain(sequence)
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
        let reseller = uuid(&reseller)?;
        loop {
            let oldest = numbers_after(conn, reseller, 0, PURGE_STEP)?;
            let ids: Vec<Id> = oldest.iter().map(|(_, id)| *id).collect();
            let created: std::collections::HashMap<Id, NaiveDateTime> = events::table
                .filter(events::id.eq_any(&ids))
                .select((events::id, events::created_at))
                .load(conn)?
                .into_iter()
                .collect();
            // A number whose event is gone (purged with another number) expires with it.
            let expired = oldest
                .iter()
                .take_while(|(_, id)| created.get(id).is_none_or(|at| *at < before))
                .count();
            if expired == 0 {
                break;
            }
            let (last, _) = oldest[expired - 1];
            purged += diesel::delete(events::table.filter(events::id.eq_any(&ids[..expired])))
                .execute(conn)?;
            diesel::delete(
                event_numbers::table
                    .filter(event_numbers::reseller_id.eq(Id(reseller)))
                    .filter(event_numbers::sequence.le(last)),
            )
            .execute(conn)?;
            if expired < PURGE_STEP as usize {
                break;
            }
        }
    }
    Ok(purged)
}
