//! Signed statements (format version 3, design docs/design/format-v3.md §4).
//!
//! An investigator signs an evidence event (or a correction) offline, with
//! no store and no head: the statement binds the event, already in its
//! committed v3 form, to one ledger (its name), a claimed time and a fresh
//! nonce. A `statement` entry (event 22) carries it into the chain, signed
//! by whoever registers it; the registrar cannot alter what the author
//! signed, nor make a statement the author did not.
//!
//! Bytes: `body ‖ signature`, where the body is `version: u16` (1),
//! `ledger: String`, `author: [u8;32]`, `signed_at: i64`, `nonce: [u8;16]`,
//! `event: Event` (v3 form). The statement's identity is
//! `H("custody/statement/v1" ‖ 00 ‖ body)`, which is also what the author
//! signs; the chain holds each identity at most once.

use crate::codec::{self, CodecError};
use crate::commit::{PersonalMut, PersonalRef, Slot};
use crate::entry::VERSION_3;
use crate::event::VersionedCodec;
use crate::event::{check_ledger_name, Event, FieldError, PublicKeyBytes, SignatureBytes};
use crate::key::{signer_key, SignerKeys, WeakKey};
use crate::time::Timestamp;
use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// The only statement version.
pub const STATEMENT_VERSION: u16 = 1;

/// The domain of a statement's identity (and signed message): 20 ASCII
/// bytes and a zero byte, so a statement signature is never taken for an
/// entry's, a note's or a dossier's by the same key.
pub const STATEMENT_DOMAIN: &[u8] = b"custody/statement/v1\0";

/// A statement's identity: the digest its author signed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatementId(pub [u8; 32]);

impl fmt::Display for StatementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::text::with_hex(&self.0, |h| f.write_str(h))
    }
}

impl fmt::Debug for StatementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatementId({self})")
    }
}

/// 128 random bits, fresh per statement: two statements of the same facts
/// by the same author on the same day are distinct evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Nonce(pub [u8; 16]);

/// What the author signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementBody {
    /// [`STATEMENT_VERSION`].
    pub version: u16,
    /// The ledger's `ledger_name` (its checkpoint origin).
    pub ledger: String,
    /// The author's public key.
    pub author: PublicKeyBytes,
    /// The author's clock: a claim, never used for authorisation.
    pub signed_at: Timestamp,
    /// Fresh per statement.
    pub nonce: Nonce,
    /// An evidence event or a correction, in its version 3 form.
    pub event: Box<Event>,
}

impl Encode for StatementBody {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        if self.version != STATEMENT_VERSION {
            return Err(EncodeError::Other("a statement is version 1"));
        }
        self.version.encode(e)?;
        self.ledger.encode(e)?;
        self.author.encode(e)?;
        self.signed_at.encode(e)?;
        self.nonce.encode(e)?;
        self.event.encode_in(e, VERSION_3)
    }
}

impl StatementBody {
    fn decode_at<D: Decoder>(d: &mut D, depth: u32) -> Result<StatementBody, DecodeError> {
        let version = u16::decode(d)?;
        if version != STATEMENT_VERSION {
            return Err(DecodeError::OtherString(format!(
                "statement version {version} is not supported (this build reads version {STATEMENT_VERSION})"
            )));
        }
        Ok(StatementBody {
            version,
            ledger: String::decode(d)?,
            author: PublicKeyBytes::decode(d)?,
            signed_at: Timestamp::decode(d)?,
            nonce: Nonce::decode(d)?,
            event: Box::new(Event::decode_nested(d, VERSION_3, depth)?),
        })
    }

    /// The identity of a statement with this body: `H("custody/statement/v1"
    /// ‖ 00 ‖ body)`.
    pub fn id(&self) -> Result<StatementId, CodecError> {
        Ok(id_of(&codec::encode(self)?))
    }
}

fn id_of(body_bytes: &[u8]) -> StatementId {
    let mut h = Sha256::new();
    h.update(STATEMENT_DOMAIN);
    h.update(body_bytes);
    StatementId(h.finalize().into())
}

/// A statement body and its author's signature. Built only by signing,
/// decoding or [`SignedStatement::from_parts`], so its body always encodes
/// and its bytes and identity are computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedStatement {
    body: StatementBody,
    signature: SignatureBytes,
    body_bytes: Vec<u8>,
    id: StatementId,
}

/// Why a statement's author signature does not hold (rule
/// `statement_signature`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementSignatureError {
    /// The author key may not sign (small order, not a point).
    #[error("the author key cannot sign: {0}")]
    WeakAuthor(#[from] WeakKey),
    /// The signature does not verify strictly over the statement id.
    #[error("the author's signature does not verify over the statement")]
    Invalid,
}

/// Why a statement cannot be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// The bytes do not decode, or the body does not encode.
    #[error("statement does not decode: {0}")]
    Codec(#[from] CodecError),
    /// Too short for a version and a signature.
    #[error("statement is {0} bytes long, too short to hold a body and a 64-byte signature")]
    TooShort(usize),
    /// A field breaks a rule.
    #[error("statement is invalid: {0}")]
    Field(#[from] FieldError),
}

impl SignedStatement {
    /// Signs `body` with `key`, which must be the body's author. The body
    /// is validated first ([`SignedStatement::validate`]).
    pub fn sign(body: StatementBody, key: &SigningKey) -> Result<SignedStatement, StatementError> {
        assert_eq!(
            body.author.0,
            key.verifying_key().to_bytes(),
            "a statement's author must be the signing key's public key"
        );
        let body_bytes = codec::encode(&body)?;
        let id = id_of(&body_bytes);
        let signature = SignatureBytes(key.sign(&id.0).to_bytes());
        let s = SignedStatement {
            body,
            signature,
            body_bytes,
            id,
        };
        s.validate()?;
        Ok(s)
    }

    /// A statement from a body and any signature (the signature is not
    /// checked here: [`SignedStatement::verify`]). For tests and vectors
    /// that need a statement whose signature is wrong.
    pub fn from_parts(
        body: StatementBody,
        signature: [u8; 64],
    ) -> Result<SignedStatement, CodecError> {
        let body_bytes = codec::encode(&body)?;
        let id = id_of(&body_bytes);
        Ok(SignedStatement {
            body,
            signature: SignatureBytes(signature),
            body_bytes,
            id,
        })
    }

    pub(crate) fn decode_nested<D: Decoder>(
        d: &mut D,
        depth: u32,
    ) -> Result<SignedStatement, DecodeError> {
        let body = StatementBody::decode_at(d, depth)?;
        let signature = SignatureBytes::decode(d)?;
        let body_bytes =
            codec::encode(&body).map_err(|e| DecodeError::OtherString(e.to_string()))?;
        let id = id_of(&body_bytes);
        Ok(SignedStatement {
            body,
            signature,
            body_bytes,
            id,
        })
    }

    /// Decodes a statement on its own (`body ‖ signature`, as a statement
    /// line carries it): strictly, then [`SignedStatement::validate`]. The
    /// signature is not checked here.
    pub fn decode(bytes: &[u8]) -> Result<SignedStatement, StatementError> {
        if bytes.len() < 2 + 64 {
            return Err(StatementError::TooShort(bytes.len()));
        }
        let s: Standalone = codec::decode_exact(bytes)?;
        s.0.validate()?;
        Ok(s.0)
    }

    /// `body ‖ signature`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.body_bytes.clone();
        out.extend_from_slice(&self.signature.0);
        out
    }

    /// The signed body.
    pub fn body(&self) -> &StatementBody {
        &self.body
    }

    /// The body's exact bytes.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body_bytes
    }

    /// The author's signature.
    pub fn signature(&self) -> [u8; 64] {
        self.signature.0
    }

    /// The statement's identity (what the author signed).
    pub fn id(&self) -> StatementId {
        self.id
    }

    /// The author's public key.
    pub fn author(&self) -> PublicKeyBytes {
        self.body.author
    }

    /// The event the statement carries.
    pub fn event(&self) -> &Event {
        &self.body.event
    }

    /// Checks the author's signature: the author is a key that may sign
    /// (FORMAT.md §5 rule 4) and the signature verifies strictly over the
    /// statement id.
    pub fn verify(&self) -> Result<(), StatementSignatureError> {
        self.verify_as(signer_key(&self.body.author)?)
    }

    /// [`SignedStatement::verify`], with the author's key decoded once
    /// across statements (`keys`): the same verdict.
    pub fn verify_with(&self, keys: &mut SignerKeys) -> Result<(), StatementSignatureError> {
        self.verify_as(keys.get(&self.body.author)?)
    }

    fn verify_as(&self, author: VerifyingKey) -> Result<(), StatementSignatureError> {
        author
            .verify_strict(&self.id.0, &Signature::from_bytes(&self.signature.0))
            .map_err(|_| StatementSignatureError::Invalid)
    }

    /// The decoding rules of a statement (rule `format`): version 1; a
    /// ledger name as a genesis's; an inner event that is evidence or a
    /// correction (not a statement), valid, in its v3 form.
    pub fn validate(&self) -> Result<(), FieldError> {
        let within = |e: FieldError| e.within("statement");
        if self.body.version != STATEMENT_VERSION {
            return Err(within(FieldError::new(
                "version",
                format!("must be {STATEMENT_VERSION}"),
            )));
        }
        check_ledger_name("ledger", &self.body.ledger).map_err(within)?;
        let event = &*self.body.event;
        let allowed = matches!(event, Event::Correction(_))
            || (event.is_evidence() && !matches!(event, Event::Statement(_)));
        if !allowed {
            return Err(within(FieldError::new(
                "event.type",
                format!(
                    "a statement carries evidence or a correction, not {}",
                    event.type_name()
                ),
            )));
        }
        event
            .validate()
            .and_then(|()| event.check_form(VERSION_3))
            .map_err(|e| within(e.within("event")))
    }

    /// The statement's view (design §4.2): its body's fields, the event
    /// as in an entry's view, and the signature.
    pub fn view(&self) -> serde_json::Value {
        let b = &self.body;
        serde_json::json!({
            "version": b.version,
            "ledger": b.ledger,
            "author": b.author,
            "signed_at": b.signed_at,
            "nonce": crate::text::with_hex(&b.nonce.0, str::to_owned),
            "event": b.event,
            "signature": crate::text::with_hex(&self.signature.0, str::to_owned),
        })
    }

    /// The view a `statement` entry shows (design §4.3): [`Self::view`]
    /// with the statement's `id`.
    pub fn view_with_id(&self) -> serde_json::Value {
        let mut v = self.view();
        v["id"] = serde_json::Value::String(self.id.to_string());
        v
    }

    /// Visits the inner event's personal fields (see
    /// [`Event::visit_personal`]).
    pub(crate) fn visit_personal<'a>(
        &'a self,
        part: u8,
        visit: &mut dyn FnMut(Slot, PersonalRef<'a>),
    ) {
        self.body.event.visit_personal(part, visit);
    }

    /// A signed statement's fields are fixed: committing visits nothing.
    pub(crate) fn visit_personal_mut<'a>(
        &'a mut self,
        _: u8,
        _: &mut dyn FnMut(Slot, PersonalMut<'a>),
    ) {
    }
}

impl Encode for SignedStatement {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.body.encode(e)?;
        self.signature.encode(e)
    }
}

/// A statement read on its own, at depth 0.
struct Standalone(SignedStatement);

impl Encode for Standalone {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.0.encode(e)
    }
}

impl<C> Decode<C> for Standalone {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        SignedStatement::decode_nested(d, 1).map(Standalone)
    }
}
