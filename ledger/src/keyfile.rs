//! Key files: ed25519 keys in standard PKCS#8 / SPKI PEM. (Who may sign
//! what is the format's `custody_format::registry`.)
//!
//! Key files use the formats `openssl genpkey -algorithm ed25519` writes
//! (`-----BEGIN PRIVATE KEY-----`) and `openssl pkey -pubout` writes
//! (`-----BEGIN PUBLIC KEY-----`), so keys can be made, inspected and kept
//! with ordinary tools. Private keys are written with mode 0600, never
//! overwritten, and zeroized in memory when dropped.

use custody_format::event::PublicKeyBytes;
use custody_format::registry::check_public_key;
use ed25519_dalek::pkcs8::{
    spki::der::pem::LineEnding, DecodePrivateKey, DecodePublicKey, EncodePrivateKey,
    EncodePublicKey,
};
/// The signing key type, re-exported so callers need not depend on ed25519-dalek.
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::VerifyingKey;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing would replace an existing key.
    #[error("{0}: already exists; refusing to overwrite a key file (choose another path)")]
    Exists(PathBuf),
    /// The file is not a key of the expected kind.
    #[error("{path}: {problem}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: KeyProblem,
    },
    /// The system's random source failed.
    #[error("cannot get random bytes for a new key: {0}")]
    Random(String),
}

/// Why a file is not a usable key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblem {
    /// Far larger than any key file.
    #[error("over {MAX_KEY_FILE_BYTES} bytes: not a key file")]
    TooLarge,
    /// Not UTF-8 text.
    #[error(
        "not a PEM text file (expected -----BEGIN PRIVATE KEY----- or -----BEGIN PUBLIC KEY-----)"
    )]
    NotText,
    /// An encrypted PKCS#8 key.
    #[error("this key is encrypted")]
    Encrypted,
    /// An OpenSSH key.
    #[error("this is an OpenSSH key; custody reads PKCS#8 PEM")]
    OpenSsh,
    /// A public key where a private key was needed.
    #[error("this is a public key; signing needs the private key file")]
    PublicNotPrivate,
    /// A private key where a public key was asked for.
    #[error("this is a private key; pass its public key instead")]
    PrivateNotPublic,
    /// Not an ed25519 private key in PKCS#8 PEM.
    #[error("not an ed25519 private key in PKCS#8 PEM ({0})")]
    NotPkcs8(String),
    /// Not an ed25519 public key in SPKI PEM.
    #[error("not an ed25519 public key in SPKI PEM ({0}); expected -----BEGIN PUBLIC KEY-----")]
    NotSpki(String),
    /// A key that may not sign.
    #[error(transparent)]
    Weak(#[from] custody_format::key::WeakKey),
    /// The key could not be encoded.
    #[error("cannot encode key: {0}")]
    Encode(String),
}

/// Makes a new random signing key from the operating system's CSPRNG.
pub fn generate_signing_key() -> Result<SigningKey, KeyFileError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes `key` as PKCS#8 PEM to a new file with mode 0600.
///
/// The file is created exclusively (never overwritten: losing a key means
/// losing the ability to sign for it) and fsynced before returning.
pub fn write_signing_key(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    // PKCS#8 v1 (RFC 5208: the seed alone, no public key), the form
    // `openssl genpkey -algorithm ed25519` writes: OpenSSL 3.0 and Python's
    // `cryptography` refuse the v2 form ed25519-dalek writes by default.
    let seed = Zeroizing::new(key.to_bytes());
    let pem = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: *seed,
        public_key: None,
    }
    .to_pkcs8_pem(LineEnding::LF)
    .map_err(|e| KeyFileError::Format {
        path: path.to_path_buf(),
        problem: KeyProblem::Encode(e.to_string()),
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists(path.to_path_buf())
        } else {
            io(e)
        }
    })?;
    file.write_all(pem.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Writes `key` as SPKI PEM (`-----BEGIN PUBLIC KEY-----`) to a new file.
pub fn write_public_key(path: &Path, key: &PublicKeyBytes) -> Result<(), KeyFileError> {
    let vk = custody_format::key::signer_key(key).map_err(|e| KeyFileError::Format {
        path: path.to_path_buf(),
        problem: e.into(),
    })?;
    let pem = vk
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyFileError::Format {
            path: path.to_path_buf(),
            problem: KeyProblem::Encode(e.to_string()),
        })?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists(path.to_path_buf())
            } else {
                KeyFileError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
    file.write_all(pem.as_bytes())
        .map_err(|source| KeyFileError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// Largest key file read: a PEM key is a few hundred bytes; anything much
/// larger is not a key (a data file passed as `--key` by mistake).
pub const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;

fn read_pem(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    use std::io::Read;
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut raw))
        .map_err(io)?;
    if raw.len() as u64 > MAX_KEY_FILE_BYTES {
        raw.zeroize();
        return Err(KeyFileError::Format {
            path: path.to_path_buf(),
            problem: KeyProblem::TooLarge,
        });
    }
    let text = match std::str::from_utf8(&raw) {
        Ok(t) => Zeroizing::new(t.to_string()),
        Err(_) => {
            raw.zeroize();
            return Err(KeyFileError::Format {
                path: path.to_path_buf(),
                problem: KeyProblem::NotText,
            });
        }
    };
    raw.zeroize();
    Ok(text)
}

fn label_problem(text: &str) -> Option<KeyProblem> {
    if text.contains("BEGIN ENCRYPTED PRIVATE KEY") {
        Some(KeyProblem::Encrypted)
    } else if text.contains("BEGIN OPENSSH PRIVATE KEY") {
        Some(KeyProblem::OpenSsh)
    } else {
        None
    }
}

/// Reads an ed25519 private key from a PKCS#8 PEM file
/// (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm ed25519`
/// or `custody key generate` write it).
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = read_pem(path)?;
    let fail = |problem| KeyFileError::Format {
        path: path.to_path_buf(),
        problem,
    };
    if let Some(p) = label_problem(&text) {
        return Err(fail(p));
    }
    if text.contains("BEGIN PUBLIC KEY") {
        return Err(fail(KeyProblem::PublicNotPrivate));
    }
    SigningKey::from_pkcs8_pem(&text).map_err(|e| fail(KeyProblem::NotPkcs8(e.to_string())))
}

/// Reads an ed25519 public key from an SPKI PEM file
/// (`-----BEGIN PUBLIC KEY-----`, as `openssl pkey -pubout` or
/// `custody key public` write it).
///
/// A private key file is refused rather than silently used: passing private
/// keys around to grant them is the habit this tool should not teach.
pub fn read_public_key(path: &Path) -> Result<PublicKeyBytes, KeyFileError> {
    let text = read_pem(path)?;
    let fail = |problem| KeyFileError::Format {
        path: path.to_path_buf(),
        problem,
    };
    if text.contains("PRIVATE KEY") {
        return Err(fail(KeyProblem::PrivateNotPublic));
    }
    let key = VerifyingKey::from_public_key_pem(&text)
        .map_err(|e| fail(KeyProblem::NotSpki(e.to_string())))?;
    check_public_key(&PublicKeyBytes(key.to_bytes())).map_err(|e| fail(e.into()))
}

/// Parses a public key given as 64 hex digits.
pub fn parse_public_key_hex(s: &str) -> Result<PublicKeyBytes, String> {
    check_public_key(&PublicKeyBytes::from_hex(s)?).map_err(|e| e.to_string())
}

/// The mode bits of a private key file that let others than its owner read
/// or write it (e.g. `0o044` for a file made 0644), if any: a key copied
/// from a USB stick or an email attachment is often left readable by all.
#[cfg(unix)]
pub fn exposed_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o077;
    (mode != 0).then_some(mode)
}

/// The public half of a signing key.
pub fn public_key_of(key: &SigningKey) -> PublicKeyBytes {
    PublicKeyBytes(key.verifying_key().to_bytes())
}
