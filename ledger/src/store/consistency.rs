//! What a reader checks before it trusts the derived tables, cheaply: the
//! reading commands (`status`, `history`, `report`) warn when the store
//! knows itself to be inconsistent instead of serving a cached status
//! that the chain does not imply.
//!
//! A full check of every derived row against the chain is
//! `Ledger::check_derived` (`custody verify`): it folds every person, as
//! long as a rebuild, and is not run on a read. Here a read pays a few row
//! reads and one person's fold:
//!
//! - [`Ledger::quick_check`]: the hash index finds the last entry, and the
//!   person the most recent evidence is about has the person index rows,
//!   person-map leaf and stored status their entries imply. A store edited
//!   or left half-written at its end is caught; a stored status of another
//!   person edited alone is not (only `verify` finds that).
//! - [`Ledger::status_mismatch`]: one person's stored status against the
//!   fold of their entries (a handful of entries): `status PERSON` checks
//!   the person it shows, every time.

use super::backend::TreeId;
use super::projections::projected;
use super::{Ledger, StoreError};
use crate::projection::{project, reference_time, PersonStatus, ProjectedEntry};
use custody_format::event::{Event, PersonId};
use custody_format::time::Timestamp;

/// How far back from the head [`Ledger::quick_check`] looks for the last
/// entry about a person (a seal and a checkpoint, or governance, may come
/// after it).
const LOOK_BACK: u64 = 16;

impl Ledger {
    /// `Some(what is wrong)` if the stored status of `person` is not the
    /// one their entries fold to at `now` (the clock applied to both), with
    /// the folded one; `None` if they agree, or if the stored statuses are
    /// stale and not read anyway (a read-only open folds instead).
    /// A person index that disagrees with the entries' links is an error,
    /// as for every read of a person's entries.
    pub fn status_mismatch(
        &self,
        person: &PersonId,
        now: Timestamp,
    ) -> Result<Option<(String, Option<PersonStatus>)>, StoreError> {
        if self.stale_projections {
            return Ok(None);
        }
        let entries: Vec<ProjectedEntry> =
            self.person_entries(person)?.iter().map(projected).collect();
        let folded = project(person, &entries, None, None, now);
        let stored = match self
            .backend
            .get(TreeId::Status, person.as_str().as_bytes())?
        {
            None => None,
            Some(v) => match PersonStatus::from_stored(&v) {
                Ok(st) => Some(st),
                Err(e) => {
                    return Ok(Some((
                        format!("the stored status of {person} does not decode ({e})"),
                        folded,
                    )))
                }
            },
        };
        let reference = reference_time(now);
        let clocked = |st: Option<PersonStatus>| {
            st.map(|mut st| {
                st.apply_clock(reference);
                st
            })
        };
        let (stored, folded) = (clocked(stored), clocked(folded));
        if stored == folded {
            return Ok(None);
        }
        let what = match &stored {
            None => format!("the store has no status of {person}, though their entries imply one"),
            Some(_) if folded.is_none() => {
                format!("the store has a status of {person}, though their entries imply none")
            }
            Some(_) => format!("the stored status of {person} is not the one their entries imply"),
        };
        Ok(Some((what, folded)))
    }

    /// The cheap checks of the module docs: `Some(what is wrong)` if the
    /// store is inconsistent at its end. Damage that makes reading fail is
    /// reported as what is wrong, not as an error: the caller warns and
    /// goes on with what it was asked.
    pub fn quick_check(&self, now: Timestamp) -> Result<Option<String>, StoreError> {
        match self.quick_check_inner(now) {
            Err(StoreError::Damaged { detail, .. }) => Ok(Some(detail)),
            other => other,
        }
    }

    fn quick_check_inner(&self, now: Timestamp) -> Result<Option<String>, StoreError> {
        let head = self.head();
        if self.seq_of(&head.hash)? != Some(head.seq) {
            return Ok(Some(format!(
                "the hash index does not find the last entry (seq {})",
                head.seq
            )));
        }
        let floor = head.seq.saturating_sub(LOOK_BACK);
        for seq in (floor..=head.seq).rev() {
            let Some(entry) = self.entry(seq)? else {
                return Ok(Some(format!("entry {seq} is missing")));
            };
            let persons = match entry.event() {
                Event::Correction(_) => self.persons_of(entry.event())?,
                ev => ev.person().cloned().into_iter().collect(),
            };
            if persons.is_empty() {
                continue;
            }
            for person in &persons {
                if self.person_seqs(person)?.last() != Some(&seq) {
                    return Ok(Some(format!(
                        "the person index of {person} lacks entry {seq}, the last about them"
                    )));
                }
                if let Some((what, _)) = self.status_mismatch(person, now)? {
                    return Ok(Some(what));
                }
            }
            return Ok(None);
        }
        Ok(None)
    }
}

impl Ledger {
    /// What any commit to the store in `dir` changes: its file's length
    /// and modification time, read without opening the store.
    ///
    /// For a reader that keeps something derived from a store in memory
    /// (the web view's summary of every person, `custody serve`): the head
    /// names the chain, but a commit that does not move it (`custody
    /// rebuild` repairing a derived table, a newer build re-deriving the
    /// projections) changes what the store answers too, and changes this.
    /// Read it *before* opening the snapshot the kept thing is built from:
    /// a commit between the two then makes the kept thing look older than
    /// it is (built once more), never newer. Two commits within one tick of
    /// the file system's clock that leave the length alike are not told
    /// apart; the head still tells every append.
    pub fn file_stamp(dir: &std::path::Path) -> std::io::Result<(u64, std::time::SystemTime)> {
        let meta = std::fs::metadata(dir.join(super::backend::DB_FILE))?;
        Ok((meta.len(), meta.modified()?))
    }
}
