//! Time as Unix milliseconds, the unit of every timestamp in the API and the tables.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time in milliseconds.
pub type Millis = i64;

/// The current time; read at the edge (handlers, binaries) and passed into the rules.
pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}
