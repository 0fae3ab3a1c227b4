//! One batch of entries on its way into the store, for append and restore
//! alike.

use super::backend::{TreeId, WriteSet};
use super::disclosed::{encode_row, redacted_key};
use super::error::{AppendError, Refusal, StoreError};
use super::id_log::IdKind;
use super::map::{encode_value, LogsAhead, TableMap, GOV_KEY};
use super::{node_key, person_key, seq_key, Appended, Head, Ledger, Nodes};
use crate::merkle;
use custody_format::commit::{slots_of, Disclosure, Slot, SlotContent};
use custody_format::entry::{EntryBody, SignedEntry, VERSION_3};
use custody_format::event::{EntryHash, Event, PersonId, Redaction};
use custody_format::map_hash::{update_root, Hash, MapValue};
use custody_format::rules::{
    ChainRules, CheckError, Lookups, RedactionTarget, SealFacts, TargetState,
};
use custody_format::statement::StatementId;
use custody_format::stream::{streams, Link, Stream, StreamList};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What [`Batch::check`] found out about an entry it accepted.
pub(super) struct Checked {
    /// The persons it is about (for a correction, its target's and its
    /// replacement's), for the person index and the projections.
    persons: Vec<PersonId>,
    /// Its streams, each of which it joins.
    streams: StreamList,
}

/// The links an entry with `event` takes next: the head of each of its
/// streams as `lookups` sees them (a correction's first stream is its
/// target's person; an unknown target gives no stream, and the rules
/// refuse the entry for its target before they look at links).
pub(super) fn links_for(
    lookups: &StoreTargets<'_>,
    event: &Event,
) -> Result<Vec<Option<Link>>, StoreError> {
    streams_for(lookups, event)?
        .as_slice()
        .iter()
        .map(|s| lookups.stream_head(s))
        .collect()
}

/// The persons the person index lists an entry with `event` under: its
/// own person (a statement's event's), a redaction's person (it is in
/// their stream, so their bundles and histories carry it), or for a
/// correction its target's (`target`, the target's event) and its
/// replacement's.
pub(super) fn indexed_persons(event: &Event, target: Option<&Event>) -> Vec<PersonId> {
    let event = event.inner();
    let mut persons: Vec<PersonId> = event.person().cloned().into_iter().collect();
    match event {
        Event::Redaction(r) => persons.push(r.person.clone()),
        Event::Correction(c) => {
            persons.extend(target.and_then(Event::person).cloned());
            persons.extend(c.replacement.as_deref().and_then(Event::person).cloned());
            persons.sort();
            persons.dedup();
        }
        _ => {}
    }
    persons
}

/// The streams an entry with `event` joins (a correction's first is its
/// target's person's; a statement's are its inner event's).
fn streams_for(lookups: &StoreTargets<'_>, event: &Event) -> Result<StreamList, StoreError> {
    let target = match event.inner() {
        Event::Correction(c) => match lookups.target(&c.target)? {
            TargetState::Evidence(k) => Some(k),
            _ => None,
        },
        _ => None,
    };
    Ok(streams(event, target.as_ref()))
}

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
///   `corrected` indexes, the registry as of the entry, and the new length
///   and head of each of its streams (kept pending here: the links of the
///   batch's later entries and a seal's facts read them first);
/// - [`Batch::commit`] adds the re-folded statuses of the persons touched
///   (`project_batch`), the streams' rows and the person map's nodes
///   (brought up to date once, over the persons touched, sorted), and
///   writes it all in one durable commit.
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
    /// The new value of each person's stream the batch joined, by map key.
    persons_pending: BTreeMap<Hash, MapValue>,
    /// The governance stream's new value, if the batch joined it.
    gov_pending: Option<MapValue>,
    /// Person map node hashes computed in the batch, newer than the store's.
    map_nodes: HashMap<(u8, Hash), Hash>,
    /// Map keys changed since `map_nodes` was last brought up to date.
    unhashed: BTreeSet<Hash>,
    /// Statements registered in the batch, with their entries' seqs.
    statements: HashMap<StatementId, u64>,
    /// `disclosures` rows the batch writes (a new entry's, or a redacted
    /// entry's rewritten without its erased slots; empty: delete the row).
    disclosures: BTreeMap<u64, Vec<Disclosure>>,
    /// Slots redacted in the batch: (seq, slot) → the redaction's seq.
    redacted: HashMap<(u64, Slot), u64>,
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
            persons_pending: BTreeMap::new(),
            gov_pending: None,
            map_nodes: HashMap::new(),
            unhashed: BTreeSet::new(),
            statements: HashMap::new(),
            disclosures: BTreeMap::new(),
            redacted: HashMap::new(),
        }
    }

    /// The length and head of `stream` as of the batch so far.
    fn stream_value(
        &self,
        ledger: &Ledger,
        stream: &Stream,
    ) -> Result<Option<MapValue>, StoreError> {
        let pending = match stream {
            Stream::Governance => self.gov_pending,
            Stream::Person(k) => self.persons_pending.get(k).copied(),
        };
        match pending {
            Some(v) => Ok(Some(v)),
            None => ledger.stored_stream_value(stream),
        }
    }

    /// The root of the person map over the store's entries and the batch's
    /// so far, rehashing only the paths changed since the last call.
    fn map_root(&mut self, ledger: &Ledger) -> Result<Hash, StoreError> {
        let dirty: Vec<Hash> = std::mem::take(&mut self.unhashed).into_iter().collect();
        let mut map = TableMap::pending(ledger, &self.persons_pending, &mut self.map_nodes);
        update_root(&mut map, &dirty)
    }

    /// What a seal appended next must state (`None` before the genesis).
    pub(super) fn seal_facts(&mut self, ledger: &Ledger) -> Result<Option<SealFacts>, StoreError> {
        let Some(gov) = self.stream_value(ledger, &Stream::Governance)? else {
            return Ok(None);
        };
        Ok(Some(SealFacts {
            map_root: self.map_root(ledger)?,
            gov_count: gov.count,
            gov_head: gov.head,
        }))
    }

    /// The refusal of the entry that would come next.
    pub(super) fn refused(&self, reason: Refusal) -> AppendError {
        AppendError::Refused {
            index: self.entries.len(),
            reason,
        }
    }

    pub(super) fn nodes<'a>(&'a self, ledger: &'a Ledger) -> Nodes<'a> {
        Nodes::new(&ledger.backend, &ledger.dir, Some(&self.nodes))
    }

    /// Checks `body` as the next entry against the chain rules
    /// (`custody_format::rules`, the verifier's own code), with correction
    /// targets and stream heads looked up in the batch and the store's
    /// tables, the Merkle root of the entries before a checkpoint computed
    /// from the stored subtrees, and what a seal must state computed from
    /// the stored person map under the batch's changes, exactly as the
    /// verifier checks them. Returns the persons the entry is about (for a
    /// correction, its target's and its replacement's), for the person
    /// index and the projections, and its streams. Changes no row (a seal
    /// brings the batch's map node hashes up to date).
    pub(super) fn check(
        &mut self,
        ledger: &Ledger,
        body: &EntryBody,
    ) -> Result<Checked, CheckError<StoreError>> {
        let seal = match body.event {
            Event::Seal(_) => self.seal_facts(ledger).map_err(CheckError::Lookup)?,
            _ => None,
        };
        let targets = StoreTargets {
            ledger,
            batch: Some(self),
        };
        let nodes = self.nodes(ledger);
        let seq = body.seq;
        let root = || merkle::root(&nodes, seq);
        let streams = self
            .rules
            .check(body, &targets, Some(&root), seal.as_ref())?;
        let target = match body.event.inner() {
            Event::Correction(c) => match self.hashes.get(&c.target) {
                Some(&i) => Some(self.entries[i].event().clone()),
                None => ledger.event_of(&c.target).map_err(CheckError::Lookup)?,
            },
            _ => None,
        };
        let persons = indexed_persons(&body.event, target.as_ref());
        Ok(Checked { persons, streams })
    }

    /// Adds `entry`, which [`Batch::check`] accepted (and which returned
    /// `checked`), with its rows in every index, the Merkle nodes it
    /// completes and its streams' new values. The entry must take the next
    /// seq and link to the entry before it; its bytes are stored as they
    /// are. Streams are followed from seq 0 whatever the entries' version:
    /// a version 1 entry carries no links, but it is its streams' head.
    pub(super) fn push(
        &mut self,
        ledger: &Ledger,
        entry: SignedEntry,
        checked: Checked,
    ) -> Result<(), StoreError> {
        let Checked { persons, streams } = checked;
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
        for p in persons {
            self.writes
                .insert(TreeId::Persons, &person_key(&p, seq), &[]);
            self.touched.entry(p).or_default().push(self.entries.len());
        }
        if let Event::Correction(c) = entry.event().inner() {
            self.writes
                .insert(TreeId::Corrected, &c.target.0, &seq_key(seq));
            self.corrected.insert(c.target, seq);
        }
        if entry.event().is_governance() {
            self.writes.insert(TreeId::Governance, &seq_key(seq), &[]);
        }
        if matches!(entry.event(), Event::Checkpoint(_)) {
            self.writes.insert(TreeId::Checkpoints, &seq_key(seq), &[]);
        }
        match entry.event() {
            Event::Statement(st) => {
                self.statements.insert(st.statement.id(), seq);
            }
            Event::Redaction(r) => self.erase(ledger, seq, r)?,
            _ => {}
        }
        let head = Link {
            seq,
            hash: entry.hash(),
        };
        for stream in streams.as_slice() {
            let value = match self.stream_value(ledger, stream)? {
                Some(v) => MapValue {
                    count: v.count + 1,
                    head,
                },
                None => MapValue { count: 1, head },
            };
            match stream {
                Stream::Governance => self.gov_pending = Some(value),
                Stream::Person(k) => {
                    self.persons_pending.insert(*k, value);
                    self.unhashed.insert(*k);
                }
            }
        }
        self.hashes.insert(entry.hash(), self.entries.len());
        self.entries.push(entry);
        Ok(())
    }

    /// The `disclosures` rows the batch changed, into its writes.
    fn write_disclosures(&mut self) {
        for (seq, list) in &self.disclosures {
            if list.is_empty() {
                self.writes.remove(TreeId::Disclosures, &seq_key(*seq));
            } else {
                self.writes
                    .insert(TreeId::Disclosures, &seq_key(*seq), &encode_row(list));
            }
        }
    }

    /// Keeps `disclosures` beside the batch's entry at `seq` (a v3 entry;
    /// they were checked against its commitments).
    pub(super) fn disclose(&mut self, seq: u64, disclosures: Vec<Disclosure>) {
        if !disclosures.is_empty() {
            self.disclosures.insert(seq, disclosures);
        }
    }

    /// The entry carrying statement `id`, in the store or the batch.
    pub(super) fn statement_entry(
        &self,
        ledger: &Ledger,
        id: &StatementId,
    ) -> Result<Option<Appended>, StoreError> {
        let seq = match self.statements.get(id) {
            Some(&seq) => seq,
            None => match ledger.statement_seq(id)? {
                Some(seq) => seq,
                None => return Ok(None),
            },
        };
        let hash = match self.entries.iter().find(|e| e.seq() == seq) {
            Some(e) => e.hash(),
            None => ledger
                .entry(seq)?
                .ok_or_else(|| StoreError::Damaged {
                    dir: ledger.dir.clone(),
                    detail: format!("statement entry {seq} is indexed but missing"),
                })?
                .hash(),
        };
        Ok(Some(Appended { seq, hash }))
    }

    /// Keeps those of `offered` (checked against the entry at `seq`
    /// already) that the entry's row lacks, except for slots a redaction
    /// erased: erased cleartext is never taken back in.
    pub(super) fn add_disclosures(
        &mut self,
        ledger: &Ledger,
        seq: u64,
        offered: Vec<Disclosure>,
    ) -> Result<(), StoreError> {
        let mut row = self.disclosures_of(ledger, seq)?;
        let before = row.len();
        for d in offered {
            let erased = match self.redacted.get(&(seq, d.slot)) {
                Some(_) => true,
                None => ledger.redacted_at(seq, d.slot)?.is_some(),
            };
            if !erased && !row.iter().any(|have| have.slot == d.slot) {
                row.push(d);
            }
        }
        if row.len() != before {
            row.sort_by_key(|d| d.slot);
            self.disclosures.insert(seq, row);
        }
        Ok(())
    }

    /// The disclosures of the entry at `seq` as of the batch so far.
    fn disclosures_of(&self, ledger: &Ledger, seq: u64) -> Result<Vec<Disclosure>, StoreError> {
        match self.disclosures.get(&seq) {
            Some(d) => Ok(d.clone()),
            None => ledger.disclosures(seq),
        }
    }

    /// Records the redaction at `seq` (which the rules accepted): each slot
    /// it names is marked erased, and its disclosure is deleted from the
    /// store in the same commit.
    fn erase(&mut self, ledger: &Ledger, seq: u64, r: &Redaction) -> Result<(), StoreError> {
        let targets = StoreTargets {
            ledger,
            batch: Some(self),
        };
        let mut erased = Vec::new();
        for item in &r.items {
            let Some(target) = targets.seq_of(&item.target)? else {
                continue;
            };
            erased.push((target, item.slots.clone()));
        }
        for (target, slots) in erased {
            for slot in &slots {
                self.writes.insert(
                    TreeId::Redacted,
                    &redacted_key(target, *slot),
                    &seq_key(seq),
                );
                self.redacted.insert((target, *slot), seq);
            }
            let kept: Vec<Disclosure> = self
                .disclosures_of(ledger, target)?
                .into_iter()
                .filter(|d| !slots.contains(&d.slot))
                .collect();
            self.disclosures.insert(target, kept);
        }
        Ok(())
    }

    /// Re-folds the statuses of the persons the batch touched (as of its
    /// last entry's `recorded_at`), commits every row in one durable
    /// commit, and moves the ledger's head and registry to the batch's last
    /// entry. An empty batch commits nothing.
    pub(super) fn commit(self, ledger: &mut Ledger) -> Result<Vec<Appended>, StoreError> {
        let finished = self.finish(ledger)?;
        if let Some(writes) = finished.writes {
            // Refused, `finished.logs` forgets the logs kept in step.
            ledger.backend.commit(writes)?;
        }
        if let Some(state) = finished.state {
            ledger.set_state(state);
        }
        finished.logs.settled();
        Ok(finished.appended)
    }

    /// Everything a commit of the batch writes (its entries, projections,
    /// map and disclosures), and the head and rules the ledger moves to
    /// once it is written: [`Batch::commit`] writes it at once, a
    /// committer that pipelines its commits on another thread
    /// (`Ledger::append_group_pending`).
    pub(super) fn finish(mut self, ledger: &Ledger) -> Result<Finished, StoreError> {
        let Some(last) = self.entries.last() else {
            // Only disclosures added to entries already in the chain (a
            // statement submitted again, with what its first submission
            // lacked).
            let writes = (!self.disclosures.is_empty()).then(|| {
                self.write_disclosures();
                self.writes
            });
            return Ok(Finished {
                writes,
                state: None,
                appended: Vec::new(),
                logs: LogsAhead::none(),
            });
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
        // From here the logs are kept in step with this commit; any way
        // out before it lands forgets them.
        let logs = ledger.logs_ahead();
        // The streams and the person map, in the same commit.
        if !self.unhashed.is_empty() {
            self.map_root(ledger)?;
        }
        for (k, v) in &self.persons_pending {
            self.writes.insert(TreeId::MapLeaves, k, &encode_value(v));
        }
        // From here to the commit, nothing may read the person map: a
        // handle's whole map (`map`) not read yet would be read from
        // tables without this commit's rows, under a log copy with them.
        ledger.log_map_nodes(
            &self.map_nodes,
            &self.persons_pending,
            head.seq,
            &mut self.writes,
        )?;
        // Each entry's hash, and a statement's id, by value (`id_log`).
        let mut ids = Vec::with_capacity(self.entries.len() + self.statements.len());
        for e in &self.entries {
            ids.push((IdKind::EntryHash, e.hash().0, e.seq()));
            if let Event::Statement(st) = e.event() {
                ids.push((IdKind::Statement, st.statement.id().0, e.seq()));
            }
        }
        ledger.log_ids(&ids, head.seq, &mut self.writes)?;
        if let Some(g) = &self.gov_pending {
            self.writes.insert(TreeId::Meta, GOV_KEY, &encode_value(g));
        }
        self.write_disclosures();
        let appended = self
            .entries
            .iter()
            .map(|e| Appended {
                seq: e.seq(),
                hash: e.hash(),
            })
            .collect();
        Ok(Finished {
            writes: Some(self.writes),
            state: Some((head, self.rules)),
            appended,
            logs,
        })
    }
}

/// A batch ready to write ([`Batch::finish`]).
pub(super) struct Finished {
    /// What to commit; `None`: nothing.
    pub(super) writes: Option<WriteSet>,
    /// The ledger's head and rules once it is committed; `None`: as they
    /// are (no entry appended).
    pub(super) state: Option<super::LedgerState>,
    /// The entries appended.
    pub(super) appended: Vec<Appended>,
    /// The log copies, kept in step with the commit: to settle once it
    /// has landed (or is under way), else dropped and forgotten.
    pub(super) logs: LogsAhead,
}

/// Correction targets as the store knows them: the batch so far, then the
/// store's `corrected` and `hashes` indexes.
pub(super) struct StoreTargets<'a> {
    pub(super) ledger: &'a Ledger,
    /// The batch so far, if there is one.
    pub(super) batch: Option<&'a Batch>,
}

impl StoreTargets<'_> {
    /// The streams an entry already in the chain joined: a correction's
    /// first is its target's person's, though the target counts as
    /// corrected now (by this very correction, perhaps).
    fn recorded_streams(&self, event: &Event) -> Result<StreamList, StoreError> {
        let target = match event.inner() {
            Event::Correction(c) => {
                let in_batch = self.batch.and_then(|b| {
                    b.hashes
                        .get(&c.target)
                        .map(|&i| b.entries[i].event().clone())
                });
                let target = match in_batch {
                    Some(e) => Some(e),
                    None => self.ledger.event_of(&c.target)?,
                };
                target
                    .as_ref()
                    .and_then(Event::person)
                    .map(|p| custody_format::map_hash::person_key(p.as_str()))
            }
            _ => None,
        };
        Ok(streams(event, target.as_ref()))
    }

    /// The seq of the entry with hash `hash`, in the batch or the store.
    fn seq_of(&self, hash: &EntryHash) -> Result<Option<u64>, StoreError> {
        if let Some(b) = self.batch {
            if let Some(&i) = b.hashes.get(hash) {
                return Ok(Some(b.entries[i].seq()));
            }
        }
        self.ledger.seq_of(hash)
    }
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

    fn statement(&self, id: &StatementId) -> Result<Option<u64>, StoreError> {
        match self.batch.and_then(|b| b.statements.get(id)) {
            Some(&seq) => Ok(Some(seq)),
            None => self.ledger.statement_seq(id),
        }
    }

    fn redaction_target(&self, target: &EntryHash) -> Result<RedactionTarget, StoreError> {
        let Some(seq) = self.seq_of(target)? else {
            return Ok(RedactionTarget::NotV3);
        };
        let entry = match self.batch.and_then(|b| b.hashes.get(target)) {
            Some(&i) => self.batch.expect("in the batch").entries[i].clone(),
            None => self.ledger.entry(seq)?.ok_or_else(|| StoreError::Damaged {
                dir: self.ledger.dir.clone(),
                detail: format!("entry {seq} is indexed by its hash but missing"),
            })?,
        };
        if entry.body().version < VERSION_3 {
            return Ok(RedactionTarget::NotV3);
        }
        let mut slots = Vec::new();
        for (slot, content) in slots_of(entry.event()) {
            if let SlotContent::Committed(_) = content {
                let pending = self.batch.and_then(|b| b.redacted.get(&(seq, slot)));
                let at = match pending {
                    Some(&at) => Some(at),
                    None => self.ledger.redacted_at(seq, slot)?,
                };
                slots.push((slot, at));
            }
        }
        Ok(RedactionTarget::V3 {
            seq,
            streams: self.recorded_streams(entry.event())?,
            slots,
        })
    }

    fn stream_head(&self, stream: &Stream) -> Result<Option<Link>, StoreError> {
        let value = match self.batch {
            Some(b) => b.stream_value(self.ledger, stream)?,
            None => self.ledger.stored_stream_value(stream)?,
        };
        Ok(value.map(|v| v.head))
    }
}
