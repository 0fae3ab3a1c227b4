//! The dossier's words: what each verdict, status, clock fact, flag and
//! term means, for a reader who is a lawyer, not a cryptographer. Plain
//! text; untrusted strings are never put in here except where a renderer
//! escapes the whole (the verdict, the summary).

use super::{ClockFact, Dossier, Term};
use custody_format::event::Event;
use custody_ledger::projection::{DayBounds, Flag, PersonStatus, Status};
use custody_verifier::bundle::{Completeness, VerifiedBundle};

/// What anyone can do without custody.
pub(super) const WITHOUT_CUSTODY: &str = "Anyone can check the bundle without this software: docs/FORMAT.md section 7 (\"Person bundles\") specifies every step — decode each entry, recompute its SHA-256 hash, check its Ed25519 signature, replay the keys' roles from the governance entries, and recompute the Merkle root that the signed checkpoint states.";

/// The verdict in plain words.
pub(super) fn verdict(b: &VerifiedBundle) -> String {
    let signer = format!(
        "the checkpoint signed by {} ({})",
        b.checkpoint_signer, b.checkpoint_signer_granted.0
    );
    match b.completeness {
        Completeness::Complete { entries, .. } => format!(
            "COMPLETE — these are all {entries} entries about {}, and all {} governance entries, as of the checkpoint of {} entries ({signer}): nothing about this person was left out, and nothing was altered",
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

/// The verdict, and under a time cut how much of it the reader sees, so
/// "all N entries" is never read as "all N shown".
pub(super) fn verdict_at(b: &VerifiedBundle, cut: bool, shown: usize) -> String {
    let mut words = verdict(b);
    if cut && matches!(b.completeness, Completeness::Complete { .. }) {
        words.push_str(&format!(
            "; at the time cut stated above, {shown} of them are shown"
        ));
    }
    words
}

/// A governance entry in words.
pub(super) fn governance(e: &Event) -> String {
    match e {
        Event::Genesis(g) => format!(
            "ledger {} created; its authority key {} is held by {}",
            g.ledger_name, g.authority_key, g.authority_holder
        ),
        Event::KeyGranted(k) => format!(
            "key {} granted the role {} (holder: {})",
            k.public_key, k.role, k.holder
        ),
        Event::KeyRevoked(k) => format!("key {} revoked: {}", k.public_key, k.reason),
        other => other.type_name().to_string(),
    }
}

/// An event type in words.
pub(super) fn title(e: &Event) -> &'static str {
    match e {
        Event::MissingReport(_) => "Reported missing",
        Event::Capture(_) => "Capture",
        Event::IcrcNotification(_) => "Notification to the ICRC",
        Event::Sighting(_) => "Sighting (seen alive in captivity)",
        Event::Release(_) => "Release",
        Event::Death(_) => "Death",
        Event::Correspondence(_) => "Correspondence (contact with the family)",
        Event::Correction(_) => "Correction",
        Event::Denial(_) => "Denial (refusal to acknowledge the detention)",
        Event::Inquiry(_) => "Inquiry (request for news)",
        Event::Transfer(_) => "Transfer",
        Event::Visit(_) => "Visit",
        Event::LegalProceeding(_) => "Legal proceeding",
        Event::IllTreatment(_) => "Ill-treatment reported",
        Event::RemainsReturned(_) => "Remains returned",
        Event::Dispute(_) => "Dispute",
        Event::ClockCorrection(_) => "Clock correction",
        Event::Genesis(_) => "Genesis",
        Event::KeyGranted(_) => "Key granted",
        Event::KeyRevoked(_) => "Key revoked",
        Event::Checkpoint(_) => "Checkpoint",
        Event::Seal(_) => "Seal",
        Event::Statement(_) => "Statement (evidence signed by its author, registered here)",
        Event::Redaction(_) => "Redaction (personal data erased)",
        Event::Predecessor(_) => "Predecessor (the ledger this one re-issues)",
    }
}

/// A field's label.
pub(super) fn field_label(name: &str) -> String {
    match name {
        "person" => "Person".into(),
        "last_seen_place" => "Last seen at".into(),
        "date_of_birth" => "Date of birth".into(),
        "service_number" => "Service number".into(),
        "location_disclosed" => "Place of detention disclosed".into(),
        "health_disclosed" => "Health disclosed".into(),
        "remains_returned" => "Remains returned".into(),
        "via" => "Through".into(),
        "by" => "By".into(),
        "to" => "To".into(),
        "target" => "Entry concerned (hash)".into(),
        "since" => "From seq".into(),
        other => {
            let mut s = other.replace('_', " ");
            if let Some(first) = s.get(0..1) {
                let up = first.to_uppercase();
                s.replace_range(0..1, &up);
            }
            s
        }
    }
}

fn days(d: &Option<DayBounds>) -> Option<String> {
    d.map(|d| {
        if d.min == d.max {
            format!("{} days", d.min)
        } else {
            format!(
                "between {} and {} days (the dates are approximate)",
                d.min, d.max
            )
        }
    })
}

/// The status in words.
pub(super) fn status(st: Option<&PersonStatus>) -> String {
    let Some(st) = st else {
        return "no evidence about this person at this cut".into();
    };
    let what = match st.status {
        Status::Missing => "missing: reported missing, with no evidence that they are held",
        Status::HeldUnacknowledged => "held, unacknowledged: there is evidence that they are in custody, but the detaining power has not acknowledged it",
        Status::HeldAcknowledged => "held, acknowledged: the detaining power notified the ICRC (or acknowledged the detention by its own act)",
        Status::Released => "released (exchanged, repatriated or freed)",
        Status::Deceased => "deceased: a death is recorded",
    };
    format!("{what} — since {} ({})", st.since, st.status.name())
}

/// What the first fact of the legal clock means.
pub(super) const COUNTED_TO: &str = "Every day count below runs to this moment: the ledger's signed checkpoint (its seal), the latest moment the evidence vouches for, or the --as-of cut. The dossier says nothing of what happened after it.";

/// The legal clock: each fact with what it means.
pub(super) fn legal_clock(st: &PersonStatus) -> Vec<ClockFact> {
    let mut out = Vec::new();
    let mut fact = |label, value: Option<String>, meaning| {
        if let Some(value) = value {
            out.push(ClockFact {
                label,
                value,
                meaning,
            });
        }
    };
    fact(
        "Name",
        st.name.clone(),
        "The name the missing report gives (the ledger knows the person by their id).",
    );
    fact(
        "Last known place",
        st.last_known_place.as_ref().and_then(|l| {
            l.place
                .as_ref()
                .map(|p| format!("{p} ({}, {})", l.at, l.by))
        }),
        "The latest place the evidence names (a capture, sighting, transfer, visit or the place last seen free): where to look.",
    );
    match (st.capture_recorded, st.captured_at) {
        (Some(false), Some(by)) => fact(
            "Captured",
            Some(match st.captured_after {
                Some(a) => format!("between {a} and {by}"),
                None => format!("no later than {by}"),
            }),
            "No capture is recorded: the first evidence of custody (a sighting) is a bound — the capture happened no later than this, and no earlier than the last time the person was seen free. Every day count below runs from these bounds.",
        ),
        (_, at) => fact(
            "Captured",
            at.map(|t| t.to_string()),
            "The recorded capture that began the current detention.",
        ),
    }
    fact(
        "ICRC notified",
        st.icrc_notified_at.map(|t| t.to_string()),
        "When the detaining power notified the ICRC (GC III Arts. 70, 122: within one week of capture).",
    );
    if let (Some(at), Some(by)) = (&st.acknowledged_at, &st.acknowledged_by) {
        if by != "icrc_notification" {
            fact(
                "Acknowledged",
                Some(format!("{at} by {by}")),
                "The detaining state acknowledged the detention by its own act (a court decision, a transfer notice), without notifying the ICRC.",
            );
        }
    }
    fact(
        "Notification delay",
        days(&st.notification_delay_days),
        "Days from capture to the notification: more than 7 breaches GC III Art. 70.",
    );
    fact(
        "Unacknowledged for",
        days(&st.days_unacknowledged),
        "Days held since capture with no notification (up to release, death, the cut or today).",
    );
    fact(
        "Last contact",
        st.last_contact_at.map(|t| t.to_string()),
        "The latest correspondence or visit in this detention (or the capture).",
    );
    fact(
        "Without contact for",
        days(&st.days_without_contact),
        "Days since the last contact, while held: more than 30 is incommunicado detention (GC III Art. 71).",
    );
    fact(
        "Released",
        st.released_at.map(|t| t.to_string()),
        "The release that ended the last detention.",
    );
    fact(
        "Died",
        st.died_at.map(|t| t.to_string()),
        "The recorded death.",
    );
    fact(
        "Cause of death",
        st.death_cause.map(|c| c.to_string()),
        "As recorded.",
    );
    fact(
        "Remains returned",
        st.remains_returned
            .map(|r| if r { "yes" } else { "no" }.to_string()),
        "Whether the remains were handed over.",
    );
    let a = &st.axes;
    fact(
        "Axes",
        Some(format!(
            "acknowledgement {}, liberty {}, fate {}, legal category {}, place of detention disclosed: {}, visits: {}",
            a.acknowledgement,
            a.liberty,
            a.fate,
            a.legal_category.as_deref().unwrap_or("unknown"),
            if a.location_disclosed { "yes" } else { "no" },
            a.visits
        )),
        "The separate questions behind the one status: was the detention acknowledged, is the person held, are they alive, and under which law are they held.",
    );
    fact(
        "Ill-treatment reported",
        (!a.ill_treatment.is_empty()).then(|| a.ill_treatment.join(", ")),
        "The kinds of ill-treatment the evidence reports (torture, beating, denial of medical care, …), in any detention; each report is an item below with its source.",
    );
    fact(
        "Requests for news",
        (a.inquiries > 0).then(|| a.inquiries.to_string()),
        "Requests for news recorded (by the family, to the ICRC, the police, an ombudsman): the right to know the fate and whereabouts of a detained relative (ICPED Art. 24).",
    );
    out
}

/// What a flag means in law.
pub(super) fn flag_meaning(f: Flag) -> &'static str {
    match f {
        Flag::NotificationOverdue => "Held more than 7 days after capture without notification to the ICRC: the detaining power must notify within one week (GC III Art. 70; Arts. 122–123).",
        Flag::Incommunicado => "Held with no contact for more than 30 days: prisoners must be able to write to their families (GC III Art. 71; GC IV Arts. 106–107).",
        Flag::Disputed => "A recorded death is contradicted by later evidence of life, or a fact the status rests on is contested by a dispute: the fate is not established.",
        Flag::EnforcedDisappearance => "Evidence of custody, no acknowledgement, and a recorded refusal to acknowledge it: the elements of an enforced disappearance (ICPED Art. 2).",
        Flag::WhereaboutsUndisclosed => "The detention was acknowledged, but no notification, visit or official act disclosed the place of detention (GC III Arts. 70, 122; ICPED Art. 2).",
    }
}

/// What was verified, in plain words.
pub(super) fn verification(b: &VerifiedBundle) -> Vec<String> {
    vec![
        "Every entry was decoded from its signed bytes, and its entry hash (SHA-256 of those bytes) recomputed.".into(),
        "Every entry's Ed25519 signature was checked, strictly, against its signer's public key.".into(),
        "The keys' roles were replayed from the governance entries in order: every entry was signed by a key that held the needed role (investigator for evidence, authority for governance) at the moment it was recorded, and was not revoked.".into(),
        format!(
            "Every entry was shown to be in the ledger's Merkle tree of {} entries, whose root the checkpoint states, by its inclusion proof or by the hash that another verified entry gives it.",
            b.checkpoint.size
        ),
        format!(
            "The checkpoint's signature was checked: it is signed by {} ({}), a key holding the authority role since entry {}.",
            b.checkpoint_signer, b.checkpoint_signer_granted.0, b.checkpoint_signer_granted.1
        ),
        match b.completeness {
            Completeness::Complete { .. } => "The seal before the checkpoint commits to every person's entries: this bundle holds all of this person's entries and all governance entries — none was left out.".into(),
            Completeness::Absent => "The seal before the checkpoint commits to every person's entries: it proves that the ledger holds no entry about this person.".into(),
            Completeness::InclusionOnly => "No seal: the entries are proven to be in the ledger, not that none was left out.".into(),
        },
    ]
}

/// The glossary.
pub(super) fn glossary() -> Vec<Term> {
    [
        ("seq", "An entry's position in the ledger: 0 for the first entry, then 1, 2, … Entries are only ever added at the end."),
        ("entry hash", "The SHA-256 fingerprint of an entry's exact bytes. Changing a single byte of the entry changes its hash completely."),
        ("signature", "An Ed25519 digital signature: proof that the holder of a private key signed these exact bytes. Anyone can check it with the public key; no one can forge it without the private key."),
        ("checkpoint", "A statement, signed by an authority key, that the ledger's first N entries have a given Merkle root. Once signed, no entry before it can be changed, removed or reordered without the checkpoint failing."),
        ("Merkle tree / inclusion proof", "A way of combining every entry's hash into one root hash (RFC 9162). An inclusion proof is the few hashes that lead from one entry to the root: it proves that the entry is in the ledger the checkpoint describes, without the rest of the ledger."),
        ("completeness proof / seal", "Just before each checkpoint, the authority records a seal: a commitment to the latest entry about every person and to the governance entries. It lets a bundle prove that it holds ALL the entries about a person (COMPLETE) or that there are none (ABSENT), not just that the ones shown are genuine."),
        ("authority", "The key that governs the ledger: it is named in the ledger's first entry (the genesis), grants and revokes the other keys, and signs checkpoints. Compare it with the key the ledger's authority gave you."),
        ("governance", "The entries that say who may sign: the genesis, key grants (with the holder's name and role) and revocations."),
        ("investigator", "The role a key needs to record evidence."),
        ("retracted / replaced", "Nothing is ever deleted from the ledger. A correction entry retracts an earlier entry (it no longer counts) or replaces it with corrected content; both stay visible, as this dossier shows."),
    ]
    .into_iter()
    .map(|(term, meaning)| Term { term, meaning })
    .collect()
}

/// The short summary for a reader who is not a cryptographer.
pub(super) fn summary(d: &Dossier) -> Vec<String> {
    let mut out = Vec::new();
    let retracted = d
        .items
        .iter()
        .filter(|i| {
            i.corrected_by
                .as_ref()
                .is_some_and(|c| c.action == "retracted")
        })
        .count();
    let replaced = d
        .items
        .iter()
        .filter(|i| {
            i.corrected_by
                .as_ref()
                .is_some_and(|c| c.action == "replaced")
        })
        .count();
    out.push(match d.verdict {
        "COMPLETE" => format!(
            "The ledger {} holds {} entries about {}; this dossier shows {} of them{}. They were checked by mathematics, not trust: each is signed by a key that was authorised when it signed, none was altered, and none about this person was left out as of the ledger's signed checkpoint of {} entries.",
            d.checkpoint.origin,
            d.entries_about_person,
            d.person,
            d.items.len(),
            if d.cut_words.is_some() { " (at the time cut stated above)" } else { "" },
            d.checkpoint.size
        ),
        _ => format!(
            "The ledger {} holds no entry about {} as of its signed checkpoint of {} entries; this is proven, not assumed.",
            d.checkpoint.origin, d.person, d.checkpoint.size
        ),
    });
    if d.status.is_some() {
        out.push(format!(
            "On this evidence the person is {}.",
            d.status_words
        ));
    }
    if retracted + replaced > 0 {
        out.push(format!(
            "{retracted} item(s) were retracted and {replaced} replaced by later corrections: they are shown, marked, and do not count towards the status."
        ));
    }
    for f in &d.flags {
        out.push(format!("{}: {}", f.flag, f.meaning));
    }
    if !d.disputed_items.is_empty() {
        out.push(format!(
            "Item(s) {} are disputed: see the dispute shown on each.",
            d.disputed_items
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push(match d.authority_check {
        super::AuthorityCheck::Pinned => format!("The ledger's authority key {} matched the key given to check it.", d.authority),
        super::AuthorityCheck::Store => format!("The ledger's authority key is {} (from the operator's own store): compare it with the key the authority gave you.", d.authority),
        super::AuthorityCheck::NotPinned => format!("The ledger's authority key {} was NOT checked against a key you trust: compare it with the key the ledger's authority gave you before relying on this dossier.", d.authority),
    });
    out
}
