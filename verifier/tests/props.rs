//! Property tests of the format and the chain: codec round trips, chains of
//! random events verify, and any single changed byte of any entry is caught.

use custody_format::entry::{EntryBody, SignedEntry, VERSION_1};
use custody_format::event::*;
use custody_format::time::Timestamp;
use custody_ledger::keyfile::{public_key_of, SigningKey};
use custody_ledger::store::Ledger;
use custody_testkit::chain::{build_chain, verify};
use custody_testkit::keys::key;
use custody_testkit::strategy::evidence;
use custody_verifier::Rule;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Encoding then decoding gives back the same entry and the same bytes.
    #[test]
    fn codec_round_trips(event in evidence(), seq in any::<u64>(), t in any::<i64>()) {
        let k = key(3);
        let body = EntryBody {
            version: VERSION_1, links: vec![], seq, prev_hash: EntryHash([7; 32]),
            recorded_at: Timestamp(t), signer: public_key_of(&k), event,
        };
        let signed = SignedEntry::sign(body.clone(), &k).unwrap();
        let decoded = SignedEntry::decode(signed.bytes().to_vec()).unwrap();
        prop_assert_eq!(decoded.body(), &body);
        prop_assert_eq!(decoded.bytes(), signed.bytes());
        prop_assert_eq!(decoded.hash(), signed.hash());
        decoded.verify_signature().unwrap();
    }

    /// A chain of random evidence (with corrections) verifies, and its
    /// length is what was written.
    #[test]
    fn random_chains_verify(events in proptest::collection::vec(evidence(), 0..30),
                            correct in proptest::collection::vec(any::<bool>(), 0..30)) {
        let chain = build_chain(&events, &correct);
        prop_assert_eq!(verify(&chain).unwrap(), chain.len() as u64);
    }

    /// Changing any single byte of any entry, to any other value, is caught.
    #[test]
    fn any_changed_byte_is_caught(events in proptest::collection::vec(evidence(), 1..6),
                                  which in any::<prop::sample::Index>(),
                                  at in any::<prop::sample::Index>(),
                                  xor in 1u8..=255) {
        let mut chain = build_chain(&events, &[]);
        let i = which.index(chain.len());
        let j = at.index(chain[i].len());
        chain[i][j] ^= xor;
        let v = verify(&chain).unwrap_err();
        prop_assert_eq!(v.seq, i as u64, "caught at the changed entry");
    }

    /// The store's append path writes the same chain the verifier accepts,
    /// batch by batch, whatever the batch sizes.
    #[test]
    fn store_appends_verify(events in proptest::collection::vec(evidence(), 1..25), split in 1usize..8) {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("l");
        let mut ledger = custody_testkit::ledger::with_investigator(&store);
        let mut acked = Vec::new();
        for chunk in events.chunks(split) {
            acked.extend(ledger.append(chunk.to_vec(), &key(2)).unwrap());
        }
        drop(ledger);
        let ledger = Ledger::open(&store).unwrap();
        let chain: Vec<Vec<u8>> = ledger.entries_from(0).map(|r| r.unwrap().1).collect();
        prop_assert_eq!(verify(&chain).unwrap(), events.len() as u64 + 2);
        for a in &acked {
            let e = ledger.entry(a.seq).unwrap().unwrap();
            prop_assert_eq!(e.hash(), a.hash);
        }
        // The Merkle tree kept incrementally, batch by batch, equals the one
        // the verifier computes from the bytes, at every size.
        let mut stream = custody_verifier::merkle::StreamingRoot::new();
        for (i, bytes) in chain.iter().enumerate() {
            stream.push(custody_verifier::merkle::leaf_hash(bytes));
            prop_assert_eq!(ledger.merkle_root(i as u64 + 1).unwrap(), stream.root());
        }
        let n = ledger.len();
        let root = ledger.merkle_root(n).unwrap();
        for (seq, bytes) in chain.iter().enumerate() {
            let path = ledger.inclusion_proof(seq as u64, n).unwrap();
            custody_verifier::merkle::verify_inclusion(
                &custody_verifier::merkle::leaf_hash(bytes), seq as u64, n, &path, &root,
            ).unwrap();
        }
    }
}

/// Exhaustive over a small chain: every byte of every entry, flipped, is
/// caught at that entry.
#[test]
fn every_byte_of_a_small_chain_is_protected() {
    let events: Vec<Event> = {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        (0..4)
            .map(|_| evidence().new_tree(&mut runner).unwrap().current())
            .collect()
    };
    let chain = build_chain(&events, &[false, true]);
    let mut tried = 0;
    for i in 0..chain.len() {
        for j in 0..chain[i].len() {
            let mut bad = chain.clone();
            bad[i][j] ^= 0x01;
            let v = verify(&bad).expect_err("a flipped bit verified");
            assert_eq!(v.seq, i as u64);
            tried += 1;
        }
    }
    assert!(tried > 1000, "tried {tried}");
}

#[test]
fn deletion_duplication_reordering_and_foreign_keys_are_caught() {
    let events: Vec<Event> = {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        (0..5)
            .map(|_| evidence().new_tree(&mut runner).unwrap().current())
            .collect()
    };
    let chain = build_chain(&events, &[]);
    let mut deleted = chain.clone();
    deleted.remove(3);
    assert_eq!(verify(&deleted).unwrap_err().rule, Rule::Sequence);
    let mut duplicated = chain.clone();
    duplicated.insert(3, chain[3].clone());
    assert_eq!(verify(&duplicated).unwrap_err().rule, Rule::Sequence);
    let mut swapped = chain.clone();
    swapped.swap(3, 4);
    assert_eq!(verify(&swapped).unwrap_err().rule, Rule::Sequence);
    assert!(verify(&[]).is_err());

    // Re-signing entry 3 with a key that was never granted: the link and the
    // signature hold, the authority does not.
    let original = SignedEntry::decode(chain[3].clone()).unwrap();
    let stranger = key(9);
    let mut body = original.body().clone();
    body.signer = public_key_of(&stranger);
    let forged = SignedEntry::sign(body, &stranger).unwrap();
    let mut resigned = chain[..3].to_vec();
    resigned.push(forged.into_bytes());
    let v = verify(&resigned).unwrap_err();
    assert_eq!((v.seq, v.rule), (3, Rule::Authority));
    assert!(v.detail().contains("not known"), "{}", v.detail());
}

fn verify_mode(chain: &[Vec<u8>], threads: usize) -> Result<u64, custody_verifier::Violation> {
    let entries = chain.iter().map(|b| Ok::<_, ()>(b.clone()));
    custody_verifier::walk::verify_chain(entries, threads, |_| {})
        .unwrap()
        .map(|s| s.length)
}

/// Verification on worker threads reaches the same verdict, at the same
/// seq, whatever the number of workers — across chunk boundaries.
#[test]
fn parallel_verification_agrees_whatever_the_workers() {
    use custody_verifier::walk::CHUNK as BATCH;
    let events: Vec<Event> = {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        (0..BATCH * 2 + 100)
            .map(|_| evidence().new_tree(&mut runner).unwrap().current())
            .collect()
    };
    let chain = build_chain(&events, &[]);
    let modes = [1, 2, 3];
    for mode in modes {
        assert_eq!(verify_mode(&chain, mode).unwrap(), chain.len() as u64);
    }
    // A bad signature late in the second batch and a bad link after it: the
    // signature (earlier seq) is reported, whatever the mode.
    let mut bad = chain.clone();
    let sig_at = BATCH + 700;
    let n = bad[sig_at].len();
    bad[sig_at][n - 1] ^= 0x40;
    let link_at = BATCH * 2 + 50;
    bad[link_at][20] ^= 0x01; // inside prev_hash
    for mode in modes {
        let v = verify_mode(&bad, mode).unwrap_err();
        assert_eq!(
            (v.seq, v.rule),
            (sig_at as u64, Rule::Signature),
            "{mode:?}"
        );
    }
    // Flipping a signature bit after the link break: the link is first.
    let mut bad = chain.clone();
    bad[link_at][20] ^= 0x01;
    let n = bad[link_at + 10].len();
    bad[link_at + 10][n - 5] ^= 0x01;
    for mode in modes {
        let v = verify_mode(&bad, mode).unwrap_err();
        assert_eq!(v.seq, link_at as u64, "{mode:?}");
    }
}

/// Each rule of the chain walk, broken alone (the entry re-signed so that
/// only that rule fails), is reported at the entry with that rule's name.
#[test]
fn each_rule_is_named_at_its_entry() {
    let events: Vec<Event> = {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        (0..4)
            .map(|_| evidence().new_tree(&mut runner).unwrap().current())
            .collect()
    };
    let chain = build_chain(&events, &[]);
    let resign = |i: usize, k: &SigningKey, f: &dyn Fn(&mut EntryBody)| {
        let mut body = SignedEntry::decode(chain[i].clone())
            .unwrap()
            .body()
            .clone();
        f(&mut body);
        body.signer = public_key_of(k);
        let mut out = chain[..i].to_vec();
        out.push(
            SignedEntry::sign(body, k)
                .map(|e| e.into_bytes())
                .unwrap_or_default(),
        );
        out
    };
    let investigator = key(2);
    let cases: Vec<(Rule, Vec<Vec<u8>>)> = vec![
        (Rule::Sequence, resign(3, &investigator, &|b| b.seq += 1)),
        (
            Rule::PrevHash,
            resign(3, &investigator, &|b| b.prev_hash = EntryHash([9; 32])),
        ),
        (Rule::Authority, resign(3, &key(77), &|_| {})),
        (
            Rule::RecordedAt,
            resign(3, &investigator, &|b| b.recorded_at = Timestamp(0)),
        ),
        (
            Rule::CorrectionTarget,
            resign(3, &investigator, &|b| {
                b.event = Event::Correction(Correction {
                    target: EntryHash([5; 32]),
                    reason: "x".into(),
                    replacement: None,
                })
            }),
        ),
        (
            Rule::Checkpoint,
            resign(3, &key(1), &|b| {
                b.event = Event::Checkpoint(Checkpoint {
                    tree_size: 3,
                    root_hash: Sha256Digest([0; 32]),
                    note_signature: SignatureBytes([0; 64]),
                })
            }),
        ),
        (Rule::Authority, resign(0, &key(3), &|_| {})), // genesis not signed by its authority
        (Rule::Version, {
            let mut c = chain[..4].to_vec();
            c[3][0] = 4; // version 4, which this verifier does not know
            c
        }),
        (Rule::Signature, {
            let mut c = chain[..4].to_vec();
            let n = c[3].len();
            c[3][n - 1] ^= 1;
            c
        }),
    ];
    for (rule, bad) in cases {
        let v = verify(&bad).unwrap_err();
        assert_eq!((v.seq, v.rule), (bad.len() as u64 - 1, rule), "{v}");
    }
}

/// An export is verified with batched signatures too: a bad signature past
/// the first batch is reported at its line, before any later problem.
#[test]
fn export_verification_reports_the_first_bad_line_across_batches() {
    use base64::Engine;
    use custody_verifier::export::{verify_export, ExportError};
    use custody_verifier::walk::CHUNK as BATCH;
    let events: Vec<Event> = {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        (0..BATCH + 100)
            .map(|_| evidence().new_tree(&mut runner).unwrap().current())
            .collect()
    };
    let chain = build_chain(&events, &[]);
    let export = |chain: &[Vec<u8>]| -> String {
        chain
            .iter()
            .map(|b| {
                let e = SignedEntry::decode(b.clone()).unwrap();
                serde_json::json!({
                    "seq": e.seq(), "hash": e.hash(),
                    "entry": base64::engine::general_purpose::STANDARD.encode(b),
                    "view": custody_format::entry::entry_view(&e),
                })
                .to_string()
                    + "\n"
            })
            .collect()
    };
    let good = export(&chain);
    assert_eq!(
        verify_export(good.as_bytes()).unwrap().length,
        chain.len() as u64
    );
    let mut bad = chain.clone();
    let at = BATCH + 50;
    let n = bad[at].len();
    bad[at][n - 3] ^= 0x10;
    bad[at + 20][30] ^= 0x01; // a later break as well
                              // Rebuild the lines from the tampered bytes (claims match the bytes).
    match verify_export(export(&bad).as_bytes()) {
        Err(ExportError::Invalid { line, violation }) => {
            assert_eq!(line, at + 1);
            assert_eq!(
                (violation.seq, violation.rule),
                (at as u64, Rule::Signature)
            );
        }
        other => panic!("{other:?}"),
    }
}
