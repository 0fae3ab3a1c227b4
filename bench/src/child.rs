//! Running one `custody` step as its own process, and measuring it from
//! outside: wall time from spawn to exit, and peak resident set size.
//!
//! # Why a runner process
//!
//! The kernel keeps each process's peak RSS (`VmHWM`) and, when a parent
//! reaps a child, folds it into the parent's `getrusage(RUSAGE_CHILDREN)`
//! `ru_maxrss` — as the maximum over every child reaped so far, not per
//! child. Read from the benchmark's own process, `status` after `generate`
//! would show `generate`'s peak. `wait4`, which returns one child's usage,
//! has no safe wrapper in std or nix, and this crate forbids `unsafe`.
//!
//! So each step runs under a runner: a fresh copy of this executable
//! (started with [`RUNNER_ARG`]) whose only child is the `custody` step. The
//! runner starts the clock, spawns `custody` with the runner's own stdin,
//! stdout and stderr (the benchmark's pipes), waits for it, stops the clock,
//! reads its `RUSAGE_CHILDREN` — which now describes exactly that one child
//! — and prints both on a last line of stderr for the benchmark to parse.
//! The runner's own start and exit are outside the timed span, so the time
//! is, as before, spawn to exit of `custody` alone; `ru_maxrss` is the same
//! kernel counter (`hiwater_rss`) that `custody` used to read as `VmHWM`
//! from `/proc/self/status` just before it exited.

use anyhow::{anyhow, bail, Context as _, Result};
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The first argument that makes this executable a runner: `custody-bench
/// RUNNER_ARG PROGRAM ARGS...` runs PROGRAM ARGS and reports on it.
pub(crate) const RUNNER_ARG: &str = "--internal-run-and-measure";

/// Starts the runner's report line on stderr.
const REPORT_PREFIX: &str = "custody-bench-runner:";

/// One timed run of the `custody` binary.
pub(crate) struct Step {
    pub seconds: f64,
    pub peak_rss_kib: Option<u64>,
    pub stdout: String,
}

/// The `custody` binary being measured, and the runner that spawns it.
pub(crate) struct Custody {
    bin: PathBuf,
    runner: PathBuf,
}

const BUILD_HINT: &str = "build it with `cargo build --release -p custody-cli`";

impl Custody {
    /// Finds the binary: `explicit` (from `--custody` or `CUSTODY_BIN`),
    /// else `custody` beside this executable.
    pub(crate) fn locate(explicit: Option<&Path>) -> Result<Custody> {
        let runner = std::env::current_exe()
            .context("cannot find this executable's path, needed to spawn the measured steps")?;
        let bin = match explicit {
            // Absolute, so the runner runs this very file whatever PATH says.
            Some(p) if p.is_file() => {
                std::fs::canonicalize(p).with_context(|| format!("resolving {}", p.display()))?
            }
            Some(p) => bail!(
                "no custody binary at {} (given by --custody or CUSTODY_BIN); {BUILD_HINT}",
                p.display()
            ),
            None => {
                let beside = runner
                    .parent()
                    .ok_or_else(|| anyhow!("{} has no parent directory", runner.display()))?
                    .join(format!("custody{}", std::env::consts::EXE_SUFFIX));
                if !beside.is_file() {
                    bail!(
                        "no custody binary beside this one (looked for {}): {BUILD_HINT} first, \
                         or name one with --custody PATH or CUSTODY_BIN",
                        beside.display()
                    );
                }
                beside
            }
        };
        Ok(Custody { bin, runner })
    }

    /// The binary's path and `custody --version`, to say what is measured;
    /// also proves the binary runs before any step is timed.
    pub(crate) fn describe(&self) -> Result<String> {
        let out = Command::new(&self.bin)
            .arg("--version")
            .output()
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "`{} --version` failed ({}); {BUILD_HINT}",
                self.bin.display(),
                out.status
            );
        }
        let version = String::from_utf8_lossy(&out.stdout);
        Ok(format!("{} ({})", self.bin.display(), version.trim()))
    }

    /// Runs `custody ARGS` under a runner and returns its time, peak RSS
    /// and stdout; a failed step is an error carrying its stderr.
    pub(crate) fn run(&self, args: &[&str]) -> Result<Step> {
        let command = format!("custody {}", args.join(" "));
        let out = Command::new(&self.runner)
            .arg(RUNNER_ARG)
            .arg(&self.bin)
            .args(args)
            .env_remove("CUSTODY_STORE")
            .output()
            .with_context(|| {
                format!("cannot start {} to run `{command}`", self.runner.display())
            })?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let (report, rest) = split_report(&stderr);
        if !out.status.success() {
            bail!("`{command}` failed ({}): {}", out.status, rest.trim());
        }
        let report = report.ok_or_else(|| {
            anyhow!("the runner of `{command}` printed no measurement; stderr: {stderr}")
        })?;
        Ok(Step {
            seconds: report.seconds,
            peak_rss_kib: report.peak_rss_kib,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        })
    }
}

/// What a runner measured.
#[derive(Debug, PartialEq)]
struct Report {
    seconds: f64,
    peak_rss_kib: Option<u64>,
}

/// Separates the runner's report line from the step's own stderr.
fn split_report(stderr: &str) -> (Option<Report>, String) {
    let mut report = None;
    let mut rest = String::new();
    for line in stderr.lines() {
        match line.strip_prefix(REPORT_PREFIX) {
            Some(fields) => report = parse_report(fields),
            None => {
                rest.push_str(line);
                rest.push('\n');
            }
        }
    }
    (report, rest)
}

fn parse_report(fields: &str) -> Option<Report> {
    let mut seconds = None;
    let mut peak_rss_kib = None;
    for field in fields.split_whitespace() {
        match field.split_once('=')? {
            ("seconds", v) => seconds = v.parse().ok(),
            ("peak_rss_kib", v) => peak_rss_kib = v.parse().ok(),
            _ => {}
        }
    }
    Some(Report {
        seconds: seconds?,
        peak_rss_kib,
    })
}

/// In a runner (this executable started with [`RUNNER_ARG`]): runs the
/// step and returns the exit code to leave with. `None` in the benchmark.
pub(crate) fn runner_main_if_asked() -> Option<i32> {
    let mut argv = std::env::args_os().skip(1);
    if argv.next()? != RUNNER_ARG {
        return None;
    }
    let Some(program) = argv.next() else {
        eprintln!("error: {RUNNER_ARG} needs a program to run");
        return Some(2);
    };
    Some(run_and_measure(&program, argv.collect()))
}

/// Spawns `program args`, waits for it and prints the report line.
fn run_and_measure(program: &OsString, args: Vec<OsString>) -> i32 {
    let start = Instant::now();
    let status = match Command::new(program).args(args).status() {
        Ok(status) => status,
        Err(e) => {
            eprintln!("error: cannot run {}: {e}", Path::new(program).display());
            return 127;
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let peak = match children_peak_rss_kib() {
        Some(kib) => kib.to_string(),
        None => "-".into(),
    };
    eprintln!("{REPORT_PREFIX} seconds={seconds} peak_rss_kib={peak}");
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => {
            eprintln!(
                "error: {} was killed by signal {signal}",
                Path::new(program).display()
            );
            128 + signal
        }
        (None, None) => 2,
    }
}

/// Peak RSS of the largest waited-for child (in a runner: the only one), in
/// KiB.
fn children_peak_rss_kib() -> Option<u64> {
    use nix::sys::resource::{getrusage, UsageWho};
    let max_rss = getrusage(UsageWho::RUSAGE_CHILDREN).ok()?.max_rss();
    // Linux reports kilobytes; macOS, bytes.
    let kib = if cfg!(target_os = "macos") {
        max_rss / 1024
    } else {
        max_rss
    };
    u64::try_from(kib).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_line_is_parsed_and_kept_out_of_the_stderr() {
        let stderr = "error: something\ncustody-bench-runner: seconds=0.5 peak_rss_kib=6500\n";
        let (report, rest) = split_report(stderr);
        assert_eq!(
            report,
            Some(Report {
                seconds: 0.5,
                peak_rss_kib: Some(6500)
            })
        );
        assert_eq!(rest, "error: something\n");
    }

    #[test]
    fn an_unknown_peak_is_none_and_a_missing_time_no_report() {
        let (report, _) = split_report("custody-bench-runner: seconds=1 peak_rss_kib=-");
        assert_eq!(report.map(|r| r.peak_rss_kib), Some(None));
        assert_eq!(split_report("custody-bench-runner: peak_rss_kib=1").0, None);
    }
}
