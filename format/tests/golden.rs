//! Golden byte vectors: one signed entry of every event type, byte for byte.
//!
//! These bytes are a promise to courts: an entry signed today must decode,
//! hash and verify the same way in ten years. If a change to the code makes
//! any of these tests fail, the byte format changed. Do not update the
//! vectors; bump `FORMAT_VERSION` and keep the old version readable (see
//! docs/FORMAT.md, "Changing the format").

use custody_format::entry::{
    entry_hash, signing_digest, split, EntryBody, EntryError, EnvelopeError, SignedEntry,
    VERSION_1, VERSION_2,
};
use custody_format::event::*;
use custody_format::stream::Link;
use ed25519_dalek::SigningKey;

fn public_key_of(k: &SigningKey) -> PublicKeyBytes {
    PublicKeyBytes(k.verifying_key().to_bytes())
}
use custody_format::time::{OccurredAt, Timestamp};

/// The fixed test key: seed bytes 0x01..=0x20 (never use it for real).
fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = i as u8 + 1;
    }
    SigningKey::from_bytes(&seed)
}

fn at(s: &str) -> OccurredAt {
    OccurredAt::parse(s).unwrap()
}

fn person(s: &str) -> PersonId {
    PersonId::new(s).unwrap()
}

/// One event of each type, in variant order.
pub(crate) fn events() -> Vec<Event> {
    let pk = public_key_of(&key());
    vec![
        Event::Genesis(Genesis {
            ledger_name: "example.org/register".into(),
            authority_key: pk,
            authority_holder: "Authority".into(),
        }),
        Event::KeyGranted(KeyGranted {
            public_key: pk,
            role: Role::Investigator,
            holder: "Team A".into(),
        }),
        Event::KeyRevoked(KeyRevoked {
            public_key: pk,
            reason: "lost".into(),
        }),
        Event::MissingReport(MissingReport {
            person: person("P-3"),
            occurred_at: at("2023-07"),
            category: Category::Military,
            last_seen_place: Some("Bakhmut".into()),
            name: None,
            date_of_birth: Some(at("1998").into()),
            service_number: None,
            unit: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        Event::Capture(Capture {
            person: person("P-1"),
            occurred_at: at("2022-05-17"),
            place: Some("Mariupol".into()),
            circumstances: None,
            category: None,
            notes: None,
            attachments: vec![Attachment {
                sha256: Sha256Digest([0xab; 32]),
                media_type: "video/mp4".into(),
                description: Some("footage".into()),
            }],
            witnesses: None,
        }),
        Event::IcrcNotification(IcrcNotification {
            person: person("P-1"),
            occurred_at: at("2023-06-20"),
            reference: None,
            location_disclosed: Some(false),
            health_disclosed: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        Event::Sighting(Sighting {
            person: person("P-1"),
            occurred_at: at("2022-09"),
            place: None,
            source: SightingSource::ReturnedPow,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        Event::Release(Release {
            person: person("P-1"),
            occurred_at: at("2024-05-31"),
            place: None,
            kind: ReleaseKind::Exchange,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        Event::Death(Death {
            person: person("P-2"),
            occurred_at: at("2022-07-29T07:00:00Z"),
            place: None,
            cause: DeathCause::DeathInCustody,
            remains_returned: Some(true),
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        Event::Correspondence(Correspondence {
            person: person("P-1"),
            occurred_at: at("2023-08-02"),
            kind: CorrespondenceKind::Letter,
            via: Some("icrc".into()),
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        Event::Correction(Correction {
            target: EntryHash([0x11; 32]),
            reason: "wrong".into(),
            replacement: Some(Box::new(Event::Release(Release {
                person: person("P-1"),
                occurred_at: at("2024"),
                place: None,
                kind: ReleaseKind::Release,
                notes: None,
                attachments: vec![],
                witnesses: None,
            }))),
        }),
    ]
}

fn body(seq: u64, event: Event) -> EntryBody {
    EntryBody {
        version: VERSION_1,
        seq,
        prev_hash: EntryHash([0x22; 32]),
        recorded_at: Timestamp(1_700_000_000_000_000),
        signer: public_key_of(&key()),
        links: vec![],
        event,
    }
}

/// (stored bytes in hex, entry hash in hex) for each event of [`events`].
const GOLDEN: &[(&str, &str)] = &[
    ("01000000000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640000000014000000000000006578616d706c652e6f72672f726567697374657279b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640900000000000000417574686f7269747969f5d2d376aa4cf7a714aafc409faa2d10be687170d1dfaefec544569d2b97db591b265d5b5a2d631fc073ea54a90113494dd3abc4671c3b43cf10585844630f", "0f27c9af0cb8a36f26767c8d12ff5f90ce28b31536491f545d47b4da3a32415b"),
    ("01000100000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640100000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640000000006000000000000005465616d2041f25e1dfa76844696a619c125573fec0785c7ac83df0592ed8155eadd49667a33870bcb2284800181469508d1bed59feea0605ade8ca1bfb42ce231e184b4e600", "d089f5768a68b8de29dd0cb12549c2cfcbda7cc1a5ce707159df1a8eec4830e1"),
    ("01000200000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640200000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04966404000000000000006c6f7374dbf3866f93c8405bff3b68372de6b50bfa3b9bea9cd927fc86cdc82e66a32b67199f9b135b4c2de4659c0a5a2acaf9b2e6ba56c8da1511b81dc09ab929ebf606", "fe0c6eda6e144efd2d52698efc57e87472ce62993883d95c6bd7d4dddf1c5203"),
    ("01000300000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664030000000300000000000000502d3301000000e7070000070000000001070000000000000042616b686d7574000100000000ce0700000000000000000000000000a93726c5ba337c3d8691bc149041065854838e29f708a5223108a2a7eddc49bb86e77057d6d459087289f6c24328413a43b3c5efa97b27bb1b4c6ec6171ced00", "db629bd5111dd5f0f9f16db0bcd820bc7662052de7684f0b7b75793eaae5fad7"),
    ("01000400000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664040000000300000000000000502d3102000000e607000005110108000000000000004d61726975706f6c0000000100000000000000abababababababababababababababababababababababababababababababab0900000000000000766964656f2f6d7034010700000000000000666f6f746167659be9d46e66627e5869b1692971f19acaf50993d8c79fec0a6ec0d3d430ec262ec96a29b40c22d147467a1427db8e07b3e2330d865d0472a3b20bd013ec356e0e", "f59fb53aa887240e4a044fed147bddafbc562dd65355901b340d45aefb2bce9b"),
    ("01000500000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664050000000300000000000000502d3102000000e7070000061400010000000000000000000000c20a24c76671838d1c22ea569540e6669d0f80ee9cf8d21cdfb538e4f6cc0e2d93f67a47a265f731d0bcf3b8d5b611162d228c1c2535b1d1b19801c8a38f3503", "ccb1adaf3e5a43fba244b2796050f727bc37ea94469eae3478fc2e8a32c13f0e"),
    ("01000600000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664060000000300000000000000502d3101000000e6070000090000000000000000000000000000b2f2c6ae99d012f95e2822f5b1a5b152fbd780a248c6cbb94ae14b0661abb2aa28c03c8d200162daf4204bc163ede9ce544f4dcdbc8167ac476a534d73713a03", "99d0e62e7d7bf95ddf17e21c9600956fa517924b74fc5d1d9f2e49524ecebbd1"),
    ("01000700000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664070000000300000000000000502d3102000000e8070000051f00000000000000000000000000004146cbf3b743b2a0f89be839f8be664743a65d0f6889e61d86bf3a6650869bf8921856664d6ae06c1deca9511f3ee91c3ddd4597a797b0d01c25ce881c322203", "690c5e263e7ffe140f9aa5881d6502447d0f34fee9fa674181139d3f881d694d"),
    ("01000800000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664080000000300000000000000502d3203000000003cd832ece405000001000000010100000000000000000059463982212687a46f9df981181bb98857042a2a06465e900fd1634b1794d5b52537a88f4a7c08cf0052a5a7c847cbe22e657754e37f54e1b105fe47e1adaf07", "fc10316d2c17c9320c3c0a435c3b13d54b120bcc87c9fbaed443733fb7e00b0b"),
    ("01000900000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664090000000300000000000000502d3102000000e707000008020000000001040000000000000069637263000000000000000000be6277b2784a849e2032d8404f1ccb350164cd570f61c36f5a1f8aed4d3b3e281a6cf66e4b13b671fc6dc12b80f8fcb24769748140c225a3e9b9a3ec94479d0e", "526adec4903e0107b0f9ec0ca1a50fd561dc06fae62da565225800780bc5e303"),
    ("01000a00000000000000222222222222222222222222222222222222222222222222222222222222222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640a0000001111111111111111111111111111111111111111111111111111111111111111050000000000000077726f6e6701070000000300000000000000502d3100000000e8070000000200000000000000000000000007139826af0ed8e22cb05ed29d6074e2754ea70c9be8f258ee61bfa68f6294cb7e3cd707ec64959fc71962d9bc9a433794d1b91b984de3c6cf6810bdfd7c8501", "fe540dcb32825cd3dd15cde6b6f05af1c744f8edf90970edb38e5344529b4899"),
];

#[test]
fn golden_vectors_are_stable() {
    let events = events();
    assert_eq!(GOLDEN.len(), events.len(), "one vector per event type");
    for (i, (event, (bytes_hex, hash_hex))) in events.into_iter().zip(GOLDEN).enumerate() {
        let expected = body(i as u64, event);
        let bytes = hex::decode(bytes_hex).unwrap();
        // Signing today gives the same bytes (ed25519 is deterministic).
        let signed = SignedEntry::sign(expected.clone(), &key()).unwrap();
        assert_eq!(
            hex::encode(signed.bytes()),
            *bytes_hex,
            "encoding of {i} changed"
        );
        // The stored bytes decode to the same entry, hash the same and verify.
        let decoded = SignedEntry::decode(bytes.clone()).unwrap();
        assert_eq!(decoded.body(), &expected);
        assert_eq!(entry_hash(&bytes).to_hex(), *hash_hex);
        decoded.verify_signature().unwrap();
    }
}

/// docs/FORMAT.md §12.9 (design §9.1): the capture of `P-1` as a version 2
/// body with one link (seq 2, hash `33`×32), computed by a script written
/// apart from this code. Body, signing digest, signature and entry hash
/// are pinned byte for byte.
#[test]
fn the_v2_capture_of_the_spec() {
    let capture = events().swap_remove(4);
    let body = EntryBody {
        version: VERSION_2,
        links: vec![Some(Link {
            seq: 2,
            hash: EntryHash([0x33; 32]),
        })],
        ..body(4, capture)
    };
    let entry = SignedEntry::sign(body.clone(), &key()).unwrap();
    let (body_bytes, signature) = split(entry.bytes()).unwrap();
    assert_eq!(entry.bytes().len(), 313);
    assert_eq!(
        hex::encode(body_bytes),
        concat!(
            "02000400000000000000222222222222222222222222222222222222222222222222222222222222",
            "222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04",
            "96640100000000000000010200000000000000333333333333333333333333333333333333333333",
            "3333333333333333333333040000000300000000000000502d3102000000e6070000051101080000",
            "00000000004d61726975706f6c0000000100000000000000abababababababababababababababab",
            "abababababababababababababababab0900000000000000766964656f2f6d703401070000000000",
            "0000666f6f74616765",
        )
    );
    assert_eq!(
        hex::encode(signing_digest(body_bytes)),
        "6ef18d80e0caeaa8d3e4c056c6d36d3788869a44869dc4279d69581cfa7bdfca"
    );
    assert_eq!(
        hex::encode(signature),
        "563b1cfc66b03b96f227a536118b1df0d8ada17b385da2483927f58e3305b487b81e024de8a90fc2758e3e36d84fc57bada54af68b1bb04e3bca43d58d58ec08"
    );
    assert_eq!(
        entry.hash().to_hex(),
        "95ec79f14af7986992eb44b045e6270bac824266ff8f6b16d197ae148074ff83"
    );
    let decoded = SignedEntry::decode(entry.bytes().to_vec()).unwrap();
    assert_eq!(decoded.body(), &body);
    decoded.verify_signature().unwrap();
}

/// A v2 body signed under the v1 domain does not verify, and a v1 body
/// relabelled v2 does not decode: the version picks the domain.
#[test]
fn the_version_picks_the_signing_domain() {
    let capture = events().swap_remove(4);
    let v2 = EntryBody {
        version: VERSION_2,
        links: vec![None],
        ..body(4, capture)
    };
    let entry = SignedEntry::sign(v2, &key()).unwrap();
    let (body_bytes, _) = split(entry.bytes()).unwrap();
    let mut v1_domain = Vec::from(&b"custody/entry/v1\0"[..]);
    v1_domain.extend_from_slice(body_bytes);
    use ed25519_dalek::Signer;
    use sha2::Digest;
    let wrong = key().sign(&sha2::Sha256::digest(&v1_domain));
    let mut forged = body_bytes.to_vec();
    forged.extend_from_slice(&wrong.to_bytes());
    let forged = SignedEntry::decode(forged).unwrap();
    assert!(forged.verify_signature().is_err());
}

/// The envelope rules of a v2 body: link counts per event, links before
/// the entry, no seal in a v1 body, at most two links before allocating.
#[test]
fn v2_envelopes_that_must_be_refused() {
    let all = events();
    let capture = all[4].clone();
    let v2 = |links: Vec<Option<Link>>, event: Event| EntryBody {
        version: VERSION_2,
        links,
        ..body(4, event)
    };
    let sign_err = |b: EntryBody| SignedEntry::sign(b, &key()).unwrap_err();
    let l = |seq| {
        Some(Link {
            seq,
            hash: EntryHash([1; 32]),
        })
    };
    assert!(matches!(
        sign_err(v2(vec![], capture.clone())),
        EntryError::Envelope(EnvelopeError::LinkCount { found: 0, .. })
    ));
    assert!(matches!(
        sign_err(v2(vec![None, None], capture.clone())),
        EntryError::Envelope(EnvelopeError::LinkCount { found: 2, .. })
    ));
    assert!(matches!(
        sign_err(v2(vec![l(4)], capture.clone())),
        EntryError::Envelope(EnvelopeError::LinkNotBefore { link_seq: 4, .. })
    ));
    // A retraction (no replacement) belongs to one stream; a correction
    // with a replacement to one or two.
    let retraction = Event::Correction(Correction {
        target: EntryHash([0x11; 32]),
        reason: "wrong".into(),
        replacement: None,
    });
    assert!(SignedEntry::sign(v2(vec![l(1), l(2)], retraction), &key()).is_err());
    assert!(SignedEntry::sign(v2(vec![l(1), l(2)], all[10].clone()), &key()).is_ok());
    let seal = Event::Seal(Seal {
        map_root: Sha256Digest([0; 32]),
        gov_count: 1,
        gov_head: Link {
            seq: 0,
            hash: EntryHash([2; 32]),
        },
    });
    assert!(SignedEntry::sign(v2(vec![l(1)], seal.clone()), &key()).is_err());
    assert!(SignedEntry::sign(v2(vec![], seal.clone()), &key()).is_ok());
    // A seal in a v1 body: signed bytes made by hand, refused on decode.
    let v1_seal = body(4, seal);
    assert!(matches!(
        SignedEntry::sign(v1_seal, &key()).unwrap_err(),
        EntryError::Envelope(EnvelopeError::EventNeedsV2 { version: 1, .. })
    ));
    // Three links: refused by the decoder from the count alone.
    let ok = SignedEntry::sign(v2(vec![l(1)], capture), &key()).unwrap();
    let mut bytes = split(ok.bytes()).unwrap().0.to_vec();
    bytes[82] = 3;
    bytes.extend_from_slice(&[0; 64]);
    assert!(matches!(
        SignedEntry::decode(bytes),
        Err(EntryError::Codec(_))
    ));
}

/// Every value of every vocabulary is written and read in JSON by the name
/// it gives itself (a variant whose name is not its snake_case identifier,
/// such as the ill-treatment source `self`, once was not).
#[test]
fn every_vocabulary_value_round_trips_by_its_name() {
    fn check<T>(all: &[T], name: fn(&T) -> &'static str)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for v in all {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json, serde_json::Value::String(name(v).into()), "{v:?}");
            assert_eq!(&serde_json::from_value::<T>(json).unwrap(), v);
        }
    }
    check(Role::ALL, |v| v.name());
    check(Category::ALL, |v| v.name());
    check(SightingSource::ALL, |v| v.name());
    check(ReleaseKind::ALL, |v| v.name());
    check(DeathCause::ALL, |v| v.name());
    check(CorrespondenceKind::ALL, |v| v.name());
    check(Source::ALL, |v| v.name());
    check(Visitor::ALL, |v| v.name());
    check(ProceedingStage::ALL, |v| v.name());
    check(IllTreatmentKind::ALL, |v| v.name());
    check(IllTreatmentSource::ALL, |v| v.name());
}
