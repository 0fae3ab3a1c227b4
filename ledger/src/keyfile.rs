//! Key files: ed25519 keys in standard PKCS#8 / SPKI PEM. (Who may sign
//! what is the format's `custody_format::registry`.)
//!
//! Key files use the formats `openssl genpkey -algorithm ed25519` writes
//! (`-----BEGIN PRIVATE KEY-----`) and `openssl pkey -pubout` writes
//! (`-----BEGIN PUBLIC KEY-----`), so keys can be made, inspected and kept
//! with ordinary tools. Private keys are written with mode 0600, never
//! overwritten, and zeroized in memory when dropped.
//!
//! ## Encrypted private keys
//!
//! A key on a field laptop can be lost with the laptop, so it may be kept
//! encrypted under a passphrase: encrypted PKCS#8
//! (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, RFC 5958 with PBES2 from
//! RFC 8018), the form `openssl genpkey -algorithm ed25519 -aes256` and
//! `openssl pkcs8 -topk8` write. [`read_signing_key_with`] reads it with
//! either KDF PBES2 allows (PBKDF2 with HMAC-SHA-2, or scrypt) and AES-CBC.
//! Where the passphrase comes from (an environment variable, a prompt) is
//! the caller's business: the library asks a callback for it, and only when
//! the file is encrypted.
//!
//! [`write_encrypted_signing_key`] writes PBES2 with **scrypt** (N = 2^14,
//! r = 8, p = 5, a 16-byte random salt) and **AES-256-CBC**. scrypt is
//! memory-hard, so guessing passphrases on graphics cards costs far more
//! than with PBKDF2; these parameters are one of OWASP's equivalent scrypt
//! settings (16 MiB, five passes), and they stay within the 32 MiB that
//! OpenSSL 3 allows scrypt when it reads a key, so `openssl pkey` still
//! reads the files custody writes. Decrypting takes a fraction of a second.
//! The passphrase, the derived key and every plaintext buffer are zeroized.

use custody_format::event::PublicKeyBytes;
use custody_format::registry::check_public_key;
use ed25519_dalek::pkcs8::{
    spki::der::pem::LineEnding, DecodePrivateKey, DecodePublicKey, EncodePrivateKey,
    EncodePublicKey,
};
/// The signing key type, re-exported so callers need not depend on ed25519-dalek.
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::VerifyingKey;
use pkcs8::pkcs5;
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
    /// The key is encrypted and its passphrase could not be had.
    #[error("{path} is encrypted and no passphrase was given: {reason}")]
    NoPassphrase {
        /// The file.
        path: PathBuf,
        /// Why the caller could not get a passphrase.
        reason: String,
    },
    /// Decrypting failed: the passphrase is wrong, or the ciphertext was
    /// damaged (the two cannot be told apart: that is what encryption is for).
    #[error("wrong passphrase for {0}, or the file is damaged")]
    WrongPassphrase(PathBuf),
    /// A new key file's passphrase is empty.
    #[error("{0}: refusing to encrypt a key under an empty passphrase")]
    EmptyPassphrase(PathBuf),
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
    /// An encrypted PKCS#8 key given to [`read_signing_key`], which takes
    /// no passphrase ([`read_signing_key_with`] does).
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
    /// An encrypted key whose encryption custody does not read (PBES1,
    /// DES, SHA-1, or work factors beyond [`MAX_SCRYPT_LOG_N`] /
    /// [`MAX_PBKDF2_ITERATIONS`]).
    #[error("this key is encrypted with {0}, which custody does not read")]
    UnsupportedEncryption(String),
    /// Not an encrypted PKCS#8 structure under its `ENCRYPTED PRIVATE KEY` label.
    #[error("not an encrypted PKCS#8 key ({0})")]
    NotEncryptedPkcs8(String),
}

/// The largest scrypt cost (log2 N) accepted when decrypting: 2^20 with
/// r = 8 is 1 GiB of memory; a file asking for more is refused rather than
/// let exhaust the machine.
pub const MAX_SCRYPT_LOG_N: u32 = 20;

/// The largest PBKDF2 iteration count accepted when decrypting (OWASP
/// recommends 600,000 for PBKDF2-HMAC-SHA256; OpenSSL writes 2,048).
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// The scrypt parameters of the keys custody encrypts (module docs say why).
const WRITE_SCRYPT: (u8, u32, u32) = (14, 8, 5);

/// Makes a new random signing key from the operating system's CSPRNG.
pub fn generate_signing_key() -> Result<SigningKey, KeyFileError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The DER of `key` as PKCS#8 v1 (RFC 5208: the seed alone, no public
/// key), the form `openssl genpkey -algorithm ed25519` writes: OpenSSL 3.0
/// and Python's `cryptography` refuse the v2 form ed25519-dalek writes by
/// default.
fn pkcs8_v1_der(path: &Path, key: &SigningKey) -> Result<pkcs8::SecretDocument, KeyFileError> {
    let seed = Zeroizing::new(key.to_bytes());
    ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: *seed,
        public_key: None,
    }
    .to_pkcs8_der()
    .map_err(|e| KeyFileError::Format {
        path: path.to_path_buf(),
        problem: KeyProblem::Encode(e.to_string()),
    })
}

/// Writes `key` as PKCS#8 PEM to a new file with mode 0600.
///
/// The file is created exclusively (never overwritten: losing a key means
/// losing the ability to sign for it) and fsynced before returning.
pub fn write_signing_key(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    let pem = pkcs8_v1_der(path, key)?
        .to_pem("PRIVATE KEY", LineEnding::LF)
        .map_err(|e| KeyFileError::Format {
            path: path.to_path_buf(),
            problem: KeyProblem::Encode(e.to_string()),
        })?;
    write_private_pem(path, &pem)
}

/// Writes `key` as encrypted PKCS#8 PEM (`-----BEGIN ENCRYPTED PRIVATE
/// KEY-----`; PBES2, scrypt and AES-256-CBC: the module docs say why) to a
/// new file with mode 0600, as [`write_signing_key`] does.
pub fn write_encrypted_signing_key(
    path: &Path,
    key: &SigningKey,
    passphrase: &str,
) -> Result<(), KeyFileError> {
    if passphrase.is_empty() {
        return Err(KeyFileError::EmptyPassphrase(path.to_path_buf()));
    }
    let encode = |e: &dyn std::fmt::Display| KeyFileError::Format {
        path: path.to_path_buf(),
        problem: KeyProblem::Encode(e.to_string()),
    };
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    getrandom::fill(&mut salt)
        .and_then(|()| getrandom::fill(&mut iv))
        .map_err(|e| KeyFileError::Random(e.to_string()))?;
    let (log_n, r, p) = WRITE_SCRYPT;
    let cost = pkcs5::scrypt::Params::new(log_n, r, p).map_err(|e| encode(&e))?;
    let params = pkcs5::pbes2::Parameters::generate_scrypt_aes256cbc(cost, &salt, iv)
        .map_err(|e| encode(&e))?;
    let plain = pkcs8_v1_der(path, key)?;
    let info = pkcs8::PrivateKeyInfoRef::try_from(plain.as_bytes()).map_err(|e| encode(&e))?;
    let pem = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| encode(&e))?
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| encode(&e))?;
    write_private_pem(path, &pem)
}

/// Creates `path` exclusively with mode 0600, writes `pem` and fsyncs it.
fn write_private_pem(path: &Path, pem: &str) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
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

/// Reads an ed25519 private key from a PKCS#8 PEM file
/// (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm ed25519`
/// or `custody key generate` write it). An encrypted key is refused
/// ([`KeyProblem::Encrypted`]): [`read_signing_key_with`] reads those.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    read_key(path, None)
}

/// The passphrase of an encrypted key, or why it cannot be had.
pub type PassphraseSource<'a> = &'a mut dyn FnMut() -> Result<Zeroizing<String>, String>;

/// Reads an ed25519 private key from a PKCS#8 PEM file, plain or encrypted
/// (`-----BEGIN ENCRYPTED PRIVATE KEY-----`). `passphrase` is called once,
/// and only if the file is encrypted; its `Err` says why no passphrase
/// could be had and becomes [`KeyFileError::NoPassphrase`].
pub fn read_signing_key_with(
    path: &Path,
    passphrase: PassphraseSource<'_>,
) -> Result<SigningKey, KeyFileError> {
    read_key(path, Some(passphrase))
}

fn read_key(
    path: &Path,
    passphrase: Option<PassphraseSource<'_>>,
) -> Result<SigningKey, KeyFileError> {
    let text = read_pem(path)?;
    let fail = |problem| KeyFileError::Format {
        path: path.to_path_buf(),
        problem,
    };
    if text.contains("BEGIN ENCRYPTED PRIVATE KEY") {
        let Some(passphrase) = passphrase else {
            return Err(fail(KeyProblem::Encrypted));
        };
        return decrypt_key(path, &text, passphrase);
    }
    if text.contains("BEGIN OPENSSH PRIVATE KEY") {
        return Err(fail(KeyProblem::OpenSsh));
    }
    if text.contains("BEGIN PUBLIC KEY") {
        return Err(fail(KeyProblem::PublicNotPrivate));
    }
    SigningKey::from_pkcs8_pem(&text).map_err(|e| fail(KeyProblem::NotPkcs8(e.to_string())))
}

/// Decrypts an `ENCRYPTED PRIVATE KEY` PEM: the structure and its
/// algorithms are checked before the passphrase is asked for, so a damaged
/// or unsupported file is named as such, not as a wrong passphrase.
fn decrypt_key(
    path: &Path,
    text: &str,
    passphrase: PassphraseSource<'_>,
) -> Result<SigningKey, KeyFileError> {
    use pkcs8::der::Decode;
    let fail = |problem| KeyFileError::Format {
        path: path.to_path_buf(),
        problem,
    };
    let (label, der) = pkcs8::Document::from_pem(text.trim_start())
        .map_err(|e| fail(KeyProblem::NotEncryptedPkcs8(e.to_string())))?;
    if label != "ENCRYPTED PRIVATE KEY" {
        return Err(fail(KeyProblem::NotEncryptedPkcs8(format!(
            "the PEM label is {label:?}"
        ))));
    }
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der.as_bytes()).map_err(|e| {
        fail(match scheme_oid(der.as_bytes()) {
            // A PBES2 file that does not decode is damaged, not unsupported.
            Some(oid) if oid != pkcs5::pbes2::PBES2_OID => KeyProblem::UnsupportedEncryption(
                format!("the scheme {oid} (re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc)"),
            ),
            _ => KeyProblem::NotEncryptedPkcs8(e.to_string()),
        })
    })?;
    check_encryption(&info.encryption_algorithm).map_err(fail)?;
    let secret = passphrase().map_err(|reason| KeyFileError::NoPassphrase {
        path: path.to_path_buf(),
        reason,
    })?;
    let mut buffer = Zeroizing::new(info.encrypted_data.as_bytes().to_vec());
    let wrong = || KeyFileError::WrongPassphrase(path.to_path_buf());
    let plain = info
        .encryption_algorithm
        .decrypt_in_place(secret.as_bytes(), &mut buffer)
        .map_err(|_| wrong())?;
    // A wrong passphrase passes CBC's padding check about once in 256
    // tries; the plaintext then is not a key, which says the same.
    SigningKey::from_pkcs8_der(plain).map_err(|_| wrong())
}

/// The OID of an encrypted key's scheme, read on its own, to name a scheme
/// the decoder does not know: PKCS#12's PBE (`openssl pkcs8 -v1
/// PBE-SHA1-3DES`, and OpenSSL 1.0's default for `pkcs8 -topk8`) rather
/// than call the file damaged.
fn scheme_oid(der: &[u8]) -> Option<pkcs8::ObjectIdentifier> {
    use pkcs8::der::{Decode, Reader, SliceReader};
    let mut reader = SliceReader::new(der).ok()?;
    reader
        .sequence(|r| {
            let algorithm = pkcs8::AlgorithmIdentifierRef::decode(r)?;
            r.tlv_bytes()?; // the encrypted data
            Ok::<_, pkcs8::der::Error>(algorithm)
        })
        .ok()
        .map(|a| a.oid)
}

/// Refuses what custody does not decrypt, naming it: PBES1 and the
/// insecure ciphers (not compiled in), and work factors so large that
/// deriving the key would exhaust the machine.
fn check_encryption(scheme: &pkcs5::EncryptionScheme) -> Result<(), KeyProblem> {
    use pkcs5::pbes2::{EncryptionScheme, Kdf, Pbkdf2Prf};
    let unsupported = |what: String| Err(KeyProblem::UnsupportedEncryption(what));
    let Some(pbes2) = scheme.pbes2() else {
        return unsupported("PBES1 (re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc)".into());
    };
    match &pbes2.kdf {
        Kdf::Pbkdf2(p) if p.prf == Pbkdf2Prf::HmacWithSha1 => {
            return unsupported("PBKDF2 with HMAC-SHA-1 (re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256)".into())
        }
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => {
            return unsupported(format!("PBKDF2 of {} iterations", p.iteration_count))
        }
        Kdf::Scrypt(p) if p.cost_parameter > (1 << MAX_SCRYPT_LOG_N) || p.block_size > 32 || p.parallelization > 64 => {
            return unsupported(format!(
                "scrypt of N = {}, r = {}, p = {}",
                p.cost_parameter, p.block_size, p.parallelization
            ))
        }
        _ => {}
    }
    match pbes2.encryption {
        EncryptionScheme::Aes128Cbc { .. }
        | EncryptionScheme::Aes192Cbc { .. }
        | EncryptionScheme::Aes256Cbc { .. }
        | EncryptionScheme::Aes128Gcm { .. }
        | EncryptionScheme::Aes256Gcm { .. } => Ok(()),
        other => unsupported(format!("the cipher {}", other.oid())),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(p: &str) -> impl FnMut() -> Result<Zeroizing<String>, String> + '_ {
        move || Ok(Zeroizing::new(p.to_string()))
    }

    fn encrypted(dir: &Path, passphrase: &str) -> (PathBuf, SigningKey) {
        let path = dir.join("k.pem");
        let key = SigningKey::from_bytes(&[7; 32]);
        write_encrypted_signing_key(&path, &key, passphrase).unwrap();
        (path, key)
    }

    #[test]
    fn an_encrypted_key_reads_back_with_its_passphrase_only() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key) = encrypted(dir.path(), "correct horse");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let read = read_signing_key_with(&path, &mut pass("correct horse")).unwrap();
        assert_eq!(read.to_bytes(), key.to_bytes());
        // Neither the seed nor the plain PKCS#8 is in the file.
        let der = pkcs8::Document::from_pem(&text).unwrap().1;
        assert!(!der.as_bytes().windows(32).any(|w| w == [7; 32]));
        // Without a passphrase source, it is named encrypted.
        assert!(matches!(
            read_signing_key(&path),
            Err(KeyFileError::Format {
                problem: KeyProblem::Encrypted,
                ..
            })
        ));
        #[cfg(unix)]
        assert_eq!(exposed_mode(&path), None, "written 0600");
    }

    #[test]
    fn a_wrong_passphrase_is_named_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = encrypted(dir.path(), "correct horse");
        let err = read_signing_key_with(&path, &mut pass("battery staple")).unwrap_err();
        assert!(matches!(&err, KeyFileError::WrongPassphrase(p) if p == &path));
        assert_eq!(
            err.to_string(),
            format!(
                "wrong passphrase for {}, or the file is damaged",
                path.display()
            )
        );
    }

    #[test]
    fn the_passphrase_is_asked_only_of_an_encrypted_file_and_its_absence_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.pem");
        write_signing_key(&plain, &SigningKey::from_bytes(&[3; 32])).unwrap();
        let mut asked = false;
        let mut never = || -> Result<Zeroizing<String>, String> {
            asked = true;
            Err("no".into())
        };
        read_signing_key_with(&plain, &mut never).unwrap();
        assert!(!asked, "a plain key needs no passphrase");
        let (path, _) = encrypted(dir.path(), "x");
        let err = read_signing_key_with(&path, &mut || Err("no terminal".into())).unwrap_err();
        assert!(
            matches!(&err, KeyFileError::NoPassphrase { reason, .. } if reason == "no terminal"),
            "{err}"
        );
    }

    #[test]
    fn a_damaged_encrypted_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = encrypted(dir.path(), "pw");
        let text = std::fs::read_to_string(&path).unwrap();
        // The ciphertext damaged: indistinguishable from a wrong passphrase.
        let (_, der) = pkcs8::Document::from_pem(&text).unwrap();
        let mut bytes = der.as_bytes().to_vec();
        let last = bytes.len() - 20;
        bytes[last] ^= 0x55;
        let damaged = pkcs8::Document::try_from(bytes)
            .unwrap()
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .unwrap();
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, damaged).unwrap();
        assert!(matches!(
            read_signing_key_with(&bad, &mut pass("pw")),
            Err(KeyFileError::WrongPassphrase(_))
        ));
        // The structure cut short: named as not an encrypted key, and the
        // passphrase is not even asked for.
        let lines: Vec<&str> = text.lines().collect();
        let cut = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[lines.len() - 1]);
        let short = dir.path().join("short.pem");
        std::fs::write(&short, cut).unwrap();
        let err = read_signing_key_with(&short, &mut || panic!("asked")).unwrap_err();
        assert!(
            matches!(
                err,
                KeyFileError::Format {
                    problem: KeyProblem::NotEncryptedPkcs8(_),
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn an_empty_passphrase_is_refused_and_nothing_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        let err =
            write_encrypted_signing_key(&path, &SigningKey::from_bytes(&[1; 32]), "").unwrap_err();
        assert!(matches!(err, KeyFileError::EmptyPassphrase(_)));
        assert!(!path.exists());
    }

    #[test]
    fn a_work_factor_that_would_exhaust_the_machine_is_refused_before_deriving() {
        // A file asking scrypt for 2^30 blocks of 1 KiB (a terabyte): refused
        // by its parameters, without asking for the passphrase.
        use pkcs8::der::Encode;
        let cost = pkcs5::scrypt::Params::new(30, 8, 1).unwrap();
        let params =
            pkcs5::pbes2::Parameters::generate_scrypt_aes256cbc(cost, &[0; 16], [0; 16]).unwrap();
        let data = [0u8; 64];
        let info = pkcs8::EncryptedPrivateKeyInfoRef {
            encryption_algorithm: params.into(),
            encrypted_data: pkcs8::der::asn1::OctetStringRef::new(&data).unwrap(),
        };
        let pem = pkcs8::Document::try_from(info.to_der().unwrap())
            .unwrap()
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hostile.pem");
        std::fs::write(&path, pem).unwrap();
        let err = read_signing_key_with(&path, &mut || panic!("asked")).unwrap_err();
        assert!(
            matches!(
                &err,
                KeyFileError::Format {
                    problem: KeyProblem::UnsupportedEncryption(what),
                    ..
                } if what.contains("scrypt")
            ),
            "{err}"
        );
    }
}
