//! Group commit (`Ledger::append_group`, `committer`): many submitters,
//! one writer. What must hold whatever the timing: every event answered as
//! appended is in the chain, at the seq and with the hash it was given,
//! and its proof holds against the signed checkpoint it came with; a
//! refused event costs the others nothing; nothing is appended twice or
//! lost; the chain verifies.

use custody_format::event::{EntryHash, Event};
use custody_ledger::committer::{Committer, Job, Limits, Outcome, SubmitError};
use custody_ledger::store::{Ledger, Submission};
use custody_testkit::events::{capture, correction, sighting};
use custody_testkit::keys::{authority, investigator};
use custody_testkit::ledger::{investigator_granted, with_investigator};
use custody_verifier::checkpoint;
use custody_verifier::merkle::{leaf_hash, verify_inclusion};
use std::sync::mpsc;
use std::time::Duration;

/// A ledger whose authority also holds `investigator`, so that one key can
/// sign evidence and the checkpoints that close each group (in format v2
/// only an authority signs checkpoints).
fn ledger(dir: &std::path::Path) -> Ledger {
    let mut l = with_investigator(dir);
    l.append(
        vec![investigator_granted(&authority(), "A as investigator")],
        &authority(),
    )
    .unwrap();
    l
}

/// A committer over a fresh ledger in `dir` that commits each job as a
/// group of its own, at once (the failure tests line groups up one by
/// one), and the store's directory (for `fail_next_commit`).
fn one_job_a_group(dir: &std::path::Path, queue: usize) -> (Committer, std::path::PathBuf) {
    let l = ledger(dir);
    let store = l.dir().to_path_buf();
    let limits = Limits {
        max_events: 1,
        linger: Duration::ZERO,
        queue,
    };
    (Committer::start(l, authority(), limits), store)
}

/// The proof of `seq` with `hash` against the note, checked as a
/// prosecutor would: the note's signature by the authority, the leaf from
/// the stored bytes, RFC 9162 inclusion.
fn check_receipt(l: &Ledger, seq: u64, hash: &EntryHash, proof: &[[u8; 32]], note: &str) {
    let cp = checkpoint::parse(note).unwrap();
    cp.verify_by(&[authority().verifying_key().to_bytes()])
        .unwrap();
    let bytes = l.entry_bytes(seq).unwrap().expect("the entry is stored");
    let stored = custody_format::entry::SignedEntry::decode(bytes.clone()).unwrap();
    assert_eq!(&stored.hash(), hash, "seq {seq} holds another entry");
    verify_inclusion(&leaf_hash(&bytes), seq, cp.size, proof, &cp.root).unwrap();
}

/// Events to sign, as group submissions.
fn group(events: Vec<Event>) -> Vec<Submission> {
    events.into_iter().map(Submission::Event).collect()
}

#[test]
fn a_refused_event_costs_the_others_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = ledger(dir.path());
    let unknown = EntryHash([7; 32]);
    let done = l
        .append_group(
            group(vec![
                capture("P-1"),
                correction(unknown, None),
                sighting("P-2"),
            ]),
            &authority(),
        )
        .unwrap();
    assert!(done.outcomes[0].is_ok());
    let refusal = done.outcomes[1].as_ref().unwrap_err();
    assert!(refusal.to_string().contains("target"), "{refusal}");
    let (a, c) = (
        done.outcomes[0].as_ref().unwrap().entry,
        done.outcomes[2].as_ref().unwrap().entry,
    );
    // The refused event took no seq: the third follows the first.
    assert_eq!(c.seq, a.seq + 1);
    let (cp, note) = done.checkpoint.unwrap();
    // Seal, then checkpoint, right after the accepted events.
    assert_eq!(cp.seq, c.seq + 2);
    assert_eq!(l.len(), cp.seq + 1);
    for x in [a, c] {
        let proof = l.inclusion_proof(x.seq, cp.seq).unwrap();
        check_receipt(&l, x.seq, &x.hash, &proof, &note);
    }
}

#[test]
fn a_group_refuses_what_two_appends_would() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = ledger(dir.path());
    let target = l.append(vec![capture("P-1")], &authority()).unwrap()[0];
    // Two corrections of one entry in one group: the second is refused, as
    // it would be in a second append.
    let done = l
        .append_group(
            group(vec![
                correction(target.hash, None),
                correction(target.hash, Some(sighting("P-1"))),
            ]),
            &authority(),
        )
        .unwrap();
    assert!(done.outcomes[0].is_ok());
    let refusal = done.outcomes[1].as_ref().unwrap_err();
    assert!(refusal.to_string().contains("corrected"), "{refusal}");
}

#[test]
fn a_group_with_nothing_accepted_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = ledger(dir.path());
    let before = l.head();
    let done = l
        .append_group(
            group(vec![correction(EntryHash([1; 32]), None)]),
            &authority(),
        )
        .unwrap();
    assert!(done.outcomes[0].is_err());
    assert!(done.checkpoint.is_none());
    assert_eq!(l.head(), before);
}

#[test]
fn a_key_that_may_not_checkpoint_refuses_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = ledger(dir.path());
    let before = l.head();
    // The investigator may sign the capture, not the seal that closes it.
    let e = l
        .append_group(group(vec![capture("P-1")]), &investigator())
        .unwrap_err();
    assert!(e.to_string().contains("authority"), "{e}");
    assert_eq!(l.head(), before);
}

/// Submits `events` as one job and returns the receiver of its answer.
fn submit(c: &Committer, events: Vec<Event>) -> mpsc::Receiver<Vec<Outcome>> {
    let (tx, rx) = mpsc::channel();
    let job = Job {
        events: group(events),
        reply: Box::new(move |r| {
            tx.send(r.expect("the commit succeeds")).unwrap();
        }),
    };
    let mut job = job;
    // Busy is an answer to retry, not a failure (the test's queue is small).
    loop {
        match c.submit(job) {
            Ok(()) => return rx,
            Err(SubmitError::Busy(back)) => {
                job = back;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(SubmitError::Stopped(_)) => panic!("stopped"),
        }
    }
}

#[test]
fn concurrent_submitters_each_get_a_receipt_that_holds() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    let start = l.len();
    let limits = Limits {
        max_events: 64,
        linger: Duration::from_millis(1),
        queue: 16,
    };
    let committer = Committer::start(l, authority(), limits);
    let (threads, per_thread) = (6, 25);
    let receipts = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let c = &committer;
                s.spawn(move || {
                    (0..per_thread)
                        .map(|i| {
                            let person = format!("P-{t}-{i}");
                            // Every fifth job also carries an event the rules
                            // refuse, which must not cost its neighbour.
                            let mut events = vec![capture(&person)];
                            if i % 5 == 0 {
                                events.push(correction(EntryHash([9; 32]), None));
                            }
                            (person, submit(c, events).recv().unwrap())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let l = committer.stop();
    let mut seqs = Vec::new();
    for (person, outcomes) in &receipts {
        let Outcome::Appended(r) = &outcomes[0] else {
            panic!("{person}'s capture was refused");
        };
        check_receipt(&l, r.entry.seq, &r.entry.hash, &r.proof, &r.checkpoint.note);
        let about = l.entry(r.entry.seq).unwrap().unwrap();
        assert_eq!(about.event().person().unwrap().as_str(), person);
        seqs.push(r.entry.seq);
        if outcomes.len() == 2 {
            assert!(matches!(outcomes[1], Outcome::Refused(_)));
        }
    }
    // Nothing twice: one entry per accepted event.
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), threads * per_thread);
    // Every entry after the start is a capture, a seal or a checkpoint, and
    // the store, reopened, holds them and verifies.
    drop(l);
    let l = Ledger::open_read_only(dir.path()).unwrap();
    let mut evidence = 0;
    for seq in start..l.len() {
        match l.entry(seq).unwrap().unwrap().event() {
            Event::Capture(_) => evidence += 1,
            Event::Seal(_) | Event::Checkpoint(_) => {}
            other => panic!("unexpected entry at {seq}: {other:?}"),
        }
    }
    assert_eq!(evidence, threads * per_thread);
    let chain: Vec<Vec<u8>> = (0..l.len())
        .map(|s| l.entry_bytes(s).unwrap().unwrap())
        .collect();
    assert_eq!(
        custody_testkit::chain::verify(&chain).unwrap(),
        l.len(),
        "the chain verifies"
    );
}

/// Review finding (low, latent until the write route exists): one
/// submission can fail every other in its group. An event that the chain
/// rules accept but that takes away the committer key's right to sign
/// (here it revokes that key, while a second authority key exists) makes
/// the group's seal refused, and `append_group` then refuses the WHOLE
/// group, so the other submitters' valid events are lost with it.
#[test]
fn an_event_that_revokes_the_committers_key_costs_the_others_nothing() {
    use custody_format::event::{KeyGranted, PublicKeyBytes, Role};
    let dir = tempfile::tempdir().unwrap();
    let mut l = ledger(dir.path());
    let second = custody_testkit::keys::key(5);
    l.append(
        vec![Event::KeyGranted(KeyGranted {
            public_key: PublicKeyBytes(second.verifying_key().to_bytes()),
            role: Role::Authority,
            holder: "second authority".into(),
        })],
        &authority(),
    )
    .unwrap();
    let done = l.append_group(
        group(vec![
            capture("P-1"),
            custody_testkit::events::revoke(&authority()),
            sighting("P-2"),
        ]),
        &authority(),
    );
    let done = done.expect("the group is committed for its valid events");
    assert!(done.outcomes[0].is_ok(), "{:?}", done.outcomes[0]);
}

/// The committer prepares groups while the one before them is being
/// written (module `committer`, "Two threads"): one waits for the writer
/// and a third is prepared. When that write fails, its submitters get the
/// error, each group prepared over it meanwhile (here two: one handed to
/// the writer before the failure was known, one prepared before it was)
/// is refused whole (they named entries that will never exist), nothing of
/// them is in the store; a group submitted once the failure was answered
/// is not refused for it, and lands where the chain really ends, with a
/// receipt that holds; the store's derived rows match the chain.
#[cfg(debug_assertions)]
#[test]
fn a_failed_commit_takes_nothing_with_it_but_the_group_prepared_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let (committer, store) = one_job_a_group(dir.path(), 16);
    let send = |person: &str| submit_job(&committer, group(vec![capture(person)]));
    let first = send("P-first")
        .recv()
        .unwrap()
        .expect("the first commit succeeds");
    // The next commit fails, half a second after it starts: a group sent
    // meanwhile is prepared over it.
    custody_ledger::committer::fail_next_commit(&store);
    let failing = send("P-failed");
    std::thread::sleep(Duration::from_millis(100));
    // Both prepared within milliseconds, long before the failure lands.
    let over = send("P-over");
    let over_too = send("P-over-too");
    let failed = failing.recv().unwrap().expect_err("its commit fails");
    assert!(
        failed.to_string().contains("the tests asked for"),
        "{failed}"
    );
    for over in [over, over_too] {
        let over = over
            .recv()
            .unwrap()
            .expect_err("prepared over a failed commit");
        assert!(over.to_string().contains("prepared over it"), "{over}");
    }
    // Sent once the failure was answered: the committer knew of it first.
    let next = send("P-next")
        .recv()
        .unwrap()
        .expect("the next commit succeeds");
    // A failure with nothing prepared over it: the group sent after it was
    // answered is not refused for it.
    custody_ledger::committer::fail_next_commit(&store);
    send("P-failed-alone")
        .recv()
        .unwrap()
        .expect_err("its commit fails");
    let after = send("P-after")
        .recv()
        .unwrap()
        .expect("a group sent after a failure was answered is not refused for it");
    let l = committer.stop();
    let (Outcome::Appended(a), Outcome::Appended(n), Outcome::Appended(z)) =
        (&first[0], &next[0], &after[0])
    else {
        panic!("refused: {first:?} {next:?} {after:?}");
    };
    // Each right after the group before it (its entry, seal and checkpoint).
    assert_eq!(n.entry.seq, a.entry.seq + 3);
    assert_eq!(z.entry.seq, n.entry.seq + 3);
    check_receipt(&l, n.entry.seq, &n.entry.hash, &n.proof, &n.checkpoint.note);
    check_receipt(&l, z.entry.seq, &z.entry.hash, &z.proof, &z.checkpoint.note);
    drop(l);
    let l = Ledger::open_read_only(dir.path()).unwrap();
    assert_eq!(l.len(), z.entry.seq + 3);
    for seq in 0..l.len() {
        let entry = l.entry(seq).unwrap().unwrap();
        let person = entry.event().person().map(|p| p.as_str().to_string());
        assert!(
            !matches!(
                person.as_deref(),
                Some("P-failed" | "P-over" | "P-over-too" | "P-failed-alone")
            ),
            "seq {seq} holds {person:?}"
        );
    }
    let chain: Vec<Vec<u8>> = (0..l.len())
        .map(|s| l.entry_bytes(s).unwrap().unwrap())
        .collect();
    assert_eq!(custody_testkit::chain::verify(&chain).unwrap(), l.len());
    let report = l.check_derived(|_| {}).unwrap();
    assert!(report.is_clean(), "{report:?}");
}

/// A statement whose group's commit fails is not in the chain, so the same
/// statement sent again is appended anew, not answered as a repeat of an
/// entry that never landed: the committer forgets the ids it logged for
/// the failed group (the id log, store layout 6), and the store's derived
/// rows match the chain after it.
#[cfg(debug_assertions)]
#[test]
fn a_statement_whose_commit_failed_is_appended_when_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let (committer, store) = one_job_a_group(dir.path(), 16);
    let stated = statement("P-stated", 5);
    let send = || submit_job(&committer, vec![stated.clone()]).recv().unwrap();
    custody_ledger::committer::fail_next_commit(&store);
    send().expect_err("its commit fails");
    let again = send().expect("sent again, it commits");
    let Outcome::Appended(receipt) = &again[0] else {
        panic!("refused: {again:?}");
    };
    assert!(!receipt.existing, "answered as a repeat of a failed commit");
    let repeat = send().expect("and a third time");
    let Outcome::Appended(repeat) = &repeat[0] else {
        panic!("refused: {repeat:?}");
    };
    assert!(repeat.existing);
    assert_eq!(repeat.entry, receipt.entry);
    let l = committer.stop();
    let report = l.check_derived(|_| {}).unwrap();
    assert!(report.is_clean(), "{report:?}");
}

/// A statement signed by the investigator about `person` (its nonce `n`),
/// with its disclosures, as a group submission.
fn statement(person: &str, n: u8) -> Submission {
    use custody_format::statement::{SignedStatement, StatementBody};
    let mut event = capture(person);
    let disclosures = custody_ledger::input::commit_fresh(&mut event).unwrap();
    let body = StatementBody {
        version: 1,
        ledger: "props".into(),
        author: custody_ledger::keyfile::public_key_of(&investigator()),
        signed_at: custody_format::time::Timestamp(1_700_000_000_000_000),
        nonce: custody_format::statement::Nonce([n; 16]),
        event: Box::new(event),
    };
    let statement = SignedStatement::sign(body, &investigator()).unwrap();
    Submission::Statement(custody_ledger::store::Submitted::new(
        statement,
        disclosures,
    ))
}

type Answer = mpsc::Receiver<Result<Vec<Outcome>, custody_ledger::committer::JobError>>;

/// Submits one job of `events`; its answer comes through the receiver.
fn submit_job(committer: &Committer, events: Vec<Submission>) -> Answer {
    let (tx, rx) = mpsc::channel();
    committer
        .submit(Job {
            events,
            reply: Box::new(move |r| tx.send(r).unwrap()),
        })
        .unwrap();
    rx
}

/// After the committer stopped: every receipt holds against the store,
/// the derived rows match the chain, and the chain verifies as a reader
/// that opens the store afresh finds it.
fn check_store(dir: &std::path::Path, l: Ledger, answers: &[Vec<Outcome>]) {
    for outcome in answers.iter().flatten() {
        if let Outcome::Appended(a) = outcome {
            assert!(a.checkpoint.size <= l.len(), "a checkpoint past the chain");
            check_receipt(&l, a.entry.seq, &a.entry.hash, &a.proof, &a.checkpoint.note);
        }
    }
    let report = l.check_derived(|_| {}).unwrap();
    assert!(report.is_clean(), "{report:?}");
    drop(l);
    let l = Ledger::open_read_only(dir).unwrap();
    let chain: Vec<Vec<u8>> = (0..l.len())
        .map(|s| l.entry_bytes(s).unwrap().unwrap())
        .collect();
    assert_eq!(custody_testkit::chain::verify(&chain).unwrap(), l.len());
}

/// A group with nothing to write (a statement sent again) is answered
/// while the group after it is still being written: the preparer must not
/// take that later group's pending writes away, or the group prepared
/// next would be prepared over a store without them (found in review: the
/// mutant that pops a pending layer for every commit done fails here with
/// a missing Merkle node). A large job, committed alone and slowly, lines
/// the small groups up behind it.
#[test]
fn a_group_without_writes_leaves_the_next_groups_pending_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (committer, _) = one_job_a_group(dir.path(), 64);
    let again = statement("P-again", 1);
    submit_job(&committer, vec![again.clone()])
        .recv()
        .unwrap()
        .expect("first commit");
    let mut answers = Vec::new();
    for round in 0..3 {
        let large = (0..1500)
            .map(|i| Submission::Event(capture(&format!("P-large-{round}-{i}"))))
            .collect();
        let large = submit_job(&committer, large);
        std::thread::sleep(Duration::from_millis(20));
        let mut queued = vec![large, submit_job(&committer, vec![again.clone()])];
        for p in ["h", "j", "k"] {
            queued.push(submit_job(
                &committer,
                group(vec![capture(&format!("P-{p}-{round}"))]),
            ));
        }
        for answer in queued {
            answers.push(answer.recv().unwrap().expect("lands"));
        }
    }
    check_store(dir.path(), committer.stop(), &answers);
}

/// Round after round, a commit that lands, then one that fails with two
/// groups prepared over it: a new statement, and a statement sent again
/// (nothing to write, and a receipt that would name the failing group's
/// checkpoint). Neither may be answered with a receipt, and over more
/// rounds than the logs' merge period (16 commits) a failure meets every
/// position of it: the store stays clean and every receipt given holds.
#[cfg(debug_assertions)]
#[test]
fn failures_at_every_position_of_the_log_merges_leave_the_store_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (committer, store) = one_job_a_group(dir.path(), 16);
    let mut answers = Vec::new();
    for round in 0..17u8 {
        let landed = statement(&format!("P-landed-{round}"), round);
        answers.push(
            submit_job(&committer, vec![landed.clone()])
                .recv()
                .unwrap()
                .expect("lands"),
        );
        custody_ledger::committer::fail_next_commit(&store);
        let failing = submit_job(
            &committer,
            vec![statement(&format!("P-failed-{round}"), 100 + round)],
        );
        std::thread::sleep(Duration::from_millis(50));
        let new = submit_job(
            &committer,
            vec![statement(&format!("P-new-{round}"), 200 - round)],
        );
        let again = submit_job(&committer, vec![landed]);
        failing.recv().unwrap().expect_err("its commit fails");
        for answer in [new, again] {
            let e = answer
                .recv()
                .unwrap()
                .expect_err("prepared over a failed commit");
            assert!(e.to_string().contains("prepared over it"), "{round}: {e}");
        }
    }
    check_store(dir.path(), committer.stop(), &answers);
}
