//! `custody sign`: evidence signed in the field as statements (format v3,
//! docs/design/format-v3.md §4), with no store; each line read back with
//! the reader `append --signed` and a registrar use
//! (`custody_ledger::statement_line`).

use crate::util::{custody, custody_env, s, Env, ALL_TYPES, CUSTODY};
use custody_format::commit::DisclosedValue;
use custody_ledger::statement_line::{read_line, ReadStatement};
use std::path::Path;

/// Reads every line of `text` as a statement line; each must verify.
fn read_all(text: &str) -> Vec<ReadStatement> {
    text.lines()
        .enumerate()
        .map(|(i, l)| read_line(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect()
}

/// The disclosed value of `field` in `r`, as text.
fn disclosed(r: &ReadStatement, field: &str) -> Option<String> {
    r.disclosures
        .iter()
        .find(|d| d.slot.field_name() == Some(field) && d.slot.part == 0)
        .map(|d| match &d.value {
            DisclosedValue::Text(t) => t.clone(),
            DisclosedValue::Date(d) => d.to_string(),
        })
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

const WITH_WITNESSES: &str = r#"{"type":"sighting","person":"UA-0101","occurred_at":"2022-09","source":"returned_pow","place":"Olenivka","witnesses":"O. K., cell 4, released in the exchange of 2023-01"}"#;

#[test]
fn sign_writes_statements_that_read_back_and_verify() {
    let env = Env::new(CUSTODY);
    let hash = "ab".repeat(32);
    let input = format!(
        "{ALL_TYPES}{WITH_WITNESSES}\n{{\"type\":\"correction\",\"target\":\"{hash}\",\"reason\":\"wrong person in the video\",\"replacement\":{{\"type\":\"capture\",\"person\":\"P-0001\",\"occurred_at\":\"2022-05-18\",\"place\":\"Berdiansk\"}}}}\n"
    );
    let events = env.path("events.jsonl");
    std::fs::write(&events, &input).unwrap();
    let out = env.path("statements.jsonl");
    let before = env.snapshot();
    // The ledger's name comes from the store (read-only).
    let run = env.run(&[
        "sign",
        "--key",
        s(&env.investigator),
        "--out",
        s(&out),
        s(&events),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("signed 9 statements about 4 persons for ledger \"test.ledger\"")
            && run.stderr.contains("personal data in clear"),
        "{}",
        run.stderr
    );
    #[cfg(unix)]
    assert_eq!(mode(&out), 0o600);
    let text = std::fs::read_to_string(&out).unwrap();
    let read = read_all(&text);
    assert_eq!(read.len(), 9);
    let inputs: Vec<serde_json::Value> = input
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut ids = std::collections::HashSet::new();
    for (r, given) in read.iter().zip(&inputs) {
        let body = r.statement.body();
        assert_eq!(body.ledger, "test.ledger");
        assert_eq!(body.author.to_hex(), env.investigator_pub);
        assert_eq!(r.statement.event().type_name(), given["type"]);
        assert!(ids.insert(r.statement.id()), "every statement is distinct");
        // Every personal field given is disclosed beside the statement with
        // the value given, and only committed inside it.
        for field in ["place", "name", "last_seen_place", "witnesses", "reason"] {
            if let Some(v) = given[field].as_str() {
                assert_eq!(disclosed(r, field).as_deref(), Some(v), "{field}");
                let view = r.statement.view().to_string();
                assert!(!view.contains(v), "{field} in clear in {view}");
            }
        }
    }
    // The date of birth is a date; the replacement's place is in part 1.
    assert_eq!(
        disclosed(&read[0], "date_of_birth").as_deref(),
        Some("1998-03")
    );
    let replacement_place = read[8]
        .disclosures
        .iter()
        .find(|d| d.slot.part == 1 && d.slot.field_name() == Some("place"))
        .unwrap();
    assert_eq!(
        replacement_place.value,
        DisclosedValue::Text("Berdiansk".into())
    );
    // Fresh salts and nonces: the same input signs into other statements.
    let again = env.path("again.jsonl");
    env.run(&[
        "sign",
        "--key",
        s(&env.investigator),
        "--out",
        s(&again),
        s(&events),
    ])
    .ok();
    let again = read_all(&std::fs::read_to_string(&again).unwrap());
    assert!(again.iter().all(|r| !ids.contains(&r.statement.id())));
    // The store was only read.
    assert_eq!(env.snapshot(), before);
}

#[test]
fn sign_needs_no_store_and_reads_an_encrypted_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("inv.pem");
    let pass = [("CUSTODY_KEY_PASSPHRASE", "a long field passphrase")];
    let public = custody_env(
        &["key", "generate", "--encrypt", "--out", s(&key)],
        None,
        &pass,
    )
    .ok();
    let run = custody_env(
        &[
            "sign",
            "--key",
            s(&key),
            "--ledger",
            "example.org/pow-register",
        ],
        Some(WITH_WITNESSES),
        &pass,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read = read_all(&run.stdout);
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].statement.body().ledger, "example.org/pow-register");
    assert_eq!(read[0].statement.author().to_hex(), public.trim());
    assert_eq!(
        disclosed(&read[0], "witnesses").as_deref(),
        Some("O. K., cell 4, released in the exchange of 2023-01")
    );
    assert!(
        run.stderr.contains("into standard output"),
        "{}",
        run.stderr
    );
    // Nothing but the key was written.
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);

    // Without --ledger or a store there is no ledger to sign for.
    custody_env(&["sign", "--key", s(&key)], Some(WITH_WITNESSES), &pass)
        .fails(2, &["--ledger NAME"]);
    // A name no ledger can have (it is the checkpoint origin).
    custody_env(
        &["sign", "--key", s(&key), "--ledger", "two words"],
        Some(WITH_WITNESSES),
        &pass,
    )
    .fails(2, &["--ledger \"two words\"", "spaces"]);
}

#[test]
fn a_bad_line_refuses_the_whole_input_and_writes_nothing() {
    let env = Env::new(CUSTODY);
    let good = r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}"#;
    let lines = [
        good,
        r#"{"type":"capture","person":"P-2","occurred_at":"2999-01-01"}"#,
        good,
        r#"{"type":"capture","person":"P-3","occurred_at":"2022","plase":"Kyiv"}"#,
        r#"{"type":"correction","target":"3f9a0c1d2e4b","reason":"wrong date"}"#,
        r#"{"type":"correction","target_seq":1,"reason":"wrong date"}"#,
        r#"{"type":"key_granted","public_key":"00","role":"investigator","holder":"x"}"#,
        r#"{"type":"statement","statement":{}}"#,
        good,
    ];
    let input = lines.join("\n") + "\n";
    let out = env.path("statements.jsonl");
    let run = env.run_in(
        &["sign", "--key", s(&env.investigator), "--out", s(&out), "-"],
        &input,
    );
    let stderr = run.fails(
        1,
        &[
            "line 2, field `occurred_at`: 2999-01-01 is in the future",
            "line 4, field `plase`",
            "line 5, field `target`: 3f9a0c1d2e4b is only the start of an entry's hash, and `custody sign` has no store",
            "line 6, field `target_seq`: entry 1 is named by its seq",
            "line 7, field `type`",
            "line 8, field `type`",
            "6 errors in standard input",
            "nothing was written",
        ],
    );
    assert!(!stderr.contains("line 1"), "{stderr}");
    assert!(!stderr.contains("line 3"), "{stderr}");
    assert!(!stderr.contains("line 9"), "{stderr}");
    assert!(!out.exists(), "no output file after a refused input");
    // Nor anything on standard output without --out.
    let run = env.run_in(&["sign", "--key", s(&env.investigator), "-"], &input);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    run.fails(1, &["6 errors"]);
    // With --json, every error is an item of `details`.
    let run = env.run_in(
        &["--json", "sign", "--key", s(&env.investigator), "-"],
        &input,
    );
    let stderr = run.fails(1, &[]);
    let error: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    let lines: Vec<u64> = error["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 4, 5, 6, 7, 8]);
    // An empty input signs nothing.
    env.run_in(&["sign", "--key", s(&env.investigator), "-"], "\n")
        .fails(1, &["holds no events"]);
}

#[test]
fn sign_never_replaces_an_existing_file() {
    let env = Env::new(CUSTODY);
    let out = env.path("statements.jsonl");
    std::fs::write(&out, "statements of last week\n").unwrap();
    env.run_in(
        &["sign", "--key", s(&env.investigator), "--out", s(&out), "-"],
        WITH_WITNESSES,
    )
    .fails(2, &["already exists", "never replaced"]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "statements of last week\n"
    );
    // Nor writes inside a store's directory.
    let inside = env.store.join("statements.jsonl");
    env.run_in(
        &[
            "sign",
            "--key",
            s(&env.investigator),
            "--out",
            s(&inside),
            "-",
        ],
        WITH_WITNESSES,
    )
    .fails(2, &["inside a store's directory"]);
    assert!(!inside.exists());
}

#[test]
fn sign_checks_the_ledger_and_the_author_against_a_store() {
    let env = Env::new(CUSTODY);
    let sign = |args: &[&str]| {
        let mut all = vec!["sign", "--key", s(&env.investigator)];
        all.extend_from_slice(args);
        env.run_in(&all, WITH_WITNESSES)
    };
    sign(&["--ledger", "other.ledger"]).fails(2, &["--ledger \"other.ledger\"", "test.ledger"]);
    read_all(&sign(&["--ledger", "test.ledger"]).ok());
    // A key the ledger does not know signs, with a warning.
    let stranger = env.path("stranger.pem");
    custody(&["key", "generate", "--out", s(&stranger)], None).ok();
    let run = env.run_in(&["sign", "--key", s(&stranger), "-"], WITH_WITNESSES);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("does not hold the investigator role"),
        "{}",
        run.stderr
    );
    // A revoked key: nothing it signs could ever be registered.
    env.revoke(&env.investigator_pub, "laptop lost").ok();
    sign(&[]).fails(1, &["was revoked at seq", "laptop lost"]);
}

#[test]
fn ten_thousand_statements_read_back_and_three_altered_lines_are_each_named() {
    use custody_ledger::statement_line::{StatementLineItemError, StatementLineReader};
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("inv.pem");
    custody(&["key", "generate", "--out", s(&key)], None).ok();
    let input: String = (0..10_000)
        .map(|i| {
            format!(
                "{{\"type\":\"sighting\",\"person\":\"UA-{:04}\",\"occurred_at\":\"2022-09\",\"source\":\"returned_pow\",\"place\":\"Olenivka\",\"witnesses\":\"cellmate {i}\"}}\n",
                i % 700
            )
        })
        .collect();
    let out = dir.path().join("statements.jsonl");
    let run = custody(
        &[
            "sign",
            "--key",
            s(&key),
            "--ledger",
            "test.ledger",
            "--out",
            s(&out),
            "-",
        ],
        Some(&input),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("signed 10000 statements about 700 persons"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 10_000);
    // Three lines altered after signing: an id claim, a disclosed value,
    // a signature byte (1-based line numbers).
    let mut edit = |n: usize, f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&lines[n - 1]).unwrap();
        f(&mut v);
        lines[n - 1] = v.to_string();
    };
    edit(17, &|v| v["id"] = serde_json::json!("00".repeat(32)));
    edit(5_000, &|v| {
        v["disclosures"][0]["value"] = serde_json::json!("Olenivka colony 120");
    });
    edit(9_999, &|v| {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut bytes = b64.decode(v["statement"].as_str().unwrap()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x80;
        v["statement"] = serde_json::json!(b64.encode(bytes));
    });
    let altered = lines.join("\n") + "\n";
    let mut read = 0;
    let mut refused = Vec::new();
    for item in StatementLineReader::new(altered.as_bytes()) {
        match item {
            Ok((_, r)) => {
                assert_eq!(r.disclosures.len(), 2);
                read += 1;
            }
            Err(StatementLineItemError::Line(e)) => refused.push((e.line, e.to_string())),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(read, 9_997);
    let numbers: Vec<usize> = refused.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [17, 5_000, 9_999], "{refused:?}");
    assert!(
        refused[0].1.starts_with("line 17: `id` claims 0000"),
        "{refused:?}"
    );
    assert!(
        refused[1]
            .1
            .starts_with("line 5000: `disclosures`, field place: "),
        "{refused:?}"
    );
    assert!(
        refused[2].1.contains("signature does not verify"),
        "{refused:?}"
    );
}
