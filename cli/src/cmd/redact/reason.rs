//! Whether a redaction's reason repeats a value it erases.
//!
//! The reason is kept in clear in the ledger forever, so `redact` refuses
//! one that contains an erased value (design §5). A plain substring test
//! is too easy to pass by accident: a name typed with other capitals,
//! doubled or odd spaces (a no-break space, a tab), in decomposed Unicode
//! (NFD: `й` as `и` + U+0306, as some keyboards and macOS file names
//! give it), with another apostrophe (`ʼ`, `’`, `'` in Ukrainian names),
//! or a date of birth written as people write dates ("2 March 1985",
//! "02.03.1985", "2 березня 1985"). Both sides are therefore normalised
//! (NFKC, lower case, one apostrophe, whitespace runs as one space) before
//! the test, and a date is looked for in each of its common written forms.
//!
//! It is a guard against a slip, not a proof: no test can tell that a
//! reason paraphrases a value.

use custody_format::commit::DisclosedValue;
use custody_format::time::OccurredAt;
use unicode_normalization::UnicodeNormalization;

/// `text` as compared: NFKC, lower case, apostrophes as `'`, each run of
/// whitespace as one space, trimmed.
pub(super) fn normalise(text: &str) -> String {
    let lowered: String = text.nfkc().collect::<String>().to_lowercase();
    // Lower-casing may leave text that is not NFKC (rarely): once more.
    let lowered: String = lowered.nfkc().collect();
    let mut out = String::with_capacity(lowered.len());
    let mut space = false;
    for c in lowered.chars() {
        let c = match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{0060}' | '\u{00B4}' | '\u{02B9}' => '\'',
            c => c,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Whether `reason` (as given) contains `value` in any of the forms above.
pub(super) fn repeats(reason: &str, value: &DisclosedValue) -> bool {
    let reason = normalise(reason);
    match value {
        DisclosedValue::Text(t) => {
            let t = normalise(t);
            !t.is_empty() && reason.contains(&t)
        }
        DisclosedValue::Date(d) => date_forms(d)
            .iter()
            .any(|form| contains_date(&reason, form)),
    }
}

/// Whether `form` occurs in `hay` with no digit just before or after it
/// (so that the 2nd of a month is not found in "12 March").
fn contains_date(hay: &str, form: &str) -> bool {
    hay.match_indices(form).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + form.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// English month names, full and short.
const EN: [(&str, &str); 12] = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may", "may"),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
];

/// Ukrainian month names: the genitive ("2 березня 1985") and the
/// nominative ("березень 1985").
const UK: [(&str, &str); 12] = [
    ("січня", "січень"),
    ("лютого", "лютий"),
    ("березня", "березень"),
    ("квітня", "квітень"),
    ("травня", "травень"),
    ("червня", "червень"),
    ("липня", "липень"),
    ("серпня", "серпень"),
    ("вересня", "вересень"),
    ("жовтня", "жовтень"),
    ("листопада", "листопад"),
    ("грудня", "грудень"),
];

/// The ordinal suffix of `day` in English ("1st", "2nd", "11th").
fn ordinal(day: u8) -> &'static str {
    match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// The ways a date is commonly written, normalised: ISO; day, month name
/// and year (English, Ukrainian); month name, day and year; the digits
/// with dots (as Ukrainians write dates), slashes or hyphens, day first
/// or month first, with or without leading zeros.
fn date_forms(d: &OccurredAt) -> Vec<String> {
    let mut forms = vec![d.to_string()];
    match *d {
        OccurredAt::Year { .. } | OccurredAt::Instant { .. } => {}
        OccurredAt::Month { year, month } => {
            let (full, short) = EN[usize::from(month - 1)];
            let (genitive, nominative) = UK[usize::from(month - 1)];
            for name in [full, short, genitive, nominative] {
                forms.push(format!("{name} {year}"));
            }
            for m in [format!("{month}"), format!("{month:02}")] {
                for sep in ['.', '/'] {
                    forms.push(format!("{m}{sep}{year}"));
                }
            }
        }
        OccurredAt::Day { year, month, day } => {
            let (full, short) = EN[usize::from(month - 1)];
            let (genitive, _) = UK[usize::from(month - 1)];
            let days = [format!("{day}"), format!("{day:02}")];
            for dd in &days {
                for name in [full, short, genitive] {
                    forms.push(format!("{dd} {name} {year}"));
                    forms.push(format!("{dd} {name}, {year}"));
                }
                forms.push(format!("{dd}{} {full} {year}", ordinal(day)));
                forms.push(format!("{dd}{} of {full} {year}", ordinal(day)));
                for name in [full, short] {
                    forms.push(format!("{name} {dd}, {year}"));
                    forms.push(format!("{name} {dd} {year}"));
                    forms.push(format!("{name} {dd}{}, {year}", ordinal(day)));
                }
                for mm in [format!("{month}"), format!("{month:02}")] {
                    for sep in ['.', '/', '-'] {
                        forms.push(format!("{dd}{sep}{mm}{sep}{year}"));
                        forms.push(format!("{mm}{sep}{dd}{sep}{year}"));
                    }
                }
            }
        }
    }
    forms.into_iter().map(|f| normalise(&f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> DisclosedValue {
        DisclosedValue::Text(t.to_string())
    }

    fn date(t: &str) -> DisclosedValue {
        DisclosedValue::Date(OccurredAt::parse(t).unwrap())
    }

    #[test]
    fn a_name_is_found_whatever_its_case_spaces_or_unicode_form() {
        let name = text("Андрій Ковальчук");
        assert!(repeats("request about андрій ковальчук", &name));
        // Doubled, odd and no-break spaces, a tab, a newline.
        assert!(repeats("re: АНДРІЙ  \t Ковальчук", &name));
        assert!(repeats("re: Андрій\u{00A0}Ковальчук", &name));
        assert!(repeats("re: Андрій\nКовальчук", &name));
        // NFD: й as и + combining breve; the stored value may be NFD too.
        let nfd: String = "Андрій Ковальчук".nfd().collect();
        assert_ne!(nfd, "Андрій Ковальчук");
        assert!(repeats(&format!("re: {nfd}"), &name));
        assert!(repeats("re: Андрій Ковальчук", &text(&nfd)));
        // Full-width Latin letters (NFKC), and another apostrophe.
        assert!(repeats("re: ＡＮＮＡ", &text("Anna")));
        assert!(repeats("re: Мар’яна", &text("Марʼяна")));
        // Not found: another name.
        assert!(!repeats("erasure request of 2026-11-02", &name));
        assert!(!repeats("Андрій Коваль", &name));
    }

    #[test]
    fn a_date_is_found_in_its_common_written_forms() {
        let dob = date("1985-03-02");
        for reason in [
            "born 1985-03-02",
            "born 2 March 1985",
            "born 02 march 1985",
            "born 2 Mar 1985",
            "born 2nd March 1985",
            "born March 2, 1985",
            "born 02.03.1985",
            "born 2.3.1985",
            "born 02/03/1985",
            "born 2 березня 1985 р.",
            "born 2   March\t1985",
        ] {
            assert!(repeats(reason, &dob), "{reason}");
        }
        for reason in [
            "born 12 March 1985",
            "born 2 April 1985",
            "born 1985",
            "erasure request of 2026-03-02",
            "born 02.03.19851",
        ] {
            assert!(!repeats(reason, &dob), "{reason}");
        }
        let month = date("1985-03");
        for reason in ["March 1985", "березень 1985", "03.1985", "1985-03"] {
            assert!(repeats(reason, &month), "{reason}");
        }
        assert!(!repeats("April 1985", &month));
        // A year alone is the value itself.
        assert!(repeats("born in 1985", &date("1985")));
    }
}
