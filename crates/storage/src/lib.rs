//! Tenantry's persistence: one diesel code base over SQLite (the embedded default) and
//! PostgreSQL (production).
//!
//! Repository functions take `&mut DbConnection` so that a caller composes several of them in
//! one transaction ([`Database::write`]). Every query on tenant-owned data takes the owning
//! tenant (or the [`Owner`]: a reseller in one environment) as a parameter and filters on it:
//! a caller cannot forget it.
//! This crate depends on the domain and never on the HTTP layer.

mod convert;
mod database;
mod error;
pub mod schema;
pub mod sql_types;

pub mod audit;
pub mod connection;
pub mod event;
pub mod handoff;
pub mod idempotency;
pub mod integration;
pub mod job;
mod known_endpoints;
pub mod login;
pub mod order;
pub mod product;
pub mod reseller;
pub mod template;
pub mod tenant;
pub mod tenant_token;
pub mod usage;
pub mod user;
pub mod webhook;

pub use database::{
    provision, Backend, BatchOutcome, Database, DbConnection, PoolOptions, PoolStatus, Work,
};
pub use error::{Result, StorageError};

use tenantry_domain::Environment;
use uuid::Uuid;

/// The owner of tenants, webhook endpoints, events, audit entries and usage: one reseller in
/// one environment (sandbox and production never see each other). A reseller credential acts
/// as its owner; every lookup on a reseller's behalf takes one and filters on it, so another
/// reseller's or environment's object is not found by construction. Not to be confused with
/// a key's scopes, which say what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub reseller_id: Uuid,
    pub environment: Environment,
}

/// One page of a cursor-paginated list: the rows and whether more follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched: the extra row only says more follow.
    pub(crate) fn from_overfetch(mut rows: Vec<T>, limit: i64) -> Self {
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        Page { rows, has_more }
    }
}
