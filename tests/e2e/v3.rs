//! Format v3 artefacts verified by the binary (design
//! docs/design/format-v3.md §3.4, §7): exports whose v3 lines carry
//! disclosures, and `--all-disclosed`. The files are built with the test
//! kit's v3 ledger, whose fixed salts make them reproducible.

use crate::util::{custody, s};
use custody_format::commit::{Disclosure, CODE_NAME, CODE_PLACE};
use custody_format::wire::export::ExportLine;
use custody_testkit::v3::{v3_ledger, V3Ledger};

/// Writes the export of `l`, each entry with the disclosures `keep`
/// keeps, to `dir/name`.
fn write_export(
    dir: &std::path::Path,
    name: &str,
    l: &V3Ledger,
    keep: impl Fn(u64, &Disclosure) -> bool,
) -> std::path::PathBuf {
    let mut text = String::new();
    for e in &l.chain.signed {
        let kept: Vec<Disclosure> = l
            .disclosures_of(e.seq())
            .iter()
            .filter(|d| keep(e.seq(), d))
            .cloned()
            .collect();
        text += &ExportLine::with_disclosures(e, &kept).to_line();
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn verify_export_reports_disclosures_and_all_disclosed_refuses_a_withheld_field() {
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = v3_ledger();
    // Every disclosure, the redacted place (seq 4) included: valid, with a
    // warning.
    let full = write_export(dir.path(), "full.jsonl", &l, |_, _| true);
    let out = custody(&["verify", "--export", s(&full), "--all-disclosed"], None).ok();
    assert!(out.starts_with("VALID"), "{out}");
    assert!(
        out.contains("warning: seq 4 place is disclosed although the redaction at seq 6 erased it"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&custody(&["--json", "verify", "--export", s(&full)], None).ok())
            .unwrap();
    let totals = &json["disclosures"]["totals"];
    let committed: usize = l.disclosures.values().map(Vec::len).sum();
    assert_eq!(totals["disclosed"], committed as u64, "{json}");
    assert_eq!(totals["disclosed_after_redaction"], 1, "{json}");
    let seq4 = json["disclosures"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["seq"] == 4)
        .unwrap();
    assert_eq!(seq4["slots"][0]["state"], "disclosed_after_redaction");
    assert_eq!(seq4["slots"][0]["redacted_at"], 6);

    // The name of seq 3 withheld: valid, and reported; refused with
    // --all-disclosed (exit 1, rule withheld).
    let withheld = write_export(dir.path(), "withheld.jsonl", &l, |seq, d| {
        !((seq == 3 && d.slot.code == CODE_NAME) || (seq == 4 && d.slot.code == CODE_PLACE))
    });
    let out = custody(&["verify", "--export", s(&withheld)], None).ok();
    assert!(out.contains("seq 3: name withheld"), "{out}");
    assert!(out.contains("seq 4: place redacted at seq 6"), "{out}");
    let out = custody(
        &[
            "--json",
            "verify",
            "--export",
            s(&withheld),
            "--all-disclosed",
        ],
        None,
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        (json["rule"].as_str(), json["seq"].as_u64()),
        (Some("withheld"), Some(3))
    );
    assert!(json["advice"].as_str().unwrap().contains("--all-disclosed"));

    // Only the redacted field missing: --all-disclosed passes.
    let redacted = write_export(dir.path(), "redacted.jsonl", &l, |seq, d| {
        !(seq == 4 && d.slot.code == CODE_PLACE)
    });
    custody(
        &["verify", "--export", s(&redacted), "--all-disclosed"],
        None,
    )
    .ok();
}

#[test]
fn verify_export_refuses_a_forged_disclosure_with_rule_disclosure() {
    let dir = tempfile::tempdir().unwrap();
    let (l, _) = v3_ledger();
    let full = write_export(dir.path(), "full.jsonl", &l, |_, _| true);
    let text = std::fs::read_to_string(&full).unwrap();
    assert!(text.contains("\"value\":\"Ivan Petrenko\""));
    let forged = dir.path().join("forged.jsonl");
    std::fs::write(&forged, text.replace("Ivan Petrenko", "Ivan Petrenka")).unwrap();
    let out = custody(&["verify", "--export", s(&forged)], None);
    out.fails(
        1,
        &[
            "rule:   disclosure",
            "seq 3",
            "name: the value and salt do not match",
            "what to do:",
        ],
    );
    // A terminal escape in an unknown field name is shown escaped.
    std::fs::write(
        &forged,
        text.replacen("\"field\":\"name\"", "\"field\":\"n\\u001b[31mame\"", 1),
    )
    .unwrap();
    let out = custody(&["verify", "--export", s(&forged)], None);
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    assert!(out.stdout.contains("rule:   disclosure"), "{}", out.stdout);
}

#[test]
fn all_disclosed_needs_an_export_or_a_bundle() {
    custody(&["verify", "--all-disclosed"], None).fails(2, &["--all-disclosed"]);
}

#[test]
fn verify_bundle_3_reports_disclosures_and_all_disclosed_refuses_a_withheld_field() {
    let dir = tempfile::tempdir().unwrap();
    let (l, note) = v3_ledger();
    let full = dir.path().join("full.json");
    std::fs::write(&full, l.bundle_v3("P-1", &note, |_, _| true).to_json()).unwrap();
    let out = custody(&["verify", "--bundle", s(&full), "--all-disclosed"], None).ok();
    assert!(out.starts_with("COMPLETE"), "{out}");
    assert!(out.contains("disclosures: "), "{out}");
    assert!(
        out.contains("warning: seq 4 place is disclosed although the redaction at seq 6"),
        "{out}"
    );
    let withheld = dir.path().join("withheld.json");
    let b = l.bundle_v3("P-1", &note, |seq, d| {
        !(seq == 3 && d.slot.code == CODE_NAME)
    });
    std::fs::write(&withheld, b.to_json()).unwrap();
    custody(&["verify", "--bundle", s(&withheld)], None).ok();
    custody(
        &["verify", "--bundle", s(&withheld), "--all-disclosed"],
        None,
    )
    .fails(1, &["rule:   withheld", "seq 3"]);
    // The same items as a custody-bundle/2: refused, rule format.
    let v2 = dir.path().join("v2.json");
    std::fs::write(&v2, l.chain.bundle("P-1", &note).to_json()).unwrap();
    custody(&["verify", "--bundle", s(&v2)], None)
        .fails(1, &["rule:   format", "a v3 entry needs custody-bundle/3"]);
}
