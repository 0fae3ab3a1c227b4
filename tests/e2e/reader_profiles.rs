//! Reader-token profiles in `custody serve` (issue 15, design
//! docs/design/format-v3.md §7/§14): a court, a family and a public token
//! read the same person through every route that shows people's data —
//! the API's status, list, bundle and dossier, the web view's person page,
//! list search, bundle and dossier downloads — and the raw bytes of each
//! answer are searched for the values the profile withholds. Each route
//! is asserted on its own, so removing the filter from any one of them
//! fails here. Every bundle a reader downloads verifies.

use crate::profiles::{store_with_capture, DESCRIPTION, LAST_SEEN, NAME, NOTES, PLACE, WITNESS};
use crate::serve::{client, get, issue, Server};
use crate::util::{custody, s, Env};

/// Every personal value of P-1 the tests look for (the date of birth is
/// left out: a page writes it in words, so its absence proves nothing).
const VALUES: [&str; 6] = [NAME, LAST_SEEN, PLACE, NOTES, WITNESS, DESCRIPTION];
/// What the family profile withholds: witnesses and free text.
const NOT_FAMILY: [&str; 3] = [NOTES, WITNESS, DESCRIPTION];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cut {
    Court,
    Family,
    Public,
}

impl Cut {
    const ALL: [Cut; 3] = [Cut::Court, Cut::Family, Cut::Public];

    fn name(self) -> &'static str {
        match self {
            Cut::Court => "court",
            Cut::Family => "family",
            Cut::Public => "public",
        }
    }

    /// Of `candidates`, the values this profile must never show.
    fn withheld(self) -> Vec<&'static str> {
        match self {
            Cut::Court => vec![],
            Cut::Family => NOT_FAMILY.to_vec(),
            Cut::Public => VALUES.to_vec(),
        }
    }
}

/// Asserts that `body` (the raw answer of `what` to a `cut` reader)
/// holds none of the values `cut` withholds, and each of `shown`.
fn assert_cut(cut: Cut, what: &str, body: &[u8], shown: &[&str]) {
    let has = |v: &str| body.windows(v.len()).any(|w| w == v.as_bytes());
    for v in cut.withheld() {
        assert!(
            !has(v),
            "{what}, {} reader: {v:?} must not be there:\n{}",
            cut.name(),
            String::from_utf8_lossy(body)
        );
    }
    for v in shown {
        assert!(
            has(v),
            "{what}, {} reader: {v:?} is missing:\n{}",
            cut.name(),
            String::from_utf8_lossy(body)
        );
    }
}

/// The store of `profiles::store_with_capture` (P-1: a missing report
/// with a name, a capture with a place, notes, a witness and an
/// attachment's description; then a checkpoint), a token of each profile,
/// and the server.
fn served() -> (Env, Server, [(Cut, String); 3]) {
    let (env, _) = store_with_capture();
    let tokens = Cut::ALL.map(|c| {
        let holder = format!("{} reader", c.name());
        (c, issue(&env, &holder, &["--profile", c.name()], &[]))
    });
    let server = Server::start(&env, &[]);
    (env, server, tokens)
}

/// Writes `bytes` to a file and verifies it as a bundle: exit 0, complete.
fn verifies(env: &Env, name: &str, bytes: &[u8]) {
    let file = env.path(name);
    std::fs::write(&file, bytes).unwrap();
    let out = custody(&["verify", "--bundle", s(&file)], None).ok();
    assert!(out.starts_with("COMPLETE"), "{name}: {out}");
}

#[test]
fn token_list_shows_each_profile_and_every_profile_is_issued() {
    let (env, _) = store_with_capture();
    for c in Cut::ALL {
        issue(
            &env,
            &format!("{} reader", c.name()),
            &["--profile", c.name()],
            &[],
        );
    }
    let run = env.run(&["token", "list"]);
    assert!(!run.stderr.contains("court reads"), "{}", run.stderr);
    assert!(
        run.stderr.contains("public, no personal value"),
        "{}",
        run.stderr
    );
    let list = run.ok();
    for c in Cut::ALL {
        let holder = format!("{} reader", c.name());
        let line = list.lines().find(|l| l.ends_with(&holder)).expect("listed");
        assert!(line.contains(&format!(" {} ", c.name())), "{line}");
    }
    let json = env.run(&["--json", "token", "list"]).ok();
    for (line, c) in json.lines().zip(Cut::ALL) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["profile"], c.name(), "{v}");
        assert!(v.get("profile_enforced").is_none(), "{v}");
    }
}

#[test]
fn the_api_shows_each_reader_only_what_its_profile_discloses() {
    let (env, server, tokens) = served();
    let agent = client(None);
    let url = &server.url;
    for (cut, token) in &tokens {
        let cut = *cut;
        let read = |path: &str| {
            let a = get(&agent, &format!("{url}{path}"), Some(token));
            assert_eq!(a.status, 200, "{path}, {}: {}", cut.name(), a.body);
            a.body
        };
        // The status: the name and the place for court and family.
        let shown: &[&str] = if cut == Cut::Public {
            &[]
        } else {
            &[NAME, PLACE]
        };
        let status = read("/v1/persons/P-1/status");
        assert_cut(cut, "the status", status.as_bytes(), shown);
        if cut == Cut::Public {
            let v: serde_json::Value = serde_json::from_str(&status).unwrap();
            assert!(v["name"].is_null(), "{v}");
            assert_eq!(
                v["committed"]["name"]["field"], "name",
                "withheld, said so: {v}"
            );
        }
        let list = read("/v1/persons");
        assert_cut(cut, "the list", list.as_bytes(), shown);

        // A search by name: found by court and family; refused to public
        // (the answer would say whether the name is there).
        let search = get(
            &agent,
            &format!("{url}/v1/persons?name=marchuk"),
            Some(token),
        );
        if cut == Cut::Public {
            assert_eq!(search.status, 403, "{}", search.body);
            assert!(
                search.body.contains("cannot search by one"),
                "{}",
                search.body
            );
            assert_cut(cut, "the refused search", search.body.as_bytes(), &[]);
        } else {
            assert_eq!(search.status, 200, "{}", search.body);
            assert!(search.body.contains("\"P-1\""), "{}", search.body);
        }

        // The bundle: as `export --profile` cuts it, and it verifies.
        let shown: &[&str] = match cut {
            Cut::Court => &VALUES,
            Cut::Family => &[NAME, LAST_SEEN, PLACE],
            Cut::Public => &[],
        };
        let bundle = read("/v1/persons/P-1/bundle");
        assert_cut(cut, "the API's bundle", bundle.as_bytes(), shown);
        verifies(&env, &format!("api-{}.json", cut.name()), bundle.as_bytes());
        let exported = env.path(&format!("export-{}.json", cut.name()));
        env.run(&[
            "export",
            "--person",
            "P-1",
            "--profile",
            cut.name(),
            "--out",
            s(&exported),
        ])
        .ok();
        assert_eq!(
            bundle.as_bytes(),
            std::fs::read(&exported).unwrap(),
            "the bundle of `custody export --profile {}`",
            cut.name()
        );

        // The dossier in each format: what is withheld says so.
        for format in ["html", "md", "json"] {
            let d = read(&format!("/v1/persons/P-1/dossier?format={format}"));
            assert_cut(cut, &format!("the {format} dossier"), d.as_bytes(), shown);
            if cut != Cut::Court {
                assert!(d.contains("withheld"), "{format}: {d}");
            }
        }
    }
    drop(server);
}

#[test]
fn the_web_view_shows_each_session_only_what_its_profile_discloses() {
    use crate::web::{get as page, sign_in};
    let (env, server, tokens) = served();
    let url = &server.url;
    for (cut, token) in &tokens {
        let cut = *cut;
        let cookie = sign_in(url, token);
        let read = |path: &str| {
            let p = page(&format!("{url}{path}"), Some(&cookie), &[]);
            assert_eq!(p.status, 200, "{path}, {}: {}", cut.name(), p.body);
            p.body
        };
        let shown: &[&str] = match cut {
            Cut::Court => &VALUES,
            Cut::Family => &[NAME, LAST_SEEN, PLACE],
            Cut::Public => &[],
        };
        let person = read("/people/P-1");
        assert_cut(cut, "the person page", person.as_bytes(), shown);
        if cut != Cut::Court {
            assert!(person.contains("(withheld)"), "{person}");
        }
        let dossier = read("/people/P-1/dossier");
        assert_cut(cut, "the dossier download", dossier.as_bytes(), shown);
        let bundle = read("/people/P-1/bundle");
        assert_cut(cut, "the bundle download", bundle.as_bytes(), shown);
        verifies(&env, &format!("web-{}.json", cut.name()), bundle.as_bytes());

        // The list, and a search by part of the name.
        let names: &[&str] = if cut == Cut::Public { &[] } else { &[NAME] };
        let list = read("/people");
        assert_cut(cut, "the people list", list.as_bytes(), names);
        let search = read("/people?q=marchuk");
        assert_cut(cut, "the name search", search.as_bytes(), names);
        let found = search.contains("href=\"/people/P-1\"");
        if cut == Cut::Public {
            assert!(!found, "a public search by name finds no one: {search}");
            assert!(search.contains("matches ids only"), "{search}");
            // By id it still finds them.
            let by_id = read("/people?q=p-1");
            assert!(by_id.contains("href=\"/people/P-1\""), "{by_id}");
            assert_cut(cut, "the id search", by_id.as_bytes(), &[]);
        } else {
            assert!(found, "{search}");
            assert!(!search.contains("matches ids only"), "{search}");
        }
        // The report and the ledger page show no personal value to anyone.
        for path in ["/report", "/ledger"] {
            assert_cut(Cut::Public, path, read(path).as_bytes(), &[]);
        }
    }
    drop(server);
}

/// Format 2 evidence holds its values in its signed bytes, where no
/// profile can withhold them: a public reader is refused the bundle, the
/// dossier, the person page and the entry tile that would carry the
/// capture's place in clear, and its status and list leave the place out;
/// a family reader, whose profile discloses places, reads them all.
#[test]
fn format_2_values_a_profile_withholds_are_refused_not_sent() {
    use crate::web::{get as page, sign_in};
    use custody_format::event::Role;
    use custody_testkit::chain::ChainBuilder;
    use custody_testkit::events::{capture, sighting};
    use custody_testkit::keys::{authority, investigator};

    let mut env = Env::new(crate::util::CUSTODY);
    let mut b = ChainBuilder::new("v2-ledger");
    b.grant(&investigator(), Role::Investigator, "I");
    b.push(capture("P-1"), &investigator());
    b.push(sighting("P-1"), &investigator());
    b.checkpoint();
    let lines: String = b
        .signed
        .iter()
        .map(|e| custody_format::wire::export::ExportLine::of(e).to_line() + "\n")
        .collect();
    let export = env.path("v2.jsonl");
    std::fs::write(&export, lines).unwrap();
    env.store = env.path("v2-store");
    env.run(&["restore", "--from", s(&export), "--store", s(&env.store)])
        .ok();
    env.authority = env.path("v2-authority.pem");
    custody_ledger::keyfile::write_signing_key(&env.authority, &authority()).unwrap();
    let family = issue(&env, "family reader", &["--profile", "family"], &[]);
    let public = issue(&env, "public reader", &["--profile", "public"], &[]);
    let server = Server::start(&env, &[]);
    let (url, agent) = (&server.url, client(None));
    const PLACE_V2: &str = "Mariupol";
    let tile = format!("/tile/entries/000.p/{}", b.signed.len());
    let routes = [
        "/v1/persons/P-1/bundle",
        "/v1/persons/P-1/dossier?format=json",
        tile.as_str(),
    ];

    for route in routes {
        let a = get(&agent, &format!("{url}{route}"), Some(&public));
        assert_eq!(a.status, 403, "{route}: {}", a.body);
        assert!(a.body.contains("format 1 or 2"), "{route}: {}", a.body);
        assert!(!a.body.contains(PLACE_V2), "{route}: {}", a.body);
        // (The tile is binary: read through the client that takes any body.)
        let bearer = format!("Bearer {family}");
        let a = page(
            &format!("{url}{route}"),
            None,
            &[("Authorization", &bearer)],
        );
        assert_eq!(a.status, 200, "{route}: {}", a.body);
    }
    let bundle = get(
        &agent,
        &format!("{url}/v1/persons/P-1/bundle"),
        Some(&family),
    );
    assert!(bundle.body.contains(PLACE_V2), "{}", bundle.body);
    verifies(&env, "v2-family.json", bundle.body.as_bytes());
    for route in ["/v1/persons/P-1/status", "/v1/persons"] {
        let a = get(&agent, &format!("{url}{route}"), Some(&public));
        assert_eq!(a.status, 200, "{route}: {}", a.body);
        assert!(!a.body.contains(PLACE_V2), "{route}: {}", a.body);
        let a = get(&agent, &format!("{url}{route}"), Some(&family));
        assert!(a.body.contains(PLACE_V2), "{route}: {}", a.body);
    }

    let cookie = sign_in(url, &public);
    for path in ["/people/P-1", "/people/P-1/bundle", "/people/P-1/dossier"] {
        let p = page(&format!("{url}{path}"), Some(&cookie), &[]);
        assert_eq!(p.status, 403, "{path}: {}", p.body);
        assert!(!p.body.contains(PLACE_V2), "{path}: {}", p.body);
    }
    let cookie = sign_in(url, &family);
    let p = page(&format!("{url}/people/P-1"), Some(&cookie), &[]);
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(PLACE_V2), "{}", p.body);
}
