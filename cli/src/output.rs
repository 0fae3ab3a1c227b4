//! What every command shares: where the store is, and how to print.

use crate::exit::{env, Failure};
use custody_ledger::store::Ledger;
use std::path::PathBuf;

/// Global options.
pub(crate) struct Context {
    /// `--store` or `CUSTODY_STORE`.
    pub store: Option<PathBuf>,
    /// `--json`.
    pub json: bool,
    /// `--clock-confirmed`.
    pub clock_confirmed: bool,
}

impl Context {
    /// The store directory, or a usage error saying how to give one.
    pub(crate) fn store_dir(&self) -> Result<PathBuf, Failure> {
        self.store.clone().ok_or_else(|| {
            env(anyhow::anyhow!(
                "no ledger given: pass --store DIR or set CUSTODY_STORE"
            ))
        })
    }

    /// Opens the ledger at `--store`.
    pub(crate) fn open(&self) -> Result<Ledger, Failure> {
        let mut ledger = Ledger::open(&self.store_dir()?)?;
        if self.clock_confirmed {
            ledger.confirm_clock();
        }
        Ok(ledger)
    }

    /// Opens the store for reading only (see `Ledger::open_read_only`):
    /// every command that does not append uses this.
    pub(crate) fn open_read_only(&self) -> Result<Ledger, Failure> {
        Ok(Ledger::open_read_only(&self.store_dir()?)?)
    }
}

/// Prints one JSON value on a line.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

/// How a history or log line names what a correction does.
pub(crate) fn correction_verb(c: &custody_format::event::Correction) -> &'static str {
    if c.replacement.is_some() {
        "replaces"
    } else {
        "retracts"
    }
}
