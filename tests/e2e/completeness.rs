//! `custody verify --bundle` on `custody-bundle/2` files: COMPLETE or
//! ABSENT with the counts and the checkpoint's signer, and every attack
//! refused with exit 1, naming the rule, the seq and what to do. Most files
//! are assembled from chains built in memory (`custody_testkit::bundle`);
//! the last tests verify what the store itself exports.

use crate::util::{s, CUSTODY};
use custody_format::event::*;
use custody_format::time::OccurredAt;
use custody_testkit::chain::ChainBuilder;
use custody_testkit::keys::investigator;

fn capture(p: &str) -> Event {
    Event::Capture(Capture {
        person: PersonId::new(p).unwrap(),
        occurred_at: OccurredAt::parse("2022-05-17").unwrap(),
        place: None,
        circumstances: None,
        category: None,
        notes: None,
        attachments: vec![],
        witnesses: None,
    })
}

/// A ledger with P-1's capture, a sighting and its retraction, P-2's
/// capture, and two checkpoints; their notes.
fn ledger() -> (ChainBuilder, String, String) {
    let mut b = ChainBuilder::new("e2e-complete");
    b.grant(&investigator(), Role::Investigator, "Field team");
    b.push(capture("P-1"), &investigator());
    let first = b.checkpoint();
    let seen = b.push(capture("P-1"), &investigator()).hash();
    b.push(
        Event::Correction(Correction {
            target: seen,
            reason: "duplicate".into(),
            replacement: None,
        }),
        &investigator(),
    );
    b.push(capture("P-2"), &investigator());
    let second = b.checkpoint();
    (b, first, second)
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_complete_bundle_and_an_absent_person_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _, second) = ledger();
    let p1 = write(&dir, "p1.json", &b.bundle("P-1", &second).to_json());
    let out = CUSTODY.run(&["verify", "--bundle", s(&p1)], None).ok();
    assert!(out.starts_with("COMPLETE  bundle"), "{out}");
    assert!(
        out.contains("all 3 entries that concern them") && out.contains("all 2 governance entries"),
        "{out}"
    );
    assert!(out.contains("an authority since seq 0"), "{out}");
    let json: serde_json::Value = serde_json::from_str(
        &CUSTODY
            .run(&["--json", "verify", "--bundle", s(&p1)], None)
            .ok(),
    )
    .unwrap();
    assert_eq!(json["verdict"], "COMPLETE");
    assert_eq!(json["person_entries"], 3);
    assert_eq!(json["governance_entries"], 2);
    let absent = write(&dir, "p9.json", &b.bundle("P-9", &second).to_json());
    let out = CUSTODY.run(&["verify", "--bundle", s(&absent)], None).ok();
    assert!(out.starts_with("ABSENT  bundle"), "{out}");
    assert!(out.contains("no entry concerns them"), "{out}");
}

#[test]
fn a_deleted_retraction_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _, second) = ledger();
    let mut bundle = b.bundle("P-1", &second);
    // The retraction, the latest entry about P-1: the sighting counts again.
    let retraction = bundle
        .entries
        .iter()
        .position(|i| i.view.0 .0["event"]["type"] == "correction")
        .unwrap();
    let seq = bundle.entries.remove(retraction).seq;
    let path = write(&dir, "cut.json", &bundle.to_json());
    let err = CUSTODY.run(&["verify", "--bundle", s(&path)], None).fails(
        1,
        &[
            "INVALID",
            "missing_entry",
            &format!("seq {seq}"),
            "the latest entry about P-1 named by the seal's map",
            "what to do",
        ],
    );
    assert!(err.contains("export --person"), "{err}");
    let json: serde_json::Value = serde_json::from_str(
        &CUSTODY
            .run(&["--json", "verify", "--bundle", s(&path)], None)
            .stdout,
    )
    .unwrap();
    assert_eq!(json["rule"], "missing_entry");
    assert_eq!(json["seq"], seq);
}

#[test]
fn pins_refuse_a_stale_or_forked_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let (b, first, second) = ledger();
    let older = write(&dir, "old.json", &b.bundle("P-1", &first).to_json());
    let size = custody_testkit::bundle::note_size(&second).to_string();
    CUSTODY
        .run(
            &["verify", "--bundle", s(&older), "--min-size", &size],
            None,
        )
        .fails(1, &["stale_checkpoint", "newer checkpoint"]);
    let pin = write(&dir, "pin.txt", &second);
    CUSTODY
        .run(
            &["verify", "--bundle", s(&older), "--checkpoint", s(&pin)],
            None,
        )
        .fails(1, &["stale_checkpoint"]);
    let current = write(&dir, "now.json", &b.bundle("P-1", &second).to_json());
    CUSTODY
        .run(
            &["verify", "--bundle", s(&current), "--checkpoint", s(&pin)],
            None,
        )
        .ok();
    // Another ledger of the same name, authority and size: equivocation.
    let mut other = ChainBuilder::new("e2e-complete");
    other.grant(&investigator(), Role::Investigator, "Field team");
    for _ in 0..6 {
        other.push(capture("P-3"), &investigator());
    }
    let fork = other.checkpoint();
    assert_eq!(
        custody_testkit::bundle::note_size(&fork),
        custody_testkit::bundle::note_size(&second)
    );
    let forked = write(&dir, "fork.txt", &fork);
    let size = custody_testkit::bundle::note_size(&fork);
    let at = format!("at the checkpoint of {size} entries");
    CUSTODY
        .run(
            &[
                "verify",
                "--bundle",
                s(&current),
                "--checkpoint",
                s(&forked),
            ],
            None,
        )
        .fails(1, &["inconsistent", "equivocat", &at]);
    // Found at a tree size, not at an entry: no seq is named.
    let out = CUSTODY.run(
        &[
            "--json",
            "verify",
            "--bundle",
            s(&current),
            "--checkpoint",
            s(&forked),
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["seq"], serde_json::Value::Null, "{v}");
    assert_eq!(v["tree_size"], size, "{v}");
}

#[test]
fn a_v1_bundle_cannot_carry_format_3_entries() {
    // custody-bundle/1 proves inclusion only and has no disclosures: a
    // format 3 entry's evidence would arrive as bare commitments. (The
    // verifier's handling of /1 bundles is tested on the vectors.)
    let env = custody_testkit::cli::Env::new(CUSTODY);
    env.append_ok(
        r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}
"#,
    );
    env.checkpoint(&env.path("cp.txt")).ok();
    let bundle = env.path("p1.json");
    env.run(&[
        "export",
        "--person",
        "P-1",
        "--format",
        "custody-bundle/1",
        "--out",
        s(&bundle),
    ])
    .fails(1, &["format 3 entry", "custody-bundle/1 cannot carry"]);
    assert!(!bundle.exists());
}

/// A store with P-1's capture and sighting, a retraction, a reassignment of
/// P-2's capture to P-1, a checkpoint, then entries after it; the
/// checkpoint file is `cp1.txt`.
fn store_with_history() -> custody_testkit::cli::Env {
    let env = custody_testkit::cli::Env::new(CUSTODY);
    let appended = env.append_ok(
        r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}
{"type":"sighting","person":"P-1","occurred_at":"2023-02","source":"video"}
{"type":"capture","person":"P-2","occurred_at":"2022-05-18"}
"#,
    );
    let (sighting, p2) = (&appended[1].1, &appended[2].1);
    env.append_ok(&format!(
        r#"{{"type":"correction","target":"{sighting}","reason":"duplicate"}}
{{"type":"correction","target":"{p2}","reason":"misfiled","replacement":{{"type":"capture","person":"P-1","occurred_at":"2022-05-18"}}}}
"#
    ));
    env.checkpoint(&env.path("cp1.txt")).ok();
    env
}

/// The store's own export verifies COMPLETE, entries after the checkpoint
/// stay out, and deleting any one of its items is refused.
#[test]
fn the_stores_bundle_is_complete_and_no_item_can_be_left_out() {
    let env = store_with_history();
    env.append_ok(
        r#"{"type":"sighting","person":"P-1","occurred_at":"2024-01","source":"video"}
"#,
    );
    let bundle = env.path("p1.json");
    let run = env.run(&["export", "--person", "P-1", "--out", s(&bundle)]);
    assert!(run.stderr.contains("4 entries about P-1"), "{}", run.stderr);
    run.ok();
    let out = CUSTODY.run(&["verify", "--bundle", s(&bundle)], None).ok();
    assert!(out.starts_with("COMPLETE  bundle"), "{out}");
    assert!(out.contains("all 4 entries that concern them"), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let n = doc["entries"].as_array().unwrap().len();
    assert!(n >= 7, "{doc}");
    for i in 0..n {
        let mut d = doc.clone();
        let gone = d["entries"].as_array_mut().unwrap().remove(i);
        let p = env.path(&format!("without-{i}.json"));
        std::fs::write(&p, d.to_string()).unwrap();
        let run = CUSTODY.run(&["verify", "--bundle", s(&p)], None);
        assert_eq!(
            run.code, 1,
            "the bundle without item {i} (seq {}) was not refused:\n{}{}",
            gone["seq"], run.stdout, run.stderr
        );
    }
    // Exporting twice gives the same bytes; --out never overwrites.
    let again = env.path("again.json");
    env.run(&["export", "--person", "P-1", "--out", s(&again)])
        .ok();
    assert_eq!(
        std::fs::read(&bundle).unwrap(),
        std::fs::read(&again).unwrap()
    );
    env.run(&["export", "--person", "P-1", "--out", s(&again)])
        .fails(2, &["already exists"]);
}

/// `export --anchor` makes a bundle meet an older pinned checkpoint, which
/// without the anchor is `unanchored`; the dossier states COMPLETE.
#[test]
fn an_anchored_export_meets_an_older_pin() {
    let env = store_with_history();
    env.append_ok(
        r#"{"type":"sighting","person":"P-1","occurred_at":"2024-01","source":"video"}
"#,
    );
    env.checkpoint(&env.path("cp2.txt")).ok();
    let cp1 = env.path("cp1.txt");
    let plain = env.path("plain.json");
    env.run(&["export", "--person", "P-1", "--out", s(&plain)])
        .ok();
    CUSTODY
        .run(
            &["verify", "--bundle", s(&plain), "--checkpoint", s(&cp1)],
            None,
        )
        .fails(1, &["unanchored", "--anchor"]);
    let anchored = env.path("anchored.json");
    env.run(&[
        "export",
        "--person",
        "P-1",
        "--anchor",
        s(&cp1),
        "--out",
        s(&anchored),
    ])
    .ok();
    let out = CUSTODY
        .run(
            &["verify", "--bundle", s(&anchored), "--checkpoint", s(&cp1)],
            None,
        )
        .ok();
    assert!(out.starts_with("COMPLETE  bundle"), "{out}");
    assert!(out.contains("anchor:"), "{out}");
    // An anchor at the bundle's own checkpoint is refused at export.
    env.run(&[
        "export",
        "--person",
        "P-1",
        "--anchor",
        s(&env.path("cp2.txt")),
    ])
    .fails(1, &["not older"]);
    let md = env.run(&["dossier", "P-1"]).ok();
    assert!(
        md.contains("**Verdict:** COMPLETE — these are all 5 entries about P-1"),
        "{md}"
    );
    let md = env.run(&["dossier", "P-404"]).ok();
    assert!(md.contains("**Verdict:** ABSENT"), "{md}");
}
