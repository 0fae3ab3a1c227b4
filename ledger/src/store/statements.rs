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
use custody_format::statement::{SignedStatement, StatementId};
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
    /// The statement id and author signature verified (strictly) when it
    /// was read: the writer, which registers statements one after another
    /// on one thread, does not verify them again if the statement still
    /// carries exactly these (the check costs more than the rest of a
    /// registration). The fields are public; this cannot be made to vouch
    /// for another statement put in their place.
    author_verified: Option<(StatementId, [u8; 64])>,
}

impl Submitted {
    /// A statement whose signature the writer will verify.
    pub fn new(statement: SignedStatement, disclosures: Vec<Disclosure>) -> Submitted {
        Submitted {
            statement,
            disclosures,
            author_verified: None,
        }
    }

    /// A statement whose signature is verified now, on the caller's thread
    /// (so that many submitters verify in parallel, not the one writer).
    pub fn verified(
        statement: SignedStatement,
        disclosures: Vec<Disclosure>,
    ) -> Result<Submitted, custody_format::statement::StatementSignatureError> {
        statement.verify()?;
        Ok(Submitted {
            author_verified: Some((statement.id(), statement.signature())),
            statement,
            disclosures,
        })
    }
}

impl From<crate::statement_line::ReadStatement> for Submitted {
    /// A statement line as read: its signature was verified by the reader.
    fn from(r: crate::statement_line::ReadStatement) -> Submitted {
        Submitted {
            author_verified: Some(r.verified()),
            statement: r.statement,
            disclosures: r.disclosures,
        }
    }
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
        for (index, s) in statements.into_iter().enumerate() {
            // A refusal names the statement's place in the input (repeats
            // take no entry, so the batch's count would not).
            let p = self
                .push_statement(&mut batch, s, key, now)
                .map_err(|e| match e {
                    AppendError::Refused { reason, .. } => AppendError::Refused { index, reason },
                    other => other,
                })?;
            placed.push(p);
        }
        let appended = batch.commit(self)?;
        Ok(placed
            .into_iter()
            .map(|p| p.registered(&appended))
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
            author_verified,
        } = s;
        // Skipped only for exactly the statement that was verified.
        let skip_signature = author_verified == Some((statement.id(), statement.signature()));
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
        // Verified already, off this thread: the rules skip that one check
        // for this entry only.
        if skip_signature {
            batch.rules.defer_statement_signatures();
        }
        let pushed = self.push_event(batch, event, key, now);
        batch.rules.resume_statement_signatures();
        pushed?;
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

impl Placed {
    /// Where it is, once the batch is committed as `appended`.
    pub(super) fn registered(self, appended: &[Appended]) -> Registered {
        match self {
            Placed::New(i) => Registered {
                entry: appended[i],
                existing: false,
            },
            Placed::Existing(entry) => Registered {
                entry,
                existing: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{commit_fresh, event_from_value};
    use crate::keyfile::public_key_of;
    use custody_format::commit::DisclosedValue;
    use custody_format::event::{KeyGranted, Role};
    use custody_format::statement::{Nonce, StatementBody, STATEMENT_VERSION};
    use serde_json::json;

    fn grant(key: &SigningKey, role: Role) -> Event {
        Event::KeyGranted(KeyGranted {
            public_key: public_key_of(key),
            role,
            holder: format!("{role:?}"),
        })
    }

    /// A statement by `author` about a capture in Mariupol, with its
    /// disclosures.
    fn statement(author: &SigningKey, ledger: &str, nonce: u8) -> Submitted {
        let mut event = event_from_value(json!({
            "type": "capture", "person": "P-1", "occurred_at": "2022-05-17",
            "place": "Mariupol", "notes": "seen by a neighbour"
        }))
        .unwrap();
        let disclosures = commit_fresh(&mut event).unwrap();
        let body = StatementBody {
            version: STATEMENT_VERSION,
            ledger: ledger.into(),
            author: public_key_of(author),
            signed_at: Timestamp(1_700_000_000_000_000),
            nonce: Nonce([nonce; 16]),
            event: Box::new(event),
        };
        Submitted::new(SignedStatement::sign(body, author).unwrap(), disclosures)
    }

    #[test]
    fn a_statement_is_registered_once_and_its_disclosures_kept() {
        let dir = tempfile::tempdir().unwrap();
        let authority = SigningKey::from_bytes(&[1; 32]);
        let author = SigningKey::from_bytes(&[2; 32]);
        let registrar = SigningKey::from_bytes(&[3; 32]);
        let (mut l, _) = Ledger::create(&dir.path().join("l"), "t", "A", &authority).unwrap();
        l.append(
            vec![
                grant(&author, Role::Investigator),
                grant(&registrar, Role::Registrar),
            ],
            &authority,
        )
        .unwrap();
        let s = statement(&author, "t", 1);
        // Registered blind first (no disclosures), then again with them:
        // one entry, and the disclosures arrive with the repeat.
        let blind = Submitted::new(s.statement.clone(), vec![]);
        let first = l.append_statements(vec![blind], &registrar).unwrap();
        assert!(!first[0].existing);
        assert!(l.disclosures(first[0].entry.seq).unwrap().is_empty());
        let head = l.head();
        let again = l.append_statements(vec![s.clone()], &registrar).unwrap();
        assert_eq!(again[0].entry, first[0].entry);
        assert!(again[0].existing);
        assert_eq!(l.head().seq, head.seq, "nothing appended for a repeat");
        assert_eq!(l.disclosures(first[0].entry.seq).unwrap(), s.disclosures);
        // Twice in one batch: one entry.
        let t = statement(&author, "t", 2);
        let both = l.append_statements(vec![t.clone(), t], &registrar).unwrap();
        assert_eq!(both[0].entry, both[1].entry);
        assert!(!both[0].existing && both[1].existing);
        // The status reads the disclosed place.
        let st = l
            .person_status(
                &custody_format::event::PersonId::new("P-1").unwrap(),
                None,
                None,
                crate::clock::now(),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            st.last_known_place.unwrap().place.as_deref(),
            Some("Mariupol")
        );
        assert!(l.check_derived(|_| ()).unwrap().is_clean());
    }

    /// Over more commits than two merges of the id log: every entry hash
    /// and statement id is found, by this handle and by a reader that
    /// opens the store afresh (and so reads the log from disk), in the log
    /// or in its table, never both (the check counts them); the log never
    /// reaches `MERGE_EVERY` rows, and a merge empties it; a statement
    /// submitted again gets its first entry back whichever place holds
    /// its id; a hash prefix finds the same entries as a scan of the chain.
    #[test]
    fn the_id_log_is_merged_and_every_reader_agrees() {
        use super::super::map::MERGE_EVERY;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let authority = SigningKey::from_bytes(&[1; 32]);
        let author = SigningKey::from_bytes(&[2; 32]);
        let registrar = SigningKey::from_bytes(&[3; 32]);
        let (mut l, _) = Ledger::create(&path, "t", "A", &authority).unwrap();
        l.append(
            vec![
                grant(&author, Role::Investigator),
                grant(&registrar, Role::Registrar),
            ],
            &authority,
        )
        .unwrap();
        let mut sent = Vec::new();
        let mut submitted = Vec::new();
        let mut merges = 0;
        for i in 0..(2 * MERGE_EVERY + 3) {
            let s = statement(&author, "t", i as u8);
            let r = l.append_statements(vec![s.clone()], &registrar).unwrap();
            sent.push((s.statement.id(), r[0].entry.seq));
            submitted.push(s);
            let (logged, rows) = l.logged_ids().unwrap();
            assert!(rows < MERGE_EVERY, "commit {i}: {rows} log rows");
            if rows == 0 {
                merges += 1;
                assert!(logged.is_empty());
            }
            let report = l.check_derived(|_| ()).unwrap();
            assert!(report.is_clean(), "commit {i}: {report:?}");
            let reader = Ledger::open_read_only(&path).unwrap();
            for (id, seq) in &sent {
                assert_eq!(reader.statement_seq(id).unwrap(), Some(*seq), "commit {i}");
                assert_eq!(l.statement_seq(id).unwrap(), Some(*seq), "commit {i}");
            }
            let mut by_prefix = std::collections::BTreeMap::new();
            for seq in 0..=l.head().seq {
                let hash = l.entry(seq).unwrap().unwrap().hash();
                assert_eq!(reader.seq_of(&hash).unwrap(), Some(seq), "commit {i}");
                if hash.to_hex().starts_with('a') {
                    by_prefix.insert(hash.0, seq);
                }
            }
            let want: Vec<_> = by_prefix
                .iter()
                .map(|(h, s)| (*s, custody_format::event::EntryHash(*h)))
                .collect();
            assert_eq!(reader.hashes_with_prefix("a", 100).unwrap(), want);
            assert_eq!(
                reader.hashes_with_prefix("A", 1).unwrap(),
                want[..want.len().min(1)]
            );
        }
        assert_eq!(merges, 2);
        // The first statement's id was merged into its table long ago, the
        // last is in the log: each, submitted again, is the same entry.
        let head = l.head();
        for i in [0, sent.len() - 1] {
            let seq = sent[i].1;
            let again = l
                .append_statements(vec![submitted[i].clone()], &registrar)
                .unwrap();
            assert!(again[0].existing);
            assert_eq!(again[0].entry.seq, seq);
        }
        assert_eq!(l.head(), head, "nothing appended for a repeat");
    }

    #[test]
    fn a_group_answers_a_retry_with_its_entry_under_a_checkpoint_that_covers_it() {
        use crate::store::Submission;
        let dir = tempfile::tempdir().unwrap();
        let authority = SigningKey::from_bytes(&[1; 32]);
        let author = SigningKey::from_bytes(&[2; 32]);
        let registrar = SigningKey::from_bytes(&[3; 32]);
        let (mut l, _) = Ledger::create(&dir.path().join("l"), "t", "A", &authority).unwrap();
        l.append(
            vec![
                grant(&author, Role::Investigator),
                grant(&registrar, Role::Registrar),
            ],
            &authority,
        )
        .unwrap();
        let s = statement(&author, "t", 1);
        let first = l
            .append_group(vec![Submission::Statement(s.clone())], &registrar)
            .unwrap();
        let entry = first.outcomes[0].as_ref().unwrap().entry;
        let (cp, _) = first.checkpoint.clone().unwrap();
        let head = l.head();
        // The retry: the same entry, the same checkpoint, nothing appended.
        let retry = l
            .append_group(vec![Submission::Statement(s)], &registrar)
            .unwrap();
        let again = retry.outcomes[0].as_ref().unwrap();
        assert!(again.existing);
        assert_eq!(again.entry, entry);
        assert_eq!(retry.checkpoint.unwrap().0, cp);
        assert_eq!(l.head(), head);
    }

    /// A statement whose signature nobody verified yet is verified by the
    /// writer; one that claims to be verified can only be made by
    /// verifying it.
    #[test]
    fn a_forged_author_signature_is_refused_whichever_way_it_comes() {
        let dir = tempfile::tempdir().unwrap();
        let authority = SigningKey::from_bytes(&[1; 32]);
        let author = SigningKey::from_bytes(&[2; 32]);
        let (mut l, _) = Ledger::create(&dir.path().join("l"), "t", "A", &authority).unwrap();
        l.append(vec![grant(&author, Role::Investigator)], &authority)
            .unwrap();
        let good = statement(&author, "t", 1);
        let mut bytes = good.statement.to_bytes();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let forged = SignedStatement::decode(&bytes).unwrap();
        assert!(Submitted::verified(forged.clone(), vec![]).is_err());
        // Verified, then another statement put in its place: the writer
        // verifies that one.
        let mut swapped = Submitted::verified(good.statement.clone(), vec![]).unwrap();
        swapped.statement = forged.clone();
        assert!(l.append_statements(vec![swapped], &author).is_err());
        let head = l.head();
        let e = l
            .append_statements(vec![Submitted::new(forged, vec![])], &author)
            .unwrap_err();
        assert!(e.to_string().contains("signature"), "{e}");
        assert_eq!(l.head(), head);
        // The good one, verified beforehand, goes in; the next statement,
        // not verified beforehand, is still checked by the writer.
        let verified = Submitted::verified(good.statement, good.disclosures).unwrap();
        l.append_statements(vec![verified], &author).unwrap();
        let mut bytes = statement(&author, "t", 2).statement.to_bytes();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let forged = SignedStatement::decode(&bytes).unwrap();
        assert!(l
            .append_statements(vec![Submitted::new(forged, vec![])], &author)
            .is_err());
    }

    /// A correction signed in the field retracts its target, whether the
    /// statuses are folded at the append or rebuilt from the chain.
    #[test]
    fn a_statement_that_corrects_counts_in_a_rebuild_as_at_the_append() {
        let dir = tempfile::tempdir().unwrap();
        let authority = SigningKey::from_bytes(&[1; 32]);
        let author = SigningKey::from_bytes(&[2; 32]);
        let (mut l, _) = Ledger::create(&dir.path().join("l"), "t", "A", &authority).unwrap();
        l.append(vec![grant(&author, Role::Investigator)], &authority)
            .unwrap();
        let capture = l
            .append_statements(vec![statement(&author, "t", 1)], &author)
            .unwrap()[0]
            .entry;
        let mut retract = event_from_value(json!({
            "type": "correction", "target": capture.hash.to_hex(), "reason": "another man"
        }))
        .unwrap();
        let disclosures = commit_fresh(&mut retract).unwrap();
        let body = StatementBody {
            version: STATEMENT_VERSION,
            ledger: "t".into(),
            author: public_key_of(&author),
            signed_at: Timestamp(1_700_000_000_000_000),
            nonce: Nonce([9; 16]),
            event: Box::new(retract),
        };
        let s = Submitted::new(SignedStatement::sign(body, &author).unwrap(), disclosures);
        l.append_statements(vec![s], &author).unwrap();
        let p1 = custody_format::event::PersonId::new("P-1").unwrap();
        let now = crate::clock::now();
        assert!(l.person_status(&p1, None, None, now).unwrap().is_none());
        l.rebuild_projections(|_| {}).unwrap();
        assert!(l.person_status(&p1, None, None, now).unwrap().is_none());
        assert!(l.check_derived(|_| ()).unwrap().is_clean());
    }

    #[test]
    fn a_forged_disclosure_or_another_ledgers_statement_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let authority = SigningKey::from_bytes(&[1; 32]);
        let author = SigningKey::from_bytes(&[2; 32]);
        let (mut l, _) = Ledger::create(&dir.path().join("l"), "t", "A", &authority).unwrap();
        l.append(vec![grant(&author, Role::Investigator)], &authority)
            .unwrap();
        let head = l.head();
        let mut forged = statement(&author, "t", 1);
        forged.disclosures[0].value = DisclosedValue::Text("Donetsk".into());
        let e = l
            .append_statements(vec![statement(&author, "t", 2), forged], &author)
            .unwrap_err();
        assert!(matches!(
            e,
            AppendError::Refused {
                index: 1,
                reason: Refusal::Disclosure(_)
            }
        ));
        let other = l.append_statements(vec![statement(&author, "elsewhere", 3)], &author);
        assert!(other.is_err(), "a statement for another ledger");
        assert_eq!(l.head(), head);
    }
}
