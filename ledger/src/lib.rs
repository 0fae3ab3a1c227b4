//! # custody-ledger
//!
//! The evidence ledger's store: append-only, ed25519-signed, hash-chained
//! entries (in the byte format of `custody-format`) kept in redb, with the
//! indexes, the Merkle tree and the projections derived from them.
//!
//! Where things are:
//! - [`store`]: the redb-backed [`store::Ledger`]; [`store::Ledger::append`]
//!   is where an append happens.
//! - [`projection`]: each person's status folded from their entries.
//! - [`input`]: evidence from JSON Lines, with errors naming line and field.
//! - [`statement_line`]: signed statements (format v3) as JSON Lines, written
//!   by `custody sign`, read and checked for `append --signed` and a registrar.
//! - [`keyfile`]: key files in standard PKCS#8 / SPKI PEM.
//! - [`near_ids`]: person ids that are probably one person typed twice.
//! - [`profile`]: which disclosures an export carries (court, family, public).
//! - [`merkle`]: the stored Merkle tree (complete subtrees), roots and proofs.
//! - [`clock`]: this machine's clock, the one place the ledger reads it.
//! - `synthetic` (feature `synthetic`): the deterministic model of realistic
//!   cases behind `custody generate`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod committer;
pub mod cosign;
#[doc(hidden)]
pub mod harness;
pub mod input;
pub mod keyfile;
pub mod merkle;
pub mod near_ids;
pub mod opened;
pub mod profile;
pub mod projection;
pub mod statement_line;
pub mod store;
#[cfg(feature = "synthetic")]
pub mod synthetic;
pub mod tiles;
