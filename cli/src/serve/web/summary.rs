//! The web view's summary of every person: what the people list and the
//! report read, kept in the server's memory so that a request does not
//! decode every stored status (issue 14's time goals: the list with a
//! filter under 100 ms at 100,000 persons; reading the statuses takes
//! about a second).
//!
//! ## What it holds
//!
//! One compact row per person (id, name, both lowercased for the search,
//! status, flags, category, legal category, the two day counts the list
//! sorts by), the list's two sorted orders as indices, the counts at the
//! top of the list, the report's figures without cuts and its charts
//! (`super::charts`: the delays' distribution and the counts over time,
//! a few hundred points whatever the number of persons). About 200
//! bytes a person: some 20 MB at 100,000 persons (BENCHMARKS.md, "Web
//! pages", has the measured figure). One summary is kept; while a new
//! one is built the old one is still held, so twice that at the peak.
//!
//! ## Why it is never stale
//!
//! A status without cuts depends on the stored statuses and on "now"
//! only through its UTC day (`projection::day_bounds` counts whole UTC
//! days; `PersonStatus::apply_clock` reads the reference time through it
//! alone). So a summary is keyed by
//!
//! - the head of the snapshot it was built from (seq and hash: any
//!   append, checkpoint or revocation moves it; another chain at the same
//!   path has another hash),
//! - the UTC day it was built for,
//! - the store file's length and modification time, read before the
//!   snapshot is opened (`Ledger::file_stamp`): a commit that does not
//!   move the head (`custody rebuild` repairing a derived table) changes
//!   it.
//!
//! Each request opens its own snapshot (as every read of the server does)
//! and reads that key from it; a summary with another key is not used:
//! the request builds the one of its own snapshot, under a lock so that
//! concurrent requests build it once, and it replaces the kept one unless
//! that one is of a later head. The lock is held while building (about a
//! second at 100,000 persons: the first request after each append pays
//! it), the kept summary's lock only to swap an `Arc`.
//!
//! ## What a reader sees of it
//!
//! The rows hold names (for the search), but a reader whose token's
//! profile withholds names (`public`) never gets one through the summary:
//! the filter says whether names are shown (`ListFilter::names`), and
//! then the search matches ids only and the rows come out without names.
//! The counts and both sorted orders read no personal value (statuses,
//! day counts, ids), so they say nothing of a name either.
//!
//! Cuts (`as_of`, `known_at`) are not summarised: the report with cuts
//! reads the store as before. Tests (`tests` below) compare every list
//! and the report with what reading the store gives, on a generated
//! ledger, before and after an append, across a day and after a rebuild.

use super::charts::{ChartTally, Charts};
use super::pages::{ListFilter, Row, LEGAL_CATEGORIES};
use custody_format::event::Category;
use custody_format::event::EntryHash;
use custody_format::time::{Timestamp, MICROS_PER_DAY};
use custody_ledger::projection::report::{Report, ReportTally};
use custody_ledger::projection::{DayBounds, Flag, PersonStatus, Status};
use custody_ledger::store::{Ledger, StoreError};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What a summary was built from (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    seq: u64,
    hash: EntryHash,
    day: i64,
    file: (u64, SystemTime),
}

/// The legal category of a row: its index in [`LEGAL_CATEGORIES`] (none
/// is `unknown`, as the filter reads it), or this for a name the list
/// does not offer, which no filter matches.
const OTHER_LEGAL: u8 = u8::MAX;

/// One person, as the list shows and filters them.
struct PersonRow {
    person: Box<str>,
    name: Option<Box<str>>,
    /// The id lowercased, then the name lowercased (one allocation);
    /// `lower_id` is where the name starts.
    lower: Box<str>,
    lower_id: u32,
    status: Status,
    category: Option<Category>,
    legal: u8,
    flags: Box<[Flag]>,
    unacknowledged: Option<DayBounds>,
    without_contact: Option<DayBounds>,
}

impl PersonRow {
    fn of(st: &PersonStatus) -> PersonRow {
        let person = st.person.to_string();
        let id_lower = person.to_lowercase();
        let lower_id = u32::try_from(id_lower.len()).unwrap_or(u32::MAX);
        let mut lower = id_lower;
        if let Some(n) = &st.name {
            lower.push_str(&n.to_lowercase());
        }
        let legal = st.axes.legal_category.as_deref().unwrap_or("unknown");
        PersonRow {
            person: person.into(),
            name: st.name.as_deref().map(Into::into),
            lower: lower.into(),
            lower_id,
            status: st.status,
            category: st.category,
            legal: LEGAL_CATEGORIES
                .iter()
                .position(|l| *l == legal)
                .map_or(OTHER_LEGAL, |i| i as u8),
            flags: st.flags.clone().into(),
            unacknowledged: st.days_unacknowledged,
            without_contact: st.days_without_contact,
        }
    }

    /// `ListFilter::matches` on the row (the same tests, in the same
    /// words: the tests below hold them equal).
    fn matches(&self, f: &ListFilter, legal: Option<u8>) -> bool {
        f.status.status.is_none_or(|want| self.status == want)
            && f.status.flag.is_none_or(|flag| self.flags.contains(&flag))
            && f.category.is_none_or(|c| self.category == Some(c))
            && legal.is_none_or(|l| self.legal == l)
            && f.search.as_deref().is_none_or(|s| {
                let (id, name) = self.lower.split_at(self.lower_id as usize);
                id.contains(s) || (f.names && self.name.is_some() && name.contains(s))
            })
    }

    /// The row as the list shows it; without the name unless `names`.
    fn row(&self, names: bool) -> Row {
        Row {
            person: self.person.to_string(),
            name: self.name.as_deref().filter(|_| names).map(str::to_string),
            status: self.status,
            flags: self.flags.to_vec(),
            unacknowledged: self.unacknowledged,
            without_contact: self.without_contact,
        }
    }
}

/// The order the list is shown in.
#[derive(Clone, Copy, Debug)]
pub(super) enum Sort {
    /// By person id (the stored order).
    Person,
    /// Most days unacknowledged first, ties by person id.
    Unacknowledged,
    /// Most days without contact first, ties by person id.
    WithoutContact,
}

impl Sort {
    /// The list's `sort` value; anything else is the id order, as it
    /// always was.
    pub(super) fn named(s: &str) -> Sort {
        match s {
            "unacknowledged" => Sort::Unacknowledged,
            "without_contact" => Sort::WithoutContact,
            _ => Sort::Person,
        }
    }
}

/// The longest first (the upper bound), none last: the key the list
/// sorts by (stably, so ties keep the id order).
pub(super) fn most(d: &Option<DayBounds>) -> std::cmp::Reverse<i64> {
    std::cmp::Reverse(d.map_or(-1, |d| d.max))
}

/// The counts at the top of the list and the matching rows' positions.
pub(super) struct Listing {
    /// Persons in all.
    pub total: u64,
    /// Persons in each of `Status::ALL`.
    pub by_status: [u64; Status::ALL.len()],
    /// The matching rows, in the list's order (positions in the summary).
    matching: Vec<u32>,
    /// Whether the rows show names (`ListFilter::names`).
    names: bool,
}

impl Listing {
    pub(super) fn matching(&self) -> usize {
        self.matching.len()
    }
}

/// Every person at one key.
pub(super) struct Summary {
    key: Key,
    rows: Vec<PersonRow>,
    by_unacknowledged: Box<[u32]>,
    by_without_contact: Box<[u32]>,
    by_status: [u64; Status::ALL.len()],
    report: Report,
    /// The report page's charts, tallied in the same pass (a few hundred
    /// points at most, whatever the number of persons).
    charts: Charts,
}

impl Summary {
    /// Reads every status of `ledger`'s snapshot at `now`.
    fn build(ledger: &Ledger, key: Key, now: Timestamp) -> Result<Summary, StoreError> {
        let mut rows = Vec::new();
        let mut by_status = [0u64; Status::ALL.len()];
        let mut tally = ReportTally::default();
        let mut charts = ChartTally::new(now);
        ledger.for_each_status(None, None, now, |st| {
            if let Some(i) = Status::ALL.iter().position(|s| *s == st.status) {
                by_status[i] += 1;
            }
            tally.add(&st);
            charts.add(&st);
            rows.push(PersonRow::of(&st));
        })?;
        let order = |day: fn(&PersonRow) -> &Option<DayBounds>| -> Box<[u32]> {
            let mut o: Vec<u32> = (0..rows.len() as u32).collect();
            o.sort_by_key(|i| most(day(&rows[*i as usize])));
            o.into()
        };
        let by_unacknowledged = order(|r| &r.unacknowledged);
        let by_without_contact = order(|r| &r.without_contact);
        rows.shrink_to_fit();
        Ok(Summary {
            key,
            rows,
            by_unacknowledged,
            by_without_contact,
            by_status,
            report: tally.finish(None),
            charts: charts.finish(),
        })
    }

    /// The report page's charts without cuts.
    pub(super) fn charts(&self) -> &Charts {
        &self.charts
    }

    /// The report without cuts (`custody report`'s figures).
    pub(super) fn report(&self) -> &Report {
        &self.report
    }

    /// The persons `filter` keeps, in `sort`'s order, with the counts.
    pub(super) fn listing(&self, filter: &ListFilter, sort: Sort) -> Listing {
        let legal = filter.legal.as_deref().map(|l| {
            LEGAL_CATEGORIES
                .iter()
                .position(|c| *c == l)
                .map_or(OTHER_LEGAL, |i| i as u8)
        });
        let keep = |i: &u32| self.rows[*i as usize].matches(filter, legal);
        let matching = match sort {
            Sort::Person => (0..self.rows.len() as u32).filter(keep).collect(),
            Sort::Unacknowledged => self
                .by_unacknowledged
                .iter()
                .copied()
                .filter(keep)
                .collect(),
            Sort::WithoutContact => self
                .by_without_contact
                .iter()
                .copied()
                .filter(keep)
                .collect(),
        };
        Listing {
            total: self.rows.len() as u64,
            by_status: self.by_status,
            matching,
            names: filter.names,
        }
    }

    /// The rows of `listing` from `skip`, at most `take`.
    pub(super) fn rows(&self, listing: &Listing, skip: usize, take: usize) -> Vec<Row> {
        listing
            .matching
            .iter()
            .skip(skip)
            .take(take)
            .map(|i| self.rows[*i as usize].row(listing.names))
            .collect()
    }
}

/// The kept summary (one per server; see the module docs).
#[derive(Default)]
pub(super) struct Summaries {
    kept: Mutex<Option<Arc<Summary>>>,
    building: Mutex<()>,
}

impl Summaries {
    /// The summary of `ledger`'s snapshot at `now`: the kept one if it is
    /// of the same key, else one built now. `file` is the store's
    /// [`Ledger::file_stamp`], read before `ledger` was opened; without
    /// one nothing is kept (each request builds its own).
    pub(super) fn of(
        &self,
        ledger: &Ledger,
        file: Option<(u64, SystemTime)>,
        now: Timestamp,
    ) -> Result<Arc<Summary>, StoreError> {
        let head = ledger.head();
        let key = Key {
            seq: head.seq,
            hash: head.hash,
            day: day_of(now),
            file: file.unwrap_or((0, SystemTime::UNIX_EPOCH)),
        };
        if file.is_none() {
            return Ok(Arc::new(Summary::build(ledger, key, now)?));
        }
        if let Some(s) = self.kept_at(&key) {
            return Ok(s);
        }
        let _one_build = self.building.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = self.kept_at(&key) {
            return Ok(s);
        }
        let built = Arc::new(Summary::build(ledger, key, now)?);
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        // A request whose snapshot is older than the kept summary's (it
        // opened the store before an append another request has seen)
        // answers from its own, and leaves the later one kept.
        if kept.as_ref().is_none_or(|k| k.key.seq <= key.seq) {
            *kept = Some(built.clone());
        }
        Ok(built)
    }

    fn kept_at(&self, key: &Key) -> Option<Arc<Summary>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref().filter(|s| s.key == *key).cloned()
    }
}

/// The UTC day of `t`: all a status reads of "now".
fn day_of(t: Timestamp) -> i64 {
    t.0.div_euclid(MICROS_PER_DAY)
}

/// The store's file stamp, or `None` when it cannot be read (the request
/// then builds its own summary, never a kept one).
pub(super) fn file_stamp(store: &Path) -> Option<(u64, SystemTime)> {
    Ledger::file_stamp(store).ok()
}

#[cfg(test)]
mod tests {
    //! The summary against the store: every list (filters, searches,
    //! sorts) and the report equal to what reading every status gives (the
    //! list's code before the summary, kept here as the reference), on a
    //! generated ledger, across the day, after an append and after an
    //! edit of the store that does not move the head.

    use super::*;
    use crate::cmd::generate::GenerateArgs;
    use crate::cmd::status::StatusFilter;
    use crate::output::Context;
    use custody_ledger::keyfile;
    use rand::{RngExt, SeedableRng};
    use std::path::PathBuf;

    /// A generated ledger of `persons` in a temporary directory.
    struct Generated {
        _dir: tempfile::TempDir,
        store: PathBuf,
        keys: PathBuf,
    }

    fn generate(persons: u64) -> Generated {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().join("generated");
        let ctx = Context {
            store: None,
            json: true,
            clock_confirmed: false,
        };
        crate::cmd::generate::run(&ctx, GenerateArgs::for_test(persons, 11, out.clone()))
            .map_err(|f| f.message_and_advice().0)
            .expect("generate");
        Generated {
            _dir: dir,
            store: out.join("ledger"),
            keys: out.join("keys"),
        }
    }

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).expect("a time")
    }

    /// Every status of `ledger` at `now`, read from the store.
    fn statuses(ledger: &Ledger, now: Timestamp) -> Vec<PersonStatus> {
        let mut all = Vec::new();
        ledger
            .for_each_status(None, None, now, |st| all.push(st))
            .expect("statuses");
        all
    }

    type Counts = (u64, [u64; Status::ALL.len()], Vec<Row>);

    /// The list as `people_page` made it before the summary: every status
    /// counted, filtered by `ListFilter::matches`, sorted stably.
    fn read_listing(all: &[PersonStatus], filter: &ListFilter, sort: Sort) -> Counts {
        let (mut total, mut by_status) = (0u64, [0u64; Status::ALL.len()]);
        let mut rows = Vec::new();
        for st in all {
            total += 1;
            if let Some(i) = Status::ALL.iter().position(|s| *s == st.status) {
                by_status[i] += 1;
            }
            if filter.matches(st) {
                rows.push(Row {
                    person: st.person.to_string(),
                    name: st.name.clone().filter(|_| filter.names),
                    status: st.status,
                    flags: st.flags.clone(),
                    unacknowledged: st.days_unacknowledged,
                    without_contact: st.days_without_contact,
                });
            }
        }
        match sort {
            Sort::Unacknowledged => rows.sort_by_key(|r| most(&r.unacknowledged)),
            Sort::WithoutContact => rows.sort_by_key(|r| most(&r.without_contact)),
            Sort::Person => {}
        }
        (total, by_status, rows)
    }

    fn summary_listing(s: &Summary, filter: &ListFilter, sort: Sort) -> Counts {
        let l = s.listing(filter, sort);
        let rows = s.rows(&l, 0, usize::MAX);
        assert_eq!(rows.len(), l.matching());
        (l.total, l.by_status, rows)
    }

    fn filter(
        status: Option<Status>,
        flag: Option<Flag>,
        category: Option<Category>,
        legal: Option<&str>,
        search: Option<&str>,
    ) -> ListFilter {
        ListFilter {
            status: StatusFilter {
                status,
                flag,
                name: None,
            },
            category,
            legal: legal.map(str::to_string),
            search: search.map(str::to_lowercase),
            names: true,
        }
    }

    /// Every single filter, searches taken from the data (in another
    /// case than stored), and random combinations.
    fn filters(all: &[PersonStatus]) -> Vec<ListFilter> {
        let mut searches: Vec<String> =
            vec!["syn-0000".into(), "Syn-00001".into(), "no such".into()];
        for st in all.iter().step_by(7).take(12) {
            searches.push(st.person.to_string()[2..7].to_uppercase());
            if let Some(n) = &st.name {
                searches.push(n.chars().skip(1).take(4).collect::<String>().to_uppercase());
            }
        }
        let mut out = vec![filter(None, None, None, None, None)];
        out.extend(
            Status::ALL
                .iter()
                .map(|s| filter(Some(*s), None, None, None, None)),
        );
        out.extend(
            Flag::ALL
                .iter()
                .map(|f| filter(None, Some(*f), None, None, None)),
        );
        out.extend(
            Category::ALL
                .iter()
                .map(|c| filter(None, None, Some(*c), None, None)),
        );
        out.extend(
            LEGAL_CATEGORIES
                .iter()
                .map(|l| filter(None, None, None, Some(l), None)),
        );
        out.extend(
            searches
                .iter()
                .map(|q| filter(None, None, None, None, Some(q))),
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..150 {
            let mut maybe = || rng.random_bool(0.5);
            let (a, b, c, d, e) = (maybe(), maybe(), maybe(), maybe(), maybe());
            out.push(filter(
                a.then(|| Status::ALL[rng.random_range(0..Status::ALL.len())]),
                b.then(|| Flag::ALL[rng.random_range(0..Flag::ALL.len())]),
                c.then(|| Category::ALL[rng.random_range(0..Category::ALL.len())]),
                d.then(|| LEGAL_CATEGORIES[rng.random_range(0..LEGAL_CATEGORIES.len())]),
                e.then(|| searches[rng.random_range(0..searches.len())].as_str()),
            ));
        }
        out
    }

    /// Asserts that `s` lists and reports what `ledger` does at `now`;
    /// returns the lists read from the store (to compare across cases).
    fn same_as_the_store(s: &Summary, ledger: &Ledger, now: Timestamp) -> Vec<Counts> {
        let all = statuses(ledger, now);
        let mut read = Vec::new();
        let (mut some_but_not_all, mut sorted_differs) = (false, false);
        for (i, f) in filters(&all).iter().enumerate() {
            for sort in [Sort::Person, Sort::Unacknowledged, Sort::WithoutContact] {
                let expected = read_listing(&all, f, sort);
                let got = summary_listing(s, f, sort);
                assert_eq!(got, expected, "filter {i}, {sort:?}");
                some_but_not_all |= !expected.2.is_empty() && expected.2.len() < all.len();
                if !matches!(sort, Sort::Person) {
                    sorted_differs |= expected.2 != read_listing(&all, f, Sort::Person).2;
                }
                read.push(expected);
            }
        }
        // The data exercises the filters and the sorts.
        assert!(some_but_not_all && sorted_differs);
        let (report, _) = crate::cmd::status::report_of(ledger, None, None, now)
            .map_err(|f| f.message_and_advice().0)
            .expect("report");
        assert_eq!(*s.report(), report);
        // The charts: what a tally of the statuses read from the store
        // gives, and the last point the report's current counts.
        let mut charts = ChartTally::new(now);
        all.iter().for_each(|st| charts.add(st));
        let charts = charts.finish();
        assert_eq!(s.charts().trend, charts.trend);
        assert_eq!(s.charts().delays, charts.delays);
        let last = s.charts().trend.points.last().expect("detentions");
        assert_eq!(last.unacknowledged, report.held_unacknowledged);
        assert_eq!(last.incommunicado, report.incommunicado);
        let delays = &report.notification_delay_days;
        assert_eq!(
            s.charts().delays.iter().sum::<u64>() + s.charts().never_notified,
            delays.captured
        );
        assert_eq!(s.charts().never_notified, delays.captured_never_notified);
        read
    }

    fn summary_now(summaries: &Summaries, store: &Path, now: Timestamp) -> (Ledger, Arc<Summary>) {
        let file = file_stamp(store);
        assert!(file.is_some());
        let ledger = Ledger::open_read_only(store).expect("open");
        let s = summaries.of(&ledger, file, now).expect("summary");
        (ledger, s)
    }

    #[test]
    fn the_summary_lists_and_reports_what_the_store_does_through_the_day() {
        let g = generate(400);
        let summaries = Summaries::default();
        let (ledger, morning) = summary_now(&summaries, &g.store, at("2023-06-15T00:00:00Z"));
        let at_morning = same_as_the_store(&morning, &ledger, at("2023-06-15T00:00:00Z"));
        // Later the same day: the kept summary, and still what the store says.
        let evening = at("2023-06-15T23:59:59.999999Z");
        let (ledger, kept) = summary_now(&summaries, &g.store, evening);
        assert!(Arc::ptr_eq(&morning, &kept));
        same_as_the_store(&kept, &ledger, evening);
        // Forty days on the clock has moved (more days, new flags): a new
        // summary, and what the store says then.
        let later = at("2023-07-25T12:00:00Z");
        let (ledger, moved) = summary_now(&summaries, &g.store, later);
        assert!(!Arc::ptr_eq(&morning, &moved));
        assert_ne!(same_as_the_store(&moved, &ledger, later), at_morning);
        // And at this machine's time.
        let now = custody_ledger::clock::now();
        let (ledger, today) = summary_now(&summaries, &g.store, now);
        same_as_the_store(&today, &ledger, now);
    }

    #[test]
    fn an_append_or_an_edit_of_the_store_shows_on_the_next_request() {
        let g = generate(60);
        let summaries = Summaries::default();
        let now = custody_ledger::clock::now();
        let (ledger, before) = summary_now(&summaries, &g.store, now);
        same_as_the_store(&before, &ledger, now);
        // A summary kept by a stamp that does not change (two commits in
        // one tick of the file system's clock): the head still tells.
        let same_stamp = Summaries::default();
        let stamp = Some((1, SystemTime::UNIX_EPOCH));
        let before_by_head = same_stamp.of(&ledger, stamp, now).expect("summary");
        drop(ledger);

        let key = keyfile::read_signing_key(&g.keys.join("investigator-1.pem")).expect("key");
        let mut writer = Ledger::open(&g.store).expect("open to write");
        writer
            .append(vec![custody_testkit::events::capture("NEW-0001")], &key)
            .expect("append");
        writer.close().expect("close");
        let (ledger, appended) = summary_now(&summaries, &g.store, now);
        assert_eq!(
            appended
                .listing(&filter(None, None, None, None, None), Sort::Person)
                .total,
            before
                .listing(&filter(None, None, None, None, None), Sort::Person)
                .total
                + 1
        );
        same_as_the_store(&appended, &ledger, now);
        let by_head = same_stamp.of(&ledger, stamp, now).expect("summary");
        assert!(!Arc::ptr_eq(&before_by_head, &by_head));
        same_as_the_store(&by_head, &ledger, now);
        let first = ledger.head().seq;
        drop(ledger);

        // A commit that does not move the head: one stored status edited
        // in the file (as `custody rebuild` rewrites them). The file's
        // modification time must fall in a later tick of its clock.
        std::thread::sleep(std::time::Duration::from_millis(50));
        edit_stored_status(&g.store, "NEW-0001", "released");
        let (ledger, edited) = summary_now(&summaries, &g.store, now);
        assert_eq!(ledger.head().seq, first);
        let released = filter(Some(Status::Released), None, None, None, Some("new-0001"));
        assert_eq!(appended.listing(&released, Sort::Person).matching(), 0);
        assert_eq!(edited.listing(&released, Sort::Person).matching(), 1);
        same_as_the_store(&edited, &ledger, now);
    }

    /// A reader who sees no names gets none from the summary: searching by
    /// part of a name matches only the ids that contain it, every row
    /// comes out without its name, and the counts are those of the same
    /// search by id; a reader who sees names finds the person by it.
    #[test]
    fn without_names_the_search_matches_ids_only_and_rows_have_no_name() {
        let g = generate(80);
        let now = custody_ledger::clock::now();
        let summaries = Summaries::default();
        let (ledger, s) = summary_now(&summaries, &g.store, now);
        let all = statuses(&ledger, now);
        let named = all
            .iter()
            .find_map(|st| st.name.clone())
            .expect("a generated person with a name");
        let part: String = named.chars().take(5).collect();
        let mut search = filter(None, None, None, None, Some(&part));
        let with_names = summary_listing(&s, &search, Sort::Person);
        assert!(!with_names.2.is_empty() && with_names.2.iter().any(|r| r.name.is_some()));
        search.names = false;
        let without = summary_listing(&s, &search, Sort::Person);
        let by_id: Vec<&str> = all
            .iter()
            .map(|st| st.person.as_str())
            .filter(|p| p.to_lowercase().contains(&part.to_lowercase()))
            .collect();
        let listed: Vec<&str> = without.2.iter().map(|r| r.person.as_str()).collect();
        assert_eq!(listed, by_id);
        assert_ne!(without.2.len(), with_names.2.len());
        for sort in [Sort::Person, Sort::Unacknowledged, Sort::WithoutContact] {
            let mut everyone = filter(None, None, None, None, None);
            everyone.names = false;
            let (total, by_status, rows) = summary_listing(&s, &everyone, sort);
            assert!(rows.iter().all(|r| r.name.is_none()));
            everyone.names = true;
            let shown = summary_listing(&s, &everyone, sort);
            assert_eq!((total, by_status), (shown.0, shown.1));
            let ids = |r: &[Row]| r.iter().map(|r| r.person.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&rows), ids(&shown.2), "the same order, {sort:?}");
        }
        assert_eq!(
            read_listing(&all, &search, Sort::Person),
            without,
            "the reference list agrees"
        );
    }

    /// Edits the stored status of `person` in the store's file, leaving
    /// the chain as it was.
    fn edit_stored_status(store: &Path, person: &str, status: &str) {
        use redb::ReadableTable;
        let db = redb::Database::open(store.join("custody.redb")).expect("redb");
        let table: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("status");
        let w = db.begin_write().expect("write");
        {
            let mut t = w.open_table(table).expect("table");
            let bytes = t
                .get(person.as_bytes())
                .expect("get")
                .expect("a stored status")
                .value()
                .to_vec();
            let mut st = PersonStatus::from_stored(&bytes).expect("a status");
            st.status = status.parse().expect("a status name");
            let edited = st.to_stored();
            t.insert(person.as_bytes(), edited.as_slice())
                .expect("insert");
        }
        w.commit().expect("commit");
    }
}
