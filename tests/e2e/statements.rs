//! Statements signed in the field and registered later (format v3,
//! docs/design/format-v3.md §4): `custody sign` on the investigators'
//! machines, `custody append --signed` at the office, by an investigator
//! or a registrar; a file handed in twice; a key revoked between signing
//! and registration.

use crate::util::{custody, s, Env, CUSTODY};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A new key in `env`'s directory: its file and its public key (hex).
pub(crate) fn new_key(env: &Env, name: &str) -> (PathBuf, String) {
    let path = env.path(&format!("{name}.pem"));
    let public = custody(&["key", "generate", "--out", s(&path)], None)
        .ok()
        .trim()
        .to_string();
    (path, public)
}

/// Signs `events` (JSON Lines) with `key` for the test ledger, offline:
/// no store is named. Returns the statement file.
pub(crate) fn sign(env: &Env, key: &Path, name: &str, events: &str) -> PathBuf {
    let input = env.path(&format!("{name}.jsonl"));
    std::fs::write(&input, events).unwrap();
    let out = env.path(&format!("{name}.statements"));
    custody(
        &[
            "sign",
            "--key",
            s(key),
            "--ledger",
            "test.ledger",
            s(&input),
            "--out",
            s(&out),
        ],
        None,
    )
    .ok();
    out
}

pub(crate) const OLHA: &str = r#"{"type":"sighting","person":"UA-0101","occurred_at":"2022-09","source":"returned_pow","place":"Olenivka","witnesses":"O. K., cell 4"}
"#;
pub(crate) const PETRO: &str = r#"{"type":"capture","person":"UA-0102","occurred_at":"2022-04-02","place":"Bucha","notes":"taken from his house by soldiers"}
"#;
const STOLEN: &str = r#"{"type":"death","person":"UA-0101","occurred_at":"2022-10","cause":"execution"}
"#;

/// Three investigators sign in the field; the office registers their files
/// with a registrar key. A file handed in twice adds nothing; the statement
/// of an investigator whose key was revoked meanwhile is refused, whatever
/// time it claims; the history names each author and the registrar.
#[test]
fn three_investigators_sign_offline_and_the_office_registers_their_statements() {
    let env = Env::new(CUSTODY);
    let (olha, olha_pub) = new_key(&env, "olha");
    let (petro, petro_pub) = new_key(&env, "petro");
    let (lost, lost_pub) = new_key(&env, "lost");
    let (registrar, _) = registrar(&env, "office");
    for (holder, key) in [
        ("Olha (field team A)", &olha_pub),
        ("Petro (field team B)", &petro_pub),
        ("Laptop stolen in May", &lost_pub),
    ] {
        env.grant_investigator(holder, key).ok();
    }
    // Signed offline, before anything is registered.
    let a = sign(&env, &olha, "olha", OLHA);
    let b = sign(&env, &petro, "petro", PETRO);
    let c = sign(&env, &lost, "lost", STOLEN);
    // The stolen laptop's key is revoked before its file arrives.
    env.revoke(&lost_pub, "laptop stolen").ok();

    let register =
        |file: &PathBuf| env.run(&["append", "--signed", "--key", s(&registrar), s(file)]);
    let first = register(&a).ok();
    register(&b).ok();
    let before = env.snapshot();
    // Handed in again: the same entry, nothing appended.
    let again = register(&a).ok();
    assert_eq!(again, first);
    assert_eq!(env.snapshot(), before);
    // After the revocation: refused, and the ledger is as it was.
    register(&c).fails(1, &["line 1", "revoked"]);
    assert_eq!(env.snapshot(), before);

    let history = env.run(&["history", "UA-0101"]).ok();
    assert!(
        history.contains("authored by Olha (field team A)"),
        "{history}"
    );
    assert!(history.contains("registered by office"), "{history}");
    assert!(history.contains("place: Olenivka"), "{history}");
    assert!(history.contains("witnesses: O. K., cell 4"), "{history}");
    let status = env.run(&["status", "UA-0102"]).ok();
    assert!(status.contains("held_unacknowledged"), "{status}");
    assert!(status.contains("Bucha"), "{status}");
    env.verify_ok();
    // An export carries the disclosures, and verifies with all of them.
    let export = env.path("export.jsonl");
    env.run(&["export", "--out", s(&export)]).ok();
    custody(&["verify", "--export", s(&export), "--all-disclosed"], None).ok();
}

/// A registrar registers what investigators signed; it cannot author
/// evidence itself.
#[test]
fn a_registrar_may_register_statements_but_not_append_evidence() {
    let env = Env::new(CUSTODY);
    let (registrar, _) = registrar(&env, "office");
    let before = env.snapshot();
    env.run_in(&["append", "--key", s(&registrar)], PETRO)
        .fails(1, &["does not hold the role `investigator`"]);
    assert_eq!(env.snapshot(), before);
    let file = sign(&env, &env.investigator, "inv", PETRO);
    env.run(&["append", "--signed", "--key", s(&registrar), s(&file)])
        .ok();
}

/// What `append --signed` refuses, each time with the line, leaving the
/// ledger as it was: altered cleartext beside a statement, a statement
/// signed for another ledger, and an author the ledger does not know.
#[test]
fn append_signed_refuses_altered_foreign_and_unknown_statements_whole() {
    let env = Env::new(CUSTODY);
    let good = sign(&env, &env.investigator, "good", OLHA);
    let good_line = std::fs::read_to_string(&good).unwrap();
    let before = env.snapshot();

    // The place disclosed beside the second statement, altered.
    let altered = env.path("altered.statements");
    let forged = good_line.replace("\"value\":\"Olenivka\"", "\"value\":\"Donetsk\"");
    assert_ne!(forged, good_line);
    std::fs::write(&altered, format!("{good_line}{forged}")).unwrap();
    env.run(&[
        "append",
        "--signed",
        "--key",
        s(&env.investigator),
        s(&altered),
    ])
    .fails(1, &["line 2", "place"]);
    assert_eq!(env.snapshot(), before);

    // Signed for another ledger.
    let input = env.path("other.jsonl");
    std::fs::write(&input, OLHA).unwrap();
    let other = custody(
        &[
            "sign",
            "--key",
            s(&env.investigator),
            "--ledger",
            "elsewhere.org/register",
            s(&input),
        ],
        None,
    )
    .ok();
    let foreign = env.path("foreign.statements");
    std::fs::write(&foreign, other).unwrap();
    env.run(&[
        "append",
        "--signed",
        "--key",
        s(&env.investigator),
        s(&foreign),
    ])
    .fails(1, &["line 1", "elsewhere.org/register"]);
    assert_eq!(env.snapshot(), before);

    // An author nobody granted.
    let (stranger, _) = new_key(&env, "stranger");
    let theirs = sign(&env, &stranger, "stranger", OLHA);
    env.run(&[
        "append",
        "--signed",
        "--key",
        s(&env.investigator),
        s(&theirs),
    ])
    .fails(1, &["line 1"]);
    assert_eq!(env.snapshot(), before);
}

/// Grants a new key `registrar`, held by `holder`; returns its file and
/// public key.
pub(crate) fn registrar(env: &Env, holder: &str) -> (PathBuf, String) {
    let (key, public) = new_key(env, "registrar");
    env.run(&[
        "key",
        "grant",
        "--authority-key",
        s(&env.authority),
        "--role",
        "registrar",
        "--holder",
        holder,
        "--public-key",
        &public,
    ])
    .ok();
    (key, public)
}

/// `custody [--json] submit --to URL --log-key KEY [EXTRA…] FILE`.
pub(crate) fn submit_to(
    json: bool,
    url: &str,
    log_key: &str,
    extra: &[&str],
    file: &Path,
) -> crate::util::Run {
    let mut args = if json { vec!["--json"] } else { vec![] };
    args.extend(["submit", "--to", url, "--log-key", log_key]);
    args.extend_from_slice(extra);
    args.push(s(file));
    custody(&args, None)
}

/// The server path: `custody serve --key` takes statement lines over
/// HTTP and answers, once its commit is durable, with receipts that
/// `custody submit` checks (entry, statement, inclusion proof, the
/// checkpoint's signature). A retry gets the same entry; a bad line
/// refuses the request whole; the ledger verifies and the CLI sees it all.
#[test]
fn serve_registers_statements_and_submit_checks_the_receipts() {
    let env = Env::new(CUSTODY);
    let (key, public) = registrar(&env, "serve.example.org");
    let file = sign(&env, &env.investigator, "olha", &format!("{OLHA}{PETRO}"));
    let server = crate::serve::Server::start(&env, &["--key", s(&key)]);
    let submit = |file: &Path, log_key: &str| submit_to(true, &server.url, log_key, &[], file);
    let first = submit(&file, &public).ok();
    let lines: Vec<serde_json::Value> = first
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{first}");
    assert!(lines.iter().all(|l| l["existing"] == false), "{first}");
    // A retry (an answer lost on the way): the same entries, nothing new.
    let again = submit(&file, &public).ok();
    for (a, b) in again.lines().zip(&lines) {
        let a: serde_json::Value = serde_json::from_str(a).unwrap();
        assert_eq!(a["seq"], b["seq"]);
        assert_eq!(a["existing"], true);
    }
    // Said in words: nothing new was registered the second time.
    let said = submit_to(false, &server.url, &public, &[], &file);
    assert_eq!(said.code, 0, "{}", said.stderr);
    assert!(
        said.stderr
            .contains("registered 0 statements; 2 already in the ledger"),
        "{}",
        said.stderr
    );
    // A receipt whose checkpoint is not signed by the key the submitter
    // trusts is not taken (exit 2: nothing to count on).
    submit(&file, &env.investigator_pub)
        .fails(2, &["receipt does not hold", "check that --log-key"]);
    // One bad line: the whole request is refused, every bad line named.
    let text = std::fs::read_to_string(&file).unwrap();
    let bad = env.path("bad.statements");
    let altered = text.replacen("\"value\":\"Olenivka\"", "\"value\":\"Donetsk\"", 1);
    assert_ne!(altered, text);
    std::fs::write(&bad, &altered).unwrap();
    let agent = crate::serve::client(None);
    let answer = agent
        .post(&format!("{}/v1/statements", server.url))
        .config()
        .http_status_as_error(false)
        .build()
        .send(altered.as_bytes())
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body = answer.into_body().read_to_string().unwrap();
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["lines"][0]["line"], 1, "{body}");
    assert_eq!(server.stop(), 0);
    // What the server registered is the ledger's: it verifies, and the
    // history names the author and the server.
    env.verify_ok();
    let history = env.run(&["history", "UA-0102"]).ok();
    assert!(history.contains("authored by Field team"), "{history}");
    assert!(
        history.contains("registered by serve.example.org"),
        "{history}"
    );
    // The log shows each statement as its author's evidence, of its own
    // type, and finds it by its author's key (what did a stolen key sign?).
    let by_author = env.run(&["log", "--signer", &env.investigator_pub]).ok();
    assert_eq!(by_author.lines().count(), 2, "{by_author}");
    assert!(
        by_author
            .lines()
            .all(|l| l.contains("(registered by serve.example.org)")),
        "{by_author}"
    );
    let captures = env.run(&["log", "--type", "capture"]).ok();
    assert_eq!(captures.lines().count(), 1, "{captures}");
    assert!(captures.contains("UA-0102"), "{captures}");
    let statements = env.run(&["log", "--type", "statement"]).ok();
    assert_eq!(statements.lines().count(), 2, "{statements}");
}

/// A server started with a key that may not seal and checkpoint refuses
/// to start; one started without --key takes no statements.
#[test]
fn serve_needs_a_registrar_key_to_take_statements() {
    let env = Env::new(CUSTODY);
    env.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--key",
        s(&env.investigator),
    ])
    .fails(1, &["neither `registrar` nor `authority`"]);
    let server = crate::serve::Server::start(&env, &[]);
    let file = sign(&env, &env.investigator, "olha", OLHA);
    let (_, public) = registrar(&env, "serve.example.org");
    submit_to(false, &server.url, &public, &[], &file).fails(1, &["405", "without --key"]);
    assert_eq!(server.stop(), 0);
}

/// Nothing acknowledged is lost: a server killed (SIGKILL) while many
/// clients submit leaves every statement it gave a receipt for in the
/// ledger, at the seq and with the hash the receipt said, and the ledger
/// verifies.
#[test]
fn every_receipt_survives_a_server_killed_under_load() {
    let env = Env::new(CUSTODY);
    let (key, _) = registrar(&env, "serve.example.org");
    let events: String = (0..240)
        .map(|i| {
            format!(
                "{{\"type\":\"sighting\",\"person\":\"UA-{i:04}\",\"occurred_at\":\"2023\",\"source\":\"video\",\"place\":\"Place {i}\"}}\n"
            )
        })
        .collect();
    let file = sign(&env, &env.investigator, "many", &events);
    let lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect();
    let server = crate::serve::Server::start(&env, &["--key", s(&key)]);
    let url = format!("{}/v1/statements", server.url);
    let receipts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let clients: Vec<_> = lines
        .chunks(lines.len() / 12)
        .map(|chunk| {
            let (chunk, url, receipts) = (chunk.to_vec(), url.clone(), receipts.clone());
            std::thread::spawn(move || {
                let agent = crate::serve::client(None);
                for line in chunk {
                    let Ok(answer) = agent.post(&url).send(line.as_bytes()) else {
                        return; // the server is gone
                    };
                    if answer.status().as_u16() != 200 {
                        continue;
                    }
                    let Ok(body) = answer.into_body().read_to_string() else {
                        return;
                    };
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    let r = &v["receipts"][0];
                    let got = (
                        r["seq"].as_u64().unwrap(),
                        r["hash"].as_str().unwrap().to_string(),
                    );
                    receipts.lock().unwrap().push(got);
                }
            })
        })
        .collect();
    // Killed once some receipts are out, while the others are in flight.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while receipts.lock().unwrap().len() < 40 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    drop(server); // SIGKILL
    for c in clients {
        c.join().unwrap();
    }
    let receipts = receipts.lock().unwrap().clone();
    assert!(receipts.len() >= 40, "{} receipts", receipts.len());
    let report = env.verify_ok();
    let length = report["length"].as_u64().unwrap();
    let log = env.run(&["--json", "log"]).ok();
    let stored: std::collections::HashMap<u64, String> = log
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["seq"].as_u64().unwrap(),
                v["hash"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (seq, hash) in &receipts {
        assert!(
            *seq < length,
            "receipt for seq {seq} beyond the ledger's {length} entries"
        );
        assert_eq!(stored.get(seq), Some(hash), "seq {seq}");
    }
}

/// `sign` as `sign` does, but with this machine's clock set to `clock`
/// (the debug build's `CUSTODY_TEST_CLOCK`): a field laptop whose clock is
/// wrong.
fn sign_at(env: &Env, clock: &str, name: &str, events: &str) -> String {
    let input = env.path(&format!("{name}.jsonl"));
    std::fs::write(&input, events).unwrap();
    crate::util::custody_env(
        &[
            "sign",
            "--key",
            s(&env.investigator),
            "--ledger",
            "test.ledger",
            s(&input),
        ],
        None,
        &[("CUSTODY_TEST_CLOCK", clock)],
    )
    .ok()
}

/// This machine's clock, `offset_micros` later, in RFC 3339.
fn now_plus(offset_micros: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    custody_format::time::Timestamp(now + offset_micros).to_string()
}

const DAY: i64 = 86_400_000_000;
const MINUTE: i64 = 60_000_000;

/// A statement whose `signed_at` is more than a day ahead of the registering
/// machine's clock is refused at registration (design §4.4), with its
/// line, the time it claims, this machine's time and what to do; a file
/// holding it appends nothing, not even its good lines. Up to a day ahead
/// is accepted (time zones, a clock a little off), and so is any time
/// before.
#[test]
fn append_signed_refuses_a_statement_signed_more_than_a_day_ahead() {
    let env = Env::new(CUSTODY);
    let good = std::fs::read_to_string(sign(&env, &env.investigator, "good", OLHA)).unwrap();
    let ahead = sign_at(&env, "2099-01-01T00:00:00Z", "ahead", PETRO);
    let file = env.path("mixed.statements");
    std::fs::write(&file, format!("{good}{ahead}")).unwrap();
    let before = env.snapshot();
    let err = env
        .run(&[
            "append",
            "--signed",
            "--key",
            s(&env.investigator),
            s(&file),
        ])
        .fails(
            1,
            &[
                "line 2",
                "signed at 2099-01-01T00:00:00Z",
                "more than a day ahead of this machine's clock",
                "custody sign",
                "nothing was appended",
            ],
        );
    // The local time is named too (the year is enough to tell it).
    assert!(err.contains("clock (20"), "{err}");
    assert!(!err.contains("line 1"), "{err}");
    assert_eq!(env.snapshot(), before, "the ledger is as it was");
    // --json names the line and the field.
    let json = env
        .run(&[
            "--json",
            "append",
            "--signed",
            "--key",
            s(&env.investigator),
            s(&file),
        ])
        .fails(1, &["signed_at"]);
    assert!(json.contains("\"line\":2"), "{json}");
    assert_eq!(env.snapshot(), before);

    // The bound, with the registering clock fixed an hour from now: a
    // minute short of a day ahead of it is registered, a minute over is
    // not.
    let registering = now_plus(60 * MINUTE);
    let register = |text: &str, name: &str| {
        let f = env.path(name);
        std::fs::write(&f, text).unwrap();
        crate::util::custody_env(
            &[
                "--store",
                s(&env.store),
                "append",
                "--signed",
                "--key",
                s(&env.investigator),
                s(&f),
            ],
            None,
            &[("CUSTODY_TEST_CLOCK", &registering)],
        )
    };
    let over = sign_at(&env, &now_plus(60 * MINUTE + DAY + MINUTE), "over", PETRO);
    register(&over, "over.statements").fails(1, &["line 1", "more than a day ahead"]);
    assert_eq!(env.snapshot(), before);
    let within = sign_at(&env, &now_plus(60 * MINUTE + DAY - MINUTE), "within", PETRO);
    register(&within, "within.statements").ok();
    assert_ne!(env.snapshot(), before, "registered");
    // In the chain, such a statement is valid: the policy is registration's,
    // not a rule of the chain.
    env.verify_ok();
}

/// `POST /v1/statements` applies the same policy: 400 naming the line and
/// the field, in the CLI's words, and nothing of the request is taken.
#[test]
fn serve_refuses_a_statement_signed_more_than_a_day_ahead() {
    let env = Env::new(CUSTODY);
    let (key, _) = registrar(&env, "serve.example.org");
    let good = std::fs::read_to_string(sign(&env, &env.investigator, "good", OLHA)).unwrap();
    let ahead = sign_at(&env, "2099-01-01T00:00:00Z", "ahead", PETRO);
    let before = env.snapshot();
    let server = crate::serve::Server::start(&env, &["--key", s(&key)]);
    let answer = crate::serve::client(None)
        .post(&format!("{}/v1/statements", server.url))
        .send(format!("{good}{ahead}").as_bytes())
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: serde_json::Value =
        serde_json::from_str(&answer.into_body().read_to_string().unwrap()).unwrap();
    assert_eq!(body["lines"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["lines"][0]["line"], 2, "{body}");
    assert_eq!(body["lines"][0]["field"], "signed_at", "{body}");
    let error = body["lines"][0]["error"].as_str().unwrap();
    for needle in [
        "signed at 2099-01-01T00:00:00Z",
        "more than a day ahead of this machine's clock (20",
        "custody sign",
    ] {
        assert!(error.contains(needle), "{error}");
    }
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("nothing of it was taken"),
        "{body}"
    );
    assert_eq!(server.stop(), 0);
    // The server may record checkpoints of its own; no statement went in.
    let after = env.snapshot();
    assert!(!after.contains("\"statement\""), "{after}");
    assert_eq!(
        after.lines().count(),
        before.lines().count(),
        "nothing appended"
    );
}

/// Receipts kept: `submit --receipts FILE` writes each checked receipt
/// (mode 0600, never over a file), and `verify --receipts FILE --log-key`
/// checks them again with no server and no store. Each line stands alone
/// (reordered, they still hold); any edit, cut or forgery is named by its
/// line, and a receipt of another log key does not hold.
#[test]
fn receipts_kept_by_submit_are_verified_offline_and_every_edit_is_named() {
    let env = Env::new(CUSTODY);
    let (key, public) = registrar(&env, "serve.example.org");
    let file = sign(&env, &env.investigator, "olha", &format!("{OLHA}{PETRO}"));
    let server = crate::serve::Server::start(&env, &["--key", s(&key)]);
    let receipts = env.path("olha.receipts");
    let submit =
        |out: &Path| submit_to(false, &server.url, &public, &["--receipts", s(out)], &file);
    submit(&receipts).ok();
    // Never over a file: refused before anything is sent.
    let before = std::fs::read(&receipts).unwrap();
    submit(&receipts).fails(2, &["already exists", "never replaces"]);
    assert_eq!(std::fs::read(&receipts).unwrap(), before);
    assert_eq!(server.stop(), 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&receipts).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let verify = |path: &Path, key: &str| {
        custody(&["verify", "--receipts", s(path), "--log-key", key], None)
    };
    let out = verify(&receipts, &public).ok();
    assert_eq!(out.matches("is entry").count(), 2, "{out}");
    // Another log's key: no receipt holds.
    verify(&receipts, &env.investigator_pub).fails(1, &["line 1", "line 2", "INVALID"]);
    // Reordered: each line stands alone.
    let text = String::from_utf8(before).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let write = |name: &str, body: String| {
        let p = env.path(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    verify(
        &write("reordered", format!("{}\n{}\n", lines[1], lines[0])),
        &public,
    )
    .ok();
    // A byte order mark and CRLF line ends (an editor's) change nothing.
    verify(
        &write("crlf", format!("\u{feff}{}\r\n{}\r\n", lines[0], lines[1])),
        &public,
    )
    .ok();
    // A byte that is not UTF-8 spoils its own line, not the file.
    let p = env.path("not-utf8");
    std::fs::write(&p, [lines[0].as_bytes(), b"\n\xff\n"].concat()).unwrap();
    let err = verify(&p, &public).fails(1, &["line 2", "UTF-8", "INVALID"]);
    assert!(!err.contains("lines 1"), "{err}");
    // Edits, each named by its line.
    for (what, body) in receipt_attacks(&lines) {
        let p = write("attacked", body);
        let err = verify(&p, &public).fails(1, &["line 2", "INVALID"]);
        assert!(!err.contains("lines 1"), "{what}: {err}");
        std::fs::remove_file(&p).unwrap();
    }
}

/// `s` with its first character changed to `a` (or `b` if it was `a`):
/// still hex, still base64, another value.
fn first_changed(s: &str) -> String {
    let mut chars = s.chars();
    let first = chars.next();
    let other = if first == Some('a') { 'b' } else { 'a' };
    format!("{other}{}", chars.as_str())
}

/// Receipt files of two lines whose second line is edited, cut or forged.
fn receipt_attacks(lines: &[&str]) -> Vec<(&'static str, String)> {
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    let edited = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = second.clone();
        f(&mut v);
        format!("{}\n{v}\n", lines[0])
    };
    vec![
        (
            "another seq",
            edited(&|v| v["seq"] = json!(v["seq"].as_u64().unwrap() + 1)),
        ),
        (
            "another statement",
            edited(&|v| v["statement"] = first["statement"].clone()),
        ),
        (
            "line 1's entry",
            edited(&|v| {
                v["entry"] = first["entry"].clone();
                v["hash"] = first["hash"].clone();
                v["seq"] = first["seq"].clone();
            }),
        ),
        (
            "a proof hash changed",
            edited(&|v| {
                let h = v["inclusion_proof"][0].as_str().unwrap().to_string();
                v["inclusion_proof"][0] = json!(first_changed(&h));
            }),
        ),
        (
            "the checkpoint's root changed",
            edited(&|v| {
                let note = v["checkpoint"].as_str().unwrap();
                let mut l: Vec<String> = note.lines().map(str::to_string).collect();
                l[2] = first_changed(&l[2]);
                v["checkpoint"] = json!(format!("{}\n", l.join("\n")));
            }),
        ),
        (
            "another ledger",
            edited(&|v| v["ledger"] = json!("elsewhere.org/register")),
        ),
        (
            "not a receipt",
            edited(&|v| v["receipt"] = json!("custody-receipt/9")),
        ),
        (
            "cut in half",
            format!("{}\n{}\n", lines[0], &lines[1][..lines[1].len() / 2]),
        ),
        (
            "a duplicate key",
            format!(
                "{}\n{}\n",
                lines[0],
                lines[1].replacen('{', "{\"seq\":0,", 1)
            ),
        ),
    ]
}

/// A receipt forged by whoever holds the log's key (the server's online
/// key, the one a thief takes): an entry they signed, in a tree whose
/// checkpoint they signed, carrying a statement its author never signed,
/// or one its author signed for another ledger. The checkpoint's signature
/// and the proof hold; the receipt must not (helper-56's forgery).
#[test]
fn a_receipt_forged_with_the_log_key_does_not_hold() {
    use base64::Engine;
    use custody_format::entry::SignedEntry;
    use custody_format::event::{Event, PublicKeyBytes, Statement};
    use custody_format::statement::SignedStatement;
    let env = Env::new(CUSTODY);
    let (key, public) = registrar(&env, "serve.example.org");
    let file = sign(&env, &env.investigator, "olha", OLHA);
    let server = crate::serve::Server::start(&env, &["--key", s(&key)]);
    let receipts = env.path("olha.receipts");
    submit_to(
        false,
        &server.url,
        &public,
        &["--receipts", s(&receipts)],
        &file,
    )
    .ok();
    assert_eq!(server.stop(), 0);
    let genuine: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&receipts).unwrap().trim()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let entry =
        SignedEntry::decode(b64.decode(genuine["entry"].as_str().unwrap()).unwrap()).unwrap();
    let Event::Statement(st) = entry.event() else {
        panic!("a statement entry")
    };
    let log_key = custody_ledger::keyfile::read_signing_key(&key).unwrap();
    let ledger = genuine["ledger"].as_str().unwrap().to_string();
    // The entry, re-signed by the log key around `statement`, as the only
    // leaf of a tree whose checkpoint the log key signs.
    let forge = |statement: SignedStatement| {
        let mut body = entry.body().clone();
        body.seq = 0;
        body.event = Event::Statement(Statement {
            statement: statement.clone(),
        });
        body.signer = PublicKeyBytes(log_key.verifying_key().to_bytes());
        let forged = SignedEntry::sign(body, &log_key).unwrap();
        let root = custody_format::merkle_hash::leaf_hash(forged.bytes());
        let text = custody_format::note::note_text(&ledger, 1, &root);
        let sig = custody_format::note::sign_text(&text, &log_key);
        let note = custody_format::note::signed_note(
            &text,
            &ledger,
            &log_key.verifying_key().to_bytes(),
            &sig,
        );
        let line = json!({
            "receipt": "custody-receipt/1", "statement": statement.id().to_string(),
            "ledger": ledger, "seq": 0, "hash": forged.hash().to_hex(),
            "entry": b64.encode(forged.bytes()), "inclusion_proof": [], "checkpoint": note,
        });
        let p = env.path("forged.receipts");
        std::fs::write(&p, format!("{line}\n")).unwrap();
        custody(&["verify", "--receipts", s(&p), "--log-key", &public], None)
    };
    // Another author's key, and a signature nobody made.
    let mut body = st.statement.body().clone();
    body.author = PublicKeyBytes(
        custody_ledger::keyfile::read_signing_key(&env.authority)
            .unwrap()
            .verifying_key()
            .to_bytes(),
    );
    let unsigned = SignedStatement::from_parts(body, [7; 64]).unwrap();
    forge(unsigned).fails(1, &["line 1", "author signature"]);
    // A statement its author really signed, but for another ledger.
    let elsewhere = custody(
        &[
            "sign",
            "--key",
            s(&env.investigator),
            "--ledger",
            "elsewhere.org/register",
            "-",
        ],
        Some(OLHA),
    )
    .ok();
    let read = custody_ledger::statement_line::StatementLineReader::new(elsewhere.as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .1;
    forge(read.statement).fails(1, &["line 1", "elsewhere.org/register"]);
}

/// `prove --checkpoint` takes a registrar's checkpoint as `verify
/// --checkpoint` does: signed by a key holding the role at the note's size,
/// not by one revoked before it (helper-56: it took any key that ever held
/// the role, and printed the revoked key for relying parties to trust).
#[test]
fn prove_takes_a_registrars_checkpoint_only_while_it_holds_the_role() {
    let env = Env::new(CUSTODY);
    env.append_ok(PETRO);
    let (key, public) = registrar(&env, "serve.example.org");
    let by_registrar = env.path("registrar.cp");
    env.run(&["checkpoint", "--key", s(&key), "--out", s(&by_registrar)])
        .ok();
    env.run(&["prove", "--seq", "1", "--checkpoint", s(&by_registrar)])
        .ok();
    env.revoke(&public, "the server was broken into").ok();
    // A later tree, its note re-signed by the revoked key.
    let by_authority = env.path("authority.cp");
    env.run(&[
        "checkpoint",
        "--key",
        s(&env.authority),
        "--out",
        s(&by_authority),
    ])
    .ok();
    let note = std::fs::read_to_string(&by_authority).unwrap();
    let text: String = note.split_inclusive('\n').take(3).collect();
    let revoked = custody_ledger::keyfile::read_signing_key(&key).unwrap();
    let sig = custody_format::note::sign_text(&text, &revoked);
    let origin = text.lines().next().unwrap();
    let forged = env.path("revoked.cp");
    std::fs::write(
        &forged,
        custody_format::note::signed_note(&text, origin, &revoked.verifying_key().to_bytes(), &sig),
    )
    .unwrap();
    env.run(&["prove", "--seq", "1", "--checkpoint", s(&forged)])
        .fails(1, &[]);
    env.run(&["verify", "--checkpoint", s(&forged)])
        .fails(1, &[]);
}
