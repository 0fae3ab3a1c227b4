//! The fuzzing entry point of the JSON input parser (`custody append`),
//! with the properties that must hold for whatever it accepts. The
//! cargo-fuzz target `event_json` in `fuzz/` calls it, and so does the
//! corpus replay test `verifier/tests/fuzz_corpus.rs`; see
//! `custody_verifier::harness` for the verifier's parsers.

use crate::input::{event_from_value, EventReader};
use custody_format::codec;
use custody_format::entry::FORMAT_VERSION;
use custody_format::event::Event;

/// Events from JSON (the `custody append` parser). Every accepted event
/// must survive a round trip through its JSON form and through the
/// canonical byte encoding unchanged. Returns whether every record was
/// accepted.
pub fn event_json(data: &[u8]) -> bool {
    let mut all_ok = true;
    let mut any = false;
    for item in EventReader::new(data) {
        match item {
            Ok((_, event)) => {
                any = true;
                check_event_round_trips(&event);
            }
            Err(e) => {
                // The message must be printable and bounded, whatever the input.
                let msg = e.to_string();
                assert!(msg.len() < 4096, "an input error is {} bytes", msg.len());
                all_ok = false;
            }
        }
    }
    any && all_ok
}

fn check_event_round_trips(event: &Event) {
    // The JSON parser takes only what `append` accepts: evidence and
    // corrections (governance entries are written by init and key grant).
    if !event.is_governance() {
        let json = serde_json::to_value(event).expect("an event serialises");
        let again = event_from_value(json).expect("an accepted event's JSON is accepted again");
        assert_eq!(&again, event, "JSON round trip changed the event");
    }
    // As the store writes it: committed (format v3), with a fixed salt.
    let mut committed = event.clone();
    custody_format::commit::commit_event(&mut committed, |_| custody_format::commit::Salt([7; 32]))
        .expect("an accepted event commits");
    let bytes = codec::encode_event(&committed, FORMAT_VERSION).expect("an accepted event encodes");
    let decoded = codec::decode_event(&bytes, FORMAT_VERSION).expect("its encoding decodes");
    assert_eq!(decoded, committed, "byte round trip changed the event");
}
