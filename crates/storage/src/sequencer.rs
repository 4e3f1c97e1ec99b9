//! Numbering the events that writes committed without a number (PostgreSQL).
//!
//! A reseller's events are numbered under its sequence row, held from the number's taking to
//! the commit. A write that numbers its own event holds the row through its commit's WAL
//! flush; with eight writers of one reseller that hold capped the reseller at about 1,500
//! writes a second on the bench's machine, two thirds of what eight resellers reached. So a
//! write that finds the row held, or events already waiting, commits its event unnumbered
//! ([`crate::event::append`]), and after its commit, before it answers, has it numbered here.
//! One of the writes waiting in this process numbers all that wait for each of their
//! resellers, under one hold of the row ([`crate::event::number_unnumbered`]); the others wait
//! for it, and the next batch forms while it runs. Each write answers once its event has its
//! number, so an event is in the feed, and its deliveries queued, when its write is answered.
//!
//! Events another process committed unnumbered are numbered with them, in the order they were
//! committed. An event of this process that another process numbered first is looked up. One
//! whose process stopped before numbering it waits for the next write of its reseller, or for
//! [`crate::Database::number_unnumbered_events`], which the webhook workers call as they
//! sweep.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// An event its write committed unnumbered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owed {
    pub(crate) reseller: Uuid,
    pub(crate) event: Uuid,
    /// See `events.numbered_after`: where its number is looked up from.
    pub(crate) numbered_after: i64,
}

thread_local! {
    static OWED: RefCell<Vec<Owed>> = const { RefCell::new(Vec::new()) };
}

/// Opens this thread's transaction: no event owed yet.
pub(crate) fn begin() {
    OWED.with_borrow_mut(Vec::clear);
}

/// Notes that this thread's transaction appended `event` unnumbered.
pub(crate) fn owe(reseller: Uuid, event: Uuid, numbered_after: i64) {
    OWED.with_borrow_mut(|owed| {
        owed.push(Owed {
            reseller,
            event,
            numbered_after,
        })
    });
}

/// After the commit (`committed`) or the rollback: the events the committed transaction left
/// unnumbered.
pub(crate) fn finish(committed: bool) -> Vec<Owed> {
    let owed = OWED.take();
    if committed {
        owed
    } else {
        Vec::new()
    }
}

/// How long a write waits for its events' numbers before it answers without them: they are
/// committed, and a later run numbers them.
const WAIT_AT_MOST: Duration = Duration::from_secs(10);

/// One process's numbering of one database's unnumbered events, shared by the clones of its
/// [`crate::Database`].
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
    /// Whether one of the waiting writes is numbering now.
    numbering: bool,
    /// Committed here, not yet taken by a run.
    waiting: Vec<Owed>,
    /// What the runs found for the events of writes still waiting: a number, or none (the
    /// run failed, or the event was not found numbered).
    found: HashMap<Uuid, Option<i64>>,
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

    /// Waits until each of `owed` has its number, numbering those waiting whenever no other
    /// write of this process is: `number` numbers a batch and says what it found for each of
    /// its events. Returns the events' numbers, in `owed`'s order (`None` for one not found
    /// in time).
    pub(crate) fn wait_for_numbers(
        &self,
        owed: &[Owed],
        number: impl Fn(&[Owed]) -> HashMap<Uuid, Option<i64>>,
    ) -> Vec<Option<i64>> {
        let deadline = Instant::now() + WAIT_AT_MOST;
        let mut state = self.lock();
        state.waiting.extend_from_slice(owed);
        loop {
            if owed.iter().all(|o| state.found.contains_key(&o.event)) {
                return owed
                    .iter()
                    .map(|o| state.found.remove(&o.event).flatten())
                    .collect();
            }
            let now = Instant::now();
            if !state.numbering && !state.waiting.is_empty() {
                let batch = std::mem::take(&mut state.waiting);
                state.numbering = true;
                drop(state);
                let found = number(&batch);
                state = self.lock();
                state.numbering = false;
                for o in &batch {
                    let number = found.get(&o.event).copied().flatten();
                    state.found.insert(o.event, number);
                }
                self.changed.notify_all();
            } else if now >= deadline {
                log::warn!(
                    "{} event(s) committed unnumbered are still waiting for their numbers",
                    owed.len()
                );
                state
                    .waiting
                    .retain(|w| !owed.iter().any(|o| o.event == w.event));
                return owed
                    .iter()
                    .map(|o| state.found.remove(&o.event).flatten())
                    .collect();
            } else {
                state = self
                    .changed
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }
}

/// The resellers of `batch`, each once.
pub(crate) fn resellers(batch: &[Owed]) -> BTreeSet<Uuid> {
    batch.iter().map(|o| o.reseller).collect()
}
