//! One durable commit for many independent submissions, closed by a
//! checkpoint: what a server that sequences evidence for many submitters
//! (`custody serve`, issue 13) writes each time it commits.
//!
//! [`Ledger::append`] is all or nothing: one refused event refuses the
//! batch, which is right for one investigator's file. Submissions from
//! different people are independent: one bad statement must not cost the
//! others their place, and each submitter needs its own answer.
//! [`Ledger::append_group`] checks each event against the chain *and the
//! events accepted before it in the same group* (a second correction of one
//! target in the group is refused, as it would be in two appends); a refused
//! event takes no seq and leaves the group as it was (`rules::ChainRules::check`
//! changes nothing, and nothing is pushed until it passes). The accepted
//! events are followed by a seal and a checkpoint of the whole ledger, all
//! in one commit, so every accepted event can be answered at once with an
//! inclusion proof against a signed note (a receipt), with one fsync for
//! the whole group.

use super::backend::{CommitHandle, Pending};
use super::batch::Batch;
use super::error::{AppendError, Refusal};
use super::statements::{Placed, Registered, Submitted};
use super::{Appended, Head, Ledger, StoreError};
use crate::keyfile::public_key_of;
use crate::merkle;
use custody_format::event::{Checkpoint, Event, Seal, Sha256Digest, SignatureBytes};
use custody_format::rules::ChainRules;
use custody_format::time::Timestamp;
use ed25519_dalek::SigningKey;
use std::sync::Arc;

/// A ledger's head and chain rules: all of its state that a commit moves
/// ([`Ledger::state`]).
pub(crate) type LedgerState = (Head, ChainRules);

/// One submission to a group commit: an event to sign, or a statement
/// signed by its author to register (format v3).
#[derive(Clone, Debug)]
pub enum Submission {
    /// An event, signed by the committer.
    Event(Event),
    /// A signed statement with its disclosures.
    Statement(Submitted),
}

/// What a group commit did.
#[derive(Debug)]
pub struct GroupCommit {
    /// One per submission, in the order given: its entry (a statement
    /// already in the chain gets its entry back, `existing`), or why it was
    /// refused.
    pub outcomes: Vec<Result<Registered, Refusal>>,
    /// The checkpoint that covers every accepted submission (its entry and
    /// its signed C2SP note): the one committed after them, or, when every
    /// one was already in the chain, the latest if it covers them. `None`
    /// when none was accepted, in which case nothing was written.
    pub checkpoint: Option<(Appended, String)>,
}

impl GroupCommit {
    /// The tree size the checkpoint states (its own seq: it covers every
    /// entry before it, the seal included).
    pub fn tree_size(&self) -> Option<u64> {
        self.checkpoint.as_ref().map(|(a, _)| a.seq)
    }
}

impl Ledger {
    /// Appends each of `submissions` that the chain rules accept, signed by
    /// `key`, then a seal and a checkpoint (which `key` must be allowed to
    /// sign), in one durable commit. A refused submission is reported in
    /// its place and the others go on; a statement already in the chain
    /// (or earlier in the group) is answered with its entry and appended
    /// again never. A failure of the store or of the seal or checkpoint (a
    /// key that may not sign them) refuses the whole group and writes
    /// nothing.
    pub fn append_group(
        &mut self,
        submissions: Vec<Submission>,
        key: &SigningKey,
    ) -> Result<GroupCommit, AppendError> {
        self.group(submissions, key, |ledger, batch| batch.commit(ledger))
    }

    /// [`Ledger::append_group`], with the commit left under way: the
    /// group's writes are returned to be committed on another thread
    /// (`backend::CommitHandle`), and until then this ledger's reads see
    /// them pending over the store, and its head and rules are the
    /// group's; the writes are returned even when the group fails after
    /// they were left pending. Nothing of the group may be acknowledged before that
    /// commit is on disk; if it fails, [`Ledger::abandon_pending`] puts
    /// the ledger back as it was before it.
    pub(crate) fn append_group_pending(
        &mut self,
        submissions: Vec<Submission>,
        key: &SigningKey,
    ) -> (Result<GroupCommit, AppendError>, Option<Arc<Pending>>) {
        let mut writes = None;
        let done = self.group(submissions, key, |ledger, batch| {
            let finished = batch.finish(ledger)?;
            if let Some(w) = finished.writes {
                match Pending::of(w) {
                    Ok(p) => {
                        let p = Arc::new(p);
                        ledger.backend.push_pending(p.clone());
                        writes = Some(p);
                    }
                    // A group never clears a tree (only a rebuild does);
                    // were one to, it must not be left under way beside
                    // another commit: refused, nothing pending.
                    // (`finished.logs` forgets the logs kept in step.)
                    Err(_) => {
                        return Err(StoreError::io(
                            &ledger.dir,
                            std::io::Error::other(
                                "a group commit would clear a table; nothing was written",
                            ),
                        ));
                    }
                }
            }
            if let Some(state) = finished.state {
                ledger.set_state(state);
            }
            // Under way: a failure of its commit is `abandon_pending`'s.
            finished.logs.settled();
            Ok(finished.appended)
        });
        // Writes left pending are returned even when the group then failed
        // (as `append_group` would have committed them): they are what
        // this ledger's reads now see.
        (done, writes)
    }

    /// The ledger's head and rules: what [`Ledger::abandon_pending`] puts
    /// back.
    pub(crate) fn state(&self) -> LedgerState {
        (self.head, self.rules.clone())
    }

    /// Moves the ledger's head and rules to `state`: after a commit, or
    /// back after a failed one.
    pub(super) fn set_state(&mut self, (head, rules): LedgerState) {
        self.head = head;
        self.rules = rules;
    }

    /// Forgets every commit left under way ([`Ledger::append_group_pending`])
    /// after one of them failed, and puts back the head and rules of
    /// `before`, the state before the failed one.
    pub(crate) fn abandon_pending(&mut self, before: LedgerState) {
        self.backend.forget_pending();
        // The node log was kept in step with the commits abandoned.
        self.forget_logs();
        self.set_state(before);
    }

    /// The first pending commit is on disk: reads see the store's rows.
    pub(crate) fn commit_done(&self) {
        self.backend.pop_pending();
    }

    /// A handle that commits this ledger's pending writes from another
    /// thread; `None` when it is not open to write.
    pub(crate) fn commit_handle(&self) -> Option<CommitHandle> {
        self.backend.commit_handle()
    }

    /// The body of [`Ledger::append_group`], committing with `commit`.
    fn group(
        &mut self,
        submissions: Vec<Submission>,
        key: &SigningKey,
        commit: impl FnOnce(&mut Ledger, Batch) -> Result<Vec<Appended>, StoreError>,
    ) -> Result<GroupCommit, AppendError> {
        let now = self.clock()?;
        let mut batch = Batch::new(self, false);
        let mut placed: Vec<Result<Placed, Refusal>> = Vec::with_capacity(submissions.len());
        let committer = public_key_of(key);
        for submission in submissions {
            let position = batch.entries.len();
            let result = match submission {
                // Accepted, it would leave the group without a key to seal it.
                Submission::Event(Event::KeyRevoked(r)) if r.public_key == committer => {
                    placed.push(Err(Refusal::RevokesCommitter));
                    continue;
                }
                Submission::Event(event) => self
                    .push_event(&mut batch, event, key, now)
                    .map(|()| Placed::New(position)),
                Submission::Statement(s) => self.push_statement(&mut batch, s, key, now),
            };
            match result {
                Ok(p) => placed.push(Ok(p)),
                Err(AppendError::Refused { reason, .. }) => placed.push(Err(reason)),
                Err(e) => return Err(e),
            }
        }
        let existing_only = batch.entries.is_empty();
        let covered = match (existing_only, self.latest_checkpoint()?) {
            (true, Some(cp)) => placed
                .iter()
                .flatten()
                .all(|p| matches!(p, Placed::Existing(a) if a.seq < cp.size))
                .then_some(cp),
            _ => None,
        };
        if !placed.iter().any(Result::is_ok) || covered.is_some() {
            // Nothing new to commit (but disclosures a repeat brought).
            commit(self, batch)?;
            let checkpoint = match covered {
                Some(cp) => Some((self.appended_at(cp.seq)?, cp.note)),
                None => None,
            };
            return Ok(GroupCommit {
                outcomes: placed
                    .into_iter()
                    .map(|p| p.map(|p| p.registered(&[])))
                    .collect(),
                checkpoint,
            });
        }
        let note = self.push_seal_and_checkpoint(&mut batch, key, now)?;
        let appended = commit(self, batch)?;
        let outcomes = placed
            .into_iter()
            .map(|p| p.map(|p| p.registered(&appended)))
            .collect();
        let checkpoint = *appended.last().expect("the checkpoint was pushed");
        Ok(GroupCommit {
            outcomes,
            checkpoint: Some((checkpoint, note)),
        })
    }

    /// The seq and hash of the entry at `seq`.
    fn appended_at(&self, seq: u64) -> Result<Appended, StoreError> {
        let e = self
            .entry(seq)?
            .ok_or_else(|| StoreError::Range(format!("no entry {seq}")))?;
        Ok(Appended {
            seq,
            hash: e.hash(),
        })
    }

    /// Pushes a seal and a signed checkpoint of everything before them (the
    /// chain and the batch so far) onto `batch`, and returns the note. The
    /// seal states the person map's root and the governance stream's length
    /// and head over every entry before it; the checkpoint, the entry after
    /// it, covers every entry before it, the seal included.
    pub(super) fn push_seal_and_checkpoint(
        &self,
        batch: &mut Batch,
        key: &SigningKey,
        now: Timestamp,
    ) -> Result<String, AppendError> {
        let facts = batch.seal_facts(self)?.ok_or_else(|| StoreError::Damaged {
            dir: self.dir.clone(),
            detail: "it has no governance stream (not even its genesis)".into(),
        })?;
        let seal = Event::Seal(Seal {
            map_root: Sha256Digest(facts.map_root),
            gov_count: facts.gov_count,
            gov_head: facts.gov_head,
        });
        self.push_event(batch, seal, key, now)?;
        let size = batch.rules.next_seq();
        let root = merkle::root(&batch.nodes(self), size)?;
        let name = self.name().to_string();
        let text = custody_format::note::note_text(&name, size, &root);
        let signature = custody_format::note::sign_text(&text, key);
        let event = Event::Checkpoint(Checkpoint {
            tree_size: size,
            root_hash: Sha256Digest(root),
            note_signature: SignatureBytes(signature),
        });
        self.push_event(batch, event, key, now)?;
        let public = public_key_of(key).0;
        Ok(custody_format::note::signed_note(
            &text, &name, &public, &signature,
        ))
    }
}
