//! Ledgers in a store, built through the real append path, with their
//! governance entries written.

use crate::keys::{authority, investigator};
use custody_format::event::{Event, KeyGranted, Role};
use custody_ledger::keyfile::{public_key_of, SigningKey};
use custody_ledger::store::Ledger;
use std::path::Path;

/// The grant of the investigator role to `key`, held by `holder`.
pub fn investigator_granted(key: &SigningKey, holder: &str) -> Event {
    Event::KeyGranted(KeyGranted {
        public_key: public_key_of(key),
        role: Role::Investigator,
        holder: holder.into(),
    })
}

/// A new ledger in `dir`, named "props": its genesis names the
/// [`authority`] (holder "A"), which grants the [`investigator`] (holder
/// "I"). Two entries, seq 0 and 1.
pub fn with_investigator(dir: &Path) -> Ledger {
    let (mut l, _) = Ledger::create(dir, "props", "A", &authority()).unwrap();
    l.append(
        vec![investigator_granted(&investigator(), "I")],
        &authority(),
    )
    .unwrap();
    l
}
