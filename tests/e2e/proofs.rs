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
    assert_eq!(lines[1], "24", "genesis + grant + 22 cases");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} test.ledger "), "{note}");
    // The note parses and verifies with the verifier's own code.
    let parsed = custody_verifier::checkpoint::parse(&note).unwrap();
    let authority_pub = custody(&["key", "public", "--key", s(&env.authority)], None).ok();
    let pk = hex32(&Value::from(authority_pub.trim()));
    parsed.verify_by(&[pk]).unwrap();
    // It is entry 24 of the chain, and verify re-checks it.
    let log = env.run(&["--json", "log", "--from", "24"]).ok();
    assert_eq!(json(&log)["event"]["type"], "checkpoint");
    assert_eq!(json(&log)["event"]["tree_size"], 24);
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
        assert_eq!(size, if args.len() == 3 { 26 } else { 24 });
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
    env.run(&["prove", "--seq", "24", "--checkpoint", s(&cp)])
        .fails(1, &["not in a tree of 24"]);
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
    fork_run(&["verify", "--checkpoint", s(&cp_early)], None).fails(1, &["REWRITTEN OR FORKED"]);
    fork_run(&["checkpoint", "--key", s(&env.authority)], None).ok();
    fork_run(&["verify", "--checkpoint", s(&cp_early)], None)
        .fails(1, &["EQUIVOCATION", "size 24"]);

    // A checkpoint with an edited size or a stranger's signature is refused.
    let note = std::fs::read_to_string(&cp_early).unwrap();
    let edited = env.path("edited.txt");
    std::fs::write(&edited, note.replacen("\n24\n", "\n23\n", 1)).unwrap();
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
    assert_eq!(doc["format"], "custody-bundle/1");
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
    .fails(1, &["not the pinned"]);

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
    tamper("proof.json", &|d| {
        let p = d["entries"][capture_index]["inclusion_proof"][0]
            .as_str()
            .unwrap()
            .to_string();
        let flipped = format!("{}{}", if p.starts_with('0') { "1" } else { "0" }, &p[1..]);
        d["entries"][capture_index]["inclusion_proof"][0] = flipped.into();
    })
    .fails(1, &["not included in the checkpoint"]);
    tamper("nogrant.json", &|d| {
        d["entries"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["view"]["event"]["type"] != "key_granted");
    })
    .fails(1, &["not known to this ledger"]);
    tamper("checkpoint.json", &|d| {
        let cp = d["checkpoint"]
            .as_str()
            .unwrap()
            .replacen("\n24\n", "\n25\n", 1);
        d["checkpoint"] = cp.into();
    })
    .fails(1, &["INVALID"]);

    // A person never seen, and a bundle with no covering checkpoint.
    env.run(&["export", "--person", "P-4242"])
        .fails(1, &["no such person: P-4242"]);
    env.append_ok(r#"{"type":"capture","person":"P-0099","occurred_at":"2024"}"#);
    env.run(&["export", "--person", "P-0099"])
        .fails(1, &["no checkpoint covers", "custody checkpoint"]);
}

#[test]
fn the_dossier_is_a_chain_of_custody_report() {
    let (env, _) = ledger_with_checkpoint();
    let md = env.run(&["dossier", "P-0001"]).ok();
    assert!(md.starts_with("# Chain-of-custody dossier: P-0001"), "{md}");
    assert!(md.contains("**Verification:** VALID"));
    // The capture's attachment hash, its entry hash and its signer appear.
    let view = json(
        &env.run(&["--json", "log", "--from", "3", "--limit", "1"])
            .ok(),
    );
    assert!(md.contains(view["hash"].as_str().unwrap()));
    assert!(md.contains(view["event"]["attachments"][0]["sha256"].as_str().unwrap()));
    assert!(md.contains("(Field team)"));
    assert!(
        !md.contains("P-0002"),
        "another person appears in the dossier"
    );
    let j = json(&env.run(&["--json", "dossier", "P-0001"]).ok());
    assert_eq!(j["verdict"], "valid");
    assert_eq!(j["checkpoint"]["tree_size"], 24);
    assert!(j["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["proof"] == "verified"));
}
