//! Deliveries handed by the write that queued them straight to a webhook worker of the same
//! process, so the worker neither claims them nor reads their endpoint and event back.
//!
//! A handed-off delivery has no row in the queue: the event row, committed with the write, is
//! its durable record, and its outcome is what the worker records (an attempt logged, or a
//! row queued for the retry). It is the process's own for a lease from the write: a worker
//! attempts it only with time left in that lease, and hands back (queues due at once) what it
//! cannot attempt in time while the lease lasts. If the process dies, or fails to record an
//! outcome, [`crate::webhook::sweep`] finds the event with neither an attempt nor a queued
//! delivery once the lease and a margin are past, and queues it (at least once, never lost).
//! Measured on PostgreSQL, the claim transaction a hand-off saves was six of the twenty-odd
//! statements an event-producing write cost in all, and the queue row it no longer writes
//! (inserted, indexed twice, deleted) 463 of the 2,598 bytes of WAL a write cost.

use crate::webhook::Delivery;
use chrono::{DateTime, Duration, Utc};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tenantry_domain::event::Event;
use tenantry_domain::webhook::Endpoint;

/// Hand-offs waiting beyond this go to the claim path instead: a stalled receiver cannot
/// make the process hold an unbounded queue in memory.
const CAPACITY: usize = 10_000;

/// A delivery queued by this process, with what attempting it takes.
#[derive(Debug, Clone)]
pub struct HandedOff {
    pub delivery: Delivery,
    pub endpoint: Endpoint,
    pub event: Event,
    /// The end of its lease: past it another worker may claim it.
    pub leased_until: DateTime<Utc>,
}

/// This process's hand-offs, waiting for its webhook workers.
#[derive(Debug)]
pub struct Handoff {
    lease: Duration,
    waiting: Mutex<VecDeque<HandedOff>>,
}

impl Handoff {
    /// Hand-offs leased for `lease`, the workers' lease.
    pub fn new(lease: Duration) -> Arc<Handoff> {
        Arc::new(Handoff {
            lease,
            waiting: Mutex::default(),
        })
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, VecDeque<HandedOff>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Up to `limit` hand-offs, oldest first.
    pub fn take(&self, limit: usize) -> Vec<HandedOff> {
        let mut waiting = self.waiting();
        let n = limit.min(waiting.len());
        waiting.drain(..n).collect()
    }

    /// Every hand-off still waiting (a stopping worker gives them back to the claim path).
    pub fn take_all(&self) -> Vec<HandedOff> {
        self.waiting().drain(..).collect()
    }

    fn has_room(&self) -> bool {
        self.waiting().len() < CAPACITY
    }
}

/// The hand-offs of the transaction running on this thread, until it commits.
struct Pending {
    handoff: Arc<Handoff>,
    items: Vec<HandedOff>,
}

thread_local! {
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Opens this thread's transaction to hand-offs to `handoff`, if it has room.
pub(crate) fn begin(handoff: Option<Arc<Handoff>>) {
    let pending = handoff.filter(|h| h.has_room()).map(|handoff| Pending {
        handoff,
        items: Vec::new(),
    });
    PENDING.set(pending);
}

/// After the commit (`committed`) or the rollback: a committed transaction's hand-offs go to
/// the workers, a rolled-back one's are dropped with it.
pub(crate) fn finish(committed: bool) {
    if let Some(Pending { handoff, items }) = PENDING.take() {
        if committed && !items.is_empty() {
            handoff.waiting().extend(items);
        }
    }
}

/// The lease a delivery queued now starts with, when this thread's transaction hands
/// deliveries off (`None`: queue them due at once for the claim path).
pub(crate) fn lease() -> Option<Duration> {
    PENDING.with_borrow(|p| p.as_ref().map(|p| p.handoff.lease))
}

/// Hands `item` off once this thread's transaction commits (after [`lease`] said it may).
pub(crate) fn push(item: HandedOff) {
    PENDING.with_borrow_mut(|p| {
        if let Some(p) = p {
            p.items.push(item);
        }
    });
}
