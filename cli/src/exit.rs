//! Failures and their exit codes (documented in `custody --help`).

use custody_ledger::store::{AppendError, BundleBuildError, StoreError};

/// A command's failure: what to tell the user and which exit code.
pub struct Failure {
    code: i32,
    error: anyhow::Error,
}

/// What every command returns.
pub type CmdResult = Result<(), Failure>;

/// Input or ledger refused, or found invalid: exit 1.
pub fn refused(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 1,
        error: error.into(),
    }
}

/// Usage or environment (I/O, store) error: exit 2.
pub fn env(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 2,
        error: error.into(),
    }
}

impl Failure {
    /// Adds context in front of the message, keeping the code.
    pub fn context(self, what: impl std::fmt::Display + Send + Sync + 'static) -> Failure {
        Failure {
            code: self.code,
            error: self.error.context(what),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        match e {
            StoreError::Range(_) => refused(e),
            other => env(other),
        }
    }
}

impl From<AppendError> for Failure {
    fn from(e: AppendError) -> Failure {
        match e {
            AppendError::Store(s) => env(s),
            other => refused(other),
        }
    }
}

impl From<BundleBuildError> for Failure {
    fn from(e: BundleBuildError) -> Failure {
        match e {
            BundleBuildError::Store(s) => s.into(),
            BundleBuildError::NoCheckpoint { .. } => refused(anyhow::anyhow!(
                "{e}; issue one with `custody checkpoint --key AUTHORITY.pem` and try again"
            )),
            other => refused(other),
        }
    }
}

/// Prints a failure on stderr and returns the exit code.
pub fn report(result: CmdResult) -> i32 {
    match result {
        Ok(()) => 0,
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            f.code
        }
    }
}
