//! The routes of `custody serve` (docs/ARCHITECTURE.md, "custody serve"):
//! public `GET /checkpoint` and `GET /healthz`; with a reader token, a
//! person's status, bundle and dossier, the report, and the list of
//! persons.

use super::{bound_body, security_headers, ApiError, ReadOf, Reader, Shared, MAX_BODY};
use crate::cmd::dossier::DossierFormat;
use crate::cmd::status::{parse_cutoff, with_warning, StatusFilter};
use crate::dossier::{Cut, Dossier};
use crate::exit::Failure;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use custody_format::event::PersonId;
use custody_format::time::Timestamp;
use custody_ledger::store::Ledger;
use serde::Deserialize;

/// The most persons one page of `GET /v1/persons` lists.
const MAX_PAGE: u64 = 1000;
/// A page's length when the request gives none.
const DEFAULT_PAGE: u64 = 100;

/// Every route, with the headers and the body bound every answer gets.
pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/healthz", get(healthz))
        .route("/v1/persons", get(persons))
        .route("/v1/persons/{id}/status", get(status))
        .route("/v1/persons/{id}/bundle", get(bundle))
        .route("/v1/persons/{id}/dossier", get(dossier))
        .route("/v1/report", get(report))
        .route(
            "/v1/statements",
            post(super::submit::statements).layer(DefaultBodyLimit::max(
                super::submit::MAX_STATEMENTS_BODY as usize,
            )),
        )
        .route("/tile/entries/{*path}", get(entry_bundle))
        .route("/tile/{level}/{*path}", get(hash_tile))
        // The web view's pages (issue 14): cli/src/serve/web/.
        .merge(super::web::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY as usize))
        .layer(middleware::from_fn_with_state(state.clone(), bound_body))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such route",
        Some("the routes are GET /checkpoint, /tile/L/N[.p/W], /tile/entries/N[.p/W], /healthz, /v1/persons, /v1/persons/ID/status, /v1/persons/ID/bundle, /v1/persons/ID/dossier?format=html|md|json and /v1/report (docs/SERVING.md)"),
    )
}

/// Runs `f` with the store opened read-only, on a blocking thread, for the
/// public routes (nothing about people, nothing logged).
async fn public<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&Ledger) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let ledger = state
            .ledger()
            .map_err(|f| ApiError::from_failure(f, StatusCode::SERVICE_UNAVAILABLE))?;
        f(&ledger)
    })
    .await
    .unwrap_or_else(|_| {
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server stopped on an internal error",
            None,
        ))
    })
}

fn text(content_type: &'static str, body: String) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// `GET /checkpoint`: the latest signed checkpoint note, as `custody
/// checkpoint` printed it (public: sizes and roots say nothing of people).
async fn checkpoint(State(state): State<Shared>) -> Result<Response, ApiError> {
    public(&state, |ledger| {
        let latest = ledger
            .latest_checkpoint()
            .map_err(|e| ApiError::from_failure(Failure::from(e), StatusCode::NOT_FOUND))?;
        match latest {
            Some(cp) => Ok(text("text/plain; charset=utf-8", cp.note)),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "the ledger has no checkpoint yet",
                Some(crate::cmd::checkpoint::NO_CHECKPOINT_ADVICE),
            )),
        }
    })
    .await
}

/// `GET /healthz`: the store opens.
async fn healthz(State(state): State<Shared>) -> Result<Response, ApiError> {
    public(&state, |_| {
        Ok(text("text/plain; charset=utf-8", "ok\n".into()))
    })
    .await
}

/// A person id from the path, or 400 in the CLI's words.
fn parse_person(id: &str) -> Result<PersonId, ApiError> {
    PersonId::new(id).map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, m, None))
}

/// A query the route could not read: 400.
fn bad_query(e: &QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        format!(
            "the query string is not one this route takes: {}",
            e.body_text()
        ),
        None,
    )
}

/// `as_of` and `known_at`, as `status --as-of/--known-at` read them.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CutQuery {
    as_of: Option<String>,
    known_at: Option<String>,
}

impl CutQuery {
    fn cuts(&self) -> Result<(Option<Timestamp>, Option<Timestamp>), ApiError> {
        let one = |name: &str, v: &Option<String>| {
            v.as_deref()
                .map(|s| {
                    parse_cutoff(s).map_err(|m| {
                        ApiError::new(StatusCode::BAD_REQUEST, format!("{name}: {m}"), None)
                    })
                })
                .transpose()
        };
        Ok((one("as_of", &self.as_of)?, one("known_at", &self.known_at)?))
    }

    /// The query as logged: what the route took, nothing else.
    fn logged(&self, more: &[(&str, Option<String>)]) -> Option<String> {
        let mut parts: Vec<String> = more
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        for (k, v) in [("as_of", &self.as_of), ("known_at", &self.known_at)] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        (!parts.is_empty()).then(|| parts.join("&"))
    }
}

/// What a person route has read from its request before the store is
/// opened: the person, the cuts, and what the access log records.
struct PersonRequest {
    person: Result<PersonId, ApiError>,
    cuts: Result<(Option<Timestamp>, Option<Timestamp>), ApiError>,
    of: ReadOf,
}

fn person_request(
    route: &'static str,
    id: &str,
    query: &Result<Query<CutQuery>, QueryRejection>,
    more: &[(&str, Option<String>)],
) -> PersonRequest {
    let person = parse_person(id);
    let (cuts, logged) = match query {
        Ok(Query(q)) => (q.cuts(), q.logged(more)),
        Err(e) => (Err(bad_query(e)), None),
    };
    PersonRequest {
        of: ReadOf {
            route,
            person: person.as_ref().ok().map(|p| p.to_string()),
            query: logged,
        },
        person,
        cuts,
    }
}

pub(super) fn json_response(value: serde_json::Value) -> Response {
    json_response_text(value.to_string())
}

/// A JSON answer already written as text (one line, a newline added).
pub(super) fn json_response_text(json: String) -> Response {
    text("application/json", json + "\n")
}

fn status_json(
    st: &custody_ledger::projection::PersonStatus,
    warning: &Option<String>,
) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(st)
        .map(|v| with_warning(v, warning))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))
}

/// `GET /v1/persons/{id}/status`: `custody status ID --json`.
async fn status(
    State(state): State<Shared>,
    reader: Reader,
    Path(id): Path<String>,
    query: Result<Query<CutQuery>, QueryRejection>,
) -> Response {
    let r = person_request("/v1/persons/{id}/status", &id, &query, &[]);
    let (person, cuts) = (r.person, r.cuts);
    let profile = reader.profile();
    state
        .answer(reader, r.of, move |ledger| {
            let (person, (as_of, known_at)) = (person?, cuts?);
            let now = custody_ledger::clock::now();
            let (mut st, warning) =
                crate::cmd::status::one_status(ledger, &person, as_of, known_at, now)
                    .map_err(|f| ApiError::from_failure(f, StatusCode::NOT_FOUND))?;
            super::profile::status(profile, &mut st);
            Ok(json_response(status_json(&st, &warning)?))
        })
        .await
}

/// 404 for a person the ledger has no entry about (the CLI would export
/// an ABSENT bundle; a reader asking about someone unknown gets "no such
/// person", as from `custody status`).
pub(super) fn known(ledger: &Ledger, person: &PersonId) -> Result<(), ApiError> {
    let seqs = ledger
        .person_seqs(person)
        .map_err(|e| ApiError::from_failure(Failure::from(e), StatusCode::NOT_FOUND))?;
    if seqs.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no such person: {person}"),
            None,
        ));
    }
    Ok(())
}

/// `GET /v1/persons/{id}/bundle`: the `custody-bundle/2` of `custody
/// export --person ID --profile P`, P the token's profile, against the
/// latest checkpoint; 409 if the store holds entries about the person
/// after it (the dossier's refusal: the bundle would silently leave them
/// out); 403 if format 1 or 2 entries of it carry what P withholds.
async fn bundle(State(state): State<Shared>, reader: Reader, Path(id): Path<String>) -> Response {
    let person = parse_person(&id);
    let of = ReadOf {
        route: "/v1/persons/{id}/bundle",
        person: person.as_ref().ok().map(|p| p.to_string()),
        query: None,
    };
    let profile = reader.profile();
    state
        .answer(reader, of, move |ledger| {
            let person = person?;
            let bundle = super::profile::bundle(ledger, &person, profile)?;
            let mut r = text("application/json", crate::cmd::export::bundle_text(&bundle));
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{person}.bundle.json\""))
            {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(r)
        })
        .await
}

/// The dossier's query: its format and cuts.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DossierQuery {
    format: Option<String>,
    as_of: Option<String>,
    known_at: Option<String>,
}

/// `GET /v1/persons/{id}/dossier?format=html|md|json`: `custody dossier
/// ID` (html when no format is given), with the same refusals, made from
/// the bundle of the token's profile (what it withholds shows withheld).
async fn dossier(
    State(state): State<Shared>,
    reader: Reader,
    Path(id): Path<String>,
    query: Result<Query<DossierQuery>, QueryRejection>,
) -> Response {
    let (cut_query, format) = match query {
        Ok(Query(q)) => {
            let format = match q.format.as_deref() {
                None | Some("html") => Ok(DossierFormat::Html),
                Some("md") => Ok(DossierFormat::Md),
                Some("json") => Ok(DossierFormat::Json),
                Some(_) => Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "format: html, md or json",
                    None,
                )),
            };
            let cuts = CutQuery {
                as_of: q.as_of,
                known_at: q.known_at,
            };
            (Ok(Query(cuts)), (format, q.format))
        }
        Err(e) => (Err(e), (Ok(DossierFormat::Html), None)),
    };
    let (format, format_text) = format;
    let r = person_request(
        "/v1/persons/{id}/dossier",
        &id,
        &cut_query,
        &[("format", format_text)],
    );
    let (person, cuts) = (r.person, r.cuts);
    let profile = reader.profile();
    state
        .answer(reader, r.of, move |ledger| {
            let (person, (as_of, known_at), format) = (person?, cuts?, format?);
            let (b, bytes, provenance) = super::profile::dossier_source(ledger, &person, profile)?;
            let now = custody_ledger::clock::now();
            let d = Dossier::build(&b, &bytes, &provenance, Cut { as_of, known_at }, now);
            let body = crate::cmd::dossier::render(&d, format);
            Ok(match format {
                DossierFormat::Html => {
                    let mut r = text("text/html; charset=utf-8", body);
                    let csp = format!(
                        "{}; frame-ancestors 'none'",
                        crate::dossier::html::content_security_policy()
                    );
                    if let Ok(v) = HeaderValue::from_str(&csp) {
                        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
                    }
                    r
                }
                DossierFormat::Md => text("text/markdown; charset=utf-8", body),
                DossierFormat::Json => text("application/json", body),
            })
        })
        .await
}

/// `GET /v1/report`: `custody report --json`.
async fn report(
    State(state): State<Shared>,
    reader: Reader,
    query: Result<Query<CutQuery>, QueryRejection>,
) -> Response {
    let (cuts, logged) = match &query {
        Ok(Query(q)) => (q.cuts(), q.logged(&[])),
        Err(e) => (Err(bad_query(e)), None),
    };
    let of = ReadOf {
        route: "/v1/report",
        person: None,
        query: logged,
    };
    state
        .answer(reader, of, move |ledger| {
            let (as_of, known_at) = cuts?;
            let now = custody_ledger::clock::now();
            let (r, warning) = crate::cmd::status::report_of(ledger, as_of, known_at, now)
                .map_err(|f| ApiError::from_failure(f, StatusCode::CONFLICT))?;
            let v = serde_json::to_value(&r).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None)
            })?;
            Ok(json_response(with_warning(v, &warning)))
        })
        .await
}

/// What the access log records for a search's text: that there was one.
pub(super) const SEARCH_NOT_LOGGED: &str = "(not logged)";

/// The list's query: `status --status/--flag/--name`, the cuts, and a page.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PersonsQuery {
    status: Option<String>,
    flag: Option<String>,
    name: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
    as_of: Option<String>,
    known_at: Option<String>,
}

impl PersonsQuery {
    fn filter(&self) -> Result<StatusFilter, ApiError> {
        let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m, None);
        let status = self
            .status
            .as_deref()
            .map(|s| s.parse().map_err(|e| bad(format!("status: {e}"))))
            .transpose()?;
        let flag = self
            .flag
            .as_deref()
            .map(|s| s.parse().map_err(|e| bad(format!("flag: {e}"))))
            .transpose()?;
        StatusFilter::new(status, flag, self.name.as_deref()).map_err(|f| {
            let (m, _) = f.message_and_advice();
            bad(m.replace("--name", "name"))
        })
    }

    fn logged(&self) -> Option<String> {
        let cuts = CutQuery {
            as_of: self.as_of.clone(),
            known_at: self.known_at.clone(),
        };
        cuts.logged(&[
            ("status", self.status.clone()),
            ("flag", self.flag.clone()),
            // That a name was searched, never the name: the log is kept
            // apart from the store, and neither redact nor compact reaches
            // it (docs/ARCHITECTURE.md, "Erasure").
            ("name", self.name.as_ref().map(|_| SEARCH_NOT_LOGGED.into())),
            ("offset", self.offset.map(|o| o.to_string())),
            ("limit", self.limit.map(|l| l.to_string())),
        ])
    }
}

/// `GET /v1/persons?status=&flag=&name=&offset=&limit=`: one page of the
/// persons `custody status --json` lists (sorted by person), with how
/// many match and how many the ledger has.
async fn persons(
    State(state): State<Shared>,
    reader: Reader,
    query: Result<Query<PersonsQuery>, QueryRejection>,
) -> Response {
    let (q, logged) = match query {
        Ok(Query(q)) => {
            let logged = q.logged();
            (Ok(q), logged)
        }
        Err(e) => (Err(bad_query(&e)), None),
    };
    let of = ReadOf {
        route: "/v1/persons",
        person: None,
        query: logged,
    };
    let profile = reader.profile();
    state
        .answer(reader, of, move |ledger| {
            let q = q?;
            if q.name.is_some() && !super::profile::names_shown(profile) {
                return Err(super::profile::name_search_refused(profile));
            }
            let filter = q.filter()?;
            let cuts = CutQuery {
                as_of: q.as_of.clone(),
                known_at: q.known_at.clone(),
            };
            let (as_of, known_at) = cuts.cuts()?;
            let offset = q.offset.unwrap_or(0);
            let limit = q.limit.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
            let page = Page { offset, limit };
            page_of_persons(ledger, &filter, (as_of, known_at), page, profile)
        })
        .await
}

/// Which persons of the matching ones a page lists.
struct Page {
    offset: u64,
    limit: u64,
}

/// One page of the persons `filter` keeps, each status as a reader of
/// `profile` sees it (a name filter never reaches a profile that sees no
/// names: `persons` refuses it first).
fn page_of_persons(
    ledger: &Ledger,
    filter: &StatusFilter,
    (as_of, known_at): (Option<Timestamp>, Option<Timestamp>),
    Page { offset, limit }: Page,
    profile: custody_ledger::profile::Profile,
) -> Result<Response, ApiError> {
    let now = custody_ledger::clock::now();
    let failed = |f: Failure| ApiError::from_failure(f, StatusCode::CONFLICT);
    let warning = crate::cmd::status::store_warning(ledger, now).map_err(failed)?;
    let (mut total, mut matching) = (0u64, 0u64);
    let mut page = Vec::new();
    let mut broken = None;
    ledger
        .for_each_status(as_of, known_at, now, |mut st| {
            total += 1;
            if !filter.matches(&st) {
                return;
            }
            super::profile::status(profile, &mut st);
            if matching >= offset && matching < offset.saturating_add(limit) {
                match serde_json::to_value(&st) {
                    Ok(v) => page.push(v),
                    Err(e) => broken = Some(e),
                }
            }
            matching += 1;
        })
        .map_err(|e| failed(e.into()))?;
    if let Some(e) = broken {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
            None,
        ));
    }
    let next = offset.saturating_add(limit);
    let value = serde_json::json!({
        "persons": page,
        "matching": matching,
        "total": total,
        "offset": offset,
        "limit": limit,
        "next_offset": (next < matching).then_some(next),
    });
    Ok(json_response(with_warning(value, &warning)))
}

/// The tile at `path` (`tile/…`, parsed strictly by the ledger: one
/// canonical path per tile) if it is of `kind` and the ledger's tree holds
/// all of it: level `L` has `len / 256^L` complete nodes. A partial tile of
/// any width up to what the tree holds is served, not only the current
/// edge's: a client reads the tiles of the checkpoint it has, which may be
/// older than the head.
fn tile_in(
    ledger: &Ledger,
    path: &str,
    kind: custody_ledger::tiles::TileKind,
) -> Result<custody_ledger::tiles::Tile, ApiError> {
    let missing = || ApiError::new(StatusCode::NOT_FOUND, "no such tile", None);
    let (found, tile) = custody_ledger::tiles::parse_tile_path(path).ok_or_else(missing)?;
    if found != kind {
        return Err(missing());
    }
    let count = ledger.len() >> (u32::from(tile.level) * 8);
    let end = tile
        .index
        .checked_mul(custody_ledger::tiles::TILE_WIDTH)
        .and_then(|s| s.checked_add(u64::from(tile.width)));
    match end {
        Some(end) if end <= count => Ok(tile),
        _ => Err(missing()),
    }
}

fn octets(bytes: Vec<u8>, cache: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /tile/<L>/<N>[.p/<W>]`: a hash tile (public: hashes say nothing
/// of people). A full tile never changes, and may be cached for good.
async fn hash_tile(
    State(state): State<Shared>,
    Path((level, path)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let path = format!("tile/{level}/{path}");
    public(&state, move |ledger| {
        let tile = tile_in(ledger, &path, custody_ledger::tiles::TileKind::Hashes)?;
        let bytes = ledger
            .hash_tile(&tile)
            .map_err(|e| ApiError::from_failure(Failure::from(e), StatusCode::NOT_FOUND))?;
        let cache = if tile.is_full() {
            "public, max-age=31536000, immutable"
        } else {
            "no-store"
        };
        Ok(octets(bytes, cache))
    })
    .await
}

/// `GET /tile/entries/<N>[.p/<W>]`: an entry bundle, the entries
/// themselves (with the personal data of version 1 and 2 evidence): a
/// reader token, and a line in the access log, as for any read of people's
/// data; refused to a token whose profile withholds a value such an entry
/// of the tile holds in clear.
async fn entry_bundle(
    State(state): State<Shared>,
    reader: Reader,
    Path(path): Path<String>,
) -> Response {
    let of = ReadOf {
        route: "/tile/entries/{n}",
        person: None,
        query: Some(format!("tile={path}")),
    };
    let profile = reader.profile();
    state
        .answer(reader, of, move |ledger| {
            let tile = tile_in(
                ledger,
                &format!("tile/entries/{path}"),
                custody_ledger::tiles::TileKind::Entries,
            )?;
            super::profile::entry_tile(ledger, tile.leaves(), profile)?;
            let bytes = ledger.entry_bundle(&tile).map_err(|e| match e {
                custody_ledger::tiles::TileError::Store(s) => {
                    ApiError::from_failure(Failure::from(s), StatusCode::NOT_FOUND)
                }
                other => ApiError::new(StatusCode::CONFLICT, other.to_string(), None),
            })?;
            Ok(octets(bytes, "no-store"))
        })
        .await
}
