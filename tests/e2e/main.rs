//! The end-to-end tests: the real `custody` binary, run against ledgers in
//! temporary directories. One test binary with a module per area, laid out
//! as ripgrep's tests are: cargo links one executable instead of one per
//! area, and every area's tests run side by side on the test harness's
//! threads. `cargo test -p custody-cli --test e2e crash::` runs one area.
//!
//! Sharing a process, the tests share what a process has: its environment
//! and its working directory. None changes either (a child gets its
//! environment through its `Command`, and every path is absolute), and
//! none waits a fixed time for another process to be ready: it waits
//! until it is (`Env::hold_open_for_writing` returns once it holds the store).

mod util;

// Keys, init, append, verify, export, and every refusal leaving the
// ledger exactly as it was.
mod core;
// custody-bundle/2: complete or absent, and the attacks on it.
mod completeness;
// SIGKILL during append, at least 30 times: nothing acknowledged is lost.
mod crash;
// The court-ready dossier: content, cuts, injection, signature, a real browser.
mod dossier;
// Input limits, inputs larger than a chunk, stores damaged on disk.
mod hostile;
// Shell completions and manual pages.
mod manual;
// append's input: every error at once (--check), targets by prefix or seq,
// attachments by file, dates after today, near-duplicate ids, encodings.
mod input;
// The projections, with the cases of the seed report.
mod projections;
// Checkpoints, proofs, bundles and dossiers.
mod proofs;
// Tiles for mirrors, witnesses and their cosignatures.
mod tiles;
// custody mirror: an auditor's replica, read through the tiles.
mod replica;
// custody restore: an export back into a store, and what it refuses.
mod restore;
// Regressions of the 2 December adversarial review (mirror, append).
mod review;
// custody serve and its reader tokens: a real server on a loopback port.
mod serve;
// The web view: sign-in, sessions, CSRF, the access log, languages.
mod web;
// The web view in headless chromium through WebDriver, with axe-core.
mod web_browser;
// The synthetic ledger generator.
mod scale;
// Encrypted keys and spreadsheet imports: the field workflow.
mod field;
// What leaves the store keeps its promise: escaping, strict JSON, --out.
mod trust;
// custody sign: statements signed in the field, with no store.
mod sign;
// append --signed: statements registered once, authors and registrars.
mod statements;
// POST /v1/statements' bounds, and receipts custody submit refuses.
mod submit_bounds;
// Format v3 artefacts: disclosures in exports, --all-disclosed.
mod v3;
// custody redact: erasing personal fields, and what shows it afterwards.
mod redact;
// Export profiles: court, family, public, --disclose and --withhold.
mod profiles;
// Reader-token profiles in custody serve: each route shows only its cut.
mod reader_profiles;
// The README's walkthroughs, run as written.
mod readme;
