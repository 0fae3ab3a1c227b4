//! A person's bundle, built from the store (`custody export --person`).
//!
//! [`Ledger::person_bundle`] writes `custody-bundle/2` (design §6.2,
//! docs/FORMAT.md §7 "Person bundles"): the seal before a checkpoint, the
//! person's map proof against it, every entry below the seal that concerns
//! the person, the targets of their corrections, all governance below the
//! seal, and the redactions of another person's stream that name only
//! entries the bundle carries (format v3, design §7), each item either
//! named by another (no proof) or carrying its inclusion proof; and, on request, anchors to earlier checkpoints the
//! requester holds. [`Ledger::person_bundle_v1`] still writes the legacy
//! `custody-bundle/1` (inclusion only) for `export --format
//! custody-bundle/1`.
//!
//! The exporter reads the store's indexes and entries; it shares no code
//! with `custody_testkit::bundle::bundle_v2`, which assembles the same
//! document from a chain in memory, so that each checks the other.

use super::{Ledger, StoreError};
use crate::merkle::Hash;
use crate::profile::{Selection, Tally};
use custody_format::entry::SignedEntry;
use custody_format::entry::VERSION_3;
use custody_format::event::{EntryHash, Event, PersonId};
use custody_format::map_hash::person_key;
use custody_format::note;
use custody_format::stream::{streams, Stream};
use custody_format::wire::bundle::{
    Anchor, Bundle, BundleItem, BundleItemV2, BundleV2, HexHash, WireMapProof, BUNDLE_FORMAT,
    BUNDLE_FORMAT_V2, BUNDLE_FORMAT_V3,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Why a bundle cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleBuildError {
    /// No checkpoint recorded in the ledger covers the person's last entry
    /// (`custody-bundle/1` only).
    #[error("no checkpoint covers entry {needed} of {person}")]
    NoCheckpoint {
        /// The person.
        person: PersonId,
        /// Their last entry's seq.
        needed: u64,
    },
    /// The ledger has no checkpoint at all.
    #[error("the ledger has no checkpoint")]
    NoCheckpointYet,
    /// The checkpoint the bundle would be built against does not end with
    /// a seal (it was issued before format v2).
    #[error("the checkpoint of {size} entries does not end with a seal (it predates format v2): it commits to no person map, so no complete bundle can be built against it")]
    NoSeal {
        /// Its tree size.
        size: u64,
    },
    /// `--at SIZE` names no checkpoint recorded in the ledger.
    #[error("the ledger records no checkpoint of {0} entries")]
    NoCheckpointAt(u64),
    /// An anchor the requester named is not older than the bundle's
    /// checkpoint.
    #[error("the anchor of {anchor} entries is not older than the bundle's checkpoint of {size}: an anchor is an earlier checkpoint")]
    AnchorNotOlder {
        /// The anchor's size.
        anchor: u64,
        /// The bundle's checkpoint's size.
        size: u64,
    },
    /// An anchor for another ledger.
    #[error("the anchor is a checkpoint of the ledger {found:?}, not of {origin:?}")]
    AnchorOtherOrigin {
        /// The anchor's origin.
        found: String,
        /// This ledger's name.
        origin: String,
    },
    /// The anchor's tree is not this ledger's tree of its size: this
    /// ledger does not extend it.
    #[error("the anchor of {size} entries has root {theirs}, but this ledger's first {size} entries have root {ours}: the ledger does not extend that checkpoint")]
    AnchorNotExtended {
        /// The anchor's size.
        size: u64,
        /// Its root (hex).
        theirs: String,
        /// This ledger's root of that size (hex).
        ours: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An earlier checkpoint the requester holds (`export --anchor FILE`),
/// parsed by the caller: the note as given, and the size and root it
/// states. Its signature is the bundle verifier's to check.
#[derive(Clone, Debug)]
pub struct AnchorNote {
    /// The signed note, exactly as the requester gave it.
    pub note: String,
    /// The note's origin.
    pub origin: String,
    /// Its tree size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
}

impl Ledger {
    fn entry_required(&self, seq: u64) -> Result<SignedEntry, StoreError> {
        self.entry(seq)?.ok_or_else(|| StoreError::Damaged {
            dir: self.dir.clone(),
            detail: format!("entry {seq}, named by an index, is missing"),
        })
    }

    /// The signed note of the checkpoint entry `e`.
    fn note_of(&self, e: &SignedEntry) -> Option<(u64, String)> {
        let Event::Checkpoint(c) = e.event() else {
            return None;
        };
        let text = note::note_text(self.name(), c.tree_size, &c.root_hash.0);
        let signed = note::signed_note(&text, self.name(), &e.body().signer.0, &c.note_signature.0);
        Some((c.tree_size, signed))
    }

    /// The checkpoint a `/2` bundle is built against: the one of `at`
    /// entries, or the latest; with its note. Refuses one whose tree does
    /// not end in a seal.
    fn sealed_checkpoint(&self, at: Option<u64>) -> Result<(u64, String), BundleBuildError> {
        let mut found = None;
        for seq in self.checkpoint_seqs_back() {
            let e = self.entry_required(seq?)?;
            if let Some((size, signed)) = self.note_of(&e) {
                if at.is_none_or(|a| a == size) {
                    found = Some((size, signed));
                    break;
                }
            }
        }
        let (size, signed) = found.ok_or(match at {
            Some(a) => BundleBuildError::NoCheckpointAt(a),
            None => BundleBuildError::NoCheckpointYet,
        })?;
        let sealed = size >= 2
            && matches!(
                self.entry(size - 1)?.as_ref().map(SignedEntry::event),
                Some(Event::Seal(_))
            );
        if !sealed {
            return Err(BundleBuildError::NoSeal { size });
        }
        Ok((size, signed))
    }

    /// Builds the `custody-bundle/2` of `person` (design §6.2) against the
    /// latest checkpoint recorded in the ledger, or the one of `at` entries;
    /// its tree must end with a seal. A person no entry below the seal
    /// concerns gets an absence proof (an ABSENT bundle), not an error.
    /// `anchors` are earlier checkpoints the requester holds, each shown
    /// consistent with the bundle's (in the order given). Deterministic:
    /// the same store and arguments give the same document.
    ///
    /// Cost: the person's and governance's index entries, one read of each
    /// item, an inclusion proof for the items nothing names, and the map
    /// proof (`person_map_proof`: more if entries came after the seal).
    pub fn person_bundle(
        &self,
        person: &PersonId,
        at: Option<u64>,
        anchors: &[AnchorNote],
    ) -> Result<BundleV2, BundleBuildError> {
        self.person_bundle_selected(
            person,
            at,
            anchors,
            &Selection::court(),
            &mut Tally::default(),
        )
    }

    /// [`Ledger::person_bundle`], carrying only the disclosures `selection`
    /// keeps (`export --profile`, design §7), counted in `tally`. The
    /// items, proofs and format are the same whatever it keeps: a withheld
    /// disclosure is absent, and the verifier reports its slot withheld.
    pub fn person_bundle_selected(
        &self,
        person: &PersonId,
        at: Option<u64>,
        anchors: &[AnchorNote],
        selection: &Selection,
        tally: &mut Tally,
    ) -> Result<BundleV2, BundleBuildError> {
        let (s, signed_note) = self.sealed_checkpoint(at)?;
        let seal_seq = s - 1;
        let seal_entry = self.entry_required(seal_seq)?;
        let Event::Seal(seal) = seal_entry.event() else {
            unreachable!("checked by sealed_checkpoint")
        };
        let theirs = Stream::person(person.as_str());

        // The items: the person's stream, governance, the targets of the
        // person's corrections, each below the seal.
        let mut items: BTreeMap<u64, SignedEntry> = BTreeMap::new();
        for seq in self.person_seqs(person)? {
            if seq >= seal_seq {
                break;
            }
            items.insert(seq, self.entry_required(seq)?);
        }
        for seq in self.governance_seqs()? {
            if seq >= seal_seq {
                break;
            }
            let e = self.entry_required(seq)?;
            if e.event().is_governance() {
                items.insert(seq, e);
            }
        }

        // The names: links in governance and the person's stream of every
        // item of those streams, the targets of their corrections, and the
        // seal's and the map's heads.
        let mut named: BTreeSet<u64> = BTreeSet::new();
        let mut targets: Vec<u64> = Vec::new();
        for e in items.values() {
            let target_person = match e.event().inner() {
                Event::Correction(c) => {
                    let t = self.seq_of(&c.target)?.ok_or_else(|| StoreError::Damaged {
                        dir: self.dir.clone(),
                        detail: format!(
                            "the target {} of the correction at seq {} is not in the ledger",
                            c.target,
                            e.seq()
                        ),
                    })?;
                    targets.push(t);
                    named.insert(t);
                    self.entry_required(t)?
                        .event()
                        .person()
                        .map(|p| person_key(p.as_str()))
                }
                _ => None,
            };
            let list = streams(e.event(), target_person.as_ref());
            for (st, link) in list.as_slice().iter().zip(&e.body().links) {
                if let (true, Some(l)) = (*st == Stream::Governance || *st == theirs, link) {
                    named.insert(l.seq);
                }
            }
        }
        for t in targets {
            if let std::collections::btree_map::Entry::Vacant(v) = items.entry(t) {
                v.insert(self.entry_required(t)?);
            }
        }
        for (seq, e) in self.redactions_of_items(&items, seal_seq)? {
            items.insert(seq, e);
        }
        named.insert(seal.gov_head.seq);
        let map_proof = self.person_map_proof(person, seal_seq)?;
        if let Some(v) = map_proof.value {
            named.insert(v.head.seq);
        }
        items.insert(seal_seq, seal_entry);

        // A bundle with a v3 entry is a `custody-bundle/3`: every item
        // carries the disclosures of the store that `selection` keeps.
        let v3 = items.values().any(|e| e.body().version >= VERSION_3);
        let mut entries = Vec::with_capacity(items.len());
        for (seq, e) in &items {
            let proof = if named.contains(seq) {
                None
            } else {
                Some(self.inclusion_proof(*seq, s)?)
            };
            let held = if e.body().version >= VERSION_3 {
                about_person(e, person, self.disclosures(*seq)?)
            } else {
                Vec::new()
            };
            let kept = selection.select(e, held, tally);
            entries.push(if v3 {
                BundleItemV2::with_disclosures(e, proof.as_deref(), &kept)
            } else {
                BundleItemV2::of(e, proof.as_deref())
            });
        }
        let anchors = anchors
            .iter()
            .map(|a| self.anchor(person, a, s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BundleV2 {
            anchors,
            checkpoint: signed_note,
            entries,
            format: if v3 {
                BUNDLE_FORMAT_V3
            } else {
                BUNDLE_FORMAT_V2
            }
            .to_string(),
            map_proof: WireMapProof::from(&map_proof),
            origin: self.name().to_string(),
            person: person.clone(),
        })
    }

    /// The redactions below the seal, outside `items`, that erased a slot
    /// of an item and name no entry but items (design §7): a correction
    /// that moved evidence between two persons is in both their streams,
    /// but the redaction of its reason is in one; the other's bundle
    /// carries it beside their stream, with its inclusion proof (nothing
    /// in the bundle names it), so that a verifier reads the slot as
    /// redacted, not withheld. A redaction that also names entries the
    /// bundle does not carry (one written before `redact` grouped them) is
    /// left out: a verifier could not check it, and the slot reads
    /// withheld.
    fn redactions_of_items(
        &self,
        items: &BTreeMap<u64, SignedEntry>,
        seal_seq: u64,
    ) -> Result<Vec<(u64, SignedEntry)>, StoreError> {
        let mut found: BTreeSet<u64> = BTreeSet::new();
        for (seq, e) in items {
            if e.body().version < VERSION_3 {
                continue;
            }
            for (_, at) in self.redacted_slots(*seq)? {
                if at < seal_seq && !items.contains_key(&at) {
                    found.insert(at);
                }
            }
        }
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let carried: HashSet<EntryHash> = items.values().map(SignedEntry::hash).collect();
        let mut out = Vec::new();
        for at in found {
            let e = self.entry_required(at)?;
            if let Event::Redaction(r) = e.event() {
                if r.items.iter().all(|i| carried.contains(&i.target)) {
                    out.push((at, e));
                }
            }
        }
        Ok(out)
    }

    /// One anchor (design §6.1): the requester's note of size m, the
    /// consistency proof from m to `s`, entry m−1 with its proof in the
    /// tree of m, and, if that entry is a seal, the person's map proof
    /// against it.
    fn anchor(
        &self,
        person: &PersonId,
        a: &AnchorNote,
        s: u64,
    ) -> Result<Anchor, BundleBuildError> {
        if a.origin != self.name() {
            return Err(BundleBuildError::AnchorOtherOrigin {
                found: a.origin.clone(),
                origin: self.name().to_string(),
            });
        }
        let m = a.size;
        if m >= s || m == 0 {
            return Err(BundleBuildError::AnchorNotOlder { anchor: m, size: s });
        }
        let ours = self.merkle_root(m)?;
        if ours != a.root {
            return Err(BundleBuildError::AnchorNotExtended {
                size: m,
                theirs: hex::encode(a.root),
                ours: hex::encode(ours),
            });
        }
        let last = self.entry_required(m - 1)?;
        let map_proof = match last.event() {
            Event::Seal(_) => Some(WireMapProof::from(&self.person_map_proof(person, m - 1)?)),
            _ => None,
        };
        let proof = self.inclusion_proof(m - 1, m)?;
        Ok(Anchor {
            checkpoint: a.note.clone(),
            consistency: self
                .consistency_proof(m, s)?
                .into_iter()
                .map(HexHash)
                .collect(),
            last: BundleItemV2::of(&last, Some(&proof)),
            map_proof,
        })
    }

    /// Builds the legacy `custody-bundle/1` of `person` (inclusion only)
    /// against the latest checkpoint recorded in the ledger that covers all
    /// of their entries. A verifier refuses it unless asked for inclusion
    /// only: it cannot show that nothing was left out.
    pub fn person_bundle_v1(&self, person: &PersonId) -> Result<Bundle, BundleBuildError> {
        let mut seqs: BTreeSet<u64> = self.person_seqs(person)?.into_iter().collect();
        // The targets of corrections about the person travel with them.
        for seq in seqs.clone() {
            if let Event::Correction(c) = self.entry_required(seq)?.event() {
                if let Some(t) = self.seq_of(&c.target)? {
                    seqs.insert(t);
                }
            }
        }
        let needed = seqs.iter().next_back().copied().unwrap_or(0);
        let mut governance = Vec::new();
        for seq in self.governance_seqs()? {
            if self.note_of(&self.entry_required(seq)?).is_none() {
                governance.push(seq);
            }
        }
        // The latest checkpoint, if it covers them (no earlier one is larger).
        let mut checkpoint = None;
        for seq in self.checkpoint_seqs_back() {
            if let Some((size, signed)) = self.note_of(&self.entry_required(seq?)?) {
                checkpoint = (size > needed).then_some((size, signed));
                break;
            }
        }
        let (size, signed_note) = checkpoint.ok_or_else(|| BundleBuildError::NoCheckpoint {
            person: person.clone(),
            needed,
        })?;
        seqs.extend(governance.into_iter().filter(|&s| s < size));
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let e = self.entry_required(seq)?;
            let proof = self.inclusion_proof(seq, size)?;
            entries.push(BundleItem::of(&e, &proof));
        }
        Ok(Bundle {
            checkpoint: signed_note,
            entries,
            format: BUNDLE_FORMAT.to_string(),
            origin: self.name().to_string(),
            person: person.clone(),
        })
    }
}

/// Of `held`, the disclosures of `e` that concern `person`: a bundle
/// carries the targets of its person's corrections and the corrections
/// that moved evidence to or from another person, and none of that other
/// person's personal data may ride along. An entry about someone else (a
/// correction's target) keeps none; a correction keeps its own fields
/// (its reason concerns both persons) and its replacement's only if the
/// replacement is about `person`.
fn about_person(
    e: &SignedEntry,
    person: &PersonId,
    held: Vec<custody_format::commit::Disclosure>,
) -> Vec<custody_format::commit::Disclosure> {
    match e.event().inner() {
        Event::Correction(c) => {
            let ours = c.replacement.as_deref().and_then(Event::person) == Some(person);
            held.into_iter()
                .filter(|d| d.slot.part == custody_format::commit::PART_EVENT || ours)
                .collect()
        }
        ev if ev.person() == Some(person) => held,
        _ => Vec::new(),
    }
}
