//! `custody append`: add signed evidence.
//!
//! ## Batches of any size, in bounded memory
//!
//! The input is read twice over, never held whole in memory:
//!
//! 1. **Check.** Every record is parsed and checked — its syntax and fields,
//!    the signer's role, a correction's target — in one streaming pass, and
//!    spooled (in the canonical encoding) to an unlinked temporary file. If
//!    any record is refused, nothing is appended: a bad line anywhere refuses
//!    the whole input, however large.
//! 2. **Commit.** The spooled events are appended in chunks of `--chunk`
//!    entries (2,000 by default). Each chunk is one signed, atomic, fsynced
//!    commit, and its `seq hash` lines are printed and flushed right after
//!    that commit — never before. An input of at most one chunk is therefore
//!    exactly one atomic commit, as before.
//!
//! An input larger than a chunk can be cut short only by a failure of the
//! store or the machine during step 2 (full disk, I/O error, a crash, a kill):
//! then every chunk acknowledged on standard output is in the ledger, whole;
//! the chunk after them may be too, if it was committed before its
//! acknowledgment could be printed; nothing is ever part of a chunk
//! (`tests/e2e/crash.rs` checks this under SIGKILL). `custody log` shows where
//! the input stopped; appending the remaining records completes it. Memory
//! use is one chunk, whatever the size of the input.

use crate::exit::{env, refusal_advice, refused, CmdResult, Failure};
use crate::output::Context;
use crate::progress::Progress;
use clap::Args;
use custody_format::codec;
use custody_format::event::Event;
use custody_ledger::input::EventReader;
use custody_ledger::store::{AppendError, Appended};
use serde_json::json;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;

/// Entries per commit when an input is larger than one.
///
/// Memory, not speed, sets it: a commit holds the chunk's entries, index
/// rows, Merkle nodes and re-folded statuses in memory until the store
/// writes them, while commits of 1,000 or more entries already amortise the
/// two fdatasyncs of a commit.
pub(crate) const DEFAULT_CHUNK: usize = 2_000;

/// Inputs with more entries than this show a progress bar (on a terminal).
const PROGRESS_FROM: u64 = 20_000;

/// `custody append`.
#[derive(Args)]
#[command(after_help = "\
An input is checked whole before anything is written: if any record is
refused (bad JSON, a bad field, an unauthorised key, a correction of an
unknown entry), nothing is appended. It is then committed in chunks of
--chunk entries, each one atomic and fsynced, and each chunk's `seq hash`
lines are printed as soon as it is durable. An input of at most one chunk is
one atomic commit. A larger one interrupted by a crash or a store failure
leaves whole chunks in the ledger: every acknowledged one, and perhaps the
next if it was committed just before the interruption. `custody log` shows
which; append the rest again. Memory use is bounded by one chunk, so inputs
larger than memory work.")]
pub(crate) struct AppendArgs {
    /// An investigator's private key; it signs every entry of the batch.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Entries per atomic, durable commit for large inputs.
    #[arg(long, value_name = "ENTRIES", default_value_t = DEFAULT_CHUNK,
          value_parser = chunk_size)]
    chunk: usize,
    /// One JSON object or JSON Lines; `-` or nothing reads standard input.
    #[arg(value_name = "PATH|-")]
    input: Option<PathBuf>,
}

fn chunk_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err("must be a number from 1 to 100000".into()),
    }
}

/// Prints acknowledged entries (`seq hash` lines, or JSON objects) and
/// flushes them at once: the caller has committed them durably, and a
/// process reading our output must learn that even if we die next.
pub(crate) fn print_acks(ctx: &Context, appended: &[Appended]) -> Result<(), Failure> {
    let mut text = String::with_capacity(appended.len() * 80);
    for a in appended {
        if ctx.json {
            text.push_str(&json!({"seq": a.seq, "hash": a.hash}).to_string());
        } else {
            text.push_str(&format!("{} {}", a.seq, a.hash));
        }
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| env(anyhow::anyhow!("cannot write to standard output: {e}")))
}

/// The spool: length-prefixed canonical events with their input line.
struct Spool {
    file: BufWriter<std::fs::File>,
    count: u64,
}

fn spool_err(e: impl std::fmt::Display) -> Failure {
    env(anyhow::anyhow!(
        "cannot spool the input to a temporary file ({e}); check free space in the temporary directory (TMPDIR); nothing was appended"
    ))
}

impl Spool {
    fn push(&mut self, line: usize, event: &Event) -> Result<(), Failure> {
        let bytes = codec::encode(event)
            .map_err(|e| refused(anyhow::anyhow!("line {line}: {e}; nothing was appended")))?;
        self.file
            .write_all(&(line as u64).to_le_bytes())
            .and_then(|()| self.file.write_all(&(bytes.len() as u64).to_le_bytes()))
            .and_then(|()| self.file.write_all(&bytes))
            .map_err(spool_err)?;
        self.count += 1;
        Ok(())
    }
}

/// Reads the next spooled event back.
fn next_spooled(r: &mut impl Read) -> Result<Option<(usize, Event)>, Failure> {
    let mut head = [0u8; 16];
    match r.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(spool_err(e)),
    }
    let line = u64::from_le_bytes(head[..8].try_into().expect("8 bytes")) as usize;
    let len = u64::from_le_bytes(head[8..].try_into().expect("8 bytes")) as usize;
    let mut bytes = vec![0; len];
    r.read_exact(&mut bytes).map_err(spool_err)?;
    let event = codec::decode_exact(&bytes).map_err(spool_err)?;
    Ok(Some((line, event)))
}

/// Runs `append`.
pub(crate) fn run(ctx: &Context, args: AppendArgs) -> CmdResult {
    let mut ledger = ctx.open()?;
    let key = crate::cmd::key::signing_key(&args.key)?;
    let reader: Box<dyn BufRead> = match &args.input {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(BufReader::new(
            std::fs::File::open(p).map_err(|e| env(anyhow::anyhow!("{}: {e}", p.display())))?,
        )),
    };

    // 1. Check every record, spooling it; refuse the whole input on the
    //    first bad one.
    let mut spool = Spool {
        file: BufWriter::new(tempfile::tempfile().map_err(spool_err)?),
        count: 0,
    };
    // Targets corrected earlier in this input: an entry is corrected once,
    // and the check must hold across chunks too.
    let mut corrected = std::collections::HashMap::new();
    let checking = Progress::beside_data(ctx, None, "records", "check");
    for item in EventReader::new(reader) {
        checking.inc(1);
        let (line, event) = item.map_err(|e| refused(e).context("nothing was appended"))?;
        ledger.precheck(&event, &key)?.map_err(|reason| {
            let advice = refusal_advice(&reason).map(|a| format!("; {a}"));
            refused(anyhow::anyhow!(
                "line {line}: {reason}{}; nothing was appended",
                advice.unwrap_or_default()
            ))
        })?;
        if let Event::Correction(c) = &event {
            if let Some(first) = corrected.insert(c.target, line) {
                return Err(refused(anyhow::anyhow!(
                    "line {line}: field `target`: entry {} is already corrected on line {first}; an entry is corrected once; nothing was appended",
                    c.target
                )));
            }
        }
        spool.push(line, &event)?;
    }
    checking.finish();
    if spool.count == 0 {
        return Err(refused(anyhow::anyhow!(
            "the input holds no events; nothing was appended"
        )));
    }
    let total = spool.count;
    let mut file = spool
        .file
        .into_inner()
        .map_err(|e| spool_err(e.into_error()))?;
    file.rewind().map_err(spool_err)?;
    let mut spooled = BufReader::new(file);

    // 2. Commit chunk by chunk, acknowledging each once it is durable.
    // Standard output carries the acknowledgments (data, like an export's):
    // the bar is drawn when they go to a file or a pipe.
    let progress = if total >= PROGRESS_FROM {
        Progress::beside_data(ctx, Some(total), "entries", "append")
    } else {
        Progress::hidden()
    };
    let mut done = 0u64;
    loop {
        let mut lines = Vec::with_capacity(args.chunk);
        let mut events = Vec::with_capacity(args.chunk);
        while events.len() < args.chunk {
            match next_spooled(&mut spooled)? {
                Some((line, event)) => {
                    lines.push(line);
                    events.push(event);
                }
                None => break,
            }
        }
        if events.is_empty() {
            break;
        }
        let n = events.len() as u64;
        let partial = |done: u64| {
            if done == 0 {
                "nothing was appended".to_string()
            } else {
                format!(
                    "the first {done} of {total} entries were appended and acknowledged above; append the input again from line {} to complete it",
                    lines[0]
                )
            }
        };
        match ledger.append(events, &key) {
            Ok(appended) => {
                print_acks(ctx, &appended).map_err(|f| {
                    f.context(format!(
                        "the entries up to seq {} are in the ledger but some were not acknowledged (check with `custody log`)",
                        appended.last().map(|a| a.seq).unwrap_or_default()
                    ))
                })?;
                done += n;
                progress.set(done);
            }
            Err(AppendError::Refused { index, reason }) => {
                return Err(refused(anyhow::anyhow!(
                    "line {}: {reason}; {}",
                    lines[index],
                    partial(done)
                )))
            }
            Err(e) => return Err(Failure::from(e).context(partial(done))),
        }
    }
    Ok(())
}
