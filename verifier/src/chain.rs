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
//! 2. its `seq` is the next one (0, 1, 2, …);
//! 3. its `prev_hash` is the hash of the entry before (zeros for the genesis);
//! 4. its ed25519 signature verifies, strictly, over the domain-separated
//!    digest of its body bytes, for the signer it names (checked at once by
//!    [`ChainVerifier::push`], or deferred to a batch on other cores by
//!    [`ChainVerifier::push_deferred`]);
//! 5. the signer held the needed role at that point, replaying the genesis,
//!    grants and revocations that came before it;
//! 6. `recorded_at` does not go backwards;
//! 7. a correction targets an earlier evidence entry that exists and was
//!    not corrected before;
//! 8. a checkpoint states the Merkle root of exactly the entries before it,
//!    and its note signature verifies.

use crate::merkle::{leaf_hash, StreamingRoot};
use crate::signatures::SignatureJob;
use custody_format::entry::{self, EntryError, SignedEntry, GENESIS_PREV_HASH};
use custody_format::event::{EntryHash, Event, PublicKeyBytes, Role};
use custody_format::registry::KeyRegistry;
use custody_format::time::Timestamp;
use ed25519_dalek::VerifyingKey;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The rule an entry broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The bytes are not a well-formed entry.
    Format,
    /// The entry's format version is not one this verifier knows.
    Version,
    /// Sequence numbers are not contiguous from 0.
    Sequence,
    /// `prev_hash` is not the previous entry's hash.
    PrevHash,
    /// The signature does not verify.
    Signature,
    /// The signer did not hold the needed role (or the genesis is wrong).
    Authority,
    /// `recorded_at` went backwards.
    RecordedAt,
    /// A correction's target is not an earlier evidence entry.
    CorrectionTarget,
    /// A checkpoint entry does not state the tree before it, or its note
    /// signature fails.
    Checkpoint,
    /// The ledger has no entries at all.
    Empty,
    /// A claim beside the signed bytes (an export's hash, seq or decoded
    /// view) does not match them.
    Claim,
}

impl Rule {
    /// A short stable name, for JSON reports and scripts.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Format => "format",
            Rule::Version => "version",
            Rule::Sequence => "sequence",
            Rule::PrevHash => "prev_hash",
            Rule::Signature => "signature",
            Rule::Authority => "authority",
            Rule::RecordedAt => "recorded_at",
            Rule::CorrectionTarget => "correction_target",
            Rule::Checkpoint => "checkpoint",
            Rule::Empty => "empty",
            Rule::Claim => "claim",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("seq {seq}: {rule}: {detail}")]
pub struct Violation {
    /// Position of the bad entry in the chain (its expected seq).
    pub seq: u64,
    /// The rule broken.
    pub rule: Rule,
    /// What exactly, in words.
    pub detail: String,
}

/// What a valid chain proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Number of entries.
    pub length: u64,
    /// Hash of the last entry.
    pub head_hash: EntryHash,
    /// The ledger's name, from the genesis.
    pub ledger_name: String,
    /// The authority key named by the genesis.
    pub authority: PublicKeyBytes,
    /// `recorded_at` of the last entry.
    pub last_recorded_at: Timestamp,
    /// The Merkle tree hash of all the entries, computed from their bytes.
    pub merkle_root: [u8; 32],
    /// Every key that held the `authority` role at some point (the keys
    /// that may have signed this ledger's checkpoints).
    pub authority_keys: Vec<PublicKeyBytes>,
}

/// Walks a chain entry by entry. See the module docs for the rules.
#[derive(Default, Clone)]
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: Option<EntryHash>,
    last_recorded_at: Option<Timestamp>,
    registry: KeyRegistry,
    evidence: HashSet<EntryHash>,
    keys: HashMap<PublicKeyBytes, VerifyingKey>,
    tree: StreamingRoot,
}

impl ChainVerifier {
    /// A verifier expecting the genesis next.
    pub fn new() -> ChainVerifier {
        ChainVerifier::default()
    }

    /// Number of entries accepted so far.
    pub fn len(&self) -> u64 {
        self.next_seq
    }

    /// True before the first entry.
    pub fn is_empty(&self) -> bool {
        self.next_seq == 0
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
    /// returns the signature check to be done (one by one, or in a batch on
    /// another core: see [`crate::signatures`]). The caller must run every
    /// returned job: an entry is verified only when its job passed too.
    pub fn push_deferred(
        &mut self,
        stored: &[u8],
    ) -> Result<(SignedEntry, SignatureJob), Violation> {
        let seq = self.next_seq;
        let fail = |rule: Rule, detail: String| Violation { seq, rule, detail };

        // 1. Format.
        let entry = SignedEntry::decode(stored.to_vec()).map_err(|e| match e {
            EntryError::Version(_) => fail(Rule::Version, e.to_string()),
            _ => fail(Rule::Format, e.to_string()),
        })?;
        let body = entry.body();

        // 2. Sequence.
        if body.seq != seq {
            return Err(fail(
                Rule::Sequence,
                format!("entry says seq {}, but {seq} comes next", body.seq),
            ));
        }

        // 3. Link. The hash is recomputed from the bytes, never read.
        let expected_prev = self.prev_hash.unwrap_or(GENESIS_PREV_HASH);
        if body.prev_hash != expected_prev {
            return Err(fail(
                Rule::PrevHash,
                format!(
                    "prev_hash is {}, but the previous entry hashes to {expected_prev}",
                    body.prev_hash
                ),
            ));
        }

        // 4. Signature: prepare the check over the digest of the body bytes
        // exactly as stored. The key is decoded and checked once per signer.
        let (body_bytes, sig) =
            entry::split(stored).map_err(|e| fail(Rule::Format, e.to_string()))?;
        let key = match self.keys.get(&body.signer) {
            Some(k) => *k,
            None => {
                let k = custody_format::key::signer_key(&body.signer)
                    .map_err(|e| fail(Rule::Signature, e.to_string()))?;
                self.keys.insert(body.signer, k);
                k
            }
        };
        let job = SignatureJob {
            seq,
            digest: entry::signing_digest(body_bytes),
            signature: *sig,
            key,
        };

        // 5. Authority, replayed from earlier governance entries only.
        self.registry
            .check(seq, &body.signer, &body.event)
            .map_err(|e| fail(Rule::Authority, e.to_string()))?;

        // 6. Clock.
        if let Some(last) = self.last_recorded_at {
            if body.recorded_at < last {
                return Err(fail(
                    Rule::RecordedAt,
                    format!(
                        "recorded_at {} is earlier than the previous entry's {last}",
                        body.recorded_at
                    ),
                ));
            }
        }

        // 7. Correction targets: an earlier evidence entry, corrected once.
        if let Event::Correction(c) = &body.event {
            if !self.evidence.contains(&c.target) {
                return Err(fail(
                    Rule::CorrectionTarget,
                    format!(
                        "the correction targets {}, which is not an earlier evidence entry that has not been corrected already",
                        c.target
                    ),
                ));
            }
        }

        // 8. Checkpoints state the tree of every entry before them, and
        // their note signature holds.
        if let Event::Checkpoint(c) = &body.event {
            let root = self.tree.root();
            let text = crate::checkpoint::note_text(
                self.registry.ledger_name().unwrap_or_default(),
                c.tree_size,
                &c.root_hash.0,
            );
            let problem = if c.tree_size != seq {
                Some(format!(
                    "it claims {} entries but is entry {seq}",
                    c.tree_size
                ))
            } else if c.root_hash.0 != root {
                Some(format!(
                    "it states root {}, but the entries before it have root {}",
                    hex::encode(c.root_hash.0),
                    hex::encode(root)
                ))
            } else if key
                .verify_strict(
                    text.as_bytes(),
                    &ed25519_dalek::Signature::from_bytes(&c.note_signature.0),
                )
                .is_err()
            {
                Some("its note signature does not verify for its signer".to_string())
            } else {
                None
            };
            if let Some(detail) = problem {
                return Err(fail(Rule::Checkpoint, detail));
            }
        }

        // Accept.
        self.tree.push(leaf_hash(stored));
        self.registry.apply(seq, &body.event);
        if body.event.is_evidence() {
            self.evidence.insert(entry.hash());
        }
        if let Event::Correction(c) = &body.event {
            self.evidence.remove(&c.target);
        }
        self.prev_hash = Some(entry.hash());
        self.last_recorded_at = Some(body.recorded_at);
        self.next_seq += 1;
        Ok((entry, job))
    }

    /// Ends the walk: a chain needs at least its genesis.
    pub fn finish(self) -> Result<Summary, Violation> {
        match (
            self.prev_hash,
            self.registry.genesis_authority(),
            self.last_recorded_at,
        ) {
            (Some(head_hash), Some(authority), Some(last)) => Ok(Summary {
                length: self.next_seq,
                head_hash,
                ledger_name: self.registry.ledger_name().unwrap_or_default().to_string(),
                authority,
                last_recorded_at: last,
                merkle_root: self.tree.root(),
                authority_keys: self
                    .registry
                    .keys()
                    .filter(|k| k.roles.contains_key(&Role::Authority))
                    .map(|k| k.public_key)
                    .collect(),
            }),
            _ => Err(Violation {
                seq: 0,
                rule: Rule::Empty,
                detail: "there are no entries; a ledger starts with its genesis".into(),
            }),
        }
    }

    /// The registry as replayed so far (who held what role).
    pub fn registry(&self) -> &KeyRegistry {
        &self.registry
    }
}
