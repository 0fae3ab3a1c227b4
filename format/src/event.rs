//! The event vocabulary: what an entry can say.
//!
//! Five kinds of evidence exist for the people this ledger is about —
//! [`Capture`], [`IcrcNotification`], [`Sighting`], [`Release`], [`Death`] —
//! plus what they need around them: a [`MissingReport`] opens a case, a
//! [`Correspondence`] records contact with the family, and a [`Correction`]
//! retracts or replaces an earlier entry (nothing is ever edited or deleted).
//! [`Genesis`], [`KeyGranted`] and [`KeyRevoked`] are the ledger's own
//! governance.
//!
//! These types *are* the byte format: the order of the variants of [`Event`]
//! and of the fields in each struct is what `docs/FORMAT.md` specifies and
//! what the golden vectors (`format/tests/golden.rs`, `format/testdata/vectors/`) pin. Append new variants and new enum
//! values only at the end, and never reorder or remove a field: that would
//! change the meaning of entries already signed.

use crate::commit::{
    Commitment, PersonalMut, PersonalRef, Slot, CODE_AUTHORITY, CODE_BY, CODE_CHARGE,
    CODE_CIRCUMSTANCES, CODE_DATE_OF_BIRTH, CODE_DESCRIPTION, CODE_FROM, CODE_LAST_SEEN_PLACE,
    CODE_NAME, CODE_NOTES, CODE_PLACE, CODE_REASON, CODE_REFERENCE, CODE_SENTENCE,
    CODE_SERVICE_NUMBER, CODE_TO, CODE_UNIT, CODE_VIA, CODE_WITNESSES, PART_EVENT,
    PART_REPLACEMENT,
};
use crate::entry::VERSION_3;
use crate::statement::SignedStatement;
use crate::text::clip;
use crate::time::OccurredAt;
use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Limits on free-text fields, in bytes of UTF-8. They keep entries small
/// (the store, the proofs and a court bundle all carry them) and stop a
/// runaway input from filling the ledger.
pub mod limits {
    /// A person id.
    pub const PERSON_ID: usize = 64;
    /// A short label: place, name, unit, reference, holder, media type.
    pub const SHORT_TEXT: usize = 256;
    /// A longer text: circumstances, reasons, notes, descriptions.
    pub const LONG_TEXT: usize = 4096;
    /// Attachments on one event.
    pub const ATTACHMENTS: usize = 64;
}

/// A SHA-256 digest, shown as 64 lowercase hex digits.
///
/// Used for attachments (the ledger stores the hash of a photo or video,
/// never the file) and, wrapped in [`EntryHash`], for entries.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Sha256Digest(pub [u8; 32]);

/// The hash of a stored entry: SHA-256 of its exact stored bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct EntryHash(pub [u8; 32]);

/// An ed25519 public key, as its 32 bytes (RFC 8032 encoding).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct PublicKeyBytes(pub [u8; 32]);

macro_rules! hex32 {
    ($t:ident, $what:literal) => {
        impl $t {
            /// Parses 64 hex digits (either case).
            pub fn from_hex(s: &str) -> Result<$t, String> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s.trim(), &mut out).map_err(|e| {
                    format!(
                        "{} must be 64 hex digits, got {:?} ({e})",
                        $what,
                        crate::text::clip(s, 80)
                    )
                })?;
                Ok($t(out))
            }
            /// The 64 lowercase hex digits.
            pub fn to_hex(&self) -> String {
                crate::text::with_hex(&self.0, str::to_owned)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                crate::text::with_hex(&self.0, |h| f.write_str(h))
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($t))
            }
        }
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                crate::text::with_hex(&self.0, |h| s.serialize_str(h))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $t::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}
hex32!(Sha256Digest, "a SHA-256 hash");
hex32!(EntryHash, "an entry hash");
hex32!(PublicKeyBytes, "a public key");

/// A person's identifier in this ledger: 1 to 64 characters from
/// `A-Z a-z 0-9 . _ : -`.
///
/// Ids are often pseudonymous (interviewees protect relatives still held), so
/// the ledger never requires a name; the restricted alphabet keeps ids safe
/// to print, to use in file names and to sort.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode, Serialize)]
#[serde(transparent)]
pub struct PersonId(String);

impl PersonId {
    /// Checks and wraps an id.
    pub fn new(s: &str) -> Result<PersonId, String> {
        if s.is_empty() || s.len() > limits::PERSON_ID {
            return Err(format!(
                "a person id must be 1 to {} characters, got {}",
                limits::PERSON_ID,
                s.len()
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
        {
            return Err(format!(
                "a person id may use only A-Z a-z 0-9 . _ : - (found {c:?} in {:?})",
                clip(s, 80)
            ));
        }
        Ok(PersonId(s.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonId({:?})", self.0)
    }
}

impl<'de> Deserialize<'de> for PersonId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PersonId::new(&s).map_err(serde::de::Error::custom)
    }
}

/// Defines a closed set of names with a fixed byte value each; the JSON form
/// is the snake_case name.
macro_rules! vocabulary {
    ($(#[$m:meta])* $t:ident { $($(#[$vm:meta])* $v:ident = $name:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $t { $($(#[$vm])* $v),+ }
        impl $t {
            /// Every value, in byte order.
            pub const ALL: &'static [$t] = &[$($t::$v),+];
            /// The name used in JSON and on the command line.
            pub fn name(self) -> &'static str {
                match self { $($t::$v => $name),+ }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name()) }
        }
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<$t, String> {
                $t::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| {
                    let names: Vec<&str> = $t::ALL.iter().map(|v| v.name()).collect();
                    format!("unknown {} {:?}; expected one of {}", stringify!($t), clip(s, 40), names.join(", "))
                })
            }
        }
    };
}

vocabulary! {
    /// What a key may sign. Roles are separate on purpose: the key that
    /// governs the ledger should stay offline, away from field work.
    Role {
        /// May append evidence.
        Investigator = "investigator",
        /// May grant and revoke keys.
        Authority = "authority",
        /// Format v3: may register statements (evidence an investigator
        /// signed elsewhere) and sign seals and checkpoints, nothing else:
        /// the role of a server's online key.
        Registrar = "registrar",
    }
}

impl Role {
    /// The roles whose keys may sign seals and checkpoints: the authority,
    /// and (format v3) a registrar, a server's online key (design §6,
    /// rule 8). Every check of who signed a checkpoint — the chain rules,
    /// a bundle's, a mirror's, `verify --checkpoint`'s — takes it from here.
    pub const CHECKPOINT_SIGNERS: &'static [Role] = &[Role::Authority, Role::Registrar];
}

vocabulary! {
    /// Prisoner of war (member of armed forces) or civilian: different
    /// conventions (GC III, GC IV) protect them.
    Category {
        /// A member of the armed forces.
        Military = "military",
        /// A civilian.
        Civilian = "civilian",
    }
}

vocabulary! {
    /// Where unofficial proof of life came from.
    SightingSource {
        /// A prisoner who came back and saw the person.
        ReturnedPow = "returned_pow",
        /// A video.
        Video = "video",
        /// A television appearance.
        Tv = "tv",
        /// A Telegram channel post.
        Telegram = "telegram",
        /// A parcel accepted at a detention centre in the person's name.
        ParcelAccepted = "parcel_accepted",
        /// A phone call.
        PhoneCall = "phone_call",
        /// Anything else (say what in `notes`).
        Other = "other",
        /// A civilian who came back and saw the person (format v2 only).
        ReturnedCivilian = "returned_civilian",
    }
}

vocabulary! {
    /// Where evidence of an act of detention came from: the detaining
    /// state's own act, or one of the unofficial sources of a sighting.
    Source {
        /// The detaining state's own act (a court, a ministry, a notice):
        /// it acknowledges the detention.
        Official = "official",
        /// A prisoner who came back.
        ReturnedPow = "returned_pow",
        /// A civilian who came back.
        ReturnedCivilian = "returned_civilian",
        /// A video.
        Video = "video",
        /// A television appearance.
        Tv = "tv",
        /// A Telegram channel post.
        Telegram = "telegram",
        /// A parcel accepted at a detention centre in the person's name.
        ParcelAccepted = "parcel_accepted",
        /// A phone call.
        PhoneCall = "phone_call",
        /// Anything else (say what in `notes`).
        Other = "other",
    }
}

vocabulary! {
    /// Who visited a detained person.
    Visitor {
        /// The ICRC (GC III Art. 126).
        Icrc = "icrc",
        /// A lawyer.
        Lawyer = "lawyer",
        /// Family.
        Family = "family",
        /// Consular officials.
        Consular = "consular",
        /// A UN monitoring mission.
        UnMonitor = "un_monitor",
        /// Anyone else (say who in `notes`).
        Other = "other",
    }
}

vocabulary! {
    /// The stage a legal proceeding against a detained person reached.
    ProceedingStage {
        /// Interned as a security detainee.
        InternedSecurity = "interned_security",
        /// Administrative detention.
        AdministrativeDetention = "administrative_detention",
        /// Charged.
        Charged = "charged",
        /// Remanded in custody by a court.
        Remanded = "remanded",
        /// Convicted.
        Convicted = "convicted",
        /// Sentenced.
        Sentenced = "sentenced",
        /// An appeal was rejected.
        AppealRejected = "appeal_rejected",
    }
}

vocabulary! {
    /// What ill-treatment was reported.
    IllTreatmentKind {
        /// Torture.
        Torture = "torture",
        /// Beating.
        Beating = "beating",
        /// Sexual violence.
        SexualViolence = "sexual_violence",
        /// Medical care denied.
        DenialOfMedicalCare = "denial_of_medical_care",
        /// Starvation.
        Starvation = "starvation",
        /// Anything else (say what in `notes`).
        Other = "other",
    }
}

vocabulary! {
    /// Who reported ill-treatment.
    IllTreatmentSource {
        /// The person themself (after release).
        #[serde(rename = "self")]
        SelfReport = "self",
        /// A prisoner who came back.
        ReturnedPow = "returned_pow",
        /// Another witness.
        Witness = "witness",
        /// A forensic examination.
        Forensic = "forensic",
        /// A medical examination.
        Medical = "medical",
        /// Anyone else (say who in `notes`).
        Other = "other",
    }
}

vocabulary! {
    /// How a person came out of captivity.
    ReleaseKind {
        /// A prisoner exchange.
        Exchange = "exchange",
        /// Repatriation (e.g. of the seriously wounded or sick).
        Repatriation = "repatriation",
        /// Any other release.
        Release = "release",
    }
}

vocabulary! {
    /// Cause of a recorded death.
    DeathCause {
        /// Killed while in the enemy's hands, deliberately.
        Execution = "execution",
        /// Died in custody (including denial of medical care).
        DeathInCustody = "death_in_custody",
        /// Killed in action.
        KilledInAction = "killed_in_action",
        /// Not known.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// What kind of contact reached the family.
    CorrespondenceKind {
        /// A letter or capture card.
        Letter = "letter",
        /// A phone or video call.
        Call = "call",
        /// A text or voice message.
        Message = "message",
        /// Anything else (say what in `notes`).
        Other = "other",
    }
}

/// A file that supports an event, referenced by hash: the ledger never stores
/// the file itself (it may show people at risk), only what proves which file
/// it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// SHA-256 of the file's bytes.
    pub sha256: Sha256Digest,
    /// Its media type, e.g. `video/mp4`.
    pub media_type: String,
    /// What it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Personal<String>>,
}

/// The first entry of every ledger: names the ledger and its authority.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The ledger's name; also the origin line of its checkpoints.
    pub ledger_name: String,
    /// The key that governs the ledger (role `authority`); it signs this entry.
    pub authority_key: PublicKeyBytes,
    /// Who holds that key.
    pub authority_holder: String,
}

/// The authority grants a key a role.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGranted {
    /// The key granted.
    pub public_key: PublicKeyBytes,
    /// What it may sign from the next entry on.
    pub role: Role,
    /// Who holds it (a person or an organisation).
    pub holder: String,
}

/// The authority revokes a key: it may sign nothing from the next entry on.
/// A revoked key is never granted again (generate a new one).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRevoked {
    /// The key revoked.
    pub public_key: PublicKeyBytes,
    /// Why (lost device, compromise, end of mission…).
    pub reason: String,
}

/// A person reported missing. Identity fields are all optional so that a case
/// can be pseudonymous.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingReport {
    /// Who.
    pub person: PersonId,
    /// When last seen.
    pub occurred_at: OccurredAt,
    /// Military or civilian.
    pub category: Category,
    /// Where last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_place: Option<Personal<String>>,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Personal<String>>,
    /// Date of birth (a calendar date or period, never an instant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Personal<OccurredAt>>,
    /// Service number (GC III Art. 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_number: Option<Personal<String>>,
    /// Military unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Personal<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// The person was captured (taken into the detaining power's hands).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Personal<String>>,
    /// How (surrender, wounded, taken at a checkpoint…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstances: Option<Personal<String>>,
    /// Military or civilian, when no missing report says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// The detaining power notified the ICRC's Central Tracing Agency that it
/// holds the person (GC III Arts. 70, 122–123).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcrcNotification {
    /// Who.
    pub person: PersonId,
    /// When the notification was made (or confirmed to the family).
    pub occurred_at: OccurredAt,
    /// The ICRC or national bureau reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Personal<String>>,
    /// Whether a place of detention was disclosed (absent: not stated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_disclosed: Option<bool>,
    /// Whether a health condition was disclosed (absent: not stated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_disclosed: Option<bool>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Unofficial evidence that the person is alive in captivity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sighting {
    /// Who.
    pub person: PersonId,
    /// When the person was seen (not when the evidence arrived).
    pub occurred_at: OccurredAt,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Personal<String>>,
    /// Where the evidence came from.
    pub source: SightingSource,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// The person was exchanged, repatriated or released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Personal<String>>,
    /// Exchange, repatriation or release.
    pub kind: ReleaseKind,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// The person died.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Death {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Personal<String>>,
    /// Cause.
    pub cause: DeathCause,
    /// Whether the remains were returned (absent: not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remains_returned: Option<bool>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// A letter, call or message from the person reached the family
/// (GC III Art. 71).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correspondence {
    /// Who.
    pub person: PersonId,
    /// When it was sent or made.
    pub occurred_at: OccurredAt,
    /// Letter, call, message or other.
    pub kind: CorrespondenceKind,
    /// Through whom (e.g. `icrc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Personal<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: a refusal to acknowledge the detention ("not on our lists", a
/// refused parcel, an unanswered request): with evidence of custody, the
/// pattern ICPED Art. 2 names enforced disappearance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Denial {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// Who refused (e.g. a ministry, a colony's administration).
    pub by: Personal<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: a family's request for news (to the ICRC, the police, an
/// ombudsman); its answer goes in `notes`, or in a later entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inquiry {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// To whom.
    pub to: Personal<String>,
    /// Who asked.
    pub by: Personal<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: a move between places of detention (GC III Art. 122 asks for
/// notice of transfers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// From where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Personal<String>>,
    /// To where.
    pub to: Personal<String>,
    /// Where the evidence came from.
    pub source: Source,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: a visit to the detained person: contact (GC III Art. 126).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// Who visited.
    pub visitor: Visitor,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Personal<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: a stage of a legal proceeding against the detained person.
/// With `source: official` it is the detaining state's own act, and so
/// acknowledges the detention (without notifying anyone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalProceeding {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// The stage reached.
    pub stage: ProceedingStage,
    /// Where the evidence came from.
    pub source: Source,
    /// The court or authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<Personal<String>>,
    /// The charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<Personal<String>>,
    /// The sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence: Option<Personal<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: ill-treatment of the person, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IllTreatment {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// What.
    pub kind: IllTreatmentKind,
    /// Who reported it.
    pub source: IllTreatmentSource,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Personal<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: the person's remains were handed over, on this date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemainsReturned {
    /// Who.
    pub person: PersonId,
    /// When.
    pub occurred_at: OccurredAt,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Personal<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Format v2: contests an earlier evidence entry about the same person (a
/// family disputes an identification) without retracting it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispute {
    /// Who.
    pub person: PersonId,
    /// When the dispute was raised.
    pub occurred_at: OccurredAt,
    /// The entry contested, by its hash.
    pub target: EntryHash,
    /// Who contests it.
    pub by: Personal<String>,
    /// Why.
    pub reason: Personal<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Personal<String>>,
    /// Supporting files, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Format v3: who saw, told or carried the information (any name,
    /// contact or detail that identifies a source); always committed, and
    /// absent from v1/v2 bodies (accepted as input since the store writes v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Personal<String>>,
}

/// Retracts an earlier evidence entry, or replaces it with `replacement`.
/// The target stays in the chain; projections stop using it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Correction {
    /// The entry corrected.
    pub target: EntryHash,
    /// Why.
    pub reason: Personal<String>,
    /// The evidence that takes its place; absent for a plain retraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Box<Event>>,
}

/// An Ed25519 signature carried inside an event (64 bytes, shown as hex).
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct SignatureBytes(pub [u8; 64]);

impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignatureBytes({})", hex::encode(self.0))
    }
}

impl Serialize for SignatureBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::text::with_hex(&self.0, |h| s.serialize_str(h))
    }
}

/// The ledger's operator issued a signed checkpoint (C2SP tlog-checkpoint):
/// "the first `tree_size` entries have this Merkle root". Keeping every
/// checkpoint in the chain makes the checkpoints themselves signed history,
/// so a later rollback or fork can be shown against them.
///
/// The checkpoint covers exactly the entries before it (`tree_size` equals
/// this entry's seq), and `note_signature` is the signer's Ed25519
/// signature of the checkpoint's signed-note text, so the note handed to a
/// prosecutor can be rebuilt, byte for byte, from the chain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Checkpoint {
    /// Number of entries covered (entries `0..tree_size`).
    pub tree_size: u64,
    /// RFC 6962 Merkle tree hash of those entries.
    pub root_hash: Sha256Digest,
    /// Signature of the note text `<origin>\n<tree_size>\n<base64 root>\n`.
    pub note_signature: SignatureBytes,
}

/// Format v2: the authority's statement, just before each checkpoint, of
/// what the entries before it commit to (docs/FORMAT.md §12): the root of
/// the person map and the governance stream's length and latest entry.
/// A checkpoint's note covers the seal (it is the last leaf of the tree the
/// note signs), so one signed note vouches for every person's stream.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Seal {
    /// The root of the person map over the entries before the seal.
    pub map_root: Sha256Digest,
    /// How many governance entries come before the seal (at least the
    /// genesis).
    pub gov_count: u64,
    /// The last of them.
    pub gov_head: crate::stream::Link,
}

/// Format v2: the authority's signed statement that the entries from seq
/// `since` up to this one were recorded by a clock that was wrong (a
/// machine whose clock jumped years ahead), so their `recorded_at` is not
/// to be trusted. This entry alone may be recorded earlier than the entry
/// before it, and later entries follow its time: one wrong clock cannot
/// freeze the ledger (docs/FORMAT.md §12.5). A verifier reports it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct ClockCorrection {
    /// The first entry whose `recorded_at` came from the wrong clock.
    pub since: u64,
    /// What was wrong, for the record.
    pub reason: String,
}

/// A personal field: cleartext in a version 1 or 2 body, a salted
/// commitment in a version 3 body (design §2.2). Which one the bytes hold
/// is decided by the body's version, never by a tag: a v3 body has no
/// encoding for cleartext, a v1/v2 body none for a commitment, and encoding
/// either in the other refuses.
///
/// Built from its value (`"Mariupol".into()`), so code that makes v2
/// events reads as before; [`crate::commit::commit_event`] turns the clear
/// form into the committed one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Personal<T> {
    /// The value itself.
    Clear(T),
    /// A commitment to it; the value travels in a disclosure.
    Committed(Commitment),
}

impl<T> Personal<T> {
    /// The value, if this is cleartext.
    pub fn clear(&self) -> Option<&T> {
        match self {
            Personal::Clear(v) => Some(v),
            Personal::Committed(_) => None,
        }
    }

    /// The commitment, if this is one.
    pub fn commitment(&self) -> Option<&Commitment> {
        match self {
            Personal::Clear(_) => None,
            Personal::Committed(c) => Some(c),
        }
    }
}

impl Personal<String> {
    /// The text, if this is cleartext.
    pub fn text(&self) -> Option<&str> {
        self.clear().map(String::as_str)
    }
}

impl<T> From<T> for Personal<T> {
    fn from(v: T) -> Personal<T> {
        Personal::Clear(v)
    }
}

impl From<&str> for Personal<String> {
    fn from(v: &str) -> Personal<String> {
        Personal::Clear(v.to_string())
    }
}

/// The cleartext of an optional personal field, if it is present and in
/// clear.
pub trait ClearField<T> {
    /// The value, if present and cleartext.
    fn clear(&self) -> Option<&T>;
}

impl<T> ClearField<T> for Option<Personal<T>> {
    fn clear(&self) -> Option<&T> {
        self.as_ref().and_then(Personal::clear)
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Personal::Clear(v) => v.serialize(s),
            Personal::Committed(c) => c.serialize(s),
        }
    }
}

/// Input (the JSON vocabulary of `custody append`) is always cleartext: a
/// commitment is made by committing, never typed in.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Personal<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Personal::Clear)
    }
}

/// The byte encoding of a value whose bytes depend on the version of the
/// body that holds it (docs/FORMAT.md §1 for every value; the version
/// decides whether a personal field is cleartext or a commitment, and
/// whether `witnesses` exists). Bodies encode their event through this
/// trait with their own version; values that never differ delegate to
/// their bincode encoding.
pub(crate) trait VersionedCodec: Sized {
    fn encode_in<E: Encoder>(&self, e: &mut E, version: u16) -> Result<(), EncodeError>;
    fn decode_in<D: Decoder>(d: &mut D, version: u16) -> Result<Self, DecodeError>;
}

macro_rules! same_in_every_version {
    ($($t:ty),* $(,)?) => {$(
        impl VersionedCodec for $t {
            fn encode_in<E: Encoder>(&self, e: &mut E, _: u16) -> Result<(), EncodeError> {
                Encode::encode(self, e)
            }
            fn decode_in<D: Decoder>(d: &mut D, _: u16) -> Result<Self, DecodeError> {
                <$t as Decode<D::Context>>::decode(d)
            }
        }
    )*};
}

same_in_every_version!(
    bool,
    String,
    PersonId,
    OccurredAt,
    EntryHash,
    Sha256Digest,
    Category,
    SightingSource,
    ReleaseKind,
    DeathCause,
    CorrespondenceKind,
    Source,
    Visitor,
    ProceedingStage,
    IllTreatmentKind,
    IllTreatmentSource,
    Genesis,
    KeyGranted,
    KeyRevoked,
    Checkpoint,
    Seal,
    ClockCorrection,
    Redaction,
    Predecessor,
);

impl<T: VersionedCodec> VersionedCodec for Option<T> {
    fn encode_in<E: Encoder>(&self, e: &mut E, version: u16) -> Result<(), EncodeError> {
        match self {
            None => 0u8.encode(e),
            Some(v) => {
                1u8.encode(e)?;
                v.encode_in(e, version)
            }
        }
    }
    fn decode_in<D: Decoder>(d: &mut D, version: u16) -> Result<Self, DecodeError> {
        match u8::decode(d)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode_in(d, version)?)),
            found => Err(DecodeError::UnexpectedVariant {
                type_name: "Option<T>",
                allowed: &bincode::error::AllowedEnumVariants::Range { min: 0, max: 1 },
                found: u32::from(found),
            }),
        }
    }
}

impl<T: VersionedCodec> VersionedCodec for Vec<T> {
    fn encode_in<E: Encoder>(&self, e: &mut E, version: u16) -> Result<(), EncodeError> {
        (self.len() as u64).encode(e)?;
        self.iter().try_for_each(|v| v.encode_in(e, version))
    }
    fn decode_in<D: Decoder>(d: &mut D, version: u16) -> Result<Self, DecodeError> {
        let n = u64::decode(d)?;
        let n = usize::try_from(n).map_err(|_| DecodeError::OutsideUsizeRange(n))?;
        // Counted against the decoder's limit before anything is allocated.
        d.claim_container_read::<T>(n)?;
        let mut out = Vec::new();
        for _ in 0..n {
            d.unclaim_bytes_read(size_of::<T>());
            out.push(T::decode_in(d, version)?);
        }
        Ok(out)
    }
}

impl<T: VersionedCodec> VersionedCodec for Personal<T> {
    fn encode_in<E: Encoder>(&self, e: &mut E, version: u16) -> Result<(), EncodeError> {
        match (self, version >= VERSION_3) {
            (Personal::Clear(v), false) => v.encode_in(e, version),
            (Personal::Committed(c), true) => c.encode(e),
            (Personal::Clear(_), true) => Err(EncodeError::Other(
                "a version 3 body carries a commitment for every personal field, never cleartext",
            )),
            (Personal::Committed(_), false) => Err(EncodeError::Other(
                "a commitment exists only in a version 3 body",
            )),
        }
    }
    fn decode_in<D: Decoder>(d: &mut D, version: u16) -> Result<Self, DecodeError> {
        if version >= VERSION_3 {
            Ok(Personal::Committed(Commitment::decode(d)?))
        } else {
            Ok(Personal::Clear(T::decode_in(d, version)?))
        }
    }
}

/// The codec of a struct whose fields are each [`VersionedCodec`], in
/// declaration order; `v3: witnesses` names the field that exists only in
/// version 3 bodies (last, after `attachments`).
macro_rules! versioned_struct {
    ($t:ident { $($f:ident),* $(; v3: $w:ident)? }) => {
        impl VersionedCodec for $t {
            fn encode_in<E: Encoder>(&self, e: &mut E, version: u16) -> Result<(), EncodeError> {
                $( self.$f.encode_in(e, version)?; )*
                $(
                    if version >= VERSION_3 {
                        self.$w.encode_in(e, version)?;
                    } else if self.$w.is_some() {
                        return Err(EncodeError::Other(
                            "`witnesses` exists only in version 3 bodies",
                        ));
                    }
                )?
                Ok(())
            }
            fn decode_in<D: Decoder>(d: &mut D, version: u16) -> Result<Self, DecodeError> {
                Ok($t {
                    $( $f: VersionedCodec::decode_in(d, version)?, )*
                    $( $w: if version >= VERSION_3 {
                        VersionedCodec::decode_in(d, version)?
                    } else {
                        None
                    }, )?
                })
            }
        }
    };
}

versioned_struct!(Attachment {
    sha256,
    media_type,
    description
});
versioned_struct!(MissingReport {
    person, occurred_at, category, last_seen_place, name, date_of_birth, service_number, unit,
    notes, attachments; v3: witnesses
});
versioned_struct!(Capture {
    person, occurred_at, place, circumstances, category, notes, attachments; v3: witnesses
});
versioned_struct!(IcrcNotification {
    person, occurred_at, reference, location_disclosed, health_disclosed, notes, attachments;
    v3: witnesses
});
versioned_struct!(Sighting { person, occurred_at, place, source, notes, attachments; v3: witnesses });
versioned_struct!(Release { person, occurred_at, place, kind, notes, attachments; v3: witnesses });
versioned_struct!(Death {
    person, occurred_at, place, cause, remains_returned, notes, attachments; v3: witnesses
});
versioned_struct!(Correspondence {
    person, occurred_at, kind, via, notes, attachments; v3: witnesses
});
versioned_struct!(Denial { person, occurred_at, by, notes, attachments; v3: witnesses });
versioned_struct!(Inquiry { person, occurred_at, to, by, notes, attachments; v3: witnesses });
versioned_struct!(Transfer {
    person, occurred_at, from, to, source, notes, attachments; v3: witnesses
});
versioned_struct!(Visit { person, occurred_at, visitor, place, notes, attachments; v3: witnesses });
versioned_struct!(LegalProceeding {
    person, occurred_at, stage, source, authority, charge, sentence, notes, attachments;
    v3: witnesses
});
versioned_struct!(IllTreatment {
    person, occurred_at, kind, source, place, notes, attachments; v3: witnesses
});
versioned_struct!(RemainsReturned { person, occurred_at, place, notes, attachments; v3: witnesses });
versioned_struct!(Dispute {
    person, occurred_at, target, by, reason, notes, attachments; v3: witnesses
});

/// How deep events may nest: a statement (depth 0) carrying a correction
/// (1) with a replacement (2). Deeper nesting is never valid, and refusing
/// it while decoding bounds the decoder's recursion.
const MAX_EVENT_DEPTH: u32 = 2;

impl Event {
    /// The variant index: the `u32` that starts the event's bytes.
    pub fn index(&self) -> u32 {
        match self {
            Event::Genesis(_) => 0,
            Event::KeyGranted(_) => 1,
            Event::KeyRevoked(_) => 2,
            Event::MissingReport(_) => 3,
            Event::Capture(_) => 4,
            Event::IcrcNotification(_) => 5,
            Event::Sighting(_) => 6,
            Event::Release(_) => 7,
            Event::Death(_) => 8,
            Event::Correspondence(_) => 9,
            Event::Correction(_) => 10,
            Event::Checkpoint(_) => 11,
            Event::Seal(_) => 12,
            Event::ClockCorrection(_) => 13,
            Event::Denial(_) => 14,
            Event::Inquiry(_) => 15,
            Event::Transfer(_) => 16,
            Event::Visit(_) => 17,
            Event::LegalProceeding(_) => 18,
            Event::IllTreatment(_) => 19,
            Event::RemainsReturned(_) => 20,
            Event::Dispute(_) => 21,
            Event::Statement(_) => 22,
            Event::Redaction(_) => 23,
            Event::Predecessor(_) => 24,
        }
    }

    fn decode_at<D: Decoder>(d: &mut D, version: u16, depth: u32) -> Result<Event, DecodeError> {
        let index = u32::decode(d)?;
        if depth > MAX_EVENT_DEPTH {
            return Err(DecodeError::Other(
                "events nested too deeply (a statement's correction's replacement is the deepest)",
            ));
        }
        macro_rules! dec {
            ($v:ident) => {
                Event::$v(VersionedCodec::decode_in(d, version)?)
            };
        }
        Ok(match index {
            0 => dec!(Genesis),
            1 => dec!(KeyGranted),
            2 => dec!(KeyRevoked),
            3 => dec!(MissingReport),
            4 => dec!(Capture),
            5 => dec!(IcrcNotification),
            6 => dec!(Sighting),
            7 => dec!(Release),
            8 => dec!(Death),
            9 => dec!(Correspondence),
            10 => {
                let target = EntryHash::decode(d)?;
                let reason = Personal::<String>::decode_in(d, version)?;
                let replacement = match u8::decode(d)? {
                    0 => None,
                    1 => Some(Box::new(Event::decode_at(d, version, depth + 1)?)),
                    found => {
                        return Err(DecodeError::UnexpectedVariant {
                            type_name: "Option<T>",
                            allowed: &bincode::error::AllowedEnumVariants::Range { min: 0, max: 1 },
                            found: u32::from(found),
                        })
                    }
                };
                Event::Correction(Correction {
                    target,
                    reason,
                    replacement,
                })
            }
            11 => dec!(Checkpoint),
            12 => dec!(Seal),
            13 => dec!(ClockCorrection),
            14 => dec!(Denial),
            15 => dec!(Inquiry),
            16 => dec!(Transfer),
            17 => dec!(Visit),
            18 => dec!(LegalProceeding),
            19 => dec!(IllTreatment),
            20 => dec!(RemainsReturned),
            21 => dec!(Dispute),
            22 => Event::Statement(Statement {
                statement: SignedStatement::decode_nested(d, depth + 1)?,
            }),
            23 => dec!(Redaction),
            24 => dec!(Predecessor),
            found => {
                return Err(DecodeError::UnexpectedVariant {
                    type_name: "Event",
                    allowed: &bincode::error::AllowedEnumVariants::Range { min: 0, max: 24 },
                    found,
                })
            }
        })
    }

    /// Decodes an event nested in another (a statement's event), at
    /// `depth`.
    pub(crate) fn decode_nested<D: Decoder>(
        d: &mut D,
        version: u16,
        depth: u32,
    ) -> Result<Event, DecodeError> {
        Event::decode_at(d, version, depth)
    }
}

impl VersionedCodec for Event {
    fn encode_in<E: Encoder>(&self, e: &mut E, version: u16) -> Result<(), EncodeError> {
        self.index().encode(e)?;
        match self {
            Event::Genesis(x) => x.encode_in(e, version),
            Event::KeyGranted(x) => x.encode_in(e, version),
            Event::KeyRevoked(x) => x.encode_in(e, version),
            Event::MissingReport(x) => x.encode_in(e, version),
            Event::Capture(x) => x.encode_in(e, version),
            Event::IcrcNotification(x) => x.encode_in(e, version),
            Event::Sighting(x) => x.encode_in(e, version),
            Event::Release(x) => x.encode_in(e, version),
            Event::Death(x) => x.encode_in(e, version),
            Event::Correspondence(x) => x.encode_in(e, version),
            Event::Correction(x) => {
                x.target.encode(e)?;
                x.reason.encode_in(e, version)?;
                match &x.replacement {
                    None => 0u8.encode(e),
                    Some(r) => {
                        1u8.encode(e)?;
                        r.encode_in(e, version)
                    }
                }
            }
            Event::Checkpoint(x) => x.encode_in(e, version),
            Event::Seal(x) => x.encode_in(e, version),
            Event::ClockCorrection(x) => x.encode_in(e, version),
            Event::Denial(x) => x.encode_in(e, version),
            Event::Inquiry(x) => x.encode_in(e, version),
            Event::Transfer(x) => x.encode_in(e, version),
            Event::Visit(x) => x.encode_in(e, version),
            Event::LegalProceeding(x) => x.encode_in(e, version),
            Event::IllTreatment(x) => x.encode_in(e, version),
            Event::RemainsReturned(x) => x.encode_in(e, version),
            Event::Dispute(x) => x.encode_in(e, version),
            // A statement's event is always in its version 3 form: the
            // statement's own version says so, whatever body carries it.
            Event::Statement(x) => x.statement.encode(e),
            Event::Redaction(x) => x.encode_in(e, version),
            Event::Predecessor(x) => x.encode_in(e, version),
        }
    }
    fn decode_in<D: Decoder>(d: &mut D, version: u16) -> Result<Self, DecodeError> {
        Event::decode_at(d, version, 0)
    }
}

/// Format v3, event 22: a [`SignedStatement`] registered by this entry's
/// signer (design §4.3). Its streams, links and meaning are its inner
/// event's; its author is the statement's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The statement, with its author's signature.
    pub statement: SignedStatement,
}

impl Serialize for Statement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("statement", &self.statement.view_with_id())?;
        m.end()
    }
}

/// Format v3: one entry's slots erased by a redaction.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct RedactedItem {
    /// The entry, by its hash.
    pub target: EntryHash,
    /// Its slots, ascending, each once (1 to 128).
    pub slots: Vec<Slot>,
}

/// Format v3, event 23: the authority records that these committed fields
/// of these entries were erased, and why (design §5). It names slots,
/// never values; it changes no projection, link or commitment.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Redaction {
    /// Whose stream the redaction is in.
    pub person: PersonId,
    /// The entries and slots erased, ascending by target, each target once
    /// (1 to 1,024).
    pub items: Vec<RedactedItem>,
    /// Why, in clear (never the erased values).
    pub reason: String,
}

/// Format v3, event 24: seq 1 of a re-issued ledger names the last
/// checkpoint of the ledger it replaces (design §9).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Predecessor {
    /// The old ledger's name (its checkpoint origin).
    pub origin: String,
    /// The size of its last checkpoint.
    pub tree_size: u64,
    /// That checkpoint's root hash.
    pub root_hash: Sha256Digest,
}

/// The most items a redaction names.
pub const MAX_REDACTED_ITEMS: usize = 1024;
/// The most slots one redacted item names.
pub const MAX_REDACTED_SLOTS: usize = 128;

/// Lists an event's personal fields once, for a shared and a mutable
/// visitor: `$req`, `$opt`, `$date` wrap a required text, an optional text
/// and the date of birth; `$($m)*` is empty or `mut`.
macro_rules! personal_fields {
    ($event:expr, $part:expr, $visit:expr, $recurse:ident, $req:path, $opt:path, $date:path; $($m:tt)*) => {{
        let part: u8 = $part;
        let visit = $visit;
        let (notes, witnesses, attachments) = match $event {
            Event::MissingReport(e) => {
                visit(Slot::new(part, CODE_LAST_SEEN_PLACE), $opt(& $($m)* e.last_seen_place));
                visit(Slot::new(part, CODE_NAME), $opt(& $($m)* e.name));
                visit(Slot::new(part, CODE_DATE_OF_BIRTH), $date(& $($m)* e.date_of_birth));
                visit(Slot::new(part, CODE_SERVICE_NUMBER), $opt(& $($m)* e.service_number));
                visit(Slot::new(part, CODE_UNIT), $opt(& $($m)* e.unit));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Capture(e) => {
                visit(Slot::new(part, CODE_PLACE), $opt(& $($m)* e.place));
                visit(Slot::new(part, CODE_CIRCUMSTANCES), $opt(& $($m)* e.circumstances));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::IcrcNotification(e) => {
                visit(Slot::new(part, CODE_REFERENCE), $opt(& $($m)* e.reference));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Sighting(e) => {
                visit(Slot::new(part, CODE_PLACE), $opt(& $($m)* e.place));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Release(e) => {
                visit(Slot::new(part, CODE_PLACE), $opt(& $($m)* e.place));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Death(e) => {
                visit(Slot::new(part, CODE_PLACE), $opt(& $($m)* e.place));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Correspondence(e) => {
                visit(Slot::new(part, CODE_VIA), $opt(& $($m)* e.via));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Denial(e) => {
                visit(Slot::new(part, CODE_BY), $req(& $($m)* e.by));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Inquiry(e) => {
                visit(Slot::new(part, CODE_BY), $req(& $($m)* e.by));
                visit(Slot::new(part, CODE_TO), $req(& $($m)* e.to));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Transfer(e) => {
                visit(Slot::new(part, CODE_TO), $req(& $($m)* e.to));
                visit(Slot::new(part, CODE_FROM), $opt(& $($m)* e.from));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Visit(e) => {
                visit(Slot::new(part, CODE_PLACE), $opt(& $($m)* e.place));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::LegalProceeding(e) => {
                visit(Slot::new(part, CODE_AUTHORITY), $opt(& $($m)* e.authority));
                visit(Slot::new(part, CODE_CHARGE), $opt(& $($m)* e.charge));
                visit(Slot::new(part, CODE_SENTENCE), $opt(& $($m)* e.sentence));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::IllTreatment(e) => {
                visit(Slot::new(part, CODE_PLACE), $opt(& $($m)* e.place));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::RemainsReturned(e) => {
                visit(Slot::new(part, CODE_PLACE), $opt(& $($m)* e.place));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Dispute(e) => {
                visit(Slot::new(part, CODE_BY), $req(& $($m)* e.by));
                visit(Slot::new(part, CODE_REASON), $req(& $($m)* e.reason));
                (& $($m)* e.notes, & $($m)* e.witnesses, & $($m)* e.attachments)
            }
            Event::Correction(c) => {
                visit(Slot::new(part, CODE_REASON), $req(& $($m)* c.reason));
                if let Some(r) = & $($m)* c.replacement {
                    r.$recurse(PART_REPLACEMENT, visit);
                }
                return;
            }
            Event::Statement(s) => {
                s.statement.$recurse(part, visit);
                return;
            }
            Event::Genesis(_)
            | Event::KeyGranted(_)
            | Event::KeyRevoked(_)
            | Event::Checkpoint(_)
            | Event::Seal(_)
            | Event::ClockCorrection(_)
            | Event::Redaction(_)
            | Event::Predecessor(_) => return,
        };
        visit(Slot::new(part, CODE_NOTES), $opt(notes));
        visit(Slot::new(part, CODE_WITNESSES), $opt(witnesses));
        for (i, a) in attachments.into_iter().enumerate() {
            let slot = Slot {
                part,
                code: CODE_DESCRIPTION,
                index: u16::try_from(i).unwrap_or(u16::MAX),
            };
            visit(slot, $opt(& $($m)* a.description));
        }
    }};
}

impl Event {
    /// Calls `visit` with every personal field of the event (every slot it
    /// has, present or absent), `part` being this event's part: the
    /// fields of design §2.3, a correction's replacement as part 1, a
    /// statement's inner event as the statement's own.
    pub fn visit_personal<'a>(&'a self, part: u8, visit: &mut dyn FnMut(Slot, PersonalRef<'a>)) {
        personal_fields!(self, part, visit, visit_personal,
            PersonalRef::required, PersonalRef::optional, PersonalRef::date;)
    }

    /// The same, mutably (to commit the fields).
    pub fn visit_personal_mut<'a>(
        &'a mut self,
        part: u8,
        visit: &mut dyn FnMut(Slot, PersonalMut<'a>),
    ) {
        personal_fields!(self, part, visit, visit_personal_mut,
            PersonalMut::Text, PersonalMut::OptText, PersonalMut::OptDate; mut)
    }

    /// The event a statement carries, or the event itself.
    pub fn inner(&self) -> &Event {
        match self {
            Event::Statement(s) => s.statement.event(),
            other => other,
        }
    }

    /// Checks that every personal field has the form a body of `version`
    /// gives it: commitments in version 3, cleartext before, and no
    /// `witnesses` before version 3.
    /// A statement's event is always in its v3 form, whatever body carries
    /// it (its own rules check that: [`SignedStatement::validate`]).
    pub fn check_form(&self, version: u16) -> Result<(), FieldError> {
        if let Event::Statement(_) = self {
            return Ok(());
        }
        let v3 = version >= VERSION_3;
        let mut problem = None;
        self.visit_personal(PART_EVENT, &mut |slot, field| {
            let (clear, committed) = match field {
                PersonalRef::Text(Some(Personal::Clear(_)))
                | PersonalRef::Date(Some(Personal::Clear(_))) => (true, false),
                PersonalRef::Text(Some(Personal::Committed(_)))
                | PersonalRef::Date(Some(Personal::Committed(_))) => (false, true),
                PersonalRef::Text(None) | PersonalRef::Date(None) => (false, false),
            };
            if problem.is_some() {
                return;
            }
            if v3 && clear {
                problem = Some(FieldError::new(
                    slot.to_string(),
                    "a version 3 body carries a commitment for every personal field, never cleartext",
                ));
            } else if !v3 && slot.code == CODE_WITNESSES && (clear || committed) {
                problem = Some(FieldError::new(
                    slot.to_string(),
                    format!("exists only in version 3 bodies; this body is version {version}"),
                ));
            } else if !v3 && committed {
                problem = Some(FieldError::new(
                    slot.to_string(),
                    format!("a commitment exists only in a version 3 body; this body is version {version}"),
                ));
            }
        });
        problem.map_or(Ok(()), Err)
    }
}

/// What an entry says. The variant order is the byte format (see module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Byte value 0.
    Genesis(Genesis),
    /// 1.
    KeyGranted(KeyGranted),
    /// 2.
    KeyRevoked(KeyRevoked),
    /// 3.
    MissingReport(MissingReport),
    /// 4.
    Capture(Capture),
    /// 5.
    IcrcNotification(IcrcNotification),
    /// 6.
    Sighting(Sighting),
    /// 7.
    Release(Release),
    /// 8.
    Death(Death),
    /// 9.
    Correspondence(Correspondence),
    /// 10.
    Correction(Correction),
    /// 11.
    Checkpoint(Checkpoint),
    /// 12, in version 2 bodies only.
    Seal(Seal),
    /// 13, in version 2 bodies only.
    ClockCorrection(ClockCorrection),
    /// 14, version 2 only.
    Denial(Denial),
    /// 15, version 2 only.
    Inquiry(Inquiry),
    /// 16, version 2 only.
    Transfer(Transfer),
    /// 17, version 2 only.
    Visit(Visit),
    /// 18, version 2 only.
    LegalProceeding(LegalProceeding),
    /// 19, version 2 only.
    IllTreatment(IllTreatment),
    /// 20, version 2 only.
    RemainsReturned(RemainsReturned),
    /// 21, version 2 only.
    Dispute(Dispute),
    /// 22, version 3 only: evidence (or a correction) its author signed
    /// elsewhere, registered by this entry's signer.
    Statement(Statement),
    /// 23, version 3 only: the authority records which committed fields
    /// of which entries were erased, and why.
    Redaction(Redaction),
    /// 24, version 3 only: a re-issued ledger names the last checkpoint of
    /// the ledger it replaces.
    Predecessor(Predecessor),
}

/// The role an event's signer must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// Only the genesis: signed by the key it names, at sequence number 0.
    Genesis,
    /// Every other entry: any one of these roles.
    Role(&'static [Role]),
}

/// A field that failed validation: its path (e.g. `attachments[0].sha256`)
/// and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct FieldError {
    /// Dotted path of the field.
    pub field: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl FieldError {
    /// A new error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, with its path prefixed by `parent.`.
    pub fn within(self, parent: &str) -> FieldError {
        FieldError {
            field: format!("{parent}.{}", self.field),
            message: self.message,
        }
    }
}

fn check_text(field: &str, value: &str, max: usize, required: bool) -> Result<(), FieldError> {
    if required && value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(FieldError::new(
            field,
            format!("is {} bytes long; the limit is {max}", value.len()),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(FieldError::new(
            field,
            format!("contains the control character {c:?}"),
        ));
    }
    Ok(())
}

/// Checks a required personal text field: only cleartext has rules here
/// (a commitment's value was checked when it was committed, and is
/// checked again with its disclosure).
fn check_personal(field: &str, value: &Personal<String>, max: usize) -> Result<(), FieldError> {
    match value {
        Personal::Clear(v) => check_text(field, v, max, true),
        Personal::Committed(_) => Ok(()),
    }
}

fn check_opt(field: &str, value: &Option<Personal<String>>, max: usize) -> Result<(), FieldError> {
    let value = match value {
        Some(Personal::Clear(v)) => Some(v),
        Some(Personal::Committed(_)) | None => None,
    };
    match value {
        // An optional field given as "" is most often a spreadsheet's empty
        // cell: say how to write "not known" rather than only "empty".
        Some(v) if v.trim().is_empty() => {
            let name = field.rsplit('.').next().unwrap_or(field);
            Err(FieldError::new(
                field,
                format!("is empty: omit the field `{name}` rather than giving an empty string"),
            ))
        }
        Some(v) => check_text(field, v, max, true),
        None => Ok(()),
    }
}

/// The rules of a ledger name (a genesis's `ledger_name`, a statement's
/// `ledger`, a predecessor's `origin`): short text, and no space, tab,
/// newline or `+`, since it is the origin line of checkpoints.
pub(crate) fn check_ledger_name(field: &str, name: &str) -> Result<(), FieldError> {
    check_text(field, name, limits::SHORT_TEXT, true)?;
    if name.contains(['\n', '\t', ' ', '+']) {
        return Err(FieldError::new(
            field,
            "must not contain spaces, tabs, newlines or '+' (it is the checkpoint origin)",
        ));
    }
    Ok(())
}

/// The rules of a redaction that need no other entry (design §5, rule
/// `format`): 1 to 1,024 items ascending by target, each target once; 1 to
/// 128 slots per item, ascending, each once, each a slot that can exist;
/// a reason.
fn check_redaction(r: &Redaction) -> Result<(), FieldError> {
    PersonId::new(r.person.as_str()).map_err(|m| FieldError::new("person", m))?;
    if r.items.is_empty() || r.items.len() > MAX_REDACTED_ITEMS {
        return Err(FieldError::new(
            "items",
            format!(
                "has {} items; a redaction names 1 to {MAX_REDACTED_ITEMS} entries",
                r.items.len()
            ),
        ));
    }
    for (i, pair) in r.items.windows(2).enumerate() {
        if pair[0].target >= pair[1].target {
            return Err(FieldError::new(
                format!("items[{}].target", i + 1),
                "items must be in ascending order of target, each target once",
            ));
        }
    }
    for (i, item) in r.items.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        if item.slots.is_empty() || item.slots.len() > MAX_REDACTED_SLOTS {
            return Err(FieldError::new(
                f("slots"),
                format!(
                    "has {} slots; an item names 1 to {MAX_REDACTED_SLOTS}",
                    item.slots.len()
                ),
            ));
        }
        for (j, slot) in item.slots.iter().enumerate() {
            slot.check()
                .map_err(|m| FieldError::new(format!("items[{i}].slots[{j}]"), m))?;
        }
        if item.slots.windows(2).any(|p| p[0] >= p[1]) {
            return Err(FieldError::new(
                f("slots"),
                "slots must be in ascending order of (part, code, index), each once",
            ));
        }
    }
    check_text("reason", &r.reason, limits::LONG_TEXT, true)
}

fn check_attachments(list: &[Attachment]) -> Result<(), FieldError> {
    if list.len() > limits::ATTACHMENTS {
        return Err(FieldError::new(
            "attachments",
            format!(
                "has {} items; the limit is {}",
                list.len(),
                limits::ATTACHMENTS
            ),
        ));
    }
    for (i, a) in list.iter().enumerate() {
        let f = |name: &str| format!("attachments[{i}].{name}");
        check_text(&f("media_type"), &a.media_type, limits::SHORT_TEXT, true)?;
        let mt = a.media_type.as_str();
        let well_formed = mt.split_once('/').is_some_and(|(t, s)| {
            let tok = |x: &str| {
                !x.is_empty()
                    && x.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
            };
            tok(t) && tok(s)
        });
        if !well_formed {
            return Err(FieldError::new(
                f("media_type"),
                format!("{:?} is not a media type like video/mp4", clip(mt, 60)),
            ));
        }
        check_opt(&f("description"), &a.description, limits::LONG_TEXT)?;
    }
    Ok(())
}

fn check_when(at: &OccurredAt) -> Result<(), FieldError> {
    at.validate().map_err(|m| FieldError::new("occurred_at", m))
}

/// The field rules of the evidence types format v2 adds.
fn check_v2_evidence(event: &Event) -> Result<(), FieldError> {
    use limits::{LONG_TEXT as LONG, SHORT_TEXT as SHORT};
    match event {
        Event::Denial(e) => {
            check_personal("by", &e.by, SHORT)?;
            check_opt("notes", &e.notes, LONG)
        }
        Event::Inquiry(e) => {
            check_personal("to", &e.to, SHORT)?;
            check_personal("by", &e.by, SHORT)?;
            check_opt("notes", &e.notes, LONG)
        }
        Event::Transfer(e) => {
            check_opt("from", &e.from, SHORT)?;
            check_personal("to", &e.to, SHORT)?;
            check_opt("notes", &e.notes, LONG)
        }
        Event::Visit(e) => {
            check_opt("place", &e.place, SHORT)?;
            check_opt("notes", &e.notes, LONG)
        }
        Event::LegalProceeding(e) => {
            check_opt("authority", &e.authority, SHORT)?;
            check_opt("charge", &e.charge, LONG)?;
            check_opt("sentence", &e.sentence, SHORT)?;
            check_opt("notes", &e.notes, LONG)
        }
        Event::IllTreatment(e) => {
            check_opt("place", &e.place, SHORT)?;
            check_opt("notes", &e.notes, LONG)
        }
        Event::RemainsReturned(e) => {
            check_opt("place", &e.place, SHORT)?;
            check_opt("notes", &e.notes, LONG)
        }
        Event::Dispute(e) => {
            check_personal("by", &e.by, SHORT)?;
            check_personal("reason", &e.reason, LONG)?;
            check_opt("notes", &e.notes, LONG)
        }
        _ => Ok(()),
    }
}

impl Event {
    /// The name of the variant as used in JSON (`type`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Genesis(_) => "genesis",
            Event::KeyGranted(_) => "key_granted",
            Event::KeyRevoked(_) => "key_revoked",
            Event::MissingReport(_) => "missing_report",
            Event::Capture(_) => "capture",
            Event::IcrcNotification(_) => "icrc_notification",
            Event::Sighting(_) => "sighting",
            Event::Release(_) => "release",
            Event::Death(_) => "death",
            Event::Correspondence(_) => "correspondence",
            Event::Correction(_) => "correction",
            Event::Checkpoint(_) => "checkpoint",
            Event::Seal(_) => "seal",
            Event::ClockCorrection(_) => "clock_correction",
            Event::Denial(_) => "denial",
            Event::Inquiry(_) => "inquiry",
            Event::Transfer(_) => "transfer",
            Event::Visit(_) => "visit",
            Event::LegalProceeding(_) => "legal_proceeding",
            Event::IllTreatment(_) => "ill_treatment",
            Event::RemainsReturned(_) => "remains_returned",
            Event::Dispute(_) => "dispute",
            Event::Statement(_) => "statement",
            Event::Redaction(_) => "redaction",
            Event::Predecessor(_) => "predecessor",
        }
    }

    /// The names of the types `append` accepts, for error messages.
    pub const EVIDENCE_TYPES: &'static [&'static str] = &[
        "missing_report",
        "capture",
        "icrc_notification",
        "sighting",
        "release",
        "death",
        "correspondence",
        "denial",
        "inquiry",
        "transfer",
        "visit",
        "legal_proceeding",
        "ill_treatment",
        "remains_returned",
        "dispute",
        "correction",
    ];

    /// True for evidence about a person (everything but governance and
    /// corrections).
    pub fn is_evidence(&self) -> bool {
        self.person().is_some()
    }

    /// True for genesis, grants, revocations and clock corrections: the
    /// governance stream.
    pub fn is_governance(&self) -> bool {
        matches!(
            self,
            Event::Genesis(_)
                | Event::KeyGranted(_)
                | Event::KeyRevoked(_)
                | Event::ClockCorrection(_)
                | Event::Predecessor(_)
        )
    }

    /// True for the events (and enum values) that exist only in version 2
    /// bodies: a version 1 reader does not know them.
    pub fn needs_v2(&self) -> bool {
        match self {
            Event::Seal(_)
            | Event::ClockCorrection(_)
            | Event::Denial(_)
            | Event::Inquiry(_)
            | Event::Transfer(_)
            | Event::Visit(_)
            | Event::LegalProceeding(_)
            | Event::IllTreatment(_)
            | Event::RemainsReturned(_)
            | Event::Dispute(_) => true,
            Event::Sighting(s) => s.source == SightingSource::ReturnedCivilian,
            Event::Correction(c) => c.replacement.as_deref().is_some_and(Event::needs_v2),
            _ => self.needs_v3(),
        }
    }

    /// True for the events (and values) that exist only in version 3
    /// bodies: statements, redactions, predecessors and grants of
    /// `registrar`. (A `witnesses` field or a commitment is a matter of
    /// form: [`Event::check_form`].)
    pub fn needs_v3(&self) -> bool {
        match self {
            Event::Statement(_) | Event::Redaction(_) | Event::Predecessor(_) => true,
            Event::KeyGranted(k) => k.role == Role::Registrar,
            _ => false,
        }
    }

    /// What the signer must hold for this event to be accepted.
    pub fn requirement(&self) -> Requirement {
        match self {
            Event::Genesis(_) => Requirement::Genesis,
            Event::KeyGranted(_)
            | Event::KeyRevoked(_)
            | Event::ClockCorrection(_)
            | Event::Redaction(_)
            | Event::Predecessor(_) => Requirement::Role(&[Role::Authority]),
            // Design §6: the duties of a log operator's online key.
            Event::Checkpoint(_) | Event::Seal(_) => Requirement::Role(Role::CHECKPOINT_SIGNERS),
            Event::Statement(_) => Requirement::Role(&[Role::Registrar, Role::Investigator]),
            _ => Requirement::Role(&[Role::Investigator]),
        }
    }

    /// The person an evidence event is about.
    pub fn person(&self) -> Option<&PersonId> {
        Some(match self {
            Event::MissingReport(e) => &e.person,
            Event::Capture(e) => &e.person,
            Event::IcrcNotification(e) => &e.person,
            Event::Sighting(e) => &e.person,
            Event::Release(e) => &e.person,
            Event::Death(e) => &e.person,
            Event::Correspondence(e) => &e.person,
            Event::Denial(e) => &e.person,
            Event::Inquiry(e) => &e.person,
            Event::Transfer(e) => &e.person,
            Event::Visit(e) => &e.person,
            Event::LegalProceeding(e) => &e.person,
            Event::IllTreatment(e) => &e.person,
            Event::RemainsReturned(e) => &e.person,
            Event::Dispute(e) => &e.person,
            Event::Genesis(_)
            | Event::KeyGranted(_)
            | Event::KeyRevoked(_)
            | Event::Correction(_)
            | Event::Checkpoint(_)
            | Event::Seal(_)
            | Event::ClockCorrection(_)
            | Event::Redaction(_)
            | Event::Predecessor(_) => return None,
            Event::Statement(s) => return s.statement.event().person(),
        })
    }

    /// When an evidence event occurred.
    pub fn occurred_at(&self) -> Option<OccurredAt> {
        Some(match self {
            Event::MissingReport(e) => e.occurred_at,
            Event::Capture(e) => e.occurred_at,
            Event::IcrcNotification(e) => e.occurred_at,
            Event::Sighting(e) => e.occurred_at,
            Event::Release(e) => e.occurred_at,
            Event::Death(e) => e.occurred_at,
            Event::Correspondence(e) => e.occurred_at,
            Event::Denial(e) => e.occurred_at,
            Event::Inquiry(e) => e.occurred_at,
            Event::Transfer(e) => e.occurred_at,
            Event::Visit(e) => e.occurred_at,
            Event::LegalProceeding(e) => e.occurred_at,
            Event::IllTreatment(e) => e.occurred_at,
            Event::RemainsReturned(e) => e.occurred_at,
            Event::Dispute(e) => e.occurred_at,
            Event::Genesis(_)
            | Event::KeyGranted(_)
            | Event::KeyRevoked(_)
            | Event::Correction(_)
            | Event::Checkpoint(_)
            | Event::Seal(_)
            | Event::ClockCorrection(_)
            | Event::Redaction(_)
            | Event::Predecessor(_) => return None,
            Event::Statement(s) => return s.statement.event().occurred_at(),
        })
    }

    /// The `witnesses` field of an evidence event (absent for the others;
    /// a statement's is its inner event's).
    pub fn witnesses(&self) -> &Option<Personal<String>> {
        const NONE: &Option<Personal<String>> = &None;
        match self {
            Event::MissingReport(e) => &e.witnesses,
            Event::Capture(e) => &e.witnesses,
            Event::IcrcNotification(e) => &e.witnesses,
            Event::Sighting(e) => &e.witnesses,
            Event::Release(e) => &e.witnesses,
            Event::Death(e) => &e.witnesses,
            Event::Correspondence(e) => &e.witnesses,
            Event::Denial(e) => &e.witnesses,
            Event::Inquiry(e) => &e.witnesses,
            Event::Transfer(e) => &e.witnesses,
            Event::Visit(e) => &e.witnesses,
            Event::LegalProceeding(e) => &e.witnesses,
            Event::IllTreatment(e) => &e.witnesses,
            Event::RemainsReturned(e) => &e.witnesses,
            Event::Dispute(e) => &e.witnesses,
            Event::Statement(s) => s.statement.event().witnesses(),
            Event::Genesis(_)
            | Event::KeyGranted(_)
            | Event::KeyRevoked(_)
            | Event::Correction(_)
            | Event::Checkpoint(_)
            | Event::Seal(_)
            | Event::ClockCorrection(_)
            | Event::Redaction(_)
            | Event::Predecessor(_) => NONE,
        }
    }

    /// The attachments of an evidence event (empty for the others).
    pub fn attachments(&self) -> &[Attachment] {
        match self {
            Event::MissingReport(e) => &e.attachments,
            Event::Capture(e) => &e.attachments,
            Event::IcrcNotification(e) => &e.attachments,
            Event::Sighting(e) => &e.attachments,
            Event::Release(e) => &e.attachments,
            Event::Death(e) => &e.attachments,
            Event::Correspondence(e) => &e.attachments,
            Event::Denial(e) => &e.attachments,
            Event::Inquiry(e) => &e.attachments,
            Event::Transfer(e) => &e.attachments,
            Event::Visit(e) => &e.attachments,
            Event::LegalProceeding(e) => &e.attachments,
            Event::IllTreatment(e) => &e.attachments,
            Event::RemainsReturned(e) => &e.attachments,
            Event::Dispute(e) => &e.attachments,
            Event::Genesis(_)
            | Event::KeyGranted(_)
            | Event::KeyRevoked(_)
            | Event::Correction(_)
            | Event::Checkpoint(_)
            | Event::Seal(_)
            | Event::ClockCorrection(_)
            | Event::Redaction(_)
            | Event::Predecessor(_) => &[],
            Event::Statement(s) => s.statement.event().attachments(),
        }
    }

    /// Checks everything about an event that does not depend on the rest of
    /// the ledger: text lengths and characters, date ranges, media types, the
    /// attachment count, and that a correction's replacement is evidence.
    ///
    /// Both the input parser and the decoder call this, so a signed entry
    /// crafted outside `custody` is held to the same rules as typed input.
    pub fn validate(&self) -> Result<(), FieldError> {
        use limits::{LONG_TEXT as LONG, SHORT_TEXT as SHORT};
        if let Event::Statement(st) = self {
            return st.statement.validate();
        }
        if let Some(p) = self.person() {
            PersonId::new(p.as_str()).map_err(|m| FieldError::new("person", m))?;
        }
        if let Some(at) = self.occurred_at() {
            check_when(&at)?;
        }
        check_attachments(self.attachments())?;
        check_opt("witnesses", self.witnesses(), LONG)?;
        match self {
            Event::Genesis(g) => {
                check_ledger_name("ledger_name", &g.ledger_name)?;
                check_text("authority_holder", &g.authority_holder, SHORT, true)
            }
            Event::KeyGranted(k) => check_text("holder", &k.holder, SHORT, true),
            Event::KeyRevoked(k) => check_text("reason", &k.reason, LONG, true),
            Event::MissingReport(e) => {
                check_opt("last_seen_place", &e.last_seen_place, SHORT)?;
                check_opt("name", &e.name, SHORT)?;
                check_opt("service_number", &e.service_number, SHORT)?;
                check_opt("unit", &e.unit, SHORT)?;
                check_opt("notes", &e.notes, LONG)?;
                if let Some(Personal::Clear(dob)) = &e.date_of_birth {
                    if dob.is_instant() {
                        return Err(FieldError::new(
                            "date_of_birth",
                            "must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not an instant",
                        ));
                    }
                    dob.validate()
                        .map_err(|m| FieldError::new("date_of_birth", m))?;
                }
                Ok(())
            }
            Event::Capture(e) => {
                check_opt("place", &e.place, SHORT)?;
                check_opt("circumstances", &e.circumstances, LONG)?;
                check_opt("notes", &e.notes, LONG)
            }
            Event::IcrcNotification(e) => {
                check_opt("reference", &e.reference, SHORT)?;
                check_opt("notes", &e.notes, LONG)
            }
            Event::Sighting(e) => {
                check_opt("place", &e.place, SHORT)?;
                check_opt("notes", &e.notes, LONG)
            }
            Event::Release(e) => {
                check_opt("place", &e.place, SHORT)?;
                check_opt("notes", &e.notes, LONG)
            }
            Event::Death(e) => {
                check_opt("place", &e.place, SHORT)?;
                check_opt("notes", &e.notes, LONG)
            }
            Event::Correspondence(e) => {
                check_opt("via", &e.via, SHORT)?;
                check_opt("notes", &e.notes, LONG)
            }
            Event::Checkpoint(c) => {
                if c.tree_size == 0 {
                    return Err(FieldError::new(
                        "tree_size",
                        "a checkpoint covers at least the genesis",
                    ));
                }
                Ok(())
            }
            Event::Seal(seal) => {
                if seal.gov_count == 0 {
                    return Err(FieldError::new(
                        "gov_count",
                        "a seal counts at least the genesis",
                    ));
                }
                Ok(())
            }
            Event::ClockCorrection(c) => check_text("reason", &c.reason, LONG, true),
            Event::Statement(st) => st.statement.validate(),
            Event::Redaction(r) => check_redaction(r),
            Event::Predecessor(p) => {
                check_ledger_name("origin", &p.origin)?;
                if p.tree_size == 0 {
                    return Err(FieldError::new(
                        "tree_size",
                        "a checkpoint covers at least the genesis",
                    ));
                }
                Ok(())
            }
            Event::Denial(_)
            | Event::Inquiry(_)
            | Event::Transfer(_)
            | Event::Visit(_)
            | Event::LegalProceeding(_)
            | Event::IllTreatment(_)
            | Event::RemainsReturned(_)
            | Event::Dispute(_) => check_v2_evidence(self),
            Event::Correction(c) => {
                check_personal("reason", &c.reason, LONG)?;
                if let Some(r) = &c.replacement {
                    if !r.is_evidence() || matches!(**r, Event::Statement(_)) {
                        return Err(FieldError::new(
                            "replacement.type",
                            format!(
                                "a replacement must be evidence about a person, not {}",
                                r.type_name()
                            ),
                        ));
                    }
                    r.validate().map_err(|e| e.within("replacement"))?;
                }
                Ok(())
            }
        }
    }
}
