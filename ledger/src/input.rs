//! Reading evidence from JSON: one object, or JSON Lines (one object a line).
//!
//! Investigators type these by hand or produce them with scripts, so every
//! refusal names the line and the field (`line 3, field
//! attachments[0].sha256: …`) and says what to write instead. Unknown fields
//! are refused rather than ignored: a typo such as `ocurred_at` must not
//! silently drop a date from signed evidence.
//!
//! Input is read as a stream of records, so a batch larger than memory can
//! be parsed record by record. A record is one line, or, when an object is
//! pretty-printed over several lines, the lines up to its closing brace.
//! After a refused record the reader goes on with the next line, so that
//! every error of a file can be reported in one go; only what leaves the
//! rest unreadable (UTF-16, an over-long record, an I/O error) ends it.
//!
//! ## Input sugar (with an [`InputContext`])
//!
//! `custody append` reads with an [`InputContext`], which adds what only
//! input needs; the signed event is the same as if it had been written out
//! in full:
//! - a correction's or dispute's `target` may be the first
//!   [`MIN_TARGET_PREFIX`] or more hex digits of the entry's hash, or
//!   `"target_seq": N` may name it by sequence number; the context resolves
//!   either to the full hash against the ledger, before anything is signed;
//! - an attachment may name a `file`, which is read and hashed (SHA-256,
//!   streamed) to fill `sha256`, and whose extension gives `media_type`
//!   unless one is given; the file itself is never stored;
//! - dates after today (`occurred_at`, `date_of_birth`) are refused.

use custody_format::event::{
    Capture, Correction, Correspondence, Death, Denial, Dispute, EntryHash, Event, FieldError,
    IcrcNotification, IllTreatment, Inquiry, LegalProceeding, MissingReport, Release,
    RemainsReturned, Sighting, Transfer, Visit,
};
use custody_format::json::StrictValue;
use custody_format::time::{OccurredAt, Timestamp};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Fewest hex digits of an entry hash accepted as a correction's or a
/// dispute's `target`: 48 bits, so that a ledger of millions of entries
/// still has few prefixes in common, and `custody log` shows 16.
pub const MIN_TARGET_PREFIX: usize = 12;

/// How far ahead of UTC the latest time zone is (UTC+14): a calendar date
/// there may be one day ahead of the UTC date, and is not in the future.
const LATEST_ZONE_MICROS: i64 = 14 * 3600 * 1_000_000;

/// How far ahead of this machine's clock an instant may be: clocks differ
/// by a few minutes.
const INSTANT_SKEW_MICROS: i64 = 5 * 60 * 1_000_000;

/// A target named otherwise than by its full hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetRef<'a> {
    /// The first hex digits of the entry's hash (at least
    /// [`MIN_TARGET_PREFIX`]).
    Prefix(&'a str),
    /// The entry's sequence number.
    Seq(u64),
}

/// Finds the entry a [`TargetRef`] names (the ledger, for `custody
/// append`).
pub trait ResolveTarget {
    /// The full hash of the one entry named, or why there is none (unknown,
    /// ambiguous) and how to find it.
    fn resolve(&self, target: TargetRef<'_>) -> Result<EntryHash, String>;
}

/// What reading user input needs beyond the record itself (see the module
/// docs).
pub struct InputContext<'a> {
    /// Resolves targets named by prefix or sequence number.
    pub targets: &'a dyn ResolveTarget,
    /// The directory an attachment's relative `file` is relative to (the
    /// input file's directory; the working directory for standard input).
    pub base_dir: PathBuf,
    /// Now, for refusing dates in the future.
    pub now: Timestamp,
}

/// Largest JSON record (one event, with its attachments), in bytes.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Deepest nesting of JSON arrays and objects accepted in a record. The
/// vocabulary needs 4 (a correction's replacement's attachment list's
/// object); anything deeper is not an event.
pub const MAX_JSON_DEPTH: usize = 8;

/// A record that could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
pub struct InputError {
    /// 1-based line where the record starts (or where a syntax error is).
    pub line: usize,
    /// The field at fault, as a path such as `attachments[0].sha256`.
    pub field: Option<String>,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl InputError {
    fn at(line: usize, e: FieldError) -> InputError {
        InputError {
            line,
            field: Some(e.field),
            message: e.message,
        }
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Parses one event from a JSON value (an object with a `type`), as it is
/// written out in full (no input sugar, no check of dates against today).
///
/// Only evidence and corrections are accepted: governance entries are
/// written by `custody init` and `custody key grant|revoke`, which check
/// their own rules.
pub fn event_from_value(value: Value) -> Result<Event, FieldError> {
    parse_event(value, None)
}

/// Parses one event as [`event_from_value`] does, with the input sugar and
/// the checks of `ctx` (see the module docs).
pub fn event_from_value_in(value: Value, ctx: &InputContext<'_>) -> Result<Event, FieldError> {
    parse_event(value, Some(ctx))
}

/// Every event is committed and signed in format v3, so evidence may carry
/// `witnesses` (design docs/design/format-v3.md §2.2), which a correction
/// has not (refused there as an unknown field).
fn parse_event(value: Value, ctx: Option<&InputContext<'_>>) -> Result<Event, FieldError> {
    if depth(&value) > MAX_JSON_DEPTH {
        return Err(FieldError::new(
            "(record)",
            format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"),
        ));
    }
    let Value::Object(mut map) = value else {
        return Err(FieldError::new(
            "(record)",
            "expected a JSON object such as {\"type\":\"capture\",…}",
        ));
    };
    let type_name = match map.remove("type") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(FieldError::new("type", "must be a string")),
        // A line `custody sign` wrote: a statement, not an event.
        None if map.contains_key("statement") && map.contains_key("disclosures") => {
            return Err(FieldError::new(
                "type",
                "missing: this line is a signed statement (from `custody sign`), not an event; register statement files with `custody append --signed`",
            ))
        }
        None => {
            return Err(FieldError::new(
                "type",
                format!(
                    "missing; expected one of {}",
                    Event::EVIDENCE_TYPES.join(", ")
                ),
            ))
        }
    };
    if let Some(ctx) = ctx {
        if matches!(type_name.as_str(), "correction" | "dispute") {
            resolve_target(&mut map, ctx)?;
        }
        hash_attachment_files(&mut map, ctx)?;
    }
    // Taken out before the type's fields are read (they skip it), and put
    // back once the event is built. A correction has no such field, so
    // theirs stays in the map and is refused as unknown.
    let witnesses = if type_name != "correction" {
        take_witnesses(&mut map)?
    } else {
        None
    };
    let mut event = match type_name.as_str() {
        "missing_report" => Event::MissingReport(fields::<MissingReport>(map)?),
        "capture" => Event::Capture(fields::<Capture>(map)?),
        "icrc_notification" => Event::IcrcNotification(fields::<IcrcNotification>(map)?),
        "sighting" => Event::Sighting(fields::<Sighting>(map)?),
        "release" => Event::Release(fields::<Release>(map)?),
        "death" => Event::Death(fields::<Death>(map)?),
        "correspondence" => Event::Correspondence(fields::<Correspondence>(map)?),
        "denial" => Event::Denial(fields::<Denial>(map)?),
        "inquiry" => Event::Inquiry(fields::<Inquiry>(map)?),
        "transfer" => Event::Transfer(fields::<Transfer>(map)?),
        "visit" => Event::Visit(fields::<Visit>(map)?),
        "legal_proceeding" => Event::LegalProceeding(fields::<LegalProceeding>(map)?),
        "ill_treatment" => Event::IllTreatment(fields::<IllTreatment>(map)?),
        "remains_returned" => Event::RemainsReturned(fields::<RemainsReturned>(map)?),
        "dispute" => Event::Dispute(fields::<Dispute>(map)?),
        "correction" => Event::Correction(correction(map, ctx)?),
        "genesis" | "key_granted" | "key_revoked" => {
            return Err(FieldError::new(
                "type",
                format!("`{type_name}` entries are written by `custody init` and `custody key grant|revoke`, not by append"),
            ))
        }
        "checkpoint" | "seal" => {
            return Err(FieldError::new(
                "type",
                format!("`{type_name}` entries are written by `custody checkpoint`, not by append"),
            ))
        }
        "clock_correction" => {
            return Err(FieldError::new(
                "type",
                "`clock_correction` entries are written by `custody correct-clock`, not by append",
            ))
        }
        // Format v3 events written by their own commands (docs/design/format-v3.md).
        "statement" => {
            return Err(FieldError::new(
                "type",
                "`statement` entries carry evidence signed by its author: sign the event with `custody sign`; the statement is registered by `custody append --signed`, not by append of a JSON event",
            ))
        }
        "redaction" => {
            return Err(FieldError::new(
                "type",
                "`redaction` entries are written by `custody redact`, not by append",
            ))
        }
        "predecessor" => {
            return Err(FieldError::new(
                "type",
                "`predecessor` entries begin a re-issued ledger and are written by `custody reissue` (docs/design/format-v3.md §9; not in this build yet), not by append",
            ))
        }
        other => {
            return Err(FieldError::new(
                "type",
                format!(
                    "unknown type {:?}; expected one of {}",
                    custody_format::text::clip(other, 40),
                    Event::EVIDENCE_TYPES.join(", ")
                ),
            ))
        }
    };
    if let Some(w) = witnesses {
        if let Some(slot) = witnesses_of(&mut event) {
            *slot = Some(w.into());
        }
    }
    event.validate()?;
    if let Some(ctx) = ctx {
        check_not_future(&event, ctx.now)?;
    }
    Ok(event)
}

/// Removes `witnesses` from an event's fields: a string, or absent (null).
fn take_witnesses(map: &mut Map<String, Value>) -> Result<Option<String>, FieldError> {
    match map.remove("witnesses") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(w)) => Ok(Some(w)),
        Some(_) => Err(FieldError::new(
            "witnesses",
            "must be text (who saw, told or carried the information)",
        )),
    }
}

/// The `witnesses` field of an evidence event.
fn witnesses_of(event: &mut Event) -> Option<&mut Option<custody_format::event::Personal<String>>> {
    Some(match event {
        Event::MissingReport(e) => &mut e.witnesses,
        Event::Capture(e) => &mut e.witnesses,
        Event::IcrcNotification(e) => &mut e.witnesses,
        Event::Sighting(e) => &mut e.witnesses,
        Event::Release(e) => &mut e.witnesses,
        Event::Death(e) => &mut e.witnesses,
        Event::Correspondence(e) => &mut e.witnesses,
        Event::Denial(e) => &mut e.witnesses,
        Event::Inquiry(e) => &mut e.witnesses,
        Event::Transfer(e) => &mut e.witnesses,
        Event::Visit(e) => &mut e.witnesses,
        Event::LegalProceeding(e) => &mut e.witnesses,
        Event::IllTreatment(e) => &mut e.witnesses,
        Event::RemainsReturned(e) => &mut e.witnesses,
        Event::Dispute(e) => &mut e.witnesses,
        _ => return None,
    })
}

/// Replaces a `target` given as a hash prefix, or a `target_seq`, by the
/// full hash of the entry it names.
fn resolve_target(map: &mut Map<String, Value>, ctx: &InputContext<'_>) -> Result<(), FieldError> {
    let by_seq = map.remove("target_seq");
    let hash = match (map.get("target"), by_seq) {
        (Some(_), Some(_)) => {
            return Err(FieldError::new(
                "target_seq",
                "give `target` or `target_seq`, not both",
            ))
        }
        (None, Some(v)) => {
            let seq = v.as_u64().ok_or_else(|| {
                FieldError::new(
                    "target_seq",
                    "must be an entry's sequence number (a whole number, as `custody log` shows it)",
                )
            })?;
            ctx.targets
                .resolve(TargetRef::Seq(seq))
                .map_err(|m| FieldError::new("target_seq", m))?
        }
        (Some(Value::String(t)), None)
            if t.len() < 64 && !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            if t.len() < MIN_TARGET_PREFIX {
                return Err(FieldError::new(
                    "target",
                    format!(
                        "is {} hex digits, too few to name one entry: give at least {MIN_TARGET_PREFIX} of the entry's hash (or all 64), or name it by number with \"target_seq\"",
                        t.len()
                    ),
                ));
            }
            ctx.targets
                .resolve(TargetRef::Prefix(&t.to_ascii_lowercase()))
                .map_err(|m| FieldError::new("target", m))?
        }
        _ => return Ok(()),
    };
    map.insert("target".into(), Value::String(hash.to_hex()));
    Ok(())
}

/// Fills `sha256` (and `media_type`, unless given) of every attachment
/// that names a `file`, from the file, and removes `file`.
fn hash_attachment_files(
    map: &mut Map<String, Value>,
    ctx: &InputContext<'_>,
) -> Result<(), FieldError> {
    let Some(Value::Array(list)) = map.get_mut("attachments") else {
        return Ok(());
    };
    for (i, item) in list.iter_mut().enumerate() {
        let Value::Object(att) = item else { continue };
        let Some(file) = att.remove("file") else {
            continue;
        };
        let field = |name: &str| format!("attachments[{i}].{name}");
        let Value::String(file) = file else {
            return Err(FieldError::new(
                field("file"),
                "must be a path, as a string",
            ));
        };
        let path = ctx.base_dir.join(&file);
        let shown = custody_format::text::clip(&path.display().to_string(), 200);
        let digest = sha256_of_file(&path).map_err(|e| {
            let message = match e {
                FileProblem::NotRegular(what) => format!(
                    "{shown} is not a regular file: it is {what}, which has no fixed end to hash; name the file itself"
                ),
                FileProblem::Io(e) => format!(
                    "cannot read {shown}: {e} (a relative path is relative to the input file's directory, or to the working directory for standard input)"
                ),
            };
            FieldError::new(field("file"), message)
        })?;
        let hex = hex::encode(digest);
        match att.get("sha256") {
            Some(Value::String(given)) if given.eq_ignore_ascii_case(&hex) => {}
            Some(given) => {
                return Err(FieldError::new(
                    field("sha256"),
                    format!(
                        "{} is not the SHA-256 of {file:?}, which is {hex}: the file changed, or the hash is of another file; give one of them",
                        custody_format::text::clip(&given.to_string(), 80)
                    ),
                ))
            }
            None => {
                att.insert("sha256".into(), Value::String(hex));
            }
        }
        if !att.contains_key("media_type") {
            let media_type = mime_guess::from_path(&path)
                .first_raw()
                .unwrap_or("application/octet-stream");
            att.insert("media_type".into(), Value::String(media_type.into()));
        }
    }
    Ok(())
}

/// Why an attachment's file could not be hashed.
enum FileProblem {
    /// It is not a regular file: what it is.
    NotRegular(&'static str),
    Io(std::io::Error),
}

impl From<std::io::Error> for FileProblem {
    fn from(e: std::io::Error) -> FileProblem {
        FileProblem::Io(e)
    }
}

/// What a file that is not a regular one is, in words.
fn kind_of(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// SHA-256 of a file's bytes, read in pieces (a video may not fit in
/// memory).
///
/// Only a regular file (after following symlinks) is read: a FIFO, or a
/// device such as `/dev/zero`, never ends, and append would wait for ever
/// while holding the store's write lock. The type is checked before the
/// open (opening a FIFO for reading blocks until a writer appears) and
/// again on the opened handle, so a swap between the two does not help.
fn sha256_of_file(path: &Path) -> Result<[u8; 32], FileProblem> {
    use sha2::Digest;
    use std::io::Read;
    let before = std::fs::metadata(path)?;
    if !before.is_file() {
        return Err(FileProblem::NotRegular(kind_of(before.file_type())));
    }
    let mut file = std::fs::File::open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(FileProblem::NotRegular(kind_of(opened.file_type())));
    }
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

/// Refuses an `occurred_at` or a `date_of_birth` after today.
fn check_not_future(event: &Event, now: Timestamp) -> Result<(), FieldError> {
    if let Some(at) = event.occurred_at() {
        future_problem(at, now).map_or(Ok(()), |m| Err(FieldError::new("occurred_at", m)))?;
    }
    if let Event::MissingReport(m) = event {
        if let Some(custody_format::event::Personal::Clear(born)) = m.date_of_birth {
            future_problem(born, now)
                .map_or(Ok(()), |m| Err(FieldError::new("date_of_birth", m)))?;
        }
    }
    Ok(())
}

/// Why `at` is in the future, if it is: a period that begins after today
/// (today anywhere: UTC+14 is a day ahead of UTC), or an instant later than
/// now (give or take clocks' minutes).
fn future_problem(at: OccurredAt, now: Timestamp) -> Option<String> {
    let slack = if at.is_instant() {
        INSTANT_SKEW_MICROS
    } else {
        LATEST_ZONE_MICROS
    };
    if at.start_micros() <= now.0.saturating_add(slack) {
        return None;
    }
    let today = now
        .to_datetime()
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| now.to_string());
    Some(if at.is_instant() {
        format!(
            "{at} is in the future (it is now {now}); an event is recorded once it has happened: check the date, the time and the time zone"
        )
    } else {
        format!(
            "{at} is in the future (today is {today}, UTC): expected a date up to today, to the precision known (a year, a month or a day); check the year"
        )
    })
}

/// Deserializes the fields of one event type, turning serde's messages into
/// a [`FieldError`] with the path of the offending field.
fn fields<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        // serde's messages quote the offending value ("unknown variant
        // `…`"), which can be a quarter of a megabyte of hostile input: keep
        // the message readable and bounded.
        let message = custody_format::text::clip(&e.inner().to_string(), 300);
        // A missing field is reported at its parent (an unknown one already
        // at itself): name the missing field.
        let named = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(|f| {
                if path == "." {
                    f.to_string()
                } else {
                    format!("{path}.{f}")
                }
            });
        let message = match message.find(", expected") {
            Some(i) if message.starts_with("unknown field") => format!(
                "unknown field (not part of this event type; check the spelling){}",
                &message[i..]
            ),
            _ => message,
        };
        FieldError::new(named.unwrap_or(path), message)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectionFields {
    target: EntryHash,
    reason: String,
    #[serde(default)]
    replacement: Option<Value>,
}

fn correction(
    map: Map<String, Value>,
    ctx: Option<&InputContext<'_>>,
) -> Result<Correction, FieldError> {
    let c: CorrectionFields = fields(map)?;
    let replacement = match c.replacement {
        None | Some(Value::Null) => None,
        Some(v) => Some(Box::new(
            parse_event(v, ctx).map_err(|e| e.within("replacement"))?,
        )),
    };
    Ok(Correction {
        target: c.target,
        reason: c.reason.into(),
        replacement,
    })
}

/// Reads events from JSON Lines (or one possibly pretty-printed object),
/// yielding each with the line it starts on. Blank lines are skipped, and so
/// is a UTF-8 byte-order mark at the start. After a refused record it goes
/// on with the next line; after an error that leaves the rest unreadable it
/// ends.
pub struct EventReader<'a, R> {
    input: R,
    line_no: usize,
    done: bool,
    /// The record being read ends the input (see [`EventReader::read_line`]).
    fatal: bool,
    /// After a syntax error, lines up to the next that starts with `{` are
    /// the rest of the broken record (a pretty-printed object's), not
    /// records of their own: skipped, not reported once each.
    resync: bool,
    ctx: Option<InputContext<'a>>,
}

impl<R: BufRead> EventReader<'static, R> {
    /// Reads from `input`, events written out in full (as
    /// [`event_from_value`] reads them).
    pub fn new(input: R) -> EventReader<'static, R> {
        EventReader {
            input,
            line_no: 0,
            done: false,
            fatal: false,
            resync: false,
            ctx: None,
        }
    }
}

impl<'a, R: BufRead> EventReader<'a, R> {
    /// Reads from `input` with the input sugar and checks of `ctx` (as
    /// [`event_from_value_in`] reads them).
    pub fn with_context(input: R, ctx: InputContext<'a>) -> EventReader<'a, R> {
        EventReader {
            input,
            line_no: 0,
            done: false,
            fatal: false,
            resync: false,
            ctx: Some(ctx),
        }
    }

    fn fail(&mut self, message: String) -> InputError {
        self.fatal = true;
        InputError {
            line: self.line_no.max(1),
            field: None,
            message,
        }
    }

    /// Appends the next line to `buf`; false at the end of the input.
    /// Checks the encoding: text in UTF-16 (by its byte-order mark, or the
    /// NUL bytes every ASCII character of it carries) cannot be read on,
    /// and is named so the user saves it as UTF-8.
    fn read_line(&mut self, buf: &mut String) -> Result<bool, InputError> {
        let limit = (MAX_RECORD_BYTES + 2 - buf.len()) as u64;
        let mut take = std::io::Read::take(&mut self.input, limit);
        let mut bytes = Vec::new();
        let n = take
            .read_until(b'\n', &mut bytes)
            .map_err(|e| self.fail(format!("cannot read input: {e}")))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        let mut text = bytes.as_slice();
        if self.line_no == 1 {
            if let Some(rest) = text.strip_prefix(b"\xEF\xBB\xBF") {
                text = rest;
            } else if text.starts_with(b"\xFF\xFE") || text.starts_with(b"\xFE\xFF") {
                let mark = if text[0] == 0xFF { "FF FE" } else { "FE FF" };
                return Err(self.fail(format!(
                    "the input is UTF-16 (it starts with the byte-order mark {mark}): save it as UTF-8 (in most editors: Save As, encoding UTF-8)"
                )));
            }
        }
        if text.contains(&0) {
            return Err(self.fail(
                "the input holds NUL bytes: it is UTF-16 (or not text at all): save it as UTF-8 (in most editors: Save As, encoding UTF-8)".into(),
            ));
        }
        match std::str::from_utf8(text) {
            Ok(t) => buf.push_str(t),
            Err(e) => {
                return Err(InputError {
                    line: self.line_no,
                    field: None,
                    message: format!(
                        "the input is not valid UTF-8 (byte {} of this line): save it as UTF-8 (in most editors: Save As, encoding UTF-8)",
                        e.valid_up_to() + 1
                    ),
                })
            }
        }
        if buf.len() > MAX_RECORD_BYTES {
            return Err(self.fail(format!("record is longer than {MAX_RECORD_BYTES} bytes")));
        }
        Ok(true)
    }

    fn parse(&self, value: Value) -> Result<Event, FieldError> {
        parse_event(value, self.ctx.as_ref())
    }

    fn next_record(&mut self) -> Result<Option<(usize, Event)>, InputError> {
        let mut buf = String::new();
        // Skip blank lines (and, after a syntax error, the rest of the
        // broken record).
        let start = loop {
            buf.clear();
            if !self.read_line(&mut buf)? {
                return Ok(None);
            }
            let skip = self.resync && !buf.trim_start().starts_with('{');
            if !buf.trim().is_empty() && !skip {
                self.resync = false;
                break self.line_no;
            }
        };
        loop {
            match serde_json::from_str::<StrictValue>(&buf).map(|v| v.0) {
                Ok(v) => {
                    return self
                        .parse(v)
                        .map(|e| Some((start, e)))
                        .map_err(|e| InputError::at(start, e))
                }
                Err(e) if e.is_eof() => {
                    // An object spread over several lines: read on.
                    if !self.read_line(&mut buf)? {
                        return Err(InputError {
                            line: start,
                            field: None,
                            message: format!(
                                "malformed JSON: the record ends before its object is closed (the object is never closed; {e}); close every {{ with }} and every [ with ], and end every string with \""
                            ),
                        });
                    }
                }
                Err(e) => {
                    self.resync = true;
                    return Err(InputError {
                        line: start + e.line().saturating_sub(1),
                        field: None,
                        message: syntax_message(&e),
                    });
                }
            }
        }
    }
}

/// serde_json's syntax error, with what to write instead: its own words
/// ("expected value at line 1 column 1") say where, not what.
fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.starts_with("duplicate key") {
        return format!(
            "{text}: a key may appear once in an object (JSON readers disagree on which of two would count); remove one"
        );
    }
    let column = e.column();
    let advice = if text.starts_with("expected value") {
        "expected a JSON value there: text in double quotes (\"capture\"), a number, true, false, null, an object {…} or a list […]"
    } else if text.starts_with("trailing comma") {
        "remove the comma after the last item of the object or list"
    } else if text.starts_with("key must be a string") {
        "every key is text in double quotes, such as \"person\""
    } else if text.starts_with("expected `:`") {
        "a key and its value are separated by a colon: \"person\": \"P-1\""
    } else if text.starts_with("expected `,` or `}`") || text.starts_with("expected `,` or `]`") {
        "items are separated by commas, and an object ends with }"
    } else if text.starts_with("trailing characters") {
        "each line must hold one JSON object, with nothing after it"
    } else if text.starts_with("control character") {
        "a line break or tab inside text is written \\n or \\t"
    } else if text.starts_with("invalid escape") {
        "a backslash inside text starts an escape: write \\\\ for a backslash"
    } else {
        "each line must be one JSON object"
    };
    format!("malformed JSON at column {column}: {advice} ({text})")
}

impl<R: BufRead> Iterator for EventReader<'_, R> {
    type Item = Result<(usize, Event), InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_record().transpose();
        if r.is_none() || self.fatal {
            self.done = true;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Vec<Result<(usize, Event), InputError>> {
        EventReader::new(s.as_bytes()).collect()
    }

    fn err(s: &str) -> InputError {
        read(s).into_iter().find_map(Result::err).expect("an error")
    }

    /// A statement line (`custody sign`'s output) given to plain `append`:
    /// the error says what the line is and which command takes it.
    #[test]
    fn a_statement_line_is_named_as_such() {
        let e = err(r#"{"disclosures":[],"id":"00","statement":"AA==","view":{}}"#);
        assert_eq!(e.line, 1);
        assert!(e.message.contains("append --signed"), "{}", e.message);
        let e = err(r#"{"person":"P-1"}"#);
        assert!(!e.message.contains("--signed"), "{}", e.message);
    }

    /// A record that reads "capture" to a person, and would be signed as an
    /// ICRC notification by a reader where the last key wins.
    #[test]
    fn a_key_given_twice_is_refused_at_any_depth() {
        let e = err(
            r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17","type":"icrc_notification"}"#,
        );
        assert_eq!(e.line, 1);
        assert!(
            e.message.contains("duplicate key \"type\""),
            "{}",
            e.message
        );
        let e = err(concat!(
            "{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022-05-17\"}\n",
            r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17","attachments":[{"sha256":"00","sha256":"11"}]}"#
        ));
        assert_eq!(e.line, 2);
        assert!(e.message.contains("duplicate key"), "{}", e.message);
    }

    /// Resolves prefixes and seqs against a fixed list of hashes (seq = index).
    struct Hashes(Vec<EntryHash>);

    impl ResolveTarget for Hashes {
        fn resolve(&self, target: TargetRef<'_>) -> Result<EntryHash, String> {
            let found: Vec<&EntryHash> = match target {
                TargetRef::Prefix(p) => self
                    .0
                    .iter()
                    .filter(|h| h.to_hex().starts_with(p))
                    .collect(),
                TargetRef::Seq(n) => self.0.get(n as usize).into_iter().collect(),
            };
            match found.as_slice() {
                [h] => Ok(**h),
                [] => Err("unknown".into()),
                _ => Err("ambiguous".into()),
            }
        }
    }

    /// 2026-12-02T12:00:00Z.
    const NOW: Timestamp = Timestamp(1_796_212_800_000_000);

    fn read_in(
        s: &[u8],
        hashes: Vec<EntryHash>,
        dir: &Path,
    ) -> Vec<Result<(usize, Event), InputError>> {
        let targets = Hashes(hashes);
        let ctx = InputContext {
            targets: &targets,
            base_dir: dir.to_path_buf(),
            now: NOW,
        };
        EventReader::with_context(s, ctx).collect()
    }

    fn err_in(s: &str) -> InputError {
        read_in(s.as_bytes(), vec![], Path::new("."))
            .into_iter()
            .find_map(Result::err)
            .expect("an error")
    }

    fn capture(at: &str) -> String {
        format!(r#"{{"type":"capture","person":"P-1","occurred_at":"{at}"}}"#)
    }

    #[test]
    fn the_test_clock_is_what_it_says() {
        assert_eq!(NOW.to_string(), "2026-12-02T12:00:00Z");
    }

    #[test]
    fn every_error_of_an_input_is_reported() {
        let input = format!(
            "{}\n{{\"type\": capture}}\n{}\n{{\"type\":\"arrest\"}}\n{}\n",
            capture("2022-13"),
            capture("2022"),
            capture("2023")
        );
        let got = read(&input);
        let lines: Vec<Result<usize, usize>> = got
            .iter()
            .map(|r| r.as_ref().map(|(l, _)| *l).map_err(|e| e.line))
            .collect();
        assert_eq!(lines, vec![Err(1), Err(2), Ok(3), Err(4), Ok(5)]);
    }

    /// A syntax error inside a pretty-printed object is one error, not one
    /// per line of the object's remainder.
    #[test]
    fn a_broken_pretty_object_is_one_error() {
        let input = format!(
            "{{\n  \"type\": \"capture\",\n  \"person\": P-1,\n  \"occurred_at\": \"2022\",\n  \"notes\": \"x\"\n}}\n{}\n{}\n",
            capture("2022"),
            capture("2022-13")
        );
        let lines: Vec<Result<usize, usize>> = read(&input)
            .iter()
            .map(|r| r.as_ref().map(|(l, _)| *l).map_err(|e| e.line))
            .collect();
        assert_eq!(lines, vec![Err(3), Ok(7), Err(8)]);
    }

    #[test]
    fn a_utf8_byte_order_mark_is_skipped_and_utf16_is_named() {
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(capture("2022").as_bytes());
        let got: Vec<_> = EventReader::new(bom.as_slice()).collect();
        assert!(matches!(got.as_slice(), [Ok((1, _))]), "{got:?}");

        let utf16le: Vec<u8> = capture("2022")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let utf16be: Vec<u8> = capture("2022")
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        for (bytes, needle) in [
            (
                [b"\xFF\xFE".as_slice(), &utf16le].concat(),
                "byte-order mark FF FE",
            ),
            (
                [b"\xFE\xFF".as_slice(), &utf16be].concat(),
                "byte-order mark FE FF",
            ),
            (utf16le, "NUL bytes"),
        ] {
            let got: Vec<_> = EventReader::new(bytes.as_slice()).collect();
            assert_eq!(got.len(), 1, "UTF-16 ends the input: {got:?}");
            let e = got[0].as_ref().unwrap_err();
            assert!(
                e.message.contains("UTF-16") && e.message.contains(needle),
                "{e}"
            );
            assert!(e.message.contains("save it as UTF-8"), "{e}");
        }
        let latin1 = b"{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022\",\"notes\":\"caf\xE9\"}";
        let e = EventReader::new(latin1.as_slice())
            .next()
            .unwrap()
            .unwrap_err();
        assert!(e.message.contains("not valid UTF-8"), "{e}");
    }

    #[test]
    fn an_empty_optional_text_says_to_omit_the_field() {
        let e = err(r#"{"type":"capture","person":"P-1","occurred_at":"2022","place":""}"#);
        assert_eq!(e.field.as_deref(), Some("place"));
        assert!(e.message.contains("omit the field `place`"), "{e}");
        let e = err(r#"{"type":"denial","person":"P-1","occurred_at":"2022","by":""}"#);
        assert!(
            e.message.contains("must not be empty"),
            "a required field: {e}"
        );
    }

    #[test]
    fn opaque_syntax_messages_say_what_to_write() {
        let e = err("{\"type\":\"capture\",}");
        assert!(e.message.contains("remove the comma"), "{e}");
        let e = err("{type:\"capture\"}");
        assert!(e.message.contains("double quotes"), "{e}");
        let e = err("\u{1}");
        assert!(e.message.contains("expected a JSON value"), "{e}");
    }

    #[test]
    fn dates_after_today_are_refused_at_their_precision() {
        for (at, future) in [
            ("2026", false),
            ("2027", true),
            ("2099", true),
            ("2026-12", false),
            ("2027-01", true),
            ("2026-12-02", false),
            // Already 2026-12-03 in UTC+14 at noon UTC.
            ("2026-12-03", false),
            ("2026-12-04", true),
            ("2026-12-02T12:04:00Z", false),
            ("2026-12-02T13:00:00Z", true),
            ("2026-12-02T14:30:00+03:00", false),
        ] {
            let got = read_in(capture(at).as_bytes(), vec![], Path::new("."));
            match (&got[0], future) {
                (Ok(_), false) => {}
                (Err(e), true) => {
                    assert_eq!(e.field.as_deref(), Some("occurred_at"), "{e}");
                    assert!(e.message.contains("in the future"), "{e}");
                }
                (other, _) => panic!("{at}: {other:?}"),
            }
        }
        // Without a context (signed entries, tests), no clock is consulted.
        assert!(read(&capture("2099"))[0].is_ok());
        let e = err_in(
            r#"{"type":"missing_report","person":"P-1","occurred_at":"2023","category":"civilian","date_of_birth":"2030"}"#,
        );
        assert_eq!(e.field.as_deref(), Some("date_of_birth"), "{e}");
        let e = err_in(&format!(
            r#"{{"type":"correction","target":"{}","reason":"x","replacement":{}}}"#,
            "a".repeat(64),
            capture("2099")
        ));
        assert_eq!(e.field.as_deref(), Some("replacement.occurred_at"), "{e}");
    }

    #[test]
    fn targets_by_prefix_or_seq_become_full_hashes() {
        let a = EntryHash([0xAB; 32]);
        let b = EntryHash([0xCD; 32]);
        let mut b2 = [0xCD; 32];
        b2[31] = 0;
        let hashes = vec![a, b, EntryHash(b2)];
        let target = |json: &str| -> Result<EntryHash, InputError> {
            match read_in(json.as_bytes(), hashes.clone(), Path::new(".")).remove(0) {
                Ok((_, Event::Correction(c))) => Ok(c.target),
                Ok((_, Event::Dispute(d))) => Ok(d.target),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e),
            }
        };
        let c = |t: &str| format!(r#"{{"type":"correction",{t},"reason":"x"}}"#);
        assert_eq!(target(&c(r#""target":"abababababab""#)), Ok(a));
        assert_eq!(
            target(&c(r#""target":"ABABABABABABa""#)),
            Ok(a),
            "any case, odd length"
        );
        assert_eq!(target(&c(r#""target_seq":1"#)), Ok(b));
        let d = format!(
            r#"{{"type":"dispute","person":"P-1","occurred_at":"2023","target":"{}","by":"x","reason":"y"}}"#,
            &a.to_hex()[..16]
        );
        assert_eq!(target(&d), Ok(a), "a dispute's target too");
        let e = target(&c(r#""target":"abab""#)).unwrap_err();
        assert!(e.message.contains("at least 12"), "{e}");
        let e = target(&c(r#""target":"cdcdcdcdcdcd""#)).unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.message.as_str()),
            (Some("target"), "ambiguous")
        );
        let e = target(&c(r#""target":"000000000000""#)).unwrap_err();
        assert_eq!(e.message, "unknown");
        let e = target(&c(r#""target_seq":7"#)).unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.message.as_str()),
            (Some("target_seq"), "unknown")
        );
        let e = target(&c(r#""target":"abababababab","target_seq":0"#)).unwrap_err();
        assert!(e.message.contains("not both"), "{e}");
        let e = target(&c(r#""target_seq":"1""#)).unwrap_err();
        assert!(e.message.contains("sequence number"), "{e}");
    }

    #[test]
    fn an_attachment_by_file_is_hashed() {
        use sha2::Digest;
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(dir.path().join("clip.mp4"), &bytes).unwrap();
        let want = hex::encode(sha2::Sha256::digest(&bytes));
        let with = |att: &str| {
            format!(
                r#"{{"type":"capture","person":"P-1","occurred_at":"2022","attachments":[{att}]}}"#
            )
        };
        let one = |att: &str| read_in(with(att).as_bytes(), vec![], dir.path()).remove(0);
        let (_, event) = one(r#"{"file":"clip.mp4","description":"d"}"#).unwrap();
        let a = &event.attachments()[0];
        assert_eq!(a.sha256.to_hex(), want);
        assert_eq!(a.media_type, "video/mp4");
        assert_eq!(a.description.as_ref().and_then(|d| d.text()), Some("d"));
        let (_, event) = one(&format!(
            r#"{{"file":"clip.mp4","sha256":"{want}","media_type":"application/x-raw"}}"#
        ))
        .unwrap();
        assert_eq!(event.attachments()[0].media_type, "application/x-raw");
        std::fs::write(dir.path().join("notes.zzz"), b"x").unwrap();
        let (_, event) = one(r#"{"file":"notes.zzz"}"#).unwrap();
        assert_eq!(
            event.attachments()[0].media_type,
            "application/octet-stream"
        );

        let e = one(&format!(
            r#"{{"file":"clip.mp4","sha256":"{}"}}"#,
            "0".repeat(64)
        ))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("attachments[0].sha256"), "{e}");
        assert!(e.message.contains(&want), "{e}");
        let e = one(r#"{"file":"missing.mp4"}"#).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (1, Some("attachments[0].file"))
        );
        assert!(e.message.contains("missing.mp4"), "{e}");
        // Without a context, `file` is not a field of an attachment.
        assert!(read(&with(r#"{"file":"clip.mp4"}"#))[0].is_err());
    }

    #[test]
    fn reads_json_lines_and_pretty_objects() {
        let input = "\n{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022-05-17\"}\n\n{\n  \"type\": \"sighting\",\n  \"person\": \"P-1\",\n  \"occurred_at\": \"2022-09\",\n  \"source\": \"video\"\n}\n";
        let got: Vec<_> = read(input).into_iter().map(Result::unwrap).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 2);
        assert_eq!(got[1].0, 4);
        assert_eq!(got[1].1.type_name(), "sighting");
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = err("{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022-05-17\"}\n{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022-13\"}\n");
        assert_eq!((e.line, e.field.as_deref()), (2, Some("occurred_at")));
        assert!(e.message.contains("month 13"), "{e}");

        let e = err("{\"type\":\"capture\",\"occurred_at\":\"2022\"}");
        assert_eq!(e.field.as_deref(), Some("person"));

        let e = err("{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022\",\"attachments\":[{\"sha256\":\"abc\",\"media_type\":\"image/png\"}]}");
        assert_eq!(e.field.as_deref(), Some("attachments[0].sha256"));

        let e = err("{\"type\":\"capture\",\"person\":\"P-1\",\"ocurred_at\":\"2022\"}");
        assert_eq!(e.field.as_deref(), Some("ocurred_at"));

        let e = err("{\"type\":\"arrest\",\"person\":\"P-1\"}");
        assert_eq!(e.field.as_deref(), Some("type"));

        let e = err("{\"type\":\"key_granted\"}");
        assert!(e.message.contains("custody key grant"));

        let e = err("{\"type\":\"capture\",\"person\":\"P 1\",\"occurred_at\":\"2022\"}");
        assert_eq!(e.field.as_deref(), Some("person"));

        let e = err("{\"type\":\"correction\",\"target\":\"00\",\"reason\":\"x\"}");
        assert_eq!(e.field.as_deref(), Some("target"));

        let e = err(&format!("{{\"type\":\"correction\",\"target\":\"{}\",\"reason\":\"x\",\"replacement\":{{\"type\":\"capture\",\"person\":\"P-1\"}}}}", "a".repeat(64)));
        assert_eq!(e.field.as_deref(), Some("replacement.occurred_at"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = err("{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022\"}\n{\"type\": capture}\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("malformed JSON"));
        let e = err("{\"type\":\"capture\",");
        assert!(e.message.contains("never closed"));
    }

    #[test]
    fn refuses_oversized_and_deep_records() {
        let long = format!(
            "{{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022\",\"notes\":\"{}\"}}",
            "x".repeat(MAX_RECORD_BYTES)
        );
        assert!(err(&long).message.contains("longer than"));
        let deep = format!("{}{}", "[".repeat(20), "]".repeat(20));
        assert!(err(&deep).message.contains("deeper"));
        let e = err("{\"type\":\"capture\",\"person\":\"P-1\",\"occurred_at\":\"2022\",\"notes\":\"xxxxxxxx\\u0007\"}");
        assert_eq!(e.field.as_deref(), Some("notes"));
    }
}

/// Why an event could not be committed with fresh salts.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// A personal field breaks its rules (length, control characters…).
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The operating system's random generator failed: nothing is
    /// committed with a salt that might be guessable.
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
}

/// Replaces every cleartext personal field of `event` by a salted
/// commitment (format v3, docs/design/format-v3.md §3), each with a fresh
/// 256-bit salt from the operating system's generator, and returns the
/// disclosures, sorted by slot. The format crate takes salts as input and
/// stays free of randomness; this is the one place salts are drawn.
pub fn commit_fresh(
    event: &mut Event,
) -> Result<Vec<custody_format::commit::Disclosure>, CommitError> {
    use custody_format::commit::{commit_event, Salt};
    let mut failed = None;
    let disclosures = commit_event(event, |_| {
        let mut salt = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut salt) {
            failed.get_or_insert(e.to_string());
        }
        Salt(salt)
    })?;
    match failed {
        Some(e) => Err(CommitError::Random(e)),
        None => Ok(disclosures),
    }
}

#[cfg(test)]
mod witnesses_tests {
    use super::*;

    fn read(text: &str) -> Result<Event, InputError> {
        EventReader::new(text.as_bytes())
            .next()
            .unwrap()
            .map(|(_, e)| e)
    }

    #[test]
    fn witnesses_are_read_on_evidence_and_checked_like_any_text() {
        let sighting = r#"{"type":"sighting","person":"P-1","occurred_at":"2022","source":"video","witnesses":"a neighbour"}"#;
        let event = read(sighting).unwrap();
        assert_eq!(
            event.witnesses().as_ref().and_then(|w| w.text()),
            Some("a neighbour")
        );
        // In a correction's replacement too; never on the correction.
        let replaced = format!(
            r#"{{"type":"correction","target":"{}","reason":"r","replacement":{sighting}}}"#,
            "ab".repeat(32)
        );
        let Event::Correction(c) = read(&replaced).unwrap() else {
            panic!("a correction")
        };
        assert!(c.replacement.unwrap().witnesses().is_some());
        let on_correction = format!(
            r#"{{"type":"correction","target":"{}","reason":"r","witnesses":"x"}}"#,
            "ab".repeat(32)
        );
        assert_eq!(
            read(&on_correction).unwrap_err().field.as_deref(),
            Some("witnesses")
        );
        for (bad, why) in [
            (r#""witnesses":"bell \u0007""#, "control character"),
            (r#""witnesses":" ""#, "empty"),
            (r#""witnesses":7"#, "must be text"),
        ] {
            let text = sighting.replace(r#""witnesses":"a neighbour""#, bad);
            let e = read(&text).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("witnesses"), "{text}: {e}");
            assert!(e.message.contains(why), "{text}: {e}");
        }
        // null is absent, as for every optional field.
        let null = sighting.replace(r#""a neighbour""#, "null");
        assert!(read(&null).unwrap().witnesses().is_none());
    }
}

#[cfg(test)]
mod commit_fresh_tests {
    use super::*;
    use custody_format::commit::{check_disclosures, SlotState};
    use custody_format::entry::VERSION_3;

    fn report() -> Event {
        event_from_value(serde_json::json!({
            "type": "missing_report", "person": "UA-1", "occurred_at": "2024-03-01", "category": "civilian",
            "name": "Ivan Petrenko", "date_of_birth": "1990", "notes": "seen at the gate"
        }))
        .unwrap()
    }

    #[test]
    fn every_field_gets_its_own_fresh_salt_and_opens() {
        let mut a = report();
        let mut b = report();
        let da = commit_fresh(&mut a).unwrap();
        let db = commit_fresh(&mut b).unwrap();
        assert_eq!(da.len(), 3);
        // The same values, committed twice, give different commitments:
        // the salts are fresh, not derived from the value.
        assert_ne!(a, b);
        let salts: std::collections::HashSet<_> = da.iter().chain(&db).map(|d| d.salt.0).collect();
        assert_eq!(salts.len(), 6);
        let states = check_disclosures(VERSION_3, &a, &da, |_| None).unwrap();
        let disclosed = states
            .iter()
            .filter(|(_, s)| matches!(s, SlotState::Disclosed(_)))
            .count();
        assert_eq!(disclosed, da.len());
    }
}
