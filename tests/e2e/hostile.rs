//! Hostile and broken input, end to end: every input limit refused with a
//! clear error that names line and field, inputs larger than one commit
//! streamed in chunks and still refused whole, and a store damaged on disk
//! met with exit code 2 and advice — never a panic or a backtrace.

use crate::util::{self, custody, custody_env, s, Env, CUSTODY};
use custody_ledger::projection::PersonStatus;
use std::path::Path;

const GOOD: &str = r#"{"type":"capture","person":"P-1","occurred_at":"2022"}"#;

/// Runs a refused append and checks the ledger did not change.
fn refused(env: &Env, input: &[u8], needles: &[&str]) {
    let before = env.snapshot();
    let mut cmd = std::process::Command::new(util::BIN);
    cmd.args([
        "--store",
        s(&env.store),
        "append",
        "--key",
        s(&env.investigator),
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}: {stderr}");
    }
    assert!(stderr.len() < 2000, "the error echoes the input: {stderr}");
    assert_eq!(
        env.snapshot(),
        before,
        "a refused append changed the ledger"
    );
}

#[test]
fn every_input_limit_is_refused_end_to_end() {
    let env = Env::new(CUSTODY);
    env.append_ok(GOOD);
    let capture =
        |extra: &str| format!(r#"{{"type":"capture","person":"P-1","occurred_at":"2022"{extra}}}"#);
    // One record (line) over 256 KiB, on line 2.
    let long = capture(&format!(r#","notes":"{}""#, "x".repeat(300 * 1024)));
    refused(
        &env,
        format!("{GOOD}\n{long}\n").as_bytes(),
        &["line 2", "longer than 262144 bytes", "nothing was appended"],
    );
    // A field over its limit: long text, short text, person id.
    refused(
        &env,
        capture(&format!(r#","notes":"{}""#, "x".repeat(4097))).as_bytes(),
        &[
            "line 1",
            "field `notes`",
            "4097 bytes long; the limit is 4096",
        ],
    );
    refused(
        &env,
        capture(&format!(r#","place":"{}""#, "é".repeat(129))).as_bytes(),
        &["field `place`", "the limit is 256"],
    );
    refused(
        &env,
        format!(
            r#"{{"type":"capture","person":"{}","occurred_at":"2022"}}"#,
            "P".repeat(65)
        )
        .as_bytes(),
        &["field `person`", "1 to 64 characters"],
    );
    // Attachments: 64 pass the count check, 65 do not.
    let attachment = format!(
        r#"{{"sha256":"{}","media_type":"image/jpeg"}}"#,
        "ab".repeat(32)
    );
    let list = |n: usize| vec![attachment.as_str(); n].join(",");
    refused(
        &env,
        capture(&format!(r#","attachments":[{}]"#, list(65))).as_bytes(),
        &["field `attachments`", "has 65 items; the limit is 64"],
    );
    env.append_ok(&capture(&format!(r#","attachments":[{}]"#, list(64))));
    // JSON nested deeper than 8 levels.
    let deep = format!(
        r#"{{"type":"capture","person":"P-1","occurred_at":"2022","notes":{}1{}}}"#,
        "[".repeat(9),
        "]".repeat(9)
    );
    refused(&env, deep.as_bytes(), &["line 1", "nested deeper than 8"]);
    // Errors quote the offending value, but never a flood of it (found by
    // fuzzing: a 100 KB date or enum value was echoed whole).
    refused(
        &env,
        format!(
            r#"{{"type":"sighting","person":"P-1","occurred_at":"2022","source":"{}"}}"#,
            "x".repeat(100_000)
        )
        .as_bytes(),
        &["field `source`", "unknown variant"],
    );
    refused(
        &env,
        format!(
            r#"{{"type":"capture","person":"P-1","occurred_at":"2022-{}"}}"#,
            "9".repeat(100_000)
        )
        .as_bytes(),
        &["field `occurred_at`", "invalid date"],
    );
    // Not UTF-8; a control character; a NUL.
    let mut bad = GOOD.as_bytes().to_vec();
    bad.extend_from_slice(b"\n{\"type\":\"capture\",\"person\":\"P-\xff\"}\n");
    refused(&env, &bad, &["line 2", "not valid UTF-8"]);
    refused(
        &env,
        capture(r#","notes":"a\u0000b""#).as_bytes(),
        &["field `notes`", "control character"],
    );
    env.verify_ok();
}

#[test]
fn inputs_larger_than_a_chunk_are_streamed_and_still_refused_whole() {
    let env = Env::new(CUSTODY);
    let n = 2_500;
    let records: String = (0..n)
        .map(|i| {
            format!(r#"{{"type":"sighting","person":"S-{i}","occurred_at":"2023","source":"tv"}}"#)
                + "\n"
        })
        .collect();
    // A bad record at the very end refuses everything before it too, even
    // though the input spans three commits.
    let mut bad = records.clone();
    bad.push_str(r#"{"type":"sighting","person":"S-x","occurred_at":"2023","source":"rumour"}"#);
    let before = env.snapshot();
    env.run_in(
        &["append", "--chunk", "1000", "--key", s(&env.investigator)],
        &bad,
    )
    .fails(1, &["line 2501", "field `source`", "nothing was appended"]);
    // So does a correction of an entry that does not exist, checked before
    // any commit.
    let mut bad = records.clone();
    bad.push_str(&format!(
        r#"{{"type":"correction","target":"{}","reason":"x"}}"#,
        "cd".repeat(32)
    ));
    env.run_in(
        &["append", "--chunk", "1000", "--key", s(&env.investigator)],
        &bad,
    )
    .fails(
        1,
        &["line 2501", "no entry with hash", "nothing was appended"],
    );
    assert_eq!(env.snapshot(), before);

    // A good input goes in as chunks of 1000, 1000 and 500, every entry
    // acknowledged once, in order.
    let out = env
        .run_in(
            &["append", "--chunk", "1000", "--key", s(&env.investigator)],
            &records,
        )
        .ok();
    let seqs: Vec<u64> = out
        .lines()
        .map(|l| l.split_once(' ').unwrap().0.parse().unwrap())
        .collect();
    assert_eq!(seqs, (2..2 + n as u64).collect::<Vec<_>>());
    assert_eq!(env.verify_ok()["length"], 2 + n as u64);
    // --help says what a batch means now.
    let help = custody(&["append", "--help"], None).ok();
    assert!(
        help.contains("checked whole before anything is written"),
        "{help}"
    );
    custody(&["append", "--chunk", "0", "--key", "k"], None).fails(2, &["--chunk"]);
}

#[test]
fn a_store_damaged_on_disk_gets_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("gen");
    custody(
        &[
            "generate",
            "--persons",
            "2000",
            "--seed",
            "5",
            "--out",
            s(&gen),
        ],
        None,
    )
    .ok();
    let store = gen.join("ledger");
    custody(&["--store", s(&store), "verify"], None).ok();
    let size = std::fs::metadata(store.join("custody.redb")).unwrap().len();

    type Damage = Box<dyn Fn(&Path)>;
    let garble = |at: u64, len: usize| -> Damage {
        Box::new(move |db: &Path| {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
            f.seek(SeekFrom::Start(at)).unwrap();
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            f.write_all(&junk).unwrap();
        })
    };
    let truncate = |to: u64| -> Damage {
        Box::new(move |db: &Path| {
            let f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
            f.set_len(to).unwrap();
        })
    };
    let stripes = |every: u64, len: usize| -> Damage {
        Box::new(move |db: &Path| {
            let size = std::fs::metadata(db).unwrap().len();
            let mut at = 0;
            while at < size {
                garble(at, len)(db);
                at += every;
            }
        })
    };
    let original = custody(&["--store", s(&store), "--json", "verify"], None).ok();
    let original: serde_json::Value = serde_json::from_str(original.trim()).unwrap();
    // Damage that always hits live data must be reported. Damage to one
    // region may land in pages redb no longer uses (copy-on-write frees the
    // pages an earlier commit replaced): then the store must still be
    // exactly whole —
    // never a silently different ledger.
    let cases: Vec<(&str, bool, Damage)> = vec![
        ("truncated to nothing", true, truncate(0)),
        ("truncated to 100 KB", true, truncate(100_000)),
        ("truncated to 1 MB", true, truncate(1_000_000)),
        (
            "second half garbled",
            true,
            garble(size / 2, (size - size / 2) as usize),
        ),
        ("garbled throughout", true, garble(0, size as usize)),
        (
            "4 KiB garbled in every 256 KiB",
            true,
            stripes(256 * 1024, 4096),
        ),
        ("first 4 KiB garbled", false, garble(0, 4096)),
        ("first 64 KiB garbled", false, garble(0, 65536)),
    ];
    for (i, (what, must_fail, damage)) in cases.iter().enumerate() {
        let copy = dir.path().join(format!("copy-{i}"));
        util::copy_dir(&store, &copy);
        damage(&copy.join("custody.redb"));
        if !must_fail {
            let run = custody_env(
                &["--store", s(&copy), "--json", "verify"],
                None,
                &[("RUST_BACKTRACE", "1")],
            );
            if run.code == 0 {
                let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
                assert_eq!(
                    v["head_hash"], original["head_hash"],
                    "{what}: silently changed"
                );
                assert_eq!(
                    v["length"], original["length"],
                    "{what}: silently shortened"
                );
                continue;
            }
        }
        for cmd in ["verify", "log"] {
            // RUST_BACKTRACE=1 would make a stray panic print a backtrace:
            // this proves there is none.
            let run = custody_env(
                &["--store", s(&copy), cmd],
                None,
                &[("RUST_BACKTRACE", "1")],
            );
            let err = &run.stderr;
            // redb does not checksum every page it reads: a garbled page of
            // entries can reach `verify` or `log`, which then refuse the entry it
            // cannot decode or whose signature fails, naming it and pointing
            // to `custody verify`, instead of calling the store damaged.
            // Both are loud; neither is a ledger.
            let names_the_entry = err.contains("verification failed at seq")
                || (err.contains("does not decode") && err.contains("custody verify"));
            if names_the_entry && (run.code == 1 || run.code == 2) {
                assert!(!err.contains("panicked"), "{what}, {cmd}:\n{err}");
                continue;
            }
            assert_eq!(run.code, 2, "{what}, {cmd}: exit {}\n{err}", run.code);
            assert!(
                err.contains("is damaged") && err.contains("backup") && err.contains("export"),
                "{what}, {cmd}: unclear error:\n{err}"
            );
            for bad in ["panicked", "stack backtrace", "internal error"] {
                assert!(!err.contains(bad), "{what}, {cmd}: {bad}:\n{err}");
            }
            assert_eq!(err.lines().count(), 1, "{what}, {cmd}: one line:\n{err}");
        }
    }
    // The original is untouched and still valid.
    custody(&["--store", s(&store), "verify"], None).ok();
}

/// Edits the stored status of `person` in the store's file, as someone
/// with write access to it and no key could: the chain is untouched.
fn edit_stored_status(store: &Path, person: &str, status: &str) {
    use redb::ReadableTable;
    let db = redb::Database::open(store.join("custody.redb")).unwrap();
    let table: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("status");
    let w = db.begin_write().unwrap();
    {
        let mut t = w.open_table(table).unwrap();
        let bytes = t.get(person.as_bytes()).unwrap().unwrap().value().to_vec();
        let mut st = PersonStatus::from_stored(&bytes).unwrap();
        st.status = status.parse().unwrap();
        t.insert(person.as_bytes(), st.to_stored().as_slice())
            .unwrap();
    }
    w.commit().unwrap();
}

/// A stored status edited in the file is not served silently: `status P`
/// checks the person it shows against their entries every time (and shows
/// what the chain implies, with a warning); the table, `report` and
/// `history` check the last person written at open, cheaply, and warn.
#[test]
fn a_store_with_an_edited_status_warns_its_readers() {
    let env = Env::new(CUSTODY);
    env.append_ok(concat!(
        r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}"#,
        "\n",
        r#"{"type":"death","person":"P-1","occurred_at":"2022-07-29","cause":"execution"}"#,
        "\n",
        r#"{"type":"capture","person":"P-2","occurred_at":"2023-01"}"#,
    ));
    // Intact: no warning anywhere.
    for args in [
        &["status", "P-1"][..],
        &["status"],
        &["report"],
        &["history", "P-2"],
    ] {
        let run = env.run(args);
        assert!(!run.stderr.contains("warning"), "{args:?}: {}", run.stderr);
        run.ok();
    }

    // P-1, a dead man, shown as held: his own status is checked.
    edit_stored_status(&env.store, "P-1", "held_unacknowledged");
    let run = env.run(&["status", "P-1"]);
    assert!(
        run.stderr.contains("warning: the store at")
            && run.stderr.contains("is inconsistent")
            && run.stderr.contains("custody verify"),
        "{}",
        run.stderr
    );
    let out = run.ok();
    assert!(out.contains("deceased") && !out.contains("held_"), "{out}");
    let run = env.run(&["--json", "status", "P-1"]);
    // With --json, the warning on stderr is a JSON object too.
    let warned: serde_json::Value = serde_json::from_str(run.stderr.lines().next().unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert!(
        warned["warning"]["message"]
            .as_str()
            .unwrap()
            .contains("is inconsistent"),
        "{warned}"
    );
    let v: serde_json::Value = serde_json::from_str(run.ok().trim()).unwrap();
    assert_eq!(v["status"], "deceased", "{v}");
    assert!(v["warning"].as_str().unwrap().contains("P-1"), "{v}");
    // `verify` names the same row.
    env.run(&["verify"]).fails(1, &["statuses"]);

    // P-2, the last person written: the table, the report and the
    // history warn too.
    edit_stored_status(&env.store, "P-2", "released");
    for args in [&["status"][..], &["report"], &["history", "P-2"]] {
        let run = env.run(args);
        assert!(
            run.stderr.contains("is inconsistent") && run.stderr.contains("P-2"),
            "{args:?}: {}",
            run.stderr
        );
        run.ok();
    }
    for args in [&["--json", "report"][..], &["--json", "history", "P-2"]] {
        let out = env.run(args).ok();
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert!(
            v["warning"].as_str().unwrap().contains("P-2"),
            "{args:?}: {v}"
        );
    }
    // With the last person's status edited too, P-1's own check still
    // shows the chain's status, and both are named.
    let v: serde_json::Value =
        serde_json::from_str(env.run(&["--json", "status", "P-1"]).ok().trim()).unwrap();
    assert_eq!(v["status"], "deceased", "{v}");
    let w = v["warning"].as_str().unwrap();
    assert!(w.contains("P-1") && w.contains("P-2"), "{w}");
    let table = env.run(&["--json", "status"]).ok();
    assert!(
        table.lines().all(|l| l.contains("\"warning\"")),
        "every line warns: {table}"
    );

    // Rebuilt from the chain, the store is whole again and says nothing.
    env.run(&["rebuild"]).ok();
    for args in [&["status", "P-1"][..], &["status"], &["report"]] {
        let run = env.run(args);
        assert!(!run.stderr.contains("warning"), "{args:?}: {}", run.stderr);
        run.ok();
    }
    env.verify_ok();
}
