//! Export profiles (design docs/design/format-v3.md §7, issue 15): which
//! personal data a bundle or an export carries. `family` leaves out the
//! witness and narrative classes, `public` every value, `court` nothing;
//! `--disclose`/`--withhold` adjust them. Each cut still verifies, reports
//! the fields it withholds, and the dossier shows them as withheld. The
//! files are searched byte by byte for the values that must not be there.

use crate::util::{custody, custody_on, s, Env, CUSTODY};
use std::path::{Path, PathBuf};

pub(crate) const NAME: &str = "Olena Marchuk";
pub(crate) const BIRTH: &str = "1987-04-12";
pub(crate) const LAST_SEEN: &str = "Vodiane checkpoint";
pub(crate) const PLACE: &str = "Olenivka colony";
pub(crate) const NOTES: &str = "Seen at the gate before dawn";
pub(crate) const WITNESS: &str = "Petro Hrytsenko, returnee";
pub(crate) const DESCRIPTION: &str = "Photo of the gate from the road";

/// A store in which P-1 has a missing report (name, date of birth, last
/// seen place) and a capture (place, notes, witnesses, an attachment's
/// description), then a checkpoint; and the capture's seq.
pub(crate) fn store_with_capture() -> (Env, u64) {
    let env = Env::new(CUSTODY);
    let appended = env.append_ok(&format!(
        r#"{{"type":"missing_report","person":"P-1","occurred_at":"2024-02-20","category":"civilian","name":"{NAME}","date_of_birth":"{BIRTH}","last_seen_place":"{LAST_SEEN}"}}
{{"type":"capture","person":"P-1","occurred_at":"2024-03-01","place":"{PLACE}","notes":"{NOTES}","witnesses":"{WITNESS}","attachments":[{{"sha256":"{}","media_type":"image/jpeg","description":"{DESCRIPTION}"}}]}}
"#,
        "ab".repeat(32)
    ));
    env.checkpoint(&env.path("cp.txt")).ok();
    (env, appended[1].0)
}

fn store() -> Env {
    store_with_capture().0
}

/// Runs `export ARGS --out NAME` on `env`'s store; the file and stderr.
fn export(env: &Env, name: &str, args: &[&str]) -> (PathBuf, String) {
    let out = env.path(name);
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", s(&out)]);
    let run = env.run(&all);
    let stderr = run.stderr.clone();
    run.ok();
    (out, stderr)
}

/// Whether the file holds `value`'s bytes.
fn holds(file: &Path, value: &str) -> bool {
    let bytes = std::fs::read(file).unwrap();
    bytes.windows(value.len()).any(|w| w == value.as_bytes())
}

/// Asserts that `file` holds exactly the values of `present` and none of
/// the others.
fn assert_holds(file: &Path, present: &[&str]) {
    for v in [NAME, BIRTH, LAST_SEEN, PLACE, NOTES, WITNESS, DESCRIPTION] {
        assert_eq!(
            holds(file, v),
            present.contains(&v),
            "{}: {v:?} {}",
            file.display(),
            if present.contains(&v) {
                "is missing"
            } else {
                "must not be there"
            }
        );
    }
}

#[test]
fn a_family_bundle_leaves_out_witnesses_and_free_text_and_still_verifies() {
    let env = store();
    let (family, stderr) = export(
        &env,
        "family.json",
        &["--person", "P-1", "--profile", "family"],
    );
    assert!(
        stderr.contains("profile family: 4 disclosure(s) carried, 3 withheld"),
        "{stderr}"
    );
    assert_holds(&family, &[NAME, BIRTH, LAST_SEEN, PLACE]);
    let out = custody(&["verify", "--bundle", s(&family)], None).ok();
    assert!(out.starts_with("COMPLETE"), "{out}");
    assert!(out.contains("4 disclosed, 3 withheld, 0 redacted"), "{out}");
    for slot in [
        "notes withheld",
        "witnesses withheld",
        "attachments[0].description withheld",
    ] {
        assert!(out.contains(slot), "{slot}: {out}");
    }
    custody(&["verify", "--bundle", s(&family), "--all-disclosed"], None).fails(1, &["withheld"]);

    // The dossier of the family bundle: the name, and the notes withheld,
    // in English and in Ukrainian, in Markdown and in HTML.
    let md = custody(&["dossier", "--bundle", s(&family)], None).ok();
    assert!(md.contains(NAME) && md.contains(PLACE), "{md}");
    // Markdown escapes the parentheses; rendered, it reads "(withheld)".
    assert!(md.contains("**Notes:** \\(withheld\\)"), "{md}");
    assert!(md.contains("**Witnesses:** \\(withheld\\)"), "{md}");
    assert!(!md.contains(NOTES) && !md.contains(WITNESS), "{md}");
    let uk = custody(&["dossier", "--bundle", s(&family), "--lang", "uk"], None).ok();
    assert!(uk.contains(NAME), "{uk}");
    assert!(
        uk.contains("\\(приховано\\)") && !uk.contains("withheld"),
        "{uk}"
    );
    let html = custody(
        &["dossier", "--bundle", s(&family), "--format", "html"],
        None,
    )
    .ok();
    assert!(html.contains(NAME), "{html}");
    assert!(html.contains("(withheld)"), "{html}");
    assert!(
        !html.contains(WITNESS) && !html.contains(DESCRIPTION),
        "{html}"
    );
}

#[test]
fn court_carries_everything_and_public_nothing() {
    let env = store();
    let (court, stderr) = export(
        &env,
        "court.json",
        &["--person", "P-1", "--profile", "court"],
    );
    assert!(!stderr.contains("withheld"), "{stderr}");
    assert_holds(
        &court,
        &[NAME, BIRTH, LAST_SEEN, PLACE, NOTES, WITNESS, DESCRIPTION],
    );
    // The default is court: the same bytes.
    let (default, _) = export(&env, "default.json", &["--person", "P-1"]);
    assert_eq!(
        std::fs::read(&court).unwrap(),
        std::fs::read(&default).unwrap()
    );
    let out = custody(&["verify", "--bundle", s(&court), "--all-disclosed"], None).ok();
    assert!(out.contains("7 disclosed, 0 withheld"), "{out}");

    let (public, _) = export(
        &env,
        "public.json",
        &["--person", "P-1", "--profile", "public"],
    );
    assert_holds(&public, &[]);
    let out = custody(&["verify", "--bundle", s(&public)], None).ok();
    assert!(out.contains("0 disclosed, 7 withheld"), "{out}");

    // The whole ledger, as a public mirror exports it: no value, and it
    // verifies; court's carries every value.
    let (all_public, stderr) = export(&env, "all-public.jsonl", &["--profile", "public"]);
    assert!(
        stderr.contains("0 disclosure(s) carried, 7 withheld"),
        "{stderr}"
    );
    assert_holds(&all_public, &[]);
    let out = custody(&["verify", "--export", s(&all_public)], None).ok();
    assert!(out.starts_with("VALID"), "{out}");
    let (all_court, _) = export(&env, "all-court.jsonl", &[]);
    assert_holds(
        &all_court,
        &[NAME, BIRTH, LAST_SEEN, PLACE, NOTES, WITNESS, DESCRIPTION],
    );
    custody(
        &["verify", "--export", s(&all_court), "--all-disclosed"],
        None,
    )
    .ok();
}

#[test]
fn disclose_and_withhold_adjust_a_profile() {
    let (env, capture) = store_with_capture();
    let p = ["--person", "P-1", "--profile", "family"];
    let (more, _) = export(
        &env,
        "notes.json",
        &[&p[..], &["--disclose", "notes"]].concat(),
    );
    assert_holds(&more, &[NAME, BIRTH, LAST_SEEN, PLACE, NOTES]);
    let (less, _) = export(
        &env,
        "noplace.json",
        &[&p[..], &["--withhold", "place"]].concat(),
    );
    assert_holds(&less, &[NAME, BIRTH, LAST_SEEN]);
    // `class:place` is the class: the last seen place goes too.
    let (class, _) = export(
        &env,
        "noplaces.json",
        &[&p[..], &["--withhold", "class:place"]].concat(),
    );
    assert_holds(&class, &[NAME, BIRTH]);
    // One reviewed field of one entry: the capture's notes, not its
    // witnesses.
    let reviewed = format!("{capture}:notes");
    let (one, _) = export(
        &env,
        "one.json",
        &[&p[..], &["--disclose", &reviewed]].concat(),
    );
    assert_holds(&one, &[NAME, BIRTH, LAST_SEEN, PLACE, NOTES]);
    // A court bundle without the witness class.
    let (court, _) = export(
        &env,
        "court-nowitness.json",
        &["--person", "P-1", "--withhold", "witness"],
    );
    assert_holds(&court, &[NAME, BIRTH, LAST_SEEN, PLACE, NOTES, DESCRIPTION]);
    for f in [&more, &less, &class, &one, &court] {
        custody(&["verify", "--bundle", s(f)], None).ok();
    }

    // A SEQ:FIELD naming nothing is refused, and no file is written.
    let bad = env.path("bad.json");
    let no_name = format!("{capture}:name");
    for spec in [no_name.as_str(), "99:notes"] {
        env.run(&[
            "export",
            "--person",
            "P-1",
            "--disclose",
            spec,
            "--out",
            s(&bad),
        ])
        .fails(1, &[spec, "no entry of the bundle"]);
        assert!(!bad.exists());
    }
    env.run(&["export", "--withhold", "99:notes", "--out", s(&bad)])
        .fails(1, &["99:notes", "no entry of the ledger"]);
    assert!(!bad.exists());
    // A SPEC that names no field or class: a usage error that lists them.
    env.run(&["export", "--person", "P-1", "--withhold", "witnes"])
        .fails(2, &["\"witnes\" names nothing", "witnesses", "narrative"]);
}

/// A format 2 ledger carries personal data in its signed bytes: a family
/// export cannot withhold it, and says so.
#[test]
fn a_profile_over_format_2_entries_warns_that_they_carry_cleartext() {
    use custody_format::event::Role;
    use custody_format::wire::export::ExportLine;
    use custody_testkit::chain::ChainBuilder;
    use custody_testkit::events::{capture, sighting};
    use custody_testkit::keys::investigator;

    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new("v2-ledger");
    b.grant(&investigator(), Role::Investigator, "I");
    b.push(capture("P-1"), &investigator());
    b.push(sighting("P-1"), &investigator());
    b.checkpoint();
    let lines: String = b
        .signed
        .iter()
        .map(|e| ExportLine::of(e).to_line() + "\n")
        .collect();
    let export = dir.path().join("v2.jsonl");
    std::fs::write(&export, lines).unwrap();
    let store = dir.path().join("store");
    custody_on(&store, &["restore", "--from", s(&export)], None).ok();

    let family = dir.path().join("family.json");
    let run = custody_on(
        &store,
        &[
            "export",
            "--person",
            "P-1",
            "--profile",
            "family",
            "--out",
            s(&family),
        ],
        None,
    );
    // The capture's place is in the family profile; a sighting has no
    // personal field: nothing to warn about.
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    run.ok();
    let public = dir.path().join("public.json");
    let run = custody_on(
        &store,
        &[
            "export",
            "--person",
            "P-1",
            "--profile",
            "public",
            "--out",
            s(&public),
        ],
        None,
    );
    assert!(
        run.stderr.contains(
            "warning: 1 entry is format 1 or 2: its personal data is in its signed bytes"
        ),
        "{}",
        run.stderr
    );
    run.ok();
    // It does carry the place in clear: the warning is true.
    assert!(holds(&public, "Mariupol"));
    let run = custody_on(&store, &["export", "--profile", "public"], None);
    assert!(
        run.stderr.contains("warning: 1 entry is format 1 or 2"),
        "{}",
        run.stderr
    );
    run.ok();
    let run = custody_on(&store, &["export", "--person", "P-1"], None);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    run.ok();
}

/// A bundle carries the targets of its person's corrections and the
/// corrections that moved evidence between persons; the other person's
/// personal data does not ride along, whatever the profile (a
/// misidentification must not hand one family the other's name).
#[test]
fn a_bundle_carries_no_other_persons_personal_data() {
    let env = Env::new(CUSTODY);
    let first = env.append_ok(
        r#"{"type":"missing_report","person":"UA-0001","occurred_at":"2023-05","category":"civilian","name":"Anna Ferenc"}
"#,
    );
    env.append_ok(&format!(
        "{{\"type\":\"correction\",\"target\":\"{}\",\"reason\":\"another woman\",\"replacement\":{{\"type\":\"missing_report\",\"person\":\"UA-0002\",\"occurred_at\":\"2023-05\",\"category\":\"civilian\",\"name\":\"Bohdana Lys\"}}}}\n",
        first[0].1
    ));
    env.checkpoint(&env.path("cp.txt")).ok();
    let (b, _) = export(&env, "b.json", &["--person", "UA-0002"]);
    assert!(holds(&b, "Bohdana Lys"));
    assert!(
        !holds(&b, "Anna Ferenc"),
        "UA-0002's bundle holds UA-0001's name"
    );
    let (a, _) = export(&env, "a.json", &["--person", "UA-0001"]);
    assert!(
        !holds(&a, "Bohdana Lys"),
        "UA-0001's bundle holds UA-0002's name"
    );
    for f in [&a, &b] {
        custody(&["verify", "--bundle", s(f)], None).ok();
    }
}
