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

use custody_format::event::{
    Capture, Correction, Correspondence, Death, Denial, Dispute, EntryHash, Event, FieldError,
    IcrcNotification, IllTreatment, Inquiry, LegalProceeding, MissingReport, Release,
    RemainsReturned, Sighting, Transfer, Visit,
};
use custody_format::json::StrictValue;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::io::BufRead;

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

/// Parses one event from a JSON value (an object with a `type`).
///
/// Only evidence and corrections are accepted: governance entries are
/// written by `custody init` and `custody key grant|revoke`, which check
/// their own rules.
pub fn event_from_value(value: Value) -> Result<Event, FieldError> {
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
    let event = match type_name.as_str() {
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
        "correction" => Event::Correction(correction(map)?),
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
    event.validate()?;
    Ok(event)
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

fn correction(map: Map<String, Value>) -> Result<Correction, FieldError> {
    let c: CorrectionFields = fields(map)?;
    let replacement = match c.replacement {
        None | Some(Value::Null) => None,
        Some(v) => Some(Box::new(
            event_from_value(v).map_err(|e| e.within("replacement"))?,
        )),
    };
    Ok(Correction {
        target: c.target,
        reason: c.reason,
        replacement,
    })
}

/// Reads events from JSON Lines (or one possibly pretty-printed object),
/// yielding each with the line it starts on. Blank lines are skipped.
pub struct EventReader<R> {
    input: R,
    line_no: usize,
    done: bool,
}

impl<R: BufRead> EventReader<R> {
    /// Reads from `input`.
    pub fn new(input: R) -> EventReader<R> {
        EventReader {
            input,
            line_no: 0,
            done: false,
        }
    }

    fn read_line(&mut self, buf: &mut String) -> Result<bool, InputError> {
        let limit = (MAX_RECORD_BYTES + 2 - buf.len()) as u64;
        let mut take = std::io::Read::take(&mut self.input, limit);
        let n = take.read_line(buf).map_err(|e| InputError {
            line: self.line_no + 1,
            field: None,
            message: if e.kind() == std::io::ErrorKind::InvalidData {
                "input is not valid UTF-8".to_string()
            } else {
                format!("cannot read input: {e}")
            },
        })?;
        if n > 0 {
            self.line_no += 1;
        }
        if buf.len() > MAX_RECORD_BYTES {
            return Err(InputError {
                line: self.line_no,
                field: None,
                message: format!("record is longer than {MAX_RECORD_BYTES} bytes"),
            });
        }
        Ok(n > 0)
    }

    fn next_record(&mut self) -> Result<Option<(usize, Event)>, InputError> {
        let mut buf = String::new();
        // Skip blank lines.
        let start = loop {
            buf.clear();
            if !self.read_line(&mut buf)? {
                return Ok(None);
            }
            if !buf.trim().is_empty() {
                break self.line_no;
            }
        };
        loop {
            match serde_json::from_str::<StrictValue>(&buf).map(|v| v.0) {
                Ok(v) => {
                    return event_from_value(v)
                        .map(|e| Some((start, e)))
                        .map_err(|e| InputError::at(start, e))
                }
                Err(e) if e.is_eof() => {
                    // An object spread over several lines: read on.
                    if !self.read_line(&mut buf)? {
                        return Err(InputError {
                            line: start,
                            field: None,
                            message: format!("malformed JSON: {e} (the object is never closed)"),
                        });
                    }
                }
                Err(e) if e.to_string().starts_with("duplicate key") => {
                    return Err(InputError {
                        line: start + e.line().saturating_sub(1),
                        field: None,
                        message: format!(
                            "{e}: a key may appear once in an object (JSON readers disagree on which of two would count); remove one"
                        ),
                    })
                }
                Err(e) => {
                    return Err(InputError {
                        line: start + e.line().saturating_sub(1),
                        field: None,
                        message: format!("malformed JSON: {e}; each line must be one JSON object"),
                    })
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<(usize, Event), InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_record().transpose();
        if !matches!(r, Some(Ok(_))) {
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
