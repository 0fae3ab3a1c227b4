//! The person map and the governance stream, as the store keeps them
//! (format v2, store layout 3; docs/design/format-v2-completeness.md §3.4).
//!
//! Three derived things, written in the same commit as the entries they
//! follow, like every other derived row:
//!
//! - `map_leaves`: each person's stream, `K(P)` → `LE64(count) ‖
//!   LE64(head.seq) ‖ head.hash` (the map's leaves);
//! - `map_nodes`: the hash of every subtree of the map holding two leaves
//!   or more, keyed by its depth and prefix (`depth u8 ‖` the first
//!   ceil(depth/8) bytes of the prefix);
//! - the meta row `gov`: the governance stream (genesis, grants,
//!   revocations; not checkpoints or seals), in the same 48 bytes.
//!
//! The map is kept with `custody_format::map_hash`'s incremental algorithm
//! ([`update_root`], [`prove_in`]) over [`TableMap`], a [`MapStore`] that
//! reads the tables under a batch's pending leaves and nodes: the same code
//! the verifier's in-memory map runs, tested against the definition. The
//! design's nibble records were not built: one algorithm, not two.
//!
//! ## The node log (layout 6)
//!
//! A commit does not rewrite the ~8 `map_nodes` rows each of its
//! statements changes, each on a page of its own (the person map is keyed
//! by hashes, so a group of a few hundred statements lands on a few hundred
//! pages per level). It appends one `map_node_log` row instead, keyed by
//! the seq of its last entry: every node it changed, as `depth u8 ‖` the
//! first ceil(depth/8) bytes of the prefix `‖ hash`, in key order. Every
//! [`MERGE_EVERY`]th commit (or once the log holds [`MERGE_NODES`] nodes)
//! applies the whole log to `map_nodes` and deletes its rows, in the same
//! commit as its own writes: a node changed by many commits in between is
//! written once. So `map_nodes` is the map as of the last merge, and the
//! log, applied in seq order over it (a later row's node wins), is the map
//! as of the last commit: every read of a node ([`TableMap`], the check)
//! looks in the log first ([`MapLog`], read once per handle and kept in
//! step by the handle's own commits), then in the table. A crash leaves
//! either a commit's log row or a merge whole, or neither: they are rows
//! of the commit's one redb transaction. Measured in session 11 (docs/
//! BENCHMARKS.md): the writer's CPU per statement fell by a quarter, and
//! the server's rate rose by ~16 % over HTTP.
//!
//! ## The whole map in memory (a committer's handle)
//!
//! A handle that commits group after group (`committer`: `custody serve
//! --key`) keeps the whole person map in memory besides ([`WholeMap`]:
//! every leaf's value and every node, ~200 bytes a person), read once from
//! `map_leaves`, `map_nodes` and the log on first use (0.2 s at 100,000
//! persons), up to [`WHOLE_MAP_MAX_LEAVES`] persons; a larger map is read
//! from its tables as by any other handle. Each group's map
//! update then reads no table: a node the whole map lacks does not exist
//! (a subtree of fewer than two leaves), where the tables answer that only
//! after a B-tree lookup, and a subtree's first leaves are a range of the
//! in-memory leaves. It is kept in step with the handle's commits exactly
//! as the log copy is (by [`Ledger::log_map_nodes`], under the same
//! [`LogsAhead`]), and forgotten with it after a commit that did not land.
//! What is written is unchanged: the same rows, the same log. Its read
//! checks every row it loads, so a malformed row anywhere in the two
//! tables makes each group the committer prepares fail as damaged, not
//! only those whose paths cross it (closed, as the check would be).
//!
//! A store of layout 2 has none of this. A writable open derives it in one
//! commit ([`derive`]); a read-only open serves every read that does not
//! need the map, and refuses those that do with
//! [`StoreError::MapNotBuilt`].

use super::backend::{Backend, TableReader, TreeId, WriteSet};
use super::id_log::IdLog;
use super::{seq_key, Ledger, StoreError};
use custody_format::entry::{entry_hash, SignedEntry};
use custody_format::event::{EntryHash, Event, PersonId};
use custody_format::map_hash::{
    person_key, prefix_end, prove_in, update_root, value_hash, Hash, Leaf, MapProof, MapStore,
    MapValue,
};
use custody_format::stream::{Link, Stream};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// The meta row of the governance stream.
pub(super) const GOV_KEY: &[u8] = b"gov";

/// A commit that finds this many rows in the node log merges the log into
/// `map_nodes` (its own nodes with it). Measured: 8 and 16 took most of
/// what 64 took off the writer; 16 keeps a reader's first load of the log
/// to ~1.3 MB at groups of 256 statements.
pub(super) const MERGE_EVERY: usize = 16;
/// A commit that would bring the log past this many nodes merges it (large
/// batches: an import of 5,000 entries changes ~40,000 nodes). Bounds the
/// memory a handle holds for the log: ~80 bytes a node.
pub(super) const MERGE_NODES: usize = 262_144;

/// Person map nodes by (depth, prefix).
pub(super) type LoggedNodes = HashMap<(u8, Hash), Hash>;

/// The person map nodes the node log holds (see the module's
/// documentation), newer than `map_nodes`: read from the log on first
/// use, then kept in step by the handle's own commits.
#[derive(Default)]
pub(crate) struct MapLog {
    /// The log has been read (or forgotten after a failed commit: read
    /// again on next use).
    loaded: bool,
    /// (depth, prefix) → hash, the last row's node winning.
    nodes: HashMap<(u8, Hash), Hash>,
    /// The keys of the log's rows, in order.
    rows: Vec<Vec<u8>>,
    /// The whole map, for a handle that keeps it ([`Ledger::keep_whole_map`]):
    /// not read yet, held, or too large to hold. Dropped with the log copy.
    whole: Whole,
}

/// A map of more persons than this is not held in memory
/// ([`Ledger::keep_whole_map`]): ~50 MB and half a second to read at
/// ~200 bytes a person; a server's first group waits for the read.
#[cfg(not(test))]
const WHOLE_MAP_MAX_LEAVES: usize = 250_000;
/// Low in tests, so that they cross it.
#[cfg(test)]
const WHOLE_MAP_MAX_LEAVES: usize = 40;

/// What a handle holds of the whole map.
#[derive(Default)]
enum Whole {
    /// Not read (or forgotten).
    #[default]
    Unread,
    /// Read, and kept in step since.
    Held(WholeMap),
    /// More than [`WHOLE_MAP_MAX_LEAVES`] leaves: the tables are read.
    TooLarge,
}

/// The whole person map, as of the handle's last commit (landed or under
/// way): every leaf, and every node the tables and the log hold together.
#[derive(Default)]
pub(crate) struct WholeMap {
    /// Each person's stream (`map_leaves`), by map key.
    leaves: BTreeMap<Hash, MapValue>,
    /// Every subtree of two leaves or more: `map_nodes` with the log over it.
    nodes: HashMap<(u8, Hash), Hash>,
}

impl MapLog {
    /// Reads the log's rows (committed, and any pending) if not read yet.
    fn load(&mut self, backend: &Backend, dir: &Path) -> Result<(), StoreError> {
        if self.loaded {
            return Ok(());
        }
        self.nodes.clear();
        self.rows.clear();
        for row in backend.scan_from(TreeId::MapNodeLog, &[]) {
            let (key, blob) = row?;
            check_log_key(&key, "map_node_log", dir)?;
            decode_log_row(&blob, |depth, prefix, hash| {
                self.nodes.insert((depth, prefix), hash);
            })
            .ok_or_else(|| {
                damaged(
                    dir,
                    format!("map_node_log row {} is malformed", hex::encode(&key)),
                )
            })?;
            self.rows.push(key);
        }
        self.loaded = true;
        Ok(())
    }

    /// The whole map, read from the store (under any pending writes) if
    /// this copy does not hold it yet; `None` if it is too large to hold.
    fn whole(&mut self, backend: &Backend, dir: &Path) -> Result<Option<&WholeMap>, StoreError> {
        self.load(backend, dir)?;
        if let Whole::Unread = self.whole {
            let mut whole = WholeMap::default();
            for row in backend.scan_from(TreeId::MapLeaves, &[]) {
                if whole.leaves.len() == WHOLE_MAP_MAX_LEAVES {
                    self.whole = Whole::TooLarge;
                    return Ok(None);
                }
                let (k, v) = row?;
                let key: Hash = k
                    .as_slice()
                    .try_into()
                    .map_err(|_| damaged(dir, "a map_leaves key is not 32 bytes".into()))?;
                let value = decode_value(&v).ok_or_else(|| {
                    damaged(
                        dir,
                        format!("map_leaves row {} is malformed", hex::encode(key)),
                    )
                })?;
                whole.leaves.insert(key, value);
            }
            for row in backend.scan_from(TreeId::MapNodes, &[]) {
                let (k, v) = row?;
                let node = decode_node_key(&k).zip(<[u8; 32]>::try_from(v.as_slice()).ok());
                let Some(((depth, prefix), hash)) = node else {
                    return Err(damaged(
                        dir,
                        format!("map_nodes row {} is malformed", hex::encode(&k)),
                    ));
                };
                whole.nodes.insert((depth, prefix), hash);
            }
            whole.nodes.extend(self.nodes.iter().map(|(k, v)| (*k, *v)));
            self.whole = Whole::Held(whole);
        }
        Ok(match &self.whole {
            Whole::Held(whole) => Some(whole),
            _ => None,
        })
    }
}

#[cfg(test)]
impl Ledger {
    /// The nodes this handle's copy of the log holds that differ from what
    /// a reader of the store reads now: none, if the copy is kept in step.
    pub(super) fn stale_map_log_nodes(&self) -> Vec<(u8, Hash)> {
        let log = self.map_log();
        let fresh = self.logged_nodes().unwrap().0;
        let mut stale: Vec<(u8, Hash)> = Vec::new();
        if log.loaded && log.nodes != fresh {
            stale.extend(fresh.keys().filter(|k| log.nodes.get(*k) != fresh.get(*k)));
            stale.extend(log.nodes.keys().filter(|k| !fresh.contains_key(*k)));
        }
        stale
    }

    /// Where this handle's whole map ([`WholeMap`]), if it holds one,
    /// differs from the map a reader of the store reads now: `None` if it
    /// is kept in step (or not held).
    pub(super) fn stale_whole_map(&self) -> Option<String> {
        let log = self.map_log();
        let Whole::Held(kept) = &log.whole else {
            return None;
        };
        let mut fresh = MapLog::default();
        let Some(fresh) = fresh.whole(&self.backend, &self.dir).unwrap() else {
            return Some(format!("{} leaves kept, more stored", kept.leaves.len()));
        };
        if kept.leaves != fresh.leaves {
            let differ = fresh
                .leaves
                .iter()
                .filter(|(k, v)| kept.leaves.get(*k) != Some(v));
            return Some(format!(
                "{} leaves kept, {} stored, {} differ",
                kept.leaves.len(),
                fresh.leaves.len(),
                differ.count()
            ));
        }
        (kept.nodes != fresh.nodes).then(|| {
            format!(
                "{} nodes kept, {} stored",
                kept.nodes.len(),
                fresh.nodes.len()
            )
        })
    }

    /// Whether this handle holds the whole map in memory now.
    pub(crate) fn whole_map_held(&self) -> bool {
        matches!(self.map_log().whole, Whole::Held(_))
    }

    /// Whether this handle's copies of the node log and the id log are
    /// loaded (a forgotten one is read again from the store on next use).
    pub(super) fn log_copies_loaded(&self) -> (bool, bool) {
        (self.map_log().loaded, self.id_log_loaded())
    }
}

#[cfg(test)]
impl MapLog {
    /// A copy that claims to be loaded and holds none of the log's nodes:
    /// what a panic midway through a merge could leave.
    pub(super) fn half_updated_for_test() -> Self {
        MapLog {
            loaded: true,
            nodes: HashMap::new(),
            rows: vec![seq_key(0).to_vec()],
            whole: Whole::Unread,
        }
    }
}

/// A handle's copy of a log, locked. A thread that panicked while holding
/// it may have left it half updated, so a poisoned copy is dropped and read
/// again from the store on next use.
pub(super) fn lock_copy<T: Default>(copy: &Mutex<T>) -> MutexGuard<'_, T> {
    copy.lock().unwrap_or_else(|poisoned| {
        let mut log = poisoned.into_inner();
        *log = T::default();
        copy.clear_poison();
        log
    })
}

/// Both log copies dropped, to be read again from the store on next use.
fn forget(map: &Mutex<MapLog>, ids: &Mutex<IdLog>) {
    let mut log = lock_copy(map);
    // A map too large to hold stays so (leaves are never removed), and
    // saying so only sends reads to the tables: kept, so that a failed
    // commit does not cost a scan of the cap's worth of leaves.
    let whole = match log.whole {
        Whole::TooLarge => Whole::TooLarge,
        _ => Whole::Unread,
    };
    *log = MapLog {
        whole,
        ..MapLog::default()
    };
    drop(log);
    *lock_copy(ids) = IdLog::default();
}

/// A handle's copies of the node log and the id log, kept in step with a
/// commit before it lands ([`Ledger::log_map_nodes`], [`Ledger::log_ids`]:
/// the next group is prepared over them while this one is written). Dropped,
/// it forgets both copies, which are then read again from the store; told
/// the commit landed, or was left under way ([`LogsAhead::settled`]: a
/// failure of that commit is [`Ledger::abandon_pending`]'s), it leaves them
/// be. So every way out between logging and committing, a `?` included,
/// forgets what a commit that never landed put there, without having to
/// say so.
#[must_use = "dropped, it forgets the log copies; call `settled` once the commit has landed"]
pub(super) struct LogsAhead {
    /// The handle's node log copy and id log copy; `None` once settled.
    copies: Option<LogCopies>,
}

/// A handle's copies of the node log and the id log.
type LogCopies = (Arc<Mutex<MapLog>>, Arc<Mutex<IdLog>>);

impl LogsAhead {
    /// A guard of nothing (a commit that logs no node and no id).
    pub(super) fn none() -> LogsAhead {
        LogsAhead { copies: None }
    }

    /// The commit landed, or is under way: the copies are right.
    pub(super) fn settled(mut self) {
        self.copies = None;
    }
}

impl Drop for LogsAhead {
    fn drop(&mut self) {
        if let Some((map, ids)) = self.copies.take() {
            forget(&map, &ids);
        }
    }
}

/// A node log row: each node as `depth ‖ prefix[..ceil(depth/8)] ‖ hash`.
pub(super) fn encode_log_row<'a>(
    nodes: impl Iterator<Item = (&'a (u8, Hash), &'a Hash)>,
) -> Vec<u8> {
    let mut blob = Vec::new();
    for ((depth, prefix), hash) in nodes {
        blob.extend_from_slice(&node_row_key(prefix, *depth));
        blob.extend_from_slice(hash);
    }
    blob
}

/// Calls `f` with each node of a log row; `None` if the row is malformed.
pub(super) fn decode_log_row(mut blob: &[u8], mut f: impl FnMut(u8, Hash, Hash)) -> Option<()> {
    while let Some((&depth, rest)) = blob.split_first() {
        let bytes = usize::from(depth).div_ceil(8);
        if rest.len() < bytes + 32 {
            return None;
        }
        let mut prefix = [0u8; 32];
        prefix[..bytes].copy_from_slice(&rest[..bytes]);
        let hash: Hash = rest[bytes..bytes + 32].try_into().ok()?;
        f(depth, prefix, hash);
        blob = &rest[bytes + 32..];
    }
    Some(())
}

impl Ledger {
    /// The node (`depth`, `prefix`) as of the last commit: the log's, else
    /// what `map_nodes` holds, read by `read_table` (a store without the
    /// log has only the table).
    fn current_node(
        &self,
        depth: u8,
        prefix: &Hash,
        read_table: impl FnOnce() -> Result<Option<Hash>, StoreError>,
    ) -> Result<Option<Hash>, StoreError> {
        if !self.node_log {
            return read_table();
        }
        let mut log = self.map_log();
        if self.whole_map {
            if let Some(whole) = log.whole(&self.backend, &self.dir)? {
                // Every node is there: one it lacks does not exist.
                return Ok(whole.nodes.get(&(depth, *prefix)).copied());
            }
        }
        log.load(&self.backend, &self.dir)?;
        if let Some(h) = log.nodes.get(&(depth, *prefix)) {
            return Ok(Some(*h));
        }
        drop(log);
        read_table()
    }

    /// The first `take` leaves of the whole map from `prefix` to `end`
    /// that `skip` does not drop, if this handle holds the whole map
    /// ([`Ledger::keep_whole_map`]; `None` if it does not).
    fn whole_first_leaves(
        &self,
        prefix: &Hash,
        end: &Hash,
        take: usize,
        skip: impl Fn(&Hash) -> bool,
    ) -> Result<Option<Vec<(Hash, MapValue)>>, StoreError> {
        if !self.whole_map {
            return Ok(None);
        }
        let mut log = self.map_log();
        let Some(whole) = log.whole(&self.backend, &self.dir)? else {
            return Ok(None);
        };
        Ok(Some(
            whole
                .leaves
                .range(*prefix..=*end)
                .filter(|(k, _)| !skip(k))
                .take(take)
                .map(|(k, v)| (*k, *v))
                .collect(),
        ))
    }

    /// Keeps the whole person map in memory from now on ([`WholeMap`]),
    /// while it holds at most [`WHOLE_MAP_MAX_LEAVES`] persons: for a
    /// handle that commits many groups (`committer`).
    pub(crate) fn keep_whole_map(&mut self) {
        self.whole_map = self.node_log && self.map_ready;
    }

    /// Adds a commit's changed map `nodes` to `writes` (its changed
    /// `leaves` it writes itself): one log row keyed
    /// by `last_seq`, or, every [`MERGE_EVERY`]th commit, the whole log and
    /// these nodes written to `map_nodes` and the log's rows deleted.
    /// Keeps this handle's [`MapLog`] (and [`WholeMap`], `leaves` with
    /// it) in step, as if the commit had landed: the caller holds a [`LogsAhead`], which forgets it unless
    /// the commit lands.
    pub(super) fn log_map_nodes(
        &self,
        nodes: &HashMap<(u8, Hash), Hash>,
        leaves: &BTreeMap<Hash, MapValue>,
        last_seq: u64,
        writes: &mut WriteSet,
    ) -> Result<(), StoreError> {
        if self.whole_map {
            // Not read yet: read later, it will hold these.
            let mut log = self.map_log();
            if let Whole::Held(whole) = &mut log.whole {
                whole.leaves.extend(leaves.iter().map(|(k, v)| (*k, *v)));
                whole.nodes.extend(nodes.iter().map(|(k, v)| (*k, *v)));
                if whole.leaves.len() > WHOLE_MAP_MAX_LEAVES {
                    log.whole = Whole::TooLarge;
                }
            }
        }
        if nodes.is_empty() {
            return Ok(());
        }
        if !self.node_log {
            // An older store opened read-only: its commit is refused as
            // such; the rows are layout 5's, not a log it does not have.
            for ((depth, prefix), hash) in nodes {
                writes.insert(TreeId::MapNodes, &node_row_key(prefix, *depth), hash);
            }
            return Ok(());
        }
        let mut log = self.map_log();
        log.load(&self.backend, &self.dir)?;
        // Checked whether this commit appends a row or merges: a merge
        // must not carry a damaged row's nodes into `map_nodes`.
        let key = next_log_key(&log.rows, last_seq, "map_node_log", &self.dir)?;
        if log.rows.len() + 1 >= MERGE_EVERY || log.nodes.len() + nodes.len() > MERGE_NODES {
            let mut merged = std::mem::take(&mut log.nodes);
            merged.extend(nodes.iter().map(|(k, v)| (*k, *v)));
            for ((depth, prefix), hash) in &merged {
                writes.insert(TreeId::MapNodes, &node_row_key(prefix, *depth), hash);
            }
            for key in log.rows.drain(..) {
                writes.remove(TreeId::MapNodeLog, &key);
            }
        } else {
            let mut sorted: Vec<(&(u8, Hash), &Hash)> = nodes.iter().collect();
            sorted.sort_unstable_by_key(|(k, _)| **k);
            writes.insert(
                TreeId::MapNodeLog,
                &key,
                &encode_log_row(sorted.into_iter()),
            );
            log.nodes.extend(nodes.iter().map(|(k, v)| (*k, *v)));
            log.rows.push(key);
        }
        Ok(())
    }

    /// After a commit that failed: the node log and the id log, kept in
    /// step with it as if it had landed, are read again on next use.
    pub(super) fn forget_logs(&self) {
        forget(&self.map_log, &self.id_log_cache);
    }

    /// A guard for this handle's copies of both logs, to take before a
    /// commit's nodes and ids are logged into them ([`LogsAhead`]).
    pub(super) fn logs_ahead(&self) -> LogsAhead {
        LogsAhead {
            copies: Some((self.map_log.clone(), self.id_log_cache.clone())),
        }
    }

    /// This handle's copy of the log (see [`lock_copy`]).
    fn map_log(&self) -> MutexGuard<'_, MapLog> {
        lock_copy(&self.map_log)
    }

    /// Every node the log holds, and the number of its rows, read from
    /// the store now (the check trusts no copy this handle kept).
    pub(super) fn logged_nodes(&self) -> Result<(LoggedNodes, usize), StoreError> {
        if !self.node_log {
            return Ok((HashMap::new(), 0));
        }
        let mut log = MapLog::default();
        log.load(&self.backend, &self.dir)?;
        Ok((log.nodes, log.rows.len()))
    }
}

/// `LE64(count) ‖ LE64(head.seq) ‖ head.hash`.
pub(super) fn encode_value(v: &MapValue) -> [u8; 48] {
    let mut out = [0u8; 48];
    out[..8].copy_from_slice(&v.count.to_le_bytes());
    out[8..16].copy_from_slice(&v.head.seq.to_le_bytes());
    out[16..].copy_from_slice(&v.head.hash.0);
    out
}

fn decode_value(bytes: &[u8]) -> Option<MapValue> {
    if bytes.len() != 48 {
        return None;
    }
    let count = u64::from_le_bytes(bytes[..8].try_into().ok()?);
    let seq = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let hash = EntryHash(bytes[16..].try_into().ok()?);
    (count > 0).then_some(MapValue {
        count,
        head: Link { seq, hash },
    })
}

/// The `map_nodes` key of the subtree at (`depth`, `prefix`): the depth,
/// then the bytes of the prefix that hold its bits.
pub(super) fn node_row_key(prefix: &Hash, depth: u8) -> Vec<u8> {
    let bytes = usize::from(depth).div_ceil(8);
    let mut k = Vec::with_capacity(1 + bytes);
    k.push(depth);
    k.extend_from_slice(&prefix[..bytes]);
    k
}

/// The (depth, prefix) of a `map_nodes` key ([`node_row_key`]); `None` if
/// its length is not the one its depth gives.
fn decode_node_key(key: &[u8]) -> Option<(u8, Hash)> {
    let (&depth, bytes) = key.split_first()?;
    if bytes.len() != usize::from(depth).div_ceil(8) {
        return None;
    }
    let mut prefix = [0u8; 32];
    prefix[..bytes.len()].copy_from_slice(bytes);
    Some((depth, prefix))
}

pub(super) fn damaged(dir: &Path, detail: String) -> StoreError {
    StoreError::Damaged {
        dir: dir.to_path_buf(),
        detail,
    }
}

/// The key of a new row of a log (`table`, whose row keys are the
/// `seq_key` of the last entry of the commit that wrote each, in key
/// order): `last_seq`'s, which must come after every row the log holds. A
/// row at or past it (damage: no commit reaches past the head) is refused
/// rather than overwritten, which would lose what it logged.
pub(super) fn next_log_key(
    rows: &[Vec<u8>],
    last_seq: u64,
    table: &str,
    dir: &Path,
) -> Result<Vec<u8>, StoreError> {
    let key = seq_key(last_seq).to_vec();
    match rows.last() {
        Some(last) if *last >= key => Err(damaged(
            dir,
            format!(
                "{table} holds a row keyed {}, at or past the seq {last_seq} this commit ends at",
                hex::encode(last)
            ),
        )),
        _ => Ok(key),
    }
}

/// Refuses a log row whose key is not a seq (`seq_key`'s eight bytes).
pub(super) fn check_log_key(key: &[u8], table: &str, dir: &Path) -> Result<(), StoreError> {
    if key.len() == 8 {
        Ok(())
    } else {
        Err(damaged(
            dir,
            format!("{table} row {} is not keyed by a seq", hex::encode(key)),
        ))
    }
}

/// The person map in the store's tables, seen through changes not yet
/// committed: a batch's new values and node hashes, or, for a proof against
/// an older seal, the values of the persons touched since (some of them
/// absent then) with every cached node on their paths ignored.
pub(super) struct TableMap<'a> {
    backend: &'a Backend,
    dir: &'a Path,
    /// Read `map_leaves` and `map_nodes` under the overrides (false while
    /// a layout-2 store is being upgraded: it has no such tables).
    use_tables: bool,
    /// Values that replace the table's.
    values: &'a BTreeMap<Hash, MapValue>,
    /// Keys absent from the map seen here, whatever the table says.
    removed: &'a BTreeSet<Hash>,
    /// Keys whose paths' cached node hashes in the table are out of date.
    stale: &'a BTreeSet<Hash>,
    /// Node hashes computed here, newer than the table's.
    pub(super) nodes: &'a mut HashMap<(u8, Hash), Hash>,
    /// The ledger whose node log is read before `map_nodes` (`None`: no
    /// log, as while a layout-2 store is upgraded).
    log: Option<&'a Ledger>,
    /// `map_leaves` and `map_nodes`, each opened once for this map's reads.
    tables: std::cell::OnceCell<(TableReader<'a>, TableReader<'a>)>,
}

static NO_KEYS: BTreeSet<Hash> = BTreeSet::new();

impl<'a> TableMap<'a> {
    /// The map in the tables with `values` pending (a batch's).
    pub(super) fn pending(
        ledger: &'a Ledger,
        values: &'a BTreeMap<Hash, MapValue>,
        nodes: &'a mut HashMap<(u8, Hash), Hash>,
    ) -> TableMap<'a> {
        TableMap {
            backend: &ledger.backend,
            dir: &ledger.dir,
            use_tables: true,
            values,
            removed: &NO_KEYS,
            stale: &NO_KEYS,
            nodes,
            log: Some(ledger),
            tables: std::cell::OnceCell::new(),
        }
    }

    /// The two tables, opened on first use.
    fn tables(&self) -> Result<&(TableReader<'a>, TableReader<'a>), StoreError> {
        if self.tables.get().is_none() {
            let opened = (
                self.backend.reader(TreeId::MapLeaves)?,
                self.backend.reader(TreeId::MapNodes)?,
            );
            let _ = self.tables.set(opened);
        }
        Ok(self.tables.get().expect("set above"))
    }

    fn any_in(set: &BTreeSet<Hash>, prefix: &Hash, end: &Hash) -> bool {
        set.range(*prefix..=*end).next().is_some()
    }
}

impl MapStore for TableMap<'_> {
    type Error = StoreError;

    fn first_leaves(&self, prefix: &Hash, depth: usize) -> Result<Vec<Leaf>, StoreError> {
        let end = prefix_end(prefix, depth);
        let mut found: Vec<Leaf> = self
            .values
            .range(*prefix..=end)
            .take(2)
            .map(|(k, v)| Leaf {
                key: *k,
                value_hash: value_hash(v),
            })
            .collect();
        if self.use_tables {
            let skip = |k: &[u8]| {
                <[u8; 32]>::try_from(k)
                    .map(|k| self.values.contains_key(&k) || self.removed.contains(&k))
                    .unwrap_or(false)
            };
            let whole = match self.log {
                Some(ledger) => ledger.whole_first_leaves(prefix, &end, 2, |k: &Hash| skip(k))?,
                None => None,
            };
            if let Some(leaves) = whole {
                found.extend(leaves.iter().map(|(key, v)| Leaf {
                    key: *key,
                    value_hash: value_hash(v),
                }));
                found.sort_by_key(|l| l.key);
                found.truncate(2);
                return Ok(found);
            }
            for (k, v) in self.tables()?.0.first_in(prefix, &end, 2, &skip)? {
                let key: Hash = k
                    .as_slice()
                    .try_into()
                    .map_err(|_| damaged(self.dir, "a map_leaves key is not 32 bytes".into()))?;
                let value = decode_value(&v).ok_or_else(|| {
                    damaged(
                        self.dir,
                        format!("map_leaves row {} is malformed", hex::encode(key)),
                    )
                })?;
                found.push(Leaf {
                    key,
                    value_hash: value_hash(&value),
                });
            }
            found.sort_by_key(|l| l.key);
            found.truncate(2);
        }
        Ok(found)
    }

    fn node(&self, prefix: &Hash, depth: usize) -> Result<Option<Hash>, StoreError> {
        let Ok(d) = u8::try_from(depth) else {
            return Ok(None);
        };
        if let Some(h) = self.nodes.get(&(d, *prefix)) {
            return Ok(Some(*h));
        }
        if !self.use_tables || TableMap::any_in(self.stale, prefix, &prefix_end(prefix, depth)) {
            return Ok(None);
        }
        let read_table = || match self.tables()?.1.get(&node_row_key(prefix, d))? {
            None => Ok(None),
            Some(v) => v.as_slice().try_into().map(Some).map_err(|_| {
                damaged(
                    self.dir,
                    format!("map_nodes row (depth {depth}) is not 32 bytes"),
                )
            }),
        };
        match self.log {
            Some(ledger) => ledger.current_node(d, prefix, read_table),
            None => read_table(),
        }
    }

    fn set_node(&mut self, prefix: &Hash, depth: usize, hash: Hash) -> Result<(), StoreError> {
        let d = u8::try_from(depth).expect("a node splits on a bit below 256");
        self.nodes.insert((d, *prefix), hash);
        Ok(())
    }
}

/// The rows of the person map and the governance stream of a layout-2
/// store, derived from its `persons` and `governance` indexes and the
/// hashes of the entries they name: what upgrading it to layout 3 writes.
/// Memory holds one leaf per person (about 100 bytes each).
pub(super) fn derive(backend: &Backend, dir: &Path) -> Result<WriteSet, StoreError> {
    let mut writes = WriteSet::new();
    writes.clear(TreeId::MapLeaves);
    writes.clear(TreeId::MapNodes);
    writes.clear(TreeId::MapNodeLog);
    let head_of = |seq: u64| -> Result<Link, StoreError> {
        let bytes = backend
            .get(TreeId::Entries, &seq_key(seq))?
            .ok_or_else(|| damaged(dir, format!("entry {seq}, named by an index, is missing")))?;
        Ok(Link {
            seq,
            hash: entry_hash(&bytes),
        })
    };
    // Governance: the index also lists checkpoints, which are no stream's.
    let mut gov: Option<MapValue> = None;
    for row in backend.scan_from(TreeId::Governance, &[]) {
        let (k, _) = row?;
        let seq = u64::from_be_bytes(
            k.as_slice()
                .try_into()
                .map_err(|_| damaged(dir, "bad governance index key".into()))?,
        );
        let bytes = backend
            .get(TreeId::Entries, &seq_key(seq))?
            .ok_or_else(|| damaged(dir, format!("governance entry {seq} is missing")))?;
        let entry = SignedEntry::decode(bytes)
            .map_err(|e| damaged(dir, format!("entry {seq} does not decode: {e}")))?;
        if entry.event().is_governance() {
            let head = Link {
                seq,
                hash: entry.hash(),
            };
            let count = gov.map_or(0, |g| g.count) + 1;
            gov = Some(MapValue { count, head });
        }
    }
    if let Some(g) = gov {
        writes.insert(TreeId::Meta, GOV_KEY, &encode_value(&g));
    }
    // Persons: each person's rows are contiguous in the index (id ‖ 00 ‖
    // seq, ids hold no NUL), in ascending seq.
    let mut leaves: BTreeMap<Hash, MapValue> = BTreeMap::new();
    let mut current: Option<(Vec<u8>, u64, u64)> = None;
    let mut finish = |c: Option<(Vec<u8>, u64, u64)>| -> Result<(), StoreError> {
        if let Some((id, count, last)) = c {
            let id = String::from_utf8(id)
                .map_err(|_| damaged(dir, "a person index key is not UTF-8".into()))?;
            leaves.insert(
                person_key(&id),
                MapValue {
                    count,
                    head: head_of(last)?,
                },
            );
        }
        Ok(())
    };
    for row in backend.scan_from(TreeId::Persons, &[]) {
        let (k, _) = row?;
        if k.len() < 9 || k[k.len() - 9] != 0 {
            return Err(damaged(dir, "a person index key is malformed".into()));
        }
        let (id, seq) = k.split_at(k.len() - 9);
        let seq = u64::from_be_bytes(seq[1..].try_into().expect("8 bytes"));
        match &mut current {
            Some((cur, count, last)) if cur.as_slice() == id => {
                *count += 1;
                *last = seq;
            }
            _ => finish(current.replace((id.to_vec(), 1, seq)))?,
        }
    }
    finish(current.take())?;
    for (k, v) in &leaves {
        writes.insert(TreeId::MapLeaves, k, &encode_value(v));
    }
    let mut nodes = HashMap::new();
    let keys: Vec<Hash> = leaves.keys().copied().collect();
    let mut map = TableMap {
        backend,
        dir,
        use_tables: false,
        values: &leaves,
        removed: &NO_KEYS,
        stale: &NO_KEYS,
        nodes: &mut nodes,
        log: None,
        tables: std::cell::OnceCell::new(),
    };
    update_root(&mut map, &keys)?;
    for ((d, p), h) in nodes {
        writes.insert(TreeId::MapNodes, &node_row_key(&p, d), &h);
    }
    Ok(writes)
}

/// A checkpoint whose tree ends with a seal (format v2): what a complete
/// person bundle is built against.
#[derive(Clone, Debug)]
pub struct SealedCheckpoint {
    /// The seal's seq (`checkpoint_seq - 1`).
    pub seal_seq: u64,
    /// The checkpoint entry's seq, which is its tree size.
    pub checkpoint_seq: u64,
    /// The seal entry.
    pub seal: SignedEntry,
    /// The checkpoint entry.
    pub checkpoint: SignedEntry,
}

impl Ledger {
    /// Entry `seq`, which an index names.
    fn entry_at(&self, seq: u64) -> Result<SignedEntry, StoreError> {
        self.entry(seq)?.ok_or_else(|| {
            damaged(
                &self.dir,
                format!("entry {seq}, named by an index, is missing"),
            )
        })
    }

    /// Refuses what needs the person map on a store that has none yet (a
    /// layout-2 store opened read-only).
    fn require_map(&self) -> Result<(), StoreError> {
        if self.map_ready {
            Ok(())
        } else {
            Err(StoreError::MapNotBuilt(self.dir.clone()))
        }
    }

    /// The stored value of `stream` (committed entries only).
    pub(super) fn stored_stream_value(
        &self,
        stream: &Stream,
    ) -> Result<Option<MapValue>, StoreError> {
        self.require_map()?;
        if let (true, Stream::Person(k)) = (self.whole_map, stream) {
            if let Some(whole) = self.map_log().whole(&self.backend, &self.dir)? {
                return Ok(whole.leaves.get(k).copied());
            }
        }
        let (tree, key, what): (TreeId, &[u8], String) = match stream {
            Stream::Governance => (TreeId::Meta, GOV_KEY, "meta row gov".into()),
            Stream::Person(k) => (
                TreeId::MapLeaves,
                k.as_slice(),
                format!("map_leaves row {}", hex::encode(k)),
            ),
        };
        match self.backend.get(tree, key)? {
            None => Ok(None),
            Some(v) => decode_value(&v)
                .map(Some)
                .ok_or_else(|| damaged(&self.dir, format!("{what} is malformed"))),
        }
    }

    /// The root of the person map over every entry (format v2), from the
    /// stored nodes.
    pub fn map_root(&self) -> Result<Hash, StoreError> {
        self.require_map()?;
        let values = BTreeMap::new();
        let mut nodes = HashMap::new();
        update_root(&mut TableMap::pending(self, &values, &mut nodes), &[])
    }

    /// The latest checkpoint entry whose previous entry is a seal (a
    /// format-v2 checkpoint), with that seal; `None` if the ledger has
    /// none (no checkpoint, or only checkpoints of version 1 entries).
    /// Reads the governance index and the checkpoints from the latest down.
    pub fn latest_seal(&self) -> Result<Option<SealedCheckpoint>, StoreError> {
        for seq in self.checkpoint_seqs_back() {
            let seq = seq?;
            let checkpoint = self.entry_at(seq)?;
            if !matches!(checkpoint.event(), Event::Checkpoint(_)) || seq == 0 {
                continue;
            }
            let seal = self.entry_at(seq - 1)?;
            if matches!(seal.event(), Event::Seal(_)) {
                return Ok(Some(SealedCheckpoint {
                    seal_seq: seq - 1,
                    checkpoint_seq: seq,
                    seal,
                    checkpoint,
                }));
            }
        }
        Ok(None)
    }

    /// How many entries with seq below `seq` concern `person`, and the last
    /// of them (`None`: none does): the person's value in the map over the
    /// entries before `seq`. From the person index; needs no map, so it
    /// works on every store.
    pub fn person_value_below(
        &self,
        person: &PersonId,
        seq: u64,
    ) -> Result<Option<MapValue>, StoreError> {
        let seqs = self.person_seqs(person)?;
        let below = seqs.partition_point(|&s| s < seq);
        let Some(&last) = seqs[..below].last() else {
            return Ok(None);
        };
        Ok(Some(MapValue {
            count: below as u64,
            head: Link {
                seq: last,
                hash: self.entry_at(last)?.hash(),
            },
        }))
    }

    /// The governance stream (genesis, grants, revocations) over the
    /// entries before `seq`: how many, and the last. From the governance
    /// index; needs no map.
    pub fn governance_value_below(&self, seq: u64) -> Result<Option<MapValue>, StoreError> {
        let mut value: Option<MapValue> = None;
        for s in self.governance_seqs()? {
            if s >= seq {
                break;
            }
            let e = self.entry_at(s)?;
            if e.event().is_governance() {
                value = Some(MapValue {
                    count: value.map_or(0, |v| v.count) + 1,
                    head: Link {
                        seq: s,
                        hash: e.hash(),
                    },
                });
            }
        }
        Ok(value)
    }

    /// The proof about `person` in the person map over the entries below
    /// `seal_seq` (for a seal at `seal_seq`, the map its `map_root`
    /// states): presence with their value, or absence. Check it with
    /// `custody_format::map_hash::verify` against the seal's root.
    ///
    /// Cost: if no entry at or after `seal_seq` concerns anyone, the proof
    /// is read from the stored map (about 18 node and leaf reads). Otherwise
    /// the entries from `seal_seq` to the head are read (Δ of them) to find
    /// the persons they touched (T); each of those takes its value below
    /// `seal_seq` from the person index (or is absent then), and the map is
    /// seen through those values with every stored node on their paths
    /// recomputed: O(Δ + 18·|T|) reads and hashes, in memory O(|T|).
    /// If the entry at `seal_seq` is a seal, the root of that map is
    /// checked against the seal's before the proof is returned (a mismatch
    /// is [`StoreError::Damaged`]). Needs the map (layout 3).
    pub fn person_map_proof(
        &self,
        person: &PersonId,
        seal_seq: u64,
    ) -> Result<MapProof, StoreError> {
        self.require_map()?;
        if seal_seq > self.len() {
            return Err(StoreError::Range(format!(
                "the ledger has {} entries; there is no map before seq {seal_seq}",
                self.len()
            )));
        }
        let key = person_key(person.as_str());
        // The persons touched at or after the seal.
        let mut touched: BTreeMap<Hash, PersonId> = BTreeMap::new();
        for item in self.entries_from(seal_seq) {
            let (seq, bytes) = item?;
            let entry = SignedEntry::decode(bytes)
                .map_err(|e| damaged(&self.dir, format!("entry {seq} does not decode: {e}")))?;
            for p in self.persons_of(entry.event())? {
                touched.insert(person_key(p.as_str()), p);
            }
        }
        let mut values = BTreeMap::new();
        let mut removed = BTreeSet::new();
        for (k, p) in &touched {
            match self.person_value_below(p, seal_seq)? {
                Some(v) => {
                    values.insert(*k, v);
                }
                None => {
                    removed.insert(*k);
                }
            }
        }
        let stale: BTreeSet<Hash> = touched.keys().copied().collect();
        let value = match values.get(&key) {
            Some(v) => Some(*v),
            None if stale.contains(&key) => None,
            None => self.stored_stream_value(&Stream::Person(key))?,
        };
        let mut nodes = HashMap::new();
        let mut map = TableMap {
            backend: &self.backend,
            dir: &self.dir,
            use_tables: true,
            values: &values,
            removed: &removed,
            stale: &stale,
            nodes: &mut nodes,
            log: Some(self),
            tables: std::cell::OnceCell::new(),
        };
        if let Some(seal_entry) = self.entry(seal_seq)? {
            if let Event::Seal(seal) = seal_entry.event() {
                let root = update_root(&mut map, &[])?;
                if root != seal.map_root.0 {
                    return Err(damaged(
                        &self.dir,
                        format!(
                            "the person map below seq {seal_seq} has root {}, not the {} its seal states; run `custody verify`",
                            hex::encode(root),
                            hex::encode(seal.map_root.0)
                        ),
                    ));
                }
            }
        }
        prove_in(&mut map, &key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::event_from_value;
    use crate::keyfile::public_key_of;
    use custody_format::entry::{EntryBody, GENESIS_PREV_HASH, VERSION_1};
    use custody_format::event::{Correction, KeyGranted, Role};
    use custody_format::time::Timestamp;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    /// The node log (layout 6), across two merges: after every commit the
    /// nodes read through the log are those the chain implies (a clean
    /// check, which recomputes them), the log never reaches
    /// [`MERGE_EVERY`] rows, a merge empties it, and a reader that opens
    /// the store afresh (and so reads the log from disk, not this
    /// handle's copy) finds the same root and the same proofs.
    #[test]
    fn the_node_log_is_merged_and_every_reader_agrees() {
        node_log_runs(false);
    }

    /// The same with the whole map kept in memory (a committer's handle):
    /// its copy of the map stays what the store holds, commit after
    /// commit, merges included, and it is what computes every root.
    #[test]
    fn the_whole_map_in_memory_stays_what_the_store_holds() {
        node_log_runs(true);
    }

    /// A store of around the cap's number of persons, opened by a handle
    /// that keeps the whole map: held at or under the cap, read from the
    /// tables over it (never a truncated copy), and every proof and root
    /// what a reader finds, through commits that touch one person only;
    /// a map too large stays so after a commit that did not land.
    #[test]
    fn the_whole_map_is_held_up_to_its_cap_and_never_cut() {
        let authority = SigningKey::from_bytes(&[1; 32]);
        let sighting = |p: &str| {
            event_from_value(
                json!({"type":"sighting","person":p,"occurred_at":"2023","source":"tv"}),
            )
            .unwrap()
        };
        for n in [
            WHOLE_MAP_MAX_LEAVES - 1,
            WHOLE_MAP_MAX_LEAVES,
            WHOLE_MAP_MAX_LEAVES + 1,
            WHOLE_MAP_MAX_LEAVES + 5,
        ] {
            let dir = tempfile::tempdir().unwrap();
            let store = dir.path().join("l");
            let (mut ledger, _) = Ledger::create(&store, "t", "A", &authority).unwrap();
            ledger
                .append(
                    vec![Event::KeyGranted(KeyGranted {
                        public_key: public_key_of(&authority),
                        role: Role::Investigator,
                        holder: "A".into(),
                    })],
                    &authority,
                )
                .unwrap();
            let everyone: Vec<String> = (0..n).map(|i| format!("P-{i}")).collect();
            ledger
                .append(everyone.iter().map(|p| sighting(p)).collect(), &authority)
                .unwrap();
            drop(ledger);
            let mut ledger = Ledger::open(&store).unwrap();
            ledger.keep_whole_map();
            for _ in 0..3 {
                ledger.append(vec![sighting("P-0")], &authority).unwrap();
                assert_eq!(
                    ledger.whole_map_held(),
                    n <= WHOLE_MAP_MAX_LEAVES,
                    "{n} persons"
                );
                assert_eq!(ledger.stale_whole_map(), None, "{n} persons");
                let reader = Ledger::open_read_only(&store).unwrap();
                assert_eq!(reader.map_root().unwrap(), ledger.map_root().unwrap());
                let size = ledger.len();
                for p in everyone.iter().chain(["P-absent".to_string()].iter()) {
                    let p = PersonId::new(p).unwrap();
                    assert_eq!(
                        reader.person_map_proof(&p, size).unwrap(),
                        ledger.person_map_proof(&p, size).unwrap(),
                        "{n} persons, {p}"
                    );
                }
            }
            if n > WHOLE_MAP_MAX_LEAVES {
                ledger.forget_logs();
                assert!(
                    matches!(ledger.map_log().whole, Whole::TooLarge),
                    "{n} persons"
                );
            }
        }
    }

    fn node_log_runs(whole: bool) {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("l");
        let authority = SigningKey::from_bytes(&[1; 32]);
        let (mut ledger, _) = Ledger::create(&store, "t", "A", &authority).unwrap();
        if whole {
            ledger.keep_whole_map();
        }
        let investigator = SigningKey::from_bytes(&[2; 32]);
        let grant = Event::KeyGranted(KeyGranted {
            public_key: public_key_of(&investigator),
            role: Role::Investigator,
            holder: "I".into(),
        });
        ledger.append(vec![grant], &authority).unwrap();
        let mut merges = 0;
        for i in 0..(4 * MERGE_EVERY + 3) {
            // New persons each time, and P-0 again: paths new and changed.
            let events = [
                format!("P-{}", 2 * i + 1),
                format!("P-{}", 2 * i + 2),
                "P-0".into(),
            ]
            .into_iter()
            .map(|p| {
                event_from_value(
                    json!({"type":"sighting","person":p,"occurred_at":"2023","source":"tv"}),
                )
                .unwrap()
            })
            .collect();
            ledger.append(events, &investigator).unwrap();
            let (logged, rows) = ledger.logged_nodes().unwrap();
            assert!(rows < MERGE_EVERY, "commit {i}: {rows} log rows");
            if rows == 0 {
                merges += 1;
                assert!(logged.is_empty());
            }
            let report = ledger.check_derived(|_| ()).unwrap();
            assert!(report.is_clean(), "commit {i}: {report:?}");
            // What this handle kept of the map is what the store holds.
            assert_eq!(ledger.stale_map_log_nodes(), vec![], "commit {i}");
            // Held up to its bound, then read from the tables.
            let persons = 2 * i + 3;
            assert_eq!(
                ledger.whole_map_held(),
                whole && persons <= WHOLE_MAP_MAX_LEAVES,
                "commit {i}"
            );
            assert_eq!(ledger.stale_whole_map(), None, "commit {i}");
            let reader = Ledger::open_read_only(&store).unwrap();
            assert_eq!(
                reader.map_root().unwrap(),
                ledger.map_root().unwrap(),
                "commit {i}"
            );
            let p0 = PersonId::new("P-0").unwrap();
            let size = ledger.len();
            assert_eq!(
                reader.person_map_proof(&p0, size).unwrap(),
                ledger.person_map_proof(&p0, size).unwrap(),
                "commit {i}"
            );
        }
        assert_eq!(merges, 4);
    }

    /// A chain of version 1 entries, as a layout-2 store holds: genesis, a
    /// grant, evidence about P-1 and P-2, a reassignment of P-2's capture
    /// to P-3.
    fn v1_chain() -> Vec<SignedEntry> {
        let authority = SigningKey::from_bytes(&[1; 32]);
        let investigator = SigningKey::from_bytes(&[2; 32]);
        let capture = |p: &str| {
            event_from_value(json!({"type":"capture","person":p,"occurred_at":"2022-05"})).unwrap()
        };
        let mut events = vec![
            (
                Event::Genesis(custody_format::event::Genesis {
                    ledger_name: "t".into(),
                    authority_key: public_key_of(&authority),
                    authority_holder: "A".into(),
                }),
                &authority,
            ),
            (
                Event::KeyGranted(KeyGranted {
                    public_key: public_key_of(&investigator),
                    role: Role::Investigator,
                    holder: "I".into(),
                }),
                &authority,
            ),
            (capture("P-1"), &investigator),
            (capture("P-2"), &investigator),
            (capture("P-1"), &investigator),
        ];
        let mut out: Vec<SignedEntry> = Vec::new();
        let sign = |event: Event, key: &SigningKey, out: &mut Vec<SignedEntry>| {
            let seq = out.len() as u64;
            let body = EntryBody {
                version: VERSION_1,
                links: vec![],
                seq,
                prev_hash: out.last().map_or(GENESIS_PREV_HASH, |e| e.hash()),
                recorded_at: Timestamp(1_700_000_000_000_000 + seq as i64),
                signer: public_key_of(key),
                event,
            };
            out.push(SignedEntry::sign(body, key).unwrap());
        };
        for (event, key) in events.drain(..) {
            sign(event, key, &mut out);
        }
        let target = out[3].hash();
        sign(
            Event::Correction(Correction {
                target,
                reason: "another man".into(),
                replacement: Some(Box::new(capture("P-3"))),
            }),
            &investigator,
            &mut out,
        );
        out
    }

    fn rows(l: &Ledger) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
        let scan = |t| -> Vec<(Vec<u8>, Vec<u8>)> {
            l.backend.scan_from(t, &[]).map(|r| r.unwrap()).collect()
        };
        // The nodes as readers see them: the node log over the table.
        let mut nodes: BTreeMap<Vec<u8>, Vec<u8>> = scan(TreeId::MapNodes).into_iter().collect();
        for ((depth, prefix), hash) in l.logged_nodes().unwrap().0 {
            nodes.insert(node_row_key(&prefix, depth), hash.to_vec());
        }
        vec![
            scan(TreeId::MapLeaves),
            nodes.into_iter().collect(),
            vec![(
                GOV_KEY.to_vec(),
                l.backend.get(TreeId::Meta, GOV_KEY).unwrap().unwrap(),
            )],
        ]
    }

    /// A real layout-2 store (version 1 entries, no map tables, marker 2)
    /// is read without its map, and upgraded by the first writable open to
    /// the rows a restore of the same entries derives; a later version 2
    /// entry links to the last version 1 entry of its stream.
    #[test]
    fn a_layout_2_store_is_read_and_then_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let chain = v1_chain();
        let l = Ledger::restore(
            &path,
            chain.iter().cloned().map(Ok::<_, std::io::Error>),
            Default::default(),
            |_| {},
        )
        .unwrap();
        let derived = rows(&l);
        assert_eq!(derived[0].len(), 3, "P-1, P-2, P-3");
        assert!(
            derived[1].len() >= 2,
            "the root and a node where two keys split"
        );
        let root = l.map_root().unwrap();
        // Back to layout 2: the map's tables and the logs gone (every id
        // in its table), the marker 2.
        l.back_to_layout(b"2", &[TreeId::MapLeaves, TreeId::MapNodes]);
        drop(l);
        let p1 = PersonId::new("P-1").unwrap();
        {
            let r = Ledger::open_read_only(&path).unwrap();
            assert_eq!(r.len(), 6);
            assert_eq!(r.person_seqs(&p1).unwrap(), [2, 4]);
            assert_eq!(
                r.person_value_below(&p1, 6).unwrap().unwrap().head.hash,
                chain[4].hash()
            );
            assert!(matches!(r.map_root(), Err(StoreError::MapNotBuilt(_))));
            assert!(matches!(
                r.person_map_proof(&p1, 6),
                Err(StoreError::MapNotBuilt(_))
            ));
            let report = r.check_derived(|_| ()).unwrap();
            assert!(report.is_clean() && report.map_not_built, "{report:?}");
            // Appends are checked as version 1 there: the precheck works.
            let key = SigningKey::from_bytes(&[2; 32]);
            let event = event_from_value(
                json!({"type":"sighting","person":"P-1","occurred_at":"2023","source":"tv"}),
            )
            .unwrap();
            assert!(r.precheck(&event, &key).unwrap().is_ok());
        }
        let mut l = Ledger::open(&path).unwrap();
        assert_eq!(
            l.backend
                .get(TreeId::Meta, super::super::MARKER_KEY)
                .unwrap(),
            Some(super::super::LAYOUT_VERSION.to_vec())
        );
        assert_eq!(rows(&l), derived);
        assert_eq!(l.map_root().unwrap(), root);
        assert!(l.check_derived(|_| ()).unwrap().is_clean());
        // The switch: a version 3 entry (the current format) links to
        // P-1's last v1 entry, as a v2 entry did.
        l.confirm_clock();
        let key = SigningKey::from_bytes(&[2; 32]);
        let event = event_from_value(
            json!({"type":"sighting","person":"P-1","occurred_at":"2023","source":"tv"}),
        )
        .unwrap();
        l.append(vec![event], &key).unwrap();
        let e = l.entry(6).unwrap().unwrap();
        assert_eq!(e.body().version, custody_format::entry::FORMAT_VERSION);
        assert_eq!(
            e.body().links,
            vec![Some(Link {
                seq: 4,
                hash: chain[4].hash()
            })]
        );
        l.checkpoint(&SigningKey::from_bytes(&[1; 32])).unwrap();
        assert!(l.check_derived(|_| ()).unwrap().is_clean());
        let seal = l.latest_seal().unwrap().unwrap();
        assert_eq!((seal.seal_seq, seal.checkpoint_seq), (7, 8));
    }

    #[test]
    fn values_round_trip_and_node_keys_are_compact() {
        let v = MapValue {
            count: 3,
            head: Link {
                seq: 40,
                hash: EntryHash([0x51; 32]),
            },
        };
        assert_eq!(decode_value(&encode_value(&v)), Some(v));
        assert_eq!(decode_value(&[0; 47]), None);
        assert_eq!(decode_value(&[0; 48]), None, "a count of 0 is no leaf");
        let p = [0xff; 32];
        assert_eq!(node_row_key(&p, 0), vec![0]);
        assert_eq!(node_row_key(&p, 1), vec![1, 0xff]);
        assert_eq!(node_row_key(&p, 9), vec![9, 0xff, 0xff]);
        assert_eq!(node_row_key(&p, 16).len(), 3);
    }
}
