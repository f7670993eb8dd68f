//! Value types: each one exists only once its `parse` accepted it, so the rest of the crate
//! never re-checks a name's length or a colour's format.

use std::fmt;

pub use kernel::TextError;
use kernel::TextRule;

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Checks `raw` and wraps it.
            ///
            /// # Errors
            /// [`TextError`] when `raw` breaks the type's rules.
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                $rule.check(raw).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_value!(
    /// A board's name: 1–100 characters once trimmed, one line.
    BoardName,
    TextRule::one_line(100)
);
text_value!(
    /// Markdown describing a board or a card: at most 20 000 characters, may be empty.
    Description,
    TextRule::multi_line(20_000, true)
);
text_value!(
    /// A column's name: 1–100 characters once trimmed, one line.
    ColumnName,
    TextRule::one_line(100)
);
text_value!(
    /// A card's title: 1–200 characters once trimmed, one line.
    CardTitle,
    TextRule::one_line(200)
);
text_value!(
    /// A label's name: 1–50 characters once trimmed, one line.
    LabelName,
    TextRule::one_line(50)
);
text_value!(
    /// A comment's markdown body: 1–10 000 characters, not blank.
    CommentBody,
    TextRule::multi_line(10_000, false)
);

impl Description {
    /// No description.
    pub fn empty() -> Self {
        Self(String::new())
    }
}

impl Default for Description {
    fn default() -> Self {
        Self::empty()
    }
}

/// A work-in-progress limit was out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be between {min} and {max}", min = WipLimit::MIN, max = WipLimit::MAX)]
pub struct WipLimitError;

/// How many open (non-archived) cards a column may hold: 1–1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WipLimit(u32);

impl WipLimit {
    /// The smallest limit.
    pub const MIN: u32 = 1;
    /// The largest limit.
    pub const MAX: u32 = 1000;

    /// Checks `value` and wraps it.
    ///
    /// # Errors
    /// [`WipLimitError`] outside 1–1000.
    pub fn parse(value: i64) -> Result<Self, WipLimitError> {
        u32::try_from(value).ok().filter(|v| (Self::MIN..=Self::MAX).contains(v)).map(Self).ok_or(WipLimitError)
    }

    /// The limit.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for WipLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A colour was not `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a colour written #rrggbb in hexadecimal")]
pub struct ColorError;

/// A label's colour, `#rrggbb`, stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Color(String);

impl Color {
    /// Checks `raw` and wraps it, lower-cased.
    ///
    /// # Errors
    /// [`ColorError`] unless `raw` is `#` followed by six hexadecimal digits.
    pub fn parse(raw: &str) -> Result<Self, ColorError> {
        let raw = raw.trim();
        match raw.strip_prefix('#') {
            Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Self(raw.to_ascii_lowercase()))
            }
            _ => Err(ColorError),
        }
    }

    /// The colour, `#rrggbb`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role name was not one of `owner`, `editor`, `viewer`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of owner, editor, viewer")]
pub struct BoardRoleError;

/// What a member may do on a board. Roles are ordered: a viewer can do less than an editor,
/// who can do less than an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BoardRole {
    /// Reads the board.
    Viewer,
    /// Reads and changes columns, cards, labels and comments.
    Editor,
    /// Everything an editor does, plus managing members and deleting the board.
    Owner,
}

impl BoardRole {
    /// `owner`, `editor` or `viewer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Editor => "editor",
            Self::Viewer => "viewer",
        }
    }

    /// Reads a role name.
    ///
    /// # Errors
    /// [`BoardRoleError`] for anything but `owner`, `editor` or `viewer`.
    pub fn parse(raw: &str) -> Result<Self, BoardRoleError> {
        match raw {
            "owner" => Ok(Self::Owner),
            "editor" => Ok(Self::Editor),
            "viewer" => Ok(Self::Viewer),
            _ => Err(BoardRoleError),
        }
    }

    /// Whether the role may change the board's content.
    pub const fn can_write(self) -> bool {
        matches!(self, Self::Owner | Self::Editor)
    }
}

impl fmt::Display for BoardRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn names_are_trimmed() {
        assert_eq!(BoardName::parse("  Roadmap  ").unwrap().as_str(), "Roadmap");
        // A line break is a control character, refused even where trimming would drop it.
        assert_eq!(BoardName::parse("Roadmap\n"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn blank_names_are_refused() {
        assert_eq!(BoardName::parse("   "), Err(TextError::Empty));
        assert_eq!(CardTitle::parse(""), Err(TextError::Empty));
    }

    #[test]
    fn card_titles_are_counted_in_characters_not_bytes() {
        assert!(CardTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(CardTitle::parse(&"é".repeat(201)), Err(TextError::TooLong { max: 200 }));
    }

    #[test]
    fn one_line_names_refuse_inner_line_breaks() {
        assert_eq!(ColumnName::parse("To\ndo"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn descriptions_may_be_empty_and_multi_line_but_bounded() {
        assert_eq!(Description::parse("").unwrap(), Description::empty());
        assert_eq!(Description::parse("a\n\n  b").unwrap().as_str(), "a\n\n  b");
        assert!(Description::parse(&"x".repeat(20_001)).is_err());
    }

    #[test]
    fn comment_bodies_must_say_something() {
        assert_eq!(CommentBody::parse(" \n "), Err(TextError::Empty));
        assert!(CommentBody::parse("    indented code").is_ok());
        assert!(CommentBody::parse(&"x".repeat(10_001)).is_err());
    }

    #[test]
    fn label_names_are_at_most_fifty_characters() {
        assert!(LabelName::parse(&"x".repeat(50)).is_ok());
        assert!(LabelName::parse(&"x".repeat(51)).is_err());
    }

    #[test]
    fn wip_limits_are_between_one_and_a_thousand() {
        assert_eq!(WipLimit::parse(1).unwrap().get(), 1);
        assert_eq!(WipLimit::parse(1000).unwrap().get(), 1000);
        for bad in [0, -1, 1001, i64::MAX, i64::MIN] {
            assert_eq!(WipLimit::parse(bad), Err(WipLimitError), "{bad}");
        }
    }

    #[test]
    fn colours_are_hex_triplets_stored_in_lower_case() {
        assert_eq!(Color::parse("#A1b2C3").unwrap().as_str(), "#a1b2c3");
        for bad in ["a1b2c3", "#a1b2c", "#a1b2c3d", "#ggg000", "", "#", "red"] {
            assert_eq!(Color::parse(bad), Err(ColorError), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip_and_are_ordered_by_power() {
        for role in [BoardRole::Owner, BoardRole::Editor, BoardRole::Viewer] {
            assert_eq!(BoardRole::parse(role.as_str()), Ok(role));
        }
        assert!(BoardRole::parse("Owner").is_err());
        assert!(BoardRole::Viewer < BoardRole::Editor && BoardRole::Editor < BoardRole::Owner);
        assert!(!BoardRole::Viewer.can_write());
    }

    proptest! {
        #[test]
        fn any_accepted_title_is_trimmed_and_within_bounds(raw in "\\PC{0,250}") {
            if let Ok(title) = CardTitle::parse(&raw) {
                let len = title.as_str().chars().count();
                prop_assert!((1..=200).contains(&len));
                prop_assert_eq!(title.as_str(), title.as_str().trim());
            }
        }

        #[test]
        fn any_six_hex_digits_make_a_colour(hex in "[0-9a-fA-F]{6}") {
            let colour = Color::parse(&format!("#{hex}")).unwrap();
            prop_assert_eq!(colour.as_str(), format!("#{}", hex.to_ascii_lowercase()));
        }
    }
}
