//! Registering signed statements (format v3, design §4): evidence an
//! investigator signed in the field, carried into the chain by whoever
//! appends it (`custody append --signed`, `custody serve`).
//!
//! A statement's identity is the digest its author signed. The chain holds
//! each at most once (rule `duplicate_statement`), so a statement submitted
//! again — a retry over a flaky network, a file handed in twice — is
//! answered with the entry that already registered it, never appended a
//! second time; disclosures that come with the repeat and open its
//! commitments are kept if the store lacked them (an entry registered
//! blind, then disclosed).

use super::batch::Batch;
use super::error::{AppendError, Refusal};
use super::{Appended, Ledger};
use custody_format::commit::{check_disclosures, Disclosure};
use custody_format::entry::VERSION_3;
use custody_format::event::{Event, Statement};
use custody_format::statement::SignedStatement;
use custody_format::time::Timestamp;
use ed25519_dalek::SigningKey;

/// A statement with the disclosures submitted beside it.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The signed statement.
    pub statement: SignedStatement,
    /// The disclosures of its committed fields (any subset: none registers
    /// it blind).
    pub disclosures: Vec<Disclosure>,
}

/// Where a statement is in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registered {
    /// The entry that carries it.
    pub entry: Appended,
    /// True if an earlier submission registered it: nothing was appended
    /// for this one.
    pub existing: bool,
}

impl Ledger {
    /// Registers each statement as an entry signed by `key` (which must
    /// hold `registrar` or `investigator`), in one durable commit, or
    /// answers with the entry that already carries it. All or nothing: a
    /// refused statement (an author who may not author evidence, a
    /// disclosure that does not open its commitment, another ledger's
    /// statement) refuses the batch and writes nothing.
    pub fn append_statements(
        &mut self,
        statements: Vec<Submitted>,
        key: &SigningKey,
    ) -> Result<Vec<Registered>, AppendError> {
        let now = self.clock()?;
        let mut batch = Batch::new(self, false);
        let mut placed = Vec::with_capacity(statements.len());
        for s in statements {
            placed.push(self.push_statement(&mut batch, s, key, now)?);
        }
        let appended = batch.commit(self)?;
        Ok(placed
            .into_iter()
            .map(|p| match p {
                Placed::New(i) => Registered {
                    entry: appended[i],
                    existing: false,
                },
                Placed::Existing(entry) => Registered {
                    entry,
                    existing: true,
                },
            })
            .collect())
    }

    /// Pushes `s` onto `batch` as the next entry, or finds the entry that
    /// already carries it (in the store or the batch).
    pub(super) fn push_statement(
        &self,
        batch: &mut Batch,
        s: Submitted,
        key: &SigningKey,
        now: Timestamp,
    ) -> Result<Placed, AppendError> {
        let Submitted {
            statement,
            disclosures,
        } = s;
        let event = Event::Statement(Statement { statement });
        // Before anything else: cleartext that does not open the author's
        // commitments is never stored, whatever happens to the statement.
        check_disclosures(VERSION_3, &event, &disclosures, |_| None)
            .map_err(|e| batch.refused(Refusal::Disclosure(e)))?;
        let Event::Statement(st) = &event else {
            unreachable!("built above")
        };
        if let Some(existing) = batch.statement_entry(self, &st.statement.id())? {
            batch.add_disclosures(self, existing.seq, disclosures)?;
            return Ok(Placed::Existing(existing));
        }
        let position = batch.entries.len();
        self.push_event(batch, event, key, now)?;
        let seq = batch.entries[position].seq();
        batch.add_disclosures(self, seq, disclosures)?;
        Ok(Placed::New(position))
    }
}

/// Where [`Ledger::push_statement`] put a statement.
pub(super) enum Placed {
    /// The batch's entry at this position.
    New(usize),
    /// An entry already in the chain, or earlier in the batch.
    Existing(Appended),
}
