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
        if args.at.is_some() || !args.anchor.is_empty() {
            return Err(refused(anyhow::anyhow!(
                "--at and --anchor build a custody-bundle/2; a custody-bundle/1 has neither"
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
    let bundle = ledger.person_bundle_selected(person, args.at, &anchors, selection, &mut tally)?;
    refuse_unmatched(selection, &tally, "the bundle")?;
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
    write_bundle(ctx, args, &text, format!("{what}{anchored}"))?;
    report_selection(ctx, selection, &tally);
    Ok(())
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
