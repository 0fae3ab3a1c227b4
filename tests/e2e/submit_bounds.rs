//! What a hostile client can make `custody serve --key` hold through
//! `POST /v1/statements`, and what a hostile server can make `custody
//! submit` believe: a body trickled or never sent (408 or the connection
//! closed), more statements than one request may carry, more bad lines
//! than an answer lists, more statements than the server holds at once
//! (503, Retry-After); and receipts that do not hold (another statement's,
//! another log's checkpoint, a checkpoint older than the entry, a proof
//! with one byte changed), each refused with nothing counted as registered.
//!
//! The server's bounds are lowered for these tests by hidden flags
//! (`--statements-in-flight`, `--statements-body-secs`; docs/SERVING.md),
//! so only the web form's body (15 s, not lowered) is waited for.

use crate::serve::{client, Server};
use crate::statements::{registrar, sign, OLHA, PETRO};
use crate::util::{assert_unsent_body_is_dropped, custody, custody_on, s, Env, CUSTODY};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

/// POSTs `body` to `url`: the status, Retry-After and the JSON answer.
fn post(url: &str, body: &[u8]) -> (u16, Option<String>, Value) {
    let answer = client(None).post(url).send(body).expect("an answer");
    let status = answer.status().as_u16();
    let retry = answer
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let text = answer
        .into_body()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, retry, json)
}

/// `n` sightings, one line each, of people UA-0000…
fn sightings(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"type\":\"sighting\",\"person\":\"UA-{i:04}\",\"occurred_at\":\"2023\",\"source\":\"video\"}}\n"
            )
        })
        .collect()
}

/// The server lets no client hold it: a body must arrive in time, a
/// request carries 10,000 statements at most, a refusal lists 100 bad
/// lines and counts the rest, and statements beyond those it may hold at
/// once are answered 503 with Retry-After, nothing of them taken.
#[test]
fn a_statement_request_is_bounded_in_time_count_and_places() {
    let env = Env::new(CUSTODY);
    let (key, _) = registrar(&env, "serve.example.org");
    let file = sign(&env, &env.investigator, "three", &sightings(3));
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let server = Server::start(
        &env,
        &[
            "--key",
            s(&key),
            "--statements-in-flight",
            "2",
            "--statements-body-secs",
            "1",
        ],
    );
    let url = format!("{}/v1/statements", server.url);

    // A body declared at the largest size and never sent whole holds no
    // connection for good: 408, or the connection closed.
    {
        let addr = server.url.strip_prefix("http://").unwrap();
        assert_unsent_body_is_dropped(
            addr,
            &format!(
                "POST /v1/statements HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 8388608\r\n\r\n{}",
                &lines[0][..40]
            ),
        );
    }

    // 10,001 statements (the same one: each is checked all the same):
    // refused whole, before anything else.
    let many = format!("{}\n", lines[0]).repeat(10_001);
    assert!(many.len() < 8 << 20, "{} bytes", many.len());
    let (status, _, answer) = post(&url, many.as_bytes());
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("more than 10000 statements"),
        "{answer}"
    );
    // 10,000 are within the count: they meet the next bound (this
    // server holds 2 statements at once).
    let (status, _, answer) = post(&url, &many.as_bytes()[..many.len() / 10_001 * 10_000]);
    assert_eq!(status, 503, "{answer}");

    // 150 bad lines: the first 100 named, every one counted.
    let bad: String = (0..150)
        .map(|i| format!("{{\"not\":\"a statement {i}\"}}\n"))
        .collect();
    let (status, _, answer) = post(&url, bad.as_bytes());
    assert_eq!(status, 400, "{answer}");
    let listed = answer["lines"].as_array().unwrap();
    assert_eq!(listed.len(), 100, "{answer}");
    assert_eq!(listed[0]["line"], 1);
    assert_eq!(listed[99]["line"], 100);
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.contains("150 line(s)") && error.contains("first 100 named"),
        "{error}"
    );

    // Three statements where the server holds two at once: 503 with
    // Retry-After, nothing taken; two fit.
    let (status, retry, answer) = post(&url, text.as_bytes());
    assert_eq!(status, 503, "{answer}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("nothing of this request was taken"),
        "{answer}"
    );
    let two = format!("{}\n{}\n", lines[0], lines[1]);
    let (status, _, answer) = post(&url, two.as_bytes());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["receipts"].as_array().unwrap().len(), 2);
    assert_eq!(answer["receipts"][0]["existing"], false, "{answer}");
    assert_eq!(server.stop(), 0);
    // The ledger holds the two, and nothing of the refused requests.
    env.verify_ok();
    env.run(&["status", "UA-0001"]).ok();
    env.run(&["status", "UA-0002"]).fails(1, &["UA-0002"]);
}

/// The bodies the server holds at once are bounded: with a budget of
/// 8 MiB (lowered by a hidden flag), one client that declares 8 MiB and
/// sends them slowly holds all of it, so the next statement request is
/// answered 503 with Retry-After and nothing of it is read; once the slow
/// client gives up, the budget is back and a request passes.
#[test]
fn request_bodies_held_at_once_are_bounded() {
    use std::time::{Duration, Instant};
    let env = Env::new(CUSTODY);
    let (key, _) = registrar(&env, "serve.example.org");
    let server = Server::start(
        &env,
        &[
            "--key",
            s(&key),
            "--statements-body-secs",
            "30",
            "--body-budget-kib",
            "8192",
        ],
    );
    let url = format!("{}/v1/statements", server.url);
    let addr = server.url.strip_prefix("http://").unwrap().to_string();
    let slow_body = || {
        let mut slow = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            slow,
            "POST /v1/statements HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 8388608\r\n\r\n{{"
        )
        .unwrap();
        slow.flush().unwrap();
        slow
    };
    // The slow body is taken from the budget before it is read: others
    // are answered 503 from the moment the server has its head until it
    // gives up on it (30 s). A loaded machine may take a while to read
    // that head, and the window may close before a request falls in it:
    // then a fresh slow body is sent, three times at most, so the test
    // does not hang on the machine's speed.
    let mut seen = Vec::new();
    let mut held = None;
    'attempts: for _ in 0..3 {
        let slow = slow_body();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let (code, retry, json) = post(&url, b"");
            if seen.last() != Some(&code) {
                seen.push(code);
            }
            if code == 503 {
                assert_eq!(retry.as_deref(), Some("1"), "{json}");
                assert!(json["error"].as_str().unwrap().contains("busy"), "{json}");
                held = Some(slow);
                break 'attempts;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert!(
        held.is_some(),
        "the budget held by a slow body; answers seen in turn: {seen:?}"
    );
    // The slow client gives up: its place in the budget comes back, and
    // an empty request is read and refused for what it is (no
    // statement), not for room.
    drop(held);
    let mut code = 503;
    let deadline = Instant::now() + Duration::from_secs(30);
    while code == 503 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        code = post(&url, b"").0;
    }
    assert_eq!(code, 400, "the budget given back when the slow body ended");
    assert_eq!(server.stop(), 0);
}

/// A body sent in chunks, with no length declared, is bounded by what it
/// carries: past 8 MiB the server answers 413 (or closes), whatever the
/// client keeps sending.
#[test]
fn a_chunked_body_past_the_limit_is_refused() {
    let env = Env::new(CUSTODY);
    let (key, _) = registrar(&env, "serve.example.org");
    let server = Server::start(&env, &["--key", s(&key)]);
    let addr = server.url.strip_prefix("http://").unwrap().to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /v1/statements HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunk = vec![b' '; 1 << 20];
    // The server may answer and close before the client is done: a
    // failed write is the refusal arriving early.
    let _ = (|| -> std::io::Result<()> {
        conn.write_all(head.as_bytes())?;
        for _ in 0..9 {
            write!(conn, "{:x}\r\n", chunk.len())?;
            conn.write_all(&chunk)?;
            conn.write_all(b"\r\n")?;
        }
        conn.write_all(b"0\r\n\r\n")
    })();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 413"),
        "{answer:?}"
    );
    assert!(!answer.starts_with("HTTP/1.1 2"), "{answer:?}");
    assert_eq!(server.stop(), 0);
}

/// Every other route's body is read within the header time too (15 s):
/// a sign-in form declared and never sent holds no connection for good
/// (408, or the connection closed). This test waits those 15 s.
#[test]
fn a_form_body_never_sent_holds_no_connection() {
    let env = Env::new(CUSTODY);
    let server = Server::start(&env, &[]);
    let addr = server.url.strip_prefix("http://").unwrap();
    assert_unsent_body_is_dropped(
        addr,
        &format!(
            "POST /signin HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\ntoken="
        ),
    );
    assert_eq!(server.stop(), 0);
}

/// A server that answers every request, once read whole, with 200 and
/// the JSON in `answer` at that moment. Returns its URL.
/// Before a fake server's answer: the next connection is closed
/// unanswered, then the answer follows.
const BREAK_ONCE: &str = "\0break once\0";

fn fake_server(answer: Arc<Mutex<String>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let mut answer = answer.lock().unwrap();
            // Asked to break the connection once: closed unanswered.
            if let Some(rest) = answer.strip_prefix(BREAK_ONCE) {
                *answer = rest.to_string();
                continue;
            }
            let answer = answer.clone();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

/// `custody submit` takes no receipt on the server's word: a server that
/// answers with another statement's receipt, a checkpoint of another log
/// (signed by the right key), a checkpoint older than the entry, or a
/// proof with one byte changed is refused (exit 2), and nothing is printed
/// or counted as registered. The same answers unaltered are taken.
#[test]
fn submit_counts_no_receipt_that_does_not_hold() {
    let env = Env::new(CUSTODY);
    let (key, public) = registrar(&env, "serve.example.org");
    let olha = sign(&env, &env.investigator, "olha", OLHA);
    let petro = sign(&env, &env.investigator, "petro", PETRO);
    // Real receipts, from a real server: Olha's statement, then Petro's.
    let server = Server::start(&env, &["--key", s(&key)]);
    let url = format!("{}/v1/statements", server.url);
    let receipt_of = |file: &std::path::Path| {
        let (status, _, answer) = post(&url, &std::fs::read(file).unwrap());
        assert_eq!(status, 200, "{answer}");
        answer
    };
    let of_olha = receipt_of(&olha);
    let of_petro = receipt_of(&petro);
    assert_eq!(server.stop(), 0);
    // A checkpoint of another log, signed by the same registrar key.
    let other = env.path("other");
    custody_on(
        &other,
        &["init", "--authority-key", s(&key), "--name", "other.ledger"],
        None,
    )
    .ok();
    let other_note = env.path("other.checkpoint");
    custody_on(
        &other,
        &["checkpoint", "--key", s(&key), "--out", s(&other_note)],
        None,
    )
    .ok();
    let other_note = std::fs::read_to_string(&other_note).unwrap();

    let answer = Arc::new(Mutex::new(String::new()));
    let fake = fake_server(answer.clone());
    let submit = |json: &Value| {
        *answer.lock().unwrap() = json.to_string();
        custody(
            &["submit", "--to", &fake, "--log-key", &public, s(&petro)],
            None,
        )
    };
    // The real answer, served by the fake, holds.
    let seq = of_petro["receipts"][0]["seq"].as_u64().unwrap();
    let printed = submit(&of_petro).ok();
    assert!(printed.starts_with(&format!("{seq} ")), "{printed}");
    // A connection that breaks before the answer (a server that closed it
    // beyond its connections, or restarted) is asked again: registering a
    // statement twice is safe, so the retry is too.
    *answer.lock().unwrap() = format!("{BREAK_ONCE}{of_petro}");
    let run = custody(
        &["submit", "--to", &fake, "--log-key", &public, s(&petro)],
        None,
    );
    assert!(run.stderr.contains("asking again"), "{}", run.stderr);
    let printed = run.ok();
    assert!(printed.starts_with(&format!("{seq} ")), "{printed}");

    let not_covered = format!("does not cover entry {seq}");
    let mut cases = vec![(
        "another statement's receipt",
        of_olha.clone(),
        "the entry does not carry this statement",
    )];
    let mut another_log = of_petro.clone();
    another_log["receipts"][0]["checkpoint"] = Value::from(other_note);
    cases.push((
        "another log's checkpoint",
        another_log,
        "the checkpoint is of the log \"other.ledger\"",
    ));
    let mut stale = of_petro.clone();
    stale["receipts"][0]["checkpoint"] = of_olha["receipts"][0]["checkpoint"].clone();
    cases.push(("a checkpoint older than the entry", stale, &not_covered));
    let mut altered = of_petro.clone();
    let first = altered["receipts"][0]["inclusion_proof"][0]
        .as_str()
        .expect("a proof of at least one hash")
        .to_string();
    let mut bytes = hex::decode(first).unwrap();
    bytes[0] ^= 1;
    altered["receipts"][0]["inclusion_proof"][0] = Value::from(hex::encode(bytes));
    cases.push((
        "a proof with one byte changed",
        altered.clone(),
        "inclusion proof",
    ));

    for (what, lie, why) in cases {
        let run = submit(&lie);
        assert!(run.stdout.is_empty(), "{what}: printed {:?}", run.stdout);
        let said = run.fails(
            2,
            &[
                "the server's receipt does not hold",
                "line 1",
                why,
                "nothing is confirmed",
            ],
        );
        assert!(!said.contains("registered 1 statements"), "{what}: {said}");
    }

    // Both statements in one file, Olha's receipt true and Petro's proof
    // altered: the answer is untrusted whole, Olha's line is not printed
    // as registered either.
    let both = env.path("both.statements");
    let mut text = std::fs::read_to_string(&olha).unwrap();
    text.push_str(&std::fs::read_to_string(&petro).unwrap());
    std::fs::write(&both, text).unwrap();
    let answer_both = serde_json::json!({
        "receipts": [of_olha["receipts"][0], altered["receipts"][0]]
    });
    *answer.lock().unwrap() = answer_both.to_string();
    let run = custody(
        &["submit", "--to", &fake, "--log-key", &public, s(&both)],
        None,
    );
    assert!(run.stdout.is_empty(), "printed {:?}", run.stdout);
    // A proof that does not hold is not a matter of the key: no hint at it.
    assert!(!run.stderr.contains("--log-key"), "{}", run.stderr);
    run.fails(2, &["line 2: inclusion proof", "nothing is confirmed"]);
    // Unaltered, both are taken.
    let answer_both = serde_json::json!({
        "receipts": [of_olha["receipts"][0], of_petro["receipts"][0]]
    });
    *answer.lock().unwrap() = answer_both.to_string();
    let printed = custody(
        &["submit", "--to", &fake, "--log-key", &public, s(&both)],
        None,
    )
    .ok();
    assert_eq!(printed.lines().count(), 2, "{printed}");
}

/// Reads what the server sends on `conn` until it closes it.
fn read_until_closed(conn: &mut std::net::TcpStream) -> String {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .unwrap();
    let mut answer = Vec::new();
    let read = conn.read_to_end(&mut answer);
    assert!(read.is_ok(), "{read:?}");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The connections the server holds at once are bounded: beyond the
/// limit a connection is answered 503 with Retry-After and closed,
/// nothing of it read; when one closes, its place is free again. Without
/// the bound, idle sockets (each held 15 s, and a keep-alive one for as
/// long as its client asks) use up the server's file descriptors, and
/// then nobody is answered.
#[test]
fn connections_beyond_the_limit_are_refused_until_one_closes() {
    use std::net::TcpStream;
    let env = Env::new(CUSTODY);
    let server = Server::start(&env, &["--max-connections", "4"]);
    let addr = server.url.strip_prefix("http://").unwrap().to_string();
    let healthz = format!("{}/healthz", server.url);

    // Four connections hold every place.
    let mut held = hold_connections(&addr, 4);

    // The fifth is answered 503 at once, whether or not it sent a
    // request, and closed; the request it sent is not served.
    for request in [&b""[..], b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"] {
        let mut fifth = TcpStream::connect(&addr).unwrap();
        fifth.write_all(request).unwrap();
        let answer = read_until_closed(&mut fifth);
        let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("\r\nretry-after: 1\r\n"), "{head}");
        assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
        let json: Value = serde_json::from_str(body).expect("a JSON error");
        assert!(
            json["error"].as_str().unwrap().contains("connections"),
            "{json}"
        );
        assert_ne!(body, "ok\n");
    }
    // As does a client library's request.
    assert_eq!(
        client(None).get(&healthz).call().unwrap().status().as_u16(),
        503
    );

    // One closes: its place is taken by the next connection (the server
    // sees the close a moment later).
    drop(held.remove(0));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status = client(None).get(&healthz).call().unwrap().status();
        if status.as_u16() == 200 {
            break;
        }
        assert_eq!(status.as_u16(), 503);
        assert!(
            std::time::Instant::now() < deadline,
            "no place freed within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The held ones are still served.
    let mut alive = held.pop().unwrap();
    alive
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    assert!(read_until_closed(&mut alive).contains("HTTP/1.1 200"));
    assert!(
        server.stderr().contains("refusing connections: 4 are open"),
        "{}",
        server.stderr()
    );
}

/// `n` connections to the server at `addr`, each idle after a request was
/// answered on it (so each surely holds its place: the server takes it
/// before it reads anything).
fn hold_connections(addr: &str, n: usize) -> Vec<std::net::TcpStream> {
    (1..=n)
        .map(|i| {
            let mut alive = std::net::TcpStream::connect(addr).unwrap();
            alive
                .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
                .unwrap();
            let mut first = [0u8; 12];
            alive.read_exact(&mut first).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&first),
                "HTTP/1.1 200",
                "connection {i} of the {n} the limit allows"
            );
            alive
        })
        .collect()
}

/// The connection bound follows the descriptor limit: a server started
/// with `ulimit -n` at 150 (soft) under 200 (hard) raises its soft limit
/// to 200 and holds (200 − 128 reserved) / 2 = 36 connections, and
/// refuses the 37th. Without the raise it would hold 11; without the
/// descriptor arithmetic, 1,024, and a flood of connections would leave
/// it no descriptor to open its store or answer anyone with.
#[test]
fn the_connection_bound_follows_the_descriptor_limit() {
    use std::net::TcpStream;
    let hard = std::process::Command::new("sh")
        .args(["-c", "ulimit -H -n"])
        .output()
        .unwrap();
    let hard = String::from_utf8_lossy(&hard.stdout).trim().to_string();
    if hard != "unlimited" && hard.parse::<u64>().is_ok_and(|h| h < 200) {
        eprintln!("skipped: the hard descriptor limit here is {hard}, under 200");
        return;
    }
    let env = Env::new(CUSTODY);
    let server = Server::start_in(&env, &[], "ulimit -S -n 150 && ulimit -H -n 200 || exit 9");
    let addr = server.url.strip_prefix("http://").unwrap().to_string();
    let held = hold_connections(&addr, 36);
    let mut next = TcpStream::connect(&addr).unwrap();
    next.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut next);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(
        server
            .stderr()
            .contains("refusing connections: 36 are open"),
        "{}",
        server.stderr()
    );
    drop(held);
    assert_eq!(server.stop(), 0);
}
