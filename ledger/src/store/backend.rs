//! The storage engine, behind the narrowest interface the ledger needs:
//! named trees of byte keys and values, reads, ordered scans, and one
//! operation that commits a set of writes across them atomically *and*
//! durably.
//!
//! This is the only module that names redb (with its part `rewrite`,
//! compaction). The store was first built on
//! sled 0.34; `docs/BENCHMARKS.md` ("Why redb") gives the figures that
//! replaced it: sled rebuilds its whole page table from a snapshot at every
//! open (0.3 s and 265 MB at a million entries, 2 s for the first open after
//! a run of appends), which no command could get under.
//!
//! ## Layout
//!
//! One file, `custody.redb`, holding one redb table per logical tree
//! ([`TreeId::name`]), plus the lock file `custody.lock`. During a
//! compaction, and after a crash in one, `custody.redb.rewrite` too
//! ([`rewrite`]; the next writable open removes it).
//!
//! ## Durability
//!
//! [`Backend::commit`] is one redb write transaction with
//! `Durability::Immediate` and quick repair, which makes it a two-phase
//! commit: the new B-tree pages are written and `fdatasync`ed, then the
//! header's commit slot is switched and `fdatasync`ed again. redb never
//! overwrites a page the last commit can reach (copy-on-write), so a crash
//! at any point leaves either the previous commit or the new one, whole;
//! `commit` returns only after the second sync. Quick repair also saves the
//! allocator state in every commit, so opening after a crash does not walk
//! the whole file.
//!
//! ## Commits under way
//!
//! A writer may hand a commit to another thread ([`Backend::commit_handle`],
//! [`CommitHandle::commit`]) and go on reading and preparing the next one:
//! [`Backend::push_pending`] makes the writes of the commit under way
//! visible to this handle's reads, over the store, until
//! [`Backend::pop_pending`] takes them away once they are committed (or
//! failed). The reads are the same either way: a pending write shadows
//! the store's row with the same key, and once the commit is on disk the
//! store holds exactly what it shadowed. Nothing is acknowledged from a
//! pending write; the committer answers only after the commit is durable
//! (`committer`).
//!
//! ## Readers
//!
//! [`Access::Read`] never writes the file: redb's read-only open, or, for a
//! file its last writer did not close, redb over [`CopyOnRead`], which keeps
//! recovery's writes in memory.

mod rewrite;

use super::StoreError;
use redb::{
    ConcurrencyMode, Database, Durability, ReadOnlyDatabase, ReadTransaction, ReadableDatabase,
    ReadableTable, TableDefinition,
};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The logical trees the ledger keeps, one redb table each. A commit
/// writes to several of them in one transaction. The table names are
/// on-disk identifiers: never change one.
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
    /// seq → empty, for genesis, grant and revoke entries (and, in a store
    /// of layout 4 or older, checkpoints too). Rebuilds the key registry on
    /// open, and finds the governance history of a bundle, without reading
    /// the whole chain.
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
    /// person map key K (32 bytes) → `LE64(count) ‖ LE64(head.seq) ‖
    /// head.hash`: each person's stream, the leaves of the person map
    /// (layout 3; see `store::map`).
    MapLeaves,
    /// depth (u8) ‖ the first ceil(depth/8) bytes of the subtree's prefix →
    /// the 32-byte hash of that subtree of the person map, for every
    /// subtree holding two leaves or more (layout 3).
    MapNodes,
    /// seq (u64 big-endian) → the disclosures of a version 3 entry (format
    /// v3 design §8): the cleartext and salt of each committed field the
    /// store holds, as `LE16(count) ‖ (LE16(len) ‖ disclosure bytes)…`,
    /// ascending by slot. Layout 4. **Not derived**: the only copy of
    /// personal data in the store, and the one table a redaction deletes
    /// from.
    Disclosures,
    /// statement id (32 bytes) → seq of the entry that registered it:
    /// a statement submitted twice gets its first entry back (layout 4).
    Statements,
    /// seq ‖ part ‖ BE16(code) ‖ BE16(index) → seq (u64 big-endian) of the
    /// redaction that erased that slot (layout 4).
    Redacted,
    /// seq → empty, for checkpoint entries (layout 5). Apart from the
    /// governance index because a server adds one per group commit, up to
    /// millions a day: the registry an open replays need not read them.
    Checkpoints,
    /// seq of a commit's last entry (u64 big-endian) → the person map
    /// nodes that commit changed, newer than `map_nodes` (layout 6; see
    /// `store::map`, "The node log").
    MapNodeLog,
    /// seq of a commit's last entry (u64 big-endian) → the entry hashes
    /// and statement ids that commit added, not yet in `hashes` and
    /// `statements` (layout 6; see `store::id_log`).
    IdLog,
}

impl TreeId {
    /// Every tree, in the order of [`TreeId::index`].
    const ALL: [TreeId; 16] = [
        TreeId::Meta,
        TreeId::Entries,
        TreeId::Hashes,
        TreeId::Persons,
        TreeId::Governance,
        TreeId::Merkle,
        TreeId::Corrected,
        TreeId::Status,
        TreeId::MapLeaves,
        TreeId::MapNodes,
        TreeId::Disclosures,
        TreeId::Statements,
        TreeId::Redacted,
        TreeId::Checkpoints,
        TreeId::MapNodeLog,
        TreeId::IdLog,
    ];

    /// The redb table's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TreeId::Meta => "meta",
            TreeId::Entries => "entries",
            TreeId::Hashes => "hashes",
            TreeId::Persons => "persons",
            TreeId::Governance => "governance",
            TreeId::Merkle => "merkle",
            TreeId::Corrected => "corrected",
            TreeId::Status => "status",
            TreeId::MapLeaves => "map_leaves",
            TreeId::MapNodes => "map_nodes",
            TreeId::Disclosures => "disclosures",
            TreeId::Statements => "statements",
            TreeId::Redacted => "redacted",
            TreeId::Checkpoints => "checkpoints",
            TreeId::MapNodeLog => "map_node_log",
            TreeId::IdLog => "id_log",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn table(self) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
        TableDefinition::new(self.name())
    }
}

/// A key and its value, as owned bytes.
pub(crate) type KeyValue = (Vec<u8>, Vec<u8>);

/// One write of a [`WriteSet`]: a value to insert, or `None` to remove.
type Write = (TreeId, Vec<u8>, Option<Vec<u8>>);

/// Writes to commit together: all or none, durably. Trees to clear are
/// emptied first; then the writes are applied table by table in key order,
/// two writes of one key in the order they were added (the last wins).
#[derive(Default)]
pub(crate) struct WriteSet {
    clears: Vec<TreeId>,
    writes: Vec<Write>,
}

impl WriteSet {
    pub(crate) fn new() -> WriteSet {
        WriteSet::default()
    }

    pub(crate) fn insert(&mut self, tree: TreeId, key: &[u8], value: &[u8]) {
        self.writes.push((tree, key.to_vec(), Some(value.to_vec())));
    }

    pub(crate) fn remove(&mut self, tree: TreeId, key: &[u8]) {
        self.writes.push((tree, key.to_vec(), None));
    }

    /// Adds every write and clear of `other`, after this set's own.
    pub(crate) fn extend(&mut self, other: WriteSet) {
        self.clears.extend(other.clears);
        self.writes.extend(other.writes);
    }

    /// Empties `tree` (before any write of this set), at the cost of
    /// freeing its pages rather than one removal per key.
    pub(crate) fn clear(&mut self, tree: TreeId) {
        self.clears.push(tree);
    }
}

/// The writes of a commit under way: per tree, each key's last write
/// (`None`: removed), in key order. The same value is what the handle's
/// reads see over the store and what the writer thread commits
/// ([`CommitHandle::commit`]), so the two cannot differ.
pub(crate) struct Pending {
    trees: Vec<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl Pending {
    /// The writes of `writes`, or `writes` back if it clears a tree (such
    /// a commit is never left under way: see [`Backend::push_pending`]).
    pub(crate) fn of(writes: WriteSet) -> Result<Pending, WriteSet> {
        if !writes.clears.is_empty() {
            return Err(writes);
        }
        let mut trees: Vec<BTreeMap<Vec<u8>, Option<Vec<u8>>>> =
            TreeId::ALL.iter().map(|_| BTreeMap::new()).collect();
        // In the order added: the last write of a key wins, as in a commit.
        for (tree, key, value) in writes.writes {
            trees[tree.index()].insert(key, value);
        }
        Ok(Pending { trees })
    }
}

/// The pending writes of one tree, newest commit first.
#[derive(Clone, Default)]
struct PendingTree {
    layers: Vec<(Arc<Pending>, usize)>,
}

impl PendingTree {
    fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The newest pending write of `key`: `Some(None)` if it was removed.
    fn get(&self, key: &[u8]) -> Option<Option<&Vec<u8>>> {
        self.layers
            .iter()
            .find_map(|(p, i)| p.trees[*i].get(key).map(Option::as_ref))
    }

    /// True if a pending write (of any layer) names `key`: the store's row
    /// is shadowed.
    fn shadows(&self, key: &[u8]) -> bool {
        self.layers
            .iter()
            .any(|(p, i)| p.trees[*i].contains_key(key))
    }

    /// The rows the pending writes hold in `range`, in key order (each
    /// key's newest write; removals left out).
    fn rows_in(
        &self,
        range: (std::ops::Bound<&[u8]>, std::ops::Bound<&[u8]>),
    ) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut seen: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for (p, i) in &self.layers {
            for (k, v) in p.trees[*i].range::<[u8], _>(range) {
                seen.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        seen.into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }
}

/// A commit that may run on another thread than the handle's reads
/// ([`Backend::commit_handle`]).
pub(crate) struct CommitHandle {
    dir: PathBuf,
    db: Arc<Database>,
}

impl CommitHandle {
    /// Commits `pending` atomically and durably, as [`Backend::commit`]
    /// does a write set; the handle's reads see the store's rows once
    /// [`Backend::pop_pending`] has taken the pending writes away.
    pub(crate) fn commit(&self, pending: &Pending) -> Result<(), StoreError> {
        #[cfg(debug_assertions)]
        if take_failure(&self.dir) {
            // Slow, as a failing disk is: what is submitted meanwhile is
            // prepared over this commit.
            std::thread::sleep(Duration::from_millis(500));
            return Err(StoreError::io(
                &self.dir,
                std::io::Error::other("a failure the tests asked for"),
            ));
        }
        contained(&self.dir, || commit_pending(&self.db, &self.dir, pending))
    }
}

/// Writes `pending` (each table's rows already in key order) in one
/// durable commit ([`commit_rows`]).
fn commit_pending(db: &Database, dir: &Path, pending: &Pending) -> Result<(), StoreError> {
    let rows = TreeId::ALL.into_iter().flat_map(|tree| {
        pending.trees[tree.index()]
            .iter()
            .map(move |(k, v)| (tree, k.as_slice(), v.as_deref()))
    });
    commit_rows(db, dir, &[], rows)
}

/// Stores whose next [`CommitHandle::commit`] fails (tests only: debug
/// builds, `crate::committer::fail_next_commit`).
#[cfg(debug_assertions)]
static FAIL_NEXT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Makes the next [`CommitHandle::commit`] of the store in `dir` fail.
#[cfg(debug_assertions)]
pub(crate) fn fail_next_commit(dir: &Path) {
    FAIL_NEXT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(dir.to_path_buf());
}

#[cfg(debug_assertions)]
fn take_failure(dir: &Path) -> bool {
    let mut failing = FAIL_NEXT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match failing.iter().position(|d| d == dir) {
        Some(i) => {
            failing.remove(i);
            true
        }
        None => false,
    }
}

/// Name of the lock file every process takes before it opens the store.
pub(crate) const LOCK_FILE: &str = "custody.lock";

/// The store's database file; its presence says "a store".
pub(crate) const DB_FILE: &str = "custody.redb";

/// How long an open waits for another process to release the store.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// redb's page cache when the store is opened to write. Reads past it go to
/// the OS page cache, so this bounds the process's memory, not what it can
/// read quickly; appends re-read the persons and Merkle nodes they touch, and
/// run about 5 % faster with 64 MB than with 16 MB (216,000 entries).
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// redb's page cache when the store is opened to read. Readers mostly stream
/// (verify, export, report) or read a few pages (status): a smaller cache
/// costs them nothing measurable, and takes `verify` of a million entries
/// from 203 MB to 137 MB peak.
const READ_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// The files of the first development builds' sled store.
const SLED_FILES: [&str; 2] = ["conf", "db"];

/// An open store.
pub(crate) struct Backend {
    dir: PathBuf,
    db: Handle,
    // Held for the life of the store; released when the file is closed.
    _lock: Option<File>,
    /// The lock file was there before this open: custody has opened this
    /// directory before, so a missing ledger marker means damage, not a
    /// foreign database.
    opened_before: bool,
    /// A writer's read transaction over its last commit, reused by every
    /// read until the next commit: a batch's map update reads thousands of
    /// rows, and a read transaction per row cost more than the reads.
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    /// The writes of commits under way, oldest first, which reads see over
    /// the store ([`Backend::push_pending`]).
    pending: Mutex<Vec<Arc<Pending>>>,
}

/// True if `dir` holds a store's database file (maybe not a custody one).
pub(crate) fn looks_like_store(dir: &Path) -> bool {
    dir.join(DB_FILE).is_file() || is_sled_store(dir)
}

/// True if `dir` holds the sled store of custody's first development
/// builds, which this build does not read.
fn is_sled_store(dir: &Path) -> bool {
    SLED_FILES.iter().all(|f| dir.join(f).is_file())
}

/// Options that create a file readable and writable by its owner alone
/// (mode 0600): the store holds personal data about detainees and their
/// families.
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = private_options()
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

/// Maps any redb error to the store's errors: I/O stays I/O, anything else
/// means the file is not what redb wrote.
fn db_err(dir: &Path, e: impl Into<redb::Error>) -> StoreError {
    let file = dir.join(DB_FILE);
    match e.into() {
        redb::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            StoreError::Damaged {
                dir: dir.to_path_buf(),
                detail: format!("{} is not a database file ({io})", file.display()),
            }
        }
        // A file shorter than its own header says: cut short.
        redb::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            StoreError::Damaged {
                dir: dir.to_path_buf(),
                detail: format!("{} is cut short ({io})", file.display()),
            }
        }
        redb::Error::Io(io) => StoreError::io(&file, io),
        redb::Error::DatabaseAlreadyOpen => StoreError::InUse(dir.to_path_buf()),
        redb::Error::Corrupted(what) => StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!(
                "the storage engine found corruption: {}",
                custody_format::text::clip(&what, 200)
            ),
        },
        other => StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!("the storage engine failed: {other}"),
        },
    }
}

/// How a store is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Make a new store (only `init`).
    Create,
    /// Read and write; excludes every other writer (not readers).
    Write,
    /// Read only: nothing is written to the store's files, so a store on
    /// read-only media (an evidence copy) opens; readers read one snapshot,
    /// taken at open, and neither wait for a writer nor make one wait. A store left unclean (a crash, or a copy
    /// taken while custody was writing) is recovered in memory
    /// ([`CopyOnRead`]), not in the file.
    Read,
}

/// The open database, writable or not.
enum Handle {
    /// Shared with [`CommitHandle`]s while commits run on another thread.
    Write(Arc<Database>),
    /// A reader: the database, and the one snapshot every read of this
    /// handle sees, taken at open. A writer in another process goes on
    /// committing meanwhile (redb's single-writer mode); this reader never
    /// sees half of its work, nor blocks it.
    Read(ReadOnlyDatabase, Box<Snapshot>),
    /// A file left unclean, opened to read through a [`CopyOnRead`]
    /// backend: redb's recovery runs, but its writes stay in memory.
    Recovered(Database),
}

/// A storage backend over a file that is never written: redb's writes go
/// to an in-memory overlay of 4 KiB blocks, and reads see the overlay over
/// the file.
///
/// Why: redb refuses to open read-only a file whose last writer did not
/// close it (after a crash, or in a copy taken while custody was writing),
/// because recovery must rebuild the allocator state. Recovering in the
/// file would change an evidence copy just by reading it — and fail on
/// read-only media. Recovering in memory costs a walk of the file and a
/// few MB, and leaves the file exactly as it was.
#[derive(Debug)]
struct CopyOnRead {
    file: File,
    state: Mutex<Overlay>,
}

#[derive(Debug)]
struct Overlay {
    /// The storage's length as redb sees it.
    len: u64,
    /// The file's bytes below this offset are still the storage's where no
    /// block overrides them; above it the storage reads zeros (the storage
    /// was cut shorter than the file at some point).
    visible: u64,
    /// Blocks redb wrote, by offset (a multiple of [`BLOCK`]).
    blocks: BTreeMap<u64, Box<[u8]>>,
}

const BLOCK: u64 = 4096;

impl CopyOnRead {
    fn new(file: File) -> std::io::Result<CopyOnRead> {
        let len = file.metadata()?.len();
        Ok(CopyOnRead {
            file,
            state: Mutex::new(Overlay {
                len,
                visible: len,
                blocks: Default::default(),
            }),
        })
    }

    fn state(&self) -> std::io::Result<std::sync::MutexGuard<'_, Overlay>> {
        self.state
            .lock()
            .map_err(|_| std::io::Error::other("overlay lock poisoned"))
    }

    /// Fills `out` with the storage's bytes from `at` where no block
    /// overrides them: the file's below `visible`, zeros above.
    fn read_base(&self, visible: u64, at: u64, out: &mut [u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let from_file = visible.saturating_sub(at).min(out.len() as u64) as usize;
        self.file.read_exact_at(&mut out[..from_file], at)?;
        out[from_file..].fill(0);
        Ok(())
    }
}

impl redb::StorageBackend for CopyOnRead {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.state()?.len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        let state = self.state()?;
        let end = offset + out.len() as u64;
        if end > state.len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "read past the end of the storage",
            ));
        }
        let mut at = offset;
        while at < end {
            let start = at - at % BLOCK;
            let upto = (start + BLOCK).min(end);
            let dst = &mut out[(at - offset) as usize..(upto - offset) as usize];
            match state.blocks.get(&start) {
                Some(block) => {
                    dst.copy_from_slice(&block[(at - start) as usize..(upto - start) as usize])
                }
                None => self.read_base(state.visible, at, dst)?,
            }
            at = upto;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        let mut state = self.state()?;
        if len < state.len {
            // Whatever lies past the new end reads as zeros if it grows.
            state.visible = state.visible.min(len);
            let cut = len - len % BLOCK;
            if let Some(block) = state.blocks.get_mut(&cut) {
                block[(len - cut) as usize..].fill(0);
            }
            let first_gone = len.div_ceil(BLOCK) * BLOCK;
            state.blocks.retain(|&start, _| start < first_gone);
        }
        state.len = len;
        Ok(())
    }

    fn sync_data(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let mut state = self.state()?;
        let end = offset + data.len() as u64;
        let mut at = offset;
        while at < end {
            let start = at - at % BLOCK;
            let upto = (start + BLOCK).min(end);
            if !state.blocks.contains_key(&start) {
                let mut block = vec![0u8; BLOCK as usize].into_boxed_slice();
                // Past the storage's end a block starts as zeros.
                let live = (state.len.saturating_sub(start)).min(BLOCK) as usize;
                self.read_base(state.visible, start, &mut block[..live])?;
                state.blocks.insert(start, block);
            }
            let block = state.blocks.get_mut(&start).expect("inserted above");
            block[(at - start) as usize..(upto - start) as usize]
                .copy_from_slice(&data[(at - offset) as usize..(upto - offset) as usize]);
            at = upto;
        }
        state.len = state.len.max(end);
        Ok(())
    }
}

impl Backend {
    /// Opens the store in `dir`, which must exist.
    pub(crate) fn open(dir: &Path, access: Access) -> Result<Backend, StoreError> {
        if is_sled_store(dir) {
            return Err(StoreError::OldLayout(dir.to_path_buf()));
        }
        if access != Access::Create && !looks_like_store(dir) {
            return Err(StoreError::NoLedger(dir.to_path_buf()));
        }
        let opened_before = dir.join(LOCK_FILE).is_file();
        let path = dir.join(DB_FILE);
        let mut builder = Database::builder();
        // One writer, and readers that follow it without blocking it: a
        // stalled reader (a pager, a full pipe) holds a snapshot, not a lock
        // a revocation would wait for.
        builder.set_concurrency_mode(ConcurrencyMode::SingleWriter);
        builder.set_cache_size(if access == Access::Read {
            READ_CACHE_BYTES
        } else {
            CACHE_BYTES
        });
        if access == Access::Read {
            // A reader takes no lock: it reads one snapshot, and never
            // makes a writer wait (redb's single-writer mode lets a writer
            // commit while readers hold older snapshots).
            let lock = None;
            let db = contained(dir, || match builder.open_read_only(&path) {
                Ok(db) => {
                    let snapshot = db.begin_read().map_err(|e| db_err(dir, e))?;
                    Ok(Handle::Read(db, Box::new(Snapshot::new(snapshot))))
                }
                // Left unclean (a crash, or a copy taken while custody was
                // writing): recover in memory, never in the file.
                Err(redb::DatabaseError::RepairAborted) => {
                    let file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
                    let overlay = CopyOnRead::new(file).map_err(|e| StoreError::io(&path, e))?;
                    // A private copy in memory: no other process shares it.
                    builder.set_concurrency_mode(ConcurrencyMode::ExclusiveWriter);
                    builder
                        .create_with_backend(overlay)
                        .map(Handle::Recovered)
                        .map_err(|e| db_err(dir, e))
                }
                Err(e) => Err(db_err(dir, e)),
            })?;
            return Ok(Backend {
                dir: dir.to_path_buf(),
                db,
                _lock: lock,
                opened_before,
                snapshot: Default::default(),
                pending: Default::default(),
            });
        }
        let lock = take_lock(dir)?;
        if access == Access::Write {
            rewrite::remove_leftover(dir)?;
        }
        if access == Access::Create {
            // Made here, private, before redb fills it.
            private_options()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| StoreError::io(&path, e))?;
        }
        let db = contained(dir, || {
            if access == Access::Create {
                builder.create(&path)
            } else {
                builder.open(&path)
            }
            .map_err(|e| db_err(dir, e))
        })?;
        let backend = Backend {
            dir: dir.to_path_buf(),
            db: Handle::Write(Arc::new(db)),
            _lock: Some(lock),
            opened_before,
            snapshot: Default::default(),
            pending: Default::default(),
        };
        if access == Access::Create {
            // Every table exists from the first commit on, so that a read
            // never has to tell "empty" from "missing".
            backend.commit(WriteSet::new())?;
            sync_dir(dir)?;
        }
        Ok(backend)
    }

    /// True if this handle cannot write.
    pub(crate) fn is_read_only(&self) -> bool {
        !matches!(self.db, Handle::Write(_))
    }

    /// True if custody had opened this directory before (its lock file was
    /// already there).
    pub(crate) fn opened_before(&self) -> bool {
        self.opened_before
    }

    fn read_table(&self, tree: TreeId) -> Result<Arc<ReadTable>, StoreError> {
        self.open_in_snapshot(tree)?
            .map_err(|e| db_err(&self.dir, e))
    }

    /// `tree` opened in the snapshot reads see (the outer error: no
    /// snapshot; the inner one: redb's, to tell a missing table apart).
    fn open_in_snapshot(
        &self,
        tree: TreeId,
    ) -> Result<Result<Arc<ReadTable>, redb::TableError>, StoreError> {
        let shared;
        let txn = match &self.db {
            Handle::Write(db) => {
                shared = self.snapshot_of(db)?;
                shared.as_ref()
            }
            Handle::Recovered(db) => {
                shared = self.snapshot_of(db)?;
                shared.as_ref()
            }
            Handle::Read(_, snapshot) => snapshot.as_ref(),
        };
        Ok(txn.table(tree))
    }

    /// Whether the store has `tree` (a table an older layout lacks is
    /// made by the first commit of this build).
    pub(crate) fn has_table(&self, tree: TreeId) -> Result<bool, StoreError> {
        contained(&self.dir, || match self.open_in_snapshot(tree)? {
            Ok(_) => Ok(true),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
            Err(e) => Err(db_err(&self.dir, e)),
        })
    }

    /// The writer's read transaction over its last commit (made if none).
    fn snapshot_of(&self, db: &Database) -> Result<Arc<Snapshot>, StoreError> {
        let mut cached = self
            .snapshot
            .lock()
            .map_err(|_| StoreError::io(&self.dir, std::io::Error::other("poisoned")))?;
        Ok(match cached.as_ref() {
            Some(t) => t.clone(),
            None => {
                let t = Arc::new(Snapshot::new(
                    db.begin_read().map_err(|e| db_err(&self.dir, e))?,
                ));
                *cached = Some(t.clone());
                t
            }
        })
    }

    /// The pending writes of `tree`, newest first.
    fn pending_of(&self, tree: TreeId) -> PendingTree {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        PendingTree {
            layers: pending
                .iter()
                .rev()
                .filter(|p| !p.trees[tree.index()].is_empty())
                .map(|p| (p.clone(), tree.index()))
                .collect(),
        }
    }

    /// Makes `pending`, the writes of a commit now under way on another
    /// thread ([`CommitHandle::commit`]), visible to this handle's reads
    /// until [`Backend::pop_pending`].
    pub(crate) fn push_pending(&self, pending: Arc<Pending>) {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(pending);
    }

    /// Takes away the oldest commit's pending writes: it is on disk (reads
    /// see the store's rows instead), or failed (and so is every later one:
    /// the caller takes them all away). The cached snapshot is dropped, so
    /// that reads see the commit.
    pub(crate) fn pop_pending(&self) {
        self.forget_snapshot();
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !pending.is_empty() {
            pending.remove(0);
        }
    }

    /// Takes away every commit's pending writes (one failed, and every
    /// later one was prepared over it), and the cached snapshot.
    pub(crate) fn forget_pending(&self) {
        self.forget_snapshot();
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Drops the cached snapshot: the next read sees the last commit.
    fn forget_snapshot(&self) {
        if let Ok(mut s) = self.snapshot.lock() {
            *s = None;
        }
    }

    /// A handle that commits to this store from another thread, or `None`
    /// if the store is not open to write.
    pub(crate) fn commit_handle(&self) -> Option<CommitHandle> {
        match &self.db {
            Handle::Write(db) => Some(CommitHandle {
                dir: self.dir.clone(),
                db: db.clone(),
            }),
            _ => None,
        }
    }

    pub(crate) fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.reader(tree)?.get(key)
    }

    /// `tree`, opened once for many reads (opening a table costs more than
    /// reading a row of it: a batch's map update reads thousands).
    pub(crate) fn reader(&self, tree: TreeId) -> Result<TableReader<'_>, StoreError> {
        let table = contained(&self.dir, || self.read_table(tree))?;
        Ok(TableReader {
            dir: &self.dir,
            table,
            pending: self.pending_of(tree),
        })
    }

    pub(crate) fn last(&self, tree: TreeId) -> Result<Option<KeyValue>, StoreError> {
        let pending = self.pending_of(tree);
        if !pending.is_empty() {
            return self
                .scan_range(tree, &[], None, true, true)
                .next()
                .transpose();
        }
        contained(&self.dir, || {
            let table = self.read_table(tree)?;
            let last = table.last().map_err(|e| db_err(&self.dir, e))?;
            Ok(last.map(|(k, v)| (k.value().to_vec(), v.value().to_vec())))
        })
    }

    /// Entries of `tree` with keys `>= start`, in key order, from one
    /// consistent snapshot of the store.
    pub(crate) fn scan_from(
        &self,
        tree: TreeId,
        start: &[u8],
    ) -> Box<dyn Iterator<Item = Result<KeyValue, StoreError>> + '_> {
        self.scan(tree, start, true)
    }

    /// The keys of `tree` from `start` on, as [`Self::scan_from`], with
    /// every value left empty: no value is copied out of the store (a scan
    /// of the status table's person ids does not copy each status).
    pub(crate) fn scan_keys_from(
        &self,
        tree: TreeId,
        start: &[u8],
    ) -> Box<dyn Iterator<Item = Result<KeyValue, StoreError>> + '_> {
        self.scan(tree, start, false)
    }

    /// The keys of `tree`, from the last down, values left empty (the
    /// latest checkpoint is near the end of an index that may hold
    /// millions of rows: a scan from the start would read them all).
    pub(crate) fn scan_keys_back(
        &self,
        tree: TreeId,
    ) -> Box<dyn Iterator<Item = Result<KeyValue, StoreError>> + '_> {
        self.scan_range(tree, &[], None, false, true)
    }

    fn scan(
        &self,
        tree: TreeId,
        start: &[u8],
        values: bool,
    ) -> Box<dyn Iterator<Item = Result<KeyValue, StoreError>> + '_> {
        self.scan_range(tree, start, None, values, false)
    }

    /// The rows of `tree` from `start` on (backwards from the last, if
    /// `back`), pending writes over the store's. `end`, if given, is a key
    /// no caller reads up to: the pending rows are taken only below it
    /// (they are copied out at once, where the store's are read lazily).
    fn scan_range(
        &self,
        tree: TreeId,
        start: &[u8],
        end: Option<&[u8]>,
        values: bool,
        back: bool,
    ) -> Box<dyn Iterator<Item = Result<KeyValue, StoreError>> + '_> {
        let pending = self.pending_of(tree);
        if pending.is_empty() {
            return self.scan_store(tree, start, values, back);
        }
        // The store's rows that no pending write shadows, merged in key
        // order with the pending rows.
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let mine: Vec<KeyValue> = {
            let rows = pending.rows_in((Included(start), end.map_or(Unbounded, Excluded)));
            let rows = rows.into_iter().map(|(k, v)| {
                let v = if values { v } else { Vec::new() };
                (k, v)
            });
            if back {
                rows.rev().collect()
            } else {
                rows.collect()
            }
        };
        let mut mine = mine.into_iter().peekable();
        let mut stored = self
            .scan_store(tree, start, values, back)
            .filter(move |r| r.as_ref().map_or(true, |(k, _)| !pending.shadows(k)))
            .peekable();
        Box::new(std::iter::from_fn(move || {
            let take_mine = match (mine.peek(), stored.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) | (_, Some(Err(_))) => false,
                (Some((a, _)), Some(Ok((b, _)))) => (a < b) != back,
            };
            if take_mine {
                mine.next().map(Ok)
            } else {
                stored.next()
            }
        }))
    }

    /// [`Self::scan_range`] over the store alone.
    fn scan_store(
        &self,
        tree: TreeId,
        start: &[u8],
        values: bool,
        back: bool,
    ) -> Box<dyn Iterator<Item = Result<KeyValue, StoreError>> + '_> {
        let range = contained(&self.dir, || {
            self.read_table(tree)
                .and_then(|t| t.range(start..).map_err(|e| db_err(&self.dir, e)))
        });
        match range {
            Err(e) => Box::new(std::iter::once(Err(e))),
            Ok(mut range) => {
                // After an error (or a contained panic) the range is not
                // trusted to go on: the scan ends with that error.
                let mut failed = false;
                Box::new(std::iter::from_fn(move || {
                    if failed {
                        return None;
                    }
                    let next = contained(&self.dir, || {
                        if back {
                            range.next_back()
                        } else {
                            range.next()
                        }
                        .map(|r| {
                            r.map(|(k, v)| {
                                let v = if values {
                                    v.value().to_vec()
                                } else {
                                    Vec::new()
                                };
                                (k.value().to_vec(), v)
                            })
                            .map_err(|e| db_err(&self.dir, e))
                        })
                        .transpose()
                    })
                    .transpose();
                    failed = matches!(next, Some(Err(_)));
                    next
                }))
            }
        }
    }

    /// Deletes `trees` from the file and writes layout `marker`, as a
    /// store of an older layout that never had them (for the tests of the
    /// upgrade; a commit makes them again, empty). Layout 2 had no
    /// governance row either.
    #[cfg(test)]
    pub(crate) fn drop_tables(&self, trees: &[TreeId], marker: &[u8]) -> Result<(), StoreError> {
        let Handle::Write(db) = &self.db else {
            return Err(StoreError::ReadOnly(self.dir.clone()));
        };
        let err = |e: redb::Error| db_err(&self.dir, e);
        let txn = db.begin_write().map_err(|e| err(e.into()))?;
        for tree in trees {
            txn.delete_table(tree.table()).map_err(|e| err(e.into()))?;
        }
        let mut meta = txn
            .open_table(TreeId::Meta.table())
            .map_err(|e| err(e.into()))?;
        meta.insert(b"custody".as_slice(), marker)
            .map_err(|e| err(e.into()))?;
        if marker == b"2" {
            meta.remove(b"gov".as_slice()).map_err(|e| err(e.into()))?;
        }
        drop(meta);
        txn.commit().map_err(|e| err(e.into()))
    }

    /// Entries of `tree` whose keys start with `prefix`, in key order.
    /// (The pending writes are copied out only within the prefix: a
    /// person's entries, read for every statement a group prepares, used
    /// to copy every pending `persons` row after theirs.)
    pub(crate) fn scan_prefix<'a>(
        &'a self,
        tree: TreeId,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = Result<KeyValue, StoreError>> + 'a {
        let end = after_prefix(prefix);
        self.scan_range(tree, prefix, end.as_deref(), true, false)
            .take_while(move |r| r.as_ref().map_or(true, |(k, _)| k.starts_with(prefix)))
    }

    /// Commits `writes` atomically and durably (see the module docs).
    /// Returns only when both are done.
    pub(crate) fn commit(&self, writes: WriteSet) -> Result<(), StoreError> {
        // Reads after the commit must see it: drop the cached snapshot
        // whatever the commit's outcome.
        self.forget_snapshot();
        let Handle::Write(db) = &self.db else {
            return Err(StoreError::ReadOnly(self.dir.clone()));
        };
        let result = contained(&self.dir, || write_and_commit(db, &self.dir, writes));
        self.forget_snapshot();
        result
    }

    /// Closes the database now, reporting what a drop would ignore: a
    /// writable close commits (it records the allocator state and marks the
    /// file clean) and trims free space from the file's end.
    pub(crate) fn close(self) -> Result<(), StoreError> {
        let Backend {
            dir,
            db,
            _lock,
            snapshot,
            ..
        } = self;
        drop(snapshot);
        let closed = contained(&dir, || match db {
            Handle::Write(db) => Arc::try_unwrap(db)
                .map_err(|_| {
                    StoreError::io(&dir, std::io::Error::other("a commit is still under way"))
                })?
                .close()
                .map_err(|e| db_err(&dir, e)),
            Handle::Recovered(db) => db.close().map_err(|e| db_err(&dir, e)),
            Handle::Read(db, snapshot) => {
                drop(snapshot);
                db.close().map_err(|e| db_err(&dir, e))
            }
        });
        drop(_lock);
        closed
    }

    /// Bytes the store occupies on disk.
    pub(crate) fn size_on_disk(&self) -> Result<u64, StoreError> {
        size_of_store(&self.dir)
    }
}

/// Writes `writes` in one durable commit ([`commit_rows`]).
fn write_and_commit(db: &Database, dir: &Path, mut writes: WriteSet) -> Result<(), StoreError> {
    // In key order within each table, B-tree inserts touch each page
    // once rather than once per row that lands on it (a group's map
    // nodes and indexes arrive interleaved). The sort is stable, so
    // two writes of one key keep their order: the last still wins.
    writes
        .writes
        .sort_by(|a, b| (a.0.index(), &a.1).cmp(&(b.0.index(), &b.1)));
    let rows = writes
        .writes
        .iter()
        .map(|(tree, k, v)| (*tree, k.as_slice(), v.as_deref()));
    commit_rows(db, dir, &writes.clears, rows)
}

/// One redb write transaction (see the module docs: durable, two-phase,
/// quick repair): `clears` emptied first, then `rows` written in the
/// order given (`None`: the key removed), then committed.
fn commit_rows<'a>(
    db: &Database,
    dir: &Path,
    clears: &[TreeId],
    rows: impl Iterator<Item = (TreeId, &'a [u8], Option<&'a [u8]>)>,
) -> Result<(), StoreError> {
    let err = |e: redb::Error| db_err(dir, e);
    let mut txn = db.begin_write().map_err(|e| err(e.into()))?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| err(e.into()))?;
    txn.set_quick_repair(true);
    for tree in clears {
        txn.delete_table(tree.table()).map_err(|e| err(e.into()))?;
    }
    {
        let mut tables = Vec::with_capacity(TreeId::ALL.len());
        for tree in TreeId::ALL {
            tables.push(txn.open_table(tree.table()).map_err(|e| err(e.into()))?);
        }
        for (tree, key, value) in rows {
            let table = &mut tables[tree.index()];
            match value {
                Some(v) => table.insert(key, v).map(drop),
                None => table.remove(key).map(drop),
            }
            .map_err(|e| err(e.into()))?;
        }
    }
    txn.commit().map_err(|e| err(e.into()))
}

/// The least key above every key that starts with `prefix`, or `None` if
/// there is none (the prefix is empty or all `ff` bytes).
fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A table opened in a read transaction.
type ReadTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;

/// A read transaction, and the tables read in it so far, each opened once.
/// Opening a table looks its name up in redb's table of tables, which cost
/// more than the row a lookup came for: a group's preparation reads a few
/// rows per statement from a dozen tables, all in one snapshot.
struct Snapshot {
    /// Declared first, so dropped before the transaction they were opened
    /// in.
    tables: [std::sync::OnceLock<Arc<ReadTable>>; TreeId::ALL.len()],
    txn: ReadTransaction,
}

impl Snapshot {
    fn new(txn: ReadTransaction) -> Snapshot {
        Snapshot {
            tables: Default::default(),
            txn,
        }
    }

    /// `tree` as of this snapshot (a missing table is not remembered: the
    /// error is made again, and is as cheap as the lookup that finds it).
    fn table(&self, tree: TreeId) -> Result<Arc<ReadTable>, redb::TableError> {
        let slot = &self.tables[tree.index()];
        if let Some(t) = slot.get() {
            return Ok(t.clone());
        }
        let opened = Arc::new(self.txn.open_table(tree.table())?);
        Ok(slot.get_or_init(|| opened).clone())
    }
}

/// One table of the store, opened for many reads ([`Backend::reader`]).
pub(crate) struct TableReader<'a> {
    dir: &'a Path,
    table: Arc<ReadTable>,
    /// Writes of commits under way, over the table.
    pending: PendingTree,
}

impl TableReader<'_> {
    /// The row with key `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(written) = self.pending.get(key) {
            return Ok(written.cloned());
        }
        contained(self.dir, || {
            let value = self.table.get(key).map_err(|e| db_err(self.dir, e))?;
            Ok(value.map(|v| v.value().to_vec()))
        })
    }

    /// The first `limit` rows with keys in `start..=end`, in key order,
    /// passing over keys `skip` names.
    pub(crate) fn first_in(
        &self,
        start: &[u8],
        end: &[u8],
        limit: usize,
        skip: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<KeyValue>, StoreError> {
        if !self.pending.is_empty() {
            // The store's first rows that no pending write shadows, and the
            // pending rows, merged: the first `limit` of both.
            use std::ops::Bound::Included;
            let shadowed = |k: &[u8]| skip(k) || self.pending.shadows(k);
            let mut rows = self.first_in_store(start, end, limit, &shadowed)?;
            if start > end {
                return Ok(rows);
            }
            rows.extend(
                self.pending
                    .rows_in((Included(start), Included(end)))
                    .into_iter()
                    .filter(|(k, _)| !skip(k)),
            );
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            rows.truncate(limit);
            return Ok(rows);
        }
        self.first_in_store(start, end, limit, skip)
    }

    /// [`Self::first_in`] over the store alone.
    fn first_in_store(
        &self,
        start: &[u8],
        end: &[u8],
        limit: usize,
        skip: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<KeyValue>, StoreError> {
        contained(self.dir, || {
            let range = self
                .table
                .range(start..=end)
                .map_err(|e| db_err(self.dir, e))?;
            let mut out = Vec::with_capacity(limit);
            for row in range {
                if out.len() == limit {
                    break;
                }
                let (k, v) = row.map_err(|e| db_err(self.dir, e))?;
                if skip(k.value()) {
                    continue;
                }
                out.push((k.value().to_vec(), v.value().to_vec()));
            }
            Ok(out)
        })
    }
}

thread_local! {
    /// True while this thread runs storage-engine code under [`contained`].
    static IN_ENGINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while the current thread runs storage-engine code whose panics the
/// store turns into [`StoreError::Damaged`]. A program's panic hook can stay
/// silent then: the panic is not a bug of the program, and the error that
/// follows says what happened and what to do.
pub fn panic_is_contained() -> bool {
    IN_ENGINE.with(|c| c.get())
}

/// Runs storage-engine code, turning a panic into [`StoreError::Damaged`].
///
/// redb checks the structure of what it reads but, on a file overwritten
/// underneath it, some of those checks are `unreachable!` rather than
/// errors. A damaged store is an expected condition for this program — a
/// disk fails, a copy is interrupted — and its user needs one clear sentence
/// and what to do next, not a backtrace. The cost is a thread-local flag
/// and `catch_unwind`'s landing pad: nothing measurable next to a B-tree
/// read.
fn contained<T>(dir: &Path, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let outer = IN_ENGINE.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_ENGINE.with(|c| c.set(outer));
    result.unwrap_or_else(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        // `unreachable!()` says "internal error: entered unreachable code":
        // the engine's wording for "this page is not what I wrote", not an
        // internal error of custody.
        let first = text.lines().next().unwrap_or("no message");
        let first = first.strip_prefix("internal error: ").unwrap_or(first);
        Err(StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!(
                "the storage engine met a page of {} it did not write (redb: {})",
                DB_FILE,
                custody_format::text::clip(first, 200)
            ),
        })
    })
}

/// Bytes the store in `dir` occupies on disk.
pub(crate) fn size_of_store(dir: &Path) -> Result<u64, StoreError> {
    let path = dir.join(DB_FILE);
    std::fs::metadata(&path)
        .map(|m| m.len())
        .map_err(|e| StoreError::io(&path, e))
}

/// fsync a directory, so that files created in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use redb::StorageBackend;

    #[derive(Clone, Debug)]
    enum Op {
        Write(u64, Vec<u8>),
        SetLen(u64),
        Read(u64, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..20_000, prop::collection::vec(any::<u8>(), 1..9_000))
                .prop_map(|(at, data)| Op::Write(at, data)),
            (0u64..24_000).prop_map(Op::SetLen),
            (0u64..24_000, 0usize..9_000).prop_map(|(at, n)| Op::Read(at, n)),
        ]
    }

    proptest! {
        /// The overlay behaves exactly like a file that takes the writes
        /// (a `Vec` here: writes past the end grow it, a shorter length
        /// cuts it and a longer one adds zeros), and the real file never
        /// changes.
        #[test]
        fn copy_on_read_is_a_file_that_never_reaches_the_disk(
            initial in prop::collection::vec(any::<u8>(), 0..12_000),
            ops in prop::collection::vec(op(), 1..40),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, &initial).unwrap();
            let overlay = CopyOnRead::new(File::open(&path).unwrap()).unwrap();
            let mut model = initial.clone();
            for op in ops {
                match op {
                    Op::Write(at, data) => {
                        overlay.write(at, &data).unwrap();
                        let end = at as usize + data.len();
                        if model.len() < end {
                            model.resize(end, 0);
                        }
                        model[at as usize..end].copy_from_slice(&data);
                    }
                    Op::SetLen(len) => {
                        overlay.set_len(len).unwrap();
                        model.resize(len as usize, 0);
                    }
                    Op::Read(at, n) => {
                        let mut out = vec![0xAA; n];
                        let got = overlay.read(at, &mut out);
                        if at as usize + n <= model.len() {
                            got.unwrap();
                            prop_assert_eq!(&out[..], &model[at as usize..at as usize + n]);
                        } else {
                            prop_assert!(got.is_err());
                        }
                    }
                }
                prop_assert_eq!(overlay.len().unwrap(), model.len() as u64);
            }
            prop_assert_eq!(std::fs::read(&path).unwrap(), initial);
        }
    }

    /// One write of a test: to the first tree or the second, a key, a
    /// value or a removal.
    type TestWrite = (bool, Vec<u8>, Option<Vec<u8>>);

    /// Writes to two trees: keys from a small alphabet (so that layers
    /// overlap and prefixes repeat), a value or a removal.
    fn writes() -> impl Strategy<Value = Vec<TestWrite>> {
        prop::collection::vec(
            (
                any::<bool>(),
                prop::collection::vec(0u8..4, 0..4),
                prop::option::weighted(0.8, prop::collection::vec(any::<u8>(), 0..3)),
            ),
            0..24,
        )
    }

    #[test]
    fn the_key_after_a_prefix_bounds_exactly_its_keys() {
        assert_eq!(after_prefix(b""), None);
        assert_eq!(after_prefix(&[0xff, 0xff]), None);
        assert_eq!(after_prefix(&[1, 0xff]), Some(vec![2]));
        assert_eq!(after_prefix(b"P-1\x00"), Some(b"P-1\x01".to_vec()));
        let end = after_prefix(&[3, 0xff, 7]).unwrap();
        for (key, within) in [
            (&[3, 0xff, 7][..], true),
            (&[3, 0xff, 7, 0xff, 0xff], true),
            (&[3, 0xff, 8], false),
            (&[3, 0xff, 6, 0xff], false),
        ] {
            assert_eq!(
                key >= &[3, 0xff, 7][..] && key < end.as_slice(),
                within,
                "{key:?}"
            );
        }
    }

    fn write_set(writes: &[TestWrite]) -> WriteSet {
        let mut w = WriteSet::new();
        for (first, key, value) in writes {
            let tree = if *first {
                TreeId::Persons
            } else {
                TreeId::MapNodes
            };
            match value {
                Some(v) => w.insert(tree, key, v),
                None => w.remove(tree, key),
            }
        }
        w
    }

    /// Every read a handle answers, of both trees.
    fn reads(b: &Backend) -> Vec<String> {
        let mut out = Vec::new();
        for tree in [TreeId::Persons, TreeId::MapNodes] {
            out.push(format!("{:?}", b.last(tree).unwrap()));
            let all: Vec<_> = b.scan_from(tree, &[]).map(Result::unwrap).collect();
            out.push(format!("{all:?}"));
            let back: Vec<_> = b.scan_keys_back(tree).map(Result::unwrap).collect();
            out.push(format!("{back:?}"));
            let reader = b.reader(tree).unwrap();
            for a in 0u8..4 {
                out.push(format!("{:?}", b.scan_keys_from(tree, &[a]).count()));
                let prefix: Vec<_> = b.scan_prefix(tree, &[a]).map(Result::unwrap).collect();
                out.push(format!("{prefix:?}"));
                for c in 0u8..4 {
                    let prefix: Vec<_> = b.scan_prefix(tree, &[a, c]).map(Result::unwrap).collect();
                    out.push(format!("{prefix:?}"));
                    out.push(format!("{:?}", reader.get(&[a, c]).unwrap()));
                    out.push(format!("{:?}", b.get(tree, &[a]).unwrap()));
                    for limit in [1, 3] {
                        let skip = |k: &[u8]| k.len() == 2;
                        out.push(format!(
                            "{:?}",
                            reader.first_in(&[a], &[c, 9], limit, &skip).unwrap()
                        ));
                        out.push(format!(
                            "{:?}",
                            reader.first_in(&[a], &[c], limit, &|_| false).unwrap()
                        ));
                    }
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// A handle with commits under way (one or two, their writes
        /// pending) reads exactly what a store that committed them reads,
        /// through every read (rows, ranges, scans both ways, prefixes,
        /// the last row); and once a pending commit is on disk and popped,
        /// or the commit is made while its writes are pending, nothing
        /// changes.
        #[test]
        fn pending_writes_read_as_committed(
            base in writes(),
            first_writes in writes(),
            second_writes in writes(),
        ) {
            let with = tempfile::tempdir().unwrap();
            let committed = tempfile::tempdir().unwrap();
            let pipelined = Backend::open(with.path(), Access::Create).unwrap();
            let reference = Backend::open(committed.path(), Access::Create).unwrap();
            for b in [&pipelined, &reference] {
                b.commit(write_set(&base)).unwrap();
            }
            let handle = pipelined.commit_handle().unwrap();
            // A snapshot cached before the first push, read after it.
            prop_assert_eq!(reads(&pipelined), reads(&reference));
            let first = Arc::new(Pending::of(write_set(&first_writes)).ok().unwrap());
            pipelined.push_pending(first.clone());
            reference.commit(write_set(&first_writes)).unwrap();
            prop_assert_eq!(reads(&pipelined), reads(&reference));
            let second = Arc::new(Pending::of(write_set(&second_writes)).ok().unwrap());
            pipelined.push_pending(second.clone());
            reference.commit(write_set(&second_writes)).unwrap();
            prop_assert_eq!(reads(&pipelined), reads(&reference));
            // The first commits, on another thread, while pending.
            std::thread::scope(|s| s.spawn(|| handle.commit(&first).unwrap()).join().unwrap());
            prop_assert_eq!(reads(&pipelined), reads(&reference));
            pipelined.pop_pending();
            prop_assert_eq!(reads(&pipelined), reads(&reference));
            handle.commit(&second).unwrap();
            pipelined.pop_pending();
            prop_assert_eq!(reads(&pipelined), reads(&reference));
            drop(handle);
            pipelined.close().unwrap();
        }
    }
}
