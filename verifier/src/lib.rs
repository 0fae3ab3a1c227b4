//! # custody-verifier
//!
//! Checks a custody ledger from its signed bytes alone. It depends on no
//! storage engine (it uses `custody-ledger` without its `store` feature, for
//! the byte format and the governance rules only), so a prosecutor's expert
//! can audit it as a small crate, and it trusts nothing the ledger computed:
//! every hash, link, signature and authority is re-derived from the bytes.
//!
//! - [`chain`]: the entry-by-entry walk ([`ChainVerifier`]).
//! - [`export`]: verifying an export file, claims included.
//! - [`harness`]: the parsers of untrusted bytes as fuzzing entry points,
//!   shared by `fuzz/` and the corpus replay test.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod harness;
pub mod merkle;
pub mod signatures;

pub use chain::{ChainVerifier, Rule, Summary, Violation};
