//! Fixed test keys: `key(n)` is the key whose 32 seed bytes are all `n`
//! (never use one for real). Across the tests, key 1 is a ledger's
//! authority and key 2 its investigator; other numbers are second
//! investigators and strangers.

use custody_ledger::keyfile::SigningKey;

/// The key whose seed is 32 bytes of `n`.
pub fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

/// The authority of the tests' ledgers: key 1.
pub fn authority() -> SigningKey {
    key(1)
}

/// The investigator the tests' authority grants: key 2.
pub fn investigator() -> SigningKey {
    key(2)
}
