//! `custody export`: the whole ledger as JSON Lines.

use crate::cmd::checkpoint::read_checkpoint_note;
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::Context;
use crate::progress::Progress;
use clap::builder::TypedValueParser as _;
use clap::Args;
use custody_format::entry::{SignedEntry, VERSION_3};
use custody_format::event::PersonId;
use custody_format::wire::bundle::BUNDLE_FORMAT;
use custody_format::wire::export::ExportLine;
use custody_ledger::profile::{FieldSpec, Profile, Selection, Tally};
use custody_ledger::store::{AnchorNote, Ledger};
use custody_verifier::checkpoint::Checkpoint;
use std::io::Write;
use std::path::PathBuf;

/// `custody export`.
#[derive(Args)]
pub(crate) struct ExportArgs {
    /// Export only this person's evidence bundle (`custody-bundle/2`): the
    /// seal and signed checkpoint it is proven against, every entry about
    /// the person and every governance entry before the seal, and the
    /// person's map proof, so that `custody verify --bundle` can show it
    /// complete (or the person absent). Nothing about anyone else.
    #[arg(long, value_name = "PERSON")]
    person: Option<String>,
    /// With --person: build the bundle against the checkpoint of this many
    /// entries (one recorded in the ledger, ending with a seal) instead of
    /// the latest.
    #[arg(long, value_name = "SIZE", requires = "person")]
    at: Option<u64>,
    /// With --person: an earlier signed checkpoint you hold (from `custody
    /// checkpoint`); the bundle carries a proof that its tree extends that
    /// one, so `verify --bundle --checkpoint FILE` accepts it. Repeatable.
    #[arg(long, value_name = "FILE", requires = "person")]
    anchor: Vec<PathBuf>,
    /// With --person: prove the bundle against the checkpoint that
    /// witnesses cosigned (`custody checkpoint --witness URL=VKEY` keeps it
    /// in the store, as cosigned-checkpoint.note), and carry their
    /// cosignature lines in the bundle's checkpoint note, so that `custody
    /// verify --bundle FILE --witness VKEY` can require them. Refused if
    /// the store has no cosigned checkpoint of this ledger; entries
    /// recorded after it are not in the bundle (the command says so).
    #[arg(long, requires = "person")]
    cosigned: bool,
    /// With --person: the bundle format. The default is the complete
    /// bundle: `custody-bundle/3` (with the disclosures of format 3
    /// entries) when it holds a format 3 entry, else `custody-bundle/2`.
    /// `custody-bundle/1` is the legacy, inclusion-only form (no seal, no
    /// map proof, no format 3 entries), which a verifier accepts only with
    /// --inclusion-only.
    #[arg(long, value_name = "FORMAT", requires = "person", default_value = "custody-bundle/3",
          value_parser = ["custody-bundle/3", "custody-bundle/2", "custody-bundle/1"])]
    format: String,
    /// Which personal data (format 3 disclosures) the export carries:
    /// `court` (default): every disclosure the store holds, for a
    /// prosecutor or a court; `family`: identity, place and official
    /// fields (name, date of birth, places, who denied or tried), for a
    /// family or its lawyer, leaving out witnesses (`witnesses`, `via`, who
    /// inquired) and free text (notes, circumstances, reasons,
    /// descriptions), which can name anyone; `public`: none, for a mirror
    /// or publication. Withheld fields stay committed: the export still
    /// verifies and says which fields it withholds. Format 1 and 2 entries
    /// hold their personal data in their signed bytes: no profile can
    /// withhold it, and the export warns. Keep a `court` export as the
    /// archival copy: a narrower one restores without the values it
    /// withheld.
    #[arg(long, value_name = "PROFILE", default_value = "court",
          value_parser = clap::builder::PossibleValuesParser::new(["court", "family", "public"])
              .map(|s| Profile::named(&s).expect("a listed profile")))]
    profile: Profile,
    /// Also carry what SPEC names, over the profile: a field (`notes`), a
    /// class (`identity`, `place`, `official`, `narrative`, `witness`;
    /// `class:place`, since `place` alone is the field), or one entry's
    /// field (`SEQ:FIELD`, e.g. `12:notes` after reviewing it). The most
    /// specific of --disclose and --withhold wins; on a tie, --withhold.
    /// Repeatable.
    #[arg(long, value_name = "SPEC", value_parser = parse_spec)]
    disclose: Vec<FieldSpec>,
    /// Leave out what SPEC names (as --disclose). Repeatable.
    #[arg(long, value_name = "SPEC", value_parser = parse_spec)]
    withhold: Vec<FieldSpec>,
    /// Write here (atomically: a temporary file renamed into place) instead
    /// of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace --out if it exists (never a file inside a store).
    #[arg(long, requires = "out")]
    force: bool,
}

/// Writes every entry as one JSON line: `seq`, `hash`, `entry` (the stored
/// bytes, standard base64) and `view` (decoded, for people; never trusted),
/// and for a v3 entry the `disclosures` the store holds (the export is the
/// archival form: `restore` needs them all).
/// `progress` counts entries.
pub(crate) fn write_export(
    ledger: &Ledger,
    out: &mut dyn Write,
    progress: &Progress,
) -> Result<u64, Failure> {
    write_export_selected(
        ledger,
        out,
        progress,
        &Selection::court(),
        &mut Tally::default(),
    )
}

/// [`write_export`], each v3 line carrying only the disclosures
/// `selection` keeps (counted in `tally`).
fn write_export_selected(
    ledger: &Ledger,
    out: &mut dyn Write,
    progress: &Progress,
    selection: &Selection,
    tally: &mut Tally,
) -> Result<u64, Failure> {
    let mut n = 0;
    for item in ledger.entries_from(0) {
        progress.inc(1);
        let (seq, bytes) = item?;
        let entry = SignedEntry::decode(bytes).map_err(|e| {
            env(anyhow::anyhow!(
                "entry {seq} does not decode: {e}; run `custody verify`"
            ))
        })?;
        let held = if entry.body().version >= VERSION_3 {
            ledger.disclosures(seq)?
        } else {
            Vec::new()
        };
        let kept = selection.select(&entry, held, tally);
        let line = ExportLine::with_disclosures(&entry, &kept).to_line();
        writeln!(out, "{line}").map_err(|e| env(anyhow::anyhow!("cannot write export: {e}")))?;
        n += 1;
    }
    Ok(n)
}

/// The text of a person's `custody-bundle/2` against the checkpoint of
/// `at` entries or the latest, as `custody export --person` writes it
/// (and `custody serve` answers, and the dossier hashes).
pub(crate) fn bundle_text(bundle: &custody_format::wire::bundle::BundleV2) -> String {
    bundle.to_json() + "\n"
}

/// `--disclose`/`--withhold`'s SPEC (clap's value parser: a bad one is a
/// usage error naming what SPEC may be).
fn parse_spec(text: &str) -> Result<FieldSpec, String> {
    text.parse()
        .map_err(|e: custody_ledger::profile::SpecError| e.to_string())
}

/// Runs `export`.
pub(crate) fn run(ctx: &Context, args: ExportArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let selection =
        Selection::new(args.profile).adjusted(args.disclose.clone(), args.withhold.clone());
    if let Some(person) = &args.person {
        let person =
            PersonId::new(person).map_err(|m| refused(anyhow::anyhow!("--person: {m}")))?;
        return export_person(ctx, &ledger, &args, &person, &selection);
    }
    // Every `SEQ:FIELD` must name a field of an entry, checked before a
    // line is written (the export streams).
    let mut named = Tally::default();
    for seq in selection.named_seqs() {
        if let Some(e) = ledger.entry(seq)? {
            selection.note_specs(&e, &mut named);
        }
    }
    refuse_unmatched(&selection, &named, "the ledger")?;
    let progress = if args.out.is_none() {
        Progress::beside_data(ctx, Some(ledger.len()), "entries", "export")
    } else {
        Progress::new(ctx, Some(ledger.len()), "entries", "export")
    };
    let mut tally = Tally::default();
    let result = write_out(ctx, args.out.as_deref(), args.force, |out| {
        write_export_selected(&ledger, out, &progress, &selection, &mut tally)
    });
    progress.finish();
    result?;
    report_selection(ctx, &selection, &tally);
    Ok(())
}

/// Refuses `SEQ:FIELD` specs that named no field of what is exported:
/// a mistyped seq would otherwise disclose, or keep, the wrong thing
/// without a word.
fn refuse_unmatched(selection: &Selection, tally: &Tally, what: &str) -> CmdResult {
    let unmatched = selection.unmatched(tally);
    if unmatched.is_empty() {
        return Ok(());
    }
    Err(refused(anyhow::anyhow!(
        "--disclose/--withhold {}: no entry of {what} with that seq has that field; `custody history` lists each entry's seq and fields",
        crate::escape::terminal(&unmatched.join(", "))
    )))
}

/// Says what a selection left out (standard error), and warns when format
/// 1 or 2 entries carry in clear what it would have withheld (design §9).
fn report_selection(ctx: &Context, selection: &Selection, tally: &Tally) {
    if !ctx.json && !selection.is_everything() {
        eprintln!(
            "profile {}: {} disclosure(s) carried, {} withheld (verify reports them as withheld)",
            selection.profile().name(),
            tally.kept,
            tally.withheld
        );
    }
    if tally.cleartext_entries > 0 {
        eprintln!(
            "warning: {} entr{} format 1 or 2: {} personal data is in {} signed bytes, which no profile can withhold, so this export carries it in clear; give it only to readers entitled to everything, or re-issue the ledger (docs/design/format-v3.md §9)",
            tally.cleartext_entries,
            if tally.cleartext_entries == 1 { "y is" } else { "ies are" },
            if tally.cleartext_entries == 1 { "its" } else { "their" },
            if tally.cleartext_entries == 1 { "its" } else { "their" },
        );
    }
}

/// `export --person`: the person's bundle, with the disclosures
/// `selection` keeps.
fn export_person(
    ctx: &Context,
    ledger: &Ledger,
    args: &ExportArgs,
    person: &PersonId,
    selection: &Selection,
) -> CmdResult {
    let mut tally = Tally::default();
    if args.format == BUNDLE_FORMAT {
        if args.at.is_some() || !args.anchor.is_empty() || args.cosigned {
            return Err(refused(anyhow::anyhow!(
                "--at, --anchor and --cosigned build a custody-bundle/2 or /3; a custody-bundle/1 has none of them"
            )));
        }
        let bundle = ledger.person_bundle_v1(person)?;
        for item in &bundle.entries {
            let Ok(e) = SignedEntry::decode(item.entry.0.clone()) else {
                continue;
            };
            if e.body().version >= VERSION_3 {
                return Err(refused(anyhow::anyhow!(
                    "entry {} is a format 3 entry, which a custody-bundle/1 cannot carry (it has no disclosures and proves inclusion only); export the complete bundle instead (leave out --format)",
                    item.seq
                )));
            }
            // No disclosures: only the warning about cleartext counts.
            selection.select(&e, Vec::new(), &mut tally);
        }
        refuse_unmatched(selection, &tally, "the bundle")?;
        let text = bundle.to_json() + "\n";
        write_bundle(ctx, args, &text, String::new())?;
        report_selection(ctx, selection, &tally);
        return Ok(());
    }
    let anchors = args
        .anchor
        .iter()
        .map(|path| {
            let (note, cp) = read_checkpoint_note(path)?;
            Ok(AnchorNote {
                note,
                origin: cp.origin,
                size: cp.size,
                root: cp.root,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let cosigned = if args.cosigned {
        Some(stored_cosigned(ledger, args.at)?)
    } else {
        None
    };
    let at = cosigned.as_ref().map(|c| c.size).or(args.at);
    let mut bundle = ledger.person_bundle_selected(person, at, &anchors, selection, &mut tally)?;
    refuse_unmatched(selection, &tally, "the bundle")?;
    let witnessed = match &cosigned {
        Some(c) => {
            bundle.checkpoint = with_cosignatures(ledger, &bundle.checkpoint, c)?;
            witnessed_note(ledger, c)?
        }
        None => String::new(),
    };
    // The seal is the last item; the checkpoint's tree ends with it.
    let size = bundle.entries.last().map_or(0, |e| e.seq + 1);
    let what = match bundle.map_proof.value {
        Some(v) => format!(
            "{} entries about {person} and the governance before the checkpoint of {size} entries",
            v.count
        ),
        None => format!(
            "{person} is ABSENT: no entry concerns them as of the checkpoint of {size} entries; the bundle proves it"
        ),
    };
    let anchored = match bundle.anchors.len() {
        0 => String::new(),
        n => format!(", {n} anchor(s)"),
    };
    let text = bundle_text(&bundle);
    write_bundle(ctx, args, &text, format!("{what}{anchored}{witnessed}"))?;
    report_selection(ctx, selection, &tally);
    Ok(())
}

/// The store's cosigned checkpoint (`cosigned-checkpoint.note`, kept by
/// `custody checkpoint --witness`) for `export --person --cosigned`:
/// refused if there is none, if it is of another ledger, if it carries no
/// cosignature, or if `--at` names another tree.
fn stored_cosigned(ledger: &Ledger, at: Option<u64>) -> Result<Checkpoint, Failure> {
    let path = ledger.dir().join(crate::cmd::checkpoint::COSIGNED_NOTE);
    let advice = "run `custody checkpoint --key AUTHORITY.pem --witness URL=VKEY` (each witness you want the bundle to carry), then export again";
    if !path.exists() {
        return Err(refused(anyhow::anyhow!(
            "--cosigned: the store holds no checkpoint cosigned by witnesses ({} is absent); {advice}",
            crate::escape::path(&path)
        )));
    }
    let (_, cp) = read_checkpoint_note(&path)?;
    if cp.origin != ledger.name() {
        return Err(refused(anyhow::anyhow!(
            "--cosigned: {} is a checkpoint of the ledger {:?}, not of {:?}; {advice}",
            crate::escape::path(&path),
            crate::escape::terminal(&cp.origin),
            crate::escape::terminal(ledger.name())
        )));
    }
    if other_signature_lines(&cp).is_empty() {
        return Err(refused(anyhow::anyhow!(
            "--cosigned: the store's cosigned checkpoint ({} entries) carries no witness's cosignature; {advice}",
            cp.size
        )));
    }
    if let Some(at) = at.filter(|&at| at != cp.size) {
        return Err(refused(anyhow::anyhow!(
            "--at {at} and --cosigned name two checkpoints: the cosigned one is of {} entries; leave out --at (or --cosigned)",
            cp.size
        )));
    }
    Ok(cp)
}

/// The signature lines of `cp` by keys other than its log's (the
/// witnesses'), rebuilt from their parsed name, key id and signature.
fn other_signature_lines(cp: &Checkpoint) -> Vec<String> {
    use base64::Engine;
    cp.signatures
        .iter()
        .filter(|s| s.name != cp.origin)
        .map(|s| {
            let mut blob = s.key_id.to_vec();
            blob.extend_from_slice(&s.signature);
            format!(
                "\u{2014} {} {}\n",
                s.name,
                base64::engine::general_purpose::STANDARD.encode(blob)
            )
        })
        .collect()
}

/// The bundle's note (rebuilt from the chain, with the ledger's own
/// signature) followed by the witnesses' lines of the cosigned note. A
/// cosignature signs the note's text, so the two texts must be the same:
/// the cosigned note must be of this ledger's tree of its size.
fn with_cosignatures(
    ledger: &Ledger,
    chain_note: &str,
    cosigned: &Checkpoint,
) -> Result<String, Failure> {
    let ours = custody_verifier::checkpoint::parse(chain_note).map_err(|e| {
        env(anyhow::anyhow!(
            "the checkpoint of {} entries recorded in the ledger does not parse ({e}); run `custody verify`",
            cosigned.size
        ))
    })?;
    if ours.text != cosigned.text {
        return Err(refused(anyhow::anyhow!(
            "--cosigned: the store's cosigned checkpoint of {} entries has root {}, but the checkpoint of that size recorded in the ledger has root {}: the cosigned note is not of this ledger's tree (run `custody verify`, and `custody checkpoint --witness URL=VKEY` to cosign the ledger's tree again)",
            cosigned.size,
            hex::encode(cosigned.root),
            hex::encode(ours.root)
        )));
    }
    let note = format!("{chain_note}{}", other_signature_lines(cosigned).concat());
    // Never write a note a verifier cannot read back.
    custody_verifier::checkpoint::parse(&note).map_err(|e| {
        refused(anyhow::anyhow!(
            "--cosigned: the bundle's note with the cosignatures does not parse ({e}); {}",
            ledger.dir().display()
        ))
    })?;
    Ok(note)
}

/// What `--cosigned` added, for the report on standard error: the
/// witnesses, and a warning when the ledger has grown since.
fn witnessed_note(ledger: &Ledger, cp: &Checkpoint) -> Result<String, Failure> {
    let names: Vec<&str> = cp
        .signatures
        .iter()
        .filter(|s| s.name != cp.origin)
        .map(|s| s.name.as_str())
        .collect();
    let mut out = format!(
        ", with {} cosignature line(s) by witnesses of its checkpoint ({}), unchecked here: `custody verify --bundle FILE --witness VKEY` checks them",
        names.len(),
        crate::escape::terminal(&names.join(", "))
    );
    if let Some(latest) = ledger.latest_checkpoint()? {
        if latest.size > cp.size {
            out.push_str(&format!(
                "\nwarning: the ledger has a later checkpoint ({} entries) than the cosigned one ({} entries): what was recorded after the cosigned checkpoint is not in this bundle; to include it, run `custody checkpoint --key AUTHORITY.pem --witness URL=VKEY` and export again",
                latest.size, cp.size
            ));
        }
    }
    Ok(out)
}

/// Writes a person bundle, then says what it holds (on standard error).
fn write_bundle(ctx: &Context, args: &ExportArgs, text: &str, what: String) -> CmdResult {
    let n = text.len() as u64;
    match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| env(anyhow::anyhow!("cannot write bundle: {e}")))?;
        }
        Some(path) => {
            crate::outfile::write_with(path, args.force, |out| {
                out.write_all(text.as_bytes())
                    .map_err(|e| env(anyhow::anyhow!("cannot write bundle: {e}")))?;
                Ok(n)
            })?;
            if !ctx.json {
                eprintln!(
                    "exported the {} bundle of {} to {}",
                    args.format,
                    crate::escape::terminal(args.person.as_deref().unwrap_or_default()),
                    crate::escape::path(path)
                );
            }
        }
    }
    if !ctx.json && !what.is_empty() {
        eprintln!("{what}");
    }
    Ok(())
}

/// Writes to `path` (a new file, see `crate::outfile`), or to standard
/// output.
fn write_out(
    ctx: &Context,
    path: Option<&std::path::Path>,
    force: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<u64, Failure>,
) -> CmdResult {
    match path {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out)?;
            out.flush()
                .map_err(|e| env(anyhow::anyhow!("cannot write export: {e}")))?;
        }
        Some(path) => {
            let n = crate::outfile::write_with(path, force, write)?;
            if !ctx.json {
                eprintln!("exported {n} entries to {}", crate::escape::path(path));
            }
        }
    }
    Ok(())
}
