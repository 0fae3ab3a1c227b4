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
mod batch;
mod bundle;
mod check;
mod consistency;
mod disclosed;
mod error;
mod extend;
mod group;
mod id_log;
mod map;
mod restore;
mod statements;
pub use backend::panic_is_contained;
pub use bundle::{AnchorNote, BundleBuildError};
pub use check::{DerivedReport, Mismatch, RowProblem, Table};
pub use error::{AppendError, Refusal, StoreError};
pub use extend::ExtendError;
pub(crate) use group::LedgerState;
pub use group::{GroupCommit, Submission};
pub use map::SealedCheckpoint;
pub use restore::{Left, RestoreCause, RestoreError, RestoreItem, RestoreOptions, RESTORE_CHUNK};
pub use statements::{Registered, Submitted};
mod projections;

use crate::keyfile::public_key_of;
use crate::merkle;
use backend::{Access, Backend, TreeId, WriteSet};
use batch::Batch;
use custody_format::entry::{
    EntryBody, SignedEntry, FORMAT_VERSION, GENESIS_PREV_HASH, VERSION_1, VERSION_3,
};
use custody_format::event::{EntryHash, Event, Genesis, PersonId};
use custody_format::registry::KeyRegistry;
use custody_format::rules::{ChainRules, CheckError, HeadFacts};
use custody_format::time::Timestamp;
use ed25519_dalek::SigningKey;
use error::proof_error;
use restore::prepare_new_dir;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Marker stored in the meta tree: this database is a custody ledger.
const MARKER_KEY: &[u8] = b"custody";
/// Layout version of the trees (not of the entry format, which each entry
/// carries). Bump when the indexes change shape. 1 was the sled layout of
/// the first development builds; 2 is the redb tables of `backend`; 3 adds
/// the person map and the governance stream (`map`), which a writable open
/// of a layout-2 store derives in one commit; 4 adds the `disclosures`,
/// `statements` and `redacted` tables of format v3 (`disclosed`), which a
/// writable open of a layout-3 store creates empty in one commit (a v1 or
/// v2 chain has no commitments, statements or redactions); 5 moves the
/// checkpoints out of the governance index into their own (`checkpoints`),
/// which a writable open of an older store does in one commit; 6 adds the
/// person map's node log (`map_node_log`, see `map`): `map_nodes` is then
/// up to date only with the log applied over it, which a build of layout 5
/// would not do, so it must refuse such a store. A writable open of a
/// layout-5 store makes the (empty) log table and the new marker in one
/// commit.
const LAYOUT_VERSION: &[u8] = b"6";
/// The layout before the node log: still read (its `map_nodes` is up to
/// date), and upgraded on the first writable open.
const LAYOUT_5: &[u8] = b"5";
/// The layout whose governance index also lists checkpoints: still read,
/// and upgraded on the first writable open.
const LAYOUT_4: &[u8] = b"4";
/// The layout before format v3's tables: still read (it has none of their
/// rows), and upgraded on the first writable open.
const LAYOUT_3: &[u8] = b"3";
/// The layout before the person map: still read, and upgraded on the first
/// writable open.
const LAYOUT_2: &[u8] = b"2";

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

/// An open ledger. Holds the store's lock until dropped.
pub struct Ledger {
    dir: PathBuf,
    backend: Backend,
    head: Head,
    /// The chain rules as of the head (where the chain is, who may sign):
    /// what `precheck` checks against, and what a batch starts from.
    rules: ChainRules,
    /// The stored statuses lag the chain or follow older rules, and this
    /// read-only handle may not rebuild them: statuses are folded from the
    /// chain instead of read (see `projections`).
    stale_projections: bool,
    /// The caller confirmed a clock more than a year past the last entry.
    clock_confirmed: bool,
    /// The store has the person map (layout 3). False only for a layout-2
    /// store opened read-only, which serves every read but those that need
    /// the map ([`StoreError::MapNotBuilt`]).
    map_ready: bool,
    /// The store has format v3's tables (layout 4). False only for an
    /// older store opened read-only, whose chain holds no v3 entry.
    v3_tables: bool,
    /// The store indexes checkpoints apart from governance (layout 5).
    /// False only for an older store opened read-only, whose governance
    /// index lists its checkpoints.
    checkpoint_index: bool,
    /// The store has the person map's node log (layout 6). False only for
    /// an older store opened read-only, which has no log to read.
    node_log: bool,
    /// The map nodes the log holds, newer than `map_nodes` (`map`).
    /// Shared with a [`map::LogsAhead`] while a commit is on its way.
    map_log: std::sync::Arc<std::sync::Mutex<map::MapLog>>,
    /// This handle keeps the whole person map in memory
    /// ([`Ledger::keep_whole_map`], `map`).
    whole_map: bool,
    /// The store has the id log (layout 6). False for an older store
    /// opened read-only, and for a layout-6 store made before the log:
    /// every id is then in its table, and this handle writes it there.
    id_log: bool,
    /// The ids the log holds, not yet in their tables (`id_log`).
    /// Shared with a [`map::LogsAhead`] while a commit is on its way.
    id_log_cache: std::sync::Arc<std::sync::Mutex<id_log::IdLog>>,
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
/// written before they are committed. Its table reader is made once, on
/// the first read, for every read through this value (a proof or a root
/// reads dozens of nodes). The snapshot already opens each table once
/// (`backend::Snapshot`); what this saves now is the reader's copy of the
/// pending layers' handles, per node read.
struct Nodes<'a> {
    backend: &'a Backend,
    dir: &'a Path,
    pending: Option<&'a HashMap<(u8, u64), merkle::Hash>>,
    table: std::cell::OnceCell<backend::TableReader<'a>>,
}

impl<'a> Nodes<'a> {
    fn new(
        backend: &'a Backend,
        dir: &'a Path,
        pending: Option<&'a HashMap<(u8, u64), merkle::Hash>>,
    ) -> Nodes<'a> {
        Nodes {
            backend,
            dir,
            pending,
            table: std::cell::OnceCell::new(),
        }
    }

    fn table(&self) -> Result<&backend::TableReader<'a>, StoreError> {
        if self.table.get().is_none() {
            let _ = self.table.set(self.backend.reader(TreeId::Merkle)?);
        }
        Ok(self.table.get().expect("set above"))
    }
}

impl merkle::NodeSource for Nodes<'_> {
    type Error = StoreError;
    fn node(&self, level: u8, index: u64) -> Result<merkle::Hash, StoreError> {
        if let Some(h) = self.pending.and_then(|p| p.get(&(level, index))) {
            return Ok(*h);
        }
        let v = self
            .table()?
            .get(&node_key(level, index))?
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

fn person_key(person: &PersonId, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(person.as_str().len() + 9);
    k.extend_from_slice(person.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Why a ledger name cannot be a C2SP checkpoint origin, if it cannot:
/// printable ASCII without spaces or `+` (c2sp.org/signed-note), so every
/// checkpoint the ledger issues can be checked by other tools.
fn origin_problem(name: &str) -> Option<String> {
    name.chars()
        .find(|c| !c.is_ascii_graphic() || *c == '+')
        .map(|c| {
            format!(
                "contains {c:?}; a ledger name is the origin of its checkpoints and must be printable ASCII without spaces or '+' (for example example.org/pow-register)"
            )
        })
}

/// The governance stream as the store's index lists it, checked entry by
/// entry against what the entries themselves say (their links, and every
/// seal's count and head).
#[derive(Default)]
struct GovernanceWalk {
    head: Option<custody_format::map_hash::MapValue>,
}

/// What an open found of the store's layout: the tables it has, after
/// upgrading a writable older store in one commit.
struct Layout {
    map_ready: bool,
    v3_tables: bool,
    checkpoint_index: bool,
    node_log: bool,
    id_log: bool,
}

/// Reads the layout marker; upgrades an older store opened to write.
fn open_layout(backend: &Backend, dir: &Path) -> Result<Layout, StoreError> {
    let damaged = |detail: String| StoreError::Damaged {
        dir: dir.to_path_buf(),
        detail,
    };
    let mut map_ready = true;
    let mut v3_tables = true;
    let mut checkpoint_index = true;
    let mut node_log = true;
    match backend.get(TreeId::Meta, MARKER_KEY)? {
        Some(v) if v == LAYOUT_VERSION => {}
        Some(v) if v == LAYOUT_5 && backend.is_read_only() => node_log = false,
        Some(v) if v == LAYOUT_5 => {
            // A commit opens (so creates) every table: the log comes into
            // being empty with the new marker.
            let mut writes = WriteSet::new();
            writes.insert(TreeId::Meta, MARKER_KEY, LAYOUT_VERSION);
            backend.commit(writes)?;
        }
        Some(v) if v == LAYOUT_4 && backend.is_read_only() => {
            checkpoint_index = false;
            node_log = false;
        }
        Some(v) if v == LAYOUT_3 && backend.is_read_only() => {
            v3_tables = false;
            checkpoint_index = false;
            node_log = false;
        }
        Some(v) if v == LAYOUT_4 || v == LAYOUT_3 => {
            // A commit opens (so creates) every table: format v3's
            // come into being empty with the new marker, and the
            // checkpoints move to theirs in the same commit.
            let mut writes = split_checkpoints(backend, dir)?;
            writes.insert(TreeId::Meta, MARKER_KEY, LAYOUT_VERSION);
            backend.commit(writes)?;
        }
        Some(v) if v == LAYOUT_2 && backend.is_read_only() => {
            map_ready = false;
            v3_tables = false;
            checkpoint_index = false;
            node_log = false;
        }
        Some(v) if v == LAYOUT_2 => {
            // The map and the governance stream, derived in the same
            // commit as the new marker: a crash leaves layout 2, whole.
            let mut writes = map::derive(backend, dir)?;
            writes.extend(split_checkpoints(backend, dir)?);
            writes.insert(TreeId::Meta, MARKER_KEY, LAYOUT_VERSION);
            backend.commit(writes)?;
        }
        Some(v) => {
            return Err(damaged(format!(
                "store layout {:?} is not one this build reads ({:?})",
                String::from_utf8_lossy(&v),
                String::from_utf8_lossy(LAYOUT_VERSION)
            )))
        }
        None if backend.opened_before() => {
            return Err(damaged(
                "its custody marker is missing: the storage engine's files were cut short or overwritten, or the store's creation or restore was interrupted".into(),
            ))
        }
        None => return Err(StoreError::NoLedger(dir.to_path_buf())),
    }
    // A store of an older layout, opened read-only, has no node log
    // (unless it was made from a newer one, as tests do: then it is read).
    let node_log = node_log || backend.has_table(TreeId::MapNodeLog)?;
    // The id log came into layout 6 after the node log: a layout-6 store
    // made before it keeps every id in its table, as older layouts do, and
    // is read (and written) so until a later open finds the table, which
    // its first commit creates, empty.
    let id_log = backend.has_table(TreeId::IdLog)?;
    Ok(Layout {
        map_ready,
        v3_tables,
        checkpoint_index,
        node_log,
        id_log,
    })
}

/// The writes that move every checkpoint row of the governance index (a
/// store of layout 4 or older) to the checkpoint index: one read of each
/// row's entry, once, at the upgrade.
fn split_checkpoints(backend: &Backend, dir: &Path) -> Result<WriteSet, StoreError> {
    let damaged = |detail: String| StoreError::Damaged {
        dir: dir.to_path_buf(),
        detail,
    };
    let mut writes = WriteSet::new();
    for item in backend.scan_from(TreeId::Governance, &[]) {
        let (k, _) = item?;
        let bytes = backend
            .get(TreeId::Entries, &k)?
            .ok_or_else(|| damaged("an entry the governance index names is missing".into()))?;
        let entry = SignedEntry::decode(bytes).map_err(|e| {
            damaged(format!(
                "an entry the governance index names does not decode: {e}"
            ))
        })?;
        if matches!(entry.event(), Event::Checkpoint(_)) {
            writes.remove(TreeId::Governance, &k);
            writes.insert(TreeId::Checkpoints, &k, &[]);
        }
    }
    Ok(writes)
}

impl GovernanceWalk {
    /// The walk so far (every governance entry before the seal at `at`)
    /// against what that seal counts.
    fn check_seal(&self, at: u64, seal: &custody_format::event::Seal) -> Result<(), String> {
        let ours = self.head.map(|h| (h.count, h.head));
        if ours != Some((seal.gov_count, seal.gov_head)) {
            return Err(format!(
                "the seal at seq {at} counts {} governance entries up to {}, but the governance index lists {} before it: an index row is missing",
                seal.gov_count,
                seal.gov_head,
                self.head.map_or(0, |h| h.count)
            ));
        }
        Ok(())
    }

    fn step(
        &mut self,
        entry: &SignedEntry,
        seal_before: Option<&custody_format::event::Seal>,
    ) -> Result<(), String> {
        let seq = entry.seq();
        if let Some(seal) = seal_before {
            self.check_seal(seq - 1, seal)?;
        }
        if !entry.event().is_governance() {
            return Ok(());
        }
        let link = custody_format::stream::Link {
            seq,
            hash: entry.hash(),
        };
        if entry.body().version >= custody_format::entry::VERSION_2 {
            let named = entry.body().links.first().copied().flatten();
            let listed = self.head.map(|h| h.head);
            if named != listed {
                return Err(format!(
                    "governance entry {seq} links to {}, but the governance index lists {} before it: an index row is missing",
                    named.map_or("nothing".into(), |l| l.to_string()),
                    listed.map_or("nothing".into(), |l| l.to_string())
                ));
            }
        }
        self.head = Some(custody_format::map_hash::MapValue {
            count: self.head.map_or(0, |h| h.count) + 1,
            head: link,
        });
        Ok(())
    }
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
            rules: ChainRules::default(),
            stale_projections: false,
            clock_confirmed: false,
            map_ready: true,
            v3_tables: true,
            checkpoint_index: true,
            node_log: true,
            map_log: Default::default(),
            whole_map: false,
            id_log: true,
            id_log_cache: Default::default(),
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
        let genesis = Event::Genesis(Genesis {
            ledger_name: ledger_name.to_string(),
            authority_key: public_key_of(authority),
            authority_holder: authority_holder.to_string(),
        });
        // Everything that can be refused is refused before the directory
        // is touched.
        let refused = |e: custody_format::event::FieldError| AppendError::Refused {
            index: 0,
            reason: Refusal::Entry(e.into()),
        };
        genesis.validate().map_err(refused)?;
        if let Some(problem) = origin_problem(ledger_name) {
            return Err(refused(custody_format::event::FieldError::new(
                "ledger_name",
                problem,
            )));
        }
        let fresh = prepare_new_dir(dir)?;
        let made = Backend::open(dir, Access::Create)
            .map_err(AppendError::from)
            .and_then(|backend| {
                let mut ledger = Ledger::new_store(dir, backend);
                let appended =
                    ledger.append_at(vec![genesis], authority, crate::clock::now(), true)?;
                Ok((ledger, appended[0]))
            });
        if made.is_err() {
            // The store is closed (dropped) by now: leave nothing behind.
            let _ = restore::remove_new_store(dir, &fresh);
        }
        made
    }

    /// True if `dir` holds a store's files (a ledger, or what is left of
    /// one): nothing but the store should ever write there.
    pub fn is_store_dir(dir: &Path) -> bool {
        backend::looks_like_store(dir) || dir.join(backend::LOCK_FILE).exists()
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
        let Layout {
            map_ready,
            v3_tables,
            checkpoint_index,
            node_log,
            id_log,
        } = open_layout(&backend, dir)?;
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
        // The registry append signs with, replayed from the governance
        // index; the index is derived, so it is checked against what the
        // signed entries say of it: each v2 governance entry links to the
        // one before it, every seal counts them, and the governance row of
        // the map ends where the index ends. A deleted row (a revocation
        // hidden so that a revoked key could sign) makes the store damaged
        // rather than let `append` sign with a key the chain revoked.
        let mut registry = KeyRegistry::new();
        let mut gov = GovernanceWalk::default();
        let read = |seq: u64| -> Result<SignedEntry, StoreError> {
            let bytes = backend
                .get(TreeId::Entries, &seq_key(seq))?
                .ok_or_else(|| damaged(format!("governance entry {seq} is missing")))?;
            SignedEntry::decode(bytes)
                .map_err(|e| damaged(format!("entry {seq} does not decode: {e}")))
        };
        // Layout 5 keeps checkpoints out of the governance index, so the
        // walk below meets no seal; it is checked against the last one (a
        // seal counts every governance entry before it, so a row missing
        // anywhere before it shows there), before the first governance
        // entry after it.
        let mut last_seal = match checkpoint_index {
            false => None,
            true => match backend.last(TreeId::Checkpoints)? {
                None => None,
                Some((k, _)) => {
                    let cp = u64::from_be_bytes(
                        k.as_slice()
                            .try_into()
                            .map_err(|_| damaged("bad checkpoint index key".into()))?,
                    );
                    // A row naming anything but a checkpoint would switch
                    // the seal check off: damage, not a ledger without seals.
                    if !matches!(read(cp)?.event(), Event::Checkpoint(_)) {
                        return Err(damaged(format!(
                            "the checkpoint index's last row names entry {cp}, which is not a checkpoint: the index was edited"
                        )));
                    }
                    match read(cp.saturating_sub(1))?.into_event() {
                        Event::Seal(s) if cp > 0 => Some((cp - 1, s)),
                        // A version 1 checkpoint: its ledger had no seals.
                        _ => None,
                    }
                }
            },
        };
        for item in backend.scan_from(TreeId::Governance, &[]) {
            let (k, _) = item?;
            let seq = u64::from_be_bytes(
                k.as_slice()
                    .try_into()
                    .map_err(|_| damaged("bad governance index key".into()))?,
            );
            if last_seal.as_ref().is_some_and(|(s, _)| seq > *s) {
                let (at, seal) = last_seal.take().expect("checked above");
                gov.check_seal(at, &seal).map_err(damaged)?;
            }
            let entry = read(seq)?;
            registry
                .check(seq, &entry.body().signer, entry.event())
                .map_err(|e| damaged(format!("governance entry {seq} is not authorised: {e}")))?;
            registry.apply(seq, entry.event());
            let seal = match entry.event() {
                Event::Checkpoint(_) if seq > 0 => match read(seq - 1)?.into_event() {
                    Event::Seal(s) => Some(s),
                    _ => None,
                },
                _ => None,
            };
            gov.step(&entry, seal.as_ref()).map_err(damaged)?;
        }
        if let Some((at, seal)) = last_seal {
            gov.check_seal(at, &seal).map_err(damaged)?;
        }
        if map_ready {
            let stored = backend.get(TreeId::Meta, map::GOV_KEY)?;
            let expected = gov.head.map(|h| map::encode_value(&h).to_vec());
            if stored != expected {
                return Err(damaged(format!(
                    "the governance index ends at {} entries, but the map's governance row says otherwise: an index row is missing or the row was edited",
                    gov.head.map_or(0, |h| h.count)
                )));
            }
        }
        let mut ledger = Ledger {
            dir: dir.to_path_buf(),
            backend,
            head,
            rules: ChainRules::resume(HeadFacts::of(last.body(), last.hash()), registry),
            stale_projections: false,
            clock_confirmed: false,
            map_ready,
            v3_tables,
            checkpoint_index,
            node_log,
            map_log: Default::default(),
            whole_map: false,
            id_log,
            id_log_cache: Default::default(),
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

    /// Confirms that this machine's clock is right even though it is more
    /// than a year past the last entry (a ledger left idle that long):
    /// appends through this handle no longer refuse with
    /// [`AppendError::ClockAhead`].
    pub fn confirm_clock(&mut self) {
        self.clock_confirmed = true;
    }

    /// Who may sign what, as of the head.
    pub fn registry(&self) -> &KeyRegistry {
        self.rules.registry()
    }

    /// The ledger's name (from its genesis).
    pub fn name(&self) -> &str {
        self.rules.registry().ledger_name().unwrap_or_default()
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
        let now = self.clock()?;
        self.append_at(events, key, now, false)
    }

    /// This machine's clock, refused if it is behind the last entry, or
    /// more than a year ahead of it unconfirmed.
    fn clock(&self) -> Result<Timestamp, AppendError> {
        let now = crate::clock::now();
        let last = self.head.recorded_at;
        if now < last {
            return Err(AppendError::ClockBehind { now, last });
        }
        if !self.clock_confirmed && now.0 - last.0 > crate::clock::MAX_UNCONFIRMED_JUMP_MICROS {
            return Err(AppendError::ClockAhead { now, last });
        }
        Ok(now)
    }

    /// Records a clock correction signed by `key` (which must hold
    /// `authority`): the entries from `since` on were recorded by a wrong
    /// clock (docs/FORMAT.md §12.8). `since` defaults to the first of the
    /// latest entries recorded later than this machine's clock. Unlike
    /// [`Ledger::append`], the correction is recorded at this machine's
    /// time even though that is earlier than the last entry's: that is its
    /// point. Returns the entry and the `since` it states.
    pub fn correct_clock(
        &mut self,
        since: Option<u64>,
        reason: String,
        key: &SigningKey,
    ) -> Result<(Appended, u64), AppendError> {
        let now = crate::clock::now();
        let last = self.head.recorded_at;
        let since = match since {
            Some(s) => s,
            None => {
                // Walk back from the head over the entries recorded after
                // `now` (usually a few: the wrong clock's).
                let mut first = None;
                let mut seq = self.head.seq;
                while let Some(e) = self.entry(seq)? {
                    if e.body().recorded_at <= now {
                        break;
                    }
                    first = Some(seq);
                    if seq == 0 {
                        break;
                    }
                    seq -= 1;
                }
                first.ok_or(AppendError::NothingToCorrect { now, last })?
            }
        };
        let event =
            Event::ClockCorrection(custody_format::event::ClockCorrection { since, reason });
        let appended = self.append_at(vec![event], key, now, false)?;
        Ok((appended[0], since))
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
        // Against the rules at the head, borrowed: this runs once per
        // record of a large input, and a batch would clone the registry.
        let targets = batch::StoreTargets {
            ledger: self,
            batch: None,
        };
        // A layout-2 store read without its map holds version 1 entries
        // only: a version 1 body is checked there (the links are the
        // store's to compute, not the event's to get right).
        let (version, links) = if self.map_ready {
            (FORMAT_VERSION, batch::links_for(&targets, event)?)
        } else {
            (VERSION_1, vec![])
        };
        // The rules read a body in the form the store will write: its
        // personal fields committed (with a throwaway salt: nothing of it
        // is kept).
        let mut event = event.clone();
        if version >= VERSION_3 {
            let zero = |_| custody_format::commit::Salt([0; 32]);
            if let Err(e) = custody_format::commit::commit_event(&mut event, zero) {
                return Ok(Err(Refusal::Entry(e.into())));
            }
        }
        let body = EntryBody {
            version,
            links,
            seq: self.head.seq + 1,
            prev_hash: self.head.hash,
            recorded_at: self.head.recorded_at,
            signer: public_key_of(key),
            event,
        };
        match self.rules.check(&body, &targets, None, None) {
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
        let mut batch = Batch::new(self, first);
        if first {
            batch
                .writes
                .insert(TreeId::Meta, MARKER_KEY, LAYOUT_VERSION);
        }
        for event in events {
            self.push_event(&mut batch, event, key, recorded_at)?;
        }
        Ok(batch.commit(self)?)
    }

    /// Signs `event` as the batch's next entry, in the current format:
    /// its links are the heads of its streams as of the batch so far.
    fn push_event(
        &self,
        batch: &mut Batch,
        mut event: Event,
        key: &SigningKey,
        recorded_at: Timestamp,
    ) -> Result<(), AppendError> {
        // Format v3: every personal field becomes a salted commitment, and
        // its cleartext and salt are kept beside the entry, in the same
        // commit (docs/design/format-v3.md §3, §8).
        let disclosures = if FORMAT_VERSION >= VERSION_3 {
            crate::input::commit_fresh(&mut event).map_err(|e| match e {
                crate::input::CommitError::Field(f) => batch.refused(Refusal::Entry(f.into())),
                crate::input::CommitError::Random(r) => AppendError::Store(StoreError::Random(r)),
            })?
        } else {
            Vec::new()
        };
        let links = batch::links_for(
            &batch::StoreTargets {
                ledger: self,
                batch: Some(batch),
            },
            &event,
        )?;
        let body = EntryBody {
            version: FORMAT_VERSION,
            links,
            seq: batch.rules.next_seq(),
            prev_hash: batch.rules.prev_hash(),
            recorded_at,
            signer: public_key_of(key),
            event,
        };
        let checked = batch.check(self, &body).map_err(|e| match e {
            CheckError::Breach(b) => batch.refused(b.into()),
            CheckError::Lookup(s) => AppendError::Store(s),
        })?;
        let entry = SignedEntry::sign(body, key).map_err(|e| batch.refused(e.into()))?;
        let seq = entry.seq();
        batch.push(self, entry, checked)?;
        batch.disclose(seq, disclosures);
        Ok(())
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
        if let Some(seq) = self.logged_id(id_log::IdKind::EntryHash, &hash.0)? {
            return Ok(Some(seq));
        }
        Ok(self
            .backend
            .get(TreeId::Hashes, &hash.0)?
            .and_then(|v| v.try_into().ok().map(u64::from_be_bytes)))
    }

    /// Up to `limit` entries whose hash starts with `hex_prefix` (hex
    /// digits, any case, any length up to 64), as `(seq, hash)` in hash
    /// order: how an entry named by the first digits of its hash is found,
    /// from the hash index (no chain scan). A prefix that is not hex finds
    /// nothing.
    pub fn hashes_with_prefix(
        &self,
        hex_prefix: &str,
        limit: usize,
    ) -> Result<Vec<(u64, EntryHash)>, StoreError> {
        let nibbles: Option<Vec<u8>> = hex_prefix
            .chars()
            .map(|c| c.to_digit(16).map(|d| d as u8))
            .collect();
        let Some(nibbles) = nibbles.filter(|n| n.len() <= 64) else {
            return Ok(vec![]);
        };
        let whole: Vec<u8> = nibbles
            .chunks_exact(2)
            .map(|pair| pair[0] << 4 | pair[1])
            .collect();
        let odd = (nibbles.len() % 2 == 1).then(|| nibbles[nibbles.len() - 1]);
        // The log's, then the table's up to the limit; together in hash
        // order, the first `limit` kept (an id is in one place only).
        let mut found: Vec<(u64, EntryHash)> = self
            .logged_hashes_with_prefix(&whole, odd)?
            .into_iter()
            .map(|(h, seq)| (seq, EntryHash(h)))
            .collect();
        let mut from_table = 0;
        for row in self.backend.scan_prefix(TreeId::Hashes, &whole) {
            let (k, v) = row?;
            if odd.is_some_and(|n| k.get(whole.len()).map(|b| b >> 4) != Some(n)) {
                continue;
            }
            let damaged = || StoreError::Damaged {
                dir: self.dir.clone(),
                detail: "a hash index row is malformed".into(),
            };
            let hash = EntryHash(k.as_slice().try_into().map_err(|_| damaged())?);
            let seq = u64::from_be_bytes(v.as_slice().try_into().map_err(|_| damaged())?);
            found.push((seq, hash));
            from_table += 1;
            if from_table >= limit {
                break;
            }
        }
        // An id in both places (damage `verify --store` names) is one hit.
        found.sort_unstable_by_key(|(seq, h)| (h.0, *seq));
        found.dedup();
        found.truncate(limit);
        Ok(found)
    }

    /// Calls `f` with the id of every person any entry concerns (those
    /// whose every entry was retracted included), in id order, one at a
    /// time (memory does not grow with the number of persons). Cost: one
    /// read of the person index's keys, about 0.2 s for the 1.1 million
    /// entries of 100,000 persons (docs/BENCHMARKS.md).
    pub fn for_each_person_id(&self, mut f: impl FnMut(&str)) -> Result<(), StoreError> {
        // The person index (`person ‖ 0 ‖ seq` keys, empty values) is a
        // fifth of the status table's size on disk: its keys alone are read,
        // each person's run reported once.
        let mut last: Vec<u8> = Vec::new();
        for row in self.backend.scan_keys_from(TreeId::Persons, &[]) {
            let (k, _) = row?;
            let id = k.split(|b| *b == 0).next().unwrap_or_default();
            if id != last.as_slice() {
                f(&String::from_utf8_lossy(id));
                last.clear();
                last.extend_from_slice(id);
            }
        }
        Ok(())
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

    /// Sequence numbers of the genesis, every grant and revocation,
    /// ascending (from an index: no chain scan). A store of layout 4 or
    /// older opened read-only lists its checkpoints here too: a caller that
    /// wants governance alone checks each entry's type.
    pub fn governance_seqs(&self) -> Result<Vec<u64>, StoreError> {
        self.index_seqs(TreeId::Governance)
    }

    /// Sequence numbers of every checkpoint, ascending (from an index: no
    /// chain scan). A store of layout 4 or older opened read-only lists
    /// its governance entries here too: a caller checks each entry's type.
    pub fn checkpoint_seqs(&self) -> Result<Vec<u64>, StoreError> {
        self.index_seqs(self.checkpoint_tree())
    }

    /// The index that lists checkpoints.
    fn checkpoint_tree(&self) -> TreeId {
        if self.checkpoint_index {
            TreeId::Checkpoints
        } else {
            TreeId::Governance
        }
    }

    fn index_seqs(&self, tree: TreeId) -> Result<Vec<u64>, StoreError> {
        self.backend
            .scan_keys_from(tree, &[])
            .map(|r| self.seq_of_key(tree, r?.0))
            .collect()
    }

    /// Sequence numbers of every checkpoint, from the latest down, read
    /// lazily: what a search for the latest checkpoint walks (a server adds
    /// one per group commit, up to millions a day; collecting them first
    /// would make every group's commit as slow as the index is long). As
    /// [`Ledger::checkpoint_seqs`], an older store opened read-only lists
    /// governance entries here too.
    pub fn checkpoint_seqs_back(&self) -> impl Iterator<Item = Result<u64, StoreError>> + '_ {
        let tree = self.checkpoint_tree();
        self.backend
            .scan_keys_back(tree)
            .map(move |r| self.seq_of_key(tree, r?.0))
    }

    /// The seq an index row's key names.
    fn seq_of_key(&self, tree: TreeId, key: Vec<u8>) -> Result<u64, StoreError> {
        key.as_slice()
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Damaged {
                dir: self.dir.clone(),
                detail: format!("bad {} index key", tree.name()),
            })
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

    /// The tree's complete nodes (`merkle`'s storage model), for computing
    /// tiles and proofs outside the store.
    pub fn merkle_nodes(&self) -> impl merkle::NodeSource<Error = StoreError> + '_ {
        self.nodes()
    }

    fn nodes(&self) -> Nodes<'_> {
        Nodes::new(&self.backend, &self.dir, None)
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

    /// Appends a seal and a signed checkpoint of the whole ledger as it
    /// then stands, both signed by `key` (which must hold the `authority`
    /// role), in one batch and one durable commit, and returns the
    /// checkpoint's entry and its signed note (C2SP tlog-checkpoint).
    ///
    /// The seal (format v2) states the person map's root and the
    /// governance stream's length and head over every entry before it; the
    /// checkpoint, the entry after it, covers every entry before it, the
    /// seal included (its tree size is its own seq). A refusal names the
    /// seal as event 0 and the checkpoint as event 1.
    pub fn checkpoint(&mut self, key: &SigningKey) -> Result<(Appended, String), AppendError> {
        let now = self.clock()?;
        let mut batch = Batch::new(self, false);
        let note = self.push_seal_and_checkpoint(&mut batch, key, now)?;
        let appended = batch.commit(self)?;
        Ok((appended[1], note))
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

    /// [`Ledger::inclusion_proof`] of each of `seqs` in the tree of `size`
    /// entries, the subtree hashes their paths share read once (a group
    /// commit's receipts).
    pub fn inclusion_proofs(
        &self,
        seqs: &[u64],
        size: u64,
    ) -> Result<Vec<Vec<merkle::Hash>>, StoreError> {
        self.check_size(size)?;
        merkle::inclusion_proofs(&self.nodes(), seqs, size).map_err(proof_error)
    }

    /// The stored bytes of each of the entries at `seqs` (`None` for a seq
    /// past the head), the table opened once.
    pub fn entries_bytes(&self, seqs: &[u64]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let entries = self.backend.reader(TreeId::Entries)?;
        seqs.iter().map(|&seq| entries.get(&seq_key(seq))).collect()
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
    /// `VACUUM`) by rewriting it: every live row is copied into a new file,
    /// checked against the old, and renamed over it (`backend::rewrite`,
    /// which gives the crash-safety argument). The file keeps the space of
    /// every page a commit replaced, and the bytes in it, until a later
    /// commit reuses it; the new file holds none of them, so no byte of a
    /// deleted row survives a compaction. Entries, indexes and projections
    /// are not changed, and a crash midway leaves the old store or the new
    /// one, whole. Consumes the ledger (it is closed when this returns).
    /// Returns the file's size before and after.
    pub fn compact(self) -> Result<(u64, u64), StoreError> {
        let before = self.size_on_disk()?;
        let dir = self.dir;
        self.backend.rewrite()?;
        Ok((before, backend::size_of_store(&dir)?))
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

#[cfg(test)]
impl Ledger {
    /// Turns this store back into an older layout's, for the upgrade
    /// tests: both logs (layout 6) merged into the tables older layouts
    /// keep every node and id in, the log tables and `extra` dropped, and
    /// the marker set to `marker`. The handle must be dropped after.
    pub(super) fn back_to_layout(&self, marker: &[u8], extra: &[TreeId]) {
        let mut w = WriteSet::new();
        for ((d, p), h) in self.logged_nodes().unwrap().0 {
            w.insert(TreeId::MapNodes, &map::node_row_key(&p, d), &h);
        }
        for ((kind, id), seq) in self.logged_ids().unwrap().0 {
            w.insert(kind.tree(), &id, &seq_key(seq));
        }
        self.backend.commit(w).unwrap();
        let mut tables = vec![TreeId::MapNodeLog, TreeId::IdLog];
        tables.extend_from_slice(extra);
        self.backend.drop_tables(&tables, marker).unwrap();
    }
}

#[cfg(test)]
mod layout_tests {
    use super::backend::{TreeId, WriteSet};
    use super::{seq_key, Ledger, MARKER_KEY};
    use crate::input::event_from_value;
    use custody_format::event::Event;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    /// A new ledger at `path` whose authority (returned) also holds
    /// `investigator`, and a sighting of a person.
    fn authority_investigates(
        path: &std::path::Path,
    ) -> (Ledger, SigningKey, impl Fn(&str) -> Event) {
        let authority = SigningKey::from_bytes(&[1; 32]);
        let (mut l, _) = Ledger::create(path, "t", "A", &authority).unwrap();
        l.confirm_clock();
        let grant = Event::KeyGranted(custody_format::event::KeyGranted {
            public_key: crate::keyfile::public_key_of(&authority),
            role: custody_format::event::Role::Investigator,
            holder: "A".into(),
        });
        l.append(vec![grant], &authority).unwrap();
        let sighting = |p: &str| {
            event_from_value(
                json!({"type":"sighting","person":p,"occurred_at":"2023","source":"tv"}),
            )
            .unwrap()
        };
        (l, authority, sighting)
    }

    /// A commit the store refuses (here: a handle opened read-only, which
    /// logs the append's nodes and ids, then cannot write them) leaves the
    /// handle's log copies as the store has them; one that lands leaves
    /// them loaded and in step, not forgotten (which would read the whole
    /// log again after every commit).
    #[test]
    fn log_copies_follow_the_commits_that_land_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let (mut l, authority, sighting) = authority_investigates(&path);
        l.append(vec![sighting("P-1")], &authority).unwrap();
        l.append(vec![sighting("P-2")], &authority).unwrap();
        assert_eq!(l.log_copies_loaded(), (true, true), "kept after commits");
        assert!(l.stale_map_log_nodes().is_empty());
        // A group left under way (the committer's path) keeps them too.
        let (done, pending) =
            l.append_group_pending(vec![super::Submission::Event(sighting("P-4"))], &authority);
        done.unwrap();
        assert_eq!(l.log_copies_loaded(), (true, true), "kept under way");
        l.commit_handle()
            .unwrap()
            .commit(&pending.expect("writes under way"))
            .unwrap();
        l.commit_done();
        assert!(l.stale_map_log_nodes().is_empty());
        drop(l);
        let mut reader = Ledger::open_read_only(&path).unwrap();
        let root = reader.map_root().unwrap();
        let refused = reader.append(vec![sighting("P-3")], &authority);
        assert!(
            matches!(
                refused,
                Err(super::AppendError::Store(super::StoreError::ReadOnly(_)))
            ),
            "{refused:?}"
        );
        assert!(reader.stale_map_log_nodes().is_empty(), "the refused nodes");
        assert_eq!(reader.map_root().unwrap(), root);
    }

    /// A handle that keeps the whole person map in memory (a committer's)
    /// forgets it with a commit that fails, whether committed at once or
    /// left under way and then abandoned, so the failed group's persons
    /// never reach a later seal's root; the next commit reads the map from
    /// the store again, and every root agrees with a reader's.
    #[cfg(debug_assertions)]
    #[test]
    fn a_failed_commit_forgets_the_whole_map_kept_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let (mut l, authority, sighting) = authority_investigates(&path);
        l.keep_whole_map();
        l.append(vec![sighting("P-1")], &authority).unwrap();
        assert!(l.whole_map_held());
        // Committed at once, and refused by the store (a read-only handle
        // updates the map, then cannot write it).
        {
            let mut reader = Ledger::open_read_only(&path).unwrap();
            reader.keep_whole_map();
            reader.map_root().unwrap();
            assert!(reader.whole_map_held());
            reader
                .append(vec![sighting("P-refused")], &authority)
                .expect_err("a read-only handle cannot commit");
            assert!(!reader.whole_map_held(), "kept after a refused commit");
        }
        // Under way, then abandoned (the committer's path).
        let before = l.state();
        let (done, pending) = l.append_group_pending(
            vec![super::Submission::Event(sighting("P-abandoned"))],
            &authority,
        );
        done.unwrap();
        assert!(l.whole_map_held());
        crate::store::backend::fail_next_commit(&path);
        l.commit_handle()
            .unwrap()
            .commit(&pending.expect("writes under way"))
            .expect_err("the commit fails");
        l.abandon_pending(before);
        assert!(!l.whole_map_held(), "kept after an abandoned commit");
        l.append(vec![sighting("P-2")], &authority).unwrap();
        assert_eq!(l.stale_whole_map(), None);
        let reader = Ledger::open_read_only(&path).unwrap();
        assert_eq!(reader.map_root().unwrap(), l.map_root().unwrap());
        assert!(l.check_derived(|_| ()).unwrap().is_clean());
    }

    /// A store of layout 5 (no node log: `map_nodes` up to date) is read
    /// as it is, and the first writable open makes the empty log with the
    /// marker 6; the map, its check and the appends after it (which log
    /// their nodes) agree throughout.
    #[test]
    fn a_layout_5_store_is_read_and_then_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let (mut l, authority, sighting) = authority_investigates(&path);
        l.append(vec![sighting("P-1"), sighting("P-2")], &authority)
            .unwrap();
        l.checkpoint(&authority).unwrap();
        let root = l.map_root().unwrap();
        // Back to layout 5: the logs merged into their tables, gone.
        l.back_to_layout(b"5", &[]);
        drop(l);
        {
            let mut r = Ledger::open_read_only(&path).unwrap();
            assert!(!r.node_log && !r.id_log);
            assert_eq!(r.seq_of(&r.head().hash).unwrap(), Some(r.head().seq));
            assert_eq!(r.map_root().unwrap(), root);
            assert!(r.check_derived(|_| ()).unwrap().is_clean());
            // An append through it is refused for what the handle is, not
            // for a log table the old store does not have.
            let refused = r.append(vec![sighting("P-9")], &authority).unwrap_err();
            assert!(
                matches!(
                    refused,
                    super::AppendError::Store(super::StoreError::ReadOnly(_))
                ),
                "{refused:?}"
            );
        }
        let mut l = Ledger::open(&path).unwrap();
        assert_eq!(
            l.backend.get(TreeId::Meta, MARKER_KEY).unwrap(),
            Some(super::LAYOUT_VERSION.to_vec())
        );
        assert!(l.node_log && l.id_log);
        assert_eq!(l.map_root().unwrap(), root);
        l.append(vec![sighting("P-3")], &authority).unwrap();
        assert_eq!(l.logged_nodes().unwrap().1, 1, "the append's nodes, logged");
        assert_eq!(l.logged_ids().unwrap().1, 1, "the append's ids, logged");
        // A thread that panics holding the handle's copy of the log leaves
        // it suspect: it is dropped and read again, never used half done.
        let logged_root = l.map_root().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut log = l.map_log.lock().unwrap();
                *log = super::map::MapLog::half_updated_for_test();
                panic!("a panic while the log is held");
            })
            .join()
            .unwrap_err();
        });
        assert_eq!(l.map_root().unwrap(), logged_root);
        let report = l.check_derived(|_| ()).unwrap();
        assert!(report.is_clean(), "{report:?}");
        l.checkpoint(&authority).unwrap();
        drop(l);
        let r = Ledger::open_read_only(&path).unwrap();
        assert!(r.check_derived(|_| ()).unwrap().is_clean());
    }

    /// A commit refused midway (its id log unreadable, after its map nodes
    /// were logged in this handle's copy of the node log) leaves the
    /// handle's logs as the store has them: the next commit's map is the
    /// one a fresh reader derives, with no node of the refused one.
    #[test]
    fn a_commit_refused_midway_leaves_no_node_of_it_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let (mut l, authority, sighting) = authority_investigates(&path);
        // A map of one person has no node: a second person's append has.
        l.append(vec![sighting("P-1")], &authority).unwrap();
        let head = l.head().seq;
        let rows: Vec<Vec<u8>> = l
            .backend
            .scan_from(TreeId::IdLog, &[])
            .map(|r| r.unwrap().0)
            .collect();
        let free = seq_key(u64::MAX).to_vec();
        assert!(!rows.contains(&free));
        let mut w = WriteSet::new();
        w.insert(TreeId::IdLog, &free, b"not a row");
        l.backend.commit(w).unwrap();
        drop(l);
        let mut l = Ledger::open(&path).unwrap();
        let refused = l.append(vec![sighting("P-2")], &authority).unwrap_err();
        assert!(
            matches!(
                refused,
                super::AppendError::Store(super::StoreError::Damaged { .. })
            ),
            "{refused:?}"
        );
        assert_eq!(l.head().seq, head);
        assert!(l.stale_map_log_nodes().is_empty(), "the refused nodes");
        let mut w = WriteSet::new();
        w.remove(TreeId::IdLog, &free);
        l.backend.commit(w).unwrap();
        l.append(vec![sighting("P-3")], &authority).unwrap();
        let reader = Ledger::open_read_only(&path).unwrap();
        assert_eq!(l.map_root().unwrap(), reader.map_root().unwrap());
        let report = reader.check_derived(|_| ()).unwrap();
        assert!(report.is_clean(), "{report:?}");
    }

    /// A log row at or past the seq a commit ends at (damage: no commit
    /// reaches past the head) is refused, not overwritten: what it logged
    /// would be lost.
    #[test]
    fn a_log_row_past_the_head_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        // Whether the next commit would append a row or merge the log (one
        // row short of a merge, with the forged row): refused either way.
        for (table, rows) in [
            (TreeId::IdLog, 0),
            (TreeId::MapNodeLog, 0),
            (TreeId::IdLog, super::map::MERGE_EVERY - 2),
            (TreeId::MapNodeLog, super::map::MERGE_EVERY - 2),
        ] {
            let path = path.join(format!("{table:?}-{rows}"));
            let (mut l, authority, sighting) = authority_investigates(&path);
            l.append(vec![sighting("P-1")], &authority).unwrap();
            while l.backend.scan_from(table, &[]).count() < rows {
                let next = format!("P-{}", l.head().seq);
                l.append(vec![sighting(&next)], &authority).unwrap();
            }
            let next = seq_key(l.head().seq + 1);
            let mut w = WriteSet::new();
            let row = match table {
                TreeId::IdLog => super::id_log::encode_row(&[(
                    super::id_log::IdKind::EntryHash,
                    [0xab; 32],
                    l.head().seq + 1,
                )]),
                _ => Vec::new(),
            };
            w.insert(table, &next, &row);
            l.backend.commit(w).unwrap();
            drop(l);
            let mut l = Ledger::open(&path).unwrap();
            let refused = l.append(vec![sighting("P-2")], &authority);
            let refused = refused.expect_err(&format!("{table:?}"));
            assert!(
                refused.to_string().contains("at or past the seq"),
                "{table:?}: {refused}"
            );
            assert_eq!(l.backend.get(table, &next).unwrap(), Some(row), "{table:?}");
        }
    }

    /// A log row whose key is not a seq's eight bytes is damage, found
    /// when the log is read, before any commit builds on it.
    #[test]
    fn a_log_row_keyed_by_no_seq_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        for table in [TreeId::IdLog, TreeId::MapNodeLog] {
            let path = dir.path().join(format!("{table:?}"));
            let (mut l, authority, sighting) = authority_investigates(&path);
            l.append(vec![sighting("P-1")], &authority).unwrap();
            let mut w = WriteSet::new();
            w.insert(table, &[0; 9], &[]);
            l.backend.commit(w).unwrap();
            drop(l);
            let mut l = Ledger::open(&path).unwrap();
            let refused = l.append(vec![sighting("P-2")], &authority).unwrap_err();
            assert!(
                refused.to_string().contains("is not keyed by a seq"),
                "{table:?}: {refused}"
            );
        }
    }

    /// An id log row keyed by a commit the chain has, naming an id at a
    /// later seq (a lookup would then name an entry the id is not), is
    /// refused as damage when the log is read.
    #[test]
    fn an_id_log_row_naming_a_later_seq_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let (mut l, authority, sighting) = authority_investigates(&path);
        l.append(vec![sighting("P-1")], &authority).unwrap();
        let head = l.head().seq;
        let mut w = WriteSet::new();
        let forged =
            super::id_log::encode_row(&[(super::id_log::IdKind::EntryHash, [0xab; 32], head + 1)]);
        w.insert(TreeId::IdLog, &seq_key(head), &forged);
        l.backend.commit(w).unwrap();
        drop(l);
        let mut l = Ledger::open(&path).unwrap();
        let refused = l.append(vec![sighting("P-2")], &authority).unwrap_err();
        assert!(
            refused.to_string().contains("past the commit it records"),
            "{refused}"
        );
        assert_eq!(l.head().seq, head);
    }

    /// An entry's hash in both the id log and `hashes` (damage the check
    /// names) is found once by its prefix, not listed as two entries.
    #[test]
    fn a_hash_in_two_places_is_found_once() {
        let dir = tempfile::tempdir().unwrap();
        let (mut l, authority, sighting) = authority_investigates(&dir.path().join("l"));
        l.append(vec![sighting("P-1")], &authority).unwrap();
        let head = l.head();
        assert_eq!(
            l.logged_id(super::id_log::IdKind::EntryHash, &head.hash.0)
                .unwrap(),
            Some(head.seq)
        );
        let mut w = WriteSet::new();
        w.insert(TreeId::Hashes, &head.hash.0, &seq_key(head.seq));
        l.backend.commit(w).unwrap();
        let hex = head.hash.to_hex();
        for prefix in [&hex[..5], &hex[..]] {
            assert_eq!(
                l.hashes_with_prefix(prefix, 10).unwrap(),
                [(head.seq, head.hash)]
            );
        }
    }

    /// A layout-6 store made before the id log (every id in `hashes` and
    /// `statements`, no `id_log` table) is read as it is; a writable handle
    /// opened on it writes ids to the tables as it found them, and the
    /// next open, finding the table its first commit made, logs them.
    #[test]
    fn a_layout_6_store_without_the_id_log_is_read_and_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let (mut l, authority, sighting) = authority_investigates(&path);
        l.append(vec![sighting("P-1")], &authority).unwrap();
        let mut w = WriteSet::new();
        for ((kind, id), seq) in l.logged_ids().unwrap().0 {
            w.insert(kind.tree(), &id, &seq_key(seq));
        }
        l.backend.commit(w).unwrap();
        l.backend.drop_tables(&[TreeId::IdLog], b"6").unwrap();
        let last = l.head();
        drop(l);
        let found = |l: &Ledger| {
            for seq in 0..=l.head().seq {
                let hash = l.entry(seq).unwrap().unwrap().hash();
                assert_eq!(l.seq_of(&hash).unwrap(), Some(seq));
            }
            assert!(l.check_derived(|_| ()).unwrap().is_clean());
        };
        {
            let r = Ledger::open_read_only(&path).unwrap();
            assert!(!r.id_log);
            assert_eq!(r.seq_of(&last.hash).unwrap(), Some(last.seq));
            found(&r);
        }
        let mut l = Ledger::open(&path).unwrap();
        assert!(!l.id_log);
        l.append(vec![sighting("P-2")], &authority).unwrap();
        assert!(l.backend.has_table(TreeId::IdLog).unwrap());
        assert_eq!(l.logged_ids().unwrap().1, 0, "written to the tables");
        found(&l);
        drop(l);
        let mut l = Ledger::open(&path).unwrap();
        assert!(l.id_log);
        l.append(vec![sighting("P-3")], &authority).unwrap();
        assert_eq!(l.logged_ids().unwrap().1, 1, "the append's ids, logged");
        found(&l);
    }

    /// A store of layout 4 (checkpoints listed in the governance index) is
    /// read as it is, and the first writable open moves its checkpoints to
    /// their own index in one commit: the same latest checkpoint, the same
    /// registry, every derived row matching the chain before and after.
    #[test]
    fn a_layout_4_store_is_read_and_then_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let (mut l, authority, sighting) = authority_investigates(&path);
        let event = sighting("P-1");
        l.append(vec![event.clone()], &authority).unwrap();
        l.checkpoint(&authority).unwrap();
        l.append(vec![event], &authority).unwrap();
        l.checkpoint(&authority).unwrap();
        let checkpoints = l.checkpoint_seqs().unwrap();
        assert_eq!(checkpoints.len(), 2);
        let governance = l.governance_seqs().unwrap();
        let latest = l.latest_checkpoint().unwrap().unwrap();
        // Back to layout 4: the checkpoints in the governance index.
        let mut w = WriteSet::new();
        for &seq in &checkpoints {
            w.remove(TreeId::Checkpoints, &seq_key(seq));
            w.insert(TreeId::Governance, &seq_key(seq), &[]);
        }
        w.insert(TreeId::Meta, MARKER_KEY, b"4");
        l.backend.commit(w).unwrap();
        drop(l);
        {
            let r = Ledger::open_read_only(&path).unwrap();
            assert_eq!(r.latest_checkpoint().unwrap().unwrap().seq, latest.seq);
            assert_eq!(r.latest_seal().unwrap().unwrap().checkpoint_seq, latest.seq);
            assert!(r.check_derived(|_| ()).unwrap().is_clean());
        }
        let l = Ledger::open(&path).unwrap();
        assert_eq!(
            l.backend.get(TreeId::Meta, MARKER_KEY).unwrap(),
            Some(super::LAYOUT_VERSION.to_vec())
        );
        assert_eq!(l.checkpoint_seqs().unwrap(), checkpoints);
        assert_eq!(l.governance_seqs().unwrap(), governance);
        assert_eq!(l.latest_checkpoint().unwrap().unwrap().seq, latest.seq);
        let report = l.check_derived(|_| ()).unwrap();
        assert!(report.is_clean(), "{report:?}");
    }
}
