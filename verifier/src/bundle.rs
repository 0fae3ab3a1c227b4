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
use crate::disclosures::DisclosurePolicy;
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::report::{Cause, Rule, Violation};
use crate::signatures::SignatureJob;
use custody_format::entry::{self, EntryError, SignedEntry};
use custody_format::event::{EntryHash, Event, PersonId, PublicKeyBytes, Role};
use custody_format::key::signer_key;
use custody_format::rules::{ChainRules, CheckError, Mode, WalkState};
use custody_format::stream::Link;
use custody_format::wire::bundle::{BundleItemV2, WireMapProof};
pub use custody_format::wire::bundle::{
    BUNDLE_FORMAT, BUNDLE_FORMAT_V2, BUNDLE_FORMAT_V3, MAX_BUNDLE_BYTES,
};
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
    /// The checkpoint is signed by a key that could sign checkpoints (an
    /// authority or a registrar), revoked before it.
    #[error("checkpoint: it is signed by {0}, a key revoked before the checkpoint; a checkpoint counts only if signed by a key holding the authority or registrar role at its size")]
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
    #[error("format is {0:?}, this verifier reads {BUNDLE_FORMAT_V3:?}, {BUNDLE_FORMAT_V2:?} (and {BUNDLE_FORMAT:?}, inclusion only)")]
    Format(String),
    /// No genesis entry.
    #[error("the bundle has no genesis entry")]
    NoGenesis,
    /// A required field is missing.
    #[error("missing field `{0}`")]
    Missing(&'static str),
    /// A `custody-bundle/1` with a field or value only `/2` has.
    #[error("a custody-bundle/1 has no {0}")]
    NotInV1(&'static str),
    /// A `/1` or `/2` item with a `disclosures` member, or an anchor's
    /// entry with one.
    #[error("{0} has no `disclosures` member (a custody-bundle/3 item has)")]
    NoDisclosures(&'static str),
    /// A `/1` or `/2` bundle holding a version 3 entry.
    #[error("entry {0} is a v3 entry: a v3 entry needs custody-bundle/3")]
    NeedsV3(u64),
}

/// One entry of a verified bundle.
#[derive(Clone, Debug)]
pub struct BundleEntry {
    /// The decoded entry.
    pub entry: SignedEntry,
    /// The holder of its signing key, from the replayed grants.
    pub holder: String,
    /// Number of hashes in its inclusion proof (0 for an entry of a `/2`
    /// authenticated by the link or head that names it).
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
    /// Its holder, the role that let it sign, and when it got that role,
    /// from the bundle's governance entries.
    pub checkpoint_signer_granted: SignerGrant,
    /// Format v3 (`custody-bundle/3`): each committed slot's verdict
    /// (empty for `/1` and `/2`).
    pub disclosures: crate::disclosures::DisclosureReport,
    /// The genesis authority.
    pub authority: PublicKeyBytes,
    /// Every entry, in seq order.
    pub entries: Vec<BundleEntry>,
    /// What the bundle proves about its person: complete, absent, or
    /// (a `/1`) inclusion only.
    pub completeness: Completeness,
    /// How many governance entries it holds (for a `/2`: all of them
    /// before the seal, as the seal counts them).
    pub governance: u64,
    /// The anchors that held (design §6.3 step 9), in the bundle's order.
    pub anchors: Vec<AnchorHeld>,
}

/// An earlier checkpoint the bundle's tree was shown to extend.
#[derive(Clone, Debug)]
pub struct AnchorHeld {
    /// The earlier checkpoint.
    pub checkpoint: Checkpoint,
    /// The key that signed it.
    pub signer: PublicKeyBytes,
    /// Its last entry was a seal, and the bundle's streams agree with it
    /// (else, a v1 checkpoint: consistency only).
    pub sealed: bool,
}

pub(crate) fn violation(seq: u64, rule: Rule, cause: Cause) -> BundleError {
    BundleError::Invalid(Violation::new(seq, rule, cause))
}

/// An item checked on its own, as it was read: its decoded entry, and the
/// leaf hash and proof to check against the checkpoint once it is known.
pub(crate) struct CheckedItem {
    pub(crate) entry: SignedEntry,
    pub(crate) leaf: [u8; 32],
    /// `None`: the item carries no proof (`null`, `/2` only).
    pub(crate) proof: Option<Vec<[u8; 32]>>,
    /// Its `disclosures` member (`custody-bundle/3`), unchecked yet.
    pub(crate) disclosures: Option<Vec<custody_format::json::StrictValue>>,
}

/// Decodes one item and checks what needs no other entry and no
/// checkpoint: its claims and its signature. The item's view and text are
/// dropped once checked.
pub(crate) fn check_item(item: BundleItemV2) -> Result<CheckedItem, BundleError> {
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
        statement: None,
    }
    .verify_strict()
    .map_err(BundleError::Invalid)?;
    Ok(CheckedItem {
        disclosures: item.disclosures,
        leaf: leaf_hash(bytes),
        proof: item
            .inclusion_proof
            .as_ref()
            .map(|p| p.iter().map(|h| h.0).collect()),
        entry: e,
    })
}

/// The item's RFC 9162 inclusion proof leads to the checkpoint's root.
pub(crate) fn check_inclusion(item: &CheckedItem, cp: &Checkpoint) -> Result<(), BundleError> {
    let seq = item.entry.seq();
    let proof = item.proof.as_deref().unwrap_or_default();
    verify_inclusion(&item.leaf, seq, cp.size, proof, &cp.root).map_err(|error| {
        violation(
            seq,
            Rule::Checkpoint,
            Cause::NotIncluded {
                size: cp.size,
                error,
            },
        )
    })
}

/// A bundle read as a stream: the small fields kept, each entry checked on
/// its own as soon as it is read and only its decoded entry kept, so memory
/// holds about the entries' own bytes, never the document's text or views.
///
/// Keys come in byte order, so `format` is read after `entries`: the reader
/// takes the fields of both versions and [`verify_bundle_reader`] then
/// requires exactly those of the version the document names.
#[derive(Default)]
struct Streamed {
    anchors: Option<Vec<custody_format::wire::bundle::Anchor>>,
    checkpoint: Option<String>,
    format: Option<String>,
    map_proof: Option<WireMapProof>,
    origin: Option<String>,
    person: Option<PersonId>,
    items: Vec<CheckedItem>,
    entries_seen: bool,
    /// The first item refused, which stops the reading.
    refused: Option<BundleError>,
}

mod stream {
    use super::{check_item, Streamed};
    use custody_format::wire::bundle::BundleItemV2;
    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    const FIELDS: &[&str] = &[
        "anchors",
        "checkpoint",
        "entries",
        "format",
        "map_proof",
        "origin",
        "person",
    ];

    fn once<'de, T: serde::Deserialize<'de>, A: MapAccess<'de>>(
        slot: &mut Option<T>,
        name: &'static str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if slot.is_some() {
            return Err(de::Error::duplicate_field(name));
        }
        *slot = Some(map.next_value()?);
        Ok(())
    }

    impl<'de> DeserializeSeed<'de> for &mut Streamed {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for &mut Streamed {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a custody bundle (a JSON object)")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "anchors" => once(&mut self.anchors, "anchors", &mut map)?,
                    "checkpoint" => once(&mut self.checkpoint, "checkpoint", &mut map)?,
                    "format" => once(&mut self.format, "format", &mut map)?,
                    "map_proof" => once(&mut self.map_proof, "map_proof", &mut map)?,
                    "origin" => once(&mut self.origin, "origin", &mut map)?,
                    "person" => once(&mut self.person, "person", &mut map)?,
                    "entries" => {
                        if self.entries_seen {
                            return Err(de::Error::duplicate_field("entries"));
                        }
                        self.entries_seen = true;
                        map.next_value_seed(Entries(&mut *self))?;
                    }
                    other => return Err(de::Error::unknown_field(other, FIELDS)),
                }
            }
            Ok(())
        }
    }

    struct Entries<'a>(&'a mut Streamed);

    impl<'de> DeserializeSeed<'de> for Entries<'_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Entries<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of entries")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(item) = seq.next_element::<BundleItemV2>()? {
                match check_item(item) {
                    Ok(checked) => self.0.items.push(checked),
                    Err(e) => {
                        self.0.refused = Some(e);
                        return Err(de::Error::custom("an entry was refused"));
                    }
                }
            }
            Ok(())
        }
    }
}

/// Counts what is read, and refuses past [`MAX_BUNDLE_BYTES`].
struct Capped<R> {
    inner: R,
    read: usize,
}

impl<R: std::io::Read> std::io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n;
        if self.read > MAX_BUNDLE_BYTES {
            return Err(std::io::Error::other("over the size cap"));
        }
        Ok(n)
    }
}

/// Who signed a bundle's checkpoint, as its governance entries say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignerGrant {
    /// The key's holder (untrusted text: escape it to show it).
    pub holder: String,
    /// The role that let it sign: `authority`, or a server's `registrar`
    /// (format v3). `None` only for a key the registry does not know,
    /// which cannot have signed a checkpoint that verified.
    pub role: Option<Role>,
    /// The seq of the entry that granted that role (0: the genesis).
    pub since: u64,
}

/// The key that signed the bundle's checkpoint, with its holder and the role
/// that let it. The registry is as of the checkpoint (the bundle's
/// governance entries all come before it): only a key holding a role that
/// may sign checkpoints then counts ([`Role::CHECKPOINT_SIGNERS`]); one
/// revoked before it gets its own error.
pub(crate) fn checkpoint_signer(
    cp: &Checkpoint,
    registry: &custody_format::registry::KeyRegistry,
) -> Result<([u8; 32], SignerGrant), BundleError> {
    // Format v3: a registrar signs checkpoints too (design §6, rule 8). No
    // key of a v1/v2 ledger can hold `registrar`, so this changes nothing
    // for their bundles.
    let keys: Vec<[u8; 32]> = registry
        .keys()
        .filter(|k| Role::CHECKPOINT_SIGNERS.iter().any(|r| k.may(*r)))
        .map(|k| k.public_key.0)
        .collect();
    let signer = match cp.verify_by(&keys) {
        Ok(k) => k,
        Err(e) => {
            let revoked: Vec<[u8; 32]> = registry
                .keys()
                .filter(|k| {
                    Role::CHECKPOINT_SIGNERS
                        .iter()
                        .any(|r| k.roles.contains_key(r))
                        && k.revoked.is_some()
                })
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
        .and_then(|k| {
            let (role, since) = Role::CHECKPOINT_SIGNERS
                .iter()
                .find_map(|r| k.roles.get(r).map(|at| (*r, *at)))?;
            Some(SignerGrant {
                holder: k.holder_at(since).to_string(),
                role: Some(role),
                since,
            })
        })
        .unwrap_or_default();
    Ok((signer, granted))
}

/// What the caller asks of a bundle beyond its own consistency.
#[derive(Clone, Debug, Default)]
pub struct BundleOptions {
    /// The authority key the genesis must name (`--authority`). Without
    /// it, the caller should show [`VerifiedBundle::authority`] for the user
    /// to compare.
    pub authority: Option<PublicKeyBytes>,
    /// Accept a `custody-bundle/1` and verify inclusion only
    /// (`--inclusion-only`). Without it a `/1` is refused with rule
    /// `no_commitment`: it cannot show that nothing was left out.
    pub inclusion_only: bool,
    /// The bundle's checkpoint must cover at least this many entries
    /// (`--min-size N`; rule `stale_checkpoint`).
    pub min_size: Option<u64>,
    /// A checkpoint the user trusts (`--checkpoint FILE`): the bundle's must
    /// not be older (`stale_checkpoint`), must agree with it at the same
    /// size (`inconsistent`), and must be anchored to it if newer
    /// (`unanchored`).
    pub checkpoint: Option<Checkpoint>,
}

/// What a verified bundle proves about its person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// `custody-bundle/2`: these are all the entries that concern the
    /// person as of the checkpoint: `entries` of them, the latest `head`.
    Complete {
        /// How many entries concern the person.
        entries: u64,
        /// The latest of them.
        head: Link,
    },
    /// `custody-bundle/2`: no entry concerns the person as of the
    /// checkpoint.
    Absent,
    /// `custody-bundle/1` (asked for with [`BundleOptions::inclusion_only`]):
    /// every entry shown is in the ledger, but others may have been left
    /// out. Never complete.
    InclusionOnly,
}

/// Verifies a bundle given as JSON text (see [`verify_bundle_reader`]).
pub fn verify_bundle(text: &[u8], options: &BundleOptions) -> Result<VerifiedBundle, BundleError> {
    verify_bundle_reader(text, options)
}

/// Verifies a bundle from a reader, streaming: each entry is checked as it
/// is read, and memory holds the decoded entries, not the document (a
/// bundle up to [`MAX_BUNDLE_BYTES`] verifies in about its entries' size).
///
/// A `custody-bundle/2` is verified complete (design §6.3, docs/FORMAT.md
/// §7); a `custody-bundle/1` is refused (`no_commitment`) unless
/// [`BundleOptions::inclusion_only`], and is then verified as before and
/// reported [`Completeness::InclusionOnly`].
pub fn verify_bundle_reader<R: std::io::Read>(
    input: R,
    options: &BundleOptions,
) -> Result<VerifiedBundle, BundleError> {
    verify_bundle_disclosures(input, options, DisclosurePolicy::default())
}

/// [`verify_bundle_reader`], with what the reader demands of a
/// `custody-bundle/3`'s disclosures (design docs/design/format-v3.md §7:
/// `/2`'s steps, then an eleventh: every disclosure per §3.4, with the
/// redactions among the items).
pub fn verify_bundle_disclosures<R: std::io::Read>(
    input: R,
    options: &BundleOptions,
    policy: DisclosurePolicy,
) -> Result<VerifiedBundle, BundleError> {
    let mut streamed = Streamed::default();
    let capped = Capped {
        inner: input,
        read: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(capped);
    let parsed =
        serde::de::DeserializeSeed::deserialize(&mut streamed, &mut de).and_then(|()| de.end());
    if let Some(refused) = streamed.refused.take() {
        return Err(refused);
    }
    if let Err(e) = parsed {
        if e.is_io() && e.to_string().contains("over the size cap") {
            return Err(MalformedBundle::TooLarge.into());
        }
        return Err(MalformedBundle::from(e).into());
    }
    let missing = |f: &'static str| MalformedBundle::Missing(f);
    let format = streamed.format.take().ok_or(missing("format"))?;
    let (v2, v3) = match format.as_str() {
        BUNDLE_FORMAT_V3 => (true, true),
        BUNDLE_FORMAT_V2 => (true, false),
        BUNDLE_FORMAT => (false, false),
        _ => return Err(MalformedBundle::Format(format).into()),
    };
    let disclosures = disclosures_of(&mut streamed, v3)?;
    let origin = streamed.origin.take().ok_or(missing("origin"))?;
    let person = streamed.person.take().ok_or(missing("person"))?;
    let note = streamed.checkpoint.take().ok_or(missing("checkpoint"))?;
    if !streamed.entries_seen {
        return Err(missing("entries").into());
    }
    if v2 {
        let anchors = streamed.anchors.take().ok_or(missing("anchors"))?;
        let map_proof = streamed.map_proof.take().ok_or(missing("map_proof"))?;
        let input = crate::complete::Input {
            items: std::mem::take(&mut streamed.items),
            person,
            origin,
            note,
            map_proof: (&map_proof).into(),
            anchors,
        };
        let mut verified = crate::complete::verify(input, options)?;
        if let Some(offered) = disclosures {
            verified.disclosures =
                crate::complete::check_disclosures(&verified.entries, &offered, policy)?;
        }
        return Ok(verified);
    }
    // custody-bundle/1: exactly its fields, a proof on every item.
    if streamed.anchors.is_some() {
        return Err(MalformedBundle::NotInV1("anchors").into());
    }
    if streamed.map_proof.is_some() {
        return Err(MalformedBundle::NotInV1("map_proof").into());
    }
    if streamed.items.iter().any(|i| i.proof.is_none()) {
        return Err(MalformedBundle::NotInV1("an entry without an inclusion proof").into());
    }
    if !options.inclusion_only {
        let seq = checkpoint::parse(&note).map_or(0, |cp| cp.size.saturating_sub(1));
        return Err(violation(
            seq,
            Rule::NoCommitment,
            Cause::Completeness(format!(
                "this is a {BUNDLE_FORMAT} bundle: it proves that the entries it shows are in the ledger, not that none was left out (it carries no seal and no map proof)"
            )),
        ));
    }
    let cp = checkpoint::parse(&note)?;
    if cp.origin != origin {
        return Err(BundleError::OtherOrigin {
            found: cp.origin,
            origin,
        });
    }
    let mut by_seq: BTreeMap<u64, (SignedEntry, usize)> = BTreeMap::new();
    for item in std::mem::take(&mut streamed.items) {
        check_inclusion(&item, &cp)?;
        let seq = item.entry.seq();
        let len = item.proof.as_ref().map_or(0, Vec::len);
        place_in_order(&mut by_seq, seq, (item.entry, len))?;
    }
    let verified = verify_in_order(by_seq, person, origin, cp, options.authority)?;
    crate::complete::check_pins(&verified.checkpoint, &[], options)?;
    Ok(verified)
}

/// Each item's `disclosures` member, by seq, for a `custody-bundle/3`
/// (every item and no anchor has one); for `/1` and `/2`, `None` after
/// checking that no item has one and none is a v3 entry.
#[allow(clippy::type_complexity)]
fn disclosures_of(
    streamed: &mut Streamed,
    v3: bool,
) -> Result<Option<BTreeMap<u64, Vec<custody_format::json::StrictValue>>>, BundleError> {
    if streamed
        .anchors
        .iter()
        .flatten()
        .any(|a| a.last.disclosures.is_some())
    {
        return Err(MalformedBundle::NoDisclosures("an anchor's entry").into());
    }
    if !v3 {
        if streamed.items.iter().any(|i| i.disclosures.is_some()) {
            return Err(MalformedBundle::NoDisclosures("a custody-bundle/2 or /1 item").into());
        }
        if let Some(i) = streamed
            .items
            .iter()
            .find(|i| i.entry.body().version >= entry::VERSION_3)
        {
            return Err(MalformedBundle::NeedsV3(i.entry.seq()).into());
        }
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    for item in &mut streamed.items {
        let list = item
            .disclosures
            .take()
            .ok_or(MalformedBundle::Missing("disclosures"))?;
        out.insert(item.entry.seq(), list);
    }
    Ok(Some(out))
}

/// The chain rules over the checked entries, in seq order, then who the
/// entries are about, the genesis authority and the checkpoint's signer.
fn verify_in_order(
    by_seq: BTreeMap<u64, (SignedEntry, usize)>,
    person: PersonId,
    origin: String,
    cp: Checkpoint,
    authority: Option<PublicKeyBytes>,
) -> Result<VerifiedBundle, BundleError> {
    // The chain rules, in sparse mode, in seq order.
    let mut rules = ChainRules::new(Mode::Sparse);
    let mut walked = WalkState::new();
    let mut about: BTreeMap<EntryHash, (u64, Option<PersonId>)> = BTreeMap::new();
    let mut reassigned: Vec<EntryHash> = Vec::new();
    let mut out = Vec::with_capacity(by_seq.len());
    for (seq, (e, proof_len)) in by_seq {
        let body = e.body();
        let streams = rules
            .check(body, &walked, None, None)
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
        walked.accept(e.hash(), body, &streams);
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
    if registry.ledger_name() != Some(origin.as_str()) {
        return Err(BundleError::OtherOrigin {
            found: registry.ledger_name().unwrap_or_default().to_string(),
            origin,
        });
    }
    let (signer, granted) = checkpoint_signer(&cp, registry)?;
    let governance = out
        .iter()
        .filter(|e| e.entry.event().is_governance())
        .count() as u64;
    Ok(VerifiedBundle {
        disclosures: crate::disclosures::DisclosureReport::default(),
        anchors: vec![],
        completeness: Completeness::InclusionOnly,
        governance,
        origin,
        person,
        checkpoint: cp,
        checkpoint_signer: PublicKeyBytes(signer),
        checkpoint_signer_granted: granted,
        authority: genesis_authority,
        entries: out,
    })
}

/// Adds a bundle's item at `seq`, in document order: each seq once, in
/// ascending seq (docs/FORMAT.md §7), for `/1` and `/2` alike; a reader
/// must not sort what it was given.
pub(crate) fn place_in_order<T>(
    by_seq: &mut BTreeMap<u64, T>,
    seq: u64,
    item: T,
) -> Result<(), BundleError> {
    if let Some((&last, _)) = by_seq.last_key_value() {
        if seq == last || by_seq.contains_key(&seq) {
            return Err(violation(seq, Rule::Sequence, Cause::Duplicate));
        }
        if seq < last {
            return Err(violation(
                seq,
                Rule::Sequence,
                Cause::OutOfOrder { after: last },
            ));
        }
    }
    by_seq.insert(seq, item);
    Ok(())
}
