//! The figures measured inside this process through `custody-ledger`:
//! those a whole command cannot show, because a process's start, open and
//! exit would swamp them (one-entry appends, warm lookups, one checkpoint,
//! inclusion proofs). Each opens the generated store, as `custody` would,
//! and closes it before the next spawned step.

use anyhow::{anyhow, Context as _, Result};
use custody_format::event::{Capture, Event, PersonId, Role};
use custody_format::time::OccurredAt;
use custody_ledger::keyfile::{self, SigningKey};
use custody_ledger::store::Ledger;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Small appends: latency of one entry, rate in batches of 100.
pub(crate) struct Appends {
    /// The ledger's length afterwards: the entries every later figure is
    /// divided by.
    pub entries: u64,
    /// Milliseconds of each of 200 one-entry durable appends, sorted.
    pub single_ms: Vec<f64>,
    /// Entries per second over 20 appends of 100 entries.
    pub batch100_per_s: f64,
}

/// 200 appends of one entry, then 20 of 100, each a durable commit, signed
/// by a still-active investigator key of the generated ledger.
pub(crate) fn small_appends(store: &Path, keys_dir: &Path) -> Result<Appends> {
    let mut ledger = Ledger::open(store)?;
    let key = active_investigator(&ledger, keys_dir)?;
    let mut single_ms = Vec::new();
    let mut n = 0u64;
    for _ in 0..200 {
        let t = Instant::now();
        ledger.append(vec![capture(n)], &key)?;
        single_ms.push(ms_since(t));
        n += 1;
    }
    single_ms.sort_by(f64::total_cmp);
    let t = Instant::now();
    for _ in 0..20 {
        ledger.append((0..100).map(|i| capture(n + i)).collect(), &key)?;
        n += 100;
    }
    let batch100_per_s = 2000.0 / t.elapsed().as_secs_f64();
    Ok(Appends {
        entries: ledger.len(),
        single_ms,
        batch100_per_s,
    })
}

/// Milliseconds of 1,000 warm `status` and 1,000 warm `history` lookups of
/// persons spread over the ledger, each sorted.
pub(crate) fn warm_lookups(store: &Path, persons: u64) -> Result<(Vec<f64>, Vec<f64>)> {
    let ledger = Ledger::open(store)?;
    let now = custody_ledger::clock::now();
    let mut status = Vec::new();
    let mut history = Vec::new();
    for i in 0..1000u64 {
        let id = format!("SYN-{:07}", (i * 7919) % persons.max(1));
        let p = PersonId::new(&id).map_err(|e| anyhow!("person id {id}: {e}"))?;
        let t = Instant::now();
        std::hint::black_box(ledger.person_status(&p, None, None, now)?);
        status.push(ms_since(t));
        let t = Instant::now();
        std::hint::black_box(ledger.person_entries(&p)?);
        history.push(ms_since(t));
    }
    status.sort_by(f64::total_cmp);
    history.sort_by(f64::total_cmp);
    Ok((status, history))
}

/// One checkpoint and 1,000 inclusion proofs.
pub(crate) struct Proofs {
    /// Milliseconds to issue one checkpoint (root, note, durable append).
    pub checkpoint_ms: f64,
    /// Milliseconds of each inclusion proof, sorted.
    pub proof_ms: Vec<f64>,
    /// The longest audit path, in hashes.
    pub max_hashes: usize,
}

/// Issues a checkpoint with the authority key, then times inclusion proofs
/// of entries spread over the ledger against its current size.
pub(crate) fn checkpoint_and_proofs(store: &Path, authority_pem: &Path) -> Result<Proofs> {
    let mut ledger = Ledger::open(store)?;
    let authority = keyfile::read_signing_key(authority_pem)
        .with_context(|| format!("reading {}", authority_pem.display()))?;
    let t = Instant::now();
    ledger.checkpoint(&authority)?;
    let checkpoint_ms = ms_since(t);
    let n = ledger.len();
    let mut proof_ms = Vec::new();
    let mut max_hashes = 0;
    for i in 0..1000u64 {
        let seq = (i * 104_729) % n;
        let t = Instant::now();
        let path = ledger.inclusion_proof(seq, n)?;
        proof_ms.push(ms_since(t));
        max_hashes = max_hashes.max(path.len());
    }
    proof_ms.sort_by(f64::total_cmp);
    Ok(Proofs {
        checkpoint_ms,
        proof_ms,
        max_hashes,
    })
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Finds an investigator key of the generated ledger that is still active
/// (`generate` revokes one half-way).
fn active_investigator(ledger: &Ledger, keys_dir: &Path) -> Result<SigningKey> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(keys_dir)
        .with_context(|| format!("reading {}", keys_dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    files.sort();
    for f in files {
        if let Ok(k) = keyfile::read_signing_key(&f) {
            let pk = keyfile::public_key_of(&k);
            if ledger
                .registry()
                .get(&pk)
                .is_some_and(|r| r.may(Role::Investigator))
            {
                return Ok(k);
            }
        }
    }
    Err(anyhow!(
        "no active investigator key in {}",
        keys_dir.display()
    ))
}

/// The entry the small appends write: one capture of a bench-only person.
fn capture(n: u64) -> Event {
    Event::Capture(Capture {
        person: PersonId::new(&format!("BENCH-{n:08}")).expect("a valid person id"),
        occurred_at: OccurredAt::Day {
            year: 2024,
            month: 1,
            day: 1,
        },
        place: Some("Bench".into()),
        circumstances: None,
        category: None,
        notes: None,
        attachments: vec![],
        witnesses: None,
    })
}
