//! Failures and their exit codes (documented in `custody --help`).

use custody_format::registry::AuthError;
use custody_format::rules::Breach;
use custody_ledger::keyfile::{KeyFileError, KeyProblem};
use custody_ledger::store::{AppendError, BundleBuildError, Refusal, StoreError};

/// A command's failure: what to tell the user and which exit code.
pub(crate) struct Failure {
    code: i32,
    error: anyhow::Error,
}

/// What every command returns.
pub(crate) type CmdResult = Result<(), Failure>;

/// Input or ledger refused, or found invalid: exit 1.
pub(crate) fn refused(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 1,
        error: error.into(),
    }
}

/// Usage or environment (I/O, store) error: exit 2.
pub(crate) fn env(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 2,
        error: error.into(),
    }
}

impl Failure {
    /// The exit code: 1 refused, 2 usage or environment.
    pub(crate) fn code(&self) -> i32 {
        self.code
    }

    /// The message and the advice, as `--json` gives them (`custody
    /// serve` answers errors with the same words).
    pub(crate) fn message_and_advice(&self) -> (String, Option<String>) {
        message_and_advice(&self.error)
    }

    /// Adds context in front of the message, keeping the code.
    pub(crate) fn context(self, what: impl std::fmt::Display + Send + Sync + 'static) -> Failure {
        Failure {
            code: self.code,
            error: self.error.context(what),
        }
    }
}

/// What to do about a store error: the library says what happened, the
/// command line says what to run.
pub(crate) fn store_advice(e: &StoreError) -> Option<&'static str> {
    Some(match e {
        StoreError::NoLedger(_) => "run `custody init` (or check --store / CUSTODY_STORE)",
        StoreError::Damaged { .. } => "do not append to it. Restore the store directory from a backup, or rebuild the ledger from an export into a new directory with `custody restore --from EXPORT --store NEW_DIR` (it verifies the export first, as `custody verify --export EXPORT` does); if only statuses are damaged, `custody rebuild` folds them again from the chain; if the store still opens, `custody verify` shows the first damaged entry",
        StoreError::OldLayout(_) => "open it with the build that wrote it and `custody export --out ledger.jsonl` it; then, with this build, `custody restore --from ledger.jsonl --store NEW_DIR` verifies that export and builds a store of this layout from it. Keep the export: every entry in it verifies with `custody verify --export`",
        StoreError::MapNotBuilt(_) => "run any command that writes to the store once (for example `custody rebuild`, or the next `custody append` or `custody checkpoint`): it upgrades the store to layout 3 and builds the map (a few seconds at a million entries); a copy on read-only media must be copied to writable storage first",
        StoreError::CompactionStopped { .. } => "nothing was changed. Check that the disk has free space for a second copy of the store's live data and that the system log shows no I/O errors, run `custody verify`, then `custody compact` again",
        _ => return None,
    })
}

/// What to do about a key file that cannot be used.
fn key_advice(e: &KeyFileError) -> Option<&'static str> {
    let problem = match e {
        KeyFileError::Format { problem, .. } => problem,
        KeyFileError::NoPassphrase { .. } => {
            return Some("set CUSTODY_KEY_PASSPHRASE to its passphrase (in bash: `read -rs CUSTODY_KEY_PASSPHRASE; export CUSTODY_KEY_PASSPHRASE`), or run the command on a terminal to be asked for it")
        }
        KeyFileError::WrongPassphrase(_) => {
            return Some("try again; CUSTODY_KEY_PASSPHRASE, if set, is used instead of asking")
        }
        _ => return None,
    };
    Some(match problem {
        KeyProblem::Encrypted => "decrypt it first (openssl pkey -in FILE -out PLAIN.pem)",
        KeyProblem::OpenSsh | KeyProblem::NotPkcs8(_) => {
            "make one with `custody key generate --out FILE` or `openssl genpkey -algorithm ed25519 -out FILE`"
        }
        KeyProblem::PrivateNotPublic => {
            "`custody key public --key FILE --out PUB.pem`, or `openssl pkey -in FILE -pubout`"
        }
        _ => return None,
    })
}

/// What to do about a person's bundle that breaks a rule.
pub(crate) fn bundle_advice(rule: custody_format::rules::Rule) -> Option<&'static str> {
    use custody_format::rules::Rule;
    Some(match rule {
        Rule::MissingEntry => "the bundle leaves out an entry it must hold; do not rely on it. Ask the ledger's operator for the bundle again (`custody export --person`), or verify the whole ledger (`custody verify --export`)",
        Rule::ExtraEntry => "the bundle carries an entry that is not the person's; ask for the bundle again: a bundle carries nothing about anyone else",
        Rule::MapProof | Rule::Unauthenticated | Rule::Seal | Rule::Link => "the bundle's proofs do not hold; do not rely on it, and ask the ledger's operator for the bundle again, or verify the whole ledger (`custody verify --export`)",
        Rule::NoCommitment => "this bundle cannot prove it is complete: ask for a custody-bundle/2 against a checkpoint issued after the ledger switched to format v2 (`custody checkpoint`, then `custody export --person`); to check only that its entries are in the ledger, pass --inclusion-only",
        Rule::StaleCheckpoint => "the bundle is older than you asked for: ask for one exported against a newer checkpoint (`custody checkpoint`, then `custody export --person`)",
        Rule::Unanchored => "ask for a bundle anchored to your checkpoint (`custody export --person P --anchor FILE`), or pin a checkpoint of the bundle's size; this build does not verify anchors yet",
        Rule::Inconsistent => "two checkpoints of one ledger disagree: the log was forked or its operator equivocated. Keep both notes as evidence and trust neither until it is explained",
        Rule::Checkpoint => "the checkpoint is not one the ledger's authority or registrar signed for these entries; ask for the bundle again",
        Rule::Authority => "if the detail names a pinned key, the --authority key you were given is not this ledger's: check that the key and the bundle are of the same ledger (ask the authority for its public key by another channel than the bundle's), and do not rely on the bundle until they match; otherwise a key signed what its role does not allow: ask the ledger's operator for the bundle again",
        Rule::Disclosure | Rule::Withheld => return disclosure_advice(rule),
        _ => return None,
    })
}

/// What to do about disclosures that fail a check (format v3), in an
/// export or a bundle.
pub(crate) fn disclosure_advice(rule: custody_format::rules::Rule) -> Option<&'static str> {
    use custody_format::rules::Rule;
    Some(match rule {
        Rule::Disclosure => "the cleartext beside the signed entries was altered or forged (the signed entries themselves may be intact); do not rely on any value of this file, and ask its sender for the file again",
        Rule::Withheld => "a field was neither disclosed nor redacted: ask the sender for a file carrying every disclosure (an export or a `court` bundle), or verify without --all-disclosed to accept withheld fields",
        _ => return None,
    })
}

/// An error with what to do about it, kept apart so that `--json` can give
/// the advice its own field; as text it reads "what happened; what to do".
#[derive(Debug)]
struct Advised {
    message: String,
    advice: String,
}

impl std::fmt::Display for Advised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.message, self.advice)
    }
}

impl std::error::Error for Advised {}

/// One of several errors a failure reports (every refused record of an
/// input): where, and what is wrong.
#[derive(Debug, Clone)]
pub(crate) struct Detail {
    /// 1-based line of the input, if the error is about one.
    pub line: Option<usize>,
    /// The field at fault (`attachments[0].file`), if one is.
    pub field: Option<String>,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(field) = &self.field {
                write!(f, ", field `{field}`")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// A failure made of several errors, kept apart so that `--json` gives them
/// as an array (`details`) in its one error object; as text the caller has
/// listed them, and only the summary is said.
#[derive(Debug)]
struct Detailed {
    summary: String,
    details: Vec<Detail>,
}

impl std::fmt::Display for Detailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Detailed {}

/// An error whose `summary` stands for `details`, each of which `--json`
/// prints in full.
pub(crate) fn with_details(summary: impl std::fmt::Display, details: Vec<Detail>) -> anyhow::Error {
    anyhow::Error::new(Detailed {
        summary: summary.to_string(),
        details,
    })
}

/// An error (its `Display` alone: the caller's message already says what
/// its source said) with the advice, if any, of what to do next.
pub(crate) fn with_advice(e: impl std::fmt::Display, advice: Option<&str>) -> anyhow::Error {
    match advice {
        Some(a) => anyhow::Error::new(Advised {
            message: e.to_string(),
            advice: a.to_string(),
        }),
        None => anyhow::anyhow!("{e}"),
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        match e {
            StoreError::Range(_) => refused(e),
            other => env(with_advice(&other, store_advice(&other))),
        }
    }
}

impl From<KeyFileError> for Failure {
    fn from(e: KeyFileError) -> Failure {
        env(with_advice(&e, key_advice(&e)))
    }
}

/// What to do about a refused event.
pub(crate) fn refusal_advice(r: &Refusal) -> Option<&'static str> {
    match r {
        Refusal::Rule(Breach::Authority(AuthError::UnknownKey(_))) => {
            Some("grant it with `custody key grant`")
        }
        _ => None,
    }
}

impl From<AppendError> for Failure {
    fn from(e: AppendError) -> Failure {
        match e {
            AppendError::Store(s) => s.into(),
            AppendError::ClockAhead { .. } => refused(with_advice(
                &e,
                Some("check this machine's clock; if it is right (the ledger was idle for over a year), pass --clock-confirmed"),
            )),
            AppendError::ClockBehind { .. } => refused(with_advice(
                &e,
                Some("if this machine's clock is right, an earlier entry was recorded by a wrong clock (in the future): the authority can record that with `custody correct-clock --key AUTHORITY.pem --reason TEXT`, and appends go on from then"),
            )),
            AppendError::Refused { ref reason, .. } => {
                let advice = refusal_advice(reason);
                refused(with_advice(&e, advice))
            }
            other => refused(other),
        }
    }
}

impl From<BundleBuildError> for Failure {
    fn from(e: BundleBuildError) -> Failure {
        let advice = match &e {
            BundleBuildError::Store(_) => None,
            BundleBuildError::NoCheckpoint { .. } | BundleBuildError::NoCheckpointYet => {
                Some("issue one with `custody checkpoint --key AUTHORITY.pem` and try again")
            }
            BundleBuildError::NoSeal { .. } => Some(
                "run `custody checkpoint --key AUTHORITY.pem`: this build seals the ledger before every checkpoint, and the bundle is then built against that one (a legacy, inclusion-only bundle is still available with `export --format custody-bundle/1`)",
            ),
            BundleBuildError::NoCheckpointAt(_) => Some(
                "--at takes the tree size of a checkpoint recorded in the ledger (`custody log` lists them); leave it out for the latest",
            ),
            BundleBuildError::AnchorNotOlder { .. } => Some(
                "name as --anchor only checkpoints older than the bundle's; one of the same size needs no anchor (`verify --checkpoint` compares it directly)",
            ),
            BundleBuildError::AnchorOtherOrigin { .. } => {
                Some("check that the --anchor file is a checkpoint of this ledger")
            }
            BundleBuildError::AnchorNotExtended { .. } => Some(
                "this ledger is not the one that checkpoint was issued for, or it was rewritten since (a fork): keep the checkpoint and the ledger, and have both examined (`custody verify --checkpoint FILE` shows the same finding)",
            ),
            _ => None,
        };
        match e {
            BundleBuildError::Store(s) => s.into(),
            other => refused(with_advice(&other, advice)),
        }
    }
}

/// The exit code when the reader of our output closed it early (`custody
/// log | head`): 128 + SIGPIPE, what a shell reports for a program that
/// SIGPIPE ended, and nothing is printed.
pub(crate) const CLOSED_PIPE: i32 = 141;

static PIPE_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes that writing our output failed because its reader went away.
pub(crate) fn note_closed_pipe() {
    PIPE_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// True once writing our output failed because its reader went away.
pub(crate) fn pipe_was_closed() -> bool {
    PIPE_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.to_string().contains("Broken pipe (os error 32)")
    })
}

/// `--json` was given: errors are printed as JSON (see [`report`]).
static JSON_ERRORS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks for errors as JSON (`--json`), for every command and the panic hook.
pub(crate) fn set_json_errors(json: bool) {
    JSON_ERRORS.store(json, std::sync::atomic::Ordering::Relaxed);
}

/// True if errors are to be printed as JSON.
pub(crate) fn json_errors() -> bool {
    JSON_ERRORS.load(std::sync::atomic::Ordering::Relaxed)
}

/// An error's message, each cause once, in the order anyhow's `{:#}` gives
/// them ("context: cause: its cause"). A cause whose text its wrapper
/// already ends with (an error that both prints and reports its source) is
/// left out, so no clause is ever said twice; the advice is split off.
fn message_and_advice(e: &anyhow::Error) -> (String, Option<String>) {
    let mut parts: Vec<String> = Vec::new();
    let mut advice = None;
    for cause in e.chain() {
        let text = match cause.downcast_ref::<Advised>() {
            Some(a) => {
                advice.get_or_insert_with(|| a.advice.clone());
                a.message.clone()
            }
            None => cause.to_string(),
        };
        if parts.last().is_some_and(|p| p.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    (parts.join(": "), advice)
}

/// The failure as printed in text: "error: message; advice".
fn text_of(e: &anyhow::Error) -> String {
    match message_and_advice(e) {
        (m, Some(a)) => format!("{m}; {a}"),
        (m, None) => m,
    }
}

/// Prints an error as one JSON object on a line of stderr:
/// `{"error": {"message", "advice", "exit"}}` (advice null when there is
/// none). JSON escapes every control character, so hostile text is inert.
pub(crate) fn print_json_error(message: &str, advice: Option<&str>, code: i32) {
    print_json_error_with(message, advice, code, None);
}

/// [`print_json_error`], with `details`, an array of the errors a failure
/// of several reports (`{"line", "field", "message"}`, line and field null
/// when an error has none), when there are some.
fn print_json_error_with(
    message: &str,
    advice: Option<&str>,
    code: i32,
    details: Option<&[Detail]>,
) {
    let mut error = serde_json::json!({"message": message, "advice": advice, "exit": code});
    if let Some(details) = details {
        error["details"] = details
            .iter()
            .map(|d| serde_json::json!({"line": d.line, "field": d.field, "message": d.message}))
            .collect();
    }
    eprintln!("{}", serde_json::json!({ "error": error }));
}

/// Prints a warning on stderr: `warning: TEXT` (escaped for the terminal),
/// or with `--json` one JSON object on a line, `{"warning": {"message"}}`,
/// so that stderr stays one JSON object a line.
pub(crate) fn warn(message: &str) {
    if json_errors() {
        eprintln!("{}", serde_json::json!({"warning": {"message": message}}));
    } else {
        eprintln!("warning: {}", crate::escape::terminal(message));
    }
}

/// Prints a failure on stderr and returns the exit code: a line of text,
/// or with `--json` one JSON object ([`print_json_error`]).
pub(crate) fn report(result: CmdResult) -> i32 {
    match result {
        Ok(()) => 0,
        Err(f) if is_closed_pipe(&f.error) => CLOSED_PIPE,
        Err(f) if json_errors() => {
            let (message, advice) = message_and_advice(&f.error);
            let details = f
                .error
                .chain()
                .find_map(|c| c.downcast_ref::<Detailed>())
                .map(|d| d.details.as_slice());
            print_json_error_with(&message, advice.as_deref(), f.code, details);
            f.code
        }
        Err(f) => {
            // Errors may quote hostile input: never let it drive the
            // terminal.
            eprintln!("error: {}", crate::escape::terminal(&text_of(&f.error)));
            f.code
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that both prints its source and reports it as its source,
    /// as `#[error("{path}: {source}")]` with a `source` field does.
    #[derive(Debug)]
    struct Both(std::io::Error);

    impl std::fmt::Display for Both {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "key.pem: {}", self.0)
        }
    }

    impl std::error::Error for Both {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_its_wrapper_is_said_once() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let said = io.to_string();
        let e = anyhow::Error::new(Both(io)).context("no checkpoint was recorded");
        let (message, advice) = message_and_advice(&e);
        assert_eq!(
            message,
            format!("no checkpoint was recorded: key.pem: {said}")
        );
        assert_eq!(message.matches(&said).count(), 1, "{message}");
        assert_eq!(advice, None);
    }

    #[test]
    fn advice_is_kept_apart_and_said_after_the_message() {
        let e = with_advice("no ledger at x", Some("run `custody init`")).context("restore");
        let (message, advice) = message_and_advice(&e);
        assert_eq!(message, "restore: no ledger at x");
        assert_eq!(advice.as_deref(), Some("run `custody init`"));
        assert_eq!(text_of(&e), "restore: no ledger at x; run `custody init`");
    }
}
