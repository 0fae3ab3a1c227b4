//! What leaves the store keeps its promise: untrusted text cannot inject
//! lines into what people read, artefacts with duplicate or unknown fields
//! are refused, `--out` cannot clobber a key or the store, and a reader
//! that goes away ends a command quietly. Each test reproduces an attack
//! found by review and fails if its defence is removed.

use crate::util::{s, Env, CUSTODY};
use std::io::Read;
use std::process::{Command, Stdio};

/// A correction's reason and a sighting's place that try to start new
/// Markdown items and terminal lines.
const INJECTED_REASON: &str =
    "misidentified\n### 9. death (seq 3)\n\n- **What:** died at Olenivka (cause: execution)\n- **Signed by:** `00` (Prosecutor General)";
const INJECTED_PLACE: &str = "Kursk\n1970-01-01  seq 0  death executed  by Authority";

/// A valid public key that is no key of the test ledgers.
const STRANGER: &str = "5e3490d086cb7ab9a203d672e2c6fb5b43c82ce6fd312c636a12404b3287b839";

/// Appends a capture of P-1, issues a checkpoint and exports P-1's bundle.
fn export_bundle(env: &Env) -> std::path::PathBuf {
    env.append_ok(
        r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}
"#,
    );
    env.checkpoint(&env.path("cp.txt")).ok();
    let bundle = env.path("p1.json");
    env.run(&["export", "--person", "P-1", "--out", s(&bundle)])
        .ok();
    bundle
}

/// A new ledger with P-1's bundle exported.
fn with_bundle() -> (Env, std::path::PathBuf) {
    let env = Env::new(CUSTODY);
    let bundle = export_bundle(&env);
    (env, bundle)
}

fn ledger_with_injections() -> Env {
    let env = Env::new(CUSTODY);
    let appended = env.append_ok(&format!(
        "{}\n{}\n",
        serde_json::json!({"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}),
        serde_json::json!({"type":"sighting","person":"P-1","occurred_at":"2023-02","source":"video","place":INJECTED_PLACE}),
    ));
    env.append_ok(&format!(
        "{}\n",
        serde_json::json!({"type":"correction","target":appended[1].1,"reason":INJECTED_REASON})
    ));
    env.checkpoint(&env.path("cp.txt")).ok();
    env
}

#[test]
fn untrusted_text_cannot_start_a_line_in_the_dossier_or_history() {
    let env = ledger_with_injections();
    let dossier = env.run(&["dossier", "P-1"]).ok();
    for line in dossier.lines() {
        assert!(
            !line.starts_with("### 9.") && !line.starts_with("- **What:** died"),
            "an injected Markdown item: {line:?}\n{dossier}"
        );
    }
    // The reason is there, but inert.
    assert!(dossier.contains("misidentified\\n"), "{dossier}");
    let history = env.run(&["history", "P-1"]).ok();
    for line in history.lines() {
        assert!(
            !line.starts_with("1970-01-01"),
            "an injected line: {line:?}"
        );
        assert!(!line.starts_with("### 9."), "an injected line: {line:?}");
    }
    let log = env.run(&["log"]).ok();
    assert_eq!(
        log.lines().count(),
        7,
        "one line per entry (genesis, grant, capture, sighting, correction, seal, checkpoint):\n{log}"
    );
}

/// A bundle whose entry carries a `view` with a duplicate key (a fake
/// event first, the real one last) or an unknown field is refused: a
/// person reading the file sees the fake, a lax parser the real one.
#[test]
fn a_bundle_with_a_duplicate_key_or_an_unknown_field_is_refused() {
    let env = ledger_with_injections();
    let bundle = env.path("p1.json");
    env.run(&["export", "--person", "P-1", "--out", s(&bundle)])
        .ok();
    let text = std::fs::read_to_string(&bundle).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = |t: &str, name: &str| {
        let p = env.path(name);
        std::fs::write(&p, t).unwrap();
        CUSTODY.run(&["verify", "--bundle", s(&p)], None)
    };
    v(&text, "same.json").ok();
    // Duplicate key inside a view: the first "event" is a fake death,
    // the real event follows it.
    let hash = doc["entries"][2]["hash"].as_str().unwrap();
    let at = text.find(hash).expect("the entry's hash");
    let view = at + text[at..].find("\"view\": {").expect("its view") + "\"view\": {".len();
    let fake =
        r#""event": {"type":"death","person":"P-1","occurred_at":"2022-06","cause":"execution"},"#;
    let dup = format!("{}{fake}{}", &text[..view], &text[view..]);
    v(&dup, "dup.json").fails(1, &["duplicate key"]);
    // An unknown field beside the entries.
    let mut extra = doc.clone();
    extra["comment"] = serde_json::json!("verified by the court");
    v(&extra.to_string(), "extra.json").fails(1, &["unknown field"]);
}

#[test]
fn out_never_clobbers_a_key_or_the_store() {
    let env = Env::new(CUSTODY);
    let before = env.snapshot();
    // Over the authority's private key: refused, and no checkpoint recorded.
    env.run(&[
        "checkpoint",
        "--key",
        s(&env.authority),
        "--out",
        s(&env.authority),
    ])
    .fails(2, &["already exists", "--force"]);
    assert_eq!(env.snapshot(), before, "a checkpoint was recorded anyway");
    assert!(std::fs::read_to_string(&env.authority)
        .unwrap()
        .contains("PRIVATE KEY"));
    // Into the store's own directory: refused even with --force.
    let live = env.store.join("custody.redb");
    env.run(&["export", "--out", s(&live), "--force"])
        .fails(2, &["inside a store"]);
    env.verify_ok();
    // An existing file is replaced only with --force.
    let out = env.path("e.jsonl");
    env.run(&["export", "--out", s(&out)]).ok();
    env.run(&["export", "--out", s(&out)])
        .fails(2, &["already exists"]);
    env.run(&["export", "--out", s(&out), "--force"]).ok();
}

/// `custody log | head`: the reader goes away; custody ends quietly with
/// 128 + SIGPIPE, not with "internal error … store may be damaged".
#[test]
fn a_closed_output_pipe_ends_a_command_quietly() {
    let env = Env::new(CUSTODY);
    // More output than a pipe holds (64 KiB), so that every command below
    // is still writing when it finds its reader gone, however the two
    // processes are scheduled.
    let cases: String = (0..900)
        .map(|i| {
            serde_json::json!({"type":"capture","person":format!("P-{i:04}"),"occurred_at":"2022-05-17"})
                .to_string()
                + "\n"
        })
        .collect();
    env.append_ok(&cases);
    for args in [&["log"][..], &["status"], &["export"]] {
        let mut child = Command::new(crate::util::BIN)
            .arg("--store")
            .arg(&env.store)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before a byte is read
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(141), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} said: {err}");
    }
}

/// The user names the artefact, and it must be that one: a one-line export
/// (a genesis alone, which verifies) handed over as "the bundle" of a
/// person is refused, as is a bundle checked as an export; an export can be
/// pinned to its authority like a bundle.
#[test]
fn an_export_is_not_a_bundle_and_a_bundle_is_not_an_export() {
    let env = Env::new(CUSTODY);
    let export = env.path("ledger.jsonl");
    env.run(&["export", "--out", s(&export)]).ok();
    let genesis_only = env.path("one-line.json");
    let first = std::fs::read_to_string(&export).unwrap();
    std::fs::write(&genesis_only, first.lines().next().unwrap()).unwrap();
    CUSTODY
        .run(&["verify", "--export", s(&genesis_only)], None)
        .ok();
    CUSTODY
        .run(&["verify", "--bundle", s(&genesis_only)], None)
        .fails(1, &["whole-ledger export, not a person's bundle"]);
    let bundle = export_bundle(&env);
    CUSTODY
        .run(&["verify", "--export", s(&bundle)], None)
        .fails(1, &["not a whole-ledger export"]);
    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["--json", "verify"]).ok()).unwrap();
    let authority = json["authority"].as_str().unwrap().to_string();
    CUSTODY
        .run(
            &["verify", "--export", s(&export), "--authority", &authority],
            None,
        )
        .ok();
    CUSTODY
        .run(
            &["verify", "--export", s(&export), "--authority", STRANGER],
            None,
        )
        .fails(1, &["not the pinned"]);
}

/// `verify --bundle` names who signed the checkpoint and since when they
/// were an authority, and `--checkpoint-key` pins the signer.
#[test]
fn a_bundle_names_and_can_pin_its_checkpoint_signer() {
    let (_ledger, bundle) = with_bundle(); // the ledger (a temporary directory) must outlive the test
    let out = CUSTODY.run(&["verify", "--bundle", s(&bundle)], None).ok();
    assert!(out.contains("an authority since seq 0"), "{out}");
    let json: serde_json::Value = serde_json::from_str(
        &CUSTODY
            .run(&["--json", "verify", "--bundle", s(&bundle)], None)
            .ok(),
    )
    .unwrap();
    let signer = json["checkpoint_signer"].as_str().unwrap().to_string();
    assert_eq!(json["checkpoint_signer_granted_at"], 0);
    CUSTODY
        .run(
            &[
                "verify",
                "--bundle",
                s(&bundle),
                "--checkpoint-key",
                &signer,
            ],
            None,
        )
        .ok();
    CUSTODY
        .run(
            &[
                "verify",
                "--bundle",
                s(&bundle),
                "--checkpoint-key",
                STRANGER,
            ],
            None,
        )
        .fails(1, &["not the pinned --checkpoint-key"]);
}

/// One machine with a clock in 2099 cannot freeze the ledger by accident:
/// its append is refused (nothing written) unless the operator confirms
/// the clock; and a ledger whose last entry is recorded in the future gets
/// a warning from verify. The clock is faked for the one command through
/// the debug build's `CUSTODY_TEST_CLOCK`.
#[test]
fn a_clock_years_ahead_cannot_freeze_the_ledger_unnoticed() {
    let env = Env::new(CUSTODY);
    let before = env.snapshot();
    let record = r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}
"#;
    let future = [("CUSTODY_TEST_CLOCK", "2099-01-01T00:00:00Z")];
    let append = [
        "--store",
        s(&env.store),
        "append",
        "--key",
        s(&env.investigator),
        "-",
    ];
    CUSTODY
        .run_env(&append, Some(record), &future)
        .fails(1, &["more than a year after", "--clock-confirmed"]);
    assert_eq!(
        env.snapshot(),
        before,
        "a refused append changed the ledger"
    );
    // Today's clock still appends.
    env.append_ok(record);
    // Confirmed, the future entry is written; verify warns about it.
    let mut confirmed = append.to_vec();
    confirmed.insert(0, "--clock-confirmed");
    CUSTODY.run_env(&confirmed, Some(record), &future).ok();
    let out = env.run(&["verify"]).ok();
    assert!(
        out.contains("warning: the last entry is recorded at 2099"),
        "{out}"
    );
    // Today's clock can no longer append after it, and is told how to
    // recover; the refusal writes nothing.
    let stuck = env.snapshot();
    env.append(record)
        .fails(1, &["earlier than the last entry", "custody correct-clock"]);
    assert_eq!(env.snapshot(), stuck, "a refused append changed the ledger");
    // An investigator cannot correct the clock; the authority can, and the
    // ledger goes on at the true time.
    env.run(&[
        "correct-clock",
        "--key",
        s(&env.investigator),
        "--reason",
        "laptop clock",
    ])
    .fails(1, &["authority"]);
    let out = env
        .run(&[
            "correct-clock",
            "--key",
            s(&env.authority),
            "--reason",
            "the field laptop's clock had jumped to 2099",
        ])
        .ok();
    assert!(out.contains("recorded: entries"), "{out}");
    env.append_ok(record);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    let out = env.run(&["verify"]).ok();
    assert!(out.starts_with("VALID"), "{out}");
    assert!(
        out.contains("the authority declares entries") && out.contains("jumped to 2099"),
        "{out}"
    );
    assert!(!out.contains("warning: the last entry"), "{out}");
}

/// A large bundle is read as a stream: memory holds its decoded entries,
/// not the document (a 98 MB bundle once aborted the verifier out of
/// memory), and one over the size cap is refused without being read whole.
#[test]
fn a_large_bundle_is_streamed_and_one_over_the_cap_refused() {
    let (env, bundle) = with_bundle();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    // Past the 64 MiB cap (here in one endless string): read only up to it.
    let item = doc["entries"][2].clone();
    let mut big = doc.clone();
    big["checkpoint"] = serde_json::Value::String("x".repeat(65 << 20));
    let text = big.to_string();
    assert!(text.len() > 64 << 20, "{}", text.len());
    let path = env.path("big.json");
    std::fs::write(&path, &text).unwrap();
    CUSTODY
        .run(&["verify", "--bundle", s(&path)], None)
        .fails(1, &["over 67108864 bytes"]);
    // Under the cap, a repeated entry is refused as such.
    doc["entries"]
        .as_array_mut()
        .unwrap()
        .extend(std::iter::repeat_n(item, 50));
    std::fs::write(&path, doc.to_string()).unwrap();
    CUSTODY
        .run(&["verify", "--bundle", s(&path)], None)
        .fails(1, &["appears twice"]);
}

/// A hostile key in a bundle or an export line is quoted in the error with
/// its escapes made visible: it cannot clear the screen and print "VALID".
#[test]
fn errors_quoting_hostile_input_cannot_drive_the_terminal() {
    let env = Env::new(CUSTODY);
    let bundle = env.path("evil.json");
    std::fs::write(&bundle, "{\n\"\u{1b}[2J\u{1b}[32mVALID\u{202e}\": 1}").unwrap();
    let export = env.path("evil.jsonl");
    std::fs::write(&export, "{\"entry\":\"AA==\",\"\u{1b}[31mX\":1}\n").unwrap();
    for (flag, file) in [("--bundle", &bundle), ("--export", &export)] {
        let out = Command::new(crate::util::BIN)
            .args(["verify", flag, s(file)])
            .output()
            .unwrap();
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(!text.contains(['\u{1b}', '\u{202e}']), "{flag}: {text:?}");
        assert_eq!(out.status.code(), Some(1), "{flag}: {text}");
    }
}

/// The text fields format v2 added (a denial's `by`, an inquiry's `to`, a
/// transfer's places, a proceeding's charge, a dispute's reason, a clock
/// correction's reason) are as untrusted as the old ones: in `history`,
/// `status`, the dossier and `verify`, none can start a line of its own.
#[test]
fn v2_text_fields_cannot_start_a_line() {
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(&format!(
        "{}\n",
        serde_json::json!({"type":"sighting","person":"P-1","occurred_at":"2022-06","source":"video"})
    ));
    let records = [
        serde_json::json!({"type":"denial","person":"P-1","occurred_at":"2022-09","by":INJECTED_PLACE}),
        serde_json::json!({"type":"inquiry","person":"P-1","occurred_at":"2022-08","to":INJECTED_PLACE,"by":INJECTED_REASON}),
        serde_json::json!({"type":"transfer","person":"P-1","occurred_at":"2022-10","from":INJECTED_PLACE,"to":INJECTED_PLACE,"source":"returned_pow"}),
        serde_json::json!({"type":"legal_proceeding","person":"P-1","occurred_at":"2023-01","stage":"charged","source":"official","authority":INJECTED_PLACE,"charge":INJECTED_REASON}),
        serde_json::json!({"type":"dispute","person":"P-1","occurred_at":"2023-02","target":acks[0].1,"by":INJECTED_PLACE,"reason":INJECTED_REASON}),
    ];
    let jsonl: String = records.iter().map(|r| format!("{r}\n")).collect();
    env.append_ok(&jsonl);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    env.run(&[
        "correct-clock",
        "--key",
        s(&env.authority),
        "--since",
        "3",
        "--reason",
        INJECTED_REASON,
    ])
    .ok();
    let outputs = [
        env.run(&["history", "P-1"]).ok(),
        env.run(&["status", "P-1"]).ok(),
        env.run(&["dossier", "P-1"]).ok(),
        env.run(&["verify"]).ok(),
    ];
    for out in &outputs {
        for line in out.lines() {
            assert!(
                !line.starts_with("1970-01-01")
                    && !line.starts_with("### 9.")
                    && !line.starts_with("- **What:** died"),
                "an injected line: {line:?}\n{out}"
            );
        }
    }
    // The text is there, inert.
    assert!(outputs[0].contains("Kursk\\n1970-01-01"), "{}", outputs[0]);
    assert!(
        outputs[3].contains("clock corrected at seq"),
        "{}",
        outputs[3]
    );
}

/// The fields `history` shows since it shows every field — notes,
/// circumstances, an attachment's description, a correction's replacement
/// — are as untrusted as the others: no control character reaches the
/// terminal, and none can start a line of its own.
#[test]
fn every_field_history_shows_is_escaped() {
    let env = Env::new(CUSTODY);
    // The input refuses control characters but newlines and tabs; the
    // bidi override is not one.
    let hostile = format!("{INJECTED_PLACE}\t\u{202e}gnp.exe P-\u{200b}1");
    let acks = env.append_ok(&format!(
        "{}\n",
        serde_json::json!({"type":"capture","person":"P-1","occurred_at":"2022-05-17",
            "circumstances":hostile,"notes":hostile,
            "attachments":[{"sha256":"c5a9ef276dc00a96ff4299431ee319d365c4535813d00c987facec95f3fdeedf",
                "media_type":"video/mp4","description":hostile}]})
    ));
    env.append_ok(&format!(
        "{}\n",
        serde_json::json!({"type":"correction","target":acks[0].1,"reason":hostile,
            "replacement":{"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":hostile,"notes":hostile}})
    ));
    let h = env.run(&["history", "P-1"]).ok();
    assert!(
        !h.contains(['\u{1b}', '\t', '\u{202e}', '\u{200b}']),
        "{h:?}"
    );
    for line in h.lines() {
        assert!(
            !line.trim_start().starts_with("1970-01-01"),
            "an injected line: {line:?}\n{h}"
        );
    }
    // Each field is there, inert: two for the capture, one attachment, the
    // reason (in the label and the correction), the replacement's two.
    let flat: String = h.split_whitespace().collect();
    assert!(flat.matches("Kursk\\n1970-01-01").count() >= 7, "{h}");
    assert!(flat.contains("<U+202E>"), "{h}");
    // An invisible zero-width space is shown, so "P-1" and "P-\u{200b}1"
    // do not look the same.
    assert!(flat.contains("P-<U+200B>1"), "{h}");
}

/// A run's standard error, once it succeeded.
fn ok_stderr(run: crate::util::Run) -> String {
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.stderr
}

/// A file name may hold any byte but `/` and NUL: a carriage return and an
/// escape sequence in one would rewrite the line that names it (`exported
/// ... to x` becomes `VALID`). Every path a command prints is escaped, and
/// with `--json` a warning is a JSON object, like an error.
#[test]
fn file_names_cannot_drive_the_terminal() {
    let env = Env::new(CUSTODY);
    env.append_ok(r#"{"type":"capture","person":"P-1","occurred_at":"2022"}"#);
    let evil = "x\r\u{1b}[2KVALID";
    let inert = |what: &str, text: &str| {
        assert!(!text.contains(['\u{1b}', '\r']), "{what}: {text:?}");
        assert!(text.contains("x\\r\\u{1b}[2KVALID"), "{what}: {text:?}");
    };
    let export = env.path(&format!("{evil}.jsonl"));
    inert(
        "export",
        &ok_stderr(env.run(&["export", "--out", s(&export)])),
    );
    let key = env.path(&format!("{evil}.pem"));
    inert(
        "key generate",
        &ok_stderr(env.run(&["key", "generate", "--out", s(&key)])),
    );
    let cp = env.path(&format!("{evil}.txt"));
    inert("checkpoint", &ok_stderr(env.checkpoint(&cp)));
    // A checkpoint file repaired on reading: the warning names the file.
    let note = std::fs::read_to_string(&cp).unwrap();
    let crlf = env.path(&format!("{evil}-crlf.txt"));
    std::fs::write(&crlf, note.replace('\n', "\r\n")).unwrap();
    let run = env.run(&["verify", "--checkpoint", s(&crlf)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning:") && run.stderr.contains("CRLF"));
    inert("checkpoint warning", &run.stderr);
    let run = env.run(&["--json", "verify", "--checkpoint", s(&crlf)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warning: serde_json::Value =
        serde_json::from_str(run.stderr.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    let message = warning["warning"]["message"].as_str().unwrap();
    assert!(
        message.contains("CRLF") && message.contains(evil),
        "{warning}"
    );
    // An input file that cannot be read, in an error.
    let missing = env.path(&format!("{evil}.jsonl.gone"));
    let err = env
        .run(&["append", "--key", s(&env.investigator), s(&missing)])
        .fails(2, &[]);
    inert("append", &err);
}
