//! Numbering the events that writes committed without a number (PostgreSQL).
//!
//! A reseller's events are numbered under its sequence row, held from the number's taking to
//! the commit. A write that numbers its own event holds the row through its commit's WAL
//! flush, and writers queued on one row cannot share a flush: with eight writers of one
//! reseller that hold capped the reseller below what eight resellers reached on the bench's
//! machine (docs/architecture.md). So a write that finds the row held, or events already
//! waiting, commits its event unnumbered ([`crate::event::append`]) and answers; a thread of
//! its process numbers all that waits for each reseller it was told of, under one hold of the
//! row ([`crate::event::number_unnumbered`]), and queues their deliveries. A write does not
//! wait for that: a batch formed from writes that wait is only as large as the writers are
//! many, and its extra statement and commit cost more than the row's wait saved.
//!
//! Readers see only numbered events, so a read of the feed first numbers what waits for its
//! reseller ([`crate::Database::read_feed`]): a client that reads after its write was
//! answered finds its event. Events another process committed unnumbered are numbered with
//! them, in the order they were committed. Those of a process that stopped before numbering
//! them wait for the next read or numbering of their reseller, or for
//! [`crate::Database::number_unnumbered_events`], which the webhook workers call as they
//! sweep.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;
use uuid::Uuid;

thread_local! {
    /// The resellers this thread's transaction appended unnumbered events of.
    static OWED: RefCell<BTreeSet<Uuid>> = const { RefCell::new(BTreeSet::new()) };
}

/// Opens this thread's transaction: no event owed yet.
pub(crate) fn begin() {
    OWED.with_borrow_mut(BTreeSet::clear);
}

/// Notes that this thread's transaction appended an event of `reseller` unnumbered.
pub(crate) fn owe(reseller: Uuid) {
    OWED.with_borrow_mut(|owed| owed.insert(reseller));
}

/// After the commit (`committed`) or the rollback: the resellers whose events the committed
/// transaction left unnumbered.
pub(crate) fn finish(committed: bool) -> BTreeSet<Uuid> {
    let owed = OWED.take();
    if committed {
        owed
    } else {
        BTreeSet::new()
    }
}

/// How long the numbering thread waits for work before it looks whether its database is
/// still in use: it exits once every other handle of the database is gone.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// One process's numbering of one database's unnumbered events, shared by the clones of its
/// [`crate::Database`]: a thread of its own numbers what this process's writes committed
/// unnumbered, so a write answers without waiting for its event's number.
#[derive(Debug, Default)]
pub(crate) struct Sequencer {
    state: Mutex<State>,
    changed: Condvar,
    /// Events numbered by this process since the last upkeep ([`crate::event::upkeep`]).
    since_upkeep: AtomicUsize,
}

/// Events numbered between two upkeeps of the unnumbered events' table: each leaves a dead
/// row and index entry there, which a write's check for waiting events walks past.
const UPKEEP_EVERY: usize = 1_000;

#[derive(Debug, Default)]
struct State {
    /// Whether the numbering thread runs.
    running: bool,
    /// Whether it is numbering a batch now.
    busy: bool,
    /// Committed here, not yet taken by the numbering thread.
    waiting: BTreeSet<Uuid>,
}

impl Sequencer {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts `count` events numbered; true when the upkeep is due.
    pub(crate) fn numbered(&self, count: usize) -> bool {
        let before = self.since_upkeep.fetch_add(count, Ordering::Relaxed);
        if before + count < UPKEEP_EVERY {
            return false;
        }
        self.since_upkeep.store(0, Ordering::Relaxed);
        true
    }

    /// Hands the resellers in `owed` to the numbering thread. True when no thread runs: the caller starts one
    /// (it is counted as running from here), which takes its work from [`Sequencer::next`].
    pub(crate) fn hand_over(&self, owed: BTreeSet<Uuid>) -> bool {
        let mut state = self.lock();
        state.waiting.extend(owed);
        self.changed.notify_all();
        !std::mem::replace(&mut state.running, true)
    }

    /// The numbering thread could not be started: the events stay committed unnumbered, for
    /// the next read of their feed or the webhook sweep ([`crate::Database::read_feed`]).
    pub(crate) fn not_started(&self) {
        let mut state = self.lock();
        state.running = false;
        state.waiting.clear();
    }

    /// For the numbering thread: the resellers to number next, all that wait, once there is
    /// some; `None` when nothing waits and `alone` says the thread holds the last handle of
    /// the database (the thread then ends, and the next hand-over starts another).
    pub(crate) fn next(&self, alone: impl Fn() -> bool) -> Option<BTreeSet<Uuid>> {
        let mut state = self.lock();
        state.busy = false;
        self.changed.notify_all();
        loop {
            if !state.waiting.is_empty() {
                state.busy = true;
                return Some(std::mem::take(&mut state.waiting));
            }
            if alone() {
                state.running = false;
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, IDLE_CHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until the numbering thread has numbered all it was handed.
    pub(crate) fn settle(&self) {
        let mut state = self.lock();
        while state.running && (state.busy || !state.waiting.is_empty()) {
            state = self
                .changed
                .wait_timeout(state, IDLE_CHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}
