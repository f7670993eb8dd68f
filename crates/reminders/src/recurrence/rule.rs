//! The RRULE subset: parsing a rule value (without the `RRULE:` prefix) and rendering it back in
//! canonical form.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc, Weekday};

/// Why a recurrence rule was refused. Every message names the part at fault, so the HTTP
/// adapter can show it as is under `field: "recurrence"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    /// Nothing but whitespace.
    #[error("must not be empty")]
    Empty,
    /// The value started with `RRULE:`.
    #[error("give the rule without the `RRULE:` prefix, for example `FREQ=WEEKLY;BYDAY=MO`")]
    Prefixed,
    /// A doubled or trailing `;`.
    #[error("contains an empty part (a doubled or trailing `;`)")]
    EmptyPart,
    /// A part that is not `NAME=VALUE`.
    #[error("part `{0}` is not of the form NAME=VALUE")]
    Malformed(String),
    /// A part RFC 5545 does not define.
    #[error("unknown part `{0}`")]
    UnknownPart(String),
    /// A part RFC 5545 defines but Corkboard does not support.
    #[error("part `{0}` is not supported; the supported parts are FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT and UNTIL")]
    UnsupportedPart(String),
    /// The same part twice.
    #[error("part `{0}` is given more than once")]
    DuplicatePart(String),
    /// No `FREQ`.
    #[error("part `FREQ` is required")]
    MissingFrequency,
    /// `COUNT` and `UNTIL` together.
    #[error("parts `COUNT` and `UNTIL` cannot be combined")]
    CountAndUntil,
    /// A supported part with a value out of the subset.
    #[error("part `{part}`: {message}")]
    InvalidValue {
        /// The part, as written in the rule (`BYDAY`).
        part: &'static str,
        /// What is wrong with its value.
        message: String,
    },
}

impl RecurrenceError {
    fn invalid(part: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidValue { part, message: message.into() }
    }

    /// The rule part the error is about, when there is one.
    pub fn part(&self) -> Option<&str> {
        match self {
            Self::Empty | Self::Prefixed | Self::EmptyPart | Self::Malformed(_) | Self::CountAndUntil => None,
            Self::UnknownPart(p) | Self::UnsupportedPart(p) | Self::DuplicatePart(p) => Some(p),
            Self::MissingFrequency => Some("FREQ"),
            Self::InvalidValue { part, .. } => Some(part),
        }
    }
}

/// How often the rule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Every `INTERVAL` days.
    Daily,
    /// Every `INTERVAL` weeks (weeks start on Monday).
    Weekly,
    /// Every `INTERVAL` months.
    Monthly,
    /// Every `INTERVAL` years.
    Yearly,
}

impl Frequency {
    /// The RRULE spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
            Self::Yearly => "YEARLY",
        }
    }

    fn parse(value: &str) -> Result<Self, RecurrenceError> {
        match value {
            "DAILY" => Ok(Self::Daily),
            "WEEKLY" => Ok(Self::Weekly),
            "MONTHLY" => Ok(Self::Monthly),
            "YEARLY" => Ok(Self::Yearly),
            "SECONDLY" | "MINUTELY" | "HOURLY" => Err(RecurrenceError::invalid(
                "FREQ",
                format!("{value} is not supported; use DAILY, WEEKLY, MONTHLY or YEARLY"),
            )),
            _ => Err(RecurrenceError::invalid("FREQ", "must be DAILY, WEEKLY, MONTHLY or YEARLY")),
        }
    }
}

/// One `BYDAY` entry: a weekday, with an ordinal for `FREQ=MONTHLY` (`1MO` is the first Monday
/// of the month, `-1FR` the last Friday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdayNum {
    ordinal: Option<i8>,
    weekday: Weekday,
}

impl WeekdayNum {
    /// The weekday.
    pub const fn weekday(self) -> Weekday {
        self.weekday
    }

    /// Which one in the month: 1..=5 from the start, -5..=-1 from the end; `None` for every one.
    pub const fn ordinal(self) -> Option<i8> {
        self.ordinal
    }

    fn sort_key(self) -> (u32, i8) {
        (self.weekday.num_days_from_monday(), self.ordinal.unwrap_or(0))
    }

    fn parse(item: &str) -> Result<Self, RecurrenceError> {
        let bad = || {
            RecurrenceError::invalid(
                "BYDAY",
                format!(
                    "`{item}` is not a weekday (MO, TU, WE, TH, FR, SA, SU, optionally with an ordinal such as 1MO or -1FR)"
                ),
            )
        };
        if item.len() < 2 || !item.is_char_boundary(item.len() - 2) {
            return Err(bad());
        }
        let (prefix, day) = item.split_at(item.len() - 2);
        let weekday = match day {
            "MO" => Weekday::Mon,
            "TU" => Weekday::Tue,
            "WE" => Weekday::Wed,
            "TH" => Weekday::Thu,
            "FR" => Weekday::Fri,
            "SA" => Weekday::Sat,
            "SU" => Weekday::Sun,
            _ => return Err(bad()),
        };
        if prefix.is_empty() {
            return Ok(Self { ordinal: None, weekday });
        }
        let ordinal = parse_signed(prefix).ok_or_else(bad)?;
        if !(1..=5).contains(&ordinal.abs()) {
            return Err(RecurrenceError::invalid(
                "BYDAY",
                format!("ordinal in `{item}` must be between 1 and 5 or between -5 and -1"),
            ));
        }
        let ordinal = i8::try_from(ordinal).map_err(|_| bad())?;
        Ok(Self { ordinal: Some(ordinal), weekday })
    }
}

impl fmt::Display for WeekdayNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.ordinal {
            write!(f, "{n}")?;
        }
        f.write_str(match self.weekday {
            Weekday::Mon => "MO",
            Weekday::Tue => "TU",
            Weekday::Wed => "WE",
            Weekday::Thu => "TH",
            Weekday::Fri => "FR",
            Weekday::Sat => "SA",
            Weekday::Sun => "SU",
        })
    }
}

/// The end of a rule given by `UNTIL` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Until {
    /// `YYYYMMDDTHHMMSSZ`: no occurrence after this instant.
    Instant(DateTime<Utc>),
    /// `YYYYMMDD`: no occurrence on a later local date, in the reminder's time zone.
    Date(NaiveDate),
}

impl Until {
    fn parse(value: &str) -> Result<Self, RecurrenceError> {
        let bad = || {
            RecurrenceError::invalid(
                "UNTIL",
                format!("`{value}` is not a UTC date-time like 20251231T235959Z or a date like 20251231"),
            )
        };
        let date = value.get(..8).and_then(parse_date).ok_or_else(bad)?;
        match value.len() {
            8 => Ok(Self::Date(date)),
            16 => {
                let rest = &value[8..];
                if !rest.is_ascii() || !rest.starts_with('T') || !rest.ends_with('Z') || !all_digits(&rest[1..7]) {
                    return Err(bad());
                }
                let num = |r: std::ops::Range<usize>| rest[r].parse::<u32>().ok();
                let time = chrono::NaiveTime::from_hms_opt(
                    num(1..3).ok_or_else(bad)?,
                    num(3..5).ok_or_else(bad)?,
                    num(5..7).ok_or_else(bad)?,
                )
                .ok_or_else(bad)?;
                Ok(Self::Instant(NaiveDateTime::new(date, time).and_utc()))
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Until {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Instant(at) => write!(f, "{}", at.format("%Y%m%dT%H%M%SZ")),
            Self::Date(d) => write!(f, "{}", d.format("%Y%m%d")),
        }
    }
}

/// A recurrence rule in the RFC 5545 subset Corkboard supports:
/// `FREQ` (required), `INTERVAL`, `BYDAY`, `BYMONTHDAY`, `COUNT`, `UNTIL`.
///
/// Parsing is case-insensitive and normalises lists (sorted, duplicates dropped), so two rules
/// that mean the same display the same. Combinations are checked: `BYMONTHDAY` is refused with
/// `FREQ=WEEKLY` (RFC 5545 does not define it), `BYDAY` ordinals only with `FREQ=MONTHLY` and
/// not together with `BYMONTHDAY`, `COUNT` and `UNTIL` exclude each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Recurrence {
    freq: Frequency,
    interval: u16,
    by_day: Vec<WeekdayNum>,
    by_month_day: Vec<i8>,
    count: Option<u16>,
    until: Option<Until>,
}

impl Recurrence {
    /// The largest `INTERVAL`.
    pub const MAX_INTERVAL: u16 = 999;
    /// The largest `COUNT`.
    pub const MAX_COUNT: u16 = 1000;

    /// Parses an RRULE value such as `FREQ=WEEKLY;BYDAY=MO,WE;INTERVAL=2;COUNT=10`.
    ///
    /// # Errors
    /// [`RecurrenceError`], naming the part at fault.
    pub fn parse(raw: &str) -> Result<Self, RecurrenceError> {
        let upper = raw.trim().to_ascii_uppercase();
        if upper.is_empty() {
            return Err(RecurrenceError::Empty);
        }
        if upper.starts_with("RRULE:") {
            return Err(RecurrenceError::Prefixed);
        }
        let mut seen: Vec<&str> = Vec::new();
        let (mut freq, mut interval, mut by_day, mut by_month_day, mut count, mut until) =
            (None, None, None, None, None, None);
        for part in upper.split(';') {
            if part.is_empty() {
                return Err(RecurrenceError::EmptyPart);
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(RecurrenceError::Malformed(part.to_owned()));
            };
            if seen.contains(&name) {
                return Err(RecurrenceError::DuplicatePart(name.to_owned()));
            }
            seen.push(name);
            match name {
                "FREQ" => freq = Some(Frequency::parse(value)?),
                "INTERVAL" => interval = Some(parse_bounded("INTERVAL", value, Self::MAX_INTERVAL)?),
                "COUNT" => count = Some(parse_bounded("COUNT", value, Self::MAX_COUNT)?),
                "UNTIL" => until = Some(Until::parse(value)?),
                "BYDAY" => by_day = Some(parse_list("BYDAY", value, WeekdayNum::parse)?),
                "BYMONTHDAY" => by_month_day = Some(parse_list("BYMONTHDAY", value, parse_month_day)?),
                "BYSECOND" | "BYMINUTE" | "BYHOUR" | "BYWEEKNO" | "BYYEARDAY" | "BYMONTH" | "BYSETPOS" | "WKST"
                | "RSCALE" | "SKIP" => return Err(RecurrenceError::UnsupportedPart(name.to_owned())),
                _ if name.is_empty() => return Err(RecurrenceError::Malformed(part.to_owned())),
                _ => return Err(RecurrenceError::UnknownPart(name.to_owned())),
            }
        }
        let freq = freq.ok_or(RecurrenceError::MissingFrequency)?;
        if count.is_some() && until.is_some() {
            return Err(RecurrenceError::CountAndUntil);
        }
        let mut by_day = by_day.unwrap_or_default();
        by_day.sort_by_key(|d| d.sort_key());
        by_day.dedup();
        let mut by_month_day = by_month_day.unwrap_or_default();
        by_month_day.sort_unstable();
        by_month_day.dedup();
        if freq == Frequency::Weekly && !by_month_day.is_empty() {
            return Err(RecurrenceError::invalid("BYMONTHDAY", "cannot be used with FREQ=WEEKLY"));
        }
        if by_day.iter().any(|d| d.ordinal.is_some()) {
            if freq != Frequency::Monthly {
                return Err(RecurrenceError::invalid(
                    "BYDAY",
                    "ordinals such as 1MO or -1FR are only supported with FREQ=MONTHLY",
                ));
            }
            if !by_month_day.is_empty() {
                return Err(RecurrenceError::invalid(
                    "BYDAY",
                    "ordinals such as 1MO cannot be combined with BYMONTHDAY",
                ));
            }
        }
        Ok(Self { freq, interval: interval.unwrap_or(1), by_day, by_month_day, count, until })
    }

    /// `FREQ`.
    pub const fn frequency(&self) -> Frequency {
        self.freq
    }

    /// `INTERVAL` (1 when not given).
    pub const fn interval(&self) -> u16 {
        self.interval
    }

    /// `BYDAY`, sorted Monday first; empty when not given.
    pub fn by_day(&self) -> &[WeekdayNum] {
        &self.by_day
    }

    /// `BYMONTHDAY`, sorted; empty when not given.
    pub fn by_month_day(&self) -> &[i8] {
        &self.by_month_day
    }

    /// `COUNT`: how many occurrences in all, the first one included.
    pub const fn count(&self) -> Option<u16> {
        self.count
    }

    /// `UNTIL`: the last moment (or local date) an occurrence may fall on.
    pub const fn until(&self) -> Option<Until> {
        self.until
    }
}

impl fmt::Display for Recurrence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.freq.as_str())?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if !self.by_day.is_empty() {
            f.write_str(";BYDAY=")?;
            write_list(f, &self.by_day)?;
        }
        if !self.by_month_day.is_empty() {
            f.write_str(";BYMONTHDAY=")?;
            write_list(f, &self.by_month_day)?;
        }
        if let Some(count) = self.count {
            write!(f, ";COUNT={count}")?;
        }
        if let Some(until) = self.until {
            write!(f, ";UNTIL={until}")?;
        }
        Ok(())
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `[+|-]digits`, at most 4 digits.
fn parse_signed(s: &str) -> Option<i32> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if !all_digits(digits) || digits.len() > 4 {
        return None;
    }
    let n: i32 = digits.parse().ok()?;
    Some(if negative { -n } else { n })
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !all_digits(s) {
        return None;
    }
    NaiveDate::from_ymd_opt(s[..4].parse().ok()?, s[4..6].parse().ok()?, s[6..8].parse().ok()?)
}

fn parse_bounded(part: &'static str, value: &str, max: u16) -> Result<u16, RecurrenceError> {
    let bad = || RecurrenceError::invalid(part, format!("must be a whole number between 1 and {max}"));
    if !all_digits(value) || value.len() > 5 {
        return Err(bad());
    }
    value.parse::<u16>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(bad)
}

fn parse_month_day(item: &str) -> Result<i8, RecurrenceError> {
    parse_signed(item).filter(|n| (1..=31).contains(&n.abs())).and_then(|n| i8::try_from(n).ok()).ok_or_else(|| {
        RecurrenceError::invalid("BYMONTHDAY", format!("`{item}` must be between 1 and 31 or between -31 and -1"))
    })
}

fn parse_list<T>(
    part: &'static str,
    value: &str,
    item: impl Fn(&str) -> Result<T, RecurrenceError>,
) -> Result<Vec<T>, RecurrenceError> {
    if value.is_empty() {
        return Err(RecurrenceError::invalid(part, "must not be empty"));
    }
    value
        .split(',')
        .map(|v| if v.is_empty() { Err(RecurrenceError::invalid(part, "contains an empty item")) } else { item(v) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(raw: &str) -> RecurrenceError {
        Recurrence::parse(raw).unwrap_err()
    }

    fn invalid_part(raw: &str) -> &'static str {
        match err(raw) {
            RecurrenceError::InvalidValue { part, .. } => part,
            other => panic!("{raw}: expected an invalid value, got {other:?}"),
        }
    }

    #[test]
    fn full_rule_parses_and_displays_canonically() {
        let r = Recurrence::parse("freq=weekly;byday=we,mo,MO;interval=2;count=10").unwrap();
        assert_eq!(r.frequency(), Frequency::Weekly);
        assert_eq!(r.interval(), 2);
        assert_eq!(r.by_day().iter().map(|d| d.weekday()).collect::<Vec<_>>(), [Weekday::Mon, Weekday::Wed]);
        assert_eq!(r.count(), Some(10));
        assert_eq!(r.to_string(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10");
    }

    #[test]
    fn interval_defaults_to_one_and_is_not_displayed() {
        let r = Recurrence::parse("FREQ=DAILY;INTERVAL=1").unwrap();
        assert_eq!(r.interval(), 1);
        assert_eq!(r.to_string(), "FREQ=DAILY");
    }

    #[test]
    fn monthly_ordinals_and_month_days_parse() {
        let r = Recurrence::parse("FREQ=MONTHLY;BYDAY=-1FR,1MO,+2TU").unwrap();
        assert_eq!(r.to_string(), "FREQ=MONTHLY;BYDAY=1MO,2TU,-1FR");
        let r = Recurrence::parse("FREQ=MONTHLY;BYMONTHDAY=31,-1,1,+15").unwrap();
        assert_eq!(r.by_month_day(), [-1, 1, 15, 31]);
    }

    #[test]
    fn until_parses_as_utc_instant_or_date() {
        let r = Recurrence::parse("FREQ=DAILY;UNTIL=20251231T235959Z").unwrap();
        assert_eq!(r.until(), Some(Until::Instant("2025-12-31T23:59:59Z".parse().unwrap())));
        let r = Recurrence::parse("FREQ=DAILY;UNTIL=20251231").unwrap();
        assert_eq!(r.until(), Some(Until::Date(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap())));
        assert_eq!(r.to_string(), "FREQ=DAILY;UNTIL=20251231");
    }

    #[test]
    fn empty_rule_is_refused() {
        assert_eq!(err("  "), RecurrenceError::Empty);
    }

    #[test]
    fn rrule_prefix_is_refused_with_a_hint() {
        assert_eq!(err("RRULE:FREQ=DAILY"), RecurrenceError::Prefixed);
        assert!(err("RRULE:FREQ=DAILY").to_string().contains("without the `RRULE:` prefix"));
    }

    #[test]
    fn stray_semicolons_are_refused() {
        assert_eq!(err("FREQ=DAILY;"), RecurrenceError::EmptyPart);
        assert_eq!(err("FREQ=DAILY;;COUNT=2"), RecurrenceError::EmptyPart);
    }

    #[test]
    fn part_without_equals_is_malformed() {
        assert_eq!(err("FREQ=DAILY;COUNT"), RecurrenceError::Malformed("COUNT".into()));
        assert_eq!(err("=3"), RecurrenceError::Malformed("=3".into()));
    }

    #[test]
    fn unknown_part_is_named() {
        assert_eq!(err("FREQ=DAILY;FOO=1"), RecurrenceError::UnknownPart("FOO".into()));
        assert!(err("FREQ=DAILY;FOO=1").to_string().contains("FOO"));
    }

    #[test]
    fn parts_outside_the_subset_are_named() {
        for part in
            ["BYSETPOS=1", "BYHOUR=9", "WKST=SU", "BYMONTH=2", "BYMINUTE=0", "BYSECOND=0", "BYWEEKNO=1", "BYYEARDAY=1"]
        {
            let e = err(&format!("FREQ=MONTHLY;{part}"));
            let name = part.split('=').next().unwrap();
            assert_eq!(e, RecurrenceError::UnsupportedPart(name.into()));
            assert_eq!(e.part(), Some(name));
            assert!(e.to_string().contains(name));
        }
    }

    #[test]
    fn duplicated_part_is_named() {
        assert_eq!(err("FREQ=DAILY;FREQ=WEEKLY"), RecurrenceError::DuplicatePart("FREQ".into()));
        assert_eq!(err("FREQ=DAILY;COUNT=1;COUNT=1"), RecurrenceError::DuplicatePart("COUNT".into()));
    }

    #[test]
    fn freq_is_required() {
        assert_eq!(err("COUNT=3"), RecurrenceError::MissingFrequency);
        assert_eq!(err("COUNT=3").part(), Some("FREQ"));
    }

    #[test]
    fn freq_outside_the_subset_is_refused() {
        assert_eq!(invalid_part("FREQ=HOURLY"), "FREQ");
        assert!(err("FREQ=HOURLY").to_string().contains("HOURLY is not supported"));
        assert_eq!(invalid_part("FREQ=SOMETIMES"), "FREQ");
    }

    #[test]
    fn interval_out_of_range_is_refused() {
        for v in ["0", "1000", "-1", "x", "", "99999999"] {
            assert_eq!(invalid_part(&format!("FREQ=DAILY;INTERVAL={v}")), "INTERVAL", "{v}");
        }
        assert!(Recurrence::parse("FREQ=DAILY;INTERVAL=999").is_ok());
    }

    #[test]
    fn count_out_of_range_is_refused() {
        for v in ["0", "1001", "+3", "3.5"] {
            assert_eq!(invalid_part(&format!("FREQ=DAILY;COUNT={v}")), "COUNT", "{v}");
        }
        assert!(Recurrence::parse("FREQ=DAILY;COUNT=1000").is_ok());
    }

    #[test]
    fn bad_weekdays_are_refused() {
        for v in ["XX", "M", "", "MO,", "0MO", "6MO", "-6FR", "1.MO", "MOO", "é"] {
            assert_eq!(invalid_part(&format!("FREQ=MONTHLY;BYDAY={v}")), "BYDAY", "{v}");
        }
    }

    #[test]
    fn ordinals_are_refused_outside_monthly() {
        for freq in ["DAILY", "WEEKLY", "YEARLY"] {
            let e = err(&format!("FREQ={freq};BYDAY=1MO"));
            assert!(e.to_string().contains("only supported with FREQ=MONTHLY"), "{e}");
        }
    }

    #[test]
    fn ordinals_with_bymonthday_are_refused() {
        assert_eq!(invalid_part("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=1"), "BYDAY");
        assert!(Recurrence::parse("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13").is_ok());
    }

    #[test]
    fn bad_month_days_are_refused() {
        for v in ["0", "32", "-32", "x", "1,,2"] {
            assert_eq!(invalid_part(&format!("FREQ=MONTHLY;BYMONTHDAY={v}")), "BYMONTHDAY", "{v}");
        }
    }

    #[test]
    fn bymonthday_with_weekly_is_refused() {
        assert_eq!(invalid_part("FREQ=WEEKLY;BYMONTHDAY=1"), "BYMONTHDAY");
    }

    #[test]
    fn bad_until_is_refused() {
        for v in [
            "2025-12-31",
            "20251231T235959",
            "20251332",
            "20251231T246000Z",
            "20251231X235959Z",
            "2025123",
            "20251231T2359é9Z",
        ] {
            assert_eq!(invalid_part(&format!("FREQ=DAILY;UNTIL={v}")), "UNTIL", "{v}");
        }
    }

    #[test]
    fn count_and_until_together_are_refused() {
        assert_eq!(err("FREQ=DAILY;COUNT=2;UNTIL=20251231"), RecurrenceError::CountAndUntil);
    }
}
