//! End-to-end tests of `custody restore`: an export turned back into a
//! store is indistinguishable from the one it came from, and an export
//! that does not verify, or a target that cannot take a ledger, is refused
//! with nothing left behind.

use crate::util::{self, custody, custody_env, custody_on, s, Env, ALL_TYPES, CUSTODY};
use base64::Engine;
use std::path::{Path, PathBuf};

/// A ledger with every event type, a retraction and a replacement, a key
/// granted, used and revoked, a checkpoint, and evidence after it; its
/// export and checkpoint. 17 entries:
///
/// | seq | entry |
/// |---|---|
/// | 0, 1 | genesis, investigator granted |
/// | 2–8 | the seven evidence types (3 is the capture at Mariupol) |
/// | 9, 10 | a retraction of 4, a replacement of 3 |
/// | 11–13 | a second investigator granted, appending, revoked |
/// | 14, 15 | a checkpoint: its seal, then the checkpoint entry (size 15) |
/// | 16 | a sighting |
struct Fixture {
    env: Env,
    export: PathBuf,
    checkpoint: PathBuf,
}

fn fixture() -> Fixture {
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(ALL_TYPES);
    let (capture, sighting) = (&acks[1].1, &acks[2].1);
    env.append_ok(&format!(
        "{{\"type\":\"correction\",\"target\":\"{sighting}\",\"reason\":\"misidentified person\"}}\n\
         {{\"type\":\"correction\",\"target\":\"{capture}\",\"reason\":\"date was wrong\",\"replacement\":{{\"type\":\"capture\",\"person\":\"P-0001\",\"occurred_at\":\"2022-05-16\",\"place\":\"Mariupol\"}}}}\n"
    ));
    let second = env.path("second.pem");
    let second_pub = custody(&["key", "generate", "--out", s(&second)], None)
        .ok()
        .trim()
        .to_string();
    env.grant_investigator("Second team", &second_pub).ok();
    env.run_in(
        &["append", "--key", s(&second)],
        r#"{"type":"sighting","person":"P-0004","occurred_at":"2023-11","source":"video"}"#,
    )
    .ok();
    env.revoke(&second_pub, "device lost").ok();
    let checkpoint = env.path("cp.txt");
    env.checkpoint(&checkpoint).ok();
    env.append_ok(
        r#"{"type":"sighting","person":"P-0003","occurred_at":"2024-01","source":"telegram"}"#,
    );
    let export = env.path("ledger.jsonl");
    env.run(&["export", "--out", s(&export)]).ok();
    assert_eq!(
        lines(&export).len(),
        17,
        "a checkpoint is two entries: the seal, then the checkpoint"
    );
    Fixture {
        env,
        export,
        checkpoint,
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// `custody --store DIR ARGS`.
fn at(dir: &Path, args: &[&str]) -> util::Run {
    custody_on(dir, args, None)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).expect("JSON")
}

#[test]
fn a_restored_store_is_indistinguishable_from_the_original() {
    let f = fixture();
    let original = &f.env.store;
    let restored = f.env.path("restored");
    // Chunks of 4: corrections, the revocation and the checkpoint fall in
    // other commits than their targets and keys.
    let out = at(
        &restored,
        &["restore", "--from", s(&f.export), "--chunk", "4"],
    )
    .ok();
    let verified = f.env.verify_ok();
    let head = verified["head_hash"].as_str().unwrap();
    assert_eq!(
        out,
        format!(
            "restored 17 entries of \"test.ledger\" into {}: head seq 16 {head}\n",
            restored.display()
        )
    );

    // Every entry's bytes, seq and hash: the export is byte-identical.
    let again = f.env.path("again.jsonl");
    at(&restored, &["export", "--out", s(&again)]).ok();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&f.export).unwrap()
    );
    // The chain verifies to the same head.
    let v = json(&at(&restored, &["--json", "verify"]).ok());
    assert_eq!(v["valid"], true);
    assert_eq!(v["head_hash"], verified["head_hash"]);
    assert_eq!(v["length"], 17);
    // Projections, the person index, the key registry: what every reading
    // command shows is the same.
    for args in [
        vec!["--json", "status"],
        vec!["--json", "status", "P-0001"],
        vec!["status", "P-0001", "--as-of", "2023-01"],
        vec!["history", "P-0001"],
        vec!["--json", "history", "P-0001"],
        vec!["--json", "history", "P-0004"],
        vec!["--json", "log"],
        vec!["key", "list"],
        vec!["--json", "report"],
    ] {
        let a = at(original, &args).ok();
        assert!(!a.trim().is_empty(), "{args:?}");
        assert_eq!(at(&restored, &args).ok(), a, "{args:?}");
    }
    // The dossier too, but for when it was made and from which directory.
    let dossier = |store: &Path| {
        let mut d = json(&at(store, &["dossier", "P-0001", "--format", "json"]).ok());
        let o = d.as_object_mut().unwrap();
        o.remove("generated_at").unwrap();
        o.remove("bundle_source").unwrap();
        d
    };
    assert_eq!(dossier(&restored), dossier(original));
    // The Merkle nodes: the checkpoint recorded before the restore holds,
    // and proofs are the same.
    at(&restored, &["verify", "--checkpoint", s(&f.checkpoint)]).ok();
    for seq in ["0", "3", "13"] {
        let args = ["prove", "--seq", seq, "--checkpoint", s(&f.checkpoint)];
        assert_eq!(at(&restored, &args).ok(), at(original, &args).ok());
    }

    // It is a ledger to use: appends go on from the head and verify; the
    // revoked key stays revoked.
    let out = custody(
        &[
            "--store",
            s(&restored),
            "append",
            "--key",
            s(&f.env.investigator),
            "-",
        ],
        Some(r#"{"type":"release","person":"P-0004","occurred_at":"2024-06","kind":"exchange"}"#),
    )
    .ok();
    assert!(out.starts_with("17 "), "{out}");
    custody(
        &[
            "--store",
            s(&restored),
            "append",
            "--key",
            s(&f.env.path("second.pem")),
            "-",
        ],
        Some(r#"{"type":"sighting","person":"P-0004","occurred_at":"2024-01","source":"tv"}"#),
    )
    .fails(1, &["was revoked at seq 13"]);
    let v = json(&at(&restored, &["--json", "verify"]).ok());
    assert_eq!(v["valid"], true);
    assert_eq!(v["length"], 18);
    at(&restored, &["verify", "--checkpoint", s(&f.checkpoint)]).ok();
}

#[test]
fn json_output_is_one_object_and_the_store_can_come_from_the_environment() {
    let f = fixture();
    // An empty directory is a valid target, given by CUSTODY_STORE.
    let target = f.env.path("empty");
    std::fs::create_dir(&target).unwrap();
    let run = custody_env(
        &["--json", "restore", "--from", s(&f.export)],
        None,
        &[("CUSTODY_STORE", s(&target))],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "nothing but the JSON with --json");
    let v = json(&run.stdout);
    assert_eq!(run.stdout.lines().count(), 1);
    let verified = f.env.verify_ok();
    assert_eq!(v["restored"], 17);
    assert_eq!(v["head_seq"], 16);
    assert_eq!(v["head_hash"], verified["head_hash"]);
    assert_eq!(v["ledger_name"], "test.ledger");
    assert_eq!(v["store"], s(&target));
    assert_eq!(at(&target, &["export"]).ok(), f.env.snapshot());
}

/// What a directory holds (names and contents), or `None` if it is absent.
fn contents(dir: &Path) -> Option<Vec<(String, Vec<u8>)>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = if e.file_type().unwrap().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (name, bytes)
        })
        .collect();
    out.sort();
    Some(out)
}

/// Runs a restore of `export` into `target` that must be refused with
/// `code` and a message holding every needle, and leave `target` as it
/// was: absent if it was, and without a store in any case.
fn refused(export: &Path, target: &Path, code: i32, needles: &[&str]) -> String {
    let before = contents(target);
    let err = at(target, &["restore", "--from", s(export), "--chunk", "3"]).fails(code, needles);
    assert!(err.contains("nothing was restored"), "{err}");
    assert_eq!(contents(target), before, "{err}");
    err
}

/// Writes `lines` as an export file named `name`.
fn write_export(f: &Fixture, name: &str, lines: &[String], newline_at_end: bool) -> PathBuf {
    let path = f.env.path(name);
    let mut text = lines.join("\n");
    if newline_at_end {
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_export_that_does_not_verify_is_refused_and_nothing_is_created() {
    let f = fixture();
    let good = lines(&f.export);

    // One bit flipped in the stored bytes of entry 3 (line 4): in the
    // commitment to the capture's place (format v3: the bytes hold a
    // commitment, the place is disclosed beside them). It still decodes;
    // its signature no longer verifies.
    let mut flipped = good.clone();
    let mut line: serde_json::Value = serde_json::from_str(&flipped[3]).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut bytes = b64.decode(line["entry"].as_str().unwrap()).unwrap();
    let place = line["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| custody_format::commit::Disclosure::from_json(d).unwrap())
        .find(|d| d.slot.field_name() == Some("place"))
        .expect("the capture's place is disclosed");
    let at_place = bytes
        .windows(32)
        .position(|w| w == place.commitment().0)
        .expect("the commitment is in the bytes");
    bytes[at_place] ^= 1;
    line["entry"] = b64.encode(&bytes).into();
    flipped[3] = line.to_string();
    let flipped = write_export(&f, "flipped.jsonl", &flipped, true);

    // Line 6 (entry 5) missing.
    let mut missing = good.clone();
    missing.remove(5);
    let missing = write_export(&f, "missing.jsonl", &missing, true);

    // Lines 6 and 7 swapped.
    let mut swapped = good.clone();
    swapped.swap(5, 6);
    let swapped = write_export(&f, "swapped.jsonl", &swapped, true);

    // The last line cut in the middle (a copy interrupted).
    let mut truncated = good.clone();
    let last = truncated.pop().unwrap();
    truncated.push(last[..last.len() / 2].to_string());
    let truncated = write_export(&f, "truncated.jsonl", &truncated, false);

    let cases: [(&Path, &[&str]); 4] = [
        (&flipped, &["flipped.jsonl", "line 4", "seq 3", "signature"]),
        (&missing, &["missing.jsonl", "line 6", "seq 5", "sequence"]),
        (&swapped, &["swapped.jsonl", "line 6", "seq 5", "sequence"]),
        (
            &truncated,
            &["truncated.jsonl", "line 17", "not a JSON object"],
        ),
    ];
    for (export, needles) in cases {
        // The verifier says the same.
        custody(&["verify", "--export", s(export)], None).fails(1, &needles[1..]);
        // A target that does not exist is not created...
        let target = f.env.path("target");
        let err = refused(export, &target, 1, needles);
        assert!(err.contains("target was not created"), "{err}");
        // ... and an empty one is left empty.
        let empty = f.env.path("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let err = refused(export, &empty, 1, needles);
        assert!(err.contains("empty was left as it was"), "{err}");
    }

    // A person's bundle holds only part of a ledger.
    let bundle = f.env.path("p1.json");
    f.env
        .run(&["export", "--person", "P-0001", "--out", s(&bundle)])
        .ok();
    refused(&bundle, &f.env.path("target"), 1, &["person's bundle"]);
}

#[test]
fn a_target_that_is_not_new_or_empty_is_refused_and_left_alone() {
    let f = fixture();
    // A directory with something in it.
    let full = f.env.path("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("notes.txt"), "keep me").unwrap();
    refused(&f.export, &full, 2, &["full", "is not empty"]);
    assert_eq!(
        std::fs::read_to_string(full.join("notes.txt")).unwrap(),
        "keep me"
    );
    // An existing ledger (the original itself): untouched, still valid.
    let before = f.env.snapshot();
    refused(&f.export, &f.env.store, 2, &["already holds a ledger"]);
    assert_eq!(f.env.snapshot(), before);
    assert_eq!(f.env.verify_ok()["length"], 17);
}

/// An export cut at a line boundary is a valid, shorter chain: only a
/// checkpoint tells. With `--checkpoint`, restore refuses an export that
/// does not extend it (cut short, or signed by someone else's authority),
/// before anything is written, and says so; one that does is restored and
/// the line says which checkpoint it extends.
#[test]
fn a_checkpoint_refuses_an_export_cut_short() {
    let f = fixture();
    let all = lines(&f.export);
    // The checkpoint (entry 15) vouches for entries 0..14 (its seal is 14).
    let cut = write_export(&f, "cut.jsonl", &all[..12], true);
    let target = f.env.path("cut-restored");
    at(&target, &["restore", "--from", s(&cut)]).ok();
    assert_eq!(
        json(&at(&target, &["--json", "verify"]).ok())["length"],
        12,
        "without a checkpoint, a cut export restores as a shorter ledger"
    );

    let target = f.env.path("refused");
    let err = at(
        &target,
        &[
            "restore",
            "--from",
            s(&cut),
            "--checkpoint",
            s(&f.checkpoint),
        ],
    )
    .fails(
        1,
        &["TRUNCATED OR ROLLED BACK", "vouches for 15", "holds 12"],
    );
    assert!(err.contains("nothing was restored"), "{err}");
    assert!(
        !target.exists(),
        "a refused restore created {}",
        target.display()
    );

    // Exactly the checkpoint's entries, and the whole export, extend it.
    for (name, n) in [("prefix.jsonl", 15), ("whole.jsonl", 17)] {
        let export = write_export(&f, name, &all[..n], true);
        let target = f.env.path(&format!("restored-{n}"));
        let out = at(
            &target,
            &[
                "--json",
                "restore",
                "--from",
                s(&export),
                "--checkpoint",
                s(&f.checkpoint),
            ],
        )
        .ok();
        let out = json(&out);
        assert_eq!(out["restored"], n);
        assert!(
            out["checkpoint"]
                .as_str()
                .unwrap()
                .contains("extends the checkpoint of 15 entries"),
            "{out}"
        );
    }

    // A checkpoint of another ledger with the same name, signed by its own
    // authority, is not this ledger's.
    let other = fixture();
    let target = f.env.path("other");
    at(
        &target,
        &[
            "restore",
            "--from",
            s(&f.export),
            "--checkpoint",
            s(&other.checkpoint),
        ],
    )
    .fails(
        1,
        &["does not extend the checkpoint", "nothing was restored"],
    );
    assert!(!target.exists());

    // A fork: another chain under the same name and authority key, long
    // enough, whose first 15 entries are not the ones the checkpoint signed.
    let fork = f.env.path("fork");
    let on_fork = |args: &[&str], input: Option<&str>| custody_on(&fork, args, input);
    f.env.init_fork(&fork);
    for _ in 0..2 {
        on_fork(
            &["append", "--key", s(&f.env.investigator)],
            Some(ALL_TYPES),
        )
        .ok();
    }
    let forked = f.env.path("fork.jsonl");
    on_fork(&["export", "--out", s(&forked)], None).ok();
    let target = f.env.path("forked-restored");
    at(
        &target,
        &[
            "restore",
            "--from",
            s(&forked),
            "--checkpoint",
            s(&f.checkpoint),
        ],
    )
    .fails(
        1,
        &[
            "REWRITTEN OR FORKED",
            "first 15 entries",
            "nothing was restored",
        ],
    );
    assert!(!target.exists());
}
