//! The note, the inputs of its use cases, and how lists of notes are asked for and paged.

use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, NoteId, UserId, Version};

use super::values::{NoteBody, NoteTitle, SearchText, Tag, Tags};

/// How many results a search ranks at most: ranked results are paged by position within this
/// window (see decision 0019), so deep pages stay cheap and the cursor stays simple.
pub const SEARCH_WINDOW: u32 = 200;

/// A markdown note. Personal when `board_id` is `None` (only its owner sees it); otherwise it
/// belongs to the board (and, when `card_id` is set, to that card of the board).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Its id.
    pub id: NoteId,
    /// Who created it.
    pub owner_id: UserId,
    /// Its title.
    pub title: NoteTitle,
    /// Its markdown body.
    pub body: NoteBody,
    /// Its tags.
    pub tags: Tags,
    /// Pinned notes are listed by clients first.
    pub pinned: bool,
    /// Archived notes are left out of lists unless asked for.
    pub archived: bool,
    /// The board it is attached to.
    pub board_id: Option<BoardId>,
    /// The card of that board it is attached to; implies `board_id`.
    pub card_id: Option<CardId>,
    /// Grows by one on every change.
    pub version: Version,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A note to create; the caller becomes its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    /// Its title.
    pub title: NoteTitle,
    /// Its body.
    pub body: NoteBody,
    /// Its tags.
    pub tags: Tags,
    /// Pinned?
    pub pinned: bool,
    /// A board the caller edits.
    pub board_id: Option<BoardId>,
    /// A card of that board (or, without `board_id`, of any board the caller edits).
    pub card_id: Option<CardId>,
}

/// Changes to a note; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteChanges {
    /// A new title.
    pub title: Option<NoteTitle>,
    /// A new body.
    pub body: Option<NoteBody>,
    /// The complete new set of tags.
    pub tags: Option<Tags>,
    /// Pin or unpin.
    pub pinned: Option<bool>,
    /// Archive or restore.
    pub archived: Option<bool>,
    /// `Some(None)` makes the note personal again (its owner only); `Some(Some(b))` moves it to
    /// board `b` (its card goes unless on `b`).
    pub board_id: Option<Option<BoardId>>,
    /// `Some(None)` detaches it from its card; `Some(Some(c))` attaches it to card `c` (and to
    /// `c`'s board).
    pub card_id: Option<Option<CardId>>,
}

/// Which notes to list. Every given filter must match; the caller sees only their personal
/// notes and the notes of boards they are a member of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteFilter {
    /// Full-text search over title and body; ranks the results.
    pub q: Option<SearchText>,
    /// Only notes carrying this tag.
    pub tag: Option<Tag>,
    /// Only notes of this board.
    pub board_id: Option<BoardId>,
    /// Only pinned (`true`) or unpinned (`false`) notes.
    pub pinned: Option<bool>,
    /// Archived notes (`true`) or open ones (`false`, the default).
    pub archived: bool,
    /// Only notes changed at or after this instant.
    pub updated_after: Option<DateTime<Utc>>,
    /// Only notes changed strictly before this instant.
    pub updated_before: Option<DateTime<Utc>>,
}

/// Where a page of notes starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteCursor {
    /// A plain list (newest first): the notes after this one.
    After(NoteId),
    /// A search (best first): the results from this position within [`SEARCH_WINDOW`].
    Position(u32),
}

/// One page of notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotePage {
    /// The notes, in order.
    pub items: Vec<Note>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<NoteCursor>,
}
