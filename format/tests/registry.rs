//! The key registry's memory of names: an entry is attributed to its
//! signer's name as it was when it was signed.

use custody_format::event::{Event, Genesis, KeyGranted, PublicKeyBytes, Role};
use custody_format::registry::KeyRegistry;

fn key(n: u8) -> PublicKeyBytes {
    PublicKeyBytes(
        ed25519_dalek::SigningKey::from_bytes(&[n; 32])
            .verifying_key()
            .to_bytes(),
    )
}

#[test]
fn a_later_grant_does_not_rename_earlier_entries() {
    let (a, i) = (key(1), key(2));
    let mut r = KeyRegistry::new();
    let events = [
        Event::Genesis(Genesis {
            ledger_name: "t".into(),
            authority_key: a,
            authority_holder: "Authority".into(),
        }),
        Event::KeyGranted(KeyGranted {
            public_key: i,
            role: Role::Investigator,
            holder: "Field team A".into(),
        }),
        Event::KeyGranted(KeyGranted {
            public_key: i,
            role: Role::Authority,
            holder: "Head of office".into(),
        }),
    ];
    for (seq, e) in events.iter().enumerate() {
        r.check(seq as u64, &a, e).unwrap();
        r.apply(seq as u64, e);
    }
    let rec = r.get(&i).unwrap();
    assert_eq!(rec.holder, "Head of office");
    assert_eq!(rec.holder_at(1), "Field team A");
    assert_eq!(rec.holder_at(2), "Head of office");
    assert_eq!(rec.holder_at(40), "Head of office");
    assert_eq!(r.get(&a).unwrap().holder_at(7), "Authority");
}
