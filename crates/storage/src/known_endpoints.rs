//! This process's memory of each reseller's active webhook endpoints, so an event-producing
//! write does not read them back on every append (one statement of the dozen a write cost on
//! PostgreSQL).
//!
//! Nothing is taken on trust: every change to a reseller's endpoints counts up
//! `event_sequences.endpoints_version` in its own transaction ([`changed`]), and the append
//! reads that count from the very statement that takes its sequence numbers. That statement
//! locks the reseller's sequence row, so a change either committed before it (and the count
//! says so: the endpoints are read afresh) or waits for the write's commit (its event is
//! ordered before the change). A remembered list is used only when its count is the one just
//! read. What a transaction read is remembered only once it commits: a rolled-back change
//! must not leave its endpoints behind under a count that a later change will reuse.

use crate::schema::event_sequences;
use crate::{DbConnection, Result};
use diesel::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tenantry_domain::webhook::Endpoint;
use tenantry_domain::Environment;
use uuid::Uuid;

/// A reseller environment's active endpoints, as of a count of its endpoint changes.
#[derive(Debug, Clone)]
pub(crate) struct Known {
    pub(crate) version: i64,
    pub(crate) endpoints: Arc<Vec<Endpoint>>,
}

type Key = (Uuid, Environment);

/// One database's remembered endpoints, shared by the clones of its [`crate::Database`].
#[derive(Debug, Default)]
pub(crate) struct KnownEndpoints {
    known: Mutex<HashMap<Key, Known>>,
}

impl KnownEndpoints {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Known>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The memory this thread's transaction uses, and what it read, kept until it commits.
struct Current {
    memory: Arc<KnownEndpoints>,
    read: Vec<(Key, Known)>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Opens this thread's transaction to `memory`.
pub(crate) fn begin(memory: Arc<KnownEndpoints>) {
    CURRENT.set(Some(Current {
        memory,
        read: Vec::new(),
    }));
}

/// After the commit (`committed`) or the rollback: what a committed transaction read is
/// remembered, unless a newer count is already.
pub(crate) fn finish(committed: bool) {
    let Some(Current { memory, read }) = CURRENT.take() else {
        return;
    };
    if !committed || read.is_empty() {
        return;
    }
    let mut known = memory.lock();
    for (key, fresh) in read {
        match known.get(&key) {
            Some(k) if k.version > fresh.version => {}
            _ => {
                known.insert(key, fresh);
            }
        }
    }
}

/// The endpoints remembered for a reseller environment at `version`, if any.
pub(crate) fn at(reseller: Uuid, environment: Environment, version: i64) -> Option<Known> {
    remembered(reseller, environment).filter(|known| known.version == version)
}

/// The endpoints remembered for a reseller environment, at whatever count: to be checked
/// against the count the append then reads.
pub(crate) fn remembered(reseller: Uuid, environment: Environment) -> Option<Known> {
    CURRENT.with_borrow(|current| {
        let current = current.as_ref()?;
        current
            .read
            .iter()
            .find(|(key, _)| *key == (reseller, environment))
            .map(|(_, known)| known.clone())
            .or_else(|| current.memory.lock().get(&(reseller, environment)).cloned())
    })
}

/// Notes the endpoints this transaction read at `version`, to remember once it commits.
pub(crate) fn read(reseller: Uuid, environment: Environment, known: Known) {
    CURRENT.with_borrow_mut(|current| {
        if let Some(current) = current {
            current
                .read
                .retain(|(key, _)| *key != (reseller, environment));
            current.read.push(((reseller, environment), known));
        }
    });
}

/// Counts a change to the reseller's endpoints (created, deleted, activated, deactivated,
/// its event types changed): every process reads them afresh at its next append. Returns the
/// reseller's last event sequence number: the row stays locked until the change commits, so
/// every event up to it is ordered before the change, and every later one after it.
pub(crate) fn changed(conn: &mut DbConnection, reseller_id: &str) -> Result<i64> {
    use event_sequences::dsl as seq;
    macro_rules! count_up {
        ($c:expr) => {
            diesel::insert_into(event_sequences::table)
                .values((
                    seq::reseller_id.eq(reseller_id),
                    seq::last_value.eq(0_i64),
                    seq::endpoints_version.eq(1_i64),
                ))
                .on_conflict(seq::reseller_id)
                .do_update()
                .set(seq::endpoints_version.eq(seq::endpoints_version + 1_i64))
                .returning(seq::last_value)
                .get_result::<i64>($c)
        };
    }
    Ok(match conn {
        DbConnection::Postgres(c) => count_up!(c),
        DbConnection::Sqlite(c) => count_up!(c),
    }?)
}
