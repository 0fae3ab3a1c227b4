//! Findings of the adversarial review of 2 December (tiles, witness,
//! serve, mirror, append), each kept as the regression test that failed
//! until its defect was fixed: a first mirror keeps the pinned authority
//! whatever a two-faced source serves; a checkpoint stating a huge tree is
//! refused, not a crash; overlapping appends cannot both add
//! near-duplicate persons.

use crate::util::{custody_on, s, Env, CUSTODY};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

fn authority_hex(env: &Env, key: &Path) -> String {
    env.run(&["key", "public", "--key", s(key)])
        .ok()
        .trim()
        .to_string()
}

/// The one entry-bundle file a tiles directory of one partial tile holds.
fn only_entry_bundle(tiles: &Path) -> PathBuf {
    let dir = tiles.join("tile/entries/000.p");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.pop().unwrap()
}

/// A source that answers from `honest` except that the FIRST request for
/// an entry bundle gets `decoy`'s tile-0 bundle: what a malicious server
/// (or anyone on the path of an http:// source) can do. Serves one
/// request per connection; returns its base URL.
fn two_faced_source(honest: PathBuf, decoy_bundle: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut decoy_served = false;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let path = line
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let body = if path.starts_with("tile/entries/") && !decoy_served {
                decoy_served = true;
                Some(decoy_bundle.clone())
            } else {
                std::fs::read(honest.join(path)).ok()
            };
            let _ = match body {
                Some(b) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            b.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(&b)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    url
}

/// Finding 1 (high): the first run checks the pinned authority on a
/// genesis it fetches once, then builds the replica from a SECOND fetch
/// of the same tile, which it never compares with the first. A source
/// that answers the first fetch with the genuine genesis and the second
/// with its own ledger (same name, its own authority key, its own signed
/// checkpoint) gets a replica whose genesis names a key the auditor never
/// pinned, reported as "every signature ... verify(ies)".
#[test]
fn a_first_mirror_keeps_the_pinned_authority_whatever_the_source_serves_twice() {
    let env = Env::new(CUSTODY);
    // The genuine ledger (the pinned authority's) and its tiles.
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    let genuine = env.path("genuine-tiles");
    env.run(&["tiles", "--out", s(&genuine), "--entries"]).ok();
    // An impostor: same ledger name, its own authority key.
    let impostor_key = env.path("impostor.pem");
    env.run(&["key", "generate", "--out", s(&impostor_key)])
        .ok();
    let impostor = env.path("impostor");
    let on = |args: &[&str]| custody_on(&impostor, args, None);
    on(&[
        "init",
        "--authority-key",
        s(&impostor_key),
        "--name",
        "test.ledger",
    ])
    .ok();
    on(&["checkpoint", "--key", s(&impostor_key)]).ok();
    let impostor_tiles = env.path("impostor-tiles");
    on(&["tiles", "--out", s(&impostor_tiles), "--entries"]).ok();

    let url = two_faced_source(
        impostor_tiles,
        std::fs::read(only_entry_bundle(&genuine)).unwrap(),
    );
    let pinned = authority_hex(&env, &env.authority);
    let replica = env.path("replica");
    let run = custody_on(
        &replica,
        &["mirror", "--from", &url, "--authority", &pinned],
        None,
    );
    if run.code == 0 {
        let log = custody_on(&replica, &["export"], None).ok();
        assert!(
            log.contains(&pinned),
            "the replica was built, but its genesis does not name the pinned authority {pinned}:\n{log}"
        );
    } else {
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(!replica.exists() || std::fs::read_dir(&replica).unwrap().next().is_none());
    }
}

/// Finding 2 (medium): a later run trusts the size an unsigned, unchecked
/// checkpoint states and reserves memory for that many entries before it
/// fetches one: a source (or anyone on the path of http://) aborts the
/// mirror with a failed allocation (SIGABRT, exit 134) instead of a
/// refusal.
#[test]
fn a_checkpoint_stating_a_huge_tree_is_refused_not_a_crash() {
    let env = Env::new(CUSTODY);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    let tiles = env.path("tiles");
    env.run(&["tiles", "--out", s(&tiles), "--entries"]).ok();
    let replica = env.path("replica");
    let pinned = authority_hex(&env, &env.authority);
    custody_on(
        &replica,
        &["mirror", "--from", s(&tiles), "--authority", &pinned],
        None,
    )
    .ok();
    let note = std::fs::read_to_string(tiles.join("checkpoint")).unwrap();
    let mut lines: Vec<&str> = note.split('\n').collect();
    lines[1] = "100000000000000000";
    std::fs::write(tiles.join("checkpoint"), lines.join("\n")).unwrap();
    custody_on(&replica, &["mirror", "--from", s(&tiles)], None).fails(1, &[]);
}

/// Finding 4 (medium): append checks near-duplicate person ids against a
/// snapshot taken before it holds the write lock, and never again. Two
/// appends that overlap both pass, and one person is split in two ids
/// (`P-Zed`, `P-ZED`) that a sequential append refuses without
/// `--new-person`. Deterministic: append A's snapshot is taken when it
/// names its line 1 target on stderr; B commits then; A reads its line 2.
#[test]
fn overlapping_appends_cannot_both_add_near_duplicate_persons() {
    use std::process::{Command, Stdio};
    let env = Env::new(CUSTODY);
    let acks = env.append_ok(
        r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}"#,
    );
    let seq = acks[0].0;
    let mut a = Command::new(crate::util::BIN)
        .args([
            "--store",
            s(&env.store),
            "append",
            "--key",
            s(&env.investigator),
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = a.stdin.take().unwrap();
    let mut stderr = BufReader::new(a.stderr.take().unwrap());
    writeln!(
        stdin,
        r#"{{"type":"dispute","person":"P-1","occurred_at":"2023-07","target_seq":{seq},"by":"the family","reason":"r"}}"#
    )
    .unwrap();
    stdin.flush().unwrap();
    let mut seen = String::new();
    while !seen.contains("line 1: target") {
        let mut l = String::new();
        assert!(stderr.read_line(&mut l).unwrap() > 0, "A ended: {seen}");
        seen.push_str(&l);
    }
    // B, while A is between its check and its commit.
    env.append_ok(r#"{"type":"capture","person":"P-ZED","occurred_at":"2022-05-17"}"#);
    writeln!(
        stdin,
        r#"{{"type":"capture","person":"P-Zed","occurred_at":"2022-05-17"}}"#
    )
    .unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = a.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "P-Zed was appended beside P-ZED, unconfirmed:\n{seen}{rest}"
    );
    assert!(rest.contains("near P-ZED"), "{rest}");
}
