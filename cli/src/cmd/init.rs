//! `custody init`: create a ledger.

use crate::cmd::key::{print_appended, signing_key};
use crate::exit::{CmdResult, Failure};
use crate::output::Context;
use clap::Args;
use custody_ledger::store::Ledger;
use std::path::PathBuf;

/// `custody init`.
#[derive(Args)]
pub(crate) struct InitArgs {
    /// The authority's private key; it signs the genesis and governs the
    /// ledger (grants and revokes keys).
    #[arg(long, value_name = "FILE")]
    authority_key: PathBuf,
    /// The ledger's name: the origin of its checkpoints, so make it unique
    /// (e.g. `example.org/pow-register`). No spaces or '+'. Without it, the
    /// name is `custody-ledger/` and the first 16 hex digits of the
    /// authority's public key: unique to the authority and stable, so the
    /// checkpoints of two ledgers are never taken for one another's.
    #[arg(long)]
    name: Option<String>,
    /// Who holds the authority key.
    #[arg(long, value_name = "NAME", default_value = "authority")]
    holder: String,
}

/// The name of a ledger created without `--name`: `custody-ledger/`
/// and the first 16 hex digits (64 bits) of the authority's public key.
/// Every ledger used to be `custody-ledger`, so a checkpoint of one was a
/// checkpoint "of" every other; a ledger's origin must tell them apart.
fn default_name(key: &custody_ledger::keyfile::SigningKey) -> String {
    let public = custody_ledger::keyfile::public_key_of(key).to_hex();
    format!("custody-ledger/{}", &public[..16])
}

/// Runs `init`.
pub(crate) fn run(ctx: &Context, args: InitArgs) -> CmdResult {
    let dir = ctx.store_dir()?;
    let key = signing_key(&args.authority_key)?;
    let name = args.name.unwrap_or_else(|| default_name(&key));
    let (_, genesis) = Ledger::create(&dir, &name, &args.holder, &key)
        .map_err(|e| Failure::from(e).context("no ledger was created"))?;
    print_appended(ctx, &[genesis]);
    if !ctx.json {
        eprintln!("created ledger {name:?} at {}", crate::escape::path(&dir));
    }
    Ok(())
}
