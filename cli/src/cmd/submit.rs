//! `custody submit`: hands statements signed in the field (`custody sign`)
//! to a server that registers them (`custody serve --key`), and checks
//! each receipt it gets back.
//!
//! The file is read and checked here first, as the server will (every bad
//! line named, nothing sent). The server answers once its commit is
//! durable, with, per statement, the entry that carries it, an inclusion
//! proof and the signed checkpoint the proof holds against. A receipt is
//! not taken on trust: the entry must hash to the hash given and carry
//! exactly the statement sent (its id is the digest its author signed),
//! and the proof must lead from that entry to the checkpoint's root; with
//! `--log-key` the checkpoint's signature is checked too; the checkpoint
//! must be of the statement's ledger and cover the entry. One receipt that
//! does not hold makes the whole answer untrusted: nothing of it is printed
//! or counted as registered. A server that answers 503 (it holds as much as
//! it may) is asked again after Retry-After, and one whose connection broke
//! before it answered after a second, a few times: a statement
//! registered meanwhile gets its entry back, never a second one, so
//! sending again is always safe.

use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use base64::Engine;
use clap::Args;
use custody_format::entry::SignedEntry;
use custody_format::event::{EntryHash, Event};
use custody_format::statement::StatementId;
use custody_ledger::statement_line::{StatementLineItemError, StatementLineReader};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// `custody submit`.
#[derive(Args)]
pub(crate) struct SubmitArgs {
    /// The server (`custody serve --key`), e.g. https://ledger.example.org.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Statement lines from `custody sign`; `-` or nothing reads standard
    /// input.
    #[arg(value_name = "PATH|-")]
    input: Option<PathBuf>,
    /// Trust only this CA certificate (PEM) for an https server (one with
    /// a self-signed certificate).
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// The public key (hex or SPKI PEM file) whose signature each receipt's
    /// checkpoint must carry: the server's registrar key. Required: a
    /// receipt proves nothing against a checkpoint nobody trusted signed
    /// (a server can build any tree around an entry it made up).
    #[arg(long, value_name = "KEY")]
    log_key: String,
    /// Also keep each checked receipt in FILE (JSON Lines,
    /// `custody-receipt/1`; mode 0600, never over an existing file): what
    /// `custody verify --receipts FILE --log-key KEY` checks again later,
    /// offline, without the server or the store.
    #[arg(long, value_name = "FILE")]
    receipts: Option<PathBuf>,
}

/// How many times a busy server is asked again.
const RETRIES: u32 = 5;
/// The largest answer read.
const MAX_ANSWER: u64 = 64 << 20;

/// Runs `submit`.
pub(crate) fn run(ctx: &Context, args: SubmitArgs) -> CmdResult {
    if !(args.to.starts_with("https://") || args.to.starts_with("http://")) {
        return Err(env(anyhow::anyhow!(
            "--to {}: give the server's URL with its scheme, e.g. http://127.0.0.1:8080 or https://ledger.example.org; nothing was sent",
            crate::escape::terminal(&args.to)
        )));
    }
    if let Some(path) = &args.receipts {
        crate::outfile::check_new(path)?;
    }
    let (input, source, _) = crate::cmd::append::open_input(args.input.as_ref())?;
    let mut body = Vec::new();
    let mut ids = Vec::new();
    for item in StatementLineReader::new(input) {
        match item {
            Ok((_, r)) => {
                ids.push((r.statement.id(), r.statement.body().ledger.clone()));
                body.extend_from_slice(
                    custody_ledger::statement_line::to_line(&r.statement, &r.disclosures)
                        .as_bytes(),
                );
                body.push(b'\n');
            }
            Err(StatementLineItemError::Line(e)) => {
                return Err(refused(anyhow::anyhow!("{source}: {e}; nothing was sent")))
            }
            Err(StatementLineItemError::Read(e)) => {
                return Err(env(anyhow::anyhow!("{source}: {e}; nothing was sent")))
            }
        }
    }
    if ids.is_empty() {
        return Err(refused(anyhow::anyhow!(
            "{source} holds no statement; nothing was sent"
        )));
    }
    let log_key = crate::pubkey::public_key_arg("--log-key", &args.log_key)?.0;
    let url = format!("{}/v1/statements", args.to.trim_end_matches('/'));
    let (status, answer) = post(&url, &body, args.ca_cert.as_deref())?;
    if status != 200 && status != 422 {
        let message = answer["error"].as_str().unwrap_or("no reason given");
        let lines = answer["lines"].as_array().map_or(String::new(), |l| {
            l.iter()
                .map(|e| {
                    format!(
                        "; line {}: {}",
                        e["line"],
                        e["error"].as_str().unwrap_or("")
                    )
                })
                .collect()
        });
        return Err(refused(anyhow::anyhow!(
            "{url} answered {status}: {}{}",
            crate::escape::terminal(message),
            crate::escape::terminal(&lines)
        )));
    }
    let receipts = answer["receipts"].as_array().cloned().unwrap_or_default();
    if receipts.len() != ids.len() {
        return Err(env(anyhow::anyhow!(
            "{url} answered {} receipts for {} statements: the answer cannot be matched to them; send the file again (registered statements get their entries back)",
            receipts.len(),
            ids.len()
        )));
    }
    report(ctx, &receipts, &ids, log_key, args.receipts.as_deref())
}

/// What the server said of one statement, once its receipt is checked.
enum Answered {
    /// Registered, with a receipt that holds: seq, hash, existing.
    Registered(u64, EntryHash, bool),
    /// Refused: why, and the rule.
    Refused(String, Value),
}

/// Checks every receipt, then prints them; refused statements make the
/// exit 1. A receipt that does not hold makes the whole answer untrusted
/// (exit 2) and nothing is printed as registered: the server that sent it
/// does not do what it claims, so none of its receipts is counted.
fn report(
    ctx: &Context,
    receipts: &[Value],
    ids: &[(StatementId, String)],
    log_key: [u8; 32],
    keep: Option<&std::path::Path>,
) -> CmdResult {
    let mut answered = Vec::with_capacity(receipts.len());
    let mut broken: Vec<(usize, NotHeld)> = Vec::new();
    let mut kept = String::new();
    for (i, (r, (id, ledger))) in receipts.iter().zip(ids).enumerate() {
        if let Some(why) = r["refused"].as_str() {
            answered.push(Answered::Refused(
                crate::escape::terminal(why),
                r["rule"].clone(),
            ));
            continue;
        }
        match check_receipt(r, id, ledger, log_key) {
            Ok(c) => {
                kept.push_str(&crate::cmd::receipt::line(r, id, ledger).to_string());
                kept.push('\n');
                answered.push(Answered::Registered(
                    c.seq,
                    c.hash,
                    r["existing"].as_bool().unwrap_or(false),
                ))
            }
            Err(e) => broken.push((i + 1, e)),
        }
    }
    if !broken.is_empty() {
        return Err(env(anyhow::anyhow!(
            "the server's receipt does not hold ({}); nothing is confirmed: count none of these statements as registered on this answer{}, send the file again later (a registered statement gets its entry back, checked anew) and tell the ledger's operator",
            broken
                .iter()
                .map(|(line, e)| format!("line {line}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
            if broken.iter().all(|(_, e)| e.log_key) {
                "; first check that --log-key is the server's registrar key (a checkpoint signed by another key is not taken)"
            } else {
                ""
            }
        )));
    }
    if let (Some(path), false) = (keep, kept.is_empty()) {
        crate::outfile::write_private_with(path, |out| {
            out.write_all(kept.as_bytes())
                .map_err(|e| env(anyhow::anyhow!("{}: {e}", crate::escape::path(path))))
        })
        .map_err(|f| {
            f.context("the statements are registered, but their receipts were not kept: send the file again with another --receipts FILE to get them back")
        })?;
    }
    let mut refusals = 0;
    let existing = answered
        .iter()
        .filter(|a| matches!(a, Answered::Registered(_, _, true)))
        .count();
    for (i, a) in answered.into_iter().enumerate() {
        let line = i + 1;
        match a {
            Answered::Refused(why, rule) => {
                refusals += 1;
                if ctx.json {
                    print_json(&json!({"line": line, "refused": why, "rule": rule}));
                } else {
                    eprintln!("line {line}: refused: {why}");
                }
            }
            Answered::Registered(seq, hash, existing) => {
                if ctx.json {
                    print_json(
                        &json!({"line": line, "seq": seq, "hash": hash, "existing": existing}),
                    );
                } else {
                    println!("{seq} {hash}");
                }
            }
        }
    }
    if refusals > 0 {
        return Err(refused(anyhow::anyhow!(
            "{refusals} of {} statements were refused (said above); the others are registered",
            ids.len()
        )));
    }
    if !ctx.json {
        eprintln!(
            "{}; each receipt's entry carries its statement and is proved in the checkpoint",
            crate::cmd::append_signed::registered_words(ids.len() - existing, existing)
        );
    }
    Ok(())
}

/// What a receipt proves: the entry carries statement `id`, signed by its
/// author for `ledger` (checked here: the log key could otherwise vouch
/// for a statement nobody signed), the entry hashes to the hash given and
/// its own signature verifies, and it is leaf `seq` of the tree of a
/// checkpoint of `ledger` signed by `log_key`.
pub(crate) fn check_receipt(
    r: &Value,
    id: &StatementId,
    ledger: &str,
    log_key: [u8; 32],
) -> Result<Checked, NotHeld> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = b64
        .decode(r["entry"].as_str().ok_or("no entry")?)
        .map_err(|e| format!("entry: {e}"))?;
    let entry = SignedEntry::decode(bytes.clone()).map_err(|e| format!("entry: {e}"))?;
    let claimed = EntryHash::from_hex(r["hash"].as_str().ok_or("no hash")?)
        .map_err(|e| format!("hash: {e}"))?;
    if entry.hash() != claimed || Some(entry.seq()) != r["seq"].as_u64() {
        return Err("the entry is not the one the receipt names".into());
    }
    let Event::Statement(st) = entry.event() else {
        return Err("the entry does not carry this statement".into());
    };
    if st.statement.id() != *id {
        return Err("the entry does not carry this statement".into());
    }
    st.statement
        .validate()
        .map_err(|e| format!("the statement in the entry is malformed: {e}"))?;
    st.statement
        .verify()
        .map_err(|e| format!("the statement's author signature does not verify: {e}"))?;
    if st.statement.body().ledger != ledger {
        return Err(NotHeld::from(format!(
            "the statement was signed for the ledger {:?}, not {ledger:?}",
            crate::escape::terminal(&st.statement.body().ledger)
        )));
    }
    entry
        .verify_signature()
        .map_err(|e| format!("the entry's signature does not verify: {e}"))?;
    let note = r["checkpoint"].as_str().ok_or("no checkpoint")?;
    let cp = custody_verifier::checkpoint::parse(note).map_err(|e| format!("checkpoint: {e}"))?;
    if cp.origin != ledger {
        return Err(NotHeld::from(format!(
            "the checkpoint is of the log {:?}, not of the ledger {ledger:?} the statement was signed for",
            crate::escape::terminal(&cp.origin)
        )));
    }
    cp.verify_by(&[log_key]).map_err(|e| NotHeld {
        why: format!("checkpoint signature: {e}"),
        log_key: true,
    })?;
    if entry.seq() >= cp.size {
        return Err(NotHeld::from(format!(
            "the checkpoint (tree size {}) does not cover entry {}: it is older than the entry",
            cp.size,
            entry.seq()
        )));
    }
    let proof = r["inclusion_proof"]
        .as_array()
        .ok_or("no inclusion proof")?
        .iter()
        .map(|h| {
            let v = hex::decode(h.as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
            <[u8; 32]>::try_from(v).map_err(|_| "a proof hash is not 32 bytes".to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = custody_verifier::merkle::leaf_hash(&bytes);
    custody_verifier::merkle::verify_inclusion(&leaf, entry.seq(), cp.size, &proof, &cp.root)
        .map_err(|e| format!("inclusion proof: {e}"))?;
    Ok(Checked {
        seq: entry.seq(),
        hash: claimed,
        author: st.statement.author(),
        tree_size: cp.size,
    })
}

/// Why a receipt does not hold.
#[derive(Debug)]
pub(crate) struct NotHeld {
    /// In words.
    why: String,
    /// Everything held but the checkpoint's signature by the log key
    /// given: that key may be the wrong one.
    log_key: bool,
}

impl std::fmt::Display for NotHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

impl From<String> for NotHeld {
    fn from(why: String) -> NotHeld {
        NotHeld {
            why,
            log_key: false,
        }
    }
}

impl From<&str> for NotHeld {
    fn from(why: &str) -> NotHeld {
        NotHeld::from(why.to_string())
    }
}

/// What a receipt that holds says.
pub(crate) struct Checked {
    /// The entry's seq.
    pub(crate) seq: u64,
    /// The entry's hash.
    pub(crate) hash: EntryHash,
    /// The statement's author key.
    pub(crate) author: custody_format::event::PublicKeyBytes,
    /// The size of the checkpoint's tree.
    pub(crate) tree_size: u64,
}

/// True if `e` says the connection broke, not that it could not be made or
/// trusted.
fn broken(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    matches!(
        e.kind(),
        BrokenPipe | ConnectionAborted | ConnectionReset | UnexpectedEof
    )
}

/// POSTs `body`, asking again after Retry-After while the server is busy,
/// and after a connection that broke.
fn post(
    url: &str,
    body: &[u8],
    ca_cert: Option<&std::path::Path>,
) -> Result<(u16, Value), Failure> {
    let agent = crate::cmd::mirror::agent(ca_cert)?;
    for attempt in 0..=RETRIES {
        let sent = agent
            .post(url)
            .config()
            .http_status_as_error(false)
            .build()
            .header("Content-Type", "application/x-ndjson")
            .send(body);
        let response = match sent {
            // The connection broke (a server that closed it as it came,
            // beyond its connections, or a restart): asked again, which is
            // safe, since a statement registered twice gets its first
            // entry back.
            Err(ureq::Error::Io(e)) if broken(&e) && attempt < RETRIES => {
                eprintln!("{url}: {e}; asking again in 1 s");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            sent => sent.map_err(|e| {
                env(anyhow::anyhow!(
                    "{url}: {e}; nothing is known to be registered: send the file again"
                ))
            })?,
        };
        let status = response.status().as_u16();
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1)
            .min(30);
        let text = response
            .into_body()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| env(anyhow::anyhow!("{url}: {e}; send the file again")))?;
        if status == 503 && attempt < RETRIES {
            eprintln!("{url} is busy; asking again in {wait} s");
            std::thread::sleep(Duration::from_secs(wait));
            continue;
        }
        let value = serde_json::from_slice(&text).unwrap_or(Value::Null);
        return Ok((status, value));
    }
    unreachable!("the last attempt returns")
}
