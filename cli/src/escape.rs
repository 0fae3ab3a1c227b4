//! Untrusted text, made safe to show. Every string an entry carries (a
//! place, a reason, a holder's name, a description) was typed by someone
//! who may have wanted it to look like something else: a newline that
//! starts a fake "verified" item in a Markdown dossier, an ANSI escape that
//! rewrites a terminal line, a right-to-left override that reverses a hash.
//! Renderers pass every such string through one of these functions.
//!
//! - [`terminal`]: control characters (newlines and escapes included) and
//!   bidirectional-text controls and invisible format characters (a
//!   zero-width space, a soft hyphen) are shown as visible escapes (`\n`,
//!   `\u{1b}`, `<U+202E>`, `<U+200B>`), so one field stays one field on one
//!   line and two texts that look the same are the same.
//! - [`markdown`]: the same, and Markdown's syntax characters are
//!   backslash-escaped, so the text cannot open a heading, a list item, a
//!   link, emphasis, code or HTML.

use std::fmt::Write as _;

/// True for the Unicode bidirectional formatting characters (embeddings,
/// overrides, isolates, marks), which reorder what a reader sees.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// True for the invisible format characters (Unicode general category Cf,
/// as of Unicode 15.1; no dependency of ours can tell a category): a
/// zero-width space or joiner, a soft hyphen, a word joiner, a byte order
/// mark, tag characters. They show nothing, so two ids or names that look
/// the same can differ, and text can hide inside a field.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Writes `c` as a visible escape if it is a control, bidi or invisible
/// format character; returns whether it did.
fn escape_control(out: &mut String, c: char) -> bool {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c if is_bidi_control(c)
            || is_invisible_format(c)
            || matches!(c, '\u{2028}' | '\u{2029}') =>
        {
            let _ = write!(out, "<U+{:04X}>", c as u32);
        }
        _ => return false,
    }
    true
}

/// Untrusted text for a terminal line.
pub(crate) fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !escape_control(&mut out, c) {
            out.push(c);
        }
    }
    out
}

/// A path for a terminal line: a file name may hold any byte but `/` and
/// NUL, a carriage return and an escape sequence included.
pub(crate) fn path(p: &std::path::Path) -> String {
    terminal(&p.display().to_string())
}

/// Untrusted text for inline Markdown (CommonMark with GitHub's
/// extensions): controls as for [`terminal`], so a value stays on its line,
/// and every character that could start Markdown syntax where it stands
/// backslash-escaped. Characters that are syntax anywhere (emphasis, code,
/// links, HTML, tables, strikethrough, entities) are always escaped; those
/// that are syntax only at the start of a line (a list item `-`/`+`/`1.`, a
/// setext underline `=`) are escaped only at the value's start, which is
/// where a value can land after a list marker; the autolink triggers
/// (`scheme://`, `www.`, `user@host`) are broken. So a date such as
/// `2023-07-01T10:00:00Z` reads as written in the raw file too.
pub(crate) fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut leading_digits = true;
    for (i, c) in s.char_indices() {
        if escape_control(&mut out, c) {
            leading_digits = false;
            continue;
        }
        let rest = &s[i + c.len_utf8()..];
        let before = &s[..i];
        let escape = match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '<'
            | '>' | '~' | '"' | '&' | '@' => true,
            '-' | '+' | '=' => i == 0,
            '.' => {
                (leading_digits && i > 0 && (rest.is_empty() || rest.starts_with(' ')))
                    || before.to_ascii_lowercase().ends_with("www")
            }
            ':' => rest.starts_with("//"),
            _ => false,
        };
        if !c.is_ascii_digit() {
            leading_digits = false;
        }
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_field_stays_one_line() {
        let hostile = "x\n### 2. death (seq 9)\n- **What:** died\r\u{1b}[2K\u{202e}gnp.exe";
        for s in [terminal(hostile), markdown(hostile)] {
            assert!(!s.contains(['\n', '\r', '\u{1b}', '\u{202e}']), "{s}");
            assert!(s.contains("<U+202E>"), "{s}");
        }
        assert_eq!(terminal("a\tb"), "a\\tb");
        assert_eq!(terminal("Мелітополь, колонія №2"), "Мелітополь, колонія №2");
    }

    #[test]
    fn invisible_format_characters_are_shown() {
        assert_eq!(terminal("P-\u{200b}0001"), "P-<U+200B>0001");
        for c in [
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{2064}',
            '\u{feff}',
            '\u{ad}',
            '\u{e0041}',
        ] {
            let shown = terminal(&format!("a{c}b"));
            assert!(!shown.contains(c), "{c:?}: {shown}");
            assert_eq!(shown, format!("a<U+{:04X}>b", c as u32));
            assert!(!markdown(&format!("a{c}b")).contains(c), "{c:?}");
        }
        // Visible letters beside them are untouched.
        assert_eq!(terminal("Zoë ß 中"), "Zoë ß 中");
    }

    #[test]
    fn line_separators_and_autolinks_are_inert() {
        let m = markdown("see https://evil.example\u{2028}next");
        assert!(!m.contains("https://"), "{m}");
        assert!(!m.contains('\u{2028}'), "{m}");
    }

    #[test]
    fn markdown_syntax_is_inert() {
        let m = markdown("**verified** [link](http://x) `code` <b>#1</b> ~~x~~ _y_ |t|");
        for raw in ["**", "[link]", "](", "`code`", "<b>", "~~", "_y_", "|t|"] {
            assert!(!m.contains(raw), "{raw} in {m}");
        }
        assert_eq!(markdown("near Robotyne"), "near Robotyne");
    }

    /// What a list marker, a heading or an autolink would need, at the
    /// start of a value (which may follow `- `), is escaped; the same
    /// characters inside a date, a time or a sentence are left as written.
    #[test]
    fn line_start_syntax_is_inert_and_dates_read_as_written() {
        for (hostile, want) in [
            ("- nested", "\\- nested"),
            ("+ nested", "\\+ nested"),
            ("=== underline", "\\=== underline"),
            ("12. ordered", "12\\. ordered"),
            ("3.", "3\\."),
            ("www.evil.example", "www\\.evil.example"),
            ("ftp://x", "ftp\\://x"),
            ("mail a@b.example", "mail a\\@b.example"),
        ] {
            assert_eq!(markdown(hostile), want, "{hostile}");
        }
        for plain in [
            "2023-07-01",
            "2023-07-01T10:00:00Z",
            "12.5 km north-east of Olenivka",
            "unit 3: second company",
        ] {
            assert_eq!(markdown(plain), plain);
        }
    }
}
