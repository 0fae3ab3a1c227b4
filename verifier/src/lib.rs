//! # custody-verifier
//!
//! Checks a custody ledger from its signed bytes alone. It depends on no
//! storage engine: of the workspace it uses `custody-format` alone (the byte
//! format, the registry and the chain rules), so a prosecutor's expert
//! can audit it as a small crate, and it trusts nothing the ledger computed:
//! every hash, link, signature and authority is re-derived from the bytes.
//!
//! - [`chain`]: the entry-by-entry walk ([`ChainVerifier`]).
//! - [`export`]: verifying an export file, claims included.
//! - [`disclosures`]: format v3 disclosures beside entries, and each
//!   committed slot's verdict.
//! - [`harness`]: the parsers of untrusted bytes as fuzzing entry points,
//!   shared by `fuzz/` and the corpus replay test.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod chain;
pub mod checkpoint;
mod complete;
pub mod cosignature;
pub mod disclosures;
pub mod export;
#[doc(hidden)]
pub mod harness;
pub mod merkle;
pub mod proof;
pub mod report;
pub mod signatures;
pub mod walk;

pub use chain::ChainVerifier;
pub use report::{Cause, Rule, Summary, Violation};
