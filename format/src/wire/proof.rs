//! An inclusion proof as a C2SP `tlog-proof` (c2sp.org/tlog-proof): the
//! text other transparency-log tools read, written and read here side by
//! side (docs/FORMAT.md, "Inclusion proofs as C2SP tlog-proof").
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <standard base64 of opaque data>]
//! index <leaf index, decimal, no leading zeroes>
//! <standard base64 of a 32-byte proof hash>     (zero or more lines, leaf's
//! …                                              sibling first, root's child last)
//! <empty line>
//! <the signed checkpoint note, verbatim>
//! ```
//!
//! Every line ends with one newline (U+000A); the proof ends with the
//! checkpoint's last signature line and its newline. The reader is strict:
//! one header, at most one `extra` line and only before the index, a
//! canonical decimal index, canonical padded base64, exactly 32 bytes per
//! hash, at most [`MAX_PROOF_HASHES`] hashes, and a checkpoint shaped as a
//! C2SP `tlog-checkpoint` signed note (at least three non-empty text lines,
//! one blank line, one or more `— name signature` lines, nothing after).
//! The checkpoint's content (origin, size, root, signatures) is checked by
//! the verifier (`custody_verifier::checkpoint`), not here.
//!
//! The proof covers a leaf index: the leaf's data — for custody, the
//! entry's stored bytes — travels beside it, as the data a detached
//! signature covers does. The extra data is opaque and unauthenticated; the
//! reader keeps it, custody never writes it.

use crate::merkle_hash::Hash;
use crate::text::clip;
use base64::Engine;

/// The first line of every proof, with its version.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Largest proof accepted, in bytes (the checkpoint, the hashes and the
/// extra data together).
pub const MAX_PROOF_BYTES: usize = 256 * 1024;

/// Most proof hashes accepted: an inclusion proof in a tree of at most
/// 2^64 − 1 leaves has at most 64.
pub const MAX_PROOF_HASHES: usize = 64;

/// Largest extra data accepted, decoded, in bytes.
pub const MAX_EXTRA_BYTES: usize = 64 * 1024;

/// Why a text is not a tlog-proof. Line numbers count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogProofError {
    /// Larger than [`MAX_PROOF_BYTES`].
    #[error("over {MAX_PROOF_BYTES} bytes")]
    TooLarge,
    /// Not UTF-8.
    #[error("not UTF-8 text")]
    NotUtf8,
    /// A carriage return: lines end with a newline alone.
    #[error("line {line}: a carriage return (CRLF line endings?); lines end with a newline (U+000A) alone")]
    CarriageReturn {
        /// The line.
        line: usize,
    },
    /// Another ASCII control character than newline.
    #[error("line {line}: a control character ({found:?})")]
    ControlCharacter {
        /// The line.
        line: usize,
        /// The character.
        found: char,
    },
    /// The text does not end with a newline.
    #[error("the last line does not end with a newline")]
    NoFinalNewline,
    /// The first line is not [`TLOG_PROOF_HEADER`].
    #[error(
        "line 1: not a tlog-proof: the first line must be `{TLOG_PROOF_HEADER}` (found {found:?})"
    )]
    Header {
        /// The first line, cut.
        found: String,
    },
    /// A tlog-proof of another version.
    #[error(
        "line 1: {found:?} is a version this reader does not know; it reads `{TLOG_PROOF_HEADER}`"
    )]
    Version {
        /// The first line, cut.
        found: String,
    },
    /// The `extra` line is not acceptable.
    #[error("line 2: bad extra data: {problem}")]
    Extra {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// No `index` line where one must be.
    #[error("line {line}: expected `index <n>` (found {found:?})")]
    MissingIndex {
        /// The line.
        line: usize,
        /// What is there, cut.
        found: String,
    },
    /// The index is not a canonical decimal `u64`.
    #[error("line {line}: bad index {found:?}: an ASCII decimal without sign or leading zeroes, at most 18446744073709551615")]
    BadIndex {
        /// The line.
        line: usize,
        /// The index as written, cut.
        found: String,
    },
    /// A proof hash is not canonical standard base64.
    #[error("line {line}: a proof hash is not standard base64 with padding (found {found:?})")]
    HashNotBase64 {
        /// The line.
        line: usize,
        /// The line's text, cut.
        found: String,
    },
    /// A proof hash is not 32 bytes.
    #[error("line {line}: a proof hash is {len} bytes, not 32 (SHA-256)")]
    HashLength {
        /// The line.
        line: usize,
        /// Its decoded length.
        len: usize,
    },
    /// More than [`MAX_PROOF_HASHES`] hashes.
    #[error("more than {MAX_PROOF_HASHES} proof hashes")]
    TooManyHashes,
    /// No empty line and checkpoint after the hashes.
    #[error("no checkpoint: the proof hashes must be followed by an empty line and the signed checkpoint")]
    MissingCheckpoint,
    /// The checkpoint is not shaped as a signed checkpoint note.
    #[error("line {line}: malformed checkpoint: {problem}")]
    Checkpoint {
        /// The line.
        line: usize,
        /// What is wrong.
        problem: &'static str,
    },
}

/// A C2SP tlog-proof: a leaf index, its RFC 9162 inclusion proof, and the
/// signed checkpoint the proof leads to; optionally, opaque extra data.
///
/// Built only by [`TlogProof::new`] or [`TlogProof::parse`], so every
/// value is one the reader accepts and [`TlogProof::to_text`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    extra: Option<Vec<u8>>,
    index: u64,
    hashes: Vec<Hash>,
    checkpoint: String,
}

impl TlogProof {
    /// A proof of leaf `index` by `hashes` (RFC 9162 `PATH`, the leaf's
    /// sibling first) against the signed checkpoint note `checkpoint`,
    /// carried verbatim. Refused, as the reader would refuse it, if the
    /// checkpoint is not shaped as a signed note, there are too many hashes,
    /// or `extra` is empty or too large.
    pub fn new(
        index: u64,
        hashes: Vec<Hash>,
        checkpoint: String,
        extra: Option<Vec<u8>>,
    ) -> Result<TlogProof, TlogProofError> {
        let proof = TlogProof {
            extra,
            index,
            hashes,
            checkpoint,
        };
        // What the writer writes, the reader must read back unchanged.
        let read = TlogProof::parse(proof.to_text().as_bytes())?;
        debug_assert_eq!(read, proof);
        Ok(read)
    }

    /// The leaf index.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The inclusion proof, the leaf's sibling first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// The signed checkpoint note, verbatim (not yet checked).
    pub fn checkpoint(&self) -> &str {
        &self.checkpoint
    }

    /// The opaque extra data, if any: not authenticated by anything.
    pub fn extra(&self) -> Option<&[u8]> {
        self.extra.as_deref()
    }

    /// The proof as text.
    pub fn to_text(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut out = String::with_capacity(64 + 45 * self.hashes.len() + self.checkpoint.len());
        out.push_str(TLOG_PROOF_HEADER);
        out.push('\n');
        if let Some(extra) = &self.extra {
            out.push_str("extra ");
            out.push_str(&b64.encode(extra));
            out.push('\n');
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.hashes {
            out.push_str(&b64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses a proof, strictly (see the module documentation).
    pub fn parse(input: &[u8]) -> Result<TlogProof, TlogProofError> {
        if input.len() > MAX_PROOF_BYTES {
            return Err(TlogProofError::TooLarge);
        }
        let text = std::str::from_utf8(input).map_err(|_| TlogProofError::NotUtf8)?;
        if text.is_empty() {
            return Err(TlogProofError::Header {
                found: String::new(),
            });
        }
        for (i, line) in text.split('\n').enumerate() {
            if let Some(c) = line.chars().find(|&c| c < ' ') {
                return Err(if c == '\r' {
                    TlogProofError::CarriageReturn { line: i + 1 }
                } else {
                    TlogProofError::ControlCharacter {
                        line: i + 1,
                        found: c,
                    }
                });
            }
        }
        if !text.ends_with('\n') {
            return Err(TlogProofError::NoFinalNewline);
        }
        let mut lines = Lines { rest: text, no: 0 };

        let header = lines.next().ok_or(TlogProofError::Header {
            found: String::new(),
        })?;
        if header != TLOG_PROOF_HEADER {
            let found = clip(header, 60);
            let other_version = header
                .strip_prefix("c2sp.org/tlog-proof@v")
                .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
            return Err(if other_version {
                TlogProofError::Version { found }
            } else {
                TlogProofError::Header { found }
            });
        }

        let mut line = lines.next();
        let mut extra = None;
        if let Some(data) = line.and_then(|l| l.strip_prefix("extra ")) {
            extra = Some(decode_extra(data)?);
            line = lines.next();
        }

        let index_no = lines.no;
        let index_line = line.ok_or(TlogProofError::MissingIndex {
            line: index_no + 1,
            found: String::new(),
        })?;
        let digits =
            index_line
                .strip_prefix("index ")
                .ok_or_else(|| TlogProofError::MissingIndex {
                    line: index_no,
                    found: clip(index_line, 60),
                })?;
        let index = parse_index(digits).ok_or_else(|| TlogProofError::BadIndex {
            line: index_no,
            found: clip(digits, 60),
        })?;

        let mut hashes = Vec::new();
        loop {
            let Some(line) = lines.next() else {
                return Err(TlogProofError::MissingCheckpoint);
            };
            if line.is_empty() {
                break;
            }
            if hashes.len() == MAX_PROOF_HASHES {
                return Err(TlogProofError::TooManyHashes);
            }
            hashes.push(decode_hash(line, lines.no)?);
        }

        let checkpoint = lines.rest;
        check_note_shape(checkpoint, lines.no + 1)?;
        Ok(TlogProof {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.to_string(),
        })
    }
}

/// The lines of a text that ends with a newline, one at a time, counting them; `rest` is what follows
/// the last line taken.
struct Lines<'a> {
    rest: &'a str,
    no: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (line, rest) = self.rest.split_once('\n')?;
        self.rest = rest;
        self.no += 1;
        Some(line)
    }
}

/// Standard base64 with padding, in its one canonical form: decoding and
/// encoding again gives back the same text (no missing or extra padding,
/// no stray bits, no whitespace).
fn canonical_base64(s: &str) -> Option<Vec<u8>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = b64.decode(s).ok()?;
    (b64.encode(&bytes) == s).then_some(bytes)
}

fn decode_extra(data: &str) -> Result<Vec<u8>, TlogProofError> {
    let problem = |problem| TlogProofError::Extra { problem };
    if data.is_empty() {
        return Err(problem("empty (without extra data, the line is left out)"));
    }
    if data.len() > MAX_EXTRA_BYTES / 3 * 4 + 4 {
        return Err(problem("over 64 KiB"));
    }
    let bytes =
        canonical_base64(data).ok_or_else(|| problem("not standard base64 with padding"))?;
    if bytes.len() > MAX_EXTRA_BYTES {
        return Err(problem("over 64 KiB"));
    }
    Ok(bytes)
}

/// An ASCII decimal `u64` with no sign and no leading zeroes (`0` itself
/// excepted).
fn parse_index(digits: &str) -> Option<u64> {
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    digits.parse().ok().filter(|_| canonical)
}

fn decode_hash(line: &str, no: usize) -> Result<Hash, TlogProofError> {
    let bytes = canonical_base64(line).ok_or_else(|| TlogProofError::HashNotBase64 {
        line: no,
        found: clip(line, 60),
    })?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| TlogProofError::HashLength { line: no, len })
}

/// Checks that `note` is shaped as a signed C2SP checkpoint: at least three
/// non-empty text lines (tlog-checkpoint: origin, size, root, then
/// non-empty extension lines), one empty line, then one or more signature
/// lines `— <key name> <signature>` and nothing else, every line ending
/// with a newline. `first_line` is the number of its first line in the
/// proof. The signatures themselves are the verifier's to decode and check.
fn check_note_shape(note: &str, first_line: usize) -> Result<(), TlogProofError> {
    if note.is_empty() {
        return Err(TlogProofError::MissingCheckpoint);
    }
    if !note.ends_with('\n') {
        return Err(TlogProofError::NoFinalNewline);
    }
    let bad = |offset: usize, problem| TlogProofError::Checkpoint {
        line: first_line + offset,
        problem,
    };
    let lines: Vec<&str> = note[..note.len() - 1].split('\n').collect();
    let Some(blank) = lines.iter().position(|l| l.is_empty()) else {
        return Err(bad(
            lines.len(),
            "no empty line between the checkpoint text and its signatures",
        ));
    };
    if blank < 3 {
        return Err(bad(
            blank,
            "the checkpoint text has fewer than three lines (origin, size, root hash)",
        ));
    }
    if blank + 1 == lines.len() {
        return Err(bad(blank + 1, "no signature line"));
    }
    for (i, line) in lines.iter().enumerate().skip(blank + 1) {
        if line.is_empty() {
            return Err(bad(
                i,
                "a second empty line: something follows the signatures",
            ));
        }
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return Err(bad(
                i,
                "not a signature line (`— <key name> <signature>`): something follows the signatures",
            ));
        };
        let well_formed = rest.split_once(' ').is_some_and(|(name, sig)| {
            !name.is_empty()
                && !name.chars().any(|c| c.is_whitespace() || c == '+')
                && !sig.is_empty()
                && !sig.contains(' ')
        });
        if !well_formed {
            return Err(bad(i, "a signature line is not `— <key name> <signature>`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification (c2sp.org/tlog-proof), as published:
    /// its signatures are elided (`[...]`), so it is a fixture for the
    /// proof's own lines, not a checkpoint anyone can verify.
    const SPEC_EXAMPLE: &str = include_str!("testdata/c2sp-spec-example.tlog-proof");

    const CHECKPOINT: &str = "example.org/log\n7\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n\n\u{2014} example.org/log AAAAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n";

    fn sample() -> TlogProof {
        TlogProof::new(
            3,
            vec![[1; 32], [2; 32], [0xfb; 32]],
            CHECKPOINT.to_string(),
            None,
        )
        .unwrap()
    }

    fn good_text() -> String {
        sample().to_text()
    }

    #[test]
    fn writes_the_layout_of_the_spec() {
        let text = good_text();
        assert_eq!(
            text,
            format!(
                "c2sp.org/tlog-proof@v1\nindex 3\n\
                 AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\
                 AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n\
                 +/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=\n\
                 \n{CHECKPOINT}"
            )
        );
    }

    #[test]
    fn round_trips() {
        let p = sample();
        assert_eq!(TlogProof::parse(p.to_text().as_bytes()).unwrap(), p);
        let with_extra = TlogProof::new(
            0,
            vec![],
            CHECKPOINT.to_string(),
            Some(b"opaque \xff".to_vec()),
        )
        .unwrap();
        let text = with_extra.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra b3BhcXVlIP8=\nindex 0\n\n"));
        let read = TlogProof::parse(text.as_bytes()).unwrap();
        assert_eq!(read, with_extra);
        assert_eq!(read.extra(), Some(&b"opaque \xff"[..]));
        assert_eq!((read.index(), read.hashes().len()), (0, 0));
        assert_eq!(read.checkpoint(), CHECKPOINT);
        let max = TlogProof::new(
            u64::MAX,
            vec![[7; 32]; MAX_PROOF_HASHES],
            CHECKPOINT.to_string(),
            None,
        )
        .unwrap();
        assert_eq!(TlogProof::parse(max.to_text().as_bytes()).unwrap(), max);
    }

    #[test]
    fn parses_the_example_of_the_spec() {
        let p = TlogProof::parse(SPEC_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(p.index(), 73894);
        assert_eq!(p.hashes().len(), 5);
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(p.hashes()[4]),
            "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk="
        );
        assert!(p
            .extra()
            .unwrap()
            .starts_with(b"age-v1.2.1-darwin-arm64.tar.gz"));
        assert!(p.checkpoint().starts_with("example.com/fancylog\n109482\n"));
        assert_eq!(p.checkpoint().matches('\u{2014}').count(), 4);
        // The writer gives back the published text, byte for byte.
        assert_eq!(p.to_text(), SPEC_EXAMPLE);
    }

    #[test]
    fn the_writer_refuses_what_the_reader_would() {
        let cp = || CHECKPOINT.to_string();
        assert_eq!(
            TlogProof::new(1, vec![], cp(), Some(vec![])),
            Err(TlogProofError::Extra {
                problem: "empty (without extra data, the line is left out)"
            })
        );
        assert_eq!(
            TlogProof::new(1, vec![[0; 32]; MAX_PROOF_HASHES + 1], cp(), None),
            Err(TlogProofError::TooManyHashes)
        );
        assert!(TlogProof::new(1, vec![], "o\n1\nroot\n".into(), None).is_err());
        assert!(TlogProof::new(1, vec![], String::new(), None).is_err());
    }

    /// Every malformed variant, each refused with its own error.
    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "a table of malformed proofs, one case each: splitting it would only scatter the cases"
    )]
    fn refuses_malformed_proofs() {
        let good = good_text();
        let hash_line = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
        let without_checkpoint = good.split("\n\n").next().unwrap().to_string() + "\n";
        type Expected = fn(&TlogProofError) -> bool;
        let cases: Vec<(&str, String, Expected)> = vec![
            ("empty", String::new(), |e| {
                matches!(e, TlogProofError::Header { .. })
            }),
            (
                "missing header",
                good.replacen("c2sp.org/tlog-proof@v1\n", "", 1),
                |e| matches!(e, TlogProofError::Header { .. }),
            ),
            (
                "wrong header",
                good.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-checkpoint", 1),
                |e| matches!(e, TlogProofError::Header { .. }),
            ),
            (
                "header with trailing space",
                good.replacen("@v1\n", "@v1 \n", 1),
                |e| matches!(e, TlogProofError::Header { .. }),
            ),
            ("other version", good.replacen("@v1", "@v2", 1), |e| {
                matches!(e, TlogProofError::Version { .. })
            }),
            ("missing index", good.replacen("index 3\n", "", 1), |e| {
                matches!(e, TlogProofError::MissingIndex { line: 2, .. })
            }),
            (
                "index without its space",
                good.replacen("index 3", "index3", 1),
                |e| matches!(e, TlogProofError::MissingIndex { .. }),
            ),
            (
                "index leading zero",
                good.replacen("index 3", "index 03", 1),
                |e| matches!(e, TlogProofError::BadIndex { line: 2, .. }),
            ),
            (
                "index negative",
                good.replacen("index 3", "index -3", 1),
                |e| matches!(e, TlogProofError::BadIndex { .. }),
            ),
            (
                "index with a plus sign",
                good.replacen("index 3", "index +3", 1),
                |e| matches!(e, TlogProofError::BadIndex { .. }),
            ),
            (
                "index two spaces",
                good.replacen("index 3", "index  3", 1),
                |e| matches!(e, TlogProofError::BadIndex { .. }),
            ),
            (
                "index not decimal",
                good.replacen("index 3", "index 0x3", 1),
                |e| matches!(e, TlogProofError::BadIndex { .. }),
            ),
            ("index empty", good.replacen("index 3", "index ", 1), |e| {
                matches!(e, TlogProofError::BadIndex { .. })
            }),
            (
                "index over u64",
                good.replacen("index 3", "index 18446744073709551616", 1),
                |e| matches!(e, TlogProofError::BadIndex { .. }),
            ),
            (
                "two index lines",
                good.replacen("index 3\n", "index 3\nindex 3\n", 1),
                |e| matches!(e, TlogProofError::HashNotBase64 { line: 3, .. }),
            ),
            (
                "extra after the index",
                good.replacen("index 3\n", "index 3\nextra AAAA\n", 1),
                |e| matches!(e, TlogProofError::HashNotBase64 { line: 3, .. }),
            ),
            (
                "two extra lines",
                good.replacen("index 3\n", "extra AAAA\nextra AAAA\nindex 3\n", 1),
                |e| matches!(e, TlogProofError::MissingIndex { line: 3, .. }),
            ),
            (
                "extra empty",
                good.replacen("index 3\n", "extra \nindex 3\n", 1),
                |e| matches!(e, TlogProofError::Extra { .. }),
            ),
            (
                "extra bad base64",
                good.replacen("index 3\n", "extra !!notbase64!!\nindex 3\n", 1),
                |e| matches!(e, TlogProofError::Extra { .. }),
            ),
            (
                "extra unpadded",
                good.replacen("index 3\n", "extra AA\nindex 3\n", 1),
                |e| matches!(e, TlogProofError::Extra { .. }),
            ),
            (
                "extra too large",
                good.replacen(
                    "index 3\n",
                    &format!(
                        "extra {}\nindex 3\n",
                        "AAAA".repeat(MAX_EXTRA_BYTES / 3 + 2)
                    ),
                    1,
                ),
                |e| matches!(e, TlogProofError::Extra { .. }),
            ),
            (
                "hash bad base64",
                good.replacen(hash_line, "not-valid-base64!!!", 1),
                |e| matches!(e, TlogProofError::HashNotBase64 { line: 3, .. }),
            ),
            (
                "hash base64url",
                good.replacen(
                    "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=",
                    "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s=",
                    1,
                ),
                |e| matches!(e, TlogProofError::HashNotBase64 { line: 5, .. }),
            ),
            (
                "hash without padding",
                good.replacen(hash_line, hash_line.trim_end_matches('='), 1),
                |e| matches!(e, TlogProofError::HashNotBase64 { .. }),
            ),
            (
                "hash with stray bits",
                good.replacen(hash_line, "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=", 1),
                |e| matches!(e, TlogProofError::HashNotBase64 { .. }),
            ),
            (
                "hash with a trailing space",
                good.replacen(hash_line, &format!("{hash_line} "), 1),
                |e| matches!(e, TlogProofError::HashNotBase64 { .. }),
            ),
            (
                "hash too short",
                good.replacen(hash_line, "AAAAAAAAAAAAAAAAAAAAAA==", 1),
                |e| matches!(e, TlogProofError::HashLength { line: 3, len: 16 }),
            ),
            (
                "hash too long",
                good.replacen(hash_line, &format!("{}AAAA", &hash_line[..40]), 1),
                |e| matches!(e, TlogProofError::HashLength { len: 33, .. }),
            ),
            (
                "too many hashes",
                good.replacen(
                    "index 3\n",
                    &format!(
                        "index 3\n{}",
                        format!("{hash_line}\n").repeat(MAX_PROOF_HASHES)
                    ),
                    1,
                ),
                |e| matches!(e, TlogProofError::TooManyHashes),
            ),
            ("missing checkpoint", without_checkpoint.clone(), |e| {
                matches!(e, TlogProofError::MissingCheckpoint)
            }),
            (
                "missing checkpoint after the empty line",
                without_checkpoint.clone() + "\n",
                |e| matches!(e, TlogProofError::MissingCheckpoint),
            ),
            (
                "no empty line before the checkpoint",
                good.replacen("\n\nexample.org", "\nexample.org", 1),
                |e| matches!(e, TlogProofError::HashNotBase64 { line: 6, .. }),
            ),
            (
                "two empty lines before the checkpoint",
                good.replacen("\n\nexample.org", "\n\n\nexample.org", 1),
                |e| matches!(e, TlogProofError::Checkpoint { line: 7, .. }),
            ),
            (
                "checkpoint without signatures",
                good.split("\n\n").take(2).collect::<Vec<_>>().join("\n\n") + "\n",
                |e| matches!(e, TlogProofError::Checkpoint { .. }),
            ),
            (
                "checkpoint without its blank line",
                good.replacen("=\n\n\u{2014}", "=\n\u{2014}", 1),
                |e| matches!(e, TlogProofError::Checkpoint { .. }),
            ),
            (
                "checkpoint of two lines",
                good.replacen("example.org/log\n7\n", "7\n", 1),
                |e| matches!(e, TlogProofError::Checkpoint { line: 9, .. }),
            ),
            (
                "signature line without an em dash",
                good.replacen('\u{2014}', "-", 1),
                |e| matches!(e, TlogProofError::Checkpoint { line: 11, .. }),
            ),
            (
                "signature line with a bad key name",
                good.replacen("\u{2014} example.org/log", "\u{2014} example.org+log", 1),
                |e| matches!(e, TlogProofError::Checkpoint { .. }),
            ),
            (
                "signature line without a signature",
                good.replacen(
                    "\u{2014} example.org/log AAAA",
                    "\u{2014} example.org/log\nAAAA",
                    1,
                ),
                |e| matches!(e, TlogProofError::Checkpoint { .. }),
            ),
            ("trailing garbage", good.clone() + "garbage\n", |e| {
                matches!(e, TlogProofError::Checkpoint { line: 12, .. })
            }),
            ("trailing empty line", good.clone() + "\n", |e| {
                matches!(e, TlogProofError::Checkpoint { line: 12, .. })
            }),
            (
                "trailing garbage after an empty line",
                good.clone() + "\ngarbage\n",
                |e| matches!(e, TlogProofError::Checkpoint { line: 12, .. }),
            ),
            ("no final newline", good.trim_end().to_string(), |e| {
                matches!(e, TlogProofError::NoFinalNewline)
            }),
            ("CRLF", good.replace('\n', "\r\n"), |e| {
                matches!(e, TlogProofError::CarriageReturn { line: 1 })
            }),
            (
                "CRLF in the checkpoint only",
                good.replacen("example.org/log\n7\n", "example.org/log\r\n7\n", 1),
                |e| matches!(e, TlogProofError::CarriageReturn { line: 7 }),
            ),
            ("a tab", good.replacen("index 3", "index\t3", 1), |e| {
                matches!(
                    e,
                    TlogProofError::ControlCharacter {
                        line: 2,
                        found: '\t'
                    }
                )
            }),
            ("a NUL", good.replacen("7\n", "7\0\n", 1), |e| {
                matches!(e, TlogProofError::ControlCharacter { found: '\0', .. })
            }),
            (
                "too large",
                good.clone() + &"x".repeat(MAX_PROOF_BYTES),
                |e| matches!(e, TlogProofError::TooLarge),
            ),
        ];
        for (name, text, expected) in cases {
            match TlogProof::parse(text.as_bytes()) {
                Ok(p) => panic!("{name}: accepted {p:?}"),
                Err(e) => {
                    assert!(expected(&e), "{name}: refused for another reason: {e}");
                    assert!(e.to_string().len() < 400, "{name}: {e}");
                }
            }
        }
        assert_eq!(
            TlogProof::parse(b"c2sp.org/tlog-proof@v1\nindex 0\n\n\xff\n"),
            Err(TlogProofError::NotUtf8)
        );
        // The good text itself is accepted.
        TlogProof::parse(good.as_bytes()).unwrap();
    }

    #[test]
    fn errors_never_quote_much_of_the_input() {
        let long = "A".repeat(10_000);
        let text = format!("{long}\n");
        let e = TlogProof::parse(text.as_bytes()).unwrap_err();
        assert!(e.to_string().len() < 200, "{e}");
    }
}
