//! Group commit: many submitters, one writer, one durable commit for
//! whatever arrived together.
//!
//! A store has one writer (ARCHITECTURE.md, "single writer"), and a durable
//! commit costs an fsync whatever it holds. A server that committed each
//! submission alone would be bound by fsyncs per second, however many
//! clients it had. The [`Committer`] owns the writable [`Ledger`] on its
//! own threads (below); submitters hand it [`Job`]s through a bounded
//! queue and are answered through their own callback once the commit that
//! holds their events is on disk. It takes a job, then the jobs queued
//! behind it, up to a third of the events it holds (at least 64, at most
//! [`Limits::max_events`]; `Gatherer`), waiting at most [`Limits::linger`]
//! for more, and commits them as one group (as
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
//! (`backend::CommitHandle`). The preparer reads the rows of the groups
//! under way pending over the store (`backend::Pending`), and its head and
//! rules are already theirs. What keeps the promise:
//!
//! - a receipt is sent by the writer, after its group's commit is durable,
//!   never before; groups are written and answered in the order they were
//!   prepared, so a receipt that names an entry of an earlier group (a
//!   statement sent again) is sent after that entry is on disk (the
//!   preparer answers a group only once the writer is gone, with an
//!   error);
//! - at most two groups are handed to the writer and not yet answered for
//!   (`UNDER_WAY`): N being written and N+1 waiting for it, while the
//!   preparer prepares N+2 over both (each group a third of the events in
//!   the committer, `Gatherer`); one commit at a time, in order;
//! - when N's commit fails, its jobs get the error; every group prepared
//!   over N before the failure was known (N+1, N+2) is refused whole
//!   (saying so): each carries the preparer's *epoch*, which the preparer
//!   bumps when it learns of a failure, and the writer refuses the groups
//!   of a failed commit's epoch that come after it. The ledger is put back
//!   as it was before N (`Ledger::abandon_pending`): nothing of N or of
//!   the groups over it was written, and the next group starts from what
//!   is on disk. (After an I/O error redb may refuse every later commit
//!   too; each is then refused the same way, as it was with one thread.)
//! - if the writer thread dies (a panic), nothing more is taken: the
//!   committer stops, as [`Committer::stop`] then reports.

use crate::store::backend::{CommitHandle, Pending};
use crate::store::LedgerState;
use crate::store::{AppendError, Appended, GroupCommit, Ledger, Refusal, StoreError, Submission};
use ed25519_dalek::SigningKey;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{
    sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError,
};
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
    /// Events queued and not yet gathered into a group.
    waiting: Arc<AtomicUsize>,
    worker: JoinHandle<Ledger>,
}

impl Committer {
    /// Starts the committer's threads, which own `ledger` and sign with `key`
    /// until [`Committer::stop`].
    pub fn start(ledger: Ledger, key: SigningKey, limits: Limits) -> Committer {
        let (sender, receiver) = sync_channel(limits.queue.max(1));
        let waiting = Arc::new(AtomicUsize::new(0));
        let gatherer = Gatherer::new(limits, waiting.clone());
        let worker = std::thread::Builder::new()
            .name("custody-committer".into())
            .spawn(move || run(ledger, key, gatherer, receiver))
            .expect("spawning the committer thread");
        Committer {
            sender,
            waiting,
            worker,
        }
    }

    /// Queues `job`, or hands it back at once if the queue is full or the
    /// committer has stopped.
    pub fn submit(&self, job: Job) -> Result<(), SubmitError> {
        // Counted before it is queued, so that the count never falls short
        // of what the queue holds.
        let events = job.events.len();
        self.waiting.fetch_add(events, Ordering::Relaxed);
        self.sender.try_send(job).map_err(|e| {
            take_away(&self.waiting, events);
            match e {
                TrySendError::Full(job) => SubmitError::Busy(job),
                TrySendError::Disconnected(job) => SubmitError::Stopped(job),
            }
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

/// Groups handed to the writer and not yet answered for, at most: one being
/// written, one prepared and waiting for it (module documentation, "Two
/// threads"). The preparer prepares a third meanwhile.
const UNDER_WAY: usize = 2;

/// What the writer did with a group, told to the preparer, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Written {
    /// Committed, durably.
    Done,
    /// Its commit failed: nothing of it is on disk.
    Failed,
    /// Prepared over a commit that failed: refused, nothing of it written.
    Refused,
}

/// A group handed to the writer, as the preparer remembers it until the
/// writer says what became of it.
struct UnderWay {
    /// The ledger's state before the group: where a failure of its commit
    /// puts the ledger back.
    before: LedgerState,
    /// It left writes pending over the store.
    pending: bool,
    /// Its events.
    events: usize,
}

/// The preparer's thread: gather, prepare, hand to the writer (see the
/// module's documentation), until every sender is gone.
fn run(
    mut ledger: Ledger,
    key: SigningKey,
    mut gatherer: Gatherer,
    receiver: Receiver<Job>,
) -> Ledger {
    // Group after group updates the person map: it is kept in memory
    // rather than read from its tables each time (`store::map`).
    ledger.keep_whole_map();
    let Some(handle) = ledger.commit_handle() else {
        // Not open to write: every commit fails, on this thread.
        while let Ok(first) = receiver.recv() {
            let (group, _) = gatherer.gather(first, &receiver, 0);
            commit(&mut ledger, &key, group);
        }
        return ledger;
    };
    let (to_writer, groups) = sync_channel::<Prepared>(UNDER_WAY - 1);
    let (done, written) = std::sync::mpsc::channel::<Written>();
    let dir = ledger.dir().to_path_buf();
    let writer = std::thread::Builder::new()
        .name("custody-writer".into())
        .spawn(move || {
            // The epoch of the last commit that failed: the groups of that
            // epoch after it were prepared over it, before the preparer
            // knew, and are refused.
            let mut failed: Option<u64> = None;
            for mut group in groups {
                let (what, result) = if failed == Some(group.epoch) {
                    group.refuse_after_failure(&dir);
                    (Written::Refused, Ok(()))
                } else {
                    match group.write(&handle) {
                        Ok(()) => (Written::Done, Ok(())),
                        Err(e) => {
                            failed = Some(group.epoch);
                            (Written::Failed, Err(e))
                        }
                    }
                };
                // The preparer learns the outcome before the submitters
                // do: a group submitted after a failure was answered is
                // never prepared over the failed commit.
                let told = done.send(what);
                group.answer(result);
                if told.is_err() {
                    break;
                }
            }
        })
        .expect("spawning the committer's writer thread");
    let mut under_way: VecDeque<UnderWay> = VecDeque::with_capacity(UNDER_WAY);
    // Bumped each time the preparer learns of a failed commit: the groups
    // prepared from then on are prepared over what is on disk.
    let mut epoch = 0u64;
    let writer_gone = |ledger: &Ledger| {
        StoreError::io(
            ledger.dir(),
            std::io::Error::other("the committer's writer thread stopped"),
        )
    };
    'groups: while let Ok(first) = receiver.recv() {
        let in_flight = under_way.iter().map(|u| u.events).sum();
        let (group, events) = gatherer.gather(first, &receiver, in_flight);
        // A commit that failed while this group gathered is known before
        // the group is prepared: it is not prepared over it.
        loop {
            match written.try_recv() {
                Ok(what) => settle(&mut ledger, &mut under_way, &mut epoch, what),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    answer_all(group, writer_gone(&ledger));
                    break 'groups;
                }
            }
        }
        let before = ledger.state();
        let mut prepared = prepare(&mut ledger, &key, group);
        prepared.epoch = epoch;
        // Prepared over a commit that then failed, it keeps its epoch and
        // the writer refuses it.
        while under_way.len() >= UNDER_WAY {
            match written.recv() {
                Ok(what) => settle(&mut ledger, &mut under_way, &mut epoch, what),
                Err(_) => {
                    prepared.answer(Err(writer_gone(&ledger)));
                    break 'groups;
                }
            }
        }
        under_way.push_back(UnderWay {
            before,
            pending: prepared.writes.is_some(),
            events,
        });
        if let Err(std::sync::mpsc::SendError(group)) = to_writer.send(prepared) {
            group.answer(Err(writer_gone(&ledger)));
            break;
        }
    }
    // Stopped, or the writer is gone: nothing more is taken (a submit is
    // answered `Stopped` from here on).
    drop(receiver);
    drop(to_writer);
    while !under_way.is_empty() {
        match written.recv() {
            Ok(what) => settle(&mut ledger, &mut under_way, &mut epoch, what),
            Err(_) => {
                // The writer is gone without a word for these groups.
                if let Some(first) = under_way.pop_front() {
                    ledger.abandon_pending(first.before);
                }
                under_way.clear();
            }
        }
    }
    if let Err(panic) = writer.join() {
        std::panic::resume_unwind(panic);
    }
    ledger
}

/// Takes the writer's word for the oldest group under way: its pending
/// writes are now the store's, or, if its commit failed, the ledger is put
/// back as it was before it (forgetting the groups prepared over it too,
/// which the writer refuses) and the next groups are prepared in a new
/// epoch.
fn settle(ledger: &mut Ledger, under_way: &mut VecDeque<UnderWay>, epoch: &mut u64, what: Written) {
    let Some(group) = under_way.pop_front() else {
        return;
    };
    match what {
        Written::Done if group.pending => ledger.commit_done(),
        Written::Done | Written::Refused => {}
        Written::Failed => {
            // The groups after it were prepared over it: the writer
            // refuses them, and what they left pending is forgotten here.
            // Each is put back to what is on disk, so that nothing later
            // restores a head the failed commit never wrote.
            for later in under_way.iter_mut() {
                later.before = group.before.clone();
                later.pending = false;
            }
            ledger.abandon_pending(group.before);
            *epoch += 1;
        }
    }
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
    /// The preparer's epoch when it prepared the group (`run`).
    epoch: u64,
    replies: Vec<Reply>,
    counts: Vec<usize>,
    outcomes: Result<Vec<Outcome>, JobError>,
}

impl Prepared {
    /// Commits the group's writes durably.
    fn write(&mut self, handle: &CommitHandle) -> Result<(), StoreError> {
        match self.writes.take() {
            Some(w) => handle.commit(&w),
            None => Ok(()),
        }
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
        epoch: 0,
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
///
/// A group takes a third of the events in the committer ([`share`]), not
/// everything queued: with one group being written and one waiting for the
/// writer, the third is prepared meanwhile, so that no stage waits for a
/// group that holds every submitter. Submitters who each wait for their
/// answer before they send again (a closed loop: 256 clients) otherwise
/// move in two waves of half their number, and while the writer syncs one
/// wave and the other waits for it, nothing is left to prepare or check:
/// measured, the cores stood idle ~24 % of a run, and a third each gained
/// 5–10 % (docs/BENCHMARKS.md, session 17).
struct Gatherer {
    limits: Limits,
    /// Events queued and not yet gathered (counted by `Committer::submit`).
    waiting: Arc<AtomicUsize>,
    /// The last group was one job: its submitter was alone.
    alone: bool,
}

/// A group takes at least this many events when they are there, however
/// few the committer holds: below it, a commit's fixed costs (two fsyncs,
/// a seal, a checkpoint) weigh on each statement more than waiting does.
const SHARE_FLOOR: usize = 64;

/// The events a group may take: a third of those in the committer (the
/// `waiting` and those `under_way`), at least [`SHARE_FLOOR`], at most
/// `max_events`.
fn share(max_events: usize, waiting: usize, under_way: usize) -> usize {
    ((waiting + under_way) / (UNDER_WAY + 1))
        .max(SHARE_FLOOR)
        .min(max_events)
}

/// Takes `n` from `count`, never below zero.
fn take_away(count: &AtomicUsize, n: usize) {
    let _ = count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
        Some(c.saturating_sub(n))
    });
}

impl Gatherer {
    fn new(limits: Limits, waiting: Arc<AtomicUsize>) -> Gatherer {
        Gatherer {
            limits,
            waiting,
            alone: true,
        }
    }

    /// The next group, from `first` on, given the events of the groups
    /// `under_way`, and its number of events.
    fn gather(
        &mut self,
        first: Job,
        receiver: &Receiver<Job>,
        under_way: usize,
    ) -> (Vec<Job>, usize) {
        let linger = if self.alone {
            Duration::ZERO
        } else {
            self.limits.linger
        };
        let max_events = share(
            self.limits.max_events,
            self.waiting.load(Ordering::Relaxed),
            under_way,
        );
        let (group, events) = gather(first, receiver, max_events, linger);
        take_away(&self.waiting, events);
        self.alone = group.len() == 1;
        (group, events)
    }
}

/// The first job and whatever else arrives within `linger`, up to
/// `max_events` events; and their number of events.
fn gather(
    first: Job,
    receiver: &Receiver<Job>,
    max_events: usize,
    linger: Duration,
) -> (Vec<Job>, usize) {
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
    (group, events)
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

    /// A group takes a third of the events in the committer (those queued
    /// and those of the groups under way), at least the floor when that
    /// many are there, and every job counted in is counted out.
    #[test]
    fn a_group_takes_a_third_of_the_events_in_the_committer() {
        let limits = Limits {
            max_events: 4096,
            linger: Duration::ZERO,
            queue: 1024,
        };
        let (sender, receiver) = sync_channel::<Job>(1024);
        let waiting = Arc::new(AtomicUsize::new(0));
        let mut gatherer = Gatherer::new(limits, waiting.clone());
        for i in 0..300 {
            waiting.fetch_add(1, Ordering::Relaxed);
            sender.send(job(&format!("P-{i}"))).unwrap();
        }
        let mut next = |under_way: usize| {
            let first = receiver.recv().unwrap();
            gatherer.gather(first, &receiver, under_way).1
        };
        assert_eq!(next(0), 100, "a third of 300 queued");
        assert_eq!(waiting.load(Ordering::Relaxed), 200);
        assert_eq!(next(250), 150, "a third of 200 queued and 250 under way");
        assert_eq!(next(0), 50, "all that is left, under the floor");
        assert_eq!(waiting.load(Ordering::Relaxed), 0);
        for i in 0..90 {
            waiting.fetch_add(1, Ordering::Relaxed);
            sender.send(job(&format!("Q-{i}"))).unwrap();
        }
        assert_eq!(next(0), SHARE_FLOOR, "a third of 90 is under the floor");
        assert_eq!(next(0), 90 - SHARE_FLOOR);
        assert_eq!(waiting.load(Ordering::Relaxed), 0);
        assert_eq!(share(10, 3000, 0), 10, "never past max_events");
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
            let mut gatherer = Gatherer::new(limits, Arc::default());
            while gate.recv().is_ok() {
                let Ok(first) = receiver.recv() else { break };
                let (group, _) = gatherer.gather(first, &receiver, 0);
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
