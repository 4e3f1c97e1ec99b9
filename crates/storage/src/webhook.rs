//! Webhook endpoints, the deliveries queued for them, and the log of attempts.

use crate::convert::{from_db_time, from_json, parse, to_db_time, to_json, uuid};
use crate::database::{bind_list, per_backend};
use crate::handoff::{self, HandedOff};
use crate::known_endpoints;
use crate::schema::webhook_endpoints as endpoints;
use crate::schema::{webhook_attempts as attempts, webhook_deliveries as deliveries};
use crate::sql_types::Id;
use crate::{DbConnection, Owner, Page, Result, StorageError};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::HashSet;
use tenantry_domain::event::{Event, EventType};
use tenantry_domain::webhook::Endpoint;
use tenantry_domain::Environment;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = endpoints, treat_none_as_null = true)]
struct EndpointRow {
    id: String,
    reseller_id: String,
    environment: String,
    url: String,
    description: String,
    event_types: String,
    active: bool,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<NaiveDateTime>,
    failing_since: Option<NaiveDateTime>,
    disabled_reason: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl EndpointRow {
    fn from_domain(e: &Endpoint) -> Self {
        let types: Vec<&str> = e.event_types.iter().map(|t| t.as_str()).collect();
        EndpointRow {
            id: e.id.to_string(),
            reseller_id: e.reseller_id.to_string(),
            environment: e.environment.to_string(),
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: to_json(&types),
            active: e.active,
            secret: e.secret.clone(),
            previous_secret: e.previous_secret.clone(),
            previous_secret_expires_at: e.previous_secret_expires_at.map(to_db_time),
            failing_since: e.failing_since.map(to_db_time),
            disabled_reason: e.disabled_reason.clone(),
            created_at: to_db_time(e.created_at),
            updated_at: to_db_time(e.updated_at),
        }
    }

    fn into_domain(self) -> Result<Endpoint> {
        let types: Vec<String> = from_json(&self.event_types)?;
        Ok(Endpoint {
            id: uuid(&self.id)?,
            reseller_id: uuid(&self.reseller_id)?,
            environment: parse(&self.environment)?,
            url: self.url,
            description: self.description,
            event_types: types
                .iter()
                .map(|t| parse::<EventType>(t))
                .collect::<Result<_>>()?,
            active: self.active,
            secret: self.secret,
            previous_secret: self.previous_secret,
            previous_secret_expires_at: self.previous_secret_expires_at.map(from_db_time),
            failing_since: self.failing_since.map(from_db_time),
            disabled_reason: self.disabled_reason,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        })
    }
}

/// Stores a new endpoint. It is owed the events appended after it, and [`sweep`] starts there.
pub fn insert(conn: &mut DbConnection, endpoint: &Endpoint) -> Result<()> {
    let last = known_endpoints::changed(conn, &endpoint.reseller_id.to_string())?;
    diesel::insert_into(endpoints::table)
        .values((
            EndpointRow::from_domain(endpoint),
            endpoints::swept_through.eq(last),
        ))
        .execute(conn)?;
    Ok(())
}

/// Saves every field of an endpoint. One made active again is owed only the events appended
/// from then on: [`sweep`] passes over those of the time it was inactive.
pub fn update(conn: &mut DbConnection, endpoint: &Endpoint) -> Result<()> {
    let last = known_endpoints::changed(conn, &endpoint.reseller_id.to_string())?;
    let id = endpoint.id.to_string();
    let row = || endpoints::table.filter(endpoints::id.eq(&id));
    if endpoint.active {
        diesel::update(row().filter(endpoints::active.eq(false)))
            .set(endpoints::swept_through.eq(last))
            .execute(conn)?;
    }
    diesel::update(row())
        .set(EndpointRow::from_domain(endpoint))
        .execute(conn)?;
    Ok(())
}

/// Saves since when an endpoint has been failing (`None`: it is not), as its attempts leave
/// it; nothing an append reads changes, so the appends' memory of it stays good.
pub fn set_failing_since(
    conn: &mut DbConnection,
    endpoint_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<()> {
    diesel::update(endpoints::table.filter(endpoints::id.eq(endpoint_id.to_string())))
        .set(endpoints::failing_since.eq(since.map(to_db_time)))
        .execute(conn)?;
    Ok(())
}

/// Deletes an endpoint with its queued deliveries and its attempt log.
pub fn delete(conn: &mut DbConnection, endpoint: &Endpoint) -> Result<()> {
    known_endpoints::changed(conn, &endpoint.reseller_id.to_string())?;
    let id = endpoint.id.to_string();
    // Its deliveries and attempt log go with it, deleted here: PostgreSQL holds no foreign
    // key from them (see the lean_event_writes migration).
    diesel::delete(deliveries::table.filter(deliveries::endpoint_id.eq(&id))).execute(conn)?;
    diesel::delete(attempts::table.filter(attempts::endpoint_id.eq(Id(endpoint.id))))
        .execute(conn)?;
    diesel::delete(endpoints::table.filter(endpoints::id.eq(&id))).execute(conn)?;
    Ok(())
}

/// The owner's endpoint with this id.
pub fn find(conn: &mut DbConnection, owner: &Owner, id: Uuid) -> Result<Endpoint> {
    endpoints::table
        .filter(endpoints::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(endpoints::environment.eq(owner.environment.as_str()))
        .filter(endpoints::id.eq(id.to_string()))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound("webhook endpoint"))?
        .into_domain()
}

/// The owner's endpoints, oldest first.
pub fn list(conn: &mut DbConnection, owner: &Owner) -> Result<Vec<Endpoint>> {
    endpoints::table
        .filter(endpoints::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(endpoints::environment.eq(owner.environment.as_str()))
        .order((endpoints::created_at.asc(), endpoints::id.asc()))
        .select(EndpointRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EndpointRow::into_domain)
        .collect()
}

/// The endpoints of a reseller's environment that take deliveries now: read by an append
/// whose process does not know them at their current count of changes
/// ([`crate::known_endpoints`]).
pub(crate) fn active_endpoints(
    conn: &mut DbConnection,
    reseller_id: &str,
    environment: Environment,
) -> Result<Vec<Endpoint>> {
    endpoints::table
        .filter(endpoints::reseller_id.eq(reseller_id))
        .filter(endpoints::environment.eq(environment.as_str()))
        .filter(endpoints::active.eq(true))
        .select(EndpointRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EndpointRow::into_domain)
        .collect()
}

/// Queues each of `events` for every one of `active` (see [`active_endpoints`]) that wants it:
/// hands them to this process's workers if this transaction hands off (no row is written:
/// the event is the delivery's record, see [`sweep`]), or inserts them due at once.
pub(crate) fn queue_events(
    conn: &mut DbConnection,
    active: &[Endpoint],
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<()> {
    let due = first_due(now);
    let deliveries: Vec<(Uuid, &Endpoint, &Event)> = events
        .iter()
        .flat_map(|event| {
            active
                .iter()
                .filter(|e| e.wants(event.kind))
                .map(move |endpoint| (Uuid::now_v7(), endpoint, event))
        })
        .collect();
    if deliveries.is_empty() {
        return Ok(());
    }
    if handoff::lease().is_none() {
        let rows: Vec<NewDelivery> = deliveries
            .iter()
            .map(|(id, endpoint, event)| NewDelivery::of(*id, endpoint.id, event, now, due))
            .collect();
        per_backend!(conn, rows, insert_into deliveries::table);
    }
    queued_deliveries(deliveries, due);
    Ok(())
}

/// When a delivery queued now is first due: at once for the claim path, or, when this
/// thread's transaction hands its deliveries off ([`handoff`]), the end of the lease within
/// which this process's workers make its first attempt.
pub(crate) fn first_due(now: DateTime<Utc>) -> DateTime<Utc> {
    handoff::lease().map_or(now, |lease| now + lease)
}

/// After `deliveries` were queued, due at `due` ([`first_due`]): hands them to this
/// process's workers if this transaction hands off (then they have no row), and wakes
/// whichever workers take them once it commits.
pub(crate) fn queued_deliveries<'a>(
    deliveries: impl IntoIterator<Item = (Uuid, &'a Endpoint, &'a Event)>,
    due: DateTime<Utc>,
) {
    let handing_off = handoff::lease().is_some();
    let mut any = false;
    for (id, endpoint, event) in deliveries {
        any = true;
        if handing_off {
            handoff::push(HandedOff {
                delivery: Delivery {
                    id,
                    endpoint_id: endpoint.id,
                    reseller_id: event.reseller_id,
                    event_sequence: event.sequence,
                    attempts: 0,
                    in_queue: false,
                },
                endpoint: endpoint.clone(),
                event: event.clone(),
                leased_until: due,
            });
        }
    }
    if any {
        crate::database::queued(if handing_off {
            crate::Work::Deliveries
        } else {
            crate::Work::ClaimableDeliveries
        });
    }
}

/// A delivery as the queue holds it.
#[derive(Insertable)]
#[diesel(table_name = deliveries)]
struct NewDelivery {
    id: String,
    endpoint_id: String,
    reseller_id: String,
    event_sequence: i64,
    attempts: i64,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

impl NewDelivery {
    fn of(
        id: Uuid,
        endpoint_id: Uuid,
        event: &Event,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> NewDelivery {
        NewDelivery {
            id: id.to_string(),
            endpoint_id: endpoint_id.to_string(),
            reseller_id: event.reseller_id.to_string(),
            event_sequence: event.sequence,
            attempts: 0,
            next_attempt_at: to_db_time(due),
            created_at: to_db_time(now),
        }
    }

    /// A delivery that has no row yet (handed off, or found by [`sweep`]), its attempts made
    /// so far, entering the queue due at `due`.
    fn entering(delivery: &Delivery, due: DateTime<Utc>) -> NewDelivery {
        NewDelivery {
            id: delivery.id.to_string(),
            endpoint_id: delivery.endpoint_id.to_string(),
            reseller_id: delivery.reseller_id.to_string(),
            event_sequence: delivery.event_sequence,
            attempts: delivery.attempts.into(),
            next_attempt_at: to_db_time(due),
            created_at: to_db_time(due),
        }
    }
}

/// Queues one delivery of `event` to an endpoint, due at `now` (a resend uses this too).
pub fn queue(
    conn: &mut DbConnection,
    endpoint_id: Uuid,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(deliveries::table)
        .values(&NewDelivery::of(id, endpoint_id, event, now, now))
        .execute(conn)?;
    crate::database::queued(crate::Work::ClaimableDeliveries);
    Ok(id)
}

/// A delivery a worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub reseller_id: Uuid,
    pub event_sequence: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    /// Whether the queue holds a row for it: a claimed one does; one handed off by the write
    /// that queued it does not, until it is handed back or waits for a retry.
    pub in_queue: bool,
}

/// Claims up to `limit` deliveries due at `now` for one attempt each: their due time moves
/// `lease` ahead, so no other worker takes them meanwhile, and a worker that dies leaves
/// them to be claimed again once the lease ends. On PostgreSQL, `FOR UPDATE SKIP LOCKED`
/// lets workers of several processes claim side by side without waiting on each other; on
/// SQLite the claim runs under the one writer lock. Call inside a write transaction.
pub fn claim_due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Delivery>> {
    type Claimed = (String, String, String, i64, i64);
    let due = deliveries::table
        .filter(deliveries::next_attempt_at.le(to_db_time(now)))
        .order(deliveries::next_attempt_at.asc())
        .limit(limit)
        .select((
            deliveries::id,
            deliveries::endpoint_id,
            deliveries::reseller_id,
            deliveries::event_sequence,
            deliveries::attempts,
        ));
    let rows: Vec<Claimed> = match conn {
        DbConnection::Postgres(c) => due.for_update().skip_locked().load(c)?,
        DbConnection::Sqlite(c) => due.load(c)?,
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)))
        .set(deliveries::next_attempt_at.eq(to_db_time(now + lease)))
        .execute(conn)?;
    rows.into_iter()
        .map(|(id, endpoint_id, reseller_id, event_sequence, attempts)| {
            Ok(Delivery {
                id: uuid(&id)?,
                endpoint_id: uuid(&endpoint_id)?,
                reseller_id: uuid(&reseller_id)?,
                event_sequence,
                attempts: attempts.try_into().unwrap_or(u32::MAX),
                in_queue: true,
            })
        })
        .collect()
}

/// An endpoint by id alone, for the delivery worker (None once deleted).
pub fn endpoint(conn: &mut DbConnection, id: Uuid) -> Result<Option<Endpoint>> {
    endpoints::table
        .filter(endpoints::id.eq(id.to_string()))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()?
        .map(EndpointRow::into_domain)
        .transpose()
}

/// One attempt to deliver, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub delivery_id: Uuid,
    pub event_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status, when an answer came.
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub succeeded: bool,
    /// The start of the answer's body, or what went wrong.
    pub response: String,
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    /// Try again then.
    Retry(DateTime<Utc>),
    /// Attempts used up.
    Failed,
}

/// Logs an attempt at `delivery` and moves it on: a delivery made or given up leaves the
/// queue (the attempt log keeps it), one to retry waits there until `at`.
pub fn record_attempt(
    conn: &mut DbConnection,
    delivery: &Delivery,
    attempt: &Attempt,
    after: AfterAttempt,
) -> Result<()> {
    record_attempts(conn, &[(delivery, attempt, after)])
}

/// [`record_attempt`] for several, their attempts logged in one statement on PostgreSQL (a
/// worker's group commit records a few at a time: a statement each was a round trip each).
pub fn record_attempts(
    conn: &mut DbConnection,
    recorded: &[(&Delivery, &Attempt, AfterAttempt)],
) -> Result<()> {
    insert_attempts(conn, recorded.iter().map(|(_, attempt, _)| *attempt))?;
    for (delivery, _, after) in recorded {
        move_on(conn, delivery, *after)?;
    }
    Ok(())
}

/// Logs the attempts that made hand-offs (deliveries with no queue row, so there is none to
/// remove) and clears their endpoints' failure records: all that a group commit of such
/// successes writes, which is nearly every one. One statement on PostgreSQL, to run with
/// [`crate::Database::write_statement`].
pub fn record_made_hand_offs(conn: &mut DbConnection, made: &[&Attempt]) -> Result<()> {
    debug_assert!(made.iter().all(|a| a.succeeded));
    let mut endpoint_ids: Vec<String> = made.iter().map(|a| a.endpoint_id.to_string()).collect();
    endpoint_ids.sort_unstable();
    endpoint_ids.dedup();
    match conn {
        DbConnection::Postgres(pg) => {
            LogMadeHandOffs {
                attempts: InsertAttempts::of(made.iter().copied()),
                endpoint_ids,
            }
            .execute(pg)?;
        }
        DbConnection::Sqlite(_) => {
            insert_attempts(conn, made.iter().copied())?;
            diesel::update(
                endpoints::table
                    .filter(endpoints::id.eq_any(&endpoint_ids))
                    .filter(endpoints::failing_since.is_not_null()),
            )
            .set(endpoints::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Inserts attempts into the log: one statement on PostgreSQL ([`InsertAttempts`]), row by
/// row on SQLite.
fn insert_attempts<'a>(
    conn: &mut DbConnection,
    attempts: impl ExactSizeIterator<Item = &'a Attempt>,
) -> Result<()> {
    match conn {
        DbConnection::Postgres(pg) => {
            InsertAttempts::of(attempts).execute(pg)?;
        }
        DbConnection::Sqlite(_) => {
            for attempt in attempts {
                diesel::insert_into(attempts::table)
                    .values((
                        attempts::id.eq(Id(attempt.id)),
                        attempts::endpoint_id.eq(Id(attempt.endpoint_id)),
                        attempts::delivery_id.eq(Id(attempt.delivery_id)),
                        attempts::event_id.eq(Id(attempt.event_id)),
                        attempts::attempted_at.eq(to_db_time(attempt.attempted_at)),
                        attempts::status_code.eq(attempt.status_code.map(i32::from)),
                        attempts::latency_ms.eq(attempt.latency_ms),
                        attempts::succeeded.eq(attempt.succeeded),
                        attempts::response.eq(&attempt.response),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// After an attempt: a delivery made or given up leaves the queue, one to retry waits there
/// (entering it if it was handed off).
fn move_on(conn: &mut DbConnection, delivery: &Delivery, after: AfterAttempt) -> Result<()> {
    match after {
        AfterAttempt::Delivered | AfterAttempt::Failed => abandon(conn, delivery),
        AfterAttempt::Retry(at) if !delivery.in_queue => {
            diesel::insert_into(deliveries::table)
                .values(NewDelivery {
                    attempts: i64::from(delivery.attempts) + 1,
                    ..NewDelivery::entering(delivery, at)
                })
                .execute(conn)?;
            Ok(())
        }
        AfterAttempt::Retry(at) => {
            diesel::update(deliveries::table.filter(deliveries::id.eq(delivery.id.to_string())))
                .set((
                    deliveries::attempts.eq(deliveries::attempts + 1_i64),
                    deliveries::next_attempt_at.eq(to_db_time(at)),
                ))
                .execute(conn)?;
            Ok(())
        }
    }
}

/// Attempts inserted as one PostgreSQL statement whose text is the same whatever their
/// number (each column bound as an array and unnested, so no count of bind parameters
/// limits it), prepared once per connection by diesel: a multi-row VALUES list is new text
/// for each row count, parsed and planned every time.
struct InsertAttempts {
    ids: Vec<Id>,
    endpoint_ids: Vec<Id>,
    delivery_ids: Vec<Id>,
    event_ids: Vec<Id>,
    attempted_at: Vec<NaiveDateTime>,
    status_codes: Vec<Option<i32>>,
    latencies_ms: Vec<i64>,
    succeeded: Vec<bool>,
    responses: Vec<String>,
}

impl InsertAttempts {
    fn of<'a>(attempts: impl ExactSizeIterator<Item = &'a Attempt>) -> InsertAttempts {
        let n = attempts.len();
        let mut insert = InsertAttempts {
            ids: Vec::with_capacity(n),
            endpoint_ids: Vec::with_capacity(n),
            delivery_ids: Vec::with_capacity(n),
            event_ids: Vec::with_capacity(n),
            attempted_at: Vec::with_capacity(n),
            status_codes: Vec::with_capacity(n),
            latencies_ms: Vec::with_capacity(n),
            succeeded: Vec::with_capacity(n),
            responses: Vec::with_capacity(n),
        };
        for a in attempts {
            insert.ids.push(Id(a.id));
            insert.endpoint_ids.push(Id(a.endpoint_id));
            insert.delivery_ids.push(Id(a.delivery_id));
            insert.event_ids.push(Id(a.event_id));
            insert.attempted_at.push(to_db_time(a.attempted_at));
            insert.status_codes.push(a.status_code.map(i32::from));
            insert.latencies_ms.push(a.latency_ms);
            insert.succeeded.push(a.succeeded);
            insert.responses.push(a.response.clone());
        }
        insert
    }
}

crate::database::prepared_on_postgres!(InsertAttempts);

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for InsertAttempts {
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        self.push(out)
    }
}

impl InsertAttempts {
    fn push<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use crate::sql_types::Uuid;
        use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamp};
        out.push_sql(
            "INSERT INTO webhook_attempts (id, endpoint_id, delivery_id, event_id, \
             attempted_at, status_code, latency_ms, succeeded, response) SELECT * FROM unnest(",
        );
        bind_list!(
            out,
            Array<Uuid> => &self.ids,
            Array<Uuid> => &self.endpoint_ids,
            Array<Uuid> => &self.delivery_ids,
            Array<Uuid> => &self.event_ids,
            Array<Timestamp> => &self.attempted_at,
            Array<Nullable<Integer>> => &self.status_codes,
            Array<BigInt> => &self.latencies_ms,
            Array<Bool> => &self.succeeded,
            Array<Text> => &self.responses,
        );
        out.push_sql(")");
        Ok(())
    }
}

/// [`record_made_hand_offs`] on PostgreSQL: the attempts inserted ([`InsertAttempts`]) and
/// their endpoints' failure records cleared, where set, in one statement.
struct LogMadeHandOffs {
    attempts: InsertAttempts,
    endpoint_ids: Vec<String>,
}

crate::database::prepared_on_postgres!(LogMadeHandOffs);

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for LogMadeHandOffs {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, Text};
        out.push_sql("WITH logged AS (");
        self.attempts.push(out.reborrow())?;
        out.push_sql(
            ") UPDATE webhook_endpoints SET failing_since = NULL \
             WHERE failing_since IS NOT NULL AND id = ANY(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.endpoint_ids)?;
        out.push_sql(")");
        Ok(())
    }
}

/// Hands a delivery back unattempted: due at `at`, for any worker to claim. A handed-off one
/// enters the queue here; call it only while its lease lasts (past it, [`sweep`] queues it).
pub fn hand_back(conn: &mut DbConnection, delivery: &Delivery, at: DateTime<Utc>) -> Result<()> {
    if delivery.in_queue {
        diesel::update(deliveries::table.filter(deliveries::id.eq(delivery.id.to_string())))
            .set(deliveries::next_attempt_at.eq(to_db_time(at)))
            .execute(conn)?;
    } else {
        diesel::insert_into(deliveries::table)
            .values(NewDelivery::entering(delivery, at))
            .execute(conn)?;
    }
    crate::database::queued(crate::Work::ClaimableDeliveries);
    Ok(())
}

/// Ends a delivery: made, given up, or not to be made (its endpoint or event is gone, and no
/// attempt is logged). It leaves the queue, if it is there.
pub fn abandon(conn: &mut DbConnection, delivery: &Delivery) -> Result<()> {
    if delivery.in_queue {
        diesel::delete(deliveries::table.filter(deliveries::id.eq(delivery.id.to_string())))
            .execute(conn)?;
    }
    Ok(())
}

/// Drops the endpoint's deliveries still waiting (when the server disables it).
pub fn cancel_pending(conn: &mut DbConnection, endpoint_id: Uuid) -> Result<usize> {
    Ok(diesel::delete(
        deliveries::table.filter(deliveries::endpoint_id.eq(endpoint_id.to_string())),
    )
    .execute(conn)?)
}

/// How many deliveries are due at `now` and not claimed by a worker.
pub fn claimable(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<i64> {
    Ok(deliveries::table
        .filter(deliveries::next_attempt_at.le(to_db_time(now)))
        .count()
        .get_result(conn)?)
}

/// How many deliveries wait in the queue, due or not.
pub fn queued(conn: &mut DbConnection) -> Result<i64> {
    Ok(deliveries::table.count().get_result(conn)?)
}

/// How many of an endpoint's events one step of [`sweep`] reads. A sweep stops at the first
/// event too young to sweep, but it reads the whole step that event is in; the events of the
/// last two leases always lie beyond what it sweeps, so a larger step mostly reads them for
/// nothing. At 100,000 a process starting just after 100,000 deliveries read all of them on
/// its first sweep (50 rows per delivery of the 2,000-event drain it made next); at 2,000 a
/// sweep reads at most that many in vain, and one of 30 s of events at 1,000 a second takes
/// 15 steps.
const SWEEP_STEP: i64 = 2_000;

/// One event as [`sweep`] reads it.
#[derive(Queryable)]
struct SweptEvent {
    sequence: i64,
    id: Id,
    event_type: String,
    created_at: NaiveDateTime,
    handed_off: bool,
}

/// Queues, due at `now`, each delivery handed to a process's own workers
/// ([`crate::handoff`]) by an event appended before `before` that neither the attempt log nor
/// the queue holds, and returns how many: the process stopped before recording it (it died,
/// or the commit of its outcome failed). `lease` is the hand-offs' lease: a worker attempts a
/// hand-off only within it, and hands back (queues) within it what it cannot attempt; pass a
/// `before` at least a lease further back, so what a running process was handed is recorded.
///
/// Each active endpoint is swept from the event after the last one swept, in sequence order,
/// to the first event not yet older than `before`. A feed's events become visible in sequence
/// order, so none is passed over unseen. Only the events whose deliveries were handed off are
/// checked: a delivery queued as a row is never lost. Endpoints another process is sweeping
/// are skipped.
///
/// One call sweeps one step ([`SWEEP_STEP`] events) of each endpoint and says whether any has
/// more to sweep: call it again, each in a write transaction of its own, until none has. One
/// transaction for a whole catch-up held SQLite's write lock, and every writer with it, for
/// as long as it read. `progress` carries what the steps have read from one to the next.
pub fn sweep(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
    lease: Duration,
    now: DateTime<Utc>,
    progress: &mut SweepProgress,
) -> Result<Swept> {
    use crate::schema::events;
    macro_rules! active {
        () => {
            endpoints::table
                .filter(endpoints::active.eq(true))
                .select((EndpointRow::as_select(), endpoints::swept_through))
        };
    }
    let active: Vec<(EndpointRow, i64)> = match conn {
        DbConnection::Postgres(c) => active!().for_update().skip_locked().load(c)?,
        DbConnection::Sqlite(c) => active!().load(c)?,
    };
    let before = to_db_time(before);
    let mut swept_now = Swept::default();
    for (row, swept) in active {
        let endpoint = row.into_domain()?;
        let attempts = progress.attempts.entry(endpoint.id).or_default();
        let read: Vec<SweptEvent> = events::table
            .filter(events::reseller_id.eq(endpoint.reseller_id.to_string()))
            .filter(events::environment.eq(endpoint.environment.as_str()))
            .filter(events::sequence.gt(swept))
            .order(events::sequence.asc())
            .limit(SWEEP_STEP)
            .select((
                events::sequence,
                events::id,
                events::event_type,
                events::created_at,
                events::handed_off,
            ))
            .load(conn)?;
        let old = read.iter().take_while(|e| e.created_at < before).count();
        let Some(last) = read[..old].last().map(|e| e.sequence) else {
            continue;
        };
        let owed: Vec<&SweptEvent> = read[..old]
            .iter()
            .filter(|e| {
                e.handed_off
                    && e.event_type
                        .parse::<EventType>()
                        .is_ok_and(|kind| endpoint.wants(kind))
            })
            .collect();
        swept_now.queued += queue_unaccounted(conn, &endpoint, &owed, attempts, lease, now)?;
        diesel::update(endpoints::table.filter(endpoints::id.eq(endpoint.id.to_string())))
            .set(endpoints::swept_through.eq(last))
            .execute(conn)?;
        // A whole step, all old enough: what follows it may be too.
        swept_now.more |= old == read.len() && read.len() == SWEEP_STEP as usize;
    }
    if swept_now.queued > 0 {
        crate::database::queued(crate::Work::ClaimableDeliveries);
    }
    Ok(swept_now)
}

/// What one call of [`sweep`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Deliveries queued.
    pub queued: usize,
    /// Whether an endpoint has more to sweep.
    pub more: bool,
}

/// What the calls of one [`sweep`] carry from step to step: the attempts each endpoint's
/// steps have read.
#[derive(Default)]
pub struct SweepProgress {
    attempts: std::collections::HashMap<Uuid, AttemptsRead>,
}

/// The attempts at an endpoint's events one [`sweep`] has read so far: their event ids, and
/// the times they were read for. A step's window reaches a lease past its last event, so
/// consecutive steps' windows overlap: each step reads only where its window goes past what
/// the steps before it read (reading each whole window read all the attempts of a lease
/// again at every step of 2,000 events, 162 rows per delivery on the bench's drain after
/// 100,000 deliveries).
#[derive(Default)]
struct AttemptsRead {
    events: HashSet<Id>,
    window: Option<(NaiveDateTime, NaiveDateTime)>,
}

impl AttemptsRead {
    /// Makes sure the attempts made from `from` to `to` are read.
    fn cover(
        &mut self,
        conn: &mut DbConnection,
        endpoint: Uuid,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<()> {
        let unread = match self.window {
            // An event a moment older than the window's start (a feed is in commit order,
            // not quite creation order) is left to the lookup by event.
            Some((start, end)) if from >= start || to <= end => (end.max(from), to),
            _ => (from, to),
        };
        if unread.0 < unread.1 {
            self.events.extend(
                attempts::table
                    .filter(attempts::endpoint_id.eq(Id(endpoint)))
                    .filter(attempts::attempted_at.between(unread.0, unread.1))
                    .select(attempts::event_id)
                    .load::<Id>(conn)?,
            );
        }
        // What was read is one stretch of time: a gap after the old window starts a new one.
        self.window = Some(match self.window {
            Some((start, end)) if unread.0 <= end => (start.min(unread.0), end.max(unread.1)),
            _ => unread,
        });
        Ok(())
    }
}

/// Of the handed-off events `owed` to `endpoint`, queues due at `now` those it has neither a
/// delivery waiting for nor an attempt at; returns how many. The queue is read before the
/// attempt log: a delivery recorded in between left the first for the second. A hand-off is
/// attempted within its `lease`, so the attempts read are those from the first event's
/// appending to a lease after the last's (what `attempts` has not read yet); one handed back
/// and made later, or recorded after `attempts` read its time, is looked up by its event, for
/// the few events left.
fn queue_unaccounted(
    conn: &mut DbConnection,
    endpoint: &Endpoint,
    owed: &[&SweptEvent],
    attempts_read: &mut AttemptsRead,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<usize> {
    let (Some(first), Some(last)) = (owed.first(), owed.last()) else {
        return Ok(0);
    };
    let waiting: HashSet<i64> = deliveries::table
        .filter(deliveries::endpoint_id.eq(endpoint.id.to_string()))
        .filter(deliveries::event_sequence.between(first.sequence, last.sequence))
        .select(deliveries::event_sequence)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let mut left: Vec<&SweptEvent> = owed
        .iter()
        .copied()
        .filter(|e| !waiting.contains(&e.sequence))
        .collect();
    // An event is appended before its attempts.
    let earliest = |events: &[&SweptEvent]| events.iter().map(|e| e.created_at).min();
    let latest = owed.iter().map(|e| e.created_at).max();
    if let (Some(from), Some(to)) = (earliest(&left), latest) {
        attempts_read.cover(conn, endpoint.id, from, to + lease)?;
        left.retain(|e| !attempts_read.events.contains(&e.id));
    }
    let mut attempted_later: HashSet<Id> = HashSet::new();
    for chunk in left.chunks(crate::database::ROWS_PER_STATEMENT) {
        let ids: Vec<Id> = chunk.iter().map(|e| e.id).collect();
        attempted_later.extend(
            attempts::table
                .filter(attempts::endpoint_id.eq(Id(endpoint.id)))
                .filter(attempts::attempted_at.ge(earliest(chunk).unwrap_or(first.created_at)))
                .filter(attempts::event_id.eq_any(&ids))
                .select(attempts::event_id)
                .load::<Id>(conn)?,
        );
    }
    left.retain(|e| !attempted_later.contains(&e.id));
    if left.is_empty() {
        return Ok(0);
    }
    log::warn!(
        "webhook endpoint {}: {} delivery(ies) handed to a process that stopped before \
         recording them queued again",
        endpoint.id,
        left.len()
    );
    let rows: Vec<NewDelivery> = left
        .iter()
        .map(|e| {
            let found = Delivery {
                id: Uuid::now_v7(),
                endpoint_id: endpoint.id,
                reseller_id: endpoint.reseller_id,
                event_sequence: e.sequence,
                attempts: 0,
                in_queue: false,
            };
            NewDelivery::entering(&found, now)
        })
        .collect();
    per_backend!(conn, rows, insert_into deliveries::table);
    Ok(rows.len())
}

/// Clears what the queue's finished deliveries left behind. On PostgreSQL each claim, retry
/// and removal leaves a dead row version and dead index entries; nothing removes them but
/// VACUUM, and a claim walks the dead entries at the front of the due index to reach the
/// first live one, so without it claiming costs more with every delivery ever made. The
/// worker calls this every [`UPKEEP_EVERY`] finished deliveries; the queue holds only
/// waiting rows, so it stays cheap whether autovacuum runs or not. It does not truncate the
/// table's empty tail (`vacuum_truncate = false`, migration 000015): that waited for a lock
/// the claims hold, and the next burst extended the file again. SQLite frees a deleted row's
/// space at once: nothing to do. Call outside a transaction.
pub fn upkeep(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Postgres(c) = conn {
        // SKIP_LOCKED: another worker already at it is enough.
        diesel::sql_query("VACUUM (SKIP_LOCKED) webhook_deliveries").execute(c)?;
    }
    Ok(())
}

/// Finished deliveries between two calls of [`upkeep`].
pub const UPKEEP_EVERY: u64 = 1_000;

#[derive(Queryable, Selectable)]
#[diesel(table_name = attempts)]
struct AttemptRow {
    id: Id,
    endpoint_id: Id,
    delivery_id: Id,
    event_id: Id,
    attempted_at: NaiveDateTime,
    status_code: Option<i32>,
    latency_ms: i64,
    succeeded: bool,
    response: String,
}

/// Where a page of attempts starts: before this (attemptedAt, id).
pub type AttemptCursor = (DateTime<Utc>, Uuid);

/// The endpoint's attempts, newest first.
pub fn attempts(
    conn: &mut DbConnection,
    endpoint_id: Uuid,
    before: Option<AttemptCursor>,
    limit: i64,
) -> Result<Page<Attempt>> {
    let mut query = attempts::table
        .filter(attempts::endpoint_id.eq(Id(endpoint_id)))
        .into_boxed();
    if let Some((at, id)) = before {
        let at = to_db_time(at);
        query = query.filter(
            attempts::attempted_at
                .lt(at)
                .or(attempts::attempted_at.eq(at).and(attempts::id.lt(Id(id)))),
        );
    }
    let rows = query
        .order((attempts::attempted_at.desc(), attempts::id.desc()))
        .limit(limit + 1)
        .select(AttemptRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| {
            Ok(Attempt {
                id: r.id.0,
                endpoint_id: r.endpoint_id.0,
                delivery_id: r.delivery_id.0,
                event_id: r.event_id.0,
                attempted_at: from_db_time(r.attempted_at),
                status_code: r.status_code.and_then(|s| u16::try_from(s).ok()),
                latency_ms: r.latency_ms,
                succeeded: r.succeeded,
                response: r.response,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, limit))
}
