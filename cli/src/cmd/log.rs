//! `custody log`: read the chain.

use crate::escape::terminal;
use crate::exit::{env, CmdResult};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::entry::{entry_view, SignedEntry};
use custody_format::event::Event;
use custody_ledger::store::Ledger;

/// `custody log`.
#[derive(Args)]
pub(crate) struct LogArgs {
    /// First sequence number to print.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Print at most this many entries.
    #[arg(long)]
    limit: Option<u64>,
}

/// One line describing an entry, for people.
pub(crate) fn describe(ledger: &Ledger, entry: &SignedEntry) -> String {
    let b = entry.body();
    let holder = ledger
        .registry()
        .get(&b.signer)
        .map(|k| terminal(k.holder_at(b.seq)))
        .unwrap_or_else(|| "?".into());
    let about = match &b.event {
        Event::Correction(c) => format!(
            "{} {}",
            crate::output::correction_verb(c),
            &c.target.to_hex()[..12]
        ),
        Event::KeyGranted(k) => {
            format!(
                "{} {} → {}",
                k.role,
                &k.public_key.to_hex()[..12],
                terminal(&k.holder)
            )
        }
        Event::KeyRevoked(k) => k.public_key.to_hex()[..12].to_string(),
        Event::Genesis(g) => terminal(&g.ledger_name),
        Event::Checkpoint(c) => {
            format!("tree {} root {}", c.tree_size, &c.root_hash.to_hex()[..12])
        }
        Event::ClockCorrection(c) => format!("wrong clock from seq {}", c.since),
        Event::Seal(seal) => format!(
            "map {} gov {}",
            &seal.map_root.to_hex()[..12],
            seal.gov_count
        ),
        e => format!(
            "{} {}",
            e.person().map(|p| p.as_str()).unwrap_or("-"),
            e.occurred_at().map(|t| t.to_string()).unwrap_or_default()
        ),
    };
    format!(
        "{:>6}  {}  {:<17} {:<34} by {:<16} {}",
        b.seq,
        b.recorded_at,
        b.event.type_name(),
        about,
        holder,
        &entry.hash().to_hex()[..16]
    )
}

/// Runs `log`.
pub(crate) fn run(ctx: &Context, args: LogArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let limit = args.limit.unwrap_or(u64::MAX);
    for item in ledger
        .entries_from(args.from)
        .take(limit.try_into().unwrap_or(usize::MAX))
    {
        let (seq, bytes) = item?;
        let entry = SignedEntry::decode(bytes).map_err(|e| {
            env(anyhow::anyhow!(
                "entry {seq} does not decode: {e}; run `custody verify`"
            ))
        })?;
        if ctx.json {
            print_json(&entry_view(&entry));
        } else {
            println!("{}", describe(&ledger, &entry));
        }
    }
    Ok(())
}
