//! `GET /ledger`: the ledger's state — its length, its latest checkpoint
//! as the signed note `GET /checkpoint` serves, the witnesses'
//! cosignatures of it that `custody checkpoint --witness` kept in the
//! store, each checked against the witness keys the operator gave the
//! server (`serve --witness-key`) or said to be not checked — and the log
//! of entries with `custody log`'s filters (type, person, signer), a page
//! at a time.
//! The log names persons, so the page needs a session and is logged like
//! every page of people's data.

use super::pages::{enc, some};
use super::{error_page, html_response, layout, SignedIn, Viewer, WitnessKeys};
use crate::escape::terminal as t;
use crate::exit::Failure;
use crate::serve::{ApiError, ReadOf, Shared};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use custody_format::entry::SignedEntry;
use custody_format::event::PersonId;
use custody_ledger::store::Ledger;
use custody_ledger::tiles::RecordedCheckpoint;
use custody_verifier::cosignature::{verify_cosignatures, WitnessKey};
use maud::html;
use serde::Deserialize;

/// Entries on one page of the log.
const PAGE: usize = 100;

#[derive(Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub(super) struct LogQuery {
    r#type: String,
    person: String,
    signer: String,
    from: String,
    #[serde(rename = "lang")]
    _lang: String,
}

impl LogQuery {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("type", self.r#type.as_str()),
            ("person", &self.person),
            ("signer", &self.signer),
        ]
        .into_iter()
        .filter(|(_, v)| some(v).is_some())
        .collect()
    }

    fn logged(&self) -> Option<String> {
        super::pages::logged_query(&self.pairs(), ("from", some(&self.from)))
    }

    fn href_from(&self, from: u64) -> String {
        super::pages::href_query("/ledger", &self.pairs(), ("from", &from.to_string()))
    }
}

/// `GET /ledger?type=&person=&signer=&from=`.
pub(super) async fn ledger(
    State(state): State<Shared>,
    Extension(witnesses): Extension<WitnessKeys>,
    who: SignedIn,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Response {
    let viewer = who.viewer.clone();
    let q = query.map(|Query(q)| q);
    let of = ReadOf {
        route: "/ledger",
        person: q
            .as_ref()
            .ok()
            .and_then(|q| PersonId::new(q.person.trim()).ok())
            .map(|p| p.to_string()),
        query: q.as_ref().ok().and_then(LogQuery::logged),
    };
    state
        .answer(who.reader(), of, move |ledger| {
            let lang = viewer.lang;
            let page = q
                .map_err(|e| super::pages::bad_query(&e))
                .and_then(|q| ledger_page(ledger, &q, &viewer, &witnesses.0));
            Ok(page.unwrap_or_else(|e| error_page(&e, lang, Some(&viewer))))
        })
        .await
}

/// The entries the filters keep, from `from`, at most a page and one more
/// (to know whether there is a next page).
fn kept_entries(ledger: &Ledger, q: &LogQuery, from: u64) -> Result<Vec<SignedEntry>, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m, None);
    let failed = |f: Failure| ApiError::from_failure(f, StatusCode::CONFLICT);
    let kind = some(&q.r#type)
        .map(|s| {
            crate::cmd::log::type_names()
                .find(|n| *n == s)
                .ok_or_else(|| bad(format!("type: no event type is called {:?}", t(s))))
        })
        .transpose()?;
    let signer = some(&q.signer).map(str::to_ascii_lowercase);
    let keeps = |e: &SignedEntry| {
        let b = e.body();
        kind.is_none_or(|k| b.event.type_name() == k)
            && signer
                .as_deref()
                .is_none_or(|s| b.signer.to_hex().starts_with(s))
    };
    let mut out = Vec::new();
    if let Some(p) = some(&q.person) {
        let person = PersonId::new(p).map_err(|m| bad(format!("person: {m}")))?;
        for seq in ledger.person_seqs(&person).map_err(|e| failed(e.into()))? {
            if seq < from {
                continue;
            }
            let Some(e) = ledger.entry(seq).map_err(|e| failed(e.into()))? else {
                continue;
            };
            if keeps(&e) {
                out.push(e);
                if out.len() > PAGE {
                    break;
                }
            }
        }
        return Ok(out);
    }
    for item in ledger.entries_from(from) {
        let (seq, bytes) = item.map_err(|e| failed(e.into()))?;
        let e = SignedEntry::decode(bytes).map_err(|e| {
            ApiError::new(
                StatusCode::CONFLICT,
                format!("entry {seq} does not decode: {e}"),
                Some("run `custody verify`"),
            )
        })?;
        if keeps(&e) {
            out.push(e);
            if out.len() > PAGE {
                break;
            }
        }
    }
    Ok(out)
}

/// What is known of one witness's cosignature of the latest checkpoint.
enum Check {
    /// It verifies against the key the server was given for the witness.
    Verifies,
    /// It does not: a forged or damaged line.
    Fails,
    /// The server was given no key of this name and key id.
    Unchecked,
}

/// The cosignatures kept with the latest checkpoint (`None`: no cosigned
/// note of this checkpoint is kept): each witness's name, key id and
/// what checking it gave.
fn cosignatures(
    dir: &std::path::Path,
    cp: &RecordedCheckpoint,
    keys: &[WitnessKey],
) -> Option<Vec<(String, String, Check)>> {
    use std::io::Read;
    let file = std::fs::File::open(dir.join(crate::cmd::checkpoint::COSIGNED_NOTE)).ok()?;
    let mut text = String::new();
    file.take(custody_verifier::checkpoint::MAX_NOTE_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .ok()?;
    let kept = custody_verifier::checkpoint::parse(&text).ok()?;
    let latest = custody_verifier::checkpoint::parse(&cp.note).ok()?;
    // Only a note of this very checkpoint (an older one's is not shown).
    if kept.text != latest.text {
        return None;
    }
    let mut seen: Vec<(String, [u8; 4])> = Vec::new();
    let mut out = Vec::new();
    for sig in &kept.signatures {
        let log_line = latest
            .signatures
            .iter()
            .any(|l| l.name == sig.name && l.key_id == sig.key_id);
        if log_line || seen.contains(&(sig.name.clone(), sig.key_id)) {
            continue;
        }
        seen.push((sig.name.clone(), sig.key_id));
        let key = keys
            .iter()
            .find(|k| k.name == sig.name && k.key_id == sig.key_id);
        let checked = match key {
            None => Check::Unchecked,
            Some(k) => match verify_cosignatures(&kept, std::slice::from_ref(k), 1) {
                Ok(_) => Check::Verifies,
                Err(_) => Check::Fails,
            },
        };
        out.push((sig.name.clone(), hex::encode(sig.key_id), checked));
    }
    Some(out)
}

/// The latest checkpoint's cosignatures, as a table.
fn cosignatures_section(
    lang: crate::i18n::Lang,
    dir: &std::path::Path,
    cp: &RecordedCheckpoint,
    keys: &[WitnessKey],
) -> maud::Markup {
    html! {
        h3 { (lang.t("web-ledger-cosignatures")) }
        @match cosignatures(dir, cp, keys) {
            None => p { (lang.t("web-ledger-no-cosignatures")) }
            Some(list) => {
                table.cosignatures {
                    caption.visually-hidden { (lang.t("web-ledger-cosignatures")) }
                    thead { tr {
                        th scope="col" { (lang.t("web-ledger-witness")) }
                        th scope="col" { (lang.t("web-ledger-key-id")) }
                        th scope="col" { (lang.t("web-ledger-cosignature")) }
                    } }
                    tbody {
                        @for (name, id, check) in &list {
                            tr {
                                th scope="row" { (t(name)) }
                                td { code { (id) } }
                                td { (lang.t(match check {
                                    Check::Verifies => "web-ledger-cosignature-verified",
                                    Check::Fails => "web-ledger-cosignature-fails",
                                    Check::Unchecked => "web-ledger-cosignature-not-checked",
                                })) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn ledger_page(
    ledger: &Ledger,
    q: &LogQuery,
    viewer: &Viewer,
    witness_keys: &[WitnessKey],
) -> Result<Response, ApiError> {
    let lang = viewer.lang;
    let from: u64 = match some(&q.from) {
        None => 0,
        Some(f) => f
            .parse()
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "from: a sequence number", None))?,
    };
    let checkpoint = ledger
        .latest_checkpoint()
        .map_err(|e| ApiError::from_failure(Failure::from(e), StatusCode::CONFLICT))?;
    let mut entries = kept_entries(ledger, q, from)?;
    let next = (entries.len() > PAGE).then(|| entries[PAGE].body().seq);
    entries.truncate(PAGE);
    let types: Vec<&str> = crate::cmd::log::type_names().collect();
    let holder = |e: &SignedEntry| {
        let b = e.body();
        ledger
            .registry()
            .get(&b.signer)
            .map(|k| t(k.holder_at(b.seq)))
            .unwrap_or_else(|| "?".into())
    };
    let title = lang.t("web-ledger-title");
    let main = html! {
        h1 { (title) }
        dl.counts {
            div { dt { (lang.t("web-ledger-length")) } dd { (lang.f("count-entries", &[("count", crate::i18n::num(ledger.len()))])) } }
        }
        h2 { (lang.t("web-ledger-checkpoint")) }
        @match &checkpoint {
            Some(cp) => {
                p { (lang.f("web-ledger-checkpoint-covers", &[("count", crate::i18n::num(cp.size))])) }
                pre { (cp.note) }
                (cosignatures_section(lang, ledger.dir(), cp, witness_keys))
            }
            None => p { (lang.t("web-ledger-no-checkpoint")) }
        }
        h2 { (lang.t("web-ledger-log")) }
        form.filters method="get" action="/ledger" {
            div.field {
                label for="type" { (lang.t("web-ledger-type")) }
                select id="type" name="type" {
                    option value="" selected[q.r#type.is_empty()] { (lang.t("web-any")) }
                    @for n in &types { option value=(n) selected[q.r#type == *n] { (n) } }
                }
            }
            div.field {
                label for="person" { (lang.t("web-col-person")) }
                input id="person" type="text" name="person" value=(q.person);
            }
            div.field {
                label for="signer" { (lang.t("web-ledger-signer")) }
                input id="signer" type="text" name="signer" value=(q.signer) spellcheck="false";
            }
            button type="submit" { (lang.t("web-apply")) }
        }
        @if entries.is_empty() { p { (lang.t("web-no-match")) } } @else {
            div.table-wrap {
                table.people {
                    caption.visually-hidden { (lang.t("web-ledger-log")) }
                    thead { tr {
                        th scope="col" { "seq" }
                        th scope="col" { (lang.t("label-recorded")) }
                        th scope="col" { (lang.t("web-ledger-type")) }
                        th scope="col" { (lang.t("web-col-person")) }
                        th scope="col" { (lang.t("web-ledger-signer")) }
                        th scope="col" { (lang.t("label-entry-hash")) }
                    } }
                    tbody {
                        @for e in &entries {
                            @let b = e.body();
                            tr {
                                th scope="row" { (b.seq) }
                                td { (b.recorded_at) }
                                td { (b.event.type_name()) }
                                td {
                                    @if let Some(p) = b.event.person() {
                                        a href=(format!("/people/{p}")) { (t(p.as_str())) }
                                    }
                                }
                                td { (holder(e)) }
                                td { code { (&e.hash().to_hex()[..16]) } }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(n) = next {
            nav.pages aria-label=(lang.t("web-pages-label")) {
                a href=(q.href_from(n)) rel="next" { (lang.t("web-next")) }
            }
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
