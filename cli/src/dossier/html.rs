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
//! - Every fixed text is in the dossier's language (`crate::i18n`), and
//!   `<html lang>` says which; the fonts named cover Cyrillic.

use super::markdown::{authority_check_words, concerns_id, correction_mark, precision, roles};
use super::{timeline, Content, Dossier, Item};
use crate::escape::terminal as t;
use crate::i18n::{num, txt, Lang, Piece};
use base64::Engine as _;
use fluent_bundle::FluentValue;
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

/// The style sheet, for a web view that embeds [`body`] in its own page
/// and serves the rules as a file (`custody serve`'s `/web.css`).
pub(crate) fn style_sheet() -> &'static str {
    CSS
}

/// A message with code arguments: text escaped by maud, code in `<code>`.
/// Text arguments are passed through `crate::escape::terminal` by the
/// caller (maud escapes them with the rest).
fn pieces(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)], code: &[(&str, &str)]) -> Markup {
    let parts = lang.pieces(id, args, code);
    html! {
        @for p in &parts {
            @match p {
                Piece::Text(text) => { (text) }
                Piece::Code(c) => { code { (c) } }
            }
        }
    }
}

/// Renders the dossier as a complete HTML document, in the dossier's
/// language (`<html lang="uk">` for Ukrainian).
pub(crate) fn render(d: &Dossier) -> String {
    let page = html! {
        (DOCTYPE)
        html lang=(d.lang.code()) {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp());
                meta name="referrer" content="no-referrer";
                title { (d.lang.f("dossier-title", &[("person", txt(t(&d.person)))])) }
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
    let lang = d.lang;
    html! {
        h1 { (lang.f("dossier-title", &[("person", txt(t(&d.person)))])) }
        (head(d))
        h2 { (lang.t("heading-summary")) }
        @for s in &d.summary { p { (t(s)) } }
        (status(d))
        @if !d.timeline.is_empty() {
            h2 { (lang.t("heading-timeline")) }
            p.meaning { (lang.t("timeline-explained")) }
            (timeline::svg(&d.timeline, lang))
        }
        h2 { (lang.f("heading-evidence", &[("person", txt(t(&d.person))), ("count", num(d.items.len() as u64))])) }
        @if d.items.is_empty() { p { (lang.t("no-item")) } }
        @for item in &d.items { (render_item(item, lang)) }
        (tail(d))
    }
}

fn head(d: &Dossier) -> Markup {
    let lang = d.lang;
    html! {
        @if let Some(cut) = &d.cut_words {
            div.cut { strong { (lang.t("label-time-cut")) ": " } (lang.f("time-cut-shows", &[("cut", txt(t(cut)))])) }
        }
        @if d.authority_check == super::AuthorityCheck::NotPinned {
            div.banner {
                strong { (lang.t("label-check-authority")) ": " }
                (pieces(lang, "banner-check-authority", &[], &[("key", &d.authority.to_string()), ("option", "--authority KEY")]))
            }
        }
        p.verdict { (t(&d.verdict_words)) }
        dl.facts {
            dt { (lang.t("label-ledger")) } dd { (t(&d.checkpoint.origin)) }
            dt { (lang.t("label-status")) } dd { (t(&d.status_words)) }
            dt { (lang.t("label-authority")) }
            dd {
                (pieces(lang, "authority-key-value",
                    &[("holder", txt(t(&d.authority_holder))), ("check", txt(authority_check_words(d)))],
                    &[("key", &d.authority.to_string())]))
            }
            dt { (lang.t("label-checkpoint")) }
            dd {
                (pieces(lang, "checkpoint-value",
                    &[("size", num(d.checkpoint.size)), ("holder", txt(t(&d.checkpoint.signer_holder))),
                      ("role", txt(d.checkpoint.signer_role)), ("since", txt(d.checkpoint.signer_since_seq))],
                    &[("root", &d.checkpoint.root), ("signer", &d.checkpoint.signer.to_string())]))
            }
            dt { (lang.t("label-bundle-sha256")) } dd { code { (d.bundle_sha256) } " (" (t(&d.bundle_source)) ")" }
            dt { (lang.t("label-generated")) } dd { (d.generated_at) }
        }
    }
}

fn status(d: &Dossier) -> Markup {
    let lang = d.lang;
    html! {
        h2 { (lang.t("heading-status")) }
        dl.facts {
            @for f in &d.legal_clock {
                dt { (f.label) }
                dd { (t(&f.value)) br; span.meaning { (f.meaning) } }
            }
        }
        h3 { (lang.t("heading-flags")) }
        @if d.flags.is_empty() { p { (lang.t("none")) } }
        ul {
            @for f in &d.flags {
                li { strong { (f.title) } " — " (f.meaning) }
            }
        }
        @if !d.disputed_items.is_empty() {
            h3 { (lang.t("heading-disputes")) }
            ul {
                @for item in d.items.iter().filter(|i| !i.disputed_by.is_empty()) {
                    @for x in &item.disputed_by {
                        li {
                            (lang.f("dispute-line", &[
                                ("item", txt(item.number)), ("title", txt(&item.content.title)),
                                ("by_item", txt(x.by_item)), ("seq", txt(x.by_seq)),
                                ("by", txt(t(&x.by))), ("reason", txt(t(&x.reason))),
                            ]))
                        }
                    }
                }
            }
        }
    }
}

fn content(c: &Content, lang: Lang) -> Markup {
    html! {
        dl.facts {
            @if let Some(at) = &c.occurred_at {
                dt { (lang.t("label-occurred")) } dd { (t(at)) " (" (precision(c, lang)) ")" }
            }
            @for f in &c.fields {
                dt { (f.label) } dd { (t(&f.shown())) }
            }
            @for a in &c.attachments {
                dt { (lang.t("label-attachment")) }
                dd {
                    "SHA-256 " code { (a.sha256) } " (" (t(&a.media_type)) ")"
                    @if let Some(desc) = &a.description { " — " (t(desc)) }
                }
            }
        }
    }
}

fn render_item(item: &Item, lang: Lang) -> Markup {
    let class = if item.corrected_by.is_some() {
        "item corrected"
    } else {
        "item"
    };
    html! {
        div class=(class) id=(format!("item-{}", item.number)) {
            h3 {
                (item.number) ". " (item.content.title) " (" (lang.f("seq", &[("seq", txt(item.seq))])) ")"
                @if let Some(c) = &item.corrected_by {
                    " " span.mark { (correction_mark(c.action, c.by_item, lang)) }
                }
            }
            @if let Some(c) = &item.corrected_by {
                p.mark {
                    (pieces(lang,
                        if c.replacement.is_some() { "correction-replaced" } else { "correction-retracted" },
                        &[("mark", txt(correction_mark(c.action, c.by_item, lang))), ("seq", txt(c.by_seq)),
                          ("reason", txt(t(&c.reason))), ("end", txt(""))],
                        &[("hash", &c.by_hash[..16])]))
                }
            }
            @for x in &item.disputed_by {
                p.mark {
                    (lang.f("mark-disputed", &[("item", txt(x.by_item)), ("seq", txt(x.by_seq))]))
                    (lang.f("disputed-by", &[("by", txt(t(&x.by))), ("reason", txt(t(&x.reason)))]))
                }
            }
            @if let Some(target) = &item.target {
                p {
                    (lang.t("label-concerns")) ": "
                    (pieces(lang, &concerns_id(target.item), &[("item", txt(target.item.unwrap_or(0)))], &[("hash", &target.hash)]))
                    "."
                }
            }
            div.content { (content(&item.content, lang)) }
            dl.facts {
                dt { (lang.t("label-recorded")) } dd { (item.recorded_at) }
                dt { (lang.t("label-signed-by")) }
                dd {
                    (pieces(lang, "signed-by-value",
                        &[("holder", txt(t(&item.signer_holder))), ("roles", txt(roles(&item.signer_roles, lang)))],
                        &[("key", &item.signer.to_string())]))
                }
                dt { (lang.t("label-entry-hash")) } dd { code { (item.entry_hash) } }
                dt { (lang.t("label-proof")) } dd { (item.proof) }
            }
            @if let Some(r) = item.corrected_by.as_ref().and_then(|c| c.replacement.as_ref()) {
                div.replacement {
                    strong { (lang.f("label-replacement", &[("title", txt(&r.title))])) ":" }
                    (content(r, lang))
                }
            }
        }
    }
}

fn tail(d: &Dossier) -> Markup {
    let lang = d.lang;
    html! {
        h2 { (lang.t("heading-governance")) }
        p { (lang.f("governance-intro", &[("count", num(d.governance_entries))])) }
        ul {
            @for g in &d.governance {
                li {
                    (pieces(lang, "governance-line",
                        &[("seq", txt(g.seq)), ("at", txt(g.recorded_at)), ("what", txt(t(&g.what)))],
                        &[("signer", &g.signer.to_string()), ("hash", &g.entry_hash.to_string())]))
                }
            }
        }
        h2 { (lang.t("heading-verified")) }
        ul { @for v in &d.verification { li { (t(v)) } } }
        h2 { (lang.t("heading-reverify")) }
        p { (pieces(lang, "reverify-intro", &[], &[("sha256", &d.bundle_sha256)])) }
        pre { (d.reverify_command) }
        p { (d.reverify_without_custody) }
        p {
            (pieces(lang, "reverify-checkpoint",
                &[("origin", txt(t(&d.checkpoint.origin))), ("size", num(d.checkpoint.size)), ("generated", txt(d.generated_at))],
                &[("root", &d.checkpoint.root), ("signer", &d.checkpoint.signer.to_string())]))
        }
        h2 { (lang.t("heading-glossary")) }
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
            title: "Capture".into(),
            occurred_at: Some("2022".into()),
            precision: Some("year"),
            fields: vec![super::super::Field {
                name: "notes".into(),
                label: "Notes".into(),
                value: "\u{1b}[2J\u{1b}]0;owned\u{7}<b>".into(),
                yes_no: None,
                value_words: None,
                redacted: None,
                withheld: false,
            }],
            attachments: Vec::new(),
        };
        let out = content(&c, Lang::En).into_string();
        assert!(!out.contains(['\u{1b}', '\u{7}']), "{out}");
        assert!(out.contains("\\u{1b}[2J"), "{out}");
        assert!(out.contains("&lt;b&gt;"), "{out}");
        let mut md = String::new();
        super::super::markdown::content_lines(&mut md, &c, "", false, Lang::Uk);
        assert!(!md.contains(['\u{1b}', '\u{7}']), "{md}");
    }
}
