//! `custody checkpoint` and `custody prove`: signed tree heads and inclusion
//! proofs, in the public formats of transparency logs (C2SP tlog-checkpoint,
//! RFC 9162 proofs).

use crate::cmd::key::signing_key;
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_ledger::store::Ledger;
use custody_verifier::checkpoint::{self as note, Checkpoint};
use custody_verifier::merkle::{leaf_hash, verify_inclusion};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `custody checkpoint`.
#[derive(Args)]
pub struct CheckpointArgs {
    /// A private key holding the `authority` role; it signs the checkpoint.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Also write the signed note to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `custody prove`.
#[derive(Args)]
pub struct ProveArgs {
    /// The entry to prove.
    #[arg(long)]
    seq: u64,
    /// Prove against this signed checkpoint (its tree size and root) instead
    /// of the ledger's current tree.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
}

/// Runs `checkpoint`.
pub fn run(ctx: &Context, args: CheckpointArgs) -> CmdResult {
    let mut ledger = ctx.open()?;
    let key = signing_key(&args.key)?;
    let (appended, note) = ledger.checkpoint(&key)?;
    if let Some(path) = &args.out {
        std::fs::write(path, &note).map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?;
    }
    if ctx.json {
        print_json(&json!({
            "note": note,
            "tree_size": appended.seq,
            "entry_seq": appended.seq,
            "entry_hash": appended.hash,
        }));
    } else {
        print!("{note}");
    }
    Ok(())
}

/// Reads and parses a checkpoint file; a malformed one is refused (exit 1).
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint, Failure> {
    let text = std::fs::read(path).map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?;
    let text = String::from_utf8(text)
        .map_err(|_| refused(anyhow::anyhow!("{}: not UTF-8 text", path.display())))?;
    note::parse(&text).map_err(|e| refused(anyhow::anyhow!("{}: {e}", path.display())))
}

/// Checks a checkpoint belongs to this ledger and is signed by a key that
/// held the `authority` role in it.
pub fn check_checkpoint_signature(ledger: &Ledger, cp: &Checkpoint) -> Result<[u8; 32], Failure> {
    if cp.origin != ledger.name() {
        return Err(refused(anyhow::anyhow!(
            "the checkpoint is for the ledger {:?}, not {:?}",
            cp.origin,
            ledger.name()
        )));
    }
    let keys: Vec<[u8; 32]> = ledger
        .registry()
        .keys()
        .filter(|k| {
            k.roles
                .contains_key(&custody_format::event::Role::Authority)
        })
        .map(|k| k.public_key.0)
        .collect();
    cp.verify_by(&keys).map_err(refused)
}

/// Runs `prove`.
pub fn prove(ctx: &Context, args: ProveArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let (size, root) = match &args.checkpoint {
        None => {
            let size = ledger.len();
            (size, ledger.merkle_root(size)?)
        }
        Some(path) => {
            let cp = read_checkpoint(path)?;
            check_checkpoint_signature(&ledger, &cp)?;
            if cp.size > ledger.len() {
                return Err(refused(anyhow::anyhow!(
                    "the checkpoint vouches for {} entries but this ledger has only {}: it was truncated or rolled back",
                    cp.size,
                    ledger.len()
                )));
            }
            if ledger.merkle_root(cp.size)? != cp.root {
                return Err(refused(anyhow::anyhow!(
                    "this ledger's first {} entries do not have the checkpoint's root: its history was rewritten or forked",
                    cp.size
                )));
            }
            (cp.size, cp.root)
        }
    };
    if args.seq >= size {
        return Err(refused(anyhow::anyhow!(
            "entry {} is not in a tree of {size} entries",
            args.seq
        )));
    }
    let bytes = ledger
        .entry_bytes(args.seq)?
        .ok_or_else(|| refused(anyhow::anyhow!("no entry {}", args.seq)))?;
    let leaf = leaf_hash(&bytes);
    let path = ledger.inclusion_proof(args.seq, size)?;
    // Never print a proof that does not verify.
    verify_inclusion(&leaf, args.seq, size, &path, &root).map_err(|e| {
        env(anyhow::anyhow!(
            "the store produced a bad proof ({e}); run `custody verify`"
        ))
    })?;
    print_json(&json!({
        "leaf_index": args.seq,
        "tree_size": size,
        "leaf_hash": hex::encode(leaf),
        "entry_hash": custody_format::entry::entry_hash(&bytes),
        "audit_path": path.iter().map(hex::encode).collect::<Vec<_>>(),
        "root": hex::encode(root),
    }));
    Ok(())
}
