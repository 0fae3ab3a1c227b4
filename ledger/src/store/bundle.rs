//! A person's bundle, built from the store (`custody export --person`): the
//! person's entries, the corrections about them and their targets, and
//! every governance entry before the latest checkpoint that covers them all,
//! each with its inclusion proof (`custody_format::wire::bundle`).

use super::{Ledger, StoreError};
use custody_format::entry::SignedEntry;
use custody_format::event::{Event, PersonId};
use custody_format::note;
use custody_format::wire::bundle::{Bundle, BundleItem, BUNDLE_FORMAT};
use std::collections::BTreeSet;

/// Why a bundle cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleBuildError {
    /// The ledger has no entry about the person.
    #[error("no such person: {0}")]
    NoSuchPerson(PersonId),
    /// No checkpoint recorded in the ledger covers the person's last entry.
    #[error("no checkpoint covers entry {needed} of {person}")]
    NoCheckpoint {
        /// The person.
        person: PersonId,
        /// Their last entry's seq.
        needed: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Ledger {
    fn entry_required(&self, seq: u64) -> Result<SignedEntry, StoreError> {
        self.entry(seq)?.ok_or_else(|| StoreError::Damaged {
            dir: self.dir.clone(),
            detail: format!("entry {seq}, named by an index, is missing"),
        })
    }

    /// Builds the bundle of `person` against the latest checkpoint recorded
    /// in the ledger that covers all of their entries.
    pub fn person_bundle(&self, person: &PersonId) -> Result<Bundle, BundleBuildError> {
        let mut seqs: BTreeSet<u64> = self.person_seqs(person)?.into_iter().collect();
        if seqs.is_empty() {
            return Err(BundleBuildError::NoSuchPerson(person.clone()));
        }
        // The targets of corrections about the person travel with them.
        for seq in seqs.clone() {
            if let Event::Correction(c) = self.entry_required(seq)?.event() {
                if let Some(t) = self.seq_of(&c.target)? {
                    seqs.insert(t);
                }
            }
        }
        let needed = *seqs.iter().next_back().expect("not empty");
        let mut governance = Vec::new();
        let mut checkpoint = None;
        for seq in self.governance_seqs()? {
            let e = self.entry_required(seq)?;
            match e.event() {
                Event::Checkpoint(c) if c.tree_size > needed => {
                    let text = note::note_text(self.name(), c.tree_size, &c.root_hash.0);
                    let signed = note::signed_note(
                        &text,
                        self.name(),
                        &e.body().signer.0,
                        &c.note_signature.0,
                    );
                    checkpoint = Some((c.tree_size, signed));
                }
                Event::Checkpoint(_) => {}
                _ => governance.push(seq),
            }
        }
        let (size, signed_note) = checkpoint.ok_or_else(|| BundleBuildError::NoCheckpoint {
            person: person.clone(),
            needed,
        })?;
        seqs.extend(governance.into_iter().filter(|&s| s < size));
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let e = self.entry_required(seq)?;
            let proof = self.inclusion_proof(seq, size)?;
            entries.push(BundleItem::of(&e, &proof));
        }
        Ok(Bundle {
            checkpoint: signed_note,
            entries,
            format: BUNDLE_FORMAT.to_string(),
            origin: self.name().to_string(),
            person: person.clone(),
        })
    }
}
