//! An export file: JSON Lines, one line per entry in chain order, each the
//! entry's stored bytes beside claims about them (docs/FORMAT.md §9).
//!
//! ```json
//! {"entry":"<base64>","hash":"<hex>","seq":0,"view":{…}}
//! ```
//!
//! The fields are written in this order (the order of the keys of a JSON
//! object sorted by name, as earlier builds wrote them).

use super::{EntryBytes, View};
use crate::entry::SignedEntry;
use crate::event::EntryHash;
use serde::{Deserialize, Serialize};

/// Largest line of an export file: the largest entry, in base64, with its
/// view.
pub const MAX_LINE_BYTES: usize = 4 * crate::codec::MAX_ENTRY_BYTES;

/// One line of an export file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
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
        ExportLine {
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
