//! `custody serve`'s HTTP side: the routes, the reader-token check, the
//! access log and the headers every answer carries. The command line
//! around it (binding, TLS, signals) is `cmd::serve`.
//!
//! Every route answers through the CLI's own code paths
//! (`cmd::status::one_status`, `cmd::status::report_of`,
//! `cmd::dossier::from_store`, `cmd::export::bundle_text`,
//! `Ledger::latest_checkpoint`), so the server and the
//! commands cannot drift apart: the same JSON, the same bundle bytes, the
//! same refusals in the same words.
//!
//! ## The store
//!
//! Each request opens the store read-only (`Ledger::open_read_only`: no
//! lock, one consistent snapshot, what `custody status` does), on a
//! blocking thread. So the server never holds the writer: `custody append`,
//! `checkpoint` and `key revoke` run while it serves, and the next request
//! sees their commit. Opening costs reading redb's header and replaying the
//! governance index (under 2 ms at a million entries).
//!
//! The write path (`POST /v1/statements`, `submit`) needs the writer: with
//! `--key`, one thread owns a writable `Ledger` for the server's life
//! (`custody_ledger::committer`), fed by a bounded queue that it drains
//! into one group commit at a time, answering each request once the commit
//! is durable (503 with Retry-After when the queue is full). While it runs,
//! `custody append` on the same store waits for the lock and then says the
//! store is in use: the server is the one writer. The reads here do not
//! change: a read-only open beside the writer in the same process is what
//! they already were.

mod connections;
mod profile;
mod routes;
mod submit;
mod web;

use crate::access::{AccessFiles, AccessRecord, TokenRecord};
use crate::exit::Failure;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custody_ledger::store::Ledger;
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use connections::{
    limit_for_descriptors as connection_limit_for_descriptors, ConnectionLimit, MAX_CONNECTIONS,
};
pub(crate) use routes::router;
pub(crate) use submit::{StatementLimits, BODY_BUDGET_KIB, MAX_IN_FLIGHT, STATEMENTS_BODY_TIMEOUT};
pub(crate) use web::{Transport, WitnessKeys};

/// The largest request body accepted (every route but the web view's
/// sign-in and sign-out forms is a GET; the bound is for what a client
/// sends anyway).
const MAX_BODY: u64 = 64 * 1024;

/// What every request can reach.
pub(crate) struct Reads {
    store: PathBuf,
    /// The store's one writer, when the server registers statements
    /// (`--key`): `POST /v1/statements` hands it jobs.
    committer: Option<Arc<custody_ledger::committer::Committer>>,
    access: AccessFiles,
    /// One access-log append at a time (each is one write and an fsync).
    log_lock: tokio::sync::Mutex<()>,
    /// Statements taken and not yet answered ([`submit::MAX_IN_FLIGHT`]).
    statements_in_flight: Arc<tokio::sync::Semaphore>,
    /// Requests of statements being parsed and checked now
    /// ([`submit::parse_slots`]).
    statement_parses: Arc<tokio::sync::Semaphore>,
    /// How long a body of statements may take to arrive.
    statements_body_timeout: std::time::Duration,
    /// The request bodies held now, in KiB ([`submit::BODY_BUDGET_KIB`]).
    body_budget: Arc<tokio::sync::Semaphore>,
}

/// The server's shared state.
pub(crate) type Shared = Arc<Reads>;

impl Reads {
    /// The state of a server over the store in `store`, registering
    /// statements through `committer` if it has one, within `limits`.
    pub(crate) fn new(
        store: PathBuf,
        committer: Option<Arc<custody_ledger::committer::Committer>>,
        limits: StatementLimits,
    ) -> Shared {
        Arc::new(Reads {
            access: AccessFiles::of(&store),
            committer,
            store,
            log_lock: tokio::sync::Mutex::new(()),
            statements_in_flight: Arc::new(tokio::sync::Semaphore::new(limits.in_flight)),
            statement_parses: Arc::new(tokio::sync::Semaphore::new(submit::parse_slots())),
            statements_body_timeout: limits.body_timeout,
            body_budget: Arc::new(tokio::sync::Semaphore::new(limits.body_budget_kib as usize)),
        })
    }

    /// The store, opened for this request (see the module docs).
    fn ledger(&self) -> Result<Ledger, Failure> {
        Ok(Ledger::open_read_only(&self.store)?)
    }
}

/// An error as every route answers it: `{"error": ..., "advice": ...}`,
/// with the CLI's words.
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    advice: Option<String>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        message: impl Into<String>,
        advice: Option<&str>,
    ) -> Self {
        ApiError {
            status,
            message: message.into(),
            advice: advice.map(Into::into),
        }
    }

    /// A command's failure: refused (exit 1) becomes `refused`; anything
    /// else (the store could not be read) a 500 whose detail goes to the
    /// server's standard error only (it names the server's paths).
    pub(crate) fn from_failure(f: Failure, refused: StatusCode) -> Self {
        let (message, advice) = f.message_and_advice();
        if f.code() == 1 {
            return ApiError {
                status: refused,
                message,
                advice,
            };
        }
        eprintln!(
            "error: {}",
            crate::escape::terminal(&match &advice {
                Some(a) => format!("{message}; {a}"),
                None => message.clone(),
            })
        );
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not read the ledger",
            Some("try again later; the server's operator finds the cause in its log"),
        )
    }

    fn unauthorised() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "a valid reader token is required",
            Some("send `Authorization: Bearer TOKEN` with a token the ledger's authority issued you (`custody token issue`); an expired or revoked token is refused like an unknown one"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.message, "advice": self.advice});
        let mut r = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body.to_string() + "\n",
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"custody\""),
            );
        }
        r
    }
}

/// The holder of a valid reader token: a route that takes one is read
/// only with it. Refused with 401, the same answer for a missing,
/// malformed, unknown, expired or revoked token; the server's standard
/// error says which (never the token).
pub(crate) struct Reader(TokenRecord);

impl Reader {
    /// The cut of people's data the token reads (`profile`).
    pub(crate) fn profile(&self) -> custody_ledger::profile::Profile {
        self.0.profile.cut()
    }
}

impl FromRequestParts<Shared> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let route = parts.uri.path().to_string();
        let deny = |why: &str| {
            eprintln!(
                "401 {} {}: {why}",
                parts.method,
                crate::escape::terminal(&route)
            );
            ApiError::unauthorised()
        };
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(deny("no Authorization header"));
        };
        // The scheme's name is case-insensitive (RFC 9110 §11.1).
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .map(str::to_string);
        let Some(token) = token else {
            return Err(deny("the Authorization header is not `Bearer TOKEN`"));
        };
        let access = state.access.clone();
        let now = custody_ledger::clock::now();
        let checked = tokio::task::spawn_blocking(move || access.authenticate(&token, now))
            .await
            .map_err(|_| deny("the token check stopped"))?;
        match checked {
            Ok(Ok(record)) => Ok(Reader(record)),
            Ok(Err(why)) => Err(deny(&format!("{why} token"))),
            Err(e) => {
                eprintln!("error: {}", crate::escape::terminal(&e.to_string()));
                Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server cannot check tokens now",
                    Some("the server's operator finds the cause in its log"),
                ))
            }
        }
    }
}

/// One read of people's data: what is logged about it.
pub(crate) struct ReadOf {
    /// The route as declared.
    pub route: &'static str,
    /// The person, if the route names a valid one.
    pub person: Option<String>,
    /// The query, as the route understood it.
    pub query: Option<String>,
}

impl Reads {
    /// Runs `read` on a blocking thread with the store opened for it, then
    /// logs the read (holder, route, person, status) and answers; a read
    /// that cannot be logged is not answered (500): no read of people's
    /// data goes unrecorded.
    pub(crate) async fn answer(
        self: &Shared,
        reader: Reader,
        of: ReadOf,
        read: impl FnOnce(&Ledger) -> Result<Response, ApiError> + Send + 'static,
    ) -> Response {
        let state = self.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let ledger = state
                .ledger()
                .map_err(|f| ApiError::from_failure(f, StatusCode::INTERNAL_SERVER_ERROR))?;
            read(&ledger)
        })
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server stopped on an internal error",
                None,
            ))
        });
        let response = match answer {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
        let record = AccessRecord {
            at: custody_ledger::clock::now().to_string(),
            holder: reader.0.holder.clone(),
            token: reader.0.hash_prefix().to_string(),
            route: of.route.to_string(),
            person: of.person,
            query: of.query,
            status: response.status().as_u16(),
        };
        let _one_at_a_time = self.log_lock.lock().await;
        let access = self.access.clone();
        let logged = tokio::task::spawn_blocking(move || access.log(&record)).await;
        match logged {
            Ok(Ok(())) => response,
            Ok(Err(e)) => {
                eprintln!(
                    "error: the access log cannot be written, so the read was refused: {}",
                    crate::escape::terminal(&e.to_string())
                );
                log_failed()
            }
            Err(_) => log_failed(),
        }
    }
}

fn log_failed() -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the read could not be recorded in the access log, so it is refused",
        Some("try again later; the server's operator finds the cause in its log"),
    )
    .into_response()
}

/// Reads a request's body whole before any route sees it: at most
/// [`MAX_BODY`] bytes (the web view's two small forms) within
/// [`HEADER_TIMEOUT`], or for `POST /v1/statements` at most
/// [`submit::MAX_STATEMENTS_BODY`] within its own time
/// ([`submit::STATEMENTS_BODY_TIMEOUT`]). A body declared larger is
/// refused at once (413); one not all there in time gets 408 and its
/// connection closed: the server's own timeouts stop counting once the
/// head is in, and a client trickling a declared body would otherwise
/// hold its connection and its buffer for good. The bodies held at once
/// are bounded too ([`submit::BODY_BUDGET_KIB`]): each request takes its
/// declared size (or the most it may send, when it declares none) from the
/// budget before its body is read and gives it back when it is answered;
/// beyond the budget, 503 with Retry-After, and nothing is read.
pub(crate) async fn bound_body(
    axum::extract::State(state): axum::extract::State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    use crate::cmd::serve::{read_body, BodyRead, HEADER_TIMEOUT};
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (max, within) = if request.uri().path() == "/v1/statements" {
        (submit::MAX_STATEMENTS_BODY, state.statements_body_timeout)
    } else {
        (MAX_BODY, HEADER_TIMEOUT)
    };
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is over {max} bytes"),
            Some("send fewer statements per request"),
        )
        .into_response()
    };
    if declared.is_some_and(|n| n > max) {
        return too_large();
    }
    // A request with neither a length nor a body (GET, HEAD) takes 1 KiB.
    let bodiless = declared.is_none()
        && !request.headers().contains_key(header::TRANSFER_ENCODING)
        && matches!(
            *request.method(),
            axum::http::Method::GET | axum::http::Method::HEAD
        );
    let kib = match declared {
        Some(n) => n.div_ceil(1024).max(1),
        None if bodiless => 1,
        None => max.div_ceil(1024),
    };
    let Ok(_held) = state
        .body_budget
        .clone()
        .try_acquire_many_owned(u32::try_from(kib).unwrap_or(u32::MAX))
    else {
        return submit::busy();
    };
    let (parts, body) = request.into_parts();
    let body = match read_body(body, usize::try_from(max).unwrap_or(usize::MAX), within).await {
        Ok(body) => body,
        Err(BodyRead::Unreadable) => return too_large(),
        Err(BodyRead::Late) => {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s; nothing of it was taken",
                    within.as_secs()
                ),
                Some("over a slow link, send fewer statements per request"),
            )
            .into_response()
        }
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(body)))
        .await
}

/// Headers on every answer: nothing a browser or proxy keeps
/// (`no-store`: people's data must not linger in caches), no content-type
/// sniffing, no framing, no referrer; an HTML answer brings its own
/// Content-Security-Policy (the dossier's), others get one that allows
/// nothing.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // A full hash tile is public and immutable (C2SP tlog-tiles), and the
    // one answer a cache should keep; its route says so itself.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}
