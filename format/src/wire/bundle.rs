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
//!
//! `custody-bundle/1` proves inclusion only: it cannot show that nothing
//! was left out. [`BundleV2`] (`custody-bundle/2`) adds the seal before the
//! checkpoint and the person's map proof, so a verifier can prove the
//! bundle complete (docs/design/format-v2-completeness.md §6).

use super::{EntryBytes, View};
use crate::commit::Disclosure;
use crate::entry::SignedEntry;
use crate::event::{EntryHash, PersonId};
use crate::json::StrictValue;
use crate::map_hash::{Leaf, MapProof, MapValue};
use crate::merkle_hash::Hash;
use crate::stream::Link;
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

// ---------------------------------------------------------------------------
// custody-bundle/2: the bundle that proves it is complete.
// ---------------------------------------------------------------------------

/// The format tag of a complete person bundle (docs/FORMAT.md §7, "Person
/// bundles"; design §6).
pub const BUNDLE_FORMAT_V2: &str = "custody-bundle/2";

/// A `custody-bundle/2` document: the seal before the checkpoint, the
/// person's map proof against it, the person's stream, the targets of its
/// corrections and all governance. Exactly these fields, keys in byte order
/// when written; unknown and repeated fields are refused.
///
/// ```json
/// {"anchors": [], "checkpoint": "<signed note of size s>",
///  "entries": [ITEM, …], "format": "custody-bundle/2",
///  "map_proof": PROOF, "origin": "<ledger name>", "person": "P-0001"}
/// ```
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleV2 {
    /// Earlier checkpoints the bundle is shown consistent with (`export
    /// --anchor FILE`), in the order the requester named them; `[]` if none.
    pub anchors: Vec<Anchor>,
    /// The signed checkpoint (a C2SP note of exactly three text lines) whose
    /// tree ends in the seal.
    pub checkpoint: String,
    /// The entries, in ascending seq.
    pub entries: Vec<BundleItemV2>,
    /// [`BUNDLE_FORMAT_V2`].
    pub format: String,
    /// The person's map proof against the seal's `map_root`.
    pub map_proof: WireMapProof,
    /// The ledger's name (the checkpoint's origin).
    pub origin: String,
    /// The person.
    pub person: PersonId,
}

/// One entry of a `/2` or `/3` bundle. `inclusion_proof` is `null` exactly
/// for the entries another item (or the seal, or the map) names by seq and
/// hash. In a `custody-bundle/3` every item has a `disclosures` member
/// (`[]` for a v1/v2 entry); a `/2` item has none.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleItemV2 {
    /// `custody-bundle/3`: the disclosures of the entry's committed
    /// fields, sorted by slot, each as its JSON object (checked by the
    /// verifier, rule `disclosure`). Absent in a `/2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosures: Option<Vec<StrictValue>>,
    /// The entry's stored bytes.
    pub entry: EntryBytes,
    /// Claimed: the SHA-256 of `entry`.
    pub hash: EntryHash,
    /// The RFC 9162 inclusion proof of the entry in the checkpoint's tree,
    /// or `null` for an entry authenticated by a name. The field is
    /// required either way.
    #[serde(deserialize_with = "required")]
    pub inclusion_proof: Option<Vec<HexHash>>,
    /// Claimed: the entry's seq.
    pub seq: u64,
    /// Claimed: the decoded entry, for people to read.
    pub view: View,
}

impl BundleItemV2 {
    /// The item for `entry`, with its inclusion proof or (`None`) without.
    pub fn of(entry: &SignedEntry, proof: Option<&[Hash]>) -> BundleItemV2 {
        BundleItemV2 {
            disclosures: None,
            entry: EntryBytes(entry.bytes().to_vec()),
            hash: entry.hash(),
            inclusion_proof: proof.map(|p| p.iter().copied().map(HexHash).collect()),
            seq: entry.seq(),
            view: View::of(entry),
        }
    }
}

impl BundleItemV2 {
    /// The `custody-bundle/3` item for `entry`: [`BundleItemV2::of`] with
    /// `disclosures` (sorted here by slot; none for a v1/v2 entry).
    pub fn with_disclosures(
        entry: &SignedEntry,
        proof: Option<&[Hash]>,
        disclosures: &[Disclosure],
    ) -> BundleItemV2 {
        assert!(
            entry.body().version >= crate::entry::VERSION_3 || disclosures.is_empty(),
            "a version 1 or 2 entry has no disclosures"
        );
        let mut sorted: Vec<&Disclosure> = disclosures.iter().collect();
        sorted.sort_by_key(|d| d.slot);
        BundleItemV2 {
            disclosures: Some(sorted.iter().map(|d| StrictValue(d.to_json())).collect()),
            ..BundleItemV2::of(entry, proof)
        }
    }
}

/// The format tag of a person bundle with disclosures (design
/// docs/design/format-v3.md §7): `/2` plus a `disclosures` member on every
/// item. The document is a [`BundleV2`] with this tag.
pub const BUNDLE_FORMAT_V3: &str = "custody-bundle/3";

/// An earlier checkpoint the bundle's tree extends (design §6.1, §6.3 step
/// 9): the verifier checks its signature, the consistency proof to the
/// bundle's checkpoint, its last entry, and (if that is a seal) that the
/// bundle's streams agree with the earlier seal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// The earlier signed note, of size m < s.
    pub checkpoint: String,
    /// The RFC 9162 consistency proof from (m, root_m) to (s, root_s).
    pub consistency: Vec<HexHash>,
    /// Entry m−1 with its inclusion proof in the tree of m.
    pub last: BundleItemV2,
    /// The person's map proof against `last`, if it is a seal.
    #[serde(deserialize_with = "required")]
    pub map_proof: Option<WireMapProof>,
}

/// A person map proof as JSON (design §3.3): the siblings deepest first,
/// and either the person's own value (presence) or, for an absence, the
/// other key's leaf where the path ends (`terminal`) or nothing (an empty
/// subtree). Both `terminal` and `value` are required, `null` or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireMapProof {
    /// Sibling hashes, the deepest first (at most 256).
    pub siblings: Vec<HexHash>,
    /// Another key's leaf ending the path (absence), or `null`.
    #[serde(deserialize_with = "required")]
    pub terminal: Option<WireLeaf>,
    /// The person's value (presence), or `null`.
    #[serde(deserialize_with = "required")]
    pub value: Option<WireValue>,
}

/// A leaf of the person map shown in an absence proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireLeaf {
    /// Its key, `K(Q)`.
    pub key: HexHash,
    /// Its `ValueHash` (the count and head are not shown).
    pub value_hash: HexHash,
}

/// A person's value in the map: how many entries concern them, and the
/// latest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireValue {
    /// Entries concerning the person (at least 1).
    pub count: u64,
    /// The latest of them.
    pub head: WireLink,
}

/// A link as JSON: `{"hash": "<hex>", "seq": n}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireLink {
    /// The entry's hash.
    pub hash: EntryHash,
    /// The entry's seq.
    pub seq: u64,
}

/// A field that must be present, whether `null` or not (serde would
/// otherwise read a missing `Option` field as `None`).
fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

impl From<&MapProof> for WireMapProof {
    fn from(p: &MapProof) -> WireMapProof {
        WireMapProof {
            siblings: p.siblings.iter().copied().map(HexHash).collect(),
            terminal: p.terminal.map(|t| WireLeaf {
                key: HexHash(t.key),
                value_hash: HexHash(t.value_hash),
            }),
            value: p.value.map(|v| WireValue {
                count: v.count,
                head: WireLink {
                    hash: v.head.hash,
                    seq: v.head.seq,
                },
            }),
        }
    }
}

impl From<&WireMapProof> for MapProof {
    fn from(p: &WireMapProof) -> MapProof {
        MapProof {
            siblings: p.siblings.iter().map(|h| h.0).collect(),
            terminal: p.terminal.map(|t| Leaf {
                key: t.key.0,
                value_hash: t.value_hash.0,
            }),
            value: p.value.map(|v| MapValue {
                count: v.count,
                head: Link {
                    seq: v.head.seq,
                    hash: v.head.hash,
                },
            }),
        }
    }
}

/// Why a document is not a `custody-bundle/2`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleV2Error {
    /// Larger than [`MAX_BUNDLE_BYTES`].
    #[error("over {MAX_BUNDLE_BYTES} bytes")]
    TooLarge,
    /// Not the document (bad JSON, a missing, unknown or repeated field).
    #[error("{}", crate::text::clip(&.0.to_string(), 300))]
    Json(#[from] serde_json::Error),
    /// Another format tag.
    #[error("format is {0:?}, not {BUNDLE_FORMAT_V2:?}")]
    Format(String),
}

impl BundleV2 {
    /// The bundle as written: pretty JSON, keys in byte order.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a bundle serialises")
    }

    /// Parses a `/2` bundle held in memory: size cap, strict JSON (unknown
    /// and repeated fields refused, duplicate keys in views refused), the
    /// format tag. (The verifier reads bundles as a stream
    /// instead, with the same rules.)
    pub fn parse(text: &[u8]) -> Result<BundleV2, BundleV2Error> {
        if text.len() > MAX_BUNDLE_BYTES {
            return Err(BundleV2Error::TooLarge);
        }
        let b: BundleV2 = serde_json::from_slice(text)?;
        if b.format != BUNDLE_FORMAT_V2 {
            return Err(BundleV2Error::Format(b.format));
        }
        Ok(b)
    }
}
