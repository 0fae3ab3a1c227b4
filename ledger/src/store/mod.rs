//! The ledger on disk: where an append happens.
//!
//! [`Ledger::append`] is the one write path for evidence and governance
//! alike. It checks every event of a batch (authority of the signer,
//! correction targets, the clock) *before* writing anything, signs and chains
//! the entries, and commits them with their indexes in one atomic, durable
//! step ([`backend::Backend::commit`]). A refused batch leaves the store
//! exactly as it was; an acknowledged batch has been fsynced.

pub(crate) mod backend;

use crate::entry::{EntryBody, SignedEntry, FORMAT_VERSION, GENESIS_PREV_HASH};
use crate::event::{EntryHash, Event, Genesis, PersonId};
use crate::keys::{public_key_of, AuthError, KeyRegistry};
use crate::time::Timestamp;
use backend::{Backend, TreeId, WriteSet};
use ed25519_dalek::SigningKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Marker stored in the meta tree: this sled database is a custody ledger.
const MARKER_KEY: &[u8] = b"custody";
/// Layout version of the trees (not of the entry format, which each entry
/// carries). Bump when the indexes change shape.
const LAYOUT_VERSION: &[u8] = b"1";

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No ledger at this path.
    #[error("no ledger at {0} — run `custody init` (or check --store / CUSTODY_STORE)")]
    NoLedger(PathBuf),
    /// `init` on a directory that already holds something.
    #[error("{0} already holds a ledger; refusing to initialise it again")]
    AlreadyExists(PathBuf),
    /// `init` on a non-empty directory that is not a ledger.
    #[error("{0} is not empty; initialise a ledger in a new or empty directory")]
    NotEmpty(PathBuf),
    /// Another process holds the store.
    #[error(
        "store is in use by another process: {0} (waited 3 s); try again when it has finished"
    )]
    InUse(PathBuf),
    /// A file-system error.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// What.
        source: std::io::Error,
    },
    /// The store's files or contents are damaged.
    #[error("the store at {dir} is damaged: {detail}. Do not append to it. Restore the store directory from a backup, or rebuild the ledger from an export (check one with `custody verify --bundle FILE`); if the store still opens, `custody verify` shows the first damaged entry")]
    Damaged {
        /// The store.
        dir: PathBuf,
        /// What was found.
        detail: String,
    },
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

/// Why one event was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The signer may not sign it.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// A field is invalid, or the entry cannot be encoded.
    #[error("{0}")]
    Entry(#[from] crate::entry::EntryError),
    /// A correction whose target is not an earlier evidence entry.
    #[error("field `target`: {0}")]
    Target(String),
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

/// An open ledger. Holds the store's lock until dropped.
pub struct Ledger {
    dir: PathBuf,
    backend: Backend,
    head: Head,
    registry: KeyRegistry,
}

fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

fn person_key(person: &PersonId, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(person.as_str().len() + 9);
    k.extend_from_slice(person.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

impl Ledger {
    /// Creates a ledger in `dir` (which must be absent or empty) and writes
    /// its genesis entry, signed by `authority`, naming that key as the
    /// ledger's authority.
    pub fn create(
        dir: &Path,
        ledger_name: &str,
        authority_holder: &str,
        authority: &SigningKey,
    ) -> Result<(Ledger, Appended), AppendError> {
        if backend::looks_like_store(dir) {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()).into());
        }
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
            if entries.next().is_some() {
                return Err(StoreError::NotEmpty(dir.to_path_buf()).into());
            }
        } else {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
            if let Some(parent) = dir.parent() {
                backend::sync_dir(if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                })?;
            }
        }
        let backend = Backend::open(dir, true)?;
        let genesis = Event::Genesis(Genesis {
            ledger_name: ledger_name.to_string(),
            authority_key: public_key_of(authority),
            authority_holder: authority_holder.to_string(),
        });
        let mut ledger = Ledger {
            dir: dir.to_path_buf(),
            backend,
            head: Head {
                seq: 0,
                hash: GENESIS_PREV_HASH,
                recorded_at: Timestamp(i64::MIN),
            },
            registry: KeyRegistry::new(),
        };
        let appended = ledger.append_at(vec![genesis], authority, 0, Timestamp::now(), true)?;
        Ok((ledger, appended[0]))
    }

    /// Opens the ledger in `dir`. Never creates one.
    pub fn open(dir: &Path) -> Result<Ledger, StoreError> {
        let backend = Backend::open(dir, false)?;
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
                    "its custody marker is missing: the storage engine's files were cut short or overwritten (or `custody init` was interrupted)".into(),
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
        Ok(Ledger {
            dir: dir.to_path_buf(),
            backend,
            head,
            registry,
        })
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
        let now = Timestamp::now();
        if now < self.head.recorded_at {
            return Err(AppendError::ClockBehind {
                now,
                last: self.head.recorded_at,
            });
        }
        self.append_at(events, key, self.head.seq + 1, now, false)
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
    pub fn precheck(&self, event: &Event, key: &SigningKey) -> Result<(), Refusal> {
        let signer = public_key_of(key);
        self.registry.check(self.head.seq + 1, &signer, event)?;
        event
            .validate()
            .map_err(|e| Refusal::Entry(crate::entry::EntryError::Field(e)))?;
        if let Event::Correction(c) = event {
            self.correction_target(&c.target, &HashMap::new(), &[])
                .map_err(Refusal::Target)?;
        }
        Ok(())
    }

    fn append_at(
        &mut self,
        events: Vec<Event>,
        key: &SigningKey,
        first_seq: u64,
        recorded_at: Timestamp,
        first: bool,
    ) -> Result<Vec<Appended>, AppendError> {
        let signer = public_key_of(key);
        let mut registry = self.registry.clone();
        let mut prev = if first {
            GENESIS_PREV_HASH
        } else {
            self.head.hash
        };
        let mut batch_hashes: HashMap<EntryHash, usize> = HashMap::new();
        let mut signed = Vec::with_capacity(events.len());
        let mut writes = WriteSet::new();
        if first {
            writes.insert(TreeId::Meta, MARKER_KEY, LAYOUT_VERSION);
        }
        for (index, event) in events.into_iter().enumerate() {
            let refused = |reason: Refusal| AppendError::Refused { index, reason };
            let seq = first_seq + index as u64;
            registry
                .check(seq, &signer, &event)
                .map_err(|e| refused(e.into()))?;
            let mut persons: Vec<PersonId> = event.person().cloned().into_iter().collect();
            if let Event::Correction(c) = &event {
                let target = self
                    .correction_target(&c.target, &batch_hashes, &signed)
                    .map_err(|m| refused(Refusal::Target(m)))?;
                persons.extend(target.person().cloned());
                if let Some(p) = c.replacement.as_deref().and_then(Event::person) {
                    persons.push(p.clone());
                }
                persons.sort();
                persons.dedup();
            }
            registry.apply(seq, &event);
            let entry = SignedEntry::sign(
                EntryBody {
                    version: FORMAT_VERSION,
                    seq,
                    prev_hash: prev,
                    recorded_at,
                    signer,
                    event,
                },
                key,
            )
            .map_err(|e| refused(e.into()))?;
            writes.insert(TreeId::Entries, &seq_key(seq), entry.bytes());
            writes.insert(TreeId::Hashes, &entry.hash().0, &seq_key(seq));
            for p in &persons {
                writes.insert(TreeId::Persons, &person_key(p, seq), &[]);
            }
            if entry.event().is_governance() {
                writes.insert(TreeId::Governance, &seq_key(seq), &[]);
            }
            prev = entry.hash();
            batch_hashes.insert(entry.hash(), signed.len());
            signed.push(entry);
        }
        let Some(last) = signed.last() else {
            return Ok(Vec::new());
        };
        let head = Head {
            seq: last.seq(),
            hash: last.hash(),
            recorded_at,
        };
        self.backend.commit(writes)?;
        self.head = head;
        self.registry = registry;
        Ok(signed
            .iter()
            .map(|e| Appended {
                seq: e.seq(),
                hash: e.hash(),
            })
            .collect())
    }

    /// Finds a correction's target: an earlier evidence entry, in the store
    /// or earlier in the same batch. Returns its event.
    fn correction_target(
        &self,
        target: &EntryHash,
        batch_hashes: &HashMap<EntryHash, usize>,
        batch: &[SignedEntry],
    ) -> Result<Event, String> {
        let event = if let Some(&i) = batch_hashes.get(target) {
            batch[i].event().clone()
        } else {
            let seq = self
                .seq_of(target)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no entry with hash {target} in this ledger"))?;
            self.entry(seq)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("entry {seq} is missing"))?
                .event()
                .clone()
        };
        if !event.is_evidence() {
            return Err(format!(
                "entry {target} is a {}, not evidence about a person; only evidence can be corrected",
                event.type_name()
            ));
        }
        Ok(event)
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

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.backend.size_on_disk()
    }
}
