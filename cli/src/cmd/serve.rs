//! `custody serve`: the ledger's read side over HTTP (the routes, tokens
//! and access log are `crate::serve`; docs/SERVING.md says how to run it).
//!
//! This module binds the address, loads the TLS certificate, runs the
//! server on a tokio runtime and stops it gracefully on SIGINT or
//! SIGTERM (requests under way finish, for up to 10 s).

use crate::access::AccessFiles;
use crate::exit::{env, CmdResult, Failure};
use crate::output::Context;
use clap::Args;
use custody_verifier::cosignature::WitnessKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `custody serve`.
#[derive(Args)]
#[command(after_help = "\
Routes: GET /checkpoint and /healthz are public; with `Authorization:
Bearer TOKEN` (from `custody token issue`): /v1/persons,
/v1/persons/ID/status, /v1/persons/ID/bundle,
/v1/persons/ID/dossier?format=html|md|json and /v1/report. Every read of
people's data is recorded in the store's access log (`custody token log`).

With --key (a registrar's key): POST /v1/statements takes statement lines
from `custody sign` (no token: each statement's author signature is its
authentication) and answers, once they are durably committed, with a
receipt per statement (entry, inclusion proof, signed checkpoint) that
`custody submit` checks; 503 with Retry-After when the server holds as
many statements as it may (limits and timeouts: docs/SERVING.md).

Pages for browsers, in English and Ukrainian: open / and sign in with a
reader token (the browser keeps a session cookie, never the token); then
/people, /people/ID, /report and /ledger.

Without --key the server reads the store per request and never holds its
lock: appends and checkpoints from the command line go on while it runs.
With --key it is the store's writer until it stops.

Tokens are bearer secrets. Off this machine, serve over TLS: either
--tls-cert/--tls-key here, or a TLS reverse proxy in front of a server
listening on loopback (docs/SERVING.md).")]
pub(crate) struct ServeArgs {
    /// The address and port to listen on. A port of 0 takes a free one
    /// (the address is printed). Anything but loopback without TLS is
    /// warned about: tokens would cross the network in clear.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The server's certificate chain (PEM) for HTTPS.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Register statements (`POST /v1/statements`) with this key, which
    /// must hold `registrar` (or `authority`): it signs each statement's
    /// entry and the seal and checkpoint that close each commit. The
    /// server is then the store's one writer while it runs (`custody
    /// append` waits and says the store is in use).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// A witness's verifier key (`custody witness key`), repeatable: the
    /// ledger page checks the latest checkpoint's cosignatures by these
    /// witnesses against them (and says "not checked" for any other).
    #[arg(long, value_name = "VKEY")]
    witness_key: Vec<String>,
    /// Lowers the bound on statements taken and not yet answered (default
    /// and most 50,000): beyond it `POST /v1/statements` answers 503. For
    /// tests (docs/SERVING.md); hidden from --help.
    #[arg(long, hide = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=crate::serve::MAX_IN_FLIGHT as i64))]
    statements_in_flight: Option<u32>,
    /// Lowers the time a `POST /v1/statements` body may take to arrive
    /// (default and most 30 s). For tests (docs/SERVING.md); hidden from
    /// --help.
    #[arg(long, hide = true, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=crate::serve::STATEMENTS_BODY_TIMEOUT.as_secs()))]
    statements_body_secs: Option<u64>,
    /// Lowers the request bodies the server holds at once, in KiB
    /// (default and most 262,144: 256 MiB); beyond it, 503. For tests
    /// (docs/SERVING.md); hidden from --help.
    #[arg(long, hide = true, value_name = "KIB",
          value_parser = clap::value_parser!(u32).range(64..=i64::from(crate::serve::BODY_BUDGET_KIB)))]
    body_budget_kib: Option<u32>,
    /// Lowers the connections held at once (default and most 1,024, fewer
    /// when `ulimit -n` allows fewer); beyond it a connection is answered
    /// 503 and closed. For tests (docs/SERVING.md); hidden from --help.
    #[arg(long, hide = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=crate::serve::MAX_CONNECTIONS as i64))]
    max_connections: Option<u32>,
}

/// How long requests under way may take to finish after SIGINT/SIGTERM.
const GRACE: Duration = Duration::from_secs(10);
/// How long a connection may take to send a request's headers (and, with
/// TLS, its handshake): a client that trickles bytes holds no connection
/// for longer.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// The most bytes of a request's head (request line and headers) read.
const MAX_HEAD: usize = 64 * 1024;
/// The largest certificate or key file read.
const MAX_PEM: u64 = 1 << 20;

/// Why a request's body was not read.
pub(crate) enum BodyRead {
    /// Over the route's bound, or broken off.
    Unreadable,
    /// Not all there within the time allowed.
    Late,
}

/// A request's body, at most `max` bytes, all of it within `within`.
///
/// The server's own timeouts stop counting once a request's head is in:
/// without this, a client that declares a large body and trickles it (or
/// never sends it) holds its connection and its buffer for good. Every
/// body is read here: `custody witness`'s `/add-checkpoint`, and every
/// route of `custody serve` (`crate::serve::bound_body`).
pub(crate) async fn read_body(
    body: axum::body::Body,
    max: usize,
    within: Duration,
) -> Result<axum::body::Bytes, BodyRead> {
    match tokio::time::timeout(within, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(BodyRead::Unreadable),
        Err(_) => Err(BodyRead::Late),
    }
}

/// Runs `serve`.
pub(crate) fn run(ctx: &Context, args: ServeArgs) -> CmdResult {
    // The store must be a ledger now, and the tokens file usable: said at
    // start, not on the first request.
    let ledger = ctx.open_read_only()?;
    let store = ledger.dir().to_path_buf();
    let name = ledger.name().to_string();
    drop(ledger);
    AccessFiles::of(&store).check_tokens_file()?;
    let witness_keys = args
        .witness_key
        .iter()
        .map(|k| {
            WitnessKey::parse(k).map_err(|e| {
                env(anyhow::anyhow!(
                    "--witness-key {:?}: {e}; give the key `custody witness key` prints",
                    crate::escape::terminal(k)
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    if tls.is_none() && !args.listen.ip().is_loopback() {
        crate::exit::warn(&format!(
            "listening on {} without TLS: reader tokens and people's data would cross the network in clear. Put a TLS reverse proxy in front of a server on 127.0.0.1 (docs/SERVING.md), or pass --tls-cert and --tls-key",
            args.listen
        ));
    }
    let listener = listen(args.listen).map_err(|e| {
        env(anyhow::anyhow!(
            "cannot listen on {}: {e}; choose another address or port with --listen",
            args.listen
        ))
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| env(anyhow::anyhow!("cannot listen on {}: {e}", args.listen)))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| env(anyhow::anyhow!("cannot start the server's runtime: {e}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{bound}");
    eprintln!(
        "serving the ledger {:?} from {}; stop with Ctrl-C (SIGINT) or SIGTERM",
        crate::escape::terminal(&name),
        crate::escape::path(&store)
    );
    let committer = match &args.key {
        Some(path) => Some(Arc::new(start_committer(ctx, path)?)),
        None => None,
    };
    // The web view's session cookie is `Secure` when TLS is ours.
    let mut limits = crate::serve::StatementLimits::default();
    if let Some(n) = args.statements_in_flight {
        limits.in_flight = n as usize;
    }
    if let Some(secs) = args.statements_body_secs {
        limits.body_timeout = Duration::from_secs(secs);
    }
    if let Some(kib) = args.body_budget_kib {
        limits.body_budget_kib = kib;
    }
    let state = crate::serve::Reads::new(store, committer.clone(), limits);
    let app = crate::serve::router(state)
        .layer(axum::Extension(crate::serve::Transport {
            tls: tls.is_some(),
        }))
        .layer(axum::Extension(crate::serve::WitnessKeys(Arc::new(
            witness_keys,
        ))));
    let served = runtime.block_on(serve_http(listener, tls, app, args.max_connections));
    drop(runtime);
    // Whatever was queued is committed before the writer lets go.
    if let Some(c) = committer.and_then(Arc::into_inner) {
        drop(c.stop());
    }
    served?;
    eprintln!("stopped");
    Ok(())
}

/// A socket listening on `addr`, whose queue of connections not yet
/// accepted is as long as the most connections the server holds
/// ([`crate::serve::MAX_CONNECTIONS`]). std's `TcpListener::bind` queues
/// 128: when more clients than that connect at once (256 in the
/// statements benchmark), the kernel drops the rest's first packet and
/// they wait a whole second to send it again.
fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // As std does: a restarted server can bind its port at once.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(crate::serve::MAX_CONNECTIONS as i32)?;
    Ok(socket.into())
}

/// The connections a server holds at once: `lowered` if given, and never
/// more than the descriptor limit allows (said on standard error when
/// that is what bounds it).
fn connection_limit(lowered: Option<u32>) -> usize {
    let allowed = crate::serve::connection_limit_for_descriptors();
    if allowed < crate::serve::MAX_CONNECTIONS && lowered.is_none_or(|n| n as usize > allowed) {
        crate::exit::warn(&format!(
            "the process may open too few files for {} connections at once (ulimit -n); serving at most {allowed}: raise the limit to serve more",
            crate::serve::MAX_CONNECTIONS
        ));
    }
    lowered.map_or(allowed, |n| allowed.min(n as usize))
}

/// The writer of a server that registers statements: the store opened to
/// write, and the committer thread that owns it. The key must be able to
/// sign the seal and checkpoint that close each commit.
fn start_committer(
    ctx: &Context,
    path: &Path,
) -> Result<custody_ledger::committer::Committer, Failure> {
    use custody_format::event::Role;
    let key = crate::cmd::key::signing_key(path)?;
    let ledger = ctx.open()?;
    let public = custody_ledger::keyfile::public_key_of(&key);
    let may = ledger
        .registry()
        .get(&public)
        .is_some_and(|k| k.may(Role::Registrar) || k.may(Role::Authority));
    if !may {
        return Err(crate::exit::refused(anyhow::anyhow!(
            "--key {}: the key {} holds neither `registrar` nor `authority` in this ledger, so it could not seal and checkpoint what it registers; grant it `registrar` with `custody key grant --role registrar`",
            path.display(),
            public.to_hex()
        )));
    }
    eprintln!(
        "registering statements (POST /v1/statements) as {}; this server is the store's writer until it stops",
        public.to_hex()
    );
    Ok(custody_ledger::committer::Committer::start(
        ledger,
        key,
        custody_ledger::committer::Limits::default(),
    ))
}

/// Serves `app` until SIGINT or SIGTERM, then lets requests under way
/// finish: HTTP/1.1 only, at most [`connection_limit`] connections at
/// once (`lowered` by a test; [`crate::serve::ConnectionLimit`]), a
/// request head within
/// [`HEADER_TIMEOUT`] and [`MAX_HEAD`] bytes, the TLS handshake within the
/// same time. `custody witness` is served the same way.
pub(crate) async fn serve_http(
    listener: std::net::TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    app: axum::Router,
    lowered: Option<u32>,
) -> Result<(), Failure> {
    use crate::serve::ConnectionLimit;
    let connections = connection_limit(lowered);
    let handle = axum_server::Handle::new();
    tokio::spawn(stop_on_signal(handle.clone()));
    let failed = |e: std::io::Error| env(anyhow::anyhow!("the server stopped: {e}"));
    let server = axum_server::from_tcp(listener).map_err(failed)?;
    // HTTP/1.1 only: its idle connections close after HEADER_TIMEOUT,
    // where an idle HTTP/2 connection (h2c on the plain listener) stayed
    // open for good, and nothing here needs HTTP/2.
    let mut server = server
        .handle(handle)
        .first_request_timeout(HEADER_TIMEOUT)
        .http1_only();
    server
        .http_builder()
        .http1()
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEAD);
    match tls {
        Some(config) => {
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
                .handshake_timeout(HEADER_TIMEOUT);
            server
                .acceptor(ConnectionLimit::new(acceptor, connections, false))
                .serve(app.into_make_service())
                .await
        }
        None => {
            let acceptor = axum_server::accept::DefaultAcceptor::new();
            server
                .acceptor(ConnectionLimit::new(acceptor, connections, true))
                .serve(app.into_make_service())
                .await
        }
    }
    .map_err(failed)
}

/// Waits for SIGINT or SIGTERM, then shuts the server down gracefully.
async fn stop_on_signal(handle: axum_server::Handle<SocketAddr>) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    eprintln!(
        "stopping: answering the requests under way (up to {} s)",
        GRACE.as_secs()
    );
    handle.graceful_shutdown(Some(GRACE));
}

/// Reads at most [`MAX_PEM`] bytes of a PEM file.
fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PEM + 1).read_to_end(&mut bytes))
        .map_err(|e| env(anyhow::anyhow!("{what} {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_PEM {
        return Err(env(anyhow::anyhow!(
            "{what} {}: over {MAX_PEM} bytes, not a PEM certificate or key",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The TLS configuration from PEM files: rustls with the ring provider,
/// TLS 1.2 and 1.3, HTTP/1.1 (and h2) by ALPN.
fn tls_config(cert: &Path, key: &Path) -> Result<axum_server::tls_rustls::RustlsConfig, Failure> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert_pem = read_pem(cert, "--tls-cert")?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            env(anyhow::anyhow!(
                "--tls-cert {}: not a PEM certificate chain: {e}",
                cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(env(anyhow::anyhow!(
            "--tls-cert {}: holds no certificate (-----BEGIN CERTIFICATE-----)",
            cert.display()
        )));
    }
    let key_pem = zeroize::Zeroizing::new(read_pem(key, "--tls-key")?);
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        env(anyhow::anyhow!(
            "--tls-key {}: not a PEM private key: {e}",
            key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, private))
        .map_err(|e| {
            env(anyhow::anyhow!(
                "--tls-cert {} and --tls-key {}: {e}",
                cert.display(),
                key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}
