//! End-to-end tests of `custody dossier` (and `custody verify --dossier`):
//! what a prosecutor hands a court. The same content from the store and
//! from the bundle alone; every field of every item; corrections and
//! disputes marked on the item they concern; time cuts; no dossier from a
//! bundle that does not verify; untrusted text inert in every rendering;
//! the detached signature; and the HTML printed by a real browser.

use crate::util::{custody, s, Env, CUSTODY};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const CASES: &str = include_str!("../../cli/src/demo_cases.jsonl");

fn parse(out: &str) -> Value {
    serde_json::from_str(out.trim()).expect("JSON")
}

/// Lines of JSON for `append`.
fn jsonl(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// P-1's episode: a missing report and a capture with every identity and
/// narrative field, a sighting later retracted, a sighting later replaced,
/// a notification disputed by the family, a letter; a checkpoint after.
struct Rich {
    env: Env,
    /// The hashes of P-1's entries, in the order appended.
    hashes: Vec<String>,
    /// `recorded_at` of the last entry before the corrections.
    before_corrections: String,
}

const ATTACHMENT: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn rich() -> Rich {
    let env = Env::new(CUSTODY);
    let evidence = env.append_ok(&jsonl(&[
        json!({"type":"missing_report","person":"P-1","occurred_at":"2022-05-10","category":"military",
               "last_seen_place":"Mariupol","name":"Ivan Petrenko","date_of_birth":"1998-03",
               "service_number":"A123456","unit":"36th marine brigade","notes":"last call from the steelworks"}),
        json!({"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol",
               "circumstances":"surrendered wounded with his unit","notes":"filmed by the captors",
               "attachments":[{"sha256":ATTACHMENT,"media_type":"video/mp4","description":"surrender footage"}]}),
        json!({"type":"sighting","person":"P-1","occurred_at":"2022-09","place":"Olenivka",
               "source":"returned_pow","notes":"seen in barracks 2"}),
        json!({"type":"sighting","person":"P-1","occurred_at":"2022-11-03","place":"Taganrog","source":"video"}),
        json!({"type":"icrc_notification","person":"P-1","occurred_at":"2023-06-20",
               "reference":"CTA-UA-77","location_disclosed":false}),
        json!({"type":"correspondence","person":"P-1","occurred_at":"2023-08-02","kind":"letter","via":"icrc"}),
        json!({"type":"capture","person":"P-2","occurred_at":"2022-04","place":"Melitopol"}),
    ]));
    let hashes: Vec<String> = evidence.iter().map(|(_, h)| h.clone()).collect();
    let log = parse(
        &env.run(&[
            "--json",
            "log",
            "--from",
            &evidence[5].0.to_string(),
            "--limit",
            "1",
        ])
        .ok(),
    );
    let before_corrections = log["recorded_at"].as_str().unwrap().to_string();
    // Later, and recorded later: the corrections and a dispute.
    std::thread::sleep(std::time::Duration::from_millis(5));
    env.append_ok(&jsonl(&[
        json!({"type":"correction","target":hashes[2],"reason":"misidentified: another prisoner"}),
        json!({"type":"correction","target":hashes[3],"reason":"date and place corrected from the video's metadata",
               "replacement":{"type":"sighting","person":"P-1","occurred_at":"2022-11-04","place":"Taganrog SIZO-2","source":"video"}}),
        json!({"type":"dispute","person":"P-1","occurred_at":"2023-07","target":hashes[4],"by":"the family",
               "reason":"the notification names another man"}),
    ]));
    env.checkpoint(&env.path("cp.txt")).ok();
    Rich {
        env,
        hashes,
        before_corrections,
    }
}

fn authority_pub(env: &Env) -> String {
    custody(&["key", "public", "--key", s(&env.authority)], None)
        .ok()
        .trim()
        .to_string()
}

/// Exports P-1's bundle to a file.
fn bundle_file(env: &Env) -> PathBuf {
    let p = env.path("p1.bundle.json");
    env.run(&["export", "--person", "P-1", "--out", s(&p)]).ok();
    p
}

/// The JSON dossier without what differs between two runs (when, from
/// where, and how the authority was checked).
fn content(mut d: Value) -> Value {
    let o = d.as_object_mut().unwrap();
    for k in [
        "generated_at",
        "bundle_source",
        "authority_check",
        "summary",
    ] {
        o.remove(k).unwrap();
    }
    d
}

/// The Markdown's evidence section.
fn evidence_section(md: &str) -> &str {
    let start = md.find("## Evidence about").expect("evidence section");
    let end = md
        .find("## Keys and governance")
        .expect("governance section");
    &md[start..end]
}

#[test]
fn from_the_store_and_from_the_bundle_alone_the_same_dossier() {
    let r = rich();
    let bundle = bundle_file(&r.env);
    let key = authority_pub(&r.env);
    let from_store = parse(&r.env.run(&["dossier", "P-1", "--format", "json"]).ok());
    // No store at all: the bundle and the authority key.
    let from_file = parse(
        &custody(
            &[
                "dossier",
                "--bundle",
                s(&bundle),
                "--authority",
                &key,
                "--format",
                "json",
            ],
            None,
        )
        .ok(),
    );
    assert_eq!(from_file["authority_check"], "pinned");
    assert_eq!(from_store["authority_check"], "store");
    // The very bytes exported are the bytes the store's dossier verified.
    let sha = custody_testkit_sha256(&std::fs::read(&bundle).unwrap());
    assert_eq!(from_store["bundle_sha256"], sha);
    assert_eq!(content(from_store), content(from_file));
    let md_store = r.env.run(&["dossier", "P-1"]).ok();
    let md_file = custody(
        &["dossier", "--bundle", s(&bundle), "--authority", &key],
        None,
    )
    .ok();
    assert_eq!(evidence_section(&md_store), evidence_section(&md_file));
    // Without --authority the key is shown, for the reader to compare.
    let unpinned = custody(&["dossier", "--bundle", s(&bundle)], None).ok();
    assert!(
        unpinned.contains(&format!("> **Check the authority key:** `{key}`")),
        "{unpinned}"
    );
    // A wrong pin: no dossier.
    let other = Env::new(CUSTODY);
    custody(
        &[
            "dossier",
            "--bundle",
            s(&bundle),
            "--authority",
            &authority_pub(&other),
        ],
        None,
    )
    .fails(1, &["does not verify", "authority"]);
    // Another person named than the bundle's: refused.
    custody(&["dossier", "P-2", "--bundle", s(&bundle)], None).fails(1, &["not of P-2"]);
}

fn custody_testkit_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn every_field_of_every_item_and_who_signed_it() {
    let r = rich();
    let md = r.env.run(&["dossier", "P-1"]).ok();
    let html = r.env.run(&["dossier", "P-1", "--format", "html"]).ok();
    let j = parse(&r.env.run(&["--json", "dossier", "P-1"]).ok());
    // Markdown escapes what would be syntax where it stands; a date or an id
    // with "-" inside reads as written.
    for (plain, in_md) in [
        ("Ivan Petrenko", "Ivan Petrenko"),
        ("A123456", "A123456"),
        ("36th marine brigade", "36th marine brigade"),
        ("1998-03", "1998-03"),
        (
            "last call from the steelworks",
            "last call from the steelworks",
        ),
        (
            "surrendered wounded with his unit",
            "surrendered wounded with his unit",
        ),
        ("filmed by the captors", "filmed by the captors"),
        ("CTA-UA-77", "CTA-UA-77"),
        ("surrender footage", "surrender footage"),
        (ATTACHMENT, ATTACHMENT),
        ("Field team", "Field team"),
    ] {
        assert!(
            md.contains(in_md),
            "{in_md} missing from the Markdown\n{md}"
        );
        assert!(html.contains(plain), "{plain} missing from the HTML");
        assert!(
            j.to_string().contains(plain),
            "{plain} missing from the JSON"
        );
    }
    for label in [
        "**Name:**",
        "**Service number:**",
        "**Unit:**",
        "**Date of birth:**",
        "**Circumstances:**",
        "**Notes:**",
    ] {
        assert!(md.contains(label), "{label}\n{md}");
    }
    // Each item: its hash, its signer's role when it signed, its proof.
    let items = j["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        9,
        "6 evidence entries, 2 corrections, 1 dispute"
    );
    for (item, hash) in items.iter().zip(&r.hashes[..6]) {
        assert_eq!(item["entry_hash"], hash.as_str());
        assert_eq!(item["signer_holder"], "Field team");
        assert_eq!(item["signer_roles"], json!(["investigator"]));
        assert!(item["proof"].as_str().unwrap().ends_with("verified"));
        assert!(md.contains(hash.as_str()));
    }
    assert_eq!(
        items[1]["content"]["attachments"][0]["media_type"],
        "video/mp4"
    );
    assert!(md.contains("role when signing: investigator"));
    assert!(
        !md.contains("P-2") && !md.contains("Melitopol"),
        "another person in the dossier"
    );
    // At the top: the verdict, the status with its clock, the flags and
    // the dispute; at the end: how to verify it again.
    assert_eq!(j["verdict"], "COMPLETE");
    assert_eq!(j["entries_about_person"], 9);
    assert_eq!(j["status"]["status"], "held_acknowledged");
    assert!(j["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["flag"] == "notification_overdue"));
    assert!(j["legal_clock"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["label"] == "Notification delay" && f["value"] == "399 days"));
    assert_eq!(j["disputed_items"], json!([5]));
    assert!(md.contains("**DISPUTED by item 9"), "{md}");
    let key = authority_pub(&r.env);
    assert!(md.contains(&format!(
        "custody verify --bundle BUNDLE.json --authority {key}"
    )));
    assert!(md.contains("docs/FORMAT.md section 7"));
    assert!(md.contains(j["bundle_sha256"].as_str().unwrap()));
    for term in [
        "seq",
        "entry hash",
        "Merkle tree / inclusion proof",
        "completeness proof / seal",
        "governance",
    ] {
        assert!(
            j["glossary"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["term"] == term),
            "{term}"
        );
    }
}

#[test]
fn retracted_and_replaced_items_are_marked_where_they_stand() {
    let r = rich();
    let md = r.env.run(&["dossier", "P-1"]).ok();
    assert!(
        md.contains("### 3. ~~Sighting (seen alive in captivity) (seq 4)~~ — RETRACTED by item 7"),
        "{md}"
    );
    assert!(md.contains("**RETRACTED by item 7 (seq 9"), "{md}");
    assert!(md.contains("misidentified: another prisoner"), "{md}");
    assert!(md.contains("- **Place:** ~~Olenivka~~"), "{md}");
    assert!(md.contains("— REPLACED by item 8"), "{md}");
    assert!(
        md.contains("- **Replacement (Sighting (seen alive in captivity)):**"),
        "{md}"
    );
    assert!(md.contains("  - **Place:** Taganrog SIZO-2"), "{md}");
    let j = parse(&r.env.run(&["--json", "dossier", "P-1"]).ok());
    let items = j["items"].as_array().unwrap();
    assert_eq!(items[2]["corrected_by"]["action"], "retracted");
    assert_eq!(items[2]["corrected_by"]["by_item"], 7);
    assert_eq!(items[3]["corrected_by"]["action"], "replaced");
    let fields = &items[3]["corrected_by"]["replacement"]["fields"];
    assert!(fields
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "place" && f["value"] == "Taganrog SIZO-2"));
    assert_eq!(
        items[3]["corrected_by"]["replacement"]["occurred_at"],
        "2022-11-04"
    );
    let html = r.env.run(&["dossier", "P-1", "--format", "html"]).ok();
    assert!(html.contains("RETRACTED by item 7"));
    assert!(
        html.contains(r#"class="item corrected" id="item-3""#),
        "the retracted item is struck through"
    );
    // The timeline leaves the retracted sighting out and puts the replaced
    // one at its replacement's date.
    let points: Vec<&str> = j["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["date"].as_str().unwrap())
        .collect();
    assert!(
        !points.contains(&"2022-09")
            && points.contains(&"2022-11-04")
            && !points.contains(&"2022-11-03"),
        "{points:?}"
    );
    assert!(
        points.contains(&"2022-05-24") && points.contains(&"2022-06-16"),
        "the 7- and 30-day marks: {points:?}"
    );
}

#[test]
fn time_cuts_cut_the_items_and_the_status_and_say_so() {
    let r = rich();
    // As the ledger stood before the corrections: nothing is marked, and
    // the corrections and the dispute are not items.
    let j = parse(
        &r.env
            .run(&[
                "--json",
                "dossier",
                "P-1",
                "--known-at",
                &r.before_corrections,
            ])
            .ok(),
    );
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{items:?}");
    assert!(items
        .iter()
        .all(|i| i["corrected_by"].is_null() && i["disputed_by"] == json!([])));
    assert_eq!(j["cut"]["known_at"], r.before_corrections.as_str());
    assert!(j["disputed_items"] == json!([]));
    // The verdict counts the checkpoint's entries, and says how many the
    // cut shows.
    let verdict = j["verdict_words"].as_str().unwrap();
    assert!(
        verdict.contains("at the time cut stated above, 6 of them are shown"),
        "{verdict}"
    );
    // As the world stood at the end of 2022: before the notification.
    let md = r.env.run(&["dossier", "P-1", "--as-of", "2022-12"]).ok();
    assert!(
        md.contains("> **Time cut:** this dossier shows the state of the world as of 2022-12-31"),
        "{md}"
    );
    let j = parse(
        &r.env
            .run(&["--json", "dossier", "P-1", "--as-of", "2022-12"])
            .ok(),
    );
    assert_eq!(j["status"]["status"], "held_unacknowledged");
    let kinds: Vec<&str> = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"]["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains(&"icrc_notification") && !kinds.contains(&"correspondence"),
        "{kinds:?}"
    );
    // A correction has no date: it goes with its target. At the end of
    // October 2022 the replaced sighting (November) is cut, and so is its
    // correction; the retraction of September's sighting stays, marked.
    let j = parse(
        &r.env
            .run(&["--json", "dossier", "P-1", "--as-of", "2022-10"])
            .ok(),
    );
    let items = j["items"].as_array().unwrap();
    let targets: Vec<&Value> = items
        .iter()
        .filter_map(|i| i["target"].get("hash"))
        .collect();
    assert_eq!(
        targets,
        vec![&Value::from(r.hashes[2].as_str())],
        "{items:?}"
    );
    assert_eq!(items[2]["corrected_by"]["action"], "retracted");
    // And now: acknowledged.
    let j = parse(&r.env.run(&["--json", "dossier", "P-1"]).ok());
    assert_eq!(j["status"]["status"], "held_acknowledged");
    assert!(j["cut"]["as_of"].is_null());
}

#[test]
fn out_writes_once_and_never_over_a_file() {
    let r = rich();
    let out = r.env.path("d.html");
    r.env
        .run(&["dossier", "P-1", "--format", "html", "--out", s(&out)])
        .ok();
    let first = std::fs::read(&out).unwrap();
    assert!(first.starts_with(b"<!DOCTYPE html>"));
    r.env
        .run(&["dossier", "P-1", "--out", s(&out)])
        .fails(2, &["already exists"]);
    assert_eq!(std::fs::read(&out).unwrap(), first);
    // --sign-key needs --out.
    r.env
        .run(&["dossier", "P-1", "--sign-key", s(&r.env.authority)])
        .fails(2, &["--out"]);
}

#[test]
fn a_bundle_that_does_not_verify_gives_no_dossier() {
    let r = rich();
    let bundle = bundle_file(&r.env);
    let text = std::fs::read_to_string(&bundle).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    // One byte of one entry's bytes changed.
    let entry = doc["entries"][3]["entry"].as_str().unwrap().to_string();
    let mut bytes = base64_decode(&entry);
    let n = bytes.len() - 70;
    bytes[n] ^= 1;
    doc["entries"][3]["entry"] = Value::from(base64_encode(&bytes));
    let flipped = r.env.path("flipped.json");
    std::fs::write(&flipped, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let run = custody(&["dossier", "--bundle", s(&flipped)], None);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    run.fails(1, &["does not verify, so no dossier is made"]);
    // An entry left out.
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["entries"].as_array_mut().unwrap().remove(4);
    let cut = r.env.path("cut.json");
    std::fs::write(&cut, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let run = custody(&["dossier", "--bundle", s(&cut), "--format", "html"], None);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    run.fails(1, &["no dossier is made"]);
    // A custody-bundle/1 proves inclusion only: refused (it cannot even be
    // made of format 3 entries).
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["format"] = Value::from("custody-bundle/1");
    let v1 = r.env.path("v1.json");
    std::fs::write(&v1, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let run = custody(&["dossier", "--bundle", s(&v1)], None);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    run.fails(1, &["no dossier is made"]);
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(2)>";
const STYLE: &str = "</style><b>styled</b>";
const MD: &str = "[click](http://evil.example)\n# 1. Forged heading";
/// Control characters are refused on input; a bidirectional override is
/// not, and would reverse what a reader sees.
const BIDI: &str = "invoice\u{202e}fdp.exe";

#[test]
fn untrusted_text_is_inert_in_every_rendering() {
    let env = Env::new(CUSTODY);
    let appended = env.append_ok(&jsonl(&[
        json!({"type":"missing_report","person":"P-9","occurred_at":"2022","category":"civilian",
               "name":SCRIPT,"unit":IMG,"notes":STYLE,"last_seen_place":MD,"service_number":BIDI}),
        json!({"type":"sighting","person":"P-9","occurred_at":"2022-06","source":"other","place":IMG,
               "attachments":[{"sha256":ATTACHMENT,"media_type":"video/mp4","description":SCRIPT}]}),
    ]));
    env.append_ok(&jsonl(&[
        json!({"type":"correction","target":appended[1].1,"reason":STYLE}),
    ]));
    env.checkpoint(&env.path("cp.txt")).ok();
    // The same defences in every language.
    for lang in ["en", "uk"] {
        untrusted_text_is_inert_in(&env, lang);
    }
}

fn untrusted_text_is_inert_in(env: &Env, lang: &str) {
    let md = env.run(&["dossier", "P-9", "--lang", lang]).ok();
    let html = env
        .run(&["dossier", "P-9", "--format", "html", "--lang", lang])
        .ok();
    let j = env
        .run(&["dossier", "P-9", "--format", "json", "--lang", lang])
        .ok();
    for out in [&md, &html] {
        assert!(!out.contains('\u{202e}'), "a raw bidirectional override");
    }
    // Markdown: no raw tag (every "<" escaped), link or heading.
    // (`<U+202E>`, how a bidirectional control is shown, is no tag.)
    assert!(
        !md.replace("\\<", "").replace("<U+202E>", "").contains('<'),
        "a raw < in the Markdown"
    );
    for raw in ["](http", "[click]"] {
        assert!(!md.contains(raw), "{raw} raw in the Markdown");
    }
    assert!(md.lines().all(|l| !l.starts_with("# 1.")), "{md}");
    assert!(md.contains("\\<script\\>alert\\(1\\)\\</script\\>"), "{md}");
    assert!(md.contains("invoice<U+202E>fdp.exe"), "{md}");
    // HTML: one <style>, no <script>, no <img>; the text is there, escaped.
    assert_eq!(html.matches("<style>").count(), 1);
    assert_eq!(html.matches("</style>").count(), 1);
    for raw in ["<script", "<img", "<b>styled"] {
        assert!(!html.contains(raw), "{raw} raw in the HTML");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("&lt;/style&gt;"));
    assert!(html.contains("invoice&lt;U+202E&gt;fdp.exe"));
    // JSON: the exact strings, as data.
    let d = parse(&j);
    let fields = &d["items"][0]["content"]["fields"];
    let value = |name: &str| {
        fields
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(value("name"), SCRIPT);
    assert_eq!(value("unit"), IMG);
    assert_eq!(value("notes"), STYLE);
    assert_eq!(value("last_seen_place"), MD);
    assert_eq!(value("service_number"), BIDI);
    assert_eq!(d["items"][1]["corrected_by"]["reason"], STYLE);
}

#[test]
fn the_signed_dossier_verifies_and_any_change_fails() {
    let r = rich();
    let out = r.env.path("d.md");
    let sig = r.env.path("d.md.sig");
    let key = authority_pub(&r.env);
    // Only an authority of the ledger signs a dossier; nothing is written
    // when it is refused.
    r.env
        .run(&[
            "dossier",
            "P-1",
            "--out",
            s(&out),
            "--sign-key",
            s(&r.env.investigator),
        ])
        .fails(1, &["does not hold the authority role"]);
    assert!(!out.exists() && !sig.exists());
    r.env
        .run(&[
            "dossier",
            "P-1",
            "--out",
            s(&out),
            "--sign-key",
            s(&r.env.authority),
        ])
        .ok();
    let signature: Value = parse(&std::fs::read_to_string(&sig).unwrap());
    assert_eq!(signature["format"], "custody-dossier-signature/1");
    assert_eq!(signature["key"], key.as_str());
    let verify = |dossier: &Path, sig: &Path, pin: Option<&str>| {
        let mut args = vec!["verify", "--dossier", s(dossier), "--signature", s(sig)];
        if let Some(p) = pin {
            args.extend(["--authority", p]);
        }
        custody(&args, None)
    };
    let ok = verify(&out, &sig, Some(&key)).ok();
    assert!(ok.starts_with("VALID  dossier"), "{ok}");
    // The dossier altered by one byte.
    let mut bytes = std::fs::read(&out).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    let altered = r.env.path("altered.md");
    std::fs::write(&altered, &bytes).unwrap();
    verify(&altered, &sig, Some(&key)).fails(1, &["INVALID  dossier", "altered"]);
    // Without a trusted key, nothing is VALID: whoever altered a dossier
    // could have signed it with a key of their own.
    verify(&out, &sig, None).fails(2, &["--dossier needs --authority"]);
    // The signature altered (and its hash made to match another dossier).
    let mut forged = signature.clone();
    let s_hex = forged["signature"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        if s_hex.starts_with('0') { "1" } else { "0" },
        &s_hex[1..]
    );
    forged["signature"] = Value::from(flipped);
    let forged_path = r.env.path("forged.sig");
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    verify(&out, &forged_path, Some(&key)).fails(1, &["does not verify"]);
    // A duplicate member, or another key pinned: refused.
    let dup = r.env.path("dup.sig");
    std::fs::write(
        &dup,
        format!(
            "{{\"format\":\"custody-dossier-signature/1\",\"dossier_sha256\":{},\"key\":{},\"signature\":{},\"signature\":{}}}",
            signature["dossier_sha256"], signature["key"], signature["signature"], signature["signature"]
        ),
    )
    .unwrap();
    verify(&out, &dup, Some(&key)).fails(1, &["duplicate"]);
    let other = Env::new(CUSTODY);
    verify(&out, &sig, Some(&authority_pub(&other)))
        .fails(1, &["not by the key given with --authority"]);
}

#[test]
fn an_absent_person_has_a_dossier_that_says_so() {
    let env = Env::new(CUSTODY);
    env.append_ok(CASES);
    env.checkpoint(&env.path("cp.txt")).ok();
    let md = env.run(&["dossier", "P-404"]).ok();
    assert!(md.contains("**Verdict:** ABSENT"), "{md}");
    assert!(md.contains("No item at this cut."), "{md}");
}

/// The HTML dossier as a reader holds it: printed by a real browser, its
/// text read back from the PDF.
#[test]
fn the_html_dossier_prints_every_item_in_a_real_browser() {
    let r = rich();
    let page = r.env.path("p1.html");
    r.env
        .run(&["dossier", "P-1", "--format", "html", "--out", s(&page)])
        .ok();
    let j = parse(&r.env.run(&["--json", "dossier", "P-1"]).ok());
    let printed = custody_testkit::browser::printed_text(&page);
    // Lines wrap where the printer wraps them: compare without whitespace.
    let flat: String = printed.split_whitespace().collect();
    let has = |needle: &str| {
        let n: String = needle.split_whitespace().collect();
        flat.contains(&n)
    };
    for item in j["items"].as_array().unwrap() {
        let title = item["content"]["title"].as_str().unwrap();
        let hash = &item["entry_hash"].as_str().unwrap()[..16];
        assert!(
            has(&format!("{}. {title}", item["number"])),
            "item {} missing:\n{printed}",
            item["number"]
        );
        assert!(has(hash), "hash {hash} missing:\n{printed}");
    }
    for needle in [
        "Ivan Petrenko",
        "A123456",
        "36th marine brigade",
        "surrendered wounded with his unit",
        "Taganrog SIZO-2",
        "RETRACTED by item 7",
        "REPLACED by item 8",
        "DISPUTED by item 9",
        "role when signing: investigator",
        "surrender footage",
        ATTACHMENT,
        "custody verify --bundle BUNDLE.json --authority",
        &authority_pub(&r.env),
        j["bundle_sha256"].as_str().unwrap(),
        "Timeline",
        "7 days after capture",
        "Glossary",
    ] {
        assert!(
            has(needle),
            "{needle:?} is not on the printed page:\n{printed}"
        );
    }
    // Nothing outside the file is referenced: no URL, no resource.
    let dom = custody_testkit::browser::dom(&page);
    for reference in [
        "http:", "https:", "src=", "href=", "url(", "@import", "<link", "<script", "<img",
        "<iframe", "<object",
    ] {
        assert!(!dom.contains(reference), "{reference} in the parsed page");
    }
    assert!(dom.contains("<svg"), "no timeline in the parsed page");
    assert!(dom.contains("Content-Security-Policy") && dom.contains("default-src 'none'"));
}

/// Hostile text stays text once a browser has parsed the page.
#[test]
fn hostile_text_makes_no_element_in_a_real_browser() {
    let env = Env::new(CUSTODY);
    env.append_ok(&jsonl(&[json!({"type":"capture","person":"P-9","occurred_at":"2022","place":IMG,"notes":SCRIPT,"circumstances":STYLE})]));
    env.checkpoint(&env.path("cp.txt")).ok();
    for lang in ["en", "uk"] {
        let page = env.path(&format!("p9.{lang}.html"));
        env.run(&[
            "dossier",
            "P-9",
            "--format",
            "html",
            "--lang",
            lang,
            "--out",
            s(&page),
        ])
        .ok();
        let dom = custody_testkit::browser::dom(&page);
        for element in ["<script", "<img", "<b>styled"] {
            assert!(
                !dom.contains(element),
                "{lang}: {element} became an element:\n{dom}"
            );
        }
        assert!(
            dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{lang}: {dom}"
        );
    }
}

/// The demo ends with the prosecutor's dossier, made from the bundle alone.
#[test]
fn the_demo_keeps_a_printable_dossier() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("demo");
    let out = custody(&["demo", "--keep", s(&kept)], None).ok();
    assert!(
        out.contains("dossier of P-0001: 6 items, status released"),
        "{out}"
    );
    let html = std::fs::read_to_string(kept.join("P-0001.dossier.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Chain-of-custody dossier: P-0001"));
    assert!(html.contains("matches the key given with --authority"));
}

/// A dossier from the store shows what its latest checkpoint proves: when
/// entries about the person came after it (a release, a retraction), it is
/// refused rather than silently leaving them out under a COMPLETE verdict.
/// And the legal clock of a bundle stops at its seal, not at the reading.
#[test]
fn a_dossier_never_leaves_out_what_came_after_its_checkpoint() {
    let env = Env::new(CUSTODY);
    env.append_ok(r#"{"type":"capture","person":"P-1","occurred_at":"2023-08-01"}"#);
    env.checkpoint(&env.path("cp1.txt")).ok();
    let bundle = env.path("p1.json");
    env.run(&["export", "--person", "P-1", "--out", s(&bundle)])
        .ok();
    env.append_ok(
        r#"{"type":"release","person":"P-1","occurred_at":"2024-05-31","kind":"exchange"}"#,
    );
    env.run(&["dossier", "P-1"]).fails(
        1,
        &["recorded after the latest checkpoint", "custody checkpoint"],
    );
    // Another person's later entries do not stand in the way.
    env.append_ok(r#"{"type":"capture","person":"Q-7","occurred_at":"2023-08-01"}"#);
    env.checkpoint(&env.path("cp2.txt")).ok();
    env.append_ok(r#"{"type":"capture","person":"Q-8","occurred_at":"2023-08-01"}"#);
    let md = env.run(&["dossier", "P-1"]).ok();
    assert!(md.contains("released"), "{md}");
    // The old bundle's clock runs to its seal (today, in this test), and
    // says so, rather than to whatever day the dossier is read.
    let j = parse(&env.run(&["--json", "dossier", "--bundle", s(&bundle)]).ok());
    let counted = j["legal_clock"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == "Counted to")
        .expect("the clock says where it stops");
    let today = counted["value"].as_str().unwrap().to_string();
    // Read five years on, the same bundle counts to the same moment: it
    // knows nothing of those years.
    let later = CUSTODY.run_env(
        &["--json", "dossier", "--bundle", s(&bundle)],
        None,
        &[("CUSTODY_TEST_CLOCK", "2031-12-01T00:00:00Z")],
    );
    let later = parse(&later.ok());
    let days = |j: &Value| j["status"]["days_unacknowledged"].clone();
    assert!(days(&j)["min"].as_i64().unwrap() > 365, "{}", j["status"]);
    assert_eq!(days(&later), days(&j), "the clock ran past the seal");
    let counted_later = later["legal_clock"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == "Counted to")
        .unwrap()["value"]
        .clone();
    assert_eq!(counted_later, Value::from(today));
}

/// A key revoked after the bundle's checkpoint still holds the authority
/// role in the bundle's governance; with the ledger at hand, it may not
/// sign a dossier.
#[test]
fn a_revoked_authority_cannot_sign_a_dossier_when_the_ledger_knows() {
    let env = Env::new(CUSTODY);
    env.append_ok(r#"{"type":"capture","person":"P-1","occurred_at":"2023-08-01"}"#);
    let second = env.path("auth2.pem");
    let public = custody(&["key", "generate", "--out", s(&second)], None).ok();
    let public = public.lines().next().unwrap().trim().to_string();
    env.run(&[
        "key",
        "grant",
        "--authority-key",
        s(&env.authority),
        "--role",
        "authority",
        "--holder",
        "Second authority",
        "--public-key",
        &public,
    ])
    .ok();
    env.checkpoint(&env.path("cp.txt")).ok();
    let bundle = env.path("p1.json");
    env.run(&["export", "--person", "P-1", "--out", s(&bundle)])
        .ok();
    env.run(&[
        "key",
        "revoke",
        "--authority-key",
        s(&env.authority),
        "--public-key",
        &public,
        "--reason",
        "laptop stolen",
    ])
    .ok();
    let out = env.path("d.md");
    env.run(&[
        "dossier",
        "--bundle",
        s(&bundle),
        "--out",
        s(&out),
        "--sign-key",
        s(&second),
    ])
    .fails(1, &["no longer holds the authority role", "laptop stolen"]);
    assert!(!out.exists(), "nothing written");
}

/// Headings of the English dossier: none may be left in a Ukrainian one.
const ENGLISH_HEADINGS: [&str; 24] = [
    "Chain-of-custody dossier",
    "Summary",
    "Status and legal clock",
    "Flags",
    "Disputes",
    "Timeline",
    "Evidence about",
    "Keys and governance",
    "What was verified",
    "How to verify it yourself",
    "Glossary",
    "Time cut",
    "Check the authority key",
    "Verdict",
    "Occurred",
    "Signed by",
    "Entry hash",
    "Recorded",
    "Counted to",
    "Notification delay",
    "RETRACTED by",
    "REPLACED by",
    "DISPUTED by",
    "role when signing",
];

/// P-1 of [`rich`] and two people whose notification delays are 21 and
/// 22 days (1 день and 2 дні forms, where P-1's 399 takes днів).
fn rich_with_short_delays() -> Rich {
    let r = rich();
    r.env.append_ok(&jsonl(&[
        json!({"type":"capture","person":"P-21","occurred_at":"2022-05-01","place":"Kherson"}),
        json!({"type":"icrc_notification","person":"P-21","occurred_at":"2022-05-22"}),
        json!({"type":"capture","person":"P-22","occurred_at":"2022-05-01","place":"Kherson"}),
        json!({"type":"icrc_notification","person":"P-22","occurred_at":"2022-05-23"}),
    ]));
    r.env.checkpoint(&r.env.path("cp2.txt")).ok();
    r
}

#[test]
fn a_ukrainian_dossier_says_everything_in_ukrainian_but_the_evidence() {
    let r = rich_with_short_delays();
    let md = r.env.run(&["dossier", "P-1", "--lang", "uk"]).ok();
    let page = r.env.path("p1.uk.html");
    r.env
        .run(&[
            "dossier",
            "P-1",
            "--format",
            "html",
            "--lang",
            "uk",
            "--out",
            s(&page),
        ])
        .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<html lang=\"uk\">"), "{html}");
    for heading in [
        "# Досьє ланцюга зберігання доказів: P-1",
        "## Підсумок",
        "## Статус і правовий відлік строків",
        "### Позначки",
        "### Оскарження",
        "## Хронологія",
        "## Докази щодо P-1 (9 позицій)",
        "## Ключі та управління",
        "## Що перевірено і як",
        "## Як перевірити самостійно",
        "## Глосарій",
    ] {
        assert!(
            md.contains(&format!("{heading}\n")),
            "{heading:?} missing:\n{md}"
        );
        let text = heading.trim_start_matches('#').trim();
        assert!(html.contains(text), "{text:?} missing from the HTML");
    }
    for words in [
        // The verdict, the status, the flags and what they mean in law.
        "**Висновок:** ПОВНИЙ \\(COMPLETE\\)",
        "утримується, визнано",
        "Повідомлення прострочено \\(notification\\_overdue\\)",
        "III Женевська конвенція, ст. 70",
        "Оскаржується \\(disputed\\)",
        // The clock's day count in its plural form.
        "**Затримка повідомлення:** 399 днів",
        // Marks on the items.
        "ВІДКЛИКАНО позицією 7",
        "ЗАМІНЕНО позицією 8",
        "ОСКАРЖЕНО позицією 9",
        "роль під час підписання: investigator",
        "з точністю до місяця",
        // The vocabulary in words, beside its enum value.
        "**Категорія:** військовослужбовець \\(military\\)",
        "Міжнародний комітет Червоного Хреста \\(МКЧХ; ICRC\\)",
    ] {
        assert!(md.contains(words), "{words:?} missing:\n{md}");
    }
    // The evidence exactly as investigators typed it.
    for evidence in [
        "Ivan Petrenko",
        "A123456",
        "36th marine brigade",
        "surrendered wounded with his unit",
        "Taganrog SIZO-2",
        "misidentified: another prisoner",
        "the notification names another man",
        "CTA-UA-77",
        "2022-05-17",
    ] {
        assert!(md.contains(evidence), "{evidence:?} changed:\n{md}");
    }
    // No English heading or label is left.
    for english in ENGLISH_HEADINGS {
        assert!(
            !md.contains(english),
            "{english:?} left in the Markdown:\n{md}"
        );
        assert!(!html.contains(english), "{english:?} left in the HTML");
    }
    // From the bundle alone, unpinned, at a time cut: the banner and the
    // cut's words are Ukrainian too.
    let bundle = bundle_file(&r.env);
    let cut = custody(
        &[
            "dossier",
            "--bundle",
            s(&bundle),
            "--as-of",
            "2023-01",
            "--lang",
            "uk",
        ],
        None,
    )
    .ok();
    for words in [
        "> **Перевірте ключ уповноваженого органу:** `",
        "> **Зріз у часі:** це досьє показує стан справ на 2023-01-31",
        "; на зазначений вище зріз у часі з них показано 6",
    ] {
        assert!(cut.contains(words), "{words:?} missing:\n{cut}");
    }
    for english in ENGLISH_HEADINGS {
        assert!(
            !cut.contains(english),
            "{english:?} left in the Markdown:\n{cut}"
        );
    }
    // 21 день, 22 дні: the other forms, from the same catalog.
    for (person, days) in [("P-21", "21 день"), ("P-22", "22 дні")] {
        let md = r.env.run(&["dossier", person, "--lang", "uk"]).ok();
        assert!(
            md.contains(&format!("**Затримка повідомлення:** {days} — ")),
            "{person}: {days:?} missing:\n{md}"
        );
    }
}

/// In JSON only the words change: every key and every enum value is the
/// same in both languages, and so is the evidence.
#[test]
fn a_ukrainian_json_dossier_translates_words_not_keys_or_values() {
    let r = rich();
    let en = parse(&r.env.run(&["dossier", "P-1", "--format", "json"]).ok());
    let uk = parse(
        &r.env
            .run(&["dossier", "P-1", "--format", "json", "--lang", "uk"])
            .ok(),
    );
    fn keys(v: &Value, path: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, v) in o {
                    let p = format!("{path}.{k}");
                    out.push(p.clone());
                    // A vocabulary value's words are there only where they
                    // differ from the value (in Ukrainian).
                    if k != "value_words" {
                        keys(v, &p, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| keys(v, &format!("{path}[]"), out)),
            _ => {}
        }
    }
    let (mut ke, mut ku) = (Vec::new(), Vec::new());
    keys(&en, "", &mut ke);
    keys(&uk, "", &mut ku);
    ku.retain(|k| !k.ends_with(".value_words"));
    assert_eq!(ke, ku, "the keys differ");
    assert_eq!(en["lang"], "en");
    assert_eq!(uk["lang"], "uk");
    for pointer in [
        "/verdict",
        "/status/status",
        "/flags/0/flag",
        "/items/0/content/kind",
        "/items/0/content/precision",
        "/items/2/corrected_by/action",
        "/legal_clock/0/fact",
        "/timeline/0/kind",
        "/items/0/entry_hash",
        "/items/0/content/fields/0/value",
        "/items/8/disputed_by",
        "/items/4/disputed_by/0/reason",
    ] {
        assert_eq!(
            en.pointer(pointer),
            uk.pointer(pointer),
            "{pointer} differs"
        );
    }
    for pointer in [
        "/verdict_words",
        "/status_words",
        "/flags/0/meaning",
        "/items/0/content/title",
        "/items/0/content/fields/0/label",
        "/legal_clock/0/label",
        "/glossary/0/meaning",
        "/summary/0",
    ] {
        assert_ne!(
            en.pointer(pointer),
            uk.pointer(pointer),
            "{pointer} untranslated"
        );
    }
    assert!(uk["verdict_words"]
        .as_str()
        .unwrap()
        .starts_with("ПОВНИЙ (COMPLETE)"));
    let category = uk["items"][0]["content"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "category")
        .unwrap()
        .clone();
    assert_eq!(category["value"], "military", "{category}");
    assert_eq!(category["value_words"], "військовослужбовець", "{category}");
}

#[test]
fn an_unknown_language_is_refused_naming_the_known_ones() {
    let r = rich();
    let err = r
        .env
        .run(&["dossier", "P-1", "--lang", "xx"])
        .fails(2, &["--lang", "xx", "en", "uk"]);
    assert!(!err.contains("Chain-of-custody"), "{err}");
}

/// The Ukrainian page as a reader holds it: Cyrillic printed by a real
/// browser (a font with Cyrillic is there), the timeline's text included.
#[test]
fn the_ukrainian_html_dossier_prints_in_cyrillic_in_a_real_browser() {
    let r = rich();
    let page = r.env.path("p1.uk.html");
    r.env
        .run(&[
            "dossier",
            "P-1",
            "--format",
            "html",
            "--lang",
            "uk",
            "--out",
            s(&page),
        ])
        .ok();
    let printed = custody_testkit::browser::printed_text(&page);
    let flat: String = printed.split_whitespace().collect();
    let has = |needle: &str| {
        let n: String = needle.split_whitespace().collect();
        flat.contains(&n)
    };
    for needle in [
        "Досьє ланцюга зберігання доказів: P-1",
        "Статус і правовий відлік строків",
        "ПОВНИЙ (COMPLETE)",
        "399 днів",
        "ВІДКЛИКАНО позицією 7",
        "Повідомлення прострочено (notification_overdue)",
        "Хронологія",
        // The SVG timeline's own text.
        "7 днів після полонення",
        "Глосарій",
        "Ivan Petrenko",
        "surrendered wounded with his unit",
    ] {
        assert!(
            has(needle),
            "{needle:?} is not on the printed page:\n{printed}"
        );
    }
}
