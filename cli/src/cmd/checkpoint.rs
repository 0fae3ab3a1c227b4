//! `custody checkpoint` and `custody prove`: signed tree heads and inclusion
//! proofs, in the public formats of transparency logs (C2SP tlog-checkpoint,
//! RFC 9162 proofs, C2SP tlog-proof).

use crate::cmd::key::signing_key;
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::note::verifier_key;
use custody_format::wire::proof::TlogProof;
use custody_ledger::store::Ledger;
use custody_verifier::checkpoint::{self as note, Checkpoint};
use custody_verifier::merkle::{leaf_hash, verify_inclusion};
use custody_verifier::proof::{verify_tlog_proof, Trust};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `custody checkpoint`.
#[derive(Args)]
pub(crate) struct CheckpointArgs {
    /// A private key holding the `authority` role; it signs the checkpoint.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Also write the signed note to this new file (checked before the
    /// checkpoint is recorded).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace --out if it exists (never a file inside a store).
    #[arg(long, requires = "out")]
    force: bool,
    /// Ask a C2SP tlog-witness to cosign the checkpoint: its URL prefix
    /// (https://… or http://…, no `=` in it), `=`, and its verifier key (`custody witness
    /// key`). Repeatable. The note printed and written carries the
    /// cosignatures that verified (and is kept in the store, as
    /// cosigned-checkpoint.note, for `custody serve`'s ledger page); a
    /// witness that is down or refuses is named in a warning, and the
    /// checkpoint is recorded all the same.
    #[arg(long, value_name = "URL=VKEY")]
    witness: Vec<String>,
}

/// `custody prove`.
#[derive(Args)]
pub(crate) struct ProveArgs {
    /// The entry to prove.
    #[arg(long)]
    seq: u64,
    /// Prove against this signed checkpoint (its tree size and root) instead
    /// of the ledger's current tree (JSON) or its latest recorded checkpoint
    /// (tlog-proof). A tlog-proof carries the file's note verbatim,
    /// cosignatures included.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// `json`: the audit path, leaf hash and root as JSON (against the
    /// current tree unless --checkpoint). `tlog-proof`: a C2SP tlog-proof
    /// (c2sp.org/tlog-proof) against a signed checkpoint, for
    /// `custody verify --proof` and other transparency-log tools; it covers
    /// the entry's stored bytes, which travel beside it (--entry-out).
    #[arg(long, value_enum, default_value_t = ProofFormat::Json)]
    format: ProofFormat,
    /// Write the proof to this new file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace --out and --entry-out if they exist (never inside a store).
    #[arg(long)]
    force: bool,
    /// Also write the entry's stored bytes — the leaf the proof covers, and
    /// what `custody verify --proof … --entry FILE` checks — to this file.
    #[arg(long, value_name = "FILE")]
    entry_out: Option<PathBuf>,
}

/// What `custody prove` writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ProofFormat {
    /// JSON: the RFC 9162 audit path with the leaf hash and root.
    Json,
    /// A C2SP tlog-proof, against a signed checkpoint.
    TlogProof,
}

/// Runs `checkpoint`.
///
/// Standard output carries the signed note and nothing else, byte for byte
/// as `--out` writes it (`custody checkpoint > cp.txt` is a valid
/// checkpoint file); what it is, where it was written and how to use it go
/// to standard error. With `--json`, one object: the note, its size, root
/// and the entry that records it.
pub(crate) fn run(ctx: &Context, args: CheckpointArgs) -> CmdResult {
    let mut ledger = ctx.open()?;
    let key = signing_key(&args.key)?;
    if let Some(path) = &args.out {
        crate::outfile::check(path, args.force)?;
    }
    let witnesses = args
        .witness
        .iter()
        .map(|w| crate::cmd::witness::parse_target(w))
        .collect::<Result<Vec<_>, _>>()?;
    let (appended, note) = ledger
        .checkpoint(&key)
        .map_err(|e| Failure::from(e).context("no checkpoint was recorded"))?;
    // Cosignatures are not signed by the ledger's key and are not in the
    // chain: they travel in the note (stdout, --out) only.
    let (note, cosigned) = if witnesses.is_empty() {
        (note, Vec::new())
    } else {
        crate::cmd::witness::collect_cosignatures(&ledger, &note, &witnesses)
    };
    if !cosigned.is_empty() {
        if let Err(e) = keep_cosigned(ledger.dir(), &note) {
            crate::exit::warn(&format!(
                "the cosigned note could not be kept in the store for `custody serve` to show ({e}); the note below has the cosignatures"
            ));
        }
    }
    if let Some(path) = &args.out {
        if let Err(e) = crate::outfile::write(path, args.force, note.as_bytes()) {
            // The checkpoint is recorded whatever happened to the file:
            // say so, and give the note.
            print!("{note}");
            return Err(e.context(format!(
                "the checkpoint was recorded as entry {} (the note is above), but writing {} failed",
                appended.seq,
                path.display()
            )));
        }
    }
    // The size and root as the note states them (the note is what counts).
    let (size, root) = match note::parse(&note) {
        Ok(cp) => (cp.size, cp.root),
        Err(e) => {
            return Err(env(anyhow::anyhow!(
                "the checkpoint was recorded as entry {}, but its note does not parse ({e}); run `custody verify`",
                appended.seq
            )))
        }
    };
    let public = custody_ledger::keyfile::public_key_of(&key);
    let vkey = verifier_key(ledger.name(), &public.0);
    if ctx.json {
        print_json(&json!({
            "note": note,
            "origin": ledger.name(),
            "tree_size": size,
            "root": hex::encode(root),
            "file": args.out,
            "verifier_key": vkey,
            "entry_seq": appended.seq,
            "entry_hash": appended.hash,
            "witnesses": witnesses.len(),
            "cosigned_by": cosigned,
        }));
    } else {
        print!("{note}");
        let file = args.out.as_deref().map(crate::escape::path);
        eprintln!(
            "the signed checkpoint (C2SP tlog-checkpoint) of {:?} above: {size} entries, root {}, recorded as entry {}{}",
            crate::escape::terminal(ledger.name()),
            hex::encode(root),
            appended.seq,
            match &file {
                Some(f) => format!(", written to {f}"),
                None => String::new(),
            }
        );
        eprintln!(
            "later, check that the ledger still extends it: `custody verify --checkpoint {}`",
            file.as_deref().unwrap_or("FILE")
        );
        eprintln!(
            "verifier key (C2SP, for `custody verify --proof --vkey` and other tools): {vkey}"
        );
        if !witnesses.is_empty() {
            eprintln!(
                "cosigned by {} of {} witnesses{}",
                cosigned.len(),
                witnesses.len(),
                if cosigned.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", crate::escape::terminal(&cosigned.join(", ")))
                }
            );
        }
    }
    Ok(())
}

/// The file in a store's directory that keeps the latest checkpoint's
/// note with the witnesses' cosignatures that verified when it was made
/// (`checkpoint --witness`). The chain holds the ledger's own signature
/// only: cosignatures are made after the entry is recorded, by keys that
/// are not the ledger's. `custody serve` shows them on its ledger page.
/// Replaced by the next cosigned checkpoint (it is the server's copy: the
/// note printed and `--out` are the operator's).
pub(crate) const COSIGNED_NOTE: &str = "cosigned-checkpoint.note";

/// Writes `note` to [`COSIGNED_NOTE`] in `dir`, whole or not at all (a
/// temporary file renamed over it).
fn keep_cosigned(dir: &Path, note: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(note.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(COSIGNED_NOTE)).map_err(|e| e.error)?;
    Ok(())
}

/// Reads and parses a checkpoint file; a malformed one is refused (exit 1).
pub(crate) fn read_checkpoint(path: &Path) -> Result<Checkpoint, Failure> {
    read_checkpoint_note(path).map(|(_, cp)| cp)
}

/// Reads a checkpoint file: its text and the checkpoint parsed from it.
///
/// Two damages a note suffers in transit are undone, with a warning naming
/// them: CRLF line endings (a Windows editor, an email) and blank lines
/// after the last signature line. Undoing them is safe: a C2SP note never
/// holds a carriage return nor ends with a blank line, so the text after
/// normalising is the only text the signer can have signed, and the
/// signature is still checked over it, byte for byte; anything else (a
/// lone carriage return, a changed line) is refused by the parser or the
/// signature.
pub(crate) fn read_checkpoint_note(path: &Path) -> Result<(String, Checkpoint), Failure> {
    use std::io::Read;
    let cap = custody_verifier::checkpoint::MAX_NOTE_BYTES as u64;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(cap + 1).read_to_end(&mut text))
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?;
    if text.len() as u64 > cap {
        return Err(refused(anyhow::anyhow!(
            "{}: over {cap} bytes, too large for a checkpoint note",
            path.display()
        )));
    }
    let text = String::from_utf8(text)
        .map_err(|_| refused(anyhow::anyhow!("{}: not UTF-8 text", path.display())))?;
    let (text, repairs) = normalise_note(text);
    for r in &repairs {
        crate::exit::warn(&format!("{}: {r}", path.display()));
    }
    let cp = note::parse(&text).map_err(|e| {
        let repaired = if repairs.is_empty() {
            String::new()
        } else {
            format!(" (after {})", repairs.join("; "))
        };
        refused(anyhow::anyhow!("{}: {e}{repaired}", path.display()))
    })?;
    Ok((text, cp))
}

/// Undoes CRLF line endings and blank lines after the end of a note (see
/// [`read_checkpoint_note`]); returns the text and what was undone, in
/// words.
fn normalise_note(mut text: String) -> (String, Vec<String>) {
    let mut repairs = Vec::new();
    if let Some(at) = text.find("\r\n") {
        let line = text[..at].matches('\n').count() + 1;
        let count = text.matches("\r\n").count();
        text = text.replace("\r\n", "\n");
        repairs.push(format!(
            "{count} line(s) end with CRLF (Windows line endings), the first at line {line}: read as LF line endings, as the note was signed (to fix the file: `dos2unix FILE`, or save it with LF line endings)"
        ));
    }
    let mut blank = 0;
    while text.ends_with("\n\n") {
        text.pop();
        blank += 1;
    }
    if blank > 0 {
        repairs.push(format!(
            "{blank} blank line(s) after the last signature line ignored (a note ends with its last signature line)"
        ));
    }
    (text, repairs)
}

/// Checks a checkpoint belongs to this ledger and is signed by a key that
/// held a role that may sign checkpoints (`authority`, or a server's
/// `registrar`) at the checkpoint's size: granted within its entries, not
/// revoked within them (as `verify --checkpoint` counts it).
pub(crate) fn check_checkpoint_signature(
    ledger: &Ledger,
    cp: &Checkpoint,
) -> Result<[u8; 32], Failure> {
    if cp.origin != ledger.name() {
        return Err(refused(anyhow::anyhow!(
            "the checkpoint is for the ledger {:?}, not {:?}",
            cp.origin,
            ledger.name()
        )));
    }
    use custody_verifier::report::SignerPeriod;
    let keys = SignerPeriod::keys_at(&SignerPeriod::of_registry(ledger.registry()), cp.size);
    cp.verify_by(&keys).map_err(refused)
}

/// Runs `prove`.
pub(crate) fn prove(ctx: &Context, args: ProveArgs) -> CmdResult {
    if args.format == ProofFormat::TlogProof && ctx.json {
        return Err(env(anyhow::anyhow!(
            "--json and --format tlog-proof ask for two formats: choose one"
        )));
    }
    let ledger = ctx.open_read_only()?;
    // The signed checkpoint given, its note verbatim and its signer.
    let given = match &args.checkpoint {
        None => None,
        Some(path) => {
            let (text, cp) = read_checkpoint_note(path)?;
            let signer = check_checkpoint_signature(&ledger, &cp)?;
            if cp.size > ledger.len() {
                return Err(refused(anyhow::anyhow!(
                    "the checkpoint vouches for {} entries but this ledger has only {}: it was truncated or rolled back",
                    cp.size,
                    ledger.len()
                )));
            }
            if ledger.merkle_root(cp.size)? != cp.root {
                return Err(refused(anyhow::anyhow!(
                    "this ledger's first {} entries do not have the checkpoint's root: its history was rewritten or forked",
                    cp.size
                )));
            }
            Some((text, cp, signer))
        }
    };
    let (size, root, note) = match (given, args.format) {
        (Some((_, cp, _)), ProofFormat::Json) => (cp.size, cp.root, None),
        (Some((text, cp, signer)), ProofFormat::TlogProof) => {
            (cp.size, cp.root, Some((text, signer)))
        }
        (None, ProofFormat::Json) => {
            let size = ledger.len();
            (size, ledger.merkle_root(size)?, None)
        }
        (None, ProofFormat::TlogProof) => {
            let (size, root, text, signer) = latest_checkpoint(&ledger, args.seq)?;
            (size, root, Some((text, signer)))
        }
    };
    if args.seq >= size {
        return Err(refused(anyhow::anyhow!(
            "entry {} is not in a tree of {size} entries",
            args.seq
        )));
    }
    let bytes = ledger
        .entry_bytes(args.seq)?
        .ok_or_else(|| refused(anyhow::anyhow!("no entry {}", args.seq)))?;
    let leaf = leaf_hash(&bytes);
    let path = ledger.inclusion_proof(args.seq, size)?;
    // Never print a proof that does not verify.
    verify_inclusion(&leaf, args.seq, size, &path, &root).map_err(|e| {
        env(anyhow::anyhow!(
            "the store produced a bad proof ({e}); run `custody verify`"
        ))
    })?;
    let output = match note {
        None => {
            json!({
                "leaf_index": args.seq,
                "tree_size": size,
                "leaf_hash": hex::encode(leaf),
                "entry_hash": custody_format::entry::entry_hash(&bytes),
                "audit_path": path.iter().map(hex::encode).collect::<Vec<_>>(),
                "root": hex::encode(root),
            })
            .to_string()
                + "\n"
        }
        Some((note, signer)) => {
            let proof = TlogProof::new(args.seq, path, note, None)
                .map_err(|e| {
                    refused(anyhow::anyhow!(
                        "the checkpoint cannot be carried in a tlog-proof: {e}"
                    ))
                })?
                .to_text();
            // Never write a proof `custody verify --proof` would refuse.
            let trust = Trust {
                authorities: vec![signer],
                verifier_keys: vec![],
            };
            verify_tlog_proof(proof.as_bytes(), &bytes, &trust).map_err(|e| {
                env(anyhow::anyhow!(
                    "the tlog-proof does not verify ({e}); run `custody verify`"
                ))
            })?;
            eprintln!(
                "tlog-proof of entry {} against the checkpoint of {size} entries, signed by {}",
                args.seq,
                hex::encode(signer)
            );
            eprintln!(
                "verifier key (C2SP): {}",
                verifier_key(ledger.name(), &signer)
            );
            proof
        }
    };
    for path in args.out.iter().chain(&args.entry_out) {
        crate::outfile::check(path, args.force)?;
    }
    if let Some(out) = &args.entry_out {
        crate::outfile::write(out, args.force, &bytes)?;
    }
    match &args.out {
        Some(out) => crate::outfile::write(out, args.force, output.as_bytes())?,
        None => print!("{output}"),
    }
    Ok(())
}

/// The advice when a ledger has no checkpoint yet.
pub(crate) const NO_CHECKPOINT_ADVICE: &str =
    "issue one with `custody checkpoint --key AUTHORITY.pem`";

/// The latest checkpoint recorded in the ledger, as its signed note, with
/// its size, root and signer; refused unless it covers entry `seq`.
fn latest_checkpoint(
    ledger: &Ledger,
    seq: u64,
) -> Result<(u64, [u8; 32], String, [u8; 32]), Failure> {
    let hint = format!("{NO_CHECKPOINT_ADVICE}, or pass --checkpoint FILE");
    let Some(latest) = ledger.latest_checkpoint()? else {
        return Err(refused(anyhow::anyhow!(
            "the ledger has no checkpoint for a tlog-proof to lead to; {hint}"
        )));
    };
    if seq >= latest.size {
        return Err(refused(anyhow::anyhow!(
            "entry {seq} is not covered by the latest checkpoint ({} entries); {hint}",
            latest.size
        )));
    }
    Ok((latest.size, latest.root, latest.note, latest.signer))
}
