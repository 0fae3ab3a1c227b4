//! # custody-testkit
//!
//! What the tests of the ledger, the verifier and the `custody` binary
//! would otherwise each write again: one set of fixed keys, the proptest
//! strategies for events, chains of signed entries built without a store,
//! ledgers with their authority and investigator in place, and the runs of
//! the `custody` binary the end-to-end tests are made of.
//!
//! - [`keys`]: the fixed test keys and who they are.
//! - [`events`]: small fixed events, and the ledger of reassignments the
//!   bundle tests share.
//! - [`strategy`]: proptest strategies for evidence events and their dates.
//! - [`chain`]: a valid chain of signed entries, and the chain walk over it;
//!   [`bundle`]: `custody-bundle/2` documents assembled from such a chain.
//! - [`v3`]: format v3 ledgers (commitments, statements, a redaction)
//!   with each entry's disclosures, built without a store.
//! - [`ledger`]: stores with their governance entries written.
//! - [`cli`]: the `custody` binary run against throwaway ledgers, and the
//!   fixture of the seven evidence types.
//!
//! It is a dev-dependency only: nothing here is for production, and no
//! library of the workspace depends on it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod browser;
pub mod bundle;
pub mod chain;
pub mod cli;
pub mod events;
pub mod keys;
pub mod ledger;
pub mod strategy;
pub mod v3;
