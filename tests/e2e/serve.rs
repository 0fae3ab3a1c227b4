//! `custody serve` and its reader tokens, against a real server on a
//! loopback port (0: the server takes a free one and prints it), read with
//! an HTTP client: what is public, what needs a token, that a revoked,
//! expired or unknown token gets the same 401, that the answers are the
//! CLI's own, that every read is logged with its holder and never with
//! the token, and TLS with a certificate made in the test.

use crate::util::{custody_env, s, Env, ALL_TYPES, BIN};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A `custody serve` child process and where it listens.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    stderr: PathBuf,
}

impl Server {
    /// Starts `custody serve` on the store with `extra` arguments and
    /// returns once it printed the address it listens on.
    pub(crate) fn start(env: &Env, extra: &[&str]) -> Server {
        Server::start_in(env, extra, "")
    }

    /// As [`Server::start`], with `shell` run first by `sh` in the
    /// process that then becomes the server (`ulimit -n 200`, say).
    pub(crate) fn start_in(env: &Env, extra: &[&str], shell: &str) -> Server {
        let stderr = env.path(&format!("serve-{}.err", std::process::id()));
        let stderr = unique(stderr);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("{shell}\nexec \"$0\" \"$@\""))
            .arg(BIN)
            .args(["--store", s(&env.store), "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("CUSTODY_STORE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("run custody serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("custody serve printed no address within 120 s");
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "custody serve did not start: {line:?}\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        };
        Server {
            url: url.to_string(),
            child,
            stderr,
        }
    }

    /// Asks the server to stop (SIGTERM) and returns its exit code.
    pub(crate) fn stop(mut self) -> i32 {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        self.child.wait().expect("wait").code().unwrap_or(-1)
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `path`, or `path` with a number added if it exists.
fn unique(path: PathBuf) -> PathBuf {
    (0..)
        .map(|n| PathBuf::from(format!("{}.{n}", path.display())))
        .find(|p| !p.exists())
        .expect("a free name")
}

/// An HTTP client that reads 4xx and 5xx answers as answers, through no
/// proxy, trusting `root` (a PEM certificate) if given.
pub(crate) fn client(root: Option<&[u8]>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(120)));
    if let Some(pem) = root {
        let cert = ureq::tls::Certificate::from_pem(pem).expect("certificate");
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])))
            .build();
        config = config.tls_config(tls);
    }
    config.build().into()
}

/// An answer: status, the headers that matter here, and the body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    content_type: String,
    cache_control: String,
    nosniff: bool,
    csp: String,
    pub(crate) body: String,
}

pub(crate) fn get(agent: &ureq::Agent, url: &str, token: Option<&str>) -> Answer {
    let mut request = agent.get(url);
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = request.call().expect("HTTP request");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, cache_control, csp) = (
        header("content-type"),
        header("cache-control"),
        header("content-security-policy"),
    );
    let nosniff = header("x-content-type-options") == "nosniff";
    Answer {
        status: r.status().as_u16(),
        content_type,
        cache_control,
        nosniff,
        csp,
        body: r.body_mut().read_to_string().expect("body"),
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `custody token issue` for `holder`: the token, the last word of its
/// output (printed once).
pub(crate) fn issue(env: &Env, holder: &str, more: &[&str], envs: &[(&str, &str)]) -> String {
    let mut args = vec![
        "--store",
        s(&env.store),
        "token",
        "issue",
        "--holder",
        holder,
        "--role",
        "reader",
        "--key",
        s(&env.authority),
    ];
    args.extend_from_slice(more);
    let run = custody_env(&args, None, envs);
    let all = format!("{}{}", run.stdout, run.stderr);
    let out = run.ok();
    let token = out.split_whitespace().last().expect("a token").to_string();
    assert!(token.starts_with("custody-rt-"), "{out}");
    assert_eq!(all.matches(&token).count(), 1, "printed once: {all}");
    token
}

fn tokens_file(env: &Env) -> PathBuf {
    env.store.join("access").join("tokens.json")
}

/// A ledger with evidence about three persons, a checkpoint, and three
/// tokens: one valid, one revoked, one expired.
struct Served {
    env: Env,
    checkpoint: PathBuf,
    valid: String,
    revoked: String,
    expired: String,
}

fn served() -> Served {
    let env = Env::new(crate::util::CUSTODY);
    env.append_ok(ALL_TYPES);
    let checkpoint = env.path("cp.txt");
    env.checkpoint(&checkpoint).ok();
    let valid = issue(&env, "Court A", &["--expires", "2999"], &[]);
    let revoked = issue(&env, "Clerk B", &[], &[]);
    env.run(&["token", "revoke", "--holder", "Clerk B"]).ok();
    // Issued in 2020 to expire at the end of that year: expired now.
    let expired = issue(
        &env,
        "Auditor C",
        &["--expires", "2020-12"],
        &[("CUSTODY_TEST_CLOCK", "2020-06-01T00:00:00Z")],
    );
    Served {
        env,
        checkpoint,
        valid,
        revoked,
        expired,
    }
}

#[test]
fn the_checkpoint_is_public_and_people_need_a_valid_token() {
    let Served {
        env,
        checkpoint,
        valid,
        revoked,
        expired,
    } = served();
    let list = env.run(&["token", "list"]).ok();
    for (holder, state) in [
        ("Court A", "active"),
        ("Clerk B", "revoked"),
        ("Auditor C", "expired"),
    ] {
        let line = list.lines().find(|l| l.ends_with(holder)).expect(holder);
        assert!(line.contains(state), "{line}");
    }
    for t in [&valid, &revoked, &expired] {
        assert!(
            !list.contains(t.as_str()),
            "token list shows a token: {list}"
        );
    }
    let server = Server::start(&env, &[]);
    let agent = client(None);
    let url = &server.url;

    let cp = get(&agent, &format!("{url}/checkpoint"), None);
    assert_eq!(cp.status, 200);
    assert_eq!(cp.content_type, "text/plain; charset=utf-8");
    assert_eq!(cp.body, std::fs::read_to_string(&checkpoint).unwrap());
    assert_eq!(get(&agent, &format!("{url}/healthz"), None).status, 200);

    // No token, a malformed, unknown, revoked or expired one: one answer,
    // which does not say which it was.
    let status_url = format!("{url}/v1/persons/P-0001/status");
    let refusals: Vec<Answer> = [
        None,
        Some("not-a-token"),
        Some("custody-rt-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Some(revoked.as_str()),
        Some(expired.as_str()),
    ]
    .into_iter()
    .map(|t| get(&agent, &status_url, t))
    .collect();
    for r in &refusals {
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.body, refusals[0].body);
        assert!(
            !r.body.contains("P-0001") && !r.body.contains("held"),
            "{}",
            r.body
        );
    }
    let v = json(&refusals[0].body);
    assert!(v["error"].as_str().unwrap().contains("token"), "{v}");
    assert!(v["advice"].is_string(), "{v}");

    let ok = get(&agent, &status_url, Some(&valid));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.cache_control, "no-store");
    assert!(ok.nosniff);
    let cli = env.run(&["--json", "status", "P-0001"]).ok();
    assert_eq!(json(&ok.body), json(&cli));

    let server_log = server.stderr();
    assert_eq!(server.stop(), 0, "stopped gracefully on SIGTERM");
    for t in [&valid, &revoked, &expired] {
        assert!(!server_log.contains(t.as_str()), "{server_log}");
    }
    assert!(server_log.contains("revoked token"), "{server_log}");
    assert!(server_log.contains("expired token"), "{server_log}");
}

#[test]
fn answers_are_the_commands_own_and_every_read_is_logged() {
    let Served {
        env,
        valid,
        revoked,
        expired,
        ..
    } = served();
    let server = Server::start(&env, &[]);
    let agent = client(None);
    let url = &server.url;
    let read = |path: &str| get(&agent, &format!("{url}{path}"), Some(&valid));

    // The bundle is the export's, byte for byte, and verifies.
    let bundle = read("/v1/persons/P-0001/bundle");
    assert_eq!(bundle.status, 200, "{}", bundle.body);
    assert_eq!(bundle.cache_control, "no-store");
    let exported = env.run(&["export", "--person", "P-0001"]).ok();
    assert_eq!(bundle.body, exported);
    let file = env.path("p1.json");
    std::fs::write(&file, &bundle.body).unwrap();
    let pem = env.authority_public_pem();
    let verified = env
        .run(&["verify", "--bundle", s(&file), "--authority", s(&pem)])
        .ok();
    assert!(verified.contains("COMPLETE"), "{verified}");

    let report = read("/v1/report");
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        json(&report.body),
        json(&env.run(&["--json", "report"]).ok())
    );

    let html = read("/v1/persons/P-0001/dossier?format=html");
    assert_eq!(html.status, 200, "{}", html.body);
    assert_eq!(html.content_type, "text/html; charset=utf-8");
    assert!(html.csp.contains("default-src 'none'"), "{}", html.csp);
    assert!(html.csp.contains("script-src 'none'"), "{}", html.csp);
    let md = read("/v1/persons/P-0001/dossier?format=md");
    assert!(
        md.body.starts_with("# Chain-of-custody dossier: P-0001"),
        "{}",
        md.body
    );
    let dossier_json = json(&read("/v1/persons/P-0001/dossier?format=json").body);
    assert_eq!(dossier_json["person"], "P-0001", "{dossier_json}");

    let page = json(&read("/v1/persons?limit=2").body);
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(page["persons"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["persons"][0]["person"], "P-0001", "{page}");
    assert_eq!(page["next_offset"], 2, "{page}");
    let rest = json(&read("/v1/persons?offset=2&limit=2").body);
    assert_eq!(rest["persons"][0]["person"], "P-0003", "{rest}");
    assert_eq!(rest["next_offset"], serde_json::Value::Null, "{rest}");
    let dead = json(&read("/v1/persons?status=deceased").body);
    assert_eq!(dead["matching"], 1, "{dead}");

    let unknown = read("/v1/persons/P-9999/status");
    assert_eq!(unknown.status, 404);
    assert_eq!(json(&unknown.body)["error"], "no such person: P-9999");
    assert_eq!(read("/v1/persons/P-9999/bundle").status, 404);
    let bad = read("/v1/persons/P%200001/status");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(read("/v1/persons?sort=x").status, 400);
    // A token sent where none belongs, in the query, is refused and not
    // logged (only the parameters a route takes are).
    assert_eq!(
        read(&format!("/v1/report?access_token={valid}")).status,
        400
    );

    // The command line appends while the server runs; the next request
    // sees it, and the bundle and dossier are refused until a checkpoint
    // covers it, in the dossier command's words.
    env.append_ok(
        r#"{"type":"capture","person":"P-0003","occurred_at":"2023-08-01","place":"Bakhmut"}"#,
    );
    let status = json(&read("/v1/persons/P-0003/status").body);
    assert_eq!(status["status"], "held_unacknowledged", "{status}");
    for route in ["bundle", "dossier?format=md"] {
        let refused = read(&format!("/v1/persons/P-0003/{route}"));
        assert_eq!(refused.status, 409, "{route}: {}", refused.body);
        let v = json(&refused.body);
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("after the latest checkpoint"),
            "{v}"
        );
        assert!(
            v["advice"].as_str().unwrap().contains("custody checkpoint"),
            "{v}"
        );
    }
    let cli = env.run(&["dossier", "P-0003"]).fails(1, &[]);
    assert!(cli.contains("after the latest checkpoint"), "{cli}");

    assert_eq!(server.stop(), 0);
    let log_file = env.store.join("access").join("access-log.jsonl");
    let text = std::fs::read_to_string(&log_file).unwrap();
    for t in [&valid, &revoked, &expired] {
        assert!(!text.contains(t.as_str()), "the access log holds a token");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let logged: Vec<serde_json::Value> = env
        .run(&["--json", "token", "log"])
        .ok()
        .lines()
        .map(json)
        .collect();
    assert_eq!(logged.len(), text.lines().count());
    assert_eq!(logged.len(), 16, "one line per read: {logged:?}");
    assert!(
        logged.iter().all(|l| l["holder"] == "Court A"),
        "{logged:?}"
    );
    let bundles: Vec<_> = logged
        .iter()
        .filter(|l| l["route"] == "/v1/persons/{id}/bundle")
        .map(|l| (l["person"].as_str().unwrap(), l["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(bundles, [("P-0001", 200), ("P-9999", 404), ("P-0003", 409)]);
    let of_p3 = env.run(&["token", "log", "--person", "P-0003"]).ok();
    assert_eq!(of_p3.lines().count(), 1 + 3, "{of_p3}");
}

#[test]
fn tokens_are_issued_only_by_an_authority_and_kept_private() {
    let env = Env::new(crate::util::CUSTODY);
    // An investigator's key holds no authority: refused, nothing written.
    let by_investigator = [
        "token",
        "issue",
        "--holder",
        "Mallory",
        "--role",
        "reader",
        "--key",
        s(&env.investigator),
    ];
    env.run(&by_investigator).fails(
        1,
        &["does not hold the authority role", "nothing was written"],
    );
    assert!(!env.store.join("access").exists());
    issue(&env, "Court A", &[], &[]);
    let file = tokens_file(&env);
    let before = std::fs::read(&file).unwrap();
    env.run(&by_investigator)
        .fails(1, &["does not hold the authority role"]);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    // An expiry that has passed would make a token born expired.
    env.run(&[
        "token",
        "issue",
        "--holder",
        "Late",
        "--role",
        "reader",
        "--key",
        s(&env.authority),
        "--expires",
        "2020-01-01",
    ])
    .fails(2, &["has passed"]);
    assert_eq!(std::fs::read(&file).unwrap(), before);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        // A tokens file others may read or write is refused by every
        // command that reads it, and by the server at start.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        env.run(&["token", "list"]).fails(2, &["chmod 600"]);
        env.run(&[
            "token",
            "issue",
            "--holder",
            "Other",
            "--role",
            "reader",
            "--key",
            s(&env.authority),
        ])
        .fails(2, &["readable or writable by other users"]);
        env.run(&["serve", "--listen", "127.0.0.1:0"])
            .fails(2, &["chmod 600"]);
        assert_eq!(std::fs::read(&file).unwrap(), before);
        assert_eq!(mode(&file), 0o644, "refused, not silently repaired");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        env.run(&["token", "list"]).ok();
    }
}

/// A self-signed server certificate for 127.0.0.1 and its key, made by
/// openssl (installed by .ci/run): `(cert.pem, key.pem)` in the test's
/// directory.
pub(crate) fn self_signed(env: &Env) -> (PathBuf, PathBuf) {
    let (cert, key) = (env.path("cert.pem"), env.path("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        // A server's certificate, not a CA's (webpki refuses a CA
        // certificate as the server's own).
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-keyout", s(&key), "-out", s(&cert)])
        .output()
        .expect("openssl (installed by .ci/run)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

#[test]
fn serve_answers_over_tls_with_its_certificate() {
    let Served { env, valid, .. } = served();
    let (cert, key) = self_signed(&env);
    let server = Server::start(&env, &["--tls-cert", s(&cert), "--tls-key", s(&key)]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let pem = std::fs::read(&cert).unwrap();
    let agent = client(Some(&pem));
    let cp = get(&agent, &format!("{}/checkpoint", server.url), None);
    assert_eq!(cp.status, 200, "{}", cp.body);
    let st = get(
        &agent,
        &format!("{}/v1/persons/P-0001/status", server.url),
        Some(&valid),
    );
    assert_eq!(st.status, 200, "{}", st.body);
    assert_eq!(json(&st.body)["person"], "P-0001");
    // A client that does not trust the certificate gets no answer, and
    // plain HTTP to the port gets none either: it is TLS, with that
    // certificate.
    let stranger: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    assert!(stranger
        .get(&format!("{}/healthz", server.url))
        .call()
        .is_err());
    let plain = server.url.replacen("https://", "http://", 1);
    assert!(client(None)
        .get(&format!("{plain}/healthz"))
        .call()
        .is_err());
    assert_eq!(server.stop(), 0);
}

/// Over TLS a connection beyond the limit is closed before its handshake
/// (nothing can be answered before one): a connection that never starts
/// its handshake holds its place, and the next client gets no answer
/// until it closes.
#[test]
fn over_tls_connections_beyond_the_limit_are_closed() {
    let env = Env::new(crate::util::CUSTODY);
    let (cert, key) = self_signed(&env);
    let server = Server::start(
        &env,
        &[
            "--tls-cert",
            s(&cert),
            "--tls-key",
            s(&key),
            "--max-connections",
            "1",
        ],
    );
    let healthz = format!("{}/healthz", server.url);
    let agent = client(Some(&std::fs::read(&cert).unwrap()));
    let addr = server.url.strip_prefix("https://").unwrap();
    // A connection that never starts its handshake takes the one place.
    // The server takes a place as it starts on a connection, not in the
    // order they came: a probe closed at once (refused) says the silent
    // one holds it; a probe left open took it, and both start again.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let silent = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no connection held the place"
        );
        let silent = std::net::TcpStream::connect(addr).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let mut probe = std::net::TcpStream::connect(addr).unwrap();
        probe
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut byte = [0u8; 1];
        match std::io::Read::read(&mut probe, &mut byte) {
            Ok(0) => break silent,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break silent,
            _ => {}
        }
    };
    assert!(agent.get(&healthz).call().is_err());
    drop(silent);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while agent.get(&healthz).call().is_err() {
        assert!(std::time::Instant::now() < deadline, "no place freed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.stop(), 0);
}

#[test]
fn listening_off_loopback_without_tls_is_warned_about() {
    let env = Env::new(crate::util::CUSTODY);
    let mut child = Command::new(BIN)
        .args(["--store", s(&env.store), "serve", "--listen", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run custody serve");
    // The warning comes before the address: read stderr's first line.
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("without TLS"), "{line}");
    assert!(line.contains("in clear"), "{line}");
    assert!(line.contains("reverse proxy"), "{line}");
}

#[test]
fn a_read_that_cannot_be_logged_or_is_too_large_is_refused_and_revocation_is_immediate() {
    let Served { env, valid, .. } = served();
    let server = Server::start(&env, &[]);
    let agent = client(None);
    let status_url = format!("{}/v1/persons/P-0001/status", server.url);
    assert_eq!(get(&agent, &status_url, Some(&valid)).status, 200);

    // A body over the bound is refused before any route reads it (on a
    // connection of its own: the server closes it, the body unread).
    let big = vec![b'x'; 100 * 1024];
    let mut r = client(None)
        .post(&format!("{}/v1/report", server.url))
        .header("Authorization", &format!("Bearer {valid}"))
        .send(&big[..])
        .expect("HTTP request");
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.body_mut().read_to_string().unwrap().contains("over"));

    // The access log cannot be appended to (a directory stands in its
    // place): the read is refused, and nothing of the person is sent.
    let log = env.store.join("access").join("access-log.jsonl");
    std::fs::rename(&log, env.path("log.moved")).unwrap();
    std::fs::create_dir(&log).unwrap();
    let unlogged = get(&agent, &status_url, Some(&valid));
    assert_eq!(unlogged.status, 500, "{}", unlogged.body);
    assert!(unlogged.body.contains("access log"), "{}", unlogged.body);
    assert!(!unlogged.body.contains("held"), "{}", unlogged.body);
    std::fs::remove_dir(&log).unwrap();

    // Revoked while the server runs: refused from the next request on.
    env.run(&["token", "revoke", "--holder", "Court A"]).ok();
    assert_eq!(get(&agent, &status_url, Some(&valid)).status, 401);
    assert_eq!(server.stop(), 0);
}

#[test]
fn before_any_checkpoint_there_is_no_note_and_no_bundle() {
    let env = Env::new(crate::util::CUSTODY);
    env.append_ok(ALL_TYPES);
    let token = issue(&env, "Court A", &[], &[]);
    let server = Server::start(&env, &[]);
    let agent = client(None);
    let cp = get(&agent, &format!("{}/checkpoint", server.url), None);
    assert_eq!(cp.status, 404, "{}", cp.body);
    let v = json(&cp.body);
    assert_eq!(v["error"], "the ledger has no checkpoint yet", "{v}");
    assert!(
        v["advice"]
            .as_str()
            .unwrap()
            .contains("custody checkpoint --key"),
        "{v}"
    );
    // The scheme's name is case-insensitive; the bundle needs a checkpoint.
    let mut r = agent
        .get(&format!("{}/v1/persons/P-0001/bundle", server.url))
        .header("Authorization", &format!("bearer {token}"))
        .call()
        .expect("HTTP request");
    assert_eq!(r.status().as_u16(), 409);
    let v = json(&r.body_mut().read_to_string().unwrap());
    assert_eq!(v["error"], "the ledger has no checkpoint", "{v}");
    assert!(
        v["advice"].as_str().unwrap().contains("custody checkpoint"),
        "{v}"
    );
    assert_eq!(server.stop(), 0);
}

/// HTTP/2 is not spoken (an idle h2c connection used to stay open for
/// good, where HTTP/1.1's close after the header timeout): the prior-
/// knowledge preface gets no HTTP/2 SETTINGS frame back.
#[test]
fn http2_is_not_spoken() {
    use std::io::{Read, Write};
    let Served { env, .. } = served();
    let server = Server::start(&env, &[]);
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut c = std::net::TcpStream::connect(&addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    // An HTTP/2 server's first frame is SETTINGS: type 0x04 at byte 3.
    assert!(
        got.len() < 9 || got[3] != 4 || got.starts_with(b"HTTP/1.1"),
        "an HTTP/2 answer: {got:?}"
    );
    server.stop();
}
