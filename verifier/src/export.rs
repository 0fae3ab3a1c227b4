//! Verifying an export file: JSON Lines, one entry per line, each carrying
//! the stored bytes (base64) beside claims about them (seq, hash, a decoded
//! view: `custody_format::wire::export`). The bytes are walked with
//! [`ChainVerifier`]; every claim is then re-derived from the bytes and
//! compared, so an edited view or hash is caught even when the signed bytes
//! are intact. Signatures are checked on every core ([`crate::walk`]).
//! A v3 entry's line also carries its disclosures, each checked against
//! the entry's commitments ([`crate::disclosures`]).

use crate::chain::ChainVerifier;
use crate::disclosures::{DisclosurePolicy, DisclosureReport, DisclosureTally};
use crate::report::{Cause, Rule, Summary, Violation};
use crate::walk::{default_threads, with_signature_pool};
use custody_format::entry::SignedEntry;
use custody_format::wire::export::ExportLine;
pub use custody_format::wire::export::MAX_LINE_BYTES as MAX_EXPORT_LINE;
use std::io::BufRead;

/// Why an export file could not be verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The file is not an export (unreadable line, bad JSON, missing or
    /// unknown field).
    #[error("line {line}: {problem}")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: LineProblem,
    },
    /// The entries are not a valid chain, or a claim is false.
    #[error("line {line}: {violation}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// The first violation.
        violation: Violation,
    },
    /// Reading failed.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

/// Why a line is not an export line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineProblem {
    /// Longer than [`MAX_EXPORT_LINE`].
    #[error("line is over {MAX_EXPORT_LINE} bytes")]
    TooLong,
    /// Not an export line (the parser's message, cut: it may quote the
    /// hostile input).
    #[error("not a JSON object of an export line: {}", custody_format::text::clip(&.0.to_string(), 300))]
    Json(#[from] serde_json::Error),
}

/// A claimed value as quoted in an error: cut, so a forged line of
/// megabytes cannot flood the report.
fn short(s: &str) -> String {
    custody_format::text::clip(s, 100)
}

/// Compares a line's claims with what its entry's bytes say.
pub fn check_claims(line: &ExportLine, entry: &SignedEntry) -> Result<(), Violation> {
    let claim = |field, claimed: String, actual: String| {
        Violation::new(
            entry.seq(),
            Rule::Claim,
            Cause::Claim {
                field,
                claimed: Some(short(&claimed)),
                actual: Some(actual),
            },
        )
    };
    if line.seq != entry.seq() {
        return Err(claim("seq", line.seq.to_string(), entry.seq().to_string()));
    }
    if line.hash != entry.hash() {
        return Err(claim("hash", line.hash.to_hex(), entry.hash().to_hex()));
    }
    if !line.view.is_view_of(entry) {
        return Err(Violation::new(
            entry.seq(),
            Rule::Claim,
            Cause::Claim {
                field: "view",
                claimed: None,
                actual: None,
            },
        ));
    }
    Ok(())
}

/// Reads an export file line by line: each non-blank line parsed as an
/// [`ExportLine`] (unknown and duplicate fields refused), with its 1-based
/// line number. Lines are read with a bound ([`MAX_EXPORT_LINE`]): a hostile
/// file of one endless line is refused after that many bytes, not read into
/// memory. The one reader of export files, for `verify` and `restore`.
pub struct ExportReader<R> {
    input: R,
    line: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> ExportReader<R> {
    /// A reader at the start of `input`.
    pub fn new(input: R) -> ExportReader<R> {
        ExportReader {
            input,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    /// The number of the last line read.
    pub fn line(&self) -> usize {
        self.line
    }

    fn next_line(&mut self) -> Result<Option<(usize, ExportLine)>, ExportError> {
        loop {
            self.buf.clear();
            self.line += 1;
            let n = std::io::Read::take(&mut self.input, MAX_EXPORT_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                self.line -= 1;
                return Ok(None);
            }
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let malformed = |problem| ExportError::Malformed {
                line: self.line,
                problem,
            };
            if self.buf.len() > MAX_EXPORT_LINE {
                return Err(malformed(LineProblem::TooLong));
            }
            let record = ExportLine::parse(&self.buf).map_err(|e| malformed(e.into()))?;
            return Ok(Some((self.line, record)));
        }
    }
}

impl<R: BufRead> Iterator for ExportReader<R> {
    type Item = Result<(usize, ExportLine), ExportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_line().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }
}

/// Verifies an export file from `input`. Returns what the chain proves.
pub fn verify_export<R: BufRead>(input: R) -> Result<Summary, ExportError> {
    verify_export_with(input, default_threads())
}

/// [`verify_export`] with `threads` signature workers.
pub fn verify_export_with<R: BufRead>(input: R, threads: usize) -> Result<Summary, ExportError> {
    verify_export_disclosures(input, threads, DisclosurePolicy::default()).map(|(s, _)| s)
}

/// Verifies an export file and the disclosures beside its v3 entries
/// (design docs/design/format-v3.md §3.4, §7): an invalid one is rule
/// `disclosure` at its entry, found in the walk; a withheld slot is rule
/// `withheld` only under `policy.all_disclosed`, found at the end (a
/// redaction later in the file may cover it). Returns what the chain
/// proves and each committed slot's verdict.
pub fn verify_export_disclosures<R: BufRead>(
    input: R,
    threads: usize,
    policy: DisclosurePolicy,
) -> Result<(Summary, DisclosureReport), ExportError> {
    let mut chain = ChainVerifier::new();
    let mut tally = DisclosureTally::new();
    let mut lines = ExportReader::new(input);
    let (walked, bad_signature) = with_signature_pool(threads, |submit| {
        for item in &mut lines {
            let (line_no, record) = item?;
            let invalid = |violation| ExportError::Invalid {
                line: line_no,
                violation,
            };
            // A violation found here is reported only after the signatures
            // before it are checked (the pool keeps the lowest seq).
            let (entry, job) = chain.push_deferred(&record.entry.0).map_err(invalid)?;
            let beside = check_claims(&record, &entry)
                .and_then(|()| tally.offer(&entry, record.disclosures.as_deref(), line_no as u64));
            if let Err(v) = beside {
                // This entry's own signature first: a forged entry is
                // reported as such, not as a mismatched claim.
                job.verify_strict().map_err(invalid)?;
                return Err(invalid(v));
            }
            submit.push(job, line_no as u64);
            if submit.failed() {
                break;
            }
        }
        Ok(())
    });
    // The first bad signature comes before any later problem.
    if let Some((violation, line)) = bad_signature {
        let structural_first = matches!(&walked, Err(ExportError::Invalid { violation: v, .. }) if v.seq < violation.seq);
        if !structural_first {
            return Err(ExportError::Invalid {
                line: line as usize,
                violation,
            });
        }
    }
    walked?;
    let last_line = lines.line();
    let report = tally.finish(|hash, slot| chain.redacted_at(hash, slot));
    let summary = chain.finish().map_err(|violation| ExportError::Invalid {
        line: last_line,
        violation,
    })?;
    report
        .enforce(policy)
        .map_err(|(violation, line)| ExportError::Invalid {
            line: line as usize,
            violation,
        })?;
    Ok((summary, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_line_is_refused_without_reading_it_whole() {
        // Reads from a source that never ends: the bound must stop it.
        let endless = std::io::BufReader::new(std::io::repeat(b'x'));
        match verify_export(endless) {
            Err(ExportError::Malformed {
                line: 1,
                problem: LineProblem::TooLong,
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}
