//! `custody generate` end to end: a valid, reproducible synthetic ledger
//! with its keys beside it, and quiet output when piped.

use crate::util::{custody, s};

fn events(store: &std::path::Path) -> Vec<serde_json::Value> {
    custody(&["--store", s(store), "export"], None)
        .ok()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            // recorded_at is the real clock, so hashes, signatures and the
            // hashes corrections name differ between runs; and every
            // personal field's salt is fresh, so its commitment differs
            // (format 3). Signers, events and the disclosed values must not.
            let mut event = v["view"]["event"].clone();
            if let Some(e) = event.as_object_mut() {
                e.remove("target");
            }
            mask_commitments(&mut event);
            let disclosed: Vec<serde_json::Value> = v["disclosures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| serde_json::json!([d["part"], d["field"], d["index"], d["value"]]))
                .collect();
            serde_json::json!({"signer": v["view"]["signer"], "event": event, "disclosed": disclosed})
        })
        .collect()
}

/// Every `{"commitment": …}` in `v` replaced by a fixed mark.
fn mask_commitments(v: &mut serde_json::Value) {
    if v.get("commitment").is_some() {
        *v = serde_json::Value::from("(committed)");
        return;
    }
    match v {
        serde_json::Value::Object(m) => m.values_mut().for_each(mask_commitments),
        serde_json::Value::Array(a) => a.iter_mut().for_each(mask_commitments),
        _ => {}
    }
}

#[test]
fn generate_is_valid_reproducible_and_quiet_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let run = custody(
        &[
            "--json",
            "generate",
            "--persons",
            "120",
            "--seed",
            "9",
            "--batch",
            "200",
            "--out",
            s(&a),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "nothing on stderr when piped");
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert!(report["entries_per_second"].as_f64().unwrap() > 0.0);
    let entries = report["entries"].as_u64().unwrap();
    assert!(
        (800..2000).contains(&entries),
        "{entries} entries for 120 persons"
    );

    let text = custody(
        &[
            "generate",
            "--persons",
            "120",
            "--seed",
            "9",
            "--batch",
            "200",
            "--out",
            s(&b),
        ],
        None,
    )
    .ok();
    assert!(text.contains("entries/s"), "{text}");
    let (ea, eb) = (events(&a.join("ledger")), events(&b.join("ledger")));
    assert_eq!(ea.len(), eb.len());
    if let Some(i) = (0..ea.len()).find(|&i| ea[i] != eb[i]) {
        panic!("entry {i} differs between two runs:\n{}\n{}", ea[i], eb[i]);
    }

    let verify = custody(&["--store", s(&a.join("ledger")), "--json", "verify"], None).ok();
    let v: serde_json::Value = serde_json::from_str(verify.trim()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["length"].as_u64(), Some(entries));

    // Keys: private, and the first investigator's revoked half-way.
    use std::os::unix::fs::PermissionsExt;
    for k in ["authority.pem", "investigator-0.pem", "investigator-5.pem"] {
        let mode = std::fs::metadata(a.join("keys").join(k))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{k}");
    }
    let keys = custody(&["--store", s(&a.join("ledger")), "key", "list"], None).ok();
    assert_eq!(keys.matches("revoked@").count(), 1, "{keys}");
    assert_eq!(keys.matches("investigator@").count(), 6, "{keys}");
    // Every evidence type and corrections are there.
    let log = custody(&["--store", s(&a.join("ledger")), "log"], None).ok();
    for t in [
        "missing_report",
        "capture",
        "icrc_notification",
        "sighting",
        "release",
        "correction",
    ] {
        assert!(log.contains(t), "no {t} in a 120-person ledger");
    }
    // Tiny ledgers too (below two persons there is no revocation).
    for n in ["0", "1", "2"] {
        let out = dir.path().join(format!("tiny-{n}"));
        custody(&["generate", "--persons", n, "--out", s(&out)], None).ok();
        custody(&["--store", s(&out.join("ledger")), "verify"], None).ok();
    }
    // A non-empty directory is refused.
    custody(&["generate", "--persons", "1", "--out", s(&a)], None).fails(2, &["not empty"]);
}
