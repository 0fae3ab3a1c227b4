//! Small events the tests write again and again: a capture, a sighting, a
//! correction and a revocation, with fixed dates and places, and the
//! ledger of reassignments the bundle tests share.

use crate::chain::ChainBuilder;
use crate::keys::{authority, investigator, key};
use custody_format::event::{
    Capture, Correction, EntryHash, Event, KeyRevoked, PersonId, Role, Sighting, SightingSource,
};
use custody_format::time::OccurredAt;
use custody_ledger::keyfile::{public_key_of, SigningKey};

/// A person id that must be valid.
pub fn pid(p: &str) -> PersonId {
    PersonId::new(p).expect("a valid person id")
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
