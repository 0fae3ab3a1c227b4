//! Verifying an export file: JSON Lines, one entry per line, each carrying
//! the stored bytes (base64) beside claims about them (seq, hash, a decoded
//! view). The bytes are walked with [`ChainVerifier`]; every claim is then
//! re-derived from the bytes and compared, so an edited view or hash is
//! caught even when the signed bytes are intact.

use crate::chain::{ChainVerifier, Rule, Summary, Violation};
use crate::signatures::{verify_batch, SignatureJob, BATCH};
use base64::Engine;
use custody_format::entry::entry_view;
use serde_json::Value;
use std::io::BufRead;

/// Largest line of an export file: the largest entry, in base64, with its
/// view.
pub const MAX_EXPORT_LINE: usize = 4 * custody_format::codec::MAX_ENTRY_BYTES;

/// Why an export file could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file is not an export (unreadable line, bad JSON, missing field).
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
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

/// A claimed value as quoted in an error: cut, so a forged line of
/// megabytes cannot flood the report.
fn short(s: &str) -> String {
    const MAX: usize = 100;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Verifies an export file from `input`. Returns what the chain proves.
///
/// Lines are read with a bound ([`MAX_EXPORT_LINE`]): a hostile file of one
/// endless line is refused after that many bytes, not read into memory.
pub fn verify_export<R: BufRead>(mut input: R) -> Result<Summary, ExportError> {
    let mut chain = ChainVerifier::new();
    let mut pending = Pending::default();
    let mut last_line = 0;
    let mut line = Vec::new();
    for i in 0.. {
        line.clear();
        let n = std::io::Read::take(&mut input, MAX_EXPORT_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let line_no = i + 1;
        last_line = line_no;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let malformed = |message: String| ExportError::Malformed {
            line: line_no,
            message,
        };
        if line.len() > MAX_EXPORT_LINE {
            return Err(malformed(format!("line is over {MAX_EXPORT_LINE} bytes")));
        }
        let record: Value = serde_json::from_slice(&line)
            .map_err(|e| malformed(format!("not a JSON object: {e}")))?;
        let field = |name: &str| {
            record
                .get(name)
                .ok_or_else(|| malformed(format!("missing field `{name}`")))
        };
        let bytes = field("entry")?
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .ok_or_else(|| malformed("field `entry` is not standard base64".into()))?;
        let invalid = |violation: Violation| ExportError::Invalid {
            line: line_no,
            violation,
        };
        // Signatures are checked in batches (see `Pending`); a violation
        // found here is reported only after the signatures before it.
        let (entry, job) = match chain.push_deferred(&bytes) {
            Ok(x) => x,
            Err(v) => {
                pending.flush()?;
                return Err(invalid(v));
            }
        };
        let claim = |what: &str, claimed: &Value, actual: Value| {
            if *claimed == actual {
                Ok(())
            } else {
                Err(invalid(Violation {
                    seq: entry.seq(),
                    rule: Rule::Claim,
                    detail: format!(
                        "the line's `{what}` does not match its signed bytes (claims {}, bytes say {actual})",
                        short(&claimed.to_string())
                    ),
                }))
            }
        };
        let claims = (|| {
            claim("seq", field("seq")?, Value::from(entry.seq()))?;
            claim("hash", field("hash")?, Value::from(entry.hash().to_hex()))?;
            if *field("view")? != entry_view(&entry) {
                return Err(invalid(Violation {
                    seq: entry.seq(),
                    rule: Rule::Claim,
                    detail: "the decoded `view` differs from what the signed bytes say; trust only the bytes".into(),
                }));
            }
            Ok(())
        })();
        if let Err(e) = claims {
            // Earlier signatures first, then this entry's own: a forged
            // entry is reported as such, not as a mismatched claim.
            pending.flush()?;
            job.verify_strict().map_err(invalid)?;
            return Err(e);
        }
        pending.jobs.push((job, line_no));
        if pending.jobs.len() == BATCH {
            pending.flush()?;
        }
    }
    pending.flush()?;
    chain.finish().map_err(|violation| ExportError::Invalid {
        line: last_line,
        violation,
    })
}

/// Signature checks waiting for a batch, with the line each entry came from.
///
/// A batch is split across the cores and batch-verified (strict checks of
/// the encodings included, see `crate::signatures`); the first bad
/// signature, by position, is reported with its line.
#[derive(Default)]
struct Pending {
    jobs: Vec<(SignatureJob, usize)>,
}

impl Pending {
    fn flush(&mut self) -> Result<(), ExportError> {
        if self.jobs.is_empty() {
            return Ok(());
        }
        let jobs: Vec<SignatureJob> = self.jobs.iter().map(|(j, _)| *j).collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = jobs.len().div_ceil(threads);
        let first_bad = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .chunks(per)
                .map(|c| s.spawn(move || verify_batch(c)))
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().expect("signature checks do not panic").err())
                .min_by_key(|v| v.seq)
        });
        let lines: Vec<(u64, usize)> = self.jobs.iter().map(|(j, l)| (j.seq, *l)).collect();
        self.jobs.clear();
        match first_bad {
            None => Ok(()),
            Some(violation) => Err(ExportError::Invalid {
                line: lines
                    .iter()
                    .find(|(seq, _)| *seq == violation.seq)
                    .map_or(0, |(_, l)| *l),
                violation,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_line_is_refused_without_reading_it_whole() {
        // Reads from a source that never ends: the bound must stop it.
        let endless = std::io::BufReader::new(std::io::repeat(b'x'));
        match verify_export(endless) {
            Err(ExportError::Malformed { line: 1, message }) => {
                assert!(message.contains("over"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
