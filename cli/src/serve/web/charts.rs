//! The report page's charts beyond `custody report`'s figures: the
//! distribution of capture-to-notification delays, and the unacknowledged
//! and incommunicado counts over time (`projection::trend`, whose docs
//! say exactly what a point counts). Both are tallied in the same pass
//! over the statuses as the report (the summary's, or the store's with
//! cuts), so they cost no read of their own.
//!
//! The charts are inline SVG with presentation attributes only (the
//! pages' Content-Security-Policy allows no inline style), a title and a
//! description for screen readers, and the figures again as a table.

use crate::i18n::{num, txt, Lang};
use custody_format::time::Timestamp;
use custody_ledger::projection::trend::{Trend, TrendStep, TrendTally};
use custody_ledger::projection::PersonStatus;
use maud::{html, Markup};

/// The delay buckets, in days (lower bound of capture to notification,
/// as the report's median reads it): 0–7 (within GC III's week), 8–30,
/// 31–90, 91–180, 181–365, and more.
pub(super) const DELAY_BUCKETS: [(i64, Option<i64>); 6] = [
    (0, Some(7)),
    (8, Some(30)),
    (31, Some(90)),
    (91, Some(180)),
    (181, Some(365)),
    (366, None),
];

/// What the charts show, for one reading of the statuses.
#[derive(Clone)]
pub(super) struct Charts {
    /// Persons notified, by bucket of [`DELAY_BUCKETS`].
    pub delays: [u64; DELAY_BUCKETS.len()],
    /// Persons captured (current or last detention) and never notified.
    pub never_notified: u64,
    /// The counts over time.
    pub trend: Trend,
}

/// Counts statuses into [`Charts`].
pub(super) struct ChartTally {
    delays: [u64; DELAY_BUCKETS.len()],
    never_notified: u64,
    trend: TrendTally,
}

impl ChartTally {
    /// A tally of statuses read at `reference` (the `as_of` cut, or now).
    pub(super) fn new(reference: Timestamp) -> ChartTally {
        ChartTally {
            delays: [0; DELAY_BUCKETS.len()],
            never_notified: 0,
            trend: TrendTally::new(reference),
        }
    }

    /// Counts one status (the report's rule for the delays: persons with
    /// a capture, by the lower bound of the delay, or never notified).
    pub(super) fn add(&mut self, st: &PersonStatus) {
        if st.captured_at.is_some() {
            match st.notification_delay_days {
                Some(d) => {
                    let i = DELAY_BUCKETS
                        .iter()
                        .position(|(_, to)| to.is_none_or(|to| d.min <= to))
                        .unwrap_or(DELAY_BUCKETS.len() - 1);
                    self.delays[i] += 1;
                }
                None => self.never_notified += 1,
            }
        }
        self.trend.add(st);
    }

    pub(super) fn finish(self) -> Charts {
        Charts {
            delays: self.delays,
            never_notified: self.never_notified,
            trend: self.trend.finish(),
        }
    }
}

/// The delay buckets' labels and counts, never notified last (for the
/// page's bar chart).
pub(super) fn delay_bars(c: &Charts, lang: Lang) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = DELAY_BUCKETS
        .iter()
        .zip(c.delays)
        .map(|((from, to), n)| {
            let label = match to {
                Some(to) => lang.f(
                    "web-report-delay-range",
                    &[("from", num(*from)), ("to", num(*to))],
                ),
                None => lang.f("web-report-delay-over", &[("days", num(*from - 1))]),
            };
            (label, n)
        })
        .collect();
    out.push((lang.t("web-report-never-notified"), c.never_notified));
    out
}

/// The plot's frame in the SVG's coordinates.
const WIDTH: i64 = 640;
const LEFT: i64 = 72;
const RIGHT: i64 = 620;
const TOP: i64 = 24;
const BOTTOM: i64 = 244;

/// The smallest of 1, 2, 5 × 10ⁿ at or above `n` (a round top for the
/// axis).
fn round_up(n: u64) -> u64 {
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            if unit.saturating_mul(m) >= n {
                return unit.saturating_mul(m);
            }
        }
        unit = unit.saturating_mul(10);
    }
}

/// The line of one count: `x,y` pairs.
fn line(
    t: &Trend,
    top: u64,
    count: fn(&custody_ledger::projection::trend::TrendPoint) -> u64,
) -> String {
    let n = t.points.len().max(2) as i64 - 1;
    t.points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = LEFT + (RIGHT - LEFT) * i as i64 / n;
            let y = BOTTOM - ((BOTTOM - TOP) as u64 * count(p) / top.max(1)) as i64;
            format!("{x},{y}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The counts over time: a line chart, a note on what it counts, and the
/// figures as a table.
pub(super) fn trend_section(t: &Trend, lang: Lang) -> Markup {
    let heading = lang.t("web-report-trend");
    let (Some(first), Some(last)) = (t.points.first(), t.points.last()) else {
        return html! {
            h2 { (heading) }
            p { (lang.t("web-report-trend-none")) }
        };
    };
    let top = round_up(
        t.points
            .iter()
            .map(|p| p.unacknowledged.max(p.incommunicado))
            .max()
            .unwrap_or(0)
            .max(1),
    );
    let count = |n: u64| lang.f("count-plain", &[("count", num(n))]);
    let step = match t.step {
        TrendStep::Week => "web-report-trend-step-week",
        TrendStep::Month => "web-report-trend-step-month",
        TrendStep::Year => "web-report-trend-step-year",
    };
    let desc = lang.f(
        "web-report-trend-desc",
        &[
            ("points", num(t.points.len())),
            ("from", txt(&first.date)),
            ("to", txt(&last.date)),
            ("unacknowledged", num(last.unacknowledged)),
            ("incommunicado", num(last.incommunicado)),
        ],
    );
    let (unack, incomm) = (
        lang.t("web-report-trend-unacknowledged"),
        lang.t("web-report-trend-incommunicado"),
    );
    let y_of = |n: u64| BOTTOM - ((BOTTOM - TOP) as u64 * n / top) as i64;
    html! {
        h2 { (heading) }
        svg #trend-chart.bars xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} 320")) width=(WIDTH) height="320" role="img" aria-labelledby="trend-title trend-desc" {
            title #trend-title { (heading) }
            desc #trend-desc { (desc) }
            text x="0" y="14" font-size="13" fill="#111" { (lang.t("web-report-trend-axis-persons")) }
            @for n in [0, top / 2, top] {
                line x1=(LEFT) x2=(RIGHT) y1=(y_of(n)) y2=(y_of(n)) stroke="#bbb" stroke-width="1" {}
                text x=(LEFT - 6) y=(y_of(n) + 5) font-size="13" fill="#111" text-anchor="end" { (count(n)) }
            }
            line x1=(LEFT) x2=(LEFT) y1=(TOP) y2=(BOTTOM) stroke="#111" stroke-width="1" {}
            text x=(LEFT) y=(BOTTOM + 18) font-size="13" fill="#111" { (first.date) }
            text x=(RIGHT) y=(BOTTOM + 18) font-size="13" fill="#111" text-anchor="end" { (last.date) }
            text x=((LEFT + RIGHT) / 2) y=(BOTTOM + 36) font-size="13" fill="#111" text-anchor="middle" { (lang.t(step)) }
            polyline points=(line(t, top, |p| p.unacknowledged)) fill="none" stroke="#0b4a8b" stroke-width="2.5" {}
            polyline points=(line(t, top, |p| p.incommunicado)) fill="none" stroke="#b35900" stroke-width="2.5" stroke-dasharray="7 4" {}
            line x1=(LEFT) x2=(LEFT + 28) y1="296" y2="296" stroke="#0b4a8b" stroke-width="2.5" {}
            text x=(LEFT + 34) y="301" font-size="13" fill="#111" { (unack) }
            line x1="360" x2="388" y1="296" y2="296" stroke="#b35900" stroke-width="2.5" stroke-dasharray="7 4" {}
            text x="394" y="301" font-size="13" fill="#111" { (incomm) }
        }
        p.note { (lang.t("web-report-trend-note")) }
        details.trend {
            summary { (lang.t("web-report-trend-table")) }
            div.table-wrap {
                table.people #trend-table {
                    caption { (heading) }
                    thead { tr {
                        th scope="col" { (lang.t("web-report-trend-date")) }
                        th scope="col" { (unack) }
                        th scope="col" { (incomm) }
                        th scope="col" { (lang.t("web-report-trend-undetermined")) }
                    } }
                    tbody {
                        @for p in &t.points {
                            tr {
                                th scope="row" { (p.date) }
                                td.num { (count(p.unacknowledged)) }
                                td.num { (count(p.incommunicado)) }
                                td.num { (count(p.incommunicado_undetermined)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(round_up(1), 1);
        assert_eq!(round_up(3), 5);
        assert_eq!(round_up(7), 10);
        assert_eq!(round_up(11), 20);
        assert_eq!(round_up(48_213), 50_000);
    }

    #[test]
    fn delays_fall_in_their_buckets_and_never_notified_apart() {
        use custody_ledger::projection::DayBounds;
        let base = |delay: Option<i64>| {
            let mut st: PersonStatus = serde_json::from_value(serde_json::json!({
                "person": "P-1", "status": "held_acknowledged", "since": "2024-01-02",
                "category": null, "last_seen": null, "captured_at": "2024-01-01",
                "icrc_notified_at": null, "notification_delay_days": null,
                "days_unacknowledged": null, "last_contact_at": null,
                "days_without_contact": null, "released_at": null, "died_at": null,
                "death_cause": null, "remains_returned": null, "flags": [],
                "evidence": {}
            }))
            .expect("a status");
            st.notification_delay_days = delay.map(|d| DayBounds { min: d, max: d + 3 });
            st
        };
        let mut t = ChartTally::new(Timestamp(1_720_000_000_000_000));
        for d in [
            Some(0),
            Some(7),
            Some(8),
            Some(30),
            Some(31),
            Some(365),
            Some(366),
            Some(4000),
            None,
        ] {
            t.add(&base(d));
        }
        // Not captured: not counted.
        let mut free = base(None);
        free.captured_at = None;
        t.add(&free);
        let c = t.finish();
        assert_eq!(c.delays, [2, 2, 1, 0, 1, 2]);
        assert_eq!(c.never_notified, 1);
        let labels = delay_bars(&c, Lang::En);
        assert_eq!(labels[0].0, "0–7 days");
        assert_eq!(labels[5].0, "more than 365 days");
        assert_eq!(labels[6], ("Never notified".to_string(), 1));
    }
}
