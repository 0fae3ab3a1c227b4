//! Format version 3 chains (design docs/design/format-v3.md §6 and §13):
//! valid chains born v3 and mixed v1/v2/v3, and must-reject chains that
//! each break one rule at their last entry. Keys are the chain keys of
//! `keys.json` (no key is added: that file is version 1's): `authority2`
//! is granted `registrar` here, and `investigator`, `investigator2` and
//! `authority` author statements.

use super::super::{
    authority, authority2, capture, correction, genesis_of, grant, investigator, investigator2,
    public, revoke, seal, sighting, sign, signature_with_nonce, stranger, vector, Chain,
    ChainVector, Verdict, LEDGER, STANDARD_V2,
};
use super::test_salt;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::scalar::Scalar;
use custody_format::codec;
use custody_format::commit::{commit_event, Slot, CODE_NAME, CODE_NOTES, CODE_PLACE};
use custody_format::entry::{signing_digest, EntryBody, VERSION_2, VERSION_3};
use custody_format::event::*;
use custody_format::statement::{Nonce, SignedStatement, StatementBody};
use custody_format::time::Timestamp;
use custody_verifier::Rule;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// `event` committed with test salts numbered from `seq` × 100.
fn committed(seq: u64, mut event: Event) -> Event {
    let mut i = seq * 100;
    commit_event(&mut event, |_| {
        i += 1;
        test_salt(i - 1)
    })
    .expect("a valid event");
    event
}

fn statement_body(author: &SigningKey, ledger: &str, event: Event, nonce: u8) -> StatementBody {
    StatementBody {
        version: 1,
        ledger: ledger.into(),
        author: public(author),
        signed_at: Timestamp(1_767_000_000_000_000),
        nonce: Nonce([nonce; 16]),
        event: Box::new(event),
    }
}

/// A statement by `author` for this ledger, carrying `event` committed.
fn stmt(author: &SigningKey, seq: u64, event: Event, nonce: u8) -> Event {
    Event::Statement(Statement {
        statement: SignedStatement::sign(
            statement_body(author, LEDGER, committed(seq, event), nonce),
            author,
        )
        .expect("a valid statement"),
    })
}

/// A statement from a body and a signature made by hand.
fn stmt_parts(body: StatementBody, signature: [u8; 64]) -> Event {
    Event::Statement(Statement {
        statement: SignedStatement::from_parts(body, signature).expect("encodes"),
    })
}

fn dispute(p: &str, target: EntryHash) -> Event {
    Event::Dispute(Dispute {
        person: PersonId::new(p).unwrap(),
        occurred_at: custody_format::time::OccurredAt::Year { year: 2023 },
        target,
        by: "family".into(),
        reason: "not him".into(),
        notes: None,
        attachments: vec![],
        witnesses: None,
    })
}

fn redaction(p: &str, items: Vec<(EntryHash, Vec<Slot>)>) -> Event {
    Event::Redaction(Redaction {
        person: PersonId::new(p).unwrap(),
        items: items
            .into_iter()
            .map(|(target, slots)| RedactedItem { target, slots })
            .collect(),
        reason: "erasure request".into(),
    })
}

fn predecessor() -> Event {
    Event::Predecessor(Predecessor {
        origin: "example.org/vectors-old".into(),
        tree_size: 40,
        root_hash: Sha256Digest([0x77; 32]),
    })
}

/// A version 3 chain: 0 genesis by `authority`, 1 a grant of
/// investigator to `investigator`, 2 a grant of registrar to
/// `authority2`, 3 a missing report of P-1 by `investigator` (committed),
/// 4 a statement by `investigator` (a capture of P-1) registered by
/// `authority2`.
pub(crate) fn standard_v3() -> Chain {
    let mut c = Chain {
        version: VERSION_3,
        ..Chain::default()
    };
    c.push(&authority(), genesis_of(&authority()));
    c.push(
        &authority(),
        grant(&investigator(), Role::Investigator, "Team A"),
    );
    c.push(
        &authority(),
        grant(&authority2(), Role::Registrar, "serve.example.org"),
    );
    c.push(
        &investigator(),
        committed(3, super::super::missing_report("P-1")),
    );
    c.push(&authority2(), stmt(&investigator(), 4, capture("P-1"), 4));
    c
}

pub(crate) const STANDARD_V3: &str = "a version 3 chain: seq 0 genesis by `authority`, 1 a \
    grant of role investigator to `investigator`, 2 a grant of role registrar to `authority2`, \
    3 a missing_report of P-1 by `investigator` (personal fields committed), 4 a statement by \
    `investigator` carrying a capture of P-1, registered by `authority2`";

pub(crate) fn v3_valid_chains() -> Vec<ChainVector> {
    let (a, a2, i, i2) = (authority(), authority2(), investigator(), investigator2());
    let mut out = Vec::new();
    let mut c = standard_v3();
    let report = c.hash(3);
    let capture_stmt = c.hash(4);
    c.push(&a, grant(&i2, Role::Investigator, "Team B"));
    c.push(&a, grant(&a, Role::Investigator, "Authority"));
    c.push(&a2, stmt(&i2, 7, sighting("P-1", SightingSource::Video), 7));
    c.push(&i, stmt(&a, 8, capture("P-2"), 8));
    c.push(
        &a2,
        stmt(
            &i,
            9,
            correction(
                report,
                "wrong month",
                Some(super::super::missing_report("P-1")),
            ),
            9,
        ),
    );
    c.push(&i, committed(10, dispute("P-1", capture_stmt)));
    let mut items = vec![
        (capture_stmt, vec![Slot::new(0, CODE_PLACE)]),
        (c.hash(10), vec![Slot::new(0, 11), Slot::new(0, 17)]),
    ];
    items.sort_by_key(|(t, _)| *t);
    c.push(&a, redaction("P-1", items));
    c.seal_and_checkpoint(&a2);
    out.push(vector(
        "valid-v3-statements",
        &format!(
            "{STANDARD_V3}. 5 grants investigator to `investigator2`, 6 grants investigator to \
             `authority` (which also holds authority), 7 a statement by `investigator2` (a \
             sighting of P-1) registered by `authority2`, 8 a statement by `authority` (a \
             capture of P-2) registered by `investigator`, 9 a statement by `investigator` \
             carrying a correction of seq 3 with a replacement, registered by `authority2`, 10 \
             a committed dispute of seq 4 (the statement's capture) by `investigator`, 11 a \
             redaction by `authority` of seq 4's place and seq 10's `by` and `reason`, 12 a \
             seal and 13 a checkpoint, both by the registrar `authority2`. Valid."
        ),
        c.entries,
        Verdict::Valid,
    ));
    // Born v1, continued in v2, then v3.
    let mut m = Chain::default();
    m.push(&a, genesis_of(&a));
    m.push(&a, grant(&i, Role::Investigator, "Team A"));
    m.push(&i, capture("P-1"));
    m.version = VERSION_2;
    m.push(&i, capture("P-2"));
    m.seal_and_checkpoint(&a);
    m.version = VERSION_3;
    m.push(&a, grant(&a2, Role::Registrar, "serve.example.org"));
    m.push(&i, committed(7, sighting("P-1", SightingSource::Tv)));
    m.push(&a2, stmt(&i, 8, capture("P-2"), 8));
    m.seal_and_checkpoint(&a2);
    out.push(vector(
        "valid-mixed-v1-v2-v3",
        "A ledger born in version 1 (0 genesis by `authority`, 1 a grant of investigator to \
         `investigator`, 2 a capture of P-1), continued in version 2 (3 a capture of P-2, 4 a \
         seal, 5 a checkpoint), then in version 3 (6 a grant of registrar to `authority2`, 7 a \
         committed sighting of P-1, 8 a statement by `investigator` carrying a capture of P-2 \
         registered by `authority2`, 9 a seal and 10 a checkpoint by `authority2`). Valid.",
        m.entries,
        Verdict::Valid,
    ));
    out
}

/// Entry bytes for `body` under the signing domain `domain`.
fn signed_under(body: &EntryBody, key: &SigningKey, domain: &[u8]) -> Vec<u8> {
    let mut bytes = codec::encode(body).unwrap();
    let digest: [u8; 32] = Sha256::new()
        .chain_update(domain)
        .chain_update(&bytes)
        .finalize()
        .into();
    bytes.extend_from_slice(&key.sign(&digest).to_bytes());
    bytes
}

/// Where the event starts in a v2/v3 body with `links` links.
fn event_at(links: usize) -> usize {
    82 + 8 + 41 * links
}

#[expect(
    clippy::too_many_lines,
    reason = "the list of version 3 must-reject chains, one vector each"
)]
pub(crate) fn v3_reject_chains() -> Vec<ChainVector> {
    let (a, a2, i, i2) = (authority(), authority2(), investigator(), investigator2());
    let base = standard_v3();
    let at5 = |what: &str| format!("{STANDARD_V3}. Seq 5 {what}.");
    let mut out = Vec::new();
    let mut reject = |name: &str, what: String, entries: Vec<Vec<u8>>, rule: Rule| {
        out.push(vector(name, &what, entries, Verdict::Reject(rule)));
    };

    // format, in a v2 body.
    let v2 = super::super::standard_v2();
    let v2_with = |key: &SigningKey, event: Event| {
        let body = v2.next(key, event);
        v2.clone().with(sign(&body, key))
    };
    let v2_text = |what: &str| format!("{STANDARD_V2}. Seq 5, a version 2 body, {what}.");
    reject(
        "reject-format-v3-statement-in-v2-body",
        v2_text("carries a statement (event 22) registered by `investigator`, which exists only in version 3 bodies"),
        v2_with(&i, stmt(&i, 5, capture("P-1"), 1)),
        Rule::Format,
    );
    reject(
        "reject-format-v3-redaction-in-v2-body",
        v2_text("carries a redaction (event 23) by `authority`"),
        v2_with(
            &a,
            redaction("P-1", vec![(v2.hash(3), vec![Slot::new(0, CODE_PLACE)])]),
        ),
        Rule::Format,
    );
    reject(
        "reject-format-v3-predecessor-in-v2-body",
        v2_text("carries a predecessor (event 24) by `authority`"),
        v2_with(&a, predecessor()),
        Rule::Format,
    );
    reject(
        "reject-format-v3-registrar-in-v2-body",
        v2_text("grants role registrar (index 2) to `authority2`, signed by `authority`"),
        v2_with(&a, grant(&a2, Role::Registrar, "serve.example.org")),
        Rule::Format,
    );
    {
        let body = v2.next(&i, capture("P-1"));
        let mut bytes = codec::encode(&body).unwrap();
        bytes.push(0); // a `witnesses` field: absent, but present in the bytes
        reject(
            "reject-format-v3-witnesses-in-v2-body",
            v2_text("is a capture of P-1 followed by the byte 00, a `witnesses` field (absent), which a version 2 body does not have"),
            v2.clone().with(seal(bytes, &i)),
            Rule::Format,
        );
    }
    // format, in a v3 body: the statement's own rules.
    {
        let body = base.next(&a2, stmt(&i, 5, sighting("P-1", SightingSource::Tv), 5));
        let mut bytes = codec::encode(&body).unwrap();
        let at = event_at(1) + 4;
        assert_eq!(&bytes[at..at + 2], &[1, 0]);
        bytes[at] = 2;
        reject(
            "reject-format-statement-version-2",
            at5("is a statement registered by `authority2` whose statement body says version 2 (only version 1 exists)"),
            base.clone().with(seal(bytes, &a2)),
            Rule::Format,
        );
    }
    let signed_stmt = |event: Event, nonce: u8| {
        let b = statement_body(&i, LEDGER, event, nonce);
        let id = b.id().unwrap();
        let sig = i.sign(&id.0).to_bytes();
        stmt_parts(b, sig)
    };
    for (name, what, event) in [
        (
            "reject-format-statement-carries-a-grant",
            "a grant of investigator",
            grant(&i2, Role::Investigator, "Team B"),
        ),
        (
            "reject-format-statement-carries-a-redaction",
            "a redaction",
            redaction("P-1", vec![(base.hash(3), vec![Slot::new(0, CODE_NAME)])]),
        ),
        (
            "reject-format-statement-carries-a-statement",
            "another statement",
            stmt(&i, 6, capture("P-1"), 6),
        ),
        (
            "reject-format-statement-carries-a-checkpoint",
            "a checkpoint",
            Event::Checkpoint(Checkpoint {
                tree_size: 5,
                root_hash: Sha256Digest(base.root()),
                note_signature: SignatureBytes([0; 64]),
            }),
        ),
        (
            "reject-format-statement-carries-a-seal",
            "a seal",
            Event::Seal(Seal {
                map_root: Sha256Digest([0; 32]),
                gov_count: 3,
                gov_head: custody_format::stream::Link {
                    seq: 2,
                    hash: base.hash(2),
                },
            }),
        ),
    ] {
        let body = base.next(&a2, signed_stmt(event, 5));
        reject(
            name,
            at5(&format!(
                "is a statement by `investigator`, correctly signed, registered by `authority2`, carrying {what}: a statement carries evidence or a correction"
            )),
            base.clone().with(sign(&body, &a2)),
            Rule::Format,
        );
    }
    {
        let mut body = base.next(&a2, stmt(&i, 5, capture("P-1"), 5));
        body.links = vec![];
        reject(
            "reject-format-statement-links-not-its-events",
            at5("is a statement carrying a capture of P-1 (one stream) with no link"),
            base.clone().with(sign(&body, &a2)),
            Rule::Format,
        );
    }
    for (name, what, items) in [
        ("reject-format-redaction-empty", "names no entry", vec![]),
        (
            "reject-format-redaction-items-unsorted",
            "names two entries in descending order of hash",
            {
                let mut v = vec![
                    (base.hash(3), vec![Slot::new(0, CODE_NAME)]),
                    (base.hash(4), vec![Slot::new(0, CODE_PLACE)]),
                ];
                v.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
                v
            },
        ),
        (
            "reject-format-redaction-items-repeated",
            "names seq 4 twice",
            vec![
                (base.hash(4), vec![Slot::new(0, CODE_PLACE)]),
                (base.hash(4), vec![Slot::new(0, CODE_NOTES)]),
            ],
        ),
        (
            "reject-format-redaction-over-1024-items",
            "names 1,025 entries (ascending hashes; the limit is 1,024)",
            (0..1025u32)
                .map(|n| {
                    let mut h = [0u8; 32];
                    h[..4].copy_from_slice(&n.to_be_bytes());
                    (EntryHash(h), vec![Slot::new(0, CODE_PLACE)])
                })
                .collect(),
        ),
        (
            "reject-format-redaction-slots-repeated",
            "names seq 4's place twice",
            vec![(
                base.hash(4),
                vec![Slot::new(0, CODE_PLACE), Slot::new(0, CODE_PLACE)],
            )],
        ),
        (
            "reject-format-redaction-slots-unsorted",
            "names seq 3's notes after its name (slots go in ascending order)",
            vec![(
                base.hash(3),
                vec![Slot::new(0, CODE_NAME), Slot::new(0, CODE_NOTES)],
            )],
        ),
    ] {
        let body = base.next(&a, redaction("P-1", items));
        reject(
            name,
            at5(&format!("is a redaction by `authority` that {what}")),
            base.clone().with(sign(&body, &a)),
            Rule::Format,
        );
    }
    // version, signature.
    {
        let mut v2_after = base.clone();
        v2_after.version = VERSION_2;
        let body = v2_after.next(&i, capture("P-1"));
        reject(
            "reject-version-v2-after-v3",
            at5("is a version 2 capture of P-1 by `investigator`, after version 3 entries"),
            base.clone().with(sign(&body, &i)),
            Rule::Version,
        );
        let body = base.next(&i, committed(5, capture("P-1")));
        reject(
            "reject-signature-v3-body-under-v2-domain",
            at5("is a version 3 capture of P-1 by `investigator` signed under the domain custody/entry/v2"),
            base.clone().with(signed_under(&body, &i, b"custody/entry/v2\0")),
            Rule::Signature,
        );
        assert_ne!(
            signing_digest(&codec::encode(&body).unwrap()).to_vec(),
            Sha256::new()
                .chain_update(b"custody/entry/v2\0")
                .chain_update(codec::encode(&body).unwrap())
                .finalize()
                .to_vec()
        );
    }
    // statement_signature.
    {
        let good = match stmt(&i, 5, capture("P-1"), 5) {
            Event::Statement(s) => s.statement,
            _ => unreachable!(),
        };
        let mut flipped = good.signature();
        flipped[10] ^= 1;
        let body = base.next(&a2, stmt_parts(good.body().clone(), flipped));
        reject(
            "reject-statement-signature-bit-flip",
            at5("is a statement by `investigator` registered by `authority2` whose author signature has one bit flipped"),
            base.clone().with(sign(&body, &a2)),
            Rule::StatementSignature,
        );
        let bare = i.sign(good.body_bytes()).to_bytes();
        let body = base.next(&a2, stmt_parts(good.body().clone(), bare));
        reject(
            "reject-statement-signature-without-domain",
            at5("is a statement whose author signature is over the statement body itself, not over H(custody/statement/v1, 00, body)"),
            base.clone().with(sign(&body, &a2)),
            Rule::StatementSignature,
        );
        let mut weak = good.body().clone();
        weak.author = PublicKeyBytes(super::super::IDENTITY);
        let body = base.next(&a2, stmt_parts(weak, good.signature()));
        reject(
            "reject-statement-signature-small-order-author",
            at5("is a statement whose author key is the identity point (small order)"),
            base.clone().with(sign(&body, &a2)),
            Rule::StatementSignature,
        );
    }
    // authority.
    let signed_by =
        |key: &SigningKey, event: Event| base.clone().with(sign(&base.next(key, event), key));
    reject(
        "reject-authority-registrar-signs-evidence",
        at5("is a committed capture of P-1 signed by the registrar `authority2` (not a statement)"),
        signed_by(&a2, committed(5, capture("P-1"))),
        Rule::Authority,
    );
    reject(
        "reject-authority-registrar-signs-a-grant",
        at5("grants investigator to `investigator2`, signed by the registrar `authority2`"),
        signed_by(&a2, grant(&i2, Role::Investigator, "Team B")),
        Rule::Authority,
    );
    reject(
        "reject-authority-registrar-signs-a-correction",
        at5("is a committed correction of seq 3 signed by the registrar `authority2`"),
        signed_by(&a2, committed(5, correction(base.hash(3), "wrong", None))),
        Rule::Authority,
    );
    reject(
        "reject-authority-registrar-signs-a-redaction",
        at5("is a redaction of seq 4's place signed by the registrar `authority2`"),
        signed_by(
            &a2,
            redaction("P-1", vec![(base.hash(4), vec![Slot::new(0, CODE_PLACE)])]),
        ),
        Rule::Authority,
    );
    reject(
        "reject-authority-investigator-signs-a-redaction",
        at5("is a redaction of seq 4's place signed by `investigator`"),
        signed_by(
            &i,
            redaction("P-1", vec![(base.hash(4), vec![Slot::new(0, CODE_PLACE)])]),
        ),
        Rule::Authority,
    );
    reject(
        "reject-authority-authority-registers-a-statement",
        at5("is a statement by `investigator` registered by `authority`, which holds neither registrar nor investigator"),
        signed_by(&a, stmt(&i, 5, capture("P-1"), 5)),
        Rule::Authority,
    );
    // author.
    reject(
        "reject-author-never-granted",
        at5("is a statement by `stranger` (never granted) registered by `authority2`"),
        signed_by(&a2, stmt(&stranger(), 5, capture("P-1"), 5)),
        Rule::Author,
    );
    reject(
        "reject-author-holds-only-registrar",
        at5("is a statement by `authority2` (which holds registrar only) registered by `authority2`"),
        signed_by(&a2, stmt(&a2, 5, capture("P-1"), 5)),
        Rule::Author,
    );
    {
        let mut c = base.clone();
        c.push(&a, grant(&i2, Role::Investigator, "Team B"));
        c.push(&a, revoke(&i2, "device lost"));
        let body = c.next(&a2, stmt(&i2, 7, capture("P-1"), 7));
        reject(
            "reject-author-revoked-one-entry-before",
            format!(
                "{STANDARD_V3}. 5 grants investigator to `investigator2`, 6 revokes it; seq 7 is a \
                 statement by `investigator2` registered by `authority2`, whose signed_at \
                 (2025-12-29) claims it was signed before the revocation: the ledger cannot \
                 check that, and the author holds nothing at seq 7."
            ),
            c.clone().with(sign(&body, &a2)),
            Rule::Author,
        );
    }
    // statement_ledger.
    {
        let b = statement_body(&i, "example.org/other", committed(5, capture("P-1")), 5);
        let signed = SignedStatement::sign(b, &i).unwrap();
        reject(
            "reject-statement-ledger-other-origin",
            at5("is a statement by `investigator` signed for the ledger example.org/other, registered by `authority2`"),
            signed_by(&a2, Event::Statement(Statement { statement: signed })),
            Rule::StatementLedger,
        );
    }
    // duplicate_statement.
    {
        let first = match &codec_event(&base, 4) {
            Event::Statement(s) => s.statement.clone(),
            _ => unreachable!(),
        };
        reject(
            "reject-duplicate-statement-twice",
            at5("registers seq 4's statement again (the same bytes), signed by `authority2`"),
            signed_by(
                &a2,
                Event::Statement(Statement {
                    statement: first.clone(),
                }),
            ),
            Rule::DuplicateStatement,
        );
        let r = Scalar::from(1_234_567u64);
        let big_r = (ED25519_BASEPOINT_POINT * r).compress().to_bytes();
        let second = signature_with_nonce(&i, &first.id().0, r, big_r);
        assert_ne!(second, first.signature());
        let again = SignedStatement::from_parts(first.body().clone(), second).unwrap();
        again.verify().unwrap();
        reject(
            "reject-duplicate-statement-second-signature",
            at5("registers seq 4's statement body again with a second valid author signature (another Ed25519 nonce): the same id"),
            signed_by(&a2, Event::Statement(Statement { statement: again })),
            Rule::DuplicateStatement,
        );
    }
    // correction_target and dispute_target through a statement.
    reject(
        "reject-correction-target-unknown-in-a-statement",
        at5("is a statement by `investigator` carrying a correction whose target is no entry of this ledger"),
        {
            // One link (a retraction's count); its stream is unknown, as
            // its target is: the target is refused first.
            let mut body = base.next(&a2, stmt(&i, 5, correction(EntryHash([0x99; 32]), "wrong", None), 5));
            body.links = vec![None];
            base.clone().with(sign(&body, &a2))
        },
        Rule::CorrectionTarget,
    );
    reject(
        "reject-dispute-target-unknown-in-a-statement",
        at5("is a statement by `investigator` carrying a dispute whose target is no entry of this ledger"),
        signed_by(&a2, stmt(&i, 5, dispute("P-1", EntryHash([0x99; 32])), 5)),
        Rule::DisputeTarget,
    );
    // redaction.
    let redact = |items: Vec<(EntryHash, Vec<Slot>)>| signed_by(&a, redaction("P-1", items));
    reject(
        "reject-redaction-target-unknown",
        at5("is a redaction by `authority` naming an entry hash no entry has"),
        redact(vec![(
            EntryHash([0x99; 32]),
            vec![Slot::new(0, CODE_PLACE)],
        )]),
        Rule::Redaction,
    );
    reject(
        "reject-redaction-target-governance",
        at5("is a redaction by `authority` naming seq 1 (a grant, which has no commitment)"),
        redact(vec![(base.hash(1), vec![Slot::new(0, CODE_NOTES)])]),
        Rule::Redaction,
    );
    reject(
        "reject-redaction-slot-absent",
        at5("is a redaction by `authority` naming seq 3's `name`, which the missing report does not have"),
        redact(vec![(base.hash(3), vec![Slot::new(0, CODE_NAME)])]),
        Rule::Redaction,
    );
    reject(
        "reject-redaction-slot-not-in-the-event",
        at5("is a redaction by `authority` naming seq 4's `via`, a field a capture does not have"),
        redact(vec![(base.hash(4), vec![Slot::new(0, 10)])]),
        Rule::Redaction,
    );
    {
        let mut c = base.clone();
        c.push(&i, committed(5, capture("P-2")));
        let body = c.next(
            &a,
            redaction("P-1", vec![(c.hash(5), vec![Slot::new(0, CODE_PLACE)])]),
        );
        reject(
            "reject-redaction-other-person",
            format!("{STANDARD_V3}. 5 is a committed capture of P-2; seq 6 is a redaction about P-1 by `authority` naming seq 5's place."),
            c.clone().with(sign(&body, &a)),
            Rule::Redaction,
        );
        let mut c = base.clone();
        c.push(
            &a,
            redaction("P-1", vec![(c.hash(4), vec![Slot::new(0, CODE_PLACE)])]),
        );
        let body = c.next(
            &a,
            redaction("P-1", vec![(c.hash(4), vec![Slot::new(0, CODE_PLACE)])]),
        );
        reject(
            "reject-redaction-already-redacted",
            format!("{STANDARD_V3}. 5 is a redaction by `authority` of seq 4's place; seq 6 redacts the same slot again."),
            c.clone().with(sign(&body, &a)),
            Rule::Redaction,
        );
    }
    {
        // A v2 entry cannot be redacted: its cleartext is in its bytes.
        let mut m = Chain {
            version: VERSION_2,
            ..Chain::default()
        };
        m.push(&a, genesis_of(&a));
        m.push(&a, grant(&i, Role::Investigator, "Team A"));
        m.push(&i, capture("P-1"));
        m.version = VERSION_3;
        let body = m.next(
            &a,
            redaction("P-1", vec![(m.hash(2), vec![Slot::new(0, CODE_PLACE)])]),
        );
        reject(
            "reject-redaction-target-v2",
            "A ledger: 0 genesis by `authority`, 1 a grant of investigator to `investigator`, 2 a \
             version 2 capture of P-1; seq 3 is a version 3 redaction by `authority` of seq 2's \
             place, which is cleartext in a version 2 entry."
                .into(),
            m.clone().with(sign(&body, &a)),
            Rule::Redaction,
        );
    }
    // predecessor.
    reject(
        "reject-predecessor-not-at-seq-1",
        at5("is a predecessor by `authority`: it may only be entry 1"),
        signed_by(&a, predecessor()),
        Rule::Predecessor,
    );
    {
        let mut c = Chain {
            version: VERSION_3,
            ..Chain::default()
        };
        c.push(&a, genesis_of(&a));
        c.push(&a, predecessor());
        let body = c.next(&a, predecessor());
        reject(
            "reject-predecessor-twice",
            "A version 3 ledger: 0 genesis by `authority`, 1 a predecessor; seq 2 is a second predecessor.".into(),
            c.clone().with(sign(&body, &a)),
            Rule::Predecessor,
        );
    }
    out
}

/// The event of entry `seq` of `c`.
fn codec_event(c: &Chain, seq: usize) -> Event {
    custody_format::entry::SignedEntry::decode(c.entries[seq].clone())
        .unwrap()
        .into_event()
}
