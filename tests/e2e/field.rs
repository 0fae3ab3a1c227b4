//! The field workflow: keys encrypted under a passphrase (issue 12), and
//! case lists imported from spreadsheets (`custody import`).

use crate::util::{custody_env, s, Env, CUSTODY};
use std::path::Path;
use std::process::Command;

const PASS_VAR: &str = "CUSTODY_KEY_PASSPHRASE";

/// Runs custody with `CUSTODY_KEY_PASSPHRASE` set to `pass`, or removed
/// (whatever the environment running the tests has) when `None`; standard
/// input and error are never a terminal here, so nothing is ever prompted.
fn with_pass(
    store: &Path,
    args: &[&str],
    stdin: Option<&str>,
    pass: Option<&str>,
) -> crate::util::Run {
    let mut all = vec!["--store", s(store)];
    all.extend_from_slice(args);
    match pass {
        Some(p) => custody_env(&all, stdin, &[(PASS_VAR, p)]),
        None => {
            // custody_env cannot remove a variable: run it directly.
            let out = Command::new(crate::util::BIN)
                .args(&all)
                .env_remove(PASS_VAR)
                .env_remove("CUSTODY_STORE")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            crate::util::Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        }
    }
}

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is needed for this test; .ci/run installs it")
}

const CAPTURE: &str = r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}"#;

#[test]
fn an_openssl_encrypted_key_signs_with_the_passphrase_from_the_environment() {
    let env = Env::new(CUSTODY);
    let key = env.path("field.pem");
    let made = openssl(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-aes256",
        "-pass",
        "pass:s3cret field",
        "-out",
        s(&key),
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(std::fs::read_to_string(&key)
        .unwrap()
        .contains("BEGIN ENCRYPTED PRIVATE KEY"));
    let public = with_pass(
        &env.store,
        &["key", "public", "--key", s(&key)],
        None,
        Some("s3cret field"),
    )
    .ok();
    env.grant_investigator("Field laptop", public.trim()).ok();
    let before = env.snapshot();

    // A wrong passphrase: refused, naming the file; nothing appended.
    let err = with_pass(
        &env.store,
        &["append", "--key", s(&key)],
        Some(CAPTURE),
        Some("s3cret"),
    )
    .fails(
        2,
        &["wrong passphrase for", s(&key), "or the file is damaged"],
    );
    assert!(
        !err.contains("s3cret"),
        "the passphrase is never shown: {err}"
    );
    assert_eq!(env.snapshot(), before);

    // No passphrase and no terminal to ask on: the advice names the variable.
    with_pass(
        &env.store,
        &["append", "--key", s(&key)],
        Some(CAPTURE),
        None,
    )
    .fails(
        2,
        &[
            s(&key),
            "is encrypted",
            "no terminal",
            "set CUSTODY_KEY_PASSPHRASE",
        ],
    );
    assert_eq!(env.snapshot(), before);

    // The right one: appended, signed by the field key.
    with_pass(
        &env.store,
        &["append", "--key", s(&key)],
        Some(CAPTURE),
        Some("s3cret field"),
    )
    .ok();
    let log = env.run(&["--json", "log"]).ok();
    assert!(log.contains(public.trim()), "{log}");
    env.verify_ok();
}

#[test]
fn key_generate_encrypt_writes_a_key_only_its_passphrase_opens() {
    let env = Env::new(CUSTODY);
    let key = env.path("new.pem");
    let public = with_pass(
        &env.store,
        &["key", "generate", "--encrypt", "--out", s(&key)],
        None,
        Some("long field passphrase"),
    )
    .ok();
    let public = public.trim();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    // Not readable without the passphrase, by OpenSSL either; with it,
    // OpenSSL finds the public key custody printed.
    let blind = openssl(&["pkey", "-in", s(&key), "-passin", "pass:guess", "-noout"]);
    assert!(
        !blind.status.success(),
        "openssl opened it without the passphrase"
    );
    let opened = openssl(&[
        "pkey",
        "-in",
        s(&key),
        "-passin",
        "pass:long field passphrase",
        "-pubout",
        "-outform",
        "DER",
    ]);
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    assert_eq!(
        hex::encode(&opened.stdout[opened.stdout.len() - 32..]),
        public
    );
    with_pass(
        &env.store,
        &["key", "public", "--key", s(&key)],
        None,
        Some("guess"),
    )
    .fails(2, &["wrong passphrase for"]);
    let again = with_pass(
        &env.store,
        &["key", "public", "--key", s(&key)],
        None,
        Some("long field passphrase"),
    )
    .ok();
    assert_eq!(again.trim(), public);

    env.grant_investigator("Encrypted laptop", public).ok();
    with_pass(
        &env.store,
        &["append", "--key", s(&key)],
        Some(CAPTURE),
        Some("long field passphrase"),
    )
    .ok();
    env.verify_ok();
}

#[test]
fn key_generate_encrypt_refuses_an_empty_or_absent_passphrase_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("none");
    let key = dir.path().join("k.pem");
    with_pass(
        &store,
        &["key", "generate", "--encrypt", "--out", s(&key)],
        None,
        Some(""),
    )
    .fails(2, &["CUSTODY_KEY_PASSPHRASE is set but empty"]);
    assert!(!key.exists());
    with_pass(
        &store,
        &["key", "generate", "--encrypt", "--out", s(&key)],
        None,
        None,
    )
    .fails(2, &["no terminal", "set CUSTODY_KEY_PASSPHRASE"]);
    assert!(!key.exists());
}
