//! `custody restore`: a new store from an export.
//!
//! An export (`custody export`) is the archival form of a ledger: every
//! entry's signed bytes, in chain order. This turns one back into a store —
//! after a disk failure or a damaged store, or to move a ledger written by
//! an earlier build (the sled layout) into this build's — in one pass over
//! the file, which is never held in memory and never read twice (a file
//! changed between two reads could otherwise be verified as one ledger and
//! restored as another):
//!
//! - each line is verified as `custody verify --export FILE` verifies it —
//!   the entry's bytes, the chain links, the signers' roles replayed from
//!   governance, correction targets, checkpoints, every claim on the line —
//!   and its signature is checked strictly on another core;
//! - the entry's bytes then go, as they are, to `Ledger::restore`, which
//!   commits them `--chunk` at a time with the same indexes, Merkle nodes
//!   and projections the original had; nothing is re-signed;
//! - at the end of the file, before the new store is marked a ledger, every
//!   signature must have verified and, with `--checkpoint FILE`, the chain
//!   must extend that signed checkpoint (same ledger, signed by a key that
//!   held the authority role at its size, at least as many entries, and the
//!   Merkle root of its first `size` entries — taken from this same pass —
//!   equal to the checkpoint's).
//!
//! If anything fails, the directory the command created is removed again
//! (or, if the target was an empty directory, the files written in it), and
//! the error says why and what was left; a store is marked a ledger only by
//! its last commit, so one cut short by a crash is refused as damaged.
//!
//! An export cut at a line boundary is still a valid, shorter chain; so is
//! an older export: give the latest checkpoint with `--checkpoint`.

use crate::cmd::checkpoint::read_checkpoint;
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use crate::progress::Progress;
use clap::Args;
use custody_format::commit::Disclosure;
use custody_format::entry::SignedEntry;
use custody_ledger::store::{
    Ledger, Left, RestoreCause, RestoreError, RestoreOptions, RESTORE_CHUNK,
};
use custody_verifier::checkpoint::{check_extends, Checkpoint, NotExtended};
use custody_verifier::export::{check_claims, ExportError, ExportReader};
use custody_verifier::walk::{default_threads, with_signature_pool, Submit};
use custody_verifier::{ChainVerifier, Violation};
use serde_json::json;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// `custody restore`.
#[derive(Args)]
#[command(after_help = "\
The export is verified as it is read, line by line, as `custody verify
--export FILE` verifies it, and read only once; a new ledger is built in
--store (a new or empty directory) from the entries' signed bytes, exactly
as they are: nothing is re-signed, and the new store has the same entries,
hashes, indexes, Merkle tree, keys and statuses as the one exported, so
`custody export` of it gives back the same file. If anything fails —
an entry that does not verify, a signature, the checkpoint, the disk — the
directory it created is removed again (an empty target directory is
emptied again); a store cut short by a crash is refused as damaged.

An export cut at a line boundary, or an older one, is still a valid chain:
give the latest signed checkpoint with --checkpoint to refuse one that does
not extend it.")]
pub(crate) struct RestoreArgs {
    /// The export to restore: a file written by `custody export` (not a
    /// person's bundle, which holds only part of a ledger), or `-` for
    /// standard input.
    #[arg(long, value_name = "EXPORT.jsonl")]
    from: PathBuf,
    /// Entries per durable commit; memory holds one chunk.
    #[arg(long, value_name = "ENTRIES", default_value_t = RESTORE_CHUNK,
          value_parser = chunk_size)]
    chunk: usize,
    /// Also require the export to extend this signed checkpoint (from
    /// `custody checkpoint`): an export cut short, rolled back or rewritten
    /// since the checkpoint is refused, and nothing is left.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
}

fn chunk_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err("must be a number from 1 to 100000".into()),
    }
}

/// Why the export's entries could not all be restored: the error an entry
/// iterator hands `Ledger::restore`, which then removes what it wrote.
#[derive(Debug)]
enum ReadError {
    /// The file is not a valid export, or an entry does not verify.
    Export(ExportError),
    /// A signature failed (found by a worker, at this line).
    Signature { line: u64, violation: Violation },
    /// The chain does not extend the checkpoint.
    Checkpoint(NotExtended),
    /// The chain ended before its genesis.
    Empty(Violation),
    /// A disclosure of a v3 entry's line does not read.
    Disclosure {
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Export(e) => e.fmt(f),
            ReadError::Signature { line, violation } => write!(f, "line {line}: {violation}"),
            ReadError::Checkpoint(e) => write!(f, "it does not extend the checkpoint: {e}"),
            ReadError::Empty(v) => v.fmt(f),
            ReadError::Disclosure { line, message } => write!(f, "line {line}: {message}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// The export's entries, verified as they are read (see the module docs).
struct VerifiedEntries<'s, 'p, R> {
    lines: ExportReader<R>,
    chain: ChainVerifier,
    submit: &'s mut Submit<'p>,
    checkpoint: Option<&'s Checkpoint>,
    /// The Merkle root of the first `checkpoint.size` entries, once read.
    prefix_root: Option<[u8; 32]>,
    /// What the chain proved, once the file ended and every check passed.
    proved: Option<(custody_verifier::Summary, Option<[u8; 32]>)>,
    done: bool,
}

impl<R: BufRead> VerifiedEntries<'_, '_, R> {
    fn next_entry(&mut self) -> Result<Option<(SignedEntry, Vec<Disclosure>)>, ReadError> {
        let Some(item) = self.lines.next() else {
            return self.at_end().map(|()| None);
        };
        let (line, record) = item.map_err(ReadError::Export)?;
        let invalid = |violation| ReadError::Export(ExportError::Invalid { line, violation });
        let (entry, job) = self.chain.push_deferred(&record.entry.0).map_err(invalid)?;
        if let Err(v) = check_claims(&record, &entry) {
            job.verify_strict().map_err(invalid)?;
            return Err(invalid(v));
        }
        // A v3 entry's disclosures, parsed here; the store keeps only
        // those that open the entry's commitments (it checks them).
        let disclosures = record
            .disclosures
            .iter()
            .flatten()
            .map(|v| Disclosure::from_json(&v.0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ReadError::Disclosure {
                line,
                message: e.to_string(),
            })?;
        self.submit.push(job, line as u64);
        if let Some((v, at)) = self.submit.failed().then(|| self.submit.drain()).flatten() {
            return Err(ReadError::Signature {
                line: at,
                violation: v,
            });
        }
        if self
            .checkpoint
            .is_some_and(|cp| cp.size == self.chain.len())
        {
            self.prefix_root = Some(self.chain.merkle_root());
        }
        Ok(Some((entry, disclosures)))
    }

    /// The end of the file: every signature, then the checkpoint, before
    /// the store is marked a ledger.
    fn at_end(&mut self) -> Result<(), ReadError> {
        if let Some((violation, line)) = self.submit.drain() {
            return Err(ReadError::Signature { line, violation });
        }
        let summary = self.chain.summary().map_err(ReadError::Empty)?;
        let mut signer = None;
        if let Some(cp) = self.checkpoint {
            let prefix = self.prefix_root;
            let verdict = check_extends(cp, summary.facts(), || {
                Ok::<_, std::convert::Infallible>(prefix == Some(cp.root))
            });
            match verdict {
                Ok(Ok(k)) => signer = Some(k),
                Ok(Err(e)) => return Err(ReadError::Checkpoint(e)),
                Err(never) => match never {},
            }
        }
        self.proved = Some((summary, signer));
        Ok(())
    }
}

impl<R: BufRead> Iterator for VerifiedEntries<'_, '_, R> {
    type Item = Result<(SignedEntry, Vec<Disclosure>), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_entry().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }
}

/// Runs `restore`.
pub(crate) fn run(ctx: &Context, args: RestoreArgs) -> CmdResult {
    let dir = ctx.store_dir()?;
    let from = &args.from;
    let source = from.display().to_string();
    // Before reading a large file: the target must be able to take a ledger.
    Ledger::check_new_dir(&dir).map_err(|e| Failure::from(e).context("nothing was restored"))?;
    let untouched = if dir.exists() {
        format!("{} was left as it was", dir.display())
    } else {
        format!("{} was not created", dir.display())
    };
    let checkpoint = match &args.checkpoint {
        None => None,
        Some(path) => Some(
            read_checkpoint(path)
                .map_err(|e| e.context(format!("nothing was restored ({untouched})")))?,
        ),
    };
    // `-` is standard input: the export is read once, so a pipe will do.
    let stdin = from.as_os_str() == "-";
    let raw: Box<dyn Read> = if stdin {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(from)
                .map_err(|e| env(anyhow::anyhow!("{source}: {e}; nothing was restored")))?,
        )
    };
    let mut input = BufReader::new(raw);
    // A person's bundle is one pretty-printed document: say so, rather
    // than "line 1 is not JSON".
    let first_line = input
        .fill_buf()
        .map_err(|e| env(anyhow::anyhow!("{source}: {e}; nothing was restored")))?;
    if first_line.starts_with(b"{\n") || first_line.starts_with(b"{\r\n") {
        return Err(refused(anyhow::anyhow!(
            "{source} looks like a person's bundle, not a whole-ledger export; only `custody export` without --person holds a whole ledger; nothing was restored ({untouched})"
        )));
    }
    let size = if stdin {
        0
    } else {
        std::fs::metadata(from).map_or(0, |m| m.len())
    };
    let progress = Progress::bytes(ctx, size, "restore");
    let input = BufReader::new(progress.reader(input.take(u64::MAX)));
    let options = RestoreOptions {
        chunk: args.chunk,
        expect_head: None,
    };
    let (outcome, _) = with_signature_pool(default_threads(), |submit| {
        let mut entries = VerifiedEntries {
            lines: ExportReader::new(input),
            chain: ChainVerifier::new(),
            submit,
            checkpoint: checkpoint.as_ref(),
            prefix_root: None,
            proved: None,
            done: false,
        };
        let restored = Ledger::restore(&dir, &mut entries, options, |_| {});
        restored.map(|ledger| (ledger, entries.proved.take()))
    });
    progress.finish();
    let (ledger, proved) = outcome.map_err(|e| restore_failure(&source, &dir, &untouched, e))?;
    let signer = proved.and_then(|(_, signer)| signer);
    let vouched = checkpoint.as_ref().zip(signer).map(|(cp, signer)| {
        format!(
            "extends the checkpoint of {} entries (root {}), signed by {}",
            cp.size,
            hex::encode(cp.root),
            hex::encode(signer)
        )
    });
    let head = ledger.head();
    if ctx.json {
        print_json(&json!({
            "restored": ledger.len(), "store": dir.display().to_string(),
            "ledger_name": ledger.name(), "head_seq": head.seq, "head_hash": head.hash,
            "checkpoint": vouched,
        }));
    } else {
        println!(
            "restored {} entries of {:?} into {}: head seq {} {}",
            ledger.len(),
            ledger.name(),
            crate::escape::path(&dir),
            head.seq,
            head.hash
        );
        if let Some(line) = vouched {
            println!("{line}");
        }
    }
    Ok(())
}

/// What a failed restore left, in the words of "nothing was restored": the
/// state the target is in again.
fn left_words(left: &Left, untouched: &str) -> String {
    match left {
        Left::Nothing | Left::Emptied(_) => untouched.to_string(),
        Left::Removed(top) => format!("{} was not created", top.display()),
        other => other.to_string(),
    }
}

/// The error of a failed restore, with its exit code: the target or the
/// machine (2), or entries that are not a ledger (1).
fn restore_failure(source: &str, dir: &Path, untouched: &str, e: RestoreError) -> Failure {
    let read = match &e.cause {
        RestoreCause::Input { source, .. } => source.downcast_ref::<ReadError>(),
        _ => None,
    };
    let left = left_words(&e.left, untouched);
    let nothing = matches!(e.left, Left::Nothing | Left::Removed(_) | Left::Emptied(_));
    let tail = if nothing {
        format!("nothing was restored ({left})")
    } else {
        left
    };
    match read {
        Some(ReadError::Export(ExportError::Io(err))) => {
            env(anyhow::anyhow!("{source}: {err}; {tail}"))
        }
        Some(ReadError::Export(ExportError::Malformed { line, problem })) => refused(
            anyhow::anyhow!("{source} is not a valid export, at line {line}: {problem}; {tail}"),
        ),
        Some(ReadError::Export(ExportError::Invalid { line, violation })) => refused(
            anyhow::anyhow!("{source} does not verify, at line {line}: {violation}; {tail}"),
        ),
        Some(ReadError::Signature { line, violation }) => refused(anyhow::anyhow!(
            "{source} does not verify, at line {line}: {violation}; {tail}"
        )),
        Some(ReadError::Checkpoint(why)) => refused(anyhow::anyhow!(
            "{source} does not extend the checkpoint: {why}; {tail}"
        )),
        Some(other) => refused(anyhow::anyhow!("{source}: {other}; {tail}")),
        None => match e.cause {
            RestoreCause::Store(_) => env(anyhow::anyhow!(
                "restoring {source} into {} failed: {e}",
                dir.display()
            )),
            _ => refused(anyhow::anyhow!(
                "restoring {source} into {} failed: {e}",
                dir.display()
            )),
        },
    }
}
