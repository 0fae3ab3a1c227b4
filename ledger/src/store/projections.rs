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
use crate::entry::SignedEntry;
use crate::event::{EntryHash, Event, PersonId};
use crate::projection::{project, reference_time, PersonStatus, ProjectedEntry};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// Meta key: projection rules version (4 bytes) ‖ seq applied up to (8).
const PROJECTION_KEY: &[u8] = b"projection";
/// Bump when the fold's rules change: stores rebuild on open.
const PROJECTION_VERSION: u32 = 1;

fn projection_marker(applied: u64) -> [u8; 12] {
    let mut v = [0u8; 12];
    v[..4].copy_from_slice(&PROJECTION_VERSION.to_be_bytes());
    v[4..].copy_from_slice(&applied.to_be_bytes());
    v
}

fn projected(e: &SignedEntry) -> ProjectedEntry {
    ProjectedEntry {
        seq: e.seq(),
        hash: e.hash(),
        recorded_at: e.body().recorded_at,
        event: e.event().clone(),
    }
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
        self.person_seqs(person)?
            .into_iter()
            .map(|seq| {
                self.entry(seq)?
                    .ok_or_else(|| self.damaged(format!("entry {seq} of {person} is missing")))
            })
            .collect()
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
            write_status(person, project(person, &entries, None, None, now), writes)?;
        }
        writes.insert(TreeId::Meta, PROJECTION_KEY, &projection_marker(last_seq));
        Ok(())
    }

    /// Rebuilds every projection from the chain: one sequential pass over the
    /// entries, grouping them by person in memory the way the person index
    /// does (a correction under its target's person and its replacement's),
    /// then one fold per person, written in batches. Sequential reads are
    /// what makes this fast; the memory is that of the decoded events.
    /// `progress` is called with the number of entries read so far.
    /// Returns the number of persons.
    pub fn rebuild_projections(
        &mut self,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, StoreError> {
        // Mark the projections stale first: a crash midway rebuilds again.
        let mut clear = WriteSet::new();
        clear.remove(TreeId::Meta, PROJECTION_KEY);
        for item in self.backend.scan_from(TreeId::Status, &[]) {
            clear.remove(TreeId::Status, &item?.0);
        }
        self.backend.commit(clear)?;

        let mut by_person: HashMap<PersonId, Vec<ProjectedEntry>> = HashMap::new();
        let mut person_of: HashMap<EntryHash, PersonId> = HashMap::new();
        let mut read = 0u64;
        for item in self.backend.scan_from(TreeId::Entries, &[]) {
            let (key, bytes) = item?;
            let entry = SignedEntry::decode(bytes).map_err(|e| {
                self.damaged(format!("entry {} does not decode: {e}", hex::encode(&key)))
            })?;
            let (seq, hash, recorded_at) = (entry.seq(), entry.hash(), entry.body().recorded_at);
            let mut persons: Vec<PersonId> = Vec::new();
            match entry.event() {
                Event::Correction(c) => {
                    persons.extend(person_of.get(&c.target).cloned());
                    persons.extend(c.replacement.as_deref().and_then(Event::person).cloned());
                    persons.sort();
                    persons.dedup();
                }
                ev => {
                    if let Some(p) = ev.person() {
                        person_of.insert(entry.hash(), p.clone());
                        persons.push(p.clone());
                    }
                }
            }
            if let Some((last, others)) = persons.split_last() {
                let pe = ProjectedEntry {
                    seq,
                    hash,
                    recorded_at,
                    event: entry.into_event(),
                };
                for p in others {
                    by_person.entry(p.clone()).or_default().push(pe.clone());
                }
                by_person.entry(last.clone()).or_default().push(pe);
            }
            read += 1;
            if read.is_multiple_of(65_536) {
                progress(read);
            }
        }
        drop(person_of);
        let now = Timestamp::now();
        let mut persons: Vec<PersonId> = by_person.keys().cloned().collect();
        persons.sort();
        let mut writes = WriteSet::new();
        for p in &persons {
            let entries = by_person.remove(p).unwrap_or_default();
            write_status(p, project(p, &entries, None, None, now), &mut writes)?;
            if writes.len() >= 10_000 {
                self.backend
                    .commit(std::mem::replace(&mut writes, WriteSet::new()))?;
            }
        }
        writes.insert(
            TreeId::Meta,
            PROJECTION_KEY,
            &projection_marker(self.head.seq),
        );
        self.backend.commit(writes)?;
        progress(read);
        Ok(persons.len() as u64)
    }

    /// One person's status. Without cuts it is read from the stored
    /// projection (its clock brought to `now`); with `as_of` or `known_at`
    /// it is folded from the person's entries. `None`: no such person (at
    /// that cut).
    pub fn person_status(
        &self,
        person: &PersonId,
        as_of: Option<Timestamp>,
        known_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<PersonStatus>, StoreError> {
        if as_of.is_none() && known_at.is_none() {
            return match self
                .backend
                .get(TreeId::Status, person.as_str().as_bytes())?
            {
                None => Ok(None),
                Some(v) => {
                    let mut st: PersonStatus = serde_json::from_slice(&v).map_err(|e| {
                        self.damaged(format!("the stored status of {person} does not decode: {e}; run `custody rebuild`"))
                    })?;
                    st.apply_clock(reference_time(now));
                    Ok(Some(st))
                }
            };
        }
        let entries: Vec<ProjectedEntry> =
            self.person_entries(person)?.iter().map(projected).collect();
        Ok(project(person, &entries, as_of, known_at, now))
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
        if as_of.is_none() && known_at.is_none() {
            let reference = reference_time(now);
            for item in self.backend.scan_from(TreeId::Status, &[]) {
                let (k, v) = item?;
                let mut st: PersonStatus = serde_json::from_slice(&v).map_err(|e| {
                    self.damaged(format!(
                        "the stored status of {} does not decode: {e}; run `custody rebuild`",
                        String::from_utf8_lossy(&k)
                    ))
                })?;
                st.apply_clock(reference);
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

fn write_status(
    person: &PersonId,
    status: Option<PersonStatus>,
    writes: &mut WriteSet,
) -> Result<(), StoreError> {
    match status {
        Some(st) => {
            let v = serde_json::to_vec(&st).map_err(|e| StoreError::Damaged {
                dir: Default::default(),
                detail: format!("cannot encode the status of {person}: {e}"),
            })?;
            writes.insert(TreeId::Status, person.as_str().as_bytes(), &v);
        }
        None => writes.remove(TreeId::Status, person.as_str().as_bytes()),
    }
    Ok(())
}
