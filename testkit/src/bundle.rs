//! `custody-bundle/2` documents assembled from a chain in memory, per
//! design §6.2, for the verifier's tests. Written apart from the store's
//! exporter on purpose: the two must agree because both follow the
//! specification, not because they share code.

use custody_format::entry::SignedEntry;
use custody_format::event::Event;
use custody_format::map_hash::person_key;
use custody_format::merkle_hash::{leaf_hash, node_hash, Hash};
use custody_format::rules::{ChainRules, Mode, WalkState};
use custody_format::stream::{Stream, StreamList};
use custody_format::wire::bundle::{
    Anchor, BundleItemV2, BundleV2, HexHash, WireMapProof, BUNDLE_FORMAT_V2,
};
use std::collections::BTreeSet;

/// RFC 9162 MTH over leaf hashes.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => custody_format::merkle_hash::empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// The largest power of two below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162 PATH(m, D[n]): the inclusion proof of leaf `m`.
pub fn inclusion_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return vec![];
    }
    let k = split(leaves.len());
    let (mut path, sibling) = if m < k {
        (inclusion_path(m, &leaves[..k]), mth(&leaves[k..]))
    } else {
        (inclusion_path(m - k, &leaves[k..]), mth(&leaves[..k]))
    };
    path.push(sibling);
    path
}

/// RFC 9162 PROOF(m, D[n]): the consistency proof from the tree of the
/// first `m` leaves to the tree of all of them (0 < m ≤ n).
pub fn consistency_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    subproof(m, leaves, true)
}

fn subproof(m: usize, d: &[Hash], complete: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if complete { vec![] } else { vec![mth(d)] };
    }
    let k = split(n);
    let (mut path, sibling) = if m <= k {
        (subproof(m, &d[..k], complete), mth(&d[k..]))
    } else {
        (subproof(m - k, &d[k..], false), mth(&d[..k]))
    };
    path.push(sibling);
    path
}

/// The anchor (design §6.1) of the earlier checkpoint `old_note` in a
/// bundle of `person` against `note`: the old note, the consistency proof
/// between them, entry m−1 with its proof in the tree of m, and, if that
/// entry is a seal, the person's map proof against it.
pub fn anchor_v2(entries: &[SignedEntry], person: &str, old_note: &str, note: &str) -> Anchor {
    let m = note_size(old_note) as usize;
    let s = note_size(note) as usize;
    let leaves: Vec<Hash> = entries[..s].iter().map(|e| leaf_hash(e.bytes())).collect();
    let last = &entries[m - 1];
    let map_proof = matches!(last.event(), Event::Seal(_))
        .then(|| bundle_v2(entries, "", person, old_note).map_proof);
    Anchor {
        checkpoint: old_note.to_string(),
        consistency: consistency_path(m, &leaves)
            .into_iter()
            .map(HexHash)
            .collect(),
        last: BundleItemV2::of(last, Some(&inclusion_path(m - 1, &leaves[..m]))),
        map_proof,
    }
}

/// The size a signed note states (its second line).
pub fn note_size(note: &str) -> u64 {
    note.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a note")
}

/// The `custody-bundle/2` of `person` against the checkpoint whose signed
/// note is `note` (one the chain `entries` holds, with its seal before
/// it): the seal, the person's stream, the targets of its corrections and
/// all governance before the seal; `inclusion_proof` null exactly for the
/// entries a link, head or correction of another item names.
pub fn bundle_v2(entries: &[SignedEntry], origin: &str, person: &str, note: &str) -> BundleV2 {
    let s = note_size(note) as usize;
    let seal_seq = s - 1;
    assert!(
        matches!(entries[seal_seq].event(), Event::Seal(_)),
        "entry {seal_seq} is not a seal"
    );
    // Replay the entries before the seal: each one's streams, and the map.
    let mut rules = ChainRules::new(Mode::Contiguous);
    let mut walked = WalkState::new();
    let mut streams: Vec<StreamList> = Vec::new();
    for e in &entries[..seal_seq] {
        let list = rules
            .check(e.body(), &walked, None, None)
            .unwrap_or_else(|err| panic!("entry {}: {err}", e.seq()));
        walked.accept(e.hash(), e.body(), &list);
        rules.accept(e.hash(), e.body());
        streams.push(list);
    }
    let theirs = Stream::person(person);
    let wanted = |st: &Stream| *st == Stream::Governance || *st == theirs;
    let mut chosen: BTreeSet<usize> = BTreeSet::new();
    for (i, list) in streams.iter().enumerate() {
        if list.as_slice().iter().any(wanted) {
            chosen.insert(i);
        }
    }
    // Targets of the person's corrections.
    let by_hash: std::collections::HashMap<_, _> = entries[..seal_seq]
        .iter()
        .map(|e| (e.hash(), e.seq() as usize))
        .collect();
    let mut named: BTreeSet<usize> = BTreeSet::new();
    for &i in chosen.clone().iter() {
        if let Event::Correction(c) = entries[i].event() {
            let t = by_hash[&c.target];
            chosen.insert(t);
            named.insert(t);
        }
    }
    // Links in governance and the person's stream, and the two heads.
    for &i in &chosen {
        let e = &entries[i];
        for (st, link) in streams[i].as_slice().iter().zip(&e.body().links) {
            if let (true, Some(l)) = (wanted(st), link) {
                named.insert(l.seq as usize);
            }
        }
    }
    let Event::Seal(seal) = entries[seal_seq].event() else {
        unreachable!()
    };
    named.insert(seal.gov_head.seq as usize);
    let value = walked.streams.value(&theirs);
    if let Some(v) = value {
        named.insert(v.head.seq as usize);
    }
    chosen.insert(seal_seq);
    let leaves: Vec<Hash> = entries[..s].iter().map(|e| leaf_hash(e.bytes())).collect();
    let items = chosen
        .iter()
        .map(|&i| {
            let proof = (!named.contains(&i)).then(|| inclusion_path(i, &leaves));
            BundleItemV2::of(&entries[i], proof.as_deref())
        })
        .collect();
    let proof = walked.streams.map_mut().prove(&person_key(person), value);
    BundleV2 {
        anchors: vec![],
        checkpoint: note.to_string(),
        entries: items,
        format: BUNDLE_FORMAT_V2.into(),
        map_proof: WireMapProof::from(&proof),
        origin: origin.into(),
        person: custody_format::event::PersonId::new(person).expect("a person id"),
    }
}
