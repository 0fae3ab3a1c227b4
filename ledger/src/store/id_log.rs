//! The id log (store layout 6; docs/design/store-layout-6.md §2, as built).
//!
//! Two ids are looked up by value: an entry's hash (`hashes`: a
//! correction's target, `custody log` by a hash prefix, a mirror's check of
//! its head) and a statement's id (`statements`: a statement submitted
//! again gets its first entry back). Both tables are keyed by the id, a
//! hash, so a group of a few hundred statements lands on a few hundred
//! pages of each, and redb copies and writes each page it changes: two
//! pages per statement, of the ~six a statement cost the writer in
//! layout 5 (docs/BENCHMARKS.md, "Measured, session 11").
//!
//! A commit appends one `id_log` row instead, keyed by the seq of its last
//! entry: every id it adds, as `kind u8 ‖ id [32] ‖ BE64(seq)` (kind 0 an
//! entry's hash, 1 a statement's id), in seq order. Every
//! [`MERGE_EVERY`]th commit (or once the log holds [`MERGE_IDS`] ids)
//! writes the whole log into `hashes` and `statements` and deletes its
//! rows, in the same commit as its own writes, so each page those tables
//! change takes several ids at once. An id is thus in exactly one place:
//! the log, or its table (`verify --store` counts both, so an id in two
//! places, or in neither, is named). Every lookup ([`Ledger::seq_of`],
//! [`Ledger::statement_seq`], [`Ledger::hashes_with_prefix`]) looks in the
//! log first ([`IdLog`], read once per handle and kept in step by the
//! handle's own commits, as the node log is), then in the table. A crash
//! leaves a commit's log row or its merge whole, or neither: they are rows
//! of the commit's one redb transaction.
//!
//! A store without the `id_log` table (an older layout opened read-only,
//! or a layout-6 store written before the log; both keep every id in its
//! table) reads no log, and its handle writes ids to the tables as those
//! layouts did.

use super::backend::{Backend, TreeId, WriteSet};
use super::map::{check_log_key, damaged, next_log_key, MERGE_EVERY};
use super::{seq_key, Ledger, StoreError};
use std::collections::HashMap;
use std::path::Path;

/// A commit that would bring the log past this many ids merges it (large
/// imports). Bounds the memory a handle holds for the log: ~60 bytes an id.
pub(super) const MERGE_IDS: usize = 262_144;

/// The bytes of one logged id: kind, id, seq.
const RECORD: usize = 1 + 32 + 8;

/// What an id names: the kinds the log holds, each merged into its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum IdKind {
    /// An entry's hash (`hashes`).
    EntryHash = 0,
    /// A statement's id (`statements`).
    Statement = 1,
}

impl IdKind {
    fn of_byte(b: u8) -> Option<IdKind> {
        match b {
            0 => Some(IdKind::EntryHash),
            1 => Some(IdKind::Statement),
            _ => None,
        }
    }

    /// The table its ids are merged into.
    pub(super) fn tree(self) -> TreeId {
        match self {
            IdKind::EntryHash => TreeId::Hashes,
            IdKind::Statement => TreeId::Statements,
        }
    }
}

/// An id the log holds.
pub(super) type LoggedId = (IdKind, [u8; 32]);

/// The ids the id log holds (see the module's documentation), not yet in
/// their tables: read from the log on first use, then kept in step by the
/// handle's own commits.
#[derive(Default)]
pub(crate) struct IdLog {
    /// The log has been read (or forgotten after a failed commit: read
    /// again on next use).
    loaded: bool,
    /// (kind, id) → seq.
    ids: HashMap<LoggedId, u64>,
    /// The keys of the log's rows, in order.
    rows: Vec<Vec<u8>>,
}

impl IdLog {
    /// Reads the log's rows (committed, and any pending) if not read yet.
    /// An id logged twice is damage: ids are unique in the chain.
    fn load(&mut self, backend: &Backend, dir: &Path) -> Result<(), StoreError> {
        if self.loaded {
            return Ok(());
        }
        self.ids.clear();
        self.rows.clear();
        for row in backend.scan_from(TreeId::IdLog, &[]) {
            let (key, blob) = row?;
            check_log_key(&key, "id_log", dir)?;
            let row_seq = u64::from_be_bytes(key.as_slice().try_into().expect("8 bytes"));
            let (mut twice, mut later) = (None, None);
            decode_row(&blob, |kind, id, seq| {
                if self.ids.insert((kind, id), seq).is_some() {
                    twice = Some(id);
                }
                if seq > row_seq {
                    later = Some(seq);
                }
            })
            .ok_or_else(|| {
                damaged(
                    dir,
                    format!("id_log row {} is malformed", hex::encode(&key)),
                )
            })?;
            // A row holds the ids of the commit that ends at its key.
            if let Some(seq) = later {
                return Err(damaged(
                    dir,
                    format!(
                        "id_log row {} names seq {seq}, past the commit it records",
                        hex::encode(&key)
                    ),
                ));
            }
            if let Some(id) = twice {
                return Err(damaged(
                    dir,
                    format!("id_log holds {} twice", hex::encode(id)),
                ));
            }
            self.rows.push(key);
        }
        self.loaded = true;
        Ok(())
    }
}

/// An id log row: each id as `kind ‖ id ‖ BE64(seq)`.
pub(super) fn encode_row(ids: &[(IdKind, [u8; 32], u64)]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(ids.len() * RECORD);
    for (kind, id, seq) in ids {
        blob.push(*kind as u8);
        blob.extend_from_slice(id);
        blob.extend_from_slice(&seq_key(*seq));
    }
    blob
}

/// Calls `f` with each id of a log row; `None` if the row is malformed.
pub(super) fn decode_row(blob: &[u8], mut f: impl FnMut(IdKind, [u8; 32], u64)) -> Option<()> {
    if !blob.len().is_multiple_of(RECORD) {
        return None;
    }
    for record in blob.chunks_exact(RECORD) {
        let kind = IdKind::of_byte(record[0])?;
        let id: [u8; 32] = record[1..33].try_into().ok()?;
        let seq = u64::from_be_bytes(record[33..].try_into().ok()?);
        f(kind, id, seq);
    }
    Some(())
}

impl Ledger {
    /// The seq the log holds for `id`, if any (a store without the log
    /// holds none).
    pub(super) fn logged_id(&self, kind: IdKind, id: &[u8; 32]) -> Result<Option<u64>, StoreError> {
        if !self.id_log {
            return Ok(None);
        }
        let mut log = self.id_log();
        log.load(&self.backend, &self.dir)?;
        Ok(log.ids.get(&(kind, *id)).copied())
    }

    /// The entry hashes the log holds that start with the bytes `whole`
    /// (then `odd`, a nibble, if given), as (hash, seq).
    pub(super) fn logged_hashes_with_prefix(
        &self,
        whole: &[u8],
        odd: Option<u8>,
    ) -> Result<Vec<([u8; 32], u64)>, StoreError> {
        if !self.id_log {
            return Ok(Vec::new());
        }
        let mut log = self.id_log();
        log.load(&self.backend, &self.dir)?;
        Ok(log
            .ids
            .iter()
            .filter(|((kind, id), _)| {
                *kind == IdKind::EntryHash
                    && id.starts_with(whole)
                    && odd.is_none_or(|n| id.get(whole.len()).map(|b| b >> 4) == Some(n))
            })
            .map(|((_, id), seq)| (*id, *seq))
            .collect())
    }

    /// Adds a commit's new `ids` (in seq order) to `writes`: one log row
    /// keyed by `last_seq`, or, every [`MERGE_EVERY`]th commit, the whole
    /// log and these ids written to their tables and the log's rows
    /// deleted. Keeps this handle's [`IdLog`] in step, as if the commit had
    /// landed: the caller holds a [`super::map::LogsAhead`], which forgets
    /// it unless the commit lands.
    pub(super) fn log_ids(
        &self,
        ids: &[(IdKind, [u8; 32], u64)],
        last_seq: u64,
        writes: &mut WriteSet,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        if !self.id_log {
            // A store without the log: its ids go where it keeps them (a
            // read-only handle's commit is then refused as such).
            for (kind, id, seq) in ids {
                writes.insert(kind.tree(), id, &seq_key(*seq));
            }
            return Ok(());
        }
        let mut log = self.id_log();
        log.load(&self.backend, &self.dir)?;
        // Checked whether this commit appends a row or merges: a merge
        // must not carry a damaged row's ids into the tables.
        let key = next_log_key(&log.rows, last_seq, "id_log", &self.dir)?;
        if log.rows.len() + 1 >= MERGE_EVERY || log.ids.len() + ids.len() > MERGE_IDS {
            let mut merged: Vec<(LoggedId, u64)> = log.ids.drain().collect();
            merged.extend(ids.iter().map(|(kind, id, seq)| ((*kind, *id), *seq)));
            // In key order: redb's inserts then walk each table once.
            merged.sort_unstable();
            for ((kind, id), seq) in merged {
                writes.insert(kind.tree(), &id, &seq_key(seq));
            }
            for key in log.rows.drain(..) {
                writes.remove(TreeId::IdLog, &key);
            }
        } else {
            writes.insert(TreeId::IdLog, &key, &encode_row(ids));
            log.ids
                .extend(ids.iter().map(|(kind, id, seq)| ((*kind, *id), *seq)));
            log.rows.push(key);
        }
        Ok(())
    }

    /// This handle's copy of the log. A thread that panicked while holding
    /// it may have left it half updated, so a poisoned copy is dropped and
    /// read again from the store on next use.
    fn id_log(&self) -> std::sync::MutexGuard<'_, IdLog> {
        super::map::lock_copy(&self.id_log_cache)
    }

    /// Whether this handle's copy of the id log is loaded.
    #[cfg(test)]
    pub(super) fn id_log_loaded(&self) -> bool {
        self.id_log().loaded
    }

    /// Every id the log holds, with its seq, and the number of its rows,
    /// read from the store now (the check trusts no copy this handle
    /// kept). An id logged twice is reported as damage by the read.
    pub(super) fn logged_ids(&self) -> Result<(HashMap<LoggedId, u64>, usize), StoreError> {
        if !self.id_log {
            return Ok((HashMap::new(), 0));
        }
        let mut log = IdLog::default();
        log.load(&self.backend, &self.dir)?;
        Ok((log.ids, log.rows.len()))
    }
}
