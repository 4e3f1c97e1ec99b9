//! Forgetting what has outlived its retention.

use tenantry_storage::{event, idempotency, Database};

/// Starts the housekeeping thread: every ten minutes it forgets Idempotency-Keys older than
/// their 24-hour retention and events older than `event_retention`. Idempotent across
/// processes (each deletes what has expired), so every process may run it.
pub fn spawn(db: Database, event_retention: chrono::Duration) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("housekeeping".into())
        .spawn(move || loop {
            let now = tenantry_domain::time::now();
            let before = now - idempotency::RETENTION;
            match db.write(|conn| idempotency::purge(conn, before)) {
                Ok(0) => {}
                Ok(n) => log::info!("forgot {n} expired Idempotency-Key(s)"),
                Err(e) => log::warn!("housekeeping: {e}"),
            }
            match db.write(|conn| event::purge(conn, now - event_retention)) {
                Ok(0) => {}
                Ok(n) => log::info!("forgot {n} event(s) past their retention"),
                Err(e) => log::warn!("housekeeping: {e}"),
            }
            std::thread::sleep(std::time::Duration::from_secs(600));
        })
        .expect("spawn the housekeeping thread")
}
