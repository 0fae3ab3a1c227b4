//! `custody-bundle/2`: a person's bundle that proves it is complete
//! (design §6, docs/FORMAT.md §7 "Person bundles"). Bundles are assembled
//! from chains built in memory (`custody_testkit::bundle`), then verified,
//! then attacked: every attack here is refused with the rule the
//! specification names, and each test fails if its defence is removed.

use custody_format::entry::{SignedEntry, VERSION_1, VERSION_2};
use custody_format::event::*;
use custody_format::wire::bundle::{BundleItemV2, BundleV2, HexHash, BUNDLE_FORMAT};
use custody_ledger::keyfile::public_key_of;
use custody_testkit::bundle::{anchor_v2, inclusion_path, note_size};
use custody_testkit::chain::ChainBuilder;
use custody_testkit::events::{capture, correction, pid, revoke, sighting};
use custody_testkit::keys::{authority, investigator, key};
use custody_verifier::bundle::{
    verify_bundle, BundleError, BundleOptions, Completeness, VerifiedBundle,
};
use custody_verifier::checkpoint;
use custody_verifier::Rule;
use proptest::prelude::*;

/// P-1's ledger (`custody_testkit::events::reassignments`).
fn present() -> (ChainBuilder, String, String) {
    custody_testkit::events::reassignments()
}

/// A ledger written in format v1 first, then v2: P-1 has v1 entries
/// (proved by count and inclusion) and v2 ones (by links).
fn mixed() -> (ChainBuilder, String) {
    let mut b = ChainBuilder::with_version("mixed", VERSION_1);
    b.grant(&investigator(), Role::Investigator, "I");
    let c = b.push(capture("P-1"), &investigator()).hash();
    b.push(sighting("P-2"), &investigator());
    b.push(correction(c, Some(capture("P-1"))), &investigator());
    b.checkpoint(); // a v1 checkpoint: no seal
    b.version = VERSION_2;
    b.grant(&key(7), Role::Investigator, "J");
    b.push(sighting("P-1"), &key(7));
    b.push(capture("P-2"), &investigator());
    let note = b.checkpoint();
    (b, note)
}

fn text(b: &BundleV2) -> Vec<u8> {
    b.to_json().into_bytes()
}

fn check(b: &BundleV2, options: &BundleOptions) -> Result<VerifiedBundle, BundleError> {
    verify_bundle(&text(b), options)
}

fn ok(b: &BundleV2) -> VerifiedBundle {
    check(b, &BundleOptions::default()).unwrap_or_else(|e| panic!("refused: {e}"))
}

/// The (seq, rule) a bundle is refused with (`format` at seq u64::MAX for
/// a document that is not a bundle).
fn refused_with(b: &BundleV2, options: &BundleOptions) -> (u64, Rule) {
    match check(b, options) {
        Ok(_) => panic!("accepted"),
        Err(BundleError::Invalid(v)) => (v.seq, v.rule),
        Err(BundleError::Malformed(_)) => (u64::MAX, Rule::Format),
        Err(e) => panic!("not a violation: {e}"),
    }
}

fn refused(b: &BundleV2) -> (u64, Rule) {
    refused_with(b, &BundleOptions::default())
}

fn reparse(b: &BundleV2) -> BundleV2 {
    BundleV2::parse(&text(b)).unwrap()
}

fn entry_of(item: &BundleItemV2) -> SignedEntry {
    SignedEntry::decode(item.entry.0.clone()).unwrap()
}

/// The seqs a link (in governance or the person's stream) or a head names:
/// deleting one of those items must be `missing_entry` at its own seq.
/// Computed with the streams of each entry, as the specification defines
/// them, apart from the verifier's own walk.
fn link_named(b: &BundleV2) -> std::collections::BTreeSet<u64> {
    use custody_format::stream::{streams, Stream};
    let theirs = Stream::person(b.person.as_str());
    let entries: Vec<SignedEntry> = b.entries.iter().map(entry_of).collect();
    let mut out = std::collections::BTreeSet::new();
    for e in &entries {
        let target_person = match e.event() {
            Event::Correction(c) => entries
                .iter()
                .find(|t| t.hash() == c.target)
                .and_then(|t| t.event().person())
                .map(|p| custody_format::map_hash::person_key(p.as_str())),
            _ => None,
        };
        let list = streams(e.event(), target_person.as_ref());
        for (st, link) in list.as_slice().iter().zip(&e.body().links) {
            if let (true, Some(l)) = (*st == Stream::Governance || *st == theirs, link) {
                out.insert(l.seq);
            }
        }
        if let Event::Seal(seal) = e.event() {
            out.insert(seal.gov_head.seq);
            out.insert(e.seq());
        }
    }
    if let Some(v) = &b.map_proof.value {
        out.insert(v.head.seq);
    }
    out
}

/// Deleting any single item is refused; where a link or head names the
/// item, with `missing_entry` at its seq. Returns how many deletions.
fn every_deletion_is_refused(b: &BundleV2, all_missing_entry: bool) -> usize {
    let person = b.person.as_str().to_string();
    let named = link_named(b);
    for i in 0..b.entries.len() {
        let mut cut = reparse(b);
        let gone = cut.entries.remove(i);
        let (seq, rule) = refused(&cut);
        if named.contains(&gone.seq) {
            assert_eq!(
                (seq, rule),
                (gone.seq, Rule::MissingEntry),
                "{person}'s bundle as of {}: deleting item {} (seq {})",
                note_size(&b.checkpoint),
                i,
                gone.seq
            );
        } else if all_missing_entry {
            assert_eq!(rule, Rule::MissingEntry, "deleting seq {}", gone.seq);
        }
    }
    b.entries.len()
}

#[test]
fn a_present_person_with_corrections_and_reassignments_is_complete() {
    let (b, first, second) = present();
    assert_eq!(b.verify(), Ok(b.entries.len() as u64));
    let bundle = b.bundle("P-1", &second);
    let v = ok(&bundle);
    let want = b.person_value("P-1").unwrap();
    assert_eq!(
        v.completeness,
        Completeness::Complete {
            entries: want.count,
            head: want.head
        }
    );
    // capture, sighting, retraction, reassignment in, reassignment out,
    // sighting: six entries concern P-1; governance is genesis, three
    // grants... (genesis, grant I, grant J, revocation).
    assert_eq!(want.count, 6);
    assert_eq!(v.governance, 4);
    // The reassigned-in target (P-2's sighting) is carried too.
    assert!(v
        .entries
        .iter()
        .any(|e| e.entry.event().person() == Some(&pid("P-2"))));
    // Against the first checkpoint too.
    let v = ok(&b.bundle("P-1", &first));
    assert!(matches!(
        v.completeness,
        Completeness::Complete { entries: 2, .. }
    ));
    // P-2 and P-3 (who only appear through reassignments).
    for p in ["P-2", "P-3"] {
        let v = ok(&b.bundle(p, &second));
        let want = b.person_value(p).unwrap();
        assert_eq!(
            v.completeness,
            Completeness::Complete {
                entries: want.count,
                head: want.head
            }
        );
    }
}

#[test]
fn an_absent_person_is_proved_absent() {
    let (b, first, second) = present();
    for note in [&first, &second] {
        let v = ok(&b.bundle("P-404", note));
        assert_eq!(v.completeness, Completeness::Absent);
        assert!(v
            .entries
            .iter()
            .all(|e| e.entry.event().is_governance() || matches!(e.entry.event(), Event::Seal(_))));
    }
    // A one-person map: the absence ends in the other person's leaf, or an
    // empty subtree.
    let mut b = ChainBuilder::new("one");
    b.grant(&investigator(), Role::Investigator, "I");
    b.push(capture("P-1"), &investigator());
    let note = b.checkpoint();
    assert_eq!(
        ok(&b.bundle("P-2", &note)).completeness,
        Completeness::Absent
    );
    // No person at all: the map is empty.
    let mut b = ChainBuilder::new("none");
    let note = b.checkpoint();
    assert_eq!(
        ok(&b.bundle("P-1", &note)).completeness,
        Completeness::Absent
    );
}

#[test]
fn a_mixed_v1_prefix_chain_is_complete() {
    let (b, note) = mixed();
    assert_eq!(b.verify(), Ok(b.entries.len() as u64));
    for (p, count) in [("P-1", 3), ("P-2", 2)] {
        let v = ok(&b.bundle(p, &note));
        assert!(
            matches!(v.completeness, Completeness::Complete { entries, .. } if entries == count),
            "{p}: {:?}",
            v.completeness
        );
    }
    // v1 entries below the linked part carry inclusion proofs.
    let bundle = b.bundle("P-1", &note);
    assert!(bundle
        .entries
        .iter()
        .any(|i| i.inclusion_proof.is_some() && entry_of(i).body().version == VERSION_1));
}

#[test]
fn every_single_deletion_of_every_valid_bundle_is_refused() {
    let (b, first, second) = present();
    let mut n = 0;
    for note in [&first, &second] {
        for p in ["P-1", "P-2", "P-3", "P-404"] {
            n += every_deletion_is_refused(&b.bundle(p, note), true);
        }
    }
    let (m, note) = mixed();
    for p in ["P-1", "P-2", "P-404"] {
        n += every_deletion_is_refused(&m.bundle(p, &note), false);
    }
    assert!(n > 60, "{n} deletions");
}

/// Design §9.3's three deletions, with their reasons.
#[test]
fn a_missing_entry_says_why_it_was_named() {
    let mut b = ChainBuilder::new("worked");
    b.grant(&investigator(), Role::Investigator, "I");
    b.push(capture("P-1"), &investigator());
    let s = b.push(sighting("P-1"), &investigator()).hash();
    b.push(correction(s, None), &investigator());
    let note = b.checkpoint();
    let bundle = b.bundle("P-1", &note);
    let detail = |seq: u64| {
        let mut cut = reparse(&bundle);
        cut.entries.retain(|i| i.seq != seq);
        match check(&cut, &BundleOptions::default()) {
            Err(BundleError::Invalid(v)) => {
                assert_eq!((v.seq, v.rule), (seq, Rule::MissingEntry));
                v.detail()
            }
            other => panic!("{other:?}"),
        }
    };
    assert!(
        detail(3).contains("previous entry about P-1, linked from seq 4"),
        "{}",
        detail(3)
    );
    assert!(
        detail(4).contains("the latest entry about P-1 named by the seal's map"),
        "{}",
        detail(4)
    );
    assert!(detail(1).contains("governance head"), "{}", detail(1));
    assert!(detail(0).contains("linked from seq 1"), "{}", detail(0));
}

#[test]
fn an_item_replaced_by_another_entry_of_the_ledger_is_refused() {
    let (b, _, second) = present();
    let bundle = b.bundle("P-1", &second);
    let s = note_size(&second) as usize;
    let leaves: Vec<_> = b.signed[..s]
        .iter()
        .map(|e| custody_format::merkle_hash::leaf_hash(e.bytes()))
        .collect();
    let inside: Vec<u64> = bundle.entries.iter().map(|i| i.seq).collect();
    let outside: Vec<usize> = (0..s).filter(|q| !inside.contains(&(*q as u64))).collect();
    assert!(!outside.is_empty());
    for i in 0..bundle.entries.len() {
        for &o in &outside {
            for with_proof in [true, false] {
                let mut swapped = reparse(&bundle);
                let proof = with_proof.then(|| inclusion_path(o, &leaves));
                swapped.entries[i] = BundleItemV2::of(&b.signed[o], proof.as_deref());
                swapped.entries.sort_by_key(|i| i.seq);
                let _ = refused(&swapped);
            }
        }
    }
}

#[test]
fn another_persons_entry_is_an_extra_entry() {
    let (b, _, second) = present();
    let mut bundle = b.bundle("P-1", &second);
    let s = note_size(&second) as usize;
    let leaves: Vec<_> = b.signed[..s]
        .iter()
        .map(|e| custody_format::merkle_hash::leaf_hash(e.bytes()))
        .collect();
    // P-2's capture at seq 4 (in the first part of the ledger).
    let q = 4;
    assert_eq!(b.signed[q].event().person(), Some(&pid("P-2")));
    bundle.entries.push(BundleItemV2::of(
        &b.signed[q],
        Some(&inclusion_path(q, &leaves)),
    ));
    bundle.entries.sort_by_key(|i| i.seq);
    assert_eq!(refused(&bundle), (4, Rule::ExtraEntry));
    // Without a proof it is not even tied to the checkpoint.
    let mut bare = b.bundle("P-1", &second);
    bare.entries.push(BundleItemV2::of(&b.signed[q], None));
    bare.entries.sort_by_key(|i| i.seq);
    assert_eq!(refused(&bare), (4, Rule::Unauthenticated));
}

#[test]
fn a_redundant_or_missing_inclusion_proof_is_refused() {
    let (b, _, second) = present();
    let bundle = b.bundle("P-1", &second);
    let s = note_size(&second) as usize;
    let leaves: Vec<_> = b.signed[..s]
        .iter()
        .map(|e| custody_format::merkle_hash::leaf_hash(e.bytes()))
        .collect();
    // A named item given a (valid) proof anyway.
    let mut redundant = reparse(&bundle);
    let i = redundant
        .entries
        .iter()
        .position(|i| i.inclusion_proof.is_none())
        .unwrap();
    let q = redundant.entries[i].seq;
    redundant.entries[i].inclusion_proof = Some(
        inclusion_path(q as usize, &leaves)
            .into_iter()
            .map(HexHash)
            .collect(),
    );
    assert_eq!(refused(&redundant), (q, Rule::Format));
    // The seal without its proof.
    let mut bare = reparse(&bundle);
    bare.entries.last_mut().unwrap().inclusion_proof = None;
    assert_eq!(refused(&bare), (s as u64 - 1, Rule::Unauthenticated));
    // A v1 entry (named by nothing) without its proof.
    let (m, note) = mixed();
    let mut bare = m.bundle("P-1", &note);
    let i = bare
        .entries
        .iter()
        .position(|i| i.inclusion_proof.is_some() && entry_of(i).body().version == VERSION_1)
        .unwrap();
    let q = bare.entries[i].seq;
    bare.entries[i].inclusion_proof = None;
    assert_eq!(refused(&bare), (q, Rule::Unauthenticated));
    // A wrong proof.
    let mut wrong = m.bundle("P-1", &note);
    wrong.entries[i].inclusion_proof.as_mut().unwrap()[0].0[0] ^= 1;
    assert_eq!(refused(&wrong), (q, Rule::Checkpoint));
    // A missing `inclusion_proof` field is not the same as `null`.
    let json = String::from_utf8(text(&bundle)).unwrap();
    let gone = json.replacen("\"inclusion_proof\": null,", "", 1);
    assert_ne!(gone, json);
    assert!(matches!(
        verify_bundle(gone.as_bytes(), &BundleOptions::default()),
        Err(BundleError::Malformed(_))
    ));
}

#[test]
fn the_map_proof_of_another_seal_or_person_is_refused() {
    let (b, first, second) = present();
    let seal_seq = note_size(&second) - 1;
    let mut other_seal = b.bundle("P-1", &second);
    other_seal.map_proof = b.bundle("P-1", &first).map_proof;
    assert_eq!(refused(&other_seal), (seal_seq, Rule::MapProof));
    for other in ["P-2", "P-404"] {
        let mut other_person = b.bundle("P-1", &second);
        other_person.map_proof = b.bundle(other, &second).map_proof;
        assert_eq!(
            refused(&other_person),
            (seal_seq, Rule::MapProof),
            "{other}"
        );
    }
    // An absent person's bundle claiming presence, or the reverse.
    let mut claimed = b.bundle("P-404", &second);
    claimed.map_proof = b.bundle("P-1", &second).map_proof;
    assert_eq!(refused(&claimed), (seal_seq, Rule::MapProof));
    // 257 siblings.
    let mut long = b.bundle("P-1", &second);
    long.map_proof.siblings = vec![HexHash([0; 32]); 257];
    assert_eq!(refused(&long), (seal_seq, Rule::MapProof));
}

#[test]
fn an_older_checkpoint_is_stale_under_min_size() {
    let (b, first, second) = present();
    let older = b.bundle("P-1", &first);
    let n = note_size(&second);
    let options = BundleOptions {
        min_size: Some(n),
        ..Default::default()
    };
    assert_eq!(
        refused_with(&older, &options),
        (note_size(&first), Rule::StaleCheckpoint)
    );
    check(&b.bundle("P-1", &second), &options).unwrap();
    // A pinned newer checkpoint: stale too.
    let pinned = BundleOptions {
        checkpoint: Some(checkpoint::parse(&second).unwrap()),
        ..Default::default()
    };
    assert_eq!(
        refused_with(&older, &pinned),
        (note_size(&first), Rule::StaleCheckpoint)
    );
    check(&b.bundle("P-1", &second), &pinned).unwrap();
}

#[test]
fn an_equivocating_pin_is_inconsistent() {
    // Two ledgers of one name and one authority, of one size, told apart
    // by one entry: two checkpoints of size s with different roots.
    let build = |who: &str| {
        let mut b = ChainBuilder::new("forked");
        b.grant(&investigator(), Role::Investigator, "I");
        b.push(capture(who), &investigator());
        let note = b.checkpoint();
        (b, note)
    };
    let (a, note_a) = build("P-1");
    let (_, note_b) = build("P-2");
    assert_eq!(note_size(&note_a), note_size(&note_b));
    let options = BundleOptions {
        checkpoint: Some(checkpoint::parse(&note_b).unwrap()),
        ..Default::default()
    };
    assert_eq!(
        refused_with(&a.bundle("P-1", &note_a), &options),
        (note_size(&note_a), Rule::Inconsistent)
    );
}

#[test]
fn a_v1_downgrade_has_no_commitment() {
    let (b, _, second) = present();
    let v2 = b.bundle("P-1", &second);
    let s = note_size(&second) as usize;
    let leaves: Vec<_> = b.signed[..s]
        .iter()
        .map(|e| custody_format::merkle_hash::leaf_hash(e.bytes()))
        .collect();
    // The same entries as a custody-bundle/1: every item with its proof,
    // no seal or map proof.
    let v1 = custody_format::wire::bundle::Bundle {
        checkpoint: v2.checkpoint.clone(),
        entries: v2
            .entries
            .iter()
            .map(|i| {
                custody_format::wire::bundle::BundleItem::of(
                    &entry_of(i),
                    &inclusion_path(i.seq as usize, &leaves),
                )
            })
            .collect(),
        format: BUNDLE_FORMAT.into(),
        origin: v2.origin.clone(),
        person: v2.person.clone(),
    };
    let text = v1.to_json().into_bytes();
    match verify_bundle(&text, &BundleOptions::default()) {
        Err(BundleError::Invalid(v)) => {
            assert_eq!((v.seq, v.rule), (s as u64 - 1, Rule::NoCommitment))
        }
        other => panic!("{other:?}"),
    }
    let inclusion_only = BundleOptions {
        inclusion_only: true,
        ..Default::default()
    };
    let v = verify_bundle(&text, &inclusion_only).unwrap();
    assert_eq!(v.completeness, Completeness::InclusionOnly);
    // A /2 document relabelled /1 is not a /1 either.
    let relabelled = String::from_utf8(v2.to_json().into_bytes())
        .unwrap()
        .replace("custody-bundle/2", "custody-bundle/1");
    assert!(matches!(
        verify_bundle(relabelled.as_bytes(), &inclusion_only),
        Err(BundleError::Malformed(_))
    ));
    // A checkpoint without a seal before it (the mixed ledger's v1
    // checkpoint, rebuilt: builders are deterministic).
    let (m, m_note) = mixed();
    let v1_note = {
        let mut b = ChainBuilder::with_version("mixed", VERSION_1);
        b.grant(&investigator(), Role::Investigator, "I");
        let c = b.push(capture("P-1"), &investigator()).hash();
        b.push(sighting("P-2"), &investigator());
        b.push(correction(c, Some(capture("P-1"))), &investigator());
        b.checkpoint()
    };
    let v1_size = note_size(&v1_note);
    let mut against_v1 = m.bundle("P-1", &m_note);
    against_v1.checkpoint = v1_note;
    against_v1.entries.retain(|i| i.seq < v1_size);
    assert_eq!(refused(&against_v1), (v1_size - 1, Rule::NoCommitment));
}

#[test]
fn a_note_extension_line_is_refused() {
    let (b, _, second) = present();
    let mut bundle = b.bundle("P-1", &second);
    let cp = checkpoint::parse(&second).unwrap();
    let text = format!("{}custody-ext map-root\n", cp.text);
    let sig = custody_format::note::sign_text(&text, &authority());
    bundle.checkpoint =
        custody_format::note::signed_note(&text, "bundles", &public_key_of(&authority()).0, &sig);
    assert_eq!(refused(&bundle), (cp.size, Rule::Format));
}

/// The bundle of `person` against `new`, with an anchor at `old`.
fn anchored(b: &ChainBuilder, person: &str, old: &str, new: &str) -> BundleV2 {
    let mut bundle = b.bundle(person, new);
    bundle.anchors.push(anchor_v2(&b.signed, person, old, new));
    bundle
}

fn pinned_to(note: &str) -> BundleOptions {
    BundleOptions {
        checkpoint: Some(checkpoint::parse(note).unwrap()),
        ..Default::default()
    }
}

#[test]
fn an_anchor_meets_a_pin_older_than_the_bundle() {
    let (b, first, second) = present();
    let s = note_size(&second);
    // Without an anchor, the older pin cannot be met.
    assert_eq!(
        refused_with(&b.bundle("P-1", &second), &pinned_to(&first)),
        (s, Rule::Unanchored)
    );
    // With one (read back through the reader), it is, for a present and an
    // absent person alike.
    for person in ["P-1", "P-3", "P-9"] {
        let bundle = reparse(&anchored(&b, person, &first, &second));
        let v =
            check(&bundle, &pinned_to(&first)).unwrap_or_else(|e| panic!("{person}: refused: {e}"));
        assert_eq!(v.anchors.len(), 1);
        assert!(v.anchors[0].sealed, "the first checkpoint ends with a seal");
        assert_eq!(v.anchors[0].checkpoint.size, note_size(&first));
        // Unpinned, the anchor is verified all the same.
        assert_eq!(ok(&bundle).anchors.len(), 1);
    }
    // An anchor at the pinned size but for another tree does not meet it.
    let mut forged_pin = checkpoint::parse(&first).unwrap();
    forged_pin.root = [7; 32];
    let pin = BundleOptions {
        checkpoint: Some(forged_pin),
        ..Default::default()
    };
    assert_eq!(
        refused_with(&anchored(&b, "P-1", &first, &second), &pin).1,
        Rule::Unanchored
    );
}

#[test]
fn an_anchor_whose_consistency_proof_fails_is_inconsistent() {
    let (b, first, second) = present();
    let s = note_size(&second);
    let mut flipped = anchored(&b, "P-1", &first, &second);
    flipped.anchors[0].consistency[0].0[0] ^= 1;
    assert_eq!(refused(&flipped), (s, Rule::Inconsistent));
    let mut short = anchored(&b, "P-1", &first, &second);
    short.anchors[0].consistency.pop();
    assert_eq!(refused(&short), (s, Rule::Inconsistent));
    // The anchor's last entry, swapped for another entry of its tree, is
    // not leaf m−1.
    let mut moved = anchored(&b, "P-1", &first, &second);
    let leaves: Vec<_> = b.signed[..note_size(&first) as usize]
        .iter()
        .map(|e| custody_format::merkle_hash::leaf_hash(e.bytes()))
        .collect();
    let m = note_size(&first) as usize;
    moved.anchors[0].last =
        BundleItemV2::of(&b.signed[m - 2], Some(&inclusion_path(m - 2, &leaves)));
    assert_eq!(refused(&moved).1, Rule::Checkpoint);
    // The anchor's map proof for another person does not hold.
    let mut other = anchored(&b, "P-1", &first, &second);
    other.anchors[0].map_proof = anchor_v2(&b.signed, "P-2", &first, &second).map_proof;
    assert_eq!(refused(&other), (note_size(&first) - 1, Rule::MapProof));
}

/// A seal that lies (here about the governance count): a bundle against a
/// later, honest seal cannot see it, an anchor at the lying seal's
/// checkpoint does.
#[test]
fn an_anchor_whose_seal_disagrees_with_the_bundles_streams_is_inconsistent() {
    let mut b = ChainBuilder::new("lying");
    b.grant(&investigator(), Role::Investigator, "I");
    b.push(capture("P-1"), &investigator());
    let f = b.seal_facts();
    let lying = b.lying_checkpoint(Seal {
        map_root: Sha256Digest(f.map_root),
        gov_count: f.gov_count + 1,
        gov_head: f.gov_head,
    });
    b.push(sighting("P-1"), &investigator());
    let second = b.checkpoint();
    ok(&b.bundle("P-1", &second));
    assert_eq!(
        refused(&anchored(&b, "P-1", &lying, &second)),
        (note_size(&lying), Rule::Inconsistent)
    );
}

/// Design §8: a deputy authority key D is revoked; its thief forks the log
/// before the revocation and, with D, forges a grant, a sighting, a seal
/// and a checkpoint. Without a pin the forged bundle verifies: it is a
/// consistent fork, and a bundle alone cannot see that a longer real log
/// exists (documented in FORMAT.md §7). Pinned to a real checkpoint issued
/// after the revocation, it is refused.
#[test]
fn the_stolen_authority_key_fork_needs_a_pin_to_be_refused() {
    let deputy = key(9);
    let thief_investigator = key(10);
    let prefix = || {
        let mut b = ChainBuilder::new("stolen");
        b.grant(&deputy, Role::Authority, "Deputy");
        b.grant(&investigator(), Role::Investigator, "I");
        b.push(capture("P-1"), &investigator());
        b
    };
    // The real ledger: D revoked, then a checkpoint.
    let mut real = prefix();
    real.push(revoke(&deputy), &authority());
    real.push(capture("P-7"), &investigator());
    let real_note = real.checkpoint();
    // The fork: D's grant of a new key, a false sighting, D's seal and
    // checkpoint.
    let mut fork = prefix();
    fork.grant_by(&thief_investigator, Role::Investigator, "Z", &deputy);
    fork.push(sighting("P-1"), &thief_investigator);
    fork.push(sighting("P-1"), &thief_investigator);
    let forged_note = fork.checkpoint_signed_by(&deputy);
    let forged = fork.bundle("P-1", &forged_note);
    let v = ok(&forged);
    assert!(matches!(
        v.completeness,
        Completeness::Complete { entries: 3, .. }
    ));
    assert_eq!(v.checkpoint_signer, public_key_of(&deputy));
    // Pinned to the real checkpoint: a fork of another size...
    let pinned = BundleOptions {
        checkpoint: Some(checkpoint::parse(&real_note).unwrap()),
        ..Default::default()
    };
    assert!(note_size(&forged_note) > note_size(&real_note));
    assert_eq!(
        refused_with(&forged, &pinned),
        (note_size(&forged_note), Rule::Unanchored)
    );
    // ... and of the same size: two roots for one size.
    let mut fork2 = prefix();
    fork2.grant_by(&thief_investigator, Role::Investigator, "Z", &deputy);
    fork2.push(sighting("P-1"), &thief_investigator);
    let forged_note2 = fork2.checkpoint_signed_by(&deputy);
    assert_eq!(note_size(&forged_note2), note_size(&real_note));
    assert_eq!(
        refused_with(&fork2.bundle("P-1", &forged_note2), &pinned).1,
        Rule::Inconsistent
    );
    // The real bundle verifies under the same pin.
    check(&real.bundle("P-1", &real_note), &pinned).unwrap();
}

#[test]
fn a_note_signed_by_a_revoked_key_is_refused() {
    let deputy = key(9);
    let mut b = ChainBuilder::new("revoked");
    b.grant(&deputy, Role::Authority, "Deputy");
    b.push(revoke(&deputy), &authority());
    let note = b.checkpoint();
    let mut bundle = b.bundle("P-1", &note);
    // The same note text, signed by the revoked deputy instead.
    let cp = checkpoint::parse(&note).unwrap();
    let sig = custody_format::note::sign_text(&cp.text, &deputy);
    bundle.checkpoint =
        custody_format::note::signed_note(&cp.text, "revoked", &public_key_of(&deputy).0, &sig);
    assert_eq!(refused(&bundle), (cp.size, Rule::Checkpoint));
}

/// Random ledgers: evidence about four persons, retractions and
/// reassignments, grants and revocations of investigators, checkpoints
/// anywhere.
#[derive(Clone, Debug)]
enum Op {
    Capture(u8),
    Sighting(u8),
    Retract(u8),
    Reassign(u8, u8),
    Grant,
    Revoke,
    Checkpoint,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..4).prop_map(Op::Capture),
        3 => (0u8..4).prop_map(Op::Sighting),
        2 => any::<u8>().prop_map(Op::Retract),
        2 => (any::<u8>(), 0u8..4).prop_map(|(a, b)| Op::Reassign(a, b)),
        1 => Just(Op::Grant),
        1 => Just(Op::Revoke),
        1 => Just(Op::Checkpoint),
    ]
}

fn person(i: u8) -> String {
    format!("P-{}", i + 1)
}

/// Builds the ledger `ops` describe (skipping what the rules would refuse)
/// and returns it with its notes.
fn random_ledger(v1_prefix: usize, ops: &[Op]) -> (ChainBuilder, Vec<String>) {
    let mut b =
        ChainBuilder::with_version("random", if v1_prefix > 0 { VERSION_1 } else { VERSION_2 });
    b.grant(&investigator(), Role::Investigator, "I");
    let mut open: Vec<(EntryHash, u8)> = Vec::new();
    let mut keys: Vec<u8> = Vec::new();
    let mut next_key = 20u8;
    let mut notes = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        if n == v1_prefix && b.version == VERSION_1 {
            b.version = VERSION_2;
        }
        let signer = keys.last().map_or_else(investigator, |k| key(*k));
        match op {
            Op::Capture(p) | Op::Sighting(p) => {
                let ev = if matches!(op, Op::Capture(_)) {
                    capture(&person(*p))
                } else {
                    sighting(&person(*p))
                };
                let h = b.push(ev, &signer).hash();
                open.push((h, *p));
            }
            Op::Retract(i) if !open.is_empty() => {
                let (t, _) = open.remove(usize::from(*i) % open.len());
                b.push(correction(t, None), &signer);
            }
            Op::Reassign(i, to) if !open.is_empty() => {
                let (t, _) = open.remove(usize::from(*i) % open.len());
                let h = b
                    .push(correction(t, Some(sighting(&person(*to)))), &signer)
                    .hash();
                let _ = h;
            }
            Op::Grant => {
                keys.push(next_key);
                b.grant(&key(next_key), Role::Investigator, "K");
                next_key += 1;
            }
            Op::Revoke => {
                if let Some(k) = keys.pop() {
                    b.push(revoke(&key(k)), &authority());
                }
            }
            Op::Checkpoint if b.version == VERSION_2 => notes.push(b.checkpoint()),
            _ => {}
        }
    }
    if b.version == VERSION_1 {
        b.version = VERSION_2;
    }
    notes.push(b.checkpoint());
    (b, notes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Every person's bundle (and an absent person's) against every
    /// checkpoint verifies, complete with the map's count; deleting any
    /// single item from it is refused.
    #[test]
    fn random_ledgers_bundles_verify_and_every_deletion_is_refused(
        v1_prefix in prop_oneof![Just(0usize), 0usize..6],
        ops in proptest::collection::vec(op(), 1..18),
    ) {
        let (b, notes) = random_ledger(v1_prefix, &ops);
        prop_assert_eq!(b.verify(), Ok(b.entries.len() as u64));
        let last = notes.last().unwrap();
        for p in 0..5u8 {
            let name = person(p);
            let bundle = b.bundle(&name, last);
            let v = ok(&bundle);
            let s = note_size(last) as usize;
            // The count the map states is the count in the ledger.
            let concerning = count_concerning(&b.signed[..s - 1], &name);
            match v.completeness {
                Completeness::Complete { entries, .. } => prop_assert_eq!(entries, concerning),
                Completeness::Absent => prop_assert_eq!(0, concerning),
                Completeness::InclusionOnly => prop_assert!(false),
            }
            every_deletion_is_refused(&bundle, v1_prefix == 0);
        }
        for note in &notes[..notes.len() - 1] {
            ok(&b.bundle("P-1", note));
        }
    }
}

/// How many of `entries` concern `person` (their evidence, and corrections
/// whose target or replacement is theirs), counted the plain way.
fn count_concerning(entries: &[SignedEntry], person: &str) -> u64 {
    let about = |e: &Event| e.person().map(PersonId::as_str) == Some(person);
    let mut n = 0;
    for e in entries {
        let hit = match e.event() {
            Event::Correction(c) => {
                let target = entries.iter().find(|t| t.hash() == c.target).unwrap();
                about(target.event()) || c.replacement.as_deref().is_some_and(about)
            }
            ev => about(ev),
        };
        n += u64::from(hit);
    }
    n
}

/// Items out of ascending seq (two neighbours swapped, or the whole list
/// reversed) are refused: FORMAT.md §7 requires ascending seq, and a
/// reader must not have to sort what it was given.
#[test]
fn items_out_of_order_are_refused() {
    let (b, _, second) = present();
    let bundle = b.bundle("P-1", &second);
    ok(&bundle);
    for i in 0..bundle.entries.len() - 1 {
        let mut swapped = reparse(&bundle);
        swapped.entries.swap(i, i + 1);
        let (_, rule) = refused(&swapped);
        assert_eq!(rule, Rule::Sequence, "items {i} and {} swapped", i + 1);
    }
    let mut reversed = reparse(&bundle);
    reversed.entries.reverse();
    assert_eq!(refused(&reversed).1, Rule::Sequence);
}
