//! Keeping the projections (`crate::projection`) in the store: maintained in
//! the same durable commit as every append, rebuilt from the chain on
//! demand, and caught up on open if they ever lag.
//!
//! Each person's status depends only on their own entries (and the
//! corrections that touch them, which the person index lists too), so an
//! append re-folds exactly the persons it touched, from their entries in the
//! store plus the batch: incremental maintenance and a full rebuild run the
//! same fold over the same entries, and so agree by construction (a
//! proptest checks it anyway).

use super::backend::{TreeId, WriteSet};
use super::{Ledger, StoreError};
use crate::projection::{project, reference_time, PersonStatus, ProjectedEntry};
use custody_format::commit::DisclosedValue;
use custody_format::entry::SignedEntry;
use custody_format::event::{EntryHash, Event, PersonId};
use custody_format::time::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// Meta key: projection rules version (4 bytes) ‖ seq applied up to (8).
const PROJECTION_KEY: &[u8] = b"projection";
/// Bump when the fold's rules change: stores rebuild on open.
/// 6: the same rules, statuses stored in bincode
/// (`PersonStatus::to_stored`), not JSON.
const PROJECTION_VERSION: u32 = 6;

fn projection_marker(applied: u64) -> [u8; 12] {
    let mut v = [0u8; 12];
    v[..4].copy_from_slice(&PROJECTION_VERSION.to_be_bytes());
    v[4..].copy_from_slice(&applied.to_be_bytes());
    v
}

pub(super) fn projected(e: &SignedEntry) -> ProjectedEntry {
    ProjectedEntry::from(e)
}

impl Ledger {
    fn damaged(&self, detail: String) -> StoreError {
        StoreError::Damaged {
            dir: self.dir.clone(),
            detail,
        }
    }

    /// True if the stored projections are of the current rules and have
    /// applied every entry.
    pub(super) fn projections_current(&self) -> Result<bool, StoreError> {
        Ok(self.backend.get(TreeId::Meta, PROJECTION_KEY)?.as_deref()
            == Some(&projection_marker(self.head.seq)[..]))
    }

    /// A person's entries (their evidence and the corrections touching
    /// them), decoded, in seq order.
    pub fn person_entries(&self, person: &PersonId) -> Result<Vec<SignedEntry>, StoreError> {
        let entries: Vec<SignedEntry> = self
            .person_seqs(person)?
            .into_iter()
            .map(|seq| {
                self.entry(seq)?
                    .ok_or_else(|| self.damaged(format!("entry {seq} of {person} is missing")))
            })
            .collect::<Result<_, _>>()?;
        self.check_person_stream(person, &entries)?;
        Ok(entries)
    }

    /// The person index is derived; what `history`, the statuses and the
    /// bundles read from it is checked against what the signed entries say
    /// of the person's stream (format v2): each v2 entry links to the entry
    /// before it in the index, and the map's leaf counts them and names the
    /// last. A deleted row (a death hidden from `history`) or an added one
    /// makes the store damaged, never a shorter story.
    fn check_person_stream(
        &self,
        person: &PersonId,
        entries: &[SignedEntry],
    ) -> Result<(), StoreError> {
        let mut previous: Option<custody_format::stream::Link> = None;
        for e in entries {
            let body = e.body();
            if body.version >= custody_format::entry::VERSION_2 {
                // A correction that moves evidence to this person carries
                // this person's link second.
                let second = matches!(&body.event, Event::Correction(c)
                    if body.links.len() == 2
                        && c.replacement.as_deref().and_then(Event::person) == Some(person));
                let named = body.links.get(usize::from(second)).copied().flatten();
                if named != previous {
                    return Err(self.damaged(format!(
                        "the person index of {person} does not match the entries' links: entry {} names {} as the previous entry about them, the index lists {}; run `custody verify`",
                        e.seq(),
                        named.map_or("none".into(), |l| l.to_string()),
                        previous.map_or("none".into(), |l| l.to_string()),
                    )));
                }
            }
            previous = Some(custody_format::stream::Link {
                seq: e.seq(),
                hash: e.hash(),
            });
        }
        if self.map_ready {
            let leaf =
                self.stored_stream_value(&custody_format::stream::Stream::person(person.as_str()))?;
            let listed = previous.map(|head| (entries.len() as u64, head));
            if leaf.map(|v| (v.count, v.head)) != listed {
                return Err(self.damaged(format!(
                    "the person index lists {} entries about {person}, but the person map counts {}; run `custody verify`",
                    entries.len(),
                    leaf.map_or(0, |v| v.count)
                )));
            }
        }
        Ok(())
    }

    /// Re-folds the persons a batch touched and adds their statuses, and
    /// the applied seq, to the batch's writes.
    pub(super) fn project_batch(
        &self,
        touched: &BTreeMap<PersonId, Vec<usize>>,
        batch: &[SignedEntry],
        last_seq: u64,
        now: Timestamp,
        writes: &mut WriteSet,
    ) -> Result<(), StoreError> {
        for (person, in_batch) in touched {
            let mut entries: Vec<ProjectedEntry> =
                self.person_entries(person)?.iter().map(projected).collect();
            entries.extend(in_batch.iter().map(|&i| projected(&batch[i])));
            write_status(person, project(person, &entries, None, None, now), writes);
        }
        writes.insert(TreeId::Meta, PROJECTION_KEY, &projection_marker(last_seq));
        Ok(())
    }

    /// Folds every person's status from the chain, in memory (the whole
    /// decoded chain, for speed: the rebuild runs at about 400,000 to
    /// 650,000 entries/s): the persons in id order, each with their status
    /// folded at `now`.
    pub(super) fn fold_chain(
        &self,
        now: Timestamp,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<FoldedPerson>, StoreError> {
        // 1. Decode.
        let total = self.head.seq + 1;
        let middle = total / 2;
        let decoded = AtomicU64::new(0);
        let (first, second) = std::thread::scope(|scope| {
            let second = scope.spawn(|| self.decode_range(middle, total, &decoded));
            let first = self.decode_range_reporting(0, middle, &decoded, progress);
            (first, second.join())
        });
        let second = second.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (first, second) = (first?, second?);
        let chain: Vec<&ProjectedEntry> = first.iter().chain(second.iter()).collect();
        let runs = group_by_person(&chain);

        // 3. Fold, on both cores.
        let fold = |part: &[(&PersonId, Vec<&ProjectedEntry>)]| -> Vec<FoldedPerson> {
            part.iter()
                .map(|(p, entries)| FoldedPerson {
                    person: (*p).clone(),
                    status: project(p, entries, None, None, now),
                })
                .collect()
        };
        let (left, right) = runs.split_at(runs.len() / 2);
        let (mut left, right) = std::thread::scope(|scope| {
            let right = scope.spawn(|| fold(right));
            (fold(left), right.join())
        });
        left.extend(right.unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        Ok(left)
    }

    /// Rebuilds every stored status from the chain, in one commit (see
    /// [`Ledger::fold_chain`]). Returns the number of persons.
    pub fn rebuild_projections(
        &mut self,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, StoreError> {
        let folded = self.fold_chain(crate::clock::now(), &mut progress)?;
        // One commit replaces every status and the marker: a crash before
        // it leaves the projections as they were, whole.
        let mut writes = WriteSet::new();
        writes.clear(TreeId::Status);
        for f in &folded {
            if let Some(st) = &f.status {
                writes.insert(
                    TreeId::Status,
                    f.person.as_str().as_bytes(),
                    &st.to_stored(),
                );
            }
        }
        writes.insert(
            TreeId::Meta,
            PROJECTION_KEY,
            &projection_marker(self.head.seq),
        );
        self.backend.commit(writes)?;
        progress(self.head.seq + 1);
        Ok(folded.len() as u64)
    }

    /// Decodes entries `from..to` into projection inputs, in seq order,
    /// adding to `decoded` as it goes.
    fn decode_range(
        &self,
        from: u64,
        to: u64,
        decoded: &AtomicU64,
    ) -> Result<Vec<ProjectedEntry>, StoreError> {
        self.decode_range_reporting(from, to, decoded, &mut |_| {})
    }

    /// [`Self::decode_range`], calling `progress` with the count of entries
    /// decoded by every thread, every 65,536 of its own.
    fn decode_range_reporting(
        &self,
        from: u64,
        to: u64,
        decoded: &AtomicU64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<ProjectedEntry>, StoreError> {
        let mut out = Vec::with_capacity(usize::try_from(to.saturating_sub(from)).unwrap_or(0));
        let mut expected = from;
        for item in self.backend.scan_from(TreeId::Entries, &from.to_be_bytes()) {
            if expected == to {
                break;
            }
            let (key, bytes) = item?;
            let entry = SignedEntry::decode(bytes).map_err(|e| {
                self.damaged(format!("entry {} does not decode: {e}", hex::encode(&key)))
            })?;
            if entry.seq() != expected {
                return Err(self.damaged(format!(
                    "entry {expected} is missing (found {} in its place)",
                    entry.seq()
                )));
            }
            expected += 1;
            out.push(ProjectedEntry {
                seq: entry.seq(),
                hash: entry.hash(),
                recorded_at: entry.body().recorded_at,
                event: entry.into_event(),
            });
            if out.len().is_multiple_of(65_536) {
                let all = decoded.fetch_add(65_536, Ordering::Relaxed) + 65_536;
                progress(all);
            }
        }
        if expected != to {
            return Err(self.damaged(format!("entry {expected} is missing")));
        }
        Ok(out)
    }

    /// One person's status. Without cuts it is read from the stored
    /// projection (its clock brought to `now`); with `as_of` or `known_at`,
    /// or when a read-only handle found the stored projections stale, it is
    /// folded from the person's entries. `None`: no such person (at
    /// that cut).
    pub fn person_status(
        &self,
        person: &PersonId,
        as_of: Option<Timestamp>,
        known_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<PersonStatus>, StoreError> {
        if as_of.is_none() && known_at.is_none() && !self.stale_projections {
            return match self
                .backend
                .get(TreeId::Status, person.as_str().as_bytes())?
            {
                None => Ok(None),
                Some(v) => {
                    let mut st = PersonStatus::from_stored(&v).map_err(|e| {
                        self.damaged(format!(
                            "the stored status of {person} does not decode: {e}"
                        ))
                    })?;
                    st.apply_clock(reference_time(now));
                    self.resolve_committed(&mut st)?;
                    Ok(Some(st))
                }
            };
        }
        let entries: Vec<ProjectedEntry> =
            self.person_entries(person)?.iter().map(projected).collect();
        let mut st = project(person, &entries, as_of, known_at, now);
        if let Some(st) = &mut st {
            self.resolve_committed(st)?;
        }
        Ok(st)
    }

    /// Fills in a status's committed personal values (format v3: a name, a
    /// place) from the disclosures the store holds; those it does not hold
    /// (withheld, redacted) stay listed in `committed`.
    pub fn resolve_committed(&self, st: &mut PersonStatus) -> Result<(), StoreError> {
        if st.committed.is_empty() {
            return Ok(());
        }
        let mut failed = None;
        st.resolve_committed(|at| {
            let code = custody_format::commit::field_named(&at.field)?.code;
            match self.disclosures(at.seq) {
                Ok(list) => list.into_iter().find_map(|d| match d.value {
                    DisclosedValue::Text(t) if d.slot.code == code => Some(t),
                    _ => None,
                }),
                Err(e) => {
                    failed.get_or_insert(e);
                    None
                }
            }
        });
        failed.map_or(Ok(()), Err)
    }

    /// Every person's status, sorted by person id. Without cuts, from the
    /// stored projection; with cuts, folded for every person in the person
    /// index (so those with no status now still appear at an earlier cut).
    /// Holds them all in memory: for figures over every person, prefer
    /// [`Ledger::for_each_status`].
    pub fn all_statuses(
        &self,
        as_of: Option<Timestamp>,
        known_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Vec<PersonStatus>, StoreError> {
        let mut out = Vec::new();
        self.for_each_status(as_of, known_at, now, |st| out.push(st))?;
        Ok(out)
    }

    /// Calls `f` with every person's status in person-id order, one at a
    /// time, so that memory does not grow with the number of persons (a
    /// report over a national register reads every status once and keeps
    /// only its counts). Statuses as in [`Ledger::all_statuses`].
    pub fn for_each_status(
        &self,
        as_of: Option<Timestamp>,
        known_at: Option<Timestamp>,
        now: Timestamp,
        mut f: impl FnMut(PersonStatus),
    ) -> Result<(), StoreError> {
        if as_of.is_none() && known_at.is_none() && !self.stale_projections {
            let reference = reference_time(now);
            for item in self.backend.scan_from(TreeId::Status, &[]) {
                let (k, v) = item?;
                let mut st = PersonStatus::from_stored(&v).map_err(|e| {
                    self.damaged(format!(
                        "the stored status of {} does not decode: {e}",
                        String::from_utf8_lossy(&k)
                    ))
                })?;
                st.apply_clock(reference);
                self.resolve_committed(&mut st)?;
                f(st);
            }
            return Ok(());
        }
        // Every person the index knows, not only those with a status now:
        // a person whose entries were all retracted later still had a status
        // at an earlier --known-at.
        let mut last: Option<PersonId> = None;
        for item in self.backend.scan_from(TreeId::Persons, &[]) {
            let (k, _) = item?;
            let person = k
                .len()
                .checked_sub(9)
                .and_then(|split| std::str::from_utf8(&k[..split]).ok())
                .and_then(|s| PersonId::new(s).ok())
                .ok_or_else(|| self.damaged("a person index key is malformed".into()))?;
            if last.as_ref() == Some(&person) {
                continue;
            }
            if let Some(st) = self.person_status(&person, as_of, known_at, now)? {
                f(st);
            }
            last = Some(person);
        }
        Ok(())
    }
}

/// The number of `person` in `persons`, adding it if new.
fn intern<'a>(
    index: &mut HashMap<&'a PersonId, u32>,
    persons: &mut Vec<&'a PersonId>,
    person: &'a PersonId,
) -> u32 {
    *index.entry(person).or_insert_with(|| {
        persons.push(person);
        (persons.len() - 1) as u32
    })
}

/// One person's status as the chain implies it.
#[derive(Clone, Debug)]
pub(super) struct FoldedPerson {
    pub(super) person: PersonId,
    pub(super) status: Option<PersonStatus>,
}

/// Groups a chain's entries by person, by reference: each person (in id
/// order) with their entries in seq order. A correction goes under its
/// target's person and, if different, its replacement's.
fn group_by_person<'c>(
    chain: &[&'c ProjectedEntry],
) -> Vec<(&'c PersonId, Vec<&'c ProjectedEntry>)> {
    // 2. Group, by reference: each person's entries in seq order.
    let mut index: HashMap<&PersonId, u32> = HashMap::new();
    let mut persons: Vec<&PersonId> = Vec::new();
    // A correction is grouped under its target's person: note the
    // person of every entry some correction targets (targets come
    // before their corrections in the chain).
    let targets: HashSet<EntryHash> = chain
        .iter()
        // A statement counts as the event it carries (format v3).
        .filter_map(|pe| match pe.event.inner() {
            Event::Correction(c) => Some(c.target),
            _ => None,
        })
        .collect();
    let mut person_of: HashMap<EntryHash, u32> = HashMap::with_capacity(targets.len());
    let mut placed: Vec<(u32, u32)> = Vec::with_capacity(chain.len());
    for (n, pe) in chain.iter().enumerate() {
        let n = n as u32;
        match pe.event.inner() {
            Event::Correction(c) => {
                let target = person_of.get(&c.target).copied();
                let replacement = c.replacement.as_deref().and_then(Event::person);
                let replacement = replacement.map(|p| intern(&mut index, &mut persons, p));
                placed.extend(target.map(|i| (i, n)));
                if replacement.is_some() && replacement != target {
                    placed.extend(replacement.map(|i| (i, n)));
                }
            }
            ev => {
                if let Some(p) = ev.person() {
                    let i = intern(&mut index, &mut persons, p);
                    if targets.contains(&pe.hash) {
                        person_of.insert(pe.hash, i);
                    }
                    placed.push((i, n));
                }
            }
        }
    }
    drop((person_of, targets));
    drop(index);
    // By person id, then seq: each person's entries become one run.
    let mut order: Vec<u32> = (0..persons.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| persons[a as usize].cmp(persons[b as usize]));
    let mut rank = vec![0u32; persons.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    placed.sort_unstable_by_key(|&(i, n)| (rank[i as usize], n));
    let runs: Vec<(&PersonId, Vec<&ProjectedEntry>)> = placed
        .chunk_by(|a, b| a.0 == b.0)
        .map(|run| {
            (
                persons[run[0].0 as usize],
                run.iter().map(|&(_, n)| chain[n as usize]).collect(),
            )
        })
        .collect();
    runs
}

/// `person`'s status into `writes`, in its stored form; no row for a
/// person with none.
fn write_status(person: &PersonId, status: Option<PersonStatus>, writes: &mut WriteSet) {
    match status {
        Some(st) => writes.insert(TreeId::Status, person.as_str().as_bytes(), &st.to_stored()),
        None => writes.remove(TreeId::Status, person.as_str().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::event_from_value;
    use crate::keyfile::public_key_of;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    /// A reader that finds the stored projections stale (here: their marker
    /// removed, as after a change of the fold's rules) may not rebuild them:
    /// it folds from the chain instead, gives the same statuses, and writes
    /// nothing. The next writer rebuilds them.
    #[test]
    fn a_reader_folds_stale_projections_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("ledger");
        let authority = SigningKey::from_bytes(&[1; 32]);
        let (mut ledger, _) = Ledger::create(&store, "t", "A", &authority).unwrap();
        let events = [
            json!({"type":"missing_report","person":"P-1","occurred_at":"2022-05","category":"civilian"}),
            json!({"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}),
            json!({"type":"capture","person":"P-2","occurred_at":"2023-01"}),
            json!({"type":"icrc_notification","person":"P-2","occurred_at":"2023-03-02"}),
        ];
        let events = events
            .into_iter()
            .map(|v| event_from_value(v).unwrap())
            .collect();
        let investigator = SigningKey::from_bytes(&[2; 32]);
        let grant = Event::KeyGranted(custody_format::event::KeyGranted {
            public_key: public_key_of(&investigator),
            role: custody_format::event::Role::Investigator,
            holder: "I".into(),
        });
        ledger.append(vec![grant], &authority).unwrap();
        ledger.append(events, &investigator).unwrap();
        let now = crate::clock::now();
        let current = ledger.all_statuses(None, None, now).unwrap();
        assert_eq!(current.len(), 2);

        let mut stale = WriteSet::new();
        stale.remove(TreeId::Meta, PROJECTION_KEY);
        ledger.backend.commit(stale).unwrap();
        drop(ledger);
        let file = store.join(super::super::backend::DB_FILE);
        let bytes = std::fs::read(&file).unwrap();

        let reader = Ledger::open_read_only(&store).unwrap();
        assert!(reader.stale_projections);
        assert_eq!(reader.all_statuses(None, None, now).unwrap(), current);
        let p1 = PersonId::new("P-1").unwrap();
        assert_eq!(
            reader.person_status(&p1, None, None, now).unwrap().as_ref(),
            current.iter().find(|s| s.person == p1)
        );
        drop(reader);
        assert!(std::fs::read(&file).unwrap() == bytes, "the reader wrote");

        let writer = Ledger::open(&store).unwrap();
        assert!(!writer.stale_projections);
        assert!(writer.projections_current().unwrap());
        assert_eq!(writer.all_statuses(None, None, now).unwrap(), current);
    }
}
