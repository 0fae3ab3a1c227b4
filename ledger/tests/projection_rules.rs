//! The projection rules, one test each: status, dates, flags and the
//! evidence behind them.

use custody_format::event::*;
use custody_format::time::Timestamp;
use custody_ledger::input::event_from_value;
use custody_ledger::projection::{project, DayBounds, Flag, PersonStatus, ProjectedEntry, Status};

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

/// Entries from JSON Lines; entry `i` has seq `i + 2`, hash byte `i`, and
/// is recorded at day `i` of 2025.
fn entries(jsonl: &str) -> Vec<ProjectedEntry> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let mut l = l.to_string();
            // `@N` stands for the hash of entry N.
            for n in 0..10 {
                l = l.replace(&format!("@{n}"), &hex::encode([n as u8; 32]));
            }
            ProjectedEntry {
                seq: i as u64 + 2,
                hash: EntryHash([i as u8; 32]),
                recorded_at: Timestamp(at("2025-01-01T00:00:00Z").0 + i as i64 * 86_400_000_000),
                event: event_from_value(serde_json::from_str(&l).unwrap()).unwrap(),
            }
        })
        .collect()
}

fn status(jsonl: &str, as_of: Option<&str>) -> PersonStatus {
    let p = PersonId::new("P").unwrap();
    let now = at("2025-06-01T00:00:00Z");
    project(&p, &entries(jsonl), as_of.map(at), None, now).expect("a status")
}

const CONSCRIPT: &str = r#"
{"type":"missing_report","person":"P","occurred_at":"2022-05-17","category":"military","last_seen_place":"Mariupol"}
{"type":"capture","person":"P","occurred_at":"2022-05-17","place":"Mariupol"}
{"type":"sighting","person":"P","occurred_at":"2022-09","place":"Olenivka","source":"returned_pow"}
{"type":"icrc_notification","person":"P","occurred_at":"2023-06-20"}
{"type":"correspondence","person":"P","occurred_at":"2023-08-02","kind":"letter","via":"icrc"}
{"type":"release","person":"P","occurred_at":"2024-05-31","kind":"exchange"}
"#;

#[test]
fn a_conscript_confirmed_a_year_late_then_exchanged() {
    let s = status(CONSCRIPT, None);
    assert_eq!(s.status, Status::Released);
    assert_eq!(s.since.to_string(), "2024-05-31");
    assert_eq!(s.category, Some(Category::Military));
    assert_eq!(s.captured_at.unwrap().to_string(), "2022-05-17");
    assert_eq!(s.icrc_notified_at.unwrap().to_string(), "2023-06-20");
    assert_eq!(
        s.notification_delay_days,
        Some(DayBounds { min: 399, max: 399 })
    );
    assert!(s.flags.contains(&Flag::NotificationOverdue));
    assert!(!s.flags.contains(&Flag::Incommunicado), "not held any more");
    assert_eq!(s.evidence["captured_at"][0].seq, 3);
    assert_eq!(s.evidence["icrc_notified_at"][0].seq, 5);
    assert_eq!(s.evidence["released_at"][0].seq, 7);

    // As of the end of 2022: held, never acknowledged, no contact since capture.
    let s = status(CONSCRIPT, Some("2022-12-31T00:00:00Z"));
    assert_eq!(s.status, Status::HeldUnacknowledged);
    assert_eq!(s.since.to_string(), "2022-05-17");
    assert_eq!(
        s.days_unacknowledged,
        Some(DayBounds { min: 228, max: 228 })
    );
    assert_eq!(
        s.days_without_contact,
        Some(DayBounds { min: 228, max: 228 })
    );
    assert!(s.flags.contains(&Flag::Incommunicado));
    assert!(s.flags.contains(&Flag::NotificationOverdue));
    assert_eq!(s.last_seen.as_ref().unwrap().at.to_string(), "2022-09");
    assert_eq!(
        s.last_seen.as_ref().unwrap().place.as_deref(),
        Some("Olenivka")
    );
}

#[test]
fn a_death_is_not_undone_by_later_sightings_but_disputed() {
    let s = status(
        r#"{"type":"missing_report","person":"P","occurred_at":"2022-07","category":"military"}
{"type":"death","person":"P","occurred_at":"2022-07-29","place":"Olenivka","cause":"death_in_custody","remains_returned":true}
{"type":"sighting","person":"P","occurred_at":"2023-02","source":"tv"}"#,
        None,
    );
    assert_eq!(s.status, Status::Deceased);
    assert_eq!(s.died_at.unwrap().to_string(), "2022-07-29");
    assert_eq!(s.death_cause, Some(DeathCause::DeathInCustody));
    assert_eq!(s.remains_returned, Some(true));
    assert!(s.flags.contains(&Flag::Disputed));
    let cited: Vec<u64> = s.evidence["disputed"].iter().map(|c| c.seq).collect();
    assert_eq!(
        cited,
        vec![3, 4],
        "both the death and the sighting are cited"
    );
    // A sighting that may predate the death (same month) disputes nothing.
    let s = status(
        r#"{"type":"death","person":"P","occurred_at":"2022-07-29","cause":"unknown"}
{"type":"sighting","person":"P","occurred_at":"2022-07","source":"tv"}"#,
        None,
    );
    assert_eq!(s.status, Status::Deceased);
    assert!(s.flags.is_empty(), "{:?}", s.flags);
}

#[test]
fn order_is_by_occurrence_not_by_arrival() {
    // The release arrives first, the capture years later.
    let s = status(
        r#"{"type":"release","person":"P","occurred_at":"2024-01-03","kind":"exchange"}
{"type":"icrc_notification","person":"P","occurred_at":"2022-03-09"}
{"type":"capture","person":"P","occurred_at":"2022-03-04","category":"civilian"}"#,
        None,
    );
    assert_eq!(s.status, Status::Released);
    assert_eq!(s.category, Some(Category::Civilian));
    assert_eq!(
        s.notification_delay_days,
        Some(DayBounds { min: 5, max: 5 })
    );
    assert!(s.flags.is_empty());
}

#[test]
fn a_capture_after_a_release_opens_a_new_episode() {
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-04"}
{"type":"icrc_notification","person":"P","occurred_at":"2022-03-09"}
{"type":"release","person":"P","occurred_at":"2023-01-01","kind":"release"}
{"type":"capture","person":"P","occurred_at":"2025-05-01"}"#,
        None,
    );
    assert_eq!(s.status, Status::HeldUnacknowledged);
    assert_eq!(s.since.to_string(), "2025-05-01");
    assert_eq!(s.captured_at.unwrap().to_string(), "2025-05-01");
    assert_eq!(s.icrc_notified_at, None);
    assert_eq!(s.days_unacknowledged, Some(DayBounds { min: 31, max: 31 }));
    assert!(s.flags.contains(&Flag::NotificationOverdue));
    assert!(s.flags.contains(&Flag::Incommunicado));
}

#[test]
fn retractions_remove_and_replacements_substitute() {
    let base = r#"{"type":"missing_report","person":"P","occurred_at":"2022-04","category":"civilian"}
{"type":"capture","person":"P","occurred_at":"2022-04-10"}"#;
    assert_eq!(status(base, None).status, Status::HeldUnacknowledged);
    let retracted = format!(
        "{base}\n{{\"type\":\"correction\",\"target\":\"@1\",\"reason\":\"someone else\"}}"
    );
    let s = status(&retracted, None);
    assert_eq!(s.status, Status::Missing);
    assert_eq!(s.captured_at, None);
    let replaced = format!("{base}\n{{\"type\":\"correction\",\"target\":\"@1\",\"reason\":\"date\",\"replacement\":{{\"type\":\"capture\",\"person\":\"P\",\"occurred_at\":\"2022-04-12\"}}}}");
    let s = status(&replaced, None);
    assert_eq!(s.captured_at.unwrap().to_string(), "2022-04-12");
    assert_eq!(
        s.evidence["captured_at"][0].seq, 4,
        "cited by the correction"
    );
}

#[test]
fn the_seven_day_and_thirty_day_boundaries() {
    let notified = |day: &str| {
        status(
            &format!("{{\"type\":\"capture\",\"person\":\"P\",\"occurred_at\":\"2024-01-01\"}}\n{{\"type\":\"icrc_notification\",\"person\":\"P\",\"occurred_at\":\"{day}\"}}"),
            Some("2024-01-20T00:00:00Z"),
        )
    };
    assert!(!notified("2024-01-08")
        .flags
        .contains(&Flag::NotificationOverdue));
    assert!(notified("2024-01-09")
        .flags
        .contains(&Flag::NotificationOverdue));

    let held = "{\"type\":\"capture\",\"person\":\"P\",\"occurred_at\":\"2024-01-01\"}\n{\"type\":\"icrc_notification\",\"person\":\"P\",\"occurred_at\":\"2024-01-02\"}";
    let day30 = status(held, Some("2024-01-31T12:00:00Z"));
    assert_eq!(
        day30.days_without_contact,
        Some(DayBounds { min: 30, max: 30 })
    );
    assert!(!day30.flags.contains(&Flag::Incommunicado));
    let day31 = status(held, Some("2024-02-01T00:00:00Z"));
    assert!(day31.flags.contains(&Flag::Incommunicado));
}

#[test]
fn approximate_dates_give_bounds() {
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-05"}
{"type":"icrc_notification","person":"P","occurred_at":"2023-06"}"#,
        None,
    );
    // From [May 1, May 31] 2022 to [June 1, June 30] 2023.
    assert_eq!(
        s.notification_delay_days,
        Some(DayBounds { min: 366, max: 425 })
    );
}

#[test]
fn known_at_replays_what_the_ledger_said_then() {
    let p = PersonId::new("P").unwrap();
    let es = entries(CONSCRIPT);
    // Entry i is recorded on day i of 2025: by day 2, only the first three.
    let s = project(
        &p,
        &es,
        None,
        Some(at("2025-01-03T00:00:00Z")),
        at("2025-06-01T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(s.status, Status::HeldUnacknowledged);
    assert!(project(
        &p,
        &es,
        None,
        Some(at("2024-12-31T00:00:00Z")),
        at("2025-06-01T00:00:00Z")
    )
    .is_none());
}

/// The people the seed report is about: seen on video and by a returned
/// prisoner, never confirmed. There is no recorded capture, yet custody is
/// proven by the first sighting, and it began no earlier than the day the
/// person was last seen free: the legal clock runs from those bounds.
/// (Amnesty, "A Deafening Silence": relatives learned of captivity from
/// videos and from returned POWs; the detaining state confirmed nothing.)
#[test]
fn a_person_only_seen_in_captivity_gets_the_legal_clock() {
    let jsonl = r#"{"type":"missing_report","person":"P","occurred_at":"2022-03","category":"military","last_seen_place":"Mariupol"}
{"type":"sighting","person":"P","occurred_at":"2022-09","source":"video","place":"Olenivka"}
{"type":"sighting","person":"P","occurred_at":"2023-02-10","source":"returned_pow","place":"IK-10, Mordovia"}"#;
    let s = status(jsonl, None);
    assert_eq!(s.status, Status::HeldUnacknowledged);
    assert_eq!(s.capture_recorded, Some(false));
    assert_eq!(s.captured_at.unwrap().to_string(), "2022-09");
    assert_eq!(s.captured_after.unwrap().to_string(), "2022-03");
    // 2022-09-30 .. 2025-06-01 at least; 2022-03-01 .. 2025-06-01 at most.
    assert_eq!(
        s.days_unacknowledged,
        Some(DayBounds {
            min: 975,
            max: 1188
        })
    );
    assert_eq!(s.days_without_contact, s.days_unacknowledged);
    assert!(s.flags.contains(&Flag::NotificationOverdue));
    assert!(s.flags.contains(&Flag::Incommunicado));
    assert_eq!(s.evidence["captured_at"][0].seq, 3, "the video");
    assert_eq!(s.evidence["captured_after"][0].seq, 2, "the missing report");
    assert_eq!(
        s.last_known_place.as_ref().unwrap().place.as_deref(),
        Some("IK-10, Mordovia")
    );

    // Year precision only, and no missing report: the bounds are the year.
    let s = status(
        r#"{"type":"sighting","person":"P","occurred_at":"2023","source":"tv"}"#,
        Some("2023-12-31T00:00:00Z"),
    );
    assert_eq!(s.captured_after, None);
    assert_eq!(s.days_unacknowledged, Some(DayBounds { min: 0, max: 364 }));
    assert!(
        !s.flags.contains(&Flag::NotificationOverdue),
        "may be a week"
    );

    // Notified later: the delay is bounded the same way.
    let s = status(
        &format!(
            "{jsonl}\n{}",
            r#"{"type":"icrc_notification","person":"P","occurred_at":"2023-06-20"}"#
        ),
        None,
    );
    assert_eq!(s.status, Status::HeldAcknowledged);
    assert_eq!(
        s.notification_delay_days,
        Some(DayBounds { min: 263, max: 476 })
    );
}

/// A capture and an execution on the same day give the same status
/// whichever was appended first: the capture comes first.
#[test]
fn same_day_capture_and_death_in_either_append_order() {
    let capture =
        r#"{"type":"capture","person":"P","occurred_at":"2022-05-17","place":"Robotyne"}"#;
    let death = r#"{"type":"death","person":"P","occurred_at":"2022-05-17","cause":"execution"}"#;
    let a = status(&format!("{capture}\n{death}"), None);
    let b = status(&format!("{death}\n{capture}"), None);
    for s in [&a, &b] {
        assert_eq!(s.status, Status::Deceased);
        assert_eq!(s.captured_at.unwrap().to_string(), "2022-05-17");
        assert_eq!(s.capture_recorded, Some(true));
        assert_eq!(s.died_at.unwrap().to_string(), "2022-05-17");
        assert!(!s.flags.contains(&Flag::Disputed));
    }
    assert_eq!(a.days_unacknowledged, b.days_unacknowledged);
    assert_eq!(a.flags, b.flags);
}

/// An official act dated certainly after a recorded death (the detaining
/// power notifies the ICRC; a release) contradicts the death: `disputed`,
/// citing both, and the status stays `deceased`.
#[test]
fn a_death_contradicted_by_a_later_official_act_is_disputed() {
    for later in [
        r#"{"type":"icrc_notification","person":"P","occurred_at":"2023-01-15"}"#,
        r#"{"type":"release","person":"P","occurred_at":"2023-01-15","kind":"exchange"}"#,
    ] {
        let s = status(
            &format!(
                "{}\n{later}",
                r#"{"type":"death","person":"P","occurred_at":"2022-06","cause":"killed_in_action"}"#
            ),
            None,
        );
        assert_eq!(s.status, Status::Deceased, "{later}");
        assert!(s.flags.contains(&Flag::Disputed), "{later}");
        let cited: Vec<u64> = s.evidence["disputed"].iter().map(|c| c.seq).collect();
        assert_eq!(cited, vec![2, 3], "{later}");
    }
    // A notification that may predate the death disputes nothing.
    let s = status(
        r#"{"type":"death","person":"P","occurred_at":"2022-06","cause":"unknown"}
{"type":"icrc_notification","person":"P","occurred_at":"2022-06-10"}"#,
        None,
    );
    assert!(!s.flags.contains(&Flag::Disputed));
}

/// A letter with no place, after a sighting in a named colony, is the
/// latest sign of life, but the colony stays the last known place
/// (GC III Arts. 70 and 122: the address; ICPED Art. 2: whereabouts).
#[test]
fn a_placeless_letter_does_not_erase_the_last_known_place() {
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-04-02","place":"Hostomel"}
{"type":"sighting","person":"P","occurred_at":"2023-03","source":"returned_pow","place":"SIZO-2, Taganrog"}
{"type":"correspondence","person":"P","occurred_at":"2023-11-05","kind":"letter","via":"icrc"}"#,
        None,
    );
    let seen = s.last_seen.unwrap();
    assert_eq!(seen.at.to_string(), "2023-11-05");
    assert_eq!(seen.place, None);
    let place = s.last_known_place.unwrap();
    assert_eq!(place.place.as_deref(), Some("SIZO-2, Taganrog"));
    assert_eq!(place.by, "sighting");
    assert_eq!(s.evidence["last_known_place"][0].seq, 3);
}

/// A civilian remanded by the detaining state's own court: that state has
/// acknowledged the detention (the status says so, and the days
/// unacknowledged stop), but it notified no one, so `notification_overdue`
/// stays; and no act gave the place: `whereabouts_undisclosed`.
#[test]
fn a_remand_by_the_detaining_states_court_acknowledges_a_civilian() {
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-20","category":"civilian","place":"Melitopol"}
{"type":"legal_proceeding","person":"P","occurred_at":"2022-09-01","stage":"remanded","source":"official","authority":"Melitopol city court"}"#,
        None,
    );
    assert_eq!(s.status, Status::HeldAcknowledged);
    assert_eq!(s.acknowledged_by.as_deref(), Some("legal_proceeding"));
    assert_eq!(s.acknowledged_at.unwrap().to_string(), "2022-09-01");
    assert_eq!(s.icrc_notified_at, None);
    assert!(s.flags.contains(&Flag::NotificationOverdue));
    assert!(s.flags.contains(&Flag::WhereaboutsUndisclosed));
    assert_eq!(
        s.days_unacknowledged,
        Some(DayBounds { min: 165, max: 165 })
    );
    // The same stage reported unofficially (a returnee) acknowledges nothing.
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-20","category":"civilian"}
{"type":"legal_proceeding","person":"P","occurred_at":"2022-09-01","stage":"remanded","source":"returned_civilian"}"#,
        None,
    );
    assert_eq!(s.status, Status::HeldUnacknowledged);
}

/// Evidence of custody and a refusal to acknowledge it: enforced
/// disappearance (ICPED Art. 2), raised while unacknowledged and cleared by
/// the acknowledgement. A denial before the person can have been captured
/// counts for nothing.
#[test]
fn a_denial_during_custody_raises_enforced_disappearance_until_acknowledged() {
    let held = r#"{"type":"missing_report","person":"P","occurred_at":"2022-04-01","category":"military"}
{"type":"sighting","person":"P","occurred_at":"2022-06","source":"video"}
{"type":"denial","person":"P","occurred_at":"2022-10-03","by":"Ministry of Defence"}"#;
    let s = status(held, None);
    assert_eq!(s.status, Status::HeldUnacknowledged);
    assert!(s.flags.contains(&Flag::EnforcedDisappearance));
    let cited: Vec<u64> = s.evidence["enforced_disappearance"]
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(cited, vec![3, 4], "the evidence of custody and the denial");
    let s = status(
        &format!(
            "{held}\n{}",
            r#"{"type":"icrc_notification","person":"P","occurred_at":"2023-02-01","location_disclosed":true}"#
        ),
        None,
    );
    assert_eq!(s.status, Status::HeldAcknowledged);
    assert!(!s.flags.contains(&Flag::EnforcedDisappearance));
    assert!(
        !s.flags.contains(&Flag::WhereaboutsUndisclosed),
        "the place was given"
    );
    // A denial before the last time seen free is not a refusal to
    // acknowledge this detention.
    let s = status(
        r#"{"type":"denial","person":"P","occurred_at":"2021-12-01","by":"police"}
{"type":"missing_report","person":"P","occurred_at":"2022-04-01","category":"military"}
{"type":"sighting","person":"P","occurred_at":"2022-06","source":"video"}"#,
        None,
    );
    assert!(!s.flags.contains(&Flag::EnforcedDisappearance));
}

/// A visit is contact (GC III Art. 126) and shows the place; an official
/// transfer notice acknowledges the detention and names the new place.
#[test]
fn visits_are_contact_and_official_transfers_acknowledge_and_disclose() {
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-04-02","place":"Hostomel"}
{"type":"transfer","person":"P","occurred_at":"2022-06-10","from":"Kursk SIZO","to":"IK-10, Mordovia","source":"official"}
{"type":"visit","person":"P","occurred_at":"2025-05-20","visitor":"icrc","place":"IK-10, Mordovia"}"#,
        None,
    );
    assert_eq!(s.status, Status::HeldAcknowledged);
    assert_eq!(s.acknowledged_by.as_deref(), Some("transfer"));
    assert_eq!(s.last_contact_at.unwrap().to_string(), "2025-05-20");
    assert!(
        !s.flags.contains(&Flag::Incommunicado),
        "visited 12 days ago"
    );
    assert!(!s.flags.contains(&Flag::WhereaboutsUndisclosed));
    assert_eq!(
        s.last_known_place.unwrap().place.as_deref(),
        Some("IK-10, Mordovia")
    );
}

/// A family's dispute of the identification the status rests on raises
/// `disputed`, citing both; the remains' return has its own date.
#[test]
fn a_dispute_of_what_the_status_rests_on_and_the_return_of_remains() {
    let s = status(
        r#"{"type":"death","person":"P","occurred_at":"2023-07","cause":"death_in_custody"}
{"type":"remains_returned","person":"P","occurred_at":"2024-02-15","place":"Zaporizhzhia"}
{"type":"dispute","person":"P","occurred_at":"2024-03-01","target":"@0","by":"family","reason":"DNA does not match"}"#,
        None,
    );
    assert_eq!(s.status, Status::Deceased);
    assert_eq!(s.remains_returned, Some(true));
    assert_eq!(s.remains_returned_at.unwrap().to_string(), "2024-02-15");
    assert!(s.flags.contains(&Flag::Disputed));
    let cited: Vec<u64> = s.evidence["disputed"].iter().map(|c| c.seq).collect();
    assert_eq!(cited, vec![2, 4], "the death and the dispute");
    // A dispute of an entry nothing rests on (a retracted one) flags nothing.
    let s = status(
        r#"{"type":"sighting","person":"P","occurred_at":"2023-07","source":"tv"}
{"type":"correction","target":"@0","reason":"misidentified"}
{"type":"capture","person":"P","occurred_at":"2023-08-01"}
{"type":"dispute","person":"P","occurred_at":"2024-03-01","target":"@0","by":"family","reason":"not him"}"#,
        None,
    );
    assert!(!s.flags.contains(&Flag::Disputed));
}

/// The report's figures the seed report asks for: returnees never
/// notified, persons never in contact during captivity (returnees
/// included), enforced disappearances and undisclosed whereabouts.
#[test]
fn the_report_counts_the_seed_reports_figures() {
    use custody_ledger::projection::report::ReportTally;
    let cases = [
        // Captured, released, never notified, never heard from.
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-01"}
{"type":"release","person":"P","occurred_at":"2023-03-01","kind":"exchange"}"#,
        // Captured, notified with a place, a letter, released.
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-01"}
{"type":"icrc_notification","person":"P","occurred_at":"2022-05-01","location_disclosed":true}
{"type":"correspondence","person":"P","occurred_at":"2022-08-01","kind":"letter"}
{"type":"release","person":"P","occurred_at":"2023-03-01","kind":"exchange"}"#,
        // Seen on video, denied.
        r#"{"type":"sighting","person":"P","occurred_at":"2022-06","source":"video"}
{"type":"denial","person":"P","occurred_at":"2022-09-01","by":"MoD"}"#,
        // Notified without a place.
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-01"}
{"type":"icrc_notification","person":"P","occurred_at":"2022-05-01"}"#,
    ];
    let mut tally = ReportTally::default();
    for c in cases {
        tally.add(&status(c, None));
    }
    let r = tally.finish(None);
    assert_eq!(
        (
            r.released_never_notified.count,
            r.released_never_notified.of
        ),
        (1, 2)
    );
    assert_eq!(r.released_never_notified.share, 0.5);
    assert_eq!((r.never_in_contact.count, r.never_in_contact.of), (3, 4));
    assert_eq!(r.enforced_disappearance, 1);
    assert_eq!(r.whereabouts_undisclosed, 1);
    // No category was given in these cases.
    assert_eq!(r.by_legal_category["unknown"].values().sum::<u64>(), 4);
    assert_eq!(r.by_legal_category["unknown"]["released"], 2);
}

/// The axes behind the one status, each answered on its own.
#[test]
fn the_axes_behind_the_status() {
    // A civilian remanded by the detaining state's court: acknowledged by
    // an official act, a criminal suspect, held, alive.
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-20","category":"civilian"}
{"type":"legal_proceeding","person":"P","occurred_at":"2022-09-01","stage":"remanded","source":"official"}"#,
        None,
    );
    assert_eq!(s.axes.acknowledgement, "official_act");
    assert_eq!(s.axes.legal_category.as_deref(), Some("criminal_suspect"));
    assert_eq!(
        (s.axes.liberty.as_str(), s.axes.fate.as_str()),
        ("held", "alive")
    );
    assert_eq!(s.axes.last_proof_of_life.unwrap().to_string(), "2022-09-01");
    // A soldier convicted stays a prisoner of war; notified with his
    // health, visited twice.
    let s = status(
        r#"{"type":"capture","person":"P","occurred_at":"2022-03-20","category":"military"}
{"type":"icrc_notification","person":"P","occurred_at":"2022-04-01","health_disclosed":true}
{"type":"legal_proceeding","person":"P","occurred_at":"2023-01-10","stage":"sentenced","source":"official"}
{"type":"visit","person":"P","occurred_at":"2023-05","visitor":"icrc"}
{"type":"visit","person":"P","occurred_at":"2024-05","visitor":"lawyer"}"#,
        None,
    );
    assert_eq!(s.axes.acknowledgement, "notified");
    assert_eq!(s.axes.legal_category.as_deref(), Some("prisoner_of_war"));
    assert_eq!(s.axes.health_disclosed, Some(true));
    assert_eq!(s.axes.visits, 2);
    assert!(!s.axes.location_disclosed, "no visit named a place");
    // Seen, then denied: refused; a death contradicted: disputed.
    let s = status(
        r#"{"type":"sighting","person":"P","occurred_at":"2022-06","source":"video"}
{"type":"denial","person":"P","occurred_at":"2022-09-01","by":"MoD"}"#,
        None,
    );
    assert_eq!(s.axes.acknowledgement, "refused");
    let s = status(
        r#"{"type":"death","person":"P","occurred_at":"2022-06","cause":"unknown"}
{"type":"sighting","person":"P","occurred_at":"2023-02","source":"tv"}"#,
        None,
    );
    assert_eq!(
        (s.axes.liberty.as_str(), s.axes.fate.as_str()),
        ("unknown", "disputed")
    );
}
