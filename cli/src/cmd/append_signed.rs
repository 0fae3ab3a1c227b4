//! `custody append --signed FILE`: registers statements signed in the
//! field (`custody sign`), at the machine that holds the store — the
//! office laptop's path; `custody serve` is the server's.
//!
//! Each line is read and checked by `custody_ledger::statement_line`
//! (strict JSON, claims against bytes, the author's signature, every
//! disclosure against its commitment), then every statement is registered
//! in one durable commit by `Ledger::append_statements`, inside an entry
//! signed with `--key` (an investigator or a registrar). A statement
//! already in the ledger — a file handed in twice — gets its entry back and
//! is not appended again; disclosures it brings that the store lacked are
//! kept. All or nothing: a bad line, another ledger's statement, or an
//! author who may not author evidence refuses the whole file, with every
//! bad line named, and the ledger stays as it was.

use crate::escape::terminal;
use crate::exit::{refused, with_details, CmdResult, Detail, Failure};
use crate::output::Context;
use custody_ledger::keyfile::SigningKey;
use custody_ledger::statement_line::{SignedAhead, StatementLineItemError, StatementLineReader};
use custody_ledger::store::{AppendError, Registered, Submitted};
use serde_json::json;
use std::io::{BufRead, Write};

/// At most this many bad lines are listed; the count goes on.
const MAX_LISTED: usize = 50;

/// Registers the statements of `input` (named `source` in errors).
pub(crate) fn run(
    ctx: &Context,
    key: &SigningKey,
    input: Box<dyn BufRead>,
    source: &str,
    check: bool,
) -> CmdResult {
    let (lines, statements) = read(ctx, input, source)?;
    if statements.is_empty() {
        return Err(refused(anyhow::anyhow!(
            "{source} holds no statement; nothing was appended"
        )));
    }
    let mut ledger = if check {
        ctx.open_read_only()?
    } else {
        ctx.open()?
    };
    // Another ledger's statement is refused by the rules too (rule
    // `statement_ledger`); said here first, with its line, and before the
    // write lock is needed for anything.
    let name = ledger.name().to_string();
    let foreign: Vec<Detail> = statements
        .iter()
        .zip(&lines)
        .filter(|(s, _)| s.statement.body().ledger != name)
        .map(|(s, &line)| Detail {
            line: Some(line),
            field: None,
            message: format!(
                "the statement was signed for the ledger {:?}, not this one ({name:?}); hand it in to that ledger",
                terminal(&s.statement.body().ledger)
            ),
        })
        .collect();
    if !foreign.is_empty() {
        return Err(listed(ctx, source, foreign));
    }
    if check {
        eprintln!(
            "{} statements in {source} read and verify; nothing was appended (--check)",
            statements.len()
        );
        return Ok(());
    }
    let registered = match ledger.append_statements(statements, key) {
        Ok(r) => r,
        Err(AppendError::Refused { index, reason }) => {
            let advice = crate::exit::refusal_advice(&reason)
                .map(|a| format!(" ({a})"))
                .unwrap_or_default();
            return Err(refused(anyhow::anyhow!(
                "{source}: line {}: {reason}{advice}; nothing was appended",
                lines[index]
            )));
        }
        Err(e) => return Err(Failure::from(e).context("nothing was appended")),
    };
    print(ctx, &registered)
}

/// Every statement line of `input`, or every bad line's error.
fn read(
    ctx: &Context,
    input: Box<dyn BufRead>,
    source: &str,
) -> Result<(Vec<usize>, Vec<Submitted>), Failure> {
    let mut lines = Vec::new();
    let mut statements = Vec::new();
    let mut errors = Vec::new();
    let now = custody_ledger::clock::now();
    for item in StatementLineReader::new(input) {
        match item {
            Ok((line, read)) => match read.check_signed_at(now) {
                Ok(()) => {
                    lines.push(line);
                    statements.push(Submitted::from(read));
                }
                Err(e) => errors.push(Detail {
                    line: Some(line),
                    field: Some("signed_at".into()),
                    message: signed_ahead(&e),
                }),
            },
            Err(StatementLineItemError::Line(e)) => errors.push(Detail {
                line: Some(e.line),
                field: None,
                message: e.error.to_string(),
            }),
            Err(StatementLineItemError::Read(e)) => {
                return Err(crate::exit::env(anyhow::anyhow!(
                    "{source}: {e}; nothing was appended"
                )))
            }
        }
    }
    if !errors.is_empty() {
        return Err(listed(ctx, source, errors));
    }
    Ok((lines, statements))
}

/// A statement signed more than a day ahead of this machine's clock, in
/// words, with what to do: the same for `append --signed` and `POST
/// /v1/statements`. Registration's policy, not a chain rule (docs/design/
/// format-v3.md §4.4): a verifier accepts such an entry already in a chain.
pub(crate) fn signed_ahead(e: &SignedAhead) -> String {
    format!(
        "{e}. Check the clock of the machine that signed it (the field laptop: date, time and time zone) and this machine's; then re-sign the event there with the clock right (`custody sign`) and hand the new statement in"
    )
}

/// The failure naming every bad line (the first [`MAX_LISTED`] of them).
fn listed(ctx: &Context, source: &str, mut errors: Vec<Detail>) -> Failure {
    let n = errors.len();
    errors.truncate(MAX_LISTED);
    if n == 1 {
        let what = format!("{source}: {}; nothing was appended", errors[0]);
        return refused(with_details(what, errors));
    }
    if !ctx.json {
        for e in &errors {
            eprintln!("error: {}", terminal(&format!("{source}: {e}")));
        }
    }
    let shown = if n > MAX_LISTED {
        format!("the first {MAX_LISTED} ")
    } else {
        String::new()
    };
    refused(with_details(
        format!("{n} statements of {source} are refused ({shown}listed); fix or drop them and hand the file in again; nothing was appended"),
        errors,
    ))
}

/// One line per statement on standard output (`seq hash`, or a JSON
/// object that says whether it was already registered), and a summary on
/// standard error.
fn print(ctx: &Context, registered: &[Registered]) -> CmdResult {
    let mut text = String::new();
    for r in registered {
        if ctx.json {
            let ack = json!({"seq": r.entry.seq, "hash": r.entry.hash, "existing": r.existing});
            text.push_str(&ack.to_string());
        } else {
            text.push_str(&format!("{} {}", r.entry.seq, r.entry.hash));
        }
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            crate::exit::env(anyhow::anyhow!(
                "cannot write to standard output: {e}; the statements are registered (see `custody log`)"
            ))
        })?;
    let existing = registered.iter().filter(|r| r.existing).count();
    if !ctx.json {
        eprintln!(
            "{}",
            registered_words(registered.len() - existing, existing)
        );
    }
    Ok(())
}

/// "registered N statement(s)", and how many of those handed in were in the
/// ledger already (a file handed in twice: nothing new appended for them).
pub(crate) fn registered_words(new: usize, existing: usize) -> String {
    let noun = |n: usize| if n == 1 { "statement" } else { "statements" };
    let again = match existing {
        0 => String::new(),
        n => format!(
            "; {n} already in the ledger (their entries are given, nothing appended for them)"
        ),
    };
    format!("registered {new} {}{again}", noun(new))
}
