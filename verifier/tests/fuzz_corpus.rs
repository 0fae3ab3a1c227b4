//! Replays the fuzzing corpus (`fuzz/corpus/<target>/`) through the same
//! entry points as the cargo-fuzz targets, on stable Rust, in every
//! `cargo test`: none may panic, every `valid-*` seed must be accepted and
//! every `bad-*` seed refused. Then a short, seeded random-mutation smoke
//! (bit flips, cuts, splices, byte runs) of every seed, so CI exercises the
//! parsers a little beyond the corpus even without a fuzzer.

use custody_verifier::harness;
use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};

type Target = fn(&[u8]) -> bool;

const TARGETS: [(&str, Target); 3] = [
    ("event_json", custody_ledger::harness::event_json),
    ("entry_decode", harness::entry_decode),
    ("export_verify", harness::export_verify),
];

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| f.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{target}: too few seeds");
    files
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, data)
        })
        .collect()
}

#[test]
fn every_corpus_file_replays_without_panic_and_as_labelled() {
    for (target, run) in TARGETS {
        for (path, data) in corpus(target) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let accepted = run(&data);
            if name.starts_with("valid-") {
                assert!(accepted, "{target}/{name} should be accepted");
            } else if name.starts_with("bad-") {
                assert!(!accepted, "{target}/{name} should be refused");
            }
        }
    }
}

fn mutate(rng: &mut rand_chacha::ChaCha8Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = d.len();
        match rng.random_range(0..6) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                d[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => d.truncate(rng.random_range(0..len)),
            2 => {
                let at = rng.random_range(0..=len);
                let b: u8 = rng.random();
                let n = rng.random_range(1..64);
                d.splice(at..at, std::iter::repeat_n(b, n));
            }
            3 if !other.is_empty() => {
                // Splice in a piece of another seed.
                let from = rng.random_range(0..other.len());
                let to = (from + rng.random_range(1..256)).min(other.len());
                let at = rng.random_range(0..=len);
                d.splice(at..at, other[from..to].iter().copied());
            }
            4 if len > 1 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..len);
                d.drain(a..b);
            }
            _ => {
                let at = rng.random_range(0..=len);
                let tokens: [&[u8]; 8] = [
                    b"{", b"}", b"[", b"\"", b"\n", b"\\u0000", b"1e999", b"\xff",
                ];
                let t = tokens[rng.random_range(0..tokens.len())];
                d.splice(at..at, t.iter().copied());
            }
        }
    }
    d
}

#[test]
fn random_mutations_of_the_corpus_never_panic() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x00C0_5700_D1E5);
    for (target, run) in TARGETS {
        let seeds = corpus(target);
        // A budget in bytes keeps the large export seeds from dominating.
        let mut budget: usize = 40_000_000;
        let mut cases = 0;
        while budget > 0 && cases < 5_000 {
            let (_, seed) = &seeds[rng.random_range(0..seeds.len())];
            let (_, other) = &seeds[rng.random_range(0..seeds.len())];
            let input = mutate(&mut rng, seed, other);
            budget = budget.saturating_sub(input.len().max(1000));
            let _ = run(&input);
            cases += 1;
        }
    }
}
