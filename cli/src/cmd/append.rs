//! `custody append`: add signed evidence.

use crate::cmd::key::{print_appended, signing_key};
use crate::exit::{env, refused, CmdResult};
use crate::output::Context;
use clap::Args;
use custody_ledger::input::EventReader;
use custody_ledger::store::AppendError;
use std::io::BufRead;
use std::path::PathBuf;

/// `custody append`.
#[derive(Args)]
pub struct AppendArgs {
    /// An investigator's private key; it signs every entry of the batch.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// One JSON object or JSON Lines; `-` or nothing reads standard input.
    #[arg(value_name = "PATH|-")]
    input: Option<PathBuf>,
}

/// Runs `append`.
pub fn run(ctx: &Context, args: AppendArgs) -> CmdResult {
    let mut ledger = ctx.open()?;
    let key = signing_key(&args.key)?;
    let reader: Box<dyn BufRead> = match &args.input {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).map_err(|e| env(anyhow::anyhow!("{}: {e}", p.display())))?,
        )),
    };
    let mut lines = Vec::new();
    let mut events = Vec::new();
    for item in EventReader::new(reader) {
        let (line, event) = item.map_err(|e| refused(e).context("nothing was appended"))?;
        lines.push(line);
        events.push(event);
    }
    if events.is_empty() {
        return Err(refused(anyhow::anyhow!(
            "the input holds no events; nothing was appended"
        )));
    }
    match ledger.append(events, &key) {
        Ok(appended) => {
            print_appended(ctx, &appended);
            Ok(())
        }
        Err(AppendError::Refused { index, reason }) => Err(refused(anyhow::anyhow!(
            "line {}: {reason}; nothing was appended",
            lines[index]
        ))),
        Err(e) => Err(e.into()),
    }
}
