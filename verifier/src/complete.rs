//! Verifying a complete person bundle (`custody-bundle/2`; design §6.3,
//! docs/FORMAT.md §7 "Person bundles").
//!
//! A `/1` bundle shows that the entries it holds are in the ledger, never
//! that none was left out. A `/2` bundle also holds the seal the checkpoint
//! ends with, and the person's map proof against it. From the seal's
//! governance head and the map's head the verifier walks the entries' links
//! down, so every entry of the person's stream and of governance that a
//! link names must be there, and the counts the seal and the map state
//! must match what is there:
//!
//! 1. (the reader) size, strict JSON, the format tag;
//! 2. the note: three lines, for the bundle's origin, of size s ≥ 2;
//! 3. (the reader) each item's claims and strict signature; one item per
//!    seq, inside the tree;
//! 4. authentication from the top: the seal by its inclusion proof, the map
//!    proof against its root, then every item either *named* (by the seal's
//!    governance head, the map's head, a link of an authenticated item in
//!    governance or the person's stream, or an authenticated correction's
//!    target) or carrying an inclusion proof; a name with no item is
//!    `missing_entry`;
//! 5. the chain rules in sparse mode, and the note's signature by a key
//!    holding `authority` at s, replayed from the bundle's governance;
//! 6. governance is linked and counted as the seal says;
//! 7. the person's stream is linked and counted as the map says (or is
//!    empty, if the map proves the person absent);
//! 8. nothing else is in the bundle (but, format v3, a redaction of
//!    another person's stream that names only entries of the above);
//! 9. each anchor (an earlier checkpoint): its signature by an authority
//!    of its time, the consistency proof to the bundle's tree, its last
//!    entry, and, if that is a seal, the bundle's streams as it states them;
//! 10. the caller's pins: `--authority`, `--min-size`, `--checkpoint`.
//!
//! The first failure stops, as a [`Violation`](crate::Violation).

use crate::bundle::{
    check_item, checkpoint_signer, violation, AnchorHeld, BundleEntry, BundleError, BundleOptions,
    CheckedItem, Completeness, VerifiedBundle,
};
use crate::checkpoint::{self, Checkpoint};
use crate::merkle::{verify_consistency, verify_inclusion};
use crate::report::{Cause, Rule};
use custody_format::entry::VERSION_2;
use custody_format::event::{EntryHash, Event, PersonId};
use custody_format::map_hash::{self, person_key, Answer, Hash, MapProof};
use custody_format::rules::{ChainRules, CheckError, Mode, WalkState};
use custody_format::stream::{Link, Stream, StreamList};
use custody_format::text::clip;
use custody_format::wire::bundle::Anchor;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A `/2` bundle as the reader left it: each item checked on its own.
pub(crate) struct Input {
    pub(crate) items: Vec<CheckedItem>,
    pub(crate) person: PersonId,
    pub(crate) origin: String,
    pub(crate) note: String,
    pub(crate) map_proof: MapProof,
    pub(crate) anchors: Vec<Anchor>,
}

fn fail(seq: u64, rule: Rule, detail: String) -> BundleError {
    violation(seq, rule, Cause::Completeness(detail))
}

fn missing(seq: u64, hash: Option<EntryHash>, why: String) -> BundleError {
    violation(seq, Rule::MissingEntry, Cause::Missing { hash, why })
}

/// Why the bundle must hold an entry.
#[derive(Clone, Copy, Debug)]
enum Why {
    /// The seal's `gov_head`.
    GovHead,
    /// The map's head for the person.
    MapHead,
    /// A governance entry's link, from this seq.
    GovLink(u64),
    /// A link in the person's stream, from this seq.
    PersonLink(u64),
}

impl Why {
    fn describe(self, seq: u64, person: &PersonId) -> String {
        match self {
            Why::GovHead => format!("entry {seq}, the governance head named by the seal"),
            Why::MapHead => {
                format!("entry {seq}, the latest entry about {person} named by the seal's map")
            }
            Why::GovLink(from) => {
                format!("entry {seq}, the previous governance entry, linked from seq {from}")
            }
            Why::PersonLink(from) => {
                format!("entry {seq}, the previous entry about {person}, linked from seq {from}")
            }
        }
    }

    /// The entry that names (the seal for the heads).
    fn from(self, seal_seq: u64) -> u64 {
        match self {
            Why::GovHead | Why::MapHead => seal_seq,
            Why::GovLink(f) | Why::PersonLink(f) => f,
        }
    }
}

struct Name {
    hash: EntryHash,
    why: Why,
}

/// What one authenticated item names: its link in governance or in the
/// person's stream (never in another person's: a reassignment also links
/// into the other person's stream), and a correction's target.
fn add_names(
    item: &CheckedItem,
    person: &PersonId,
    names: &mut BTreeMap<u64, Vec<Name>>,
    targets: &mut HashMap<EntryHash, u64>,
) {
    let body = item.entry.body();
    let q = body.seq;
    // Format v3: a statement is its inner event for every purpose (design
    // §4.3); a redaction is in its person's stream (§5).
    let ev = body.event.inner();
    let person_of = |ev: &Event| match ev {
        Event::Redaction(r) => Some(r.person.clone()),
        other => other.person().cloned(),
    };
    // Which of its links is in governance or the person's stream. A
    // correction's streams are [P(t)] or [P(t), P(r)] with r ≠ t: with two
    // links, the person's is the second if the replacement is theirs; else
    // the first (the target's person; step 7 checks it is theirs).
    let which = if ev.is_governance() {
        Some((0, true))
    } else if let Some(p) = person_of(ev) {
        (&p == person).then_some((0, false))
    } else if let Event::Correction(c) = ev {
        targets.insert(c.target, q);
        let replacement_is_theirs =
            c.replacement.as_deref().and_then(Event::person) == Some(person);
        let i = if body.links.len() == 2 && replacement_is_theirs {
            1
        } else {
            0
        };
        Some((i, false))
    } else {
        None
    };
    if body.version < VERSION_2 {
        return;
    }
    if let Some((i, gov)) = which {
        if let Some(Some(l)) = body.links.get(i) {
            names.entry(l.seq).or_default().push(Name {
                hash: l.hash,
                why: if gov {
                    Why::GovLink(q)
                } else {
                    Why::PersonLink(q)
                },
            });
        }
    }
}

/// Verifies a `/2` bundle (steps 2 and 4–10; the reader did 1 and 3).
pub(crate) fn verify(input: Input, options: &BundleOptions) -> Result<VerifiedBundle, BundleError> {
    let Input {
        items,
        person,
        origin,
        note,
        map_proof,
        anchors,
    } = input;

    let (cp, by_seq) = note_and_items(items, &note, &origin)?;
    let s = cp.size;
    let seal_seq = s - 1;

    // Step 4: the seal, the map proof, then every item from the top.
    let seal = the_seal(&by_seq, &cp)?;
    let key: Hash = person_key(person.as_str());
    let answer = map_hash::verify(&seal.map_root.0, &key, &map_proof).map_err(|e| {
        fail(
            seal_seq,
            Rule::MapProof,
            format!(
                "the map proof for {person} does not hold against the seal's map root {}: {e}",
                hex::encode(seal.map_root.0)
            ),
        )
    })?;
    authenticate(&by_seq, &cp, &seal, answer, &person)?;

    // Step 5: the chain rules, in sparse mode, in seq order.
    let (entries, streams_of, rules) = replay(by_seq)?;
    let registry = rules.registry();
    let genesis_authority = registry.genesis_authority().ok_or_else(|| {
        missing(
            0,
            None,
            "the genesis (entry 0), the first governance entry".into(),
        )
    })?;
    if registry.ledger_name() != Some(origin.as_str()) {
        return Err(fail(
            0,
            Rule::Checkpoint,
            format!(
                "the genesis names the ledger {:?}, the bundle and its checkpoint {:?}",
                clip(registry.ledger_name().unwrap_or_default(), 80),
                clip(&origin, 80)
            ),
        ));
    }
    let (signer, granted) =
        checkpoint_signer(&cp, registry).map_err(|e| fail(s, Rule::Checkpoint, e.to_string()))?;

    // Step 6: governance, linked and counted as the seal says.
    let members = |stream: Stream| -> Vec<usize> {
        (0..entries.len())
            .filter(|&i| streams_of[i].as_slice().contains(&stream))
            .collect()
    };
    let gov = members(Stream::Governance);
    check_stream(
        &entries,
        &streams_of,
        &gov,
        StreamCheck {
            stream: Stream::Governance,
            head: seal.gov_head,
            count: seal.gov_count,
            what: "governance",
            seal_seq,
        },
    )?;

    // Step 7: the person's stream, as the map says.
    let theirs = members(Stream::Person(key));
    let what = format!("about {person}");
    let completeness = match answer {
        Answer::Absent => {
            if let Some(&i) = theirs.first() {
                return Err(fail(
                    seal_seq,
                    Rule::Seal,
                    format!(
                        "the seal's map proves that no entry concerns {person}, but entry {} does",
                        entries[i].entry.seq()
                    ),
                ));
            }
            Completeness::Absent
        }
        Answer::Present(v) => {
            check_stream(
                &entries,
                &streams_of,
                &theirs,
                StreamCheck {
                    stream: Stream::Person(key),
                    head: v.head,
                    count: v.count,
                    what: &what,
                    seal_seq,
                },
            )?;
            Completeness::Complete {
                entries: v.count,
                head: v.head,
            }
        }
    };

    // Step 8: nothing else.
    nothing_else(&entries, &gov, &theirs, &person)?;

    // Step 9: the anchors.
    let held = anchors
        .into_iter()
        .map(|a| check_anchor(a, &cp, &entries, (&gov, &theirs), &person, &key))
        .collect::<Result<Vec<_>, _>>()?;

    // Step 10: the caller's pins.
    check_authority_pin(genesis_authority, options)?;
    check_pins(&cp, &held, options)?;
    Ok(VerifiedBundle {
        disclosures: crate::disclosures::DisclosureReport::default(),
        anchors: held,
        origin,
        person,
        checkpoint: cp,
        checkpoint_signer: custody_format::event::PublicKeyBytes(signer),
        checkpoint_signer_granted: granted,
        authority: genesis_authority,
        completeness,
        governance: gov.len() as u64,
        entries,
    })
}

/// Step 10, `--authority`: the genesis names the pinned key.
fn check_authority_pin(
    genesis_authority: custody_format::event::PublicKeyBytes,
    options: &BundleOptions,
) -> Result<(), BundleError> {
    match options.authority {
        Some(pinned) if pinned != genesis_authority => Err(fail(
            0,
            Rule::Authority,
            format!("the ledger's authority is {genesis_authority}, not the pinned {pinned}"),
        )),
        _ => Ok(()),
    }
}

/// What one stream must be, from the seal or the map.
struct StreamCheck<'a> {
    stream: Stream,
    head: Link,
    count: u64,
    what: &'a str,
    seal_seq: u64,
}

/// Steps 6 and 7: the stream's members in the bundle end at the stated
/// head, each v2 member links to the member before it, and there are as
/// many as stated.
fn check_stream(
    entries: &[BundleEntry],
    streams_of: &[StreamList],
    members: &[usize],
    want: StreamCheck<'_>,
) -> Result<(), BundleError> {
    let StreamCheck {
        stream,
        head,
        count,
        what,
        seal_seq,
    } = want;
    let last = members.last().map(|&i| &entries[i].entry);
    if let Some(e) = last.filter(|e| e.seq() > head.seq) {
        return Err(fail(
            seal_seq,
            Rule::Seal,
            format!(
                "entry {} is {what} and comes after the latest the seal states (seq {})",
                e.seq(),
                head.seq
            ),
        ));
    }
    if last.is_none_or(|e| e.seq() != head.seq || e.hash() != head.hash) {
        return Err(fail(
            seal_seq,
            Rule::Seal,
            format!(
                "the seal states {} as the latest entry {what}, but that entry is not {what}",
                head
            ),
        ));
    }
    let mut prev: Option<Link> = None;
    let mut lowest_linked = None;
    for &i in members {
        let e = &entries[i].entry;
        let body = e.body();
        if body.version >= VERSION_2 {
            lowest_linked.get_or_insert(e.seq());
            let pos = streams_of[i]
                .as_slice()
                .iter()
                .position(|x| *x == stream)
                .expect("a member of the stream");
            let found = body.links[pos];
            if found != prev {
                let show = |l: Option<Link>| {
                    l.map_or("none (the first of its stream)".to_string(), |l| {
                        l.to_string()
                    })
                };
                return Err(fail(
                    e.seq(),
                    Rule::Link,
                    format!(
                        "entry {} links its previous entry {what} as {}, but the bundle's previous entry {what} is {}",
                        e.seq(),
                        show(found),
                        show(prev)
                    ),
                ));
            }
        }
        prev = Some(Link {
            seq: e.seq(),
            hash: e.hash(),
        });
    }
    let n = members.len() as u64;
    if n < count {
        let x = lowest_linked.unwrap_or(seal_seq);
        return Err(missing(
            x,
            None,
            format!(
                "{} entries {what} below seq {x}, which carry no links (format v1): the seal counts {count}, the bundle holds {n}",
                count - n
            ),
        ));
    }
    if n > count {
        return Err(fail(
            seal_seq,
            Rule::Seal,
            format!("the bundle holds {n} entries {what}, the seal counts {count}"),
        ));
    }
    Ok(())
}

/// Step 10, `--min-size` and `--checkpoint`: the bundle's checkpoint is not
/// older than the caller asked, agrees with a pinned one of its size, and,
/// if newer than a pinned one, carries an anchor (verified) at its size
/// and root.
pub(crate) fn check_pins(
    cp: &Checkpoint,
    anchors: &[AnchorHeld],
    options: &BundleOptions,
) -> Result<(), BundleError> {
    let s = cp.size;
    if let Some(n) = options.min_size {
        if s < n {
            return Err(fail(
                s,
                Rule::StaleCheckpoint,
                format!(
                    "the bundle is as of {s} entries; {n} were asked for: entries {s}..{} are not covered",
                    n - 1
                ),
            ));
        }
    }
    if let Some(pin) = &options.checkpoint {
        let m = pin.size;
        if pin.origin != cp.origin {
            return Err(fail(
                s,
                Rule::Checkpoint,
                format!(
                    "the pinned checkpoint is for the ledger {:?}, the bundle's for {:?}",
                    clip(&pin.origin, 80),
                    clip(&cp.origin, 80)
                ),
            ));
        }
        if m > s {
            return Err(fail(
                s,
                Rule::StaleCheckpoint,
                format!(
                    "the bundle is as of {s} entries, older than the pinned checkpoint of {m}: entries {s}..{} are not covered",
                    m - 1
                ),
            ));
        }
        if m == s && pin.root != cp.root {
            return Err(fail(
                s,
                Rule::Inconsistent,
                format!(
                    "the pinned checkpoint of {s} entries has root {}, the bundle's {}: two different trees of one size (equivocation, or a forked log)",
                    hex::encode(pin.root),
                    hex::encode(cp.root)
                ),
            ));
        }
        let anchored = anchors.iter().find(|a| a.checkpoint.size == m);
        if m < s && anchored.is_none_or(|a| a.checkpoint.root != pin.root) {
            let why = match anchored {
                Some(a) => format!(
                    "its anchor of {m} entries has root {}, the pinned checkpoint {} (two trees of one size)",
                    hex::encode(a.checkpoint.root),
                    hex::encode(pin.root)
                ),
                None => format!("it carries no anchor at the pinned checkpoint of {m}"),
            };
            return Err(fail(
                s,
                Rule::Unanchored,
                format!(
                    "the bundle is as of {s} entries and {why}: nothing shows that its tree extends the pinned one; ask for the bundle with `export --anchor` of the pinned checkpoint"
                ),
            ));
        }
    }
    Ok(())
}

/// Step 4, after the seal and the map proof: every item below the seal is
/// named (by a head, or a link or target of an authenticated item) or
/// carries an inclusion proof that holds; a name with no item is
/// `missing_entry`.
fn authenticate(
    by_seq: &BTreeMap<u64, CheckedItem>,
    cp: &Checkpoint,
    seal: &custody_format::event::Seal,
    answer: Answer,
    person: &PersonId,
) -> Result<(), BundleError> {
    let s = cp.size;
    let seal_seq = s - 1;

    let mut names: BTreeMap<u64, Vec<Name>> = BTreeMap::new();
    let mut targets: HashMap<EntryHash, u64> = HashMap::new();
    let mut head_name = |l: Link, why: Why, what: &str| {
        if l.seq >= seal_seq {
            return Err(fail(
                seal_seq,
                Rule::Seal,
                format!(
                    "the seal names {what} at seq {}, which is not before it",
                    l.seq
                ),
            ));
        }
        names
            .entry(l.seq)
            .or_default()
            .push(Name { hash: l.hash, why });
        Ok(())
    };
    head_name(seal.gov_head, Why::GovHead, "the governance head")?;
    if let Answer::Present(v) = answer {
        head_name(v.head, Why::MapHead, "the person's latest entry")?;
    }
    for (&q, item) in by_seq.range(..seal_seq).rev() {
        if let Some((&n, list)) = names.range(q + 1..).next_back() {
            return Err(missing(
                n,
                Some(list[0].hash),
                list[0].why.describe(n, person),
            ));
        }
        let hash = item.entry.hash();
        let mut named = None;
        if let Some(list) = names.remove(&q) {
            for name in &list {
                if name.hash != hash {
                    let from = name.why.from(seal_seq);
                    return Err(fail(
                        from,
                        Rule::Link,
                        format!(
                            "{} has hash {}, but the bundle's entry {q} has hash {hash}",
                            name.why.describe(q, person),
                            name.hash
                        ),
                    ));
                }
            }
            named = Some(list[0].why.describe(q, person));
        }
        if let Some(from) = targets.remove(&hash) {
            named.get_or_insert(format!(
                "entry {q}, the target of the correction at seq {from}"
            ));
        }
        match (named, &item.proof) {
            (Some(why), Some(_)) => {
                return Err(fail(
                    q,
                    Rule::Format,
                    format!("{why}, is authenticated by that name and must carry no inclusion proof (`null`), but carries one"),
                ))
            }
            (Some(_), None) => {}
            (None, None) => {
                return Err(fail(
                    q,
                    Rule::Unauthenticated,
                    format!("entry {q} is named by no link, head or correction and carries no inclusion proof: nothing ties it to the checkpoint"),
                ))
            }
            (None, Some(p)) => verify_inclusion(&item.leaf, q, s, p, &cp.root)
                .map_err(|error| violation(q, Rule::Checkpoint, Cause::NotIncluded { size: s, error }))?,
        }
        add_names(item, person, &mut names, &mut targets);
    }
    if let Some((&n, list)) = names.iter().next_back() {
        return Err(missing(
            n,
            Some(list[0].hash),
            list[0].why.describe(n, person),
        ));
    }
    if let Some((&hash, &from)) = targets.iter().max_by_key(|(_, from)| **from) {
        return Err(missing(
            from,
            Some(hash),
            format!("the target of the correction at seq {from}"),
        ));
    }

    Ok(())
}

/// Step 5: the chain rules in sparse mode, in seq order; each entry with
/// its holder and its streams, and the rules as of the last.
fn replay(
    by_seq: BTreeMap<u64, CheckedItem>,
) -> Result<(Vec<BundleEntry>, Vec<StreamList>, ChainRules), BundleError> {
    let mut rules = ChainRules::new(Mode::Sparse);
    let mut walked = WalkState::new();
    let mut entries: Vec<BundleEntry> = Vec::with_capacity(by_seq.len());
    let mut streams_of: Vec<StreamList> = Vec::with_capacity(by_seq.len());
    for (seq, item) in by_seq {
        let e = item.entry;
        let body = e.body();
        let streams = rules
            .check(body, &walked, None, None)
            .map_err(|err| match err {
                CheckError::Breach(b) => BundleError::Invalid(crate::Violation::breach(seq, b)),
                CheckError::Lookup(never) => match never {},
            })?;
        if body.version >= VERSION_2 && body.links.len() != streams.len() {
            return Err(fail(
                seq,
                Rule::Link,
                format!(
                    "entry {seq} carries {} link(s) for its {} stream(s)",
                    body.links.len(),
                    streams.len()
                ),
            ));
        }
        walked.accept(e.hash(), body, &streams);
        rules.accept(e.hash(), body);
        let holder = rules
            .registry()
            .get(&body.signer)
            .map(|k| k.holder_at(seq).to_string())
            .unwrap_or_default();
        entries.push(BundleEntry {
            proof_len: item.proof.as_ref().map_or(0, Vec::len),
            entry: e,
            holder,
        });
        streams_of.push(streams);
    }
    Ok((entries, streams_of, rules))
}

/// Step 8: every item is the person's, governance, the target of a
/// correction of the person's, the seal (the last item), or (format v3,
/// design §7) a redaction of another person's stream every target of
/// which is one of those items: a correction that moved evidence between
/// two persons is in both streams, the redaction that erased its reason
/// in one, and the other's bundle carries it so that the slot reads
/// redacted. Such a redaction was authenticated by its inclusion proof
/// (step 4) and checked by rule `redaction` against its targets (step 5).
fn nothing_else(
    entries: &[BundleEntry],
    gov: &[usize],
    theirs: &[usize],
    person: &PersonId,
) -> Result<(), BundleError> {
    let mut allowed: HashSet<usize> = gov.iter().chain(theirs).copied().collect();
    allowed.insert(entries.len() - 1); // the seal, the last item
    let their_targets: HashSet<EntryHash> = theirs
        .iter()
        .filter_map(|&i| match entries[i].entry.event().inner() {
            Event::Correction(c) => Some(c.target),
            _ => None,
        })
        .collect();
    let carried: HashSet<EntryHash> = entries
        .iter()
        .enumerate()
        .filter(|(i, be)| allowed.contains(i) || their_targets.contains(&be.entry.hash()))
        .map(|(_, be)| be.entry.hash())
        .collect();
    for (i, be) in entries.iter().enumerate() {
        if allowed.contains(&i) || their_targets.contains(&be.entry.hash()) {
            continue;
        }
        if let Event::Redaction(r) = be.entry.event() {
            if r.items.iter().all(|item| carried.contains(&item.target)) {
                continue;
            }
        }
        let e = &be.entry;
        let about = e
            .event()
            .person()
            .map(|p| format!(", about {p}"))
            .unwrap_or_default();
        return Err(fail(
            e.seq(),
            Rule::ExtraEntry,
            format!(
                "entry {} ({}{about}) is none of {person}'s entries, governance, the target of a correction about {person}, a redaction of those, or the seal: a bundle carries nothing else",
                e.seq(),
                e.event().type_name()
            ),
        ));
    }

    Ok(())
}

/// Step 4, first: the item at `s−1` is a version 2 seal whose inclusion
/// proof holds.
fn the_seal(
    by_seq: &BTreeMap<u64, CheckedItem>,
    cp: &Checkpoint,
) -> Result<custody_format::event::Seal, BundleError> {
    let s = cp.size;
    let seal_seq = s - 1;

    let seal_item = by_seq.get(&seal_seq).ok_or_else(|| {
        missing(
            seal_seq,
            None,
            format!("the seal: entry {seal_seq}, just before the checkpoint of {s} entries"),
        )
    })?;
    let seal = match seal_item.entry.event() {
        Event::Seal(seal) if seal_item.entry.body().version >= VERSION_2 => seal.clone(),
        other => {
            return Err(fail(
                seal_seq,
                Rule::NoCommitment,
                format!(
                    "entry {seal_seq}, just before the checkpoint, is a {}, not a seal: the checkpoint commits to no person map (it may predate format v2); such a bundle can prove inclusion only",
                    other.type_name()
                ),
            ))
        }
    };
    match &seal_item.proof {
        None => {
            return Err(fail(
                seal_seq,
                Rule::Unauthenticated,
                "the seal carries no inclusion proof; nothing names it, so it must carry one"
                    .into(),
            ))
        }
        Some(p) => {
            verify_inclusion(&seal_item.leaf, seal_seq, s, p, &cp.root).map_err(|error| {
                violation(
                    seal_seq,
                    Rule::Checkpoint,
                    Cause::NotIncluded { size: s, error },
                )
            })?
        }
    }
    Ok(seal)
}

/// Steps 2 and 3 (the rest): the note, then one item per seq, each inside
/// the note's tree.
fn note_and_items(
    items: Vec<CheckedItem>,
    note: &str,
    origin: &str,
) -> Result<(Checkpoint, BTreeMap<u64, CheckedItem>), BundleError> {
    // Step 2: the note.
    let cp = checkpoint::parse(note)
        .map_err(|e| fail(0, Rule::Format, format!("the checkpoint note: {e}")))?;
    let s = cp.size;
    if !cp.extensions.is_empty() {
        return Err(fail(
            s,
            Rule::Format,
            format!(
                "the checkpoint note has {} extension line(s) after its root; a custody-bundle/2 note is exactly three lines (origin, size, root): an unexplained signed line could be read as a claim",
                cp.extensions.len()
            ),
        ));
    }
    if cp.origin != origin {
        return Err(fail(
            s,
            Rule::Checkpoint,
            format!(
                "the checkpoint is for the ledger {:?}, the bundle says {:?}",
                clip(&cp.origin, 80),
                clip(origin, 80)
            ),
        ));
    }
    if s < 2 {
        return Err(fail(
            s,
            Rule::NoCommitment,
            format!("a checkpoint of {s} entries cannot end with a seal after the genesis"),
        ));
    }
    let seal_seq = s - 1;

    // Step 3, the rest: one item per seq, each inside the tree.
    let mut by_seq: BTreeMap<u64, CheckedItem> = BTreeMap::new();
    for item in items {
        let seq = item.entry.seq();
        if seq >= s {
            return Err(fail(
                seq,
                Rule::ExtraEntry,
                format!(
                    "entry {seq} is not in the checkpoint's tree of {s} entries (0..{seal_seq})"
                ),
            ));
        }
        crate::bundle::place_in_order(&mut by_seq, seq, item)?;
    }

    Ok((cp, by_seq))
}

/// Step 9, one anchor: its note (three lines, this origin, size m < s,
/// signed by a key holding `authority` at m, replayed from the bundle's
/// governance), the consistency proof from m to s (`inconsistent`), its
/// last entry as leaf m−1 of the tree of m, and, if that entry is a seal,
/// the person's map proof against it and the bundle's streams below it as
/// the seal and the map state them (`missing_entry`, `inconsistent`).
fn check_anchor(
    anchor: Anchor,
    cp: &Checkpoint,
    entries: &[BundleEntry],
    (gov, theirs): (&[usize], &[usize]),
    person: &PersonId,
    key: &Hash,
) -> Result<AnchorHeld, BundleError> {
    let s = cp.size;
    let (a, signer) = anchor_note(&anchor.checkpoint, cp, entries)?;
    let m = a.size;
    let consistency: Vec<Hash> = anchor.consistency.iter().map(|h| h.0).collect();
    verify_consistency(m, s, &a.root, &cp.root, &consistency).map_err(|e| {
        fail(
            s,
            Rule::Inconsistent,
            format!(
                "the anchor of {m} entries (root {}) is not shown to be a prefix of the bundle's tree of {s}: {e}",
                hex::encode(a.root)
            ),
        )
    })?;
    let last = check_item(anchor.last)?;
    let q = last.entry.seq();
    if q != m - 1 {
        return Err(fail(
            m,
            Rule::Checkpoint,
            format!(
                "the anchor of {m} entries shows entry {q} as its last, not entry {}",
                m - 1
            ),
        ));
    }
    let proof = last.proof.as_deref().ok_or_else(|| {
        fail(
            q,
            Rule::Unauthenticated,
            format!("the anchor of {m} entries shows its last entry without an inclusion proof"),
        )
    })?;
    verify_inclusion(&last.leaf, q, m, proof, &a.root)
        .map_err(|error| violation(q, Rule::Checkpoint, Cause::NotIncluded { size: m, error }))?;
    let held = AnchorHeld {
        checkpoint: a,
        signer: custody_format::event::PublicKeyBytes(signer),
        sealed: false,
    };
    let seal = match last.entry.event() {
        Event::Seal(seal) if last.entry.body().version >= VERSION_2 => seal.clone(),
        // An anchor whose last entry is not a seal proves consistency only;
        // a map proof beside it would be checked against nothing, so it
        // MUST be null (FORMAT.md §7, step 9) rather than ignored.
        _ if anchor.map_proof.is_some() => {
            return Err(fail(
                q,
                Rule::MapProof,
                format!(
                    "the anchor of {m} entries ends with entry {q}, which is not a seal, yet carries a map proof: it must be null"
                ),
            ))
        }
        // A v1 checkpoint: consistency only.
        _ => return Ok(held),
    };
    let map_proof = anchor.map_proof.as_ref().ok_or_else(|| {
        fail(
            q,
            Rule::MapProof,
            format!(
                "the anchor of {m} entries ends with a seal but carries no map proof for {person}"
            ),
        )
    })?;
    let answer = map_hash::verify(&seal.map_root.0, key, &MapProof::from(map_proof)).map_err(|e| {
        fail(
            q,
            Rule::MapProof,
            format!("the anchor's map proof for {person} does not hold against the seal at seq {q}: {e}"),
        )
    })?;
    let below = |members: &[usize]| -> Vec<usize> {
        members
            .iter()
            .copied()
            .filter(|&i| entries[i].entry.seq() < q)
            .collect()
    };
    agree(
        entries,
        &below(gov),
        Some((seal.gov_count, seal.gov_head)),
        "governance entries",
        m,
    )?;
    let value = match answer {
        Answer::Present(v) => Some((v.count, v.head)),
        Answer::Absent => None,
    };
    agree(
        entries,
        &below(theirs),
        value,
        &format!("entries about {person}"),
        m,
    )?;
    Ok(AnchorHeld {
        sealed: true,
        ..held
    })
}

/// Step 9, an anchor's note: three lines, this origin, of size 1 ≤ m < s,
/// signed by a key holding `authority` at m (replayed from the bundle's
/// items below m; its governance is complete, step 6). The note and its
/// signer.
fn anchor_note(
    note: &str,
    cp: &Checkpoint,
    entries: &[BundleEntry],
) -> Result<(Checkpoint, [u8; 32]), BundleError> {
    let s = cp.size;
    let a = checkpoint::parse(note).map_err(|e| {
        fail(
            s,
            Rule::Checkpoint,
            format!("an anchor's checkpoint note: {e}"),
        )
    })?;
    let m = a.size;
    if !a.extensions.is_empty() {
        return Err(fail(
            m,
            Rule::Checkpoint,
            format!("the anchor of {m} entries has extension lines; an anchor's note is exactly three lines"),
        ));
    }
    if a.origin != cp.origin {
        return Err(fail(
            m,
            Rule::Checkpoint,
            format!(
                "the anchor is a checkpoint of the ledger {:?}, the bundle's of {:?}",
                clip(&a.origin, 80),
                clip(&cp.origin, 80)
            ),
        ));
    }
    if m == 0 || m >= s {
        return Err(fail(
            m,
            Rule::Checkpoint,
            format!("the anchor is of {m} entries; an anchor is an earlier checkpoint, of 1 to {} entries", s - 1),
        ));
    }
    // The authority at m, replayed from the bundle's entries below m
    // (its governance is complete, step 6).
    let mut rules = ChainRules::new(Mode::Sparse);
    let mut walked = WalkState::new();
    for be in entries.iter().take_while(|be| be.entry.seq() < m) {
        let body = be.entry.body();
        let streams = rules
            .check(body, &walked, None, None)
            .map_err(|err| match err {
                CheckError::Breach(b) => {
                    BundleError::Invalid(crate::Violation::breach(body.seq, b))
                }
                CheckError::Lookup(never) => match never {},
            })?;
        walked.accept(be.entry.hash(), body, &streams);
        rules.accept(be.entry.hash(), body);
    }
    let (signer, _) = checkpoint_signer(&a, rules.registry()).map_err(|e| {
        fail(
            m,
            Rule::Checkpoint,
            format!("the anchor of {m} entries: {e}"),
        )
    })?;
    Ok((a, signer))
}

/// Step 9: the bundle's members of a stream below an anchor's seal are as
/// many as it counts and end at the head it states (`None`: none).
fn agree(
    entries: &[BundleEntry],
    members: &[usize],
    stated: Option<(u64, Link)>,
    what: &str,
    m: u64,
) -> Result<(), BundleError> {
    let n = members.len() as u64;
    let last = members.last().map(|&i| Link {
        seq: entries[i].entry.seq(),
        hash: entries[i].entry.hash(),
    });
    let Some((count, head)) = stated else {
        return match last {
            None => Ok(()),
            Some(l) => Err(fail(
                m,
                Rule::Inconsistent,
                format!("the anchor of {m} entries proves that no entry concerns the person, but the bundle holds {n} {what} before it, the latest {l}"),
            )),
        };
    };
    if !entries.iter().any(|be| be.entry.seq() == head.seq) {
        return Err(missing(
            head.seq,
            Some(head.hash),
            format!(
                "entry {}, the latest of the {what} named by the seal of the anchor of {m} entries",
                head.seq
            ),
        ));
    }
    if last != Some(head) || n != count {
        let shown = last.map_or("none".to_string(), |l| l.to_string());
        return Err(fail(
            m,
            Rule::Inconsistent,
            format!("the seal of the anchor of {m} entries counts {count} {what}, the latest {head}; the bundle holds {n} before it, the latest {shown}"),
        ));
    }
    Ok(())
}

/// Step 11 (`custody-bundle/3`, design docs/design/format-v3.md §7): every
/// disclosure of every item per §3.4, with the redactions among the items
/// (a bundle holds its person's whole stream, so every redaction in it as
/// of the checkpoint, and those of another person's stream that name only
/// its items, step 8). An invalid one is rule `disclosure` at
/// its item's seq; a withheld slot, rule `withheld` under
/// `policy.all_disclosed`.
pub(crate) fn check_disclosures(
    entries: &[BundleEntry],
    offered: &BTreeMap<u64, Vec<custody_format::json::StrictValue>>,
    policy: crate::disclosures::DisclosurePolicy,
) -> Result<crate::disclosures::DisclosureReport, BundleError> {
    let mut redacted: HashMap<(EntryHash, custody_format::commit::Slot), u64> = HashMap::new();
    for e in entries {
        if let Event::Redaction(r) = e.entry.event() {
            for item in &r.items {
                for slot in &item.slots {
                    redacted.insert((item.target, *slot), e.entry.seq());
                }
            }
        }
    }
    let mut tally = crate::disclosures::DisclosureTally::new();
    for e in entries {
        let seq = e.entry.seq();
        let list = offered.get(&seq).map_or(&[][..], Vec::as_slice);
        tally
            .offer_item(&e.entry, list, seq)
            .map_err(BundleError::Invalid)?;
    }
    let report = tally.finish(|hash, slot| redacted.get(&(*hash, slot)).copied());
    report
        .enforce(policy)
        .map_err(|(v, _)| BundleError::Invalid(v))?;
    Ok(report)
}
