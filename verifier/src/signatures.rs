//! Signature checks, one by one or in parallel batches.
//!
//! Verifying a ledger is bound by Ed25519: a strict single verification costs
//! about four times what one signature costs inside a batch verification.
//! [`verify_chain`] therefore walks the chain on one thread (decoding, links,
//! authority: cheap) and hands the signatures to worker threads, one per
//! core, that verify them in batches.
//!
//! ## Strictness
//!
//! The format requires strict verification (docs/FORMAT.md, section 5): no
//! non-canonical `S`, no non-canonical or small-order `R` or `A`. A batch
//! verification (ed25519-dalek's `verify_batch`) rejects a non-canonical `S`
//! itself; before it, [`SignatureJob::precheck`] refuses any `R` whose
//! encoding is non-canonical or is one of the small-order points, and
//! [`custody_format::key::signer_key`] does the same for every signer's key, once per key. If a
//! batch fails, its signatures are verified one by one with `verify_strict`
//! to name the first bad entry.
//!
//! One difference remains, and it is documented rather than hidden: an `R`
//! with a small-order *component* (a "mixed-order" point), which only the
//! holder of the signing key can produce, fails `verify_strict` but may pass
//! a batch with small probability. `custody verify --exact` verifies every
//! signature with `verify_strict` alone, at about a quarter of the speed.

use crate::chain::{ChainVerifier, Rule, Summary, Violation};
use custody_format::key::weak_encoding;
use ed25519_dalek::{Signature, VerifyingKey};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// One signature to check: entry `seq`'s 64-byte signature over its signing
/// digest, by its signer.
#[derive(Clone, Copy, Debug)]
pub struct SignatureJob {
    /// The entry's seq, for the report.
    pub seq: u64,
    /// The signed message: the entry's signing digest.
    pub digest: [u8; 32],
    /// The signature (the entry's last 64 bytes).
    pub signature: [u8; 64],
    /// The signer's key, already checked by [`custody_format::key::signer_key`].
    pub key: VerifyingKey,
}

impl SignatureJob {
    fn violation(&self) -> Violation {
        Violation {
            seq: self.seq,
            rule: Rule::Signature,
            detail: format!(
                "the signature does not verify for signer {}",
                hex::encode(self.key.as_bytes())
            ),
        }
    }

    /// The checks a batch does not make: `R` canonical and not small order.
    pub fn precheck(&self) -> Result<(), Violation> {
        let r: &[u8; 32] = self.signature[..32].try_into().expect("32 bytes");
        if weak_encoding(r) {
            return Err(Violation {
                detail: "the signature's R is a small-order or non-canonical point".into(),
                ..self.violation()
            });
        }
        Ok(())
    }

    /// Strict single verification (ed25519-dalek's `verify_strict`).
    pub fn verify_strict(&self) -> Result<(), Violation> {
        self.precheck()?;
        self.key
            .verify_strict(&self.digest, &Signature::from_bytes(&self.signature))
            .map_err(|_| self.violation())
    }
}

/// Verifies a batch; on failure names the first bad signature (by position
/// in `jobs`, which are in chain order).
pub fn verify_batch(jobs: &[SignatureJob]) -> Result<(), Violation> {
    for j in jobs {
        j.precheck()?;
    }
    let messages: Vec<&[u8]> = jobs.iter().map(|j| &j.digest[..]).collect();
    let signatures: Vec<Signature> = jobs
        .iter()
        .map(|j| Signature::from_bytes(&j.signature))
        .collect();
    let keys: Vec<VerifyingKey> = jobs.iter().map(|j| j.key).collect();
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        return Ok(());
    }
    for j in jobs {
        j.verify_strict()?;
    }
    // Every signature passed alone, so the batch cannot have failed; if it
    // did, refuse rather than guess.
    Err(Violation {
        detail: "batch verification failed though each signature verified alone".into(),
        ..jobs[0].violation()
    })
}

/// How to check signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Batches on worker threads (the default).
    Batch {
        /// Number of worker threads (at least 1).
        threads: usize,
    },
    /// `verify_strict` one by one on the walking thread.
    Exact,
}

impl Default for Mode {
    fn default() -> Mode {
        Mode::Batch {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

/// Signatures per batch: large enough for batch verification's advantage
/// (it grows up to about a thousand), small enough to keep memory flat.
pub const BATCH: usize = 1024;

/// Walks a whole chain: every rule of [`ChainVerifier`], with signatures
/// checked according to `mode`, and calls `progress` with the number of
/// entries walked from time to time. Returns the first violation by seq.
///
/// `entries` yields stored entry bytes in chain order; an `Err` from it
/// (a storage failure) stops the walk and is returned as is.
pub fn verify_chain<E, I>(
    entries: I,
    mode: Mode,
    mut progress: impl FnMut(u64),
) -> Result<Result<Summary, Violation>, E>
where
    I: IntoIterator<Item = Result<Vec<u8>, E>>,
{
    let mut chain = ChainVerifier::new();
    let threads = match mode {
        Mode::Exact => {
            for bytes in entries {
                if let Err(v) = chain.push(&bytes?) {
                    return Ok(Err(v));
                }
                if chain.len().is_multiple_of(4096) {
                    progress(chain.len());
                }
            }
            return Ok(chain.finish());
        }
        Mode::Batch { threads } => threads.max(1),
    };
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::sync_channel::<Vec<SignatureJob>>(threads * 2);
        let (bad_tx, bad_rx) = mpsc::channel::<Violation>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        for _ in 0..threads {
            let rx = Arc::clone(&job_rx);
            let bad = bad_tx.clone();
            scope.spawn(move || loop {
                let batch = match rx.lock().map(|r| r.recv()) {
                    Ok(Ok(b)) => b,
                    _ => return,
                };
                if let Err(v) = verify_batch(&batch) {
                    let _ = bad.send(v);
                }
            });
        }
        drop(bad_tx);
        let mut pending = Vec::with_capacity(BATCH);
        let mut structural: Option<Violation> = None;
        let mut io_error = None;
        for bytes in entries {
            let bytes = match bytes {
                Ok(b) => b,
                Err(e) => {
                    io_error = Some(e);
                    break;
                }
            };
            match chain.push_deferred(&bytes) {
                Ok((_, job)) => pending.push(job),
                Err(v) => {
                    structural = Some(v);
                    break;
                }
            }
            if pending.len() == BATCH {
                let full = std::mem::replace(&mut pending, Vec::with_capacity(BATCH));
                if job_tx.send(full).is_err() {
                    break;
                }
                progress(chain.len());
            }
        }
        if !pending.is_empty() {
            let _ = job_tx.send(pending);
        }
        drop(job_tx);
        // Workers end when the queue is drained; collect every bad batch.
        let first_bad_signature = bad_rx.iter().min_by_key(|v| v.seq);
        if let Some(e) = io_error {
            return Err(e);
        }
        progress(chain.len());
        let first = match (structural, first_bad_signature) {
            (Some(a), Some(b)) => Some(if b.seq <= a.seq { b } else { a }),
            (a, b) => a.or(b),
        };
        Ok(match first {
            Some(v) => Err(v),
            None => chain.finish(),
        })
    })
}
