//! A synthetic ledger: realistic cases, generated deterministically from a
//! seed, for benchmarks, load tests and demonstrations at scale.
//!
//! This module is the *model* only — pure functions from `(seed, person
//! index)` to the events of one person's case, and from `seed` to the keys
//! that sign them. `custody generate` feeds the cases through the real
//! append path. Nothing here touches a store or the clock, so the same seed
//! gives the same cases on every machine (ChaCha8 is a specified, portable
//! generator, and each person has its own stream: person 7's case does not
//! depend on how many persons come before it).
//!
//! The shape of a case follows the public figures in the domain brief
//! (`docs/BENCHMARKS.md`, "Synthetic ledger", says where each proportion comes
//! from): a quarter of the persons are civilians; about half of the missing
//! are later known to be held; a quarter of those are never notified to the
//! ICRC and the others after a long-tailed delay (median about ten weeks,
//! some after more than a year); families who send parcels see them accepted
//! month after month; most held persons never write; releases come in
//! exchange batches; a few die in custody or are executed; and a small share
//! of entries is later corrected.
//!
//! Built only with the `synthetic` feature, so the verifier never links a
//! random number generator.

use crate::keyfile::SigningKey;
use chrono::{Datelike, NaiveDate};
use custody_format::event::{
    Attachment, Capture, Category, Correspondence, CorrespondenceKind, Death, DeathCause, Denial,
    Event, IcrcNotification, IllTreatment, IllTreatmentKind, IllTreatmentSource, Inquiry,
    LegalProceeding, MissingReport, PersonId, ProceedingStage, Release, ReleaseKind, Sha256Digest,
    Sighting, SightingSource, Source, Transfer, Visit, Visitor,
};
use custody_format::time::OccurredAt;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// First day of the model's timeline: the full-scale invasion, 24 Feb 2022.
pub const TIMELINE_START: (i32, u32, u32) = (2022, 2, 24);
/// Last day of the model's timeline: events after it have not happened yet.
pub const TIMELINE_END: (i32, u32, u32) = (2025, 6, 30);
/// Investigators (field teams) active from the start. One more is granted
/// when the first one's key is revoked, half-way through the cases.
pub const FIRST_INVESTIGATORS: usize = 5;
/// Prisoner exchanges in the timeline (64 had taken place by May 2025).
pub const EXCHANGES: usize = 64;

/// The proportions of the model, in one place so the documentation and the
/// tests can quote them. Each is a probability unless its name says
/// otherwise; `docs/BENCHMARKS.md` gives the source of each.
pub mod shape {
    /// A person is a civilian (else military). Register: up to 14,000 of
    /// ~55,000 cases (Sept. 2024).
    pub const CIVILIAN: f64 = 0.25;
    /// A missing person is later known to be held (captured).
    pub const CAPTURED: f64 = 0.55;
    /// A missing person never known to be held is found killed in action.
    pub const KILLED_IN_ACTION: f64 = 0.08;
    /// A missing person never known to be held has an unconfirmed sighting
    /// (later retracted as a misidentification).
    pub const FALSE_SIGHTING: f64 = 0.05;
    /// A held person is never notified to the ICRC (a quarter of 3,767
    /// returnees had never been confirmed as held).
    pub const NEVER_NOTIFIED: f64 = 0.25;
    /// Median delay from capture to ICRC notification, in days.
    pub const NOTIFY_MEDIAN_DAYS: f64 = 75.0;
    /// Spread (sigma of the log) of that delay: about 6 % wait over a year.
    pub const NOTIFY_LOG_SIGMA: f64 = 0.95;
    /// A held person's family sends parcels that are accepted in their name.
    pub const PARCEL_FAMILY: f64 = 0.70;
    /// A monthly parcel is accepted (else refused or lost that month).
    pub const PARCEL_ACCEPTED: f64 = 0.85;
    /// Other proof of life (returned prisoners, video, TV, Telegram, calls)
    /// per year held.
    pub const SIGHTINGS_PER_YEAR: f64 = 3.0;
    /// A held person has only brief early contact with the family.
    pub const BRIEF_CONTACT: f64 = 0.16;
    /// A held person can correspond (HRMMU: 21 of 174, 12 %).
    pub const CORRESPONDS: f64 = 0.12;
    /// Mean time held before a release, in days (exponential).
    pub const MEAN_DAYS_TO_RELEASE: f64 = 1400.0;
    /// A held person dies in custody or is executed.
    pub const DIES_IN_CUSTODY: f64 = 0.03;
    /// Of those deaths, the share that are executions.
    pub const EXECUTION: f64 = 0.45;
    /// The family disputes a recorded death (a later sighting says alive).
    pub const DISPUTED_DEATH: f64 = 0.10;
    /// A sighting is later retracted (misidentified person).
    pub const SIGHTING_RETRACTED: f64 = 0.015;
    /// A capture is later replaced (its date was wrong).
    pub const CAPTURE_REPLACED: f64 = 0.02;
    /// Of the held never notified: a family's inquiry answered with a
    /// denial ("not on our lists"). *Assumed*: the seed report's families
    /// were told nothing or denied; the share is the model's choice.
    pub const DENIED: f64 = 0.40;
    /// Of the held: a transfer between places of detention, reported by a
    /// returnee. *Assumed* (the report traces prisoners from Olenivka to
    /// colonies in Russia).
    pub const TRANSFERRED: f64 = 0.30;
    /// Of the held: an ICRC visit. "With one exception, the ICRC did not
    /// visit" (the seed report): rare.
    pub const ICRC_VISIT: f64 = 0.005;
    /// Of the released: ill-treatment reported on return. HRMMU: 97 % of
    /// the former POWs interviewed described torture or ill-treatment.
    pub const ILL_TREATMENT_REPORTED: f64 = 0.90;
    /// Of the held civilians: remanded or charged by the detaining state's
    /// own court (an official act). *Assumed*.
    pub const CIVILIAN_PROSECUTED: f64 = 0.20;
}

/// One thing the generator appends for a person: an event, or a correction
/// of an earlier record of the same case (by its index in
/// [`Case::records`]), whose entry hash is known only once that record has
/// been appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// Evidence about the person.
    Event(Event),
    /// A correction of `records[target]`.
    Correction {
        /// Index of the corrected record in the same case; always earlier.
        target: usize,
        /// Why.
        reason: String,
        /// What replaces it (`None`: a plain retraction).
        replacement: Option<Event>,
    },
}

/// One person's case: who, which investigator records it, and its records
/// in the order they are appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The person (pseudonymous: `SYN-` and the index).
    pub person: PersonId,
    /// Index of the investigator whose key signs the case (see
    /// [`Model::investigator_for`]).
    pub investigator: usize,
    /// The records; corrections come after their targets.
    pub records: Vec<Record>,
}

/// Which synthetic key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyName {
    /// The ledger's authority (signs genesis, grants, the revocation).
    Authority,
    /// Investigator `n` (0-based).
    Investigator(usize),
}

/// The model for one seed and one number of persons.
#[derive(Clone, Debug)]
pub struct Model {
    seed: u64,
    persons: u64,
    exchanges: Vec<i64>,
}

/// Mixed into the seed for the stream of format v2's evidence types.
const V2_STREAM: u64 = 0x7632_7632_7632_7632;

/// Days since 1970-01-01 of a calendar date.
fn days_of(y: i32, m: u32, d: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, m, d)
        .expect("a valid constant date")
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
        .num_days()
}

fn date_of(days: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(days)
}

fn start() -> i64 {
    let (y, m, d) = TIMELINE_START;
    days_of(y, m, d)
}

fn end() -> i64 {
    let (y, m, d) = TIMELINE_END;
    days_of(y, m, d)
}

const PLACES: &[&str] = &[
    "Mariupol",
    "Bakhmut",
    "Avdiivka",
    "Kherson",
    "Izium",
    "Melitopol",
    "Sievierodonetsk",
    "Lysychansk",
    "Vuhledar",
    "Zaporizhzhia region",
    "Kharkiv region",
    "Donetsk region",
];
const DETENTION: &[&str] = &[
    "Olenivka",
    "Taganrog SIZO-2",
    "Kursk SIZO-1",
    "Bryansk",
    "Donetsk",
    "Ryazhsk",
    "unknown",
];
const GIVEN: &[&str] = &[
    "Ivan",
    "Oleksandr",
    "Mykola",
    "Serhii",
    "Andrii",
    "Dmytro",
    "Olena",
    "Iryna",
    "Yurii",
    "Vasyl",
    "Nataliia",
    "Taras",
];
const FAMILY: &[&str] = &[
    "Petrenko",
    "Kovalenko",
    "Bondarenko",
    "Tkachenko",
    "Shevchenko",
    "Kravchenko",
    "Melnyk",
    "Boiko",
    "Lysenko",
    "Moroz",
];
const UNITS: &[&str] = &[
    "36th marine brigade",
    "93rd mechanised brigade",
    "Azov regiment",
    "territorial defence",
    "border guard service",
    "national guard",
];
const CIRCUMSTANCES: &[&str] = &[
    "surrendered with the garrison",
    "taken wounded",
    "taken at a checkpoint",
    "detained at a filtration point",
    "taken from home during the occupation",
];

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// A standard normal draw (Box–Muller), for the long-tailed delays.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    // Knuth's method; lambda stays small here (a few per case).
    let limit = (-lambda).exp();
    let mut k = 0;
    let mut p = rng.random::<f64>();
    while p > limit && k < 1000 {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

/// A date at the precision a witness or document would give it.
fn when(rng: &mut ChaCha8Rng, days: i64, p_day: f64, p_month: f64) -> OccurredAt {
    let d = date_of(days);
    let roll: f64 = rng.random();
    if roll < p_day {
        OccurredAt::Day {
            year: d.year(),
            month: d.month() as u8,
            day: d.day() as u8,
        }
    } else if roll < p_day + p_month {
        OccurredAt::Month {
            year: d.year(),
            month: d.month() as u8,
        }
    } else {
        OccurredAt::Year { year: d.year() }
    }
}

fn day(days: i64) -> OccurredAt {
    let d = date_of(days);
    OccurredAt::Day {
        year: d.year(),
        month: d.month() as u8,
        day: d.day() as u8,
    }
}

/// A media file reference: the SHA-256 of bytes that exist only in the
/// model (the ledger never holds the file, only its hash).
fn attachment(rng: &mut ChaCha8Rng, media_type: &str, description: &str) -> Vec<Attachment> {
    let mut h = Sha256::new();
    h.update(rng.random::<[u8; 32]>());
    vec![Attachment {
        sha256: Sha256Digest(h.finalize().into()),
        media_type: media_type.to_string(),
        description: Some(description.to_string().into()),
    }]
}

impl Model {
    /// The model for `seed`, sized for `persons` cases.
    pub fn new(seed: u64, persons: u64) -> Model {
        // Exchange dates: evenly spread from April 2022 to May 2025, with a
        // few days of jitter, from a stream no person uses.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(u64::MAX);
        let first = days_of(2022, 4, 1);
        let last = days_of(2025, 5, 31);
        let step = (last - first) as f64 / (EXCHANGES - 1) as f64;
        let mut exchanges: Vec<i64> = (0..EXCHANGES)
            .map(|i| first + (i as f64 * step) as i64 + rng.random_range(-4..=4))
            .collect();
        exchanges.sort_unstable();
        Model {
            seed,
            persons,
            exchanges,
        }
    }

    /// Number of cases.
    pub fn persons(&self) -> u64 {
        self.persons
    }

    /// The exchange dates, as days since 1970-01-01.
    pub fn exchange_days(&self) -> &[i64] {
        &self.exchanges
    }

    /// The case index at which investigator 0's key is revoked (its device
    /// was lost) and investigator [`FIRST_INVESTIGATORS`] is granted in its
    /// place: half-way through. Zero (no revocation) below two persons.
    pub fn revocation_at(&self) -> u64 {
        self.persons / 2
    }

    /// Number of investigator keys, the replacement included.
    pub fn investigators(&self) -> usize {
        FIRST_INVESTIGATORS + 1
    }

    /// Which investigator records case `index`: round robin over the first
    /// five, with the replacement taking over the revoked key's share.
    pub fn investigator_for(&self, index: u64) -> usize {
        let i = (index % FIRST_INVESTIGATORS as u64) as usize;
        // Below two persons there is no half-way, and no revocation.
        if i == 0 && self.revocation_at() > 0 && index >= self.revocation_at() {
            FIRST_INVESTIGATORS
        } else {
            i
        }
    }

    /// The deterministic signing key `which` for this seed: SHA-256 of a
    /// domain-separated label and the seed. Reproducible by design — never
    /// use these keys for a real ledger.
    pub fn key(&self, which: KeyName) -> SigningKey {
        let label = match which {
            KeyName::Authority => "authority".to_string(),
            KeyName::Investigator(n) => format!("investigator-{n}"),
        };
        let mut h = Sha256::new();
        h.update(b"custody/synthetic/v1/key\0");
        h.update(label.as_bytes());
        h.update([0]);
        h.update(self.seed.to_le_bytes());
        SigningKey::from_bytes(&h.finalize().into())
    }

    /// The person id of case `index`.
    pub fn person_id(index: u64) -> PersonId {
        PersonId::new(&format!("SYN-{index:07}")).expect("a valid id")
    }

    /// The case of person `index`: every record, corrections last.
    pub fn case(&self, index: u64) -> Case {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index);
        let person = Model::person_id(index);
        let (missing, missing_day, place) = missing_report(&mut rng, &person);
        let mut c = CaseDraft {
            person,
            records: vec![Record::Event(Event::MissingReport(missing))],
            dated: Vec::new(),
            corrections: Vec::new(),
        };
        if !rng.random_bool(shape::CAPTURED) {
            c.never_captured(&mut rng, missing_day, place);
            return self.finish(c.person, index, c.records, c.dated, c.corrections, &mut rng);
        }
        // Held. Most are taken the day they vanish; some days later.
        let capture_day = if rng.random_bool(0.7) {
            missing_day
        } else {
            missing_day + rng.random_range(1..15)
        };
        c.capture(&mut rng, capture_day, place);

        // How custody ends: death, release at an exchange, or not yet.
        let release_after = exponential(&mut rng, shape::MEAN_DAYS_TO_RELEASE) as i64;
        let release_day = self
            .exchanges
            .iter()
            .copied()
            .find(|&x| x >= capture_day + release_after.max(14))
            .filter(|&x| x <= end());
        let death_day = rng
            .random_bool(shape::DIES_IN_CUSTODY)
            .then(|| capture_day + rng.random_range(7..900))
            .filter(|&d| d <= end() && release_day.is_none_or(|r| d < r));
        let custody_end = death_day.or(release_day).unwrap_or(end());

        c.notification(&mut rng, capture_day, custody_end);
        c.contact(&mut rng, capture_day, custody_end);
        c.proof_of_life(&mut rng, capture_day, custody_end);
        if let Some(d) = death_day {
            c.death_in_custody(&mut rng, d);
        } else if let Some(d) = release_day {
            c.release(&mut rng, d);
        }
        // The evidence types of format v2, from a stream of their own: every
        // event drawn above is the same as before they existed.
        let mut v2 = ChaCha8Rng::seed_from_u64(self.seed ^ V2_STREAM);
        v2.set_stream(index);
        c.v2_evidence(&mut v2, capture_day, custody_end, release_day);
        self.finish(c.person, index, c.records, c.dated, c.corrections, &mut rng)
    }

    /// Orders the dated events, appends them, then decides which sightings
    /// are later retracted and puts the corrections last.
    fn finish(
        &self,
        person: PersonId,
        index: u64,
        mut records: Vec<Record>,
        mut dated: Vec<(i64, Event)>,
        mut corrections: Vec<Record>,
        rng: &mut ChaCha8Rng,
    ) -> Case {
        dated.sort_by_key(|(d, _)| *d);
        for (_, event) in dated {
            let i = records.len();
            let retract = match &event {
                Event::Sighting(s) if s.source == SightingSource::Telegram && s.notes.is_some() => {
                    true
                }
                Event::Sighting(_) => rng.random_bool(shape::SIGHTING_RETRACTED),
                _ => false,
            };
            records.push(Record::Event(event));
            if retract {
                corrections.push(Record::Correction {
                    target: i,
                    reason: "misidentified: the person seen is someone else".into(),
                    replacement: None,
                });
            }
        }
        records.append(&mut corrections);
        Case {
            person,
            investigator: self.investigator_for(index),
            records,
        }
    }
}

/// The missing report that opens a case: who, when last seen (as a day
/// number) and where. Draws from `rng` in a fixed
/// order, so a seed gives the same cases in every version.
fn missing_report(rng: &mut ChaCha8Rng, person: &PersonId) -> (MissingReport, i64, &'static str) {
    let civilian = rng.random_bool(shape::CIVILIAN);
    let category = if civilian {
        Category::Civilian
    } else {
        Category::Military
    };
    // When last seen: half the cases in 2022 (Mariupol, the first
    // months), a quarter each in 2023 and 2024.
    let (from, to) = match rng.random_range(0..4) {
        0 | 1 => (start(), days_of(2022, 12, 31)),
        2 => (days_of(2023, 1, 1), days_of(2023, 12, 31)),
        _ => (days_of(2024, 1, 1), days_of(2024, 12, 31)),
    };
    let missing_day = rng.random_range(from..=to);
    let place = pick(rng, PLACES);
    let named = rng.random_bool(0.4);
    let missing = MissingReport {
        person: person.clone(),
        occurred_at: when(rng, missing_day, 0.6, 0.3),
        category,
        last_seen_place: Some(place.to_string().into()),
        name: named
            .then(|| format!("{} {}", pick(rng, GIVEN), pick(rng, FAMILY)))
            .map(Into::into),
        date_of_birth: rng
            .random_bool(0.5)
            .then(|| OccurredAt::Year {
                year: rng.random_range(1965..=2004),
            })
            .map(Into::into),
        service_number: ((!civilian && rng.random_bool(0.6))
            .then(|| format!("A{:06}", rng.random_range(0..1_000_000))))
        .map(Into::into),
        unit: ((!civilian && rng.random_bool(0.7)).then(|| pick(rng, UNITS).to_string()))
            .map(Into::into),
        notes: None,
        attachments: Vec::new(),
        witnesses: None,
    };
    (missing, missing_day, place)
}

/// A case being drawn: its records so far, the dated events still to be
/// ordered, and the corrections that come last.
struct CaseDraft {
    person: PersonId,
    records: Vec<Record>,
    dated: Vec<(i64, Event)>,
    corrections: Vec<Record>,
}

impl CaseDraft {
    /// The evidence types of format v2 for a held person: a family's
    /// inquiry and the denial that answered it (never notified), a transfer
    /// reported by a returnee, a rare ICRC visit, a civilian's remand, and
    /// ill-treatment reported on release (`shape` gives the shares).
    fn v2_evidence(
        &mut self,
        rng: &mut ChaCha8Rng,
        capture_day: i64,
        custody_end: i64,
        release_day: Option<i64>,
    ) {
        let person = self.person.clone();
        let notified = self
            .dated
            .iter()
            .any(|(_, e)| matches!(e, Event::IcrcNotification(_)));
        let civilian = matches!(
            self.records.first(),
            Some(Record::Event(Event::MissingReport(m))) if m.category == Category::Civilian
        );
        let within = |rng: &mut ChaCha8Rng, from: i64| {
            (from + rng.random_range(30..240)).min(custody_end.max(from))
        };
        if !notified && rng.random_bool(shape::DENIED) {
            let asked = within(rng, capture_day);
            self.dated.push((
                asked,
                Event::Inquiry(Inquiry {
                    person: person.clone(),
                    occurred_at: day(asked),
                    to: "ICRC Central Tracing Agency".into(),
                    by: pick(rng, FAMILY).into(),
                    notes: None,
                    attachments: vec![],
                    witnesses: None,
                }),
            ));
            let denied = (asked + rng.random_range(20..120)).min(custody_end.max(asked));
            self.dated.push((
                denied,
                Event::Denial(Denial {
                    person: person.clone(),
                    occurred_at: day(denied),
                    by: "the detaining state, answering the ICRC".into(),
                    notes: Some("not on its lists".into()),
                    attachments: vec![],
                    witnesses: None,
                }),
            ));
        }
        if rng.random_bool(shape::TRANSFERRED) {
            let moved = within(rng, capture_day);
            self.dated.push((
                moved,
                Event::Transfer(Transfer {
                    person: person.clone(),
                    occurred_at: when(rng, moved, 0.3, 0.5),
                    from: Some(pick(rng, DETENTION).into()),
                    to: pick(rng, DETENTION).into(),
                    source: Source::ReturnedPow,
                    notes: None,
                    attachments: vec![],
                    witnesses: None,
                }),
            ));
        }
        if rng.random_bool(shape::ICRC_VISIT) {
            let visited = within(rng, capture_day);
            self.dated.push((
                visited,
                Event::Visit(Visit {
                    person: person.clone(),
                    occurred_at: day(visited),
                    visitor: Visitor::Icrc,
                    place: Some(pick(rng, DETENTION).into()),
                    notes: None,
                    attachments: vec![],
                    witnesses: None,
                }),
            ));
        }
        if civilian && rng.random_bool(shape::CIVILIAN_PROSECUTED) {
            let remanded = within(rng, capture_day);
            self.dated.push((
                remanded,
                Event::LegalProceeding(LegalProceeding {
                    person: person.clone(),
                    occurred_at: day(remanded),
                    stage: ProceedingStage::Remanded,
                    source: Source::Official,
                    authority: Some("a court of the detaining state".into()),
                    charge: None,
                    sentence: None,
                    notes: None,
                    attachments: vec![],
                    witnesses: None,
                }),
            ));
        }
        if let Some(r) = release_day {
            if rng.random_bool(shape::ILL_TREATMENT_REPORTED) {
                let back = rng.random_range(30..400);
                self.dated.push((
                    r,
                    Event::IllTreatment(IllTreatment {
                        person,
                        occurred_at: when(rng, r - back, 0.0, 0.4),
                        kind: IllTreatmentKind::Beating,
                        source: IllTreatmentSource::SelfReport,
                        place: None,
                        notes: Some("described on return".into()),
                        attachments: vec![],
                        witnesses: None,
                    }),
                ));
            }
        }
    }

    /// Never captured: killed in action, or a false sighting, or nothing.
    fn never_captured(&mut self, rng: &mut ChaCha8Rng, missing_day: i64, place: &str) {
        let (person, dated) = (&self.person, &mut self.dated);
        if rng.random_bool(shape::KILLED_IN_ACTION) {
            let d = (missing_day + rng.random_range(0..60)).min(end());
            dated.push((
                d,
                Event::Death(Death {
                    person: person.clone(),
                    occurred_at: when(rng, d, 0.5, 0.4),
                    place: Some(place.to_string().into()),
                    cause: DeathCause::KilledInAction,
                    remains_returned: Some(rng.random_bool(0.6)),
                    notes: None,
                    attachments: Vec::new(),
                    witnesses: None,
                }),
            ));
        } else if rng.random_bool(shape::FALSE_SIGHTING) {
            let d = (missing_day + rng.random_range(30..400)).min(end());
            dated.push((
                d,
                Event::Sighting(Sighting {
                    person: person.clone(),
                    occurred_at: when(rng, d, 0.3, 0.7),
                    place: None,
                    source: SightingSource::Telegram,
                    notes: Some("face resembles the person; not confirmed".into()),
                    attachments: attachment(rng, "video/mp4", "channel post"),
                    witnesses: None,
                }),
            ));
        }
    }

    /// The capture record, and sometimes its correction to a day earlier.
    fn capture(&mut self, rng: &mut ChaCha8Rng, capture_day: i64, place: &str) {
        let (person, records, corrections) =
            (&self.person, &mut self.records, &mut self.corrections);
        let capture = Capture {
            person: person.clone(),
            occurred_at: when(rng, capture_day, 0.5, 0.4),
            place: Some(place.to_string().into()),
            circumstances: Some(pick(rng, CIRCUMSTANCES).to_string().into()),
            category: None,
            notes: None,
            attachments: if rng.random_bool(0.35) {
                attachment(rng, "video/mp4", "capture footage")
            } else {
                Vec::new()
            },
            witnesses: None,
        };
        let capture_index = records.len();
        records.push(Record::Event(Event::Capture(capture.clone())));
        if rng.random_bool(shape::CAPTURE_REPLACED) {
            let mut fixed = capture;
            fixed.occurred_at = day(capture_day.saturating_sub(1));
            corrections.push(Record::Correction {
                target: capture_index,
                reason: "the date of capture was one day earlier (witness statement)".into(),
                replacement: Some(Event::Capture(fixed)),
            });
        }
    }

    /// ICRC notification, long-tailed; a quarter never notified. A person
    /// released before the notice came was never confirmed as held.
    fn notification(&mut self, rng: &mut ChaCha8Rng, capture_day: i64, custody_end: i64) {
        let (person, dated) = (&self.person, &mut self.dated);
        if !rng.random_bool(shape::NEVER_NOTIFIED) {
            let delay = (shape::NOTIFY_MEDIAN_DAYS.ln() + shape::NOTIFY_LOG_SIGMA * normal(rng))
                .exp()
                .clamp(2.0, 1500.0) as i64;
            let d = capture_day + delay;
            if d < custody_end {
                dated.push((
                    d,
                    Event::IcrcNotification(IcrcNotification {
                        person: person.clone(),
                        occurred_at: day(d),
                        reference: Some(
                            format!("CTA-{:08}", rng.random_range(0..100_000_000)).into(),
                        ),
                        location_disclosed: Some(rng.random_bool(0.1)),
                        health_disclosed: Some(rng.random_bool(0.05)),
                        notes: None,
                        attachments: Vec::new(),
                        witnesses: None,
                    }),
                ));
            }
        }
    }

    /// Contact with the family: most never; some briefly; few regularly.
    fn contact(&mut self, rng: &mut ChaCha8Rng, capture_day: i64, custody_end: i64) {
        let (person, dated) = (&self.person, &mut self.dated);
        let roll: f64 = rng.random();
        let letters: Vec<i64> = if roll < shape::CORRESPONDS {
            let mut v = Vec::new();
            let mut d = capture_day + rng.random_range(60..200);
            while d < custody_end {
                v.push(d);
                d += rng.random_range(60..200);
            }
            v
        } else if roll < shape::CORRESPONDS + shape::BRIEF_CONTACT {
            vec![capture_day + rng.random_range(1..45)]
        } else {
            Vec::new()
        };
        for d in letters.into_iter().filter(|&d| d < custody_end) {
            let kind = if rng.random_bool(0.7) {
                CorrespondenceKind::Letter
            } else {
                CorrespondenceKind::Call
            };
            dated.push((
                d,
                Event::Correspondence(Correspondence {
                    person: person.clone(),
                    occurred_at: when(rng, d, 0.7, 0.3),
                    kind,
                    via: ((kind == CorrespondenceKind::Letter).then(|| "icrc".to_string()))
                        .map(Into::into),
                    notes: None,
                    attachments: Vec::new(),
                    witnesses: None,
                }),
            ));
        }
    }

    /// Parcels accepted in the person's name, and other proof of life.
    fn proof_of_life(&mut self, rng: &mut ChaCha8Rng, capture_day: i64, custody_end: i64) {
        let (person, dated) = (&self.person, &mut self.dated);
        let mut sightings: Vec<(i64, Sighting)> = Vec::new();
        if rng.random_bool(shape::PARCEL_FAMILY) {
            let centre = pick(rng, DETENTION);
            let mut d = capture_day + rng.random_range(30..120);
            while d < custody_end {
                if rng.random_bool(shape::PARCEL_ACCEPTED) {
                    sightings.push((
                        d,
                        Sighting {
                            person: person.clone(),
                            occurred_at: day(d),
                            place: Some(centre.to_string().into()),
                            source: SightingSource::ParcelAccepted,
                            notes: None,
                            attachments: Vec::new(),
                            witnesses: None,
                        },
                    ));
                }
                d += rng.random_range(25..40);
            }
        }
        // Other proof of life.
        let held_years = (custody_end - capture_day).max(0) as f64 / 365.25;
        for _ in 0..poisson(rng, held_years * shape::SIGHTINGS_PER_YEAR) {
            let d = rng.random_range(capture_day..=custody_end.max(capture_day));
            let source = match rng.random_range(0..100) {
                0..=34 => SightingSource::ReturnedPow,
                35..=49 => SightingSource::Video,
                50..=64 => SightingSource::Telegram,
                65..=79 => SightingSource::Tv,
                80..=94 => SightingSource::PhoneCall,
                _ => SightingSource::Other,
            };
            let media = match source {
                SightingSource::Video | SightingSource::Telegram => {
                    attachment(rng, "video/mp4", "proof of life")
                }
                SightingSource::Tv => attachment(rng, "video/mp4", "broadcast excerpt"),
                _ => Vec::new(),
            };
            sightings.push((
                d,
                Sighting {
                    person: person.clone(),
                    occurred_at: when(rng, d, 0.4, 0.5),
                    place: (rng
                        .random_bool(0.5)
                        .then(|| pick(rng, DETENTION).to_string()))
                    .map(Into::into),
                    source,
                    notes: None,
                    attachments: media,
                    witnesses: None,
                },
            ));
        }
        dated.extend(sightings.into_iter().map(|(d, s)| (d, Event::Sighting(s))));
    }

    /// A death in custody, sometimes disputed by a later sighting.
    fn death_in_custody(&mut self, rng: &mut ChaCha8Rng, d: i64) {
        let (person, dated) = (&self.person, &mut self.dated);
        let execution = rng.random_bool(shape::EXECUTION);
        dated.push((
            d,
            Event::Death(Death {
                person: person.clone(),
                occurred_at: when(rng, d, 0.6, 0.3),
                place: Some(pick(rng, DETENTION).to_string().into()),
                cause: if execution {
                    DeathCause::Execution
                } else {
                    DeathCause::DeathInCustody
                },
                remains_returned: Some(rng.random_bool(0.5)),
                notes: None,
                attachments: if rng.random_bool(0.3) {
                    attachment(rng, "image/jpeg", "photograph")
                } else {
                    Vec::new()
                },
                witnesses: None,
            }),
        ));
        if rng.random_bool(shape::DISPUTED_DEATH) {
            let later = (d + rng.random_range(30..300)).min(end());
            dated.push((
                later,
                Event::Sighting(Sighting {
                    person: person.clone(),
                    occurred_at: when(rng, later, 0.3, 0.6),
                    place: None,
                    source: SightingSource::ReturnedPow,
                    notes: Some(
                        "the family disputes the death: a returned prisoner says he saw him alive"
                            .into(),
                    ),
                    attachments: Vec::new(),
                    witnesses: None,
                }),
            ));
        }
    }

    /// A release, nearly always at an exchange.
    fn release(&mut self, rng: &mut ChaCha8Rng, d: i64) {
        let (person, dated) = (&self.person, &mut self.dated);
        let roll: f64 = rng.random();
        dated.push((
            d,
            Event::Release(Release {
                person: person.clone(),
                occurred_at: day(d),
                place: None,
                kind: if roll < 0.95 {
                    ReleaseKind::Exchange
                } else if roll < 0.98 {
                    ReleaseKind::Repatriation
                } else {
                    ReleaseKind::Release
                },
                notes: None,
                attachments: Vec::new(),
                witnesses: None,
            }),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_cases_and_keys() {
        let a = Model::new(7, 100);
        let b = Model::new(7, 100);
        for i in [0, 1, 50, 99] {
            assert_eq!(a.case(i), b.case(i));
        }
        assert_eq!(
            a.key(KeyName::Investigator(2)).to_bytes(),
            b.key(KeyName::Investigator(2)).to_bytes()
        );
        assert_ne!(
            a.key(KeyName::Authority).to_bytes(),
            Model::new(8, 100).key(KeyName::Authority).to_bytes()
        );
        assert_ne!(a.case(3), Model::new(8, 100).case(3));
    }

    #[test]
    fn every_event_is_valid_and_corrections_follow_their_targets() {
        let m = Model::new(1, 2000);
        for i in 0..2000 {
            let case = m.case(i);
            for (n, r) in case.records.iter().enumerate() {
                match r {
                    Record::Event(e) => {
                        e.validate().unwrap();
                        assert_eq!(e.person(), Some(&case.person));
                    }
                    Record::Correction {
                        target,
                        replacement,
                        ..
                    } => {
                        assert!(*target < n);
                        assert!(matches!(case.records[*target], Record::Event(_)));
                        if let Some(e) = replacement {
                            e.validate().unwrap();
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_shape_matches_the_documented_proportions() {
        let n = 20_000;
        let m = Model::new(42, n);
        let (mut entries, mut held, mut notified, mut released, mut wrote) = (0, 0, 0, 0, 0);
        let mut delays = Vec::new();
        for i in 0..n {
            let case = m.case(i);
            entries += case.records.len();
            let mut capture = None;
            let has = |t: &str| {
                case.records
                    .iter()
                    .any(|r| matches!(r, Record::Event(e) if e.type_name() == t))
            };
            if has("capture") {
                held += 1;
            }
            if has("icrc_notification") {
                notified += 1;
            }
            if has("release") {
                released += 1;
            }
            if has("correspondence") {
                wrote += 1;
            }
            for r in &case.records {
                match r {
                    Record::Event(Event::Capture(c)) if capture.is_none() => {
                        capture = Some(c.occurred_at.start_micros())
                    }
                    Record::Event(Event::IcrcNotification(x)) => {
                        if let Some(c) = capture {
                            delays.push((x.occurred_at.start_micros() - c) / 86_400_000_000);
                        }
                    }
                    _ => {}
                }
            }
        }
        // Format v2's evidence types, in the shares `shape` documents.
        let (mut denied, mut never_notified_held, mut transferred, mut visited) = (0, 0, 0, 0);
        let (mut ill, mut released_count) = (0, 0);
        for i in 0..n {
            let case = m.case(i);
            let has = |t: &str| {
                case.records
                    .iter()
                    .any(|r| matches!(r, Record::Event(e) if e.type_name() == t))
            };
            if has("capture") && !has("icrc_notification") {
                never_notified_held += 1;
                denied += u64::from(has("denial"));
            }
            transferred += u64::from(has("transfer"));
            visited += u64::from(has("visit"));
            if has("release") {
                released_count += 1;
                ill += u64::from(has("ill_treatment"));
            }
        }
        let share = |a: u64, b: u64| a as f64 / b as f64;
        assert!((0.33..0.47).contains(&share(denied, never_notified_held)));
        assert!((0.25..0.35).contains(&share(transferred, held)));
        assert!(share(visited, held) < 0.02, "ICRC visits are rare");
        assert!((0.85..0.95).contains(&share(ill, released_count)));
        let per_person = entries as f64 / n as f64;
        assert!(
            (8.5..11.5).contains(&per_person),
            "{per_person} entries per person"
        );
        let held_share = held as f64 / n as f64;
        assert!((0.5..0.6).contains(&held_share), "{held_share}");
        // Notified: fewer than 3/4 of the held (some released first).
        let notified_share = notified as f64 / held as f64;
        assert!((0.55..0.75).contains(&notified_share), "{notified_share}");
        let wrote_share = wrote as f64 / held as f64;
        assert!((0.2..0.35).contains(&wrote_share), "{wrote_share}");
        assert!(released > 0);
        delays.sort_unstable();
        let median = delays[delays.len() / 2];
        assert!((40..120).contains(&median), "median delay {median} days");
        let over_a_year = delays.iter().filter(|&&d| d > 365).count() as f64 / delays.len() as f64;
        assert!(
            (0.01..0.12).contains(&over_a_year),
            "{over_a_year} over a year"
        );
    }
}
