//! Value types: each one exists only once its `parse` accepted it.

use std::fmt;

use chrono_tz::Tz;

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

/// An IANA time zone (`Europe/Berlin`), the one a reminder was set in and recurs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timezone(Tz);

impl Timezone {
    /// Coordinated Universal Time.
    pub const UTC: Self = Self(Tz::UTC);

    /// Looks `name` up in the IANA database (exact spelling, as the database writes it).
    ///
    /// # Errors
    /// [`TimezoneError`] when there is no such zone.
    pub fn parse(name: &str) -> Result<Self, TimezoneError> {
        name.parse::<Tz>().map(Self).map_err(|_| TimezoneError(name.to_owned()))
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zone, for time arithmetic.
    pub const fn tz(&self) -> Tz {
        self.0
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
        assert_eq!(ReminderTitle::parse("  Pay rent \t").unwrap().as_str(), "Pay rent");
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
