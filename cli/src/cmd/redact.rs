//! `custody redact`: erase personal data from the store (format v3,
//! docs/design/format-v3.md §5 and §8).
//!
//! In a version 3 entry every personal field is a salted commitment in the
//! signed bytes; its value and salt (the disclosure) live beside the entry
//! in the store's `disclosures` table. Erasing a value is therefore two
//! things in one commit: a signed `redaction` entry (event 23, authority
//! only) that records which fields of which entries were erased and why,
//! and the deletion of those disclosures from the store (the store does it
//! when it appends the redaction). No signature, hash, proof, seal or
//! checkpoint changes: they cover the commitments, not the values.
//!
//! This command names the fields (`--entry HASH --field NAME…`, or every
//! committed field of a person's entries with `--person`), refuses what
//! cannot or need not be erased before anything is written, and checks
//! that the reason, which is kept in clear forever, does not repeat an
//! erased value. Values are never printed: not in the plan, not in errors.
//!
//! What it cannot reach: version 1 and 2 entries (their personal data is in
//! their signed bytes, design §9), the file's free pages until `custody
//! compact`, and every backup and export taken before (design §8).

use crate::exit::{env, refused, with_advice, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::commit::{
    field_named, slots_of, Slot, SlotContent, CODE_DESCRIPTION, PART_EVENT, PART_REPLACEMENT,
};
use custody_format::entry::SignedEntry;
use custody_format::event::{
    EntryHash, Event, PersonId, RedactedItem, Redaction, MAX_REDACTED_ITEMS, MAX_REDACTED_SLOTS,
};
use custody_format::registry::AuthError;
use custody_format::rules::Breach;
use custody_ledger::store::{AppendError, Ledger, Refusal};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

mod reason;

/// The fewest hex digits `--entry` takes (as `append` takes a target).
const MIN_PREFIX: usize = 12;

/// `custody redact`.
#[derive(Args)]
#[command(after_help = "\
Fields (--field, repeatable or comma-separated): name, date_of_birth,
service_number, unit, place, last_seen_place, circumstances, notes, via, by,
to, from, authority, charge, sentence, reason, reference, witnesses; an
attachment's description as description[N] (N from 0, in the entry's order)
or `description` for every attachment's; a correction's replacement's field
as replacement.NAME. `custody history PERSON` shows an entry's fields.

Only version 3 entries can be erased: a version 1 or 2 entry holds its
personal data in its signed bytes (docs/design/format-v3.md §9).

The values are gone from the live store at once, but their bytes stay in
the store file's free pages until `custody compact` (or --compact), and in every backup
and export taken before; a file system or an SSD may keep old blocks too.
The reason is kept in clear in the ledger forever: it may not contain an
erased value.")]
pub(crate) struct RedactArgs {
    /// The entry whose fields to erase: its hash, or the first 12 or more
    /// hex digits of it (`custody history PERSON` shows them).
    #[arg(
        long,
        value_name = "HASH",
        requires = "field",
        conflicts_with = "person"
    )]
    entry: Option<String>,
    /// A field of --entry to erase (repeatable, or comma-separated).
    #[arg(long, value_name = "NAME", value_delimiter = ',', requires = "entry")]
    field: Vec<String>,
    /// Erase every committed field of every entry about this person (one
    /// redaction per 1,024 entries). Of a correction that moved evidence
    /// between this person and another, the reason (which concerns both)
    /// goes, whichever of the two is erased, and the replacement only if
    /// it is this person's.
    #[arg(long, value_name = "PERSON", required_unless_present = "entry")]
    person: Option<String>,
    /// Why, for the record (kept in clear: "erasure request of
    /// 2026-11-02", "witness at risk"); never an erased value.
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// An authority's private key (PKCS#8 PEM); it signs the redaction.
    #[arg(long, value_name = "FILE", required_unless_present = "dry_run")]
    key: Option<PathBuf>,
    /// List what would be erased; write nothing (with --key, also check
    /// that the key may sign the redaction).
    #[arg(long)]
    dry_run: bool,
    /// Then compact the store, as `custody compact` does (its report
    /// follows), so the erased values leave the file's free pages too.
    #[arg(long, conflicts_with = "dry_run")]
    compact: bool,
}

/// The slots to erase in one entry.
struct Planned {
    /// The person whose stream the redaction that erases them is in (one
    /// the entry's streams include, rule `redaction`).
    person: PersonId,
    /// Another person whose bundle carries the entry too (a correction
    /// that moved evidence between two persons, or the target of one).
    /// Its redaction names only entries that bundle carries, so that the
    /// bundle can carry the redaction as well (design §7: a bundle carries
    /// a redaction of another person's stream when it carries every entry
    /// the redaction names), and a verifier reads the slot as redacted.
    with: Option<PersonId>,
    seq: u64,
    hash: EntryHash,
    kind: &'static str,
    slots: Vec<Slot>,
}

/// What a `--field` names in an entry.
enum FieldSpec {
    /// One slot.
    One(Slot),
    /// Every attachment description of a part.
    Descriptions(u8),
}

/// Reads a field name: `NAME`, `replacement.NAME`, `description[N]`,
/// `attachments[N].description` (how `verify` names it), or `description`.
fn parse_field(given: &str) -> Result<FieldSpec, Failure> {
    let name = given.trim();
    let (part, name) = match name.strip_prefix("replacement.") {
        Some(rest) => (PART_REPLACEMENT, rest),
        None => (PART_EVENT, name),
    };
    let index_in = |s: &str, open: &str, close: &str| -> Option<Option<u16>> {
        let inner = s.strip_prefix(open)?.strip_suffix(close)?;
        Some(inner.parse().ok())
    };
    let description = index_in(name, "description[", "]")
        .or_else(|| index_in(name, "attachments[", "].description"));
    let spec = match (description, field_named(name)) {
        (Some(Some(index)), _) => FieldSpec::One(Slot {
            part,
            code: CODE_DESCRIPTION,
            index,
        }),
        (Some(None), _) => {
            return Err(env(anyhow::anyhow!(
                "--field {given:?}: an attachment's index is a number from 0 (description[0] is the first attachment's description)"
            )))
        }
        (None, Some(f)) if f.code == CODE_DESCRIPTION => FieldSpec::Descriptions(part),
        (None, Some(f)) => FieldSpec::One(Slot::new(part, f.code)),
        (None, None) => {
            let names: Vec<&str> = custody_format::commit::FIELDS
                .iter()
                .map(|f| f.name)
                .collect();
            return Err(env(anyhow::anyhow!(
                "--field {given:?} is not a personal field; the fields are {}, description[N] for one attachment's, and replacement.NAME for a correction's replacement",
                names.join(", ")
            )));
        }
    };
    if let FieldSpec::One(slot) = &spec {
        slot.check()
            .map_err(|m| env(anyhow::anyhow!("--field {given:?}: {m}")))?;
    }
    Ok(spec)
}

/// The entry `--entry` names: a full hash or a unique prefix of 12 or more
/// hex digits.
fn resolve_entry(ledger: &Ledger, given: &str) -> Result<SignedEntry, Failure> {
    let prefix = given.trim().to_ascii_lowercase();
    if prefix.len() < MIN_PREFIX
        || prefix.len() > 64
        || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(env(anyhow::anyhow!(
            "--entry {given:?}: give the entry's hash (64 hex digits) or its first {MIN_PREFIX} or more; `custody history PERSON` and `custody log --full-hash` show them"
        )));
    }
    let found = ledger.hashes_with_prefix(&prefix, 6)?;
    let seq = match found.as_slice() {
        [] => {
            return Err(refused(anyhow::anyhow!(
                "no entry's hash starts with {prefix}; nothing was erased"
            )))
        }
        [(seq, _)] => *seq,
        many => {
            let seqs: Vec<String> = many.iter().map(|(s, _)| s.to_string()).collect();
            return Err(refused(anyhow::anyhow!(
                "the hashes of several entries start with {prefix} (seq {}): give more of the hash's digits; nothing was erased",
                seqs.join(", ")
            )));
        }
    };
    ledger.entry(seq)?.ok_or_else(|| {
        env(anyhow::anyhow!(
            "the hash index names entry {seq}, which is missing"
        ))
    })
}

/// The refusal of a version 1 or 2 entry, whose data cannot be erased.
fn legacy(seq: u64, version: u16) -> Failure {
    refused(anyhow::anyhow!(
        "entry {seq} is a version {version} entry: its personal data is in its signed bytes and cannot be erased: see docs/design/format-v3.md §9; nothing was erased"
    ))
}

/// The person whose stream holds `entry` (a correction's is its target's).
fn person_of(ledger: &Ledger, entry: &SignedEntry) -> Result<PersonId, Failure> {
    let event = entry.event().inner();
    if let Some(p) = event.person() {
        return Ok(p.clone());
    }
    if let Event::Correction(c) = event {
        if let Some(target) = ledger
            .seq_of(&c.target)?
            .and_then(|s| ledger.entry(s).ok().flatten())
        {
            if let Some(p) = target.event().inner().person() {
                return Ok(p.clone());
            }
        }
    }
    Err(refused(anyhow::anyhow!(
        "entry {} is a {}, which is about no person and holds no personal field; nothing was erased",
        entry.seq(),
        event.type_name()
    )))
}

/// `--entry HASH --field NAME…`: the slots named, each checked.
fn plan_entry(
    ledger: &Ledger,
    given: &str,
    fields: &[String],
) -> Result<(PersonId, Vec<Planned>), Failure> {
    let entry = resolve_entry(ledger, given)?;
    let (seq, version) = (entry.seq(), entry.body().version);
    if version < 3 {
        return Err(legacy(seq, version));
    }
    let person = person_of(ledger, &entry)?;
    let kind = entry.event().inner().type_name();
    let slots = slots_of(entry.event());
    let committed = |s: &Slot| {
        slots
            .iter()
            .any(|(x, c)| x == s && matches!(c, SlotContent::Committed(_)))
    };
    let mut chosen = Vec::new();
    for name in fields {
        let wanted: Vec<Slot> = match parse_field(name)? {
            FieldSpec::One(slot) => vec![slot],
            FieldSpec::Descriptions(part) => slots
                .iter()
                .filter(|(s, c)| {
                    s.part == part
                        && s.code == CODE_DESCRIPTION
                        && matches!(c, SlotContent::Committed(_))
                })
                .map(|(s, _)| *s)
                .collect(),
        };
        if wanted.is_empty() {
            return Err(refused(anyhow::anyhow!(
                "--field {name:?}: entry {seq} ({kind}) has no attachment description; nothing was erased"
            )));
        }
        for slot in wanted {
            if !committed(&slot) {
                let why = if slots.iter().any(|(s, _)| *s == slot) {
                    "holds no value (the field was left out)"
                } else {
                    "is not a field of this entry"
                };
                return Err(refused(anyhow::anyhow!(
                    "--field {name:?}: {slot} of entry {seq} ({kind}) {why}, so there is nothing to erase; nothing was erased"
                )));
            }
            if let Some(at) = ledger.redacted_at(seq, slot)? {
                return Err(refused(anyhow::anyhow!(
                    "--field {name:?}: {slot} of entry {seq} ({kind}) was already redacted at seq {at}; nothing was erased"
                )));
            }
            if !chosen.contains(&slot) {
                chosen.push(slot);
            }
        }
    }
    chosen.sort();
    // A correction that moved evidence to another person: its
    // replacement's fields are that person's, and so is the redaction
    // that erases them (it is in their stream, as the correction is); its
    // own fields (the reason) concern both, and stay with the target's
    // person, as before.
    let replacement_person = match entry.event().inner() {
        Event::Correction(c) => c
            .replacement
            .as_deref()
            .and_then(Event::person)
            .filter(|r| **r != person)
            .cloned(),
        _ => None,
    };
    let (theirs, own): (Vec<Slot>, Vec<Slot>) = chosen
        .into_iter()
        .partition(|s| s.part == PART_REPLACEMENT && replacement_person.is_some());
    let mut planned = Vec::new();
    for (who, slots) in [(Some(person.clone()), own), (replacement_person, theirs)] {
        if let (Some(who), false) = (who, slots.is_empty()) {
            planned.push(Planned {
                person: who,
                with: None,
                seq,
                hash: entry.hash(),
                kind,
                slots,
            });
        }
    }
    let person = planned[0].person.clone();
    Ok((person, planned))
}

/// `--person P`: every committed slot of every version 3 entry about P
/// that no redaction erased yet. Version 1 and 2 entries holding personal
/// data are counted, for a warning: they cannot be erased.
fn plan_person(ledger: &Ledger, given: &str) -> Result<(PersonId, Vec<Planned>), Failure> {
    let person = PersonId::new(given).map_err(|m| refused(anyhow::anyhow!("--person: {m}")))?;
    let entries = ledger.person_entries(&person)?;
    if entries.is_empty() {
        return Err(refused(anyhow::anyhow!(
            "no such person: {person}; nothing was erased"
        )));
    }
    // The entries of theirs that a correction moved to another person:
    // that person's bundle carries them too (as the correction's target).
    let moved_to: BTreeMap<EntryHash, PersonId> = entries
        .iter()
        .filter_map(|e| match e.event().inner() {
            Event::Correction(c) => c
                .replacement
                .as_deref()
                .and_then(Event::person)
                .filter(|r| **r != person)
                .map(|r| (c.target, r.clone())),
            _ => None,
        })
        .collect();
    let mut planned = Vec::new();
    let mut legacy = 0u64;
    for e in &entries {
        if matches!(e.event(), Event::Redaction(_)) {
            continue;
        }
        let slots = slots_of(e.event());
        if e.body().version < 3 {
            if slots.iter().any(|(_, c)| matches!(c, SlotContent::Clear)) {
                legacy += 1;
            }
            continue;
        }
        let erased: Vec<Slot> = ledger
            .redacted_slots(e.seq())?
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        // A correction is listed under its target's person and its
        // replacement's. Its own fields (the reason) concern both and may
        // name either, so they go whichever of the two asks; its
        // replacement's fields go only if the replacement is theirs,
        // never another person's live evidence.
        let (replacement, with) = match e.event().inner() {
            Event::Correction(c) => {
                let target = match ledger.seq_of(&c.target)? {
                    Some(seq) => ledger.entry(seq)?,
                    None => None,
                };
                let target_person = target.and_then(|t| t.event().inner().person().cloned());
                let replacement_person = c.replacement.as_deref().and_then(Event::person);
                let other = [target_person.as_ref(), replacement_person]
                    .into_iter()
                    .flatten()
                    .find(|p| **p != person)
                    .cloned();
                (replacement_person == Some(&person), other)
            }
            _ => (true, moved_to.get(&e.hash()).cloned()),
        };
        let open: Vec<Slot> = slots
            .iter()
            .filter(|(s, c)| matches!(c, SlotContent::Committed(_)) && !erased.contains(s))
            .filter(|(s, _)| s.part == PART_EVENT || replacement)
            .map(|(s, _)| *s)
            .collect();
        if !open.is_empty() {
            planned.push(Planned {
                person: person.clone(),
                with,
                seq: e.seq(),
                hash: e.hash(),
                kind: e.event().inner().type_name(),
                slots: open,
            });
        }
    }
    let cannot = format!(
        "{} about {person} {} personal data in its signed bytes, which cannot be erased: see docs/design/format-v3.md §9",
        count(legacy as usize, "version 1 or 2 entry", "version 1 or 2 entries"),
        if legacy == 1 { "holds" } else { "each hold" }
    );
    if planned.is_empty() {
        let why = if legacy > 0 {
            format!("; {cannot}")
        } else {
            String::new()
        };
        return Err(refused(anyhow::anyhow!(
            "nothing to erase: no entry about {person} holds a committed field that is not redacted already{why}; nothing was erased"
        )));
    }
    if legacy > 0 {
        crate::exit::warn(&cannot);
    }
    Ok((person, planned))
}

/// Refuses a reason that contains a value it erases (against the
/// disclosures the store holds; compared as [`reason::repeats`] does:
/// without regard to case, spacing or Unicode form, a date in its common
/// written forms). The message names the field, never the value.
fn check_reason(ledger: &Ledger, reason: &str, planned: &[Planned]) -> Result<(), Failure> {
    for p in planned {
        for d in ledger.disclosures(p.seq)? {
            if !p.slots.contains(&d.slot) {
                continue;
            }
            if reason::repeats(reason, &d.value) {
                return Err(refused(with_advice(
                    format!(
                        "--reason contains the value of {} of entry {} ({}), which this redaction erases; nothing was erased",
                        d.slot, p.seq, p.kind
                    ),
                    Some("the reason is kept in clear in the ledger forever: say why without the value (\"erasure request of 2026-11-02\", \"witness at risk\")"),
                )));
            }
        }
    }
    Ok(())
}

/// The redaction events that erase `planned`: one group per (stream,
/// other bundle) of [`Planned`], each with items ascending by target, at
/// most 1,024 items a redaction and 128 slots an item (an entry with more
/// slots is named again in a later redaction).
fn redactions(reason: &str, planned: &[Planned]) -> Vec<Event> {
    let mut groups: BTreeMap<(&PersonId, Option<&PersonId>), Vec<&Planned>> = BTreeMap::new();
    for p in planned {
        groups
            .entry((&p.person, p.with.as_ref()))
            .or_default()
            .push(p);
    }
    let mut events = Vec::new();
    for ((person, _), group) in groups {
        // Round r holds each entry's r-th run of at most 128 slots.
        let mut rounds: Vec<BTreeMap<EntryHash, Vec<Slot>>> = Vec::new();
        for p in group {
            for (r, run) in p.slots.chunks(MAX_REDACTED_SLOTS).enumerate() {
                if rounds.len() <= r {
                    rounds.push(BTreeMap::new());
                }
                rounds[r].insert(p.hash, run.to_vec());
            }
        }
        for round in rounds {
            let items: Vec<RedactedItem> = round
                .into_iter()
                .map(|(target, slots)| RedactedItem { target, slots })
                .collect();
            for chunk in items.chunks(MAX_REDACTED_ITEMS) {
                events.push(Event::Redaction(Redaction {
                    person: person.clone(),
                    items: chunk.to_vec(),
                    reason: reason.to_string(),
                }));
            }
        }
    }
    events
}

/// What a refused redaction means for the person running the command.
fn append_failure(e: AppendError) -> Failure {
    match &e {
        AppendError::Refused {
            reason: Refusal::Rule(Breach::Authority(a)),
            ..
        } => {
            let advice = match a {
                AuthError::UnknownKey(_) => "only an authority of this ledger may erase personal data: sign with its authority key (`custody key list` shows who holds `authority`)",
                _ => "only an authority may erase personal data: sign with a key that holds `authority` and is not revoked (`custody key list` shows them)",
            };
            refused(with_advice(
                format!("the redaction was refused: {a}; nothing was erased"),
                Some(advice),
            ))
        }
        AppendError::Refused { reason, .. } => refused(anyhow::anyhow!(
            "the redaction was refused: {reason}; nothing was erased"
        )),
        _ => Failure::from(e).context("nothing was erased"),
    }
}

/// Runs `redact`.
pub(crate) fn run(ctx: &Context, args: RedactArgs) -> CmdResult {
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(env(anyhow::anyhow!(
            "--reason: say why the data is erased (it is kept in the ledger, in clear)"
        )));
    }
    // The plan is made under the write lock, so nothing can change between
    // the checks and the commit (a dry run takes no lock).
    let mut ledger = if args.dry_run {
        ctx.open_read_only()?
    } else {
        ctx.open()?
    };
    let (person, planned) = match (&args.entry, &args.person) {
        (Some(entry), _) => plan_entry(&ledger, entry, &args.field)?,
        (None, Some(p)) => plan_person(&ledger, p)?,
        (None, None) => {
            return Err(env(anyhow::anyhow!(
                "give --entry HASH --field NAME, or --person P"
            )))
        }
    };
    check_reason(&ledger, reason, &planned)?;
    let events = redactions(reason, &planned);
    let slots: usize = planned.iter().map(|p| p.slots.len()).sum();
    let key = args
        .key
        .as_deref()
        .map(crate::cmd::key::signing_key)
        .transpose()?;
    if args.dry_run {
        if let Some(key) = &key {
            for event in &events {
                if let Err(reason) = ledger.precheck(event, key)? {
                    return Err(append_failure(AppendError::Refused { index: 0, reason }));
                }
            }
        }
        print_plan(ctx, &person, &planned, events.len(), slots);
        return Ok(());
    }
    let key = key.ok_or_else(|| env(anyhow::anyhow!("--key: give the authority's private key")))?;
    let appended = ledger.append(events, &key).map_err(append_failure)?;
    if ctx.json {
        print_json(&json!({
            "person": person.as_str(),
            "redactions": appended.iter().map(|a| json!({"seq": a.seq, "hash": a.hash})).collect::<Vec<_>>(),
            "entries": planned.len(),
            "slots_erased": slots,
        }));
    } else {
        for a in &appended {
            println!("{} {}", a.seq, a.hash);
        }
        println!(
            "erased {} of {} about {person}",
            count(slots, "field", "fields"),
            count(planned.len(), "entry", "entries"),
        );
    }
    if args.compact {
        drop(ledger);
        crate::cmd::compact::run(ctx).map_err(|f| {
            f.context("the redaction is recorded and the values are gone from the live store, but the compaction failed: run `custody compact`")
        })?;
        crate::exit::warn(
            "the values are gone from the store, but every backup and export taken before still holds them (docs/ARCHITECTURE.md, \"Erasure\")",
        );
    } else {
        crate::exit::warn(
            "the values are gone from the live store, but their bytes remain in the store file's free pages until `custody compact` (or `redact --compact`), and in every backup and export taken before (docs/ARCHITECTURE.md, \"Erasure\")",
        );
    }
    Ok(())
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `--dry-run`: what would be erased, entry by entry (fields, never
/// values).
fn print_plan(ctx: &Context, person: &PersonId, planned: &[Planned], events: usize, slots: usize) {
    if ctx.json {
        print_json(&json!({
            "dry_run": true,
            "person": person.as_str(),
            "entries": planned.iter().map(|p| json!({
                "seq": p.seq,
                "hash": p.hash,
                "type": p.kind,
                "fields": p.slots.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "slots": slots,
            "redactions": events,
        }));
        return;
    }
    for p in planned {
        let fields: Vec<String> = p.slots.iter().map(ToString::to_string).collect();
        println!(
            "seq {} {} ({}…): {}",
            p.seq,
            p.kind,
            &p.hash.to_hex()[..16],
            fields.join(", ")
        );
    }
    println!(
        "would erase {} of {} about {person} in {}; nothing was written (--dry-run)",
        count(slots, "field", "fields"),
        count(planned.len(), "entry", "entries"),
        count(events, "redaction entry", "redaction entries"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use custody_format::commit::{CODE_NAME, CODE_PLACE};

    fn one(name: &str) -> Slot {
        match parse_field(name) {
            Ok(FieldSpec::One(slot)) => slot,
            _ => panic!("{name} names one slot"),
        }
    }

    #[test]
    fn field_names_name_their_slots() {
        assert_eq!(one("name"), Slot::new(PART_EVENT, CODE_NAME));
        assert_eq!(one(" place "), Slot::new(PART_EVENT, CODE_PLACE));
        assert_eq!(
            one("replacement.place"),
            Slot::new(PART_REPLACEMENT, CODE_PLACE)
        );
        let d2 = Slot {
            part: PART_EVENT,
            code: CODE_DESCRIPTION,
            index: 2,
        };
        assert_eq!(one("description[2]"), d2);
        // As `verify` and history name it.
        assert_eq!(one("attachments[2].description"), d2);
        assert_eq!(one(&d2.to_string()), d2);
        assert!(matches!(
            parse_field("replacement.description"),
            Ok(FieldSpec::Descriptions(PART_REPLACEMENT))
        ));
        // Refused: an unknown name, a bad index, an index past the limit,
        // an index on a field that has none.
        for bad in [
            "shoe_size",
            "description[x]",
            "description[64]",
            "name[1]",
            "replacement.",
        ] {
            assert!(parse_field(bad).is_err(), "{bad}");
        }
    }
}
