//! Value types: each one exists only once its `parse` accepted it.

use std::fmt;

pub use kernel::TextError;
use kernel::TextRule;

/// A note's title: 1–200 characters once trimmed, one line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteTitle(String);

impl NoteTitle {
    /// The most characters a title holds.
    pub const MAX_CHARS: usize = 200;

    /// Checks `raw` and wraps it, trimmed.
    ///
    /// # Errors
    /// [`TextError`] when `raw` is blank, too long or holds a control character.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        TextRule::one_line(Self::MAX_CHARS).check(raw).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NoteTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a note body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// More bytes than a note may hold.
    #[error("must be at most {max_bytes} bytes")]
    TooLarge {
        /// The limit, in bytes of UTF-8.
        max_bytes: usize,
    },
}

/// A note's markdown body, kept as written (may be empty), at most 100 000 bytes of UTF-8. The
/// limit is in bytes because it bounds storage and the search index, whatever the script.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NoteBody(String);

impl NoteBody {
    /// The most bytes a body holds.
    pub const MAX_BYTES: usize = 100_000;

    /// Checks `raw` and wraps it.
    ///
    /// # Errors
    /// [`BodyError::TooLarge`] beyond [`NoteBody::MAX_BYTES`].
    pub fn parse(raw: &str) -> Result<Self, BodyError> {
        if raw.len() > Self::MAX_BYTES {
            return Err(BodyError::TooLarge { max_bytes: Self::MAX_BYTES });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The markdown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a tag (or a set of tags) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Nothing but whitespace.
    #[error("a tag must not be empty")]
    Empty,
    /// Longer than 50 characters.
    #[error("a tag must be at most {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A character outside `a-z`, `0-9`, `-` and `_` (after lower-casing).
    #[error("a tag may hold only a-z, 0-9, '-' and '_'")]
    BadCharacter,
    /// More tags than a note carries.
    #[error("at most {max} tags")]
    TooMany {
        /// The limit.
        max: usize,
    },
}

/// A tag: 1–50 characters of `[A-Za-z0-9_-]`, lower-cased (ASCII) on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// The most characters a tag holds.
    pub const MAX_CHARS: usize = 50;

    /// Checks `raw` and wraps it, lower-cased. Surrounding whitespace is refused, as the API's
    /// document says.
    ///
    /// # Errors
    /// [`TagError`] when `raw` is empty, too long or holds another character.
    pub fn parse(raw: &str) -> Result<Self, TagError> {
        let value = raw.to_ascii_lowercase();
        if value.is_empty() {
            return Err(TagError::Empty);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(TagError::TooLong { max: Self::MAX_CHARS });
        }
        if !value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
            return Err(TagError::BadCharacter);
        }
        Ok(Self(value))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A note's tags: at most 20 distinct tags, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// The most tags a note carries.
    pub const MAX: usize = 20;

    /// Parses each tag, then sorts and de-duplicates them (`Rust` and `rust` are one tag).
    ///
    /// # Errors
    /// The first refused tag's [`TagError`], or [`TagError::TooMany`] beyond [`Tags::MAX`]
    /// distinct tags.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, TagError> {
        let mut tags = raw.iter().map(|t| Tag::parse(t.as_ref())).collect::<Result<Vec<_>, _>>()?;
        tags.sort_unstable();
        tags.dedup();
        if tags.len() > Self::MAX {
            return Err(TagError::TooMany { max: Self::MAX });
        }
        Ok(Self(tags))
    }

    /// Tags already checked (read back from a store).
    ///
    /// # Errors
    /// As [`Tags::parse`].
    pub fn from_stored(tags: &[String]) -> Result<Self, TagError> {
        Self::parse(tags)
    }

    /// The tags, sorted.
    pub fn as_slice(&self) -> &[Tag] {
        &self.0
    }

    /// The tags as text, sorted.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|t| t.0.clone()).collect()
    }
}

/// What a caller searches for: at most 200 characters. Search matches words, not syntax:
/// [`SearchText::terms`] keeps the letters and digits of the input, so quotes and operators
/// mean nothing and cannot break a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// The most characters a search holds.
    pub const MAX_CHARS: usize = 200;
    /// The most terms a search uses; the rest are ignored.
    pub const MAX_TERMS: usize = 16;

    /// Checks `raw` and wraps it, trimmed.
    ///
    /// # Errors
    /// [`TextError::Empty`] when blank, [`TextError::TooLong`] beyond 200 characters.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(TextError::Empty);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong { max: Self::MAX_CHARS });
        }
        Ok(Self(value.to_owned()))
    }

    /// The text as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The words to look for, lower-cased and de-duplicated in order of appearance: maximal runs
    /// of letters and digits (any script). Everything else separates words. Empty when the
    /// input holds only punctuation, quotes or operators; a note matches when it holds every
    /// term.
    pub fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for word in self.0.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            let word = word.to_lowercase();
            if !terms.contains(&word) {
                terms.push(word);
            }
            if terms.len() == Self::MAX_TERMS {
                break;
            }
        }
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_one_line_and_bounded() {
        assert_eq!(NoteTitle::parse("  Plan  ").unwrap().as_str(), "Plan");
        assert_eq!(NoteTitle::parse("   "), Err(TextError::Empty));
        assert_eq!(NoteTitle::parse("a\nb"), Err(TextError::ControlCharacter));
        assert!(NoteTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(NoteTitle::parse(&"é".repeat(201)), Err(TextError::TooLong { max: 200 }));
    }

    #[test]
    fn bodies_are_limited_in_bytes_not_characters() {
        assert!(NoteBody::parse("").is_ok());
        assert!(NoteBody::parse(&"a".repeat(100_000)).is_ok());
        // 50 001 two-byte characters: few characters, too many bytes.
        assert_eq!(NoteBody::parse(&"é".repeat(50_001)), Err(BodyError::TooLarge { max_bytes: 100_000 }));
    }

    #[test]
    fn tags_are_lower_cased_checked_sorted_and_deduplicated() {
        let tags = Tags::parse(&["Rust", "web-dev", "rust", "a_b"]).unwrap();
        assert_eq!(tags.to_strings(), ["a_b", "rust", "web-dev"]);
        assert_eq!(Tag::parse("c++"), Err(TagError::BadCharacter));
        assert_eq!(Tag::parse("ünï"), Err(TagError::BadCharacter));
        assert_eq!(Tag::parse("\u{212A}"), Err(TagError::BadCharacter), "the Kelvin sign is not a k");
        assert_eq!(Tag::parse(" web-dev "), Err(TagError::BadCharacter));
        assert_eq!(Tag::parse(""), Err(TagError::Empty));
        assert_eq!(Tag::parse(&"a".repeat(51)), Err(TagError::TooLong { max: 50 }));
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(Tags::parse(&many), Err(TagError::TooMany { max: 20 }));
        let repeated = vec!["x"; 30];
        assert_eq!(Tags::parse(&repeated).unwrap().as_slice().len(), 1);
    }

    #[test]
    fn search_terms_are_words_without_syntax() {
        let q = SearchText::parse(r#"  "Rust" AND -async OR title:Café  rust "#).unwrap();
        assert_eq!(q.terms(), ["rust", "and", "async", "or", "title", "café"]);
        for only_syntax in [r#"""#, r#"" ""#, "-", "* ( ) : ^ ' \" -", "&|!<>"] {
            assert!(SearchText::parse(only_syntax).unwrap().terms().is_empty(), "{only_syntax}");
        }
        assert_eq!(SearchText::parse(" "), Err(TextError::Empty));
        assert!(SearchText::parse(&"a".repeat(201)).is_err());
        let many = (0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        assert_eq!(SearchText::parse(&many).unwrap().terms().len(), SearchText::MAX_TERMS);
    }
}
