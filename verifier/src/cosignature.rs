//! Checking witness cosignatures on a checkpoint: C2SP `tlog-cosignature`,
//! Ed25519 `cosignature/v1` (signature type 0x04), against the witnesses
//! the caller lists, with a quorum.
//!
//! As signed-note says, a signature line is by a listed witness only if
//! both its name and its key id are the witness's; other lines (the log's
//! own signature, witnesses not listed) are ignored. A line by a listed
//! witness that does not verify is an error, never merely "not counted":
//! someone forged or damaged it. Each witness counts once, however many
//! lines it has. The signed message commits to the checkpoint's whole
//! note text, so a cosignature holds for exactly this checkpoint.

use crate::checkpoint::Checkpoint;
use base64::Engine;
use custody_format::event::PublicKeyBytes;
use custody_format::key::signer_key;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 cosignatures.
pub const COSIGNATURE_TYPE: u8 = 0x04;

/// A witness's C2SP verifier key, `<name>+<hex key id>+<base64(0x04 ‖ key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessKey {
    /// The witness's name (its key name).
    pub name: String,
    /// Its Ed25519 public key.
    pub key: [u8; 32],
    /// Its key id.
    pub key_id: [u8; 4],
}

/// Why a witness verifier key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessKeyError {
    /// Not `<name>+<8 hex digits>+<base64>`.
    #[error("a witness key is `<name>+<8 hex digits>+<base64 of 0x04 and the key>`")]
    Shape,
    /// The name is empty or holds a space.
    #[error("the key name is empty or holds a space")]
    Name,
    /// Not standard base64, or not type 0x04 with 32 bytes.
    #[error(
        "not an Ed25519 cosignature key (signature type 0x04 and 32 bytes, in standard base64){0}"
    )]
    NotCosigner(&'static str),
    /// The key id is not the one the name and key give.
    #[error("the key id does not match the name and key (expected {expected})")]
    IdMismatch {
        /// The id computed from the name and key.
        expected: String,
    },
    /// A key that may not sign.
    #[error(transparent)]
    Weak(#[from] custody_format::key::WeakKey),
}

/// The key id of an Ed25519 cosigner: `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]`.
fn cosigner_key_id(name: &str, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', COSIGNATURE_TYPE]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl WitnessKey {
    /// Parses a witness verifier key, strictly (the key id must be the one
    /// the name and key give).
    pub fn parse(text: &str) -> Result<WitnessKey, WitnessKeyError> {
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(WitnessKeyError::Shape);
        };
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(WitnessKeyError::Name);
        }
        if id.len() != 8 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(WitnessKeyError::Shape);
        }
        let typed = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| WitnessKeyError::NotCosigner(""))?;
        let key: [u8; 32] = match typed.split_first() {
            Some((&COSIGNATURE_TYPE, rest)) => rest
                .try_into()
                .map_err(|_| WitnessKeyError::NotCosigner(""))?,
            Some((0x01, _)) => {
                return Err(WitnessKeyError::NotCosigner(
                    "; this is a log's checkpoint key (type 0x01), not a witness's",
                ))
            }
            _ => return Err(WitnessKeyError::NotCosigner("")),
        };
        let key_id = cosigner_key_id(name, &key);
        if id != hex::encode(key_id) {
            return Err(WitnessKeyError::IdMismatch {
                expected: hex::encode(key_id),
            });
        }
        signer_key(&PublicKeyBytes(key))?;
        Ok(WitnessKey {
            name: name.to_string(),
            key,
            key_id,
        })
    }
}

impl std::fmt::Display for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut typed = vec![COSIGNATURE_TYPE];
        typed.extend_from_slice(&self.key);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            base64::engine::general_purpose::STANDARD.encode(typed)
        )
    }
}

/// A cosignature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The index of the witness in the caller's list.
    pub witness: usize,
    /// When it cosigned (POSIX seconds).
    pub timestamp: u64,
}

/// Why cosignatures are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CosignatureError {
    /// A line by a listed witness (its name and key id) does not verify.
    #[error("the cosignature line by the witness {name} (key id {key_id}) does not verify over this checkpoint: it is forged, damaged, or for another checkpoint")]
    Forged {
        /// The witness's name.
        name: String,
        /// Its key id, in hex.
        key_id: String,
    },
    /// Fewer listed witnesses cosigned than the quorum asks.
    #[error("{got} of the {listed} listed witnesses cosigned this checkpoint{}; at least {quorum} must", if missing.is_empty() { String::new() } else { format!(" (no cosignature by {})", missing.join(", ")) })]
    Quorum {
        /// Witnesses whose cosignature verified.
        got: usize,
        /// Witnesses listed.
        listed: usize,
        /// The quorum asked for.
        quorum: usize,
        /// The names of the listed witnesses that did not cosign.
        missing: Vec<String>,
    },
}

/// Checks the cosignatures of `witnesses` on `cp`: every line by a listed
/// witness must verify, and at least `quorum` distinct listed witnesses
/// must have cosigned. Returns one [`Cosigned`] per witness that did, in
/// the order of `witnesses`.
pub fn verify_cosignatures(
    cp: &Checkpoint,
    witnesses: &[WitnessKey],
    quorum: usize,
) -> Result<Vec<Cosigned>, CosignatureError> {
    let mut found: Vec<Option<u64>> = vec![None; witnesses.len()];
    for sig in &cp.signatures {
        for (i, w) in witnesses.iter().enumerate() {
            if w.name != sig.name || w.key_id != sig.key_id {
                continue;
            }
            let timestamp = check_line(&cp.text, w, &sig.signature).ok_or_else(|| {
                CosignatureError::Forged {
                    name: w.name.clone(),
                    key_id: hex::encode(w.key_id),
                }
            })?;
            found[i] = Some(found[i].map_or(timestamp, |t: u64| t.max(timestamp)));
        }
    }
    // A key listed twice (under one name or two) is one witness: listing
    // it again must not count it again towards the quorum.
    let mut keys_seen = Vec::new();
    let cosigned: Vec<Cosigned> = found
        .iter()
        .enumerate()
        .filter_map(|(witness, t)| t.map(|timestamp| Cosigned { witness, timestamp }))
        .filter(|c| {
            let key = witnesses[c.witness].key;
            let first = !keys_seen.contains(&key);
            keys_seen.push(key);
            first
        })
        .collect();
    if cosigned.len() < quorum {
        return Err(CosignatureError::Quorum {
            got: cosigned.len(),
            listed: witnesses.len(),
            quorum,
            missing: witnesses
                .iter()
                .zip(&found)
                .filter(|(_, t)| t.is_none())
                .map(|(w, _)| w.name.clone())
                .collect(),
        });
    }
    Ok(cosigned)
}

/// The timestamp of a `timestamp ‖ signature` blob that verifies for `w`
/// over `text`, or `None`.
fn check_line(text: &str, w: &WitnessKey, blob: &[u8]) -> Option<u64> {
    if blob.len() != 8 + 64 {
        return None;
    }
    let timestamp = u64::from_be_bytes(blob[..8].try_into().ok()?);
    if timestamp >= 1 << 63 {
        return None;
    }
    let signature = Signature::from_bytes(blob[8..].try_into().ok()?);
    let message = format!("cosignature/v1\ntime {timestamp}\n{text}");
    let key = VerifyingKey::from_bytes(&w.key).ok()?;
    key.verify_strict(message.as_bytes(), &signature)
        .ok()
        .map(|()| timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{note_text, parse};
    use custody_ledger::cosign::{cosignature_line, cosigner_verifier_key};
    use ed25519_dalek::{Signer, SigningKey};

    fn log_note(size: u64) -> String {
        let log = SigningKey::from_bytes(&[1; 32]);
        let text = note_text("example.org/log", size, &[9; 32]);
        custody_format::note::signed_note(
            &text,
            "example.org/log",
            &log.verifying_key().to_bytes(),
            &log.sign(text.as_bytes()).to_bytes(),
        )
    }

    fn witness(seed: u8, name: &str) -> (SigningKey, WitnessKey) {
        let k = SigningKey::from_bytes(&[seed; 32]);
        let vkey = cosigner_verifier_key(name, &k.verifying_key().to_bytes());
        (k, WitnessKey::parse(&vkey).unwrap())
    }

    #[test]
    fn quorum_counts_distinct_listed_witnesses() {
        let (ka, a) = witness(2, "w.example/a");
        let (kb, b) = witness(3, "w.example/b");
        let note = log_note(5);
        let text = parse(&note).unwrap().text;
        let la = cosignature_line("w.example/a", &ka, 1_700_000_000, &text);
        let la2 = cosignature_line("w.example/a", &ka, 1_700_000_001, &text);
        let cp = parse(&format!("{note}{la}{la2}")).unwrap();
        let got = verify_cosignatures(&cp, &[a.clone(), b.clone()], 1).unwrap();
        assert_eq!(
            got,
            [Cosigned {
                witness: 0,
                timestamp: 1_700_000_001
            }]
        );
        // Two lines of one witness are one cosigner.
        match verify_cosignatures(&cp, &[a.clone(), b.clone()], 2) {
            Err(CosignatureError::Quorum {
                got: 1,
                quorum: 2,
                missing,
                ..
            }) => assert_eq!(missing, ["w.example/b"]),
            other => panic!("{other:?}"),
        }
        let lb = cosignature_line("w.example/b", &kb, 1_700_000_000, &text);
        let cp = parse(&format!("{note}{lb}{la}")).unwrap();
        assert_eq!(
            verify_cosignatures(&cp, &[a.clone(), b.clone()], 2)
                .unwrap()
                .len(),
            2
        );
        // The same witness listed twice does not make a quorum of two.
        let cp = parse(&format!("{note}{la}")).unwrap();
        assert!(matches!(
            verify_cosignatures(&cp, &[a.clone(), a], 2),
            Err(CosignatureError::Quorum { got: 1, .. })
        ));
    }

    #[test]
    fn a_cosignature_is_for_exactly_one_checkpoint() {
        let (ka, a) = witness(2, "w.example/a");
        let text5 = parse(&log_note(5)).unwrap().text;
        // A cosignature of size 5 moved onto the note of size 6.
        let line = cosignature_line("w.example/a", &ka, 1_700_000_000, &text5);
        let cp = parse(&format!("{}{line}", log_note(6))).unwrap();
        assert!(matches!(
            verify_cosignatures(&cp, std::slice::from_ref(&a), 0),
            Err(CosignatureError::Forged { .. })
        ));
        // A forged line under the witness's name and key id, by another key.
        let forger = SigningKey::from_bytes(&[4; 32]);
        let forged = cosignature_line("w.example/a", &forger, 1_700_000_000, &text5);
        let mut blob = base64::engine::general_purpose::STANDARD
            .decode(forged.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        blob[..4].copy_from_slice(&a.key_id);
        let forged = format!(
            "\u{2014} w.example/a {}\n",
            base64::engine::general_purpose::STANDARD.encode(blob)
        );
        let cp = parse(&format!("{}{forged}", log_note(5))).unwrap();
        assert!(matches!(
            verify_cosignatures(&cp, std::slice::from_ref(&a), 1),
            Err(CosignatureError::Forged { .. })
        ));
        // Unlisted witnesses and the log's own line are ignored.
        let (kc, _) = witness(5, "w.example/c");
        let other = cosignature_line("w.example/c", &kc, 1_700_000_000, &text5);
        let cp = parse(&format!("{}{other}", log_note(5))).unwrap();
        assert!(verify_cosignatures(&cp, &[a], 0).unwrap().is_empty());
    }

    #[test]
    fn witness_keys_are_parsed_strictly() {
        let (_, a) = witness(2, "w.example/a");
        let text = a.to_string();
        assert_eq!(WitnessKey::parse(&text).unwrap(), a);
        let log_vkey = custody_format::note::verifier_key("w.example/a", &a.key);
        assert!(matches!(
            WitnessKey::parse(&log_vkey),
            Err(WitnessKeyError::NotCosigner(_))
        ));
        assert!(matches!(
            WitnessKey::parse(&text.replacen("w.example/a", "w.example/b", 1)),
            Err(WitnessKeyError::IdMismatch { .. })
        ));
        assert!(WitnessKey::parse("nope").is_err());
    }
}
