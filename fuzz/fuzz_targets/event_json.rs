//! Fuzz target: `custody_ledger::harness::event_json` must not panic on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = custody_ledger::harness::event_json(data);
});
