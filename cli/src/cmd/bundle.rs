//! Evidence bundles and dossiers for prosecutors: one person's complete
//! bundle against a sealed, signed checkpoint (`custody export --person`),
//! and the chain-of-custody report built from such a bundle once verified
//! complete or absent (`custody dossier`). The format is specified in
//! `custody_verifier::bundle`.

use crate::escape::markdown;
use crate::exit::{refused, CmdResult};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::event::{Event, PersonId};
use custody_verifier::bundle::{
    verify_bundle, BundleEntry, BundleOptions, Completeness, VerifiedBundle,
};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// `custody dossier`.
#[derive(Args)]
pub(crate) struct DossierArgs {
    /// The person.
    person: String,
}

/// What an entry says, in words, with every untrusted string passed through
/// `esc` (Markdown escaping for the dossier, none for JSON).
fn describe_event(e: &Event, esc: fn(&str) -> String) -> String {
    let place = |p: &Option<String>| {
        p.as_deref()
            .map(|p| format!(" at {}", esc(p)))
            .unwrap_or_default()
    };
    match e {
        Event::MissingReport(m) => format!(
            "reported missing ({}){}",
            m.category,
            m.last_seen_place
                .as_deref()
                .map(|p| format!(", last seen at {}", esc(p)))
                .unwrap_or_default()
        ),
        Event::Capture(c) => format!("captured{}", place(&c.place)),
        Event::IcrcNotification(n) => format!(
            "the detaining power notified the ICRC{}",
            n.reference
                .as_deref()
                .map(|r| format!(" (reference {})", esc(r)))
                .unwrap_or_default()
        ),
        Event::Sighting(s) => format!(
            "seen alive in captivity{} (source: {})",
            place(&s.place),
            s.source
        ),
        Event::Release(r) => format!("released ({}){}", r.kind, place(&r.place)),
        Event::Death(d) => format!("died{} (cause: {})", place(&d.place), d.cause),
        Event::Correspondence(c) => format!(
            "{} reached the family{}",
            c.kind,
            c.via
                .as_deref()
                .map(|v| format!(" via {}", esc(v)))
                .unwrap_or_default()
        ),
        Event::Correction(c) => match &c.replacement {
            Some(r) => format!(
                "corrects entry {}: replaced by \"{}\" — {}",
                c.target,
                describe_event(r, esc),
                esc(&c.reason)
            ),
            None => format!("retracts entry {} — {}", c.target, esc(&c.reason)),
        },
        Event::Genesis(g) => format!(
            "ledger {} created; authority held by {}",
            esc(&g.ledger_name),
            esc(&g.authority_holder)
        ),
        Event::KeyGranted(k) => format!(
            "key {} granted the role {} (holder: {})",
            k.public_key,
            k.role,
            esc(&k.holder)
        ),
        Event::KeyRevoked(k) => format!("key {} revoked — {}", k.public_key, esc(&k.reason)),
        Event::Checkpoint(c) => format!("checkpoint of {} entries", c.tree_size),
        Event::Denial(d) => format!("{} refused to acknowledge the detention", esc(&d.by)),
        Event::Inquiry(i) => format!("{} asked {} for news", esc(&i.by), esc(&i.to)),
        Event::Transfer(t) => format!(
            "transferred{} to {} (source: {})",
            t.from
                .as_deref()
                .map(|f| format!(" from {}", esc(f)))
                .unwrap_or_default(),
            esc(&t.to),
            t.source
        ),
        Event::Visit(v) => format!("visited by {}{}", v.visitor, place(&v.place)),
        Event::LegalProceeding(l) => format!(
            "legal proceeding: {} (source: {}){}{}{}",
            l.stage,
            l.source,
            l.authority
                .as_deref()
                .map(|a| format!(", by {}", esc(a)))
                .unwrap_or_default(),
            l.charge
                .as_deref()
                .map(|c| format!(", charge: {}", esc(c)))
                .unwrap_or_default(),
            l.sentence
                .as_deref()
                .map(|c| format!(", sentence: {}", esc(c)))
                .unwrap_or_default()
        ),
        Event::IllTreatment(t) => format!(
            "ill-treatment reported: {}{} (source: {})",
            t.kind,
            place(&t.place),
            t.source
        ),
        Event::RemainsReturned(r) => format!("remains returned{}", place(&r.place)),
        Event::Dispute(d) => format!(
            "{} disputes entry {} — {}",
            esc(&d.by),
            d.target,
            esc(&d.reason)
        ),
        Event::ClockCorrection(c) => format!(
            "clock correction: entries from seq {} on were recorded by a wrong clock — {}",
            c.since,
            esc(&c.reason)
        ),
        Event::Seal(seal) => format!(
            "seal of {} governance entries and the person map {}",
            seal.gov_count, seal.map_root
        ),
    }
}

/// Renders a verified bundle as the Markdown chain-of-custody report.
pub(crate) fn render_markdown(b: &VerifiedBundle) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Chain-of-custody dossier: {}\n", b.person);
    let _ = writeln!(md, "- **Ledger:** {}", markdown(&b.origin));
    let _ = writeln!(
        md,
        "- **Authority key (genesis):** `{}` — compare it with the key you were given by the ledger's authority",
        b.authority
    );
    let _ = writeln!(
        md,
        "- **Checkpoint:** {} entries, root `{}`, signed by `{}` ({}, an authority since seq {})",
        b.checkpoint.size,
        hex::encode(b.checkpoint.root),
        b.checkpoint_signer,
        markdown(&b.checkpoint_signer_granted.0),
        b.checkpoint_signer_granted.1
    );
    let _ = writeln!(md, "- **Verdict:** {}", verdict(b, markdown));
    let _ = writeln!(
        md,
        "- **Verification:** every entry below is signed by a key that held the needed role when it was recorded, and is in the checkpoint's Merkle tree, unaltered: by its RFC 9162 inclusion proof, or named by hash by a later entry's link, the seal or the seal's person map.\n"
    );
    let _ = writeln!(md, "## Evidence about {}\n", b.person);
    let mut n = 0;
    for be in b.entries.iter().filter(|e| is_evidence_item(e)) {
        n += 1;
        let e = &be.entry;
        let body = e.body();
        let _ = writeln!(
            md,
            "### {n}. {} (seq {})\n",
            body.event.type_name(),
            body.seq
        );
        let _ = writeln!(md, "- **What:** {}", describe_event(&body.event, markdown));
        if let Some(at) = body.event.occurred_at() {
            let _ = writeln!(md, "- **Occurred:** {at} ({} precision)", at.precision());
        }
        let _ = writeln!(md, "- **Recorded:** {}", body.recorded_at);
        let _ = writeln!(
            md,
            "- **Signed by:** `{}` ({})",
            body.signer,
            markdown(&be.holder)
        );
        let _ = writeln!(md, "- **Entry hash:** `{}`", e.hash());
        for a in body.event.attachments() {
            let _ = writeln!(
                md,
                "- **Attachment:** SHA-256 `{}` ({}){}",
                a.sha256,
                markdown(&a.media_type),
                a.description
                    .as_deref()
                    .map(|d| format!(" — {}", markdown(d)))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(md, "- **Proof:** {}\n", proof_words(b, be));
    }
    let _ = writeln!(
        md,
        "## Keys and governance (entries before the checkpoint)\n"
    );
    for be in b.entries.iter().filter(|e| e.entry.event().is_governance()) {
        let body = be.entry.body();
        let _ = writeln!(
            md,
            "- seq {} ({}): {} — signed by `{}`, entry hash `{}`",
            body.seq,
            body.recorded_at,
            describe_event(&body.event, markdown),
            body.signer,
            be.entry.hash()
        );
    }
    md
}

/// An item of the evidence section: neither governance nor the seal (or a
/// checkpoint).
fn is_evidence_item(be: &BundleEntry) -> bool {
    let ev = be.entry.event();
    !ev.is_governance() && !matches!(ev, Event::Seal(_) | Event::Checkpoint(_))
}

/// How an item was tied to the checkpoint.
fn proof_words(b: &VerifiedBundle, be: &BundleEntry) -> String {
    if be.proof_len == 0
        && b.checkpoint.size > 1
        && !matches!(b.completeness, Completeness::InclusionOnly)
    {
        format!(
            "named by hash by an authenticated entry (a stream link, a correction, or the seal) in the tree of {} entries: verified",
            b.checkpoint.size
        )
    } else {
        format!(
            "included in the tree of {} entries ({} hashes): verified",
            b.checkpoint.size, be.proof_len
        )
    }
}

/// The dossier's verdict: COMPLETE, ABSENT (or, never from `dossier`,
/// inclusion only), with untrusted names through `esc`.
fn verdict(b: &VerifiedBundle, esc: fn(&str) -> String) -> String {
    let signer = format!(
        "the checkpoint signed by {} ({})",
        b.checkpoint_signer,
        esc(&b.checkpoint_signer_granted.0)
    );
    match b.completeness {
        Completeness::Complete { entries, .. } => format!(
            "COMPLETE — these are all {entries} entries about {}, and all {} governance entries, as of the checkpoint of {} entries ({signer})",
            b.person, b.governance, b.checkpoint.size
        ),
        Completeness::Absent => format!(
            "ABSENT — no entry concerns {} as of the checkpoint of {} entries ({signer}); the {} governance entries before it are shown",
            b.person, b.checkpoint.size, b.governance
        ),
        Completeness::InclusionOnly => format!(
            "INCLUSION ONLY — the entries shown are in the ledger, but others may have been left out ({signer})"
        ),
    }
}

/// Runs `dossier`.
pub(crate) fn dossier(ctx: &Context, args: DossierArgs) -> CmdResult {
    let person = PersonId::new(&args.person).map_err(|m| refused(anyhow::anyhow!("{m}")))?;
    let ledger = ctx.open_read_only()?;
    let text = ledger
        .person_bundle(&person, None, &[])?
        .to_json()
        .into_bytes();
    // The dossier rests on what the bundle proves, checked as anyone
    // without the store would check it: complete, or the person absent.
    let options = BundleOptions {
        authority: ledger.registry().genesis_authority(),
        ..BundleOptions::default()
    };
    let verified = verify_bundle(&text, &options).map_err(|e| {
        refused(anyhow::anyhow!(
            "the bundle of {person} does not verify: {e}; run `custody verify`"
        ))
    })?;
    if ctx.json {
        let entries: Vec<Value> = verified
            .entries
            .iter()
            .map(|be| {
                json!({
                    "seq": be.entry.seq(),
                    "type": be.entry.event().type_name(),
                    "what": describe_event(be.entry.event(), str::to_string),
                    "occurred_at": be.entry.event().occurred_at(),
                    "recorded_at": be.entry.body().recorded_at,
                    "signer": be.entry.body().signer,
                    "holder": be.holder,
                    "entry_hash": be.entry.hash(),
                    "attachments": be.entry.event().attachments(),
                    "proof_hashes": be.proof_len,
                    "proof": "verified",
                })
            })
            .collect();
        print_json(&json!({
            "person": person,
            "origin": verified.origin,
            "authority": verified.authority,
            "checkpoint": {
                "tree_size": verified.checkpoint.size,
                "root": hex::encode(verified.checkpoint.root),
                "signer": verified.checkpoint_signer,
            },
            "verdict": match verified.completeness {
                Completeness::Complete { .. } => "complete",
                Completeness::Absent => "absent",
                Completeness::InclusionOnly => "inclusion_only",
            },
            "summary": verdict(&verified, str::to_string),
            "entries_about_person": match verified.completeness {
                Completeness::Complete { entries, .. } => entries,
                _ => 0,
            },
            "governance_entries": verified.governance,
            "checkpoint_signer_holder": verified.checkpoint_signer_granted.0,
            "entries": entries,
        }));
    } else {
        print!("{}", render_markdown(&verified));
    }
    Ok(())
}
