//! An export file: JSON Lines, one line per entry in chain order, each the
//! entry's stored bytes beside claims about them (docs/FORMAT.md §9).
//!
//! ```json
//! {"entry":"<base64>","hash":"<hex>","seq":0,"view":{…}}
//! {"disclosures":[{…}, …],"entry":"<base64>","hash":"<hex>","seq":9,"view":{…}}
//! ```
//!
//! A version 3 entry's line has a fifth member, `disclosures` (design
//! docs/design/format-v3.md §7): the disclosures the exporter chose to
//! carry, possibly none, sorted by slot. A v1 or v2 entry's line has
//! exactly the four members, so every earlier export stays byte-identical.
//! The fields are written in this order (the order of the keys of a JSON
//! object sorted by name, as earlier builds wrote them).

use super::{EntryBytes, View};
use crate::commit::Disclosure;
use crate::entry::SignedEntry;
use crate::event::EntryHash;
use crate::json::StrictValue;
use serde::{Deserialize, Serialize};

/// Largest line of an export file: the largest entry, in base64, with its
/// view.
pub const MAX_LINE_BYTES: usize = 4 * crate::codec::MAX_ENTRY_BYTES;

/// One line of an export file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    /// Format v3: the disclosures of the entry's committed fields, each
    /// as its JSON object (read with [`crate::commit::Disclosure::from_json`]
    /// by the verifier, which refuses a bad one with rule `disclosure`).
    /// `None` for a v1/v2 entry: the member is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosures: Option<Vec<StrictValue>>,
    /// The entry's stored bytes: the only thing a verifier trusts.
    pub entry: EntryBytes,
    /// Claimed: the SHA-256 of `entry`.
    pub hash: EntryHash,
    /// Claimed: the entry's seq.
    pub seq: u64,
    /// Claimed: the decoded entry, for people to read.
    pub view: View,
}

impl ExportLine {
    /// The line for `entry`, every claim derived from its bytes.
    pub fn of(entry: &SignedEntry) -> ExportLine {
        ExportLine::with_disclosures(entry, &[])
    }

    /// The line for `entry` carrying `disclosures` (sorted here by slot).
    /// A v1/v2 entry's line has no `disclosures` member, and must be given
    /// none.
    pub fn with_disclosures(entry: &SignedEntry, disclosures: &[Disclosure]) -> ExportLine {
        let v3 = entry.body().version >= crate::entry::VERSION_3;
        assert!(
            v3 || disclosures.is_empty(),
            "a version 1 or 2 entry has no disclosures"
        );
        let mut sorted: Vec<&Disclosure> = disclosures.iter().collect();
        sorted.sort_by_key(|d| d.slot);
        ExportLine {
            disclosures: v3.then(|| sorted.iter().map(|d| StrictValue(d.to_json())).collect()),
            entry: EntryBytes(entry.bytes().to_vec()),
            hash: entry.hash(),
            seq: entry.seq(),
            view: View::of(entry),
        }
    }

    /// The line as written: compact JSON, no newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an export line serialises")
    }

    /// Parses one line (without its newline). Unknown and duplicate fields
    /// are refused.
    pub fn parse(line: &[u8]) -> Result<ExportLine, serde_json::Error> {
        serde_json::from_slice(line)
    }
}
