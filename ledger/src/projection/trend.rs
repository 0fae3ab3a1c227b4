//! Unacknowledged and incommunicado counts over time, from the statuses as
//! they are now: one pass over the statuses, no fold per date.
//!
//! ## What a point counts
//!
//! A point is a UTC day `D`; it counts what the ledger says *now* about
//! `D` (evidence recorded later about earlier days included), not what it
//! said on `D`. Each person's status records the bounds of their current
//! or last detention — the clock's start (`captured_at`), the first
//! acknowledgement, the latest contact, the release or death — and the
//! projection's rules (docs/PROJECTIONS.md) applied at the cut `as_of` =
//! the end of `D` give, for that detention:
//!
//! - **unacknowledged** on `D`: the detention began by `D` (its first
//!   evidence's interval starts on or before `D`), had not ended by `D`,
//!   and no acknowledgement had come by `D` — the status
//!   `held_unacknowledged` at that cut;
//! - **incommunicado** on `D`: held on `D`, and the latest contact by `D`
//!   (the capture, or a letter, call or visit) ended more than 30 days
//!   before `D` (`min > 30`, the flag's rule). The status keeps only the
//!   *latest* contact: on a day before it, the latest contact by that day
//!   is the capture or one the status no longer records, so such a day
//!   is counted as *undetermined* (more than 30 days after the detention
//!   began, before the latest contact), never as incommunicado.
//!
//! So the counts are exact for every person's current or last detention,
//! and lower bounds overall: an earlier detention of a person released
//! and captured again is not in their status, and the incommunicado count
//! leaves out the undetermined days (`incommunicado + undetermined` is an
//! upper bound for the last detentions). Two histories the status cannot
//! tell apart from a simpler one may be counted held for days they were
//! not: a second release recorded for a person already released (the
//! status keeps the later one's date) followed by a missing report, and
//! a notification about a person reported missing after a release (the
//! projection holds them again without a new detention, keeping the
//! last one's capture). Both are contradictions in the evidence rather
//! than histories; the reference day is exact for them too. The tests in
//! `ledger/tests/trend_props.rs` fold random histories at each day's cut
//! and check exactly this.
//!
//! ## The point for the reference day
//!
//! The last point is the reference day (now, or the `as_of` cut) and
//! equals the report's figures at it: `held_unacknowledged` and the flag
//! `incommunicado`. A status without a cut counts evidence dated after
//! now (an approximate date that runs past today, or a typing error);
//! so every day here is taken as at most the reference day, and such
//! evidence counts from that day, as the report counts it.

use super::{days, PersonStatus};
use custody_format::time::{OccurredAt, Timestamp, MICROS_PER_DAY};
use serde::Serialize;
use std::collections::HashMap;

/// More than this many days without contact is `incommunicado` (the
/// flag's rule in `PersonStatus::apply_clock`).
const INCOMMUNICADO_AFTER_DAYS: i64 = 30;

/// The most points a series has: above this many months, points are a
/// year apart.
const MAX_MONTHS: i64 = 240;

/// A range of at most this many days has a point a week.
const WEEKLY_UP_TO_DAYS: i64 = 120;

/// The counts on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Held, not acknowledged.
    pub unacknowledged: u64,
    /// Held, the latest contact more than 30 days before.
    pub incommunicado: u64,
    /// Held, more than 30 days after the capture and before the latest
    /// contact the status records: incommunicado or not, the status
    /// cannot tell.
    pub incommunicado_undetermined: u64,
}

/// How far apart the points are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendStep {
    /// The last day of each week ending on the reference day.
    Week,
    /// The last day of each month, and the reference day.
    Month,
    /// The last day of each year, and the reference day.
    Year,
}

/// The counts over time, the reference day last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trend {
    /// How far apart the points are.
    pub step: TrendStep,
    /// From the first day any detention began to the reference day;
    /// empty if no status records a detention.
    pub points: Vec<TrendPoint>,
}

/// How the three counts change on one day.
#[derive(Clone, Copy, Default)]
struct Change {
    unacknowledged: i64,
    incommunicado: i64,
    undetermined: i64,
}

/// Counts statuses into a [`Trend`]: each person adds at most three
/// half-open day intervals, kept as the changes at their ends.
#[derive(Clone)]
pub struct TrendTally {
    today: i64,
    first: Option<i64>,
    changes: HashMap<i64, Change>,
}

impl TrendTally {
    /// A tally for statuses read at `reference` (the `as_of` cut, or now).
    pub fn new(reference: Timestamp) -> TrendTally {
        TrendTally {
            today: reference.0.div_euclid(MICROS_PER_DAY),
            first: None,
            changes: HashMap::new(),
        }
    }

    /// An evidence date's first day, taken as at most the reference day
    /// (see the module docs).
    fn day(&self, t: &OccurredAt) -> i64 {
        days(t).0.min(self.today)
    }

    /// The days `[from, to)` add one to the count `which` picks (days
    /// after the reference day are never shown).
    fn count(&mut self, from: i64, to: Option<i64>, which: fn(&mut Change) -> &mut i64) {
        let to = to.map_or(i64::MAX, |t| t.min(self.today.saturating_add(1)));
        if from > self.today || from >= to {
            return;
        }
        *which(self.changes.entry(from).or_default()) += 1;
        if to <= self.today {
            *which(self.changes.entry(to).or_default()) -= 1;
        }
    }

    /// Counts one person's status (read at the tally's reference).
    pub fn add(&mut self, st: &PersonStatus) {
        let day = |t: &Option<OccurredAt>| t.as_ref().map(|t| self.day(t));
        let (captured, acknowledged) = (day(&st.captured_at), day(&st.acknowledged_at));
        let released = day(&st.released_at);
        // When the detention began: the clock's start, or an earlier
        // acknowledgement (a notification about a person not yet seen
        // held).
        let Some(mut held_from) = [captured, acknowledged].into_iter().flatten().min() else {
            return;
        };
        // When it ended: a held person's has not; otherwise when the
        // status left `held` — `since`, the first release or death that
        // moved it (`released_at` and `died_at` are the latest of their
        // kind) — or the release before a later status (missing, dead).
        let held_to = if st.status.is_held() {
            None
        } else {
            [released, Some(self.day(&st.since))]
                .into_iter()
                .flatten()
                .min()
        };
        self.first = Some(self.first.map_or(held_from, |f| f.min(held_from)));
        if let Some(from) = captured {
            let to = [held_to, acknowledged, released]
                .into_iter()
                .flatten()
                .min();
            self.count(from, to, |c| &mut c.unacknowledged);
        }
        if let (true, Some(r)) = (st.status.is_held(), released) {
            // Held again after a release with no new evidence of capture
            // (a notification about a person reported missing since): the
            // status keeps the last detention's capture; this one began at
            // its acknowledgement if that came after the release, else on
            // a day the status does not record (only the reference day is
            // counted then).
            held_from = acknowledged.filter(|a| *a >= r).unwrap_or(self.today);
        }
        let Some(contact) = st.last_contact_at else {
            return;
        };
        // More than 30 days after the last day of a contact.
        let silent_from = |t: &OccurredAt| days(t).1 + INCOMMUNICADO_AFTER_DAYS + 1;
        let contact_from = self.day(&contact);
        let certain_from = held_from.max(contact_from).max(silent_from(&contact));
        self.count(certain_from, held_to, |c| &mut c.incommunicado);
        if st.status.is_held() && released.is_some() {
            return;
        }
        // Before the latest contact: the contact by then is the capture,
        // or one the status does not keep — which may have ended as early
        // as the day the detention began (a letter dated to the day after
        // a capture known to the year), so any day more than 30 days on
        // may be silent. A detention begun by an acknowledgement (no
        // capture first) keeps the contact from before it: any day.
        let begun_by_capture = match (st.captured_at, st.acknowledged_at) {
            (Some(_), None) => true,
            (Some(c), Some(a)) => {
                (c.start_micros(), c.end_micros()) <= (a.start_micros(), a.end_micros())
            }
            (None, _) => false,
        };
        let before_contact = Some(held_to.map_or(contact_from, |e| e.min(contact_from)));
        let from = if begun_by_capture {
            held_from + INCOMMUNICADO_AFTER_DAYS + 1
        } else {
            held_from
        };
        self.count(from, before_contact, |c| &mut c.undetermined);
    }

    /// The series: a point at the end of each week, month or year from
    /// the first detention's, and the reference day last.
    pub fn finish(self) -> Trend {
        let Some(first) = self.first else {
            return Trend {
                step: TrendStep::Month,
                points: Vec::new(),
            };
        };
        let (step, grid) = grid(first, self.today);
        let mut changes: Vec<(i64, Change)> = self.changes.into_iter().collect();
        changes.sort_unstable_by_key(|(d, _)| *d);
        let mut next = changes.iter().peekable();
        let mut now = Change::default();
        let points = grid
            .into_iter()
            .map(|day| {
                while let Some((_, c)) = next.next_if(|(d, _)| *d <= day) {
                    now.unacknowledged += c.unacknowledged;
                    now.incommunicado += c.incommunicado;
                    now.undetermined += c.undetermined;
                }
                TrendPoint {
                    date: date_of(day),
                    unacknowledged: now.unacknowledged.max(0) as u64,
                    incommunicado: now.incommunicado.max(0) as u64,
                    incommunicado_undetermined: now.undetermined.max(0) as u64,
                }
            })
            .collect();
        Trend { step, points }
    }
}

/// The day `d` as `YYYY-MM-DD`.
fn date_of(d: i64) -> String {
    chrono::DateTime::from_timestamp(d * 86_400, 0)
        .map_or_else(|| d.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

/// The civil date of day `d`.
fn civil(d: i64) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(d.clamp(-1 << 40, 1 << 40) * 86_400, 0)
        .map_or(chrono::NaiveDate::MIN, |t| t.date_naive())
}

/// The day number of a civil date.
fn day_number(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp().div_euclid(86_400))
}

/// The days a series has points on, from `first` to `today` (the last).
fn grid(first: i64, today: i64) -> (TrendStep, Vec<i64>) {
    use chrono::Datelike;
    if today - first <= WEEKLY_UP_TO_DAYS {
        let mut days: Vec<i64> = (0..)
            .map(|w| today - 7 * w)
            .take_while(|d| *d > first - 7)
            .collect();
        days.reverse();
        return (TrendStep::Week, days);
    }
    let (a, b) = (civil(first), civil(today));
    let months =
        i64::from(b.year() - a.year()) * 12 + i64::from(b.month0()) - i64::from(a.month0());
    let step = if months > MAX_MONTHS {
        TrendStep::Year
    } else {
        TrendStep::Month
    };
    let mut out = Vec::new();
    let mut at = a;
    loop {
        // The last day of `at`'s month (or year).
        let next = match step {
            TrendStep::Year => chrono::NaiveDate::from_ymd_opt(at.year() + 1, 1, 1),
            _ if at.month() == 12 => chrono::NaiveDate::from_ymd_opt(at.year() + 1, 1, 1),
            _ => chrono::NaiveDate::from_ymd_opt(at.year(), at.month() + 1, 1),
        };
        let Some(next) = next else { break };
        let last = day_number(next) - 1;
        if last >= today {
            break;
        }
        out.push(last);
        at = next;
    }
    out.push(today);
    (step, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i64 {
        day_number(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date"))
    }

    #[test]
    fn a_short_range_has_a_point_a_week_ending_today() {
        let (step, g) = grid(day("2024-03-01"), day("2024-03-20"));
        assert_eq!(step, TrendStep::Week);
        let dates: Vec<String> = g.into_iter().map(date_of).collect();
        assert_eq!(
            dates,
            ["2024-02-28", "2024-03-06", "2024-03-13", "2024-03-20"]
        );
    }

    #[test]
    fn a_long_range_has_month_ends_then_today() {
        let (step, g) = grid(day("2023-11-15"), day("2024-03-20"));
        assert_eq!(step, TrendStep::Month);
        let dates: Vec<String> = g.into_iter().map(date_of).collect();
        assert_eq!(
            dates,
            [
                "2023-11-30",
                "2023-12-31",
                "2024-01-31",
                "2024-02-29",
                "2024-03-20"
            ]
        );
        // Today the last day of a month: not twice.
        let (_, g) = grid(day("2023-11-15"), day("2024-03-31"));
        assert_eq!(date_of(*g.last().expect("a point")), "2024-03-31");
        assert_eq!(date_of(g[g.len() - 2]), "2024-02-29");
    }

    #[test]
    fn a_range_of_decades_has_a_point_a_year() {
        let (step, g) = grid(day("1990-05-01"), day("2024-03-20"));
        assert_eq!(step, TrendStep::Year);
        assert_eq!(date_of(g[0]), "1990-12-31");
        assert_eq!(date_of(g[g.len() - 2]), "2023-12-31");
        assert_eq!(g.len(), 35);
    }
}
