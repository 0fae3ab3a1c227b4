//! What can go wrong in the store, typed: the store itself failing
//! ([`StoreError`]), an append refused ([`AppendError`], [`Refusal`]).

use crate::merkle;
use custody_format::registry::AuthError;
use custody_format::rules::{Breach, Rule};
use custody_format::time::Timestamp;
use std::path::{Path, PathBuf};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No ledger at this path.
    #[error("no ledger at {0}")]
    NoLedger(PathBuf),
    /// `init` or `restore` on a directory that already holds a store.
    #[error("{0} already holds a ledger; refusing to create another over it")]
    AlreadyExists(PathBuf),
    /// `init` or `restore` on a non-empty directory that is not a ledger.
    #[error("{0} is not empty; a new ledger is made only in a new or empty directory")]
    NotEmpty(PathBuf),
    /// Another process holds the store.
    #[error(
        "store is in use by another process: {0} (waited 3 s); try again when it has finished (a `custody serve --key` is the store's writer until it stops: stop it first, or send it statements instead)"
    )]
    InUse(PathBuf),
    /// A write through a ledger opened with [`Ledger::open_read_only`].
    #[error("{0} was opened for reading only; nothing was written")]
    ReadOnly(PathBuf),
    /// A request outside the ledger (a seq or tree size it does not have).
    #[error("{0}")]
    Range(String),
    /// The operating system's random generator failed, so no salt could
    /// be drawn for a commitment (format v3): nothing was written.
    #[error("the operating system's random generator failed: {0}; nothing was written")]
    Random(String),
    /// A file-system error.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// What.
        source: std::io::Error,
    },
    /// The store's files or contents are damaged.
    #[error("the store at {dir} is damaged: {detail}")]
    Damaged {
        /// The store.
        dir: PathBuf,
        /// What was found.
        detail: String,
    },
    /// What was asked needs the person map (format v2), which a store of
    /// layout 2 does not have until a writable open derives it; this one
    /// was opened read-only, so it was not.
    #[error("{0} is a store of layout 2, which has no person map yet; it is built when the store is first opened to write")]
    MapNotBuilt(PathBuf),
    /// `custody compact` stopped before it replaced the store's file: the
    /// rewritten copy could not be made, or differed from the store. The
    /// copy was removed; the store is as it was.
    #[error(
        "compaction of {dir} stopped before it replaced the store, which is as it was: {detail}"
    )]
    CompactionStopped {
        /// The store.
        dir: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A store in a layout this build does not read (the sled store of the
    /// first development builds). Nothing is wrong with it; it needs the
    /// build that wrote it to export it.
    #[error("{0} holds a store in the sled layout of custody's first development builds, which this build does not read (it was not changed)")]
    OldLayout(PathBuf),
}

pub(super) fn proof_error(e: merkle::ProofError<StoreError>) -> StoreError {
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
    /// Event `index` (0-based, in the batch) was refused. The message is
    /// the reason alone: a caller with a batch of several events (a file
    /// of them) names the event its own way (`custody append` by line).
    #[error("{reason}")]
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
    /// This machine's clock is more than a year past the ledger's last
    /// entry, and the caller did not confirm it
    /// ([`crate::store::Ledger::confirm_clock`]).
    #[error("this machine's clock reads {now}, more than a year after the last entry's recorded_at {last}; entries signed now would be recorded at that time, and no later entry could be recorded earlier")]
    ClockAhead {
        /// The clock.
        now: Timestamp,
        /// The head's `recorded_at`.
        last: Timestamp,
    },
    /// A clock correction was asked for, but no entry is recorded later
    /// than this machine's clock.
    #[error("no entry is recorded later than this machine's clock ({now}); the last one is recorded at {last}, so there is no wrong time to correct")]
    NothingToCorrect {
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
    /// A disclosure submitted with a statement does not open its
    /// commitment (altered or forged cleartext, or a slot the statement
    /// does not have): nothing of it is stored.
    #[error("disclosure {0}")]
    Disclosure(custody_format::commit::DisclosureError),
    /// In a group commit: it revokes the key that signs the group's seal
    /// and checkpoint, which could then sign neither, and the whole group
    /// would be lost. It must be appended on its own.
    #[error("it revokes the key that signs this group's seal and checkpoint; append it on its own, signed by another authority")]
    RevokesCommitter,
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
            Refusal::RevokesCommitter | Refusal::Disclosure(_) => self.to_string(),
        }
    }

    /// The rule broken, by the verifier's names.
    pub fn rule(&self) -> Rule {
        match self {
            Refusal::Rule(b) => b.rule(),
            Refusal::Entry(custody_format::entry::EntryError::Version(_)) => Rule::Version,
            Refusal::Entry(_) => Rule::Format,
            Refusal::RevokesCommitter => Rule::Authority,
            Refusal::Disclosure(_) => Rule::Disclosure,
        }
    }
}

impl From<AuthError> for Refusal {
    fn from(e: AuthError) -> Refusal {
        Refusal::Rule(Breach::Authority(e))
    }
}
