//! `custody status`, `history`, `report` and `rebuild`: what the ledger says
//! about people, derived from the signed entries (rules in
//! docs/PROJECTIONS.md).

use crate::escape::terminal;
use crate::exit::{refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::event::{Event, PersonId};
use custody_format::time::Timestamp;
use custody_ledger::projection::report::ReportTally;
use custody_ledger::projection::timeline;
use custody_ledger::projection::{DayBounds, Flag, PersonStatus, Status};
use custody_ledger::store::Ledger;
use serde_json::json;

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

fn parse_cutoff(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_cutoff(s).map_err(|e| e.to_string())
}

/// `custody status`.
#[derive(Args)]
pub(crate) struct StatusArgs {
    /// One person; without it, a table of everyone (sorted by person).
    person: Option<String>,
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

fn print_one(st: &PersonStatus) {
    println!("{}  {} since {}", st.person, st.status.name(), st.since);
    let row = |k: &str, v: String| {
        if !v.is_empty() {
            println!("  {k:<22} {v}");
        }
    };
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
                l.place
                    .as_deref()
                    .map(|p| format!(", {}", terminal(p)))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(l) = &st.last_known_place {
        if st.last_seen.as_ref().is_none_or(|s| s.place != l.place) {
            row(
                "last known place",
                format!(
                    "{} ({} {})",
                    terminal(l.place.as_deref().unwrap_or_default()),
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
    row(
        "axes",
        format!(
            "acknowledgement {}, liberty {}, fate {}, legal category {}{}",
            a.acknowledgement,
            a.liberty,
            a.fate,
            a.legal_category.as_deref().unwrap_or("unknown"),
            if a.visits > 0 {
                format!(", {} visits", a.visits)
            } else {
                String::new()
            }
        ),
    );
    if !a.ill_treatment.is_empty() {
        row("ill-treatment reported", a.ill_treatment.join(", "));
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

/// Runs `status`.
pub(crate) fn status(ctx: &Context, args: StatusArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let now = custody_ledger::clock::now();
    let (as_of, known_at) = (args.cuts.as_of, args.cuts.known_at);
    if let Some(p) = &args.person {
        let person = person_arg(p)?;
        let st = ledger
            .person_status(&person, as_of, known_at, now)?
            .ok_or_else(|| refused(anyhow::anyhow!("no such person: {person}")))?;
        if ctx.json {
            print_json(&serde_json::to_value(&st).map_err(refused)?);
        } else {
            print_one(&st);
        }
        return Ok(());
    }
    let all = ledger.all_statuses(as_of, known_at, now)?;
    let shown: Vec<&PersonStatus> = all
        .iter()
        .filter(|s| args.status.is_none_or(|want| s.status == want))
        .filter(|s| args.flag.is_none_or(|f| s.has_flag(f)))
        .collect();
    if ctx.json {
        for s in shown {
            print_json(&serde_json::to_value(s).map_err(refused)?);
        }
    } else {
        print_table(&shown);
        eprintln!("{} of {} persons", shown.len(), all.len());
    }
    Ok(())
}

/// Prints statuses as a table, one person a line.
pub(crate) fn print_table(statuses: &[&PersonStatus]) {
    println!(
        "{:<16} {:<20} {:<26} {:<9} FLAGS",
        "PERSON", "STATUS", "SINCE", "CATEGORY"
    );
    for s in statuses {
        println!(
            "{:<16} {:<20} {:<26} {:<9} {}",
            s.person.as_str(),
            s.status.name(),
            s.since.to_string(),
            s.category.map_or("unknown".into(), |c| c.to_string()),
            s.flags
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(",")
        );
    }
}

/// What a history line says an entry is about.
fn describe(event: &Event) -> String {
    match event {
        Event::Correction(c) => format!(
            "{} {}: {}",
            crate::output::correction_verb(c),
            &c.target.to_hex()[..12],
            terminal(&c.reason)
        ),
        ev => {
            let detail = match ev {
                Event::Capture(x) => opt(&x.place),
                Event::Sighting(x) => format!("{} {}", x.source, opt(&x.place)),
                Event::Release(x) => format!("{} {}", x.kind, opt(&x.place)),
                Event::Death(x) => format!("{} {}", x.cause, opt(&x.place)),
                Event::Correspondence(x) => format!("{} {}", x.kind, opt(&x.via)),
                Event::MissingReport(x) => format!("{} {}", x.category, opt(&x.last_seen_place)),
                Event::Denial(x) => format!("by {}", terminal(&x.by)),
                Event::Inquiry(x) => format!("{} to {}", terminal(&x.by), terminal(&x.to)),
                Event::Transfer(x) => {
                    format!("{} → {} ({})", opt(&x.from), terminal(&x.to), x.source)
                }
                Event::Visit(x) => format!("{} {}", x.visitor, opt(&x.place)),
                Event::LegalProceeding(x) => {
                    format!("{} ({}) {}", x.stage, x.source, opt(&x.authority))
                }
                Event::IllTreatment(x) => format!("{} ({}) {}", x.kind, x.source, opt(&x.place)),
                Event::RemainsReturned(x) => opt(&x.place),
                Event::Dispute(x) => format!(
                    "of {} by {}: {}",
                    &x.target.to_hex()[..12],
                    terminal(&x.by),
                    terminal(&x.reason)
                ),
                _ => String::new(),
            };
            format!("{} {}", ev.type_name(), detail.trim())
                .trim_end()
                .to_string()
        }
    }
}

/// Runs `history`.
pub(crate) fn history(ctx: &Context, args: HistoryArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let person = person_arg(&args.person)?;
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
        return Err(refused(anyhow::anyhow!(
            "nothing about {person} at that cut"
        )));
    }
    let h = timeline::history(person, &entries, ledger.registry());
    if ctx.json {
        print_json(&serde_json::to_value(&h).map_err(refused)?);
        return Ok(());
    }
    println!(
        "{}: {} entries, in the order they occurred",
        h.person,
        h.entries.len()
    );
    for r in &h.entries {
        let when = r
            .occurred_at
            .map(|t| t.to_string())
            .unwrap_or_else(|| "—".into());
        let line = format!(
            "{:<27} seq {:<6} {:<48} by {:<16} recorded {}  {}",
            when,
            r.seq,
            describe(&r.event),
            terminal(&r.holder),
            r.recorded_at,
            &r.hash.to_hex()[..16]
        );
        match &r.corrected_by {
            Some(c) => println!("~~{line}~~  (corrected by seq {})", c.seq),
            None => println!("{line}"),
        }
    }
    Ok(())
}

/// Runs `report`.
pub(crate) fn report(ctx: &Context, args: ReportArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let mut tally = ReportTally::default();
    ledger.for_each_status(
        args.as_of,
        args.known_at,
        custody_ledger::clock::now(),
        |st| tally.add(&st),
    )?;
    let r = tally.finish(args.as_of);
    if ctx.json {
        print_json(&serde_json::to_value(&r).map_err(refused)?);
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
