//! Witness cosignatures, the production side: C2SP `tlog-cosignature`
//! (c2sp.org/tlog-cosignature), its Ed25519 type `cosignature/v1`
//! (signature type 0x04). Checking them is the verifier's
//! (`custody-verifier`'s `cosignature` module), written separately.
//!
//! A cosignature says "as of `timestamp`, the largest consistent tree I
//! have seen of the log named by this checkpoint's origin has this root".
//! The signed message is `cosignature/v1\ntime <timestamp>\n` followed by
//! the checkpoint's whole note text; the signature line carries
//! `key id ‖ timestamp (u64, big-endian) ‖ Ed25519 signature`. The message
//! does not name the cosigner, so one key must serve one cosigner only.

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 cosignatures in signed notes.
pub const COSIGNATURE_TYPE: u8 = 0x04;

/// The key id of an Ed25519 cosigner: the first 4 bytes of
/// `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)`.
pub fn cosigner_key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', COSIGNATURE_TYPE]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The cosigner's verifier key: `<name>+<hex key id>+<base64(0x04 ‖ key)>`.
pub fn cosigner_verifier_key(name: &str, public_key: &[u8; 32]) -> String {
    let mut typed = vec![COSIGNATURE_TYPE];
    typed.extend_from_slice(public_key);
    format!(
        "{name}+{}+{}",
        hex::encode(cosigner_key_id(name, public_key)),
        base64::engine::general_purpose::STANDARD.encode(typed)
    )
}

/// The message a `cosignature/v1` signs over a checkpoint's note text (every
/// byte of the text, its final newline included, no signature line).
pub fn cosigned_message(timestamp: u64, note_text: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{note_text}")
}

/// Cosigns a checkpoint's note text at `timestamp` (POSIX seconds, not
/// zero, at most 2^63 − 1) and returns the signature line,
/// `— <name> <base64(key id ‖ timestamp ‖ signature)>\n`.
pub fn cosignature_line(name: &str, key: &SigningKey, timestamp: u64, note_text: &str) -> String {
    debug_assert!(timestamp > 0 && timestamp < 1 << 63);
    let signature = key.sign(cosigned_message(timestamp, note_text).as_bytes());
    let mut blob = cosigner_key_id(name, &key.verifying_key().to_bytes()).to_vec();
    blob.extend_from_slice(&timestamp.to_be_bytes());
    blob.extend_from_slice(&signature.to_bytes());
    format!(
        "\u{2014} {name} {}\n",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of the line: key id, the timestamp big-endian, then 64
    /// signature bytes; and the message is the spec's example shape.
    #[test]
    fn line_layout_and_message() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            cosigned_message(1_679_315_147, text),
            format!("cosignature/v1\ntime 1679315147\n{text}")
        );
        let line = cosignature_line("w.example/1", &key, 1_679_315_147, text);
        let b64 = line
            .strip_prefix("\u{2014} w.example/1 ")
            .unwrap()
            .trim_end();
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(blob.len(), 4 + 8 + 64);
        let pk = key.verifying_key().to_bytes();
        assert_eq!(blob[..4], cosigner_key_id("w.example/1", &pk));
        assert_eq!(blob[4..12], 1_679_315_147u64.to_be_bytes());
        // The key id differs from the same key's Ed25519 note key id (0x01).
        assert_ne!(
            cosigner_key_id("w.example/1", &pk),
            custody_format::note::key_id("w.example/1", &pk)
        );
        let vkey = cosigner_verifier_key("w.example/1", &pk);
        let (prefix, typed) = vkey.rsplit_once('+').unwrap();
        assert_eq!(prefix, format!("w.example/1+{}", hex::encode(&blob[..4])));
        let typed = base64::engine::general_purpose::STANDARD
            .decode(typed)
            .unwrap();
        assert_eq!((typed[0], &typed[1..]), (COSIGNATURE_TYPE, &pk[..]));
    }
}
