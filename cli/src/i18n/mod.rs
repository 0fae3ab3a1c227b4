//! The texts custody shows to readers, in English and Ukrainian: Project
//! Fluent catalogs (`en.ftl`, `uk.ftl`) compiled into the binary, so the
//! dossier and the web view need no file at run time and cannot drift from
//! the binary that made them.
//!
//! Why Fluent: a count in Ukrainian takes one of three forms (1 день,
//! 2 дні, 5 днів; 21 день, 22 дні, 25 днів), and the catalogs select them
//! by the CLDR plural rules (`[one]`, `[few]`, `[many]`) that
//! `fluent-bundle` implements, rather than by rules written here.
//!
//! What is never translated: evidence as investigators typed it, ids,
//! hashes, keys, ISO dates (they are evidence, and the same in every
//! language), and the enum values of JSON (`COMPLETE`, `held_unacknowledged`,
//! `notification_overdue`): only the words around them are.
//!
//! Numbers given as counts ([`num`]) are shown with the language's digit
//! grouping (1,234 in English; 1 234 with a no-break space in Ukrainian);
//! identifiers such as a seq are passed as text ([`txt`]) and never grouped.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::memoizer::MemoizerKind;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::Serialize;
use std::sync::OnceLock;

/// A language custody speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Lang {
    /// English.
    #[default]
    En,
    /// Ukrainian (українська).
    Uk,
}

/// The catalogs' sources, in [`Lang`] order.
const SOURCES: [(Lang, &str, &str); 2] = [
    (Lang::En, "en", include_str!("en.ftl")),
    (Lang::Uk, "uk", include_str!("uk.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

impl Lang {
    /// Every language, in catalog order.
    pub(crate) const ALL: [Lang; 2] = [Lang::En, Lang::Uk];

    /// The BCP 47 code (`en`, `uk`): HTML's `lang`, JSON's `lang`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Uk => "uk",
        }
    }

    fn bundle(self) -> &'static Bundle {
        static BUNDLES: OnceLock<[Bundle; 2]> = OnceLock::new();
        let all = BUNDLES.get_or_init(|| {
            // Indexed by `self as usize`: the sources must be in enum order.
            assert!(SOURCES.iter().map(|s| s.0).eq(Lang::ALL));
            SOURCES.map(|(lang, code, src)| build(lang, code, src))
        });
        &all[self as usize]
    }

    /// The message `id` with no argument.
    pub(crate) fn t(self, id: &str) -> String {
        self.f(id, &[])
    }

    /// The message `id` with its arguments (see [`num`] and [`txt`]).
    ///
    /// A missing message or argument is a bug in the catalogs; tests (debug
    /// builds, the end-to-end tests included) stop on it, and a release
    /// build shows the id rather than nothing.
    pub(crate) fn f(self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        match self.try_f(id, args) {
            Some(s) => s,
            None => {
                debug_assert!(
                    false,
                    "message {id} missing from the {} catalog",
                    self.code()
                );
                id.to_string()
            }
        }
    }

    /// The message `id` if the catalog has it (for words looked up by an
    /// enum value, which may be newer than the catalog).
    pub(crate) fn try_f(self, id: &str, args: &[(&str, FluentValue<'_>)]) -> Option<String> {
        let bundle = self.bundle();
        let pattern = bundle.get_message(id)?.value()?;
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        debug_assert!(
            errors.is_empty(),
            "message {id} ({}): {errors:?}",
            self.code()
        );
        Some(out.into_owned())
    }

    /// The message `{prefix}-{value}` (`value` with `_` read as `-`), or
    /// the value itself if the catalog has no such message.
    pub(crate) fn value(self, prefix: &str, value: &str) -> String {
        self.try_f(&format!("{prefix}-{}", value.replace('_', "-")), &[])
            .unwrap_or_else(|| value.to_string())
    }
}

/// A piece of a message whose arguments include code (a key, a hash, a
/// command): the renderer shows [`Piece::Code`] in its own way (`<code>`,
/// backticks) and escapes nothing the catalog wrote, so a message stays one
/// sentence for its translator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Code(String),
}

/// Where a code argument stands in a formatted message (private-use
/// characters, removed from every other argument first).
const OPEN: char = '\u{e000}';
const CLOSE: char = '\u{e001}';

impl Lang {
    /// The message `id` in pieces: `args` as in [`Lang::f`] (text already
    /// escaped for the medium, or trusted), `code` shown as code.
    pub(crate) fn pieces(
        self,
        id: &str,
        args: &[(&str, FluentValue<'_>)],
        code: &[(&str, &str)],
    ) -> Vec<Piece> {
        let mut all: Vec<(&str, FluentValue<'_>)> = args
            .iter()
            .map(|(k, v)| match v {
                FluentValue::String(s) if s.contains([OPEN, CLOSE]) => {
                    (*k, FluentValue::from(s.replace([OPEN, CLOSE], "\u{fffd}")))
                }
                other => (*k, other.clone()),
            })
            .collect();
        for (i, (k, _)) in code.iter().enumerate() {
            all.push((k, FluentValue::from(format!("{OPEN}{i}{CLOSE}"))));
        }
        let text = self.f(id, &all);
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(OPEN) {
            let Some(len) = rest[start..].find(CLOSE) else {
                break;
            };
            let n: Option<usize> = rest[start + OPEN.len_utf8()..start + len].parse().ok();
            if start > 0 {
                out.push(Piece::Text(rest[..start].to_string()));
            }
            if let Some((_, c)) = n.and_then(|n| code.get(n)) {
                out.push(Piece::Code((*c).to_string()));
            }
            rest = &rest[start + len + CLOSE.len_utf8()..];
        }
        if !rest.is_empty() {
            out.push(Piece::Text(rest.to_string()));
        }
        out
    }
}

/// A whole number that can be counted in words.
pub(crate) trait Count: Into<FluentValue<'static>> {}
impl Count for u64 {}
impl Count for i64 {}
impl Count for u32 {}
impl Count for usize {}

/// A count: selects the plural form, shown with the language's grouping.
pub(crate) fn num(n: impl Count) -> FluentValue<'static> {
    n.into()
}

/// Text, shown as is (an id, a seq, a date, a hash, evidence).
pub(crate) fn txt<'a>(s: impl ToString) -> FluentValue<'a> {
    FluentValue::from(s.to_string())
}

fn build(lang: Lang, code: &str, source: &'static str) -> Bundle {
    let id: unic_langid::LanguageIdentifier = code.parse().expect("a valid language code");
    let resource = FluentResource::try_new(source.to_string())
        .unwrap_or_else(|(_, errors)| panic!("the {code} catalog does not parse: {errors:?}"));
    let mut bundle = Bundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: the renderers escape
    // bidirectional controls in untrusted text, and marks added here would
    // show as `<U+2068>` around every value.
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(match lang {
        Lang::En => format_en,
        Lang::Uk => format_uk,
    }));
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("the {code} catalog: {errors:?}"));
    bundle
}

fn format_en<M: MemoizerKind>(v: &FluentValue<'_>, _: &M) -> Option<String> {
    grouped(v, ",")
}

/// CLDR's Ukrainian grouping separator is a no-break space.
fn format_uk<M: MemoizerKind>(v: &FluentValue<'_>, _: &M) -> Option<String> {
    grouped(v, "\u{a0}")
}

/// A whole number with thousands grouped by `sep`; `None` (Fluent's own
/// formatting) for anything else.
fn grouped(v: &FluentValue<'_>, sep: &str) -> Option<String> {
    let FluentValue::Number(n) = v else {
        return None;
    };
    if n.value.fract() != 0.0 || n.value.abs() >= 1e15 {
        return None;
    }
    let digits = format!("{}", n.value.abs() as u64);
    let mut out = String::new();
    if n.value < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod tests;
