//! `custody-bench`: the benchmark of the whole `custody` tool on a synthetic
//! ledger of about a million entries, against the machine's limits measured
//! in the same run (docs/BENCHMARKS.md holds the runs of record).
//!
//! # Why it is not a `custody` command
//!
//! It used to be `custody bench`. That put benchmarking code into the binary
//! people run on evidence, and, worse, made every `custody` command check an
//! environment variable at exit and print its own peak RSS for the benchmark
//! that spawned it: product code whose only user was the benchmark. The
//! benchmark now lives here, outside the product, and measures the release
//! `custody` binary the way a user meets it — as a process started from a
//! shell — and the product carries nothing for it.
//!
//! # What is measured how
//!
//! Whole commands, spawned (`child.rs`): every step a user runs as a command
//! is timed as that command in its own process, from spawn to exit, and its
//! peak RSS is the child's `ru_maxrss`:
//!
//! - `custody generate` (append in batches of 10,000: rate and peak RSS),
//! - `custody verify` (whole chain), `custody rebuild`, `custody report`,
//! - `custody status` and `custody history` of one person (median of 10),
//! - `custody checkpoint`, `custody prove`, `custody export --person` and
//!   `custody verify --bundle` of that bundle,
//! - `custody compact` (and the store's size before and after it).
//!
//! In this process (`in_process.rs`), through `custody-ledger` directly:
//! the figures that only make sense inside a warm process or are too short
//! to time as a process —
//!
//! - appends of one entry (p50/p99 latency, 200 durable commits) and of 100
//!   entries (rate over 20 commits),
//! - warm `status` and `history` lookups (p50/p99 of 1,000 each),
//! - one checkpoint issued (root, note, one durable append),
//! - inclusion proofs (p50/p99 of 1,000, and the longest path).
//!
//! The machine's limits (`limits.rs`: SHA-256, Ed25519 sign, strict and
//! batch verify on one core and on every core, sign + 3 hashes) are measured
//! in this process too, first, as before.
//!
//! This process uses mimalloc like `custody`, so the in-process figures are
//! measured under the same allocator as the runs of record (which ran inside
//! `custody`).
//!
//! # Which `custody` it measures
//!
//! `--custody PATH`, else `CUSTODY_BIN`, else the `custody` beside this
//! executable (`target/release/custody` when this is
//! `target/release/custody-bench`). Cargo cannot build another package's
//! binary as a dependency, so `cargo build --release -p custody-cli` must
//! have run first; the bench says so if the binary is missing, and prints
//! the path and version it measures.
//!
//! Nothing here is a test: CI never runs it, and nothing fails on timing.
#![forbid(unsafe_code)]

mod child;
mod in_process;
mod limits;
mod report;
mod run;

use clap::Parser;
use std::path::PathBuf;

/// The same allocator as `custody` (see the crate's documentation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmark the `custody` binary on a synthetic ledger against the
/// machine's limits, measured in the same run (see docs/BENCHMARKS.md).
///
/// Build the binary it measures first: `cargo build --release -p custody-cli`.
#[derive(Parser)]
#[command(name = "custody-bench", version)]
pub struct BenchArgs {
    /// Persons in the synthetic ledger (about ten entries each).
    #[arg(long, default_value_t = 100_000)]
    persons: u64,
    /// Seed of the synthetic ledger.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Work in this new directory (kept) instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Seconds spent on each machine-limit measurement.
    #[arg(long, default_value_t = 2.0)]
    limit_seconds: f64,
    /// Print the figures as one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// The `custody` binary to measure (default: the one beside this
    /// executable, i.e. target/release/custody).
    #[arg(long, env = "CUSTODY_BIN", value_name = "PATH")]
    custody: Option<PathBuf>,
}

/// Keeps the store's contained panics quiet, as `custody` does: the store
/// turns a storage engine's panic on a damaged file into an error, which is
/// reported like any other.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !custody_ledger::store::panic_is_contained() {
            default(info);
        }
    }));
}

fn main() {
    // A copy of this executable is the runner that spawns each measured
    // `custody` step and reports its time and peak RSS (see child.rs).
    if let Some(code) = child::runner_main_if_asked() {
        std::process::exit(code);
    }
    install_panic_hook();
    let args = BenchArgs::parse();
    if let Err(e) = run::run(&args) {
        eprintln!("error: custody-bench: {e:#}");
        std::process::exit(2);
    }
}
