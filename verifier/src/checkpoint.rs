//! Parsing and checking signed checkpoints (C2SP `tlog-checkpoint` in the
//! C2SP `signed-note` format), strictly, from text that may be hostile.
//!
//! A note is accepted only if it is well formed *and* carries a valid
//! signature by a key the caller trusts; lines signed by unknown keys are
//! ignored, as the spec says, but a line that claims a trusted key and fails
//! rejects the note.

use crate::merkle::Hash;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};

/// Largest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// Most signature lines accepted (the Go reference implementation's cap).
pub const MAX_SIGNATURES: usize = 100;

/// Why a checkpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not a well-formed signed note or checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// No signature by a trusted key.
    #[error("the checkpoint carries no signature by a trusted key ({0})")]
    Untrusted(String),
    /// A signature by a trusted key does not verify.
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
}

fn malformed(s: impl Into<String>) -> CheckpointError {
    CheckpointError::Malformed(s.into())
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The 4-byte key id.
    pub key_id: [u8; 4],
    /// The signature bytes after the key id.
    pub signature: Vec<u8>,
}

/// A parsed checkpoint (its signatures not yet checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The signed text, up to and including its last newline.
    pub text: String,
    /// The log's origin (first line).
    pub origin: String,
    /// The tree size (second line).
    pub size: u64,
    /// The root hash (third line).
    pub root: Hash,
    /// Every signature line, in order.
    pub signatures: Vec<NoteSignature>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

pub use custody_format::note::key_id;

/// Parses a signed checkpoint note.
pub fn parse(note: &str) -> Result<Checkpoint, CheckpointError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(malformed(format!("over {MAX_NOTE_BYTES} bytes")));
    }
    if let Some(c) = note.chars().find(|&c| c < ' ' && c != '\n') {
        return Err(malformed(format!("contains the control character {c:?}")));
    }
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| malformed("no blank line between the text and the signatures"))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    if !sigs.ends_with('\n') {
        return Err(malformed(
            "the last signature line does not end with a newline",
        ));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut signatures = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| malformed(format!("not a signature line: {:?}", clip(line))))?;
        let (name, blob) = rest
            .split_once(' ')
            .ok_or_else(|| malformed("a signature line lacks its signature"))?;
        if !valid_name(name) {
            return Err(malformed(format!("bad key name {:?}", clip(name))));
        }
        let blob = b64
            .decode(blob)
            .map_err(|_| malformed("a signature is not standard base64"))?;
        if blob.len() < 5 {
            return Err(malformed("a signature is too short"));
        }
        signatures.push(NoteSignature {
            name: name.to_string(),
            key_id: blob[..4].try_into().expect("4 bytes"),
            signature: blob[4..].to_vec(),
        });
        if signatures.len() > MAX_SIGNATURES {
            return Err(malformed(format!("more than {MAX_SIGNATURES} signatures")));
        }
    }
    let mut lines = text[..text.len() - 1].split('\n');
    let origin = lines.next().unwrap_or_default();
    if origin.is_empty() {
        return Err(malformed("the origin line is empty"));
    }
    let size_line = lines
        .next()
        .ok_or_else(|| malformed("the tree size line is missing"))?;
    let canonical = !size_line.is_empty()
        && size_line.bytes().all(|b| b.is_ascii_digit())
        && (size_line == "0" || !size_line.starts_with('0'));
    let size = size_line
        .parse::<u64>()
        .ok()
        .filter(|_| canonical)
        .ok_or_else(|| malformed(format!("bad tree size {:?}", clip(size_line))))?;
    let root_line = lines
        .next()
        .ok_or_else(|| malformed("the root hash line is missing"))?;
    let root: Hash = b64
        .decode(root_line)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| malformed("the root hash is not 32 bytes of standard base64"))?;
    if lines.any(str::is_empty) {
        return Err(malformed("an empty extension line"));
    }
    Ok(Checkpoint {
        text: text.to_string(),
        origin: origin.to_string(),
        size,
        root,
        signatures,
    })
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

impl Checkpoint {
    /// Checks the note is signed by one of `keys` under the name `origin`
    /// (strict Ed25519 over the text). Returns the key that signed it.
    ///
    /// Lines by other names or key ids are ignored; a line matching a
    /// trusted key whose signature fails rejects the note.
    pub fn verify_by(&self, keys: &[[u8; 32]]) -> Result<[u8; 32], CheckpointError> {
        for sig in &self.signatures {
            if sig.name != self.origin {
                continue;
            }
            for key in keys {
                if key_id(&self.origin, key) != sig.key_id {
                    continue;
                }
                let who = hex::encode(key);
                let vk = VerifyingKey::from_bytes(key)
                    .map_err(|_| CheckpointError::BadSignature(who.clone()))?;
                let bytes: [u8; 64] = sig
                    .signature
                    .as_slice()
                    .try_into()
                    .map_err(|_| CheckpointError::BadSignature(who.clone()))?;
                vk.verify_strict(self.text.as_bytes(), &Signature::from_bytes(&bytes))
                    .map_err(|_| CheckpointError::BadSignature(who))?;
                return Ok(*key);
            }
        }
        Err(CheckpointError::Untrusted(format!(
            "{} signature line(s), none by a trusted key named {}",
            self.signatures.len(),
            self.origin
        )))
    }
}

pub use custody_format::note::note_text;

/// Why a verified chain does not extend a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotExtended {
    /// The checkpoint is for another ledger.
    #[error("the checkpoint is for the ledger {checkpoint:?}, not {ledger:?}")]
    OtherLedger {
        /// The checkpoint's origin.
        checkpoint: String,
        /// The chain's ledger name.
        ledger: String,
    },
    /// No authority key of the chain signed it.
    #[error(transparent)]
    Signature(#[from] CheckpointError),
    /// The chain is shorter than the checkpoint.
    #[error("TRUNCATED OR ROLLED BACK: the checkpoint vouches for {size} entries, the chain holds {length}")]
    Truncated {
        /// The checkpoint's size.
        size: u64,
        /// The chain's length.
        length: u64,
    },
    /// The chain's first `size` entries are not the checkpoint's tree.
    #[error("REWRITTEN OR FORKED: the ledger's first {size} entries are not the tree the checkpoint signed (root {}); no consistency proof holds", hex::encode(.root))]
    Forked {
        /// The checkpoint's size.
        size: u64,
        /// The root it signed.
        root: Hash,
    },
}

/// What [`check_extends`] needs to know of a verified chain (from its
/// `Summary`).
#[derive(Clone, Copy, Debug)]
pub struct ChainFacts<'a> {
    /// The ledger's name.
    pub ledger_name: &'a str,
    /// Its length.
    pub length: u64,
    /// Every key its governance made an authority.
    pub authority_keys: &'a [custody_format::event::PublicKeyBytes],
}

/// Checks that a verified chain (its ledger name, length and every key its
/// governance made an authority) extends `cp`: the same ledger,
/// a signature by a key the chain's governance made an authority, a size
/// within the chain, and — by `prefix_is_checkpoint_tree`, which the caller
/// answers from what it has (a consistency proof against the verified
/// root, or the Merkle root of the first `cp.size` entries recomputed from
/// their bytes) — the checkpoint's tree as a prefix of the chain. Returns
/// the signing key. The outer error is the caller's (reading, storage).
pub fn check_extends<E>(
    cp: &Checkpoint,
    chain: ChainFacts<'_>,
    prefix_is_checkpoint_tree: impl FnOnce() -> Result<bool, E>,
) -> Result<Result<[u8; 32], NotExtended>, E> {
    if cp.origin != chain.ledger_name {
        return Ok(Err(NotExtended::OtherLedger {
            checkpoint: cp.origin.clone(),
            ledger: chain.ledger_name.to_string(),
        }));
    }
    let keys: Vec<[u8; 32]> = chain.authority_keys.iter().map(|k| k.0).collect();
    let signer = match cp.verify_by(&keys) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e.into())),
    };
    if cp.size > chain.length {
        return Ok(Err(NotExtended::Truncated {
            size: cp.size,
            length: chain.length,
        }));
    }
    if !prefix_is_checkpoint_tree()? {
        return Ok(Err(NotExtended::Forked {
            size: cp.size,
            root: cp.root,
        }));
    }
    Ok(Ok(signer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed(text: &str, name: &str, key: &SigningKey) -> String {
        let sig = key.sign(text.as_bytes()).to_bytes();
        let mut blob = key_id(name, &key.verifying_key().to_bytes()).to_vec();
        blob.extend_from_slice(&sig);
        format!(
            "{text}\n\u{2014} {name} {}\n",
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }

    #[test]
    fn parses_and_verifies_a_checkpoint() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let pk = key.verifying_key().to_bytes();
        let text = note_text("example.org/log", 7, &[9; 32]);
        let note = signed(&text, "example.org/log", &key);
        let cp = parse(&note).unwrap();
        assert_eq!(
            (cp.origin.as_str(), cp.size, cp.root),
            ("example.org/log", 7, [9; 32])
        );
        assert_eq!(cp.verify_by(&[pk]).unwrap(), pk);
        let other = SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes();
        assert!(matches!(
            cp.verify_by(&[other]),
            Err(CheckpointError::Untrusted(_))
        ));
        // Any change to the text breaks the signature.
        let tampered = note.replacen("\n7\n", "\n8\n", 1);
        assert!(matches!(
            parse(&tampered).unwrap().verify_by(&[pk]),
            Err(CheckpointError::BadSignature(_))
        ));
    }

    #[test]
    fn refuses_malformed_notes() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let good = signed(&note_text("o", 1, &[1; 32]), "o", &key);
        let bad = [
            good.replace("\n\n", "\n"),                   // no blank line
            good.trim_end().to_string(),                  // no final newline
            good.replace('\u{2014}', "-"),                // not an em dash
            good.replacen("\n1\n", "\n01\n", 1),          // leading zero
            good.replacen("\n1\n", "\n-1\n", 1),          // not decimal
            good.replacen("\n1\n", "\nx\n", 1),           // not a number
            good.replacen("AQEB", "AQE", 1),              // root too short / bad base64
            good.replacen("o\n", "\no\n", 1),             // empty origin
            good.replace("\u{2014} o ", "\u{2014} o+x "), // bad name
            format!("{good}\u{2014} o !!!\n"),            // bad base64 signature
            format!("o\n1\n\u{7}\n\n{}", &good[good.find('\u{2014}').unwrap()..]),
            "x".repeat(MAX_NOTE_BYTES + 1),
        ];
        for b in bad {
            assert!(parse(&b).is_err(), "accepted: {b:?}");
        }
        let mut many = note_text("o", 1, &[1; 32]);
        many.push('\n');
        for _ in 0..=MAX_SIGNATURES {
            many.push_str(good.lines().last().unwrap());
            many.push('\n');
        }
        assert!(parse(&many).is_err());
    }
}
