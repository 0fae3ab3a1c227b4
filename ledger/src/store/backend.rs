//! The storage engine, behind the narrowest interface the ledger needs:
//! named trees of byte keys and values, reads, ordered scans, and one
//! operation that commits a set of writes across them atomically *and*
//! durably.
//!
//! This is the only module that names sled. Replacing sled (redb is the
//! candidate, see `docs/ARCHITECTURE.md`) means rewriting this file alone.
//!
//! ## Durability
//!
//! sled 0.34's `flush()` writes its log with `sync_file_range`, which does not
//! make data durable across a power cut on Linux (it neither flushes the
//! disk's write cache nor the file's metadata). [`Backend::commit`] therefore
//! follows `flush()` with `fsync` (`File::sync_all`) on sled's files, so an
//! acknowledged commit has passed through one real fsync of the data file.
//! sled writes an `apply_batch` to its log as one sealed batch that recovery applies
//! whole or not at all, so a crash before the fsync loses the whole commit,
//! never half of it.

use super::StoreError;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The logical trees the ledger keeps. They share one sled tree, each under
/// a one-byte key prefix ([`TreeId::prefix`]), so that a whole batch —
/// entries, indexes, Merkle nodes, projections — commits with one atomic
/// `apply_batch` instead of a multi-tree sled transaction (several times
/// slower). The prefixes are on-disk identifiers: never change one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TreeId {
    /// Ledger-wide facts (`custody` marker, layout version).
    Meta,
    /// seq (u64 big-endian) → stored entry bytes. The chain itself.
    Entries,
    /// entry hash → seq. Finds a correction's target.
    Hashes,
    /// person id ‖ 0x00 ‖ seq → empty. Finds a person's entries without a
    /// scan of the chain.
    Persons,
    /// seq → empty, for genesis, grant, revoke and checkpoint entries.
    /// Rebuilds the key registry on open, and finds checkpoints and the
    /// governance history of a bundle, without reading the whole chain.
    Governance,
    /// level (u8) ‖ index (u64 big-endian) → hash: the complete nodes of the
    /// Merkle tree over the entries (see `crate::merkle`).
    Merkle,
    /// entry hash → seq of the correction that corrected it. An entry is
    /// corrected at most once.
    Corrected,
    /// person id → the person's projected status (JSON; derived data, see
    /// `crate::projection`), as of the seq recorded under `projection` in
    /// the meta tree.
    Status,
}

impl TreeId {
    /// The key prefix of the logical tree.
    fn prefix(self) -> u8 {
        match self {
            TreeId::Meta => b'M',
            TreeId::Entries => b'E',
            TreeId::Hashes => b'H',
            TreeId::Persons => b'P',
            TreeId::Governance => b'G',
            TreeId::Merkle => b'N',
            TreeId::Corrected => b'C',
            TreeId::Status => b'S',
        }
    }

    fn key(self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(key.len() + 1);
        k.push(self.prefix());
        k.extend_from_slice(key);
        k
    }
}

/// The one sled tree that holds every logical tree.
const SLED_TREE: &str = "custody";

/// A key and its value, as owned bytes.
pub(crate) type KeyValue = (Vec<u8>, Vec<u8>);

/// Writes to commit together: all or none, durably.
#[derive(Default)]
pub(crate) struct WriteSet {
    batch: sled::Batch,
    len: usize,
}

impl WriteSet {
    pub(crate) fn new() -> WriteSet {
        WriteSet::default()
    }

    pub(crate) fn insert(&mut self, tree: TreeId, key: &[u8], value: &[u8]) {
        self.batch.insert(tree.key(key), value);
        self.len += 1;
    }

    pub(crate) fn remove(&mut self, tree: TreeId, key: &[u8]) {
        self.batch.remove(tree.key(key));
        self.len += 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Name of the lock file every process takes before it opens the store.
pub(crate) const LOCK_FILE: &str = "custody.lock";

/// How long an open waits for another process to release the store.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// sled's own files in a store directory; their presence says "a store".
const SLED_FILES: [&str; 2] = ["conf", "db"];

/// An open store.
pub(crate) struct Backend {
    dir: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    // Held for the life of the store; released when the file is closed.
    _lock: File,
    /// The lock file was there before this open: custody has opened this
    /// directory before, so a missing ledger marker means damage, not a
    /// foreign sled database.
    opened_before: bool,
}

/// True if `dir` holds sled's files (a store, maybe not a custody one).
pub(crate) fn looks_like_store(dir: &Path) -> bool {
    SLED_FILES.iter().all(|f| dir.join(f).is_file())
}

fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::io(&path, e))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::InUse(dir.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&path, e)),
        }
    }
}

fn sled_err(dir: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) => StoreError::io(dir, io),
        sled::Error::Corruption { at, .. } => StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!(
                "the storage engine found corruption{}",
                at.map(|p| format!(" at {p:?}")).unwrap_or_default()
            ),
        },
        other => StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!("the storage engine failed: {other}"),
        },
    }
}

impl Backend {
    /// Opens the store in `dir`, which must exist; `create` allows sled to
    /// make its files (only `init` passes true).
    pub(crate) fn open(dir: &Path, create: bool) -> Result<Backend, StoreError> {
        if !create && !looks_like_store(dir) {
            return Err(StoreError::NoLedger(dir.to_path_buf()));
        }
        let opened_before = dir.join(LOCK_FILE).is_file();
        let lock = take_lock(dir)?;
        // sled takes its own lock on its files; a handle just dropped in this
        // process can hold it for a moment while sled's threads wind down.
        let start = Instant::now();
        let db = loop {
            let opened = quietly(|| {
                sled::Config::new()
                    .path(dir)
                    .cache_capacity(64 * 1024 * 1024)
                    .open()
            })
            .map_err(|panic| StoreError::Damaged {
                dir: dir.to_path_buf(),
                detail: format!(
                    "the storage engine crashed while opening the store ({panic}); a file of the store is probably truncated or overwritten"
                ),
            })?;
            match opened {
                Ok(db) => break db,
                Err(sled::Error::Io(e))
                    if e.to_string().contains("lock") && start.elapsed() < LOCK_WAIT =>
                {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(sled::Error::Io(e)) if e.to_string().contains("lock") => {
                    return Err(StoreError::InUse(dir.to_path_buf()))
                }
                Err(e) => return Err(sled_err(dir, e)),
            }
        };
        let tree = db.open_tree(SLED_TREE).map_err(|e| sled_err(dir, e))?;
        Ok(Backend {
            dir: dir.to_path_buf(),
            db,
            tree,
            _lock: lock,
            opened_before,
        })
    }

    /// True if custody had opened this directory before (its lock file was
    /// already there).
    pub(crate) fn opened_before(&self) -> bool {
        self.opened_before
    }

    pub(crate) fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.tree
            .get(tree.key(key))
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| sled_err(&self.dir, e))
    }

    /// Strips the logical tree's prefix from a stored key.
    fn strip(
        r: sled::Result<(sled::IVec, sled::IVec)>,
        dir: &Path,
    ) -> Result<KeyValue, StoreError> {
        r.map(|(k, v)| (k[1..].to_vec(), v.to_vec()))
            .map_err(|e| sled_err(dir, e))
    }

    pub(crate) fn last(&self, tree: TreeId) -> Result<Option<KeyValue>, StoreError> {
        self.tree
            .scan_prefix([tree.prefix()])
            .next_back()
            .map(|r| Self::strip(r, &self.dir))
            .transpose()
    }

    /// Entries of `tree` with keys `>= start`, in key order.
    pub(crate) fn scan_from(
        &self,
        tree: TreeId,
        start: &[u8],
    ) -> impl Iterator<Item = Result<KeyValue, StoreError>> + '_ {
        self.tree
            .range(tree.key(start)..vec![tree.prefix() + 1])
            .map(|r| Self::strip(r, &self.dir))
    }

    /// Entries of `tree` whose keys start with `prefix`, in key order.
    pub(crate) fn scan_prefix(
        &self,
        tree: TreeId,
        prefix: &[u8],
    ) -> impl Iterator<Item = Result<KeyValue, StoreError>> + '_ {
        self.tree
            .scan_prefix(tree.key(prefix))
            .map(|r| Self::strip(r, &self.dir))
    }

    /// Commits `writes` atomically (one sled batch, which recovery applies
    /// whole or not at all), then makes them durable (see the module docs).
    /// Returns only when both are done.
    pub(crate) fn commit(&self, writes: WriteSet) -> Result<(), StoreError> {
        if writes.len > 0 {
            self.tree
                .apply_batch(writes.batch)
                .map_err(|e| sled_err(&self.dir, e))?;
        }
        self.sync()
    }

    /// `flush()`, then a real fsync of sled's files and of the directory.
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(|e| sled_err(&self.dir, e))?;
        for name in SLED_FILES {
            let path = self.dir.join(name);
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(|e| StoreError::io(&path, e))?;
        }
        let blobs = self.dir.join("blobs");
        if blobs.is_dir() {
            for f in std::fs::read_dir(&blobs).map_err(|e| StoreError::io(&blobs, e))? {
                let path = f.map_err(|e| StoreError::io(&blobs, e))?.path();
                File::open(&path)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| StoreError::io(&path, e))?;
            }
        }
        sync_dir(&self.dir)
    }

    /// Bytes the store occupies on disk.
    pub(crate) fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(|e| sled_err(&self.dir, e))
    }
}

/// Runs `f`, turning a panic into an error message instead of letting the
/// default hook print it with a backtrace.
///
/// sled 0.34 panics (rather than returning an error) on some damaged files,
/// for instance a `db` file cut short. A damaged store is an expected
/// condition for this program — a disk fills, a copy is interrupted — and
/// its user needs one clear sentence and what to do next, not a backtrace.
/// The panic hook is process-wide, so it is swapped only for the duration
/// of `f` and restored afterwards.
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, String> {
    use std::sync::{Arc, Mutex};
    let message = Arc::new(Mutex::new(String::new()));
    let seen = Arc::clone(&message);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        if let Ok(mut m) = seen.lock() {
            *m = text;
        }
    }));
    let result = std::panic::catch_unwind(f);
    std::panic::set_hook(previous);
    result.map_err(|_| {
        let m = message.lock().map(|m| m.clone()).unwrap_or_default();
        let first = m.lines().next().unwrap_or("no message");
        format!("sled: {}", crate::event::clip(first, 200))
    })
}

/// fsync a directory, so that files created in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}
