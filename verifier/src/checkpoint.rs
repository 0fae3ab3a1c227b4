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
#[non_exhaustive]
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
    /// Extension lines after the root, each non-empty (C2SP
    /// tlog-checkpoint): signed with the rest of the text, and shown, but
    /// given no meaning by this version.
    pub extensions: Vec<String>,
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
    let extensions: Vec<String> = lines.map(str::to_string).collect();
    if extensions.iter().any(String::is_empty) {
        return Err(malformed("an empty extension line"));
    }
    Ok(Checkpoint {
        text: text.to_string(),
        origin: origin.to_string(),
        size,
        root,
        extensions,
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
        // Every line by a trusted key is checked, whatever its place: the
        // verdict must not depend on the order of the signature lines.
        let mut good = None;
        for sig in self.signatures.iter().filter(|s| s.name == self.origin) {
            let candidates: Vec<&[u8; 32]> = keys
                .iter()
                .filter(|k| key_id(&self.origin, k) == sig.key_id)
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let verified = sig
                .signature
                .as_slice()
                .try_into()
                .ok()
                .and_then(|bytes: [u8; 64]| {
                    candidates.iter().copied().find(|key| {
                        VerifyingKey::from_bytes(key).is_ok_and(|vk| {
                            vk.verify_strict(self.text.as_bytes(), &Signature::from_bytes(&bytes))
                                .is_ok()
                        })
                    })
                });
            match verified {
                Some(key) => good = good.or(Some(*key)),
                None => {
                    return Err(CheckpointError::BadSignature(hex::encode(candidates[0])));
                }
            }
        }
        good.ok_or_else(|| {
            CheckpointError::Untrusted(format!(
                "{} signature line(s), none by a trusted key named {}",
                self.signatures.len(),
                self.origin
            ))
        })
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
    /// No key of the chain that may sign checkpoints signed it.
    #[error(transparent)]
    Signature(#[from] CheckpointError),
    /// Signed by a key that held a role that may sign checkpoints at some
    /// time, but not after the checkpoint's `size` entries (revoked
    /// before, or granted after).
    #[error("the checkpoint is signed by {key}, which did not hold the {role} role at tree size {size} (granted at seq {granted_at}{}); a checkpoint counts only if signed by a key holding the authority or registrar role at its size", revoked_at.map(|r| format!(", revoked at seq {r}")).unwrap_or_default())]
    NotSignerAtSize {
        /// The key.
        key: custody_format::event::PublicKeyBytes,
        /// The role it held.
        role: custody_format::event::Role,
        /// The checkpoint's size.
        size: u64,
        /// When it was granted.
        granted_at: u64,
        /// When it was revoked.
        revoked_at: Option<u64>,
    },
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
    /// Every key its governance let sign checkpoints, with when.
    pub checkpoint_signers: &'a [crate::report::SignerPeriod],
}

/// Checks that a verified chain (its ledger name, length and every key its
/// governance let sign checkpoints) extends `cp`: the same ledger,
/// a signature by a key the chain's governance let sign checkpoints at its
/// size (an authority or a registrar), a size
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
    let keys = crate::report::SignerPeriod::keys_at(chain.checkpoint_signers, cp.size);
    let signer = match cp.verify_by(&keys) {
        Ok(k) => k,
        Err(e) => {
            // Signed, validly, by a key that could sign checkpoints at
            // another time: its own finding, never "forked" or
            // "equivocation".
            let other: Vec<[u8; 32]> = chain.checkpoint_signers.iter().map(|p| p.key.0).collect();
            if let Ok(k) = cp.verify_by(&other) {
                // A key that held both roles is named by its first grant:
                // before it, the key could sign no checkpoint at all.
                let p = chain
                    .checkpoint_signers
                    .iter()
                    .filter(|p| p.key.0 == k)
                    .min_by_key(|p| p.granted_at)
                    .copied()
                    .expect("one of them");
                return Ok(Err(NotExtended::NotSignerAtSize {
                    key: p.key,
                    role: p.role,
                    size: cp.size,
                    granted_at: p.granted_at,
                    revoked_at: p.revoked_at,
                }));
            }
            return Ok(Err(e.into()));
        }
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

    fn line(text: &str, name: &str, key: &SigningKey, flip: bool) -> String {
        let mut sig = key.sign(text.as_bytes()).to_bytes();
        if flip {
            sig[10] ^= 1;
        }
        let mut blob = key_id(name, &key.verifying_key().to_bytes()).to_vec();
        blob.extend_from_slice(&sig);
        format!(
            "\u{2014} {name} {}\n",
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }

    /// The verdict does not depend on the order of signature lines: a bad
    /// line by a trusted key rejects the note before or after a good one.
    #[test]
    fn signature_line_order_does_not_matter() {
        let (a, b) = (
            SigningKey::from_bytes(&[3; 32]),
            SigningKey::from_bytes(&[4; 32]),
        );
        let keys = [a.verifying_key().to_bytes(), b.verifying_key().to_bytes()];
        let name = "example.org/log";
        let text = note_text(name, 7, &[9; 32]);
        let good_a = line(&text, name, &a, false);
        let good_b = line(&text, name, &b, false);
        let bad_b = line(&text, name, &b, true);
        let stranger = line(&text, name, &SigningKey::from_bytes(&[5; 32]), true);
        let note = |lines: &[&String]| {
            let mut n = format!("{text}\n");
            for l in lines {
                n.push_str(l);
            }
            parse(&n).unwrap()
        };
        for order in [[&good_a, &bad_b], [&bad_b, &good_a]] {
            assert!(
                matches!(
                    note(&order).verify_by(&keys),
                    Err(CheckpointError::BadSignature(_))
                ),
                "a failing line by a trusted key must reject the note"
            );
        }
        for order in [[&good_a, &good_b], [&good_b, &good_a]] {
            assert!(note(&order).verify_by(&keys).is_ok());
        }
        // An unknown key's line is ignored wherever it stands.
        for order in [[&stranger, &good_a], [&good_a, &stranger]] {
            assert_eq!(note(&order).verify_by(&keys).unwrap(), keys[0]);
        }
    }

    /// A checkpoint signed by a key that could sign checkpoints (an
    /// authority, or a server's registrar), but not at the checkpoint's
    /// size, gets its own finding, naming the role: never "forked".
    #[test]
    fn a_key_revoked_before_the_size_does_not_count() {
        use crate::report::SignerPeriod;
        use custody_format::event::{PublicKeyBytes, Role};
        let key = SigningKey::from_bytes(&[3; 32]);
        let name = "example.org/log";
        for role in Role::CHECKPOINT_SIGNERS {
            let periods = [SignerPeriod {
                key: PublicKeyBytes(key.verifying_key().to_bytes()),
                role: *role,
                granted_at: 2,
                revoked_at: Some(6),
            }];
            let facts = ChainFacts {
                ledger_name: name,
                length: 20,
                checkpoint_signers: &periods,
            };
            for (size, ok) in [(2, false), (3, true), (6, true), (7, false), (12, false)] {
                let cp = parse(&signed(&note_text(name, size, &[9; 32]), name, &key)).unwrap();
                let verdict = check_extends(&cp, facts, || Ok::<_, ()>(true)).unwrap();
                if ok {
                    assert!(verdict.is_ok(), "{role} size {size}: {verdict:?}");
                } else {
                    assert!(
                        matches!(verdict, Err(NotExtended::NotSignerAtSize { role: r, .. }) if r == *role),
                        "{role} size {size}: {verdict:?}"
                    );
                }
            }
        }
    }

    /// A key that held both roles, registrar from seq 4 and authority from
    /// seq 8, signing a checkpoint of 3 entries, is named by its first
    /// grant, whichever order the periods come in.
    #[test]
    fn a_key_with_both_roles_is_named_by_its_first_grant() {
        use crate::report::SignerPeriod;
        use custody_format::event::{PublicKeyBytes, Role};
        let key = SigningKey::from_bytes(&[3; 32]);
        let name = "example.org/log";
        let period = |role, granted_at| SignerPeriod {
            key: PublicKeyBytes(key.verifying_key().to_bytes()),
            role,
            granted_at,
            revoked_at: None,
        };
        let both = [period(Role::Authority, 8), period(Role::Registrar, 4)];
        for periods in [both, [both[1], both[0]]] {
            let facts = ChainFacts {
                ledger_name: name,
                length: 20,
                checkpoint_signers: &periods,
            };
            let cp = parse(&signed(&note_text(name, 3, &[9; 32]), name, &key)).unwrap();
            let verdict = check_extends(&cp, facts, || Ok::<_, ()>(true)).unwrap();
            assert!(
                matches!(
                    verdict,
                    Err(NotExtended::NotSignerAtSize {
                        role: Role::Registrar,
                        granted_at: 4,
                        ..
                    })
                ),
                "{verdict:?}"
            );
        }
    }

    #[test]
    fn extension_lines_are_kept() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let text = format!("{}custody-ext one\nanother\n", note_text("o", 1, &[9; 32]));
        let cp = parse(&signed(&text, "o", &key)).unwrap();
        assert_eq!(cp.extensions, ["custody-ext one", "another"]);
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
