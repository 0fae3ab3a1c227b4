//! The catalogs cannot drift: every message is in both, with the same
//! arguments; and Ukrainian counts take the right one of their three forms.

use super::{num, txt, Lang, Piece, SOURCES};
use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use std::collections::{BTreeMap, BTreeSet};

fn inline_vars<'s>(e: &InlineExpression<&'s str>, out: &mut BTreeSet<&'s str>) {
    match e {
        InlineExpression::VariableReference { id } => {
            out.insert(id.name);
        }
        InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline_vars(a, out);
            }
            for a in &arguments.named {
                inline_vars(&a.value, out);
            }
        }
        InlineExpression::Placeable { expression } => expr_vars(expression, out),
        _ => {}
    }
}

fn expr_vars<'s>(e: &Expression<&'s str>, out: &mut BTreeSet<&'s str>) {
    match e {
        Expression::Select { selector, variants } => {
            inline_vars(selector, out);
            for v in variants {
                pattern_vars(&v.value, out);
            }
        }
        Expression::Inline(i) => inline_vars(i, out),
    }
}

fn pattern_vars<'s>(p: &Pattern<&'s str>, out: &mut BTreeSet<&'s str>) {
    for el in &p.elements {
        if let PatternElement::Placeable { expression } = el {
            expr_vars(expression, out);
        }
    }
}

/// Every message of a catalog, with the variables it uses.
fn messages(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = fluent_syntax::parser::parse(source).expect("the catalog parses");
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        match entry {
            Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                if let Some(v) = &m.value {
                    pattern_vars(v, &mut vars);
                }
                let prev = out.insert(
                    m.id.name.to_string(),
                    vars.into_iter().map(String::from).collect(),
                );
                assert!(prev.is_none(), "message {} defined twice", m.id.name);
            }
            Entry::Junk { content } => panic!("unparsable catalog text: {content}"),
            _ => {}
        }
    }
    out
}

#[test]
fn every_message_is_in_both_catalogs_with_the_same_arguments() {
    let en = messages(SOURCES[0].2);
    let uk = messages(SOURCES[1].2);
    assert!(
        en.len() > 100,
        "the English catalog has {} messages",
        en.len()
    );
    let en_ids: BTreeSet<&String> = en.keys().collect();
    let uk_ids: BTreeSet<&String> = uk.keys().collect();
    assert_eq!(
        en_ids.difference(&uk_ids).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in English only"
    );
    assert_eq!(
        uk_ids.difference(&en_ids).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in Ukrainian only"
    );
    for (id, vars) in &en {
        assert_eq!(vars, &uk[id], "message {id}: the arguments differ");
    }
}

/// The drift check itself catches drift (a test that could fail).
#[test]
fn the_drift_check_sees_a_missing_argument() {
    let a = messages("m = { $n } days of { $who }\n");
    let b = messages("m = { $n } днів\n");
    assert_ne!(a["m"], b["m"]);
}

#[test]
fn every_catalog_loads_and_formats_with_no_error() {
    for lang in Lang::ALL {
        // Loading panics on a bad resource (or an id defined twice).
        assert!(!lang.t("heading-summary").is_empty());
    }
}

#[test]
fn ukrainian_days_take_their_three_forms() {
    let days = |n: u64| Lang::Uk.f("days-exact", &[("days", num(n))]);
    for (n, want) in [
        (1, "1 день"),
        (2, "2 дні"),
        (5, "5 днів"),
        (11, "11 днів"),
        (21, "21 день"),
        (22, "22 дні"),
        (25, "25 днів"),
        (111, "111 днів"),
        (1234, "1\u{a0}234 дні"),
    ] {
        assert_eq!(days(n), want, "{n}");
    }
    let en = |n: u64| Lang::En.f("days-exact", &[("days", num(n))]);
    assert_eq!(en(1), "1 day");
    assert_eq!(en(21), "21 days");
    assert_eq!(en(1234), "1,234 days");
}

#[test]
fn ukrainian_entries_and_items_agree_with_their_count() {
    let items = |n: u64| Lang::Uk.f("count-items", &[("count", num(n))]);
    assert_eq!(items(1), "1 позиція");
    assert_eq!(items(3), "3 позиції");
    assert_eq!(items(11), "11 позицій");
    assert_eq!(items(21), "21 позиція");
    let entries = |n: u64| Lang::Uk.f("count-entries", &[("count", num(n))]);
    assert_eq!(entries(1), "1 запис");
    assert_eq!(entries(4), "4 записи");
    assert_eq!(entries(12), "12 записів");
    assert_eq!(entries(1_000_000), "1\u{a0}000\u{a0}000 записів");
}

/// An id is text: never grouped, whatever its size.
#[test]
fn text_arguments_are_not_grouped() {
    let s = Lang::Uk.f("seq", &[("seq", txt(123_456u64))]);
    assert!(s.contains("123456"), "{s}");
}

#[test]
fn a_missing_value_message_falls_back_to_the_value() {
    assert_eq!(Lang::Uk.value("value", "no_such_value"), "no_such_value");
    assert_ne!(Lang::Uk.value("value", "held"), "held");
}

/// Code arguments come back as code, in the place the translation puts
/// them; text arguments cannot forge a code marker.
#[test]
fn code_arguments_stand_where_the_translation_puts_them() {
    let forged = "x\u{e000}0\u{e001}y";
    let p = Lang::Uk.pieces(
        "authority-key-value",
        &[("holder", txt(forged)), ("check", txt("c"))],
        &[("key", "abcd")],
    );
    assert_eq!(
        p,
        vec![
            Piece::Code("abcd".into()),
            Piece::Text(" (x\u{fffd}0\u{fffd}y) — c".into()),
        ]
    );
}

/// After "з" (out of) a count takes the genitive: з 21 запису, з 25 записів.
#[test]
fn ukrainian_counts_after_a_preposition_take_the_genitive() {
    let tree = |n: u64| Lang::Uk.f("proof-named-by-hash", &[("size", num(n))]);
    assert!(tree(21).contains("у дереві з 21 запису:"), "{}", tree(21));
    assert!(tree(25).contains("у дереві з 25 записів:"), "{}", tree(25));
    let between = |max: u64| Lang::Uk.f("days-between", &[("min", num(3u64)), ("max", num(max))]);
    assert!(
        between(21).starts_with("від 3 до 21 дня"),
        "{}",
        between(21)
    );
    assert!(
        between(30).starts_with("від 3 до 30 днів"),
        "{}",
        between(30)
    );
}
