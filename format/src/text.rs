//! Text helpers shared by the format's error messages.

/// Cuts a string for an error message, so hostile input cannot flood a
/// terminal or a log, and shows its control and bidirectional-formatting
/// characters as visible escapes (`\u{1b}`, `<U+202E>`), so a quoted key or
/// value cannot clear a screen, print a fake verdict or reorder a line.
pub fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 8);
    for c in s[..end].chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else if matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        ) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    if end < s.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn quoted_text_is_cut_and_made_inert() {
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(clip("abcdef", 3), "abc…");
        let evil = clip("\u{1b}[2J\u{1b}[32mVALID\u{202e}", 100);
        assert!(!evil.contains(['\u{1b}', '\u{202e}']), "{evil}");
        assert!(evil.contains("<U+202E>"), "{evil}");
    }
}
