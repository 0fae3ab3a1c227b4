//! The dossier as one self-contained, print-ready HTML file.
//!
//! - Nothing is fetched: no external style sheet, font, script or image;
//!   the Content-Security-Policy (`default-src 'none'`) forbids it anyway,
//!   and allows exactly one style sheet, the one below, by its SHA-256.
//! - Every untrusted string is escaped by maud (text and attribute
//!   values), after control and bidirectional characters are made visible
//!   (`crate::escape::terminal`). No untrusted string is ever put inside
//!   `<style>`, `<script>` or a URL.
//! - `@media print`: A4 margins, an item never split across pages.

use super::{markdown::roles, timeline, Content, Dossier, Item};
use crate::escape::terminal as t;
use base64::Engine as _;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

/// The one style sheet (a constant: nothing untrusted goes in it).
const CSS: &str = "
* { box-sizing: border-box; }
body { font-family: 'DejaVu Serif', Georgia, serif; font-size: 11pt; line-height: 1.4; color: #111; max-width: 50em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 18pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; border-bottom: 1px solid #999; margin-top: 1.6em; }
h3 { font-size: 12pt; margin: 0 0 0.4em 0; }
code, .hash { font-family: 'DejaVu Sans Mono', monospace; font-size: 8pt; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: 10em minmax(0, 1fr); gap: 0.2em 1em; margin: 0.5em 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.banner { border: 2px solid #b00020; padding: 0.5em 0.8em; margin: 0.8em 0; background: #fff4f4; }
.cut { border: 2px solid #1a4d8f; padding: 0.5em 0.8em; margin: 0.8em 0; background: #f2f6fc; }
.verdict { font-size: 12pt; font-weight: bold; }
.item { border: 1px solid #bbb; padding: 0.6em 0.8em; margin: 0.8em 0; break-inside: avoid; page-break-inside: avoid; }
.item.corrected { border-color: #b00020; background: #fafafa; }
.item.corrected .content { text-decoration: line-through; color: #555; }
.mark { color: #b00020; font-weight: bold; }
.replacement { border-left: 3px solid #1a4d8f; padding-left: 0.8em; margin-top: 0.5em; }
.meaning { color: #444; font-size: 10pt; }
svg.timeline { max-width: 100%; height: auto; }
pre { background: #f4f4f4; padding: 0.5em; white-space: pre-wrap; overflow-wrap: anywhere; }
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .item, .banner, .cut, svg.timeline, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
";

/// The Content-Security-Policy: nothing but the style sheet above.
fn csp() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; font-src 'none'; script-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// The same policy, for a server that sends the dossier as a header
/// (`custody serve`).
pub(crate) fn content_security_policy() -> String {
    csp()
}

/// Renders the dossier as a complete HTML document.
pub(crate) fn render(d: &Dossier) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp());
                meta name="referrer" content="no-referrer";
                title { "Chain-of-custody dossier: " (t(&d.person)) }
                style { (PreEscaped(CSS)) }
            }
            body {
                (body(d))
            }
        }
    };
    page.into_string()
}

/// The dossier's body, without `<html>`/`<head>`: what a web view embeds
/// (with its own page and the same style sheet).
pub(crate) fn body(d: &Dossier) -> Markup {
    html! {
        h1 { "Chain-of-custody dossier: " (t(&d.person)) }
        (head(d))
        h2 { "Summary" }
        @for s in &d.summary { p { (t(s)) } }
        (status(d))
        @if !d.timeline.is_empty() {
            h2 { "Timeline" }
            p.meaning { "Each point is numbered by the evidence item behind it; dashed red lines are the legal marks counted from the capture (or its bound)." }
            (timeline::svg(&d.timeline))
        }
        h2 { "Evidence about " (t(&d.person)) " (" (d.items.len()) " items)" }
        @if d.items.is_empty() { p { "No item at this cut." } }
        @for item in &d.items { (render_item(item)) }
        (tail(d))
    }
}

fn head(d: &Dossier) -> Markup {
    html! {
        @if let Some(cut) = &d.cut_words {
            div.cut { strong { "Time cut: " } "this dossier shows " (t(cut)) "." }
        }
        @if d.authority_check == super::AuthorityCheck::NotPinned {
            div.banner {
                strong { "Check the authority key: " }
                code { (d.authority) }
                " — this bundle was not checked against a key you trust. Compare this key with the one the ledger's authority gave you, or re-run with "
                code { "--authority KEY" } "."
            }
        }
        p.verdict { (t(&d.verdict_words)) }
        dl.facts {
            dt { "Ledger" } dd { (t(&d.checkpoint.origin)) }
            dt { "Status" } dd { (t(&d.status_words)) }
            dt { "Authority key (genesis)" }
            dd {
                code { (d.authority) } " (" (t(&d.authority_holder)) ") — "
                (match d.authority_check {
                    super::AuthorityCheck::Pinned => "matches the key given with --authority",
                    super::AuthorityCheck::Store => "from the operator's store; compare it with the key you were given by the ledger's authority",
                    super::AuthorityCheck::NotPinned => "NOT checked: compare it with the key you were given by the ledger's authority",
                })
            }
            dt { "Checkpoint" }
            dd {
                (d.checkpoint.size) " entries, root " code { (d.checkpoint.root) }
                ", signed by " code { (d.checkpoint.signer) }
                " (" (t(&d.checkpoint.signer_holder)) ", an authority since seq "
                (d.checkpoint.signer_authority_since_seq) ")"
            }
            dt { "Bundle SHA-256" } dd { code { (d.bundle_sha256) } " (" (t(&d.bundle_source)) ")" }
            dt { "Generated" } dd { (d.generated_at) }
        }
    }
}

fn status(d: &Dossier) -> Markup {
    html! {
        h2 { "Status and legal clock" }
        dl.facts {
            @for f in &d.legal_clock {
                dt { (f.label) }
                dd { (t(&f.value)) br; span.meaning { (f.meaning) } }
            }
        }
        h3 { "Flags" }
        @if d.flags.is_empty() { p { "None." } }
        ul {
            @for f in &d.flags {
                li { strong { (f.flag) } " — " (f.meaning) }
            }
        }
        @if !d.disputed_items.is_empty() {
            h3 { "Disputes" }
            ul {
                @for item in d.items.iter().filter(|i| !i.disputed_by.is_empty()) {
                    @for x in &item.disputed_by {
                        li {
                            "Item " (item.number) " (" (item.content.title) ") is disputed by item "
                            (x.by_item) " (seq " (x.by_seq) "), by " (t(&x.by)) ": " (t(&x.reason))
                        }
                    }
                }
            }
        }
    }
}

fn content(c: &Content) -> Markup {
    html! {
        dl.facts {
            @if let Some(at) = &c.occurred_at {
                dt { "Occurred" } dd { (t(at)) " (" (c.precision.unwrap_or("unknown")) " precision)" }
            }
            @for f in &c.fields {
                dt { (f.label) } dd { (t(&f.value)) }
            }
            @for a in &c.attachments {
                dt { "Attachment" }
                dd {
                    "SHA-256 " code { (a.sha256) } " (" (t(&a.media_type)) ")"
                    @if let Some(desc) = &a.description { " — " (t(desc)) }
                }
            }
        }
    }
}

fn render_item(item: &Item) -> Markup {
    let class = if item.corrected_by.is_some() {
        "item corrected"
    } else {
        "item"
    };
    html! {
        div class=(class) id=(format!("item-{}", item.number)) {
            h3 {
                (item.number) ". " (item.content.title) " (seq " (item.seq) ")"
                @if let Some(c) = &item.corrected_by {
                    " " span.mark { (c.action.to_uppercase()) " by item " (c.by_item) }
                }
            }
            @if let Some(c) = &item.corrected_by {
                p.mark {
                    (c.action.to_uppercase()) " by item " (c.by_item) " (seq " (c.by_seq) ", entry "
                    code { (&c.by_hash[..16]) } "): " (t(&c.reason)) ". This item no longer counts"
                    @if c.replacement.is_some() { "; its replacement, below, does" } "."
                }
            }
            @for x in &item.disputed_by {
                p.mark { "DISPUTED by item " (x.by_item) " (seq " (x.by_seq) "), by " (t(&x.by)) ": " (t(&x.reason)) }
            }
            @if let Some(target) = &item.target {
                p {
                    "Concerns "
                    @match target.item { Some(n) => { "item " (n) }, None => { "an entry not shown at this cut" } }
                    " (entry " code { (target.hash) } ")."
                }
            }
            div.content { (content(&item.content)) }
            dl.facts {
                dt { "Recorded" } dd { (item.recorded_at) }
                dt { "Signed by" }
                dd { code { (item.signer) } " (" (t(&item.signer_holder)) "), role when signing: " (roles(&item.signer_roles)) }
                dt { "Entry hash" } dd { code { (item.entry_hash) } }
                dt { "Proof" } dd { (item.proof) }
            }
            @if let Some(r) = item.corrected_by.as_ref().and_then(|c| c.replacement.as_ref()) {
                div.replacement {
                    strong { "Replacement (" (r.title) "):" }
                    (content(r))
                }
            }
        }
    }
}

fn tail(d: &Dossier) -> Markup {
    html! {
        h2 { "Keys and governance" }
        p { "Who could sign, replayed from the ledger's governance entries (all " (d.governance_entries) " of them before the checkpoint):" }
        ul {
            @for g in &d.governance {
                li {
                    "seq " (g.seq) " (" (g.recorded_at) "): " (t(&g.what)) " — signed by "
                    code { (g.signer) } ", entry hash " code { (g.entry_hash) }
                }
            }
        }
        h2 { "What was verified, and how" }
        ul { @for v in &d.verification { li { (t(v)) } } }
        h2 { "How to verify it yourself" }
        p { "With the bundle file (its SHA-256 is " code { (d.bundle_sha256) } ") and the authority key you were given:" }
        pre { (d.reverify_command) }
        p { (d.reverify_without_custody) }
        p {
            "Checkpoint: origin " (t(&d.checkpoint.origin)) ", " (d.checkpoint.size) " entries, root "
            code { (d.checkpoint.root) } ", signed by " code { (d.checkpoint.signer) } ". Generated " (d.generated_at) "."
        }
        h2 { "Glossary" }
        dl.facts {
            @for term in &d.glossary { dt { (term.term) } dd { (term.meaning) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Control characters cannot reach the ledger through `append`, but
    /// the renderer does not rely on that: a terminal escape in a field is
    /// shown, not passed on (to a terminal `cat`ing the file, say).
    #[test]
    fn control_characters_are_shown_not_passed_on() {
        let c = Content {
            kind: "capture",
            title: "Capture",
            occurred_at: Some("2022".into()),
            precision: Some("year"),
            fields: vec![super::super::Field {
                name: "notes".into(),
                label: "Notes".into(),
                value: "\u{1b}[2J\u{1b}]0;owned\u{7}<b>".into(),
            }],
            attachments: Vec::new(),
        };
        let out = content(&c).into_string();
        assert!(!out.contains(['\u{1b}', '\u{7}']), "{out}");
        assert!(out.contains("\\u{1b}[2J"), "{out}");
        assert!(out.contains("&lt;b&gt;"), "{out}");
        let mut md = String::new();
        super::super::markdown::content_lines(&mut md, &c, "", false);
        assert!(!md.contains(['\u{1b}', '\u{7}']), "{md}");
    }
}
