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
//!
//! What a client can make the server hold is bounded at every step, and
//! the bound is owned by the work, not by the request's future (which
//! hyper drops when the client goes away, while the work goes on):
//! the body must arrive within [`STATEMENTS_BODY_TIMEOUT`] and
//! [`MAX_STATEMENTS_BODY`] bytes (408, 413: `super::bound_body` reads
//! it); at most [`parse_slots`]
//! bodies are parsed and checked at once (the others wait, then 503); and
//! statements handed to the committer hold their places among
//! [`MAX_IN_FLIGHT`] until it has answered (503 when there is no room, or
//! when the committer's queue is full). Every 503 carries Retry-After:
//! memory and CPU stay bounded, and nothing is taken that is not then
//! committed.
//! A receipt proves what it says to a client that holds the key the
//! checkpoint must be signed by (`custody submit --log-key`).

use super::{ApiError, Shared};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use custody_format::text::with_hex;
use custody_ledger::committer::{Job, Outcome, SubmitError};
use custody_ledger::statement_line::{StatementLineItemError, StatementLineReader};
use custody_ledger::store::{Submission, Submitted};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The largest body of `POST /v1/statements`: some thousands of statements.
pub(crate) const MAX_STATEMENTS_BODY: u64 = 8 << 20;

/// How long a body of statements may take to arrive once its request's
/// head is in: the largest (8 MiB) needs about 2.3 Mbit/s. A client that
/// trickles its body holds its connection and its buffer no longer.
pub(crate) const STATEMENTS_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Statements in one request at most.
const MAX_STATEMENTS: usize = 10_000;

/// Statements taken and not yet answered, over all requests: what bounds
/// the server's memory (the committer's queue counts jobs, and one job may
/// hold up to [`MAX_STATEMENTS`]). Beyond it a request is answered 503.
pub(crate) const MAX_IN_FLIGHT: usize = 50_000;

/// The request bodies the server holds at once, at most, in KiB (256 MiB):
/// every body is read whole before its route runs and kept until its
/// request is answered, and nothing else bounds how many clients send one
/// at a time (`super::bound_body` answers 503 beyond it).
pub(crate) const BODY_BUDGET_KIB: u32 = 256 * 1024;

/// How long a request waits for a parse slot ([`parse_slots`]) before it
/// is answered 503.
const PARSE_WAIT: Duration = Duration::from_secs(10);

/// Bad lines named in a 400 at most (the count goes on).
const MAX_LISTED: usize = 100;

/// What `custody serve` may lower for its tests (hidden flags,
/// docs/SERVING.md): never raise.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatementLimits {
    /// Statements taken and not yet answered at most ([`MAX_IN_FLIGHT`]).
    pub(crate) in_flight: usize,
    /// How long a body may take to arrive ([`STATEMENTS_BODY_TIMEOUT`]).
    pub(crate) body_timeout: Duration,
    /// Request bodies held at once, in KiB ([`BODY_BUDGET_KIB`]).
    pub(crate) body_budget_kib: u32,
}

impl Default for StatementLimits {
    fn default() -> StatementLimits {
        StatementLimits {
            in_flight: MAX_IN_FLIGHT,
            body_timeout: STATEMENTS_BODY_TIMEOUT,
            body_budget_kib: BODY_BUDGET_KIB,
        }
    }
}

/// Requests whose statements are parsed and checked at once, at most: one
/// per core. A request may carry [`MAX_STATEMENTS`] strict signature
/// checks, and nothing else bounds how many arrive together; the others
/// wait for a slot (up to [`PARSE_WAIT`]), so the CPU work under way is
/// bounded whatever the number of clients.
pub(crate) fn parse_slots() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

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
    let inline = body.len() <= INLINE_PARSE_MAX;
    let submissions = match in_parse_slot(&state.statement_parses, PARSE_WAIT, inline, move || {
        read(&body)
    })
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(response)) => return *response,
        Err(ParseSlot::Busy) => return busy(),
        Err(ParseSlot::Failed) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request could not be read",
                None,
            )
            .into_response()
        }
    };
    register(&state.statements_in_flight, submissions, |job| {
        committer.submit(job)
    })
    .await
}

/// Why a parse did not run to its end.
#[derive(Debug)]
enum ParseSlot {
    /// No slot came free within the wait.
    Busy,
    /// The work panicked.
    Failed,
}

/// Bodies at most this large (a few statements: one is about 1 KiB) are
/// parsed and checked on the request's own async thread when a parse slot
/// is free at once: the work is a few hundred microseconds at most, less
/// than handing it to a blocking thread and waking the request again costs
/// in thread switches under load.
const INLINE_PARSE_MAX: usize = 16 * 1024;

/// Runs `work` (parsing and strict signature checks) once one of `slots`
/// is free (waiting up to `wait`): at once on this thread if `inline` and a
/// slot is free now, or else on a blocking thread, off the async threads.
/// The slot is the work's, not this future's: a client that goes away
/// drops the future, while the blocking work runs on; the slot comes free
/// when the work ends.
async fn in_parse_slot<T: Send + 'static>(
    slots: &Arc<Semaphore>,
    wait: Duration,
    inline: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ParseSlot> {
    if inline {
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                .map_err(|_| ParseSlot::Failed);
            drop(slot);
            return out;
        }
    }
    let slot = match tokio::time::timeout(wait, slots.clone().acquire_owned()).await {
        Ok(Ok(slot)) => slot,
        Ok(Err(_)) | Err(_) => return Err(ParseSlot::Busy),
    };
    tokio::task::spawn_blocking(move || {
        let out = work();
        drop(slot);
        out
    })
    .await
    .map_err(|_| ParseSlot::Failed)
}

/// Takes the submissions' places among those in flight (503 if there are
/// none), hands them to the committer through `submit` and answers with
/// its outcome.
///
/// The places belong to the job, not to this future: hyper drops the
/// future of a client that goes away, while its job waits in the
/// committer's queue; the places come free only once the committer has
/// answered (and the answer is built, or nobody waits for it). So the
/// statements held in memory stay within the bound, whatever clients do.
async fn register(
    in_flight: &Arc<Semaphore>,
    submissions: Vec<Submission>,
    submit: impl FnOnce(Job) -> Result<(), SubmitError>,
) -> Response {
    let places = u32::try_from(submissions.len()).unwrap_or(u32::MAX);
    let Ok(permit) = in_flight.clone().try_acquire_many_owned(places) else {
        return busy();
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = Job {
        events: submissions,
        reply: Box::new(move |r| {
            // The places go with the answer; if nobody waits for it, both
            // are dropped here.
            let _ = tx.send((r, permit));
        }),
    };
    match submit(job) {
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
    let (outcomes, _places) = match rx.await {
        Ok((Ok(outcomes), places)) => (outcomes, places),
        Ok((Err(e), _)) => {
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
pub(super) fn busy() -> Response {
    let mut r = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is busy: it holds as many statements as it may; nothing of this request was taken",
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
                if errors.len() < MAX_LISTED {
                    errors.push(json!({"line": e.line, "error": e.error.to_string()}));
                }
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
    let (status, body) = receipts_body(&outcomes);
    let mut response = super::routes::json_response_text(body);
    *response.status_mut() = status;
    response
}

/// The status and the JSON text of [`receipts`]: `{"receipts": [...]}`,
/// each item a receipt or a refusal (docs/SERVING.md). Written through
/// typed items rather than a `serde_json::Value` tree, which cost a
/// request thread about as much to build as to print, with the keys in
/// the order a `Value` map prints them (sorted), so the bytes are those
/// of the tree it replaced.
fn receipts_body(outcomes: &[Outcome]) -> (StatusCode, String) {
    #[derive(serde::Serialize)]
    #[serde(untagged)]
    enum Item<'a> {
        Appended {
            checkpoint: &'a str,
            entry: String,
            existing: bool,
            hash: &'a custody_format::event::EntryHash,
            inclusion_proof: Vec<String>,
            seq: u64,
        },
        Refused {
            refused: String,
            rule: &'static str,
        },
    }
    #[derive(serde::Serialize)]
    struct Body<'a> {
        receipts: Vec<Item<'a>>,
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let items: Vec<Item<'_>> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Appended(r) => Item::Appended {
                checkpoint: &r.checkpoint.note,
                entry: b64.encode(&r.entry_bytes),
                existing: r.existing,
                hash: &r.entry.hash,
                inclusion_proof: r.proof.iter().map(|h| with_hex(h, str::to_owned)).collect(),
                seq: r.entry.seq,
            },
            Outcome::Refused(reason) => Item::Refused {
                refused: reason.plain(),
                rule: reason.rule().name(),
            },
        })
        .collect();
    let status = if items.iter().any(|i| matches!(i, Item::Appended { .. })) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let text = serde_json::to_string(&Body { receipts: items })
        .expect("receipts serialise: strings, numbers and hex only");
    (status, text)
}

#[cfg(test)]
mod tests {
    //! The bounds hold when a client goes away: hyper then drops the
    //! request's future, and what the future owned is released, while the
    //! work it started (a parse on a blocking thread, a job in the
    //! committer's queue) goes on holding memory or a core.

    use super::*;
    use std::sync::Mutex;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    fn submissions(n: usize) -> Vec<Submission> {
        (0..n)
            .map(|i| Submission::Event(custody_testkit::events::sighting(&format!("UA-{i:04}"))))
            .collect()
    }

    /// A job queued for the committer keeps its statements' places after
    /// its request is gone, until the committer answers it.
    #[test]
    fn a_queued_job_keeps_its_places_after_its_client_went_away() {
        runtime().block_on(async {
            let in_flight = Arc::new(Semaphore::new(10));
            let queue: Arc<Mutex<Option<Job>>> = Arc::default();
            let (sem, q) = (in_flight.clone(), queue.clone());
            let request = tokio::spawn(async move {
                register(&sem, submissions(3), move |job| {
                    *q.lock().unwrap() = Some(job);
                    Ok(())
                })
                .await
            });
            while queue.lock().unwrap().is_none() {
                tokio::task::yield_now().await;
            }
            assert_eq!(in_flight.available_permits(), 7);
            // The client closes its connection: hyper drops the future.
            request.abort();
            assert!(request.await.unwrap_err().is_cancelled());
            assert_eq!(
                in_flight.available_permits(),
                7,
                "the places of statements still queued were released"
            );
            let job = queue.lock().unwrap().take().unwrap();
            assert_eq!(job.events.len(), 3);
            // The committer answers (nobody listens any more).
            (job.reply)(Ok(vec![]));
            assert_eq!(in_flight.available_permits(), 10);
        });
    }

    /// A request that waits for its answer holds its places until then;
    /// one over the bound, or refused by a full queue, holds none and
    /// hears 503 with Retry-After.
    #[test]
    fn places_are_held_until_the_answer_and_none_is_taken_when_busy() {
        runtime().block_on(async {
            let in_flight = Arc::new(Semaphore::new(4));
            // More statements than places: 503, nothing queued.
            let over = register(&in_flight, submissions(5), |_| {
                panic!("a request over the bound reached the committer")
            })
            .await;
            assert_eq!(over.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(over.headers()[header::RETRY_AFTER], "1");
            // A full queue hands the job back: 503, its places released.
            let full = register(&in_flight, submissions(2), |job| {
                Err(SubmitError::Busy(job))
            })
            .await;
            assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(full.headers()[header::RETRY_AFTER], "1");
            assert_eq!(in_flight.available_permits(), 4);
            // Answered: places held while waiting, released after.
            let queue: Arc<Mutex<Option<Job>>> = Arc::default();
            let (sem, q) = (in_flight.clone(), queue.clone());
            let request = tokio::spawn(async move {
                register(&sem, submissions(4), move |job| {
                    *q.lock().unwrap() = Some(job);
                    Ok(())
                })
                .await
            });
            while queue.lock().unwrap().is_none() {
                tokio::task::yield_now().await;
            }
            let again = register(&in_flight, submissions(1), |_| {
                panic!("a request with no room reached the committer")
            })
            .await;
            assert_eq!(again.status(), StatusCode::SERVICE_UNAVAILABLE);
            let job = queue.lock().unwrap().take().unwrap();
            (job.reply)(Ok(vec![]));
            let answer = request.await.unwrap();
            // No outcome for four statements: every one unregistered, 422.
            assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(in_flight.available_permits(), 4);
        });
    }

    /// A parse keeps its slot until it ends, even once its request is
    /// gone; while every slot is taken, another request waits, then hears
    /// that the server is busy.
    #[test]
    fn a_parse_keeps_its_slot_until_it_ends_and_bounds_the_parses_under_way() {
        runtime().block_on(async {
            let slots = Arc::new(Semaphore::new(1));
            let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
            let (finish, finish_rx) = std::sync::mpsc::channel::<()>();
            let s = slots.clone();
            let request = tokio::spawn(async move {
                in_parse_slot(&s, Duration::from_secs(60), false, move || {
                    let _ = started_tx.send(());
                    finish_rx.recv().ok();
                })
                .await
            });
            started.await.unwrap();
            assert_eq!(slots.available_permits(), 0);
            request.abort();
            assert!(request.await.unwrap_err().is_cancelled());
            assert_eq!(
                slots.available_permits(),
                0,
                "the slot of a parse still running was released"
            );
            // Every slot taken: the next request waits, then is refused,
            // and its work never runs.
            let refused = in_parse_slot::<()>(&slots, Duration::from_millis(20), false, || {
                panic!("a parse ran beyond the slots")
            })
            .await;
            assert!(matches!(refused, Err(ParseSlot::Busy)), "{refused:?}");
            // The first parse ends: its slot comes free.
            finish.send(()).unwrap();
            let slot = slots.acquire().await.unwrap();
            drop(slot);
            assert_eq!(
                in_parse_slot(&slots, Duration::from_secs(60), false, || 42)
                    .await
                    .unwrap(),
                42
            );
            assert_eq!(slots.available_permits(), 1);
            // A small body is parsed on the request's own thread, in a slot
            // like any other: none free, it waits too, then is refused.
            let here = std::thread::current().id();
            let ran_on = in_parse_slot(&slots, Duration::from_secs(60), true, move || {
                std::thread::current().id()
            })
            .await
            .unwrap();
            assert_eq!(ran_on, here, "a small body's parse left its thread");
            assert_eq!(slots.available_permits(), 1);
            let taken = slots.clone().acquire_owned().await.unwrap();
            let refused = in_parse_slot::<()>(&slots, Duration::from_millis(20), true, || {
                panic!("an inline parse ran beyond the slots")
            })
            .await;
            assert!(matches!(refused, Err(ParseSlot::Busy)), "{refused:?}");
            drop(taken);
            // A panicking parse frees its slot and is answered as a failure.
            let failed = in_parse_slot::<()>(&slots, Duration::from_secs(60), true, || {
                panic!("a parse failed")
            })
            .await;
            assert!(matches!(failed, Err(ParseSlot::Failed)), "{failed:?}");
            assert_eq!(slots.available_permits(), 1);
        });
    }

    /// The typed receipts print exactly what the `serde_json::Value` tree
    /// they replaced printed (keys sorted, the same values), for a receipt
    /// and a refusal, and the status follows whether any was registered.
    #[test]
    fn receipts_print_the_bytes_the_value_tree_printed() {
        use custody_format::event::EntryHash;
        use custody_ledger::committer::{Checkpointed, Receipt};
        use custody_ledger::store::{Appended, Refusal};
        let entry = Appended {
            seq: 41,
            hash: EntryHash([0xab; 32]),
        };
        let checkpoint = Arc::new(Checkpointed {
            entry: Appended {
                seq: 43,
                hash: EntryHash([1; 32]),
            },
            size: 43,
            note: "t\n43\nAAAA\n\n\u{2014} t sig\n".into(),
        });
        let receipt = || {
            Outcome::Appended(Receipt {
                entry,
                existing: true,
                entry_bytes: vec![0, 1, 2, 250],
                proof: vec![[7; 32], [8; 32]],
                checkpoint: checkpoint.clone(),
            })
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let appended = json!({
            "seq": 41,
            "hash": EntryHash([0xab; 32]),
            "existing": true,
            "entry": b64.encode([0, 1, 2, 250]),
            "inclusion_proof": [hex::encode([7; 32]), hex::encode([8; 32])],
            "checkpoint": checkpoint.note,
        });
        let refused = json!({
            "refused": Refusal::RevokesCommitter.plain(),
            "rule": Refusal::RevokesCommitter.rule().name(),
        });
        let (status, text) =
            receipts_body(&[receipt(), Outcome::Refused(Refusal::RevokesCommitter)]);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(text, json!({"receipts": [appended, refused]}).to_string());
        let (status, text) = receipts_body(&[Outcome::Refused(Refusal::RevokesCommitter)]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(text, json!({"receipts": [refused]}).to_string());
    }
}
