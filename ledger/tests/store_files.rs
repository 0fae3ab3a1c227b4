//! The store's files: private to their owner, and nothing left behind by an
//! `init` that was refused.

use custody_ledger::store::{AppendError, Ledger};
use std::os::unix::fs::PermissionsExt;

fn key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[3; 32])
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_new_store_is_its_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A directory custody makes is 0700; one the user made keeps its mode.
    for (target, dir_mode) in [(dir.path().join("new/ledger"), 0o700), (empty, 0o755)] {
        let (ledger, _) = Ledger::create(&target, "example.org/files", "A", &key()).unwrap();
        drop(ledger);
        assert_eq!(mode(&target), dir_mode, "{}", target.display());
        for f in ["custody.redb", "custody.lock"] {
            assert_eq!(mode(&target.join(f)), 0o600, "{f}");
        }
    }
}

#[test]
fn a_refused_init_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for name in ["has space", "non\u{a0}breaking", "plus+sign", "ünïcode", ""] {
        let absent = dir.path().join("absent").join("ledger");
        for target in [&absent, &empty] {
            match Ledger::create(target, name, "A", &key()) {
                Err(AppendError::Refused { .. }) => {}
                Err(e) => panic!("{name:?}: {e}"),
                Ok(_) => panic!("{name:?} was accepted as a ledger name"),
            }
        }
        assert!(!dir.path().join("absent").exists(), "{name:?}");
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "{name:?}");
    }
}
