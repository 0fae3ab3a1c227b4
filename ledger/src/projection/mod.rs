//! Projections: what the ledger says about a person, derived from the signed
//! entries and nothing else.
//!
//! [`project`] is a pure function of one person's entries (their evidence,
//! and the corrections that touch it), a bitemporal cut (`as_of`: the state
//! of the world at a time; `known_at`: what the ledger had recorded by a
//! time) and the time "now". It never reads a clock, so the same inputs give
//! the same status in a test, in `custody status` and in a rebuild.
//!
//! ## The rules (docs/PROJECTIONS.md states them for users)
//!
//! - **Cuts.** With `known_at`, only entries recorded at or before it count.
//!   With `as_of`, only events whose `occurred_at` interval *starts* at or
//!   before it count (the event may have happened by then).
//! - **Corrections.** An entry is corrected at most once. A retracted entry
//!   counts for nothing; a replaced one counts as its replacement, for the
//!   person the replacement names, cited by the correction's seq and hash.
//! - **Order.** Events are ordered by when they occurred — interval start,
//!   then interval end — never by when they were appended. Events with the
//!   same interval (a capture and an execution on the same day) come in the
//!   order of their kind: missing report, capture, sighting, ICRC
//!   notification, correspondence, release, death; then seq. So the status
//!   does not depend on which was appended first.
//! - **Status**, as a state machine over that order:
//!   a missing report makes a person `missing` (unless they are dead); a
//!   capture opens a new detention episode, `held_unacknowledged`; a
//!   sighting (evidence of captivity) does the same if the person was not
//!   already held; an ICRC notification makes a held (or missing) person
//!   `held_acknowledged`; a release makes them `released`; a death,
//!   `deceased`. After a death, a capture, sighting or correspondence that
//!   certainly occurred later (its interval starts at or after the death's
//!   ends) does not change the status: it sets the flag `disputed`, citing
//!   both entries; so does an ICRC notification or a release certainly
//!   after the death (an official act that says the person is alive).
//!   Correspondence is proof of life and contact, not of captivity: it
//!   changes no status.
//! - **An episode with no recorded capture** (opened by a sighting: a video,
//!   a returned prisoner) starts no later than that sighting, and no
//!   earlier than the last time the person was seen free (their missing
//!   report, if it came before): `captured_at` is the sighting's date,
//!   `capture_recorded` is false, `captured_after` is that earlier bound,
//!   and every clock field below runs from those bounds.
//! - **Days between approximate dates** are bounds in whole UTC days: for an
//!   earlier interval covering days `[a0, a1]` and a later one `[b0, b1]`,
//!   `min = max(0, b0 - a1)` and `max = max(0, b1 - a0)`. Two day-precision
//!   dates give `min == max`.
//! - **Legal clock** (GC III Arts. 70, 71), for the current detention
//!   episode: `notification_delay_days` from capture to ICRC notification;
//!   `notification_overdue` when that delay, or the time since capture
//!   without one (up to release, death, `as_of` or now), is certainly more
//!   than 7 days (`min > 7`); `days_without_contact` from the latest
//!   correspondence of the episode (or the capture) to `as_of`/now, while
//!   held; `incommunicado` when it is certainly more than 30 days.
//! - **Whereabouts.** `last_known_place` is the latest evidence that named
//!   a place (a missing report's last-seen place, a capture, sighting or
//!   release); evidence without a place (a letter) updates `last_seen` but
//!   never erases the place.
//! - **Name.** `name` is the latest missing report's name, if it gave one.

mod flags;
pub mod report;
pub mod timeline;
pub mod trend;

pub use flags::Flag;

use custody_format::event::{
    Category, DeathCause, EntryHash, Event, IllTreatmentKind, MissingReport, PersonId, Personal,
    ProceedingStage, Source,
};
use custody_format::time::{OccurredAt, Timestamp, MICROS_PER_DAY};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;

/// One entry as the projection sees it.
#[derive(Clone, Debug)]
pub struct ProjectedEntry {
    /// Its seq.
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// What it says.
    pub event: Event,
}

impl From<&custody_format::entry::SignedEntry> for ProjectedEntry {
    /// What the projection needs of a decoded entry (the store's fold and
    /// a dossier built from a verified bundle take it the same way).
    fn from(e: &custody_format::entry::SignedEntry) -> ProjectedEntry {
        ProjectedEntry {
            seq: e.seq(),
            hash: e.hash(),
            recorded_at: e.body().recorded_at,
            event: e.event().clone(),
        }
    }
}

/// Exactly one of these describes a person at a time.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Reported missing; no evidence of captivity.
    Missing,
    /// Evidence of captivity, but no ICRC notification: the pattern of
    /// enforced disappearance.
    HeldUnacknowledged,
    /// The detaining power notified the ICRC.
    HeldAcknowledged,
    /// Released, exchanged or repatriated.
    Released,
    /// A death is recorded.
    Deceased,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 5] = [
        Status::Missing,
        Status::HeldUnacknowledged,
        Status::HeldAcknowledged,
        Status::Released,
        Status::Deceased,
    ];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Missing => "missing",
            Status::HeldUnacknowledged => "held_unacknowledged",
            Status::HeldAcknowledged => "held_acknowledged",
            Status::Released => "released",
            Status::Deceased => "deceased",
        }
    }

    /// True while the person is held.
    pub fn is_held(self) -> bool {
        matches!(self, Status::HeldUnacknowledged | Status::HeldAcknowledged)
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Status, String> {
        Status::ALL
            .iter()
            .copied()
            .find(|v| v.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown status {s:?}; expected one of {}",
                    Status::ALL.map(Status::name).join(", ")
                )
            })
    }
}

/// A number of whole days known only within bounds.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode,
)]
pub struct DayBounds {
    /// At least this many days.
    pub min: i64,
    /// At most this many days.
    pub max: i64,
}

/// The entry a fact rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct Cite {
    /// Its seq.
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
}

/// When and where a person was last seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct LastSeen {
    /// When.
    pub at: OccurredAt,
    /// Where, if known.
    pub place: Option<String>,
    /// By what kind of entry (`capture`, `sighting`, `correspondence`).
    pub by: String,
}

/// The separate questions behind the one status (docs/PROJECTIONS.md,
/// "Axes"): each answered from the evidence on its own, so a family, a
/// lawyer or a court can see which one the status turns on.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode,
)]
pub struct Axes {
    /// Did the detaining state acknowledge the current (or last) detention:
    /// `none`, `refused` (a denial, nothing since), `notified` (to the
    /// ICRC) or `official_act` (its own court or transfer notice).
    pub acknowledgement: String,
    /// Whether a place of detention was disclosed in the episode.
    pub location_disclosed: bool,
    /// Whether a notification disclosed the person's health (`None`: never
    /// stated).
    pub health_disclosed: Option<bool>,
    /// `held`, `released`, or `unknown` (missing, or dead).
    pub liberty: String,
    /// `alive` (proof of life, no death), `dead`, `disputed` (a death and
    /// evidence of life after it, or a contested fact), or `unknown`.
    pub fate: String,
    /// The latest evidence that the person was alive (not a death).
    pub last_proof_of_life: Option<OccurredAt>,
    /// Visits during the current (or last) detention.
    pub visits: u32,
    /// The legal category: `prisoner_of_war` (military: GC III, whatever a
    /// court does), `security_detainee`, `civilian_internee`,
    /// `criminal_suspect`, `convicted`, `civilian` (no proceeding known),
    /// or `None` (unknown category).
    pub legal_category: Option<String>,
    /// The kinds of ill-treatment reported (`ill_treatment` entries, in
    /// any detention), in the vocabulary's order; empty if none.
    #[serde(default)]
    pub ill_treatment: Vec<String>,
    /// The family's (or anyone's) requests for news recorded (`inquiry`):
    /// the right to know is measured by requests and answers (ICPED
    /// Art. 24).
    #[serde(default)]
    pub inquiries: u32,
}

/// Everything the ledger says about a person at one cut.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct PersonStatus {
    /// The person.
    pub person: PersonId,
    /// Their name, from the latest missing report that gave one (the only
    /// evidence that carries a name); `None` for a pseudonymous case.
    #[serde(default)]
    pub name: Option<String>,
    /// Their status.
    pub status: Status,
    /// When the current status began.
    pub since: OccurredAt,
    /// Military, civilian, or unknown.
    pub category: Option<Category>,
    /// The latest capture, sighting or correspondence.
    pub last_seen: Option<LastSeen>,
    /// The latest evidence that named a place (capture, sighting, release):
    /// a letter without a place does not erase it.
    #[serde(default)]
    pub last_known_place: Option<LastSeen>,
    /// Capture that began the current detention episode; for an episode
    /// with no recorded capture, the first evidence of custody (the capture
    /// happened no later than this).
    pub captured_at: Option<OccurredAt>,
    /// Whether `captured_at` is a recorded capture (`true`) or only the
    /// first evidence of custody (`false`); `None` with no episode.
    #[serde(default)]
    pub capture_recorded: Option<bool>,
    /// For an episode with no recorded capture: the last time the person
    /// was seen free (their missing report), the earliest the capture can
    /// have been.
    #[serde(default)]
    pub captured_after: Option<OccurredAt>,
    /// ICRC notification in the current episode.
    pub icrc_notified_at: Option<OccurredAt>,
    /// The first acknowledgement of the current episode by the detaining
    /// state: its notification to the ICRC, or its own official act (a
    /// court's decision, a transfer notice).
    #[serde(default)]
    pub acknowledged_at: Option<OccurredAt>,
    /// What acknowledged it (`icrc_notification`, `legal_proceeding`,
    /// `transfer`).
    #[serde(default)]
    pub acknowledged_by: Option<String>,
    /// Capture to notification.
    pub notification_delay_days: Option<DayBounds>,
    /// Capture to release, death, the cut or now, while no notification came.
    pub days_unacknowledged: Option<DayBounds>,
    /// Latest correspondence in the current episode (or the capture).
    pub last_contact_at: Option<OccurredAt>,
    /// From the last contact to the cut or now, while held.
    pub days_without_contact: Option<DayBounds>,
    /// Release that ended the last episode.
    pub released_at: Option<OccurredAt>,
    /// Recorded death.
    pub died_at: Option<OccurredAt>,
    /// Its cause.
    pub death_cause: Option<DeathCause>,
    /// Whether remains were returned.
    pub remains_returned: Option<bool>,
    /// When the remains were handed over (`remains_returned`).
    #[serde(default)]
    pub remains_returned_at: Option<OccurredAt>,
    /// `notification_overdue`, `incommunicado`, `disputed`.
    pub flags: Vec<Flag>,
    /// The questions behind the status, each on its own.
    #[serde(default)]
    pub axes: Axes,
    /// For each fact, the entries it rests on.
    pub evidence: std::collections::BTreeMap<String, Vec<Cite>>,
    /// Format v3: the personal values this status would show that are
    /// committed in their entries (`name`, `last_seen.place`,
    /// `last_known_place.place`), each with the entry and field whose
    /// disclosure holds it. The fold never reads personal data, so a
    /// status is the same whatever is disclosed, withheld or redacted;
    /// readers fill these values in from the disclosures they hold
    /// ([`PersonStatus::resolve_committed`]), and a value still listed here
    /// after that is withheld or redacted.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub committed: std::collections::BTreeMap<String, FieldRef>,
}

/// Where a committed personal value is: the entry, and the field (its
/// name in docs/design/format-v3.md §2.3; for a correction, the field of
/// its replacement).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct FieldRef {
    /// The entry's seq.
    pub seq: u64,
    /// The entry's hash.
    pub hash: EntryHash,
    /// The field.
    pub field: String,
}

/// Why a stored status could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoredStatusError(String);

/// The bincode configuration of a stored status; a forged length prefix
/// cannot make a read allocate more than this.
const STORED: bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<{ 1 << 24 }>,
> = bincode::config::standard().with_limit::<{ 1 << 24 }>();

impl PersonStatus {
    /// The form a store keeps a status in (projection rules 6): bincode,
    /// each field in declaration order without its name, hashes as their
    /// 32 bytes. About 300 bytes where the JSON is about 1.5 KB (six
    /// evidence hashes in hex, every name and null): a status is rewritten
    /// with every append about the person, and its size is what its page
    /// costs the commit (docs/BENCHMARKS.md, session 14). Derived data: a
    /// change of this form bumps the projection rules, and stores rebuild.
    pub fn to_stored(&self) -> Vec<u8> {
        bincode::encode_to_vec(self, STORED).expect("a status encodes")
    }

    /// A status from [`PersonStatus::to_stored`]'s bytes, all of them; its
    /// person id checked as any id is.
    pub fn from_stored(bytes: &[u8]) -> Result<PersonStatus, StoredStatusError> {
        let (st, read): (PersonStatus, usize) = bincode::decode_from_slice(bytes, STORED)
            .map_err(|e| StoredStatusError(e.to_string()))?;
        if read != bytes.len() {
            return Err(StoredStatusError(format!(
                "{} bytes after the status",
                bytes.len() - read
            )));
        }
        PersonId::new(st.person.as_str()).map_err(StoredStatusError)?;
        // Its dates as any date is checked: bincode reads whatever numbers
        // it finds, and the clock computes with them.
        let dates = [
            Some(("since", st.since)),
            st.captured_at.map(|d| ("captured_at", d)),
            st.captured_after.map(|d| ("captured_after", d)),
            st.icrc_notified_at.map(|d| ("icrc_notified_at", d)),
            st.acknowledged_at.map(|d| ("acknowledged_at", d)),
            st.last_contact_at.map(|d| ("last_contact_at", d)),
            st.released_at.map(|d| ("released_at", d)),
            st.died_at.map(|d| ("died_at", d)),
            st.remains_returned_at.map(|d| ("remains_returned_at", d)),
            st.last_seen.as_ref().map(|l| ("last_seen.at", l.at)),
            st.last_known_place
                .as_ref()
                .map(|l| ("last_known_place.at", l.at)),
            st.axes
                .last_proof_of_life
                .map(|d| ("axes.last_proof_of_life", d)),
        ];
        for (field, date) in dates.into_iter().flatten() {
            date.validate()
                .map_err(|e| StoredStatusError(format!("{field}: {e}")))?;
        }
        Ok(st)
    }

    /// Fills in each committed value of [`PersonStatus::committed`] that
    /// `disclosed` can give (the disclosed text of that field of that
    /// entry), and leaves listed those it cannot.
    pub fn resolve_committed(&mut self, mut disclosed: impl FnMut(&FieldRef) -> Option<String>) {
        let committed = std::mem::take(&mut self.committed);
        for (key, at) in committed {
            let Some(value) = disclosed(&at) else {
                self.committed.insert(key, at);
                continue;
            };
            let slot = match key.as_str() {
                "name" => &mut self.name,
                "last_seen.place" => match &mut self.last_seen {
                    Some(l) => &mut l.place,
                    None => continue,
                },
                "last_known_place.place" => match &mut self.last_known_place {
                    Some(l) => &mut l.place,
                    None => continue,
                },
                _ => {
                    self.committed.insert(key, at);
                    continue;
                }
            };
            *slot = Some(value);
        }
    }
}

/// A personal text as a status shows it: the cleartext (v1/v2), or, for a
/// committed one, nothing and where it is.
fn shown(
    value: &Option<Personal<String>>,
    field: &str,
    cite: &Cite,
) -> (Option<String>, Option<FieldRef>) {
    match value {
        Some(Personal::Clear(v)) => (Some(v.clone()), None),
        Some(Personal::Committed(_)) => (
            None,
            Some(FieldRef {
                seq: cite.seq,
                hash: cite.hash,
                field: field.to_string(),
            }),
        ),
        None => (None, None),
    }
}

/// UTC day numbers `[first, last]` covered by an interval.
fn days(t: &OccurredAt) -> (i64, i64) {
    (
        t.start_micros().div_euclid(MICROS_PER_DAY),
        t.last_micros().div_euclid(MICROS_PER_DAY),
    )
}

/// Whole days from `a` to `b`, as bounds (see the module docs).
pub fn day_bounds(a: &OccurredAt, b: &OccurredAt) -> DayBounds {
    let (a0, a1) = days(a);
    let (b0, b1) = days(b);
    DayBounds {
        min: (b0 - a1).max(0),
        max: (b1 - a0).max(0),
    }
}

fn instant(t: Timestamp) -> OccurredAt {
    OccurredAt::Instant { unix_micros: t.0 }
}

/// Where an event of this kind comes among events with the same interval:
/// a person is reported missing, captured, seen, notified, heard from,
/// released, and dies, in that order (so a capture and an execution on the
/// same day give the same status whichever was appended first).
fn same_time_rank(ev: &Event) -> u8 {
    match ev {
        Event::MissingReport(_) => 0,
        Event::Capture(_) => 1,
        Event::Sighting(_) => 2,
        Event::IcrcNotification(_) => 3,
        Event::Correspondence(_) => 4,
        Event::Release(_) => 5,
        Event::Death(_) => 6,
        _ => 7,
    }
}

/// Ordering key: interval start, interval end, kind, seq.
fn order_key(at: &OccurredAt, ev: &Event, seq: u64) -> (i64, i64, u8, u64) {
    (at.start_micros(), at.end_micros(), same_time_rank(ev), seq)
}

/// The events that count for `person`, after cuts and corrections, each with
/// the entry that carries it, in occurrence order.
///
/// `entries` may be owned or borrowed (a rebuild folds every person from
/// one decoded chain, by reference); the events returned borrow from them.
pub fn effective_events<'e, E: Borrow<ProjectedEntry>>(
    person: &PersonId,
    entries: &'e [E],
    as_of: Option<Timestamp>,
    known_at: Option<Timestamp>,
) -> Vec<(Cite, &'e Event)> {
    let visible = |e: &&ProjectedEntry| known_at.is_none_or(|k| e.recorded_at <= k);
    let entries = || entries.iter().map(Borrow::borrow).filter(visible);
    // target hash -> correction (only one per target).
    let mut corrections: HashMap<EntryHash, &ProjectedEntry> = HashMap::new();
    // A statement counts as the event it carries (format v3).
    for e in entries() {
        if let Event::Correction(c) = e.event.inner() {
            corrections.insert(c.target, e);
        }
    }
    let mut out: Vec<(Cite, &Event)> = Vec::new();
    for e in entries() {
        let cite = Cite {
            seq: e.seq,
            hash: e.hash,
        };
        match e.event.inner() {
            Event::Correction(c) => {
                // A replacement naming this person counts, whoever the
                // target was about; a target of ours without replacement
                // (or replaced for someone else) simply disappears.
                if let Some(r) = c.replacement.as_deref() {
                    if r.person() == Some(person) {
                        out.push((cite, r));
                    }
                }
            }
            ev if ev.person() == Some(person) && !corrections.contains_key(&e.hash) => {
                out.push((cite, ev));
            }
            _ => {}
        }
    }
    if let Some(t) = as_of {
        out.retain(|(_, ev)| ev.occurred_at().is_some_and(|at| at.start_micros() <= t.0));
    }
    out.sort_by_key(|(c, ev)| order_key(&ev.occurred_at().expect("evidence"), ev, c.seq));
    out
}

/// The facts of a fold the axes need beyond the status.
#[derive(Clone, Copy)]
struct AxisFacts {
    place_disclosed: bool,
    health_disclosed: Option<bool>,
    proof_of_life: Option<OccurredAt>,
    visits: u32,
    legal_stage: Option<ProceedingStage>,
    ill_treatment: IllTreatmentKinds,
    inquiries: u32,
}

/// The kinds of ill-treatment reported about a person, as a set small
/// enough to copy (one bit per [`IllTreatmentKind`], in byte order).
#[derive(Clone, Copy, Default)]
struct IllTreatmentKinds(u32);

impl IllTreatmentKinds {
    fn insert(&mut self, kind: IllTreatmentKind) {
        let bit = IllTreatmentKind::ALL
            .iter()
            .position(|k| *k == kind)
            .expect("every kind is in ALL");
        self.0 |= 1 << bit;
    }

    /// The names, in byte order.
    fn names(self) -> Vec<String> {
        IllTreatmentKind::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, k)| k.name().to_string())
            .collect()
    }
}

/// The state machine of one person's fold (see the module docs): the status
/// being built, the entry each fact rests on, and what a death makes of
/// later evidence.
struct Fold {
    st: PersonStatus,
    state: Option<Status>,
    cite_of: HashMap<&'static str, Cite>,
    death: Option<(OccurredAt, Cite)>,
    disputed: Vec<Cite>,
    category_from_report: bool,
    /// The latest missing report: when the person was last seen free.
    last_free: Option<(OccurredAt, Cite)>,
    /// Refusals to acknowledge, with when.
    denials: Vec<(OccurredAt, Cite)>,
    /// Disputes: the entry contested, and the dispute.
    disputes: Vec<(EntryHash, Cite)>,
    /// A place of detention was disclosed in the current episode (by a
    /// notification, a visit or an official act).
    place_disclosed: bool,
    /// Health disclosed by a notification of the episode.
    health_disclosed: Option<bool>,
    /// Visits in the episode.
    visits: u32,
    /// The latest evidence of life.
    proof_of_life: Option<OccurredAt>,
    /// The latest stage of a legal proceeding.
    legal_stage: Option<ProceedingStage>,
    /// Kinds of ill-treatment reported, in any detention.
    ill_treatment: IllTreatmentKinds,
    /// Requests for news recorded (`inquiry`).
    inquiries: u32,
}

impl Fold {
    fn new(person: &PersonId, since: OccurredAt) -> Fold {
        Fold {
            st: PersonStatus {
                person: person.clone(),
                name: None,
                status: Status::Missing,
                since,
                category: None,
                last_seen: None,
                last_known_place: None,
                captured_at: None,
                capture_recorded: None,
                captured_after: None,
                icrc_notified_at: None,
                acknowledged_at: None,
                acknowledged_by: None,
                notification_delay_days: None,
                days_unacknowledged: None,
                last_contact_at: None,
                days_without_contact: None,
                released_at: None,
                died_at: None,
                death_cause: None,
                remains_returned: None,
                remains_returned_at: None,
                flags: Vec::new(),
                axes: Axes::default(),
                evidence: Default::default(),
                committed: Default::default(),
            },
            state: None,
            cite_of: HashMap::new(),
            death: None,
            disputed: Vec::new(),
            category_from_report: false,
            last_free: None,
            denials: Vec::new(),
            disputes: Vec::new(),
            place_disclosed: false,
            health_disclosed: None,
            visits: 0,
            proof_of_life: None,
            legal_stage: None,
            ill_treatment: IllTreatmentKinds::default(),
            inquiries: 0,
        }
    }

    /// The detaining state acknowledged the detention (by `by`): the status
    /// becomes `held_acknowledged`, unless the person was released or died.
    fn acknowledge(&mut self, at: OccurredAt, by: &str, cite: &Cite) {
        if matches!(self.state, Some(Status::Deceased) | Some(Status::Released)) {
            return;
        }
        if self.st.acknowledged_at.is_none() {
            self.st.acknowledged_at = Some(at);
            self.st.acknowledged_by = Some(by.into());
            self.cite("acknowledged_at", cite);
        }
        self.enter(Status::HeldAcknowledged, at, cite);
    }

    /// A new detention episode: what belonged to the last one is cleared.
    fn new_episode(&mut self) {
        self.st.icrc_notified_at = None;
        self.st.acknowledged_at = None;
        self.st.acknowledged_by = None;
        self.st.released_at = None;
        self.place_disclosed = false;
        self.health_disclosed = None;
        self.visits = 0;
        self.cite_of.remove("icrc_notified_at");
        self.cite_of.remove("acknowledged_at");
    }

    /// A missing report: the category, the name, where the person was last
    /// seen free, and `missing` unless held or dead.
    fn missing_report(&mut self, m: &MissingReport, at: OccurredAt, cite: &Cite) {
        self.st.category = Some(m.category);
        self.category_from_report = true;
        self.cite("category", cite);
        if m.name.is_some() {
            let (name, at_ref) = shown(&m.name, "name", cite);
            self.st.name = name;
            self.set_committed("name", at_ref);
            self.cite("name", cite);
        }
        self.place(
            at,
            &m.last_seen_place,
            "last_seen_place",
            "missing_report",
            cite,
        );
        self.last_free = Some((at, cite.clone()));
        if self.state != Some(Status::Deceased) && !self.held() {
            self.enter(Status::Missing, at, cite);
        }
    }

    fn place(
        &mut self,
        at: OccurredAt,
        place: &Option<Personal<String>>,
        field: &str,
        by: &str,
        cite: &Cite,
    ) {
        if place.is_some() {
            let (place, at_ref) = shown(place, field, cite);
            self.st.last_known_place = Some(LastSeen {
                at,
                place,
                by: by.into(),
            });
            self.set_committed("last_known_place.place", at_ref);
            self.cite("last_known_place", cite);
        }
    }

    /// Where the value under `key` is committed, or that it is not.
    fn set_committed(&mut self, key: &str, at: Option<FieldRef>) {
        match at {
            Some(r) => self.st.committed.insert(key.to_string(), r),
            None => self.st.committed.remove(key),
        };
    }

    /// The latest capture, sighting or correspondence.
    fn last_seen(
        &mut self,
        at: OccurredAt,
        place: &Option<Personal<String>>,
        by: String,
        cite: &Cite,
    ) {
        let (place, at_ref) = shown(place, "place", cite);
        self.st.last_seen = Some(LastSeen { at, place, by });
        self.set_committed("last_seen.place", at_ref);
        self.cite("last_seen", cite);
    }

    /// Moves the state machine to `s`; `since` changes only when the status
    /// does.
    fn enter(&mut self, s: Status, at: OccurredAt, cite: &Cite) {
        if self.state != Some(s) {
            self.state = Some(s);
            self.st.since = at;
            self.cite_of.insert("since", cite.clone());
        }
        self.cite_of.insert("status", cite.clone());
    }

    fn cite(&mut self, fact: &'static str, cite: &Cite) {
        self.cite_of.insert(fact, cite.clone());
    }

    fn held(&self) -> bool {
        self.state.is_some_and(Status::is_held)
    }

    /// After a death, evidence of life or captivity changes nothing; if it
    /// certainly occurred later, it disputes the death. True if the person
    /// is dead (the caller stops there).
    fn dead_and_disputed_by(&mut self, at: OccurredAt, cite: &Cite) -> bool {
        if self.state != Some(Status::Deceased) {
            return false;
        }
        let after_death = self
            .death
            .as_ref()
            .is_some_and(|(d, _)| at.start_micros() >= d.end_micros());
        if after_death {
            self.disputed.push(cite.clone());
        }
        true
    }

    fn step(&mut self, cite: &Cite, ev: &Event) {
        let at = ev.occurred_at().expect("evidence");
        // Evidence that the person was alive then.
        if matches!(
            ev,
            Event::Capture(_)
                | Event::Sighting(_)
                | Event::IcrcNotification(_)
                | Event::Correspondence(_)
                | Event::Visit(_)
                | Event::Transfer(_)
                | Event::LegalProceeding(_)
                | Event::IllTreatment(_)
                | Event::Release(_)
        ) && self
            .proof_of_life
            .is_none_or(|p| p.start_micros() <= at.start_micros())
        {
            self.proof_of_life = Some(at);
        }
        match ev {
            Event::MissingReport(m) => self.missing_report(m, at, cite),
            Event::Capture(c) => self.capture(c, at, cite),
            Event::Sighting(s) => self.sighting(s, at, cite),
            Event::IcrcNotification(n) => {
                // An official act certainly after a death says the person is
                // alive: it disputes the death.
                if self.dead_and_disputed_by(at, cite) || self.state == Some(Status::Released) {
                    return;
                }
                if self.st.icrc_notified_at.is_none() {
                    self.st.icrc_notified_at = Some(at);
                    self.cite("icrc_notified_at", cite);
                }
                if n.location_disclosed == Some(true) {
                    self.place_disclosed = true;
                }
                if n.health_disclosed.is_some() {
                    self.health_disclosed = n.health_disclosed;
                }
                self.acknowledge(at, "icrc_notification", cite);
            }
            Event::Correspondence(c) => {
                self.last_seen(at, &None, format!("correspondence ({})", c.kind), cite);
                if self.dead_and_disputed_by(at, cite) {
                    return;
                }
                self.st.last_contact_at = Some(at);
                self.cite("last_contact_at", cite);
            }
            Event::Release(r) => {
                if self.dead_and_disputed_by(at, cite) {
                    return;
                }
                self.place(at, &r.place, "place", "release", cite);
                self.st.released_at = Some(at);
                self.cite("released_at", cite);
                self.enter(Status::Released, at, cite);
            }
            Event::Death(d) => {
                self.st.died_at = Some(at);
                self.st.death_cause = Some(d.cause);
                self.st.remains_returned = d.remains_returned;
                self.cite("died_at", cite);
                self.death = Some((at, cite.clone()));
                self.enter(Status::Deceased, at, cite);
            }
            Event::Visit(v) => {
                self.place(at, &v.place, "place", "visit", cite);
                if self.dead_and_disputed_by(at, cite) {
                    return;
                }
                self.custody_evidence(at, cite);
                // A visit is contact (GC III Art. 126), and shows the place
                // to the visitor.
                self.st.last_contact_at = Some(at);
                self.cite("last_contact_at", cite);
                self.visits += 1;
                if v.place.is_some() {
                    self.place_disclosed = true;
                }
            }
            Event::Transfer(t) => {
                self.place(at, &Some(t.to.clone()), "to", "transfer", cite);
                if self.dead_and_disputed_by(at, cite) {
                    return;
                }
                self.custody_evidence(at, cite);
                if t.source == Source::Official {
                    self.place_disclosed = true;
                    self.acknowledge(at, "transfer", cite);
                }
            }
            Event::LegalProceeding(l) => {
                if self.dead_and_disputed_by(at, cite) {
                    return;
                }
                self.custody_evidence(at, cite);
                self.legal_stage = Some(l.stage);
                if l.source == Source::Official {
                    self.acknowledge(at, "legal_proceeding", cite);
                }
            }
            _ => self.record(cite, ev, at),
        }
    }

    /// The evidence that is recorded beside the status without moving it:
    /// denials and disputes (read when the fold finishes), requests for
    /// news, ill-treatment, the return of remains.
    fn record(&mut self, cite: &Cite, ev: &Event, at: OccurredAt) {
        match ev {
            Event::Denial(_) => self.denials.push((at, cite.clone())),
            Event::Inquiry(_) => {
                self.inquiries += 1;
                self.cite("inquiries", cite);
            }
            Event::IllTreatment(t) => {
                self.ill_treatment.insert(t.kind);
                self.cite("ill_treatment", cite);
            }
            Event::Dispute(d) => self.disputes.push((d.target, cite.clone())),
            Event::RemainsReturned(_) => {
                self.st.remains_returned = Some(true);
                self.st.remains_returned_at = Some(at);
                self.cite("remains_returned_at", cite);
            }
            _ => {}
        }
    }

    fn capture(&mut self, c: &custody_format::event::Capture, at: OccurredAt, cite: &Cite) {
        if !self.category_from_report && c.category.is_some() {
            self.st.category = c.category;
            self.cite("category", cite);
        }
        self.last_seen(at, &c.place, "capture".into(), cite);
        self.place(at, &c.place, "place", "capture", cite);
        if self.dead_and_disputed_by(at, cite) {
            return;
        }
        if !self.held() {
            // A new detention episode.
            self.new_episode();
            self.st.captured_at = Some(at);
            self.st.capture_recorded = Some(true);
            self.st.captured_after = None;
            self.cite_of.remove("captured_after");
            self.st.last_contact_at = Some(at);
            self.cite("captured_at", cite);
            self.cite("last_contact_at", cite);
            self.enter(Status::HeldUnacknowledged, at, cite);
        } else if self.st.captured_at.is_none() {
            self.st.captured_at = Some(at);
            self.st.capture_recorded = Some(true);
            self.cite("captured_at", cite);
        }
    }

    fn sighting(&mut self, s: &custody_format::event::Sighting, at: OccurredAt, cite: &Cite) {
        self.last_seen(at, &s.place, "sighting".into(), cite);
        self.place(at, &s.place, "place", "sighting", cite);
        if self.dead_and_disputed_by(at, cite) {
            return;
        }
        self.custody_evidence(at, cite);
    }

    /// Evidence that the person is held at `at` (a sighting, a visit, a
    /// transfer, a legal proceeding): if they were not held, a detention
    /// episode with no recorded capture begins.
    fn custody_evidence(&mut self, at: OccurredAt, cite: &Cite) {
        if !self.held() {
            // An episode with no recorded capture: custody is proven no
            // later than this sighting, and began no earlier than the last
            // time the person was seen free, if that came before. Contact
            // was lost with the capture, so it runs from the same bounds.
            self.new_episode();
            self.st.captured_at = Some(at);
            self.st.capture_recorded = Some(false);
            self.st.last_contact_at = Some(at);
            self.cite("captured_at", cite);
            self.cite("last_contact_at", cite);
            match self.last_free.clone() {
                Some((free, free_cite)) if free.start_micros() <= at.start_micros() => {
                    self.st.captured_after = Some(free);
                    self.cite("captured_after", &free_cite);
                }
                _ => {
                    self.st.captured_after = None;
                    self.cite_of.remove("captured_after");
                }
            }
            self.enter(Status::HeldUnacknowledged, at, cite);
        }
    }

    /// What the axes need of the fold beyond the status.
    fn axis_facts(&self) -> AxisFacts {
        AxisFacts {
            place_disclosed: self.place_disclosed,
            health_disclosed: self.health_disclosed,
            proof_of_life: self.proof_of_life,
            visits: self.visits,
            legal_stage: self.legal_stage,
            ill_treatment: self.ill_treatment,
            inquiries: self.inquiries,
        }
    }

    /// The axes behind the status (docs/PROJECTIONS.md, "Axes").
    fn axes(f: AxisFacts, st: &PersonStatus) -> Axes {
        let refused = st.flags.contains(&Flag::EnforcedDisappearance);
        let acknowledgement = match st.acknowledged_by.as_deref() {
            Some("icrc_notification") => "notified",
            Some(_) => "official_act",
            None if refused => "refused",
            None => "none",
        };
        let liberty = match st.status {
            Status::HeldAcknowledged | Status::HeldUnacknowledged => "held",
            Status::Released => "released",
            Status::Missing | Status::Deceased => "unknown",
        };
        let fate = if st.flags.contains(&Flag::Disputed) {
            "disputed"
        } else if st.status == Status::Deceased {
            "dead"
        } else if f.proof_of_life.is_some() {
            "alive"
        } else {
            "unknown"
        };
        let legal_category = match (st.category, f.legal_stage) {
            (Some(Category::Military), _) => Some("prisoner_of_war"),
            (_, Some(ProceedingStage::InternedSecurity)) => Some("security_detainee"),
            (_, Some(ProceedingStage::AdministrativeDetention)) => Some("civilian_internee"),
            (_, Some(ProceedingStage::Charged | ProceedingStage::Remanded)) => {
                Some("criminal_suspect")
            }
            (
                _,
                Some(
                    ProceedingStage::Convicted
                    | ProceedingStage::Sentenced
                    | ProceedingStage::AppealRejected,
                ),
            ) => Some("convicted"),
            (Some(Category::Civilian), None) => Some("civilian"),
            (None, None) => None,
        };
        Axes {
            acknowledgement: acknowledgement.into(),
            location_disclosed: f.place_disclosed,
            health_disclosed: f.health_disclosed,
            liberty: liberty.into(),
            fate: fate.into(),
            last_proof_of_life: f.proof_of_life,
            visits: f.visits,
            legal_category: legal_category.map(Into::into),
            ill_treatment: f.ill_treatment.names(),
            inquiries: f.inquiries,
        }
    }

    /// The status, with every fact's citations and the clock applied at
    /// `reference`.
    fn finish(self, reference: OccurredAt) -> PersonStatus {
        let facts = self.axis_facts();
        let mut st = self.st;
        st.status = self.state.unwrap_or(Status::Missing);
        let mut disputed_cites = Vec::new();
        if !self.disputed.is_empty() {
            let (_, death_cite) = self.death.clone().expect("disputed only after a death");
            disputed_cites.push(death_cite);
            disputed_cites.extend(self.disputed.iter().cloned());
        }
        for (fact, cite) in self.cite_of {
            let keep = match fact {
                "captured_at" => st.captured_at.is_some(),
                "captured_after" => st.captured_after.is_some(),
                "icrc_notified_at" => st.icrc_notified_at.is_some(),
                "acknowledged_at" => st.acknowledged_at.is_some(),
                "last_contact_at" => st.last_contact_at.is_some(),
                "released_at" => st.released_at.is_some(),
                _ => true,
            };
            if keep {
                st.evidence.insert(fact.to_string(), vec![cite]);
            }
        }
        // A dispute of an entry the status rests on.
        for (target, dispute) in &self.disputes {
            let rests_on = st.evidence.values().flatten().find(|c| c.hash == *target);
            if let Some(contested) = rests_on.cloned() {
                if !disputed_cites.contains(&contested) {
                    disputed_cites.push(contested);
                }
                disputed_cites.push(dispute.clone());
            }
        }
        if !disputed_cites.is_empty() {
            st.flags.push(Flag::Disputed);
            st.evidence
                .insert(Flag::Disputed.name().into(), disputed_cites);
        }
        // Enforced disappearance: held, unacknowledged, and refused
        // acknowledgement during the episode (a denial that may have come
        // after the capture).
        if st.status == Status::HeldUnacknowledged {
            let start = st.captured_after.or(st.captured_at);
            let refusals: Vec<Cite> = self
                .denials
                .iter()
                .filter(|(at, _)| start.is_none_or(|s| at.end_micros() >= s.start_micros()))
                .map(|(_, c)| c.clone())
                .collect();
            if !refusals.is_empty() {
                st.flags.push(Flag::EnforcedDisappearance);
                let mut cites: Vec<Cite> =
                    st.evidence.get("captured_at").cloned().unwrap_or_default();
                cites.extend(refusals);
                st.evidence
                    .insert(Flag::EnforcedDisappearance.name().into(), cites);
            }
        }
        st.axes = Fold::axes(facts, &st);
        if st.status == Status::HeldAcknowledged && !self.place_disclosed {
            st.flags.push(Flag::WhereaboutsUndisclosed);
            if let Some(c) = st.evidence.get("acknowledged_at").cloned() {
                st.evidence
                    .insert(Flag::WhereaboutsUndisclosed.name().into(), c);
            }
        }
        if let (Some(c), Some(n)) = (
            st.evidence.get("captured_at"),
            st.evidence.get("icrc_notified_at"),
        ) {
            let both = vec![c[0].clone(), n[0].clone()];
            st.evidence.insert("notification_delay_days".into(), both);
        }
        st.apply_clock(reference);
        st
    }
}

/// Projects one person's status. Returns `None` if no entry about them
/// counts under the cuts. `now` is the reference time when `as_of` is not
/// given.
pub fn project<E: Borrow<ProjectedEntry>>(
    person: &PersonId,
    entries: &[E],
    as_of: Option<Timestamp>,
    known_at: Option<Timestamp>,
    now: Timestamp,
) -> Option<PersonStatus> {
    let events = effective_events(person, entries, as_of, known_at);
    let first = events.first()?;
    let mut fold = Fold::new(person, first.1.occurred_at().expect("evidence"));
    for (cite, ev) in &events {
        fold.step(cite, ev);
    }
    Some(fold.finish(instant(as_of.unwrap_or(now))))
}

impl PersonStatus {
    /// Recomputes what depends on the time of reading — the days since
    /// capture without notification, the days without contact, and the
    /// flags `notification_overdue` and `incommunicado` — from the facts,
    /// at `reference` (the `as_of` cut, or now).
    ///
    /// Stored statuses are facts; this is applied when they are read, so a
    /// status stored a year ago reports a year more without contact.
    pub fn apply_clock(&mut self, reference: OccurredAt) {
        self.flags.retain(|f| !f.depends_on_the_clock());
        self.notification_delay_days = None;
        self.days_unacknowledged = None;
        self.days_without_contact = None;
        let mut flags = Vec::new();
        // With no recorded capture, the capture lies between the last time
        // seen free and the first evidence of custody: the lower bound of
        // a duration runs from the latter, the upper from the former.
        let earliest = self.captured_after;
        let from_capture = |captured: &OccurredAt, to: &OccurredAt| {
            let mut d = day_bounds(captured, to);
            if let Some(e) = earliest {
                d.max = d.max.max(day_bounds(&e, to).max);
            }
            d
        };
        if let Some(captured) = self.captured_at {
            let end_of_episode = match self.status {
                Status::Released => self.released_at,
                Status::Deceased => self.died_at,
                _ => None,
            }
            .unwrap_or(reference);
            let d = match self.icrc_notified_at {
                Some(n) => {
                    let d = from_capture(&captured, &n);
                    self.notification_delay_days = Some(d);
                    d
                }
                None => {
                    // Not notified: the obligation runs on to the end of the
                    // episode; an official act acknowledged the detention
                    // (without notifying) ends the days unacknowledged.
                    let d = from_capture(&captured, &end_of_episode);
                    self.days_unacknowledged = Some(match self.acknowledged_at {
                        Some(a) => from_capture(&captured, &a),
                        None => d,
                    });
                    d
                }
            };
            if d.min > 7 {
                flags.push(Flag::NotificationOverdue);
            }
        }
        if self.status.is_held() {
            if let Some(contact) = self.last_contact_at {
                // Contact lost at an unrecorded capture: the same bounds.
                let d = if self.capture_recorded == Some(false)
                    && self.last_contact_at == self.captured_at
                {
                    from_capture(&contact, &reference)
                } else {
                    day_bounds(&contact, &reference)
                };
                if d.min > 30 {
                    flags.push(Flag::Incommunicado);
                }
                self.days_without_contact = Some(d);
            }
        }
        flags.append(&mut self.flags);
        self.flags = flags;
    }

    /// True if the status carries `flag`.
    pub fn has_flag(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }
}

/// The reference time "now" as an interval.
pub fn reference_time(t: Timestamp) -> OccurredAt {
    instant(t)
}
