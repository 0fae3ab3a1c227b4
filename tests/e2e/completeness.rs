//! `custody verify --bundle` on `custody-bundle/2` files: COMPLETE or
//! ABSENT with the counts and the checkpoint's signer, and every attack
//! refused with exit 1, naming the rule, the seq and what to do. The store
//! does not export `/2` yet, so the files are assembled from chains built in
//! memory (`custody_testkit::bundle`).

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
        .fails(1, &["inconsistent", "equivocat"]);
}

#[test]
fn a_v1_bundle_needs_inclusion_only() {
    let env = custody_testkit::cli::Env::new(CUSTODY);
    env.append_ok(
        r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17"}
"#,
    );
    env.checkpoint(&env.path("cp.txt")).ok();
    let bundle = env.path("p1.json");
    env.run(&["export", "--person", "P-1", "--out", s(&bundle)])
        .ok();
    CUSTODY
        .run(&["verify", "--bundle", s(&bundle)], None)
        .fails(1, &["no_commitment", "--inclusion-only"]);
    let out = CUSTODY
        .run(
            &["verify", "--inclusion-only", "--bundle", s(&bundle)],
            None,
        )
        .ok();
    assert!(out.starts_with("INCLUSION ONLY  bundle"), "{out}");
    assert!(out.contains("not that none was left out"), "{out}");
}
