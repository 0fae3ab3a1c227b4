//! The web view of `custody serve` (issue 14) over HTTP, without a
//! browser: sign-in and sessions, what a page without a session gets, the
//! CSRF defence, the access log, escaping, the headers, the languages.
//! The browser test is in `web_browser`.

use crate::serve::{issue, Server};
use crate::util::{Env, ALL_TYPES};
use std::time::Duration;

/// An HTTP client that does not follow redirects (a redirect is what a
/// page without a session answers).
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

pub(crate) struct Page {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The session cookie's value from `Set-Cookie`.
    fn session(&self) -> Option<String> {
        self.header("set-cookie")
            .lines()
            .find_map(|l| l.strip_prefix("custody_session="))
            .map(|l| l.split(';').next().unwrap_or_default().to_string())
    }

    /// The CSRF token of the page's sign-out form.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a CSRF field")
            + 19;
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

fn read(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Page {
    let mut r = r.expect("HTTP request");
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    Page {
        status: r.status().as_u16(),
        headers,
        body: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

pub(crate) fn get(url: &str, cookie: Option<&str>, more: &[(&str, &str)]) -> Page {
    let mut req = agent().get(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    for (k, v) in more {
        req = req.header(*k, *v);
    }
    read(req.call())
}

fn post(url: &str, cookie: Option<&str>, more: &[(&str, &str)], form: &[(&str, &str)]) -> Page {
    let mut req = agent().post(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    for (k, v) in more {
        req = req.header(*k, *v);
    }
    read(req.send_form(form.iter().copied()))
}

/// Signs in with `token`; the `Cookie` header value of the session.
pub(crate) fn sign_in(url: &str, token: &str) -> String {
    let r = post(&format!("{url}/signin"), None, &[], &[("token", token)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/people");
    format!("custody_session={}", r.session().expect("a session cookie"))
}

fn ledger() -> (Env, String) {
    let env = Env::new(crate::util::CUSTODY);
    env.append_ok(ALL_TYPES);
    env.checkpoint(&env.path("cp.txt")).ok();
    let token = issue(&env, "Court A", &["--expires", "2999"], &[]);
    (env, token)
}

fn assert_refused_to_sign_in(r: &Page) {
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/");
    assert!(!r.body.contains("P-0001"), "{}", r.body);
}

#[test]
fn pages_of_people_need_a_session_made_from_a_valid_token() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;

    // No session: every page of people's data sends the browser to sign in.
    for path in [
        "/people",
        "/people/P-0001",
        "/people/P-0001/bundle",
        "/people/P-0001/dossier",
        "/report",
        "/ledger",
    ] {
        assert_refused_to_sign_in(&get(&format!("{url}{path}"), None, &[]));
    }
    // The sign-in page: a labelled form, the pages' headers.
    let home = get(&format!("{url}/"), None, &[]);
    assert_eq!(home.status, 200);
    assert!(home.body.contains("<label for=\"token\">"), "{}", home.body);
    assert_eq!(home.header("cache-control"), "no-store");
    let csp = home.header("content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("style-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");

    // A wrong token: the form again, 401, no cookie.
    let wrong = post(
        &format!("{url}/signin"),
        None,
        &[],
        &[("token", "custody-rt-nope")],
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.session().is_none());

    // The right one: a cookie that is HttpOnly, SameSite=Strict, expires,
    // and is not the token.
    let r = post(&format!("{url}/signin"), None, &[], &[("token", &token)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let set = r.header("set-cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Max-Age=28800", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "no TLS here: {set}");
    assert!(
        !set.contains(&token) && !set.contains("custody-rt-"),
        "{set}"
    );
    let cookie = format!("custody_session={}", r.session().unwrap());

    let people = get(&format!("{url}/people"), Some(&cookie), &[]);
    assert_eq!(people.status, 200, "{}", people.body);
    assert!(
        people.body.contains("href=\"/people/P-0001\""),
        "{}",
        people.body
    );
    assert_eq!(people.header("cache-control"), "no-store");
    assert_eq!(people.header("content-security-policy"), csp);
    assert!(!people.body.contains("<script"), "{}", people.body);
    // Signed in, the home page is the list.
    let again = get(&format!("{url}/"), Some(&cookie), &[]);
    assert_eq!(again.header("location"), "/people");

    // A forged session id, and a session cookie from another server's life.
    for forged in [
        "custody_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "custody_session=",
        "custody_session=custody-rt-nope",
    ] {
        assert_refused_to_sign_in(&get(&format!("{url}/people"), Some(forged), &[]));
    }
    // The token behind a session is checked on every page: revoked, its
    // sessions end at once.
    env.run(&["token", "revoke", "--holder", "Court A"]).ok();
    assert_refused_to_sign_in(&get(&format!("{url}/people"), Some(&cookie), &[]));
    let log = server.stderr();
    assert!(log.contains("the session's token is revoked"), "{log}");
    assert!(!log.contains(&token), "{log}");
}

#[test]
fn a_post_without_the_sessions_csrf_token_or_from_another_site_is_refused() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);
    let page = get(&format!("{url}/people"), Some(&cookie), &[]);
    let csrf = page.csrf();
    assert!(csrf.len() >= 40, "{csrf}");

    let signout = format!("{url}/signout");
    for form in [vec![], vec![("csrf", "forged")], vec![("csrf", "")]] {
        let r = post(&signout, Some(&cookie), &[], &form);
        assert_eq!(r.status, 403, "{form:?}: {}", r.body);
    }
    // The right token, but sent from another site's page.
    let r = post(
        &signout,
        Some(&cookie),
        &[("Origin", "https://evil.example")],
        &[("csrf", &csrf)],
    );
    assert_eq!(r.status, 403);
    let r = post(
        &format!("{url}/signin"),
        None,
        &[("Sec-Fetch-Site", "cross-site")],
        &[("token", &token)],
    );
    assert_eq!(r.status, 403);
    assert!(r.session().is_none());
    // Still signed in: nothing above signed the reader out.
    assert_eq!(
        get(&format!("{url}/people"), Some(&cookie), &[]).status,
        200
    );

    // The session's own token signs out, and the session is gone.
    let r = post(&signout, Some(&cookie), &[], &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("set-cookie").contains("Max-Age=0"));
    assert_refused_to_sign_in(&get(&format!("{url}/people/P-0001"), Some(&cookie), &[]));
}

#[test]
fn every_page_about_people_is_in_the_access_log_with_its_holder() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);

    let person = get(&format!("{url}/people/P-0001"), Some(&cookie), &[]);
    assert_eq!(person.status, 200, "{}", person.body);
    assert!(person.body.contains("P-0001"));
    let cut = get(
        &format!("{url}/people/P-0001?as_of=2023-01-01&known_at="),
        Some(&cookie),
        &[],
    );
    assert_eq!(cut.status, 200, "{}", cut.body);
    let list = get(
        &format!("{url}/people?q=P-000&status=&sort=unacknowledged"),
        Some(&cookie),
        &[],
    );
    assert_eq!(list.status, 200, "{}", list.body);
    let bundle = get(&format!("{url}/people/P-0001/bundle"), Some(&cookie), &[]);
    assert_eq!(bundle.status, 200, "{}", bundle.body);
    assert_eq!(bundle.body, env.run(&["export", "--person", "P-0001"]).ok());
    let unknown = get(&format!("{url}/people/NOBODY"), Some(&cookie), &[]);
    assert_eq!(unknown.status, 404);
    // The ledger's log, filtered by person and type: the person's entries
    // of that type and none other, and the latest checkpoint's note.
    let log_page = get(
        &format!("{url}/ledger?type=capture&person=P-0001&signer="),
        Some(&cookie),
        &[],
    );
    assert_eq!(log_page.status, 200, "{}", log_page.body);
    assert!(
        log_page.body.contains("<td>capture</td>"),
        "{}",
        log_page.body
    );
    for other in ["<td>sighting</td>", "<td>genesis</td>", "/people/P-0002"] {
        assert!(!log_page.body.contains(other), "{other}: {}", log_page.body);
    }
    assert!(log_page.body.contains("test.ledger"), "{}", log_page.body);

    let log = std::fs::read_to_string(env.store.join("access").join("access-log.jsonl"))
        .expect("the access log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let find = |route: &str, person: Option<&str>, query: Option<&str>| {
        lines
            .iter()
            .find(|l| {
                l["route"] == route
                    && l["person"].as_str() == person
                    && l["query"].as_str() == query
            })
            .unwrap_or_else(|| panic!("{route} {query:?} not logged: {log}"))
    };
    for (route, person, query, status) in [
        ("/people/{id}", Some("P-0001"), None, 200),
        (
            "/people/{id}",
            Some("P-0001"),
            Some("as_of=2023-01-01"),
            200,
        ),
        // That a search was made, not its text (the next test).
        (
            "/people",
            None,
            Some("q=(not logged)&sort=unacknowledged"),
            200,
        ),
        ("/people/{id}/bundle", Some("P-0001"), None, 200),
        ("/people/{id}", Some("NOBODY"), None, 404),
        (
            "/ledger",
            Some("P-0001"),
            Some("type=capture&person=P-0001"),
            200,
        ),
    ] {
        let l = find(route, person, query);
        assert_eq!(l["holder"], "Court A", "{l}");
        assert_eq!(l["status"], status, "{l}");
    }
    assert!(!log.contains(&token));
    drop(server);
}

/// A search's text never reaches the access log: it may be a name that is
/// later erased, and neither `redact` nor `compact` touches `access/`
/// (docs/ARCHITECTURE.md, "Erasure"). The log says that a search was made,
/// and by whom.
#[test]
fn a_search_by_name_is_logged_without_the_name() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);
    let page = get(&format!("{url}/people?q=petrenko"), Some(&cookie), &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(listed(&page.body), ["P-0003"]);
    let api = agent()
        .get(&format!("{url}/v1/persons?name=Petrenko"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("HTTP request");
    assert_eq!(api.status().as_u16(), 200);
    drop(server);

    let mut logged = String::new();
    for file in std::fs::read_dir(env.store.join("access")).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        logged.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert!(
        !logged.to_lowercase().contains("petrenko"),
        "a searched name is in the access log: {logged}"
    );
    // The searches are there, with their holder.
    for (route, query) in [
        ("/people", "q=(not logged)"),
        ("/v1/persons", "name=(not logged)"),
    ] {
        assert!(
            logged.lines().any(|l| {
                let l: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
                l["route"] == route && l["query"] == query && l["holder"] == "Court A"
            }),
            "{route} {query}: {logged}"
        );
    }
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(2)>";

#[test]
fn untrusted_text_is_escaped_in_the_pages() {
    let (env, token) = ledger();
    let hostile = serde_json::json!({"type":"missing_report","person":"P-9","occurred_at":"2022",
        "category":"civilian","name":SCRIPT,"unit":IMG,"notes":"</style><b>styled</b>"});
    env.append_ok(&format!("{hostile}\n"));
    env.checkpoint(&env.path("cp2.txt")).ok();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);
    for lang in ["en", "uk"] {
        for path in ["/people?q=script&lang=", "/people/P-9?lang="] {
            let p = get(&format!("{url}{path}{lang}"), Some(&cookie), &[]);
            assert_eq!(p.status, 200, "{path}: {}", p.body);
            for raw in ["<script", "<img", "<b>styled", "<style"] {
                assert!(!p.body.contains(raw), "{raw} raw in {path}: {}", p.body);
            }
            assert!(
                p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{path}: {}",
                p.body
            );
        }
    }
    // A hostile search term comes back escaped in the search field.
    let p = get(
        &format!("{url}/people?q=%22%3E%3Cimg%20src%3Dx%3E"),
        Some(&cookie),
        &[],
    );
    assert_eq!(p.status, 200);
    assert!(!p.body.contains("<img"), "{}", p.body);
    assert!(
        p.body.contains("value=\"&quot;&gt;&lt;img src=x&gt;\""),
        "{}",
        p.body
    );
}

#[test]
fn pages_speak_the_chosen_language_and_remember_it() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);

    let en = get(&format!("{url}/people"), Some(&cookie), &[]);
    assert!(en.body.contains("<html lang=\"en\">"), "{}", en.body);
    assert!(en.body.contains("Days without contact"));
    // Accept-Language, with no choice made.
    let accepted = get(
        &format!("{url}/people"),
        Some(&cookie),
        &[("Accept-Language", "de, uk;q=0.8, en;q=0.5")],
    );
    assert!(
        accepted.body.contains("<html lang=\"uk\">"),
        "{}",
        accepted.body
    );
    // A choice is remembered, over Accept-Language.
    let chosen = get(&format!("{url}/people?lang=uk"), Some(&cookie), &[]);
    assert!(chosen.body.contains("Днів без зв’язку"), "{}", chosen.body);
    let set = chosen.header("set-cookie");
    assert!(
        set.contains("custody_lang=uk") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let remembered = get(
        &format!("{url}/people/P-0001"),
        Some(&format!("{cookie}; custody_lang=uk")),
        &[("Accept-Language", "en")],
    );
    assert!(remembered.body.contains("<html lang=\"uk\">"));
    assert!(remembered.body.contains("Станом на"), "{}", remembered.body);
    // The language switch keeps the page's other choices.
    let filtered = get(
        &format!("{url}/people?status=held_unacknowledged"),
        Some(&cookie),
        &[],
    );
    assert!(
        filtered
            .body
            .contains("href=\"?status=held_unacknowledged&amp;lang=uk\""),
        "{}",
        filtered.body
    );
}

#[test]
fn the_session_cookie_is_secure_under_tls_or_behind_an_https_proxy() {
    let (env, token) = ledger();
    // Behind a proxy that says the browser spoke HTTPS.
    let server = Server::start(&env, &[]);
    let r = post(
        &format!("{}/signin", server.url),
        None,
        &[("X-Forwarded-Proto", "https")],
        &[("token", &token)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.header("set-cookie").contains("; Secure"),
        "{}",
        r.header("set-cookie")
    );
    drop(server);

    // TLS terminated by custody itself.
    let (cert, key) = crate::serve::self_signed(&env);
    let server = Server::start(
        &env,
        &[
            "--tls-cert",
            crate::util::s(&cert),
            "--tls-key",
            crate::util::s(&key),
        ],
    );
    let root = ureq::tls::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
            root,
        ])))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let r = read(
        agent
            .post(&format!("{}/signin", server.url))
            .send_form([("token", token.as_str())]),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let set = r.header("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("; Secure"),
        "{set}"
    );
}

/// The person links of a list page.
fn listed(body: &str) -> Vec<String> {
    body.split("<th scope=\"row\"><a href=\"/people/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn the_list_filters_by_status_flag_category_and_legal_category() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);
    let page = |q: &str| {
        let p = get(&format!("{url}/people?{q}"), Some(&cookie), &[]);
        assert_eq!(p.status, 200, "{q}: {}", p.body);
        listed(&p.body)
    };
    let all = page("");
    assert_eq!(all, ["P-0001", "P-0002", "P-0003"]);
    // Each filter's values split the list: every person is in exactly one.
    for (name, values) in [
        (
            "status",
            &[
                "missing",
                "held_unacknowledged",
                "held_acknowledged",
                "released",
                "deceased",
            ][..],
        ),
        ("category", &["military", "civilian"][..]),
        (
            "legal",
            &[
                "prisoner_of_war",
                "security_detainee",
                "civilian_internee",
                "criminal_suspect",
                "convicted",
                "civilian",
                "unknown",
            ][..],
        ),
    ] {
        let mut seen: Vec<String> = values
            .iter()
            .flat_map(|v| page(&format!("{name}={v}")))
            .collect();
        if name == "category" {
            // A person of no known category is in neither.
            seen.extend(
                all.iter()
                    .filter(|p| !seen.contains(p))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        seen.sort();
        assert_eq!(seen, all, "{name}");
    }
    assert_eq!(page("status=released"), ["P-0001"]);
    assert_eq!(page("status=deceased&q=p-0002"), ["P-0002"]);
    assert_eq!(page("q=petrenko"), ["P-0003"]);
    assert!(page("flag=incommunicado&status=missing").is_empty());
    for bad in [
        "status=gone",
        "flag=x",
        "category=x",
        "legal=x",
        "page=0",
        "nonsense=1",
    ] {
        let p = get(&format!("{url}/people?{bad}"), Some(&cookie), &[]);
        assert_eq!(p.status, 400, "{bad}: {}", p.body);
        assert!(p.body.contains("role=\"alert\""), "{bad}: {}", p.body);
    }
}

/// The figure a bar chart shows after `label` (the first chart that has it).
fn bar(body: &str, label: &str) -> Option<u64> {
    let at = body.find(&format!(">{label}</text>"))?;
    let rest = &body[at..];
    let after_rect = &rest[rest.find("</rect>")? + 7..];
    // The figure follows its bar.
    let open = after_rect.find('>')? + 1;
    let close = after_rect.find("</text>")?;
    after_rect[open..close].replace(',', "").parse().ok()
}

#[test]
fn the_report_page_shows_the_figures_of_custody_report() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);
    let page = get(&format!("{url}/report"), Some(&cookie), &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    let report: serde_json::Value =
        serde_json::from_str(&env.run(&["--json", "report"]).ok()).unwrap();
    for (name, label) in [
        ("missing", "missing"),
        ("held_unacknowledged", "held, unacknowledged"),
        ("held_acknowledged", "held, acknowledged"),
        ("released", "released"),
        ("deceased", "deceased"),
    ] {
        let want = report["by_status"][name]["total"].as_u64().unwrap_or(0);
        assert_eq!(bar(&page.body, label), Some(want), "{name}: {}", page.body);
    }
    assert!(
        page.body.contains("People by status: military"),
        "{}",
        page.body
    );
    let captured = report["notification_delay_days"]["captured"]
        .as_u64()
        .unwrap();
    assert!(
        page.body.contains(&format!("<dd>{captured}</dd>")),
        "{}",
        page.body
    );
    // The distribution of the delays: as many persons as were captured.
    assert!(page.body.contains(">0–7 days</text>"), "{}", page.body);
    // The counts over time: the chart, and its last point (today) the
    // report's counts; with a cut, the cut's day and `report --as-of`'s.
    assert!(page.body.contains(r#"id="trend-chart""#), "{}", page.body);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let counts = |r: &serde_json::Value| {
        (
            r["held_unacknowledged"].as_u64().unwrap(),
            r["incommunicado"].as_u64().unwrap(),
        )
    };
    let (date, last) = trend_last(&page.body).expect("a trend table");
    assert_eq!((date.as_str(), last), (today.as_str(), counts(&report)));
    let cut = get(
        &format!("{url}/report?as_of=2022-06-30"),
        Some(&cookie),
        &[],
    );
    assert_eq!(cut.status, 200, "{}", cut.body);
    let at_cut: serde_json::Value =
        serde_json::from_str(&env.run(&["--json", "report", "--as-of", "2022-06-30"]).ok())
            .unwrap();
    let (date, last) = trend_last(&cut.body).expect("a trend table");
    assert_eq!((date.as_str(), last), ("2022-06-30", counts(&at_cut)));
    let log = std::fs::read_to_string(env.store.join("access").join("access-log.jsonl")).unwrap();
    assert!(log.contains("\"route\":\"/report\""), "{log}");
}

/// The last row of the report's trend table: the date, the unacknowledged
/// and the incommunicado counts.
fn trend_last(body: &str) -> Option<(String, (u64, u64))> {
    let table = &body[body.find(r#"id="trend-table""#)?..];
    let table = &table[..table.find("</table>")?];
    let row = &table[table.rfind("<tr>")?..];
    let cell = |from: &str, open: &str, close: &str| -> Option<String> {
        let at = from.find(open)? + open.len();
        Some(from[at..at + from[at..].find(close)?].to_string())
    };
    let date = cell(row, r#"<th scope="row">"#, "</th>")?;
    let first = &row[row.find("<td")?..];
    let unack = cell(first, ">", "</td>")?;
    let second = &first[first.find("</td>")? + 5..];
    let incomm = cell(second, ">", "</td>")?;
    let n = |s: String| s.replace(',', "").parse::<u64>().ok();
    Some((date, (n(unack)?, n(incomm)?)))
}

/// The list and the report come from a summary the server keeps between
/// requests (cli/src/serve/web/summary.rs): an append made while it runs
/// shows on the very next request, never the summary of the old head.
#[test]
fn an_append_while_the_server_runs_shows_on_the_next_request() {
    let (env, token) = ledger();
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let cookie = sign_in(url, &token);
    let held = |cookie: &str| {
        let p = get(
            &format!("{url}/people?status=held_unacknowledged"),
            Some(cookie),
            &[],
        );
        assert_eq!(p.status, 200, "{}", p.body);
        listed(&p.body)
    };
    let report = |cookie: &str| {
        let p = get(&format!("{url}/report"), Some(cookie), &[]);
        assert_eq!(p.status, 200, "{}", p.body);
        bar(&p.body, "held, unacknowledged")
    };
    let before = held(&cookie);
    assert!(!before.contains(&"P-0009".to_string()), "{before:?}");
    let reported = report(&cookie).expect("a figure");
    // Asked twice, so that the second answer is the kept summary's.
    assert_eq!(held(&cookie), before);
    env.append_ok(
        r#"{"type":"capture","person":"P-0009","occurred_at":"2024-02-01","place":"Avdiivka"}"#,
    );
    let after = held(&cookie);
    assert!(after.contains(&"P-0009".to_string()), "{after:?}");
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(report(&cookie), Some(reported + 1));
}

/// The ledger page shows the witnesses' cosignatures of the latest
/// checkpoint that `custody checkpoint --witness` kept in the store: each
/// witness's name and key id, checked against the keys the server was
/// given (`--witness-key`), "not checked" without one, refused when the
/// kept line is altered, and none once a later checkpoint has none.
#[test]
fn the_ledger_page_shows_the_latest_checkpoints_cosignatures_and_their_check() {
    use base64::Engine;
    let c = crate::tiles::Cosigning::new();
    c.checkpoint(None, None).ok();
    let kept = c.env.store.join("cosigned-checkpoint.note");
    let note = std::fs::read_to_string(&kept).expect("the cosigned note is kept");
    assert!(note.contains("\n— w.example/1 "), "{note}");
    let token = issue(&c.env, "Court A", &["--expires", "2999"], &[]);
    let key_id = c.w1.split('+').nth(1).unwrap().to_string();
    let page = |extra: &[&str]| {
        let server = Server::start(&c.env, extra);
        let cookie = sign_in(&server.url, &token);
        let p = get(&format!("{}/ledger", server.url), Some(&cookie), &[]);
        assert_eq!(p.status, 200, "{}", p.body);
        p.body
    };
    let row = |body: &str| {
        let at = body
            .find("<th scope=\"row\">w.example/1</th>")
            .expect("the witness's row");
        body[at..body[at..].find("</tr>").unwrap() + at].to_string()
    };
    let unchecked = row(&page(&[]));
    assert!(unchecked.contains(&key_id), "{unchecked}");
    assert!(unchecked.contains("not checked"), "{unchecked}");
    let verified = row(&page(&["--witness-key", &c.w1]));
    assert!(verified.contains("verifies against"), "{verified}");
    assert!(!verified.contains("NOT"), "{verified}");

    // The kept line altered (one bit of its signature): refused.
    let line = note
        .lines()
        .find(|l| l.starts_with("— w.example/1 "))
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut sig = b64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    let altered = note.replace(line, &format!("— w.example/1 {}", b64.encode(&sig)));
    std::fs::write(&kept, altered).unwrap();
    let fails = row(&page(&["--witness-key", &c.w1]));
    assert!(fails.contains("does NOT verify"), "{fails}");

    // A later checkpoint without witnesses: the kept note is an older
    // checkpoint's, and is not shown as this one's.
    c.env.checkpoint(&c.env.path("cp2.txt")).ok();
    let later = page(&["--witness-key", &c.w1]);
    assert!(!later.contains("w.example/1"), "{later}");
    assert!(
        later.contains("No witness's cosignature of this checkpoint"),
        "{later}"
    );
}
