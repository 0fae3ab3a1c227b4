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
//! Step 1 reads the ledger without its write lock; step 2 takes it. If
//! another writer committed in between, the near-duplicate id pass runs
//! again under the lock, and every chunk is checked against the chain as it
//! then stands: a revocation or a correction committed meanwhile can refuse
//! a later chunk, which is then reported with the line to resume from.
//!
//! An input larger than a chunk can otherwise be cut short only by a failure
//! of the store or the machine during step 2 (full disk, I/O error, a crash,
//! a kill): then every chunk acknowledged on standard output is in the ledger, whole;
//! the chunk after them may be too, if it was committed before its
//! acknowledgment could be printed; nothing is ever part of a chunk
//! (`tests/e2e/crash.rs` checks this under SIGKILL). `custody log` shows where
//! the input stopped; appending the remaining records completes it. Memory
//! use is one chunk, whatever the size of the input, and the input's
//! distinct person ids (for the near-id check and the summary: tens of
//! bytes a person).
//!
//! ## Every error at once
//!
//! The check goes on past a bad record, so a refused input is reported
//! whole (the first [`ERRORS_SHOWN`] errors, and how many there were), and
//! an investigator fixes a file in one go; `--check` reports every error
//! and appends nothing. After the records, the new persons' ids are
//! compared with every existing one (`custody_ledger::near_ids`): an id
//! near another is refused until `--new-person ID` confirms it.

use crate::escape::terminal;
use crate::exit::{env, refusal_advice, refused, with_details, CmdResult, Detail, Failure};
use crate::output::Context;
use crate::progress::Progress;
use clap::Args;
use custody_format::event::{EntryHash, Event, PersonId};
use custody_ledger::input::{EventReader, InputContext, ResolveTarget, TargetRef};
use custody_ledger::keyfile::SigningKey;
use custody_ledger::near_ids::NearIndex;
use custody_ledger::store::{AppendError, Appended, Ledger, StoreError};
use serde_json::json;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Seek, Write};
use std::path::PathBuf;

/// Errors of a refused input shown (without `--check`, which shows all).
const ERRORS_SHOWN: u64 = 50;

/// Near ids named per new person.
const NEAR_SHOWN: usize = 5;

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
which; append the rest again. Memory use is bounded by one chunk (and the
input's distinct person ids), so inputs larger than memory work.

A refused input is reported whole: every error (the first 50 without
--check), each naming its line and field. --check reports them all, appends
nothing, and exits 0 with a summary if the input would be accepted.

Input conveniences (the signed entry is the same as if written in full):
  \"target\": the first 12 or more hex digits of the entry's hash, or
      \"target_seq\": N instead (correction, dispute); `custody log` and
      `custody history PERSON` show both, `custody log --full-hash` full hashes.
      The entry named is described before signing (and by --check): its
      type, person, date, signer and full hash, which is what is signed.
  attachments: {\"file\": \"video.mp4\", \"description\": \"...\"} reads
      and hashes the file (SHA-256) to fill sha256, and takes media_type
      from its extension unless given; the file itself is never stored, and
      must be a regular file (not a FIFO, a device or a directory). A
      relative path is relative to the input file's directory (the working
      directory for standard input).

Refused as likely mistakes: a date after today (occurred_at, date_of_birth),
and a new person id that differs from another only in case or by one
character (a letter or a hyphen changed, added or dropped, two letters
swapped, O for 0 or l for 1; not an edit of the digits, which gives another
number): confirm it with --new-person ID.")]
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
    /// Check the input and report every error in it; append nothing (exit
    /// 0 and a summary if it would be accepted, 1 if not).
    #[arg(long)]
    check: bool,
    /// Confirm that ID is a new person although its id is near another's
    /// (differs only in case or by one character); repeatable.
    #[arg(long = "new-person", value_name = "ID")]
    new_person: Vec<String>,
    /// The input is statement lines from `custody sign` (evidence signed by
    /// its author in the field), not events: each is registered in an entry
    /// signed with --key (an investigator or a registrar). A statement
    /// already in the ledger gets its entry back and is not appended again.
    /// One that claims to be signed more than a day ahead of this machine's
    /// clock is refused (the signer's clock is wrong: re-sign it).
    #[arg(long, conflicts_with_all = ["new_person", "chunk"])]
    signed: bool,
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
/// `targets[i]`, if given, is the entry `appended[i]` corrects or disputes:
/// the JSON object shows its full hash and what it is (the input may have
/// named it by a prefix or a seq).
pub(crate) fn print_acks(
    ctx: &Context,
    appended: &[Appended],
    targets: &[Option<TargetEntry>],
) -> Result<(), Failure> {
    let mut text = String::with_capacity(appended.len() * 80);
    for (i, a) in appended.iter().enumerate() {
        if ctx.json {
            let mut ack = json!({"seq": a.seq, "hash": a.hash});
            if let Some(Some(target)) = targets.get(i) {
                ack["target"] = target.json();
            }
            text.push_str(&ack.to_string());
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

/// The spool: length-prefixed events (JSON) with their input line.
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
        // The event's JSON, which reads back to the same event: the spool
        // holds events before the store commits their personal fields
        // (format v3), which have no byte form of their own.
        let bytes = serde_json::to_vec(event)
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
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(spool_err)?;
    let event = custody_ledger::input::event_from_value(value).map_err(spool_err)?;
    Ok(Some((line, event)))
}

/// The errors of an input, reported together.
struct Errors {
    /// The input, as errors name it.
    source: String,
    /// `--check`: every error is reported (as text, printed as it is found).
    check: bool,
    /// `--json`: nothing is printed; the errors go into the one JSON error
    /// object, as its `details`.
    json: bool,
    count: u64,
    /// Those not printed yet: the first [`ERRORS_SHOWN`] (all with
    /// `--check --json`).
    kept: Vec<Detail>,
}

impl Errors {
    fn push(&mut self, line: Option<usize>, field: Option<&str>, message: impl Into<String>) {
        let detail = Detail {
            line,
            field: field.map(str::to_string),
            message: message.into(),
        };
        self.count += 1;
        if self.check && !self.json {
            eprintln!("error: {}", terminal(&format!("{}: {detail}", self.source)));
        } else if self.check || self.count <= ERRORS_SHOWN {
            self.kept.push(detail);
        }
    }

    /// The failure that reports them, if there are any.
    fn finish(self) -> CmdResult {
        if self.count == 0 {
            return Ok(());
        }
        let s = if self.count == 1 { "" } else { "s" };
        let what = if self.count == 1 && (self.json || !self.check) {
            // One error (not already printed by --check): the message is
            // that error, whole (with `--json`, also the one item of
            // `details`).
            let outcome = if self.check {
                "the input would be refused; nothing was appended"
            } else {
                "nothing was appended"
            };
            format!("{}: {}; {outcome}", self.source, self.kept[0])
        } else if self.json {
            let shown = if self.count > self.kept.len() as u64 {
                format!(
                    " (the first {} are in `details`; `custody append --check` lists them all)",
                    self.kept.len()
                )
            } else {
                String::new()
            };
            let outcome = if self.check {
                "the input would be refused"
            } else {
                "fix them and append the input again"
            };
            format!(
                "{} error{s} in {}{shown}: {outcome}; nothing was appended",
                self.count, self.source
            )
        } else if self.check {
            format!(
                "{} error{s} (listed above): the input would be refused; nothing was appended",
                self.count
            )
        } else {
            for e in &self.kept {
                eprintln!("error: {}", terminal(&format!("{}: {e}", self.source)));
            }
            let shown = if self.count > ERRORS_SHOWN {
                format!(" (the first {ERRORS_SHOWN} are listed above; `custody append --check` lists them all)")
            } else {
                " (listed above)".to_string()
            };
            format!(
                "{} errors in {}{shown}: fix them and append the input again; nothing was appended",
                self.count, self.source
            )
        };
        Err(refused(with_details(what, self.kept)))
    }
}

/// Where to find an entry's hash or seq, for errors about targets.
const FIND_TARGET: &str = "`custody log` lists every entry's seq and the first 16 hex digits of its hash, `custody history PERSON` a person's, and `custody log --full-hash` (or `--person P`) full hashes";

/// An entry a correction or a dispute is about, as the person signing it
/// must see it: naming a target by a seq or a hash prefix is easy to get
/// wrong by one, and a wrong target retracts someone else's evidence.
pub(crate) struct TargetEntry {
    seq: u64,
    hash: EntryHash,
    type_name: &'static str,
    person: Option<String>,
    occurred_at: Option<String>,
    signer: String,
    /// The signer's holder in the key registry (when it signed).
    holder: Option<String>,
}

impl TargetEntry {
    /// The entry at `seq`, if the ledger has it.
    fn at(ledger: &Ledger, seq: u64) -> Result<Option<TargetEntry>, StoreError> {
        let Some(entry) = ledger.entry(seq)? else {
            return Ok(None);
        };
        let b = entry.body();
        Ok(Some(TargetEntry {
            seq,
            hash: entry.hash(),
            type_name: b.event.type_name(),
            person: b.event.person().map(|p| p.as_str().to_string()),
            occurred_at: b.event.occurred_at().map(|t| t.to_string()),
            signer: b.signer.to_hex(),
            holder: ledger
                .registry()
                .get(&b.signer)
                .map(|k| k.holder_at(seq).to_string()),
        }))
    }

    /// The entry whose hash is `hash`, if the ledger has it.
    fn of_hash(ledger: &Ledger, hash: &EntryHash) -> Result<Option<TargetEntry>, StoreError> {
        match ledger.seq_of(hash)? {
            Some(seq) => TargetEntry::at(ledger, seq),
            None => Ok(None),
        }
    }

    /// "the capture of P-2 (occurred 2023-08-01), signed by HOLDER (KEY),
    /// hash HASH", escaped for a terminal.
    fn text(&self) -> String {
        let of = self
            .person
            .as_ref()
            .map(|p| format!(" of {}", terminal(p)))
            .unwrap_or_default();
        let occurred = self
            .occurred_at
            .as_ref()
            .map(|t| format!(" (occurred {})", terminal(t)))
            .unwrap_or_default();
        let holder = self
            .holder
            .as_deref()
            .map_or_else(|| "an unknown key".to_string(), terminal);
        format!(
            "the {}{of}{occurred}, signed by {holder} ({}), hash {}",
            self.type_name,
            &self.signer[..12],
            self.hash
        )
    }

    /// Its JSON object, in an acknowledgment.
    fn json(&self) -> serde_json::Value {
        json!({
            "seq": self.seq,
            "hash": self.hash,
            "type": self.type_name,
            "person": self.person,
            "occurred_at": self.occurred_at,
            "signer": self.signer,
            "holder": self.holder,
        })
    }
}

/// Resolves targets named by a hash prefix or a seq against the ledger
/// (before anything is signed), keeping what it resolved for the output.
struct LedgerTargets<'a> {
    ledger: &'a Ledger,
    /// `(as named, the entry)` since the last record.
    resolved: RefCell<Vec<(String, TargetEntry)>>,
}

impl ResolveTarget for LedgerTargets<'_> {
    fn resolve(&self, target: TargetRef<'_>) -> Result<EntryHash, String> {
        let (named, seq) = match target {
            TargetRef::Prefix(prefix) => {
                let found = self
                    .ledger
                    .hashes_with_prefix(prefix, 6)
                    .map_err(|e| format!("cannot read the ledger: {e}"))?;
                match found.as_slice() {
                    [] => {
                        return Err(format!(
                            "no entry's hash starts with {prefix}; {FIND_TARGET}"
                        ))
                    }
                    [(seq, _)] => (format!("{prefix} (seq {seq})"), *seq),
                    many => {
                        let seqs: Vec<String> = many.iter().map(|(s, _)| s.to_string()).collect();
                        return Err(format!(
                            "the hashes of {} entries start with {prefix} (seq {}): it is ambiguous; give more of the hash's digits, or `target_seq`; {FIND_TARGET}",
                            if many.len() >= 6 { "6 or more" } else { "several" },
                            seqs.join(", ")
                        ));
                    }
                }
            }
            TargetRef::Seq(seq) => (format!("seq {seq}"), seq),
        };
        let head = self.ledger.head().seq;
        let entry = if seq > head {
            None
        } else {
            TargetEntry::at(self.ledger, seq).map_err(|e| format!("cannot read the ledger: {e}"))?
        };
        let Some(entry) = entry else {
            return Err(format!(
                "the ledger has no entry {seq} (its last is seq {head}); an entry appended by this same input cannot be named yet: append it first, then its correction; {FIND_TARGET}"
            ));
        };
        let hash = entry.hash;
        self.resolved.borrow_mut().push((named, entry));
        Ok(hash)
    }
}

/// The persons an input is about.
#[derive(Default)]
struct BatchPersons {
    /// Each person's first line, and whether the ledger has them yet.
    seen: HashMap<PersonId, (usize, bool)>,
    new: u64,
}

impl BatchPersons {
    fn note(&mut self, ledger: &Ledger, line: usize, person: &PersonId) -> Result<(), Failure> {
        if !self.seen.contains_key(person) {
            let is_new = ledger.person_seqs(person)?.is_empty();
            self.new += u64::from(is_new);
            self.seen.insert(person.clone(), (line, is_new));
        }
        Ok(())
    }

    /// Refuses every new person whose id is near another person's (in the
    /// ledger or in the input), unless `--new-person` confirms it: one pass
    /// over the ledger's persons (see `custody_ledger::near_ids`). Those are
    /// the persons with a status: one whose every entry was retracted has
    /// none, and is not compared.
    fn check_near(
        &self,
        ledger: &Ledger,
        confirmed: &HashSet<&str>,
        errors: &mut Errors,
    ) -> Result<(), Failure> {
        let mut new: Vec<(usize, String)> = self
            .seen
            .iter()
            .filter(|(_, (_, is_new))| *is_new)
            .map(|(p, (line, _))| (*line, p.as_str().to_string()))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        new.sort();
        let lines: Vec<usize> = new.iter().map(|(l, _)| *l).collect();
        let index = NearIndex::new(new.into_iter().map(|(_, p)| p).collect());
        let mut near: Vec<Vec<String>> = vec![Vec::new(); index.ids().len()];
        let mut add = |n: usize, other: String| {
            if near[n].len() < NEAR_SHOWN {
                near[n].push(other);
            }
        };
        ledger.for_each_person_id(|existing| {
            for n in index.near(existing) {
                add(n, existing.to_string());
            }
        })?;
        // Two new ids near each other: confirming either says they are two
        // persons.
        let is_confirmed = |n: usize| confirmed.contains(index.ids()[n].as_str());
        for (m, id) in index.ids().iter().enumerate() {
            for n in index.near(id) {
                if n != m && !is_confirmed(m) {
                    add(n, format!("{id} (new, line {})", lines[m]));
                }
            }
        }
        for (n, id) in index.ids().iter().enumerate() {
            if near[n].is_empty() || is_confirmed(n) {
                continue;
            }
            errors.push(
                Some(lines[n]),
                Some("person"),
                format!(
                    "{id} is a new person, but its id is near {} (it differs only in case or by one character): if it is that person, write their id; if it is another person, confirm it with --new-person {id}",
                    near[n].join(", ")
                ),
            );
        }
        Ok(())
    }
}

/// What the check of an input found.
struct Checked {
    spool: Spool,
    persons: BatchPersons,
    corrections: u64,
    disputes: u64,
    /// The ledger's length when it was checked, and the input's name: if
    /// another writer commits before this one takes the lock, the
    /// near-duplicate pass runs again over what it added.
    checked_at_len: u64,
    source: String,
}

/// The input, as a reader; its name, as errors give it; and the directory
/// an attachment's relative path is relative to.
pub(crate) fn open_input(
    input: Option<&PathBuf>,
) -> Result<(Box<dyn BufRead>, String, PathBuf), Failure> {
    let cwd = PathBuf::from(".");
    match input {
        Some(p) if p.as_os_str() != "-" => {
            let file =
                std::fs::File::open(p).map_err(|e| env(anyhow::anyhow!("{}: {e}", p.display())))?;
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or(cwd, PathBuf::from);
            Ok((Box::new(BufReader::new(file)), p.display().to_string(), dir))
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!(
                    "reading JSON Lines from the terminal (one event a line); end with Ctrl-D"
                );
            }
            Ok((Box::new(stdin.lock()), "standard input".into(), cwd))
        }
    }
}

/// 1. Checks every record, spooling it; an error anywhere refuses the whole
///    input, and every error is reported.
fn check_input(
    ctx: &Context,
    ledger: &Ledger,
    key: &SigningKey,
    args: &AppendArgs,
) -> Result<Checked, Failure> {
    let (reader, source, base_dir) = open_input(args.input.as_ref())?;
    let mut errors = Errors {
        source: source.clone(),
        check: args.check,
        json: ctx.json,
        count: 0,
        kept: Vec::new(),
    };
    let mut checked = Checked {
        spool: Spool {
            file: BufWriter::new(tempfile::tempfile().map_err(spool_err)?),
            count: 0,
        },
        persons: BatchPersons::default(),
        corrections: 0,
        disputes: 0,
        checked_at_len: ledger.len(),
        source: source.clone(),
    };
    let targets = LedgerTargets {
        ledger,
        resolved: RefCell::new(Vec::new()),
    };
    let input = InputContext {
        targets: &targets,
        base_dir,
        now: custody_ledger::clock::now(),
    };
    // Targets corrected earlier in this input: an entry is corrected once,
    // and the check must hold across chunks too.
    let mut corrected = HashMap::new();
    let checking = Progress::beside_data(ctx, None, "records", "check");
    for item in EventReader::with_context(reader, input) {
        checking.inc(1);
        let resolved = std::mem::take(&mut *targets.resolved.borrow_mut());
        let (line, event) = match item {
            Ok(x) => x,
            Err(e) => {
                errors.push(Some(e.line), e.field.as_deref(), e.message);
                continue;
            }
        };
        for (named, entry) in resolved {
            // Shown before anything is signed (and by --check, which signs
            // nothing): the entry a prefix or a seq names is the one the
            // investigator meant, or they stop here.
            if ctx.json {
                eprintln!(
                    "{}",
                    json!({"resolved": {"line": line, "named": named, "target": entry.json()}})
                );
            } else {
                eprintln!("line {line}: target {named} is {}", entry.text());
            }
        }
        if let Err(reason) = ledger.precheck(&event, key)? {
            let advice = refusal_advice(&reason).map(|a| format!("; {a}"));
            errors.push(
                Some(line),
                None,
                format!("{reason}{}", advice.unwrap_or_default()),
            );
            continue;
        }
        match &event {
            Event::Correction(c) => {
                checked.corrections += 1;
                if let Some(first) = corrected.insert(c.target, line) {
                    errors.push(
                        Some(line),
                        Some("target"),
                        format!(
                            "entry {} is already corrected on line {first}; an entry is corrected once",
                            c.target
                        ),
                    );
                }
            }
            Event::Dispute(_) => checked.disputes += 1,
            _ => {}
        }
        if let Some(person) = event.person() {
            checked.persons.note(ledger, line, person)?;
        }
        if errors.count == 0 {
            checked.spool.push(line, &event)?;
        }
    }
    checking.finish();
    let confirmed: HashSet<&str> = args.new_person.iter().map(String::as_str).collect();
    checked
        .persons
        .check_near(ledger, &confirmed, &mut errors)?;
    if errors.count == 0 && checked.spool.count == 0 {
        errors.push(None, None, "the input holds no events");
    }
    errors.finish()?;
    Ok(checked)
}

/// Runs `append`.
pub(crate) fn run(ctx: &Context, args: AppendArgs) -> CmdResult {
    let key = crate::cmd::key::signing_key(&args.key)?;
    if args.signed {
        let (input, source, _) = open_input(args.input.as_ref())?;
        return crate::cmd::append_signed::run(ctx, &key, input, &source, args.check);
    }
    // The check reads the ledger without its write lock: hashing a large
    // attachment, or looking for near-duplicate ids over every person, must
    // not hold up other writers (a server's committer, another append).
    // Whatever changes before the commit is caught there: each entry is
    // checked again against the chain as it then stands, and a refused
    // chunk writes nothing and says where to resume.
    let checked = {
        let ledger = ctx.open_read_only()?;
        check_input(ctx, &ledger, &key, &args)?
    };
    if args.check {
        print_check_summary(ctx, &checked);
        return Ok(());
    }
    let mut ledger = ctx.open()?;
    if ledger.len() != checked.checked_at_len {
        recheck_near_ids(ctx, &ledger, &checked, &args)?;
    }
    let persons = checked.persons.seen.len();
    let (first, last) = commit(ctx, &mut ledger, &key, args.chunk, checked.spool)?;
    if let (false, Some(first), Some(last)) = (ctx.json, first, last) {
        // On stderr: stdout keeps one `seq hash` line per entry, for scripts.
        let n = last - first + 1;
        let entries = if n == 1 {
            format!("1 entry (seq {first})")
        } else {
            format!("{n} entries (seq {first}..{last})")
        };
        let about = match persons {
            0 => String::new(),
            1 => " for 1 person".to_string(),
            p => format!(" for {p} persons"),
        };
        eprintln!("appended {entries}{about}");
    }
    Ok(())
}

/// Another writer committed between the check and the lock: the persons
/// it added may be near the input's new ones (two investigators entering
/// `P-Zed` and `P-ZED` at once). The chain rules are checked again at the
/// commit anyway; this repeats the one check they do not hold, under the
/// lock, over the ledger as it now stands.
fn recheck_near_ids(
    ctx: &Context,
    ledger: &Ledger,
    checked: &Checked,
    args: &AppendArgs,
) -> Result<(), Failure> {
    let mut persons = BatchPersons::default();
    for (person, (line, _)) in &checked.persons.seen {
        persons.note(ledger, *line, person)?;
    }
    let mut errors = Errors {
        source: checked.source.clone(),
        check: false,
        json: ctx.json,
        count: 0,
        kept: Vec::new(),
    };
    let confirmed: HashSet<&str> = args.new_person.iter().map(String::as_str).collect();
    persons.check_near(ledger, &confirmed, &mut errors)?;
    errors.finish()
}

/// What `append --check` found in an input it would accept.
fn print_check_summary(ctx: &Context, checked: &Checked) {
    let events = checked.spool.count;
    let persons = checked.persons.seen.len() as u64;
    let new = checked.persons.new;
    if ctx.json {
        crate::output::print_json(&json!({
            "valid": true,
            "events": events,
            "persons": persons,
            "new_persons": new,
            "corrections": checked.corrections,
            "disputes": checked.disputes,
        }));
    } else {
        let count =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        println!(
            "{} would be appended: {}, {} already in the ledger; {}, {} (--check: nothing was appended)",
            count(events, "event", "events"),
            count(new, "new person", "new persons"),
            count(persons - new, "person", "persons"),
            count(checked.corrections, "correction", "corrections"),
            count(checked.disputes, "dispute", "disputes"),
        );
    }
}

/// 2. Commits the spooled events chunk by chunk, acknowledging each once it
///    is durable; returns the first and last seq appended.
fn commit(
    ctx: &Context,
    ledger: &mut Ledger,
    key: &SigningKey,
    chunk: usize,
    spool: Spool,
) -> Result<(Option<u64>, Option<u64>), Failure> {
    let total = spool.count;
    let mut file = spool
        .file
        .into_inner()
        .map_err(|e| spool_err(e.into_error()))?;
    file.rewind().map_err(spool_err)?;
    let mut spooled = BufReader::new(file);

    // Standard output carries the acknowledgments (data, like an export's):
    // the bar is drawn when they go to a file or a pipe.
    let progress = if total >= PROGRESS_FROM {
        Progress::beside_data(ctx, Some(total), "entries", "append")
    } else {
        Progress::hidden()
    };
    let mut done = 0u64;
    let (mut first, mut last) = (None, None);
    loop {
        let mut lines = Vec::with_capacity(chunk);
        let mut events = Vec::with_capacity(chunk);
        while events.len() < chunk {
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
        let targets = events
            .iter()
            .map(|e| match target_of(e) {
                Some(hash) => TargetEntry::of_hash(ledger, &hash),
                None => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        match ledger.append(events, key) {
            Ok(appended) => {
                print_acks(ctx, &appended, &targets).map_err(|f| {
                    f.context(format!(
                        "the entries up to seq {} are in the ledger but some were not acknowledged (check with `custody log`)",
                        appended.last().map(|a| a.seq).unwrap_or_default()
                    ))
                })?;
                first = first.or(appended.first().map(|a| a.seq));
                last = appended.last().map(|a| a.seq).or(last);
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
    Ok((first, last))
}

/// The entry a correction or a dispute is about.
fn target_of(event: &Event) -> Option<EntryHash> {
    match event {
        Event::Correction(c) => Some(c.target),
        Event::Dispute(d) => Some(d.target),
        _ => None,
    }
}
