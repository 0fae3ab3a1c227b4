//! Format v3 ledgers built without a store, byte for byte reproducible
//! (a store draws fresh salts): committed evidence with fixed test salts, signed statements, a
//! redaction, each entry's disclosures kept beside it, as an export or a
//! `custody-bundle/3` would carry them.
//!
//! Salts are the RFC 9162 leaf hash of `"custody testkit salt" ‖ LE64(i)`,
//! never what a build draws.

use crate::chain::ChainBuilder;
use crate::events::{capture, pid, sighting};
use crate::keys::{authority, investigator, key};
use custody_format::commit::{commit_event, Disclosure, Salt, Slot};
use custody_format::entry::VERSION_3;
use custody_format::event::{EntryHash, Event, RedactedItem, Redaction, Role, Statement};
use custody_format::statement::{Nonce, SignedStatement, StatementBody};
use custody_format::time::Timestamp;
use custody_ledger::keyfile::{public_key_of, SigningKey};
use std::collections::BTreeMap;

/// The ledger name of [`v3_ledger`].
pub const V3_LEDGER: &str = "example.org/v3-test";

/// The registrar of [`v3_ledger`]: key 5.
pub fn registrar() -> SigningKey {
    key(5)
}

/// Test salt `i`.
pub fn salt(i: u64) -> Salt {
    let mut input = b"custody testkit salt".to_vec();
    input.extend_from_slice(&i.to_le_bytes());
    Salt(custody_format::merkle_hash::leaf_hash(&input))
}

/// A v3 chain and the disclosures of each of its entries, by seq (every
/// committed slot disclosed, unless a test removes some).
pub struct V3Ledger {
    /// The chain.
    pub chain: ChainBuilder,
    /// Each entry's disclosures, sorted by slot (absent: none).
    pub disclosures: BTreeMap<u64, Vec<Disclosure>>,
    next_salt: u64,
}

impl V3Ledger {
    /// A v3 ledger holding its genesis, `investigator` (key 2) granted
    /// `investigator`, and [`registrar`] granted `registrar`.
    pub fn new() -> V3Ledger {
        let mut chain = ChainBuilder::with_version(V3_LEDGER, VERSION_3);
        chain.grant(&investigator(), Role::Investigator, "Field team A");
        chain.grant(&registrar(), Role::Registrar, "serve.example.org");
        V3Ledger {
            chain,
            disclosures: BTreeMap::new(),
            next_salt: 0,
        }
    }

    /// Continues `chain` (already at version 3, or switched to it by the
    /// caller) with no disclosures yet.
    pub fn from_chain(chain: ChainBuilder) -> V3Ledger {
        V3Ledger {
            chain,
            disclosures: BTreeMap::new(),
            next_salt: 0,
        }
    }

    /// The `custody-bundle/3` of `person` against the checkpoint whose
    /// note is `note`: the `/2` bundle with every item carrying the
    /// disclosures `keep` keeps of its entry's.
    pub fn bundle_v3(
        &self,
        person: &str,
        note: &str,
        keep: impl Fn(u64, &Disclosure) -> bool,
    ) -> custody_format::wire::bundle::BundleV2 {
        let mut b = self.chain.bundle(person, note);
        b.format = custody_format::wire::bundle::BUNDLE_FORMAT_V3.into();
        for item in &mut b.entries {
            let kept: Vec<Disclosure> = self
                .disclosures_of(item.seq)
                .iter()
                .filter(|d| keep(item.seq, d))
                .cloned()
                .collect();
            item.disclosures = Some(
                kept.iter()
                    .map(|d| custody_format::json::StrictValue(d.to_json()))
                    .collect(),
            );
        }
        b
    }

    /// `event` with every cleartext personal field committed under fresh
    /// test salts, and its disclosures.
    pub fn commit(&mut self, mut event: Event) -> (Event, Vec<Disclosure>) {
        let next = &mut self.next_salt;
        let disclosures = commit_event(&mut event, |_| {
            *next += 1;
            salt(*next)
        })
        .expect("a valid event");
        (event, disclosures)
    }

    /// Appends `event` committed, signed by the investigator; returns its
    /// hash.
    pub fn evidence(&mut self, event: Event) -> EntryHash {
        let (event, disclosures) = self.commit(event);
        let entry = self.chain.push(event, &investigator());
        self.disclosures.insert(entry.seq(), disclosures);
        entry.hash()
    }

    /// Appends a statement by `author` carrying `event` committed,
    /// registered by [`registrar`]; returns its hash.
    pub fn statement(&mut self, author: &SigningKey, event: Event, nonce: u8) -> EntryHash {
        let (event, disclosures) = self.commit(event);
        let body = StatementBody {
            version: 1,
            ledger: V3_LEDGER.into(),
            author: public_key_of(author),
            signed_at: Timestamp(1_767_000_000_000_000),
            nonce: Nonce([nonce; 16]),
            event: Box::new(event),
        };
        let statement = SignedStatement::sign(body, author).expect("a valid statement");
        let entry = self
            .chain
            .push(Event::Statement(Statement { statement }), &registrar());
        self.disclosures.insert(entry.seq(), disclosures);
        entry.hash()
    }

    /// Appends a redaction by the authority of `slots` of `target`, about
    /// `person`; returns its seq.
    pub fn redact(&mut self, person: &str, target: EntryHash, slots: Vec<Slot>) -> u64 {
        let entry = self.chain.push(
            Event::Redaction(Redaction {
                person: pid(person),
                items: vec![RedactedItem { target, slots }],
                reason: "erasure request of 2026-11-02".into(),
            }),
            &authority(),
        );
        entry.seq()
    }

    /// The disclosures of entry `seq` (none for an entry without).
    pub fn disclosures_of(&self, seq: u64) -> &[Disclosure] {
        self.disclosures.get(&seq).map_or(&[], Vec::as_slice)
    }
}

impl Default for V3Ledger {
    fn default() -> V3Ledger {
        V3Ledger::new()
    }
}

/// A missing report of `p`: name, date of birth (July 1990) and last
/// place seen, cleartext (commit it before a v3 body holds it).
pub fn missing_report(p: &str) -> Event {
    use custody_format::event::{Category, MissingReport};
    use custody_format::time::OccurredAt;
    Event::MissingReport(MissingReport {
        person: pid(p),
        occurred_at: OccurredAt::parse("2022-05").expect("a date"),
        category: Category::Military,
        last_seen_place: Some("Mariupol".into()),
        name: Some("Ivan Petrenko".into()),
        date_of_birth: Some(OccurredAt::parse("1990-07").expect("a date").into()),
        service_number: None,
        unit: None,
        notes: None,
        attachments: vec![],
        witnesses: None,
    })
}

/// The standard v3 ledger of the verifier's tests: seq 0 genesis, 1 grant
/// of investigator, 2 grant of registrar, 3 a missing report of P-1
/// ([`missing_report`]) and 4 a capture of P-1 (place committed), both by
/// the investigator, 5 a statement by the investigator (a sighting of P-1
/// with notes and witnesses) registered by the registrar, 6 a redaction
/// of the capture's place, 7 a seal, 8 a checkpoint. Returns the ledger
/// and the checkpoint's note.
pub fn v3_ledger() -> (V3Ledger, String) {
    let mut l = V3Ledger::new();
    l.evidence(missing_report("P-1"));
    let capture = l.evidence(capture("P-1"));
    let mut seen = sighting("P-1");
    if let Event::Sighting(s) = &mut seen {
        s.notes = Some("seen in the yard\twith others".into());
        s.witnesses = Some("Olena, neighbour".into());
    }
    l.statement(&investigator(), seen, 1);
    l.redact(
        "P-1",
        capture,
        vec![Slot::new(0, custody_format::commit::CODE_PLACE)],
    );
    let note = l.chain.checkpoint();
    (l, note)
}
