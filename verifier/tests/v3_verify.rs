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
    let seq = 5usize;
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
    let seq = 5usize;
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

// ---- Exports with disclosures (design §3.4, §7) ----

use custody_format::commit::{Disclosure, Slot, CODE_NAME, CODE_PLACE};
use custody_format::wire::export::ExportLine;
use custody_testkit::v3::V3Ledger;
use custody_verifier::disclosures::{
    DisclosurePolicy, DisclosureReport, DisclosureTotals, SlotVerdict,
};
use custody_verifier::export::{verify_export_disclosures, ExportError};
use serde_json::Value;

/// The export lines of `l`, each v3 entry with the disclosures `pick`
/// keeps of its own.
fn export_lines(l: &V3Ledger, pick: impl Fn(u64, &Disclosure) -> bool) -> Vec<String> {
    l.chain
        .signed
        .iter()
        .map(|e| {
            let kept: Vec<Disclosure> = l
                .disclosures_of(e.seq())
                .iter()
                .filter(|d| pick(e.seq(), d))
                .cloned()
                .collect();
            ExportLine::with_disclosures(e, &kept).to_line()
        })
        .collect()
}

fn verify_lines(
    lines: &[String],
    policy: DisclosurePolicy,
) -> Result<(u64, DisclosureReport), ExportError> {
    let text = lines.join("\n") + "\n";
    verify_export_disclosures(text.as_bytes(), 2, policy).map(|(s, r)| (s.length, r))
}

fn all() -> DisclosurePolicy {
    DisclosurePolicy {
        all_disclosed: true,
    }
}

/// The verdict of `slot` of entry `seq`.
fn verdict(r: &DisclosureReport, seq: u64, slot: Slot) -> SlotVerdict {
    r.entries
        .iter()
        .find(|e| e.seq == seq)
        .and_then(|e| e.slots.iter().find(|(s, _)| *s == slot))
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no slot {slot} at seq {seq}"))
}

/// Refused with rule `disclosure` at `seq`, on line `seq + 1`.
fn refused_at(r: Result<(u64, DisclosureReport), ExportError>, seq: u64, rule: Rule) {
    match r {
        Err(ExportError::Invalid { line, violation }) => {
            assert_eq!((violation.seq, violation.rule), (seq, rule), "{violation}");
            assert_eq!(line as u64, seq + 1);
        }
        other => panic!("expected {rule} at {seq}: {other:?}"),
    }
}

#[test]
fn an_export_with_every_disclosure_verifies_and_reports_each_slot() {
    let (l, _) = v3_ledger();
    let lines = export_lines(&l, |_, _| true);
    let (len, r) = verify_lines(&lines, all()).unwrap();
    assert_eq!(len, l.chain.entries.len() as u64);
    assert_eq!(
        verdict(&r, 3, Slot::new(0, CODE_NAME)),
        SlotVerdict::Disclosed
    );
    // The capture's place was redacted at seq 6, yet its disclosure is
    // still offered: genuine, and a warning.
    assert_eq!(
        verdict(&r, 4, Slot::new(0, CODE_PLACE)),
        SlotVerdict::DisclosedAfterRedaction { at: 6 }
    );
    let committed: usize = l.disclosures.values().map(Vec::len).sum();
    assert_eq!(
        r.totals(),
        DisclosureTotals {
            disclosed: committed as u64,
            withheld: 0,
            redacted: 0,
            disclosed_after_redaction: 1,
        }
    );
    // v1/v2 lines are exactly four members; v3 lines five.
    for (e, line) in l.chain.signed.iter().zip(&lines) {
        assert!(line.starts_with("{\"disclosures\":["), "{line}");
        assert_eq!(e.body().version, 3);
    }
}

#[test]
fn withheld_and_redacted_slots_pass_and_all_disclosed_refuses_only_withheld() {
    let (l, _) = v3_ledger();
    // The redacted place dropped, as a store that erased it would.
    let redacted_only = export_lines(&l, |seq, d| !(seq == 4 && d.slot.code == CODE_PLACE));
    let (_, r) = verify_lines(&redacted_only, all()).unwrap();
    assert_eq!(
        verdict(&r, 4, Slot::new(0, CODE_PLACE)),
        SlotVerdict::Redacted { at: 6 }
    );
    assert_eq!(r.totals().redacted, 1);
    // The name of seq 3 withheld as well.
    let withheld = export_lines(&l, |seq, d| {
        !((seq == 4 && d.slot.code == CODE_PLACE) || (seq == 3 && d.slot.code == CODE_NAME))
    });
    let (_, r) = verify_lines(&withheld, DisclosurePolicy::default()).unwrap();
    assert_eq!(
        verdict(&r, 3, Slot::new(0, CODE_NAME)),
        SlotVerdict::Withheld
    );
    assert_eq!(r.totals().withheld, 1);
    refused_at(verify_lines(&withheld, all()), 3, Rule::Withheld);
    // Nothing disclosed at all: still a valid chain.
    let none = export_lines(&l, |_, _| false);
    let (_, r) = verify_lines(&none, DisclosurePolicy::default()).unwrap();
    assert_eq!(r.totals().disclosed, 0);
    refused_at(verify_lines(&none, all()), 3, Rule::Withheld);
}

/// Replaces the disclosures of line `seq` by `f` of them (as JSON values).
fn with_line(lines: &[String], seq: usize, f: impl Fn(&mut Vec<Value>)) -> Vec<String> {
    let mut out = lines.to_vec();
    let mut v: Value = serde_json::from_str(&out[seq]).unwrap();
    let list = v["disclosures"].as_array_mut().expect("a v3 line");
    f(list);
    out[seq] = serde_json::to_string(&v).unwrap();
    out
}

type Edit = Box<dyn Fn(&mut Vec<Value>)>;

/// The forgeries of design §13 "Disclosures", each an edit of the
/// disclosures of seq 3 (the missing report: name, date of birth, last
/// place seen).
fn disclosure_forgeries() -> Vec<(&'static str, Edit)> {
    let name_at = |list: &Vec<Value>| {
        list.iter()
            .position(|d| d["field"] == "name")
            .expect("the name")
    };
    vec![
        (
            "wrong salt",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["salt"] = Value::String("ab".repeat(32));
            }),
        ),
        (
            "wrong value",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["value"] = "Ivan Petrenk0".into();
            }),
        ),
        (
            "wrong part",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["part"] = 1.into();
            }),
        ),
        (
            "wrong code (another field of the entry)",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["field"] = "last_seen_place".into();
                let d = list.remove(i);
                list.retain(|d| d["field"] != "last_seen_place");
                list.push(d);
                list.sort_by_key(|d| d["field"].as_str().map(str::to_string));
            }),
        ),
        (
            "wrong index",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["index"] = 1.into();
            }),
        ),
        (
            "a slot absent in the entry (service_number)",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["field"] = "service_number".into();
            }),
        ),
        (
            "a slot the event does not have (charge)",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["field"] = "charge".into();
            }),
        ),
        (
            "two for one slot",
            Box::new(move |list| {
                let i = name_at(list);
                let d = list[i].clone();
                list.insert(i, d);
            }),
        ),
        (
            "a date as 2023-7",
            Box::new(|list| {
                let i = list
                    .iter()
                    .position(|d| d["field"] == "date_of_birth")
                    .unwrap();
                list[i]["value"] = "1990-7".into();
            }),
        ),
        (
            "a value with a control character",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["value"] = "Ivan\u{7}Petrenko".into();
            }),
        ),
        (
            "an unknown field name",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["field"] = "nickname".into();
            }),
        ),
        (
            "an unknown member",
            Box::new(move |list| {
                let i = name_at(list);
                list[i]["source"] = "me".into();
            }),
        ),
        (
            "uppercase salt",
            Box::new(move |list| {
                let i = name_at(list);
                let s = list[i]["salt"].as_str().unwrap().to_uppercase();
                list[i]["salt"] = s.into();
            }),
        ),
        ("unsorted", Box::new(|list| list.reverse())),
    ]
}

/// Every must-reject case of design §13 "Disclosures", on an export.
#[test]
fn forged_disclosures_are_refused_with_rule_disclosure_at_their_entry() {
    let (l, _) = v3_ledger();
    let lines = export_lines(&l, |_, _| true);
    let cases = disclosure_forgeries();
    assert!(verify_lines(&lines, all()).is_ok());
    for (what, edit) in cases {
        let forged = with_line(&lines, 3, edit);
        assert_ne!(forged, lines, "{what}");
        match verify_lines(&forged, DisclosurePolicy::default()) {
            Err(ExportError::Invalid { line, violation }) => {
                assert_eq!(
                    (violation.seq, violation.rule, line),
                    (3, Rule::Disclosure, 4),
                    "{what}: {violation}"
                );
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// A v2 entry's line is exactly the four members of before, and a
/// `disclosures` member beside it is refused; a v3 line without one too.
#[test]
fn the_disclosures_member_is_there_exactly_for_v3_lines() {
    let mut b = custody_testkit::chain::ChainBuilder::new("example.org/v2");
    b.grant(
        &custody_testkit::keys::investigator(),
        custody_format::event::Role::Investigator,
        "T",
    );
    b.push(
        custody_testkit::events::capture("P-1"),
        &custody_testkit::keys::investigator(),
    );
    let v2: Vec<String> = b
        .signed
        .iter()
        .map(|e| ExportLine::of(e).to_line())
        .collect();
    assert!(v2.iter().all(|l| !l.contains("disclosures")));
    let (_, r) = verify_lines(&v2, all()).unwrap();
    assert!(r.entries.is_empty());
    let mut forged = v2.clone();
    forged[2] = forged[2].replacen('{', "{\"disclosures\":[],", 1);
    refused_at(
        verify_lines(&forged, DisclosurePolicy::default()),
        2,
        Rule::Disclosure,
    );
    // A disclosure on a v2 item (a real one, from a v3 entry).
    let (l, _) = v3_ledger();
    let d = l.disclosures_of(4)[0].to_json();
    let mut forged = v2.clone();
    forged[2] = forged[2].replacen('{', &format!("{{\"disclosures\":[{d}],"), 1);
    refused_at(
        verify_lines(&forged, DisclosurePolicy::default()),
        2,
        Rule::Disclosure,
    );
    // A v3 line without the member.
    let lines = export_lines(&l, |_, _| true);
    let mut v: Value = serde_json::from_str(&lines[3]).unwrap();
    v.as_object_mut().unwrap().remove("disclosures");
    let mut forged = lines.clone();
    forged[3] = serde_json::to_string(&v).unwrap();
    refused_at(
        verify_lines(&forged, DisclosurePolicy::default()),
        3,
        Rule::Disclosure,
    );
}

/// Any flipped bit in any disclosure of an export line is refused: as
/// rule `disclosure` at the entry, or as a line that is not JSON at all.
#[test]
fn any_flipped_bit_in_any_disclosure_is_refused() {
    let (l, _) = v3_ledger();
    let lines = export_lines(&l, |_, _| true);
    let mut tried = 0;
    for seq in [3usize, 4, 5] {
        let line = &lines[seq];
        let start = line.find("\"disclosures\":[").unwrap() + "\"disclosures\":[".len();
        let end = line.find("],\"entry\"").unwrap();
        for byte in start..end {
            for bit in 0..8 {
                let mut bytes = line.clone().into_bytes();
                bytes[byte] ^= 1 << bit;
                let mut forged = lines.clone();
                forged[seq] = String::from_utf8_lossy(&bytes).into_owned();
                if forged[seq].contains('\n') {
                    // A new line splits the line in two: never valid either.
                    forged[seq] = forged[seq].replace('\n', "\\u000a");
                }
                let r = verify_lines(&forged, DisclosurePolicy::default());
                match r {
                    Err(ExportError::Malformed { line, .. }) => assert_eq!(line, seq + 1),
                    Err(ExportError::Invalid { violation, .. }) => {
                        assert_eq!(
                            (violation.seq, violation.rule),
                            (seq as u64, Rule::Disclosure),
                            "{violation}"
                        );
                    }
                    other => panic!("byte {byte} bit {bit} of line {seq}: accepted: {other:?}"),
                }
                tried += 1;
            }
        }
    }
    assert!(tried > 3000, "{tried}");
}

// ---- custody-bundle/3 (design §7) ----

use custody_format::wire::bundle::BUNDLE_FORMAT_V2;
use custody_verifier::bundle::{
    verify_bundle_disclosures, BundleError, BundleOptions, Completeness, MalformedBundle,
    VerifiedBundle,
};

fn verify_bundle_text(text: &str, policy: DisclosurePolicy) -> Result<VerifiedBundle, BundleError> {
    verify_bundle_disclosures(text.as_bytes(), &BundleOptions::default(), policy)
}

fn invalid_at(r: Result<VerifiedBundle, BundleError>, seq: u64, rule: Rule, what: &str) {
    match r {
        Err(BundleError::Invalid(v)) => assert_eq!((v.seq, v.rule), (seq, rule), "{what}: {v}"),
        Err(e) => panic!("{what}: expected {rule} at {seq}, got {e}"),
        Ok(_) => panic!("{what}: accepted"),
    }
}

#[test]
fn a_bundle_3_verifies_complete_with_each_slot_s_verdict() {
    let (l, note) = v3_ledger();
    let b = l.bundle_v3("P-1", &note, |_, _| true);
    let v = verify_bundle_text(&b.to_json(), all()).unwrap();
    assert!(matches!(v.completeness, Completeness::Complete { .. }));
    let r = &v.disclosures;
    assert_eq!(
        verdict(r, 3, Slot::new(0, CODE_NAME)),
        SlotVerdict::Disclosed
    );
    assert_eq!(
        verdict(r, 4, Slot::new(0, CODE_PLACE)),
        SlotVerdict::DisclosedAfterRedaction { at: 6 }
    );
    let committed: usize = l.disclosures.values().map(Vec::len).sum();
    assert_eq!(r.totals().disclosed, committed as u64);

    // The redacted place dropped: redacted; the name too: withheld, and
    // refused under --all-disclosed only.
    let b = l.bundle_v3("P-1", &note, |seq, d| {
        !((seq == 4 && d.slot.code == CODE_PLACE) || (seq == 3 && d.slot.code == CODE_NAME))
    });
    let text = b.to_json();
    let v = verify_bundle_text(&text, DisclosurePolicy::default()).unwrap();
    assert_eq!(
        verdict(&v.disclosures, 4, Slot::new(0, CODE_PLACE)),
        SlotVerdict::Redacted { at: 6 }
    );
    assert_eq!(
        verdict(&v.disclosures, 3, Slot::new(0, CODE_NAME)),
        SlotVerdict::Withheld
    );
    invalid_at(
        verify_bundle_text(&text, all()),
        3,
        Rule::Withheld,
        "withheld",
    );
}

#[test]
fn a_bundle_2_holding_a_v3_entry_is_refused_and_bundle_3_items_need_the_member() {
    let (l, note) = v3_ledger();
    // /2: the same items, no disclosures.
    let b = l.chain.bundle("P-1", &note);
    assert_eq!(b.format, BUNDLE_FORMAT_V2);
    match verify_bundle_text(&b.to_json(), DisclosurePolicy::default()) {
        Err(BundleError::Malformed(MalformedBundle::NeedsV3(_))) => {}
        other => panic!("{other:?}"),
    }
    // /2 with a disclosures member on an item.
    let mut b = l.bundle_v3("P-1", &note, |_, _| true);
    b.format = BUNDLE_FORMAT_V2.into();
    assert!(matches!(
        verify_bundle_text(&b.to_json(), DisclosurePolicy::default()),
        Err(BundleError::Malformed(MalformedBundle::NoDisclosures(_)))
    ));
    // /3 with an item lacking the member.
    let mut b = l.bundle_v3("P-1", &note, |_, _| true);
    b.entries[0].disclosures = None;
    assert!(matches!(
        verify_bundle_text(&b.to_json(), DisclosurePolicy::default()),
        Err(BundleError::Malformed(MalformedBundle::Missing(
            "disclosures"
        )))
    ));
}

#[test]
fn forged_disclosures_in_a_bundle_3_are_refused_with_rule_disclosure() {
    let (l, note) = v3_ledger();
    let b = l.bundle_v3("P-1", &note, |_, _| true);
    let text = b.to_json();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let item3 = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["seq"] == 3)
        .unwrap();
    for (what, edit) in disclosure_forgeries() {
        let mut forged = doc.clone();
        edit(
            forged["entries"][item3]["disclosures"]
                .as_array_mut()
                .unwrap(),
        );
        invalid_at(
            verify_bundle_text(&forged.to_string(), DisclosurePolicy::default()),
            3,
            Rule::Disclosure,
            what,
        );
    }
}

/// A v2 prefix, then v3: a disclosure beside a v2 item of a `/3` is
/// invalid; `[]` beside it is what the format asks.
#[test]
fn a_disclosure_on_a_v2_item_of_a_bundle_3_is_refused() {
    let mut chain = custody_testkit::chain::ChainBuilder::new("example.org/v3-test");
    chain.grant(
        &custody_testkit::keys::investigator(),
        custody_format::event::Role::Investigator,
        "T",
    );
    chain.push(
        custody_testkit::events::capture("P-1"),
        &custody_testkit::keys::investigator(),
    );
    chain.version = custody_format::entry::VERSION_3;
    let mut l = V3Ledger::from_chain(chain);
    l.evidence(custody_testkit::v3::missing_report("P-1"));
    let note = l.chain.checkpoint();
    let b = l.bundle_v3("P-1", &note, |_, _| true);
    let v = verify_bundle_text(&b.to_json(), all()).unwrap();
    assert_eq!(
        v.disclosures.totals().disclosed,
        l.disclosures_of(3).len() as u64
    );
    let mut doc: Value = serde_json::from_str(&b.to_json()).unwrap();
    let d = l.disclosures_of(3)[0].to_json();
    let item2 = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["seq"] == 2)
        .unwrap();
    doc["entries"][item2]["disclosures"] = Value::Array(vec![d]);
    invalid_at(
        verify_bundle_text(&doc.to_string(), DisclosurePolicy::default()),
        2,
        Rule::Disclosure,
        "a disclosure on a v2 item",
    );
}

/// Any flipped bit in any disclosure of a `/3` bundle is refused (as
/// `disclosure`, or as a document that does not parse).
#[test]
fn any_flipped_bit_in_a_bundle_3_disclosure_is_refused() {
    let (l, note) = v3_ledger();
    let text = l.bundle_v3("P-1", &note, |_, _| true).to_json();
    assert!(verify_bundle_text(&text, DisclosurePolicy::default()).is_ok());
    let mut tried = 0;
    let mut from = 0;
    while let Some(at) = text[from..].find("\"disclosures\": [\n") {
        let start = from + at + "\"disclosures\": [".len();
        let end = start + text[start..].find(']').unwrap();
        for byte in start..end {
            for bit in 0..8 {
                let mut bytes = text.clone().into_bytes();
                bytes[byte] ^= 1 << bit;
                let forged = String::from_utf8_lossy(&bytes);
                match verify_bundle_text(&forged, DisclosurePolicy::default()) {
                    Err(BundleError::Invalid(v)) => assert_eq!(v.rule, Rule::Disclosure, "{v}"),
                    Err(BundleError::Malformed(_)) => {}
                    other => panic!("byte {byte} bit {bit}: {other:?}"),
                }
                tried += 1;
            }
        }
        from = end;
    }
    assert!(tried > 3000, "{tried}");
}
