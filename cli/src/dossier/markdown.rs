//! The dossier as Markdown (CommonMark). Every untrusted string goes
//! through `crate::escape::markdown`, so it cannot open a heading, an item,
//! a link or HTML, nor break a line. Every fixed text comes from the
//! dossier's language (`crate::i18n`); the catalogs are trusted.

use super::{Content, Dossier, Item};
use crate::escape::markdown as esc;
use crate::i18n::{num, txt, Lang, Piece};
use std::fmt::Write as _;

/// A message with code arguments, code in backticks.
fn pieces(
    lang: Lang,
    id: &str,
    args: &[(&str, fluent_bundle::FluentValue<'_>)],
    code: &[(&str, &str)],
) -> String {
    lang.pieces(id, args, code)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t,
            Piece::Code(c) => format!("`{c}`"),
        })
        .collect()
}

/// Renders the dossier.
pub(crate) fn render(d: &Dossier) -> String {
    let lang = d.lang;
    let mut md = String::new();
    head(&mut md, d);
    status(&mut md, d);
    let _ = writeln!(
        md,
        "## {}\n",
        lang.f(
            "heading-evidence",
            &[
                ("person", txt(&d.person)),
                ("count", num(d.items.len() as u64))
            ]
        )
    );
    if d.items.is_empty() {
        let _ = writeln!(md, "{}\n", lang.t("no-item"));
    }
    for item in &d.items {
        render_item(&mut md, item, lang);
    }
    if !d.timeline.is_empty() {
        let _ = writeln!(md, "## {}\n", lang.t("heading-timeline"));
        let mark = format!(" ({})", lang.t("timeline-legal-mark"));
        for p in &d.timeline {
            let _ = writeln!(
                md,
                "- {} — {}{}",
                esc(&p.date),
                esc(&p.label),
                if p.kind == "legal_mark" {
                    mark.as_str()
                } else {
                    ""
                }
            );
        }
        md.push('\n');
    }
    tail(&mut md, d);
    md
}

/// What the authority check means, in words.
pub(super) fn authority_check_words(d: &Dossier) -> String {
    d.lang.t(match d.authority_check {
        super::AuthorityCheck::Pinned => "authority-pinned",
        super::AuthorityCheck::Store => "authority-store",
        super::AuthorityCheck::NotPinned => "authority-not-pinned",
    })
}

fn head(md: &mut String, d: &Dossier) {
    let lang = d.lang;
    let _ = writeln!(
        md,
        "# {}\n",
        lang.f("dossier-title", &[("person", txt(&d.person))])
    );
    if let Some(cut) = &d.cut_words {
        let _ = writeln!(
            md,
            "> **{}:** {}\n",
            lang.t("label-time-cut"),
            lang.f("time-cut-shows", &[("cut", txt(esc(cut)))])
        );
    }
    if d.authority_check == super::AuthorityCheck::NotPinned {
        let _ = writeln!(
            md,
            "> **{}:** {}\n",
            lang.t("label-check-authority"),
            pieces(
                lang,
                "banner-check-authority",
                &[],
                &[
                    ("key", &d.authority.to_string()),
                    ("option", "--authority KEY")
                ]
            )
        );
    }
    let _ = writeln!(
        md,
        "- **{}:** {}",
        lang.t("label-ledger"),
        esc(&d.checkpoint.origin)
    );
    let _ = writeln!(
        md,
        "- **{}:** {}",
        lang.t("label-verdict"),
        esc(&d.verdict_words)
    );
    let _ = writeln!(
        md,
        "- **{}:** {}",
        lang.t("label-status"),
        esc(&d.status_words)
    );
    let _ = writeln!(
        md,
        "- **{}:** {}",
        lang.t("label-authority"),
        pieces(
            lang,
            "authority-key-value",
            &[
                ("holder", txt(esc(&d.authority_holder))),
                ("check", txt(authority_check_words(d))),
            ],
            &[("key", &d.authority.to_string())]
        )
    );
    let _ = writeln!(
        md,
        "- **{}:** {}",
        lang.t("label-checkpoint"),
        checkpoint_value(d, &esc(&d.checkpoint.signer_holder))
    );
    let _ = writeln!(
        md,
        "- **{}:** `{}` ({})",
        lang.t("label-bundle-sha256"),
        d.bundle_sha256,
        esc(&d.bundle_source)
    );
    let _ = writeln!(
        md,
        "- **{}:** {}\n",
        lang.t("label-generated"),
        d.generated_at
    );
    let _ = writeln!(md, "## {}\n", lang.t("heading-summary"));
    for s in &d.summary {
        let _ = writeln!(md, "{}\n", esc(s));
    }
}

fn checkpoint_value(d: &Dossier, holder: &str) -> String {
    pieces(
        d.lang,
        "checkpoint-value",
        &[
            ("size", num(d.checkpoint.size)),
            ("holder", txt(holder)),
            ("role", txt(d.checkpoint.signer_role)),
            ("since", txt(d.checkpoint.signer_since_seq)),
        ],
        &[
            ("root", &d.checkpoint.root),
            ("signer", &d.checkpoint.signer.to_string()),
        ],
    )
}

fn status(md: &mut String, d: &Dossier) {
    let lang = d.lang;
    let _ = writeln!(md, "## {}\n", lang.t("heading-status"));
    for f in &d.legal_clock {
        let _ = writeln!(
            md,
            "- **{}:** {} — {}",
            f.label,
            esc(&f.value),
            esc(&f.meaning)
        );
    }
    if d.legal_clock.is_empty() {
        let _ = writeln!(md, "- {}", esc(&d.status_words));
    }
    md.push('\n');
    let _ = writeln!(md, "### {}\n", lang.t("heading-flags"));
    if d.flags.is_empty() {
        let _ = writeln!(md, "{}", lang.t("none"));
    }
    for f in &d.flags {
        let _ = writeln!(md, "- **{}** — {}", esc(&f.title), esc(&f.meaning));
    }
    md.push('\n');
    if !d.disputed_items.is_empty() {
        let _ = writeln!(md, "### {}\n", lang.t("heading-disputes"));
        for item in d.items.iter().filter(|i| !i.disputed_by.is_empty()) {
            for x in &item.disputed_by {
                let _ = writeln!(
                    md,
                    "- {}",
                    lang.f(
                        "dispute-line",
                        &[
                            ("item", txt(item.number)),
                            ("title", txt(&item.content.title)),
                            ("by_item", txt(x.by_item)),
                            ("seq", txt(x.by_seq)),
                            ("by", txt(esc(&x.by))),
                            ("reason", txt(esc(&x.reason))),
                        ]
                    )
                );
            }
        }
        md.push('\n');
    }
}

/// The content of an event as list lines, struck through if `struck`.
pub(super) fn content_lines(md: &mut String, c: &Content, indent: &str, struck: bool, lang: Lang) {
    let (open, close) = if struck { ("~~", "~~") } else { ("", "") };
    if let Some(at) = &c.occurred_at {
        let _ = writeln!(
            md,
            "{indent}- **{}:** {open}{}{close} ({})",
            lang.t("label-occurred"),
            esc(at),
            precision(c, lang)
        );
    }
    for f in &c.fields {
        let _ = writeln!(
            md,
            "{indent}- **{}:** {open}{}{close}",
            f.label,
            esc(&f.shown())
        );
    }
    for a in &c.attachments {
        let _ = writeln!(
            md,
            "{indent}- **{}:** SHA-256 `{}` ({}){}",
            lang.t("label-attachment"),
            a.sha256,
            esc(&a.media_type),
            a.description
                .as_deref()
                .map(|d| format!(" — {}", esc(d)))
                .unwrap_or_default()
        );
    }
}

/// A date's precision in words (`month precision`).
pub(super) fn precision(c: &Content, lang: Lang) -> String {
    lang.value("precision", c.precision.unwrap_or("unknown"))
}

/// An item's correction mark (`RETRACTED by item 7`).
pub(super) fn correction_mark(action: &str, by_item: usize, lang: Lang) -> String {
    lang.f(
        if action == "retracted" {
            "mark-retracted"
        } else {
            "mark-replaced"
        },
        &[("item", txt(by_item))],
    )
}

fn render_item(md: &mut String, item: &Item, lang: Lang) {
    let struck = item.corrected_by.is_some();
    let mark = match &item.corrected_by {
        Some(c) => format!(" — {}", correction_mark(c.action, c.by_item, lang)),
        None => String::new(),
    };
    let seq = lang.f("seq", &[("seq", txt(item.seq))]);
    let title = if struck {
        format!("~~{} ({seq})~~", item.content.title)
    } else {
        format!("{} ({seq})", item.content.title)
    };
    let _ = writeln!(md, "### {}. {title}{mark}\n", item.number);
    if let Some(c) = &item.corrected_by {
        let _ = writeln!(
            md,
            "{}\n",
            pieces(
                lang,
                if c.replacement.is_some() {
                    "correction-replaced"
                } else {
                    "correction-retracted"
                },
                &[
                    (
                        "mark",
                        txt(format!("**{}", correction_mark(c.action, c.by_item, lang)))
                    ),
                    ("seq", txt(c.by_seq)),
                    ("reason", txt(esc(&c.reason))),
                    ("end", txt("**")),
                ],
                &[("hash", &c.by_hash[..16])]
            )
        );
    }
    for x in &item.disputed_by {
        let _ = writeln!(
            md,
            "**{}**{}\n",
            lang.f(
                "mark-disputed",
                &[("item", txt(x.by_item)), ("seq", txt(x.by_seq))]
            ),
            lang.f(
                "disputed-by",
                &[("by", txt(esc(&x.by))), ("reason", txt(esc(&x.reason)))]
            )
        );
    }
    if let Some(t) = &item.target {
        let _ = writeln!(
            md,
            "- **{}:** {}",
            lang.t("label-concerns"),
            pieces(
                lang,
                &concerns_id(t.item),
                &[("item", txt(t.item.unwrap_or(0)))],
                &[("hash", &t.hash)]
            )
        );
    }
    content_lines(md, &item.content, "", struck, lang);
    let _ = writeln!(
        md,
        "- **{}:** {}",
        lang.t("label-recorded"),
        item.recorded_at
    );
    let _ = writeln!(
        md,
        "- **{}:** {}",
        lang.t("label-signed-by"),
        pieces(
            lang,
            "signed-by-value",
            &[
                ("holder", txt(esc(&item.signer_holder))),
                ("roles", txt(roles(&item.signer_roles, lang))),
            ],
            &[("key", &item.signer.to_string())]
        )
    );
    let _ = writeln!(
        md,
        "- **{}:** `{}`",
        lang.t("label-entry-hash"),
        item.entry_hash
    );
    let _ = writeln!(md, "- **{}:** {}", lang.t("label-proof"), item.proof);
    if let Some(r) = item
        .corrected_by
        .as_ref()
        .and_then(|c| c.replacement.as_ref())
    {
        let _ = writeln!(
            md,
            "- **{}:**",
            lang.f("label-replacement", &[("title", txt(&r.title))])
        );
        content_lines(md, r, "  ", false, lang);
    }
    md.push('\n');
}

/// The message of an item's link to the item it concerns.
pub(super) fn concerns_id(item: Option<usize>) -> String {
    if item.is_some() {
        "concerns-item".into()
    } else {
        "concerns-not-shown".into()
    }
}

/// The signer's roles (enum values, as `custody key grant` names them).
pub(super) fn roles(r: &[&str], lang: Lang) -> String {
    if r.is_empty() {
        lang.t("roles-none")
    } else {
        r.join(", ")
    }
}

fn tail(md: &mut String, d: &Dossier) {
    let lang = d.lang;
    let _ = writeln!(md, "## {}\n", lang.t("heading-governance"));
    let _ = writeln!(
        md,
        "{}\n",
        lang.f("governance-intro", &[("count", num(d.governance_entries))])
    );
    for g in &d.governance {
        let _ = writeln!(
            md,
            "- {}",
            pieces(
                lang,
                "governance-line",
                &[
                    ("seq", txt(g.seq)),
                    ("at", txt(g.recorded_at)),
                    ("what", txt(esc(&g.what))),
                ],
                &[
                    ("signer", &g.signer.to_string()),
                    ("hash", &g.entry_hash.to_string())
                ]
            )
        );
    }
    let _ = writeln!(md, "\n## {}\n", lang.t("heading-verified"));
    for v in &d.verification {
        let _ = writeln!(md, "- {}", esc(v));
    }
    let _ = writeln!(md, "\n## {}\n", lang.t("heading-reverify"));
    let _ = writeln!(
        md,
        "{}\n",
        pieces(lang, "reverify-intro", &[], &[("sha256", &d.bundle_sha256)])
    );
    let _ = writeln!(md, "```\n{}\n```\n", d.reverify_command);
    let _ = writeln!(md, "{}\n", esc(&d.reverify_without_custody));
    let _ = writeln!(
        md,
        "{}\n",
        pieces(
            lang,
            "reverify-checkpoint",
            &[
                ("origin", txt(esc(&d.checkpoint.origin))),
                ("size", num(d.checkpoint.size)),
                ("generated", txt(d.generated_at)),
            ],
            &[
                ("root", &d.checkpoint.root),
                ("signer", &d.checkpoint.signer.to_string()),
            ]
        )
    );
    let _ = writeln!(md, "## {}\n", lang.t("heading-glossary"));
    for t in &d.glossary {
        let _ = writeln!(md, "- **{}:** {}", esc(&t.term), esc(&t.meaning));
    }
}
