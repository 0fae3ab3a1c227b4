//! `custody bench`: the benchmark of the whole tool on a synthetic ledger,
//! against the machine's limits measured in the same run.
//!
//! Every step that a user runs as a command is timed as that command, in its
//! own process (so its peak RSS is its own, read from `/proc/self/status` by
//! the child when `CUSTODY_PEAK_RSS` is set); the steps that only make sense
//! inside a process (warm lookups, append latency) use the library directly.
//! Nothing here is a test: CI never runs it and nothing fails on timing.

use crate::exit::{env, CmdResult, Failure};
use crate::limits::{self, Limits};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::event::{Capture, Event, PersonId, Role};
use custody_format::time::OccurredAt;
use custody_ledger::keyfile;
use custody_ledger::store::Ledger;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// `custody bench`.
#[derive(Args)]
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
}

/// Environment variable that makes `custody` print its peak RSS on exit.
pub const PEAK_RSS_ENV: &str = "CUSTODY_PEAK_RSS";

/// Prints this process's peak resident set size (VmHWM) to stderr, for the
/// benchmark that spawned it.
pub fn report_peak_rss() {
    if std::env::var_os(PEAK_RSS_ENV).is_none() {
        return;
    }
    if let Some(kib) = peak_rss_kib() {
        eprintln!("custody-peak-rss-kib: {kib}");
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One timed run of the `custody` binary.
struct Step {
    seconds: f64,
    peak_rss_kib: Option<u64>,
    stdout: String,
}

fn fail(e: impl std::fmt::Display) -> Failure {
    env(anyhow::anyhow!("bench: {e}"))
}

fn run_self(args: &[&str]) -> Result<Step, Failure> {
    let exe = std::env::current_exe().map_err(fail)?;
    let start = Instant::now();
    let out = Command::new(exe)
        .args(args)
        .env(PEAK_RSS_ENV, "1")
        .env_remove("CUSTODY_STORE")
        .output()
        .map_err(fail)?;
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(fail(format!(
            "`custody {}` failed: {}",
            args.join(" "),
            stderr.trim()
        )));
    }
    let peak_rss_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("custody-peak-rss-kib: "))
        .and_then(|v| v.trim().parse().ok());
    Ok(Step {
        seconds,
        peak_rss_kib,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

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

/// Finds an investigator key of the generated ledger that is still active.
fn active_investigator(ledger: &Ledger, keys_dir: &Path) -> Result<keyfile::SigningKey, Failure> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(keys_dir)
        .map_err(fail)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    files.sort();
    for f in files {
        if let Ok(k) = keyfile::read_signing_key(&f) {
            let pk = keyfile::public_key_of(&k);
            if ledger
                .registry()
                .get(&pk)
                .is_some_and(|r| r.may(Role::Investigator))
            {
                return Ok(k);
            }
        }
    }
    Err(fail(format!(
        "no active investigator key in {}",
        keys_dir.display()
    )))
}

fn capture(n: u64) -> Event {
    Event::Capture(Capture {
        person: PersonId::new(&format!("BENCH-{n:08}")).expect("valid id"),
        occurred_at: OccurredAt::Day {
            year: 2024,
            month: 1,
            day: 1,
        },
        place: Some("Bench".into()),
        circumstances: None,
        category: None,
        notes: None,
        attachments: vec![],
    })
}

/// Runs `bench`.
pub fn run(ctx: &Context, args: BenchArgs) -> CmdResult {
    let tmp;
    let root: PathBuf = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().map_err(fail)?;
            tmp.path().join("bench")
        }
    };
    let say = |s: &str| {
        if !ctx.json {
            eprintln!("bench: {s}");
        }
    };

    say("measuring the machine's limits");
    let lim: Limits = limits::measure(Duration::from_secs_f64(args.limit_seconds));

    say(&format!("generating a ledger of {} persons", args.persons));
    let persons = args.persons.to_string();
    let seed = args.seed.to_string();
    let gen = run_self(&[
        "--json",
        "generate",
        "--persons",
        &persons,
        "--seed",
        &seed,
        "--batch",
        "10000",
        "--out",
        root.to_str().ok_or_else(|| fail("non-UTF-8 path"))?,
    ])?;
    let store = root.join("ledger");
    let store_s = store.to_str().ok_or_else(|| fail("non-UTF-8 path"))?;
    let gen_json: Value = gen
        .stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);

    // Append latency and throughput at small batch sizes, in process.
    say("appending in batches of 1 and 100");
    let (entries, single_ms, batch100_rate) = {
        let mut ledger = Ledger::open(&store)?;
        let key = active_investigator(&ledger, &root.join("keys"))?;
        let mut lat = Vec::new();
        let mut n = 0u64;
        for _ in 0..200 {
            let t = Instant::now();
            ledger.append(vec![capture(n)], &key)?;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            n += 1;
        }
        lat.sort_by(f64::total_cmp);
        let t = Instant::now();
        for _ in 0..20 {
            ledger.append((0..100).map(|i| capture(n + i)).collect(), &key)?;
            n += 100;
        }
        let rate100 = 2000.0 / t.elapsed().as_secs_f64();
        (ledger.len(), lat, rate100)
    };

    say("status and history of single persons, in a warm process");
    let (status_warm_ms, history_warm_ms) = {
        let ledger = Ledger::open(&store)?;
        let now = custody_ledger::clock::now();
        let mut st = Vec::new();
        let mut hi = Vec::new();
        for i in 0..1000u64 {
            let p = PersonId::new(&format!("SYN-{:07}", (i * 7919) % args.persons.max(1)))
                .expect("valid id");
            let t = Instant::now();
            std::hint::black_box(ledger.person_status(&p, None, None, now)?);
            st.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            std::hint::black_box(ledger.person_entries(&p)?);
            hi.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        st.sort_by(f64::total_cmp);
        hi.sort_by(f64::total_cmp);
        (st, hi)
    };

    say("verifying the whole chain");
    let verify = run_self(&["--store", store_s, "--json", "verify"])?;
    say("rebuilding the projections");
    let rebuild = run_self(&["--store", store_s, "--json", "rebuild"])?;
    say("status, history and report as whole commands");
    let person = "SYN-0000001";
    let mut status_s = Vec::new();
    let mut history_s = Vec::new();
    for _ in 0..10 {
        status_s.push(run_self(&["--store", store_s, "--json", "status", person])?.seconds);
        history_s.push(run_self(&["--store", store_s, "--json", "history", person])?.seconds);
    }
    status_s.sort_by(f64::total_cmp);
    history_s.sort_by(f64::total_cmp);
    let report = run_self(&["--store", store_s, "--json", "report"])?;

    say("checkpoints, inclusion proofs and a person's bundle");
    let (checkpoint_ms, proof_ms, proof_max_hashes) = {
        let mut ledger = Ledger::open(&store)?;
        let authority =
            keyfile::read_signing_key(&root.join("keys").join("authority.pem")).map_err(fail)?;
        let t = Instant::now();
        ledger.checkpoint(&authority)?;
        let checkpoint_ms = t.elapsed().as_secs_f64() * 1000.0;
        let n = ledger.len();
        let mut times = Vec::new();
        let mut max_hashes = 0;
        for i in 0..1000u64 {
            let seq = (i * 104_729) % n;
            let t = Instant::now();
            let path = ledger.inclusion_proof(seq, n)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            max_hashes = max_hashes.max(path.len());
        }
        times.sort_by(f64::total_cmp);
        (checkpoint_ms, times, max_hashes)
    };
    let keys_dir = root.join("keys");
    let authority_pem = keys_dir.join("authority.pem");
    let checkpoint_cli = run_self(&[
        "--store",
        store_s,
        "checkpoint",
        "--key",
        authority_pem
            .to_str()
            .ok_or_else(|| fail("non-UTF-8 path"))?,
    ])?;
    let prove_cli = run_self(&["--store", store_s, "prove", "--seq", "12345"])?;
    let bundle_path = root.join("bundle.json");
    let bundle_s = bundle_path.to_str().ok_or_else(|| fail("non-UTF-8 path"))?;
    run_self(&[
        "--store", store_s, "export", "--person", person, "--out", bundle_s,
    ])?;
    let bundle_entries = std::fs::read(&bundle_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["entries"].as_array().map(Vec::len))
        .unwrap_or(0);
    let bundle_verify = run_self(&["--json", "verify", "--bundle", bundle_s])?;
    let size = dir_size(&store);
    say("compacting the store");
    let compact = run_self(&["--store", store_s, "compact"])?;
    let compacted = dir_size(&store);

    let e = entries as f64;
    let result = json!({
        "machine": {
            "cores": lim.cores,
            "sha256_entry_per_s": lim.sha256_per_s,
            "sign_per_s": lim.sign_per_s,
            "verify_strict_per_s": lim.verify_per_s,
            "batch_verify_per_s_one_core": lim.batch_verify_per_s,
            "batch_verify_per_s_all_cores": lim.batch_verify_all_cores_per_s,
            "sign_and_hash_per_s_one_core": lim.sign_and_hash_per_s,
        },
        "entries": entries,
        "generate": {
            "seconds": gen.seconds, "peak_rss_kib": gen.peak_rss_kib, "report": gen_json,
            "batch_10000_entries_per_s": gen_json["entries_per_second"],
            "ratio_to_sign_and_hash_limit": gen_json["entries_per_second"].as_f64().unwrap_or(0.0) / lim.sign_and_hash_per_s,
        },
        "append": {
            "batch_1_p50_ms": percentile(&single_ms, 0.5),
            "batch_1_p99_ms": percentile(&single_ms, 0.99),
            "batch_100_entries_per_s": batch100_rate,
        },
        "verify": {
            "seconds": verify.seconds,
            "entries_per_s": e / verify.seconds,
            "ratio_to_all_core_batch_verify": e / verify.seconds / lim.batch_verify_all_cores_per_s,
            "peak_rss_kib": verify.peak_rss_kib,
        },
        "rebuild": {
            "seconds": rebuild.seconds, "entries_per_s": e / rebuild.seconds,
            "peak_rss_kib": rebuild.peak_rss_kib,
        },
        "status": {
            "warm_ms_p50": percentile(&status_warm_ms, 0.5),
            "warm_ms_p99": percentile(&status_warm_ms, 0.99),
            "cli_ms_p50": percentile(&status_s, 0.5) * 1000.0,
        },
        "history": {
            "warm_ms_p50": percentile(&history_warm_ms, 0.5),
            "warm_ms_p99": percentile(&history_warm_ms, 0.99),
            "cli_ms_p50": percentile(&history_s, 0.5) * 1000.0,
        },
        "report": { "seconds": report.seconds, "peak_rss_kib": report.peak_rss_kib },
        "checkpoint": {
            "issue_ms_in_process": checkpoint_ms,
            "cli_ms": checkpoint_cli.seconds * 1000.0,
        },
        "inclusion_proof": {
            "ms_p50": percentile(&proof_ms, 0.5),
            "ms_p99": percentile(&proof_ms, 0.99),
            "max_hashes": proof_max_hashes,
            "cli_ms": prove_cli.seconds * 1000.0,
        },
        "bundle": {
            "entries": bundle_entries,
            "verify_cli_ms": bundle_verify.seconds * 1000.0,
        },
        "store_bytes": size,
        "store_bytes_per_entry": size as f64 / e,
        "compact": {
            "seconds": compact.seconds, "peak_rss_kib": compact.peak_rss_kib,
            "store_bytes": compacted, "store_bytes_per_entry": compacted as f64 / e,
        },
    });
    if ctx.json {
        print_json(&result);
    } else {
        print_table(&result);
    }
    Ok(())
}

fn print_table(r: &Value) {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let rss = |v: &Value| {
        v.as_f64()
            .map(|k| format!("{:.0} MB", k / 1024.0))
            .unwrap_or_else(|| "-".into())
    };
    let m = &r["machine"];
    println!("custody bench: {} entries", r["entries"]);
    println!("\nmachine limits (measured in this run)");
    println!(
        "  SHA-256 of a {}-byte entry   {:>12.0} /s (one core)",
        limits::ENTRY_BYTES,
        f(&m["sha256_entry_per_s"])
    );
    println!(
        "  ed25519 sign                 {:>12.0} /s (one core)",
        f(&m["sign_per_s"])
    );
    println!(
        "  ed25519 verify (strict)      {:>12.0} /s (one core)",
        f(&m["verify_strict_per_s"])
    );
    println!(
        "  ed25519 batch verify         {:>12.0} /s (one core)",
        f(&m["batch_verify_per_s_one_core"])
    );
    println!(
        "  ed25519 batch verify         {:>12.0} /s ({} cores)",
        f(&m["batch_verify_per_s_all_cores"]),
        m["cores"]
    );
    println!(
        "  sign + 3 hashes per entry    {:>12.0} /s (one core)",
        f(&m["sign_and_hash_per_s_one_core"])
    );
    let g = &r["generate"];
    let a = &r["append"];
    println!("\nappend");
    println!("  batches of 10,000            {:>12.0} entries/s  ({:.0}% of sign+hash limit; peak RSS {})",
        f(&g["batch_10000_entries_per_s"]), 100.0 * f(&g["ratio_to_sign_and_hash_limit"]), rss(&g["peak_rss_kib"]));
    println!(
        "  batches of 100               {:>12.0} entries/s",
        f(&a["batch_100_entries_per_s"])
    );
    println!(
        "  batches of 1, latency        p50 {:.2} ms, p99 {:.2} ms",
        f(&a["batch_1_p50_ms"]),
        f(&a["batch_1_p99_ms"])
    );
    let v = &r["verify"];
    println!("\nverify (whole chain)          {:>12.0} entries/s  ({:.0}% of all-core batch verify; {:.1} s; peak RSS {})",
        f(&v["entries_per_s"]), 100.0 * f(&v["ratio_to_all_core_batch_verify"]), f(&v["seconds"]), rss(&v["peak_rss_kib"]));
    let b = &r["rebuild"];
    println!(
        "rebuild projections           {:>12.0} entries/s  ({:.1} s; peak RSS {})",
        f(&b["entries_per_s"]),
        f(&b["seconds"]),
        rss(&b["peak_rss_kib"])
    );
    println!(
        "status of one person          warm p50 {:.3} ms, p99 {:.3} ms; whole command {:.1} ms",
        f(&r["status"]["warm_ms_p50"]),
        f(&r["status"]["warm_ms_p99"]),
        f(&r["status"]["cli_ms_p50"])
    );
    println!(
        "history of one person         warm p50 {:.3} ms, p99 {:.3} ms; whole command {:.1} ms",
        f(&r["history"]["warm_ms_p50"]),
        f(&r["history"]["warm_ms_p99"]),
        f(&r["history"]["cli_ms_p50"])
    );
    println!(
        "report                        {:.2} s (peak RSS {})",
        f(&r["report"]["seconds"]),
        rss(&r["report"]["peak_rss_kib"])
    );
    println!(
        "checkpoint issue              {:.2} ms in process; whole command {:.1} ms",
        f(&r["checkpoint"]["issue_ms_in_process"]),
        f(&r["checkpoint"]["cli_ms"])
    );
    println!(
        "inclusion proof               p50 {:.3} ms, p99 {:.3} ms, at most {} hashes; whole command {:.1} ms",
        f(&r["inclusion_proof"]["ms_p50"]),
        f(&r["inclusion_proof"]["ms_p99"]),
        r["inclusion_proof"]["max_hashes"],
        f(&r["inclusion_proof"]["cli_ms"])
    );
    println!(
        "bundle of one person          {} entries, verified offline in {:.1} ms (whole command)",
        r["bundle"]["entries"],
        f(&r["bundle"]["verify_cli_ms"])
    );
    println!(
        "store on disk                 {:.0} bytes/entry ({:.0} MB) after generate",
        f(&g["report"]["bytes_per_entry"]),
        f(&g["report"]["store_bytes"]) / 1e6
    );
    println!(
        "                              {:.0} bytes/entry ({:.0} MB) after the run",
        f(&r["store_bytes_per_entry"]),
        f(&r["store_bytes"]) / 1e6
    );
    let c = &r["compact"];
    println!(
        "  after `custody compact`     {:.0} bytes/entry ({:.0} MB; compact took {:.1} s, peak RSS {})",
        f(&c["store_bytes_per_entry"]),
        f(&c["store_bytes"]) / 1e6,
        f(&c["seconds"]),
        rss(&c["peak_rss_kib"])
    );
}
