//! The person's episode as a timeline: the points (every dated evidence
//! item that counts, and the legal marks 7 and 30 days after the capture
//! bound) and their inline SVG. No script, no external resource, and no
//! style attribute (the page's Content-Security-Policy allows only its one
//! style sheet): presentation attributes only. Every label is escaped by
//! maud. Its fixed words come from the dossier's language (`crate::i18n`);
//! the dates stay ISO, as recorded.

use super::{Dossier, TimelinePoint};
use crate::escape::terminal;
use crate::i18n::{num, Lang};
use custody_format::time::{OccurredAt, Timestamp, MICROS_PER_DAY};
use maud::{html, Markup};

/// Days from the capture bound to the legal marks.
const NOTIFICATION_DAYS: i64 = 7;
const INCOMMUNICADO_DAYS: i64 = 30;

/// The day `days` after the last day of `at`, as `YYYY-MM-DD`, and its
/// start in microseconds.
fn day_after(at: &OccurredAt, days: i64) -> (i64, String) {
    let day = at.last_micros().div_euclid(MICROS_PER_DAY) + days;
    let micros = day * MICROS_PER_DAY;
    let date = Timestamp(micros)
        .to_datetime()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    (micros, date)
}

/// The timeline's points, in time order: each dated item that counts (a
/// replaced item at its replacement's date; a retracted one, a correction
/// or a dispute not at all), and the legal marks from the capture bound.
pub(crate) fn points(d: &Dossier) -> Vec<TimelinePoint> {
    let lang = d.lang;
    let mut out = Vec::new();
    // With no recorded capture, the first evidence of custody bounds it.
    let first_custody = d
        .status
        .as_ref()
        .filter(|s| s.capture_recorded == Some(false))
        .and_then(|s| s.captured_at)
        .map(|t| t.to_string());
    let first_custody = first_custody.as_deref();
    for item in &d.items {
        let content = match &item.corrected_by {
            Some(c) if c.action == "retracted" => continue,
            Some(c) => match &c.replacement {
                Some(r) => r,
                None => continue,
            },
            None => &item.content,
        };
        if matches!(content.kind, "correction" | "dispute" | "clock_correction") {
            continue;
        }
        let Some(date) = &content.occurred_at else {
            continue;
        };
        let Ok(at) = OccurredAt::parse(date) else {
            continue;
        };
        let place = content
            .fields
            .iter()
            .find(|f| !f.withheld && matches!(f.name.as_str(), "place" | "last_seen_place" | "to"))
            .map(|f| format!(" — {}", f.value))
            .unwrap_or_default();
        // What the point is in the episode, where the fold says so.
        let role = match content.kind {
            "missing_report" => lang.t("timeline-last-seen-free"),
            _ if first_custody == Some(date.as_str()) && content.kind == "sighting" => {
                lang.t("timeline-first-custody")
            }
            _ => String::new(),
        };
        let role = if role.is_empty() {
            role
        } else {
            format!(" ({role})")
        };
        out.push(TimelinePoint {
            item: Some(item.number),
            at_micros: at.start_micros(),
            date: date.clone(),
            label: format!("{}. {}{role}{place}", item.number, content.title),
            kind: "evidence",
        });
    }
    if let Some(captured) = d.status.as_ref().and_then(|s| s.captured_at) {
        for (days, what) in [
            (NOTIFICATION_DAYS, "timeline-mark-notification"),
            (INCOMMUNICADO_DAYS, "timeline-mark-incommunicado"),
        ] {
            let (micros, date) = day_after(&captured, days);
            out.push(TimelinePoint {
                item: None,
                at_micros: micros,
                date,
                label: lang.f(what, &[("days", num(days.unsigned_abs()))]),
                kind: "legal_mark",
            });
        }
    }
    out.sort_by_key(|p| (p.at_micros, p.item.unwrap_or(usize::MAX)));
    out
}

const ROW: usize = 30;
const TOP: usize = 20;
const WIDTH: usize = 760;

/// The timeline as inline SVG (empty markup if it has no point).
pub(crate) fn svg(points: &[TimelinePoint], lang: Lang) -> Markup {
    if points.is_empty() {
        return html! {};
    }
    let height = TOP * 2 + ROW * points.len();
    let view_box = format!("0 0 {WIDTH} {height}");
    let axis_end = height - TOP;
    html! {
        svg class="timeline" width=(WIDTH) height=(height) viewBox=(view_box) role="img" aria-label=(lang.t("timeline-aria-label")) {
            line x1="150" y1=(TOP) x2="150" y2=(axis_end) stroke="#444" stroke-width="2" {}
            @for (i, p) in points.iter().enumerate() {
                @let y = TOP + ROW * i + ROW / 2;
                @if p.kind == "legal_mark" {
                    line x1="140" y1=(y) x2=(WIDTH - 10) y2=(y) stroke="#b00020" stroke-width="1" stroke-dasharray="6 4" {}
                    text x="135" y=(y + 4) text-anchor="end" font-size="12" fill="#b00020" { (p.date) }
                    text x="165" y=(y - 4) font-size="12" fill="#b00020" { (terminal(&p.label)) }
                } @else {
                    circle cx="150" cy=(y) r="6" fill="#1a4d8f" {}
                    text x="135" y=(y + 4) text-anchor="end" font-size="12" fill="#222" { (p.date) }
                    text x="165" y=(y + 4) font-size="12" fill="#222" { (terminal(&p.label)) }
                }
            }
        }
    }
}
