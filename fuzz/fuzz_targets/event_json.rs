//! Fuzz target: `custody_verifier::harness::event_json` must not panic on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = custody_verifier::harness::event_json(data);
});
