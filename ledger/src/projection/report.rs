//! The report's figures (`custody report`), tallied one status at a time so
//! that a report over every person holds counts, not statuses.

use super::{Flag, PersonStatus, Status};
use custody_format::event::{Category, DeathCause, IllTreatmentKind};
use custody_format::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least `p` of the values at or below it.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Persons in one status, by category.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    /// By category (`military`, `civilian`, `unknown`).
    pub by_category: BTreeMap<String, u64>,
    /// In all.
    pub total: u64,
}

/// Capture-to-notification delays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DelaySummary {
    /// What the figures count.
    pub basis: &'static str,
    /// Persons with a capture in their current or last detention.
    pub captured: u64,
    /// Of those, never notified.
    pub captured_never_notified: u64,
    /// The longest delay (lower bound, days).
    pub max: Option<i64>,
    /// The median delay.
    pub median: Option<i64>,
    /// Persons with both a capture and a notification.
    pub notified: u64,
    /// The 90th percentile.
    pub p90: Option<i64>,
}

/// A count out of a base, with the share.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    /// How many.
    pub count: u64,
    /// Out of how many.
    pub of: u64,
    /// `count / of`, to three decimals (0 when `of` is 0).
    pub share: f64,
}

impl Share {
    fn new(count: u64, of: u64) -> Share {
        let share = if of == 0 {
            0.0
        } else {
            (count as f64 / of as f64 * 1000.0).round() / 1000.0
        };
        Share { count, of, share }
    }
}

/// The report, as `report --json` prints it (fields in the order of their
/// names, as earlier builds printed them).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The `as_of` cut, if any.
    pub as_of: Option<Timestamp>,
    /// Persons in each status.
    pub by_status: BTreeMap<String, StatusCount>,
    /// Deaths (of the deceased) by cause.
    pub deaths_by_cause: BTreeMap<String, u64>,
    /// Persons flagged `disputed`.
    pub disputed: u64,
    /// Persons flagged `enforced_disappearance`: held, unacknowledged, and
    /// refused acknowledgement.
    pub enforced_disappearance: u64,
    /// Persons held, never acknowledged.
    pub held_unacknowledged: u64,
    /// Persons flagged `incommunicado`.
    pub incommunicado: u64,
    /// Persons with ill-treatment reported, of the persons ever detained,
    /// and how many persons each kind was reported for.
    pub ill_treatment: IllTreatmentFigures,
    /// Persons about whom a request for news was recorded, and how many
    /// of them the detaining state never acknowledged (no notification,
    /// no official act: the request went unanswered by the one who could
    /// answer it).
    pub inquiries: InquiryFigures,
    /// Persons by legal category (`axes.legal_category`; `unknown` when
    /// the category is not known), each split by status.
    pub by_legal_category: BTreeMap<String, BTreeMap<String, u64>>,
    /// Capture-to-notification delays.
    pub notification_delay_days: DelaySummary,
    /// Persons flagged `notification_overdue`.
    pub notification_overdue: u64,
    /// Persons in all.
    pub persons: u64,
    /// Persons held (now or in their last detention, returnees included)
    /// with no contact during captivity: no letter, call or visit after
    /// the capture.
    pub never_in_contact: Share,
    /// Released persons whose last detention was never notified to the
    /// ICRC, of the released.
    pub released_never_notified: Share,
    /// Persons flagged `whereabouts_undisclosed`: acknowledged, with the
    /// place of detention never given.
    pub whereabouts_undisclosed: u64,
}

/// Ill-treatment in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IllTreatmentFigures {
    /// Persons with at least one report of ill-treatment, of the persons
    /// with a detention (recorded or inferred).
    pub reported: Share,
    /// Persons per kind (a person counts once for each kind reported).
    pub by_kind: BTreeMap<String, u64>,
}

/// Requests for news in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InquiryFigures {
    /// Persons with at least one `inquiry`.
    pub persons: u64,
    /// Of them, persons whose detention was never acknowledged (the
    /// acknowledgement axis is `none` or `refused`).
    pub never_acknowledged: Share,
}

/// Counts statuses into a [`Report`].
#[derive(Clone, Debug)]
pub struct ReportTally {
    persons: u64,
    by_status: BTreeMap<String, StatusCount>,
    delays: Vec<i64>,
    never_notified: u64,
    captured: u64,
    deaths: BTreeMap<String, u64>,
    held_unacknowledged: u64,
    flagged: BTreeMap<Flag, u64>,
    by_legal_category: BTreeMap<String, BTreeMap<String, u64>>,
    detained: u64,
    never_in_contact: u64,
    released: u64,
    released_never_notified: u64,
    ill_treated: u64,
    ill_treatment_by_kind: BTreeMap<String, u64>,
    inquired: u64,
    inquired_never_acknowledged: u64,
}

impl Default for ReportTally {
    fn default() -> Self {
        ReportTally {
            persons: 0,
            by_status: Status::ALL
                .iter()
                .map(|s| (s.name().to_string(), StatusCount::default()))
                .collect(),
            delays: Vec::new(),
            never_notified: 0,
            captured: 0,
            deaths: DeathCause::ALL.iter().map(|c| (c.to_string(), 0)).collect(),
            held_unacknowledged: 0,
            flagged: BTreeMap::new(),
            by_legal_category: BTreeMap::new(),
            detained: 0,
            never_in_contact: 0,
            released: 0,
            released_never_notified: 0,
            ill_treated: 0,
            ill_treatment_by_kind: IllTreatmentKind::ALL
                .iter()
                .map(|k| (k.name().to_string(), 0))
                .collect(),
            inquired: 0,
            inquired_never_acknowledged: 0,
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
        let count = self
            .by_status
            .get_mut(st.status.name())
            .expect("every status");
        count.total += 1;
        *count.by_category.entry(cat).or_default() += 1;
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
        let legal = st.axes.legal_category.as_deref().unwrap_or("unknown");
        *self
            .by_legal_category
            .entry(legal.to_string())
            .or_default()
            .entry(st.status.name().to_string())
            .or_default() += 1;
        if st.captured_at.is_some() {
            self.detained += 1;
            // Contact is the capture itself until a letter or a visit.
            self.never_in_contact += u64::from(st.last_contact_at == st.captured_at);
        }
        if st.status == Status::Released {
            self.released += 1;
            self.released_never_notified +=
                u64::from(st.captured_at.is_some() && st.icrc_notified_at.is_none());
        }
        for f in &st.flags {
            *self.flagged.entry(*f).or_default() += 1;
        }
        if !st.axes.ill_treatment.is_empty() {
            self.ill_treated += 1;
            for k in &st.axes.ill_treatment {
                *self.ill_treatment_by_kind.entry(k.clone()).or_default() += 1;
            }
        }
        if st.axes.inquiries > 0 {
            self.inquired += 1;
            self.inquired_never_acknowledged += u64::from(matches!(
                st.axes.acknowledgement.as_str(),
                "none" | "refused"
            ));
        }
    }

    /// The figures.
    pub fn finish(mut self, as_of: Option<Timestamp>) -> Report {
        self.delays.sort_unstable();
        let delays = &self.delays;
        let flagged = |f| self.flagged.get(&f).copied().unwrap_or(0);
        Report {
            as_of,
            by_status: self.by_status.clone(),
            deaths_by_cause: self.deaths.clone(),
            disputed: flagged(Flag::Disputed),
            enforced_disappearance: flagged(Flag::EnforcedDisappearance),
            held_unacknowledged: self.held_unacknowledged,
            incommunicado: flagged(Flag::Incommunicado),
            ill_treatment: IllTreatmentFigures {
                reported: Share::new(self.ill_treated, self.detained),
                by_kind: self.ill_treatment_by_kind.clone(),
            },
            inquiries: InquiryFigures {
                persons: self.inquired,
                never_acknowledged: Share::new(
                    self.inquired_never_acknowledged,
                    self.inquired,
                ),
            },
            by_legal_category: self.by_legal_category.clone(),
            notification_delay_days: DelaySummary {
                basis: "lower bound of capture-to-notification days, persons with both a capture and a notification in their current or last detention",
                captured: self.captured,
                captured_never_notified: self.never_notified,
                max: delays.last().copied(),
                median: percentile(delays, 0.5),
                notified: delays.len() as u64,
                p90: percentile(delays, 0.9),
            },
            notification_overdue: flagged(Flag::NotificationOverdue),
            persons: self.persons,
            never_in_contact: Share::new(self.never_in_contact, self.detained),
            released_never_notified: Share::new(self.released_never_notified, self.released),
            whereabouts_undisclosed: flagged(Flag::WhereaboutsUndisclosed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[4], 0.9), Some(4));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.5), Some(5));
        assert_eq!(percentile(&v, 0.9), Some(9));
        assert_eq!(percentile(&v, 0.91), Some(10));
    }
}
