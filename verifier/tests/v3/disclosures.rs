//! Format v3 disclosure vectors (`v3/disclosures.json`, design
//! docs/design/format-v3.md §3.4, §7, §13 "Disclosures"): whole export
//! files and `custody-bundle/3` documents of one small v3 ledger (the test
//! kit's: its keys are `key(n)` = 32 bytes of n, its salts fixed), each
//! with the verdict the design requires: valid with stated totals, or
//! refused at a seq with a rule (`disclosure`, or `withheld` when every
//! field is demanded). Verdicts come from how each document was made,
//! never from running the verifier.

use custody_format::commit::{Disclosure, CODE_NAME, CODE_PLACE};
use custody_format::wire::export::ExportLine;
use custody_testkit::v3::{missing_report, v3_ledger, V3Ledger};
use custody_verifier::bundle::{verify_bundle_disclosures, BundleError, BundleOptions};
use custody_verifier::disclosures::DisclosurePolicy;
use custody_verifier::export::{verify_export_disclosures, ExportError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One document and its verdict.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisclosureVector {
    name: String,
    description: String,
    /// `export` (JSON Lines) or `bundle` (one `custody-bundle/3`).
    artefact: String,
    /// Verified with every field demanded (`--all-disclosed`).
    all_disclosed: bool,
    valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reject_at_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    /// Valid only: disclosed, withheld, redacted, disclosed after redaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    totals: Option<[u64; 4]>,
    document: String,
}

fn export_text(l: &V3Ledger, keep: &dyn Fn(u64, &Disclosure) -> bool) -> String {
    l.chain
        .signed
        .iter()
        .map(|e| {
            let kept: Vec<Disclosure> = l
                .disclosures_of(e.seq())
                .iter()
                .filter(|d| keep(e.seq(), d))
                .cloned()
                .collect();
            ExportLine::with_disclosures(e, &kept).to_line() + "\n"
        })
        .collect()
}

/// Applies `edit` to the disclosures of entry `seq` in a document.
fn edited(artefact: &str, doc: &str, seq: u64, edit: &dyn Fn(&mut Vec<Value>)) -> String {
    if artefact == "export" {
        doc.lines()
            .map(|line| {
                let mut v: Value = serde_json::from_str(line).unwrap();
                if v["seq"] == seq {
                    if v.get("disclosures").is_none() {
                        // A v1/v2 line: the member is added (empty first).
                        let mut m = serde_json::Map::new();
                        m.insert("disclosures".into(), Value::Array(vec![]));
                        m.extend(v.as_object().unwrap().clone());
                        v = Value::Object(m);
                    }
                    edit(v["disclosures"].as_array_mut().unwrap());
                }
                serde_json::to_string(&v).unwrap() + "\n"
            })
            .collect()
    } else {
        let mut v: Value = serde_json::from_str(doc).unwrap();
        for item in v["entries"].as_array_mut().unwrap() {
            if item["seq"] == seq {
                edit(item["disclosures"].as_array_mut().unwrap());
            }
        }
        serde_json::to_string_pretty(&v).unwrap() + "\n"
    }
}

fn field_at(list: &[Value], field: &str) -> usize {
    list.iter().position(|d| d["field"] == field).unwrap()
}

type Edit = Box<dyn Fn(&mut Vec<Value>)>;

/// The forgeries of design §13, each on the missing report (seq 3).
fn forgeries() -> Vec<(&'static str, &'static str, Edit)> {
    let set = |field: &'static str, member: &'static str, to: Value| -> Edit {
        Box::new(move |list| {
            let i = field_at(list, field);
            list[i][member] = to.clone();
        })
    };
    vec![
        (
            "wrong-salt",
            "the name's salt replaced",
            set("name", "salt", Value::String("ab".repeat(32))),
        ),
        (
            "wrong-value",
            "the name's value altered by one letter",
            set("name", "value", "Ivan Petrenk0".into()),
        ),
        (
            "wrong-part",
            "the name disclosed as part 1 (the entry has no replacement)",
            set("name", "part", 1.into()),
        ),
        (
            "wrong-code",
            "the name's salt and value presented as last_seen_place (each slot once)",
            Box::new(|list| {
                let i = field_at(list, "name");
                let mut d = list.remove(i);
                d["field"] = "last_seen_place".into();
                let j = field_at(list, "last_seen_place");
                list[j] = d;
            }),
        ),
        (
            "wrong-index",
            "the name disclosed at index 1",
            set("name", "index", 1.into()),
        ),
        (
            "absent-slot",
            "a disclosure for service_number, absent from the entry",
            set("name", "field", "service_number".into()),
        ),
        (
            "two-for-one-slot",
            "the name disclosed twice",
            Box::new(|list| {
                let i = field_at(list, "name");
                let d = list[i].clone();
                list.insert(i, d);
            }),
        ),
        (
            "date-2023-7",
            "date_of_birth written 1990-7, not 1990-07",
            set("date_of_birth", "value", "1990-7".into()),
        ),
        (
            "control-character",
            "a name with a BEL character",
            set("name", "value", "Ivan\u{7}Petrenko".into()),
        ),
        (
            "unknown-field-name",
            "the field named nickname",
            set("name", "field", "nickname".into()),
        ),
        (
            "unknown-member",
            "a disclosure with a sixth member",
            set("name", "source", "me".into()),
        ),
    ]
}

/// A v2 prefix (seq 0–2, a capture at 2), then v3 (a missing report at 3):
/// for "a disclosure on a v2 item".
fn mixed() -> (V3Ledger, String) {
    let mut chain = custody_testkit::chain::ChainBuilder::new(custody_testkit::v3::V3_LEDGER);
    let inv = custody_testkit::keys::investigator();
    chain.grant(&inv, Role::Investigator, "Field team A");
    chain.push(custody_testkit::events::capture("P-1"), &inv);
    chain.version = custody_format::entry::VERSION_3;
    let mut l = V3Ledger::from_chain(chain);
    l.evidence(missing_report("P-1"));
    let note = l.chain.checkpoint();
    (l, note)
}
use custody_format::event::Role;

pub(crate) fn disclosure_vectors() -> Vec<DisclosureVector> {
    let (l, note) = v3_ledger();
    let committed: u64 = l.disclosures.values().map(|d| d.len() as u64).sum();
    let mut out = Vec::new();
    for artefact in ["export", "bundle"] {
        let doc = |keep: &dyn Fn(u64, &Disclosure) -> bool| -> String {
            if artefact == "export" {
                export_text(&l, keep)
            } else {
                l.bundle_v3("P-1", &note, keep).to_json()
            }
        };
        let v = |name: &str,
                 description: &str,
                 all: bool,
                 verdict: Result<[u64; 4], (u64, &str)>,
                 document: String| DisclosureVector {
            name: format!("{artefact}-{name}"),
            description: description.into(),
            artefact: artefact.into(),
            all_disclosed: all,
            valid: verdict.is_ok(),
            reject_at_seq: verdict.err().map(|e| e.0),
            rule: verdict.err().map(|e| e.1.to_string()),
            totals: verdict.ok(),
            document,
        };
        let full = doc(&|_, _| true);
        out.push(v("valid-all-disclosed", "every disclosure; the capture's place (seq 4) also disclosed after the redaction at seq 6 erased it: accepted with a warning", true, Ok([committed, 0, 0, 1]), full.clone()));
        let partial = doc(&|seq, d| {
            !((seq == 4 && d.slot.code == CODE_PLACE) || (seq == 3 && d.slot.code == CODE_NAME))
        });
        out.push(v(
            "valid-withheld-and-redacted",
            "the redacted place dropped (redacted) and the name of seq 3 withheld: valid",
            false,
            Ok([committed - 2, 1, 1, 0]),
            partial.clone(),
        ));
        out.push(v(
            "reject-withheld",
            "the same, with every field demanded: the withheld name fails",
            true,
            Err((3, "withheld")),
            partial,
        ));
        out.push(v(
            "valid-redacted-all-disclosed",
            "only the redacted place missing, every field demanded: redacted fields pass",
            true,
            Ok([committed - 1, 0, 1, 0]),
            doc(&|seq, d| !(seq == 4 && d.slot.code == CODE_PLACE)),
        ));
        for (name, description, edit) in forgeries() {
            out.push(v(
                &format!("reject-{name}"),
                description,
                false,
                Err((3, "disclosure")),
                edited(artefact, &full, 3, &*edit),
            ));
        }
        let (m, mnote) = mixed();
        let mdoc = if artefact == "export" {
            export_text(&m, &|_, _| true)
        } else {
            m.bundle_v3("P-1", &mnote, |_, _| true).to_json()
        };
        let d = m.disclosures_of(3)[0].to_json();
        out.push(v(
            "reject-disclosure-on-v2",
            "a genuine disclosure of seq 3 beside the v2 capture at seq 2",
            false,
            Err((2, "disclosure")),
            edited(artefact, &mdoc, 2, &move |list| list.push(d.clone())),
        ));
    }
    out
}

/// custody's verdict on a vector's document.
fn verdict_of(v: &DisclosureVector) -> Result<[u64; 4], (u64, String)> {
    let policy = DisclosurePolicy {
        all_disclosed: v.all_disclosed,
    };
    let report = if v.artefact == "export" {
        match verify_export_disclosures(v.document.as_bytes(), 2, policy) {
            Ok((_, r)) => r,
            Err(ExportError::Invalid { violation, .. }) => {
                return Err((violation.seq, violation.rule.name().into()))
            }
            Err(e) => panic!("{}: {e}", v.name),
        }
    } else {
        match verify_bundle_disclosures(v.document.as_bytes(), &BundleOptions::default(), policy) {
            Ok(b) => b.disclosures,
            Err(BundleError::Invalid(violation)) => {
                return Err((violation.seq, violation.rule.name().into()))
            }
            Err(e) => panic!("{}: {e}", v.name),
        }
    };
    let t = report.totals();
    Ok([
        t.disclosed,
        t.withheld,
        t.redacted,
        t.disclosed_after_redaction,
    ])
}

pub(crate) fn check_disclosure_vectors(vectors: &[DisclosureVector]) {
    assert!(vectors.len() >= 30, "{}", vectors.len());
    for v in vectors {
        let expected = match (&v.totals, v.reject_at_seq, &v.rule) {
            (Some(t), None, None) if v.valid => Ok(*t),
            (None, Some(seq), Some(rule)) if !v.valid => Err((seq, rule.clone())),
            _ => panic!("{}: inconsistent vector", v.name),
        };
        assert_eq!(verdict_of(v), expected, "{}", v.name);
    }
}
