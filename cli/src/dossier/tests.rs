//! One model, two languages: `Dossier::localize` puts the same facts in
//! words again, so a web view can render a dossier in English or Ukrainian
//! from the model it holds.

use super::{AuthorityCheck, Cut, Dossier, Provenance};
use crate::i18n::Lang;
use custody_format::event::PersonId;
use custody_ledger::input::event_from_value;
use custody_testkit::keys::{authority, investigator};
use custody_testkit::ledger::with_investigator;
use custody_verifier::bundle::{verify_bundle, BundleOptions};
use serde_json::json;

fn dossier() -> Dossier {
    let dir = tempfile::tempdir().unwrap();
    let mut l = with_investigator(dir.path());
    let events = [
        json!({"type":"missing_report","person":"P-1","occurred_at":"2022-05-10","category":"military","name":"Ivan"}),
        json!({"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}),
        json!({"type":"icrc_notification","person":"P-1","occurred_at":"2022-06-08"}),
    ]
    .into_iter()
    .map(|v| event_from_value(v).unwrap())
    .collect();
    l.append(events, &investigator()).unwrap();
    l.checkpoint(&authority()).unwrap();
    let bytes = l
        .person_bundle(&PersonId::new("P-1").unwrap(), None, &[])
        .unwrap()
        .to_json()
        .into_bytes();
    let b = verify_bundle(&bytes, &BundleOptions::default()).unwrap();
    let provenance = Provenance {
        source: "p1.json".into(),
        authority: AuthorityCheck::NotPinned,
    };
    let now = custody_ledger::clock::now();
    Dossier::build(&b, &bytes, &provenance, Cut::default(), now)
}

#[test]
fn the_same_model_renders_in_either_language_and_back() {
    let mut d = dossier();
    assert_eq!(d.lang, Lang::En);
    let en_json = super::json::render(&d);
    let en_md = super::markdown::render(&d);
    d.localize(Lang::Uk);
    let uk_md = super::markdown::render(&d);
    assert!(
        uk_md.contains("**Затримка повідомлення:** 22 дні"),
        "{uk_md}"
    );
    assert!(uk_md.contains("Ivan"), "{uk_md}");
    assert!(super::html::render(&d).contains("<html lang=\"uk\">"));
    assert_ne!(uk_md, en_md);
    // Back to English: word for word what was built.
    d.localize(Lang::En);
    assert_eq!(super::json::render(&d), en_json);
    assert_eq!(super::markdown::render(&d), en_md);
    assert!(en_md.contains("**Notification delay:** 22 days"), "{en_md}");
}
