//! Checking RFC 9162 Merkle proofs, and computing a tree's root from its
//! leaves in a stream. Written from the RFC, independently of the ledger's
//! tree code, so the two cross-check each other in the tests; only the
//! hashing primitives are shared (`custody_format::merkle_hash`).

pub use custody_format::merkle_hash::Hash;

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// The leaf index is not inside the tree.
    #[error("leaf {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The old tree is larger than the new one.
    #[error("a tree of size {old} cannot be a prefix of a tree of size {new}")]
    SizesReversed {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("the proof has the wrong length for these tree sizes")]
    WrongLength,
    /// The proof's hashes do not lead to the expected root(s).
    #[error("the proof does not lead to the expected root hash")]
    RootMismatch,
}

// The hashing primitives are the format's, defined once; the walks below
// (the streaming root and the proof checks) are written here from the RFC,
// apart from the store's tree code, on purpose: docs/ARCHITECTURE.md,
// "Deliberate duplications".
use custody_format::merkle_hash::node_hash as node;
pub use custody_format::merkle_hash::{empty_root, leaf_hash};

/// Computes the tree hash of a growing list of leaves with `O(log n)`
/// memory: a stack of the roots of the complete subtrees so far.
#[derive(Default, Clone, Debug)]
pub struct StreamingRoot {
    size: u64,
    // (height, hash) of complete subtrees, left to right; heights decrease.
    stack: Vec<(u32, Hash)>,
}

impl StreamingRoot {
    /// An empty tree.
    pub fn new() -> StreamingRoot {
        StreamingRoot::default()
    }

    /// Number of leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a leaf, given its leaf hash.
    pub fn push(&mut self, leaf_hash: Hash) {
        let mut cur = (0u32, leaf_hash);
        while let Some(&(h, left)) = self.stack.last() {
            if h != cur.0 {
                break;
            }
            self.stack.pop();
            cur = (h + 1, node(&left, &cur.1));
        }
        self.stack.push(cur);
        self.size += 1;
    }

    /// The tree hash of the leaves pushed so far (RFC 9162 `MTH`): the
    /// complete subtrees folded from the right.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return empty_root();
        };
        for (_, left) in it {
            acc = node(left, &acc);
        }
        acc
    }
}

/// RFC 9162 §2.1.3.2: checks that `leaf_hash` is leaf `index` of the tree of
/// `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in path {
        if s == 0 {
            return Err(MerkleError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(MerkleError::WrongLength);
    }
    if &r != root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: checks that the tree of `old_size` leaves with root
/// `old_root` is a prefix of the tree of `new_size` leaves with root
/// `new_root`. Equal sizes need an empty proof and equal roots; the empty
/// tree (whose root must be `SHA-256("")`) is a prefix of every tree.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleError> {
    if old_size > new_size {
        return Err(MerkleError::SizesReversed {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(MerkleError::WrongLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(MerkleError::RootMismatch)
        };
    }
    if old_size == 0 {
        // The empty tree is a prefix of every tree, but its root is fixed.
        let empty: Hash = empty_root();
        return if !proof.is_empty() {
            Err(MerkleError::WrongLength)
        } else if old_root != &empty {
            Err(MerkleError::RootMismatch)
        } else {
            Ok(())
        };
    }
    if proof.is_empty() {
        return Err(MerkleError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(MerkleError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node(c, &fr);
            sr = node(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(MerkleError::WrongLength);
    }
    if &fr != old_root || &sr != new_root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}
