//! The dossier's words: what each verdict, status, clock fact, flag and
//! term means, for a reader who is a lawyer, not a cryptographer, in the
//! reader's language. Every word comes from the catalogs (`crate::i18n`);
//! this module only picks the message and its arguments from the model's
//! facts, so the same model can be put in words in any language
//! ([`super::Dossier::localize`]).
//!
//! Plain text; untrusted strings are never put in here except where a
//! renderer escapes the whole (the verdict, the summary, the clock's
//! values).

use super::{ClockFact, Content, Dossier, FlagFact, Term};
use crate::i18n::{num, txt, Lang};
use custody_format::event::Event;
use custody_format::time::Timestamp;
use custody_ledger::projection::{DayBounds, Flag, PersonStatus, Status};

/// The cut in words, or `None` without one.
pub(super) fn cut(c: &super::Cut, lang: Lang) -> Option<String> {
    let parts: Vec<String> = [
        c.as_of.map(|t| lang.f("cut-as-of", &[("at", txt(t))])),
        c.known_at
            .map(|t| lang.f("cut-known-at", &[("at", txt(t))])),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The verdict in plain words, and under a time cut how much of it the
/// reader sees, so "all N entries" is never read as "all N shown".
pub(super) fn verdict(d: &Dossier, lang: Lang) -> String {
    let cp = &d.checkpoint;
    let signer = lang.f(
        "verdict-signer",
        &[
            ("signer", txt(cp.signer)),
            ("holder", txt(&cp.signer_holder)),
        ],
    );
    let mut words = match d.verdict {
        "COMPLETE" => lang.f(
            "verdict-complete",
            &[
                ("entries", num(d.entries_about_person)),
                ("person", txt(&d.person)),
                ("governance", num(d.governance_entries)),
                ("size", num(cp.size)),
                ("signer", txt(&signer)),
            ],
        ),
        "ABSENT" => lang.f(
            "verdict-absent",
            &[
                ("person", txt(&d.person)),
                ("size", num(cp.size)),
                ("governance", num(d.governance_entries)),
                ("signer", txt(&signer)),
            ],
        ),
        _ => lang.f("verdict-inclusion-only", &[("signer", txt(&signer))]),
    };
    if d.cut_words.is_some() && d.verdict == "COMPLETE" {
        words.push_str(&lang.f("verdict-at-cut", &[("shown", num(d.items.len() as u64))]));
    }
    words
}

/// A governance entry in words.
pub(super) fn governance(e: &Event, lang: Lang) -> String {
    match e {
        Event::Genesis(g) => lang.f(
            "governance-genesis",
            &[
                ("ledger", txt(&g.ledger_name)),
                ("key", txt(g.authority_key)),
                ("holder", txt(&g.authority_holder)),
            ],
        ),
        Event::KeyGranted(k) => lang.f(
            "governance-granted",
            &[
                ("key", txt(k.public_key)),
                ("role", txt(k.role)),
                ("holder", txt(&k.holder)),
            ],
        ),
        Event::KeyRevoked(k) => lang.f(
            "governance-revoked",
            &[("key", txt(k.public_key)), ("reason", txt(&k.reason))],
        ),
        other => other.type_name().to_string(),
    }
}

/// An event type in words (`kind` is its type name).
pub(super) fn title(kind: &str, lang: Lang) -> String {
    lang.value("title", kind)
}

/// A field's label: the catalog's, or the name in words.
pub(super) fn field_label(name: &str, lang: Lang) -> String {
    lang.try_f(&format!("field-{}", name.replace('_', "-")), &[])
        .unwrap_or_else(|| {
            let mut s = name.replace('_', " ");
            if let Some(first) = s.get(0..1) {
                let up = first.to_uppercase();
                s.replace_range(0..1, &up);
            }
            s
        })
}

/// The fields whose values are the format's vocabulary (enum values), not
/// text an investigator typed.
const VOCABULARY_FIELDS: [&str; 6] = ["category", "source", "kind", "cause", "visitor", "stage"];

/// Puts an event's content (and its fixed values) in words. Text typed by
/// investigators is left as it is.
pub(super) fn content(c: &mut Content, lang: Lang) {
    c.title = title(c.kind, lang);
    for f in &mut c.fields {
        f.label = field_label(&f.name, lang);
        if let Some(b) = f.yes_no {
            f.value = yes_no(b, lang);
        }
        if let Some(r) = &f.redacted {
            f.value = redacted(r, lang);
        }
        if f.withheld {
            f.value = lang.t("withheld");
        }
        f.value_words = VOCABULARY_FIELDS
            .contains(&f.name.as_str())
            .then(|| lang.value("value", &f.value))
            .filter(|w| *w != f.value);
    }
    for a in &mut c.attachments {
        if let Some(r) = &a.description_redacted {
            a.description = Some(redacted(r, lang));
        }
        if a.description_withheld {
            a.description = Some(lang.t("withheld"));
        }
    }
}

/// A field a redaction erased, in words: by which entry, whose key, why.
pub(super) fn redacted(r: &super::RedactionMark, lang: Lang) -> String {
    lang.f(
        "value-redacted",
        &[
            ("seq", txt(r.by_seq)),
            ("holder", txt(&r.by_holder)),
            ("reason", txt(&r.reason)),
        ],
    )
}

/// `yes` or `no`.
pub(super) fn yes_no(b: bool, lang: Lang) -> String {
    lang.t(if b { "yes" } else { "no" })
}

/// A day count, or its bounds when the dates are approximate.
fn days(d: &Option<DayBounds>, lang: Lang) -> Option<String> {
    d.map(|d| {
        if d.min == d.max {
            lang.f("days-exact", &[("days", num(d.min))])
        } else {
            lang.f("days-between", &[("min", num(d.min)), ("max", num(d.max))])
        }
    })
}

/// The status in words.
pub(super) fn status(st: Option<&PersonStatus>, lang: Lang) -> String {
    let Some(st) = st else {
        return lang.t("status-no-evidence");
    };
    let what = match st.status {
        Status::Missing => "status-missing",
        Status::HeldUnacknowledged => "status-held-unacknowledged",
        Status::HeldAcknowledged => "status-held-acknowledged",
        Status::Released => "status-released",
        Status::Deceased => "status-deceased",
    };
    lang.f(
        "status-since",
        &[
            ("what", txt(lang.t(what))),
            ("since", txt(st.since)),
            ("status", txt(st.status.name())),
        ],
    )
}

/// Collects the facts of the legal clock, each with its label and meaning.
struct Facts {
    lang: Lang,
    out: Vec<ClockFact>,
}

impl Facts {
    /// The fact `fact` (catalog ids `clock-{fact}` and
    /// `clock-{fact}-meaning`), if it has a value.
    fn add(&mut self, fact: &'static str, value: Option<String>) {
        self.add_meaning(fact, value, fact);
    }

    fn add_meaning(&mut self, fact: &'static str, value: Option<String>, meaning: &str) {
        if let Some(value) = value {
            let id = fact.replace('_', "-");
            self.out.push(ClockFact {
                fact,
                label: self.lang.t(&format!("clock-{id}")),
                value,
                meaning: self
                    .lang
                    .t(&format!("clock-{}-meaning", meaning.replace('_', "-"))),
            });
        }
    }
}

/// The legal clock: each fact with what it means, counted to `counted_to`.
pub(super) fn legal_clock(st: &PersonStatus, counted_to: Timestamp, lang: Lang) -> Vec<ClockFact> {
    let mut f = Facts {
        lang,
        out: Vec::new(),
    };
    f.add("counted_to", Some(counted_to.to_string()));
    f.add("name", st.name.clone());
    f.add(
        "last_known_place",
        st.last_known_place.as_ref().and_then(|l| {
            l.place.as_ref().map(|p| {
                lang.f(
                    "clock-place-value",
                    &[("place", txt(p)), ("at", txt(l.at)), ("by", txt(&l.by))],
                )
            })
        }),
    );
    match (st.capture_recorded, st.captured_at) {
        (Some(false), Some(by)) => f.add_meaning(
            "captured",
            Some(match st.captured_after {
                Some(a) => lang.f(
                    "clock-captured-between",
                    &[("after", txt(a)), ("by", txt(by))],
                ),
                None => lang.f("clock-captured-no-later", &[("by", txt(by))]),
            }),
            "captured_bound",
        ),
        (_, at) => f.add("captured", at.map(|t| t.to_string())),
    }
    f.add("icrc_notified", st.icrc_notified_at.map(|t| t.to_string()));
    if let (Some(at), Some(by)) = (&st.acknowledged_at, &st.acknowledged_by) {
        if by != "icrc_notification" {
            f.add(
                "acknowledged",
                Some(lang.f(
                    "clock-acknowledged-value",
                    &[("at", txt(at)), ("by", txt(lang.value("value", by)))],
                )),
            );
        }
    }
    f.add(
        "notification_delay",
        days(&st.notification_delay_days, lang),
    );
    f.add("unacknowledged_for", days(&st.days_unacknowledged, lang));
    f.add("last_contact", st.last_contact_at.map(|t| t.to_string()));
    f.add("without_contact_for", days(&st.days_without_contact, lang));
    f.add("released", st.released_at.map(|t| t.to_string()));
    f.add("died", st.died_at.map(|t| t.to_string()));
    f.add(
        "cause_of_death",
        st.death_cause.map(|c| lang.value("value", c.name())),
    );
    f.add(
        "remains_returned",
        st.remains_returned.map(|r| yes_no(r, lang)),
    );
    let a = &st.axes;
    f.add(
        "axes",
        Some(
            lang.f(
                "clock-axes-value",
                &[
                    (
                        "acknowledgement",
                        txt(lang.value("value", &a.acknowledgement)),
                    ),
                    ("liberty", txt(lang.value("value", &a.liberty))),
                    ("fate", txt(lang.value("value", &a.fate))),
                    (
                        "category",
                        txt(a
                            .legal_category
                            .as_deref()
                            .map_or_else(|| lang.t("value-unknown"), |c| lang.value("value", c))),
                    ),
                    ("disclosed", txt(yes_no(a.location_disclosed, lang))),
                    ("visits", num(a.visits)),
                ],
            ),
        ),
    );
    f.add(
        "ill_treatment",
        (!a.ill_treatment.is_empty()).then(|| {
            a.ill_treatment
                .iter()
                .map(|k| lang.value("value", k))
                .collect::<Vec<_>>()
                .join(", ")
        }),
    );
    f.add(
        "requests_for_news",
        (a.inquiries > 0).then(|| lang.f("count-plain", &[("count", num(a.inquiries))])),
    );
    f.out
}

/// A flag in words: its title and what it means in law.
pub(super) fn flag(f: Flag, lang: Lang) -> FlagFact {
    let id = f.name().replace('_', "-");
    FlagFact {
        flag: f.name(),
        title: lang.t(&format!("flag-{id}")),
        meaning: lang.t(&format!("flag-{id}-meaning")),
    }
}

/// How an item was tied to the checkpoint.
pub(super) fn proof(proof_hashes: usize, size: u64, lang: Lang) -> String {
    if proof_hashes == 0 && size > 1 {
        lang.f("proof-named-by-hash", &[("size", num(size))])
    } else {
        lang.f(
            "proof-inclusion",
            &[("hashes", num(proof_hashes as u64)), ("size", num(size))],
        )
    }
}

/// What was verified, in plain words.
pub(super) fn verification(d: &Dossier, lang: Lang) -> Vec<String> {
    let cp = &d.checkpoint;
    vec![
        lang.t("verified-decoded"),
        lang.t("verified-signatures"),
        lang.t("verified-roles"),
        lang.f("verified-tree", &[("size", num(cp.size))]),
        lang.f(
            "verified-checkpoint",
            &[
                ("signer", txt(cp.signer)),
                ("holder", txt(&cp.signer_holder)),
                ("role", txt(cp.signer_role)),
                ("since", txt(cp.signer_since_seq)),
            ],
        ),
        lang.t(match d.verdict {
            "COMPLETE" => "verified-complete",
            "ABSENT" => "verified-absent",
            _ => "verified-inclusion-only",
        }),
    ]
}

/// The terms of the glossary, in order (catalog ids `term-{id}` and
/// `term-{id}-meaning`).
const GLOSSARY: [&str; 16] = [
    "seq",
    "entry-hash",
    "signature",
    "checkpoint",
    "merkle",
    "seal",
    "authority",
    "governance",
    "investigator",
    "corrections",
    "icrc",
    "gc3",
    "gc4",
    "icped",
    "enforced-disappearance",
    "incommunicado",
];

/// The glossary.
pub(super) fn glossary(lang: Lang) -> Vec<Term> {
    GLOSSARY
        .iter()
        .map(|id| Term {
            term: lang.t(&format!("term-{id}")),
            meaning: lang.t(&format!("term-{id}-meaning")),
        })
        .collect()
}

/// The short summary for a reader who is not a cryptographer.
pub(super) fn summary(d: &Dossier, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let corrected = |action: &str| {
        d.items
            .iter()
            .filter(|i| i.corrected_by.as_ref().is_some_and(|c| c.action == action))
            .count() as u64
    };
    let (retracted, replaced) = (corrected("retracted"), corrected("replaced"));
    out.push(match d.verdict {
        "COMPLETE" => lang.f(
            "summary-complete",
            &[
                ("ledger", txt(&d.checkpoint.origin)),
                ("entries", num(d.entries_about_person)),
                ("person", txt(&d.person)),
                ("shown", num(d.items.len() as u64)),
                ("cut", txt(if d.cut_words.is_some() { "yes" } else { "no" })),
                ("size", num(d.checkpoint.size)),
            ],
        ),
        _ => lang.f(
            "summary-absent",
            &[
                ("ledger", txt(&d.checkpoint.origin)),
                ("person", txt(&d.person)),
                ("size", num(d.checkpoint.size)),
            ],
        ),
    });
    if d.status.is_some() {
        out.push(lang.f("summary-status", &[("status", txt(&d.status_words))]));
    }
    if retracted + replaced > 0 {
        out.push(lang.f(
            "summary-corrections",
            &[("retracted", num(retracted)), ("replaced", num(replaced))],
        ));
    }
    for f in &d.flags {
        out.push(format!("{}: {}", f.title, f.meaning));
    }
    if !d.disputed_items.is_empty() {
        out.push(
            lang.f(
                "summary-disputed",
                &[
                    ("count", num(d.disputed_items.len() as u64)),
                    (
                        "items",
                        txt(d
                            .disputed_items
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")),
                    ),
                ],
            ),
        );
    }
    let key = txt(d.authority);
    out.push(match d.authority_check {
        super::AuthorityCheck::Pinned => lang.f("summary-authority-pinned", &[("key", key)]),
        super::AuthorityCheck::Store => lang.f("summary-authority-store", &[("key", key)]),
        super::AuthorityCheck::NotPinned => lang.f("summary-authority-not-pinned", &[("key", key)]),
    });
    out
}
