//! Streams (format v2): the entries that concern one subject, in seq order,
//! each v2 entry linking to the previous entry of every stream it belongs
//! to (docs/FORMAT.md §12, design §2.2).
//!
//! A stream is the governance stream (genesis, grants, revocations) or one
//! person's stream (every entry that concerns them: their evidence, and the
//! corrections whose target or replacement is about them). Checkpoints and
//! seals belong to none. A person's stream is named by the person's map
//! key `K(P)` ([`crate::map_hash::person_key`]), so it is a fixed-size,
//! copyable value.

use crate::event::{EntryHash, Event};
use crate::map_hash::{person_key, Hash};
use bincode::{Decode, Encode};
use serde::Serialize;
use std::fmt;

/// The previous entry of a stream, as a v2 entry names it (and the latest
/// entry of a stream, as a seal or the person map states it): its seq and
/// its entry hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize)]
pub struct Link {
    /// The entry's seq.
    pub seq: u64,
    /// The entry's hash (SHA-256 of its stored bytes).
    pub hash: EntryHash,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {} ({})", self.seq, self.hash)
    }
}

/// A stream an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// Genesis, grants and revocations.
    Governance,
    /// The entries that concern the person with this map key.
    Person(Hash),
}

impl Stream {
    /// The stream of the person with id `person`.
    pub fn person(person: &str) -> Stream {
        Stream::Person(person_key(person))
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stream::Governance => f.write_str("the governance stream"),
            Stream::Person(k) => write!(f, "the stream of person key {}", hex::encode(&k[..8])),
        }
    }
}

/// The streams of one entry, in stream order: at most two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamList {
    items: [Stream; 2],
    len: u8,
}

impl StreamList {
    /// No stream (checkpoints, seals).
    pub const NONE: StreamList = StreamList {
        items: [Stream::Governance; 2],
        len: 0,
    };

    fn push(&mut self, s: Stream) {
        self.items[usize::from(self.len)] = s;
        self.len += 1;
    }

    /// The streams, in order.
    pub fn as_slice(&self) -> &[Stream] {
        &self.items[..usize::from(self.len)]
    }

    /// How many.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True for checkpoints and seals.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The streams of an entry whose event is `event`, in stream order:
///
/// - genesis, grants, revocations: `[GOV]`;
/// - evidence: `[P(person)]`;
/// - a correction: `[P(t)]`, then `[P(r)]` if it has a replacement about a
///   person `r ≠ t`, where `t` is the person of its target entry
///   (`target_person`, the map key of that person; `None` if the target is
///   not known, which the rules refuse before they ask);
/// - checkpoints and seals: none;
/// - format v3: a statement, its inner event's; a redaction, `[P(person)]`;
///   a predecessor, `[GOV]`.
pub fn streams(event: &Event, target_person: Option<&Hash>) -> StreamList {
    let mut list = StreamList::NONE;
    // Format v3: a statement's streams are its inner event's; a redaction
    // is in the stream of the person whose entries it names.
    let event = event.inner();
    if let Event::Redaction(r) = event {
        list.push(Stream::person(r.person.as_str()));
        return list;
    }
    if event.is_governance() {
        list.push(Stream::Governance);
    } else if let Some(p) = event.person() {
        list.push(Stream::person(p.as_str()));
    } else if let Event::Correction(c) = event {
        if let Some(t) = target_person {
            list.push(Stream::Person(*t));
        }
        if let Some(r) = c.replacement.as_deref().and_then(Event::person) {
            let r = Stream::person(r.as_str());
            if list.as_slice().first() != Some(&r) {
                list.push(r);
            }
        }
    }
    list
}
