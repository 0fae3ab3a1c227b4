//! `custody`: keep, query and verify an evidence ledger of people held or
//! missing in armed conflict.
//!
//! This file holds the command line (clap) and the mapping of failures to
//! exit codes; each command lives in `cmd/`.
#![forbid(unsafe_code)]

mod access;
mod cmd;
mod dossier;
mod escape;
mod exit;
mod i18n;
mod outfile;
mod output;
mod progress;
mod pubkey;
mod serve;

use clap::{Args, CommandFactory, Parser, Subcommand};

/// mimalloc instead of the system allocator: the append, verify and rebuild
/// paths allocate per entry, and glibc's malloc was 40 % of a rebuild's time
/// (perf, a million entries).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (for verify: the ledger or file is valid)
  1  refused or invalid: bad input, an unauthorised key, a failed verification,
     an unknown person — the ledger is left exactly as it was
  2  usage or environment error: bad arguments, no ledger at --store,
     store in use, unreadable file, I/O failure
With --json, a failure is one JSON object on stderr:
  {\"error\": {\"message\": ..., \"advice\": ... or null, \"exit\": N}}
with \"details\": [{\"line\", \"field\", \"message\"}, ...] when it reports several
errors (a refused input of append or import); a warning is
  {\"warning\": {\"message\": ...}}

Environment:
  CUSTODY_STORE           the ledger's directory (as --store)
  CUSTODY_KEY_PASSPHRASE  the passphrase of an encrypted private key
                          (otherwise asked on the terminal)";

/// An evidence ledger of people held or missing in armed conflict:
/// append-only, ed25519-signed, hash-chained events, and a verifier that
/// proves the chain intact and every signer authorised.
#[derive(Parser)]
#[command(name = "custody", version, after_help = EXIT_CODES)]
struct Cli {
    /// The ledger's directory.
    #[arg(long, global = true, env = "CUSTODY_STORE", value_name = "DIR")]
    store: Option<PathBuf>,

    /// Print machine-readable JSON instead of text; errors too, as one
    /// JSON object on stderr (see the exit codes below).
    #[arg(long, global = true)]
    json: bool,

    /// Confirm that this machine's clock is right although it is more than
    /// a year past the ledger's last entry (commands that write refuse
    /// otherwise: a clock that jumped ahead would record entries in the
    /// future, and no later entry could be recorded earlier).
    #[arg(long, global = true)]
    clock_confirmed: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate, inspect, grant and revoke signing keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Create a ledger: writes the genesis entry, signed by the authority key.
    Init(cmd::init::InitArgs),
    /// Append signed evidence from one JSON object or JSON Lines (checked
    /// whole first: one bad record and nothing is appended).
    Append(cmd::append::AppendArgs),
    /// Sign evidence in the field, with no store: each event of JSON Lines
    /// becomes a statement signed by its author (format v3), for a
    /// registrar to put in the ledger later. The output holds personal
    /// data in clear.
    Sign(cmd::sign::SignArgs),
    /// Hand statements from `custody sign` to a server (`custody serve
    /// --key`) and check each receipt: the entry carries the statement
    /// and is proved in a signed checkpoint.
    Submit(cmd::submit::SubmitArgs),
    /// Turn a spreadsheet (CSV) into events with a mapping file (TOML): a
    /// dry run listing them, or with --apply one atomic append.
    Import(cmd::import::ImportArgs),
    /// Print entries: seq, recorded_at, type, person, signer and hash; filter
    /// by --signer, --person, --type, --since and --until.
    Log(cmd::log::LogArgs),
    /// A person's current status (or everyone's), with the legal clock and
    /// the evidence behind every fact; --as-of and --known-at replay time.
    Status(cmd::status::StatusArgs),
    /// A person's timeline: every entry about them, in the order events
    /// occurred, every field shown, corrections labelled; --as-of and
    /// --known-at replay time.
    History(cmd::status::HistoryArgs),
    /// Figures to quote: counts by status, category and legal category,
    /// notification delays, incommunicado, unacknowledged, enforced
    /// disappearances, returnees never notified, deaths by cause.
    Report(cmd::status::ReportArgs),
    /// Erase personal data (format v3): an authority-signed redaction
    /// entry naming the fields, and their values deleted from the store in
    /// the same commit; every signature, proof and checkpoint stays valid.
    /// `--entry HASH --field NAME…`, or every field of a person (--person).
    Redact(cmd::redact::RedactArgs),
    /// Rebuild every projection from the chain.
    Rebuild,
    /// Give the store's free space back to the file system (after a large
    /// import, or to archive a copy) by rewriting the store into a new file,
    /// which also leaves no byte of deleted data in it; nothing in the
    /// ledger changes. Needs free disk space for the live data meanwhile.
    Compact,
    /// Verify the whole chain, then every index and status against it (and,
    /// with --checkpoint, that it extends an earlier checkpoint); or a file
    /// without a store: an export (--export, with --checkpoint too), a
    /// person's bundle (--bundle), an entry's tlog-proof (--proof), or a
    /// dossier's signature (--dossier).
    Verify(cmd::verify::VerifyArgs),
    /// Keep a verifying replica of a ledger read through the C2SP
    /// tlog-tiles layout (a `custody serve`, or a directory of `custody
    /// tiles --entries`): every new entry's signature and chain rules and
    /// the checkpoint's root and signature are checked before the replica
    /// changes; a source that forked or rolled back is refused. Run it again
    /// to catch up.
    Mirror(cmd::mirror::MirrorArgs),
    /// Write the whole ledger as JSON Lines (signed bytes plus a decoded
    /// view), or one person's evidence bundle with proofs (--person).
    Export(cmd::export::ExportArgs),
    /// Build a new ledger in --store (a new or empty directory) from an
    /// export, after verifying it whole; nothing is re-signed, and the new
    /// store gives back the same export.
    Restore(cmd::restore::RestoreArgs),
    /// Sign and record a seal (what every person's entries and governance
    /// amount to, so bundles prove they are complete) and a checkpoint of
    /// the ledger (C2SP tlog-checkpoint). Standard output is the signed
    /// note alone, byte for byte as --out writes it; its size, root and how
    /// to use it go to standard error.
    Checkpoint(cmd::checkpoint::CheckpointArgs),
    /// Record, signed by an authority key, that entries were recorded by a
    /// wrong clock (in the future): appends go on at the true time, and
    /// verify reports which entries carry a wrong time.
    CorrectClock(cmd::key::CorrectClockArgs),
    /// Print an RFC 9162 inclusion proof of one entry (JSON, or a C2SP
    /// tlog-proof with --format tlog-proof).
    Prove(cmd::checkpoint::ProveArgs),
    /// Write the tree of the latest checkpoint as static C2SP tlog-tiles
    /// (checkpoint, hash tiles; entry bundles with --entries) for a mirror;
    /// run again to extend the directory.
    Tiles(cmd::tiles::TilesArgs),
    /// Run a C2SP tlog-witness: cosign checkpoints of the configured logs
    /// that extend the last one it cosigned (`custody witness key` prints
    /// its verifier key).
    Witness(cmd::witness::WitnessArgs),
    /// The court-ready chain-of-custody dossier of one person (Markdown,
    /// print-ready HTML or JSON), built from their evidence bundle once
    /// verified COMPLETE or ABSENT: from the store, or from a bundle file
    /// alone (--bundle); --as-of/--known-at cut it, --sign-key signs it,
    /// --lang uk writes it in Ukrainian.
    Dossier(cmd::dossier::DossierArgs),
    /// Serve the ledger over HTTP: the latest checkpoint publicly; people's
    /// statuses, bundles, dossiers and the report to holders of a reader
    /// token, every such read logged (docs/SERVING.md).
    Serve(cmd::serve::ServeArgs),
    /// Issue, revoke and list the reader tokens of `custody serve`, and
    /// print its access log.
    #[command(subcommand)]
    Token(cmd::token::TokenCommand),
    /// Run a demonstration on a fresh ledger in a temporary directory.
    Demo(cmd::demo::DemoArgs),
    /// Build a realistic synthetic ledger from a seed, through the real append
    /// path (signed, fsynced batches): test data and the append benchmark.
    Generate(cmd::generate::GenerateArgs),
    /// Print shell completions (bash, zsh or fish).
    Completions(cmd::manual::CompletionsArgs),
    /// Print the manual page (roff), or write every command's page into a
    /// directory.
    Man(cmd::manual::ManArgs),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Write a new ed25519 private key (PKCS#8 PEM, mode 0600) and print its
    /// public key.
    Generate(cmd::key::GenerateArgs),
    /// Print (or write as SPKI PEM) the public key of a private key file.
    Public(cmd::key::PublicArgs),
    /// Grant a key a role (signed by an authority key).
    Grant(cmd::key::GrantArgs),
    /// Revoke a key (signed by an authority key); it signs nothing after.
    Revoke(cmd::key::RevokeArgs),
    /// List every key the ledger knows, with roles, holders and revocations.
    List,
}

/// A public key given as hex or as a PEM file.
#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
pub struct PublicKeyArg {
    /// The public key as 64 hex digits, or the path of an SPKI PEM file.
    #[arg(long, value_name = "HEX|PEM")]
    public_key: Option<String>,
    /// The public key as an SPKI PEM file (-----BEGIN PUBLIC KEY-----).
    #[arg(long, value_name = "PEM")]
    public_key_file: Option<PathBuf>,
}

/// Replaces the default panic output (a backtrace that means nothing to the
/// people using this tool) with one sentence and what to do next. The usual
/// cause outside a bug would be a store damaged on disk; the store already
/// turns the storage engine's panics into errors
/// (`custody_ledger::store::panic_is_contained`), so they stay silent here.
/// `CUSTODY_BACKTRACE=1` restores the backtrace for a bug report.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if custody_ledger::store::panic_is_contained() {
            // The store turns this panic into a "store is damaged" error,
            // which is reported like any other.
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            // The reader of our output went away (`custody log | head`):
            // not an error of ours, and nothing to say about it.
            exit::note_closed_pipe();
            return;
        }
        let first = message.lines().next().unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let advice = "If a store was being read, it may be damaged: run `custody verify` on it, and restore \
             it from an export or a backup if that fails. Otherwise this is a bug: please report it \
             (set CUSTODY_BACKTRACE=1 for a backtrace).";
        if exit::json_errors() {
            let message = format!("custody stopped on an internal error: {first}{place}");
            exit::print_json_error(&message, Some(advice), 2);
        } else {
            eprintln!("error: custody stopped on an internal error: {first}{place}\n{advice}");
        }
        if std::env::var_os("CUSTODY_BACKTRACE").is_some_and(|v| v == "1") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// Parses the command line; a usage error is printed as clap prints it,
/// or, when `--json` is among the arguments, as the JSON error object every
/// other failure is printed as (exit 2 either way).
fn parse_command_line() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && std::env::args_os().any(|a| a == "--json") => {
            let text = e.render().to_string();
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let message = lines
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            let advice = lines.map(str::trim).collect::<Vec<_>>().join(" ");
            exit::print_json_error(&message, Some(advice.as_str()).filter(|a| !a.is_empty()), 2);
            std::process::exit(2);
        }
        Err(e) => e.exit(),
    }
}

fn main() {
    install_panic_hook();
    let cli = parse_command_line();
    exit::set_json_errors(cli.json);
    let ctx = output::Context {
        store: cli.store,
        json: cli.json,
        clock_confirmed: cli.clock_confirmed,
    };
    let result = std::panic::catch_unwind(move || match cli.command {
        Command::Key(KeyCommand::Generate(a)) => cmd::key::generate(&ctx, a),
        Command::Key(KeyCommand::Public(a)) => cmd::key::public(&ctx, a),
        Command::Key(KeyCommand::Grant(a)) => cmd::key::grant(&ctx, a),
        Command::Key(KeyCommand::Revoke(a)) => cmd::key::revoke(&ctx, a),
        Command::Key(KeyCommand::List) => cmd::key::list(&ctx),
        Command::Init(a) => cmd::init::run(&ctx, a),
        Command::Append(a) => cmd::append::run(&ctx, a),
        Command::Sign(a) => cmd::sign::run(&ctx, a),
        Command::Submit(a) => cmd::submit::run(&ctx, a),
        Command::Import(a) => cmd::import::run(&ctx, a),
        Command::Log(a) => cmd::log::run(&ctx, a),
        Command::Status(a) => cmd::status::status(&ctx, a),
        Command::History(a) => cmd::status::history(&ctx, a),
        Command::Report(a) => cmd::status::report(&ctx, a),
        Command::Redact(a) => cmd::redact::run(&ctx, a),
        Command::Rebuild => cmd::status::rebuild(&ctx),
        Command::Compact => cmd::compact::run(&ctx),
        Command::Mirror(a) => cmd::mirror::run(&ctx, a),
        Command::Verify(a) => cmd::verify::run(&ctx, a),
        Command::Export(a) => cmd::export::run(&ctx, a),
        Command::Restore(a) => cmd::restore::run(&ctx, a),
        Command::Checkpoint(a) => cmd::checkpoint::run(&ctx, a),
        Command::CorrectClock(a) => cmd::key::correct_clock(&ctx, a),
        Command::Prove(a) => cmd::checkpoint::prove(&ctx, a),
        Command::Tiles(a) => cmd::tiles::run(&ctx, a),
        Command::Witness(a) => cmd::witness::run(a),
        Command::Dossier(a) => cmd::dossier::run(&ctx, a),
        Command::Serve(a) => cmd::serve::run(&ctx, a),
        Command::Token(c) => cmd::token::run(&ctx, c),
        Command::Demo(a) => cmd::demo::run(&ctx, a),
        Command::Generate(a) => cmd::generate::run(&ctx, a),
        Command::Completions(a) => cmd::manual::completions(a, Cli::command()),
        Command::Man(a) => cmd::manual::man(a, Cli::command()),
    });
    // A panic has been reported by the hook; it is an environment failure
    // (exit 2) as far as a script is concerned.
    let code = match result {
        Ok(r) => exit::report(r),
        Err(_) if exit::pipe_was_closed() => exit::CLOSED_PIPE,
        Err(_) => 2,
    };
    std::process::exit(code);
}
