//! # custody-ledger
//!
//! The evidence ledger for people held or missing in armed conflict:
//! append-only, ed25519-signed, hash-chained entries in an embedded store.
//!
//! Where things are:
//! - [`event`]: the vocabulary (capture, ICRC notification, sighting,
//!   release, death, missing report, correspondence, correction, and the
//!   governance events).
//! - [`time`]: exact `recorded_at` instants and approximate `occurred_at`
//!   intervals.
//! - [`entry`]: what is signed and chained; [`codec`]: the canonical bytes.
//! - [`keys`]: key files and the [`keys::KeyRegistry`] of who may sign what.
//! - [`input`]: evidence from JSON Lines, with errors naming line and field.
//! - `store` (feature `store`): the redb-backed [`store::Ledger`];
//!   [`store::Ledger::append`] is where an append happens.
//! - `synthetic` (feature `synthetic`): the deterministic model of realistic
//!   cases behind `custody generate`.
//!
//! Build with `default-features = false` to get the format alone, without a
//! storage engine: that is what `custody-verifier` does.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod codec;
pub mod entry;
pub mod event;
pub mod input;
pub mod keys;
pub mod merkle;
pub mod projection;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "synthetic")]
pub mod synthetic;
pub mod time;
