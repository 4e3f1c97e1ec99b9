//! Recording every write request of either surface in the audit log: who (principal and
//! credential), what (operation and path), which tenant, when, the request id and the outcome.
//! The authentication extractors name the actor as soon as the credential checks out, so a
//! request refused after that (a missing scope, the rate limit, a bad body) is recorded too.
//!
//! A write's event is committed before its response leaves, so an acknowledged write is never
//! missing from the log, even when the process is killed right after answering. The middleware
//! queues the event and waits (asynchronously) for the writer thread, which commits whatever is
//! queued in one transaction: a group commit, so concurrent writers share audit transactions
//! instead of each taking SQLite's writer lock a second time (one transaction per event halved
//! SQLite's onboarding throughput).
//!
//! A handler whose extractor hands it an [`AuditEntry`] writes the entry in the write's own
//! transaction instead ([`AuditEntry::write`]): the answer then waits for one commit, not two,
//! and the entry commits with the change or not at all. The middleware records nothing more
//! for such a request when it is answered with the status the entry says; any other answer (a
//! refusal, whose transaction rolled the entry back; a failed commit) is recorded by the
//! middleware, as every other request is.

use crate::Acting;
use crate::{current_request_id, AppState, REPLAYED_HEADER};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tenantry_auth::{ResellerPrincipal, TenantAccess, TenantPrincipal};
use tenantry_domain::audit::{AuditEvent, Outcome};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::Environment;
use tenantry_storage::{audit, Database, DbConnection, StorageError};
use tokio::sync::oneshot;
use uuid::Uuid;

/// How long the writer waits for events before retrying those a failed commit left queued.
const IDLE_WAIT: Duration = Duration::from_millis(200);
/// How long a response waits for its event's commit before it is sent anyway (the writer
/// logs why): longer than the pool's wait for a connection, so only a stuck writer hits it.
const COMMIT_WAIT: Duration = Duration::from_secs(15);
/// Queued events beyond this (the database has been unreachable for a while) are dropped,
/// oldest first, with an error in the log, rather than exhausting memory.
const MAX_QUEUED: usize = 100_000;

/// The audit log's writer: a queue and a thread that commits it to the database.
pub struct AuditLog {
    inner: Arc<Queue>,
    /// Joined when the log is dropped, after it wrote what was queued: no thread is still
    /// using the database when the process exits.
    writer: Option<JoinHandle<()>>,
}

/// An event and the request waiting for its commit (none once a failed commit released it).
struct Queued {
    event: AuditEvent,
    committed: Option<oneshot::Sender<()>>,
}

struct Queue {
    db: Database,
    pending: Mutex<Vec<Queued>>,
    arrived: Condvar,
    /// Set when the log is dropped: the writer commits what is queued and ends.
    stopping: AtomicBool,
    /// Held for a whole flush, so a flush that returns has seen every earlier batch
    /// committed: a caller flushing while the writer thread is mid-batch waits for it.
    flushing: Mutex<()>,
    /// Events the database refused on their own (see [`AuditLog::quarantined`]).
    quarantined: AtomicU64,
    /// Events queued since the start (see [`AuditLog::queued`]).
    queued: AtomicU64,
}

impl AuditLog {
    /// Starts the writer thread; it ends when the log is dropped.
    pub fn new(db: Database) -> Self {
        let inner = Arc::new(Queue {
            db,
            pending: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            stopping: AtomicBool::new(false),
            flushing: Mutex::new(()),
            quarantined: AtomicU64::new(0),
            queued: AtomicU64::new(0),
        });
        let queue = inner.clone();
        let writer = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || loop {
                let stopping = queue.wait_for_events();
                if let Err(e) = queue.flush() {
                    log::error!("could not write audit events (will retry): {e}");
                    if stopping {
                        break;
                    }
                    std::thread::sleep(IDLE_WAIT);
                } else if stopping {
                    break;
                }
            })
            .expect("spawn the audit writer");
        AuditLog {
            inner,
            writer: Some(writer),
        }
    }

    /// Queues one event; the receiver completes when it is committed, or fails when the
    /// commit did (the event stays queued for the next attempt).
    pub fn record(&self, event: AuditEvent) -> oneshot::Receiver<()> {
        let (committed, receiver) = oneshot::channel();
        self.inner.queued.fetch_add(1, Ordering::Relaxed);
        self.inner.lock().push(Queued {
            event,
            committed: Some(committed),
        });
        self.inner.arrived.notify_one();
        receiver
    }

    /// Writes every queued event now; returns how many were committed.
    pub fn flush(&self) -> Result<usize, StorageError> {
        self.inner.flush()
    }

    /// How many events the database refused on their own since the start (a value it cannot
    /// store, say), each logged with its request id and not retried.
    pub fn quarantined(&self) -> u64 {
        self.inner.quarantined.load(Ordering::Relaxed)
    }

    /// How many events were queued for this writer since the start; a request whose handler
    /// wrote its entry in its own transaction ([`AuditEntry`]) queued none.
    pub fn queued(&self) -> u64 {
        self.inner.queued.load(Ordering::Relaxed)
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        {
            // Under the queue's lock, so the writer cannot miss the wake-up.
            let _pending = self.inner.lock();
            self.inner.stopping.store(true, Ordering::Release);
            self.inner.arrived.notify_all();
        }
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for events (or for a while, to retry what a failed commit left); true once the
    /// log is being dropped.
    fn wait_for_events(&self) -> bool {
        let pending = self.lock();
        if pending.is_empty() && !self.stopping.load(Ordering::Acquire) {
            let _ = self.arrived.wait_timeout(pending, IDLE_WAIT);
        }
        self.stopping.load(Ordering::Acquire)
    }

    fn flush(&self) -> Result<usize, StorageError> {
        let _flushing = self.flushing.lock().unwrap_or_else(|e| e.into_inner());
        let batch = std::mem::take(&mut *self.lock());
        if batch.is_empty() {
            return Ok(0);
        }
        let outcome = self.db.write_batch(batch, |conn, queued| {
            queued
                .iter()
                .try_for_each(|queued| audit::insert(conn, &queued.event))
        });
        let written = outcome.written.len();
        for queued in outcome.written {
            if let Some(committed) = queued.committed {
                let _ = committed.send(());
            }
        }
        // An event the database refuses on its own would fail every batch it is in: it is
        // set aside (logged in full, counted) and its request answered, so the other
        // requests' events keep being committed.
        for (queued, e) in outcome.rejected {
            self.quarantined.fetch_add(1, Ordering::Relaxed);
            log::error!(
                "audit event of request {} quarantined: the database refused it ({e}): {:?}",
                queued.event.request_id,
                queued.event
            );
        }
        let Some(e) = outcome.error else {
            return Ok(written);
        };
        // The database is unreachable: the requests go on (their own work is done and
        // logged); their events are put back in front of what arrived meanwhile.
        let retry = outcome.unwritten.into_iter().map(|q| Queued {
            event: q.event,
            committed: None,
        });
        let mut pending = self.lock();
        let newer = std::mem::replace(&mut *pending, retry.collect());
        pending.extend(newer);
        if pending.len() > MAX_QUEUED {
            let dropped = pending.len() - MAX_QUEUED;
            pending.drain(..dropped);
            log::error!("dropped {dropped} audit event(s): the database is unreachable");
        }
        Err(e)
    }
}

/// Who a request acts as; set on the request by the authentication extractors.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) reseller_id: Uuid,
    pub(crate) environment: Environment,
    /// The tenant's codeName, when the request named one.
    tenant: Option<String>,
    /// Who, as the use cases name them.
    who: tenantry_domain::audit::Actor,
    pub(crate) surface: &'static str,
    /// The tenant user a Tenant API request signed in as, if any.
    pub(crate) tenant_user: Option<String>,
    /// The API connection a Tenant API request came through, if any.
    pub(crate) connection: Option<String>,
    /// Whether the request counts in usage analytics: API calls do, the portal's page views
    /// (audited all the same) do not.
    pub(crate) metered: bool,
}

impl Actor {
    pub(crate) fn of_reseller(p: &ResellerPrincipal, tenant: Option<String>) -> Actor {
        Actor {
            reseller_id: p.reseller.id,
            environment: p.environment,
            tenant,
            who: p.actor(),
            surface: "reseller",
            tenant_user: None,
            connection: None,
            metered: true,
        }
    }

    pub(crate) fn of_tenant(p: &TenantPrincipal) -> Actor {
        let (tenant_user, connection) = match &p.access {
            TenantAccess::ConnectionUser {
                user_id,
                connection_id,
                ..
            } => (Some(user_id.to_string()), Some(connection_id.clone())),
            TenantAccess::TenantToken { connection_id } => (None, Some(connection_id.clone())),
            TenantAccess::Reseller { .. } => (None, None),
        };
        Actor {
            reseller_id: p.tenant.reseller_id,
            environment: p.tenant.environment,
            tenant: Some(p.tenant.code_name.clone()),
            who: p.actor(),
            surface: "tenant",
            tenant_user,
            connection,
            metered: true,
        }
    }

    /// The tenant the request was about: the one it named or, for a created tenant, the one
    /// its `Location` names (the request could not name it).
    pub(crate) fn tenant_of(&self, headers: &header::HeaderMap) -> Option<String> {
        self.tenant.clone().or_else(|| {
            headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| l.strip_prefix("/reseller/tenant/"))
                .filter(|rest| !rest.is_empty() && !rest.contains('/'))
                .map(str::to_owned)
        })
    }

    /// A portal request, signed in as a tenant user by its session: audited like a Tenant API
    /// request of that user.
    pub(crate) fn of_portal_user(tenant: &Tenant, user_id: Uuid) -> Actor {
        Actor {
            reseller_id: tenant.reseller_id,
            environment: tenant.environment,
            tenant: Some(tenant.code_name.clone()),
            who: tenantry_domain::audit::Actor::TenantUser(user_id),
            surface: "tenant",
            tenant_user: Some(user_id.to_string()),
            connection: None,
            metered: false,
        }
    }

    pub(crate) fn attach(self, req: &HttpRequest) {
        req.extensions_mut().insert(self);
    }
}

/// Names the tenant user a portal session signed in as the actor of `req`, so the audit
/// middleware records the request's writes in the reseller's audit log as that user's.
pub fn audit_as_portal_user(req: &HttpRequest, tenant: &Tenant, user_id: Uuid) {
    Actor::of_portal_user(tenant, user_id).attach(req);
}

/// A write request's audit entry, for its handler to write in the write's own transaction;
/// handed out by the extractors of handlers that do ([`crate::AuditedReseller`],
/// [`crate::AuditedTenant`]).
#[derive(Debug)]
pub struct AuditEntry {
    /// Everything but the outcome; `None` when the request names no actor (it is then
    /// recorded by no one, as the middleware records no such request).
    draft: Option<EntryDraft>,
    /// The status the entry was written with, 0 until it is; what the middleware reads.
    written: Arc<AtomicU16>,
}

#[derive(Debug)]
struct EntryDraft {
    actor: Actor,
    operation: String,
    method: String,
    path: String,
    request_id: String,
}

/// On a request whose entry its handler writes: the status written, read by the middleware.
struct WrittenInTransaction(Arc<AtomicU16>);

impl AuditEntry {
    /// The entry of `req`, once its authentication extractor has named the actor.
    pub(crate) fn of(req: &HttpRequest) -> AuditEntry {
        let written = Arc::new(AtomicU16::new(0));
        let actor = req.extensions().get::<Actor>().cloned();
        let draft = actor.map(|actor| {
            req.extensions_mut()
                .insert(WrittenInTransaction(written.clone()));
            EntryDraft {
                actor,
                operation: operation(req),
                method: req.method().to_string(),
                path: req.path().to_owned(),
                request_id: current_request_id().unwrap_or_default(),
            }
        });
        AuditEntry { draft, written }
    }

    /// Writes the entry of this request as answered `status` in `conn`'s transaction: a
    /// success, since the entry commits only if the write does (a refusal rolls it back, and
    /// the middleware records the refusal). On PostgreSQL the entry is inserted by the
    /// statement that appends the write's event, or before the commit if it appends none
    /// ([`audit::record`]): a round trip fewer per write. Write it first, before the use
    /// case, so the append finds it.
    pub fn write(&self, conn: &mut DbConnection, status: StatusCode) -> Result<(), StorageError> {
        self.write_entry(conn, status, None)
    }

    /// [`AuditEntry::write`] for a request about `tenant`, which it could not name (it
    /// created the tenant): written after the use case, which made the tenant's codeName.
    pub fn write_about(
        &self,
        conn: &mut DbConnection,
        status: StatusCode,
        tenant: &str,
    ) -> Result<(), StorageError> {
        self.write_entry(conn, status, Some(tenant))
    }

    fn write_entry(
        &self,
        conn: &mut DbConnection,
        status: StatusCode,
        tenant: Option<&str>,
    ) -> Result<(), StorageError> {
        debug_assert!(
            status.is_success(),
            "only a committed write writes its entry"
        );
        let Some(draft) = &self.draft else {
            return Ok(());
        };
        let actor = &draft.actor;
        let status = status.as_u16();
        audit::record(
            conn,
            &AuditEvent {
                id: Uuid::now_v7(),
                reseller_id: actor.reseller_id,
                environment: actor.environment,
                tenant: actor.tenant.clone().or(tenant.map(str::to_owned)),
                actor_type: actor.who.kind(),
                actor_id: actor.who.id(),
                surface: actor.surface,
                operation: draft.operation.clone(),
                method: draft.method.clone(),
                path: draft.path.clone(),
                status,
                outcome: Outcome::of(status, false),
                request_id: draft.request_id.clone(),
                created_at: tenantry_domain::time::now(),
            },
        )?;
        // Also when the transaction later fails: the middleware compares it with the answer,
        // and a refused or failed write answers an error.
        self.written.store(status, Ordering::Release);
        Ok(())
    }
}

/// Method and route of a request, such as `POST /reseller/tenant/{codeName}/user`.
pub(crate) fn operation(request: &HttpRequest) -> String {
    format!(
        "{} {}",
        request.method(),
        request.match_pattern().unwrap_or_default()
    )
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware: `App::new().wrap(from_fn(audit))`, outside the idempotency middleware (a
/// replay is audited as one) and inside the request-id one.
pub async fn audit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let write = is_write(req.method());
    let response = next.call(req).await?;
    if !write {
        return Ok(response);
    }
    let request = response.request();
    let Some(actor) = request.extensions().get::<Actor>().cloned() else {
        return Ok(response);
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(response);
    };
    let status = response.status().as_u16();
    let written = request
        .extensions()
        .get::<WrittenInTransaction>()
        .map(|w| w.0.load(Ordering::Acquire));
    match written {
        // Committed with the write itself.
        Some(written) if written == status => return Ok(response),
        Some(written) if written != 0 && response.status().is_success() => log::error!(
            "request {}: its handler wrote its audit entry as {written} but answered {status}; \
             recording the answer as well",
            current_request_id().unwrap_or_default()
        ),
        _ => {}
    }
    let headers = response.headers();
    let replayed = headers.contains_key(REPLAYED_HEADER);
    let tenant = actor.tenant_of(headers);
    let event = AuditEvent {
        id: Uuid::now_v7(),
        reseller_id: actor.reseller_id,
        environment: actor.environment,
        tenant,
        actor_type: actor.who.kind(),
        actor_id: actor.who.id(),
        surface: actor.surface,
        operation: operation(request),
        method: request.method().to_string(),
        path: request.path().to_owned(),
        status,
        outcome: Outcome::of(status, replayed),
        request_id: current_request_id().unwrap_or_default(),
        created_at: tenantry_domain::time::now(),
    };
    // Answer only once the event is committed; a failed commit was logged by the writer.
    let committed = state.audit.record(event);
    if actix_web::rt::time::timeout(COMMIT_WAIT, committed)
        .await
        .is_err()
    {
        log::error!("an audit event was not committed within {COMMIT_WAIT:?}; answering anyway");
    }
    Ok(response)
}
