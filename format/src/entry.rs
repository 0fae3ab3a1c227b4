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
use crate::event::{EntryHash, Event, FieldError, PublicKeyBytes, VersionedCodec};
use crate::stream::Link;
use crate::time::Timestamp;
use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Format version 1: the body has no stream links (docs/FORMAT.md §2).
pub const VERSION_1: u16 = 1;

/// Format version 2: the body names, for each stream the entry belongs to,
/// the previous entry of that stream (docs/FORMAT.md §12).
pub const VERSION_2: u16 = 2;

/// Format version 3: personal fields are salted commitments, and events
/// 22–24 (statement, redaction, predecessor) exist (design
/// docs/design/format-v3.md). Written by every store since layout 4.
pub const VERSION_3: u16 = 3;

/// The format version written into every new entry.
///
/// Bump it only with a deliberate, documented change of the byte format; a
/// verifier must keep accepting every version it ever accepted.
pub const FORMAT_VERSION: u16 = VERSION_3;

/// Domain separation for the signed digest of a version 1 body, so that a
/// signature over an entry can never be replayed as a signature over
/// anything else (a checkpoint, a different protocol using the same key).
pub const SIGNING_DOMAIN_V1: &[u8] = b"custody/entry/v1\0";

/// The same for a version 2 body: a signature over a body of one version
/// can never be taken for one over a body of another.
pub const SIGNING_DOMAIN_V2: &[u8] = b"custody/entry/v2\0";

/// The same for a version 3 body.
pub const SIGNING_DOMAIN_V3: &[u8] = b"custody/entry/v3\0";

/// The most links a v2 body may carry (a correction that moves evidence
/// from one person to another).
pub const MAX_LINKS: usize = 2;

/// Length of the ed25519 signature that ends every stored entry.
pub const SIGNATURE_LEN: usize = 64;

/// The previous-hash of the genesis entry: 32 zero bytes.
pub const GENESIS_PREV_HASH: EntryHash = EntryHash([0; 32]);

/// Everything an entry says, except its signature. Field order is the byte
/// format; `links` is encoded only in version 2 and later bodies (a version
/// 1 body has none), so the encoding is written out below rather than
/// derived.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Version 2: for each stream of the event, in stream order
    /// ([`crate::stream::streams`]), the previous entry of that stream
    /// (`None`: this is its first). Empty in a version 1 body.
    pub links: Vec<Option<Link>>,
    /// What the entry says.
    pub event: Event,
}

impl Encode for EntryBody {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.version.encode(e)?;
        self.seq.encode(e)?;
        self.prev_hash.encode(e)?;
        self.recorded_at.encode(e)?;
        self.signer.encode(e)?;
        if self.version >= VERSION_2 {
            self.links.encode(e)?;
        } else if !self.links.is_empty() {
            return Err(EncodeError::Other("a version 1 body has no links"));
        }
        self.event.encode_in(e, self.version)
    }
}

impl<C> Decode<C> for EntryBody {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let version = u16::decode(d)?;
        let seq = u64::decode(d)?;
        let prev_hash = EntryHash::decode(d)?;
        let recorded_at = Timestamp::decode(d)?;
        let signer = PublicKeyBytes::decode(d)?;
        let mut links = Vec::new();
        if version >= VERSION_2 {
            // The count is checked before anything is allocated.
            let n = u64::decode(d)?;
            if n > MAX_LINKS as u64 {
                return Err(DecodeError::OtherString(format!(
                    "links has {n} items; an entry belongs to at most {MAX_LINKS} streams"
                )));
            }
            for _ in 0..n {
                links.push(Option::<Link>::decode(d)?);
            }
        }
        let event = Event::decode_in(d, version)?;
        Ok(EntryBody {
            version,
            seq,
            prev_hash,
            recorded_at,
            signer,
            links,
            event,
        })
    }
}

/// Why a body's links (or its version) do not fit its event; rule `format`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// A v2 body has a number of links its event cannot have.
    #[error("a {event} entry carries {expected}, but this one carries {found}")]
    LinkCount {
        /// The event's type.
        event: &'static str,
        /// In words ("one link", "no link", …).
        expected: &'static str,
        /// How many it carries.
        found: usize,
    },
    /// A link names an entry at or after this one.
    #[error("link {index} names seq {link_seq}, which is not before this entry's seq {seq}")]
    LinkNotBefore {
        /// Which link.
        index: usize,
        /// The seq it names.
        link_seq: u64,
        /// The entry's seq.
        seq: u64,
    },
    /// A seal or a clock correction in a version 1 body (they exist from
    /// version 2 on).
    #[error("a {event} is a version 2 event; this body is version {version}")]
    EventNeedsV2 {
        /// The event's type.
        event: &'static str,
        /// The body's version.
        version: u16,
    },
    /// A statement, a redaction, a predecessor or a grant of `registrar`
    /// in a version 1 or 2 body (they exist from version 3 on).
    #[error("a {event} is a version 3 event; this body is version {version}")]
    EventNeedsV3 {
        /// The event's type (`key_granted` for a grant of `registrar`).
        event: &'static str,
        /// The body's version.
        version: u16,
    },
}

impl EntryBody {
    /// Checks everything about a body that needs no other entry: its event's
    /// fields ([`Event::validate`]) and, in a version 2 body, that it carries
    /// as many links as its event has streams (a correction: one, or two if
    /// it has a replacement) and that each names an earlier seq.
    pub fn validate(&self) -> Result<(), EntryError> {
        self.event.validate()?;
        if self.version < VERSION_3 && self.event.needs_v3() {
            return Err(EnvelopeError::EventNeedsV3 {
                event: self.event.type_name(),
                version: self.version,
            }
            .into());
        }
        self.event.check_form(self.version)?;
        if self.version < VERSION_2 {
            if self.event.needs_v2() {
                return Err(EnvelopeError::EventNeedsV2 {
                    event: self.event.type_name(),
                    version: self.version,
                }
                .into());
            }
            return Ok(());
        }
        let n = self.links.len();
        // A statement has the links its inner event would have.
        let (fits, expected) = match self.event.inner() {
            Event::Checkpoint(_) | Event::Seal(_) => (n == 0, "no link"),
            Event::Correction(c) if c.replacement.is_some() => {
                (n == 1 || n == 2, "one or two links")
            }
            _ => (n == 1, "one link"),
        };
        if !fits {
            return Err(EnvelopeError::LinkCount {
                event: self.event.type_name(),
                expected,
                found: n,
            }
            .into());
        }
        for (index, link) in self.links.iter().enumerate() {
            if let Some(l) = link {
                if l.seq >= self.seq {
                    return Err(EnvelopeError::LinkNotBefore {
                        index,
                        link_seq: l.seq,
                        seq: self.seq,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }
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
    #[error("format version {0} is not supported (this build reads versions {VERSION_1} to {VERSION_3})")]
    Version(u16),
    /// The links (or the version) do not fit the event.
    #[error("entry envelope is invalid: {0}")]
    Envelope(#[from] EnvelopeError),
    /// A field of the event breaks a rule.
    #[error("entry event is invalid: {0}")]
    Field(#[from] FieldError),
}

/// The signing domain of a body of `version`: [`SIGNING_DOMAIN_V1`] or
/// [`SIGNING_DOMAIN_V2`]; `None` for a version this build does not know
/// (such a body does not decode).
pub fn signing_domain(version: u16) -> Option<&'static [u8]> {
    match version {
        VERSION_1 => Some(SIGNING_DOMAIN_V1),
        VERSION_2 => Some(SIGNING_DOMAIN_V2),
        VERSION_3 => Some(SIGNING_DOMAIN_V3),
        _ => None,
    }
}

/// SHA-256 over the signing domain of the body's version (its first two
/// bytes) followed by the encoded body: the 32-byte message that ed25519
/// signs. A body of a version this build does not know is hashed under the
/// version 1 domain here; it never decodes, so nothing accepts it.
pub fn signing_digest(body_bytes: &[u8]) -> [u8; 32] {
    let version = match body_bytes {
        [a, b, ..] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    };
    let mut h = Sha256::new();
    h.update(signing_domain(version).unwrap_or(SIGNING_DOMAIN_V1));
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
        body.validate()?;
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
        if signing_domain(version).is_none() {
            return Err(EntryError::Version(version));
        }
        let body: EntryBody = codec::decode_exact(body_bytes)?;
        body.validate()?;
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
    let mut view = serde_json::json!({
        "version": b.version,
        "seq": b.seq,
        "prev_hash": b.prev_hash,
        "recorded_at": b.recorded_at,
        "signer": b.signer,
        "event": b.event,
        "signature": crate::text::with_hex(&entry.signature(), str::to_owned),
        "hash": entry.hash(),
    });
    // A version 1 view is unchanged; from version 2 on it shows the links.
    if b.version >= VERSION_2 {
        view["links"] = serde_json::json!(b.links);
    }
    view
}
