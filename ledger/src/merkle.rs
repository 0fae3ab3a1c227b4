//! The RFC 6962 / RFC 9162 Merkle tree over the entries: the production side
//! (maintaining it, computing roots and proofs). The checking side lives,
//! written separately, in `custody-verifier`.
//!
//! Leaf `i` is entry `seq = i`; its hash is `SHA-256(0x00 || stored bytes)`;
//! an interior node is `SHA-256(0x01 || left || right)`.
//!
//! ## Storage model
//!
//! Only *complete* subtrees are stored, addressed by `(level, index)`: node
//! `(L, i)` covers leaves `[i·2^L, (i+1)·2^L)`. Appending leaf `n` stores the
//! leaf `(0, n)` and then, while the new node is a right child, its parent:
//! at most `log2(n) + 1` new nodes, and on average two. Complete nodes never
//! change, so the tree of any earlier size is still there: the root of size
//! `m`, an inclusion proof in it, or a consistency proof from it, are all
//! computed from complete nodes, with `O(log n)` reads.

pub use custody_format::merkle_hash::{empty_root, leaf_hash, node_hash, Hash};
use std::collections::HashMap;

/// A complete node's address, `(level, index)`, and its hash.
pub type Node = ((u8, u64), Hash);

/// Where complete nodes are read from (the store, or memory in tests).
pub trait NodeSource {
    /// Storage error.
    type Error;
    /// The complete node `(level, index)`; it must exist.
    fn node(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// Why a proof or root cannot be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError<E> {
    /// Asked about a leaf outside the tree, a size beyond the tree, or an
    /// old size larger than the new one.
    #[error("{0}")]
    Range(String),
    /// The storage failed.
    #[error(transparent)]
    Storage(E),
}

/// The new complete nodes created by appending `leaf` as leaf number
/// `leaf_index` (which must equal the tree's size before the append), in
/// the order they are created, starting with the leaf itself.
pub fn nodes_for_append<S: NodeSource>(
    src: &S,
    leaf_index: u64,
    leaf: Hash,
) -> Result<Vec<Node>, S::Error> {
    let mut out = vec![((0u8, leaf_index), leaf)];
    let (mut level, mut index, mut hash) = (0u8, leaf_index, leaf);
    while index & 1 == 1 {
        let left = src.node(level, index - 1)?;
        hash = node_hash(&left, &hash);
        level += 1;
        index >>= 1;
        out.push(((level, index), hash));
    }
    Ok(out)
}

/// Largest power of two strictly smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start..end])` for a range that starts at a multiple of the largest
/// power of two not above its length (true of every range RFC 9162's
/// recursion visits).
fn range_hash<S: NodeSource>(src: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let size = end - start;
    if size.is_power_of_two() && start.is_multiple_of(size) {
        let level = size.trailing_zeros() as u8;
        return src.node(level, start >> level);
    }
    let k = split(size);
    let left = range_hash(src, start, start + k)?;
    let right = range_hash(src, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `size` leaves.
pub fn root<S: NodeSource>(src: &S, size: u64) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(src, 0, size)
}

/// RFC 9162 `PATH(index, D[size])`: the inclusion proof of leaf `index` in
/// the tree of size `size`, leaf-side first.
pub fn inclusion_proof<S: NodeSource>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError<S::Error>> {
    path_with(index, size, |start, end| range_hash(src, start, end))
}

/// [`inclusion_proof`] of each of `indices` in the tree of size `size`,
/// each subtree hash their paths share computed once: the receipts of one
/// group commit, whose leaves are neighbours, share most of theirs.
pub fn inclusion_proofs<S: NodeSource>(
    src: &S,
    indices: &[u64],
    size: u64,
) -> Result<Vec<Vec<Hash>>, ProofError<S::Error>> {
    let mut known: HashMap<(u64, u64), Hash> = HashMap::new();
    indices
        .iter()
        .map(|&index| {
            path_with(index, size, |start, end| {
                if let Some(h) = known.get(&(start, end)) {
                    return Ok(*h);
                }
                let h = range_hash(src, start, end)?;
                known.insert((start, end), h);
                Ok(h)
            })
        })
        .collect()
}

/// The inclusion path of leaf `index` in the tree of size `size`, with
/// each subtree hash taken from `range` (`MTH(D[start..end])`).
fn path_with<E>(
    index: u64,
    size: u64,
    mut range: impl FnMut(u64, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, ProofError<E>> {
    if index >= size {
        return Err(ProofError::Range(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    let mut path = Vec::new();
    // Walk down from the root, remembering siblings, then reverse.
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let k = split(end - start);
        if index < start + k {
            path.push(range(start + k, end).map_err(ProofError::Storage)?);
            end = start + k;
        } else {
            path.push(range(start, start + k).map_err(ProofError::Storage)?);
            start += k;
        }
    }
    path.reverse();
    Ok(path)
}

/// RFC 9162 `PROOF(old_size, D[new_size])`: the consistency proof that the
/// tree of `old_size` leaves is a prefix of the tree of `new_size` leaves.
/// Empty when `old_size` is 0 or equals `new_size`.
pub fn consistency_proof<S: NodeSource>(
    src: &S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if old_size > new_size {
        return Err(ProofError::Range(format!(
            "old size {old_size} is larger than new size {new_size}"
        )));
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[start..end], b), iteratively: descend, collecting the
    // siblings in root-side order, then reverse.
    let mut path = Vec::new();
    let (mut start, mut end, mut m, mut complete) = (0u64, new_size, old_size, true);
    loop {
        let n = end - start;
        if m == n {
            if !complete {
                path.push(range_hash(src, start, end).map_err(ProofError::Storage)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            path.push(range_hash(src, start + k, end).map_err(ProofError::Storage)?);
            end = start + k;
        } else {
            path.push(range_hash(src, start, start + k).map_err(ProofError::Storage)?);
            start += k;
            m -= k;
            complete = false;
        }
    }
    path.reverse();
    Ok(path)
}

/// A tree kept in memory: for tests, and for callers that build a tree once.
#[derive(Default, Clone, Debug)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf's data (hashing it as a leaf).
    pub fn push(&mut self, data: &[u8]) {
        self.push_hash(leaf_hash(data));
    }

    /// Appends an already computed leaf hash.
    pub fn push_hash(&mut self, leaf: Hash) {
        let nodes = nodes_for_append(self, self.size(), leaf).expect("memory");
        for ((level, index), hash) in nodes {
            let level = level as usize;
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            debug_assert_eq!(self.levels[level].len() as u64, index);
            self.levels[level].push(hash);
        }
    }
}

impl NodeSource for MemoryTree {
    type Error = std::convert::Infallible;
    fn node(&self, level: u8, index: u64) -> Result<Hash, Self::Error> {
        Ok(self.levels[level as usize][index as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `MTH` straight from RFC 9162's definition, recursively over leaves.
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// `PATH` straight from the RFC.
    fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return vec![];
        }
        let k = split(n as u64) as usize;
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// `SUBPROOF` straight from the RFC.
    fn subproof(m: usize, leaves: &[Vec<u8>], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { vec![] } else { vec![mth(leaves)] };
        }
        let k = split(n as u64) as usize;
        if m <= k {
            let mut p = subproof(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    #[test]
    fn incremental_tree_matches_the_rfc_definitions() {
        let leaves: Vec<Vec<u8>> = (0..70u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let mut tree = MemoryTree::new();
        assert_eq!(root(&tree, 0).unwrap(), empty_root());
        for (i, l) in leaves.iter().enumerate() {
            tree.push(l);
            let n = i + 1;
            assert_eq!(
                root(&tree, n as u64).unwrap(),
                mth(&leaves[..n]),
                "root {n}"
            );
        }
        for n in 1..=leaves.len() {
            assert_eq!(root(&tree, n as u64).unwrap(), mth(&leaves[..n]));
            for m in 0..n {
                assert_eq!(
                    inclusion_proof(&tree, m as u64, n as u64).unwrap(),
                    path(m, &leaves[..n]),
                    "PATH({m}, {n})"
                );
            }
            // The proofs of a group's receipts, taken together, are the
            // same paths (any subset of leaves, in any order).
            let some: Vec<u64> = (0..n as u64).rev().step_by(3).chain([0]).collect();
            let together = inclusion_proofs(&tree, &some, n as u64).unwrap();
            for (m, p) in some.iter().zip(together) {
                assert_eq!(
                    p,
                    path(*m as usize, &leaves[..n]),
                    "PATH({m}, {n}) in a group"
                );
            }
            for m in 1..=n {
                let expected = if m == n {
                    vec![]
                } else {
                    subproof(m, &leaves[..n], true)
                };
                assert_eq!(
                    consistency_proof(&tree, m as u64, n as u64).unwrap(),
                    expected,
                    "PROOF({m}, {n})"
                );
            }
        }
    }

    /// The roots of the eight-leaf tree used by public RFC 6962
    /// implementations (Certificate Transparency's reference tests).
    #[test]
    fn known_answer_roots() {
        let leaves: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut tree = MemoryTree::new();
        for (leaf, expected) in leaves.iter().zip(roots) {
            tree.push(leaf);
            assert_eq!(hex::encode(root(&tree, tree.size()).unwrap()), expected);
        }
    }

    #[test]
    fn out_of_range_requests_are_errors() {
        let mut tree = MemoryTree::new();
        tree.push(b"a");
        assert!(inclusion_proof(&tree, 1, 1).is_err());
        assert!(consistency_proof(&tree, 2, 1).is_err());
    }
}
