//! The artefacts that leave a store, as types: each one's writer and reader
//! side by side, so what custody writes and what a verifier reads cannot
//! drift apart. docs/FORMAT.md specifies each.
//!
//! - [`export`]: an export file, JSON Lines, one entry per line;
//! - [`bundle`]: a person's bundle, one JSON document.
//! - [`proof`]: an inclusion proof, as a C2SP `tlog-proof` (text).
//!
//! Readers refuse unknown fields, and duplicate keys at any depth
//! ([`crate::json`]). The decoded `view` beside an entry's bytes is for
//! people to read and is never trusted: a verifier compares it, as a value,
//! with the view it derives from the bytes.

pub mod bundle;
pub mod export;
pub mod proof;

use crate::entry::{entry_view, SignedEntry};
use crate::json::StrictValue;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An entry's stored bytes, as standard base64 in JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryBytes(pub Vec<u8>);

impl Serialize for EntryBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for EntryBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(EntryBytes)
            .map_err(|_| serde::de::Error::custom("`entry` is not standard base64"))
    }
}

/// The decoded view of an entry, as a file carries it: parsed with
/// duplicate keys refused, compared as a value (whitespace and key order
/// do not matter, a changed or repeated field does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct View(pub StrictValue);

impl View {
    /// The view of `entry`, derived from its bytes.
    pub fn of(entry: &SignedEntry) -> View {
        View(StrictValue(entry_view(entry)))
    }

    /// True if this is the view `entry`'s bytes give.
    pub fn is_view_of(&self, entry: &SignedEntry) -> bool {
        self.0 .0 == entry_view(entry)
    }
}
