//! `custody witness`: a minimal C2SP `tlog-witness` (c2sp.org/tlog-witness)
//! that cosigns the checkpoints of the logs it is configured with, after
//! checking each extends the last one it cosigned.
//!
//! It implements `POST /add-checkpoint` and the monitoring read
//! `GET /<hex SHA-256 of the origin>/checkpoint`. For each origin it keeps
//! the latest checkpoint it cosigned (the log's note with its own
//! cosignature) in one file of its state directory. Checking the request's
//! old size against that file, and replacing the file, happen under one
//! lock and before the answer is sent: a crash after a cosignature was
//! returned cannot roll the witness back, and two concurrent requests
//! cannot both pass against the same old state (the race the spec names).
//! The state directory is locked for one process.
//!
//! Cosignatures are `cosignature/v1` (Ed25519, type 0x04), timestamped.
//! The spec recommends ML-DSA-44 for new witnesses; custody has no ML-DSA
//! implementation yet, and the Ed25519 type is what checkpoint verifiers
//! (Go's sumdb/note, Sigsum, custody) accept today.
//!
//! The client side is here too: `custody checkpoint --witness URL=VKEY`
//! sends each new checkpoint to the witnesses with a consistency proof
//! from the size each reports ([`collect_cosignatures`]).

use crate::cmd::key::signing_key;
use crate::exit::{env, CmdResult, Failure};
use clap::{Args, Subcommand};
use custody_ledger::cosign::{cosignature_line, cosigner_verifier_key};
use custody_ledger::keyfile::{public_key_of, SigningKey};
use custody_ledger::store::Ledger;
use custody_verifier::checkpoint::{self as note, Checkpoint};
use custody_verifier::cosignature::{verify_cosignatures, WitnessKey};
use custody_verifier::merkle::{verify_consistency, Hash};
use custody_verifier::proof::VerifierKey;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The largest request accepted: a checkpoint note (64 KiB at most) and
/// 63 proof lines, with room to spare.
const MAX_REQUEST_BYTES: usize = 80 * 1024;
/// Most consistency proof lines a client may send (the spec's bound).
const MAX_PROOF_LINES: usize = 63;

/// `custody witness`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct WitnessArgs {
    #[command(subcommand)]
    command: Option<WitnessCommand>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Print the witness's verifier key (`<name>+<key id>+<base64>`, the
    /// cosignature type 0x04), for `custody checkpoint --witness`,
    /// `custody verify --witness` and `custody mirror --witness`.
    Key(KeyArgs),
}

#[derive(Args)]
struct KeyArgs {
    /// The witness's name (a schema-less URL such as `witness.example/w1`).
    #[arg(long)]
    name: String,
    /// The witness's private key (`custody key generate --out FILE`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
}

#[derive(Args)]
struct ServeArgs {
    /// The witness's name (a schema-less URL such as
    /// `witness.example/w1`); it names the cosignatures.
    #[arg(long)]
    name: Option<String>,
    /// The witness's private key (`custody key generate --out FILE`); use
    /// it for this witness only, never as a ledger key.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Where the witness keeps the latest checkpoint it cosigned of each
    /// log (created if missing; one process at a time).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// A log to witness: its checkpoint verifier key (`<ledger
    /// name>+<key id>+<key>`, as `custody checkpoint` prints). The name is
    /// the log's origin. Repeatable; several keys of one origin are all
    /// trusted.
    #[arg(long, value_name = "VKEY")]
    log: Vec<String>,
    /// The address to listen on (loopback unless told otherwise; put a
    /// reverse proxy with TLS in front to expose it). Port 0 picks a free
    /// port, printed when listening.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7380")]
    listen: String,
}

/// Runs `witness`.
pub(crate) fn run(args: WitnessArgs) -> CmdResult {
    if let Some(WitnessCommand::Key(k)) = args.command {
        let key = signing_key(&k.key)?;
        check_name(&k.name)?;
        println!("{}", cosigner_verifier_key(&k.name, &public_key_of(&key).0));
        return Ok(());
    }
    let s = args.serve;
    let missing = |flag: &str| {
        env(anyhow::anyhow!(
            "custody witness needs {flag} (or `custody witness key` to print its verifier key)"
        ))
    };
    let name = s.name.ok_or_else(|| missing("--name NAME"))?;
    check_name(&name)?;
    let key = signing_key(&s.key.ok_or_else(|| missing("--key FILE"))?)?;
    let state = s.state.ok_or_else(|| missing("--state DIR"))?;
    if s.log.is_empty() {
        return Err(missing("at least one --log VKEY"));
    }
    let mut logs: HashMap<String, Vec<[u8; 32]>> = HashMap::new();
    for text in &s.log {
        let v =
            VerifierKey::parse(text).map_err(|e| env(anyhow::anyhow!("--log {text:?}: {e}")))?;
        logs.entry(v.name).or_default().push(v.key);
    }
    // The cosigned message does not name the cosigner: a key that also
    // signs a log's checkpoints must not cosign them.
    let public = public_key_of(&key).0;
    if logs.values().flatten().any(|k| *k == public) {
        return Err(env(anyhow::anyhow!(
            "--key is a key of a log this witness follows; a witness key serves this witness only: generate one (`custody key generate --out witness.pem`)"
        )));
    }
    std::fs::create_dir_all(&state)
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", state.display())))?;
    let lock = lock_state(&state)?;
    let vkey = cosigner_verifier_key(&name, &public_key_of(&key).0);
    let witness = Arc::new(Witness {
        name,
        key,
        logs,
        state,
        guard: Mutex::new(()),
        _lock: lock,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| env(anyhow::anyhow!("cannot start the server: {e}")))?;
    runtime.block_on(serve(witness, &s.listen, &vkey))
}

fn check_name(name: &str) -> CmdResult {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(env(anyhow::anyhow!(
            "--name {name:?}: a key name is non-empty, with no space and no `+`"
        )));
    }
    Ok(())
}

/// Locks the state directory for this process (released when it exits).
fn lock_state(dir: &Path) -> Result<std::fs::File, Failure> {
    let path = dir.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?;
    file.try_lock().map_err(|_| {
        env(anyhow::anyhow!(
            "{} is in use by another witness process; one state directory serves one witness",
            dir.display()
        ))
    })?;
    Ok(file)
}

async fn serve(witness: Arc<Witness>, listen: &str, vkey: &str) -> CmdResult {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| env(anyhow::anyhow!("cannot listen on {listen}: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| env(anyhow::anyhow!("{listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| env(anyhow::anyhow!("{listen}: {e}")))?;
    let app = axum::Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/{origin_hash}/checkpoint", get(latest))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(witness);
    eprintln!("witness key: {vkey}");
    eprintln!("listening on http://{addr}");
    let _ = std::io::stderr().flush();
    // The server's hardening (HTTP/1.1, header and handshake timeouts,
    // SIGINT/SIGTERM) is `custody serve`'s.
    crate::cmd::serve::serve_http(listener, None, app, None).await
}

/// An HTTP answer: status, content type, body.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Reply {
    fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }
}

impl axum::response::IntoResponse for Reply {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(axum::http::header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}

async fn add_checkpoint(
    axum::extract::State(w): axum::extract::State<Arc<Witness>>,
    request: axum::extract::Request,
) -> Reply {
    // The body within the size bound and the same time as the head: a
    // client that trickles it holds no connection for longer.
    use crate::cmd::serve::{read_body, BodyRead, HEADER_TIMEOUT};
    let body = match read_body(request.into_body(), MAX_REQUEST_BYTES, HEADER_TIMEOUT).await {
        Ok(b) => b,
        Err(BodyRead::Unreadable) => return Reply::text(413, "the request is too large\n"),
        Err(BodyRead::Late) => return Reply::text(408, "the request was not sent in time\n"),
    };
    // Checking, persisting and signing are blocking work (fsync).
    tokio::task::spawn_blocking(move || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let reply = w.add_checkpoint(&body, now);
        // The log line names the log and size asked for (from the request,
        // escaped: it is untrusted) and the answer.
        let asked = parse_request(&body)
            .map(|r| format!("{} size {}", r.checkpoint.origin, r.checkpoint.size))
            .unwrap_or_else(|_| "a malformed request".to_string());
        eprintln!(
            "add-checkpoint {}: {} {}",
            crate::escape::terminal(&asked),
            reply.status,
            crate::escape::terminal(reply.body.lines().next().unwrap_or_default())
        );
        reply
    })
    .await
    .unwrap_or_else(|_| Reply::text(500, "internal error\n"))
}

async fn latest(
    axum::extract::State(w): axum::extract::State<Arc<Witness>>,
    axum::extract::Path(origin_hash): axum::extract::Path<String>,
) -> Reply {
    let valid = origin_hash.len() == 64
        && origin_hash
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Reply::text(404, "not found\n");
    }
    match std::fs::read_to_string(w.state.join(&origin_hash)) {
        Ok(note) => Reply::text(200, note),
        Err(_) => Reply::text(404, "no checkpoint of this log was cosigned\n"),
    }
}

/// The witness: who it is, which logs it trusts, where it keeps state.
struct Witness {
    name: String,
    key: SigningKey,
    logs: HashMap<String, Vec<[u8; 32]>>,
    state: PathBuf,
    /// Held from reading the stored size to replacing it.
    guard: Mutex<()>,
    /// The state directory's lock, held while the process lives.
    _lock: std::fs::File,
}

/// A parsed `add-checkpoint` request body.
struct Request {
    old: u64,
    proof: Vec<Hash>,
    checkpoint: Checkpoint,
}

/// Parses the body: `old N`, proof lines, an empty line, the checkpoint.
fn parse_request(body: &[u8]) -> Result<Request, String> {
    use base64::Engine;
    let body = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let (old_line, mut rest) = body
        .split_once('\n')
        .ok_or("the body has no old size line")?;
    let digits = old_line
        .strip_prefix("old ")
        .ok_or("the first line is not `old <size>`")?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    let old = digits
        .parse::<u64>()
        .ok()
        .filter(|_| canonical)
        .ok_or("the old size is not a decimal without leading zeroes")?;
    let mut proof = Vec::new();
    loop {
        let (line, tail) = rest
            .split_once('\n')
            .ok_or("no empty line before the checkpoint")?;
        rest = tail;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(format!("more than {MAX_PROOF_LINES} proof lines"));
        }
        let hash: Hash = base64::engine::general_purpose::STANDARD
            .decode(line)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or("a proof line is not a 32-byte hash in standard base64")?;
        proof.push(hash);
    }
    let checkpoint = note::parse(rest).map_err(|e| e.to_string())?;
    Ok(Request {
        old,
        proof,
        checkpoint,
    })
}

impl Witness {
    /// Answers one `add-checkpoint` request, as the spec orders the checks.
    fn add_checkpoint(&self, body: &[u8], now: u64) -> Reply {
        let req = match parse_request(body) {
            Ok(r) => r,
            Err(e) => return Reply::text(400, format!("bad request: {e}\n")),
        };
        let cp = &req.checkpoint;
        let Some(keys) = self.logs.get(&cp.origin) else {
            return Reply::text(404, "unknown log origin\n");
        };
        let log_key = match cp.verify_by(keys) {
            Ok(k) => k,
            Err(e) => return Reply::text(403, format!("{e}\n")),
        };
        if req.old > cp.size {
            return Reply::text(
                400,
                format!(
                    "old size {} is larger than the checkpoint's size {}\n",
                    req.old, cp.size
                ),
            );
        }
        let _held = self.guard.lock().unwrap_or_else(|p| p.into_inner());
        let (size, root) = match self.stored(&cp.origin) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("witness state unreadable: {e}");
                return Reply::text(500, "the witness's state is unreadable\n");
            }
        };
        if req.old != size {
            return Reply {
                status: 409,
                content_type: "text/x.tlog.size",
                body: format!("{size}\n"),
            };
        }
        if let Err(e) = verify_consistency(size, cp.size, &root, &cp.root, &req.proof) {
            return Reply::text(
                422,
                format!(
                    "the checkpoint of size {} is not consistent with the one of size {size} this witness cosigned: {e}\n",
                    cp.size
                ),
            );
        }
        let line = cosignature_line(&self.name, &self.key, now.max(1), &cp.text);
        // Only what was verified is kept: the text, the log's signature
        // that verified, and this witness's line. The client's other lines
        // (any number, any size, up to what the parser refuses) never reach
        // the state, which must stay readable whatever a client sends.
        // `verify_by` refuses a note in which any line under the log's name
        // and key id fails, so every such line is one that verified.
        let log_id = custody_format::note::key_id(&cp.origin, &log_key);
        let log_line = cp
            .signatures
            .iter()
            .find(|sig| sig.name == cp.origin && sig.key_id == log_id)
            .and_then(|sig| <[u8; 64]>::try_from(sig.signature.as_slice()).ok())
            .map(|bytes| custody_format::note::signature_line(&cp.origin, &log_key, &bytes))
            .unwrap_or_default();
        if let Err(e) = self.persist(&cp.origin, &format!("{}\n{log_line}{line}", cp.text)) {
            eprintln!("witness state not written: {e}");
            return Reply::text(500, "the witness could not record the checkpoint\n");
        }
        Reply::text(200, line)
    }

    fn state_file(&self, origin: &str) -> PathBuf {
        self.state
            .join(hex::encode(Sha256::digest(origin.as_bytes())))
    }

    /// The size and root of the latest checkpoint cosigned for `origin`
    /// (0 and the empty tree's root if none).
    fn stored(&self, origin: &str) -> Result<(u64, Hash), String> {
        let path = self.state_file(origin);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((0, custody_verifier::merkle::empty_root()))
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let cp = note::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if cp.origin != origin {
            return Err(format!(
                "{}: holds a checkpoint of {:?}",
                path.display(),
                cp.origin
            ));
        }
        Ok((cp.size, cp.root))
    }

    /// Replaces the state of `origin`: a temporary file, fsynced, renamed
    /// over the old one, and the directory fsynced.
    fn persist(&self, origin: &str, cosigned: &str) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.state)?;
        tmp.write_all(cosigned.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(self.state_file(origin)).map_err(|e| e.error)?;
        std::fs::File::open(&self.state)?.sync_all()
    }
}

/// A witness `custody checkpoint --witness URL=VKEY` asks to cosign.
pub(crate) struct WitnessTarget {
    url: String,
    key: WitnessKey,
}

/// Parses `URL=VKEY` (the first `=` splits them; a URL with `=` in it
/// cannot be given). `https://` (rustls, the web's roots) or `http://`.
pub(crate) fn parse_target(arg: &str) -> Result<WitnessTarget, Failure> {
    let (url, vkey) = arg.split_once('=').ok_or_else(|| {
        env(anyhow::anyhow!(
            "--witness {arg:?}: give URL=VKEY (the witness's URL prefix, `=`, and the verifier key `custody witness key` prints)"
        ))
    })?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(env(anyhow::anyhow!(
            "--witness {arg:?}: the URL must start with https:// or http://"
        )));
    }
    let key = WitnessKey::parse(vkey)
        .map_err(|e| env(anyhow::anyhow!("--witness {arg:?}: the verifier key: {e}")))?;
    Ok(WitnessTarget {
        url: url.trim_end_matches('/').to_string(),
        key,
    })
}

/// Asks each witness to cosign `note` (a checkpoint of `ledger`), with a
/// consistency proof from the size the witness reports, and returns the
/// note with every cosignature that verified added, and the names of the
/// witnesses that cosigned. A witness that is down, refuses, or answers
/// with a cosignature that does not verify gets a warning naming it.
pub(crate) fn collect_cosignatures(
    ledger: &Ledger,
    note: &str,
    targets: &[WitnessTarget],
) -> (String, Vec<String>) {
    let cp = match note::parse(note) {
        Ok(cp) => cp,
        Err(e) => {
            crate::exit::warn(&format!(
                "no witness was asked: the checkpoint's note does not parse ({e}); run `custody verify`"
            ));
            return (note.to_string(), Vec::new());
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(15)))
        .build()
        .into();
    let mut lines = String::new();
    let mut cosigned = Vec::new();
    for t in targets {
        match ask_witness(&agent, ledger, &cp, note, t) {
            Ok(line) => {
                lines.push_str(&line);
                cosigned.push(t.key.name.clone());
            }
            Err(why) => crate::exit::warn(&format!(
                "the witness {} ({}) did not cosign: {why}",
                t.key.name, t.url
            )),
        }
    }
    (format!("{note}{lines}"), cosigned)
}

/// One witness: `add-checkpoint` from old size 0, then (on 409) from the
/// size it names. Returns its verified cosignature lines.
fn ask_witness(
    agent: &ureq::Agent,
    ledger: &Ledger,
    cp: &Checkpoint,
    note: &str,
    t: &WitnessTarget,
) -> Result<String, String> {
    use base64::Engine;
    let mut old = 0u64;
    for _ in 0..3 {
        if old > cp.size {
            return Err(format!(
                "it has cosigned a tree of {old} entries of {:?}, larger than this checkpoint's {}: this ledger was rolled back or forked, or another log uses its name and key",
                cp.origin, cp.size
            ));
        }
        let proof = ledger
            .consistency_proof(old, cp.size)
            .map_err(|e| format!("no consistency proof from size {old}: {e}"))?;
        let mut body = format!("old {old}\n");
        for h in &proof {
            body.push_str(&base64::engine::general_purpose::STANDARD.encode(h));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(note);
        let mut resp = agent
            .post(format!("{}/add-checkpoint", t.url))
            .header("Content-Type", "text/plain; charset=utf-8")
            .send(body)
            .map_err(|e| format!("unreachable ({e})"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .map_err(|e| format!("unreadable answer ({e})"))?;
        match status {
            200 => return verified_lines(cp, note, &text, &t.key),
            409 => {
                old = text
                    .strip_suffix('\n')
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("a 409 answer without a size: {:?}", clip(&text)))?;
            }
            _ => {
                return Err(format!(
                    "it answered {status}: {}",
                    clip(text.lines().next().unwrap_or_default())
                ))
            }
        }
    }
    Err("it kept answering 409 (another client is moving it on); try again".to_string())
}

/// The lines of a witness's answer that are its cosignatures of exactly
/// this checkpoint (others ignored); none, or a bad one, is an error.
fn verified_lines(
    cp: &Checkpoint,
    note: &str,
    answer: &str,
    key: &WitnessKey,
) -> Result<String, String> {
    let cosigned = note::parse(&format!("{note}{answer}"))
        .map_err(|e| format!("its answer is not signature lines ({e})"))?;
    if cosigned.text != cp.text || cosigned.signatures.len() < cp.signatures.len() {
        return Err("its answer is not signature lines".to_string());
    }
    verify_cosignatures(&cosigned, std::slice::from_ref(key), 1).map_err(|e| e.to_string())?;
    // One line per witness, and only a verified one: a witness answering
    // with copies of its line (100 of them would push the note past the
    // signature limit every reader keeps) gets one in the note.
    let mine: Option<String> = answer
        .lines()
        .zip(&cosigned.signatures[cp.signatures.len()..])
        .filter(|(_, s)| s.name == key.name && s.key_id == key.key_id)
        .map(|(l, _)| format!("{l}\n"))
        .find(|l| {
            note::parse(&format!("{note}{l}"))
                .is_ok_and(|one| verify_cosignatures(&one, std::slice::from_ref(key), 1).is_ok())
        });
    mine.ok_or_else(|| "its answer holds no cosignature of this checkpoint".to_string())
}

fn clip(s: &str) -> String {
    crate::escape::terminal(&s.chars().take(200).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use custody_ledger::merkle::{consistency_proof, root, MemoryTree};
    use ed25519_dalek::Signer;

    const ORIGIN: &str = "example.org/log";

    fn log_note(key: &SigningKey, tree: &MemoryTree, size: u64) -> String {
        let text = note::note_text(ORIGIN, size, &root(tree, size).unwrap());
        custody_format::note::signed_note(
            &text,
            ORIGIN,
            &key.verifying_key().to_bytes(),
            &key.sign(text.as_bytes()).to_bytes(),
        )
    }

    fn request(old: u64, proof: &[Hash], note: &str) -> Vec<u8> {
        use base64::Engine;
        let mut b = format!("old {old}\n");
        for h in proof {
            b.push_str(&base64::engine::general_purpose::STANDARD.encode(h));
            b.push('\n');
        }
        format!("{b}\n{note}").into_bytes()
    }

    fn tree(n: u32, salt: u8) -> MemoryTree {
        let mut t = MemoryTree::new();
        for i in 0..n {
            t.push(&[&i.to_be_bytes()[..], &[salt]].concat());
        }
        t
    }

    /// Every status of the spec, in one witness's life: first cosignature,
    /// a 409 naming the size, a consistent extension, a fork (422), a
    /// rollback (400), an unknown origin (404), a foreign signer (403), a
    /// malformed body (400); the state survives a restart.
    #[test]
    fn the_witness_answers_as_the_spec_says() {
        let dir = tempfile::tempdir().unwrap();
        let log = SigningKey::from_bytes(&[1; 32]);
        let wkey = SigningKey::from_bytes(&[2; 32]);
        let make = || Witness {
            name: "w.example/1".into(),
            key: SigningKey::from_bytes(&[2; 32]),
            logs: HashMap::from([(ORIGIN.to_string(), vec![log.verifying_key().to_bytes()])]),
            state: dir.path().to_path_buf(),
            guard: Mutex::new(()),
            _lock: tempfile::tempfile().unwrap(),
        };
        let w = make();
        let t = tree(20, 0);
        let n5 = log_note(&log, &t, 5);
        let r = w.add_checkpoint(&request(0, &[], &n5), 1_700_000_000);
        assert_eq!(r.status, 200, "{r:?}");
        let wk = WitnessKey::parse(&cosigner_verifier_key(
            "w.example/1",
            &wkey.verifying_key().to_bytes(),
        ))
        .unwrap();
        let cosigned = note::parse(&format!("{n5}{}", r.body)).unwrap();
        assert_eq!(verify_cosignatures(&cosigned, &[wk], 1).unwrap().len(), 1);
        // A client that does not know the witness's size learns it.
        let n9 = log_note(&log, &t, 9);
        let r = w.add_checkpoint(&request(0, &[], &n9), 1_700_000_001);
        assert_eq!(
            (r.status, r.content_type, r.body.as_str()),
            (409, "text/x.tlog.size", "5\n")
        );
        let w = make(); // a restart keeps the state
        let proof = consistency_proof(&t, 5, 9).unwrap();
        assert_eq!(
            w.add_checkpoint(&request(5, &proof, &n9), 1_700_000_002)
                .status,
            200
        );
        // A fork: another tree of the same origin and key, bigger.
        let f = tree(20, 1);
        let fork = log_note(&log, &f, 12);
        let proof = consistency_proof(&f, 9, 12).unwrap();
        assert_eq!(
            w.add_checkpoint(&request(9, &proof, &fork), 1_700_000_003)
                .status,
            422
        );
        // The same size with another root.
        assert_eq!(
            w.add_checkpoint(&request(9, &[], &log_note(&log, &f, 9)), 1)
                .status,
            422
        );
        // Rolled back: old size above the checkpoint's.
        assert_eq!(w.add_checkpoint(&request(9, &[], &n5), 1).status, 400);
        let stranger = SigningKey::from_bytes(&[3; 32]);
        assert_eq!(
            w.add_checkpoint(&request(9, &[], &log_note(&stranger, &t, 9)), 1)
                .status,
            403
        );
        let other = log_note(&log, &t, 9).replace(ORIGIN, "other.example/log");
        assert_eq!(w.add_checkpoint(&request(0, &[], &other), 1).status, 404);
        assert_eq!(w.add_checkpoint(b"old 01\n\nx", 1).status, 400);
        let too_many = request(9, &vec![[0; 32]; 64], &n9);
        assert_eq!(w.add_checkpoint(&too_many, 1).status, 400);
        // A size-0 checkpoint must have the empty tree's root.
        let zero = log_note(&log, &t, 0);
        assert_eq!(
            make_fresh(&log)
                .add_checkpoint(&request(0, &[], &zero), 1)
                .status,
            200
        );
        let bad_zero_text = note::note_text(ORIGIN, 0, &[7; 32]);
        let bad_zero = custody_format::note::signed_note(
            &bad_zero_text,
            ORIGIN,
            &log.verifying_key().to_bytes(),
            &log.sign(bad_zero_text.as_bytes()).to_bytes(),
        );
        assert_eq!(
            make_fresh(&log)
                .add_checkpoint(&request(0, &[], &bad_zero), 1)
                .status,
            422
        );
        // Nothing above changed the state: still size 9.
        assert_eq!(w.stored(ORIGIN).unwrap().0, 9);
    }

    /// Review finding (high): the witness stores the client's note as
    /// sent, with its own line added. Anyone holding the log's (public)
    /// checkpoint can pad it with signature lines of unknown keys up to the
    /// parser's limit and resubmit it at the witness's size: the witness
    /// cosigns and stores a file it can no longer parse, and answers 500 to
    /// every later request for that log, the log's own included.
    #[test]
    fn a_padded_note_does_not_leave_the_witness_unable_to_read_its_state() {
        use base64::Engine;
        let log = SigningKey::from_bytes(&[1; 32]);
        let w = make_fresh(&log);
        let t = tree(20, 0);
        let n5 = log_note(&log, &t, 5);
        assert_eq!(w.add_checkpoint(&request(0, &[], &n5), 1).status, 200);
        let mut padded = n5.clone();
        for i in 0..note::MAX_SIGNATURES - 1 {
            let blob = base64::engine::general_purpose::STANDARD.encode([i as u8; 68]);
            padded.push_str(&format!("\u{2014} junk.example/{i} {blob}\n"));
        }
        // Accepted or refused, either is the witness's choice; what must
        // not happen is that the log's next checkpoint cannot be cosigned.
        let _ = w.add_checkpoint(&request(5, &[], &padded), 2);
        let n9 = log_note(&log, &t, 9);
        let proof = consistency_proof(&t, 5, 9).unwrap();
        let r = w.add_checkpoint(&request(5, &proof, &n9), 3);
        assert_eq!(r.status, 200, "{r:?}");
    }

    fn make_fresh(log: &SigningKey) -> Witness {
        let dir = tempfile::tempdir().unwrap().keep();
        Witness {
            name: "w.example/1".into(),
            key: SigningKey::from_bytes(&[2; 32]),
            logs: HashMap::from([(ORIGIN.to_string(), vec![log.verifying_key().to_bytes()])]),
            state: dir,
            guard: Mutex::new(()),
            _lock: tempfile::tempfile().unwrap(),
        }
    }

    /// A witness answering with copies of its line gets one in the note
    /// (enough of them would push it past the signature limit readers keep).
    #[test]
    fn one_line_per_witness_whatever_it_answers() {
        let log = SigningKey::from_bytes(&[1; 32]);
        let wkey = SigningKey::from_bytes(&[2; 32]);
        let t = tree(20, 0);
        let n5 = log_note(&log, &t, 5);
        let cp = note::parse(&n5).unwrap();
        let line = cosignature_line("w.example/1", &wkey, 1_700_000_000, &cp.text);
        let wk = WitnessKey::parse(&cosigner_verifier_key(
            "w.example/1",
            &wkey.verifying_key().to_bytes(),
        ))
        .unwrap();
        let answer = line.repeat(50);
        assert_eq!(verified_lines(&cp, &n5, &answer, &wk).unwrap(), line);
    }
}
