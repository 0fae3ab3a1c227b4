//! # custody-format
//!
//! The promise custody makes to courts, in one small crate: what an entry
//! says, the exact bytes it is signed and hashed as, and the rules a chain
//! of entries must keep. It does no I/O, reads no clock and draws no random
//! numbers, so what it accepts depends on its input alone. The verifier
//! depends on it and on nothing else of the workspace.
//!
//! Where things are:
//! - [`event`]: the vocabulary (capture, ICRC notification, sighting,
//!   release, death, missing report, correspondence, correction, and the
//!   governance events); [`time`]: `recorded_at` instants and approximate
//!   `occurred_at` intervals.
//! - [`codec`]: the canonical bytes (bincode 2.0.1 is named here only);
//!   [`entry`]: what is signed and chained.
//! - [`key`]: the one definition of a key that may sign; [`registry`]: who
//!   may sign what, replayed from governance.
//! - [`rules`]: every chain rule, written once, for the append path, the
//!   restore path and the verifiers.
//! - [`merkle_hash`]: the RFC 9162 hashing primitives; [`note`]: the C2SP
//!   signed-note text of checkpoints; [`stream`]: the streams of format v2
//!   (each entry's links to the previous entry about the same subject);
//!   [`map_hash`]: the person map a v2 seal commits to (its definition,
//!   the incremental map, proofs and their check).
//! - [`commit`]: format v3's salted commitments to personal fields, their
//!   slots and disclosures; [`statement`]: format v3's signed statements
//!   (evidence signed by its author elsewhere, registered by an entry).
//! - [`wire`]: the artefacts that leave a store (export lines, person
//!   bundles, proofs), each type's reader and writer side by side.
//!
//! docs/FORMAT.md is the specification; the golden vectors pin it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod commit;
pub mod entry;
pub mod event;
pub mod json;
pub mod key;
pub mod map_hash;
pub mod merkle_hash;
pub mod note;
pub mod registry;
pub mod rules;
pub mod statement;
pub mod stream;
pub mod text;
pub mod time;
pub mod wire;
