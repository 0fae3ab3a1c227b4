//! `custody redact` (format v3, docs/design/format-v3.md §5 and §8): an
//! authority erases personal fields; the chain still verifies (store and
//! export), the export carries no disclosure for them, and `history`,
//! `status` and the dossier say "redacted" with the seq and the reason.
//! Every refusal exits 1 and leaves the ledger exactly as it was.

use crate::util::{custody, s, Env, CUSTODY};
use serde_json::{json, Value};

/// Values that occur nowhere else, so finding one anywhere is a leak.
const NAME: &str = "Zyxwvut Qwertyson";
const LAST_SEEN: &str = "Plxmqrt Village";
const PLACE: &str = "Vrkzhnovka Colony";
const NOTES: &str = "last call from the steelworks";
const REASON: &str = "erasure request of 2026-11-02";

fn jsonl(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

fn parse(out: &str) -> Value {
    serde_json::from_str(out.trim()).expect("JSON")
}

/// A ledger with a missing report and a capture of P-1, and a missing
/// report of P-2; returns the `(seq, hash)` of each.
fn ledger() -> (Env, Vec<(u64, String)>) {
    let env = Env::new(CUSTODY);
    let appended = env.append_ok(&jsonl(&[
        json!({"type":"missing_report","person":"P-1","occurred_at":"2022-05-10","category":"military",
               "last_seen_place":LAST_SEEN,"name":NAME,"service_number":"A123456","notes":NOTES}),
        json!({"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":PLACE,
               "notes":"filmed by the captors",
               "attachments":[{"sha256":"ab".repeat(32),"media_type":"video/mp4","description":"surrender footage"}]}),
        json!({"type":"missing_report","person":"P-2","occurred_at":"2022-04","category":"civilian",
               "name":"Other Person","last_seen_place":"Melitopol"}),
    ]));
    (env, appended)
}

fn redact(env: &Env, args: &[&str]) -> crate::util::Run {
    let mut all = vec!["redact", "--key", s(&env.authority)];
    all.extend_from_slice(args);
    env.run(&all)
}

/// The export line of entry `seq`.
fn export_line(export: &str, seq: u64) -> Value {
    export
        .lines()
        .map(parse)
        .find(|l| l["seq"] == seq)
        .expect("the entry's line")
}

/// The fields an export line discloses.
fn disclosed_fields(line: &Value) -> Vec<String> {
    line["disclosures"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_redacted_name_and_place_are_gone_and_everything_still_verifies_and_says_so() {
    let (env, e) = ledger();
    let (report, capture) = (&e[0], &e[1]);
    let out = redact(
        &env,
        &[
            "--entry",
            &report.1,
            "--field",
            "name,last_seen_place",
            "--reason",
            REASON,
        ],
    );
    assert!(
        out.stderr.contains("custody compact") && out.stderr.contains("backup"),
        "{}",
        out.stderr
    );
    let stdout = out.ok();
    let first = stdout.lines().next().unwrap();
    let (seq, hash) = first.split_once(' ').unwrap();
    let at: u64 = seq.parse().unwrap();
    assert_eq!(hash.len(), 64, "{stdout}");
    assert!(
        stdout.contains("erased 2 fields of 1 entry about P-1"),
        "{stdout}"
    );
    // The capture's place, named by a 16-digit prefix, with --json.
    let out = parse(
        &redact(
            &env,
            &[
                "--json",
                "--entry",
                &capture.1[..16],
                "--field",
                "place",
                "--reason",
                "witness at risk",
            ],
        )
        .ok(),
    );
    assert_eq!(out["slots_erased"], 1, "{out}");
    let at2 = out["redactions"][0]["seq"].as_u64().unwrap();
    assert_eq!(at2, at + 1);

    env.verify_ok();
    let export = env.snapshot();
    for value in [NAME, LAST_SEEN, PLACE] {
        assert!(!export.contains(value), "the export still holds {value:?}");
    }
    // What was not erased is still there.
    assert!(export.contains(NOTES) && export.contains("A123456"));
    let fields = disclosed_fields(&export_line(&export, report.0));
    assert!(
        fields.contains(&"notes".to_string()) && !fields.contains(&"name".to_string()),
        "{fields:?}"
    );
    assert!(!fields.contains(&"last_seen_place".to_string()));
    assert!(!disclosed_fields(&export_line(&export, capture.0)).contains(&"place".to_string()));

    // The export verifies, reports the fields redacted, and passes
    // --all-disclosed: redacted is not withheld.
    let file = env.path("after.jsonl");
    std::fs::write(&file, &export).unwrap();
    let out = custody(&["verify", "--export", s(&file)], None).ok();
    assert!(
        out.contains(&format!(
            "seq {}: last_seen_place redacted at seq {at}, name redacted at seq {at}",
            report.0
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("seq {}: place redacted at seq {at2}", capture.0)),
        "{out}"
    );
    custody(&["verify", "--export", s(&file), "--all-disclosed"], None).ok();

    // history says when, by whom and why.
    let history = env.run(&["history", "P-1"]).ok();
    assert!(
        history.contains(&format!("name: (redacted at seq {at} by ")),
        "{history}"
    );
    assert!(history.contains(&format!("{REASON})")), "{history}");
    assert!(
        history.contains(&format!("place: (redacted at seq {at2} by ")),
        "{history}"
    );
    assert!(
        !history.contains(NAME) && history.contains(NOTES),
        "{history}"
    );
    let h = parse(&env.run(&["--json", "history", "P-1"]).ok());
    let row = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seq"] == report.0)
        .unwrap();
    assert_eq!(row["redacted"][0]["seq"], at, "{row}");
    assert_eq!(row["redacted"][0]["reason"], REASON, "{row}");

    // status: the name is redacted, not merely missing.
    let st = env.run(&["status", "P-1"]).ok();
    let name_row = st.lines().find(|l| l.starts_with("  name ")).unwrap();
    assert!(
        name_row.contains(&format!("(redacted at seq {at} by ")) && name_row.contains(REASON),
        "{st}"
    );
    let st = parse(&env.run(&["--json", "status", "P-1"]).ok());
    assert_eq!(st["committed"]["name"]["seq"], report.0, "{st}");
    assert_eq!(st["redacted"]["name"]["seq"], at, "{st}");
    let list = env.run(&["status"]).ok();
    let p1 = list.lines().find(|l| l.starts_with("P-1 ")).unwrap();
    assert!(p1.ends_with("(redacted)"), "{list}");

    dossier_says_redacted(&env, report.0, at);
}

/// The dossier, from a bundle that carries the redaction at seq `at`, says
/// that the name of entry `seq` was redacted, by whom and why, in English
/// and in Ukrainian.
fn dossier_says_redacted(env: &Env, seq: u64, at: u64) {
    // The dossier, from a bundle that carries the redactions.
    env.checkpoint(&env.path("cp.txt")).ok();
    let d = parse(&env.run(&["dossier", "P-1", "--format", "json"]).ok());
    let item = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["seq"] == seq)
        .unwrap();
    let name = item["content"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "name")
        .unwrap();
    assert_eq!(name["redacted"]["by_seq"], at, "{name}");
    assert_eq!(name["redacted"]["reason"], REASON, "{name}");
    let md = env.run(&["dossier", "P-1"]).ok();
    assert!(
        // (Markdown escapes the parentheses.)
        md.contains(&format!("redacted at seq {at} by ")) && md.contains(REASON),
        "{md}"
    );
    assert!(!md.contains(NAME), "{md}");
    let uk = env.run(&["dossier", "P-1", "--lang", "uk"]).ok();
    assert!(uk.contains(&format!("вилучено записом seq {at}")), "{uk}");
}

#[test]
fn person_erases_every_committed_field_of_their_entries() {
    let (env, e) = ledger();
    // A correction of the capture, with a replacement: its fields are the
    // person's too.
    let correction = env.append_ok(&jsonl(&[json!({
        "type":"correction","target":e[1].1,"reason":"the place was misread",
        "replacement":{"type":"capture","person":"P-1","occurred_at":"2022-05-18","place":"Replacement Place"}
    })]))[0]
        .0;
    let before = env.snapshot();
    // Every committed field of P-1's entries, counted from the export:
    // 4 + 3 + 2 (the correction's reason and its replacement's place).
    let committed: usize = [e[0].0, e[1].0, correction]
        .iter()
        .map(|seq| disclosed_fields(&export_line(&before, *seq)).len())
        .sum();
    assert_eq!(committed, 9);

    // One field erased already: --person erases the rest, skipping it.
    redact(
        &env,
        &["--entry", &e[0].1, "--field", "notes", "--reason", REASON],
    )
    .ok();
    let before = env.snapshot();
    let plan = parse(
        &redact(
            &env,
            &["--json", "--person", "P-1", "--reason", REASON, "--dry-run"],
        )
        .ok(),
    );
    let committed = committed - 1;
    assert_eq!(plan["slots"], committed as u64, "{plan}");
    assert_eq!(plan["redactions"], 1, "{plan}");
    assert_eq!(env.snapshot(), before, "a dry run writes nothing");

    let out = parse(&redact(&env, &["--json", "--person", "P-1", "--reason", REASON]).ok());
    assert_eq!(out["slots_erased"], committed as u64, "{out}");
    env.verify_ok();
    let after = env.snapshot();
    for value in [
        NAME,
        LAST_SEEN,
        PLACE,
        NOTES,
        "Replacement Place",
        "surrender footage",
    ] {
        assert!(!after.contains(value), "{value:?} is still in the export");
    }
    // P-2 is untouched.
    assert!(after.contains("Other Person"));
    // The status lists the name and the place as committed, unresolved,
    // and says they are redacted.
    let st = parse(&env.run(&["--json", "status", "P-1"]).ok());
    assert!(st["name"].is_null(), "{st}");
    assert!(st["committed"]["name"].is_object(), "{st}");
    assert!(st["redacted"]["name"].is_object(), "{st}");
    let place_key = ["last_known_place.place", "last_seen.place"]
        .into_iter()
        .find(|k| st["committed"][k].is_object())
        .expect("a committed place");
    assert!(st["redacted"][place_key].is_object(), "{st}");
    // Every field reads as redacted, none as withheld: the event's, an
    // attachment's description, a correction's reason and its
    // replacement's place alike (slots are matched by part and index).
    let history = env.run(&["history", "P-1"]).ok();
    assert!(!history.contains("(withheld)"), "{history}");
    assert_eq!(
        history.matches("(redacted at seq ").count(),
        committed + 1,
        "{history}"
    );
    let words = history.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("— (redacted at seq "), "{history}");
    assert!(
        words.contains("[replaced by seq ") && !words.contains(": ]"),
        "a redacted reason is said, not left blank: {history}"
    );
    env.checkpoint(&env.path("cp.txt")).ok();
    let dossier = env.run(&["dossier", "P-1", "--format", "json"]).ok();
    assert!(!dossier.contains("(withheld)"), "{dossier}");
    assert!(dossier.contains("\"description_redacted\""), "{dossier}");
    // Nothing is left: a second run refuses.
    let after = env.snapshot();
    redact(&env, &["--person", "P-1", "--reason", REASON]).fails(1, &["nothing to erase"]);
    assert_eq!(env.snapshot(), after);
}

/// What was signed and proven before a redaction stays valid after it: a
/// checkpoint taken before is extended by the chain, and a prosecutor's
/// bundle taken before (with the value) still verifies; the bundle taken
/// after carries the redaction and no disclosure of the value.
#[test]
fn earlier_checkpoints_and_bundles_still_verify_after_a_redaction() {
    let (env, e) = ledger();
    let before = env.path("before.txt");
    env.checkpoint(&before).ok();
    let old_bundle = env.path("old.json");
    env.run(&["export", "--person", "P-1", "--out", s(&old_bundle)])
        .ok();
    assert!(std::fs::read_to_string(&old_bundle).unwrap().contains(NAME));
    // The dry run's text names the fields, never a value.
    let plan = redact(
        &env,
        &[
            "--entry",
            &e[0].1,
            "--field",
            "name",
            "--reason",
            REASON,
            "--dry-run",
        ],
    )
    .ok();
    assert!(
        plan.contains(": name\n") && plan.contains("nothing was written"),
        "{plan}"
    );
    assert!(!plan.contains(NAME), "{plan}");
    redact(
        &env,
        &["--entry", &e[0].1, "--field", "name", "--reason", REASON],
    )
    .ok();
    env.run(&["verify", "--checkpoint", s(&before)]).ok();
    custody(&["verify", "--bundle", s(&old_bundle)], None).ok();
    env.checkpoint(&env.path("after.txt")).ok();
    let new_bundle = env.path("new.json");
    env.run(&["export", "--person", "P-1", "--out", s(&new_bundle)])
        .ok();
    let text = std::fs::read_to_string(&new_bundle).unwrap();
    assert!(
        !text.contains(NAME) && text.contains("\"redaction\""),
        "{text}"
    );
    custody(&["verify", "--bundle", s(&new_bundle)], None).ok();
}

/// A redaction names at most 1,024 entries: a person with more gets
/// several, in one atomic commit.
#[test]
fn a_person_with_more_than_1024_entries_gets_several_redactions() {
    let env = Env::new(CUSTODY);
    let records: Vec<Value> = (0..1030)
        .map(|i| {
            json!({"type":"sighting","person":"P-3","occurred_at":"2023-01-01",
                   "source":"video","place":format!("Place number {i}")})
        })
        .collect();
    env.append_ok(&jsonl(&records));
    let out = parse(&redact(&env, &["--json", "--person", "P-3", "--reason", REASON]).ok());
    assert_eq!(out["slots_erased"], 1030, "{out}");
    assert_eq!(out["entries"], 1030, "{out}");
    let redactions = out["redactions"].as_array().unwrap();
    assert_eq!(redactions.len(), 2, "{out}");
    assert_eq!(
        redactions[1]["seq"],
        redactions[0]["seq"].as_u64().unwrap() + 1
    );
    env.verify_ok();
    assert!(!env.snapshot().contains("Place number"));
}

#[test]
fn every_refusal_exits_1_and_leaves_the_ledger_as_it_was() {
    let (env, e) = ledger();
    let report = &e[0].1;
    let capture = &e[1].1;
    redact(
        &env,
        &["--entry", report, "--field", "name", "--reason", REASON],
    )
    .ok();
    let at = e[2].0 + 1;
    let before = env.snapshot();
    let already = format!("already redacted at seq {at}");
    let refusals: Vec<(Vec<&str>, Vec<&str>)> = vec![
        // A field the capture does not have, and one the report left out.
        (
            vec!["--entry", capture, "--field", "service_number"],
            vec!["service_number", "is not a field of this entry"],
        ),
        (
            vec!["--entry", report, "--field", "date_of_birth"],
            vec!["date_of_birth", "holds no value"],
        ),
        (
            vec!["--entry", capture, "--field", "description[1]"],
            vec!["attachments[1].description", "is not a field of this entry"],
        ),
        // Already redacted: at which seq.
        (vec!["--entry", report, "--field", "name"], vec![&already]),
        // No such entry.
        (
            vec!["--entry", "0123456789abcdef", "--field", "name"],
            vec!["no entry's hash starts with"],
        ),
        // No such person.
        (vec!["--person", "P-404"], vec!["no such person"]),
    ];
    for (args, needles) in refusals {
        let mut all = args.clone();
        all.extend(["--reason", REASON]);
        redact(&env, &all).fails(1, &needles);
        assert_eq!(env.snapshot(), before, "{args:?} changed the ledger");
    }
    // A reason that repeats an erased value (in another case): refused,
    // naming the field, never the value.
    let err = redact(
        &env,
        &[
            "--entry",
            capture,
            "--field",
            "place",
            "--reason",
            &format!("remove {} now", PLACE.to_uppercase()),
        ],
    )
    .fails(1, &["--reason contains the value of place of entry"]);
    assert!(
        !err.contains(PLACE) && !err.to_lowercase().contains(&PLACE.to_lowercase()),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
    // A key without authority: the rules refuse it, the message says why.
    let out = env.run(&[
        "redact",
        "--key",
        s(&env.investigator),
        "--entry",
        capture,
        "--field",
        "place",
        "--reason",
        REASON,
    ]);
    out.fails(1, &["authority", "nothing was erased"]);
    assert_eq!(env.snapshot(), before);
    // A blank reason and an unknown field are usage errors (exit 2).
    redact(
        &env,
        &["--entry", capture, "--field", "place", "--reason", "  "],
    )
    .fails(2, &["--reason"]);
    redact(
        &env,
        &[
            "--entry",
            capture,
            "--field",
            "shoe_size",
            "--reason",
            REASON,
        ],
    )
    .fails(2, &["not a personal field"]);
    assert_eq!(env.snapshot(), before);
}

/// A version 2 ledger, restored into a store and continued in version 3:
/// its v2 entries' personal data is in their signed bytes, and `redact`
/// says so rather than pretend.
#[test]
fn a_version_2_entry_is_refused_with_the_reason() {
    use custody_format::event::Role;
    use custody_format::wire::export::ExportLine;
    use custody_testkit::chain::ChainBuilder;
    use custody_testkit::keys::{authority, investigator};
    let dir = tempfile::tempdir().unwrap();
    let mut chain = ChainBuilder::new("test.v2");
    chain.grant(&investigator(), Role::Investigator, "Field team");
    let event = custody_ledger::input::event_from_value(json!({
        "type":"missing_report","person":"P-9","occurred_at":"2022-05-10","category":"civilian","name":NAME
    }))
    .unwrap();
    let old = chain.push(event, &investigator());
    let export: String = chain
        .signed
        .iter()
        .map(|e| ExportLine::of(e).to_line() + "\n")
        .collect();
    let file = dir.path().join("v2.jsonl");
    std::fs::write(&file, export).unwrap();
    let store = dir.path().join("store");
    custody(&["restore", "--from", s(&file), "--store", s(&store)], None).ok();
    let key = dir.path().join("authority.pem");
    custody_ledger::keyfile::write_signing_key(&key, &authority()).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--store", s(&store), "redact", "--key", s(&key)];
        all.extend_from_slice(args);
        custody(&all, None)
    };
    let before = custody(&["--store", s(&store), "export"], None).ok();
    run(&[
        "--entry",
        &old.hash().to_hex(),
        "--field",
        "name",
        "--reason",
        REASON,
    ])
    .fails(
        1,
        &[
            "version 2 entry",
            "in its signed bytes and cannot be erased",
            "format-v3.md §9",
        ],
    );
    run(&["--person", "P-9", "--reason", REASON]).fails(1, &["nothing to erase", "§9"]);
    assert_eq!(
        custody(&["--store", s(&store), "export"], None).ok(),
        before
    );
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Design §8: after a redaction and `custody compact`, no byte of an
/// erased value remains in the store file.
#[test]
fn no_byte_of_an_erased_value_is_left_in_the_store_file_after_compact() {
    let (env, e) = ledger();
    redact(
        &env,
        &[
            "--entry",
            &e[0].1,
            "--field",
            "name,last_seen_place",
            "--reason",
            REASON,
        ],
    )
    .ok();
    // The last redaction compacts as it goes (--compact).
    let out = redact(
        &env,
        &[
            "--entry",
            &e[1].1,
            "--field",
            "place",
            "--reason",
            REASON,
            "--compact",
        ],
    )
    .ok();
    assert!(out.contains("compacted "), "{out}");
    let bytes = std::fs::read(env.store.join("custody.redb")).unwrap();
    // The search can find a value: one that was not erased is there.
    assert!(contains(&bytes, NOTES.as_bytes()));
    for value in [NAME, LAST_SEEN, PLACE] {
        assert!(
            !contains(&bytes, value.as_bytes()),
            "{value:?} is still in custody.redb after compact"
        );
    }
}

/// `--person` erases what is that person's: a correction that moved
/// evidence to another person keeps the other person's replacement.
#[test]
fn erasing_a_person_leaves_another_persons_evidence_in_a_shared_correction() {
    let env = Env::new(CUSTODY);
    let first = env.append_ok(
        r#"{"type":"missing_report","person":"UA-0001","occurred_at":"2023-05","category":"civilian","name":"Anna Ferenc"}
"#,
    );
    env.append_ok(&format!(
        "{{\"type\":\"correction\",\"target\":\"{}\",\"reason\":\"another woman\",\"replacement\":{{\"type\":\"missing_report\",\"person\":\"UA-0002\",\"occurred_at\":\"2023-05\",\"category\":\"civilian\",\"name\":\"Bohdana Lys\"}}}}\n",
        first[0].1
    ));
    redact(
        &env,
        &["--person", "UA-0001", "--reason", "erasure request"],
    )
    .ok();
    let other = env.run(&["--json", "status", "UA-0002"]).ok();
    let other: Value = serde_json::from_str(other.trim()).unwrap();
    assert_eq!(other["name"], "Bohdana Lys", "{other}");
    env.verify_ok();
}

const ANNA: &str = "Anna Ferenc";
const BOHDANA: &str = "Bohdana Lys";
/// The shared correction's reason: it names the other woman, as a reason
/// may.
const SHARED_REASON: &str = "the woman seen was Bohdana, not Anna";

/// UA-0001's missing report and capture, and a correction of the report
/// that moves it to UA-0002: the correction is in both persons' streams,
/// and UA-0002's bundle carries the report as its target. Returns the
/// store, the report's and the correction's `(seq, hash)`.
fn shared_correction() -> (Env, (u64, String), (u64, String)) {
    let env = Env::new(CUSTODY);
    let first = env.append_ok(&jsonl(&[
        json!({"type":"missing_report","person":"UA-0001","occurred_at":"2023-05","category":"civilian","name":ANNA}),
        json!({"type":"capture","person":"UA-0001","occurred_at":"2023-06","place":PLACE}),
    ]));
    let correction = env.append_ok(&jsonl(&[json!({
        "type":"correction","target":first[0].1,"reason":SHARED_REASON,
        "replacement":{"type":"missing_report","person":"UA-0002","occurred_at":"2023-05","category":"civilian","name":BOHDANA}
    })]));
    (env, first[0].clone(), correction[0].clone())
}

/// `verify --json --bundle` of `person`'s bundle, exported after a new
/// checkpoint (with `--all-disclosed` if `all`): the verdict of each
/// committed slot, as `(seq, "part:field", state)`.
fn bundle_slots(env: &Env, person: &str, all: bool) -> Vec<(u64, String, String)> {
    env.checkpoint(&env.path(&format!("cp-{person}.txt"))).ok();
    let bundle = env.path(&format!("{person}.json"));
    let _ = std::fs::remove_file(&bundle);
    env.run(&["export", "--person", person, "--out", s(&bundle)])
        .ok();
    let mut args = vec!["--json", "verify", "--bundle", s(&bundle)];
    if all {
        args.push("--all-disclosed");
    }
    let out = parse(&custody(&args, None).ok());
    out["disclosures"]["entries"]
        .as_array()
        .expect("disclosures")
        .iter()
        .flat_map(|e| {
            let seq = e["seq"].as_u64().unwrap();
            e["slots"].as_array().unwrap().iter().map(move |sl| {
                (
                    seq,
                    format!("{}:{}", sl["part"], sl["field"].as_str().unwrap()),
                    sl["state"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect()
}

/// Issue 15, 1: erasing UA-0001 erases the reason of the correction that
/// moved their report to UA-0002 (and the report's name). UA-0002's court
/// bundle carries that correction and that report, so it carries the
/// redaction too (it is in UA-0001's stream): `--all-disclosed` passes and
/// the slots read redacted, not withheld. `redact` wrote the shared
/// entries' redaction apart from the capture's, which UA-0002's bundle does
/// not carry.
#[test]
fn the_other_persons_bundle_carries_the_redaction_of_a_shared_correction() {
    let (env, report, correction) = shared_correction();
    let out = parse(&redact(&env, &["--json", "--person", "UA-0001", "--reason", REASON]).ok());
    assert_eq!(
        out["redactions"].as_array().unwrap().len(),
        2,
        "the capture apart from the shared entries: {out}"
    );
    let slots = bundle_slots(&env, "UA-0002", true);
    let state = |seq: u64, field: &str| {
        slots
            .iter()
            .find(|(s, f, _)| *s == seq && f == field)
            .map(|(_, _, st)| st.as_str())
            .unwrap_or_else(|| panic!("{seq} {field}: {slots:?}"))
    };
    assert_eq!(state(correction.0, "0:reason"), "redacted", "{slots:?}");
    assert_eq!(state(report.0, "0:name"), "redacted", "{slots:?}");
    // The replacement is UA-0002's: disclosed, not erased.
    assert_eq!(state(correction.0, "1:name"), "disclosed", "{slots:?}");
    another_persons_redaction_is_admitted_only_whole(&env);
    // UA-0001's own bundle still verifies.
    bundle_slots(&env, "UA-0001", false);
    env.verify_ok();
}

/// What a forger can do with the redaction of another person's stream
/// that a bundle may carry (FORMAT.md §14.14, step 8): take its inclusion
/// proof away (refused: nothing else names it), or carry a redaction of
/// theirs whose target is not in the bundle, with a good proof (refused,
/// rule `redaction`: a bundle's redaction names only its items).
/// Leaving it out is not refused (it is not completeness-proven): the
/// slot then reads withheld, never disclosed.
fn another_persons_redaction_is_admitted_only_whole(env: &Env) {
    let ours = env.path("UA-0002.json");
    let theirs = env.path("UA-0001-same-tree.json");
    env.run(&["export", "--person", "UA-0001", "--out", s(&theirs)])
        .ok();
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let is_redaction = |item: &Value| item["view"]["event"]["type"] == "redaction";
    let bundle = read(&ours);
    let entries = bundle["entries"].as_array().unwrap();
    let foreign = entries
        .iter()
        .position(|e| is_redaction(e) && e["view"]["event"]["person"] == "UA-0001")
        .expect("UA-0002's bundle carries UA-0001's redaction");
    let verify = |name: &str, doc: &Value| {
        let path = env.path(name);
        std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
        custody(&["--json", "verify", "--bundle", s(&path)], None)
    };
    // 1. Its proof taken away.
    let mut cut = bundle.clone();
    cut["entries"][foreign]["inclusion_proof"] = Value::Null;
    let out = verify("no-proof.json", &cut);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("unauthenticated"), "{}", out.stdout);
    // 2. UA-0001's other redaction (of their capture, which UA-0002's
    // bundle does not carry), proven against the same tree.
    let other = read(&theirs)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| is_redaction(e) && !entries.iter().any(|o| o["seq"] == e["seq"]))
        .cloned()
        .expect("UA-0001's bundle carries the capture's redaction");
    // In UA-0001's bundle it needs no proof (their stream's links name
    // it); here it gets one, against the bundles' checkpoint.
    let mut other = other;
    let seq = other["seq"].as_u64().unwrap().to_string();
    let cp = env.path("cp-UA-0002.txt");
    let proof = parse(
        &env.run(&["--json", "prove", "--seq", &seq, "--checkpoint", s(&cp)])
            .ok(),
    );
    other["inclusion_proof"] = proof["audit_path"].clone();
    assert!(other["inclusion_proof"].is_array(), "{proof}");
    let mut padded = bundle.clone();
    let list = padded["entries"].as_array_mut().unwrap();
    list.push(other);
    list.sort_by_key(|e| e["seq"].as_u64().unwrap());
    let out = verify("padded.json", &padded);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("\"rule\":\"redaction\""),
        "{}",
        out.stdout
    );
    // 3. Left out: still COMPLETE, the slot withheld (not disclosed).
    let mut dropped = bundle.clone();
    dropped["entries"].as_array_mut().unwrap().remove(foreign);
    let out = verify("dropped.json", &dropped);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("\"withheld\""), "{}", out.stdout);
}

/// Issue 15, 1: a correction's replacement's field is the replacement's
/// person's, so its redaction is in their stream (the correction is too);
/// both persons' bundles carry it, and read the slot redacted.
#[test]
fn erasing_a_replacements_field_is_recorded_in_the_replacements_persons_stream() {
    let (env, _, correction) = shared_correction();
    let out = parse(
        &redact(
            &env,
            &[
                "--json",
                "--entry",
                &correction.1,
                "--field",
                "replacement.name",
                "--reason",
                REASON,
            ],
        )
        .ok(),
    );
    let at = out["redactions"][0]["seq"].as_u64().unwrap();
    let line = export_line(&env.snapshot(), at);
    assert_eq!(
        line["view"]["event"]["person"], "UA-0002",
        "the redaction is UA-0002's: {line}"
    );
    let history = env.run(&["--json", "history", "UA-0002"]).ok();
    assert!(
        history.contains(&format!("\"seq\":{at}")),
        "UA-0002's history lists the redaction: {history}"
    );
    for person in ["UA-0002", "UA-0001"] {
        let slots = bundle_slots(&env, person, false);
        assert!(
            slots.contains(&(correction.0, "1:name".into(), "redacted".into())),
            "{person}: {slots:?}"
        );
    }
    env.verify_ok();
}

/// Issue 15, 2: erasing UA-0002 erases the reason of the correction that
/// moved evidence to them (it concerns both, and here names them), as
/// erasing UA-0001 would, but leaves UA-0001's report as it is; after
/// compact no byte of the reason is in the store file.
#[test]
fn erasing_either_person_of_a_shared_correction_erases_its_reason() {
    let (env, report, correction) = shared_correction();
    redact(
        &env,
        &["--person", "UA-0002", "--reason", REASON, "--compact"],
    )
    .ok();
    let after = env.snapshot();
    let fields = disclosed_fields(&export_line(&after, correction.0));
    assert!(fields.is_empty(), "{fields:?}");
    assert_eq!(
        disclosed_fields(&export_line(&after, report.0)),
        ["name"],
        "UA-0001's report is not UA-0002's to erase"
    );
    let bytes = std::fs::read(env.store.join("custody.redb")).unwrap();
    assert!(contains(&bytes, ANNA.as_bytes()));
    for gone in [SHARED_REASON, BOHDANA] {
        assert!(
            !contains(&bytes, gone.as_bytes()),
            "{gone:?} is in the store file"
        );
    }
    // UA-0001's bundle carries the correction and its redaction.
    let slots = bundle_slots(&env, "UA-0001", false);
    assert!(
        slots.contains(&(correction.0, "0:reason".into(), "redacted".into())),
        "{slots:?}"
    );
    env.verify_ok();
}

/// Issue 15, 4: a reason that repeats an erased value is refused however
/// it is spelled: other case and spacing, decomposed Unicode (NFD), a
/// date of birth as people write it. The message names the field, never
/// the value; nothing is written.
#[test]
fn a_reason_repeating_an_erased_value_in_another_spelling_is_refused() {
    let env = Env::new(CUSTODY);
    let name = "Андрій Йосипенко";
    let e = env.append_ok(&jsonl(&[json!({
        "type":"missing_report","person":"UA-0003","occurred_at":"2023-05","category":"civilian",
        "name":name,"date_of_birth":"1985-03-02"
    })]));
    let before = env.snapshot();
    let nfd: String = {
        use unicode_normalization::UnicodeNormalization;
        name.nfd().collect()
    };
    assert_ne!(nfd, name);
    for (reason, field) in [
        ("request of АНДРІЙ   йосипенко".to_string(), "name"),
        (format!("request of {nfd}"), "name"),
        ("born 2 March 1985".to_string(), "date_of_birth"),
        ("born 02.03.1985".to_string(), "date_of_birth"),
        ("born 2 березня 1985 р.".to_string(), "date_of_birth"),
    ] {
        let out = redact(
            &env,
            &[
                "--entry",
                &e[0].1,
                "--field",
                "name,date_of_birth",
                "--reason",
                &reason,
            ],
        );
        let text = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(out.code, 1, "{reason}: {text}");
        assert!(text.contains(field), "{reason}: {text}");
        assert!(
            !text.contains("Йосипенко") && !text.contains("1985"),
            "{text}"
        );
        assert_eq!(env.snapshot(), before, "{reason}");
    }
    redact(
        &env,
        &[
            "--entry",
            &e[0].1,
            "--field",
            "name,date_of_birth",
            "--reason",
            REASON,
        ],
    )
    .ok();
}

/// Issue 15, 6: a statement handed in again after a redaction of one of
/// its fields does not bring the erased value back (its line carries the
/// disclosure again): after compact the value is nowhere in the store
/// file, and the store verifies with the slot redacted.
#[test]
fn a_statement_handed_in_again_does_not_bring_back_an_erased_witness() {
    use crate::statements::{new_key, registrar, sign};
    let env = Env::new(CUSTODY);
    let witness = "Ostap Vyshyvanyi, cell 4";
    let (olha, olha_pub) = new_key(&env, "olha");
    env.grant_investigator("Olha", &olha_pub).ok();
    let (office, _) = registrar(&env, "office");
    let file = sign(
        &env,
        &olha,
        "olha",
        &format!(
            "{}\n",
            json!({"type":"sighting","person":"UA-0101","occurred_at":"2022-09","source":"returned_pow",
                   "place":"Olenivka","witnesses":witness})
        ),
    );
    let register = || env.run(&["append", "--signed", "--key", s(&office), s(&file)]);
    let first = register().ok();
    let hash = first
        .split_whitespace()
        .find(|w| w.len() == 64)
        .expect("the entry's hash")
        .to_string();
    redact(
        &env,
        &["--entry", &hash, "--field", "witnesses", "--reason", REASON],
    )
    .ok();
    // Handed in again: the same entry; its line's disclosure of the
    // witness is not taken back in.
    assert_eq!(register().ok(), first);
    env.run(&["compact"]).ok();
    let bytes = std::fs::read(env.store.join("custody.redb")).unwrap();
    assert!(contains(&bytes, b"Olenivka"), "the search can find a value");
    assert!(
        !contains(&bytes, witness.as_bytes()),
        "the erased witness is back in custody.redb"
    );
    env.verify_ok();
    let export = env.path("after.jsonl");
    env.run(&["export", "--out", s(&export)]).ok();
    assert!(!std::fs::read_to_string(&export).unwrap().contains(witness));
    let out = custody(
        &[
            "--json",
            "verify",
            "--export",
            s(&export),
            "--all-disclosed",
        ],
        None,
    )
    .ok();
    let report = parse(&out);
    let witnesses: Vec<&Value> = report["disclosures"]["entries"]
        .as_array()
        .expect("disclosures")
        .iter()
        .flat_map(|e| e["slots"].as_array().unwrap())
        .filter(|sl| sl["field"] == "witnesses")
        .collect();
    assert_eq!(witnesses.len(), 1, "{report}");
    assert_eq!(witnesses[0]["state"], "redacted", "{report}");
    let history = env.run(&["history", "UA-0101"]).ok();
    assert!(history.contains("(redacted at seq "), "{history}");
}
