//! This machine's clock: the one place the ledger reads it (the format
//! crate reads none), so what time an entry is recorded at, and what "now"
//! a status is computed for, is chosen here.

use custody_format::time::Timestamp;

/// The current time of this machine's clock.
pub fn now() -> Timestamp {
    Timestamp(chrono::Utc::now().timestamp_micros())
}
