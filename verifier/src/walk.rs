//! The one parallel engine for signatures: a walk over entries (a store's,
//! or an export file's lines) runs on the calling thread — decoding, links,
//! authority, claims: cheap — and hands each entry's signature check to
//! worker threads, one per core, in chunks. Memory stays flat: at most two
//! chunks per worker wait in the queue.
//!
//! Every signature is verified strictly ([`crate::signatures`]), so the
//! verdict is the same whatever the number of cores or the chunk size; the
//! first bad signature is the one with the lowest seq, however the workers
//! were scheduled.

use crate::chain::ChainVerifier;
use crate::report::{Summary, Violation};
use crate::signatures::{verify_all, SignatureJob};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Signatures per chunk handed to a worker.
pub const CHUNK: usize = 1024;

/// The number of worker threads to use by default: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Where a walk submits signature checks. `at` is the caller's position
/// of the entry (a seq, or an export's line), returned with a failure.
pub struct Submit<'a> {
    pending: Vec<(SignatureJob, u64)>,
    tx: Option<mpsc::SyncSender<Vec<(SignatureJob, u64)>>>,
    failed: &'a AtomicBool,
    submitted: u64,
    done: &'a AtomicU64,
    first_bad: &'a Mutex<Option<(Violation, u64)>>,
    /// Held by every worker while it runs: one left means none is.
    alive: &'a Arc<()>,
    workers_gone: bool,
}

impl Submit<'_> {
    /// Queues one signature check.
    pub fn push(&mut self, job: SignatureJob, at: u64) {
        self.pending.push((job, at));
        if self.pending.len() == CHUNK {
            self.flush();
        }
    }

    /// Hands the queued checks to the workers now.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let n = self.pending.len() as u64;
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        // A send fails only once every worker is gone; what was not sent
        // is not waited for.
        if self.tx.as_ref().is_some_and(|tx| tx.send(chunk).is_ok()) {
            self.submitted += n;
        } else {
            self.workers_gone = true;
        }
    }

    /// True once a worker found a bad signature: the walk may stop early
    /// (every check it submitted before is still done).
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Waits until every check submitted so far is done, and returns the
    /// bad signature with the lowest seq among them, if any: for a walk
    /// that must know the verdict before it goes on (a restore, before it
    /// marks the new store a ledger).
    ///
    /// If the workers are gone (one panicked), the checks that could not be
    /// done are reported as a failure of the first of them, never as a
    /// pass.
    pub fn drain(&mut self) -> Option<(Violation, u64)> {
        self.flush();
        while self.done.load(Ordering::Acquire) < self.submitted {
            if self.workers_gone || Arc::strong_count(self.alive) <= 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let bad = self.first_bad.lock().ok().and_then(|b| b.clone());
        if bad.is_none()
            && (self.workers_gone || self.done.load(Ordering::Acquire) < self.submitted)
        {
            // Unchecked signatures are not valid ones.
            return Some((
                Violation::new(
                    0,
                    crate::report::Rule::Signature,
                    crate::report::Cause::Unchecked,
                ),
                0,
            ));
        }
        bad
    }
}

/// Runs `walk` with a pool of `threads` workers checking the signatures it
/// submits. Returns what `walk` returned, and the bad signature with the
/// lowest seq (with its `at`), if any.
pub fn with_signature_pool<R>(
    threads: usize,
    walk: impl FnOnce(&mut Submit<'_>) -> R,
) -> (R, Option<(Violation, u64)>) {
    let failed = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let alive = Arc::new(());
    let first_bad: Mutex<Option<(Violation, u64)>> = Mutex::new(None);
    let out = std::thread::scope(|scope| {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::sync_channel::<Vec<(SignatureJob, u64)>>(threads * 2);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..threads {
            let rx = Arc::clone(&rx);
            let (failed, done, first_bad) = (&failed, &done, &first_bad);
            let token = Arc::clone(&alive);
            scope.spawn(move || loop {
                let _alive = &token;
                let chunk = match rx.lock().map(|r| r.recv()) {
                    Ok(Ok(c)) => c,
                    _ => return,
                };
                let jobs: Vec<SignatureJob> = chunk.iter().map(|(j, _)| *j).collect();
                if let Err(v) = verify_all(&jobs) {
                    let at = chunk
                        .iter()
                        .find(|(j, _)| j.seq == v.seq)
                        .map_or(v.seq, |(_, at)| *at);
                    failed.store(true, Ordering::Relaxed);
                    if let Ok(mut best) = first_bad.lock() {
                        if best.as_ref().is_none_or(|(b, _)| v.seq < b.seq) {
                            *best = Some((v, at));
                        }
                    }
                }
                done.fetch_add(chunk.len() as u64, Ordering::Release);
            });
        }
        let mut submit = Submit {
            pending: Vec::with_capacity(CHUNK),
            tx: Some(tx),
            failed: &failed,
            submitted: 0,
            done: &done,
            first_bad: &first_bad,
            alive: &alive,
            workers_gone: false,
        };
        let out = walk(&mut submit);
        submit.flush();
        submit.tx = None;
        drop(submit);
        // The scope joins the workers: every chunk is checked after it.
        out
    });
    (out, first_bad.into_inner().ok().flatten())
}

/// Walks a whole chain: every rule of [`ChainVerifier`], signatures checked
/// on `threads` workers, and calls `progress` with the number of entries
/// walked from time to time. Returns the first violation by seq.
///
/// `entries` yields stored entry bytes in chain order; an `Err` from it
/// (a storage failure) stops the walk and is returned as is.
pub fn verify_chain<E, I>(
    entries: I,
    threads: usize,
    mut progress: impl FnMut(u64),
) -> Result<Result<Summary, Violation>, E>
where
    I: IntoIterator<Item = Result<Vec<u8>, E>>,
{
    let mut chain = ChainVerifier::new();
    let (walked, bad_signature) = with_signature_pool(threads, |submit| {
        for bytes in entries {
            let bytes = bytes?;
            match chain.push_deferred(&bytes) {
                Ok((_, job)) => submit.push(job, job.seq),
                Err(v) => return Ok(Some(v)),
            }
            if chain.len().is_multiple_of(CHUNK as u64) {
                progress(chain.len());
                if submit.failed() {
                    break;
                }
            }
        }
        Ok(None)
    });
    let structural = walked?;
    progress(chain.len());
    let first = match (structural, bad_signature.map(|(v, _)| v)) {
        (Some(a), Some(b)) => Some(if b.seq <= a.seq { b } else { a }),
        (a, b) => a.or(b),
    };
    Ok(match first {
        Some(v) => Err(v),
        None => chain.finish(),
    })
}
