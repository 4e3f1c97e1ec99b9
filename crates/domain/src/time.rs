//! Time as the domain sees it: UTC, microsecond precision (what both databases keep).

use chrono::{DateTime, SubsecRound, Utc};

/// The current time truncated to microseconds, so a value read back from either database
/// equals the value written. The server passes this into the domain; tests pass their own.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
