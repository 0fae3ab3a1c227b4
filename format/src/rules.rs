//! The chain rules, written once.
//!
//! Every path by which an entry enters or is checked — `append` (before it
//! signs), `restore` (entries signed long ago), the chain verifier (a store
//! or an export) and the bundle verifier (one person's entries) — asks
//! [`ChainRules`] whether the next entry may follow the ones before it.
//! What differs between them is only where two facts come from, so those
//! are passed in:
//!
//! - the state of a correction's target ([`Targets`]): the store looks in
//!   its indexes, the verifiers keep an [`EvidenceSet`] of the evidence
//!   they have walked;
//! - the Merkle root of the entries before a checkpoint: the store computes
//!   it from its stored subtrees, the chain verifier from the bytes it
//!   walked; a bundle holds no such thing and passes none.
//!
//! The rules, in the order they are checked (docs/FORMAT.md §5 states them;
//! its rule 4, the signature, is the caller's):
//!
//! 1. **sequence**: `seq` is the next one (contiguous mode), or greater
//!    than the last one seen (sparse mode, for bundles);
//! 2. **prev_hash**: the hash of the entry before (zeros for the genesis);
//!    in sparse mode, checked whenever the entry before is present;
//! 3. **authority**: the signer held the role the event needs, replaying
//!    the genesis, grants and revocations before it ([`KeyRegistry`]);
//! 4. **recorded_at**: does not go backwards;
//! 5. **correction_target**: a correction names an earlier evidence entry
//!    that no correction named before;
//! 6. **checkpoint**: a checkpoint covers exactly the entries before it,
//!    states their Merkle root (where the caller can compute it), and its
//!    note signature verifies for its signer.
//!
//! Decoding (rule `format`, `version`) and the entry's own signature (rule
//! `signature`) are checked before these by the caller: they need the
//! stored bytes, and the rules need only the decoded body.

use crate::entry::{EntryBody, GENESIS_PREV_HASH};
use crate::event::{EntryHash, Event};
use crate::merkle_hash::Hash;
use crate::registry::{AuthError, KeyRegistry};
use crate::time::Timestamp;
use std::collections::HashSet;
use std::fmt;

/// The rule an entry broke. Its [`Rule::name`] is stable: scripts and JSON
/// reports match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The bytes are not a well-formed entry.
    Format,
    /// The entry's format version is not one this build knows.
    Version,
    /// Sequence numbers are not contiguous from 0 (or, in a bundle, not
    /// increasing).
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

/// What a correction's target is, as far as the entries before it show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetState {
    /// An evidence entry no correction has named yet: a valid target.
    Evidence,
    /// No earlier entry has this hash.
    Unknown,
    /// No earlier evidence entry with this hash is still open to
    /// correction (what a verifier that keeps only uncorrected evidence
    /// can say).
    NotOpen,
    /// An earlier entry that is not evidence (its type).
    NotEvidence(&'static str),
    /// An evidence entry already corrected, by the entry at this seq.
    Corrected(u64),
}

/// Where the rules learn what a correction's target is.
pub trait Targets {
    /// Why a lookup failed (a storage error; never a rule).
    type Error;
    /// The state of the entry with hash `target`, among the entries before
    /// the one being checked.
    fn target(&self, target: &EntryHash) -> Result<TargetState, Self::Error>;
}

/// The evidence entries walked so far that no correction has named: the
/// verifiers' [`Targets`]. About 50 bytes per uncorrected evidence entry.
#[derive(Clone, Debug, Default)]
pub struct EvidenceSet {
    open: HashSet<EntryHash>,
}

impl EvidenceSet {
    /// An empty set.
    pub fn new() -> EvidenceSet {
        EvidenceSet::default()
    }

    /// Records an accepted entry: evidence becomes a possible target, and
    /// a correction's target stops being one.
    pub fn accept(&mut self, hash: EntryHash, event: &Event) {
        if event.is_evidence() {
            self.open.insert(hash);
        }
        if let Event::Correction(c) = event {
            self.open.remove(&c.target);
        }
    }
}

impl Targets for EvidenceSet {
    type Error = std::convert::Infallible;
    fn target(&self, target: &EntryHash) -> Result<TargetState, Self::Error> {
        Ok(if self.open.contains(target) {
            TargetState::Evidence
        } else {
            TargetState::NotOpen
        })
    }
}

/// Why a checkpoint entry breaks rule 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointProblem {
    /// It claims another number of entries than the ones before it.
    Size {
        /// Its `tree_size`.
        claimed: u64,
        /// Its seq (the number of entries before it).
        seq: u64,
    },
    /// Its root is not the Merkle root of the entries before it.
    Root {
        /// The root it states.
        stated: Hash,
        /// The root of the entries before it.
        actual: Hash,
    },
    /// Its note signature does not verify for its signer.
    Signature,
}

/// A broken rule, with what exactly was found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Breach {
    /// Rule 1.
    #[error("the entry says seq {found}, but {expected}")]
    Sequence {
        /// The entry's seq.
        found: u64,
        /// What was expected, in words ("seq 4 comes next", …).
        expected: SeqExpectation,
    },
    /// Rule 2.
    #[error("prev_hash is {found}, but the previous entry hashes to {expected}")]
    PrevHash {
        /// The entry's `prev_hash`.
        found: EntryHash,
        /// The previous entry's hash.
        expected: EntryHash,
    },
    /// Rule 3.
    #[error(transparent)]
    Authority(#[from] AuthError),
    /// Rule 4.
    #[error("recorded_at {found} is earlier than the previous entry's {previous}")]
    RecordedAt {
        /// The entry's `recorded_at`.
        found: Timestamp,
        /// The previous entry's.
        previous: Timestamp,
    },
    /// Rule 5.
    #[error("the correction targets {target}, {}", target_problem(.target, .state))]
    CorrectionTarget {
        /// The hash it names.
        target: EntryHash,
        /// What that entry is.
        state: TargetState,
    },
    /// Rule 6.
    #[error("{}", checkpoint_problem(.0))]
    Checkpoint(CheckpointProblem),
}

/// What seq rule 1 expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqExpectation {
    /// Contiguous mode: exactly this seq.
    Next(u64),
    /// Sparse mode: a seq above this one.
    After(u64),
}

impl fmt::Display for SeqExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeqExpectation::Next(n) => write!(f, "{n} comes next"),
            SeqExpectation::After(n) => {
                write!(f, "entries must come in ascending seq, after {n}")
            }
        }
    }
}

fn target_problem(target: &EntryHash, state: &TargetState) -> String {
    match state {
        TargetState::Evidence => "an evidence entry".into(),
        TargetState::Unknown => {
            format!("but there is no entry with hash {target} in this ledger before it")
        }
        TargetState::NotOpen => {
            "which is not an earlier evidence entry that has not been corrected already".into()
        }
        TargetState::NotEvidence(t) => {
            format!("which is a {t}, not evidence about a person; only evidence can be corrected")
        }
        TargetState::Corrected(seq) => format!(
            "which was already corrected by entry {seq}; an entry is corrected once (to restore evidence, append it again)"
        ),
    }
}

fn checkpoint_problem(p: &CheckpointProblem) -> String {
    match p {
        CheckpointProblem::Size { claimed, seq } => format!(
            "it claims {claimed} entries but is entry {seq}; a checkpoint covers every entry before it"
        ),
        CheckpointProblem::Root { stated, actual } => format!(
            "it states root {}, but the entries before it have root {}",
            hex::encode(stated),
            hex::encode(actual)
        ),
        CheckpointProblem::Signature => {
            "its note signature does not verify for its signer".into()
        }
    }
}

impl Breach {
    /// The rule broken.
    pub fn rule(&self) -> Rule {
        match self {
            Breach::Sequence { .. } => Rule::Sequence,
            Breach::PrevHash { .. } => Rule::PrevHash,
            Breach::Authority(_) => Rule::Authority,
            Breach::RecordedAt { .. } => Rule::RecordedAt,
            Breach::CorrectionTarget { .. } => Rule::CorrectionTarget,
            Breach::Checkpoint(_) => Rule::Checkpoint,
        }
    }
}

/// Why [`ChainRules::check`] refused: a broken rule, or a failed lookup
/// (which says nothing about the entry).
#[derive(Debug, thiserror::Error)]
// Exhaustive on purpose: a check either finds a breach or could not look
// something up, and callers must handle both.
pub enum CheckError<E> {
    /// The entry breaks a rule.
    #[error(transparent)]
    Breach(#[from] Breach),
    /// Looking up a target or a root failed.
    #[error("lookup failed")]
    Lookup(E),
}

/// Whether entries must be contiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every entry from the genesis on, in order: a store, an export.
    Contiguous,
    /// Some entries, in ascending seq: a person's bundle.
    Sparse,
}

/// The state the rules keep between entries: where the chain is, and who
/// may sign. See the module docs for the rules.
#[derive(Clone, Debug)]
pub struct ChainRules {
    mode: Mode,
    /// Contiguous: the seq the next entry takes. Sparse: one past the last
    /// seq seen (0 before any).
    next_seq: u64,
    prev_hash: Option<EntryHash>,
    last_recorded_at: Option<Timestamp>,
    registry: KeyRegistry,
}

impl Default for ChainRules {
    fn default() -> ChainRules {
        ChainRules::new(Mode::Contiguous)
    }
}

impl ChainRules {
    /// Rules for a chain that starts with its genesis.
    pub fn new(mode: Mode) -> ChainRules {
        ChainRules {
            mode,
            next_seq: 0,
            prev_hash: None,
            last_recorded_at: None,
            registry: KeyRegistry::new(),
        }
    }

    /// Rules continuing a contiguous chain whose last entry is `head`
    /// (seq, hash, recorded_at), with the registry as of that entry: how
    /// the store resumes after its head.
    pub fn resume(head: (u64, EntryHash, Timestamp), registry: KeyRegistry) -> ChainRules {
        ChainRules {
            mode: Mode::Contiguous,
            next_seq: head.0 + 1,
            prev_hash: Some(head.1),
            last_recorded_at: Some(head.2),
            registry,
        }
    }

    /// In contiguous mode, the seq the next entry must take (in sparse
    /// mode, one past the last seq seen).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The hash the next entry links to (the last accepted entry's hash,
    /// or zeros before the genesis).
    pub fn prev_hash(&self) -> EntryHash {
        self.prev_hash.unwrap_or(GENESIS_PREV_HASH)
    }

    /// `recorded_at` of the last accepted entry.
    pub fn last_recorded_at(&self) -> Option<Timestamp> {
        self.last_recorded_at
    }

    /// Who may sign what, as of the last accepted entry.
    pub fn registry(&self) -> &KeyRegistry {
        &self.registry
    }

    /// Checks `body` as the next entry. `root_before` gives the Merkle root
    /// of the entries before it, when it is a checkpoint and the caller can
    /// compute it (`None`: a bundle, which cannot). Changes nothing.
    pub fn check<T: Targets>(
        &self,
        body: &EntryBody,
        targets: &T,
        root_before: Option<&dyn Fn() -> Result<Hash, T::Error>>,
    ) -> Result<(), CheckError<T::Error>> {
        let seq = body.seq;
        // 1. Sequence, 2. link.
        match self.mode {
            Mode::Contiguous => {
                if seq != self.next_seq {
                    return Err(Breach::Sequence {
                        found: seq,
                        expected: SeqExpectation::Next(self.next_seq),
                    }
                    .into());
                }
                self.check_link(body)?;
            }
            Mode::Sparse => {
                if self.prev_hash.is_some() && seq < self.next_seq {
                    return Err(Breach::Sequence {
                        found: seq,
                        expected: SeqExpectation::After(self.next_seq - 1),
                    }
                    .into());
                }
                if seq == self.next_seq || seq == 0 {
                    self.check_link(body)?;
                }
            }
        }
        // 3. Authority, replayed from the governance before it.
        self.registry
            .check(seq, &body.signer, &body.event)
            .map_err(Breach::Authority)?;
        // 4. Clock.
        if let Some(previous) = self.last_recorded_at {
            if body.recorded_at < previous {
                return Err(Breach::RecordedAt {
                    found: body.recorded_at,
                    previous,
                }
                .into());
            }
        }
        // 5. Correction target.
        if let Event::Correction(c) = &body.event {
            let state = targets.target(&c.target).map_err(CheckError::Lookup)?;
            if state != TargetState::Evidence {
                return Err(Breach::CorrectionTarget {
                    target: c.target,
                    state,
                }
                .into());
            }
        }
        // 6. Checkpoint.
        if let Event::Checkpoint(c) = &body.event {
            self.check_checkpoint(body, c, root_before)?;
        }
        Ok(())
    }

    fn check_link<E>(&self, body: &EntryBody) -> Result<(), CheckError<E>> {
        let expected = self.prev_hash();
        if body.prev_hash != expected {
            return Err(Breach::PrevHash {
                found: body.prev_hash,
                expected,
            }
            .into());
        }
        Ok(())
    }

    fn check_checkpoint<E>(
        &self,
        body: &EntryBody,
        c: &crate::event::Checkpoint,
        root_before: Option<&dyn Fn() -> Result<Hash, E>>,
    ) -> Result<(), CheckError<E>> {
        let problem = |p| Err(Breach::Checkpoint(p).into());
        if c.tree_size != body.seq {
            return problem(CheckpointProblem::Size {
                claimed: c.tree_size,
                seq: body.seq,
            });
        }
        if let Some(root) = root_before {
            let actual = root().map_err(CheckError::Lookup)?;
            if c.root_hash.0 != actual {
                return problem(CheckpointProblem::Root {
                    stated: c.root_hash.0,
                    actual,
                });
            }
        }
        let text = crate::note::note_text(
            self.registry.ledger_name().unwrap_or_default(),
            c.tree_size,
            &c.root_hash.0,
        );
        let signed = crate::key::signer_key(&body.signer).ok().is_some_and(|k| {
            k.verify_strict(
                text.as_bytes(),
                &ed25519_dalek::Signature::from_bytes(&c.note_signature.0),
            )
            .is_ok()
        });
        if !signed {
            return problem(CheckpointProblem::Signature);
        }
        Ok(())
    }

    /// Moves past `body`, which [`ChainRules::check`] accepted and whose
    /// stored bytes hash to `hash`.
    pub fn accept(&mut self, hash: EntryHash, body: &EntryBody) {
        self.registry.apply(body.seq, &body.event);
        self.prev_hash = Some(hash);
        self.last_recorded_at = Some(body.recorded_at);
        self.next_seq = body.seq + 1;
    }
}
