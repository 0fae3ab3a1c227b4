//! The RFC 6962 / RFC 9162 hashing primitives of the Merkle tree over the
//! entries, defined once: leaf `i` is entry `seq = i`, hashed as
//! `SHA-256(0x00 || stored bytes)`; an interior node is
//! `SHA-256(0x01 || left || right)`; the empty tree's root is `SHA-256("")`.
//!
//! The store's tree (`custody-ledger`'s `merkle`) and the verifier's
//! independent proof checker both hash with these; only the tree walks are
//! written twice, on purpose (docs/ARCHITECTURE.md, "Deliberate
//! duplications").

use sha2::{Digest, Sha256};

/// A node or leaf hash.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`: the hash of a leaf.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// `SHA-256("")`: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}
