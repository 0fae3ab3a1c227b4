//! The dossier as Markdown (CommonMark). Every untrusted string goes
//! through `crate::escape::markdown`, so it cannot open a heading, an item,
//! a link or HTML, nor break a line.

use super::{Content, Dossier, Item};
use crate::escape::markdown as esc;
use std::fmt::Write as _;

/// Renders the dossier.
pub(crate) fn render(d: &Dossier) -> String {
    let mut md = String::new();
    head(&mut md, d);
    status(&mut md, d);
    let _ = writeln!(
        md,
        "## Evidence about {} ({} items)\n",
        d.person,
        d.items.len()
    );
    if d.items.is_empty() {
        let _ = writeln!(md, "No item at this cut.\n");
    }
    for item in &d.items {
        render_item(&mut md, item);
    }
    if !d.timeline.is_empty() {
        let _ = writeln!(md, "## Timeline\n");
        for p in &d.timeline {
            let _ = writeln!(
                md,
                "- {} — {}{}",
                esc(&p.date),
                esc(&p.label),
                if p.kind == "legal_mark" {
                    " (legal mark)"
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

fn head(md: &mut String, d: &Dossier) {
    let _ = writeln!(md, "# Chain-of-custody dossier: {}\n", d.person);
    if let Some(cut) = &d.cut_words {
        let _ = writeln!(md, "> **Time cut:** this dossier shows {}.\n", esc(cut));
    }
    if d.authority_check == super::AuthorityCheck::NotPinned {
        let _ = writeln!(
            md,
            "> **Check the authority key:** `{}` — this bundle was not checked against a key you trust. Compare this key with the one the ledger's authority gave you, or re-run with `--authority KEY`.\n",
            d.authority
        );
    }
    let _ = writeln!(md, "- **Ledger:** {}", esc(&d.checkpoint.origin));
    let _ = writeln!(md, "- **Verdict:** {}", esc(&d.verdict_words));
    let _ = writeln!(md, "- **Status:** {}", esc(&d.status_words));
    let _ = writeln!(
        md,
        "- **Authority key (genesis):** `{}` ({}) — {}",
        d.authority,
        esc(&d.authority_holder),
        match d.authority_check {
            super::AuthorityCheck::Pinned => "matches the key given with --authority",
            super::AuthorityCheck::Store => "from the operator's store; compare it with the key you were given by the ledger's authority",
            super::AuthorityCheck::NotPinned => "NOT checked: compare it with the key you were given by the ledger's authority",
        }
    );
    let _ = writeln!(
        md,
        "- **Checkpoint:** {} entries, root `{}`, signed by `{}` ({}, an authority since seq {})",
        d.checkpoint.size,
        d.checkpoint.root,
        d.checkpoint.signer,
        esc(&d.checkpoint.signer_holder),
        d.checkpoint.signer_authority_since_seq
    );
    let _ = writeln!(
        md,
        "- **Bundle SHA-256:** `{}` ({})",
        d.bundle_sha256,
        esc(&d.bundle_source)
    );
    let _ = writeln!(md, "- **Generated:** {}\n", d.generated_at);
    let _ = writeln!(md, "## Summary\n");
    for s in &d.summary {
        let _ = writeln!(md, "{}\n", esc(s));
    }
}

fn status(md: &mut String, d: &Dossier) {
    let _ = writeln!(md, "## Status and legal clock\n");
    for f in &d.legal_clock {
        let _ = writeln!(
            md,
            "- **{}:** {} — {}",
            f.label,
            esc(&f.value),
            esc(f.meaning)
        );
    }
    if d.legal_clock.is_empty() {
        let _ = writeln!(md, "- {}", esc(&d.status_words));
    }
    md.push('\n');
    let _ = writeln!(md, "### Flags\n");
    if d.flags.is_empty() {
        let _ = writeln!(md, "None.");
    }
    for f in &d.flags {
        let _ = writeln!(md, "- **{}** — {}", esc(f.flag), esc(f.meaning));
    }
    md.push('\n');
    if !d.disputed_items.is_empty() {
        let _ = writeln!(md, "### Disputes\n");
        for item in d.items.iter().filter(|i| !i.disputed_by.is_empty()) {
            for x in &item.disputed_by {
                let _ = writeln!(
                    md,
                    "- Item {} ({}) is disputed by item {} (seq {}), by {}: {}",
                    item.number,
                    item.content.title,
                    x.by_item,
                    x.by_seq,
                    esc(&x.by),
                    esc(&x.reason)
                );
            }
        }
        md.push('\n');
    }
}

/// The content of an event as list lines, struck through if `struck`.
pub(super) fn content_lines(md: &mut String, c: &Content, indent: &str, struck: bool) {
    let (open, close) = if struck { ("~~", "~~") } else { ("", "") };
    if let Some(at) = &c.occurred_at {
        let _ = writeln!(
            md,
            "{indent}- **Occurred:** {open}{}{close} ({} precision)",
            esc(at),
            c.precision.unwrap_or("unknown")
        );
    }
    for f in &c.fields {
        let _ = writeln!(
            md,
            "{indent}- **{}:** {open}{}{close}",
            f.label,
            esc(&f.value)
        );
    }
    for a in &c.attachments {
        let _ = writeln!(
            md,
            "{indent}- **Attachment:** SHA-256 `{}` ({}){}",
            a.sha256,
            esc(&a.media_type),
            a.description
                .as_deref()
                .map(|d| format!(" — {}", esc(d)))
                .unwrap_or_default()
        );
    }
}

fn render_item(md: &mut String, item: &Item) {
    let struck = item.corrected_by.is_some();
    let mark = match &item.corrected_by {
        Some(c) if c.action == "retracted" => format!(" — RETRACTED by item {}", c.by_item),
        Some(c) => format!(" — REPLACED by item {}", c.by_item),
        None => String::new(),
    };
    let title = if struck {
        format!("~~{} (seq {})~~", item.content.title, item.seq)
    } else {
        format!("{} (seq {})", item.content.title, item.seq)
    };
    let _ = writeln!(md, "### {}. {title}{mark}\n", item.number);
    if let Some(c) = &item.corrected_by {
        let _ = writeln!(
            md,
            "**{} by item {} (seq {}, entry `{}`):** {}. This item no longer counts{}.\n",
            c.action.to_uppercase(),
            c.by_item,
            c.by_seq,
            &c.by_hash[..16],
            esc(&c.reason),
            if c.replacement.is_some() {
                "; its replacement, below, does"
            } else {
                ""
            }
        );
    }
    for x in &item.disputed_by {
        let _ = writeln!(
            md,
            "**DISPUTED by item {} (seq {})**, by {}: {}\n",
            x.by_item,
            x.by_seq,
            esc(&x.by),
            esc(&x.reason)
        );
    }
    if let Some(t) = &item.target {
        let _ = writeln!(
            md,
            "- **Concerns:** {} (entry `{}`)",
            t.item
                .map(|n| format!("item {n}"))
                .unwrap_or_else(|| "an entry not shown at this cut".into()),
            t.hash
        );
    }
    content_lines(md, &item.content, "", struck);
    let _ = writeln!(md, "- **Recorded:** {}", item.recorded_at);
    let _ = writeln!(
        md,
        "- **Signed by:** `{}` ({}), role when signing: {}",
        item.signer,
        esc(&item.signer_holder),
        roles(&item.signer_roles)
    );
    let _ = writeln!(md, "- **Entry hash:** `{}`", item.entry_hash);
    let _ = writeln!(md, "- **Proof:** {}", item.proof);
    if let Some(r) = item
        .corrected_by
        .as_ref()
        .and_then(|c| c.replacement.as_ref())
    {
        let _ = writeln!(md, "- **Replacement ({}):**", r.title);
        content_lines(md, r, "  ", false);
    }
    md.push('\n');
}

pub(super) fn roles(r: &[&str]) -> String {
    if r.is_empty() {
        "none".into()
    } else {
        r.join(", ")
    }
}

fn tail(md: &mut String, d: &Dossier) {
    let _ = writeln!(md, "## Keys and governance\n");
    let _ = writeln!(
        md,
        "Who could sign, replayed from the ledger's governance entries (all {} of them before the checkpoint):\n",
        d.governance_entries
    );
    for g in &d.governance {
        let _ = writeln!(
            md,
            "- seq {} ({}): {} — signed by `{}`, entry hash `{}`",
            g.seq,
            g.recorded_at,
            esc(&g.what),
            g.signer,
            g.entry_hash
        );
    }
    let _ = writeln!(md, "\n## What was verified, and how\n");
    for v in &d.verification {
        let _ = writeln!(md, "- {}", esc(v));
    }
    let _ = writeln!(md, "\n## How to verify it yourself\n");
    let _ = writeln!(
        md,
        "With the bundle file (its SHA-256 is `{}`) and the authority key you were given:\n",
        d.bundle_sha256
    );
    let _ = writeln!(md, "```\n{}\n```\n", d.reverify_command);
    let _ = writeln!(md, "{}\n", esc(d.reverify_without_custody));
    let _ = writeln!(
        md,
        "Checkpoint: origin {}, {} entries, root `{}`, signed by `{}`. Generated {}.\n",
        esc(&d.checkpoint.origin),
        d.checkpoint.size,
        d.checkpoint.root,
        d.checkpoint.signer,
        d.generated_at
    );
    let _ = writeln!(md, "## Glossary\n");
    for t in &d.glossary {
        let _ = writeln!(md, "- **{}:** {}", esc(t.term), esc(t.meaning));
    }
}
