//! The pages of people's data: the list, a person, their bundle and
//! dossier, the report. Each answers through [`Reads::answer`], so each
//! view is in the access log with its holder, as the API's reads are; and
//! each reads through the code the API and the CLI use: the list and the
//! report without cuts the statuses `for_each_status` reads and the
//! `ReportTally` over them, as `GET /v1/persons` and `GET /v1/report`, kept
//! in the server's summary (`super::summary`) until the store changes;
//! `cmd::dossier::from_store` and `Dossier::build` as
//! `GET /v1/persons/{id}/dossier`; for the report with cuts, the
//! statuses `for_each_status` reads at the cuts and the `ReportTally`
//! over them, as `cmd::status::report_of` (with the charts' tally,
//! `super::charts`, in the same pass).
//!
//! [`Reads::answer`]: super::super::Reads::answer

use super::charts::{self, ChartTally, Charts};
use super::summary::{self, Sort, Summaries};
use super::{error_page, html_response, layout, SignedIn, Viewer};
use crate::cmd::status::{parse_cutoff, StatusFilter};
use crate::dossier::{Cut, Dossier};
use crate::escape::terminal as t;
use crate::exit::Failure;
use crate::i18n::{num, txt, Lang};
use crate::serve::{ApiError, ReadOf, Shared};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use custody_format::event::{Category, PersonId};
use custody_format::time::Timestamp;
use custody_ledger::projection::report::ReportTally;
use custody_ledger::projection::{DayBounds, Flag, Status};
use custody_ledger::store::Ledger;
use maud::{html, Markup};
use serde::Deserialize;
use std::sync::Arc;
use std::time::SystemTime;

/// People on one page of the list.
const PAGE: usize = 50;

/// A form's query: every field optional, an empty field the same as none
/// (a `<select>` left at "any" sends `status=`).
#[derive(Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub(super) struct PeopleQuery {
    q: String,
    status: String,
    flag: String,
    category: String,
    legal: String,
    sort: String,
    page: String,
    /// Read by the language middleware; taken here so the query parses.
    #[serde(rename = "lang")]
    _lang: String,
}

pub(super) fn some(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// Percent-encodes a query value (everything but unreserved characters).
/// A page's query as the access log records it: its parameters, then
/// `last` if given (unencoded: the log is JSON, which escapes it).
pub(super) fn logged_query(pairs: &[(&str, &str)], last: (&str, Option<&str>)) -> Option<String> {
    let mut parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let (k, Some(v)) = last {
        parts.push(format!("{k}={v}"));
    }
    (!parts.is_empty()).then(|| parts.join("&"))
}

/// The URL of `path` with `pairs` and then `last`, percent-encoded.
pub(super) fn href_query(path: &str, pairs: &[(&str, &str)], last: (&str, &str)) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    parts.push(format!("{}={}", last.0, enc(last.1)));
    format!("{path}?{}", parts.join("&"))
}

/// The time-cut form (`as_of`, `known_at`) of a person's page and the
/// report, submitted to `action` by GET.
pub(super) fn cut_form(lang: Lang, action: &str, as_of: &str, known_at: &str) -> Markup {
    html! {
        form.cuts method="get" action=(action) {
            fieldset {
                legend.visually-hidden { (lang.t("web-cut-legend")) }
                div.field {
                    label for="as_of" { (lang.t("web-as-of-label")) }
                    input id="as_of" type="date" name="as_of" value=(as_of);
                }
                div.field {
                    label for="known_at" { (lang.t("web-known-at-label")) }
                    input id="known_at" type="date" name="known_at" value=(known_at);
                }
                button type="submit" { (lang.t("web-show")) }
            }
        }
    }
}

pub(super) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl PeopleQuery {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("q", self.q.as_str()),
            ("status", &self.status),
            ("flag", &self.flag),
            ("category", &self.category),
            ("legal", &self.legal),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(_, v)| some(v).is_some())
        .collect()
    }

    /// The query as logged: a search's text is not (it may be a name
    /// that is later erased; see `routes::SEARCH_NOT_LOGGED`).
    fn logged(&self) -> Option<String> {
        let mut pairs = self.pairs();
        for (k, v) in &mut pairs {
            if *k == "q" {
                *v = crate::serve::routes::SEARCH_NOT_LOGGED;
            }
        }
        logged_query(&pairs, ("page", some(&self.page)))
    }

    /// The list's URL at `page`, with the same search, filters and sort.
    fn href(&self, page: usize) -> String {
        href_query("/people", &self.pairs(), ("page", &page.to_string()))
    }
}

/// One row of the list.
#[derive(Debug, PartialEq)]
pub(super) struct Row {
    pub person: String,
    pub name: Option<String>,
    pub status: Status,
    pub flags: Vec<Flag>,
    pub unacknowledged: Option<DayBounds>,
    pub without_contact: Option<DayBounds>,
}

/// What the list shows: the filters read from the query.
pub(super) struct ListFilter {
    pub status: StatusFilter,
    pub category: Option<Category>,
    /// A legal category (`axes.legal_category`), `unknown` for none.
    pub legal: Option<String>,
    /// Part of an id or a name, lowercased.
    pub search: Option<String>,
    /// Whether the reader's profile shows names: if not, the search
    /// matches ids only and no row shows a name (`serve::profile`).
    pub names: bool,
}

/// The legal categories the status's axes name, and `unknown`.
pub(super) const LEGAL_CATEGORIES: [&str; 7] = [
    "prisoner_of_war",
    "security_detainee",
    "civilian_internee",
    "criminal_suspect",
    "convicted",
    "civilian",
    "unknown",
];

fn list_filter(q: &PeopleQuery, names: bool) -> Result<ListFilter, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m, None);
    let status = some(&q.status)
        .map(|s| s.parse::<Status>().map_err(|e| bad(format!("status: {e}"))))
        .transpose()?;
    let flag = some(&q.flag)
        .map(|s| s.parse::<Flag>().map_err(|e| bad(format!("flag: {e}"))))
        .transpose()?;
    let category = some(&q.category)
        .map(|s| {
            Category::ALL
                .iter()
                .copied()
                .find(|c| c.name() == s)
                .ok_or_else(|| bad("category: military or civilian".into()))
        })
        .transpose()?;
    let status =
        StatusFilter::new(status, flag, None).map_err(|f| bad(f.message_and_advice().0))?;
    let legal = some(&q.legal)
        .map(|s| {
            LEGAL_CATEGORIES
                .contains(&s)
                .then(|| s.to_string())
                .ok_or_else(|| bad(format!("legal: one of {}", LEGAL_CATEGORIES.join(", "))))
        })
        .transpose()?;
    Ok(ListFilter {
        status,
        category,
        legal,
        search: some(&q.q).map(str::to_lowercase),
        names,
    })
}

impl ListFilter {
    /// The filter on a status as read from the store: what the summary's
    /// rows are tested against.
    #[cfg(test)]
    pub(super) fn matches(&self, st: &custody_ledger::projection::PersonStatus) -> bool {
        self.status.matches(st)
            && self.category.is_none_or(|c| st.category == Some(c))
            && self
                .legal
                .as_deref()
                .is_none_or(|l| st.axes.legal_category.as_deref().unwrap_or("unknown") == l)
            && self.search.as_deref().is_none_or(|s| {
                st.person.to_string().to_lowercase().contains(s)
                    || (self.names
                        && st
                            .name
                            .as_deref()
                            .is_some_and(|n| n.to_lowercase().contains(s)))
            })
    }
}

/// Days as the dossier says them: exact, or between bounds.
fn days(lang: Lang, d: &Option<DayBounds>) -> String {
    match d {
        None => "—".into(),
        Some(d) if d.min == d.max => lang.f("days-exact", &[("days", num(d.min))]),
        Some(d) => lang.f("days-between", &[("min", num(d.min)), ("max", num(d.max))]),
    }
}

fn status_name(lang: Lang, s: Status) -> String {
    lang.value("web-status", s.name())
}

/// `GET /people`: the list, searched, filtered, sorted, a page at a time,
/// from the server's summary of every person (`super::summary`).
pub(super) async fn people(
    State(state): State<Shared>,
    Extension(summaries): Extension<Arc<Summaries>>,
    who: SignedIn,
    query: Result<Query<PeopleQuery>, QueryRejection>,
) -> Response {
    let viewer = who.viewer.clone();
    let q = query.map(|Query(q)| q);
    let of = ReadOf {
        route: "/people",
        person: None,
        query: q.as_ref().ok().and_then(PeopleQuery::logged),
    };
    // Before the store is opened for the request (`Summaries::of`).
    let file = summary::file_stamp(&state.store);
    let profile = who.profile();
    state
        .answer(who.reader(), of, move |ledger| {
            let lang = viewer.lang;
            let page = q
                .map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("the query is not one this page takes: {}", e.body_text()),
                        None,
                    )
                })
                .and_then(|q| people_page(ledger, &summaries, file, &q, &viewer, profile));
            Ok(page.unwrap_or_else(|e| error_page(&e, lang, Some(&viewer))))
        })
        .await
}

fn people_page(
    ledger: &Ledger,
    summaries: &Summaries,
    file: Option<(u64, SystemTime)>,
    q: &PeopleQuery,
    viewer: &Viewer,
    profile: custody_ledger::profile::Profile,
) -> Result<Response, ApiError> {
    let lang = viewer.lang;
    let names = crate::serve::profile::names_shown(profile);
    let filter = list_filter(q, names)?;
    let page: usize =
        match some(&q.page) {
            None => 1,
            Some(p) => p.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "page: a number from 1", None)
            })?,
        };
    let now = custody_ledger::clock::now();
    let summary = summaries
        .of(ledger, file, now)
        .map_err(|e| ApiError::from_failure(e.into(), StatusCode::CONFLICT))?;
    let listing = summary.listing(&filter, Sort::named(&q.sort));
    let (total, by_status, matching) = (listing.total, listing.by_status, listing.matching());
    let pages = matching.div_ceil(PAGE).max(1);
    let shown = summary.rows(&listing, (page - 1).saturating_mul(PAGE), PAGE);
    let title = lang.t("web-people-title");
    let main = html! {
        h1 { (title) }
        dl.counts {
            div { dt { (lang.t("web-count-total")) } dd { (lang.f("count-plain", &[("count", num(total))])) } }
            div { dt { (lang.t("web-count-matching")) } dd { (lang.f("count-plain", &[("count", num(matching))])) } }
            @for (s, n) in Status::ALL.iter().zip(by_status) {
                div { dt { (status_name(lang, *s)) } dd { (lang.f("count-plain", &[("count", num(n))])) } }
            }
        }
        (filters_form(lang, q, names))
        @if !names {
            p.note { (lang.f("web-search-ids-only", &[("profile", txt(profile.name()))])) }
        }
        @if matching == 0 {
            p { (lang.t("web-no-match")) }
        } @else {
            div.table-wrap {
                table.people {
                    caption.visually-hidden { (title) }
                    thead { tr {
                        th scope="col" { (lang.t("web-col-person")) }
                        @if names { th scope="col" { (lang.t("web-col-name")) } }
                        th scope="col" { (lang.t("web-col-status")) }
                        th scope="col" { (lang.t("web-col-flags")) }
                        th scope="col" { (lang.t("web-col-unacknowledged")) }
                        th scope="col" { (lang.t("web-col-without-contact")) }
                    } }
                    tbody {
                        @for r in &shown {
                            tr {
                                th scope="row" { a href=(format!("/people/{}", r.person)) { (t(&r.person)) } }
                                @if names { td { (r.name.as_deref().map(t).unwrap_or_default()) } }
                                td { (status_name(lang, r.status)) }
                                td { @for f in &r.flags { (lang.value("flag", f.name())) br; } }
                                td.num { (days(lang, &r.unacknowledged)) }
                                td.num { (days(lang, &r.without_contact)) }
                            }
                        }
                    }
                }
            }
        }
        nav.pages aria-label=(lang.t("web-pages-label")) {
            @if page > 1 { a href=(q.href(page - 1)) rel="prev" { (lang.t("web-prev")) } }
            span { (lang.f("web-page-of", &[("page", num(page)), ("pages", num(pages))])) }
            @if page < pages { a href=(q.href(page + 1)) rel="next" { (lang.t("web-next")) } }
        }
    };
    let query = q
        .pairs()
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    Ok(html_response(
        StatusCode::OK,
        layout(lang, &title, Some(viewer), &query, main),
    ))
}

fn select(
    name: &str,
    label: String,
    current: &str,
    options: &[(String, String)],
    any: String,
) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                option value="" selected[current.is_empty()] { (any) }
                @for (value, words) in options {
                    option value=(value) selected[current == value] { (words) }
                }
            }
        }
    }
}

/// The list's form; the search is by id only for a reader who sees no
/// names (`names` false).
fn filters_form(lang: Lang, q: &PeopleQuery, names: bool) -> Markup {
    let statuses: Vec<(String, String)> = Status::ALL
        .iter()
        .map(|s| (s.name().to_string(), status_name(lang, *s)))
        .collect();
    let flags: Vec<(String, String)> = Flag::ALL
        .iter()
        .map(|f| (f.name().to_string(), lang.value("flag", f.name())))
        .collect();
    let categories: Vec<(String, String)> = Category::ALL
        .iter()
        .map(|c| (c.name().to_string(), lang.value("value", c.name())))
        .collect();
    let legal: Vec<(String, String)> = LEGAL_CATEGORIES
        .iter()
        .map(|c| ((*c).to_string(), lang.value("value", c)))
        .collect();
    let sorts: Vec<(String, String)> = [
        ("unacknowledged", "web-sort-unacknowledged"),
        ("without_contact", "web-sort-without-contact"),
    ]
    .iter()
    .map(|(v, m)| ((*v).to_string(), lang.t(m)))
    .collect();
    html! {
        form.filters method="get" action="/people" role="search" {
            div.field {
                label for="q" { (lang.t(if names { "web-search-label" } else { "web-search-id-label" })) }
                input id="q" type="search" name="q" value=(q.q);
            }
            (select("status", lang.t("web-status-label"), &q.status, &statuses, lang.t("web-any")))
            (select("flag", lang.t("web-flag-label"), &q.flag, &flags, lang.t("web-any")))
            (select("category", lang.t("web-category-label"), &q.category, &categories, lang.t("web-any")))
            (select("legal", lang.t("web-legal-label"), &q.legal, &legal, lang.t("web-any")))
            (select("sort", lang.t("web-sort-label"), &q.sort, &sorts, lang.t("web-sort-person")))
            button type="submit" { (lang.t("web-apply")) }
        }
    }
}

/// A person page's query: the cuts, as dates from the date pickers (or
/// any precision `--as-of` takes).
#[derive(Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub(super) struct CutForm {
    as_of: String,
    known_at: String,
    #[serde(rename = "lang")]
    _lang: String,
}

impl CutForm {
    fn cut(&self) -> Result<Cut, ApiError> {
        let one = |name: &str, v: &str| -> Result<Option<Timestamp>, ApiError> {
            some(v)
                .map(|s| {
                    parse_cutoff(s).map_err(|m| {
                        ApiError::new(StatusCode::BAD_REQUEST, format!("{name}: {m}"), None)
                    })
                })
                .transpose()
        };
        Ok(Cut {
            as_of: one("as_of", &self.as_of)?,
            known_at: one("known_at", &self.known_at)?,
        })
    }

    fn pairs(&self) -> Vec<String> {
        [("as_of", &self.as_of), ("known_at", &self.known_at)]
            .into_iter()
            .filter_map(|(k, v)| some(v).map(|v| format!("{k}={}", enc(v))))
            .collect()
    }

    fn logged(&self) -> Option<String> {
        let p = self.pairs();
        (!p.is_empty()).then(|| p.join("&"))
    }
}

/// The person's verified dossier at the cut, in `lang`: what the person
/// page shows and the dossier download is.
fn person_dossier(
    ledger: &Ledger,
    id: &str,
    cut: &Result<Cut, ApiError>,
    lang: Lang,
    profile: custody_ledger::profile::Profile,
) -> Result<Dossier, ApiError> {
    let person = PersonId::new(id).map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, m, None))?;
    let cut = match cut {
        Ok(c) => *c,
        Err(e) => {
            return Err(ApiError::new(
                e.status,
                e.message.clone(),
                e.advice.as_deref(),
            ))
        }
    };
    // The bundle of the reader's profile: what it withholds is shown as
    // withheld, on the page and in the download.
    let (b, bytes, provenance) = crate::serve::profile::dossier_source(ledger, &person, profile)?;
    let mut d = Dossier::build(&b, &bytes, &provenance, cut, custody_ledger::clock::now());
    d.localize(lang);
    Ok(d)
}

fn read_of(route: &'static str, id: &str, query: Option<String>) -> ReadOf {
    ReadOf {
        route,
        person: PersonId::new(id).ok().map(|p| p.to_string()),
        query,
    }
}

pub(super) fn bad_query(e: &QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        format!("the query is not one this page takes: {}", e.body_text()),
        None,
    )
}

/// `GET /people/{id}`: the person's dossier in the page, with the cuts as
/// date pickers and the downloads.
pub(super) async fn person(
    State(state): State<Shared>,
    who: SignedIn,
    Path(id): Path<String>,
    query: Result<Query<CutForm>, QueryRejection>,
) -> Response {
    let viewer = who.viewer.clone();
    let form = query.map(|Query(q)| q);
    let logged = form.as_ref().ok().and_then(CutForm::logged);
    let of = read_of("/people/{id}", &id, logged);
    let profile = who.profile();
    state
        .answer(who.reader(), of, move |ledger| {
            let lang = viewer.lang;
            let form = form.map_err(|e| bad_query(&e));
            let cut = form.as_ref().map_err(clone_err).and_then(CutForm::cut);
            let page = person_dossier(ledger, &id, &cut, lang, profile).map(|d| {
                let form = form.unwrap_or_default();
                person_page(&d, &id, &form, &viewer)
            });
            Ok(page.unwrap_or_else(|e| error_page(&e, lang, Some(&viewer))))
        })
        .await
}

fn clone_err(e: &ApiError) -> ApiError {
    ApiError::new(e.status, e.message.clone(), e.advice.as_deref())
}

fn person_page(d: &Dossier, id: &str, form: &CutForm, viewer: &Viewer) -> Response {
    let lang = viewer.lang;
    let cuts = form.pairs();
    let dossier_href = if cuts.is_empty() {
        format!("/people/{id}/dossier?lang={}", lang.code())
    } else {
        format!(
            "/people/{id}/dossier?{}&lang={}",
            cuts.join("&"),
            lang.code()
        )
    };
    let main = html! {
        p { a href="/people" { (lang.t("web-back-to-people")) } }
        (cut_form(lang, &format!("/people/{id}"), &form.as_of, &form.known_at))
        p.downloads {
            a href=(format!("/people/{id}/bundle")) download { (lang.t("web-download-bundle")) }
            a href=(dossier_href) download { (lang.t("web-download-dossier")) }
        }
        (crate::dossier::html::body(d))
    };
    let title = lang.f("dossier-title", &[("person", txt(t(&d.person)))]);
    html_response(
        StatusCode::OK,
        layout(lang, &title, Some(viewer), &cuts.join("&"), main),
    )
}

fn with_disposition(mut r: Response, filename: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `GET /people/{id}/bundle`: the API's bundle (`custody export --person
/// --profile`, the session's token's profile), for a signed-in browser.
pub(super) async fn bundle(
    State(state): State<Shared>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let lang = who.viewer.lang;
    let viewer = who.viewer.clone();
    let of = read_of("/people/{id}/bundle", &id, None);
    let profile = who.profile();
    state
        .answer(who.reader(), of, move |ledger| {
            let made = (|| {
                let person = PersonId::new(&id)
                    .map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, m, None))?;
                let bundle = crate::serve::profile::bundle(ledger, &person, profile)?;
                let body = crate::cmd::export::bundle_text(&bundle);
                let r = (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    body,
                )
                    .into_response();
                Ok(with_disposition(r, &format!("{person}.bundle.json")))
            })();
            Ok(made.unwrap_or_else(|e: ApiError| error_page(&e, lang, Some(&viewer))))
        })
        .await
}

/// `GET /people/{id}/dossier`: the HTML dossier as a file, in the page's
/// language and at its cuts.
pub(super) async fn dossier(
    State(state): State<Shared>,
    who: SignedIn,
    Path(id): Path<String>,
    query: Result<Query<CutForm>, QueryRejection>,
) -> Response {
    let viewer = who.viewer.clone();
    let form = query.map(|Query(q)| q);
    let logged = form.as_ref().ok().and_then(CutForm::logged);
    let of = read_of("/people/{id}/dossier", &id, logged);
    let profile = who.profile();
    state
        .answer(who.reader(), of, move |ledger| {
            let lang = viewer.lang;
            let cut = form.map_err(|e| bad_query(&e)).and_then(|f| f.cut());
            let made = person_dossier(ledger, &id, &cut, lang, profile).map(|d| {
                let mut r = (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    )],
                    crate::dossier::html::render(&d),
                )
                    .into_response();
                let csp = format!(
                    "{}; frame-ancestors 'none'",
                    crate::dossier::html::content_security_policy()
                );
                if let Ok(v) = HeaderValue::from_str(&csp) {
                    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
                }
                with_disposition(r, &format!("{}.dossier.{}.html", d.person, lang.code()))
            });
            Ok(made.unwrap_or_else(|e| error_page(&e, lang, Some(&viewer))))
        })
        .await
}

/// The report's query: the cuts.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(super) struct ReportQuery {
    as_of: String,
    known_at: String,
    #[serde(rename = "lang")]
    _lang: String,
}

/// `GET /report`: the figures of `custody report`, with bar charts;
/// without cuts from the server's summary (`super::summary`), with cuts
/// read from the store as `custody report --as-of/--known-at` reads them.
pub(super) async fn report(
    State(state): State<Shared>,
    Extension(summaries): Extension<Arc<Summaries>>,
    who: SignedIn,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    let viewer = who.viewer.clone();
    let form = query.map(|Query(q)| CutForm {
        as_of: q.as_of,
        known_at: q.known_at,
        _lang: q._lang,
    });
    let logged = form.as_ref().ok().and_then(CutForm::logged);
    let of = ReadOf {
        route: "/report",
        person: None,
        query: logged,
    };
    // Before the store is opened for the request (`Summaries::of`).
    let file = summary::file_stamp(&state.store);
    state
        .answer(who.reader(), of, move |ledger| {
            let lang = viewer.lang;
            let made = form.map_err(|e| bad_query(&e)).and_then(|f| {
                let cut = f.cut()?;
                let (r, charts) = report_at(ledger, &summaries, file, cut)
                    .map_err(|e| ApiError::from_failure(e, StatusCode::CONFLICT))?;
                Ok(report_page(&r, &charts, &f, &viewer))
            });
            Ok(made.unwrap_or_else(|e| error_page(&e, lang, Some(&viewer))))
        })
        .await
}

/// The report at `cut`: what `cmd::status::report_of` gives (its store
/// warning, if any, on the server's standard error as there), and the
/// charts, tallied in the same pass over the statuses.
fn report_at(
    ledger: &Ledger,
    summaries: &Summaries,
    file: Option<(u64, SystemTime)>,
    cut: Cut,
) -> Result<(custody_ledger::projection::report::Report, Charts), Failure> {
    let now = custody_ledger::clock::now();
    crate::cmd::status::store_warning(ledger, now)?;
    if cut.as_of.is_some() || cut.known_at.is_some() {
        let mut report = ReportTally::default();
        let mut charts = ChartTally::new(cut.as_of.unwrap_or(now));
        ledger.for_each_status(cut.as_of, cut.known_at, now, |st| {
            report.add(&st);
            charts.add(&st);
        })?;
        return Ok((report.finish(cut.as_of), charts.finish()));
    }
    let summary = summaries.of(ledger, file, now)?;
    Ok((summary.report().clone(), summary.charts().clone()))
}

/// A horizontal bar chart in inline SVG (presentation attributes only: the
/// page's policy allows no inline style): each label on its own line above
/// its bar, so a long Ukrainian label never runs into it, and the figure
/// as text after the bar.
fn bars(lang: Lang, title: &str, data: &[(String, u64)]) -> Markup {
    let max = data.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let row = 42u64;
    let height = row * data.len() as u64 + 8;
    html! {
        svg.bars xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 640 {height}")) width="640" height=(height) role="img" aria-label=(title) {
            @for (i, (label, n)) in data.iter().enumerate() {
                @let y = 4 + row * i as u64;
                @let w = 1 + 520 * n / max;
                text x="0" y=(y + 14) font-size="14" fill="#111" { (label) }
                rect x="0" y=(y + 19) height="16" width=(w) fill="#0b4a8b" {}
                text x=(w + 8) y=(y + 32) font-size="14" fill="#111" { (lang.f("count-plain", &[("count", num(*n))])) }
            }
        }
    }
}

/// People in each status of one category.
fn by_category(
    r: &custody_ledger::projection::report::Report,
    lang: Lang,
    category: &str,
) -> Vec<(String, u64)> {
    Status::ALL
        .iter()
        .map(|s| {
            let n = r
                .by_status
                .get(s.name())
                .and_then(|c| c.by_category.get(category))
                .copied()
                .unwrap_or(0);
            (status_name(lang, *s), n)
        })
        .collect()
}

/// The capture-to-notification delays, as figures.
fn delays(d: &custody_ledger::projection::report::DelaySummary, lang: Lang) -> Markup {
    let day = |v: Option<i64>| {
        v.map_or_else(
            || "—".to_string(),
            |v| lang.f("days-exact", &[("days", num(v))]),
        )
    };
    let count = |n: u64| lang.f("count-plain", &[("count", num(n))]);
    html! {
        h2 { (lang.t("web-report-delays")) }
        dl.facts {
            dt { (lang.t("web-report-captured")) } dd { (count(d.captured)) }
            dt { (lang.t("web-report-notified")) } dd { (count(d.notified)) }
            dt { (lang.t("web-report-never-notified")) } dd { (count(d.captured_never_notified)) }
            dt { (lang.t("web-report-median")) } dd { (day(d.median)) }
            dt { (lang.t("web-report-p90")) } dd { (day(d.p90)) }
            dt { (lang.t("web-report-max")) } dd { (day(d.max)) }
        }
    }
}

fn report_page(
    r: &custody_ledger::projection::report::Report,
    charts: &Charts,
    form: &CutForm,
    viewer: &Viewer,
) -> Response {
    let lang = viewer.lang;
    let title = lang.t("web-report-title");
    let by_status: Vec<(String, u64)> = Status::ALL
        .iter()
        .map(|s| {
            let n = r.by_status.get(s.name()).map_or(0, |c| c.total);
            (status_name(lang, *s), n)
        })
        .collect();
    let flagged: Vec<(String, u64)> = [
        (Flag::NotificationOverdue, r.notification_overdue),
        (Flag::Incommunicado, r.incommunicado),
        (Flag::Disputed, r.disputed),
        (Flag::EnforcedDisappearance, r.enforced_disappearance),
    ]
    .iter()
    .map(|(f, n)| (lang.value("flag", f.name()), *n))
    .collect();
    let main = html! {
        h1 { (title) }
        (cut_form(lang, "/report", &form.as_of, &form.known_at))
        dl.counts {
            div { dt { (lang.t("web-count-total")) } dd { (lang.f("count-plain", &[("count", num(r.persons))])) } }
            div { dt { (status_name(lang, Status::HeldUnacknowledged)) } dd { (lang.f("count-plain", &[("count", num(r.held_unacknowledged))])) } }
        }
        h2 { (lang.t("web-report-by-status")) }
        (bars(lang, &lang.t("web-report-by-status"), &by_status))
        h2 { (lang.t("web-report-flags")) }
        (bars(lang, &lang.t("web-report-flags"), &flagged))
        @for category in ["military", "civilian", "unknown"] {
            @let title = lang.f("web-report-by-category", &[("category", txt(lang.value("value", category)))]);
            h2 { (title) }
            (bars(lang, &title, &by_category(r, lang, category)))
        }
        (delays(&r.notification_delay_days, lang))
        h3 { (lang.t("web-report-delay-chart")) }
        (bars(lang, &lang.t("web-report-delay-chart"), &charts::delay_bars(charts, lang)))
        (charts::trend_section(&charts.trend, lang))
    };
    html_response(
        StatusCode::OK,
        layout(lang, &title, Some(viewer), &form.pairs().join("&"), main),
    )
}
