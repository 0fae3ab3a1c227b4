//! [`Ledger::extend`]: more entries, signed elsewhere, added to a replica
//! only if the checkpoint that covers them holds (`custody mirror`).
//!
//! A mirror must never hold what its source's signed checkpoint does not
//! vouch for: entries that chain and are signed, but that belong to a fork
//! the server switched to, would make the replica a copy of something no
//! checkpoint states. So the new entries are checked against the chain
//! rules as a restore checks them, and then — before anything is written —
//! the Merkle root of the whole replica with them is computed and handed,
//! with the key registry as of the last new entry, to the caller's
//! `accept`, which checks the checkpoint's root and its signature. Only if
//! it agrees is the batch committed, in one durable commit: the replica
//! moves from one verified checkpoint to the next, or not at all.
//!
//! Signatures are not checked here: the store never checks a signature it
//! did not make (restore's caller verifies first, as the mirror does).

use super::batch::Batch;
use super::error::{Refusal, StoreError};
use super::Ledger;
use crate::merkle;
use custody_format::entry::SignedEntry;
use custody_format::registry::KeyRegistry;
use custody_format::rules::CheckError;

/// Why [`Ledger::extend`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ExtendError<E: std::error::Error + 'static> {
    /// An entry breaks a chain rule (it does not follow the replica's head,
    /// its signer may not sign it, …).
    #[error("entry {seq}: {}: {}", reason.rule(), reason.plain())]
    Refused {
        /// Its seq.
        seq: u64,
        /// Which rule, and how.
        reason: Box<Refusal>,
    },
    /// The caller did not accept the tree the entries make.
    #[error(transparent)]
    NotAccepted(E),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Ledger {
    /// Adds `entries` after the head, if they meet the chain rules and
    /// `accept(registry, size, root)` agrees with the tree they complete
    /// (`size` entries in all, whose RFC 9162 root is `root`; `registry` as
    /// of the last of them). All in one commit, or nothing. Returns the
    /// new length.
    pub fn extend<E: std::error::Error + 'static>(
        &mut self,
        entries: Vec<SignedEntry>,
        accept: impl FnOnce(&KeyRegistry, u64, &merkle::Hash) -> Result<(), E>,
    ) -> Result<u64, ExtendError<E>> {
        let mut batch = Batch::new(self, false);
        for entry in entries {
            let seq = batch.rules.next_seq();
            let checked = batch.check(self, entry.body()).map_err(|e| match e {
                CheckError::Breach(b) => ExtendError::Refused {
                    seq,
                    reason: Box::new(Refusal::Rule(b)),
                },
                CheckError::Lookup(s) => ExtendError::Store(s),
            })?;
            batch.push(self, entry, checked)?;
        }
        let size = batch.rules.next_seq();
        let root = merkle::root(&batch.nodes(self), size)?;
        accept(batch.rules.registry(), size, &root).map_err(ExtendError::NotAccepted)?;
        if !batch.entries.is_empty() {
            batch.commit(self)?;
        }
        Ok(size)
    }
}
