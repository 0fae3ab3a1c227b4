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
//! so nothing here waits long.

use crate::serve::{client, Server};
use crate::statements::{registrar, sign};
use crate::util::{s, Env, CUSTODY};
use serde_json::Value;
use std::io::{Read, Write};

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
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(120)))
            .unwrap();
        write!(
            conn,
            "POST /v1/statements HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 8388608\r\n\r\n{}",
            &lines[0][..40]
        )
        .unwrap();
        let mut answer = Vec::new();
        let read = conn.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            read.is_ok() && (answer.is_empty() || answer.starts_with("HTTP/1.1 408")),
            "{read:?} {answer:?}"
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
