//! The canonical byte encoding: the only place that calls bincode.
//!
//! Everything signed goes through [`encode`] and everything read back through
//! [`decode_exact`]. The configuration is bincode 2.0.1 with little-endian,
//! fixed-width integers (no varints), which `docs/FORMAT.md` restates byte by
//! byte so an independent verifier needs no bincode at all:
//!
//! | value | bytes |
//! |---|---|
//! | `u8`/`u16`/`u32`/`u64`/`i32`/`i64` | 1/2/4/8/4/8 bytes, little-endian |
//! | `bool` | one byte, `0x00` or `0x01` |
//! | `[u8; 32]`, `[u8; 64]` | the bytes, no length |
//! | `String` | `u64` byte length, then UTF-8 |
//! | `Option<T>` | `0x00`, or `0x01` then `T` |
//! | `Vec<T>` | `u64` count, then each `T` |
//! | enum | `u32` variant index, then the variant's fields |
//! | struct | its fields in declaration order, nothing else |
//!
//! Decoding is strict: the input must be consumed exactly, and re-encoding
//! the decoded value must give back the same bytes (so no two byte strings
//! mean the same entry, and the decoded view always shows what was signed).

use crate::event::{Event, VersionedCodec};
use bincode::config::{Configuration, Fixint, Limit, LittleEndian};

/// The largest encoded entry accepted, in bytes. Also the decoder's
/// allocation limit, so a forged length prefix cannot make it allocate more.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;

type Config = Configuration<LittleEndian, Fixint, Limit<MAX_ENTRY_BYTES>>;

const CONFIG: Config = bincode::config::standard()
    .with_little_endian()
    .with_fixed_int_encoding()
    .with_limit::<MAX_ENTRY_BYTES>();

/// Why bytes could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The value does not fit the format (e.g. it is over the size limit).
    #[error("cannot encode: {0}")]
    Encode(String),
    /// The bytes are not a valid encoding.
    #[error("not a valid encoding: {0}")]
    Decode(String),
    /// The bytes decode, but have bytes left over after the value.
    #[error("{extra} unexpected bytes after the end of the value")]
    Trailing {
        /// How many bytes were left.
        extra: usize,
    },
    /// The bytes decode, but are not the canonical encoding of what they
    /// decode to.
    #[error("not the canonical encoding of its value")]
    NotCanonical,
}

/// Encodes a value in the canonical format.
pub fn encode<T: bincode::Encode>(value: &T) -> Result<Vec<u8>, CodecError> {
    let bytes =
        bincode::encode_to_vec(value, CONFIG).map_err(|e| CodecError::Encode(e.to_string()))?;
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(CodecError::Encode(format!(
            "{} bytes is over the limit of {MAX_ENTRY_BYTES}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Decodes exactly one value from `bytes`, refusing trailing bytes and
/// non-canonical encodings.
pub fn decode_exact<T: bincode::Decode<()> + bincode::Encode>(
    bytes: &[u8],
) -> Result<T, CodecError> {
    decode_exact_in(bytes, ())
}

/// An event alone, in the form a body of `version` gives it (its personal
/// fields cleartext or committed, `witnesses` present or not).
struct EventIn<'a>(u16, std::borrow::Cow<'a, Event>);

impl bincode::Encode for EventIn<'_> {
    fn encode<E: bincode::enc::Encoder>(
        &self,
        e: &mut E,
    ) -> Result<(), bincode::error::EncodeError> {
        self.1.encode_in(e, self.0)
    }
}

impl bincode::Decode<u16> for EventIn<'static> {
    fn decode<D: bincode::de::Decoder<Context = u16>>(
        d: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        let version = *d.context();
        Ok(EventIn(
            version,
            std::borrow::Cow::Owned(Event::decode_in(d, version)?),
        ))
    }
}

/// Encodes an event on its own, as a body of `version` holds it (the
/// spool of `custody append`, the fuzzing harnesses).
pub fn encode_event(event: &Event, version: u16) -> Result<Vec<u8>, CodecError> {
    encode(&EventIn(version, std::borrow::Cow::Borrowed(event)))
}

/// Decodes an event on its own, as a body of `version` holds it: exactly,
/// canonically.
pub fn decode_event(bytes: &[u8], version: u16) -> Result<Event, CodecError> {
    decode_exact_in::<EventIn<'static>, u16>(bytes, version).map(|e| e.1.into_owned())
}

fn decode_exact_in<T: bincode::Decode<C> + bincode::Encode, C>(
    bytes: &[u8],
    context: C,
) -> Result<T, CodecError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(CodecError::Decode(format!(
            "{} bytes is over the limit of {MAX_ENTRY_BYTES}",
            bytes.len()
        )));
    }
    let (value, read): (T, usize) = bincode::decode_from_slice_with_context(bytes, CONFIG, context)
        .map_err(|e| CodecError::Decode(e.to_string()))?;
    if read != bytes.len() {
        return Err(CodecError::Trailing {
            extra: bytes.len() - read,
        });
    }
    if encode(&value)? != bytes {
        return Err(CodecError::NotCanonical);
    }
    Ok(value)
}
