//! Progress on long work (generate, import, verify, export, rebuild).
//!
//! A bar with the count, the rate and an ETA is drawn on standard error, and
//! only when standard error is a terminal and `--json` was not given: a
//! script that pipes or parses the output must see exactly what it saw
//! before, and a log file must not fill with redraws. Every long command
//! uses this one helper so they all behave alike; the projection rebuild
//! should too (`Progress::new(ctx, Some(total), "entries", "rebuild")`).

use crate::output::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// A progress bar that may be hidden; every method is cheap when it is.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// True when a bar should be drawn: stderr is a terminal and the output
    /// is not JSON.
    pub fn wanted(ctx: &Context) -> bool {
        !ctx.json && std::io::stderr().is_terminal()
    }

    /// A bar for `what` (e.g. `verify`) counting `unit`s (e.g. `entries`),
    /// out of `total` when it is known (else a spinner with count and rate).
    pub fn new(ctx: &Context, total: Option<u64>, unit: &str, what: &str) -> Progress {
        if !Progress::wanted(ctx) {
            return Progress { bar: None };
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            format!(
                "{{msg:>8}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, ETA {{eta}})"
            )
        } else {
            format!(
                "{{msg:>8}} [{{elapsed_precise}}] {{spinner}} {{human_pos}} {unit} ({{per_sec}})"
            )
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar) }
    }

    /// A bar that never draws, for work too small to need one.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// Counts `n` more units done.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Sets the count of units done.
    pub fn set(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.set_position(n);
        }
    }

    /// Changes the total, once it becomes known.
    pub fn set_total(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.set_length(n);
        }
    }

    /// Removes the bar from the terminal (the command then prints its own
    /// summary).
    pub fn finish(&self) {
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
