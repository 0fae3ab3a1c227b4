//! What a reader token's profile lets `custody serve` show (issue 15;
//! design docs/design/format-v3.md §7 and §14): each reader token's
//! profile decides which disclosures a page or an answer may carry. Every
//! read of people's data — the API's and the web view's — goes through
//! one of these functions, never around them:
//!
//! - a **status** (`GET /v1/persons/ID/status`, each status of
//!   `GET /v1/persons`): [`status`] removes the values the profile
//!   withholds (`Profile::withhold_from_status`), those of format 1 or 2
//!   entries too, and lists each as withheld;
//! - a **bundle** (`…/bundle`, the web view's download): [`bundle`] builds
//!   it with the profile's `Selection`, as `custody export --person P
//!   --profile …` does, so it verifies the same and its withheld slots are
//!   reported withheld;
//! - a **dossier** and the **person page**, which embeds it, and their
//!   timeline text: [`dossier_source`] makes them from that same bundle,
//!   so a withheld field is shown as "(withheld)", never its value;
//! - a **search by name**: [`names_shown`] is false for a profile that
//!   withholds names (`public`); the API refuses `name=` and the web view
//!   searches ids only and says so (a search by a withheld value would
//!   answer whether the value is there);
//! - an **entry tile** (`/tile/entries/…`): [`entry_tile`].
//!
//! A format 1 or 2 entry holds its personal data in its signed bytes,
//! where no profile can withhold it. A bundle, a dossier or an entry tile
//! that would carry such a value the profile withholds is refused (403),
//! not sent with it: a reader never gets what their profile withholds.
//! Statuses and the people list show no value of such an entry either.
//!
//! The report and the ledger page show no personal value (figures;
//! entries' seqs, types, person ids, signers and hashes), whatever the
//! profile.

use super::ApiError;
use crate::exit::Failure;
use axum::http::StatusCode;
use custody_format::commit::FieldClass;
use custody_format::entry::SignedEntry;
use custody_format::event::PersonId;
use custody_format::wire::bundle::BundleV2;
use custody_ledger::profile::{Profile, Selection, Tally};
use custody_ledger::projection::PersonStatus;
use custody_ledger::store::Ledger;
use custody_verifier::bundle::VerifiedBundle;

/// `st` as a reader of `profile` may see it.
pub(super) fn status(profile: Profile, st: &mut PersonStatus) {
    profile.withhold_from_status(st);
}

/// Whether a reader of `profile` sees names, and so may search by them.
pub(super) fn names_shown(profile: Profile) -> bool {
    profile.discloses(FieldClass::Identity)
}

/// The refusal of a search by name to a reader who sees no names.
pub(super) fn name_search_refused(profile: Profile) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        format!(
            "name: a reader token of the {} profile sees no names, so it cannot search by one (the answer would tell whether the name is in the ledger)",
            profile.name()
        ),
        Some("search by the person's id (`name` matches ids only for readers who see names), or ask the ledger's operator for a token whose profile shows names"),
    )
}

/// Refuses what carries, in format 1 or 2 entries' signed bytes, personal
/// values `profile` withholds (`tally.cleartext_entries` of them).
fn refuse_cleartext(profile: Profile, what: &str, tally: &Tally) -> Result<(), ApiError> {
    if tally.cleartext_entries == 0 {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        format!(
            "{what} holds {} format 1 or 2 entr{} whose signed bytes carry personal data the {} profile of this reader token withholds; no profile can withhold what is in signed bytes, so none of it is sent",
            tally.cleartext_entries,
            if tally.cleartext_entries == 1 { "y" } else { "ies" },
            profile.name()
        ),
        Some("a reader entitled to everything reads it with a court token; or the ledger's operator re-issues the ledger in format 3 (docs/design/format-v3.md §9)"),
    ))
}

/// The person's `custody-bundle/2` against the latest checkpoint, with
/// the disclosures `profile` keeps (`custody export --person P --profile
/// …`): 404 for a person the ledger does not know, 409 if entries about
/// them came after the checkpoint, 403 if format 1 or 2 entries of it
/// carry values the profile withholds.
pub(super) fn bundle(
    ledger: &Ledger,
    person: &PersonId,
    profile: Profile,
) -> Result<BundleV2, ApiError> {
    super::routes::known(ledger, person)?;
    let conflict = |f: Failure| ApiError::from_failure(f, StatusCode::CONFLICT);
    let mut tally = Tally::default();
    let bundle = ledger
        .person_bundle_selected(person, None, &[], &Selection::new(profile), &mut tally)
        .map_err(|e| conflict(e.into()))?;
    refuse_cleartext(profile, &format!("the bundle of {person}"), &tally)?;
    let size = bundle.entries.last().map_or(0, |e| e.seq + 1);
    crate::cmd::dossier::refuse_entries_after_checkpoint(ledger, person, size).map_err(conflict)?;
    Ok(bundle)
}

/// The verified bundle a dossier of `person` is made from, cut to
/// `profile` ([`bundle`]): the dossier, and the person page that embeds
/// it, show what the profile withholds as withheld.
pub(super) fn dossier_source(
    ledger: &Ledger,
    person: &PersonId,
    profile: Profile,
) -> Result<(VerifiedBundle, Vec<u8>, crate::dossier::Provenance), ApiError> {
    let b = bundle(ledger, person, profile)?;
    // Not the server's directory (readers need not know its disk): the
    // service and the ledger's name.
    let source = format!("custody serve: {}", ledger.name());
    crate::cmd::dossier::from_store_bundle(ledger, person, &b, source)
        .map_err(|f| ApiError::from_failure(f, StatusCode::CONFLICT))
}

/// Refuses an entry tile over `leaves` to a reader of `profile` if one of
/// its entries is of format 1 or 2 and carries a personal value the
/// profile withholds (format 3 entries carry commitments only: salted,
/// they say nothing of the values).
pub(super) fn entry_tile(
    ledger: &Ledger,
    leaves: std::ops::Range<u64>,
    profile: Profile,
) -> Result<(), ApiError> {
    if profile == Profile::Court {
        return Ok(());
    }
    let selection = Selection::new(profile);
    let mut tally = Tally::default();
    for item in ledger.entries_from(leaves.start) {
        let (seq, bytes) =
            item.map_err(|e| ApiError::from_failure(Failure::from(e), StatusCode::NOT_FOUND))?;
        if seq >= leaves.end {
            break;
        }
        let e = SignedEntry::decode(bytes).map_err(|e| {
            ApiError::new(
                StatusCode::CONFLICT,
                format!("entry {seq} does not decode: {e}"),
                None,
            )
        })?;
        selection.select(&e, Vec::new(), &mut tally);
    }
    refuse_cleartext(profile, "this tile", &tally)
}
