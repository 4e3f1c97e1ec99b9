//! Tenant jobs as they fall due: provisioning and scheduled cancellations. [`run_due`] runs
//! what is due at a given time (tests call it with a clock of their own); [`spawn`] runs it
//! in a thread of the server.

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tenantry_auth::token::{self, TokenKind};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::time;
use tenantry_service::job::{self, Ran};
use tenantry_service::provisioning::Secrets;
use tenantry_service::ServiceError;
use tenantry_storage::{Database, Work};

/// Runs every job due at `now`, each in its own transaction; returns how many ran.
pub fn run_due(db: &Database, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut ran = 0;
    while let Ran::Job(_) = db.write(|conn| job::run_next(conn, now, &secrets))? {
        ran += 1;
    }
    Ok(ran)
}

/// What provisioning may need for `tenant`: a company token of its environment and a login
/// URL secret.
fn secrets(tenant: &Tenant) -> Secrets {
    Secrets {
        company_token: token::generate(TokenKind::TenantToken, tenant.environment),
        login_url: token::one_time(),
    }
}

/// Starts the thread that runs jobs as they fall due: woken by this process's commits that
/// schedule one, and polling each second for other processes' and for dates reached.
pub fn spawn(db: Database) -> Runner {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let runner_db = db.clone();
    let thread = std::thread::Builder::new()
        .name("tenant-jobs".into())
        .spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                let seen = runner_db.queued_commits(Work::Jobs);
                if let Err(e) = run_due(&runner_db, time::now()) {
                    log::warn!("tenant jobs: {e}");
                }
                runner_db.wait_for_queued(Work::Jobs, seen, std::time::Duration::from_secs(1));
            }
        })
        .expect("spawn the tenant jobs thread");
    Runner { stop, thread, db }
}

/// The running job thread.
pub struct Runner {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    db: Database,
}

impl Runner {
    /// Lets the job in hand finish (a job left undone runs on the next start), then stops.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.db.wake_queued_waiters(Work::Jobs);
        let _ = self.thread.join();
    }
}
