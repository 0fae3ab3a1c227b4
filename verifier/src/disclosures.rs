//! Disclosures beside v3 entries (design docs/design/format-v3.md §3.4):
//! each one offered (an export line's, a bundle item's) is checked against
//! its entry's commitment, and each committed slot gets a verdict.
//!
//! An invalid disclosure (a slot the entry lacks or holds no commitment in,
//! a v1/v2 entry, a slot twice, a malformed value, a commitment that does
//! not match) is rule `disclosure` at the entry's seq: someone altered or
//! forged cleartext. A commitment with no disclosure is **withheld**, never
//! invalid, unless the reader demands everything ([`DisclosurePolicy`]:
//! rule `withheld`); **redacted** if a redaction the verifier has seen
//! covers it; and a disclosure for a redacted slot is genuine but reported
//! as **disclosed after redaction**, a warning.
//!
//! A redaction comes after the entries it names, so the verdicts are
//! settled only at the end of a walk: [`DisclosureTally`] checks each
//! disclosure as it comes (memory: a slot and a bit per committed slot, no
//! values) and [`DisclosureTally::finish`] applies the redactions seen.

use crate::report::{Cause, Rule, Violation};
use custody_format::commit::{check_disclosures, Disclosure, Slot, SlotState};
use custody_format::entry::{SignedEntry, VERSION_3};
use custody_format::event::EntryHash;
use custody_format::json::StrictValue;

/// What the reader demands of disclosures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DisclosurePolicy {
    /// Every committed slot must be disclosed or redacted (`verify
    /// --all-disclosed`): a withheld slot is rule `withheld`.
    pub all_disclosed: bool,
}

/// The verdict on one committed slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotVerdict {
    /// A disclosure opens the commitment.
    Disclosed,
    /// No disclosure, and no redaction: withheld.
    Withheld,
    /// No disclosure; the redaction at this seq erased the slot.
    Redacted {
        /// The redaction's seq.
        at: u64,
    },
    /// A genuine disclosure for a slot the redaction at this seq erased:
    /// a warning (whoever holds the cleartext should not).
    DisclosedAfterRedaction {
        /// The redaction's seq.
        at: u64,
    },
}

impl SlotVerdict {
    /// Its name in reports: `disclosed`, `withheld`, `redacted`,
    /// `disclosed_after_redaction`.
    pub fn name(&self) -> &'static str {
        match self {
            SlotVerdict::Disclosed => "disclosed",
            SlotVerdict::Withheld => "withheld",
            SlotVerdict::Redacted { .. } => "redacted",
            SlotVerdict::DisclosedAfterRedaction { .. } => "disclosed_after_redaction",
        }
    }
}

/// The committed slots of one v3 entry and their verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntrySlots {
    /// The entry's seq.
    pub seq: u64,
    /// Where the caller found it (an export's line, a bundle's item).
    pub at: u64,
    /// Each committed slot, in slot order, with its verdict.
    pub slots: Vec<(Slot, SlotVerdict)>,
}

/// How many slots got each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DisclosureTotals {
    /// Disclosed (including those disclosed after a redaction).
    pub disclosed: u64,
    /// Withheld.
    pub withheld: u64,
    /// Redacted.
    pub redacted: u64,
    /// Of the disclosed, those whose slot a redaction erased: warnings.
    pub disclosed_after_redaction: u64,
}

/// What the disclosures of a verified artefact show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DisclosureReport {
    /// Every v3 entry with committed slots, in seq order.
    pub entries: Vec<EntrySlots>,
}

impl DisclosureReport {
    /// The totals over every entry.
    pub fn totals(&self) -> DisclosureTotals {
        let mut t = DisclosureTotals::default();
        for (_, v) in self.entries.iter().flat_map(|e| &e.slots) {
            match v {
                SlotVerdict::Disclosed => t.disclosed += 1,
                SlotVerdict::Withheld => t.withheld += 1,
                SlotVerdict::Redacted { .. } => t.redacted += 1,
                SlotVerdict::DisclosedAfterRedaction { .. } => {
                    t.disclosed += 1;
                    t.disclosed_after_redaction += 1;
                }
            }
        }
        t
    }

    /// The first withheld slot, as rule `withheld` (with the entry's `at`),
    /// if the policy forbids one.
    pub fn enforce(&self, policy: DisclosurePolicy) -> Result<(), (Violation, u64)> {
        if !policy.all_disclosed {
            return Ok(());
        }
        for e in &self.entries {
            if let Some((slot, _)) = e.slots.iter().find(|(_, v)| *v == SlotVerdict::Withheld) {
                return Err((
                    Violation::new(e.seq, Rule::Withheld, Cause::Withheld { slot: *slot }),
                    e.at,
                ));
            }
        }
        Ok(())
    }
}

/// The disclosures checked so far, awaiting the redactions of the rest of
/// the walk.
#[derive(Debug, Default)]
pub struct DisclosureTally {
    entries: Vec<Offered>,
}

/// One v3 entry's committed slots, each with whether a disclosure opened
/// it: its hash (redactions name it), seq and `at`.
type Offered = (EntryHash, u64, u64, Vec<(Slot, bool)>);

/// Why the disclosures beside an entry are refused (rule `disclosure`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisclosureProblem {
    /// A disclosure's JSON is not one (a member unknown or missing, an
    /// unknown field name, a date not written `YYYY[-MM[-DD]]`, …).
    #[error("disclosure {index}: {error}")]
    Json {
        /// Its position in the list.
        index: usize,
        /// What is wrong.
        error: custody_format::commit::DisclosureFormatError,
    },
    /// It does not open the entry (design §3.4).
    #[error("{0}")]
    Check(#[from] custody_format::commit::DisclosureError),
    /// A v3 entry's line or item lacks its `disclosures` member.
    #[error("a version 3 entry needs a `disclosures` member beside it (possibly empty)")]
    MissingMember,
    /// A v1/v2 entry's line or item has a `disclosures` member.
    #[error("a version {0} entry has no commitments: its line or item must not have a `disclosures` member")]
    UnexpectedMember(u16),
}

impl DisclosureTally {
    /// Nothing checked yet.
    pub fn new() -> DisclosureTally {
        DisclosureTally::default()
    }

    /// Checks the disclosures offered beside `entry` on an export line
    /// (`None`: the member is absent), found at `at`. A v3 entry's line
    /// must have the member and a v1/v2 entry's must not (design §7: a
    /// v1/v2 line is exactly the four members of before).
    pub fn offer(
        &mut self,
        entry: &SignedEntry,
        offered: Option<&[StrictValue]>,
        at: u64,
    ) -> Result<(), Violation> {
        let version = entry.body().version;
        let bad = |p| Violation::new(entry.seq(), Rule::Disclosure, Cause::Disclosure(p));
        match (offered, version >= VERSION_3) {
            (None, true) => Err(bad(DisclosureProblem::MissingMember)),
            (Some(_), false) => Err(bad(DisclosureProblem::UnexpectedMember(version))),
            (None, false) => Ok(()),
            (Some(list), true) => self.offer_item(entry, list, at),
        }
    }

    /// Checks the disclosures of a bundle item (a member every item of a
    /// `custody-bundle/3` has: `[]` for a v1/v2 entry, any disclosure of
    /// which is invalid).
    pub fn offer_item(
        &mut self,
        entry: &SignedEntry,
        offered: &[StrictValue],
        at: u64,
    ) -> Result<(), Violation> {
        let seq = entry.seq();
        let version = entry.body().version;
        let bad = |p| Violation::new(seq, Rule::Disclosure, Cause::Disclosure(p));
        let disclosures = offered
            .iter()
            .enumerate()
            .map(|(index, v)| {
                Disclosure::from_json(&v.0)
                    .map_err(|error| bad(DisclosureProblem::Json { index, error }))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let states = check_disclosures(version, entry.event(), &disclosures, |_| None)
            .map_err(|e| bad(e.into()))?;
        if !states.is_empty() {
            self.entries.push((
                entry.hash(),
                seq,
                at,
                states
                    .into_iter()
                    .map(|(slot, s)| (slot, matches!(s, SlotState::Disclosed(_))))
                    .collect(),
            ));
        }
        Ok(())
    }

    /// The verdicts, with `redacted_at` giving the seq of a redaction the
    /// verifier has seen that erased a slot of an entry.
    pub fn finish(self, redacted_at: impl Fn(&EntryHash, Slot) -> Option<u64>) -> DisclosureReport {
        DisclosureReport {
            entries: self
                .entries
                .into_iter()
                .map(|(hash, seq, at, slots)| EntrySlots {
                    seq,
                    at,
                    slots: slots
                        .into_iter()
                        .map(|(slot, disclosed)| {
                            let verdict = match (disclosed, redacted_at(&hash, slot)) {
                                (true, None) => SlotVerdict::Disclosed,
                                (true, Some(at)) => SlotVerdict::DisclosedAfterRedaction { at },
                                (false, Some(at)) => SlotVerdict::Redacted { at },
                                (false, None) => SlotVerdict::Withheld,
                            };
                            (slot, verdict)
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
