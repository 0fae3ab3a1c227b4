//! Evidence bundles: one person's entries, proven to sit unaltered in a
//! ledger, without the rest of the ledger and without trusting its operator.
//!
//! A bundle (`custody export --person P`) is one JSON document:
//!
//! ```json
//! { "format": "custody-bundle/1", "origin": "…", "person": "P-0001",
//!   "checkpoint": "<C2SP signed note>",
//!   "entries": [ { "seq": 3, "hash": "…", "entry": "<base64>", "view": {…},
//!                  "inclusion_proof": ["<hex>", …] }, … ] }
//! ```
//!
//! It holds the person's entries, the corrections about them and their
//! targets, and every governance entry (genesis, grants, revocations) before
//! the checkpoint — governance names keys and holders, never the people the
//! ledger is about. [`verify_bundle`] checks, offline:
//!
//! - the checkpoint note is well formed, for the bundle's origin, and signed
//!   by a key that held the `authority` role at the checkpoint's size;
//! - every entry decodes, its hash and view claims match its bytes, its
//!   signature verifies strictly, and its inclusion proof leads to the
//!   checkpoint's root at its seq;
//! - replaying the governance entries in seq order, every signer held the
//!   role its entry needed when it was recorded, and the genesis names the
//!   authority (which the caller may pin);
//! - `recorded_at` never goes backwards, corrections target an earlier
//!   evidence entry of the bundle, and no evidence is about another person
//!   (except an entry a correction reassigns to this person).
//!
//! What a bundle cannot prove: that *no other* governance entry exists
//! before the checkpoint (a Merkle tree proves inclusion, not absence). A
//! revocation an operator left out would go unseen; the complete ledger's
//! `verify` and its checkpoints are the check for that.

use crate::chain::{Rule, Violation};
use crate::checkpoint::{self, Checkpoint};
use crate::merkle::{leaf_hash, verify_inclusion};
use base64::Engine;
use custody_format::entry::{self, entry_view, SignedEntry};
use custody_format::event::{EntryHash, Event, PersonId, PublicKeyBytes, Role};
use custody_format::key::signer_key;
use custody_format::registry::KeyRegistry;
use ed25519_dalek::Signature;
use serde_json::Value;
use std::collections::BTreeMap;

/// The format tag of a bundle.
pub const BUNDLE_FORMAT: &str = "custody-bundle/1";

/// Largest bundle accepted, in bytes.
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;

/// Why a bundle is refused.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle (bad JSON, missing or wrong fields).
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// The checkpoint is not acceptable.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// An entry breaks a rule.
    #[error("{0}")]
    Invalid(Violation),
    /// The genesis authority is not the pinned one.
    #[error("the ledger's authority is {found}, not the pinned {pinned}")]
    WrongAuthority {
        /// In the bundle.
        found: PublicKeyBytes,
        /// Given by the user.
        pinned: PublicKeyBytes,
    },
}

/// One entry of a verified bundle.
#[derive(Clone, Debug)]
pub struct BundleEntry {
    /// The decoded entry.
    pub entry: SignedEntry,
    /// The holder of its signing key, from the replayed grants.
    pub holder: String,
    /// Number of hashes in its inclusion proof.
    pub proof_len: usize,
}

/// What a verified bundle proves.
#[derive(Clone, Debug)]
pub struct VerifiedBundle {
    /// The ledger's origin.
    pub origin: String,
    /// The person.
    pub person: PersonId,
    /// The checkpoint proven against.
    pub checkpoint: Checkpoint,
    /// The key that signed the checkpoint.
    pub checkpoint_signer: PublicKeyBytes,
    /// The genesis authority.
    pub authority: PublicKeyBytes,
    /// Every entry, in seq order.
    pub entries: Vec<BundleEntry>,
}

fn malformed(s: impl Into<String>) -> BundleError {
    BundleError::Malformed(s.into())
}

fn violation(seq: u64, rule: Rule, detail: impl Into<String>) -> BundleError {
    BundleError::Invalid(Violation {
        seq,
        rule,
        detail: detail.into(),
    })
}

/// Verifies a bundle given as JSON text. `authority` pins the genesis
/// authority key; without it, the caller should show
/// [`VerifiedBundle::authority`] for the user to compare.
pub fn verify_bundle(
    text: &[u8],
    authority: Option<PublicKeyBytes>,
) -> Result<VerifiedBundle, BundleError> {
    if text.len() > MAX_BUNDLE_BYTES {
        return Err(malformed(format!("over {MAX_BUNDLE_BYTES} bytes")));
    }
    let doc: Value =
        serde_json::from_slice(text).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let field = |name: &str| {
        doc.get(name)
            .ok_or_else(|| malformed(format!("missing field `{name}`")))
    };
    let string = |name: &str| {
        field(name)?
            .as_str()
            .ok_or_else(|| malformed(format!("field `{name}` is not a string")))
    };
    if string("format")? != BUNDLE_FORMAT {
        return Err(malformed(format!(
            "format is {:?}, this verifier reads {BUNDLE_FORMAT:?}",
            string("format")?
        )));
    }
    let origin = string("origin")?.to_string();
    let person = PersonId::new(string("person")?).map_err(malformed)?;
    let cp = checkpoint::parse(string("checkpoint")?)
        .map_err(|e| BundleError::Checkpoint(e.to_string()))?;
    if cp.origin != origin {
        return Err(BundleError::Checkpoint(format!(
            "it is for {:?}, the bundle for {origin:?}",
            cp.origin
        )));
    }
    let items = field("entries")?
        .as_array()
        .ok_or_else(|| malformed("field `entries` is not a list"))?;

    // Decode, check claims, signatures and inclusion; sort by seq.
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut by_seq: BTreeMap<u64, (SignedEntry, usize)> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let at = |m: &str| malformed(format!("entries[{i}]: {m}"));
        let bytes = item
            .get("entry")
            .and_then(Value::as_str)
            .and_then(|s| b64.decode(s).ok())
            .ok_or_else(|| at("`entry` is missing or not base64"))?;
        let e = SignedEntry::decode(bytes.clone())
            .map_err(|err| violation(i as u64, Rule::Format, format!("entries[{i}]: {err}")))?;
        let seq = e.seq();
        if item.get("seq") != Some(&Value::from(seq))
            || item.get("hash") != Some(&Value::from(e.hash().to_hex()))
            || item.get("view") != Some(&entry_view(&e))
        {
            return Err(violation(
                seq,
                Rule::Claim,
                "the seq, hash or view beside the signed bytes does not match them",
            ));
        }
        let key = signer_key(&e.body().signer)
            .map_err(|d| violation(seq, Rule::Signature, d.to_string()))?;
        let (body, sig) =
            entry::split(&bytes).map_err(|d| violation(seq, Rule::Format, d.to_string()))?;
        key.verify_strict(&entry::signing_digest(body), &Signature::from_bytes(sig))
            .map_err(|_| violation(seq, Rule::Signature, "the signature does not verify"))?;
        let path: Vec<[u8; 32]> = item
            .get("inclusion_proof")
            .and_then(Value::as_array)
            .ok_or_else(|| at("`inclusion_proof` is missing"))?
            .iter()
            .map(|h| {
                h.as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| at("a proof hash is not 64 hex digits"))
            })
            .collect::<Result<_, _>>()?;
        verify_inclusion(&leaf_hash(&bytes), seq, cp.size, &path, &cp.root).map_err(|err| {
            violation(
                seq,
                Rule::Checkpoint,
                format!(
                    "not included in the checkpoint's tree of {}: {err}",
                    cp.size
                ),
            )
        })?;
        if by_seq.insert(seq, (e, path.len())).is_some() {
            return Err(violation(seq, Rule::Sequence, "the entry appears twice"));
        }
    }

    // Replay governance and check every signer's authority in seq order.
    let mut registry = KeyRegistry::new();
    let mut last_recorded = None;
    let mut evidence: BTreeMap<EntryHash, (u64, Option<PersonId>)> = BTreeMap::new();
    let mut reassigned: Vec<EntryHash> = Vec::new();
    let mut corrected = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(by_seq.len());
    for (seq, (e, proof_len)) in by_seq {
        let body = e.body();
        registry
            .check(seq, &body.signer, &body.event)
            .map_err(|err| violation(seq, Rule::Authority, err.to_string()))?;
        if let Some(last) = last_recorded {
            if body.recorded_at < last {
                return Err(violation(
                    seq,
                    Rule::RecordedAt,
                    "recorded_at goes backwards",
                ));
            }
        }
        last_recorded = Some(body.recorded_at);
        match &body.event {
            Event::Correction(c) => {
                if !evidence.contains_key(&c.target) || !corrected.insert(c.target) {
                    return Err(violation(
                        seq,
                        Rule::CorrectionTarget,
                        format!("the correction targets {}, which is not an earlier evidence entry of the bundle", c.target),
                    ));
                }
                if c.replacement.as_deref().and_then(Event::person) == Some(&person) {
                    reassigned.push(c.target);
                }
            }
            ev if ev.is_evidence() => {
                evidence.insert(e.hash(), (seq, ev.person().cloned()));
            }
            _ => {}
        }
        registry.apply(seq, &body.event);
        let holder = registry
            .get(&body.signer)
            .map(|k| k.holder.clone())
            .unwrap_or_default();
        out.push(BundleEntry {
            entry: e,
            holder,
            proof_len,
        });
    }
    for (hash, (seq, p)) in &evidence {
        if p.as_ref() != Some(&person) && !reassigned.contains(hash) {
            return Err(violation(
                *seq,
                Rule::Claim,
                format!(
                    "entry {seq} is about {}, not {person}: a bundle must carry nothing about anyone else",
                    p.as_ref().map(PersonId::as_str).unwrap_or("nobody")
                ),
            ));
        }
    }
    let genesis_authority = registry
        .genesis_authority()
        .ok_or_else(|| violation(0, Rule::Authority, "the bundle has no genesis entry"))?;
    if let Some(pinned) = authority {
        if pinned != genesis_authority {
            return Err(BundleError::WrongAuthority {
                found: genesis_authority,
                pinned,
            });
        }
    }
    if registry.ledger_name() != Some(origin.as_str()) {
        return Err(BundleError::Checkpoint(format!(
            "the genesis names the ledger {:?}, the bundle {origin:?}",
            registry.ledger_name().unwrap_or_default()
        )));
    }
    let keys: Vec<[u8; 32]> = registry
        .keys()
        .filter(|k| k.may(Role::Authority))
        .map(|k| k.public_key.0)
        .collect();
    let signer = cp
        .verify_by(&keys)
        .map_err(|e| BundleError::Checkpoint(e.to_string()))?;
    Ok(VerifiedBundle {
        origin,
        person,
        checkpoint: cp,
        checkpoint_signer: PublicKeyBytes(signer),
        authority: genesis_authority,
        entries: out,
    })
}
