//! `custody-bench` end to end: the runner measures each child on its own,
//! a missing `custody` is explained, and a tiny benchmark runs through every
//! step against the `custody` binary cargo built beside this one.
//!
//! The last test needs `custody` in the same target directory:
//! `cargo test --workspace` builds it (the CLI's own end-to-end tests need
//! it); `cargo test -p custody-bench` alone does not, and the test says so.

use std::path::PathBuf;
use std::process::{Command, Output};

const BENCH: &str = env!("CARGO_BIN_EXE_custody-bench");
const RUNNER_ARG: &str = "--internal-run-and-measure";

fn runner(script: &str) -> Output {
    Command::new(BENCH)
        .args([RUNNER_ARG, "/bin/sh", "-c", script])
        .output()
        .unwrap()
}

/// The peak RSS, in KiB, on the runner's report line.
fn peak_kib(out: &Output) -> u64 {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("custody-bench-runner:"))
        .unwrap_or_else(|| panic!("no report line in {stderr:?}"));
    line.split_whitespace()
        .find_map(|f| f.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no peak in {line:?}"))
}

#[test]
fn the_runner_forwards_the_exit_code_and_measures_each_child_alone() {
    let failed = runner("echo out; echo err >&2; exit 3");
    assert_eq!(failed.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&failed.stdout), "out\n");
    assert!(String::from_utf8_lossy(&failed.stderr).starts_with("err\n"));

    // A shell holding 64 MB in a variable, then one that holds nothing: each
    // runner reports its own child's peak, not the largest so far.
    let big = runner("x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo ${#x}");
    assert!(big.status.success());
    assert!(peak_kib(&big) > 60_000, "{} KiB", peak_kib(&big));
    let small = runner("true");
    assert!(peak_kib(&small) < 20_000, "{} KiB", peak_kib(&small));
}

#[test]
fn a_missing_custody_binary_says_how_to_build_it() {
    let out = Command::new(BENCH)
        .args(["--custody", "/nonexistent/custody", "--persons", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/custody")
            && stderr.contains("cargo build --release -p custody-cli"),
        "{stderr}"
    );
}

#[test]
fn a_tiny_benchmark_runs_every_step() {
    let custody = PathBuf::from(BENCH).with_file_name("custody");
    assert!(
        custody.is_file(),
        "{} is missing: run `cargo build -p custody-cli` (cargo test --workspace builds it)",
        custody.display()
    );
    let out = Command::new(BENCH)
        .args(["--json", "--persons", "40", "--limit-seconds", "0.02"])
        .env("CUSTODY_BIN", &custody)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = r["entries"].as_u64().unwrap();
    // 40 cases, 200 one-entry and 2,000 hundred-entry appends.
    assert!(entries > 2200 + 40, "{entries} entries");
    for step in ["generate", "verify", "rebuild", "report", "compact"] {
        let kib = r[step]["peak_rss_kib"].as_u64();
        assert!(kib.is_some_and(|k| k > 0), "{step}: {kib:?}");
    }
    assert!(r["bundle"]["entries"].as_u64().unwrap() > 0);
    assert!(r["inclusion_proof"]["max_hashes"].as_u64().unwrap() > 0);
    assert!(r["machine"]["sign_per_s"].as_f64().unwrap() > 0.0);
}
