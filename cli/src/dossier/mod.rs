//! The court-ready dossier of one person: a model built once from a
//! *verified* evidence bundle ([`Dossier::build`]), rendered as Markdown
//! ([`markdown`]), self-contained print-ready HTML with an SVG timeline
//! ([`html`], [`timeline`]) or JSON ([`json`]).
//!
//! Everything the dossier says comes from the bundle's verified entries and
//! nothing else: the status and the legal clock are the ledger's own
//! projection (`custody_ledger::projection::project`) run on them, the
//! signers' holders and roles are replayed from the bundle's governance
//! entries, and the bundle's SHA-256 is of the very bytes that were
//! verified. So a prosecutor holding only the bundle gets the same dossier
//! as the ledger's operator.
//!
//! The model holds facts and enum values; its words (verdict, status,
//! labels, meanings, glossary, timeline labels) are put in by
//! [`Dossier::localize`] from the catalogs of `crate::i18n`, in one
//! language at a time, so a web view can render the same model in English
//! or in Ukrainian. Evidence typed by investigators is never translated.
//!
//! The renderers hold no CLI concerns (no store, no arguments, no exit
//! codes): the HTML and the timeline are meant to be served by a web view
//! too. Every string an entry carries is untrusted; each renderer escapes it
//! for its medium (see `crate::escape`, and maud's escaping for HTML).

pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod signature;
pub(crate) mod timeline;

mod words;

use crate::i18n::Lang;
use custody_format::commit::{
    field_named, DisclosedValue, Disclosure, Slot, CODE_BY, CODE_DESCRIPTION, CODE_REASON,
    PART_EVENT, PART_REPLACEMENT,
};
use custody_format::entry::SignedEntry;
use custody_format::event::{EntryHash, Event, PublicKeyBytes, Role};
use custody_format::registry::KeyRegistry;
use custody_format::time::{OccurredAt, Timestamp};
use custody_ledger::projection::{project, PersonStatus, ProjectedEntry};
use custody_verifier::bundle::{BundleEntry, Completeness, VerifiedBundle};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The JSON dossier's format id.
pub(crate) const DOSSIER_FORMAT: &str = "custody-dossier/1";

/// Where the verified bundle came from, and how its authority was trusted.
pub(crate) struct Provenance {
    /// The bundle's file, or the store's directory it was built from (see
    /// [`AuthorityCheck::Store`]).
    pub source: String,
    /// How the genesis authority was checked (see [`AuthorityCheck`]).
    pub authority: AuthorityCheck,
}

/// How the bundle's genesis authority key was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AuthorityCheck {
    /// It matched the key given with `--authority`.
    Pinned,
    /// The bundle was made from the operator's own store: its genesis.
    Store,
    /// Nobody checked it: the reader must compare it with the key the
    /// authority gave them.
    NotPinned,
}

/// The two time cuts (as `custody status` reads them).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct Cut {
    /// The state of the world at this time.
    pub as_of: Option<Timestamp>,
    /// What the ledger had recorded by this time.
    pub known_at: Option<Timestamp>,
}

impl Cut {
    fn keeps(&self, e: &SignedEntry) -> bool {
        self.known_at.is_none_or(|t| e.body().recorded_at <= t)
            && self.as_of.is_none_or(|t| {
                e.event()
                    .occurred_at()
                    .is_none_or(|at| at.start_micros() <= t.0)
            })
    }
}

/// One field of an event, as shown.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Field {
    /// Its name in the entry (JSON key).
    pub name: String,
    /// Its label for a reader.
    pub label: String,
    /// Its value as text (untrusted), or a yes/no in words.
    pub value: String,
    /// For a true/false field: its value, which [`Dossier::localize`] puts
    /// in words.
    #[serde(skip)]
    pub yes_no: Option<bool>,
    /// For a field whose value is one of the format's vocabulary
    /// (`military`, `returned_pow`): that value in words, where the
    /// language's words differ from it. `value` keeps the enum value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_words: Option<String>,
    /// Format v3: a field no disclosure of the bundle opens and no
    /// redaction erased (the exporter withheld it): `value` is the word for
    /// it, which [`Dossier::localize`] puts in.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
    /// Format v3: the redaction in the bundle that erased this field (its
    /// `value` is then that fact in words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<RedactionMark>,
}

/// A redaction the bundle carries that erased a field: by which entry,
/// whose key, and why (its reason is in clear in the signed redaction).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RedactionMark {
    pub by_seq: u64,
    pub by_holder: String,
    pub reason: String,
}

/// Every field a redaction in the bundle erased: by entry hash, the slot
/// and the redaction.
type Redactions = HashMap<EntryHash, Vec<(Slot, RedactionMark)>>;

/// The redactions of a bundle (those in the person's stream, so every one
/// about the person, and those of another person's stream that erased
/// fields of the bundle's entries, design §7), by the entry they erased
/// fields of.
fn bundle_redactions(b: &VerifiedBundle, signers: &Signers) -> Redactions {
    let mut out: Redactions = HashMap::new();
    for be in &b.entries {
        let Event::Redaction(r) = be.entry.event() else {
            continue;
        };
        let seq = be.entry.seq();
        let holder = signers
            .at
            .get(&seq)
            .map(|(h, _)| h.clone())
            .unwrap_or_default();
        for item in &r.items {
            for slot in &item.slots {
                out.entry(item.target).or_default().push((
                    *slot,
                    RedactionMark {
                        by_seq: seq,
                        by_holder: holder.clone(),
                        reason: r.reason.clone(),
                    },
                ));
            }
        }
    }
    out
}

/// The redactions of one entry's part (the event, or a correction's
/// replacement), for [`content`].
#[derive(Clone, Copy)]
pub(crate) struct Erased<'a> {
    marks: &'a [(Slot, RedactionMark)],
    part: u8,
}

impl Erased<'_> {
    fn of(&self, code: u16, index: u16) -> Option<RedactionMark> {
        let slot = Slot {
            part: self.part,
            code,
            index,
        };
        self.marks
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, m)| m.clone())
    }
}

impl Field {
    /// The value as a reader sees it: the vocabulary's words with the enum
    /// value beside them, or the value as recorded.
    pub(crate) fn shown(&self) -> std::borrow::Cow<'_, str> {
        match &self.value_words {
            Some(w) => format!("{w} ({})", self.value).into(),
            None => self.value.as_str().into(),
        }
    }
}

/// An attachment, by hash.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AttachmentView {
    pub sha256: String,
    pub media_type: String,
    pub description: Option<String>,
    /// Format v3: the redaction that erased the description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_redacted: Option<RedactionMark>,
    /// Format v3: the description is committed and no disclosure of the
    /// bundle opens it (withheld by the exporter).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub description_withheld: bool,
}

/// What an event says: its kind, every field, its attachments.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Content {
    /// The type name (`capture`).
    pub kind: &'static str,
    /// The kind in words (`Capture`).
    pub title: String,
    /// When it occurred, as recorded, and that date's precision.
    pub occurred_at: Option<String>,
    pub precision: Option<&'static str>,
    /// Every other field, in a reading order.
    pub fields: Vec<Field>,
    pub attachments: Vec<AttachmentView>,
}

/// The correction of an item.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CorrectionMark {
    /// `retracted` or `replaced`.
    pub action: &'static str,
    /// The correction's item number, seq and hash.
    pub by_item: usize,
    pub by_seq: u64,
    pub by_hash: String,
    pub reason: String,
    /// Format v3: the redaction that erased the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_redacted: Option<RedactionMark>,
    /// What replaces the item (for `replaced`).
    pub replacement: Option<Content>,
}

/// A dispute of an item.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct DisputeMark {
    pub by_item: usize,
    pub by_seq: u64,
    pub by: String,
    pub reason: String,
    /// Format v3: the redactions that erased `by` and `reason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_redacted: Option<RedactionMark>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_redacted: Option<RedactionMark>,
}

/// An item's link to an earlier item it corrects or disputes.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TargetRef {
    /// The item number (`None`: not among the items shown at this cut).
    pub item: Option<usize>,
    pub hash: String,
}

/// One evidence item: an entry about the person (or a correction of one).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Item {
    /// Its number in the dossier (1, 2, …), in seq order.
    pub number: usize,
    pub seq: u64,
    pub content: Content,
    pub recorded_at: Timestamp,
    pub signer: PublicKeyBytes,
    pub signer_holder: String,
    /// The roles the signer held when it signed (replayed from governance).
    pub signer_roles: Vec<&'static str>,
    pub entry_hash: EntryHash,
    /// How the entry was tied to the checkpoint, in words.
    pub proof: String,
    pub proof_hashes: usize,
    /// Set if a correction retracted or replaced it.
    pub corrected_by: Option<CorrectionMark>,
    /// Disputes of it.
    pub disputed_by: Vec<DisputeMark>,
    /// For a correction or a dispute: the item it is about.
    pub target: Option<TargetRef>,
    /// The whole event, as the entry's decoded view.
    pub event: serde_json::Value,
}

/// A governance entry (genesis, grant, revocation): who could sign.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GovernanceItem {
    pub seq: u64,
    pub recorded_at: Timestamp,
    pub what: String,
    /// The entry's event, which `what` puts in words.
    #[serde(skip)]
    pub event: Event,
    pub signer: PublicKeyBytes,
    pub entry_hash: EntryHash,
}

/// A fact of the legal clock, with what it means.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ClockFact {
    /// Which fact (`counted_to`, `notification_delay`, …): the same in
    /// every language.
    pub fact: &'static str,
    pub label: String,
    pub value: String,
    pub meaning: String,
}

/// A flag of the status and what it means in law.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FlagFact {
    /// The flag's name (`notification_overdue`).
    pub flag: &'static str,
    /// The flag in words (in English, its name).
    pub title: String,
    pub meaning: String,
}

/// The checkpoint the bundle is proven against.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CheckpointFacts {
    pub origin: String,
    pub size: u64,
    pub root: String,
    pub signer: PublicKeyBytes,
    pub signer_holder: String,
    /// The role that let it sign (`authority` or `registrar`).
    pub signer_role: &'static str,
    pub signer_since_seq: u64,
}

/// One point of the timeline (see [`timeline`]).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TimelinePoint {
    /// The item behind it (`None` for a legal mark).
    pub item: Option<usize>,
    /// Start of the date's interval, microseconds since the epoch.
    pub at_micros: i64,
    /// The date as recorded (or computed, for a mark).
    pub date: String,
    pub label: String,
    /// `evidence` or `legal_mark`.
    pub kind: &'static str,
}

/// A term of the glossary.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Term {
    pub term: String,
    pub meaning: String,
}

/// The whole dossier.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Dossier {
    pub format: &'static str,
    /// The language of the dossier's words (`en`, `uk`).
    pub lang: Lang,
    pub person: String,
    pub generated_at: Timestamp,
    pub cut: Cut,
    pub cut_words: Option<String>,
    /// `COMPLETE` or `ABSENT`.
    pub verdict: &'static str,
    pub verdict_words: String,
    pub entries_about_person: u64,
    pub governance_entries: u64,
    pub authority: PublicKeyBytes,
    pub authority_holder: String,
    pub authority_check: AuthorityCheck,
    pub checkpoint: CheckpointFacts,
    /// Where the bundle came from, in words.
    pub bundle_source: String,
    /// The bundle's file, or the store's directory.
    #[serde(skip)]
    pub source_path: String,
    /// SHA-256 of the bundle's bytes as verified.
    pub bundle_sha256: String,
    /// The status at the cut (`None`: no evidence at that cut).
    pub status: Option<PersonStatus>,
    pub status_words: String,
    /// Where every day count runs to: the `--as-of` cut, or the bundle's
    /// seal (or now, if earlier).
    #[serde(skip)]
    pub counted_to: Timestamp,
    pub legal_clock: Vec<ClockFact>,
    pub flags: Vec<FlagFact>,
    /// Items that are disputed, by number.
    pub disputed_items: Vec<usize>,
    pub summary: Vec<String>,
    pub items: Vec<Item>,
    pub governance: Vec<GovernanceItem>,
    pub timeline: Vec<TimelinePoint>,
    pub verification: Vec<String>,
    pub reverify_command: String,
    pub reverify_without_custody: String,
    pub glossary: Vec<Term>,
}

/// Holders and roles of every signer, entry by entry, replayed from the
/// bundle's governance entries (all of them before its checkpoint).
struct Signers {
    /// seq → (holder, roles held when it signed).
    at: HashMap<u64, (String, Vec<&'static str>)>,
    /// The registry after every governance entry of the bundle.
    registry: KeyRegistry,
}

fn replay_signers(b: &VerifiedBundle) -> Signers {
    let mut registry = KeyRegistry::new();
    let mut at = HashMap::new();
    for be in &b.entries {
        let body = be.entry.body();
        let (holder, roles) = match registry.get(&body.signer) {
            Some(rec) => (
                rec.holder_at(body.seq).to_string(),
                rec.roles
                    .iter()
                    .filter(|(_, granted)| **granted < body.seq)
                    .filter(|_| rec.revoked.as_ref().is_none_or(|(r, _)| *r >= body.seq))
                    .map(|(role, _)| role.name())
                    .collect(),
            ),
            // The genesis signs before anything is granted: its own key.
            None => (be.holder.clone(), vec![Role::Authority.name()]),
        };
        at.insert(body.seq, (holder, roles));
        if body.event.is_governance() {
            registry.apply(body.seq, &body.event);
        }
    }
    Signers { at, registry }
}

/// True if `key` holds the `authority` role after every governance entry
/// of the bundle (so may sign a dossier of it).
pub(crate) fn holds_authority(b: &VerifiedBundle, key: &PublicKeyBytes) -> bool {
    replay_signers(b)
        .registry
        .get(key)
        .is_some_and(|rec| rec.may(Role::Authority))
}

/// Where the legal clock of a bundle stops: the bundle vouches for the
/// ledger up to its seal, not up to the time of reading, or a year-old
/// bundle would assert a year more of detention it knows nothing of.
fn clock_until(b: &VerifiedBundle, now: Timestamp) -> Timestamp {
    b.entries
        .iter()
        .filter(|be| matches!(be.entry.event(), Event::Seal(_)))
        .map(|be| be.entry.body().recorded_at)
        .max()
        .map_or(now, |sealed| sealed.min(now))
}

/// An item of the evidence section: neither governance nor the seal (or a
/// checkpoint).
fn is_evidence_item(be: &BundleEntry) -> bool {
    let ev = be.entry.event();
    !ev.is_governance() && !matches!(ev, Event::Seal(_) | Event::Checkpoint(_))
}

impl Dossier {
    /// Builds the dossier of a verified bundle (`bundle_bytes`: the bytes
    /// that were verified) at `cut`, read at `now`.
    ///
    /// A `custody-bundle/1` (inclusion only) is refused by the caller: a
    /// dossier states what the ledger holds about a person, which such a
    /// bundle cannot prove.
    pub(crate) fn build(
        b: &VerifiedBundle,
        bundle_bytes: &[u8],
        provenance: &Provenance,
        cut: Cut,
        now: Timestamp,
    ) -> Dossier {
        let signers = replay_signers(b);
        let mut shown: Vec<&BundleEntry> = b
            .entries
            .iter()
            .filter(|be| is_evidence_item(be) && cut.keeps(&be.entry))
            .collect();
        // A correction has no date of its own: it stays with what it
        // corrects, and goes when `--as-of` cuts its target away.
        let kept: std::collections::HashSet<EntryHash> =
            shown.iter().map(|be| be.entry.hash()).collect();
        shown.retain(|be| match be.entry.event() {
            Event::Correction(c) => kept.contains(&c.target),
            _ => true,
        });
        let disclosed = bundle_disclosures(bundle_bytes);
        let redactions = bundle_redactions(b, &signers);
        let items = build_items(&shown, &signers, &disclosed, &redactions);
        let projected: Vec<ProjectedEntry> = b
            .entries
            .iter()
            .filter(|be| is_evidence_item(be))
            .map(|be| ProjectedEntry::from(&be.entry))
            .collect();
        let clock_until = clock_until(b, now);
        let mut status = project(&b.person, &projected, cut.as_of, cut.known_at, clock_until);
        if let Some(st) = &mut status {
            st.resolve_committed(|at| {
                let code = field_named(&at.field)?.code;
                disclosed.get(&at.seq)?.iter().find_map(|d| match &d.value {
                    DisclosedValue::Text(t) if d.slot.code == code => Some(t.clone()),
                    _ => None,
                })
            });
        }
        let governance = b
            .entries
            .iter()
            .filter(|be| be.entry.event().is_governance())
            .map(|be| {
                let body = be.entry.body();
                GovernanceItem {
                    seq: body.seq,
                    recorded_at: body.recorded_at,
                    what: String::new(),
                    event: body.event.clone(),
                    signer: body.signer,
                    entry_hash: be.entry.hash(),
                }
            })
            .collect();
        let (verdict, entries_about_person) = match b.completeness {
            Completeness::Complete { entries, .. } => ("COMPLETE", entries),
            Completeness::Absent => ("ABSENT", 0),
            Completeness::InclusionOnly => ("INCLUSION ONLY", 0),
        };
        let authority_holder = signers
            .registry
            .get(&b.authority)
            .map(|r| r.holder_at(0).to_string())
            .unwrap_or_default();
        let mut d = Dossier {
            format: DOSSIER_FORMAT,
            lang: Lang::En,
            person: b.person.to_string(),
            generated_at: now,
            cut,
            cut_words: None,
            verdict,
            verdict_words: String::new(),
            entries_about_person,
            governance_entries: b.governance,
            authority: b.authority,
            authority_holder,
            authority_check: provenance.authority,
            checkpoint: CheckpointFacts {
                origin: b.origin.clone(),
                size: b.checkpoint.size,
                root: hex::encode(b.checkpoint.root),
                signer: b.checkpoint_signer,
                signer_holder: b.checkpoint_signer_granted.holder.clone(),
                signer_role: b.checkpoint_signer_granted.role.map_or("", |r| r.name()),
                signer_since_seq: b.checkpoint_signer_granted.since,
            },
            bundle_source: String::new(),
            source_path: provenance.source.clone(),
            bundle_sha256: hex::encode(Sha256::digest(bundle_bytes)),
            status_words: String::new(),
            counted_to: cut.as_of.unwrap_or(clock_until),
            legal_clock: Vec::new(),
            flags: Vec::new(),
            disputed_items: items
                .iter()
                .filter(|i| !i.disputed_by.is_empty())
                .map(|i| i.number)
                .collect(),
            status,
            summary: Vec::new(),
            timeline: Vec::new(),
            items,
            governance,
            verification: Vec::new(),
            reverify_command: format!(
                "custody verify --bundle BUNDLE.json --authority {}",
                b.authority
            ),
            reverify_without_custody: String::new(),
            glossary: Vec::new(),
        };
        d.localize(Lang::En);
        d
    }

    /// Puts the dossier in words in `lang`: every word of the model
    /// (verdict, status, labels, meanings, proofs, governance, timeline
    /// labels, summary, glossary) from the facts it holds. The facts, the
    /// enum values and the evidence stay as they are, so this may be called
    /// again with another language.
    pub(crate) fn localize(&mut self, lang: Lang) {
        self.lang = lang;
        self.cut_words = words::cut(&self.cut, lang);
        self.bundle_source = match self.authority_check {
            AuthorityCheck::Store => lang.f(
                "source-store",
                &[
                    ("dir", crate::i18n::txt(&self.source_path)),
                    ("person", crate::i18n::txt(&self.person)),
                ],
            ),
            _ => self.source_path.clone(),
        };
        self.verdict_words = words::verdict(self, lang);
        self.status_words = words::status(self.status.as_ref(), lang);
        self.legal_clock = self
            .status
            .as_ref()
            .map(|st| words::legal_clock(st, self.counted_to, lang))
            .unwrap_or_default();
        self.flags = self
            .status
            .as_ref()
            .map(|s| s.flags.iter().map(|f| words::flag(*f, lang)).collect())
            .unwrap_or_default();
        let size = self.checkpoint.size;
        for item in &mut self.items {
            item.proof = words::proof(item.proof_hashes, size, lang);
            words::content(&mut item.content, lang);
            if let Some(c) = item.corrected_by.as_mut() {
                if let Some(r) = &c.reason_redacted {
                    c.reason = words::redacted(r, lang);
                }
                if let Some(r) = c.replacement.as_mut() {
                    words::content(r, lang);
                }
            }
            for d in &mut item.disputed_by {
                if let Some(r) = &d.by_redacted {
                    d.by = words::redacted(r, lang);
                }
                if let Some(r) = &d.reason_redacted {
                    d.reason = words::redacted(r, lang);
                }
            }
        }
        for g in &mut self.governance {
            g.what = words::governance(&g.event, lang);
        }
        self.verification = words::verification(self, lang);
        self.reverify_without_custody = lang.t("reverify-without-custody");
        self.glossary = words::glossary(lang);
        self.timeline = timeline::points(self);
        self.summary = words::summary(self, lang);
    }
}

/// The items, numbered, with corrections and disputes marked on the items
/// they concern.
fn build_items(
    shown: &[&BundleEntry],
    signers: &Signers,
    disclosed: &HashMap<u64, Vec<Disclosure>>,
    redactions: &Redactions,
) -> Vec<Item> {
    let erased = |hash: &EntryHash, part: u8| Erased {
        marks: redactions.get(hash).map_or(&[][..], Vec::as_slice),
        part,
    };
    // Each event as a reader sees it: opened by the bundle's disclosures.
    let opened: Vec<Event> = shown
        .iter()
        .map(|be| {
            let ds = disclosed
                .get(&be.entry.seq())
                .map_or(&[][..], Vec::as_slice);
            custody_ledger::opened::opened(be.entry.event(), ds)
        })
        .collect();
    let number_of: HashMap<EntryHash, usize> = shown
        .iter()
        .enumerate()
        .map(|(i, be)| (be.entry.hash(), i + 1))
        .collect();
    let mut items: Vec<Item> = shown
        .iter()
        .enumerate()
        .map(|(i, be)| {
            let e = &be.entry;
            let body = e.body();
            let (holder, roles) = signers.at.get(&body.seq).cloned().unwrap_or_default();
            let event = &opened[i];
            let target = match event {
                Event::Correction(c) => Some(c.target),
                Event::Dispute(d) => Some(d.target),
                _ => None,
            }
            .map(|h| TargetRef {
                item: number_of.get(&h).copied(),
                hash: h.to_hex(),
            });
            Item {
                number: i + 1,
                seq: body.seq,
                content: content(event, erased(&e.hash(), PART_EVENT)),
                recorded_at: body.recorded_at,
                signer: body.signer,
                signer_holder: holder,
                signer_roles: roles,
                entry_hash: e.hash(),
                proof: String::new(),
                proof_hashes: be.proof_len,
                corrected_by: None,
                disputed_by: Vec::new(),
                target,
                event: serde_json::to_value(event).unwrap_or_default(),
            }
        })
        .collect();
    // Marks, on the item they concern. An entry is corrected at most once
    // (a chain rule); a correction recorded after the cut is not shown.
    for (i, be) in shown.iter().enumerate() {
        let body = be.entry.body();
        // A field of this entry no disclosure opened, if a redaction in
        // the bundle erased it.
        let unopened = |p: &custody_format::event::Personal<String>, code: u16| {
            p.text()
                .is_none()
                .then(|| erased(&be.entry.hash(), PART_EVENT).of(code, 0))
                .flatten()
        };
        match &opened[i] {
            Event::Correction(c) => {
                if let Some(&n) = number_of.get(&c.target) {
                    items[n - 1].corrected_by = Some(CorrectionMark {
                        action: if c.replacement.is_some() {
                            "replaced"
                        } else {
                            "retracted"
                        },
                        by_item: i + 1,
                        by_seq: body.seq,
                        by_hash: be.entry.hash().to_hex(),
                        reason: clear_or_withheld(&c.reason),
                        reason_redacted: unopened(&c.reason, CODE_REASON),
                        replacement: c
                            .replacement
                            .as_deref()
                            .map(|r| content(r, erased(&be.entry.hash(), PART_REPLACEMENT))),
                    });
                }
            }
            Event::Dispute(d) => {
                if let Some(&n) = number_of.get(&d.target) {
                    items[n - 1].disputed_by.push(DisputeMark {
                        by_item: i + 1,
                        by_seq: body.seq,
                        by: clear_or_withheld(&d.by),
                        reason: clear_or_withheld(&d.reason),
                        by_redacted: unopened(&d.by, CODE_BY),
                        reason_redacted: unopened(&d.reason, CODE_REASON),
                    });
                }
            }
            _ => {}
        }
    }
    items
}

/// Fields shown elsewhere than in the field list.
const NOT_A_FIELD: [&str; 4] = ["type", "occurred_at", "attachments", "replacement"];

/// The reading order of fields; any other field follows, by name.
const FIELD_ORDER: [&str; 24] = [
    "person",
    "name",
    "date_of_birth",
    "service_number",
    "unit",
    "category",
    "last_seen_place",
    "place",
    "from",
    "to",
    "by",
    "circumstances",
    "source",
    "kind",
    "cause",
    "visitor",
    "stage",
    "authority",
    "charge",
    "sentence",
    "via",
    "reference",
    "reason",
    "notes",
];

/// What an event says, every field of it: taken from its serialised view,
/// so a field added to an event type shows without a change here. Its
/// title and labels are put in words by [`Dossier::localize`]. A committed
/// field no disclosure opened is "(withheld)", or, if `erased` names it,
/// redacted (put in words by [`Dossier::localize`] too).
pub(crate) fn content(ev: &Event, erased: Erased<'_>) -> Content {
    let view = serde_json::to_value(ev).unwrap_or_default();
    let mut fields: Vec<Field> = view
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| !NOT_A_FIELD.contains(&k.as_str()))
                .map(|(k, v)| {
                    // A committed field no disclosure opened: redacted or
                    // withheld.
                    let unopened = v.get("commitment").is_some();
                    let redacted = unopened
                        .then(|| field_named(k).and_then(|f| erased.of(f.code, 0)))
                        .flatten();
                    Field {
                        name: k.clone(),
                        label: String::new(),
                        value: match v {
                            serde_json::Value::String(s) => s.clone(),
                            _ if unopened => "(withheld)".to_string(),
                            other => other.to_string(),
                        },
                        yes_no: v.as_bool(),
                        value_words: None,
                        withheld: unopened && redacted.is_none(),
                        redacted,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    fields.sort_by_key(|f| {
        (
            FIELD_ORDER
                .iter()
                .position(|n| *n == f.name)
                .unwrap_or(FIELD_ORDER.len()),
            f.name.clone(),
        )
    });
    let at: Option<OccurredAt> = ev.occurred_at();
    Content {
        kind: ev.type_name(),
        title: String::new(),
        occurred_at: at.map(|t| t.to_string()),
        precision: at.map(|t| t.precision()),
        fields,
        attachments: ev
            .attachments()
            .iter()
            .enumerate()
            .map(|(i, a)| AttachmentView {
                sha256: a.sha256.to_hex(),
                media_type: a.media_type.clone(),
                description: a.description.as_ref().map(clear_or_withheld),
                description_redacted: a
                    .description
                    .as_ref()
                    .filter(|d| d.text().is_none())
                    .and_then(|_| erased.of(CODE_DESCRIPTION, i as u16)),
                description_withheld: a.description.as_ref().is_some_and(|d| d.text().is_none())
                    && erased.of(CODE_DESCRIPTION, i as u16).is_none(),
            })
            .collect(),
    }
}

/// The disclosures a verified `custody-bundle/3` carries, by seq (the
/// verifier checked each against its commitment; `opened` checks again).
fn bundle_disclosures(bundle_bytes: &[u8]) -> HashMap<u64, Vec<Disclosure>> {
    let Ok(b) = serde_json::from_slice::<custody_format::wire::bundle::BundleV2>(bundle_bytes)
    else {
        return HashMap::new();
    };
    b.entries
        .iter()
        .filter_map(|item| {
            let list = item.disclosures.as_ref()?;
            let ds = list
                .iter()
                .filter_map(|v| Disclosure::from_json(&v.0).ok())
                .collect();
            Some((item.seq, ds))
        })
        .collect()
}

/// A personal field's text, or "(withheld)" for a format v3 commitment
/// no disclosure opened.
fn clear_or_withheld(p: &custody_format::event::Personal<String>) -> String {
    p.text().unwrap_or("(withheld)").to_string()
}

#[cfg(test)]
mod tests;
