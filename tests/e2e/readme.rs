//! The README's walkthroughs, run as a newcomer runs them: each block
//! copied from README.md itself, in an empty directory, by `bash -e`, with
//! this build's `custody` first on the PATH. A README that drifts from
//! the commands (a flag renamed, a step missing, a file used before it is
//! made) fails here.

use crate::util::BIN;
use std::path::Path;
use std::process::Command;

/// The first ```sh block after `marker` in README.md.
fn block_after(marker: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let at = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README.md no longer says {marker:?}"));
    let start = readme[at..].find("```sh\n").expect("a sh block") + at + 6;
    let end = readme[start..].find("```").expect("the block's end") + start;
    readme[start..end].to_string()
}

/// Investigators sign in the field, the office registers their files by
/// hand and through a server, and the history and log name the authors.
#[test]
fn the_field_walkthrough_runs_as_written() {
    let script = block_after("**Investigators in the field, one ledger.**");
    let listen = "--listen 127.0.0.1:8080 &\n";
    assert!(script.contains(listen), "{script}");
    assert!(script.contains("\nsleep 1\n"), "{script}");
    // Three things the README leaves to the reader, made sure of here: the
    // server listens on a port the system picks (a port chosen here could
    // be taken by another test's server before it binds), it is up before
    // the first submit (a busy machine may take more than the second the
    // README waits), and it is stopped however the script ends (else it
    // would hold the pipes open and the test hang) and waited for, so that
    // the store is free when the script returns. (A `kill` with no job
    // left, the server having stopped already, fails; under `bash -e` that
    // failure in the trap was the script's exit status: a rare failure.)
    let script = format!(
        "trap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT\n{}",
        script
            .replace(listen, "--listen 127.0.0.1:0 > serve.out &\n")
            .replace(
                "\nsleep 1\n",
                "\nfor i in $(seq 300); do grep -q '^listening on ' serve.out 2>/dev/null && break; sleep 0.1; done\n\
                 url=$(sed -n 's/^listening on //p' serve.out)\n",
            )
            .replace("http://127.0.0.1:8080", "$url")
    );
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("CUSTODY_STORE")
        .env_remove("CUSTODY_KEY_PASSPHRASE")
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("authored by Olha (team A)"), "{stdout}");
    assert!(stdout.contains("registered by ledger server"), "{stdout}");
    assert!(
        stdout.contains("by Petro (team B) (registered by ledger server)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("registered 1 statement; each receipt"),
        "{stderr}"
    );
    assert!(stderr.contains("VALID: the receipt in"), "{stderr}");
    // The walkthrough stops its server: the store is free to write again.
    crate::util::custody_on(
        &dir.path().join("ledger"),
        &[
            "checkpoint",
            "--key",
            dir.path().join("authority.pem").to_str().unwrap(),
        ],
        None,
    )
    .ok();
}
