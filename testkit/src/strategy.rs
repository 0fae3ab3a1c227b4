//! Proptest strategies for evidence events and the dates they carry.
//!
//! Keep each strategy's shape as it is: the checked-in
//! `*.proptest-regressions` files and the tests that draw from
//! `TestRunner::deterministic()` replay values by the shape of the
//! strategy that made them.

use custody_format::event::*;
use custody_format::time::OccurredAt;
use proptest::prelude::*;
use std::ops::Range;

/// Short text of letters, digits and punctuation (with a non-ASCII
/// letter), never blank.
pub fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,.'é-]{1,24}".prop_filter("not blank", |s| !s.trim().is_empty())
}

/// [`text`], or none.
pub fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

/// A date known to the year, in `years`.
pub fn year(years: Range<i32>) -> impl Strategy<Value = OccurredAt> {
    years.prop_map(|year| OccurredAt::Year { year })
}

/// A date known to the month, in `years`.
pub fn month(years: Range<i32>) -> impl Strategy<Value = OccurredAt> {
    (years, 1u8..=12).prop_map(|(year, month)| OccurredAt::Month { year, month })
}

/// A date known to the day (the 1st to the 28th), in `years`.
pub fn day(years: Range<i32>) -> impl Strategy<Value = OccurredAt> {
    (years, 1u8..=12, 1u8..=28).prop_map(|(year, month, day)| OccurredAt::Day { year, month, day })
}

/// A date known to the year, the month or the day, one in three each, in
/// `years`.
pub fn approximate(years: Range<i32>) -> impl Strategy<Value = OccurredAt> {
    prop_oneof![year(years.clone()), month(years.clone()), day(years)]
}

/// Any `occurred_at`: a year, a month, a day (1990 to 2029) or an instant
/// (1990 to 2029), one in four each.
pub fn occurred() -> impl Strategy<Value = OccurredAt> {
    const YEARS: Range<i32> = 1990..2030;
    prop_oneof![
        year(YEARS),
        month(YEARS),
        day(YEARS),
        (631_152_000_000_000i64..1_893_456_000_000_000)
            .prop_map(|unix_micros| OccurredAt::Instant { unix_micros }),
    ]
}

/// One of 20 persons, `P-0000` to `P-0019`.
pub fn person() -> impl Strategy<Value = PersonId> {
    (0u16..20).prop_map(|n| PersonId::new(&format!("P-{n:04}")).unwrap())
}

/// Up to two JPEG attachments, with or without a description.
pub fn attachments() -> impl Strategy<Value = Vec<Attachment>> {
    proptest::collection::vec(
        (any::<[u8; 32]>(), opt_text()).prop_map(|(h, d)| Attachment {
            sha256: Sha256Digest(h),
            media_type: "image/jpeg".into(),
            description: d.map(Into::into),
        }),
        0..3,
    )
}

/// What every evidence event has: person, date, notes, attachments.
type Common = (PersonId, OccurredAt, Option<String>, Vec<Attachment>);

fn common() -> impl Strategy<Value = Common> {
    (person(), occurred(), opt_text(), attachments())
}

/// An evidence event of any of the seven types, one in seven each.
pub fn evidence() -> impl Strategy<Value = Event> {
    prop_oneof![
        (common(), any::<bool>(), opt_text()).prop_map(
            |((person, occurred_at, notes, attachments), mil, name)| {
                Event::MissingReport(MissingReport {
                    person,
                    occurred_at,
                    category: if mil {
                        Category::Military
                    } else {
                        Category::Civilian
                    },
                    last_seen_place: None,
                    name: name.map(Into::into),
                    date_of_birth: None,
                    service_number: None,
                    unit: None,
                    notes: notes.map(Into::into),
                    attachments,
                    witnesses: None,
                })
            }
        ),
        (common(), opt_text()).prop_map(|((person, occurred_at, notes, attachments), place)| {
            Event::Capture(Capture {
                person,
                occurred_at,
                place: place.map(Into::into),
                circumstances: None,
                category: None,
                notes: notes.map(Into::into),
                attachments,
                witnesses: None,
            })
        }),
        (common(), proptest::option::of(any::<bool>())).prop_map(
            |((person, occurred_at, notes, attachments), l)| {
                Event::IcrcNotification(IcrcNotification {
                    person,
                    occurred_at,
                    reference: None,
                    location_disclosed: l,
                    health_disclosed: None,
                    notes: notes.map(Into::into),
                    attachments,
                    witnesses: None,
                })
            }
        ),
        (common(), 0usize..7).prop_map(|((person, occurred_at, notes, attachments), s)| {
            Event::Sighting(Sighting {
                person,
                occurred_at,
                place: None,
                source: SightingSource::ALL[s],
                notes: notes.map(Into::into),
                attachments,
                witnesses: None,
            })
        }),
        (common(), 0usize..3).prop_map(|((person, occurred_at, notes, attachments), k)| {
            Event::Release(Release {
                person,
                occurred_at,
                place: None,
                kind: ReleaseKind::ALL[k],
                notes: notes.map(Into::into),
                attachments,
                witnesses: None,
            })
        }),
        (common(), 0usize..4).prop_map(|((person, occurred_at, notes, attachments), c)| {
            Event::Death(Death {
                person,
                occurred_at,
                place: None,
                cause: DeathCause::ALL[c],
                remains_returned: None,
                notes: notes.map(Into::into),
                attachments,
                witnesses: None,
            })
        }),
        (common(), 0usize..4).prop_map(|((person, occurred_at, notes, attachments), k)| {
            Event::Correspondence(Correspondence {
                person,
                occurred_at,
                kind: CorrespondenceKind::ALL[k],
                via: None,
                notes: notes.map(Into::into),
                attachments,
                witnesses: None,
            })
        }),
    ]
}
