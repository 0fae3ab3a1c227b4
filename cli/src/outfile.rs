//! Files a command writes because it was asked to (`--out FILE`): an export,
//! a bundle, a checkpoint note, a proof, a public key.
//!
//! - An existing file is never replaced unless `--force` says so: a typo in
//!   `--out` once put a checkpoint note over the authority's private key.
//! - Nothing is written inside a store's directory, whatever `--force`
//!   says: `export --out ledger/custody.redb` once replaced the live store.
//! - The file is written beside its final name, fsynced, then renamed into
//!   place, so a reader never sees half of it and a failure leaves nothing.

use crate::exit::{env, Failure};
use std::io::Write;
use std::path::Path;

/// Refuses `path` before anything is done that cannot be undone (so that
/// `checkpoint --out` fails before the checkpoint is recorded, not after).
pub(crate) fn check(path: &Path, force: bool) -> Result<(), Failure> {
    check_file(
        path,
        force,
        "choose another name, or pass --force to replace it",
    )
}

/// [`check`] for a file its command never replaces (it has no --force):
/// files that hold personal data in clear, and receipts.
pub(crate) fn check_new(path: &Path) -> Result<(), Failure> {
    check_file(
        path,
        false,
        "choose another name (this command never replaces a file)",
    )
}

fn check_file(path: &Path, force: bool, advice: &str) -> Result<(), Failure> {
    check_not_in_store(path)?;
    if !force && path.exists() {
        return Err(env(anyhow::anyhow!(
            "{}: already exists; {advice}",
            path.display()
        )));
    }
    if path.is_dir() {
        return Err(env(anyhow::anyhow!("{}: is a directory", path.display())));
    }
    // Found now, not after the checkpoint is recorded.
    if !parent(path).is_dir() {
        return Err(env(anyhow::anyhow!(
            "{}: the directory {} does not exist; create it first, or write elsewhere",
            path.display(),
            parent(path).display()
        )));
    }
    Ok(())
}

/// Refuses a path inside a store's directory.
pub(crate) fn check_not_in_store(path: &Path) -> Result<(), Failure> {
    let dir = parent(path);
    if custody_ledger::store::Ledger::is_store_dir(dir) {
        return Err(env(anyhow::anyhow!(
            "{}: refusing to write inside a store's directory ({}); write it elsewhere",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `path` through `write` (see the module docs). Returns what
/// `write` returned.
pub(crate) fn write_with<T>(
    path: &Path,
    force: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    write_file(path, force, false, write)
}

/// Writes `path` as [`write_with`] does, readable and writable by its
/// owner only (mode 0600) from the moment it is created, never replacing
/// a file: for files that hold personal data in clear (`custody sign`'s
/// statements, design docs/design/format-v3.md §4.2).
pub(crate) fn write_private_with<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    write_file(path, false, true, write)
}

fn write_file<T>(
    path: &Path,
    force: bool,
    private: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    if private {
        check_new(path)?;
    } else {
        check(path, force)?;
    }
    let io = |e: std::io::Error| env(anyhow::anyhow!("{}: {e}", path.display()));
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = private;
    let tmp = builder.tempfile_in(parent(path)).map_err(io)?;
    let mut out = std::io::BufWriter::new(tmp);
    let result = write(&mut out)?;
    let tmp = out.into_inner().map_err(|e| io(e.into_error()))?;
    tmp.as_file().sync_all().map_err(io)?;
    if force {
        tmp.persist(path).map_err(|e| io(e.error))?;
    } else {
        // Atomically refuses a file that appeared since `check`.
        tmp.persist_noclobber(path).map_err(|e| io(e.error))?;
    }
    Ok(result)
}

/// Writes `bytes` to `path` (see the module docs).
pub(crate) fn write(path: &Path, force: bool, bytes: &[u8]) -> Result<(), Failure> {
    write_with(path, force, |out| {
        out.write_all(bytes)
            .map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))
    })
}
