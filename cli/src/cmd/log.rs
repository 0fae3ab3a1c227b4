//! `custody log`: read the chain, all of it or what the filters keep.
//!
//! The filters combine (all must hold). `--person` reads the person index
//! (`Ledger::person_seqs`): a person's entries out of a million are found
//! without a chain scan. Every other filter streams the chain from
//! `--from`, one entry in memory at a time, and decodes each entry once.

use crate::escape::terminal;
use crate::exit::{env, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::entry::{entry_view, SignedEntry};
use custody_format::event::{Event, PersonId, PublicKeyBytes};
use custody_format::time::{OccurredAt, Timestamp};
use custody_ledger::keyfile;
use custody_ledger::store::Ledger;
use std::path::Path;

/// Every event type's name, as `--type` accepts it.
pub(crate) fn type_names() -> impl Iterator<Item = &'static str> {
    Event::EVIDENCE_TYPES.iter().copied().chain([
        "genesis",
        "key_granted",
        "key_revoked",
        "checkpoint",
        "seal",
        "clock_correction",
        "statement",
        "redaction",
        "predecessor",
    ])
}

fn parse_type(s: &str) -> Result<&'static str, String> {
    type_names().find(|t| *t == s.trim()).ok_or_else(|| {
        format!(
            "no event type is called {:?}; the types are {}",
            terminal(s),
            type_names().collect::<Vec<_>>().join(", ")
        )
    })
}

/// `--since`: the start of the period given.
fn parse_since(s: &str) -> Result<Timestamp, String> {
    OccurredAt::parse(s)
        .map(|at| Timestamp(at.start_micros()))
        .map_err(|e| e.to_string())
}

/// `--until`: the end of the period given (its last microsecond).
fn parse_until(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_cutoff(s).map_err(|e| e.to_string())
}

/// `custody log`.
#[derive(Args)]
pub(crate) struct LogArgs {
    /// First sequence number to print.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Print at most this many entries (of those the filters keep).
    #[arg(long)]
    limit: Option<u64>,
    /// Only entries signed by this key, and statements it authored
    /// (whoever registered them): 64 hex digits, or a public key PEM file
    /// (what did a revoked key sign?).
    #[arg(long, value_name = "KEY")]
    signer: Option<String>,
    /// Only entries about this person (their evidence and the corrections
    /// of it), found through the person index.
    #[arg(long, value_name = "ID")]
    person: Option<String>,
    /// Only entries of these types (repeat it, or separate with commas):
    /// e.g. `--type death,correction`. A statement counts as its own event's
    /// type, and as `statement`.
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',', value_parser = parse_type)]
    types: Vec<&'static str>,
    /// Only entries recorded at or after T (YYYY, YYYY-MM, YYYY-MM-DD — the
    /// start of that period — or an RFC 3339 instant).
    #[arg(long, value_name = "T", value_parser = parse_since)]
    since: Option<Timestamp>,
    /// Only entries recorded at or before T (a date means the end of that
    /// period).
    #[arg(long, value_name = "T", value_parser = parse_until)]
    until: Option<Timestamp>,
    /// Print every hash in full (64 hex digits), as a correction's `target`
    /// needs it.
    #[arg(long)]
    full_hash: bool,
}

/// What the filters keep.
struct Filter {
    signer: Option<PublicKeyBytes>,
    types: Vec<&'static str>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
}

impl Filter {
    fn keeps(&self, entry: &SignedEntry) -> bool {
        let b = entry.body();
        let author = match &b.event {
            Event::Statement(s) => Some(s.statement.author()),
            _ => None,
        };
        self.signer
            .is_none_or(|k| b.signer == k || author == Some(k))
            && (self.types.is_empty()
                || self.types.contains(&b.event.type_name())
                || self.types.contains(&b.event.inner().type_name()))
            && self.since.is_none_or(|t| b.recorded_at >= t)
            && self.until.is_none_or(|t| b.recorded_at <= t)
    }
}

/// `--signer`: hex digits, or else a public key file.
fn signer_key(s: &str) -> Result<PublicKeyBytes, Failure> {
    let hexish = s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if hexish || !Path::new(s).exists() {
        return keyfile::parse_public_key_hex(s).map_err(|m| {
            env(anyhow::anyhow!(
                "--signer: {m}; give the key as 64 hex digits or the path of its public key PEM file"
            ))
        });
    }
    Ok(keyfile::read_public_key(Path::new(s))?)
}

/// One line describing an entry, for people.
pub(crate) fn describe(ledger: &Ledger, entry: &SignedEntry) -> String {
    describe_hashes(ledger, entry, false)
}

/// [`describe`], with every hash in full if `full`.
fn describe_hashes(ledger: &Ledger, entry: &SignedEntry, full: bool) -> String {
    let short = |hex: String, n: usize| if full { hex } else { hex[..n].to_string() };
    let b = entry.body();
    let holder_of = |key: &PublicKeyBytes| {
        ledger
            .registry()
            .get(key)
            .map(|k| terminal(k.holder_at(b.seq)))
            .unwrap_or_else(|| "?".into())
    };
    // A statement is its author's evidence, registered by the signer.
    let by = match &b.event {
        Event::Statement(s) => format!(
            "{} (registered by {})",
            holder_of(&s.statement.author()),
            holder_of(&b.signer)
        ),
        _ => holder_of(&b.signer),
    };
    let event = b.event.inner();
    let about = match event {
        Event::Correction(c) => format!(
            "{} {}",
            crate::output::correction_verb(c),
            short(c.target.to_hex(), 12)
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
        event.type_name(),
        about,
        by,
        short(entry.hash().to_hex(), 16)
    )
}

/// Runs `log`.
pub(crate) fn run(ctx: &Context, args: LogArgs) -> CmdResult {
    // A period that ends before it starts keeps nothing: an empty log with
    // exit 0 would read as "nothing was recorded then".
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            return Err(env(anyhow::anyhow!(
                "--since {since} is after --until {until}: no entry can be in that period; give the earlier time as --since"
            )));
        }
    }
    let ledger = ctx.open_read_only()?;
    let filter = Filter {
        signer: args.signer.as_deref().map(signer_key).transpose()?,
        types: args.types,
        since: args.since,
        until: args.until,
    };
    let mut left = args.limit.unwrap_or(u64::MAX);
    let mut show = |entry: SignedEntry| -> bool {
        if left == 0 {
            return false;
        }
        if filter.keeps(&entry) {
            left -= 1;
            if ctx.json {
                print_json(&entry_view(&entry));
            } else {
                println!("{}", describe_hashes(&ledger, &entry, args.full_hash));
            }
        }
        left > 0
    };
    if let Some(p) = &args.person {
        let person = PersonId::new(p).map_err(|m| env(anyhow::anyhow!("--person: {m}")))?;
        for seq in ledger.person_seqs(&person)? {
            if seq < args.from {
                continue;
            }
            let entry = ledger.entry(seq)?.ok_or_else(|| {
                env(anyhow::anyhow!(
                    "the person index names entry {seq}, which is missing; run `custody verify`"
                ))
            })?;
            if !show(entry) {
                break;
            }
        }
        return Ok(());
    }
    for item in ledger.entries_from(args.from) {
        let (seq, bytes) = item?;
        let entry = SignedEntry::decode(bytes).map_err(|e| {
            env(anyhow::anyhow!(
                "entry {seq} does not decode: {e}; run `custody verify`"
            ))
        })?;
        if !show(entry) {
            break;
        }
    }
    Ok(())
}
