//! Which disclosures leave the store: export profiles (design
//! docs/design/format-v3.md §7 "Profiles").
//!
//! A format v3 entry's signed bytes hold commitments; the cleartext of each
//! personal field travels beside it as a disclosure, and any subset of
//! them verifies. Which subset an export or a bundle carries is the
//! exporter's choice, made here and nowhere else: `custody export` (the
//! whole ledger and a person's bundle) asks a [`Selection`] about every
//! disclosure before it serializes anything, and `custody serve` cuts every
//! read of a reader token to the token's profile through the same
//! selection (and [`Profile::withhold_from_status`] for statuses).
//!
//! A selection is a [`Profile`] over the field classes of design §2.3
//! (`court`: all; `family`: identity, place, official; `public`: none),
//! adjusted by `--disclose` and `--withhold` [`FieldSpec`]s. When several
//! apply to one slot, the most specific wins (`SEQ:FIELD` over a field
//! name over a class over the profile), and at equal specificity
//! withholding wins: a reader never gets more than the operator asked for
//! by the narrower rule.
//!
//! A version 1 or 2 entry holds its personal fields in its signed bytes: no
//! selection can withhold them. [`Tally::cleartext_entries`] counts the
//! entries whose cleartext a selection would have withheld, for the
//! exporter to warn about (design §9).

use crate::projection::{FieldRef, PersonStatus};
use custody_format::commit::{
    class_of, field_named, Disclosure, FieldClass, PersonalRef, Slot, CODE_DESCRIPTION, PART_EVENT,
    PART_REPLACEMENT,
};
use custody_format::entry::{SignedEntry, VERSION_3};
use custody_format::event::Event;
use std::collections::BTreeSet;
use std::fmt;

/// The field classes, by the names the CLI takes.
const CLASSES: [(&str, FieldClass); 5] = [
    ("identity", FieldClass::Identity),
    ("place", FieldClass::Place),
    ("official", FieldClass::Official),
    ("narrative", FieldClass::Narrative),
    ("witness", FieldClass::Witness),
];

/// A named cut of the disclosures (design §7's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Profile {
    /// Every disclosure the store holds: a prosecutor, a court.
    #[default]
    Court,
    /// Identity, place and official classes: a family or its lawyer. No
    /// witness class, and no narrative class (free text can name anyone;
    /// the operator adds reviewed narrative fields with `SEQ:FIELD`).
    Family,
    /// No disclosure at all: mirrors, tiles, publication.
    Public,
}

impl Profile {
    /// Every profile, widest first.
    pub const ALL: [Profile; 3] = [Profile::Court, Profile::Family, Profile::Public];

    /// Its name on the command line and in token records.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Court => "court",
            Profile::Family => "family",
            Profile::Public => "public",
        }
    }

    /// The profile named `name`.
    pub fn named(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the profile discloses fields of `class`.
    pub fn discloses(self, class: FieldClass) -> bool {
        match self {
            Profile::Court => true,
            Profile::Family => matches!(
                class,
                FieldClass::Identity | FieldClass::Place | FieldClass::Official
            ),
            Profile::Public => false,
        }
    }
}

/// The personal values a status can show (`PersonStatus::resolve_committed`'s
/// keys), each with its field class (design §2.3: a name is identity, a
/// place is a place in every event that gives one) and the fact under which
/// the status cites its entry.
const STATUS_VALUES: [(&str, FieldClass, &str); 3] = [
    ("name", FieldClass::Identity, "name"),
    ("last_seen.place", FieldClass::Place, "last_seen"),
    (
        "last_known_place.place",
        FieldClass::Place,
        "last_known_place",
    ),
];

impl Profile {
    /// Removes from `st` every personal value this profile does not
    /// disclose: a reader under it sees the status as if the store held
    /// no disclosure of that class (`custody serve` reads each token's
    /// profile through this).
    ///
    /// A value is withheld whatever the format of its entry: a version 1
    /// or 2 entry's cleartext (which no bundle can withhold) is removed
    /// from the status all the same. Each value removed is listed in
    /// [`PersonStatus::committed`] with the entry the status cites for
    /// it, as a value no disclosure opened is: withheld, never silently
    /// absent.
    pub fn withhold_from_status(self, st: &mut PersonStatus) {
        for (key, class, fact) in STATUS_VALUES {
            if self.discloses(class) {
                continue;
            }
            let (value, field) = match key {
                "name" => (st.name.take(), "name"),
                "last_seen.place" => (st.last_seen.as_mut().and_then(|l| l.place.take()), "place"),
                _ => match st.last_known_place.as_mut() {
                    Some(l) => {
                        // A missing report names where the person was last
                        // seen free; every other event its own place.
                        let field = if l.by == "missing_report" {
                            "last_seen_place"
                        } else {
                            "place"
                        };
                        (l.place.take(), field)
                    }
                    None => (None, "place"),
                },
            };
            if value.is_none() || st.committed.contains_key(key) {
                continue;
            }
            if let Some(cite) = st.evidence.get(fact).and_then(|c| c.first()) {
                st.committed.insert(
                    key.to_string(),
                    FieldRef {
                        seq: cite.seq,
                        hash: cite.hash,
                        field: field.to_string(),
                    },
                );
            }
        }
    }
}

/// What a `--disclose` or `--withhold` names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// Every field of a class (`witness`, `class:place`).
    Class(FieldClass),
    /// Every slot of a field, in any entry (`notes`).
    Field(u16),
    /// One entry's field: every slot of that code (`12:notes`), or one
    /// exact slot (`12:replacement.place`, `12:attachments[0].description`).
    Entry {
        seq: u64,
        code: u16,
        exact: Option<Slot>,
    },
}

/// One `--disclose` or `--withhold` argument: a field name (`notes`), a
/// class name (`witness`; `class:NAME` for `place`, which is also a
/// field), or one entry's field (`SEQ:FIELD`, FIELD a name or a slot as
/// `verify` prints it: `replacement.place`, `attachments[0].description`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    text: String,
    target: Target,
}

/// Why a `--disclose` or `--withhold` argument names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(String);

impl fmt::Display for FieldSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn class_named(name: &str) -> Option<FieldClass> {
    CLASSES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

fn names_hint() -> String {
    let fields: Vec<&str> = custody_format::commit::FIELDS
        .iter()
        .map(|f| f.name)
        .collect();
    let classes: Vec<&str> = CLASSES.iter().map(|(n, _)| *n).collect();
    format!(
        "a field ({}), a class ({}), or SEQ:FIELD",
        fields.join(", "),
        classes.join(", ")
    )
}

/// The slot `text` names within one entry: a field name (the entry's own
/// field, every attachment's for `description`: `None`; a correction's
/// replacement is named `replacement.FIELD`, as `verify` prints it, so a
/// bare name never reaches it) or a slot as [`Slot`]'s `Display` writes it.
fn entry_field(text: &str) -> Option<(u16, Option<Slot>)> {
    if let Some(f) = field_named(text) {
        return Some((f.code, None));
    }
    let (part, rest) = match text.strip_prefix("replacement.") {
        Some(rest) => (PART_REPLACEMENT, rest),
        None => (PART_EVENT, text),
    };
    if let Some(f) = field_named(rest) {
        return Some((f.code, Some(Slot::new(part, f.code))));
    }
    let index = rest
        .strip_prefix("attachments[")?
        .strip_suffix("].description")?;
    let index: u16 = index.parse().ok()?;
    let slot = Slot {
        part,
        code: CODE_DESCRIPTION,
        index,
    };
    slot.check().ok()?;
    Some((CODE_DESCRIPTION, Some(slot)))
}

impl std::str::FromStr for FieldSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<FieldSpec, SpecError> {
        let target = if let Some(name) = text.strip_prefix("class:") {
            Target::Class(class_named(name).ok_or_else(|| {
                SpecError(format!(
                    "{text:?}: {name:?} is not a class; the classes are {}",
                    CLASSES.map(|(n, _)| n).join(", ")
                ))
            })?)
        } else if let Some((seq, field)) = text.split_once(':') {
            let seq: u64 = seq.parse().map_err(|_| {
                SpecError(format!(
                    "{text:?}: {seq:?} is not an entry's seq (SEQ:FIELD, e.g. 12:notes)"
                ))
            })?;
            let (code, exact) = entry_field(field).ok_or_else(|| {
                SpecError(format!(
                    "{text:?}: {field:?} is not a field (a name such as notes, or replacement.place, attachments[0].description)"
                ))
            })?;
            Target::Entry { seq, code, exact }
        } else if let Some(f) = field_named(text) {
            // A name that is a field and a class (`place`) is the field:
            // the narrower reading. `class:place` is the class.
            Target::Field(f.code)
        } else if let Some(c) = class_named(text) {
            Target::Class(c)
        } else {
            return Err(SpecError(format!(
                "{text:?} names nothing; give {}",
                names_hint()
            )));
        };
        Ok(FieldSpec {
            text: text.to_string(),
            target,
        })
    }
}

/// The event type whose class table applies to `slot` of `event`: the
/// event's own (a statement's inner event's), or a correction's
/// replacement's for part 1.
fn type_of_part(event: &Event, part: u8) -> &'static str {
    let inner = event.inner();
    match (inner, part) {
        (Event::Correction(c), PART_REPLACEMENT) => c
            .replacement
            .as_deref()
            .map_or("correction", |r| r.inner().type_name()),
        _ => inner.type_name(),
    }
}

/// The class of `slot` in `event` (design §2.3).
pub fn class_of_slot(event: &Event, slot: Slot) -> Option<FieldClass> {
    class_of(type_of_part(event, slot.part), slot.code)
}

impl FieldSpec {
    /// How specific a match is (higher wins), if the spec names `slot` of
    /// entry `seq`.
    fn matches(&self, seq: u64, class: Option<FieldClass>, slot: Slot) -> Option<u8> {
        match &self.target {
            Target::Class(c) => (class == Some(*c)).then_some(1),
            Target::Field(code) => (*code == slot.code).then_some(2),
            Target::Entry {
                seq: s,
                code,
                exact,
            } => (*s == seq
                && *code == slot.code
                && exact.map_or(slot.part == PART_EVENT, |e| e == slot))
            .then_some(3),
        }
    }
}

/// A profile and its adjustments: which disclosures an export carries.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    profile: Profile,
    disclose: Vec<FieldSpec>,
    withhold: Vec<FieldSpec>,
}

/// What a selection did over an export: how many disclosures it kept and
/// withheld, and how many v1/v2 entries hold cleartext it would have
/// withheld.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Disclosures carried.
    pub kept: u64,
    /// Disclosures the store holds that were left out.
    pub withheld: u64,
    /// Version 1 or 2 entries carrying, in their signed bytes, a personal
    /// field the selection withholds from version 3 entries.
    pub cleartext_entries: u64,
    /// The `SEQ:FIELD` specs (by text) that named a field present in an
    /// entry of the export.
    matched: BTreeSet<String>,
}

impl Selection {
    /// `profile`, unadjusted.
    pub fn new(profile: Profile) -> Selection {
        Selection {
            profile,
            ..Selection::default()
        }
    }

    /// Everything the store holds (`court`, unadjusted).
    pub fn court() -> Selection {
        Selection::new(Profile::Court)
    }

    /// Adds `--disclose` and `--withhold` adjustments.
    pub fn adjusted(mut self, disclose: Vec<FieldSpec>, withhold: Vec<FieldSpec>) -> Selection {
        self.disclose.extend(disclose);
        self.withhold.extend(withhold);
        self
    }

    /// The profile adjusted.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Whether the selection carries every disclosure there is.
    pub fn is_everything(&self) -> bool {
        self.profile == Profile::Court && self.withhold.is_empty()
    }

    /// Whether `slot` of `event` (entry `seq`) is disclosed.
    pub fn keeps(&self, seq: u64, event: &Event, slot: Slot) -> bool {
        let class = class_of_slot(event, slot);
        let best = |specs: &[FieldSpec]| {
            specs
                .iter()
                .filter_map(|s| s.matches(seq, class, slot))
                .max()
        };
        match (best(&self.disclose), best(&self.withhold)) {
            // Withholding wins a tie.
            (Some(d), Some(w)) => d > w,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => class.is_some_and(|c| self.profile.discloses(c)),
        }
    }

    /// The disclosures of `entry` (all those the store holds: `held`) that
    /// the export carries, counted in `tally`; for a v1/v2 entry, counts
    /// it in [`Tally::cleartext_entries`] if it holds a personal field in
    /// clear that this selection withholds.
    pub fn select(
        &self,
        entry: &SignedEntry,
        held: Vec<Disclosure>,
        tally: &mut Tally,
    ) -> Vec<Disclosure> {
        let seq = entry.seq();
        let event = entry.event();
        self.note_entry_specs(seq, event, tally);
        if entry.body().version < VERSION_3 {
            if !self.is_everything() && self.withholds_present_field(seq, event) {
                tally.cleartext_entries += 1;
            }
            return held;
        }
        let (kept, withheld): (Vec<_>, Vec<_>) = held
            .into_iter()
            .partition(|d| self.keeps(seq, event, d.slot));
        tally.kept += kept.len() as u64;
        tally.withheld += withheld.len() as u64;
        kept
    }

    fn withholds_present_field(&self, seq: u64, event: &Event) -> bool {
        let mut any = false;
        event.visit_personal(PART_EVENT, &mut |slot, field| {
            let present = match field {
                PersonalRef::Text(t) => t.is_some(),
                PersonalRef::Date(d) => d.is_some(),
            };
            any |= present && !self.keeps(seq, event, slot);
        });
        any
    }

    /// Records which `SEQ:FIELD` specs name a field present in entry `seq`.
    fn note_entry_specs(&self, seq: u64, event: &Event, tally: &mut Tally) {
        let specs = self.disclose.iter().chain(&self.withhold);
        let named: Vec<&FieldSpec> = specs
            .filter(|s| matches!(s.target, Target::Entry { seq: s2, .. } if s2 == seq))
            .collect();
        if named.is_empty() {
            return;
        }
        event.visit_personal(PART_EVENT, &mut |slot, field| {
            let present = match field {
                PersonalRef::Text(t) => t.is_some(),
                PersonalRef::Date(d) => d.is_some(),
            };
            for s in &named {
                if present && s.matches(seq, None, slot).is_some() {
                    tally.matched.insert(s.text.clone());
                }
            }
        });
    }

    /// The `SEQ:FIELD` specs that named no field of any entry the export
    /// carried (a wrong seq, or a field that entry lacks): the exporter
    /// refuses them rather than let a typo disclose or keep the wrong
    /// thing.
    pub fn unmatched(&self, tally: &Tally) -> Vec<String> {
        self.disclose
            .iter()
            .chain(&self.withhold)
            .filter(|s| matches!(s.target, Target::Entry { .. }))
            .filter(|s| !tally.matched.contains(&s.text))
            .map(|s| s.text.clone())
            .collect()
    }

    /// The seqs the `SEQ:FIELD` specs name, for an exporter that checks
    /// them before it streams (the whole-ledger export).
    pub fn named_seqs(&self) -> BTreeSet<u64> {
        self.disclose
            .iter()
            .chain(&self.withhold)
            .filter_map(|s| match s.target {
                Target::Entry { seq, .. } => Some(seq),
                _ => None,
            })
            .collect()
    }

    /// Records the `SEQ:FIELD` specs `entry` satisfies, without selecting
    /// anything (the pre-check of [`Selection::named_seqs`]).
    pub fn note_specs(&self, entry: &SignedEntry, tally: &mut Tally) {
        self.note_entry_specs(entry.seq(), entry.event(), tally);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custody_format::commit::{
        CODE_BY, CODE_NAME, CODE_NOTES, CODE_PLACE, CODE_REASON, CODE_TO, CODE_WITNESSES,
    };

    fn spec(s: &str) -> FieldSpec {
        s.parse().unwrap()
    }

    fn event(json: serde_json::Value) -> Event {
        crate::input::event_from_value(json).unwrap()
    }

    #[test]
    fn specs_parse_and_bad_ones_say_what_is_allowed() {
        assert_eq!(spec("notes").target, Target::Field(CODE_NOTES));
        assert_eq!(spec("place").target, Target::Field(CODE_PLACE));
        assert_eq!(spec("class:place").target, Target::Class(FieldClass::Place));
        assert_eq!(spec("witness").target, Target::Class(FieldClass::Witness));
        assert_eq!(
            spec("12:notes").target,
            Target::Entry {
                seq: 12,
                code: CODE_NOTES,
                exact: None
            }
        );
        assert_eq!(
            spec("3:replacement.place").target,
            Target::Entry {
                seq: 3,
                code: CODE_PLACE,
                exact: Some(Slot::new(PART_REPLACEMENT, CODE_PLACE))
            }
        );
        assert_eq!(
            spec("3:attachments[2].description").target,
            Target::Entry {
                seq: 3,
                code: CODE_DESCRIPTION,
                exact: Some(Slot {
                    part: 0,
                    code: CODE_DESCRIPTION,
                    index: 2
                })
            }
        );
        for bad in [
            "note",
            "class:notes",
            "x:notes",
            "3:nope",
            "3:attachments[99].description",
            "",
        ] {
            let e = bad.parse::<FieldSpec>().unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        assert!("note"
            .parse::<FieldSpec>()
            .unwrap_err()
            .to_string()
            .contains("witness"));
    }

    #[test]
    fn profiles_follow_the_class_table() {
        let capture = event(serde_json::json!({
            "type": "capture", "person": "P-1", "occurred_at": "2024",
            "place": "Mariupol", "notes": "n", "witnesses": "w"
        }));
        let family = Selection::new(Profile::Family);
        assert!(family.keeps(1, &capture, Slot::new(0, CODE_PLACE)));
        assert!(!family.keeps(1, &capture, Slot::new(0, CODE_NOTES)));
        assert!(!family.keeps(1, &capture, Slot::new(0, CODE_WITNESSES)));
        assert!(family.keeps(1, &capture, Slot::new(0, CODE_NAME)));
        let public = Selection::new(Profile::Public);
        assert!(!public.keeps(1, &capture, Slot::new(0, CODE_PLACE)));
        assert!(Selection::court().keeps(1, &capture, Slot::new(0, CODE_WITNESSES)));
        // `by` is official in a denial, a witness in an inquiry.
        let denial = event(serde_json::json!({
            "type": "denial", "person": "P-1", "occurred_at": "2024", "by": "the ministry"
        }));
        let inquiry = event(serde_json::json!({
            "type": "inquiry", "person": "P-1", "occurred_at": "2024",
            "by": "a mother", "to": "the ministry"
        }));
        assert!(family.keeps(1, &denial, Slot::new(0, CODE_BY)));
        assert!(!family.keeps(1, &inquiry, Slot::new(0, CODE_BY)));
    }

    #[test]
    fn the_most_specific_rule_wins_and_withholding_wins_a_tie() {
        let capture = event(serde_json::json!({
            "type": "capture", "person": "P-1", "occurred_at": "2024",
            "place": "Mariupol", "notes": "n"
        }));
        let notes = Slot::new(0, CODE_NOTES);
        let place = Slot::new(0, CODE_PLACE);
        let s = Selection::new(Profile::Family).adjusted(vec![spec("7:notes")], vec![]);
        assert!(s.keeps(7, &capture, notes));
        assert!(!s.keeps(8, &capture, notes));
        let s = Selection::court().adjusted(vec![spec("7:notes")], vec![spec("narrative")]);
        assert!(s.keeps(7, &capture, notes));
        assert!(!s.keeps(8, &capture, notes));
        let s = Selection::court().adjusted(vec![spec("notes")], vec![spec("notes")]);
        assert!(!s.keeps(7, &capture, notes));
        let s = Selection::new(Profile::Family).adjusted(vec![], vec![spec("place")]);
        assert!(!s.keeps(7, &capture, place));
        let s = Selection::court().adjusted(vec![spec("place")], vec![spec("class:place")]);
        assert!(
            s.keeps(7, &capture, place),
            "a field is more specific than its class"
        );
    }

    #[test]
    fn a_replacement_takes_its_own_events_classes() {
        let correction = event(serde_json::json!({
            "type": "correction", "target": "ab".repeat(32), "reason": "misfiled",
            "replacement": {"type": "transfer", "person": "P-1", "occurred_at": "2024", "to": "Olenivka", "source": "official"}
        }));
        let family = Selection::new(Profile::Family);
        // A transfer's `to` is a place; an inquiry's would be official.
        assert_eq!(
            class_of_slot(&correction, Slot::new(PART_REPLACEMENT, CODE_TO)),
            Some(FieldClass::Place)
        );
        // The correction's reason is narrative.
        assert!(!family.keeps(1, &correction, Slot::new(PART_EVENT, CODE_REASON)));
    }

    /// `SEQ:FIELD` discloses the field `verify` prints under that name: a
    /// bare name is the entry's own field, never its replacement's.
    #[test]
    fn a_bare_seq_field_never_reaches_a_replacement() {
        let correction = event(serde_json::json!({
            "type": "correction", "target": "ab".repeat(32), "reason": "misfiled",
            "replacement": {"type": "capture", "person": "P-1", "occurred_at": "2024", "notes": "n"}
        }));
        let notes = Slot::new(PART_REPLACEMENT, CODE_NOTES);
        let bare = Selection::new(Profile::Family).adjusted(vec![spec("7:notes")], vec![]);
        assert!(!bare.keeps(7, &correction, notes));
        let named =
            Selection::new(Profile::Family).adjusted(vec![spec("7:replacement.notes")], vec![]);
        assert!(named.keeps(7, &correction, notes));
    }

    /// A status over cleartext (v2-shaped) events: family keeps the name
    /// and the places, public none of them, and each one withheld is
    /// listed as committed at the entry that gave it.
    #[test]
    fn a_status_shows_only_what_the_profile_discloses() {
        use crate::projection::{project, ProjectedEntry};
        use custody_format::event::{EntryHash, PersonId};
        use custody_format::time::Timestamp;
        let events = [
            serde_json::json!({"type": "missing_report", "person": "P-1", "occurred_at": "2024-02-20",
                "category": "civilian", "name": "Olena", "last_seen_place": "Vodiane"}),
            serde_json::json!({"type": "capture", "person": "P-1", "occurred_at": "2024-03-01",
                "place": "Olenivka", "witnesses": "Petro"}),
        ];
        let entries: Vec<ProjectedEntry> = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| ProjectedEntry {
                seq: 10 + i as u64,
                hash: EntryHash([i as u8 + 1; 32]),
                recorded_at: Timestamp(1_710_000_000_000_000),
                event: event(e),
            })
            .collect();
        let person = PersonId::new("P-1").unwrap();
        let now = Timestamp(1_720_000_000_000_000);
        let full = project(&person, &entries, None, None, now).unwrap();
        assert_eq!(full.name.as_deref(), Some("Olena"));
        assert!(full.committed.is_empty());

        for profile in [Profile::Court, Profile::Family] {
            let mut st = full.clone();
            profile.withhold_from_status(&mut st);
            assert_eq!(st, full, "{profile:?} discloses names and places");
        }
        let mut public = full.clone();
        Profile::Public.withhold_from_status(&mut public);
        let text = serde_json::to_string(&public).unwrap();
        for value in ["Olena", "Vodiane", "Olenivka", "Petro"] {
            assert!(!text.contains(value), "{value} in {text}");
        }
        assert_eq!(public.name, None);
        assert_eq!(public.last_seen.as_ref().unwrap().place, None);
        assert_eq!(public.last_known_place.as_ref().unwrap().place, None);
        let at = |k: &str| {
            let r = &public.committed[k];
            (r.seq, r.field.as_str())
        };
        assert_eq!(at("name"), (10, "name"));
        assert_eq!(at("last_seen.place"), (11, "place"));
        assert_eq!(at("last_known_place.place"), (11, "place"));
        // Everything else is the status as it was.
        let mut back = public.clone();
        back.name.clone_from(&full.name);
        back.last_seen.clone_from(&full.last_seen);
        back.last_known_place.clone_from(&full.last_known_place);
        back.committed.clear();
        assert_eq!(back, full);
    }
}
