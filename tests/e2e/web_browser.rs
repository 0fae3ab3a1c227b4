//! The web view in a real browser (issue 14's "done when"): headless
//! Debian chromium, driven through chromedriver over the W3C WebDriver
//! protocol. A prosecutor signs in, finds a man seen on video but never
//! confirmed, sees the clock running since the video with the evidence
//! behind it, reads it in Ukrainian, downloads the bundle and verifies it
//! offline, signs out and is refused. Every page gets a screenshot (kept
//! under the test's directory and copied to `target/web-screenshots/`) and
//! an axe-core check (no serious or critical violation of WCAG 2 A/AA).
//!
//! The WebDriver client is the few commands below over `ureq` (already the
//! tests' HTTP client), not a client crate: the crates that exist
//! (fantoccini, thirtyfour) bring an async runtime and a hundred crates
//! into the tests' build on a two-core machine for about a dozen JSON
//! requests, and a W3C endpoint is plain JSON over HTTP.

use crate::serve::{issue, Server};
use crate::util::{s, Env, ALL_TYPES};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A W3C WebDriver element reference's key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver, started on a free loopback port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(work: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                work.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver is needed: apt-get install chromium-driver (.ci/run installs it)",
            );
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // Ready when /status says so (a wait for readiness, not a timing
        // assertion: the bound only stops a test that would hang).
        let start = Instant::now();
        loop {
            let ready = agent()
                .get(&format!("{}/status", driver.url))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                return driver;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "chromedriver did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// One browser session.
struct Browser {
    base: String,
    shots: PathBuf,
}

impl Browser {
    fn new(driver: &Driver, work: &Path, downloads: &Path) -> Browser {
        let profile = work.join("chromium-profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                         "--window-size=1200,2000", "--lang=en-GB",
                         format!("--user-data-dir={}", profile.display())],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "intl.accept_languages": "en-GB,en"
                }
            }
        }}});
        let v = call("POST", &format!("{}/session", driver.url), Some(caps));
        let id = v["sessionId"].as_str().expect("a session id");
        let shots = work.join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            base: format!("{}/session/{id}", driver.url),
            shots,
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        call(method, &format!("{}{path}", self.base), body)
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap().to_string()
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    /// Waits until the browser is at a URL ending with `end` and the page
    /// has loaded: a click or a key press that starts a navigation need
    /// not wait for it. (A bound against hanging, not a timing check.)
    fn arrive(&self, end: &str) {
        let start = Instant::now();
        loop {
            let loaded = self.script("return document.readyState;") == json!("complete");
            if loaded && self.url().ends_with(end) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "never arrived at …{end}: at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})));
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// Presses keys (WebDriver's codes: `\u{E004}` Tab, `\u{E007}` Enter)
    /// in the focused element, as a keyboard would.
    fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for c in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.cmd(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
    }

    /// The focused element's id (or tag name).
    fn focused(&self) -> String {
        self.script("const e = document.activeElement; return e.id || e.tagName.toLowerCase();")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Whether the page fits the window's width (nothing to scroll
    /// sideways but what is meant to: a wide table scrolls in its box).
    fn fits_width(&self) -> bool {
        self.script("return document.documentElement.scrollWidth <= window.innerWidth;")
            == json!(true)
    }

    fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    fn script(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// The page's text as a reader sees it.
    fn text(&self) -> String {
        self.script("return document.body.innerText;")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn lang(&self) -> String {
        self.script("return document.documentElement.lang;")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a screenshot of the page as `name.png`, also under
    /// `target/web-screenshots/` if it can be written.
    fn screenshot(&self, name: &str) {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("a screenshot"))
            .expect("base64");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let file = self.shots.join(format!("{name}.png"));
        std::fs::write(&file, &png).unwrap();
        let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/web-screenshots");
        if std::fs::create_dir_all(&kept).is_ok() {
            let _ = std::fs::write(kept.join(format!("{name}.png")), &png);
        }
    }

    /// Runs axe-core in the page; panics on any serious or critical
    /// violation of WCAG 2 A or AA, naming each.
    fn accessible(&self, page: &str) {
        let serious = self.serious_violations();
        assert!(
            serious.is_empty(),
            "{page}: accessibility violations: {serious:#?}"
        );
    }

    /// The serious and critical WCAG 2 A/AA violations axe-core finds in
    /// the page.
    fn serious_violations(&self) -> Vec<Value> {
        let axe = axe_source();
        let v = self.script(&format!(
            "{axe}\n;return axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}, resultTypes: ['violations']}}).then(r => r.violations.map(v => ({{id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}})));"
        ));
        let violations = v
            .as_array()
            .unwrap_or_else(|| panic!("axe did not run: {v}"));
        violations
            .iter()
            .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
            .cloned()
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = agent().delete(&self.base).call();
    }
}

fn call(method: &str, url: &str, body: Option<Value>) -> Value {
    let a = agent();
    let r = match (method, body) {
        ("GET", _) => a.get(url).call(),
        ("DELETE", _) => a.delete(url).call(),
        (_, b) => a
            .post(url)
            .header("Content-Type", "application/json")
            .send(b.unwrap_or(json!({})).to_string()),
    };
    let mut r = r.unwrap_or_else(|e| panic!("WebDriver {method} {url}: {e}"));
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().expect("WebDriver answer");
    let v: Value = serde_json::from_str(&text).expect("WebDriver JSON");
    assert!(status < 400, "WebDriver {method} {url}: {status} {v}");
    let value = v["value"].clone();
    if v.get("sessionId").is_some() {
        return v;
    }
    if value.get("sessionId").is_some() {
        return value;
    }
    value
}

/// axe-core's source: `CUSTODY_AXE_JS`, or where `.ci/run` puts it.
fn axe_source() -> String {
    let path = std::env::var_os("CUSTODY_AXE_JS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/axe-core/axe.min.js"),
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is needed at {} ({e}); .ci/run fetches it with `npm pack axe-core`",
            path.display()
        )
    })
}

/// Waits for a downloaded file whose name ends with `suffix` (chromium
/// writes `.crdownload` first, then renames it).
fn downloaded(dir: &Path, suffix: &str) -> PathBuf {
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(suffix));
        if let Some(p) = found {
            return p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no download ending {suffix} in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The accessibility check sees a violation where there is one: an input
/// with no label, grey text on white.
fn the_accessibility_check_catches_a_violation(b: &Browser) {
    b.go("data:text/html,<html lang=en><title>t</title><main><input type=text><p><font color=%23bbb>faint</font></p></main></html>");
    let found: Vec<String> = b
        .serious_violations()
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(found.contains(&"label".to_string()), "{found:?}");
    assert!(found.contains(&"color-contrast".to_string()), "{found:?}");
}

/// Every page fits a phone's screen (390 px wide).
fn readable_on_a_phone(b: &Browser, url: &str) {
    b.resize(390, 844);
    for (path, name) in [
        ("/people", "phone-people"),
        ("/people/P-0007", "phone-person"),
        ("/report", "phone-report"),
        ("/ledger", "phone-ledger"),
    ] {
        b.go(&format!("{url}{path}"));
        b.screenshot(name);
        assert!(b.fits_width(), "{path} is wider than a phone's screen");
    }
    b.resize(1200, 2000);
}

/// Signed out, a public reader signs in: the list without names,
/// searched by id only (and saying so), the person page without any
/// personal value; both pass the accessibility check.
fn a_public_reader_sees_no_personal_value(b: &Browser, url: &str, public: &str) {
    b.type_into("#token", public);
    b.keys("\u{E007}");
    b.arrive("/people");
    b.go(&format!("{url}/people?q=marine&lang=en"));
    let list = b.text();
    assert!(
        list.contains("matches ids only") && !list.contains("Andriy Marine"),
        "{list}"
    );
    b.screenshot("10-people-public");
    b.accessible("people (public)");
    b.go(&format!("{url}/people/P-0007"));
    let page = b.text();
    assert!(
        page.contains("P-0007") && page.contains("(withheld)"),
        "{page}"
    );
    for value in ["Andriy Marine", "Olenivka", "filmed among prisoners"] {
        assert!(
            !page.contains(value),
            "{value:?} shown to a public reader:\n{page}"
        );
    }
    b.screenshot("11-person-public");
    b.accessible("person (public)");
}

/// The seed report's case: a marine reported missing after Mariupol, seen
/// on a video from Olenivka, never confirmed by the detaining state.
const SEEN_ON_VIDEO: &str = concat!(
    r#"{"type":"missing_report","person":"P-0007","occurred_at":"2022-03-16","category":"military","name":"Andriy Marine","last_seen_place":"Mariupol"}"#,
    "\n",
    r#"{"type":"sighting","person":"P-0007","occurred_at":"2022-04","place":"Olenivka","source":"video","notes":"filmed among prisoners"}"#,
    "\n",
);

#[test]
fn a_prosecutor_finds_a_man_seen_on_video_and_verifies_his_bundle_in_a_browser() {
    let env = Env::new(crate::util::CUSTODY);
    env.append_ok(ALL_TYPES);
    env.append_ok(SEEN_ON_VIDEO);
    env.checkpoint(&env.path("cp.txt")).ok();
    let token = issue(&env, "Prosecutor P", &["--expires", "2999"], &[]);
    let public = issue(&env, "Public P", &["--profile", "public"], &[]);
    let server = Server::start(&env, &[]);
    let url = &server.url;
    let work = env.path("browser");
    let downloads = work.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let driver = Driver::start(&work);
    let b = Browser::new(&driver, &work, &downloads);

    the_accessibility_check_catches_a_violation(&b);

    // Sign in.
    b.go(&format!("{url}/"));
    assert_eq!(b.lang(), "en");
    b.screenshot("1-sign-in");
    b.accessible("sign-in");
    // By keyboard alone: Tab past the skip link and the language switch to
    // the token field (focus visible), type, Enter.
    let mut tabs = 0;
    while b.focused() != "token" {
        b.keys("\u{E004}");
        tabs += 1;
        assert!(tabs < 10, "the token field is not reachable by Tab");
    }
    b.keys(&token);
    b.keys("\u{E007}");
    b.arrive("/people");
    assert_eq!(
        b.url(),
        format!("{url}/people"),
        "{}\n{}",
        b.text(),
        server.stderr()
    );
    b.screenshot("2-people");
    b.accessible("people");

    // Search for him.
    b.type_into("#q", "marine");
    b.click("form.filters button");
    b.arrive("&sort=");
    let list = b.text();
    assert!(
        list.contains("P-0007") && list.contains("Andriy Marine"),
        "{list}"
    );
    assert!(!list.contains("P-0001"), "{list}");
    b.screenshot("3-search");

    // His page: the status, the flags, the clock since the video, the
    // evidence behind it.
    b.click("a[href='/people/P-0007']");
    b.arrive("/people/P-0007");
    assert_eq!(b.url(), format!("{url}/people/P-0007"));
    let page = b.text();
    for want in [
        "held, unacknowledged",
        "since 2022-04",
        "notification_overdue",
        "incommunicado",
        "Olenivka",
        "video",
        "2022-04",
        "filmed among prisoners",
    ] {
        assert!(page.contains(want), "{want:?} not on the page:\n{page}");
    }
    let timeline = b
        .script("return document.querySelector('svg.timeline').textContent;")
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(timeline.contains("2022-04"), "{timeline}");
    b.screenshot("4-person");
    b.accessible("person");

    // In Ukrainian, remembered.
    b.click("a[hreflang='uk']");
    b.arrive("?lang=uk");
    assert_eq!(b.lang(), "uk");
    let uk = b.text();
    for want in [
        "Станом на",
        "утримується, не визнано",
        "Повідомлення прострочено",
        "Завантажити пакет",
    ] {
        assert!(uk.contains(want), "{want:?} not on the page:\n{uk}");
    }
    b.screenshot("5-person-uk");
    b.accessible("person (uk)");
    b.click("a[href='/people']");
    b.arrive("/people");
    assert_eq!(b.lang(), "uk", "the choice is remembered");
    b.screenshot("6-people-uk");

    // The bundle, downloaded by the browser, verifies offline.
    b.go(&format!("{url}/people/P-0007"));
    b.click("a[href='/people/P-0007/bundle']");
    let bundle = downloaded(&downloads, "P-0007.bundle.json");
    let pem = env.authority_public_pem();
    let verified = env
        .run(&["verify", "--bundle", s(&bundle), "--authority", s(&pem)])
        .ok();
    assert!(verified.contains("COMPLETE"), "{verified}");

    // The report, with the counts over time.
    b.go(&format!("{url}/report"));
    b.screenshot("7-report");
    b.accessible("report");
    the_trend_ends_at_the_reports_counts(&b, &env);
    b.go(&format!("{url}/ledger"));
    b.screenshot("8-ledger");
    b.accessible("ledger");

    readable_on_a_phone(&b, url);

    // Sign out: people's pages send the browser back to sign in.
    b.click("form.inline button");
    b.arrive("/");
    assert_eq!(b.url(), format!("{url}/"));
    b.go(&format!("{url}/people/P-0007"));
    assert_eq!(b.url(), format!("{url}/"));
    let after = b.text();
    assert!(
        !after.contains("Olenivka") && after.contains("Токен читача"),
        "{after}"
    );
    b.screenshot("9-signed-out");

    a_public_reader_sees_no_personal_value(&b, url, &public);
    drop(b);
    drop(driver);
    drop(server);
}

/// The report's counts over time: the chart is drawn with its title and
/// description (what a screen reader reads out), and its table's last row
/// is `custody report`'s current count.
fn the_trend_ends_at_the_reports_counts(b: &Browser, env: &Env) {
    let report: Value = serde_json::from_str(&env.run(&["--json", "report"]).ok()).unwrap();
    let last = b.script(
        "const svg = document.querySelector('svg#trend-chart[role=img]');\
         const row = document.querySelector('#trend-table tbody tr:last-child');\
         return svg && svg.querySelector('title') && svg.querySelector('desc') && row\
           ? Array.from(row.querySelectorAll('td')).map(c => c.textContent) : null;",
    );
    assert_eq!(
        (last[0].as_str(), last[1].as_str()),
        (
            Some(report["held_unacknowledged"].to_string().as_str()),
            Some(report["incommunicado"].to_string().as_str())
        ),
        "{last}"
    );
}
