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

/// Sends `request` (a head declaring more body than follows) to the server
/// at `addr` and waits: the server must neither wait for the rest for good
/// nor take it: it answers 408, or closes the connection.
pub(crate) fn assert_unsent_body_is_dropped(addr: &str, request: &str) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .unwrap();
    conn.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let read = conn.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        read.is_ok() && (answer.is_empty() || answer.starts_with("HTTP/1.1 408")),
        "{read:?} {answer:?}"
    );
}
