//! Text helpers shared by the format's error messages.

/// Cuts a string for an error message, so hostile input cannot flood a
/// terminal or a log.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
