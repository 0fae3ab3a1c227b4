//! `custody verify`: prove the chain intact and every signer authorised.

use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_ledger::store::Ledger;
use custody_verifier::export::{verify_export, ExportError};
use custody_verifier::signatures::{verify_chain, Mode};
use custody_verifier::{Summary, Violation};
use serde_json::json;
use std::path::PathBuf;

/// `custody verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// Verify an export file (from `custody export`) instead of a store; no
    /// store is needed.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Verify each signature with strict single verification instead of in
    /// batches (about four times slower; see docs/FORMAT.md, section 5).
    #[arg(long)]
    exact: bool,
}

/// Walks every entry of an open ledger through the verifier.
///
/// The verifier sees only the stored bytes, in chain order; signatures are
/// checked in batches on every core unless `exact` asks for one strict
/// verification each.
pub fn verify_store(ledger: &Ledger, exact: bool) -> Result<Result<Summary, Violation>, Failure> {
    let mode = if exact { Mode::Exact } else { Mode::default() };
    let entries = ledger.entries_from(0).map(|r| r.map(|(_, bytes)| bytes));
    Ok(verify_chain(entries, mode, |_| {})?)
}

/// Prints a verdict and turns it into an exit code.
pub fn report(ctx: &Context, source: &str, verdict: Result<Summary, Violation>) -> CmdResult {
    match verdict {
        Ok(s) => {
            if ctx.json {
                print_json(&json!({
                    "valid": true, "source": source, "ledger_name": s.ledger_name,
                    "length": s.length, "head_seq": s.length - 1, "head_hash": s.head_hash,
                    "authority": s.authority, "last_recorded_at": s.last_recorded_at,
                }));
            } else {
                println!("VALID  {source}");
                println!("ledger:    {}", s.ledger_name);
                println!("entries:   {}", s.length);
                println!("head:      seq {} {}", s.length - 1, s.head_hash);
                println!("authority: {}", s.authority);
                println!("last recorded at {}", s.last_recorded_at);
            }
            Ok(())
        }
        Err(v) => {
            if ctx.json {
                print_json(&json!({
                    "valid": false, "source": source, "seq": v.seq, "rule": v.rule.name(), "detail": v.detail,
                }));
            } else {
                println!("INVALID  {source}");
                println!("first bad entry: seq {}", v.seq);
                println!("rule:   {}", v.rule);
                println!("detail: {}", v.detail);
            }
            Err(refused(anyhow::anyhow!(
                "verification failed at seq {} ({}): {}",
                v.seq,
                v.rule,
                v.detail
            )))
        }
    }
}

/// Runs `verify`.
pub fn run(ctx: &Context, args: VerifyArgs) -> CmdResult {
    if let Some(path) = &args.bundle {
        let file = std::fs::File::open(path)
            .map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?;
        let source = path.display().to_string();
        return match verify_export(std::io::BufReader::new(file)) {
            Ok(s) => report(ctx, &source, Ok(s)),
            Err(ExportError::Invalid { line, violation }) => {
                if !ctx.json {
                    println!("(at line {line} of {source})");
                }
                report(ctx, &source, Err(violation))
            }
            Err(ExportError::Malformed { line, message }) => {
                Err(refused(anyhow::anyhow!("{source}: line {line}: {message}")))
            }
            Err(ExportError::Io(e)) => Err(env(anyhow::anyhow!("{source}: {e}"))),
        };
    }
    let ledger = ctx.open()?;
    let source = ledger.dir().display().to_string();
    let verdict = verify_store(&ledger, args.exact)?;
    report(ctx, &source, verdict)
}
