//! `custody export`: the whole ledger as JSON Lines.

use crate::exit::{env, CmdResult, Failure};
use crate::output::Context;
use crate::progress::Progress;
use base64::Engine;
use clap::Args;
use custody_ledger::entry::{entry_view, SignedEntry};
use custody_ledger::store::Ledger;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// `custody export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Write here (atomically: a temporary file renamed into place) instead
    /// of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Writes every entry as one JSON line: `seq`, `hash`, `entry` (the stored
/// bytes, standard base64) and `view` (decoded, for people; never trusted).
/// `progress` counts entries.
pub fn write_export(
    ledger: &Ledger,
    out: &mut dyn Write,
    progress: &Progress,
) -> Result<u64, Failure> {
    let mut n = 0;
    for item in ledger.entries_from(0) {
        progress.inc(1);
        let (seq, bytes) = item?;
        let entry = SignedEntry::decode(bytes).map_err(|e| {
            env(anyhow::anyhow!(
                "entry {seq} does not decode: {e}; run `custody verify`"
            ))
        })?;
        let line = json!({
            "seq": entry.seq(),
            "hash": entry.hash(),
            "entry": base64::engine::general_purpose::STANDARD.encode(entry.bytes()),
            "view": entry_view(&entry),
        });
        writeln!(out, "{line}").map_err(|e| env(anyhow::anyhow!("cannot write export: {e}")))?;
        n += 1;
    }
    Ok(n)
}

/// Runs `export`.
pub fn run(ctx: &Context, args: ExportArgs) -> CmdResult {
    let ledger = ctx.open()?;
    let progress = if args.out.is_none() {
        Progress::beside_data(ctx, Some(ledger.len()), "entries", "export")
    } else {
        Progress::new(ctx, Some(ledger.len()), "entries", "export")
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_export(&ledger, &mut out, &progress)?;
            out.flush()
                .map_err(|e| env(anyhow::anyhow!("cannot write export: {e}")))?;
        }
        Some(path) => {
            let io = |e: std::io::Error| env(anyhow::anyhow!("{}: {e}", path.display()));
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
            let mut out = std::io::BufWriter::new(tmp);
            let n = write_export(&ledger, &mut out, &progress)?;
            let tmp = out.into_inner().map_err(|e| io(e.into_error()))?;
            tmp.as_file().sync_all().map_err(io)?;
            tmp.persist(path).map_err(|e| io(e.error))?;
            if !ctx.json {
                eprintln!("exported {n} entries to {}", path.display());
            }
        }
    }
    Ok(())
}
