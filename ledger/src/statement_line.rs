//! Statement lines (format v3, docs/design/format-v3.md §4.2): a signed
//! statement with its disclosures, one JSON object a line, as `custody
//! sign` writes them and `custody append --signed` and a registrar read
//! them.
//!
//! ```json
//! {"disclosures":[DISCLOSURE, …],"id":"<64 hex>","statement":"<base64 of body ‖ signature>","view":{…}}
//! ```
//!
//! The writer ([`to_line`]) and the reader ([`read_line`],
//! [`StatementLineReader`]) live side by side so that what one writes the
//! other reads back, and nothing else. Only the `statement` member's bytes
//! are trusted; `id` and `view` are claims about them, checked as an export
//! line's are (rule `claim`): a line whose claims differ from its bytes is
//! refused, since a person reading the view would believe something the
//! signature does not say. The disclosures are cleartext: each must open
//! its commitment, or the line is refused (rule `disclosure`).
//!
//! A line is sensitive: it holds personal data in clear. Nothing here
//! prints a disclosure's value or salt.

use base64::Engine;
use custody_format::commit::{check_disclosures, Disclosure, DisclosureError};
use custody_format::entry::VERSION_3;
use custody_format::json::StrictValue;
use custody_format::statement::{
    SignedStatement, StatementError, StatementId, StatementSignatureError,
};
use custody_format::text::clip;
use custody_format::time::Timestamp;
use serde_json::{Map, Value};
use std::io::BufRead;

/// Longest statement line read, in bytes (without its newline): a
/// statement as large as the largest entry, in base64, with its view and
/// its disclosures. Lines `custody sign` writes are a few kilobytes.
pub const MAX_LINE_BYTES: usize = 4 * custody_format::codec::MAX_ENTRY_BYTES;

/// The members of a statement line, in the order they are written (byte
/// order, as every JSON object custody writes).
const MEMBERS: [&str; 4] = ["disclosures", "id", "statement", "view"];

thread_local! {
    /// The authors' keys this thread has decoded: a server's request
    /// threads read statements of the same few investigators all day
    /// (`SignerKeys`: the same verdict, one decompression per key).
    static AUTHOR_KEYS: std::cell::RefCell<custody_format::key::SignerKeys> =
        std::cell::RefCell::default();
}

/// A statement line read and checked: the author's signature verifies, the
/// statement is valid, its claims match its bytes, and every disclosure
/// opens its commitment.
///
/// Only [`read_line`] makes one. It keeps the id and signature it
/// verified, so that the store skips verifying them again only if the
/// statement still carries exactly those (`Submitted::from`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadStatement {
    /// The signed statement (from the line's `statement` bytes).
    pub statement: SignedStatement,
    /// Its disclosures, sorted by slot; possibly fewer than its committed
    /// fields (a disclosure may be withheld), never an invalid one.
    pub disclosures: Vec<Disclosure>,
    /// The statement id and signature that were verified strictly.
    verified: (StatementId, [u8; 64]),
}

impl ReadStatement {
    /// The id and signature [`read_line`] verified (strictly).
    pub fn verified(&self) -> (StatementId, [u8; 64]) {
        self.verified
    }

    /// Registration's policy on the author's clock (design
    /// docs/design/format-v3.md §4.4): a statement whose `signed_at` is
    /// more than [`MAX_SIGNED_AHEAD_MICROS`] ahead of `now` (the
    /// registering machine's clock, `crate::clock::now`) is refused. Not a
    /// chain rule: `signed_at` is the author's claim, and a verifier never
    /// rejects an entry for it; but a field laptop whose clock says next
    /// month would put a misleading time beside the evidence for good, and
    /// a day covers every time zone and a clock a little off.
    pub fn check_signed_at(&self, now: Timestamp) -> Result<(), SignedAhead> {
        let signed_at = self.statement.body().signed_at;
        if signed_at.0.saturating_sub(now.0) > MAX_SIGNED_AHEAD_MICROS {
            return Err(SignedAhead { signed_at, now });
        }
        Ok(())
    }
}

/// How far ahead of the registering machine's clock a statement's
/// `signed_at` may be: one day ([`ReadStatement::check_signed_at`]).
pub const MAX_SIGNED_AHEAD_MICROS: i64 = custody_format::time::MICROS_PER_DAY;

/// A statement that claims to be signed more than a day after the
/// registering machine's clock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the statement claims it was signed at {signed_at}, more than a day ahead of this machine's clock ({now}): the clock of the machine that signed it, or this one, is wrong")]
pub struct SignedAhead {
    /// The statement's `signed_at` (the author's claim).
    pub signed_at: Timestamp,
    /// This machine's clock when it was read.
    pub now: Timestamp,
}

/// Why a statement line is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatementLineError {
    /// Not one JSON value, or a duplicate key, or bytes after it.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The value is not an object.
    #[error(
        "a statement line is a JSON object with the members disclosures, id, statement and view"
    )]
    NotObject,
    /// A member other than the four.
    #[error(
        "unknown member {0:?} (a statement line has exactly disclosures, id, statement and view)"
    )]
    UnknownMember(String),
    /// One of the four is missing.
    #[error(
        "missing member `{0}` (a statement line has exactly disclosures, id, statement and view)"
    )]
    MissingMember(&'static str),
    /// A member has the wrong JSON type.
    #[error("`{member}` must be {expected}")]
    MemberType {
        /// The member.
        member: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `statement` is not standard base64 with padding.
    #[error("`statement` is not standard base64 with padding: {0}")]
    Base64(String),
    /// The statement's bytes do not decode, or break a rule of the format
    /// (a governance event inside, a ledger name that cannot be one…).
    #[error("`statement`: {0}")]
    Statement(#[from] StatementError),
    /// The author's signature does not verify (rule
    /// `statement_signature`).
    #[error("`statement`: {0}")]
    Signature(#[from] StatementSignatureError),
    /// `id` is not the statement's identity (rule `claim`).
    #[error("`id` claims {claimed}, but the statement's bytes give {actual}: the claim was altered, or belongs to another statement")]
    IdClaim {
        /// What the line says (clipped).
        claimed: String,
        /// What the bytes give.
        actual: StatementId,
    },
    /// `view` differs from the view of the statement's bytes (rule
    /// `claim`).
    #[error("`{member}` differs from what the statement's bytes say: the view was altered, or belongs to another statement")]
    ViewClaim {
        /// The first member that differs, as a path (`view.event.place`).
        member: String,
    },
    /// A disclosure is not one (rule `disclosure`).
    #[error("`disclosures[{index}]`: {message}")]
    DisclosureFormat {
        /// Its position in the list.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// A disclosure does not open the statement's commitment in its slot,
    /// names a slot the event lacks or leaves empty, or is out of order
    /// (rule `disclosure`).
    #[error("`disclosures`, field {0}")]
    Disclosure(#[from] DisclosureError),
    /// Longer than [`MAX_LINE_BYTES`].
    #[error("the line is longer than {MAX_LINE_BYTES} bytes: it is not a statement line")]
    TooLong,
    /// Not UTF-8.
    #[error(
        "the line is not valid UTF-8 (byte {0}): a statement line is written by `custody sign`"
    )]
    NotUtf8(usize),
}

/// The statement line of `statement` with `disclosures` (sorted here by
/// slot), without a newline: compact JSON with every object's keys in byte
/// order, so the same statement and disclosures always give the same line.
pub fn to_line(statement: &SignedStatement, disclosures: &[Disclosure]) -> String {
    let mut sorted: Vec<&Disclosure> = disclosures.iter().collect();
    sorted.sort_by_key(|d| d.slot);
    let mut m = Map::new();
    m.insert(
        "disclosures".into(),
        Value::Array(sorted.iter().map(|d| d.to_json()).collect()),
    );
    m.insert("id".into(), Value::String(statement.id().to_string()));
    m.insert(
        "statement".into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(statement.to_bytes())),
    );
    m.insert("view".into(), statement.view());
    // serde_json's map is a BTreeMap (no `preserve_order`): keys are
    // written sorted, at every depth.
    Value::Object(m).to_string()
}

/// Reads one statement line (without its newline) and checks everything
/// it can be checked for without a ledger: the JSON (no duplicate key, no
/// unknown or missing member, nothing after the object), the statement's
/// bytes (strict base64, strict decoding, nothing left over, the format's
/// rules), the author's signature (strictly), the `id` and `view` claims,
/// and every disclosure. Whether the author may sign in a given ledger,
/// and whether the statement is already in it, are the ledger's to check.
///
/// It takes the line whole: a caller reading from a stream bounds it
/// first ([`StatementLineReader`] refuses lines over [`MAX_LINE_BYTES`]).
pub fn read_line(line: &str) -> Result<ReadStatement, StatementLineError> {
    let value = serde_json::from_str::<StrictValue>(line)
        .map_err(|e| StatementLineError::Json(e.to_string()))?
        .0;
    let Value::Object(mut m) = value else {
        return Err(StatementLineError::NotObject);
    };
    if let Some(k) = m.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(StatementLineError::UnknownMember(clip(k, 40)));
    }
    let mut take = |member: &'static str| {
        m.remove(member)
            .ok_or(StatementLineError::MissingMember(member))
    };
    let (disclosures, id, bytes, view) = (
        take("disclosures")?,
        take("id")?,
        take("statement")?,
        take("view")?,
    );
    let Value::String(bytes) = bytes else {
        return Err(StatementLineError::MemberType {
            member: "statement",
            expected: "a string (standard base64 of the statement's bytes)",
        });
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(bytes.as_bytes())
        .map_err(|e| StatementLineError::Base64(e.to_string()))?;
    // Decoding refuses trailing bytes and checks the format's rules
    // (`SignedStatement::validate`): an evidence event or a correction, in
    // its committed form, for a ledger name that can be one.
    let statement = SignedStatement::decode(&bytes)?;
    AUTHOR_KEYS.with_borrow_mut(|keys| statement.verify_with(keys))?;
    check_id_claim(&statement, &id)?;
    if let Some(member) = first_difference(&view, &statement.view(), "view") {
        return Err(StatementLineError::ViewClaim { member });
    }
    let disclosures = read_disclosures(disclosures)?;
    check_disclosures(VERSION_3, statement.event(), &disclosures, |_| None)?;
    Ok(ReadStatement {
        verified: (statement.id(), statement.signature()),
        statement,
        disclosures,
    })
}

fn check_id_claim(statement: &SignedStatement, id: &Value) -> Result<(), StatementLineError> {
    let Value::String(claimed) = id else {
        return Err(StatementLineError::MemberType {
            member: "id",
            expected: "a string (64 lowercase hex digits)",
        });
    };
    // One spelling: lowercase, as the writer writes it.
    if *claimed != statement.id().to_string() {
        return Err(StatementLineError::IdClaim {
            claimed: clip(claimed, 80),
            actual: statement.id(),
        });
    }
    Ok(())
}

fn read_disclosures(v: Value) -> Result<Vec<Disclosure>, StatementLineError> {
    let Value::Array(items) = v else {
        return Err(StatementLineError::MemberType {
            member: "disclosures",
            expected: "a list of disclosures (possibly empty)",
        });
    };
    items
        .iter()
        .enumerate()
        .map(|(index, d)| {
            Disclosure::from_json(d).map_err(|e| StatementLineError::DisclosureFormat {
                index,
                message: e.0,
            })
        })
        .collect()
}

/// The path of the first place `claimed` differs from `actual` (`None` if
/// they are equal): the member a reader of the claim was misled about.
fn first_difference(claimed: &Value, actual: &Value, path: &str) -> Option<String> {
    if claimed == actual {
        return None;
    }
    match (claimed, actual) {
        (Value::Object(c), Value::Object(a)) => {
            let mut keys: Vec<&String> = c.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .find_map(|k| match (c.get(k), a.get(k)) {
                    (Some(x), Some(y)) => {
                        first_difference(x, y, &format!("{path}.{}", clip(k, 40)))
                    }
                    _ => Some(format!("{path}.{}", clip(k, 40))),
                })
                .or_else(|| Some(path.to_string()))
        }
        (Value::Array(c), Value::Array(a)) if c.len() == a.len() => c
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, &format!("{path}[{i}]")))
            .or_else(|| Some(path.to_string())),
        _ => Some(path.to_string()),
    }
}

/// A statement line refused, and where.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// Why it was refused.
    pub error: StatementLineError,
}

/// Why reading statement lines stopped.
#[derive(Debug, thiserror::Error)]
#[error("cannot read statement lines after line {line}: {error}")]
pub struct ReadError {
    /// The last line read.
    pub line: usize,
    /// The I/O error.
    pub error: std::io::Error,
}

/// Reads statement lines from JSON Lines, yielding each with its 1-based
/// line number, or each refused line's error: after a refused line it
/// goes on with the next, so every bad line of a file is reported in one
/// go. Blank lines are skipped, and so is a UTF-8 byte-order mark at the
/// start. An I/O error ends it ([`StatementLineReader::next`] yields it
/// once).
pub struct StatementLineReader<R> {
    input: R,
    line_no: usize,
    done: bool,
}

impl<R: BufRead> StatementLineReader<R> {
    /// Reads from `input`.
    pub fn new(input: R) -> StatementLineReader<R> {
        StatementLineReader {
            input,
            line_no: 0,
            done: false,
        }
    }

    /// The next non-blank line's bytes, `Err(TooLong)` for one too long
    /// (skipped to its end), `None` at the end of the input.
    #[allow(clippy::type_complexity)]
    fn next_line(&mut self) -> Result<Option<Result<Vec<u8>, StatementLineError>>, ReadError> {
        loop {
            let mut bytes = Vec::new();
            let limit = MAX_LINE_BYTES as u64 + 2;
            let io = |line, error| ReadError { line, error };
            let n = std::io::Read::take(&mut self.input, limit)
                .read_until(b'\n', &mut bytes)
                .map_err(|e| io(self.line_no, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let ended = bytes.last() == Some(&b'\n');
            if ended {
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
            }
            if bytes.len() > MAX_LINE_BYTES {
                if !ended {
                    self.skip_to_line_end().map_err(|e| io(self.line_no, e))?;
                }
                return Ok(Some(Err(StatementLineError::TooLong)));
            }
            if self.line_no == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes.drain(..3);
            }
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(Ok(bytes)));
            }
        }
    }

    /// Consumes the rest of an over-long line, in pieces.
    fn skip_to_line_end(&mut self) -> std::io::Result<()> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            match buf.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    self.input.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = buf.len();
                    self.input.consume(n);
                }
            }
        }
    }
}

/// One item of a [`StatementLineReader`].
#[derive(Debug, thiserror::Error)]
pub enum StatementLineItemError {
    /// A line refused; reading goes on.
    #[error(transparent)]
    Line(#[from] LineError),
    /// The input cannot be read on; reading ends.
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl<R: BufRead> Iterator for StatementLineReader<R> {
    type Item = Result<(usize, ReadStatement), StatementLineItemError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bytes = match self.next_line() {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e.into()));
            }
        };
        let line = self.line_no;
        let read = bytes.and_then(|b| {
            std::str::from_utf8(&b)
                .map_err(|e| StatementLineError::NotUtf8(e.valid_up_to() + 1))
                .and_then(read_line)
        });
        Some(
            read.map(|s| (line, s))
                .map_err(|error| LineError { line, error }.into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{commit_fresh, EventReader};
    use custody_format::commit::{Slot, CODE_CIRCUMSTANCES, CODE_PLACE};
    use custody_format::event::{Event, Genesis, PublicKeyBytes};
    use custody_format::statement::{Nonce, StatementBody, STATEMENT_VERSION};
    use custody_testkit::keys::investigator;
    use proptest::prelude::*;

    fn statement_of(event: Event, nonce: u8) -> (SignedStatement, Vec<Disclosure>) {
        let mut event = event;
        let disclosures = commit_fresh(&mut event).unwrap();
        let key = investigator();
        let body = StatementBody {
            version: STATEMENT_VERSION,
            ledger: "test.ledger".into(),
            author: PublicKeyBytes(key.verifying_key().to_bytes()),
            signed_at: Timestamp(1_700_000_000_000_000),
            nonce: Nonce([nonce; 16]),
            event: Box::new(event),
        };
        (SignedStatement::sign(body, &key).unwrap(), disclosures)
    }

    /// An event as `custody sign` reads it (`witnesses` accepted).
    fn v3_event(v: Value) -> Event {
        let text = v.to_string();
        let mut reader = EventReader::new(text.as_bytes());
        reader.next().unwrap().unwrap().1
    }

    fn capture() -> Event {
        v3_event(serde_json::json!({
            "type": "capture", "person": "UA-0101", "occurred_at": "2022-05-17",
            "place": "Mariupol", "notes": "seen at the plant",
            "witnesses": "a neighbour, +380 00 000 0000"
        }))
    }

    fn good_line() -> String {
        let (s, d) = statement_of(capture(), 1);
        to_line(&s, &d)
    }

    /// The line as JSON, changed by `f`, written back.
    fn altered(line: &str, f: impl FnOnce(&mut Value)) -> String {
        let mut v: Value = serde_json::from_str(line).unwrap();
        f(&mut v);
        v.to_string()
    }

    #[test]
    fn a_line_reads_back_as_what_was_written_and_is_deterministic() {
        let (s, d) = statement_of(capture(), 1);
        let line = to_line(&s, &d);
        assert_eq!(line, to_line(&s, &d));
        // The members, in byte order, and nothing else.
        assert!(
            line.starts_with(r#"{"disclosures":[{"field":"notes","#),
            "{line}"
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["disclosures", "id", "statement", "view"]);
        assert_eq!(v["view"]["signed_at"], "2023-11-14T22:13:20Z");
        assert_eq!(
            v["view"]["event"]["place"]["commitment"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
        let read = read_line(&line).unwrap();
        assert_eq!(read.statement, s);
        assert_eq!(read.disclosures, d);
        assert_eq!(read.disclosures.len(), 3, "notes, place, witnesses");
        // Disclosures given out of order are sorted by the writer.
        let mut reversed = d.clone();
        reversed.reverse();
        assert_eq!(to_line(&s, &reversed), line);
    }

    /// A day ahead of the registering clock is accepted, a microsecond
    /// more is refused; any time before it, however old, is accepted.
    #[test]
    fn a_statement_signed_more_than_a_day_ahead_is_refused() {
        let read = read_line(&good_line()).unwrap();
        let signed_at = read.statement.body().signed_at;
        let clock = |ahead: i64| Timestamp(signed_at.0 - ahead);
        assert!(read.check_signed_at(clock(MAX_SIGNED_AHEAD_MICROS)).is_ok());
        assert!(read
            .check_signed_at(clock(-10 * MAX_SIGNED_AHEAD_MICROS))
            .is_ok());
        let e = read
            .check_signed_at(clock(MAX_SIGNED_AHEAD_MICROS + 1))
            .unwrap_err();
        assert_eq!(e.signed_at, signed_at);
        assert!(
            e.to_string()
                .contains("signed at 2023-11-14T22:13:20Z, more than a day ahead"),
            "{e}"
        );
    }

    #[test]
    fn an_altered_id_claim_is_refused() {
        let line = altered(&good_line(), |v| v["id"] = Value::String("ab".repeat(32)));
        let e = read_line(&line).unwrap_err();
        assert!(matches!(e, StatementLineError::IdClaim { .. }), "{e}");
        assert!(e.to_string().starts_with("`id` claims abab"), "{e}");
        // The id in capitals is another spelling of it: refused too.
        let line = altered(&good_line(), |v| {
            v["id"] = Value::String(v["id"].as_str().unwrap().to_uppercase())
        });
        assert!(matches!(
            read_line(&line),
            Err(StatementLineError::IdClaim { .. })
        ));
    }

    #[test]
    fn an_altered_view_claim_is_refused_naming_the_member() {
        for (path, change) in [
            ("view.signed_at", serde_json::json!("2024-01-01T00:00:00Z")),
            ("view.ledger", serde_json::json!("other.ledger")),
        ] {
            let key = path.strip_prefix("view.").unwrap();
            let line = altered(&good_line(), |v| v["view"][key] = change.clone());
            let e = read_line(&line).unwrap_err();
            assert!(
                matches!(&e, StatementLineError::ViewClaim { member } if member == path),
                "{e}"
            );
        }
        // A view that says the person is another person.
        let line = altered(&good_line(), |v| {
            v["view"]["event"]["person"] = Value::String("UA-0102".into())
        });
        let e = read_line(&line).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`view.event.person` differs from what the statement's bytes say: the view was altered, or belongs to another statement"
        );
        // A member added to the view, or removed from it.
        let line = altered(&good_line(), |v| v["view"]["extra"] = Value::Bool(true));
        assert!(
            matches!(read_line(&line), Err(StatementLineError::ViewClaim { member }) if member == "view.extra")
        );
        let line = altered(&good_line(), |v| {
            v["view"].as_object_mut().unwrap().remove("nonce");
        });
        assert!(
            matches!(read_line(&line), Err(StatementLineError::ViewClaim { member }) if member == "view.nonce")
        );
    }

    fn with_statement_bytes(line: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
        altered(line, |v| {
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut bytes = b64.decode(v["statement"].as_str().unwrap()).unwrap();
            f(&mut bytes);
            v["statement"] = Value::String(b64.encode(bytes));
        })
    }

    #[test]
    fn an_altered_signature_byte_is_refused() {
        for i in [0, 31, 63] {
            let line = with_statement_bytes(&good_line(), |b| {
                let at = b.len() - 64 + i;
                b[at] ^= 0x01;
            });
            let e = read_line(&line).unwrap_err();
            assert!(
                matches!(
                    e,
                    StatementLineError::Signature(StatementSignatureError::Invalid)
                ),
                "{e}"
            );
        }
        // A byte of the body: the signature no longer covers it.
        let line = with_statement_bytes(&good_line(), |b| b[40] ^= 0x01);
        assert!(read_line(&line).is_err());
    }

    #[test]
    fn bytes_after_the_statement_or_the_object_are_refused() {
        let line = with_statement_bytes(&good_line(), |b| b.push(0));
        let e = read_line(&line).unwrap_err();
        assert!(matches!(e, StatementLineError::Statement(_)), "{e}");
        let e = read_line(&format!("{} x", good_line())).unwrap_err();
        assert!(
            matches!(&e, StatementLineError::Json(m) if m.contains("trailing characters")),
            "{e}"
        );
        let e = read_line(&format!("{}{{}}", good_line())).unwrap_err();
        assert!(matches!(e, StatementLineError::Json(_)), "{e}");
    }

    #[test]
    fn base64_other_than_standard_with_padding_is_refused() {
        let line = good_line();
        let v: Value = serde_json::from_str(&line).unwrap();
        let b64 = v["statement"].as_str().unwrap().to_string();
        let unpadded = b64.trim_end_matches('=').to_string();
        let url_safe = base64::engine::general_purpose::URL_SAFE.encode(
            base64::engine::general_purpose::STANDARD
                .decode(&b64)
                .unwrap(),
        );
        let mut candidates = vec![format!("{b64}!"), format!(" {b64}")];
        if unpadded != b64 {
            candidates.push(unpadded);
        }
        if url_safe != b64 {
            candidates.push(url_safe);
        }
        for bad in candidates {
            let line = altered(&line, |v| v["statement"] = Value::String(bad.clone()));
            let e = read_line(&line).unwrap_err();
            assert!(matches!(e, StatementLineError::Base64(_)), "{bad}: {e}");
        }
        let line = altered(&line, |v| v["statement"] = Value::from(7));
        assert!(matches!(
            read_line(&line),
            Err(StatementLineError::MemberType {
                member: "statement",
                ..
            })
        ));
    }

    fn disclosure_json(line: &str, field: &str) -> Value {
        let v: Value = serde_json::from_str(line).unwrap();
        v["disclosures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["field"] == field)
            .unwrap()
            .clone()
    }

    fn replace_disclosure(line: &str, field: &str, f: impl FnOnce(&mut Value)) -> String {
        altered(line, |v| {
            let d = v["disclosures"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|d| d["field"] == field)
                .unwrap();
            f(d);
        })
    }

    #[test]
    fn an_altered_disclosure_value_or_salt_is_refused_naming_the_field() {
        let line = good_line();
        let wrong_value = replace_disclosure(&line, "place", |d| {
            d["value"] = Value::String("Mariupil".into())
        });
        let e = read_line(&wrong_value).unwrap_err();
        assert!(
            matches!(e, StatementLineError::Disclosure(DisclosureError::Mismatch { slot }) if slot == Slot::new(0, CODE_PLACE)),
            "{e}"
        );
        assert!(
            e.to_string().starts_with("`disclosures`, field place: "),
            "{e}"
        );
        let wrong_salt = replace_disclosure(&line, "witnesses", |d| {
            let mut salt = d["salt"].as_str().unwrap().to_string();
            let last = if salt.ends_with('0') { "1" } else { "0" };
            salt.replace_range(63.., last);
            d["salt"] = Value::String(salt);
        });
        let e = read_line(&wrong_salt).unwrap_err();
        assert!(e.to_string().contains("field witnesses: "), "{e}");
        // A value breaking the field rules is refused as it is read.
        let bell = replace_disclosure(&line, "place", |d| {
            d["value"] = Value::String("a\u{7}".into())
        });
        let e = read_line(&bell).unwrap_err();
        assert!(
            matches!(&e, StatementLineError::DisclosureFormat { index: 1, message } if message.contains("control character")),
            "{e}"
        );
    }

    #[test]
    fn a_disclosure_for_an_absent_or_unknown_slot_is_refused() {
        let line = good_line();
        // The capture has no circumstances: nothing to disclose there.
        let absent = altered(&line, |v| {
            let mut d = disclosure_json(&line, "place");
            d["field"] = Value::String("circumstances".into());
            v["disclosures"].as_array_mut().unwrap().insert(2, d);
        });
        let e = read_line(&absent).unwrap_err();
        assert!(
            matches!(e, StatementLineError::Disclosure(DisclosureError::Absent { slot }) if slot == Slot::new(0, CODE_CIRCUMSTANCES)),
            "{e}"
        );
        // A capture has no `name`; part 1 exists only in a correction.
        let no_such = altered(&line, |v| {
            let mut d = disclosure_json(&line, "place");
            d["field"] = Value::String("name".into());
            v["disclosures"].as_array_mut().unwrap().insert(2, d);
        });
        assert!(matches!(
            read_line(&no_such),
            Err(StatementLineError::Disclosure(
                DisclosureError::NoSuchSlot { .. }
            ))
        ));
        // Out of slot order, or twice.
        let swapped = altered(&line, |v| {
            v["disclosures"].as_array_mut().unwrap().swap(0, 1)
        });
        assert!(matches!(
            read_line(&swapped),
            Err(StatementLineError::Disclosure(
                DisclosureError::Unsorted { .. }
            ))
        ));
        let twice = altered(&line, |v| {
            let d = disclosure_json(&line, "witnesses");
            v["disclosures"].as_array_mut().unwrap().push(d);
        });
        assert!(matches!(
            read_line(&twice),
            Err(StatementLineError::Disclosure(
                DisclosureError::Repeated { .. }
            ))
        ));
        // Withholding a disclosure is not an error.
        let withheld = altered(&line, |v| {
            v["disclosures"].as_array_mut().unwrap().remove(0);
        });
        assert_eq!(read_line(&withheld).unwrap().disclosures.len(), 2);
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let line = good_line();
        let id = serde_json::from_str::<Value>(&line).unwrap()["id"].clone();
        let top = line.replacen("{", &format!("{{\"id\":{id},"), 1);
        let in_view = line.replacen("\"view\":{", "\"view\":{\"version\":1,", 1);
        let in_disclosure = line.replacen("[{", "[{\"index\":0,", 1);
        for text in [top, in_view, in_disclosure] {
            let e = read_line(&text).unwrap_err();
            assert!(
                matches!(&e, StatementLineError::Json(m) if m.contains("duplicate key")),
                "{e}"
            );
        }
    }

    #[test]
    fn unknown_missing_or_mistyped_members_are_refused() {
        let line = good_line();
        let extra = altered(&line, |v| v["receipt"] = Value::Null);
        assert!(
            matches!(read_line(&extra), Err(StatementLineError::UnknownMember(m)) if m == "receipt")
        );
        for member in MEMBERS {
            let missing = altered(&line, |v| {
                v.as_object_mut().unwrap().remove(member);
            });
            assert!(
                matches!(read_line(&missing), Err(StatementLineError::MissingMember(m)) if m == member),
                "{member}"
            );
        }
        assert!(matches!(
            read_line("[1]"),
            Err(StatementLineError::NotObject)
        ));
        let no_list = altered(&line, |v| v["disclosures"] = Value::Object(Map::new()));
        assert!(matches!(
            read_line(&no_list),
            Err(StatementLineError::MemberType {
                member: "disclosures",
                ..
            })
        ));
    }

    /// A statement whose bytes carry what no statement may: refused on
    /// decoding, whatever its signature.
    fn line_of_body(body: StatementBody) -> String {
        let key = investigator();
        let s = SignedStatement::from_parts(body, [0; 64]).unwrap();
        let signature = ed25519_dalek::Signer::sign(&key, &s.id().0).to_bytes();
        let s = SignedStatement::from_parts(s.body().clone(), signature).unwrap();
        s.verify().unwrap();
        to_line(&s, &[])
    }

    #[test]
    fn a_statement_of_a_governance_event_is_refused() {
        let key = investigator();
        let author = PublicKeyBytes(key.verifying_key().to_bytes());
        let body = StatementBody {
            version: STATEMENT_VERSION,
            ledger: "test.ledger".into(),
            author,
            signed_at: Timestamp(1_700_000_000_000_000),
            nonce: Nonce([3; 16]),
            event: Box::new(Event::Genesis(Genesis {
                ledger_name: "test.ledger".into(),
                authority_key: author,
                authority_holder: "me".into(),
            })),
        };
        let e = read_line(&line_of_body(body)).unwrap_err();
        assert!(
            matches!(e, StatementLineError::Statement(StatementError::Field(_))),
            "{e}"
        );
        assert!(e.to_string().contains("not genesis"), "{e}");
    }

    #[test]
    fn a_statement_with_a_cleartext_field_cannot_be_made() {
        // Never committed: a v3 event has no encoding for cleartext.
        let key = investigator();
        let body = StatementBody {
            version: STATEMENT_VERSION,
            ledger: "test.ledger".into(),
            author: PublicKeyBytes(key.verifying_key().to_bytes()),
            signed_at: Timestamp(1_700_000_000_000_000),
            nonce: Nonce([4; 16]),
            event: Box::new(capture()),
        };
        assert!(SignedStatement::from_parts(body, [0; 64]).is_err());
    }

    #[test]
    fn the_reader_reports_every_bad_line_with_its_number_and_goes_on() {
        let good: Vec<String> = (0..40)
            .map(|i| {
                let (s, d) = statement_of(capture(), i);
                to_line(&s, &d)
            })
            .collect();
        let mut text = String::from("\u{feff}");
        let mut bad_lines = Vec::new();
        for (i, line) in good.iter().enumerate() {
            let n = text.lines().count() + 1;
            match i {
                7 => {
                    text += &altered(line, |v| v["id"] = Value::String("00".repeat(32)));
                    bad_lines.push(n);
                }
                19 => {
                    text += &"x".repeat(MAX_LINE_BYTES + 10);
                    bad_lines.push(n);
                }
                33 => {
                    text += &format!("{line}\u{0}");
                    bad_lines.push(n);
                }
                _ => text += line,
            }
            text += if i % 5 == 0 { "\r\n" } else { "\n" };
            if i == 10 {
                text += "\n   \n";
            }
        }
        let mut read = 0;
        let mut refused = Vec::new();
        for item in StatementLineReader::new(text.as_bytes()) {
            match item {
                Ok((line, s)) => {
                    read += 1;
                    assert_eq!(s.statement.event().person().unwrap().as_str(), "UA-0101");
                    assert!(!bad_lines.contains(&line));
                }
                Err(StatementLineItemError::Line(e)) => refused.push(e.line),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(read, 37);
        assert_eq!(refused, bad_lines);
        let e = StatementLineReader::new("{\"a\":1}\n".as_bytes())
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: unknown member \"a\" (a statement line has exactly disclosures, id, statement and view)"
        );
        // Bytes that are not UTF-8 are refused, with the line.
        let mut raw = good[0].clone().into_bytes();
        raw.push(b'\n');
        raw.extend_from_slice(b"\xff\xfe\n");
        raw.extend_from_slice(good[1].as_bytes());
        let items: Vec<_> = StatementLineReader::new(raw.as_slice()).collect();
        assert_eq!(items.len(), 3);
        assert!(matches!(
            &items[1],
            Err(StatementLineItemError::Line(LineError {
                line: 2,
                error: StatementLineError::NotUtf8(1)
            }))
        ));
        assert!(items[2].is_ok());
    }

    fn evidence_with_witnesses() -> impl Strategy<Value = Event> {
        (
            custody_testkit::strategy::evidence(),
            custody_testkit::strategy::opt_text(),
        )
            .prop_map(|(event, witnesses)| {
                let mut v = serde_json::to_value(&event).unwrap();
                if let Some(w) = witnesses {
                    v["witnesses"] = Value::String(w);
                }
                v3_event(v)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn write_then_read_gives_back_the_statement_and_its_disclosures(
            event in evidence_with_witnesses(), nonce in any::<u8>()
        ) {
            let (s, d) = statement_of(event, nonce);
            let line = to_line(&s, &d);
            prop_assert!(!line.contains('\n'));
            let read = read_line(&line).unwrap();
            prop_assert_eq!(&read.statement, &s);
            prop_assert_eq!(&read.disclosures, &d);
            prop_assert_eq!(to_line(&read.statement, &read.disclosures), line);
        }
    }
}
