//! The benchmark's steps, in the order of the runs of record: the machine's
//! limits, `generate`, small appends and warm lookups in process, the
//! whole commands, checkpoint and proofs, a person's bundle, `compact`.
//! The order matters for comparability: each step finds the store as the
//! steps before it left it (the small appends and the checkpoint add
//! entries; `rebuild` leaves free pages that `compact` gives back).

use crate::child::{Custody, Step};
use crate::in_process;
use crate::limits;
use crate::report::{self, Bundle, Commands, Measured};
use crate::BenchArgs;
use anyhow::{anyhow, Context as _, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The person whose status, history and bundle the whole commands ask for.
const PERSON: &str = "SYN-0000001";

/// Progress on stderr, silent with `--json`.
struct Say {
    quiet: bool,
}

impl Say {
    fn say(&self, s: &str) {
        if !self.quiet {
            eprintln!("bench: {s}");
        }
    }
}

/// Runs the benchmark and prints its figures.
pub(crate) fn run(args: &BenchArgs) -> Result<()> {
    let custody = Custody::locate(args.custody.as_deref())?;
    let tmp;
    let root: PathBuf = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().context("creating a temporary directory")?;
            tmp.path().join("bench")
        }
    };
    let say = Say { quiet: args.json };
    if cfg!(debug_assertions) {
        eprintln!(
            "bench: warning: custody-bench is a debug build; its in-process figures are not \
             comparable (run it with --release)"
        );
    }
    say.say(&format!("measuring {}", custody.describe()?));
    say.say("measuring the machine's limits");
    let lim = limits::measure(Duration::from_secs_f64(args.limit_seconds));

    say.say(&format!("generating a ledger of {} persons", args.persons));
    let (gen, gen_json) = generate(&custody, args, &root)?;
    let store = root.join("ledger");
    let keys = root.join("keys");

    say.say("appending in batches of 1 and 100");
    let appends = in_process::small_appends(&store, &keys)?;
    say.say("status and history of single persons, in a warm process");
    let (status_warm_ms, history_warm_ms) = in_process::warm_lookups(&store, args.persons)?;

    let commands = whole_commands(&custody, &store, &say)?;

    say.say("checkpoints, inclusion proofs and a person's bundle");
    let proofs = in_process::checkpoint_and_proofs(&store, &keys.join("authority.pem"))?;
    let bundle = checkpoint_proof_and_bundle(&custody, &root, &store, appends.entries)?;

    let store_bytes = dir_size(&store);
    say.say("compacting the store");
    let compact = custody.run(&["--store", utf8(&store)?, "compact"])?;
    let compacted_bytes = dir_size(&store);

    let measured = Measured {
        limits: lim,
        generate: gen,
        generate_report: gen_json,
        appends,
        status_warm_ms,
        history_warm_ms,
        commands,
        proofs,
        bundle,
        store_bytes,
        compact,
        compacted_bytes,
    };
    let result = report::to_json(&measured);
    if args.json {
        println!("{result}");
    } else {
        report::print_table(&result);
    }
    Ok(())
}

/// `custody --json generate` into `root`, in batches of 10,000: the append
/// benchmark. Returns the step and the report `generate` printed.
fn generate(custody: &Custody, args: &BenchArgs, root: &Path) -> Result<(Step, Value)> {
    let persons = args.persons.to_string();
    let seed = args.seed.to_string();
    let step = custody.run(&[
        "--json",
        "generate",
        "--persons",
        &persons,
        "--seed",
        &seed,
        "--batch",
        "10000",
        "--out",
        utf8(root)?,
    ])?;
    let report = step
        .stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    Ok((step, report))
}

/// `verify`, `rebuild`, ten `status` and ten `history` of one person, and
/// `report`, each as a whole command.
fn whole_commands(custody: &Custody, store: &Path, say: &Say) -> Result<Commands> {
    let store = utf8(store)?;
    say.say("verifying the whole chain");
    let verify = custody.run(&["--store", store, "--json", "verify"])?;
    say.say("rebuilding the projections");
    let rebuild = custody.run(&["--store", store, "--json", "rebuild"])?;
    say.say("status, history and report as whole commands");
    let mut status_s = Vec::new();
    let mut history_s = Vec::new();
    for _ in 0..10 {
        status_s.push(
            custody
                .run(&["--store", store, "--json", "status", PERSON])?
                .seconds,
        );
        history_s.push(
            custody
                .run(&["--store", store, "--json", "history", PERSON])?
                .seconds,
        );
    }
    status_s.sort_by(f64::total_cmp);
    history_s.sort_by(f64::total_cmp);
    let report = custody.run(&["--store", store, "--json", "report"])?;
    Ok(Commands {
        verify,
        rebuild,
        status_s,
        history_s,
        report,
    })
}

/// `checkpoint`, `prove` (of entry 12,345, or the last of a smaller
/// ledger), `export --person` and `verify --bundle` of that bundle, each as
/// a whole command.
fn checkpoint_proof_and_bundle(
    custody: &Custody,
    root: &Path,
    store: &Path,
    entries: u64,
) -> Result<Bundle> {
    let store = utf8(store)?;
    let authority = root.join("keys").join("authority.pem");
    let checkpoint = custody.run(&["--store", store, "checkpoint", "--key", utf8(&authority)?])?;
    let seq = 12_345.min(entries.saturating_sub(1)).to_string();
    let prove = custody.run(&["--store", store, "prove", "--seq", &seq])?;
    let bundle_path = root.join("bundle.json");
    let bundle = utf8(&bundle_path)?;
    custody.run(&[
        "--store", store, "export", "--person", PERSON, "--out", bundle,
    ])?;
    let entries = std::fs::read(&bundle_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["entries"].as_array().map(Vec::len))
        .unwrap_or(0);
    let verify = custody.run(&["--json", "verify", "--bundle", bundle])?;
    Ok(Bundle {
        checkpoint,
        prove,
        entries,
        verify,
    })
}

/// A path as the `&str` an argument list takes.
fn utf8(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| anyhow!("{} is not UTF-8; use a UTF-8 --dir", path.display()))
}

/// Bytes of every file under `path`.
fn dir_size(path: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(path) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
