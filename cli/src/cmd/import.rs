//! `custody import`: a case list kept in a spreadsheet (CSV), turned into
//! events by a mapping file (TOML), and appended as one atomic commit.
//!
//! Each row becomes JSON event objects as the mapping says, and each object
//! goes through `custody_ledger::input::event_from_value` — the parser of
//! `custody append` — and then `Ledger::precheck` and `Ledger::append`, the
//! checks every append goes through: an import can write nothing that
//! `custody append` would refuse. What import adds is the spreadsheet's
//! view of errors: each names the row (1-based, the header is row 1, as a
//! spreadsheet numbers them) and the column, and every error of the file is
//! reported at once, so a sheet is fixed in one pass.
//!
//! It is a dry run unless `--apply` is given: it prints what it would append
//! and writes nothing. With `--apply` everything is appended in one commit
//! or nothing is. docs/IMPORT.md is the reference of the mapping file.

use crate::exit::{env, refusal_advice, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::Args;
use custody_format::event::EntryHash;
use custody_format::event::Event;
use custody_ledger::input::{
    event_from_value, event_from_value_in, InputContext, ResolveTarget, TargetRef,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Most events one import appends: they are one commit, held in memory.
const MAX_IMPORT_EVENTS: usize = 50_000;

/// `custody import`.
#[derive(Args)]
#[command(after_help = "\
Without --apply nothing is written: each event the sheet would give is
listed (row, type, person, date). With --key the events are also checked
against the ledger (the signer's role, the rules) as append checks them.
--apply appends them all in one atomic commit, or nothing. Every error names
its row (the header is row 1) and column, and all of them are reported.
The mapping file is described in docs/IMPORT.md.")]
pub(crate) struct ImportArgs {
    /// The spreadsheet, saved as CSV (UTF-8; Excel's byte order mark is fine).
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,
    /// The mapping from columns to events (TOML; see docs/IMPORT.md).
    #[arg(long, value_name = "MAP.toml")]
    mapping: PathBuf,
    /// An investigator's private key: checks the events against the ledger,
    /// and with --apply signs them.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Append the events (default: a dry run that writes nothing).
    #[arg(long, requires = "key")]
    apply: bool,
    /// Confirm that ID is a new person although its id is near another's
    /// (as `custody append --new-person`); repeat for each.
    #[arg(long, value_name = "ID")]
    new_person: Vec<String>,
}

/// The mapping file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    /// One table per event a row may give, in the order they are appended.
    #[serde(rename = "event", default)]
    events: Vec<EventMap>,
}

/// How rows give one event type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventMap {
    /// The event type (`missing_report`, `capture`, …).
    #[serde(rename = "type")]
    type_name: String,
    /// Only rows whose cell in this column is not empty give this event.
    #[serde(default)]
    when: Option<String>,
    /// The event's fields: where each comes from.
    fields: BTreeMap<String, FieldSpec>,
}

/// Where one field's value comes from.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldSpec {
    /// A column of the sheet; an empty cell leaves the field out.
    #[serde(default)]
    column: Option<String>,
    /// A constant, the same for every row.
    #[serde(default)]
    value: Option<toml::Value>,
    /// The column holds dates in this strftime format (e.g. `%d/%m/%Y`).
    #[serde(default)]
    date_format: Option<String>,
    /// How the cell is read: `text` (default), `boolean`, or `files`.
    #[serde(default)]
    kind: Kind,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    #[default]
    Text,
    Boolean,
    /// Paths of attachment files, separated by `;`: the field (for
    /// `attachments`) becomes `[{"file": PATH}, …]`, each file hashed as
    /// `custody append` hashes one (relative to the sheet's directory).
    Files,
}

/// A field resolved against the sheet's header.
enum Source {
    Column {
        index: usize,
        date_format: Option<String>,
        kind: Kind,
    },
    Constant(Value),
}

/// An event mapping resolved against the header.
struct Plan {
    type_name: String,
    when: Option<usize>,
    fields: Vec<(String, Source)>,
}

/// The mapping resolved against the sheet, and how its events are read.
struct Sheet<'a> {
    plans: Vec<Plan>,
    header: Vec<String>,
    input: InputContext<'a>,
}

/// A sheet names a correction's or a dispute's target by its full hash: a
/// prefix or a sequence number would be resolved against the ledger as it
/// is when the sheet is imported, not as it was when the sheet was written.
struct FullHashesOnly;

impl ResolveTarget for FullHashesOnly {
    fn resolve(&self, _: TargetRef<'_>) -> Result<EntryHash, String> {
        Err("in an import, name the entry by its full hash (64 hex digits, as `custody log --json` shows it)".into())
    }
}

/// One event the sheet gives.
struct Planned {
    row: usize,
    event: Event,
}

fn read_mapping(path: &Path) -> Result<Mapping, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?;
    let mapping: Mapping = toml::from_str(&text).map_err(|e| {
        refused(anyhow::anyhow!(
            "{}: not a valid mapping: {}; see docs/IMPORT.md",
            path.display(),
            e.to_string().trim_end()
        ))
    })?;
    if mapping.events.is_empty() {
        return Err(refused(anyhow::anyhow!(
            "{}: the mapping has no [[event]] table; see docs/IMPORT.md",
            path.display()
        )));
    }
    Ok(mapping)
}

/// Whether `field` is one of `type_name`'s fields, asked of the parser
/// itself (it refuses unknown fields by name before anything else), so the
/// mapping can never disagree with `custody append`.
fn unknown_field(type_name: &str, field: &str) -> Option<String> {
    let mut probe = Map::new();
    probe.insert("type".into(), Value::String(type_name.into()));
    probe.insert(field.into(), Value::Null);
    match event_from_value(Value::Object(probe)) {
        Err(e) if e.message.starts_with("unknown field") => Some(e.message),
        _ => None,
    }
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

fn valid_date_format(format: &str) -> bool {
    use chrono::format::{Item, StrftimeItems};
    !format.is_empty() && StrftimeItems::new(format).all(|i| !matches!(i, Item::Error))
}

/// Resolves one field of an event mapping, or says what is wrong with it.
fn resolve_field(
    spec: &FieldSpec,
    columns: &HashMap<&str, usize>,
    header: &[String],
) -> Result<Source, String> {
    match (&spec.column, &spec.value) {
        (Some(_), Some(_)) => Err("give `column` or `value`, not both".into()),
        (None, None) => Err("give `column = \"…\"` or `value = …`".into()),
        (None, Some(v)) => {
            if spec.date_format.is_some() || spec.kind != Kind::Text {
                return Err("`date_format` and `kind` go with `column`, not `value`".into());
            }
            Ok(Source::Constant(toml_to_json(v)))
        }
        (Some(c), None) => {
            let index = *columns
                .get(c.as_str())
                .ok_or_else(|| no_column(c, header))?;
            if let Some(f) = &spec.date_format {
                if spec.kind != Kind::Text {
                    return Err("a date column is read as text: drop `kind`".into());
                }
                if !valid_date_format(f) {
                    return Err(format!(
                        "date_format {f:?} is not a valid strftime format (e.g. \"%d/%m/%Y\")"
                    ));
                }
            }
            Ok(Source::Column {
                index,
                date_format: spec.date_format.clone(),
                kind: spec.kind,
            })
        }
    }
}

fn no_column(column: &str, header: &[String]) -> String {
    format!(
        "column {:?} is not in the CSV's header (its columns: {})",
        column,
        header
            .iter()
            .map(|h| format!("{:?}", h))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Checks the whole mapping against the header; every problem is listed.
fn plan(mapping: Mapping, header: &[String], path: &Path) -> Result<Vec<Plan>, Vec<String>> {
    let columns: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let mut errors = Vec::new();
    let mut plans = Vec::new();
    for (n, m) in mapping.events.into_iter().enumerate() {
        let at = format!(
            "{}: event {} ({})",
            path.display(),
            n + 1,
            crate::escape::terminal(&m.type_name)
        );
        if !Event::EVIDENCE_TYPES.contains(&m.type_name.as_str()) {
            errors.push(format!(
                "{at}: unknown event type; expected one of {}",
                Event::EVIDENCE_TYPES.join(", ")
            ));
            continue;
        }
        let when = m.when.as_ref().and_then(|c| match columns.get(c.as_str()) {
            Some(i) => Some(*i),
            None => {
                errors.push(format!("{at}, `when`: {}", no_column(c, header)));
                None
            }
        });
        let mut fields = Vec::new();
        for (name, spec) in &m.fields {
            let at = format!("{at}, field `{}`", crate::escape::terminal(name));
            if name == "type" {
                errors.push(format!("{at}: the type is the table's `type`, not a field"));
                continue;
            }
            if let Some(message) = unknown_field(&m.type_name, name) {
                errors.push(format!("{at}: {message}"));
                continue;
            }
            match resolve_field(spec, &columns, header) {
                Ok(source) => fields.push((name.clone(), source)),
                Err(message) => errors.push(format!("{at}: {message}")),
            }
        }
        plans.push(Plan {
            type_name: m.type_name,
            when,
            fields,
        });
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        Err(errors)
    }
}

/// A cell of a date column: already an ISO date of any precision (`2023`,
/// `2023-07`, `2023-07-14`, an RFC 3339 instant) is kept as it is, so a
/// partly known date can still be typed; anything else is read with the
/// column's format and written as `YYYY-MM-DD`.
fn read_date(cell: &str, format: &str) -> Result<String, String> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(cell, format) {
        return Ok(d.format("%Y-%m-%d").to_string());
    }
    let b = cell.as_bytes();
    if b.len() >= 4 && b[..4].iter().all(u8::is_ascii_digit) && (b.len() == 4 || b[4] == b'-') {
        // ISO, of any precision: the parser checks it as append would.
        return Ok(cell.to_string());
    }
    Err(format!(
        "{:?} is not a date in the format {format:?}, nor an ISO date such as 2023-07-14, 2023-07 or 2023",
        cell
    ))
}

/// A cell read as the mapping says.
fn read_cell(cell: &str, date_format: Option<&str>, kind: Kind) -> Result<Value, String> {
    if let Some(format) = date_format {
        return read_date(cell, format).map(Value::String);
    }
    match kind {
        Kind::Text => Ok(Value::String(cell.to_string())),
        Kind::Boolean => match cell.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "n" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!(
                "{:?} is not yes or no (write true/false, yes/no, y/n or 1/0)",
                cell
            )),
        },
        Kind::Files => Ok(Value::Array(
            cell.split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| serde_json::json!({ "file": p }))
                .collect(),
        )),
    }
}

/// The events one row gives, or every error in it.
fn row_events(
    row: usize,
    cells: &[String],
    sheet: &Sheet<'_>,
    planned: &mut Vec<Planned>,
    errors: &mut Vec<String>,
    mapping_errors: &mut std::collections::HashSet<String>,
) {
    let column = |i: usize| format!("column {:?}", &sheet.header[i]);
    for plan in &sheet.plans {
        if plan.when.is_some_and(|i| cells[i].is_empty()) {
            continue;
        }
        let mut object = Map::new();
        object.insert("type".into(), Value::String(plan.type_name.clone()));
        let mut from_column = HashMap::new();
        let mut failed = std::collections::HashSet::new();
        for (name, source) in &plan.fields {
            match source {
                Source::Constant(v) => {
                    object.insert(name.clone(), v.clone());
                }
                Source::Column {
                    index,
                    date_format,
                    kind,
                } => {
                    from_column.insert(name.as_str(), *index);
                    let cell = &cells[*index];
                    if cell.is_empty() {
                        continue;
                    }
                    match read_cell(cell, date_format.as_deref(), *kind) {
                        Ok(v) => {
                            object.insert(name.clone(), v);
                        }
                        Err(message) => {
                            failed.insert(name.clone());
                            errors.push(format!("row {row}, {}: {message}", column(*index)));
                        }
                    }
                }
            }
        }
        let found = match parse_all_errors(object, failed, &sheet.input) {
            Ok(event) => {
                planned.push(Planned { row, event });
                continue;
            }
            Err(found) => found,
        };
        for e in found {
            let top = e.field.split(['.', '[']).next().unwrap_or_default();
            let what = format!(
                "{} field `{}`: {}",
                plan.type_name,
                crate::escape::terminal(&e.field),
                crate::escape::terminal(&e.message)
            );
            match from_column.get(top) {
                Some(&i) if cells[i].is_empty() => {
                    errors.push(format!("row {row}, {} (empty): {what}", column(i)));
                }
                Some(&i) => errors.push(format!("row {row}, {}: {what}", column(i))),
                // Not a cell's fault but the mapping's (a required field it
                // does not give, a bad constant): said once, not per row.
                None => {
                    if mapping_errors.insert(what.clone()) {
                        errors.push(format!(
                            "row {row} (and every row like it): {what}; the mapping gives this field no column: see docs/IMPORT.md"
                        ));
                    }
                }
            }
        }
    }
}

/// Parses an event as `custody append` does, and on failure finds every
/// error it can rather than the first: the parser stops at one bad field,
/// so that field is dropped and the rest parsed again. `failed` holds the
/// fields already reported (cells that could not be read); a field missing
/// because it was dropped is not reported twice, and the search stops
/// there (the parser names only the first missing field).
fn parse_all_errors(
    mut object: Map<String, Value>,
    mut failed: std::collections::HashSet<String>,
    input: &InputContext<'_>,
) -> Result<Event, Vec<custody_format::event::FieldError>> {
    let mut found = Vec::new();
    loop {
        match event_from_value_in(Value::Object(object.clone()), input) {
            Ok(event) if found.is_empty() && failed.is_empty() => return Ok(event),
            Ok(_) => return Err(found),
            Err(e) => {
                let top = e
                    .field
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let echo = failed.contains(&top);
                if !echo {
                    found.push(e);
                }
                if echo || object.remove(&top).is_none() {
                    return Err(found);
                }
                failed.insert(top);
            }
        }
    }
}

/// A cell as text, or the error naming where it is not UTF-8.
fn utf8(bytes: &[u8], row: usize, column: &str) -> Result<String, String> {
    std::str::from_utf8(bytes)
        .map(|s| s.trim().to_string())
        .map_err(|_| {
            format!("row {row}, column {column:?}: not UTF-8 text; save the sheet as \"CSV UTF-8\"")
        })
}

/// The header's names, refusing duplicates (which column would count?).
fn read_header(
    reader: &mut csv::Reader<std::fs::File>,
    path: &Path,
) -> Result<Vec<String>, Failure> {
    let raw = reader
        .byte_headers()
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", path.display())))?
        .clone();
    let mut header = Vec::new();
    let mut errors = Vec::new();
    for (i, bytes) in raw.iter().enumerate() {
        // Excel starts a "CSV UTF-8" file with a byte order mark.
        let bytes = if i == 0 {
            bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
        } else {
            bytes
        };
        match utf8(bytes, 1, &format!("#{}", i + 1)) {
            Ok(name) => header.push(name),
            Err(e) => errors.push(e),
        }
    }
    for (i, name) in header.iter().enumerate() {
        if !name.is_empty() && header[..i].contains(name) {
            errors.push(format!(
                "row 1, column {:?}: the header names this column twice (columns {} and {}); rename one",
                name,
                header.iter().position(|h| h == name).unwrap_or(0) + 1,
                i + 1
            ));
        }
    }
    if header.iter().all(String::is_empty) {
        errors.push("row 1: the CSV has no header row naming its columns".into());
    }
    if errors.is_empty() {
        Ok(header)
    } else {
        Err(report_errors(&errors, path))
    }
}

/// The row an error names first ("row 5, column ..."), if it names one.
fn row_of(error: &str) -> Option<usize> {
    let rest = error.strip_prefix("row ")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Prints every error, one a line, and returns the failure that sums them up.
///
/// Errors quote cells, column names and the mapping (`{:?}`, which escapes
/// control characters), and each line is escaped for the terminal here as
/// a whole: no cell can drive the terminal.
fn report_errors(errors: &[String], path: &Path) -> Failure {
    let summary = format!(
        "{}: {} error{}",
        path.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    if crate::exit::json_errors() {
        // One JSON object on stderr, as every failure with --json: the
        // errors are its `details`, each with its row as `line`.
        let details = errors
            .iter()
            .map(|e| crate::exit::Detail {
                line: row_of(e),
                field: None,
                message: e.clone(),
            })
            .collect();
        return refused(crate::exit::with_details(
            format!("{summary}; nothing was appended"),
            details,
        ));
    }
    for e in errors {
        eprintln!("{}", crate::escape::terminal(e));
    }
    refused(anyhow::anyhow!(
        "{summary} (listed above); nothing was appended"
    ))
}

/// Reads the sheet and turns every row into events, or lists every error.
fn read_sheet(args: &ImportArgs) -> Result<Vec<Planned>, Failure> {
    let mapping = read_mapping(&args.mapping)?;
    let file = std::fs::File::open(&args.csv)
        .map_err(|e| env(anyhow::anyhow!("{}: {e}", args.csv.display())))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let header = read_header(&mut reader, &args.csv)?;
    let plans = plan(mapping, &header, &args.mapping)
        .map_err(|errors| report_errors(&errors, &args.mapping))?;
    let sheet = Sheet {
        plans,
        header,
        // Read as append reads its input: dates in the future refused, an
        // attachment's `file` relative to the sheet's directory.
        input: InputContext {
            targets: &FullHashesOnly,
            base_dir: match args.csv.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            },
            now: custody_ledger::clock::now(),
        },
    };
    let header = &sheet.header;
    let mut planned = Vec::new();
    let mut errors = Vec::new();
    let mut mapping_errors = std::collections::HashSet::new();
    for (i, record) in reader.byte_records().enumerate() {
        let row = i + 2;
        let record =
            record.map_err(|e| env(anyhow::anyhow!("{}: row {row}: {e}", args.csv.display())))?;
        if record.len() != header.len() {
            errors.push(format!(
                "row {row}: {} cells, but the header has {} columns",
                record.len(),
                header.len()
            ));
            continue;
        }
        let cells: Vec<String> = match record
            .iter()
            .zip(header)
            .map(|(bytes, name)| utf8(bytes, row, name))
            .collect::<Result<_, _>>()
        {
            Ok(cells) => cells,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if cells.iter().all(String::is_empty) {
            continue; // a blank row
        }
        row_events(
            row,
            &cells,
            &sheet,
            &mut planned,
            &mut errors,
            &mut mapping_errors,
        );
        if planned.len() > MAX_IMPORT_EVENTS {
            return Err(refused(anyhow::anyhow!(
                "{}: more than {MAX_IMPORT_EVENTS} events (at row {row}); an import is one commit held in memory: split the sheet; nothing was appended",
                args.csv.display()
            )));
        }
    }
    if !errors.is_empty() {
        return Err(report_errors(&errors, &args.csv));
    }
    if planned.is_empty() {
        return Err(refused(anyhow::anyhow!(
            "{}: no row gives an event; nothing was appended",
            args.csv.display()
        )));
    }
    Ok(planned)
}

/// One line of the listing: row, type, person, date.
fn describe(ctx: &Context, p: &Planned, appended: Option<&custody_ledger::store::Appended>) {
    let person = p
        .event
        .person()
        .map(ToString::to_string)
        .unwrap_or_default();
    let date = p
        .event
        .occurred_at()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let type_name = p.event.type_name();
    if ctx.json {
        let mut v = json!({"row": p.row, "type": type_name, "person": person, "occurred_at": date});
        if let Some(a) = appended {
            v["seq"] = json!(a.seq);
            v["hash"] = json!(a.hash);
        }
        print_json(&v);
    } else {
        let ack = appended
            .map(|a| format!("  seq {} {}", a.seq, a.hash))
            .unwrap_or_default();
        println!(
            "row {}  {type_name}  {}  {date}{ack}",
            p.row,
            crate::escape::terminal(&person)
        );
    }
}

/// Ids of new persons shown as near one another, at most.
const NEAR_SHOWN: usize = 5;

/// Refuses, as `custody append` does, a new person whose id is near
/// another person's (in the ledger or the sheet: `ua-0101` beside
/// `UA-0101`), unless `--new-person` confirms it; nearness is
/// `custody_ledger::near_ids`', one pass over the ledger's persons.
fn check_near(
    ledger: &custody_ledger::store::Ledger,
    planned: &[Planned],
    confirmed: &[String],
    errors: &mut Vec<String>,
) -> Result<(), Failure> {
    let mut seen = std::collections::HashSet::new();
    let mut first_row: BTreeMap<String, usize> = BTreeMap::new();
    for p in planned {
        let Some(person) = p.event.person() else {
            continue;
        };
        if seen.insert(person.as_str().to_string()) && ledger.person_seqs(person)?.is_empty() {
            first_row.insert(person.as_str().to_string(), p.row);
        }
    }
    if first_row.is_empty() {
        return Ok(());
    }
    let index = custody_ledger::near_ids::NearIndex::new(first_row.keys().cloned().collect());
    let mut near: Vec<Vec<String>> = vec![Vec::new(); index.ids().len()];
    ledger.for_each_person_id(|existing| {
        for n in index.near(existing) {
            near[n].push(existing.to_string());
        }
    })?;
    let is_confirmed = |id: &str| confirmed.iter().any(|c| c == id);
    for (m, id) in index.ids().iter().enumerate() {
        for n in index.near(id) {
            if n != m && !is_confirmed(id) {
                near[n].push(format!("{id} (new, row {})", first_row[id]));
            }
        }
    }
    for (n, id) in index.ids().iter().enumerate() {
        if near[n].is_empty() || is_confirmed(id) {
            continue;
        }
        near[n].truncate(NEAR_SHOWN);
        errors.push(format!(
            "row {}, field `person`: {id} is a new person, but its id is near {} (it differs only in case or by one letter): if it is that person, write their id; if it is another person, confirm it with --new-person {id}",
            first_row[id],
            near[n].join(", ")
        ));
    }
    Ok(())
}

/// Runs `import`.
pub(crate) fn run(ctx: &Context, args: ImportArgs) -> CmdResult {
    let planned = read_sheet(&args)?;
    let Some(key_path) = &args.key else {
        for p in &planned {
            describe(ctx, p, None);
        }
        if ctx.json {
            return Ok(());
        }
        eprintln!(
            "dry run: {} event{} would be appended; nothing was written. Not checked against the ledger: pass --key to check them as append would, and --apply to append them",
            planned.len(),
            if planned.len() == 1 { "" } else { "s" }
        );
        return Ok(());
    };
    let mut ledger = if args.apply {
        ctx.open()?
    } else {
        ctx.open_read_only()?
    };
    let key = crate::cmd::key::signing_key(key_path)?;
    let mut errors = Vec::new();
    for p in &planned {
        if let Err(reason) = ledger.precheck(&p.event, &key)? {
            let advice = refusal_advice(&reason).map(|a| format!("; {a}"));
            errors.push(format!(
                "row {} ({}): {reason}{}",
                p.row,
                p.event.type_name(),
                advice.unwrap_or_default()
            ));
        }
    }
    check_near(&ledger, &planned, &args.new_person, &mut errors)?;
    if !errors.is_empty() {
        return Err(report_errors(&errors, &args.csv));
    }
    if !args.apply {
        for p in &planned {
            describe(ctx, p, None);
        }
        if ctx.json {
            return Ok(());
        }
        eprintln!(
            "dry run: {} event{} would be appended, and pass append's checks now; nothing was written (pass --apply to append them)",
            planned.len(),
            if planned.len() == 1 { "" } else { "s" }
        );
        return Ok(());
    }
    let rows: Vec<usize> = planned.iter().map(|p| p.row).collect();
    let events: Vec<Event> = planned.iter().map(|p| p.event.clone()).collect();
    let appended = match ledger.append(events, &key) {
        Ok(a) => a,
        Err(custody_ledger::store::AppendError::Refused { index, reason }) => {
            return Err(refused(anyhow::anyhow!(
                "{}: row {}: {reason}; nothing was appended",
                args.csv.display(),
                rows[index]
            )))
        }
        Err(e) => return Err(Failure::from(e).context("nothing was appended")),
    };
    for (p, a) in planned.iter().zip(&appended) {
        describe(ctx, p, Some(a));
    }
    if ctx.json {
        return Ok(());
    }
    eprintln!(
        "appended {} event{} from {} in one commit",
        appended.len(),
        if appended.len() == 1 { "" } else { "s" },
        crate::escape::path(&args.csv)
    );
    Ok(())
}
