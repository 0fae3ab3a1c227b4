//! Chains of signed entries built without a store, entry by entry, and the
//! verifier's chain walk over them.

use crate::keys::{authority, investigator};
use crate::ledger::investigator_granted;
use custody_format::entry::{EntryBody, SignedEntry, GENESIS_PREV_HASH, VERSION_1};
use custody_format::event::{Correction, Event, Genesis};
use custody_format::time::Timestamp;
use custody_ledger::keyfile::{public_key_of, SigningKey};
use custody_verifier::{ChainVerifier, Violation};

/// A valid chain: genesis, a grant, then `events` signed by the
/// investigator, with corrections of earlier evidence where `correct` says.
pub fn build_chain(events: &[Event], correct: &[bool]) -> Vec<Vec<u8>> {
    let authority = authority();
    let investigator = investigator();
    let mut out = Vec::new();
    let mut prev = GENESIS_PREV_HASH;
    let mut evidence_hashes = Vec::new();
    let mut corrected = Vec::new();
    let mut push = |event: Event, k: &SigningKey, out: &mut Vec<Vec<u8>>| {
        let seq = out.len() as u64;
        let e = SignedEntry::sign(
            EntryBody {
                version: VERSION_1,
                links: vec![],
                seq,
                prev_hash: prev,
                recorded_at: Timestamp(1_700_000_000_000_000 + seq as i64),
                signer: public_key_of(k),
                event,
            },
            k,
        )
        .unwrap();
        prev = e.hash();
        out.push(e.into_bytes());
        prev
    };
    push(
        Event::Genesis(Genesis {
            ledger_name: "props".into(),
            authority_key: public_key_of(&authority),
            authority_holder: "A".into(),
        }),
        &authority,
        &mut out,
    );
    push(
        investigator_granted(&investigator, "I"),
        &authority,
        &mut out,
    );
    for (i, e) in events.iter().enumerate() {
        let h = push(e.clone(), &investigator, &mut out);
        evidence_hashes.push(h);
        // An entry is corrected at most once.
        if correct.get(i).copied().unwrap_or(false) && !corrected.contains(&(i / 2)) {
            corrected.push(i / 2);
            let target = evidence_hashes[i / 2];
            push(
                Event::Correction(Correction {
                    target,
                    reason: "test".into(),
                    replacement: None,
                }),
                &investigator,
                &mut out,
            );
        }
    }
    out
}

/// Walks `chain` with the verifier: its summary, or the first violation.
pub fn summary(chain: &[Vec<u8>]) -> Result<custody_verifier::Summary, Violation> {
    let mut v = ChainVerifier::new();
    for e in chain {
        v.push(e)?;
    }
    v.finish()
}

/// Walks `chain` with the verifier: its length, or the first violation.
pub fn verify(chain: &[Vec<u8>]) -> Result<u64, Violation> {
    let mut v = ChainVerifier::new();
    for e in chain {
        v.push(e)?;
    }
    v.finish().map(|s| s.length)
}

/// A chain under construction, in format v2: every entry carries the links
/// its streams need, computed the way the store computes them, and
/// [`ChainBuilder::checkpoint`] appends a seal and a checkpoint as
/// `custody checkpoint` does. Each entry is checked against the chain rules
/// before it is kept, so a builder never holds an invalid chain; tests that
/// want one edit the bytes afterwards.
pub struct ChainBuilder {
    /// The stored bytes of every entry, by seq.
    pub entries: Vec<Vec<u8>>,
    /// The decoded entries, by seq.
    pub signed: Vec<SignedEntry>,
    rules: custody_format::rules::ChainRules,
    walked: custody_format::rules::WalkState,
    tree: custody_verifier::merkle::StreamingRoot,
    /// `recorded_at` of the next entry (one microsecond later each time).
    clock: i64,
    /// The version of the next entry.
    pub version: u16,
    name: String,
}

impl ChainBuilder {
    /// A v2 chain named `name` whose genesis names the [`authority`]
    /// (holder "A").
    pub fn new(name: &str) -> ChainBuilder {
        ChainBuilder::with_version(name, custody_format::entry::VERSION_2)
    }

    /// The same, writing entries of `version` until [`ChainBuilder::version`]
    /// is changed (a v1 prefix, then the switch).
    pub fn with_version(name: &str, version: u16) -> ChainBuilder {
        let mut b = ChainBuilder {
            entries: Vec::new(),
            signed: Vec::new(),
            rules: custody_format::rules::ChainRules::default(),
            walked: custody_format::rules::WalkState::new(),
            tree: custody_verifier::merkle::StreamingRoot::new(),
            clock: 1_700_000_000_000_000,
            version,
            name: name.into(),
        };
        b.push(
            Event::Genesis(Genesis {
                ledger_name: name.into(),
                authority_key: public_key_of(&authority()),
                authority_holder: "A".into(),
            }),
            &authority(),
        );
        b
    }

    /// Sets `recorded_at` of the next entry (microseconds since the epoch);
    /// later entries follow it, one microsecond apart.
    pub fn set_clock(&mut self, micros: i64) {
        self.clock = micros;
    }

    /// The links an entry with `event` would carry next.
    pub fn links_for(&self, event: &Event) -> Vec<Option<custody_format::stream::Link>> {
        use custody_format::rules::Lookups;
        let target = match event {
            Event::Correction(c) => match self.walked.target(&c.target).unwrap() {
                custody_format::rules::TargetState::Evidence(k) => Some(k),
                _ => None,
            },
            _ => None,
        };
        custody_format::stream::streams(event, target.as_ref())
            .as_slice()
            .iter()
            .map(|s| self.walked.stream_head(s).unwrap())
            .collect()
    }

    /// The body the next entry with `event`, signed by `key`, would have.
    pub fn next_body(&self, event: Event, key: &SigningKey) -> EntryBody {
        let links = if self.version >= custody_format::entry::VERSION_2 {
            self.links_for(&event)
        } else {
            vec![]
        };
        EntryBody {
            version: self.version,
            seq: self.rules.next_seq(),
            prev_hash: self.rules.prev_hash(),
            recorded_at: Timestamp(self.clock),
            signer: public_key_of(key),
            links,
            event,
        }
    }

    /// Signs `event` with `key` as the next entry; panics if the chain
    /// rules refuse it. Returns the entry.
    pub fn push(&mut self, event: Event, key: &SigningKey) -> SignedEntry {
        let body = self.next_body(event, key);
        self.push_body(body, key)
    }

    /// Signs `body` with `key` as the next entry; panics if the chain rules
    /// refuse it.
    pub fn push_body(&mut self, body: EntryBody, key: &SigningKey) -> SignedEntry {
        self.push_checked(body, key, true)
    }

    /// Appends a seal that states whatever `seal` says, checked by every
    /// rule but the seal's own facts: what a rogue or broken authority could
    /// sign, and only a verifier of the whole ledger (or an anchor check)
    /// catches. Then the checkpoint after it, as [`ChainBuilder::checkpoint`]
    /// does; returns its note.
    pub fn lying_checkpoint(&mut self, seal: custody_format::event::Seal) -> String {
        let body = self.next_body(Event::Seal(seal), &authority());
        self.push_checked(body, &authority(), false);
        self.checkpoint_entry(&authority())
    }

    fn push_checked(&mut self, body: EntryBody, key: &SigningKey, check_seal: bool) -> SignedEntry {
        let entry = SignedEntry::sign(body, key).expect("a valid body");
        let seal = match entry.event() {
            Event::Seal(_) if check_seal => self.walked.streams.seal_facts(),
            _ => None,
        };
        let tree = &self.tree;
        let root = || Ok::<_, std::convert::Infallible>(tree.root());
        let streams = self
            .rules
            .check(entry.body(), &self.walked, Some(&root), seal.as_ref())
            .unwrap_or_else(|e| panic!("entry {} refused: {e}", entry.seq()));
        self.walked.accept(entry.hash(), entry.body(), &streams);
        self.rules.accept(entry.hash(), entry.body());
        self.tree
            .push(custody_format::merkle_hash::leaf_hash(entry.bytes()));
        self.clock += 1;
        self.entries.push(entry.bytes().to_vec());
        self.signed.push(entry.clone());
        entry
    }

    /// Grants `role` to `key` (holder `holder`), signed by the authority.
    pub fn grant(&mut self, key: &SigningKey, role: custody_format::event::Role, holder: &str) {
        self.push(
            Event::KeyGranted(custody_format::event::KeyGranted {
                public_key: public_key_of(key),
                role,
                holder: holder.into(),
            }),
            &authority(),
        );
    }

    /// Grants `role` to `key`, signed by `by` (which must hold `authority`).
    pub fn grant_by(
        &mut self,
        key: &SigningKey,
        role: custody_format::event::Role,
        holder: &str,
        by: &SigningKey,
    ) {
        self.push(
            Event::KeyGranted(custody_format::event::KeyGranted {
                public_key: public_key_of(key),
                role,
                holder: holder.into(),
            }),
            by,
        );
    }

    /// What a seal appended now must state.
    pub fn seal_facts(&mut self) -> custody_format::rules::SealFacts {
        self.walked.streams.seal_facts().expect("after the genesis")
    }

    /// The person map as of the entries so far.
    pub fn map(&mut self) -> &mut custody_format::map_hash::MemoryMap {
        self.walked.streams.map_mut()
    }

    /// The length and last entry of `person`'s stream so far.
    pub fn person_value(&self, person: &str) -> Option<custody_format::map_hash::MapValue> {
        self.walked
            .streams
            .value(&custody_format::stream::Stream::person(person))
    }

    /// Appends a seal and a checkpoint signed by the [`authority`], as
    /// `custody checkpoint` does (v2; in a v1 chain, the checkpoint alone).
    /// Returns the checkpoint's signed note.
    pub fn checkpoint(&mut self) -> String {
        self.checkpoint_signed_by(&authority())
    }

    /// [`ChainBuilder::checkpoint`] with the seal, the checkpoint and its
    /// note signed by `key` (which must hold `authority`): how a holder of
    /// a deputy authority key issues one.
    pub fn checkpoint_signed_by(&mut self, key: &SigningKey) -> String {
        use custody_format::event::{Seal, Sha256Digest};
        if self.version >= custody_format::entry::VERSION_2 {
            let f = self.seal_facts();
            self.push(
                Event::Seal(Seal {
                    map_root: Sha256Digest(f.map_root),
                    gov_count: f.gov_count,
                    gov_head: f.gov_head,
                }),
                key,
            );
        }
        self.checkpoint_entry(key)
    }

    /// The checkpoint entry alone, signed by `key`; returns its note.
    fn checkpoint_entry(&mut self, key: &SigningKey) -> String {
        use custody_format::event::{Checkpoint, Sha256Digest, SignatureBytes};
        let size = self.rules.next_seq();
        let root = self.tree.root();
        let text = custody_format::note::note_text(&self.name, size, &root);
        let signature = custody_format::note::sign_text(&text, key);
        self.push(
            Event::Checkpoint(Checkpoint {
                tree_size: size,
                root_hash: Sha256Digest(root),
                note_signature: SignatureBytes(signature),
            }),
            key,
        );
        let pk = public_key_of(key).0;
        custody_format::note::signed_note(&text, &self.name, &pk, &signature)
    }

    /// The chain walked by the verifier: its length, or the first violation.
    pub fn verify(&self) -> Result<u64, Violation> {
        verify(&self.entries)
    }

    /// The `custody-bundle/2` of `person` against the checkpoint whose
    /// note [`ChainBuilder::checkpoint`] returned
    /// ([`crate::bundle::bundle_v2`]).
    pub fn bundle(&self, person: &str, note: &str) -> custody_format::wire::bundle::BundleV2 {
        crate::bundle::bundle_v2(&self.signed, &self.name, person, note)
    }
}
