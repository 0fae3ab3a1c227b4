//! `custody export`: the whole ledger as JSON Lines.

use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::Context;
use crate::progress::Progress;
use clap::Args;
use custody_format::entry::SignedEntry;
use custody_format::event::PersonId;
use custody_format::wire::export::ExportLine;
use custody_ledger::store::Ledger;
use std::io::Write;
use std::path::PathBuf;

/// `custody export`.
#[derive(Args)]
pub(crate) struct ExportArgs {
    /// Export only this person's evidence bundle: their entries, the
    /// governance entries, an inclusion proof for each, and the signed
    /// checkpoint they prove against. Nothing about anyone else.
    #[arg(long, value_name = "PERSON")]
    person: Option<String>,
    /// Write here (atomically: a temporary file renamed into place) instead
    /// of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace --out if it exists (never a file inside a store).
    #[arg(long, requires = "out")]
    force: bool,
}

/// Writes every entry as one JSON line: `seq`, `hash`, `entry` (the stored
/// bytes, standard base64) and `view` (decoded, for people; never trusted).
/// `progress` counts entries.
pub(crate) fn write_export(
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
        let line = ExportLine::of(&entry).to_line();
        writeln!(out, "{line}").map_err(|e| env(anyhow::anyhow!("cannot write export: {e}")))?;
        n += 1;
    }
    Ok(n)
}

/// Runs `export`.
pub(crate) fn run(ctx: &Context, args: ExportArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    if let Some(person) = &args.person {
        let person =
            PersonId::new(person).map_err(|m| refused(anyhow::anyhow!("--person: {m}")))?;
        let bundle = ledger.person_bundle(&person)?;
        let text = bundle.to_json() + "\n";
        return write_out(ctx, args.out.as_deref(), args.force, |out| {
            out.write_all(text.as_bytes())
                .map_err(|e| env(anyhow::anyhow!("cannot write bundle: {e}")))?;
            Ok(bundle.entries.len() as u64)
        });
    }
    let progress = if args.out.is_none() {
        Progress::beside_data(ctx, Some(ledger.len()), "entries", "export")
    } else {
        Progress::new(ctx, Some(ledger.len()), "entries", "export")
    };
    let result = write_out(ctx, args.out.as_deref(), args.force, |out| {
        write_export(&ledger, out, &progress)
    });
    progress.finish();
    result
}

/// Writes to `path` (a new file, see `crate::outfile`), or to standard
/// output.
fn write_out(
    ctx: &Context,
    path: Option<&std::path::Path>,
    force: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<u64, Failure>,
) -> CmdResult {
    match path {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out)?;
            out.flush()
                .map_err(|e| env(anyhow::anyhow!("cannot write export: {e}")))?;
        }
        Some(path) => {
            let n = crate::outfile::write_with(path, force, write)?;
            if !ctx.json {
                eprintln!("exported {n} entries to {}", path.display());
            }
        }
    }
    Ok(())
}
