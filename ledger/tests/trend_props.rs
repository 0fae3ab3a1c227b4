//! The counts over time (`projection::trend`) against the projection
//! itself: for random histories, each point equals what folding the
//! person's evidence at that day's cut (`as_of` = the end of the day)
//! says — exactly for the unacknowledged count of a person with one
//! detention, as bounds for the incommunicado count (certain ≤ true ≤
//! certain + undetermined), and as lower bounds for persons detained more
//! than once — and the last point equals the report's current counts.

use custody_format::event::*;
use custody_format::time::{OccurredAt, Timestamp};
use custody_ledger::projection::report::ReportTally;
use custody_ledger::projection::trend::{Trend, TrendTally};
use custody_ledger::projection::{project, Flag, PersonStatus, ProjectedEntry, Status};
use custody_testkit::strategy::approximate;
use proptest::prelude::*;

fn pid(i: usize) -> PersonId {
    PersonId::new(&format!("P-{i}")).unwrap()
}

/// The evidence that moves the status or the clock: 0 missing report,
/// 1 capture, 2 notification, 3 sighting, 4 release, 5 death,
/// 6 letter, 7 visit, 8 official transfer, 9 denial.
fn evidence(p: PersonId, kind: u8, at: OccurredAt) -> Event {
    if let Some(e) = custody_testkit::events::bare_evidence(p.clone(), kind, at, Category::Civilian)
    {
        return e;
    }
    match kind {
        7 => Event::Visit(Visit {
            person: p,
            occurred_at: at,
            visitor: Visitor::Icrc,
            place: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        8 => Event::Transfer(Transfer {
            person: p,
            occurred_at: at,
            from: None,
            to: "IK-10".into(),
            source: Source::Official,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        _ => Event::Denial(Denial {
            person: p,
            occurred_at: at,
            by: "MoD".into(),
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
    }
}

fn entries(person: usize, history: &[(u8, OccurredAt)]) -> Vec<ProjectedEntry> {
    history
        .iter()
        .enumerate()
        .map(|(i, (kind, at))| ProjectedEntry {
            seq: i as u64 + 1,
            hash: EntryHash([i as u8 + 1; 32]),
            recorded_at: Timestamp(0),
            event: evidence(pid(person), *kind, *at),
        })
        .collect()
}

fn at(s: &str) -> OccurredAt {
    OccurredAt::parse(s).expect("a date")
}

/// The end of the day `date` (`YYYY-MM-DD`): that day's cut.
fn end_of(date: &str) -> Timestamp {
    Timestamp::parse_cutoff(date).expect("a date")
}

/// (unacknowledged, incommunicado) as the status at this cut says.
fn counted(st: Option<&PersonStatus>) -> (bool, bool) {
    st.map_or((false, false), |st| {
        (
            st.status == Status::HeldUnacknowledged,
            st.has_flag(Flag::Incommunicado),
        )
    })
}

fn trend_of(statuses: &[PersonStatus], now: Timestamp) -> Trend {
    let mut tally = TrendTally::new(now);
    for st in statuses {
        tally.add(st);
    }
    tally.finish()
}

/// Checks one person's series against the fold at every point's cut.
fn check_person(i: usize, history: &[(u8, OccurredAt)], now: Timestamp) {
    let es = entries(i, history);
    let Some(st) = project(&pid(i), &es, None, None, now) else {
        return;
    };
    let trend = trend_of(std::slice::from_ref(&st), now);
    let Some((last, earlier)) = trend.points.split_last() else {
        assert!(st.captured_at.is_none() && st.acknowledged_at.is_none());
        return;
    };
    // The reference day: the report's counts, exactly.
    let (u, c) = counted(Some(&st));
    assert_eq!(
        (last.unacknowledged, last.incommunicado),
        (u64::from(u), u64::from(c))
    );
    let releases = history.iter().filter(|(k, _)| *k == 4).count();
    let released = releases > 0;
    // A notification about a person not held (reported missing after a
    // release) holds them again without a new detention, and a second
    // release hides the first: the status keeps only the last bounds (see
    // the module docs), so only the reference day is exact then.
    let held_again = releases > 1 || released && history.iter().any(|(k, _)| *k == 2);
    for p in earlier {
        let cut = project(&pid(i), &es, Some(end_of(&p.date)), None, now);
        let (u, c) = counted(cut.as_ref());
        let model = (p.unacknowledged == 1, p.incommunicado == 1);
        let undetermined = p.incommunicado_undetermined == 1;
        assert!(p.unacknowledged <= 1 && p.incommunicado <= 1, "{p:?}");
        if held_again {
            continue;
        }
        let why = format!("{} {history:?} {p:?} at the cut: {cut:?}", p.date);
        // Never counted when the fold says otherwise.
        assert!(!model.0 || u, "{why}");
        assert!(!model.1 || c, "{why}");
        assert!(!(model.1 && undetermined), "{why}");
        if !released {
            // One detention: the count is exact, and an incommunicado day
            // the series leaves out is one it calls undetermined.
            assert_eq!(model.0, u, "{why}");
            assert!(!c || model.1 || undetermined, "{why}");
        }
    }
}

fn history() -> impl Strategy<Value = Vec<(u8, OccurredAt)>> {
    proptest::collection::vec(
        prop_oneof![
            3 => (Just(1u8), approximate(2020..2025)),
            6 => (0u8..10, approximate(2020..2025)),
        ],
        1..9,
    )
}

fn reference() -> impl Strategy<Value = Timestamp> {
    // Some histories lie partly after it (evidence dated in the future of
    // the reference day).
    (1_577_836_800i64..1_798_761_600).prop_map(|s| Timestamp(s * 1_000_000))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_point_is_what_the_fold_at_that_day_says(h in history(), now in reference()) {
        check_person(0, &h, now);
    }

    #[test]
    fn the_last_point_is_the_reports_count(
        persons in proptest::collection::vec(history(), 1..12),
        now in reference(),
    ) {
        let statuses: Vec<PersonStatus> = persons
            .iter()
            .enumerate()
            .filter_map(|(i, h)| project(&pid(i), &entries(i, h), None, None, now))
            .collect();
        let mut report = ReportTally::default();
        statuses.iter().for_each(|st| report.add(st));
        let report = report.finish(None);
        let trend = trend_of(&statuses, now);
        match trend.points.last() {
            Some(last) => {
                prop_assert_eq!(last.unacknowledged, report.held_unacknowledged);
                prop_assert_eq!(last.incommunicado, report.incommunicado);
                let today = now.to_datetime().unwrap().format("%Y-%m-%d").to_string();
                prop_assert_eq!(&last.date, &today);
            }
            None => {
                prop_assert_eq!(report.held_unacknowledged, 0);
                prop_assert_eq!(report.incommunicado, 0);
            }
        }
    }
}

/// The series of one history read on `today`, as (date, unacknowledged,
/// incommunicado, undetermined).
fn series(history: &[(u8, &str)], today: &str) -> Vec<(String, u64, u64, u64)> {
    let h: Vec<(u8, OccurredAt)> = history.iter().map(|(k, d)| (*k, at(d))).collect();
    let now = end_of(today);
    check_person(0, &h, now);
    let st = project(&pid(0), &entries(0, &h), None, None, now).expect("a status");
    trend_of(&[st], now)
        .points
        .into_iter()
        .map(|p| {
            (
                p.date,
                p.unacknowledged,
                p.incommunicado,
                p.incommunicado_undetermined,
            )
        })
        .collect()
}

fn row(d: &str, u: u64, c: u64, x: u64) -> (String, u64, u64, u64) {
    (d.to_string(), u, c, x)
}

#[test]
fn acknowledged_the_same_day_is_never_unacknowledged() {
    let s = series(&[(1, "2024-01-10"), (2, "2024-01-10")], "2024-03-20");
    assert!(s.iter().all(|p| p.1 == 0), "{s:?}");
    // Not in contact since the capture: incommunicado from the 31st day
    // after it (2024-02-10 is 31 days on).
    assert_eq!(s[0], row("2024-01-10", 0, 0, 0));
    assert_eq!(s[4], row("2024-02-07", 0, 0, 0));
    assert_eq!(s[5], row("2024-02-14", 0, 1, 0));
}

#[test]
fn a_release_and_a_death_end_the_counts() {
    let s = series(&[(1, "2023-01-05"), (4, "2023-04-20")], "2023-08-01");
    assert_eq!(
        s,
        [
            row("2023-01-31", 1, 0, 0),
            row("2023-02-28", 1, 1, 0),
            row("2023-03-31", 1, 1, 0),
            row("2023-04-30", 0, 0, 0),
            row("2023-05-31", 0, 0, 0),
            row("2023-06-30", 0, 0, 0),
            row("2023-07-31", 0, 0, 0),
            row("2023-08-01", 0, 0, 0),
        ]
    );
    let s = series(&[(1, "2023-01-05"), (5, "2023-03")], "2023-05-10");
    assert_eq!(s[1], row("2023-02-28", 1, 1, 0));
    // A death known to the month counts from its first day.
    assert_eq!(s[2], row("2023-03-31", 0, 0, 0));
}

#[test]
fn approximate_dates_count_from_their_first_day_and_are_silent_after_their_last() {
    // Captured some time in 2022; a letter some time in March 2023.
    let s = series(&[(1, "2022"), (6, "2023-03")], "2023-06-15");
    // Held from 2022-01-01; not certainly incommunicado before the
    // letter (contact by then unknown: a letter the status no longer
    // keeps may have come any day), undetermined from 31 days after the
    // capture's first day (2022-02-01 on), certain from 31 days after the
    // letter's last day.
    assert_eq!(s[0], row("2022-01-31", 1, 0, 0));
    assert_eq!(s[1], row("2022-02-28", 1, 0, 1));
    assert_eq!(s[13], row("2023-02-28", 1, 0, 1));
    assert_eq!(s[14], row("2023-03-31", 1, 0, 0));
    assert_eq!(s[15], row("2023-04-30", 1, 0, 0));
    assert_eq!(s[16], row("2023-05-31", 1, 1, 0));
}

#[test]
fn evidence_after_the_reference_day_counts_on_it_as_the_report_does() {
    // A capture dated after today: the status (no cut) is held and
    // unacknowledged now, so the last point counts it; the days before
    // do not.
    let s = series(&[(0, "2024-01-02"), (1, "2024-09-01")], "2024-03-20");
    assert_eq!(s.last(), Some(&row("2024-03-20", 1, 0, 0)));
    assert!(s[..s.len() - 1].iter().all(|p| p.1 == 0), "{s:?}");
    // A notification dated after today: unacknowledged until yesterday,
    // acknowledged today (as the status without a cut says).
    let s = series(&[(1, "2024-01-02"), (2, "2024-05-01")], "2024-03-20");
    assert_eq!(s.last(), Some(&row("2024-03-20", 0, 1, 0)));
    assert_eq!(s[s.len() - 2], row("2024-03-13", 1, 1, 0));
}

#[test]
fn no_detention_no_points() {
    let h = [(0u8, at("2024-01-02"))];
    let now = end_of("2024-03-20");
    let st = project(&pid(0), &entries(0, &h), None, None, now).expect("a status");
    assert!(trend_of(&[st], now).points.is_empty());
}
