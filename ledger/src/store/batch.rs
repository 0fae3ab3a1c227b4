//! One batch of entries on its way into the store, for append and restore
//! alike.

use super::backend::{TreeId, WriteSet};
use super::error::{AppendError, Refusal, StoreError};
use super::{node_key, person_key, seq_key, Appended, Head, Ledger, Nodes};
use crate::merkle;
use custody_format::entry::{EntryBody, SignedEntry};
use custody_format::event::{EntryHash, Event, PersonId};
use custody_format::rules::{ChainRules, CheckError, Lookups, TargetState};
use custody_format::stream::{Link, Stream};
use std::collections::{BTreeMap, HashMap};

/// One batch of entries on its way into the store: the entries, every row
/// they add to the store, the Merkle nodes they complete and the persons
/// they touch, checked against the store and against each other.
///
/// Appending (entries signed here, from new events) and restoring (entries
/// signed long ago, from an export) both go through it, so an entry gives
/// the same rows whichever way it came in:
///
/// - [`Batch::check`] holds the rules an entry must meet against the ledger
///   so far (the signer's role replayed from governance, a correction's
///   target, a checkpoint's tree) and finds the persons it is about;
/// - [`Batch::push`] derives every row from the entry's stored bytes:
///   `entries`, the Merkle nodes, the `hashes`, `persons`, `governance` and
///   `corrected` indexes, and the registry as of the entry;
/// - [`Batch::commit`] adds the re-folded statuses of the persons touched
///   (`project_batch`) and writes it all in one durable commit.
pub(super) struct Batch {
    /// The chain rules as of the batch's last entry (where the chain is,
    /// who may sign).
    pub(super) rules: ChainRules,
    /// The batch's entries' hashes, with their positions in `entries`.
    pub(super) hashes: HashMap<EntryHash, usize>,
    /// Targets corrected in the batch, with the seq of their correction.
    pub(super) corrected: HashMap<EntryHash, u64>,
    /// Each person the batch is about, with positions in `entries`.
    pub(super) touched: BTreeMap<PersonId, Vec<usize>>,
    pub(super) entries: Vec<SignedEntry>,
    /// Merkle nodes completed by the batch, not yet in the store.
    pub(super) nodes: HashMap<(u8, u64), merkle::Hash>,
    pub(super) writes: WriteSet,
}

impl Batch {
    /// An empty batch that continues `ledger` (or starts it with a genesis,
    /// if `first`).
    pub(super) fn new(ledger: &Ledger, first: bool) -> Batch {
        let rules = if first {
            ChainRules::default()
        } else {
            ledger.rules.clone()
        };
        Batch {
            rules,
            hashes: HashMap::new(),
            corrected: HashMap::new(),
            touched: BTreeMap::new(),
            entries: Vec::new(),
            nodes: HashMap::new(),
            writes: WriteSet::new(),
        }
    }

    /// The refusal of the entry that would come next.
    pub(super) fn refused(&self, reason: Refusal) -> AppendError {
        AppendError::Refused {
            index: self.entries.len(),
            reason,
        }
    }

    fn nodes<'a>(&'a self, ledger: &'a Ledger) -> Nodes<'a> {
        Nodes {
            backend: &ledger.backend,
            dir: &ledger.dir,
            pending: Some(&self.nodes),
        }
    }

    /// Checks `body` as the next entry against the chain rules
    /// (`custody_format::rules`, the verifier's own code), with correction
    /// targets looked up in the batch and the store's indexes and the
    /// Merkle root of the entries before a checkpoint computed from the
    /// stored subtrees. Returns the persons the entry is about (for a
    /// correction, its target's and its replacement's), for the person
    /// index and the projections. Changes nothing.
    pub(super) fn check(
        &self,
        ledger: &Ledger,
        body: &EntryBody,
    ) -> Result<Vec<PersonId>, CheckError<StoreError>> {
        let targets = StoreTargets {
            ledger,
            batch: Some(self),
        };
        let nodes = self.nodes(ledger);
        let seq = body.seq;
        let root = || merkle::root(&nodes, seq);
        self.rules.check(body, &targets, Some(&root), None)?;
        let event = &body.event;
        let mut persons: Vec<PersonId> = event.person().cloned().into_iter().collect();
        if let Event::Correction(c) = event {
            let target = match self.hashes.get(&c.target) {
                Some(&i) => Some(self.entries[i].event().clone()),
                None => ledger.event_of(&c.target).map_err(CheckError::Lookup)?,
            };
            persons.extend(target.as_ref().and_then(Event::person).cloned());
            if let Some(p) = c.replacement.as_deref().and_then(Event::person) {
                persons.push(p.clone());
            }
            persons.sort();
            persons.dedup();
        }
        Ok(persons)
    }

    /// Adds `entry`, which [`Batch::check`] accepted (and which returned
    /// `persons`), with its rows in every index and the Merkle nodes it
    /// completes. The entry must take the next seq and link to the entry
    /// before it; its bytes are stored as they are.
    pub(super) fn push(
        &mut self,
        ledger: &Ledger,
        entry: SignedEntry,
        persons: Vec<PersonId>,
    ) -> Result<(), StoreError> {
        let seq = entry.seq();
        debug_assert_eq!(seq, self.rules.next_seq());
        debug_assert_eq!(entry.body().prev_hash, self.rules.prev_hash());
        self.rules.accept(entry.hash(), entry.body());
        self.writes
            .insert(TreeId::Entries, &seq_key(seq), entry.bytes());
        for ((level, index), hash) in
            merkle::nodes_for_append(&self.nodes(ledger), seq, merkle::leaf_hash(entry.bytes()))?
        {
            self.writes
                .insert(TreeId::Merkle, &node_key(level, index), &hash);
            self.nodes.insert((level, index), hash);
        }
        self.writes
            .insert(TreeId::Hashes, &entry.hash().0, &seq_key(seq));
        for p in persons {
            self.writes
                .insert(TreeId::Persons, &person_key(&p, seq), &[]);
            self.touched.entry(p).or_default().push(self.entries.len());
        }
        if let Event::Correction(c) = entry.event() {
            self.writes
                .insert(TreeId::Corrected, &c.target.0, &seq_key(seq));
            self.corrected.insert(c.target, seq);
        }
        if entry.event().is_governance() || matches!(entry.event(), Event::Checkpoint(_)) {
            self.writes.insert(TreeId::Governance, &seq_key(seq), &[]);
        }
        self.hashes.insert(entry.hash(), self.entries.len());
        self.entries.push(entry);
        Ok(())
    }

    /// Re-folds the statuses of the persons the batch touched (as of its
    /// last entry's `recorded_at`), commits every row in one durable
    /// commit, and moves the ledger's head and registry to the batch's last
    /// entry. An empty batch commits nothing.
    pub(super) fn commit(mut self, ledger: &mut Ledger) -> Result<Vec<Appended>, StoreError> {
        let Some(last) = self.entries.last() else {
            return Ok(Vec::new());
        };
        let head = Head {
            seq: last.seq(),
            hash: last.hash(),
            recorded_at: last.body().recorded_at,
        };
        ledger.project_batch(
            &self.touched,
            &self.entries,
            head.seq,
            head.recorded_at,
            &mut self.writes,
        )?;
        ledger.backend.commit(self.writes)?;
        ledger.head = head;
        ledger.rules = self.rules;
        Ok(self
            .entries
            .iter()
            .map(|e| Appended {
                seq: e.seq(),
                hash: e.hash(),
            })
            .collect())
    }
}

/// Correction targets as the store knows them: the batch so far, then the
/// store's `corrected` and `hashes` indexes.
pub(super) struct StoreTargets<'a> {
    pub(super) ledger: &'a Ledger,
    /// The batch so far, if there is one.
    pub(super) batch: Option<&'a Batch>,
}

impl Lookups for StoreTargets<'_> {
    type Error = StoreError;

    fn target(&self, target: &EntryHash) -> Result<TargetState, StoreError> {
        let corrected = match self.batch.and_then(|b| b.corrected.get(target)) {
            Some(&seq) => Some(seq),
            None => self
                .ledger
                .backend
                .get(TreeId::Corrected, &target.0)?
                .and_then(|v| v.try_into().ok().map(u64::from_be_bytes)),
        };
        if let Some(seq) = corrected {
            return Ok(TargetState::Corrected(seq));
        }
        let in_batch = self
            .batch
            .and_then(|b| b.hashes.get(target).map(|&i| b.entries[i].event().clone()));
        let event = match in_batch {
            Some(e) => Some(e),
            None => self.ledger.event_of(target)?,
        };
        Ok(match event {
            None => TargetState::Unknown,
            Some(e) => match e.person() {
                Some(p) => TargetState::Evidence(custody_format::map_hash::person_key(p.as_str())),
                None => TargetState::NotEvidence(e.type_name()),
            },
        })
    }

    fn stream_head(&self, _stream: &Stream) -> Result<Option<Link>, StoreError> {
        // The store writes version 1 entries, which carry no links.
        Ok(None)
    }
}
