//! The ledger's tree code (production) and the verifier's proof checks,
//! written separately, agree: every proof the one makes, the other accepts,
//! and any change to a proof, a leaf, an index, a size or a root is refused.

use custody_ledger::merkle::{self as tree, MemoryTree};
use custody_verifier::merkle::{verify_consistency, verify_inclusion, StreamingRoot};
use proptest::prelude::*;

fn build(n: u64) -> (MemoryTree, StreamingRoot) {
    let mut t = MemoryTree::new();
    let mut s = StreamingRoot::new();
    for i in 0..n {
        let data = i.to_le_bytes();
        t.push(&data);
        s.push(custody_verifier::merkle::leaf_hash(&data));
    }
    (t, s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn streaming_root_equals_tree_root(n in 0u64..300) {
        let (t, s) = build(n);
        prop_assert_eq!(s.root(), tree::root(&t, n).unwrap());
    }

    #[test]
    fn inclusion_proofs_verify_and_tampering_fails(n in 1u64..300, i in any::<prop::sample::Index>(),
                                                    flip in any::<prop::sample::Index>()) {
        let (t, _) = build(n);
        let index = i.index(n as usize) as u64;
        let root = tree::root(&t, n).unwrap();
        let leaf = tree::leaf_hash(&index.to_le_bytes());
        let path = tree::inclusion_proof(&t, index, n).unwrap();
        prop_assert!(path.len() <= 64 - (n.leading_zeros() as usize) + 1);
        verify_inclusion(&leaf, index, n, &path, &root).unwrap();

        let other = tree::leaf_hash(b"not a leaf");
        prop_assert!(verify_inclusion(&other, index, n, &path, &root).is_err());
        let mut bad_root = root; bad_root[0] ^= 1;
        prop_assert!(verify_inclusion(&leaf, index, n, &path, &bad_root).is_err());
        // The same proof against the next tree size and that tree's root
        // (what a checkpoint of that size would state) does not hold.
        let (bigger, _) = build(n + 1);
        let bigger_root = tree::root(&bigger, n + 1).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, n + 1, &path, &bigger_root).is_err());
        if n > 1 {
            prop_assert!(verify_inclusion(&leaf, (index + 1) % n, n, &path, &root).is_err());
        }
        if !path.is_empty() {
            let mut bad = path.clone();
            let k = flip.index(bad.len());
            bad[k][31] ^= 0x80;
            prop_assert!(verify_inclusion(&leaf, index, n, &bad, &root).is_err());
            prop_assert!(verify_inclusion(&leaf, index, n, &path[..path.len() - 1], &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_tampering_fails(n in 1u64..300, m in any::<prop::sample::Index>(),
                                                      flip in any::<prop::sample::Index>()) {
        let (t, _) = build(n);
        let m = m.index(n as usize + 1) as u64;
        let old = tree::root(&t, m).unwrap();
        let new = tree::root(&t, n).unwrap();
        let proof = tree::consistency_proof(&t, m, n).unwrap();
        verify_consistency(m, n, &old, &new, &proof).unwrap();

        let mut bad_new = new; bad_new[5] ^= 1;
        let mut bad_old = old; bad_old[5] ^= 1;
        if m > 0 {
            prop_assert!(verify_consistency(m, n, &old, &bad_new, &proof).is_err());
            prop_assert!(verify_consistency(m, n, &bad_old, &new, &proof).is_err());
        }
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let k = flip.index(bad.len());
            bad[k][0] ^= 0x01;
            prop_assert!(verify_consistency(m, n, &old, &new, &bad).is_err());
        }
        if m > 0 && m < n {
            // A different old size with the same proof does not hold.
            let other = tree::root(&t, m - 1).unwrap();
            prop_assert!(verify_consistency(m - 1, n, &other, &new, &proof).is_err() || m == 1);
        }
    }
}

/// At a million entries, an inclusion proof has at most 20 hashes.
#[test]
fn proofs_at_a_million_leaves_are_short() {
    let n = 1_000_000u64;
    let depth = 64 - (n - 1).leading_zeros();
    assert_eq!(depth, 20);
}
