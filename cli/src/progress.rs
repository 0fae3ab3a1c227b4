//! Progress on long work (generate, import, verify, export, rebuild).
//!
//! A bar with the count, the rate and an ETA is drawn on standard error, and
//! only when a person is watching — standard error and standard output are
//! terminals (for `export` and `append`, whose standard output is data: standard
//! error is one and standard output is not) — and
//! `--json` was not given: a script that pipes or parses the output must see
//! exactly what it saw before, and a log file must not fill with redraws. Every long command
//! uses this one helper so they all behave alike; the projection rebuild
//! should too (`Progress::new(ctx, Some(total), "entries", "rebuild")`).

use crate::output::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// A progress bar that may be hidden; every method is cheap when it is.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// True when a bar should be drawn: a person is watching (standard
    /// output and standard error are both a terminal) and the output is not
    /// JSON. Piped into another program or a file, a command stays quiet.
    pub(crate) fn wanted(ctx: &Context) -> bool {
        !ctx.json && std::io::stderr().is_terminal() && std::io::stdout().is_terminal()
    }

    /// A bar for `what` (e.g. `verify`) counting `unit`s (e.g. `entries`),
    /// out of `total` when it is known (else a spinner with count and rate).
    pub(crate) fn new(ctx: &Context, total: Option<u64>, unit: &str, what: &str) -> Progress {
        if !Progress::wanted(ctx) {
            return Progress { bar: None };
        }
        Progress::draw(total, unit, what)
    }

    /// Like [`Progress::new`], for a command whose standard output *is* its
    /// data (`custody export > FILE`, `append`'s acknowledgments): the bar is
    /// drawn when standard error is
    /// a terminal and standard output is not (where data and bar would mix).
    pub(crate) fn beside_data(
        ctx: &Context,
        total: Option<u64>,
        unit: &str,
        what: &str,
    ) -> Progress {
        if ctx.json || !std::io::stderr().is_terminal() || std::io::stdout().is_terminal() {
            return Progress { bar: None };
        }
        Progress::draw(total, unit, what)
    }

    fn draw(total: Option<u64>, unit: &str, what: &str) -> Progress {
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            format!(
                "{{msg:>8}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{rate}}, ETA {{eta}})"
            )
        } else {
            format!(
                "{{msg:>8}} [{{elapsed_precise}}] {{spinner}} {{human_pos}} {unit} ({{per_sec}})"
            )
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            ));
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar) }
    }

    /// A bar for reading `total` bytes of a file (e.g. an export being
    /// verified), with sizes shown as KiB/MiB.
    pub(crate) fn bytes(ctx: &Context, total: u64, what: &str) -> Progress {
        let p = Progress::new(ctx, Some(total), "", what);
        if let Some(b) = &p.bar {
            if let Ok(style) = ProgressStyle::with_template(
                "{msg:>8} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})",
            ) {
                b.set_style(style);
            }
        }
        p
    }

    /// Wraps a reader so that every byte read advances the bar.
    pub(crate) fn reader<R: std::io::Read>(&self, inner: R) -> ProgressReader<R> {
        ProgressReader {
            inner,
            bar: self.bar.clone(),
        }
    }

    /// A bar that never draws, for work too small to need one.
    pub(crate) fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// Counts `n` more units done.
    pub(crate) fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Sets the count of units done.
    pub(crate) fn set(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.set_position(n);
        }
    }

    /// Changes the total, once it becomes known.
    pub(crate) fn set_total(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.set_length(n);
        }
    }

    /// Removes the bar from the terminal (the command then prints its own
    /// summary).
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // On an early return (an error), leave no half-drawn bar behind the
        // error message.
        self.finish();
    }
}

/// A reader that advances a progress bar (see [`Progress::reader`]).
pub(crate) struct ProgressReader<R> {
    inner: R,
    bar: Option<ProgressBar>,
}

impl<R: std::io::Read> std::io::Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(b) = &self.bar {
            b.inc(n as u64);
        }
        Ok(n)
    }
}
