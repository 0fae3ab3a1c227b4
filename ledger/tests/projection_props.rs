//! Properties of the projection engine: the statuses maintained batch by
//! batch equal a full rebuild from the chain, for random histories with
//! corrections and evidence arriving out of order — including corrections
//! whose replacement names another person, which both persons' statuses
//! must reflect; and they do not depend on how independent persons' events
//! were interleaved when appended.

use custody_format::event::*;
use custody_format::time::{OccurredAt, Timestamp};
use custody_ledger::projection::PersonStatus;
use custody_ledger::store::Ledger;
use custody_testkit::keys::key;
use custody_testkit::ledger::with_investigator;
use custody_testkit::strategy::approximate;
use proptest::prelude::*;

/// One step of a person's history: an evidence event, or a correction of
/// one of that person's earlier entries (by index, retract or replace).
#[derive(Clone, Debug)]
enum Step {
    Evidence(u8, OccurredAt),
    Correct(usize, bool, OccurredAt),
}

fn when() -> impl Strategy<Value = OccurredAt> {
    approximate(2020..2025)
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        prop_oneof![
            4 => (0u8..14, when()).prop_map(|(k, w)| Step::Evidence(k, w)),
            1 => (0usize..8, any::<bool>(), when()).prop_map(|(i, r, w)| Step::Correct(i, r, w)),
        ],
        1..12,
    )
}

fn evidence(person: &PersonId, kind: u8, at: OccurredAt) -> Event {
    let p = person.clone();
    custody_testkit::events::bare_evidence(p.clone(), kind, at, Category::Military)
        .unwrap_or_else(|| evidence_v2(p, kind, at))
}

/// The evidence types of format v2.
fn evidence_v2(p: PersonId, kind: u8, at: OccurredAt) -> Event {
    match kind {
        7 => Event::Denial(Denial {
            person: p,
            occurred_at: at,
            by: "MoD".into(),
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
        9 => Event::Visit(Visit {
            person: p,
            occurred_at: at,
            visitor: Visitor::Icrc,
            place: Some("IK-10".into()),
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        10 => Event::LegalProceeding(LegalProceeding {
            person: p,
            occurred_at: at,
            stage: ProceedingStage::Remanded,
            source: Source::Official,
            authority: None,
            charge: None,
            sentence: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        11 => Event::RemainsReturned(RemainsReturned {
            person: p,
            occurred_at: at,
            place: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        12 => Event::Inquiry(Inquiry {
            person: p,
            occurred_at: at,
            to: "ICRC".into(),
            by: "mother".into(),
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
        _ => Event::IllTreatment(IllTreatment {
            person: p,
            occurred_at: at,
            kind: IllTreatmentKind::Beating,
            source: IllTreatmentSource::ReturnedPow,
            place: None,
            notes: None,
            attachments: vec![],
            witnesses: None,
        }),
    }
}

/// Appends the persons' steps in the given interleaving (a list of person
/// indexes), in batches of `batch` events. Corrections refer to the
/// person's own earlier evidence entries, each corrected at most once.
fn replay(l: &mut Ledger, persons: &[Vec<Step>], order: &[usize], batch: usize) {
    let ids: Vec<PersonId> = (0..persons.len())
        .map(|i| PersonId::new(&format!("P-{i}")).unwrap())
        .collect();
    let mut cursor = vec![0usize; persons.len()];
    let mut own: Vec<Vec<(EntryHash, bool)>> = vec![Vec::new(); persons.len()];
    let mut pending: Vec<(usize, Event)> = Vec::new();
    let flush = |l: &mut Ledger,
                 pending: &mut Vec<(usize, Event)>,
                 own: &mut Vec<Vec<(EntryHash, bool)>>| {
        if pending.is_empty() {
            return;
        }
        let (who, events): (Vec<usize>, Vec<Event>) = pending.drain(..).unzip();
        let acks = l.append(events.clone(), &key(2)).unwrap();
        for ((p, e), a) in who.into_iter().zip(events).zip(acks) {
            if e.is_evidence() {
                own[p].push((a.hash, false));
            }
        }
    };
    for &p in order {
        let Some(step) = persons[p].get(cursor[p]).cloned() else {
            continue;
        };
        cursor[p] += 1;
        let event = match step {
            Step::Evidence(k, w) => evidence(&ids[p], k, w),
            Step::Correct(i, retract, w) => {
                // Corrections need their target committed first.
                flush(l, &mut pending, &mut own);
                let candidates: Vec<usize> = (0..own[p].len()).filter(|&j| !own[p][j].1).collect();
                if candidates.is_empty() {
                    continue;
                }
                let j = candidates[i % candidates.len()];
                own[p][j].1 = true;
                Event::Correction(Correction {
                    target: own[p][j].0,
                    reason: "test".into(),
                    replacement: (!retract).then(|| Box::new(evidence(&ids[p], 1, w))),
                })
            }
        };
        pending.push((p, event));
        if pending.len() >= batch {
            flush(l, &mut pending, &mut own);
        }
    }
    flush(l, &mut pending, &mut own);
}

fn statuses(l: &Ledger) -> Vec<PersonStatus> {
    l.all_statuses(None, None, Timestamp(1_800_000_000_000_000))
        .unwrap()
}

/// What must not depend on append order: everything but the citations.
fn without_citations(mut v: Vec<PersonStatus>) -> Vec<PersonStatus> {
    for s in &mut v {
        s.evidence.clear();
    }
    v
}

fn round_robin(persons: &[Vec<Step>]) -> Vec<usize> {
    let longest = persons.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| (0..persons.len()).filter(move |&p| i < persons[p].len()))
        .collect()
}

fn sequential(persons: &[Vec<Step>]) -> Vec<usize> {
    persons
        .iter()
        .enumerate()
        .flat_map(|(p, s)| std::iter::repeat_n(p, s.len()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn incremental_equals_rebuild_and_order_does_not_matter(
        persons in proptest::collection::vec(steps(), 1..4),
        batch in 1usize..6,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut a = with_investigator(&dir.path().join("a"));
        replay(&mut a, &persons, &round_robin(&persons), batch);
        let incremental = statuses(&a);
        // The stored form gives back every status whole, and the same JSON.
        for st in &incremental {
            let back = PersonStatus::from_stored(&st.to_stored()).unwrap();
            prop_assert_eq!(&back, st);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), serde_json::to_string(st).unwrap());
        }
        a.rebuild_projections(|_| {}).unwrap();
        prop_assert_eq!(&statuses(&a), &incremental);

        // The same persons appended one after another, in other batches.
        let mut b = with_investigator(&dir.path().join("b"));
        replay(&mut b, &persons, &sequential(&persons), batch + 3);
        prop_assert_eq!(without_citations(statuses(&b)), without_citations(incremental));
    }

    /// Corrections across persons: a replacement may name another person
    /// than its target (a misattributed sighting moved to the right file),
    /// or retract it. The rebuild (which groups a correction under its
    /// target's person and its replacement's) must equal what the appends
    /// maintained, and every stored status must equal a fold of the
    /// person's entries from the person index.
    #[test]
    fn cross_person_corrections_rebuild_equals_incremental(
        ops in proptest::collection::vec(
            (0usize..6, 0u8..7, when(), 0u8..4, any::<prop::sample::Index>()),
            10..60,
        ),
        batch in 1usize..5,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = with_investigator(&dir.path().join("l"));
        let ids: Vec<PersonId> = (0..6).map(|i| PersonId::new(&format!("P-{i}")).unwrap()).collect();
        // Committed evidence entries not corrected yet.
        let mut open: Vec<EntryHash> = Vec::new();
        for chunk in ops.chunks(batch) {
            let mut events = Vec::new();
            for (person, kind, at, correct, target) in chunk {
                // One in four is a correction of committed evidence: a
                // retraction, or a replacement for any person.
                if *correct == 0 && !open.is_empty() {
                    let target = open.swap_remove(target.index(open.len()));
                    let replacement = (*kind % 3 != 0)
                        .then(|| Box::new(evidence(&ids[*person], *kind, *at)));
                    events.push(Event::Correction(Correction {
                        target,
                        reason: "misattributed".into(),
                        replacement,
                    }));
                } else {
                    events.push(evidence(&ids[*person], *kind, *at));
                }
            }
            let acks = l.append(events.clone(), &key(2)).unwrap();
            for (event, ack) in events.iter().zip(acks) {
                if !matches!(event, Event::Correction(_)) {
                    open.push(ack.hash);
                }
            }
        }
        let now = Timestamp(1_800_000_000_000_000);
        let incremental = statuses(&l);
        l.rebuild_projections(|_| {}).unwrap();
        prop_assert_eq!(&statuses(&l), &incremental);
        for st in &incremental {
            // A cut after everything folds from the entries, not the store.
            let folded = l.person_status(&st.person, None, Some(now), now).unwrap();
            prop_assert_eq!(folded.as_ref(), Some(st));
        }
    }
}

/// A stored status that is cut, lengthened, names a person by an id no
/// person can have, or claims a length past what a status may take, is
/// refused rather than read as something else.
#[test]
fn a_damaged_stored_status_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = with_investigator(&dir.path().join("l"));
    let p = PersonId::new("P-0").unwrap();
    let at = OccurredAt::parse("2022-05-17").unwrap();
    l.append(vec![evidence(&p, 0, at)], &key(2)).unwrap();
    let st = statuses(&l).remove(0);
    let stored = st.to_stored();
    assert!(
        stored.len() * 3 < serde_json::to_vec(&st).unwrap().len(),
        "{} bytes stored, against {} of JSON",
        stored.len(),
        serde_json::to_vec(&st).unwrap().len()
    );
    assert_eq!(PersonStatus::from_stored(&stored).unwrap(), st);
    for cut in 0..stored.len() {
        assert!(
            PersonStatus::from_stored(&stored[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = stored.clone();
    longer.push(0);
    assert!(PersonStatus::from_stored(&longer).is_err());
    // The id is its length (one byte here) then its bytes, first.
    assert_eq!(&stored[..4], b"\x03P-0");
    let mut bad_id = stored.clone();
    bad_id[2] = b' ';
    let refused = PersonStatus::from_stored(&bad_id).unwrap_err();
    assert!(refused.to_string().contains("person id"), "{refused}");
    // A date no calendar has (month 13), written as bincode writes one.
    let mut forged = st.clone();
    forged.since = OccurredAt::Month {
        year: 2023,
        month: 13,
    };
    let refused = PersonStatus::from_stored(&forged.to_stored()).unwrap_err();
    assert!(refused.to_string().contains("since: month 13"), "{refused}");
    forged.since = st.since;
    forged.captured_after = Some(OccurredAt::Year { year: i32::MAX });
    let refused = PersonStatus::from_stored(&forged.to_stored()).unwrap_err();
    assert!(refused.to_string().contains("captured_after"), "{refused}");
    // A length prefix of 2^32 bytes for the id: refused, not allocated.
    let mut huge = vec![0xfc, 0, 0, 0, 0x80];
    huge.extend_from_slice(&stored[4..]);
    assert!(PersonStatus::from_stored(&huge).is_err());
}

/// The stored form keeps a status and a flag by their variant's position:
/// these are the positions stores hold. Reordering `Status` or `Flag`
/// changes what every stored status means, and needs a new projection
/// rules version; this test fails first.
#[test]
fn stored_statuses_and_flags_keep_their_positions() {
    use custody_ledger::projection::{Flag, Status};
    let config = bincode::config::standard();
    let statuses = [
        "missing",
        "held_unacknowledged",
        "held_acknowledged",
        "released",
        "deceased",
    ];
    for (i, name) in statuses.iter().enumerate() {
        let status: Status = name.parse().unwrap();
        assert_eq!(
            bincode::encode_to_vec(status, config).unwrap(),
            [i as u8],
            "{name}"
        );
    }
    let flags = [
        "notification_overdue",
        "incommunicado",
        "disputed",
        "enforced_disappearance",
        "whereabouts_undisclosed",
    ];
    assert_eq!(Flag::ALL.len(), flags.len());
    for (i, name) in flags.iter().enumerate() {
        let flag = Flag::ALL.into_iter().find(|f| f.name() == *name).unwrap();
        assert_eq!(
            bincode::encode_to_vec(flag, config).unwrap(),
            [i as u8],
            "{name}"
        );
    }
}
