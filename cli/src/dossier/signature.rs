//! The dossier's detached signature, `custody-dossier-signature/1`
//! (docs/FORMAT.md §13): a small JSON document beside the dossier file
//! (`FILE.sig`) by which an authority of the ledger vouches for exactly
//! those bytes.
//!
//! The signed message is the domain string `custody/dossier/v1` and a
//! newline, then the 32 bytes of the dossier file's SHA-256: the domain
//! keeps a dossier signature from ever being taken for an entry's or a
//! checkpoint's signature made by the same key.

use custody_format::event::PublicKeyBytes;
use ed25519_dalek::{Signature, Signer, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The artefact's format id.
pub(crate) const SIGNATURE_FORMAT: &str = "custody-dossier-signature/1";
/// The domain separation prefix of the signed message.
const DOMAIN: &[u8] = b"custody/dossier/v1\n";
/// A signature file is small; anything larger is not one.
const MAX_SIGNATURE_BYTES: usize = 4096;

/// The signature file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    format: String,
    dossier_sha256: String,
    key: String,
    signature: String,
}

/// Why a dossier signature does not hold.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SignatureError {
    #[error("not a {SIGNATURE_FORMAT} file: {0}")]
    Malformed(String),
    #[error("the dossier's SHA-256 is {found}, the signature is of {signed}: the dossier was altered, or this is another dossier's signature")]
    OtherDossier { found: String, signed: String },
    #[error("the signature does not verify with key {0}: the signature file was altered")]
    BadSignature(PublicKeyBytes),
    #[error("the dossier is signed by {found}, not by the key given with --authority ({pinned})")]
    OtherKey {
        found: PublicKeyBytes,
        pinned: PublicKeyBytes,
    },
}

fn message(digest: &[u8]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.extend_from_slice(digest);
    m
}

/// The signature file of `dossier` (its bytes as written) by `key`.
pub(crate) fn sign(dossier: &[u8], key: &SigningKey) -> String {
    let digest = Sha256::digest(dossier);
    let sig = key.sign(&message(&digest));
    let file = SignatureFile {
        format: SIGNATURE_FORMAT.into(),
        dossier_sha256: hex::encode(digest),
        key: hex::encode(key.verifying_key().to_bytes()),
        signature: hex::encode(sig.to_bytes()),
    };
    let mut s = serde_json::to_string_pretty(&file).unwrap_or_default();
    s.push('\n');
    s
}

/// What a valid signature says.
pub(crate) struct Verified {
    pub key: PublicKeyBytes,
    pub dossier_sha256: String,
}

fn hex_array<const N: usize>(field: &str, s: &str) -> Result<[u8; N], SignatureError> {
    let bytes = hex::decode(s)
        .ok()
        .filter(|b| b.len() == N && s.bytes().all(|c| !c.is_ascii_uppercase()))
        .ok_or_else(|| {
            SignatureError::Malformed(format!("`{field}` must be {} lowercase hex digits", 2 * N))
        })?;
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// Checks `signature_file` against the dossier whose SHA-256 is
/// `dossier_sha256`, and that the signer is `pinned`: a signature by a key
/// nobody vouched for proves nothing, so the key is not optional.
pub(crate) fn verify(
    dossier_sha256: [u8; 32],
    signature_file: &[u8],
    pinned: PublicKeyBytes,
) -> Result<Verified, SignatureError> {
    if signature_file.len() > MAX_SIGNATURE_BYTES {
        return Err(SignatureError::Malformed(format!(
            "over {MAX_SIGNATURE_BYTES} bytes"
        )));
    }
    let value = custody_format::json::parse_strict(signature_file)
        .map_err(|e| SignatureError::Malformed(custody_format::text::clip(&e.to_string(), 200)))?;
    let file: SignatureFile = serde_json::from_value(value)
        .map_err(|e| SignatureError::Malformed(custody_format::text::clip(&e.to_string(), 200)))?;
    if file.format != SIGNATURE_FORMAT {
        return Err(SignatureError::Malformed(format!(
            "format is {:?}",
            custody_format::text::clip(&file.format, 60)
        )));
    }
    let signed: [u8; 32] = hex_array("dossier_sha256", &file.dossier_sha256)?;
    let key = PublicKeyBytes(hex_array("key", &file.key)?);
    let sig: [u8; 64] = hex_array("signature", &file.signature)?;
    let found = dossier_sha256;
    if found != signed {
        return Err(SignatureError::OtherDossier {
            found: hex::encode(found),
            signed: file.dossier_sha256,
        });
    }
    let verifying = custody_format::key::signer_key(&key)
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    verifying
        .verify_strict(&message(&signed), &Signature::from_bytes(&sig))
        .map_err(|_| SignatureError::BadSignature(key))?;
    if pinned != key {
        return Err(SignatureError::OtherKey { found: key, pinned });
    }
    Ok(Verified {
        key,
        dossier_sha256: file.dossier_sha256,
    })
}
