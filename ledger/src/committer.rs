//! Group commit: many submitters, one writer, one durable commit for
//! whatever arrived together.
//!
//! A store has one writer (ARCHITECTURE.md, "single writer"), and a durable
//! commit costs an fsync whatever it holds. A server that committed each
//! submission alone would be bound by fsyncs per second, however many
//! clients it had. The [`Committer`] owns the writable [`Ledger`] on its
//! own threads (below); submitters hand it [`Job`]s through a bounded
//! queue and are answered through their own callback once the commit that
//! holds their events is on disk. It takes a job, then every job already
//! queued (up to [`Limits::max_events`] events, waiting at most
//! [`Limits::linger`] for more), and commits them as one group (as
//! [`Ledger::append_group`] does: each event accepted or refused on its
//! own, a seal and a checkpoint after them). While it commits, the next
//! group gathers in the queue, so the group size grows with the load and
//! the fsyncs per second stay bounded: throughput grows with concurrency.
//!
//! The queue is bounded ([`Limits::queue`] jobs): when it is full,
//! [`Committer::submit`] answers [`SubmitError::Busy`] at once, and a
//! server turns that into `503 Retry-After`: memory stays bounded under
//! overload, and nothing is accepted that is not then committed.
//!
//! The committer is synchronous and knows no runtime: the callback is how
//! an async server wakes its request (a oneshot channel's sender, moved into
//! the closure).
//!
//! ## Two threads: one prepares, one writes
//!
//! Writing a group's rows into the store and syncing them takes about two
//! fifths of the writer's time; the rest (checking, signing, the person
//! map, the statuses, the receipts' proofs) needs only the store's state.
//! So the committer runs on two threads: the *preparer* builds group N+1
//! (`Ledger::append_group_pending`) while the *writer* commits group N
//! (`backend::CommitHandle`). The preparer reads group N's rows pending
//! over the store (`backend::Pending`), and its head and rules are
//! already N's. What keeps the promise:
//!
//! - a receipt is sent by the writer, after its group's commit is durable,
//!   never before; groups are written and answered in the order they were
//!   prepared, so a receipt that names an entry of an earlier group (a
//!   statement sent again) is sent after that entry is on disk (the
//!   preparer answers only refusals: a group prepared over a failed
//!   commit, or any group once the writer is gone);
//! - at most one commit is under way: the preparer hands N+1 to the writer
//!   only once N's commit is done;
//! - when N's commit fails, its jobs get the error; N+1, if it was prepared
//!   over N before the failure was known, is refused whole (saying so),
//!   and the ledger is put back as it was before N
//!   (`Ledger::abandon_pending`): nothing of N or N+1 was written, and the
//!   next group starts from what is on disk. (After an I/O error redb may
//!   refuse every later commit too; each is then refused the same way, as
//!   it was with one thread.)
//! - if the writer thread dies (a panic), nothing more is taken: the
//!   committer stops, as [`Committer::stop`] then reports.

use crate::store::backend::{CommitHandle, Pending};
use crate::store::LedgerState;
use crate::store::{AppendError, Appended, GroupCommit, Ledger, Refusal, StoreError, Submission};
use ed25519_dalek::SigningKey;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How much the committer gathers, and how much it lets wait.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Events in one commit at most (a job is never split; one larger than
    /// this is committed alone).
    pub max_events: usize,
    /// How long, after the first job of a group, to wait for more before
    /// committing. Zero commits what is queued at once; the time a commit
    /// takes is what gathers the next group under load. A submitter alone
    /// is not made to wait (`Gatherer`).
    pub linger: Duration,
    /// Jobs waiting at most; beyond, [`Committer::submit`] is refused.
    pub queue: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_events: 4096,
            linger: Duration::from_millis(2),
            queue: 8192,
        }
    }
}

/// Makes the next commit of the ledger in `dir` by a committer's writer
/// thread fail, as a full disk would (tests only: debug builds).
#[cfg(debug_assertions)]
#[doc(hidden)]
pub fn fail_next_commit(dir: &std::path::Path) {
    crate::store::backend::fail_next_commit(dir);
}

/// The checkpoint a group was committed under, shared by its receipts.
#[derive(Debug)]
pub struct Checkpointed {
    /// The checkpoint's own entry.
    pub entry: Appended,
    /// The tree size it states (its seq: it covers every entry before it).
    pub size: u64,
    /// Its signed C2SP note, byte for byte.
    pub note: String,
}

/// What one event became: on disk with a proof, or refused.
#[derive(Debug)]
pub enum Outcome {
    /// Durably appended.
    Appended(Receipt),
    /// Refused by the chain rules; nothing of it was written.
    Refused(Refusal),
}

/// The answer to one accepted event: where it is, and the proof that the
/// checkpoint's tree holds it.
#[derive(Debug)]
pub struct Receipt {
    /// Its entry.
    pub entry: Appended,
    /// A statement that an earlier submission registered: nothing was
    /// appended for this one.
    pub existing: bool,
    /// The entry's stored bytes, so that the submitter can check what the
    /// ledger holds (read by the committer: the server opens no store for
    /// it).
    pub entry_bytes: Vec<u8>,
    /// Its RFC 9162 inclusion proof in the checkpoint's tree.
    pub proof: Vec<crate::merkle::Hash>,
    /// The checkpoint.
    pub checkpoint: Arc<Checkpointed>,
}

/// Why a whole job failed. Either the commit it was in failed (the store,
/// the clock, or the committer's key) and nothing of it was written, or —
/// [`AppendError::Store`] after a durable commit, when the receipts could
/// not be read back — its events are in the chain but unanswered: a
/// submitter retrying them must not be given a second copy (format v3's
/// statement ids make a retry return the existing entry).
pub type JobError = Arc<AppendError>;

/// The callback a job is answered through, once, from the committer's
/// thread: one outcome per event, in order.
pub type Reply = Box<dyn FnOnce(Result<Vec<Outcome>, JobError>) + Send>;

/// Submissions (events to sign, statements to register) made together,
/// and where to answer.
pub struct Job {
    /// The submissions.
    pub events: Vec<Submission>,
    /// Where the outcome goes.
    pub reply: Reply,
}

/// Why a job was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The queue is full: try again shortly.
    #[error("the commit queue is full")]
    Busy(Job),
    /// The committer has stopped.
    #[error("the committer has stopped")]
    Stopped(Job),
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Job({} events)", self.events.len())
    }
}

/// The writer thread and its queue.
pub struct Committer {
    sender: SyncSender<Job>,
    worker: JoinHandle<Ledger>,
}

impl Committer {
    /// Starts the committer's threads, which own `ledger` and sign with `key`
    /// until [`Committer::stop`].
    pub fn start(ledger: Ledger, key: SigningKey, limits: Limits) -> Committer {
        let (sender, receiver) = sync_channel(limits.queue.max(1));
        let worker = std::thread::Builder::new()
            .name("custody-committer".into())
            .spawn(move || run(ledger, key, limits, receiver))
            .expect("spawning the committer thread");
        Committer { sender, worker }
    }

    /// Queues `job`, or hands it back at once if the queue is full or the
    /// committer has stopped.
    pub fn submit(&self, job: Job) -> Result<(), SubmitError> {
        self.sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(job) => SubmitError::Busy(job),
            TrySendError::Disconnected(job) => SubmitError::Stopped(job),
        })
    }

    /// Commits everything queued, stops the thread and returns the ledger.
    pub fn stop(self) -> Ledger {
        drop(self.sender);
        match self.worker.join() {
            Ok(ledger) => ledger,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// The preparer's thread: gather, prepare, hand to the writer (see the
/// module's documentation), until every sender is gone.
fn run(mut ledger: Ledger, key: SigningKey, limits: Limits, receiver: Receiver<Job>) -> Ledger {
    // Group after group updates the person map: it is kept in memory
    // rather than read from its tables each time (`store::map`).
    ledger.keep_whole_map();
    let mut gatherer = Gatherer::new(limits);
    let Some(handle) = ledger.commit_handle() else {
        // Not open to write: every commit fails, on this thread.
        while let Ok(first) = receiver.recv() {
            let group = gatherer.gather(first, &receiver);
            commit(&mut ledger, &key, group);
        }
        return ledger;
    };
    let (to_writer, groups) = sync_channel::<Prepared>(1);
    let (done, written) = std::sync::mpsc::channel::<bool>();
    let writer = std::thread::Builder::new()
        .name("custody-writer".into())
        .spawn(move || {
            for group in groups {
                let (written, group) = group.write(&handle);
                // The preparer learns the outcome before the submitters
                // do: a group submitted after a failure was answered is
                // never prepared over the failed commit.
                let told = done.send(written.is_ok());
                group.answer(written);
                if told.is_err() {
                    break;
                }
            }
        })
        .expect("spawning the committer's writer thread");
    // The ledger's state before the commit under way, and whether that
    // commit left writes pending.
    let mut under_way: Option<(LedgerState, bool)> = None;
    let writer_gone = |ledger: &Ledger| {
        StoreError::io(
            ledger.dir(),
            std::io::Error::other("the committer's writer thread stopped"),
        )
    };
    while let Ok(first) = receiver.recv() {
        let group = gatherer.gather(first, &receiver);
        // A commit that failed while this group gathered is known before
        // the group is prepared: it is not prepared over it.
        if let Some((earlier, pending)) = under_way.take() {
            match written.try_recv() {
                Ok(true) if pending => ledger.commit_done(),
                Ok(true) => {}
                Ok(false) => ledger.abandon_pending(earlier),
                Err(std::sync::mpsc::TryRecvError::Empty) => under_way = Some((earlier, pending)),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    answer_all(group, writer_gone(&ledger));
                    break;
                }
            }
        }
        let before = ledger.state();
        let mut prepared = prepare(&mut ledger, &key, group);
        if let Some((earlier, pending)) = under_way.take() {
            match written.recv() {
                Ok(true) => {
                    if pending {
                        ledger.commit_done();
                    }
                }
                Ok(false) => {
                    // Prepared over a commit that failed: refused whole.
                    ledger.abandon_pending(earlier);
                    prepared.refuse_after_failure(ledger.dir());
                    prepared.answer(Ok(()));
                    continue;
                }
                Err(_) => {
                    prepared.answer(Err(writer_gone(&ledger)));
                    break;
                }
            }
        }
        under_way = Some((before, prepared.writes.is_some()));
        if let Err(std::sync::mpsc::SendError(group)) = to_writer.send(prepared) {
            group.answer(Err(writer_gone(&ledger)));
            break;
        }
    }
    // Stopped, or the writer is gone: nothing more is taken (a submit is
    // answered `Stopped` from here on).
    drop(receiver);
    drop(to_writer);
    if let Some((earlier, pending)) = under_way {
        match written.recv() {
            Ok(true) if pending => ledger.commit_done(),
            Ok(true) => {}
            _ => ledger.abandon_pending(earlier),
        }
    }
    if let Err(panic) = writer.join() {
        std::panic::resume_unwind(panic);
    }
    ledger
}

/// Answers every job of `group` with `error`.
fn answer_all(group: Vec<Job>, error: StoreError) {
    let (_, replies, counts) = split(group);
    answer(replies, counts, Err(Arc::new(AppendError::Store(error))));
}

/// A group prepared ([`prepare`]): what to write, and the answers to give
/// once it is written.
struct Prepared {
    writes: Option<Arc<Pending>>,
    replies: Vec<Reply>,
    counts: Vec<usize>,
    outcomes: Result<Vec<Outcome>, JobError>,
}

impl Prepared {
    /// Commits the group's writes durably; the outcome, and the group to
    /// answer with it.
    fn write(mut self, handle: &CommitHandle) -> (Result<(), StoreError>, Prepared) {
        let written = match self.writes.take() {
            Some(w) => handle.commit(&w),
            None => Ok(()),
        };
        (written, self)
    }

    /// Answers each job: its outcomes if `written` is Ok, else the error.
    fn answer(self, written: Result<(), StoreError>) {
        let outcomes = match written {
            Ok(()) => self.outcomes,
            Err(e) => Err(Arc::new(AppendError::Store(e))),
        };
        answer(self.replies, self.counts, outcomes);
    }

    /// This group was prepared over a commit that failed: nothing of it
    /// is written, and each job gets an error that says so.
    fn refuse_after_failure(&mut self, dir: &std::path::Path) {
        self.writes = None;
        self.outcomes = Err(Arc::new(AppendError::Store(StoreError::io(
            dir,
            std::io::Error::other(
                "the commit before this one failed, and this one was prepared over it; nothing of it was written",
            ),
        ))));
    }
}

/// Prepares one group (`Ledger::append_group_pending`) with its receipts,
/// read through the pending writes.
fn prepare(ledger: &mut Ledger, key: &SigningKey, group: Vec<Job>) -> Prepared {
    let (events, replies, counts) = split(group);
    let (done, writes) = ledger.append_group_pending(events, key);
    let outcomes = done
        .map_err(Arc::new)
        .and_then(|done| receipts(ledger, done).map_err(|e| Arc::new(AppendError::Store(e))));
    Prepared {
        writes,
        replies,
        counts,
        outcomes,
    }
}

/// A group's submissions, in order, and where each job's answer goes.
fn split(group: Vec<Job>) -> (Vec<Submission>, Vec<Reply>, Vec<usize>) {
    let mut counts = Vec::with_capacity(group.len());
    let mut events = Vec::new();
    let mut replies = Vec::with_capacity(group.len());
    for job in group {
        counts.push(job.events.len());
        events.extend(job.events);
        replies.push(job.reply);
    }
    (events, replies, counts)
}

/// Answers each job with its share of `outcomes` (`counts` events each),
/// or every job with the error.
fn answer(replies: Vec<Reply>, counts: Vec<usize>, outcomes: Result<Vec<Outcome>, JobError>) {
    match outcomes {
        Ok(outcomes) => {
            let mut outcomes = outcomes.into_iter();
            for (reply, n) in replies.into_iter().zip(counts) {
                reply(Ok(outcomes.by_ref().take(n).collect()));
            }
        }
        Err(e) => {
            for reply in replies {
                reply(Err(e.clone()));
            }
        }
    }
}

/// Gathers each group: the first job and whatever else arrives within the
/// limits.
///
/// The linger is for many submitters at once, whose jobs arrive within
/// microseconds of each other and share a commit's two fsyncs, its seal and
/// its checkpoint. A submitter alone gains nothing from it: nobody else is
/// coming, and each of its statements would wait the whole linger. So a
/// group is gathered without waiting when the group before it was one job
/// alone; as soon as two jobs meet in a group, the next ones linger again.
struct Gatherer {
    limits: Limits,
    /// The last group was one job: its submitter was alone.
    alone: bool,
}

impl Gatherer {
    fn new(limits: Limits) -> Gatherer {
        Gatherer {
            limits,
            alone: true,
        }
    }

    fn gather(&mut self, first: Job, receiver: &Receiver<Job>) -> Vec<Job> {
        let linger = if self.alone {
            Duration::ZERO
        } else {
            self.limits.linger
        };
        let group = gather(first, receiver, self.limits.max_events, linger);
        self.alone = group.len() == 1;
        group
    }
}

/// The first job and whatever else arrives within `linger`, up to
/// `max_events` events.
fn gather(first: Job, receiver: &Receiver<Job>, max_events: usize, linger: Duration) -> Vec<Job> {
    let deadline = Instant::now() + linger;
    let mut events = first.events.len();
    let mut group = vec![first];
    while events < max_events {
        let next = match receiver.try_recv() {
            Ok(job) => job,
            Err(_) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match receiver.recv_timeout(left) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        events += next.events.len();
        group.push(next);
    }
    group
}

/// Commits one group on this thread and answers each of its jobs.
fn commit(ledger: &mut Ledger, key: &SigningKey, group: Vec<Job>) {
    let (events, replies, counts) = split(group);
    let outcomes = ledger
        .append_group(events, key)
        .map_err(Arc::new)
        .and_then(|done| receipts(ledger, done).map_err(|e| Arc::new(AppendError::Store(e))));
    answer(replies, counts, outcomes);
}

/// Each accepted event's receipt, with its proof in the group's checkpoint
/// (the proofs computed together: they share most of their nodes).
fn receipts(ledger: &Ledger, done: GroupCommit) -> Result<Vec<Outcome>, StoreError> {
    let checkpoint = done.checkpoint.map(|(entry, note)| {
        Arc::new(Checkpointed {
            entry,
            size: entry.seq,
            note,
        })
    });
    let seqs: Vec<u64> = done
        .outcomes
        .iter()
        .flatten()
        .map(|r| r.entry.seq)
        .collect();
    let (mut proofs, mut bytes) = match &checkpoint {
        Some(c) => (
            ledger.inclusion_proofs(&seqs, c.size)?.into_iter(),
            ledger.entries_bytes(&seqs)?.into_iter(),
        ),
        None => (Vec::new().into_iter(), Vec::new().into_iter()),
    };
    done.outcomes
        .into_iter()
        .map(|o| match (o, &checkpoint) {
            (Ok(r), Some(c)) => Ok(Outcome::Appended(Receipt {
                entry: r.entry,
                existing: r.existing,
                entry_bytes: bytes.next().flatten().unwrap_or_default(),
                proof: proofs.next().unwrap_or_default(),
                checkpoint: c.clone(),
            })),
            (Ok(_), None) => unreachable!("a group with an accepted event has a checkpoint"),
            (Err(r), _) => Ok(Outcome::Refused(r)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::event_from_value;

    fn job(person: &str) -> Job {
        let event = event_from_value(
            serde_json::json!({"type":"capture","person":person,"occurred_at":"2022"}),
        )
        .unwrap();
        Job {
            events: vec![Submission::Event(event)],
            reply: Box::new(|_| {}),
        }
    }

    /// The people of a group, in order.
    fn people(group: &[Job]) -> Vec<String> {
        group
            .iter()
            .flat_map(|j| &j.events)
            .map(|s| match s {
                Submission::Event(e) => e.person().unwrap().as_str().to_string(),
                Submission::Statement(_) => unreachable!(),
            })
            .collect()
    }

    /// The committer's handle keeps the whole person map in memory
    /// (`store::map`): what its groups' map updates read.
    #[test]
    fn the_committer_keeps_the_whole_person_map() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_bytes(&[1; 32]);
        let (mut ledger, _) = Ledger::create(&dir.path().join("l"), "t", "A", &key).unwrap();
        let grant = custody_format::event::Event::KeyGranted(custody_format::event::KeyGranted {
            public_key: crate::keyfile::public_key_of(&key),
            role: custody_format::event::Role::Investigator,
            holder: "A".into(),
        });
        ledger.append(vec![grant], &key).unwrap();
        assert!(!ledger.whole_map_held());
        let committer = Committer::start(ledger, key, Limits::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let mut one = job("P-1");
        one.reply = Box::new(move |r| tx.send(r.is_ok()).unwrap());
        committer.submit(one).unwrap();
        assert!(rx.recv().unwrap(), "appended");
        assert!(committer.stop().whole_map_held());
    }

    /// A submitter alone is not made to wait the linger (here ten minutes:
    /// a gather that waited it would not answer within the minute the test
    /// allows); once two jobs met in a group, the next group lingers again
    /// and takes a job sent a moment after its first.
    #[test]
    fn a_submitter_alone_does_not_wait_the_linger_and_many_share_it() {
        let limits = Limits {
            max_events: 2,
            linger: Duration::from_secs(600),
            queue: 16,
        };
        let (sender, receiver) = sync_channel::<Job>(16);
        // Each group is gathered when the test says so, from what is
        // queued by then (and what arrives within its linger).
        let (go, gate) = std::sync::mpsc::channel::<()>();
        let (groups, gathered) = std::sync::mpsc::channel::<Vec<String>>();
        let gathering = std::thread::spawn(move || {
            let mut gatherer = Gatherer::new(limits);
            while gate.recv().is_ok() {
                let Ok(first) = receiver.recv() else { break };
                let group = gatherer.gather(first, &receiver);
                if groups.send(people(&group)).is_err() {
                    break;
                }
            }
        });
        let next = || {
            gathered
                .recv_timeout(Duration::from_secs(60))
                .expect("a group within the minute")
        };
        // Alone, twice: each committed at once.
        sender.send(job("P-1")).unwrap();
        go.send(()).unwrap();
        assert_eq!(next(), ["P-1"]);
        sender.send(job("P-2")).unwrap();
        go.send(()).unwrap();
        assert_eq!(next(), ["P-2"]);
        // Two jobs queued: one group, taken without waiting.
        sender.send(job("P-3")).unwrap();
        sender.send(job("P-4")).unwrap();
        go.send(()).unwrap();
        assert_eq!(next(), ["P-3", "P-4"]);
        // Now it lingers: a job sent a moment after the first joins it.
        go.send(()).unwrap();
        sender.send(job("P-5")).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        sender.send(job("P-6")).unwrap();
        assert_eq!(next(), ["P-5", "P-6"]);
        drop(go);
        gathering.join().unwrap();
    }
}
