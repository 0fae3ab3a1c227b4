//! The end-to-end tests' handle on the binary under test. The helpers that
//! run it are custody-testkit's (`custody_testkit::cli`).

pub(crate) use custody_testkit::cli::{copy_dir, s, Custody, Env, Run, ALL_TYPES};
use std::path::Path;

/// Path of the binary under test (cargo builds it for integration tests).
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_custody");

/// The binary under test.
pub(crate) const CUSTODY: Custody = Custody::new(BIN);

/// Runs `custody ARGS` with optional standard input.
pub(crate) fn custody(args: &[&str], stdin: Option<&str>) -> Run {
    CUSTODY.run(args, stdin)
}

/// Runs `custody ARGS` with extra environment variables.
pub(crate) fn custody_env(args: &[&str], stdin: Option<&str>, envs: &[(&str, &str)]) -> Run {
    CUSTODY.run_env(args, stdin, envs)
}

/// Runs `custody --store STORE ARGS` with optional standard input.
pub(crate) fn custody_on(store: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    CUSTODY.on(store, args, stdin)
}
