//! [`Ledger::restore`]: a new store from entries signed elsewhere (an
//! export), never signing anything.

use super::backend::{self, Access, Backend, TreeId, WriteSet};
use super::batch::Batch;
use super::error::{Refusal, StoreError};
use super::{Appended, Ledger, LAYOUT_VERSION, MARKER_KEY};
use custody_format::commit::{check_disclosures, Disclosure};
use custody_format::entry::SignedEntry;
use custody_format::rules::CheckError;
use std::path::{Path, PathBuf};

/// How [`Ledger::restore`] works through its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Entries per durable commit: memory holds one chunk's entries, rows
    /// and Merkle nodes, whatever the number of entries.
    pub chunk: usize,
    /// The head the caller verified the entries to end with (the last
    /// entry's seq and hash). With it, entries that end anywhere else —
    /// the input changed between the caller's check and the restore — are
    /// refused before the store is marked a ledger.
    pub expect_head: Option<Appended>,
}

/// Entries per commit of a restore, by default.
pub const RESTORE_CHUNK: usize = 10_000;

impl Default for RestoreOptions {
    fn default() -> RestoreOptions {
        RestoreOptions {
            chunk: RESTORE_CHUNK,
            expect_head: None,
        }
    }
}

/// Why [`Ledger::restore`] failed, and what it left at the target.
#[derive(Debug, thiserror::Error)]
#[error("{cause}; {left}")]
pub struct RestoreError {
    /// What went wrong.
    pub cause: RestoreCause,
    /// What is left on disk.
    pub left: Left,
}

/// What stopped a restore.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreCause {
    /// The target is not absent or empty, or the store failed (I/O, a
    /// full disk).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An entry breaks a rule of the chain; nothing is guessed or repaired.
    #[error("entry {seq}: {}: {}", reason.rule(), reason.plain())]
    Refused {
        /// The seq the entry should have had (its position in the chain).
        seq: u64,
        /// Which rule, and how.
        reason: Box<Refusal>,
    },
    /// No entries at all.
    #[error("there are no entries to restore; a ledger starts with its genesis")]
    Empty,
    /// The entries end elsewhere than the head the caller verified
    /// ([`RestoreOptions::expect_head`]).
    #[error("the entries end at seq {} {}, not at the verified head seq {} {}; did the input change while it was restored?", found.seq, found.hash, expected.seq, expected.hash)]
    Head {
        /// Where they end.
        found: Box<Appended>,
        /// The head that was verified.
        expected: Box<Appended>,
    },
    /// Reading the entries failed.
    #[error("reading the entries failed after {restored} of them: {source}")]
    Input {
        /// Entries taken before the failure.
        restored: u64,
        /// The reader's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What a failed restore left at its target.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Left {
    /// It stopped before creating or writing anything.
    #[error("nothing was written")]
    Nothing,
    /// It created this directory (the target, or the topmost ancestor it
    /// created with it), and removed it again.
    #[error("the directory it created, {}, was removed: no store is left", .0.display())]
    Removed(PathBuf),
    /// The target was an empty directory; the files written in it were
    /// removed and it is empty again.
    #[error("the store files it wrote in {} were removed: the directory is empty again", .0.display())]
    Emptied(PathBuf),
    /// Removing the partial store failed: it is not a ledger to use.
    #[error("a partial store is left in {} and could not be removed ({error}): it is not a ledger (it has no ledger marker, so custody refuses to open it); delete what that directory holds before restoring again", dir.display())]
    Partial {
        /// The target.
        dir: PathBuf,
        /// Why removing it failed.
        error: String,
    },
}

/// What a new store's directory was before the store was made in it.
pub(super) enum Fresh {
    /// It did not exist: this is the topmost directory that was created
    /// for it (the directory itself, or an ancestor created with it).
    Created(PathBuf),
    /// It was an empty directory.
    Empty,
}

/// Makes sure `dir` can take a new store — absent, or an empty directory —
/// and creates it if absent.
pub(super) fn prepare_new_dir(dir: &Path) -> Result<Fresh, StoreError> {
    Ledger::check_new_dir(dir)?;
    if dir.exists() {
        // An empty directory the user made keeps its permissions (the
        // store's files are 0600 whatever they are).
        return Ok(Fresh::Empty);
    }
    let mut top = dir;
    while let Some(parent) = top.parent() {
        if parent.as_os_str().is_empty() || parent.exists() {
            break;
        }
        top = parent;
    }
    let top = top.to_path_buf();
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    make_private(dir)?;
    if let Some(parent) = dir.parent() {
        backend::sync_dir(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })?;
    }
    Ok(Fresh::Created(top))
}

/// Makes a new store's directory its owner's alone (mode 0700).
fn make_private(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| StoreError::io(dir, e))?;
    }
    Ok(())
}

/// Undoes [`prepare_new_dir`] and the store made since, after a restore
/// failed: removes the directories it created, or the store's files from
/// a directory that was empty. The store must be closed.
fn remove_store_files(dir: &Path) -> std::io::Result<()> {
    [backend::DB_FILE, backend::LOCK_FILE]
        .iter()
        .try_for_each(|f| match std::fs::remove_file(dir.join(f)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
}

pub(super) fn remove_new_store(dir: &Path, fresh: &Fresh) -> Left {
    let result = match fresh {
        // Only what this restore made: the store's files, then each
        // directory it created, from the target up, and only if empty (a
        // file someone else put there meanwhile is never deleted).
        Fresh::Created(top) => remove_store_files(dir)
            .and_then(|()| {
                let mut d = dir;
                loop {
                    std::fs::remove_dir(d)?;
                    if d == top.as_path() {
                        return Ok(());
                    }
                    d = match d.parent() {
                        Some(p) if !p.as_os_str().is_empty() => p,
                        _ => return Ok(()),
                    };
                }
            })
            .map(|()| Left::Removed(top.clone())),
        Fresh::Empty => remove_store_files(dir).map(|()| Left::Emptied(dir.to_path_buf())),
    };
    result.unwrap_or_else(|e| Left::Partial {
        dir: dir.to_path_buf(),
        error: e.to_string(),
    })
}

/// What [`Ledger::restore`] takes for each entry: its stored bytes, and
/// for a format v3 entry the disclosures to keep beside it (an export
/// line's `disclosures`).
pub trait RestoreItem {
    /// The entry and its disclosures.
    fn into_parts(self) -> (SignedEntry, Vec<Disclosure>);
}

impl RestoreItem for SignedEntry {
    fn into_parts(self) -> (SignedEntry, Vec<Disclosure>) {
        (self, Vec::new())
    }
}

impl RestoreItem for (SignedEntry, Vec<Disclosure>) {
    fn into_parts(self) -> (SignedEntry, Vec<Disclosure>) {
        self
    }
}

impl Ledger {
    /// Builds a new ledger in `dir` (absent, or an empty directory) from
    /// the stored bytes of every entry of another, in chain order: the same
    /// entries under the same seqs, the same indexes and Merkle nodes, the
    /// same key registry and projections. Nothing is signed: an export is
    /// the archival form of a ledger, and this turns it back into a store —
    /// after a disk failure or a damaged store (disaster recovery), or to
    /// move a ledger into the storage layout of another build (a store of
    /// custody's earlier sled builds is exported with that build and
    /// restored with this one).
    ///
    /// **Signatures are not checked here.** Verify the entries as they are
    /// fed in (as `custody restore` does, with the verifier's chain walk and
    /// signature pool, returning an error from the iterator at the first
    /// failure, which removes what was written), or verify them first and
    /// pass the head found as [`RestoreOptions::expect_head`]. Restore
    /// still checks, for each entry, what it can without a signature check:
    /// the seq is the next one, `prev_hash` is the previous entry's hash,
    /// `recorded_at` does not go backwards, the signer held the role the
    /// entry needs (replaying governance), a correction's target is an
    /// earlier evidence entry corrected once, a checkpoint states the tree
    /// before it and its note signature verifies. The first entry that
    /// fails is refused, never repaired.
    ///
    /// Entries are committed `options.chunk` at a time, each commit
    /// durable, and read from `entries` as they come: memory holds one
    /// chunk, so a million-entry export restores in bounded memory. The
    /// store is marked a ledger only by a last commit after every entry,
    /// so a store cut short by a crash is refused on open as damaged,
    /// never read as a shorter ledger. On failure the directory this call
    /// created is removed again (or, if `dir` was an empty directory, the
    /// files written in it), and the error says what was left ([`Left`]).
    ///
    /// `progress` is called with the number of entries committed so far.
    pub fn restore<I, T, E>(
        dir: &Path,
        entries: I,
        options: RestoreOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<Ledger, RestoreError>
    where
        I: IntoIterator<Item = Result<T, E>>,
        T: RestoreItem,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let fresh = prepare_new_dir(dir).map_err(|e| RestoreError {
            cause: e.into(),
            left: Left::Nothing,
        })?;
        match Ledger::restore_into(dir, entries, options, &mut progress) {
            Ok(ledger) => Ok(ledger),
            // The store was closed when `restore_into` returned.
            Err(cause) => Err(RestoreError {
                cause,
                left: remove_new_store(dir, &fresh),
            }),
        }
    }

    fn restore_into<I, T, E>(
        dir: &Path,
        entries: I,
        options: RestoreOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Ledger, RestoreCause>
    where
        I: IntoIterator<Item = Result<T, E>>,
        T: RestoreItem,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let chunk = options.chunk.max(1);
        let mut ledger = Ledger::new_store(dir, Backend::open(dir, Access::Create)?);
        let mut batch = Batch::new(&ledger, true);
        let mut restored = 0u64;
        for item in entries {
            let (entry, disclosures) = item
                .map_err(|e| RestoreCause::Input {
                    restored,
                    source: e.into(),
                })?
                .into_parts();
            let seq = batch.rules.next_seq();
            // Only disclosures that open the entry's commitments are kept:
            // the store's one copy of personal data is never wrong.
            check_disclosures(entry.body().version, entry.event(), &disclosures, |_| None)
                .map_err(|e| RestoreCause::Input {
                    restored,
                    source: format!("entry {seq}: {e}").into(),
                })?;
            let persons = batch.check(&ledger, entry.body()).map_err(|e| match e {
                CheckError::Breach(b) => RestoreCause::Refused {
                    seq,
                    reason: Box::new(Refusal::Rule(b)),
                },
                CheckError::Lookup(s) => RestoreCause::Store(s),
            })?;
            batch.push(&ledger, entry, persons)?;
            batch.disclose(seq, disclosures);
            restored += 1;
            if batch.entries.len() >= chunk {
                batch.commit(&mut ledger)?;
                progress(restored);
                batch = Batch::new(&ledger, false);
            }
        }
        if restored == 0 {
            return Err(RestoreCause::Empty);
        }
        batch.commit(&mut ledger)?;
        if let Some(expected) = options.expect_head {
            let found = Appended {
                seq: ledger.head.seq,
                hash: ledger.head.hash,
            };
            if found != expected {
                return Err(RestoreCause::Head {
                    found: Box::new(found),
                    expected: Box::new(expected),
                });
            }
        }
        // Only now is it a ledger: a restore cut short is refused on open.
        let mut marker = WriteSet::new();
        marker.insert(TreeId::Meta, MARKER_KEY, LAYOUT_VERSION);
        ledger.backend.commit(marker)?;
        progress(restored);
        Ok(ledger)
    }
}
