//! The entry: what is signed, chained and stored.
//!
//! An entry is one byte string: the canonical encoding of an [`EntryBody`]
//! (format version, sequence number, previous entry's hash, `recorded_at`,
//! signer, event) followed by the 64-byte ed25519 signature. The signature is
//! over [`signing_digest`] of the body bytes, a domain-separated SHA-256. The
//! entry hash is SHA-256 of the whole byte string, signature included, and
//! the next entry names it as `prev_hash`.
//!
//! Because the signature is the last 64 bytes and the body is everything
//! before it, a verifier checks an entry from its stored bytes alone: split,
//! hash, verify. Nothing is re-encoded to be checked, and [`SignedEntry`]
//! keeps the bytes it was decoded from so nothing downstream can drift from
//! what was signed.

use crate::codec::{self, CodecError};
use crate::event::{EntryHash, Event, FieldError, PublicKeyBytes};
use crate::time::Timestamp;
use bincode::{Decode, Encode};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The format version written into every new entry.
///
/// Bump it only with a deliberate, documented change of the byte format; a
/// verifier must keep accepting every version it ever accepted.
pub const FORMAT_VERSION: u16 = 1;

/// Domain separation for the signed digest, so that a signature over an entry
/// can never be replayed as a signature over anything else (a checkpoint, a
/// different protocol using the same key).
pub const SIGNING_DOMAIN: &[u8] = b"custody/entry/v1\0";

/// Length of the ed25519 signature that ends every stored entry.
pub const SIGNATURE_LEN: usize = 64;

/// The previous-hash of the genesis entry: 32 zero bytes.
pub const GENESIS_PREV_HASH: EntryHash = EntryHash([0; 32]);

/// Everything an entry says, except its signature. Field order is the byte
/// format.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EntryBody {
    /// [`FORMAT_VERSION`] at the time of writing.
    pub version: u16,
    /// Position in the chain; the genesis is 0.
    pub seq: u64,
    /// Hash of entry `seq - 1`; [`GENESIS_PREV_HASH`] for the genesis.
    pub prev_hash: EntryHash,
    /// When the entry was appended (UTC, exact).
    pub recorded_at: Timestamp,
    /// The key that signed the entry.
    pub signer: PublicKeyBytes,
    /// What the entry says.
    pub event: Event,
}

/// Why stored bytes are not a well-formed entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Too short to hold a signature and a body.
    #[error("entry is {0} bytes long, too short to hold a body and a 64-byte signature")]
    TooShort(usize),
    /// The body does not decode.
    #[error("entry body does not decode: {0}")]
    Codec(#[from] CodecError),
    /// The body's version is not one this build understands.
    #[error("format version {0} is not supported (this build reads version {FORMAT_VERSION})")]
    Version(u16),
    /// A field of the event breaks a rule.
    #[error("entry event is invalid: {0}")]
    Field(#[from] FieldError),
}

/// SHA-256 over [`SIGNING_DOMAIN`] followed by the encoded body: the 32-byte
/// message that ed25519 signs.
pub fn signing_digest(body_bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SIGNING_DOMAIN);
    h.update(body_bytes);
    h.finalize().into()
}

/// SHA-256 of the exact stored bytes of an entry.
pub fn entry_hash(stored: &[u8]) -> EntryHash {
    EntryHash(Sha256::digest(stored).into())
}

/// A stored entry: its exact bytes, and the view decoded from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedEntry {
    bytes: Vec<u8>,
    body: EntryBody,
    hash: EntryHash,
}

impl SignedEntry {
    /// Encodes `body`, signs it with `key` and returns the stored form.
    ///
    /// The caller decides `body.signer`; it must be `key`'s public key, which
    /// is checked here so a mismatch can never be stored.
    pub fn sign(body: EntryBody, key: &SigningKey) -> Result<SignedEntry, EntryError> {
        assert_eq!(
            body.signer.0,
            key.verifying_key().to_bytes(),
            "entry signer must be the signing key's public key"
        );
        body.event.validate()?;
        let mut bytes = codec::encode(&body)?;
        let signature = key.sign(&signing_digest(&bytes));
        bytes.extend_from_slice(&signature.to_bytes());
        let hash = entry_hash(&bytes);
        Ok(SignedEntry { bytes, body, hash })
    }

    /// Decodes stored bytes, strictly: exact length, canonical encoding, a
    /// supported version, a valid event. The signature is *not* checked here
    /// (see [`SignedEntry::verify_signature`]).
    pub fn decode(bytes: Vec<u8>) -> Result<SignedEntry, EntryError> {
        let (body_bytes, _) = split(&bytes)?;
        let version = u16::from_le_bytes([body_bytes[0], body_bytes[1]]);
        if version != FORMAT_VERSION {
            return Err(EntryError::Version(version));
        }
        let body: EntryBody = codec::decode_exact(body_bytes)?;
        body.event.validate()?;
        let hash = entry_hash(&bytes);
        Ok(SignedEntry { bytes, body, hash })
    }

    /// Checks the ed25519 signature against the signer named in the body,
    /// with strict verification (non-canonical signatures and small-order
    /// keys are refused).
    pub fn verify_signature(&self) -> Result<(), ed25519_dalek::SignatureError> {
        let (body_bytes, sig) = split(&self.bytes).expect("checked on construction");
        let key = VerifyingKey::from_bytes(&self.body.signer.0)?;
        key.verify_strict(&signing_digest(body_bytes), &Signature::from_bytes(sig))
    }

    /// The exact stored bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The stored bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The decoded body.
    pub fn body(&self) -> &EntryBody {
        &self.body
    }

    /// Shorthand for `body().seq`.
    pub fn seq(&self) -> u64 {
        self.body.seq
    }

    /// The event, by value (the bytes and the rest of the body are dropped).
    pub fn into_event(self) -> Event {
        self.body.event
    }

    /// Shorthand for `body().event`.
    pub fn event(&self) -> &Event {
        &self.body.event
    }

    /// SHA-256 of the stored bytes.
    pub fn hash(&self) -> EntryHash {
        self.hash
    }

    /// The 64-byte signature (the last 64 stored bytes).
    pub fn signature(&self) -> [u8; SIGNATURE_LEN] {
        *split(&self.bytes).expect("checked on construction").1
    }
}

/// Splits stored bytes into the body and the signature.
pub fn split(stored: &[u8]) -> Result<(&[u8], &[u8; SIGNATURE_LEN]), EntryError> {
    // Two bytes of version are the least a body can be.
    if stored.len() < SIGNATURE_LEN + 2 {
        return Err(EntryError::TooShort(stored.len()));
    }
    let (body, sig) = stored.split_at(stored.len() - SIGNATURE_LEN);
    Ok((body, sig.try_into().expect("64 bytes")))
}

/// The decoded, human-readable view of an entry, as JSON.
///
/// Exports carry it beside the signed bytes for people to read; verifiers
/// never trust it, they re-derive it from the bytes with this function and
/// compare.
pub fn entry_view(entry: &SignedEntry) -> serde_json::Value {
    let b = entry.body();
    serde_json::json!({
        "version": b.version,
        "seq": b.seq,
        "prev_hash": b.prev_hash,
        "recorded_at": b.recorded_at,
        "signer": b.signer,
        "event": b.event,
        "signature": hex::encode(entry.signature()),
        "hash": entry.hash(),
    })
}
