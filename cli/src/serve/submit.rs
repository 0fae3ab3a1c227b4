//! `POST /v1/statements`: statements signed in the field (`custody sign`),
//! registered by the server (issue 13; docs/design/format-v3.md §4).
//!
//! Investigators need no account here: a statement's author signature is
//! its authentication, and the chain rules refuse an author who does not
//! hold `investigator` (or whose key was revoked before the statement
//! arrived). The body is statement lines (one or many); every line is read
//! and checked first (`custody_ledger::statement_line`: strict JSON,
//! claims, the author's signature, each disclosure against its
//! commitment), and a body with a bad line is refused whole (400, every
//! bad line named), so a client never has to guess which of its lines went
//! in.
//!
//! The checked statements go to the committer (`custody_ledger::committer`)
//! as one job: it gathers the jobs of concurrent requests into one durable
//! commit closed by a seal and a checkpoint, and the answer comes only once
//! that commit is on disk. Each statement gets a receipt: its entry (seq,
//! hash and stored bytes), its inclusion proof and the signed checkpoint
//! note it holds against, so the client can check that the ledger holds
//! exactly its statement without trusting the server; or its refusal, in
//! the CLI's words. A statement already registered (a retry after a lost
//! answer) gets its entry back (`existing: true`), never a second entry.
//! When the server holds [`MAX_IN_FLIGHT`] statements not yet answered, or
//! the committer's queue is full, the answer is 503 with Retry-After:
//! memory stays bounded, and nothing is taken that is not then committed.
//! A receipt proves what it says to a client that holds the key the
//! checkpoint must be signed by (`custody submit --log-key`).

use super::{ApiError, Shared};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use custody_ledger::committer::{Job, Outcome, SubmitError};
use custody_ledger::statement_line::{StatementLineItemError, StatementLineReader};
use custody_ledger::store::{Submission, Submitted};
use serde_json::{json, Value};

/// The largest body of `POST /v1/statements`: some thousands of statements.
pub(crate) const MAX_STATEMENTS_BODY: u64 = 8 << 20;

/// Statements in one request at most.
const MAX_STATEMENTS: usize = 10_000;

/// Statements taken and not yet answered, over all requests: what bounds
/// the server's memory (the committer's queue counts jobs, and one job may
/// hold up to [`MAX_STATEMENTS`]). Beyond it a request is answered 503.
pub(crate) const MAX_IN_FLIGHT: usize = 50_000;

/// Bad lines named in a 400 at most (the count goes on).
const MAX_LISTED: usize = 100;

/// `POST /v1/statements`.
pub(crate) async fn statements(State(state): State<Shared>, body: Bytes) -> Response {
    let Some(committer) = state.committer.clone() else {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "this server takes no statements: it was started without --key",
            Some("start `custody serve` with --key REGISTRAR.pem to register statements"),
        )
        .into_response();
    };
    // Parsing and strict signature checks, off the async threads: a large
    // request must not stall the server's reads.
    let submissions = match tokio::task::spawn_blocking(move || read(&body)).await {
        Ok(Ok(s)) => s,
        Ok(Err(response)) => return *response,
        Err(_) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request could not be read",
                None,
            )
            .into_response()
        }
    };
    let Ok(_permit) = state
        .statements_in_flight
        .clone()
        .try_acquire_many_owned(submissions.len() as u32)
    else {
        return busy();
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = Job {
        events: submissions,
        reply: Box::new(move |r| {
            let _ = tx.send(r);
        }),
    };
    match committer.submit(job) {
        Ok(()) => {}
        Err(SubmitError::Busy(_)) => return busy(),
        Err(SubmitError::Stopped(_)) => {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is stopping; nothing of this request was taken",
                Some("send the statements again to the server when it is back"),
            )
            .into_response();
        }
    }
    let outcomes = match rx.await {
        Ok(Ok(outcomes)) => outcomes,
        Ok(Err(e)) => {
            eprintln!("error: {}", crate::escape::terminal(&e.to_string()));
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the commit failed; none of these statements is known to be registered",
                Some(
                    "send the same statements again (one registered meanwhile gets its entry back)",
                ),
            )
            .into_response();
        }
        Err(_) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the committer stopped before answering",
                Some("send the same statements again"),
            )
            .into_response()
        }
    };
    receipts(outcomes)
}

/// 503 with Retry-After: the server holds as much as it may.
fn busy() -> Response {
    let mut r = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is busy: its commit queue is full; nothing of this request was taken",
        Some("send the same statements again in a moment (a statement registered twice gets its first entry back)"),
    )
    .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// The body's statements, or the 400 that names its bad lines (the first
/// [`MAX_LISTED`]). Reading stops past [`MAX_STATEMENTS`] lines.
fn read(body: &[u8]) -> Result<Vec<Submission>, Box<Response>> {
    let mut out = Vec::new();
    let mut errors: Vec<Value> = Vec::new();
    let mut bad = 0usize;
    let now = custody_ledger::clock::now();
    for item in StatementLineReader::new(body) {
        if out.len() + bad > MAX_STATEMENTS {
            break;
        }
        match item {
            Ok((line, r)) => match r.check_signed_at(now) {
                Ok(()) => out.push(Submission::Statement(Submitted::from(r))),
                // Registration's policy on the author's clock (the CLI's
                // words): the line is refused like a malformed one.
                Err(e) => {
                    bad += 1;
                    if errors.len() < MAX_LISTED {
                        errors.push(json!({
                            "line": line, "field": "signed_at",
                            "error": crate::cmd::append_signed::signed_ahead(&e),
                        }));
                    }
                }
            },
            Err(StatementLineItemError::Line(e)) => {
                bad += 1;
                if errors.len() < MAX_LISTED {
                    errors.push(json!({"line": e.line, "error": e.error.to_string()}));
                }
            }
            Err(StatementLineItemError::Read(e)) => {
                bad += 1;
                errors.push(json!({"line": e.line, "error": e.error.to_string()}));
                break;
            }
        }
    }
    let refuse = |message: String, advice: &str, errors: Vec<Value>| {
        let body = json!({"error": message, "advice": advice, "lines": errors});
        Box::new((StatusCode::BAD_REQUEST, super::routes::json_response(body)).into_response())
    };
    if out.len() + bad > MAX_STATEMENTS {
        return Err(refuse(
            format!("the request holds more than {MAX_STATEMENTS} statements"),
            "send them in several requests",
            vec![],
        ));
    }
    if !errors.is_empty() {
        return Err(refuse(
            format!(
                "{bad} line(s) of the request are refused (the first {} named); nothing of it was taken",
                errors.len()
            ),
            "fix or drop the lines named and send the request again",
            errors,
        ));
    }
    if out.is_empty() {
        return Err(refuse(
            "the request holds no statement".into(),
            "send statement lines as `custody sign` writes them",
            vec![],
        ));
    }
    Ok(out)
}

/// One receipt or refusal per statement, in the order sent. 200 if any was
/// registered, 422 if every one was refused. Everything comes from the
/// committer: no store is opened here (a read-only open replays the
/// governance index, which every group's checkpoint lengthens).
fn receipts(outcomes: Vec<Outcome>) -> Response {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut any = false;
    let mut items = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        items.push(match o {
            Outcome::Appended(r) => {
                any = true;
                json!({
                    "seq": r.entry.seq,
                    "hash": r.entry.hash,
                    "existing": r.existing,
                    "entry": b64.encode(&r.entry_bytes),
                    "inclusion_proof": r.proof.iter().map(hex::encode).collect::<Vec<_>>(),
                    "checkpoint": r.checkpoint.note,
                })
            }
            Outcome::Refused(reason) => json!({
                "refused": reason.plain(),
                "rule": reason.rule().name(),
            }),
        });
    }
    let status = if any {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        super::routes::json_response(json!({"receipts": items})),
    )
        .into_response()
}
