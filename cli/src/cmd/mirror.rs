//! `custody mirror`: an auditor's verifying replica of a ledger it reads
//! through the C2SP tlog-tiles layout (a `custody serve` over HTTP, or a
//! directory written by `custody tiles --entries` and served by anything).
//!
//! Each run fetches the source's checkpoint and the entry bundles
//! (`tile/entries/<N>[.p/<W>]`) for the entries the replica lacks, checks
//! every entry's Ed25519 signature strictly, then hands them to
//! `Ledger::extend`, which checks every chain rule (they must follow the
//! replica's head: a forked source fails here), recomputes the Merkle root
//! of the whole replica with them and commits only if the checkpoint
//! states that root and is signed by a key that holds a role that may sign
//! checkpoints after those entries (the authority, or the registrar key a
//! `custody serve --key` signs its checkpoints with). So the replica moves from one verified checkpoint
//! to the next or not at all; a source that rolled back (a smaller tree),
//! forked (another root for the same size or entries that do not follow)
//! or served altered entries leaves it as it was, and exits 1.
//!
//! The tile reader here is written from the C2SP spec, apart from the
//! writer (`custody_ledger::tiles`), so each checks the other.
//!
//! ## Held to a witnessed checkpoint
//!
//! A source that holds a stolen registrar key can show a *new* replica a
//! history of its own making after the registrar's grant, which no earlier
//! view contradicts. With `--witness VKEY… [--quorum K]`, the checkpoint
//! the replica is held to must carry cosignatures by K of those witnesses
//! (C2SP tlog-witness: each cosigned only a tree consistent with every one
//! it saw before): the source's own checkpoint, or, with `--checkpoint
//! FILE`, a note obtained apart from the source (`custody checkpoint
//! --witness` writes one). The replica must then contain that tree: its
//! first `size` entries make the note's root, under a signer's key at that
//! size, or nothing is written. A replica that catches up past the note
//! first extends to the note's size, checked against it, then to the
//! source's.

use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use custody_format::entry::SignedEntry;
use custody_format::registry::KeyRegistry;
use custody_ledger::store::{ExtendError, Ledger};
use custody_verifier::checkpoint::{self, Checkpoint};
use custody_verifier::report::SignerPeriod;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Arguments of `custody mirror`.
#[derive(clap::Args)]
pub(crate) struct MirrorArgs {
    /// Where to read the ledger: an https:// or http:// URL (a `custody
    /// serve`, or any web server in front of `custody tiles --entries`), or
    /// a directory of that layout.
    #[arg(long, value_name = "URL|DIR")]
    from: String,
    /// The authority key the replica's genesis must name (hex or PEM), on
    /// the first run; later runs check the replica's own genesis.
    #[arg(long, value_name = "KEY")]
    authority: Option<String>,
    /// A file holding the reader token that entry bundles need over HTTP
    /// (also CUSTODY_TOKEN). Not a flag value: a command line is visible
    /// to every user of the machine.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Trust only this certificate (PEM) for an https:// source, instead
    /// of the web's public roots: for a server with its own certificate.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// A signed checkpoint note of the ledger, obtained apart from the
    /// source (for example cosigned by witnesses: `custody checkpoint
    /// --witness`, or from a witness's operator): the replica must contain
    /// its tree (its first entries make its root), or nothing is written.
    /// The source's checkpoint must be at least as large. A replica
    /// catching up past it takes the note's entries first: if the rest
    /// then fails, it keeps those (verified) and exits 1 saying so.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// A witness's verifier key (`<name>+<key id>+<key>`, as `custody
    /// witness key` prints), repeatable: the checkpoint the replica is
    /// held to (--checkpoint's, else the source's) must carry valid
    /// cosignatures by --quorum of the listed witnesses, checked before
    /// any entry is fetched. What closes a first run to a source that
    /// forked the ledger with a stolen registrar key (docs/ARCHITECTURE.md),
    /// up to the witnessed tree: entries past it rest on the source's own
    /// checkpoint, and the report says how many.
    #[arg(long, value_name = "VKEY")]
    witness: Vec<String>,
    /// With --witness: how many of the listed witnesses must have cosigned
    /// (default: all of them).
    #[arg(long, value_name = "K", requires = "witness")]
    quorum: Option<usize>,
}

/// Entries per tile (C2SP tlog-tiles: tiles of height 8).
const TILE_WIDTH: u64 = 256;
/// The largest response read: a full entry bundle of 256 entries of at
/// most 64 KiB each, with their length prefixes.
const MAX_RESPONSE: u64 = TILE_WIDTH * (2 + 65_535);

/// Where tiles come from.
enum Source {
    Dir(PathBuf),
    Http {
        agent: ureq::Agent,
        base: String,
        token: Option<String>,
    },
}

impl Source {
    fn parse(from: &str, token: Option<String>, ca_cert: Option<&Path>) -> Result<Source, Failure> {
        if let Some(rest) = from
            .strip_prefix("https://")
            .or_else(|| from.strip_prefix("http://"))
        {
            if rest.is_empty() {
                return Err(env(anyhow::anyhow!("--from {from}: no host")));
            }
            let host = rest.split('/').next().unwrap_or_default();
            let loopback = host.starts_with("127.")
                || host.starts_with("localhost")
                || host.starts_with("[::1]");
            if token.is_some() && from.starts_with("http://") && !loopback {
                eprintln!(
                    "warning: the reader token is sent in clear to {}: anyone on the path can read it and people's data with it; use https://",
                    crate::escape::terminal(host)
                );
            }
            return Ok(Source::Http {
                agent: agent(ca_cert)?,
                base: from.trim_end_matches('/').to_string(),
                token,
            });
        }
        let dir = PathBuf::from(from);
        if !dir.is_dir() {
            return Err(env(anyhow::anyhow!(
                "--from {}: not a directory, nor an http:// URL",
                crate::escape::path(&dir)
            )));
        }
        Ok(Source::Dir(dir))
    }

    fn describe(&self) -> String {
        match self {
            Source::Dir(d) => crate::escape::path(d),
            Source::Http { base, .. } => crate::escape::terminal(base),
        }
    }

    /// The resource at `path` (relative, `/`-separated), or `None` if the
    /// source has none.
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, Failure> {
        match self {
            Source::Dir(dir) => {
                let file = dir.join(path);
                let opened = match std::fs::File::open(&file) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(env(anyhow::anyhow!("{}: {e}", file.display()))),
                    Ok(f) => f,
                };
                // A device or a FIFO has no size to check: only a regular
                // file is a tile, and it is read to the bound and no further.
                let regular = opened.metadata().map(|m| m.is_file()).unwrap_or(false);
                if !regular {
                    return Err(refused(anyhow::anyhow!(
                        "{}: not a regular file",
                        file.display()
                    )));
                }
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(opened, MAX_RESPONSE + 1),
                    &mut bytes,
                )
                .map_err(|e| env(anyhow::anyhow!("{}: {e}", file.display())))?;
                if bytes.len() as u64 > MAX_RESPONSE {
                    return Err(refused(anyhow::anyhow!(
                        "{}: more than a tile can hold ({MAX_RESPONSE} bytes)",
                        file.display()
                    )));
                }
                Ok(Some(bytes))
            }
            Source::Http { agent, base, token } => {
                http_get(agent, &format!("{base}/{path}"), token.as_deref())
            }
        }
    }
}

/// The HTTP client: the web's roots, or only `ca_cert` when given.
pub(crate) fn agent(ca_cert: Option<&Path>) -> Result<ureq::Agent, Failure> {
    // A source that stops answering must not hang an auditor's cron job.
    let mut config =
        ureq::Agent::config_builder().timeout_global(Some(std::time::Duration::from_secs(120)));
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            env(anyhow::anyhow!(
                "--ca-cert {}: {e}",
                crate::escape::path(path)
            ))
        })?;
        let cert = ureq::tls::Certificate::from_pem(&pem).map_err(|e| {
            env(anyhow::anyhow!(
                "--ca-cert {}: not a PEM certificate: {e}",
                crate::escape::path(path)
            ))
        })?;
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
                cert.to_owned(),
            ])))
            .build();
        config = config.tls_config(tls);
    }
    Ok(config.build().into())
}

fn http_get(
    agent: &ureq::Agent,
    url: &str,
    token: Option<&str>,
) -> Result<Option<Vec<u8>>, Failure> {
    let mut request = agent.get(url);
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    match request.call() {
        Ok(mut response) => response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map(Some)
            .map_err(|e| env(anyhow::anyhow!("{url}: {e}"))),
        Err(ureq::Error::StatusCode(404)) => Ok(None),
        Err(ureq::Error::StatusCode(401 | 403)) => Err(env(anyhow::anyhow!(
            "{url}: the server refused the reader token (or none was given); entry bundles need a token the ledger's authority issued (`custody token issue --role reader`), in --token-file or CUSTODY_TOKEN"
        ))),
        Err(e) => Err(env(anyhow::anyhow!("{url}: {e}"))),
    }
}

/// The C2SP tlog-tiles path element of index `n`: three-digit groups,
/// all but the last prefixed with `x` (1234067 is `x001/x234/067`).
fn tile_index(n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Splits an entry bundle into its entries: each a big-endian `u16`
/// length and that many bytes, nothing after the last.
fn split_bundle(bytes: &[u8], path: &str) -> Result<Vec<Vec<u8>>, Failure> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let Some(len) = bytes.get(at..at + 2) else {
            return Err(refused(anyhow::anyhow!(
                "{path}: a length prefix is cut short at byte {at}"
            )));
        };
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let Some(entry) = bytes.get(at + 2..at + 2 + len) else {
            return Err(refused(anyhow::anyhow!(
                "{path}: entry {} is cut short (its prefix says {len} bytes)",
                out.len()
            )));
        };
        out.push(entry.to_vec());
        at += 2 + len;
    }
    Ok(out)
}

/// The entries `from..to` of the tree whose checkpoint states `size`
/// entries, from their bundles: for each tile, the partial bundle of the
/// checkpoint's width if the tile is not full at that size (the full one
/// if the partial is gone), else the full bundle.
fn fetch_entries(source: &Source, from: u64, to: u64, size: u64) -> Result<Vec<Vec<u8>>, Failure> {
    // Never reserve by the size a source states: it is not yet verified.
    let mut entries = Vec::with_capacity((to - from).min(TILE_WIDTH) as usize);
    let mut tile = from / TILE_WIDTH;
    while tile * TILE_WIDTH < to {
        let start = tile * TILE_WIDTH;
        let width = (size - start).min(TILE_WIDTH);
        let full = format!("tile/entries/{}", tile_index(tile));
        let (path, bytes) = if width < TILE_WIDTH {
            let partial = format!("{full}.p/{width}");
            match source.get(&partial)? {
                Some(b) => (partial, b),
                None => (full.clone(), missing(source.get(&full)?, &full, source)?),
            }
        } else {
            (full.clone(), missing(source.get(&full)?, &full, source)?)
        };
        let bundle = split_bundle(&bytes, &path)?;
        if (bundle.len() as u64) < width {
            return Err(refused(anyhow::anyhow!(
                "{path}: {} entries, where the checkpoint's tree needs {width}",
                bundle.len()
            )));
        }
        let skip = from.saturating_sub(start) as usize;
        let take = (to.min(start + width) - start) as usize;
        entries.extend(bundle.into_iter().take(take).skip(skip));
        tile += 1;
    }
    Ok(entries)
}

fn missing(got: Option<Vec<u8>>, path: &str, source: &Source) -> Result<Vec<u8>, Failure> {
    got.ok_or_else(|| {
        refused(anyhow::anyhow!(
            "{} has no {path}, which its checkpoint's tree needs (tiles written without --entries?)",
            source.describe()
        ))
    })
}

/// Decodes the fetched entries and checks each signature strictly, on
/// every core: the store checks the chain rules, never a signature.
fn decode_and_verify(raw: Vec<Vec<u8>>, first_seq: u64) -> Result<Vec<SignedEntry>, Failure> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = raw.len().div_ceil(threads).max(1);
    let chunks: Vec<Vec<Vec<u8>>> = {
        let mut raw = raw;
        let mut out = Vec::new();
        while !raw.is_empty() {
            let rest = raw.split_off(per.min(raw.len()));
            out.push(std::mem::replace(&mut raw, rest));
        }
        out
    };
    let results: Vec<Result<Vec<SignedEntry>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .enumerate()
            .map(|(c, chunk)| {
                s.spawn(move || {
                    chunk
                        .into_iter()
                        .enumerate()
                        .map(|(i, bytes)| {
                            let seq = first_seq + (c * per + i) as u64;
                            let e = SignedEntry::decode(bytes)
                                .map_err(|e| format!("entry {seq}: format: {e}"))?;
                            e.verify_signature().map_err(|_| {
                                format!(
                                    "entry {seq}: signature: it does not verify (strict Ed25519)"
                                )
                            })?;
                            Ok(e)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a verifying thread panicked"))
            .collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r.map_err(|e| refused(anyhow::anyhow!("{e}; the replica was not changed")))?);
    }
    Ok(out)
}

/// Why the checkpoint was not accepted for the tree the entries make.
#[derive(Debug, thiserror::Error)]
enum NotVouched {
    #[error("the source's checkpoint states root {stated} for {size} entries, but its entries make root {computed}: the source serves entries its checkpoint does not vouch for (a fork, or altered tiles). Do not rely on this source: keep its checkpoint and the note given, and tell the ledger's operator and its witnesses.")]
    Root {
        size: u64,
        stated: String,
        computed: String,
    },
    #[error("--checkpoint states root {stated} for {size} entries, but the source's first {size} entries make root {computed}: the source serves a history other than the one the checkpoint given vouches for (a fork of the witnessed history). Do not rely on this source: keep its checkpoint and the note given, and tell the ledger's operator and its witnesses.")]
    GivenRoot {
        size: u64,
        stated: String,
        computed: String,
    },
    #[error("{which} is not signed by a key that holds the authority or registrar role after its {size} entries: the ledger's own key did not vouch for it. Do not rely on it; check that the source and --checkpoint are of the ledger you audit, and tell its operator")]
    Signature { which: &'static str, size: u64 },
}

/// Which checkpoint [`vouches`] checks.
#[derive(Clone, Copy)]
enum Which {
    /// The source's own.
    Source,
    /// `--checkpoint`'s.
    Given,
}

/// The check `Ledger::extend` runs before it commits.
fn vouches(
    cp: &Checkpoint,
    which: Which,
    registry: &KeyRegistry,
    size: u64,
    root: &[u8; 32],
) -> Result<(), NotVouched> {
    if &cp.root != root {
        let (stated, computed) = (hex::encode(cp.root), hex::encode(root));
        return Err(match which {
            Which::Source => NotVouched::Root {
                size,
                stated,
                computed,
            },
            Which::Given => NotVouched::GivenRoot {
                size,
                stated,
                computed,
            },
        });
    }
    // The registry is as of `size`: the keys that held a signer's role
    // then, as `verify --checkpoint` counts them.
    let keys = SignerPeriod::keys_at(&SignerPeriod::of_registry(registry), size);
    cp.verify_by(&keys)
        .map(|_| ())
        .map_err(|_| NotVouched::Signature {
            which: match which {
                Which::Source => "the source's checkpoint",
                Which::Given => "--checkpoint",
            },
            size,
        })
}

fn token(args: &MirrorArgs) -> Result<Option<String>, Failure> {
    let from_file = match &args.token_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| {
                    env(anyhow::anyhow!(
                        "--token-file {}: {e}",
                        crate::escape::path(p)
                    ))
                })?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    Ok(from_file.or_else(|| {
        std::env::var("CUSTODY_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
    }))
}

/// Runs `mirror`.
pub(crate) fn run(ctx: &Context, args: MirrorArgs) -> CmdResult {
    // What the user gave is checked before the source is asked anything.
    let policy = crate::cmd::verify::witness_policy(&args.witness, args.quorum)?;
    let given = match &args.checkpoint {
        Some(path) => {
            let (text, cp) = crate::cmd::checkpoint::read_checkpoint_note(path)
                .map_err(|f| f.context("--checkpoint"))?;
            if cp.size == 0 {
                return Err(refused(anyhow::anyhow!(
                    "--checkpoint {}: a checkpoint of an empty tree pins nothing; give a checkpoint of the ledger's entries",
                    crate::escape::path(path)
                )));
            }
            match &policy {
                Some(policy) => crate::cmd::verify::require_cosignatures(
                    &crate::escape::path(path),
                    &cp,
                    policy,
                )?,
                None => crate::exit::warn(&format!(
                    "--checkpoint {}: without --witness VKEY its cosignatures are not checked; the replica is held to it on the ledger's signature alone",
                    crate::escape::path(path)
                )),
            }
            Some((cp, text))
        }
        None => None,
    };
    let source = Source::parse(&args.from, token(&args)?, args.ca_cert.as_deref())?;
    let store = ctx.store_dir()?;
    let note = source.get("checkpoint")?.ok_or_else(|| {
        refused(anyhow::anyhow!(
            "{} has no checkpoint: the ledger's operator must run `custody checkpoint`",
            source.describe()
        ))
    })?;
    let note = String::from_utf8(note)
        .map_err(|_| refused(anyhow::anyhow!("the source's checkpoint is not UTF-8")))?;
    let cp = checkpoint::parse(&note)
        .map_err(|e| refused(anyhow::anyhow!("the source's checkpoint: {e}")))?;
    let (held, held_note) = match given {
        Some((held, text)) => {
            held_within(&held, &cp)?;
            (Some(held), text)
        }
        None => {
            if let Some(policy) = &policy {
                crate::cmd::verify::require_cosignatures("the source's checkpoint", &cp, policy)?;
            }
            // The source's own checkpoint is checked as it always is.
            (None, String::new())
        }
    };
    let (before, size) = if Ledger::is_store_dir(&store) {
        let mut ledger = ctx.open()?;
        let before = ledger.len();
        let size = catch_up(
            &source,
            &store,
            &mut ledger,
            &cp,
            held.as_ref(),
            &held_note,
            before,
        )?;
        (before, size)
    } else {
        (0, first_run(&source, &args, &store, &cp, held.as_ref())?)
    };
    // The checkpoint the replica was verified against, for the auditor to
    // keep, and the one its witnesses cosigned, if any.
    keep_note(&store, MIRROR_CHECKPOINT, &note)?;
    let witnessed = match (&policy, &held) {
        (None, _) => None,
        (Some(_), Some(held)) => Some((held, held_note.as_str())),
        (Some(_), None) => Some((&cp, note.as_str())),
    };
    if let Some((w, text)) = witnessed {
        // A run held to an older witnessed note (`--checkpoint`) keeps the
        // larger tree witnessed before: the replica still holds it.
        if witnessed_size(&store).is_none_or(|kept| kept <= w.size) {
            keep_note(&store, MIRROR_WITNESSED, text)?;
        }
    }
    let witnessed = witnessed.map(|(w, _)| w);
    report(ctx, &source, (before, size), &cp, held.as_ref(), witnessed);
    Ok(())
}

/// The file in a replica that keeps the checkpoint it was last verified
/// against.
const MIRROR_CHECKPOINT: &str = "mirror-checkpoint";
/// The file in a replica that keeps the last checkpoint it was held to
/// whose cosignatures `--witness` required.
const MIRROR_WITNESSED: &str = "mirror-witnessed-checkpoint";

/// The size the replica's kept witnessed note states, if it has one that
/// parses.
fn witnessed_size(store: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(store.join(MIRROR_WITNESSED)).ok()?;
    checkpoint::parse(&text).ok().map(|cp| cp.size)
}

/// Writes `text` to `name` in `store`: beside it, fsynced, then renamed
/// over the last.
fn keep_note(store: &Path, name: &str, text: &str) -> CmdResult {
    let kept = store.join(name);
    let io = |e: std::io::Error| env(anyhow::anyhow!("{}: {e}", kept.display()));
    let mut tmp = tempfile::NamedTempFile::new_in(store).map_err(io)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(&kept).map_err(|e| io(e.error))?;
    Ok(())
}

/// The checkpoint given (`--checkpoint`) must be of the source's ledger,
/// and the source's checkpoint at least as large.
fn held_within(held: &Checkpoint, cp: &Checkpoint) -> Result<(), Failure> {
    if held.origin != cp.origin {
        return Err(refused(anyhow::anyhow!(
            "--checkpoint is of the ledger {}, the source's checkpoint of {}; nothing was written",
            crate::escape::terminal(&held.origin),
            crate::escape::terminal(&cp.origin)
        )));
    }
    if held.size == cp.size && held.root != cp.root {
        return Err(refused(anyhow::anyhow!(
            "the source's checkpoint and --checkpoint state two roots for the same {} entries ({} and {}): one of them is of a fork; nothing was written. Keep both notes and tell the ledger's operator and its witnesses",
            cp.size,
            hex::encode(cp.root),
            hex::encode(held.root)
        )));
    }
    if held.size > cp.size {
        return Err(refused(anyhow::anyhow!(
            "the source's checkpoint states {} entries, fewer than the {} of --checkpoint: the source is behind the checkpoint given (or rolled back); nothing was written. Try again later, or mirror from another source",
            cp.size,
            held.size
        )));
    }
    Ok(())
}

/// Checks that `ledger`'s first `held.size` entries make `held`'s root and
/// that a key holding a checkpoint signer's role at that size signed it;
/// `whose` names the entries ("the source's", "this replica's"), `tail`
/// what was left as it was.
fn contains(ledger: &Ledger, held: &Checkpoint, whose: &str, tail: &str) -> CmdResult {
    let root = ledger.merkle_root(held.size)?;
    if root != held.root {
        return Err(refused(anyhow::anyhow!(
            "{whose} first {} entries make root {}, but --checkpoint states root {} for them: {whose} history is not the one the checkpoint given vouches for (a fork); {tail}. Do not rely on this source: keep its checkpoint and the note given, and tell the ledger's operator and its witnesses",
            held.size,
            hex::encode(root),
            hex::encode(held.root),
        )));
    }
    crate::cmd::checkpoint::check_checkpoint_signature(ledger, held)
        .map(|_| ())
        .map_err(|f| {
            f.context(format!(
                "--checkpoint is not signed by a key that held the authority or registrar role at its {} entries; {tail}. Check that it is a checkpoint of the ledger you audit, and tell its operator",
                held.size
            ))
        })
}

/// A new replica. The genesis, fetched first, must name the pinned
/// authority and the checkpoint's ledger; then every entry of the tree is
/// streamed, a tile at a time, into a new store beside the target
/// (`<store>.mirror-partial`; memory holds one tile and one restore chunk,
/// whatever the ledger's size); the root and the note's signature are
/// checked against that store, and only then is it renamed into place.
/// Anything wrong leaves no store behind.
fn first_run(
    source: &Source,
    args: &MirrorArgs,
    store: &Path,
    cp: &Checkpoint,
    held: Option<&Checkpoint>,
) -> Result<u64, Failure> {
    let Some(pinned) = &args.authority else {
        return Err(env(anyhow::anyhow!(
            "{} holds no replica yet: give --authority KEY (the ledger's authority key, from its operator) so the first run knows whose ledger to trust",
            crate::escape::path(store)
        )));
    };
    let pinned = crate::pubkey::public_key_arg("--authority", pinned)?;
    // The replica will be renamed into place: the target must be absent or
    // an empty directory, as for `custody restore`.
    Ledger::check_new_dir(store)?;
    if cp.size == 0 {
        return Err(refused(anyhow::anyhow!(
            "the source's checkpoint states an empty tree"
        )));
    }
    let genesis = decode_and_verify(fetch_entries(source, 0, 1, cp.size)?, 0)?;
    match genesis[0].event() {
        custody_format::event::Event::Genesis(g) if g.authority_key != pinned => {
            return Err(refused(anyhow::anyhow!(
                "the source's genesis names the authority {}, not the key given with --authority ({pinned}); nothing was written",
                g.authority_key
            )))
        }
        custody_format::event::Event::Genesis(g) if g.ledger_name != cp.origin => {
            return Err(refused(anyhow::anyhow!(
                "the source's genesis is of the ledger {}, its checkpoint of {}; nothing was written",
                crate::escape::terminal(&g.ledger_name),
                crate::escape::terminal(&cp.origin)
            )))
        }
        custody_format::event::Event::Genesis(_) => {}
        _ => {
            return Err(refused(anyhow::anyhow!(
                "the source's entry 0 is not a genesis"
            )))
        }
    }
    let staging = partial_dir(store);
    if staging.exists() {
        return Err(env(anyhow::anyhow!(
            "{} is left from an interrupted first mirror (or is someone else's); remove it and run again",
            crate::escape::path(&staging)
        )));
    }
    let fetch_failure = std::cell::RefCell::new(None);
    let entries = TileStream {
        source,
        next: 0,
        size: cp.size,
        buffered: Default::default(),
        failure: &fetch_failure,
    };
    let ledger = Ledger::restore(&staging, entries, Default::default(), |_| {}).map_err(|e| {
        fetch_failure
            .borrow_mut()
            .take()
            .unwrap_or_else(|| refused(anyhow::anyhow!("{e}; nothing was written")))
    })?;
    // The genesis checked above came from one fetch; the replica from
    // another, which a source may answer differently: the store's own
    // genesis is the one that must name the pinned authority and the
    // checkpoint's ledger.
    let pinned_genesis = if ledger.registry().genesis_authority() != Some(pinned) {
        Err(refused(anyhow::anyhow!(
            "the source served another genesis the second time it was asked, naming the authority {}, not the pinned {pinned}; nothing was written",
            ledger
                .registry()
                .genesis_authority()
                .map_or_else(|| "(none)".to_string(), |k| k.to_string())
        )))
    } else if ledger.name() != cp.origin {
        Err(refused(anyhow::anyhow!(
            "the source served another genesis the second time it was asked, of the ledger {}; nothing was written",
            crate::escape::terminal(ledger.name())
        )))
    } else {
        Ok(())
    };
    let vouched = pinned_genesis
        .and_then(|()| ledger.merkle_root(cp.size).map_err(Failure::from))
        .and_then(|root| {
            vouches(cp, Which::Source, ledger.registry(), cp.size, &root)
                .map_err(|e| refused(anyhow::anyhow!("{e}; nothing was written")))
        })
        .and_then(|()| match held {
            Some(held) => contains(&ledger, held, "the source's", "nothing was written"),
            None => Ok(()),
        });
    drop(ledger);
    if let Err(e) = vouched {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    std::fs::rename(&staging, store).map_err(|e| {
        env(anyhow::anyhow!(
            "moving the verified replica from {} to {}: {e}",
            crate::escape::path(&staging),
            crate::escape::path(store)
        ))
    })?;
    Ok(cp.size)
}

/// Where a first run builds the replica before it is verified.
fn partial_dir(store: &Path) -> PathBuf {
    let mut name = store
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "replica".into());
    name.push(".mirror-partial");
    store.with_file_name(name)
}

/// The entries `next..size`, fetched a tile at a time and each checked
/// (signature) before it is handed on; a failure is kept aside for the
/// caller, which reports it with its own exit code.
struct TileStream<'a> {
    source: &'a Source,
    next: u64,
    size: u64,
    buffered: std::collections::VecDeque<SignedEntry>,
    failure: &'a std::cell::RefCell<Option<Failure>>,
}

impl Iterator for TileStream<'_> {
    type Item = Result<SignedEntry, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffered.is_empty() && self.next < self.size {
            let to = ((self.next / TILE_WIDTH + 1) * TILE_WIDTH).min(self.size);
            let got = fetch_entries(self.source, self.next, to, self.size)
                .and_then(|raw| decode_and_verify(raw, self.next));
            match got {
                Ok(entries) => {
                    self.next = to;
                    self.buffered.extend(entries);
                }
                Err(f) => {
                    *self.failure.borrow_mut() = Some(f);
                    self.next = self.size;
                    return Some(Err(std::io::Error::other("fetching the tiles failed")));
                }
            }
        }
        self.buffered.pop_front().map(Ok)
    }
}

/// Fetches, verifies and extends the replica to the checkpoint's size.
fn catch_up(
    source: &Source,
    store: &Path,
    ledger: &mut Ledger,
    cp: &Checkpoint,
    held: Option<&Checkpoint>,
    held_note: &str,
    before: u64,
) -> Result<u64, Failure> {
    let have = ledger.len();
    if cp.origin != ledger.name() {
        return Err(refused(anyhow::anyhow!(
            "the source's checkpoint is of the ledger {}, this replica of {}",
            crate::escape::terminal(&cp.origin),
            crate::escape::terminal(ledger.name())
        )));
    }
    if cp.size < before {
        return Err(refused(anyhow::anyhow!(
            "the source's checkpoint states {} entries, fewer than the {before} this replica holds and verified: the source rolled back (or serves another copy); the replica was not changed",
            cp.size
        )));
    }
    // A checkpoint given within what the replica holds is checked against
    // it first: a replica forked before it is told so, whatever the source.
    if let Some(held) = held.filter(|h| h.size <= before) {
        contains(
            ledger,
            held,
            "this replica's",
            "the replica was not changed",
        )?;
    }
    // A tile at a time, each checked before the next is fetched: a source
    // cannot make the mirror hold more than the entries it proves genuine.
    let fetch_failure = std::cell::RefCell::new(None);
    let stream = TileStream {
        source,
        next: have,
        size: cp.size,
        buffered: Default::default(),
        failure: &fetch_failure,
    };
    let mut entries = Vec::new();
    for entry in stream {
        match entry {
            Ok(e) => entries.push(e),
            Err(_) => {
                return Err(fetch_failure
                    .borrow_mut()
                    .take()
                    .unwrap_or_else(|| env(anyhow::anyhow!("fetching the tiles failed"))))
            }
        }
    }
    // Past a checkpoint given: to its size first, held to it, then on.
    if let Some(held) = held.filter(|h| h.size > before) {
        let rest = entries.split_off((held.size - before) as usize);
        ledger
            .extend(entries, |registry, size, root| {
                vouches(held, Which::Given, registry, size, root)
            })
            .map_err(|e| match e {
                ExtendError::Store(s) => Failure::from(s),
                e => refused(anyhow::anyhow!("{e}; the replica was not changed")),
            })?;
        // Verified against the checkpoint given: that is what it holds
        // now, whatever comes of the rest.
        keep_note(store, MIRROR_CHECKPOINT, held_note)?;
        let partly = format!(
            "the replica now holds the {} entries of the checkpoint given (kept in {MIRROR_CHECKPOINT}), and nothing after them",
            held.size
        );
        return ledger
            .extend(rest, |registry, size, root| {
                vouches(cp, Which::Source, registry, size, root)
            })
            .map_err(|e| match e {
                ExtendError::Store(s) => Failure::from(s).context(partly),
                e => refused(anyhow::anyhow!("{e}; {partly}")),
            });
    }
    ledger
        .extend(entries, |registry, size, root| {
            vouches(cp, Which::Source, registry, size, root)
        })
        .map_err(|e| match e {
            ExtendError::Store(s) => Failure::from(s),
            e => refused(anyhow::anyhow!("{e}; the replica was not changed")),
        })
}

/// What a run did: `(entries before, entries after)`, against the source's
/// checkpoint `cp`, the one given `held`, and the one its witnesses
/// cosigned (`witnessed`: `held`, or `cp`, with `--witness`).
fn report(
    ctx: &Context,
    source: &Source,
    (before, size): (u64, u64),
    cp: &Checkpoint,
    held: Option<&Checkpoint>,
    witnessed: Option<&Checkpoint>,
) {
    if ctx.json {
        print_json(&json!({
            "source": source.describe(),
            "entries_before": before,
            "entries": size,
            "fetched": size - before,
            "checkpoint": {"origin": cp.origin, "size": cp.size, "root": hex::encode(cp.root)},
            "contains_checkpoint": held.map(|h| json!({"size": h.size, "root": hex::encode(h.root)})),
            "witnessed_size": witnessed.map(|w| w.size),
        }));
        return;
    }
    if let Some(h) = held {
        println!(
            "the replica contains the tree of the checkpoint given: its first {} entries make root {}",
            h.size,
            hex::encode(h.root)
        );
    }
    // Entries past the witnessed tree are the source's word alone: said
    // where a script reads the report, not only on standard error.
    if let Some(w) = witnessed.filter(|w| w.size < size) {
        println!(
            "entries {}..{} are vouched for by the source's checkpoint alone, not by the witnesses; hold them to a later cosigned checkpoint (--checkpoint) once one is published",
            w.size,
            size - 1
        );
    }
    if size == before {
        println!(
            "the replica is up to date: {size} entries, which the source's checkpoint vouches for"
        );
    } else {
        println!(
            "mirrored {} new entries ({before} -> {size}) from {}: every signature, every chain rule and the checkpoint's root and signature verify",
            size - before,
            source.describe()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_indexes_are_three_digit_groups() {
        assert_eq!(tile_index(0), "000");
        assert_eq!(tile_index(7), "007");
        assert_eq!(tile_index(1000), "x001/000");
        assert_eq!(tile_index(1_234_067), "x001/x234/067");
    }

    #[test]
    fn a_bundle_cut_short_is_refused() {
        assert_eq!(
            split_bundle(&[0, 1, 7, 0, 0], "t").map_err(|_| ()).unwrap(),
            vec![vec![7], vec![]]
        );
        assert!(split_bundle(&[0, 2, 7], "t").is_err());
        assert!(split_bundle(&[0], "t").is_err());
    }
}
