//! End-to-end tests of the core ledger: keys, init, append, verify, export,
//! and every refusal leaving the ledger exactly as it was.

use crate::util::{self, custody, custody_env, custody_on, s, Env, ALL_TYPES, CUSTODY};
use std::process::{Command, Stdio};

#[test]
fn every_event_type_appends_and_verifies() {
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(ALL_TYPES);
    assert_eq!(acks.len(), 7);
    assert_eq!(
        acks.iter().map(|a| a.0).collect::<Vec<_>>(),
        (2..=8).collect::<Vec<_>>()
    );

    // A correction that retracts, and one that replaces, by entry hash.
    let sighting = &acks[2].1;
    let capture = &acks[1].1;
    let corrections = format!(
        "{{\"type\":\"correction\",\"target\":\"{sighting}\",\"reason\":\"misidentified person\"}}\n\
         {{\"type\":\"correction\",\"target\":\"{capture}\",\"reason\":\"date was wrong\",\"replacement\":{{\"type\":\"capture\",\"person\":\"P-0001\",\"occurred_at\":\"2022-05-16\",\"place\":\"Mariupol\"}}}}\n"
    );
    let acks2 = env.append_ok(&corrections);
    assert_eq!(acks2[0].0, 9);

    let report = env.verify_ok();
    assert_eq!(report["length"], 11);
    assert_eq!(report["head_seq"], 10);
    assert_eq!(report["head_hash"], acks2[1].1.as_str());
    assert_eq!(report["ledger_name"], "test.ledger");

    // The log shows each entry with the hash that was acknowledged.
    let log = env.run(&["--json", "log"]).ok();
    let views: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(views.len(), 11);
    assert_eq!(views[8]["event"]["type"], "death");
    assert_eq!(
        views[8]["event"]["occurred_at"], "2022-07-29T07:00:00Z",
        "an instant is normalised to UTC"
    );
    assert_eq!(
        views[2]["event"]["occurred_at"], "2023-07",
        "precision kept"
    );
    assert_eq!(views[3]["hash"], acks[1].1.as_str());
    assert_eq!(
        views[10]["event"]["replacement"]["occurred_at"],
        "2022-05-16"
    );

    // The export verifies without the store.
    let export = env.path("export.jsonl");
    env.run(&["export", "--out", s(&export)]).ok();
    let out = custody(&["--json", "verify", "--export", s(&export)], None).ok();
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["length"], 11);
    assert_eq!(v["head_hash"], report["head_hash"]);
}

/// Runs a refused command and checks the ledger did not change.
fn refused(env: &Env, run: impl FnOnce(&Env) -> util::Run, code: i32, needles: &[&str]) {
    let before = env.snapshot();
    run(env).fails(code, needles);
    assert_eq!(
        env.snapshot(),
        before,
        "a refused command changed the ledger"
    );
    env.verify_ok();
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new(CUSTODY);
    env.append_ok(r#"{"type":"capture","person":"P-1","occurred_at":"2022"}"#);
    let good = r#"{"type":"capture","person":"P-2","occurred_at":"2022-03"}"#;

    // Malformed JSON on line 2 of a batch: nothing of the batch is written.
    refused(
        &env,
        |e| e.append(&format!("{good}\n{{\"type\":\"capture\",\n")),
        1,
        &["line 2", "malformed JSON", "nothing was appended"],
    );
    refused(
        &env,
        |e| e.append(&format!("{good}\n{{\"type\": capture}}\n")),
        1,
        &["line 2", "malformed JSON"],
    );
    refused(
        &env,
        |e| {
            e.append(&format!(
                "{good}\n{good}\n{{\"type\":\"arrest\",\"person\":\"P-1\"}}\n"
            ))
        },
        1,
        &["line 3", "field `type`", "unknown type \"arrest\""],
    );
    refused(
        &env,
        |e| e.append(r#"{"type":"capture","occurred_at":"2022"}"#),
        1,
        &["line 1", "field `person`", "missing field"],
    );
    refused(
        &env,
        |e| e.append(r#"{"type":"capture","person":"P-1","occurred_at":"2022-13-01"}"#),
        1,
        &["line 1", "field `occurred_at`", "2022-13-01"],
    );
    refused(
        &env,
        |e| {
            e.append(
                r#"{"type":"sighting","person":"P-1","occurred_at":"17/05/2022","source":"tv"}"#,
            )
        },
        1,
        &["field `occurred_at`", "YYYY-MM-DD"],
    );
    refused(
        &env,
        |e| {
            e.append(
                r#"{"type":"capture","person":"P-1","occurred_at":"2022","attachments":[{"sha256":"not-a-hash","media_type":"image/jpeg"}]}"#,
            )
        },
        1,
        &["field `attachments[0].sha256`", "64 hex digits"],
    );
    refused(
        &env,
        |e| {
            e.append(r#"{"type":"sighting","person":"P-1","occurred_at":"2022","source":"rumour"}"#)
        },
        1,
        &["field `source`", "rumour"],
    );
    refused(
        &env,
        |e| e.append(r#"{"type":"capture","person":"P-1","occured_at":"2022"}"#),
        1,
        &["field `occured_at`", "unknown field"],
    );
    refused(
        &env,
        |e| {
            e.append(&format!(
                "{{\"type\":\"correction\",\"target\":\"{}\",\"reason\":\"x\"}}",
                "ab".repeat(32)
            ))
        },
        1,
        &["line 1", "field `target`", "no entry with hash"],
    );
    refused(&env, |e| e.append("\n\n"), 1, &["no events"]);
}

#[test]
fn unauthorised_keys_are_refused() {
    let env = Env::new(CUSTODY);
    let stranger = env.path("stranger.pem");
    let stranger_pub = custody(&["key", "generate", "--out", s(&stranger)], None)
        .ok()
        .trim()
        .to_string();
    let event = r#"{"type":"capture","person":"P-1","occurred_at":"2022"}"#;

    // Unknown key.
    refused(
        &env,
        |e| e.run_in(&["append", "--key", s(&stranger)], event),
        1,
        &["not known to this ledger", "custody key grant"],
    );
    // The authority may govern but not append evidence.
    refused(
        &env,
        |e| e.run_in(&["append", "--key", s(&e.authority)], event),
        1,
        &["does not hold the role `investigator`"],
    );
    // An investigator key trying to grant.
    refused(
        &env,
        |e| {
            e.run(&[
                "key",
                "grant",
                "--authority-key",
                s(&e.investigator),
                "--role",
                "investigator",
                "--holder",
                "me",
                "--public-key",
                &stranger_pub,
            ])
        },
        1,
        &["does not hold the role `authority`"],
    );
    // The last authority cannot be revoked (nobody could govern after).
    let authority_pub = custody(&["key", "public", "--key", s(&env.authority)], None)
        .ok()
        .trim()
        .to_string();
    refused(
        &env,
        |e| e.revoke(&authority_pub, "test"),
        1,
        &["last authority"],
    );

    // A revoked key.
    env.append_ok(event);
    env.revoke(&env.investigator_pub, "device lost").ok();
    refused(
        &env,
        |e| e.append(event),
        1,
        &["was revoked at seq", "device lost"],
    );
    // ... and cannot be granted again.
    refused(
        &env,
        |e| e.grant_investigator("again", &e.investigator_pub),
        1,
        &["cannot be granted again"],
    );
    // The key list shows the revocation.
    let list = env.run(&["key", "list"]).ok();
    assert!(list.contains("revoked@"), "{list}");
    // Entries signed before the revocation still verify.
    assert_eq!(env.verify_ok()["length"], 4);
}

#[test]
fn store_paths_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let key = dir.path().join("k.pem");
    custody(&["key", "generate", "--out", s(&key)], None).ok();

    // Every command but init refuses a path without a ledger, and creates nothing.
    for args in [
        vec!["verify"],
        vec!["log"],
        vec!["export"],
        vec!["key", "list"],
        vec!["append", "--key", s(&key)],
    ] {
        custody_on(&missing, &args, Some("")).fails(2, &["no ledger at", "custody init"]);
        assert!(!missing.exists(), "a command created the store directory");
    }
    // No store given at all.
    custody(&["verify"], None).fails(2, &["--store", "CUSTODY_STORE"]);
    // A non-empty directory that is not a ledger.
    custody(&["--store", s(dir.path()), "verify"], None).fails(2, &["no ledger at"]);
    custody(
        &["--store", s(dir.path()), "init", "--authority-key", s(&key)],
        None,
    )
    .fails(2, &["not empty"]);

    // CUSTODY_STORE works like --store; init refuses to run twice.
    let store = dir.path().join("ledger");
    let envs = [("CUSTODY_STORE", s(&store))];
    custody_env(&["init", "--authority-key", s(&key)], None, &envs).ok();
    custody_env(&["verify"], None, &envs).ok();
    custody_env(&["init", "--authority-key", s(&key)], None, &envs)
        .fails(2, &["already holds a ledger"]);

    // A store of the first development builds (sled's `conf` and `db`) is
    // refused with the way out, and left exactly as it was: not read as
    // something else, not initialised over, not "repaired".
    let old = dir.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::write(old.join("conf"), b"segment_size: 524288\n").unwrap();
    std::fs::write(old.join("db"), [7u8; 4096]).unwrap();
    for args in [
        vec!["status"],
        vec!["verify"],
        vec!["append", "--key", s(&key)],
        vec!["init", "--authority-key", s(&key)],
    ] {
        let err = custody_on(&old, &args, Some("")).fails(2, &[]);
        if args[0] == "init" {
            assert!(err.contains("already holds a ledger"), "{err}");
        } else {
            for needle in ["sled layout", "custody export", "custody restore"] {
                assert!(err.contains(needle), "{args:?}: lacks {needle:?}:\n{err}");
            }
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(&old)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["conf", "db"]);
    assert_eq!(std::fs::read(old.join("db")).unwrap(), [7u8; 4096]);
}

#[test]
fn keys_are_private_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let public = custody(&["key", "generate", "--out", s(&key)], None).ok();
    assert_eq!(public.trim().len(), 64);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(!public.contains("PRIVATE"), "the private key was printed");

    custody(&["key", "generate", "--out", s(&key)], None).fails(2, &["already exists"]);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);

    let pub_pem = dir.path().join("k.pub.pem");
    let again = custody(
        &["key", "public", "--key", s(&key), "--out", s(&pub_pem)],
        None,
    )
    .ok();
    assert_eq!(again, public);
    assert!(std::fs::read_to_string(&pub_pem)
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    // A private key where a public one is expected is refused.
    let store = dir.path().join("ledger");
    custody(
        &["--store", s(&store), "init", "--authority-key", s(&key)],
        None,
    )
    .ok();
    custody(
        &[
            "--store",
            s(&store),
            "key",
            "grant",
            "--authority-key",
            s(&key),
            "--role",
            "investigator",
            "--holder",
            "x",
            "--public-key-file",
            s(&key),
        ],
        None,
    )
    .fails(2, &["this is a private key"]);
}

#[test]
fn openssl_keys_are_accepted() {
    if Command::new("openssl").arg("version").output().is_err() {
        panic!("openssl is needed for this test; .ci/run installs it");
    }
    let dir = tempfile::tempdir().unwrap();
    let authority = dir.path().join("authority.pem");
    let investigator = dir.path().join("investigator.pem");
    let investigator_pub = dir.path().join("investigator.pub.pem");
    for (args, what) in [
        (
            vec!["genpkey", "-algorithm", "ed25519", "-out", s(&authority)],
            "genpkey",
        ),
        (
            vec!["genpkey", "-algorithm", "ed25519", "-out", s(&investigator)],
            "genpkey",
        ),
        (
            vec![
                "pkey",
                "-in",
                s(&investigator),
                "-pubout",
                "-out",
                s(&investigator_pub),
            ],
            "pkey -pubout",
        ),
    ] {
        let st = Command::new("openssl").args(&args).status().unwrap();
        assert!(st.success(), "openssl {what} failed");
    }
    let store = dir.path().join("ledger");
    let st = s(&store);
    custody(
        &["--store", st, "init", "--authority-key", s(&authority)],
        None,
    )
    .ok();
    custody(
        &[
            "--store",
            st,
            "key",
            "grant",
            "--authority-key",
            s(&authority),
            "--role",
            "investigator",
            "--holder",
            "openssl user",
            "--public-key-file",
            s(&investigator_pub),
        ],
        None,
    )
    .ok();
    custody(
        &["--store", st, "append", "--key", s(&investigator)],
        Some(r#"{"type":"capture","person":"P-1","occurred_at":"2022"}"#),
    )
    .ok();
    // The public key custody derives equals the one openssl wrote.
    let ours = custody(&["key", "public", "--key", s(&investigator)], None).ok();
    let list = custody(&["--store", st, "--json", "key", "list"], None).ok();
    assert!(list.contains(ours.trim()), "{list}");
    custody(&["--store", st, "verify"], None).ok();
}

#[test]
fn a_store_in_use_is_reported_not_corrupted() {
    let env = Env::new(CUSTODY);
    // A writer holds the store (as a running server does): a second writer
    // is told the store is in use; a reader reads the last commit.
    let holder = env.hold_open_for_writing();
    env.run(&["checkpoint", "--key", s(&env.authority)])
        .fails(2, &["store is in use"]);
    assert_eq!(
        env.verify_ok()["length"],
        2,
        "a reader is not blocked by a writer"
    );
    drop(holder);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    assert_eq!(env.verify_ok()["length"], 4);
}

/// `append` checks its input without the write lock (reading it, hashing
/// its attachments, looking for near-duplicate ids over every person), and
/// takes the lock only to commit: an investigator slow to finish typing,
/// or a large file being hashed, holds up no other writer. What changed in
/// between is checked again at the commit.
#[test]
fn append_holds_no_lock_while_it_reads_its_input() {
    use std::io::Write;
    let env = Env::new(CUSTODY);
    let mut slow = Command::new(CUSTODY.bin())
        .args([
            "--store",
            s(&env.store),
            "append",
            "--key",
            s(&env.investigator),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = slow.stdin.take().unwrap();
    stdin
        .write_all(b"{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022\"}\n")
        .unwrap();
    custody_testkit::cli::wait_until_reading_stdin(&mut slow);
    // While it still reads, another writer appends and checkpoints.
    env.append_ok(r#"{"type":"capture","person":"P-2","occurred_at":"2022"}"#);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    drop(stdin);
    let out = slow.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Both are in, the slow one after the checkpoint.
    let v = env.verify_ok();
    assert_eq!(v["length"], 6, "{v}");
    let log = env.run(&["--json", "log"]).ok();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"]["person"], "P-1", "{last}");
}

/// A reader that stalls (a pager, a full pipe) holds a snapshot, not a
/// lock: a revocation or an append goes through meanwhile, and the reader
/// goes on reading the ledger as it was when it opened it.
#[test]
fn a_stalled_reader_does_not_block_a_writer() {
    use std::io::Read;
    let env = Env::new(CUSTODY);
    let records: String = (0..800)
        .map(|i| {
            format!("{{\"type\":\"capture\",\"person\":\"P-{i}\",\"occurred_at\":\"2022\"}}\n")
        })
        .collect();
    env.append_ok(&records);
    // `log` writes far more than a pipe holds; nobody reads it yet.
    let mut reader = Command::new(util::BIN)
        .args(["--store", s(&env.store), "log"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        reader.try_wait().unwrap().is_none(),
        "the reader is stalled"
    );
    let acked = env.append_ok(r#"{"type":"capture","person":"P-X","occurred_at":"2023"}"#);
    assert_eq!(acked[0].0, 802);
    // The stalled reader sees the ledger as it opened it.
    let mut out = String::new();
    reader
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(reader.wait().unwrap().success());
    assert_eq!(out.lines().count(), 802, "genesis, grant and 800 captures");
    assert!(!out.contains("P-X"));
    assert_eq!(env.verify_ok()["length"], 803);
}

#[test]
fn json_output_and_help_document_exit_codes() {
    let help = custody(&["--help"], None).ok();
    assert!(help.contains("Exit codes"), "{help}");
    assert!(help.contains("2  usage"), "{help}");
    let env = Env::new(CUSTODY);
    let out = env
        .run_in(
            &["--json", "append", "--key", s(&env.investigator)],
            r#"{"type":"capture","person":"P-1","occurred_at":"2022"}"#,
        )
        .ok();
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["seq"], 2);
    assert_eq!(v["hash"].as_str().unwrap().len(), 64);
}

#[test]
fn the_demo_runs_and_catches_tampering() {
    let out = custody(&["demo"], None).ok();
    assert!(out.contains("VALID"), "{out}");
    assert!(out.contains("INVALID at line"), "{out}");
    assert!(out.contains("disclosure"), "{out}");
    assert!(out.contains("signature"), "{out}");
    assert!(
        out.contains("verified offline against the pinned authority"),
        "{out}"
    );
}

/// An acknowledged append has passed through redb's two-phase commit, each
/// phase synced, before it is acknowledged (docs/ARCHITECTURE.md, "Crash
/// safety", step 2): after the last read of the input and before the
/// acknowledgment, the store's file is written, then synced at least twice,
/// the last sync after the last write. Runs under strace (`-y` names the
/// file behind each descriptor); where strace is missing or cannot trace
/// here, says so and checks nothing else.
#[test]
fn an_append_is_fsynced_before_it_is_acknowledged() {
    let env = Env::new(CUSTODY);
    let probe = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .status();
    if !matches!(probe, Ok(st) if st.success()) {
        eprintln!("strace is not usable here; durability not traced");
        return;
    }
    let trace = env.path("strace.txt");
    let mut child = Command::new("strace")
        .args([
            "-f",
            "-y",
            "-e",
            "trace=read,pwrite64,fsync,fdatasync,write",
            "-o",
            s(&trace),
            util::BIN,
            "--store",
            s(&env.store),
            "append",
            "--key",
            s(&env.investigator),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022\"}\n{\"type\":\"capture\",\"person\":\"P-2\",\"occurred_at\":\"2022\"}\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The acknowledgment is the write of "2 <hash>" to stdout (fd 1).
    let ack = lines
        .iter()
        .position(|l| l.contains("write(1") && l.contains(", \"2 "))
        .expect("the acknowledgment was written");
    let input_read = lines[..ack]
        .iter()
        .rposition(|l| l.contains("read(0"))
        .expect("the input was read");
    let commit = &lines[input_read..ack];
    let on_store = |l: &&&str| l.contains("custody.redb>");
    let is_sync = |l: &&&str| l.contains("fsync(") || l.contains("fdatasync(");
    let writes: Vec<usize> = (0..commit.len())
        .filter(|&i| on_store(&&commit[i]) && commit[i].contains("pwrite64("))
        .collect();
    let syncs: Vec<usize> = (0..commit.len())
        .filter(|&i| on_store(&&commit[i]) && is_sync(&&commit[i]))
        .collect();
    assert!(
        !writes.is_empty(),
        "the store was not written between the input and the acknowledgment:\n{text}"
    );
    assert!(
        syncs.len() >= 2,
        "fewer than two syncs of the store (a two-phase commit) before the acknowledgment:\n{text}"
    );
    // In redb's single-writer mode (readers in other processes follow the
    // writer), the write that makes the commit primary marks it unflushed
    // for those readers, and one more write of the 320-byte header clears
    // the mark once the commit is synced: the only write allowed after
    // the last sync. (If it is lost, the next writer clears it; the commit
    // itself was durable before it.)
    let publish = |i: &usize| commit[*i].contains(", 320, 0)");
    let last_data_write = writes.iter().rev().find(|i| !publish(i));
    assert!(
        syncs.last() > last_data_write,
        "the store was written after its last sync, before the acknowledgment:\n{text}"
    );
    assert!(
        writes
            .iter()
            .filter(|i| Some(*i) > syncs.last())
            .all(publish),
        "only the header's publishing write may follow the last sync:\n{text}"
    );
}

#[test]
fn an_entry_is_corrected_once() {
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(r#"{"type":"capture","person":"P-1","occurred_at":"2022"}"#);
    let target = &acks[0].1;
    let fix = format!("{{\"type\":\"correction\",\"target\":\"{target}\",\"reason\":\"wrong\"}}\n");
    refused(
        &env,
        |e| e.append(&format!("{fix}{fix}")),
        1,
        &["line 2", "already corrected on line 1"],
    );
    env.append_ok(&fix);
    refused(&env, |e| e.append(&fix), 1, &["already corrected by entry"]);
}

/// A prosecutor verifies a copy of the store, perhaps on read-only media:
/// no reading command may write to it. The file's bytes and modification
/// time are compared before and after every one of them.
#[test]
fn reading_commands_never_write_the_store() {
    let env = Env::new(CUSTODY);
    env.append_ok(ALL_TYPES);
    let db = env.store.join("custody.redb");
    let before = std::fs::read(&db).unwrap();
    let mtime = std::fs::metadata(&db).unwrap().modified().unwrap();
    let export = env.path("export.jsonl");
    let reads: Vec<Vec<&str>> = vec![
        vec!["status"],
        vec!["status", "P-0001"],
        vec!["status", "P-0001", "--as-of", "2022-06-01"],
        vec!["history", "P-0001"],
        vec!["report"],
        vec!["log"],
        vec!["verify"],
        vec!["export", "--out", s(&export)],
        vec!["key", "list"],
    ];
    for args in &reads {
        env.run(args).ok();
        assert!(
            std::fs::read(&db).unwrap() == before,
            "`custody {}` changed the store's bytes",
            args.join(" ")
        );
        assert_eq!(
            std::fs::metadata(&db).unwrap().modified().unwrap(),
            mtime,
            "`custody {}` wrote to the store",
            args.join(" ")
        );
    }
}

/// `compact` gives free space back and changes nothing a user can see: the
/// export (every entry's bytes) and every status are identical, and the
/// chain still verifies.
#[test]
fn compact_changes_nothing_in_the_ledger() {
    let env = Env::new(CUSTODY);
    env.append_ok(ALL_TYPES);
    let export = |name: &str| {
        let path = env.path(name);
        env.run(&["export", "--out", s(&path)]).ok();
        std::fs::read(&path).unwrap()
    };
    let exported = export("before.jsonl");
    let statuses = env.run(&["--json", "status"]).ok();
    let db = env.store.join("custody.redb");
    let out = env.run(&["--json", "compact"]).ok();
    let out: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        out["bytes_after"].as_u64().unwrap() <= out["bytes_before"].as_u64().unwrap(),
        "{out}"
    );
    assert_eq!(
        out["bytes_after"].as_u64().unwrap(),
        std::fs::metadata(&db).unwrap().len()
    );
    assert_eq!(export("after.jsonl"), exported);
    assert_eq!(env.run(&["--json", "status"]).ok(), statuses);
    assert_eq!(env.verify_ok()["length"], 9);
    // A ledger that was compacted takes appends as before.
    env.append_ok(
        r#"{"type":"sighting","person":"P-0001","occurred_at":"2023-01","source":"returned_pow"}"#,
    );
    assert_eq!(env.verify_ok()["length"], 10);
}

/// Every file under `dir` but the store's database, with its bytes.
fn files_beside_the_database(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_beside_the_database(&path));
        } else if path.file_name().unwrap() != "custody.redb" {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// `compact` rewrites the store's file (so that no byte of a deleted row
/// survives: issue 15) and puts the new file in the old one's place: on
/// the demo's store, with access tokens issued, the file is another inode,
/// private (0600), no larger; `verify` says what it said; nothing else in
/// the store's directory changed, and no temporary file is left.
#[test]
fn compact_replaces_the_store_file_and_nothing_beside_it() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("demo");
    custody(&["demo", "--keep", s(&kept)], None).ok();
    let store = kept.join("ledger");
    let on = |args: &[&str]| custody_on(&store, args, None);
    let authority = kept.join("keys").join("authority.pem");
    on(&[
        "token",
        "issue",
        "--holder",
        "Clerk A",
        "--role",
        "reader",
        "--key",
        s(&authority),
    ])
    .ok();
    // The old statuses' pages are freed: there is space to give back.
    on(&["rebuild"]).ok();
    let db = store.join("custody.redb");
    let before = std::fs::metadata(&db).unwrap();
    let beside = files_beside_the_database(&store);
    assert!(
        beside
            .iter()
            .any(|(p, _)| p.ends_with("access/tokens.json")),
        "{beside:?}"
    );
    let verified = on(&["--json", "verify"]).ok();
    let statuses = on(&["--json", "status"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(on(&["--json", "compact"]).ok().trim()).unwrap();
    let after = std::fs::metadata(&db).unwrap();
    assert_ne!(
        after.ino(),
        before.ino(),
        "compact wrote the old file in place"
    );
    assert_eq!(after.permissions().mode() & 0o777, 0o600);
    assert!(
        after.len() <= before.len(),
        "{} > {}",
        after.len(),
        before.len()
    );
    assert_eq!(out["bytes_before"].as_u64(), Some(before.len()));
    assert_eq!(out["bytes_after"].as_u64(), Some(after.len()));
    assert!(!store.join("custody.redb.rewrite").exists());
    assert_eq!(files_beside_the_database(&store), beside);
    assert_eq!(on(&["--json", "verify"]).ok(), verified);
    assert_eq!(on(&["--json", "status"]).ok(), statuses);
}

/// A copy of the store taken while a writer had it open — as a forensic
/// image of a live or crashed server would be — is "unclean": redb must
/// recover it before reading. A reading command recovers it in memory: it
/// answers exactly as the original does, and the copy's bytes and
/// modification time do not change. A writer then recovers it for good.
#[test]
fn an_unclean_copy_is_read_without_being_written() {
    let env = Env::new(CUSTODY);
    env.append_ok(ALL_TYPES);
    let reads: [&[&str]; 5] = [
        &["--json", "status"],
        &["--json", "history", "P-0001"],
        &["--json", "report"],
        &["--json", "log"],
        &["key", "list"],
    ];
    let answers: Vec<String> = reads.iter().map(|a| env.run(a).ok()).collect();
    let head = env.verify_ok()["head_hash"].clone();

    // A copy taken while a writer holds the store open.
    let holder = env.hold_open_for_writing();
    let copy = env.path("copy");
    util::copy_dir(&env.store, &copy);
    drop(holder);

    let db = copy.join("custody.redb");
    let bytes = std::fs::read(&db).unwrap();
    let mtime = std::fs::metadata(&db).unwrap().modified().unwrap();
    let on_copy = |args: &[&str]| custody_on(&copy, args, None);
    for (args, answer) in reads.iter().zip(&answers) {
        assert_eq!(&on_copy(args).ok(), answer, "custody {}", args.join(" "));
    }
    let verified: serde_json::Value =
        serde_json::from_str(on_copy(&["--json", "verify"]).ok().trim()).unwrap();
    assert_eq!(verified["head_hash"], head);
    assert!(
        std::fs::read(&db).unwrap() == bytes,
        "a reader wrote to the copy"
    );
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), mtime);

    // A writer recovers the copy in the file; it then takes appends.
    custody(
        &["--store", s(&copy), "append", "--key", s(&env.investigator)],
        Some(r#"{"type":"sighting","person":"P-0001","occurred_at":"2023-02","source":"video"}"#),
    )
    .ok();
    let verified: serde_json::Value =
        serde_json::from_str(on_copy(&["--json", "verify"]).ok().trim()).unwrap();
    assert_eq!(verified["length"], 10);
}

/// Small things a first hour stumbles on: `key list` has a header and
/// aligned columns; a refused `init` says what is wrong without "event 1 of
/// the batch"; `--authority` takes a public key file as well as hex;
/// `restore --from -` reads standard input.
#[test]
fn first_hour_papercuts() {
    let env = Env::new(CUSTODY);
    let list = env.run(&["key", "list"]).ok();
    let mut lines = list.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("PUBLIC KEY") && header.contains("HOLDER"),
        "{list}"
    );
    let col = header.find("HOLDER").unwrap();
    for l in lines {
        assert_eq!(l.chars().nth(col - 1), Some(' '), "misaligned: {l:?}");
    }
    let err = CUSTODY
        .run(
            &[
                "--store",
                s(&env.path("other")),
                "init",
                "--authority-key",
                s(&env.authority),
                "--name",
                "has space",
            ],
            None,
        )
        .fails(1, &["ledger_name"]);
    assert!(!err.contains("of the batch"), "{err}");
    let public = env.authority_public_pem();
    let export = env.path("e.jsonl");
    env.run(&["export", "--out", s(&export)]).ok();
    CUSTODY
        .run(
            &["verify", "--export", s(&export), "--authority", s(&public)],
            None,
        )
        .ok();
    let text = std::fs::read_to_string(&export).unwrap();
    let target = env.path("from-stdin");
    CUSTODY
        .run(
            &["--store", s(&target), "restore", "--from", "-"],
            Some(&text),
        )
        .ok();
    assert_eq!(
        CUSTODY.run(&["--store", s(&target), "export"], None).ok(),
        text
    );
}

/// The seqs `custody --json log ARGS` prints.
fn log_seqs(env: &Env, args: &[&str]) -> Vec<u64> {
    let mut all = vec!["--json", "log"];
    all.extend_from_slice(args);
    env.run(&all)
        .ok()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// Entry `seq` as `custody --json log` prints it.
fn log_view(env: &Env, seq: u64) -> serde_json::Value {
    let line = env
        .run(&["--json", "log", "--from", &seq.to_string(), "--limit", "1"])
        .ok();
    serde_json::from_str(line.trim()).unwrap()
}

/// `log` filters by signer (hex or a public key file), person, type and
/// recording time, in any combination, in text and JSON; `--full-hash`
/// prints the hash a correction's `target` needs.
#[test]
fn log_filters_combine() {
    let env = Env::new(CUSTODY);
    let first = env.append_ok(concat!(
        r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}"#,
        "\n",
        r#"{"type":"capture","person":"P-2","occurred_at":"2022-06"}"#,
    ));
    let second = env.append_ok(concat!(
        r#"{"type":"death","person":"P-1","occurred_at":"2022-07-29","cause":"execution"}"#,
        "\n",
        r#"{"type":"sighting","person":"P-2","occurred_at":"2022-09","source":"video"}"#,
    ));
    let correction = env.append_ok(&format!(
        r#"{{"type":"correction","target":"{}","reason":"wrong man"}}"#,
        second[1].1
    ));
    let seqs = |args: &[&str]| log_seqs(&env, args);
    let view = |seq: u64| log_view(&env, seq);
    let evidence: Vec<u64> = first
        .iter()
        .chain(&second)
        .chain(&correction)
        .map(|a| a.0)
        .collect();

    // Signer: the investigator signed the evidence, the authority the rest.
    assert_eq!(seqs(&["--signer", &env.investigator_pub]), evidence);
    let authority_pub = env.authority_public_pem();
    assert_eq!(seqs(&["--signer", s(&authority_pub)]), vec![0, 1]);
    env.run(&["log", "--signer", "abc"]).fails(2, &["--signer"]);

    // Person: their entries and the corrections of them, from the index.
    assert_eq!(seqs(&["--person", "P-1"]), vec![first[0].0, second[0].0]);
    assert_eq!(
        seqs(&["--person", "P-2"]),
        vec![first[1].0, second[1].0, correction[0].0]
    );
    assert!(seqs(&["--person", "P-9"]).is_empty());

    // Type: repeated or comma-separated, and checked.
    assert_eq!(
        seqs(&["--type", "death,correction"]),
        vec![second[0].0, correction[0].0]
    );
    assert_eq!(
        seqs(&["--type", "genesis", "--type", "key_granted"]),
        vec![0, 1]
    );
    env.run(&["log", "--type", "deaths"]).fails(
        2,
        &["no event type is called", "missing_report", "key_revoked"],
    );

    // Recorded time: each append has its own instant.
    let at = |seq: u64| view(seq)["recorded_at"].as_str().unwrap().to_string();
    let since_second = seqs(&["--since", &at(second[0].0)]);
    assert_eq!(
        since_second,
        vec![second[0].0, second[1].0, correction[0].0]
    );
    assert_eq!(
        seqs(&["--until", &at(first[1].0)]),
        vec![0, 1, first[0].0, first[1].0]
    );
    assert!(seqs(&["--until", "2001"]).is_empty());
    assert_eq!(seqs(&["--since", "2001-01"]).len(), 7);
    // A period that ends before it starts is a mistake, not an empty log.
    env.run(&["log", "--since", "2024-05", "--until", "2024-01"])
        .fails(2, &["--since 2024-05-01", "is after --until 2024-01-31"]);
    assert!(seqs(&["--since", "2001-01", "--until", "2001-01"]).is_empty());

    // Combined, and with --limit counting what is kept.
    assert_eq!(
        seqs(&[
            "--person",
            "P-2",
            "--type",
            "sighting,correction",
            "--since",
            &at(second[0].0)
        ]),
        vec![second[1].0, correction[0].0]
    );
    assert_eq!(
        seqs(&[
            "--signer",
            &env.investigator_pub,
            "--limit",
            "2",
            "--type",
            "capture,death"
        ]),
        vec![first[0].0, first[1].0]
    );
    let text = env.run(&["log", "--person", "P-1", "--type", "death"]).ok();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("death") && text.contains(&second[0].1[..16]),
        "{text}"
    );
    assert!(
        !text.contains(&second[0].1),
        "short hashes by default: {text}"
    );

    // Full hashes: the entry's and a correction's target.
    let full = env
        .run(&["log", "--full-hash", "--type", "correction"])
        .ok();
    assert!(
        full.contains(&correction[0].1) && full.contains(&second[1].1),
        "{full}"
    );
}

/// The clauses of an error message: the parts between ": " and "; ".
fn clauses(message: &str) -> Vec<String> {
    message
        .trim()
        .trim_start_matches("error: ")
        .split("; ")
        .flat_map(|part| part.split(": "))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// The common file errors — a missing --key, a missing input file, a
/// missing --checkpoint, a missing --store — name the file and never say
/// the same clause twice ("No such file or directory (os error 2): No such
/// file or directory (os error 2)" was printed once).
#[test]
fn file_errors_never_repeat_a_clause() {
    let env = Env::new(CUSTODY);
    let missing = env.path("missing.pem");
    let no_input = env.path("missing.jsonl");
    let no_cp = env.path("missing-cp.txt");
    let no_store = env.path("missing-store");
    let restored = env.path("r");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--store",
                s(&env.store),
                "append",
                "--key",
                s(&missing),
                "-",
            ],
            s(&missing),
        ),
        (
            vec!["--store", s(&env.store), "checkpoint", "--key", s(&missing)],
            s(&missing),
        ),
        (vec!["key", "public", "--key", s(&missing)], s(&missing)),
        (
            vec![
                "--store",
                s(&env.store),
                "append",
                "--key",
                s(&env.investigator),
                s(&no_input),
            ],
            s(&no_input),
        ),
        (vec!["verify", "--export", s(&no_input)], s(&no_input)),
        (
            vec!["--store", s(&restored), "restore", "--from", s(&no_input)],
            s(&no_input),
        ),
        (
            vec![
                "--store",
                s(&env.store),
                "verify",
                "--checkpoint",
                s(&no_cp),
            ],
            s(&no_cp),
        ),
        (
            vec![
                "--store",
                s(&env.store),
                "prove",
                "--seq",
                "0",
                "--checkpoint",
                s(&no_cp),
            ],
            s(&no_cp),
        ),
        (vec!["--store", s(&no_store), "log"], s(&no_store)),
        (vec!["--store", s(&no_store), "verify"], s(&no_store)),
    ];
    for (args, path) in cases {
        let run = CUSTODY.run(&args, Some(""));
        assert_eq!(run.code, 2, "custody {}: {}", args.join(" "), run.stderr);
        assert!(run.stderr.contains(path), "{}", run.stderr);
        let all = clauses(&run.stderr);
        for (i, c) in all.iter().enumerate() {
            assert!(!all[..i].contains(c), "{c:?} said twice: {}", run.stderr);
        }
        // The same failure as JSON: the message alone, once.
        let mut json_args = vec!["--json"];
        json_args.extend(&args);
        let run = CUSTODY.run(&json_args, Some(""));
        let v: serde_json::Value = serde_json::from_str(run.stderr.trim()).expect(&run.stderr);
        let message = v["error"]["message"].as_str().unwrap();
        let all = clauses(message);
        for (i, c) in all.iter().enumerate() {
            assert!(!all[..i].contains(c), "{c:?} said twice: {message}");
        }
    }
}

/// With --json every command prints its error as one JSON object on
/// stderr, with the message, the advice apart and the exit code the
/// command exits with; usage errors too.
#[test]
fn json_errors_from_every_command() {
    let env = Env::new(CUSTODY);
    let no_store = env.path("none");
    let bad_name = env.path("bad-name");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["--store", s(&no_store), "log"], 2, "no ledger at"),
        (vec!["--store", s(&no_store), "status"], 2, "no ledger at"),
        (
            vec![
                "--store",
                s(&bad_name),
                "init",
                "--authority-key",
                s(&env.authority),
                "--name",
                "a b",
            ],
            1,
            "ledger_name",
        ),
        (
            vec![
                "--store",
                s(&env.store),
                "checkpoint",
                "--key",
                s(&env.investigator),
            ],
            1,
            "authority",
        ),
        (
            vec![
                "--store",
                s(&env.store),
                "append",
                "--key",
                s(&env.investigator),
                "-",
            ],
            1,
            "line 1",
        ),
        (
            vec!["--store", s(&env.store), "history", "P-NOBODY"],
            1,
            "P-NOBODY",
        ),
        (
            vec!["verify", "--export", s(&env.authority)],
            1,
            "not a whole-ledger export",
        ),
        (
            vec!["--store", s(&env.store), "log", "--no-such-flag"],
            2,
            "--no-such-flag",
        ),
    ];
    for (args, code, needle) in cases {
        let mut all = vec!["--json"];
        all.extend(&args);
        let run = CUSTODY.run(&all, Some("{not json\n"));
        assert_eq!(run.code, code, "custody {}: {}", all.join(" "), run.stderr);
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| !l.starts_with("warning"))
            .collect();
        assert_eq!(lines.len(), 1, "one line of JSON: {}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(lines[0]).expect(&run.stderr);
        let e = &v["error"];
        assert_eq!(e["exit"], code, "{v}");
        assert!(e["message"].as_str().unwrap().contains(needle), "{v}");
        assert!(e.get("advice").is_some(), "{v}");
        assert!(!run.stderr.contains("error: "), "{}", run.stderr);
    }
    // The advice is its own field, not part of the message.
    let run = CUSTODY.run(&["--json", "--store", s(&no_store), "log"], None);
    let v: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert!(
        v["error"]["advice"]
            .as_str()
            .unwrap()
            .contains("custody init"),
        "{v}"
    );
    assert!(
        !v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("custody init"),
        "{v}"
    );
    // Without --json: the same failure as a line of text.
    let run = CUSTODY.run(&["--store", s(&no_store), "log"], None);
    assert!(
        run.stderr.starts_with("error: no ledger at"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("custody init"), "{}", run.stderr);
}

/// A ledger created without --name gets an origin of its own:
/// `custody-ledger/` and the first 16 hex digits of its authority key, so
/// two ledgers' checkpoints never share an origin; --name still wins.
#[test]
fn the_default_ledger_name_is_unique_to_its_authority() {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for i in 0..2 {
        let key = dir.path().join(format!("a{i}.pem"));
        let public = custody(&["key", "generate", "--out", s(&key)], None).ok();
        let store = dir.path().join(format!("l{i}"));
        custody_on(&store, &["init", "--authority-key", s(&key)], None).ok();
        let v: serde_json::Value =
            serde_json::from_str(custody_on(&store, &["--json", "verify"], None).ok().trim())
                .unwrap();
        let name = v["ledger_name"].as_str().unwrap().to_string();
        assert_eq!(name, format!("custody-ledger/{}", &public.trim()[..16]));
        let cp = dir.path().join(format!("cp{i}.txt"));
        custody_on(
            &store,
            &["checkpoint", "--key", s(&key), "--out", s(&cp)],
            None,
        )
        .ok();
        assert!(std::fs::read_to_string(&cp)
            .unwrap()
            .starts_with(&format!("{name}\n")));
        names.push(name);
    }
    assert_ne!(names[0], names[1]);
    // The other ledger's checkpoint is refused as another ledger's.
    custody_on(
        &dir.path().join("l0"),
        &["verify", "--checkpoint", s(&dir.path().join("cp1.txt"))],
        None,
    )
    .fails(1, &["for the ledger"]);
}

/// Every public key argument takes hex or a PEM file, through one reader:
/// `key grant --public-key FILE`, `verify --bundle --checkpoint-key FILE`.
#[test]
fn public_key_arguments_take_a_pem_file() {
    let env = Env::new(CUSTODY);
    let other = env.path("other.pem");
    CUSTODY
        .run(&["key", "generate", "--out", s(&other)], None)
        .ok();
    let other_pub = env.path("other.pub.pem");
    CUSTODY
        .run(
            &["key", "public", "--key", s(&other), "--out", s(&other_pub)],
            None,
        )
        .ok();
    env.run(&[
        "key",
        "grant",
        "--authority-key",
        s(&env.authority),
        "--role",
        "investigator",
        "--holder",
        "Team B",
        "--public-key",
        s(&other_pub),
    ])
    .ok();
    assert!(env.run(&["key", "list"]).ok().contains("Team B"));
    // A private key where a public one is asked: refused with what to do.
    env.run(&[
        "key",
        "revoke",
        "--authority-key",
        s(&env.authority),
        "--public-key",
        s(&other),
        "--reason",
        "r",
    ])
    .fails(
        2,
        &[
            "--public-key",
            "this is a private key",
            "custody key public",
        ],
    );
    env.append_ok(r#"{"type":"sighting","person":"P-1","occurred_at":"2023-02","source":"video"}"#);
    env.checkpoint(&env.path("cp.txt")).ok();
    let bundle = env.path("b.json");
    env.run(&["export", "--person", "P-1", "--out", s(&bundle)])
        .ok();
    let authority_pub = env.authority_public_pem();
    CUSTODY
        .run(
            &[
                "verify",
                "--bundle",
                s(&bundle),
                "--checkpoint-key",
                s(&authority_pub),
                "--authority",
                s(&authority_pub),
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
                s(&other_pub),
            ],
            None,
        )
        .fails(1, &["not the pinned --checkpoint-key"]);
}

/// A refused grant, revocation or checkpoint says what was refused in the
/// command's words, never "event 1 of the batch".
#[test]
fn refusals_say_what_was_refused() {
    let env = Env::new(CUSTODY);
    let before = env.snapshot();
    let err = env
        .run(&[
            "key",
            "grant",
            "--authority-key",
            s(&env.investigator),
            "--role",
            "authority",
            "--holder",
            "x",
            "--public-key",
            &env.investigator_pub,
        ])
        .fails(1, &["the grant was not recorded", "authority"]);
    assert!(!err.contains("batch"), "{err}");
    let err = env
        .run(&[
            "key",
            "revoke",
            "--authority-key",
            s(&env.investigator),
            "--public-key",
            &env.investigator_pub,
            "--reason",
            "r",
        ])
        .fails(1, &["the revocation was not recorded"]);
    assert!(!err.contains("batch"), "{err}");
    let err = env
        .run(&["checkpoint", "--key", s(&env.investigator)])
        .fails(1, &["no checkpoint was recorded"]);
    assert!(!err.contains("batch"), "{err}");
    assert_eq!(env.snapshot(), before);
}
