//! `custody verify`: prove the chain intact and every signer authorised.

use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use crate::progress::Progress;
use clap::Args;
use custody_ledger::store::Ledger;
use custody_verifier::export::{verify_export, ExportError};
use custody_verifier::{ChainVerifier, Rule, Summary, Violation};
use serde_json::json;
use std::path::PathBuf;

/// `custody verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// Verify an export file (from `custody export`) instead of a store; no
    /// store is needed.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
}

/// Walks every entry of an open ledger through the verifier.
///
/// The verifier sees only the stored bytes. The position each entry is
/// stored under is compared with the seq inside it, so a store whose index
/// disagrees with its entries is caught too.
///
/// `progress` counts entries (its total is the ledger's length).
pub fn verify_store(
    ledger: &Ledger,
    progress: &Progress,
) -> Result<Result<Summary, Violation>, Failure> {
    let mut chain = ChainVerifier::new();
    for item in ledger.entries_from(0) {
        progress.inc(1);
        let (stored_seq, bytes) = item?;
        if stored_seq != chain.len() {
            return Ok(Err(Violation {
                seq: chain.len(),
                rule: Rule::Sequence,
                detail: format!(
                    "the store holds entry {stored_seq} where {} should be (an entry is missing)",
                    chain.len()
                ),
            }));
        }
        if let Err(v) = chain.push(&bytes) {
            return Ok(Err(v));
        }
    }
    Ok(chain.finish())
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
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let progress = Progress::bytes(ctx, size, "verify");
        let verdict = verify_export(std::io::BufReader::new(progress.reader(file)));
        progress.finish();
        return match verdict {
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
    let progress = Progress::new(ctx, Some(ledger.len()), "entries", "verify");
    let verdict = verify_store(&ledger, &progress)?;
    progress.finish();
    report(ctx, &source, verdict)
}
