//! This machine's clock: the one place the ledger reads it (the format
//! crate reads none), so what time an entry is recorded at, and what "now"
//! a status is computed for, is chosen here.

use custody_format::time::Timestamp;

/// How far past the last entry's `recorded_at` this machine's clock may be
/// before an append asks for confirmation: a year and a day. A clock that
/// jumped to 2099 would otherwise sign an entry recorded in 2099, and every
/// later append, revocation and checkpoint would be refused until 2099
/// (`recorded_at` never goes backwards).
pub const MAX_UNCONFIRMED_JUMP_MICROS: i64 = 366 * custody_format::time::MICROS_PER_DAY;

/// The current time of this machine's clock.
///
/// Debug builds (the test suite's) read `CUSTODY_TEST_CLOCK` (an RFC 3339
/// instant) instead when it is set, so the tests can show what a wrong
/// clock does; release builds never read it.
pub fn now() -> Timestamp {
    #[cfg(debug_assertions)]
    if let Some(t) = std::env::var("CUSTODY_TEST_CLOCK")
        .ok()
        .and_then(|s| Timestamp::parse_rfc3339(&s).ok())
    {
        return t;
    }
    Timestamp(chrono::Utc::now().timestamp_micros())
}
