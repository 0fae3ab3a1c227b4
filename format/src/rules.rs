//! The chain rules, written once.
//!
//! Every path by which an entry enters or is checked — `append` (before it
//! signs), `restore` (entries signed long ago), the chain verifier (a store
//! or an export) and the bundle verifier (one person's entries) — asks
//! [`ChainRules`] whether the next entry may follow the ones before it.
//! What differs between them is only where two facts come from, so those
//! are passed in:
//!
//! - the state of a correction's target and the head of each stream before
//!   the entry ([`Lookups`]): the store looks in its indexes, the verifiers
//!   keep a [`WalkState`] of what they have walked;
//! - the Merkle root of the entries before a checkpoint, and what a seal
//!   must state ([`SealFacts`]): the store computes them from its stored
//!   subtrees and map, the chain verifier from the bytes it walked; a
//!   bundle holds no such thing and passes none.
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
//! 4. **recorded_at**: does not go backwards, except in a clock correction
//!    (version 2), which names an earlier entry from which the times were
//!    wrong;
//! 5. **correction_target**: a correction names an earlier evidence entry
//!    that no correction named before;
//!    (version 2: a dispute, **dispute_target**, names an earlier evidence
//!    entry about its own person that no correction named);
//! 6. **version**: versions never decrease along the chain (checked right
//!    after the link, so a v1 entry after a v2 one is named first);
//! 7. **link** (version 2): the entry names, for each of its streams, the
//!    stream's previous entry (contiguous mode only: a bundle's links are
//!    walked by the bundle verifier);
//! 8. **seal** (version 2): a seal states the map root and governance head
//!    of the entries before it (where the caller can compute them);
//! 9. **checkpoint**: a checkpoint covers exactly the entries before it,
//!    states their Merkle root (where the caller can compute it), its note
//!    signature verifies for its signer, and, in a version 2 body, the
//!    entry before it is a seal.
//!
//! Decoding (rule `format`, `version`) and the entry's own signature (rule
//! `signature`) are checked before these by the caller: they need the
//! stored bytes, and the rules need only the decoded body.

use crate::commit::{slots_of, Slot, SlotContent};
use crate::entry::{EntryBody, GENESIS_PREV_HASH, VERSION_2, VERSION_3};
use crate::event::{EntryHash, Event};
use crate::map_hash::{MapValue, MemoryMap};
use crate::merkle_hash::Hash;
use crate::registry::{AuthError, KeyRegistry};
use crate::statement::{StatementId, StatementSignatureError};
use crate::stream::{streams, Link, Stream, StreamList};
use crate::time::Timestamp;
use std::collections::HashMap;
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
    /// A v2 entry does not name the previous entry of one of its streams.
    Link,
    /// A seal does not state what the entries before it commit to.
    Seal,
    /// A dispute's target is not an earlier, uncorrected evidence entry
    /// about the same person.
    DisputeTarget,
    /// Bundle (`custody-bundle/2`): an entry the bundle must hold is not in
    /// it (named by a link, a head, a correction's target, or a count).
    MissingEntry,
    /// Bundle: the person's map proof does not hold against the seal.
    MapProof,
    /// Bundle: an entry neither named by an authenticated entry nor carrying
    /// an inclusion proof.
    Unauthenticated,
    /// Bundle: an entry that is none of the person's, governance, a
    /// correction's target or the seal.
    ExtraEntry,
    /// Bundle: no seal, so nothing to prove completeness against (a
    /// `custody-bundle/1`, or a checkpoint without a seal before it).
    NoCommitment,
    /// Bundle: the checkpoint is older than the verifier asked for.
    StaleCheckpoint,
    /// Bundle: a pinned checkpoint smaller than the bundle's has no anchor
    /// in it.
    Unanchored,
    /// Bundle: the bundle's checkpoint and a pinned one of the same size
    /// disagree (equivocation), or an anchor's proof or streams disagree.
    Inconsistent,
    /// Format v3: a statement's author signature does not verify strictly.
    StatementSignature,
    /// Format v3: a statement's author does not hold `investigator` at the
    /// registering entry.
    Author,
    /// Format v3: a statement signed for another ledger.
    StatementLedger,
    /// Format v3: a statement already registered in the chain.
    DuplicateStatement,
    /// Format v3: a redaction names an entry or slot it may not.
    Redaction,
    /// Format v3: a predecessor anywhere but at seq 1.
    Predecessor,
    /// Format v3: a disclosure beside an entry (export line, bundle item)
    /// does not open one of its commitments: altered or forged cleartext,
    /// or a disclosure where the entry has nothing to disclose (design
    /// §3.4).
    Disclosure,
    /// Format v3: a committed field was neither disclosed nor redacted,
    /// and the reader demanded every field (`--all-disclosed`).
    Withheld,
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
            Rule::Link => "link",
            Rule::Seal => "seal",
            Rule::DisputeTarget => "dispute_target",
            Rule::MissingEntry => "missing_entry",
            Rule::MapProof => "map_proof",
            Rule::Unauthenticated => "unauthenticated",
            Rule::ExtraEntry => "extra_entry",
            Rule::NoCommitment => "no_commitment",
            Rule::StaleCheckpoint => "stale_checkpoint",
            Rule::Unanchored => "unanchored",
            Rule::Inconsistent => "inconsistent",
            Rule::StatementSignature => "statement_signature",
            Rule::Author => "author",
            Rule::StatementLedger => "statement_ledger",
            Rule::DuplicateStatement => "duplicate_statement",
            Rule::Redaction => "redaction",
            Rule::Predecessor => "predecessor",
            Rule::Disclosure => "disclosure",
            Rule::Withheld => "withheld",
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
    /// An evidence entry no correction has named yet: a valid target, about
    /// the person with this map key.
    Evidence(Hash),
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
    /// Evidence about another person than the entry that names it (a
    /// dispute contests evidence about its own person only).
    OtherPerson,
}

/// Where the rules learn what the entries before the one being checked
/// say: a correction's target, and each stream's head.
pub trait Lookups {
    /// Why a lookup failed (a storage error; never a rule).
    type Error;
    /// The state of the entry with hash `target`, among the entries before
    /// the one being checked.
    fn target(&self, target: &EntryHash) -> Result<TargetState, Self::Error>;
    /// The last entry of `stream` before the one being checked (`None`: the
    /// stream is empty). Asked in contiguous mode only.
    fn stream_head(&self, stream: &Stream) -> Result<Option<Link>, Self::Error>;
    /// Format v3: the seq of the entry before the one being checked that
    /// carries the statement `id`, if one does (rule
    /// `duplicate_statement`).
    fn statement(&self, id: &StatementId) -> Result<Option<u64>, Self::Error>;
    /// Format v3: what a redaction may erase in the entry with hash
    /// `target`, among the entries before the one being checked (rule
    /// `redaction`).
    fn redaction_target(&self, target: &EntryHash) -> Result<RedactionTarget, Self::Error>;
}

/// What a redaction may erase in an entry (format v3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedactionTarget {
    /// No earlier version 3 entry has this hash (none at all, a later one,
    /// or a v1/v2 entry, whose cleartext is in its signed bytes).
    NotV3,
    /// An earlier v3 entry.
    V3 {
        /// Its seq.
        seq: u64,
        /// Its streams (a redaction names entries in its person's stream).
        streams: StreamList,
        /// Its committed slots, each with the seq of the redaction that
        /// already erased it, if one did.
        slots: Vec<(Slot, Option<u64>)>,
    },
}

/// Why a redaction breaks rule `redaction` (design §5).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedactionProblem {
    /// The target is not an earlier version 3 entry.
    NotV3 {
        /// The target.
        target: EntryHash,
    },
    /// The target is not in the redaction's person's stream.
    OtherPerson {
        /// The target.
        target: EntryHash,
        /// Its seq.
        seq: u64,
    },
    /// The slot is not a commitment of the target (no such field, or an
    /// absent one).
    NoCommitment {
        /// The target.
        target: EntryHash,
        /// The slot.
        slot: Slot,
    },
    /// The slot was already erased.
    AlreadyRedacted {
        /// The target.
        target: EntryHash,
        /// The slot.
        slot: Slot,
        /// The earlier redaction's seq.
        at: u64,
    },
}

/// What a seal must state: the person map's root, and the governance
/// stream's length and last entry, over the entries before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealFacts {
    /// The root of the person map.
    pub map_root: Hash,
    /// How many governance entries.
    pub gov_count: u64,
    /// The last of them.
    pub gov_head: Link,
}

/// The evidence entries walked so far that no correction has named, each
/// with its person's map key. The keys are interned (a 4-byte index per
/// entry, one 32-byte key per person): about 50 bytes per uncorrected
/// evidence entry.
#[derive(Clone, Debug, Default)]
pub struct EvidenceSet {
    // A B-tree, not a hash table: at a million entries a hash table's
    // power-of-two growth holds two million slots, and both tables while
    // it grows; the tree holds about 50 bytes per entry and never doubles.
    open: std::collections::BTreeMap<EntryHash, u32>,
    keys: Vec<Hash>,
    index: HashMap<Hash, u32>,
}

impl EvidenceSet {
    /// An empty set.
    pub fn new() -> EvidenceSet {
        EvidenceSet::default()
    }

    /// Records an accepted entry: evidence becomes a possible target, and
    /// a correction's target stops being one.
    pub fn accept(&mut self, hash: EntryHash, event: &Event) {
        if let Some(p) = event.person() {
            let key = crate::map_hash::person_key(p.as_str());
            let next = u32::try_from(self.keys.len()).expect("fewer than 2^32 persons");
            let i = *self.index.entry(key).or_insert(next);
            if i == next {
                self.keys.push(key);
            }
            self.open.insert(hash, i);
        }
        if let Event::Correction(c) = event.inner() {
            self.open.remove(&c.target);
        }
    }

    /// The state of `target`, as far as this set can tell.
    pub fn target(&self, target: &EntryHash) -> TargetState {
        match self.open.get(target) {
            Some(&i) => TargetState::Evidence(self.keys[i as usize]),
            None => TargetState::NotOpen,
        }
    }
}

/// Each stream's length and last entry, and the person map, kept by a
/// verifier as it walks entries (format v2, docs/FORMAT.md §12).
#[derive(Clone, Debug, Default)]
pub struct StreamTracker {
    heads: HashMap<Stream, MapValue>,
    map: MemoryMap,
}

impl StreamTracker {
    /// No entries yet.
    pub fn new() -> StreamTracker {
        StreamTracker::default()
    }

    /// The length and last entry of `stream`, if it has any.
    pub fn value(&self, stream: &Stream) -> Option<MapValue> {
        self.heads.get(stream).copied()
    }

    /// The entry at `link` belongs to `streams`: each gets one more entry,
    /// and this one as its head.
    pub fn advance(&mut self, streams: &StreamList, link: Link) {
        for s in streams.as_slice() {
            let v = self.heads.entry(*s).or_insert(MapValue {
                count: 0,
                head: link,
            });
            v.count += 1;
            v.head = link;
            if let Stream::Person(k) = s {
                self.map.set(*k, v);
            }
        }
    }

    /// What a seal after the entries so far must state (`None` before the
    /// genesis). Rehashes only the map paths changed since the last call.
    pub fn seal_facts(&mut self) -> Option<SealFacts> {
        let gov = self.heads.get(&Stream::Governance).copied()?;
        Some(SealFacts {
            map_root: self.map.root(),
            gov_count: gov.count,
            gov_head: gov.head,
        })
    }

    /// The person map so far (for proofs).
    pub fn map_mut(&mut self) -> &mut MemoryMap {
        &mut self.map
    }
}

/// What a verifier walking every entry knows: the open evidence and the
/// streams. Its [`Lookups`] never fail.
#[derive(Clone, Debug, Default)]
pub struct WalkState {
    /// Uncorrected evidence, for correction targets.
    pub evidence: EvidenceSet,
    /// Stream heads and the person map, for links and seals.
    pub streams: StreamTracker,
    /// Format v3: statements, committed slots and redactions so far.
    pub v3: V3State,
}

/// What the format v3 rules need of the entries walked: each statement's
/// id (`duplicate_statement`), and each v3 entry's committed slots and
/// streams, with the slots already erased (`redaction`). About 40 bytes a
/// statement and 50 bytes plus 5 a slot per v3 entry with commitments;
/// nothing for v1/v2 entries.
#[derive(Clone, Debug, Default)]
pub struct V3State {
    statements: std::collections::BTreeMap<StatementId, u64>,
    entries: std::collections::BTreeMap<EntryHash, (u64, StreamList, Vec<Slot>)>,
    redacted: std::collections::BTreeMap<(EntryHash, Slot), u64>,
}

impl V3State {
    /// Records an accepted entry.
    pub fn accept(&mut self, hash: EntryHash, body: &EntryBody, streams: &StreamList) {
        if body.version < VERSION_3 {
            return;
        }
        if let Event::Statement(s) = &body.event {
            self.statements.insert(s.statement.id(), body.seq);
        }
        if let Event::Redaction(r) = &body.event {
            for item in &r.items {
                for slot in &item.slots {
                    self.redacted.insert((item.target, *slot), body.seq);
                }
            }
        }
        let slots: Vec<Slot> = slots_of(&body.event)
            .into_iter()
            .filter(|(_, c)| matches!(c, SlotContent::Committed(_)))
            .map(|(s, _)| s)
            .collect();
        if !slots.is_empty() {
            self.entries.insert(hash, (body.seq, *streams, slots));
        }
    }

    /// The seq of the redaction, among the entries walked, that erased
    /// `slot` of the entry with hash `target`, if one did.
    pub fn redacted_at(&self, target: &EntryHash, slot: Slot) -> Option<u64> {
        self.redacted.get(&(*target, slot)).copied()
    }

    /// The seq of the entry carrying statement `id`.
    pub fn statement(&self, id: &StatementId) -> Option<u64> {
        self.statements.get(id).copied()
    }

    /// What a redaction may erase in `target`.
    pub fn redaction_target(&self, target: &EntryHash) -> RedactionTarget {
        match self.entries.get(target) {
            None => RedactionTarget::NotV3,
            Some((seq, streams, slots)) => RedactionTarget::V3 {
                seq: *seq,
                streams: *streams,
                slots: slots
                    .iter()
                    .map(|s| (*s, self.redacted.get(&(*target, *s)).copied()))
                    .collect(),
            },
        }
    }
}

impl WalkState {
    /// Nothing walked yet.
    pub fn new() -> WalkState {
        WalkState::default()
    }

    /// Records an accepted entry with hash `hash`, whose streams
    /// [`ChainRules::check`] returned.
    pub fn accept(&mut self, hash: EntryHash, body: &EntryBody, streams: &StreamList) {
        self.evidence.accept(hash, &body.event);
        self.v3.accept(hash, body, streams);
        self.streams.advance(
            streams,
            Link {
                seq: body.seq,
                hash,
            },
        );
    }
}

impl Lookups for WalkState {
    type Error = std::convert::Infallible;
    fn target(&self, target: &EntryHash) -> Result<TargetState, Self::Error> {
        Ok(self.evidence.target(target))
    }
    fn stream_head(&self, stream: &Stream) -> Result<Option<Link>, Self::Error> {
        Ok(self.streams.value(stream).map(|v| v.head))
    }
    fn statement(&self, id: &StatementId) -> Result<Option<u64>, Self::Error> {
        Ok(self.v3.statement(id))
    }
    fn redaction_target(&self, target: &EntryHash) -> Result<RedactionTarget, Self::Error> {
        Ok(self.v3.redaction_target(target))
    }
}

/// Why a seal breaks rule `seal`: the first of its fields that differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealProblem {
    /// Another map root.
    MapRoot {
        /// What it states.
        stated: Hash,
        /// What the entries before it give.
        actual: Hash,
    },
    /// Another governance count.
    GovCount {
        /// What it states.
        stated: u64,
        /// What the entries before it give.
        actual: u64,
    },
    /// Another governance head.
    GovHead {
        /// What it states.
        stated: Link,
        /// What the entries before it give.
        actual: Link,
    },
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
    /// A version 2 checkpoint whose previous entry is not a seal.
    NoSeal,
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
    /// Rule 4, for a clock correction: it names no earlier entry.
    #[error("the clock correction says entries from seq {since} were recorded by a wrong clock, but it is entry {seq}; it must name an earlier entry")]
    ClockCorrection {
        /// The seq it names.
        since: u64,
        /// Its own seq.
        seq: u64,
    },
    /// Rule `dispute_target`.
    #[error("the dispute targets {target}, {}", target_problem(.target, .state))]
    DisputeTarget {
        /// The hash it names.
        target: EntryHash,
        /// What that entry is.
        state: TargetState,
    },
    /// Rule `version`.
    #[error("the entry is format version {found}, but an earlier entry is version {previous}; versions never decrease along a chain")]
    Version {
        /// The entry's version.
        found: u16,
        /// The previous entry's.
        previous: u16,
    },
    /// Rule `link`: the entry names another previous entry of one of its
    /// streams than the one before it.
    #[error("{0}")]
    Link(Box<LinkMismatch>),
    /// Rule `link`: the entry carries another number of links than it has
    /// streams.
    #[error("the entry carries {found} links but belongs to {expected} streams")]
    LinkCount {
        /// Links carried.
        found: usize,
        /// Streams it belongs to.
        expected: usize,
    },
    /// Rule `seal`.
    #[error("{}", seal_problem(.0))]
    Seal(SealProblem),
    /// Rule 6.
    #[error("{}", checkpoint_problem(.0))]
    Checkpoint(CheckpointProblem),
    /// Format v3: the statement's author signature.
    #[error("the statement's author signature does not hold: {0}")]
    StatementSignature(StatementSignatureError),
    /// Format v3: the statement's author may not author evidence here.
    #[error("the statement's author cannot author evidence at this entry: {problem}; the statement claims to be signed at {signed_at} (the author's clock), which the ledger cannot check")]
    Author {
        /// Why (boxed: it is the largest breach, and a breach travels in
        /// every verifier's result).
        problem: Box<AuthError>,
        /// The statement's `signed_at`.
        signed_at: Timestamp,
    },
    /// Format v3: the statement names another ledger.
    #[error("the statement was signed for the ledger {found:?}, but this ledger is {expected:?}")]
    StatementLedger {
        /// The statement's `ledger`.
        found: String,
        /// The genesis's `ledger_name`.
        expected: String,
    },
    /// Format v3: the statement is already in the chain.
    #[error("statement {id} is already registered at seq {seq}; a statement is registered once")]
    DuplicateStatement {
        /// Its id.
        id: StatementId,
        /// Where it was registered first.
        seq: u64,
    },
    /// Format v3: rule `redaction`.
    #[error("{}", redaction_problem(.0))]
    Redaction(RedactionProblem),
    /// Format v3: a predecessor not at seq 1.
    #[error("a predecessor may only be entry 1, right after the genesis; this is entry {seq}")]
    Predecessor {
        /// Its seq.
        seq: u64,
    },
}

fn redaction_problem(p: &RedactionProblem) -> String {
    match p {
        RedactionProblem::NotV3 { target } => format!(
            "it names {target}, which is not an earlier version 3 entry (only v3 commitments can be erased)"
        ),
        RedactionProblem::OtherPerson { target, seq } => format!(
            "it names {target} (seq {seq}), which is not in the stream of the redaction's person"
        ),
        RedactionProblem::NoCommitment { target, slot } => {
            format!("it names {slot} of {target}, which holds no commitment")
        }
        RedactionProblem::AlreadyRedacted { target, slot, at } => {
            format!("it names {slot} of {target}, already redacted at seq {at}")
        }
    }
}

/// A link that does not name its stream's last entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("link {index} ({stream}) is {}, but that stream's last entry is {}", show_link(.found), show_link(.expected))]
pub struct LinkMismatch {
    /// Which link.
    pub index: usize,
    /// Its stream.
    pub stream: Stream,
    /// What the entry names.
    pub found: Option<Link>,
    /// The stream's actual last entry.
    pub expected: Option<Link>,
}

fn show_link(l: &Option<Link>) -> String {
    match l {
        Some(l) => l.to_string(),
        None => "none (the first of its stream)".into(),
    }
}

fn seal_problem(p: &SealProblem) -> String {
    match p {
        SealProblem::MapRoot { stated, actual } => format!(
            "it states map root {}, but the entries before it give {}",
            hex::encode(stated),
            hex::encode(actual)
        ),
        SealProblem::GovCount { stated, actual } => format!(
            "it states {stated} governance entries, but there are {actual} before it"
        ),
        SealProblem::GovHead { stated, actual } => format!(
            "it states governance head {stated}, but the last governance entry before it is {actual}"
        ),
    }
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
        TargetState::Evidence(_) => "an evidence entry".into(),
        TargetState::Unknown => {
            format!("but there is no entry with hash {target} in this ledger before it")
        }
        TargetState::NotOpen => {
            "which is not an earlier evidence entry that has not been corrected already".into()
        }
        TargetState::NotEvidence(t) => {
            format!("which is a {t}, not evidence about a person; only evidence can be corrected")
        }
        TargetState::OtherPerson => {
            "which is evidence about another person; a dispute contests evidence about its own person".into()
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
        CheckpointProblem::NoSeal => {
            "it is a version 2 checkpoint, but the entry before it is not a seal".into()
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
            Breach::RecordedAt { .. } | Breach::ClockCorrection { .. } => Rule::RecordedAt,
            Breach::CorrectionTarget { .. } => Rule::CorrectionTarget,
            Breach::Version { .. } => Rule::Version,
            Breach::Link(_) | Breach::LinkCount { .. } => Rule::Link,
            Breach::Seal(_) => Rule::Seal,
            Breach::DisputeTarget { .. } => Rule::DisputeTarget,
            Breach::Checkpoint(_) => Rule::Checkpoint,
            Breach::StatementSignature(_) => Rule::StatementSignature,
            Breach::Author { .. } => Rule::Author,
            Breach::StatementLedger { .. } => Rule::StatementLedger,
            Breach::DuplicateStatement { .. } => Rule::DuplicateStatement,
            Breach::Redaction(_) => Rule::Redaction,
            Breach::Predecessor { .. } => Rule::Predecessor,
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
    /// The last accepted entry's version (0 before any).
    last_version: u16,
    /// The last accepted entry is a seal.
    after_seal: bool,
    /// The caller verifies statements' author signatures itself (on other
    /// cores): [`ChainRules::defer_statement_signatures`].
    defer_statement_signatures: bool,
    registry: KeyRegistry,
}

impl Default for ChainRules {
    fn default() -> ChainRules {
        ChainRules::new(Mode::Contiguous)
    }
}

/// The last entry of a chain, as [`ChainRules::resume`] needs it.
#[derive(Clone, Copy, Debug)]
pub struct HeadFacts {
    /// Its seq.
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
    /// Its `recorded_at`.
    pub recorded_at: Timestamp,
    /// Its format version.
    pub version: u16,
    /// Whether it is a seal.
    pub is_seal: bool,
}

impl HeadFacts {
    /// The facts of an entry with this body and hash.
    pub fn of(body: &EntryBody, hash: EntryHash) -> HeadFacts {
        HeadFacts {
            seq: body.seq,
            hash,
            recorded_at: body.recorded_at,
            version: body.version,
            is_seal: matches!(body.event, Event::Seal(_)),
        }
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
            last_version: 0,
            after_seal: false,
            defer_statement_signatures: false,
            registry: KeyRegistry::new(),
        }
    }

    /// From now on [`ChainRules::check`] does not verify a statement's
    /// author signature (rule `statement_signature`): the caller does, as
    /// it verifies the entry's own signature, so a ledger of statements
    /// verifies at the rate of its signatures on every core. Only a
    /// verifier that runs every such check before it trusts the verdict
    /// may call this (custody-verifier's parallel walk); everything else
    /// keeps the check here.
    pub fn defer_statement_signatures(&mut self) {
        self.defer_statement_signatures = true;
    }

    /// Undoes [`ChainRules::defer_statement_signatures`]: a store that
    /// registers one statement whose signature it verified already (on
    /// another thread, as it was read) defers the check for that entry
    /// only.
    pub fn resume_statement_signatures(&mut self) {
        self.defer_statement_signatures = false;
    }

    /// Rules continuing a contiguous chain whose last entry is `head`,
    /// with the registry as of that entry: how the store resumes after its
    /// head.
    pub fn resume(head: HeadFacts, registry: KeyRegistry) -> ChainRules {
        ChainRules {
            mode: Mode::Contiguous,
            next_seq: head.seq + 1,
            prev_hash: Some(head.hash),
            last_recorded_at: Some(head.recorded_at),
            last_version: head.version,
            after_seal: head.is_seal,
            defer_statement_signatures: false,
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

    /// Checks `body` as the next entry and returns its streams (which the
    /// caller advances when it accepts the entry). `root_before` gives the
    /// Merkle root of the entries before it, when it is a checkpoint and
    /// the caller can compute it; `seal_before`, what a seal must state,
    /// when it is a seal and the caller can compute it (`None`: a bundle,
    /// which cannot). Changes nothing.
    pub fn check<L: Lookups>(
        &self,
        body: &EntryBody,
        lookups: &L,
        root_before: Option<&dyn Fn() -> Result<Hash, L::Error>>,
        seal_before: Option<&SealFacts>,
    ) -> Result<StreamList, CheckError<L::Error>> {
        self.check_position(body)?;
        match &body.event {
            Event::Statement(s) if !self.defer_statement_signatures => {
                s.statement.verify().map_err(Breach::StatementSignature)?;
            }
            _ => {}
        }
        // Authority, replayed from the governance before it.
        self.registry
            .check(body.seq, &body.signer, &body.event)
            .map_err(Breach::Authority)?;
        if let Event::Statement(s) = &body.event {
            self.check_statement(&s.statement, lookups)?;
        }
        // Clock: never backwards, except a clock correction, which states
        // the right time after entries recorded by a wrong clock.
        match (&body.event, self.last_recorded_at) {
            (Event::ClockCorrection(c), _) if c.since >= body.seq => {
                return Err(Breach::ClockCorrection {
                    since: c.since,
                    seq: body.seq,
                }
                .into());
            }
            (Event::ClockCorrection(_), _) => {}
            (_, Some(previous)) if body.recorded_at < previous => {
                return Err(Breach::RecordedAt {
                    found: body.recorded_at,
                    previous,
                }
                .into());
            }
            _ => {}
        }
        // Correction target; its person is the correction's first stream.
        let mut target_person = None;
        let inner = body.event.inner();
        if let Event::Correction(c) = inner {
            match lookups.target(&c.target).map_err(CheckError::Lookup)? {
                TargetState::Evidence(k) => target_person = Some(k),
                state => {
                    return Err(Breach::CorrectionTarget {
                        target: c.target,
                        state,
                    }
                    .into())
                }
            }
        }
        // Dispute target: open evidence about the dispute's own person.
        if let Event::Dispute(d) = inner {
            let own = crate::map_hash::person_key(d.person.as_str());
            let state = match lookups.target(&d.target).map_err(CheckError::Lookup)? {
                TargetState::Evidence(k) if k == own => None,
                TargetState::Evidence(_) => Some(TargetState::OtherPerson),
                other => Some(other),
            };
            if let Some(state) = state {
                return Err(Breach::DisputeTarget {
                    target: d.target,
                    state,
                }
                .into());
            }
        }
        let streams = streams(&body.event, target_person.as_ref());
        if let Event::Redaction(r) = &body.event {
            check_redaction(r, lookups)?;
        }
        if matches!(body.event, Event::Predecessor(_)) && body.seq != 1 {
            return Err(Breach::Predecessor { seq: body.seq }.into());
        }
        if body.version >= VERSION_2 && self.mode == Mode::Contiguous {
            check_links(body, &streams, lookups)?;
        }
        if let (Event::Seal(seal), Some(facts)) = (&body.event, seal_before) {
            check_seal(seal, facts)?;
        }
        if let Event::Checkpoint(c) = &body.event {
            self.check_checkpoint(body, c, root_before)?;
        }
        Ok(streams)
    }

    /// Rules `author`, `statement_ledger` and `duplicate_statement` (design
    /// §4.4, §4.5).
    fn check_statement<L: Lookups>(
        &self,
        s: &crate::statement::SignedStatement,
        lookups: &L,
    ) -> Result<(), CheckError<L::Error>> {
        self.registry
            .check_author(&s.author())
            .map_err(|problem| Breach::Author {
                problem: Box::new(problem),
                signed_at: s.body().signed_at,
            })?;
        let expected = self.registry.ledger_name().unwrap_or_default();
        if s.body().ledger != expected {
            return Err(Breach::StatementLedger {
                found: s.body().ledger.clone(),
                expected: expected.to_string(),
            }
            .into());
        }
        if let Some(seq) = lookups.statement(&s.id()).map_err(CheckError::Lookup)? {
            return Err(Breach::DuplicateStatement { id: s.id(), seq }.into());
        }
        Ok(())
    }

    /// Sequence, previous hash and version.
    fn check_position<E>(&self, body: &EntryBody) -> Result<(), CheckError<E>> {
        let seq = body.seq;
        match self.mode {
            Mode::Contiguous => {
                if seq != self.next_seq {
                    return Err(Breach::Sequence {
                        found: seq,
                        expected: SeqExpectation::Next(self.next_seq),
                    }
                    .into());
                }
                self.check_prev_hash(body)?;
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
                    self.check_prev_hash(body)?;
                }
            }
        }
        if body.version < self.last_version {
            return Err(Breach::Version {
                found: body.version,
                previous: self.last_version,
            }
            .into());
        }
        Ok(())
    }

    fn check_prev_hash<E>(&self, body: &EntryBody) -> Result<(), CheckError<E>> {
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
        // In a bundle the entry before may be absent; it is checked where
        // it is present.
        let predecessor_known = self.mode == Mode::Contiguous || self.next_seq == body.seq;
        if body.version >= VERSION_2 && predecessor_known && !self.after_seal {
            return problem(CheckpointProblem::NoSeal);
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
        self.last_version = body.version;
        self.after_seal = matches!(body.event, Event::Seal(_));
        self.next_seq = body.seq + 1;
    }
}

/// Rule `link`: each link names its stream's last entry before this one.
fn check_links<L: Lookups>(
    body: &EntryBody,
    streams: &StreamList,
    lookups: &L,
) -> Result<(), CheckError<L::Error>> {
    if body.links.len() != streams.len() {
        return Err(Breach::LinkCount {
            found: body.links.len(),
            expected: streams.len(),
        }
        .into());
    }
    for (index, (stream, found)) in streams.as_slice().iter().zip(&body.links).enumerate() {
        let expected = lookups.stream_head(stream).map_err(CheckError::Lookup)?;
        if *found != expected {
            return Err(Breach::Link(Box::new(LinkMismatch {
                index,
                stream: *stream,
                found: *found,
                expected,
            }))
            .into());
        }
    }
    Ok(())
}

/// Rule `redaction` (design §5): each target an earlier v3 entry in the
/// person's stream, each slot a commitment of it not yet erased.
fn check_redaction<L: Lookups>(
    r: &crate::event::Redaction,
    lookups: &L,
) -> Result<(), CheckError<L::Error>> {
    let person = Stream::person(r.person.as_str());
    for item in &r.items {
        let target = item.target;
        let problem = match lookups
            .redaction_target(&target)
            .map_err(CheckError::Lookup)?
        {
            RedactionTarget::NotV3 => Some(RedactionProblem::NotV3 { target }),
            RedactionTarget::V3 {
                seq,
                streams,
                slots,
            } => {
                if !streams.as_slice().contains(&person) {
                    Some(RedactionProblem::OtherPerson { target, seq })
                } else {
                    item.slots
                        .iter()
                        .find_map(|slot| match slots.iter().find(|(s, _)| s == slot) {
                            None => Some(RedactionProblem::NoCommitment {
                                target,
                                slot: *slot,
                            }),
                            Some((_, Some(at))) => Some(RedactionProblem::AlreadyRedacted {
                                target,
                                slot: *slot,
                                at: *at,
                            }),
                            Some((_, None)) => None,
                        })
                }
            }
        };
        if let Some(p) = problem {
            return Err(Breach::Redaction(p).into());
        }
    }
    Ok(())
}

/// Rule `seal`: it states what the entries before it commit to.
fn check_seal<E>(seal: &crate::event::Seal, facts: &SealFacts) -> Result<(), CheckError<E>> {
    let problem = if seal.map_root.0 != facts.map_root {
        SealProblem::MapRoot {
            stated: seal.map_root.0,
            actual: facts.map_root,
        }
    } else if seal.gov_count != facts.gov_count {
        SealProblem::GovCount {
            stated: seal.gov_count,
            actual: facts.gov_count,
        }
    } else if seal.gov_head != facts.gov_head {
        SealProblem::GovHead {
            stated: seal.gov_head,
            actual: facts.gov_head,
        }
    } else {
        return Ok(());
    };
    Err(Breach::Seal(problem).into())
}
