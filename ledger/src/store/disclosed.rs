//! Format v3's rows in the store (layout 4): the disclosures beside each
//! v3 entry, the statement ids the chain holds, and the slots redactions
//! erased (docs/design/format-v3.md §8).
//!
//! `disclosures` is the one table that is **not derived** from the chain:
//! it is the only copy of personal data in the store, so it is also the
//! table erasure deletes from. A row only ever holds disclosures that open
//! their entry's commitments: they are checked before they are written
//! (append commits them itself; restore and `append --signed` check what
//! they are given), and `check_disclosure_rows` checks every row again.
//!
//! A row is the JSON list of its disclosures (design §3.2's JSON form,
//! sorted by slot), not design §8's binary form: the JSON form has one
//! parser, the one exports and bundles already use, at the cost of some
//! 60 bytes per field; the store's layout is this build's business, the
//! wire forms are the format's.

use super::backend::TreeId;
use super::{seq_key, Ledger, StoreError};
use crate::projection::timeline::RedactedSlot;
use custody_format::commit::{Disclosure, Slot};
use custody_format::event::Event;
use custody_format::statement::StatementId;
use serde_json::Value;

/// A `disclosures` row: the JSON list of `disclosures`.
pub(super) fn encode_row(disclosures: &[Disclosure]) -> Vec<u8> {
    let list: Vec<Value> = disclosures.iter().map(Disclosure::to_json).collect();
    serde_json::to_vec(&list).expect("JSON values serialise")
}

/// The disclosures of a `disclosures` row.
fn decode_row(bytes: &[u8]) -> Result<Vec<Disclosure>, String> {
    let list: Vec<Value> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    list.iter()
        .map(|v| Disclosure::from_json(v).map_err(|e| e.to_string()))
        .collect()
}

/// A `redacted` row's key: `seq ‖ part ‖ BE16(code) ‖ BE16(index)`, so
/// the slots of one entry are adjacent and in slot order.
pub(super) fn redacted_key(seq: u64, slot: Slot) -> [u8; 13] {
    let mut k = [0u8; 13];
    k[..8].copy_from_slice(&seq.to_be_bytes());
    k[8] = slot.part;
    k[9..11].copy_from_slice(&slot.code.to_be_bytes());
    k[11..].copy_from_slice(&slot.index.to_be_bytes());
    k
}

impl Ledger {
    /// The disclosures the store holds for the entry at `seq`, sorted by
    /// slot: empty for a v1 or v2 entry, for an entry registered blind, and
    /// for slots a redaction erased.
    pub fn disclosures(&self, seq: u64) -> Result<Vec<Disclosure>, StoreError> {
        if !self.v3_tables {
            return Ok(Vec::new());
        }
        match self.backend.get(TreeId::Disclosures, &seq_key(seq))? {
            None => Ok(Vec::new()),
            Some(row) => decode_row(&row).map_err(|e| StoreError::Damaged {
                dir: self.dir.clone(),
                detail: format!("the disclosures of entry {seq} do not read: {e}"),
            }),
        }
    }

    /// The seq of the entry that registered the statement `id`, if the
    /// chain holds it.
    pub fn statement_seq(&self, id: &StatementId) -> Result<Option<u64>, StoreError> {
        if !self.v3_tables {
            return Ok(None);
        }
        if let Some(seq) = self.logged_id(super::id_log::IdKind::Statement, &id.0)? {
            return Ok(Some(seq));
        }
        self.backend
            .get(TreeId::Statements, &id.0)?
            .map(|v| self.seq_value(&v, "statements"))
            .transpose()
    }

    /// The seq of the redaction that erased `slot` of the entry at `seq`.
    pub fn redacted_at(&self, seq: u64, slot: Slot) -> Result<Option<u64>, StoreError> {
        if !self.v3_tables {
            return Ok(None);
        }
        self.backend
            .get(TreeId::Redacted, &redacted_key(seq, slot))?
            .map(|v| self.seq_value(&v, "redacted"))
            .transpose()
    }

    /// Every slot of the entry at `seq` that a redaction erased, with the
    /// seq of that redaction, in slot order: one range read of the
    /// `redacted` table (its keys begin with the entry's seq).
    pub fn redacted_slots(&self, seq: u64) -> Result<Vec<(Slot, u64)>, StoreError> {
        if !self.v3_tables {
            return Ok(Vec::new());
        }
        let damaged = || StoreError::Damaged {
            dir: self.dir.clone(),
            detail: format!("a row of the redacted table for entry {seq} is malformed"),
        };
        let prefix = seq_key(seq);
        let mut out = Vec::new();
        for row in self.backend.scan_prefix(TreeId::Redacted, &prefix) {
            let (k, v) = row?;
            let k: [u8; 13] = k.as_slice().try_into().map_err(|_| damaged())?;
            let slot = Slot {
                part: k[8],
                code: u16::from_be_bytes([k[9], k[10]]),
                index: u16::from_be_bytes([k[11], k[12]]),
            };
            out.push((slot, self.seq_value(&v, "redacted")?));
        }
        Ok(out)
    }

    /// The slots of the entry at `seq` that a redaction erased, each with
    /// that redaction's seq, its signer's holder and its reason: what a
    /// reader shows in place of an erased value.
    pub fn redactions_of(&self, seq: u64) -> Result<Vec<RedactedSlot>, StoreError> {
        let mut out = Vec::new();
        let mut by: Option<(u64, String, String)> = None;
        for (slot, at) in self.redacted_slots(seq)? {
            if by.as_ref().is_none_or(|(s, _, _)| *s != at) {
                let entry = self.entry(at)?.ok_or_else(|| StoreError::Damaged {
                    dir: self.dir.clone(),
                    detail: format!("the redacted table names entry {at}, which is missing"),
                })?;
                let b = entry.body();
                let reason = match &b.event {
                    Event::Redaction(r) => r.reason.clone(),
                    _ => {
                        return Err(StoreError::Damaged {
                            dir: self.dir.clone(),
                            detail: format!(
                                "the redacted table names entry {at}, which is not a redaction"
                            ),
                        })
                    }
                };
                let holder = self
                    .registry()
                    .get(&b.signer)
                    .map(|k| k.holder_at(at).to_string())
                    .unwrap_or_default();
                by = Some((at, holder, reason));
            }
            let (_, holder, reason) = by.as_ref().expect("set above");
            out.push(RedactedSlot {
                slot,
                seq: at,
                holder: holder.clone(),
                reason: reason.clone(),
            });
        }
        Ok(out)
    }

    fn seq_value(&self, v: &[u8], table: &str) -> Result<u64, StoreError> {
        v.try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Damaged {
                dir: self.dir.clone(),
                detail: format!("a row of the {table} table is not a seq"),
            })
    }
}
