//! `custody demo`: the main job, end to end, on a throwaway ledger.
//!
//! It does what a user would do with the other commands — make keys, create
//! a ledger, grant an investigator, append a batch of cases shaped like the
//! ones in Amnesty International's "A Deafening Silence", correct one entry,
//! read the chain and each person's status, verify it — then shows two
//! tampered copies of an export failing verification, and ends with a signed
//! checkpoint and one person's evidence bundle verified offline. It calls the
//! same functions as those commands.

use crate::cmd::export::write_export;
use crate::cmd::log::describe;
use crate::cmd::verify::{report, verify_store};
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::Context;
use crate::progress::Progress;
use base64::Engine;
use clap::Args;
use custody_format::event::{Correction, Event, KeyGranted, Role};
use custody_ledger::input::EventReader;
use custody_ledger::keyfile::{self, SigningKey};
use custody_ledger::store::Ledger;
use custody_verifier::export::{verify_export, ExportError};
use std::path::{Path, PathBuf};

/// The demo's cases, one JSON object per line.
pub(crate) const DEMO_CASES: &str = include_str!("../demo_cases.jsonl");

/// `custody demo`.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Keep the demo ledger, keys, export, checkpoint, P-0001's bundle and
    /// its chain-of-custody report (Markdown) in this new directory instead
    /// of a temporary one that is deleted at the end; the demo ends by
    /// listing them.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

fn step(title: &str) {
    println!("\n== {title}");
}

fn fail(e: impl std::fmt::Display) -> Failure {
    env(anyhow::anyhow!("demo: {e}"))
}

/// Runs `demo`.
pub(crate) fn run(ctx: &Context, args: DemoArgs) -> CmdResult {
    let tmp;
    let root: &Path = match &args.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
            dir
        }
        None => {
            tmp = tempfile::tempdir().map_err(fail)?;
            tmp.path()
        }
    };
    let store = root.join("ledger");
    let key_dir = root.join("keys");
    std::fs::create_dir_all(&key_dir).map_err(fail)?;
    println!(
        "custody demo: a throwaway ledger in {}",
        crate::escape::path(root)
    );
    let (mut ledger, authority, investigator) = setup(&store, &key_dir)?;
    append_cases(&mut ledger, &investigator)?;
    read_back(ctx, &ledger, &store)?;
    tamper_with_exports(&ledger, root)?;
    for_a_prosecutor(&mut ledger, &authority, root)?;
    match &args.keep {
        Some(dir) => print_kept(dir),
        None => println!("\n(the temporary directory is deleted now; use --keep DIR to keep it)"),
    }
    Ok(())
}

/// What `--keep DIR` leaves, each file with what it is and a command that
/// uses it.
fn print_kept(dir: &Path) {
    let d = crate::escape::path(dir);
    println!("\nkept in {d}:");
    for (name, what) in [
        ("ledger/", format!("the ledger's store: `custody --store {d}/ledger log`")),
        ("keys/", "authority.pem and investigator.pem, the private keys (mode 0600)".to_string()),
        ("export.jsonl", format!("the ledger exported before the checkpoint: `custody verify --export {d}/export.jsonl`")),
        (KEPT_CHECKPOINT, format!("the signed checkpoint: `custody --store {d}/ledger verify --checkpoint {d}/{KEPT_CHECKPOINT}`")),
        (KEPT_BUNDLE, format!("P-0001's evidence bundle: `custody verify --bundle {d}/{KEPT_BUNDLE}`")),
        (KEPT_DOSSIER, "P-0001's court-ready dossier (print-ready HTML), from the verified bundle alone".to_string()),
    ] {
        println!("  {name:<20} {what}");
    }
}

/// The files step 11 writes beside the ledger.
const KEPT_CHECKPOINT: &str = "checkpoint.txt";
const KEPT_BUNDLE: &str = "P-0001.bundle.json";
const KEPT_DOSSIER: &str = "P-0001.dossier.html";

/// Steps 1 to 3: keys, the genesis, the investigator's grant.
fn setup(store: &Path, key_dir: &Path) -> Result<(Ledger, SigningKey, SigningKey), Failure> {
    step("1. keys (ed25519, PKCS#8 PEM, mode 0600)");
    let authority = keyfile::generate_signing_key().map_err(fail)?;
    let investigator = keyfile::generate_signing_key().map_err(fail)?;
    keyfile::write_signing_key(&key_dir.join("authority.pem"), &authority).map_err(fail)?;
    keyfile::write_signing_key(&key_dir.join("investigator.pem"), &investigator).map_err(fail)?;
    println!("authority    {}", keyfile::public_key_of(&authority));
    println!("investigator {}", keyfile::public_key_of(&investigator));

    step("2. init: the genesis names the authority");
    let (mut ledger, genesis) = Ledger::create(
        store,
        "demo.custody/pow-register",
        "Demo Authority",
        &authority,
    )?;
    println!("genesis seq {} {}", genesis.seq, genesis.hash);

    step("3. the authority grants the investigator's key");
    let granted = ledger.append(
        vec![Event::KeyGranted(KeyGranted {
            public_key: keyfile::public_key_of(&investigator),
            role: Role::Investigator,
            holder: "Field team A".into(),
        })],
        &authority,
    )?;
    println!("grant seq {} {}", granted[0].seq, granted[0].hash);

    Ok((ledger, authority, investigator))
}

/// Steps 4 to 6: the cases as one batch, a retraction, a refused append.
fn append_cases(ledger: &mut Ledger, investigator: &SigningKey) -> CmdResult {
    step("4. append the cases as one batch (one durable commit)");
    let events = EventReader::new(DEMO_CASES.as_bytes())
        .map(|r| r.map(|(_, e)| e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    let appended = ledger.append(events, investigator)?;
    println!(
        "appended {} entries, seq {}..={}",
        appended.len(),
        appended[0].seq,
        appended[appended.len() - 1].seq
    );

    step("5. a sighting turns out to show someone else: retract it (nothing is deleted)");
    let wrong = appended[appended.len() - 1];
    let corrected = ledger.append(
        vec![Event::Correction(Correction {
            target: wrong.hash,
            reason: "the person in the video was misidentified".into(),
            replacement: None,
        })],
        investigator,
    )?;
    println!(
        "correction seq {} retracts seq {}",
        corrected[0].seq, wrong.seq
    );

    step("5b. the detaining state denies holding P-0003, whose parcels it accepted");
    let denial = custody_ledger::input::event_from_value(serde_json::json!({
        "type": "denial", "person": "P-0003", "occurred_at": "2023-09",
        "by": "the detaining state, answering the family's inquiry",
        "notes": "not on its lists"
    }))
    .map_err(fail)?;
    let denied = ledger.append(vec![denial], investigator)?;
    println!(
        "denial seq {}: P-0003 was never confirmed (no capture recorded; the clock runs from the first accepted parcel), and a refusal to acknowledge makes it an enforced disappearance (ICPED Art. 2)",
        denied[0].seq
    );

    step("6. an unauthorised append is refused, and nothing is written");
    let head_before = ledger.head();
    let stranger = keyfile::generate_signing_key().map_err(fail)?;
    match ledger.append(
        EventReader::new(&DEMO_CASES.as_bytes()[..DEMO_CASES.find('\n').unwrap_or(0)])
            .map(|r| r.map(|(_, e)| e))
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?,
        &stranger,
    ) {
        Err(e) => println!("refused: {e}"),
        Ok(_) => {
            return Err(refused(anyhow::anyhow!(
                "demo: an unknown key could append"
            )))
        }
    }
    if ledger.head() != head_before {
        return Err(refused(anyhow::anyhow!(
            "demo: a refused append changed the ledger"
        )));
    }

    Ok(())
}

/// Steps 7 to 9: the chain, the statuses, the verdict.
fn read_back(ctx: &Context, ledger: &Ledger, store: &Path) -> CmdResult {
    step("7. the chain");
    for item in ledger.entries_from(0) {
        let (seq, bytes) = item?;
        let entry = custody_format::entry::SignedEntry::decode(bytes)
            .map_err(|e| fail(format!("entry {seq}: {e}")))?;
        println!("{}", describe(ledger, &entry));
    }

    step("8. what the ledger says about each person (status, legal clock flags)");
    let statuses = ledger.all_statuses(None, None, custody_ledger::clock::now())?;
    crate::cmd::status::print_table(&statuses.iter().collect::<Vec<_>>());
    println!(
        "(custody status P-0001 shows one person in full, with the evidence behind every fact)"
    );

    step("9. verify the store");
    let verdict = verify_store(ledger, &Progress::hidden())?;
    report(ctx, &store.display().to_string(), verdict)?;

    Ok(())
}

/// Step 10: an export, and two tampered copies of it refused.
fn tamper_with_exports(ledger: &Ledger, root: &Path) -> CmdResult {
    step("10. export, then tamper with two copies of the export");
    let export = root.join("export.jsonl");
    let mut file = std::fs::File::create(&export).map_err(fail)?;
    write_export(ledger, &mut file, &Progress::hidden())?;
    drop(file);
    let text = std::fs::read_to_string(&export).map_err(fail)?;
    println!(
        "exported {} entries to {}",
        text.lines().count(),
        crate::escape::path(&export)
    );
    match verify_export(text.as_bytes()) {
        Ok(s) => println!(
            "the untouched export verifies: {} entries, head {}",
            s.length, s.head_hash
        ),
        Err(e) => {
            return Err(refused(anyhow::anyhow!(
                "demo: the export does not verify: {e}"
            )))
        }
    }

    // (a) Edit the place disclosed beside the capture in Mariupol: the
    // signed entry holds only a salted commitment to it (format v3).
    let capture_line = text
        .lines()
        .position(|l| l.contains("\"type\":\"capture\"") && l.contains("\"value\":\"Mariupol\""))
        .ok_or_else(|| fail("no capture entry in the export"))?;
    let edited_view: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let l = if i == capture_line {
                l.replacen("\"value\":\"Mariupol\"", "\"value\":\"Donetsk\"", 1)
            } else {
                l.to_string()
            };
            l + "\n"
        })
        .collect();
    // (b) Flip one bit of the signed bytes of the same entry: of the
    // commitment to its place.
    let flipped_bytes: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i != capture_line {
                return l.to_string() + "\n";
            }
            let mut v: serde_json::Value = serde_json::from_str(l).expect("export line is JSON");
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut bytes = b64
                .decode(v["entry"].as_str().unwrap_or_default())
                .unwrap_or_default();
            let place = v["disclosures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| custody_format::commit::Disclosure::from_json(d).ok())
                .find(|d| d.slot.field_name() == Some("place"));
            if let Some(c) = place.map(|d| d.commitment().0) {
                if let Some(at) = bytes.windows(32).position(|w| w == c) {
                    bytes[at] ^= 0x01;
                }
            }
            v["entry"] = serde_json::Value::from(b64.encode(bytes));
            v.to_string() + "\n"
        })
        .collect();
    for (what, tampered) in [
        ("the place disclosed beside it says Donetsk", edited_view),
        (
            "one bit of its signed commitment to the place flipped",
            flipped_bytes,
        ),
    ] {
        println!(
            "\ntampered copy: the capture at line {}, {what}",
            capture_line + 1
        );
        match verify_export(tampered.as_bytes()) {
            Err(ExportError::Invalid { line, violation }) => {
                println!("INVALID at line {line}: {violation}");
            }
            Err(e) => println!("INVALID: {e}"),
            Ok(_) => {
                return Err(refused(anyhow::anyhow!(
                    "demo: a tampered export verified ({what})"
                )))
            }
        }
    }

    Ok(())
}

/// Step 11: a checkpoint, and one person's bundle verified offline.
fn for_a_prosecutor(ledger: &mut Ledger, authority: &SigningKey, root: &Path) -> CmdResult {
    step("11. for a prosecutor: a signed checkpoint and one person's evidence bundle");
    let (_, note) = ledger.checkpoint(authority)?;
    print!("{note}");
    std::fs::write(root.join(KEPT_CHECKPOINT), &note).map_err(fail)?;
    let person = custody_format::event::PersonId::new("P-0001").map_err(fail)?;
    let bundle_text = ledger
        .person_bundle(&person, None, &[])?
        .to_json()
        .into_bytes();
    let bundle_path = root.join(KEPT_BUNDLE);
    std::fs::write(&bundle_path, &bundle_text).map_err(fail)?;
    let options = custody_verifier::bundle::BundleOptions {
        authority: Some(keyfile::public_key_of(authority)),
        ..Default::default()
    };
    use custody_verifier::bundle::Completeness;
    let b = custody_verifier::bundle::verify_bundle(&bundle_text, &options)
        .map_err(|e| refused(anyhow::anyhow!("demo: the bundle does not verify: {e}")))?;
    match b.completeness {
        Completeness::Complete { entries, .. } => println!(
            "bundle of {} verified offline against the pinned authority: COMPLETE — all {entries} entries about {} and all {} governance entries as of the checkpoint of {} entries, signed by {}",
            b.person,
            b.person,
            b.governance,
            b.checkpoint.size,
            crate::escape::terminal(&b.checkpoint_signer_granted.holder)
        ),
        other => {
            return Err(refused(anyhow::anyhow!(
                "demo: the bundle of {} verified as {other:?}, not complete",
                b.person
            )))
        }
    }
    // The prosecutor's dossier, from the bundle alone, as a printable page.
    let provenance = crate::dossier::Provenance {
        source: bundle_path.display().to_string(),
        authority: crate::dossier::AuthorityCheck::Pinned,
    };
    let dossier = crate::dossier::Dossier::build(
        &b,
        &bundle_text,
        &provenance,
        crate::dossier::Cut::default(),
        custody_ledger::clock::now(),
    );
    let html_path = root.join(KEPT_DOSSIER);
    std::fs::write(&html_path, crate::dossier::html::render(&dossier)).map_err(fail)?;
    println!(
        "dossier of {}: {} items, status {}, written as a print-ready page ({KEPT_DOSSIER})",
        dossier.person,
        dossier.items.len(),
        dossier.status.as_ref().map_or("none", |s| s.status.name())
    );
    println!(
        "(with --keep DIR: `custody verify --bundle DIR/{KEPT_BUNDLE}` checks the bundle anywhere; `custody dossier --bundle DIR/{KEPT_BUNDLE} --format html --out d.html` makes the court-ready dossier from it alone; DIR/{KEPT_DOSSIER} is one)"
    );

    Ok(())
}
