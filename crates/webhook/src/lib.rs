//! Webhook delivery: workers take due deliveries from the outbox (`webhook_deliveries`), post
//! each event signed as the Standard Webhooks specification says, log the attempt, and retry
//! failures with backoff for about three days before giving up and disabling the endpoint.
//!
//! Delivery is at least once: a delivery is claimed with a lease, so a worker (or process)
//! that dies mid-delivery leaves it to be claimed again when the lease ends; a receiver
//! deduplicates on `webhook-id`, which is the event's id and the same on every attempt.
//! Claims never overlap, also across processes on one PostgreSQL (`FOR UPDATE SKIP LOCKED`).

use chrono::{DateTime, Utc};
use std::collections::hash_map::{Entry, HashMap};
use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};
use tenantry_domain::event::{EventType, NewEvent};
use tenantry_domain::time;
use tenantry_domain::webhook::{next_attempt, Endpoint, UrlPolicy};
use tenantry_storage::handoff::{HandedOff, Handoff};
use tenantry_storage::webhook::{self as store, AfterAttempt, Attempt, Delivery};
use tenantry_storage::{event as events, Database, StorageError, Work};
use uuid::Uuid;

/// How long an endpoint must have failed, with a delivery's retries used up, before the
/// server disables it.
pub const DISABLE_AFTER: chrono::Duration = chrono::Duration::hours(72);

/// How much of an answer's body an attempt log keeps.
const RESPONSE_EXCERPT_BYTES: u64 = 1024;

/// The least time between two commits of outcomes ([`Dispatcher::record`]): the outcomes
/// that come meanwhile wait and share the next. Recording in the moment a worker had
/// outcomes made a commit per delivery or two under a burst on PostgreSQL (0.9 of a write's
/// 3.0 commits). A receiver has its webhook before its outcome waits, so no delivery is
/// later for it; what a crash loses in the window is delivered again (at least once).
const GATHERING: Duration = Duration::from_millis(5);

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which URLs and addresses deliveries may reach.
    pub policy: UrlPolicy,
    /// How long one attempt may take, connecting included.
    pub timeout: Duration,
    /// How long a claimed delivery is a worker's own; past it another worker may take it.
    pub lease: chrono::Duration,
    /// Deliveries one worker claims at once.
    pub batch: i64,
    /// How often an idle worker looks for work that another process queued.
    pub poll: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            policy: UrlPolicy::default(),
            timeout: Duration::from_secs(15),
            lease: chrono::Duration::seconds(60),
            batch: 8,
            poll: Duration::from_secs(1),
        }
    }
}

/// The delivery worker.
pub struct Dispatcher {
    db: Database,
    settings: Settings,
    agent: ureq::Agent,
    /// Deliveries this process has taken out of the queue, made or given up (see
    /// [`store::upkeep`]).
    finished: AtomicU64,
    /// The deliveries this process's writes hand to its workers while they run.
    handoff: Arc<Handoff>,
    /// Outcomes waiting for the worker committing now ([`Dispatcher::record`]).
    unrecorded: Mutex<Vec<Outcome>>,
    /// Held by the worker committing outcomes, with when its last commit ended.
    recording: Mutex<Option<Instant>>,
    /// When this process's workers last swept ([`Dispatcher::sweep`]).
    swept: Mutex<Option<Instant>>,
    /// When this dispatcher was made: a busy process's first sweep is due half a lease on.
    started: Instant,
}

impl Dispatcher {
    pub fn new(db: Database, settings: Settings) -> Dispatcher {
        let policy = settings.policy;
        let agent = ureq::AgentBuilder::new()
            .timeout(settings.timeout)
            // A redirect could lead to an address the policy forbids; the attempt fails instead.
            .redirects(0)
            .user_agent("Tenantry-Webhooks/1")
            // Every address a host name resolves to is checked as the connection is made, so a
            // name that resolves to a private address at delivery time is refused too.
            .resolver(move |addr: &str| -> std::io::Result<Vec<SocketAddr>> {
                let resolved: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
                let allowed: Vec<SocketAddr> = resolved
                    .iter()
                    .copied()
                    .filter(|a| policy.allows_address(a.ip()))
                    .collect();
                if allowed.is_empty() && !resolved.is_empty() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!(
                            "{addr} resolves only to loopback, private or link-local addresses"
                        ),
                    ));
                }
                Ok(allowed)
            })
            .build();
        Dispatcher {
            db,
            agent,
            finished: AtomicU64::new(0),
            handoff: Handoff::new(settings.lease),
            unrecorded: Mutex::default(),
            recording: Mutex::default(),
            swept: Mutex::default(),
            started: Instant::now(),
            settings,
        }
    }

    /// Makes one attempt at each delivery this process's writes handed off or, with none
    /// waiting, at each it claims due at `now`; returns how many attempts were made. Tests
    /// drive retries through `now` instead of waiting.
    ///
    /// A batch costs two transactions whatever its size: the claim, which also reads its
    /// endpoints and events, and one write of its attempts, which other workers' batches
    /// may share ([`Dispatcher::record`]); a batch of hand-offs only the second. An attempt
    /// that could outlast the batch's lease is not started: its delivery is handed back for
    /// any worker to take.
    pub fn run_due(&self, now: DateTime<Utc>) -> Result<usize, StorageError> {
        let batch = match self.handed_off(now) {
            Some(batch) => batch,
            None => self.claim(now)?,
        };
        self.attempt_batch(batch, now)
    }

    /// Attempts a batch and records its outcomes; returns how many attempts were made.
    fn attempt_batch(&self, batch: Batch, now: DateTime<Utc>) -> Result<usize, StorageError> {
        if batch.deliveries.is_empty() && batch.handed_back.is_empty() {
            return Ok(0);
        }
        let Batch {
            deliveries,
            endpoints,
            mut events,
            last_start,
            handed_back,
        } = batch;
        let started = Instant::now();
        let mut outcomes = Vec::with_capacity(deliveries.len() + handed_back.len());
        outcomes.extend(handed_back.into_iter().map(Outcome::HandedBack));
        let mut attempted_any = false;
        for delivery in deliveries {
            let endpoint = endpoints[&delivery.endpoint_id].as_ref();
            let event = events.remove(&delivery.id).flatten();
            // The first attempt is always made, so a batch always makes progress.
            let out_of_time = attempted_any && started.elapsed() > last_start;
            let outcome = match (endpoint.filter(|e| e.active), event) {
                (Some(_), Some(_)) if out_of_time => Outcome::HandedBack(delivery),
                (Some(endpoint), Some(event)) => {
                    attempted_any = true;
                    self.attempt(delivery, endpoint, &event, now)
                }
                // A deleted or deactivated endpoint, or an event past its retention: nothing
                // to send.
                _ => Outcome::Abandoned(delivery),
            };
            outcomes.push(outcome);
        }
        let attempts = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Attempted { .. }))
            .count();
        self.record(outcomes, now)?;
        Ok(attempts)
    }

    /// Records `outcomes` with whatever other workers have waiting, in one transaction: a
    /// group commit. The worker that finds no commit under way writes everything waiting,
    /// and again for what arrived meanwhile, a [`GATHERING`] window after its last commit;
    /// one that finds a commit under way leaves its outcomes to it and goes on delivering.
    /// With a transaction per batch, each delivery cost PostgreSQL a commit of its own (a
    /// hand-off batch is mostly one delivery). An
    /// outcome whose commit fails is lost with it, and its delivery made again: when its
    /// lease ends if it was claimed, when [`store::sweep`] finds it if it was handed off (at
    /// least once).
    fn record(&self, outcomes: Vec<Outcome>, now: DateTime<Utc>) -> Result<(), StorageError> {
        self.unrecorded().extend(outcomes);
        let mut result = Ok(());
        loop {
            let mut recording = match self.recording.try_lock() {
                Ok(guard) => guard,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                // The worker committing now takes ours too, or the one after it.
                Err(TryLockError::WouldBlock) => return result,
            };
            // Commits at most one per gathering window: under load the outcomes of the
            // window share it, and idle, the wait is over before it starts.
            if let Some(left) = recording.and_then(|ended| GATHERING.checked_sub(ended.elapsed())) {
                std::thread::sleep(left);
            }
            let batch = std::mem::take(&mut *self.unrecorded());
            if batch.is_empty() {
                return result;
            }
            let written = match made_hand_offs(&batch) {
                Some(made) => self
                    .db
                    .write_statement(|conn| store::record_made_hand_offs(conn, &made)),
                None => self.db.write(|conn| record(conn, &batch, now)),
            };
            let finished = match written {
                Ok(()) => batch.iter().filter(|o| o.finishes()).count() as u64,
                Err(e) => {
                    result = Err(e);
                    0
                }
            };
            *recording = Some(Instant::now());
            drop(recording);
            // After the lock: the next outcomes commit while the queue is vacuumed.
            self.tidy_after(finished);
            // Outcomes added while this worker committed, by a worker that then found the
            // commit under way: this worker writes them.
            if self.unrecorded().is_empty() {
                return result;
            }
        }
    }

    fn unrecorded(&self) -> std::sync::MutexGuard<'_, Vec<Outcome>> {
        self.unrecorded.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Up to a batch of this process's hand-offs with time left in their lease to attempt
    /// them; `None` when none wait. One with too little left is handed back while its lease
    /// lasts, and left to [`store::sweep`] past it (a sweep may have queued it already).
    fn handed_off(&self, now: DateTime<Utc>) -> Option<Batch> {
        let timeout = chrono::Duration::from_std(self.settings.timeout).unwrap_or_default();
        let handed = self.handoff.take(self.settings.batch.max(1) as usize);
        if handed.is_empty() {
            return None;
        }
        let (usable, short): (Vec<HandedOff>, Vec<HandedOff>) = handed
            .into_iter()
            .partition(|h| h.leased_until - now > timeout);
        let handed_back = short
            .into_iter()
            .filter(|h| h.leased_until > now)
            .map(|h| h.delivery)
            .collect();
        let last_start = usable
            .iter()
            .map(|h| h.leased_until - now - timeout)
            .min()
            .and_then(|left| left.to_std().ok())
            .unwrap_or_default();
        let mut batch = Batch {
            deliveries: Vec::with_capacity(usable.len()),
            endpoints: HashMap::new(),
            events: HashMap::new(),
            last_start,
            handed_back,
        };
        for h in usable {
            batch.endpoints.insert(h.endpoint.id, Some(h.endpoint));
            batch.events.insert(h.delivery.id, Some(h.event));
            batch.deliveries.push(h.delivery);
        }
        Some(batch)
    }

    /// Claims up to a batch of the deliveries due at `now`, reading their endpoints and
    /// events in the same transaction.
    fn claim(&self, now: DateTime<Utc>) -> Result<Batch, StorageError> {
        let lease = self.settings.lease.to_std().unwrap_or_default();
        self.db.write(|conn| {
            let deliveries = store::claim_due(conn, now, self.settings.lease, self.settings.batch)?;
            let mut endpoints: HashMap<Uuid, Option<Endpoint>> = HashMap::new();
            let mut events = HashMap::new();
            for delivery in &deliveries {
                if let Entry::Vacant(e) = endpoints.entry(delivery.endpoint_id) {
                    e.insert(store::endpoint(conn, delivery.endpoint_id)?);
                }
                let event = match events::by_sequence(
                    conn,
                    delivery.reseller_id,
                    delivery.event_sequence,
                ) {
                    Ok(e) => Some(e),
                    Err(StorageError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                };
                events.insert(delivery.id, event);
            }
            Ok(Batch {
                deliveries,
                endpoints,
                events,
                last_start: lease.saturating_sub(self.settings.timeout),
                handed_back: Vec::new(),
            })
        })
    }

    /// Counts `finished` deliveries and runs the queue's upkeep each time the count passes a
    /// multiple of [`store::UPKEEP_EVERY`]. A failed upkeep is logged and tried again at the
    /// next multiple: delivery never waits on it.
    fn tidy_after(&self, finished: u64) {
        let before = self.finished.fetch_add(finished, Ordering::Relaxed);
        if before / store::UPKEEP_EVERY == (before + finished) / store::UPKEEP_EVERY {
            return;
        }
        if let Err(e) = self.db.read(store::upkeep) {
            log::warn!("webhook queue upkeep: {e}");
        }
    }

    /// Queues, due at once, the deliveries that writes handed to a process's workers (this
    /// one's or another's) and that were never recorded, though their lease ended a whole
    /// lease before `now` (an outcome made as the lease ended has had that long to be
    /// recorded; a group commit takes milliseconds): the process died, or the commit of their
    /// outcomes failed. Returns how many. The workers run it every half lease when idle,
    /// every lease at the latest while busy ([`Dispatcher::sweep_if_due`]); tests drive it
    /// through `now`.
    pub fn sweep(&self, now: DateTime<Utc>) -> Result<usize, StorageError> {
        let before = now - self.settings.lease * 2;
        let mut progress = store::SweepProgress::default();
        let mut queued = 0;
        // A step of each endpoint per transaction, so writers wait for one step at most.
        loop {
            let swept = self.db.write(|conn| {
                store::sweep(conn, before, self.settings.lease, now, &mut progress)
            })?;
            queued += swept.queued;
            if !swept.more {
                return Ok(queued);
            }
        }
    }

    /// Sweeps if no worker of this process has for half a lease and this one is `idle` (its
    /// last look found nothing to attempt), or for a whole lease; the one that finds it due
    /// does it. A process's first sweep is due at once if idle, half a lease after its start
    /// if busy: a process started on a backlog delivers it first. A sweep finds only what is
    /// two leases old, so waiting a lease more while deliveries are made loses nothing; run
    /// as a process started, the sweep read the 100,000 events of the writes before it while
    /// it drained the bench's backlog (87 rows per delivery where the same drain on a queue
    /// without that history read 27, and drained 0.89 as fast).
    fn sweep_if_due(&self, idle: bool) {
        {
            let mut swept = match self.swept.try_lock() {
                Ok(guard) => guard,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => return,
            };
            let half_lease = (self.settings.lease / 2).to_std().unwrap_or_default();
            let since_last = swept.map(|at| at.elapsed());
            if !sweep_due(since_last, self.started.elapsed(), half_lease, idle) {
                return;
            }
            *swept = Some(Instant::now());
        }
        match self.sweep(time::now()) {
            Ok(0) => {}
            Ok(n) => log::warn!("webhook sweep: {n} unrecorded hand-off(s) queued again"),
            Err(e) => log::warn!("webhook sweep: {e}"),
        }
    }

    /// Makes every delivery due up to `now`, however many batches that takes.
    pub fn drain(&self, now: DateTime<Utc>) -> Result<usize, StorageError> {
        let mut total = 0;
        loop {
            let made = self.run_due(now)?;
            if made == 0 && self.db.read(|c| store::claimable(c, now))? == 0 {
                return Ok(total);
            }
            total += made;
        }
    }

    /// Makes one attempt and decides what follows it.
    fn attempt(
        &self,
        delivery: Delivery,
        endpoint: &Endpoint,
        event: &tenantry_domain::event::Event,
        claimed_at: DateTime<Utc>,
    ) -> Outcome {
        let body = serde_json::to_vec(event).expect("an event serializes");
        let sent_at = claimed_at.max(time::now());
        let started = Instant::now();
        let (status_code, succeeded, response) =
            self.post(endpoint, &event.id.to_string(), sent_at, &body);
        let latency_ms = started.elapsed().as_millis() as i64;
        let made = delivery.attempts + 1;
        let after = if succeeded {
            AfterAttempt::Delivered
        } else {
            match next_attempt(made, sent_at, rand::random::<f64>()) {
                Some(at) => AfterAttempt::Retry(at),
                None => AfterAttempt::Failed,
            }
        };
        if !succeeded {
            log::info!(
                "webhook {} event {} attempt {made} failed ({}): {response}",
                endpoint.id,
                event.id,
                status_code.map_or("no answer".into(), |s| s.to_string()),
            );
        }
        Outcome::Attempted {
            attempt: Attempt {
                id: Uuid::now_v7(),
                endpoint_id: endpoint.id,
                delivery_id: delivery.id,
                event_id: event.id,
                attempted_at: sent_at,
                status_code,
                latency_ms,
                succeeded,
                response,
            },
            delivery,
            after,
        }
    }

    /// Posts one signed delivery: (status, whether it succeeded, answer excerpt or error).
    fn post(
        &self,
        endpoint: &Endpoint,
        id: &str,
        at: DateTime<Utc>,
        body: &[u8],
    ) -> (Option<u16>, bool, String) {
        let timestamp = at.timestamp();
        let signature = match tenantry_auth::webhook::sign(
            &endpoint.signing_secrets(at),
            id,
            timestamp,
            body,
        ) {
            Ok(s) => s,
            Err(e) => return (None, false, format!("cannot sign: {e}")),
        };
        let request = self
            .agent
            .post(&endpoint.url)
            .set("content-type", "application/json")
            .set("webhook-id", id)
            .set("webhook-timestamp", &timestamp.to_string())
            .set("webhook-signature", &signature);
        let response = match request.send_bytes(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return (None, false, t.to_string()),
        };
        let status = response.status();
        let mut excerpt = Vec::new();
        let _ = response
            .into_reader()
            .take(RESPONSE_EXCERPT_BYTES)
            .read_to_end(&mut excerpt);
        let text = String::from_utf8_lossy(&excerpt).into_owned();
        (Some(status), (200..300).contains(&status), text)
    }

    /// Starts `workers` threads that deliver until [`Workers::stop`]: each wakes when this
    /// process commits an event and polls for other processes' every `poll`. `0` starts none
    /// (a process that leaves delivery to another).
    pub fn spawn(self: Arc<Self>, workers: usize) -> Workers {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..workers)
            .map(|i| {
                let dispatcher = self.clone();
                let stop = stop.clone();
                std::thread::Builder::new()
                    .name(format!("webhook-{i}"))
                    .spawn(move || dispatcher.work(&stop))
                    .expect("spawn a webhook worker")
            })
            .collect::<Vec<_>>();
        if !threads.is_empty() {
            self.db.hand_off_deliveries(Some(self.handoff.clone()));
        }
        Workers {
            stop,
            threads,
            db: self.db.clone(),
            handoff: self.handoff.clone(),
        }
    }

    /// A worker's loop: this process's hand-offs first, the queue in the database when it
    /// may hold something due. That is after `poll` (other processes' deliveries, retries,
    /// hand-offs whose lease ran out), after a commit of this process queued deliveries due
    /// at once (a resend, a write while the hand-off was full or off), and at once again
    /// after a claim that found work. Claiming after every hand-off batch instead made an
    /// empty claim transaction per write on PostgreSQL: 1.4 of its 4.2 commits per write.
    fn work(&self, stop: &AtomicBool) {
        // When the last claim found the queue empty, and the claimable commits counted then.
        let mut found_empty: Option<(Instant, u64)> = None;
        // Whether the last look found nothing to attempt; a worker starts busy.
        let mut idle = false;
        while !stop.load(Ordering::Relaxed) {
            self.sweep_if_due(idle);
            let seen = self.db.queued_commits(Work::Deliveries);
            let now = time::now();
            let made = match self.handed_off(now) {
                Some(batch) => self.attempt_batch(batch, now),
                None => {
                    let claimable = self.db.queued_commits(Work::ClaimableDeliveries);
                    let due = found_empty.is_none_or(|(at, counted)| {
                        at.elapsed() >= self.settings.poll || counted != claimable
                    });
                    if due {
                        let made = self.claim(now).and_then(|b| self.attempt_batch(b, now));
                        found_empty = matches!(made, Ok(0)).then(|| (Instant::now(), claimable));
                        made
                    } else {
                        Ok(0)
                    }
                }
            };
            match made {
                Ok(0) => {}
                Ok(_) => {
                    idle = false;
                    continue;
                }
                Err(e) => log::warn!("webhook delivery: {e}"),
            }
            idle = true;
            // Until the next claim is due; after an error, a whole poll.
            let wait = found_empty.map_or(self.settings.poll, |(at, _)| {
                self.settings.poll.saturating_sub(at.elapsed())
            });
            self.db.wait_for_queued(Work::Deliveries, seen, wait);
        }
    }
}

/// Whether a worker sweeps ([`Dispatcher::sweep_if_due`]): `since_last` the last sweep of its
/// process (`None`: none yet), `since_start` the process's start.
fn sweep_due(
    since_last: Option<Duration>,
    since_start: Duration,
    half_lease: Duration,
    idle: bool,
) -> bool {
    // Never swept: as if it had half a lease before the start.
    let since = since_last.unwrap_or(since_start + half_lease);
    since >= if idle { half_lease } else { half_lease * 2 }
}

/// Deliveries to attempt, with their endpoints (`None`: deleted) and events (`None`: past
/// retention), and how long after the batch starts an attempt may still begin.
struct Batch {
    deliveries: Vec<Delivery>,
    endpoints: HashMap<Uuid, Option<Endpoint>>,
    events: HashMap<Uuid, Option<tenantry_domain::event::Event>>,
    last_start: Duration,
    /// Hand-offs with too little of their lease left to attempt: handed back unattempted.
    handed_back: Vec<Delivery>,
}

/// What became of one delivery taken.
enum Outcome {
    Attempted {
        delivery: Delivery,
        attempt: Attempt,
        after: AfterAttempt,
    },
    /// Its endpoint or event is gone.
    Abandoned(Delivery),
    /// Not attempted, for lack of time left in the lease.
    HandedBack(Delivery),
}

impl Outcome {
    /// Whether its delivery leaves the queue.
    fn finishes(&self) -> bool {
        match self {
            Outcome::Attempted { after, .. } => !matches!(after, AfterAttempt::Retry(_)),
            Outcome::Abandoned(_) => true,
            Outcome::HandedBack(_) => false,
        }
    }
}

/// The attempts of `outcomes` when each made a hand-off (a success, and no queue row to
/// remove): nearly every group commit. Recording them is then one statement
/// ([`store::record_made_hand_offs`]) instead of a transaction of four.
fn made_hand_offs(outcomes: &[Outcome]) -> Option<Vec<&Attempt>> {
    outcomes
        .iter()
        .map(|outcome| match outcome {
            Outcome::Attempted {
                delivery,
                attempt,
                after: AfterAttempt::Delivered,
            } if !delivery.in_queue && attempt.succeeded => Some(attempt),
            _ => None,
        })
        .collect()
}

/// Writes outcomes, and each endpoint's failure record as its attempts leave it.
fn record(
    conn: &mut tenantry_storage::DbConnection,
    outcomes: &[Outcome],
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    // Read in this transaction: a concurrent batch may have changed a failure record.
    let mut current: HashMap<Uuid, Option<Endpoint>> = HashMap::new();
    let mut changed: Vec<Uuid> = Vec::new();
    let attempted: Vec<(&Delivery, &Attempt, AfterAttempt)> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Attempted {
                delivery,
                attempt,
                after,
            } => Some((delivery, attempt, *after)),
            _ => None,
        })
        .collect();
    store::record_attempts(conn, &attempted)?;
    for outcome in outcomes {
        let (attempt, after) = match outcome {
            Outcome::Attempted { attempt, after, .. } => (attempt, *after),
            Outcome::Abandoned(delivery) => {
                store::abandon(conn, delivery)?;
                continue;
            }
            Outcome::HandedBack(delivery) => {
                store::hand_back(conn, delivery, now)?;
                continue;
            }
        };
        let endpoint = match current.entry(attempt.endpoint_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(store::endpoint(conn, attempt.endpoint_id)?),
        };
        let Some(endpoint) = endpoint.as_mut() else {
            continue;
        };
        let before = endpoint.failing_since;
        let since = match (attempt.succeeded, before) {
            (true, _) => None,
            (false, Some(since)) => Some(since),
            (false, None) => Some(attempt.attempted_at),
        };
        endpoint.failing_since = since;
        if since != before && !changed.contains(&endpoint.id) {
            changed.push(endpoint.id);
        }
        let Some(since) = since else {
            continue;
        };
        if after == AfterAttempt::Failed
            && attempt.attempted_at - since >= DISABLE_AFTER
            && endpoint.active
        {
            disable(conn, endpoint, attempt.attempted_at)?;
        }
    }
    for id in changed {
        if let Some(Some(endpoint)) = current.get(&id) {
            store::set_failing_since(conn, id, endpoint.failing_since)?;
        }
    }
    Ok(())
}

/// Disables an endpoint that has failed for [`DISABLE_AFTER`] and says so with a
/// `webhook.disabled` event; the deliveries still waiting for it are dropped.
fn disable(
    conn: &mut tenantry_storage::DbConnection,
    endpoint: &mut Endpoint,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    endpoint.active = false;
    endpoint.disabled_reason = Some(format!(
        "every delivery failed for {} hours",
        DISABLE_AFTER.num_hours()
    ));
    endpoint.updated_at = now;
    store::update(conn, endpoint)?;
    store::cancel_pending(conn, endpoint.id)?;
    log::warn!(
        "webhook endpoint {} disabled: {}",
        endpoint.id,
        endpoint.url
    );
    events::append(
        conn,
        NewEvent {
            kind: EventType::WebhookDisabled,
            reseller_id: endpoint.reseller_id,
            environment: endpoint.environment,
            tenant: None,
            data: serde_json::json!({
                "id": endpoint.id,
                "url": endpoint.url,
                "description": endpoint.description,
                "active": false,
                "disabledReason": endpoint.disabled_reason,
                "failingSince": endpoint.failing_since,
            }),
        },
        now,
    )?;
    Ok(())
}

/// Running delivery workers.
pub struct Workers {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    db: Database,
    handoff: Arc<Handoff>,
}

impl Workers {
    /// Lets each worker finish its current attempt, then stops them. The hand-offs still
    /// waiting are handed back, due at once, for the next start or another process; those
    /// whose lease has ended already are left to [`store::sweep`].
    pub fn stop(self) {
        self.db.hand_off_deliveries(None);
        self.stop.store(true, Ordering::Relaxed);
        self.db.wake_queued_waiters(Work::Deliveries);
        for t in self.threads {
            let _ = t.join();
        }
        let waiting = self.handoff.take_all();
        if waiting.is_empty() {
            return;
        }
        let now = time::now();
        let handed_back = self.db.write(|conn| {
            waiting
                .iter()
                .filter(|h| h.leased_until > now)
                .try_for_each(|h| store::hand_back(conn, &h.delivery, now))
        });
        if let Err(e) = handed_back {
            log::warn!(
                "{} webhook deliveries wait for their lease to end: {e}",
                waiting.len()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sweep_due;
    use std::time::Duration;

    const HALF_LEASE: Duration = Duration::from_secs(30);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_process_sweeps_at_once_when_idle_and_after_half_a_lease_when_busy() {
        assert!(sweep_due(None, secs(0), HALF_LEASE, true));
        assert!(!sweep_due(None, secs(0), HALF_LEASE, false));
        assert!(!sweep_due(None, secs(29), HALF_LEASE, false));
        assert!(sweep_due(None, secs(30), HALF_LEASE, false));
    }

    #[test]
    fn a_sweep_follows_the_last_by_half_a_lease_when_idle_and_a_lease_when_busy() {
        assert!(!sweep_due(Some(secs(29)), secs(600), HALF_LEASE, true));
        assert!(sweep_due(Some(secs(30)), secs(600), HALF_LEASE, true));
        assert!(!sweep_due(Some(secs(59)), secs(600), HALF_LEASE, false));
        assert!(sweep_due(Some(secs(60)), secs(600), HALF_LEASE, false));
    }
}
