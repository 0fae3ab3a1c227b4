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

/// The latest entry of a stream: its seq and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Link {
    /// The entry's seq.
    pub seq: u64,
    /// The entry's hash.
    pub hash: Hash,
}

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
            &v.head.hash,
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value(n: u64) -> MapValue {
        MapValue {
            count: n % 7 + 1,
            head: Link {
                seq: n,
                hash: Sha256::digest(n.to_le_bytes()).into(),
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
            head: Link { seq, hash: [b; 32] },
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
