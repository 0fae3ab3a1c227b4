//! `custody compact`: give the store's free space back to the file system,
//! by rewriting the store into a new file (`Ledger::compact`), which also
//! leaves no byte of a deleted row in it.

use crate::exit::CmdResult;
use crate::output::{print_json, Context};
use serde_json::json;

/// Runs `compact`.
pub(crate) fn run(ctx: &Context) -> CmdResult {
    let ledger = ctx.open()?;
    let (dir, entries) = (ledger.dir().to_path_buf(), ledger.len());
    let start = std::time::Instant::now();
    let (before, after) = ledger.compact()?;
    let secs = start.elapsed().as_secs_f64();
    let per_entry = |bytes: u64| bytes as f64 / entries as f64;
    if ctx.json {
        print_json(&json!({
            "entries": entries,
            "bytes_before": before,
            "bytes_after": after,
            "bytes_per_entry": per_entry(after),
            "seconds": secs,
        }));
    } else {
        println!(
            "compacted {} in {secs:.2} s: {:.1} MB -> {:.1} MB ({:.0} bytes per entry, {} entries)",
            crate::escape::path(&dir),
            before as f64 / 1e6,
            after as f64 / 1e6,
            per_entry(after),
            entries
        );
    }
    Ok(())
}
