//! A real headless browser for the tests of rendered HTML (the dossier
//! now; a web view later): Debian's `chromium` prints a page to PDF, and
//! poppler's `pdftotext` reads the printed text back, so a test asserts
//! what a reader holding the paper sees. `.ci/run` installs both when they
//! are missing, and a font with Cyrillic (fonts-dejavu-core) for the
//! Ukrainian dossier.
//!
//! Chromium runs with no network features (no background networking, no
//! component updates, no sync) in a throwaway profile, and every page is
//! opened from a `file://` path.

use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL: &str =
    "apt-get install chromium poppler-utils fonts-dejavu-core (.ci/run installs them)";

fn tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| panic!("`{name}` is needed for this test; {INSTALL}"))
}

/// Runs headless chromium on the page at `html` with `extra` arguments,
/// in a throwaway profile under `work`; returns its standard output.
fn chromium(html: &Path, work: &Path, extra: &[String]) -> String {
    let profile = work.join("chromium-profile");
    let out = Command::new(tool("chromium"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!(
            "file://{}",
            html.canonicalize().expect("page").display()
        ))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Prints the page at `html` to PDF (A4 as the page's CSS asks, no header
/// or footer) and returns the PDF's text as `pdftotext -layout` reads it.
pub fn printed_text(html: &Path) -> String {
    let work = tempfile::tempdir().expect("tempdir");
    let pdf = work.path().join("d.pdf");
    chromium(
        html,
        work.path(),
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
    );
    assert!(pdf.is_file(), "chromium wrote no PDF");
    let out = Command::new(tool("pdftotext"))
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The page's DOM after chromium parsed it (`--dump-dom`).
pub fn dom(html: &Path) -> String {
    let work = tempfile::tempdir().expect("tempdir");
    chromium(html, work.path(), &["--dump-dom".into()])
}
