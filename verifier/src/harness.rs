//! Entry points for fuzzing: each parser of untrusted bytes the verifier
//! has, with the properties that must hold for whatever it accepts. (The
//! JSON input parser of `custody append` is the store's, and its entry
//! point is `custody_ledger::harness::event_json`.)
//!
//! The cargo-fuzz targets in `fuzz/` call these, and so does the ordinary
//! test `verifier/tests/fuzz_corpus.rs`, which replays the checked-in corpus
//! (and random mutations of it) on every `cargo test` — so CI checks the
//! corpus without nightly Rust, and a crash found by fuzzing, once added to
//! the corpus, stays fixed. Each function must never panic on any input; a
//! panic *is* the finding. Each returns whether the input was accepted, so
//! the replay test can also insist that the valid seeds stay valid.

use crate::chain::ChainVerifier;
use crate::export::verify_export;
use custody_format::codec;
use custody_format::entry::{entry_view, SignedEntry};
use custody_format::event::Event;

fn check_event_round_trips(event: &Event, version: u16) {
    let bytes = codec::encode_event(event, version).expect("an accepted event encodes");
    let decoded = codec::decode_event(&bytes, version).expect("its encoding decodes");
    assert_eq!(&decoded, event, "byte round trip changed the event");
}

/// One stored entry (what the store and every export carry). Returns
/// whether it decodes; a decoded entry is canonical (its bytes are exactly
/// what was given), and its view, signature check and chain check run
/// without panicking.
pub fn entry_decode(data: &[u8]) -> bool {
    match SignedEntry::decode(data.to_vec()) {
        Ok(entry) => {
            assert_eq!(entry.bytes(), data);
            let _ = entry_view(&entry);
            let _ = entry.verify_signature();
            check_event_round_trips(entry.event(), entry.body().version);
            // A lone entry passes the chain walk only if it is a genesis;
            // either way the walk must not panic.
            let _ = ChainVerifier::new().push(data);
            true
        }
        Err(e) => {
            let _ = e.to_string();
            false
        }
    }
}

/// An export file or court bundle (`custody verify --bundle`).
pub fn export_verify(data: &[u8]) -> bool {
    match verify_export(data) {
        Ok(summary) => {
            assert!(summary.length > 0);
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.len() < 8192, "an export error is {} bytes", msg.len());
            false
        }
    }
}
