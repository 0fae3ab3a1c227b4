//! The dossier as JSON (`custody-dossier/1`): every fact of the model,
//! machine-readable; untrusted strings are plain JSON strings (serde_json
//! escapes what JSON requires, control characters included).

use super::Dossier;

/// Renders the dossier (pretty-printed, one document, a final newline).
pub(crate) fn render(d: &Dossier) -> String {
    let mut s = serde_json::to_string_pretty(d).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
