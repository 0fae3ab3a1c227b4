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
//!   then interval end, then seq — never by when they were appended.
//! - **Status**, as a state machine over that order:
//!   a missing report makes a person `missing` (unless they are dead); a
//!   capture opens a new detention episode, `held_unacknowledged`; a
//!   sighting (evidence of captivity) does the same if the person was not
//!   already held; an ICRC notification makes a held (or missing) person
//!   `held_acknowledged`; a release makes them `released`; a death,
//!   `deceased`. After a death, a capture, sighting or correspondence that
//!   certainly occurred later (its interval starts at or after the death's
//!   ends) does not change the status: it sets the flag `disputed`, citing
//!   both entries. Correspondence is proof of life and contact, not of
//!   captivity: it changes no status.
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

mod flags;
pub mod report;
pub mod timeline;

pub use flags::Flag;

use custody_format::event::{Category, DeathCause, EntryHash, Event, PersonId};
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

/// Exactly one of these describes a person at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayBounds {
    /// At least this many days.
    pub min: i64,
    /// At most this many days.
    pub max: i64,
}

/// The entry a fact rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cite {
    /// Its seq.
    pub seq: u64,
    /// Its hash.
    pub hash: EntryHash,
}

/// When and where a person was last seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSeen {
    /// When.
    pub at: OccurredAt,
    /// Where, if known.
    pub place: Option<String>,
    /// By what kind of entry (`capture`, `sighting`, `correspondence`).
    pub by: String,
}

/// Everything the ledger says about a person at one cut.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonStatus {
    /// The person.
    pub person: PersonId,
    /// Their status.
    pub status: Status,
    /// When the current status began.
    pub since: OccurredAt,
    /// Military, civilian, or unknown.
    pub category: Option<Category>,
    /// The latest capture, sighting or correspondence.
    pub last_seen: Option<LastSeen>,
    /// Capture that began the current detention episode.
    pub captured_at: Option<OccurredAt>,
    /// ICRC notification in the current episode.
    pub icrc_notified_at: Option<OccurredAt>,
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
    /// `notification_overdue`, `incommunicado`, `disputed`.
    pub flags: Vec<Flag>,
    /// For each fact, the entries it rests on.
    pub evidence: std::collections::BTreeMap<String, Vec<Cite>>,
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

/// Ordering key: interval start, interval end, seq.
fn order_key(at: &OccurredAt, seq: u64) -> (i64, i64, u64) {
    (at.start_micros(), at.end_micros(), seq)
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
    for e in entries() {
        if let Event::Correction(c) = &e.event {
            corrections.insert(c.target, e);
        }
    }
    let mut out: Vec<(Cite, &Event)> = Vec::new();
    for e in entries() {
        let cite = Cite {
            seq: e.seq,
            hash: e.hash,
        };
        match &e.event {
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
    out.sort_by_key(|(c, ev)| order_key(&ev.occurred_at().expect("evidence"), c.seq));
    out
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
}

impl Fold {
    fn new(person: &PersonId, since: OccurredAt) -> Fold {
        Fold {
            st: PersonStatus {
                person: person.clone(),
                status: Status::Missing,
                since,
                category: None,
                last_seen: None,
                captured_at: None,
                icrc_notified_at: None,
                notification_delay_days: None,
                days_unacknowledged: None,
                last_contact_at: None,
                days_without_contact: None,
                released_at: None,
                died_at: None,
                death_cause: None,
                remains_returned: None,
                flags: Vec::new(),
                evidence: Default::default(),
            },
            state: None,
            cite_of: HashMap::new(),
            death: None,
            disputed: Vec::new(),
            category_from_report: false,
        }
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
        match ev {
            Event::MissingReport(m) => {
                self.st.category = Some(m.category);
                self.category_from_report = true;
                self.cite("category", cite);
                if self.state != Some(Status::Deceased) && !self.held() {
                    self.enter(Status::Missing, at, cite);
                }
            }
            Event::Capture(c) => self.capture(c, at, cite),
            Event::Sighting(s) => self.sighting(s, at, cite),
            Event::IcrcNotification(_) => {
                if matches!(self.state, Some(Status::Deceased) | Some(Status::Released)) {
                    return;
                }
                if self.st.icrc_notified_at.is_none() {
                    self.st.icrc_notified_at = Some(at);
                    self.cite("icrc_notified_at", cite);
                }
                self.enter(Status::HeldAcknowledged, at, cite);
            }
            Event::Correspondence(c) => {
                self.st.last_seen = Some(LastSeen {
                    at,
                    place: None,
                    by: format!("correspondence ({})", c.kind),
                });
                self.cite("last_seen", cite);
                if self.dead_and_disputed_by(at, cite) {
                    return;
                }
                self.st.last_contact_at = Some(at);
                self.cite("last_contact_at", cite);
            }
            Event::Release(_) => {
                if self.state == Some(Status::Deceased) {
                    return;
                }
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
            _ => {}
        }
    }

    fn capture(&mut self, c: &custody_format::event::Capture, at: OccurredAt, cite: &Cite) {
        if !self.category_from_report && c.category.is_some() {
            self.st.category = c.category;
            self.cite("category", cite);
        }
        self.st.last_seen = Some(LastSeen {
            at,
            place: c.place.clone(),
            by: "capture".into(),
        });
        self.cite("last_seen", cite);
        if self.dead_and_disputed_by(at, cite) {
            return;
        }
        if !self.held() {
            // A new detention episode.
            self.st.captured_at = Some(at);
            self.st.icrc_notified_at = None;
            self.st.last_contact_at = Some(at);
            self.st.released_at = None;
            self.cite("captured_at", cite);
            self.cite("last_contact_at", cite);
            self.cite_of.remove("icrc_notified_at");
            self.enter(Status::HeldUnacknowledged, at, cite);
        } else if self.st.captured_at.is_none() {
            self.st.captured_at = Some(at);
            self.cite("captured_at", cite);
        }
    }

    fn sighting(&mut self, s: &custody_format::event::Sighting, at: OccurredAt, cite: &Cite) {
        self.st.last_seen = Some(LastSeen {
            at,
            place: s.place.clone(),
            by: "sighting".into(),
        });
        self.cite("last_seen", cite);
        if self.dead_and_disputed_by(at, cite) {
            return;
        }
        if !self.held() {
            self.st.captured_at = None;
            self.st.icrc_notified_at = None;
            self.st.last_contact_at = None;
            self.cite_of.remove("captured_at");
            self.cite_of.remove("icrc_notified_at");
            self.cite_of.remove("last_contact_at");
            self.enter(Status::HeldUnacknowledged, at, cite);
        }
    }

    /// The status, with every fact's citations and the clock applied at
    /// `reference`.
    fn finish(self, reference: OccurredAt) -> PersonStatus {
        let mut st = self.st;
        st.status = self.state.unwrap_or(Status::Missing);
        if !self.disputed.is_empty() {
            st.flags.push(Flag::Disputed);
            let (_, death_cite) = self.death.expect("disputed only after a death");
            let mut cites = vec![death_cite];
            cites.extend(self.disputed);
            st.evidence.insert(Flag::Disputed.name().into(), cites);
        }
        for (fact, cite) in self.cite_of {
            let keep = match fact {
                "captured_at" => st.captured_at.is_some(),
                "icrc_notified_at" => st.icrc_notified_at.is_some(),
                "last_contact_at" => st.last_contact_at.is_some(),
                "released_at" => st.released_at.is_some(),
                _ => true,
            };
            if keep {
                st.evidence.insert(fact.to_string(), vec![cite]);
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
        self.flags.retain(|f| *f == Flag::Disputed);
        self.notification_delay_days = None;
        self.days_unacknowledged = None;
        self.days_without_contact = None;
        let mut flags = Vec::new();
        if let Some(captured) = self.captured_at {
            let end_of_episode = match self.status {
                Status::Released => self.released_at,
                Status::Deceased => self.died_at,
                _ => None,
            }
            .unwrap_or(reference);
            let d = match self.icrc_notified_at {
                Some(n) => {
                    let d = day_bounds(&captured, &n);
                    self.notification_delay_days = Some(d);
                    d
                }
                None => {
                    let d = day_bounds(&captured, &end_of_episode);
                    self.days_unacknowledged = Some(d);
                    d
                }
            };
            if d.min > 7 {
                flags.push(Flag::NotificationOverdue);
            }
        }
        if self.status.is_held() {
            if let Some(contact) = self.last_contact_at {
                let d = day_bounds(&contact, &reference);
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
