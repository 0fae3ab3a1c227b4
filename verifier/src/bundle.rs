//! Evidence bundles: one person's entries, proven to sit unaltered in a
//! ledger, without the rest of the ledger and without trusting its operator.
//!
//! A bundle (`custody export --person P`) is one JSON document:
//!
//! (`custody_format::wire::bundle`, docs/FORMAT.md §9).
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
//! - in seq order, the chain rules of `custody_format::rules` in sparse
//!   mode — the same code the store and the chain verifier run: ascending
//!   seq, links between consecutive entries, every signer's role replayed
//!   from the governance entries, `recorded_at` never backwards, a
//!   correction's target an earlier evidence entry of the bundle; and the
//!   genesis names the authority (which the caller may pin);
//! - no evidence is about another person (except an entry a correction
//!   reassigns to this person).
//!
//! What a bundle cannot prove: that *no other* governance entry exists
//! before the checkpoint (a Merkle tree proves inclusion, not absence). A
//! revocation an operator left out would go unseen; the complete ledger's
//! `verify` and its checkpoints are the check for that.

use crate::checkpoint::{self, Checkpoint};
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::report::{Cause, Rule, Violation};
use crate::signatures::SignatureJob;
use custody_format::entry::{self, EntryError, SignedEntry};
use custody_format::event::{EntryHash, Event, PersonId, PublicKeyBytes, Role};
use custody_format::key::signer_key;
use custody_format::rules::{ChainRules, CheckError, EvidenceSet, Mode};
use custody_format::wire::bundle::{Bundle, BundleItem};
pub use custody_format::wire::bundle::{BUNDLE_FORMAT, MAX_BUNDLE_BYTES};
use std::collections::BTreeMap;

/// Why a bundle is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not a bundle (bad JSON, missing, unknown or wrong fields).
    #[error("malformed bundle: {0}")]
    Malformed(#[from] MalformedBundle),
    /// The checkpoint is not acceptable.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] checkpoint::CheckpointError),
    /// The checkpoint is for another ledger than the bundle says.
    #[error("checkpoint: it is for {found:?}, the bundle for {origin:?}")]
    OtherOrigin {
        /// The checkpoint's origin.
        found: String,
        /// The bundle's (or its genesis's) ledger name.
        origin: String,
    },
    /// An entry breaks a rule.
    #[error("{0}")]
    Invalid(Violation),
    /// The checkpoint is signed by an authority key revoked before it.
    #[error("checkpoint: it is signed by {0}, an authority key revoked before the checkpoint; a checkpoint counts only if signed by a key holding the authority role at its size")]
    CheckpointSignerRevoked(PublicKeyBytes),
    /// The genesis authority is not the pinned one.
    #[error("the ledger's authority is {found}, not the pinned {pinned}")]
    WrongAuthority {
        /// In the bundle.
        found: PublicKeyBytes,
        /// Given by the user.
        pinned: PublicKeyBytes,
    },
}

/// Why a document is not a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedBundle {
    /// Larger than [`MAX_BUNDLE_BYTES`].
    #[error("over {MAX_BUNDLE_BYTES} bytes")]
    TooLarge,
    /// Not a bundle document (the parser's message, cut: it may quote
    /// the hostile input).
    #[error("{}", custody_format::text::clip(&.0.to_string(), 300))]
    Json(#[from] serde_json::Error),
    /// Another format tag.
    #[error("format is {0:?}, this verifier reads {BUNDLE_FORMAT:?}")]
    Format(String),
    /// No genesis entry.
    #[error("the bundle has no genesis entry")]
    NoGenesis,
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
    /// Its holder, and the seq of the entry that made it an authority (0:
    /// the genesis), from the bundle's governance entries.
    pub checkpoint_signer_granted: (String, u64),
    /// The genesis authority.
    pub authority: PublicKeyBytes,
    /// Every entry, in seq order.
    pub entries: Vec<BundleEntry>,
}

fn violation(seq: u64, rule: Rule, cause: Cause) -> BundleError {
    BundleError::Invalid(Violation::new(seq, rule, cause))
}

/// Decodes one item and checks what needs no other entry: its claims, its
/// signature and its inclusion in the checkpoint's tree.
fn check_item(item: &BundleItem, cp: &Checkpoint) -> Result<SignedEntry, BundleError> {
    let bytes = &item.entry.0;
    let e = SignedEntry::decode(bytes.clone()).map_err(|err| {
        let rule = match err {
            EntryError::Version(_) => Rule::Version,
            _ => Rule::Format,
        };
        violation(item.seq, rule, Cause::Entry(err))
    })?;
    let seq = e.seq();
    let claim = |field| {
        violation(
            seq,
            Rule::Claim,
            Cause::Claim {
                field,
                claimed: None,
                actual: None,
            },
        )
    };
    if item.seq != seq {
        return Err(claim("seq"));
    }
    if item.hash != e.hash() {
        return Err(claim("hash"));
    }
    if !item.view.is_view_of(&e) {
        return Err(claim("view"));
    }
    let key = signer_key(&e.body().signer)
        .map_err(|w| violation(seq, Rule::Signature, Cause::WeakSigner(w)))?;
    let (body, sig) =
        entry::split(bytes).map_err(|err| violation(seq, Rule::Format, Cause::Entry(err)))?;
    SignatureJob {
        seq,
        digest: entry::signing_digest(body),
        signature: *sig,
        key,
    }
    .verify_strict()
    .map_err(BundleError::Invalid)?;
    let path: Vec<[u8; 32]> = item.inclusion_proof.iter().map(|h| h.0).collect();
    verify_inclusion(&leaf_hash(bytes), seq, cp.size, &path, &cp.root).map_err(|error| {
        violation(
            seq,
            Rule::Checkpoint,
            Cause::NotIncluded {
                size: cp.size,
                error,
            },
        )
    })?;
    Ok(e)
}

/// The key that signed the bundle's checkpoint, with its holder and the seq
/// it was made an authority at. The registry is as of the checkpoint (the
/// bundle's governance entries all come before it): only a key holding
/// `authority` then counts; one revoked before it gets its own error.
fn checkpoint_signer(
    cp: &Checkpoint,
    registry: &custody_format::registry::KeyRegistry,
) -> Result<([u8; 32], (String, u64)), BundleError> {
    let keys: Vec<[u8; 32]> = registry
        .keys()
        .filter(|k| k.may(Role::Authority))
        .map(|k| k.public_key.0)
        .collect();
    let signer = match cp.verify_by(&keys) {
        Ok(k) => k,
        Err(e) => {
            let revoked: Vec<[u8; 32]> = registry
                .keys()
                .filter(|k| k.roles.contains_key(&Role::Authority) && k.revoked.is_some())
                .map(|k| k.public_key.0)
                .collect();
            return Err(match cp.verify_by(&revoked) {
                Ok(k) => BundleError::CheckpointSignerRevoked(PublicKeyBytes(k)),
                Err(_) => e.into(),
            });
        }
    };
    let granted = registry
        .get(&PublicKeyBytes(signer))
        .map(|k| {
            let at = k.roles.get(&Role::Authority).copied().unwrap_or_default();
            (k.holder_at(at).to_string(), at)
        })
        .unwrap_or_default();
    Ok((signer, granted))
}

/// Verifies a bundle given as JSON text. `authority` pins the genesis
/// authority key; without it, the caller should show
/// [`VerifiedBundle::authority`] for the user to compare.
pub fn verify_bundle(
    text: &[u8],
    authority: Option<PublicKeyBytes>,
) -> Result<VerifiedBundle, BundleError> {
    if text.len() > MAX_BUNDLE_BYTES {
        return Err(MalformedBundle::TooLarge.into());
    }
    let doc = Bundle::parse(text).map_err(MalformedBundle::from)?;
    if doc.format != BUNDLE_FORMAT {
        return Err(MalformedBundle::Format(doc.format).into());
    }
    let cp = checkpoint::parse(&doc.checkpoint)?;
    if cp.origin != doc.origin {
        return Err(BundleError::OtherOrigin {
            found: cp.origin,
            origin: doc.origin,
        });
    }

    // Decode, check claims, signatures and inclusion; sort by seq.
    let mut by_seq: BTreeMap<u64, (SignedEntry, usize)> = BTreeMap::new();
    for item in &doc.entries {
        let e = check_item(item, &cp)?;
        let seq = e.seq();
        if by_seq
            .insert(seq, (e, item.inclusion_proof.len()))
            .is_some()
        {
            return Err(violation(seq, Rule::Sequence, Cause::Duplicate));
        }
    }

    // The chain rules, in sparse mode, in seq order.
    let person = doc.person;
    let mut rules = ChainRules::new(Mode::Sparse);
    let mut evidence = EvidenceSet::new();
    let mut about: BTreeMap<EntryHash, (u64, Option<PersonId>)> = BTreeMap::new();
    let mut reassigned: Vec<EntryHash> = Vec::new();
    let mut out = Vec::with_capacity(by_seq.len());
    for (seq, (e, proof_len)) in by_seq {
        let body = e.body();
        rules
            .check(body, &evidence, None)
            .map_err(|err| match err {
                CheckError::Breach(b) => BundleError::Invalid(Violation::breach(seq, b)),
                CheckError::Lookup(never) => match never {},
            })?;
        match &body.event {
            Event::Correction(c)
                if c.replacement.as_deref().and_then(Event::person) == Some(&person) =>
            {
                reassigned.push(c.target);
            }
            ev if ev.is_evidence() => {
                about.insert(e.hash(), (seq, ev.person().cloned()));
            }
            _ => {}
        }
        evidence.accept(e.hash(), &body.event);
        rules.accept(e.hash(), body);
        let holder = rules
            .registry()
            .get(&body.signer)
            .map(|k| k.holder.clone())
            .unwrap_or_default();
        out.push(BundleEntry {
            entry: e,
            holder,
            proof_len,
        });
    }
    for (hash, (seq, p)) in about {
        if p.as_ref() != Some(&person) && !reassigned.contains(&hash) {
            return Err(violation(
                seq,
                Rule::Claim,
                Cause::OtherPerson { about: p, person },
            ));
        }
    }
    let registry = rules.registry();
    let genesis_authority = registry
        .genesis_authority()
        .ok_or(MalformedBundle::NoGenesis)?;
    if let Some(pinned) = authority {
        if pinned != genesis_authority {
            return Err(BundleError::WrongAuthority {
                found: genesis_authority,
                pinned,
            });
        }
    }
    if registry.ledger_name() != Some(doc.origin.as_str()) {
        return Err(BundleError::OtherOrigin {
            found: registry.ledger_name().unwrap_or_default().to_string(),
            origin: doc.origin,
        });
    }
    let (signer, granted) = checkpoint_signer(&cp, registry)?;
    Ok(VerifiedBundle {
        origin: doc.origin,
        person,
        checkpoint: cp,
        checkpoint_signer: PublicKeyBytes(signer),
        checkpoint_signer_granted: granted,
        authority: genesis_authority,
        entries: out,
    })
}
