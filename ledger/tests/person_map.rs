//! The store's person map and streams (format v2) against a definition
//! computed apart from them: random appends — evidence about a few persons,
//! retractions, reassignments, grants, revocations, checkpoints — give a
//! store whose map root is `map_hash::map_root` over leaves derived from
//! the chain alone, whose every seal states them, whose chain the verifier
//! accepts (links and seals), and whose map proofs at its latest seal
//! verify for present and absent persons, also after entries were appended
//! past that seal.

use custody_format::entry::SignedEntry;
use custody_format::event::{Correction, EntryHash, Event, KeyRevoked, PersonId};
use custody_format::map_hash::{self, Answer, Hash, Leaf, MapValue};
use custody_format::stream::Link;
use custody_ledger::input::event_from_value;
use custody_ledger::keyfile::{public_key_of, SigningKey};
use custody_ledger::store::Ledger;
use custody_testkit::keys::key;
use custody_testkit::ledger::investigator_granted;
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

const PERSONS: usize = 4;

fn person(i: usize) -> String {
    format!("P-{i}")
}

fn capture(p: &str) -> Event {
    event_from_value(json!({"type":"capture","person":p,"occurred_at":"2023-01"})).unwrap()
}

#[derive(Clone, Debug)]
enum Op {
    /// Evidence about these persons, in one batch.
    Evidence(Vec<usize>),
    /// Retract the i-th uncorrected evidence entry (mod their number).
    Retract(usize),
    /// Reassign the i-th uncorrected evidence entry to this person.
    Reassign(usize, usize),
    /// Grant the investigator role to another key.
    Grant,
    /// Revoke the last key granted by `Grant`, if any is left.
    Revoke,
    Checkpoint,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::collection::vec(0..PERSONS, 1..4).prop_map(Op::Evidence),
        2 => any::<usize>().prop_map(Op::Retract),
        2 => (any::<usize>(), 0..PERSONS).prop_map(|(i, p)| Op::Reassign(i, p)),
        1 => Just(Op::Grant),
        1 => Just(Op::Revoke),
        2 => Just(Op::Checkpoint),
    ]
}

/// The streams as the chain defines them, computed from decoded entries
/// alone: each person's count and latest entry, and governance's.
#[derive(Default, Clone)]
struct Model {
    persons: BTreeMap<String, MapValue>,
    gov: Option<MapValue>,
    /// Evidence entries by hash, with their person.
    evidence: HashMap<EntryHash, String>,
}

impl Model {
    fn bump(v: Option<MapValue>, head: Link) -> MapValue {
        MapValue {
            count: v.map_or(0, |v| v.count) + 1,
            head,
        }
    }

    fn walk(&mut self, e: &SignedEntry) {
        let head = Link {
            seq: e.seq(),
            hash: e.hash(),
        };
        let mut concerned: Vec<String> = Vec::new();
        match e.event() {
            Event::Genesis(_) | Event::KeyGranted(_) | Event::KeyRevoked(_) => {
                self.gov = Some(Model::bump(self.gov, head));
            }
            Event::Correction(c) => {
                concerned.push(self.evidence[&c.target].clone());
                if let Some(p) = c.replacement.as_deref().and_then(Event::person) {
                    concerned.push(p.as_str().to_string());
                }
            }
            Event::Checkpoint(_) | Event::Seal(_) => {}
            other => {
                let p = other.person().unwrap().as_str().to_string();
                self.evidence.insert(e.hash(), p.clone());
                concerned.push(p);
            }
        }
        concerned.sort();
        concerned.dedup();
        for p in concerned {
            let v = Model::bump(self.persons.get(&p).copied(), head);
            self.persons.insert(p, v);
        }
    }

    fn root(&self) -> Hash {
        let leaves: Vec<Leaf> = self
            .persons
            .iter()
            .map(|(p, v)| Leaf {
                key: map_hash::person_key(p),
                value_hash: map_hash::value_hash(v),
            })
            .collect();
        map_hash::map_root(&leaves)
    }
}

/// Every entry of the ledger, walked by the model; each seal checked
/// against it. Returns the model as of the latest seal (if any) and at the
/// head.
fn check_chain(l: &Ledger) -> (Option<(u64, Hash, Model)>, Model) {
    let mut model = Model::default();
    let mut at_seal = None;
    for item in l.entries_from(0) {
        let e = SignedEntry::decode(item.unwrap().1).unwrap();
        if let Event::Seal(s) = e.event() {
            assert_eq!(s.map_root.0, model.root(), "seal {}", e.seq());
            let gov = model.gov.unwrap();
            assert_eq!((s.gov_count, s.gov_head), (gov.count, gov.head));
            at_seal = Some((e.seq(), s.map_root.0, model.clone()));
        }
        model.walk(&e);
    }
    (at_seal, model)
}

fn bytes(l: &Ledger) -> Vec<Vec<u8>> {
    l.entries_from(0).map(|r| r.unwrap().1).collect()
}

/// Every person's proof (and a stranger's) in the map below `seq`, checked
/// against `root` for the answer `model` gives.
fn check_proofs(l: &Ledger, seq: u64, root: &Hash, model: &Model) {
    let ids = (0..PERSONS + 2).map(person).chain(["stranger".to_string()]);
    for p in ids {
        let proof = l
            .person_map_proof(&PersonId::new(&p).unwrap(), seq)
            .unwrap();
        let answer = map_hash::verify(root, &map_hash::person_key(&p), &proof)
            .unwrap_or_else(|e| panic!("{p} below {seq}: {e}"));
        let want = match model.persons.get(&p) {
            Some(v) => Answer::Present(*v),
            None => Answer::Absent,
        };
        assert_eq!(answer, want, "{p} below {seq}");
    }
}

struct Run {
    ledger: Ledger,
    granted: Vec<SigningKey>,
    next_key: u8,
    open: Vec<EntryHash>,
}

impl Run {
    fn apply(&mut self, op: &Op) {
        let authority = key(1);
        let l = &mut self.ledger;
        match op {
            Op::Evidence(ps) => {
                let events = ps.iter().map(|&p| capture(&person(p))).collect();
                let done = l.append(events, &key(2)).unwrap();
                self.open.extend(done.iter().map(|a| a.hash));
            }
            Op::Retract(i) | Op::Reassign(i, _) if !self.open.is_empty() => {
                let target = self.open.remove(i % self.open.len());
                let replacement = match op {
                    Op::Reassign(_, p) => Some(Box::new(capture(&person(*p)))),
                    _ => None,
                };
                // The correction itself is not evidence: it cannot be
                // corrected in turn.
                l.append(
                    vec![Event::Correction(Correction {
                        target,
                        reason: "test".into(),
                        replacement,
                    })],
                    &key(2),
                )
                .unwrap();
            }
            Op::Retract(_) | Op::Reassign(..) => {}
            Op::Grant => {
                let k = key(self.next_key);
                self.next_key += 1;
                l.append(vec![investigator_granted(&k, "other")], &authority)
                    .unwrap();
                self.granted.push(k);
            }
            Op::Revoke => {
                if let Some(k) = self.granted.pop() {
                    l.append(
                        vec![Event::KeyRevoked(KeyRevoked {
                            public_key: public_key_of(&k),
                            reason: "test".into(),
                        })],
                        &authority,
                    )
                    .unwrap();
                }
            }
            Op::Checkpoint => {
                l.checkpoint(&authority).unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_stores_map_is_the_chains(ops in prop::collection::vec(op(), 1..14)) {
        let dir = tempfile::tempdir().unwrap();
        let (l, _) = Ledger::create(&dir.path().join("l"), "props", "A", &key(1)).unwrap();
        let mut run = Run { ledger: l, granted: vec![], next_key: 10, open: vec![] };
        run.ledger
            .append(vec![investigator_granted(&key(2), "I")], &key(1))
            .unwrap();
        for op in &ops {
            run.apply(op);
        }
        let l = &run.ledger;
        // The verifier accepts the chain: every link and every seal.
        let n = custody_testkit::chain::verify(&bytes(l)).unwrap();
        prop_assert_eq!(n, l.len());
        let (at_seal, head) = check_chain(l);
        prop_assert_eq!(l.map_root().unwrap(), head.root());
        let derived = l.check_derived(|_| ()).unwrap();
        prop_assert!(derived.is_clean(), "{:?}", derived.mismatches);
        // Proofs at the head, and at the latest seal.
        check_proofs(l, l.len(), &head.root(), &head);
        let latest = l.latest_seal().unwrap();
        prop_assert_eq!(latest.as_ref().map(|s| s.seal_seq), at_seal.as_ref().map(|s| s.0));
        if let Some((seal_seq, root, model)) = &at_seal {
            check_proofs(l, *seal_seq, root, model);
            // Entries past the seal (one about a new person, one about a
            // person of the map, a reassignment) leave its proofs as they were.
            run.apply(&Op::Evidence(vec![PERSONS + 1, 0]));
            run.apply(&Op::Reassign(0, PERSONS));
            run.apply(&Op::Grant);
            check_proofs(&run.ledger, *seal_seq, root, model);
            let (_, head) = check_chain(&run.ledger);
            check_proofs(&run.ledger, run.ledger.len(), &head.root(), &head);
        }
    }
}

/// A ledger restored from a version 1 export (every entry v1, as a store
/// of an earlier build holds) goes on in version 2: its streams were
/// followed from seq 0, so the first v2 entries link to the last v1 entry
/// of their streams, the seal counts the v1 entries, and the verifier
/// accepts the mixed chain.
#[test]
fn a_v1_export_restored_goes_on_in_v2() {
    let events: Vec<Event> = (0..6).map(|i| capture(&person(i % 3))).collect();
    let v1 = custody_testkit::chain::build_chain(&events, &[false, true, false, true]);
    let dir = tempfile::tempdir().unwrap();
    let entries = v1.iter().map(|b| SignedEntry::decode(b.clone()));
    let mut l =
        Ledger::restore(&dir.path().join("l"), entries, Default::default(), |_| ()).unwrap();
    l.confirm_clock();
    let (_, model) = check_chain(&l);
    assert_eq!(l.map_root().unwrap(), model.root());
    let last_p0 = model.persons[&person(0)].head;
    l.append(vec![capture(&person(0))], &key(2)).unwrap();
    let e = l.entry(l.head().seq).unwrap().unwrap();
    assert_eq!(e.body().links, vec![Some(last_p0)]);
    l.append(vec![investigator_granted(&key(7), "X")], &key(1))
        .unwrap();
    let grant = l.entry(l.head().seq).unwrap().unwrap();
    assert_eq!(grant.body().links[0].unwrap().seq, 1, "the v1 grant");
    l.checkpoint(&key(1)).unwrap();
    assert_eq!(custody_testkit::chain::verify(&bytes(&l)).unwrap(), l.len());
    let (Some((seal_seq, root, model)), _) = check_chain(&l) else {
        panic!("no seal")
    };
    check_proofs(&l, seal_seq, &root, &model);
}
