//! Usage metering: every authenticated request of either surface, and the login URLs and
//! orders they create, counted per tenant and UTC day for `GET /reseller/analytics`.
//!
//! A request adds to counters in memory (a hash map behind a mutex, no I/O); a thread writes
//! the sums every second in one transaction, so metering costs the request path nothing it
//! would wait on, and the database one small write per second whatever the traffic. A
//! process that stops gracefully writes what it holds; one that is killed loses at most the
//! last second of counts (never the requests themselves). A failed write keeps its counts
//! for the next.

use crate::audit::Actor;
use crate::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tenantry_domain::tenant::Tenant;
use tenantry_domain::usage::{
    CounterKey, Metric, StatusClass, Subject, SubjectKind, Tally, UsageScope,
};
use tenantry_domain::Environment;
use tenantry_storage::{usage, Database, StorageError};
use uuid::Uuid;

/// How often the counts are written.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// This process's usage meter.
pub struct UsageMeter {
    inner: Arc<Meter>,
    /// Dropping the sender stops the writer thread; it is joined before the meter is gone, so
    /// no thread is still using the database when the process exits.
    writer: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

#[derive(Default)]
struct Counts {
    counters: HashMap<CounterKey, Tally>,
    seen: HashSet<Subject>,
}

struct Meter {
    db: Database,
    enabled: bool,
    counts: Mutex<Counts>,
    /// Held for a whole flush, so one that returns has seen every earlier one committed.
    flushing: Mutex<()>,
    /// Counts the database refused on their own (see [`UsageMeter::quarantined`]).
    quarantined: AtomicU64,
}

impl UsageMeter {
    /// Starts the writer thread; it ends when the meter is dropped. A disabled meter counts
    /// nothing (the analytics endpoint then shows only what other processes metered).
    pub fn new(db: Database, enabled: bool) -> Self {
        let inner = Arc::new(Meter {
            db,
            enabled,
            counts: Mutex::new(Counts::default()),
            flushing: Mutex::new(()),
            quarantined: AtomicU64::new(0),
        });
        let writer = enabled.then(|| {
            let (stop, stopped) = mpsc::channel::<()>();
            let meter = inner.clone();
            let thread = std::thread::Builder::new()
                .name("usage-writer".into())
                .spawn(move || {
                    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(FLUSH_INTERVAL)
                    {
                        if let Err(e) = meter.flush() {
                            log::error!("could not write usage counts (will retry): {e}");
                        }
                    }
                })
                .expect("spawn the usage writer");
            (stop, thread)
        });
        UsageMeter { inner, writer }
    }

    /// Counts one occurrence of `metric` for `tenant`, today.
    pub fn count(&self, tenant: &Tenant, metric: Metric, dimension: &str, tally: Tally) {
        let day = tenantry_domain::time::now().date_naive();
        let key = CounterKey::for_tenant(tenant, day, metric, dimension);
        self.add(key, tally, None);
    }

    /// Writes every count held now; returns how many counters and subjects.
    pub fn flush(&self) -> Result<usize, StorageError> {
        self.inner.flush()
    }

    /// How many counts the database refused on their own since the start, each logged and
    /// not retried.
    pub fn quarantined(&self) -> u64 {
        self.inner.quarantined.load(Ordering::Relaxed)
    }

    fn add(&self, key: CounterKey, tally: Tally, seen: impl IntoIterator<Item = Subject>) {
        if !self.inner.enabled {
            return;
        }
        let mut counts = self.inner.lock();
        counts.counters.entry(key).or_default().add(tally);
        counts.seen.extend(seen);
    }
}

impl Drop for UsageMeter {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.writer.take() {
            drop(stop);
            let _ = thread.join();
        }
        if let Err(e) = self.inner.flush() {
            log::error!("usage counts lost at shutdown: {e}");
        }
    }
}

fn today(reseller_id: Uuid, environment: Environment, tenant: Option<String>) -> UsageScope {
    UsageScope {
        reseller_id,
        environment,
        day: tenantry_domain::time::now().date_naive(),
        tenant,
    }
}

impl Meter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn flush(&self) -> Result<usize, StorageError> {
        let _flushing = self.flushing.lock().unwrap_or_else(|e| e.into_inner());
        let batch = std::mem::take(&mut *self.lock());
        if batch.counters.is_empty() && batch.seen.is_empty() {
            return Ok(0);
        }
        let items = (batch
            .counters
            .into_iter()
            .map(|(k, t)| Counted::Counter(k, t)))
        .chain(batch.seen.into_iter().map(Counted::Seen))
        .collect();
        let outcome = self.db.write_batch(items, |conn, items| {
            let mut counters = Vec::new();
            let mut seen = Vec::new();
            for item in items {
                match item {
                    Counted::Counter(key, tally) => counters.push((key.clone(), *tally)),
                    Counted::Seen(subject) => seen.push(subject.clone()),
                }
            }
            usage::add(conn, &counters, &seen)
        });
        // A count the database refuses on its own would fail every write it is in: it is set
        // aside (logged, counted) so the others keep being written.
        for (item, e) in outcome.rejected {
            self.quarantined.fetch_add(1, Ordering::Relaxed);
            log::error!("usage count quarantined: the database refused it ({e}): {item:?}");
        }
        let Some(e) = outcome.error else {
            return Ok(outcome.written.len());
        };
        // Put the counts back, added to what arrived meanwhile.
        let mut counts = self.lock();
        for item in outcome.unwritten {
            match item {
                Counted::Counter(key, tally) => counts.counters.entry(key).or_default().add(tally),
                Counted::Seen(subject) => {
                    counts.seen.insert(subject);
                }
            }
        }
        Err(e)
    }
}

/// One item of a usage write.
#[derive(Debug)]
enum Counted {
    Counter(CounterKey, Tally),
    Seen(Subject),
}

/// The middleware: `App::new().wrap(from_fn(usage))`. Meters every request whose caller
/// authenticated (a refused credential names no tenant to count it for).
pub async fn usage(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(req).await?;
    let request = response.request();
    let Some(actor) = request
        .extensions()
        .get::<Actor>()
        .filter(|a| a.metered)
        .cloned()
    else {
        return Ok(response);
    };
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return Ok(response);
    };
    let status = response.status().as_u16();
    // A reseller's 404 may be about the tenant itself: such a codeName, possibly made up,
    // gets no figures of its own; the request counts in the totals.
    let tenant = actor
        .tenant_of(response.headers())
        .filter(|_| !(actor.surface == "reseller" && status == 404));
    let scope = today(actor.reseller_id, actor.environment, tenant);
    let seen = |kind, id: Option<&String>| {
        id.filter(|_| scope.tenant.is_some()).map(|id| Subject {
            scope: scope.clone(),
            kind,
            id: id.clone(),
        })
    };
    let seen = [
        seen(SubjectKind::User, actor.tenant_user.as_ref()),
        seen(SubjectKind::Connection, actor.connection.as_ref()),
    ];
    let key = CounterKey {
        scope: scope.clone(),
        metric: Metric::Requests(StatusClass::of(status)),
        dimension: crate::audit::operation(request),
    };
    state
        .usage
        .add(key, Tally::one(0), seen.into_iter().flatten());
    Ok(response)
}
