//! Wall-clock time as Kafka counts it: milliseconds since the Unix epoch.
//!
//! Record timestamps, committed-offset ages and report stamps all compare against this one
//! clock, so it lives at the bottom of the house where every layer can read it. Pure code
//! takes the time as an argument instead (`cmd::lag::build`), so its tests are exact.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in epoch milliseconds (0 for a clock set before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
