//! Value types: each one exists only once its `parse` accepted it.

use std::fmt;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, NaiveDateTime, Utc};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, civil};

pub use kernel::TextError;
use kernel::TextRule;

/// A reminder's title: 1–200 characters once trimmed, one line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReminderTitle(String);

impl ReminderTitle {
    /// The longest title, in characters.
    pub const MAX: usize = 200;

    /// Trims `raw`, checks it and wraps it.
    ///
    /// # Errors
    /// [`TextError`] when empty, too long or holding a control character.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        TextRule::one_line(Self::MAX).check(raw).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReminderTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reminder's body: free text kept as written, at most 10 000 characters; empty means none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ReminderBody(String);

impl ReminderBody {
    /// The longest body, in characters.
    pub const MAX: usize = 10_000;

    /// Checks `raw` and wraps it.
    ///
    /// # Errors
    /// [`TextError::TooLong`] past 10 000 characters; [`TextError::ControlCharacter`] for NUL.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        TextRule::multi_line(Self::MAX, true).check(raw).map(Self)
    }

    /// No body.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether there is no body.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ReminderBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name that is not in the IANA time zone database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IANA time zone name (such as Europe/Berlin or UTC)")]
pub struct TimezoneError(pub String);

/// An IANA time zone (`Europe/Berlin`), the one a reminder was set in and recurs in. Its rules
/// come from the IANA database built into the binary (jiff's bundled copy, decision 0041), so a
/// host without `/usr/share/zoneinfo` answers the same.
#[derive(Clone)]
pub struct Timezone(TimeZone);

impl Timezone {
    /// Coordinated Universal Time.
    pub const UTC: Self = Self(TimeZone::UTC);

    /// Looks `name` up in the IANA database (exact spelling, as the database writes it).
    ///
    /// # Errors
    /// [`TimezoneError`] when there is no such zone.
    pub fn parse(name: &str) -> Result<Self, TimezoneError> {
        match jiff::tz::db().get(name) {
            // The database ignores case; a stored name must read back as it was given.
            Ok(zone) if zone.iana_name() == Some(name) => Ok(Self(zone)),
            _ => Err(TimezoneError(name.to_owned())),
        }
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        // Every zone here came from the database or is `UTC`: each has a name.
        self.0.iana_name().unwrap_or("UTC")
    }

    /// The wall-clock time here at `at`.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + chrono::Duration::seconds(self.offset_seconds(at).into())
    }

    /// How far ahead of UTC the wall clocks here are at `at`, in seconds.
    pub fn offset_seconds(&self, at: DateTime<Utc>) -> i32 {
        self.0.to_offset(timestamp(at)).seconds()
    }

    /// The earliest instant whose wall-clock time here is `local`: the earlier of two when clocks
    /// went back over it, `None` when they jumped over it (or it is out of range).
    pub fn earliest(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let offset = match self.0.to_ambiguous_timestamp(civil_of(local)?).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset,
            AmbiguousOffset::Fold { before, .. } => before,
            AmbiguousOffset::Gap { .. } => return None,
        };
        Some(local.checked_sub_signed(chrono::Duration::seconds(offset.seconds().into()))?.and_utc())
    }
}

/// `at` as jiff's instant; chrono's range is wider than jiff's, the ends are clamped (no
/// reminder is set 10,000 years away: `remind_at` is parsed as RFC 3339, four-digit years).
fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp::from_second(at.timestamp().clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second()))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `local` as jiff's civil date and time, to the second (reminders keep whole seconds of
/// wall-clock time; the sub-second part does not change an offset); `None` outside jiff's years.
fn civil_of(local: NaiveDateTime) -> Option<civil::DateTime> {
    use chrono::{Datelike as _, Timelike as _};
    let narrow = |n: u32| i8::try_from(n).ok();
    civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        narrow(local.month())?,
        narrow(local.day())?,
        narrow(local.hour())?,
        narrow(local.minute())?,
        narrow(local.second())?,
        0,
    )
    .ok()
}

impl fmt::Debug for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timezone").field(&self.name()).finish()
    }
}

/// Zones are equal when their names are: the name is what is stored and compared.
impl PartialEq for Timezone {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Timezone {}

impl Hash for Timezone {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A status that is not `scheduled`, `completed` or `cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be scheduled, completed or cancelled")]
pub struct ReminderStatusError;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn title_is_trimmed() {
        assert_eq!(ReminderTitle::parse("  Pay rent  ").unwrap().as_str(), "Pay rent");
        assert_eq!(ReminderTitle::parse("Pay rent\t").unwrap_err(), TextError::ControlCharacter);
    }

    #[test]
    fn blank_title_is_empty() {
        assert_eq!(ReminderTitle::parse(" \n ").unwrap_err(), TextError::Empty);
    }

    #[test]
    fn title_of_201_characters_is_too_long() {
        assert!(ReminderTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(ReminderTitle::parse(&"é".repeat(201)).unwrap_err(), TextError::TooLong { max: 200 });
    }

    #[test]
    fn title_with_a_line_break_is_refused() {
        assert_eq!(ReminderTitle::parse("a\nb").unwrap_err(), TextError::ControlCharacter);
    }

    #[test]
    fn body_may_be_empty_and_span_lines_up_to_10000_characters() {
        assert!(ReminderBody::parse("").unwrap().is_empty());
        assert_eq!(ReminderBody::parse("a\nb").unwrap().as_str(), "a\nb");
        assert!(ReminderBody::parse(&"x".repeat(10_000)).is_ok());
        assert_eq!(ReminderBody::parse(&"x".repeat(10_001)).unwrap_err(), TextError::TooLong { max: 10_000 });
    }

    #[test]
    fn iana_names_parse_and_display_back() {
        for name in ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"] {
            assert_eq!(Timezone::parse(name).unwrap().to_string(), name);
        }
    }

    #[test]
    fn unknown_zone_is_refused_with_its_name() {
        let err = Timezone::parse("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
        assert!(Timezone::parse("").is_err());
        assert!(Timezone::parse("+02:00").is_err());
    }

    #[test]
    fn names_are_exact_as_the_database_spells_them() {
        assert_eq!(Timezone::parse("europe/berlin").unwrap_err(), TimezoneError("europe/berlin".into()));
        assert!(Timezone::parse("utc").is_err());
        assert!(Timezone::parse("Etc/Unknown").is_err(), "jiff's marker for an unknown zone is not a zone");
        assert_eq!(Timezone::parse("UTC").unwrap(), Timezone::UTC);
    }

    #[test]
    fn wall_clock_times_resolve_across_changes_of_offset() {
        let berlin = Timezone::parse("Europe/Berlin").unwrap();
        let utc = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let wall = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(berlin.local(utc("2025-01-15T08:00:00Z")), wall("2025-01-15 09:00"));
        assert_eq!(berlin.offset_seconds(utc("2025-07-01T00:00:00Z")), 7200);
        // 30 March 2025: clocks jump from 02:00 to 03:00, so 02:30 never happens.
        assert_eq!(berlin.earliest(wall("2025-03-30 02:30")), None);
        // 26 October 2025: clocks go back from 03:00 to 02:00, so 02:30 happens twice.
        assert_eq!(berlin.earliest(wall("2025-10-26 02:30")), Some(utc("2025-10-26T00:30:00Z")));
        assert_eq!(berlin.earliest(wall("2025-10-27 02:30")), Some(utc("2025-10-27T01:30:00Z")));
    }

    proptest! {
        #[test]
        fn a_parsed_title_is_trimmed_bounded_and_one_line(raw in "\\PC{0,250}") {
            if let Ok(title) = ReminderTitle::parse(&raw) {
                prop_assert_eq!(title.as_str(), title.as_str().trim());
                prop_assert!(!title.as_str().is_empty());
                prop_assert!(title.as_str().chars().count() <= ReminderTitle::MAX);
                prop_assert!(!title.as_str().chars().any(char::is_control));
            }
        }
    }
}
