//! End-to-end tests of what a mirror and a witness get: `custody tiles`
//! (C2SP tlog-tiles, checked here by recomputing the tree from the files
//! alone), and `custody witness` with `checkpoint --witness` and
//! `verify --checkpoint --witness --quorum` (C2SP tlog-witness and
//! cosignature/v1), against a witness process on a loopback port.

use crate::util::{assert_unsent_body_is_dropped, s, Env, CUSTODY};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const CASES: &str = include_str!("../../cli/src/demo_cases.jsonl");
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `n` capture events of distinct people, numbered from `from` (ids far
/// apart, so that none looks like a typo of another).
fn captures(from: u32, n: u32) -> String {
    (from..from + n)
        .map(|i| {
            let id = &hex::encode(Sha256::digest(i.to_be_bytes()))[..12];
            format!("{{\"type\":\"capture\",\"person\":\"H{id}\",\"occurred_at\":\"2024\"}}\n")
        })
        .collect()
}

/// RFC 6962 `MTH` over leaf hashes, written here from the RFC.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            let mut h = Sha256::new();
            h.update([1]);
            h.update(mth(&leaves[..k]));
            h.update(mth(&leaves[k..]));
            h.finalize().into()
        }
    }
}

fn hashes(bytes: &[u8]) -> Vec<[u8; 32]> {
    assert_eq!(bytes.len() % 32, 0);
    bytes.chunks(32).map(|c| c.try_into().unwrap()).collect()
}

/// The size and root a checkpoint note states.
fn size_and_root(note: &str) -> (usize, [u8; 32]) {
    let lines: Vec<&str> = note.lines().collect();
    let root = B64.decode(lines[2]).unwrap().try_into().unwrap();
    (lines[1].parse().unwrap(), root)
}

#[test]
fn tiles_give_a_mirror_the_checkpoints_tree() {
    let env = Env::new(CUSTODY);
    let out = env.path("mirror");
    env.run(&["tiles", "--out", s(&out)])
        .fails(1, &["no checkpoint", "custody checkpoint"]);
    env.run(&["tiles", "--out", s(&env.store)])
        .fails(2, &["inside a store"]);
    env.append_ok(CASES);
    env.append_ok(&captures(0, 300));
    let cp1 = env.path("cp1.txt");
    env.checkpoint(&cp1).ok();
    let note = std::fs::read_to_string(&cp1).unwrap();
    let (size, root) = size_and_root(&note);
    assert_eq!(size, 2 + 22 + 300 + 1);
    env.run(&["tiles", "--out", s(&out), "--entries"]).ok();
    assert_eq!(
        std::fs::read_to_string(out.join("checkpoint")).unwrap(),
        note
    );
    // 325 leaves: one full level-0 tile, a partial one of 69, and a
    // level-1 tile of width 1 (the root of the full tile).
    let full = std::fs::read(out.join("tile/0/000")).unwrap();
    assert_eq!(full.len(), 256 * 32);
    let partial = std::fs::read(out.join("tile/0/001.p/69")).unwrap();
    assert_eq!(partial.len(), 69 * 32, "a partial tile's width");
    let level1 = std::fs::read(out.join("tile/1/000.p/1")).unwrap();
    let full_hashes = hashes(&full);
    assert_eq!(level1, mth(&full_hashes));
    let mut leaves = full_hashes.clone();
    leaves.extend(hashes(&partial));
    assert_eq!(mth(&leaves), root, "the tiles' tree is the checkpoint's");
    // The entry bundle's entries hash to the level-0 tile's leaves.
    let bundle = std::fs::read(out.join("tile/entries/000")).unwrap();
    let (mut at, mut n) = (0, 0);
    while at < bundle.len() {
        let len = u16::from_be_bytes([bundle[at], bundle[at + 1]]) as usize;
        let entry = &bundle[at + 2..at + 2 + len];
        let leaf: [u8; 32] = Sha256::new()
            .chain_update([0])
            .chain_update(entry)
            .finalize()
            .into();
        assert_eq!(leaf, full_hashes[n], "entry {n}");
        at += 2 + len;
        n += 1;
    }
    assert_eq!(n, 256);
    assert!(out.join("tile/entries/001.p/69").exists());

    // More entries, a new checkpoint: the directory is extended; the full
    // tiles already there are kept, the new partial ones are added.
    env.append_ok(&captures(300, 10));
    let cp2 = env.path("cp2.txt");
    env.checkpoint(&cp2).ok();
    let second = env.run(&["tiles", "--out", s(&out)]).ok();
    assert!(second.contains("already there"), "{second}");
    assert!(out.join("tile/0/001.p/81").exists());
    assert!(out.join("tile/0/001.p/69").exists());
    assert!(
        !out.join("tile/entries/001.p/81").exists(),
        "no entries without --entries"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("checkpoint")).unwrap(),
        std::fs::read_to_string(&cp2).unwrap()
    );
    // Publishing the older checkpoint would roll the mirror back.
    env.run(&["tiles", "--out", s(&out), "--checkpoint", s(&cp1)])
        .fails(1, &["newer than the one to publish"]);
    // A tampered tile is refused and never overwritten.
    let mut tampered = full.clone();
    tampered[100] ^= 1;
    std::fs::write(out.join("tile/0/000"), &tampered).unwrap();
    env.run(&["tiles", "--out", s(&out)])
        .fails(1, &["tile/0/000", "exists with other bytes"]);
    assert_eq!(std::fs::read(out.join("tile/0/000")).unwrap(), tampered);
}

/// A `custody witness` process on a free loopback port, killed on drop.
struct Witness {
    child: Child,
    url: String,
}

impl Witness {
    fn start(env: &Env, name: &str, key: &Path, log_vkey: &str) -> Witness {
        let state = env.path(&format!("state-{}", name.replace('/', "_")));
        let mut child = Command::new(crate::util::BIN)
            .args([
                "witness",
                "--name",
                name,
                "--key",
                s(key),
                "--state",
                s(&state),
            ])
            .args(["--log", log_vkey, "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start custody witness");
        // It says where it listens once it does (port 0: the kernel chose).
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut url = None;
        let mut seen = String::new();
        for line in (&mut stderr).lines() {
            let line = line.unwrap();
            seen.push_str(&line);
            if let Some(u) = line.strip_prefix("listening on ") {
                url = Some(u.to_string());
                break;
            }
        }
        let url = url.unwrap_or_else(|| panic!("the witness did not start: {seen}"));
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Witness { child, url }
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw HTTP/1.1 exchange with the witness, as any client would have it:
/// the request line and the body; returns the status and the answer's body.
/// (A bound on the wait turns a server that never answers into a failure,
/// not a hung test.)
fn http(url: &str, request_line: &str, body: &str) -> (u16, String) {
    let addr = url.strip_prefix("http://").unwrap();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .unwrap();
    write!(
        conn,
        "{request_line} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // A server that refuses a body may close the connection early: keep
    // what was read before it did.
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

/// A raw `POST /add-checkpoint`: the status.
fn add_checkpoint(url: &str, body: &str) -> u16 {
    http(url, "POST /add-checkpoint", body).0
}

fn witness_key(env: &Env, name: &str, file: &str) -> (std::path::PathBuf, String) {
    let key = env.path(file);
    env.run(&["key", "generate", "--out", s(&key)]).ok();
    let vkey = env
        .run(&["witness", "key", "--name", name, "--key", s(&key)])
        .ok()
        .trim()
        .to_string();
    (key, vkey)
}

/// A ledger with the demo cases, a running witness `w.example/1` of it,
/// and the verifier key of a second witness that never runs.
pub(crate) struct Cosigning {
    pub(crate) env: Env,
    log_vkey: String,
    witness: Witness,
    pub(crate) w1: String,
    w2: String,
    target: String,
}

impl Cosigning {
    pub(crate) fn new() -> Cosigning {
        let env = Env::new(CUSTODY);
        env.append_ok(CASES);
        let authority_hex = env.run(&["key", "public", "--key", s(&env.authority)]).ok();
        let authority: [u8; 32] = hex::decode(authority_hex.trim())
            .unwrap()
            .try_into()
            .unwrap();
        let log_vkey = custody_format::note::verifier_key("test.ledger", &authority);
        let (w1_key, w1) = witness_key(&env, "w.example/1", "w1.pem");
        let (_, w2) = witness_key(&env, "w.example/2", "w2.pem");
        assert!(w1.starts_with("w.example/1+"), "{w1}");
        let witness = Witness::start(&env, "w.example/1", &w1_key, &log_vkey);
        let target = format!("{}={w1}", witness.url);
        Cosigning {
            env,
            log_vkey,
            witness,
            w1,
            w2,
            target,
        }
    }

    /// `custody checkpoint --witness` on `store` (the env's if `None`),
    /// written to `out` if given.
    pub(crate) fn checkpoint(&self, store: Option<&Path>, out: Option<&Path>) -> crate::util::Run {
        let mut args = vec!["checkpoint", "--key", s(&self.env.authority)];
        args.extend(["--witness", &self.target]);
        if let Some(out) = out {
            args.extend(["--out", s(out)]);
        }
        crate::util::custody_on(store.unwrap_or(&self.env.store), &args, None)
    }

    fn verify(&self, cp: &Path, extra: &[&str]) -> crate::util::Run {
        let mut args = vec!["verify", "--checkpoint", s(cp)];
        args.extend_from_slice(extra);
        self.env.run(&args)
    }

    /// `custody verify --bundle BUNDLE EXTRA…`.
    fn verify_bundle(&self, bundle: &Path, extra: &[&str]) -> crate::util::Run {
        let mut args = vec!["verify", "--bundle", s(bundle)];
        args.extend_from_slice(extra);
        self.env.run(&args)
    }

    /// The JSON report of `verify --bundle BUNDLE --witness` (the first
    /// witness), which must pass.
    fn verify_bundle_json(&self, bundle: &Path) -> serde_json::Value {
        let out = self
            .env
            .run(&[
                "--json",
                "verify",
                "--bundle",
                s(bundle),
                "--witness",
                &self.w1,
            ])
            .ok();
        serde_json::from_str(out.trim()).unwrap()
    }
}

fn cosigned_by(run: &crate::util::Run, k: usize) {
    let needle = format!("cosigned by {k} of 1 witnesses");
    assert!(run.stderr.contains(&needle), "{}", run.stderr);
}

#[test]
fn checkpoints_are_cosigned_and_verify_counts_the_quorum() {
    let c = Cosigning::new();
    // A witness given wrongly is refused before anything is recorded.
    let entries = || c.env.run(&["log"]).ok().lines().count();
    let before = entries();
    let ftp = format!("ftp://w.example={}", c.w1);
    c.env
        .run(&[
            "checkpoint",
            "--key",
            s(&c.env.authority),
            "--witness",
            &ftp,
        ])
        .fails(2, &["https:// or http://"]);
    let not_a_witness_key = format!("http://127.0.0.1:1={}", c.log_vkey);
    c.env
        .run(&[
            "checkpoint",
            "--key",
            s(&c.env.authority),
            "--witness",
            &not_a_witness_key,
        ])
        .fails(2, &["not a witness's"]);
    assert_eq!(entries(), before, "nothing recorded");
    // The first checkpoint: the witness has seen nothing, and cosigns.
    let cp1 = c.env.path("cp1.txt");
    let run = c.checkpoint(None, Some(&cp1));
    cosigned_by(&run, 1);
    let printed = run.ok();
    let note1 = std::fs::read_to_string(&cp1).unwrap();
    assert_eq!(printed, note1);
    assert!(note1.contains("\n\u{2014} w.example/1 "), "{note1}");
    let ok = c.verify(&cp1, &["--witness", &c.w1, "--quorum", "1"]);
    assert!(ok.stderr.contains("quorum 1 met"), "{}", ok.stderr);
    ok.ok();
    c.verify(
        &cp1,
        &["--witness", &c.w1, "--witness", &c.w2, "--quorum", "2"],
    )
    .fails(
        1,
        &[
            "1 of the 2 listed witnesses cosigned",
            "w.example/2",
            "at least 2 must",
        ],
    );
    for quorum in ["0", "3"] {
        c.verify(
            &cp1,
            &["--witness", &c.w1, "--witness", &c.w2, "--quorum", quorum],
        )
        .fails(2, &["--quorum"]);
    }
    // One witness listed twice is not two.
    c.verify(
        &cp1,
        &["--witness", &c.w1, "--witness", &c.w1, "--quorum", "2"],
    )
    .fails(2, &["listed twice"]);

    // More entries: the witness has size 25 and gets a consistency proof
    // from it (after telling the client its size: 409).
    c.env.append_ok(&captures(0, 5));
    let cp2 = c.env.path("cp2.txt");
    let run = c.checkpoint(None, Some(&cp2));
    cosigned_by(&run, 1);
    run.ok();
    c.verify(&cp2, &["--witness", &c.w1]).ok();

    // A forged cosignature: the witness's line with one signature byte
    // changed.
    let note2 = std::fs::read_to_string(&cp2).unwrap();
    let line = note2
        .lines()
        .find(|l| l.starts_with("\u{2014} w.example/1 "))
        .unwrap();
    let mut blob = B64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    blob[40] ^= 1;
    let forged = note2.replace(line, &format!("\u{2014} w.example/1 {}", B64.encode(blob)));
    let forged_file = c.env.path("forged.txt");
    std::fs::write(&forged_file, forged).unwrap();
    c.verify(&forged_file, &["--witness", &c.w1])
        .fails(1, &["w.example/1", "does not verify"]);
    // The first checkpoint's cosignature moved onto the second checkpoint.
    let line1 = note1
        .lines()
        .find(|l| l.starts_with("\u{2014} w.example/1 "))
        .unwrap();
    let moved_file = c.env.path("moved.txt");
    std::fs::write(&moved_file, note2.replace(line, line1)).unwrap();
    c.verify(&moved_file, &["--witness", &c.w1])
        .fails(1, &["does not verify"]);
    // Without the cosignature, the same checkpoint lacks the quorum.
    let bare_file = c.env.path("bare.txt");
    std::fs::write(&bare_file, note2.replace(&format!("{line}\n"), "")).unwrap();
    c.verify(&bare_file, &["--witness", &c.w1])
        .fails(1, &["0 of the 1 listed witnesses"]);
}

/// The witnesses of a bundle's tree are checked on the cosigned note it is
/// pinned to; a tlog-proof carries the cosigned note and is checked
/// offline.
#[test]
fn cosignatures_are_checked_for_bundles_and_proofs() {
    let c = Cosigning::new();
    let cp1 = c.env.path("cp1.txt");
    c.checkpoint(None, Some(&cp1)).ok();
    // A person's bundle, pinned to the cosigned checkpoint of its tree:
    // the witnesses vouch for the tree the bundle proves complete in.
    let bundle = c.env.path("bundle.json");
    c.env
        .run(&["export", "--person", "P-0001", "--out", s(&bundle)])
        .ok();
    let verified = c
        .env
        .run(&[
            "verify",
            "--bundle",
            s(&bundle),
            "--checkpoint",
            s(&cp1),
            "--witness",
            &c.w1,
        ])
        .ok();
    assert!(verified.contains("COMPLETE"), "{verified}");
    c.env
        .run(&[
            "verify",
            "--bundle",
            s(&bundle),
            "--checkpoint",
            s(&cp1),
            "--witness",
            &c.w2,
        ])
        .fails(1, &["0 of the 1 listed witnesses"]);
    // A tlog-proof carries the cosigned note verbatim, and its witnesses
    // are checked offline.
    let (proof, entry) = (c.env.path("e3.tlog-proof"), c.env.path("e3.entry"));
    c.env
        .run(&[
            "prove",
            "--seq",
            "3",
            "--format",
            "tlog-proof",
            "--checkpoint",
            s(&cp1),
            "--out",
            s(&proof),
            "--entry-out",
            s(&entry),
        ])
        .ok();
    let authority = c
        .env
        .run(&["key", "public", "--key", s(&c.env.authority)])
        .ok();
    let verify_proof = |witness: &str| {
        c.env.run(&[
            "verify",
            "--proof",
            s(&proof),
            "--entry",
            s(&entry),
            "--authority",
            authority.trim(),
            "--witness",
            witness,
        ])
    };
    verify_proof(&c.w1).ok();
    verify_proof(&c.w2).fails(1, &["0 of the 1 listed witnesses"]);
    // A cosignature dated an hour ahead: valid, and the user is told.
    let note1 = std::fs::read_to_string(&cp1).unwrap();
    let log_only: String = note1
        .lines()
        .filter(|l| !l.starts_with("\u{2014} w.example/"))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = &log_only[..log_only.find("\n\n").unwrap() + 1];
    let key = custody_ledger::keyfile::read_signing_key(&c.env.path("w1.pem")).unwrap();
    let ahead = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let line = custody_ledger::cosign::cosignature_line("w.example/1", &key, ahead, text);
    let future = c.env.path("future.txt");
    std::fs::write(&future, format!("{log_only}{line}")).unwrap();
    let run = c.verify(&future, &["--witness", &c.w1]);
    assert!(
        run.stderr.contains("ahead of this machine's clock"),
        "{}",
        run.stderr
    );
    run.ok();
}

#[test]
fn a_witness_refuses_forks_and_rollbacks() {
    let c = Cosigning::new();
    let cp1 = c.env.path("cp1.txt");
    c.checkpoint(None, Some(&cp1)).ok();
    c.env.append_ok(&captures(0, 5));
    let cp2 = c.env.path("cp2.txt");
    c.checkpoint(None, Some(&cp2)).ok();
    let note1 = std::fs::read_to_string(&cp1).unwrap();
    let note2 = std::fs::read_to_string(&cp2).unwrap();

    // A rollback sent to the witness: the old checkpoint, claiming the
    // witness's size as old size, is refused (400); from 0, the witness
    // names its size (409).
    let (size2, _) = size_and_root(&note2);
    let log_only: String = note1
        .lines()
        .filter(|l| !l.starts_with("\u{2014} w.example/"))
        .map(|l| format!("{l}\n"))
        .collect();
    let url = &c.witness.url;
    assert_eq!(
        add_checkpoint(url, &format!("old {size2}\n\n{log_only}")),
        400
    );
    assert_eq!(add_checkpoint(url, &format!("old 0\n\n{log_only}")), 409);
    // A request larger than the witness accepts (80 KiB) is refused.
    let (status, _) = http(url, "POST /add-checkpoint", &"o".repeat(80 * 1024 + 1));
    assert_eq!(status, 413);
    // A body that never arrives holds no connection for good: 408 after
    // the header timeout (15 s), or the connection closed.
    {
        let addr = url.strip_prefix("http://").unwrap();
        assert_unsent_body_is_dropped(
            addr,
            &format!(
                "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\nold 0\n"
            ),
        );
    }
    // The monitoring read: the last checkpoint it cosigned, cosignature
    // included.
    let origin_hash = hex::encode(Sha256::digest(b"test.ledger"));
    let (status, latest) = http(url, &format!("GET /{origin_hash}/checkpoint"), "");
    assert_eq!(status, 200);
    assert_eq!(size_and_root(&latest), size_and_root(&note2));
    assert!(latest.contains("\n\u{2014} w.example/1 "), "{latest}");
    // One state directory serves one witness process.
    let w1_key = c.env.path("w1.pem");
    let log_vkey = c.log_vkey.clone();
    c.env
        .run(&[
            "witness",
            "--name",
            "w.example/1",
            "--key",
            s(&w1_key),
            "--state",
            s(&c.env.path("state-w.example_1")),
            "--log",
            &log_vkey,
            "--listen",
            "127.0.0.1:0",
        ])
        .fails(2, &["in use by another witness process"]);
    // A witness never cosigns with a key of a log it follows.
    c.env
        .run(&[
            "witness",
            "--name",
            "w.example/3",
            "--key",
            s(&c.env.authority),
            "--state",
            s(&c.env.path("state-3")),
            "--log",
            &log_vkey,
        ])
        .fails(2, &["serves this witness only"]);

    // A fork: another ledger of the same name and authority key, larger
    // than what the witness saw. The witness refuses it (422); the
    // checkpoint is still made, with a warning naming the witness.
    let fork = c.env.path("fork");
    c.env.init_fork(&fork);
    let mut lines = CASES.to_string();
    lines.push_str(&captures(0, 20));
    let append = ["append", "--key", s(&c.env.investigator)];
    crate::util::custody_on(&fork, &append, Some(&lines)).ok();
    let run = c.checkpoint(Some(&fork), None);
    assert!(run.stderr.contains("w.example/1"), "{}", run.stderr);
    assert!(run.stderr.contains("answered 422"), "{}", run.stderr);
    cosigned_by(&run, 0);
    assert!(!run.ok().contains("w.example/1"));
    // A fork smaller than what the witness saw looks rolled back.
    let small = c.env.path("small");
    c.env.init_fork(&small);
    let run = c.checkpoint(Some(&small), None);
    assert!(
        run.stderr.contains("rolled back or forked"),
        "{}",
        run.stderr
    );
    cosigned_by(&run, 0);
    // The witness still extends the true ledger.
    c.env.append_ok(&captures(100, 2));
    cosigned_by(&c.checkpoint(None, None), 1);
    // A witness that is down: named in a warning, the checkpoint made.
    let down = format!("http://127.0.0.1:1={}", c.w2);
    let run = c.env.run(&[
        "checkpoint",
        "--key",
        s(&c.env.authority),
        "--witness",
        &down,
    ]);
    assert!(
        run.stderr.contains("w.example/2") && run.stderr.contains("unreachable"),
        "{}",
        run.stderr
    );
    cosigned_by(&run, 0);
    run.ok();
}

/// The first signature line of `note` by the witness `name`.
fn witness_line<'a>(note: &'a str, name: &str) -> &'a str {
    note.lines()
        .find(|l| l.starts_with(&format!("\u{2014} {name} ")))
        .unwrap_or_else(|| panic!("no line by {name} in {note:?}"))
}

/// A bundle file's JSON, with its checkpoint note changed by `f`, written
/// to a new file named `name`.
fn bundle_with_note(
    c: &Cosigning,
    bundle: &Path,
    name: &str,
    f: impl FnOnce(&str) -> String,
) -> std::path::PathBuf {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle).unwrap()).unwrap();
    let note = f(v["checkpoint"].as_str().unwrap());
    v["checkpoint"] = serde_json::Value::String(note);
    let out = c.env.path(name);
    std::fs::write(&out, v.to_string() + "\n").unwrap();
    out
}

/// `export --person P --cosigned` proves the bundle against the checkpoint
/// the witnesses cosigned and carries their lines in its note; `verify
/// --bundle --witness --quorum` requires them, and refuses an altered line,
/// a line moved from another checkpoint and a quorum not met. The bundle
/// is the plain one of that tree, but for the witnesses' lines, and
/// without --witness it verifies as before.
#[test]
fn a_bundle_carries_its_witnesses_and_verify_requires_them() {
    let c = Cosigning::new();
    let verify = |bundle: &Path, extra: &[&str]| c.verify_bundle(bundle, extra);
    // No cosigned checkpoint in the store yet: refused, with what to do.
    c.env
        .run(&["checkpoint", "--key", s(&c.env.authority)])
        .ok();
    c.env
        .run(&["export", "--person", "P-0001", "--cosigned"])
        .fails(
            1,
            &[
                "no checkpoint cosigned by witnesses",
                "custody checkpoint",
                "--witness URL=VKEY",
            ],
        );

    let cp1 = c.env.path("cp1.txt");
    c.checkpoint(None, Some(&cp1)).ok();
    let (size1, _) = size_and_root(&std::fs::read_to_string(&cp1).unwrap());
    let bundle = c.env.path("cosigned.json");
    let run = c.env.run(&[
        "export",
        "--person",
        "P-0001",
        "--cosigned",
        "--out",
        s(&bundle),
    ]);
    assert!(
        run.stderr.contains("1 cosignature line(s) by witnesses"),
        "{}",
        run.stderr
    );
    run.ok();
    let plain = c.env.path("plain.json");
    c.env
        .run(&["export", "--person", "P-0001", "--out", s(&plain)])
        .ok();
    // The plain bundle of the same tree is the cosigned one without the
    // witness's line: nothing else differs.
    let without = bundle_with_note(&c, &bundle, "without.json", |note| {
        note.replace(&format!("{}\n", witness_line(note, "w.example/1")), "")
    });
    let json_of = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    assert_eq!(json_of(&without), json_of(&plain));

    // Without --witness: COMPLETE, the line reported as not checked.
    let out = verify(&bundle, &[]).ok();
    assert!(out.contains("COMPLETE"), "{out}");
    assert!(
        out.contains("1 signature line(s) by other keys, not checked"),
        "{out}"
    );
    let out = verify(&plain, &[]).ok();
    assert!(!out.contains("witnesses:"), "{out}");
    // With the witness: its cosignature is named in the report and JSON.
    let out = verify(&bundle, &["--witness", &c.w1, "--quorum", "1"]).ok();
    assert!(
        out.contains("witnesses:  cosigned by 1 of the 1 listed witnesses (w.example/1 at "),
        "{out}"
    );
    let v = c.verify_bundle_json(&bundle);
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["checkpoint_size"], size1 as u64, "{v}");
    assert_eq!(v["witnesses"]["quorum"], 1, "{v}");
    assert_eq!(
        v["witnesses"]["cosigned"][0]["witness"], "w.example/1",
        "{v}"
    );

    // A quorum not met: named, with the witness that did not cosign.
    let two = ["--witness", &c.w1, "--witness", &c.w2, "--quorum", "2"];
    let out = verify(&bundle, &two).fails(
        1,
        &[
            "INVALID  bundle",
            "rule:   cosignature",
            "1 of the 2 listed witnesses",
            "w.example/2",
            "at least 2 must",
        ],
    );
    assert!(
        out.contains("custody export --person P --cosigned"),
        "{out}"
    );
    // The plain bundle has no cosignature of its own.
    verify(&plain, &["--witness", &c.w1]).fails(1, &["0 of the 1 listed witnesses"]);

    // The witness's line with one signature byte changed.
    let forged = bundle_with_note(&c, &bundle, "forged.json", |note| {
        let line = witness_line(note, "w.example/1");
        let mut blob = B64.decode(line.rsplit(' ').next().unwrap()).unwrap();
        blob[40] ^= 1;
        note.replace(line, &format!("\u{2014} w.example/1 {}", B64.encode(blob)))
    });
    verify(&forged, &["--witness", &c.w1]).fails(1, &["w.example/1", "does not verify"]);
    // Without --witness the bundle itself still holds: the line is the
    // witness's claim, not the ledger's.
    verify(&forged, &[]).ok();
}

/// A cosignature is of one tree: moved from a later checkpoint onto a
/// bundle's note it does not hold, and a cosigned checkpoint of an older
/// tree lends a newer bundle no witnesses; a newer cosigned checkpoint
/// gives its own bundle.
#[test]
fn a_cosignature_holds_for_its_own_tree_only() {
    let c = Cosigning::new();
    let verify = |bundle: &Path, extra: &[&str]| c.verify_bundle(bundle, extra);
    let cp1 = c.env.path("cp1.txt");
    c.checkpoint(None, Some(&cp1)).ok();
    let (size1, _) = size_and_root(&std::fs::read_to_string(&cp1).unwrap());
    let bundle = c.env.path("cosigned.json");
    c.env
        .run(&[
            "export",
            "--person",
            "P-0001",
            "--cosigned",
            "--out",
            s(&bundle),
        ])
        .ok();
    // More entries and a second cosigned checkpoint: its cosignature moved
    // onto the first bundle's note does not hold for that tree.
    c.env.append_ok(&captures(0, 3));
    let cp2 = c.env.path("cp2.txt");
    c.checkpoint(None, Some(&cp2)).ok();
    let note2 = std::fs::read_to_string(&cp2).unwrap();
    let moved = bundle_with_note(&c, &bundle, "moved.json", |note| {
        note.replace(
            witness_line(note, "w.example/1"),
            witness_line(&note2, "w.example/1"),
        )
    });
    verify(&moved, &["--witness", &c.w1]).fails(1, &["does not verify"]);
    // The second cosigned checkpoint's bundle holds with its own line.
    let bundle2 = c.env.path("cosigned2.json");
    c.env
        .run(&[
            "export",
            "--person",
            "P-0001",
            "--cosigned",
            "--out",
            s(&bundle2),
        ])
        .ok();
    verify(&bundle2, &["--witness", &c.w1]).ok();
    // A cosigned checkpoint of an older tree lends the newer bundle no
    // witnesses, even when the bundle is anchored to it.
    let plain2 = c.env.path("plain2.json");
    c.env
        .run(&[
            "export",
            "--person",
            "P-0001",
            "--anchor",
            s(&cp1),
            "--out",
            s(&plain2),
        ])
        .ok();
    verify(&plain2, &["--checkpoint", s(&cp1)]).ok();
    verify(&plain2, &["--checkpoint", s(&cp1), "--witness", &c.w1])
        .fails(1, &["0 of the 1 listed witnesses", "another tree"]);
    // --at naming another tree than the cosigned one is refused.
    c.env
        .run(&[
            "export",
            "--person",
            "P-0001",
            "--cosigned",
            "--at",
            &size1.to_string(),
        ])
        .fails(1, &["--at", "--cosigned"]);
}

/// A later checkpoint that witnesses did not cosign: `--cosigned` still
/// proves against the cosigned tree, and warns that what came after is not
/// in the bundle. A cosigned note in the store that is not of this ledger's
/// tree is refused rather than carried.
#[test]
fn export_cosigned_keeps_to_the_cosigned_tree() {
    let c = Cosigning::new();
    let cp1 = c.env.path("cp1.txt");
    c.checkpoint(None, Some(&cp1)).ok();
    let (size1, _) = size_and_root(&std::fs::read_to_string(&cp1).unwrap());
    c.env.append_ok(&captures(0, 3));
    c.env
        .run(&["checkpoint", "--key", s(&c.env.authority)])
        .ok();
    let bundle = c.env.path("b.json");
    let run = c.env.run(&[
        "export",
        "--person",
        "P-0001",
        "--cosigned",
        "--out",
        s(&bundle),
    ]);
    assert!(
        run.stderr
            .contains("warning: the ledger has a later checkpoint"),
        "{}",
        run.stderr
    );
    run.ok();
    let v = c.verify_bundle_json(&bundle);
    assert_eq!(v["checkpoint_size"], size1 as u64, "{v}");

    // The stored note's root replaced by another: not this ledger's tree.
    let stored = c.env.store.join("cosigned-checkpoint.note");
    let note = std::fs::read_to_string(&stored).unwrap();
    let root = note.lines().nth(2).unwrap();
    let other = B64.encode([7u8; 32]);
    std::fs::write(&stored, note.replacen(root, &other, 1)).unwrap();
    c.env
        .run(&["export", "--person", "P-0001", "--cosigned"])
        .fails(1, &["not of this ledger's tree"]);
    // A custody-bundle/1 carries no cosignatures.
    c.env
        .run(&[
            "export",
            "--person",
            "P-0001",
            "--cosigned",
            "--format",
            "custody-bundle/1",
        ])
        .fails(1, &["--cosigned"]);
}
