//! The format version 3 vectors (`format/testdata/vectors/v3/`, design
//! docs/design/format-v3.md §13): `golden.json`, one v3 entry per event
//! index 0–24 plus a statement carrying a correction with a replacement,
//! with their salts, disclosures and commitments; `commit.json`, the
//! commitments alone. Salts are the fixed test values
//! `H("custody test salt" ‖ LE64(i))`, numbered in the order the files use
//! them, never what a build draws. `check.py` beside them recomputes every
//! commitment, digest and hash with Python's hashlib alone.

pub(crate) mod chains;

use super::{at, chain_key, checkpoint_event, golden, golden_key, new_evidence_types, public};
use custody_format::codec;
use custody_format::commit::{
    check_disclosures, commit_event, DisclosedValue, Disclosure, Salt, Slot, SlotState, CODE_BY,
    CODE_DATE_OF_BIRTH, CODE_DESCRIPTION, CODE_NOTES, CODE_PLACE, FIELDS, PART_EVENT,
};
use custody_format::entry::{entry_hash, signing_digest, split, EntryBody, SignedEntry, VERSION_3};
use custody_format::event::*;
use custody_format::merkle_hash::leaf_hash;
use custody_format::statement::{Nonce, SignedStatement, StatementBody, STATEMENT_VERSION};
use custody_format::stream::Link;
use custody_format::time::{OccurredAt, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The ledger name of the golden genesis: statements name it.
const LEDGER: &str = "example.org/register";

/// Test salt `i`: `H("custody test salt" ‖ LE64(i))`.
pub(crate) fn test_salt(i: u64) -> Salt {
    let mut h = Sha256::new();
    h.update(b"custody test salt");
    h.update(i.to_le_bytes());
    Salt(h.finalize().into())
}

/// The salt `00 01 … 1f` of design §12 (the capture's place).
fn salt_0_to_31() -> Salt {
    let mut s = [0u8; 32];
    for (i, b) in s.iter_mut().enumerate() {
        *b = i as u8;
    }
    Salt(s)
}

/// One disclosure, as the files show it.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisclosureVector {
    /// Which test salt (`H("custody test salt" ‖ LE64(i))`), or null for
    /// a salt of design §12's examples (`00 01 … 1f`, or `11`×32); the salt
    /// itself is in `json`.
    salt_index: Option<u64>,
    /// `D = salt ‖ part ‖ LE16(code) ‖ LE16(index) ‖ enc(value)`, hex.
    d: String,
    /// The JSON form (design §3.2).
    json: serde_json::Value,
    /// `H("custody/v3/commit" ‖ 00 ‖ D)`, hex.
    commitment: String,
}

fn disclosure_vector(d: &Disclosure, salt_index: Option<u64>) -> DisclosureVector {
    DisclosureVector {
        salt_index,
        d: hex::encode(d.bytes()),
        json: d.to_json(),
        commitment: hex::encode(d.commitment().0),
    }
}

/// A statement, as the files show it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementVector {
    author: String,
    /// The statement body's bytes, hex.
    body: String,
    /// `H("custody/statement/v1" ‖ 00 ‖ body)`, hex.
    id: String,
    /// The author's Ed25519 signature over the id.
    signature: String,
}

/// One v3 golden entry.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoldenV3 {
    name: String,
    description: String,
    #[serde(rename = "type")]
    event_type: String,
    signer: String,
    version: u16,
    seq: u64,
    prev_hash: String,
    recorded_at: i64,
    links: serde_json::Value,
    /// The entry's view (docs/FORMAT.md §6; committed fields as
    /// `{"commitment":…}`).
    view: serde_json::Value,
    /// The disclosures of every committed slot, sorted by slot.
    disclosures: Vec<DisclosureVector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    statement: Option<StatementVector>,
    body: String,
    signing_digest: String,
    signature: String,
    entry: String,
    entry_hash: String,
    leaf_hash: String,
}

/// Hands out test salts in order, remembering which slot got which.
struct Salts {
    next: u64,
}

impl Salts {
    fn commit(&mut self, event: &mut Event) -> Vec<(Disclosure, Option<u64>)> {
        let mut used = Vec::new();
        let ds = commit_event(event, |slot| {
            let i = self.next;
            self.next += 1;
            used.push((slot, i));
            test_salt(i)
        })
        .expect("the golden events are valid");
        ds.into_iter()
            .map(|d| {
                let i = used.iter().find(|(s, _)| *s == d.slot).map(|(_, i)| *i);
                (d, i)
            })
            .collect()
    }
}

/// Gives every absent optional personal field of an evidence event a
/// value, so that the golden file fills every slot somewhere.
fn fill_every_slot(event: &mut Event) {
    let name = event.type_name();
    event.visit_personal_mut(PART_EVENT, &mut |slot, field| match field {
        custody_format::commit::PersonalMut::OptText(p @ None) => {
            let f = slot.field_name().unwrap_or("field");
            *p = Some(format!("{f} of the {name}").into());
        }
        custody_format::commit::PersonalMut::OptDate(p @ None) => {
            *p = Some(
                OccurredAt::Day {
                    year: 1990,
                    month: 2,
                    day: 28,
                }
                .into(),
            );
        }
        _ => {}
    });
}

/// The v3 events of the golden file, clear, before committing: index 0–24
/// in variant order, then a statement carrying a correction.
fn clear_events() -> Vec<Event> {
    let key = golden_key();
    let mut events = golden::events();
    // Index 1: a grant of the new role.
    if let Event::KeyGranted(k) = &mut events[1] {
        k.role = Role::Registrar;
        k.holder = "serve.example.org".into();
    }
    events.push(checkpoint_event(&key, LEDGER, 11, [0x44; 32]));
    events.push(Event::Seal(Seal {
        map_root: Sha256Digest([0x55; 32]),
        gov_count: 2,
        gov_head: Link {
            seq: 1,
            hash: EntryHash([0x44; 32]),
        },
    }));
    events.push(Event::ClockCorrection(ClockCorrection {
        since: 7,
        reason: "clock jumped".into(),
    }));
    events.extend(new_evidence_types("P-1", EntryHash([0x66; 32])));
    for (i, e) in events.iter_mut().enumerate() {
        // The capture (4) stays FORMAT.md §9's, as design §12 describes it.
        if i != 4 {
            fill_every_slot(e);
            if let Event::Correction(c) = e {
                if let Some(r) = c.replacement.as_deref_mut() {
                    fill_every_slot(r);
                }
            }
        }
    }
    events
}

fn statement_of(event: Event, nonce: u8) -> SignedStatement {
    let author = chain_key("investigator");
    SignedStatement::sign(
        StatementBody {
            version: STATEMENT_VERSION,
            ledger: LEDGER.into(),
            author: public(&author),
            signed_at: Timestamp(1_699_990_000_000_000),
            nonce: Nonce([nonce; 16]),
            event: Box::new(event),
        },
        &author,
    )
    .expect("a valid statement")
}

/// The v3 golden entries, and the bytes of each (for the redaction's
/// targets).
pub(crate) fn golden_v3() -> Vec<GoldenV3> {
    let key = golden_key();
    let mut salts = Salts { next: 0 };
    let mut out: Vec<GoldenV3> = Vec::new();
    let mut hashes: Vec<EntryHash> = Vec::new();
    let events = clear_events();
    // 22: a statement carrying a capture with every slot filled (the only
    // event with `circumstances`); 25: one carrying a correction with a
    // replacement (parts 0 and 1).
    let mut full_capture = events[4].clone();
    fill_every_slot(&mut full_capture);
    let correction = events[10].clone();
    for i in 0..26usize {
        let (event, mut disclosures, statement) =
            golden_event(i, &events, &full_capture, &correction, &hashes, &mut salts);
        let seq = i as u64;
        let link = |s: u64| {
            Some(Link {
                seq: s,
                hash: EntryHash([0x33; 32]),
            })
        };
        let links = match event.inner() {
            Event::Genesis(_) => vec![None],
            Event::Checkpoint(_) | Event::Seal(_) => vec![],
            Event::Correction(c) if c.replacement.is_some() => vec![link(seq - 1), None],
            // Design §12: FORMAT.md §12.7's v2 capture (link seq 2) as v3.
            Event::Capture(_) if i == 4 => vec![link(2)],
            _ => vec![link(seq - 1)],
        };
        let body = EntryBody {
            version: VERSION_3,
            seq,
            prev_hash: EntryHash([0x22; 32]),
            recorded_at: Timestamp(1_700_000_000_000_000),
            signer: public(&key),
            links,
            event: event.clone(),
        };
        let signed = SignedEntry::sign(body, &key).unwrap_or_else(|e| panic!("{i}: {e}"));
        hashes.push(signed.hash());
        let entry = signed.bytes().to_vec();
        let (body, signature) = split(&entry).unwrap();
        disclosures.sort_by_key(|(d, _)| d.slot);
        out.push(GoldenV3 {
            name: format!("{i:02}-{}", event.type_name()),
            description: description_of(i).into(),
            event_type: event.type_name().into(),
            signer: signed.body().signer.to_hex(),
            version: VERSION_3,
            seq,
            prev_hash: signed.body().prev_hash.to_hex(),
            recorded_at: signed.body().recorded_at.0,
            links: serde_json::to_value(&signed.body().links).unwrap(),
            view: custody_format::entry::entry_view(&signed),
            disclosures: disclosures
                .iter()
                .map(|(d, i)| disclosure_vector(d, *i))
                .collect(),
            statement,
            body: hex::encode(body),
            signing_digest: hex::encode(signing_digest(body)),
            signature: hex::encode(signature),
            entry: hex::encode(&entry),
            entry_hash: entry_hash(&entry).to_hex(),
            leaf_hash: hex::encode(leaf_hash(&entry)),
        });
    }
    out
}

/// A disclosure and the number of its test salt (`None`: a design salt).
type Numbered = (Disclosure, Option<u64>);

/// Golden event `i`, committed with the next test salts, with its
/// disclosures and (for a statement) its statement vector.
fn golden_event(
    i: usize,
    events: &[Event],
    full_capture: &Event,
    correction: &Event,
    hashes: &[EntryHash],
    salts: &mut Salts,
) -> (Event, Vec<Numbered>, Option<StatementVector>) {
    let mut disclosures: Vec<Numbered> = Vec::new();
    let mut statement = None;
    let event = match i {
        4 => {
            // Design §12: the place with the salt 00 01 … 1f, the
            // attachment's description with the next test salt.
            let mut e = events[4].clone();
            let mut used = Vec::new();
            let mut next = salts.next;
            let ds = commit_event(&mut e, |slot| {
                if slot.code == CODE_PLACE {
                    return salt_0_to_31();
                }
                used.push((slot, next));
                next += 1;
                test_salt(next - 1)
            })
            .unwrap();
            salts.next = next;
            for d in ds {
                let index = used.iter().find(|(s, _)| *s == d.slot).map(|(_, i)| *i);
                disclosures.push((d, index));
            }
            e
        }
        22 | 25 => {
            let mut inner = if i == 22 {
                full_capture.clone()
            } else {
                correction.clone()
            };
            disclosures = salts.commit(&mut inner);
            let s = statement_of(inner, i as u8);
            statement = Some(StatementVector {
                author: s.author().to_hex(),
                body: hex::encode(s.body_bytes()),
                id: s.id().to_string(),
                signature: hex::encode(s.signature()),
            });
            Event::Statement(Statement { statement: s })
        }
        23 => {
            let mut items = vec![
                RedactedItem {
                    target: hashes[4],
                    slots: vec![
                        Slot::new(PART_EVENT, CODE_PLACE),
                        Slot {
                            part: PART_EVENT,
                            code: CODE_DESCRIPTION,
                            index: 0,
                        },
                    ],
                },
                RedactedItem {
                    target: hashes[14],
                    slots: vec![
                        Slot::new(PART_EVENT, CODE_NOTES),
                        Slot::new(PART_EVENT, CODE_BY),
                    ],
                },
            ];
            items.sort_by_key(|it| it.target);
            Event::Redaction(Redaction {
                person: PersonId::new("P-1").unwrap(),
                items,
                reason: "erasure request of 2026-11-02".into(),
            })
        }
        24 => Event::Predecessor(Predecessor {
            origin: "example.org/register-v2".into(),
            tree_size: 1000,
            root_hash: Sha256Digest([0x77; 32]),
        }),
        _ => {
            let mut e = events[i].clone();
            disclosures = salts.commit(&mut e);
            e
        }
    };
    (event, disclosures, statement)
}

/// What golden entry `i` is.
fn description_of(i: usize) -> &'static str {
    match i {
        1 => "a grant of role registrar (index 2), which exists only in version 3",
        4 => {
            "FORMAT.md section 9's capture of P-1 as version 3 (design section 12): the \
              place committed with the salt 00 01 .. 1f, the description with a test salt"
        }
        10 => {
            "a correction with a replacement: reason in part 0, the replacement's \
               fields in part 1"
        }
        22 => {
            "a statement by `investigator` carrying a capture with every slot filled, \
               registered by the golden key"
        }
        23 => {
            "a redaction of two entries about P-1: golden entries 4 (place, attachment \
               description) and 14 (notes, by), by their entry hashes"
        }
        25 => {
            "a statement by `investigator` carrying a correction with a replacement \
               (slots in parts 0 and 1)"
        }
        _ => "version 3: every personal field committed",
    }
}

/// One row of `commit.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommitVector {
    name: String,
    #[serde(flatten)]
    disclosure: DisclosureVector,
}

/// The commitments alone: every code, the two of design §12, texts with a
/// tab, a newline and multi-byte UTF-8, each date precision.
pub(crate) fn commit_vectors() -> Vec<CommitVector> {
    let mut out = Vec::new();
    let mut push = |name: String, slot: Slot, salt: Option<u64>, value: DisclosedValue| {
        let s = salt.map_or_else(salt_0_to_31, test_salt);
        push_with(&mut out, name, slot, (s, salt), value);
    };
    push(
        "design section 12: place Mariupol, salt 00 01 .. 1f".into(),
        Slot::new(0, CODE_PLACE),
        None,
        DisclosedValue::Text("Mariupol".into()),
    );
    let mut i = 0u64;
    let mut rows = Vec::new();
    push_with(
        &mut rows,
        "design section 12: date_of_birth 1990, salt 11 x 32".into(),
        Slot::new(0, CODE_DATE_OF_BIRTH),
        (Salt([0x11; 32]), None),
        DisclosedValue::Date(OccurredAt::Year { year: 1990 }),
    );
    for f in FIELDS {
        let value = if f.code == CODE_DATE_OF_BIRTH {
            DisclosedValue::Date(OccurredAt::Year { year: 1990 })
        } else {
            DisclosedValue::Text(format!("a {}", f.name))
        };
        let index = if f.code == CODE_DESCRIPTION { 3 } else { 0 };
        push(
            format!("code {} ({})", f.code, f.name),
            Slot {
                part: 0,
                code: f.code,
                index,
            },
            Some(i),
            value,
        );
        i += 1;
    }
    push(
        "part 1: a replacement's place".into(),
        Slot::new(1, CODE_PLACE),
        Some(i),
        DisclosedValue::Text("Mariupol".into()),
    );
    i += 1;
    for (name, text) in [
        (
            "a tab and a newline",
            "seen at the plant,\ttwice\nsecond line",
        ),
        ("multi-byte UTF-8", "Маріуполь — «Азовсталь» 🕊"),
    ] {
        push(
            name.into(),
            Slot::new(0, 1),
            Some(i),
            DisclosedValue::Text(text.into()),
        );
        i += 1;
    }
    for date in ["1990", "1990-07", "1990-07-04"] {
        push(
            format!("date_of_birth {date}"),
            Slot::new(0, CODE_DATE_OF_BIRTH),
            Some(i),
            DisclosedValue::Date(at(date)),
        );
        i += 1;
    }
    out.splice(1..1, rows);
    out
}

fn push_with(
    out: &mut Vec<CommitVector>,
    name: String,
    slot: Slot,
    (salt, salt_index): (Salt, Option<u64>),
    value: DisclosedValue,
) {
    let d = Disclosure { slot, salt, value };
    out.push(CommitVector {
        name,
        disclosure: disclosure_vector(&d, salt_index),
    });
}

/// Checks the committed v3 golden file entry by entry, recomputing what
/// can be recomputed by hand (digests under the v3 domain, commitments
/// from `D`, statement ids) rather than trusting the generator.
pub(crate) fn check_golden(golden: &[GoldenV3]) {
    assert_eq!(
        golden.len(),
        26,
        "one per event index 0-24, and a second statement"
    );
    let mut filled = std::collections::BTreeSet::new();
    for (i, g) in golden.iter().enumerate() {
        let name = &g.name;
        let bytes = hex::decode(&g.entry).unwrap();
        let entry = SignedEntry::decode(bytes.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        entry.verify_signature().unwrap();
        assert_eq!(entry.body().version, 3, "{name}");
        if i < 25 {
            assert_eq!(entry.event().index() as usize, i, "{name}");
        }
        let body = codec::encode(entry.body()).unwrap();
        assert_eq!(hex::encode(&body), g.body, "{name}");
        let mut h = Sha256::new();
        h.update(b"custody/entry/v3\0");
        h.update(&body);
        assert_eq!(hex::encode(h.finalize()), g.signing_digest, "{name}");
        assert_eq!(entry.hash().to_hex(), g.entry_hash, "{name}");
        assert_eq!(custody_format::entry::entry_view(&entry), g.view, "{name}");
        // Each disclosure: its D is what its JSON says, its commitment is
        // H(domain ‖ D) and sits in the entry's body, and together they
        // disclose every committed slot.
        let mut ds = Vec::new();
        for v in &g.disclosures {
            let d = Disclosure::from_json(&v.json).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(hex::encode(d.bytes()), v.d, "{name}");
            let mut h = Sha256::new();
            h.update(b"custody/v3/commit\0");
            h.update(hex::decode(&v.d).unwrap());
            assert_eq!(hex::encode(h.finalize()), v.commitment, "{name}");
            assert!(
                g.body.contains(&v.commitment),
                "{name}: commitment not in the body"
            );
            if let Some(s) = v.salt_index {
                assert_eq!(d.salt, test_salt(s), "{name}");
            }
            filled.insert(d.slot.code);
            ds.push(d);
        }
        let states = check_disclosures(3, entry.event(), &ds, |_| None).unwrap();
        assert_eq!(
            states.len(),
            ds.len(),
            "{name}: a committed slot has no disclosure"
        );
        assert!(states
            .iter()
            .all(|(_, s)| matches!(s, SlotState::Disclosed(_))));
        if let Event::Statement(s) = entry.event() {
            let v = g.statement.as_ref().expect("statement vector");
            let s = &s.statement;
            s.verify().unwrap();
            assert_eq!(hex::encode(s.body_bytes()), v.body, "{name}");
            let mut h = Sha256::new();
            h.update(b"custody/statement/v1\0");
            h.update(s.body_bytes());
            assert_eq!(hex::encode(h.finalize()), v.id, "{name}");
            assert_eq!(s.id().to_string(), v.id);
            assert_eq!(g.view["event"]["statement"]["id"], v.id.as_str());
        }
    }
    assert_eq!(
        filled.len(),
        FIELDS.len(),
        "every slot is filled in some entry"
    );
    // Design §12's capture: the place's commitment is the worked one.
    assert!(golden[4]
        .body
        .contains("30c2f0b8da26686f7b8e6ad9ecaed3a972bb071c7055800e87a1819f1ccb141e"));
    // The redaction names entries 3 and 4 by hash.
    let items = golden[23].view["event"]["items"].as_array().unwrap();
    let targets: Vec<&str> = items
        .iter()
        .map(|i| i["target"].as_str().unwrap())
        .collect();
    for t in [&golden[4].entry_hash, &golden[14].entry_hash] {
        assert!(targets.contains(&t.as_str()));
    }
}

pub(crate) fn check_commits(rows: &[CommitVector]) {
    assert_eq!(
        rows[0].disclosure.commitment,
        "30c2f0b8da26686f7b8e6ad9ecaed3a972bb071c7055800e87a1819f1ccb141e"
    );
    assert_eq!(
        rows[1].disclosure.commitment,
        "5f398bdeb4bb1270d7d7244cc2a34567efa1ac9f87d34a4cea589bcb4c14ee7f"
    );
    for r in rows {
        let d = Disclosure::from_json(&r.disclosure.json).unwrap();
        assert_eq!(hex::encode(d.bytes()), r.disclosure.d, "{}", r.name);
        assert_eq!(
            hex::encode(d.commitment().0),
            r.disclosure.commitment,
            "{}",
            r.name
        );
    }
}
