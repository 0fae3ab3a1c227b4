//! Key files are the ones ordinary tools read and write: a key custody
//! writes is read by `openssl pkey` (OpenSSL 3.0 refuses the PKCS#8 v2 form
//! ed25519-dalek writes by default), and the public key OpenSSL derives from
//! it is custody's.

use custody_ledger::keyfile::{public_key_of, read_signing_key, write_signing_key};
use std::process::Command;

#[test]
fn openssl_reads_the_private_keys_custody_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pem");
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    write_signing_key(&path, &key).unwrap();
    let out = Command::new("openssl")
        .args(["pkey", "-in"])
        .arg(&path)
        .args(["-pubout", "-outform", "DER"])
        .output()
        .expect("openssl is installed (see README: prerequisites)");
    assert!(
        out.status.success(),
        "openssl pkey refused the key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The SPKI DER of an Ed25519 key ends with the 32 key bytes.
    let der = out.stdout;
    assert_eq!(&der[der.len() - 32..], &public_key_of(&key).0);
    // And custody reads back what it wrote.
    assert_eq!(read_signing_key(&path).unwrap().to_bytes(), key.to_bytes());
}

#[test]
fn a_key_readable_by_others_is_noticed_and_a_huge_file_is_not_read() {
    use custody_ledger::keyfile::{exposed_mode, KeyFileError, KeyProblem};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pem");
    write_signing_key(&path, &ed25519_dalek::SigningKey::from_bytes(&[4; 32])).unwrap();
    assert_eq!(exposed_mode(&path), None, "custody writes keys 0600");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(exposed_mode(&path), Some(0o044));
    let big = dir.path().join("data.bin");
    std::fs::write(&big, vec![b'x'; 1 << 20]).unwrap();
    assert!(matches!(
        read_signing_key(&big),
        Err(KeyFileError::Format {
            problem: KeyProblem::TooLarge,
            ..
        })
    ));
}

/// Encrypted keys too: OpenSSL reads the scrypt/AES-256-CBC keys custody
/// writes (its scrypt memory limit is 32 MiB), and custody reads both kinds
/// OpenSSL writes: `genpkey -aes256` (PBKDF2-SHA256) and `pkcs8 -scrypt`.
#[test]
fn encrypted_keys_go_both_ways_between_openssl_and_custody() {
    use custody_ledger::keyfile::{
        read_signing_key_with, write_encrypted_signing_key, KeyFileError,
    };
    use zeroize::Zeroizing;
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.pem");
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    write_encrypted_signing_key(&ours, &key, "field pass").unwrap();
    let out = Command::new("openssl")
        .args(["pkey", "-passin", "pass:field pass", "-in"])
        .arg(&ours)
        .args(["-pubout", "-outform", "DER"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl pkey refused custody's encrypted key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(&out.stdout[out.stdout.len() - 32..], &public_key_of(&key).0);

    let theirs = dir.path().join("theirs.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "ed25519",
            "-aes256",
            "-pass",
            "pass:pw",
            "-out",
        ])
        .arg(&theirs)
        .status()
        .unwrap();
    assert!(made.success());
    let scrypt = dir.path().join("scrypt.pem");
    let made = Command::new("openssl")
        .args([
            "pkcs8", "-topk8", "-scrypt", "-passin", "pass:pw", "-passout", "pass:pw2", "-in",
        ])
        .arg(&theirs)
        .arg("-out")
        .arg(&scrypt)
        .status()
        .unwrap();
    assert!(made.success());
    let pw = |p: &'static str| move || Ok(Zeroizing::new(p.to_string()));
    let a = read_signing_key_with(&theirs, &mut pw("pw")).unwrap();
    let b = read_signing_key_with(&scrypt, &mut pw("pw2")).unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes(), "one key, two encryptions");
    assert!(matches!(
        read_signing_key_with(&theirs, &mut pw("pw2")),
        Err(KeyFileError::WrongPassphrase(_))
    ));
}

/// What custody does not decrypt is named, not taken for a wrong passphrase
/// or a damaged file: PKCS#12's PBE (`openssl pkcs8 -v1 PBE-SHA1-3DES`, what
/// OpenSSL 1.0 wrote by default) and PBKDF2 with HMAC-SHA-1.
#[test]
fn encryptions_custody_does_not_read_are_named() {
    use custody_ledger::keyfile::{read_signing_key_with, KeyFileError, KeyProblem};
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pem");
    write_signing_key(&plain, &ed25519_dalek::SigningKey::from_bytes(&[6; 32])).unwrap();
    for (name, scheme, expected) in [
        (
            "pkcs12-pbe.pem",
            &["-v1", "PBE-SHA1-3DES"][..],
            "the scheme 1.2.840.113549.1.12.1.3",
        ),
        (
            "sha1.pem",
            &["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1"][..],
            "HMAC-SHA-1",
        ),
    ] {
        let out = dir.path().join(name);
        let made = Command::new("openssl")
            .args(["pkcs8", "-topk8", "-passout", "pass:pw", "-in"])
            .arg(&plain)
            .args(scheme)
            .arg("-out")
            .arg(&out)
            .output()
            .unwrap();
        if !made.status.success() {
            // An OpenSSL built without the legacy algorithms cannot write
            // PBES1 at all; nothing to read then.
            assert!(
                name == "pbes1.pem",
                "{}",
                String::from_utf8_lossy(&made.stderr)
            );
            continue;
        }
        let err = read_signing_key_with(&out, &mut || panic!("asked")).unwrap_err();
        assert!(
            matches!(
                &err,
                KeyFileError::Format {
                    problem: KeyProblem::UnsupportedEncryption(what),
                    ..
                } if what.contains(expected)
            ),
            "{name}: {err}"
        );
    }
}
