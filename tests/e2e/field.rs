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

/// `custody key generate --encrypt --out DIR/name` under the passphrase
/// the field tests use; returns the key file and its public key (hex).
fn encrypted_key(env: &Env, name: &str) -> (std::path::PathBuf, String) {
    let key = env.path(name);
    let public = with_pass(
        &env.store,
        &["key", "generate", "--encrypt", "--out", s(&key)],
        None,
        Some("long field passphrase"),
    )
    .ok();
    (key, public.trim().to_string())
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

    // No passphrase and no terminal to ask on: the advice names the
    // variable, once.
    let err = with_pass(
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
    assert_eq!(
        err.matches("set CUSTODY_KEY_PASSPHRASE").count(),
        1,
        "{err}"
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
    let (key, public) = encrypted_key(&env, "new.pem");
    let public = public.as_str();
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
    .fails(
        2,
        &["no terminal", "set CUSTODY_KEY_PASSPHRASE", "read -rs"],
    );
    assert!(!key.exists());
}

/// The worked example of docs/IMPORT.md, as committed: the test imports
/// these very files, so the documentation cannot drift from the tool.
fn example(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples")
        .join(name)
}

const EXAMPLE_LISTING: &str = "\
row 2  missing_report  P-0101  2023-07-14
row 3  missing_report  P-0102  2022-03-02
row 3  capture  P-0102  2022-05-17
row 3  icrc_notification  P-0102  2023-06-20
row 4  missing_report  P-0103  2022-09
row 4  capture  P-0103  2022-09
";

#[test]
fn the_documented_example_sheet_imports_dry_run_first_then_whole() {
    let env = Env::new(CUSTODY);
    let (csv, map) = (example("cases.csv"), example("cases.toml"));
    let before = env.snapshot();
    // A dry run without a key needs no ledger and writes nothing.
    let listing = crate::util::custody(&["import", "--csv", s(&csv), "--mapping", s(&map)], None);
    assert!(listing.stderr.contains("dry run"), "{}", listing.stderr);
    assert_eq!(listing.ok(), EXAMPLE_LISTING);
    let json = crate::util::custody(
        &["--json", "import", "--csv", s(&csv), "--mapping", s(&map)],
        None,
    )
    .ok();
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        serde_json::json!({"row": 2, "type": "missing_report", "person": "P-0101", "occurred_at": "2023-07-14"})
    );
    assert_eq!(json.lines().count(), 6);
    // With a key: checked against the ledger, still nothing written.
    let checked = env.run(&[
        "import",
        "--csv",
        s(&csv),
        "--mapping",
        s(&map),
        "--key",
        s(&env.investigator),
    ]);
    assert_eq!(checked.ok(), EXAMPLE_LISTING);
    assert_eq!(env.snapshot(), before, "a dry run writes nothing");

    let applied = env
        .run(&[
            "import",
            "--csv",
            s(&csv),
            "--mapping",
            s(&map),
            "--key",
            s(&env.investigator),
            "--apply",
        ])
        .ok();
    let lines: Vec<&str> = applied.lines().collect();
    assert_eq!(lines.len(), 6, "{applied}");
    for (line, (planned, seq)) in lines.iter().zip(EXAMPLE_LISTING.lines().zip(2..)) {
        // Entries 0 and 1 are the genesis and the grant.
        assert!(
            line.starts_with(&format!("{planned}  seq {seq} ")),
            "{line}"
        );
    }
    let table = env.run(&["status"]).ok();
    for (person, status, category) in [
        ("P-0101", "missing", "military"),
        ("P-0102", "held_acknowledged", "civilian"),
        ("P-0103", "held_unacknowledged", "military"),
    ] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(person) && l.contains(status) && l.contains(category)),
            "{person} {status}:\n{table}"
        );
    }
    let p2 = env.run(&["--json", "status", "P-0102"]).ok();
    let p2: serde_json::Value = serde_json::from_str(p2.trim()).unwrap();
    assert_eq!(p2["axes"]["location_disclosed"], false, "{p2}");
    // A quoted cell with quotes inside arrives whole.
    let export = env.snapshot();
    assert!(
        export.contains(r#""field":"name","index":0,"part":0"#)
            && export.contains(r#""value":"Serhiy \"Seryi\" Bondar""#),
        "{export}"
    );
    env.verify_ok();
}

fn sheet(env: &Env, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = env.path(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const HEADER: &str = "case_id,full_name,category,reported_on,last_seen,captured_on,capture_place,icrc_notified_on,location_disclosed\n";

#[test]
fn every_bad_row_is_named_by_row_and_column_and_nothing_is_appended() {
    let env = Env::new(CUSTODY);
    let map = example("cases.toml");
    let csv = sheet(
        &env,
        "bad.csv",
        format!(
            "{HEADER}\
             P-1,Good Row,military,01/01/2023,X,,,,\n\
             P-2,Bad Date,military,31/02/2023,X,,,,\n\
             P-3,Bad Category,soldier,01/01/2023,X,,,,\n\
             P-4,Bad Bool,civilian,01/01/2023,X,02/01/2023,Y,05/05/2023,maybe\n\
             P-5,Short Row,military\n\
             ,No Person,soldier,01/01/2023,X,,,,\n\
             P-8,Hostile,military,\x1b[2J01/01,X,,,,\n"
        )
        .as_bytes(),
    );
    let before = env.snapshot();
    // With --json, the failure is one JSON object, every error in its
    // `details` with its row as `line`, and no line of text.
    let json = env
        .run(&[
            "--json",
            "import",
            "--csv",
            s(&csv),
            "--mapping",
            s(&map),
            "--key",
            s(&env.investigator),
            "--apply",
        ])
        .fails(1, &[]);
    assert_eq!(json.lines().count(), 1, "{json}");
    let object: serde_json::Value = serde_json::from_str(json.trim()).expect("one JSON object");
    let message = object["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("7 errors; nothing was appended"),
        "{message}"
    );
    let details = object["error"]["details"].as_array().expect("details");
    assert_eq!(details.len(), 7, "{object}");
    assert_eq!(details[0]["line"], 3, "{object}");
    assert!(
        details[0]["message"]
            .as_str()
            .unwrap()
            .contains("row 3, column \"reported_on\""),
        "{object}"
    );
    let rows: Vec<u64> = details
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [3, 4, 5, 6, 7, 7, 8], "{object}");
    for apply in [false, true] {
        let mut args = vec![
            "import",
            "--csv",
            s(&csv),
            "--mapping",
            s(&map),
            "--key",
            s(&env.investigator),
        ];
        if apply {
            args.push("--apply");
        }
        let err = env.run(&args).fails(
            1,
            &[
                "row 3, column \"reported_on\": \"31/02/2023\" is not a date in the format \"%d/%m/%Y\"",
                "row 4, column \"category\": missing_report field `category`",
                "row 5, column \"location_disclosed\": \"maybe\" is not yes or no",
                "row 6: 3 cells, but the header has 9 columns",
                "row 7, column \"category\": missing_report field `category`: unknown variant `soldier`",
                "row 7, column \"case_id\" (empty): missing_report field `person`",
                "row 8, column \"reported_on\": \"\\u{1b}[2J01/01\" is not a date",
                "7 errors (listed above); nothing was appended",
            ],
        );
        assert!(
            !err.contains("row 2"),
            "the good row is not an error: {err}"
        );
        assert_eq!(env.snapshot(), before);
    }
}

#[test]
fn a_bad_mapping_is_named_clearly_and_whole() {
    let env = Env::new(CUSTODY);
    let csv = example("cases.csv");
    let map = sheet(
        &env,
        "bad.toml",
        br#"
[[event]]
type = "captur"
[event.fields]
person = { column = "case_id" }

[[event]]
type = "capture"
when = "capture_date"
[event.fields]
persn = { column = "case_id" }
occurred_at = { column = "date" }
place = { value = "x", column = "case_id" }

[[event]]
type = "sighting"
[event.fields]
person = { column = "case_id" }
occurred_at = { column = "reported_on", date_format = "%Q" }
source = { value = "video", kind = "boolean" }
"#,
    );
    let before = env.snapshot();
    env.run(&[
        "import", "--csv", s(&csv), "--mapping", s(&map), "--key", s(&env.investigator), "--apply",
    ])
    .fails(
        1,
        &[
            "event 1 (captur): unknown event type; expected one of missing_report",
            "event 2 (capture), `when`: column \"capture_date\" is not in the CSV's header (its columns: \"case_id\"",
            "event 2 (capture), field `persn`: unknown field",
            "event 2 (capture), field `occurred_at`: column \"date\" is not in the CSV's header",
            "event 2 (capture), field `place`: give `column` or `value`, not both",
            "event 3 (sighting), field `occurred_at`: date_format \"%Q\" is not a valid strftime format",
            "event 3 (sighting), field `source`: `date_format` and `kind` go with `column`",
            "7 errors",
        ],
    );
    // A required field the mapping does not give: said once, not per row.
    let short = sheet(
        &env,
        "short.toml",
        b"[[event]]\ntype = \"capture\"\n[event.fields]\nperson = { column = \"case_id\" }\n",
    );
    let err = env
        .run(&["import", "--csv", s(&csv), "--mapping", s(&short)])
        .fails(
            1,
            &[
                "row 2 (and every row like it): capture field `occurred_at`: missing field",
                "the mapping gives this field no column",
                "1 error (listed above)",
            ],
        );
    assert!(!err.contains("row 3"), "{err}");
    // Not TOML, or a key the mapping does not have: named with the file.
    let typo = sheet(
        &env,
        "typo.toml",
        b"[[event]]\ntype = \"capture\"\ncolums = 1\n",
    );
    env.run(&["import", "--csv", s(&csv), "--mapping", s(&typo)])
        .fails(1, &["typo.toml: not a valid mapping", "colums"]);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_sheet_as_excel_saves_it_is_read_and_a_broken_one_named() {
    let env = Env::new(CUSTODY);
    let map = example("cases.toml");
    // Excel's "CSV UTF-8" starts with a byte order mark: the first column
    // is still `case_id`.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(
        format!("{HEADER},,,,,,,,\nP-9,Name,military,01/01/2023,X,,,,\n").as_bytes(),
    );
    let csv = sheet(&env, "bom.csv", &bom);
    let out = crate::util::custody(&["import", "--csv", s(&csv), "--mapping", s(&map)], None).ok();
    // (Row 2 is blank, as spreadsheets leave rows: skipped.)
    assert_eq!(out, "row 3  missing_report  P-9  2023-01-01\n");
    // Read as append reads: a date in the future is refused, named by cell.
    let csv = sheet(
        &env,
        "future.csv",
        format!("{HEADER}P-9,Name,military,01/01/2999,X,,,,\n").as_bytes(),
    );
    crate::util::custody(&["import", "--csv", s(&csv), "--mapping", s(&map)], None).fails(
        1,
        &["row 2, column \"reported_on\": missing_report field `occurred_at`: 2999-01-01 is in the future"],
    );
    // Latin-1 ("Kovalenkó"), as older spreadsheets save: named, not mangled.
    let mut latin = format!("{HEADER}P-9,Kovalenk").into_bytes();
    latin.extend_from_slice(b"\xF3,military,01/01/2023,X,,,,\n");
    let csv = sheet(&env, "latin.csv", &latin);
    crate::util::custody(&["import", "--csv", s(&csv), "--mapping", s(&map)], None).fails(
        1,
        &["row 2, column \"full_name\": not UTF-8 text", "CSV UTF-8"],
    );
    // Two columns of one name: which would count? Refused.
    let csv = sheet(
        &env,
        "dup.csv",
        format!(
            "{},case_id\nP-9,N,military,01/01/2023,X,,,,,P-8\n",
            HEADER.trim_end()
        )
        .as_bytes(),
    );
    crate::util::custody(&["import", "--csv", s(&csv), "--mapping", s(&map)], None).fails(
        1,
        &["row 1, column \"case_id\": the header names this column twice (columns 1 and 10)"],
    );
    // --apply needs a key to sign with.
    crate::util::custody(
        &["import", "--csv", s(&csv), "--mapping", s(&map), "--apply"],
        None,
    )
    .fails(2, &["--key"]);
}

#[test]
fn an_import_signed_by_a_key_without_the_role_is_refused_row_by_row() {
    let env = Env::new(CUSTODY);
    let (csv, map) = (example("cases.csv"), example("cases.toml"));
    let before = env.snapshot();
    env.run(&[
        "import",
        "--csv",
        s(&csv),
        "--mapping",
        s(&map),
        "--key",
        s(&env.authority),
        "--apply",
    ])
    .fails(
        1,
        &[
            "row 2 (missing_report): key",
            "row 4 (capture): key",
            "does not hold the role `investigator`",
            "6 errors",
        ],
    );
    assert_eq!(env.snapshot(), before);
}

/// A terminal for one command: a detached tmux session on a server of its
/// own, read with capture-pane and typed into with send-keys. Each step
/// waits until the screen shows what it waits for (bounded), never a
/// fixed time.
struct Terminal {
    socket: String,
}

impl Terminal {
    fn start(name: &str, command: &str) -> Terminal {
        let t = Terminal {
            socket: format!("custody-e2e-{name}-{}", std::process::id()),
        };
        let ok = t
            .tmux(&["new-session", "-d", "-x", "200", "-y", "40", "-s", "t"])
            .arg(format!(
                "env -u {PASS_VAR} {command}; echo EXIT=$?; sleep 600"
            ))
            .status()
            .expect("tmux is needed for this test; .ci/run installs it")
            .success();
        assert!(ok, "tmux new-session failed");
        t
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).args(args);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .tmux(&["capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `needle` (at most a minute, for a
    /// machine busy with the other tests), and returns it.
    fn wait_for(&self, needle: &str) -> String {
        for _ in 0..1200 {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the terminal never showed {needle:?}:\n{}", self.screen());
    }

    /// Waits until the terminal no longer echoes (the prompt is printed
    /// an instant before custody turns echo off: text typed in between
    /// would be echoed by the terminal, not by custody, and the test would
    /// fail on a race no person can type into), then types a passphrase.
    fn type_secret(&self, text: &str) {
        let tty = self
            .tmux(&["display-message", "-p", "-t", "t", "#{pane_tty}"])
            .output()
            .unwrap();
        let tty = String::from_utf8_lossy(&tty.stdout).trim().to_string();
        let echo_off = || {
            let out = Command::new("stty")
                .args(["-F", &tty, "-a"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .any(|flag| flag == "-echo")
        };
        let mut tries = 0;
        while !echo_off() {
            tries += 1;
            assert!(tries < 1200, "custody never turned the terminal's echo off");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.type_line(text);
    }

    fn type_line(&self, text: &str) {
        assert!(self
            .tmux(&["send-keys", "-t", "t", "-l", text])
            .status()
            .unwrap()
            .success());
        assert!(self
            .tmux(&["send-keys", "-t", "t", "Enter"])
            .status()
            .unwrap()
            .success());
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).status();
    }
}

#[test]
fn on_a_terminal_the_passphrase_is_asked_without_echo() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("tty.pem");
    let bin = crate::util::BIN;
    // key generate --encrypt asks twice; the key then opens with what was typed.
    let term = Terminal::start(
        "generate",
        &format!("{bin} key generate --encrypt --out {}", s(&key)),
    );
    term.wait_for("new passphrase for");
    term.type_secret("tty-secret-4417");
    term.wait_for("the same passphrase again");
    term.type_secret("tty-secret-4417");
    let screen = term.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(!screen.contains("tty-secret-4417"), "echoed:\n{screen}");
    drop(term);
    let public = with_pass(
        &dir.path().join("none"),
        &["key", "public", "--key", s(&key)],
        None,
        Some("tty-secret-4417"),
    )
    .ok();

    // Reading it asks once, naming the file; standard input may be a pipe.
    let term = Terminal::start(
        "public",
        &format!("true | {bin} key public --key {}", s(&key)),
    );
    term.wait_for(&format!("passphrase for {}", s(&key)));
    term.type_secret("tty-secret-4417");
    let screen = term.wait_for("EXIT=");
    assert!(
        screen.contains("EXIT=0") && screen.contains(public.trim()),
        "{screen}"
    );
    assert!(!screen.contains("tty-secret-4417"), "echoed:\n{screen}");
    drop(term);

    // Two different passphrases: nothing written.
    let other = dir.path().join("other.pem");
    let term = Terminal::start(
        "differ",
        &format!("{bin} key generate --encrypt --out {}", s(&other)),
    );
    term.wait_for("new passphrase for");
    term.type_secret("one");
    term.wait_for("the same passphrase again");
    term.type_secret("two");
    let screen = term.wait_for("EXIT=");
    assert!(
        screen.contains("the two passphrases differ") && screen.contains("EXIT=2"),
        "{screen}"
    );
    assert!(!other.exists());
}

#[test]
fn a_sheet_too_large_for_one_commit_is_refused_before_anything_is_written() {
    let env = Env::new(CUSTODY);
    let mut text = HEADER.to_string();
    for i in 0..50_001 {
        text.push_str(&format!("P-{i},N,military,01/01/2023,X,,,,\n"));
    }
    let csv = sheet(&env, "big.csv", text.as_bytes());
    let before = env.snapshot();
    env.run(&[
        "import",
        "--csv",
        s(&csv),
        "--mapping",
        s(&example("cases.toml")),
        "--key",
        s(&env.investigator),
        "--apply",
    ])
    .fails(
        1,
        &["more than 50000 events (at row 50002)", "split the sheet"],
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_new_person_whose_id_is_near_another_is_refused_as_append_refuses_it() {
    let env = Env::new(CUSTODY);
    env.append_ok(r#"{"type":"capture","person":"UA-0101","occurred_at":"2022"}"#);
    let csv = sheet(
        &env,
        "near.csv",
        format!("{HEADER}ua-0101,Typed in lower case,military,01/01/2023,X,,,,\nUA-0102,A number further on,military,01/01/2023,X,,,,\n").as_bytes(),
    );
    let map = example("cases.toml");
    let before = env.snapshot();
    let args = [
        "import",
        "--csv",
        s(&csv),
        "--mapping",
        s(&map),
        "--key",
        s(&env.investigator),
        "--apply",
    ];
    let err = env.run(&args).fails(
        1,
        &[
            "row 2, field `person`: ua-0101 is a new person, but its id is near UA-0101",
            "--new-person ua-0101",
            "1 error",
        ],
    );
    assert!(
        !err.contains("UA-0102 is a new person"),
        "a number in a series is no typo: {err}"
    );
    assert_eq!(env.snapshot(), before);
    let mut confirmed = args.to_vec();
    confirmed.extend(["--new-person", "ua-0101"]);
    let out = env.run(&confirmed).ok();
    assert_eq!(out.lines().count(), 2, "{out}");
}

/// Issue 12's "done when", end to end: an investigator whose key is
/// encrypted under a passphrase imports a case list whose rows name their
/// videos by path; custody hashes each video (never storing it), and the
/// signed attachments carry exactly the files' SHA-256.
#[test]
fn an_encrypted_key_imports_a_case_list_that_attaches_videos_by_path() {
    use sha2::Digest;
    let env = Env::new(CUSTODY);
    let (key, public) = encrypted_key(&env, "field.pem");
    env.grant_investigator("Field team B", &public).ok();
    std::fs::create_dir_all(env.path("clips")).unwrap();
    let (a, b) = (
        b"video of the surrender".to_vec(),
        b"a second angle".to_vec(),
    );
    std::fs::write(env.path("clips/0201.mp4"), &a).unwrap();
    std::fs::write(env.path("clips/0201b.mp4"), &b).unwrap();
    let csv = sheet(
        &env,
        "videos.csv",
        b"case_id,captured_on,video\nUA-0201,2022-05-17,clips/0201.mp4; clips/0201b.mp4\nKH-0330,2022-06,\n",
    );
    let map = sheet(
        &env,
        "videos.toml",
        br#"[[event]]
type = "capture"
[event.fields]
person = { column = "case_id" }
occurred_at = { column = "captured_on" }
attachments = { column = "video", kind = "files" }
"#,
    );
    let args = [
        "import",
        "--csv",
        s(&csv),
        "--mapping",
        s(&map),
        "--key",
        s(&key),
        "--apply",
    ];
    // Without the passphrase (and no terminal): nothing is appended.
    let before = env.snapshot();
    with_pass(&env.store, &args, None, None).fails(2, &["CUSTODY_KEY_PASSPHRASE"]);
    assert_eq!(env.snapshot(), before);
    with_pass(&env.store, &args, None, Some("long field passphrase")).ok();
    let history: serde_json::Value =
        serde_json::from_str(env.run(&["--json", "status", "UA-0201"]).ok().trim()).unwrap();
    assert_eq!(history["status"], "held_unacknowledged", "{history}");
    let log = env.run(&["--json", "log", "--person", "UA-0201"]).ok();
    let entry: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    let text = entry.to_string();
    for bytes in [&a, &b] {
        let digest = hex::encode(sha2::Sha256::digest(bytes));
        assert!(text.contains(&digest), "{digest} not signed:\n{entry}");
    }
    assert!(text.contains("video/mp4"), "{entry}");
    // The row without a video has no attachment, and the videos stay
    // where they were: the store holds no copy.
    let store_bytes: Vec<u8> = std::fs::read_dir(&env.store)
        .unwrap()
        .flat_map(|f| std::fs::read(f.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(!store_bytes.windows(a.len()).any(|w| w == a.as_slice()));
}
