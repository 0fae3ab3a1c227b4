//! `custody sign`: evidence signed in the field as **statements** (format
//! v3, docs/design/format-v3.md §4), with no store and no network.
//!
//! An entry's signature covers its seq and the hash before it, which only
//! the machine holding the store knows. A statement is signed by its
//! author over the event alone (with the ledger's name, the author's clock
//! and a fresh nonce), so an investigator can sign for weeks offline and
//! hand the file in later; a registrar puts each statement in the chain
//! inside a `statement` entry (`custody append --signed`, `custody serve`).
//!
//! The input is read with `append`'s reader and checks, as far as they need
//! no store: the same line-numbered errors, dates after today refused,
//! attachments hashed from their files. A correction's or a dispute's
//! target must be the entry's full hash (there is no store to resolve a
//! prefix or a seq against). Each event's personal fields are committed
//! with fresh salts (`custody_ledger::input::commit_fresh`) before it is
//! signed: the statement holds commitments, and the line beside it the
//! cleartext and salts (`custody_ledger::statement_line`).
//!
//! All or nothing: the lines go to an unlinked temporary file (or the
//! output file's temporary twin) as they are signed, and reach their
//! destination only once every input line was accepted. The output holds
//! personal data in clear: `--out` is written with mode 0600, and never
//! over an existing file (it may be the only copy of statements not yet
//! handed in).

use crate::escape::terminal;
use crate::exit::{env, refused, with_details, CmdResult, Detail, Failure};
use crate::output::Context;
use clap::Args;
use custody_format::event::{EntryHash, Event, Genesis, PersonId, PublicKeyBytes, Role};
use custody_format::statement::{Nonce, SignedStatement, StatementBody, STATEMENT_VERSION};
use custody_ledger::input::{
    commit_fresh, CommitError, EventReader, InputContext, ResolveTarget, TargetRef,
};
use custody_ledger::keyfile::SigningKey;
use custody_ledger::statement_line;
use std::collections::HashSet;
use std::io::{BufRead, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

/// `custody sign`.
#[derive(Args)]
#[command(after_help = "\
A statement is one evidence event (or a correction) signed by its author,
an investigator, for one ledger, offline: no store and no network are
needed, so it can be signed in the field and handed in later. It carries
the event, the author's public key, the ledger's name, the time of this
machine's clock (a claim: the ledger records when it registers the
statement) and a random nonce, signed under the domain custody/statement/v1.
A registrar puts it in the chain later (`custody append --signed` at the
office, or `custody serve`); the author's key must then hold the
investigator role in that ledger, and a statement registered after its
author's key was revoked is refused, whatever time it claims.

Each personal field (names, places, free texts, witnesses...) is replaced
in the signed statement by a salted commitment; its value and salt travel
beside the statement in the same line (`disclosures`), so the ledger can
later withhold or erase them without touching a signed byte.

THE OUTPUT HOLDS PERSONAL DATA IN CLEAR. --out writes it with mode 0600 and
never replaces an existing file; keep it as you keep your notes, and delete
it once its statements are registered.

The input is event JSON Lines, read and checked as `custody append` reads
them, with the same line-numbered errors (dates after today refused,
attachments hashed from their \"file\"). There is no store: a correction's or
a dispute's \"target\" must be the entry's full hash (64 hex digits; `custody
log --full-hash` shows it where the ledger is), not a prefix or a
\"target_seq\". The \"witnesses\" field (who saw, told or carried the
information) is accepted. All or nothing: if any line is refused, every
error is listed and nothing is written.

Each output line is one JSON object:
  {\"disclosures\":[...],\"id\":\"<statement id>\",\"statement\":\"<base64>\",\"view\":{...}}
(docs/design/format-v3.md §4.2). A summary goes to standard error.")]
pub(crate) struct SignArgs {
    /// The author's private key (an investigator's; encrypted or not).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The name of the ledger the statements are for (as `custody init
    /// --name` gave it: the first line of its checkpoints). Without it, it
    /// is read from the ledger at --store.
    #[arg(long, value_name = "NAME")]
    ledger: Option<String>,
    /// Event JSON Lines; `-` or nothing reads standard input.
    #[arg(value_name = "PATH|-")]
    input: Option<PathBuf>,
    /// Write the statement lines to FILE (mode 0600; an existing file is
    /// never replaced) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Targets named by a prefix or a seq need a store, which `sign` has not.
struct NoStore;

impl ResolveTarget for NoStore {
    fn resolve(&self, target: TargetRef<'_>) -> Result<EntryHash, String> {
        let what = match target {
            TargetRef::Prefix(p) => format!("{p} is only the start of an entry's hash"),
            TargetRef::Seq(seq) => format!("entry {seq} is named by its seq"),
        };
        Err(format!(
            "{what}, and `custody sign` has no store to find the entry in: give \"target\" as the entry's full hash (64 hex digits; `custody log --full-hash` shows it on a machine holding the ledger)"
        ))
    }
}

/// What was signed.
struct Signed {
    statements: u64,
    persons: HashSet<PersonId>,
}

/// Who signs, for which ledger.
struct Author<'a> {
    key: &'a SigningKey,
    public: PublicKeyBytes,
    ledger: &'a str,
}

/// Signs every event of `reader` into `out`, one statement line each; if
/// any line is refused, every error is reported and the caller's output is
/// to be discarded.
fn sign_all(
    ctx: &Context,
    author: &Author<'_>,
    reader: Box<dyn BufRead>,
    source: &str,
    base_dir: PathBuf,
    out: &mut dyn Write,
) -> Result<Signed, Failure> {
    let input = InputContext {
        targets: &NoStore,
        base_dir,
        now: custody_ledger::clock::now(),
    };
    let mut errors: Vec<Detail> = Vec::new();
    let mut signed = Signed {
        statements: 0,
        persons: HashSet::new(),
    };
    let write_err = |e: std::io::Error| {
        env(anyhow::anyhow!(
            "cannot write the statements: {e}; nothing was written"
        ))
    };
    for item in EventReader::with_context(reader, input) {
        let (line, event) = match item {
            Ok(x) => x,
            Err(e) => {
                errors.push(Detail {
                    line: Some(e.line),
                    field: e.field,
                    message: e.message,
                });
                continue;
            }
        };
        let refuse = |field: Option<String>, message: String| Detail {
            line: Some(line),
            field,
            message,
        };
        let statement = match statement_of(author, event) {
            Ok(s) => s,
            Err(Problem::Line(field, message)) => {
                errors.push(refuse(field, message));
                continue;
            }
            Err(Problem::Env(f)) => return Err(f),
        };
        if errors.is_empty() {
            let text = statement_line::to_line(&statement.0, &statement.1);
            writeln!(out, "{text}").map_err(write_err)?;
        }
        signed.statements += 1;
        if let Some(p) = statement.0.event().person() {
            signed.persons.insert(p.clone());
        }
    }
    if errors.is_empty() && signed.statements == 0 {
        errors.push(Detail {
            line: None,
            field: None,
            message: "the input holds no events".into(),
        });
    }
    if !errors.is_empty() {
        return Err(refusal(ctx, source, errors));
    }
    out.flush().map_err(write_err)?;
    Ok(signed)
}

/// Why one event could not become a statement.
enum Problem {
    /// The event's fault: reported with its line, and signing goes on.
    Line(Option<String>, String),
    /// This machine's: signing stops.
    Env(Failure),
}

/// Commits `event`'s personal fields with fresh salts and signs it.
fn statement_of(
    author: &Author<'_>,
    mut event: Event,
) -> Result<(SignedStatement, Vec<custody_format::commit::Disclosure>), Problem> {
    let disclosures = commit_fresh(&mut event).map_err(|e| match e {
        CommitError::Field(f) => Problem::Line(Some(f.field), f.message),
        CommitError::Random(m) => Problem::Env(env(anyhow::anyhow!("{m}; nothing was written"))),
    })?;
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|e| {
        Problem::Env(env(anyhow::anyhow!(
            "the operating system's random generator failed: {e}; nothing was written"
        )))
    })?;
    let body = StatementBody {
        version: STATEMENT_VERSION,
        ledger: author.ledger.to_string(),
        author: author.public,
        // The author's clock, read per statement: a claim the ledger shows
        // as such, never used to authorise anything.
        signed_at: custody_ledger::clock::now(),
        nonce: Nonce(nonce),
        event: Box::new(event),
    };
    let statement =
        SignedStatement::sign(body, author.key).map_err(|e| Problem::Line(None, e.to_string()))?;
    Ok((statement, disclosures))
}

/// The failure listing every refused line.
fn refusal(ctx: &Context, source: &str, errors: Vec<Detail>) -> Failure {
    let n = errors.len();
    if n == 1 {
        let what = format!("{source}: {}; nothing was written", errors[0]);
        return refused(with_details(what, errors));
    }
    if !ctx.json {
        for e in &errors {
            eprintln!("error: {}", terminal(&format!("{source}: {e}")));
        }
    }
    let listed = if ctx.json {
        "in `details`"
    } else {
        "listed above"
    };
    refused(with_details(
        format!("{n} errors in {source} ({listed}): fix them and sign the input again; nothing was written"),
        errors,
    ))
}

/// The ledger's name: `--ledger`, or the genesis's of the ledger at
/// `--store` (opened read-only). Given both, they must agree.
fn ledger_name(ctx: &Context, args: &SignArgs, author: &PublicKeyBytes) -> Result<String, Failure> {
    let stored = match &ctx.store {
        Some(_) => {
            let ledger = ctx.open_read_only()?;
            check_author(&ledger, author)?;
            Some(ledger.name().to_string())
        }
        None => None,
    };
    let name = match (&args.ledger, stored) {
        (Some(given), Some(stored)) if *given != stored => {
            return Err(env(anyhow::anyhow!(
                "--ledger {given:?} is not the name of the ledger at --store ({stored:?}); give one of them (CUSTODY_STORE counts as --store)"
            )))
        }
        (Some(given), _) => given.clone(),
        (None, Some(stored)) => stored,
        (None, None) => {
            return Err(env(anyhow::anyhow!(
                "no ledger named: pass --ledger NAME (the name `custody init --name` gave the ledger, the first line of its checkpoints), or --store DIR to read it from the ledger"
            )))
        }
    };
    // The rules of a ledger name are a genesis's: check them once, before
    // any line is read, rather than on every statement.
    let genesis = Event::Genesis(Genesis {
        ledger_name: name.clone(),
        authority_key: *author,
        authority_holder: "-".into(),
    });
    if let Err(e) = genesis.validate() {
        return Err(env(anyhow::anyhow!(
            "--ledger {:?}: {} (it must be the ledger's name exactly as `custody init --name` gave it)",
            custody_format::text::clip(&name, 80),
            e.message
        )));
    }
    Ok(name)
}

/// With a store at hand, says early what registration would refuse: a
/// revoked author (refused now: no statement of theirs can ever be
/// registered) or one without the investigator role (a warning: it may be
/// granted before the statements are registered).
fn check_author(ledger: &custody_ledger::store::Ledger, author: &PublicKeyBytes) -> CmdResult {
    let record = ledger.registry().get(author);
    if let Some((seq, reason)) = record.and_then(|r| r.revoked.as_ref()) {
        return Err(refused(anyhow::anyhow!(
            "the key {} was revoked at seq {seq} ({}): a statement it signs would be refused when registered, whatever time it claims; sign with your new key",
            author.to_hex(),
            terminal(reason)
        )));
    }
    if !record.is_some_and(|r| r.may(Role::Investigator)) {
        crate::exit::warn(&format!(
            "the key {} does not hold the investigator role in ledger {:?}: its statements will be refused when registered unless the authority grants it first (`custody key grant --role investigator`)",
            author.to_hex(),
            ledger.name()
        ));
    }
    Ok(())
}

/// Refuses an existing `--out` before anything is read or signed.
fn check_out(path: &Path) -> CmdResult {
    if path.exists() {
        return Err(env(anyhow::anyhow!(
            "{}: already exists; statement files are never replaced (it may hold statements not yet registered): choose another name",
            crate::escape::path(path)
        )));
    }
    crate::outfile::check_new(path)
}

/// Runs `sign`.
pub(crate) fn run(ctx: &Context, args: SignArgs) -> CmdResult {
    if let Some(out) = &args.out {
        check_out(out)?;
    }
    let key = crate::cmd::key::signing_key(&args.key)?;
    let public = PublicKeyBytes(key.verifying_key().to_bytes());
    let ledger = ledger_name(ctx, &args, &public)?;
    let author = Author {
        key: &key,
        public,
        ledger: &ledger,
    };
    let (reader, source, base_dir) = crate::cmd::append::open_input(args.input.as_ref())?;
    let signed = match &args.out {
        Some(path) => crate::outfile::write_private_with(path, |out| {
            sign_all(ctx, &author, reader, &source, base_dir, out)
        })?,
        None => to_stdout(ctx, &author, reader, &source, base_dir)?,
    };
    summary(ctx, &signed, &author, args.out.as_deref());
    Ok(())
}

/// Signs into an unlinked temporary file (mode 0600: it holds cleartext),
/// then copies it to standard output once every line was accepted.
fn to_stdout(
    ctx: &Context,
    author: &Author<'_>,
    reader: Box<dyn BufRead>,
    source: &str,
    base_dir: PathBuf,
) -> Result<Signed, Failure> {
    let spool_err = |e: std::io::Error| {
        env(anyhow::anyhow!(
            "cannot hold the statements in a temporary file ({e}); check free space in the temporary directory (TMPDIR), or use --out; nothing was written"
        ))
    };
    let mut spool = BufWriter::new(tempfile::tempfile().map_err(spool_err)?);
    let signed = sign_all(ctx, author, reader, source, base_dir, &mut spool)?;
    let mut file = spool.into_inner().map_err(|e| spool_err(e.into_error()))?;
    file.rewind().map_err(spool_err)?;
    let mut stdout = std::io::stdout().lock();
    std::io::copy(&mut file, &mut stdout)
        .and_then(|_| stdout.flush())
        .map_err(|e| env(anyhow::anyhow!("cannot write to standard output: {e}")))?;
    Ok(signed)
}

/// One line on standard error: what was signed, and that it is sensitive.
fn summary(ctx: &Context, signed: &Signed, author: &Author<'_>, out: Option<&Path>) {
    let n = signed.statements;
    let p = signed.persons.len();
    if ctx.json {
        eprintln!(
            "{}",
            serde_json::json!({"signed": {
                "statements": n,
                "persons": p,
                "ledger": author.ledger,
                "author": author.public,
                "out": out.map(|o| o.display().to_string()),
            }})
        );
        return;
    }
    let statements = if n == 1 {
        "1 statement".to_string()
    } else {
        format!("{n} statements")
    };
    let persons = if p == 1 {
        "1 person".to_string()
    } else {
        format!("{p} persons")
    };
    let into = out.map_or_else(
        || "standard output".to_string(),
        |o| format!("{} (mode 0600)", crate::escape::path(o)),
    );
    eprintln!(
        "signed {statements} about {persons} for ledger {} as {}… into {into}: it holds personal data in clear; keep it safe, and delete it once the statements are registered",
        terminal(&format!("{:?}", author.ledger)),
        &author.public.to_hex()[..16],
    );
}
