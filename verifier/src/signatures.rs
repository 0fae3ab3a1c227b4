//! Signature checks: strict RFC 8032 verification, one signature at a time.
//!
//! Every verdict is that of `verify_strict` (ed25519-dalek): no
//! non-canonical `S`, no non-canonical or small-order `R` or `A`, and the
//! cofactorless equation. Batch verification is not used: a batch checks
//! the cofactored equation with random weights, so a signature whose `R`
//! carries a small-order component (only the key holder can make one)
//! passes a batch with a probability that depends on the weights, and the
//! verdict would depend on how entries fell into batches — the number of
//! cores, or an unrelated later append. A court gets one verdict, the one
//! OpenSSL and any strict RFC 8032 verifier give. Speed comes from
//! verifying on every core instead ([`crate::walk`]).

use crate::report::{Cause, Rule, Violation};
use custody_format::event::PublicKeyBytes;
use custody_format::key::{weak_encoding, SignerKeys};
use custody_format::rules::Breach;
use custody_format::statement::StatementSignatureError;
use ed25519_dalek::{Signature, VerifyingKey};

/// The signatures of one entry to check: entry `seq`'s 64-byte signature
/// over its signing digest, by its signer, and, for a statement entry
/// (format v3), the author's signature over the statement id.
#[derive(Clone, Copy, Debug)]
pub struct SignatureJob {
    /// The entry's seq, for the report.
    pub seq: u64,
    /// The signed message: the entry's signing digest.
    pub digest: [u8; 32],
    /// The signature (the entry's last 64 bytes).
    pub signature: [u8; 64],
    /// The signer's key, already checked by
    /// [`custody_format::key::signer_key`].
    pub key: VerifyingKey,
    /// A statement entry's author signature, checked first (rule
    /// `statement_signature` comes before the entry's own signature, as in
    /// a walk that checks it inline).
    pub statement: Option<StatementSignatureJob>,
}

/// A statement's author signature (format v3, design §4.1): checked exactly
/// as `SignedStatement::verify` checks it, so the parallel and the inline
/// walk give one verdict.
#[derive(Clone, Copy, Debug)]
pub struct StatementSignatureJob {
    /// The statement id: what the author signed.
    pub id: [u8; 32],
    /// The author's signature.
    pub signature: [u8; 64],
    /// The author's key, already checked by
    /// [`custody_format::key::signer_key`].
    pub author: VerifyingKey,
}

impl StatementSignatureJob {
    /// The author signature of `statement`, or why its author key cannot
    /// sign (`keys` caches keys already decompressed).
    pub fn of(
        statement: &custody_format::statement::SignedStatement,
        keys: &mut SignerKeys,
    ) -> Result<StatementSignatureJob, StatementSignatureError> {
        let author = keys.get(&statement.author())?;
        Ok(StatementSignatureJob {
            id: statement.id().0,
            signature: statement.signature(),
            author,
        })
    }

    /// Strict verification, as `SignedStatement::verify`; a failure is
    /// rule `statement_signature` at `seq`.
    pub fn verify_strict(&self, seq: u64) -> Result<(), Violation> {
        self.author
            .verify_strict(&self.id, &Signature::from_bytes(&self.signature))
            .map_err(|_| {
                Violation::breach(
                    seq,
                    Breach::StatementSignature(StatementSignatureError::Invalid),
                )
            })
    }
}

impl SignatureJob {
    /// Strict single verification (ed25519-dalek's `verify_strict`, after
    /// refusing a weak `R` by its encoding).
    pub fn verify_strict(&self) -> Result<(), Violation> {
        if let Some(statement) = &self.statement {
            statement.verify_strict(self.seq)?;
        }
        let r: &[u8; 32] = self.signature[..32].try_into().expect("32 bytes");
        if weak_encoding(r) {
            return Err(Violation::new(self.seq, Rule::Signature, Cause::WeakR));
        }
        self.key
            .verify_strict(&self.digest, &Signature::from_bytes(&self.signature))
            .map_err(|_| {
                Violation::new(
                    self.seq,
                    Rule::Signature,
                    Cause::BadSignature(PublicKeyBytes(self.key.to_bytes())),
                )
            })
    }
}

/// Verifies `jobs` in order; the first bad one is reported.
pub fn verify_all(jobs: &[SignatureJob]) -> Result<(), Violation> {
    jobs.iter().try_for_each(SignatureJob::verify_strict)
}
