//! Who may read people's data through `custody serve`, and a record of
//! every such read: the reader tokens and the access log, kept in the
//! store's directory but outside the chain.
//!
//! Both live in `<store>/access/` (mode 0700), never in the store's own
//! database file, whose layout is the ledger's business:
//!
//! - `tokens.json` (mode 0600): one record per token issued — the SHA-256
//!   of the token, its holder, role, profile, issue and expiry times, the
//!   authority key that issued it and, once revoked, when. The token itself
//!   is printed once by `custody token issue` and never stored: a copy of
//!   this file gives no one a token (256 random bits cannot be found from
//!   their hash). The file is replaced whole on each change (a temporary
//!   file, fsynced, renamed over it, the directory fsynced), under an
//!   exclusive lock on `tokens.lock`, so two `token` commands never lose
//!   each other's change and a reader never sees half a file.
//! - `access-log.jsonl` (mode 0600): one JSON object a line for every read
//!   of people's data the server answered — time, holder, the token's hash
//!   prefix, the route, the person, the HTTP status — appended and fsynced
//!   before the answer is sent, so no read goes unrecorded (a log that
//!   cannot be written refuses the read).
//!
//! A tokens file other users may read or write is refused, not repaired:
//! write access to it would let anyone add a token of their own, and a
//! mode that changed is a sign someone did something to it. The refusal
//! says to check the file and then `chmod 600` it.
//!
//! Tokens are not signed entries: issuing one needs the authority's key
//! (the issuer must hold `authority` in the ledger now, so the operator
//! proves they are the ledger's authority), but a token grants reading
//! only, is revocable at once, and its record is the server's own
//! configuration, not evidence.

use custody_format::event::PublicKeyBytes;
use custody_format::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The directory, inside a store's, that holds the access files.
pub(crate) const ACCESS_DIR: &str = "access";
/// The tokens file, in [`ACCESS_DIR`].
const TOKENS_FILE: &str = "tokens.json";
/// The lock taken while the tokens file is changed.
const TOKENS_LOCK: &str = "tokens.lock";
/// The access log, in [`ACCESS_DIR`].
const LOG_FILE: &str = "access-log.jsonl";
/// What a tokens file says it is.
const TOKENS_FORMAT: &str = "custody-access-tokens/1";
/// How every token begins, so that one pasted where it should not be (a
/// chat, a ticket, a repository) can be recognised and revoked.
pub(crate) const TOKEN_PREFIX: &str = "custody-rt-";
/// A tokens file larger than this is refused (a thousand tokens take
/// about 300 KiB).
const MAX_TOKENS_BYTES: u64 = 16 << 20;

/// Why the access files cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AccessError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The tokens file is open to other users.
    #[error("{path} is readable or writable by other users (mode {mode:03o}); it is refused: anyone who can write it can give themselves a reader token. Check that it holds only the tokens you issued (`custody token list`), then run `chmod 600 {path}`")]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The tokens file is not what this build writes.
    #[error("{path} is not a tokens file this build reads: {detail}; restore it from a backup, or move it away and issue the tokens again")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AccessError + '_ {
    move |source| AccessError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a token lets its holder do. Only `reader` exists: reading people's
/// data through `custody serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TokenRole {
    /// Reads statuses, bundles, dossiers and reports.
    Reader,
}

impl TokenRole {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TokenRole::Reader => "reader",
        }
    }
}

/// Which cut of people's data a reader sees: the export profiles of
/// design docs/design/format-v3.md §7 (`custody_ledger::profile`), which
/// `custody serve` applies to every read the token makes (`crate::serve`
/// and `serve::profile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Profile {
    /// Every personal value the store holds (prosecutors, courts).
    Court,
    /// Identity, place and official fields: no witness, no free text (a
    /// family or its lawyer).
    Family,
    /// No personal value at all: statuses, dates and figures only.
    Public,
}

impl Profile {
    pub(crate) fn name(self) -> &'static str {
        self.cut().name()
    }

    /// The export profile of the same name, which decides what the token
    /// reads.
    pub(crate) fn cut(self) -> custody_ledger::profile::Profile {
        match self {
            Profile::Court => custody_ledger::profile::Profile::Court,
            Profile::Family => custody_ledger::profile::Profile::Family,
            Profile::Public => custody_ledger::profile::Profile::Public,
        }
    }
}

/// One issued token, as stored (never the token itself).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRecord {
    /// SHA-256 of the token's text, hex.
    pub sha256: String,
    /// Who holds it.
    pub holder: String,
    /// What it allows.
    pub role: TokenRole,
    /// The cut of people's data it reads.
    pub profile: Profile,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// When it stops working (RFC 3339), if ever.
    pub expires_at: Option<String>,
    /// The authority key that issued it (hex).
    pub issued_by: String,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
}

/// Whether a token works now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

impl TokenRecord {
    /// The first 12 hex digits of the token's hash: how lists and the
    /// access log name a token.
    pub(crate) fn hash_prefix(&self) -> &str {
        &self.sha256[..12.min(self.sha256.len())]
    }

    /// Active, expired or revoked at `now`. An expiry that does not parse
    /// counts as passed: a token is never let in by a record it cannot
    /// read.
    pub(crate) fn state(&self, now: Timestamp) -> TokenState {
        if self.revoked_at.is_some() {
            return TokenState::Revoked;
        }
        match &self.expires_at {
            None => TokenState::Active,
            Some(t) => match Timestamp::parse_rfc3339(t) {
                Ok(t) if now < t => TokenState::Active,
                _ => TokenState::Expired,
            },
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    format: String,
    tokens: Vec<TokenRecord>,
}

/// The access files of one store.
#[derive(Clone, Debug)]
pub(crate) struct AccessFiles {
    dir: PathBuf,
}

/// A new token: `custody-rt-` and 256 random bits (base64url).
pub(crate) fn new_token() -> Result<String, AccessError> {
    use base64::Engine;
    let mut bits = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(bits.as_mut()).map_err(|e| AccessError::Io {
        path: PathBuf::from("(the system's random number generator)"),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits.as_ref())
    ))
}

/// SHA-256 of a token's text, hex.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl AccessFiles {
    /// The access files of the store in `store`.
    pub(crate) fn of(store: &Path) -> AccessFiles {
        AccessFiles {
            dir: store.join(ACCESS_DIR),
        }
    }

    fn tokens_path(&self) -> PathBuf {
        self.dir.join(TOKENS_FILE)
    }

    /// The access log's path.
    pub(crate) fn log_path(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }

    /// Creates the directory (mode 0700) if it is missing.
    fn ensure_dir(&self) -> Result<(), AccessError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&self.dir).map_err(io(&self.dir))
    }

    /// Every token record (none if no token was ever issued); a file open
    /// to other users, or one that does not parse, is refused.
    pub(crate) fn tokens(&self) -> Result<Vec<TokenRecord>, AccessError> {
        use std::io::Read;
        let path = self.tokens_path();
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&path)(e)),
        };
        check_private(&path, &file)?;
        let mut text = Vec::new();
        file.take(MAX_TOKENS_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(io(&path))?;
        let malformed = |detail: String| AccessError::Malformed {
            path: path.clone(),
            detail,
        };
        if text.len() as u64 > MAX_TOKENS_BYTES {
            return Err(malformed(format!("over {MAX_TOKENS_BYTES} bytes")));
        }
        let parsed: TokensFile =
            serde_json::from_slice(&text).map_err(|e| malformed(e.to_string()))?;
        if parsed.format != TOKENS_FORMAT {
            return Err(malformed(format!(
                "its format is {:?}, not {TOKENS_FORMAT:?}",
                parsed.format
            )));
        }
        Ok(parsed.tokens)
    }

    /// Changes the tokens under the lock: reads them, lets `change` edit
    /// them, and writes them back atomically if it returned `Ok`.
    pub(crate) fn update<T, E: From<AccessError>>(
        &self,
        change: impl FnOnce(&mut Vec<TokenRecord>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.ensure_dir()?;
        let lock_path = self.dir.join(TOKENS_LOCK);
        let lock = private_options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let mut tokens = self.tokens()?;
        let result = change(&mut tokens)?;
        self.write_tokens(&tokens)?;
        Ok(result)
    }

    /// Replaces the tokens file: a temporary file (0600) beside it,
    /// fsynced, renamed over it, and the directory fsynced so the rename
    /// survives a power cut.
    fn write_tokens(&self, tokens: &[TokenRecord]) -> Result<(), AccessError> {
        let path = self.tokens_path();
        let text = serde_json::to_string_pretty(&TokensFile {
            format: TOKENS_FORMAT.into(),
            tokens: tokens.to_vec(),
        })
        .map_err(|e| io(&path)(std::io::Error::other(e)))?
            + "\n";
        let tmp = tempfile::Builder::new()
            .prefix(".tokens.")
            .tempfile_in(&self.dir)
            .map_err(io(&self.dir))?;
        // tempfile creates its files 0600 on unix already; said here too,
        // because the tokens file must never be created readable.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io(tmp.path()))?;
        }
        let mut file = tmp.as_file();
        file.write_all(text.as_bytes()).map_err(io(&path))?;
        file.sync_all().map_err(io(&path))?;
        tmp.persist(&path).map_err(|e| io(&path)(e.error))?;
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))
    }

    /// Refuses a tokens file open to other users (see the module docs); a
    /// missing one is fine.
    pub(crate) fn check_tokens_file(&self) -> Result<(), AccessError> {
        self.tokens().map(|_| ())
    }

    /// The record of `token` if it is one of ours and active at `now`;
    /// otherwise why not (the caller does not tell the client which).
    pub(crate) fn authenticate(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Result<TokenRecord, &'static str>, AccessError> {
        let hash = token_hash(token);
        let found = self.tokens()?.into_iter().find(|t| t.sha256 == hash);
        Ok(match found {
            Some(t) if t.state(now) == TokenState::Active => Ok(t),
            Some(t) => Err(t.state(now).name()),
            None => Err("unknown"),
        })
    }

    /// Appends one line to the access log (created 0600), fsynced before
    /// this returns.
    pub(crate) fn log(&self, record: &AccessRecord) -> Result<(), AccessError> {
        self.ensure_dir()?;
        let path = self.log_path();
        let mut file = private_options()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io(&path))?;
        let line =
            serde_json::to_string(record).map_err(|e| io(&path)(std::io::Error::other(e)))? + "\n";
        file.write_all(line.as_bytes()).map_err(io(&path))?;
        file.sync_data().map_err(io(&path))
    }

    /// Calls `each` with every line of the access log, parsed, in order
    /// (read as a stream: the log only grows); nothing if nothing was
    /// logged.
    pub(crate) fn for_each_logged(
        &self,
        mut each: impl FnMut(AccessRecord),
    ) -> Result<(), AccessError> {
        use std::io::BufRead;
        let path = self.log_path();
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&path)(e)),
        };
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io(&path))?;
            if line.trim().is_empty() {
                continue;
            }
            let record = serde_json::from_str(&line).map_err(|e| AccessError::Malformed {
                path: path.clone(),
                detail: format!("line {}: {e}", i + 1),
            })?;
            each(record);
        }
        Ok(())
    }
}

/// One read of people's data, as the access log records it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessRecord {
    /// When the server answered (RFC 3339).
    pub at: String,
    /// The token's holder.
    pub holder: String,
    /// The token's hash prefix (never the token).
    pub token: String,
    /// The route, as declared (`/v1/persons/{id}/status`).
    pub route: String,
    /// The person read, if the route names one.
    pub person: Option<String>,
    /// The query string's parameters the route took (`format=html`).
    pub query: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
}

/// Options that create a file readable and writable by its owner alone.
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Refuses a file whose group or other permission bits are set.
fn check_private(path: &Path, file: &std::fs::File) -> Result<(), AccessError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(io(path))?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AccessError::Exposed {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let _ = (path, file);
    Ok(())
}

/// The authority key as the tokens file records it.
pub(crate) fn key_hex(key: &PublicKeyBytes) -> String {
    hex::encode(key.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_at: Option<&str>, revoked_at: Option<&str>) -> TokenRecord {
        TokenRecord {
            sha256: token_hash("custody-rt-x"),
            holder: "Court".into(),
            role: TokenRole::Reader,
            profile: Profile::Court,
            issued_at: "2026-01-01T00:00:00Z".into(),
            expires_at: expires_at.map(Into::into),
            issued_by: "00".repeat(32),
            revoked_at: revoked_at.map(Into::into),
        }
    }

    #[test]
    fn a_token_is_active_until_it_expires_or_is_revoked() {
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let now = t("2026-06-01T00:00:00Z");
        assert_eq!(record(None, None).state(now), TokenState::Active);
        assert_eq!(
            record(Some("2026-06-01T00:00:01Z"), None).state(now),
            TokenState::Active
        );
        assert_eq!(
            record(Some("2026-06-01T00:00:00Z"), None).state(now),
            TokenState::Expired
        );
        assert_eq!(
            record(Some("not a time"), None).state(now),
            TokenState::Expired
        );
        assert_eq!(
            record(None, Some("2026-05-01T00:00:00Z")).state(now),
            TokenState::Revoked
        );
    }

    #[test]
    fn tokens_are_prefixed_random_and_stored_only_as_hashes() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert!(a.starts_with(TOKEN_PREFIX), "{a}");
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43, "{a}");
        assert_ne!(a, b);
        let dir = tempfile::tempdir().unwrap();
        let files = AccessFiles::of(dir.path());
        files
            .update(|tokens| {
                let mut r = record(None, None);
                r.sha256 = token_hash(&a);
                tokens.push(r);
                Ok::<_, AccessError>(())
            })
            .unwrap();
        let text = std::fs::read_to_string(files.tokens_path()).unwrap();
        assert!(!text.contains(&a[TOKEN_PREFIX.len()..]), "{text}");
        let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        assert_eq!(
            files.authenticate(&a, now).unwrap().unwrap().holder,
            "Court"
        );
        assert!(files.authenticate(&b, now).unwrap().is_err());
    }
}
