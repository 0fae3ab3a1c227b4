//! What a verification finds: the first [`Violation`] (which entry, which
//! [`Rule`], and what exactly, as a typed [`Cause`]), or the [`Summary`] of
//! what a valid chain proved.

use crate::merkle::MerkleError;
use custody_format::entry::EntryError;
use custody_format::event::{EntryHash, PersonId, PublicKeyBytes, Role};
use custody_format::key::WeakKey;
use custody_format::rules::Breach;
pub use custody_format::rules::Rule;
use custody_format::time::Timestamp;
use std::fmt;

/// What exactly broke a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The bytes do not decode as an entry (rules `format`, `version`).
    Entry(EntryError),
    /// A chain rule (`custody_format::rules`).
    Breach(Breach),
    /// The signer's key may not sign.
    WeakSigner(WeakKey),
    /// The signature's R is a small-order or non-canonical point.
    WeakR,
    /// The signature does not verify for its signer.
    BadSignature(PublicKeyBytes),
    /// A claim beside the signed bytes does not match them.
    Claim {
        /// The claim's field (`seq`, `hash`, `view`).
        field: &'static str,
        /// What it claims, cut to a readable length (`None` for a view).
        claimed: Option<String>,
        /// What the bytes say.
        actual: Option<String>,
    },
    /// An entry of a bundle is not included in its checkpoint's tree.
    NotIncluded {
        /// The checkpoint's tree size.
        size: u64,
        /// Why the proof fails.
        error: MerkleError,
    },
    /// An entry of a bundle appears twice.
    Duplicate,
    /// A bundle's entries are not in ascending seq.
    OutOfOrder {
        /// The greatest seq before it in the document.
        after: u64,
    },
    /// A bundle carries evidence about someone else.
    OtherPerson {
        /// Whom the entry is about.
        about: Option<PersonId>,
        /// The bundle's person.
        person: PersonId,
    },
    /// The chain does not extend a checkpoint it was checked against.
    NotExtended(crate::checkpoint::NotExtended),
    /// Two valid checkpoints of one size with different roots.
    Equivocation {
        /// The size.
        size: u64,
        /// The ledger's own checkpoint entry of that size.
        seq: u64,
    },
    /// A signature could not be checked (a worker stopped): not valid.
    Unchecked,
    /// There are no entries at all.
    Empty,
    /// A complete bundle (`custody-bundle/2`) lacks an entry it must hold:
    /// its hash when something names it, and why it was named (or, for
    /// entries no link names, how many are short).
    Missing {
        /// The missing entry's hash, when a link, head or target names it.
        hash: Option<EntryHash>,
        /// Why the bundle must hold it ("previous entry about P-1, linked
        /// from seq 4").
        why: String,
    },
    /// What else a complete bundle's check found, in words (rules
    /// `map_proof`, `unauthenticated`, `extra_entry`, `no_commitment`,
    /// `stale_checkpoint`, `unanchored`, `inconsistent`, and `link`, `seal`
    /// as a bundle sees them).
    Completeness(String),
    /// Format v3: a disclosure does not open its entry (rule
    /// `disclosure`).
    Disclosure(crate::disclosures::DisclosureProblem),
    /// Format v3: a committed slot is neither disclosed nor redacted, and
    /// the reader demanded every one (rule `withheld`).
    Withheld {
        /// The slot.
        slot: custody_format::commit::Slot,
    },
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Entry(e) => e.fmt(f),
            Cause::Breach(b) => b.fmt(f),
            Cause::WeakSigner(w) => write!(f, "signer {w}"),
            Cause::WeakR => f.write_str("the signature's R is a small-order or non-canonical point"),
            Cause::BadSignature(k) => write!(f, "the signature does not verify for signer {k}"),
            Cause::Claim {
                field,
                claimed: Some(claimed),
                actual: Some(actual),
            } => write!(
                f,
                "the `{field}` beside the signed bytes does not match them (claims {claimed}, bytes say {actual})"
            ),
            Cause::Claim { field, .. } => write!(
                f,
                "the `{field}` beside the signed bytes does not match them; trust only the bytes"
            ),
            Cause::NotIncluded { size, error } => {
                write!(f, "not included in the checkpoint's tree of {size}: {error}")
            }
            Cause::Duplicate => f.write_str("the entry appears twice"),
            Cause::OutOfOrder { after } => write!(
                f,
                "the entry comes after entry {after} in the bundle; a bundle lists its entries in ascending seq"
            ),
            Cause::OtherPerson { about, person } => write!(
                f,
                "the entry is about {}, not {person}: a bundle must carry nothing about anyone else",
                about.as_ref().map_or("nobody", PersonId::as_str)
            ),
            Cause::NotExtended(n) => n.fmt(f),
            Cause::Equivocation { size, seq } => write!(
                f,
                "EQUIVOCATION: two valid checkpoints of size {size} with different roots (this one, and entry {seq} of the ledger)"
            ),
            Cause::Unchecked => f.write_str("a signature check could not be completed"),
            Cause::Empty => f.write_str("there are no entries; a ledger starts with its genesis"),
            Cause::Missing {
                hash: Some(hash),
                why,
            } => write!(f, "the bundle lacks the entry with hash {hash}: {why}"),
            Cause::Missing { hash: None, why } => write!(f, "the bundle lacks {why}"),
            Cause::Completeness(detail) => f.write_str(detail),
            Cause::Disclosure(p) => write!(
                f,
                "{p}: someone altered or forged the cleartext beside the signed bytes; trust only the bytes"
            ),
            Cause::Withheld { slot } => write!(
                f,
                "{slot} is withheld: no disclosure opens its commitment and no redaction erased it, and every field was demanded (--all-disclosed)"
            ),
        }
    }
}

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("seq {seq}: {rule}: {cause}")]
pub struct Violation {
    /// Position of the bad entry in the chain (its expected seq).
    pub seq: u64,
    /// The rule broken.
    pub rule: Rule,
    /// What exactly.
    pub cause: Cause,
}

impl Violation {
    /// A violation of `rule` at `seq`.
    pub fn new(seq: u64, rule: Rule, cause: Cause) -> Violation {
        Violation { seq, rule, cause }
    }

    /// A broken chain rule at `seq`.
    pub fn breach(seq: u64, breach: Breach) -> Violation {
        Violation::new(seq, breach.rule(), Cause::Breach(breach))
    }

    /// What exactly, in words (the JSON report's `detail`).
    pub fn detail(&self) -> String {
        self.cause.to_string()
    }
}

impl Summary {
    /// What checking a checkpoint against this chain needs
    /// ([`crate::checkpoint::check_extends`]).
    pub fn facts(&self) -> crate::checkpoint::ChainFacts<'_> {
        crate::checkpoint::ChainFacts {
            ledger_name: &self.ledger_name,
            length: self.length,
            checkpoint_signers: &self.checkpoint_signers,
        }
    }
}

/// When a key held a role that may sign checkpoints
/// ([`Role::CHECKPOINT_SIGNERS`]: `authority`, or a server's `registrar`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignerPeriod {
    /// The key.
    pub key: PublicKeyBytes,
    /// The role it held.
    pub role: Role,
    /// The seq of the entry that granted it (0 for the genesis authority).
    pub granted_at: u64,
    /// The seq of the entry that revoked the key, if any.
    pub revoked_at: Option<u64>,
}

impl SignerPeriod {
    /// Every period `registry` records of a role that may sign checkpoints
    /// (one per key and role).
    pub fn of_registry(registry: &custody_format::registry::KeyRegistry) -> Vec<SignerPeriod> {
        registry
            .keys()
            .flat_map(|k| {
                Role::CHECKPOINT_SIGNERS.iter().filter_map(|role| {
                    k.roles.get(role).map(|&granted_at| SignerPeriod {
                        key: k.public_key,
                        role: *role,
                        granted_at,
                        revoked_at: k.revoked.as_ref().map(|(seq, _)| *seq),
                    })
                })
            })
            .collect()
    }

    /// The keys of `periods` that held their role after the first `size`
    /// entries: those whose signature on a checkpoint of that size counts.
    pub fn keys_at(periods: &[SignerPeriod], size: u64) -> Vec<[u8; 32]> {
        periods
            .iter()
            .filter(|p| p.at_size(size))
            .map(|p| p.key.0)
            .collect()
    }

    /// True if the key held the role after the first `size` entries: its
    /// grant is among them, its revocation is not.
    pub fn at_size(&self, size: u64) -> bool {
        self.granted_at < size && self.revoked_at.is_none_or(|r| r >= size)
    }
}

/// A clock correction the chain holds (format v2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockCorrectionSeen {
    /// The correction's seq.
    pub seq: u64,
    /// The first entry it declares recorded by a wrong clock.
    pub since: u64,
    /// The time it states (its own `recorded_at`).
    pub recorded_at: Timestamp,
    /// Why, as the authority wrote it (untrusted text: escape it to show it).
    pub reason: String,
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
    /// Every clock correction, in seq order: the entries from `since` up to
    /// it carry a `recorded_at` the authority declared wrong.
    pub clock_corrections: Vec<ClockCorrectionSeen>,
    /// Every key that held a role that may sign checkpoints at some point
    /// (one period per role), with when: a checkpoint of size `n` counts
    /// only if signed by a key that held such a role after the first `n`
    /// entries ([`SignerPeriod::at_size`]).
    pub checkpoint_signers: Vec<SignerPeriod>,
}
