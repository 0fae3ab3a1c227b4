//! `custody verify`: prove the chain intact and every signer authorised.

use crate::cmd::checkpoint::read_checkpoint;
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use crate::progress::Progress;
use crate::pubkey::public_key_arg as key_arg;
use clap::Args;
use custody_format::event::{Event, Role};
use custody_ledger::store::{DerivedReport, Ledger};
use custody_verifier::bundle::{
    verify_bundle_disclosures, BundleError, BundleOptions, Completeness,
};
use custody_verifier::checkpoint::{check_extends, Checkpoint, NotExtended};
use custody_verifier::cosignature::{verify_cosignatures, WitnessKey};
use custody_verifier::disclosures::{DisclosurePolicy, DisclosureReport, SlotVerdict};
use custody_verifier::export::{verify_export_disclosures, ExportError};
use custody_verifier::merkle::verify_consistency;
use custody_verifier::proof::{verify_tlog_proof, TrustedBy, VerifierKey};
use custody_verifier::walk::{default_threads, verify_chain};
use custody_verifier::{Cause, Rule, Summary, Violation};
use serde_json::json;
use std::path::PathBuf;

/// `custody verify`.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("offline").args(["bundle", "export", "proof", "dossier"])))]
#[command(group(clap::ArgGroup::new("files").args(["bundle", "export"])))]
#[command(group(clap::ArgGroup::new("cosigned").args(["checkpoint", "proof", "bundle"]).multiple(true)))]
pub(crate) struct VerifyArgs {
    /// Verify a person's evidence bundle instead of a store; no store is
    /// needed. A `custody-bundle/2` is proven COMPLETE (every entry about
    /// the person and every governance entry before its checkpoint) or the
    /// person ABSENT; a `custody-bundle/3` likewise, and each disclosure
    /// beside its v3 entries is checked (an altered one fails: rule
    /// `disclosure`); a `custody-bundle/1` proves inclusion only and is
    /// refused unless --inclusion-only is given. A whole-ledger export is
    /// refused here: it is another artefact (--export).
    #[arg(long, value_name = "FILE", conflicts_with = "export")]
    bundle: Option<PathBuf>,
    /// With --bundle: accept a `custody-bundle/1`, which shows that its
    /// entries are in the ledger but not that none was left out; it is
    /// reported INCLUSION ONLY, never complete.
    #[arg(long, requires = "bundle")]
    inclusion_only: bool,
    /// With --bundle: the bundle's checkpoint must cover at least N entries
    /// (refused as stale otherwise).
    #[arg(long, value_name = "N", requires = "bundle")]
    min_size: Option<u64>,
    /// Verify a whole-ledger export (`custody export`) instead of a store;
    /// no store is needed. A person's bundle is refused here (--bundle).
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Also check the ledger against an earlier signed checkpoint (from
    /// `custody checkpoint`): same origin, valid signature by an authority
    /// key, and the checkpoint's tree a prefix of today's (consistency
    /// proof). Catches truncation, rollback, rewriting and equivocation.
    /// With --bundle: a checkpoint you trust; a bundle older than it is
    /// stale, one of its size with another root is inconsistent
    /// (equivocation), and one newer than it must be anchored to it.
    /// With --export: the root of the export's first N entries must be the
    /// checkpoint's (and its signer an authority of the exported ledger).
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Verify a C2SP tlog-proof of one entry (from `custody prove --format
    /// tlog-proof`) without a store: the checkpoint's signature by a key you
    /// trust (--authority or --vkey), and the RFC 9162 inclusion proof of
    /// the entry's bytes (--entry) in its tree.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["bundle", "export", "checkpoint"], requires = "entry")]
    proof: Option<PathBuf>,
    /// With --proof: the entry's stored bytes, the leaf the proof covers
    /// (`custody prove --entry-out FILE`).
    #[arg(long, value_name = "FILE", requires = "proof")]
    entry: Option<PathBuf>,
    /// With --bundle or --export: the authority key the genesis must name
    /// (64 hex digits, or a public key file). Without it, the report prints the authority key for you
    /// to compare with the one you were given. With --proof: a key trusted
    /// to sign the proof's checkpoint, whatever ledger name it signs it for.
    /// With --dossier: the key that must have signed the dossier.
    #[arg(long, value_name = "HEX|PEM", requires = "offline")]
    authority: Option<String>,
    /// With --bundle: the key (64 hex digits, or a public key file) that must have signed the
    /// bundle's checkpoint (for example the key of the authority that
    /// handed you the bundle). Without it, the report names the signer and
    /// when it was made an authority.
    #[arg(long, value_name = "HEX|PEM", requires = "bundle")]
    checkpoint_key: Option<String>,
    /// With --proof: a C2SP verifier key (`<ledger name>+<key id>+<key>`, as
    /// `custody checkpoint` and `custody prove --format tlog-proof` print),
    /// trusted to sign checkpoints of the ledger it names. Repeatable.
    #[arg(long, value_name = "VKEY", requires = "proof")]
    vkey: Vec<String>,
    /// Verify a dossier file's detached signature (`custody dossier --out
    /// FILE --sign-key KEY` writes FILE.sig): the file's SHA-256 and the
    /// authority's signature of it (docs/FORMAT.md §13). With --authority,
    /// the signature must be by that key. No store is needed.
    #[arg(long, value_name = "FILE", requires = "signature", conflicts_with_all = ["bundle", "export", "proof", "checkpoint"])]
    dossier: Option<PathBuf>,
    /// With --dossier: the signature file (`custody-dossier-signature/1`).
    #[arg(long, value_name = "FILE.sig", requires = "dossier")]
    signature: Option<PathBuf>,
    /// With --checkpoint, --proof or --bundle: a witness's verifier key
    /// (`<name>+<key id>+<key>`, as `custody witness key` prints); the
    /// checkpoint (the --checkpoint file, with a store or --export; the one
    /// inside the --proof; with --bundle, the one the bundle is proven
    /// against: cosignature lines in the bundle's own note, `custody export
    /// --person P --cosigned`, or in a --checkpoint file of the same tree)
    /// must carry valid cosignatures (C2SP cosignature/v1) by --quorum of
    /// the listed witnesses. Signature lines by witnesses not listed are
    /// ignored; a line by a listed witness that does not verify fails the
    /// check. Repeatable.
    #[arg(long, value_name = "VKEY", requires = "cosigned")]
    witness: Vec<String>,
    /// With --witness: how many of the listed witnesses must have cosigned
    /// the checkpoint (default: all of them).
    #[arg(long, value_name = "K", requires = "witness")]
    quorum: Option<usize>,
    /// With --export or --bundle: every committed field of a format v3
    /// entry must be disclosed or redacted; a withheld field (no
    /// disclosure beside it, no redaction in the chain) fails the check
    /// (rule `withheld`). Without it, withheld fields are reported, never
    /// invalid.
    #[arg(long, requires = "files")]
    all_disclosed: bool,
    /// Verify receipts kept by `custody submit --receipts FILE`, offline:
    /// each line's entry carries its statement and is proved in a
    /// checkpoint of the statement's ledger signed by --log-key. No store
    /// is needed.
    #[arg(long, value_name = "FILE", requires = "log_key", conflicts_with_all = ["bundle", "export", "proof", "dossier", "checkpoint"])]
    receipts: Option<PathBuf>,
    /// With --receipts: the key (hex or public key PEM file) that must
    /// have signed each receipt's checkpoint: the server's registrar key,
    /// obtained by another channel.
    #[arg(long, value_name = "KEY", requires = "receipts")]
    log_key: Option<String>,
    /// Accepted for compatibility and changes nothing: every signature is
    /// now verified strictly (docs/FORMAT.md, section 5), on every core.
    #[arg(long, hide = true)]
    exact: bool,
}

/// Walks every entry of an open ledger through the verifier.
///
/// The verifier sees only the stored bytes, in chain order; signatures are
/// verified strictly on every core. `progress` counts entries (its total is
/// the ledger's length).
pub(crate) fn verify_store(
    ledger: &Ledger,
    progress: &Progress,
) -> Result<Result<Summary, Violation>, Failure> {
    let entries = ledger.entries_from(0).map(|r| r.map(|(_, bytes)| bytes));
    Ok(verify_chain(entries, default_threads(), |n| {
        progress.set(n)
    })?)
}

/// Prints a verdict and turns it into an exit code.
pub(crate) fn report(
    ctx: &Context,
    source: &str,
    verdict: Result<Summary, Violation>,
) -> CmdResult {
    report_with(ctx, source, verdict, None, None)
}

/// [`report`], with what `--checkpoint` found (consistent) when one was
/// given: a line of text, or a `checkpoint` object in the JSON.
fn report_with(
    ctx: &Context,
    source: &str,
    verdict: Result<Summary, Violation>,
    checkpoint: Option<&CheckpointCheck>,
    disclosures: Option<&DisclosureReport>,
) -> CmdResult {
    // Format v3 only: a ledger without commitments reports as before.
    let disclosures = disclosures.filter(|d| !d.entries.is_empty());
    match verdict {
        Ok(s) => {
            // A recorded time later than this machine's clock: one of the
            // two clocks is wrong. Not a rule of the chain, but worth saying.
            let now = custody_ledger::clock::now();
            let future = s.last_recorded_at.0 > now.0 + 5 * 60 * 1_000_000;
            if ctx.json {
                print_json(&json!({
                    "valid": true, "source": source, "ledger_name": s.ledger_name,
                    "length": s.length, "head_seq": s.length - 1, "head_hash": s.head_hash,
                    "authority": s.authority, "last_recorded_at": s.last_recorded_at,
                    "recorded_in_the_future": future,
                    "clock_corrections": s.clock_corrections.iter().map(|c| json!({
                        "seq": c.seq, "since": c.since, "recorded_at": c.recorded_at, "reason": c.reason,
                    })).collect::<Vec<_>>(),
                    "checkpoint": checkpoint.map(CheckpointCheck::to_json),
                    "disclosures": disclosures.map(disclosures_json),
                }));
            } else {
                println!("VALID  {}", crate::escape::terminal(source));
                println!("ledger:    {}", crate::escape::terminal(&s.ledger_name));
                println!("entries:   {}", s.length);
                println!("head:      seq {} {}", s.length - 1, s.head_hash);
                println!("authority: {}", s.authority);
                println!("last recorded at {}", s.last_recorded_at);
                if future {
                    println!(
                        "warning: the last entry is recorded at {}, later than this machine's clock ({now}): the clock of the machine that signed it, or this one, is wrong",
                        s.last_recorded_at
                    );
                }
                for c in &s.clock_corrections {
                    println!(
                        "clock corrected at seq {} (recorded at {}): the authority declares entries {}..{} recorded by a wrong clock: {}",
                        c.seq,
                        c.recorded_at,
                        c.since,
                        c.seq - 1,
                        crate::escape::terminal(&c.reason)
                    );
                }
                if let Some(c) = checkpoint {
                    println!("{}", c.text());
                }
                if let Some(d) = disclosures {
                    print_disclosures(d);
                }
            }
            Ok(())
        }
        Err(v) => {
            let advice = crate::exit::disclosure_advice(v.rule);
            if ctx.json {
                print_json(&json!({
                    "valid": false, "source": source, "seq": v.seq, "rule": v.rule.name(), "detail": v.detail(),
                    "advice": advice,
                }));
            } else {
                println!("INVALID  {}", crate::escape::terminal(source));
                println!("first bad entry: seq {}", v.seq);
                println!("rule:   {}", v.rule);
                println!("detail: {}", crate::escape::terminal(&v.detail()));
                if let Some(a) = advice {
                    println!("what to do: {a}");
                }
            }
            Err(refused(anyhow::anyhow!(
                "verification failed at seq {} ({}): {}",
                v.seq,
                v.rule,
                v.detail()
            )))
        }
    }
}

/// Each committed slot's verdict, and the totals (format v3), as JSON.
fn disclosures_json(d: &DisclosureReport) -> serde_json::Value {
    let t = d.totals();
    json!({
        "totals": {
            "disclosed": t.disclosed, "withheld": t.withheld, "redacted": t.redacted,
            "disclosed_after_redaction": t.disclosed_after_redaction,
        },
        "entries": d.entries.iter().map(|e| json!({
            "seq": e.seq,
            "slots": e.slots.iter().map(|(slot, v)| {
                let mut o = json!({
                    "part": slot.part, "field": slot.field_name(), "index": slot.index,
                    "state": v.name(),
                });
                if let SlotVerdict::Redacted { at } | SlotVerdict::DisclosedAfterRedaction { at } = v {
                    o["redacted_at"] = json!(at);
                }
                o
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The disclosures as text: the totals, then each entry with a field not
/// disclosed (every field of every entry is in `--json`), then a warning
/// for each value disclosed after its redaction.
fn print_disclosures(d: &DisclosureReport) {
    let t = d.totals();
    println!(
        "disclosures: {} committed fields in {} entries: {} disclosed, {} withheld, {} redacted",
        t.disclosed + t.withheld + t.redacted,
        d.entries.len(),
        t.disclosed,
        t.withheld,
        t.redacted
    );
    for e in &d.entries {
        let hidden: Vec<String> = e
            .slots
            .iter()
            .filter_map(|(slot, v)| match v {
                SlotVerdict::Withheld => Some(format!("{slot} withheld")),
                SlotVerdict::Redacted { at } => Some(format!("{slot} redacted at seq {at}")),
                _ => None,
            })
            .collect();
        if !hidden.is_empty() {
            println!("  seq {}: {}", e.seq, hidden.join(", "));
        }
    }
    for e in &d.entries {
        for (slot, v) in &e.slots {
            if let SlotVerdict::DisclosedAfterRedaction { at } = v {
                println!(
                    "warning: seq {} {slot} is disclosed although the redaction at seq {at} erased it: the value is genuine, but whoever holds it should not",
                    e.seq
                );
            }
        }
    }
}

/// Runs `verify`.
pub(crate) fn run(ctx: &Context, args: VerifyArgs) -> CmdResult {
    if let (Some(path), Some(key)) = (&args.receipts, &args.log_key) {
        return crate::cmd::receipt::verify(ctx, path, key);
    }
    let witnesses = witness_policy(&args.witness, args.quorum)?;
    if let Some(path) = &args.bundle {
        // The witnesses of a bundle are those of the tree it is proven
        // against: checked once the bundle (and so its note) holds.
        let pins = BundlePins {
            checkpoint_key: args.checkpoint_key.as_deref(),
            inclusion_only: args.inclusion_only,
            min_size: args.min_size,
            checkpoint: args.checkpoint.as_deref(),
            all_disclosed: args.all_disclosed,
            witnesses: witnesses.as_ref(),
        };
        return verify_file(
            ctx,
            path,
            Artefact::Bundle,
            args.authority.as_deref(),
            &pins,
        );
    }
    if let (Some(path), Some(policy)) = (args.checkpoint.as_deref(), &witnesses) {
        let label = crate::escape::path(path);
        require_cosignatures(&label, &read_checkpoint(path)?, policy)?;
    }
    if let Some(path) = &args.export {
        let pins = BundlePins {
            checkpoint: args.checkpoint.as_deref(),
            all_disclosed: args.all_disclosed,
            ..BundlePins::default()
        };
        return verify_file(
            ctx,
            path,
            Artefact::Export,
            args.authority.as_deref(),
            &pins,
        );
    }
    if let (Some(dossier), Some(signature)) = (&args.dossier, &args.signature) {
        return verify_dossier(ctx, dossier, signature, args.authority.as_deref());
    }
    if let (Some(proof), Some(entry)) = (&args.proof, &args.entry) {
        let keys = ProofKeys {
            authority: args.authority.as_deref(),
            vkeys: &args.vkey,
            witnesses: witnesses.as_ref(),
        };
        return verify_proof(ctx, proof, entry, &keys);
    }
    let ledger = ctx.open_read_only()?;
    let source = ledger.dir().display().to_string();
    let progress = Progress::new(ctx, Some(ledger.len()), "entries", "verify");
    let verdict = verify_store(&ledger, &progress)?;
    progress.finish();
    let (summary, checkpoint) = match (&args.checkpoint, verdict) {
        (_, Err(v)) => return report(ctx, &source, Err(v)),
        (Some(path), Ok(summary)) => {
            let cp = read_checkpoint(path)?;
            let mut check = against_checkpoint(&ledger, &summary, &cp)?;
            check.file = Some(path.to_path_buf());
            if check.verdict.is_err() {
                return checkpoint_failed(ctx, &source, &check);
            }
            (summary, Some(check))
        }
        (None, Ok(summary)) => (summary, None),
    };
    // The chain holds; now every table derived from it.
    let progress = Progress::new(ctx, Some(ledger.len() * 2), "entries", "derived tables");
    let derived = ledger.check_derived(|n| progress.set(n))?;
    progress.finish();
    if !derived.is_clean() {
        return derived_damage(ctx, &source, &derived);
    }
    report_with(ctx, &source, Ok(summary), checkpoint.as_ref(), None)?;
    if !ctx.json {
        println!(
            "derived tables: {} rows match the chain{}",
            derived.rows,
            if derived.statuses_stale {
                " (statuses are stale and were not compared: the next writable open rebuilds them)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// The witnesses `--witness` lists and the `--quorum` of them required
/// (default: all), checked as usage first; `None` if none is listed.
pub(crate) fn witness_policy(
    witnesses: &[String],
    quorum: Option<usize>,
) -> Result<Option<WitnessPolicy>, Failure> {
    if witnesses.is_empty() {
        return Ok(None);
    }
    let mut keys: Vec<WitnessKey> = Vec::new();
    for text in witnesses {
        let key =
            WitnessKey::parse(text).map_err(|e| env(anyhow::anyhow!("--witness {text:?}: {e}")))?;
        if keys.iter().any(|k| k.key == key.key || k.name == key.name) {
            return Err(env(anyhow::anyhow!(
                "--witness {text:?}: this witness (its name or key) is listed twice; list each witness once"
            )));
        }
        keys.push(key);
    }
    let quorum = quorum.unwrap_or(keys.len());
    if quorum == 0 || quorum > keys.len() {
        return Err(env(anyhow::anyhow!(
            "--quorum {quorum}: give a number from 1 to the {} witness(es) listed",
            keys.len()
        )));
    }
    Ok(Some((keys, quorum)))
}

/// The witnesses `--witness` lists and the `--quorum` of them required.
pub(crate) type WitnessPolicy = (Vec<WitnessKey>, usize);

/// The cosignatures that held on a checkpoint, for the report.
struct Witnessed {
    listed: usize,
    quorum: usize,
    /// Each witness that cosigned: its name and when (POSIX seconds).
    cosigned: Vec<(String, u64)>,
}

impl Witnessed {
    /// Checks the cosignatures of `policy`'s witnesses on `cp` (the
    /// verifier's check, with its quorum), and warns of any dated ahead of
    /// this machine's clock (`label` names the checkpoint's file).
    fn check(
        label: &str,
        cp: &Checkpoint,
        (keys, quorum): &WitnessPolicy,
    ) -> Result<Witnessed, custody_verifier::cosignature::CosignatureError> {
        let cosigned: Vec<(String, u64)> = verify_cosignatures(cp, keys, *quorum)?
            .into_iter()
            .map(|c| (keys[c.witness].name.clone(), c.timestamp))
            .collect();
        // The spec lets a verifier refuse a time in the future; one clock or
        // the other is wrong, and the user is told which cosignature says so.
        let now = chrono::Utc::now().timestamp();
        for (name, t) in cosigned.iter().filter(|(_, t)| *t as i64 > now + 5 * 60) {
            crate::exit::warn(&format!(
                "{label}: the cosignature by {} is dated {} s ahead of this machine's clock: that witness's clock, or this one, is wrong",
                crate::escape::terminal(name),
                *t as i64 - now
            ));
        }
        Ok(Witnessed {
            listed: keys.len(),
            quorum: *quorum,
            cosigned,
        })
    }

    /// "cosigned by 1 of the 2 listed witnesses (w at T); quorum 1 met".
    fn text(&self) -> String {
        let names: Vec<String> = self
            .cosigned
            .iter()
            .map(|(name, t)| format!("{name} at {}", rfc3339(*t)))
            .collect();
        format!(
            "cosigned by {} of the {} listed witnesses ({}); quorum {} met",
            self.cosigned.len(),
            self.listed,
            crate::escape::terminal(&names.join(", ")),
            self.quorum
        )
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "listed": self.listed, "quorum": self.quorum,
            "cosigned": self.cosigned.iter().map(|(name, t)| json!({
                "witness": name, "timestamp": t, "time": rfc3339(*t),
            })).collect::<Vec<_>>(),
        })
    }
}

/// POSIX seconds as RFC 3339 (the number itself if out of range).
fn rfc3339(t: u64) -> String {
    i64::try_from(t)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(|| t.to_string(), |t| t.to_rfc3339())
}

/// `--witness … --quorum K`: the checkpoint `cp` (named `label`) must carry
/// valid cosignatures by K of the listed witnesses. What held is said on
/// standard error, so that standard output stays the report it always was.
pub(crate) fn require_cosignatures(
    label: &str,
    cp: &Checkpoint,
    policy: &WitnessPolicy,
) -> CmdResult {
    let held = Witnessed::check(label, cp, policy).map_err(|e| {
        refused(anyhow::anyhow!(
            "{label}: the checkpoint is not cosigned as required: {e}"
        ))
    })?;
    eprintln!("{label}: {}", held.text());
    Ok(())
}

/// A valid chain whose derived tables do not match it: the store is
/// damaged (exit 1), and which table and row say where.
fn derived_damage(ctx: &Context, source: &str, d: &DerivedReport) -> CmdResult {
    let first = &d.mismatches[0];
    if ctx.json {
        let rows: Vec<_> = d
            .mismatches
            .iter()
            .map(|m| json!({"table": m.table.name(), "key": m.key, "detail": m.to_string()}))
            .collect();
        print_json(&json!({
            "valid": false, "source": source, "rule": "derived", "table": first.table.name(),
            "key": first.key, "detail": first.to_string(), "mismatches": d.count, "first": rows,
        }));
    } else {
        println!("INVALID  {}", crate::escape::terminal(source));
        println!("the chain verifies, but a table derived from it does not match it:");
        for m in &d.mismatches {
            println!("  {m}");
        }
        if d.count > d.mismatches.len() as u64 {
            println!("  … {} mismatches in all", d.count);
        }
    }
    Err(refused(anyhow::anyhow!(
        "the store's derived tables do not match its chain ({} mismatches; first: {first}); the chain itself verifies: rebuild the store from it (`custody export`, then `custody restore` into a new directory), or `custody rebuild` if only statuses differ",
        d.count
    )))
}

/// What `verify --bundle` is asked beyond the bundle itself.
#[derive(Default)]
struct BundlePins<'a> {
    checkpoint_key: Option<&'a str>,
    inclusion_only: bool,
    min_size: Option<u64>,
    checkpoint: Option<&'a std::path::Path>,
    /// `--all-disclosed`: a withheld field fails.
    all_disclosed: bool,
    /// `--witness … --quorum K`: the bundle's tree must be cosigned.
    witnesses: Option<&'a WitnessPolicy>,
}

/// Which artefact the user asked to verify.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Artefact {
    Bundle,
    Export,
}

/// Verifies a file without a store: a person's evidence bundle (one JSON
/// document) or a whole-ledger export (JSON Lines), told apart by their
/// first line.
fn verify_file(
    ctx: &Context,
    path: &std::path::Path,
    asked: Artefact,
    authority: Option<&str>,
    pins: &BundlePins<'_>,
) -> CmdResult {
    use std::io::{BufRead, Read};
    let source = path.display().to_string();
    let open = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| env(anyhow::anyhow!("{source}: {e}")))
    };
    // An export's first line is a whole JSON object with the entry bytes; a
    // bundle is one (pretty-printed) document. Read no more than that line to
    // tell them apart: exports are streamed, whatever their size.
    let mut first_line = Vec::new();
    open()?
        .take(custody_verifier::export::MAX_EXPORT_LINE as u64)
        .read_until(b'\n', &mut first_line)
        .map_err(|e| env(anyhow::anyhow!("{source}: {e}")))?;
    let is_export = serde_json::from_slice::<serde_json::Value>(&first_line)
        .is_ok_and(|v| v.get("entry").is_some());
    // The user says which artefact this is, and it must be that one: a
    // one-line export handed over as "the bundle" must not come back VALID.
    match (asked, is_export) {
        (Artefact::Bundle, true) => {
            return Err(refused(anyhow::anyhow!(
                "{source} is a whole-ledger export, not a person's bundle; if a whole ledger is what you expect, verify it with `custody verify --export {source}`"
            )))
        }
        (Artefact::Export, false) => {
            return Err(refused(anyhow::anyhow!(
                "{source} is not a whole-ledger export (its first line is not an export line; a person's bundle is verified with `custody verify --bundle {source}`)"
            )))
        }
        _ => {}
    }
    let pinned = authority.map(|a| key_arg("--authority", a)).transpose()?;
    if is_export {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let progress = Progress::bytes(ctx, size, "verify");
        let policy = DisclosurePolicy {
            all_disclosed: pins.all_disclosed,
        };
        let verdict = verify_export_disclosures(
            std::io::BufReader::new(progress.reader(open()?)),
            default_threads(),
            policy,
        );
        progress.finish();
        return match verdict {
            Ok((s, _)) if pinned.is_some_and(|p| p != s.authority) => {
                Err(refused(anyhow::anyhow!(
                    "{source}: the ledger's authority is {}, not the pinned {}",
                    s.authority,
                    pinned.expect("pinned")
                )))
            }
            Ok((s, d)) => match pins.checkpoint {
                None => report_with(ctx, &source, Ok(s), None, Some(&d)),
                Some(cp_path) => {
                    let cp = read_checkpoint(cp_path)?;
                    let mut check = export_against_checkpoint(path, &s, &cp)?;
                    check.file = Some(cp_path.to_path_buf());
                    if check.verdict.is_err() {
                        return checkpoint_failed(ctx, &source, &check);
                    }
                    report_with(ctx, &source, Ok(s), Some(&check), Some(&d))
                }
            },
            Err(ExportError::Invalid { line, violation }) => {
                if !ctx.json {
                    println!("(at line {line} of {})", crate::escape::terminal(&source));
                }
                report(ctx, &source, Err(violation))
            }
            Err(ExportError::Malformed { line, problem }) => {
                Err(refused(anyhow::anyhow!("{source}: line {line}: {problem}")))
            }
            Err(ExportError::Io(e)) => Err(env(anyhow::anyhow!("{source}: {e}"))),
            Err(e) => Err(env(anyhow::anyhow!("{source}: {e}"))),
        };
    }
    verify_bundle_file(ctx, &source, open()?, pinned, pins)
}

/// `verify --bundle`: a person's bundle read from `file` (named `source`),
/// with what the user pinned and asked.
fn verify_bundle_file(
    ctx: &Context,
    source: &str,
    file: impl std::io::Read,
    pinned: Option<custody_format::event::PublicKeyBytes>,
    pins: &BundlePins<'_>,
) -> CmdResult {
    let pinned_signer = pins
        .checkpoint_key
        .map(|k| key_arg("--checkpoint-key", k))
        .transpose()?;
    let options = BundleOptions {
        authority: pinned,
        inclusion_only: pins.inclusion_only,
        min_size: pins.min_size,
        checkpoint: pins.checkpoint.map(read_checkpoint).transpose()?,
    };
    let policy = DisclosurePolicy {
        all_disclosed: pins.all_disclosed,
    };
    match verify_bundle_disclosures(file, &options, policy) {
        Ok(b) if pinned_signer.is_some_and(|k| k != b.checkpoint_signer) => {
            Err(refused(anyhow::anyhow!(
                "{source}: the bundle's checkpoint is signed by {}, not the pinned --checkpoint-key {}",
                b.checkpoint_signer,
                pinned_signer.expect("pinned")
            )))
        }
        Ok(b) => {
            let witnessed = match pins.witnesses {
                None => None,
                Some(policy) => {
                    match bundle_witnesses(source, &b.checkpoint, options.checkpoint.as_ref(), policy)
                    {
                        Ok(w) => Some(w),
                        Err(detail) => return bundle_not_witnessed(ctx, source, &detail),
                    }
                }
            };
            let pinned = Pinned {
                authority: pinned.is_some(),
                signer: pinned_signer.is_some(),
            };
            report_bundle(ctx, source, &b, &pinned, witnessed.as_ref());
            Ok(())
        }
        Err(BundleError::Invalid(v)) => bundle_violation(ctx, source, &v),
        Err(e) => {
            // A key pinned that is not the ledger's is no fault of the
            // file's form: said as what it is, with what to do.
            let (rule, advice) = match e {
                BundleError::WrongAuthority { .. } => (
                    "authority",
                    "; the --authority key is not this ledger's authority: check that the key and the bundle are of the same ledger (ask the authority for its public key by a channel other than the one the bundle came by), and do not rely on the bundle until they match",
                ),
                _ => ("format", ""),
            };
            if ctx.json {
                print_json(
                    &json!({"valid": false, "source": source, "kind": "bundle", "rule": rule, "detail": e.to_string()}),
                );
            } else {
                println!("INVALID  bundle {}", crate::escape::terminal(source));
                println!("rule:   {rule}");
                println!("detail: {}", crate::escape::terminal(&e.to_string()));
            }
            Err(refused(anyhow::anyhow!("verification failed: {e}{advice}")))
        }
    }
}

/// The cosignatures of the tree a bundle is proven against: the lines in
/// its own note, and those of the `--checkpoint` file when that note has
/// the same text (origin, size and root: what a cosignature signs), so a
/// bundle pinned to the cosigned note of its tree is witnessed too. A
/// file of another tree lends none: its witnesses vouch for that tree.
/// The error is the detail, in words.
fn bundle_witnesses(
    source: &str,
    note: &Checkpoint,
    file: Option<&Checkpoint>,
    policy: &WitnessPolicy,
) -> Result<Witnessed, String> {
    let mut cp = note.clone();
    let mut other_tree = None;
    match file {
        Some(f) if f.text == note.text => cp.signatures.extend(f.signatures.iter().cloned()),
        Some(f) => other_tree = Some(f.size),
        None => {}
    }
    Witnessed::check(&crate::escape::terminal(source), &cp, policy).map_err(|e| {
        let mut detail = format!(
            "the bundle's checkpoint of {} entries is not cosigned as required: {e}",
            cp.size
        );
        if let Some(size) = other_tree {
            detail.push_str(&format!(
                " (the --checkpoint file is of another tree, {size} entries: its cosignatures vouch for that tree, not the bundle's)"
            ));
        }
        detail
    })
}

/// A bundle that verifies but whose tree the witnesses required did not
/// cosign (or a cosignature by one of them is forged): exit 1.
fn bundle_not_witnessed(ctx: &Context, source: &str, detail: &str) -> CmdResult {
    let advice = "the bundle's tree is not shown to be the one the witnesses saw, so it may come from a split view of the ledger. Check the --witness keys you were given; ask the ledger's operator for a bundle proven against a checkpoint these witnesses cosigned (`custody checkpoint --witness URL=VKEY`, then `custody export --person P --cosigned`)";
    if ctx.json {
        print_json(&json!({
            "valid": false, "source": source, "kind": "bundle", "rule": "cosignature",
            "detail": detail, "advice": advice,
        }));
    } else {
        println!("INVALID  bundle {}", crate::escape::terminal(source));
        println!("rule:   cosignature");
        println!("detail: {}", crate::escape::terminal(detail));
        println!("what to do: {advice}");
    }
    Err(refused(crate::exit::with_advice(
        format!("bundle verification failed: {detail}"),
        Some(advice),
    )))
}

/// A bundle that breaks a rule: which entry, which rule, what exactly and
/// what to do (exit 1).
fn bundle_violation(ctx: &Context, source: &str, v: &Violation) -> CmdResult {
    let detail = v.detail();
    let advice = crate::exit::bundle_advice(v.rule);
    // Two trees that disagree are found at a tree size, not at an entry:
    // which entry differs cannot be told from two roots.
    let at = if v.rule == Rule::Inconsistent {
        format!("the checkpoint of {} entries", v.seq)
    } else {
        format!("seq {}", v.seq)
    };
    if ctx.json {
        let (seq, tree_size) = if v.rule == Rule::Inconsistent {
            (None, Some(v.seq))
        } else {
            (Some(v.seq), None)
        };
        print_json(&json!({
            "valid": false, "source": source, "kind": "bundle", "seq": seq, "tree_size": tree_size,
            "rule": v.rule.name(), "detail": detail, "advice": advice,
        }));
    } else {
        println!("INVALID  bundle {}", crate::escape::terminal(source));
        println!("at:     {at}");
        println!("rule:   {}", v.rule);
        println!("detail: {}", crate::escape::terminal(&detail));
        if let Some(a) = advice {
            println!("what to do: {a}");
        }
    }
    Err(refused(crate::exit::with_advice(
        format!(
            "bundle verification failed at {at} ({}): {}",
            v.rule, detail
        ),
        advice,
    )))
}

/// Evidence or a correction: neither governance nor a seal or checkpoint.
fn is_evidence_item(e: &Event) -> bool {
    !e.is_governance() && !matches!(e, Event::Seal(_) | Event::Checkpoint(_))
}

/// Which of a bundle's keys the user pinned (`--authority`,
/// `--checkpoint-key`).
struct Pinned {
    authority: bool,
    signer: bool,
}

/// The signature lines of a note by keys other than the log's (its
/// origin's name): witnesses' cosignatures, checked only with --witness.
fn other_signatures(cp: &Checkpoint) -> usize {
    cp.signatures.iter().filter(|s| s.name != cp.origin).count()
}

/// The role that let a key sign a checkpoint, as a bundle's report says it.
fn role_words(role: Option<Role>) -> &'static str {
    match role {
        Some(Role::Registrar) => "a registrar",
        _ => "an authority",
    }
}

/// Prints what a valid bundle proves; `witnessed`, what `--witness` found.
fn report_bundle(
    ctx: &Context,
    source: &str,
    b: &custody_verifier::bundle::VerifiedBundle,
    pinned: &Pinned,
    witnessed: Option<&Witnessed>,
) {
    let (authority_pinned, signer_pinned) = (pinned.authority, pinned.signer);
    // Signature lines by other keys: reported only when there are some, so
    // that a bundle without them reports exactly as it always did.
    let others = other_signatures(&b.checkpoint);
    let (verdict, about) = match b.completeness {
        Completeness::Complete { entries, .. } => ("COMPLETE", entries),
        Completeness::Absent => ("ABSENT", 0),
        Completeness::InclusionOnly => (
            "INCLUSION ONLY",
            b.entries
                .iter()
                .filter(|e| is_evidence_item(e.entry.event()))
                .count() as u64,
        ),
    };
    let head = match b.completeness {
        Completeness::Complete { head, .. } => Some(head),
        _ => None,
    };
    if ctx.json {
        let mut report = json!({
            "valid": true, "source": source, "kind": "bundle", "person": b.person,
            "verdict": verdict, "complete": !matches!(b.completeness, Completeness::InclusionOnly),
            "origin": b.origin, "entries": b.entries.len(), "person_entries": about,
            "evidence_entries": b.entries.iter().filter(|e| is_evidence_item(e.entry.event())).count(),
            "person_head": head, "governance_entries": b.governance,
            "checkpoint_size": b.checkpoint.size, "checkpoint_root": hex::encode(b.checkpoint.root),
            "checkpoint_signer": b.checkpoint_signer,
            "checkpoint_signer_holder": b.checkpoint_signer_granted.holder,
            "checkpoint_signer_role": b.checkpoint_signer_granted.role.map(|r| r.name()),
            "checkpoint_signer_granted_at": b.checkpoint_signer_granted.since,
            "checkpoint_signer_pinned": signer_pinned,
            "checkpoint_extensions": b.checkpoint.extensions,
            "authority": b.authority,
            "authority_pinned": authority_pinned,
            "anchors": b.anchors.iter().map(|a| json!({
                "size": a.checkpoint.size, "root": hex::encode(a.checkpoint.root),
                "signer": a.signer, "sealed": a.sealed,
            })).collect::<Vec<_>>(),
            "disclosures": (!b.disclosures.entries.is_empty()).then(|| disclosures_json(&b.disclosures)),
        });
        if let Some(w) = witnessed {
            report["witnesses"] = w.to_json();
        } else if others > 0 {
            report["unchecked_signatures"] = json!(others);
        }
        print_json(&report);
        return;
    }
    println!("{verdict}  bundle {}", crate::escape::terminal(source));
    match b.completeness {
        Completeness::Complete { entries, head } => println!(
            "person:     {}: all {entries} entries that concern them, the latest seq {}, and all {} governance entries, as of {} entries",
            b.person, head.seq, b.governance, b.checkpoint.size
        ),
        Completeness::Absent => println!(
            "person:     {}: no entry concerns them as of {} entries ({} governance entries, all of them)",
            b.person, b.checkpoint.size, b.governance
        ),
        Completeness::InclusionOnly => {
            println!(
                "person:     {} ({about} evidence entries, {} in all)",
                b.person,
                b.entries.len()
            );
            println!(
                "warning:    a custody-bundle/1 shows that these entries are in the ledger, not that none was left out"
            );
        }
    }
    println!("ledger:     {}", crate::escape::terminal(&b.origin));
    println!(
        "checkpoint: {} entries, root {}, signed by {} ({}, {} since seq {}){}",
        b.checkpoint.size,
        hex::encode(b.checkpoint.root),
        b.checkpoint_signer,
        crate::escape::terminal(&b.checkpoint_signer_granted.holder),
        role_words(b.checkpoint_signer_granted.role),
        b.checkpoint_signer_granted.since,
        if signer_pinned {
            " — matches --checkpoint-key"
        } else {
            ""
        }
    );
    for line in &b.checkpoint.extensions {
        println!(
            "checkpoint extension line (signed, not interpreted): {}",
            crate::escape::terminal(line)
        );
    }
    match witnessed {
        Some(w) => println!("witnesses:  {}", w.text()),
        None if others > 0 => println!(
            "witnesses:  {others} signature line(s) by other keys, not checked (to require witnesses' cosignatures: --witness VKEY … --quorum K)"
        ),
        None => {}
    }
    for a in &b.anchors {
        println!(
            "anchor:     the checkpoint of {} entries, root {}, signed by {}: this bundle's tree extends it{}",
            a.checkpoint.size,
            hex::encode(a.checkpoint.root),
            a.signer,
            if a.sealed {
                ", and its seal agrees with the streams shown"
            } else {
                " (a v1 checkpoint: consistency only)"
            }
        );
    }
    if !b.disclosures.entries.is_empty() {
        print_disclosures(&b.disclosures);
    }
    if authority_pinned {
        println!("authority:  {} (matches --authority)", b.authority);
    } else {
        println!(
            "authority:  {} — compare it with the authority key you were given, or pass --authority",
            b.authority
        );
    }
}

/// Reads at most `limit` bytes of a file (one more, to tell a larger file).
pub(crate) fn read_limited(path: &std::path::Path, limit: usize) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut out))
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", crate::escape::path(path))))?;
    Ok(out)
}

/// Verifies a dossier's detached signature (`--dossier`, `--signature`):
/// exit 0 if it holds, 1 if the dossier or the signature was altered (or
/// is by another key than --authority).
fn verify_dossier(
    ctx: &Context,
    dossier: &std::path::Path,
    signature: &std::path::Path,
    authority: Option<&str>,
) -> CmdResult {
    let source = crate::escape::terminal(&dossier.display().to_string());
    // A signature by a key nobody vouched for proves nothing: whoever
    // edited the dossier can sign it too. The key is required.
    let Some(authority) = authority else {
        return Err(env(anyhow::anyhow!(
            "--dossier needs --authority: the key of the ledger's authority that should have signed it (64 hex digits, or a public key file); a signature by an unknown key proves nothing"
        )));
    };
    let pinned = key_arg("--authority", authority)?;
    // The dossier is hashed as it is read, whatever its size; the
    // signature file is small (at most 4096 bytes).
    let digest = sha256_of_file(dossier)?;
    let sig = read_limited(signature, 4096)?;
    match crate::dossier::signature::verify(digest, &sig, pinned) {
        Ok(v) => {
            if ctx.json {
                print_json(&json!({
                    "valid": true, "source": dossier.display().to_string(), "kind": "dossier",
                    "dossier_sha256": v.dossier_sha256, "key": v.key,
                    "key_pinned": true,
                }));
            } else {
                println!("VALID  dossier {source}");
                println!("sha256:    {}", v.dossier_sha256);
                println!("signed by: {} (matches --authority)", v.key);
                println!(
                    "(the signature shows that this key signed these bytes; whether the key was still an authority of the ledger when it signed is for `custody key list` on the ledger, or the ledger's next bundle, to say)"
                );
            }
            Ok(())
        }
        Err(e) => {
            if ctx.json {
                print_json(&json!({
                    "valid": false, "source": dossier.display().to_string(), "kind": "dossier", "detail": e.to_string(),
                }));
            } else {
                println!("INVALID  dossier {source}");
                println!("detail: {}", crate::escape::terminal(&e.to_string()));
            }
            Err(refused(anyhow::anyhow!(
                "the dossier's signature does not hold: {}",
                crate::escape::terminal(&e.to_string())
            )))
        }
    }
}

/// The SHA-256 of a file, read as a stream.
fn sha256_of_file(path: &std::path::Path) -> Result<[u8; 32], Failure> {
    use sha2::Digest;
    let shown = || crate::escape::terminal(&path.display().to_string());
    let mut file =
        std::fs::File::open(path).map_err(|e| env(anyhow::anyhow!("{}: {e}", shown())))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)
            .map_err(|e| env(anyhow::anyhow!("{}: {e}", shown())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

/// Verifies a tlog-proof of one entry (`--proof`, `--entry`), trusting the
/// pinned authority key and the verifier keys given, and nothing else.
/// What `verify --proof` trusts: the log's keys, and the witnesses whose
/// cosignatures it requires.
struct ProofKeys<'a> {
    authority: Option<&'a str>,
    vkeys: &'a [String],
    witnesses: Option<&'a WitnessPolicy>,
}

fn verify_proof(
    ctx: &Context,
    proof_path: &std::path::Path,
    entry_path: &std::path::Path,
    keys: &ProofKeys<'_>,
) -> CmdResult {
    let source = proof_path.display().to_string();
    let mut trust = custody_verifier::proof::Trust::default();
    if let Some(hex) = keys.authority {
        let key = key_arg("--authority", hex)?;
        trust.authorities.push(key.0);
    }
    for v in keys.vkeys {
        trust
            .verifier_keys
            .push(VerifierKey::parse(v).map_err(|e| env(anyhow::anyhow!("--vkey {v:?}: {e}")))?);
    }
    if trust.is_empty() {
        return Err(env(anyhow::anyhow!(
            "--proof needs a key to trust: --authority HEX (the ledger's authority key) or \
             --vkey VKEY (its C2SP verifier key); a checkpoint's signature names only a key id"
        )));
    }
    let proof = read_limited(proof_path, custody_format::wire::proof::MAX_PROOF_BYTES)?;
    let entry = read_limited(entry_path, custody_format::codec::MAX_ENTRY_BYTES)?;
    match verify_tlog_proof(&proof, &entry, &trust) {
        Ok(v) => {
            if let Some(policy) = keys.witnesses {
                require_cosignatures(&crate::escape::path(proof_path), &v.checkpoint, policy)?;
            }
            let e = &v.entry;
            let cp = &v.checkpoint;
            let trusted = match v.trusted_by {
                TrustedBy::Authority => "matches --authority",
                TrustedBy::VerifierKey => "trusted by --vkey",
            };
            if ctx.json {
                print_json(&json!({
                    "valid": true, "source": source, "kind": "tlog-proof",
                    "origin": cp.origin, "index": v.proof.index(), "tree_size": cp.size,
                    "root": hex::encode(cp.root), "proof_hashes": v.proof.hashes().len(),
                    "entry_seq": e.seq(), "entry_hash": e.hash(), "entry_type": e.event().type_name(),
                    "entry_signer": e.body().signer, "leaf_hash": hex::encode(v.leaf_hash),
                    "checkpoint_signer": v.checkpoint_signer,
                    "checkpoint_signer_vkey": v.checkpoint_signer_vkey,
                    "trusted_by": match v.trusted_by {
                        TrustedBy::Authority => "authority",
                        TrustedBy::VerifierKey => "vkey",
                    },
                    "ignored_signatures": v.ignored_signatures,
                    "extra_bytes": v.proof.extra().map(<[u8]>::len),
                }));
            } else {
                println!("VALID  tlog-proof {}", crate::escape::terminal(&source));
                println!(
                    "entry:      seq {} ({}), hash {}, signed by {}",
                    e.seq(),
                    e.event().type_name(),
                    e.hash(),
                    e.body().signer
                );
                println!("ledger:     {}", crate::escape::terminal(&cp.origin));
                println!(
                    "included:   leaf {} of the checkpoint's {} entries, root {} ({} proof hashes)",
                    v.proof.index(),
                    cp.size,
                    hex::encode(cp.root),
                    v.proof.hashes().len()
                );
                println!("checkpoint: signed by {} ({trusted})", v.checkpoint_signer);
                println!("vkey:       {}", v.checkpoint_signer_vkey);
                if v.ignored_signatures > 0 {
                    println!(
                        "ignored:    {} signature line(s) by other keys (cosignatures are not checked: no witnesses are configured)",
                        v.ignored_signatures
                    );
                }
                if let Some(extra) = v.proof.extra() {
                    println!(
                        "ignored:    {} bytes of extra data (not authenticated, not used)",
                        extra.len()
                    );
                }
                println!(
                    "(one entry does not show its signer's role; `custody verify` of the ledger, or a person's bundle, does)"
                );
            }
            Ok(())
        }
        Err(e) => {
            if ctx.json {
                print_json(
                    &json!({"valid": false, "source": source, "kind": "tlog-proof", "detail": e.to_string()}),
                );
            } else {
                println!("INVALID  tlog-proof {}", crate::escape::terminal(&source));
                println!("detail: {e}");
            }
            Err(refused(anyhow::anyhow!("verification failed: {e}")))
        }
    }
}

/// What `--checkpoint` found: the checkpoint's size and root beside the
/// ledger's, and either its signer (consistent) or why not.
struct CheckpointCheck {
    size: u64,
    root: [u8; 32],
    ledger_size: u64,
    ledger_root: [u8; 32],
    /// How consistency was shown: the hashes of a consistency proof (a
    /// store), or `None` when the root of the first `size` entries was
    /// recomputed from their bytes (an export).
    proof_hashes: Option<usize>,
    verdict: Result<[u8; 32], Cause>,
    /// The checkpoint file, to name it when the note itself is at fault.
    file: Option<PathBuf>,
}

impl CheckpointCheck {
    /// A short name of the finding, for scripts.
    fn finding(&self) -> &'static str {
        match &self.verdict {
            Ok(_) => "consistent",
            Err(Cause::Equivocation { .. }) => "equivocation",
            Err(Cause::NotExtended(n)) => match n {
                NotExtended::OtherLedger { .. } => "other_ledger",
                NotExtended::Signature(_) => "signature",
                NotExtended::NotSignerAtSize { .. } => "not_signer_at_size",
                NotExtended::Truncated { .. } => "truncated",
                _ => "forked",
            },
            Err(_) => "inconsistent",
        }
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "consistent": self.verdict.is_ok(), "finding": self.finding(),
            "size": self.size, "root": hex::encode(self.root),
            "ledger_size": self.ledger_size, "ledger_root": hex::encode(self.ledger_root),
            "signer": self.verdict.as_ref().ok().map(hex::encode),
            "consistency_proof_hashes": self.proof_hashes,
            "detail": self.verdict.as_ref().err().map(ToString::to_string),
        })
    }

    /// One line for a consistent checkpoint.
    fn text(&self) -> String {
        let how = match self.proof_hashes {
            Some(n) => format!("consistency proof of {n} hashes"),
            None => format!(
                "the root of its first {} entries, recomputed from their bytes, is the checkpoint's",
                self.size
            ),
        };
        match &self.verdict {
            Ok(signer) => format!(
                "consistent with the checkpoint of {} entries (root {}), signed by {}; {how}",
                self.size,
                hex::encode(self.root),
                hex::encode(signer)
            ),
            // The note itself is at fault, not the ledger: say so.
            Err(c @ Cause::NotExtended(NotExtended::Signature(_))) => format!(
                "the checkpoint file does not hold: {c} (it claims {} entries, root {}); it was altered after it was signed, or signed by another key, so the ledger was not compared with it",
                self.size,
                hex::encode(self.root)
            ),
            Err(c) => format!(
                "not consistent with the checkpoint of {} entries (root {}): {c}",
                self.size,
                hex::encode(self.root)
            ),
        }
    }
}

/// A chain that verifies but does not extend the checkpoint given: says
/// so, with both sizes and roots, and never names an entry as "where it
/// forked": a checkpoint carries only a size and a root, so the first
/// entry where two histories differ cannot be told from it (exit 1).
fn checkpoint_failed(ctx: &Context, source: &str, check: &CheckpointCheck) -> CmdResult {
    let detail = check.text();
    let forked = matches!(
        check.verdict,
        Err(Cause::NotExtended(NotExtended::Forked { .. }) | Cause::Equivocation { .. })
    );
    // A note whose signature fails is the file's fault: name the file.
    let source = match check.verdict {
        Err(Cause::NotExtended(NotExtended::Signature(_))) => check
            .file
            .as_deref()
            .map_or(source.to_string(), crate::escape::path),
        _ => source.to_string(),
    };
    let source = source.as_str();
    let advice = if forked {
        Some("the chain itself verifies, but it is not the history the checkpoint's signer saw: the ledger was rewritten, forked or rolled back and regrown, or the checkpoint is of another ledger of the same name. Keep the checkpoint and the ledger as evidence; a checkpoint carries only a size and a root, so to find the first entry where the two histories differ, compare this ledger's export with the other's (`custody export`)")
    } else {
        None
    };
    if ctx.json {
        print_json(&json!({
            "valid": false, "source": source, "rule": Rule::Checkpoint.name(),
            "detail": detail, "checkpoint": check.to_json(), "advice": advice,
        }));
    } else {
        println!("INVALID  {}", crate::escape::terminal(source));
        println!("checkpoint: {detail}");
        println!(
            "ledger:     {} entries, root {}",
            check.ledger_size,
            hex::encode(check.ledger_root)
        );
        if let Some(a) = advice {
            println!("what to do: {a}");
        }
    }
    Err(refused(crate::exit::with_advice(
        format!("{source}: {detail}"),
        advice,
    )))
}

/// Checks a verified ledger against an earlier checkpoint: the store's
/// consistency proof is checked with the verifier's RFC 9162 algorithm
/// against the root the verifier computed from the entries' bytes.
fn against_checkpoint(
    ledger: &Ledger,
    summary: &Summary,
    cp: &Checkpoint,
) -> Result<CheckpointCheck, Failure> {
    // The consistency proof comes from the store, but it is checked against
    // the root the verifier computed from the bytes: if it holds, the
    // checkpoint's tree is a prefix of the verified ledger, whatever the
    // store did.
    let mut proof_len = 0;
    let verdict = check_extends(cp, summary.facts(), || {
        let proof = ledger.consistency_proof(cp.size, summary.length)?;
        proof_len = proof.len();
        Ok::<_, Failure>(
            verify_consistency(
                cp.size,
                summary.length,
                &cp.root,
                &summary.merkle_root,
                &proof,
            )
            .is_ok(),
        )
    })?;
    let verdict = match verdict {
        Ok(signer) => Ok(signer),
        Err(NotExtended::Forked { size, root }) => {
            // Only now is the store asked more, to name what happened.
            let mut same_size_in_chain = None;
            for seq in ledger.checkpoint_seqs()? {
                if let Some(e) = ledger.entry(seq)? {
                    if matches!(e.event(), Event::Checkpoint(c) if c.tree_size == size) {
                        same_size_in_chain = Some(seq);
                    }
                }
            }
            Err(match same_size_in_chain {
                Some(seq) => Cause::Equivocation { size, seq },
                None => Cause::NotExtended(NotExtended::Forked { size, root }),
            })
        }
        Err(other) => Err(Cause::NotExtended(other)),
    };
    Ok(CheckpointCheck {
        file: None,
        size: cp.size,
        root: cp.root,
        ledger_size: summary.length,
        ledger_root: summary.merkle_root,
        proof_hashes: Some(proof_len),
        verdict,
    })
}

/// Checks a verified export against a checkpoint: the root of its first
/// `cp.size` entries is recomputed from their bytes in a second pass over
/// the file, which must give back the whole tree the verifying pass saw
/// (the same size and root), so a file changed between the two passes is
/// refused rather than checked as another ledger.
fn export_against_checkpoint(
    path: &std::path::Path,
    summary: &Summary,
    cp: &Checkpoint,
) -> Result<CheckpointCheck, Failure> {
    use custody_verifier::export::ExportReader;
    use custody_verifier::merkle::{leaf_hash, StreamingRoot};
    let source = path.display().to_string();
    let verdict = check_extends(cp, summary.facts(), || {
        let file = std::fs::File::open(path).map_err(|e| env(anyhow::anyhow!("{source}: {e}")))?;
        let mut tree = StreamingRoot::new();
        let mut prefix = (cp.size == 0).then(|| tree.root());
        for item in ExportReader::new(std::io::BufReader::new(file)) {
            let (_, record) = item.map_err(|e| env(anyhow::anyhow!("{source}: {e}")))?;
            tree.push(leaf_hash(&record.entry.0));
            if tree.size() == cp.size {
                prefix = Some(tree.root());
            }
        }
        if tree.size() != summary.length || tree.root() != summary.merkle_root {
            return Err(env(anyhow::anyhow!(
                "{source} changed while it was verified (its second reading is another tree); verify it again when nothing writes to it"
            )));
        }
        Ok(prefix == Some(cp.root))
    })?;
    Ok(CheckpointCheck {
        file: None,
        size: cp.size,
        root: cp.root,
        ledger_size: summary.length,
        ledger_root: summary.merkle_root,
        proof_hashes: None,
        verdict: verdict.map_err(Cause::NotExtended),
    })
}
