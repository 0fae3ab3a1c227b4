//! Events as a reader sees them: each committed personal field (format v3)
//! replaced by its value where a disclosure opens it.
//!
//! The signed bytes hold commitments only; `history`, the dossier and the
//! web view show values. They take them from disclosures the store holds or
//! a bundle carries, and each is checked here against its commitment again
//! (a SHA-256 per field), so a value shown is a value the author committed
//! to, whoever handed it over. A field no disclosure opens stays a
//! commitment: withheld or redacted.

use custody_format::commit::{DisclosedValue, Disclosure, PersonalMut, PART_EVENT};
use custody_format::event::{Event, Personal};

/// `event` (a statement's event, for a statement) with every committed
/// field that one of `disclosures` opens replaced by its value.
pub fn opened(event: &Event, disclosures: &[Disclosure]) -> Event {
    let mut event = event.inner().clone();
    if disclosures.is_empty() {
        return event;
    }
    event.visit_personal_mut(PART_EVENT, &mut |slot, field| {
        let value = |c: &custody_format::commit::Commitment| {
            disclosures
                .iter()
                .find(|d| d.slot == slot && d.commitment() == *c)
                .map(|d| d.value.clone())
        };
        match field {
            PersonalMut::Text(p) | PersonalMut::OptText(Some(p)) => {
                if let Personal::Committed(c) = p {
                    if let Some(DisclosedValue::Text(t)) = value(c) {
                        *p = Personal::Clear(t);
                    }
                }
            }
            PersonalMut::OptDate(Some(p)) => {
                if let Personal::Committed(c) = p {
                    if let Some(DisclosedValue::Date(d)) = value(c) {
                        *p = Personal::Clear(d);
                    }
                }
            }
            PersonalMut::OptText(None) | PersonalMut::OptDate(None) => {}
        }
    });
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{commit_fresh, event_from_value};

    #[test]
    fn disclosed_fields_open_and_the_rest_stay_committed() {
        let clear = event_from_value(serde_json::json!({
            "type": "capture", "person": "UA-1", "occurred_at": "2024-03-01",
            "place": "Mariupol", "notes": "seen at the gate",
            "attachments": [{"sha256": "ab".repeat(32), "media_type": "video/mp4", "description": "clip"}]
        }))
        .unwrap();
        let mut committed = clear.clone();
        let all = commit_fresh(&mut committed).unwrap();
        assert_eq!(opened(&committed, &all), clear);
        // One withheld: it stays a commitment.
        let some: Vec<_> = all
            .iter()
            .filter(|d| d.slot.field_name() != Some("notes"))
            .cloned()
            .collect();
        let partly = opened(&committed, &some);
        let Event::Capture(c) = &partly else { panic!() };
        assert!(matches!(c.notes, Some(Personal::Committed(_))));
        assert_eq!(c.place, Some(Personal::Clear("Mariupol".into())));
        // A forged value (another value under the same salt) opens nothing.
        let mut forged = all.clone();
        for d in &mut forged {
            if d.slot.field_name() == Some("place") {
                d.value = DisclosedValue::Text("Donetsk".into());
            }
        }
        let Event::Capture(c) = opened(&committed, &forged) else {
            panic!()
        };
        assert!(matches!(c.place, Some(Personal::Committed(_))));
    }
}
