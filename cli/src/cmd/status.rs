//! `custody status`, `history`, `report` and `rebuild`: what the ledger says
//! about people, derived from the signed entries (rules in
//! docs/PROJECTIONS.md).

use crate::escape::terminal;
use crate::exit::{refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::event::PersonId;
use custody_format::time::Timestamp;
use custody_ledger::projection::report::{Report, ReportTally};
use custody_ledger::projection::timeline::{self, RedactedSlot};
use custody_ledger::projection::{DayBounds, Flag, PersonStatus, Status};
use custody_ledger::store::Ledger;
use serde_json::json;
use std::collections::BTreeMap;

/// The two cuts of a bitemporal query.
#[derive(Args, Clone)]
pub(crate) struct Cuts {
    /// The state of the world at T (YYYY, YYYY-MM, YYYY-MM-DD — the end of
    /// that period — or an RFC 3339 instant): events that occurred after T
    /// are ignored.
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    as_of: Option<Timestamp>,
    /// What the ledger itself said at T: only entries recorded at or before
    /// T count. Auditors replay history with this.
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    known_at: Option<Timestamp>,
}

/// A cut from the command line (`--as-of`, `--known-at`, and the dossier's
/// through [`Cuts`]): a date at any precision means the end of that
/// period. A cut later than now is refused: the ledger cannot know what it
/// will say, and a silent "as of 2031" would look like a forecast. "Later
/// than now" is at the cut's own precision: `--as-of 2026` is accepted
/// during 2026 (the year has begun), `--as-of 2026-12-24` only from that
/// day on.
pub(crate) fn parse_cutoff(s: &str) -> Result<Timestamp, String> {
    let cut = Timestamp::parse_cutoff(s).map_err(|e| e.to_string())?;
    let period = custody_format::time::OccurredAt::parse(s).map_err(|e| e.to_string())?;
    let now = custody_ledger::clock::now();
    if period.start_micros() > now.0 {
        return Err(format!(
            "{period} is in the future (it is now {now}): a cut must be now or earlier"
        ));
    }
    Ok(cut)
}

/// `custody status`.
#[derive(Args)]
pub(crate) struct StatusArgs {
    /// One person; without it, a table of everyone (sorted by person).
    #[arg(conflicts_with = "name")]
    person: Option<String>,
    /// Only persons whose name (from their missing report) contains TEXT,
    /// ignoring case (Unicode: "шевченко" finds "Шевченко"). Reads every
    /// status once, one at a time.
    #[arg(long, value_name = "TEXT")]
    name: Option<String>,
    /// Only persons with this status.
    #[arg(long, value_name = "S")]
    status: Option<Status>,
    /// Only persons with this flag (notification_overdue, incommunicado,
    /// disputed).
    #[arg(long, value_name = "F", value_parser = parse_flag)]
    flag: Option<Flag>,
    #[command(flatten)]
    cuts: Cuts,
}

fn parse_flag(s: &str) -> Result<Flag, String> {
    s.parse()
}

/// `custody history`.
#[derive(Args)]
pub(crate) struct HistoryArgs {
    /// The person.
    person: String,
    /// Only events that may have occurred by T (see `status --as-of`).
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    as_of: Option<Timestamp>,
    /// Only entries recorded by T: the history as the ledger told it then,
    /// corrections recorded later not yet applied (see `status --known-at`).
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    known_at: Option<Timestamp>,
}

/// `custody report`.
#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The state of the world at T (see `status --as-of`).
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    as_of: Option<Timestamp>,
    /// Only what the ledger had recorded by T (see `status --known-at`):
    /// the figures an auditor can show were on record then.
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    known_at: Option<Timestamp>,
}

fn person_arg(s: &str) -> Result<PersonId, Failure> {
    PersonId::new(s).map_err(|m| refused(anyhow::anyhow!("{m}")))
}

fn days(d: &Option<DayBounds>) -> String {
    match d {
        None => String::new(),
        Some(d) if d.min == d.max => format!("{} days", d.min),
        Some(d) => format!("{}–{} days", d.min, d.max),
    }
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| terminal(&v.to_string()))
        .unwrap_or_default()
}

/// What became of each personal value a status could not fill in (format
/// v3: listed under `committed`), by its key there (`name`,
/// `last_seen.place`, `last_known_place.place`): the redaction that erased
/// it, or nothing (withheld: the store holds no disclosure for it).
pub(crate) fn redactions_of_status(
    ledger: &Ledger,
    st: &PersonStatus,
) -> Result<BTreeMap<String, RedactedSlot>, Failure> {
    let mut out = BTreeMap::new();
    for (key, at) in &st.committed {
        let Some(f) = custody_format::commit::field_named(&at.field) else {
            continue;
        };
        // A status names a correction's value by its replacement's field:
        // the code alone finds it, whatever the part.
        if let Some(r) = ledger
            .redactions_of(at.seq)?
            .into_iter()
            .find(|r| r.slot.code == f.code)
        {
            out.insert(key.clone(), r);
        }
    }
    Ok(out)
}

/// A personal value of a status in words: the value, or, when it is
/// committed and no disclosure opened it, "(redacted at seq N by H:
/// reason)" or "(withheld)".
fn value_or_unopened(
    value: Option<&str>,
    key: &str,
    st: &PersonStatus,
    redacted: &BTreeMap<String, RedactedSlot>,
) -> Option<String> {
    if let Some(v) = value {
        return Some(terminal(v));
    }
    st.committed.get(key)?;
    Some(match redacted.get(key) {
        Some(r) => format!(
            "(redacted at seq {} by {}: {})",
            r.seq,
            terminal(&r.holder),
            terminal(&r.reason)
        ),
        None => "(withheld)".into(),
    })
}

/// The `redacted` member of `status --json`: for each value a redaction
/// erased, which redaction and why.
fn redacted_json(redacted: &BTreeMap<String, RedactedSlot>) -> serde_json::Value {
    redacted
        .iter()
        .map(|(k, r)| {
            (
                k.clone(),
                json!({"seq": r.seq, "holder": r.holder, "reason": r.reason}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn print_one(st: &PersonStatus, redacted: &BTreeMap<String, RedactedSlot>) {
    println!("{}  {} since {}", st.person, st.status.name(), st.since);
    let row = |k: &str, v: String| {
        if !v.is_empty() {
            println!("  {k:<22} {v}");
        }
    };
    let unopened = |value: Option<&str>, key: &str| value_or_unopened(value, key, st, redacted);
    row(
        "name",
        unopened(st.name.as_deref(), "name").unwrap_or_default(),
    );
    row(
        "category",
        st.category.map_or("unknown".into(), |c| c.to_string()),
    );
    if let Some(l) = &st.last_seen {
        row(
            "last seen",
            format!(
                "{} by {}{}",
                l.at,
                terminal(&l.by),
                unopened(l.place.as_deref(), "last_seen.place")
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(l) = &st.last_known_place {
        // The same place, disclosed or not, is said once.
        let same = st.last_seen.as_ref().is_some_and(|s| {
            s.place == l.place
                && st.committed.get("last_seen.place") == st.committed.get("last_known_place.place")
        });
        if !same {
            // A missing report's place is where the person was last seen
            // free: say so, not merely "a place".
            let label = if l.by == "missing_report" {
                "last seen (reported)"
            } else {
                "last known place"
            };
            row(
                label,
                format!(
                    "{} ({} {})",
                    unopened(l.place.as_deref(), "last_known_place.place").unwrap_or_default(),
                    terminal(&l.by),
                    l.at
                ),
            );
        }
    }
    match (st.capture_recorded, st.captured_at, st.captured_after) {
        // No recorded capture: custody is proven from the first sighting.
        (Some(false), Some(by), after) => row(
            "captured",
            match after {
                Some(a) => {
                    format!("between {a} and {by} (no capture recorded; seen in custody by {by})")
                }
                None => {
                    format!("by {by} at the latest (no capture recorded; seen in custody then)")
                }
            },
        ),
        _ => row("captured", opt(&st.captured_at)),
    }
    row("ICRC notified", opt(&st.icrc_notified_at));
    if st.acknowledged_by.as_deref() != Some("icrc_notification") {
        if let (Some(at), Some(by)) = (&st.acknowledged_at, &st.acknowledged_by) {
            row("acknowledged", format!("{at} by {}", terminal(by)));
        }
    }
    row("notification delay", days(&st.notification_delay_days));
    row("unacknowledged for", days(&st.days_unacknowledged));
    row("last contact", opt(&st.last_contact_at));
    row("without contact for", days(&st.days_without_contact));
    row("released", opt(&st.released_at));
    row("died", opt(&st.died_at));
    row("cause of death", opt(&st.death_cause));
    row("remains returned", opt(&st.remains_returned));
    row("remains returned on", opt(&st.remains_returned_at));
    let a = &st.axes;
    // A stored status is derived and may have been edited: its texts are
    // shown as untrusted text is.
    row(
        "axes",
        format!(
            "acknowledgement {}, liberty {}, fate {}, legal category {}{}",
            terminal(&a.acknowledgement),
            terminal(&a.liberty),
            terminal(&a.fate),
            terminal(a.legal_category.as_deref().unwrap_or("unknown")),
            if a.visits > 0 {
                format!(", {} visits", a.visits)
            } else {
                String::new()
            }
        ),
    );
    if !a.ill_treatment.is_empty() {
        row(
            "ill-treatment reported",
            terminal(&a.ill_treatment.join(", ")),
        );
    }
    if a.inquiries > 0 {
        row("requests for news", a.inquiries.to_string());
    }
    row(
        "flags",
        st.flags
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", "),
    );
    for (fact, cites) in &st.evidence {
        let c: Vec<String> = cites
            .iter()
            .map(|c| format!("seq {} ({}…)", c.seq, &c.hash.to_hex()[..12]))
            .collect();
        row(&format!("evidence: {}", terminal(fact)), c.join(", "));
    }
}

/// The store's cheap consistency check (`Ledger::quick_check`): a warning
/// on stderr if it fails, and its text for a `"warning"` field in JSON.
pub(crate) fn store_warning(ledger: &Ledger, now: Timestamp) -> Result<Option<String>, Failure> {
    let warning = ledger
        .quick_check(now)?
        .map(|what| inconsistent(ledger, &what));
    if let Some(w) = &warning {
        crate::exit::warn(w);
    }
    Ok(warning)
}

fn inconsistent(ledger: &Ledger, what: &str) -> String {
    format!(
        "the store at {} is inconsistent: {}; what it has derived from the chain may be wrong. Run `custody verify` to see every mismatch, then `custody rebuild` (or restore the store from an export)",
        terminal(&ledger.dir().display().to_string()),
        terminal(what)
    )
}

/// `value` with a `"warning"` field, if there is a warning.
pub(crate) fn with_warning(
    mut value: serde_json::Value,
    warning: &Option<String>,
) -> serde_json::Value {
    if let (Some(w), serde_json::Value::Object(m)) = (warning, &mut value) {
        m.insert("warning".into(), json!(w));
    }
    value
}

/// Why a person known to the index has nothing at a cut: said apart from
/// an unknown person, so that "not yet recorded then" is never read as
/// "never heard of".
pub(crate) fn nothing_at_cut(
    ledger: &Ledger,
    person: &PersonId,
    as_of: Option<Timestamp>,
    known_at: Option<Timestamp>,
) -> Result<Failure, Failure> {
    let entries = ledger.person_entries(person)?;
    let Some(first) = entries.first() else {
        return Ok(refused(anyhow::anyhow!("no such person: {person}")));
    };
    let first_recorded = first.body().recorded_at;
    if let Some(t) = known_at.filter(|&t| first_recorded > t) {
        return Ok(refused(anyhow::anyhow!(
            "no entry about {person} was recorded by {t} (the first was recorded at {first_recorded})"
        )));
    }
    let earliest = entries
        .iter()
        .filter_map(|e| e.event().occurred_at())
        .min_by_key(|at| at.start_micros());
    if let (Some(t), Some(earliest)) = (as_of, earliest) {
        if earliest.start_micros() > t.0 {
            return Ok(refused(anyhow::anyhow!(
                "nothing recorded about {person} had occurred by {t} (the earliest event occurred {earliest})"
            )));
        }
    }
    if as_of.is_none() && known_at.is_none() {
        return Ok(refused(anyhow::anyhow!(
            "no such person: {person} (every entry about them was retracted; see `custody history {person}`)"
        )));
    }
    Ok(refused(anyhow::anyhow!(
        "{person} has entries, but no status at this cut: the evidence on record then was retracted; see `custody history {person}`"
    )))
}

/// One person's status as `custody status ID --json` gives it, with the
/// store's warning, if any (`custody serve` answers the same).
pub(crate) fn one_status(
    ledger: &Ledger,
    person: &PersonId,
    as_of: Option<Timestamp>,
    known_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(PersonStatus, Option<String>), Failure> {
    let mut warning = store_warning(ledger, now)?;
    let mut st = ledger.person_status(person, as_of, known_at, now)?;
    if as_of.is_none() && known_at.is_none() {
        // The one person shown is checked against their entries every
        // time (a few entries); if the store's copy is wrong, the
        // chain's is shown, with the warning.
        if let Some((what, folded)) = ledger.status_mismatch(person, now)? {
            let w = format!(
                "{}; shown: the status their entries imply",
                inconsistent(ledger, &what)
            );
            crate::exit::warn(&w);
            warning = Some(match warning {
                Some(first) => format!("{first}; and {w}"),
                None => w,
            });
            st = folded;
        }
    }
    let Some(st) = st else {
        if ledger.person_seqs(person)?.is_empty() {
            return Err(refused(anyhow::anyhow!("no such person: {person}")));
        }
        return Err(nothing_at_cut(ledger, person, as_of, known_at)?);
    };
    Ok((st, warning))
}

/// Which persons a list shows (`status --status/--flag/--name`, and the
/// server's list of persons).
#[derive(Default)]
pub(crate) struct StatusFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only persons with this flag.
    pub flag: Option<Flag>,
    /// Only names containing this, lowercased.
    pub name: Option<String>,
}

impl StatusFilter {
    /// A filter; a name that is blank is refused (a usage error).
    pub(crate) fn new(
        status: Option<Status>,
        flag: Option<Flag>,
        name: Option<&str>,
    ) -> Result<StatusFilter, Failure> {
        let name = match name {
            Some(n) if n.trim().is_empty() => {
                return Err(crate::exit::env(anyhow::anyhow!(
                    "--name: give part of a name to look for"
                )))
            }
            Some(n) => Some(n.trim().to_lowercase()),
            None => None,
        };
        Ok(StatusFilter { status, flag, name })
    }

    /// True if `st` passes.
    pub(crate) fn matches(&self, st: &PersonStatus) -> bool {
        self.status.is_none_or(|want| st.status == want)
            && self.flag.is_none_or(|f| st.has_flag(f))
            && self.name.as_deref().is_none_or(|n| {
                st.name
                    .as_deref()
                    .is_some_and(|name| name.to_lowercase().contains(n))
            })
    }
}

/// Runs `status`.
pub(crate) fn status(ctx: &Context, args: StatusArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let now = custody_ledger::clock::now();
    let (as_of, known_at) = (args.cuts.as_of, args.cuts.known_at);
    if let Some(p) = &args.person {
        let person = person_arg(p)?;
        let (st, warning) = one_status(&ledger, &person, as_of, known_at, now)?;
        let redacted = redactions_of_status(&ledger, &st)?;
        if ctx.json {
            let mut v = serde_json::to_value(&st).map_err(refused)?;
            if let (false, serde_json::Value::Object(m)) = (redacted.is_empty(), &mut v) {
                m.insert("redacted".into(), redacted_json(&redacted));
            }
            print_json(&with_warning(v, &warning));
        } else {
            print_one(&st, &redacted);
        }
        return Ok(());
    }
    let warning = store_warning(&ledger, now)?;
    let filter = StatusFilter::new(args.status, args.flag, args.name.as_deref())?;
    let (mut total, mut shown) = (0u64, 0u64);
    if !ctx.json {
        print_header();
    }
    let mut failed = None;
    ledger.for_each_status(as_of, known_at, now, |st| {
        total += 1;
        if !filter.matches(&st) || failed.is_some() {
            return;
        }
        shown += 1;
        if ctx.json {
            match serde_json::to_value(&st) {
                Ok(v) => print_json(&with_warning(v, &warning)),
                Err(e) => failed = Some(refused(e)),
            }
        } else {
            match redactions_of_status(&ledger, &st) {
                Ok(redacted) => print_row(&st, &redacted),
                Err(e) => failed = Some(e),
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !ctx.json {
        eprintln!("{shown} of {total} persons");
    }
    Ok(())
}

fn print_header() {
    println!(
        "{:<16} {:<20} {:<26} {:<9} {:<24} NAME",
        "PERSON", "STATUS", "SINCE", "CATEGORY", "FLAGS"
    );
}

fn print_row(s: &PersonStatus, redacted: &BTreeMap<String, RedactedSlot>) {
    // A table has no room for a reason: "(redacted)" or "(withheld)".
    let name = match (&s.name, s.committed.contains_key("name")) {
        (None, true) if redacted.contains_key("name") => "(redacted)".to_string(),
        (None, true) => "(withheld)".to_string(),
        _ => opt(&s.name),
    };
    println!(
        "{:<16} {:<20} {:<26} {:<9} {:<24} {}",
        s.person.as_str(),
        s.status.name(),
        s.since.to_string(),
        s.category.map_or("unknown".into(), |c| c.to_string()),
        s.flags
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(","),
        name
    );
}

/// Prints statuses as a table, one person a line.
pub(crate) fn print_table(statuses: &[&PersonStatus]) {
    print_header();
    for s in statuses {
        print_row(s, &BTreeMap::new());
    }
}

/// Runs `history`.
pub(crate) fn history(ctx: &Context, args: HistoryArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let person = person_arg(&args.person)?;
    let warning = store_warning(&ledger, custody_ledger::clock::now())?;
    let mut entries = ledger.person_entries(&person)?;
    if entries.is_empty() {
        return Err(refused(anyhow::anyhow!("no such person: {person}")));
    }
    // The cuts, as `status` applies them: what was on record by
    // `known_at`, and what may have occurred by `as_of` (a correction has
    // no date of its own and stays with what it corrects).
    entries.retain(|e| {
        args.known_at.is_none_or(|t| e.body().recorded_at <= t)
            && args.as_of.is_none_or(|t| {
                e.event()
                    .occurred_at()
                    .is_none_or(|at| at.start_micros() <= t.0)
            })
    });
    if entries.is_empty() {
        return Err(nothing_at_cut(&ledger, &person, args.as_of, args.known_at)?);
    }
    let mut disclosed = std::collections::HashMap::new();
    let mut redacted = std::collections::HashMap::new();
    for e in &entries {
        disclosed.insert(e.seq(), ledger.disclosures(e.seq())?);
        redacted.insert(e.seq(), ledger.redactions_of(e.seq())?);
    }
    let h = timeline::history(person, &entries, ledger.registry(), &disclosed, &redacted);
    if ctx.json {
        let v = serde_json::to_value(&h).map_err(refused)?;
        print_json(&with_warning(v, &warning));
        return Ok(());
    }
    let text =
        crate::cmd::history_text::render(&h, &crate::cmd::history_text::Layout::for_stdout());
    print!("{text}");
    Ok(())
}

/// The figures of `custody report`, with the store's warning, if any
/// (`custody serve` answers the same).
pub(crate) fn report_of(
    ledger: &Ledger,
    as_of: Option<Timestamp>,
    known_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(Report, Option<String>), Failure> {
    let warning = store_warning(ledger, now)?;
    let mut tally = ReportTally::default();
    ledger.for_each_status(as_of, known_at, now, |st| tally.add(&st))?;
    Ok((tally.finish(as_of), warning))
}

/// Runs `report`.
pub(crate) fn report(ctx: &Context, args: ReportArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let now = custody_ledger::clock::now();
    let (r, warning) = report_of(&ledger, args.as_of, args.known_at, now)?;
    if ctx.json {
        let v = serde_json::to_value(&r).map_err(refused)?;
        print_json(&with_warning(v, &warning));
        return Ok(());
    }
    println!(
        "custody report — {} persons{}{}",
        r.persons,
        args.as_of
            .map(|t| format!(", as of {t}"))
            .unwrap_or_default(),
        args.known_at
            .map(|t| format!(", as recorded by {t}"))
            .unwrap_or_default()
    );
    println!("\nby status (military / civilian / unknown):");
    for s in Status::ALL {
        let v = &r.by_status[s.name()];
        let c = |k: &str| v.by_category.get(k).copied().unwrap_or(0);
        println!(
            "  {:<20} {:>7}   ({} / {} / {})",
            s.name(),
            v.total,
            c("military"),
            c("civilian"),
            c("unknown")
        );
    }
    let d = &r.notification_delay_days;
    println!(
        "\nheld, never acknowledged (enforced disappearance pattern): {}",
        r.held_unacknowledged
    );
    println!(
        "incommunicado over 30 days (GC III Art. 71):              {}",
        r.incommunicado
    );
    println!(
        "notification overdue over 7 days (GC III Art. 70):        {}",
        r.notification_overdue
    );
    println!(
        "disputed (a death contradicted, or a cited entry contested): {}",
        r.disputed
    );
    println!(
        "enforced disappearance (held, acknowledgement refused):   {}",
        r.enforced_disappearance
    );
    println!(
        "acknowledged, whereabouts never disclosed:                {}",
        r.whereabouts_undisclosed
    );
    let share = |s: &custody_ledger::projection::report::Share| {
        format!("{} of {} ({:.1} %)", s.count, s.of, s.share * 100.0)
    };
    println!(
        "released, never notified to the ICRC:                     {}",
        share(&r.released_never_notified)
    );
    println!(
        "never in contact during captivity (returnees included):   {}",
        share(&r.never_in_contact)
    );
    println!(
        "ill-treatment reported, of the detained:                  {}",
        share(&r.ill_treatment.reported)
    );
    let kinds: Vec<String> = r
        .ill_treatment
        .by_kind
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if !kinds.is_empty() {
        println!("  persons by kind: {}", kinds.join(", "));
    }
    println!(
        "asked for news (inquiry), never acknowledged:             {}",
        share(&r.inquiries.never_acknowledged)
    );
    println!(
        "\ncapture to ICRC notification, days (lower bounds; {} notified, {} of {} captured never notified):",
        d.notified, d.captured_never_notified, d.captured
    );
    let n = |v: Option<i64>| v.map_or("null".to_string(), |v| v.to_string());
    println!(
        "  median {}   p90 {}   max {}",
        n(d.median),
        n(d.p90),
        n(d.max)
    );
    println!("\nby legal category (persons: status counts):");
    for (category, by_status) in &r.by_legal_category {
        let total: u64 = by_status.values().sum();
        let parts: Vec<String> = by_status.iter().map(|(s, n)| format!("{s} {n}")).collect();
        println!("  {category:<20} {total:>7}   ({})", parts.join(", "));
    }
    println!("\ndeaths by cause:");
    for (cause, n) in &r.deaths_by_cause {
        println!("  {cause:<20} {n}");
    }
    Ok(())
}

/// Runs `rebuild`.
pub(crate) fn rebuild(ctx: &Context) -> CmdResult {
    let mut ledger: Ledger = ctx.open()?;
    let start = std::time::Instant::now();
    let mut folded = 0;
    let persons = ledger.rebuild_projections(|n| folded = n)?;
    let secs = start.elapsed().as_secs_f64();
    if ctx.json {
        print_json(&json!({
            "persons": persons, "entries": ledger.len(), "seconds": secs,
            "entries_per_s": ledger.len() as f64 / secs,
        }));
    } else {
        println!(
            "rebuilt the projections of {persons} persons from {} entries in {secs:.2} s",
            ledger.len()
        );
    }
    Ok(())
}
