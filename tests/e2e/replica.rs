//! `custody mirror`: an auditor's replica, read through the tlog-tiles
//! layout that `custody tiles --entries` writes. It catches up, and it
//! refuses — leaving the replica as it was — a source that rolled back,
//! forked, or altered an entry.

use crate::util::{custody_on, s, Env, CUSTODY};
use ed25519_dalek::SigningKey;
use std::path::Path;

const P1: &str =
    r#"{"type":"capture","person":"P-1","occurred_at":"2022-05-17","place":"Mariupol"}"#;
const P2: &str = r#"{"type":"sighting","person":"P-1","occurred_at":"2023-02","source":"video"}"#;

/// Checkpoints the ledger and writes its tiles, entries included, to `dir`.
fn publish(env: &Env, dir: &Path) {
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    env.run(&["tiles", "--out", s(dir), "--entries"]).ok();
}

fn authority_hex(env: &Env) -> String {
    env.run(&["key", "public", "--key", s(&env.authority)])
        .ok()
        .trim()
        .to_string()
}

fn mirror(env: &Env, from: &Path, replica: &Path) -> crate::util::Run {
    custody_on(
        replica,
        &[
            "mirror",
            "--from",
            s(from),
            "--authority",
            &authority_hex(env),
        ],
        None,
    )
}

/// The replica's export: every byte it holds.
fn snapshot(replica: &Path) -> String {
    custody_on(replica, &["export"], None).ok()
}

#[test]
fn a_replica_catches_up_and_verifies() {
    let env = Env::new(CUSTODY);
    env.append_ok(P1);
    let tiles = env.path("tiles");
    let replica = env.path("replica");
    publish(&env, &tiles);
    let out = mirror(&env, &tiles, &replica).ok();
    assert!(out.contains("mirrored"), "{out}");
    custody_on(&replica, &["verify"], None).ok();
    // More entries, more than a tile's worth, so full and partial bundles
    // are both read.
    let many: Vec<String> = (0..300)
        .map(|i| format!(r#"{{"type":"capture","person":"QX-{i:04}","occurred_at":"2022"}}"#))
        .collect();
    env.append_ok(&many.join("\n"));
    env.append_ok(P2);
    publish(&env, &tiles);
    let out = mirror(&env, &tiles, &replica).ok();
    assert!(out.contains("new entries"), "{out}");
    let out = mirror(&env, &tiles, &replica).ok();
    assert!(out.contains("up to date"), "{out}");
    // The replica answers as the source does, up to the source's last
    // checkpoint (the checkpoint entry itself comes with the next one).
    assert_same_status_withheld(&replica, &env.store, "P-1");
    custody_on(&replica, &["verify"], None).ok();
}

#[test]
fn a_source_that_rolled_back_or_forked_leaves_the_replica_as_it_was() {
    let env = Env::new(CUSTODY);
    env.append_ok(P1);
    let tiles = env.path("tiles");
    let replica = env.path("replica");
    publish(&env, &tiles);
    let old_note = std::fs::read(tiles.join("checkpoint")).unwrap();
    env.append_ok(P2);
    publish(&env, &tiles);
    mirror(&env, &tiles, &replica).ok();
    let before = snapshot(&replica);

    // Rolled back: the source serves its older checkpoint again.
    let rolled = env.path("rolled");
    crate::util::copy_dir(&tiles, &rolled);
    std::fs::write(rolled.join("checkpoint"), &old_note).unwrap();
    mirror(&env, &rolled, &replica).fails(1, &["rolled back", "not changed"]);
    assert_eq!(snapshot(&replica), before);

    // Forked: another ledger of the same name and keys, grown further.
    let fork = env.path("fork");
    env.init_fork(&fork);
    let fork_env_run = |args: &[&str], stdin: Option<&str>| custody_on(&fork, args, stdin);
    for line in [P1, P2, P1, P2] {
        fork_env_run(&["append", "--key", s(&env.investigator), "-"], Some(line)).ok();
    }
    fork_env_run(&["checkpoint", "--key", s(&env.authority)], None).ok();
    let fork_tiles = env.path("fork-tiles");
    fork_env_run(&["tiles", "--out", s(&fork_tiles), "--entries"], None).ok();
    mirror(&env, &fork_tiles, &replica).fails(1, &["not changed"]);
    assert_eq!(snapshot(&replica), before);

    // A first run from a source whose checkpoint is the fork's (same name,
    // same keys, a validly signed note) while its entries are the
    // original's: the entries restore, the root does not match, and no
    // replica is left, not even the partial one.
    let mixed = env.path("mixed");
    crate::util::copy_dir(&tiles, &mixed);
    std::fs::copy(fork_tiles.join("checkpoint"), mixed.join("checkpoint")).unwrap();
    let fresh = env.path("fresh");
    mirror(&env, &mixed, &fresh).fails(1, &["does not vouch", "nothing was written"]);
    assert!(!fresh.exists());
    assert!(!env.path("fresh.mirror-partial").exists());
}

#[test]
fn an_altered_entry_is_refused() {
    let env = Env::new(CUSTODY);
    env.append_ok(P1);
    env.append_ok(P2);
    let tiles = env.path("tiles");
    publish(&env, &tiles);
    // The last entry of the partial bundle, one byte changed near its end
    // (inside its signature or its body).
    let bundle = std::fs::read_dir(tiles.join("tile/entries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .map(|d| {
            std::fs::read_dir(d)
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path()
        })
        .expect("a partial entry bundle");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 1;
    std::fs::write(&bundle, bytes).unwrap();
    let replica = env.path("replica");
    mirror(&env, &tiles, &replica).fails(1, &["signature"]);
    assert!(!replica.exists(), "a failed first run leaves nothing");
}

#[test]
fn the_first_run_needs_the_authority_it_trusts() {
    let env = Env::new(CUSTODY);
    env.append_ok(P1);
    let tiles = env.path("tiles");
    publish(&env, &tiles);
    let replica = env.path("replica");
    custody_on(&replica, &["mirror", "--from", s(&tiles)], None).fails(2, &["--authority"]);
    // Another key: the genesis names someone else.
    let other = env
        .run(&["key", "public", "--key", s(&env.investigator)])
        .ok();
    custody_on(
        &replica,
        &["mirror", "--from", s(&tiles), "--authority", other.trim()],
        None,
    )
    .fails(1, &["genesis names the authority"]);
    assert!(!replica.exists(), "nothing was written");
}

/// The same replica, read from a running `custody serve` over HTTP: hash
/// tiles are public and equal to what `custody tiles` writes; entry
/// bundles need a reader token and are logged.
#[test]
fn a_replica_is_kept_from_a_server() {
    let env = Env::new(CUSTODY);
    env.append_ok(P1);
    env.append_ok(P2);
    let tiles = env.path("tiles");
    publish(&env, &tiles);
    let token = crate::serve::issue(&env, "Auditor", &[], &[]);
    let token_file = env.path("reader.token");
    std::fs::write(&token_file, &token).unwrap();
    // The head moves on past the checkpoint: the partial tiles of the
    // checkpoint's tree (narrower than the head's) must still be served.
    env.append_ok(r#"{"type":"capture","person":"P-7","occurred_at":"2022"}"#);
    let server = crate::serve::Server::start(&env, &[]);
    // A hash tile, fetched without a token, is the file `custody tiles` wrote.
    let partial = std::fs::read_dir(tiles.join("tile/0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("a partial level-0 tile");
    let width = std::fs::read_dir(&partial)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let rel = format!(
        "tile/0/{}/{}",
        partial.file_name().unwrap().to_str().unwrap(),
        width.file_name().to_str().unwrap()
    );
    let agent = crate::serve::client(None);
    let mut got = agent.get(format!("{}/{rel}", server.url)).call().unwrap();
    assert_eq!(got.status(), 200, "{rel}");
    let body = got.body_mut().read_to_vec().unwrap();
    assert_eq!(body, std::fs::read(tiles.join(&rel)).unwrap(), "{rel}");
    let entries = rel.replacen("tile/0/", "tile/entries/", 1);
    let refused = agent
        .get(format!("{}/{entries}", server.url))
        .call()
        .unwrap();
    assert_eq!(refused.status(), 401, "entry bundles need a token");

    let replica = env.path("replica");
    let mirror_http = |token_file: Option<&Path>| {
        let mut args = vec![
            "--store".to_string(),
            s(&replica).to_string(),
            "mirror".into(),
            "--from".into(),
            server.url.clone(),
            "--authority".into(),
            authority_hex(&env),
        ];
        if let Some(t) = token_file {
            args.extend(["--token-file".into(), s(t).to_string()]);
        }
        let out = std::process::Command::new(crate::util::BIN)
            .args(&args)
            .env_remove("CUSTODY_TOKEN")
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, _, err) = mirror_http(None);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("reader token"), "{err}");
    assert!(!replica.exists(), "a refused first run leaves nothing");
    let (code, out, err) = mirror_http(Some(&token_file));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("mirrored"), "{out}");
    assert_same_status_withheld(&replica, &env.store, "P-1");
    // The read of the entries is in the access log, under the holder.
    let log = env.run(&["token", "log"]).ok();
    assert!(
        log.contains("Auditor") && log.contains("tile/entries"),
        "{log}"
    );
    assert!(!log.contains(&token), "the token is never logged");
    server.stop();
}

/// Over TLS: the server's own certificate, trusted with --ca-cert; without
/// it, the web's roots do not vouch for it and nothing is written.
#[test]
fn a_replica_is_kept_over_tls() {
    let env = Env::new(CUSTODY);
    env.append_ok(P1);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    let token_file = env.path("reader.token");
    std::fs::write(&token_file, crate::serve::issue(&env, "Auditor", &[], &[])).unwrap();
    let (cert, key) = crate::serve::self_signed(&env);
    let server = crate::serve::Server::start(&env, &["--tls-cert", s(&cert), "--tls-key", s(&key)]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let replica = env.path("replica");
    let hex = authority_hex(&env);
    let args = |ca: bool| {
        let mut a = vec![
            "mirror",
            "--from",
            server.url.as_str(),
            "--authority",
            hex.as_str(),
            "--token-file",
            s(&token_file),
        ];
        if ca {
            a.extend(["--ca-cert", s(&cert)]);
        }
        a
    };
    custody_on(&replica, &args(false), None).fails(2, &[&server.url]);
    assert!(!replica.exists());
    let out = custody_on(&replica, &args(true), None).ok();
    assert!(out.contains("mirrored"), "{out}");
    custody_on(&replica, &["verify"], None).ok();
    server.stop();
}

/// A web server running as another user must read the hash tiles and the
/// checkpoint (0644); the entry bundles, which hold people's data, stay the
/// operator's (0600).
#[test]
fn tile_files_are_public_and_entry_bundles_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new(CUSTODY);
    env.append_ok(P1);
    let tiles = env.path("tiles");
    publish(&env, &tiles);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&tiles.join("checkpoint")), 0o644);
    let level0 = std::fs::read_dir(tiles.join("tile/0/000.p"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(mode(&level0.path()), 0o644);
    let bundle = std::fs::read_dir(tiles.join("tile/entries/000.p"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(mode(&bundle.path()), 0o600);
}

/// The replica's status of `person` is the source's, except that the
/// replica holds no disclosures (tiles carry none): every personal value
/// the source shows is withheld there, and listed as committed.
fn assert_same_status_withheld(replica: &Path, source: &Path, person: &str) {
    let status = |store: &Path| -> serde_json::Value {
        let out = custody_on(store, &["--json", "status", person], None).ok();
        serde_json::from_str(out.trim()).unwrap()
    };
    let (theirs, mut ours) = (status(replica), status(source));
    let committed = theirs["committed"].as_object().cloned().unwrap_or_default();
    assert!(
        !committed.is_empty(),
        "the replica withholds the place: {theirs}"
    );
    for key in committed.keys() {
        let mut at = &mut ours;
        for part in key.split('.') {
            at = &mut at[part];
        }
        assert!(at.is_string(), "the source shows {key}: {ours}");
        *at = serde_json::Value::Null;
    }
    ours["committed"] = serde_json::Value::Object(committed);
    assert_eq!(theirs, ours);
}

/// The auditor's replica of a server that takes statements: its
/// checkpoints are signed by the server's `registrar` key, which the chain
/// rules let sign them, so the mirror, `verify --checkpoint` and a bundle
/// exported from the replica all take them, and name the role rightly.
/// (The mirror took only an authority's checkpoint before, so it could
/// not follow such a server.)
#[test]
fn a_replica_follows_a_server_whose_registrar_signs_the_checkpoints() {
    use crate::statements::{registrar, sign, OLHA, PETRO};
    let env = Env::new(CUSTODY);
    let (key, public) = registrar(&env, "serve.example.org");
    let token_file = env.path("reader.token");
    std::fs::write(&token_file, crate::serve::issue(&env, "Auditor", &[], &[])).unwrap();
    let server = crate::serve::Server::start(&env, &["--key", s(&key)]);
    let submit = |events: &str, name: &str| {
        let file = sign(&env, &env.investigator, name, events);
        crate::statements::submit_to(false, &server.url, &public, &[], &file).ok();
    };
    let replica = env.path("replica");
    let mirror = || {
        custody_on(
            &replica,
            &[
                "mirror",
                "--from",
                &server.url,
                "--authority",
                &authority_hex(&env),
                "--token-file",
                s(&token_file),
            ],
            None,
        )
    };
    submit(OLHA, "olha");
    let out = mirror().ok();
    assert!(out.contains("mirrored"), "{out}");
    // The server goes on; the replica catches up from where it was.
    submit(PETRO, "petro");
    let out = mirror().ok();
    assert!(out.contains("mirrored"), "{out}");
    custody_on(&replica, &["verify"], None).ok();
    // The server's checkpoint, checked against the replica's chain.
    let note = crate::serve::client(None)
        .get(format!("{}/checkpoint", server.url))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let cp = env.path("server.checkpoint");
    std::fs::write(&cp, &note).unwrap();
    custody_on(&replica, &["verify", "--checkpoint", s(&cp)], None).ok();
    // A person's bundle from the replica names who signed its checkpoint,
    // with the role that let it.
    let bundle = env.path("petro.bundle");
    custody_on(
        &replica,
        &["export", "--person", "UA-0102", "--out", s(&bundle)],
        None,
    )
    .ok();
    let out = crate::util::custody(&["verify", "--bundle", s(&bundle)], None).ok();
    assert!(
        out.contains("serve.example.org, a registrar since seq"),
        "{out}"
    );
    assert_eq!(server.stop(), 0);
}

/// `mirror` with `--authority` and `extra`, from `from` into `replica`.
fn mirror_with(env: &Env, from: &Path, replica: &Path, extra: &[&str]) -> crate::util::Run {
    let authority = authority_hex(env);
    let mut args = vec!["mirror", "--from", s(from), "--authority", &authority];
    args.extend_from_slice(extra);
    custody_on(replica, &args, None)
}

/// A ledger with a running witness, a checkpoint it cosigned
/// (`cp1.txt`), the ledger's tiles under its own note (`plain`) and under
/// the cosigned one (`cosigned`), and a fork of it (the same name and
/// keys, another and longer history: what a stolen key can sign) with its
/// tiles (`fork-tiles`).
struct Witnessed {
    c: crate::tiles::Cosigning,
    note: std::path::PathBuf,
    plain: std::path::PathBuf,
    cosigned: std::path::PathBuf,
    fork_tiles: std::path::PathBuf,
}

/// Forty captures, none of them in the ledger.
fn forty() -> String {
    let lines: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"type":"capture","person":"FK-{i:02}","occurred_at":"2022"}}"#))
        .collect();
    lines.join("\n")
}

impl Witnessed {
    fn new() -> Witnessed {
        let c = crate::tiles::Cosigning::new();
        let env = &c.env;
        let note = env.path("cp1.txt");
        c.checkpoint(None, Some(&note)).ok();
        let plain = env.path("plain");
        env.run(&["tiles", "--out", s(&plain), "--entries"]).ok();
        let cosigned = env.path("cosigned");
        env.run(&[
            "tiles",
            "--out",
            s(&cosigned),
            "--entries",
            "--checkpoint",
            s(&note),
        ])
        .ok();
        let fork = env.path("fork");
        env.init_fork(&fork);
        custody_on(
            &fork,
            &["append", "--key", s(&env.investigator), "-"],
            Some(&forty()),
        )
        .ok();
        custody_on(&fork, &["checkpoint", "--key", s(&env.authority)], None).ok();
        let fork_tiles = env.path("fork-tiles");
        custody_on(
            &fork,
            &["tiles", "--out", s(&fork_tiles), "--entries"],
            None,
        )
        .ok();
        Witnessed {
            c,
            note,
            plain,
            cosigned,
            fork_tiles,
        }
    }

    /// `--checkpoint NOTE --witness W1`.
    fn held<'a>(&'a self, note: &'a Path) -> [&'a str; 4] {
        ["--checkpoint", s(note), "--witness", self.c.w1.as_str()]
    }
}

/// `mirror --witness VKEY [--checkpoint FILE]` on a new auditor's first
/// run: a source whose checkpoint lacks the cosignature is refused before
/// anything is fetched; a source serving a fork is refused against the
/// witnessed checkpoint, leaving no replica, where a first run without it
/// takes the fork; a --checkpoint its listed witnesses did not cosign is
/// refused first.
#[test]
fn a_first_mirror_is_held_to_a_checkpoint_witnesses_cosigned() {
    let w = Witnessed::new();
    let env = &w.c.env;
    let w1 = ["--witness", w.c.w1.as_str()];
    let replica = env.path("replica");
    mirror_with(env, &w.plain, &replica, &w1)
        .fails(1, &["the source's checkpoint", "not cosigned"]);
    assert!(!replica.exists());
    let run = mirror_with(env, &w.cosigned, &replica, &w1);
    assert!(
        run.stderr.contains("cosigned by 1 of the 1 listed"),
        "{}",
        run.stderr
    );
    assert!(run.ok().contains("mirrored"));
    // The note its witnesses cosigned is kept beside the replica.
    assert_eq!(
        std::fs::read_to_string(replica.join("mirror-witnessed-checkpoint")).unwrap(),
        std::fs::read_to_string(w.cosigned.join("checkpoint")).unwrap()
    );

    let fresh = env.path("fresh");
    mirror_with(env, &w.fork_tiles, &fresh, &w.held(&w.note))
        .fails(1, &["(a fork)", "nothing was written"]);
    assert!(!fresh.exists());
    assert!(!env.path("fresh.mirror-partial").exists());
    // Without it, a first run cannot tell, and takes the fork.
    mirror_with(env, &w.fork_tiles, &env.path("fooled"), &[]).ok();

    let other = env.path("w9.pem");
    env.run(&["key", "generate", "--out", s(&other)]).ok();
    let w9 = env
        .run(&[
            "witness",
            "key",
            "--name",
            "w.example/9",
            "--key",
            s(&other),
        ])
        .ok();
    // A source with a checkpoint and no tiles: refused before any entry
    // is asked for, or the missing tiles would be the error.
    let never = env.path("never");
    let bare = env.path("bare-cosigned");
    std::fs::create_dir(&bare).unwrap();
    std::fs::copy(w.cosigned.join("checkpoint"), bare.join("checkpoint")).unwrap();
    mirror_with(
        env,
        &bare,
        &never,
        &["--checkpoint", s(&w.note), "--witness", w9.trim()],
    )
    .fails(1, &["cp1.txt", "not cosigned"]);
    assert!(!never.exists());
}

/// The same on later runs: a replica catching up past a witnessed tree
/// passes through it, and a source that shares what the replica holds but
/// branches off before that tree is refused there; a source behind the
/// checkpoint given is refused; and a replica that took a fork before is
/// told so by a witnessed checkpoint it holds entries past. Each leaves
/// the replica as it was.
#[test]
fn a_mirror_catching_up_is_held_to_a_checkpoint_witnesses_cosigned() {
    let w = Witnessed::new();
    let env = &w.c.env;
    let replica = env.path("replica");
    mirror_with(env, &w.cosigned, &replica, &["--witness", w.c.w1.as_str()]).ok();
    // The ledger as the replica holds it, to branch from.
    let branch = env.path("branch");
    crate::util::copy_dir(&env.store, &branch);
    let fooled = env.path("fooled");
    mirror_with(env, &w.fork_tiles, &fooled, &[]).ok();

    // The ledger grows past a second witnessed checkpoint, and further.
    env.append_ok(P1);
    let note2 = env.path("cp2.txt");
    w.c.checkpoint(None, Some(&note2)).ok();
    env.append_ok(P2);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    env.run(&["tiles", "--out", s(&w.plain), "--entries"]).ok();

    let before = snapshot(&replica);
    custody_on(
        &branch,
        &["append", "--key", s(&env.investigator), "-"],
        Some(&forty()),
    )
    .ok();
    custody_on(&branch, &["checkpoint", "--key", s(&env.authority)], None).ok();
    let branch_tiles = env.path("branch-tiles");
    custody_on(
        &branch,
        &["tiles", "--out", s(&branch_tiles), "--entries"],
        None,
    )
    .ok();
    mirror_with(env, &branch_tiles, &replica, &w.held(&note2))
        .fails(1, &["the checkpoint given", "not changed"]);
    assert_eq!(snapshot(&replica), before);

    let out = mirror_with(env, &w.plain, &replica, &w.held(&note2)).ok();
    assert!(
        out.contains("contains the tree of the checkpoint given"),
        "{out}"
    );
    assert!(out.contains("new entries"), "{out}");
    // Past the witnessed tree, the source's word alone, and said so.
    assert!(
        out.contains("are vouched for by the source's checkpoint alone"),
        "{out}"
    );
    custody_on(&replica, &["verify", "--checkpoint", s(&note2)], None).ok();
    let witnessed =
        || std::fs::read_to_string(replica.join("mirror-witnessed-checkpoint")).unwrap();
    let note2_text = std::fs::read_to_string(&note2).unwrap();
    assert_eq!(witnessed(), note2_text);
    // Held to an older witnessed note, the replica keeps the larger
    // witnessed tree it already holds.
    mirror_with(env, &w.plain, &replica, &w.held(&w.note)).ok();
    assert_eq!(witnessed(), note2_text);

    let after = snapshot(&replica);
    assert_ne!(after, before);
    mirror_with(env, &w.cosigned, &replica, &["--checkpoint", s(&note2)])
        .fails(1, &["behind the checkpoint given"]);
    assert_eq!(snapshot(&replica), after);

    let fooled_before = snapshot(&fooled);
    mirror_with(env, &w.fork_tiles, &fooled, &w.held(&w.note))
        .fails(1, &["this replica's", "(a fork)", "not changed"]);
    assert_eq!(snapshot(&fooled), fooled_before);
}

/// A note cosigned by `witness` (a test key, name `w.example/t`) of the
/// ledger `origin`'s tree of `size` entries with `root`, signed by `signer`.
fn forged_note(origin: &str, size: u64, root: &[u8; 32], signer: &SigningKey) -> String {
    let text = custody_format::note::note_text(origin, size, root);
    let public = signer.verifying_key().to_bytes();
    let signature = custody_format::note::sign_text(&text, signer);
    let note = custody_format::note::signed_note(&text, origin, &public, &signature);
    let line = custody_ledger::cosign::cosignature_line(
        "w.example/t",
        &test_witness(),
        1_800_000_000,
        &text,
    );
    format!("{note}{line}")
}

fn test_witness() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

/// The verifier key of [`test_witness`].
fn test_witness_vkey() -> String {
    custody_ledger::cosign::cosigner_verifier_key(
        "w.example/t",
        &test_witness().verifying_key().to_bytes(),
    )
}

/// The witnesses' cosignatures say only that they saw a tree: the note
/// given with --checkpoint must still be this ledger's, signed by a key
/// that held a checkpoint signer's role at its size, and agree with the
/// source's. Each forged note is cosigned (by a witness listed), so only
/// these checks refuse it; and usage and order hold: cosignatures are
/// checked before any tile is fetched, --quorum counts, and a note without
/// --witness is taken with a warning.
#[test]
fn a_checkpoint_given_is_the_ledgers_own_whoever_cosigned_it() {
    let w = Witnessed::new();
    let env = &w.c.env;
    let genuine =
        custody_verifier::checkpoint::parse(&std::fs::read_to_string(&w.note).unwrap()).unwrap();
    let authority = custody_ledger::keyfile::read_signing_key(&env.authority).unwrap();
    let rogue = SigningKey::from_bytes(&[66; 32]);
    let vkey = test_witness_vkey();
    let try_note = |name: &str, note: String, wants: &[&str]| {
        let file = env.path(name);
        std::fs::write(&file, note).unwrap();
        let replica = env.path(&format!("{name}.replica"));
        mirror_with(
            env,
            &w.cosigned,
            &replica,
            &["--checkpoint", s(&file), "--witness", &vkey],
        )
        .fails(1, wants);
        assert!(!replica.exists(), "{name}");
    };
    try_note(
        "rogue.txt",
        forged_note("test.ledger", genuine.size, &genuine.root, &rogue),
        &[
            "--checkpoint is not signed by a key that held",
            "nothing was written",
        ],
    );
    try_note(
        "other.txt",
        forged_note("other.ledger", genuine.size, &genuine.root, &authority),
        &["--checkpoint is of the ledger other.ledger"],
    );
    try_note(
        "two-roots.txt",
        forged_note("test.ledger", genuine.size, &[7; 32], &authority),
        &["two roots for the same"],
    );
    // The genuine tree, cosigned by the test witness: taken.
    let good = env.path("good.txt");
    std::fs::write(
        &good,
        forged_note("test.ledger", genuine.size, &genuine.root, &authority),
    )
    .unwrap();
    mirror_with(
        env,
        &w.cosigned,
        &env.path("good"),
        &["--checkpoint", s(&good), "--witness", &vkey],
    )
    .ok();

    // Cosignatures first: a source with a checkpoint and no tile at all.
    let bare = env.path("bare");
    std::fs::create_dir(&bare).unwrap();
    std::fs::copy(w.plain.join("checkpoint"), bare.join("checkpoint")).unwrap();
    mirror_with(env, &bare, &env.path("r1"), &["--witness", w.c.w1.as_str()])
        .fails(1, &["not cosigned"]);
    // --quorum: all listed by default, else the number given.
    let both = ["--witness", w.c.w1.as_str(), "--witness", &vkey];
    mirror_with(env, &w.cosigned, &env.path("r2"), &both).fails(1, &["not cosigned"]);
    let mut one = both.to_vec();
    one.extend(["--quorum", "1"]);
    mirror_with(env, &w.cosigned, &env.path("r2"), &one).ok();
    mirror_with(env, &w.cosigned, &env.path("r3"), &["--quorum", "1"]).fails(2, &["--witness"]);
    // A note without --witness: held to, with a warning.
    let run = mirror_with(
        env,
        &w.cosigned,
        &env.path("r4"),
        &["--checkpoint", s(&w.note)],
    );
    assert!(
        run.stderr.contains("cosignatures are not checked"),
        "{}",
        run.stderr
    );
    run.ok();
}

/// A replica that catches up past the checkpoint given, from a source
/// whose own checkpoint then fails: it holds the tree given, verified, and
/// keeps that note as the one it was verified against.
#[test]
fn a_catch_up_that_fails_past_the_checkpoint_given_keeps_what_it_verified() {
    let w = Witnessed::new();
    let env = &w.c.env;
    let replica = env.path("replica");
    mirror_with(env, &w.cosigned, &replica, &[]).ok();
    env.append_ok(P1);
    let note2 = env.path("cp2.txt");
    w.c.checkpoint(None, Some(&note2)).ok();
    env.append_ok(P2);
    env.append_ok(P1);
    env.run(&["checkpoint", "--key", s(&env.authority)]).ok();
    env.run(&["tiles", "--out", s(&w.plain), "--entries"]).ok();
    // The source's own checkpoint re-signed over another root.
    let latest = custody_verifier::checkpoint::parse(
        &std::fs::read_to_string(w.plain.join("checkpoint")).unwrap(),
    )
    .unwrap();
    let authority = custody_ledger::keyfile::read_signing_key(&env.authority).unwrap();
    let text = custody_format::note::note_text("test.ledger", latest.size, &[7; 32]);
    let signature = custody_format::note::sign_text(&text, &authority);
    let public = authority.verifying_key().to_bytes();
    std::fs::write(
        w.plain.join("checkpoint"),
        custody_format::note::signed_note(&text, "test.ledger", &public, &signature),
    )
    .unwrap();
    let held = ["--checkpoint", s(&note2), "--witness", w.c.w1.as_str()];
    mirror_with(env, &w.plain, &replica, &held).fails(
        1,
        &[
            "does not vouch",
            "now holds the",
            "entries of the checkpoint given",
        ],
    );
    let given =
        custody_verifier::checkpoint::parse(&std::fs::read_to_string(&note2).unwrap()).unwrap();
    let kept = std::fs::read_to_string(replica.join("mirror-checkpoint")).unwrap();
    assert_eq!(kept, std::fs::read_to_string(&note2).unwrap());
    let len = custody_on(&replica, &["--json", "log"], None)
        .ok()
        .lines()
        .count() as u64;
    assert_eq!(len, given.size);
    custody_on(&replica, &["verify", "--checkpoint", s(&note2)], None).ok();
}
