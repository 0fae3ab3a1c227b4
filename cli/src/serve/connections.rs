//! How many connections `custody serve` and `custody witness` hold at once.
//!
//! Every other bound of the server (docs/SERVING.md, "Limits and
//! timeouts") is per request or over requests; this one is over
//! connections. A connection holds a file descriptor, a task and hyper's
//! read buffer: an idle one until its first request's head is late (15 s),
//! a keep-alive one for as long as its client keeps asking. Without a
//! bound, enough of them use up the process's descriptors, and then the
//! server can open neither its store to answer a read nor a new
//! connection for anyone: one client with a few thousand sockets stops
//! every other.
//!
//! [`ConnectionLimit`] wraps the acceptor (plain or TLS): a connection
//! takes a place before anything of it is read and keeps it, inside
//! [`Counted`], until it is closed. Beyond the limit the connection is
//! answered at once and closed: on plain HTTP with a fixed `503` carrying
//! `Retry-After: 1` and `Connection: close`, which no request of it is
//! read for; over TLS, where nothing can be said before a handshake, only
//! closed. A refused connection lingers (at most [`LINGER`], at most
//! [`LINGERING_REFUSALS`] of them) so that the client reads the answer
//! before the close: closing a socket with unread bytes resets it, and a
//! reset can reach the client before the answer does. Past that many,
//! refusals are closed without an answer.
//!
//! A place is not held for good by a client that stops reading: hyper
//! stops reading requests while it cannot write answers, and no timeout of
//! its own covers a write that waits, so a client that sends requests and
//! never reads would keep its connection (and its place) as long as it
//! liked. [`Counted`] fails a write that has made no progress for
//! [`WRITE_STALL`], which closes the connection. A slow reader that takes
//! some bytes now and then is not cut off.
//!
//! The limit is the smaller of [`MAX_CONNECTIONS`] and what the process's
//! descriptor limit allows ([`limit_for_descriptors`]): each connection may
//! need a second descriptor while its request reads the store.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The most connections held at once, when the descriptor limit allows.
/// Each may hold up to 64 KiB of request head, so the bound on what
/// connections alone hold is 64 MiB.
pub(crate) const MAX_CONNECTIONS: usize = 1024;
/// Descriptors kept for everything but connections: the store's files, the
/// access log, standard streams, lingering refusals.
const RESERVED_DESCRIPTORS: u64 = 64 + LINGERING_REFUSALS as u64;
/// Refused connections answered and held at once, so that their clients
/// read the answer before the close.
const LINGERING_REFUSALS: usize = 64;
/// How long a refused connection may take to be answered and closed.
const LINGER: Duration = Duration::from_secs(1);
/// The most bytes of a refused connection read (and thrown away) before it
/// is closed.
const LINGER_READ: usize = 64 * 1024;
/// How long a write to a connection may wait with no byte taken before the
/// connection is closed.
pub(crate) const WRITE_STALL: Duration = Duration::from_secs(30);
/// How often the server's standard error says it is refusing connections.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The connections the server holds at once: at most [`MAX_CONNECTIONS`],
/// and fewer when the descriptor limit (`ulimit -n`) would run out first.
/// The soft limit is raised to the hard one first, as far as a connection
/// limit needs.
#[cfg(unix)]
pub(crate) fn limit_for_descriptors() -> usize {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let wanted = 2 * MAX_CONNECTIONS as u64 + RESERVED_DESCRIPTORS;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return MAX_CONNECTIONS;
    };
    let mut soft = soft;
    if soft < wanted {
        let raised = wanted.min(hard);
        if raised > soft && setrlimit(Resource::RLIMIT_NOFILE, raised, hard).is_ok() {
            soft = raised;
        }
    }
    connections_within(soft)
}

/// Without a descriptor limit to read, [`MAX_CONNECTIONS`].
#[cfg(not(unix))]
pub(crate) fn limit_for_descriptors() -> usize {
    MAX_CONNECTIONS
}

/// The connections `descriptors` allow: two each, after the reserve; at
/// least one.
fn connections_within(descriptors: u64) -> usize {
    let each = descriptors.saturating_sub(RESERVED_DESCRIPTORS) / 2;
    usize::try_from(each)
        .unwrap_or(usize::MAX)
        .clamp(1, MAX_CONNECTIONS)
}

/// An acceptor that holds at most `most` connections at once (see the
/// module's documentation); `A` does the rest (TLS, or nothing).
#[derive(Clone)]
pub(crate) struct ConnectionLimit<A> {
    inner: A,
    shared: Arc<Shared>,
}

struct Shared {
    most: usize,
    open: Arc<Semaphore>,
    lingering: Arc<Semaphore>,
    /// The answer to a refused plain-HTTP connection; `None` over TLS.
    refusal: Option<Vec<u8>>,
    last_warning: Mutex<Option<Instant>>,
}

impl<A> ConnectionLimit<A> {
    /// At most `most` connections (at least one), accepted by `inner`.
    /// `plain`: the connections speak HTTP as they come (no TLS), so a
    /// refusal can be answered.
    pub(crate) fn new(inner: A, most: usize, plain: bool) -> Self {
        let most = most.max(1);
        ConnectionLimit {
            inner,
            shared: Arc::new(Shared {
                most,
                open: Arc::new(Semaphore::new(most)),
                lingering: Arc::new(Semaphore::new(LINGERING_REFUSALS)),
                refusal: plain.then(|| refusal(most)),
                last_warning: Mutex::new(None),
            }),
        }
    }
}

/// The raw answer to a connection beyond the limit: what every route's
/// errors look like (`{"error", "advice"}`), with the headers every answer
/// carries that matter here.
fn refusal(most: usize) -> Vec<u8> {
    let body = serde_json::json!({
        "error": format!("the server holds as many connections as it may ({most}); nothing of this connection was read"),
        "advice": "connect again in a moment, and close connections you no longer use",
    })
    .to_string()
        + "\n";
    format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         content-type: application/json\r\n\
         content-length: {}\r\n\
         retry-after: 1\r\n\
         connection: close\r\n\
         cache-control: no-store\r\n\
         x-content-type-options: nosniff\r\n\
         \r\n\
         {body}",
        body.len()
    )
    .into_bytes()
}

impl<A, S> Accept<TcpStream, S> for ConnectionLimit<A>
where
    A: Accept<TcpStream, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Counted<A::Stream>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        match self.shared.open.clone().try_acquire_owned() {
            Ok(place) => {
                // The place is held from here, through the TLS handshake,
                // until the connection is dropped.
                let accepting = self.inner.accept(stream, service);
                Box::pin(async move {
                    let (stream, service) = accepting.await?;
                    Ok((Counted::new(stream, place, WRITE_STALL), service))
                })
            }
            Err(_) => {
                self.shared.warn();
                let shared = self.shared.clone();
                Box::pin(async move {
                    shared.refuse(stream).await;
                    Err(io::Error::other(
                        "refused: the server holds as many connections as it may",
                    ))
                })
            }
        }
    }
}

impl Shared {
    /// Says on standard error, at most once a minute, that connections are
    /// being refused.
    fn warn(&self) {
        let mut last = self
            .last_warning
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|t| t.elapsed() < WARN_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        crate::exit::warn(&format!(
            "refusing connections: {} are open, the most this server holds (said at most once a minute)",
            self.most
        ));
    }

    /// Answers a connection beyond the limit (on plain HTTP) and closes it.
    async fn refuse(&self, mut stream: TcpStream) {
        let Some(answer) = &self.refusal else {
            return;
        };
        let Ok(_lingering) = self.lingering.clone().try_acquire_owned() else {
            return;
        };
        let _ = tokio::time::timeout(LINGER, async {
            stream.write_all(answer).await?;
            stream.shutdown().await?;
            // Read (and drop) what the client sent, so that the close
            // does not reset the connection before the answer is read.
            let mut sink = [0u8; 4096];
            let mut read = 0;
            while read < LINGER_READ {
                match stream.read(&mut sink).await? {
                    0 => break,
                    n => read += n,
                }
            }
            Ok::<(), io::Error>(())
        })
        .await;
    }
}

/// A connection holding its place under the limit until it is dropped,
/// whose writes fail once they have waited [`WRITE_STALL`] with no byte
/// taken.
pub(crate) struct Counted<S> {
    stream: S,
    _place: OwnedSemaphorePermit,
    /// How long a write may wait.
    stall: Duration,
    /// Set when a write found the connection full; cleared by any write
    /// that progresses.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Counted<S> {
    fn new(stream: S, place: OwnedSemaphorePermit, stall: Duration) -> Counted<S> {
        Counted {
            stream,
            _place: place,
            stall,
            stalled: None,
        }
    }

    /// What a write returns when `polled` is the stream's answer: Pending
    /// until the stall has lasted [`WRITE_STALL`], then an error.
    fn unless_stalled<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let stall = self.stall;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client took no byte of the answer for {} s",
                    stall.as_secs_f64()
                ),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.unless_stalled(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.unless_stalled(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        self.unless_stalled(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_bound_the_connections() {
        // Two descriptors per connection after the reserve, never more
        // than the most, never none.
        assert_eq!(connections_within(u64::MAX), MAX_CONNECTIONS);
        assert_eq!(connections_within(1024), (1024 - 128) / 2);
        assert_eq!(connections_within(RESERVED_DESCRIPTORS + 2), 1);
        assert_eq!(connections_within(10), 1);
    }

    /// A client that stops reading cannot keep its place: a write that
    /// waits longer than the stall fails (and hyper then closes the
    /// connection, dropping the place); one that reads slowly is not cut
    /// off.
    #[tokio::test]
    async fn a_write_nobody_reads_fails_and_frees_the_place() {
        let places = Arc::new(Semaphore::new(1));
        let stall = Duration::from_millis(200);
        let (server, mut client) = tokio::io::duplex(64);
        let mut conn = Counted::new(server, places.clone().try_acquire_owned().unwrap(), stall);
        // A slow reader: 64 bytes every 50 ms, well within the stall.
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while got.len() < 1024 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let n = client.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            client
        });
        conn.write_all(&[7u8; 1024])
            .await
            .expect("a slow reader is served");
        let _client = reader.await.unwrap();
        // Now nobody reads: once the pipe is full, the write waits, then fails.
        let started = Instant::now();
        let err = tokio::time::timeout(Duration::from_secs(30), conn.write_all(&[7u8; 4096]))
            .await
            .expect("the write fails within the stall, not never")
            .expect_err("stalled");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= stall);
        assert_eq!(places.available_permits(), 0);
        drop(conn);
        assert_eq!(places.available_permits(), 1);
    }

    #[test]
    fn the_refusal_is_one_whole_answer() {
        let answer = String::from_utf8(refusal(7)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains("\r\nretry-after: 1\r\n"));
        assert!(head.contains("\r\nconnection: close\r\n"));
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(json["error"].as_str().unwrap().contains("(7)"));
    }
}
