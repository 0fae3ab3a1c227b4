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

/// The published RFC 6962 test vectors of transparency-dev/merkle (the same
/// eight leaves as the CT reference tests): both implementations produce and
/// accept exactly these inclusion and consistency proofs.
#[test]
fn published_proof_vectors() {
    fn h(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }
    let leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    let mut t = MemoryTree::new();
    for l in leaves {
        t.push(&hex::decode(l).unwrap());
    }
    let (a, b, c, d, e, f, g) = (
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    );
    let r1 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    let r2 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125";
    // (leaf index, tree size, proof)
    let inclusion: Vec<(u64, u64, Vec<&str>)> = vec![
        (0, 1, vec![]),
        (0, 8, vec![a, b, c]),
        (5, 8, vec![d, e, f]),
        (2, 3, vec![r2]),
        (1, 5, vec![r1, b, d]),
    ];
    for (index, size, path) in inclusion {
        let path: Vec<[u8; 32]> = path.into_iter().map(h).collect();
        assert_eq!(
            tree::inclusion_proof(&t, index, size).unwrap(),
            path,
            "PATH({index}, {size})"
        );
        let leaf = tree::leaf_hash(&hex::decode(leaves[index as usize]).unwrap());
        verify_inclusion(&leaf, index, size, &path, &tree::root(&t, size).unwrap()).unwrap();
    }
    let b08 = "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f";
    let consistency: Vec<(u64, u64, Vec<&str>)> = vec![
        (1, 1, vec![]),
        (1, 8, vec![a, b, c]),
        (6, 8, vec![g, e, f]),
        (2, 5, vec![b, d]),
        (6, 7, vec![g, b08, f]),
    ];
    for (m, n, proof) in consistency {
        let proof: Vec<[u8; 32]> = proof.into_iter().map(h).collect();
        assert_eq!(
            tree::consistency_proof(&t, m, n).unwrap(),
            proof,
            "PROOF({m}, {n})"
        );
        verify_consistency(
            m,
            n,
            &tree::root(&t, m).unwrap(),
            &tree::root(&t, n).unwrap(),
            &proof,
        )
        .unwrap();
    }
}
