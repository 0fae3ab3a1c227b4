//! End-to-end tests of checkpoints, proofs, bundles and dossiers: what a
//! prosecutor shows a court, and every way of cheating it that must fail.

use crate::util::{self, custody, custody_on, s, Env, CUSTODY};
use serde_json::Value;

const CASES: &str = include_str!("../../cli/src/demo_cases.jsonl");

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).expect("JSON")
}

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

/// A ledger with the demo cases and a checkpoint after them.
fn ledger_with_checkpoint() -> (Env, std::path::PathBuf) {
    let env = Env::new(CUSTODY);
    env.append_ok(CASES);
    let cp = env.path("cp1.txt");
    env.checkpoint(&cp).ok();
    (env, cp)
}

#[test]
fn checkpoints_are_c2sp_notes_and_recorded_in_the_chain() {
    let (env, cp) = ledger_with_checkpoint();
    let note = std::fs::read_to_string(&cp).unwrap();
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], "test.ledger");
    assert_eq!(lines[1], "25", "genesis + grant + 22 cases + the seal");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} test.ledger "), "{note}");
    // The note parses and verifies with the verifier's own code.
    let parsed = custody_verifier::checkpoint::parse(&note).unwrap();
    let authority_pub = custody(&["key", "public", "--key", s(&env.authority)], None).ok();
    let pk = hex32(&Value::from(authority_pub.trim()));
    parsed.verify_by(&[pk]).unwrap();
    // It is entry 25 of the chain, after the seal (entry 24, the last
    // leaf of the tree the note signs), and verify re-checks both.
    let log = env.run(&["--json", "log", "--from", "24"]).ok();
    let rows: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["event"]["type"], "seal");
    assert_eq!(rows[0]["event"]["gov_count"], 2);
    assert_eq!(rows[1]["event"]["type"], "checkpoint");
    assert_eq!(rows[1]["event"]["tree_size"], 25);
    env.verify_ok();
    // Only an authority key may issue one.
    env.run(&["checkpoint", "--key", s(&env.investigator)])
        .fails(1, &["does not hold the role `authority`"]);
}

#[test]
fn inclusion_proofs_verify_independently() {
    let (env, cp) = ledger_with_checkpoint();
    env.append_ok(r#"{"type":"capture","person":"P-0099","occurred_at":"2024"}"#);
    for args in [
        vec!["prove", "--seq", "3"],
        vec!["prove", "--seq", "3", "--checkpoint", s(&cp)],
    ] {
        let p = json(&env.run(&args).ok());
        let size = p["tree_size"].as_u64().unwrap();
        assert_eq!(size, if args.len() == 3 { 27 } else { 25 });
        let path: Vec<[u8; 32]> = p["audit_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(hex32)
            .collect();
        assert!(path.len() <= 20);
        custody_verifier::merkle::verify_inclusion(
            &hex32(&p["leaf_hash"]),
            3,
            size,
            &path,
            &hex32(&p["root"]),
        )
        .unwrap();
    }
    env.run(&["prove", "--seq", "25", "--checkpoint", s(&cp)])
        .fails(1, &["not in a tree of 25"]);
}

/// Runs `custody verify --proof PROOF --entry ENTRY` trusting `trust`
/// (`--authority HEX` or `--vkey VKEY`, and their values).
fn verify_proof(proof: &std::path::Path, entry: &std::path::Path, trust: &[&str]) -> util::Run {
    let mut args = vec!["verify", "--proof", s(proof), "--entry", s(entry)];
    args.extend_from_slice(trust);
    custody(&args, None)
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one proof, then each tampered copy of it in turn: the copies share the setup"
)]
fn tlog_proofs_verify_offline_and_tampered_copies_do_not() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (env, cp) = ledger_with_checkpoint();
    let checkpoint_note = std::fs::read_to_string(&cp).unwrap();
    // An entry after the checkpoint, which no signed checkpoint covers yet.
    env.append_ok(r#"{"type":"capture","person":"P-0099","occurred_at":"2024"}"#);

    // The proof of entry 3 against the latest checkpoint, and its entry.
    let proof = env.path("e3.tlog-proof");
    let entry = env.path("e3.entry");
    let run = env.run(&[
        "prove",
        "--seq",
        "3",
        "--format",
        "tlog-proof",
        "--out",
        s(&proof),
        "--entry-out",
        s(&entry),
    ]);
    let stderr = run.stderr.clone();
    assert_eq!(run.ok(), "", "the proof goes to --out");
    let vkey = stderr
        .lines()
        .find_map(|l| l.strip_prefix("verifier key (C2SP): "))
        .unwrap_or_else(|| panic!("no verifier key in {stderr:?}"))
        .to_string();
    assert!(vkey.starts_with("test.ledger+"), "{vkey}");
    let text = std::fs::read_to_string(&proof).unwrap();
    // The layout of c2sp.org/tlog-proof: header, index, the hashes, an
    // empty line, the checkpoint verbatim (the one `custody checkpoint`
    // wrote).
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "c2sp.org/tlog-proof@v1");
    assert_eq!(lines[1], "index 3");
    let hashes = &lines[2..lines.iter().position(|l| l.is_empty()).unwrap()];
    assert_eq!(
        hashes.len(),
        5,
        "leaf 3 of 25: 4 hashes in the left 16, then the right 9"
    );
    for h in hashes {
        assert_eq!(b64.decode(h).unwrap().len(), 32);
    }
    assert_eq!(
        text,
        format!(
            "{}\n{checkpoint_note}",
            lines[..2 + hashes.len()].join("\n") + "\n"
        )
    );
    // Printed, it is the same text; against the checkpoint file, too.
    assert_eq!(
        env.run(&["prove", "--seq", "3", "--format", "tlog-proof"])
            .ok(),
        text
    );
    assert_eq!(
        env.run(&[
            "prove",
            "--seq",
            "3",
            "--format",
            "tlog-proof",
            "--checkpoint",
            s(&cp)
        ])
        .ok(),
        text
    );
    // The entry file is the entry's stored bytes.
    let export = env.run(&["export"]).ok();
    let line3: Value = serde_json::from_str(export.lines().nth(3).unwrap()).unwrap();
    assert_eq!(
        std::fs::read(&entry).unwrap(),
        b64.decode(line3["entry"].as_str().unwrap()).unwrap()
    );

    // Valid, offline, against a pinned authority key or the verifier key.
    let authority = custody(&["key", "public", "--key", s(&env.authority)], None).ok();
    let authority = authority.trim();
    let v = json(
        &custody(
            &[
                "--json",
                "verify",
                "--proof",
                s(&proof),
                "--entry",
                s(&entry),
                "--authority",
                authority,
            ],
            None,
        )
        .ok(),
    );
    assert_eq!(v["valid"], true);
    assert_eq!(
        (v["index"].as_u64(), v["tree_size"].as_u64()),
        (Some(3), Some(25))
    );
    assert_eq!(v["entry_hash"], line3["hash"]);
    assert_eq!(v["entry_type"], "capture");
    assert_eq!(v["trusted_by"], "authority");
    assert_eq!(v["checkpoint_signer"], authority);
    assert_eq!(v["checkpoint_signer_vkey"], vkey.as_str());
    let out = verify_proof(&proof, &entry, &["--vkey", &vkey]).ok();
    assert!(out.starts_with("VALID  tlog-proof"), "{out}");
    assert!(out.contains("trusted by --vkey"), "{out}");

    // Nothing to trust, or no entry: usage errors.
    verify_proof(&proof, &entry, &[]).fails(2, &["--authority", "--vkey"]);
    custody(
        &["verify", "--proof", s(&proof), "--authority", authority],
        None,
    )
    .fails(2, &["--entry"]);
    verify_proof(&proof, &entry, &["--vkey", "test.ledger+00000000+AAAA"]).fails(2, &["--vkey"]);
    // An entry no recorded checkpoint covers.
    env.run(&["prove", "--seq", "25", "--format", "tlog-proof"])
        .fails(
            1,
            &["not covered by the latest checkpoint", "custody checkpoint"],
        );

    // Tampered copies, each refused with exit 1 and its reason.
    let write = |name: &str, text: &str| {
        let p = env.path(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let pinned = ["--authority", authority];
    // A flipped proof hash.
    let mut h = b64.decode(hashes[0]).unwrap();
    h[0] ^= 1;
    let flipped = write(
        "flipped.tlog-proof",
        &text.replacen(hashes[0], &b64.encode(&h), 1),
    );
    verify_proof(&flipped, &entry, &pinned).fails(1, &["NOT INCLUDED", "leaf 3"]);
    // A different index.
    let moved = write(
        "moved.tlog-proof",
        &text.replacen("\nindex 3\n", "\nindex 4\n", 1),
    );
    verify_proof(&moved, &entry, &pinned).fails(1, &["NOT INCLUDED", "leaf 4"]);
    // Another entry's bytes.
    let entry4 = env.path("e4.entry");
    env.run(&["prove", "--seq", "4", "--entry-out", s(&entry4)])
        .ok();
    verify_proof(&proof, &entry4, &pinned).fails(1, &["NOT INCLUDED"]);
    // The checkpoint re-signed by a key nobody trusts.
    let (cp_text, _) = checkpoint_note.split_once("\n\n").unwrap();
    let cp_text = format!("{cp_text}\n");
    let stranger = custody_ledger::keyfile::SigningKey::from_bytes(&[9; 32]);
    let stranger_pub = stranger.verifying_key().to_bytes();
    let resigned = custody_format::note::signed_note(
        &cp_text,
        "test.ledger",
        &stranger_pub,
        &custody_format::note::sign_text(&cp_text, &stranger),
    );
    let resigned = write(
        "resigned.tlog-proof",
        &text.replacen(&checkpoint_note, &resigned, 1),
    );
    verify_proof(&resigned, &entry, &pinned).fails(1, &["no signature by a trusted key"]);
    verify_proof(&resigned, &entry, &["--vkey", &vkey])
        .fails(1, &["no signature by a trusted key"]);
    // The checkpoint's size edited: the authority's signature fails.
    let edited = write("edited.tlog-proof", &text.replacen("\n25\n", "\n26\n", 1));
    verify_proof(&edited, &entry, &pinned).fails(1, &["does not verify"]);
    // A checkpoint of another ledger: a fork under the same name and
    // authority, validly signed, of the same size — but another tree.
    let fork = env.path("fork");
    env.init_fork(&fork);
    let altered = CASES.replacen("Mariupol", "Berdiansk", 1);
    custody(
        &["--store", s(&fork), "append", "--key", s(&env.investigator)],
        Some(&altered),
    )
    .ok();
    let fork_note = custody(
        &[
            "--store",
            s(&fork),
            "checkpoint",
            "--key",
            s(&env.authority),
        ],
        None,
    )
    .ok();
    assert!(fork_note.starts_with("test.ledger\n25\n"), "{fork_note}");
    let forked = write(
        "forked.tlog-proof",
        &text.replacen(&checkpoint_note, &fork_note, 1),
    );
    verify_proof(&forked, &entry, &pinned).fails(1, &["NOT INCLUDED"]);
    verify_proof(&forked, &entry, &["--vkey", &vkey]).fails(1, &["NOT INCLUDED"]);
    // The same authority's key pinned for another ledger's name.
    let elsewhere =
        custody_format::note::verifier_key("other.ledger", &hex32(&Value::from(authority)));
    verify_proof(&proof, &entry, &["--vkey", &elsewhere])
        .fails(1, &["\"test.ledger\"", "no key given is trusted for it"]);
    // Malformed: CRLF line endings, or garbage after the checkpoint.
    let crlf = write("crlf.tlog-proof", &text.replace('\n', "\r\n"));
    verify_proof(&crlf, &entry, &pinned).fails(1, &["malformed tlog-proof", "carriage return"]);
    let trailing = write("trailing.tlog-proof", &format!("{text}garbage\n"));
    verify_proof(&trailing, &entry, &pinned)
        .fails(1, &["malformed tlog-proof", "follows the signatures"]);
    // Its JSON verdict names what failed.
    let out = custody(
        &[
            "--json",
            "verify",
            "--proof",
            s(&moved),
            "--entry",
            s(&entry),
            "--authority",
            authority,
        ],
        None,
    );
    assert_eq!(out.code, 1);
    let v = json(&out.stdout);
    assert_eq!(v["valid"], false);
    assert!(
        v["detail"].as_str().unwrap().contains("NOT INCLUDED"),
        "{v}"
    );
}

#[test]
fn truncation_rewriting_and_equivocation_are_caught() {
    let (env, cp_early) = ledger_with_checkpoint();
    // A later checkpoint of a longer ledger, and a copy of the store taken
    // before the ledger grew (a rollback).
    let backup = env.path("backup");
    util::copy_dir(&env.store, &backup);
    env.append_ok(r#"{"type":"capture","person":"P-0099","occurred_at":"2024"}"#);
    let cp_late = env.path("cp2.txt");
    env.checkpoint(&cp_late).ok();
    env.run(&["verify", "--checkpoint", s(&cp_early)]).ok();
    env.run(&["verify", "--checkpoint", s(&cp_late)]).ok();

    let rolled_back = |args: &[&str]| custody_on(&backup, args, None);
    rolled_back(&["verify", "--checkpoint", s(&cp_early)]).ok();
    rolled_back(&["verify", "--checkpoint", s(&cp_late)])
        .fails(1, &["TRUNCATED OR ROLLED BACK", "26"]);

    // A forked history: the same authority and name, other content, and a
    // checkpoint of the same size (equivocation) — or without one.
    let fork = env.path("fork");
    let fork_run = |args: &[&str], stdin: Option<&str>| custody_on(&fork, args, stdin);
    env.init_fork(&fork);
    let altered = CASES.replacen("Mariupol", "Berdiansk", 1);
    fork_run(&["append", "--key", s(&env.investigator)], Some(&altered)).ok();
    // Its own checkpoint, of the same size as the early one: its seal is
    // entry 24 there as here.
    fork_run(&["checkpoint", "--key", s(&env.authority)], None).ok();
    fork_run(&["verify", "--checkpoint", s(&cp_early)], None)
        .fails(1, &["EQUIVOCATION", "size 25"]);
    let fork2 = env.path("fork2");
    env.init_fork(&fork2);
    custody_on(
        &fork2,
        &["append", "--key", s(&env.investigator)],
        Some(&altered),
    )
    .ok();
    custody_on(
        &fork2,
        &["append", "--key", s(&env.investigator)],
        Some(r#"{"type":"capture","person":"P-0099","occurred_at":"2024"}"#),
    )
    .ok();
    custody_on(&fork2, &["verify", "--checkpoint", s(&cp_early)], None)
        .fails(1, &["REWRITTEN OR FORKED"]);

    // A checkpoint with an edited size or a stranger's signature is refused.
    let note = std::fs::read_to_string(&cp_early).unwrap();
    let edited = env.path("edited.txt");
    std::fs::write(&edited, note.replacen("\n25\n", "\n24\n", 1)).unwrap();
    env.run(&["verify", "--checkpoint", s(&edited)])
        .fails(1, &["does not verify"]);
    let garbage = env.path("garbage.txt");
    std::fs::write(&garbage, "not a checkpoint").unwrap();
    env.run(&["verify", "--checkpoint", s(&garbage)])
        .fails(1, &["malformed checkpoint"]);
}

#[test]
fn person_bundles_verify_offline_and_carry_nobody_else() {
    let (env, _) = ledger_with_checkpoint();
    let bundle = env.path("p1.json");
    env.run(&["export", "--person", "P-0001", "--out", s(&bundle)])
        .ok();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    assert_eq!(doc["format"], "custody-bundle/3");
    let mut evidence = 0;
    for e in doc["entries"].as_array().unwrap() {
        let ev = &e["view"]["event"];
        if let Some(p) = ev.get("person") {
            assert_eq!(p, "P-0001", "another person's entry is in the bundle");
            evidence += 1;
        }
    }
    assert_eq!(evidence, 6);

    // Verified without any store, pinned to the authority or not.
    let authority = custody(&["key", "public", "--key", s(&env.authority)], None).ok();
    let out = custody(
        &[
            "--json",
            "verify",
            "--bundle",
            s(&bundle),
            "--authority",
            authority.trim(),
        ],
        None,
    )
    .ok();
    let v = json(&out);
    assert_eq!(
        (v["valid"].clone(), v["evidence_entries"].clone()),
        (Value::from(true), Value::from(6))
    );
    let text = custody(&["verify", "--bundle", s(&bundle)], None).ok();
    assert!(text.contains("compare it with the authority key"), "{text}");
    custody(
        &[
            "verify",
            "--bundle",
            s(&bundle),
            "--authority",
            &env.investigator_pub,
        ],
        None,
    )
    .fails(1, &["not the pinned", "rule:   authority", "same ledger"]);

    // Tampered copies fail, each for its reason.
    let original = std::fs::read_to_string(&bundle).unwrap();
    let tamper = |name: &str, f: &dyn Fn(&mut Value)| {
        let mut d: Value = serde_json::from_str(&original).unwrap();
        f(&mut d);
        let p = env.path(name);
        std::fs::write(&p, serde_json::to_string(&d).unwrap()).unwrap();
        custody(&["verify", "--bundle", s(&p)], None)
    };
    let capture_index = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["view"]["event"]["type"] == "capture")
        .unwrap();
    tamper("view.json", &|d| {
        d["entries"][capture_index]["view"]["event"]["place"] = "Donetsk".into()
    })
    .fails(1, &["does not match"]);
    // The seal carries the one proof nothing else vouches for.
    let seal_index = doc["entries"].as_array().unwrap().len() - 1;
    tamper("proof.json", &|d| {
        let p = d["entries"][seal_index]["inclusion_proof"][0]
            .as_str()
            .unwrap()
            .to_string();
        let flipped = format!("{}{}", if p.starts_with('0') { "1" } else { "0" }, &p[1..]);
        d["entries"][seal_index]["inclusion_proof"][0] = flipped.into();
    })
    .fails(1, &["not included in the checkpoint"]);
    tamper("nogrant.json", &|d| {
        d["entries"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["view"]["event"]["type"] != "key_granted");
    })
    .fails(1, &["missing_entry", "governance"]);
    tamper("checkpoint.json", &|d| {
        let cp = d["checkpoint"]
            .as_str()
            .unwrap()
            .replacen("\n25\n", "\n26\n", 1);
        d["checkpoint"] = cp.into();
    })
    .fails(1, &["INVALID"]);

    // A person never seen gets a bundle that proves them absent; so does
    // one first recorded after the latest checkpoint (as of it).
    for (person, name) in [("P-4242", "absent.json"), ("P-0099", "later.json")] {
        if person == "P-0099" {
            env.append_ok(r#"{"type":"capture","person":"P-0099","occurred_at":"2024"}"#);
        }
        let p = env.path(name);
        let run = env.run(&["export", "--person", person, "--out", s(&p)]);
        assert!(run.stderr.contains("ABSENT"), "{}", run.stderr);
        run.ok();
        let out = custody(&["verify", "--bundle", s(&p)], None).ok();
        assert!(out.starts_with("ABSENT  bundle"), "{out}");
    }
}

/// Sightings of `n` persons `P-{tag}{i}`, as JSON Lines.
fn sightings(tag: &str, n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "{{\"type\":\"sighting\",\"person\":\"P-{tag}{i}\",\"occurred_at\":\"2023-02\",\"source\":\"video\"}}\n"
            )
        })
        .collect()
}

/// Two ledgers that share their first 30 entries and then diverge (this
/// one by 10 entries, the other by 7 and a checkpoint of 38 entries):
/// returns this one, the other's store and its checkpoint.
fn forked_pair() -> (Env, std::path::PathBuf, std::path::PathBuf) {
    let env = Env::new(CUSTODY);
    env.append_ok(&sightings("SHARED", 28));
    let shared = env.path("shared.jsonl");
    env.run(&["export", "--out", s(&shared)]).ok();
    let other = env.path("other");
    custody_on(&other, &["restore", "--from", s(&shared)], None).ok();
    env.append_ok(&sightings("ALPHA", 10));
    custody_on(
        &other,
        &["append", "--key", s(&env.investigator), "-"],
        Some(&sightings("BRAVO", 7)),
    )
    .ok();
    let theirs = env.path("theirs.txt");
    custody_on(
        &other,
        &[
            "checkpoint",
            "--key",
            s(&env.authority),
            "--out",
            s(&theirs),
        ],
        None,
    )
    .ok();
    (env, other, theirs)
}

/// A checkpoint of the other ledger is not consistent with this one. What
/// can be known from a checkpoint (a size and a root) is said; no entry is
/// named as where they forked (the old report named seq 38, the
/// checkpoint's size, though they diverge at 30), and `--json` carries the
/// finding with both sizes and roots.
#[test]
fn a_fork_is_reported_by_size_and_root_not_by_a_wrong_seq() {
    let (env, _, theirs) = forked_pair();
    let size = std::fs::read_to_string(&theirs)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(size, "38", "30 shared, 7 of its own, and a seal");

    let run = env.run(&["verify", "--checkpoint", s(&theirs)]);
    let stdout = run.stdout.clone();
    run.fails(
        1,
        &[
            "not consistent with the checkpoint of 38 entries",
            "40 entries",
        ],
    );
    assert!(!stdout.contains("first bad entry"), "{stdout}");
    assert!(
        !stdout.contains("seq 38") && !stdout.contains("seq 37"),
        "{stdout}"
    );

    let run = env.run(&["--json", "verify", "--checkpoint", s(&theirs)]);
    assert_eq!(run.code, 1);
    let v = json(&run.stdout);
    assert_eq!(v["valid"], false);
    assert_eq!(v["rule"], "checkpoint");
    assert!(v.get("seq").is_none(), "{v}");
    assert_eq!(v["checkpoint"]["consistent"], false);
    assert_eq!(v["checkpoint"]["finding"], "forked");
    assert_eq!(v["checkpoint"]["size"], 38);
    assert_eq!(v["checkpoint"]["ledger_size"], 40);
}

/// An export is checked against a checkpoint as a store is (the root of its
/// first N entries), pinned to an authority given as a PEM file.
#[test]
fn an_export_is_checked_against_a_checkpoint_and_an_authority() {
    let (env, other, theirs) = forked_pair();
    // The export of this ledger: not consistent with their checkpoint.
    let public = env.authority_public_pem();
    let ours = env.path("ours.jsonl");
    env.run(&["export", "--out", s(&ours)]).ok();
    let run = CUSTODY.run(
        &[
            "--json",
            "verify",
            "--export",
            s(&ours),
            "--authority",
            s(&public),
            "--checkpoint",
            s(&theirs),
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = json(&run.stdout);
    assert_eq!(v["checkpoint"]["consistent"], false);
    assert!(v.get("seq").is_none(), "{v}");

    // Their export is consistent with their checkpoint, and says so.
    let their_export = env.path("theirs.jsonl");
    custody_on(&other, &["export", "--out", s(&their_export)], None).ok();
    let out = CUSTODY
        .run(
            &[
                "--json",
                "verify",
                "--export",
                s(&their_export),
                "--authority",
                s(&public),
                "--checkpoint",
                s(&theirs),
            ],
            None,
        )
        .ok();
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(v["checkpoint"]["consistent"], true);
    assert_eq!(v["checkpoint"]["size"], 38);
    assert_eq!(v["checkpoint"]["ledger_size"], 39);
    let note = std::fs::read_to_string(&theirs).unwrap();
    let root = hex::encode(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            note.lines().nth(2).unwrap(),
        )
        .unwrap(),
    );
    assert_eq!(v["checkpoint"]["root"], root);
    // Pinned to another authority, it is refused.
    let stranger = env.path("stranger.pem");
    let stranger_pub = CUSTODY
        .run(&["key", "generate", "--out", s(&stranger)], None)
        .ok();
    CUSTODY
        .run(
            &[
                "verify",
                "--export",
                s(&their_export),
                "--authority",
                stranger_pub.trim(),
                "--checkpoint",
                s(&theirs),
            ],
            None,
        )
        .fails(1, &["not the pinned"]);
}

/// `verify --checkpoint --json` carries the checkpoint's result, and the
/// text names it.
#[test]
fn verify_json_carries_the_checkpoint_result() {
    let (env, cp) = ledger_with_checkpoint();
    let note = std::fs::read_to_string(&cp).unwrap();
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    let v = json(&env.run(&["--json", "verify", "--checkpoint", s(&cp)]).ok());
    assert_eq!(v["valid"], true);
    let c = &v["checkpoint"];
    assert_eq!(c["consistent"], true, "{v}");
    assert_eq!(c["size"], size);
    assert_eq!(c["ledger_size"], v["length"]);
    assert_eq!(c["ledger_size"], size + 1, "the checkpoint entry itself");
    assert!(c["signer"].as_str().is_some_and(|k| k.len() == 64), "{c}");
    assert!(v.get("checkpoint").is_some());
    let v = json(&env.run(&["--json", "verify"]).ok());
    assert_eq!(v["checkpoint"], Value::Null);
}

/// `custody checkpoint` prints the note alone on stdout, byte for byte as
/// `--out` writes it, and labels it on stderr: what it is, its size and
/// root, where it was written, and how to use it.
#[test]
fn checkpoint_output_is_labelled_and_the_note_stays_exact() {
    let env = Env::new(CUSTODY);
    env.append_ok(CASES);
    let cp = env.path("cp.txt");
    let run = env.run(&["checkpoint", "--key", s(&env.authority), "--out", s(&cp)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let note = std::fs::read_to_string(&cp).unwrap();
    assert_eq!(run.stdout, note);
    let size = note.lines().nth(1).unwrap();
    for needle in [
        "signed checkpoint",
        &format!("{size} entries"),
        &format!("written to {}", s(&cp)),
        &format!("custody verify --checkpoint {}", s(&cp)),
        "root ",
    ] {
        assert!(
            run.stderr.contains(needle),
            "{needle:?} not in {}",
            run.stderr
        );
    }
    // Without --out, stdout alone is a checkpoint file that verifies.
    let run = env.run(&["checkpoint", "--key", s(&env.authority)]);
    let piped = env.path("piped.txt");
    std::fs::write(&piped, &run.stdout).unwrap();
    env.run(&["verify", "--checkpoint", s(&piped)]).ok();
    // With --json: the size, root and file.
    let cp2 = env.path("cp2.txt");
    let v = json(
        &env.run(&[
            "--json",
            "checkpoint",
            "--key",
            s(&env.authority),
            "--out",
            s(&cp2),
        ])
        .ok(),
    );
    assert_eq!(v["note"], std::fs::read_to_string(&cp2).unwrap());
    assert_eq!(v["file"], s(&cp2));
    assert!(v["root"].as_str().is_some_and(|r| r.len() == 64), "{v}");
    // --out in a directory that does not exist: refused before anything is
    // recorded.
    let before = env.snapshot();
    env.run(&[
        "checkpoint",
        "--key",
        s(&env.authority),
        "--out",
        s(&env.path("no/such/cp.txt")),
    ])
    .fails(2, &["does not exist"]);
    assert_eq!(env.snapshot(), before);
    // A key that may not sign one: the refusal says no checkpoint was
    // recorded, in the command's words.
    env.run(&["checkpoint", "--key", s(&env.investigator)])
        .fails(1, &["no checkpoint was recorded", "authority"]);
}

/// A checkpoint file that went through Windows or email (CRLF line endings,
/// blank lines after the end) is read as the note that was signed, with a
/// warning naming each repair; a note changed in any other way still fails
/// its signature.
#[test]
fn a_checkpoint_with_crlf_or_trailing_blank_lines_is_repaired_with_a_warning() {
    let (env, cp) = ledger_with_checkpoint();
    let note = std::fs::read_to_string(&cp).unwrap();
    let damaged = env.path("damaged.txt");
    std::fs::write(&damaged, note.replace('\n', "\r\n") + "\r\n\r\n").unwrap();
    let run = env.run(&["verify", "--checkpoint", s(&damaged)]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("consistent with the checkpoint"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("CRLF") && run.stderr.contains("line 1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("2 blank line(s)"), "{}", run.stderr);
    let blank = env.path("blank.txt");
    std::fs::write(&blank, format!("{note}\n")).unwrap();
    let run = env.run(&["verify", "--checkpoint", s(&blank)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("1 blank line(s)") && !run.stderr.contains("CRLF"));
    // The tlog-proof built from it carries the note as signed.
    let proof = env.path("proof.txt");
    let entry = env.path("entry.bin");
    env.run(&[
        "prove",
        "--seq",
        "3",
        "--checkpoint",
        s(&damaged),
        "--format",
        "tlog-proof",
        "--out",
        s(&proof),
        "--entry-out",
        s(&entry),
    ])
    .ok();
    let authority = env.run(&["key", "public", "--key", s(&env.authority)]).ok();
    CUSTODY
        .run(
            &[
                "verify",
                "--proof",
                s(&proof),
                "--entry",
                s(&entry),
                "--authority",
                authority.trim(),
            ],
            None,
        )
        .ok();
    // A changed size in a CRLF note: refused by its signature.
    let size = note.lines().nth(1).unwrap();
    let forged = note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", 1), 1);
    std::fs::write(&damaged, forged.replace('\n', "\r\n")).unwrap();
    env.run(&["verify", "--checkpoint", s(&damaged)])
        .fails(1, &["CRLF"]);
}

/// `demo --keep DIR` keeps the checkpoint, the bundle and the dossier beside
/// the ledger and lists them; the checkpoint verifies against the ledger.
#[test]
fn demo_keep_keeps_the_checkpoint_bundle_and_dossier() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept");
    let out = custody(&["demo", "--keep", s(&kept)], None).ok();
    for name in [
        "checkpoint.txt",
        "P-0001.bundle.json",
        "P-0001.dossier.html",
        "export.jsonl",
    ] {
        assert!(kept.join(name).is_file(), "{name} not kept");
        assert!(out.contains(name), "{name} not listed:\n{out}");
    }
    let dossier = std::fs::read_to_string(kept.join("P-0001.dossier.html")).unwrap();
    assert!(
        dossier.contains("P-0001") && dossier.contains("COMPLETE"),
        "{dossier}"
    );
    let v = json(
        &custody_on(
            &kept.join("ledger"),
            &[
                "--json",
                "verify",
                "--checkpoint",
                s(&kept.join("checkpoint.txt")),
            ],
            None,
        )
        .ok(),
    );
    assert_eq!(v["checkpoint"]["consistent"], true);
    custody(
        &["verify", "--bundle", s(&kept.join("P-0001.bundle.json"))],
        None,
    )
    .ok();
}

/// A checkpoint file altered after it was signed (its size edited) is the
/// file's fault: the error names the file and says the ledger was not
/// compared with it, rather than calling the ledger inconsistent.
#[test]
fn an_altered_checkpoint_file_is_blamed_not_the_ledger() {
    let (env, cp) = ledger_with_checkpoint();
    let note = std::fs::read_to_string(&cp).unwrap();
    let mut lines: Vec<String> = note.lines().map(str::to_string).collect();
    let size: u64 = lines[1].parse().unwrap();
    lines[1] = (size + 1).to_string();
    let altered = env.path("altered-cp.txt");
    std::fs::write(&altered, lines.join("\n") + "\n").unwrap();
    let err = env.run(&["verify", "--checkpoint", s(&altered)]).fails(
        1,
        &[
            "the checkpoint file does not hold",
            "the ledger was not compared",
        ],
    );
    assert!(err.contains("altered-cp.txt"), "{err}");
    assert!(!err.contains("not consistent with"), "{err}");
}
