//! A person's bundle: one JSON document holding a person's entries, the
//! corrections about them and their targets, and every governance entry,
//! each with an inclusion proof against one signed checkpoint
//! (docs/FORMAT.md §9, `custody-bundle/1`).
//!
//! ```json
//! { "checkpoint": "<C2SP signed note>",
//!   "entries": [ { "entry": "<base64>", "hash": "…", "inclusion_proof": ["<hex>", …],
//!                  "seq": 3, "view": {…} }, … ],
//!   "format": "custody-bundle/1", "origin": "…", "person": "P-0001" }
//! ```

use super::{EntryBytes, View};
use crate::entry::SignedEntry;
use crate::event::{EntryHash, PersonId};
use crate::merkle_hash::Hash;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The format tag of a bundle.
pub const BUNDLE_FORMAT: &str = "custody-bundle/1";

/// Largest bundle accepted, in bytes. A person's bundle holds their entries
/// and the ledger's governance: kilobytes to a few megabytes. At this cap a
/// verifier that streams it (as custody's does) holds well under 100 MB.
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// A person's bundle.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// The signed checkpoint every proof leads to (a C2SP note).
    pub checkpoint: String,
    /// The entries, in seq order.
    pub entries: Vec<BundleItem>,
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The ledger's name (the checkpoint's origin).
    pub origin: String,
    /// The person.
    pub person: PersonId,
}

/// One entry of a bundle.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleItem {
    /// The entry's stored bytes.
    pub entry: EntryBytes,
    /// Claimed: the SHA-256 of `entry`.
    pub hash: EntryHash,
    /// The RFC 9162 inclusion proof of the entry in the checkpoint's tree.
    pub inclusion_proof: Vec<HexHash>,
    /// Claimed: the entry's seq.
    pub seq: u64,
    /// Claimed: the decoded entry, for people to read.
    pub view: View,
}

impl BundleItem {
    /// The item for `entry` with its inclusion proof.
    pub fn of(entry: &SignedEntry, proof: &[Hash]) -> BundleItem {
        BundleItem {
            entry: EntryBytes(entry.bytes().to_vec()),
            hash: entry.hash(),
            inclusion_proof: proof.iter().copied().map(HexHash).collect(),
            seq: entry.seq(),
            view: View::of(entry),
        }
    }
}

impl Bundle {
    /// The bundle as written: pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a bundle serialises")
    }

    /// Parses a bundle. Unknown and duplicate fields are refused.
    pub fn parse(text: &[u8]) -> Result<Bundle, serde_json::Error> {
        serde_json::from_slice(text)
    }
}

/// A 32-byte hash as 64 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HexHash(pub Hash);

impl Serialize for HexHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for HexHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.as_bytes(), &mut out)
            .map_err(|_| serde::de::Error::custom("a proof hash is not 64 hex digits"))?;
        Ok(HexHash(out))
    }
}
