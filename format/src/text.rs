//! Text helpers shared by the format's error messages, and the hex form
//! of its hashes, keys and signatures.

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

/// Calls `f` with the lowercase hex digits of `bytes`, written into a
/// buffer on the stack when they fit (64 bytes: a hash, a key or a
/// signature), else into a string.
///
/// `hex::encode` builds its string a `char` at a time, which cost the
/// server ~5 µs a statement over the ~40 hashes its receipt and its status
/// JSON show (docs/BENCHMARKS.md, session 13); this is a table lookup per
/// byte and at most one allocation, the caller's.
pub fn with_hex<R>(bytes: &[u8], f: impl FnOnce(&str) -> R) -> R {
    if bytes.len() > 64 {
        return f(&hex::encode(bytes));
    }
    let mut buf = [0u8; 128];
    let digits = &mut buf[..bytes.len() * 2];
    hex::encode_to_slice(bytes, digits).expect("the buffer is twice the input");
    f(std::str::from_utf8(digits).expect("hex digits are ASCII"))
}

#[cfg(test)]
mod tests {
    use super::{clip, with_hex};

    #[test]
    fn with_hex_is_hex_encode() {
        for len in [0, 1, 16, 32, 64, 65, 200] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(with_hex(&bytes, str::to_owned), hex::encode(&bytes));
        }
        assert_eq!(with_hex(&[0x0f, 0xa0, 0xff], str::to_owned), "0fa0ff");
    }

    #[test]
    fn quoted_text_is_cut_and_made_inert() {
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(clip("abcdef", 3), "abc…");
        let evil = clip("\u{1b}[2J\u{1b}[32mVALID\u{202e}", 100);
        assert!(!evil.contains(['\u{1b}', '\u{202e}']), "{evil}");
        assert!(evil.contains("<U+202E>"), "{evil}");
    }
}
