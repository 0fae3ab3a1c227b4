//! The machine's limits, measured in the same run as a benchmark, so every
//! figure can be shown beside the ceiling it is bound by.
//!
//! Each primitive is timed for a fixed wall-clock budget on realistic inputs
//! (an entry-sized message, 32-byte signing digests), single-threaded and,
//! for batch verification, on every core at once.

use custody_ledger::keyfile::SigningKey;
use custody_verifier::signatures::SignatureJob;
use ed25519_dalek::Signature;
use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// Size of the message hashed for the SHA-256 figure: a typical entry.
pub(crate) const ENTRY_BYTES: usize = 320;

/// Operations per second of each primitive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// SHA-256 of an entry-sized message, per second, one core.
    pub sha256_per_s: f64,
    /// Ed25519 signatures per second, one core.
    pub sign_per_s: f64,
    /// Strict single verifications per second, one core.
    pub verify_per_s: f64,
    /// Strict single verifications per second, all cores at once: the
    /// limit of `custody verify`, which verifies every signature strictly.
    pub verify_all_cores_per_s: f64,
    /// Signatures per second in batches of 1024, one core.
    pub batch_verify_per_s: f64,
    /// Signatures per second in batches of 1024, all cores at once.
    pub batch_verify_all_cores_per_s: f64,
    /// Cores used for the all-core figure.
    pub cores: usize,
    /// What one appended entry costs at minimum, per second, one core: one
    /// signature and three SHA-256 (signing digest, entry hash, Merkle leaf).
    pub sign_and_hash_per_s: f64,
}

fn rate(budget: Duration, mut op: impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        n += op();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// ed25519-dalek's batch verification of `jobs`: the limit the verifier no
/// longer uses (its verdicts must be strict ones) but is still measured
/// against.
fn verify_batch(jobs: &[SignatureJob]) -> Result<(), ed25519_dalek::SignatureError> {
    let messages: Vec<&[u8]> = jobs.iter().map(|j| &j.digest[..]).collect();
    let signatures: Vec<Signature> = jobs
        .iter()
        .map(|j| Signature::from_bytes(&j.signature))
        .collect();
    let keys: Vec<_> = jobs.iter().map(|j| j.key).collect();
    ed25519_dalek::verify_batch(&messages, &signatures, &keys)
}

fn jobs(n: usize) -> Vec<SignatureJob> {
    let key = SigningKey::from_bytes(&[42; 32]);
    let vk = key.verifying_key();
    (0..n)
        .map(|i| {
            let digest: [u8; 32] = Sha256::digest((i as u64).to_le_bytes()).into();
            SignatureJob {
                seq: i as u64,
                digest,
                signature: key.sign(&digest).to_bytes(),
                key: vk,
                statement: None,
            }
        })
        .collect()
}

/// Measures every limit, spending about `budget` on each.
pub(crate) fn measure(budget: Duration) -> Limits {
    let msg = vec![0x5au8; ENTRY_BYTES];
    let sha256_per_s = rate(budget, || {
        for _ in 0..1000 {
            std::hint::black_box(Sha256::digest(std::hint::black_box(&msg)));
        }
        1000
    });
    let key = SigningKey::from_bytes(&[7; 32]);
    let digest = [9u8; 32];
    let sign_per_s = rate(budget, || {
        std::hint::black_box(key.sign(std::hint::black_box(&digest)));
        1
    });
    let batch = jobs(1024);
    let verify_per_s = rate(budget, || {
        for j in &batch[..64] {
            j.verify_strict().expect("valid");
        }
        64
    });
    let batch_verify_per_s = rate(budget, || {
        verify_batch(&batch).expect("valid");
        batch.len() as u64
    });
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let verify_all_cores_per_s = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|_| {
                s.spawn(|| {
                    rate(budget, || {
                        for j in &batch[..64] {
                            j.verify_strict().expect("valid");
                        }
                        64
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    });
    let batch_verify_all_cores_per_s = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|_| {
                s.spawn(|| {
                    rate(budget, || {
                        verify_batch(&batch).expect("valid");
                        batch.len() as u64
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    });
    let sign_and_hash_per_s = 1.0 / (1.0 / sign_per_s + 3.0 / sha256_per_s);
    Limits {
        sha256_per_s,
        sign_per_s,
        verify_per_s,
        verify_all_cores_per_s,
        batch_verify_per_s,
        batch_verify_all_cores_per_s,
        cores,
        sign_and_hash_per_s,
    }
}
