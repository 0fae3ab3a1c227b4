//! The verifier on format v3 ledgers (design docs/design/format-v3.md §3.4,
//! §6, §7): statement signatures in the parallel walk, and disclosures in
//! exports and bundles.

use custody_format::entry::{split, SignedEntry};
use custody_format::event::Event;
use custody_testkit::v3::v3_ledger;
use custody_verifier::walk::verify_chain;
use custody_verifier::{ChainVerifier, Rule, Violation};

/// The sequential walk: each entry checked in full before the next.
fn pushing(entries: &[Vec<u8>]) -> Result<u64, Violation> {
    let mut chain = ChainVerifier::new();
    for e in entries {
        chain.push(e)?;
    }
    chain.finish().map(|s| s.length)
}

/// The parallel walk, on `threads` workers.
fn walking(entries: &[Vec<u8>], threads: usize) -> Result<u64, Violation> {
    verify_chain(
        entries
            .iter()
            .map(|e| Ok::<_, std::convert::Infallible>(e.clone())),
        threads,
        |_| {},
    )
    .unwrap()
    .map(|s| s.length)
}

/// Where the statement's 64-byte signature sits in entry `bytes`.
fn statement_signature_range(bytes: &[u8]) -> std::ops::Range<usize> {
    let entry = SignedEntry::decode(bytes.to_vec()).unwrap();
    let Event::Statement(s) = entry.event() else {
        panic!("not a statement")
    };
    let sig = s.statement.signature();
    let (body, _) = split(bytes).unwrap();
    let at = body
        .windows(64)
        .position(|w| w == sig)
        .expect("the signature is in the body");
    at..at + 64
}

#[test]
fn a_v3_ledger_verifies_sequentially_and_in_parallel() {
    let (l, _) = v3_ledger();
    let n = l.chain.entries.len() as u64;
    assert_eq!(pushing(&l.chain.entries), Ok(n));
    for threads in [1, 3] {
        assert_eq!(walking(&l.chain.entries, threads), Ok(n));
    }
}

/// The author signature is checked on the workers now, not in the rules:
/// every bit of it, flipped, is still `statement_signature` at the
/// statement's seq, on both paths, whatever the number of workers. (The
/// entry is re-signed, so its own signature holds.)
#[test]
fn a_flipped_bit_in_a_statement_signature_is_statement_signature_at_its_seq() {
    let (l, _) = v3_ledger();
    let seq = 4usize;
    let original = &l.chain.signed[seq];
    let range = statement_signature_range(&l.chain.entries[seq]);
    for bit in (0..512).step_by(7) {
        let mut body = original.body().clone();
        let Event::Statement(s) = &mut body.event else {
            panic!("not a statement")
        };
        let mut sig = s.statement.signature();
        sig[bit / 8] ^= 1 << (bit % 8);
        s.statement =
            custody_format::statement::SignedStatement::from_parts(s.statement.body().clone(), sig)
                .unwrap();
        let forged = SignedEntry::sign(body, &custody_testkit::v3::registrar()).unwrap();
        assert_ne!(
            forged.bytes()[range.clone()],
            l.chain.entries[seq][range.clone()]
        );
        let mut entries = l.chain.entries[..seq].to_vec();
        entries.push(forged.bytes().to_vec());
        let expect = |r: Result<u64, Violation>| {
            let v = r.expect_err("refused");
            assert_eq!(
                (v.seq, v.rule),
                (seq as u64, Rule::StatementSignature),
                "{v}"
            );
        };
        expect(pushing(&entries));
        for threads in [1, 2, 3] {
            expect(walking(&entries, threads));
        }
    }
}

/// A statement whose author signature is bad and which breaks a later
/// rule too is reported as the rules order them: `statement_signature`
/// (checked inline when a later rule fails), never `authority`.
#[test]
fn a_bad_statement_signature_comes_before_a_later_rule_on_both_paths() {
    let (l, _) = v3_ledger();
    let seq = 4usize;
    let mut body = l.chain.signed[seq].body().clone();
    let Event::Statement(s) = &mut body.event else {
        panic!("not a statement")
    };
    let mut sig = s.statement.signature();
    sig[40] ^= 0x10;
    s.statement =
        custody_format::statement::SignedStatement::from_parts(s.statement.body().clone(), sig)
            .unwrap();
    // Signed by the authority, which may not register: rule `authority`
    // would follow.
    body.signer = custody_ledger::keyfile::public_key_of(&custody_testkit::keys::authority());
    let forged = SignedEntry::sign(body.clone(), &custody_testkit::keys::authority()).unwrap();
    let mut entries = l.chain.entries[..seq].to_vec();
    entries.push(forged.bytes().to_vec());
    for r in [
        pushing(&entries),
        walking(&entries, 1),
        walking(&entries, 3),
    ] {
        let v = r.expect_err("refused");
        assert_eq!(
            (v.seq, v.rule),
            (seq as u64, Rule::StatementSignature),
            "{v}"
        );
    }
    // With a good author signature the same entry is `authority`: the
    // test above is about the order, not about the signer.
    let Event::Statement(s) = &mut body.event else {
        unreachable!()
    };
    let good = l.chain.signed[seq].event().clone();
    let Event::Statement(g) = good else {
        unreachable!()
    };
    s.statement = g.statement;
    let forged = SignedEntry::sign(body, &custody_testkit::keys::authority()).unwrap();
    let mut entries = l.chain.entries[..seq].to_vec();
    entries.push(forged.bytes().to_vec());
    for r in [pushing(&entries), walking(&entries, 3)] {
        let v = r.expect_err("refused");
        assert_eq!((v.seq, v.rule), (seq as u64, Rule::Authority), "{v}");
    }
}
