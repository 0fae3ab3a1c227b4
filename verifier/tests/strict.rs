//! One verdict: every signature is judged as strict single verification
//! (RFC 8032 with `verify_strict`'s rules) judges it, whatever the number of
//! worker threads, the chunking, or what was appended after it.
//!
//! The attack this pins: a key holder can sign with an `R` that carries a
//! small-order component (`R' = rB + T`, `T` of order 8). The cofactorless
//! equation `SB = R' + kA` fails, so OpenSSL and every strict verifier
//! refuse it; the cofactored equation a batch checks holds, and with random
//! batch weights `z` the leftover `zT` vanishes whenever `8 | z`, so a batch
//! accepted such a signature some of the time. custody's verdict used to
//! depend on how entries fell into batches.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use custody_format::entry::GENESIS_PREV_HASH;
use custody_format::entry::{signing_digest, split, EntryBody, SignedEntry, VERSION_1};
use custody_format::event::*;
use custody_format::time::{OccurredAt, Timestamp};
use custody_verifier::{ChainVerifier, Rule};
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha512};

fn public(k: &SigningKey) -> PublicKeyBytes {
    PublicKeyBytes(k.verifying_key().to_bytes())
}

/// A signature of `msg` by `key` whose R has a small-order component, made
/// with nonce `nonce`. Valid under the cofactored equation only.
fn mixed_order_signature(key: &SigningKey, msg: &[u8], nonce: u8) -> [u8; 64] {
    let h = Sha512::digest(key.to_bytes());
    let a = Scalar::from_bytes_mod_order(clamp_integer(h[..32].try_into().unwrap()));
    let big_a = key.verifying_key().to_bytes();
    let r = Scalar::from_bytes_mod_order([nonce; 32]);
    // A point of order 8 (the second of the small-order encodings).
    let t = CompressedEdwardsY(
        hex::decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
            .unwrap()
            .try_into()
            .unwrap(),
    )
    .decompress()
    .unwrap();
    let big_r = (ED25519_BASEPOINT_POINT * r + t).compress().to_bytes();
    let mut hk = Sha512::new();
    hk.update(big_r);
    hk.update(big_a);
    hk.update(msg);
    let k = Scalar::from_bytes_mod_order_wide(&hk.finalize().into());
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

fn sign(body: EntryBody, key: &SigningKey) -> Vec<u8> {
    SignedEntry::sign(body, key).unwrap().into_bytes()
}

/// Genesis, a grant, then `n` sightings; sighting `bad` (0-based) carries a
/// mixed-order signature with nonce `nonce`.
fn chain(n: usize, bad: usize, nonce: u8) -> Vec<Vec<u8>> {
    let authority = SigningKey::from_bytes(&[1; 32]);
    let investigator = SigningKey::from_bytes(&[2; 32]);
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut prev = GENESIS_PREV_HASH;
    let mut push = |event: Event, k: &SigningKey, mixed: bool, out: &mut Vec<Vec<u8>>| {
        let body = EntryBody {
            version: VERSION_1,
            links: vec![],
            seq: out.len() as u64,
            prev_hash: prev,
            recorded_at: Timestamp(1_700_000_000_000_000 + out.len() as i64),
            signer: public(k),
            event,
        };
        let mut bytes = sign(body, k);
        if mixed {
            let (body_bytes, _) = split(&bytes).unwrap();
            let sig = mixed_order_signature(k, &signing_digest(body_bytes), nonce);
            let n = bytes.len();
            bytes[n - 64..].copy_from_slice(&sig);
        }
        prev = custody_format::entry::entry_hash(&bytes);
        out.push(bytes);
    };
    push(
        Event::Genesis(Genesis {
            ledger_name: "strict".into(),
            authority_key: public(&authority),
            authority_holder: "A".into(),
        }),
        &authority,
        false,
        &mut out,
    );
    push(
        Event::KeyGranted(KeyGranted {
            public_key: public(&investigator),
            role: Role::Investigator,
            holder: "I".into(),
        }),
        &authority,
        false,
        &mut out,
    );
    for i in 0..n {
        push(
            Event::Sighting(Sighting {
                person: PersonId::new(&format!("P-{i}")).unwrap(),
                occurred_at: OccurredAt::parse("2023-05-01").unwrap(),
                place: None,
                source: SightingSource::Video,
                notes: None,
                attachments: vec![],
                witnesses: None,
            }),
            &investigator,
            i == bad,
            &mut out,
        );
    }
    out
}

#[test]
fn a_mixed_order_signature_is_invalid_whatever_the_workers_and_later_appends() {
    let mut batch_accepted = 0;
    for nonce in 1..=64u8 {
        let bad = usize::from(nonce % 7);
        let seq = bad as u64 + 2;
        let entries = chain(8 + usize::from(nonce % 3), bad, nonce);
        // The attack is real: the batch check custody used to run accepts
        // some of these signatures.
        let (body, sig) = split(&entries[bad + 2]).unwrap();
        let digest = signing_digest(body);
        let key = SigningKey::from_bytes(&[2; 32]).verifying_key();
        if ed25519_dalek::verify_batch(
            &[&digest[..]],
            &[ed25519_dalek::Signature::from_bytes(sig)],
            &[key],
        )
        .is_ok()
        {
            batch_accepted += 1;
        }
        // One verdict, at one seq, by every path.
        let mut walk = ChainVerifier::new();
        let first = entries.iter().find_map(|e| walk.push(e).err()).unwrap();
        assert_eq!((first.seq, first.rule), (seq, Rule::Signature));
        for threads in [1, 2, 3] {
            for upto in [bad + 3, entries.len()] {
                let v = custody_verifier::walk::verify_chain(
                    entries[..upto].iter().map(|b| Ok::<_, ()>(b.clone())),
                    threads,
                    |_| {},
                )
                .unwrap()
                .unwrap_err();
                assert_eq!((v.seq, v.rule), (seq, Rule::Signature), "nonce {nonce}");
            }
        }
    }
    assert!(
        batch_accepted > 0,
        "no mixed-order signature passed a batch: the test no longer shows the attack"
    );
}
