//! Signed checkpoints, as C2SP `tlog-checkpoint` notes signed in the C2SP
//! `signed-note` format: the production side (text, key ids, signing).
//! Parsing and checking a note is the verifier's job (`custody-verifier`'s
//! `checkpoint` module), written separately.
//!
//! A checkpoint says "the first `size` entries of the ledger named `origin`
//! have this Merkle root", signed by a key holding the `authority` role.
//! Using the public formats means existing transparency-log tooling (Go's
//! `sumdb/note`, witnesses) can read and check our checkpoints.

use crate::merkle_hash::Hash;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// Ed25519's signature-type byte in C2SP signed notes.
pub const ED25519_TYPE: u8 = 0x01;

/// The checkpoint body: `<origin>\n<size>\n<base64 root>\n`. This is the
/// note text that is signed, byte for byte.
pub fn note_text(origin: &str, size: u64, root: &Hash) -> String {
    format!(
        "{origin}\n{size}\n{}\n",
        base64::engine::general_purpose::STANDARD.encode(root)
    )
}

/// The C2SP key id of an Ed25519 key: the first 4 bytes of
/// `SHA-256(name || 0x0A || 0x01 || public key)`.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519_TYPE]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The C2SP verifier key: `<name>+<hex key id>+<base64(0x01 || key)>`. This
/// is what to hand to someone who will check our checkpoints.
pub fn verifier_key(name: &str, public_key: &[u8; 32]) -> String {
    let mut typed = vec![ED25519_TYPE];
    typed.extend_from_slice(public_key);
    format!(
        "{name}+{}+{}",
        hex::encode(key_id(name, public_key)),
        base64::engine::general_purpose::STANDARD.encode(typed)
    )
}

/// The signature line for `signature` by `public_key` under `name`:
/// `— <name> <base64(key id || signature)>\n`.
pub fn signature_line(name: &str, public_key: &[u8; 32], signature: &[u8; 64]) -> String {
    let mut blob = key_id(name, public_key).to_vec();
    blob.extend_from_slice(signature);
    format!(
        "\u{2014} {name} {}\n",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}

/// Signs a note text (pure Ed25519 over its bytes).
pub fn sign_text(text: &str, key: &SigningKey) -> [u8; 64] {
    key.sign(text.as_bytes()).to_bytes()
}

/// A whole signed note: the text, a blank line, one signature line.
pub fn signed_note(text: &str, name: &str, public_key: &[u8; 32], signature: &[u8; 64]) -> String {
    format!("{text}\n{}", signature_line(name, public_key, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Go's `golang.org/x/mod/sumdb/note` documentation and
    /// of the C2SP signed-note ecosystem: key `PeterNeumann+c74f20a3`.
    #[test]
    fn known_answer_from_the_go_note_package() {
        let skey = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let raw = base64::engine::general_purpose::STANDARD
            .decode(skey)
            .unwrap();
        assert_eq!(raw[0], ED25519_TYPE);
        let key = SigningKey::from_bytes(raw[1..].try_into().unwrap());
        let pk = key.verifying_key().to_bytes();
        assert_eq!(hex::encode(key_id("PeterNeumann", &pk)), "c74f20a3");
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let note = signed_note(text, "PeterNeumann", &pk, &sign_text(text, &key));
        assert_eq!(
            note,
            format!("{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
        );
        assert!(verifier_key("PeterNeumann", &pk).starts_with("PeterNeumann+c74f20a3+"));
    }

    #[test]
    fn checkpoint_text_has_three_lines() {
        let t = note_text("example.org/log", 42, &[0u8; 32]);
        assert_eq!(
            t,
            "example.org/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
        );
    }
}
