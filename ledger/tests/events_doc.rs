//! docs/EVENTS.md is the investigators' reference of what `custody append`
//! accepts. These tests hold it to the code, so that it cannot drift:
//!
//! - its evidence types are `Event::EVIDENCE_TYPES`, and with the types it
//!   says commands write, every type `Event::type_name` knows;
//! - each type's example parses (`event_from_value`, the append path) and
//!   sets every field; the table lists exactly the fields the code accepts
//!   for that type (read from the code's own refusal of an unknown field, so
//!   an optional field added to a struct is caught too), exactly the keys
//!   of the example, and exactly the keys of the parsed event serialized
//!   back;
//! - a field marked required is refused when left out, naming it; an
//!   optional one is not; a "short text" or "long text" field takes its
//!   limit and refuses one byte more; a field linked to a vocabulary holds
//!   one of its values;
//! - each vocabulary lists its `ALL` names, in order, and every vocabulary
//!   of format/src/event.rs has a section;
//! - the date forms, the refused lines, the input sugar (targets by prefix
//!   or seq, attachments by file) and the links are what the page says they
//!   are.
//!
//! Every failure message says what to change in docs/EVENTS.md (or, where
//! the page is right and the code moved, in this test).

use custody_format::event::EntryHash;
use custody_format::event::{
    limits, Category, CorrespondenceKind, DeathCause, Event, IllTreatmentKind, IllTreatmentSource,
    ProceedingStage, ReleaseKind, Role, SightingSource, Source, Visitor,
};
use custody_format::time::{OccurredAt, Timestamp};
use custody_ledger::input::{
    event_from_value, event_from_value_in, EventReader, InputContext, ResolveTarget, TargetRef,
};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

const DOC: &str = "docs/EVENTS.md";

fn read_repo_file(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

/// A heading of the page and the lines under it, up to the next heading.
struct Section {
    level: usize,
    title: String,
    lines: Vec<String>,
}

impl Section {
    /// The title without its backticks: a type's heading is `` `capture` ``.
    fn name(&self) -> &str {
        self.title.trim_matches('`')
    }

    /// The first table whose header is `header`, as rows of cells.
    fn table(&self, header: &[&str]) -> Vec<Vec<String>> {
        let start = self
            .lines
            .iter()
            .position(|l| l.starts_with('|') && cells(l) == header)
            .unwrap_or_else(|| {
                panic!(
                    "{DOC}, section {:?}: no table with the header | {} |; write one",
                    self.title,
                    header.join(" | ")
                )
            });
        // Rows follow the header and its |---| line, up to the first line
        // that is not a table row.
        self.lines[start + 1..]
            .iter()
            .take_while(|l| l.starts_with('|'))
            .filter(|l| !l.starts_with("|---"))
            .map(|l| cells(l))
            .collect()
    }

    /// The ```json blocks, each as its lines.
    fn json_blocks(&self) -> Vec<Vec<String>> {
        let mut blocks = Vec::new();
        let mut current: Option<Vec<String>> = None;
        for l in &self.lines {
            match (&mut current, l.trim()) {
                (None, "```json") => current = Some(Vec::new()),
                (Some(_), "```") => blocks.extend(current.take()),
                (Some(b), line) if !line.is_empty() => b.push(line.to_string()),
                _ => {}
            }
        }
        blocks
    }
}

/// The cells of a table row; a `|` inside backticks is not a separator.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut in_code = false;
    for c in inner.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.last_mut().unwrap().push(c);
            }
            '|' if !in_code => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// The text of a cell that is one code span: `` `x` `` gives `x`.
fn code(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?
        .strip_suffix('`')
        .filter(|s| !s.contains('`'))
}

/// Every code span in a cell.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

fn sections() -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut in_fence = false;
    for line in read_repo_file(DOC).lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !in_fence && hashes > 0 && line[hashes..].starts_with(' ') {
            out.push(Section {
                level: hashes,
                title: line[hashes..].trim().to_string(),
                lines: Vec::new(),
            });
        } else if let Some(s) = out.last_mut() {
            s.lines.push(line.to_string());
        }
    }
    out
}

/// The `###` sections under the `##` section titled `parent`.
fn subsections<'a>(all: &'a [Section], parent: &str) -> Vec<&'a Section> {
    let start = all
        .iter()
        .position(|s| s.level == 2 && s.title == parent)
        .unwrap_or_else(|| panic!("{DOC}: no section \"## {parent}\"; this test reads it"));
    all[start + 1..]
        .iter()
        .take_while(|s| s.level > 2)
        .filter(|s| s.level == 3)
        .collect()
}

fn section<'a>(all: &'a [Section], title: &str) -> &'a Section {
    all.iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("{DOC}: no section titled {title:?}; this test reads it"))
}

/// GitHub's anchor for a heading.
fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// A row of a field table: the field, whether it is required, the value
/// cell.
type FieldRow = (String, bool, String);

/// One documented event type: its name, field table and examples.
struct TypeDoc {
    name: String,
    rows: Vec<FieldRow>,
    examples: Vec<Map<String, Value>>,
}

impl TypeDoc {
    fn fields(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.0.clone()).collect()
    }

    /// The example that sets every field of the table.
    fn complete_example(&self) -> &Map<String, Value> {
        let fields: BTreeSet<String> = self.fields().into_iter().collect();
        self.examples
            .iter()
            .find(|e| keys(e) == fields)
            .unwrap_or_else(|| {
                let first = keys(&self.examples[0]);
                panic!(
                    "{DOC}, `{}`: no example sets exactly the fields of the table. Fields of the table the example leaves out (set them in the example): {:?}; keys of the example the table lacks (add rows): {:?}",
                    self.name,
                    fields.difference(&first).collect::<Vec<_>>(),
                    first.difference(&fields).collect::<Vec<_>>()
                )
            })
    }
}

fn keys(m: &Map<String, Value>) -> BTreeSet<String> {
    m.keys().filter(|k| *k != "type").cloned().collect()
}

fn field_rows(s: &Section, context: &str) -> Vec<FieldRow> {
    s.table(&["field", "required", "value"])
        .into_iter()
        .map(|r| {
            let field = code(&r[0]).unwrap_or_else(|| {
                panic!(
                    "{DOC}, {context}: the field cell {:?} must be one `code` span",
                    r[0]
                )
            });
            let required = match r[1].as_str() {
                "yes" => true,
                "no" => false,
                other => panic!(
                    "{DOC}, {context}, field `{field}`: required is {other:?}; write yes or no"
                ),
            };
            (field.to_string(), required, r[2].clone())
        })
        .collect()
}

fn documented_types() -> Vec<TypeDoc> {
    let all = sections();
    subsections(&all, "Evidence types")
        .into_iter()
        .map(|s| {
            let name = s.name().to_string();
            let rows = field_rows(s, &format!("`{name}`"));
            let examples: Vec<Map<String, Value>> = s
                .json_blocks()
                .into_iter()
                .map(|b| {
                    assert_eq!(
                        b.len(),
                        1,
                        "{DOC}, `{name}`: write each example as one ```json block of one line"
                    );
                    match serde_json::from_str(&b[0]) {
                        Ok(Value::Object(m)) => m,
                        other => {
                            panic!("{DOC}, `{name}`: the example is not a JSON object: {other:?}")
                        }
                    }
                })
                .collect();
            assert!(
                !examples.is_empty(),
                "{DOC}, `{name}`: add a ```json example that sets every field"
            );
            TypeDoc {
                name,
                rows,
                examples,
            }
        })
        .collect()
}

fn parse(m: &Map<String, Value>) -> Result<Event, custody_format::event::FieldError> {
    event_from_value(Value::Object(m.clone()))
}

/// The fields the code accepts, as named by its refusal of an unknown one
/// (serde lists them: "expected one of `a`, `b`"). `probe_into` adds the
/// unknown key to the object it is given.
fn accepted_fields(
    example: &Map<String, Value>,
    probe_into: impl Fn(&mut Map<String, Value>) -> &mut Map<String, Value>,
) -> Vec<String> {
    let mut probed = example.clone();
    probe_into(&mut probed).insert("not_a_field_of_any_event".into(), Value::Bool(true));
    let e = parse(&probed).expect_err("an unknown field must be refused");
    let expected = e
        .message
        .split_once("expected")
        .map(|(_, list)| list)
        .unwrap_or_else(|| panic!("the refusal of an unknown field lists no fields: {e}"));
    assert!(
        expected.ends_with('`'),
        "the refusal of an unknown field was cut short, so this test cannot read the fields the code accepts: {e}"
    );
    code_spans(expected).into_iter().map(String::from).collect()
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// The values of each vocabulary, by the name of its enum.
fn vocabulary(ident: &str) -> Option<Vec<&'static str>> {
    Some(match ident {
        "Role" => names(Role::ALL, Role::name),
        "Category" => names(Category::ALL, Category::name),
        "SightingSource" => names(SightingSource::ALL, SightingSource::name),
        "Source" => names(Source::ALL, Source::name),
        "Visitor" => names(Visitor::ALL, Visitor::name),
        "ProceedingStage" => names(ProceedingStage::ALL, ProceedingStage::name),
        "IllTreatmentKind" => names(IllTreatmentKind::ALL, IllTreatmentKind::name),
        "IllTreatmentSource" => names(IllTreatmentSource::ALL, IllTreatmentSource::name),
        "ReleaseKind" => names(ReleaseKind::ALL, ReleaseKind::name),
        "DeathCause" => names(DeathCause::ALL, DeathCause::name),
        "CorrespondenceKind" => names(CorrespondenceKind::ALL, CorrespondenceKind::name),
        _ => return None,
    })
}

/// The enum a "Values" heading documents: "Ill-treatment kind" is
/// `IllTreatmentKind`.
fn vocabulary_ident(title: &str) -> String {
    title
        .split([' ', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The enums format/src/event.rs defines with `vocabulary!`.
fn vocabularies_in_code() -> Vec<String> {
    let src = read_repo_file("format/src/event.rs");
    let mut lines = src.lines().map(str::trim);
    let mut out = Vec::new();
    while lines.any(|l| l == "vocabulary! {") {
        let ident = lines
            .find(|l| !l.starts_with("///") && !l.starts_with("#["))
            .and_then(|l| l.strip_suffix(" {"))
            .expect("a vocabulary! invocation names its enum on the line after its docs");
        out.push(ident.to_string());
    }
    assert!(
        out.len() >= 11,
        "this test found only {out:?} in format/src/event.rs: update vocabularies_in_code to the file's layout"
    );
    out
}

/// The JSON names `Event::type_name` gives, from format/src/event.rs.
fn type_names_in_code() -> BTreeSet<String> {
    let src = read_repo_file("format/src/event.rs");
    let body = src
        .split_once("pub fn type_name")
        .and_then(|(_, rest)| rest.split_once("pub const EVIDENCE_TYPES"))
        .map(|(body, _)| body)
        .expect("format/src/event.rs has Event::type_name, then EVIDENCE_TYPES");
    let out: BTreeSet<String> = body
        .lines()
        .filter_map(|l| l.split_once("=> \"").map(|(_, r)| r))
        .filter_map(|r| r.split_once('"').map(|(name, _)| name.to_string()))
        .collect();
    assert!(
        out.len() >= 16,
        "this test found only {out:?} in Event::type_name: update type_names_in_code to the file's layout"
    );
    out
}

#[test]
fn the_documented_types_are_the_evidence_types_and_commands_write_the_rest() {
    let documented: BTreeSet<String> = documented_types().into_iter().map(|t| t.name).collect();
    let mut evidence: BTreeSet<String> = Event::EVIDENCE_TYPES
        .iter()
        .map(|s| s.to_string())
        .collect();
    evidence.insert("correction".into());
    assert_eq!(
        documented.difference(&evidence).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "{DOC} documents, under \"## Evidence types\", types `custody append` does not accept: remove their sections"
    );
    assert_eq!(
        evidence.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "{DOC} lacks a \"### `type`\" section under \"## Evidence types\" for these types (Event::EVIDENCE_TYPES): add one with its table and example"
    );

    let all = sections();
    let by_command = section(&all, "Entries written by commands").table(&["type", "written by"]);
    let mut governance = BTreeSet::new();
    for row in &by_command {
        let ty = code(&row[0]).expect("a type cell is one `code` span");
        let command = code_spans(&row[1]);
        let words: Vec<&str> = command
            .first()
            .unwrap_or_else(|| panic!("{DOC}: name the `custody …` command that writes `{ty}`"))
            .split(' ')
            .take(2)
            .collect();
        let e = event_from_value(serde_json::json!({ "type": ty }))
            .expect_err("append must refuse what commands write");
        assert!(
            e.field == "type" && e.message.contains("not by append"),
            "{DOC} says `{ty}` is written by a command, but append does not refuse it as such: {e}; fix the table \"Entries written by commands\""
        );
        assert!(
            e.message.contains(&words.join(" ")),
            "{DOC} says `{ty}` is written by `{}`, but append's refusal names another command: {e}",
            words.join(" ")
        );
        governance.insert(ty.to_string());
    }
    let code_types = type_names_in_code();
    let documented_all: BTreeSet<String> = documented.union(&governance).cloned().collect();
    assert_eq!(
        code_types.difference(&documented_all).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "Event::type_name has types {DOC} never mentions: document them under \"## Evidence types\" or in the table \"Entries written by commands\""
    );
    assert_eq!(
        documented_all.difference(&code_types).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "{DOC} names types the code does not have: remove them"
    );
}

#[test]
fn each_table_lists_exactly_the_fields_of_its_type_and_its_example_sets_them_all() {
    for t in documented_types() {
        for (i, example) in t.examples.iter().enumerate() {
            let event = parse(example).unwrap_or_else(|e| {
                panic!(
                    "{DOC}, `{}`: example {} does not parse: {e}; fix it",
                    t.name,
                    i + 1
                )
            });
            assert_eq!(
                event.type_name(),
                t.name,
                "{DOC}, `{}`: example {} is of another type",
                t.name,
                i + 1
            );
        }
        let complete = t.complete_example();
        let accepted = accepted_fields(complete, |m| m);
        assert_eq!(
            t.fields(),
            accepted,
            "{DOC}, `{}`: the table's fields (left) are not those the code accepts for this type (right), in order: add, remove or reorder rows, and set every field in the example",
            t.name
        );
        let back = serde_json::to_value(parse(complete).unwrap()).unwrap();
        let back_keys = keys(back.as_object().unwrap());
        let fields: BTreeSet<String> = t.fields().into_iter().collect();
        assert_eq!(
            fields, back_keys,
            "{DOC}, `{}`: the table's fields (left) are not the fields of the parsed example written back (right): add the missing rows, and set every field in the example",
            t.name
        );
    }
}

#[test]
fn required_fields_are_refused_when_left_out_and_optional_ones_are_not() {
    for t in documented_types() {
        let complete = t.complete_example();
        for (field, required, _) in &t.rows {
            let mut without = complete.clone();
            without.remove(field);
            match (parse(&without), required) {
                (Ok(_), true) => panic!(
                    "{DOC}, `{}`: `{field}` is marked required, but an event without it is accepted: write `no` in its row",
                    t.name
                ),
                (Err(e), false) => panic!(
                    "{DOC}, `{}`: `{field}` is marked optional, but an event without it is refused ({e}): write `yes` in its row",
                    t.name
                ),
                (Err(e), true) => assert_eq!(
                    &e.field, field,
                    "{DOC}, `{}`: leaving out `{field}` is refused naming another field: {e}",
                    t.name
                ),
                (Ok(_), false) => {}
            }
        }
    }
}

/// Sets `field` to a text of `len` bytes in `m` and parses `event`.
fn with_text(
    event: &Map<String, Value>,
    field: &str,
    len: usize,
    target: impl Fn(&mut Map<String, Value>) -> &mut Map<String, Value>,
) -> Result<Event, custody_format::event::FieldError> {
    let mut m = event.clone();
    target(&mut m).insert(field.to_string(), Value::String("x".repeat(len)));
    parse(&m)
}

/// Checks that each "short text"/"long text" row takes its limit and
/// refuses one byte more.
fn check_text_limits(
    context: &str,
    rows: &[FieldRow],
    event: &Map<String, Value>,
    target: impl Fn(&mut Map<String, Value>) -> &mut Map<String, Value> + Copy,
    path: &str,
) {
    for (field, _, value) in rows {
        let limit = if value.starts_with("short text") {
            limits::SHORT_TEXT
        } else if value.starts_with("long text") {
            limits::LONG_TEXT
        } else {
            continue;
        };
        let kind = &value[..value.find(" text").unwrap() + 5];
        if let Err(e) = with_text(event, field, limit, target) {
            panic!("{DOC}, {context}: `{field}` is {kind}, but {limit} bytes are refused ({e}); fix its row")
        }
        match with_text(event, field, limit + 1, target) {
            Ok(_) => panic!(
                "{DOC}, {context}: `{field}` is {kind} (at most {limit} bytes), but {} bytes are accepted; fix its row",
                limit + 1
            ),
            Err(e) => assert_eq!(
                e.field,
                format!("{path}{field}"),
                "{DOC}, {context}: an overlong `{field}` is refused naming another field: {e}"
            ),
        }
    }
}

#[test]
fn short_and_long_text_fields_have_the_documented_limits() {
    for t in documented_types() {
        let context = format!("`{}`", t.name);
        check_text_limits(&context, &t.rows, t.complete_example(), |m| m, "");
    }
    let (rows, attachment) = attachment_doc();
    let event = capture_with(&attachment);
    check_text_limits(
        "Attachments",
        &rows,
        &event,
        |m| first_attachment(m),
        "attachments[0].",
    );
}

#[test]
fn a_field_linked_to_a_vocabulary_holds_one_of_its_values() {
    let all = sections();
    let vocabularies: Vec<(String, Vec<String>)> = subsections(&all, "Values")
        .into_iter()
        .map(|s| (anchor(&s.title), values_of(s)))
        .collect();
    let mut linked = 0;
    for t in documented_types() {
        let example = t.complete_example();
        for (field, _, value) in &t.rows {
            for (anchor, values) in &vocabularies {
                if value.contains(&format!("](#{anchor})")) {
                    linked += 1;
                    let v = example[field].as_str().unwrap_or_default();
                    assert!(
                        values.iter().any(|x| x == v),
                        "{DOC}, `{}`: `{field}` links to the values #{anchor}, but its example value {v:?} is not one of them: link the vocabulary the field takes",
                        t.name
                    );
                }
            }
        }
    }
    assert!(linked >= 10, "{DOC}: the tables link fields to the vocabularies under \"## Values\" with [name](#anchor); found {linked} links");
}

fn values_of(s: &Section) -> Vec<String> {
    s.table(&["value", "meaning"])
        .into_iter()
        .map(|r| {
            assert!(
                !r[1].is_empty(),
                "{DOC}, values of {:?}: say what {} means",
                s.title,
                r[0]
            );
            code(&r[0])
                .unwrap_or_else(|| {
                    panic!(
                        "{DOC}, values of {:?}: write the value {:?} as one `code` span",
                        s.title, r[0]
                    )
                })
                .to_string()
        })
        .collect()
}

#[test]
fn each_vocabulary_lists_its_values_in_order() {
    let all = sections();
    let documented: Vec<(String, Vec<String>)> = subsections(&all, "Values")
        .into_iter()
        .map(|s| (vocabulary_ident(&s.title), values_of(s)))
        .collect();
    for ident in vocabularies_in_code() {
        let values = vocabulary(&ident).unwrap_or_else(|| {
            panic!("format/src/event.rs defines the vocabulary {ident}: add its section under \"## Values\" in {DOC}, and a line for it in `vocabulary` in ledger/tests/events_doc.rs")
        });
        let doc = documented
            .iter()
            .find(|(d, _)| *d == ident)
            .map(|(_, v)| v)
            .unwrap_or_else(|| {
                panic!("{DOC} has no section for the vocabulary {ident} under \"## Values\" (a heading such as \"### Ill-treatment kind\" for IllTreatmentKind): add one with a | value | meaning | table")
            });
        assert_eq!(
            doc, &values,
            "{DOC}, values of {ident}: the table (left) must list exactly the code's values (right), in this order; add, remove or reorder rows"
        );
    }
    for (ident, _) in &documented {
        assert!(
            vocabulary(ident).is_some(),
            "{DOC} has a section \"### …\" under \"## Values\" for {ident}, which is not a vocabulary of the code: rename or remove it"
        );
    }
}

/// The attachment table and the example of the "Attachments" section.
fn attachment_doc() -> (Vec<FieldRow>, Map<String, Value>) {
    let all = sections();
    let s = section(&all, "Attachments");
    let rows = field_rows(s, "Attachments");
    let blocks = s.json_blocks();
    let example = match blocks.first().map(|b| serde_json::from_str(&b.join(""))) {
        Some(Ok(Value::Object(m))) => m,
        other => {
            panic!("{DOC}, Attachments: add one ```json example of an attachment object: {other:?}")
        }
    };
    (rows, example)
}

fn capture_with(attachment: &Map<String, Value>) -> Map<String, Value> {
    let v = serde_json::json!({"type":"capture","person":"P-0001","occurred_at":"2022-05-17","attachments":[attachment]});
    v.as_object().unwrap().clone()
}

fn first_attachment(event: &mut Map<String, Value>) -> &mut Map<String, Value> {
    event["attachments"][0].as_object_mut().unwrap()
}

#[test]
fn the_attachment_table_is_the_attachments_of_the_code() {
    let (rows, attachment) = attachment_doc();
    let event = capture_with(&attachment);
    parse(&event).unwrap_or_else(|e| panic!("{DOC}, Attachments: the example does not parse: {e}"));
    let fields: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    assert_eq!(
        fields,
        accepted_fields(&event, |m| first_attachment(m)),
        "{DOC}, Attachments: the table's fields (left) are not those the code accepts (right), in order"
    );
    assert_eq!(
        fields.iter().cloned().collect::<BTreeSet<_>>(),
        keys(&attachment),
        "{DOC}, Attachments: the example must set every field of the table, and only those"
    );
    for (field, required, _) in &rows {
        let mut without = event.clone();
        first_attachment(&mut without).remove(field);
        match (parse(&without), required) {
            (Ok(_), true) => panic!("{DOC}, Attachments: `{field}` is marked required, but is not: write `no`"),
            (Err(e), false) => panic!("{DOC}, Attachments: `{field}` is marked optional, but leaving it out is refused ({e}): write `yes`"),
            (Err(e), true) => assert_eq!(e.field, format!("attachments[0].{field}"), "{e}"),
            (Ok(_), false) => {}
        }
    }
}

#[test]
fn the_date_forms_have_the_documented_precision() {
    let all = sections();
    let rows = section(&all, "Dates").table(&["form", "example", "precision"]);
    let mut precisions = BTreeSet::new();
    for row in &rows {
        let examples = code_spans(&row[1]);
        assert!(
            !examples.is_empty(),
            "{DOC}, Dates: give an example of {:?} as `code`",
            row[0]
        );
        for ex in examples {
            let at = OccurredAt::parse(ex)
                .unwrap_or_else(|e| panic!("{DOC}, Dates: the example {ex:?} is refused: {e}"));
            assert_eq!(
                at.precision(),
                row[2],
                "{DOC}, Dates: {ex:?} has the precision {} (fix the row)",
                at.precision()
            );
            precisions.insert(at.precision());
        }
    }
    assert_eq!(
        precisions.len(),
        4,
        "{DOC}, Dates: show one form of each precision (year, month, day, instant)"
    );
}

#[test]
fn the_refused_lines_are_refused_naming_the_documented_field() {
    let all = sections();
    let rows = section(&all, "What is refused").table(&["line", "refused, naming", "why"]);
    assert!(
        rows.len() >= 10,
        "{DOC}, What is refused: the table is nearly empty"
    );
    for row in &rows {
        let line = code(&row[0]).unwrap_or_else(|| {
            panic!(
                "{DOC}, What is refused: write the line {:?} as one `code` span",
                row[0]
            )
        });
        let field = code(&row[1]);
        let err = EventReader::new(line.as_bytes())
            .find_map(Result::err)
            .unwrap_or_else(|| {
                panic!("{DOC}, What is refused: {line} is accepted; remove its row")
            });
        assert_eq!(
            err.field.as_deref(),
            field,
            "{DOC}, What is refused: {line} is refused naming another field ({err}); fix the second cell (— for none)"
        );
    }
}

#[test]
fn the_json_lines_shown_in_the_introduction_parse() {
    let all = sections();
    let blocks = section(&all, "One JSON object per line").json_blocks();
    assert!(!blocks.is_empty());
    for line in blocks.concat() {
        if let Some(e) = EventReader::new(line.as_bytes()).find_map(Result::err) {
            panic!("{DOC}, One JSON object per line: {line} is refused: {e}");
        }
    }
}

#[test]
fn every_link_within_the_page_names_a_heading() {
    let all = sections();
    let anchors: BTreeSet<String> = all.iter().map(|s| anchor(&s.title)).collect();
    for s in &all {
        for l in &s.lines {
            for part in l.split("](#").skip(1) {
                let target = part.split(')').next().unwrap_or_default();
                assert!(
                    anchors.contains(target),
                    "{DOC}, section {:?}: the link #{target} names no heading; fix it",
                    s.title
                );
            }
        }
    }
}

/// A ledger of one entry, at seq 5, for the input sugar's examples.
struct OneEntry(EntryHash);

impl ResolveTarget for OneEntry {
    fn resolve(&self, target: TargetRef<'_>) -> Result<EntryHash, String> {
        match target {
            TargetRef::Seq(5) => Ok(self.0),
            TargetRef::Prefix(p) if self.0.to_hex().starts_with(p) => Ok(self.0),
            other => Err(format!("no entry {other:?}")),
        }
    }
}

fn sugar_context<'a>(ledger: &'a OneEntry, base_dir: &std::path::Path) -> InputContext<'a> {
    InputContext {
        targets: ledger,
        base_dir: base_dir.to_path_buf(),
        now: Timestamp(chrono::Utc::now().timestamp_micros()),
    }
}

#[test]
fn the_input_sugar_shown_becomes_the_documented_fields() {
    let all = sections();
    let hash =
        EntryHash::from_hex("6d097e01cbee62676b498e5ac4cd0403fc2c293f8d8c7366cb8d87b695880361")
            .unwrap();
    let ledger = OneEntry(hash);
    let dir = tempfile::tempdir().unwrap();
    let ctx = sugar_context(&ledger, dir.path());
    let naming = section(&all, "Naming an earlier entry")
        .json_blocks()
        .concat();
    assert!(
        naming.len() >= 2,
        "{DOC}, Naming an earlier entry: show a target by prefix and one by target_seq"
    );
    for line in naming {
        let event = event_from_value_in(serde_json::from_str(&line).unwrap(), &ctx)
            .unwrap_or_else(|e| panic!("{DOC}, Naming an earlier entry: {line} is refused: {e}"));
        let Event::Correction(c) = event else {
            panic!("{DOC}, Naming an earlier entry: show corrections")
        };
        assert_eq!(
            c.target, hash,
            "{DOC}, Naming an earlier entry: {line} names another entry"
        );
    }

    let blocks = section(&all, "Attachments").json_blocks();
    let line = blocks.get(1).and_then(|b| b.first()).unwrap_or_else(|| {
        panic!("{DOC}, Attachments: show an event whose attachment names a `file`")
    });
    let value: Value = serde_json::from_str(line).unwrap();
    let file = value["attachments"][0]["file"]
        .as_str()
        .expect("an attachment names a file");
    let path = dir.path().join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"the video's bytes").unwrap();
    let event = event_from_value_in(value, &ctx)
        .unwrap_or_else(|e| panic!("{DOC}, Attachments: {line} is refused: {e}"));
    let attachment = &event.attachments()[0];
    use sha2::Digest;
    assert_eq!(
        attachment.sha256.0,
        <[u8; 32]>::from(sha2::Sha256::digest(b"the video's bytes")),
        "{DOC}, Attachments: custody does not fill sha256 from the file as the page says"
    );
    assert_eq!(
        attachment.media_type, "video/mp4",
        "{DOC}, Attachments: the media type is not taken from the extension"
    );
}
