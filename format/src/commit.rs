//! Salted commitments to personal data (format version 3, design
//! docs/design/format-v3.md §2.3 and §3).
//!
//! In a version 3 body every personal field of an evidence event is a
//! 32-byte commitment `H("custody/v3/commit" ‖ 00 ‖ D)` with
//! `D = salt ‖ part ‖ LE16(code) ‖ LE16(index) ‖ enc(value)`. The cleartext
//! and its salt travel beside the entry as a [`Disclosure`], which anyone
//! can check against the commitment with SHA-256 alone, and which can be
//! withheld or erased without touching a signed byte.
//!
//! A field is named by its [`Slot`]: `part` 0 is the event itself, 1 a
//! correction's replacement; `code` is the field's code in [`FIELDS`];
//! `index` is an attachment's position for `description`, else 0. The slot
//! is inside the hash, so a disclosure cannot be moved to another field.
//!
//! This module takes salts as input and never draws randomness: the store
//! draws them (design §8), and the test vectors use fixed ones.

use crate::codec;
use crate::event::{limits, Event, FieldError, Personal};
use crate::time::OccurredAt;
use bincode::{Decode, Encode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// The domain of a commitment: 17 ASCII bytes and a zero byte.
pub const COMMIT_DOMAIN: &[u8] = b"custody/v3/commit\0";

/// Part 0: a field of the event itself (or of a statement's inner event).
pub const PART_EVENT: u8 = 0;
/// Part 1: a field of a correction's replacement.
pub const PART_REPLACEMENT: u8 = 1;

/// A salted commitment to one personal field: 32 bytes, shown as
/// `{"commitment":"<64 hex>"}` in a view.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Commitment(pub [u8; 32]);

impl fmt::Debug for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Commitment({})", hex::encode(self.0))
    }
}

impl Serialize for Commitment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        crate::text::with_hex(&self.0, |h| m.serialize_entry("commitment", h))?;
        m.end()
    }
}

/// The 256-bit salt of one slot. It must come from a cryptographically
/// secure generator, fresh for every slot (design §3.1); this crate only
/// takes it as input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Salt(pub [u8; 32]);

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A salt is what keeps a low-entropy value hidden: never print it
        // by accident in a log.
        f.write_str("Salt(..)")
    }
}

/// Where a committed field sits: `(part, code, index)`, 5 bytes
/// (`part ‖ LE16(code) ‖ LE16(index)`). Ordered as the design sorts
/// disclosures and redacted slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Slot {
    /// 0: the event; 1: a correction's replacement.
    pub part: u8,
    /// The field's code ([`FIELDS`]).
    pub code: u16,
    /// An attachment's position for `description` (code 19), else 0.
    pub index: u16,
}

impl Slot {
    /// The slot of field `code` of part `part`, index 0.
    pub fn new(part: u8, code: u16) -> Slot {
        Slot {
            part,
            code,
            index: 0,
        }
    }

    /// The field's name, if the code is one of [`FIELDS`].
    pub fn field_name(&self) -> Option<&'static str> {
        field(self.code).map(|f| f.name)
    }

    /// The slot's 5 bytes, as they enter a commitment.
    pub fn bytes(&self) -> [u8; 5] {
        let c = self.code.to_le_bytes();
        let i = self.index.to_le_bytes();
        [self.part, c[0], c[1], i[0], i[1]]
    }

    /// Checks that the slot can name a field at all: a known code, part 0
    /// or 1, an index only for attachment descriptions (and below the
    /// attachment limit).
    pub fn check(&self) -> Result<(), String> {
        if self.part > PART_REPLACEMENT {
            return Err(format!(
                "part {} is neither 0 (the event) nor 1 (a replacement)",
                self.part
            ));
        }
        let Some(f) = field(self.code) else {
            return Err(format!("{} is not a field code", self.code));
        };
        if f.code == CODE_DESCRIPTION {
            if usize::from(self.index) >= limits::ATTACHMENTS {
                return Err(format!(
                    "attachment index {} is past the limit of {} attachments",
                    self.index,
                    limits::ATTACHMENTS
                ));
            }
        } else if self.index != 0 {
            return Err(format!(
                "index {} on `{}`: only an attachment's description has an index",
                self.index, f.name
            ));
        }
        Ok(())
    }
}

impl Serialize for Slot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("part", &self.part)?;
        match self.field_name() {
            Some(name) => m.serialize_entry("field", name)?,
            // Only a slot that failed `check` has no name; a decoded entry
            // never holds one. Show the number rather than fail.
            None => m.serialize_entry("field", &self.code)?,
        }
        m.serialize_entry("index", &self.index)?;
        m.end()
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = if self.part == PART_REPLACEMENT {
            "replacement."
        } else {
            ""
        };
        match (self.field_name(), self.code) {
            (Some(name), CODE_DESCRIPTION) => {
                write!(f, "{part}attachments[{}].{name}", self.index)
            }
            (Some(name), _) => write!(f, "{part}{name}"),
            (None, code) => write!(f, "{part}field code {code}"),
        }
    }
}

/// What kind of value a field holds, and so how it is encoded and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// At most 256 bytes of text.
    ShortText,
    /// At most 4,096 bytes of text.
    LongText,
    /// A date (`OccurredAt`, never an instant).
    Date,
}

/// Which export profile a field belongs to (design §7). No verifier reads
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldClass {
    /// Free text: notes, circumstances, reasons, descriptions.
    Narrative,
    /// Where: places, a transfer's ends.
    Place,
    /// Who the person is.
    Identity,
    /// Who saw, told or carried the information.
    Witness,
    /// An official actor: who denied, who was asked, which court.
    Official,
}

/// One row of the code table (design §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldCode {
    /// The code, as it appears in a slot.
    pub code: u16,
    /// The field's name (JSON and disclosures).
    pub name: &'static str,
    /// Its value's kind.
    pub kind: ValueKind,
}

/// `notes`.
pub const CODE_NOTES: u16 = 1;
/// `place`.
pub const CODE_PLACE: u16 = 2;
/// `last_seen_place`.
pub const CODE_LAST_SEEN_PLACE: u16 = 3;
/// `name`.
pub const CODE_NAME: u16 = 4;
/// `date_of_birth`.
pub const CODE_DATE_OF_BIRTH: u16 = 5;
/// `service_number`.
pub const CODE_SERVICE_NUMBER: u16 = 6;
/// `unit`.
pub const CODE_UNIT: u16 = 7;
/// `circumstances`.
pub const CODE_CIRCUMSTANCES: u16 = 8;
/// `reference`.
pub const CODE_REFERENCE: u16 = 9;
/// `via`.
pub const CODE_VIA: u16 = 10;
/// `by`.
pub const CODE_BY: u16 = 11;
/// `to`.
pub const CODE_TO: u16 = 12;
/// `from`.
pub const CODE_FROM: u16 = 13;
/// `authority`.
pub const CODE_AUTHORITY: u16 = 14;
/// `charge`.
pub const CODE_CHARGE: u16 = 15;
/// `sentence`.
pub const CODE_SENTENCE: u16 = 16;
/// `reason`.
pub const CODE_REASON: u16 = 17;
/// `witnesses`.
pub const CODE_WITNESSES: u16 = 18;
/// An attachment's `description`.
pub const CODE_DESCRIPTION: u16 = 19;

/// The code table of design §2.3, in code order.
pub const FIELDS: &[FieldCode] = {
    use ValueKind::{Date, LongText as Long, ShortText as Short};
    const fn f(code: u16, name: &'static str, kind: ValueKind) -> FieldCode {
        FieldCode { code, name, kind }
    }
    &[
        f(CODE_NOTES, "notes", Long),
        f(CODE_PLACE, "place", Short),
        f(CODE_LAST_SEEN_PLACE, "last_seen_place", Short),
        f(CODE_NAME, "name", Short),
        f(CODE_DATE_OF_BIRTH, "date_of_birth", Date),
        f(CODE_SERVICE_NUMBER, "service_number", Short),
        f(CODE_UNIT, "unit", Short),
        f(CODE_CIRCUMSTANCES, "circumstances", Long),
        f(CODE_REFERENCE, "reference", Short),
        f(CODE_VIA, "via", Short),
        f(CODE_BY, "by", Short),
        f(CODE_TO, "to", Short),
        f(CODE_FROM, "from", Short),
        f(CODE_AUTHORITY, "authority", Short),
        f(CODE_CHARGE, "charge", Long),
        f(CODE_SENTENCE, "sentence", Short),
        f(CODE_REASON, "reason", Long),
        f(CODE_WITNESSES, "witnesses", Long),
        f(CODE_DESCRIPTION, "description", Long),
    ]
};

/// The row of `code`, if it is one.
pub fn field(code: u16) -> Option<&'static FieldCode> {
    FIELDS.iter().find(|f| f.code == code)
}

/// The row named `name`, if there is one.
pub fn field_named(name: &str) -> Option<&'static FieldCode> {
    FIELDS.iter().find(|f| f.name == name)
}

/// The class of field `code` in an event of type `event_type` (design
/// §2.3: `by` and `to` change class with the event).
pub fn class_of(event_type: &str, code: u16) -> Option<FieldClass> {
    use FieldClass::{Identity, Narrative, Official, Place, Witness};
    Some(match code {
        CODE_NOTES | CODE_CIRCUMSTANCES | CODE_REASON | CODE_DESCRIPTION => Narrative,
        CODE_PLACE | CODE_LAST_SEEN_PLACE | CODE_FROM => Place,
        CODE_NAME | CODE_DATE_OF_BIRTH | CODE_SERVICE_NUMBER | CODE_UNIT | CODE_REFERENCE => {
            Identity
        }
        CODE_VIA | CODE_WITNESSES => Witness,
        CODE_BY if event_type == "denial" => Official,
        CODE_BY => Witness,
        CODE_TO if event_type == "transfer" => Place,
        CODE_TO => Official,
        CODE_AUTHORITY | CODE_CHARGE | CODE_SENTENCE => Official,
        _ => return None,
    })
}

/// A disclosed value: text, or a date of birth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisclosedValue {
    /// Any text field.
    Text(String),
    /// `date_of_birth`.
    Date(OccurredAt),
}

impl DisclosedValue {
    /// `enc(v)`: FORMAT.md §1's encoding of the value (a text is
    /// `LE64(len) ‖ UTF-8`, a date the `OccurredAt` enum encoding).
    pub fn encoded(&self) -> Vec<u8> {
        match self {
            DisclosedValue::Text(s) => {
                let mut out = Vec::with_capacity(8 + s.len());
                out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
                out
            }
            DisclosedValue::Date(d) => codec::encode(d).expect("a date always encodes"),
        }
    }

    /// Checks the value against the field rules of its slot's code
    /// (FORMAT.md §4 and §12.9: length, control characters, not blank, a
    /// date that is not an instant).
    pub fn check(&self, code: u16) -> Result<(), String> {
        let Some(f) = field(code) else {
            return Err(format!("{code} is not a field code"));
        };
        match (self, f.kind) {
            (DisclosedValue::Text(s), ValueKind::ShortText) => {
                text_problem(s, limits::SHORT_TEXT).map_or(Ok(()), Err)
            }
            (DisclosedValue::Text(s), ValueKind::LongText) => {
                text_problem(s, limits::LONG_TEXT).map_or(Ok(()), Err)
            }
            (DisclosedValue::Date(d), ValueKind::Date) => {
                if d.is_instant() {
                    return Err("a date of birth is a date, not an instant".into());
                }
                d.validate()
            }
            (DisclosedValue::Text(_), ValueKind::Date) => {
                Err(format!("`{}` holds a date, not text", f.name))
            }
            (DisclosedValue::Date(_), _) => Err(format!("`{}` holds text, not a date", f.name)),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            DisclosedValue::Text(s) => Value::String(s.clone()),
            DisclosedValue::Date(d) => Value::String(d.to_string()),
        }
    }
}

/// Why a text may not be a field's value: the rules `Event::validate`
/// applies to cleartext fields.
fn text_problem(s: &str, max: usize) -> Option<String> {
    if s.trim().is_empty() {
        return Some("is empty".into());
    }
    if s.len() > max {
        return Some(format!("is {} bytes long; the limit is {max}", s.len()));
    }
    s.chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        .map(|c| format!("contains the control character {c:?}"))
}

/// The commitment to `value` in `slot` under `salt` (design §3.1):
/// `H("custody/v3/commit" ‖ 00 ‖ salt ‖ slot ‖ enc(value))`.
pub fn commit(salt: &Salt, slot: Slot, value: &DisclosedValue) -> Commitment {
    Commitment(hash_of_d(&d_bytes(salt, slot, value)))
}

fn d_bytes(salt: &Salt, slot: Slot, value: &DisclosedValue) -> Vec<u8> {
    let enc = value.encoded();
    let mut d = Vec::with_capacity(37 + enc.len());
    d.extend_from_slice(&salt.0);
    d.extend_from_slice(&slot.bytes());
    d.extend_from_slice(&enc);
    d
}

fn hash_of_d(d: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(COMMIT_DOMAIN);
    h.update(d);
    h.finalize().into()
}

/// The cleartext of one slot with its salt: what opens a commitment.
#[derive(Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// The slot it opens.
    pub slot: Slot,
    /// The slot's salt.
    pub salt: Salt,
    /// The value.
    pub value: DisclosedValue,
}

impl fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is personal data and the salt its protection: neither
        // goes into a debug print.
        write!(f, "Disclosure({})", self.slot)
    }
}

/// Why a disclosure's JSON is refused (rule `disclosure`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("disclosure: {0}")]
pub struct DisclosureFormatError(pub String);

impl Disclosure {
    /// The canonical bytes `D = salt ‖ part ‖ LE16(code) ‖ LE16(index) ‖
    /// enc(value)`.
    pub fn bytes(&self) -> Vec<u8> {
        d_bytes(&self.salt, self.slot, &self.value)
    }

    /// The commitment this disclosure opens.
    pub fn commitment(&self) -> Commitment {
        commit(&self.salt, self.slot, &self.value)
    }

    /// Its JSON form (design §3.2), written with keys in byte order.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "field".into(),
            match self.slot.field_name() {
                Some(n) => Value::String(n.into()),
                None => Value::from(self.slot.code),
            },
        );
        m.insert("index".into(), Value::from(self.slot.index));
        m.insert("part".into(), Value::from(self.slot.part));
        m.insert(
            "salt".into(),
            Value::String(crate::text::with_hex(&self.salt.0, str::to_owned)),
        );
        m.insert("value".into(), self.value.to_json());
        Value::Object(m)
    }

    /// Reads the JSON form: exactly the members `part`, `field`, `index`,
    /// `salt` and `value`; a known field name; a value that passes its
    /// field's rules; a date of birth in exactly the form `YYYY`,
    /// `YYYY-MM` or `YYYY-MM-DD`, so that each disclosure has one JSON
    /// spelling. Duplicate keys must be refused by the parser that made
    /// `v` ([`crate::json::parse_strict`]).
    pub fn from_json(v: &Value) -> Result<Disclosure, DisclosureFormatError> {
        let err = |m: String| DisclosureFormatError(m);
        let Value::Object(m) = v else {
            return Err(err("a disclosure is a JSON object".into()));
        };
        const MEMBERS: [&str; 5] = ["field", "index", "part", "salt", "value"];
        if let Some(k) = m.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(err(format!(
                "unknown member {:?} (a disclosure has exactly part, field, index, salt and value)",
                crate::text::clip(k, 40)
            )));
        }
        let get = |k: &str| m.get(k).ok_or_else(|| err(format!("missing member `{k}`")));
        let small = |k: &str, max: u64| {
            get(k)?
                .as_u64()
                .filter(|n| *n <= max)
                .ok_or_else(|| err(format!("`{k}` must be an integer from 0 to {max}")))
        };
        let part = small("part", u64::from(PART_REPLACEMENT))? as u8;
        let index = small("index", u64::from(u16::MAX))? as u16;
        let name = get("field")?
            .as_str()
            .ok_or_else(|| err("`field` must be a field name".into()))?;
        let f = field_named(name).ok_or_else(|| {
            err(format!(
                "unknown field {:?}; expected one of {}",
                crate::text::clip(name, 40),
                FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let slot = Slot {
            part,
            code: f.code,
            index,
        };
        slot.check().map_err(err)?;
        let mut salt = [0u8; 32];
        let salt_hex = get("salt")?
            .as_str()
            .ok_or_else(|| err("`salt` must be 64 hex digits".into()))?;
        // Lowercase only: one JSON spelling per disclosure (design §3.2).
        if salt_hex.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(err("`salt` must be 64 lowercase hex digits".into()));
        }
        hex::decode_to_slice(salt_hex, &mut salt)
            .map_err(|_| err("`salt` must be 64 hex digits".into()))?;
        let text = get("value")?
            .as_str()
            .ok_or_else(|| err("`value` must be a JSON string".into()))?;
        let value = if f.kind == ValueKind::Date {
            let d = OccurredAt::parse(text)
                .ok()
                .filter(|d| !d.is_instant() && d.to_string() == text)
                // The value is not echoed: it is personal data (perhaps
                // an erased or withheld one), and this message reaches
                // HTTP bodies, `verify` reports and store errors.
                .ok_or_else(|| {
                    err("the date_of_birth value is not a date written YYYY, YYYY-MM or YYYY-MM-DD (the value is not shown: it is personal data)".into())
                })?;
            DisclosedValue::Date(d)
        } else {
            DisclosedValue::Text(text.to_string())
        };
        value
            .check(f.code)
            .map_err(|m| err(format!("`{}` {m}", f.name)))?;
        Ok(Disclosure {
            slot,
            salt: Salt(salt),
            value,
        })
    }
}

/// The committed form of an event's slot, as the entry holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotContent {
    /// An optional field that is absent.
    Absent,
    /// A commitment.
    Committed(Commitment),
    /// Cleartext (a v1/v2 body, or an event not yet committed).
    Clear,
}

/// Every slot an event has (present or absent), with what it holds, in
/// slot order. A statement's slots are its inner event's.
pub fn slots_of(event: &Event) -> Vec<(Slot, SlotContent)> {
    let mut out = Vec::new();
    event.visit_personal(PART_EVENT, &mut |slot, field| {
        let content = match field {
            PersonalRef::Text(Some(Personal::Committed(c)))
            | PersonalRef::Date(Some(Personal::Committed(c))) => SlotContent::Committed(*c),
            PersonalRef::Text(Some(Personal::Clear(_)))
            | PersonalRef::Date(Some(Personal::Clear(_))) => SlotContent::Clear,
            PersonalRef::Text(None) | PersonalRef::Date(None) => SlotContent::Absent,
        };
        out.push((slot, content));
    });
    out.sort_by_key(|(s, _)| *s);
    out
}

/// A personal field of an event, borrowed: what [`Event::visit_personal`]
/// hands to its visitor.
#[derive(Clone, Copy, Debug)]
pub enum PersonalRef<'a> {
    /// A text field (`None`: an absent optional field).
    Text(Option<&'a Personal<String>>),
    /// `date_of_birth`.
    Date(Option<&'a Personal<OccurredAt>>),
}

impl<'a> PersonalRef<'a> {
    pub(crate) fn required(p: &'a Personal<String>) -> PersonalRef<'a> {
        PersonalRef::Text(Some(p))
    }
    pub(crate) fn optional(p: &'a Option<Personal<String>>) -> PersonalRef<'a> {
        PersonalRef::Text(p.as_ref())
    }
    pub(crate) fn date(p: &'a Option<Personal<OccurredAt>>) -> PersonalRef<'a> {
        PersonalRef::Date(p.as_ref())
    }
}

/// A personal field of an event, mutably borrowed.
#[derive(Debug)]
pub enum PersonalMut<'a> {
    /// A text field.
    Text(&'a mut Personal<String>),
    /// An optional text field.
    OptText(&'a mut Option<Personal<String>>),
    /// `date_of_birth`.
    OptDate(&'a mut Option<Personal<OccurredAt>>),
}

/// Replaces every cleartext personal field of `event` by its commitment,
/// with the salt `salt_for` gives for its slot, and returns the
/// disclosures, sorted by slot. The values are checked against their
/// field rules first (`event.validate()`), so nothing invalid is ever
/// committed. Fields already committed are left as they are.
pub fn commit_event(
    event: &mut Event,
    mut salt_for: impl FnMut(Slot) -> Salt,
) -> Result<Vec<Disclosure>, FieldError> {
    event.validate()?;
    let mut out = Vec::new();
    event.visit_personal_mut(PART_EVENT, &mut |slot, field| {
        let value = match &field {
            PersonalMut::Text(Personal::Clear(s))
            | PersonalMut::OptText(Some(Personal::Clear(s))) => DisclosedValue::Text(s.clone()),
            PersonalMut::OptDate(Some(Personal::Clear(d))) => DisclosedValue::Date(*d),
            _ => return,
        };
        let salt = salt_for(slot);
        let c = commit(&salt, slot, &value);
        match field {
            PersonalMut::Text(p) => *p = Personal::Committed(c),
            PersonalMut::OptText(p) => *p = Some(Personal::Committed(c)),
            PersonalMut::OptDate(p) => *p = Some(Personal::Committed(c)),
        }
        out.push(Disclosure { slot, salt, value });
    });
    out.sort_by_key(|d| d.slot);
    Ok(out)
}

/// Why a disclosure does not open its entry (design §3.4, verdict
/// **invalid**: rule `disclosure`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisclosureError {
    /// The entry is version 1 or 2: its personal data is in its bytes.
    #[error("{slot}: a version {version} entry has no commitments to disclose")]
    NotV3 {
        /// The slot disclosed.
        slot: Slot,
        /// The entry's version.
        version: u16,
    },
    /// The event has no such slot.
    #[error("{slot}: the entry's {event} has no such field")]
    NoSuchSlot {
        /// The slot disclosed.
        slot: Slot,
        /// The event's type.
        event: &'static str,
    },
    /// The slot is an absent optional field.
    #[error("{slot}: the field is absent from the entry, so nothing can be disclosed for it")]
    Absent {
        /// The slot disclosed.
        slot: Slot,
    },
    /// The same slot is disclosed twice.
    #[error("{slot}: disclosed twice")]
    Repeated {
        /// The slot disclosed.
        slot: Slot,
    },
    /// The list is not in ascending order of slot (design §3.2: one order,
    /// so one spelling of a list).
    #[error("{slot}: disclosures must be listed in ascending order of (part, code, index)")]
    Unsorted {
        /// The slot out of order.
        slot: Slot,
    },
    /// The value breaks its field's rules.
    #[error("{slot}: the value {message}")]
    Malformed {
        /// The slot disclosed.
        slot: Slot,
        /// What is wrong.
        message: String,
    },
    /// The commitment does not match: the value, the salt or the slot was
    /// altered.
    #[error("{slot}: the value and salt do not match the entry's commitment (altered or forged cleartext)")]
    Mismatch {
        /// The slot disclosed.
        slot: Slot,
    },
}

/// What a verifier knows about one committed slot after checking the
/// disclosures offered for an entry (design §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotState {
    /// A matching disclosure.
    Disclosed(DisclosedValue),
    /// No disclosure; a redaction at this seq covers the slot.
    Redacted {
        /// The redaction's seq.
        at: u64,
    },
    /// A matching disclosure, though a redaction at this seq covers the
    /// slot: a warning, not an error (the cleartext is genuine; whoever
    /// holds it should not).
    DisclosedAfterRedaction {
        /// The value.
        value: DisclosedValue,
        /// The redaction's seq.
        at: u64,
    },
    /// No disclosure, and no redaction: withheld (never invalid, unless
    /// the reader demands everything).
    Withheld,
}

/// Checks the disclosures offered for a decoded entry of `version` holding
/// `event`, and gives each committed slot its state. `redacted_at` says,
/// for a slot, the seq of a redaction the verifier has seen that covers
/// it. The first invalid disclosure is an error (design §3.4).
pub fn check_disclosures(
    version: u16,
    event: &Event,
    disclosures: &[Disclosure],
    redacted_at: impl Fn(Slot) -> Option<u64>,
) -> Result<Vec<(Slot, SlotState)>, DisclosureError> {
    let slots = slots_of(event);
    let mut previous: Option<Slot> = None;
    for d in disclosures {
        if version < crate::entry::VERSION_3 {
            return Err(DisclosureError::NotV3 {
                slot: d.slot,
                version,
            });
        }
        match previous {
            Some(p) if p == d.slot => return Err(DisclosureError::Repeated { slot: d.slot }),
            Some(p) if p > d.slot => return Err(DisclosureError::Unsorted { slot: d.slot }),
            _ => previous = Some(d.slot),
        }
        let content = slots
            .iter()
            .find(|(s, _)| *s == d.slot)
            .map(|(_, c)| *c)
            .ok_or(DisclosureError::NoSuchSlot {
                slot: d.slot,
                event: event.inner().type_name(),
            })?;
        let expected = match content {
            SlotContent::Committed(c) => c,
            SlotContent::Absent | SlotContent::Clear => {
                return Err(DisclosureError::Absent { slot: d.slot })
            }
        };
        d.value
            .check(d.slot.code)
            .map_err(|message| DisclosureError::Malformed {
                slot: d.slot,
                message,
            })?;
        if d.commitment() != expected {
            return Err(DisclosureError::Mismatch { slot: d.slot });
        }
    }
    Ok(slots
        .into_iter()
        .filter(|(_, c)| matches!(c, SlotContent::Committed(_)))
        .map(|(slot, _)| {
            let given = disclosures.iter().find(|d| d.slot == slot);
            let state = match (given, redacted_at(slot)) {
                (Some(d), None) => SlotState::Disclosed(d.value.clone()),
                (Some(d), Some(at)) => SlotState::DisclosedAfterRedaction {
                    value: d.value.clone(),
                    at,
                },
                (None, Some(at)) => SlotState::Redacted { at },
                (None, None) => SlotState::Withheld,
            };
            (slot, state)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Attachment, Capture, PersonId, Sha256Digest};

    fn salt_0_to_31() -> Salt {
        let mut s = [0u8; 32];
        for (i, b) in s.iter_mut().enumerate() {
            *b = i as u8;
        }
        Salt(s)
    }

    /// Design §12, first example: the place "Mariupol" in slot (0, 2, 0).
    #[test]
    fn the_worked_place_commitment_of_the_design() {
        let d = Disclosure {
            slot: Slot::new(0, CODE_PLACE),
            salt: salt_0_to_31(),
            value: DisclosedValue::Text("Mariupol".into()),
        };
        assert_eq!(
            hex::encode(d.bytes()),
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
             00020000000800000000000000\
             4d61726975706f6c"
        );
        assert_eq!(d.bytes().len(), 53);
        assert_eq!(
            hex::encode(d.commitment().0),
            "30c2f0b8da26686f7b8e6ad9ecaed3a972bb071c7055800e87a1819f1ccb141e"
        );
        assert_eq!(
            serde_json::to_string(&d.to_json()).unwrap(),
            r#"{"field":"place","index":0,"part":0,"salt":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","value":"Mariupol"}"#
        );
    }

    /// Design §12, second example: the birth year 1990 in slot (0, 5, 0).
    #[test]
    fn the_worked_birth_year_commitment_of_the_design() {
        let salt = Salt([0x11; 32]);
        let slot = Slot::new(0, CODE_DATE_OF_BIRTH);
        let value = DisclosedValue::Date(OccurredAt::Year { year: 1990 });
        let d = Disclosure { slot, salt, value };
        assert_eq!(d.bytes().len(), 45);
        assert_eq!(
            hex::encode(&d.bytes()[32..]),
            "0005000000" /* part, code, index */
                .to_owned()
                + "00000000c6070000"
        );
        assert_eq!(
            hex::encode(d.commitment().0),
            "5f398bdeb4bb1270d7d7244cc2a34567efa1ac9f87d34a4cea589bcb4c14ee7f"
        );
    }

    /// The salt test of issue 15: trying every year a birth date can have
    /// finds the committed one only with the salt.
    #[test]
    fn without_the_salt_no_year_matches_the_commitment() {
        let slot = Slot::new(0, CODE_DATE_OF_BIRTH);
        let target = commit(
            &Salt([0x11; 32]),
            slot,
            &DisclosedValue::Date(OccurredAt::Year { year: 1990 }),
        );
        let year = |y: i32| DisclosedValue::Date(OccurredAt::Year { year: y });
        for guess_salt in [Salt([0; 32]), Salt([0x10; 32]), salt_0_to_31()] {
            let hits = (1000..=9999)
                .filter(|y| commit(&guess_salt, slot, &year(*y)) == target)
                .count();
            assert_eq!(hits, 0);
        }
        // The search itself works: with the salt it finds exactly 1990.
        let found: Vec<i32> = (1000..=9999)
            .filter(|y| commit(&Salt([0x11; 32]), slot, &year(*y)) == target)
            .collect();
        assert_eq!(found, vec![1990]);
    }

    #[test]
    fn the_slot_is_inside_the_hash() {
        let v = DisclosedValue::Text("Mariupol".into());
        let s = salt_0_to_31();
        let c = commit(&s, Slot::new(0, CODE_PLACE), &v);
        assert_ne!(c, commit(&s, Slot::new(1, CODE_PLACE), &v));
        assert_ne!(c, commit(&s, Slot::new(0, CODE_LAST_SEEN_PLACE), &v));
        let desc = |i| Slot {
            part: 0,
            code: CODE_DESCRIPTION,
            index: i,
        };
        assert_ne!(commit(&s, desc(0), &v), commit(&s, desc(1), &v));
    }

    #[test]
    fn the_code_table_is_the_designs() {
        assert_eq!(FIELDS.len(), 19);
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(usize::from(f.code), i + 1);
            assert_eq!(field_named(f.name), Some(f));
            assert!(class_of("capture", f.code).is_some());
        }
        assert_eq!(class_of("denial", CODE_BY), Some(FieldClass::Official));
        assert_eq!(class_of("dispute", CODE_BY), Some(FieldClass::Witness));
        assert_eq!(class_of("transfer", CODE_TO), Some(FieldClass::Place));
        assert_eq!(class_of("inquiry", CODE_TO), Some(FieldClass::Official));
        assert_eq!(class_of("capture", 20), None);
    }

    fn parse(text: &str) -> Result<Disclosure, DisclosureFormatError> {
        let v = crate::json::parse_strict(text.as_bytes())
            .map_err(|e| DisclosureFormatError(e.to_string()))?;
        Disclosure::from_json(&v)
    }

    const SALT: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_disclosure_reads_back_what_it_writes_and_nothing_else() {
        let good = format!(
            r#"{{"part":0,"field":"date_of_birth","index":0,"salt":"{SALT}","value":"1990-07"}}"#
        );
        let d = parse(&good).unwrap();
        assert_eq!(
            d.value,
            DisclosedValue::Date(OccurredAt::Month {
                year: 1990,
                month: 7
            })
        );
        assert_eq!(Disclosure::from_json(&d.to_json()).unwrap(), d);
        let refused = |text: String, why: &str| {
            let e = parse(&text).expect_err(&text);
            assert!(e.0.contains(why), "{text}: {e}");
        };
        let with = |member: &str| {
            format!(r#"{{"part":0,"field":"place","index":0,"salt":"{SALT}",{member}}}"#)
        };
        refused(with(r#""value":"x","extra":1"#), "unknown member");
        refused(with(r#""value":"x","value":"y""#), "duplicate key");
        refused(
            format!(r#"{{"part":0,"field":"place","index":0,"salt":"{SALT}"}}"#),
            "missing member `value`",
        );
        refused(
            with(r#""value":"tab\tok but bell \u0007""#),
            "control character",
        );
        refused(with(r#""value":"  ""#), "empty");
        refused(with(r#""value":1"#), "JSON string");
        refused(
            format!(r#"{{"part":0,"field":"nickname","index":0,"salt":"{SALT}","value":"x"}}"#),
            "unknown field",
        );
        refused(
            format!(r#"{{"part":2,"field":"place","index":0,"salt":"{SALT}","value":"x"}}"#),
            "`part` must be",
        );
        refused(
            format!(r#"{{"part":0,"field":"place","index":1,"salt":"{SALT}","value":"x"}}"#),
            "only an attachment's description",
        );
        refused(
            r#"{"part":0,"field":"place","index":0,"salt":"00","value":"x"}"#.to_string(),
            "64 hex",
        );
        for date in [
            "2023-7",
            "1990-07-1",
            "1990-01-01T00:00:00Z",
            "990",
            "1990-13",
        ] {
            refused(
                format!(
                    r#"{{"part":0,"field":"date_of_birth","index":0,"salt":"{SALT}","value":"{date}"}}"#
                ),
                "date_of_birth",
            );
        }
        // The message names the field and the problem, never the value
        // (it may be erased or withheld personal data).
        let secret = "Zyxw 12 March 1985";
        let e = parse(&format!(
            r#"{{"part":0,"field":"date_of_birth","index":0,"salt":"{SALT}","value":"{secret}"}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("date_of_birth"), "{e}");
        assert!(!e.contains("Zyxw") && !e.contains("1985"), "{e}");
        // Tabs, newlines and multi-byte text are values like any other.
        parse(&with(r#""value":"Маріуполь,\tв\nпідвалі""#)).unwrap();
    }

    fn capture() -> Event {
        Event::Capture(Capture {
            person: PersonId::new("P-1").unwrap(),
            occurred_at: OccurredAt::Year { year: 2022 },
            place: Some("Mariupol".into()),
            circumstances: None,
            category: None,
            notes: Some("seen at the plant".into()),
            attachments: vec![Attachment {
                sha256: Sha256Digest([7; 32]),
                media_type: "video/mp4".into(),
                description: Some("the video".into()),
            }],
            witnesses: Some("a neighbour".into()),
        })
    }

    fn salt_for(slot: Slot) -> Salt {
        let mut s = [0u8; 32];
        s[..5].copy_from_slice(&slot.bytes());
        Salt(s)
    }

    #[test]
    fn committing_an_event_replaces_every_value_by_its_commitment() {
        let mut e = capture();
        let ds = commit_event(&mut e, salt_for).unwrap();
        let slots: Vec<String> = ds.iter().map(|d| d.slot.to_string()).collect();
        assert_eq!(
            slots,
            ["notes", "place", "witnesses", "attachments[0].description"]
        );
        assert!(e.check_form(crate::entry::VERSION_3).is_ok());
        assert!(e.check_form(crate::entry::VERSION_2).is_err());
        let states = check_disclosures(crate::entry::VERSION_3, &e, &ds, |_| None).unwrap();
        assert_eq!(states.len(), 4);
        assert!(states
            .iter()
            .all(|(_, s)| matches!(s, SlotState::Disclosed(_))));
        // Committing again changes nothing.
        let before = e.clone();
        assert!(commit_event(&mut e, salt_for).unwrap().is_empty());
        assert_eq!(e, before);
        // An invalid value is refused before anything is committed.
        let mut bad = capture();
        if let Event::Capture(c) = &mut bad {
            c.place = Some("bell \u{7}".into());
        }
        assert!(commit_event(&mut bad, salt_for).is_err());
    }

    #[test]
    fn every_case_of_the_disclosure_check() {
        let v3 = crate::entry::VERSION_3;
        let mut e = capture();
        let ds = commit_event(&mut e, salt_for).unwrap();
        let place = ds
            .iter()
            .find(|d| d.slot.code == CODE_PLACE)
            .unwrap()
            .clone();
        let check = |list: &[Disclosure]| check_disclosures(v3, &e, list, |_| None);
        // Withheld: nothing offered.
        let states = check(&[]).unwrap();
        assert!(states.iter().all(|(_, s)| *s == SlotState::Withheld));
        // Each alteration is refused, with its case.
        let mut wrong_salt = place.clone();
        wrong_salt.salt.0[31] ^= 1;
        assert_eq!(
            check(&[wrong_salt]),
            Err(DisclosureError::Mismatch { slot: place.slot })
        );
        let mut wrong_value = place.clone();
        wrong_value.value = DisclosedValue::Text("Mariupil".into());
        assert!(matches!(
            check(&[wrong_value]),
            Err(DisclosureError::Mismatch { .. })
        ));
        let mut wrong_part = place.clone();
        wrong_part.slot.part = 1;
        assert!(matches!(
            check(&[wrong_part]),
            Err(DisclosureError::NoSuchSlot { .. })
        ));
        let mut wrong_code = place.clone();
        wrong_code.slot.code = CODE_NOTES;
        assert!(matches!(
            check(&[wrong_code]),
            Err(DisclosureError::Mismatch { .. })
        ));
        let mut absent = place.clone();
        absent.slot.code = CODE_CIRCUMSTANCES;
        assert!(matches!(
            check(&[absent]),
            Err(DisclosureError::Absent { .. })
        ));
        let mut wrong_index = ds
            .iter()
            .find(|d| d.slot.code == CODE_DESCRIPTION)
            .unwrap()
            .clone();
        wrong_index.slot.index = 1;
        assert!(matches!(
            check(&[wrong_index]),
            Err(DisclosureError::NoSuchSlot { .. })
        ));
        assert!(matches!(
            check(&[place.clone(), place.clone()]),
            Err(DisclosureError::Repeated { .. })
        ));
        let notes = ds
            .iter()
            .find(|d| d.slot.code == CODE_NOTES)
            .unwrap()
            .clone();
        assert!(check(&[notes.clone(), place.clone()]).is_ok());
        assert!(matches!(
            check(&[place.clone(), notes]),
            Err(DisclosureError::Unsorted { .. })
        ));
        // A value that breaks the field rules is malformed even if it
        // matches its commitment.
        let bell = DisclosedValue::Text("bell \u{7}".into());
        let mut forged = e.clone();
        if let Event::Capture(c) = &mut forged {
            c.place = Some(Personal::Committed(commit(&place.salt, place.slot, &bell)));
        }
        let malformed = Disclosure {
            value: bell,
            ..place.clone()
        };
        assert!(matches!(
            check_disclosures(v3, &forged, &[malformed], |_| None),
            Err(DisclosureError::Malformed { .. })
        ));
        // A v2 entry has nothing to disclose.
        assert!(matches!(
            check_disclosures(
                crate::entry::VERSION_2,
                &capture(),
                std::slice::from_ref(&place),
                |_| None
            ),
            Err(DisclosureError::NotV3 { .. })
        ));
        // Redacted, and disclosed after a redaction.
        let redacted = |s: Slot| (s.code == CODE_PLACE).then_some(9);
        let states = check_disclosures(v3, &e, &[], redacted).unwrap();
        assert!(states.contains(&(place.slot, SlotState::Redacted { at: 9 })));
        let states = check_disclosures(v3, &e, std::slice::from_ref(&place), redacted).unwrap();
        assert!(states.contains(&(
            place.slot,
            SlotState::DisclosedAfterRedaction {
                value: place.value.clone(),
                at: 9
            }
        )));
    }
}
