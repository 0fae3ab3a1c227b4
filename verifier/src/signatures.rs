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
//! [`signer_key`] does the same for every signer's key, once per key. If a
//! batch fails, its signatures are verified one by one with `verify_strict`
//! to name the first bad entry.
//!
//! One difference remains, and it is documented rather than hidden: an `R`
//! with a small-order *component* (a "mixed-order" point), which only the
//! holder of the signing key can produce, fails `verify_strict` but may pass
//! a batch with small probability. `custody verify --exact` verifies every
//! signature with `verify_strict` alone, at about a quarter of the speed.

use crate::chain::{ChainVerifier, Rule, Summary, Violation};
use custody_ledger::event::PublicKeyBytes;
use ed25519_dalek::{Signature, VerifyingKey};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// The encodings of the eight small-order points of edwards25519, and the
/// two "negative zero" encodings (x = 0 with the sign bit set) that lax
/// decoders accept for two of them.
const SMALL_ORDER: [[u8; 32]; 10] = {
    const fn d(c: u8) -> u8 {
        if c <= b'9' {
            c - b'0'
        } else {
            c - b'a' + 10
        }
    }
    const fn h(s: &[u8; 64]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            out[i] = (d(s[2 * i]) << 4) | d(s[2 * i + 1]);
            i += 1;
        }
        out
    }
    [
        h(b"0100000000000000000000000000000000000000000000000000000000000000"),
        h(b"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
        h(b"0000000000000000000000000000000000000000000000000000000000000080"),
        h(b"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        h(b"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        h(b"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
        h(b"0000000000000000000000000000000000000000000000000000000000000000"),
        h(b"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
        h(b"0100000000000000000000000000000000000000000000000000000000000080"),
        h(b"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
    ]
};

/// True if `y` (sign bit ignored) is not below p = 2^255 - 19, i.e. the
/// encoding is not canonical.
fn non_canonical_y(enc: &[u8; 32]) -> bool {
    // y >= p  <=>  bytes 1..=30 are 0xff, byte 31 (sign masked) is 0x7f and
    // byte 0 >= 0xed.
    enc[0] >= 0xed && enc[1..31].iter().all(|&b| b == 0xff) && (enc[31] & 0x7f) == 0x7f
}

/// True if a point encoding is refused by strict verification without any
/// curve arithmetic: non-canonical, or a small-order point.
pub fn weak_encoding(enc: &[u8; 32]) -> bool {
    non_canonical_y(enc) || SMALL_ORDER.contains(enc)
}

/// Decodes and checks a signer's public key: a canonical encoding of a point
/// on the curve that is not of small order.
pub fn signer_key(key: &PublicKeyBytes) -> Result<VerifyingKey, String> {
    if weak_encoding(&key.0) {
        return Err(format!(
            "signer {key} is a small-order or non-canonical key and cannot sign"
        ));
    }
    let k = VerifyingKey::from_bytes(&key.0)
        .map_err(|_| format!("signer {key} is not a valid ed25519 key"))?;
    if k.is_weak() {
        return Err(format!("signer {key} is a small-order key and cannot sign"));
    }
    Ok(k)
}

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
    /// The signer's key, already checked by [`signer_key`].
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

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::edwards::CompressedEdwardsY;

    #[test]
    fn the_blocklist_is_exactly_the_small_order_points() {
        for enc in SMALL_ORDER {
            let p = CompressedEdwardsY(enc).decompress().expect("a point");
            assert!(p.is_small_order(), "{}", hex::encode(enc));
        }
        // Eight distinct points among the ten encodings.
        let mut points: Vec<[u8; 32]> = SMALL_ORDER
            .iter()
            .map(|e| {
                CompressedEdwardsY(*e)
                    .decompress()
                    .unwrap()
                    .compress()
                    .to_bytes()
            })
            .collect();
        points.sort();
        points.dedup();
        assert_eq!(points.len(), 8);
        // Ordinary keys pass; p itself (non-canonical zero) does not.
        let k = ed25519_dalek::SigningKey::from_bytes(&[5; 32]).verifying_key();
        assert!(!weak_encoding(k.as_bytes()));
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(weak_encoding(&p));
    }
}
