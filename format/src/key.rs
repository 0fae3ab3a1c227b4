//! The one definition of a key that may sign: a canonical encoding of a
//! point on edwards25519 that is not of small order (RFC 8032 §5.1.3 with
//! the strictness of `verify_strict`). The registry refuses to grant or name
//! any other key, and the verifiers refuse any other signer, with this one
//! check.

use crate::event::PublicKeyBytes;
use ed25519_dalek::VerifyingKey;

/// The encodings of the eight small-order points of edwards25519, and the
/// two "negative zero" encodings (x = 0 with the sign bit set) that lax
/// decoders accept for two of them.
const SMALL_ORDER: [[u8; 32]; 10] = {
    const fn d(c: u8) -> u8 {
        if c <= b'9' {
            c - b'0'
        } else {
            c - b'a' + 10
        }
    }
    const fn h(s: &[u8; 64]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            out[i] = (d(s[2 * i]) << 4) | d(s[2 * i + 1]);
            i += 1;
        }
        out
    }
    [
        h(b"0100000000000000000000000000000000000000000000000000000000000000"),
        h(b"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
        h(b"0000000000000000000000000000000000000000000000000000000000000080"),
        h(b"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        h(b"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        h(b"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
        h(b"0000000000000000000000000000000000000000000000000000000000000000"),
        h(b"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
        h(b"0100000000000000000000000000000000000000000000000000000000000080"),
        h(b"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
    ]
};

/// True if `y` (sign bit ignored) is not below p = 2^255 - 19, i.e. the
/// encoding is not canonical.
fn non_canonical_y(enc: &[u8; 32]) -> bool {
    // y >= p  <=>  bytes 1..=30 are 0xff, byte 31 (sign masked) is 0x7f and
    // byte 0 >= 0xed.
    enc[0] >= 0xed && enc[1..31].iter().all(|&b| b == 0xff) && (enc[31] & 0x7f) == 0x7f
}

/// True if a point encoding is refused by strict verification without any
/// curve arithmetic: non-canonical, or a small-order point.
pub fn weak_encoding(enc: &[u8; 32]) -> bool {
    non_canonical_y(enc) || SMALL_ORDER.contains(enc)
}

/// Why a public key may not sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WeakKey {
    /// Not the encoding of a point on the curve.
    #[error("{0} is not a valid ed25519 public key")]
    NotAPoint(PublicKeyBytes),
    /// A small-order point, or a non-canonical encoding: forged signatures
    /// exist for such keys, or strict verifiers disagree about them.
    #[error("{0} is a small-order or non-canonical ed25519 point and cannot sign")]
    SmallOrder(PublicKeyBytes),
}

/// Decodes and checks a signer's public key: a canonical encoding of a point
/// on the curve that is not of small order. This is the only test of "a key
/// that may sign"; the registry applies it to every key a genesis or grant
/// names, and the verifiers to every signer.
pub fn signer_key(key: &PublicKeyBytes) -> Result<VerifyingKey, WeakKey> {
    if weak_encoding(&key.0) {
        return Err(WeakKey::SmallOrder(*key));
    }
    let k = VerifyingKey::from_bytes(&key.0).map_err(|_| WeakKey::NotAPoint(*key))?;
    if k.is_weak() {
        return Err(WeakKey::SmallOrder(*key));
    }
    Ok(k)
}

/// The keys [`signer_key`] accepted, remembered by their bytes, so that a
/// key signing many statements is decompressed once. Decompressing a key is
/// a square root in the field, about a tenth of a strict verification; a
/// server verifies every statement of the few investigators who submit,
/// and the verifier every entry of the few keys that sign a chain.
///
/// [`signer_key`] is a function of the 32 bytes alone, so a remembered key
/// gives the very verdict a fresh decode would. Refused keys are not
/// remembered (they cost their refusal each time). Bounded: past
/// [`SignerKeys::CAPACITY`] keys it forgets them all and starts again.
#[derive(Clone, Debug, Default)]
pub struct SignerKeys {
    keys: std::collections::HashMap<PublicKeyBytes, VerifyingKey>,
}

impl SignerKeys {
    /// How many keys are remembered at most.
    pub const CAPACITY: usize = 1024;

    /// [`signer_key`] of `key`, decoded once.
    pub fn get(&mut self, key: &PublicKeyBytes) -> Result<VerifyingKey, WeakKey> {
        if let Some(k) = self.keys.get(key) {
            return Ok(*k);
        }
        let k = signer_key(key)?;
        if self.keys.len() >= Self::CAPACITY {
            self.keys.clear();
        }
        self.keys.insert(*key, k);
        Ok(k)
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use curve25519_dalek::edwards::CompressedEdwardsY;

    #[test]
    fn the_blocklist_is_exactly_the_small_order_points() {
        for enc in SMALL_ORDER {
            let p = CompressedEdwardsY(enc).decompress().expect("a point");
            assert!(p.is_small_order(), "{}", hex::encode(enc));
        }
        // Eight distinct points among the ten encodings.
        let mut points: Vec<[u8; 32]> = SMALL_ORDER
            .iter()
            .map(|e| {
                CompressedEdwardsY(*e)
                    .decompress()
                    .unwrap()
                    .compress()
                    .to_bytes()
            })
            .collect();
        points.sort();
        points.dedup();
        assert_eq!(points.len(), 8);
    }

    #[test]
    fn remembered_keys_give_the_verdict_of_a_fresh_decode() {
        let mut keys = SignerKeys::default();
        let good = PublicKeyBytes(
            ed25519_dalek::SigningKey::from_bytes(&[7; 32])
                .verifying_key()
                .to_bytes(),
        );
        for _ in 0..2 {
            assert_eq!(keys.get(&good), signer_key(&good));
        }
        assert_eq!(keys.len(), 1);
        // A refused key is refused each time, and never remembered.
        for enc in SMALL_ORDER {
            let weak = PublicKeyBytes(enc);
            assert_eq!(keys.get(&weak), signer_key(&weak));
            assert_eq!(keys.get(&weak), Err(WeakKey::SmallOrder(weak)));
        }
        assert_eq!(keys.len(), 1);
        // Bounded: past the capacity the cache starts again.
        for i in 0..=SignerKeys::CAPACITY {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let k = PublicKeyBytes(
                ed25519_dalek::SigningKey::from_bytes(&seed)
                    .verifying_key()
                    .to_bytes(),
            );
            assert_eq!(keys.get(&k), signer_key(&k));
            assert!(keys.len() <= SignerKeys::CAPACITY);
        }
    }

    #[test]
    fn ordinary_keys_pass_and_the_field_prime_does_not() {
        let k = ed25519_dalek::SigningKey::from_bytes(&[5; 32]).verifying_key();
        assert!(!weak_encoding(k.as_bytes()));
        assert!(signer_key(&PublicKeyBytes(k.to_bytes())).is_ok());
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(weak_encoding(&p));
        for enc in SMALL_ORDER {
            assert_eq!(
                signer_key(&PublicKeyBytes(enc)),
                Err(WeakKey::SmallOrder(PublicKeyBytes(enc)))
            );
        }
    }
}
