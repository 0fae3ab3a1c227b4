//! `custody history` for people at a terminal: one block per entry, every
//! field the entry carries (notes, circumstances, attachments, a
//! correction's replacement, a dispute's target), lines wrapped to the
//! terminal's width with continuation lines indented, and no markup: what
//! is printed is what is meant (no `~~` for a terminal to show as tildes).
//!
//! The fields are read from the event's JSON form, the same the ledger's
//! input and `--json` use, so a field added to an event type shows up here
//! without a change. Every value an entry carries passes through
//! [`terminal`]: typed by someone who may have meant to rewrite the
//! screen, it cannot carry a control character, an escape or a bidi
//! override to it. The only escape sequences printed are ours: a retracted
//! or replaced entry struck through, when stdout is a terminal and
//! `NO_COLOR` is unset.

use crate::escape::terminal;
use custody_format::commit::{field_named, Slot, CODE_DESCRIPTION, PART_EVENT, PART_REPLACEMENT};
use custody_format::event::EntryHash;
use custody_ledger::projection::timeline::{History, HistoryRow, RedactedSlot};
use serde_json::Value;
use std::collections::HashMap;
use unicode_width::UnicodeWidthChar;

/// Columns when stdout is not a terminal (a file, a pipe, a pager).
const DEFAULT_WIDTH: usize = 100;
/// Narrower than this and the indentation would leave no room.
const MIN_WIDTH: usize = 40;
/// The indentation of an entry's fields, and of their continuation lines.
const FIELD: &str = "    ";
const CONTINUATION: &str = "        ";

/// How to lay the text out.
pub(crate) struct Layout {
    /// Columns to wrap at.
    pub(crate) width: usize,
    /// Strike retracted and replaced entries through with ANSI SGR 9.
    pub(crate) strike: bool,
}

impl Layout {
    /// For stdout: its width and ANSI strikethrough if it is a terminal
    /// (and `NO_COLOR` is unset); 100 columns and no escapes otherwise.
    pub(crate) fn for_stdout() -> Layout {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let width = if tty {
            terminal_size::terminal_size()
                .map(|(w, _)| usize::from(w.0))
                .unwrap_or(DEFAULT_WIDTH)
        } else {
            DEFAULT_WIDTH
        };
        Layout {
            width: width.max(MIN_WIDTH),
            strike: tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// The whole history as text, lines ending in `\n`.
pub(crate) fn render(h: &History, layout: &Layout) -> String {
    let seq_of: HashMap<EntryHash, u64> = h.entries.iter().map(|r| (r.hash, r.seq)).collect();
    let mut out = format!(
        "{}: {} entries, in the order they occurred\n",
        h.person,
        h.entries.len()
    );
    for row in &h.entries {
        out.push('\n');
        let lines = entry_lines(row, h.person.as_str(), &seq_of);
        let struck = layout.strike && row.corrected_by.is_some();
        for (n, (indent, text)) in lines.iter().enumerate() {
            let cont = if n == 0 { FIELD } else { CONTINUATION };
            let cont = format!("{indent}{cont}");
            for line in wrap(indent, &cont, text, layout.width) {
                if struck && n == 0 {
                    out.push_str(&strike(&line));
                } else {
                    out.push_str(&line);
                }
                out.push('\n');
            }
        }
    }
    out
}

/// `line` struck through (the indentation left plain).
fn strike(line: &str) -> String {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    format!("{indent}\u{1b}[9m{body}\u{1b}[29m")
}

/// One entry: its heading, then each field, then who signed it; each item
/// with the indentation of its first line.
fn entry_lines(
    row: &HistoryRow,
    person: &str,
    seq_of: &HashMap<EntryHash, u64>,
) -> Vec<(String, String)> {
    let when = row
        .occurred_at
        .map(|t| t.to_string())
        .unwrap_or_else(|| format!("recorded {}", row.recorded_at));
    let mut heading = format!("{when}  {} (seq {})", row.kind, row.seq);
    if let Some(c) = &row.corrected_by {
        let verb = if c.replaced { "replaced" } else { "retracted" };
        // A reason no disclosure opened (format v3): the correction's own
        // row says whether it was redacted or withheld.
        let reason = if c.reason.is_empty() {
            format!("its reason is not disclosed, see seq {}", c.seq)
        } else {
            terminal(&c.reason)
        };
        heading.push_str(&format!("  [{verb} by seq {}: {reason}]", c.seq));
    }
    let mut lines = vec![(String::new(), heading)];
    let event = serde_json::to_value(&row.event).unwrap_or(Value::Null);
    let at = Fields {
        person,
        seq_of,
        redacted: &row.redacted,
        part: PART_EVENT,
    };
    fields(&event, &at, FIELD, &mut lines);
    if let Some(a) = &row.authored {
        // A statement: authored in the field, registered later (design
        // §4.6); the author's time is their clock's claim.
        lines.push((
            FIELD.to_string(),
            format!(
                "authored by {} (key {}), signed {} (author's clock)",
                terminal(&a.holder),
                &a.author.to_hex()[..16],
                a.signed_at,
            ),
        ));
    }
    let signed = if row.authored.is_some() {
        "registered"
    } else {
        "signed"
    };
    lines.push((
        FIELD.to_string(),
        format!(
            "{signed} by {} (key {}), recorded {}",
            terminal(&row.holder),
            &row.signer.to_hex()[..16],
            row.recorded_at,
        ),
    ));
    // In full: the hash a correction's `target` or a dispute names.
    lines.push((FIELD.to_string(), format!("hash: {}", row.hash.to_hex())));
    lines
}

/// What the fields of one event are shown with.
struct Fields<'a> {
    /// The person of the history (not repeated on each entry).
    person: &'a str,
    /// The seq of each entry of the history, by hash.
    seq_of: &'a HashMap<EntryHash, u64>,
    /// The entry's fields a redaction erased.
    redacted: &'a [RedactedSlot],
    /// The part shown: the event, or a correction's replacement.
    part: u8,
}

impl Fields<'_> {
    /// A committed field no disclosure opened (format v3), in words:
    /// redacted (when, by whom, why) or withheld.
    fn unopened(&self, code: Option<u16>, index: u16) -> String {
        let slot = code.map(|code| Slot {
            part: self.part,
            code,
            index,
        });
        match self.redacted.iter().find(|r| Some(r.slot) == slot) {
            Some(r) => format!(
                "(redacted at seq {} by {}: {})",
                r.seq,
                terminal(&r.holder),
                terminal(&r.reason)
            ),
            None => "(withheld)".into(),
        }
    }

    /// A field's value as one line: [`scalar`], or for a commitment what
    /// became of its value.
    fn value(&self, key: &str, v: &Value, index: u16) -> String {
        if let Some(Value::String(_)) = v.get("commitment") {
            return self.unopened(field_named(key).map(|f| f.code), index);
        }
        scalar(v)
    }
}

/// An event's fields as `name: value` items at `indent`, but for what the
/// heading says already (its type, its time, the person of the history).
fn fields(event: &Value, shown: &Fields<'_>, indent: &str, lines: &mut Vec<(String, String)>) {
    let (person, seq_of) = (shown.person, shown.seq_of);
    let Value::Object(map) = event else {
        return;
    };
    // What the entry says first (JSON objects come sorted by name), then
    // free text, then the files.
    let mut items: Vec<(&String, &Value)> = map.iter().collect();
    items.sort_by_key(|(k, _)| match k.as_str() {
        "notes" => 1,
        "attachments" => 2,
        _ => 0,
    });
    for (key, value) in items {
        match (key.as_str(), value) {
            ("type" | "occurred_at", _) | (_, Value::Null) => {}
            ("person", Value::String(p)) if p == person => {}
            ("target", Value::String(hex)) => {
                let seq = EntryHash::from_hex(hex)
                    .ok()
                    .and_then(|h| seq_of.get(&h))
                    .map(|s| format!("seq {s}, "))
                    .unwrap_or_default();
                lines.push((
                    indent.into(),
                    format!("target: {seq}hash {}", terminal(hex)),
                ));
            }
            ("attachments", Value::Array(items)) => {
                for (i, a) in items.iter().enumerate() {
                    lines.push((indent.into(), attachment(a, i as u16, shown)));
                }
            }
            ("replacement", Value::Object(_)) => {
                let kind = value.get("type").and_then(Value::as_str).unwrap_or("?");
                let at = value
                    .get("occurred_at")
                    .map(scalar)
                    .map(|t| format!(", occurred {t}"))
                    .unwrap_or_default();
                let who = value
                    .get("person")
                    .map(scalar)
                    .map(|p| format!(" about {p}"))
                    .unwrap_or_default();
                lines.push((
                    indent.into(),
                    format!("replacement: {}{who}{at}", terminal(kind)),
                ));
                // The replacement's person is shown even when it is this
                // history's: a moved entry must say where it went.
                let replacement = Fields {
                    person: "",
                    part: PART_REPLACEMENT,
                    ..*shown
                };
                fields(value, &replacement, &format!("{indent}    "), lines);
            }
            (key, value) => lines.push((
                indent.into(),
                format!("{key}: {}", shown.value(key, value, 0)),
            )),
        }
    }
}

/// An attachment (the `index`th of its event): what proves which file it
/// was, and what it shows.
fn attachment(a: &Value, index: u16, at: &Fields<'_>) -> String {
    let get = |k: &str| a.get(k).map(scalar).unwrap_or_default();
    let description = a
        .get("description")
        .map(|d| match d.get("commitment") {
            Some(_) => format!(" — {}", at.unopened(Some(CODE_DESCRIPTION), index)),
            None => format!(" — {}", scalar(d)),
        })
        .unwrap_or_default();
    format!(
        "attachment: {}, sha256 {}{description}",
        get("media_type"),
        get("sha256")
    )
}

/// A JSON value as one line of untrusted text. A committed field no
/// disclosure opened (format v3) is shown as withheld.
fn scalar(v: &Value) -> String {
    if let Some(Value::String(_)) = v.get("commitment") {
        return "(withheld)".into();
    }
    match v {
        Value::String(s) => terminal(s),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => terminal(&other.to_string()),
    }
}

/// `text` broken at spaces into lines of at most `width` columns: the
/// first starting with `first`, the others with `rest`. A word longer than
/// a line is cut where the line ends.
fn wrap(first: &str, rest: &str, text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    // Columns used, and those the line's own indentation takes.
    let (mut used, mut floor) = (columns(first), columns(first));
    let mut break_line = |line: &mut String, used: &mut usize, floor: &mut usize| {
        lines.push(std::mem::replace(line, rest.to_string()));
        *used = columns(rest);
        *floor = *used;
    };
    // Split at each space, so that runs of spaces are kept as they were
    // typed, but at the start of a line.
    for word in text.split(' ') {
        if word.is_empty() && used == floor {
            continue;
        }
        if used > floor && used + 1 + columns(word) > width {
            break_line(&mut line, &mut used, &mut floor);
        }
        if used > floor {
            line.push(' ');
            used += 1;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && used > floor {
                break_line(&mut line, &mut used, &mut floor);
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
    lines
}

fn columns(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_with_indented_continuations() {
        let text =
            "notes: seen by two witnesses near the bus station of Мелітополь in the early morning";
        let lines = wrap("    ", "        ", text, 40);
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(columns(l) <= 40, "{l:?}");
        }
        assert!(lines[0].starts_with("    notes:"), "{lines:?}");
        assert!(
            lines[1..].iter().all(|l| l.starts_with("        ")),
            "{lines:?}"
        );
        let joined: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(joined.join(" "), text);
    }

    #[test]
    fn a_word_longer_than_a_line_is_cut() {
        let hash = "ab".repeat(40);
        let lines = wrap("    ", "        ", &format!("hash {hash}"), 40);
        assert!(lines.iter().all(|l| columns(l) <= 40), "{lines:?}");
        let all: String = lines.iter().map(|l| l.trim()).collect();
        assert!(all.contains(&hash[..30]), "{lines:?}");
    }
}
