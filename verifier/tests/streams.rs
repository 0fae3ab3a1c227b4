//! Format v2 chains: the links, the seal and the version rules, walked by
//! the chain verifier (docs/FORMAT.md §12).

use custody_format::entry::VERSION_1;
use custody_format::event::*;
use custody_format::stream::Link;
use custody_testkit::chain::ChainBuilder;
use custody_testkit::events::{capture, correction};
use custody_testkit::keys::{authority, investigator};
use custody_verifier::Rule;

/// Genesis, a grant, evidence about two persons, a retraction, a
/// reassignment from P-2 to P-1, a revocation, and two checkpoints.
fn scenario() -> ChainBuilder {
    let mut b = ChainBuilder::new("streams");
    b.grant(&investigator(), Role::Investigator, "I");
    let p1 = b.push(capture("P-1"), &investigator()).hash();
    b.push(capture("P-2"), &investigator());
    b.checkpoint();
    b.push(correction(p1, None), &investigator());
    let p2 = b.push(capture("P-2"), &investigator()).hash();
    b.push(correction(p2, Some(capture("P-1"))), &investigator());
    b.push(
        Event::KeyRevoked(KeyRevoked {
            public_key: custody_ledger::keyfile::public_key_of(&investigator()),
            reason: "lost".into(),
        }),
        &authority(),
    );
    b.checkpoint();
    b
}

#[test]
fn a_v2_chain_with_links_and_seals_verifies() {
    let mut b = scenario();
    assert_eq!(b.verify(), Ok(b.entries.len() as u64));
    // The reassignment belongs to both persons' streams, P-2's first.
    let reassign = &b.signed[8];
    assert_eq!(reassign.body().links.len(), 2);
    assert_eq!(b.person_value("P-1").unwrap().count, 3);
    assert_eq!(b.person_value("P-2").unwrap().count, 3);
    assert!(!b.map().is_empty());
}

/// Re-signs entry `at` (with the right key) after `edit`, and cuts the
/// chain after it.
fn resigned(
    b: &ChainBuilder,
    at: usize,
    key: &custody_ledger::keyfile::SigningKey,
    edit: impl FnOnce(&mut custody_format::entry::EntryBody),
) -> Vec<Vec<u8>> {
    let mut body = b.signed[at].body().clone();
    body.signer = custody_ledger::keyfile::public_key_of(key);
    edit(&mut body);
    let e = custody_format::entry::SignedEntry::sign(body, key).unwrap();
    let mut chain = b.entries[..at].to_vec();
    chain.push(e.into_bytes());
    chain
}

fn rejected(chain: &[Vec<u8>]) -> (u64, Rule) {
    let v = custody_testkit::chain::verify(chain).unwrap_err();
    (v.seq, v.rule)
}

#[test]
fn a_wrong_link_a_false_seal_and_a_downgrade_are_named_at_their_entry() {
    let b = scenario();
    // Entry 3 (P-2's first capture) claims a previous entry.
    let bad = resigned(&b, 3, &investigator(), |body| {
        body.links = vec![Some(Link {
            seq: 2,
            hash: b.signed[2].hash(),
        })]
    });
    assert_eq!(rejected(&bad), (3, Rule::Link));
    // Entry 6 (the retraction) skips its predecessor in P-1's stream.
    let bad = resigned(&b, 6, &investigator(), |body| body.links = vec![None]);
    assert_eq!(rejected(&bad), (6, Rule::Link));
    // The reassignment names only one of its two streams.
    let bad = resigned(&b, 8, &investigator(), |body| {
        body.links.truncate(1);
    });
    assert_eq!(rejected(&bad), (8, Rule::Link));
    // The seal (entry 4) undercounts governance, re-signed by the authority.
    let bad = resigned(&b, 4, &authority(), |body| {
        if let Event::Seal(s) = &mut body.event {
            s.gov_count = 1;
        }
    });
    assert_eq!(rejected(&bad), (4, Rule::Seal));
    let bad = resigned(&b, 4, &authority(), |body| {
        if let Event::Seal(s) = &mut body.event {
            s.map_root = Sha256Digest([7; 32]);
        }
    });
    assert_eq!(rejected(&bad), (4, Rule::Seal));
    // A seal signed by an investigator.
    let bad = resigned(&b, 4, &investigator(), |_| {});
    assert_eq!(rejected(&bad), (4, Rule::Authority));
    // A v1 entry after v2 ones.
    let bad = resigned(&b, 6, &investigator(), |body| {
        body.version = VERSION_1;
        body.links = vec![];
    });
    assert_eq!(rejected(&bad), (6, Rule::Version));
}

#[test]
fn a_v2_checkpoint_needs_a_seal_before_it() {
    let b = scenario();
    // Drop the seal (entry 4) and re-sign the checkpoint at seq 4.
    let mut chain = b.entries[..4].to_vec();
    let mut nb = ChainBuilder::new("streams");
    for e in &b.signed[1..4] {
        let key = if e.body().signer == b.signed[0].body().signer {
            authority()
        } else {
            investigator()
        };
        nb.push(e.event().clone(), &key);
    }
    assert_eq!(nb.entries, chain);
    let size = 4;
    let root = {
        let mut t = custody_verifier::merkle::StreamingRoot::new();
        for e in &chain {
            t.push(custody_format::merkle_hash::leaf_hash(e));
        }
        t.root()
    };
    let text = custody_format::note::note_text("streams", size, &root);
    let body = nb.next_body(
        Event::Checkpoint(Checkpoint {
            tree_size: size,
            root_hash: Sha256Digest(root),
            note_signature: SignatureBytes(custody_format::note::sign_text(&text, &authority())),
        }),
        &authority(),
    );
    let e = custody_format::entry::SignedEntry::sign(body, &authority()).unwrap();
    chain.push(e.into_bytes());
    assert_eq!(rejected(&chain), (4, Rule::Checkpoint));
}

#[test]
fn a_mixed_chain_switches_once_and_links_reach_into_v1() {
    let mut b = ChainBuilder::with_version("mixed", VERSION_1);
    b.grant(&investigator(), Role::Investigator, "I");
    let first = b.push(capture("P-1"), &investigator());
    b.checkpoint();
    b.version = custody_format::entry::VERSION_2;
    let second = b.push(capture("P-1"), &investigator());
    assert_eq!(
        second.body().links,
        vec![Some(Link {
            seq: first.seq(),
            hash: first.hash()
        })]
    );
    b.checkpoint();
    assert_eq!(b.verify(), Ok(b.entries.len() as u64));
}

/// One machine's clock jumped to 2099 for one append. Without a correction
/// every later entry must be recorded in 2099 or later; the authority's
/// clock correction, recorded at the true time, lets the chain go on, and
/// the verifier reports which entries it disowns.
#[test]
fn a_clock_correction_lets_the_ledger_recover_from_a_wrong_clock() {
    let mut b = ChainBuilder::new("clock");
    b.grant(&investigator(), Role::Investigator, "I");
    b.push(capture("P-1"), &investigator());
    let now = b.signed[2].body().recorded_at.0;
    let year_2099 = 4_070_908_800_000_000;
    b.set_clock(year_2099);
    b.push(capture("P-2"), &investigator());
    // An honest machine, after it: refused, whatever it signs.
    b.set_clock(now + 10);
    let honest = b.next_body(capture("P-3"), &investigator());
    let e = custody_format::entry::SignedEntry::sign(honest, &investigator()).unwrap();
    let mut stuck = b.entries.clone();
    stuck.push(e.into_bytes());
    assert_eq!(rejected(&stuck), (4, Rule::RecordedAt));
    // The correction by an investigator is not enough.
    let by_investigator = b.next_body(
        Event::ClockCorrection(ClockCorrection {
            since: 3,
            reason: "laptop clock".into(),
        }),
        &investigator(),
    );
    let e = custody_format::entry::SignedEntry::sign(by_investigator, &investigator()).unwrap();
    let mut chain = b.entries.clone();
    chain.push(e.into_bytes());
    assert_eq!(rejected(&chain), (4, Rule::Authority));
    // One naming itself or a later entry is refused.
    let itself = b.next_body(
        Event::ClockCorrection(ClockCorrection {
            since: 4,
            reason: "laptop clock".into(),
        }),
        &authority(),
    );
    let e = custody_format::entry::SignedEntry::sign(itself, &authority()).unwrap();
    let mut chain = b.entries.clone();
    chain.push(e.into_bytes());
    assert_eq!(rejected(&chain), (4, Rule::RecordedAt));
    // The authority's correction, then ordinary entries at the true time.
    b.push(
        Event::ClockCorrection(ClockCorrection {
            since: 3,
            reason: "laptop clock jumped to 2099".into(),
        }),
        &authority(),
    );
    b.push(capture("P-3"), &investigator());
    b.checkpoint();
    let summary = custody_testkit::chain::summary(&b.entries).unwrap();
    assert_eq!(summary.clock_corrections.len(), 1);
    assert_eq!(summary.clock_corrections[0].seq, 4);
    assert_eq!(summary.clock_corrections[0].since, 3);
    assert!(summary.last_recorded_at.0 < year_2099);
}
