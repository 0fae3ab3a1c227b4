//! `custody tiles`: the ledger's Merkle tree as static C2SP `tlog-tiles`
//! files in a directory, for a mirror served by any static web server or
//! object store (docs/FORMAT.md §7, "Tiles and cosignatures").
//!
//! Tiles are immutable: a file that already exists is compared, never
//! replaced, so a second run after more entries only adds the new tiles
//! (and the new partial ones), and a directory that holds another tree —
//! another ledger, a rewritten one, or tampered files — is refused. The
//! `checkpoint` file is the one mutable file; it is written last, once
//! every tile it needs is on disk, and never replaced by an older or
//! conflicting checkpoint.

use crate::cmd::checkpoint::{check_checkpoint_signature, read_checkpoint_note};
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_ledger::store::Ledger;
use custody_ledger::tiles::{tiles_of, TileError, MAX_BUNDLED_ENTRY};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `custody tiles`.
#[derive(Args)]
pub(crate) struct TilesArgs {
    /// The directory to write (created if missing): `checkpoint` and
    /// `tile/…`, the tlog-tiles layout. Run again later to extend it.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also write the entry bundles (`tile/entries/…`): the entries
    /// themselves, with the personal data of every person they concern.
    /// Without it only hash tiles and the checkpoint are written, which
    /// reveal nothing about people.
    #[arg(long)]
    entries: bool,
    /// Publish this signed checkpoint note (for example one cosigned by
    /// witnesses) instead of the latest checkpoint recorded in the ledger;
    /// it must be this ledger's, signed by an authority key.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
}

/// What a run did, counted, and the directories it wrote into.
#[derive(Default)]
struct Counts {
    written: u64,
    unchanged: u64,
    dirs: std::collections::BTreeSet<PathBuf>,
}

/// Runs `tiles`.
pub(crate) fn run(ctx: &Context, args: TilesArgs) -> CmdResult {
    crate::outfile::check_not_in_store(&args.out.join("checkpoint"))?;
    let ledger = ctx.open_read_only()?;
    let (size, root, note) = checkpoint_to_publish(&ledger, args.checkpoint.as_deref())?;
    check_existing_checkpoint(&args.out, ledger.name(), size, &root)?;
    if args.entries {
        // Refused before anything is written, naming the entry.
        for r in ledger.entries_from(0) {
            let (seq, bytes) = r?;
            if seq >= size {
                break;
            }
            if bytes.len() > MAX_BUNDLED_ENTRY {
                return Err(refused(anyhow::anyhow!(
                    "entry {seq} is {} bytes; a tlog-tiles entry bundle holds entries of at most 65,535 bytes, so this ledger's entries cannot be written as entry bundles (nothing was written; without --entries, the hash tiles and checkpoint can be)",
                    bytes.len()
                )));
            }
        }
    }
    let mut counts = Counts::default();
    let tiles = tiles_of(size);
    for tile in &tiles {
        let bytes = ledger.hash_tile(tile)?;
        put_immutable(&args.out, &tile.path(), &bytes, &mut counts)?;
        if args.entries && tile.level == 0 {
            let bundle = ledger.entry_bundle(tile).map_err(|e| match e {
                TileError::Store(s) => Failure::from(s),
                other => refused(other),
            })?;
            put_immutable(&args.out, &tile.entries_path(), &bundle, &mut counts)?;
        }
    }
    // Every new tile's name is durable before the checkpoint that needs
    // it: a crash never leaves a mirror whose checkpoint lacks a tile.
    #[cfg(unix)]
    for dir in counts.dirs.iter().rev() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| env(anyhow::anyhow!("{}: {e}", dir.display())))?;
    }
    put_checkpoint(&args.out, &note)?;
    if ctx.json {
        print_json(&json!({
            "dir": args.out, "tree_size": size, "root": hex::encode(root),
            "tiles": tiles.len(), "written": counts.written, "unchanged": counts.unchanged,
            "entries": args.entries,
        }));
    } else {
        println!(
            "{}: checkpoint of {size} entries, {} hash tiles{} ({} files written, {} already there)",
            crate::escape::path(&args.out),
            tiles.len(),
            if args.entries {
                " and their entry bundles"
            } else {
                ""
            },
            counts.written,
            counts.unchanged
        );
        if args.entries {
            eprintln!("the entry bundles hold the entries and the personal data in them: publish this directory only to readers allowed to see them");
        }
    }
    Ok(())
}

/// The checkpoint to publish: the file given (checked against the ledger)
/// or the latest recorded one; its size, root and note.
fn checkpoint_to_publish(
    ledger: &Ledger,
    file: Option<&Path>,
) -> Result<(u64, [u8; 32], String), Failure> {
    if let Some(path) = file {
        let (text, cp) = read_checkpoint_note(path)?;
        check_checkpoint_signature(ledger, &cp)?;
        if cp.size > ledger.len() || ledger.merkle_root(cp.size)? != cp.root {
            return Err(refused(anyhow::anyhow!(
                "{}: its tree ({} entries) is not this ledger's (truncated, rolled back, rewritten or forked)",
                path.display(),
                cp.size
            )));
        }
        return Ok((cp.size, cp.root, text));
    }
    let cp = ledger.latest_checkpoint()?.ok_or_else(|| {
        refused(anyhow::anyhow!(
            "the ledger has no checkpoint yet, and tiles are published for a signed checkpoint; run `custody checkpoint --key AUTHORITY.pem` first"
        ))
    })?;
    Ok((cp.size, cp.root, cp.note))
}

/// Refuses a directory whose checkpoint is of another ledger, newer than
/// this one, or of the same size with another root.
fn check_existing_checkpoint(dir: &Path, origin: &str, size: u64, root: &[u8; 32]) -> CmdResult {
    let path = dir.join("checkpoint");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(env(anyhow::anyhow!("{}: {e}", path.display()))),
    };
    let parsed = std::str::from_utf8(&text)
        .ok()
        .and_then(|t| custody_verifier::checkpoint::parse(t).ok());
    let why = match parsed {
        None => "it is not a signed checkpoint note".to_string(),
        Some(cp) if cp.origin != origin => format!("it is a checkpoint of {:?}", cp.origin),
        Some(cp) if cp.size > size => format!(
            "it is a checkpoint of {} entries, newer than the one to publish ({size}): publishing would roll the mirror back",
            cp.size
        ),
        Some(cp) if cp.size == size && &cp.root != root => format!(
            "it is a checkpoint of {size} entries with another root: two trees of one size (a fork)"
        ),
        Some(_) => return Ok(()),
    };
    Err(refused(anyhow::anyhow!(
        "{}: {why}; nothing was written. Publish into a new directory, or find out why this one differs",
        path.display()
    )))
}

/// Writes a tile (immutable): a missing file is written (beside its name,
/// fsynced, renamed without replacing); an existing one must hold exactly
/// these bytes.
fn put_immutable(dir: &Path, rel: &str, bytes: &[u8], counts: &mut Counts) -> CmdResult {
    let path = dir.join(rel);
    let io = |e: std::io::Error| env(anyhow::anyhow!("{}: {e}", path.display()));
    match std::fs::read(&path) {
        Ok(existing) if existing == bytes => {
            counts.unchanged += 1;
            return Ok(());
        }
        Ok(_) => {
            return Err(refused(anyhow::anyhow!(
                "{}: exists with other bytes; tiles never change, so this directory holds another tree (another ledger, a rewritten one) or was tampered with. Not overwritten: publish into a new directory",
                path.display()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let parent = path.parent().expect("a tile path has a parent");
    std::fs::create_dir_all(parent).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist_noclobber(&path).map_err(|e| io(e.error))?;
    counts.written += 1;
    // This directory and those created above it, up to the output's.
    let mut d = parent;
    while d.starts_with(dir) && counts.dirs.insert(d.to_path_buf()) && d != dir {
        d = d.parent().unwrap_or(dir);
    }
    Ok(())
}

/// Writes the checkpoint (the one mutable file), replacing the previous
/// one atomically, after every tile; then syncs the directory.
fn put_checkpoint(dir: &Path, note: &str) -> CmdResult {
    let path = dir.join("checkpoint");
    let io = |e: std::io::Error| env(anyhow::anyhow!("{}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(note.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(&path).map_err(|e| io(e.error))?;
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)?;
    Ok(())
}
