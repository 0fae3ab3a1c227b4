//! Entries found by the first hex digits of their hash
//! (`Ledger::hashes_with_prefix`, behind `custody append`'s `target`
//! prefixes), against the definition: every entry whose hash's hex starts
//! with the prefix.

use custody_ledger::input::event_from_value;
use custody_ledger::store::Ledger;
use custody_testkit::keys::key;
use custody_testkit::ledger::investigator_granted;
use serde_json::json;

#[test]
fn every_prefix_finds_exactly_the_entries_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (mut l, _) = Ledger::create(&dir.path().join("l"), "prefix", "A", &key(1)).unwrap();
    l.append(vec![investigator_granted(&key(2), "I")], &key(1))
        .unwrap();
    let events = (0..40)
        .map(|i| {
            event_from_value(
                json!({"type":"capture","person":format!("P-{i}"),"occurred_at":"2023-01"}),
            )
            .unwrap()
        })
        .collect();
    l.append(events, &key(2)).unwrap();
    let all: Vec<(u64, String)> = (0..l.len())
        .map(|seq| (seq, l.entry(seq).unwrap().unwrap().hash().to_hex()))
        .collect();
    let mut ambiguous = 0;
    for len in 1..=3 {
        for (_, hash) in &all {
            for prefix in [hash[..len].to_string(), hash[..len].to_uppercase()] {
                let mut want: Vec<u64> = all
                    .iter()
                    .filter(|(_, h)| h.starts_with(&hash[..len]))
                    .map(|(s, _)| *s)
                    .collect();
                want.sort_unstable();
                let mut got: Vec<u64> = l
                    .hashes_with_prefix(&prefix, 100)
                    .unwrap()
                    .into_iter()
                    .map(|(s, h)| {
                        assert!(h.to_hex().starts_with(&hash[..len]));
                        s
                    })
                    .collect();
                got.sort_unstable();
                assert_eq!(got, want, "prefix {prefix}");
                ambiguous += usize::from(want.len() > 1);
            }
        }
    }
    assert!(ambiguous > 0, "42 entries share some 1-digit prefix");
    let (seq, hash) = &all[5];
    assert_eq!(
        l.hashes_with_prefix(hash, 100).unwrap(),
        vec![(*seq, l.entry(*seq).unwrap().unwrap().hash())]
    );
    assert_eq!(l.hashes_with_prefix(&hash[..20], 1).unwrap().len(), 1);
    assert!(
        l.hashes_with_prefix("xyz", 100).unwrap().is_empty(),
        "not hex"
    );
    assert_eq!(
        l.hashes_with_prefix("", 3).unwrap().len(),
        3,
        "the limit holds"
    );
}
