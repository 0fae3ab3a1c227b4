//! The flags a status can carry: each one a legal question the ledger
//! answers for a person (docs/PROJECTIONS.md).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A flag of a person's status. Serialised by its [`Flag::name`], which is
/// stable: `status --json` and scripts use it. A stored status keeps its
/// position in [`Flag::ALL`] instead (`PersonStatus::to_stored`), pinned by
/// a test: reordering the variants changes the stored form.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Held more than 7 days after capture without an ICRC notification
    /// (GC III Art. 70, 122).
    NotificationOverdue,
    /// Held, with no contact for more than 30 days (GC III Art. 71).
    Incommunicado,
    /// A death contradicted by later evidence, or a fact the status rests
    /// on contested by a `dispute`.
    Disputed,
    /// Held (evidence of custody), unacknowledged, and a refusal to
    /// acknowledge (`denial`) recorded during the episode: ICPED Art. 2.
    EnforcedDisappearance,
    /// Acknowledged, but no notification, visit or official act gave the
    /// place of detention (GC III Arts. 70, 122; ICPED Art. 2).
    WhereaboutsUndisclosed,
}

impl Flag {
    /// Every flag, in the order statuses list them.
    pub const ALL: [Flag; 5] = [
        Flag::NotificationOverdue,
        Flag::Incommunicado,
        Flag::Disputed,
        Flag::EnforcedDisappearance,
        Flag::WhereaboutsUndisclosed,
    ];

    /// True for the flags recomputed from the time of reading (the legal
    /// clock); the others are facts of the evidence.
    pub fn depends_on_the_clock(self) -> bool {
        matches!(self, Flag::NotificationOverdue | Flag::Incommunicado)
    }

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Flag::NotificationOverdue => "notification_overdue",
            Flag::Incommunicado => "incommunicado",
            Flag::Disputed => "disputed",
            Flag::EnforcedDisappearance => "enforced_disappearance",
            Flag::WhereaboutsUndisclosed => "whereabouts_undisclosed",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Flag {
    type Err = String;
    fn from_str(s: &str) -> Result<Flag, String> {
        Flag::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown flag {s:?}; expected one of {}",
                    Flag::ALL.map(Flag::name).join(", ")
                )
            })
    }
}
