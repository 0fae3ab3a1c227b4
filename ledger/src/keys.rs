//! Keys: ed25519 key files in standard PKCS#8 / SPKI PEM, and the
//! [`KeyRegistry`] that decides who may sign what.
//!
//! Key files use the formats `openssl genpkey -algorithm ed25519` writes
//! (`-----BEGIN PRIVATE KEY-----`) and `openssl pkey -pubout` writes
//! (`-----BEGIN PUBLIC KEY-----`), so keys can be made, inspected and kept
//! with ordinary tools. Private keys are written with mode 0600, never
//! overwritten, and zeroized in memory when dropped.
//!
//! The registry is a pure state machine over the governance entries
//! (genesis, grants, revocations) in chain order. The append path uses it to
//! refuse an unauthorised entry before anything is written, and the verifier
//! replays it from the signed entries to prove every signer held its role at
//! the time it signed.

use crate::event::{Event, PublicKeyBytes, Requirement, Role};
use ed25519_dalek::pkcs8::{
    spki::der::pem::LineEnding, DecodePrivateKey, DecodePublicKey, EncodePrivateKey,
    EncodePublicKey,
};
/// The signing key type, re-exported so callers need not depend on ed25519-dalek.
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::VerifyingKey;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
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
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to get a usable key.
        reason: String,
    },
    /// The system's random source failed.
    #[error("cannot get random bytes for a new key: {0}")]
    Random(String),
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
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyFileError::Format {
            path: path.to_path_buf(),
            reason: format!("cannot encode key: {e}"),
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
    let vk = VerifyingKey::from_bytes(&key.0).map_err(|e| KeyFileError::Format {
        path: path.to_path_buf(),
        reason: format!("not a valid ed25519 public key: {e}"),
    })?;
    let pem = vk
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyFileError::Format {
            path: path.to_path_buf(),
            reason: format!("cannot encode key: {e}"),
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

fn read_pem(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    let mut raw = std::fs::read(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = match std::str::from_utf8(&raw) {
        Ok(t) => Zeroizing::new(t.to_string()),
        Err(_) => {
            raw.zeroize();
            return Err(KeyFileError::Format {
                path: path.to_path_buf(),
                reason: "not a PEM text file (expected -----BEGIN PRIVATE KEY----- or -----BEGIN PUBLIC KEY-----)".into(),
            });
        }
    };
    raw.zeroize();
    Ok(text)
}

fn label_hint(text: &str) -> Option<&'static str> {
    if text.contains("BEGIN ENCRYPTED PRIVATE KEY") {
        Some("this key is encrypted; decrypt it first (openssl pkey -in FILE -out PLAIN.pem)")
    } else if text.contains("BEGIN OPENSSH PRIVATE KEY") {
        Some("this is an OpenSSH key; custody reads PKCS#8 PEM (custody key generate, or openssl genpkey -algorithm ed25519)")
    } else {
        None
    }
}

/// Reads an ed25519 private key from a PKCS#8 PEM file
/// (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm ed25519`
/// or `custody key generate` write it).
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = read_pem(path)?;
    let fmt = |reason: String| KeyFileError::Format {
        path: path.to_path_buf(),
        reason,
    };
    if let Some(hint) = label_hint(&text) {
        return Err(fmt(hint.to_string()));
    }
    if text.contains("BEGIN PUBLIC KEY") {
        return Err(fmt(
            "this is a public key; signing needs the private key file".to_string(),
        ));
    }
    SigningKey::from_pkcs8_pem(&text).map_err(|e| {
        fmt(format!(
            "not an ed25519 private key in PKCS#8 PEM ({e}); make one with `custody key generate --out FILE` or `openssl genpkey -algorithm ed25519 -out FILE`"
        ))
    })
}

/// Reads an ed25519 public key from an SPKI PEM file
/// (`-----BEGIN PUBLIC KEY-----`, as `openssl pkey -pubout` or
/// `custody key public` write it).
///
/// A private key file is refused rather than silently used: passing private
/// keys around to grant them is the habit this tool should not teach.
pub fn read_public_key(path: &Path) -> Result<PublicKeyBytes, KeyFileError> {
    let text = read_pem(path)?;
    let fmt = |reason: String| KeyFileError::Format {
        path: path.to_path_buf(),
        reason,
    };
    if text.contains("PRIVATE KEY") {
        return Err(fmt("this is a private key; pass its public key instead (`custody key public --key FILE --out PUB.pem`, or `openssl pkey -in FILE -pubout`)".to_string()));
    }
    let key = VerifyingKey::from_public_key_pem(&text).map_err(|e| {
        fmt(format!(
            "not an ed25519 public key in SPKI PEM ({e}); expected -----BEGIN PUBLIC KEY-----"
        ))
    })?;
    check_public_key(&PublicKeyBytes(key.to_bytes())).map_err(fmt)
}

/// Parses a public key given as 64 hex digits.
pub fn parse_public_key_hex(s: &str) -> Result<PublicKeyBytes, String> {
    check_public_key(&PublicKeyBytes::from_hex(s)?)
}

/// Refuses public keys that cannot be a real signer: not a curve point, or a
/// small-order ("weak") point for which forged signatures exist.
pub fn check_public_key(key: &PublicKeyBytes) -> Result<PublicKeyBytes, String> {
    let vk = VerifyingKey::from_bytes(&key.0)
        .map_err(|_| format!("{key} is not a valid ed25519 public key"))?;
    if vk.is_weak() {
        return Err(format!(
            "{key} is a small-order ed25519 point and cannot be trusted as a signer"
        ));
    }
    Ok(*key)
}

/// The public half of a signing key.
pub fn public_key_of(key: &SigningKey) -> PublicKeyBytes {
    PublicKeyBytes(key.verifying_key().to_bytes())
}

/// What the registry knows of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key.
    pub public_key: PublicKeyBytes,
    /// Who holds it (from its latest grant).
    pub holder: String,
    /// Roles held, each with the sequence number of the entry that granted it.
    pub roles: BTreeMap<Role, u64>,
    /// If revoked: the revoking entry's sequence number and the reason.
    pub revoked: Option<(u64, String)>,
}

impl KeyRecord {
    /// True if the key may sign with `role` now.
    pub fn may(&self, role: Role) -> bool {
        self.revoked.is_none() && self.roles.contains_key(&role)
    }
}

/// Why a signer may not sign an event at this point of the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A non-genesis entry at seq 0, or an entry before any genesis.
    #[error("the first entry of a ledger must be its genesis")]
    NoGenesis,
    /// A genesis after seq 0.
    #[error("a genesis may only be the first entry (seq 0)")]
    GenesisNotFirst,
    /// A genesis not signed by the authority it names.
    #[error("the genesis must be signed by the authority key it names")]
    GenesisSigner,
    /// The signer was never granted.
    #[error("key {0} is not known to this ledger; the authority must grant it first (custody key grant)")]
    UnknownKey(PublicKeyBytes),
    /// The signer was revoked.
    #[error("key {key} ({holder}) was revoked at seq {seq}: {reason}")]
    Revoked {
        /// The key.
        key: PublicKeyBytes,
        /// Its holder.
        holder: String,
        /// Where it was revoked.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// The signer lacks the role.
    #[error("key {key} ({holder}) does not hold the role `{role}` needed to sign {what}")]
    MissingRole {
        /// The key.
        key: PublicKeyBytes,
        /// Its holder.
        holder: String,
        /// The role needed.
        role: Role,
        /// What it tried to sign.
        what: &'static str,
    },
    /// A grant of a role the key already holds.
    #[error("key {0} already holds the role `{1}`")]
    AlreadyGranted(PublicKeyBytes, Role),
    /// A grant to a revoked key.
    #[error("key {0} was revoked at seq {1} and cannot be granted again; generate a new key")]
    RegrantRevoked(PublicKeyBytes, u64),
    /// A revocation of an unknown key.
    #[error("key {0} is not known to this ledger, so it cannot be revoked")]
    RevokeUnknown(PublicKeyBytes),
    /// A revocation of a revoked key.
    #[error("key {0} is already revoked (seq {1})")]
    AlreadyRevoked(PublicKeyBytes, u64),
    /// A revocation that would leave nobody able to govern.
    #[error("key {0} is the last authority key; grant another authority before revoking it")]
    LastAuthority(PublicKeyBytes),
    /// A grant or revocation of an invalid or weak public key.
    #[error("{0}")]
    BadKey(String),
}

/// Who may sign what, replayed from the governance entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRegistry {
    ledger_name: Option<String>,
    authority: Option<PublicKeyBytes>,
    keys: BTreeMap<PublicKeyBytes, KeyRecord>,
}

impl KeyRegistry {
    /// An empty registry: only a genesis can be applied to it.
    pub fn new() -> KeyRegistry {
        KeyRegistry::default()
    }

    /// The ledger's name, from its genesis.
    pub fn ledger_name(&self) -> Option<&str> {
        self.ledger_name.as_deref()
    }

    /// The key the genesis named as the ledger's authority.
    pub fn genesis_authority(&self) -> Option<PublicKeyBytes> {
        self.authority
    }

    /// Every key ever granted, revoked ones included.
    pub fn keys(&self) -> impl Iterator<Item = &KeyRecord> {
        self.keys.values()
    }

    /// One key's record.
    pub fn get(&self, key: &PublicKeyBytes) -> Option<&KeyRecord> {
        self.keys.get(key)
    }

    /// Checks that `signer` may sign `event` as entry `seq`, and that the
    /// event makes sense for the registry (no double grant, no revoking the
    /// last authority…). Changes nothing.
    pub fn check(&self, seq: u64, signer: &PublicKeyBytes, event: &Event) -> Result<(), AuthError> {
        match event.requirement() {
            Requirement::Genesis => {
                if seq != 0 {
                    return Err(AuthError::GenesisNotFirst);
                }
                match event {
                    Event::Genesis(g) if &g.authority_key == signer => {
                        check_public_key(signer).map_err(AuthError::BadKey)?;
                        Ok(())
                    }
                    _ => Err(AuthError::GenesisSigner),
                }
            }
            Requirement::Role(role) => {
                if seq == 0 || self.authority.is_none() {
                    return Err(AuthError::NoGenesis);
                }
                let record = self
                    .keys
                    .get(signer)
                    .ok_or(AuthError::UnknownKey(*signer))?;
                if let Some((at, reason)) = &record.revoked {
                    return Err(AuthError::Revoked {
                        key: *signer,
                        holder: record.holder.clone(),
                        seq: *at,
                        reason: reason.clone(),
                    });
                }
                if !record.roles.contains_key(&role) {
                    return Err(AuthError::MissingRole {
                        key: *signer,
                        holder: record.holder.clone(),
                        role,
                        what: event.type_name(),
                    });
                }
                self.check_governance(event)
            }
        }
    }

    fn check_governance(&self, event: &Event) -> Result<(), AuthError> {
        match event {
            Event::KeyGranted(g) => {
                check_public_key(&g.public_key).map_err(AuthError::BadKey)?;
                if let Some(r) = self.keys.get(&g.public_key) {
                    if let Some((at, _)) = r.revoked {
                        return Err(AuthError::RegrantRevoked(g.public_key, at));
                    }
                    if r.roles.contains_key(&g.role) {
                        return Err(AuthError::AlreadyGranted(g.public_key, g.role));
                    }
                }
                Ok(())
            }
            Event::KeyRevoked(r) => {
                let rec = self
                    .keys
                    .get(&r.public_key)
                    .ok_or(AuthError::RevokeUnknown(r.public_key))?;
                if let Some((at, _)) = rec.revoked {
                    return Err(AuthError::AlreadyRevoked(r.public_key, at));
                }
                let other_authorities = self
                    .keys
                    .values()
                    .filter(|k| k.public_key != r.public_key && k.may(Role::Authority))
                    .count();
                if rec.may(Role::Authority) && other_authorities == 0 {
                    return Err(AuthError::LastAuthority(r.public_key));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Applies a governance event at `seq` (evidence changes nothing). Call
    /// only after [`KeyRegistry::check`] accepted it.
    pub fn apply(&mut self, seq: u64, event: &Event) {
        match event {
            Event::Genesis(g) => {
                self.ledger_name = Some(g.ledger_name.clone());
                self.authority = Some(g.authority_key);
                self.keys.insert(
                    g.authority_key,
                    KeyRecord {
                        public_key: g.authority_key,
                        holder: g.authority_holder.clone(),
                        roles: BTreeMap::from([(Role::Authority, seq)]),
                        revoked: None,
                    },
                );
            }
            Event::KeyGranted(g) => {
                let rec = self.keys.entry(g.public_key).or_insert_with(|| KeyRecord {
                    public_key: g.public_key,
                    holder: g.holder.clone(),
                    roles: BTreeMap::new(),
                    revoked: None,
                });
                rec.holder = g.holder.clone();
                rec.roles.insert(g.role, seq);
            }
            Event::KeyRevoked(r) => {
                if let Some(rec) = self.keys.get_mut(&r.public_key) {
                    rec.revoked = Some((seq, r.reason.clone()));
                }
            }
            _ => {}
        }
    }
}
