//! The person map of format v2 (docs/design/format-v2-completeness.md §3):
//! a sparse Merkle map from each person's key to how many entries concern
//! them and which is the latest, whose root a checkpoint's seal commits to,
//! so a bundle can prove it holds *every* entry about a person, or that
//! there is none.
//!
//! This module is the definition: the hashes, the root of a set of leaves
//! computed from scratch, proofs of presence and absence, and their check.
//! The store keeps the map incrementally and the verifier keeps its own;
//! both must agree with [`map_root`], which the tests hold them to.
//!
//! Every hash here is tagged ("custody/v2/…" and a zero byte), so none can
//! be taken for an RFC 9162 leaf or node (prefixes 0x00, 0x01), a stored
//! entry or a signing digest.

use sha2::{Digest, Sha256};

/// A map hash.
pub type Hash = [u8; 32];

/// The root of the empty map, and the hash of an empty subtree.
pub const EMPTY: Hash = [0; 32];

fn tagged(tag: &[u8], parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    h.update(tag);
    h.update([0u8]);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `K(P) = H("custody/v2/person" ‖ 00 ‖ P)`: a person's key in the map.
pub fn person_key(person: &str) -> Hash {
    tagged(b"custody/v2/person", &[person.as_bytes()])
}

pub use crate::stream::Link;

/// A person's value in the map: how many entries concern them, and the
/// latest of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapValue {
    /// Entries concerning the person (at least 1).
    pub count: u64,
    /// The latest of them.
    pub head: Link,
}

/// `ValueHash(c, l) = H("custody/v2/map-value" ‖ 00 ‖ LE64(c) ‖ LE64(l.seq) ‖ l.hash)`.
pub fn value_hash(v: &MapValue) -> Hash {
    tagged(
        b"custody/v2/map-value",
        &[
            &v.count.to_le_bytes(),
            &v.head.seq.to_le_bytes(),
            &v.head.hash.0,
        ],
    )
}

/// `LeafHash(K, v) = H("custody/v2/map-leaf" ‖ 00 ‖ K ‖ v)`, `v` a value hash.
pub fn leaf_hash(key: &Hash, value_hash: &Hash) -> Hash {
    tagged(b"custody/v2/map-leaf", &[key, value_hash])
}

/// `NodeHash(L, R) = H("custody/v2/map-node" ‖ 00 ‖ L ‖ R)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    tagged(b"custody/v2/map-node", &[left, right])
}

/// Bit `i` of a key, bit 0 being the most significant bit of byte 0.
pub fn bit(key: &Hash, i: usize) -> bool {
    (key[i / 8] >> (7 - i % 8)) & 1 == 1
}

/// One leaf: a key and the hash of its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// The key.
    pub key: Hash,
    /// Its value's hash ([`value_hash`]).
    pub value_hash: Hash,
}

/// `MapHash(S, d)` of the design, for leaves sorted by key and sharing
/// their first `depth` bits.
fn map_hash(leaves: &[Leaf], depth: usize) -> Hash {
    match leaves {
        [] => EMPTY,
        [one] => leaf_hash(&one.key, &one.value_hash),
        _ => {
            let split = leaves.partition_point(|l| !bit(&l.key, depth));
            node_hash(
                &map_hash(&leaves[..split], depth + 1),
                &map_hash(&leaves[split..], depth + 1),
            )
        }
    }
}

/// The root of the map holding `leaves` (any order; keys distinct), from
/// scratch: the definition the store's and the verifier's incremental maps
/// must agree with.
pub fn map_root(leaves: &[Leaf]) -> Hash {
    let mut sorted = leaves.to_vec();
    sorted.sort_by_key(|l| l.key);
    map_hash(&sorted, 0)
}

/// What a proof says about a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The key is in the map, with this value.
    Present(MapValue),
    /// The key is not in the map.
    Absent,
}

/// A proof about one key: the siblings on the path from the root along the
/// key's bits (the deepest first), down to the first subtree holding at
/// most one leaf, and what that subtree holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapProof {
    /// Sibling hashes, the deepest first.
    pub siblings: Vec<Hash>,
    /// The key's own value (presence); `terminal` is then `None`.
    pub value: Option<MapValue>,
    /// For an absence: another key's leaf where the path ends, or `None`
    /// for an empty subtree.
    pub terminal: Option<Leaf>,
}

/// Why a proof does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapProofError {
    /// More than 256 siblings.
    #[error("the proof is longer than a key")]
    TooLong,
    /// Both a value and a terminal, or a count of 0.
    #[error("the proof is malformed")]
    Malformed,
    /// The terminal leaf is the key itself, or is not on the key's path.
    #[error("the proof's terminal leaf is not on the key's path")]
    OffPath,
    /// The hashes do not lead to the root.
    #[error("the proof does not lead to the map's root")]
    RootMismatch,
}

/// `MapVerify` of the design: what `proof` proves about `key` under `root`.
pub fn verify(root: &Hash, key: &Hash, proof: &MapProof) -> Result<Answer, MapProofError> {
    let d = proof.siblings.len();
    if d > 256 {
        return Err(MapProofError::TooLong);
    }
    let (mut h, answer) = match (&proof.value, &proof.terminal) {
        (Some(_), Some(_)) => return Err(MapProofError::Malformed),
        (Some(v), None) => {
            if v.count == 0 {
                return Err(MapProofError::Malformed);
            }
            (leaf_hash(key, &value_hash(v)), Answer::Present(*v))
        }
        (None, None) => (EMPTY, Answer::Absent),
        (None, Some(t)) => {
            if t.key == *key || (0..d).any(|i| bit(&t.key, i) != bit(key, i)) {
                return Err(MapProofError::OffPath);
            }
            (leaf_hash(&t.key, &t.value_hash), Answer::Absent)
        }
    };
    for (i, sibling) in proof.siblings.iter().enumerate() {
        h = if bit(key, d - 1 - i) {
            node_hash(sibling, &h)
        } else {
            node_hash(&h, sibling)
        };
    }
    if h == *root {
        Ok(answer)
    } else {
        Err(MapProofError::RootMismatch)
    }
}

/// The proof about `key` in the map holding `leaves`, from scratch (the
/// definition; the store builds the same proof from its records). `values`
/// gives the full value of `key` if it is present.
pub fn prove(leaves: &[Leaf], key: &Hash, value: Option<MapValue>) -> MapProof {
    let mut sorted = leaves.to_vec();
    sorted.sort_by_key(|l| l.key);
    let mut siblings = Vec::new();
    let mut slice: &[Leaf] = &sorted;
    let mut depth = 0;
    while slice.len() > 1 {
        let split = slice.partition_point(|l| !bit(&l.key, depth));
        let (zero, one) = slice.split_at(split);
        let (ours, theirs) = if bit(key, depth) {
            (one, zero)
        } else {
            (zero, one)
        };
        siblings.push(map_hash(theirs, depth + 1));
        slice = ours;
        depth += 1;
    }
    siblings.reverse();
    match slice {
        [one] if one.key == *key => MapProof {
            siblings,
            value,
            terminal: None,
        },
        [other] => MapProof {
            siblings,
            value: None,
            terminal: Some(*other),
        },
        _ => MapProof {
            siblings,
            value: None,
            terminal: None,
        },
    }
}

/// The first `depth` bits of `key`, the rest zero: the name of the subtree
/// at `depth` on `key`'s path.
pub fn prefix(key: &Hash, depth: usize) -> Hash {
    let mut out = [0u8; 32];
    let full = depth / 8;
    out[..full].copy_from_slice(&key[..full]);
    if !depth.is_multiple_of(8) {
        out[full] = key[full] & (0xffu8 << (8 - depth % 8));
    }
    out
}

/// The last key that starts with `prefix`'s first `depth` bits.
pub fn prefix_end(prefix: &Hash, depth: usize) -> Hash {
    let mut out = *prefix;
    if depth >= 256 {
        return out;
    }
    // Bits `depth..256`, set a byte at a time (a bit at a time was ~5 % of
    // a server's group commit: every lookup of the map names a range).
    let full = depth / 8;
    out[full] |= 0xff >> (depth % 8);
    out[full + 1..].fill(0xff);
    out
}

fn with_bit(prefix: &Hash, depth: usize) -> Hash {
    let mut out = *prefix;
    out[depth / 8] |= 1 << (7 - depth % 8);
    out
}

/// Where an incremental map keeps its leaves and the hashes of its
/// subtrees: the store's tables, or the verifier's memory ([`MemoryMap`]).
///
/// A subtree is named by its depth `d` and its [`prefix`] (the first `d`
/// bits of its keys). Only subtrees holding two leaves or more have a
/// cached hash: an empty subtree hashes to [`EMPTY`] and a one-leaf subtree
/// to that leaf's hash, both found from the leaves.
pub trait MapStore {
    /// Why a read or write failed (never a property of the map).
    type Error;
    /// The first two leaves, in key order, whose keys start with the first
    /// `depth` bits of `prefix` (fewer if there are fewer).
    fn first_leaves(&self, prefix: &Hash, depth: usize) -> Result<Vec<Leaf>, Self::Error>;
    /// The cached hash of the subtree at (`depth`, `prefix`), if any. A
    /// store MUST NOT hold one for a subtree of fewer than two leaves:
    /// [`update_root`] takes its presence to mean the subtree splits.
    fn node(&self, prefix: &Hash, depth: usize) -> Result<Option<Hash>, Self::Error>;
    /// Caches the hash of the subtree at (`depth`, `prefix`), which holds
    /// two leaves or more.
    fn set_node(&mut self, prefix: &Hash, depth: usize, hash: Hash) -> Result<(), Self::Error>;
}

/// The root of the map in `store`, after the leaves with keys `dirty`
/// (sorted, distinct) were inserted or changed since the cached subtree
/// hashes were last brought up to date; brings them up to date.
///
/// Only the subtrees on a dirty key's path are rehashed (about 18 hashes
/// and lookups per key at 100,000 persons); every other subtree's hash is
/// read from the cache. With an empty cache and every key dirty, it builds
/// the cache from scratch. Leaves are only ever added or changed, never
/// removed, so a cached subtree never shrinks below two leaves.
pub fn update_root<S: MapStore>(store: &mut S, dirty: &[Hash]) -> Result<Hash, S::Error> {
    debug_assert!(dirty.windows(2).all(|w| w[0] < w[1]));
    subtree(store, &EMPTY, 0, dirty, true)
}

fn subtree<S: MapStore>(
    store: &mut S,
    at: &Hash,
    depth: usize,
    dirty: &[Hash],
    write: bool,
) -> Result<Hash, S::Error> {
    // A cached subtree holds two leaves or more, and leaves are never
    // removed: on a dirty path its presence alone says the subtree splits,
    // which spares reading its first leaves (a range read in a store's
    // tables; most of the writer's map cost at 100,000 persons).
    if let Some(h) = store.node(at, depth)? {
        if dirty.is_empty() {
            return Ok(h);
        }
        return split(store, at, depth, dirty, write);
    }
    let first = store.first_leaves(at, depth)?;
    match first.as_slice() {
        [] => Ok(EMPTY),
        [one] => Ok(leaf_hash(&one.key, &one.value_hash)),
        _ => split(store, at, depth, dirty, write),
    }
}

/// The hash of the subtree at (`depth`, `at`), which holds two leaves or
/// more, from its two halves; cached if `write`.
fn split<S: MapStore>(
    store: &mut S,
    at: &Hash,
    depth: usize,
    dirty: &[Hash],
    write: bool,
) -> Result<Hash, S::Error> {
    let cut = dirty.partition_point(|k| !bit(k, depth));
    let left = subtree(store, at, depth + 1, &dirty[..cut], write)?;
    let right = subtree(store, &with_bit(at, depth), depth + 1, &dirty[cut..], write)?;
    let h = node_hash(&left, &right);
    if write {
        store.set_node(at, depth, h)?;
    }
    Ok(h)
}

/// The proof about `key` in the map in `store`, whose cached hashes are up
/// to date ([`update_root`]). `value` is `key`'s own value if it is
/// present (the store knows it; the proof carries it).
pub fn prove_in<S: MapStore>(
    store: &mut S,
    key: &Hash,
    value: Option<MapValue>,
) -> Result<MapProof, S::Error> {
    let mut siblings = Vec::new();
    let mut depth = 0;
    let terminal = loop {
        let at = prefix(key, depth);
        let first = store.first_leaves(&at, depth)?;
        match first.as_slice() {
            [] => break None,
            [one] => break Some(*one),
            _ => {
                // The other side at depth + 1: `at` is `key`'s first `depth`
                // bits, so bit `depth` of it is 0.
                let other = if bit(key, depth) {
                    at
                } else {
                    with_bit(&at, depth)
                };
                siblings.push(subtree(store, &other, depth + 1, &[], false)?);
                depth += 1;
            }
        }
    };
    siblings.reverse();
    Ok(match terminal {
        Some(leaf) if leaf.key == *key => MapProof {
            siblings,
            value,
            terminal: None,
        },
        other => MapProof {
            siblings,
            value: None,
            terminal: other,
        },
    })
}

/// An incremental map in memory: what the verifier keeps while it walks a
/// chain, so that at each seal it rehashes only what changed since the
/// last one.
#[derive(Clone, Debug, Default)]
pub struct MemoryMap {
    leaves: std::collections::BTreeMap<Hash, Hash>,
    nodes: std::collections::HashMap<(u8, Hash), Hash>,
    dirty: std::collections::BTreeSet<Hash>,
}

impl MemoryMap {
    /// An empty map.
    pub fn new() -> MemoryMap {
        MemoryMap::default()
    }

    /// Sets `key`'s value.
    pub fn set(&mut self, key: Hash, value: &MapValue) {
        self.leaves.insert(key, value_hash(value));
        self.dirty.insert(key);
    }

    /// How many keys the map holds.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// True if it holds none.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The root, rehashing only the paths changed since the last call.
    pub fn root(&mut self) -> Hash {
        let dirty: Vec<Hash> = std::mem::take(&mut self.dirty).into_iter().collect();
        match update_root(self, &dirty) {
            Ok(h) => h,
            Err(never) => match never {},
        }
    }

    /// The proof about `key` (presence with `value`, or absence).
    pub fn prove(&mut self, key: &Hash, value: Option<MapValue>) -> MapProof {
        self.root();
        match prove_in(self, key, value) {
            Ok(p) => p,
            Err(never) => match never {},
        }
    }
}

impl MapStore for MemoryMap {
    type Error = std::convert::Infallible;

    fn first_leaves(&self, prefix: &Hash, depth: usize) -> Result<Vec<Leaf>, Self::Error> {
        Ok(self
            .leaves
            .range(*prefix..=prefix_end(prefix, depth))
            .take(2)
            .map(|(k, v)| Leaf {
                key: *k,
                value_hash: *v,
            })
            .collect())
    }

    fn node(&self, prefix: &Hash, depth: usize) -> Result<Option<Hash>, Self::Error> {
        Ok(u8::try_from(depth)
            .ok()
            .and_then(|d| self.nodes.get(&(d, *prefix)).copied()))
    }

    fn set_node(&mut self, prefix: &Hash, depth: usize, hash: Hash) -> Result<(), Self::Error> {
        let d = u8::try_from(depth).expect("a node splits on a bit below 256");
        self.nodes.insert((d, *prefix), hash);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value(n: u64) -> MapValue {
        MapValue {
            count: n % 7 + 1,
            head: Link {
                seq: n,
                hash: crate::event::EntryHash(Sha256::digest(n.to_le_bytes()).into()),
            },
        }
    }

    fn leaves(persons: &[String]) -> Vec<(Leaf, MapValue)> {
        persons
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let v = value(i as u64);
                (
                    Leaf {
                        key: person_key(p),
                        value_hash: value_hash(&v),
                    },
                    v,
                )
            })
            .collect()
    }

    #[test]
    fn the_end_of_a_prefix_sets_every_bit_from_its_depth_on() {
        // Against the definition, a bit at a time, at every depth, for
        // prefixes of all ones, all zeros and a mixed pattern.
        for fill in [0x00u8, 0xff, 0x5a] {
            let key: Hash = std::array::from_fn(|i| fill ^ (i as u8));
            for depth in 0..=256 {
                let p = prefix(&key, depth);
                let mut expected = p;
                for i in depth..256 {
                    expected[i / 8] |= 1 << (7 - i % 8);
                }
                assert_eq!(prefix_end(&p, depth), expected, "depth {depth}");
                for i in 0..256 {
                    assert_eq!(bit(&prefix_end(&p, depth), i), i >= depth || bit(&p, i));
                }
            }
        }
    }

    #[test]
    fn small_maps_have_the_roots_the_definition_gives() {
        assert_eq!(map_root(&[]), EMPTY);
        let l = leaves(&["P-1".into()]);
        assert_eq!(
            map_root(&[l[0].0]),
            leaf_hash(&l[0].0.key, &l[0].0.value_hash)
        );
        // Tags keep map hashes apart from RFC 9162's.
        assert_ne!(
            node_hash(&EMPTY, &EMPTY),
            crate::merkle_hash::node_hash(&EMPTY, &EMPTY)
        );
    }

    fn hex32(s: &str) -> Hash {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).unwrap();
        out
    }

    /// The worked example of the design (§9.2), computed there by a script
    /// written apart from this code: the definition agrees with it.
    #[test]
    fn the_designs_three_person_map() {
        let v = |count, seq, b| MapValue {
            count,
            head: Link {
                seq,
                hash: crate::event::EntryHash([b; 32]),
            },
        };
        let people = [
            ("P-1", v(3, 40, 0x51)),
            ("P-2", v(1, 12, 0x52)),
            ("P-3", v(2, 31, 0x53)),
        ];
        let leaves: Vec<Leaf> = people
            .iter()
            .map(|(p, v)| Leaf {
                key: person_key(p),
                value_hash: value_hash(v),
            })
            .collect();
        assert_eq!(
            leaf_hash(&leaves[0].key, &leaves[0].value_hash),
            hex32("a48c2e342977442ce6dedfb9f5b0799d0c2c500faa61065d566e91a4455ee0bc")
        );
        let root = map_root(&leaves);
        assert_eq!(
            root,
            hex32("0ed7df9660c1b903af7ed604707faf99784c443dafdde514ec8cd15e5e6eb64d")
        );
        let n1 = hex32("53d3383a3d137fe70d49b5db51d3c03c8f6a544722609930510b33e54fbac22d");
        let p2 = prove(&leaves, &leaves[1].key, Some(people[1].1));
        assert_eq!(p2.siblings, vec![n1]);
        assert_eq!(
            verify(&root, &leaves[1].key, &p2),
            Ok(Answer::Present(people[1].1))
        );
        let p5 = person_key("P-5");
        let absent = prove(&leaves, &p5, None);
        assert_eq!(absent.terminal, None);
        assert_eq!(absent.siblings.len(), 2);
        assert_eq!(verify(&root, &p5, &absent), Ok(Answer::Absent));
    }

    proptest! {
        /// The incremental map agrees with the definition after every
        /// batch of changes, and its proofs are the definition's.
        #[test]
        fn incremental_map_agrees_with_the_definition(
            batches in proptest::collection::vec(
                proptest::collection::vec(("[A-Z]-[0-9]{1,3}", 0u64..1000), 0..20), 1..6),
            stranger in "[a-z]-[0-9]{1,3}",
        ) {
            let mut map = MemoryMap::new();
            let mut all = std::collections::BTreeMap::new();
            for batch in &batches {
                for (p, n) in batch {
                    let v = value(*n);
                    map.set(person_key(p), &v);
                    all.insert(person_key(p), v);
                }
                let leaves: Vec<Leaf> = all.iter().map(|(k, v)| Leaf { key: *k, value_hash: value_hash(v) }).collect();
                let root = map_root(&leaves);
                prop_assert_eq!(map.root(), root);
                for (k, v) in &all {
                    prop_assert_eq!(map.prove(k, Some(*v)), prove(&leaves, k, Some(*v)));
                }
                let s = person_key(&stranger);
                prop_assert_eq!(map.prove(&s, None), prove(&leaves, &s, None));
            }
        }
    }

    proptest! {
        /// Every person's proof proves their value, every other id's proof
        /// proves absence, and any change to a proof or value is caught.
        #[test]
        fn proofs_prove_presence_and_absence(
            persons in proptest::collection::btree_set("[A-Z]-[0-9]{1,4}", 0..40),
            strangers in proptest::collection::vec("[a-z]-[0-9]{1,4}", 1..5),
            flip in any::<prop::sample::Index>(),
        ) {
            let persons: Vec<String> = persons.into_iter().collect();
            let all = leaves(&persons);
            let only: Vec<Leaf> = all.iter().map(|(l, _)| *l).collect();
            let root = map_root(&only);
            for (leaf, v) in &all {
                let proof = prove(&only, &leaf.key, Some(*v));
                prop_assert_eq!(verify(&root, &leaf.key, &proof), Ok(Answer::Present(*v)));
                // Another count, or another head, does not verify.
                let mut forged = proof.clone();
                forged.value = Some(MapValue { count: v.count + 1, ..*v });
                prop_assert!(verify(&root, &leaf.key, &forged).is_err());
                // Nor does a claim of absence for a present key.
                let absent = MapProof { value: None, ..proof.clone() };
                prop_assert!(verify(&root, &leaf.key, &absent).is_err());
                if !proof.siblings.is_empty() {
                    let mut bent = proof.clone();
                    let i = flip.index(bent.siblings.len());
                    bent.siblings[i][0] ^= 1;
                    prop_assert!(verify(&root, &leaf.key, &bent).is_err());
                }
            }
            for s in &strangers {
                let key = person_key(s);
                let proof = prove(&only, &key, None);
                prop_assert_eq!(verify(&root, &key, &proof), Ok(Answer::Absent));
                // A stranger cannot be shown present with any value.
                let present = MapProof { value: Some(value(1)), terminal: None, ..proof.clone() };
                prop_assert!(verify(&root, &key, &present).is_err());
            }
        }
    }
}
