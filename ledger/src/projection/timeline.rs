//! A person's history (`custody history`): every entry about them in the
//! order events occurred, each with who signed it and whether, and by what,
//! it was corrected. Rendering is the CLI's; the order and the facts are
//! here, so every reader of the ledger shows the same history.

use custody_format::commit::{Disclosure, Slot};
use custody_format::entry::SignedEntry;
use custody_format::event::{EntryHash, Event, PublicKeyBytes};
use custody_format::registry::KeyRegistry;
use custody_format::time::{OccurredAt, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The correction of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorrectedBy {
    /// The correction's hash.
    pub hash: EntryHash,
    /// Why.
    pub reason: String,
    /// True if it replaced the entry (false: retracted).
    pub replaced: bool,
    /// The correction's seq.
    pub seq: u64,
}

/// Who authored evidence registered as a signed statement (format v3,
/// design §4.6): the signer of the entry only registered it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Authored {
    /// The author's key.
    pub author: PublicKeyBytes,
    /// Who held it when the statement was registered.
    pub holder: String,
    /// The author's clock when signing: a claim, never checked.
    pub signed_at: Timestamp,
    /// The statement's id (the digest its author signed).
    pub statement: String,
}

/// A committed field of an entry that a redaction erased (format v3): the
/// reader is told by whom, when and why, rather than only that the value
/// is not there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RedactedSlot {
    /// The field erased.
    pub slot: Slot,
    /// The redaction's seq.
    pub seq: u64,
    /// Who held the key that signed the redaction.
    pub holder: String,
    /// The redaction's reason.
    pub reason: String,
}

/// One entry of a person's history (fields in the order of their names,
/// as `history --json` has always printed them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    /// For evidence registered as a signed statement: its author. The
    /// entry's `signer` and `holder` are then whoever registered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored: Option<Authored>,
    /// The correction of this entry, if any.
    pub corrected_by: Option<CorrectedBy>,
    /// What the entry says.
    pub event: Event,
    /// Its hash.
    pub hash: EntryHash,
    /// Who held its signing key.
    pub holder: String,
    /// Format v3: its fields a redaction erased (shown as redacted, not
    /// as withheld); absent from the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<RedactedSlot>,
    /// When the event occurred (none for a correction).
    pub occurred_at: Option<OccurredAt>,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Its seq.
    pub seq: u64,
    /// Its signing key.
    pub signer: PublicKeyBytes,
    /// The event's type.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// A person's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct History {
    /// Every entry, in the order shown.
    pub entries: Vec<HistoryRow>,
    /// The person.
    pub person: custody_format::event::PersonId,
}

/// Orders a person's entries as their history: evidence by when it
/// occurred (interval start, end, then seq), each correction right after
/// its target, and corrections whose target is not among `entries` (a
/// replacement naming this person in someone else's entry) at the end.
/// Holders come from `registry`.
///
/// Each event is shown [`opened`](crate::opened::opened) by the
/// disclosures `disclosed` holds for its seq (format v3): a committed field
/// none opens stays a commitment: withheld, or redacted if `redacted`
/// lists it under the entry's seq.
pub fn history(
    person: custody_format::event::PersonId,
    entries: &[SignedEntry],
    registry: &KeyRegistry,
    disclosed: &HashMap<u64, Vec<Disclosure>>,
    redacted: &HashMap<u64, Vec<RedactedSlot>>,
) -> History {
    let open = |e: &SignedEntry| {
        crate::opened::opened(
            e.event(),
            disclosed.get(&e.seq()).map_or(&[], Vec::as_slice),
        )
    };
    let mut corrected_by: BTreeMap<EntryHash, &SignedEntry> = BTreeMap::new();
    for e in entries {
        if let Event::Correction(c) = e.event().inner() {
            corrected_by.insert(c.target, e);
        }
    }
    let mut timeline: Vec<&SignedEntry> =
        entries.iter().filter(|e| e.event().is_evidence()).collect();
    timeline.sort_by_key(|e| {
        let at = e.event().occurred_at().expect("evidence has a time");
        (at.start_micros(), at.end_micros(), e.seq())
    });
    let row = |e: &SignedEntry| {
        let b = e.body();
        let holder_of = |key: &PublicKeyBytes| {
            registry
                .get(key)
                .map(|k| k.holder_at(b.seq).to_string())
                .unwrap_or_default()
        };
        HistoryRow {
            authored: match &b.event {
                Event::Statement(st) => Some(Authored {
                    author: st.statement.author(),
                    holder: holder_of(&st.statement.author()),
                    signed_at: st.statement.body().signed_at,
                    statement: st.statement.id().to_string(),
                }),
                _ => None,
            },
            corrected_by: corrected_by.get(&e.hash()).map(|c| CorrectedBy {
                hash: c.hash(),
                reason: match open(c) {
                    // A withheld or redacted reason shows as nothing here;
                    // the row's event says which.
                    Event::Correction(x) => x.reason.text().unwrap_or_default().to_string(),
                    _ => String::new(),
                },
                replaced: matches!(c.event().inner(), Event::Correction(x) if x.replacement.is_some()),
                seq: c.seq(),
            }),
            event: open(e),
            hash: e.hash(),
            holder: holder_of(&b.signer),
            redacted: redacted.get(&b.seq).cloned().unwrap_or_default(),
            occurred_at: b.event.occurred_at(),
            recorded_at: b.recorded_at,
            seq: b.seq,
            signer: b.signer,
            kind: b.event.inner().type_name(),
        }
    };
    let mut rows = Vec::with_capacity(entries.len());
    let mut shown = HashSet::new();
    for e in timeline {
        rows.push(row(e));
        if let Some(c) = corrected_by.get(&e.hash()) {
            rows.push(row(c));
            shown.insert(c.seq());
        }
    }
    for e in entries {
        if matches!(e.event().inner(), Event::Correction(_)) && !shown.contains(&e.seq()) {
            rows.push(row(e));
        }
    }
    History {
        entries: rows,
        person,
    }
}
