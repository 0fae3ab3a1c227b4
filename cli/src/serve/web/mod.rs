//! The web view of `custody serve` (issue 14): server-rendered pages for
//! people who would rather look than read JSON, in English and Ukrainian.
//!
//! - **Templates** are maud, compiled into the binary; no script at all,
//!   no CDN, no build step. The person page embeds the dossier's own HTML
//!   body (`dossier::html::body`), so the page and the dossier cannot
//!   disagree.
//! - **Sign-in** takes a reader token once, in a form. The browser then
//!   holds only a session cookie: a random id (256 bits) that maps, in the
//!   server's memory and under its SHA-256, to the token's *hash* and an
//!   expiry. The token itself is never in a cookie, a URL or the server's
//!   memory after sign-in. Every request re-checks the token's record, so
//!   revoking or expiring a token ends its sessions at once. Sessions die
//!   with the server (a restart signs everyone out).
//! - **The cookie** is `HttpOnly` (no script reads it), `SameSite=Strict`
//!   (no other site's page sends it), `Path=/`, with a `Max-Age`, and
//!   `Secure` when the server terminates TLS or a proxy says the browser
//!   spoke HTTPS (`X-Forwarded-Proto: https`; trusting it can only make
//!   the cookie stricter).
//! - **CSRF**: besides `SameSite=Strict`, every form that changes anything
//!   (`POST`) carries the session's own random CSRF token, compared in
//!   constant time; a `POST` whose `Origin` or `Sec-Fetch-Site` says it
//!   came from another site is refused, sign-in included.
//! - **Profiles**: each page of people's data shows only what the
//!   session's token's profile discloses (`super::profile`): the person
//!   page and the downloads are made from the profile's bundle, the list
//!   shows and searches names only for a profile that discloses them.
//! - **Logging**: every page of people's data goes through
//!   [`super::Reads::answer`], as the API's reads do: the holder, the
//!   route, the person and the query are in the access log before the
//!   page is sent, or the page is not sent.
//! - **Caching and policy**: `Cache-Control: no-store` on everything (the
//!   server's own layer), and a Content-Security-Policy that allows one
//!   style sheet from this server and nothing else: no script, no
//!   image, no font, forms only to this server.
//! - **Language**: `?lang=en|uk` chooses and is remembered in a cookie;
//!   without a choice, `Accept-Language`; otherwise English. Every word
//!   comes from the Fluent catalogs (`crate::i18n`).

mod charts;
mod ledger;
mod pages;
mod summary;

use super::{ApiError, Reader, Shared};
use crate::access::{TokenRecord, TokenState};
use crate::i18n::{txt, Lang};
use axum::extract::{Form, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{middleware, Extension, Router};
use custody_format::time::Timestamp;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SESSION_COOKIE: &str = "custody_session";
const LANG_COOKIE: &str = "custody_lang";
/// A session lasts 8 hours (a working day), or until sign-out, the
/// token's expiry or revocation, or the server's restart.
const SESSION_SECONDS: i64 = 8 * 3600;
/// Sessions held at once; beyond it the oldest go first (only a valid
/// token makes one, so this bounds memory, not abuse by strangers).
const MAX_SESSIONS: usize = 10_000;

/// The pages' Content-Security-Policy: the served style sheet, forms to
/// this server, nothing else.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Whether the server itself terminates TLS (`cmd::serve` adds it as an
/// extension): the session cookie is then `Secure`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Transport {
    pub tls: bool,
}

/// The witnesses' verifier keys the operator gave `custody serve`
/// (`--witness-key`): the ledger page checks cosignatures against them.
#[derive(Clone, Default)]
pub(crate) struct WitnessKeys(pub Arc<Vec<custody_verifier::cosignature::WitnessKey>>);

/// One signed-in browser.
struct Session {
    /// The token's SHA-256 (the token record's key), never the token.
    token_sha256: String,
    csrf: String,
    expires: Timestamp,
}

/// Every session, by the SHA-256 of its id (so a look-up's timing says
/// nothing about the ids held).
#[derive(Default)]
struct Sessions {
    by_id_hash: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// The session's token hash and CSRF token, if it exists and has not
    /// expired at `now` (an expired one is dropped).
    fn lookup(&self, key: &str, now: Timestamp) -> Result<(String, String), &'static str> {
        let mut map = self.by_id_hash.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(s) if s.expires > now => Ok((s.token_sha256.clone(), s.csrf.clone())),
            Some(_) => {
                map.remove(key);
                Err("expired session")
            }
            None => Err("unknown session"),
        }
    }

    /// Keeps a new session, dropping expired ones and, past
    /// [`MAX_SESSIONS`], the one that expires first.
    fn insert(&self, key: String, session: Session, now: Timestamp) {
        let mut map = self.by_id_hash.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(key, session);
    }
}

/// The web view's routes, merged into the server's router.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/", get(home))
        .route("/signin", post(signin))
        .route("/signout", post(signout))
        .route("/web.css", get(stylesheet))
        .route("/people", get(pages::people))
        .route("/people/{id}", get(pages::person))
        .route("/people/{id}/bundle", get(pages::bundle))
        .route("/people/{id}/dossier", get(pages::dossier))
        .route("/report", get(pages::report))
        .route("/ledger", get(ledger::ledger))
        .layer(middleware::from_fn(remember_lang))
        .layer(Extension(Arc::new(Sessions::default())))
        .layer(Extension(Arc::new(summary::Summaries::default())))
}

/// 256 random bits, base64url.
fn random_id() -> Option<String> {
    use base64::Engine;
    let mut bits = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(bits.as_mut()).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits.as_ref()))
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Equal strings, compared in time that depends only on their lengths.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `lang` of the query string, if it names a language we speak.
fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "lang")
        .find_map(|(_, v)| lang_named(v))
}

fn lang_named(code: &str) -> Option<Lang> {
    Lang::ALL.into_iter().find(|l| l.code() == code)
}

/// The language of a request: `?lang=`, then the remembered choice, then
/// the best of `Accept-Language` (by its q-values), then English.
fn lang_of(parts: &Parts) -> Lang {
    query_lang(parts.uri.query())
        .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(lang_named))
        .or_else(|| accepted_lang(&parts.headers))
        .unwrap_or_default()
}

fn accepted_lang(headers: &HeaderMap) -> Option<Lang> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(f32, Lang)> = None;
    for range in value.split(',') {
        let mut it = range.split(';');
        let tag = it.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        if let Some(lang) = lang_named(primary) {
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l)
}

/// Remembers a language chosen with `?lang=` in a cookie (a year; not
/// `HttpOnly`-sensitive, but set so anyway: no script needs it).
async fn remember_lang(request: Request, next: Next) -> Response {
    let chosen = query_lang(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let c = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The request's language and whether its cookie must be `Secure`.
pub(super) struct Context {
    lang: Lang,
    secure: bool,
}

impl FromRequestParts<Shared> for Context {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &Shared) -> Result<Self, Self::Rejection> {
        let tls = parts.extensions.get::<Transport>().is_some_and(|t| t.tls);
        let forwarded = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        Ok(Context {
            lang: lang_of(parts),
            secure: tls || forwarded,
        })
    }
}

/// What a page shows of who is reading: their name, language, and the
/// CSRF token its forms carry.
#[derive(Clone)]
pub(super) struct Viewer {
    lang: Lang,
    holder: String,
    csrf: String,
}

/// A browser with a valid session whose token is still active; without
/// one, a redirect to the sign-in page (303), the same for a missing,
/// forged, expired or revoked session (the server's standard error says
/// which).
pub(super) struct SignedIn {
    record: TokenRecord,
    viewer: Viewer,
    session_key: String,
}

impl SignedIn {
    fn reader(&self) -> Reader {
        Reader(self.record.clone())
    }

    /// The cut of people's data the session's token reads: every page
    /// of people's data passes it to `serve::profile`.
    fn profile(&self) -> custody_ledger::profile::Profile {
        self.record.profile.cut()
    }
}

impl FromRequestParts<Shared> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        let route = parts.uri.path().to_string();
        let deny = |why: &str| {
            eprintln!(
                "303 {} {}: {why}; sent to sign in",
                parts.method,
                crate::escape::terminal(&route)
            );
            Redirect::to("/").into_response()
        };
        let sessions = parts
            .extensions
            .get::<Arc<Sessions>>()
            .cloned()
            .ok_or_else(|| deny("no session store"))?;
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(deny("no session cookie"));
        };
        let key = id_hash(id);
        let now = custody_ledger::clock::now();
        let (token_sha256, csrf) = sessions.lookup(&key, now).map_err(deny)?;
        let access = state.access.clone();
        let tokens = tokio::task::spawn_blocking(move || access.tokens()).await;
        let record = match tokens {
            Ok(Ok(tokens)) => tokens.into_iter().find(|t| t.sha256 == token_sha256),
            _ => return Err(deny("the tokens file could not be read")),
        };
        let Some(record) = record else {
            return Err(deny("the session's token is no longer on file"));
        };
        if record.state(now) != TokenState::Active {
            sessions
                .by_id_hash
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
            return Err(deny(&format!(
                "the session's token is {}",
                record.state(now).name()
            )));
        }
        Ok(SignedIn {
            viewer: Viewer {
                lang: lang_of(parts),
                holder: record.holder.clone(),
                csrf,
            },
            record,
            session_key: key,
        })
    }
}

/// False if the request says it came from another site: `Sec-Fetch-Site`
/// is `cross-site`/`same-site`, or its `Origin` is another host. (Under
/// the pages' `Referrer-Policy: no-referrer` a browser sends `Origin:
/// null` with its own forms, so `null` is left to `Sec-Fetch-Site`, which
/// every current browser sends whatever the policy.)
fn same_origin(headers: &HeaderMap) -> bool {
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    if get("sec-fetch-site").is_some_and(|s| s == "cross-site" || s == "same-site") {
        return false;
    }
    match (get("origin"), get("host")) {
        (None | Some("null"), _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority == host),
        (Some(_), None) => false,
    }
}

/// The page around every view: `lang`, the viewport for phones, the one
/// style sheet, a skip link, the navigation, the language switch (links
/// that keep the rest of the query), sign-out.
fn layout(lang: Lang, title: &str, viewer: Option<&Viewer>, query: &str, main: Markup) -> Markup {
    let switch = |to: Lang| {
        let rest: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
            .collect();
        let mut q = rest.join("&");
        if !q.is_empty() {
            q.push('&');
        }
        format!("?{q}lang={}", to.code())
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " — custody" }
                link rel="stylesheet" href="/web.css";
            }
            body {
                a.skip href="#main" { (lang.t("web-skip")) }
                header.top {
                    nav aria-label=(lang.t("web-nav-label")) {
                        ul {
                            @if viewer.is_some() {
                                li { a href="/people" { (lang.t("web-nav-people")) } }
                                li { a href="/report" { (lang.t("web-nav-report")) } }
                                li { a href="/ledger" { (lang.t("web-nav-ledger")) } }
                            }
                            li.langs {
                                span.visually-hidden { (lang.t("web-lang-label")) ": " }
                                @for l in Lang::ALL {
                                    @if l == lang {
                                        span aria-current="true" lang=(l.code()) { (l.t("web-lang-name")) }
                                    } @else {
                                        a href=(switch(l)) hreflang=(l.code()) lang=(l.code()) { (l.t("web-lang-name")) }
                                    }
                                    " "
                                }
                            }
                            @if let Some(v) = viewer {
                                li.who {
                                    (lang.f("web-signed-in-as", &[("holder", txt(crate::escape::terminal(&v.holder)))]))
                                    " "
                                    form.inline method="post" action="/signout" {
                                        input type="hidden" name="csrf" value=(v.csrf);
                                        button type="submit" { (lang.t("web-signout")) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (main) }
            }
        }
    }
}

/// An HTML answer with the pages' policy.
fn html_response(status: StatusCode, page: Markup) -> Response {
    let mut r = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        page.into_string(),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r
}

/// A refusal or failure as a page, in the reader's language, with the
/// CLI's words for what went wrong (they are English: the CLI's).
fn error_page(e: &ApiError, lang: Lang, viewer: Option<&Viewer>) -> Response {
    let title = lang.t("web-error-title");
    let main = html! {
        h1 { (title) }
        p role="alert" { (crate::escape::terminal(&e.message)) }
        @if let Some(a) = &e.advice { p { (crate::escape::terminal(a)) } }
        p { a href="/people" { (lang.t("web-back-to-people")) } }
    };
    html_response(e.status, layout(lang, &title, viewer, "", main))
}

/// `GET /`: the sign-in form, or the people list when signed in.
async fn home(ctx: Context, signed_in: Result<SignedIn, Response>) -> Response {
    if signed_in.is_ok() {
        return Redirect::to("/people").into_response();
    }
    signin_page(ctx.lang, StatusCode::OK, false)
}

fn signin_page(lang: Lang, status: StatusCode, refused: bool) -> Response {
    let title = lang.t("web-signin-title");
    let main = html! {
        h1 { (title) }
        p { (lang.t("web-signin-intro")) }
        @if refused { p.alert role="alert" { (lang.t("web-signin-refused")) } }
        form.signin method="post" action="/signin" {
            label for="token" { (lang.t("web-token-label")) }
            input id="token" type="password" name="token" autocomplete="off" required spellcheck="false";
            button type="submit" { (lang.t("web-signin-button")) }
        }
    };
    html_response(status, layout(lang, &title, None, "", main))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SigninForm {
    token: String,
}

fn forbidden(lang: Lang, why: &str) -> Response {
    eprintln!("403 POST: {why}");
    let e = ApiError::new(StatusCode::FORBIDDEN, lang.t("web-forbidden-csrf"), None);
    error_page(&e, lang, None)
}

/// `POST /signin`: checks the token as the API does; on success a new
/// session and its cookie, and on to the people list.
async fn signin(
    State(state): State<Shared>,
    Extension(sessions): Extension<Arc<Sessions>>,
    ctx: Context,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Response {
    if !same_origin(&headers) {
        return forbidden(ctx.lang, "sign-in from another site");
    }
    // The form's string itself is wiped when dropped, as is the copy.
    let form_token = zeroize::Zeroizing::new(form.token);
    let token = zeroize::Zeroizing::new(form_token.trim().to_string());
    if token.is_empty() || token.len() > 256 {
        eprintln!("401 POST /signin: no token, or one too long");
        return signin_page(ctx.lang, StatusCode::UNAUTHORIZED, true);
    }
    let access = state.access.clone();
    let now = custody_ledger::clock::now();
    let checked = tokio::task::spawn_blocking(move || access.authenticate(&token, now)).await;
    let record = match checked {
        Ok(Ok(Ok(record))) => record,
        Ok(Ok(Err(why))) => {
            eprintln!("401 POST /signin: {why} token");
            return signin_page(ctx.lang, StatusCode::UNAUTHORIZED, true);
        }
        _ => {
            let e = ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server cannot check tokens now",
                Some("the server's operator finds the cause in its log"),
            );
            return error_page(&e, ctx.lang, None);
        }
    };
    let (Some(id), Some(csrf)) = (random_id(), random_id()) else {
        let e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not make a session",
            None,
        );
        return error_page(&e, ctx.lang, None);
    };
    sessions.insert(
        id_hash(&id),
        Session {
            token_sha256: record.sha256.clone(),
            csrf,
            expires: Timestamp(now.0 + SESSION_SECONDS * 1_000_000),
        },
        now,
    );
    let secure = if ctx.secure { "; Secure" } else { "" };
    let c = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{secure}"
    );
    let mut r = Redirect::to("/people").into_response();
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignoutForm {
    csrf: String,
}

/// `POST /signout`: with the session's CSRF token, ends the session and
/// clears the cookie.
async fn signout(
    Extension(sessions): Extension<Arc<Sessions>>,
    ctx: Context,
    headers: HeaderMap,
    who: SignedIn,
    Form(form): Form<SignoutForm>,
) -> Response {
    if !same_origin(&headers) {
        return forbidden(ctx.lang, "sign-out from another site");
    }
    if !same(&form.csrf, &who.viewer.csrf) {
        return forbidden(ctx.lang, "sign-out without the session's CSRF token");
    }
    sessions
        .by_id_hash
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&who.session_key);
    let secure = if ctx.secure { "; Secure" } else { "" };
    let c = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The pages' style sheet: the dossier's rules (the person page embeds
/// the dossier's body), then the web view's own, which override them.
const CSS: &str = include_str!("web.css");

async fn stylesheet() -> Response {
    let body = format!("{}\n{CSS}", crate::dossier::html::style_sheet());
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE, uk-UA;q=0.9, en;q=0.8"),
        );
        assert_eq!(accepted_lang(&h), Some(Lang::Uk));
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("uk;q=0.2, en-GB;q=0.7"),
        );
        assert_eq!(accepted_lang(&h), Some(Lang::En));
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("fr"));
        assert_eq!(accepted_lang(&h), None);
    }

    #[test]
    fn a_post_from_another_site_is_not_same_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }

    fn session(expires: i64) -> Session {
        Session {
            token_sha256: "t".into(),
            csrf: "c".into(),
            expires: Timestamp(expires),
        }
    }

    #[test]
    fn a_session_ends_at_its_expiry_and_is_dropped() {
        let sessions = Sessions::default();
        sessions.insert("k".into(), session(1_000), Timestamp(0));
        assert_eq!(
            sessions.lookup("k", Timestamp(999)),
            Ok(("t".into(), "c".into()))
        );
        assert_eq!(
            sessions.lookup("k", Timestamp(1_000)),
            Err("expired session")
        );
        assert_eq!(sessions.lookup("k", Timestamp(0)), Err("unknown session"));
        assert_eq!(
            sessions.lookup("other", Timestamp(0)),
            Err("unknown session")
        );
    }

    #[test]
    fn sessions_are_bounded_and_the_first_to_expire_goes_first() {
        let sessions = Sessions::default();
        for i in 0..MAX_SESSIONS {
            sessions.insert(format!("k{i}"), session(10_000 + i as i64), Timestamp(0));
        }
        sessions.insert("new".into(), session(50_000), Timestamp(0));
        let map = sessions.by_id_hash.lock().unwrap();
        assert_eq!(map.len(), MAX_SESSIONS);
        assert!(!map.contains_key("k0") && map.contains_key("k1") && map.contains_key("new"));
    }

    #[test]
    fn csrf_tokens_compare_equal_only_when_equal() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(!same("", "a"));
    }
}
