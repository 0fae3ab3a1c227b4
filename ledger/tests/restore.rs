//! `Ledger::restore`: a ledger rebuilt from another's entry bytes has the
//! same rows in every index, the same Merkle nodes, registry and statuses;
//! an entry that breaks the chain is refused; and a restore that fails
//! leaves no store behind.

use custody_format::entry::{EntryBody, SignedEntry};
use custody_format::event::{EntryHash, Event, KeyRevoked, PersonId};
use custody_format::time::Timestamp;
use custody_ledger::input::EventReader;
use custody_ledger::keyfile::{public_key_of, SigningKey};
use custody_ledger::store::{
    Appended, Ledger, Left, RestoreCause, RestoreError, RestoreOptions, StoreError,
};
use custody_testkit::keys::key;
use custody_testkit::ledger::investigator_granted;
use std::path::Path;

fn events(jsonl: &str) -> Vec<Event> {
    EventReader::new(jsonl.as_bytes())
        .map(|r| r.expect("valid event").1)
        .collect()
}

fn grant(k: &SigningKey) -> Vec<Event> {
    vec![investigator_granted(k, "someone")]
}

fn correction(target: EntryHash, replacement: &str) -> Vec<Event> {
    events(&format!(
        r#"{{"type":"correction","target":"{target}","reason":"wrong"{replacement}}}"#
    ))
}

/// A ledger with every kind of entry: evidence of several persons, a
/// correction within a batch and one across batches (one reassigning the
/// entry to another person), a grant and a revocation, a checkpoint (a seal
/// at 15, the checkpoint at 16), and evidence after it. 21 entries.
fn source(dir: &Path) -> Ledger {
    let authority = key(1);
    let investigator = key(2);
    let other = key(3);
    let (mut l, _) = Ledger::create(dir, "test.ledger", "authority", &authority).unwrap();
    l.append(grant(&investigator), &authority).unwrap();
    let first = l
        .append(
            events(
                r#"{"type":"missing_report","person":"P-3","occurred_at":"2023-07","category":"military"}
{"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}
{"type":"sighting","person":"P-1","occurred_at":"2022-09","source":"returned_pow"}
{"type":"icrc_notification","person":"P-1","occurred_at":"2023-06-20"}
{"type":"correspondence","person":"P-1","occurred_at":"2023-08-02","kind":"letter"}
{"type":"death","person":"P-2","occurred_at":"2022-07-29","cause":"death_in_custody"}"#,
            ),
            &investigator,
        )
        .unwrap();
    l.append(correction(first[2].hash, ""), &investigator)
        .unwrap();
    l.append(
        correction(
            first[1].hash,
            r#","replacement":{"type":"capture","person":"P-4","occurred_at":"2022-05-16"}"#,
        ),
        &investigator,
    )
    .unwrap();
    l.append(grant(&other), &authority).unwrap();
    let more = l
        .append(
            events(
                r#"{"type":"release","person":"P-1","occurred_at":"2024-05-31","kind":"exchange"}
{"type":"sighting","person":"P-3","occurred_at":"2024-01","source":"video"}"#,
            ),
            &other,
        )
        .unwrap();
    // A correction in the same batch as its target is not possible through
    // append (the target's hash is not known yet); one right after it is.
    l.append(correction(more[1].hash, ""), &other).unwrap();
    l.append(
        vec![Event::KeyRevoked(KeyRevoked {
            public_key: public_key_of(&other),
            reason: "device lost".into(),
        })],
        &authority,
    )
    .unwrap();
    l.checkpoint(&authority).unwrap();
    l.append(
        events(
            r#"{"type":"capture","person":"P-5","occurred_at":"2024"}
{"type":"sighting","person":"P-5","occurred_at":"2024-02","source":"tv"}
{"type":"capture","person":"P-6","occurred_at":"2024-03"}
{"type":"correspondence","person":"P-6","occurred_at":"2024-04","kind":"call"}"#,
        ),
        &investigator,
    )
    .unwrap();
    assert_eq!(l.len(), 21);
    l
}

fn entries(l: &Ledger) -> Vec<SignedEntry> {
    l.entries_from(0)
        .map(|r| SignedEntry::decode(r.unwrap().1).unwrap())
        .collect()
}

fn ok(entries: Vec<SignedEntry>) -> impl Iterator<Item = Result<SignedEntry, std::io::Error>> {
    entries.into_iter().map(Ok)
}

fn options(chunk: usize, l: &Ledger) -> RestoreOptions {
    RestoreOptions {
        chunk,
        expect_head: Some(Appended {
            seq: l.head().seq,
            hash: l.head().hash,
        }),
    }
}

fn persons() -> Vec<PersonId> {
    (1..=6)
        .map(|n| PersonId::new(&format!("P-{n}")).unwrap())
        .collect()
}

/// Every row a user or the verifier can reach, compared.
fn assert_same_ledger(a: &Ledger, b: &Ledger) {
    assert_eq!(a.head(), b.head());
    assert_eq!(a.registry(), b.registry());
    assert_eq!(a.name(), b.name());
    let n = a.len();
    for seq in 0..n {
        let bytes = a.entry_bytes(seq).unwrap().unwrap();
        assert_eq!(b.entry_bytes(seq).unwrap().as_ref(), Some(&bytes), "{seq}");
        let hash = custody_format::entry::entry_hash(&bytes);
        assert_eq!(b.seq_of(&hash).unwrap(), Some(seq));
        assert_eq!(
            a.inclusion_proof(seq, n).unwrap(),
            b.inclusion_proof(seq, n).unwrap()
        );
    }
    for size in 0..=n {
        assert_eq!(a.merkle_root(size).unwrap(), b.merkle_root(size).unwrap());
        assert_eq!(
            a.consistency_proof(size, n).unwrap(),
            b.consistency_proof(size, n).unwrap()
        );
    }
    assert_eq!(a.governance_seqs().unwrap(), b.governance_seqs().unwrap());
    for p in persons() {
        assert_eq!(
            a.person_seqs(&p).unwrap(),
            b.person_seqs(&p).unwrap(),
            "{p}"
        );
    }
    // The person map and the governance stream: the same root, the same
    // proof for every person (present or not) at the head and at the seal.
    assert_eq!(a.map_root().unwrap(), b.map_root().unwrap());
    let seal = a.latest_seal().unwrap().unwrap();
    assert_eq!(seal.seal_seq, 15);
    assert_eq!(b.latest_seal().unwrap().unwrap().seal_seq, 15);
    for p in persons()
        .into_iter()
        .chain([PersonId::new("P-99").unwrap()])
    {
        for at in [seal.seal_seq, n] {
            assert_eq!(
                a.person_map_proof(&p, at).unwrap(),
                b.person_map_proof(&p, at).unwrap(),
                "{p} at {at}"
            );
        }
    }
    assert_eq!(
        a.governance_value_below(n).unwrap(),
        b.governance_value_below(n).unwrap()
    );
    let now = custody_ledger::clock::now();
    let statuses = |l: &Ledger| serde_json::to_string(&l.all_statuses(None, None, now).unwrap());
    assert_eq!(statuses(a).unwrap(), statuses(b).unwrap());
    // The `corrected` index: a second correction of a corrected entry is
    // refused in both, naming the first correction.
    let corrected = entries(a)[4].hash();
    let again = correction(corrected, "").remove(0);
    let refusal = |l: &Ledger| {
        l.precheck(&again, &key(2))
            .unwrap()
            .unwrap_err()
            .to_string()
    };
    assert!(
        refusal(a).contains("already corrected by entry 8"),
        "{}",
        refusal(a)
    );
    assert_eq!(refusal(a), refusal(b));
}

#[test]
fn a_restored_ledger_has_the_same_rows_whatever_the_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("src"));
    assert!(
        src.person_seqs(&persons()[3]).unwrap().len() == 1,
        "P-4 via the replacement"
    );
    for chunk in [1, 3, 4, 7, 20, 10_000] {
        let target = dir.path().join(format!("restored-{chunk}"));
        let mut commits = Vec::new();
        let restored = Ledger::restore(&target, ok(entries(&src)), options(chunk, &src), |n| {
            commits.push(n)
        })
        .unwrap();
        assert_same_ledger(&src, &restored);
        // One progress call per full chunk, and one at the end.
        let mut expected: Vec<u64> = (1..=21 / chunk as u64).map(|i| i * chunk as u64).collect();
        expected.push(21);
        assert_eq!(commits, expected, "chunk {chunk}");
        // Closed and opened again, it is a ledger like any other, and takes
        // appends.
        drop(restored);
        let mut reopened = Ledger::open(&target).unwrap();
        assert_same_ledger(&src, &reopened);
        let a = reopened
            .append(
                events(r#"{"type":"capture","person":"P-7","occurred_at":"2024"}"#),
                &key(2),
            )
            .unwrap();
        assert_eq!(a[0].seq, 21);
        assert_eq!(
            reopened
                .person_seqs(&PersonId::new("P-7").unwrap())
                .unwrap(),
            [21]
        );
    }
}

/// The restore checks what it can without signatures, entry by entry.
fn refused(entries: Vec<SignedEntry>, target: &Path) -> RestoreError {
    match Ledger::restore(target, ok(entries), RestoreOptions::default(), |_| {}) {
        Ok(_) => panic!("restored"),
        Err(e) => e,
    }
}

fn forge(of: &SignedEntry, signer: &SigningKey, edit: impl FnOnce(&mut EntryBody)) -> SignedEntry {
    let mut body = of.body().clone();
    body.signer = public_key_of(signer);
    edit(&mut body);
    // A v3 body holds commitments: an event put in clear is committed (the
    // salt does not matter to these tests).
    let salt = |_| custody_format::commit::Salt([9; 32]);
    custody_format::commit::commit_event(&mut body.event, salt).unwrap();
    SignedEntry::sign(body, signer).unwrap()
}

#[test]
fn an_entry_that_breaks_the_chain_is_refused_and_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("src"));
    let all = entries(&src);
    let cases: Vec<(&str, Vec<SignedEntry>, &str)> = vec![
        (
            "missing",
            [&all[..5], &all[6..]].concat(),
            "entry 5: sequence: the entry says seq 6",
        ),
        (
            "swapped",
            [&all[..5], &all[6..7], &all[5..6], &all[7..]].concat(),
            "entry 5: sequence",
        ),
        (
            "relinked",
            [
                &all[..5],
                &[forge(&all[5], &key(2), |b| {
                    b.prev_hash = EntryHash([7; 32])
                })],
                &all[6..],
            ]
            .concat(),
            "entry 5: prev_hash: prev_hash is 0707",
        ),
        (
            "backdated",
            [
                &all[..5],
                &[forge(&all[5], &key(2), |b| b.recorded_at = Timestamp(0))],
                &all[6..],
            ]
            .concat(),
            "entry 5: recorded_at",
        ),
        (
            "stranger",
            [&all[..5], &[forge(&all[5], &key(9), |_| {})], &all[6..]].concat(),
            "entry 5: authority: key",
        ),
        (
            "revoked",
            [&all[..19], &[forge(&all[19], &key(3), |_| {})]].concat(),
            "entry 19: authority: key",
        ),
        (
            "untargeted",
            [
                &all[..5],
                &[forge(&all[5], &key(2), |b| {
                    b.event = correction(EntryHash([5; 32]), "").remove(0)
                })],
            ]
            .concat(),
            "entry 5: correction_target: the correction targets 0505",
        ),
        (
            "recorrected",
            [
                &all[..17],
                &[forge(&all[17], &key(2), |b| {
                    b.event = correction(all[4].hash(), "").remove(0)
                })],
            ]
            .concat(),
            "was already corrected by entry 8",
        ),
        (
            "misrooted",
            [
                &all[..16],
                &[forge(&all[16], &key(1), |b| {
                    if let Event::Checkpoint(c) = &mut b.event {
                        c.root_hash.0[0] ^= 1;
                    }
                })],
            ]
            .concat(),
            "entry 16: checkpoint: it states root",
        ),
        ("empty", vec![], "there are no entries"),
    ];
    for (name, entries, needle) in cases {
        // Into a directory it creates (with a parent): both are removed.
        let parent = dir.path().join(format!("{name}-parent"));
        let e = refused(entries.clone(), &parent.join("ledger"));
        assert!(e.to_string().contains(needle), "{name}: {e}");
        assert!(
            matches!(e.cause, RestoreCause::Refused { .. } | RestoreCause::Empty),
            "{name}"
        );
        assert_eq!(e.left, Left::Removed(parent.clone()), "{name}");
        assert!(
            e.to_string().contains("was removed: no store is left"),
            "{e}"
        );
        assert!(!parent.exists(), "{name}");
        // Into an empty directory: it is empty again, and still there.
        let empty = dir.path().join(format!("{name}-empty"));
        std::fs::create_dir(&empty).unwrap();
        let e = refused(entries, &empty);
        assert_eq!(e.left, Left::Emptied(empty.clone()), "{name}");
        assert!(
            e.to_string().contains("the directory is empty again"),
            "{e}"
        );
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "{name}");
    }
    // The stranger's entry is refused for its signer, not for a signature
    // the restore does not check.
    let e = refused(
        [&all[..5], &[forge(&all[5], &key(9), |_| {})]].concat(),
        &dir.path().join("s"),
    );
    assert!(e.to_string().contains("not known to this ledger"), "{e}");
}

/// Format v2: a seal that does not state the map or the governance
/// stream, and an entry whose link is not its stream's head, are refused
/// as the verifier refuses them.
#[test]
fn a_false_seal_or_a_wrong_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("src"));
    let all = entries(&src);
    let cases: Vec<(&str, Vec<SignedEntry>, &str)> = vec![
        (
            "false seal",
            [
                &all[..15],
                &[forge(&all[15], &key(1), |b| {
                    if let Event::Seal(s) = &mut b.event {
                        s.map_root.0[0] ^= 1;
                    }
                })],
            ]
            .concat(),
            "entry 15: seal: it states map root",
        ),
        (
            "seal miscounting governance",
            [
                &all[..15],
                &[forge(&all[15], &key(1), |b| {
                    if let Event::Seal(s) = &mut b.event {
                        s.gov_count -= 1;
                    }
                })],
            ]
            .concat(),
            "entry 15: seal",
        ),
        (
            "unlinked",
            [
                &all[..5],
                &[forge(&all[5], &key(2), |b| b.links = vec![None])],
                &all[6..],
            ]
            .concat(),
            "entry 5: link",
        ),
        (
            "linked to the wrong entry",
            [
                &all[..18],
                // P-5's second entry links to P-5's first; link it to the
                // seal instead.
                &[forge(&all[18], &key(2), |b| {
                    b.links = vec![Some(custody_format::stream::Link {
                        seq: 15,
                        hash: all[15].hash(),
                    })]
                })],
            ]
            .concat(),
            "entry 18: link",
        ),
    ];
    for (name, entries, needle) in cases {
        let target = dir.path().join(name.replace(' ', "-"));
        let e = refused(entries, &target);
        assert!(e.to_string().contains(needle), "{name}: {e}");
        assert!(!target.exists(), "{name}");
    }
}

#[test]
fn entries_that_end_elsewhere_than_the_verified_head_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("src"));
    let all = entries(&src);
    let target = dir.path().join("short");
    // A valid chain, one entry shorter than the one that was verified.
    let e = Ledger::restore(&target, ok(all[..20].to_vec()), options(4, &src), |_| {})
        .err()
        .unwrap();
    assert!(
        matches!(
            &e.cause,
            RestoreCause::Head { found, expected } if found.seq == 19 && expected.seq == 20
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("not at the verified head seq 20"),
        "{e}"
    );
    assert!(!target.exists());
}

#[test]
fn a_restore_cut_short_by_its_input_removes_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("src"));
    let target = dir.path().join("cut");
    let input = entries(&src)
        .into_iter()
        .take(6)
        .map(Ok)
        .chain(std::iter::once(Err(std::io::Error::other(
            "disk unplugged",
        ))));
    let mut committed = 0;
    let e = Ledger::restore(&target, input, options(4, &src), |n| committed = n)
        .err()
        .unwrap();
    assert_eq!(committed, 4, "one chunk was committed before the failure");
    assert!(
        matches!(e.cause, RestoreCause::Input { restored: 6, .. }),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains("reading the entries failed after 6 of them: disk unplugged"),
        "{text}"
    );
    assert!(!target.exists(), "{text}");
}

#[test]
fn a_restore_interrupted_midway_is_not_a_ledger() {
    // Copies of the store taken after each commit — what a crash at that
    // point would leave — are refused as damaged, never read as a shorter
    // ledger: the store is marked a ledger only once every entry is in.
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("src"));
    let target = dir.path().join("restored");
    let mut copies = Vec::new();
    let restored = Ledger::restore(&target, ok(entries(&src)), options(8, &src), |n| {
        let copy = dir.path().join(format!("at-{n}"));
        std::fs::create_dir(&copy).unwrap();
        for f in ["custody.redb", "custody.lock"] {
            std::fs::copy(target.join(f), copy.join(f)).unwrap();
        }
        copies.push(copy);
    })
    .unwrap();
    drop(restored);
    assert_eq!(copies.len(), 3, "after 8 and 16 entries, and when done");
    // The seal at 15 was checked in the second chunk, against the map as
    // the first chunk committed it and the second's pending changes.
    for copy in &copies[..2] {
        match Ledger::open(copy) {
            Err(e @ StoreError::Damaged { .. }) => {
                assert!(e.to_string().contains("restore was interrupted"), "{e}")
            }
            Err(e) => panic!("{}: {e}", copy.display()),
            Ok(l) => panic!("{}: opened with {} entries", copy.display(), l.len()),
        }
    }
    // The last progress call comes after the store was marked a ledger.
    assert_same_ledger(&src, &Ledger::open(&copies[2]).unwrap());
    assert_same_ledger(&src, &Ledger::open(&target).unwrap());
}

#[test]
fn the_target_must_be_new_or_empty_and_is_left_alone_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("src"));
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("notes.txt"), "keep me").unwrap();
    let e = refused(entries(&src), &full);
    assert!(
        matches!(e.cause, RestoreCause::Store(StoreError::NotEmpty(_))),
        "{e}"
    );
    assert_eq!(e.left, Left::Nothing);
    assert!(e.to_string().contains("nothing was written"), "{e}");
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(full.join("notes.txt")).unwrap(),
        "keep me"
    );
    // Over a ledger (the source itself, closed first).
    let src_dir = src.dir().to_path_buf();
    let before = entries(&src);
    drop(src);
    let e = refused(before.clone(), &src_dir);
    assert!(
        matches!(e.cause, RestoreCause::Store(StoreError::AlreadyExists(_))),
        "{e}"
    );
    assert_eq!(e.left, Left::Nothing);
    assert_eq!(entries(&Ledger::open(&src_dir).unwrap()), before);
}

/// Format v3 (docs/design/format-v3.md): this store keeps no statement ids
/// or committed slots yet, so a statement's `duplicate_statement` and a
/// redaction's rule could not be checked. A restore of a valid v3 chain
/// stops at its first statement, says why, and leaves nothing; the plain
/// v3 entries before it pass.
#[test]
fn a_format_3_chain_with_statements_restores_and_indexes_its_statements() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../format/testdata/vectors/chains/valid-v3-statements.json");
    let vector: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let entries: Vec<SignedEntry> = vector["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| SignedEntry::decode(hex::decode(h.as_str().unwrap()).unwrap()).unwrap())
        .collect();
    let Event::Statement(st) = entries[4].event() else {
        panic!("entry 4 of the vector is a statement")
    };
    let id = st.statement.id();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("ledger");
    let l = Ledger::restore(
        &target,
        ok(entries.clone()),
        RestoreOptions::default(),
        |_| {},
    )
    .unwrap();
    assert_eq!(l.head().seq, entries.len() as u64 - 1);
    // The statement is found by its id: a second submission of it gets
    // this entry back instead of a duplicate.
    assert_eq!(l.statement_seq(&id).unwrap(), Some(4));
}
