//! Compaction by rewrite: every live row of the store copied into a new
//! file, which replaces the old one by a rename.
//!
//! ## Why not redb's compaction
//!
//! redb does not clear a page it frees: the old bytes stay in the file until
//! the page is reused, which may be never. Its in-place compaction moves
//! the highest pages into the lowest free ones and truncates the file; it
//! stops as soon as the highest page finds no free place below it (a large
//! page and scattered small holes), leaving the holes below the new end as
//! they were, and it promises nothing about freed bytes either way (in the
//! scenarios tried with redb 4.6 it happened to overwrite them all). A
//! redaction deletes personal data from the store (docs/design/format-v3.md
//! §8); only a file written afresh from the live rows is sure to hold none
//! of the deleted bytes.

//! ## How
//!
//! [`Backend::rewrite`], with the store's writer lock (`custody.lock`) held
//! from before the old file was opened until after the rename:
//!
//! 1. removes a [`REWRITE_FILE`] a crashed rewrite left (nothing else makes
//!    that name, and no other writer can be running: the lock is ours);
//! 2. creates [`REWRITE_FILE`] beside the store (mode 0600, `create_new`),
//!    and copies into it every table the old file lists — whatever its
//!    name, so tables added later are copied without a change here — row by
//!    row from one read snapshot of the old file, in one write transaction,
//!    committed durably (redb spills the transaction's pages to the file
//!    past its cache budget: memory stays bounded by the caches, not by the
//!    store's size); compacts it in place (redb leaves a large
//!    transaction's file longer than its pages need: see `copy_tables`),
//!    closes it and `fsync`s it;
//! 3. reopens the new file read-only and compares it with the old one,
//!    table by table and row by row, streaming: the same table names, the
//!    same rows in the same order; on any difference the new file is
//!    removed and the rewrite fails with [`StoreError::CompactionStopped`],
//!    the old file untouched;
//! 4. closes the old file (a clean close, as after any command), renames
//!    the new file over `custody.redb`, and `fsync`s the directory.
//!
//! ## Crash safety
//!
//! A crash at any point leaves either the old store or the new one, whole:
//!
//! - before the rename, `custody.redb` is the old file, which the rewrite
//!   only read (the one write, its close in step 4, is an ordinary redb
//!   commit, itself crash-safe). The half-written or unverified
//!   [`REWRITE_FILE`] is never opened as the store; the next writable open
//!   removes it, a reader ignores it;
//! - `rename(2)` replaces the name atomically: `custody.redb` names the old
//!   inode or the new one, never neither, never a mixture. The new file was
//!   durable (committed with `Durability::Immediate`, closed cleanly,
//!   `fsync`ed) and checked before the rename, so whichever the name points
//!   at after a crash is whole;
//! - before the directory `fsync` returns, a power loss may undo the rename:
//!   the old file comes back, whole, and beside it the new one under
//!   [`REWRITE_FILE`], which the next writable open removes. Nothing was
//!   committed to the new file after the copy, so no acknowledged entry is
//!   lost either way.
//!
//! Readers take no lock. One that opened `custody.redb` before the rename
//! keeps reading the old inode (its file descriptor does not follow the
//! name) and sees the snapshot it opened, whole, until it closes; the
//! kernel frees the old file's blocks then. A reader that opens after the
//! rename reads the new file. Writers wait on `custody.lock` throughout.
//!
//! Only `custody.redb` is replaced: `custody.lock`, `access/` and whatever
//! else is in the store's directory are not touched.
//!
//! The new file needs as much free space as the live data (at most the old
//! file's size) until the rename.

use super::{contained, private_options, sync_dir, Backend, Handle, StoreError, DB_FILE};
use redb::{
    Database, Durability, MultimapTableDefinition, MultimapTableHandle, ReadTransaction,
    ReadableDatabase, ReadableMultimapTable, ReadableTable, TableDefinition, TableHandle,
};
use std::fs::File;
use std::path::Path;

/// The file a rewrite builds beside `custody.redb`; renamed over it once
/// whole and checked. Found at an open, it is what a crashed rewrite left.
pub(crate) const REWRITE_FILE: &str = "custody.redb.rewrite";

/// Every table of the store maps bytes to bytes (`TreeId::table`): a table
/// is opened under this type whatever its name. A table of another type
/// (none exists) stops the rewrite before anything changes.
fn table(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

/// The store has no multimap table; one added later is copied too.
fn multimap(name: &str) -> MultimapTableDefinition<'_, &'static [u8], &'static [u8]> {
    MultimapTableDefinition::new(name)
}

/// Removes what a crashed rewrite left in `dir`. Only a writer holding
/// `custody.lock` may call this: then no rewrite is running.
pub(super) fn remove_leftover(dir: &Path) -> Result<(), StoreError> {
    let path = dir.join(REWRITE_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io(&path, e)),
        _ => Ok(()),
    }
}

/// Debug builds (the test suite's) abort the process at the step of a
/// rewrite that `CUSTODY_TEST_CRASH` names, as a crash there would stop
/// it: no destructor runs, nothing is closed. Release builds never read it.
fn crash_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("CUSTODY_TEST_CRASH").is_ok_and(|v| v == step) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

fn stopped(dir: &Path, detail: String) -> StoreError {
    StoreError::CompactionStopped {
        dir: dir.to_path_buf(),
        detail,
    }
}

impl Backend {
    /// Rewrites the store into a new file holding only its live rows, and
    /// puts it in the old one's place (see the module docs, which give the
    /// crash-safety argument). Consumes the store: it is closed when this
    /// returns, and its lock released.
    pub(crate) fn rewrite(self) -> Result<(), StoreError> {
        self.rewrite_checked(|_| Ok(()))
    }

    /// [`Self::rewrite`], running `before_check` on the new file between
    /// the copy and the comparison (the tests change the copy there).
    fn rewrite_checked(
        self,
        before_check: impl FnOnce(&Path) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let Backend {
            dir,
            db,
            _lock,
            snapshot,
            ..
        } = self;
        drop(snapshot);
        let Handle::Write(db) = db else {
            return Err(StoreError::ReadOnly(dir));
        };
        let db = std::sync::Arc::try_unwrap(db).map_err(|_| {
            StoreError::io(&dir, std::io::Error::other("a commit is still under way"))
        })?;
        remove_leftover(&dir)?;
        let new = dir.join(REWRITE_FILE);
        let built = copy_tables(&dir, &db, &new)
            .and_then(|()| {
                crash_point("compact:copied");
                before_check(&new)
            })
            .and_then(|()| compare(&dir, &db, &new));
        // The old file is closed before its name moves: its last write (the
        // clean close) lands in the file that is still the store.
        let built =
            built.and_then(|()| contained(&dir, || db.close().map_err(|e| super::db_err(&dir, e))));
        if let Err(e) = built {
            let _ = std::fs::remove_file(&new);
            return Err(e);
        }
        crash_point("compact:before-rename");
        let path = dir.join(DB_FILE);
        std::fs::rename(&new, &path).map_err(|e| StoreError::io(&path, e))?;
        crash_point("compact:before-dir-sync");
        sync_dir(&dir)?;
        drop(_lock);
        Ok(())
    }
}

/// Copies every table of `src` into a new database at `to`, durably.
fn copy_tables(dir: &Path, src: &Database, to: &Path) -> Result<(), StoreError> {
    let fail = |e: redb::Error| stopped(dir, format!("writing {}: {e}", to.display()));
    private_options()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| StoreError::io(to, e))?;
    contained(dir, || {
        let mut builder = Database::builder();
        builder.set_cache_size(super::CACHE_BYTES);
        let mut out = builder.create(to).map_err(|e| fail(e.into()))?;
        let read = src.begin_read().map_err(|e| super::db_err(dir, e))?;
        let mut txn = out.begin_write().map_err(|e| fail(e.into()))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| fail(e.into()))?;
        txn.set_quick_repair(true);
        let read_err = |name: &str, e: redb::Error| {
            match e {
            redb::Error::TableTypeMismatch { .. } | redb::Error::TypeDefinitionChanged { .. } => stopped(
                dir,
                format!("table {name} does not hold bytes under byte keys, as every table of the store does ({e})"),
            ),
            e => super::db_err(dir, e),
        }
        };
        for handle in read.list_tables().map_err(|e| super::db_err(dir, e))? {
            let name = handle.name();
            let from = read
                .open_table(table(name))
                .map_err(|e| read_err(name, e.into()))?;
            let mut into = txn.open_table(table(name)).map_err(|e| fail(e.into()))?;
            for row in from.iter().map_err(|e| super::db_err(dir, e))? {
                let (k, v) = row.map_err(|e| super::db_err(dir, e))?;
                into.insert(k.value(), v.value())
                    .map_err(|e| fail(e.into()))?;
            }
        }
        for handle in read
            .list_multimap_tables()
            .map_err(|e| super::db_err(dir, e))?
        {
            let name = handle.name();
            let from = read
                .open_multimap_table(multimap(name))
                .map_err(|e| read_err(name, e.into()))?;
            let mut into = txn
                .open_multimap_table(multimap(name))
                .map_err(|e| fail(e.into()))?;
            for row in from.iter().map_err(|e| super::db_err(dir, e))? {
                let (k, values) = row.map_err(|e| super::db_err(dir, e))?;
                for v in values {
                    let v = v.map_err(|e| super::db_err(dir, e))?;
                    into.insert(k.value(), v.value())
                        .map_err(|e| fail(e.into()))?;
                }
            }
        }
        txn.commit().map_err(|e| fail(e.into()))?;
        // redb places some of a large transaction's pages past a gap (at
        // 1.1 M entries: 704 MiB of data, a 320 MiB hole, 64 MiB more), which
        // keeps the file long, if sparse. Its in-place compaction moves them
        // down; every page of this file holds live rows only, so no deleted
        // byte can be left behind by it here.
        while out.compact().map_err(|e| fail(e.into()))? {}
        out.close().map_err(|e| fail(e.into()))
    })?;
    File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(to, e))
}

/// The names of `txn`'s tables and of its multimap tables.
fn table_names(txn: &ReadTransaction) -> Result<(Vec<String>, Vec<String>), redb::Error> {
    let tables = txn.list_tables()?.map(|h| h.name().to_string()).collect();
    let multimaps = txn
        .list_multimap_tables()?
        .map(|h| h.name().to_string())
        .collect();
    Ok((tables, multimaps))
}

/// The position of the first item in which `a` and `b` differ (by `same`),
/// or at which one ends before the other; `None` if they are equal.
fn first_difference<T, U>(
    mut a: impl Iterator<Item = T>,
    mut b: impl Iterator<Item = U>,
    mut same: impl FnMut(T, U) -> Result<bool, StoreError>,
) -> Result<Option<u64>, StoreError> {
    let mut n = 0;
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ok(None),
            (Some(x), Some(y)) => {
                if !same(x, y)? {
                    return Ok(Some(n));
                }
                n += 1;
            }
            _ => return Ok(Some(n)),
        }
    }
}

/// Checks that the database at `copy` holds exactly what `src` holds: the
/// same tables, and in each the same rows in the same order. Streams both:
/// one row of each in memory at a time. A difference is reported by table
/// and row number, never by content (the rows hold personal data).
fn compare(dir: &Path, src: &Database, copy: &Path) -> Result<(), StoreError> {
    let ours_err = |e: redb::Error| super::db_err(dir, e);
    let theirs_err = |e: redb::Error| stopped(dir, format!("reading back {}: {e}", copy.display()));
    let differ = |what: String| {
        Err(stopped(
            dir,
            format!(
                "the new file {} differs from the store: {what}",
                copy.display()
            ),
        ))
    };
    contained(dir, || {
        let mut builder = Database::builder();
        builder.set_cache_size(super::READ_CACHE_BYTES);
        let theirs_db = builder
            .open_read_only(copy)
            .map_err(|e| theirs_err(e.into()))?;
        let ours = src.begin_read().map_err(|e| ours_err(e.into()))?;
        let theirs = theirs_db.begin_read().map_err(|e| theirs_err(e.into()))?;
        let (tables, multimaps) = table_names(&ours).map_err(ours_err)?;
        if table_names(&theirs).map_err(theirs_err)? != (tables.clone(), multimaps.clone()) {
            return differ("it holds other tables".into());
        }
        for name in &tables {
            let a = ours
                .open_table(table(name))
                .map_err(|e| ours_err(e.into()))?;
            let b = theirs
                .open_table(table(name))
                .map_err(|e| theirs_err(e.into()))?;
            let a = a.iter().map_err(|e| ours_err(e.into()))?;
            let b = b.iter().map_err(|e| theirs_err(e.into()))?;
            let at = first_difference(a, b, |x, y| {
                let (ka, va) = x.map_err(|e| ours_err(e.into()))?;
                let (kb, vb) = y.map_err(|e| theirs_err(e.into()))?;
                Ok(ka.value() == kb.value() && va.value() == vb.value())
            })?;
            if let Some(n) = at {
                return differ(format!("table {name}, row {n}"));
            }
        }
        for name in &multimaps {
            let a = ours
                .open_multimap_table(multimap(name))
                .map_err(|e| ours_err(e.into()))?;
            let b = theirs
                .open_multimap_table(multimap(name))
                .map_err(|e| theirs_err(e.into()))?;
            let a = a.iter().map_err(|e| ours_err(e.into()))?;
            let b = b.iter().map_err(|e| theirs_err(e.into()))?;
            let at = first_difference(a, b, |x, y| {
                let (ka, va) = x.map_err(|e| ours_err(e.into()))?;
                let (kb, vb) = y.map_err(|e| theirs_err(e.into()))?;
                let values = first_difference(va, vb, |v, w| {
                    let v = v.map_err(|e| ours_err(e.into()))?;
                    let w = w.map_err(|e| theirs_err(e.into()))?;
                    Ok(v.value() == w.value())
                })?;
                Ok(ka.value() == kb.value() && values.is_none())
            })?;
            if let Some(n) = at {
                return differ(format!("multimap table {name}, key {n}"));
            }
        }
        drop((ours, theirs));
        theirs_db.close().map_err(|e| theirs_err(e.into()))
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Access, TreeId, WriteSet};
    use super::*;
    use redb::ReadableTableMetadata;
    use std::path::PathBuf;

    /// A witness's name, as a redaction would erase it.
    const MARKER: &[u8] = b"Witness-Oksana-Marker-7f3a9c";

    fn contains(file: &Path, needle: &[u8]) -> bool {
        std::fs::read(file)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
    }

    /// A store with `rows` status rows of filler, each commit a few rows,
    /// so the file has many pages and free ones between them.
    fn store_with_filler(rows: u32) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        std::fs::create_dir(&dir).unwrap();
        let backend = Backend::open(&dir, Access::Create).unwrap();
        for chunk in 0..rows / 50 {
            let mut w = WriteSet::new();
            for i in chunk * 50..(chunk + 1) * 50 {
                w.insert(TreeId::Status, &filler_key(i), &[b'f'; 300]);
                w.insert(TreeId::Entries, &u64::from(i).to_be_bytes(), &[b'e'; 500]);
            }
            backend.commit(w).unwrap();
        }
        backend.close().unwrap();
        (tmp, dir)
    }

    fn filler_key(i: u32) -> Vec<u8> {
        format!("P-{i:06}").into_bytes()
    }

    /// Every row of every table, as (table, key, value).
    fn all_rows(dir: &Path) -> Vec<(String, Vec<u8>, Vec<u8>)> {
        let db = Database::builder()
            .open_read_only(dir.join(DB_FILE))
            .unwrap();
        let txn = db.begin_read().unwrap();
        let mut out = Vec::new();
        for h in txn.list_tables().unwrap() {
            let t = txn.open_table(table(h.name())).unwrap();
            for row in t.iter().unwrap() {
                let (k, v) = row.unwrap();
                out.push((h.name().to_string(), k.value().to_vec(), v.value().to_vec()));
            }
        }
        for h in txn.list_multimap_tables().unwrap() {
            let t = txn.open_multimap_table(multimap(h.name())).unwrap();
            for row in t.iter().unwrap() {
                let (k, values) = row.unwrap();
                for v in values {
                    let v = v.unwrap().value().to_vec();
                    out.push((format!("multimap {}", h.name()), k.value().to_vec(), v));
                }
            }
        }
        out
    }

    fn writer(backend: &Backend) -> &Database {
        match &backend.db {
            Handle::Write(db) => db,
            _ => panic!("not opened to write"),
        }
    }

    /// The defence of issue 15: a row deleted from the store (as a
    /// redaction deletes a disclosure) is still in the raw file after the
    /// delete commits — redb does not clear freed pages — and no byte of it
    /// is there after a rewrite, which replaced the file (another inode).
    /// redb 4.6's in-place compaction happens to overwrite this row's pages
    /// (and those of every layout tried: scattered holes, a large page on
    /// top), so the marker alone would not catch a return to it; the inode
    /// does.
    #[test]
    fn a_deleted_row_leaves_no_byte_in_the_file_after_a_rewrite() {
        let (_tmp, dir) = store_with_filler(1_000);
        let file = dir.join(DB_FILE);
        let backend = Backend::open(&dir, Access::Write).unwrap();
        let mut w = WriteSet::new();
        let mut secret = b"{\"name\":\"".to_vec();
        secret.extend_from_slice(MARKER);
        secret.extend_from_slice(b"\"}");
        w.insert(TreeId::Status, b"P-000500-disclosure", &secret);
        w.insert(TreeId::Persons, MARKER, b"");
        backend.commit(w).unwrap();
        // More live rows after it, so its pages are not at the file's end.
        let mut w = WriteSet::new();
        for i in 1_000..1_400 {
            w.insert(TreeId::Status, &filler_key(i), &[b'g'; 300]);
        }
        backend.commit(w).unwrap();
        let mut w = WriteSet::new();
        w.remove(TreeId::Status, b"P-000500-disclosure");
        w.remove(TreeId::Persons, MARKER);
        backend.commit(w).unwrap();
        backend.close().unwrap();
        assert!(
            contains(&file, MARKER),
            "the premise: a deleted row's bytes stay in the file"
        );
        let live = all_rows(&dir);
        assert!(!live
            .iter()
            .any(|(_, k, v)| k.windows(MARKER.len()).any(|w| w == MARKER)
                || v.windows(MARKER.len()).any(|w| w == MARKER)));

        let inode = |p: &Path| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p).unwrap().ino()
        };
        let old = inode(&file);
        Backend::open(&dir, Access::Write)
            .unwrap()
            .rewrite()
            .unwrap();
        assert!(
            !contains(&file, MARKER),
            "a deleted row survived the rewrite"
        );
        assert_ne!(
            inode(&file),
            old,
            "the file was compacted in place, not rewritten"
        );
        assert_eq!(all_rows(&dir), live, "the rewrite changed the live rows");
        assert!(!dir.join(REWRITE_FILE).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // The store opens and takes commits as before.
        let backend = Backend::open(&dir, Access::Write).unwrap();
        let mut w = WriteSet::new();
        w.insert(TreeId::Status, b"P-after", b"x");
        backend.commit(w).unwrap();
        assert_eq!(
            backend.get(TreeId::Status, b"P-after").unwrap().unwrap(),
            b"x"
        );
        assert_eq!(
            backend
                .get(TreeId::Status, &filler_key(7))
                .unwrap()
                .unwrap(),
            [b'f'; 300]
        );
    }

    /// Tables the rewrite does not name — added by a later layout — are
    /// copied too, multimap tables included.
    #[test]
    fn a_rewrite_copies_tables_it_does_not_name() {
        let (_tmp, dir) = store_with_filler(100);
        let backend = Backend::open(&dir, Access::Write).unwrap();
        let txn = writer(&backend).begin_write().unwrap();
        {
            let mut t = txn.open_table(table("added_later")).unwrap();
            for i in 0u32..500 {
                t.insert(i.to_be_bytes().as_slice(), [7u8; 40].as_slice())
                    .unwrap();
            }
            let mut m = txn
                .open_multimap_table(multimap("added_later_multi"))
                .unwrap();
            m.insert(b"k".as_slice(), b"v1".as_slice()).unwrap();
            m.insert(b"k".as_slice(), b"v2".as_slice()).unwrap();
            m.insert(b"l".as_slice(), b"v3".as_slice()).unwrap();
        }
        txn.commit().unwrap();
        backend.close().unwrap();
        let before = all_rows(&dir);
        assert!(before.iter().any(|(t, _, _)| t == "added_later"));
        assert!(before
            .iter()
            .any(|(t, _, _)| t == "multimap added_later_multi"));
        Backend::open(&dir, Access::Write)
            .unwrap()
            .rewrite()
            .unwrap();
        assert_eq!(all_rows(&dir), before);
    }

    /// A table of another type than bytes → bytes cannot be copied raw: the
    /// rewrite stops before it changes anything, and says which table.
    #[test]
    fn a_table_of_another_type_stops_the_rewrite() {
        let (_tmp, dir) = store_with_filler(100);
        let backend = Backend::open(&dir, Access::Write).unwrap();
        let txn = writer(&backend).begin_write().unwrap();
        {
            let def: TableDefinition<u64, u64> = TableDefinition::new("numbers");
            txn.open_table(def).unwrap().insert(1, 2).unwrap();
        }
        txn.commit().unwrap();
        backend.close().unwrap();
        let before = std::fs::read(dir.join(DB_FILE)).unwrap();
        let err = Backend::open(&dir, Access::Write)
            .unwrap()
            .rewrite()
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::CompactionStopped { detail, .. } if detail.contains("numbers")),
            "{err}"
        );
        assert!(!dir.join(REWRITE_FILE).exists());
        // The store holds what it held, the odd table included.
        let db = Database::builder()
            .open_read_only(dir.join(DB_FILE))
            .unwrap();
        let txn = db.begin_read().unwrap();
        let def: TableDefinition<u64, u64> = TableDefinition::new("numbers");
        assert_eq!(
            txn.open_table(def)
                .unwrap()
                .get(1)
                .unwrap()
                .unwrap()
                .value(),
            2
        );
        let status = txn.open_table(table("status")).unwrap();
        assert_eq!(status.len().unwrap(), 100);
        assert_eq!(
            std::fs::read(dir.join(DB_FILE)).unwrap().len(),
            before.len()
        );
    }

    /// The comparison after the copy is a defence: a copy that differs from
    /// the store in any way — a row more, a row less, a changed value, a
    /// table more — is removed, the rewrite fails with a typed error, and
    /// the store holds what it held.
    #[test]
    fn a_copy_that_differs_is_removed_and_the_store_kept() {
        type Change = fn(&redb::WriteTransaction);
        let changes: [(&str, Change); 4] = [
            ("row more", |t| {
                let mut s = t.open_table(table("status")).unwrap();
                s.insert(b"P-zzz".as_slice(), b"x".as_slice()).unwrap();
            }),
            ("row less", |t| {
                let mut s = t.open_table(table("status")).unwrap();
                s.remove(filler_key(3).as_slice()).unwrap();
            }),
            ("changed value", |t| {
                let mut s = t.open_table(table("entries")).unwrap();
                s.insert(9u64.to_be_bytes().as_slice(), [b'E'; 500].as_slice())
                    .unwrap();
            }),
            ("table more", |t| {
                t.open_table(table("extra")).unwrap();
            }),
        ];
        for (what, change) in changes {
            let (_tmp, dir) = store_with_filler(200);
            let before = all_rows(&dir);
            let err = Backend::open(&dir, Access::Write)
                .unwrap()
                .rewrite_checked(|new| {
                    let db = Database::open(new).unwrap();
                    let txn = db.begin_write().unwrap();
                    change(&txn);
                    txn.commit().unwrap();
                    Ok(())
                })
                .unwrap_err();
            assert!(
                matches!(&err, StoreError::CompactionStopped { detail, .. } if detail.contains("differs")),
                "{what}: {err}"
            );
            assert!(!dir.join(REWRITE_FILE).exists(), "{what}");
            assert_eq!(all_rows(&dir), before, "{what}");
        }
    }

    /// What a crashed rewrite leaves is removed by the next writer (which
    /// holds the lock, so no rewrite is running) and ignored by readers.
    #[test]
    fn a_leftover_rewrite_file_is_removed_by_a_writer_and_ignored_by_a_reader() {
        let (_tmp, dir) = store_with_filler(100);
        let leftover = dir.join(REWRITE_FILE);
        std::fs::write(&leftover, b"half a database").unwrap();
        let reader = Backend::open(&dir, Access::Read).unwrap();
        assert_eq!(
            reader.get(TreeId::Status, &filler_key(1)).unwrap().unwrap(),
            [b'f'; 300]
        );
        reader.close().unwrap();
        assert!(
            leftover.exists(),
            "a reader never writes the store's directory"
        );
        Backend::open(&dir, Access::Write).unwrap().close().unwrap();
        assert!(!leftover.exists());
        // And a rewrite over a leftover starts afresh.
        std::fs::write(&leftover, b"half a database").unwrap();
        let writer = Backend::open(&dir, Access::Write).unwrap();
        std::fs::write(&leftover, b"made while the writer held the lock").unwrap();
        writer.rewrite().unwrap();
        assert!(!leftover.exists());
        assert_eq!(all_rows(&dir).len(), 200);
    }

    /// A reader that opened the store before a rewrite keeps reading the
    /// old file, whole, after the rename.
    #[test]
    fn a_reader_open_across_a_rewrite_keeps_its_snapshot() {
        let (_tmp, dir) = store_with_filler(200);
        let reader = Backend::open(&dir, Access::Read).unwrap();
        Backend::open(&dir, Access::Write)
            .unwrap()
            .rewrite()
            .unwrap();
        let rows: Vec<_> = reader
            .scan_from(TreeId::Status, b"")
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 200);
        assert_eq!(rows[0].1, [b'f'; 300]);
        reader.close().unwrap();
    }
}
