//! `custody dossier`: the court-ready chain-of-custody report of one person,
//! from the store (`custody dossier PERSON`) or from their evidence bundle
//! alone (`custody dossier --bundle FILE`, no store), verified first as
//! `custody verify --bundle` verifies it. The model and its renderings are
//! in `crate::dossier`; this is only the command line around them.
//!
//! A `custody-bundle/1` is refused: it proves that its entries are in the
//! ledger, not that none was left out, and a dossier says what the ledger
//! holds about a person. A banner would be read past; a refusal is not.

use crate::dossier::{self, AuthorityCheck, Cut, Dossier, Provenance};
use crate::exit::{env, refused, CmdResult, Failure};
use crate::i18n::Lang;
use crate::output::Context;
use clap::{Args, ValueEnum};
use custody_format::event::PersonId;
use custody_format::rules::Rule;
use custody_format::time::Timestamp;
use custody_verifier::bundle::{
    verify_bundle, BundleError, BundleOptions, VerifiedBundle, MAX_BUNDLE_BYTES,
};
use std::path::{Path, PathBuf};

/// The renderings.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DossierFormat {
    /// Markdown.
    Md,
    /// One self-contained, print-ready HTML file (no network access).
    Html,
    /// JSON (`custody-dossier/1`), every fact machine-readable.
    Json,
}

/// `custody dossier`.
#[derive(Args)]
pub(crate) struct DossierArgs {
    /// The person (from the store at --store; with --bundle, optional, and
    /// then it must be the bundle's person).
    #[arg(required_unless_present = "bundle")]
    person: Option<String>,
    /// Build the dossier from this evidence bundle (`custody export
    /// --person`) alone, without a store. It is verified first, as
    /// `custody verify --bundle` does, and must be COMPLETE or ABSENT (a
    /// custody-bundle/1, inclusion only, is refused).
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// With --bundle: the authority key the bundle's genesis must name (64
    /// hex digits, or a public key file). Without it, the dossier shows the
    /// authority key prominently, for you to compare with the one the
    /// ledger's authority gave you.
    #[arg(long, value_name = "HEX|PEM", requires = "bundle")]
    authority: Option<String>,
    /// The rendering: md (Markdown), html (one print-ready file, with a
    /// timeline) or json. Default md (json with --json).
    #[arg(long, value_enum)]
    format: Option<DossierFormat>,
    /// Write the dossier to FILE (never over an existing file) instead of
    /// printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The state of the world at T (YYYY, YYYY-MM, YYYY-MM-DD — the end of
    /// that period — or an RFC 3339 instant): the status, the clock and the
    /// items as they stood then (see `custody status --as-of`).
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    as_of: Option<Timestamp>,
    /// What the ledger had recorded by T: later entries and corrections
    /// left out (see `custody status --known-at`).
    #[arg(long, value_name = "T", value_parser = parse_cutoff)]
    known_at: Option<Timestamp>,
    /// With --out: also write FILE.sig, a detached signature of the dossier
    /// (custody-dossier-signature/1, docs/FORMAT.md §13) by this private
    /// key, which must hold the authority role in the bundle's governance.
    /// Check it with `custody verify --dossier FILE --signature FILE.sig`.
    #[arg(long, value_name = "KEY.pem", requires = "out")]
    sign_key: Option<PathBuf>,
    /// Replace FILE (and FILE.sig) if they exist.
    #[arg(long, requires = "out")]
    force: bool,
    /// The language of the dossier's words: en (English) or uk
    /// (Ukrainian). Evidence, ids, hashes, ISO dates and JSON keys and enum
    /// values are never translated.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
}

/// The cut parser `status` and `history` use: a cut in the future is
/// refused, not silently read as now.
fn parse_cutoff(s: &str) -> Result<Timestamp, String> {
    crate::cmd::status::parse_cutoff(s)
}

/// Reads at most a bundle's limit of a file.
fn read_bundle_file(path: &Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_BUNDLE_BYTES as u64 + 1).read_to_end(&mut out))
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?;
    Ok(out)
}

/// A bundle that does not verify: no dossier (exit 1), and why.
fn not_verified(source: &str, e: BundleError) -> Failure {
    match e {
        BundleError::Invalid(v) if v.rule == Rule::NoCommitment => refused(anyhow::anyhow!(
            "{source} is a custody-bundle/1: it proves its entries are in the ledger, not that none was left out, so no dossier is made from it; ask for a custody-bundle/2 (`custody checkpoint`, then `custody export --person`)"
        )),
        BundleError::Invalid(v) => refused(crate::exit::with_advice(
            format!(
                "{source} does not verify, so no dossier is made: seq {} ({}): {}",
                v.seq,
                v.rule,
                v.detail()
            ),
            crate::exit::bundle_advice(v.rule),
        )),
        other => refused(anyhow::anyhow!(
            "{source} does not verify, so no dossier is made: {other}"
        )),
    }
}

/// The verified bundle, its bytes, and where it came from.
fn load(
    ctx: &Context,
    args: &DossierArgs,
) -> Result<(VerifiedBundle, Vec<u8>, Provenance), Failure> {
    if let Some(path) = &args.bundle {
        let source = path.display().to_string();
        let bytes = read_bundle_file(path)?;
        let pinned = args
            .authority
            .as_deref()
            .map(|a| crate::pubkey::public_key_arg("--authority", a))
            .transpose()?;
        let options = BundleOptions {
            authority: pinned,
            ..BundleOptions::default()
        };
        let b = verify_bundle(&bytes, &options).map_err(|e| not_verified(&source, e))?;
        if let Some(p) = &args.person {
            let want = person_arg(p)?;
            if want != b.person {
                return Err(refused(anyhow::anyhow!(
                    "{source} is the bundle of {}, not of {want}",
                    b.person
                )));
            }
        }
        let authority = if pinned.is_some() {
            AuthorityCheck::Pinned
        } else {
            AuthorityCheck::NotPinned
        };
        return Ok((b, bytes, Provenance { source, authority }));
    }
    let person = person_arg(args.person.as_deref().unwrap_or_default())?;
    let ledger = ctx.open_read_only()?;
    // The store's directory; the dossier says "built from the store at …"
    // in its own language.
    let source = ledger.dir().display().to_string();
    from_store(&ledger, &person, source)
}

/// A person's bundle built from the store (the bytes `custody export
/// --person` writes, so the SHA-256 the dossier states is that of the
/// exported file), verified as anyone without the store would verify it,
/// and refused if the store holds entries about the person after its
/// checkpoint. `source` names where it came from (the store's directory, or
/// for a server its name); the dossier puts it in words.
/// `custody serve` builds its dossiers through this too.
pub(crate) fn from_store(
    ledger: &custody_ledger::store::Ledger,
    person: &PersonId,
    source: String,
) -> Result<(VerifiedBundle, Vec<u8>, Provenance), Failure> {
    let bundle = ledger.person_bundle(person, None, &[])?;
    from_store_bundle(ledger, person, &bundle, source)
}

/// [`from_store`] over a bundle already built from the store (`custody
/// serve` builds it with the disclosures its reader's profile keeps).
pub(crate) fn from_store_bundle(
    ledger: &custody_ledger::store::Ledger,
    person: &PersonId,
    bundle: &custody_format::wire::bundle::BundleV2,
    source: String,
) -> Result<(VerifiedBundle, Vec<u8>, Provenance), Failure> {
    let bytes = crate::cmd::export::bundle_text(bundle).into_bytes();
    // The dossier rests on what the bundle proves, checked as anyone
    // without the store would check it: complete, or the person absent.
    let options = BundleOptions {
        authority: ledger.registry().genesis_authority(),
        ..BundleOptions::default()
    };
    let b = verify_bundle(&bytes, &options).map_err(|e| {
        not_verified(&format!("the bundle of {person}"), e)
            .context("run `custody verify` on the store")
    })?;
    refuse_entries_after_checkpoint(ledger, person, b.checkpoint.size)?;
    Ok((
        b,
        bytes,
        Provenance {
            source,
            authority: AuthorityCheck::Store,
        },
    ))
}

/// A dossier from the store shows what its latest checkpoint proves; if the
/// store holds entries about the person recorded after it, the dossier
/// would silently leave them out (a release, a retraction) while calling
/// itself complete. It is refused instead, with what to do.
pub(crate) fn refuse_entries_after_checkpoint(
    ledger: &custody_ledger::store::Ledger,
    person: &PersonId,
    size: u64,
) -> Result<(), Failure> {
    let later: Vec<u64> = ledger
        .person_seqs(person)?
        .into_iter()
        .filter(|seq| *seq >= size)
        .collect();
    if let (Some(first), Some(last)) = (later.first(), later.last()) {
        return Err(refused(crate::exit::with_advice(
            format!(
                "{} entries about {person} were recorded after the latest checkpoint (seq {first}..{last}; the checkpoint covers seqs 0..{}): a dossier shows only what a signed checkpoint proves, so it would leave them out",
                later.len(),
                size - 1
            ),
            Some("issue a checkpoint first (`custody checkpoint --key AUTHORITY.pem`), then make the dossier"),
        )));
    }
    Ok(())
}

/// A bundle knows the governance up to its checkpoint; a key revoked since
/// (a stolen laptop) still holds the role there. When the ledger itself is
/// at hand (`--store` or `CUSTODY_STORE`) and is the bundle's, its current
/// registry has the last word.
fn revoked_since_the_bundle(
    ctx: &Context,
    b: &VerifiedBundle,
    key: &custody_format::event::PublicKeyBytes,
) -> Result<(), Failure> {
    if ctx.store.is_none() {
        return Ok(());
    }
    let ledger = ctx.open_read_only()?;
    let registry = ledger.registry();
    if registry.genesis_authority() != Some(b.authority) {
        return Ok(()); // another ledger: it knows nothing of this key
    }
    match registry.get(key) {
        Some(rec) if rec.may(custody_format::event::Role::Authority) => Ok(()),
        Some(rec) => Err(refused(anyhow::anyhow!(
            "--sign-key: {key} no longer holds the authority role in the ledger at {}{}: it may not sign a dossier",
            crate::escape::terminal(&ledger.dir().display().to_string()),
            rec.revoked
                .as_ref()
                .map(|(seq, why)| format!(" (revoked at seq {seq}: {})", crate::escape::terminal(why)))
                .unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

fn person_arg(s: &str) -> Result<PersonId, Failure> {
    PersonId::new(s).map_err(|m| refused(anyhow::anyhow!("{m}")))
}

/// The dossier in `format`.
pub(crate) fn render(d: &Dossier, format: DossierFormat) -> String {
    match format {
        DossierFormat::Md => dossier::markdown::render(d),
        DossierFormat::Html => dossier::html::render(d),
        DossierFormat::Json => dossier::json::render(d),
    }
}

/// Runs `dossier`.
pub(crate) fn run(ctx: &Context, args: DossierArgs) -> CmdResult {
    // Refuse the output files before any work.
    let sig_path = args.out.as_ref().map(|o| {
        let mut s = o.clone().into_os_string();
        s.push(".sig");
        PathBuf::from(s)
    });
    if let Some(out) = &args.out {
        crate::outfile::check(out, args.force)?;
    }
    let signing = match (&args.sign_key, &sig_path) {
        (Some(key), Some(sig)) => {
            crate::outfile::check(sig, args.force)?;
            Some(crate::cmd::key::signing_key(key)?)
        }
        _ => None,
    };
    let (b, bytes, provenance) = load(ctx, &args)?;
    if let Some(key) = &signing {
        let public = custody_ledger::keyfile::public_key_of(key);
        if !dossier::holds_authority(&b, &public) {
            return Err(refused(anyhow::anyhow!(
                "--sign-key: {public} does not hold the authority role in the governance of {}'s bundle (ledger {}); a dossier is signed by an authority of the ledger, so that its signature means the ledger vouches for it",
                b.person,
                crate::escape::terminal(&b.origin)
            )));
        }
        revoked_since_the_bundle(ctx, &b, &public)?;
    }
    let cut = Cut {
        as_of: args.as_of,
        known_at: args.known_at,
    };
    let mut d = Dossier::build(&b, &bytes, &provenance, cut, custody_ledger::clock::now());
    d.localize(args.lang);
    let format = args.format.unwrap_or(if ctx.json {
        DossierFormat::Json
    } else {
        DossierFormat::Md
    });
    let text = render(&d, format);
    let Some(out) = &args.out else {
        print!("{text}");
        return Ok(());
    };
    crate::outfile::write(out, args.force, text.as_bytes())?;
    eprintln!(
        "wrote the dossier of {} ({}, {} items) to {}",
        d.person,
        d.verdict,
        d.items.len(),
        out.display()
    );
    if let (Some(key), Some(sig)) = (&signing, &sig_path) {
        let sig_text = dossier::signature::sign(text.as_bytes(), key);
        crate::outfile::write(sig, args.force, sig_text.as_bytes())?;
        eprintln!(
            "wrote its signature by {} to {}; check it with `custody verify --dossier {} --signature {}`",
            custody_ledger::keyfile::public_key_of(key),
            sig.display(),
            out.display(),
            sig.display()
        );
    }
    Ok(())
}
