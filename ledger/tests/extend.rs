//! `Ledger::extend`, what a mirror builds on: a replica takes entries
//! signed elsewhere only if they follow its head under every chain rule
//! and the caller accepts the tree they complete; otherwise it is left
//! exactly as it was.

use custody_format::entry::SignedEntry;
use custody_ledger::store::{ExtendError, Ledger, RestoreOptions};
use custody_testkit::events::capture;
use custody_testkit::keys::{authority, investigator};
use custody_testkit::ledger::with_investigator;

#[derive(Debug, thiserror::Error)]
#[error("not accepted")]
struct No;

fn entries(l: &Ledger, from: u64) -> Vec<SignedEntry> {
    (from..l.len())
        .map(|s| l.entry(s).unwrap().unwrap())
        .collect()
}

/// A source ledger with `n` captures and a replica of its first `keep`
/// entries.
fn source_and_replica(dir: &std::path::Path, n: usize, keep: u64) -> (Ledger, Ledger) {
    let mut src = with_investigator(&dir.join("src"));
    for i in 0..n {
        src.append(vec![capture(&format!("P-{i}"))], &investigator())
            .unwrap();
    }
    let first: Vec<_> = entries(&src, 0).into_iter().take(keep as usize).collect();
    let replica = Ledger::restore(
        &dir.join("replica"),
        first.into_iter().map(Ok::<_, std::io::Error>),
        RestoreOptions::default(),
        |_| {},
    )
    .unwrap();
    (src, replica)
}

#[test]
fn the_replica_takes_what_follows_and_the_caller_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (src, mut replica) = source_and_replica(dir.path(), 5, 3);
    let want = src.merkle_root(src.len()).unwrap();
    let mut seen = None;
    let size = replica
        .extend(entries(&src, 3), |registry, size, root| {
            seen = Some((size, *root, registry.genesis_authority()));
            Ok::<_, No>(())
        })
        .unwrap();
    assert_eq!(size, src.len());
    assert_eq!(
        seen,
        Some((
            src.len(),
            want,
            Some(custody_ledger::keyfile::public_key_of(&authority()))
        ))
    );
    assert_eq!(replica.head(), src.head());
}

#[test]
fn a_tree_the_caller_refuses_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (src, mut replica) = source_and_replica(dir.path(), 4, 2);
    let before = replica.head();
    let e = replica
        .extend(entries(&src, 2), |_, _, _| Err(No))
        .unwrap_err();
    assert!(matches!(e, ExtendError::NotAccepted(No)), "{e}");
    assert_eq!(replica.head(), before);
    drop(replica);
    let reopened = Ledger::open_read_only(&dir.path().join("replica")).unwrap();
    assert_eq!(reopened.head(), before, "nothing reached the disk");
}

#[test]
fn entries_of_a_fork_do_not_follow_the_replica() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = source_and_replica(dir.path(), 2, 4);
    // Another ledger of the same name and keys: its entries are signed by
    // the same keys, and follow another head.
    let (fork, _) = source_and_replica(&dir.path().join("fork"), 3, 1);
    let before = replica.head();
    let e = replica
        .extend(entries(&fork, 4), |_, _, _| Ok::<_, No>(()))
        .unwrap_err();
    assert!(matches!(e, ExtendError::Refused { seq: 4, .. }), "{e}");
    assert_eq!(replica.head(), before);
}
