//! Format version 3's bytes (design docs/design/format-v3.md §2, §4, §5):
//! what a v3 body may and may not carry, what a v1/v2 body may not, the
//! v3 signing domain, statements (sign, strict verification, decoding
//! rules) and redactions' decoding rules. The pinned bytes are in
//! `format/testdata/vectors/v3/` (verifier/tests/vectors.rs).

use custody_format::codec;
use custody_format::commit::{commit_event, Salt, Slot, CODE_NAME, CODE_NOTES, CODE_PLACE};
use custody_format::entry::{
    split, EntryBody, EntryError, EnvelopeError, SignedEntry, VERSION_1, VERSION_2, VERSION_3,
};
use custody_format::event::*;
use custody_format::statement::{
    Nonce, SignedStatement, StatementBody, StatementError, StatementSignatureError,
};
use custody_format::stream::Link;
use custody_format::time::{OccurredAt, Timestamp};
use ed25519_dalek::{Signer, SigningKey};

fn key(b: u8) -> SigningKey {
    SigningKey::from_bytes(&[b; 32])
}

fn pk(k: &SigningKey) -> PublicKeyBytes {
    PublicKeyBytes(k.verifying_key().to_bytes())
}

fn salt(slot: Slot) -> Salt {
    let mut s = [0x5a; 32];
    s[..5].copy_from_slice(&slot.bytes());
    Salt(s)
}

fn clear_capture() -> Event {
    Event::Capture(Capture {
        person: PersonId::new("P-1").unwrap(),
        occurred_at: OccurredAt::Year { year: 2022 },
        place: Some("Mariupol".into()),
        circumstances: None,
        category: None,
        notes: Some("at the plant".into()),
        attachments: vec![],
        witnesses: None,
    })
}

fn committed(mut e: Event) -> Event {
    commit_event(&mut e, salt).unwrap();
    e
}

fn link(seq: u64) -> Option<Link> {
    Some(Link {
        seq,
        hash: EntryHash([0x33; 32]),
    })
}

fn body(version: u16, links: Vec<Option<Link>>, event: Event) -> EntryBody {
    EntryBody {
        version,
        seq: 5,
        prev_hash: EntryHash([0x22; 32]),
        recorded_at: Timestamp(1_700_000_000_000_000),
        signer: pk(&key(1)),
        links,
        event,
    }
}

fn sign(b: EntryBody) -> Result<SignedEntry, EntryError> {
    SignedEntry::sign(b, &key(1))
}

fn statement_body(event: Event) -> StatementBody {
    StatementBody {
        version: 1,
        ledger: "example.org/register".into(),
        author: pk(&key(2)),
        signed_at: Timestamp(1_699_000_000_000_000),
        nonce: Nonce([9; 16]),
        event: Box::new(event),
    }
}

fn statement(event: Event) -> SignedStatement {
    SignedStatement::sign(statement_body(event), &key(2)).unwrap()
}

#[test]
fn a_v3_body_carries_commitments_and_a_v2_body_cleartext() {
    // v3: committed, round trip through the bytes.
    let e = sign(body(VERSION_3, vec![link(4)], committed(clear_capture()))).unwrap();
    let d = SignedEntry::decode(e.bytes().to_vec()).unwrap();
    assert_eq!(d, e);
    d.verify_signature().unwrap();
    // Cleartext in a v3 body has no encoding.
    assert!(sign(body(VERSION_3, vec![link(4)], clear_capture())).is_err());
    // A commitment, or a witnesses field (clear or not), in a v2 body.
    assert!(sign(body(VERSION_2, vec![link(4)], committed(clear_capture()))).is_err());
    let mut with_witnesses = clear_capture();
    if let Event::Capture(c) = &mut with_witnesses {
        c.witnesses = Some("a neighbour".into());
    }
    assert!(sign(body(VERSION_2, vec![link(4)], with_witnesses.clone())).is_err());
    assert!(sign(body(VERSION_1, vec![], with_witnesses)).is_err());
    // The same capture in clear is a valid v2 body.
    sign(body(VERSION_2, vec![link(4)], clear_capture())).unwrap();
    // A v3 body without witnesses still carries the byte that says so: it
    // is one byte longer than the same fields would be without the slot.
    let v3 = sign(body(VERSION_3, vec![link(4)], committed(clear_capture()))).unwrap();
    assert_eq!(split(v3.bytes()).unwrap().0.last(), Some(&0u8));
}

#[test]
fn events_22_to_24_and_the_registrar_role_need_a_v3_body() {
    let grant = Event::KeyGranted(KeyGranted {
        public_key: pk(&key(3)),
        role: Role::Registrar,
        holder: "serve.example.org".into(),
    });
    let redaction = Event::Redaction(Redaction {
        person: PersonId::new("P-1").unwrap(),
        items: vec![RedactedItem {
            target: EntryHash([1; 32]),
            slots: vec![Slot::new(0, CODE_PLACE)],
        }],
        reason: "erasure request".into(),
    });
    let predecessor = Event::Predecessor(Predecessor {
        origin: "example.org/old".into(),
        tree_size: 10,
        root_hash: Sha256Digest([7; 32]),
    });
    let st = Event::Statement(Statement {
        statement: statement(committed(clear_capture())),
    });
    for e in [grant, redaction, predecessor, st] {
        for (version, links) in [(VERSION_1, vec![]), (VERSION_2, vec![link(4)])] {
            let err = sign(body(version, links, e.clone())).unwrap_err();
            assert!(
                matches!(
                    err,
                    EntryError::Envelope(EnvelopeError::EventNeedsV3 { .. })
                ),
                "{} in v{version}: {err}",
                e.type_name()
            );
        }
        sign(body(VERSION_3, vec![link(4)], e)).unwrap();
    }
}

#[test]
fn the_version_picks_the_v3_signing_domain() {
    let e = sign(body(VERSION_3, vec![link(4)], committed(clear_capture()))).unwrap();
    let (body_bytes, _) = split(e.bytes()).unwrap();
    use sha2::Digest;
    for domain in [&b"custody/entry/v2\0"[..], b"custody/entry/v1\0", b""] {
        let mut m = domain.to_vec();
        m.extend_from_slice(body_bytes);
        let wrong = key(1).sign(&sha2::Sha256::digest(&m));
        let mut forged = body_bytes.to_vec();
        forged.extend_from_slice(&wrong.to_bytes());
        let forged = SignedEntry::decode(forged).unwrap();
        assert!(forged.verify_signature().is_err());
    }
    e.verify_signature().unwrap();
}

#[test]
fn a_statement_is_signed_and_verified_strictly() {
    let s = statement(committed(clear_capture()));
    s.verify().unwrap();
    // Decoding its bytes gives it back.
    assert_eq!(SignedStatement::decode(&s.to_bytes()).unwrap(), s);
    // A flipped bit anywhere in the body or the signature.
    let bytes = s.to_bytes();
    for i in [0usize, 30, bytes.len() - 70, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        if let Ok(t) = SignedStatement::decode(&b) {
            assert!(t.verify().is_err(), "bit flipped at {i}");
        }
    }
    // A signature over the body without the domain.
    let bare = key(2).sign(s.body_bytes()).to_bytes();
    let t = SignedStatement::from_parts(s.body().clone(), bare).unwrap();
    assert_eq!(t.verify(), Err(StatementSignatureError::Invalid));
    // A small-order author key.
    let mut weak = s.body().clone();
    weak.author = PublicKeyBytes([0; 32]);
    let t = SignedStatement::from_parts(weak, s.signature()).unwrap();
    assert!(matches!(
        t.verify(),
        Err(StatementSignatureError::WeakAuthor(_))
    ));
    // The id is the digest the author signed, and is the same for a second
    // valid signature of the same body.
    let again = SignedStatement::from_parts(s.body().clone(), s.signature()).unwrap();
    assert_eq!(again.id(), s.id());
}

#[test]
fn what_a_statement_may_carry() {
    let ok = committed(clear_capture());
    statement(ok.clone());
    let correction = committed(Event::Correction(Correction {
        target: EntryHash([1; 32]),
        reason: "wrong person".into(),
        replacement: Some(Box::new(clear_capture())),
    }));
    statement(correction);
    let refused = |e: Event| {
        let r = SignedStatement::sign(statement_body(e.clone()), &key(2));
        assert!(
            matches!(
                r,
                Err(StatementError::Field(_)) | Err(StatementError::Codec(_))
            ),
            "{}",
            e.type_name()
        );
    };
    refused(Event::KeyRevoked(KeyRevoked {
        public_key: pk(&key(3)),
        reason: "lost".into(),
    }));
    refused(Event::Checkpoint(Checkpoint {
        tree_size: 1,
        root_hash: Sha256Digest([0; 32]),
        note_signature: SignatureBytes([0; 64]),
    }));
    refused(Event::Statement(Statement {
        statement: statement(ok.clone()),
    }));
    refused(Event::Redaction(Redaction {
        person: PersonId::new("P-1").unwrap(),
        items: vec![RedactedItem {
            target: EntryHash([1; 32]),
            slots: vec![Slot::new(0, CODE_PLACE)],
        }],
        reason: "r".into(),
    }));
    // Cleartext inside a statement has no encoding.
    refused(clear_capture());
    // A ledger name with a space.
    let mut b = statement_body(ok.clone());
    b.ledger = "two words".into();
    assert!(SignedStatement::sign(b, &key(2)).is_err());
    // Version 2 is refused on decode.
    let mut bytes = statement(ok).to_bytes();
    bytes[0] = 2;
    assert!(matches!(
        SignedStatement::decode(&bytes),
        Err(StatementError::Codec(_))
    ));
}

#[test]
fn a_statement_entry_has_its_inner_events_links() {
    let evidence = Event::Statement(Statement {
        statement: statement(committed(clear_capture())),
    });
    assert!(sign(body(VERSION_3, vec![], evidence.clone())).is_err());
    assert!(sign(body(VERSION_3, vec![link(1), link(2)], evidence.clone())).is_err());
    sign(body(VERSION_3, vec![link(1)], evidence)).unwrap();
    let correction = Event::Statement(Statement {
        statement: statement(committed(Event::Correction(Correction {
            target: EntryHash([1; 32]),
            reason: "wrong person".into(),
            replacement: Some(Box::new(clear_capture())),
        }))),
    });
    sign(body(VERSION_3, vec![link(1)], correction.clone())).unwrap();
    sign(body(VERSION_3, vec![link(1), None], correction.clone())).unwrap();
    assert!(sign(body(VERSION_3, vec![], correction)).is_err());
}

#[test]
fn a_redaction_names_sorted_unique_slots_that_can_exist() {
    let item = |t: u8, slots: Vec<Slot>| RedactedItem {
        target: EntryHash([t; 32]),
        slots,
    };
    let red = |items: Vec<RedactedItem>| {
        Event::Redaction(Redaction {
            person: PersonId::new("P-1").unwrap(),
            items,
            reason: "erasure request".into(),
        })
    };
    let place = Slot::new(0, CODE_PLACE);
    let notes = Slot::new(0, CODE_NOTES);
    let name = Slot::new(0, CODE_NAME);
    assert!(red(vec![item(1, vec![notes, place]), item(2, vec![name])])
        .validate()
        .is_ok());
    let bad = [
        ("empty", red(vec![])),
        (
            "unsorted items",
            red(vec![item(2, vec![place]), item(1, vec![place])]),
        ),
        (
            "repeated target",
            red(vec![item(1, vec![place]), item(1, vec![notes])]),
        ),
        ("no slots", red(vec![item(1, vec![])])),
        ("unsorted slots", red(vec![item(1, vec![place, notes])])),
        ("repeated slot", red(vec![item(1, vec![place, place])])),
        ("unknown code", red(vec![item(1, vec![Slot::new(0, 20)])])),
        ("part 2", red(vec![item(1, vec![Slot::new(2, CODE_PLACE)])])),
        (
            "index on a place",
            red(vec![item(
                1,
                vec![Slot {
                    part: 0,
                    code: CODE_PLACE,
                    index: 1,
                }],
            )]),
        ),
        (
            "1,025 items",
            red((0..1025u32)
                .map(|i| RedactedItem {
                    target: EntryHash({
                        let mut h = [0u8; 32];
                        h[..4].copy_from_slice(&i.to_be_bytes());
                        h
                    }),
                    slots: vec![place],
                })
                .collect()),
        ),
    ];
    for (why, e) in bad {
        assert!(e.validate().is_err(), "{why}");
    }
}

#[test]
fn an_event_alone_round_trips_in_its_versions_form() {
    let v3 = committed(clear_capture());
    let bytes = codec::encode_event(&v3, VERSION_3).unwrap();
    assert_eq!(codec::decode_event(&bytes, VERSION_3).unwrap(), v3);
    assert!(codec::encode_event(&v3, VERSION_2).is_err());
    let v2 = clear_capture();
    let bytes = codec::encode_event(&v2, VERSION_2).unwrap();
    assert_eq!(codec::decode_event(&bytes, VERSION_2).unwrap(), v2);
    // The v2 bytes read as v3 are something else (or nothing).
    assert_ne!(codec::decode_event(&bytes, VERSION_3).ok(), Some(v2));
}

#[test]
fn corrections_nested_past_a_replacement_do_not_decode() {
    // correction -> correction -> correction -> capture: deeper than any
    // valid event, refused by the decoder before validation.
    let mut e = clear_capture();
    for _ in 0..3 {
        e = Event::Correction(Correction {
            target: EntryHash([1; 32]),
            reason: "r".into(),
            replacement: Some(Box::new(e)),
        });
    }
    let bytes = codec::encode_event(&e, VERSION_2).unwrap();
    assert!(codec::decode_event(&bytes, VERSION_2).is_err());
}

#[test]
fn views_show_commitments_never_values() {
    let e = committed(clear_capture());
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["place"].as_object().unwrap().len(), 1);
    assert_eq!(v["place"]["commitment"].as_str().unwrap().len(), 64);
    assert!(!v.to_string().contains("Mariupol"));
    let s = statement(e);
    let v = serde_json::to_value(Event::Statement(Statement {
        statement: s.clone(),
    }))
    .unwrap();
    assert_eq!(v["type"], "statement");
    assert_eq!(v["statement"]["id"], s.id().to_string());
    assert_eq!(v["statement"]["author"], pk(&key(2)).to_hex());
    assert_eq!(v["statement"]["nonce"], "09".repeat(16));
    assert_eq!(v["statement"]["version"], 1);
    let keys: Vec<&String> = v["statement"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "author",
            "event",
            "id",
            "ledger",
            "nonce",
            "signature",
            "signed_at",
            "version"
        ]
    );
}
