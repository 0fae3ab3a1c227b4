//! The store's `custody-bundle/2` exporter (`Ledger::person_bundle`, design
//! §6.2) against the specification's other implementation,
//! `custody_testkit::bundle::bundle_v2`, which assembles the document from
//! the chain in memory: over one chain (built in memory, then restored into
//! a store), the two must write the same bytes; and what the store writes
//! must verify, COMPLETE or ABSENT, as of the seal and no later.

use custody_format::entry::VERSION_1;
use custody_format::event::*;
use custody_ledger::store::{AnchorNote, BundleBuildError, Ledger};
use custody_testkit::bundle::{anchor_v2, note_size};
use custody_testkit::chain::ChainBuilder;
use custody_testkit::events::{capture, correction, pid, sighting};
use custody_testkit::keys::{authority, investigator, key};
use custody_verifier::bundle::{verify_bundle, BundleOptions, Completeness, VerifiedBundle};
use custody_verifier::checkpoint;

/// P-1's ledger (`custody_testkit::events::reassignments`).
fn present() -> (ChainBuilder, String, String) {
    custody_testkit::events::reassignments()
}

/// The chain of `b`, restored into a store in `dir`.
fn stored(b: &ChainBuilder, dir: &std::path::Path) -> Ledger {
    let entries = b
        .signed
        .iter()
        .map(|e| Ok::<_, std::convert::Infallible>(e.clone()));
    let mut l = Ledger::restore(&dir.join("l"), entries, Default::default(), |_| ()).unwrap();
    l.confirm_clock();
    l
}

fn anchor_note(note: &str) -> AnchorNote {
    let cp = checkpoint::parse(note).unwrap();
    AnchorNote {
        note: note.to_string(),
        origin: cp.origin,
        size: cp.size,
        root: cp.root,
    }
}

fn verified(text: &str) -> VerifiedBundle {
    verify_bundle(text.as_bytes(), &BundleOptions::default())
        .unwrap_or_else(|e| panic!("refused: {e}"))
}

#[test]
fn the_store_writes_what_the_specification_assembles() {
    let (b, first, second) = present();
    let dir = tempfile::tempdir().unwrap();
    let l = stored(&b, dir.path());
    for person in ["P-1", "P-2", "P-3", "P-9"] {
        let ours = l.person_bundle(&pid(person), None, &[]).unwrap().to_json();
        assert_eq!(ours, b.bundle(person, &second).to_json(), "{person}");
        // Deterministic.
        let again = l.person_bundle(&pid(person), None, &[]).unwrap().to_json();
        assert_eq!(ours, again, "{person}: two exports differ");
        let v = verified(&ours);
        let want = b
            .person_value(person)
            .filter(|v| v.head.seq < note_size(&second) - 1);
        match (v.completeness, person) {
            (Completeness::Absent, "P-9") => {}
            (Completeness::Complete { entries, .. }, p) if p != "P-9" => {
                assert!(want.is_some_and(|w| w.count == entries), "{person}");
            }
            (c, p) => panic!("{p}: {c:?}"),
        }
        // At the earlier checkpoint (`--at`), likewise.
        let at = l
            .person_bundle(&pid(person), Some(note_size(&first)), &[])
            .unwrap()
            .to_json();
        assert_eq!(at, b.bundle(person, &first).to_json(), "{person} at first");
        // With an anchor at the first checkpoint.
        let anchored = l
            .person_bundle(&pid(person), None, &[anchor_note(&first)])
            .unwrap();
        let mut theirs = b.bundle(person, &second);
        theirs
            .anchors
            .push(anchor_v2(&b.signed, person, &first, &second));
        assert_eq!(anchored.to_json(), theirs.to_json(), "{person} anchored");
        let pinned = BundleOptions {
            checkpoint: Some(checkpoint::parse(&first).unwrap()),
            ..Default::default()
        };
        let v = verify_bundle(anchored.to_json().as_bytes(), &pinned).unwrap();
        assert_eq!(v.anchors.len(), 1);
    }
}

#[test]
fn entries_after_the_seal_stay_out_and_the_export_still_verifies() {
    let (b, _, second) = present();
    let dir = tempfile::tempdir().unwrap();
    let mut l = stored(&b, dir.path());
    let before: Vec<String> = ["P-1", "P-2", "P-5"]
        .iter()
        .map(|p| l.person_bundle(&pid(p), None, &[]).unwrap().to_json())
        .collect();
    // After the seal: more about P-1 and P-2, a new person P-5, a
    // reassignment from P-2 to P-5, and governance.
    let p2 = l.append(vec![capture("P-2")], &investigator()).unwrap()[0].hash;
    l.append(vec![sighting("P-1"), capture("P-5")], &investigator())
        .unwrap();
    l.append(vec![correction(p2, Some(capture("P-5")))], &investigator())
        .unwrap();
    l.append(
        vec![custody_testkit::ledger::investigator_granted(&key(8), "K")],
        &authority(),
    )
    .unwrap();
    for (p, before) in ["P-1", "P-2", "P-5"].iter().zip(&before) {
        let after = l.person_bundle(&pid(p), None, &[]).unwrap().to_json();
        assert_eq!(&after, before, "{p}: the export moved past the seal");
        assert_eq!(after, b.bundle(p, &second).to_json(), "{p}");
        let v = verified(&after);
        assert!(v.entries.iter().all(|e| e.entry.seq() < note_size(&second)));
    }
    assert!(matches!(
        verified(&before[2]).completeness,
        Completeness::Absent
    ));
}

#[test]
fn a_ledger_whose_checkpoint_has_no_seal_is_refused_with_why() {
    let mut b = ChainBuilder::with_version("old", VERSION_1);
    b.grant(&investigator(), Role::Investigator, "I");
    b.push(capture("P-1"), &investigator());
    let note = b.checkpoint();
    let dir = tempfile::tempdir().unwrap();
    let l = stored(&b, dir.path());
    match l.person_bundle(&pid("P-1"), None, &[]) {
        Err(BundleBuildError::NoSeal { size }) => assert_eq!(size, note_size(&note)),
        other => panic!("{other:?}"),
    }
    // The legacy form is still written, and is inclusion only.
    let v1 = l.person_bundle_v1(&pid("P-1")).unwrap();
    let inclusion = BundleOptions {
        inclusion_only: true,
        ..Default::default()
    };
    let v = verify_bundle(v1.to_json().as_bytes(), &inclusion).unwrap();
    assert_eq!(v.completeness, Completeness::InclusionOnly);
    // No checkpoint at all, and an --at that names none.
    let dir2 = tempfile::tempdir().unwrap();
    let l2 = custody_testkit::ledger::with_investigator(dir2.path());
    assert!(matches!(
        l2.person_bundle(&pid("P-1"), None, &[]),
        Err(BundleBuildError::NoCheckpointYet)
    ));
    let (b3, _, second) = present();
    let dir3 = tempfile::tempdir().unwrap();
    let l3 = stored(&b3, dir3.path());
    assert!(matches!(
        l3.person_bundle(&pid("P-1"), Some(3), &[]),
        Err(BundleBuildError::NoCheckpointAt(3))
    ));
    // An anchor that is not older, or whose tree is not this ledger's.
    assert!(matches!(
        l3.person_bundle(&pid("P-1"), None, &[anchor_note(&second)]),
        Err(BundleBuildError::AnchorNotOlder { .. })
    ));
    let mut forged = anchor_note(&second);
    forged.size = 3;
    assert!(matches!(
        l3.person_bundle(&pid("P-1"), None, &[forged]),
        Err(BundleBuildError::AnchorNotExtended { .. })
    ));
}
