//! Time in the ledger: the exact instant an entry was recorded, and the often
//! approximate time an event occurred.
//!
//! The two are different on purpose. `recorded_at` is set by the machine at
//! append time and is exact; it orders the chain and lets auditors ask "what
//! did the ledger say on that date". `occurred_at` comes from a witness, a
//! family or a document, and is often known only to the month or the year
//! ("went missing in July 2023"). Inventing a day for it would put a false
//! fact under a signature, so [`OccurredAt`] keeps the precision it was given
//! and is treated everywhere as an interval.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone, Utc};
use std::fmt;

/// Microseconds in one day, for interval arithmetic on calendar days.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// An exact UTC instant, in microseconds since the Unix epoch.
///
/// Used for `recorded_at`. Microseconds are the finest unit chrono and every
/// mainstream language can round-trip without loss, and an `i64` of them
/// covers ±292,000 years.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode,
)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses an RFC 3339 instant (any offset; it is converted to UTC).
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, TimeError> {
        let t = DateTime::parse_from_rfc3339(s.trim()).map_err(|e| TimeError {
            input: crate::text::clip(s, 80),
            reason: instant_problem(s.trim()).unwrap_or_else(|| {
                format!("not an RFC 3339 instant ({e}); write e.g. 2024-05-31T12:00:00Z")
            }),
        })?;
        Ok(Timestamp(t.with_timezone(&Utc).timestamp_micros()))
    }

    /// Parses what a user may pass on a command line for `--as-of` or
    /// `--known-at`: a date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, meaning the *end*
    /// of that period, so "as of 2023" includes all of 2023) or an RFC 3339
    /// instant.
    pub fn parse_cutoff(s: &str) -> Result<Timestamp, TimeError> {
        let at = OccurredAt::parse(s)?;
        Ok(Timestamp(at.end_micros() - i64::from(!at.is_instant())))
    }

    /// The UTC date-time, if representable by chrono.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        Utc.timestamp_micros(self.0).single()
    }
}

/// What is missing from a date-time that is almost RFC 3339, said as what
/// to write: chrono's "premature end of input" names neither the time zone
/// nor the seconds an investigator left out.
fn instant_problem(s: &str) -> Option<String> {
    let (date, time) = s.split_once(['T', 't', ' '])?;
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let date_ok = matches!(date.split('-').collect::<Vec<_>>().as_slice(),
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2));
    if !date_ok {
        return None;
    }
    let zone_at = time.find(['Z', 'z', '+', '-']);
    let clock = &time[..zone_at.unwrap_or(time.len())];
    let clock_no_fraction = clock.split('.').next().unwrap_or(clock);
    let parts: Vec<&str> = clock_no_fraction.split(':').collect();
    if !parts.iter().all(|p| digits(p, 2)) || !(2..=3).contains(&parts.len()) {
        return None;
    }
    let seconds = if parts.len() == 2 { ":00" } else { "" };
    let example = format!("{date}T{clock}{seconds}");
    if zone_at.is_none() {
        Some(format!(
            "an instant needs a time zone: write {example}Z (UTC) or an offset such as {example}+03:00, or give only the date ({date})"
        ))
    } else if parts.len() == 2 {
        Some(format!(
            "an instant needs its seconds: write {example}{}",
            &time[zone_at.unwrap_or(0)..]
        ))
    } else {
        None
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => write!(f, "@{}us", self.0),
        }
    }
}

/// When something happened, to the precision it is known.
///
/// Every value denotes a half-open interval of UTC time
/// `[start_micros, end_micros)`; an [`OccurredAt::Instant`] is the
/// degenerate interval `[t, t]`. Calendar values are UTC calendar periods.
///
/// The textual forms (input and output) are `YYYY`, `YYYY-MM`, `YYYY-MM-DD`
/// and RFC 3339; the Display form is the parse form, so values round-trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode)]
pub enum OccurredAt {
    /// Known to the year: `2023`.
    Year {
        /// Proleptic Gregorian year, 1000..=9999.
        year: i32,
    },
    /// Known to the month: `2023-07`.
    Month {
        /// Year, 1000..=9999.
        year: i32,
        /// Month, 1..=12.
        month: u8,
    },
    /// Known to the day: `2022-05-17`.
    Day {
        /// Year, 1000..=9999.
        year: i32,
        /// Month, 1..=12.
        month: u8,
        /// Day of month, valid for that month.
        day: u8,
    },
    /// Known to the instant (the input's offset is normalised to UTC).
    Instant {
        /// Microseconds since the Unix epoch, UTC.
        unix_micros: i64,
    },
}

/// A date or time that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {input:?}: {reason}")]
pub struct TimeError {
    /// What was given (cut to 80 bytes: the error must not echo a huge
    /// hostile input back to a terminal or a log).
    pub input: String,
    /// Why it was refused, and what to write instead.
    pub reason: String,
}

const YEAR_RANGE: std::ops::RangeInclusive<i32> = 1000..=9999;

impl OccurredAt {
    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or an RFC 3339 instant.
    ///
    /// Anything else is refused rather than guessed at: `2023-7`, `17/05/2022`
    /// or a date without its zero padding are ambiguous across locales.
    pub fn parse(s: &str) -> Result<OccurredAt, TimeError> {
        let err = |reason: &str| TimeError {
            input: crate::text::clip(s, 80),
            reason: reason.to_string(),
        };
        let form =
            "write YYYY, YYYY-MM, YYYY-MM-DD or an RFC 3339 instant such as 2022-05-17T08:30:00Z";
        if s.len() > 10 {
            let ts = Timestamp::parse_rfc3339(s)?;
            let value = OccurredAt::Instant { unix_micros: ts.0 };
            value.validate().map_err(|r| err(&r))?;
            return Ok(value);
        }
        let digits = |part: &str, n: usize| -> Option<u32> {
            (part.len() == n && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        };
        let parts: Vec<&str> = s.split('-').collect();
        let value = match parts.as_slice() {
            [y] => OccurredAt::Year {
                year: digits(y, 4).ok_or_else(|| err(form))? as i32,
            },
            [y, m] => OccurredAt::Month {
                year: digits(y, 4).ok_or_else(|| err(form))? as i32,
                month: digits(m, 2).ok_or_else(|| err(form))? as u8,
            },
            [y, m, d] => OccurredAt::Day {
                year: digits(y, 4).ok_or_else(|| err(form))? as i32,
                month: digits(m, 2).ok_or_else(|| err(form))? as u8,
                day: digits(d, 2).ok_or_else(|| err(form))? as u8,
            },
            _ => return Err(err(form)),
        };
        value.validate().map_err(|r| err(&r))?;
        Ok(value)
    }

    /// Checks the ranges a decoded or parsed value must respect. Signed
    /// entries are checked with this too, so a crafted entry cannot carry
    /// month 13.
    pub fn validate(&self) -> Result<(), String> {
        let year_ok = |y: i32| {
            if YEAR_RANGE.contains(&y) {
                Ok(())
            } else {
                Err(format!("year {y} is outside 1000..=9999"))
            }
        };
        match *self {
            OccurredAt::Year { year } => year_ok(year),
            OccurredAt::Month { year, month } => {
                year_ok(year)?;
                if (1..=12).contains(&month) {
                    Ok(())
                } else {
                    Err(format!("month {month} is outside 1..=12"))
                }
            }
            OccurredAt::Day { year, month, day } => {
                year_ok(year)?;
                NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day))
                    .map(|_| ())
                    .ok_or_else(|| format!("{year:04}-{month:02}-{day:02} is not a calendar date"))
            }
            OccurredAt::Instant { unix_micros } => match Timestamp(unix_micros).to_datetime() {
                Some(t) if YEAR_RANGE.contains(&t.year()) => Ok(()),
                _ => Err("instant is outside the years 1000..=9999".to_string()),
            },
        }
    }

    /// True for an exact instant, false for a calendar period.
    pub fn is_instant(&self) -> bool {
        matches!(self, OccurredAt::Instant { .. })
    }

    /// A short name of the precision: `year`, `month`, `day` or `instant`.
    pub fn precision(&self) -> &'static str {
        match self {
            OccurredAt::Year { .. } => "year",
            OccurredAt::Month { .. } => "month",
            OccurredAt::Day { .. } => "day",
            OccurredAt::Instant { .. } => "instant",
        }
    }

    fn first_day(&self) -> Option<NaiveDate> {
        match *self {
            OccurredAt::Year { year } => NaiveDate::from_ymd_opt(year, 1, 1),
            OccurredAt::Month { year, month } => NaiveDate::from_ymd_opt(year, month.into(), 1),
            OccurredAt::Day { year, month, day } => {
                NaiveDate::from_ymd_opt(year, month.into(), day.into())
            }
            OccurredAt::Instant { .. } => None,
        }
    }

    fn day_after_last(&self) -> Option<NaiveDate> {
        match *self {
            OccurredAt::Year { year } => NaiveDate::from_ymd_opt(year + 1, 1, 1),
            OccurredAt::Month { year, month } => {
                let (y, m) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, u32::from(month) + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)
            }
            OccurredAt::Day { .. } => self.first_day()?.succ_opt(),
            OccurredAt::Instant { .. } => None,
        }
    }

    /// Start of the interval (inclusive), microseconds since the epoch, UTC.
    ///
    /// Values are validated on parse and decode, so the calendar arithmetic
    /// cannot fail; an invalid value maps to `i64::MIN` rather than panicking.
    pub fn start_micros(&self) -> i64 {
        match *self {
            OccurredAt::Instant { unix_micros } => unix_micros,
            _ => self
                .first_day()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_micros())
                .unwrap_or(i64::MIN),
        }
    }

    /// End of the interval: exclusive for calendar periods, equal to the
    /// start for an instant.
    pub fn end_micros(&self) -> i64 {
        match *self {
            OccurredAt::Instant { unix_micros } => unix_micros,
            _ => self
                .day_after_last()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_micros())
                .unwrap_or(i64::MIN),
        }
    }

    /// The last microsecond inside the interval (for an instant, itself).
    pub fn last_micros(&self) -> i64 {
        if self.is_instant() {
            self.end_micros()
        } else {
            self.end_micros() - 1
        }
    }
}

impl fmt::Display for OccurredAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OccurredAt::Year { year } => write!(f, "{year:04}"),
            OccurredAt::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            OccurredAt::Day { year, month, day } => write!(f, "{year:04}-{month:02}-{day:02}"),
            OccurredAt::Instant { unix_micros } => Timestamp(unix_micros).fmt(f),
        }
    }
}

impl serde::Serialize for OccurredAt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for OccurredAt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        OccurredAt::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_without_zone_or_seconds_says_what_to_add() {
        let e = OccurredAt::parse("2023-05-01T10:00").unwrap_err();
        assert!(e.reason.contains("needs a time zone"), "{e}");
        assert!(e.reason.contains("2023-05-01T10:00:00Z"), "{e}");
        assert!(e.reason.contains("+03:00"), "{e}");
        assert!(e.reason.contains("only the date (2023-05-01)"), "{e}");
        let e = OccurredAt::parse("2023-05-01 10:00:30").unwrap_err();
        assert!(e.reason.contains("needs a time zone"), "{e}");
        let e = OccurredAt::parse("2023-05-01T10:00Z").unwrap_err();
        assert!(e.reason.contains("needs its seconds"), "{e}");
        assert!(e.reason.contains("2023-05-01T10:00:00Z"), "{e}");
        // Not nearly an instant: the general advice.
        let e = OccurredAt::parse("yesterday at ten").unwrap_err();
        assert!(e.reason.contains("RFC 3339"), "{e}");
    }

    #[test]
    fn parses_each_precision_and_round_trips() {
        for s in [
            "2023",
            "2023-07",
            "2022-05-17",
            "2022-05-17T08:30:00Z",
            "2024-02-29",
        ] {
            let v = OccurredAt::parse(s).unwrap();
            assert_eq!(v.to_string(), s);
        }
        assert_eq!(
            OccurredAt::parse("2022-05-17T10:30:00+02:00")
                .unwrap()
                .to_string(),
            "2022-05-17T08:30:00Z"
        );
    }

    #[test]
    fn refuses_ambiguous_or_impossible_dates() {
        for s in [
            "",
            "23",
            "2023-7",
            "2023-13",
            "2023-02-30",
            "17/05/2022",
            "2023-07-01-01",
            "0999",
            "20230",
            "2023-00",
            "+2023",
            "2023-07-1",
            "yesterday",
        ] {
            assert!(OccurredAt::parse(s).is_err(), "{s:?} was accepted");
        }
    }

    #[test]
    fn intervals_cover_the_whole_period() {
        let m = OccurredAt::parse("2023-12").unwrap();
        let next = OccurredAt::parse("2024-01-01").unwrap();
        assert_eq!(m.end_micros(), next.start_micros());
        assert_eq!(m.end_micros() - m.start_micros(), 31 * MICROS_PER_DAY);
        let y = OccurredAt::parse("2024").unwrap();
        assert_eq!(y.end_micros() - y.start_micros(), 366 * MICROS_PER_DAY);
        let i = OccurredAt::parse("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(i.start_micros(), i.end_micros());
        assert_eq!(i.start_micros(), next.start_micros());
    }

    #[test]
    fn cutoff_of_a_date_is_the_end_of_that_period() {
        let c = Timestamp::parse_cutoff("2023").unwrap();
        assert_eq!(c.0, OccurredAt::parse("2024").unwrap().start_micros() - 1);
        let c = Timestamp::parse_cutoff("2023-01-01T00:00:00Z").unwrap();
        assert_eq!(c.0, OccurredAt::parse("2023").unwrap().start_micros());
    }
}
