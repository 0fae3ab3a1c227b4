//! `custody append`'s input handling: every error of a file at once
//! (`--check`), targets named by hash prefix or seq, attachments hashed from
//! their files, and the likely mistakes it refuses before signing for good
//! (dates after today, a second id for one person, UTF-16 files).

use crate::util::{self, s, Env, CUSTODY};
use sha2::Digest;

/// `custody append --key INVESTIGATOR ARGS` with `stdin`.
fn append_with(env: &Env, args: &[&str], stdin: &str) -> util::Run {
    let mut all = vec!["append", "--key", s(&env.investigator)];
    all.extend_from_slice(args);
    env.run_in(&all, stdin)
}

/// Writes `text` to `name` in the test's directory and returns its path.
fn file(env: &Env, name: &str, text: &[u8]) -> String {
    let path = env.path(name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    s(&path).to_string()
}

fn capture(person: &str, at: &str) -> String {
    format!(r#"{{"type":"capture","person":"{person}","occurred_at":"{at}"}}"#)
}

#[test]
fn check_reports_every_error_and_writes_nothing() {
    let env = Env::new(CUSTODY);
    env.append_ok(&capture("P-1", "2022"));
    let bad = [
        capture("P-2", "2022-13"),
        capture("P-3", "2022"),
        r#"{"type": capture}"#.to_string(),
        capture("P-4", "2022"),
        r#"{"type":"arrest","person":"P-5"}"#.to_string(),
    ]
    .join("\n");
    let path = file(&env, "bad.jsonl", bad.as_bytes());
    let before = env.snapshot();
    let store_file = std::fs::read(env.store.join("custody.redb")).ok();
    let err = env
        .run(&["append", "--key", s(&env.investigator), "--check", &path])
        .fails(1, &["3 errors", "would be refused", "nothing was appended"]);
    for needle in [
        "line 1, field `occurred_at`",
        "line 3",
        "line 5, field `type`",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(!err.contains("line 2") && !err.contains("line 4"), "{err}");
    assert_eq!(env.snapshot(), before, "--check changed the ledger");
    if let Some(bytes) = store_file {
        assert_eq!(
            std::fs::read(env.store.join("custody.redb")).ok(),
            Some(bytes)
        );
    }

    // Without --check, a refused input is reported whole too.
    let err = env
        .run(&["append", "--key", s(&env.investigator), &path])
        .fails(1, &["3 errors in", "nothing was appended"]);
    for needle in [
        "line 1, field `occurred_at`",
        "line 3",
        "line 5, field `type`",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert_eq!(env.snapshot(), before);

    // An input it would accept: exit 0, a summary, and still nothing written.
    let good = format!("{}\n{}\n", capture("P-1", "2023"), capture("P-9", "2023"));
    let out = append_with(&env, &["--check", "-"], &good).ok();
    assert!(
        out.contains("2 events would be appended: 1 new person, 1 person already in the ledger"),
        "{out}"
    );
    assert_eq!(env.snapshot(), before);
    let json = env
        .run_in(
            &["--json", "append", "--key", s(&env.investigator), "--check"],
            &good,
        )
        .ok();
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        (v["valid"].clone(), v["events"].clone()),
        (true.into(), 2.into())
    );
    assert_eq!(v["new_persons"], 1);
}

#[test]
fn a_refused_input_shows_its_first_50_errors_and_counts_them_all() {
    let env = Env::new(CUSTODY);
    let bad: String = (0..60)
        .map(|i| format!("{}\n", capture(&format!("P-{i}"), "2022-13")))
        .collect();
    let err = append_with(&env, &["-"], &bad).fails(1, &["60 errors", "the first 50", "--check"]);
    assert_eq!(err.matches("field `occurred_at`").count(), 50, "{err}");
    let err = append_with(&env, &["--check", "-"], &bad).fails(1, &["60 errors"]);
    assert_eq!(err.matches("field `occurred_at`").count(), 60, "{err}");
}

#[test]
fn stdout_keeps_seq_hash_lines_and_stderr_sums_up() {
    let env = Env::new(CUSTODY);
    let run = env.append(&format!(
        "{}\n{}\n{}\n",
        capture("P-1", "2022"),
        capture("P-2", "2022"),
        capture("P-1", "2023")
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        let (seq, hash) = l.split_once(' ').unwrap();
        assert!(seq.parse::<u64>().is_ok() && hash.len() == 64, "{l}");
    }
    assert!(
        run.stderr
            .contains("appended 3 entries (seq 2..4) for 2 persons"),
        "{}",
        run.stderr
    );
    let run = env.append(&capture("P-3", "2022"));
    assert!(
        run.stderr.contains("appended 1 entry (seq 5) for 1 person"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_target_is_named_by_hash_prefix_or_seq() {
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(&format!(
        "{}\n{}\n",
        capture("P-1", "2022"),
        capture("P-1", "2023")
    ));
    let (seq_a, hash_a) = acks[0].clone();
    let (seq_b, hash_b) = acks[1].clone();
    let correction = |target: &str| format!(r#"{{"type":"correction",{target},"reason":"typo"}}"#);

    // Too short, unknown, and beyond the ledger (an entry of this same
    // input cannot be named): refused, saying where hashes are shown.
    let before = env.snapshot();
    env.append(&correction(&format!(r#""target":"{}""#, &hash_a[..8])))
        .fails(1, &["field `target`", "at least 12", "target_seq"]);
    let unknown = if hash_a.starts_with("000000000000") {
        "111111111111"
    } else {
        "000000000000"
    };
    env.append(&correction(&format!(r#""target":"{unknown}""#)))
        .fails(
            1,
            &[
                "field `target`",
                "no entry's hash starts with",
                "custody log",
                "custody history",
            ],
        );
    env.append(&format!(
        "{}\n{}\n",
        capture("P-1", "2024"),
        correction(&format!(r#""target_seq":{}"#, seq_b + 1))
    ))
    .fails(
        1,
        &["line 2, field `target_seq`", "no entry", "append it first"],
    );
    assert_eq!(env.snapshot(), before);

    // A unique prefix (any case): the full hash is shown before signing,
    // and is what is signed.
    let prefix = hash_a[..12].to_uppercase();
    let run = env.append(&correction(&format!(r#""target":"{prefix}""#)));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "target {} (seq {seq_a}) is the capture of P-1 (occurred 2022), signed by Field team ({}), hash {hash_a}",
            &hash_a[..12],
            &env.investigator_pub[..12]
        )),
        "{}",
        run.stderr
    );
    let log = env
        .run(&["--json", "log", "--from", &(seq_b + 1).to_string()])
        .ok();
    assert!(log.contains(&format!(r#""target":"{hash_a}""#)), "{log}");

    // By seq, in --json: the acknowledgment carries the full target.
    let out = env
        .run_in(
            &["--json", "append", "--key", s(&env.investigator), "-"],
            &correction(&format!(r#""target_seq":{seq_b}"#)),
        )
        .ok();
    let ack: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(ack["target"]["hash"], hash_b.as_str(), "{ack}");
    assert_eq!(ack["target"]["seq"], seq_b, "{ack}");
    env.verify_ok();
}

/// A correction named by `target_seq` retracts whatever entry has that seq:
/// one off, and it is another person's evidence. Before signing, and in
/// `--check`, the target is described (type, person, date, signer), so a
/// wrong one shows; in `--json` the acknowledgment carries the same.
#[test]
fn a_target_is_described_before_it_is_signed() {
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(&format!(
        "{}\n{}\n",
        capture("P-0001", "2022-05"),
        capture("P-0002", "2023-08-01")
    ));
    let (seq, hash) = acks[1].clone();
    let correction = format!(r#"{{"type":"correction","target_seq":{seq},"reason":"typo"}}"#);
    let want = format!(
        "line 1: target seq {seq} is the capture of P-0002 (occurred 2023-08-01), signed by Field team ({}), hash {hash}",
        &env.investigator_pub[..12]
    );
    let before = env.snapshot();
    let check = append_with(&env, &["--check", "-"], &correction);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains(&want), "--check: {}", check.stderr);
    assert_eq!(env.snapshot(), before);

    let run = append_with(&env, &["-"], &correction);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(&want), "{}", run.stderr);

    let retract_first = format!(
        r#"{{"type":"correction","target_seq":{},"reason":"duplicate"}}"#,
        acks[0].0
    );
    let run = env.run_in(
        &["--json", "append", "--key", s(&env.investigator), "-"],
        &retract_first,
    );
    // The description on stderr is a JSON object too, as every line there
    // is with --json.
    let resolved: serde_json::Value =
        serde_json::from_str(run.stderr.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert_eq!(resolved["resolved"]["line"], 1, "{resolved}");
    assert_eq!(
        resolved["resolved"]["target"]["person"], "P-0001",
        "{resolved}"
    );
    let out = run.ok();
    let ack: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let target = &ack["target"];
    assert_eq!(target["hash"], acks[0].1.as_str(), "{ack}");
    assert_eq!(target["type"], "capture", "{ack}");
    assert_eq!(target["person"], "P-0001", "{ack}");
    assert_eq!(target["occurred_at"], "2022-05", "{ack}");
    assert_eq!(target["holder"], "Field team", "{ack}");
    assert_eq!(target["signer"], env.investigator_pub.as_str(), "{ack}");
}

/// Runs `custody --store STORE ARGS`, killing it if it is still running
/// after a while, so that a command that waits for ever fails the test
/// instead of hanging it.
fn run_or_kill(env: &Env, args: &[&str]) -> util::Run {
    use std::process::{Command, Stdio};
    let mut child = Command::new(util::BIN)
        .args(["--store", s(&env.store)])
        .args(args)
        .env_remove("CUSTODY_STORE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run custody");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().expect("kill");
            let out = child.wait_with_output().expect("wait");
            panic!(
                "custody {args:?} still running after 20 s: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("wait");
    util::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An attachment's `file` that is a FIFO or a device never ends: reading it
/// to hash it would hang append for ever, holding the store's lock. Only a
/// regular file (after symlinks) is read; the rest is refused, naming the
/// line, the field, the path and what it is.
#[test]
fn an_attachment_that_is_not_a_regular_file_is_refused() {
    let env = Env::new(CUSTODY);
    let fifo = env.path("pipe.mp4");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let link = env.path("zero-link.mp4");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let before = env.snapshot();
    for (path, what) in [
        (s(&fifo), "a FIFO"),
        ("/dev/zero", "a device"),
        ("/dev/urandom", "a device"),
        (s(&link), "a device"),
        (s(env.dir.path()), "a directory"),
    ] {
        let record = format!(
            "{}\n{}",
            capture("P-1", "2022"),
            serde_json::json!({"type":"capture","person":"P-1","occurred_at":"2022",
                "attachments":[{"file": path}]})
        );
        let input = file(&env, "in.jsonl", record.as_bytes());
        let run = run_or_kill(&env, &["append", "--key", s(&env.investigator), &input]);
        let err = run.fails(
            1,
            &[
                "line 2, field `attachments[0].file`",
                path,
                "is not a regular file",
                what,
            ],
        );
        assert!(err.contains("nothing was appended"), "{err}");
    }
    assert_eq!(env.snapshot(), before);
}

/// With `--json`, a refused input is one JSON object on standard error,
/// every error in its `details` (line, field, message), and no line of
/// text: a script reads one object, not text then an object saying "listed
/// above".
#[test]
fn json_errors_of_an_input_are_one_object() {
    let env = Env::new(CUSTODY);
    let bad = [
        capture("P-2", "2022-13"),
        capture("P-3", "2022"),
        r#"{"type":"arrest","person":"P-5"}"#.to_string(),
    ]
    .join("\n");
    let path = file(&env, "bad.jsonl", bad.as_bytes());
    let before = env.snapshot();
    for check in [false, true] {
        let mut args = vec!["--json", "append", "--key", s(&env.investigator)];
        if check {
            args.push("--check");
        }
        args.push(&path);
        let run = env.run(&args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "--check {check}: {}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        let error = &v["error"];
        assert_eq!(error["exit"], 1, "{v}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("2 errors"), "{message}");
        assert!(!message.contains("listed above"), "{message}");
        let details = error["details"].as_array().expect("details");
        assert_eq!(details.len(), 2, "{v}");
        assert_eq!(details[0]["line"], 1, "{v}");
        assert_eq!(details[0]["field"], "occurred_at", "{v}");
        assert_eq!(details[1]["line"], 3, "{v}");
        assert_eq!(details[1]["field"], "type", "{v}");
        assert!(details[1]["message"].as_str().unwrap().len() > 10, "{v}");
    }
    // One error: the same shape.
    let run = env.run_in(
        &["--json", "append", "--key", s(&env.investigator), "-"],
        &capture("P-2", "2022-13"),
    );
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(v["error"]["details"][0]["field"], "occurred_at", "{v}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn an_attachment_named_by_its_file_is_hashed_from_it() {
    let env = Env::new(CUSTODY);
    let video: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    file(&env, "case/media/clip.mp4", &video);
    let want = hex::encode(sha2::Sha256::digest(&video));
    // Relative to the input file's directory, not the working directory.
    let input = file(
        &env,
        "case/in.jsonl",
        br#"{"type":"capture","person":"P-1","occurred_at":"2022","attachments":[{"file":"media/clip.mp4","description":"the arrest"}]}"#,
    );
    env.run(&["append", "--key", s(&env.investigator), &input])
        .ok();
    let log = env.run(&["--json", "log", "--from", "2"]).ok();
    let entry: serde_json::Value = serde_json::from_str(log.trim()).unwrap();
    let att = &entry["event"]["attachments"][0];
    assert_eq!(att["sha256"], want.as_str(), "{entry}");
    assert_eq!(att["media_type"], "video/mp4");
    assert!(att.get("file").is_none(), "the path is not signed: {entry}");

    let before = env.snapshot();
    let missing = file(
        &env,
        "case/missing.jsonl",
        format!("{}\n{}", capture("P-1", "2023"), r#"{"type":"capture","person":"P-1","occurred_at":"2022","attachments":[{"file":"media/gone.mp4"}]}"#).as_bytes(),
    );
    env.run(&["append", "--key", s(&env.investigator), &missing])
        .fails(1, &["line 2, field `attachments[0].file`", "gone.mp4"]);
    let mismatch = file(
        &env,
        "case/mismatch.jsonl",
        format!(
            r#"{{"type":"capture","person":"P-1","occurred_at":"2022","attachments":[{{"file":"media/clip.mp4","sha256":"{}"}}]}}"#,
            "ab".repeat(32)
        )
        .as_bytes(),
    );
    env.run(&["append", "--key", s(&env.investigator), &mismatch])
        .fails(
            1,
            &["field `attachments[0].sha256`", "is not the SHA-256", &want],
        );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn dates_after_today_are_refused_at_their_precision() {
    let env = Env::new(CUSTODY);
    let check = |at: &str| {
        util::custody_env(
            &[
                "--store",
                s(&env.store),
                "append",
                "--key",
                s(&env.investigator),
                "--check",
            ],
            Some(&capture("P-1", at)),
            &[("CUSTODY_TEST_CLOCK", "2026-06-15T12:00:00Z")],
        )
    };
    for at in ["2026", "2026-06", "2026-06-15", "2026-06-15T11:00:00Z"] {
        check(at).ok();
    }
    for at in [
        "2027",
        "2099",
        "2026-07",
        "2026-06-17",
        "2026-06-15T18:00:00Z",
    ] {
        check(at).fails(1, &["line 1, field `occurred_at`", "in the future"]);
    }
    let born = r#"{"type":"missing_report","person":"P-1","occurred_at":"2023","category":"civilian","date_of_birth":"2030-01"}"#;
    env.append(born)
        .fails(1, &["field `date_of_birth`", "in the future"]);
}

#[test]
fn a_new_id_near_another_must_be_confirmed() {
    let env = Env::new(CUSTODY);
    env.append_ok(&capture("UA-0101", "2022"));
    let before = env.snapshot();
    for near in ["ua-0101", "UA-O101", "UA0101", "AU-0101"] {
        env.append(&capture(near, "2022")).fails(
            1,
            &[
                "line 1, field `person`",
                near,
                "is near UA-0101",
                &format!("--new-person {near}"),
            ],
        );
    }
    // Two new ids of one input near each other.
    env.append(&format!(
        "{}\n{}\n",
        capture("KH-7", "2022"),
        capture("kh-7", "2022")
    ))
    .fails(
        1,
        &[
            "line 1, field `person`",
            "line 2, field `person`",
            "(new, line 2)",
        ],
    );
    assert_eq!(env.snapshot(), before);

    // Another number is another person; a known id is not new.
    env.append_ok(&format!(
        "{}\n{}\n",
        capture("UA-0102", "2022"),
        capture("UA-0101", "2023")
    ));
    // Confirmed.
    append_with(
        &env,
        &["--new-person", "ua-0101", "-"],
        &capture("ua-0101", "2022"),
    )
    .ok();
    append_with(
        &env,
        &["--new-person", "kh-7", "-"],
        &format!("{}\n{}\n", capture("KH-7", "2022"), capture("kh-7", "2022")),
    )
    .ok();
}

/// A person whose every entry was retracted has no status, but their id
/// is still taken: a new id one typo away from it is refused too.
#[test]
fn an_id_near_a_retracted_person_must_be_confirmed() {
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(&capture("OD-5521", "2022"));
    env.append_ok(&format!(
        r#"{{"type":"correction","target":"{}","reason":"entered twice"}}"#,
        acks[0].1
    ));
    env.append(&capture("od-5521", "2022"))
        .fails(1, &["od-5521", "is near OD-5521"]);
}

#[test]
fn encodings_are_named_and_a_byte_order_mark_is_skipped() {
    let env = Env::new(CUSTODY);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(capture("P-1", "2022").as_bytes());
    let path = file(&env, "bom.jsonl", &bom);
    env.run(&["append", "--key", s(&env.investigator), &path])
        .ok();

    let before = env.snapshot();
    let mut utf16 = b"\xFF\xFE".to_vec();
    utf16.extend(
        capture("P-2", "2022")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let path = file(&env, "utf16.jsonl", &utf16);
    env.run(&["append", "--key", s(&env.investigator), &path])
        .fails(1, &["utf16.jsonl: line 1", "is UTF-16", "save it as UTF-8"]);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn messages_say_what_to_write() {
    let env = Env::new(CUSTODY);
    env.append(r#"{"type":"capture","person":"P-1","occurred_at":"2022","place":""}"#)
        .fails(
            1,
            &[
                "field `place`",
                "omit the field `place` rather than giving an empty string",
            ],
        );
    env.append(&capture("P-1", "2023-05-01T10:00")).fails(
        1,
        &[
            "field `occurred_at`",
            "needs a time zone",
            "2023-05-01T10:00:00Z",
            "+03:00",
            "only the date",
        ],
    );
    env.append(r#"{"type":"capture","person":"P-1","occurred_at":"2022",}"#)
        .fails(1, &["line 1", "remove the comma"]);
}
