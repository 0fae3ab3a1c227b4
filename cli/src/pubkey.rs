//! Public keys given on the command line: the one reader behind
//! `--authority`, `--checkpoint-key` and `key grant`/`revoke --public-key`,
//! so every flag that takes a public key takes it the same two ways.

use crate::exit::{env, Failure};
use custody_format::event::PublicKeyBytes;
use std::path::Path;

/// A public key given as 64 hex digits, or as the path of a public key file
/// (SPKI PEM, as `custody key public --out` and `openssl pkey -pubout`
/// write it). Hex is tried first when the value looks like hex; anything
/// else that names an existing file is read as one.
pub(crate) fn public_key_arg(flag: &str, value: &str) -> Result<PublicKeyBytes, Failure> {
    let looks_hex = value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit());
    if looks_hex || !Path::new(value).exists() {
        return custody_ledger::keyfile::parse_public_key_hex(value).map_err(|m| {
            env(anyhow::anyhow!(
                "{flag}: {m} (or give the path of a public key file, SPKI PEM)"
            ))
        });
    }
    custody_ledger::keyfile::read_public_key(Path::new(value))
        .map_err(|e| Failure::from(e).context(flag.to_string()))
}
