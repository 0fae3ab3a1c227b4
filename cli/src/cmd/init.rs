//! `custody init`: create a ledger.

use crate::cmd::key::{print_appended, signing_key};
use crate::exit::CmdResult;
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
    /// (e.g. `example.org/pow-register`). No spaces or '+'.
    #[arg(long, default_value = "custody-ledger")]
    name: String,
    /// Who holds the authority key.
    #[arg(long, value_name = "NAME", default_value = "authority")]
    holder: String,
}

/// Runs `init`.
pub(crate) fn run(ctx: &Context, args: InitArgs) -> CmdResult {
    let dir = ctx.store_dir()?;
    let key = signing_key(&args.authority_key)?;
    let (_, genesis) = Ledger::create(&dir, &args.name, &args.holder, &key)?;
    print_appended(ctx, &[genesis]);
    if !ctx.json {
        eprintln!("created ledger {:?} at {}", args.name, dir.display());
    }
    Ok(())
}
