//! Tenantry's background work, beside the API surfaces and never inside them:
//!
//! - **tenant jobs** ([`tenant_jobs`]): provisioning after a tenant is created and scheduled
//!   cancellations, run through the use cases of `tenantry-service` as the system actor;
//! - **webhook delivery** (`tenantry-webhook`): signed, at-least-once delivery from the
//!   events outbox;
//! - **housekeeping** ([`housekeeping`]): forgetting expired Idempotency-Keys and events past
//!   their retention.
//!
//! A process runs them when `serve` says so (`--surface all` and `--surface reseller` do,
//! `--surface tenant` does not). Each is safe to run in several processes on one database:
//! jobs and deliveries are claimed, housekeeping deletes only what has expired.

pub mod housekeeping;
pub mod tenant_jobs;

use std::sync::Arc;
use tenantry_storage::Database;

/// How the workers of a process run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How webhooks are delivered.
    pub webhooks: tenantry_webhook::Settings,
    /// Webhook delivery threads; 0 in a process that must not deliver (another does).
    pub webhook_threads: usize,
    /// How long events are kept.
    pub event_retention: chrono::Duration,
}

/// The running workers of a process.
pub struct Workers {
    tenant_jobs: tenant_jobs::Runner,
    /// `None` with no webhook threads: another process delivers.
    webhooks: Option<tenantry_webhook::Workers>,
}

impl Workers {
    /// Starts every worker on `db`.
    pub fn start(db: &Database, settings: Settings) -> Workers {
        housekeeping::spawn(db.clone(), settings.event_retention);
        let webhooks = (settings.webhook_threads > 0).then(|| {
            let dispatcher = tenantry_webhook::Dispatcher::new(db.clone(), settings.webhooks);
            Arc::new(dispatcher).spawn(settings.webhook_threads)
        });
        Workers {
            tenant_jobs: tenant_jobs::spawn(db.clone()),
            webhooks,
        }
    }

    /// Lets each worker finish what it has in hand (what is left waits in the database for
    /// the next start), then stops them.
    pub fn stop(self) {
        if let Some(webhooks) = self.webhooks {
            webhooks.stop();
        }
        self.tenant_jobs.stop();
    }
}
