//! Issue 15's property: withholding personal data changes nothing a
//! bundle proves. For random evidence (every personal field filled, a
//! correction with a replacement now and then), a random profile and any
//! random subset of withheld disclosures (`SEQ:FIELD` specs, as `custody
//! export --withhold` takes them), the store's bundle
//! (`Ledger::person_bundle_selected`):
//! - verifies complete, as the full bundle does;
//! - reports withheld exactly the slots the selection leaves out, and
//!   disclosed the rest, as the exporter counted them;
//! - projects the same status (before its committed values are resolved)
//!   as the full bundle; resolved with what it carries, the values left
//!   unresolved are exactly those of withheld slots.
//!
//! And the property `custody serve` rests on: a status cut to a profile
//! (`Profile::withhold_from_status`, what a reader token of that profile
//! is shown) is exactly the status a reader of the profile's bundle
//! resolves: the same values, the same ones listed as withheld.

use custody_format::commit::{Disclosure, PersonalMut, Slot, PART_EVENT};
use custody_format::event::*;
use custody_format::time::{OccurredAt, Timestamp};
use custody_format::wire::bundle::BundleV2;
use custody_ledger::profile::{FieldSpec, Profile, Selection, Tally};
use custody_ledger::projection::{project, PersonStatus, ProjectedEntry};
use custody_testkit::keys::{authority, investigator};
use custody_testkit::ledger::with_investigator;
use custody_testkit::strategy::{evidence, text};
use custody_verifier::bundle::{verify_bundle, BundleOptions, Completeness, VerifiedBundle};
use custody_verifier::disclosures::SlotVerdict;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// `e` about P-1, with every absent optional personal field given `fill`
/// (a date of birth: 1980).
fn filled(e: Event, fill: &str) -> Event {
    let mut v = serde_json::to_value(&e).unwrap();
    v["person"] = "P-1".into();
    let mut e = custody_ledger::input::event_from_value(v).unwrap();
    e.visit_personal_mut(PART_EVENT, &mut |_, field| match field {
        PersonalMut::OptText(p @ None) => *p = Some(Personal::Clear(fill.to_string())),
        PersonalMut::OptDate(p @ None) => {
            *p = Some(Personal::Clear(OccurredAt::Year { year: 1980 }))
        }
        _ => {}
    });
    e
}

fn verified(b: &BundleV2) -> VerifiedBundle {
    verify_bundle(b.to_json().as_bytes(), &BundleOptions::default())
        .unwrap_or_else(|e| panic!("refused: {e}"))
}

/// The status the bundle's entries project, before resolution.
fn status(v: &VerifiedBundle) -> Option<PersonStatus> {
    let entries: Vec<ProjectedEntry> = v.entries.iter().map(|e| (&e.entry).into()).collect();
    let now = Timestamp(1_900_000_000_000_000);
    project(&v.person, &entries, None, None, now)
}

/// Each committed slot's verdict, by (seq, slot).
fn verdicts(v: &VerifiedBundle) -> BTreeMap<(u64, Slot), SlotVerdict> {
    v.disclosures
        .entries
        .iter()
        .flat_map(|e| {
            e.slots
                .iter()
                .map(move |(s, verdict)| ((e.seq, *s), *verdict))
        })
        .collect()
}

/// The disclosures a bundle carries, by seq.
fn carried(b: &BundleV2) -> BTreeMap<u64, Vec<Disclosure>> {
    b.entries
        .iter()
        .map(|item| {
            let list = item.disclosures.as_deref().unwrap_or_default();
            let ds = list
                .iter()
                .map(|v| Disclosure::from_json(&v.0).unwrap())
                .collect();
            (item.seq, ds)
        })
        .collect()
}

/// The bundle's status with the committed values it carries resolved.
fn resolved(v: &VerifiedBundle, b: &BundleV2) -> PersonStatus {
    let mut st = status(v).unwrap();
    let ds = carried(b);
    st.resolve_committed(|at| {
        let code = custody_format::commit::field_named(&at.field)?.code;
        ds.get(&at.seq)?.iter().find_map(|d| match &d.value {
            custody_format::commit::DisclosedValue::Text(t) if d.slot.code == code => {
                Some(t.clone())
            }
            _ => None,
        })
    });
    st
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_status_cut_to_a_profile_is_what_the_profiles_bundle_shows(
        events in proptest::collection::vec(evidence(), 1..5),
        fill in text(),
        correct in any::<bool>(),
        profile in 0usize..3,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = with_investigator(dir.path());
        let events: Vec<Event> = events.into_iter().map(|e| filled(e, &fill)).collect();
        let first = events[0].clone();
        let appended = l.append(events, &investigator()).unwrap();
        if correct {
            let c = Event::Correction(Correction {
                target: appended[0].hash,
                reason: "misfiled".into(),
                replacement: Some(Box::new(first)),
            });
            l.append(vec![c], &investigator()).unwrap();
        }
        l.checkpoint(&authority()).unwrap();
        let person = PersonId::new("P-1").unwrap();
        let profile = Profile::ALL[profile];

        let full_bundle = l.person_bundle(&person, None, &[]).unwrap();
        let mut cut = resolved(&verified(&full_bundle), &full_bundle);
        profile.withhold_from_status(&mut cut);
        let bundle = l
            .person_bundle_selected(&person, None, &[], &Selection::new(profile), &mut Tally::default())
            .unwrap();
        prop_assert_eq!(&cut, &resolved(&verified(&bundle), &bundle));
        // And the store's own status (every disclosure it holds), cut.
        let mut stored = l
            .person_status(&person, None, None, Timestamp(1_900_000_000_000_000))
            .unwrap()
            .unwrap();
        profile.withhold_from_status(&mut stored);
        prop_assert_eq!(stored.name, cut.name);
        prop_assert_eq!(stored.committed, cut.committed);
    }

    #[test]
    fn withholding_any_subset_keeps_the_bundle_valid_and_the_status_the_same(
        events in proptest::collection::vec(evidence(), 1..5),
        fill in text(),
        correct in any::<bool>(),
        profile in 0usize..3,
        mask in any::<u128>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = with_investigator(dir.path());
        let events: Vec<Event> = events.into_iter().map(|e| filled(e, &fill)).collect();
        let first = events[0].clone();
        let appended = l.append(events, &investigator()).unwrap();
        if correct {
            let c = Event::Correction(Correction {
                target: appended[0].hash,
                reason: "misfiled".into(),
                replacement: Some(Box::new(first)),
            });
            l.append(vec![c], &investigator()).unwrap();
        }
        l.checkpoint(&authority()).unwrap();
        let person = PersonId::new("P-1").unwrap();

        let full_bundle = l.person_bundle(&person, None, &[]).unwrap();
        let full = verified(&full_bundle);
        let all = verdicts(&full);
        prop_assert!(all.values().all(|v| *v == SlotVerdict::Disclosed));
        prop_assert!(!all.is_empty());

        // Withhold the slots the mask picks, as `SEQ:FIELD` specs written
        // as the verifier names slots, over a random profile.
        let picked: BTreeSet<(u64, Slot)> = all
            .keys()
            .enumerate()
            .filter(|(i, _)| mask >> (i % 128) & 1 == 1)
            .map(|(_, k)| *k)
            .collect();
        let specs: Vec<FieldSpec> = picked
            .iter()
            .map(|(seq, slot)| format!("{seq}:{slot}").parse().unwrap())
            .collect();
        let selection = Selection::new(Profile::ALL[profile]).adjusted(vec![], specs);
        let mut tally = Tally::default();
        let bundle = l
            .person_bundle_selected(&person, None, &[], &selection, &mut tally)
            .unwrap();
        prop_assert!(selection.unmatched(&tally).is_empty());
        let partial = verified(&bundle);
        let complete = matches!(partial.completeness, Completeness::Complete { .. });
        prop_assert!(complete, "not complete");
        prop_assert_eq!(&partial.completeness, &full.completeness);

        // Withheld: exactly the slots picked or outside the profile.
        let events_by_seq: BTreeMap<u64, Event> = full
            .entries
            .iter()
            .map(|e| (e.entry.seq(), e.entry.event().clone()))
            .collect();
        let got = verdicts(&partial);
        prop_assert_eq!(got.len(), all.len());
        for ((seq, slot), verdict) in &got {
            let kept = !picked.contains(&(*seq, *slot))
                && selection.keeps(*seq, &events_by_seq[seq], *slot);
            let want = if kept { SlotVerdict::Disclosed } else { SlotVerdict::Withheld };
            prop_assert_eq!(*verdict, want, "seq {} {}", seq, slot);
        }
        let totals = partial.disclosures.totals();
        prop_assert_eq!(totals.disclosed, tally.kept);
        prop_assert_eq!(totals.withheld, tally.withheld);
        prop_assert_eq!(tally.cleartext_entries, 0);

        // The status does not depend on what is withheld.
        let before = status(&full);
        prop_assert!(before.is_some());
        prop_assert_eq!(&status(&partial), &before);
        // Resolved with what the bundle carries: what stays unresolved is
        // what was withheld.
        let mut resolved = status(&partial).unwrap();
        let ds = carried(&bundle);
        resolved.resolve_committed(|at| {
            let code = custody_format::commit::field_named(&at.field)?.code;
            ds.get(&at.seq)?.iter().find_map(|d| match &d.value {
                custody_format::commit::DisclosedValue::Text(t) if d.slot.code == code => {
                    Some(t.clone())
                }
                _ => None,
            })
        });
        for (key, at) in &resolved.committed {
            let code = custody_format::commit::field_named(&at.field).unwrap().code;
            let withheld = got
                .iter()
                .any(|((s, slot), v)| *s == at.seq && slot.code == code && *v == SlotVerdict::Withheld);
            prop_assert!(withheld, "{} is unresolved but its disclosure was carried", key);
        }
    }
}
