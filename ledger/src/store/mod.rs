//! The ledger on disk: where an append happens.
//!
//! [`Ledger::append`] is the one path for new evidence and governance
//! alike. It checks every event of a batch (authority of the signer,
//! correction targets, the clock) *before* writing anything, signs and chains
//! the entries, and commits them with their indexes in one atomic, durable
//! step (`backend::Backend::commit`). A refused batch leaves the store
//! exactly as it was; an acknowledged batch has been fsynced.
//!
//! [`Ledger::restore`] is the only other way entries get in: it builds a new
//! store from entries signed elsewhere (an export), never signing anything.
//! Both go through one `Batch`, which turns signed entries into the store's
//! rows, so an entry gives the same rows whichever way it came in.

pub(crate) mod backend;
mod bundle;
pub use backend::panic_is_contained;
pub use bundle::BundleBuildError;
mod projections;

use crate::keyfile::public_key_of;
use crate::merkle;
use backend::{Access, Backend, TreeId, WriteSet};
use custody_format::entry::{EntryBody, SignedEntry, FORMAT_VERSION, GENESIS_PREV_HASH};
use custody_format::event::{EntryHash, Event, Genesis, PersonId};
use custody_format::registry::{AuthError, KeyRegistry};
use custody_format::rules::{Breach, ChainRules, CheckError, Rule, TargetState, Targets};
use custody_format::time::Timestamp;
use ed25519_dalek::SigningKey;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Marker stored in the meta tree: this database is a custody ledger.
const MARKER_KEY: &[u8] = b"custody";
/// Layout version of the trees (not of the entry format, which each entry
/// carries). Bump when the indexes change shape. 1 was the sled layout of
/// the first development builds; 2 is the redb tables of `backend`.
const LAYOUT_VERSION: &[u8] = b"2";

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No ledger at this path.
    #[error("no ledger at {0} — run `custody init` (or check --store / CUSTODY_STORE)")]
    NoLedger(PathBuf),
    /// `init` or `restore` on a directory that already holds a store.
    #[error("{0} already holds a ledger; refusing to create another over it")]
    AlreadyExists(PathBuf),
    /// `init` or `restore` on a non-empty directory that is not a ledger.
    #[error("{0} is not empty; a new ledger is made only in a new or empty directory")]
    NotEmpty(PathBuf),
    /// Another process holds the store.
    #[error(
        "store is in use by another process: {0} (waited 3 s); try again when it has finished"
    )]
    InUse(PathBuf),
    /// A write through a ledger opened with [`Ledger::open_read_only`].
    #[error("{0} was opened for reading only; nothing was written")]
    ReadOnly(PathBuf),
    /// A request outside the ledger (a seq or tree size it does not have).
    #[error("{0}")]
    Range(String),
    /// A file-system error.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// What.
        source: std::io::Error,
    },
    /// The store's files or contents are damaged.
    #[error("the store at {dir} is damaged: {detail}. Do not append to it. Restore the store directory from a backup, or rebuild the ledger from an export into a new directory with `custody restore --from EXPORT --store NEW_DIR` (it verifies the export first, as `custody verify --bundle EXPORT` does); if the store still opens, `custody verify` shows the first damaged entry")]
    Damaged {
        /// The store.
        dir: PathBuf,
        /// What was found.
        detail: String,
    },
    /// A store in a layout this build does not read (the sled store of the
    /// first development builds). Nothing is wrong with it; it needs the
    /// build that wrote it to export it.
    #[error("{0} holds a store in the sled layout of custody's first development builds, which this build does not read (it was not changed). Open it with the build that wrote it and `custody export --out ledger.jsonl` it; then, with this build, `custody restore --from ledger.jsonl --store NEW_DIR` verifies that export and builds a store of this layout from it. Keep the export: every entry in it verifies with `custody verify --bundle`")]
    OldLayout(PathBuf),
}

fn proof_error(e: merkle::ProofError<StoreError>) -> StoreError {
    match e {
        merkle::ProofError::Range(m) => StoreError::Range(m),
        merkle::ProofError::Storage(e) => e,
    }
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Why an append was refused. Nothing of the batch was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// Event `index` (0-based, in the batch) was refused.
    #[error("event {} of the batch: {reason}", index + 1)]
    Refused {
        /// Position in the batch.
        index: usize,
        /// Why.
        reason: Refusal,
    },
    /// This machine's clock is behind the ledger's last entry.
    #[error("this machine's clock reads {now}, earlier than the last entry's recorded_at {last}; fix the clock before appending")]
    ClockBehind {
        /// The clock.
        now: Timestamp,
        /// The head's `recorded_at`.
        last: Timestamp,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why one event (or one restored entry) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// It breaks a chain rule (`custody_format::rules`): the signer may not
    /// sign it, a correction's target is not an earlier evidence entry, a
    /// checkpoint does not state the tree before it, …
    #[error("{}", breach_text(.0))]
    Rule(#[from] Breach),
    /// A field is invalid, or the entry cannot be encoded.
    #[error("{0}")]
    Entry(#[from] custody_format::entry::EntryError),
}

fn breach_text(b: &Breach) -> String {
    match b {
        Breach::CorrectionTarget { .. } => format!("field `target`: {b}"),
        Breach::Checkpoint(_) => format!("checkpoint: {b}"),
        _ => b.to_string(),
    }
}

impl Refusal {
    /// The refusal without the field it concerns (for a restored entry,
    /// which has no input line or field).
    pub fn plain(&self) -> String {
        match self {
            Refusal::Rule(b) => b.to_string(),
            Refusal::Entry(e) => e.to_string(),
        }
    }

    /// The rule broken, by the verifier's names.
    pub fn rule(&self) -> Rule {
        match self {
            Refusal::Rule(b) => b.rule(),
            Refusal::Entry(custody_format::entry::EntryError::Version(_)) => Rule::Version,
            Refusal::Entry(_) => Rule::Format,
        }
    }
}

impl From<AuthError> for Refusal {
    fn from(e: AuthError) -> Refusal {
        Refusal::Rule(Breach::Authority(e))
    }
}

/// The last entry of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Its sequence number (the ledger holds `seq + 1` entries).
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

/// One appended entry, as acknowledged to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
}

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

/// An open ledger. Holds the store's lock until dropped.
pub struct Ledger {
    dir: PathBuf,
    backend: Backend,
    head: Head,
    registry: KeyRegistry,
    /// The stored statuses lag the chain or follow older rules, and this
    /// read-only handle may not rebuild them: statuses are folded from the
    /// chain instead of read (see `projections`).
    stale_projections: bool,
}

fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

fn node_key(level: u8, index: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = level;
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
}

/// Reads Merkle nodes from the store, seeing the nodes of a batch being
/// written before they are committed.
struct Nodes<'a> {
    backend: &'a Backend,
    dir: &'a Path,
    pending: Option<&'a HashMap<(u8, u64), merkle::Hash>>,
}

impl merkle::NodeSource for Nodes<'_> {
    type Error = StoreError;
    fn node(&self, level: u8, index: u64) -> Result<merkle::Hash, StoreError> {
        if let Some(h) = self.pending.and_then(|p| p.get(&(level, index))) {
            return Ok(*h);
        }
        let v = self
            .backend
            .get(TreeId::Merkle, &node_key(level, index))?
            .ok_or_else(|| StoreError::Damaged {
                dir: self.dir.to_path_buf(),
                detail: format!("Merkle node ({level}, {index}) is missing"),
            })?;
        v.as_slice().try_into().map_err(|_| StoreError::Damaged {
            dir: self.dir.to_path_buf(),
            detail: format!("Merkle node ({level}, {index}) is not 32 bytes"),
        })
    }
}

/// What a new store's directory was before the store was made in it.
enum Fresh {
    /// It did not exist: this is the topmost directory that was created
    /// for it (the directory itself, or an ancestor created with it).
    Created(PathBuf),
    /// It was an empty directory.
    Empty,
}

/// Makes sure `dir` can take a new store — absent, or an empty directory —
/// and creates it if absent.
fn prepare_new_dir(dir: &Path) -> Result<Fresh, StoreError> {
    Ledger::check_new_dir(dir)?;
    if dir.exists() {
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
    if let Some(parent) = dir.parent() {
        backend::sync_dir(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })?;
    }
    Ok(Fresh::Created(top))
}

/// Undoes [`prepare_new_dir`] and the store made since, after a restore
/// failed: removes the directories it created, or the store's files from
/// a directory that was empty. The store must be closed.
fn remove_new_store(dir: &Path, fresh: &Fresh) -> Left {
    let result = match fresh {
        Fresh::Created(top) => std::fs::remove_dir_all(top).map(|()| Left::Removed(top.clone())),
        Fresh::Empty => [backend::DB_FILE, backend::LOCK_FILE]
            .iter()
            .try_for_each(|f| match std::fs::remove_file(dir.join(f)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            })
            .map(|()| Left::Emptied(dir.to_path_buf())),
    };
    result.unwrap_or_else(|e| Left::Partial {
        dir: dir.to_path_buf(),
        error: e.to_string(),
    })
}

fn person_key(person: &PersonId, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(person.as_str().len() + 9);
    k.extend_from_slice(person.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

impl Ledger {
    /// A ledger over a new, empty store: no entry yet, so its first entry
    /// (a genesis) links to `GENESIS_PREV_HASH`.
    fn new_store(dir: &Path, backend: Backend) -> Ledger {
        Ledger {
            dir: dir.to_path_buf(),
            backend,
            head: Head {
                seq: 0,
                hash: GENESIS_PREV_HASH,
                recorded_at: Timestamp(i64::MIN),
            },
            registry: KeyRegistry::new(),
            stale_projections: false,
        }
    }

    /// Creates a ledger in `dir` (which must be absent or empty) and writes
    /// its genesis entry, signed by `authority`, naming that key as the
    /// ledger's authority.
    pub fn create(
        dir: &Path,
        ledger_name: &str,
        authority_holder: &str,
        authority: &SigningKey,
    ) -> Result<(Ledger, Appended), AppendError> {
        prepare_new_dir(dir)?;
        let backend = Backend::open(dir, Access::Create)?;
        let genesis = Event::Genesis(Genesis {
            ledger_name: ledger_name.to_string(),
            authority_key: public_key_of(authority),
            authority_holder: authority_holder.to_string(),
        });
        let mut ledger = Ledger::new_store(dir, backend);
        let appended = ledger.append_at(vec![genesis], authority, crate::clock::now(), true)?;
        Ok((ledger, appended[0]))
    }

    /// Checks that a new ledger can be made in `dir` — by
    /// [`Ledger::create`] or [`Ledger::restore`] — without creating
    /// anything: `dir` is absent, or an empty directory.
    pub fn check_new_dir(dir: &Path) -> Result<(), StoreError> {
        if backend::looks_like_store(dir) {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()));
        }
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
            if entries.next().is_some() {
                return Err(StoreError::NotEmpty(dir.to_path_buf()));
            }
        }
        Ok(())
    }

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
    /// **Signatures are not checked here.** Verify the entries first
    /// (`custody-verifier`'s `verify_export` does, for an export file), and
    /// pass the head it found as [`RestoreOptions::expect_head`]. Restore
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
    pub fn restore<I, E>(
        dir: &Path,
        entries: I,
        options: RestoreOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<Ledger, RestoreError>
    where
        I: IntoIterator<Item = Result<SignedEntry, E>>,
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

    fn restore_into<I, E>(
        dir: &Path,
        entries: I,
        options: RestoreOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Ledger, RestoreCause>
    where
        I: IntoIterator<Item = Result<SignedEntry, E>>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let chunk = options.chunk.max(1);
        let mut ledger = Ledger::new_store(dir, Backend::open(dir, Access::Create)?);
        let mut batch = Batch::new(&ledger, true);
        let mut restored = 0u64;
        for item in entries {
            let entry = item.map_err(|e| RestoreCause::Input {
                restored,
                source: e.into(),
            })?;
            let seq = batch.rules.next_seq();
            let persons = batch.check(&ledger, entry.body()).map_err(|e| match e {
                CheckError::Breach(b) => RestoreCause::Refused {
                    seq,
                    reason: Box::new(Refusal::Rule(b)),
                },
                CheckError::Lookup(s) => RestoreCause::Store(s),
            })?;
            batch.push(&ledger, entry, persons)?;
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

    /// Opens the ledger in `dir` to read and append. Never creates one.
    /// Excludes every other process while it is open.
    pub fn open(dir: &Path) -> Result<Ledger, StoreError> {
        Ledger::open_with(dir, Access::Write)
    }

    /// Opens the ledger in `dir` to read only: nothing is written to its
    /// files, so a copy on read-only media opens, and any number of readers
    /// share it (a writer waits for them). Appending through it fails with
    /// [`StoreError::ReadOnly`]. Even a store that would need a write
    /// first is read without one: a file left unclean (a crash, or a copy
    /// taken while custody was writing) is recovered in memory, and stale
    /// projections are folded from the chain instead of rebuilt. The next
    /// writer does both for good.
    pub fn open_read_only(dir: &Path) -> Result<Ledger, StoreError> {
        Ledger::open_with(dir, Access::Read)
    }

    fn open_with(dir: &Path, access: Access) -> Result<Ledger, StoreError> {
        let backend = Backend::open(dir, access)?;
        let damaged = |detail: String| StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail,
        };
        match backend.get(TreeId::Meta, MARKER_KEY)? {
            Some(v) if v == LAYOUT_VERSION => {}
            Some(v) => {
                return Err(damaged(format!(
                    "store layout {:?} is not one this build reads ({:?})",
                    String::from_utf8_lossy(&v),
                    String::from_utf8_lossy(LAYOUT_VERSION)
                )))
            }
            None if backend.opened_before() => {
                return Err(damaged(
                    "its custody marker is missing: the storage engine's files were cut short or overwritten (or `custody init` or `custody restore` was interrupted)".into(),
                ))
            }
            None => return Err(StoreError::NoLedger(dir.to_path_buf())),
        }
        let (_, last) = backend
            .last(TreeId::Entries)?
            .ok_or_else(|| damaged("it has no genesis entry".into()))?;
        let last = SignedEntry::decode(last)
            .map_err(|e| damaged(format!("its last entry does not decode: {e}")))?;
        let head = Head {
            seq: last.seq(),
            hash: last.hash(),
            recorded_at: last.body().recorded_at,
        };
        let mut registry = KeyRegistry::new();
        for item in backend.scan_from(TreeId::Governance, &[]) {
            let (k, _) = item?;
            let seq = u64::from_be_bytes(
                k.as_slice()
                    .try_into()
                    .map_err(|_| damaged("bad governance index key".into()))?,
            );
            let bytes = backend
                .get(TreeId::Entries, &seq_key(seq))?
                .ok_or_else(|| damaged(format!("governance entry {seq} is missing")))?;
            let entry = SignedEntry::decode(bytes)
                .map_err(|e| damaged(format!("governance entry {seq} does not decode: {e}")))?;
            registry
                .check(seq, &entry.body().signer, entry.event())
                .map_err(|e| damaged(format!("governance entry {seq} is not authorised: {e}")))?;
            registry.apply(seq, entry.event());
        }
        let mut ledger = Ledger {
            dir: dir.to_path_buf(),
            backend,
            head,
            registry,
            stale_projections: false,
        };
        // Projections committed with every append can only lag after a
        // crash of an older build or a change of projection rules; catch up.
        // A reader may not write: it folds statuses from the chain instead.
        if !ledger.projections_current()? {
            if ledger.backend.is_read_only() {
                ledger.stale_projections = true;
            } else {
                ledger.rebuild_projections(|_| {})?;
            }
        }
        Ok(ledger)
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last entry.
    pub fn head(&self) -> Head {
        self.head
    }

    /// Number of entries (the genesis included).
    pub fn len(&self) -> u64 {
        self.head.seq + 1
    }

    /// Never true: a ledger always has its genesis.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Who may sign what, as of the head.
    pub fn registry(&self) -> &KeyRegistry {
        &self.registry
    }

    /// The ledger's name (from its genesis).
    pub fn name(&self) -> &str {
        self.registry.ledger_name().unwrap_or_default()
    }

    /// Appends `events` as one batch signed by `key`, durably.
    ///
    /// All events are checked first; if any is refused, nothing is written
    /// and the error names its position. On success the entries are on disk
    /// (fsynced) before this returns, at the cost of one durable commit for
    /// the whole batch.
    pub fn append(
        &mut self,
        events: Vec<Event>,
        key: &SigningKey,
    ) -> Result<Vec<Appended>, AppendError> {
        let now = crate::clock::now();
        if now < self.head.recorded_at {
            return Err(AppendError::ClockBehind {
                now,
                last: self.head.recorded_at,
            });
        }
        self.append_at(events, key, now, false)
    }

    /// Checks, without writing anything, that `key` may append `event` next:
    /// the signer's role, the event's fields, and a correction's target (an
    /// evidence entry already in the store).
    ///
    /// `custody append` runs this over a whole input before committing any
    /// of it, so an input too large to commit in one step is still refused
    /// whole when any record of it would be refused. Evidence and corrections
    /// change no key, so checking each against the current registry is the
    /// same as checking it at its position in the batch; governance events
    /// are checked against the registry as of the head.
    ///
    /// A refusal is the inner `Err`; the outer one is a storage failure,
    /// which says nothing about the event.
    pub fn precheck(
        &self,
        event: &Event,
        key: &SigningKey,
    ) -> Result<Result<(), Refusal>, StoreError> {
        if let Err(e) = event.validate() {
            return Ok(Err(Refusal::Entry(e.into())));
        }
        let body = EntryBody {
            version: FORMAT_VERSION,
            seq: self.head.seq + 1,
            prev_hash: self.head.hash,
            recorded_at: self.head.recorded_at,
            signer: public_key_of(key),
            event: event.clone(),
        };
        match Batch::new(self, false).check(self, &body) {
            Ok(_) => Ok(Ok(())),
            Err(CheckError::Breach(b)) => Ok(Err(Refusal::Rule(b))),
            Err(CheckError::Lookup(e)) => Err(e),
        }
    }

    /// Signs `events` as the next entries (the genesis first if `first`)
    /// and commits them as one batch; see [`Batch`] for what is checked and
    /// written.
    fn append_at(
        &mut self,
        events: Vec<Event>,
        key: &SigningKey,
        recorded_at: Timestamp,
        first: bool,
    ) -> Result<Vec<Appended>, AppendError> {
        let signer = public_key_of(key);
        let mut batch = Batch::new(self, first);
        if first {
            batch
                .writes
                .insert(TreeId::Meta, MARKER_KEY, LAYOUT_VERSION);
        }
        for event in events {
            let body = EntryBody {
                version: FORMAT_VERSION,
                seq: batch.rules.next_seq(),
                prev_hash: batch.rules.prev_hash(),
                recorded_at,
                signer,
                event,
            };
            let persons = batch.check(self, &body).map_err(|e| match e {
                CheckError::Breach(b) => batch.refused(b.into()),
                CheckError::Lookup(s) => AppendError::Store(s),
            })?;
            let entry = SignedEntry::sign(body, key).map_err(|e| batch.refused(e.into()))?;
            batch.push(self, entry, persons)?;
        }
        Ok(batch.commit(self)?)
    }

    /// The event of the entry with hash `hash`, if the store has it.
    fn event_of(&self, hash: &EntryHash) -> Result<Option<Event>, StoreError> {
        let Some(seq) = self.seq_of(hash)? else {
            return Ok(None);
        };
        let entry = self.entry(seq)?.ok_or_else(|| StoreError::Damaged {
            dir: self.dir.clone(),
            detail: format!("the hash index names entry {seq}, which is missing"),
        })?;
        Ok(Some(entry.into_event()))
    }

    /// The sequence number of the entry with this hash.
    pub fn seq_of(&self, hash: &EntryHash) -> Result<Option<u64>, StoreError> {
        Ok(self
            .backend
            .get(TreeId::Hashes, &hash.0)?
            .and_then(|v| v.try_into().ok().map(u64::from_be_bytes)))
    }

    /// The stored bytes of entry `seq`.
    pub fn entry_bytes(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.backend.get(TreeId::Entries, &seq_key(seq))
    }

    /// Entry `seq`, decoded (its signature is not checked here: `verify`
    /// does that).
    pub fn entry(&self, seq: u64) -> Result<Option<SignedEntry>, StoreError> {
        match self.entry_bytes(seq)? {
            None => Ok(None),
            Some(b) => SignedEntry::decode(b)
                .map(Some)
                .map_err(|e| StoreError::Damaged {
                    dir: self.dir.clone(),
                    detail: format!("entry {seq} does not decode: {e}"),
                }),
        }
    }

    /// The stored bytes of every entry from `from` on, in chain order, with
    /// the sequence number each is stored under.
    pub fn entries_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        self.backend
            .scan_from(TreeId::Entries, &seq_key(from))
            .map(|r| {
                let (k, v) = r?;
                let seq = k
                    .as_slice()
                    .try_into()
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::Damaged {
                        dir: self.dir.clone(),
                        detail: "an entry key is not a sequence number".into(),
                    })?;
                Ok((seq, v))
            })
    }

    /// Sequence numbers of the genesis, every grant, revocation and
    /// checkpoint, ascending (from an index: no chain scan).
    pub fn governance_seqs(&self) -> Result<Vec<u64>, StoreError> {
        self.backend
            .scan_from(TreeId::Governance, &[])
            .map(|r| {
                let (k, _) = r?;
                k.as_slice()
                    .try_into()
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::Damaged {
                        dir: self.dir.clone(),
                        detail: "bad governance index key".into(),
                    })
            })
            .collect()
    }

    /// Sequence numbers of every entry about `person` (corrections of their
    /// entries included), ascending. Uses the person index: no chain scan.
    pub fn person_seqs(&self, person: &PersonId) -> Result<Vec<u64>, StoreError> {
        let mut prefix = person.as_str().as_bytes().to_vec();
        prefix.push(0);
        self.backend
            .scan_prefix(TreeId::Persons, &prefix)
            .map(|r| {
                let (k, _) = r?;
                let tail: [u8; 8] =
                    k[prefix.len()..]
                        .try_into()
                        .map_err(|_| StoreError::Damaged {
                            dir: self.dir.clone(),
                            detail: format!("a person index key for {person} is malformed"),
                        })?;
                Ok(u64::from_be_bytes(tail))
            })
            .collect()
    }

    fn nodes(&self) -> Nodes<'_> {
        Nodes {
            backend: &self.backend,
            dir: &self.dir,
            pending: None,
        }
    }

    fn check_size(&self, size: u64) -> Result<(), StoreError> {
        if size > self.len() {
            return Err(StoreError::Range(format!(
                "the ledger has {} entries; there is no tree of size {size}",
                self.len()
            )));
        }
        Ok(())
    }

    /// Appends a signed checkpoint of the whole ledger as it stands, signed
    /// by `key` (which must hold the `authority` role), and returns the
    /// checkpoint's entry and its signed note (C2SP tlog-checkpoint).
    pub fn checkpoint(&mut self, key: &SigningKey) -> Result<(Appended, String), AppendError> {
        let size = self.len();
        let root = self.merkle_root(size)?;
        let name = self.name().to_string();
        let text = custody_format::note::note_text(&name, size, &root);
        let signature = custody_format::note::sign_text(&text, key);
        let event = Event::Checkpoint(custody_format::event::Checkpoint {
            tree_size: size,
            root_hash: custody_format::event::Sha256Digest(root),
            note_signature: custody_format::event::SignatureBytes(signature),
        });
        let appended = self.append(vec![event], key)?;
        let public = public_key_of(key).0;
        let note = custody_format::note::signed_note(&text, &name, &public, &signature);
        Ok((appended[0], note))
    }

    /// The Merkle tree hash of the first `size` entries (RFC 9162 `MTH`).
    pub fn merkle_root(&self, size: u64) -> Result<merkle::Hash, StoreError> {
        self.check_size(size)?;
        merkle::root(&self.nodes(), size)
    }

    /// The inclusion proof of entry `seq` in the tree of the first `size`
    /// entries (RFC 9162 `PATH`).
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<merkle::Hash>, StoreError> {
        self.check_size(size)?;
        merkle::inclusion_proof(&self.nodes(), seq, size).map_err(proof_error)
    }

    /// The consistency proof from the tree of `old_size` entries to the tree
    /// of `new_size` entries (RFC 9162 `PROOF`).
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<merkle::Hash>, StoreError> {
        self.check_size(new_size)?;
        merkle::consistency_proof(&self.nodes(), old_size, new_size).map_err(proof_error)
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.backend.size_on_disk()
    }

    /// Gives the store's free pages back to the file system (like SQL's
    /// `VACUUM`): the file keeps the space of every page a commit replaced
    /// until a later commit reuses it, so after a large import it can be
    /// half free space. Entries, indexes and projections are not changed,
    /// and a crash midway leaves a whole store. Consumes the ledger: the
    /// file is final only once the store is closed. Returns the file's size
    /// before and after.
    pub fn compact(mut self) -> Result<(u64, u64), StoreError> {
        let before = self.size_on_disk()?;
        self.backend.compact()?;
        Ok((before, self.close()?))
    }

    /// Closes the store now instead of when the ledger is dropped, so that
    /// an error of the close is reported (a drop ignores it), and returns
    /// the size of the store's file once closed. Nothing acknowledged
    /// depends on the close: every append was durable when it returned.
    pub fn close(self) -> Result<u64, StoreError> {
        let dir = self.dir;
        self.backend.close()?;
        backend::size_of_store(&dir)
    }
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
///   `corrected` indexes, and the registry as of the entry;
/// - [`Batch::commit`] adds the re-folded statuses of the persons touched
///   (`project_batch`) and writes it all in one durable commit.
struct Batch {
    /// The chain rules as of the batch's last entry (where the chain is,
    /// who may sign).
    rules: ChainRules,
    /// The batch's entries' hashes, with their positions in `entries`.
    hashes: HashMap<EntryHash, usize>,
    /// Targets corrected in the batch, with the seq of their correction.
    corrected: HashMap<EntryHash, u64>,
    /// Each person the batch is about, with positions in `entries`.
    touched: BTreeMap<PersonId, Vec<usize>>,
    entries: Vec<SignedEntry>,
    /// Merkle nodes completed by the batch, not yet in the store.
    nodes: HashMap<(u8, u64), merkle::Hash>,
    writes: WriteSet,
}

impl Batch {
    /// An empty batch that continues `ledger` (or starts it with a genesis,
    /// if `first`).
    fn new(ledger: &Ledger, first: bool) -> Batch {
        let rules = if first {
            ChainRules::default()
        } else {
            let h = ledger.head;
            ChainRules::resume((h.seq, h.hash, h.recorded_at), ledger.registry.clone())
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
    fn refused(&self, reason: Refusal) -> AppendError {
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
    fn check(
        &self,
        ledger: &Ledger,
        body: &EntryBody,
    ) -> Result<Vec<PersonId>, CheckError<StoreError>> {
        let targets = StoreTargets {
            ledger,
            batch: self,
        };
        let nodes = self.nodes(ledger);
        let seq = body.seq;
        let root = || merkle::root(&nodes, seq);
        self.rules.check(body, &targets, Some(&root))?;
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
    fn push(
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
    fn commit(mut self, ledger: &mut Ledger) -> Result<Vec<Appended>, StoreError> {
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
        ledger.registry = self.rules.registry().clone();
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
struct StoreTargets<'a> {
    ledger: &'a Ledger,
    batch: &'a Batch,
}

impl Targets for StoreTargets<'_> {
    type Error = StoreError;

    fn target(&self, target: &EntryHash) -> Result<TargetState, StoreError> {
        let corrected = match self.batch.corrected.get(target) {
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
        let event = match self.batch.hashes.get(target) {
            Some(&i) => Some(self.batch.entries[i].event().clone()),
            None => self.ledger.event_of(target)?,
        };
        Ok(match event {
            None => TargetState::Unknown,
            Some(e) if e.is_evidence() => TargetState::Evidence,
            Some(e) => TargetState::NotEvidence(e.type_name()),
        })
    }
}
