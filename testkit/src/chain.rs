//! Chains of signed entries built without a store, entry by entry, and the
//! verifier's chain walk over them.

use crate::keys::{authority, investigator};
use crate::ledger::investigator_granted;
use custody_format::entry::{EntryBody, SignedEntry, GENESIS_PREV_HASH, VERSION_1};
use custody_format::event::{Correction, Event, Genesis};
use custody_format::time::Timestamp;
use custody_ledger::keyfile::{public_key_of, SigningKey};
use custody_verifier::{ChainVerifier, Violation};

/// A valid chain: genesis, a grant, then `events` signed by the
/// investigator, with corrections of earlier evidence where `correct` says.
pub fn build_chain(events: &[Event], correct: &[bool]) -> Vec<Vec<u8>> {
    let authority = authority();
    let investigator = investigator();
    let mut out = Vec::new();
    let mut prev = GENESIS_PREV_HASH;
    let mut evidence_hashes = Vec::new();
    let mut corrected = Vec::new();
    let mut push = |event: Event, k: &SigningKey, out: &mut Vec<Vec<u8>>| {
        let seq = out.len() as u64;
        let e = SignedEntry::sign(
            EntryBody {
                version: VERSION_1,
                links: vec![],
                seq,
                prev_hash: prev,
                recorded_at: Timestamp(1_700_000_000_000_000 + seq as i64),
                signer: public_key_of(k),
                event,
            },
            k,
        )
        .unwrap();
        prev = e.hash();
        out.push(e.into_bytes());
        prev
    };
    push(
        Event::Genesis(Genesis {
            ledger_name: "props".into(),
            authority_key: public_key_of(&authority),
            authority_holder: "A".into(),
        }),
        &authority,
        &mut out,
    );
    push(
        investigator_granted(&investigator, "I"),
        &authority,
        &mut out,
    );
    for (i, e) in events.iter().enumerate() {
        let h = push(e.clone(), &investigator, &mut out);
        evidence_hashes.push(h);
        // An entry is corrected at most once.
        if correct.get(i).copied().unwrap_or(false) && !corrected.contains(&(i / 2)) {
            corrected.push(i / 2);
            let target = evidence_hashes[i / 2];
            push(
                Event::Correction(Correction {
                    target,
                    reason: "test".into(),
                    replacement: None,
                }),
                &investigator,
                &mut out,
            );
        }
    }
    out
}

/// Walks `chain` with the verifier: its length, or the first violation.
pub fn verify(chain: &[Vec<u8>]) -> Result<u64, Violation> {
    let mut v = ChainVerifier::new();
    for e in chain {
        v.push(e)?;
    }
    v.finish().map(|s| s.length)
}
