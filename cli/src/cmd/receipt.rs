//! Receipts kept: `custody submit --receipts FILE` writes each receipt it
//! checked, and `custody verify --receipts FILE --log-key KEY` checks them
//! again later, offline: no server, no store.
//!
//! A receipt (`custody-receipt/1`, one JSON object per line) holds what the
//! server answered for one statement — the entry that carries it (base64),
//! its seq and hash, its RFC 9162 inclusion proof and the signed C2SP
//! checkpoint the proof holds against — and the statement's id and ledger
//! as the submitter sent them. Checking one is exactly what `submit` did on
//! receipt ([`crate::cmd::submit::check_receipt`]): the entry hashes to
//! the hash given and sits at the seq given, carries that very statement
//! (its id is the digest the author signed), and is a leaf of the
//! checkpoint's tree, which is of the statement's ledger, covers the entry
//! and is signed by the log key given. A receipt file can be cut, reordered
//! or edited downstream like any file: each line stands alone, and one
//! that no longer holds is named by its line.

use crate::exit::{refused, CmdResult};
use crate::output::{print_json, Context};
use custody_format::statement::StatementId;
use serde_json::{json, Value};
use std::path::Path;

/// The receipt format's id, the first field of every line.
pub(crate) const FORMAT: &str = "custody-receipt/1";

/// The largest receipt file read (a receipt is a few KiB).
const MAX_FILE: usize = 256 << 20;

/// A receipt line: the server's receipt `r` for statement `id` of `ledger`.
pub(crate) fn line(r: &Value, id: &StatementId, ledger: &str) -> Value {
    json!({
        "receipt": FORMAT,
        "statement": id.to_string(),
        "ledger": ledger,
        "seq": r["seq"],
        "hash": r["hash"],
        "entry": r["entry"],
        "inclusion_proof": r["inclusion_proof"],
        "checkpoint": r["checkpoint"],
    })
}

/// What one line says, once it holds.
struct Held {
    statement: String,
    author: String,
    seq: u64,
    hash: String,
    ledger: String,
    tree_size: u64,
}

/// Checks one line of a receipt file.
fn check_line(text: &str, log_key: [u8; 32]) -> Result<Held, String> {
    let r = custody_format::json::parse_strict(text.as_bytes())
        .map_err(|e| format!("not a receipt: {e}"))?;
    if r["receipt"] != FORMAT {
        return Err(format!(
            "not a receipt: its field \"receipt\" is not {FORMAT:?} (a line `custody submit --receipts` writes)"
        ));
    }
    let id = r["statement"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .map(StatementId)
        .ok_or("field \"statement\": not 64 hex digits")?;
    let ledger = r["ledger"]
        .as_str()
        .ok_or("field \"ledger\": missing or not a string")?;
    let c =
        crate::cmd::submit::check_receipt(&r, &id, ledger, log_key).map_err(|e| e.to_string())?;
    Ok(Held {
        statement: id.to_string(),
        author: c.author.to_hex(),
        seq: c.seq,
        hash: c.hash.to_hex(),
        ledger: ledger.to_string(),
        tree_size: c.tree_size,
    })
}

/// Runs `verify --receipts FILE --log-key KEY`.
pub(crate) fn verify(ctx: &Context, path: &Path, log_key: &str) -> CmdResult {
    let key = crate::pubkey::public_key_arg("--log-key", log_key)?.0;
    let shown = crate::escape::path(path);
    let bytes = crate::cmd::verify::read_limited(path, MAX_FILE)?;
    if bytes.len() > MAX_FILE {
        return Err(refused(anyhow::anyhow!(
            "{shown} is over {} MiB: not a receipt file",
            MAX_FILE >> 20
        )));
    }
    let (mut held, mut failed) = (0usize, Vec::new());
    // Line by line, each on its own: a byte that is not UTF-8 spoils its
    // line only. A byte order mark (an editor's) is not part of line 1.
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let checked = std::str::from_utf8(raw)
            .map_err(|e| format!("not UTF-8 text: {e}"))
            .and_then(|line| check_line(line, key));
        match checked {
            Ok(h) => {
                held += 1;
                if ctx.json {
                    print_json(&json!({
                        "line": n, "valid": true, "statement": h.statement, "author": h.author,
                        "ledger": h.ledger, "seq": h.seq, "hash": h.hash, "tree_size": h.tree_size,
                    }));
                } else {
                    println!(
                        "line {n}: statement {} by key {} is entry {} ({}) of {:?}, in its checkpoint of {} entries signed by the log key",
                        &h.statement[..16],
                        &h.author[..16],
                        h.seq,
                        &h.hash[..16],
                        crate::escape::terminal(&h.ledger),
                        h.tree_size
                    );
                }
            }
            Err(why) => {
                let why = crate::escape::terminal(&why);
                if ctx.json {
                    print_json(&json!({"line": n, "valid": false, "error": why}));
                } else {
                    println!("line {n}: DOES NOT HOLD: {why}");
                }
                failed.push(n);
            }
        }
    }
    if held + failed.len() == 0 {
        return Err(refused(anyhow::anyhow!(
            "{shown} holds no receipt (`custody submit --receipts FILE` writes them)"
        )));
    }
    if !failed.is_empty() {
        return Err(refused(anyhow::anyhow!(
            "INVALID: {} of {} receipts in {shown} do not hold (lines {}): the file was altered, or the receipts are not of this log key; ask the submitter for the file they kept",
            failed.len(),
            held + failed.len(),
            failed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )));
    }
    if !ctx.json {
        let (all, hold) = if held == 1 {
            ("the receipt".to_string(), "holds")
        } else {
            (format!("all {held} receipts"), "hold")
        };
        eprintln!(
            "VALID: {all} in {shown} {hold}: each statement is in the ledger, proved in a checkpoint signed by the log key"
        );
    }
    Ok(())
}
