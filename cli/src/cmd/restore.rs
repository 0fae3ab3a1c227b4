//! `custody restore`: a new store from an export.
//!
//! An export (`custody export`) is the archival form of a ledger: every
//! entry's signed bytes, in chain order. This turns one back into a store —
//! after a disk failure or a damaged store, or to move a ledger written by
//! an earlier build (the sled layout) into this build's — in two passes
//! over the file, neither of which holds it in memory:
//!
//! 1. **Verify.** The whole file is walked by the verifier crate, exactly as
//!    `custody verify --bundle FILE` walks it: every entry's bytes, the
//!    chain links, the signatures, the signers' roles replayed from
//!    governance, correction targets, checkpoints, and every claim on every
//!    line. If anything fails, the command stops with the verifier's
//!    message (line, seq and rule) before the target directory is touched.
//! 2. **Restore.** The file is read again and each entry's bytes go, as
//!    they are, to `Ledger::restore`, which commits them `--chunk` at a time
//!    with the same indexes, Merkle nodes and projections the original had.
//!    Nothing is re-signed. It checks again what it can cheaply (seq,
//!    `prev_hash`, `recorded_at`, roles, correction targets, checkpoints),
//!    and the last entry must be the head the verifier found: a file changed
//!    between the two passes is refused. If this pass fails (an I/O error, a
//!    full disk), the directory the command created is removed (or, if the
//!    target was an empty directory, the files written in it), and the
//!    error says so; a store is marked a ledger only by its last commit, so
//!    one cut short by a crash is refused as damaged, never used.
//!
//! An export cut at a line boundary is still a valid, shorter chain; so is
//! an older export. With `--checkpoint FILE`, between the two passes, the
//! export must also extend that signed checkpoint: same ledger, signed by
//! one of its authority keys, at least as many entries, and the Merkle root
//! of its first `size` entries (computed from the file's bytes, in a pass of
//! its own) equal to the checkpoint's.

use crate::cmd::checkpoint::read_checkpoint;
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use crate::progress::Progress;
use clap::Args;
use custody_format::entry::SignedEntry;
use custody_ledger::store::{
    Appended, Ledger, RestoreCause, RestoreError, RestoreOptions, RESTORE_CHUNK,
};
use custody_verifier::checkpoint::{check_extends, Checkpoint};
use custody_verifier::export::{verify_export, ExportError, ExportReader, MAX_EXPORT_LINE};
use custody_verifier::merkle::{leaf_hash, StreamingRoot};
use custody_verifier::Summary;
use serde_json::json;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// `custody restore`.
#[derive(Args)]
#[command(after_help = "\
The export is verified whole first, as `custody verify --bundle FILE` does;
if anything fails, nothing is created. Then a new ledger is built in --store
(a new or empty directory) from the entries' signed bytes, exactly as they
are: nothing is re-signed, and the new store has the same entries, hashes,
indexes, Merkle tree, keys and statuses as the one exported, so `custody
export` of it gives back the same file. If the restore fails midway, the
directory it created is removed again (an empty target directory is emptied
again); a store cut short by a crash is refused as damaged.

An export cut at a line boundary, or an older one, is still a valid chain:
give the latest signed checkpoint with --checkpoint to refuse one that does
not extend it.")]
pub struct RestoreArgs {
    /// The export to restore: a file written by `custody export` (not a
    /// person's bundle, which holds only part of a ledger). It is read twice,
    /// so it must be a file, not standard input.
    #[arg(long, value_name = "EXPORT.jsonl")]
    from: PathBuf,
    /// Entries per durable commit; memory holds one chunk.
    #[arg(long, value_name = "ENTRIES", default_value_t = RESTORE_CHUNK,
          value_parser = chunk_size)]
    chunk: usize,
    /// Also require the export to extend this signed checkpoint (from
    /// `custody checkpoint`): an export cut short, rolled back or rewritten
    /// since the checkpoint is refused before anything is written.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
}

fn chunk_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err("must be a number from 1 to 100000".into()),
    }
}

/// Runs `restore`.
pub fn run(ctx: &Context, args: RestoreArgs) -> CmdResult {
    let dir = ctx.store_dir()?;
    let from = &args.from;
    let source = from.display().to_string();
    // What "nothing was restored" leaves at the target.
    let untouched = if dir.exists() {
        format!("{} was left as it was", dir.display())
    } else {
        format!("{} was not created", dir.display())
    };
    // Before reading a large file: the target must be able to take a ledger.
    Ledger::check_new_dir(&dir).map_err(|e| Failure::from(e).context("nothing was restored"))?;
    let open = || {
        std::fs::File::open(from)
            .map(BufReader::new)
            .map_err(|e| env(anyhow::anyhow!("{source}: {e}; nothing was restored")))
    };

    // Read twice: a pipe would be empty the second time.
    match std::fs::metadata(from) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(env(anyhow::anyhow!(
                "{source} is not a regular file; restore reads its input twice (to verify it, then to restore it), so write the export to a file first; nothing was restored"
            )))
        }
        Err(e) => return Err(env(anyhow::anyhow!("{source}: {e}; nothing was restored"))),
    }
    // A person's bundle is one pretty-printed document: say so, rather
    // than "line 1 is not JSON".
    let mut first_line = Vec::new();
    open()?
        .take(MAX_EXPORT_LINE as u64)
        .read_until(b'\n', &mut first_line)
        .map_err(|e| env(anyhow::anyhow!("{source}: {e}; nothing was restored")))?;
    if first_line.trim_ascii() == b"{" {
        return Err(refused(anyhow::anyhow!(
            "{source} looks like a person's bundle, not a whole-ledger export; only `custody export` without --person holds a whole ledger; nothing was restored ({untouched})"
        )));
    }

    // 1. Verify, whole.
    let size = std::fs::metadata(from).map_or(0, |m| m.len());
    let progress = Progress::bytes(ctx, size, "verify");
    let verdict = verify_export(BufReader::new(progress.reader(open()?)));
    progress.finish();
    let summary = verdict.map_err(|e| match e {
        ExportError::Invalid { line: 0, violation } => refused(anyhow::anyhow!(
            "{source} does not verify: {violation}; nothing was restored ({untouched})"
        )),
        ExportError::Invalid { line, violation } => refused(anyhow::anyhow!(
            "{source} does not verify, at line {line}: {violation}; nothing was restored ({untouched})"
        )),
        ExportError::Malformed { line, problem } => refused(anyhow::anyhow!(
            "{source} is not a valid export, at line {line}: {problem}; nothing was restored ({untouched})"
        )),
        e => env(anyhow::anyhow!(
            "{source}: {e}; nothing was restored ({untouched})"
        )),
    })?;

    // Between the passes: the checkpoint, if one is given.
    let vouched = match &args.checkpoint {
        None => None,
        Some(path) => {
            let cp = read_checkpoint(path)
                .map_err(|e| e.context(format!("nothing was restored ({untouched})")))?;
            let line = against_checkpoint(&summary, &cp, open()?).map_err(|why| {
                refused(anyhow::anyhow!(
                    "{source} does not extend the checkpoint {}: {why}; nothing was restored ({untouched})",
                    path.display()
                ))
            })?;
            Some(line)
        }
    };

    // 2. Restore, from the same bytes read again.
    let progress = Progress::new(ctx, Some(summary.length), "entries", "restore");
    let options = RestoreOptions {
        chunk: args.chunk,
        expect_head: Some(Appended {
            seq: summary.length - 1,
            hash: summary.head_hash,
        }),
    };
    let ledger = Ledger::restore(&dir, ExportEntries::new(open()?), options, |n| {
        progress.set(n)
    })
    .map_err(|e| restore_failure(&source, &dir, e))?;
    progress.finish();
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
            dir.display(),
            head.seq,
            head.hash
        );
        if let Some(line) = vouched {
            println!("{line}");
        }
    }
    Ok(())
}

/// Checks that a verified export extends `cp` (the verifier's
/// `check_extends`), answering whether the checkpoint's tree is a prefix
/// with the Merkle root of the export's first `cp.size` entries, computed
/// from the file's bytes with the verifier's RFC 9162 tree. Returns a line
/// to print, or why not.
fn against_checkpoint(
    summary: &Summary,
    cp: &Checkpoint,
    input: impl BufRead,
) -> Result<String, String> {
    let prefix = || {
        let mut tree = StreamingRoot::new();
        for entry in ExportEntries::new(input).take(cp.size as usize) {
            let entry = entry.map_err(|e| format!("reading the export again: {e}"))?;
            tree.push(leaf_hash(entry.bytes()));
        }
        Ok::<_, String>(tree.size() == cp.size && tree.root() == cp.root)
    };
    let signer = check_extends(cp, summary.facts(), prefix)?.map_err(|e| e.to_string())?;
    Ok(format!(
        "extends the checkpoint of {} entries (root {}), signed by {}",
        cp.size,
        hex::encode(cp.root),
        hex::encode(signer)
    ))
}

/// The exit code of a failed restore: the target or the machine (2), or
/// entries that are not a ledger (1).
fn restore_failure(source: &str, dir: &Path, e: RestoreError) -> Failure {
    let environment = match &e.cause {
        RestoreCause::Store(_) => true,
        RestoreCause::Input { source, .. } => {
            source.downcast_ref::<ReadError>().is_some_and(|r| r.io)
        }
        _ => false,
    };
    let error = anyhow::anyhow!("restoring {source} into {} failed: {e}", dir.display());
    if environment {
        env(error)
    } else {
        refused(error)
    }
}

/// A line of the export that could not be read back as an entry in the
/// second pass (the file changed since it was verified, or a read failed).
#[derive(Debug)]
struct ReadError {
    line: usize,
    message: String,
    /// Reading failed, rather than the line being wrong.
    io: bool,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReadError {}

/// Each line's entry, decoded, in file order, read by the verifier's own
/// export reader (blank lines skipped, lines bounded, unknown and duplicate
/// fields refused).
struct ExportEntries<R> {
    lines: ExportReader<R>,
}

impl<R: BufRead> ExportEntries<R> {
    fn new(input: R) -> ExportEntries<R> {
        ExportEntries {
            lines: ExportReader::new(input),
        }
    }
}

impl<R: BufRead> Iterator for ExportEntries<R> {
    type Item = Result<SignedEntry, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.lines.next()?;
        let line = self.lines.line();
        Some(match item {
            Ok((line, record)) => SignedEntry::decode(record.entry.0).map_err(|e| ReadError {
                line,
                message: format!("the entry does not decode: {e}"),
                io: false,
            }),
            Err(ExportError::Io(e)) => Err(ReadError {
                line,
                message: e.to_string(),
                io: true,
            }),
            Err(e) => Err(ReadError {
                line,
                message: e.to_string(),
                io: false,
            }),
        })
    }
}
