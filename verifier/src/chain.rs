//! The chain walk: proves a sequence of stored entries is one intact,
//! authorised history, from the signed bytes alone.
//!
//! [`ChainVerifier`] is an explicit state machine fed one entry's bytes at a
//! time, so memory does not grow with the ledger's entries (except a set of
//! evidence hashes, for correction targets) and the same code checks a live
//! store, an export file or a bundle. It trusts nothing that the ledger
//! computed: not the store's indexes, not its key registry, not the sequence
//! numbers it stores entries under, not any decoded view. Each entry is
//! checked in this order, and the first failure is reported with the entry's
//! position and the [`Rule`] it breaks:
//!
//! 1. it has a known format version and decodes strictly (canonical bytes,
//!    valid fields);
//! 2. its signer is a key that may sign (`custody_format::key`), and its
//!    ed25519 signature verifies, strictly, over the domain-separated
//!    digest of its body bytes (checked at once by [`ChainVerifier::push`],
//!    or handed to another core by [`ChainVerifier::push_deferred`]);
//! 3. the chain rules of `custody_format::rules`, in contiguous mode —
//!    sequence, link, authority, clock, correction target, checkpoint —
//!    the same code the store runs before it appends. The verifier keeps
//!    its own evidence set and computes the Merkle root of the entries
//!    before a checkpoint from the bytes it walked.

use crate::merkle::{leaf_hash, StreamingRoot};
use crate::report::{Cause, ClockCorrectionSeen, Rule, SignerPeriod, Summary, Violation};
use crate::signatures::{SignatureJob, StatementSignatureJob};
use custody_format::entry::{self, EntryError, SignedEntry};
use custody_format::event::Event;
use custody_format::key::SignerKeys;
use custody_format::registry::KeyRegistry;
use custody_format::rules::{Breach, ChainRules, CheckError, Mode, WalkState};

/// Walks a chain entry by entry. See the module docs for the rules.
#[derive(Default, Clone)]
pub struct ChainVerifier {
    rules: ChainRules,
    /// Open evidence, stream heads and the person map (format v2).
    walked: WalkState,
    /// Clock corrections seen so far.
    clock_corrections: Vec<ClockCorrectionSeen>,
    /// Signer and author keys, each decompressed once (bounded).
    keys: SignerKeys,
    tree: StreamingRoot,
}

impl ChainVerifier {
    /// A verifier expecting the genesis next.
    pub fn new() -> ChainVerifier {
        ChainVerifier {
            rules: {
                // Author signatures are checked with the entry's own
                // (`SignatureJob`), on whichever core runs that.
                let mut rules = ChainRules::new(Mode::Contiguous);
                rules.defer_statement_signatures();
                rules
            },
            ..ChainVerifier::default()
        }
    }

    /// Number of entries accepted so far.
    pub fn len(&self) -> u64 {
        self.rules.next_seq()
    }

    /// True before the first entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the next entry's stored bytes, signature included. On success
    /// returns the decoded entry (for callers that compare claims against
    /// it); on failure the verifier should not be fed further.
    pub fn push(&mut self, stored: &[u8]) -> Result<SignedEntry, Violation> {
        let (entry, job) = self.push_deferred(stored)?;
        job.verify_strict()?;
        Ok(entry)
    }

    /// Checks everything about the next entry except its signature, and
    /// returns the signature check to be done (here, or on another core:
    /// see [`crate::walk`]). The caller must run every returned job: an
    /// entry is verified only when its job passed too.
    pub fn push_deferred(
        &mut self,
        stored: &[u8],
    ) -> Result<(SignedEntry, SignatureJob), Violation> {
        let seq = self.len();
        let entry = SignedEntry::decode(stored.to_vec()).map_err(|e| {
            let rule = match e {
                EntryError::Version(_) => Rule::Version,
                _ => Rule::Format,
            };
            Violation::new(seq, rule, Cause::Entry(e))
        })?;
        let body = entry.body();
        let (body_bytes, sig) =
            entry::split(stored).map_err(|e| Violation::new(seq, Rule::Format, Cause::Entry(e)))?;
        let key = self
            .keys
            .get(&body.signer)
            .map_err(|e| Violation::new(seq, Rule::Signature, Cause::WeakSigner(e)))?;
        let tree = &self.tree;
        let root = || Ok(tree.root());
        // What a seal must state, computed only for a seal (the map is
        // rehashed along the paths changed since the last one).
        let seal = match body.event {
            Event::Seal(_) => self.walked.streams.seal_facts(),
            _ => None,
        };
        let checked = self
            .rules
            .check(body, &self.walked, Some(&root), seal.as_ref())
            .map_err(|e| match e {
                CheckError::Breach(b) => b,
                CheckError::Lookup(never) => match never {},
            });
        let statement = statement_job(seq, &body.event, &checked, &mut self.keys)?;
        let streams = checked.map_err(|b| Violation::breach(seq, b))?;
        let job = SignatureJob {
            seq,
            digest: entry::signing_digest(body_bytes),
            signature: *sig,
            key,
            statement,
        };
        self.tree.push(leaf_hash(stored));
        self.walked.accept(entry.hash(), body, &streams);
        if let Event::ClockCorrection(c) = &body.event {
            self.clock_corrections.push(ClockCorrectionSeen {
                seq,
                since: c.since,
                recorded_at: body.recorded_at,
                reason: c.reason.clone(),
            });
        }
        self.rules.accept(entry.hash(), body);
        Ok((entry, job))
    }

    /// The Merkle tree hash of the entries accepted so far.
    pub fn merkle_root(&self) -> [u8; 32] {
        self.tree.root()
    }

    /// Ends the walk: a chain needs at least its genesis.
    pub fn finish(self) -> Result<Summary, Violation> {
        self.summary()
    }

    /// What the entries accepted so far prove, as [`ChainVerifier::finish`]
    /// reports it, without ending the walk.
    pub fn summary(&self) -> Result<Summary, Violation> {
        let registry = self.rules.registry();
        match (self.rules.last_recorded_at(), registry.genesis_authority()) {
            (Some(last), Some(authority)) => Ok(Summary {
                length: self.rules.next_seq(),
                head_hash: self.rules.prev_hash(),
                ledger_name: registry.ledger_name().unwrap_or_default().to_string(),
                authority,
                last_recorded_at: last,
                merkle_root: self.tree.root(),
                clock_corrections: self.clock_corrections.clone(),
                checkpoint_signers: SignerPeriod::of_registry(registry),
            }),
            _ => Err(Violation::new(0, Rule::Empty, Cause::Empty)),
        }
    }

    /// Format v3: the seq of the redaction, among the entries walked, that
    /// erased `slot` of the entry with hash `target`.
    pub fn redacted_at(
        &self,
        target: &custody_format::event::EntryHash,
        slot: custody_format::commit::Slot,
    ) -> Option<u64> {
        self.walked.v3.redacted_at(target, slot)
    }

    /// The registry as replayed so far (who held what role).
    pub fn registry(&self) -> &KeyRegistry {
        self.rules.registry()
    }
}

/// The author signature of a statement entry, to check with the entry's
/// own, given what the rules (which did not check it) found.
///
/// The rules check `statement_signature` right after the entry's position
/// (sequence, prev_hash, version), so the verdict must be the one they
/// would give if they had: a position breach comes first; a weak author
/// key is `statement_signature` at once; and if a later rule broke, the
/// signature is verified here, inline, since a bad one is what a walk that
/// checks it inline would report. Only a failing entry pays that.
pub(crate) fn statement_job(
    seq: u64,
    event: &Event,
    checked: &Result<custody_format::stream::StreamList, Breach>,
    keys: &mut SignerKeys,
) -> Result<Option<StatementSignatureJob>, Violation> {
    let Event::Statement(s) = event else {
        return Ok(None);
    };
    if let Err(b) = checked {
        if matches!(b.rule(), Rule::Sequence | Rule::PrevHash | Rule::Version) {
            return Err(Violation::breach(seq, b.clone()));
        }
    }
    let job = StatementSignatureJob::of(&s.statement, keys)
        .map_err(|e| Violation::breach(seq, Breach::StatementSignature(e)))?;
    if checked.is_err() {
        job.verify_strict(seq)?;
    }
    Ok(Some(job))
}
