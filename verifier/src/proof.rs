//! Checking one entry's inclusion proof given as a C2SP `tlog-proof`
//! (`custody verify --proof`), offline, from the proof, the entry's stored
//! bytes and the keys the caller trusts — nothing else.
//!
//! The steps are those of the specification (c2sp.org/tlog-proof,
//! "Verifying a tlog proof"), in its order:
//!
//! 1. the leaf hash is computed from the entry's bytes
//!    (`SHA-256(0x00 || stored)`, docs/FORMAT.md §7), which must decode as
//!    a custody entry;
//! 2. the checkpoint must carry a valid signature, under its origin's
//!    name, by a trusted key: an authority key the caller pins (for
//!    whatever ledger name it signed) or a C2SP verifier key (which pins
//!    the origin too);
//! 3. cosignatures: none is required or checked here; signature lines by
//!    unknown keys are ignored, as the signed-note specification says, and
//!    counted (a caller that requires witnesses checks the verified
//!    checkpoint's lines with `cosignature::verify_cosignatures`);
//! 4. the RFC 9162 inclusion proof must lead from that leaf hash, at the
//!    proof's index, to the checkpoint's root ([`verify_inclusion`]).
//!
//! Then, because custody knows what its leaves are: the entry's `seq` must
//! be the proof's index, and the entry's own signature must verify
//! strictly for the signer it names. Whether that signer held its role
//! cannot be seen from one entry; the authority's signature on the
//! checkpoint vouches for the ledger the entry is in, and the whole
//! ledger's `verify`, or a person's bundle, shows the roles.
//!
//! The proof's extra data, if any, is not authenticated and is not used.

use crate::checkpoint::{self, Checkpoint, CheckpointError};
use crate::merkle::{leaf_hash, verify_inclusion, Hash, MerkleError};
use crate::report::{Cause, Rule, Violation};
use crate::signatures::SignatureJob;
use custody_format::entry::{self, EntryError, SignedEntry};
use custody_format::event::PublicKeyBytes;
use custody_format::key::signer_key;
use custody_format::note::{key_id, verifier_key, ED25519_TYPE};
use custody_format::wire::proof::{TlogProof, TlogProofError};

/// A C2SP verifier key (`<name>+<hex key id>+<base64(0x01 || key)>`) of an
/// Ed25519 signer: what other transparency-log tools are configured with,
/// and what `custody prove --format tlog-proof` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// The key name: for a checkpoint, the ledger's name (its origin).
    pub name: String,
    /// The Ed25519 public key.
    pub key: [u8; 32],
}

/// Why a verifier key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierKeyError {
    /// Not three `+`-separated fields.
    #[error("a verifier key is `<name>+<8 hex digits>+<base64 key>`")]
    Shape,
    /// The name is empty or holds a space.
    #[error("the key name is empty or holds a space")]
    Name,
    /// The key id is not 8 lower-case hex digits.
    #[error("the key id is not 8 lower-case hex digits")]
    KeyId,
    /// The key is not standard base64.
    #[error("the key is not standard base64")]
    Base64,
    /// Not an Ed25519 key (type byte 0x01, 32 bytes).
    #[error("not an Ed25519 verifier key (type 0x01 and 32 bytes)")]
    NotEd25519,
    /// The key id is not the one of this name and key.
    #[error("the key id does not match the name and key (expected {expected})")]
    IdMismatch {
        /// The id computed from the name and key.
        expected: String,
    },
    /// A key that may not sign.
    #[error(transparent)]
    Weak(#[from] custody_format::key::WeakKey),
}

impl VerifierKey {
    /// Parses a verifier key, strictly: the key id must be the one the
    /// name and key give.
    pub fn parse(text: &str) -> Result<VerifierKey, VerifierKeyError> {
        // The name holds no `+`; the base64 key may.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(VerifierKeyError::Shape);
        };
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(VerifierKeyError::Name);
        }
        let id_ok = id.len() == 8 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !id_ok {
            return Err(VerifierKeyError::KeyId);
        }
        use base64::Engine;
        let typed = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| VerifierKeyError::Base64)?;
        let key: [u8; 32] = match typed.split_first() {
            Some((&ED25519_TYPE, rest)) => {
                rest.try_into().map_err(|_| VerifierKeyError::NotEd25519)?
            }
            _ => return Err(VerifierKeyError::NotEd25519),
        };
        let expected = hex::encode(key_id(name, &key));
        if id != expected {
            return Err(VerifierKeyError::IdMismatch { expected });
        }
        signer_key(&PublicKeyBytes(key))?;
        Ok(VerifierKey {
            name: name.to_string(),
            key,
        })
    }
}

impl std::fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&verifier_key(&self.name, &self.key))
    }
}

/// The keys a checkpoint may be signed by.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Pinned authority keys: trusted for any origin they sign.
    pub authorities: Vec<[u8; 32]>,
    /// Verifier keys: each trusted for its own name as origin only.
    pub verifier_keys: Vec<VerifierKey>,
}

impl Trust {
    /// True if nothing is trusted (nothing can then be verified).
    pub fn is_empty(&self) -> bool {
        self.authorities.is_empty() && self.verifier_keys.is_empty()
    }

    /// The keys trusted for checkpoints of `origin`.
    fn keys_for(&self, origin: &str) -> Vec<[u8; 32]> {
        let mut keys = self.authorities.clone();
        keys.extend(
            self.verifier_keys
                .iter()
                .filter(|v| v.name == origin)
                .map(|v| v.key),
        );
        keys
    }
}

/// How the checkpoint's signer came to be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedBy {
    /// A pinned authority key.
    Authority,
    /// A verifier key (for the checkpoint's origin).
    VerifierKey,
}

/// What a valid proof proves.
#[derive(Debug, Clone)]
pub struct VerifiedProof {
    /// The proof as read.
    pub proof: TlogProof,
    /// Its checkpoint, parsed.
    pub checkpoint: Checkpoint,
    /// The trusted key whose signature on the checkpoint verified.
    pub checkpoint_signer: PublicKeyBytes,
    /// That key as a C2SP verifier key for the checkpoint's origin.
    pub checkpoint_signer_vkey: String,
    /// Why that key was trusted.
    pub trusted_by: TrustedBy,
    /// Signature lines of the checkpoint by keys the caller did not give
    /// (witness cosignatures, other keys): ignored, not checked.
    pub ignored_signatures: usize,
    /// The entry, decoded from the bytes given.
    pub entry: SignedEntry,
    /// Its leaf hash, `SHA-256(0x00 || stored)`.
    pub leaf_hash: Hash,
}

/// Why a proof is refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// Not a well-formed tlog-proof.
    #[error("malformed tlog-proof: {0}")]
    Malformed(#[from] TlogProofError),
    /// The entry's bytes are not a custody entry.
    #[error("the entry is not a custody entry: {0}")]
    Entry(EntryError),
    /// No trusted key is for the checkpoint's origin.
    #[error("the checkpoint is for the ledger {origin:?}, and no key given is trusted for it (the verifier keys given are for {})", .vkey_names.join(", "))]
    UntrustedOrigin {
        /// The checkpoint's origin.
        origin: String,
        /// The names of the verifier keys given.
        vkey_names: Vec<String>,
    },
    /// The checkpoint is malformed, not signed by a trusted key, or its
    /// signature by a trusted key fails.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The inclusion proof does not lead from the entry to the root.
    #[error("NOT INCLUDED: the entry is not leaf {index} of the checkpoint's tree of {size} entries ({error})")]
    NotIncluded {
        /// The proof's leaf index.
        index: u64,
        /// The checkpoint's tree size.
        size: u64,
        /// Why the proof fails.
        error: MerkleError,
    },
    /// The entry's seq is not the proof's index (a ledger's leaf `i` is
    /// its entry `seq = i`).
    #[error("the entry is seq {seq}, the proof is for leaf {index}")]
    IndexIsNotSeq {
        /// The proof's index.
        index: u64,
        /// The entry's seq.
        seq: u64,
    },
    /// The entry's own signature does not verify.
    #[error("the entry's signature: {0}")]
    EntrySignature(Violation),
}

/// Verifies the tlog-proof `proof` (its text) of the entry whose stored
/// bytes are `entry`, against the keys in `trust`.
pub fn verify_tlog_proof(
    proof: &[u8],
    entry: &[u8],
    trust: &Trust,
) -> Result<VerifiedProof, ProofError> {
    let proof = TlogProof::parse(proof)?;

    // 1. The leaf hash, of bytes that are a custody entry.
    let entry = SignedEntry::decode(entry.to_vec()).map_err(ProofError::Entry)?;
    let leaf = leaf_hash(entry.bytes());

    // 2. The checkpoint, signed by a key trusted for its origin.
    let cp = checkpoint::parse(proof.checkpoint())?;
    let keys = trust.keys_for(&cp.origin);
    if keys.is_empty() {
        return Err(ProofError::UntrustedOrigin {
            origin: cp.origin,
            vkey_names: trust
                .verifier_keys
                .iter()
                .map(|v| format!("{:?}", v.name))
                .collect(),
        });
    }
    let signer = cp.verify_by(&keys)?;
    let trusted_by = if trust.authorities.contains(&signer) {
        TrustedBy::Authority
    } else {
        TrustedBy::VerifierKey
    };

    // 3. No witnesses are known: lines by other keys are ignored.
    let ignored_signatures = cp
        .signatures
        .iter()
        .filter(|s| s.name != cp.origin || !keys.iter().any(|k| key_id(&cp.origin, k) == s.key_id))
        .count();

    // 4. The inclusion proof, from the leaf to the signed root.
    verify_inclusion(&leaf, proof.index(), cp.size, proof.hashes(), &cp.root).map_err(|error| {
        ProofError::NotIncluded {
            index: proof.index(),
            size: cp.size,
            error,
        }
    })?;

    // What custody knows of its leaves: leaf i is entry seq i, and every
    // entry is signed by the key it names.
    let seq = entry.seq();
    if seq != proof.index() {
        return Err(ProofError::IndexIsNotSeq {
            index: proof.index(),
            seq,
        });
    }
    let key = signer_key(&entry.body().signer).map_err(|w| {
        ProofError::EntrySignature(Violation::new(seq, Rule::Signature, Cause::WeakSigner(w)))
    })?;
    let (body, signature) = entry::split(entry.bytes()).map_err(ProofError::Entry)?;
    SignatureJob {
        seq,
        digest: entry::signing_digest(body),
        signature: *signature,
        key,
        // An inclusion proof vouches for the entry's bytes and signer; the
        // chain rules, statements' included, are the chain walk's.
        statement: None,
    }
    .verify_strict()
    .map_err(ProofError::EntrySignature)?;

    let checkpoint_signer_vkey = verifier_key(&cp.origin, &signer);
    Ok(VerifiedProof {
        proof,
        checkpoint: cp,
        checkpoint_signer: PublicKeyBytes(signer),
        checkpoint_signer_vkey,
        trusted_by,
        ignored_signatures,
        entry,
        leaf_hash: leaf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use custody_format::note::{note_text, sign_text, signed_note};
    use ed25519_dalek::SigningKey;

    #[test]
    fn verifier_keys_parse_strictly_and_print_back() {
        let key = SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes();
        let text = verifier_key("example.org/log", &key);
        let v = VerifierKey::parse(&text).unwrap();
        assert_eq!((v.name.as_str(), v.key), ("example.org/log", key));
        assert_eq!(v.to_string(), text);

        let (name, rest) = text.split_once('+').unwrap();
        let (id, b64) = rest.split_once('+').unwrap();
        let cases = [
            (format!("{name}+{id}"), VerifierKeyError::Shape),
            (format!("{text}+x"), VerifierKeyError::Base64),
            (format!("+{id}+{b64}"), VerifierKeyError::Name),
            (format!("a b+{id}+{b64}"), VerifierKeyError::Name),
            (
                format!("{name}+{}+{b64}", id.to_uppercase()),
                VerifierKeyError::KeyId,
            ),
            (
                format!("{name}+{}+{b64}", &id[..6]),
                VerifierKeyError::KeyId,
            ),
            (format!("{name}+{id}+!!"), VerifierKeyError::Base64),
            (format!("{name}+{id}+AgAA"), VerifierKeyError::NotEd25519),
            (
                format!("other.org/log+{id}+{b64}"),
                VerifierKeyError::IdMismatch {
                    expected: hex::encode(key_id("other.org/log", &key)),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(VerifierKey::parse(&text), Err(expected), "{text}");
        }
        // Standard base64 has `+` in its alphabet: a key may hold one.
        let plus = (0u8..=255)
            .map(|i| SigningKey::from_bytes(&[i; 32]).verifying_key().to_bytes())
            .map(|k| verifier_key("example.org/log", &k))
            .find(|v| v.splitn(3, '+').nth(2).unwrap().contains('+'))
            .expect("some key's base64 holds a +");
        assert_eq!(VerifierKey::parse(&plus).unwrap().to_string(), plus);
        // A small-order key is refused even with its right key id.
        let weak = verifier_key("o", &[0; 32]);
        assert!(matches!(
            VerifierKey::parse(&weak),
            Err(VerifierKeyError::Weak(_))
        ));
    }

    /// A one-entry tree: its root is the leaf hash, its proof empty.
    #[test]
    fn a_one_leaf_proof_verifies_and_its_tampered_copies_do_not() {
        use custody_format::entry::EntryBody;
        use custody_format::event::{Event, Genesis};
        let authority = SigningKey::from_bytes(&[7; 32]);
        let pk = authority.verifying_key().to_bytes();
        let genesis = SignedEntry::sign(
            EntryBody {
                version: entry::VERSION_1,
                links: vec![],
                seq: 0,
                prev_hash: entry::GENESIS_PREV_HASH,
                recorded_at: custody_format::time::Timestamp(1_700_000_000_000_000),
                signer: PublicKeyBytes(pk),
                event: Event::Genesis(Genesis {
                    ledger_name: "example.org/log".into(),
                    authority_key: PublicKeyBytes(pk),
                    authority_holder: "Registry".into(),
                }),
            },
            &authority,
        )
        .unwrap();
        let root = leaf_hash(genesis.bytes());
        let text = note_text("example.org/log", 1, &root);
        let note = signed_note(&text, "example.org/log", &pk, &sign_text(&text, &authority));
        let proof = TlogProof::new(0, vec![], note, None).unwrap().to_text();

        let by_authority = Trust {
            authorities: vec![pk],
            verifier_keys: vec![],
        };
        let v = verify_tlog_proof(proof.as_bytes(), genesis.bytes(), &by_authority).unwrap();
        assert_eq!(v.trusted_by, TrustedBy::Authority);
        assert_eq!(
            v.checkpoint_signer_vkey,
            verifier_key("example.org/log", &pk)
        );
        assert_eq!((v.checkpoint.size, v.ignored_signatures), (1, 0));

        let vkey = VerifierKey::parse(&verifier_key("example.org/log", &pk)).unwrap();
        let by_vkey = Trust {
            authorities: vec![],
            verifier_keys: vec![vkey],
        };
        let v = verify_tlog_proof(proof.as_bytes(), genesis.bytes(), &by_vkey).unwrap();
        assert_eq!(v.trusted_by, TrustedBy::VerifierKey);

        // The same key under another name does not vouch for this origin.
        let elsewhere = Trust {
            authorities: vec![],
            verifier_keys: vec![VerifierKey::parse(&verifier_key("other.org/log", &pk)).unwrap()],
        };
        assert!(matches!(
            verify_tlog_proof(proof.as_bytes(), genesis.bytes(), &elsewhere),
            Err(ProofError::UntrustedOrigin { .. })
        ));
        // A stranger's key.
        let stranger = Trust {
            authorities: vec![SigningKey::from_bytes(&[8; 32]).verifying_key().to_bytes()],
            verifier_keys: vec![],
        };
        assert!(matches!(
            verify_tlog_proof(proof.as_bytes(), genesis.bytes(), &stranger),
            Err(ProofError::Checkpoint(CheckpointError::Untrusted(_)))
        ));
        // Another index, a proof hash too many, other bytes.
        let moved = proof.replacen("index 0\n", "index 1\n", 1);
        assert!(matches!(
            verify_tlog_proof(moved.as_bytes(), genesis.bytes(), &by_authority),
            Err(ProofError::NotIncluded {
                index: 1,
                size: 1,
                ..
            })
        ));
        let longer = proof.replacen(
            "index 0\n",
            "index 0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            1,
        );
        assert!(matches!(
            verify_tlog_proof(longer.as_bytes(), genesis.bytes(), &by_authority),
            Err(ProofError::NotIncluded {
                error: MerkleError::WrongLength,
                ..
            })
        ));
        let mut flipped = genesis.bytes().to_vec();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            verify_tlog_proof(proof.as_bytes(), &flipped, &by_authority),
            Err(ProofError::NotIncluded { .. })
        ));
        assert!(matches!(
            verify_tlog_proof(proof.as_bytes(), b"not an entry", &by_authority),
            Err(ProofError::Entry(_))
        ));
        assert!(matches!(
            verify_tlog_proof(b"c2sp.org/tlog-proof@v1\n", genesis.bytes(), &by_authority),
            Err(ProofError::Malformed(_))
        ));
    }
}
