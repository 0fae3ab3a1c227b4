//! Checking the derived tables against the chain: nothing the store
//! computed is trusted unverified.
//!
//! The chain (the `entries` table) is what `custody verify` proves. Every
//! other table is derived from it — the hash, person, governance and
//! corrected indexes, the Merkle nodes, the statuses — and readers trust
//! them: `history`, `export --person` and the dossier find a person's
//! entries through the person index, `status` and `report` read stored
//! statuses. Someone with write access to the store file and no key could
//! delete two index rows and hide a death from all of them while the chain
//! still verifies. [`Ledger::check_derived`] recomputes every row the chain
//! implies and compares, in both directions (a row missing, a row that
//! differs, a row the chain does not imply), and names each mismatch by
//! table and key. That includes the person map and the governance stream
//! (layout 3): a map edited to hide a person's latest entry would make the
//! next seal, and every bundle proved against it, lie.

use super::backend::TreeId;
use super::id_log::{IdKind, LoggedId};
use super::map::{encode_value, node_row_key, GOV_KEY};
use super::{node_key, person_key, seq_key, Ledger, StoreError};
use crate::merkle;
use crate::projection::{project, reference_time, PersonStatus, ProjectedEntry};
use custody_format::commit::{check_disclosures, SlotState};
use custody_format::entry::SignedEntry;
use custody_format::event::{Event, PersonId};
use custody_format::map_hash::{self, Hash, Leaf, MapStore, MapValue};
use custody_format::stream::Link;
use std::collections::BTreeMap;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// A derived table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Table {
    /// entry hash → seq, as readers read it: the id log (`id_log`,
    /// layout 6) and `hashes`, each id in one of them.
    Hashes,
    /// person ‖ seq → ().
    Persons,
    /// seq → () for governance entries (and, in a store of layout 4 or
    /// older read as it is, checkpoints).
    Governance,
    /// seq → () for checkpoint entries (layout 5).
    Checkpoints,
    /// corrected entry's hash → the correction's seq.
    Corrected,
    /// (level, index) → complete Merkle node.
    Merkle,
    /// person → stored status.
    Statuses,
    /// person map key → the person's stream (count and head).
    MapLeaves,
    /// (depth, prefix) → hash of a person map subtree, as readers read it:
    /// the node log (`map_node_log`, layout 6) over `map_nodes`.
    MapNodes,
    /// The governance stream's count and head (the meta row `gov`).
    GovStream,
    /// statement id → the seq of the entry that registered it (format v3),
    /// in the id log or `statements`.
    Statements,
    /// (seq, slot) → the seq of the redaction that erased it (format v3).
    Redacted,
    /// seq → the disclosures of a v3 entry: not derived, but every row must
    /// open its entry's commitments and hold no erased slot.
    Disclosures,
}

impl Table {
    /// The table's name, as `verify` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Table::Hashes => "hashes (with id_log)",
            Table::Persons => "persons",
            Table::Governance => "governance",
            Table::Checkpoints => "checkpoints",
            Table::Corrected => "corrected",
            Table::Merkle => "merkle",
            Table::Statuses => "statuses",
            Table::MapLeaves => "map_leaves",
            Table::MapNodes => "map_nodes (with map_node_log)",
            Table::GovStream => "meta/gov",
            Table::Statements => "statements (with id_log)",
            Table::Redacted => "redacted",
            Table::Disclosures => "disclosures",
        }
    }
}

/// How a row differs from what the chain implies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// The chain implies the row; the table lacks it.
    Missing,
    /// The row's value is not what the chain implies.
    Differs,
    /// The table has a row the chain does not imply.
    Extra,
}

/// One derived row that does not match the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The table.
    pub table: Table,
    /// The row's key, in words (a hash, a seq, a person…).
    pub key: String,
    /// How it differs.
    pub problem: RowProblem,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.problem {
            RowProblem::Missing => "is missing",
            RowProblem::Differs => "differs from what the chain implies",
            RowProblem::Extra => "is not implied by the chain",
        };
        write!(f, "table {}, row {}: {what}", self.table.name(), self.key)
    }
}

/// At most this many mismatches are listed; the count goes on.
const MAX_LISTED: usize = 20;

/// What [`Ledger::check_derived`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DerivedReport {
    /// The first mismatches found (at most 20).
    pub mismatches: Vec<Mismatch>,
    /// How many in all.
    pub count: u64,
    /// Rows compared.
    pub rows: u64,
    /// The stored statuses lag the chain or follow older rules (a copy
    /// taken mid-write, or a new build): readers fold statuses from the
    /// chain instead, the next writable open rebuilds them, and they were
    /// not compared.
    pub statuses_stale: bool,
    /// The store is of layout 2 and was opened read-only: it has no person
    /// map yet (the next writable open derives it), so none was compared.
    pub map_not_built: bool,
}

impl DerivedReport {
    fn note(&mut self, table: Table, key: impl Into<String>, problem: RowProblem) {
        self.count += 1;
        if self.mismatches.len() < MAX_LISTED {
            self.mismatches.push(Mismatch {
                table,
                key: key.into(),
                problem,
            });
        }
    }

    fn compare(&mut self, table: Table, key: impl Into<String>, want: &[u8], got: Option<Vec<u8>>) {
        self.rows += 1;
        match got {
            None => self.note(table, key, RowProblem::Missing),
            Some(v) if v != want => self.note(table, key, RowProblem::Differs),
            Some(_) => {}
        }
    }

    /// True if every derived row matches the chain.
    pub fn is_clean(&self) -> bool {
        self.count == 0
    }
}

impl Ledger {
    fn count_rows(&self, tree: TreeId) -> Result<u64, StoreError> {
        let mut n = 0;
        for row in self.backend.scan_from(tree, &[]) {
            row?;
            n += 1;
        }
        Ok(n)
    }

    /// Log rows keyed past the head: each commit keys its row by its own
    /// last seq, so no commit wrote one, and the writer refuses to commit
    /// over it (a store every lookup reads right, yet no append lands).
    fn check_log_keys(&self, report: &mut DerivedReport) -> Result<(), StoreError> {
        for (tree, table, name) in [
            (TreeId::IdLog, Table::Hashes, "id_log"),
            (TreeId::MapNodeLog, Table::MapNodes, "map_node_log"),
        ] {
            if !self.backend.has_table(tree)? {
                continue;
            }
            for row in self.backend.scan_keys_from(tree, &[]) {
                let (key, _) = row?;
                let past = <[u8; 8]>::try_from(key.as_slice())
                    .is_ok_and(|k| u64::from_be_bytes(k) > self.head.seq);
                if past {
                    report.note(
                        table,
                        format!(
                            "({name} row keyed {}, past the head at seq {})",
                            hex::encode(&key),
                            self.head.seq
                        ),
                        RowProblem::Extra,
                    );
                }
            }
        }
        Ok(())
    }

    /// Recomputes every derived row from the chain and compares it with the
    /// store's (see the module docs). The chain itself is not checked here:
    /// run the verifier over it first; this trusts only its bytes.
    /// `progress` counts entries walked, then again while folding.
    pub fn check_derived(
        &self,
        mut progress: impl FnMut(u64),
    ) -> Result<DerivedReport, StoreError> {
        let mut report = DerivedReport::default();
        // The id log, read afresh: a lookup finds an id there first, then
        // in its table; each id is in one of the two, never both.
        let (logged, _) = self.logged_ids()?;
        self.check_log_keys(&mut report)?;
        let walk = self.check_indexes(&logged, &mut report, &mut progress)?;
        let (governance, checkpoints) = (walk.governance, walk.checkpoints);
        let corrections = walk.corrections;
        // Extra rows: every table must hold exactly as many rows as the
        // chain implies (missing ones were counted above).
        let expect = [
            (TreeId::Hashes, Table::Hashes, self.len()),
            (TreeId::Governance, Table::Governance, governance),
            (TreeId::Checkpoints, Table::Checkpoints, checkpoints),
            (TreeId::Corrected, Table::Corrected, corrections),
            (TreeId::Merkle, Table::Merkle, merkle_nodes(self.len())),
            (TreeId::Statements, Table::Statements, walk.statements),
            (TreeId::Redacted, Table::Redacted, walk.redacted),
            (
                TreeId::Disclosures,
                Table::Disclosures,
                walk.disclosure_rows,
            ),
        ];
        for (tree, table, want) in expect {
            let kind = match tree {
                TreeId::Hashes => Some(IdKind::EntryHash),
                TreeId::Statements => Some(IdKind::Statement),
                _ => None,
            };
            let in_log = logged.keys().filter(|(k, _)| Some(*k) == kind).count();
            let have = self.count_rows(tree)? + in_log as u64;
            if have > want {
                report.note(
                    table,
                    format!("({} rows more than the chain implies)", have - want),
                    RowProblem::Extra,
                );
            }
        }
        if self.map_ready {
            self.check_map(&walk.streams, walk.gov, &mut report)?;
        } else {
            report.map_not_built = true;
        }
        let persons_have = self.count_rows(TreeId::Persons)?;
        if persons_have > walk.person_rows {
            report.note(
                Table::Persons,
                format!(
                    "({} rows more than the chain implies)",
                    persons_have - walk.person_rows
                ),
                RowProblem::Extra,
            );
        }
        if self.stale_projections {
            report.statuses_stale = true;
        } else if report.is_clean() {
            // The person index is now known to match the chain: each
            // person's entries are found through it, one person at a time.
            self.check_statuses(&walk.persons, &mut report, &mut progress)?;
        }
        Ok(report)
    }

    /// The value a lookup of `id` reads: the id log's (`logged`), else its
    /// table's row.
    fn id_row(
        &self,
        logged: &HashMap<LoggedId, u64>,
        kind: IdKind,
        id: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match logged.get(&(kind, *id)) {
            Some(seq) => Ok(Some(seq_key(*seq).to_vec())),
            None => self.backend.get(kind.tree(), id),
        }
    }

    /// Walks the chain once: hashes, persons, governance, corrected and
    /// Merkle rows.
    fn check_indexes(
        &self,
        logged: &HashMap<LoggedId, u64>,
        report: &mut DerivedReport,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Walked, StoreError> {
        let mut walked = Walked::default();
        // The complete subtrees so far: (level, hash), as a stack.
        let mut stack: Vec<(u8, merkle::Hash)> = Vec::new();
        for item in self.entries_from(0) {
            let (seq, bytes) = item?;
            let entry = SignedEntry::decode(bytes).map_err(|e| StoreError::Damaged {
                dir: self.dir.clone(),
                detail: format!("entry {seq} does not decode: {e}"),
            })?;
            let hash = entry.hash();
            let got = self.id_row(logged, IdKind::EntryHash, &hash.0)?;
            report.compare(Table::Hashes, hash.to_hex(), &seq_key(seq), got);
            let event = entry.event();
            let link = Link { seq, hash };
            let advance = |v: Option<MapValue>| MapValue {
                count: v.map_or(0, |v| v.count) + 1,
                head: link,
            };
            if event.is_governance() {
                walked.gov = Some(advance(walked.gov));
            }
            for person in self.persons_of(event)? {
                let k = map_hash::person_key(person.as_str());
                let v = advance(walked.streams.get(&k).copied());
                walked.streams.insert(k, v);
                let got = self
                    .backend
                    .get(TreeId::Persons, &person_key(&person, seq))?;
                report.compare(Table::Persons, format!("{person} seq {seq}"), &[], got);
                walked.person_rows += 1;
                walked.persons.insert(person);
            }
            let checkpoint = matches!(event, Event::Checkpoint(_));
            if event.is_governance() || (checkpoint && !self.checkpoint_index) {
                walked.governance += 1;
                let got = self.backend.get(TreeId::Governance, &seq_key(seq))?;
                report.compare(Table::Governance, format!("seq {seq}"), &[], got);
            } else if checkpoint {
                walked.checkpoints += 1;
                let got = self.backend.get(TreeId::Checkpoints, &seq_key(seq))?;
                report.compare(Table::Checkpoints, format!("seq {seq}"), &[], got);
            }
            self.check_v3_rows(&entry, logged, report, &mut walked)?;
            if let Event::Correction(c) = event.inner() {
                walked.corrections += 1;
                let got = self.backend.get(TreeId::Corrected, &c.target.0)?;
                report.compare(Table::Corrected, c.target.to_hex(), &seq_key(seq), got);
            }
            // Merkle: the leaf, then every complete node it closes.
            let mut node = (0u8, merkle::leaf_hash(entry.bytes()));
            let mut index = seq;
            loop {
                let got = self.backend.get(TreeId::Merkle, &node_key(node.0, index))?;
                report.compare(
                    Table::Merkle,
                    format!("level {} index {index}", node.0),
                    &node.1,
                    got,
                );
                match stack.last() {
                    Some(&(level, left)) if level == node.0 => {
                        stack.pop();
                        node = (level + 1, merkle::node_hash(&left, &node.1));
                        index /= 2;
                    }
                    _ => break,
                }
            }
            stack.push(node);
            if seq % 4096 == 0 {
                progress(seq);
            }
        }
        Ok(walked)
    }

    /// Format v3's rows for `entry`: a statement's id, a redaction's erased
    /// slots, and a v3 entry's disclosures, which must open its
    /// commitments and hold no erased slot (erased cleartext kept would be
    /// an erasure that did not happen).
    fn check_v3_rows(
        &self,
        entry: &SignedEntry,
        logged: &HashMap<LoggedId, u64>,
        report: &mut DerivedReport,
        walked: &mut Walked,
    ) -> Result<(), StoreError> {
        if !self.v3_tables {
            return Ok(());
        }
        let seq = entry.seq();
        match entry.event() {
            Event::Statement(st) => {
                walked.statements += 1;
                let id = st.statement.id();
                let got = self.id_row(logged, IdKind::Statement, &id.0)?;
                report.compare(Table::Statements, id.to_string(), &seq_key(seq), got);
            }
            Event::Redaction(r) => {
                for item in &r.items {
                    let Some(target) = self.seq_of(&item.target)? else {
                        continue;
                    };
                    for slot in &item.slots {
                        walked.redacted += 1;
                        let key = super::disclosed::redacted_key(target, *slot);
                        let got = self.backend.get(TreeId::Redacted, &key)?;
                        let name = format!("seq {target} {slot}");
                        report.compare(Table::Redacted, name, &seq_key(seq), got);
                    }
                }
            }
            _ => {}
        }
        if self
            .backend
            .get(TreeId::Disclosures, &seq_key(seq))?
            .is_some()
        {
            walked.disclosure_rows += 1;
            report.rows += 1;
            let row_ok = match self.disclosures(seq) {
                Err(_) => false,
                Ok(list) => {
                    let erased = |slot| self.redacted_at(seq, slot).ok().flatten();
                    match check_disclosures(entry.body().version, entry.event(), &list, erased) {
                        Err(_) => false,
                        Ok(states) => !states
                            .iter()
                            .any(|(_, s)| matches!(s, SlotState::DisclosedAfterRedaction { .. })),
                    }
                }
            };
            if !row_ok {
                report.note(
                    Table::Disclosures,
                    format!("seq {seq}"),
                    RowProblem::Differs,
                );
            }
        }
        Ok(())
    }

    /// The persons an entry is about, as the store indexes it: its own
    /// person, or for a correction its target's and its replacement's. The
    /// target is found through the hash index, whose row for it the walk
    /// has already checked (targets come first).
    pub(super) fn persons_of(&self, event: &Event) -> Result<Vec<PersonId>, StoreError> {
        let target = match event.inner() {
            Event::Correction(c) => self.event_of(&c.target)?,
            _ => None,
        };
        Ok(super::batch::indexed_persons(event, target.as_ref()))
    }

    /// Each person's stored status against one folded from their entries
    /// (found through the person index, checked already), with the clock
    /// applied to both at the same time; then the count of status rows.
    /// Memory holds one person's entries at a time.
    fn check_statuses(
        &self,
        persons: &BTreeSet<PersonId>,
        report: &mut DerivedReport,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), StoreError> {
        let now = crate::clock::now();
        let reference = reference_time(now);
        let mut stored = 0u64;
        for (i, person) in persons.iter().enumerate() {
            if i % 4096 == 0 {
                progress(self.len() + (i as u64 * self.len()) / persons.len().max(1) as u64);
            }
            let entries: Vec<ProjectedEntry> = self
                .person_entries(person)?
                .iter()
                .map(super::projections::projected)
                .collect();
            let Some(mut want) = project(person, &entries, None, None, now) else {
                continue;
            };
            stored += 1;
            report.rows += 1;
            let got = self
                .backend
                .get(TreeId::Status, person.as_str().as_bytes())?;
            let got: Option<PersonStatus> = got.and_then(|v| PersonStatus::from_stored(&v).ok());
            match got {
                None => report.note(Table::Statuses, person.as_str(), RowProblem::Missing),
                Some(mut got) => {
                    got.apply_clock(reference);
                    want.apply_clock(reference);
                    if got != want {
                        report.note(Table::Statuses, person.as_str(), RowProblem::Differs);
                    }
                }
            }
        }
        let have = self.count_rows(TreeId::Status)?;
        if have > stored {
            report.note(
                Table::Statuses,
                format!("({} rows more than the chain implies)", have - stored),
                RowProblem::Extra,
            );
        }
        Ok(())
    }
}

impl Ledger {
    /// The person map's leaves and nodes and the governance row against
    /// those the chain implies (`streams`, `gov`, from the walk). The nodes
    /// are recomputed from the leaves from scratch, each compared as it is
    /// computed: memory holds the leaves (about 100 bytes a person), not
    /// the nodes.
    fn check_map(
        &self,
        streams: &BTreeMap<Hash, MapValue>,
        gov: Option<MapValue>,
        report: &mut DerivedReport,
    ) -> Result<(), StoreError> {
        for (k, v) in streams {
            let got = self.backend.get(TreeId::MapLeaves, k)?;
            report.compare(
                Table::MapLeaves,
                format!("person key {}", hex::encode(k)),
                &encode_value(v),
                got,
            );
        }
        let have = self.count_rows(TreeId::MapLeaves)?;
        if have > streams.len() as u64 {
            report.note(
                Table::MapLeaves,
                format!(
                    "({} rows more than the chain implies)",
                    have - streams.len() as u64
                ),
                RowProblem::Extra,
            );
        }
        let got = self.backend.get(TreeId::Meta, GOV_KEY)?;
        match gov {
            Some(g) => report.compare(Table::GovStream, "gov", &encode_value(&g), got),
            None if got.is_some() => report.note(Table::GovStream, "gov", RowProblem::Extra),
            None => {}
        }
        // What a reader reads of a node: the node log's (layout 6), else
        // the table's row.
        let (logged, _) = self.logged_nodes()?;
        let mut nodes = NodeCheck {
            ledger: self,
            leaves: streams,
            logged: &logged,
            report,
            count: 0,
        };
        let keys: Vec<Hash> = streams.keys().copied().collect();
        map_hash::update_root(&mut nodes, &keys)?;
        let want = nodes.count;
        let mut have = self.count_rows(TreeId::MapNodes)?;
        for (depth, prefix) in logged.keys() {
            if self
                .backend
                .get(TreeId::MapNodes, &node_row_key(prefix, *depth))?
                .is_none()
            {
                have += 1;
            }
        }
        if have > want {
            report.note(
                Table::MapNodes,
                format!("({} rows more than the chain implies)", have - want),
                RowProblem::Extra,
            );
        }
        Ok(())
    }
}

/// The person map recomputed from the leaves the chain implies, with no
/// cached node: each subtree's hash, once computed, is compared with the
/// store's row.
struct NodeCheck<'a> {
    ledger: &'a Ledger,
    leaves: &'a BTreeMap<Hash, MapValue>,
    /// The node log's nodes, which readers read before the table's rows.
    logged: &'a HashMap<(u8, Hash), Hash>,
    report: &'a mut DerivedReport,
    /// Subtrees of two leaves or more: the rows the table should hold.
    count: u64,
}

impl MapStore for NodeCheck<'_> {
    type Error = StoreError;

    fn first_leaves(&self, prefix: &Hash, depth: usize) -> Result<Vec<Leaf>, StoreError> {
        Ok(self
            .leaves
            .range(*prefix..=map_hash::prefix_end(prefix, depth))
            .take(2)
            .map(|(k, v)| Leaf {
                key: *k,
                value_hash: map_hash::value_hash(v),
            })
            .collect())
    }

    fn node(&self, _prefix: &Hash, _depth: usize) -> Result<Option<Hash>, StoreError> {
        Ok(None)
    }

    fn set_node(&mut self, prefix: &Hash, depth: usize, hash: Hash) -> Result<(), StoreError> {
        let d = u8::try_from(depth).expect("a node splits on a bit below 256");
        let key = node_row_key(prefix, d);
        let got = match self.logged.get(&(d, *prefix)) {
            Some(h) => Some(h.to_vec()),
            None => self.ledger.backend.get(TreeId::MapNodes, &key)?,
        };
        self.count += 1;
        self.report.compare(
            Table::MapNodes,
            format!("depth {depth} prefix {}", hex::encode(&key[1..])),
            &hash,
            got,
        );
        Ok(())
    }
}

/// What the walk over the chain counted.
#[derive(Default)]
struct Walked {
    governance: u64,
    checkpoints: u64,
    corrections: u64,
    person_rows: u64,
    /// Every person some entry is about (about 40 bytes each).
    persons: BTreeSet<PersonId>,
    /// Each person's stream, by map key (about 100 bytes each).
    streams: BTreeMap<Hash, MapValue>,
    /// The governance stream.
    gov: Option<MapValue>,
    /// Statements registered (format v3).
    statements: u64,
    /// Slots redactions erased (format v3).
    redacted: u64,
    /// v3 entries with a disclosure row.
    disclosure_rows: u64,
}

/// The number of complete Merkle nodes over `n` leaves: every leaf, and at
/// each level above, one node per complete pair below.
fn merkle_nodes(n: u64) -> u64 {
    let mut total = 0;
    let mut width = n;
    while width > 0 {
        total += width;
        width /= 2;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::event_from_value;
    use crate::keyfile::public_key_of;
    use crate::store::backend::WriteSet;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    /// A ledger with two persons, a retraction and a checkpoint.
    fn ledger(dir: &std::path::Path) -> Ledger {
        let authority = SigningKey::from_bytes(&[1; 32]);
        let investigator = SigningKey::from_bytes(&[2; 32]);
        let (mut ledger, _) = Ledger::create(dir, "t", "A", &authority).unwrap();
        let grant = Event::KeyGranted(custody_format::event::KeyGranted {
            public_key: public_key_of(&investigator),
            role: custody_format::event::Role::Investigator,
            holder: "I".into(),
        });
        ledger.append(vec![grant], &authority).unwrap();
        let events = [
            json!({"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}),
            json!({"type":"sighting","person":"P-1","occurred_at":"2022-09","source":"video"}),
            json!({"type":"death","person":"P-1","occurred_at":"2023-01-02","cause":"execution"}),
            json!({"type":"capture","person":"P-2","occurred_at":"2023-01"}),
        ]
        .into_iter()
        .map(|v| event_from_value(v).unwrap())
        .collect();
        let appended = ledger.append(events, &investigator).unwrap();
        let retract = event_from_value(json!({
            "type":"correction","target": appended[1].hash.to_hex(),"reason":"someone else"
        }))
        .unwrap();
        ledger.append(vec![retract], &investigator).unwrap();
        ledger.checkpoint(&authority).unwrap();
        ledger
    }

    fn tamper(ledger: &Ledger, f: impl FnOnce(&mut WriteSet)) {
        let mut w = WriteSet::new();
        f(&mut w);
        ledger.backend.commit(w).unwrap();
    }

    /// The disclosures of seq 2 (the capture in Mariupol): a place altered,
    /// a row for an entry that commits nothing, a disclosure kept for an
    /// erased slot, and a redaction's row deleted are each named.
    #[test]
    fn disclosure_and_redaction_rows_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(&dir.path().join("l"));
        let mut row = ledger.disclosures(2).unwrap();
        assert_eq!(row.len(), 1, "the capture's place");
        let good = super::super::disclosed::encode_row(&row);
        let named = |ledger: &Ledger| {
            let r = ledger.check_derived(|_| ()).unwrap();
            r.mismatches
                .iter()
                .map(|m| (m.table, m.problem))
                .collect::<Vec<_>>()
        };
        row[0].value = custody_format::commit::DisclosedValue::Text("Donetsk".into());
        let forged = super::super::disclosed::encode_row(&row);
        tamper(&ledger, |w| {
            w.insert(TreeId::Disclosures, &seq_key(2), &forged)
        });
        assert_eq!(named(&ledger), [(Table::Disclosures, RowProblem::Differs)]);
        // A row for the genesis, which commits nothing.
        tamper(&ledger, |w| {
            w.insert(TreeId::Disclosures, &seq_key(2), &good);
            w.insert(TreeId::Disclosures, &seq_key(0), &good);
        });
        let r = ledger.check_derived(|_| ()).unwrap();
        assert_eq!(r.count, 1, "{r:?}");
        assert_eq!(r.mismatches[0].table, Table::Disclosures);
        assert_eq!(r.mismatches[0].key, "seq 0");
        // A redaction row says the place was erased, yet it is still kept.
        tamper(&ledger, |w| {
            w.remove(TreeId::Disclosures, &seq_key(0));
            let slot = row[0].slot;
            w.insert(
                TreeId::Redacted,
                &super::super::disclosed::redacted_key(2, slot),
                &seq_key(9),
            );
        });
        let found = named(&ledger);
        assert!(
            found.contains(&(Table::Redacted, RowProblem::Extra)),
            "{found:?}"
        );
        assert!(
            found.contains(&(Table::Disclosures, RowProblem::Differs)),
            "{found:?}"
        );
    }

    #[test]
    fn an_intact_store_matches_its_chain() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(&dir.path().join("l"));
        let r = ledger.check_derived(|_| {}).unwrap();
        assert!(r.is_clean(), "{:?}", r.mismatches);
        assert!(r.rows > 20, "{}", r.rows);
    }

    /// Each derived table, edited alone with no key, is caught and named:
    /// hiding a death from `history` by deleting its person-index row, a
    /// dead man shown as held by editing his status, a revocation hidden
    /// from `append` by deleting its governance row.
    #[test]
    fn every_edited_table_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let death = {
            let l = ledger(&dir.path().join("probe"));
            l.person_seqs(&PersonId::new("P-1").unwrap()).unwrap()[2]
        };
        let cases: Vec<(&str, Table, RowProblem, Edit)> = vec![
            (
                "person row of the death deleted",
                Table::Persons,
                RowProblem::Missing,
                Box::new(move |l, w| {
                    let p = PersonId::new("P-1").unwrap();
                    let _ = l;
                    w.remove(TreeId::Persons, &person_key(&p, death));
                }),
            ),
            (
                "a person row for an entry about someone else",
                Table::Persons,
                RowProblem::Extra,
                Box::new(move |_, w| {
                    let p = PersonId::new("P-2").unwrap();
                    w.insert(TreeId::Persons, &person_key(&p, death), &[]);
                }),
            ),
            (
                "status of the dead man edited to released",
                Table::Statuses,
                RowProblem::Differs,
                Box::new(|l, w| {
                    let v = l.backend.get(TreeId::Status, b"P-1").unwrap().unwrap();
                    let mut st = PersonStatus::from_stored(&v).unwrap();
                    assert_eq!(st.status, crate::projection::Status::Deceased);
                    st.status = crate::projection::Status::Released;
                    w.insert(TreeId::Status, b"P-1", &st.to_stored());
                }),
            ),
            (
                "governance row of the grant deleted",
                Table::Governance,
                RowProblem::Missing,
                Box::new(|_, w| w.remove(TreeId::Governance, &seq_key(1))),
            ),
            (
                "hash row pointing elsewhere",
                Table::Hashes,
                RowProblem::Differs,
                Box::new(|l, w| {
                    let h = l.entry(3).unwrap().unwrap().hash();
                    rewrite_logged_id(l, w, &h.0, Some(4));
                }),
            ),
            (
                "correction row deleted",
                Table::Corrected,
                RowProblem::Missing,
                Box::new(|l, w| {
                    // Entry 3, the sighting, is the one retracted.
                    let h = l.entry(3).unwrap().unwrap().hash();
                    w.remove(TreeId::Corrected, &h.0);
                }),
            ),
            (
                "a Merkle node flipped",
                Table::Merkle,
                RowProblem::Differs,
                Box::new(|_, w| w.insert(TreeId::Merkle, &node_key(1, 0), &[7; 32])),
            ),
        ];
        each_is_named(dir.path(), cases);
    }

    /// `append` signs with the registry replayed from the governance index
    /// at open: a deleted row (a revocation hidden so that a revoked key
    /// could sign again) makes the store damaged on the next open, whether
    /// a later governance entry links past the gap, a seal counts it, or
    /// only the map's governance row ends elsewhere.
    #[test]
    fn a_hidden_governance_entry_makes_the_store_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let authority = SigningKey::from_bytes(&[1; 32]);
        let deputy = SigningKey::from_bytes(&[3; 32]);
        let revoke = |seq_of: &mut Option<u64>, l: &mut Ledger| {
            let grant = Event::KeyGranted(custody_format::event::KeyGranted {
                public_key: public_key_of(&deputy),
                role: custody_format::event::Role::Investigator,
                holder: "D".into(),
            });
            l.append(vec![grant], &authority).unwrap();
            let r = Event::KeyRevoked(custody_format::event::KeyRevoked {
                public_key: public_key_of(&deputy),
                reason: "stolen".into(),
            });
            *seq_of = Some(l.append(vec![r], &authority).unwrap()[0].seq);
        };
        // 1. The last revocation's row deleted (nothing links past it).
        let path = dir.path().join("a");
        let mut revoked = None;
        {
            let mut l = ledger(&path);
            revoke(&mut revoked, &mut l);
            tamper(&l, |w| {
                w.remove(TreeId::Governance, &seq_key(revoked.unwrap()))
            });
        }
        let e = Ledger::open(&path).err().expect("damaged");
        assert!(e.to_string().contains("governance"), "{e}");
        // 2. The grant (seq 1) deleted: the seal of the checkpoint counts
        // it, and the later grant links to it.
        let path = dir.path().join("b");
        {
            let mut l = ledger(&path);
            revoke(&mut revoked, &mut l);
            tamper(&l, |w| w.remove(TreeId::Governance, &seq_key(1)));
        }
        let e = Ledger::open(&path).err().expect("damaged");
        assert!(e.to_string().contains("index row is missing"), "{e}");
        // 3. The revocation's row moved to the checkpoint index, which the
        // open does not replay: the seal after it counts it.
        let path = dir.path().join("d");
        {
            let mut l = ledger(&path);
            revoke(&mut revoked, &mut l);
            l.checkpoint(&authority).unwrap();
            let at = seq_key(revoked.unwrap());
            tamper(&l, |w| {
                w.remove(TreeId::Governance, &at);
                w.insert(TreeId::Checkpoints, &at, &[]);
            });
        }
        let e = Ledger::open(&path).err().expect("damaged");
        assert!(e.to_string().contains("index row is missing"), "{e}");
        // 4. The same, with the map's governance row rewritten to agree
        // with the shortened index: only the last seal still shows it.
        let path = dir.path().join("e");
        {
            let mut l = ledger(&path);
            revoke(&mut revoked, &mut l);
            l.checkpoint(&authority).unwrap();
            let at = seq_key(revoked.unwrap());
            let governance = l.governance_seqs().unwrap();
            let before = governance[governance.len() - 2];
            let value = MapValue {
                count: governance.len() as u64 - 1,
                head: Link {
                    seq: before,
                    hash: l.entry(before).unwrap().unwrap().hash(),
                },
            };
            tamper(&l, |w| {
                w.remove(TreeId::Governance, &at);
                w.insert(TreeId::Checkpoints, &at, &[]);
                w.insert(TreeId::Meta, GOV_KEY, &encode_value(&value));
            });
        }
        let e = Ledger::open(&path).err().expect("damaged");
        assert!(e.to_string().contains("the seal at seq"), "{e}");
        // 5. A row added to the checkpoint index at the head, naming an
        // entry that is no checkpoint (it would turn the seal check off).
        let path = dir.path().join("f");
        {
            let mut l = ledger(&path);
            revoke(&mut revoked, &mut l);
            l.checkpoint(&authority).unwrap();
            l.append(
                vec![Event::KeyGranted(custody_format::event::KeyGranted {
                    public_key: public_key_of(&SigningKey::from_bytes(&[9; 32])),
                    role: custody_format::event::Role::Investigator,
                    holder: "E".into(),
                })],
                &authority,
            )
            .unwrap();
            let last = l.head().seq;
            tamper(&l, |w| w.insert(TreeId::Checkpoints, &seq_key(last), &[]));
        }
        let e = Ledger::open(&path).err().expect("damaged");
        assert!(e.to_string().contains("not a checkpoint"), "{e}");
        // An intact store opens.
        let path = dir.path().join("c");
        {
            let mut l = ledger(&path);
            revoke(&mut revoked, &mut l);
        }
        Ledger::open(&path).unwrap();
    }

    /// `history`, the statuses and the bundles read a person's entries
    /// through the person index: a deleted row (the death, or the last
    /// entry, which no later entry links past) or an added one is refused
    /// as damage, never shown as a shorter story.
    #[test]
    fn a_person_index_cut_or_padded_is_refused_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let p1 = PersonId::new("P-1").unwrap();
        let p2 = PersonId::new("P-2").unwrap();
        let cases: Vec<(&str, Edit)> = vec![
            (
                "the death's row deleted",
                Box::new(|l, w| {
                    let death = l.person_seqs(&PersonId::new("P-1").unwrap()).unwrap()[2];
                    w.remove(
                        TreeId::Persons,
                        &person_key(&PersonId::new("P-1").unwrap(), death),
                    );
                }),
            ),
            (
                "the last row deleted",
                Box::new(|l, w| {
                    let p = PersonId::new("P-1").unwrap();
                    let last = *l.person_seqs(&p).unwrap().last().unwrap();
                    w.remove(TreeId::Persons, &person_key(&p, last));
                }),
            ),
            (
                "another person's entry listed",
                Box::new(|l, w| {
                    let other = l.person_seqs(&PersonId::new("P-2").unwrap()).unwrap()[0];
                    w.insert(
                        TreeId::Persons,
                        &person_key(&PersonId::new("P-1").unwrap(), other),
                        &[],
                    );
                }),
            ),
        ];
        for (i, (what, edit)) in cases.into_iter().enumerate() {
            let l = ledger(&dir.path().join(format!("case-{i}")));
            assert!(l.person_entries(&p1).is_ok(), "{what}: intact first");
            tamper(&l, |w| edit(&l, w));
            let e = l
                .person_entries(&p1)
                .err()
                .unwrap_or_else(|| panic!("{what}: read"));
            assert!(e.to_string().contains("person"), "{what}: {e}");
            assert!(l.person_entries(&p2).is_ok(), "{what}: P-2 untouched");
        }
    }

    type Edit = Box<dyn Fn(&Ledger, &mut WriteSet)>;

    /// Each edit, made alone to a fresh ledger, is reported as a mismatch
    /// of its table of its kind.
    fn each_is_named(dir: &std::path::Path, cases: Vec<(&str, Table, RowProblem, Edit)>) {
        for (i, (what, table, problem, edit)) in cases.into_iter().enumerate() {
            let l = ledger(&dir.join(format!("case-{i}")));
            tamper(&l, |w| edit(&l, w));
            let r = l.check_derived(|_| {}).unwrap();
            assert!(
                r.mismatches
                    .iter()
                    .any(|m| m.table == table && m.problem == problem),
                "{what}: {:?}",
                r.mismatches
            );
        }
    }

    /// Moves `log`'s last row, unchanged, to a key no commit can have
    /// written: every lookup still reads right.
    fn move_last_row_past_the_head(l: &Ledger, w: &mut WriteSet, log: TreeId) {
        let (key, row) = l.backend.last(log).unwrap().expect("a log row");
        w.remove(log, &key);
        w.insert(log, &seq_key(u64::MAX), &row);
    }

    /// Rewrites the id log row that holds `id`: its seq made `seq`, or the
    /// id dropped from the row (`None`).
    fn rewrite_logged_id(l: &Ledger, w: &mut WriteSet, id: &[u8; 32], seq: Option<u64>) {
        for row in l.backend.scan_from(TreeId::IdLog, &[]) {
            let (key, blob) = row.unwrap();
            let mut ids = Vec::new();
            super::super::id_log::decode_row(&blob, |k, i, s| ids.push((k, i, s))).unwrap();
            if ids.iter().any(|(_, i, _)| i == id) {
                let ids: Vec<_> = ids
                    .into_iter()
                    .filter_map(|(k, i, s)| match (&i == id, seq) {
                        (false, _) => Some((k, i, s)),
                        (true, Some(seq)) => Some((k, i, seq)),
                        (true, None) => None,
                    })
                    .collect();
                w.insert(TreeId::IdLog, &key, &super::super::id_log::encode_row(&ids));
                return;
            }
        }
        panic!("{} is not in the id log", hex::encode(id));
    }

    /// The id log (layout 6) and the tables it is merged into, edited with
    /// no key: an id dropped, pointed elsewhere, in both places, or
    /// invented; whichever place holds it, the check names the table a
    /// lookup reads.
    #[test]
    fn every_edited_id_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let merged = |l: &Ledger, w: &mut WriteSet| {
            for ((kind, id), seq) in l.logged_ids().unwrap().0 {
                w.insert(kind.tree(), &id, &seq_key(seq));
            }
            for row in l.backend.scan_from(TreeId::IdLog, &[]) {
                w.remove(TreeId::IdLog, &row.unwrap().0);
            }
        };
        let cases: Vec<(&str, Table, RowProblem, Edit)> = vec![
            (
                "the death's hash dropped from the id log",
                Table::Hashes,
                RowProblem::Missing,
                Box::new(|l, w| {
                    let h = l.entry(l.head().seq).unwrap().unwrap().hash();
                    rewrite_logged_id(l, w, &h.0, None);
                }),
            ),
            (
                "the death's hash also in hashes, the log unchanged",
                Table::Hashes,
                RowProblem::Extra,
                Box::new(|l, w| {
                    let last = l.head().seq;
                    let h = l.entry(last).unwrap().unwrap().hash();
                    w.insert(TreeId::Hashes, &h.0, &seq_key(last));
                }),
            ),
            (
                "a hash the chain never made, in the id log",
                Table::Hashes,
                RowProblem::Extra,
                Box::new(|_, w| {
                    let row =
                        super::super::id_log::encode_row(&[(IdKind::EntryHash, [0xab; 32], 2)]);
                    w.insert(TreeId::IdLog, &seq_key(u64::MAX), &row);
                }),
            ),
            (
                "a statement id the chain never registered, in the id log",
                Table::Statements,
                RowProblem::Extra,
                Box::new(|_, w| {
                    let row =
                        super::super::id_log::encode_row(&[(IdKind::Statement, [0xab; 32], 2)]);
                    w.insert(TreeId::IdLog, &seq_key(u64::MAX), &row);
                }),
            ),
            (
                "the id log's last row moved, whole, past the head",
                Table::Hashes,
                RowProblem::Extra,
                Box::new(|l, w| move_last_row_past_the_head(l, w, TreeId::IdLog)),
            ),
            (
                "the node log's last row moved, whole, past the head",
                Table::MapNodes,
                RowProblem::Extra,
                Box::new(|l, w| move_last_row_past_the_head(l, w, TreeId::MapNodeLog)),
            ),
            (
                "a hash pointing elsewhere, after the log was merged",
                Table::Hashes,
                RowProblem::Differs,
                Box::new(move |l, w| {
                    merged(l, w);
                    let h = l.entry(3).unwrap().unwrap().hash();
                    w.insert(TreeId::Hashes, &h.0, &seq_key(4));
                }),
            ),
            (
                "a hash deleted, after the log was merged",
                Table::Hashes,
                RowProblem::Missing,
                Box::new(move |l, w| {
                    merged(l, w);
                    let h = l.entry(3).unwrap().unwrap().hash();
                    w.remove(TreeId::Hashes, &h.0);
                }),
            ),
        ];
        each_is_named(dir.path(), cases);
    }

    /// The person map and the governance stream, edited with no key: a
    /// stream shortened to hide a death from the next seal, a person
    /// removed or invented, a node or the governance head changed.
    #[test]
    fn every_edited_map_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cases: Vec<(&str, Table, RowProblem, Edit)> = vec![
            (
                "P-1's stream shortened to hide the death",
                Table::MapLeaves,
                RowProblem::Differs,
                Box::new(|l, w| {
                    let k = map_hash::person_key("P-1");
                    let mut v = l.backend.get(TreeId::MapLeaves, &k).unwrap().unwrap();
                    v[0] -= 1;
                    w.insert(TreeId::MapLeaves, &k, &v);
                }),
            ),
            (
                "P-2 removed from the map",
                Table::MapLeaves,
                RowProblem::Missing,
                Box::new(|_, w| w.remove(TreeId::MapLeaves, &map_hash::person_key("P-2"))),
            ),
            (
                "a person the chain never names added to the map",
                Table::MapLeaves,
                RowProblem::Extra,
                Box::new(|l, w| {
                    let k = map_hash::person_key("P-1");
                    let v = l.backend.get(TreeId::MapLeaves, &k).unwrap().unwrap();
                    w.insert(TreeId::MapLeaves, &map_hash::person_key("P-3"), &v);
                }),
            ),
            (
                "the map's root flipped in the node log's last row",
                Table::MapNodes,
                RowProblem::Differs,
                Box::new(|l, w| {
                    let (key, row) = l.backend.last(TreeId::MapNodeLog).unwrap().unwrap();
                    let mut nodes = Vec::new();
                    super::super::map::decode_log_row(&row, |d, p, h| {
                        nodes.push(((d, p), if d == 0 { [7; 32] } else { h }))
                    })
                    .unwrap();
                    let row = super::super::map::encode_log_row(nodes.iter().map(|(k, v)| (k, v)));
                    w.insert(TreeId::MapNodeLog, &key, &row);
                }),
            ),
            (
                "the node log's last row deleted",
                Table::MapNodes,
                RowProblem::Differs,
                Box::new(|l, w| {
                    let (key, _) = l.backend.last(TreeId::MapNodeLog).unwrap().unwrap();
                    w.remove(TreeId::MapNodeLog, &key);
                }),
            ),
            (
                "the map's root flipped in map_nodes, after the log was merged into it",
                Table::MapNodes,
                RowProblem::Differs,
                Box::new(|l, w| {
                    for ((d, p), h) in l.logged_nodes().unwrap().0 {
                        w.insert(TreeId::MapNodes, &node_row_key(&p, d), &h);
                    }
                    for row in l.backend.scan_from(TreeId::MapNodeLog, &[]) {
                        w.remove(TreeId::MapNodeLog, &row.unwrap().0);
                    }
                    w.insert(TreeId::MapNodes, &node_row_key(&[0; 32], 0), &[7; 32]);
                }),
            ),
            (
                "a stray node in the node log",
                Table::MapNodes,
                RowProblem::Extra,
                Box::new(|_, w| {
                    let node = ((9u8, [0xab; 32]), [7u8; 32]);
                    let row =
                        super::super::map::encode_log_row(std::iter::once((&node.0, &node.1)));
                    w.insert(TreeId::MapNodeLog, &seq_key(u64::MAX), &row);
                }),
            ),
            (
                "a stray map node",
                Table::MapNodes,
                RowProblem::Extra,
                Box::new(|_, w| {
                    w.insert(TreeId::MapNodes, &node_row_key(&[0xab; 32], 9), &[7; 32])
                }),
            ),
            (
                "the governance stream made to end at the genesis",
                Table::GovStream,
                RowProblem::Differs,
                Box::new(|l, w| {
                    let g = MapValue {
                        count: 1,
                        head: Link {
                            seq: 0,
                            hash: l.entry(0).unwrap().unwrap().hash(),
                        },
                    };
                    w.insert(TreeId::Meta, GOV_KEY, &encode_value(&g));
                }),
            ),
            (
                "the governance row deleted",
                Table::GovStream,
                RowProblem::Missing,
                Box::new(|_, w| w.remove(TreeId::Meta, GOV_KEY)),
            ),
        ];
        each_is_named(dir.path(), cases);
    }
}
