//! `custody generate`: a realistic synthetic ledger, deterministically from a
//! seed, written through the real append path — so it is also the append
//! benchmark.
//!
//! The cases come from `custody_ledger::synthetic` (pure: seed → events and
//! keys). This command writes the keys beside the store, creates the ledger,
//! grants the investigators, and appends each investigator's cases in
//! batches of `--batch` entries, each batch one signed, atomic, fsynced
//! commit through `Ledger::append` — exactly what `custody append` does. Half
//! way through, the first investigator's key is revoked and a replacement
//! granted, as after a lost device. Corrections name their target by entry
//! hash, which exists only once the target is committed, so each is appended
//! in a batch after its target's.
//!
//! `occurred_at` is synthetic; `recorded_at` is the real clock. The cases are
//! reproducible from the seed, the entry hashes are not (they cover
//! `recorded_at`).

use crate::exit::{env, CmdResult, Failure};
use crate::output::{print_json, Context};
use crate::progress::Progress;
use clap::Args;
use custody_format::event::{Correction, Event, KeyGranted, KeyRevoked, Role};
use custody_ledger::keyfile::{self, SigningKey};
use custody_ledger::store::{Appended, Ledger};
use custody_ledger::synthetic::{KeyName, Model, Record, FIRST_INVESTIGATORS};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `custody generate`.
#[derive(Args)]
pub(crate) struct GenerateArgs {
    /// Number of persons (cases). About 10.7 entries each: 100000 persons
    /// make about 1.08 million entries.
    #[arg(long, value_name = "N")]
    persons: u64,
    /// The seed: the same seed and --persons give the same cases and keys.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// A new (or empty) directory: the store goes to DIR/ledger and the keys
    /// to DIR/keys (authority.pem, investigator-N.pem, mode 0600).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Entries per append batch (one durable commit each).
    #[arg(long, value_name = "ENTRIES", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    batch: u64,
}

#[cfg(test)]
impl GenerateArgs {
    /// `generate --persons N --seed S --out DIR`, for tests that need a
    /// realistic ledger in-process.
    pub(crate) fn for_test(persons: u64, seed: u64, out: PathBuf) -> GenerateArgs {
        GenerateArgs {
            persons,
            seed,
            out,
            batch: 5000,
        }
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> Failure {
    env(anyhow::anyhow!("generate: {what}: {e}"))
}

/// A correction waiting for its target's batch to be committed.
struct Pending {
    /// Position of the target in the batch being filled.
    target: usize,
    reason: String,
    replacement: Option<Event>,
}

/// One investigator's batch being filled, and the corrections that wait
/// for it.
#[derive(Default)]
struct Buffer {
    events: Vec<Event>,
    pending: Vec<Pending>,
    /// Corrections whose targets are committed, ready for the next batch.
    ready: Vec<Event>,
}

struct Writer {
    ledger: Ledger,
    investigators: Vec<SigningKey>,
    buffers: Vec<Buffer>,
    batch: usize,
    entries: u64,
    batches: u64,
    progress: Progress,
}

impl Writer {
    fn commit(&mut self, events: Vec<Event>, key: &SigningKey) -> Result<Vec<Appended>, Failure> {
        let n = events.len() as u64;
        let appended = self.ledger.append(events, key)?;
        self.entries += n;
        self.batches += 1;
        self.progress.set(self.entries);
        Ok(appended)
    }

    /// Commits investigator `i`'s batch; its pending corrections become
    /// ready for the next one.
    fn flush(&mut self, i: usize) -> Result<(), Failure> {
        let mut buf = std::mem::take(&mut self.buffers[i]);
        let mut events = std::mem::take(&mut buf.ready);
        let offset = events.len();
        events.append(&mut buf.events);
        if events.is_empty() {
            return Ok(());
        }
        let key = self.investigators[i].clone();
        let appended = self.commit(events, &key)?;
        for p in buf.pending {
            buf.ready.push(Event::Correction(Correction {
                target: appended[offset + p.target].hash,
                reason: p.reason.into(),
                replacement: p.replacement.map(Box::new),
            }));
        }
        buf.pending = Vec::new();
        self.buffers[i] = buf;
        Ok(())
    }

    fn add_case(&mut self, i: usize, records: Vec<Record>) -> Result<(), Failure> {
        let buf = &mut self.buffers[i];
        let first = buf.events.len();
        for r in records {
            match r {
                Record::Event(e) => buf.events.push(e),
                Record::Correction {
                    target,
                    reason,
                    replacement,
                } => buf.pending.push(Pending {
                    target: first + target,
                    reason,
                    replacement,
                }),
            }
        }
        if buf.ready.len() + buf.events.len() >= self.batch {
            self.flush(i)?;
        }
        Ok(())
    }
}

fn write_keys(dir: &Path, model: &Model) -> Result<(SigningKey, Vec<SigningKey>), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| fail(&dir.display().to_string(), e))?;
    let authority = model.key(KeyName::Authority);
    keyfile::write_signing_key(&dir.join("authority.pem"), &authority).map_err(env)?;
    let mut investigators = Vec::new();
    for n in 0..model.investigators() {
        let k = model.key(KeyName::Investigator(n));
        keyfile::write_signing_key(&dir.join(format!("investigator-{n}.pem")), &k).map_err(env)?;
        investigators.push(k);
    }
    Ok((authority, investigators))
}

fn grant(key: &SigningKey, n: usize) -> Event {
    Event::KeyGranted(KeyGranted {
        public_key: keyfile::public_key_of(key),
        role: Role::Investigator,
        holder: format!("Field team {}", n + 1),
    })
}

/// Runs `generate`.
pub(crate) fn run(ctx: &Context, args: GenerateArgs) -> CmdResult {
    if args.out.exists()
        && std::fs::read_dir(&args.out)
            .map_err(|e| fail(&args.out.display().to_string(), e))?
            .next()
            .is_some()
    {
        return Err(env(anyhow::anyhow!(
            "{} is not empty; generate writes a new ledger and keys into a new or empty directory",
            args.out.display()
        )));
    }
    let model = Model::new(args.seed, args.persons);
    let (authority, investigators) = write_keys(&args.out.join("keys"), &model)?;
    let store = args.out.join("ledger");
    let started = Instant::now();
    let (mut ledger, _) = Ledger::create(
        &store,
        &format!("synthetic.custody/seed-{}", args.seed),
        "Synthetic authority",
        &authority,
    )?;
    ledger.append(
        (0..FIRST_INVESTIGATORS)
            .map(|n| grant(&investigators[n], n))
            .collect(),
        &authority,
    )?;
    // The bar counts entries; its total is the model's average, refined as
    // cases are generated.
    let progress = Progress::new(
        ctx,
        Some((args.persons as f64 * 10.7) as u64),
        "entries",
        "generate",
    );
    let mut w = Writer {
        ledger,
        buffers: (0..investigators.len())
            .map(|_| Buffer::default())
            .collect(),
        investigators,
        batch: args.batch as usize,
        entries: 0,
        batches: 0,
        progress,
    };
    let mut planned = 0u64;
    for index in 0..args.persons {
        if index == model.revocation_at() && index > 0 {
            // The first team's device is lost: commit what it signed, revoke
            // its key, and hand its corrections and cases to a new key.
            w.flush(0)?;
            let ready = std::mem::take(&mut w.buffers[0].ready);
            w.buffers[FIRST_INVESTIGATORS].ready.extend(ready);
            let revoked = keyfile::public_key_of(&w.investigators[0]);
            let replacement = grant(&w.investigators[FIRST_INVESTIGATORS], FIRST_INVESTIGATORS);
            w.commit(
                vec![
                    Event::KeyRevoked(KeyRevoked {
                        public_key: revoked,
                        reason: "device lost in the field".into(),
                    }),
                    replacement,
                ],
                &authority,
            )?;
        }
        let case = model.case(index);
        planned += case.records.len() as u64;
        w.add_case(case.investigator, case.records)?;
        if index % 1024 == 1023 {
            let estimate = planned as f64 / (index + 1) as f64 * args.persons as f64;
            w.progress.set_total(estimate as u64 + 2);
        }
    }
    // Commit what is left, then the corrections that waited for it.
    for _ in 0..2 {
        for i in 0..w.buffers.len() {
            w.flush(i)?;
        }
    }
    w.progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let total = w.ledger.len();
    let head_hash = w.ledger.head().hash;
    // The file's size once closed: a close trims free space from its end.
    let bytes = w.ledger.close()?;
    let rate = w.entries as f64 / elapsed.max(1e-9);
    if ctx.json {
        print_json(&json!({
            "persons": args.persons, "seed": args.seed, "entries": total,
            "appended_entries": w.entries, "batches": w.batches, "seconds": elapsed,
            "entries_per_second": rate, "store_bytes": bytes,
            "bytes_per_entry": bytes as f64 / total as f64,
            "store": store, "keys": args.out.join("keys"), "head_hash": head_hash,
        }));
    } else {
        println!(
            "generated {} persons, {total} entries in {} batches",
            args.persons, w.batches
        );
        println!("time:    {elapsed:.1} s, {rate:.0} entries/s (signed, fsynced batches)");
        println!(
            "store:   {} ({:.1} MB, {:.0} bytes/entry)",
            crate::escape::path(&store),
            bytes as f64 / 1e6,
            bytes as f64 / total as f64
        );
        println!(
            "keys:    {} (authority.pem, investigator-0..{}.pem{})",
            crate::escape::path(&args.out.join("keys")),
            model.investigators() - 1,
            if model.revocation_at() > 0 {
                "; investigator-0 revoked half-way, investigator-5 in its place"
            } else {
                "; investigator-5 unused below 2 persons"
            }
        );
    }
    Ok(())
}
