//! `custody status`, `history`, `report` and `rebuild`: what the ledger says
//! about people, derived from the signed entries (rules in
//! docs/PROJECTIONS.md).

use crate::exit::{refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::event::{Category, DeathCause, Event, PersonId};
use custody_format::time::Timestamp;
use custody_ledger::projection::{DayBounds, PersonStatus, Status, FLAGS};
use custody_ledger::store::Ledger;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The two cuts of a bitemporal query.
#[derive(Args, Clone)]
pub struct Cuts {
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
pub struct StatusArgs {
    /// One person; without it, a table of everyone (sorted by person).
    person: Option<String>,
    /// Only persons with this status.
    #[arg(long, value_name = "S")]
    status: Option<Status>,
    /// Only persons with this flag (notification_overdue, incommunicado,
    /// disputed).
    #[arg(long, value_name = "F", value_parser = parse_flag)]
    flag: Option<String>,
    #[command(flatten)]
    cuts: Cuts,
}

fn parse_flag(s: &str) -> Result<String, String> {
    if FLAGS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown flag {s:?}; expected one of {}",
            FLAGS.join(", ")
        ))
    }
}

/// `custody history`.
#[derive(Args)]
pub struct HistoryArgs {
    /// The person.
    person: String,
}

/// `custody report`.
#[derive(Args)]
pub struct ReportArgs {
    /// The state of the world at T (see `status --as-of`).
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    as_of: Option<Timestamp>,
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
    v.as_ref().map(|v| v.to_string()).unwrap_or_default()
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
                l.by,
                l.place
                    .as_deref()
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default()
            ),
        );
    }
    row("captured", opt(&st.captured_at));
    row("ICRC notified", opt(&st.icrc_notified_at));
    row("notification delay", days(&st.notification_delay_days));
    row("unacknowledged for", days(&st.days_unacknowledged));
    row("last contact", opt(&st.last_contact_at));
    row("without contact for", days(&st.days_without_contact));
    row("released", opt(&st.released_at));
    row("died", opt(&st.died_at));
    row("cause of death", opt(&st.death_cause));
    row("remains returned", opt(&st.remains_returned));
    row("flags", st.flags.join(", "));
    for (fact, cites) in &st.evidence {
        let c: Vec<String> = cites
            .iter()
            .map(|c| format!("seq {} ({}…)", c.seq, &c.hash.to_hex()[..12]))
            .collect();
        row(&format!("evidence: {fact}"), c.join(", "));
    }
}

/// Runs `status`.
pub fn status(ctx: &Context, args: StatusArgs) -> CmdResult {
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
        .filter(|s| args.flag.as_ref().is_none_or(|f| s.has_flag(f)))
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
pub fn print_table(statuses: &[&PersonStatus]) {
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
            s.flags.join(",")
        );
    }
}

/// Runs `history`.
pub fn history(ctx: &Context, args: HistoryArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let person = person_arg(&args.person)?;
    let entries = ledger.person_entries(&person)?;
    if entries.is_empty() {
        return Err(refused(anyhow::anyhow!("no such person: {person}")));
    }
    // Which entry corrected which.
    let mut corrected_by = BTreeMap::new();
    for e in &entries {
        if let Event::Correction(c) = e.event() {
            corrected_by.insert(c.target, e);
        }
    }
    let holder = |e: &custody_format::entry::SignedEntry| {
        ledger
            .registry()
            .get(&e.body().signer)
            .map(|k| k.holder.clone())
            .unwrap_or_default()
    };
    // Evidence in occurrence order; a correction right after its target (or
    // by itself, for a replacement naming this person from someone else).
    let mut timeline: Vec<&custody_format::entry::SignedEntry> =
        entries.iter().filter(|e| e.event().is_evidence()).collect();
    timeline.sort_by_key(|e| {
        let at = e.event().occurred_at().expect("evidence");
        (at.start_micros(), at.end_micros(), e.seq())
    });
    let mut rows: Vec<Value> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut shown_corrections = std::collections::HashSet::new();
    let push = |e: &custody_format::entry::SignedEntry,
                rows: &mut Vec<Value>,
                lines: &mut Vec<String>| {
        let b = e.body();
        let correction = corrected_by.get(&e.hash());
        let struck = correction.is_some();
        let what = match &b.event {
            Event::Correction(c) => format!(
                "{} {}: {}",
                if c.replacement.is_some() {
                    "replaces"
                } else {
                    "retracts"
                },
                &c.target.to_hex()[..12],
                c.reason
            ),
            ev => {
                let detail = match ev {
                    Event::Capture(x) => opt(&x.place),
                    Event::Sighting(x) => format!("{} {}", x.source, opt(&x.place)),
                    Event::Release(x) => format!("{} {}", x.kind, opt(&x.place)),
                    Event::Death(x) => format!("{} {}", x.cause, opt(&x.place)),
                    Event::Correspondence(x) => format!("{} {}", x.kind, opt(&x.via)),
                    Event::MissingReport(x) => {
                        format!("{} {}", x.category, opt(&x.last_seen_place))
                    }
                    _ => String::new(),
                };
                format!("{} {}", ev.type_name(), detail.trim())
                    .trim_end()
                    .to_string()
            }
        };
        let when = b
            .event
            .occurred_at()
            .map(|t| t.to_string())
            .unwrap_or_else(|| "—".into());
        let line = format!(
            "{:<27} seq {:<6} {:<48} by {:<16} recorded {}  {}",
            when,
            b.seq,
            what,
            holder(e),
            b.recorded_at,
            &e.hash().to_hex()[..16]
        );
        lines.push(if struck {
            let c = correction.expect("struck");
            format!("~~{line}~~  (corrected by seq {})", c.seq())
        } else {
            line
        });
        rows.push(json!({
            "seq": b.seq,
            "hash": e.hash(),
            "type": b.event.type_name(),
            "occurred_at": b.event.occurred_at(),
            "recorded_at": b.recorded_at,
            "signer": b.signer,
            "holder": holder(e),
            "event": b.event,
            "corrected_by": correction.map(|c| json!({
                "seq": c.seq(), "hash": c.hash(),
                "reason": match c.event() { Event::Correction(x) => x.reason.clone(), _ => String::new() },
                "replaced": matches!(c.event(), Event::Correction(x) if x.replacement.is_some()),
            })),
        }));
    };
    for e in timeline {
        push(e, &mut rows, &mut lines);
        if let Some(c) = corrected_by.get(&e.hash()) {
            push(c, &mut rows, &mut lines);
            shown_corrections.insert(c.seq());
        }
    }
    for e in entries.iter().filter(|e| {
        matches!(e.event(), Event::Correction(_)) && !shown_corrections.contains(&e.seq())
    }) {
        push(e, &mut rows, &mut lines);
    }
    if ctx.json {
        print_json(&json!({"person": person, "entries": rows}));
    } else {
        println!(
            "{person}: {} entries, in the order they occurred",
            rows.len()
        );
        for l in lines {
            println!("{l}");
        }
    }
    Ok(())
}

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least `p` of the values at or below it.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The report's figures, tallied one status at a time so that a report
/// over every person holds counts, not statuses.
pub struct ReportTally {
    persons: u64,
    by_status: BTreeMap<&'static str, BTreeMap<String, u64>>,
    delays: Vec<i64>,
    never_notified: u64,
    captured: u64,
    deaths: BTreeMap<String, u64>,
    held_unacknowledged: u64,
    incommunicado: u64,
    notification_overdue: u64,
    disputed: u64,
}

impl Default for ReportTally {
    fn default() -> Self {
        ReportTally {
            persons: 0,
            by_status: Status::ALL
                .iter()
                .map(|s| (s.name(), BTreeMap::new()))
                .collect(),
            delays: Vec::new(),
            never_notified: 0,
            captured: 0,
            deaths: DeathCause::ALL.iter().map(|c| (c.to_string(), 0)).collect(),
            held_unacknowledged: 0,
            incommunicado: 0,
            notification_overdue: 0,
            disputed: 0,
        }
    }
}

impl ReportTally {
    /// Counts one person's status.
    pub fn add(&mut self, st: &PersonStatus) {
        self.persons += 1;
        let cat = st
            .category
            .map_or("unknown".to_string(), |c: Category| c.to_string());
        *self
            .by_status
            .get_mut(st.status.name())
            .expect("every status")
            .entry(cat)
            .or_default() += 1;
        if st.captured_at.is_some() {
            self.captured += 1;
            match st.notification_delay_days {
                Some(d) => self.delays.push(d.min),
                None => self.never_notified += 1,
            }
        }
        if let Some(c) = st.death_cause {
            if st.status == Status::Deceased {
                *self.deaths.entry(c.to_string()).or_default() += 1;
            }
        }
        self.held_unacknowledged += u64::from(st.status == Status::HeldUnacknowledged);
        self.incommunicado += u64::from(st.has_flag("incommunicado"));
        self.notification_overdue += u64::from(st.has_flag("notification_overdue"));
        self.disputed += u64::from(st.has_flag("disputed"));
    }

    /// The figures, as `report --json` prints them.
    pub fn figures(mut self, as_of: Option<Timestamp>) -> Value {
        self.delays.sort_unstable();
        let delays = &self.delays;
        json!({
            "as_of": as_of,
            "persons": self.persons,
            "by_status": self.by_status.iter().map(|(k, v)| (k.to_string(), json!({
                "total": v.values().sum::<u64>(), "by_category": v,
            }))).collect::<BTreeMap<_, _>>(),
            "held_unacknowledged": self.held_unacknowledged,
            "incommunicado": self.incommunicado,
            "notification_overdue": self.notification_overdue,
            "disputed": self.disputed,
            "notification_delay_days": {
                "basis": "lower bound of capture-to-notification days, persons with both a capture and a notification in their current or last detention",
                "notified": delays.len(),
                "captured": self.captured,
                "captured_never_notified": self.never_notified,
                "median": percentile(delays, 0.5),
                "p90": percentile(delays, 0.9),
                "max": delays.last(),
            },
            "deaths_by_cause": self.deaths,
        })
    }
}

/// Runs `report`.
pub fn report(ctx: &Context, args: ReportArgs) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let mut tally = ReportTally::default();
    ledger.for_each_status(args.as_of, None, custody_ledger::clock::now(), |st| {
        tally.add(&st)
    })?;
    let r = tally.figures(args.as_of);
    if ctx.json {
        print_json(&r);
        return Ok(());
    }
    println!(
        "custody report — {} persons{}",
        r["persons"],
        args.as_of
            .map(|t| format!(", as of {t}"))
            .unwrap_or_default()
    );
    println!("\nby status (military / civilian / unknown):");
    for s in Status::ALL {
        let v = &r["by_status"][s.name()];
        let c = |k: &str| v["by_category"][k].as_u64().unwrap_or(0);
        println!(
            "  {:<20} {:>7}   ({} / {} / {})",
            s.name(),
            v["total"],
            c("military"),
            c("civilian"),
            c("unknown")
        );
    }
    let d = &r["notification_delay_days"];
    println!(
        "\nheld, never acknowledged (enforced disappearance pattern): {}",
        r["held_unacknowledged"]
    );
    println!(
        "incommunicado over 30 days (GC III Art. 71):              {}",
        r["incommunicado"]
    );
    println!(
        "notification overdue over 7 days (GC III Art. 70):        {}",
        r["notification_overdue"]
    );
    println!(
        "deaths disputed by later evidence:                        {}",
        r["disputed"]
    );
    println!(
        "\ncapture to ICRC notification, days (lower bounds; {} notified, {} of {} captured never notified):",
        d["notified"], d["captured_never_notified"], d["captured"]
    );
    println!(
        "  median {}   p90 {}   max {}",
        d["median"], d["p90"], d["max"]
    );
    println!("\ndeaths by cause:");
    for (cause, n) in r["deaths_by_cause"].as_object().into_iter().flatten() {
        println!("  {cause:<20} {n}");
    }
    Ok(())
}

/// Runs `rebuild`.
pub fn rebuild(ctx: &Context) -> CmdResult {
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
