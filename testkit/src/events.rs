//! Small events the tests write again and again: a capture, a sighting, a
//! correction and a revocation, with fixed dates and places, and the
//! ledger of reassignments the bundle tests share.

use crate::chain::ChainBuilder;
use crate::keys::{authority, investigator, key};
use custody_format::event::{
    Capture, Category, Correction, Correspondence, CorrespondenceKind, Death, DeathCause,
    EntryHash, Event, IcrcNotification, KeyRevoked, MissingReport, PersonId, Release, ReleaseKind,
    Role, Sighting, SightingSource,
};
use custody_format::time::OccurredAt;
use custody_ledger::keyfile::{public_key_of, SigningKey};

/// A person id that must be valid.
pub fn pid(p: &str) -> PersonId {
    PersonId::new(p).expect("a valid person id")
}

/// The bare evidence of format v1 that moves a status or the clock, with
/// no optional field: `kind` 0 a missing report (of `category`), 1 a
/// capture, 2 an ICRC notification, 3 a sighting on video, 4 a release by
/// exchange, 5 a death of unknown cause, 6 a letter; `None` for another
/// kind. What the projection property tests draw from.
pub fn bare_evidence(p: PersonId, kind: u8, at: OccurredAt, category: Category) -> Option<Event> {
    Some(match kind {
        0 => Event::MissingReport(MissingReport {
            person: p,
            occurred_at: at,
            category,
            last_seen_place: None,
            name: None,
            date_of_birth: None,
            service_number: None,
            unit: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        1 => Event::Capture(Capture {
            person: p,
            occurred_at: at,
            place: None,
            circumstances: None,
            category: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        2 => Event::IcrcNotification(IcrcNotification {
            person: p,
            occurred_at: at,
            reference: None,
            location_disclosed: None,
            health_disclosed: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        3 => Event::Sighting(Sighting {
            person: p,
            occurred_at: at,
            place: None,
            source: SightingSource::Video,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        4 => Event::Release(Release {
            person: p,
            occurred_at: at,
            place: None,
            kind: ReleaseKind::Exchange,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        5 => Event::Death(Death {
            person: p,
            occurred_at: at,
            place: None,
            cause: DeathCause::Unknown,
            remains_returned: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        6 => Event::Correspondence(Correspondence {
            person: p,
            occurred_at: at,
            kind: CorrespondenceKind::Letter,
            via: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        _ => return None,
    })
}

/// A capture of `p` in Mariupol on 17 May 2022.
pub fn capture(p: &str) -> Event {
    Event::Capture(Capture {
        person: pid(p),
        occurred_at: OccurredAt::parse("2022-05-17").expect("a date"),
        place: Some("Mariupol".into()),
        circumstances: None,
        category: None,
        notes: None,
        attachments: vec![],
        witnesses: None,
    })
}

/// A sighting of `p` on video in February 2023.
pub fn sighting(p: &str) -> Event {
    Event::Sighting(Sighting {
        person: pid(p),
        occurred_at: OccurredAt::parse("2023-02").expect("a date"),
        place: None,
        source: SightingSource::Video,
        notes: None,
        attachments: vec![],
        witnesses: None,
    })
}

/// A correction of `target`: a retraction, or a replacement.
pub fn correction(target: EntryHash, replacement: Option<Event>) -> Event {
    Event::Correction(Correction {
        target,
        reason: "misidentified".into(),
        replacement: replacement.map(Box::new),
    })
}

/// The revocation of `k`.
pub fn revoke(k: &SigningKey) -> Event {
    Event::KeyRevoked(KeyRevoked {
        public_key: public_key_of(k),
        reason: "lost".into(),
    })
}

/// P-1's ledger, as the bundle tests use it: a retraction, a reassignment
/// into P-1 (from P-2) and one out of it (to P-3), a grant and a
/// revocation, two checkpoints. Returns the builder and both notes.
pub fn reassignments() -> (ChainBuilder, String, String) {
    let mut b = ChainBuilder::new("bundles");
    b.grant(&investigator(), Role::Investigator, "I");
    let p1 = b.push(capture("P-1"), &investigator()).hash();
    let seen = b.push(sighting("P-1"), &investigator()).hash();
    b.push(capture("P-2"), &investigator());
    let first = b.checkpoint();
    b.push(correction(seen, None), &investigator());
    let p2 = b.push(sighting("P-2"), &investigator()).hash();
    b.push(correction(p2, Some(sighting("P-1"))), &investigator());
    b.grant(&key(7), Role::Investigator, "J");
    b.push(correction(p1, Some(capture("P-3"))), &key(7));
    b.push(sighting("P-1"), &investigator());
    b.push(revoke(&key(7)), &authority());
    b.push(capture("P-2"), &investigator());
    let second = b.checkpoint();
    (b, first, second)
}
